/* Table metadata JSON: parsing the fields we use (tolerant of v1 and of writers that omit optional
 * keys), creating new documents, and the bookkeeping every commit does. Documents are edited in
 * place on a copy, so keys we do not know survive a rewrite. */
#include "internal.h"

#include <stdlib.h>
#include <time.h>

static const char *reserved_props[] = {
    "format-version",          "uuid",          "snapshot-count",        "current-snapshot-id",
    "current-snapshot-summary", "current-snapshot-timestamp-ms", "current-schema",
    "default-partition-spec",  "default-sort-order",
};

int64_t ice_now_ms(void) { return i2i_now_ns() / I2I_NS_PER_MS; }

const json_t *ice_meta_schema_json(const json_t *md, int32_t schema_id)
{
    const json_t *schemas = json_object_get(md, "schemas"), *s;
    size_t i;
    if (json_is_array(schemas)) {
        json_array_foreach(schemas, i, s)
        {
            const json_t *id = json_object_get(s, "schema-id");
            if ((json_is_integer(id) ? json_integer_value(id) : 0) == schema_id) return s;
        }
        return NULL;
    }
    s = json_object_get(md, "schema"); /* v1 */
    return json_is_object(s) ? s : NULL;
}

const json_t *ice_meta_spec_json(const json_t *md, int32_t spec_id)
{
    const json_t *specs = json_object_get(md, "partition-specs"), *s;
    size_t i;
    json_array_foreach(specs, i, s)
    {
        const json_t *id = json_object_get(s, "spec-id");
        if ((json_is_integer(id) ? json_integer_value(id) : 0) == spec_id) return s;
    }
    return NULL;
}

static int parse_snapshots(const json_t *md, ice_meta *m, i2i_error *err)
{
    const json_t *snaps = json_object_get(md, "snapshots"), *s;
    size_t i;
    if (!snaps || json_is_null(snaps)) return I2I_OK;
    if (!json_is_array(snaps)) return i2i_error_set(err, I2I_ERR_FORMAT, "'snapshots' is not a list");
    m->nsnapshots = json_array_size(snaps);
    if (!m->nsnapshots) return I2I_OK;
    m->snapshots = calloc(m->nsnapshots, sizeof *m->snapshots);
    if (!m->snapshots) return i2i_error_nomem(err, "snapshots");
    json_array_foreach(snaps, i, s)
    {
        iceberg_snapshot *sn = &m->snapshots[i];
        const json_t *summary = json_object_get(s, "summary");
        int64_t v;
        I2I_TRY(ice_json_req_int(s, "snapshot-id", &sn->snapshot_id, "snapshot", err));
        I2I_TRY(ice_json_int(s, "parent-snapshot-id", -1, &sn->parent_id, "snapshot", err));
        I2I_TRY(ice_json_int(s, "sequence-number", 0, &sn->sequence_number, "snapshot", err));
        I2I_TRY(ice_json_int(s, "timestamp-ms", 0, &sn->timestamp_ms, "snapshot", err));
        I2I_TRY(ice_json_int(s, "schema-id", -1, &v, "snapshot", err));
        sn->schema_id = (int32_t)v;
        sn->manifest_list = ice_json_str(s, "manifest-list");
        if (!json_is_object(summary)) summary = m->empty;
        sn->summary = summary;
        sn->operation = ice_json_str(summary, "operation");
        if (!sn->operation) sn->operation = "";
    }
    return I2I_OK;
}

static int meta_parse(const json_t *md, ice_meta *m, i2i_error *err)
{
    int64_t v;
    const json_t *schema_js, *spec_js, *cur;
    int rc;
    memset(m, 0, sizeof *m);
    m->current_snapshot_id = -1;
    m->empty = json_object();
    if (!m->empty) return i2i_error_nomem(err, "metadata");
    if (!json_is_object(md)) return i2i_error_set(err, I2I_ERR_FORMAT, "table metadata is not an object");
    I2I_TRY(ice_json_req_int(md, "format-version", &v, "table metadata", err));
    if (v < 1 || v > 3)
        return i2i_error_set(err, I2I_ERR_UNSUPPORTED,
                             "table format version %lld is not supported (1 to 3)", (long long)v);
    m->format_version = (int)v;
    m->uuid = ice_json_str(md, "table-uuid");
    m->location = ice_json_str(md, "location");
    if (!m->location) return i2i_error_set(err, I2I_ERR_FORMAT, "table metadata has no 'location'");
    I2I_TRY(ice_json_int(md, "last-sequence-number", 0, &m->last_sequence_number, "table metadata", err));
    I2I_TRY(ice_json_int(md, "last-updated-ms", 0, &m->last_updated_ms, "table metadata", err));
    I2I_TRY(ice_json_int(md, "last-column-id", 0, &m->last_column_id, "table metadata", err));
    I2I_TRY(ice_json_int(md, "next-row-id", 0, &m->next_row_id, "table metadata", err));
    cur = json_object_get(md, "current-snapshot-id");
    if (json_is_integer(cur) && json_integer_value(cur) >= 0) m->current_snapshot_id = json_integer_value(cur);
    else if (cur && !json_is_null(cur) && !json_is_integer(cur))
        return i2i_error_set(err, I2I_ERR_FORMAT, "'current-snapshot-id' is not an integer");

    I2I_TRY(ice_json_int(md, "current-schema-id", 0, &v, "table metadata", err));
    m->current_schema_id = (int32_t)v;
    schema_js = ice_meta_schema_json(md, m->current_schema_id);
    if (!schema_js)
        return i2i_error_set(err, I2I_ERR_FORMAT, "current schema %d not found in table metadata",
                             (int)v);
    I2I_TRY(ice_schema_parse(schema_js, &m->schema, err));
    if (!json_object_get(md, "schemas")) m->current_schema_id = m->schema.schema_id;

    I2I_TRY(ice_json_int(md, "default-spec-id", 0, &v, "table metadata", err));
    m->default_spec_id = (int32_t)v;
    spec_js = ice_meta_spec_json(md, m->default_spec_id);
    if (spec_js) {
        rc = ice_spec_parse(spec_js, &m->spec, err);
    } else if (json_is_array(json_object_get(md, "partition-spec"))) {
        /* v1: a bare list of fields, spec id 0 */
        json_t *wrap = json_pack("{s:i, s:O}", "spec-id", 0, "fields", json_object_get(md, "partition-spec"));
        if (!wrap) return i2i_error_nomem(err, "metadata");
        rc = ice_spec_parse(wrap, &m->spec, err);
        /* names point into the original array's objects, which md keeps alive */
        json_decref(wrap);
    } else {
        return i2i_error_set(err, I2I_ERR_FORMAT, "default partition spec %d not found", (int)v);
    }
    if (rc < 0) return rc;
    I2I_TRY(ice_json_int(md, "last-partition-id", 0, &m->last_partition_id, "table metadata", err));
    if (m->last_partition_id == 0) {
        size_t i;
        m->last_partition_id = ICE_PARTITION_FIELD_ID_START - 1;
        for (i = 0; i < m->spec.nfields; i++)
            if (m->spec.fields[i].field_id > m->last_partition_id)
                m->last_partition_id = m->spec.fields[i].field_id;
    }
    m->properties = json_object_get(md, "properties");
    if (!json_is_object(m->properties)) m->properties = m->empty;
    return parse_snapshots(md, m, err);
}

int ice_meta_parse(const json_t *md, ice_meta *m, i2i_error *err)
{
    int rc = meta_parse(md, m, err);
    if (rc < 0) ice_meta_clear(m);
    return rc;
}

void ice_meta_clear(ice_meta *m)
{
    if (!m) return;
    ice_schema_clear(&m->schema);
    ice_spec_clear(&m->spec);
    free(m->snapshots);
    json_decref(m->empty);
    memset(m, 0, sizeof *m);
    m->current_snapshot_id = -1;
}

int ice_meta_new(const iceberg_create_options *o, const char *location, json_t **out,
                 i2i_error *err)
{
    int fv = o->format_version ? o->format_version : 2;
    char uuid[37];
    json_t *md = NULL, *schema = NULL, *spec = NULL, *props = NULL;
    int32_t time_id = -1, last_pid = 0;
    size_t i, j;
    const char *k;
    json_t *v;

    *out = NULL;
    if (fv != 2 && fv != 3)
        return i2i_error_set(err, I2I_ERR_INVALID, "format version %d is not supported (2 or 3)", fv);
    if (!o->columns || o->ncolumns == 0)
        return i2i_error_set(err, I2I_ERR_INVALID, "a new table needs at least one column");
    for (i = 0; i < o->ncolumns; i++) {
        char tb[48];
        const iceberg_column_def *c = &o->columns[i];
        if (!c->name || !*c->name) return i2i_error_set(err, I2I_ERR_INVALID, "empty column name");
        for (j = 0; j < i; j++)
            if (strcmp(o->columns[j].name, c->name) == 0)
                return i2i_error_set(err, I2I_ERR_INVALID, "column '%s' given twice", c->name);
        if (c->type.id == ICEBERG_TYPE_NESTED || c->type.id == ICEBERG_TYPE_OTHER)
            return i2i_error_set(err, I2I_ERR_INVALID, "column '%s': unsupported type", c->name);
        if (fv < 3 && ice_type_v3_only(c->type))
            return i2i_error_set(err, I2I_ERR_INVALID,
                                 "column '%s': type %s needs format v3 (requested v%d)", c->name,
                                 iceberg_type_format(c->type, tb, sizeof tb), fv);
        if (o->time_column && strcmp(c->name, o->time_column) == 0) time_id = (int32_t)i + 1;
    }
    if (o->partition != ICEBERG_PARTITION_NONE) {
        const iceberg_type_id t = time_id > 0 ? o->columns[time_id - 1].type.id : ICEBERG_TYPE_OTHER;
        if (time_id < 0)
            return i2i_error_set(err, I2I_ERR_INVALID,
                                 "time partitioning needs the time column '%s' among the columns",
                                 o->time_column ? o->time_column : "(none given)");
        if (t != ICEBERG_TYPE_TIMESTAMP && t != ICEBERG_TYPE_TIMESTAMPTZ &&
            t != ICEBERG_TYPE_TIMESTAMP_NS && t != ICEBERG_TYPE_TIMESTAMPTZ_NS)
            return i2i_error_set(err, I2I_ERR_INVALID, "partition source '%s' is not a timestamp",
                                 o->time_column);
    }
    if (o->properties && !json_is_object(o->properties))
        return i2i_error_set(err, I2I_ERR_INVALID, "table properties must be an object");
    if (location && !*location) return i2i_error_set(err, I2I_ERR_INVALID, "empty table location");
    I2I_TRY(i2i_uuid4(uuid, err));

    schema = ice_schema_json_new(0, o->columns, o->ncolumns, 1);
    spec = ice_spec_json_new(0, o->partition, time_id, o->time_column ? o->time_column : "",
                             &last_pid);
    props = json_pack("{s:s}", "write.parquet.compression-codec", "zstd");
    if (!schema || !spec || !props) goto nomem;
    if (o->properties) {
        json_object_foreach((json_t *)o->properties, k, v)
        {
            if (!json_is_string(v)) {
                json_decref(schema);
                json_decref(spec);
                json_decref(props);
                return i2i_error_set(err, I2I_ERR_INVALID, "table property '%s' is not a string", k);
            }
            for (j = 0; j < sizeof reserved_props / sizeof reserved_props[0]; j++) {
                if (strcmp(k, reserved_props[j]) == 0) {
                    json_decref(schema);
                    json_decref(spec);
                    json_decref(props);
                    return i2i_error_set(err, I2I_ERR_INVALID,
                                         "'%s' is a reserved key and cannot be a table property", k);
                }
            }
            if (json_object_set(props, k, v) != 0) goto nomem;
        }
    }
    md = json_pack("{s:i, s:s, s:s*, s:I, s:I, s:I, s:i, s:[o], s:i, s:[o], s:i, s:i, "
                   "s:[{s:i, s:[]}], s:o, s:{}, s:[], s:[], s:[], s:[], s:[]}",
                   "format-version", fv, "table-uuid", uuid, "location", location,
                   "last-sequence-number", (json_int_t)0, "last-updated-ms", (json_int_t)ice_now_ms(),
                   "last-column-id", (json_int_t)o->ncolumns, "current-schema-id", 0, "schemas", schema,
                   "default-spec-id", 0, "partition-specs", spec, "last-partition-id", (int)last_pid,
                   "default-sort-order-id", 0, "sort-orders", "order-id", 0, "fields", "properties",
                   props, "refs", "snapshots", "snapshot-log", "metadata-log", "statistics",
                   "partition-statistics");
    schema = spec = props = NULL; /* stolen by json_pack, even on failure */
    if (!md) goto nomem;
    if (fv >= 3) {
        if (json_object_set_new(md, "current-snapshot-id", json_null()) != 0 ||
            json_object_set_new(md, "next-row-id", json_integer(0)) != 0)
            goto nomem;
    } else if (json_object_set_new(md, "current-snapshot-id", json_integer(-1)) != 0) {
        goto nomem;
    }
    *out = md;
    return I2I_OK;
nomem:
    json_decref(schema);
    json_decref(spec);
    json_decref(props);
    json_decref(md);
    return i2i_error_nomem(err, "table metadata");
}

int ice_meta_apply_properties(json_t *md, const json_t *updates, int *changed, i2i_error *err)
{
    json_t *props = json_object_get(md, "properties"), *v;
    const char *k;
    size_t j;
    *changed = 0;
    if (!updates) return I2I_OK;
    if (!json_is_object(updates))
        return i2i_error_set(err, I2I_ERR_INVALID, "property updates must be an object");
    json_object_foreach((json_t *)updates, k, v)
    {
        const json_t *old;
        for (j = 0; j < sizeof reserved_props / sizeof reserved_props[0]; j++)
            if (strcmp(k, reserved_props[j]) == 0)
                return i2i_error_set(err, I2I_ERR_INVALID,
                                     "'%s' is a reserved key and cannot be a table property", k);
        if (!json_is_string(v) && !json_is_null(v))
            return i2i_error_set(err, I2I_ERR_INVALID,
                                 "property update '%s' must be a string or null", k);
        if (!json_is_object(props)) {
            if (json_is_null(v)) continue;
            props = json_object();
            if (!props || json_object_set_new(md, "properties", props) != 0)
                return i2i_error_nomem(err, "properties");
        }
        old = json_object_get(props, k);
        if (json_is_null(v)) {
            if (old) {
                json_object_del(props, k);
                *changed = 1;
            }
        } else if (!json_is_string(old) || strcmp(json_string_value(old), json_string_value(v)) != 0) {
            if (json_object_set(props, k, v) != 0) return i2i_error_nomem(err, "properties");
            *changed = 1;
        }
    }
    return I2I_OK;
}

static int64_t last_log_ts(const json_t *md, const char *key)
{
    const json_t *log = json_object_get(md, key);
    size_t n = json_is_array(log) ? json_array_size(log) : 0;
    const json_t *ts;
    if (!n) return 0;
    ts = json_object_get(json_array_get(log, n - 1), "timestamp-ms");
    return json_is_integer(ts) ? json_integer_value(ts) : 0;
}

int ice_meta_finish_commit(json_t *md, const char *prev_location, int64_t prev_last_updated_ms,
                           int64_t now_ms, i2i_error *err)
{
    json_t *log = json_object_get(md, "metadata-log"), *e;
    const char *maxs = ice_json_str(json_object_get(md, "properties"), "write.metadata.previous-versions-max");
    long max = maxs ? strtol(maxs, NULL, 10) : ICE_DEFAULT_METADATA_PREVIOUS_MAX;
    int64_t t;
    if (max < 1) max = 1;
    if (prev_location) {
        if (!json_is_array(log)) {
            log = json_array();
            if (!log || json_object_set_new(md, "metadata-log", log) != 0)
                return i2i_error_nomem(err, "metadata-log");
        }
        e = json_pack("{s:I, s:s}", "timestamp-ms", (json_int_t)prev_last_updated_ms, "metadata-file",
                      prev_location);
        if (!e || json_array_append_new(log, e) != 0) return i2i_error_nomem(err, "metadata-log");
        while (json_array_size(log) > (size_t)max) json_array_remove(log, 0);
    }
    t = now_ms;
    if (prev_last_updated_ms > t) t = prev_last_updated_ms;
    if (last_log_ts(md, "snapshot-log") > t) t = last_log_ts(md, "snapshot-log");
    if (last_log_ts(md, "metadata-log") > t) t = last_log_ts(md, "metadata-log");
    return ice_json_set(md, "last-updated-ms", json_integer(t), err);
}

int ice_meta_add_snapshot(json_t *md, json_t *snapshot, int64_t snapshot_id, int64_t seq,
                          int64_t timestamp_ms, int64_t next_row_id, i2i_error *err)
{
    json_t *snaps = json_object_get(md, "snapshots"), *log = json_object_get(md, "snapshot-log");
    json_t *refs = json_object_get(md, "refs"), *e;
    int64_t fv = 2;
    if (!json_is_array(snaps)) {
        snaps = json_array();
        if (!snaps || json_object_set_new(md, "snapshots", snaps) != 0) {
            json_decref(snapshot);
            return i2i_error_nomem(err, "snapshots");
        }
    }
    if (json_array_append_new(snaps, snapshot) != 0) return i2i_error_nomem(err, "snapshots");
    if (!json_is_array(log)) {
        log = json_array();
        if (!log || json_object_set_new(md, "snapshot-log", log) != 0)
            return i2i_error_nomem(err, "snapshot-log");
    }
    e = json_pack("{s:I, s:I}", "timestamp-ms", (json_int_t)timestamp_ms, "snapshot-id",
                  (json_int_t)snapshot_id);
    if (!e || json_array_append_new(log, e) != 0) return i2i_error_nomem(err, "snapshot-log");
    if (!json_is_object(refs)) {
        refs = json_object();
        if (!refs || json_object_set_new(md, "refs", refs) != 0) return i2i_error_nomem(err, "refs");
    }
    e = json_object_get(refs, "main");
    if (json_is_object(e)) {
        /* keep retention settings (min-snapshots-to-keep...) of an existing main branch */
        I2I_TRY(ice_json_set(e, "snapshot-id", json_integer(snapshot_id), err));
        I2I_TRY(ice_json_set(e, "type", json_string("branch"), err));
    } else {
        I2I_TRY(ice_json_set(refs, "main",
                             json_pack("{s:I, s:s}", "snapshot-id", (json_int_t)snapshot_id, "type", "branch"),
                             err));
    }
    I2I_TRY(ice_json_set(md, "current-snapshot-id", json_integer(snapshot_id), err));
    I2I_TRY(ice_json_set(md, "last-sequence-number", json_integer(seq), err));
    ice_json_int(md, "format-version", 2, &fv, "table metadata", NULL);
    if (fv >= 3) I2I_TRY(ice_json_set(md, "next-row-id", json_integer(next_row_id), err));
    return I2I_OK;
}
