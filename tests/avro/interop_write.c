/*
 * avro_interop_write <dir>: writes, with our Avro writer and the avro_put_* primitives, the files
 * the interop scripts read with independent readers (avsc, Debian python3-avro):
 *
 *   manifest.avro       an Iceberg v2 manifest (deflate), Java 1.8.1's manifest_entry schema with a
 *                       day-partitioned r102, and the Iceberg manifest header keys;
 *   manifest-list.avro  an Iceberg v2 manifest list (deflate), Java 1.8.1's manifest_file schema
 *                       and the manifest-list header keys;
 *   kitchen.avro        every Avro type (floats, doubles with NaN/inf, enum, fixed, named
 *                       reference, string-keyed map with key-id/value-id, nested records), 5000
 *                       records so that the file has two blocks (null codec);
 *
 * and expected.json: for each file, the exact schema text, the header metadata, every
 * field-id/element-id/key-id/value-id/logicalType in the schema (path, attribute, value), and
 * every record's values in the reader's JSON model (avro.h: bytes as {"$bytes": hex}, NaN and
 * infinities as strings). The expected values come from the same C data that was encoded, never
 * from reading the files back.
 *
 * Schemas: §2 of the shared Iceberg spec notes (specs/iceberg.md); the manifest and manifest-list
 * schema texts are the ones Java Iceberg 1.8.1 wrote into the real files of duckdb/duckdb-iceberg
 * (data/persistent/equality_deletes/.../metadata/), with the partition struct changed to a
 * `day` partition (int, logicalType date, field-id 1000).
 */
#include "avro/avro.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

/* ------------------------------------------------------------ schemas */

#define KV(name, id, k, v, vt, doc)                                                                \
    "{\"name\":\"" name "\",\"type\":[\"null\",{\"type\":\"array\",\"items\":{\"type\":\"record\","    \
    "\"name\":\"k" #k "_v" #v "\",\"fields\":[{\"name\":\"key\",\"type\":\"int\",\"field-id\":" #k    \
    "},{\"name\":\"value\",\"type\":\"" vt "\",\"field-id\":" #v "}]},\"logicalType\":\"map\"}],"     \
    "\"doc\":\"" doc "\",\"default\":null,\"field-id\":" #id "}"

static const char MANIFEST_SCHEMA[] =
    "{\"type\":\"record\",\"name\":\"manifest_entry\",\"fields\":["
    "{\"name\":\"status\",\"type\":\"int\",\"field-id\":0},"
    "{\"name\":\"snapshot_id\",\"type\":[\"null\",\"long\"],\"default\":null,\"field-id\":1},"
    "{\"name\":\"sequence_number\",\"type\":[\"null\",\"long\"],\"default\":null,\"field-id\":3},"
    "{\"name\":\"file_sequence_number\",\"type\":[\"null\",\"long\"],\"default\":null,\"field-id\":4},"
    "{\"name\":\"data_file\",\"type\":{\"type\":\"record\",\"name\":\"r2\",\"fields\":["
    "{\"name\":\"content\",\"type\":\"int\",\"doc\":\"Contents of the file: 0=data, 1=position "
    "deletes, 2=equality deletes\",\"field-id\":134},"
    "{\"name\":\"file_path\",\"type\":\"string\",\"doc\":\"Location URI with FS scheme\",\"field-id\":100},"
    "{\"name\":\"file_format\",\"type\":\"string\",\"doc\":\"File format name: avro, orc, or "
    "parquet\",\"field-id\":101},"
    "{\"name\":\"partition\",\"type\":{\"type\":\"record\",\"name\":\"r102\",\"fields\":["
    "{\"name\":\"time_day\",\"type\":[\"null\",{\"type\":\"int\",\"logicalType\":\"date\"}],"
    "\"default\":null,\"field-id\":1000}]},"
    "\"doc\":\"Partition data tuple, schema based on the partition spec\",\"field-id\":102},"
    "{\"name\":\"record_count\",\"type\":\"long\",\"doc\":\"Number of records in the file\","
    "\"field-id\":103},"
    "{\"name\":\"file_size_in_bytes\",\"type\":\"long\",\"doc\":\"Total file size in bytes\","
    "\"field-id\":104},"
    KV("column_sizes", 108, 117, 118, "long", "Map of column id to total size on disk") ","
    KV("value_counts", 109, 119, 120, "long", "Map of column id to total count, including null and NaN") ","
    KV("null_value_counts", 110, 121, 122, "long", "Map of column id to null value count") ","
    KV("nan_value_counts", 137, 138, 139, "long", "Map of column id to number of NaN values in the column") ","
    KV("lower_bounds", 125, 126, 127, "bytes", "Map of column id to lower bound") ","
    KV("upper_bounds", 128, 129, 130, "bytes", "Map of column id to upper bound") ","
    "{\"name\":\"key_metadata\",\"type\":[\"null\",\"bytes\"],\"doc\":\"Encryption key metadata "
    "blob\",\"default\":null,\"field-id\":131},"
    "{\"name\":\"split_offsets\",\"type\":[\"null\",{\"type\":\"array\",\"items\":\"long\","
    "\"element-id\":133}],\"doc\":\"Splittable offsets\",\"default\":null,\"field-id\":132},"
    "{\"name\":\"equality_ids\",\"type\":[\"null\",{\"type\":\"array\",\"items\":\"int\","
    "\"element-id\":136}],\"doc\":\"Equality comparison field IDs\",\"default\":null,\"field-id\":135},"
    "{\"name\":\"sort_order_id\",\"type\":[\"null\",\"int\"],\"doc\":\"Sort order ID\","
    "\"default\":null,\"field-id\":140},"
    "{\"name\":\"referenced_data_file\",\"type\":[\"null\",\"string\"],\"doc\":\"Fully qualified "
    "location (URI with FS scheme) of a data file that all deletes reference\",\"default\":null,"
    "\"field-id\":143}"
    "]},\"field-id\":2}]}";

static const char MANIFEST_LIST_SCHEMA[] =
    "{\"type\":\"record\",\"name\":\"manifest_file\",\"fields\":["
    "{\"name\":\"manifest_path\",\"type\":\"string\",\"doc\":\"Location URI with FS scheme\",\"field-id\":500},"
    "{\"name\":\"manifest_length\",\"type\":\"long\",\"doc\":\"Total file size in bytes\",\"field-id\":501},"
    "{\"name\":\"partition_spec_id\",\"type\":\"int\",\"doc\":\"Spec ID used to write\",\"field-id\":502},"
    "{\"name\":\"content\",\"type\":\"int\",\"doc\":\"Contents of the manifest: 0=data, 1=deletes\","
    "\"field-id\":517},"
    "{\"name\":\"sequence_number\",\"type\":\"long\",\"doc\":\"Sequence number when the manifest was "
    "added\",\"field-id\":515},"
    "{\"name\":\"min_sequence_number\",\"type\":\"long\",\"doc\":\"Lowest sequence number in the "
    "manifest\",\"field-id\":516},"
    "{\"name\":\"added_snapshot_id\",\"type\":\"long\",\"doc\":\"Snapshot ID that added the "
    "manifest\",\"field-id\":503},"
    "{\"name\":\"added_files_count\",\"type\":\"int\",\"doc\":\"Added entry count\",\"field-id\":504},"
    "{\"name\":\"existing_files_count\",\"type\":\"int\",\"doc\":\"Existing entry count\",\"field-id\":505},"
    "{\"name\":\"deleted_files_count\",\"type\":\"int\",\"doc\":\"Deleted entry count\",\"field-id\":506},"
    "{\"name\":\"added_rows_count\",\"type\":\"long\",\"doc\":\"Added rows count\",\"field-id\":512},"
    "{\"name\":\"existing_rows_count\",\"type\":\"long\",\"doc\":\"Existing rows count\",\"field-id\":513},"
    "{\"name\":\"deleted_rows_count\",\"type\":\"long\",\"doc\":\"Deleted rows count\",\"field-id\":514},"
    "{\"name\":\"partitions\",\"type\":[\"null\",{\"type\":\"array\",\"items\":{\"type\":\"record\","
    "\"name\":\"r508\",\"fields\":["
    "{\"name\":\"contains_null\",\"type\":\"boolean\",\"doc\":\"True if any file has a null "
    "partition value\",\"field-id\":509},"
    "{\"name\":\"contains_nan\",\"type\":[\"null\",\"boolean\"],\"doc\":\"True if any file has a nan "
    "partition value\",\"default\":null,\"field-id\":518},"
    "{\"name\":\"lower_bound\",\"type\":[\"null\",\"bytes\"],\"doc\":\"Partition lower bound for all "
    "files\",\"default\":null,\"field-id\":510},"
    "{\"name\":\"upper_bound\",\"type\":[\"null\",\"bytes\"],\"doc\":\"Partition upper bound for all "
    "files\",\"default\":null,\"field-id\":511}]},\"element-id\":508}],\"doc\":\"Summary for each "
    "partition\",\"default\":null,\"field-id\":507},"
    "{\"name\":\"key_metadata\",\"type\":[\"null\",\"bytes\"],\"doc\":\"Encryption key metadata "
    "blob\",\"default\":null,\"field-id\":519}]}";

static const char KITCHEN_SCHEMA[] =
    "{\"type\":\"record\",\"name\":\"kitchen\",\"namespace\":\"i2i.test\",\"fields\":["
    "{\"name\":\"id\",\"type\":\"long\",\"field-id\":1},"
    "{\"name\":\"small\",\"type\":\"int\",\"field-id\":2},"
    "{\"name\":\"flag\",\"type\":\"boolean\",\"field-id\":3},"
    "{\"name\":\"f32\",\"type\":\"float\",\"field-id\":4},"
    "{\"name\":\"f64\",\"type\":\"double\",\"field-id\":5},"
    "{\"name\":\"text\",\"type\":\"string\",\"field-id\":6},"
    "{\"name\":\"blob\",\"type\":\"bytes\",\"field-id\":7},"
    "{\"name\":\"kind\",\"type\":{\"type\":\"enum\",\"name\":\"kind_t\",\"symbols\":[\"DATA\","
    "\"POSITION_DELETES\",\"EQUALITY_DELETES\"]},\"field-id\":8},"
    "{\"name\":\"uuid\",\"type\":{\"type\":\"fixed\",\"name\":\"uuid_fixed\",\"size\":16},\"field-id\":9},"
    "{\"name\":\"uuid_again\",\"type\":[\"null\",\"uuid_fixed\"],\"default\":null,\"field-id\":10},"
    "{\"name\":\"props\",\"type\":{\"type\":\"map\",\"values\":\"long\",\"key-id\":12,"
    "\"value-id\":13},\"field-id\":11},"
    "{\"name\":\"tags\",\"type\":{\"type\":\"array\",\"items\":\"string\",\"element-id\":15},\"field-id\":14},"
    "{\"name\":\"inner\",\"type\":[\"null\",{\"type\":\"record\",\"name\":\"r16\",\"namespace\":\"other\","
    "\"fields\":[{\"name\":\"x\",\"type\":\"double\",\"field-id\":17},{\"name\":\"y\",\"type\":"
    "[\"null\",\"string\",\"long\"],\"default\":null,\"field-id\":18}]}],\"default\":null,\"field-id\":16}"
    "]}";

/* ------------------------------------------------------------ tiny helpers */

static void die(const char *what, const i2i_error *err)
{
    fprintf(stderr, "avro_interop_write: %s: %s\n", what, err ? err->msg : strerror(errno));
    exit(1);
}

static json_t *jbytes(const void *p, size_t n)
{
    char *hex = malloc(n * 2 + 1);
    json_t *v;
    i2i_hex(p, n, hex);
    v = json_pack("{s:s}", "$bytes", hex);
    free(hex);
    return v;
}

static json_t *jreal(double v)
{
    if (isnan(v)) return json_string("NaN");
    if (isinf(v)) return json_string(v > 0 ? "Infinity" : "-Infinity");
    return json_real(v);
}

static void le64(uint8_t out[8], int64_t v) { i2i_store_le64(out, (uint64_t)v); }

/* ------------------------------------------------------------ manifest */

typedef struct kv_long {
    int32_t key;
    int64_t value;
} kv_long;

typedef struct kv_bytes {
    int32_t key;
    const void *value;
    size_t len;
} kv_bytes;

typedef struct entry {
    int32_t status;
    int has_snapshot_id, has_seq;
    int64_t snapshot_id, seq, file_seq;
    int32_t content;
    const char *path;
    int has_day;
    int32_t day;
    int64_t record_count, size;
    int n_sizes, n_values, n_nulls, n_nans, n_lower, n_upper; /* -1 = null */
    kv_long sizes[4], values[4], nulls[4], nans[4];
    kv_bytes lower[4], upper[4];
    int n_splits, n_eq;
    int64_t splits[3];
    int32_t eq[3];
    int has_sort;
    int32_t sort;
    const char *referenced;
} entry;

/* The null branch of an optional (union with null first) field. */
static void put_null(i2i_buf *b, json_t *obj, const char *name)
{
    avro_put_union(b, 0);
    json_object_set_new(obj, name, json_null());
}

/* An optional array of {key: int, value} records (n < 0: null); the values are the longs of kl or,
 * when kl is NULL, the bytes of kb. */
static void put_kv(i2i_buf *b, json_t *obj, const char *name, const kv_long *kl, const kv_bytes *kb,
                   int n)
{
    int i;
    json_t *arr;
    if (n < 0) {
        put_null(b, obj, name);
        return;
    }
    avro_put_union(b, 1);
    arr = json_array();
    if (n > 0) {
        avro_put_long(b, n);
        for (i = 0; i < n; i++) {
            if (kl) {
                avro_put_int(b, kl[i].key);
                avro_put_long(b, kl[i].value);
                json_array_append_new(arr, json_pack("{s:i, s:I}", "key", kl[i].key, "value",
                                                     (json_int_t)kl[i].value));
            } else {
                avro_put_int(b, kb[i].key);
                avro_put_bytes(b, kb[i].value, kb[i].len);
                json_array_append_new(arr, json_pack("{s:i, s:o}", "key", kb[i].key, "value",
                                                     jbytes(kb[i].value, kb[i].len)));
            }
        }
    }
    avro_put_long(b, 0);
    json_object_set_new(obj, name, arr);
}

/* An optional array (n < 0: null) of the longs in longs or, when longs is NULL, the ints in ints. */
static void put_opt_array(i2i_buf *b, json_t *obj, const char *name, const int64_t *longs,
                          const int32_t *ints, int n)
{
    int i;
    json_t *arr;
    if (n < 0) {
        put_null(b, obj, name);
        return;
    }
    avro_put_union(b, 1);
    arr = json_array();
    if (n) avro_put_long(b, n);
    for (i = 0; i < n; i++) {
        if (longs)
            avro_put_long(b, longs[i]);
        else
            avro_put_int(b, ints[i]);
        json_array_append_new(arr, json_integer(longs ? longs[i] : ints[i]));
    }
    avro_put_long(b, 0);
    json_object_set_new(obj, name, arr);
}

static void put_opt_long(i2i_buf *b, json_t *obj, const char *name, int has, int64_t v)
{
    avro_put_union(b, has ? 1 : 0);
    if (has) avro_put_long(b, v);
    json_object_set_new(obj, name, has ? json_integer(v) : json_null());
}

static void put_opt_int(i2i_buf *b, json_t *obj, const char *name, int has, int32_t v)
{
    avro_put_union(b, has ? 1 : 0);
    if (has) avro_put_int(b, v);
    json_object_set_new(obj, name, has ? json_integer(v) : json_null());
}

static json_t *encode_entry(i2i_buf *b, const entry *e)
{
    json_t *top = json_object(), *df = json_object(), *part = json_object();

    avro_put_int(b, e->status);
    json_object_set_new(top, "status", json_integer(e->status));
    put_opt_long(b, top, "snapshot_id", e->has_snapshot_id, e->snapshot_id);
    put_opt_long(b, top, "sequence_number", e->has_seq, e->seq);
    put_opt_long(b, top, "file_sequence_number", e->has_seq, e->file_seq);
    /* data_file */
    avro_put_int(b, e->content);
    json_object_set_new(df, "content", json_integer(e->content));
    avro_put_string(b, e->path);
    json_object_set_new(df, "file_path", json_string(e->path));
    avro_put_string(b, "PARQUET");
    json_object_set_new(df, "file_format", json_string("PARQUET"));
    put_opt_int(b, part, "time_day", e->has_day, e->day);
    json_object_set_new(df, "partition", part);
    avro_put_long(b, e->record_count);
    json_object_set_new(df, "record_count", json_integer(e->record_count));
    avro_put_long(b, e->size);
    json_object_set_new(df, "file_size_in_bytes", json_integer(e->size));
    put_kv(b, df, "column_sizes", e->sizes, NULL, e->n_sizes);
    put_kv(b, df, "value_counts", e->values, NULL, e->n_values);
    put_kv(b, df, "null_value_counts", e->nulls, NULL, e->n_nulls);
    put_kv(b, df, "nan_value_counts", e->nans, NULL, e->n_nans);
    put_kv(b, df, "lower_bounds", NULL, e->lower, e->n_lower);
    put_kv(b, df, "upper_bounds", NULL, e->upper, e->n_upper);
    put_null(b, df, "key_metadata");
    put_opt_array(b, df, "split_offsets", e->splits, NULL, e->n_splits);
    put_opt_array(b, df, "equality_ids", NULL, e->eq, e->n_eq);
    put_opt_int(b, df, "sort_order_id", e->has_sort, e->sort);
    avro_put_union(b, e->referenced ? 1 : 0);
    if (e->referenced) avro_put_string(b, e->referenced);
    json_object_set_new(df, "referenced_data_file",
                        e->referenced ? json_string(e->referenced) : json_null());
    json_object_set_new(top, "data_file", df);
    return top;
}

/* ------------------------------------------------------------ manifest list */

typedef struct summary {
    int contains_null, has_nan, contains_nan;
    const void *lower, *upper;
    size_t lower_len, upper_len;
} summary;

typedef struct manifest_file {
    const char *path;
    int64_t length;
    int32_t spec_id, content;
    int64_t seq, min_seq, snapshot;
    int32_t added_files, existing_files, deleted_files;
    int64_t added_rows, existing_rows, deleted_rows;
    int n_parts; /* -1 = null */
    summary parts[2];
    const char *key_metadata;
} manifest_file;

static json_t *encode_manifest_file(i2i_buf *b, const manifest_file *m)
{
    json_t *o = json_object(), *arr;
    int i;
    avro_put_string(b, m->path);
    avro_put_long(b, m->length);
    avro_put_int(b, m->spec_id);
    avro_put_int(b, m->content);
    avro_put_long(b, m->seq);
    avro_put_long(b, m->min_seq);
    avro_put_long(b, m->snapshot);
    avro_put_int(b, m->added_files);
    avro_put_int(b, m->existing_files);
    avro_put_int(b, m->deleted_files);
    avro_put_long(b, m->added_rows);
    avro_put_long(b, m->existing_rows);
    avro_put_long(b, m->deleted_rows);
    json_object_set_new(o, "manifest_path", json_string(m->path));
    json_object_set_new(o, "manifest_length", json_integer(m->length));
    json_object_set_new(o, "partition_spec_id", json_integer(m->spec_id));
    json_object_set_new(o, "content", json_integer(m->content));
    json_object_set_new(o, "sequence_number", json_integer(m->seq));
    json_object_set_new(o, "min_sequence_number", json_integer(m->min_seq));
    json_object_set_new(o, "added_snapshot_id", json_integer(m->snapshot));
    json_object_set_new(o, "added_files_count", json_integer(m->added_files));
    json_object_set_new(o, "existing_files_count", json_integer(m->existing_files));
    json_object_set_new(o, "deleted_files_count", json_integer(m->deleted_files));
    json_object_set_new(o, "added_rows_count", json_integer(m->added_rows));
    json_object_set_new(o, "existing_rows_count", json_integer(m->existing_rows));
    json_object_set_new(o, "deleted_rows_count", json_integer(m->deleted_rows));
    if (m->n_parts < 0) {
        put_null(b, o, "partitions");
    } else {
        avro_put_union(b, 1);
        arr = json_array();
        if (m->n_parts) avro_put_long(b, m->n_parts);
        for (i = 0; i < m->n_parts; i++) {
            const summary *s = &m->parts[i];
            avro_put_boolean(b, s->contains_null);
            avro_put_union(b, s->has_nan ? 1 : 0);
            if (s->has_nan) avro_put_boolean(b, s->contains_nan);
            avro_put_union(b, s->lower ? 1 : 0);
            if (s->lower) avro_put_bytes(b, s->lower, s->lower_len);
            avro_put_union(b, s->upper ? 1 : 0);
            if (s->upper) avro_put_bytes(b, s->upper, s->upper_len);
            json_array_append_new(
                arr, json_pack("{s:b, s:o, s:o, s:o}", "contains_null", s->contains_null,
                               "contains_nan", s->has_nan ? json_boolean(s->contains_nan) : json_null(),
                               "lower_bound", s->lower ? jbytes(s->lower, s->lower_len) : json_null(),
                               "upper_bound", s->upper ? jbytes(s->upper, s->upper_len) : json_null()));
        }
        avro_put_long(b, 0);
        json_object_set_new(o, "partitions", arr);
    }
    avro_put_union(b, m->key_metadata ? 1 : 0);
    if (m->key_metadata) avro_put_bytes(b, m->key_metadata, strlen(m->key_metadata));
    json_object_set_new(o, "key_metadata", m->key_metadata
                                               ? jbytes(m->key_metadata, strlen(m->key_metadata))
                                               : json_null());
    return o;
}

/* ------------------------------------------------------------ kitchen sink */

static json_t *encode_kitchen(i2i_buf *b, int k)
{
    static const double specials[] = {0.0, -0.0, 1e308, -4.9e-324, 2.5};
    json_t *o = json_object(), *props = json_object(), *tags = json_array();
    uint8_t uuid[16];
    char text[64], blob[8];
    double f64;
    float f32;
    int i, ntags = k % 4;
    int64_t id = (k % 2 ? -1 : 1) * ((int64_t)k * INT64_C(1844674407370955) + k);

    if (k == 0) id = INT64_MAX;
    if (k == 1) id = INT64_MIN;
    avro_put_long(b, id);
    json_object_set_new(o, "id", json_integer(id));
    avro_put_int(b, k % 3 == 0 ? -k : k * 1000);
    json_object_set_new(o, "small", json_integer(k % 3 == 0 ? -k : k * 1000));
    avro_put_boolean(b, k % 5 == 0);
    json_object_set_new(o, "flag", json_boolean(k % 5 == 0));
    f32 = k == 2 ? NAN : k == 3 ? -INFINITY : (float)k * -0.1f;
    avro_put_float(b, f32);
    json_object_set_new(o, "f32", jreal((double)f32));
    f64 = k < 5 ? specials[k] : k == 5 ? NAN : k == 6 ? INFINITY : (double)k / 3.0;
    avro_put_double(b, f64);
    json_object_set_new(o, "f64", jreal(f64));
    snprintf(text, sizeof text, k % 10 == 0 ? "z\xc3\xbcrich-\xe2\x82\xac-%d" : "row %d", k);
    avro_put_string(b, text);
    json_object_set_new(o, "text", json_string(text));
    for (i = 0; i < (int)sizeof blob; i++) blob[i] = (char)(k * 31 + i * 77);
    avro_put_bytes(b, blob, (size_t)(k % 9));
    json_object_set_new(o, "blob", jbytes(blob, (size_t)(k % 9)));
    avro_put_int(b, k % 3);
    json_object_set_new(o, "kind", json_string(k % 3 == 0   ? "DATA"
                                               : k % 3 == 1 ? "POSITION_DELETES"
                                                            : "EQUALITY_DELETES"));
    for (i = 0; i < 16; i++) uuid[i] = (uint8_t)(k + i * 16);
    i2i_buf_append(b, uuid, 16);
    json_object_set_new(o, "uuid", jbytes(uuid, 16));
    avro_put_union(b, k % 2);
    if (k % 2) i2i_buf_append(b, uuid, 16);
    json_object_set_new(o, "uuid_again", k % 2 ? jbytes(uuid, 16) : json_null());
    if (k % 3) {
        avro_put_long(b, k % 3);
        for (i = 0; i < k % 3; i++) {
            char key[16];
            snprintf(key, sizeof key, "p%d", i);
            avro_put_string(b, key);
            avro_put_long(b, (int64_t)k * i - 7);
            json_object_set_new(props, key, json_integer((int64_t)k * i - 7));
        }
    }
    avro_put_long(b, 0);
    json_object_set_new(o, "props", props);
    if (ntags) avro_put_long(b, ntags);
    for (i = 0; i < ntags; i++) {
        char tag[16];
        snprintf(tag, sizeof tag, "t%d", i);
        avro_put_string(b, tag);
        json_array_append_new(tags, json_string(tag));
    }
    avro_put_long(b, 0);
    json_object_set_new(o, "tags", tags);
    if (k % 4 == 3) {
        put_null(b, o, "inner");
    } else {
        avro_put_union(b, 1);
        avro_put_double(b, k * 0.5);
        avro_put_union(b, k % 4);
        if (k % 4 == 1) avro_put_string(b, "why");
        if (k % 4 == 2) avro_put_long(b, -(int64_t)k);
        json_object_set_new(o, "inner", json_pack("{s:f, s:o}", "x", k * 0.5, "y",
                                                  k % 4 == 1   ? json_string("why")
                                                  : k % 4 == 2 ? json_integer(-(json_int_t)k)
                                                               : json_null()));
    }
    return o;
}

/* ------------------------------------------------------------ ids */

/* Every id-like attribute of the schema, depth first in field order: [path, attribute, value].
 * Paths join field names with '.', with "[]" for array items and "{}" for map values; unions are
 * transparent. Named references (strings) are not followed. */
static void collect_ids(const json_t *s, const char *path, json_t *out)
{
    static const char *attrs[] = {"element-id", "key-id", "value-id", "logicalType"};
    size_t i;
    char sub[512];
    if (json_is_array(s)) {
        for (i = 0; i < json_array_size(s); i++) collect_ids(json_array_get(s, i), path, out);
        return;
    }
    if (!json_is_object(s)) return;
    for (i = 0; i < sizeof attrs / sizeof attrs[0]; i++) {
        json_t *v = json_object_get(s, attrs[i]);
        if (v) json_array_append_new(out, json_pack("[s, s, O]", path, attrs[i], v));
    }
    if (json_is_array(json_object_get(s, "fields"))) {
        const json_t *fields = json_object_get(s, "fields");
        for (i = 0; i < json_array_size(fields); i++) {
            const json_t *f = json_array_get(fields, i);
            const char *name = json_string_value(json_object_get(f, "name"));
            snprintf(sub, sizeof sub, "%s%s%s", path, *path ? "." : "", name);
            if (json_object_get(f, "field-id"))
                json_array_append_new(out, json_pack("[s, s, O]", sub, "field-id",
                                                     json_object_get(f, "field-id")));
            collect_ids(json_object_get(f, "type"), sub, out);
        }
    }
    if (json_object_get(s, "items")) {
        snprintf(sub, sizeof sub, "%s[]", path);
        collect_ids(json_object_get(s, "items"), sub, out);
    }
    if (json_object_get(s, "values")) {
        snprintf(sub, sizeof sub, "%s{}", path);
        collect_ids(json_object_get(s, "values"), sub, out);
    }
}

/* ------------------------------------------------------------ files */

typedef json_t *(*encode_fn)(i2i_buf *b, int k, const void *data);

static json_t *enc_entry(i2i_buf *b, int k, const void *data)
{
    return encode_entry(b, (const entry *)data + k);
}
static json_t *enc_mf(i2i_buf *b, int k, const void *data)
{
    return encode_manifest_file(b, (const manifest_file *)data + k);
}
static json_t *enc_kitchen(i2i_buf *b, int k, const void *data)
{
    (void)data;
    return encode_kitchen(b, k);
}

static void write_file(const char *dir, const char *name, const char *schema, const avro_meta *meta,
                       size_t nmeta, avro_codec codec, int n, encode_fn fn, const void *data,
                       json_t *files)
{
    avro_writer *w;
    i2i_error err;
    uint8_t *bytes;
    size_t len, i;
    json_t *records = json_array(), *jmeta = json_object(), *ids = json_array(), *parsed;
    char path[1024];
    FILE *f;
    int k;

    if (avro_writer_open(schema, meta, nmeta, codec, &w, &err) < 0) die(name, &err);
    for (k = 0; k < n; k++) {
        json_array_append_new(records, fn(avro_writer_record(w), k, data));
        if (avro_writer_end_record(w, &err) < 0) die(name, &err);
    }
    if (avro_writer_finish(w, &bytes, &len, &err) < 0) die(name, &err);
    snprintf(path, sizeof path, "%s/%s", dir, name);
    f = fopen(path, "wb");
    if (!f || fwrite(bytes, 1, len, f) != len || fclose(f) != 0) die(path, NULL);
    free(bytes);

    for (i = 0; i < nmeta; i++) json_object_set_new(jmeta, meta[i].key, json_string(meta[i].value));
    json_object_set_new(jmeta, "avro.codec", json_string(codec == AVRO_CODEC_DEFLATE ? "deflate" : "null"));
    parsed = json_loads(schema, 0, NULL);
    collect_ids(parsed, "", ids);
    json_decref(parsed);
    json_array_append_new(files, json_pack("{s:s, s:s, s:o, s:o, s:o}", "file", name, "schema",
                                           schema, "meta", jmeta, "ids", ids, "records", records));
}

int main(int argc, char **argv)
{
    static const uint8_t ts_lo[8] = {0x40, 0xef, 0xd4, 0x4c, 0xbc, 0xfb, 0x05, 0x00};
    static const uint8_t ts_hi[8] = {0x00, 0x7a, 0x1a, 0x6f, 0x7f, 0x03, 0x06, 0x00};
    static const uint8_t d_lo[8] = {0, 0, 0, 0, 0, 0, 0xf0, 0xbf}; /* -1.0 */
    static const uint8_t d_hi[8] = {0, 0, 0, 0, 0, 0, 0x59, 0x40}; /* 100.0 */
    static const uint8_t day_lo[4] = {0xdb, 0x4c, 0, 0};           /* 19675 */
    static const uint8_t day_hi[4] = {0xdd, 0x4c, 0, 0};           /* 19677 */
    uint8_t big_neg[8];
    entry entries[3];
    manifest_file mfs[3];
    json_t *files = json_array(), *top;
    char path[1024];

    if (argc != 2) {
        fprintf(stderr, "usage: avro_interop_write <dir>\n");
        return 2;
    }
    le64(big_neg, INT64_MIN);
    memset(entries, 0, sizeof entries);
    entries[0] = (entry){
        .status = 1, .has_snapshot_id = 1, .snapshot_id = INT64_C(8744736658442914487),
        .content = 0,
        .path = "s3://warehouse/db/cpu/data/time_day=2023-11-14/00000-0-6b55fc2b-ce03-407e-9585-"
                "336c4675e611-00001.parquet",
        .has_day = 1, .day = 19675, .record_count = 1000, .size = 123456,
        .n_sizes = 3, .sizes = {{1, 8000}, {2, 1500}, {3, 8000}},
        .n_values = 3, .values = {{1, 1000}, {2, 1000}, {3, 1000}},
        .n_nulls = 3, .nulls = {{1, 0}, {2, 12}, {3, 0}},
        .n_nans = 1, .nans = {{3, 0}},
        .n_lower = 3, .lower = {{1, ts_lo, 8}, {2, "a", 1}, {3, d_lo, 8}},
        .n_upper = 3, .upper = {{1, ts_hi, 8}, {2, "zz-top", 6}, {3, d_hi, 8}},
        .n_splits = 1, .splits = {4}, .n_eq = -1, .has_sort = 1, .sort = 0};
    entries[1] = (entry){
        .status = 1, .has_snapshot_id = 1, .snapshot_id = INT64_MAX, .content = 0,
        .path = "s3://warehouse/db/cpu/data/time_day=null/00001-1-x.parquet",
        .has_day = 0, .record_count = 1, .size = 4,
        .n_sizes = -1, .n_values = 0, .n_nulls = -1, .n_nans = 0,
        .n_lower = 1, .lower = {{2, "h\xc3\xa9", 3}}, .n_upper = 1, .upper = {{2, big_neg, 8}},
        .n_splits = 2, .splits = {4, INT64_C(67108868)}, .n_eq = -1, .has_sort = 0};
    entries[2] = (entry){
        .status = 0, .has_snapshot_id = 1, .snapshot_id = 42, .has_seq = 1, .seq = 3,
        .file_seq = 2, .content = 2, .path = "s3://warehouse/db/cpu/data/eq-delete.parquet",
        .has_day = 1, .day = -1, .record_count = 7, .size = 999,
        .n_sizes = 0, .n_values = 0, .n_nulls = 0, .n_nans = -1, .n_lower = -1, .n_upper = 0,
        .n_splits = -1, .n_eq = 2, .eq = {1, 2}, .has_sort = 1, .sort = 1,
        .referenced = "s3://warehouse/db/cpu/data/00000-0-6b55fc2b.parquet"};
    memset(mfs, 0, sizeof mfs);
    mfs[0] = (manifest_file){
        .path = "s3://warehouse/db/cpu/metadata/6b55fc2b-ce03-407e-9585-336c4675e611-m0.avro",
        .length = 7288, .spec_id = 0, .content = 0, .seq = 5, .min_seq = 5,
        .snapshot = INT64_C(3138177759849079112), .added_files = 2, .added_rows = 1001,
        .n_parts = 1,
        .parts = {{.contains_null = 1, .has_nan = 1, .contains_nan = 0, .lower = day_lo,
                   .lower_len = 4, .upper = day_hi, .upper_len = 4}}};
    mfs[1] = (manifest_file){
        .path = "s3://warehouse/db/cpu/metadata/old-m0.avro", .length = 5006, .spec_id = 0,
        .content = 1, .seq = 1, .min_seq = 1, .snapshot = 1, .existing_files = 3,
        .deleted_files = 1, .existing_rows = INT64_C(5000000000), .deleted_rows = 17,
        .n_parts = 2,
        .parts = {{.contains_null = 0, .has_nan = 0}, {.contains_null = 1, .has_nan = 1,
                                                       .contains_nan = 1, .lower = "", .lower_len = 0}},
        .key_metadata = "\x01\x02k"};
    mfs[2] = (manifest_file){.path = "s3://warehouse/db/cpu/metadata/unpartitioned-m0.avro",
                             .length = 1, .spec_id = 7, .content = 0, .seq = 2, .min_seq = 1,
                             .snapshot = INT64_MIN, .n_parts = 0};
    {
        avro_meta meta[] = {
            {"schema", "{\"type\":\"struct\",\"schema-id\":0,\"fields\":[{\"id\":1,\"name\":\"time\","
                       "\"required\":true,\"type\":\"timestamp\"},{\"id\":2,\"name\":\"host\","
                       "\"required\":false,\"type\":\"string\"},{\"id\":3,\"name\":\"usage\","
                       "\"required\":false,\"type\":\"double\"}]}"},
            {"schema-id", "0"},
            {"partition-spec", "[{\"name\":\"time_day\",\"transform\":\"day\",\"source-id\":1,"
                               "\"field-id\":1000}]"},
            {"partition-spec-id", "0"},
            {"format-version", "2"},
            {"content", "data"},
        };
        write_file(argv[1], "manifest.avro", MANIFEST_SCHEMA, meta, 6, AVRO_CODEC_DEFLATE, 3,
                   enc_entry, entries, files);
    }
    {
        avro_meta meta[] = {
            {"snapshot-id", "3138177759849079112"},
            {"parent-snapshot-id", "null"},
            {"sequence-number", "5"},
            {"format-version", "2"},
        };
        write_file(argv[1], "manifest-list.avro", MANIFEST_LIST_SCHEMA, meta, 4,
                   AVRO_CODEC_DEFLATE, 3, enc_mf, mfs, files);
    }
    {
        avro_meta meta[] = {{"purpose", "every Avro type"}};
        write_file(argv[1], "kitchen.avro", KITCHEN_SCHEMA, meta, 1, AVRO_CODEC_NULL, 5000,
                   enc_kitchen, NULL, files);
    }
    top = json_pack("{s:o}", "files", files);
    snprintf(path, sizeof path, "%s/expected.json", argv[1]);
    if (json_dump_file(top, path, JSON_INDENT(1)) != 0) die(path, NULL);
    json_decref(top);
    return 0;
}
