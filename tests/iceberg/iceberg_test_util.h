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
void itu_fill_batch(columnar_batch *b, size_t n, int64_t t0_ns, int64_t step_ns, unsigned seed,
                    json_t *expected, int keep_ns);

#endif
