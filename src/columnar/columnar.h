/*
 * columnar: typed column vectors filled row by row, handed to the Parquet writer as a batch.
 *
 * A batch has a fixed row capacity chosen at creation; every vector is allocated for it up front,
 * so appending a value never calls malloc. String bytes go into one growable buffer per column
 * (amortised doubling, no per-row allocation). Callers flush by size: columnar_batch_bytes() is the
 * memory the batch holds.
 *
 * Filling: for each row, set the columns that have a value (columnar_set_*), then call
 * columnar_batch_end_row(), which marks every column not set in this row as NULL. Columns can also
 * be filled column-wise with columnar_append_* as long as every column ends with the same length.
 */
#ifndef I2I_COLUMNAR_H
#define I2I_COLUMNAR_H

#include "../util/util.h"

typedef enum columnar_type {
    COLUMNAR_TIMESTAMP = 0, /* int64; unit below */
    COLUMNAR_INT64,
    COLUMNAR_UINT64,
    COLUMNAR_DOUBLE,
    COLUMNAR_BOOL,
    COLUMNAR_STRING /* UTF-8 */
} columnar_type;

typedef enum columnar_time_unit { COLUMNAR_NANOS = 0, COLUMNAR_MICROS = 1 } columnar_time_unit;

typedef struct columnar_column {
    char *name;
    columnar_type type;
    columnar_time_unit unit; /* COLUMNAR_TIMESTAMP only */
    size_t len;              /* values (valid or null) appended so far */
    size_t null_count;
    uint8_t *validity;       /* bit i set = row i has a value (LSB first); bits from len on are
                              * 1 until a row is set NULL, so storing a value never touches them */
    union {
        int64_t *i64;  /* TIMESTAMP, INT64 */
        uint64_t *u64; /* UINT64 */
        double *f64;   /* DOUBLE */
        uint8_t *b;    /* BOOL: one byte per row, 0 or 1 */
        uint32_t *off; /* STRING: len+1 offsets into data (offsets of NULL rows repeat) */
    } v;
    i2i_buf data; /* STRING bytes */
} columnar_column;

typedef struct columnar_batch {
    size_t ncols;
    columnar_column *cols;
    size_t nrows;    /* completed rows */
    size_t capacity; /* max rows */
} columnar_batch;

typedef struct columnar_field {
    const char *name;
    columnar_type type;
    columnar_time_unit unit;
} columnar_field;

/* Create a batch for `capacity` rows with the given columns (names are copied). */
int columnar_batch_new(const columnar_field *fields, size_t nfields, size_t capacity,
                       columnar_batch **out, i2i_error *err);
void columnar_batch_free(columnar_batch *b);
/* Empty the batch for reuse; keeps all allocations. */
void columnar_batch_clear(columnar_batch *b);
/* Exchange the rows (values, validity, string bytes, counts) of two batches made with the same
 * fields and capacity; each keeps its own struct and column names, so pointers to its columns
 * (a parser's) stay valid. Lets a producer hand a full batch to a consumer thread and go on
 * filling the consumer's emptied one without copying or allocating. I2I_ERR_INVALID (nothing
 * changed) when the shapes differ. */
int columnar_batch_swap(columnar_batch *a, columnar_batch *b);
/* Bytes held by the batch's values (what a flush-by-size threshold compares against). */
size_t columnar_batch_bytes(const columnar_batch *b);
/* Index of a column by exact name, or -1. */
int columnar_batch_find(const columnar_batch *b, const char *name);
static inline int columnar_batch_full(const columnar_batch *b) { return b->nrows >= b->capacity; }

static inline int columnar_is_valid(const columnar_column *c, size_t row)
{
    return (c->validity[row >> 3] >> (row & 7)) & 1;
}

/* Row-wise filling. The set functions write row b->nrows of the column; each column at most once
 * per row. end_row NULL-fills the columns not set and advances nrows. */
static inline void columnar_set_i64(columnar_column *c, size_t row, int64_t v)
{
    c->v.i64[row] = v;
    c->len = row + 1;
}
static inline void columnar_set_u64(columnar_column *c, size_t row, uint64_t v)
{
    c->v.u64[row] = v;
    c->len = row + 1;
}
static inline void columnar_set_f64(columnar_column *c, size_t row, double v)
{
    c->v.f64[row] = v;
    c->len = row + 1;
}
static inline void columnar_set_bool(columnar_column *c, size_t row, int v)
{
    c->v.b[row] = (uint8_t)(v != 0);
    c->len = row + 1;
}
/* Strings are copied into the column's buffer; I2I_ERR_NOMEM or I2I_ERR_RANGE (> 4 GiB) on failure. */
int columnar_set_string_slow_(columnar_column *c, size_t row, const char *s, size_t n);
static inline int columnar_set_string(columnar_column *c, size_t row, const char *s, size_t n)
{
    uint32_t start;
    uint8_t *d;
    /* The JSONL parser's case, once per string cell: a short value, the next row, room in the
     * buffer. Copied with at most two overlapping loads/stores instead of a memcpy call and the
     * out-of-line append; anything else takes the general path. */
    if (I2I_UNLIKELY(n == 0 || n > 16 || c->len != row || c->data.cap - c->data.len < n))
        return columnar_set_string_slow_(c, row, s, n);
    start = c->v.off[row];
    if (I2I_UNLIKELY(n > UINT32_MAX - start)) return I2I_ERR_RANGE;
    d = c->data.data + c->data.len;
    if (n >= 8) {
        uint64_t x, y;
        memcpy(&x, s, 8);
        memcpy(&y, s + n - 8, 8);
        memcpy(d, &x, 8);
        memcpy(d + n - 8, &y, 8);
    } else if (n >= 4) {
        uint32_t x, y;
        memcpy(&x, s, 4);
        memcpy(&y, s + n - 4, 4);
        memcpy(d, &x, 4);
        memcpy(d + n - 4, &y, 4);
    } else {
        d[0] = (uint8_t)s[0];
        d[n / 2] = (uint8_t)s[n / 2];
        d[n - 1] = (uint8_t)s[n - 1];
    }
    c->data.len += n;
    c->v.off[row + 1] = start + (uint32_t)n;
    c->len = row + 1;
    return I2I_OK;
}
/* Set a column NULL explicitly for this row. */
void columnar_set_null(columnar_column *c, size_t row);
void columnar_batch_end_row(columnar_batch *b);

/* Column-wise appends (tests, generators): append at c->len. */
static inline void columnar_append_i64(columnar_column *c, int64_t v) { columnar_set_i64(c, c->len, v); }
static inline void columnar_append_u64(columnar_column *c, uint64_t v) { columnar_set_u64(c, c->len, v); }
static inline void columnar_append_f64(columnar_column *c, double v) { columnar_set_f64(c, c->len, v); }
static inline void columnar_append_bool(columnar_column *c, int v) { columnar_set_bool(c, c->len, v); }
static inline int columnar_append_string(columnar_column *c, const char *s, size_t n)
{
    return columnar_set_string(c, c->len, s, n);
}
static inline void columnar_append_null(columnar_column *c) { columnar_set_null(c, c->len); }
/* After column-wise appends: check every column has the same length and set nrows. */
int columnar_batch_seal(columnar_batch *b, i2i_error *err);

/* String value of row i (not NUL-terminated). */
static inline const char *columnar_string_at(const columnar_column *c, size_t row, size_t *n)
{
    *n = c->v.off[row + 1] - c->v.off[row];
    return (const char *)c->data.data + c->v.off[row];
}

const char *columnar_type_name(columnar_type t);

#endif /* I2I_COLUMNAR_H */
