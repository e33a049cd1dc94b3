/* Sinks (file descriptor, growable buffer) and codec names. */
#include <errno.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "parquet.h"

int parquet_fd_sink_write(void *ctx, const void *data, size_t n, i2i_error *err)
{
    const parquet_fd_sink *s = ctx;
    const uint8_t *p = data;
    while (n > 0) {
        ssize_t w = write(s->fd, p, n > (size_t)1 << 30 ? (size_t)1 << 30 : n);
        if (w < 0) {
            if (errno == EINTR) continue;
            return i2i_error_set(err, I2I_ERR_IO, "writing '%s': %s", s->path ? s->path : "(fd)",
                                 strerror(errno));
        }
        p += w;
        n -= (size_t)w;
    }
    return I2I_OK;
}

int parquet_buf_sink_write(void *ctx, const void *data, size_t n, i2i_error *err)
{
    if (i2i_buf_append(ctx, data, n) != I2I_OK) return i2i_error_nomem(err, "buffering a parquet file");
    return I2I_OK;
}

const char *parquet_codec_name(parquet_codec c)
{
    switch (c) {
    case PARQUET_CODEC_UNCOMPRESSED: return "none";
    case PARQUET_CODEC_SNAPPY: return "snappy";
    case PARQUET_CODEC_GZIP: return "gzip";
    case PARQUET_CODEC_ZSTD: return "zstd";
    }
    return "?";
}

int parquet_codec_parse(const char *s, parquet_codec *out, i2i_error *err)
{
    if (!s) return i2i_error_set(err, I2I_ERR_INVALID, "missing compression codec");
    if (strcasecmp(s, "zstd") == 0) {
        *out = PARQUET_CODEC_ZSTD;
    } else if (strcasecmp(s, "snappy") == 0) {
        *out = PARQUET_CODEC_SNAPPY;
    } else if (strcasecmp(s, "gzip") == 0) {
        *out = PARQUET_CODEC_GZIP;
    } else if (strcasecmp(s, "none") == 0 || strcasecmp(s, "uncompressed") == 0) {
        *out = PARQUET_CODEC_UNCOMPRESSED;
    } else {
        return i2i_error_set(err, I2I_ERR_INVALID,
                             "unknown compression codec '%s' (expected zstd, snappy, gzip or none)", s);
    }
    return I2I_OK;
}
