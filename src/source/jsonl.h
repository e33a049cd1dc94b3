/*
 * jsonl: the incremental JSON Lines parser behind source_query_range (internal to the source
 * layer; tests and the benchmark include it directly).
 *
 * Feed it the response body in chunks of any size, split anywhere. Complete lines are parsed in
 * place from the chunk; only a line that straddles two chunks is copied (into a carry buffer that
 * holds at most one line). Each line is one JSON object whose keys are matched by name to the
 * columns of the batch (a predicted-next-key memcmp, then a small hash table; no allocation per
 * row); values go straight into the typed vectors:
 *
 *   TIMESTAMP  JSON string "YYYY-MM-DDTHH:MM:SS[.f{1,9}]" (zone-less UTC) -> int64 ns, fast path
 *              with a cached date; anything else (Z, offsets, years outside 1678..2261) goes
 *              through i2i_time_parse.
 *   INT64      JSON integer, exact, overflow checked.  UINT64  likewise, up to 18446744073709551615.
 *   DOUBLE     JSON number, correctly rounded: Clinger's fast path (mantissa <= 2^53, |exp| <=
 *              22), else exact 128-bit integer scaling for up to 19 digits and |exp| <= 19 (the
 *              usual 17-digit doubles), else strtod_l in the C locale (LC_NUMERIC never matters);
 *              -0.0 kept. `null` = non-finite (NaN/+Inf/-Inf, indistinguishable): counted, stored as
 *              NaN (or NULL when nonfinite_as_null).
 *   BOOL       true / false.       STRING  any JSON string, all escapes, \uXXXX surrogate pairs ->
 *                                          UTF-8, raw bytes validated as UTF-8.
 *   `null` on a non-DOUBLE column -> NULL. A missing key -> NULL. A missing time -> error.
 *
 * When the batch reaches its capacity (or max_batch_bytes) on_batch receives it and it is
 * cleared. A pending partial line at jsonl_parser_finish is a truncated response (I2I_ERR_FORMAT).
 */
#ifndef I2I_SOURCE_JSONL_H
#define I2I_SOURCE_JSONL_H

#include "source.h"

typedef struct jsonl_config {
    columnar_batch *batch;    /* borrowed; filled row by row */
    size_t max_batch_bytes;   /* 0 = deliver only when full */
    int ignore_unknown_keys;  /* 0 = unknown key is I2I_ERR_FORMAT naming it */
    int nonfinite_as_null;    /* 0 = NaN */
    int time_col;             /* column that must be present in every row, or -1 */
    source_batch_fn on_batch; /* required */
    void *ctx;
} jsonl_config;

typedef struct jsonl_stats {
    uint64_t lines;          /* lines parsed since the last reset (for messages) */
    uint64_t rows;           /* rows delivered to on_batch */
    uint64_t batches;        /* on_batch calls */
    uint64_t bytes;          /* bytes fed */
    uint64_t nonfinite;      /* JSON nulls on DOUBLE columns (rows parsed, delivered or not) */
    uint64_t *nonfinite_by_col; /* ncols counters, owned by the parser */
} jsonl_stats;

typedef struct jsonl_parser jsonl_parser;

int jsonl_parser_new(const jsonl_config *cfg, jsonl_parser **out, i2i_error *err);
void jsonl_parser_free(jsonl_parser *p);

/* Parse a chunk. Errors: I2I_ERR_FORMAT (message names the line and column), I2I_ERR_NOMEM, or
 * whatever on_batch returned. After an error the parser must be reset (or rolled back) before
 * more input. */
int jsonl_parser_feed(jsonl_parser *p, const void *data, size_t n, i2i_error *err);
/* End of the body: I2I_ERR_FORMAT when an incomplete last line is pending. Does not flush. */
int jsonl_parser_finish(jsonl_parser *p, i2i_error *err);
/* Deliver the batch to on_batch if it holds rows, then clear it. */
int jsonl_parser_flush(jsonl_parser *p, i2i_error *err);

/* Remember the current state (rows in the batch, counters) at the start of a response. */
void jsonl_parser_mark(jsonl_parser *p);
/* Undo everything since the mark: drop the partial line, truncate the batch back to the marked
 * row count and restore the counters. Returns 0, or -1 when a batch was delivered since the mark
 * (rows already left; nothing is undone then). */
int jsonl_parser_rollback(jsonl_parser *p);
/* Clear the batch and forget any pending input (after a failed query). */
void jsonl_parser_reset(jsonl_parser *p);

const jsonl_stats *jsonl_parser_stats(const jsonl_parser *p);

#endif /* I2I_SOURCE_JSONL_H */
