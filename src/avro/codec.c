/*
 * The Avro "deflate" codec: raw RFC 1951 streams (zlib windowBits -15, no zlib header or
 * checksum), as Java (Deflater nowrap) and PyIceberg/python avro (zlib wbits -15) write them.
 * One z_stream per writer or reader, reset between blocks.
 */
#include "avro_internal.h"

#include <limits.h>
#include <stdlib.h>
#include <zlib.h>

int avro_deflate_init(void **zp, i2i_error *err)
{
    z_stream *z = calloc(1, sizeof *z);
    if (!z) return i2i_error_nomem(err, "starting deflate");
    if (deflateInit2(z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
        free(z);
        return i2i_error_set(err, I2I_ERR_NOMEM, "avro: deflateInit2 failed");
    }
    *zp = z;
    return I2I_OK;
}

void avro_deflate_free(void *zp)
{
    if (!zp) return;
    deflateEnd(zp);
    free(zp);
}

int avro_deflate_block(void *zp, const uint8_t *src, size_t n, i2i_buf *out, i2i_error *err)
{
    z_stream *z = zp;
    uLong bound;
    int zrc;

    if (n > UINT_MAX / 2)
        return i2i_error_set(err, I2I_ERR_RANGE, "avro: block too large to deflate");
    bound = deflateBound(z, (uLong)n);
    if (i2i_buf_reserve(out, bound) != I2I_OK) return i2i_error_nomem(err, "deflating a block");
    if (deflateReset(z) != Z_OK)
        return i2i_error_set(err, I2I_ERR_INTERNAL, "avro: deflateReset failed");
    z->next_in = (Bytef *)(uintptr_t)src;
    z->avail_in = (uInt)n;
    z->next_out = out->data + out->len;
    z->avail_out = (uInt)bound;
    zrc = deflate(z, Z_FINISH);
    if (zrc != Z_STREAM_END)
        return i2i_error_set(err, I2I_ERR_INTERNAL, "avro: deflate did not finish (%d)", zrc);
    out->len += bound - z->avail_out;
    return I2I_OK;
}

int avro_inflate_block(void **zp, const uint8_t *src, size_t n, i2i_buf *out, const char *file,
                       int64_t block, i2i_error *err)
{
    z_stream *z = *zp;
    int zrc;

    i2i_buf_reset(out);
    if (n > UINT_MAX)
        return i2i_error_set(err, I2I_ERR_UNSUPPORTED, "avro file '%s': block %lld: compressed "
                             "block larger than 4 GiB", file, (long long)block);
    if (!z) {
        z = calloc(1, sizeof *z);
        if (!z) return i2i_error_nomem(err, "starting inflate");
        if (inflateInit2(z, -15) != Z_OK) {
            free(z);
            return i2i_error_set(err, I2I_ERR_NOMEM, "avro: inflateInit2 failed");
        }
        *zp = z;
    } else if (inflateReset(z) != Z_OK) {
        return i2i_error_set(err, I2I_ERR_INTERNAL, "avro: inflateReset failed");
    }
    z->next_in = (Bytef *)(uintptr_t)src;
    z->avail_in = (uInt)n;
    do {
        size_t room;
        if (out->len >= AVRO_MAX_BLOCK_INFLATED)
            return i2i_error_set(err, I2I_ERR_UNSUPPORTED, "avro file '%s': block %lld inflates to "
                                 "more than %u MiB", file, (long long)block,
                                 AVRO_MAX_BLOCK_INFLATED >> 20);
        if (i2i_buf_reserve(out, n < 4096 ? 16384 : n * 4) != I2I_OK)
            return i2i_error_nomem(err, "inflating a block");
        room = out->cap - out->len - 1;
        if (room > AVRO_MAX_BLOCK_INFLATED) room = AVRO_MAX_BLOCK_INFLATED;
        z->next_out = out->data + out->len;
        z->avail_out = (uInt)room;
        zrc = inflate(z, Z_NO_FLUSH);
        out->len += room - z->avail_out;
        if (zrc == Z_STREAM_END) break;
        if (zrc == Z_BUF_ERROR && z->avail_in == 0)
            return i2i_error_set(err, I2I_ERR_FORMAT, "avro file '%s': block %lld: deflate data "
                                 "ends early (truncated or corrupt)", file, (long long)block);
        if (zrc != Z_OK && zrc != Z_BUF_ERROR)
            return i2i_error_set(err, I2I_ERR_FORMAT, "avro file '%s': block %lld: corrupt deflate "
                                 "data (%s)", file, (long long)block,
                                 z->msg ? z->msg : "zlib error");
    } while (1);
    return I2I_OK;
}

void avro_inflate_free(void *zp)
{
    if (!zp) return;
    inflateEnd(zp);
    free(zp);
}
