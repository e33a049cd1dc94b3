/* Manifests (Avro, record manifest_entry): the exact v2/v3 schema with field ids, ADDED entries
 * for new data files, and the partition summaries the manifest list needs. */
#include "internal.h"

#include "../avro/avro.h"

#include <stdlib.h>

static json_t *fld(const char *name, json_t *type, int id, int optional)
{
    if (!type) return NULL;
    if (optional) {
        json_t *u = json_pack("[s, o]", "null", type);
        if (!u) return NULL;
        return json_pack("{s:s, s:o, s:n, s:i}", "name", name, "type", u, "default", "field-id", id);
    }
    return json_pack("{s:s, s:o, s:i}", "name", name, "type", type, "field-id", id);
}

/* array<record k<K>_v<V>{key:int, value:T}> with logicalType map */
static json_t *int_map(int key_id, int value_id, const char *value_type)
{
    char rn[32];
    snprintf(rn, sizeof rn, "k%d_v%d", key_id, value_id);
    return json_pack("{s:s, s:{s:s, s:s, s:[{s:s, s:s, s:i}, {s:s, s:s, s:i}]}, s:s}", "type", "array",
                     "items", "type", "record", "name", rn, "fields", "name", "key", "type", "int",
                     "field-id", key_id, "name", "value", "type", value_type, "field-id", value_id,
                     "logicalType", "map");
}

static int push(json_t *arr, json_t *v)
{
    return v && json_array_append_new(arr, v) == 0 ? 0 : -1;
}

json_t *ice_manifest_schema(int fv, const json_t *partition_fields)
{
    json_t *df = json_array(), *root = NULL, *part;
    int bad = 0;
    if (!df) return NULL;
    part = json_pack("{s:s, s:s, s:O}", "type", "record", "name", "r102", "fields", partition_fields);
    bad |= push(df, fld("content", json_string("int"), 134, 0));
    bad |= push(df, fld("file_path", json_string("string"), 100, 0));
    bad |= push(df, fld("file_format", json_string("string"), 101, 0));
    bad |= push(df, fld("partition", part, 102, 0));
    bad |= push(df, fld("record_count", json_string("long"), 103, 0));
    bad |= push(df, fld("file_size_in_bytes", json_string("long"), 104, 0));
    bad |= push(df, fld("column_sizes", int_map(117, 118, "long"), 108, 1));
    bad |= push(df, fld("value_counts", int_map(119, 120, "long"), 109, 1));
    bad |= push(df, fld("null_value_counts", int_map(121, 122, "long"), 110, 1));
    bad |= push(df, fld("nan_value_counts", int_map(138, 139, "long"), 137, 1));
    bad |= push(df, fld("lower_bounds", int_map(126, 127, "bytes"), 125, 1));
    bad |= push(df, fld("upper_bounds", int_map(129, 130, "bytes"), 128, 1));
    bad |= push(df, fld("key_metadata", json_string("bytes"), 131, 1));
    bad |= push(df, fld("split_offsets", json_pack("{s:s, s:s, s:i}", "type", "array", "items", "long", "element-id", 133), 132, 1));
    bad |= push(df, fld("equality_ids", json_pack("{s:s, s:s, s:i}", "type", "array", "items", "int", "element-id", 136), 135, 1));
    bad |= push(df, fld("sort_order_id", json_string("int"), 140, 1));
    if (fv >= 3) bad |= push(df, fld("first_row_id", json_string("long"), 142, 1));
    bad |= push(df, fld("referenced_data_file", json_string("string"), 143, 1));
    if (fv >= 3) {
        bad |= push(df, fld("content_offset", json_string("long"), 144, 1));
        bad |= push(df, fld("content_size_in_bytes", json_string("long"), 145, 1));
    }
    if (!bad)
        root = json_pack("{s:s, s:s, s:[o, o, o, o, o]}", "type", "record", "name", "manifest_entry",
                         "fields", fld("status", json_string("int"), 0, 0),
                         fld("snapshot_id", json_string("long"), 1, 1),
                         fld("sequence_number", json_string("long"), 3, 1),
                         fld("file_sequence_number", json_string("long"), 4, 1),
                         fld("data_file", json_pack("{s:s, s:s, s:O}", "type", "record", "name", "r2", "fields", df), 2, 0));
    json_decref(df);
    return root;
}

void ice_manifest_info_clear(ice_manifest_info *m)
{
    if (!m) return;
    free(m->path);
    json_decref(m->partitions);
    memset(m, 0, sizeof *m);
}

static int put_bytes_json(json_t *obj, const char *key, const i2i_buf *b)
{
    char *hex = malloc(b->len * 2 + 1);
    int rc;
    if (!hex) return -1;
    i2i_hex(b->data ? b->data : (const uint8_t *)"", b->len, hex);
    rc = json_object_set_new(obj, key, json_pack("{s:s}", "$bytes", hex));
    free(hex);
    return rc;
}

static int put_long_map(i2i_buf *b, const iceberg_data_file *f, int which)
{
    size_t i, n = 0;
    for (i = 0; i < f->nmetrics; i++) {
        const iceberg_column_metrics *m = &f->metrics[i];
        int64_t v = which == 0 ? m->column_size : which == 1 ? m->value_count : which == 2 ? m->null_count : m->nan_count;
        if (v >= 0) n++;
    }
    I2I_TRY(avro_put_union(b, 1));
    if (n) {
        I2I_TRY(avro_put_long(b, (int64_t)n));
        for (i = 0; i < f->nmetrics; i++) {
            const iceberg_column_metrics *m = &f->metrics[i];
            int64_t v = which == 0 ? m->column_size : which == 1 ? m->value_count : which == 2 ? m->null_count : m->nan_count;
            if (v < 0) continue;
            I2I_TRY(avro_put_int(b, m->field_id));
            I2I_TRY(avro_put_long(b, v));
        }
    }
    return avro_put_long(b, 0);
}

static int put_bound_map(i2i_buf *b, const iceberg_data_file *f, int upper)
{
    size_t i, n = 0;
    for (i = 0; i < f->nmetrics; i++)
        if (upper ? f->metrics[i].has_upper : f->metrics[i].has_lower) n++;
    I2I_TRY(avro_put_union(b, 1));
    if (n) {
        I2I_TRY(avro_put_long(b, (int64_t)n));
        for (i = 0; i < f->nmetrics; i++) {
            const iceberg_column_metrics *m = &f->metrics[i];
            const i2i_buf *v = upper ? &m->upper : &m->lower;
            if (!(upper ? m->has_upper : m->has_lower)) continue;
            I2I_TRY(avro_put_int(b, m->field_id));
            I2I_TRY(avro_put_bytes(b, v->data, v->len));
        }
    }
    return avro_put_long(b, 0);
}

static int put_partition_value(i2i_buf *b, iceberg_type r, const iceberg_partition_value *v)
{
    if (v->is_null) return avro_put_union(b, 0);
    I2I_TRY(avro_put_union(b, 1));
    switch (r.id) {
    case ICEBERG_TYPE_BOOLEAN: return avro_put_boolean(b, (int)v->i);
    case ICEBERG_TYPE_INT:
    case ICEBERG_TYPE_DATE: return avro_put_int(b, (int32_t)v->i);
    case ICEBERG_TYPE_STRING: return avro_put_stringn(b, v->s ? v->s : "", v->slen);
    case ICEBERG_TYPE_DOUBLE: return avro_put_double(b, (double)v->i);
    default: return avro_put_long(b, v->i);
    }
}

static int encode_entry(i2i_buf *b, int fv, const iceberg_data_file *f, const iceberg_type *rtypes,
                        int64_t snapshot_id)
{
    size_t i;
    I2I_TRY(avro_put_int(b, 1));             /* status ADDED */
    I2I_TRY(avro_put_union(b, 1));           /* snapshot_id */
    I2I_TRY(avro_put_long(b, snapshot_id));
    I2I_TRY(avro_put_union(b, 0));           /* sequence_number: inherited */
    I2I_TRY(avro_put_union(b, 0));           /* file_sequence_number: inherited */
    I2I_TRY(avro_put_int(b, 0));             /* content: data */
    I2I_TRY(avro_put_string(b, f->path));
    I2I_TRY(avro_put_string(b, "PARQUET"));
    for (i = 0; i < f->npartition; i++) I2I_TRY(put_partition_value(b, rtypes[i], &f->partition[i]));
    I2I_TRY(avro_put_long(b, f->record_count));
    I2I_TRY(avro_put_long(b, f->file_size));
    I2I_TRY(put_long_map(b, f, 0));
    I2I_TRY(put_long_map(b, f, 1));
    I2I_TRY(put_long_map(b, f, 2));
    I2I_TRY(put_long_map(b, f, 3));
    I2I_TRY(put_bound_map(b, f, 0));
    I2I_TRY(put_bound_map(b, f, 1));
    I2I_TRY(avro_put_union(b, 0)); /* key_metadata */
    if (f->nsplit) {
        I2I_TRY(avro_put_union(b, 1));
        I2I_TRY(avro_put_long(b, (int64_t)f->nsplit));
        for (i = 0; i < f->nsplit; i++) I2I_TRY(avro_put_long(b, f->split_offsets[i]));
        I2I_TRY(avro_put_long(b, 0));
    } else {
        I2I_TRY(avro_put_union(b, 0));
    }
    I2I_TRY(avro_put_union(b, 0)); /* equality_ids */
    I2I_TRY(avro_put_union(b, 1)); /* sort_order_id = 0 (unsorted) */
    I2I_TRY(avro_put_int(b, 0));
    if (fv >= 3) I2I_TRY(avro_put_union(b, 0)); /* first_row_id: inherited */
    I2I_TRY(avro_put_union(b, 0));             /* referenced_data_file */
    if (fv >= 3) {
        I2I_TRY(avro_put_union(b, 0)); /* content_offset */
        I2I_TRY(avro_put_union(b, 0)); /* content_size_in_bytes */
    }
    return I2I_OK;
}

static avro_codec manifest_codec(const iceberg_table *t)
{
    const char *c = iceberg_table_property(t, "write.avro.compression-codec");
    if (c && (strcmp(c, "uncompressed") == 0 || strcmp(c, "none") == 0 || strcmp(c, "null") == 0))
        return AVRO_CODEC_NULL;
    return AVRO_CODEC_DEFLATE; /* gzip (the default), and codecs icebird cannot read */
}

int ice_manifest_write(iceberg_table *t, const iceberg_partition_spec *spec,
                       const iceberg_data_file *const *files, size_t nfiles, int64_t snapshot_id,
                       const char *path, ice_manifest_info *out, i2i_error *err)
{
    const json_t *md = t->ct.metadata;
    const json_t *spec_js = ice_meta_spec_json(md, spec->spec_id);
    const json_t *schema_js = ice_meta_schema_json(md, t->m.current_schema_id);
    json_t *pfields = json_array(), *schema = NULL;
    iceberg_type *rtypes = NULL;
    char *schema_txt = NULL, *spec_txt = NULL, *table_schema_txt = NULL;
    char sid[24], specid[24], fvs[8];
    avro_writer *w = NULL;
    uint8_t *data = NULL;
    size_t len = 0, i, k;
    int rc = I2I_OK, fv = t->m.format_version;
    struct summ {
        int has_null, has_val;
        iceberg_partition_value lo, hi;
    } *sum = NULL;
    i2i_buf tmp = I2I_BUF_INIT;

    memset(out, 0, sizeof *out);
    if (!pfields) return i2i_error_nomem(err, "manifest");
    if (!spec_js || !schema_js) {
        rc = i2i_error_set(err, I2I_ERR_INTERNAL, "spec %d or current schema missing from metadata",
                           (int)spec->spec_id);
        goto done;
    }
    if (spec->nfields) {
        rtypes = calloc(spec->nfields, sizeof *rtypes);
        sum = calloc(spec->nfields, sizeof *sum);
        if (!rtypes || !sum) {
            rc = i2i_error_nomem(err, "manifest");
            goto done;
        }
    }
    for (i = 0; i < spec->nfields; i++) {
        const iceberg_partition_field *pf = &spec->fields[i];
        const iceberg_field *src = NULL;
        json_t *at, *f;
        for (k = 0; k < t->m.schema.nfields; k++)
            if (t->m.schema.fields[k].id == pf->source_id) src = &t->m.schema.fields[k];
        if (!src) {
            rc = i2i_error_set(err, I2I_ERR_UNSUPPORTED, "partition source field %d not in the current schema",
                               (int)pf->source_id);
            goto done;
        }
        I2I_TRY_GOTO(ice_partition_result_type(pf, src->type, &rtypes[i], err), rc, done);
        at = ice_partition_avro_type(rtypes[i], err);
        if (!at) {
            rc = err ? err->code : I2I_ERR_UNSUPPORTED;
            goto done;
        }
        f = json_pack("{s:s, s:o, s:n, s:i}", "name", pf->name, "type", at, "default", "field-id",
                      (int)pf->field_id);
        if (push(pfields, f) < 0) {
            rc = i2i_error_nomem(err, "manifest");
            goto done;
        }
    }
    schema = ice_manifest_schema(fv, pfields);
    schema_txt = schema ? ice_json_dump(schema) : NULL;
    spec_txt = ice_json_dump(json_object_get(spec_js, "fields"));
    table_schema_txt = ice_json_dump(schema_js);
    if (!schema_txt || !spec_txt || !table_schema_txt) {
        rc = i2i_error_nomem(err, "manifest");
        goto done;
    }
    snprintf(sid, sizeof sid, "%d", (int)t->m.current_schema_id);
    snprintf(specid, sizeof specid, "%d", (int)spec->spec_id);
    snprintf(fvs, sizeof fvs, "%d", fv);
    {
        avro_meta meta[] = {
            {"schema", table_schema_txt}, {"schema-id", sid},     {"partition-spec", spec_txt},
            {"partition-spec-id", specid}, {"format-version", fvs}, {"content", "data"},
        };
        I2I_TRY_GOTO(avro_writer_open(schema_txt, meta, sizeof meta / sizeof meta[0], manifest_codec(t), &w, err),
                     rc, done);
    }
    for (i = 0; i < nfiles; i++) {
        const iceberg_data_file *f = files[i];
        if (f->spec_id != spec->spec_id || f->npartition != spec->nfields) {
            rc = i2i_error_set(err, I2I_ERR_INVALID, "data file %s does not match partition spec %d",
                               f->path, (int)spec->spec_id);
            goto done;
        }
        rc = encode_entry(avro_writer_record(w), fv, f, rtypes, snapshot_id);
        if (rc < 0) {
            i2i_error_nomem(err, "manifest entry");
            goto done;
        }
        I2I_TRY_GOTO(avro_writer_end_record(w, err), rc, done);
        out->added_files++;
        out->added_rows += f->record_count;
        for (k = 0; k < spec->nfields; k++) {
            const iceberg_partition_value *v = &f->partition[k];
            if (v->is_null) {
                sum[k].has_null = 1;
                continue;
            }
            if (!sum[k].has_val || ice_partition_value_cmp(rtypes[k], v, &sum[k].lo) < 0) sum[k].lo = *v;
            if (!sum[k].has_val || ice_partition_value_cmp(rtypes[k], v, &sum[k].hi) > 0) sum[k].hi = *v;
            sum[k].has_val = 1;
        }
    }
    rc = avro_writer_finish(w, &data, &len, err);
    w = NULL;
    if (rc < 0) goto done;

    out->partitions = json_array();
    if (!out->partitions) {
        rc = i2i_error_nomem(err, "manifest");
        goto done;
    }
    for (k = 0; k < spec->nfields; k++) {
        json_t *s = json_pack("{s:b, s:b, s:n, s:n}", "contains_null", sum[k].has_null, "contains_nan", 0,
                              "lower_bound", "upper_bound");
        if (!s || json_array_append_new(out->partitions, s) != 0) {
            rc = i2i_error_nomem(err, "manifest");
            goto done;
        }
        if (sum[k].has_val) {
            if (ice_partition_value_bytes(rtypes[k], &sum[k].lo, &tmp) < 0 || put_bytes_json(s, "lower_bound", &tmp) < 0 ||
                ice_partition_value_bytes(rtypes[k], &sum[k].hi, &tmp) < 0 || put_bytes_json(s, "upper_bound", &tmp) < 0) {
                rc = i2i_error_nomem(err, "manifest");
                goto done;
            }
        }
    }
    I2I_TRY_GOTO(storage_put(t->files, path, data, len, err), rc, done);
    out->path = i2i_strdup(path);
    if (!out->path) {
        rc = i2i_error_nomem(err, "manifest");
        goto done;
    }
    out->length = (int64_t)len;
    out->spec_id = spec->spec_id;
done:
    if (rc < 0) ice_manifest_info_clear(out);
    avro_writer_free(w);
    free(data);
    free(rtypes);
    free(sum);
    free(schema_txt);
    free(spec_txt);
    free(table_schema_txt);
    json_decref(schema);
    json_decref(pfields);
    i2i_buf_free(&tmp);
    return rc;
}

int ice_avro_read_all(storage *s, const char *location, json_t **records, i2i_error *err)
{
    i2i_buf raw = I2I_BUF_INIT;
    avro_reader *r = NULL;
    json_t *arr = json_array(), *rec;
    int rc;
    *records = NULL;
    if (!arr) return i2i_error_nomem(err, "avro");
    I2I_TRY_GOTO(storage_get(s, location, &raw, err), rc, done);
    I2I_TRY_GOTO(avro_reader_open(raw.data, raw.len, location, &r, err), rc, done);
    for (;;) {
        rc = avro_reader_next(r, &rec, err);
        if (rc <= 0) break;
        if (json_array_append_new(arr, rec) != 0) {
            rc = i2i_error_nomem(err, "avro");
            break;
        }
    }
done:
    avro_reader_free(r);
    i2i_buf_free(&raw);
    if (rc < 0) {
        json_decref(arr);
        return rc;
    }
    *records = arr;
    return I2I_OK;
}
