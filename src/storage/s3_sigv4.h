/*
 * AWS Signature Version 4 for S3 requests, and the SHA-256 / HMAC-SHA256 it rests on (FIPS 180-4,
 * RFC 2104), written here so the storage layer needs no crypto library headers.
 *
 * The caller hands over what it will send: method, the path as it goes on the wire (already
 * URI-encoded), the query parameters (raw; encoded and sorted here), the headers to sign (sorted
 * here; names lower-cased, values trimmed) and the payload hash it also sends as
 * x-amz-content-sha256. The result is the Authorization header value.
 */
#ifndef I2I_S3_SIGV4_H
#define I2I_S3_SIGV4_H

#include <stddef.h>
#include <stdint.h>

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

/* "YYYYMMDDTHHMMSSZ" for a Unix time in seconds (UTC). */
void s3_amz_date(int64_t unix_seconds, char out[17]);

#endif /* I2I_S3_SIGV4_H */
