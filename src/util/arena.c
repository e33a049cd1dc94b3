/* Bump allocator: many small allocations (strings of a batch, parsed metadata) freed at once. */
#include "util.h"

#include <stdlib.h>

struct i2i_arena_block {
    i2i_arena_block *next;
    size_t size;
    size_t used;
    max_align_t data[]; /* aligned payload */
};

void i2i_arena_init(i2i_arena *a, size_t block_size)
{
    a->head = NULL;
    a->block_size = block_size ? block_size : 64 * 1024;
    a->used_total = 0;
}

void i2i_arena_free(i2i_arena *a)
{
    i2i_arena_block *b, *next;
    if (!a) return;
    for (b = a->head; b; b = next) {
        next = b->next;
        free(b);
    }
    a->head = NULL;
    a->used_total = 0;
}

void i2i_arena_reset(i2i_arena *a)
{
    i2i_arena_block *b, *next;
    if (!a->head) return;
    /* Keep only the oldest (last in the chain) block: a steady-state batch then allocates nothing. */
    for (b = a->head; b->next; b = next) {
        next = b->next;
        free(b);
    }
    a->head = b;
    b->used = 0;
    a->used_total = 0;
}

void *i2i_arena_alloc(i2i_arena *a, size_t n, size_t align)
{
    i2i_arena_block *b = a->head;
    size_t off;

    if (align == 0) align = 1;
    if (b) {
        off = (b->used + align - 1) & ~(align - 1);
        if (off <= b->size && b->size - off >= n) {
            b->used = off + n;
            a->used_total += n;
            return (char *)b->data + off;
        }
    }
    {
        size_t size = n > a->block_size ? n : a->block_size;
        i2i_arena_block *nb;
        if (size > SIZE_MAX - sizeof *nb) return NULL;
        nb = malloc(sizeof *nb + size);
        if (!nb) return NULL;
        nb->size = size;
        nb->used = n;
        /* A huge one-off allocation goes behind the current block so the current one keeps
         * serving small requests. */
        if (b && n > a->block_size) {
            nb->next = b->next;
            b->next = nb;
        } else {
            nb->next = b;
            a->head = nb;
        }
        a->used_total += n;
        return nb->data;
    }
}

char *i2i_arena_strndup(i2i_arena *a, const char *s, size_t n)
{
    char *p = i2i_arena_alloc(a, n + 1, 1);
    if (!p) return NULL;
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

char *i2i_arena_strdup(i2i_arena *a, const char *s) { return i2i_arena_strndup(a, s, strlen(s)); }
