/* Helpers shared by the iceberg integration tests: tool checks, running scripts, test data. */
#ifndef I2I_ICEBERG_TEST_UTIL_H
#define I2I_ICEBERG_TEST_UTIL_H

#include "iceberg/iceberg.h"

/* Are node + the interop packages and Debian python3-avro available? On failure `why` says what
 * is missing and how to install it. */
int itu_tools_available(char *why, size_t n);
/* Run a shell command; returns its exit status (or -1). Output goes to the test's stdout. */
int itu_run(const char *fmt, ...) I2I_PRINTF(1, 2);
/* Write a JSON value to a file (pretty). */
int itu_write_json(const char *path, const json_t *v);
/* A local file path from a file:// location. */
const char *itu_local(const char *location);

/* The columns of the test measurement, in batch order. */
enum { ITU_TIME = 0, ITU_HOST, ITU_REGION, ITU_USAGE, ITU_COUNT, ITU_OK, ITU_BIG, ITU_MSG, ITU_NCOLS };
extern const columnar_field itu_fields[ITU_NCOLS];
/* Create-table column definitions matching itu_fields (time required, rest optional). */
void itu_column_defs(iceberg_column_def *out, int format_version);

/* Fill `b` (cleared first) with `n` rows starting at t0_ns every step_ns, seeded by `seed`;
 * NULL-sparse columns, NaN/-0.0 doubles, long multi-byte strings. Appends one JSON object per row to
 * `expected` (time as a string of µs, floor-truncated, unless keep_ns). */
/* Create (or load) ns.name with the itu columns, format_version 0 (the default, 2) or 3, and the
 * given time partitioning. */
int itu_table_open(catalog *cat, const char *ns, const char *name, int format_version,
                   iceberg_time_partition partition, iceberg_table **t, i2i_error *err);

/* Run the independent readers on the table's current metadata: verify_table.mjs (expected rows,
 * written to dir/expected.json, at least min_files files, icebird too when icebird is set) and
 * check_avro.py over every snapshot. foreign_marker (or NULL) names files another writer made.
 * Both always run; 0 when both pass, else the first non-zero status. */
int itu_verify(iceberg_table *t, const char *dir, const json_t *expected, const char *time_unit,
               int icebird, size_t min_files, const char *foreign_marker);

/* Write n rows of itu_fill_batch (from t0_ns every step_ns, seeded) as the data files of run
 * run_id, into r (freed with iceberg_write_result_free). */
int itu_write_rows(iceberg_table *t, const char *run_id, size_t n, int64_t t0_ns, int64_t step_ns,
                   unsigned seed, iceberg_write_result *r, i2i_error *err);
/* A start time that keeps the rows of different seeds apart: 1700000000 s + seed * 100 s. */
#define ITU_T0(seed) (INT64_C(1700000000) * I2I_NS_PER_S + (int64_t)(seed) * 100 * I2I_NS_PER_S)

void itu_fill_batch(columnar_batch *b, size_t n, int64_t t0_ns, int64_t step_ns, unsigned seed,
                    json_t *expected, int keep_ns);

#endif
