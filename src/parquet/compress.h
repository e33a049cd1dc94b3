/*
 * Page compression (internal to the parquet layer). One compressor per writer, reused for every
 * page: one ZSTD_CCtx, one z_stream (deflateReset between pages) and one output buffer grown to
 * the codec's bound, so steady-state compression allocates nothing.
 *
 * ZSTD writes a standard frame (with the content size), SNAPPY the raw block format, GZIP one
 * RFC 1952 member per page (zlib windowBits 31).
 */
#ifndef I2I_PARQUET_COMPRESS_H
#define I2I_PARQUET_COMPRESS_H

#include "parquet.h"

typedef struct pq_compressor {
    parquet_codec codec;
    int level;
    void *zstd;  /* ZSTD_CCtx * */
    void *gzip;  /* z_stream * */
    i2i_buf out;
} pq_compressor;

/* level 0 = the codec default (zstd PQ_ZSTD_DEFAULT_LEVEL, gzip 6). zstd 1, not parquet-java's 3:
 * ~12% faster end to end for files 0-3% larger on our benchmarks (docs/parquet.md). */
#define PQ_ZSTD_DEFAULT_LEVEL 1
#define PQ_GZIP_DEFAULT_LEVEL 6

int pq_compressor_init(pq_compressor *c, parquet_codec codec, int level, i2i_error *err);
void pq_compressor_free(pq_compressor *c);

/* Compress n bytes. *dst points into the compressor's buffer (valid until the next call), or at
 * src itself for UNCOMPRESSED. */
int pq_compress(pq_compressor *c, const uint8_t *src, size_t n, const uint8_t **dst, size_t *dn,
                i2i_error *err);

#endif /* I2I_PARQUET_COMPRESS_H */
