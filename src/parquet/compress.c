/* Page compression with reused codec contexts and a reused compressBound output buffer. */
#include "compress.h"

#include <snappy-c.h>
#include <stdlib.h>
#include <zlib.h>
#include <zstd.h>

int pq_compressor_init(pq_compressor *c, parquet_codec codec, int level, i2i_error *err)
{
    memset(c, 0, sizeof *c);
    c->codec = codec;
    c->level = level;
    switch (codec) {
    case PARQUET_CODEC_UNCOMPRESSED:
    case PARQUET_CODEC_SNAPPY: return I2I_OK;
    case PARQUET_CODEC_ZSTD:
        if (level == 0) c->level = PQ_ZSTD_DEFAULT_LEVEL;
        if (c->level < ZSTD_minCLevel() || c->level > ZSTD_maxCLevel())
            return i2i_error_set(err, I2I_ERR_INVALID, "zstd compression level %d is outside %d..%d",
                                 c->level, ZSTD_minCLevel(), ZSTD_maxCLevel());
        c->zstd = ZSTD_createCCtx();
        if (!c->zstd) return i2i_error_nomem(err, "creating a zstd context");
        return I2I_OK;
    case PARQUET_CODEC_GZIP: {
        z_stream *zs;
        if (level == 0) c->level = PQ_GZIP_DEFAULT_LEVEL;
        if (c->level < 1 || c->level > 9)
            return i2i_error_set(err, I2I_ERR_INVALID, "gzip compression level %d is outside 1..9",
                                 c->level);
        zs = calloc(1, sizeof *zs);
        if (!zs) return i2i_error_nomem(err, "creating a gzip stream");
        /* windowBits 15 + 16: the RFC 1952 gzip container that Parquet's GZIP means. */
        if (deflateInit2(zs, c->level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
            free(zs);
            return i2i_error_set(err, I2I_ERR_NOMEM, "initialising gzip compression failed");
        }
        c->gzip = zs;
        return I2I_OK;
    }
    }
    return i2i_error_set(err, I2I_ERR_UNSUPPORTED, "unsupported parquet codec %d", (int)codec);
}

void pq_compressor_free(pq_compressor *c)
{
    if (!c) return;
    if (c->zstd) ZSTD_freeCCtx(c->zstd);
    if (c->gzip) {
        deflateEnd(c->gzip);
        free(c->gzip);
    }
    i2i_buf_free(&c->out);
    memset(c, 0, sizeof *c);
}

static int reserve_out(pq_compressor *c, size_t bound, i2i_error *err)
{
    i2i_buf_reset(&c->out);
    if (i2i_buf_reserve(&c->out, bound) != I2I_OK)
        return i2i_error_nomem(err, "allocating the compression buffer");
    return I2I_OK;
}

int pq_compress(pq_compressor *c, const uint8_t *src, size_t n, const uint8_t **dst, size_t *dn,
                i2i_error *err)
{
    switch (c->codec) {
    case PARQUET_CODEC_UNCOMPRESSED:
        *dst = src;
        *dn = n;
        return I2I_OK;
    case PARQUET_CODEC_ZSTD: {
        size_t bound = ZSTD_compressBound(n), r;
        I2I_TRY(reserve_out(c, bound, err));
        r = ZSTD_compressCCtx(c->zstd, c->out.data, c->out.cap, src, n, c->level);
        if (ZSTD_isError(r))
            return i2i_error_set(err, I2I_ERR_INTERNAL, "zstd compression failed: %s",
                                 ZSTD_getErrorName(r));
        *dst = c->out.data;
        *dn = r;
        return I2I_OK;
    }
    case PARQUET_CODEC_SNAPPY: {
        size_t outlen = snappy_max_compressed_length(n);
        I2I_TRY(reserve_out(c, outlen, err));
        outlen = c->out.cap;
        if (snappy_compress((const char *)src, n, (char *)c->out.data, &outlen) != SNAPPY_OK)
            return i2i_error_set(err, I2I_ERR_INTERNAL, "snappy compression failed");
        *dst = c->out.data;
        *dn = outlen;
        return I2I_OK;
    }
    case PARQUET_CODEC_GZIP: {
        z_stream *zs = c->gzip;
        int zr;
        if (n > UINT32_MAX) return i2i_error_set(err, I2I_ERR_RANGE, "page too large for gzip");
        if (deflateReset(zs) != Z_OK) return i2i_error_set(err, I2I_ERR_INTERNAL, "deflateReset failed");
        I2I_TRY(reserve_out(c, deflateBound(zs, (uLong)n) + 32, err));
        zs->next_in = (Bytef *)(uintptr_t)src;
        zs->avail_in = (uInt)n;
        zs->next_out = c->out.data;
        zs->avail_out = (uInt)(c->out.cap > UINT32_MAX ? UINT32_MAX : c->out.cap);
        zr = deflate(zs, Z_FINISH);
        if (zr != Z_STREAM_END)
            return i2i_error_set(err, I2I_ERR_INTERNAL, "gzip compression failed (%d)", zr);
        *dst = c->out.data;
        *dn = zs->total_out;
        return I2I_OK;
    }
    }
    return i2i_error_set(err, I2I_ERR_INTERNAL, "unknown codec %d", (int)c->codec);
}
