/* The growable byte buffer used for every encoding (thrift, avro, json, http bodies). */
#include "util.h"

#include <stdio.h>
#include <stdlib.h>

void i2i_buf_init(i2i_buf *b)
{
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
}

void i2i_buf_free(i2i_buf *b)
{
    if (!b) return;
    free(b->data);
    i2i_buf_init(b);
}

int i2i_buf_grow(i2i_buf *b, size_t extra)
{
    size_t need, cap;
    uint8_t *p;

    if (extra > SIZE_MAX - b->len - 1) return I2I_ERR_NOMEM;
    need = b->len + extra + 1; /* +1 keeps room for i2i_buf_cstr's terminator */
    if (need <= b->cap) return I2I_OK;
    cap = b->cap ? b->cap : 64;
    while (cap < need) {
        if (cap > SIZE_MAX / 2) {
            cap = need;
            break;
        }
        cap *= 2;
    }
    p = realloc(b->data, cap);
    if (!p) return I2I_ERR_NOMEM;
    b->data = p;
    b->cap = cap;
    return I2I_OK;
}

int i2i_buf_append(i2i_buf *b, const void *p, size_t n)
{
    if (n == 0) return I2I_OK;
    if (i2i_buf_reserve(b, n) != I2I_OK) return I2I_ERR_NOMEM;
    memcpy(b->data + b->len, p, n);
    b->len += n;
    return I2I_OK;
}

int i2i_buf_append_str(i2i_buf *b, const char *s) { return i2i_buf_append(b, s, strlen(s)); }

int i2i_buf_vprintf(i2i_buf *b, const char *fmt, va_list ap)
{
    va_list ap2;
    int n;

    va_copy(ap2, ap);
    n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    if (n < 0) return I2I_ERR_INVALID;
    if (i2i_buf_reserve(b, (size_t)n + 1) != I2I_OK) return I2I_ERR_NOMEM;
    vsnprintf((char *)b->data + b->len, (size_t)n + 1, fmt, ap);
    b->len += (size_t)n;
    return I2I_OK;
}

int i2i_buf_printf(i2i_buf *b, const char *fmt, ...)
{
    va_list ap;
    int rc;
    va_start(ap, fmt);
    rc = i2i_buf_vprintf(b, fmt, ap);
    va_end(ap);
    return rc;
}

char *i2i_buf_cstr(i2i_buf *b)
{
    if (i2i_buf_reserve(b, 1) != I2I_OK) return NULL;
    b->data[b->len] = '\0';
    return (char *)b->data;
}

uint8_t *i2i_buf_detach(i2i_buf *b, size_t *len)
{
    uint8_t *p = b->data;
    if (len) *len = b->len;
    i2i_buf_init(b);
    return p;
}

int i2i_buf_put_le32(i2i_buf *b, uint32_t v)
{
    if (i2i_buf_reserve(b, 4) != I2I_OK) return I2I_ERR_NOMEM;
    i2i_store_le32(b->data + b->len, v);
    b->len += 4;
    return I2I_OK;
}

int i2i_buf_put_le64(i2i_buf *b, uint64_t v)
{
    if (i2i_buf_reserve(b, 8) != I2I_OK) return I2I_ERR_NOMEM;
    i2i_store_le64(b->data + b->len, v);
    b->len += 8;
    return I2I_OK;
}

int i2i_buf_put_be32(i2i_buf *b, uint32_t v)
{
    uint8_t t[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};
    return i2i_buf_append(b, t, 4);
}

int i2i_buf_put_be64(i2i_buf *b, uint64_t v)
{
    I2I_TRY(i2i_buf_put_be32(b, (uint32_t)(v >> 32)));
    return i2i_buf_put_be32(b, (uint32_t)v);
}

int i2i_buf_put_uvarint(i2i_buf *b, uint64_t v)
{
    if (i2i_buf_reserve(b, 10) != I2I_OK) return I2I_ERR_NOMEM;
    while (v >= 0x80) {
        b->data[b->len++] = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    b->data[b->len++] = (uint8_t)v;
    return I2I_OK;
}

int i2i_buf_put_zigzag(i2i_buf *b, int64_t v) { return i2i_buf_put_uvarint(b, i2i_zigzag64(v)); }

int i2i_read_uvarint(const uint8_t **p, const uint8_t *end, uint64_t *out)
{
    uint64_t v = 0;
    unsigned shift = 0;
    const uint8_t *q = *p;

    while (q < end) {
        uint8_t c = *q++;
        if (shift == 63 && c > 1) return I2I_ERR_FORMAT;
        v |= (uint64_t)(c & 0x7f) << shift;
        if (!(c & 0x80)) {
            *p = q;
            *out = v;
            return I2I_OK;
        }
        shift += 7;
        if (shift > 63) return I2I_ERR_FORMAT;
    }
    return I2I_ERR_FORMAT;
}
