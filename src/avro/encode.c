/* Avro binary encoding of the primitives that are not inline in avro.h. */
#include "avro.h"

int avro_put_double(i2i_buf *b, double v)
{
    uint64_t bits;
    memcpy(&bits, &v, sizeof bits);
    return i2i_buf_put_le64(b, bits);
}

int avro_put_float(i2i_buf *b, float v)
{
    uint32_t bits;
    memcpy(&bits, &v, sizeof bits);
    return i2i_buf_put_le32(b, bits);
}

int avro_put_bytes(i2i_buf *b, const void *p, size_t n)
{
    if (n > (size_t)INT64_MAX) return I2I_ERR_RANGE;
    /* One reservation for the length varint (at most 10 bytes) and the payload. */
    if (i2i_buf_reserve(b, n + 10) != I2I_OK) return I2I_ERR_NOMEM;
    if (i2i_buf_put_zigzag(b, (int64_t)n) != I2I_OK) return I2I_ERR_NOMEM;
    if (n) i2i_buf_put_unchecked(b, p, n);
    return I2I_OK;
}

int avro_put_stringn(i2i_buf *b, const char *s, size_t n) { return avro_put_bytes(b, s, n); }

int avro_put_string(i2i_buf *b, const char *s) { return avro_put_bytes(b, s, s ? strlen(s) : 0); }
