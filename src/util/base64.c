/* Base64, because the plugin passes catalog_configs as base64-encoded JSON. */
#include "util.h"

static int b64_value(unsigned char c)
{
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+' || c == '-') return 62;
    if (c == '/' || c == '_') return 63;
    return -1;
}

int i2i_base64_decode(const char *in, size_t n, i2i_buf *out, i2i_error *err)
{
    uint32_t acc = 0;
    int bits = 0, pad = 0;
    size_t i;

    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)in[i];
        int v;
        if (c == ' ' || c == '\n' || c == '\r' || c == '\t') continue;
        if (c == '=') {
            pad++;
            continue;
        }
        v = b64_value(c);
        if (v < 0 || pad) {
            return i2i_error_set(err, I2I_ERR_INVALID, "invalid base64 at offset %zu", i);
        }
        acc = (acc << 6) | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            if (i2i_buf_put_u8(out, (uint8_t)(acc >> bits)) != I2I_OK)
                return i2i_error_nomem(err, "decoding base64");
        }
    }
    if (bits >= 6 || pad > 2) return i2i_error_set(err, I2I_ERR_INVALID, "invalid base64: bad length");
    return I2I_OK;
}

int i2i_base64_encode(const void *in, size_t n, i2i_buf *out)
{
    static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    const uint8_t *p = in;
    size_t i;
    if (i2i_buf_reserve(out, (n + 2) / 3 * 4) != I2I_OK) return I2I_ERR_NOMEM;
    for (i = 0; i + 2 < n; i += 3) {
        uint32_t v = ((uint32_t)p[i] << 16) | ((uint32_t)p[i + 1] << 8) | p[i + 2];
        char q[4] = {alphabet[v >> 18], alphabet[(v >> 12) & 63], alphabet[(v >> 6) & 63], alphabet[v & 63]};
        i2i_buf_put_unchecked(out, q, 4);
    }
    if (i < n) {
        uint32_t v = (uint32_t)p[i] << 16;
        char q[4];
        if (i + 1 < n) v |= (uint32_t)p[i + 1] << 8;
        q[0] = alphabet[v >> 18];
        q[1] = alphabet[(v >> 12) & 63];
        q[2] = i + 1 < n ? alphabet[(v >> 6) & 63] : '=';
        q[3] = '=';
        i2i_buf_put_unchecked(out, q, 4);
    }
    return I2I_OK;
}
