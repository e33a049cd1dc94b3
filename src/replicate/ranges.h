/*
 * Committed time ranges of one replication stream, as kept in the table property
 * influx2iceberg.ranges.<source-id>: "[s1,e1),[s2,e2)" with ns integers, sorted, merged.
 * Pure functions, no I/O: the exactly-once bookkeeping lives here and is unit-tested alone.
 */
#ifndef I2I_REPLICATE_RANGES_H
#define I2I_REPLICATE_RANGES_H

#include "../util/util.h"

typedef struct replicate_range {
    int64_t start; /* inclusive, ns */
    int64_t end;   /* exclusive, ns */
} replicate_range;

typedef struct replicate_ranges {
    replicate_range *items; /* sorted by start, non-overlapping, non-adjacent */
    size_t n, cap;
} replicate_ranges;

void replicate_ranges_free(replicate_ranges *r);
/* Parse the property value (NULL or "" = no ranges). Malformed text is an error naming it. */
int replicate_ranges_parse(const char *text, replicate_ranges *out, i2i_error *err);
/* Format into out (cleared first). */
int replicate_ranges_format(const replicate_ranges *r, i2i_buf *out);
/* Add [start, end), merging with overlapping or touching ranges. */
int replicate_ranges_add(replicate_ranges *r, int64_t start, int64_t end);
/* The parts of [start, end) not covered by r, in order (out is cleared first). */
int replicate_ranges_uncovered(const replicate_ranges *r, int64_t start, int64_t end,
                               replicate_ranges *out);
/* 1 when [start, end) is entirely covered. */
int replicate_ranges_covers(const replicate_ranges *r, int64_t start, int64_t end);
/* End of the last range, or INT64_MIN when empty: where continuous mode resumes. */
int64_t replicate_ranges_last_end(const replicate_ranges *r);

#endif
