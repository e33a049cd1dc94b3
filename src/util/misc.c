/* Small helpers with no better home: randomness, UUIDs, hex, UTF-8, checked string copies. */
#include "util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/random.h>

int i2i_random_bytes(void *out, size_t n, i2i_error *err)
{
    uint8_t *p = out;
    while (n > 0) {
        ssize_t got = getrandom(p, n, 0);
        if (got < 0) {
            if (errno == EINTR) continue;
            return i2i_error_set(err, I2I_ERR_IO, "getrandom failed: %s", strerror(errno));
        }
        p += got;
        n -= (size_t)got;
    }
    return I2I_OK;
}

int i2i_uuid4(char out[37], i2i_error *err)
{
    uint8_t b[16];
    I2I_TRY(i2i_random_bytes(b, sizeof b, err));
    b[6] = (uint8_t)((b[6] & 0x0f) | 0x40);
    b[8] = (uint8_t)((b[8] & 0x3f) | 0x80);
    snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1],
             b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
    return I2I_OK;
}

void i2i_hex(const uint8_t *in, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    size_t i;
    for (i = 0; i < n; i++) {
        out[2 * i] = digits[in[i] >> 4];
        out[2 * i + 1] = digits[in[i] & 15];
    }
    out[2 * n] = '\0';
}

char *i2i_strndup(const char *s, size_t n)
{
    char *p = malloc(n + 1);
    if (!p) return NULL;
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

int i2i_utf8_next(const void *s, size_t n, size_t *pos, uint32_t *cp)
{
    const unsigned char *p = (const unsigned char *)s + *pos;
    size_t avail = n - *pos, k, len;
    unsigned char c = p[0];
    uint32_t v;
    if (c < 0x80) {
        *cp = c;
        *pos += 1;
        return 1;
    }
    if (c < 0xC2) return 0;
    len = c < 0xE0 ? 2 : c < 0xF0 ? 3 : c < 0xF5 ? 4 : 0;
    if (!len || len > avail) return 0;
    for (k = 1; k < len; k++) {
        if ((p[k] & 0xC0) != 0x80) return 0;
    }
    /* The second byte's range rules out overlong forms, surrogates and > U+10FFFF. */
    if (c == 0xE0 && p[1] < 0xA0) return 0;
    if (c == 0xED && p[1] >= 0xA0) return 0;
    if (c == 0xF0 && p[1] < 0x90) return 0;
    if (c == 0xF4 && p[1] >= 0x90) return 0;
    v = c & (0x7F >> len);
    for (k = 1; k < len; k++) v = (v << 6) | (p[k] & 0x3F);
    *cp = v;
    *pos += len;
    return 1;
}

int i2i_utf8_valid(const void *s, size_t n)
{
    size_t i = 0;
    uint32_t cp;
    while (i < n) {
        if (!i2i_utf8_next(s, n, &i, &cp)) return 0;
    }
    return 1;
}

char *i2i_strdup(const char *s) { return s ? i2i_strndup(s, strlen(s)) : NULL; }

int i2i_read_secret_file(const char *path, const char *what, char **out, i2i_error *err)
{
    FILE *f = fopen(path, "rb");
    char line[4096];
    size_t n;
    *out = NULL;
    if (!f)
        return i2i_error_set(err, I2I_ERR_IO, "cannot read %s '%s': %s", what, path, strerror(errno));
    if (!fgets(line, sizeof line, f)) line[0] = '\0';
    fclose(f);
    n = strlen(line);
    while (n && (line[n - 1] == '\n' || line[n - 1] == '\r' || line[n - 1] == ' ')) line[--n] = '\0';
    if (!n) return i2i_error_set(err, I2I_ERR_INVALID, "%s '%s' is empty", what, path);
    i2i_log_add_secret(line);
    *out = i2i_strdup(line);
    memset(line, 0, sizeof line);
    return *out ? I2I_OK : i2i_error_nomem(err, what);
}

void i2i_log_add_url_password(const char *url)
{
    const char *p = url ? strstr(url, "://") : NULL, *end, *at, *colon;
    char *pw;
    if (!p) return;
    p += 3;
    end = p + strcspn(p, "/?#");
    at = memchr(p, '@', (size_t)(end - p));
    if (!at) return;
    /* The last '@' before the path ends the userinfo (a password may itself hold '@'). */
    while ((colon = memchr(at + 1, '@', (size_t)(end - at - 1))) != NULL) at = colon;
    colon = memchr(p, ':', (size_t)(at - p));
    if (!colon || colon + 1 >= at) return;
    pw = i2i_strndup(colon + 1, (size_t)(at - colon - 1));
    if (!pw) return;
    i2i_log_add_secret(pw);
    memset(pw, 0, strlen(pw));
    free(pw);
}
