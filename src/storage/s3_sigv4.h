/*
 * AWS Signature Version 4, and the SHA-256 / HMAC-SHA256 it rests on (FIPS 180-4, RFC 2104),
 * written here so no layer needs crypto library headers. The one signer of the project: S3
 * requests (storage_s3.c) and SigV4-signed REST catalog requests (catalog_rest.c) both go through
 * sigv4_sign_http, which builds on s3_sigv4_authorization.
 *
 * s3_sigv4_authorization: the caller hands over what it will send: method, the path as it goes on
 * the wire (already URI-encoded), the query parameters (raw; encoded and sorted here), the
 * headers to sign (sorted here; names lower-cased, values trimmed) and the payload hash it also
 * sends as x-amz-content-sha256. The result is the Authorization header value.
 */
#ifndef I2I_S3_SIGV4_H
#define I2I_S3_SIGV4_H

#include <stddef.h>
#include <stdint.h>

#include "../http/http.h"
#include "../util/util.h"

#define SHA256_LEN 32

void s3_sha256(const void *data, size_t len, uint8_t out[SHA256_LEN]);
/* Lower-case hex of SHA-256(data); out holds 65 bytes. */
void s3_sha256_hex(const void *data, size_t len, char out[2 * SHA256_LEN + 1]);

typedef struct s3_sha256_ctx {
    uint32_t h[8];
    uint64_t total;
    uint8_t block[64];
    size_t used;
} s3_sha256_ctx;
void s3_sha256_init(s3_sha256_ctx *c);
void s3_sha256_update(s3_sha256_ctx *c, const void *data, size_t len);
void s3_sha256_final(s3_sha256_ctx *c, uint8_t out[SHA256_LEN]);

void s3_hmac_sha256(const void *key, size_t key_len, const void *msg, size_t msg_len,
                    uint8_t out[SHA256_LEN]);

typedef struct s3_sig_pair {
    const char *name;
    const char *value;
} s3_sig_pair;

typedef struct s3_sig_request {
    const char *method;
    const char *path;           /* URI-encoded absolute path, e.g. "/bucket/a%20b" */
    const s3_sig_pair *query;   /* raw names and values; may be NULL when nquery == 0 */
    size_t nquery;
    const s3_sig_pair *headers; /* every header to sign, host and x-amz-* included */
    size_t nheaders;
    const char *payload_hash;   /* hex SHA-256 of the body, or "UNSIGNED-PAYLOAD" */
    const char *amz_date;       /* "YYYYMMDDTHHMMSSZ", also sent as x-amz-date */
    const char *region;
    const char *service;        /* "s3" */
    const char *access_key_id;
    const char *secret_access_key;
} s3_sig_request;

/* Append the Authorization header value to out. canonical (may be NULL) gets the canonical
 * request, for tests and debugging. I2I_ERR_NOMEM or I2I_ERR_INVALID (a bad date). */
int s3_sigv4_authorization(const s3_sig_request *r, i2i_buf *out, i2i_buf *canonical,
                           i2i_error *err);

/* Who signs, for which service. */
typedef struct sigv4_signer {
    const char *region;
    const char *service;           /* "s3", "execute-api" (API Gateway), "glue", ... */
    const char *access_key_id;
    const char *secret_access_key;
    const char *session_token;     /* NULL = long-term keys */
    /* Every service but S3 signs the path URI-encoded once more than it goes on the wire (AWS's
     * SigV4 rules; botocore's SigV4Auth vs S3SigV4Auth): "/a%1Fb" is signed as "/a%251Fb". */
    int double_encode_path;
} sigv4_signer;

/* Sign one HTTP request and add the headers that carry the signature to *hdrs: x-amz-date,
 * x-amz-content-sha256 (hex SHA-256 of the body, the empty body's hash when there is none; S3
 * and PyIceberg/Java's REST signers both send it), x-amz-security-token (when a session token is
 * set; added as a secret header) and Authorization. url is the full URL as it goes out (path and
 * query already percent-encoded; the query is decoded and re-encoded canonically). Signed are
 * host (from the URL, a scheme's default port left out as libcurl leaves it out), the headers
 * added here, and `extra` (nextra pairs): headers the caller sends too and wants covered, such
 * as Content-Type; the caller adds those to *hdrs itself. unix_seconds 0 = now. canonical (may be
 * NULL) gets the canonical request, for tests. */
int sigv4_sign_http(const sigv4_signer *sg, const char *method, const char *url,
                    const s3_sig_pair *extra, size_t nextra, const void *body, size_t body_len,
                    int64_t unix_seconds, http_headers **hdrs, i2i_buf *canonical, i2i_error *err);

/* "YYYYMMDDTHHMMSSZ" for a Unix time in seconds (UTC). */
void s3_amz_date(int64_t unix_seconds, char out[17]);

#endif /* I2I_S3_SIGV4_H */
