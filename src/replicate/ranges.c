/* Committed-range bookkeeping for the exactly-once protocol (design.md §4). */
#include "ranges.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

void replicate_ranges_free(replicate_ranges *r)
{
    if (!r) return;
    free(r->items);
    r->items = NULL;
    r->n = r->cap = 0;
}

static int push(replicate_ranges *r, int64_t start, int64_t end)
{
    if (r->n == r->cap) {
        size_t cap = r->cap ? r->cap * 2 : 8;
        replicate_range *p = realloc(r->items, cap * sizeof *p);
        if (!p) return I2I_ERR_NOMEM;
        r->items = p;
        r->cap = cap;
    }
    r->items[r->n].start = start;
    r->items[r->n].end = end;
    r->n++;
    return I2I_OK;
}

static int parse_int(const char **p, int64_t *out)
{
    char *end;
    long long v;
    errno = 0;
    v = strtoll(*p, &end, 10);
    if (end == *p || errno) return -1;
    *p = end;
    *out = v;
    return 0;
}

int replicate_ranges_parse(const char *text, replicate_ranges *out, i2i_error *err)
{
    const char *p = text;
    out->n = 0;
    if (!text) return I2I_OK;
    while (*p == ' ') p++;
    while (*p) {
        int64_t s, e;
        if (*p++ != '[' || parse_int(&p, &s) || *p++ != ',' || parse_int(&p, &e) || *p++ != ')' || s >= e)
            goto bad;
        if (replicate_ranges_add(out, s, e) != I2I_OK) return i2i_error_nomem(err, "parsing ranges");
        while (*p == ' ') p++;
        if (*p == ',') {
            p++;
            while (*p == ' ') p++;
            if (!*p) goto bad;
        } else if (*p) {
            goto bad;
        }
    }
    return I2I_OK;
bad:
    return i2i_error_set(err, I2I_ERR_FORMAT,
                         "cannot parse replicated ranges '%.200s' near offset %d: expected "
                         "'[start,end),...' with integer nanoseconds",
                         text, (int)(p - text));
}

int replicate_ranges_format(const replicate_ranges *r, i2i_buf *out)
{
    size_t i;
    i2i_buf_reset(out);
    for (i = 0; i < r->n; i++) {
        I2I_TRY(i2i_buf_printf(out, "%s[%lld,%lld)", i ? "," : "", (long long)r->items[i].start,
                               (long long)r->items[i].end));
    }
    return i2i_buf_cstr(out) ? I2I_OK : I2I_ERR_NOMEM;
}

int replicate_ranges_add(replicate_ranges *r, int64_t start, int64_t end)
{
    size_t i = 0, j, k;
    if (start >= end) return I2I_OK;
    /* first range that ends at or after start (touching ranges merge) */
    while (i < r->n && r->items[i].end < start) i++;
    j = i;
    while (j < r->n && r->items[j].start <= end) {
        if (r->items[j].start < start) start = r->items[j].start;
        if (r->items[j].end > end) end = r->items[j].end;
        j++;
    }
    if (j > i) {
        /* replace items [i, j) by one */
        r->items[i].start = start;
        r->items[i].end = end;
        for (k = j; k < r->n; k++) r->items[i + 1 + k - j] = r->items[k];
        r->n -= j - i - 1;
        return I2I_OK;
    }
    I2I_TRY(push(r, 0, 0));
    for (k = r->n - 1; k > i; k--) r->items[k] = r->items[k - 1];
    r->items[i].start = start;
    r->items[i].end = end;
    return I2I_OK;
}

int replicate_ranges_uncovered(const replicate_ranges *r, int64_t start, int64_t end,
                               replicate_ranges *out)
{
    size_t i;
    int64_t at = start;
    out->n = 0;
    for (i = 0; i < r->n && at < end; i++) {
        const replicate_range *c = &r->items[i];
        if (c->end <= at) continue;
        if (c->start >= end) break;
        if (c->start > at) I2I_TRY(push(out, at, c->start));
        at = c->end;
    }
    if (at < end) I2I_TRY(push(out, at, end));
    return I2I_OK;
}

int replicate_ranges_covers(const replicate_ranges *r, int64_t start, int64_t end)
{
    size_t i;
    for (i = 0; i < r->n; i++) {
        if (r->items[i].start <= start && r->items[i].end >= end) return 1;
    }
    return start >= end;
}

int64_t replicate_ranges_last_end(const replicate_ranges *r)
{
    return r->n ? r->items[r->n - 1].end : INT64_MIN;
}
