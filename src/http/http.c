/* The HTTP client: libcurl setup (timeouts, TLS, cancel), one attempt and its classification, and
 * the retry loop. Server messages, redaction and escaping live in http_text.c. */
#include "http.h"

#include <curl/curl.h>
#include <pthread.h>
#include <stdlib.h>
#include <strings.h>

#include "http_internal.h"

#define ERRBODY_MAX ((size_t)64 << 10) /* non-2xx bodies kept for the message */

struct http_client {
    CURL *curl;
    http_config cfg; /* numeric settings; string pointers below are our copies */
    char *service;
    char *ca_file;
    char curl_errbuf[CURL_ERROR_SIZE];
};

struct http_headers {
    struct curl_slist *list;
};

/* ---------------------------------------------------------------- client */

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_rc;
static void curl_init_once(void) { curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT); }

void http_config_defaults(http_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->connect_timeout_ms = 10000;
    cfg->request_timeout_ms = 3600000;
    cfg->low_speed_time_s = 300;
    cfg->low_speed_bytes = 1;
    cfg->retry.max_retries = 4;
    cfg->retry.base_wait_ms = 500;
    cfg->retry.max_wait_ms = 30000;
}

int http_client_open(const http_config *cfg, http_client **out, i2i_error *err)
{
    http_client *c;
    *out = NULL;
    if (!cfg) return i2i_error_set(err, I2I_ERR_INVALID, "http_client_open: NULL config");
    if (cfg->connect_timeout_ms < 0 || cfg->request_timeout_ms < 0 || cfg->low_speed_time_s < 0 ||
        cfg->low_speed_bytes < 0 || cfg->retry.max_retries < 0 || cfg->retry.base_wait_ms < 0 ||
        cfg->retry.max_wait_ms < 0)
        return i2i_error_set(err, I2I_ERR_INVALID, "%s: negative timeout/retry setting",
                             cfg->service ? cfg->service : "HTTP client");
    pthread_once(&curl_once, curl_init_once);
    if (curl_init_rc != CURLE_OK)
        return i2i_error_set(err, I2I_ERR_INTERNAL, "curl_global_init failed: %s",
                             curl_easy_strerror(curl_init_rc));
    c = calloc(1, sizeof *c);
    if (!c) return i2i_error_nomem(err, "opening an HTTP client");
    c->cfg = *cfg;
    c->cfg.service = c->cfg.ca_file = NULL;
    c->service = i2i_strdup(cfg->service ? cfg->service : "the server");
    c->ca_file = cfg->ca_file ? i2i_strdup(cfg->ca_file) : NULL;
    c->curl = curl_easy_init();
    if (!c->service || (cfg->ca_file && !c->ca_file) || !c->curl) {
        http_client_close(c);
        return i2i_error_nomem(err, "opening an HTTP client");
    }
    *out = c;
    return I2I_OK;
}

void http_client_set_cancel(http_client *c, const volatile int *cancel)
{
    if (c) c->cfg.retry.cancel = cancel;
}

void http_client_close(http_client *c)
{
    if (!c) return;
    if (c->curl) curl_easy_cleanup(c->curl);
    free(c->service);
    free(c->ca_file);
    free(c);
}

/* ---------------------------------------------------------------- headers */

int http_headers_add(http_headers **h, const char *name, const char *value, int secret,
                     i2i_error *err)
{
    i2i_buf line = I2I_BUF_INIT;
    struct curl_slist *l;
    int rc = I2I_OK;
    if (!h || !name || !*name || !value)
        return i2i_error_set(err, I2I_ERR_INVALID, "http_headers_add: NULL argument");
    if (secret) i2i_log_add_secret(value);
    if (!*h && !(*h = calloc(1, sizeof **h))) return i2i_error_nomem(err, "building request headers");
    /* "Name:" with nothing after it makes libcurl drop a header it would add itself. */
    if (i2i_buf_printf(&line, *value ? "%s: %s" : "%s:", name, value) != I2I_OK ||
        !(l = curl_slist_append((*h)->list, i2i_buf_cstr(&line))))
        rc = i2i_error_nomem(err, "building request headers");
    else
        (*h)->list = l;
    if (secret && line.data) memset(line.data, 0, line.len);
    i2i_buf_free(&line);
    return rc;
}

void http_headers_free(http_headers *h)
{
    if (!h) return;
    curl_slist_free_all(h->list);
    free(h);
}

/* ---------------------------------------------------------------- one attempt */

typedef struct call {
    const http_request *req;
    CURL *h;
    long status;
    int status_known;
    int sink_rc; /* < 0 when the sink stopped the transfer */
    i2i_error sink_err;
    i2i_buf errbody; /* non-2xx body, capped at ERRBODY_MAX */
    size_t errbody_total;
    const volatile int *cancel;
} call;

typedef struct attempt {
    int rc;                 /* i2i_status */
    int final;              /* a failure no retry may repeat (the sink stopped, cancelled) */
    int64_t retry_after_ms; /* the server's Retry-After */
} attempt;

static size_t body_cb(char *data, size_t size, size_t nmemb, void *userp)
{
    call *c = userp;
    const http_sink *sink = c->req->sink;
    size_t n = size * nmemb;
    if (!c->status_known) {
        /* The headers are complete once the first body byte arrives. */
        curl_easy_getinfo(c->h, CURLINFO_RESPONSE_CODE, &c->status);
        c->status_known = 1;
    }
    if (c->status >= 200 && c->status < 300) {
        if (sink && sink->data) {
            int rc = sink->data(sink->ctx, data, n, &c->sink_err);
            if (rc < 0) {
                c->sink_rc = rc;
                return 0; /* abort the transfer (CURLE_WRITE_ERROR) */
            }
        }
        return n;
    }
    c->errbody_total += n;
    if (c->errbody.len < ERRBODY_MAX) {
        size_t take = n < ERRBODY_MAX - c->errbody.len ? n : ERRBODY_MAX - c->errbody.len;
        (void)i2i_buf_append(&c->errbody, data, take); /* best effort: only for the message */
    }
    return n;
}

static size_t header_cb(char *data, size_t size, size_t nmemb, void *userp)
{
    const call *c = userp;
    c->req->on_header(c->req->header_ctx, data, size * nmemb);
    return size * nmemb;
}

static int progress_cb(void *userp, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
                       curl_off_t ulnow)
{
    const call *c = userp;
    (void)dltotal;
    (void)dlnow;
    (void)ultotal;
    (void)ulnow;
    return i2i_cancel_raised(c->cancel) ? 1 : 0; /* non-zero aborts: CURLE_ABORTED_BY_CALLBACK */
}

static void set_options(http_client *cl, call *c)
{
    const http_request *r = c->req;
    CURL *h = cl->curl;
    const char *method = r->method ? r->method : (r->body ? "POST" : "GET");

    curl_easy_reset(h); /* keeps the connection cache */
    curl_easy_setopt(h, CURLOPT_URL, r->url);
#if LIBCURL_VERSION_NUM >= 0x075500
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
#endif
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
    if (strcmp(method, "HEAD") == 0) {
        curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
    } else if (r->body || strcmp(method, "POST") == 0) {
        /* A body goes out as POST fields; another method (PUT) only renames the request. */
        curl_easy_setopt(h, CURLOPT_POST, 1L);
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, r->body ? (const char *)r->body : "");
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)r->body_len);
        if (strcmp(method, "POST") != 0) curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
    } else if (strcmp(method, "GET") != 0) {
        curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method); /* DELETE */
    }
    if (r->headers) curl_easy_setopt(h, CURLOPT_HTTPHEADER, r->headers->list);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, body_cb);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, c);
    if (r->on_header) {
        curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, header_cb);
        curl_easy_setopt(h, CURLOPT_HEADERDATA, c);
    }
    if (c->cancel) {
        curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, progress_cb);
        curl_easy_setopt(h, CURLOPT_XFERINFODATA, c);
        curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
    }
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, cl->curl_errbuf);
    curl_easy_setopt(h, CURLOPT_BUFFERSIZE, 256L * 1024);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, cl->cfg.connect_timeout_ms);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, cl->cfg.request_timeout_ms);
    if (cl->cfg.low_speed_time_s > 0) {
        curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, cl->cfg.low_speed_time_s);
        curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT,
                         cl->cfg.low_speed_bytes > 0 ? cl->cfg.low_speed_bytes : 1L);
    }
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, cl->cfg.insecure ? 0L : 1L);
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, cl->cfg.insecure ? 0L : 2L);
    if (cl->ca_file) curl_easy_setopt(h, CURLOPT_CAINFO, cl->ca_file);
    curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(h, CURLOPT_USERAGENT, "influx2iceberg");
}

/* Transport errors a retry cannot fix: configuration, TLS trust, local resources. */
static int curl_transient(CURLcode cc)
{
    switch (cc) {
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_URL_MALFORMAT:
    case CURLE_NOT_BUILT_IN:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_ENGINE_NOTFOUND:
    case CURLE_SSL_ENGINE_SETFAILED:
    case CURLE_SSL_CRL_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_OUT_OF_MEMORY:
    case CURLE_FILESIZE_EXCEEDED:
    case CURLE_TOO_MANY_REDIRECTS:
    case CURLE_BAD_FUNCTION_ARGUMENT:
    case CURLE_LOGIN_DENIED:
        return 0;
    default: return 1;
    }
}

/* A non-2xx status: the caller's hook first, then the default classes. */
static int classify_status(const http_request *r, const call *c, const char *url, i2i_error *err)
{
    char msg[HTTP_SERVER_MSG_MAX + 64];
    http_reply reply;
    int rc;
    http_server_message(&c->errbody, c->errbody_total, msg, sizeof msg);
    reply.status = c->status;
    reply.message = msg;
    reply.url = url;
    if (r->classify) {
        rc = r->classify(r->classify_ctx, &reply, r->what, err);
        if (rc < 0) return rc;
    }
    if (c->status == 401 || c->status == 403)
        return i2i_error_set(err, I2I_ERR_AUTH, "%s: HTTP %ld: %s; check the credentials", r->what,
                             c->status, msg);
    if (c->status >= 500 || c->status == 408 || c->status == 429)
        return i2i_error_set(err, I2I_ERR_TRANSIENT, "%s: HTTP %ld: %s", r->what, c->status, msg);
    return i2i_error_set(err, c->status == 404 ? I2I_ERR_NOT_FOUND : I2I_ERR_HTTP, "%s: HTTP %ld: %s",
                         r->what, c->status, msg);
}

static attempt attempt_once(http_client *cl, const http_request *r, long *status, i2i_error *err)
{
    attempt a = {I2I_OK, 0, 0};
    call c;
    CURLcode cc;
    i2i_buf url = I2I_BUF_INIT;

    memset(&c, 0, sizeof c);
    c.req = r;
    c.h = cl->curl;
    c.cancel = cl->cfg.retry.cancel;
    cl->curl_errbuf[0] = '\0';
    set_options(cl, &c);
    cc = curl_easy_perform(cl->curl);
    if (!c.status_known) curl_easy_getinfo(cl->curl, CURLINFO_RESPONSE_CODE, &c.status);
    *status = c.status;
#if LIBCURL_VERSION_NUM >= 0x074200
    {
        curl_off_t ra = 0;
        if (curl_easy_getinfo(cl->curl, CURLINFO_RETRY_AFTER, &ra) == CURLE_OK && ra > 0)
            a.retry_after_ms = (int64_t)ra * 1000;
    }
#endif
    if (http_redact_url(r->url, &url) != I2I_OK || !i2i_buf_cstr(&url)) {
        i2i_buf_free(&url);
        i2i_buf_free(&c.errbody);
        a.rc = i2i_error_nomem(err, "reporting an HTTP failure");
        a.final = 1;
        return a;
    }

    if (c.sink_rc < 0) {
        /* The caller's sink stopped the transfer: its error, not a network one. */
        if (err) *err = c.sink_err;
        i2i_error_wrap(err, "%s", r->what);
        a.rc = c.sink_rc;
        a.final = 1;
    } else if (cc == CURLE_ABORTED_BY_CALLBACK && i2i_cancel_raised(c.cancel)) {
        a.rc = i2i_error_set(err, I2I_ERR_CANCELLED, "%s: stopped on request", r->what);
        a.final = 1;
    } else if (cc != CURLE_OK && c.status < 300) {
        const char *detail = cl->curl_errbuf[0] ? cl->curl_errbuf : curl_easy_strerror(cc);
        a.rc = curl_transient(cc) ? I2I_ERR_TRANSIENT : I2I_ERR_IO;
        if (c.status >= 200)
            i2i_error_set(err, a.rc, "%s: response cut off (truncated body): %s", r->what, detail);
        else
            i2i_error_set(err, a.rc, "%s: cannot get a response from %s at %s: %s", r->what,
                          cl->service, i2i_buf_cstr(&url), detail);
    } else if (c.status >= 200 && c.status < 300) {
        /* cc == OK: was the body complete? */
        if (r->sink && r->sink->end && r->sink->end(r->sink->ctx, err) < 0) {
            i2i_error_wrap(err, "%s", r->what);
            a.rc = I2I_ERR_TRANSIENT; /* a stream cut at a chunk boundary: worth another try */
            if (err) err->code = a.rc;
        }
    } else {
        /* An error status (its body possibly cut: the status decides). */
        a.rc = classify_status(r, &c, i2i_buf_cstr(&url), err);
    }
    i2i_buf_free(&url);
    i2i_buf_free(&c.errbody);
    return a;
}

/* ---------------------------------------------------------------- retries */

int http_perform(http_client *cl, const http_request *r, long *status, http_stats *stats,
                 i2i_error *err)
{
    const http_sink *sink = r ? r->sink : NULL;
    long st = 0;
    int n;
    if (status) *status = 0;
    if (!cl || !r || !r->url || !r->what)
        return i2i_error_set(err, I2I_ERR_INVALID, "http_perform: client, url and what are required");
    for (n = 0;; n++) {
        attempt a;
        if (sink && sink->mark) sink->mark(sink->ctx);
        if (stats) stats->requests++;
        a = attempt_once(cl, r, &st, err);
        if (status) *status = st;
        if (a.rc == I2I_OK) return I2I_OK;
        if (a.final || !r->retry || !i2i_status_retryable(a.rc)) return a.rc;
        if (sink && sink->rollback && sink->rollback(sink->ctx) != 0)
            return i2i_error_wrap(err, "part of the response was already delivered, so the request "
                                       "cannot be retried; redo the whole operation");
        if (n >= cl->cfg.retry.max_retries) {
            if (n > 0) i2i_error_wrap(err, "giving up after %d attempts", n + 1);
            return a.rc;
        }
        I2I_WARN("%s: %s; retrying (%d of %d)", cl->service, err ? err->msg : r->what, n + 1,
                 cl->cfg.retry.max_retries);
        if (stats) stats->retries++;
        I2I_TRY(i2i_retry_wait(&cl->cfg.retry, n, a.retry_after_ms, err));
    }
}
