/* SigV4 for S3 (see s3_sigv4.h). SHA-256 follows FIPS 180-4 section 6.2; HMAC follows RFC 2104
 * with a 64-byte block. Only what signing needs: no streaming-chunked payloads. */
#include "s3_sigv4.h"

#include "../http/http.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

/* ---------------------------------------------------------------- SHA-256 */

static const uint32_t K256[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};

#define ROTR(x, n) (((x) >> (n)) | ((x) << (32 - (n))))

static void sha256_block(uint32_t h[8], const uint8_t *p)
{
    uint32_t w[64], a, b, c, d, e, f, g, hh;
    int t;
    for (t = 0; t < 16; t++)
        w[t] = (uint32_t)p[4 * t] << 24 | (uint32_t)p[4 * t + 1] << 16 |
               (uint32_t)p[4 * t + 2] << 8 | (uint32_t)p[4 * t + 3];
    for (t = 16; t < 64; t++) {
        uint32_t s0 = ROTR(w[t - 15], 7) ^ ROTR(w[t - 15], 18) ^ (w[t - 15] >> 3);
        uint32_t s1 = ROTR(w[t - 2], 17) ^ ROTR(w[t - 2], 19) ^ (w[t - 2] >> 10);
        w[t] = w[t - 16] + s0 + w[t - 7] + s1;
    }
    a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], hh = h[7];
    for (t = 0; t < 64; t++) {
        uint32_t t1 = hh + (ROTR(e, 6) ^ ROTR(e, 11) ^ ROTR(e, 25)) + ((e & f) ^ (~e & g)) +
                      K256[t] + w[t];
        uint32_t t2 = (ROTR(a, 2) ^ ROTR(a, 13) ^ ROTR(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
        hh = g, g = f, f = e, e = d + t1, d = c, c = b, b = a, a = t1 + t2;
    }
    h[0] += a, h[1] += b, h[2] += c, h[3] += d, h[4] += e, h[5] += f, h[6] += g, h[7] += hh;
}

void s3_sha256_init(s3_sha256_ctx *c)
{
    static const uint32_t init[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                     0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
    memcpy(c->h, init, sizeof init);
    c->total = 0;
    c->used = 0;
}

void s3_sha256_update(s3_sha256_ctx *c, const void *data, size_t len)
{
    const uint8_t *p = data;
    c->total += len;
    if (c->used) {
        size_t take = 64 - c->used < len ? 64 - c->used : len;
        memcpy(c->block + c->used, p, take);
        c->used += take;
        p += take;
        len -= take;
        if (c->used < 64) return;
        sha256_block(c->h, c->block);
        c->used = 0;
    }
    for (; len >= 64; p += 64, len -= 64) sha256_block(c->h, p);
    memcpy(c->block, p, len);
    c->used = len;
}

void s3_sha256_final(s3_sha256_ctx *c, uint8_t out[SHA256_LEN])
{
    uint64_t bits = c->total * 8;
    int i;
    c->block[c->used++] = 0x80;
    if (c->used > 56) {
        memset(c->block + c->used, 0, 64 - c->used);
        sha256_block(c->h, c->block);
        c->used = 0;
    }
    memset(c->block + c->used, 0, 56 - c->used);
    for (i = 0; i < 8; i++) c->block[56 + i] = (uint8_t)(bits >> (56 - 8 * i));
    sha256_block(c->h, c->block);
    for (i = 0; i < 8; i++) {
        out[4 * i] = (uint8_t)(c->h[i] >> 24);
        out[4 * i + 1] = (uint8_t)(c->h[i] >> 16);
        out[4 * i + 2] = (uint8_t)(c->h[i] >> 8);
        out[4 * i + 3] = (uint8_t)c->h[i];
    }
}

void s3_sha256(const void *data, size_t len, uint8_t out[SHA256_LEN])
{
    s3_sha256_ctx c;
    s3_sha256_init(&c);
    s3_sha256_update(&c, data, len);
    s3_sha256_final(&c, out);
}

void s3_sha256_hex(const void *data, size_t len, char out[2 * SHA256_LEN + 1])
{
    uint8_t d[SHA256_LEN];
    s3_sha256(data, len, d);
    i2i_hex(d, sizeof d, out);
}

void s3_hmac_sha256(const void *key, size_t key_len, const void *msg, size_t msg_len,
                    uint8_t out[SHA256_LEN])
{
    uint8_t k[64], pad[64], inner[SHA256_LEN];
    s3_sha256_ctx c;
    size_t i;
    memset(k, 0, sizeof k);
    if (key_len > sizeof k) s3_sha256(key, key_len, k);
    else memcpy(k, key, key_len);
    for (i = 0; i < 64; i++) pad[i] = k[i] ^ 0x36;
    s3_sha256_init(&c);
    s3_sha256_update(&c, pad, 64);
    s3_sha256_update(&c, msg, msg_len);
    s3_sha256_final(&c, inner);
    for (i = 0; i < 64; i++) pad[i] = k[i] ^ 0x5c;
    s3_sha256_init(&c);
    s3_sha256_update(&c, pad, 64);
    s3_sha256_update(&c, inner, sizeof inner);
    s3_sha256_final(&c, out);
    memset(k, 0, sizeof k); /* key material (derived from the secret) */
    memset(pad, 0, sizeof pad);
}

/* ---------------------------------------------------------------- SigV4 */

void s3_amz_date(int64_t unix_seconds, char out[17])
{
    time_t t = (time_t)unix_seconds;
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 17, "%Y%m%dT%H%M%SZ", &tm);
}

typedef struct enc_pair {
    char *name;  /* encoded (query) or lower-cased (headers) */
    char *value; /* encoded (query) or trimmed (headers) */
} enc_pair;

static int cmp_pair(const void *a, const void *b)
{
    const enc_pair *x = a, *y = b;
    int c = strcmp(x->name, y->name);
    return c ? c : strcmp(x->value, y->value);
}

static void free_pairs(enc_pair *p, size_t n)
{
    size_t i;
    if (!p) return;
    for (i = 0; i < n; i++) {
        free(p[i].name);
        free(p[i].value);
    }
    free(p);
}

static char *encoded(const char *s)
{
    i2i_buf b = I2I_BUF_INIT;
    if (http_escape(&b, s, 0) != I2I_OK || !i2i_buf_cstr(&b)) {
        i2i_buf_free(&b);
        return NULL;
    }
    return (char *)i2i_buf_detach(&b, NULL);
}

/* A header value as signed: leading/trailing spaces gone, inner runs of spaces made one. */
static char *trimmed(const char *s)
{
    char *out = malloc(strlen(s) + 1), *o = out;
    int space = 0;
    if (!out) return NULL;
    while (*s == ' ' || *s == '\t') s++;
    for (; *s; s++) {
        if (*s == ' ' || *s == '\t') {
            space = 1;
            continue;
        }
        if (space && o > out) *o++ = ' ';
        space = 0;
        *o++ = *s;
    }
    *o = '\0';
    return out;
}

static char *lowered(const char *s)
{
    char *out = i2i_strdup(s), *p;
    if (!out) return NULL;
    for (p = out; *p; p++) *p = (char)tolower((unsigned char)*p);
    return out;
}

int s3_sigv4_authorization(const s3_sig_request *r, i2i_buf *out, i2i_buf *canonical,
                           i2i_error *err)
{
    enc_pair *q = NULL, *h = NULL;
    i2i_buf creq = I2I_BUF_INIT, sts = I2I_BUF_INIT, signed_names = I2I_BUF_INIT;
    char date[9], creq_hash[2 * SHA256_LEN + 1], sig_hex[2 * SHA256_LEN + 1];
    uint8_t key[SHA256_LEN], sig[SHA256_LEN];
    i2i_buf secret = I2I_BUF_INIT;
    size_t i;
    int rc = I2I_ERR_NOMEM;

    if (!r->amz_date || strlen(r->amz_date) != 16 || r->amz_date[8] != 'T')
        return i2i_error_set(err, I2I_ERR_INVALID, "SigV4: bad x-amz-date '%s'",
                             r->amz_date ? r->amz_date : "(null)");
    memcpy(date, r->amz_date, 8);
    date[8] = '\0';

    q = calloc(r->nquery ? r->nquery : 1, sizeof *q);
    h = calloc(r->nheaders ? r->nheaders : 1, sizeof *h);
    if (!q || !h) goto done;
    for (i = 0; i < r->nquery; i++) {
        q[i].name = encoded(r->query[i].name);
        q[i].value = encoded(r->query[i].value ? r->query[i].value : "");
        if (!q[i].name || !q[i].value) goto done;
    }
    for (i = 0; i < r->nheaders; i++) {
        h[i].name = lowered(r->headers[i].name);
        h[i].value = trimmed(r->headers[i].value);
        if (!h[i].name || !h[i].value) goto done;
    }
    qsort(q, r->nquery, sizeof *q, cmp_pair);
    qsort(h, r->nheaders, sizeof *h, cmp_pair);

    /* CanonicalRequest = Method \n Path \n Query \n Headers \n SignedHeaders \n PayloadHash */
    if (i2i_buf_printf(&creq, "%s\n%s\n", r->method, r->path) != I2I_OK) goto done;
    for (i = 0; i < r->nquery; i++)
        if (i2i_buf_printf(&creq, "%s%s=%s", i ? "&" : "", q[i].name, q[i].value) != I2I_OK)
            goto done;
    if (i2i_buf_put_u8(&creq, '\n') != I2I_OK) goto done;
    for (i = 0; i < r->nheaders; i++)
        if (i2i_buf_printf(&creq, "%s:%s\n", h[i].name, h[i].value) != I2I_OK ||
            i2i_buf_printf(&signed_names, "%s%s", i ? ";" : "", h[i].name) != I2I_OK)
            goto done;
    if (!i2i_buf_cstr(&signed_names) ||
        i2i_buf_printf(&creq, "\n%s\n%s", signed_names.data, r->payload_hash) != I2I_OK)
        goto done;
    s3_sha256_hex(creq.data, creq.len, creq_hash);

    if (i2i_buf_printf(&sts, "AWS4-HMAC-SHA256\n%s\n%s/%s/%s/aws4_request\n%s", r->amz_date, date,
                       r->region, r->service, creq_hash) != I2I_OK)
        goto done;

    /* kSigning = HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), service), "aws4_request") */
    if (i2i_buf_printf(&secret, "AWS4%s", r->secret_access_key) != I2I_OK) goto done;
    s3_hmac_sha256(secret.data, secret.len, date, strlen(date), key);
    s3_hmac_sha256(key, sizeof key, r->region, strlen(r->region), key);
    s3_hmac_sha256(key, sizeof key, r->service, strlen(r->service), key);
    s3_hmac_sha256(key, sizeof key, "aws4_request", 12, key);
    s3_hmac_sha256(key, sizeof key, sts.data, sts.len, sig);
    i2i_hex(sig, sizeof sig, sig_hex);

    if (i2i_buf_printf(out,
                       "AWS4-HMAC-SHA256 Credential=%s/%s/%s/%s/aws4_request, SignedHeaders=%s, "
                       "Signature=%s",
                       r->access_key_id, date, r->region, r->service, signed_names.data,
                       sig_hex) != I2I_OK)
        goto done;
    if (canonical && i2i_buf_append(canonical, creq.data, creq.len) != I2I_OK) goto done;
    rc = I2I_OK;

done:
    if (secret.data) memset(secret.data, 0, secret.len);
    memset(key, 0, sizeof key);
    i2i_buf_free(&secret);
    i2i_buf_free(&creq);
    i2i_buf_free(&sts);
    i2i_buf_free(&signed_names);
    free_pairs(q, r->nquery);
    free_pairs(h, r->nheaders);
    if (rc != I2I_OK) return i2i_error_nomem(err, "signing an S3 request");
    return rc;
}

/* ---------------------------------------------------------------- whole requests */

static int hexval(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* n bytes of a query component, percent-decoded (malformed escapes kept as they are). */
static char *decoded(const char *s, size_t n)
{
    char *out = malloc(n + 1), *o = out;
    size_t i;
    if (!out) return NULL;
    for (i = 0; i < n; i++) {
        if (s[i] == '%' && i + 2 < n && hexval(s[i + 1]) >= 0 && hexval(s[i + 2]) >= 0) {
            *o++ = (char)(hexval(s[i + 1]) << 4 | hexval(s[i + 2]));
            i += 2;
        } else {
            *o++ = s[i];
        }
    }
    *o = '\0';
    return out;
}

int sigv4_sign_http(const sigv4_signer *sg, const char *method, const char *url,
                    const s3_sig_pair *extra, size_t nextra, const void *body, size_t body_len,
                    int64_t unix_seconds, http_headers **hdrs, i2i_buf *canonical, i2i_error *err)
{
    const char *sep = url ? strstr(url, "://") : NULL, *host, *path, *query;
    char payload_hash[2 * SHA256_LEN + 1], amz_date[17];
    char *host_copy = NULL, *path_copy = NULL;
    s3_sig_pair *q = NULL, *h = NULL;
    size_t nq = 0, nh = 0, i, hn;
    i2i_buf cpath = I2I_BUF_INIT, auth = I2I_BUF_INIT;
    s3_sig_request r;
    int rc = I2I_ERR_NOMEM;

    if (!sep)
        return i2i_error_set(err, I2I_ERR_INVALID, "SigV4: '%s' is not an absolute URL",
                             url ? url : "(null)");
    host = sep + 3;
    hn = strcspn(host, "/?#");
    path = host + hn;
    /* libcurl's Host leaves a scheme's default port out; the signed one must match it */
    if ((strncasecmp(url, "https", 5) == 0 && sep - url == 5 && hn > 4 &&
         strncmp(host + hn - 4, ":443", 4) == 0))
        hn -= 4;
    else if (sep - url == 4 && strncasecmp(url, "http", 4) == 0 && hn > 3 &&
             strncmp(host + hn - 3, ":80", 3) == 0)
        hn -= 3;
    host_copy = i2i_strndup(host, hn);
    query = strchr(path, '?');
    path_copy = i2i_strndup(path, query ? (size_t)(query - path) : strcspn(path, "#"));
    if (!host_copy || !path_copy) goto done;
    if (!*path_copy) {
        free(path_copy);
        path_copy = i2i_strdup("/");
        if (!path_copy) goto done;
    }
    if (sg->double_encode_path) {
        if (http_escape(&cpath, path_copy, 1) != I2I_OK) goto done;
    } else if (i2i_buf_append_str(&cpath, path_copy) != I2I_OK) {
        goto done;
    }
    if (!i2i_buf_cstr(&cpath)) goto done;

    /* query pairs, decoded: the signer encodes them canonically again */
    if (query && query[1]) {
        const char *p = query + 1, *end = p + strcspn(p, "#");
        size_t cap = 1;
        for (const char *c = p; c < end; c++) cap += *c == '&';
        q = calloc(cap, sizeof *q);
        if (!q) goto done;
        while (p < end) {
            const char *amp = memchr(p, '&', (size_t)(end - p)), *eq;
            size_t n = amp ? (size_t)(amp - p) : (size_t)(end - p);
            if (n > 0) {
                eq = memchr(p, '=', n);
                q[nq].name = decoded(p, eq ? (size_t)(eq - p) : n);
                q[nq].value = decoded(eq ? eq + 1 : "", eq ? n - (size_t)(eq + 1 - p) : 0);
                nq++;
                if (!q[nq - 1].name || !q[nq - 1].value) goto done;
            }
            p += n + (amp ? 1 : 0);
        }
    }

    s3_sha256_hex(body ? body : "", body ? body_len : 0, payload_hash);
    s3_amz_date(unix_seconds ? unix_seconds : (int64_t)time(NULL), amz_date);
    h = calloc(4 + nextra, sizeof *h);
    if (!h) goto done;
    h[nh++] = (s3_sig_pair){"host", host_copy};
    h[nh++] = (s3_sig_pair){"x-amz-content-sha256", payload_hash};
    h[nh++] = (s3_sig_pair){"x-amz-date", amz_date};
    if (sg->session_token) h[nh++] = (s3_sig_pair){"x-amz-security-token", sg->session_token};
    for (i = 0; i < nextra; i++) h[nh++] = extra[i];

    memset(&r, 0, sizeof r);
    r.method = method;
    r.path = i2i_buf_cstr(&cpath);
    r.query = q;
    r.nquery = nq;
    r.headers = h;
    r.nheaders = nh;
    r.payload_hash = payload_hash;
    r.amz_date = amz_date;
    r.region = sg->region;
    r.service = sg->service;
    r.access_key_id = sg->access_key_id;
    r.secret_access_key = sg->secret_access_key;
    if ((rc = s3_sigv4_authorization(&r, &auth, canonical, err)) != I2I_OK) goto out;
    if ((rc = http_headers_add(hdrs, "x-amz-content-sha256", payload_hash, 0, err)) != I2I_OK ||
        (rc = http_headers_add(hdrs, "x-amz-date", amz_date, 0, err)) != I2I_OK ||
        (sg->session_token && (rc = http_headers_add(hdrs, "x-amz-security-token",
                                                     sg->session_token, 1, err)) != I2I_OK) ||
        (rc = http_headers_add(hdrs, "Authorization", i2i_buf_cstr(&auth), 0, err)) != I2I_OK)
        goto out;
    rc = I2I_OK;
    goto out;
done:
    rc = i2i_error_nomem(err, "signing a request (SigV4)");
out:
    for (i = 0; q && i < nq; i++) {
        free((char *)q[i].name);
        free((char *)q[i].value);
    }
    free(q);
    free(h);
    free(host_copy);
    free(path_copy);
    i2i_buf_free(&cpath);
    i2i_buf_free(&auth);
    return rc;
}
