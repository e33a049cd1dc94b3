/* The S3 back-end: S3-compatible object stores over the shared HTTP layer (src/http), requests
 * signed with SigV4 (s3_sigv4.c). Configuration comes from the catalog's FileIO properties with
 * PyIceberg's key names, falling back to the standard AWS environment variables.
 *
 * Atomicity: put is one PUT (S3 makes an object visible whole or not at all); put_if_absent is a
 * PUT with If-None-Match: * (412 = it exists), which is what the filesystem catalog's commit
 * needs. Large files stream up as multipart uploads: the writer holds one part in memory, and a
 * failed or abandoned upload is aborted so no parts are left behind (and billed). */
#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "../http/http.h"
#include "s3_sigv4.h"
#include "storage.h"

/* An i2i_buf holding text (NUL-terminated by i2i_buf_cstr) as a C string. */
#define TXT(b) ((char *)(b).data)

#define S3_MIN_PART ((size_t)5 << 20)     /* S3's smallest part but the last */
#define S3_DEFAULT_PART ((size_t)8 << 20)
#define S3_MAX_PART ((size_t)5 << 30)
#define S3_MAX_PARTS 10000
#define S3_GET_MAX ((size_t)1 << 31)     /* whole-object reads are metadata, manifests: small */
#define S3_XML_MAX ((size_t)16 << 20)    /* list pages, multipart replies */

typedef struct s3_state {
    http_client *http;
    /* One request at a time on the connection: a run's writer thread stores data files while its
     * caller commits (manifests, metadata) through the same storage. */
    pthread_mutex_t http_mu;
    int http_mu_ok;
    char *scheme;    /* "http" or "https" of the endpoint */
    char *host;      /* endpoint host[:port] */
    char *base_path; /* endpoint path without trailing '/', usually "" */
    char *region;
    char *access_key_id;
    char *secret_access_key;
    char *session_token;
    int path_style;
    int anonymous;
    size_t part_size;
    const storage *self; /* the facade, for its test fault hook (storage_set_fault) */
} s3_state;

/* ---------------------------------------------------------------- configuration */

static const char *prop_str(const json_t *props, const char *key)
{
    const json_t *v = props ? json_object_get(props, key) : NULL;
    return json_is_string(v) && *json_string_value(v) ? json_string_value(v) : NULL;
}

/* A boolean property given as JSON true/false or the strings "true"/"false": 1, 0, or -1 unset.
 * Anything else is an error so a typo does not silently pick the other addressing style. */
static int prop_bool(const json_t *props, const char *key, int *out, i2i_error *err)
{
    const json_t *v = props ? json_object_get(props, key) : NULL;
    *out = -1;
    if (!v || json_is_null(v)) return I2I_OK;
    if (json_is_boolean(v)) {
        *out = json_is_true(v);
        return I2I_OK;
    }
    if (json_is_string(v)) {
        if (strcasecmp(json_string_value(v), "true") == 0) *out = 1;
        else if (strcasecmp(json_string_value(v), "false") == 0) *out = 0;
        if (*out >= 0) return I2I_OK;
    }
    return i2i_error_set(err, I2I_ERR_INVALID,
                         "S3 storage: property \"%s\" must be true or false", key);
}

static const char *first_of(const json_t *props, const char *k1, const char *k2, const char *env1,
                            const char *env2)
{
    const char *v = prop_str(props, k1);
    if (!v && k2) v = prop_str(props, k2);
    if (!v && env1 && (v = getenv(env1)) && !*v) v = NULL;
    if (!v && env2 && (v = getenv(env2)) && !*v) v = NULL;
    return v;
}

static void s3_close(void *state)
{
    s3_state *s = state;
    if (!s) return;
    http_client_close(s->http);
    if (s->http_mu_ok) pthread_mutex_destroy(&s->http_mu);
    free(s->scheme);
    free(s->host);
    free(s->base_path);
    free(s->region);
    free(s->access_key_id);
    if (s->secret_access_key) memset(s->secret_access_key, 0, strlen(s->secret_access_key));
    free(s->secret_access_key);
    if (s->session_token) memset(s->session_token, 0, strlen(s->session_token));
    free(s->session_token);
    free(s);
}

static int parse_endpoint(s3_state *s, const char *endpoint, i2i_error *err)
{
    const char *p = strstr(endpoint, "://"), *host, *slash;
    size_t n;
    if (!p || (strncasecmp(endpoint, "http://", 7) != 0 && strncasecmp(endpoint, "https://", 8) != 0))
        return i2i_error_set(err, I2I_ERR_INVALID,
                             "S3 storage: s3.endpoint '%s' must start with http:// or https://",
                             endpoint);
    host = p + 3;
    slash = strchr(host, '/');
    n = slash ? (size_t)(slash - host) : strlen(host);
    if (n == 0 || memchr(host, '@', n))
        return i2i_error_set(err, I2I_ERR_INVALID,
                             "S3 storage: s3.endpoint '%s' needs a host (and no user info)",
                             endpoint);
    s->scheme = i2i_strndup(endpoint, (size_t)(p - endpoint));
    s->host = i2i_strndup(host, n);
    s->base_path = i2i_strdup(slash ? slash : "");
    if (!s->scheme || !s->host || !s->base_path) return i2i_error_nomem(err, "opening S3 storage");
    for (char *c = s->scheme; *c; c++) *c = (char)tolower((unsigned char)*c);
    /* The signed Host must be what libcurl sends, and it leaves a scheme's default port out. */
    n = strlen(s->host);
    if ((strcmp(s->scheme, "https") == 0 && n > 4 && strcmp(s->host + n - 4, ":443") == 0) ||
        (strcmp(s->scheme, "http") == 0 && n > 3 && strcmp(s->host + n - 3, ":80") == 0))
        *strrchr(s->host, ':') = '\0';
    n = strlen(s->base_path);
    while (n > 0 && s->base_path[n - 1] == '/') s->base_path[--n] = '\0';
    return I2I_OK;
}

static const storage_ops s3_ops;

int storage_s3_open(const json_t *props, storage **out, i2i_error *err)
{
    s3_state *s = calloc(1, sizeof *s);
    storage *st = NULL;
    http_config hc;
    const char *endpoint, *region, *key, *secret, *token, *ca, *part;
    int path_style, virtual_hosted, anonymous, rc;
    i2i_buf ep = I2I_BUF_INIT;

    *out = NULL;
    if (!s) return i2i_error_nomem(err, "opening S3 storage");
    if (pthread_mutex_init(&s->http_mu, NULL) != 0) {
        free(s);
        return i2i_error_nomem(err, "opening S3 storage (its lock)");
    }
    s->http_mu_ok = 1;
    region = first_of(props, "s3.region", "client.region", "AWS_REGION", "AWS_DEFAULT_REGION");
    if (!region) region = "us-east-1";
    endpoint = first_of(props, "s3.endpoint", NULL, "AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL");
    /* Credentials come as a set: a key id from the properties is never paired with a secret from
     * the environment. */
    key = first_of(props, "s3.access-key-id", "client.access-key-id", NULL, NULL);
    if (key) {
        secret = first_of(props, "s3.secret-access-key", "client.secret-access-key", NULL, NULL);
        token = first_of(props, "s3.session-token", "client.session-token", NULL, NULL);
    } else {
        key = getenv("AWS_ACCESS_KEY_ID");
        secret = getenv("AWS_SECRET_ACCESS_KEY");
        token = getenv("AWS_SESSION_TOKEN");
        if (key && !*key) key = NULL;
        if (token && !*token) token = NULL;
    }
    I2I_TRY_GOTO(prop_bool(props, "s3.path-style-access", &path_style, err), rc, fail);
    I2I_TRY_GOTO(prop_bool(props, "s3.force-virtual-addressing", &virtual_hosted, err), rc, fail);
    I2I_TRY_GOTO(prop_bool(props, "s3.anonymous", &anonymous, err), rc, fail);
    s->anonymous = anonymous == 1;
    if (!s->anonymous && (!key || !secret || !*secret)) {
        rc = i2i_error_set(err, I2I_ERR_AUTH,
                           "S3 storage: no credentials: set s3.access-key-id and "
                           "s3.secret-access-key in the catalog configs (or AWS_ACCESS_KEY_ID and "
                           "AWS_SECRET_ACCESS_KEY), or s3.anonymous=true for a public bucket");
        goto fail;
    }
    if (path_style == 1 && virtual_hosted == 1) {
        rc = i2i_error_set(err, I2I_ERR_INVALID,
                           "S3 storage: s3.path-style-access and s3.force-virtual-addressing "
                           "are both true; set only one");
        goto fail;
    }
    /* PyIceberg (pyarrow) addresses buckets by path whenever an endpoint override is set. */
    s->path_style = path_style == 1 || (virtual_hosted != 1 && endpoint != NULL);
    if (!endpoint) {
        if (i2i_buf_printf(&ep, "https://s3.%s.amazonaws.com", region) != I2I_OK ||
            !i2i_buf_cstr(&ep)) {
            rc = i2i_error_nomem(err, "opening S3 storage");
            goto fail;
        }
        endpoint = TXT(ep);
    }
    I2I_TRY_GOTO(parse_endpoint(s, endpoint, err), rc, fail);
    s->region = i2i_strdup(region);
    s->access_key_id = key ? i2i_strdup(key) : NULL;
    s->secret_access_key = secret ? i2i_strdup(secret) : NULL;
    s->session_token = token ? i2i_strdup(token) : NULL;
    if (!s->region || (key && !s->access_key_id) || (secret && !s->secret_access_key) ||
        (token && !s->session_token)) {
        rc = i2i_error_nomem(err, "opening S3 storage");
        goto fail;
    }
    if (secret) i2i_log_add_secret(secret);
    if (token) i2i_log_add_secret(token);

    s->part_size = S3_DEFAULT_PART;
    part = prop_str(props, "s3.multipart.part-size-bytes");
    if (part) {
        char *end;
        unsigned long long v = strtoull(part, &end, 10);
        if (*end || v < S3_MIN_PART || v > S3_MAX_PART) {
            rc = i2i_error_set(err, I2I_ERR_INVALID,
                               "S3 storage: s3.multipart.part-size-bytes '%s' must be a byte count "
                               "between 5 MiB (5242880) and 5 GiB",
                               part);
            goto fail;
        }
        s->part_size = (size_t)v;
    }

    http_config_defaults(&hc);
    hc.service = "S3";
    ca = getenv("AWS_CA_BUNDLE");
    if (ca && *ca) hc.ca_file = ca;
    I2I_TRY_GOTO(http_client_open(&hc, &s->http, err), rc, fail);

    st = calloc(1, sizeof *st);
    if (!st) {
        rc = i2i_error_nomem(err, "opening S3 storage");
        goto fail;
    }
    st->ops = &s3_ops;
    st->state = s;
    s->self = st;
    *out = st;
    i2i_buf_free(&ep);
    return I2I_OK;

fail:
    i2i_buf_free(&ep);
    s3_close(s);
    return rc;
}

/* ---------------------------------------------------------------- locations and requests */

/* "s3://bucket/key" (s3a, s3n too) -> bucket and key (malloc'd; key may be ""). */
static int split_location(const char *location, char **bucket, char **key, i2i_error *err)
{
    const char *p = location ? strstr(location, "://") : NULL, *b, *slash;
    *bucket = *key = NULL;
    if (!p || !(strncasecmp(location, "s3://", 5) == 0 || strncasecmp(location, "s3a://", 6) == 0 ||
                strncasecmp(location, "s3n://", 6) == 0))
        return i2i_error_set(err, I2I_ERR_INVALID, "S3 storage: '%s' is not an s3:// location",
                             location ? location : "(null)");
    b = p + 3;
    slash = strchr(b, '/');
    if (slash == b || !*b)
        return i2i_error_set(err, I2I_ERR_INVALID, "S3 storage: '%s' names no bucket", location);
    *bucket = slash ? i2i_strndup(b, (size_t)(slash - b)) : i2i_strdup(b);
    *key = i2i_strdup(slash ? slash + 1 : "");
    if (!*bucket || !*key) {
        free(*bucket);
        free(*key);
        *bucket = *key = NULL;
        return i2i_error_nomem(err, "parsing an S3 location");
    }
    return I2I_OK;
}

typedef struct s3_call {
    const char *method;
    const char *bucket;
    const char *key;            /* raw object key; "" for bucket-level requests */
    const s3_sig_pair *query;   /* raw */
    size_t nquery;
    const void *body;
    size_t body_len;
    const char *content_type;   /* NULL = application/octet-stream when there is a body */
    const char *if_none_match;  /* "*" for create-if-absent */
    const http_sink *sink;
    void (*on_header)(void *ctx, const char *line, size_t n);
    void *header_ctx;
    int conditional; /* 412 = I2I_ERR_EXISTS */
    const char *what;
    int retry;
} s3_call;

static int s3_classify(void *ctx, const http_reply *reply, const char *what, i2i_error *err);

/* Build, sign and perform one S3 request. */
static int s3_perform(s3_state *s, const s3_call *c, long *status, http_stats *stats,
                      i2i_error *err)
{
    i2i_buf host = I2I_BUF_INIT, path = I2I_BUF_INIT, url = I2I_BUF_INIT;
    http_headers *hdrs = NULL;
    const char *content_type = c->content_type ? c->content_type : "application/octet-stream";
    size_t i;
    http_request req;
    int rc = I2I_ERR_NOMEM;

    /* Host and path: virtual-hosted puts the bucket in the host name. */
    if (s->path_style) {
        if (i2i_buf_append_str(&host, s->host) != I2I_OK ||
            i2i_buf_printf(&path, "%s/", s->base_path) != I2I_OK ||
            http_escape(&path, c->bucket, 0) != I2I_OK)
            goto nomem;
        if (*c->key || !c->nquery) {
            if (i2i_buf_put_u8(&path, '/') != I2I_OK) goto nomem;
        }
    } else {
        if (i2i_buf_printf(&host, "%s.%s", c->bucket, s->host) != I2I_OK ||
            i2i_buf_printf(&path, "%s/", s->base_path) != I2I_OK)
            goto nomem;
    }
    if (http_escape(&path, c->key, 1) != I2I_OK || !i2i_buf_cstr(&host) ||
        !i2i_buf_cstr(&path))
        goto nomem;
    if (i2i_buf_printf(&url, "%s://%s%s", s->scheme, TXT(host), TXT(path)) != I2I_OK) goto nomem;
    for (i = 0; i < c->nquery; i++) {
        if (i2i_buf_put_u8(&url, i ? '&' : '?') != I2I_OK ||
            http_escape(&url, c->query[i].name, 0) != I2I_OK ||
            i2i_buf_put_u8(&url, '=') != I2I_OK ||
            http_escape(&url, c->query[i].value, 0) != I2I_OK)
            goto nomem;
    }
    if (!i2i_buf_cstr(&url)) goto nomem;

    if ((rc = http_headers_add(&hdrs, "Expect", "", 0, err)) != I2I_OK ||
        /* 100-continue costs a round trip per part and some servers mishandle it */
        (c->body && (rc = http_headers_add(&hdrs, "Content-Type", content_type, 0, err)) != I2I_OK) ||
        (c->if_none_match &&
         (rc = http_headers_add(&hdrs, "If-None-Match", c->if_none_match, 0, err)) != I2I_OK))
        goto done;
    if (!s->anonymous) {
        /* the one SigV4 signer (shared with the REST catalog): host, x-amz-date, the body's hash,
         * the session token and the Content-Type are signed */
        sigv4_signer sg;
        s3_sig_pair ct = {"content-type", content_type};
        memset(&sg, 0, sizeof sg);
        sg.region = s->region;
        sg.service = "s3";
        sg.access_key_id = s->access_key_id;
        sg.secret_access_key = s->secret_access_key;
        sg.session_token = s->session_token;
        if ((rc = sigv4_sign_http(&sg, c->method, TXT(url), &ct, c->body ? 1 : 0, c->body,
                                  c->body ? c->body_len : 0, 0, &hdrs, NULL, err)) != I2I_OK)
            goto done;
    }

    memset(&req, 0, sizeof req);
    req.method = c->method;
    req.url = TXT(url);
    req.headers = hdrs;
    /* A PUT or POST without a body still goes out as one with an empty body. */
    req.body = c->body ? c->body
                       : (strcmp(c->method, "PUT") == 0 || strcmp(c->method, "POST") == 0 ? ""
                                                                                            : NULL);
    req.body_len = c->body ? c->body_len : 0;
    req.sink = c->sink;
    req.what = c->what;
    req.retry = c->retry;
    req.classify = s3_classify;
    req.classify_ctx = c->conditional ? (void *)c : NULL;
    req.on_header = c->on_header;
    req.header_ctx = c->header_ctx;
    pthread_mutex_lock(&s->http_mu);
    rc = http_perform(s->http, &req, status, stats, err);
    pthread_mutex_unlock(&s->http_mu);
    goto done;

nomem:
    rc = i2i_error_nomem(err, "building an S3 request");
done:
    http_headers_free(hdrs);
    i2i_buf_free(&host);
    i2i_buf_free(&path);
    i2i_buf_free(&url);
    return rc;
}

/* "S3 PUT s3://bucket/key" style operation names for messages. */
static int what_of(i2i_buf *w, const char *op, const char *location)
{
    i2i_buf_reset(w);
    if (i2i_buf_printf(w, "S3 %s '%s'", op, location) != I2I_OK || !i2i_buf_cstr(w))
        return I2I_ERR_NOMEM;
    return I2I_OK;
}

/* Every S3 error reply: S3 answers with <Error><Code>..</Code><Message>..</Message></Error>, so the
 * message names S3's code (SignatureDoesNotMatch, NoSuchBucket, SlowDown...) before its text.
 * ctx non-NULL marks a conditional PUT, where 412 means the object exists. */
static int s3_classify(void *ctx, const http_reply *reply, const char *what, i2i_error *err)
{
    const char *m = reply->message, *code = strstr(m, "<Code>"), *text = strstr(m, "<Message>");
    const char *code_end = code ? strstr(code, "</Code>") : NULL;
    const char *text_end = text ? strstr(text, "</Message>") : NULL;
    char detail[600];
    int status;
    if (ctx && reply->status == 412)
        return i2i_error_set(err, I2I_ERR_EXISTS, "%s: the object already exists", what);
    /* 409 on a conditional PUT: another conditional write to the key was in flight; S3 says to
     * retry. */
    if (ctx && reply->status == 409)
        return i2i_error_set(err, I2I_ERR_TRANSIENT, "%s: HTTP 409 (a concurrent conditional "
                             "write to the same key)", what);
    if (code && code_end)
        snprintf(detail, sizeof detail, "%.*s: %.*s", (int)(code_end - code - 6), code + 6,
                 text && text_end ? (int)(text_end - text - 9) : (int)strlen(m),
                 text && text_end ? text + 9 : m);
    else
        snprintf(detail, sizeof detail, "%s", m);
    /* S3 answers 400 for a malformed or expired session token and for a credential scoped to
     * the wrong region: credential problems all the same. */
    if (reply->status == 401 || reply->status == 403 ||
        (reply->status == 400 && code && code_end &&
         (strncmp(code + 6, "InvalidToken<", 13) == 0 ||
          strncmp(code + 6, "ExpiredToken<", 13) == 0 ||
          strncmp(code + 6, "TokenRefreshRequired<", 21) == 0 ||
          strncmp(code + 6, "AuthorizationHeaderMalformed<", 29) == 0)))
        return i2i_error_set(err, I2I_ERR_AUTH,
                             "%s: HTTP %ld %s; check s3.access-key-id, s3.secret-access-key "
                             "(and s3.session-token, s3.region) and the bucket policy",
                             what, reply->status, detail);
    if (reply->status >= 500 || reply->status == 408 || reply->status == 429) status = I2I_ERR_TRANSIENT;
    else if (reply->status == 404) status = I2I_ERR_NOT_FOUND;
    else status = I2I_ERR_HTTP;
    return i2i_error_set(err, status, "%s: HTTP %ld %s", what, reply->status, detail);
}

static int s3_get(void *state, const char *location, i2i_buf *out, i2i_error *err);

static int put_object(s3_state *s, const char *location, const void *data, size_t len,
                      int if_absent, i2i_error *err)
{
    char *bucket, *key;
    i2i_buf what = I2I_BUF_INIT;
    http_stats stats = {0, 0};
    s3_call c;
    int rc;
    I2I_TRY(split_location(location, &bucket, &key, err));
    if (what_of(&what, if_absent ? "create" : "PUT", location) != I2I_OK) {
        rc = i2i_error_nomem(err, "writing to S3");
        goto done;
    }
    memset(&c, 0, sizeof c);
    c.method = "PUT";
    c.bucket = bucket;
    c.key = key;
    c.body = data ? data : "";
    c.body_len = len;
    c.if_none_match = if_absent ? "*" : NULL;
    c.conditional = if_absent;
    c.what = TXT(what);
    c.retry = 1;
    rc = s3_perform(s, &c, NULL, &stats, err);
    if (rc == I2I_ERR_EXISTS && stats.retries > 0) {
        /* A retried create may have lost the reply to its own first, successful attempt: the
         * object is ours if it holds exactly our bytes. */
        i2i_buf cur = I2I_BUF_INIT;
        i2i_error e2;
        memset(&e2, 0, sizeof e2);
        if (s3_get(s, location, &cur, &e2) == I2I_OK &&
            cur.len == len && (len == 0 || memcmp(cur.data, data, len) == 0))
            rc = I2I_OK;
        i2i_buf_free(&cur);
    }
done:
    i2i_buf_free(&what);
    free(bucket);
    free(key);
    return rc;
}

static int s3_put(void *state, const char *location, const void *data, size_t len, i2i_error *err)
{
    return put_object(state, location, data, len, 0, err);
}

static int s3_put_if_absent(void *state, const char *location, const void *data, size_t len,
                            i2i_error *err)
{
    return put_object(state, location, data, len, 1, err);
}

/* A request on one object without a body to send (GET, HEAD, DELETE). */
static int object_request(s3_state *s, const char *method, const char *op, const char *location,
                          const http_sink *sink, void (*on_header)(void *, const char *, size_t),
                          void *header_ctx, i2i_error *err)
{
    char *bucket, *key;
    i2i_buf what = I2I_BUF_INIT;
    s3_call c;
    int rc;
    I2I_TRY(split_location(location, &bucket, &key, err));
    if (what_of(&what, op, location) != I2I_OK) {
        rc = i2i_error_nomem(err, "talking to S3");
    } else {
        memset(&c, 0, sizeof c);
        c.method = method;
        c.bucket = bucket;
        c.key = key;
        c.sink = sink;
        c.on_header = on_header;
        c.header_ctx = header_ctx;
        c.what = TXT(what);
        c.retry = 1;
        rc = s3_perform(s, &c, NULL, NULL, err);
    }
    i2i_buf_free(&what);
    free(bucket);
    free(key);
    return rc;
}

static int s3_get(void *state, const char *location, i2i_buf *out, i2i_error *err)
{
    http_collect col;
    http_sink sink;
    i2i_buf_reset(out);
    http_collect_sink(&col, out, S3_GET_MAX, &sink);
    return object_request(state, "GET", "GET", location, &sink, NULL, NULL, err);
}

/* Content-Length of a HEAD reply (the last one seen, so a retried attempt overrides). */
static void content_length_header(void *ctx, const char *line, size_t n)
{
    int64_t *len = ctx;
    static const char name[] = "content-length:";
    char num[32];
    size_t i = sizeof name - 1, k = 0;
    if (n <= i || strncasecmp(line, name, i) != 0) return;
    while (i < n && (line[i] == ' ' || line[i] == '\t')) i++;
    while (i < n && k + 1 < sizeof num && isdigit((unsigned char)line[i])) num[k++] = line[i++];
    num[k] = '\0';
    if (k) *len = (int64_t)strtoll(num, NULL, 10);
}

static int head_object(s3_state *s, const char *location, int64_t *size, i2i_error *err)
{
    *size = -1;
    return object_request(s, "HEAD", "HEAD", location, NULL, content_length_header, size, err);
}

static int s3_exists(void *state, const char *location, i2i_error *err)
{
    int64_t size;
    int rc = head_object(state, location, &size, err);
    if (rc == I2I_ERR_NOT_FOUND) return 0;
    return rc == I2I_OK ? 1 : rc;
}

static int s3_size(void *state, const char *location, int64_t *out, i2i_error *err)
{
    I2I_TRY(head_object(state, location, out, err));
    if (*out < 0)
        return i2i_error_set(err, I2I_ERR_FORMAT, "S3 HEAD '%s': no Content-Length in the reply",
                             location);
    return I2I_OK;
}

static int s3_remove(void *state, const char *location, i2i_error *err)
{
    int rc = object_request(state, "DELETE", "DELETE", location, NULL, NULL, NULL, err);
    return rc == I2I_ERR_NOT_FOUND ? I2I_OK : rc;
}

/* ---------------------------------------------------------------- XML replies */

/* The text of the first <tag>...</tag> at or after *pos in [xml, xml+n), entities decoded, into
 * out; *pos moves past it. 0 = not found. Enough for S3's flat replies; no CDATA. */
static int xml_next(const char *xml, size_t n, size_t *pos, const char *tag, i2i_buf *out)
{
    char open[64], close[64];
    const char *p, *q, *end = xml + n;
    size_t ol, cl;
    snprintf(open, sizeof open, "<%s>", tag);
    snprintf(close, sizeof close, "</%s>", tag);
    ol = strlen(open);
    cl = strlen(close);
    for (p = xml + *pos; p + ol <= end; p++)
        if (memcmp(p, open, ol) == 0) break;
    if (p + ol > end) return 0;
    p += ol;
    for (q = p; q + cl <= end; q++)
        if (memcmp(q, close, cl) == 0) break;
    if (q + cl > end) return 0;
    *pos = (size_t)(q + cl - xml);
    i2i_buf_reset(out);
    while (p < q) {
        static const struct {
            const char *ent;
            char ch;
        } ents[] = {{"&amp;", '&'}, {"&lt;", '<'}, {"&gt;", '>'}, {"&quot;", '"'}, {"&apos;", '\''}};
        size_t e;
        int done = 0;
        if (*p == '&') {
            for (e = 0; e < sizeof ents / sizeof ents[0]; e++) {
                size_t el = strlen(ents[e].ent);
                if ((size_t)(q - p) >= el && memcmp(p, ents[e].ent, el) == 0) {
                    if (i2i_buf_put_u8(out, (uint8_t)ents[e].ch) != I2I_OK) return -1;
                    p += el;
                    done = 1;
                    break;
                }
            }
        }
        if (!done && i2i_buf_put_u8(out, (uint8_t)*p++) != I2I_OK) return -1;
    }
    return i2i_buf_cstr(out) ? 1 : -1;
}

/* ---------------------------------------------------------------- listing */

typedef struct list_entry {
    char *key;
    int64_t size;
    int64_t mtime_ms;
} list_entry;

static int cmp_entry(const void *a, const void *b)
{
    return strcmp(((const list_entry *)a)->key, ((const list_entry *)b)->key);
}

/* Every object under prefix (a location), optionally only one level deep (delimiter '/'). The
 * key prefix always ends with '/' so "metadata" does not match "metadata-old/". */
static int list_objects(s3_state *s, const char *prefix, int one_level, list_entry **out,
                        size_t *count, char **key_prefix_out, i2i_error *err)
{
    char *bucket, *key;
    i2i_buf kp = I2I_BUF_INIT, what = I2I_BUF_INIT, body = I2I_BUF_INIT, token = I2I_BUF_INIT,
            field = I2I_BUF_INIT, contents = I2I_BUF_INIT;
    list_entry *items = NULL;
    size_t n = 0, cap = 0;
    int rc = I2I_OK, more = 1;

    *out = NULL;
    *count = 0;
    *key_prefix_out = NULL;
    I2I_TRY(split_location(prefix, &bucket, &key, err));
    if (i2i_buf_append_str(&kp, key) != I2I_OK ||
        (kp.len > 0 && TXT(kp)[kp.len - 1] != '/' && i2i_buf_put_u8(&kp, '/') != I2I_OK) ||
        !i2i_buf_cstr(&kp) || what_of(&what, "list", prefix) != I2I_OK) {
        rc = i2i_error_nomem(err, "listing S3");
        goto done;
    }
    while (more) {
        s3_sig_pair q[4];
        size_t nq = 0, pos = 0;
        http_collect col;
        http_sink sink;
        s3_call c;
        q[nq++] = (s3_sig_pair){"list-type", "2"};
        q[nq++] = (s3_sig_pair){"prefix", TXT(kp)};
        if (one_level) q[nq++] = (s3_sig_pair){"delimiter", "/"};
        if (token.len) q[nq++] = (s3_sig_pair){"continuation-token", TXT(token)};
        http_collect_sink(&col, &body, S3_XML_MAX, &sink);
        memset(&c, 0, sizeof c);
        c.method = "GET";
        c.bucket = bucket;
        c.key = "";
        c.query = q;
        c.nquery = nq;
        c.sink = &sink;
        c.what = TXT(what);
        c.retry = 1;
        rc = s3_perform(s, &c, NULL, NULL, err);
        if (rc != I2I_OK) goto done;
        if (!i2i_buf_cstr(&body)) goto nomem;
        for (;;) {
            size_t cpos = 0;
            int64_t ns = 0;
            list_entry e = {NULL, 0, 0};
            int f = xml_next(TXT(body), body.len, &pos, "Contents", &contents);
            if (f < 0) goto nomem;
            if (f == 0) break;
            if (xml_next(TXT(contents), contents.len, &cpos, "Key", &field) <= 0) continue;
            if (strncmp(TXT(field), TXT(kp), kp.len) != 0) continue;
            if (n == cap) {
                size_t ncap = cap ? 2 * cap : 64;
                list_entry *ni = realloc(items, ncap * sizeof *ni);
                if (!ni) goto nomem;
                items = ni;
                cap = ncap;
            }
            e.key = i2i_strdup(TXT(field));
            if (!e.key) goto nomem;
            cpos = 0;
            if (xml_next(TXT(contents), contents.len, &cpos, "Size", &field) > 0)
                e.size = (int64_t)strtoll(TXT(field), NULL, 10);
            cpos = 0;
            if (xml_next(TXT(contents), contents.len, &cpos, "LastModified", &field) > 0 &&
                i2i_time_parse(TXT(field), field.len, 0, &ns, NULL) == I2I_OK)
                e.mtime_ms = ns / 1000000;
            items[n++] = e;
        }
        pos = 0;
        more = xml_next(TXT(body), body.len, &pos, "IsTruncated", &field) > 0 &&
               strcmp(TXT(field), "true") == 0;
        if (more) {
            pos = 0;
            if (xml_next(TXT(body), body.len, &pos, "NextContinuationToken", &token) <= 0) {
                rc = i2i_error_set(err, I2I_ERR_FORMAT,
                                   "%s: a truncated listing without NextContinuationToken",
                                   TXT(what));
                goto done;
            }
        }
    }
    if (n > 1) qsort(items, n, sizeof *items, cmp_entry);
    *out = items;
    *count = n;
    *key_prefix_out = (char *)i2i_buf_detach(&kp, NULL);
    items = NULL;
    n = 0;
    goto done;
nomem:
    rc = i2i_error_nomem(err, "listing S3");
done:
    while (n > 0) free(items[--n].key);
    free(items);
    free(bucket);
    free(key);
    i2i_buf_free(&kp);
    i2i_buf_free(&what);
    i2i_buf_free(&body);
    i2i_buf_free(&token);
    i2i_buf_free(&field);
    i2i_buf_free(&contents);
    return rc;
}

static void free_entries(list_entry *e, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++) free(e[i].key);
    free(e);
}

/* One listing, two shapes: the names directly under prefix (one level, as storage_list), or
 * every object below it with its size and time (storage_list_tree). */
static int list_into(void *state, const char *prefix, int tree, json_t *out, i2i_error *err)
{
    list_entry *e;
    size_t n, i, kpl;
    char *kp;
    int rc = I2I_OK;
    I2I_TRY(list_objects(state, prefix, !tree, &e, &n, &kp, err));
    kpl = strlen(kp);
    for (i = 0; i < n && rc == I2I_OK; i++) {
        const char *name = e[i].key + kpl;
        json_t *o;
        if (!*name || (!tree && strchr(name, '/'))) continue;
        o = tree ? json_pack("{s:s, s:I, s:I}", "path", name, "size", (json_int_t)e[i].size, "mtime_ms",
                             (json_int_t)e[i].mtime_ms)
                 : json_string(name);
        if (!o || json_array_append_new(out, o) != 0) rc = i2i_error_nomem(err, "listing S3");
    }
    free(kp);
    free_entries(e, n);
    return rc;
}

static int s3_list(void *state, const char *prefix, json_t *out, i2i_error *err)
{
    return list_into(state, prefix, 0, out, err);
}

static int s3_list_tree(void *state, const char *prefix, json_t *out, i2i_error *err)
{
    return list_into(state, prefix, 1, out, err);
}

/* ---------------------------------------------------------------- streaming writer */

struct storage_writer {
    s3_state *s;
    char *location;
    char *bucket;
    char *key;
    i2i_buf part;     /* bytes not yet sent, at most part_size */
    char *upload_id;  /* NULL until the first full part: small files go up as one PUT */
    i2i_buf complete; /* the CompleteMultipartUpload body's <Part> list so far */
    int nparts;
};

static void writer_free(storage_writer *w)
{
    if (!w) return;
    free(w->location);
    free(w->bucket);
    free(w->key);
    i2i_buf_free(&w->part);
    free(w->upload_id);
    i2i_buf_free(&w->complete);
    free(w);
}

static int s3_writer_open(void *state, const char *location, storage_writer **out, i2i_error *err)
{
    s3_state *s = state;
    storage_writer *w = calloc(1, sizeof *w);
    int rc;
    *out = NULL;
    if (!w) return i2i_error_nomem(err, "opening an S3 upload");
    w->s = s;
    rc = split_location(location, &w->bucket, &w->key, err);
    if (rc == I2I_OK && !*w->key)
        rc = i2i_error_set(err, I2I_ERR_INVALID, "S3 storage: '%s' names no object", location);
    /* The part buffer grows as data comes: a table writer keeps one writer per open partition,
     * and most files are far smaller than a part. */
    if (rc == I2I_OK && !(w->location = i2i_strdup(location)))
        rc = i2i_error_nomem(err, "opening an S3 upload");
    if (rc != I2I_OK) {
        writer_free(w);
        return rc;
    }
    *out = w;
    return I2I_OK;
}

/* One multipart request on the writer's object (query: uploads / uploadId / partNumber). */
static int upload_request(storage_writer *w, const char *method, const s3_sig_pair *q, size_t nq,
                          const void *body, size_t len, const char *content_type, const char *op,
                          const http_sink *sink, void (*on_header)(void *, const char *, size_t),
                          void *header_ctx, i2i_error *err)
{
    i2i_buf what = I2I_BUF_INIT;
    s3_call c;
    int rc;
    if (what_of(&what, op, w->location) != I2I_OK) return i2i_error_nomem(err, "uploading to S3");
    memset(&c, 0, sizeof c);
    c.method = method;
    c.bucket = w->bucket;
    c.key = w->key;
    c.query = q;
    c.nquery = nq;
    c.body = body;
    c.body_len = len;
    c.content_type = content_type;
    c.sink = sink;
    c.on_header = on_header;
    c.header_ctx = header_ctx;
    c.what = TXT(what);
    c.retry = 1;
    rc = s3_perform(w->s, &c, NULL, NULL, err);
    i2i_buf_free(&what);
    return rc;
}

static int start_upload(storage_writer *w, i2i_error *err)
{
    s3_sig_pair q[1] = {{"uploads", ""}};
    i2i_buf body = I2I_BUF_INIT, id = I2I_BUF_INIT;
    http_collect col;
    http_sink sink;
    size_t pos = 0;
    int rc;
    http_collect_sink(&col, &body, S3_XML_MAX, &sink);
    rc = upload_request(w, "POST", q, 1, NULL, 0, NULL, "start multipart upload of", &sink, NULL,
                        NULL, err);
    if (rc == I2I_OK) {
        int f = xml_next(body.data ? TXT(body) : "", body.len, &pos, "UploadId", &id);
        if (f < 0) rc = i2i_error_nomem(err, "starting an S3 upload");
        else if (f == 0 || id.len == 0)
            rc = i2i_error_set(err, I2I_ERR_FORMAT,
                               "S3 start multipart upload of '%s': no UploadId in the reply",
                               w->location);
        else w->upload_id = (char *)i2i_buf_detach(&id, NULL);
    }
    i2i_buf_free(&body);
    i2i_buf_free(&id);
    return rc;
}

/* The ETag header of the last reply (quotes kept: CompleteMultipartUpload wants it verbatim). */
static void etag_header(void *ctx, const char *line, size_t n)
{
    i2i_buf *etag = ctx;
    size_t i = 5;
    if (n <= i || strncasecmp(line, "etag:", 5) != 0) return;
    while (i < n && (line[i] == ' ' || line[i] == '\t')) i++;
    while (n > i && (line[n - 1] == '\r' || line[n - 1] == '\n' || line[n - 1] == ' ')) n--;
    i2i_buf_reset(etag);
    if (i2i_buf_append(etag, line + i, n - i) != I2I_OK) i2i_buf_reset(etag);
}

static int upload_part(storage_writer *w, i2i_error *err)
{
    char num[16];
    s3_sig_pair q[2];
    i2i_buf etag = I2I_BUF_INIT;
    int rc;
    if (w->nparts >= S3_MAX_PARTS)
        return i2i_error_set(err, I2I_ERR_RANGE,
                             "S3 upload of '%s': more than %d parts; raise "
                             "s3.multipart.part-size-bytes",
                             w->location, S3_MAX_PARTS);
    snprintf(num, sizeof num, "%d", w->nparts + 1);
    q[0] = (s3_sig_pair){"partNumber", num};
    q[1] = (s3_sig_pair){"uploadId", w->upload_id};
    rc = upload_request(w, "PUT", q, 2, w->part.data ? (const void *)w->part.data : "", w->part.len,
                        NULL, "upload part of", NULL, etag_header, &etag, err);
    if (rc == I2I_OK && (etag.len == 0 || !i2i_buf_cstr(&etag)))
        rc = i2i_error_set(err, I2I_ERR_FORMAT, "S3 upload part %s of '%s': no ETag in the reply",
                           num, w->location);
    if (rc == I2I_OK &&
        i2i_buf_printf(&w->complete, "<Part><PartNumber>%s</PartNumber><ETag>%s</ETag></Part>", num,
                       TXT(etag)) != I2I_OK)
        rc = i2i_error_nomem(err, "uploading to S3");
    if (rc == I2I_OK) {
        w->nparts++;
        i2i_buf_reset(&w->part);
    }
    i2i_buf_free(&etag);
    if (rc == I2I_OK) rc = i2i_fault_at(w->s->self->fault, "s3.multipart.part", err);
    return rc;
}

/* Best effort: a failed abort leaves parts that a bucket lifecycle rule must clean up. */
static void abort_upload(storage_writer *w)
{
    s3_sig_pair q[1];
    i2i_error e;
    if (!w->upload_id) return;
    memset(&e, 0, sizeof e);
    q[0] = (s3_sig_pair){"uploadId", w->upload_id};
    if (upload_request(w, "DELETE", q, 1, NULL, 0, NULL, "abort multipart upload of", NULL, NULL,
                       NULL, &e) != I2I_OK)
        I2I_WARN("%s (the upload's parts stay until a lifecycle rule removes them)", e.msg);
    free(w->upload_id);
    w->upload_id = NULL;
}

static int s3_writer_write(storage_writer *w, const void *data, size_t len, i2i_error *err)
{
    const uint8_t *p = data;
    while (len > 0) {
        size_t room = w->s->part_size - w->part.len;
        size_t take = len < room ? len : room;
        if (i2i_buf_append(&w->part, p, take) != I2I_OK)
            return i2i_error_nomem(err, "buffering an S3 upload part");
        p += take;
        len -= take;
        if (w->part.len == w->s->part_size) {
            if (!w->upload_id) I2I_TRY(start_upload(w, err));
            I2I_TRY(upload_part(w, err));
        }
    }
    return I2I_OK;
}

static int complete_upload(storage_writer *w, i2i_error *err)
{
    s3_sig_pair q[1] = {{"uploadId", w->upload_id}};
    i2i_buf xml = I2I_BUF_INIT, reply = I2I_BUF_INIT, code = I2I_BUF_INIT;
    http_collect col;
    http_sink sink;
    size_t pos = 0;
    int rc = i2i_fault_at(w->s->self->fault, "s3.multipart.complete", err);
    if (rc < 0) return rc;
    if (i2i_buf_printf(&xml, "<CompleteMultipartUpload>%.*s</CompleteMultipartUpload>",
                       (int)w->complete.len, w->complete.data ? TXT(w->complete) : "") !=
        I2I_OK)
        return i2i_error_nomem(err, "completing an S3 upload");
    http_collect_sink(&col, &reply, S3_XML_MAX, &sink);
    rc = upload_request(w, "POST", q, 1, xml.data, xml.len, "application/xml",
                        "complete multipart upload of", &sink, NULL, NULL, err);
    /* S3 may answer 200 and still report a failure in the body. */
    if (rc == I2I_OK && reply.len && xml_next((char *)TXT(reply), reply.len, &pos, "Code", &code) > 0)
        rc = i2i_error_set(err, I2I_ERR_TRANSIENT, "S3 complete multipart upload of '%s': %s",
                           w->location, TXT(code));
    i2i_buf_free(&xml);
    i2i_buf_free(&reply);
    i2i_buf_free(&code);
    return rc;
}

static int s3_writer_commit(storage_writer *w, i2i_error *err)
{
    int rc;
    if (!w->upload_id) {
        rc = put_object(w->s, w->location, w->part.data, w->part.len, 0, err);
    } else {
        /* the last part may be small, but not empty */
        rc = w->part.len > 0 ? upload_part(w, err) : I2I_OK;
        if (rc == I2I_OK) rc = complete_upload(w, err);
        if (rc != I2I_OK) abort_upload(w);
    }
    writer_free(w);
    return rc;
}

static void s3_writer_abort(storage_writer *w)
{
    if (!w) return;
    abort_upload(w);
    writer_free(w);
}

static void s3_set_cancel(void *state, const volatile int *cancel)
{
    s3_state *s = state;
    pthread_mutex_lock(&s->http_mu); /* no request runs while it changes */
    http_client_set_cancel(s->http, cancel);
    pthread_mutex_unlock(&s->http_mu);
}

static const storage_ops s3_ops = {
    .name = "s3",
    .put = s3_put,
    .put_if_absent = s3_put_if_absent,
    .get = s3_get,
    .exists = s3_exists,
    .remove = s3_remove,
    .size = s3_size,
    .writer_open = s3_writer_open,
    .writer_write = s3_writer_write,
    .writer_commit = s3_writer_commit,
    .writer_abort = s3_writer_abort,
    .list = s3_list,
    .list_tree = s3_list_tree,
    .close = s3_close,
    .set_cancel = s3_set_cancel,
};
