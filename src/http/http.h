/*
 * http: the one HTTP client (libcurl) for every layer that talks to a server: the InfluxDB source
 * today, S3 storage and the REST catalog next. Each gets the same timeouts, TLS settings,
 * classification of failures, retry policy and redaction, and adds only what is specific to its
 * server (through a classify hook and the headers it builds).
 *
 * What it guarantees:
 *   - Timeouts: connect, whole request, and a low-speed abort (a stalled server is a failure, not
 *     a hang). TLS verification is on unless `insecure` is asked for explicitly.
 *   - Classification of one attempt (an i2i_status; the message names the operation, the status
 *     and the server's own message):
 *       I2I_ERR_TRANSIENT  connection errors, timeouts, a cut-off (truncated) body, 408, 429, 5xx;
 *       I2I_ERR_IO         transport errors a retry cannot fix (TLS verification, bad URL, ...);
 *       I2I_ERR_AUTH       401/403;   I2I_ERR_NOT_FOUND 404;   I2I_ERR_HTTP any other status;
 *       I2I_ERR_CANCELLED  the cancel flag of the retry policy was raised (also mid-transfer);
 *     a caller's classify hook sees every non-2xx reply first and may decide differently. A
 *     status returned by the body sink stops the request and is returned as is, never retried.
 *   - Retries (requests marked `retry`): whatever i2i_status_retryable accepts, with the shared
 *     jittered backoff (util's i2i_retry_policy), raised to the server's Retry-After; waits are
 *     cancellable. Before each attempt the sink is told (mark); after a failed one it is asked to
 *     roll back, and a sink that already passed data on stops the retries.
 *   - Bounded bodies: a non-2xx body is kept only up to 64 KiB (for the message); a 2xx body goes
 *     to the caller's sink as it arrives (http_collect caps a collected one).
 *   - Redaction: headers added as secret have their value registered with the logger and never
 *     appear in a message; URLs in messages lose their password and the values of credential-like
 *     query parameters (http_redact_url); every message goes through the logger's redaction too.
 *
 * Threading: an http_client is one libcurl easy handle (its kept-alive connections); use one per
 * thread.
 */
#ifndef I2I_HTTP_H
#define I2I_HTTP_H

#include "../util/util.h"

/* ---------------------------------------------------------------- client */

typedef struct http_config {
    const char *service;     /* names the server in messages ("InfluxDB"); NULL = "the server" */
    long connect_timeout_ms; /* TCP + TLS connect; default 10 000 */
    long request_timeout_ms; /* whole request, sink time included; default 3 600 000; 0 = none */
    long low_speed_time_s;   /* abort a request that receives < low_speed_bytes/s for this long; */
    long low_speed_bytes;    /*   defaults 300 s and 1 byte/s; 0 s = never */
    int insecure;            /* 1 = do not verify the TLS certificate or host name */
    const char *ca_file;     /* optional CA bundle */
    i2i_retry_policy retry;  /* defaults: 4 retries, 500 ms base, 30 000 ms cap; its cancel flag
                                also aborts a transfer in flight */
} http_config;

/* Every field to its default (strings NULL). */
void http_config_defaults(http_config *cfg);

typedef struct http_client http_client;

/* Validate and copy cfg (strings copied). No network traffic. */
int http_client_open(const http_config *cfg, http_client **out, i2i_error *err);
void http_client_close(http_client *c); /* accepts NULL */
/* Make cancel (may be NULL) the retry policy's cancel flag from now on: it cuts retry waits short
 * and aborts a transfer in flight (a job's stop reaching a catalog's or a storage's client that
 * was opened before the job). Call it while no request is running. */
void http_client_set_cancel(http_client *c, const volatile int *cancel);

/* ---------------------------------------------------------------- headers */

typedef struct http_headers http_headers;

/* Add "name: value" to *h (created on first use). An empty value removes a header libcurl would
 * send by itself ("Expect" turns off 100-continue). secret = 1: the value is registered with
 * i2i_log_add_secret and the formatted line is wiped from temporary memory. */
int http_headers_add(http_headers **h, const char *name, const char *value, int secret,
                     i2i_error *err);
void http_headers_free(http_headers *h); /* accepts NULL */

/* ---------------------------------------------------------------- requests */

/* Where a 2xx body goes. Every member may be NULL. */
typedef struct http_sink {
    /* a piece of the body as it arrives; a negative status stops the request with it */
    int (*data)(void *ctx, const char *p, size_t n, i2i_error *err);
    /* the body is complete; a negative status means it was not (a stream cut at a chunk
     * boundary), which is I2I_ERR_TRANSIENT for the retry decision */
    int (*end)(void *ctx, i2i_error *err);
    void (*mark)(void *ctx);    /* before every attempt */
    int (*rollback)(void *ctx); /* after a failed attempt: 0 = forget it and retry, -1 = data was
                                   already passed on, so the request must not be repeated */
    void *ctx;
} http_sink;

/* A non-2xx reply, as a classify hook sees it. */
typedef struct http_reply {
    long status;
    const char *message; /* the server's message: a JSON body's "error" (+ "data"), "message" or
                            "error"."message", else the text; control characters replaced, cut at
                            about 400 bytes; "(empty body)" when there is none */
    const char *url;     /* the request URL, redacted */
} http_reply;

/* Decide a non-2xx reply: return a negative i2i_status with err set, or 0 for the default. */
typedef int (*http_classify_fn)(void *ctx, const http_reply *reply, const char *what,
                                i2i_error *err);

typedef struct http_request {
    const char *method;          /* NULL = POST with a body, GET without */
    const char *url;
    const http_headers *headers; /* may be NULL */
    const void *body;
    size_t body_len;
    const http_sink *sink;       /* NULL = the 2xx body is discarded */
    const char *what;            /* the operation, for messages ("query of 'cpu' [a, b)") */
    int retry;                   /* 1 = retry retryable failures (idempotent requests only) */
    http_classify_fn classify;
    void *classify_ctx;
    /* Every response header line of every attempt as it arrives ("Name: value\r\n", the status
     * line and the blank end line too), for values a body does not carry (S3's ETag,
     * Content-Length of a HEAD). NULL = ignored. */
    void (*on_header)(void *ctx, const char *line, size_t n);
    void *header_ctx;
} http_request;

typedef struct http_stats {
    uint64_t requests; /* attempts made (added to) */
    uint64_t retries;  /* attempts repeated after a retryable failure (added to) */
} http_stats;

/* Perform the request (with retries when asked). I2I_OK on a 2xx reply whose body the sink took;
 * *status (may be NULL) gets the last HTTP status (0 when none arrived). stats may be NULL. After
 * the retries are used up the message says "giving up after N attempts". */
int http_perform(http_client *c, const http_request *req, long *status, http_stats *stats,
                 i2i_error *err);

/* ---------------------------------------------------------------- helpers */

/* A sink that collects the whole 2xx body into out (cleared at every attempt), refusing bodies
 * larger than max bytes (I2I_ERR_RANGE). Small answers only. */
typedef struct http_collect {
    i2i_buf *out;
    size_t max;
} http_collect;
void http_collect_sink(http_collect *c, i2i_buf *out, size_t max, http_sink *sink);

/* Append url with its userinfo password replaced by "***" and the values of query parameters
 * whose names look like credentials (token, key, secret, password, signature, credential,
 * x-amz-security-token...) replaced by "***". */
int http_redact_url(const char *url, i2i_buf *out);

/* Append s percent-encoded (RFC 3986: the unreserved bytes A-Z a-z 0-9 - . _ ~ kept, '/' kept
 * when keep_slash, everything else %XX in upper-case hex): query values, path segments, and the
 * canonical URIs SigV4 signs. */
int http_escape(i2i_buf *out, const char *s, int keep_slash);

#endif /* I2I_HTTP_H */
