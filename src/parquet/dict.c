/* Dictionary builder: open-addressing hash table + PLAIN dictionary page built as entries arrive. */
#include "dict.h"

#include <stdlib.h>

#define INITIAL_SLOTS 1024

static int alloc_slots(pq_dict *d, size_t nslots)
{
    size_t i;
    int log2 = 0;
    pq_dict_slot *s = malloc(nslots * sizeof *s);
    if (!s) return I2I_ERR_NOMEM;
    for (i = 0; i < nslots; i++) s[i].idx = PQ_DICT_EMPTY;
    free(d->slots);
    d->slots = s;
    d->nslots = nslots;
    while (((size_t)1 << log2) < nslots) log2++;
    d->shift = 64 - log2;
    return I2I_OK;
}

int pq_dict_init(pq_dict *d, pq_dict_kind kind, int value_width)
{
    memset(d, 0, sizeof *d);
    d->kind = kind;
    d->value_width = value_width;
    return alloc_slots(d, INITIAL_SLOTS);
}

void pq_dict_free(pq_dict *d)
{
    if (!d) return;
    free(d->slots);
    free(d->entry_off);
    i2i_buf_free(&d->page);
    memset(d, 0, sizeof *d);
}

void pq_dict_reset(pq_dict *d)
{
    size_t i;
    if (d->count) {
        for (i = 0; i < d->nslots; i++) d->slots[i].idx = PQ_DICT_EMPTY;
    }
    d->count = 0;
    d->has_prev = 0;
    i2i_buf_reset(&d->page);
}

static uint64_t slot_hash(const pq_dict *d, uint64_t key)
{
    return d->kind == PQ_DICT_NUM ? key * PQ_DICT_HASH_K : key;
}

/* First free slot on slot_key's probe sequence. */
static size_t free_slot(const pq_dict *d, uint64_t slot_key)
{
    size_t mask = d->nslots - 1, s = (size_t)(slot_hash(d, slot_key) >> d->shift);
    while (d->slots[s].idx != PQ_DICT_EMPTY) s = (s + 1) & mask;
    return s;
}

/* Double the table; callers grow before an insert that would pass half full. The rehash moves
 * every entry, so the free slot for the new entry's slot_key is found again. */
static int grow(pq_dict *d, uint64_t slot_key, size_t *slot)
{
    pq_dict_slot *old = d->slots;
    size_t oldn = d->nslots, i;
    d->slots = NULL;
    if (alloc_slots(d, oldn * 2) != I2I_OK) {
        d->slots = old;
        return I2I_ERR_NOMEM;
    }
    for (i = 0; i < oldn; i++) {
        if (old[i].idx != PQ_DICT_EMPTY) d->slots[free_slot(d, old[i].key)] = old[i];
    }
    free(old);
    *slot = free_slot(d, slot_key);
    return I2I_OK;
}

/* Give the next index to a new entry in its free slot and memoise it as the last lookup
 * (prev_key: the value for NUM, the length for BYTES/FIXED, as the put functions compare it). */
static uint32_t take_slot(pq_dict *d, size_t slot, uint64_t slot_key, uint64_t prev_key)
{
    d->slots[slot].key = slot_key;
    d->slots[slot].idx = d->count;
    d->has_prev = 1;
    d->prev_key = prev_key;
    d->prev_idx = d->count;
    return d->count++;
}

int pq_dict_insert_num_(pq_dict *d, uint64_t key, size_t slot, size_t budget, uint32_t *idx)
{
    size_t w = (size_t)d->value_width;
    if (d->page.len + w > budget || d->count == PQ_DICT_EMPTY - 1) return PQ_DICT_FULL;
    if (i2i_buf_reserve(&d->page, w) != I2I_OK) return I2I_ERR_NOMEM;
    if ((size_t)d->count + 1 > d->nslots / 2 && grow(d, key, &slot) != I2I_OK)
        return I2I_ERR_NOMEM;
    if (w == 8) {
        i2i_store_le64(d->page.data + d->page.len, key);
    } else {
        i2i_store_le32(d->page.data + d->page.len, (uint32_t)key);
    }
    d->page.len += w;
    *idx = take_slot(d, slot, key, key);
    return 0;
}

uint64_t pq_hash_bytes_long_(const uint8_t *p, size_t n)
{
    uint64_t h = (uint64_t)n, a, b;
    size_t len = n;
    while (n > 16) {
        memcpy(&a, p, 8);
        memcpy(&b, p + 8, 8);
        h = pq_hash_mix_(h ^ a, b);
        p += 16;
        n -= 16;
    }
    /* The last 16 bytes (overlapping what was already folded). */
    memcpy(&a, p + n - 16, 8);
    memcpy(&b, p + n - 8, 8);
    return pq_hash_mix_(h ^ a ^ len, b);
}

int pq_dict_insert_bytes_(pq_dict *d, const uint8_t *p, size_t n, uint64_t h, size_t s,
                          size_t budget, uint32_t *idx)
{
    size_t need;

    /* New entry. */
    need = n + (d->kind == PQ_DICT_BYTES ? 4 : 0);
    if (d->page.len + need > budget || d->count == PQ_DICT_EMPTY - 1 || n > UINT32_MAX)
        return PQ_DICT_FULL;
    if (i2i_buf_reserve(&d->page, need) != I2I_OK) return I2I_ERR_NOMEM;
    if (d->count >= d->entry_cap) {
        size_t cap = d->entry_cap ? d->entry_cap * 2 : 256;
        uint32_t *e = realloc(d->entry_off, cap * sizeof *e);
        if (!e) return I2I_ERR_NOMEM;
        d->entry_off = e;
        d->entry_cap = cap;
    }
    if ((size_t)d->count + 1 > d->nslots / 2 && grow(d, h, &s) != I2I_OK)
        return I2I_ERR_NOMEM;
    if (d->kind == PQ_DICT_BYTES) {
        i2i_store_le32(d->page.data + d->page.len, (uint32_t)n);
        d->page.len += 4;
    }
    d->entry_off[d->count] = (uint32_t)d->page.len;
    if (n) memcpy(d->page.data + d->page.len, p, n);
    d->page.len += n;
    *idx = take_slot(d, s, h, n);
    return 0;
}
