/*
 * iceberg: the Apache Iceberg table model, data files, manifests and commits.
 *
 * It knows files (Parquet, Avro, metadata JSON) and catalogs, not InfluxDB. The usual flow:
 *
 *   iceberg_table_open(catalog, ns, name, &create_opts or NULL)       load, or create if missing
 *   iceberg_writer_open(table, &wopts) -> iceberg_writer_write(batch)... -> iceberg_writer_finish()
 *       partitioned Parquet data files, written and uploaded, described by iceberg_data_file
 *   iceberg_append(table, &request)                                   one snapshot, one commit
 *       (plus property updates in the same commit, e.g. influx2iceberg.ranges.<source-id>)
 *
 * Format: v2 by default (timestamps in microseconds), v3 on request (nanosecond timestamps, row
 * lineage). v1 tables can be read (snapshots, properties, live files) but not appended to.
 *
 * Conventions (as everywhere in the project): fallible functions return int (0 = I2I_OK, negative
 * = an i2i_status) and take `i2i_error *err` last. `*_open/_new` pairs with `*_close/_free`; every
 * free function accepts NULL. Pointers returned by accessors of an iceberg_table are borrowed and
 * stay valid until the table is reloaded (iceberg_table_reload, or any commit through it) or freed.
 *
 * Commit errors: whatever i2i_status_retryable accepts is handled inside: I2I_ERR_CONFLICT and
 * I2I_ERR_TRANSIENT (not applied: reload, re-apply, bounded retries with the shared jittered
 * backoff) and I2I_ERR_UNKNOWN (resolved by looking for our snapshot id before any retry, so an
 * append never lands twice). They reach the caller only when the attempts are exhausted.
 */
#ifndef I2I_ICEBERG_H
#define I2I_ICEBERG_H

#include <jansson.h>

#include "../catalog/catalog.h"
#include "../columnar/columnar.h"
#include "../parquet/parquet.h"
#include "../util/util.h"

/* ================================================================ types and schemas */

typedef enum iceberg_type_id {
    ICEBERG_TYPE_BOOLEAN = 0,
    ICEBERG_TYPE_INT,
    ICEBERG_TYPE_LONG,
    ICEBERG_TYPE_FLOAT,
    ICEBERG_TYPE_DOUBLE,
    ICEBERG_TYPE_DATE,
    ICEBERG_TYPE_TIME,
    ICEBERG_TYPE_TIMESTAMP,      /* µs, no zone */
    ICEBERG_TYPE_TIMESTAMPTZ,    /* µs, UTC */
    ICEBERG_TYPE_TIMESTAMP_NS,   /* v3 only */
    ICEBERG_TYPE_TIMESTAMPTZ_NS, /* v3 only */
    ICEBERG_TYPE_STRING,
    ICEBERG_TYPE_UUID,
    ICEBERG_TYPE_BINARY,
    ICEBERG_TYPE_FIXED,          /* length */
    ICEBERG_TYPE_DECIMAL,        /* precision, scale */
    ICEBERG_TYPE_NESTED,         /* struct / list / map: read and preserved, never written */
    ICEBERG_TYPE_OTHER           /* a type we do not know (v3 variant, geometry...) */
} iceberg_type_id;

typedef struct iceberg_type {
    iceberg_type_id id;
    int32_t precision, scale; /* DECIMAL */
    int32_t length;           /* FIXED */
} iceberg_type;

/* Spelling as in table metadata ("long", "timestamptz", "decimal(20,0)"); writes into out
 * (>= 32 bytes) and returns out. NESTED/OTHER give "nested"/"unknown". */
const char *iceberg_type_format(iceberg_type t, char *out, size_t outsz);
/* Parse a primitive type string; I2I_ERR_FORMAT for an unknown spelling. */
int iceberg_type_parse(const char *s, iceberg_type *out, i2i_error *err);

typedef struct iceberg_field {
    int32_t id;
    const char *name;
    int required;
    iceberg_type type;
} iceberg_field;

typedef struct iceberg_schema {
    int32_t schema_id;
    size_t nfields; /* top-level fields */
    iceberg_field *fields;
} iceberg_schema;

/* Top-level field by exact name, or NULL. */
const iceberg_field *iceberg_schema_find(const iceberg_schema *s, const char *name);
/* The name a Parquet column of field `name` is written under: Avro's name grammar
 * [A-Za-z_][A-Za-z0-9_]*, as Iceberg Java and PyIceberg sanitize it (a leading digit d becomes
 * "_d", any other character "_x" + its UTF-16 code unit(s) in upper-case hex), so readers that look
 * columns up by sanitized name (icebird) find them; field-id readers are unaffected and the real
 * name stays in the Iceberg schema. Appended to out; I2I_ERR_INVALID if name is not UTF-8. */
int iceberg_parquet_column_name(const char *name, i2i_buf *out, i2i_error *err);

/* ---------------------------------------------------------------- type mapping */

/* How InfluxDB-side columns map to Iceberg types for new tables and new columns.
 *
 * Time: the InfluxData plugin's tables use `timestamp` (no zone, µs: pandas datetime64[us] after
 * dropping the zone), so new tables default to the same type; the values are UTC instants either
 * way. time_with_zone = 1 selects `timestamptz`. time_nanos = 1 selects `timestamp_ns` /
 * `timestamptz_ns` and requires format v3. In µs tables nanoseconds are truncated toward negative
 * infinity (counted in iceberg_write_result.timestamps_truncated).
 *
 * Others: STRING -> string, DOUBLE -> double, INT64 -> long, BOOL -> boolean, UINT64 -> long
 * (values above INT64_MAX fail the write with the column and value named) or, with
 * uint64_as_decimal, decimal(20,0). */
typedef struct iceberg_type_options {
    int time_with_zone;
    int time_nanos;
    int uint64_as_decimal;
} iceberg_type_options;

int iceberg_type_for_column(columnar_type ct, int format_version, const iceberg_type_options *o,
                            iceberg_type *out, i2i_error *err);

/* ================================================================ partitioning */

typedef enum iceberg_transform_id {
    ICEBERG_TRANSFORM_IDENTITY = 0,
    ICEBERG_TRANSFORM_VOID,
    ICEBERG_TRANSFORM_YEAR,
    ICEBERG_TRANSFORM_MONTH,
    ICEBERG_TRANSFORM_DAY,
    ICEBERG_TRANSFORM_HOUR,
    ICEBERG_TRANSFORM_BUCKET,   /* param = N */
    ICEBERG_TRANSFORM_TRUNCATE, /* param = W */
    ICEBERG_TRANSFORM_UNKNOWN   /* readable, but not writable */
} iceberg_transform_id;

typedef struct iceberg_partition_field {
    int32_t source_id;
    int32_t field_id;
    const char *name;
    iceberg_transform_id transform;
    int32_t param;
} iceberg_partition_field;

typedef struct iceberg_partition_spec {
    int32_t spec_id;
    size_t nfields;
    iceberg_partition_field *fields;
} iceberg_partition_spec;

/* Partitioning of new tables (on the time column). */
typedef enum iceberg_time_partition {
    ICEBERG_PARTITION_DAY = 0, /* default */
    ICEBERG_PARTITION_HOUR,
    ICEBERG_PARTITION_MONTH,
    ICEBERG_PARTITION_YEAR,
    ICEBERG_PARTITION_NONE
} iceberg_time_partition;

/* "day", "hour", "month", "year", "none" -> enum; I2I_ERR_INVALID otherwise. */
int iceberg_time_partition_parse(const char *s, iceberg_time_partition *out, i2i_error *err);

/* Time transforms with floor semantics (before 1970 too). `t` is in the unit of the source type:
 * µs (timestamp, timestamptz) or ns (the _ns types), selected by `nanos`. */
int32_t iceberg_transform_hour(int64_t t, int nanos);
int32_t iceberg_transform_day(int64_t t, int nanos);
int32_t iceberg_transform_month(int64_t t, int nanos);
int32_t iceberg_transform_year(int64_t t, int nanos);
/* The half-open range [lo, hi) of source values t' whose year/month/day/hour equals t's: the
 * data writer compares sorted times against it instead of transforming every row. 0 when the
 * transform is not one of those four or the range does not fit int64. */
int iceberg_transform_range(iceberg_transform_id transform, int64_t t, int nanos, int64_t *lo, int64_t *hi);

/* ================================================================ table */

typedef struct iceberg_table iceberg_table;

typedef struct iceberg_column_def {
    const char *name;
    iceberg_type type;
    int required;
} iceberg_column_def;

typedef struct iceberg_create_options {
    int format_version;                  /* 0 = 2; 3 for ns timestamps */
    const iceberg_column_def *columns;   /* field ids are assigned 1..n in this order */
    size_t ncolumns;
    const char *time_column;             /* partition source ("time"); needed unless NONE */
    iceberg_time_partition partition;    /* default DAY */
    const char *location;                /* NULL = the catalog's default location */
    const json_t *properties;            /* extra table properties (string values), may be NULL */
} iceberg_create_options;

/* Load ns.name; when it does not exist and `create` is not NULL, create it (namespace ensured; a
 * concurrent creator winning the race is fine: its table is loaded). I2I_ERR_NOT_FOUND when missing
 * and create is NULL. The catalog must outlive the table. */
int iceberg_table_open(catalog *c, const char *ns, const char *name,
                       const iceberg_create_options *create, iceberg_table **out, i2i_error *err);
/* Create only; I2I_ERR_EXISTS when the table already exists. */
int iceberg_table_create(catalog *c, const char *ns, const char *name,
                         const iceberg_create_options *opts, iceberg_table **out, i2i_error *err);
/* Re-read the current metadata from the catalog. */
int iceberg_table_reload(iceberg_table *t, i2i_error *err);
void iceberg_table_free(iceberg_table *t);

int iceberg_table_format_version(const iceberg_table *t);
const char *iceberg_table_location(const iceberg_table *t);
const char *iceberg_table_metadata_location(const iceberg_table *t);
const char *iceberg_table_uuid(const iceberg_table *t);
const json_t *iceberg_table_metadata(const iceberg_table *t); /* the whole document */
const iceberg_schema *iceberg_table_schema(const iceberg_table *t); /* current schema */
const iceberg_partition_spec *iceberg_table_spec(const iceberg_table *t); /* default spec */
int64_t iceberg_table_current_snapshot_id(const iceberg_table *t); /* -1 when none */
/* Table properties: the object (never NULL; empty when the table has none) and one value. */
const json_t *iceberg_table_properties(const iceberg_table *t);
const char *iceberg_table_property(const iceberg_table *t, const char *key);

/* ---------------------------------------------------------------- snapshots */

typedef struct iceberg_snapshot {
    int64_t snapshot_id;
    int64_t parent_id;       /* -1 when none */
    int64_t sequence_number; /* 0 for v1 */
    int64_t timestamp_ms;
    int32_t schema_id;       /* -1 when absent */
    const char *manifest_list;
    const char *operation;   /* summary.operation, "" when absent */
    const json_t *summary;   /* object of strings, never NULL */
} iceberg_snapshot;

/* All snapshots in metadata order (borrowed array). */
const iceberg_snapshot *iceberg_table_snapshots(const iceberg_table *t, size_t *n);
const iceberg_snapshot *iceberg_table_snapshot(const iceberg_table *t, int64_t snapshot_id);

/* ---------------------------------------------------------------- schema evolution */

typedef struct iceberg_schema_change {
    const iceberg_column_def *add; /* new columns: added optional (required is ignored) */
    size_t nadd;
    const char *const *make_optional; /* existing required columns to relax */
    size_t nmake_optional;
} iceberg_schema_change;

/* Commit a new current schema: added columns get fresh field ids after last-column-id, the
 * schema gets max(schema-id)+1. Columns that already exist (by name) are skipped, so re-applying
 * after a concurrent change is safe; nothing to do means no commit. I2I_ERR_INVALID for a name
 * collision with a different type or a v3-only type in a v2 table. */
int iceberg_table_update_schema(iceberg_table *t, const iceberg_schema_change *change,
                                i2i_error *err);

/* ================================================================ data files */

typedef struct iceberg_partition_value {
    int is_null;
    int64_t i;        /* int, long, date, timestamp, boolean results */
    char *s;          /* string results (owned, NUL-terminated) */
    size_t slen;
} iceberg_partition_value;

/* Metrics of one column of a data file, as stored in the manifest. -1 = absent. */
typedef struct iceberg_column_metrics {
    int32_t field_id;
    int64_t column_size;
    int64_t value_count;
    int64_t null_count;
    int64_t nan_count;  /* float/double only */
    int has_lower, has_upper;
    i2i_buf lower, upper; /* single-value binary serialisation (spec Appendix D) */
} iceberg_column_metrics;

/* A data file written and ready to be committed. Everything is owned by the struct. */
typedef struct iceberg_data_file {
    char *path;             /* full location */
    int64_t record_count;
    int64_t file_size;
    int32_t spec_id;
    size_t npartition;      /* = number of fields of the spec */
    iceberg_partition_value *partition;
    size_t nmetrics;
    iceberg_column_metrics *metrics;
    size_t nsplit;
    int64_t *split_offsets;
} iceberg_data_file;

void iceberg_data_file_clear(iceberg_data_file *f);

/* ---------------------------------------------------------------- partitioned writer */

typedef struct iceberg_writer iceberg_writer;

typedef struct iceberg_writer_options {
    const char *run_id;          /* required; [A-Za-z0-9._-]+, goes into every file name */
    int64_t target_file_bytes;   /* 0 = table property write.target-file-size-bytes, 512 MiB */
    size_t max_open_files;       /* 0 = 16; least recently used writer is closed beyond it */
    /* Parquet settings; NULL = from table properties (write.parquet.compression-codec (zstd),
     * -compression-level, -row-group-size-bytes, -page-size-bytes, -page-row-limit,
     * -dict-size-bytes). */
    const parquet_writer_options *parquet;
    /* Tests: fault hook, point "data-file.close" (before each file is closed; a failure there
     * fails the close as a storage error would). NULL in production. */
    const i2i_fault *fault;
} iceberg_writer_options;

typedef struct iceberg_write_result {
    iceberg_data_file *files;
    size_t nfiles;
    int64_t rows;
    int64_t bytes;                /* sum of file sizes */
    int64_t timestamps_truncated; /* ns values that lost digits going to a µs column */
} iceberg_write_result;

void iceberg_write_result_free(iceberg_write_result *r); /* frees the contents, not r */

/* The writer uses the table's current schema and default spec at open time. The table must
 * outlive the writer. */
int iceberg_writer_open(iceberg_table *t, const iceberg_writer_options *o, iceberg_writer **out,
                        i2i_error *err);
/* Write every completed row of the batch. Batch columns are matched to table fields by name
 * (unknown batch columns are an error: add them to the schema first); table columns missing from
 * the batch are written as NULL (a required one is an error). The batch is not modified and may be
 * cleared and reused when this returns. On error the writer must be aborted. */
int iceberg_writer_write(iceberg_writer *w, const columnar_batch *b, i2i_error *err);
/* Close every open file and hand back their descriptors; frees the writer (also on error). On
 * error *out is empty and every file of the writer has been removed, as by iceberg_writer_abort. */
int iceberg_writer_finish(iceberg_writer *w, iceberg_write_result *out, i2i_error *err);
/* Abandon: open files are aborted, files already closed are removed (best effort). */
void iceberg_writer_abort(iceberg_writer *w);

/* Remove data files that will not be committed (best effort; logs failures). */
void iceberg_remove_files(iceberg_table *t, const iceberg_data_file *files, size_t n);

/* ================================================================ commits */

/* Recompute property updates against the head a commit attempt is applied on. head_properties is
 * the head's properties object (never NULL); fill `updates` (an empty object) with key -> string
 * to set or key -> null to remove. A negative return aborts the commit with that status. */
typedef int (*iceberg_props_fn)(void *ctx, const json_t *head_properties, json_t *updates,
                                i2i_error *err);

typedef struct iceberg_retry {
    int max_attempts;    /* 0 = commit.retry.num-retries (4) + 1 */
    int64_t min_wait_ms; /* 0 = commit.retry.min-wait-ms (100) */
    int64_t max_wait_ms; /* 0 = commit.retry.max-wait-ms (60000) */
    const volatile int *cancel; /* non-zero ends a backoff wait with I2I_ERR_CANCELLED; may be NULL */
} iceberg_retry;

typedef struct iceberg_append_request {
    const iceberg_data_file *files; /* at least one */
    size_t nfiles;
    const json_t *summary;          /* extra snapshot summary keys (string values), may be NULL */
    const json_t *properties;       /* static property updates (see iceberg_props_fn), may be NULL */
    iceberg_props_fn props_fn;      /* if set, called before every attempt instead of `properties` */
    void *props_ctx;
    iceberg_retry retry;
} iceberg_append_request;

typedef struct iceberg_commit_result {
    int64_t snapshot_id;     /* -1 for a properties-only commit */
    int64_t sequence_number;
    int attempts;            /* catalog commits tried */
    int conflicts;           /* attempts lost to a concurrent writer */
    int transient;           /* attempts the catalog refused for a temporary failure (busy
                                database, dropped connection; nothing applied) */
    int unknown_outcomes;    /* attempts whose outcome had to be looked up */
} iceberg_commit_result;

/* Fast append: one new manifest per partition spec, a manifest list that carries the parent's
 * manifests forward unchanged, a new snapshot (operation=append, standard totals, the caller's
 * summary keys) and the property updates, all in one catalog commit. On success the table holds
 * the new metadata. `res` may be NULL. */
int iceberg_append(iceberg_table *t, const iceberg_append_request *req, iceberg_commit_result *res,
                   i2i_error *err);

/* Properties-only commit (no snapshot): e.g. advance a committed range over an empty window.
 * Exactly one of `properties` / `props_fn` is used, as for iceberg_append. A commit that changes
 * nothing is skipped. */
int iceberg_commit_properties(iceberg_table *t, const json_t *properties, iceberg_props_fn props_fn,
                              void *props_ctx, const iceberg_retry *retry,
                              iceberg_commit_result *res, i2i_error *err);

/* ================================================================ scans */

typedef struct iceberg_live_file {
    char *path;
    int64_t record_count;
    int64_t file_size;
    int32_t spec_id;
    int64_t snapshot_id;     /* snapshot that added it */
    int64_t sequence_number; /* data sequence number (inherited when null in the manifest) */
    char *manifest_path;
    json_t *data_file;       /* the decoded data_file record (owned reference) */
} iceberg_live_file;

typedef struct iceberg_file_list {
    iceberg_live_file *files;
    size_t n;
    size_t delete_files; /* live delete files seen (not listed) */
} iceberg_file_list;

/* Live data files of the current snapshot (manifest entries with status != DELETED). An empty
 * table gives an empty list. */
int iceberg_table_live_files(iceberg_table *t, iceberg_file_list *out, i2i_error *err);
void iceberg_file_list_free(iceberg_file_list *l); /* frees the contents, not l */

/* ================================================================ orphan files */

/* A data file under the table's data directory that no snapshot references: left by a writer
 * that died after writing and before committing (its name carries that writer's run id). */
typedef struct iceberg_orphan_file {
    char *path;
    int64_t size;
    int64_t mtime_ms;
} iceberg_orphan_file;

typedef struct iceberg_orphan_list {
    iceberg_orphan_file *files;
    size_t n;
    int64_t bytes;         /* of the listed files */
    size_t too_young;      /* unreferenced but younger than min_age_ms: not listed */
    int64_t scanned_bytes; /* all unreferenced .parquet bytes seen */
} iceberg_orphan_list;

/* Parquet files under the data directory that the current snapshot does not reference and that
 * are at least min_age_ms old (so a writer still running is left alone). Only for tables whose
 * snapshots are all appends (then the current snapshot references every file ever committed);
 * otherwise I2I_ERR_UNSUPPORTED. */
int iceberg_table_orphan_files(iceberg_table *t, int64_t min_age_ms, iceberg_orphan_list *out,
                               i2i_error *err);
int iceberg_remove_orphans(iceberg_table *t, const iceberg_orphan_list *l, size_t *removed,
                           i2i_error *err);
void iceberg_orphan_list_free(iceberg_orphan_list *l); /* frees the contents, not l */

#endif /* I2I_ICEBERG_H */
