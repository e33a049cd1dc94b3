/*
 * Shared declarations of the iceberg layer's files (not part of the public API; tests use them).
 */
#ifndef I2I_ICEBERG_INTERNAL_H
#define I2I_ICEBERG_INTERNAL_H

#include "iceberg.h"

#define ICE_PARTITION_FIELD_ID_START 1000
#define ICE_DEFAULT_TARGET_FILE_BYTES (INT64_C(512) * 1024 * 1024)
#define ICE_DEFAULT_METADATA_PREVIOUS_MAX 100

/* ---------------------------------------------------------------- json helpers (json.c) */

/* Integer member or `dflt` when absent/null; I2I_ERR_FORMAT when present with another type. */
int ice_json_int(const json_t *obj, const char *key, int64_t dflt, int64_t *out, const char *ctx,
                 i2i_error *err);
/* Required integer member. */
int ice_json_req_int(const json_t *obj, const char *key, int64_t *out, const char *ctx,
                     i2i_error *err);
/* String member or NULL. */
const char *ice_json_str(const json_t *obj, const char *key);
/* Set obj[key] = value (stealing the reference); NOMEM on failure. */
int ice_json_set(json_t *obj, const char *key, json_t *value, i2i_error *err);
/* Compact JSON text of v (malloc'd) or NULL on NOMEM. */
char *ice_json_dump(const json_t *v);

/* ---------------------------------------------------------------- schema (schema.c) */

/* Parse a schema object; names point into js, which must outlive the schema. */
int ice_schema_parse(const json_t *js, iceberg_schema *out, i2i_error *err);
void ice_schema_clear(iceberg_schema *s);
/* Schema JSON for new tables: {"type":"struct","schema-id":id,"fields":[...]}. */
json_t *ice_schema_json_new(int32_t schema_id, const iceberg_column_def *cols, size_t n,
                            int32_t first_id);
/* A field object. */
json_t *ice_field_json(int32_t id, const char *name, int required, iceberg_type type);
/* Is the type writable by the data writer (flat, known, version-compatible)? */
int ice_type_v3_only(iceberg_type t);
/* Apply a schema change to a metadata document in place (new schema appended, current-schema-id
 * and last-column-id updated). *changed = 0 when nothing had to change. */
int ice_schema_apply_change(json_t *md, const iceberg_schema *current, int format_version,
                            const iceberg_schema_change *ch, int *changed, i2i_error *err);

/* ---------------------------------------------------------------- partitions (partition.c) */

int ice_spec_parse(const json_t *js, iceberg_partition_spec *out, i2i_error *err);
void ice_spec_clear(iceberg_partition_spec *s);
iceberg_transform_id ice_transform_parse(const char *s, int32_t *param);
/* Transform text as written in metadata ("day", "bucket[16]"). */
const char *ice_transform_format(iceberg_transform_id t, int32_t param, char *out, size_t outsz);
/* Result type of a partition field given its source type; I2I_ERR_UNSUPPORTED when the transform
 * cannot apply (or is one the writer does not implement for this source type). */
int ice_partition_result_type(const iceberg_partition_field *pf, iceberg_type src,
                              iceberg_type *out, i2i_error *err);
/* Avro type (a new JSON value) of a partition field of the given result type, wrapped in
 * ["null", T]; NULL with err set for types that cannot appear. */
json_t *ice_partition_avro_type(iceberg_type result, i2i_error *err);
/* Human text of a partition value for file paths ("2024-01-15", "2024-01-15-10"), URL-quoted,
 * appended to out. */
int ice_partition_human(const iceberg_partition_field *pf, iceberg_type result,
                        const iceberg_partition_value *v, i2i_buf *out);
/* Serialise a partition value of the result type (single-value binary). */
int ice_partition_value_bytes(iceberg_type result, const iceberg_partition_value *v, i2i_buf *out);
/* Compare two non-null partition values of the same result type (<0, 0, >0). */
int ice_partition_value_cmp(iceberg_type result, const iceberg_partition_value *a,
                            const iceberg_partition_value *b);
/* murmur3_x86_32 with seed 0 (bucket transform). */
uint32_t ice_murmur3_32(const void *data, size_t n);
/* The JSON spec object for new tables. */
json_t *ice_spec_json_new(int32_t spec_id, iceberg_time_partition p, int32_t source_id,
                          const char *source_name, int32_t *last_partition_id);

/* ---------------------------------------------------------------- bounds (bounds.c) */

typedef enum ice_metrics_mode_kind {
    ICE_METRICS_NONE = 0,
    ICE_METRICS_COUNTS,
    ICE_METRICS_TRUNCATE,
    ICE_METRICS_FULL
} ice_metrics_mode_kind;

typedef struct ice_metrics_mode {
    ice_metrics_mode_kind kind;
    int32_t length; /* truncate(N) */
} ice_metrics_mode;

/* "none", "counts", "full", "truncate(N)" (N > 0). */
int ice_metrics_mode_parse(const char *s, ice_metrics_mode *out, i2i_error *err);

void ice_bound_int(int32_t v, uint8_t out[4]);
void ice_bound_long(int64_t v, uint8_t out[8]);
void ice_bound_double(double v, uint8_t out[8]);
/* Byte length of the first `max_cp` code points of a UTF-8 string (never splits a sequence). */
size_t ice_utf8_prefix(const uint8_t *s, size_t n, size_t max_cp);
/* Upper bound of a string truncated to `max_cp` code points: the value itself when short
 * enough, else the prefix with its last incrementable code point incremented (U+D7FF -> U+E000;
 * U+10FFFF cannot be incremented) and everything after it dropped. Returns 1 with out filled, or
 * 0 when no upper bound exists (every code point is U+10FFFF). */
int ice_utf8_upper(const uint8_t *s, size_t n, size_t max_cp, i2i_buf *out);
/* Same on bytes: the prefix with its last byte < 0xFF incremented. */
int ice_binary_upper(const uint8_t *s, size_t n, size_t max_len, i2i_buf *out);
/* Minimal two's complement big-endian bytes of a big-endian value (decimal bounds). */
size_t ice_decimal_minimal(const uint8_t *be, size_t n, const uint8_t **start);
/* Turn one Parquet column result into manifest metrics for a field of type `type`. */
int ice_metrics_from_parquet(iceberg_type type, const parquet_column_result *pc,
                             ice_metrics_mode mode, iceberg_column_metrics *out, i2i_error *err);
/* Metrics mode for a column from table properties (write.metadata.metrics.column.<name>, then
 * write.metadata.metrics.default, then truncate(16)). */
int ice_metrics_mode_for(const json_t *props, const char *column, ice_metrics_mode *out,
                         i2i_error *err);

/* ---------------------------------------------------------------- parsed metadata (metadata.c) */

typedef struct ice_meta {
    int format_version;
    const char *uuid;
    const char *location;
    int64_t last_sequence_number;
    int64_t last_updated_ms;
    int64_t last_column_id;
    int64_t last_partition_id;
    int64_t current_snapshot_id; /* -1 none */
    int64_t next_row_id;         /* v3 */
    int32_t current_schema_id;
    int32_t default_spec_id;
    iceberg_schema schema;       /* current */
    iceberg_partition_spec spec; /* default */
    const json_t *properties;    /* never NULL after parse (points to an empty object if absent) */
    iceberg_snapshot *snapshots;
    size_t nsnapshots;
    json_t *empty; /* owned {} standing in for absent properties / summaries */
} ice_meta;

/* Parse the pieces we use; tolerant of v1 (schema/partition-spec instead of the lists, missing
 * optional keys). Borrowed pointers into md. */
int ice_meta_parse(const json_t *md, ice_meta *out, i2i_error *err);
void ice_meta_clear(ice_meta *m);
/* The schema / spec JSON object with a given id, or NULL. */
const json_t *ice_meta_schema_json(const json_t *md, int32_t schema_id);
const json_t *ice_meta_spec_json(const json_t *md, int32_t spec_id);
/* New table metadata (format 2 or 3); location NULL leaves it out (a REST server places the
 * table). */
int ice_meta_new(const iceberg_create_options *o, const char *location, json_t **out,
                 i2i_error *err);
/* Set/remove properties on a metadata document (updates: key -> string or null). Reserved keys
 * are refused. *changed tells whether anything differs. */
int ice_meta_apply_properties(json_t *md, const json_t *updates, int *changed, i2i_error *err);
/* Common bookkeeping of every commit: append the previous file to metadata-log (trimmed to
 * write.metadata.previous-versions-max) and set last-updated-ms (monotonic w.r.t. the logs). */
int ice_meta_finish_commit(json_t *md, const char *prev_location, int64_t prev_last_updated_ms,
                           int64_t now_ms, i2i_error *err);
/* Add a snapshot object to the document and make it current (refs.main, snapshot-log,
 * last-sequence-number, current-snapshot-id; v3 next-row-id). */
int ice_meta_add_snapshot(json_t *md, json_t *snapshot, int64_t snapshot_id, int64_t seq,
                          int64_t timestamp_ms, int64_t next_row_id, i2i_error *err);

/* ---------------------------------------------------------------- table (table.c) */

struct iceberg_table {
    catalog *cat;
    char *ns;
    char *name;
    catalog_table ct;
    ice_meta m;
    /* The FileIO for this table's data and metadata files (catalog_table_storage: the catalog's,
     * or one opened with the table's vended config). Storages opened for the table stay open
     * until it is freed, also when a reload brings new credentials and `files` moves on: a
     * writer started earlier may still hold the previous one. */
    storage *files;
    json_t *files_config; /* the table config `files` was chosen for (reference; NULL = none) */
    storage **owned;
    size_t nowned;
};

/* Replace the table's current state by a catalog_table (ownership taken, also on error). */
int ice_table_adopt(iceberg_table *t, catalog_table *ct, i2i_error *err);
/* Location of the data and metadata directories (write.data.path / write.metadata.path). */
int ice_table_data_dir(const iceberg_table *t, i2i_buf *out);
int ice_table_metadata_dir(const iceberg_table *t, i2i_buf *out);
int64_t ice_table_prop_int(const iceberg_table *t, const char *key, int64_t dflt);

/* ---------------------------------------------------------------- manifests (manifest.c) */

/* The manifest_entry Avro schema for a format version and partition struct type (fields of
 * r102, a JSON array, borrowed). */
json_t *ice_manifest_schema(int format_version, const json_t *partition_fields);
/* Write one manifest with ADDED entries for `files` (all of spec `spec`). Fills the manifest-list
 * record fields that depend on the content (counts, partition summaries). */
typedef struct ice_manifest_info {
    char *path;
    int64_t length;
    int32_t spec_id;
    int32_t added_files;
    int64_t added_rows;
    json_t *partitions; /* array of {contains_null, contains_nan, lower, upper} summaries:
                           objects with "contains_null": bool, "lower"/"upper": {"$bytes":hex} */
} ice_manifest_info;

void ice_manifest_info_clear(ice_manifest_info *m);

int ice_manifest_write(iceberg_table *t, const iceberg_partition_spec *spec,
                       const iceberg_data_file *const *files, size_t nfiles, int64_t snapshot_id,
                       const char *path, ice_manifest_info *out, i2i_error *err);

/* Manifest list: the new manifests first, then the parent's records re-emitted unchanged. */
typedef struct ice_manifest_list_result {
    int64_t added_rows; /* v3: rows given row ids by this snapshot */
} ice_manifest_list_result;

int ice_manifest_list_write(iceberg_table *t, const char *path, int64_t snapshot_id,
                            int64_t parent_id, int64_t seq, int64_t first_row_id,
                            const ice_manifest_info *added, size_t nadded,
                            ice_manifest_list_result *res, i2i_error *err);

/* Read an Avro file's records (all of them) into a JSON array. */
int ice_avro_read_all(storage *s, const char *location, json_t **records, i2i_error *err);

/* ---------------------------------------------------------------- misc */

/* Random positive 63-bit id not present in the table. */
int ice_new_snapshot_id(const ice_meta *m, int64_t *out, i2i_error *err);
/* Current wall clock in ms. */
int64_t ice_now_ms(void);

#endif /* I2I_ICEBERG_INTERNAL_H */
