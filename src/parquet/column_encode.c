/*
 * The value loops: one per (physical type, encoding), each a tight loop over a piece of a batch
 * that appends PLAIN bytes or dictionary indices to the open page and keeps local min/max.
 * Each loop is instantiated twice through always-inline: for contiguous rows (rows == NULL, where
 * fixed-width values without nulls are a memcpy) and for a row list (partition routing).
 */
#include "column_writer.h"

#include <math.h>
#include <stdlib.h>

#define ROW(k) (rows ? (size_t)rows[k] : off + (k))
#define VALID(r) ((valid[(r) >> 3] >> ((r) & 7)) & 1u)

static PQ_INLINE void count_values(pq_column *c, size_t rows_used, size_t values)
{
    c->page_values += values;
    c->page_nulls += rows_used - values;
    c->page_stats.null_count += (int64_t)(rows_used - values);
}

static int ensure_idx(pq_column *c, size_t extra, i2i_error *err)
{
    size_t need = c->page_values + extra, cap;
    uint32_t *p;
    if (need <= c->idx_cap) return I2I_OK;
    cap = c->idx_cap ? c->idx_cap : 1024;
    while (cap < need) cap *= 2;
    p = realloc(c->idx, cap * sizeof *p);
    if (!p) return i2i_error_nomem(err, "growing a dictionary index page");
    c->idx = p;
    c->idx_cap = cap;
    return I2I_OK;
}

static int nomem(i2i_error *err) { return i2i_error_nomem(err, "encoding a parquet page"); }

/* ------------------------------------------------------------------ BOOLEAN (PLAIN bits) */

static PQ_INLINE int enc_bool(pq_column *c, const uint8_t *v, const uint8_t *valid, size_t off,
                              size_t n, int has_nulls, const uint32_t *rows, i2i_error *err)
{
    size_t bit = c->page_values, need = (bit + n + 7) / 8, k, cnt = 0;
    int any_true = 0, any_false = 0;
    uint8_t *dst;
    if (need > c->plain.len) {
        if (i2i_buf_reserve(&c->plain, need - c->plain.len) != I2I_OK) return nomem(err);
        memset(c->plain.data + c->plain.len, 0, need - c->plain.len);
    }
    dst = c->plain.data;
    for (k = 0; k < n; k++) {
        size_t r = ROW(k);
        unsigned b;
        if (has_nulls && !VALID(r)) continue;
        b = v[r] != 0;
        dst[bit >> 3] |= (uint8_t)(b << (bit & 7));
        bit++;
        cnt++;
        any_true |= (int)b;
        any_false |= (int)!b;
    }
    c->plain.len = (bit + 7) / 8;
    count_values(c, n, cnt);
    if (cnt) pq_stats_update_i64(&c->page_stats, any_false ? 0 : 1, any_true ? 1 : 0);
    return I2I_OK;
}

/* ------------------------------------------------------------------ INT64 / INT32 PLAIN */

static PQ_INLINE int enc_int_plain(pq_column *c, const int64_t *v, const uint8_t *valid, size_t off,
                                   size_t n, int has_nulls, int width, const uint32_t *rows,
                                   i2i_error *err)
{
    int64_t mn = INT64_MAX, mx = INT64_MIN;
    size_t k, cnt = 0;
    uint8_t *dst;
    if (i2i_buf_reserve(&c->plain, n * (size_t)width) != I2I_OK) return nomem(err);
    dst = c->plain.data + c->plain.len;
    if (!has_nulls && !rows && width == 8) {
        memcpy(dst, v + off, n * 8);
        for (k = 0; k < n; k++) {
            int64_t x = v[off + k];
            mn = x < mn ? x : mn;
            mx = x > mx ? x : mx;
        }
        cnt = n;
    } else {
        for (k = 0; k < n; k++) {
            size_t r = ROW(k);
            int64_t x;
            if (has_nulls && !VALID(r)) continue;
            x = v[r];
            if (width == 8) {
                memcpy(dst + cnt * 8, &x, 8);
            } else {
                int32_t y = (int32_t)x;
                memcpy(dst + cnt * 4, &y, 4);
            }
            cnt++;
            mn = x < mn ? x : mn;
            mx = x > mx ? x : mx;
        }
    }
    c->plain.len += cnt * (size_t)width;
    count_values(c, n, cnt);
    if (cnt) pq_stats_update_i64(&c->page_stats, mn, mx);
    return I2I_OK;
}

/* ------------------------------------------------------------------ INT64 / INT32 dictionary */

static PQ_INLINE int enc_int_dict(pq_column *c, const int64_t *v, const uint8_t *valid, size_t off,
                                  size_t n, int has_nulls, size_t *used, const uint32_t *rows,
                                  i2i_error *err)
{
    int64_t mn = INT64_MAX, mx = INT64_MIN;
    size_t k, cnt = 0, budget = c->dict_room;
    uint32_t *out;
    int rc = 0;
    I2I_TRY(ensure_idx(c, n, err));
    out = c->idx + c->page_values;
    for (k = 0; k < n; k++) {
        size_t r = ROW(k);
        int64_t x;
        uint32_t ix;
        if (k + PQ_DICT_PREFETCH_AHEAD < n)
            pq_dict_prefetch_num(&c->dict, (uint64_t)v[ROW(k + PQ_DICT_PREFETCH_AHEAD)]);
        if (has_nulls && !VALID(r)) continue;
        x = v[r];
        rc = pq_dict_put_num(&c->dict, (uint64_t)x, budget, &ix);
        if (I2I_UNLIKELY(rc != 0)) break;
        out[cnt++] = ix;
        mn = x < mn ? x : mn;
        mx = x > mx ? x : mx;
    }
    if (rc < 0) return nomem(err);
    *used = k;
    count_values(c, k, cnt);
    if (cnt) pq_stats_update_i64(&c->page_stats, mn, mx);
    return I2I_OK;
}

/* ------------------------------------------------------------------ DOUBLE */

static PQ_INLINE int enc_double(pq_column *c, const double *v, const uint8_t *valid, size_t off,
                                size_t n, int has_nulls, int dict, size_t *used, const uint32_t *rows,
                                i2i_error *err)
{
    double mn = INFINITY, mx = -INFINITY;
    size_t k, cnt = 0, nan = 0, budget = c->dict_room;
    uint8_t *dst = NULL;
    uint32_t *out = NULL;
    int rc = 0;
    if (dict) {
        I2I_TRY(ensure_idx(c, n, err));
        out = c->idx + c->page_values;
    } else {
        if (i2i_buf_reserve(&c->plain, n * 8) != I2I_OK) return nomem(err);
        dst = c->plain.data + c->plain.len;
    }
    if (!dict && !has_nulls && !rows) {
        memcpy(dst, v + off, n * 8);
        for (k = 0; k < n; k++) {
            double x = v[off + k];
            if (x != x) {
                nan++;
                continue;
            }
            mn = x < mn ? x : mn;
            mx = x > mx ? x : mx;
        }
        cnt = n;
    } else {
        for (k = 0; k < n; k++) {
            size_t r = ROW(k);
            double x;
            if (dict && k + PQ_DICT_PREFETCH_AHEAD < n) {
                uint64_t ahead;
                memcpy(&ahead, &v[ROW(k + PQ_DICT_PREFETCH_AHEAD)], 8);
                pq_dict_prefetch_num(&c->dict, ahead);
            }
            if (has_nulls && !VALID(r)) continue;
            x = v[r];
            if (dict) {
                uint64_t bits;
                uint32_t ix;
                memcpy(&bits, &x, 8);
                rc = pq_dict_put_num(&c->dict, bits, budget, &ix);
                if (I2I_UNLIKELY(rc != 0)) break;
                out[cnt++] = ix;
            } else {
                memcpy(dst + cnt * 8, &x, 8);
                cnt++;
            }
            if (x != x) {
                nan++;
                continue;
            }
            mn = x < mn ? x : mn;
            mx = x > mx ? x : mx;
        }
        if (rc < 0) return nomem(err);
    }
    if (!dict) c->plain.len += cnt * 8;
    *used = k;
    count_values(c, k, cnt);
    c->page_stats.nan_count += (int64_t)nan;
    if (cnt > nan) pq_stats_update_double(&c->page_stats, mn, mx);
    return I2I_OK;
}

/* ------------------------------------------------------------------ BYTE_ARRAY */

static PQ_INLINE int enc_string_plain(pq_column *c, const uint32_t *offs, const uint8_t *data,
                                      const uint8_t *valid, size_t off, size_t n, int has_nulls,
                                      const uint32_t *rows, i2i_error *err)
{
    pq_bytes_range range = {NULL, NULL, 0, 0};
    size_t k, cnt = 0;
    if (!rows) {
        /* One reservation for the whole contiguous piece. */
        size_t bytes = (size_t)(offs[off + n] - offs[off]) + 4 * n;
        if (i2i_buf_reserve(&c->plain, bytes) != I2I_OK) return nomem(err);
    }
    for (k = 0; k < n; k++) {
        size_t r = ROW(k), len;
        const uint8_t *p;
        uint8_t *dst;
        if (has_nulls && !VALID(r)) continue;
        len = offs[r + 1] - offs[r];
        p = data + offs[r];
        if (rows && i2i_buf_reserve(&c->plain, 4 + len) != I2I_OK) return nomem(err);
        dst = c->plain.data + c->plain.len;
        i2i_store_le32(dst, (uint32_t)len);
        memcpy(dst + 4, p, len);
        c->plain.len += 4 + len;
        pq_bytes_range_add(&range, p, len);
        cnt++;
    }
    count_values(c, n, cnt);
    if (cnt && pq_stats_update_bytes(&c->page_stats, range.mn, range.mnn, range.mx, range.mxn) != I2I_OK)
        return nomem(err);
    return I2I_OK;
}

/* Dictionary strings: page statistics come from the distinct entries at page close. */
static PQ_INLINE int enc_string_dict(pq_column *c, const uint32_t *offs, const uint8_t *data,
                                     const uint8_t *valid, size_t off, size_t n, int has_nulls,
                                     size_t *used, const uint32_t *rows, i2i_error *err)
{
    size_t k, cnt = 0, budget = c->dict_room;
    uint32_t *out;
    int rc = 0;
    I2I_TRY(ensure_idx(c, n, err));
    out = c->idx + c->page_values;
    for (k = 0; k < n; k++) {
        size_t r = ROW(k);
        uint32_t ix;
        if (has_nulls && !VALID(r)) continue;
        rc = pq_dict_put_bytes(&c->dict, data + offs[r], offs[r + 1] - offs[r], budget, &ix);
        if (I2I_UNLIKELY(rc != 0)) break;
        out[cnt++] = ix;
    }
    if (rc < 0) return nomem(err);
    *used = k;
    count_values(c, k, cnt);
    return I2I_OK;
}

/* ------------------------------------------------------------------ FIXED_LEN_BYTE_ARRAY decimal */

static PQ_INLINE int enc_decimal(pq_column *c, const uint64_t *v, int is_unsigned,
                                 const uint8_t *valid, size_t off, size_t n, int has_nulls, int dict,
                                 size_t *used, const uint32_t *rows, i2i_error *err)
{
    int len = c->spec.type_length;
    int64_t mnhi = INT64_MAX, mxhi = INT64_MIN;
    uint64_t mnlo = UINT64_MAX, mxlo = 0;
    size_t k, cnt = 0, budget = c->dict_room;
    uint32_t *out = NULL;
    uint8_t tmp[32];
    int rc = 0;
    if (dict) {
        I2I_TRY(ensure_idx(c, n, err));
        out = c->idx + c->page_values;
    } else if (i2i_buf_reserve(&c->plain, n * (size_t)len) != I2I_OK) {
        return nomem(err);
    }
    for (k = 0; k < n; k++) {
        size_t r = ROW(k);
        uint64_t lo;
        int64_t hi;
        if (has_nulls && !VALID(r)) continue;
        lo = v[r];
        hi = is_unsigned ? 0 : ((int64_t)lo < 0 ? -1 : 0);
        if (dict) {
            uint32_t ix;
            pq_store_decimal_be(tmp, hi, lo, len);
            rc = pq_dict_put_bytes(&c->dict, tmp, (size_t)len, budget, &ix);
            if (I2I_UNLIKELY(rc != 0)) break;
            out[cnt] = ix;
        } else {
            pq_store_decimal_be(c->plain.data + c->plain.len, hi, lo, len);
            c->plain.len += (size_t)len;
        }
        cnt++;
        if (pq_dec_cmp(hi, lo, mnhi, mnlo) < 0) {
            mnhi = hi;
            mnlo = lo;
        }
        if (pq_dec_cmp(hi, lo, mxhi, mxlo) > 0) {
            mxhi = hi;
            mxlo = lo;
        }
    }
    if (rc < 0) return nomem(err);
    *used = k;
    count_values(c, k, cnt);
    if (cnt) pq_stats_update_dec(&c->page_stats, mnhi, mnlo, mxhi, mxlo);
    return I2I_OK;
}

/* ------------------------------------------------------------------ dispatch */

/* Call fn twice-instantiated: rows == NULL (contiguous) or a row list. */
#define DISPATCH(call_contig, call_rows) (rows ? (call_rows) : (call_contig))

int pq_encode_piece(pq_column *c, const columnar_column *src, size_t off, const uint32_t *rows,
                    size_t n, int has_nulls, size_t *used, i2i_error *err)
{
    static const uint8_t no_bytes[1] = {0};
    const uint8_t *valid = src->validity;
    const uint8_t *sdata = src->data.data ? src->data.data : no_bytes;
    int dict = c->mode == PQ_MODE_DICT;
    *used = n;
    switch (c->spec.physical) {
    case PARQUET_BOOLEAN:
        return DISPATCH(enc_bool(c, src->v.b, valid, off, n, has_nulls, NULL, err),
                        enc_bool(c, src->v.b, valid, off, n, has_nulls, rows, err));
    case PARQUET_INT32:
    case PARQUET_INT64: {
        /* INT64, TIMESTAMP and (checked <= INT64_MAX) UINT64 vectors share the int64 bits. */
        int width = c->spec.physical == PARQUET_INT32 ? 4 : 8;
        if (dict)
            return DISPATCH(enc_int_dict(c, src->v.i64, valid, off, n, has_nulls, used, NULL, err),
                            enc_int_dict(c, src->v.i64, valid, off, n, has_nulls, used, rows, err));
        if (width == 8)
            return DISPATCH(enc_int_plain(c, src->v.i64, valid, off, n, has_nulls, 8, NULL, err),
                            enc_int_plain(c, src->v.i64, valid, off, n, has_nulls, 8, rows, err));
        return DISPATCH(enc_int_plain(c, src->v.i64, valid, off, n, has_nulls, 4, NULL, err),
                        enc_int_plain(c, src->v.i64, valid, off, n, has_nulls, 4, rows, err));
    }
    case PARQUET_DOUBLE:
        if (dict)
            return DISPATCH(enc_double(c, src->v.f64, valid, off, n, has_nulls, 1, used, NULL, err),
                            enc_double(c, src->v.f64, valid, off, n, has_nulls, 1, used, rows, err));
        return DISPATCH(enc_double(c, src->v.f64, valid, off, n, has_nulls, 0, used, NULL, err),
                        enc_double(c, src->v.f64, valid, off, n, has_nulls, 0, used, rows, err));
    case PARQUET_BYTE_ARRAY:
        if (dict)
            return DISPATCH(enc_string_dict(c, src->v.off, sdata, valid, off, n, has_nulls,
                                            used, NULL, err),
                            enc_string_dict(c, src->v.off, sdata, valid, off, n, has_nulls,
                                            used, rows, err));
        return DISPATCH(
            enc_string_plain(c, src->v.off, sdata, valid, off, n, has_nulls, NULL, err),
            enc_string_plain(c, src->v.off, sdata, valid, off, n, has_nulls, rows, err));
    case PARQUET_FIXED_LEN_BYTE_ARRAY: {
        int uns = src->type == COLUMNAR_UINT64;
        return DISPATCH(
            enc_decimal(c, src->v.u64, uns, valid, off, n, has_nulls, dict, used, NULL, err),
            enc_decimal(c, src->v.u64, uns, valid, off, n, has_nulls, dict, used, rows, err));
    }
    }
    return i2i_error_set(err, I2I_ERR_INTERNAL, "column '%s': unknown physical type", c->name);
}
