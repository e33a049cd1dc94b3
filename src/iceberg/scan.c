/* Scans of table state: the live data files of the current snapshot. */
#include "internal.h"

#include <stdlib.h>

void iceberg_file_list_free(iceberg_file_list *l)
{
    size_t i;
    if (!l) return;
    for (i = 0; i < l->n; i++) {
        free(l->files[i].path);
        free(l->files[i].manifest_path);
        json_decref(l->files[i].data_file);
    }
    free(l->files);
    memset(l, 0, sizeof *l);
}

static int64_t int_or(const json_t *o, const char *k, int64_t dflt)
{
    const json_t *v = json_object_get(o, k);
    return json_is_integer(v) ? json_integer_value(v) : dflt;
}

int iceberg_table_live_files(iceberg_table *t, iceberg_file_list *out, i2i_error *err)
{
    const iceberg_snapshot *s;
    json_t *list = NULL, *mf, *entries = NULL, *e;
    size_t i, j, cap = 0;
    int rc = I2I_OK;

    memset(out, 0, sizeof *out);
    if (t->m.current_snapshot_id < 0) return I2I_OK;
    s = iceberg_table_snapshot(t, t->m.current_snapshot_id);
    if (!s) return i2i_error_set(err, I2I_ERR_FORMAT, "current snapshot %lld is not in the metadata",
                                 (long long)t->m.current_snapshot_id);
    if (!s->manifest_list)
        return i2i_error_set(err, I2I_ERR_UNSUPPORTED, "snapshot %lld has no manifest list (v1 inline manifests)",
                             (long long)s->snapshot_id);
    I2I_TRY(ice_avro_read_all(t->files, s->manifest_list, &list, err));
    json_array_foreach(list, i, mf)
    {
        const char *mpath = ice_json_str(mf, "manifest_path");
        int64_t content = int_or(mf, "content", 0), mseq = int_or(mf, "sequence_number", 0);
        int64_t msnap = int_or(mf, "added_snapshot_id", -1), spec_id = int_or(mf, "partition_spec_id", 0);
        if (!mpath) {
            rc = i2i_error_set(err, I2I_ERR_FORMAT, "%s: entry without manifest_path", s->manifest_list);
            goto done;
        }
        json_decref(entries);
        entries = NULL;
        I2I_TRY_GOTO(ice_avro_read_all(t->files, mpath, &entries, err), rc, done);
        json_array_foreach(entries, j, e)
        {
            json_t *df = json_object_get(e, "data_file");
            int64_t status = int_or(e, "status", 0), dcontent;
            iceberg_live_file *lf;
            if (status == 2) continue;
            if (!json_is_object(df)) {
                rc = i2i_error_set(err, I2I_ERR_FORMAT, "%s: entry without data_file", mpath);
                goto done;
            }
            dcontent = int_or(df, "content", content ? 1 : 0);
            if (content != 0 || dcontent != 0) {
                out->delete_files++;
                continue;
            }
            if (out->n == cap) {
                size_t ncap = cap ? cap * 2 : 64;
                void *p = realloc(out->files, ncap * sizeof *out->files);
                if (!p) {
                    rc = i2i_error_nomem(err, "file list");
                    goto done;
                }
                out->files = p;
                cap = ncap;
            }
            lf = &out->files[out->n];
            memset(lf, 0, sizeof *lf);
            lf->path = i2i_strdup(ice_json_str(df, "file_path"));
            lf->manifest_path = i2i_strdup(mpath);
            lf->data_file = json_incref(df);
            out->n++;
            if (!lf->path || !lf->manifest_path) {
                rc = i2i_error_nomem(err, "file list");
                goto done;
            }
            lf->record_count = int_or(df, "record_count", 0);
            lf->file_size = int_or(df, "file_size_in_bytes", 0);
            lf->spec_id = (int32_t)spec_id;
            lf->snapshot_id = int_or(e, "snapshot_id", status == 1 ? msnap : -1);
            if (lf->snapshot_id < 0) lf->snapshot_id = msnap;
            lf->sequence_number = int_or(e, "sequence_number", int_or(e, "data_sequence_number", -1));
            if (lf->sequence_number < 0) lf->sequence_number = status == 1 ? mseq : 0;
        }
    }
done:
    json_decref(list);
    json_decref(entries);
    if (rc < 0) iceberg_file_list_free(out);
    return rc;
}
