/*
 * Dictionary builder for one column chunk (internal to the parquet layer).
 *
 * An open-addressing hash table (power-of-two capacity, linear probing, no per-value allocation)
 * maps values to dense indices 0, 1, 2... in insertion order. Each new entry is appended, already
 * PLAIN-encoded, to `page`, so the dictionary page body is ready when the chunk closes.
 *
 * Kinds:
 *   PQ_DICT_NUM    64-bit keys (int64 values, doubles by bit pattern, int32 sign-extended);
 *                  each entry is stored as value_width (4 or 8) little-endian bytes.
 *   PQ_DICT_BYTES  byte strings; PLAIN entry = 4-byte LE length + bytes (BYTE_ARRAY).
 *   PQ_DICT_FIXED  byte strings of exactly value_width bytes; PLAIN entry = the bytes (FLBA).
 *
 * The last looked-up value and its index are memoised, so runs of a repeated tag skip hashing.
 * The budget is the dictionary page size in bytes: an insert that would exceed it is refused with
 * PQ_DICT_FULL (the caller then falls back to PLAIN for the rest of the chunk).
 */
#ifndef I2I_PARQUET_DICT_H
#define I2I_PARQUET_DICT_H

#include "../util/util.h"

/* The per-value encoders and the dictionary lookups they call in their loops: inlined whatever the
 * compiler's size heuristics say (a call per string value was ~20% of a lookup). */
#if defined(__GNUC__) || defined(__clang__)
#define PQ_INLINE __attribute__((always_inline)) inline
#else
#define PQ_INLINE inline
#endif

typedef enum pq_dict_kind { PQ_DICT_NUM = 0, PQ_DICT_BYTES, PQ_DICT_FIXED } pq_dict_kind;

#define PQ_DICT_FULL 1 /* returned by the put functions: the entry would exceed the budget */

typedef struct pq_dict_slot {
    uint64_t key;  /* NUM: the value; BYTES/FIXED: the full 64-bit hash */
    uint32_t idx;  /* entry index, PQ_DICT_EMPTY when unused */
    uint32_t pad_;
} pq_dict_slot;

#define PQ_DICT_EMPTY UINT32_MAX

typedef struct pq_dict {
    pq_dict_kind kind;
    int value_width;      /* NUM: 4 or 8; FIXED: bytes per entry; BYTES: unused */
    uint32_t count;       /* entries */
    i2i_buf page;         /* PLAIN dictionary page body */
    pq_dict_slot *slots;
    size_t nslots;        /* power of two */
    int shift;            /* 64 - log2(nslots): slot = (hash * K) >> shift */
    uint32_t *entry_off;  /* BYTES/FIXED: offset of each entry's bytes in page */
    size_t entry_cap;
    /* memo of the previous lookup */
    int has_prev;
    uint64_t prev_key;    /* NUM: the value; BYTES/FIXED: its length */
    uint32_t prev_idx;
} pq_dict;

int pq_dict_init(pq_dict *d, pq_dict_kind kind, int value_width);
void pq_dict_free(pq_dict *d);
/* Forget every entry; keeps the allocations for the next chunk. */
void pq_dict_reset(pq_dict *d);

static inline size_t pq_dict_page_bytes(const pq_dict *d) { return d->page.len; }

/* Bytes of entry idx (BYTES/FIXED: without the length prefix; NUM: the value_width bytes). */
static inline const uint8_t *pq_dict_entry(const pq_dict *d, uint32_t idx, size_t *len)
{
    if (d->kind == PQ_DICT_NUM) {
        *len = (size_t)d->value_width;
        return d->page.data + (size_t)idx * (size_t)d->value_width;
    }
    if (d->kind == PQ_DICT_FIXED) {
        *len = (size_t)d->value_width;
        return d->page.data + d->entry_off[idx];
    }
    *len = i2i_load_le32(d->page.data + d->entry_off[idx] - 4);
    return d->page.data + d->entry_off[idx];
}

/* Slow paths (insert, grow). */
int pq_dict_insert_num_(pq_dict *d, uint64_t key, size_t slot, size_t budget, uint32_t *idx);
int pq_dict_insert_bytes_(pq_dict *d, const uint8_t *p, size_t n, uint64_t hash, size_t slot,
                          size_t budget, uint32_t *idx);

#define PQ_DICT_HASH_K UINT64_C(0x9E3779B97F4A7C15)

/* Index of key, inserting it when new. 0 = ok, PQ_DICT_FULL, or I2I_ERR_NOMEM. */
static inline int pq_dict_put_num(pq_dict *d, uint64_t key, size_t budget, uint32_t *idx)
{
    size_t mask, s;
    if (d->has_prev && d->prev_key == key) {
        *idx = d->prev_idx;
        return 0;
    }
    mask = d->nslots - 1;
    s = (size_t)((key * PQ_DICT_HASH_K) >> d->shift);
    for (;;) {
        const pq_dict_slot *sl = &d->slots[s];
        if (sl->idx == PQ_DICT_EMPTY) return pq_dict_insert_num_(d, key, s, budget, idx);
        if (sl->key == key) {
            *idx = sl->idx;
            d->has_prev = 1;
            d->prev_key = key;
            d->prev_idx = sl->idx;
            return 0;
        }
        s = (s + 1) & mask;
    }
}

/* Start loading the slot a later put_num of key will probe first. A column with tens of thousands
 * of distinct values has a table larger than L2, and each probe is then a cache miss; issuing the
 * load a few values ahead overlaps those misses instead of waiting for each in turn. */
#define PQ_DICT_PREFETCH_AHEAD 16
static inline void pq_dict_prefetch_num(const pq_dict *d, uint64_t key)
{
    __builtin_prefetch(&d->slots[(size_t)((key * PQ_DICT_HASH_K) >> d->shift)]);
}

/* 64-bit hash of a byte string: strings up to 16 bytes (tags) take two overlapping loads and no
 * loop; longer ones are folded 16 bytes at a time. */
uint64_t pq_hash_bytes_long_(const uint8_t *p, size_t n);
static inline uint64_t pq_hash_mix_(uint64_t a, uint64_t b)
{
    const uint64_t k1 = UINT64_C(0x9E3779B97F4A7C15), k2 = UINT64_C(0xC2B2AE3D27D4EB4F);
    uint64_t h = (a ^ k1) * k2 ^ (b ^ k2) * k1;
    h ^= h >> 31;
    h *= k1;
    return h ^ (h >> 29);
}
static PQ_INLINE uint64_t pq_hash_bytes(const uint8_t *p, size_t n)
{
    uint64_t a, b;
    if (n >= 8) {
        if (n > 16) return pq_hash_bytes_long_(p, n);
        memcpy(&a, p, 8);
        memcpy(&b, p + n - 8, 8);
    } else if (n >= 4) {
        uint32_t x, y;
        memcpy(&x, p, 4);
        memcpy(&y, p + n - 4, 4);
        a = x;
        b = y;
    } else if (n > 0) {
        a = ((uint64_t)p[0] << 16) | ((uint64_t)p[n >> 1] << 8) | p[n - 1];
        b = 0;
    } else {
        a = b = 0;
    }
    return pq_hash_mix_(a + n, b);
}

/* Equality of two n-byte strings; short ones (tags) with overlapping word loads, no call. */
static PQ_INLINE int pq_bytes_eq(const uint8_t *a, const uint8_t *b, size_t n)
{
    if (n >= 8 && n <= 16) {
        uint64_t a0, a1, b0, b1;
        memcpy(&a0, a, 8);
        memcpy(&b0, b, 8);
        memcpy(&a1, a + n - 8, 8);
        memcpy(&b1, b + n - 8, 8);
        return ((a0 ^ b0) | (a1 ^ b1)) == 0;
    }
    if (n >= 4 && n < 8) {
        uint32_t a0, a1, b0, b1;
        memcpy(&a0, a, 4);
        memcpy(&b0, b, 4);
        memcpy(&a1, a + n - 4, 4);
        memcpy(&b1, b + n - 4, 4);
        return ((a0 ^ b0) | (a1 ^ b1)) == 0;
    }
    return memcmp(a, b, n) == 0;
}

/* Same for byte strings (BYTES and FIXED; for FIXED n must equal value_width). */
static PQ_INLINE int pq_dict_put_bytes(pq_dict *d, const uint8_t *p, size_t n, size_t budget,
                                       uint32_t *idx)
{
    uint64_t h;
    size_t mask, s, elen;
    const uint8_t *e;
    if (d->has_prev && d->prev_key == n) {
        e = pq_dict_entry(d, d->prev_idx, &elen);
        if (pq_bytes_eq(e, p, n)) {
            *idx = d->prev_idx;
            return 0;
        }
    }
    h = pq_hash_bytes(p, n);
    mask = d->nslots - 1;
    s = (size_t)(h >> d->shift);
    for (;;) {
        const pq_dict_slot *sl = &d->slots[s];
        if (sl->idx == PQ_DICT_EMPTY) return pq_dict_insert_bytes_(d, p, n, h, s, budget, idx);
        if (sl->key == h) {
            e = pq_dict_entry(d, sl->idx, &elen);
            if (elen == n && pq_bytes_eq(e, p, n)) {
                *idx = sl->idx;
                d->has_prev = 1;
                d->prev_key = n;
                d->prev_idx = sl->idx;
                return 0;
            }
        }
        s = (s + 1) & mask;
    }
}

#endif /* I2I_PARQUET_DICT_H */
