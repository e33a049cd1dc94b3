/* Orphan data files: Parquet files under the table's data directory that no snapshot references,
 * left by a writer that died between writing its files and committing them. The files carry the
 * writer's run id in their names, so they can be traced to the run that left them. */
#include <stdlib.h>

#include "internal.h"

static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && memcmp(s + n - m, suffix, m) == 0;
}

/* 1 when every snapshot only added files: then the current snapshot's live files are every file
 * any snapshot ever referenced, and anything else under data/ is unreferenced. */
static int append_only(const iceberg_table *t)
{
    size_t n, i;
    const iceberg_snapshot *s = iceberg_table_snapshots(t, &n);
    for (i = 0; i < n; i++) {
        if (strcmp(s[i].operation, "append") != 0) return 0;
    }
    return 1;
}

static int cmp_cstr(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

void iceberg_orphan_list_free(iceberg_orphan_list *l)
{
    size_t i;
    if (!l) return;
    for (i = 0; i < l->n; i++) free(l->files[i].path);
    free(l->files);
    memset(l, 0, sizeof *l);
}

int iceberg_table_orphan_files(iceberg_table *t, int64_t min_age_ms, iceberg_orphan_list *out,
                               i2i_error *err)
{
    i2i_buf dir = I2I_BUF_INIT, full = I2I_BUF_INIT;
    iceberg_file_list live = {0};
    json_t *objects = NULL, *o;
    char **paths = NULL;
    size_t i, k;
    int64_t now_ms = i2i_now_ns() / I2I_NS_PER_MS;
    int rc;

    memset(out, 0, sizeof *out);
    if (!append_only(t)) {
        return i2i_error_set(err, I2I_ERR_UNSUPPORTED,
                             "table %s.%s has snapshots that removed or replaced files (compaction, "
                             "deletes): files not in the current snapshot may still belong to older "
                             "ones, so orphans are not searched; use your engine's remove_orphan_files",
                             t->ns, t->name);
    }
    if (ice_table_data_dir(t, &dir) < 0 || !i2i_buf_cstr(&dir)) return i2i_error_nomem(err, "listing orphans");
    I2I_TRY_GOTO(iceberg_table_live_files(t, &live, err), rc, done);
    paths = malloc((live.n ? live.n : 1) * sizeof *paths);
    objects = json_array();
    if (!paths || !objects) {
        rc = i2i_error_nomem(err, "listing orphans");
        goto done;
    }
    for (i = 0; i < live.n; i++) paths[i] = live.files[i].path;
    qsort(paths, live.n, sizeof *paths, cmp_cstr);
    rc = storage_list_tree(t->files, (const char *)dir.data, objects, err);
    if (rc < 0) {
        i2i_error_wrap(err, "listing data files of %s.%s", t->ns, t->name);
        goto done;
    }
    json_array_foreach(objects, k, o)
    {
        const char *rel = json_string_value(json_object_get(o, "path"));
        const char *p;
        int64_t mtime = json_integer_value(json_object_get(o, "mtime_ms"));
        iceberg_orphan_file *f;
        if (!rel || !ends_with(rel, ".parquet")) continue;
        i2i_buf_reset(&full);
        if (i2i_buf_printf(&full, "%s/%s", (const char *)dir.data, rel) < 0 || !i2i_buf_cstr(&full)) {
            rc = i2i_error_nomem(err, "listing orphans");
            goto done;
        }
        p = (const char *)full.data;
        if (bsearch(&p, paths, live.n, sizeof *paths, cmp_cstr)) continue;
        out->scanned_bytes += json_integer_value(json_object_get(o, "size"));
        if (now_ms - mtime < min_age_ms) {
            out->too_young++; /* perhaps a writer that is still running */
            continue;
        }
        f = realloc(out->files, (out->n + 1) * sizeof *f);
        if (!f) {
            rc = i2i_error_nomem(err, "listing orphans");
            goto done;
        }
        out->files = f;
        f = &out->files[out->n];
        f->path = i2i_strdup(p);
        f->size = json_integer_value(json_object_get(o, "size"));
        f->mtime_ms = mtime;
        if (!f->path) {
            rc = i2i_error_nomem(err, "listing orphans");
            goto done;
        }
        out->n++;
        out->bytes += f->size;
    }
    rc = I2I_OK;
done:
    if (rc < 0) iceberg_orphan_list_free(out);
    free(paths);
    json_decref(objects);
    iceberg_file_list_free(&live);
    i2i_buf_free(&dir);
    i2i_buf_free(&full);
    return rc;
}

int iceberg_remove_orphans(iceberg_table *t, const iceberg_orphan_list *l, size_t *removed, i2i_error *err)
{
    size_t i;
    *removed = 0;
    for (i = 0; i < l->n; i++) {
        int rc = storage_remove(t->files, l->files[i].path, err);
        if (rc < 0) return i2i_error_wrap(err, "removing orphan %s", l->files[i].path);
        (*removed)++;
    }
    return I2I_OK;
}
