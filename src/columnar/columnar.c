/* Column batches: preallocated typed vectors + validity bitmaps + per-column string bytes. */
#include "columnar.h"

#include <stdlib.h>

static size_t value_width(columnar_type t)
{
    switch (t) {
    case COLUMNAR_BOOL: return 1;
    case COLUMNAR_STRING: return sizeof(uint32_t);
    default: return 8;
    }
}

int columnar_batch_new(const columnar_field *fields, size_t nfields, size_t capacity,
                       columnar_batch **out, i2i_error *err)
{
    columnar_batch *b;
    size_t i;

    *out = NULL;
    if (capacity == 0) return i2i_error_set(err, I2I_ERR_INVALID, "column batch capacity must be > 0");
    b = calloc(1, sizeof *b);
    if (!b) return i2i_error_nomem(err, "creating a column batch");
    b->cols = calloc(nfields ? nfields : 1, sizeof *b->cols);
    if (!b->cols) {
        free(b);
        return i2i_error_nomem(err, "creating a column batch");
    }
    b->ncols = nfields;
    b->capacity = capacity;
    for (i = 0; i < nfields; i++) {
        columnar_column *c = &b->cols[i];
        size_t slots = capacity + (fields[i].type == COLUMNAR_STRING ? 1 : 0);
        c->name = i2i_strdup(fields[i].name);
        c->type = fields[i].type;
        c->unit = fields[i].unit;
        c->validity = malloc((capacity + 7) / 8);
        c->v.i64 = calloc(slots, value_width(c->type));
        if (!c->name || !c->validity || !c->v.i64) {
            columnar_batch_free(b);
            return i2i_error_nomem(err, "allocating column vectors");
        }
        memset(c->validity, 0xFF, (capacity + 7) / 8);
    }
    *out = b;
    return I2I_OK;
}

void columnar_batch_free(columnar_batch *b)
{
    size_t i;
    if (!b) return;
    for (i = 0; i < b->ncols; i++) {
        free(b->cols[i].name);
        free(b->cols[i].validity);
        free(b->cols[i].v.i64);
        i2i_buf_free(&b->cols[i].data);
    }
    free(b->cols);
    free(b);
}

void columnar_batch_clear(columnar_batch *b)
{
    size_t i;
    for (i = 0; i < b->ncols; i++) {
        columnar_column *c = &b->cols[i];
        memset(c->validity, 0xFF, (b->capacity + 7) / 8);
        c->len = 0;
        c->null_count = 0;
        i2i_buf_reset(&c->data);
    }
    b->nrows = 0;
}

int columnar_batch_swap(columnar_batch *a, columnar_batch *b)
{
    size_t i, n;
    if (a->ncols != b->ncols || a->capacity != b->capacity) return I2I_ERR_INVALID;
    for (i = 0; i < a->ncols; i++) {
        if (a->cols[i].type != b->cols[i].type || a->cols[i].unit != b->cols[i].unit) return I2I_ERR_INVALID;
    }
    for (i = 0; i < a->ncols; i++) {
        columnar_column *x = &a->cols[i], *y = &b->cols[i], t = *x;
        x->len = y->len;
        x->null_count = y->null_count;
        x->validity = y->validity;
        x->v = y->v;
        x->data = y->data;
        y->len = t.len;
        y->null_count = t.null_count;
        y->validity = t.validity;
        y->v = t.v;
        y->data = t.data;
    }
    n = a->nrows;
    a->nrows = b->nrows;
    b->nrows = n;
    return I2I_OK;
}

size_t columnar_batch_bytes(const columnar_batch *b)
{
    size_t i, total = 0;
    for (i = 0; i < b->ncols; i++) {
        const columnar_column *c = &b->cols[i];
        total += b->nrows * value_width(c->type) + (b->nrows + 7) / 8 + c->data.len;
    }
    return total;
}

int columnar_batch_find(const columnar_batch *b, const char *name)
{
    size_t i;
    for (i = 0; i < b->ncols; i++) {
        if (strcmp(b->cols[i].name, name) == 0) return (int)i;
    }
    return -1;
}

int columnar_set_string_slow_(columnar_column *c, size_t row, const char *s, size_t n)
{
    uint32_t start;
    /* Rows skipped since the last value are NULL and repeat the running offset. */
    while (c->len < row) columnar_set_null(c, c->len);
    start = c->v.off[row];
    if (n > UINT32_MAX - start) return I2I_ERR_RANGE;
    if (i2i_buf_append(&c->data, s, n) != I2I_OK) return I2I_ERR_NOMEM;
    c->v.off[row + 1] = start + (uint32_t)n;
    c->len = row + 1;
    return I2I_OK;
}

void columnar_set_null(columnar_column *c, size_t row)
{
    if (c->type == COLUMNAR_STRING) {
        while (c->len < row) columnar_set_null(c, c->len);
        c->v.off[row + 1] = c->v.off[row];
    } else if (c->type == COLUMNAR_BOOL) {
        c->v.b[row] = 0;
    } else {
        c->v.i64[row] = 0;
    }
    c->validity[row >> 3] &= (uint8_t) ~(1u << (row & 7));
    c->null_count++;
    c->len = row + 1;
}

void columnar_batch_end_row(columnar_batch *b)
{
    size_t i, row = b->nrows;
    for (i = 0; i < b->ncols; i++) {
        columnar_column *c = &b->cols[i];
        if (c->len <= row) columnar_set_null(c, row);
    }
    b->nrows = row + 1;
}

int columnar_batch_seal(columnar_batch *b, i2i_error *err)
{
    size_t i, n = b->ncols ? b->cols[0].len : 0;
    for (i = 1; i < b->ncols; i++) {
        if (b->cols[i].len != n) {
            return i2i_error_set(err, I2I_ERR_INVALID, "column '%s' has %zu values but '%s' has %zu",
                                 b->cols[i].name, b->cols[i].len, b->cols[0].name, n);
        }
    }
    b->nrows = n;
    return I2I_OK;
}

const char *columnar_type_name(columnar_type t)
{
    switch (t) {
    case COLUMNAR_TIMESTAMP: return "timestamp";
    case COLUMNAR_INT64: return "int64";
    case COLUMNAR_UINT64: return "uint64";
    case COLUMNAR_DOUBLE: return "double";
    case COLUMNAR_BOOL: return "bool";
    case COLUMNAR_STRING: return "string";
    }
    return "?";
}
