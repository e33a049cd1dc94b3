/* Tables: load, create, reload, accessors. */
#include "internal.h"

#include <stdlib.h>

static int same_config(const json_t *a, const json_t *b)
{
    if (!a || json_object_size(a) == 0) return !b || json_object_size(b) == 0;
    return b && json_equal(a, b);
}

/* Choose the table's FileIO after its state changed: kept while the table config (vended keys)
 * and the location's back-end stay the same, else chosen again. */
static int table_pick_files(iceberg_table *t, i2i_error *err)
{
    const char *loc = json_string_value(json_object_get(t->ct.metadata, "location"));
    const char *want = loc ? storage_backend_for(loc) : NULL;
    storage *st = NULL, **grown;
    int owned = 0;
    if (t->files && same_config(t->files_config, t->ct.config) &&
        (!want || strcmp(t->files->ops->name, want) == 0))
        return I2I_OK;
    I2I_TRY(catalog_table_storage(t->cat, &t->ct, &st, &owned, err));
    if (owned) {
        grown = realloc(t->owned, (t->nowned + 1) * sizeof *grown);
        if (!grown) {
            storage_close(st);
            return i2i_error_nomem(err, "table storage");
        }
        t->owned = grown;
        t->owned[t->nowned++] = st;
    }
    t->files = st;
    json_decref(t->files_config);
    t->files_config = json_incref(t->ct.config);
    return I2I_OK;
}

int ice_table_adopt(iceberg_table *t, catalog_table *ct, i2i_error *err)
{
    ice_meta m;
    int rc = ice_meta_parse(ct->metadata, &m, err);
    if (rc < 0) {
        i2i_error_wrap(err, "table %s.%s (%s)", t->ns, t->name,
                       ct->metadata_location ? ct->metadata_location : "new");
        catalog_table_clear(ct);
        return rc;
    }
    ice_meta_clear(&t->m);
    catalog_table_clear(&t->ct);
    t->ct = *ct;
    memset(ct, 0, sizeof *ct);
    t->m = m;
    rc = table_pick_files(t, err);
    if (rc < 0) i2i_error_wrap(err, "table %s.%s", t->ns, t->name);
    return rc;
}

static int table_new(catalog *c, const char *ns, const char *name, iceberg_table **out,
                     i2i_error *err)
{
    iceberg_table *t;
    *out = NULL;
    if (!c || !ns || !name || !*name)
        return i2i_error_set(err, I2I_ERR_INVALID, "catalog, namespace and table name are required");
    t = calloc(1, sizeof *t);
    if (!t) return i2i_error_nomem(err, "table");
    t->cat = c;
    t->ns = i2i_strdup(ns);
    t->name = i2i_strdup(name);
    t->m.current_snapshot_id = -1;
    if (!t->ns || !t->name) {
        iceberg_table_free(t);
        return i2i_error_nomem(err, "table");
    }
    *out = t;
    return I2I_OK;
}

static int table_load(iceberg_table *t, i2i_error *err)
{
    catalog_table ct = {0};
    int rc = catalog_load_table(t->cat, t->ns, t->name, &ct, err);
    if (rc < 0) {
        catalog_table_clear(&ct);
        return rc;
    }
    return ice_table_adopt(t, &ct, err);
}

int iceberg_table_reload(iceberg_table *t, i2i_error *err) { return table_load(t, err); }

int iceberg_table_create(catalog *c, const char *ns, const char *name,
                         const iceberg_create_options *opts, iceberg_table **out, i2i_error *err)
{
    iceberg_table *t = NULL;
    char *loc = NULL;
    json_t *md = NULL;
    catalog_table ct = {0};
    catalog_commit_request req = {0};
    size_t n;
    int rc;

    *out = NULL;
    if (!opts) return i2i_error_set(err, I2I_ERR_INVALID, "create options are required");
    I2I_TRY(table_new(c, ns, name, &t, err));
    I2I_TRY_GOTO(catalog_ensure_namespace(c, ns, err), rc, done);
    if (opts->location) {
        loc = i2i_strdup(opts->location);
        if (!loc) {
            rc = i2i_error_nomem(err, "location");
            goto done;
        }
    } else {
        I2I_TRY_GOTO(catalog_default_location(c, ns, name, &loc, err), rc, done);
    }
    /* loc == NULL: the catalog (a REST server) chooses the location */
    n = loc ? strlen(loc) : 0;
    while (n > 1 && loc[n - 1] == '/') loc[--n] = '\0';
    I2I_TRY_GOTO(ice_meta_new(opts, loc, &md, err), rc, done);
    req.new_metadata = md;
    rc = catalog_commit(c, ns, name, &req, &ct, err);
    if (rc < 0) {
        catalog_table_clear(&ct);
        if (rc != I2I_ERR_EXISTS) i2i_error_wrap(err, "creating table %s.%s", ns, name);
        goto done;
    }
    rc = ice_table_adopt(t, &ct, err);
    if (rc == I2I_OK) {
        /* the location as the catalog has it (a REST server may have chosen it) */
        const char *at = json_string_value(json_object_get(t->ct.metadata, "location"));
        I2I_INFO("created Iceberg table %s.%s (v%d) at %s", ns, name, t->m.format_version,
                 at ? at : loc);
        *out = t;
        t = NULL;
    }
done:
    json_decref(md);
    free(loc);
    iceberg_table_free(t);
    return rc;
}

int iceberg_table_open(catalog *c, const char *ns, const char *name,
                       const iceberg_create_options *create, iceberg_table **out, i2i_error *err)
{
    iceberg_table *t = NULL;
    int rc;
    *out = NULL;
    I2I_TRY(table_new(c, ns, name, &t, err));
    rc = table_load(t, err);
    if (rc == I2I_ERR_NOT_FOUND && create) {
        iceberg_table_free(t);
        t = NULL;
        rc = iceberg_table_create(c, ns, name, create, out, err);
        if (rc != I2I_ERR_EXISTS) return rc;
        /* a concurrent creator won the race: load its table */
        i2i_error_clear(err);
        I2I_TRY(table_new(c, ns, name, &t, err));
        rc = table_load(t, err);
    }
    if (rc < 0) {
        iceberg_table_free(t);
        return rc;
    }
    *out = t;
    return I2I_OK;
}

void iceberg_table_free(iceberg_table *t)
{
    if (!t) return;
    ice_meta_clear(&t->m);
    catalog_table_clear(&t->ct);
    for (size_t i = 0; i < t->nowned; i++) storage_close(t->owned[i]);
    free(t->owned);
    json_decref(t->files_config);
    free(t->ns);
    free(t->name);
    free(t);
}

int iceberg_table_format_version(const iceberg_table *t) { return t->m.format_version; }
const char *iceberg_table_location(const iceberg_table *t) { return t->m.location; }
const char *iceberg_table_metadata_location(const iceberg_table *t) { return t->ct.metadata_location; }
const char *iceberg_table_uuid(const iceberg_table *t) { return t->m.uuid; }
const json_t *iceberg_table_metadata(const iceberg_table *t) { return t->ct.metadata; }
const iceberg_schema *iceberg_table_schema(const iceberg_table *t) { return &t->m.schema; }
const iceberg_partition_spec *iceberg_table_spec(const iceberg_table *t) { return &t->m.spec; }
int64_t iceberg_table_current_snapshot_id(const iceberg_table *t) { return t->m.current_snapshot_id; }
const json_t *iceberg_table_properties(const iceberg_table *t) { return t->m.properties; }

const char *iceberg_table_property(const iceberg_table *t, const char *key)
{
    return ice_json_str(t->m.properties, key);
}

const iceberg_snapshot *iceberg_table_snapshots(const iceberg_table *t, size_t *n)
{
    *n = t->m.nsnapshots;
    return t->m.snapshots;
}

const iceberg_snapshot *iceberg_table_snapshot(const iceberg_table *t, int64_t id)
{
    size_t i;
    for (i = 0; i < t->m.nsnapshots; i++)
        if (t->m.snapshots[i].snapshot_id == id) return &t->m.snapshots[i];
    return NULL;
}

int64_t ice_table_prop_int(const iceberg_table *t, const char *key, int64_t dflt)
{
    const char *v = iceberg_table_property(t, key);
    char *end;
    long long x;
    if (!v || !*v) return dflt;
    x = strtoll(v, &end, 10);
    if (*end) {
        I2I_WARN("table property %s='%s' is not an integer; using %lld", key, v, (long long)dflt);
        return dflt;
    }
    return x;
}

static int dir_of(const iceberg_table *t, const char *prop, const char *sub, i2i_buf *out)
{
    const char *v = iceberg_table_property(t, prop);
    size_t n;
    i2i_buf_reset(out);
    if (v && *v) {
        n = strlen(v);
        while (n > 1 && v[n - 1] == '/') n--;
        return i2i_buf_append(out, v, n);
    }
    n = strlen(t->m.location);
    while (n > 1 && t->m.location[n - 1] == '/') n--;
    I2I_TRY(i2i_buf_append(out, t->m.location, n));
    return i2i_buf_printf(out, "/%s", sub);
}

int ice_table_data_dir(const iceberg_table *t, i2i_buf *out)
{
    return dir_of(t, "write.data.path", "data", out);
}

int ice_table_metadata_dir(const iceberg_table *t, i2i_buf *out)
{
    return dir_of(t, "write.metadata.path", "metadata", out);
}

int ice_new_snapshot_id(const ice_meta *m, int64_t *out, i2i_error *err)
{
    for (;;) {
        uint64_t r;
        int64_t id;
        size_t i;
        int dup = 0;
        I2I_TRY(i2i_random_bytes(&r, sizeof r, err));
        id = (int64_t)(r & (uint64_t)INT64_MAX);
        if (id == 0) continue;
        for (i = 0; i < m->nsnapshots; i++)
            if (m->snapshots[i].snapshot_id == id) dup = 1;
        if (dup) continue;
        *out = id;
        return I2I_OK;
    }
}
