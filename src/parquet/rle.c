/* RLE / bit-packed hybrid encoding for definition levels and dictionary indices. */
#include "rle.h"

int pq_bit_width(uint64_t max_value)
{
    int w = 0;
    while (max_value) {
        w++;
        max_value >>= 1;
    }
    return w;
}

static uint8_t *put_uvarint(uint8_t *p, uint64_t v)
{
    while (v >= 0x80) {
        *p++ = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    *p++ = (uint8_t)v;
    return p;
}

static uint8_t *put_rle_run(uint8_t *p, uint32_t value, size_t count, int width)
{
    int nbytes = (width + 7) / 8, i;
    p = put_uvarint(p, (uint64_t)count << 1);
    for (i = 0; i < nbytes; i++) *p++ = (uint8_t)(value >> (8 * i));
    return p;
}

/* One bit-packed run holding n values (the last group zero-padded). */
static uint8_t *put_bitpacked_run(uint8_t *p, const uint32_t *v, size_t n, int width)
{
    size_t groups = (n + 7) / 8, i, total = groups * (size_t)width;
    uint8_t *start;
    uint64_t acc = 0;
    int bits = 0;

    p = put_uvarint(p, ((uint64_t)groups << 1) | 1);
    start = p;
    if (width == 0) return p;
    for (i = 0; i < n; i++) {
        acc |= (uint64_t)v[i] << bits;
        bits += width;
        if (bits >= 32) {
            i2i_store_le32(p, (uint32_t)acc);
            p += 4;
            acc >>= 32;
            bits -= 32;
        }
    }
    /* Flush what is left: the padding values are zero, so the rest of the run is acc's bytes
     * followed by zeros up to groups * width bytes. */
    while ((size_t)(p - start) < total) {
        *p++ = (uint8_t)acc;
        acc >>= 8;
    }
    return p;
}

/* Worst case: everything bit-packed, plus one header per run; runs alternate at least every 8
 * values, each header at most 10 bytes, each RLE value at most 4 bytes. */
static size_t rle_bound(size_t n, int width)
{
    return (n + 7) / 8 * (size_t)width + (n / 8 + 2) * 14 + 16;
}

int pq_rle_encode(i2i_buf *out, const uint32_t *a, size_t n, int width)
{
    size_t i = 0, lit = 0;
    uint8_t *p;

    if (n == 0) return I2I_OK;
    if (i2i_buf_reserve(out, rle_bound(n, width)) != I2I_OK) return I2I_ERR_NOMEM;
    p = out->data + out->len;
    while (i < n) {
        uint32_t v = a[i];
        size_t j = i + 1, run;
        while (j < n && a[j] == v) j++;
        run = j - i;
        if (run >= 8) {
            size_t pending = i - lit;
            size_t pad = (8 - (pending & 7)) & 7;
            /* A bit-packed run must hold whole groups of 8 unless it is the last run: borrow
             * values from this run to complete the group, if enough remain for an RLE run. */
            if (pad) {
                if (run - pad < 8) {
                    i = j;
                    continue;
                }
                pending += pad;
                run -= pad;
            }
            if (pending) p = put_bitpacked_run(p, a + lit, pending, width);
            p = put_rle_run(p, v, run, width);
            lit = j;
        }
        i = j;
    }
    if (lit < n) p = put_bitpacked_run(p, a + lit, n - lit, width);
    out->len = (size_t)(p - out->data);
    return I2I_OK;
}

int pq_rle_encode_dict_indices(i2i_buf *out, const uint32_t *idx, size_t n, int width)
{
    if (i2i_buf_put_u8(out, (uint8_t)width) != I2I_OK) return I2I_ERR_NOMEM;
    return pq_rle_encode(out, idx, n, width);
}

/* Bit-packed run copied from whole bitmap bytes (each byte = one group of 8 width-1 values). */
static uint8_t *put_bitmap_literal(uint8_t *p, const uint8_t *bytes, size_t nbytes)
{
    p = put_uvarint(p, ((uint64_t)nbytes << 1) | 1);
    memcpy(p, bytes, nbytes);
    return p + nbytes;
}

int pq_rle_encode_levels(i2i_buf *out, const uint8_t *bm, size_t n, size_t nnull)
{
    size_t start, nb = n / 8, tail = n % 8, i = 0, lit = 0;
    uint8_t *p;

    /* 4-byte length + worst case: every byte literal (one header) or alternating runs. */
    if (i2i_buf_reserve(out, 4 + nb + 1 + (nb / 3 + 2) * 12 + 16) != I2I_OK) return I2I_ERR_NOMEM;
    start = out->len;
    p = out->data + start + 4;
    if (n == 0) {
        /* nothing */
    } else if (nnull == 0) {
        p = put_rle_run(p, 1, n, 1);
    } else if (nnull == n) {
        p = put_rle_run(p, 0, n, 1);
    } else {
        while (i < nb) {
            uint8_t b = bm[i];
            if (b == 0x00 || b == 0xFF) {
                size_t j = i + 1;
                while (j < nb && bm[j] == b) j++;
                /* 3+ equal bytes (24+ values) cost less as one RLE run than as literals. */
                if (j - i >= 3) {
                    if (i > lit) p = put_bitmap_literal(p, bm + lit, i - lit);
                    p = put_rle_run(p, b ? 1 : 0, (j - i) * 8, 1);
                    lit = j;
                }
                i = j;
            } else {
                i++;
            }
        }
        if (tail) {
            /* The partial last byte joins the pending literal bytes as a padded final group. */
            uint8_t last = (uint8_t)(bm[nb] & ((1u << tail) - 1));
            size_t nbytes = nb - lit + 1;
            p = put_uvarint(p, ((uint64_t)nbytes << 1) | 1);
            memcpy(p, bm + lit, nbytes - 1);
            p += nbytes - 1;
            *p++ = last;
        } else if (lit < nb) {
            p = put_bitmap_literal(p, bm + lit, nb - lit);
        }
    }
    i2i_store_le32(out->data + start, (uint32_t)(p - (out->data + start + 4)));
    out->len = (size_t)(p - out->data);
    return I2I_OK;
}

void pq_bits_copy(uint8_t *dst, size_t d, const uint8_t *src, size_t s, size_t n)
{
    if ((d & 7) == 0 && (s & 7) == 0) {
        size_t whole = n / 8, rest = n % 8;
        memcpy(dst + d / 8, src + s / 8, whole);
        if (rest) dst[d / 8 + whole] = (uint8_t)(src[s / 8 + whole] & ((1u << rest) - 1));
        return;
    }
    while (n > 0) {
        unsigned sb = (unsigned)(s & 7);
        size_t si = s >> 3;
        unsigned take = 8 - (unsigned)(d & 7);
        uint32_t bits;
        if (take > n) take = (unsigned)n;
        bits = (uint32_t)src[si] >> sb;
        if (sb + take > 8) bits |= (uint32_t)src[si + 1] << (8 - sb);
        bits &= (1u << take) - 1;
        dst[d >> 3] |= (uint8_t)(bits << (d & 7));
        d += take;
        s += take;
        n -= take;
    }
}

size_t pq_bits_count(const uint8_t *src, size_t s, size_t n)
{
    size_t count = 0;
    while (n > 0 && (s & 7)) {
        count += (src[s >> 3] >> (s & 7)) & 1;
        s++;
        n--;
    }
    while (n >= 64) {
        uint64_t w;
        memcpy(&w, src + (s >> 3), 8);
        count += (size_t)__builtin_popcountll(w);
        s += 64;
        n -= 64;
    }
    while (n >= 8) {
        count += (size_t)__builtin_popcount(src[s >> 3]);
        s += 8;
        n -= 8;
    }
    while (n > 0) {
        count += (src[s >> 3] >> (s & 7)) & 1;
        s++;
        n--;
    }
    return count;
}
