/*
 * Column statistics (internal to the parquet layer): null/NaN counts and min/max in the column's
 * TYPE_ORDER, kept per page, per chunk and per file.
 *
 * Orders: signed for INT32/INT64 (timestamps included); false < true for BOOLEAN; DOUBLE without
 * NaN (NaNs are only counted), with a zero minimum written as -0.0 and a zero maximum as +0.0;
 * BYTE_ARRAY by unsigned bytes (memcmp, then the shorter first); FIXED_LEN_BYTE_ARRAY decimals by
 * signed value, kept as a 65-bit number (hi = 0 or -1, lo) and written big-endian.
 *
 * Encoding callers loop over values keeping local minima and maxima and merge them once per slice
 * with the update functions, so the hot loops make no calls.
 */
#ifndef I2I_PARQUET_STATS_H
#define I2I_PARQUET_STATS_H

#include "parquet.h"

typedef struct pq_stats {
    int64_t null_count;
    int64_t nan_count;
    int has_minmax;          /* at least one non-null, non-NaN value */
    int64_t min_i, max_i;    /* INT32, INT64, BOOLEAN */
    double min_d, max_d;     /* DOUBLE */
    int64_t min_hi, max_hi;  /* DECIMAL: high part (0 or -1) */
    uint64_t min_lo, max_lo; /* DECIMAL: low 64 bits */
    i2i_buf min_b, max_b;    /* BYTE_ARRAY */
} pq_stats;

void pq_stats_init(pq_stats *s);
void pq_stats_free(pq_stats *s);
void pq_stats_reset(pq_stats *s);

/* Unsigned byte-wise order: memcmp over the common prefix, then the shorter one first. */
static inline int pq_bytes_cmp(const uint8_t *a, size_t an, const uint8_t *b, size_t bn)
{
    int c = memcmp(a, b, an < bn ? an : bn);
    if (c) return c;
    return an < bn ? -1 : (an > bn ? 1 : 0);
}

/* Running [min, max] of byte strings that stay in place while it is kept (no copies, so it can
 * live in a hot loop); merged into the statistics with pq_stats_update_bytes. */
typedef struct pq_bytes_range {
    const uint8_t *mn, *mx; /* mn == NULL: no value yet */
    size_t mnn, mxn;
} pq_bytes_range;

static inline void pq_bytes_range_add(pq_bytes_range *r, const uint8_t *p, size_t n)
{
    if (!r->mn) {
        r->mn = r->mx = p;
        r->mnn = r->mxn = n;
    } else if (pq_bytes_cmp(p, n, r->mn, r->mnn) < 0) {
        r->mn = p;
        r->mnn = n;
    } else if (pq_bytes_cmp(p, n, r->mx, r->mxn) > 0) {
        r->mx = p;
        r->mxn = n;
    }
}

/* Signed 65-bit compare of (hi, lo) pairs. */
static inline int pq_dec_cmp(int64_t ahi, uint64_t alo, int64_t bhi, uint64_t blo)
{
    if (ahi != bhi) return ahi < bhi ? -1 : 1;
    return alo < blo ? -1 : (alo > blo ? 1 : 0);
}

static inline void pq_stats_update_i64(pq_stats *s, int64_t mn, int64_t mx)
{
    if (!s->has_minmax) {
        s->min_i = mn;
        s->max_i = mx;
        s->has_minmax = 1;
        return;
    }
    if (mn < s->min_i) s->min_i = mn;
    if (mx > s->max_i) s->max_i = mx;
}

/* mn/mx must not be NaN. */
static inline void pq_stats_update_double(pq_stats *s, double mn, double mx)
{
    if (!s->has_minmax) {
        s->min_d = mn;
        s->max_d = mx;
        s->has_minmax = 1;
        return;
    }
    if (mn < s->min_d) s->min_d = mn;
    if (mx > s->max_d) s->max_d = mx;
}

static inline void pq_stats_update_dec(pq_stats *s, int64_t mnhi, uint64_t mnlo, int64_t mxhi,
                                       uint64_t mxlo)
{
    if (!s->has_minmax) {
        s->min_hi = mnhi;
        s->min_lo = mnlo;
        s->max_hi = mxhi;
        s->max_lo = mxlo;
        s->has_minmax = 1;
        return;
    }
    if (pq_dec_cmp(mnhi, mnlo, s->min_hi, s->min_lo) < 0) {
        s->min_hi = mnhi;
        s->min_lo = mnlo;
    }
    if (pq_dec_cmp(mxhi, mxlo, s->max_hi, s->max_lo) > 0) {
        s->max_hi = mxhi;
        s->max_lo = mxlo;
    }
}

/* Merge a byte-string range [mn, mx] (copies when it widens the bounds). */
int pq_stats_update_bytes(pq_stats *s, const uint8_t *mn, size_t mnn, const uint8_t *mx, size_t mxn);

/* Fold src into dst (counts added, bounds widened). */
int pq_stats_merge(pq_stats *dst, const pq_stats *src, parquet_physical physical);

/* Append the PLAIN statistics encoding of the minimum (is_max = 0) or maximum (is_max = 1):
 * 4/8 bytes LE for INT32/INT64/DOUBLE, 1 byte for BOOLEAN, raw bytes for BYTE_ARRAY, type_length
 * bytes big-endian two's complement for FIXED_LEN_BYTE_ARRAY. Requires has_minmax. */
int pq_stats_encode(const pq_stats *s, parquet_physical physical, int32_t type_length, int is_max,
                    i2i_buf *out);

/* Compare two values in that encoding, in the type's order (for the page index boundary order). */
int pq_stats_cmp_encoded(parquet_physical physical, const uint8_t *a, size_t an, const uint8_t *b,
                         size_t bn);

/* Store (hi, lo) as len bytes big-endian two's complement (sign-extended past 8 bytes). */
static inline void pq_store_decimal_be(uint8_t *dst, int64_t hi, uint64_t lo, int len)
{
    int i;
    for (i = 0; i < len; i++) {
        int shift = 8 * (len - 1 - i);
        dst[i] = shift < 64 ? (uint8_t)(lo >> shift) : (uint8_t)hi;
    }
}

#endif /* I2I_PARQUET_STATS_H */
