/* Statistics: merge, encode (PLAIN statistics form) and compare in each type's order. */
#include "stats.h"

void pq_stats_init(pq_stats *s) { memset(s, 0, sizeof *s); }

void pq_stats_free(pq_stats *s)
{
    if (!s) return;
    i2i_buf_free(&s->min_b);
    i2i_buf_free(&s->max_b);
    pq_stats_init(s);
}

void pq_stats_reset(pq_stats *s)
{
    i2i_buf min_b = s->min_b, max_b = s->max_b;
    memset(s, 0, sizeof *s);
    s->min_b = min_b;
    s->max_b = max_b;
    i2i_buf_reset(&s->min_b);
    i2i_buf_reset(&s->max_b);
}

static int set_bytes(i2i_buf *b, const uint8_t *p, size_t n)
{
    i2i_buf_reset(b);
    if (i2i_buf_reserve(b, n ? n : 1) != I2I_OK) return I2I_ERR_NOMEM;
    if (n) memcpy(b->data, p, n);
    b->len = n;
    return I2I_OK;
}

int pq_stats_update_bytes(pq_stats *s, const uint8_t *mn, size_t mnn, const uint8_t *mx, size_t mxn)
{
    if (!s->has_minmax) {
        I2I_TRY(set_bytes(&s->min_b, mn, mnn));
        I2I_TRY(set_bytes(&s->max_b, mx, mxn));
        s->has_minmax = 1;
        return I2I_OK;
    }
    if (pq_bytes_cmp(mn, mnn, s->min_b.data, s->min_b.len) < 0) I2I_TRY(set_bytes(&s->min_b, mn, mnn));
    if (pq_bytes_cmp(mx, mxn, s->max_b.data, s->max_b.len) > 0) I2I_TRY(set_bytes(&s->max_b, mx, mxn));
    return I2I_OK;
}

int pq_stats_merge(pq_stats *dst, const pq_stats *src, parquet_physical physical)
{
    dst->null_count += src->null_count;
    dst->nan_count += src->nan_count;
    if (!src->has_minmax) return I2I_OK;
    switch (physical) {
    case PARQUET_DOUBLE: pq_stats_update_double(dst, src->min_d, src->max_d); break;
    case PARQUET_BYTE_ARRAY:
        return pq_stats_update_bytes(dst, src->min_b.data, src->min_b.len, src->max_b.data,
                                     src->max_b.len);
    case PARQUET_FIXED_LEN_BYTE_ARRAY:
        pq_stats_update_dec(dst, src->min_hi, src->min_lo, src->max_hi, src->max_lo);
        break;
    default: pq_stats_update_i64(dst, src->min_i, src->max_i); break;
    }
    return I2I_OK;
}

int pq_stats_encode(const pq_stats *s, parquet_physical physical, int32_t type_length, int is_max,
                    i2i_buf *out)
{
    uint8_t tmp[32];
    switch (physical) {
    case PARQUET_BOOLEAN: return i2i_buf_put_u8(out, (uint8_t)(is_max ? s->max_i : s->min_i) != 0);
    case PARQUET_INT32: return i2i_buf_put_le32(out, (uint32_t)(int32_t)(is_max ? s->max_i : s->min_i));
    case PARQUET_INT64: return i2i_buf_put_le64(out, (uint64_t)(is_max ? s->max_i : s->min_i));
    case PARQUET_DOUBLE: {
        double d = is_max ? s->max_d : s->min_d;
        uint64_t bits;
        /* TYPE_ORDER: a zero minimum is written -0.0, a zero maximum +0.0. */
        if (d == 0.0) d = is_max ? 0.0 : -0.0;
        memcpy(&bits, &d, 8);
        return i2i_buf_put_le64(out, bits);
    }
    case PARQUET_BYTE_ARRAY: {
        const i2i_buf *b = is_max ? &s->max_b : &s->min_b;
        return i2i_buf_append(out, b->data, b->len);
    }
    case PARQUET_FIXED_LEN_BYTE_ARRAY:
        if (type_length < 1 || type_length > (int32_t)sizeof tmp) return I2I_ERR_INTERNAL;
        if (is_max)
            pq_store_decimal_be(tmp, s->max_hi, s->max_lo, type_length);
        else
            pq_store_decimal_be(tmp, s->min_hi, s->min_lo, type_length);
        return i2i_buf_append(out, tmp, (size_t)type_length);
    }
    return I2I_ERR_INTERNAL;
}

static int cmp_i64(int64_t a, int64_t b) { return a < b ? -1 : (a > b ? 1 : 0); }

int pq_stats_cmp_encoded(parquet_physical physical, const uint8_t *a, size_t an, const uint8_t *b,
                         size_t bn)
{
    switch (physical) {
    case PARQUET_BOOLEAN: return cmp_i64(a[0], b[0]);
    case PARQUET_INT32: return cmp_i64((int32_t)i2i_load_le32(a), (int32_t)i2i_load_le32(b));
    case PARQUET_INT64: return cmp_i64((int64_t)i2i_load_le64(a), (int64_t)i2i_load_le64(b));
    case PARQUET_DOUBLE: {
        uint64_t ua = i2i_load_le64(a), ub = i2i_load_le64(b);
        double da, db;
        memcpy(&da, &ua, 8);
        memcpy(&db, &ub, 8);
        return da < db ? -1 : (da > db ? 1 : 0);
    }
    case PARQUET_FIXED_LEN_BYTE_ARRAY:
        /* Signed big-endian: the sign byte decides first, the rest compare unsigned. */
        if (an && bn && a[0] != b[0]) return cmp_i64((int8_t)a[0], (int8_t)b[0]);
        return pq_bytes_cmp(a, an, b, bn);
    case PARQUET_BYTE_ARRAY: return pq_bytes_cmp(a, an, b, bn);
    }
    return 0;
}
