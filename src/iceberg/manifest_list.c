/* Manifest lists (Avro, record manifest_file): the new manifests first, then every record of the
 * parent snapshot's list re-emitted unchanged (fast append never rewrites existing manifests). */
#include "internal.h"

#include "../avro/avro.h"

#include <stdlib.h>

static const char *ml_schema_v2 =
    "{\"type\":\"record\",\"name\":\"manifest_file\",\"fields\":["
    "{\"name\":\"manifest_path\",\"type\":\"string\",\"field-id\":500},"
    "{\"name\":\"manifest_length\",\"type\":\"long\",\"field-id\":501},"
    "{\"name\":\"partition_spec_id\",\"type\":\"int\",\"field-id\":502},"
    "{\"name\":\"content\",\"type\":\"int\",\"field-id\":517},"
    "{\"name\":\"sequence_number\",\"type\":\"long\",\"field-id\":515},"
    "{\"name\":\"min_sequence_number\",\"type\":\"long\",\"field-id\":516},"
    "{\"name\":\"added_snapshot_id\",\"type\":\"long\",\"field-id\":503},"
    "{\"name\":\"added_files_count\",\"type\":\"int\",\"field-id\":504},"
    "{\"name\":\"existing_files_count\",\"type\":\"int\",\"field-id\":505},"
    "{\"name\":\"deleted_files_count\",\"type\":\"int\",\"field-id\":506},"
    "{\"name\":\"added_rows_count\",\"type\":\"long\",\"field-id\":512},"
    "{\"name\":\"existing_rows_count\",\"type\":\"long\",\"field-id\":513},"
    "{\"name\":\"deleted_rows_count\",\"type\":\"long\",\"field-id\":514},"
    "{\"name\":\"partitions\",\"type\":[\"null\",{\"type\":\"array\",\"items\":{\"type\":\"record\","
    "\"name\":\"r508\",\"fields\":["
    "{\"name\":\"contains_null\",\"type\":\"boolean\",\"field-id\":509},"
    "{\"name\":\"contains_nan\",\"type\":[\"null\",\"boolean\"],\"default\":null,\"field-id\":518},"
    "{\"name\":\"lower_bound\",\"type\":[\"null\",\"bytes\"],\"default\":null,\"field-id\":510},"
    "{\"name\":\"upper_bound\",\"type\":[\"null\",\"bytes\"],\"default\":null,\"field-id\":511}]},"
    "\"element-id\":508}],\"default\":null,\"field-id\":507},"
    "{\"name\":\"key_metadata\",\"type\":[\"null\",\"bytes\"],\"default\":null,\"field-id\":519}";

static const char *ml_schema_v3_tail =
    ",{\"name\":\"first_row_id\",\"type\":[\"null\",\"long\"],\"default\":null,\"field-id\":520}";

/* Integer member, trying alternative names (old Java spellings); -2 when absent or null. */
static int get_i(const json_t *rec, const char *a, const char *b, int64_t dflt, int required,
                 int64_t *out, const char *path, i2i_error *err)
{
    const json_t *v = json_object_get(rec, a);
    if ((!v || json_is_null(v)) && b) v = json_object_get(rec, b);
    if (!v || json_is_null(v)) {
        if (required)
            return i2i_error_set(err, I2I_ERR_UNSUPPORTED,
                                 "manifest list entry for %s has no '%s' (written by a v1 writer?)",
                                 path, a);
        *out = dflt;
        return I2I_OK;
    }
    if (!json_is_integer(v))
        return i2i_error_set(err, I2I_ERR_FORMAT, "manifest list entry for %s: '%s' is not an integer", path, a);
    *out = json_integer_value(v);
    return I2I_OK;
}

static int put_opt_bytes(i2i_buf *b, const json_t *v, i2i_buf *tmp, i2i_error *err)
{
    if (!v || json_is_null(v)) return avro_put_union(b, 0);
    I2I_TRY(avro_json_bytes(v, tmp, err));
    I2I_TRY(avro_put_union(b, 1));
    return avro_put_bytes(b, tmp->data, tmp->len);
}

static int encode_record(i2i_buf *b, int fv, const json_t *rec, int64_t first_row_id,
                         i2i_buf *tmp, i2i_error *err)
{
    const char *path = ice_json_str(rec, "manifest_path");
    const json_t *parts = json_object_get(rec, "partitions"), *p;
    int64_t v;
    size_t i;
    if (!path) return i2i_error_set(err, I2I_ERR_FORMAT, "manifest list entry without manifest_path");
#define NOMEM_IF(x)                                                                                \
    do {                                                                                           \
        if ((x) < 0) return i2i_error_nomem(err, "manifest list");                                 \
    } while (0)
    NOMEM_IF(avro_put_string(b, path));
    I2I_TRY(get_i(rec, "manifest_length", NULL, 0, 1, &v, path, err));
    NOMEM_IF(avro_put_long(b, v));
    I2I_TRY(get_i(rec, "partition_spec_id", NULL, 0, 0, &v, path, err));
    NOMEM_IF(avro_put_int(b, (int32_t)v));
    I2I_TRY(get_i(rec, "content", NULL, 0, 0, &v, path, err));
    NOMEM_IF(avro_put_int(b, (int32_t)v));
    I2I_TRY(get_i(rec, "sequence_number", NULL, 0, 0, &v, path, err));
    NOMEM_IF(avro_put_long(b, v));
    I2I_TRY(get_i(rec, "min_sequence_number", NULL, 0, 0, &v, path, err));
    NOMEM_IF(avro_put_long(b, v));
    I2I_TRY(get_i(rec, "added_snapshot_id", NULL, 0, 1, &v, path, err));
    NOMEM_IF(avro_put_long(b, v));
    I2I_TRY(get_i(rec, "added_files_count", "added_data_files_count", 0, 1, &v, path, err));
    NOMEM_IF(avro_put_int(b, (int32_t)v));
    I2I_TRY(get_i(rec, "existing_files_count", "existing_data_files_count", 0, 1, &v, path, err));
    NOMEM_IF(avro_put_int(b, (int32_t)v));
    I2I_TRY(get_i(rec, "deleted_files_count", "deleted_data_files_count", 0, 1, &v, path, err));
    NOMEM_IF(avro_put_int(b, (int32_t)v));
    I2I_TRY(get_i(rec, "added_rows_count", NULL, 0, 1, &v, path, err));
    NOMEM_IF(avro_put_long(b, v));
    I2I_TRY(get_i(rec, "existing_rows_count", NULL, 0, 1, &v, path, err));
    NOMEM_IF(avro_put_long(b, v));
    I2I_TRY(get_i(rec, "deleted_rows_count", NULL, 0, 1, &v, path, err));
    NOMEM_IF(avro_put_long(b, v));
    if (!json_is_array(parts)) {
        NOMEM_IF(avro_put_union(b, 0));
    } else {
        NOMEM_IF(avro_put_union(b, 1));
        if (json_array_size(parts)) {
            NOMEM_IF(avro_put_long(b, (int64_t)json_array_size(parts)));
            json_array_foreach(parts, i, p)
            {
                const json_t *nan = json_object_get(p, "contains_nan");
                NOMEM_IF(avro_put_boolean(b, json_is_true(json_object_get(p, "contains_null"))));
                if (json_is_boolean(nan)) {
                    NOMEM_IF(avro_put_union(b, 1));
                    NOMEM_IF(avro_put_boolean(b, json_is_true(nan)));
                } else {
                    NOMEM_IF(avro_put_union(b, 0));
                }
                I2I_TRY(put_opt_bytes(b, json_object_get(p, "lower_bound"), tmp, err));
                I2I_TRY(put_opt_bytes(b, json_object_get(p, "upper_bound"), tmp, err));
            }
        }
        NOMEM_IF(avro_put_long(b, 0));
    }
    I2I_TRY(put_opt_bytes(b, json_object_get(rec, "key_metadata"), tmp, err));
    if (fv >= 3) {
        if (first_row_id >= 0) {
            NOMEM_IF(avro_put_union(b, 1));
            NOMEM_IF(avro_put_long(b, first_row_id));
        } else {
            NOMEM_IF(avro_put_union(b, 0));
        }
    }
#undef NOMEM_IF
    return I2I_OK;
}

int ice_manifest_list_write(iceberg_table *t, const char *path, int64_t snapshot_id,
                            int64_t parent_id, int64_t seq, int64_t first_row_id,
                            const ice_manifest_info *added, size_t nadded,
                            ice_manifest_list_result *res, i2i_error *err)
{
    int fv = t->m.format_version, rc = I2I_OK;
    json_t *records = json_array(), *old = NULL, *rec;
    char *schema = NULL;
    char sid[24], pid[24], sq[24], fvs[8], frid[24];
    avro_writer *w = NULL;
    uint8_t *data = NULL;
    size_t len = 0, i;
    int64_t next_row = first_row_id;
    i2i_buf tmp = I2I_BUF_INIT;

    memset(res, 0, sizeof *res);
    if (!records) return i2i_error_nomem(err, "manifest list");
    for (i = 0; i < nadded; i++) {
        rec = json_pack("{s:s, s:I, s:i, s:i, s:I, s:I, s:I, s:i, s:i, s:i, s:I, s:I, s:I, s:O, s:n}",
                        "manifest_path", added[i].path, "manifest_length", (json_int_t)added[i].length,
                        "partition_spec_id", (int)added[i].spec_id, "content", 0, "sequence_number",
                        (json_int_t)seq, "min_sequence_number", (json_int_t)seq, "added_snapshot_id",
                        (json_int_t)snapshot_id, "added_files_count", (int)added[i].added_files,
                        "existing_files_count", 0, "deleted_files_count", 0, "added_rows_count",
                        (json_int_t)added[i].added_rows, "existing_rows_count", (json_int_t)0,
                        "deleted_rows_count", (json_int_t)0, "partitions", added[i].partitions,
                        "key_metadata");
        if (!rec || json_array_append_new(records, rec) != 0) {
            rc = i2i_error_nomem(err, "manifest list");
            goto done;
        }
    }
    if (parent_id >= 0) {
        const iceberg_snapshot *ps = iceberg_table_snapshot(t, parent_id);
        if (!ps || !ps->manifest_list) {
            rc = i2i_error_set(err, I2I_ERR_UNSUPPORTED,
                               "parent snapshot %lld has no manifest list (v1 inline manifests?)",
                               (long long)parent_id);
            goto done;
        }
        rc = ice_avro_read_all(t->files, ps->manifest_list, &old, err);
        if (rc < 0) {
            i2i_error_wrap(err, "reading the parent's manifest list");
            goto done;
        }
        json_array_foreach(old, i, rec)
        {
            if (json_array_append(records, rec) != 0) {
                rc = i2i_error_nomem(err, "manifest list");
                goto done;
            }
        }
    }

    len = strlen(ml_schema_v2) + strlen(ml_schema_v3_tail) + 4;
    schema = malloc(len);
    if (!schema) {
        rc = i2i_error_nomem(err, "manifest list");
        goto done;
    }
    snprintf(schema, len, "%s%s]}", ml_schema_v2, fv >= 3 ? ml_schema_v3_tail : "");
    snprintf(sid, sizeof sid, "%lld", (long long)snapshot_id);
    if (parent_id >= 0) snprintf(pid, sizeof pid, "%lld", (long long)parent_id);
    else snprintf(pid, sizeof pid, "null");
    snprintf(sq, sizeof sq, "%lld", (long long)seq);
    snprintf(fvs, sizeof fvs, "%d", fv);
    snprintf(frid, sizeof frid, "%lld", (long long)first_row_id);
    {
        avro_meta meta[] = {
            {"snapshot-id", sid}, {"parent-snapshot-id", pid}, {"sequence-number", sq},
            {"format-version", fvs}, {"first-row-id", frid},
        };
        I2I_TRY_GOTO(avro_writer_open(schema, meta, fv >= 3 ? 5 : 4, AVRO_CODEC_DEFLATE, &w, err), rc, done);
    }
    json_array_foreach(records, i, rec)
    {
        int64_t frow = -1, content = 0, added_rows = 0, existing_rows = 0;
        if (fv >= 3) {
            const json_t *fr = json_object_get(rec, "first_row_id");
            ice_json_int(rec, "content", 0, &content, "manifest list", NULL);
            if (json_is_integer(fr)) {
                frow = json_integer_value(fr);
            } else if (content == 0) {
                /* spec "First Row ID Assignment": data manifests without one get the next ids */
                ice_json_int(rec, "added_rows_count", 0, &added_rows, "manifest list", NULL);
                ice_json_int(rec, "existing_rows_count", 0, &existing_rows, "manifest list", NULL);
                frow = next_row;
                next_row += added_rows + existing_rows;
            }
        }
        I2I_TRY_GOTO(encode_record(avro_writer_record(w), fv, rec, frow, &tmp, err), rc, done);
        I2I_TRY_GOTO(avro_writer_end_record(w, err), rc, done);
    }
    rc = avro_writer_finish(w, &data, &len, err);
    w = NULL;
    if (rc < 0) goto done;
    I2I_TRY_GOTO(storage_put(t->files, path, data, len, err), rc, done);
    res->added_rows = fv >= 3 ? next_row - first_row_id : 0;
done:
    avro_writer_free(w);
    free(data);
    free(schema);
    json_decref(records);
    json_decref(old);
    i2i_buf_free(&tmp);
    return rc;
}
