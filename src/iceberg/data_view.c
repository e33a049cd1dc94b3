/* The data writer's per-batch work: partition keys, the "view" batch in file order (shared
 * vectors, converted timestamps, NULL columns for fields the batch lacks), partition values. */
#include "data_writer_internal.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>

int dw_grow(void **p, size_t *cap, size_t need, size_t elem)
{
    size_t n;
    void *q;
    if (need <= *cap) return 0;
    n = *cap ? *cap : 64;
    while (n < need) n *= 2;
    q = realloc(*p, n * elem);
    if (!q) return -1;
    *p = q;
    *cap = n;
    return 0;
}

void dw_key_free(iceberg_partition_value *k, size_t n)
{
    size_t i;
    if (!k) return;
    for (i = 0; i < n; i++) free(k[i].s);
    free(k);
}

iceberg_partition_value *dw_key_copy(const iceberg_partition_value *k, size_t n)
{
    iceberg_partition_value *c = calloc(n ? n : 1, sizeof *c);
    size_t i;
    if (!c) return NULL;
    for (i = 0; i < n; i++) {
        c[i] = k[i];
        c[i].s = NULL;
        if (!k[i].is_null && k[i].s) {
            c[i].s = i2i_strndup(k[i].s, k[i].slen);
            if (!c[i].s) {
                dw_key_free(c, n);
                return NULL;
            }
        }
    }
    return c;
}

int dw_key_eq(const iceberg_partition_value *a, const iceberg_partition_value *b, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++) {
        if (a[i].is_null != b[i].is_null) return 0;
        if (a[i].is_null) continue;
        if (a[i].i != b[i].i || a[i].slen != b[i].slen) return 0;
        if (a[i].slen && memcmp(a[i].s, b[i].s, a[i].slen) != 0) return 0;
    }
    return 1;
}

uint64_t dw_key_hash(const iceberg_partition_value *k, size_t n)
{
    uint64_t h = 1469598103934665603ULL;
    size_t i, j;
    for (i = 0; i < n; i++) {
        uint64_t v = k[i].is_null ? 0x9e3779b97f4a7c15ULL : (uint64_t)k[i].i;
        h = (h ^ v) * 1099511628211ULL;
        for (j = 0; !k[i].is_null && j < k[i].slen; j++) h = (h ^ (uint8_t)k[i].s[j]) * 1099511628211ULL;
        h ^= h >> 29;
    }
    return h;
}

static int ensure_zeros(iceberg_writer *w, size_t bytes, i2i_error *err)
{
    if (bytes <= w->zeros_cap) return I2I_OK;
    free(w->zeros);
    w->zeros = calloc(1, bytes);
    if (!w->zeros) {
        w->zeros_cap = 0;
        return i2i_error_nomem(err, "null column");
    }
    w->zeros_cap = bytes;
    return I2I_OK;
}

static int compatible(const dw_col *c, const columnar_column *bc)
{
    switch (c->type.id) {
    case ICEBERG_TYPE_BOOLEAN: return bc->type == COLUMNAR_BOOL;
    case ICEBERG_TYPE_INT: return bc->type == COLUMNAR_INT64;
    case ICEBERG_TYPE_LONG: return bc->type == COLUMNAR_INT64 || bc->type == COLUMNAR_UINT64;
    case ICEBERG_TYPE_DOUBLE: return bc->type == COLUMNAR_DOUBLE;
    case ICEBERG_TYPE_STRING: return bc->type == COLUMNAR_STRING;
    case ICEBERG_TYPE_TIMESTAMP:
    case ICEBERG_TYPE_TIMESTAMPTZ:
    case ICEBERG_TYPE_TIMESTAMP_NS:
    case ICEBERG_TYPE_TIMESTAMPTZ_NS: return bc->type == COLUMNAR_TIMESTAMP;
    case ICEBERG_TYPE_DECIMAL: return bc->type == COLUMNAR_UINT64 || bc->type == COLUMNAR_INT64;
    default: return 0;
    }
}

int dw_build_view(iceberg_writer *w, const columnar_batch *b, i2i_error *err)
{
    size_t n = b->nrows, i, r;
    size_t zbytes = (n + 1) * 8;
    char tb[48];

    /* every batch column must be a table column */
    for (i = 0; i < b->ncols; i++) {
        size_t k;
        int found = 0;
        for (k = 0; k < w->ncols && !found; k++) found = strcmp(w->cols[k].name, b->cols[i].name) == 0;
        if (!found) {
            for (k = 0; k < w->nunwritable; k++) {
                if (strcmp(w->unwritable[k], b->cols[i].name) == 0)
                    return i2i_error_set(err, I2I_ERR_UNSUPPORTED,
                                         "column '%s': its table type cannot be written by influx2iceberg",
                                         b->cols[i].name);
            }
            return i2i_error_set(err, I2I_ERR_INVALID,
                                 "column '%s' is not in table %s (add it to the schema first)",
                                 b->cols[i].name, w->table_label);
        }
    }
    I2I_TRY(ensure_zeros(w, zbytes, err));
    for (i = 0; i < w->ncols; i++) {
        dw_col *c = &w->cols[i];
        columnar_column *v = &w->view_cols[i];
        int src = columnar_batch_find(b, c->name);
        const columnar_column *bc = src >= 0 ? &b->cols[src] : NULL;
        c->src = src;
        c->conv = CONV_NONE;
        if (!bc) {
            if (c->required && n > 0)
                return i2i_error_set(err, I2I_ERR_INVALID,
                                     "column '%s' is required in the table but missing from the data",
                                     c->name);
            memset(v, 0, sizeof *v);
            v->name = c->name;
            v->type = c->ctype;
            v->unit = COLUMNAR_MICROS;
            v->len = n;
            v->null_count = n;
            v->validity = w->zeros;
            v->v.i64 = (int64_t *)(void *)w->zeros;
            continue;
        }
        if (!compatible(c, bc))
            return i2i_error_set(err, I2I_ERR_INVALID,
                                 "column '%s': cannot write %s values into an Iceberg %s column", c->name,
                                 columnar_type_name(bc->type), iceberg_type_format(c->type, tb, sizeof tb));
        if (bc->len < n)
            return i2i_error_set(err, I2I_ERR_INTERNAL, "column '%s' has %zu values for %zu rows",
                                 c->name, bc->len, n);
        if (c->required && bc->null_count > 0) {
            for (r = 0; r < n && columnar_is_valid(bc, r); r++) {
            }
            return i2i_error_set(err, I2I_ERR_INVALID,
                                 "column '%s' is required in the table but row %zu of the batch is NULL "
                                 "(make the column optional)",
                                 c->name, r);
        }
        *v = *bc; /* shares the caller's vectors */
        if (bc->type == COLUMNAR_UINT64 && c->type.id == ICEBERG_TYPE_LONG) {
            for (r = 0; r < n; r++) {
                if (bc->v.u64[r] > (uint64_t)INT64_MAX && columnar_is_valid(bc, r))
                    return i2i_error_set(err, I2I_ERR_RANGE,
                                         "column '%s': unsigned value %llu (row %zu) does not fit the "
                                         "Iceberg long column (max %lld); use decimal(20,0) for uint64 fields",
                                         c->name, (unsigned long long)bc->v.u64[r], r, (long long)INT64_MAX);
            }
        }
        if (bc->type == COLUMNAR_TIMESTAMP) {
            int table_ns = c->type.id == ICEBERG_TYPE_TIMESTAMP_NS || c->type.id == ICEBERG_TYPE_TIMESTAMPTZ_NS;
            int batch_ns = bc->unit == COLUMNAR_NANOS;
            if (table_ns != batch_ns) {
                c->conv = batch_ns ? CONV_NS_TO_US : CONV_US_TO_NS;
                if (dw_grow((void **)&c->scratch, &c->scratch_cap, n ? n : 1, sizeof *c->scratch) < 0)
                    return i2i_error_nomem(err, "timestamp conversion");
                if (c->conv == CONV_NS_TO_US) {
                    int64_t trunc = 0;
                    for (r = 0; r < n; r++) {
                        int64_t x = bc->v.i64[r];
                        int64_t q = i2i_floor_div(x, 1000);
                        c->scratch[r] = q;
                        trunc += (q * 1000 != x) & columnar_is_valid(bc, r);
                    }
                    w->truncated += trunc;
                } else {
                    for (r = 0; r < n; r++) {
                        int64_t x = bc->v.i64[r];
                        if ((x > INT64_MAX / 1000 || x < INT64_MIN / 1000) && columnar_is_valid(bc, r))
                            return i2i_error_set(err, I2I_ERR_RANGE,
                                                 "column '%s': timestamp %lld us overflows nanoseconds",
                                                 c->name, (long long)x);
                        c->scratch[r] = columnar_is_valid(bc, r) ? x * 1000 : 0;
                    }
                }
                v->v.i64 = c->scratch;
            }
            v->unit = table_ns ? COLUMNAR_NANOS : COLUMNAR_MICROS;
        }
    }
    w->view.nrows = n;
    w->view.capacity = b->capacity > n ? b->capacity : n;
    return I2I_OK;
}

void dw_part_value(const dw_part *p, const columnar_batch *view, size_t row,
                       iceberg_partition_value *out)
{
    const columnar_column *c;
    int64_t x;
    out->s = NULL;
    out->slen = 0;
    out->i = 0;
    if (p->col < 0 || p->pf.transform == ICEBERG_TRANSFORM_VOID) {
        out->is_null = 1;
        return;
    }
    c = &view->cols[p->col];
    if (!columnar_is_valid(c, row)) {
        out->is_null = 1;
        return;
    }
    out->is_null = 0;
    if (c->type == COLUMNAR_STRING) {
        size_t n;
        const char *s = columnar_string_at(c, row, &n);
        if (p->pf.transform == ICEBERG_TRANSFORM_BUCKET) {
            out->i = (int64_t)((ice_murmur3_32(s, n) & 0x7FFFFFFFu) % (uint32_t)p->pf.param);
            return;
        }
        if (p->pf.transform == ICEBERG_TRANSFORM_TRUNCATE)
            n = ice_utf8_prefix((const uint8_t *)s, n, (size_t)p->pf.param);
        out->s = (char *)s;
        out->slen = n;
        return;
    }
    x = c->type == COLUMNAR_BOOL ? c->v.b[row] : c->v.i64[row]; /* u64 checked <= INT64_MAX */
    switch (p->pf.transform) {
    case ICEBERG_TRANSFORM_YEAR: out->i = iceberg_transform_year(x, p->nanos); break;
    case ICEBERG_TRANSFORM_MONTH: out->i = iceberg_transform_month(x, p->nanos); break;
    case ICEBERG_TRANSFORM_DAY: out->i = iceberg_transform_day(x, p->nanos); break;
    case ICEBERG_TRANSFORM_HOUR: out->i = iceberg_transform_hour(x, p->nanos); break;
    case ICEBERG_TRANSFORM_BUCKET: {
        uint8_t le[8];
        if (p->nanos) x = i2i_floor_div(x, 1000); /* bucket hashes µs */
        ice_bound_long(x, le);
        out->i = (int64_t)((ice_murmur3_32(le, 8) & 0x7FFFFFFFu) % (uint32_t)p->pf.param);
        break;
    }
    case ICEBERG_TRANSFORM_TRUNCATE: out->i = x - i2i_floor_mod(x, p->pf.param); break;
    default: out->i = x; break;
    }
}

int dw_part_range(const dw_part *p, const columnar_batch *view, size_t row, int64_t *lo, int64_t *hi)
{
    const columnar_column *c;
    if (p->col < 0) return 0;
    c = &view->cols[p->col];
    if (c->type != COLUMNAR_TIMESTAMP || !columnar_is_valid(c, row)) return 0;
    return iceberg_transform_range(p->pf.transform, c->v.i64[row], p->nanos, lo, hi);
}
