/* InfluxDB 3 source: HTTP client (timeouts, TLS, retries), SQL quoting, schema discovery, and the
 * streaming range query with file-limit splitting. The JSONL parser lives in jsonl.c. */
#include "source.h"

#include <curl/curl.h>
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>
#include <time.h>

#include "jsonl.h"

#define ERRBODY_MAX ((size_t)64 << 10)    /* error bodies kept for the message */
#define RAW_BODY_MAX ((size_t)64 << 20)   /* source_query_raw / schema responses */
#define SERVER_MSG_MAX 400                /* bytes of the server's message quoted in errors */

struct source {
    char *base;     /* URL without trailing '/' */
    char *database;
    char *query_url;
    int has_token;
    struct curl_slist *json_headers;
    struct curl_slist *lp_headers;
    CURL *curl;
    source_config cfg; /* numeric settings; string pointers are NOT used after open */
    char *ca_file;
    uint64_t rng;
    char curl_errbuf[CURL_ERROR_SIZE];
};

/* ---------------------------------------------------------------- curl setup */

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_rc;
static void curl_init_once(void) { curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT); }

void source_config_defaults(source_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->connect_timeout_ms = 10000;
    cfg->query_timeout_ms = 3600000;
    cfg->low_speed_time_s = 300;
    cfg->low_speed_bytes = 1;
    cfg->max_retries = 4;
    cfg->retry_base_ms = 500;
    cfg->retry_max_ms = 30000;
    cfg->min_split_ns = 60 * I2I_NS_PER_S;
}

int source_open(const source_config *cfg, source **out, i2i_error *err)
{
    source *s;
    size_t n;
    i2i_buf auth = I2I_BUF_INIT;
    struct curl_slist *h;

    *out = NULL;
    if (!cfg || !cfg->url || !*cfg->url)
        return i2i_error_set(err, I2I_ERR_INVALID, "InfluxDB URL is required (e.g. http://localhost:8181)");
    if (strncasecmp(cfg->url, "http://", 7) != 0 && strncasecmp(cfg->url, "https://", 8) != 0)
        return i2i_error_set(err, I2I_ERR_INVALID, "InfluxDB URL '%s' must start with http:// or https://",
                             cfg->url);
    if (strpbrk(cfg->url, " \t\r\n?#"))
        return i2i_error_set(err, I2I_ERR_INVALID,
                             "InfluxDB URL '%s' must be a base URL without spaces, query or fragment",
                             cfg->url);
    if (!cfg->database || !*cfg->database)
        return i2i_error_set(err, I2I_ERR_INVALID, "InfluxDB database is required");
    if (!i2i_utf8_valid(cfg->database, strlen(cfg->database)))
        return i2i_error_set(err, I2I_ERR_INVALID, "InfluxDB database name is not valid UTF-8");
    if (cfg->token && *cfg->token) {
        const char *t;
        i2i_log_add_secret(cfg->token);
        for (t = cfg->token; *t; t++) {
            if ((unsigned char)*t <= 0x20 || (unsigned char)*t == 0x7f) {
                /* Never echo the token; say what is wrong with it. */
                return i2i_error_set(err, I2I_ERR_INVALID,
                                     "the InfluxDB token contains whitespace or a control character "
                                     "(check the token file for a stray newline or space)");
            }
        }
    }
    if (cfg->min_split_ns < 0 || cfg->max_retries < 0 || cfg->retry_base_ms < 0 || cfg->retry_max_ms < 0 ||
        cfg->connect_timeout_ms < 0 || cfg->query_timeout_ms < 0 || cfg->low_speed_time_s < 0 ||
        cfg->low_speed_bytes < 0)
        return i2i_error_set(err, I2I_ERR_INVALID, "InfluxDB source: negative timeout/retry setting");

    pthread_once(&curl_once, curl_init_once);
    if (curl_init_rc != CURLE_OK)
        return i2i_error_set(err, I2I_ERR_INTERNAL, "curl_global_init failed: %s", curl_easy_strerror(curl_init_rc));

    s = calloc(1, sizeof *s);
    if (!s) return i2i_error_nomem(err, "opening the InfluxDB source");
    s->cfg = *cfg;
    s->cfg.url = s->cfg.database = s->cfg.token = s->cfg.ca_file = NULL;
    n = strlen(cfg->url);
    while (n > 0 && cfg->url[n - 1] == '/') n--;
    s->base = i2i_strndup(cfg->url, n);
    s->database = i2i_strdup(cfg->database);
    s->ca_file = cfg->ca_file ? i2i_strdup(cfg->ca_file) : NULL;
    s->curl = curl_easy_init();
    if (!s->base || !s->database || (cfg->ca_file && !s->ca_file) || !s->curl) goto nomem;
    {
        i2i_buf u = I2I_BUF_INIT;
        if (i2i_buf_printf(&u, "%s/api/v3/query_sql", s->base) != I2I_OK) goto nomem;
        s->query_url = i2i_buf_cstr(&u);
    }
    /* Header lists: the Authorization line holds the token; it is freed with the list. */
    s->has_token = cfg->token && *cfg->token;
    if (s->has_token) {
        if (i2i_buf_printf(&auth, "Authorization: Bearer %s", cfg->token) != I2I_OK) goto nomem;
        h = curl_slist_append(NULL, i2i_buf_cstr(&auth));
        if (!h) goto nomem;
        s->json_headers = h;
        h = curl_slist_append(NULL, i2i_buf_cstr(&auth));
        if (!h) goto nomem;
        s->lp_headers = h;
        memset(auth.data, 0, auth.len);
    }
    if (!(h = curl_slist_append(s->json_headers, "Content-Type: application/json"))) goto nomem;
    s->json_headers = h;
    if (!(h = curl_slist_append(s->json_headers, "Expect:"))) goto nomem;
    s->json_headers = h;
    if (!(h = curl_slist_append(s->lp_headers, "Content-Type: text/plain; charset=utf-8"))) goto nomem;
    s->lp_headers = h;
    if (!(h = curl_slist_append(s->lp_headers, "Expect:"))) goto nomem;
    s->lp_headers = h;
    i2i_buf_free(&auth);
    if (i2i_random_bytes(&s->rng, sizeof s->rng, NULL) != I2I_OK || s->rng == 0)
        s->rng = (uint64_t)i2i_monotonic_ns() | 1;
    *out = s;
    return I2I_OK;
nomem:
    if (auth.data) memset(auth.data, 0, auth.len);
    i2i_buf_free(&auth);
    source_close(s);
    return i2i_error_nomem(err, "opening the InfluxDB source");
}

void source_close(source *s)
{
    if (!s) return;
    if (s->curl) curl_easy_cleanup(s->curl);
    curl_slist_free_all(s->json_headers);
    curl_slist_free_all(s->lp_headers);
    free(s->base);
    free(s->database);
    free(s->query_url);
    free(s->ca_file);
    free(s);
}

/* ---------------------------------------------------------------- SQL text */

/* Identifiers ("x") and string literals ('x') quote alike in SQL: a quote inside is doubled. */
static int put_quoted(i2i_buf *out, const char *s, size_t n, char q)
{
    size_t i;
    if (i2i_buf_reserve(out, n * 2 + 2) != I2I_OK) return I2I_ERR_NOMEM;
    i2i_buf_put_u8_unchecked(out, (uint8_t)q);
    for (i = 0; i < n; i++) {
        if (s[i] == q) i2i_buf_put_u8_unchecked(out, (uint8_t)q);
        i2i_buf_put_u8_unchecked(out, (uint8_t)s[i]);
    }
    i2i_buf_put_u8_unchecked(out, (uint8_t)q);
    return I2I_OK;
}

int source_quote_ident(i2i_buf *out, const char *name, size_t n, i2i_error *err)
{
    if (!name || n == 0) return i2i_error_set(err, I2I_ERR_INVALID, "empty SQL identifier");
    if (memchr(name, '\0', n)) return i2i_error_set(err, I2I_ERR_INVALID, "SQL identifier contains a NUL byte");
    if (!i2i_utf8_valid(name, n)) return i2i_error_set(err, I2I_ERR_INVALID, "SQL identifier is not valid UTF-8");
    if (put_quoted(out, name, n, '"') != I2I_OK) return i2i_error_nomem(err, "quoting an identifier");
    return I2I_OK;
}

int source_quote_literal(i2i_buf *out, const char *text, size_t n, i2i_error *err)
{
    if (!text && n) return i2i_error_set(err, I2I_ERR_INVALID, "NULL SQL literal");
    if (n && memchr(text, '\0', n)) return i2i_error_set(err, I2I_ERR_INVALID, "SQL string literal contains a NUL byte");
    if (n && !i2i_utf8_valid(text, n)) return i2i_error_set(err, I2I_ERR_INVALID, "SQL string literal is not valid UTF-8");
    if (put_quoted(out, text, n, '\'') != I2I_OK) return i2i_error_nomem(err, "quoting a literal");
    return I2I_OK;
}

/* RFC 3339 with 9 fraction digits and 'Z', like i2i_time_format_rfc3339, but valid over the whole
 * int64 range (i2i_floor_mod overflows within a second of INT64_MIN). */
static void format_time(int64_t ns, char *out, size_t outsz)
{
    int64_t secs = ns / I2I_NS_PER_S, frac = ns % I2I_NS_PER_S, days, sod, y;
    unsigned m, d;
    if (frac < 0) {
        frac += I2I_NS_PER_S;
        secs -= 1;
    }
    days = i2i_floor_div(secs, 86400);
    sod = secs - days * 86400;
    i2i_civil_from_days(days, &y, &m, &d);
    snprintf(out, outsz, "%04lld-%02u-%02uT%02d:%02d:%02d.%09lldZ", (long long)y, m, d, (int)(sod / 3600),
             (int)(sod / 60 % 60), (int)(sod % 60), (long long)frac);
}

int source_time_literal(i2i_buf *out, int64_t ns, i2i_error *err)
{
    char ts[48];
    format_time(ns, ts, sizeof ts);
    if (i2i_buf_printf(out, "'%s'", ts) != I2I_OK) return i2i_error_nomem(err, "formatting a time literal");
    return I2I_OK;
}

/* Append s as the inside of a JSON string. */
static int json_escape_into(i2i_buf *b, const char *s, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        int rc;
        if (c == '"') rc = i2i_buf_append(b, "\\\"", 2);
        else if (c == '\\') rc = i2i_buf_append(b, "\\\\", 2);
        else if (c == '\n') rc = i2i_buf_append(b, "\\n", 2);
        else if (c == '\r') rc = i2i_buf_append(b, "\\r", 2);
        else if (c == '\t') rc = i2i_buf_append(b, "\\t", 2);
        else if (c < 0x20) rc = i2i_buf_printf(b, "\\u%04x", c);
        else rc = i2i_buf_put_u8(b, c);
        if (rc != I2I_OK) return rc;
    }
    return I2I_OK;
}

/* ---------------------------------------------------------------- HTTP */

typedef int (*sink_fn)(void *ctx, const char *data, size_t n, i2i_error *err);
typedef int (*end_fn)(void *ctx, i2i_error *err);

typedef struct http_call {
    /* in */
    const char *url;
    const char *body;
    size_t body_len;
    struct curl_slist *headers;
    sink_fn sink; /* receives a 2xx body as it arrives */
    end_fn end;   /* called after a complete 2xx body (detects a missing final newline) */
    void *ctx;
    /* out */
    CURL *h;
    long status;
    int status_known;
    int sink_rc; /* < 0 when the sink stopped the transfer */
    i2i_error sink_err;
    i2i_buf errbody; /* non-2xx body, capped at ERRBODY_MAX */
    size_t errbody_total;
} http_call;

static size_t body_cb(char *data, size_t size, size_t nmemb, void *userp)
{
    http_call *c = userp;
    size_t n = size * nmemb;
    if (!c->status_known) {
        /* The headers are complete once the first body byte arrives. */
        curl_easy_getinfo(c->h, CURLINFO_RESPONSE_CODE, &c->status);
        c->status_known = 1;
    }
    if (c->status >= 200 && c->status < 300) {
        if (c->sink) {
            int rc = c->sink(c->ctx, data, n, &c->sink_err);
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

/* Classification of one attempt. */
enum { OUT_OK = 0, OUT_TRANSIENT, OUT_FATAL, OUT_FILE_LIMIT };

typedef struct attempt {
    int outcome;
    int rc; /* i2i_status when not OUT_OK */
    long retry_after_s;
} attempt;

/* The server's message: the "error" (plus "data") of a JSON body, or "message" (v2 style), else
 * the text; control characters replaced, cut to SERVER_MSG_MAX bytes at a UTF-8 boundary. */
static void server_message(const http_call *c, char *out, size_t outsz)
{
    const char *text = c->errbody.data ? (const char *)c->errbody.data : "";
    size_t n = c->errbody.len, o = 0, i, total = c->errbody_total;
    json_t *j = NULL;
    char *owned = NULL;
    if (n > 0 && text[0] == '{') {
        j = json_loadb(text, n, 0, NULL);
        if (j && json_is_string(json_object_get(j, "error"))) {
            json_t *data = json_object_get(j, "data");
            const char *e = json_string_value(json_object_get(j, "error"));
            if (data) {
                char *d = json_dumps(data, JSON_COMPACT);
                i2i_buf tmp = I2I_BUF_INIT;
                if (d && i2i_buf_printf(&tmp, "%s: %s", e, d) == I2I_OK) owned = i2i_buf_cstr(&tmp);
                else i2i_buf_free(&tmp);
                free(d);
            } else {
                owned = i2i_strdup(e);
            }
        } else if (j && json_is_string(json_object_get(j, "message"))) {
            owned = i2i_strdup(json_string_value(json_object_get(j, "message")));
        }
        if (owned) {
            text = owned;
            n = strlen(owned);
            total = n;
        }
    }
    while (n > 0 && (text[n - 1] == '\n' || text[n - 1] == '\r' || text[n - 1] == ' ')) n--;
    for (i = 0; i < n && o + 1 < outsz && o < SERVER_MSG_MAX; i++) {
        unsigned char ch = (unsigned char)text[i];
        out[o++] = (ch < 0x20 || ch == 0x7f) ? ' ' : (char)ch;
    }
    if (i < n || (!owned && c->errbody_total > c->errbody.len)) {
        /* Cut: back off to a UTF-8 boundary and say how long the whole thing was. */
        while (o > 0 && ((unsigned char)out[o - 1] & 0xC0) == 0x80) o--;
        if (o > 0 && (unsigned char)out[o - 1] >= 0xC0) o--;
        if (o + 40 < outsz) {
            int k = snprintf(out + o, outsz - o, "... (%zu bytes)", !owned && total > n ? total : n);
            if (k > 0) o += (size_t)k;
        }
    }
    if (o >= outsz) o = outsz - 1;
    out[o] = '\0';
    if (o == 0) snprintf(out, outsz, "(empty body)");
    free(owned);
    json_decref(j);
}

static int contains_ci(const char *hay, const char *needle)
{
    size_t nl = strlen(needle);
    for (; *hay; hay++) {
        if (strncasecmp(hay, needle, nl) == 0) return 1;
    }
    return 0;
}

/* "Query would scan N Parquet files, exceeding the file limit. ..." */
static int is_file_limit(const char *msg)
{
    return contains_ci(msg, "file limit") || (contains_ci(msg, "parquet files") && contains_ci(msg, "exceed"));
}

/* SQL/plan errors: 400 in 3.10, 500 in <= 3.9; never worth a retry. */
static int is_plan_error(const char *msg)
{
    return contains_ci(msg, "error while planning") || contains_ci(msg, "Error during planning") ||
           contains_ci(msg, "SQL error") || contains_ci(msg, "Schema error") ||
           contains_ci(msg, "ParserError") || contains_ci(msg, "No field named") ||
           contains_ci(msg, "invalid mime type");
}

static int is_table_not_found(const char *msg)
{
    return contains_ci(msg, "table '") && contains_ci(msg, "not found");
}

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

/* One HTTP attempt. `what` names the operation for messages ("query of 'cpu' [a, b)"). */
static attempt http_attempt(source *s, http_call *c, const char *what, i2i_error *err)
{
    attempt a = {OUT_OK, I2I_OK, 0};
    CURL *h = s->curl;
    CURLcode cc;
    char msg[SERVER_MSG_MAX + 64];

    c->h = h;
    c->status = 0;
    c->status_known = 0;
    c->sink_rc = 0;
    i2i_error_clear(&c->sink_err);
    i2i_buf_reset(&c->errbody);
    c->errbody_total = 0;
    s->curl_errbuf[0] = '\0';

    curl_easy_reset(h); /* keeps the connection cache */
    curl_easy_setopt(h, CURLOPT_URL, c->url);
#if LIBCURL_VERSION_NUM >= 0x075500
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
#endif
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
    curl_easy_setopt(h, CURLOPT_POST, 1L);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, c->body);
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)c->body_len);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, c->headers);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, body_cb);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, c);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, s->curl_errbuf);
    curl_easy_setopt(h, CURLOPT_BUFFERSIZE, 256L * 1024);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, s->cfg.connect_timeout_ms);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, s->cfg.query_timeout_ms);
    if (s->cfg.low_speed_time_s > 0) {
        curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, s->cfg.low_speed_time_s);
        curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, s->cfg.low_speed_bytes > 0 ? s->cfg.low_speed_bytes : 1L);
    }
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, s->cfg.insecure ? 0L : 1L);
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, s->cfg.insecure ? 0L : 2L);
    if (s->ca_file) curl_easy_setopt(h, CURLOPT_CAINFO, s->ca_file);
    curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(h, CURLOPT_USERAGENT, "influx2iceberg");

    cc = curl_easy_perform(h);
    if (!c->status_known) curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &c->status);
#if LIBCURL_VERSION_NUM >= 0x074200
    {
        curl_off_t ra = 0;
        if (curl_easy_getinfo(h, CURLINFO_RETRY_AFTER, &ra) == CURLE_OK && ra > 0) a.retry_after_s = (long)ra;
    }
#endif

    if (c->sink_rc < 0) {
        /* Our parser or the batch consumer stopped the transfer: their error, not a network one. */
        if (err) *err = c->sink_err;
        i2i_error_wrap(err, "%s", what);
        a.outcome = OUT_FATAL;
        a.rc = c->sink_rc;
        return a;
    }
    if (cc != CURLE_OK) {
        const char *detail = s->curl_errbuf[0] ? s->curl_errbuf : curl_easy_strerror(cc);
        if (c->status >= 300) goto classify_status; /* error status, body cut: use the status */
        a.outcome = curl_transient(cc) ? OUT_TRANSIENT : OUT_FATAL;
        a.rc = a.outcome == OUT_TRANSIENT ? I2I_ERR_TRANSIENT : I2I_ERR_IO;
        if (c->status >= 200) {
            i2i_error_set(err, a.rc, "%s: response cut off (truncated body): %s", what, detail);
        } else {
            i2i_error_set(err, a.rc, "%s: cannot get a response from InfluxDB at %s: %s", what, s->base,
                          detail);
        }
        return a;
    }
    if (c->status >= 200 && c->status < 300) {
        if (c->end && c->end(c->ctx, err) < 0) {
            i2i_error_wrap(err, "%s", what);
            a.outcome = OUT_TRANSIENT; /* a stream cut at a chunk boundary: worth another try */
            a.rc = I2I_ERR_TRANSIENT;
            if (err) err->code = a.rc;
        }
        return a;
    }
classify_status:
    server_message(c, msg, sizeof msg);
    if (c->status == 401 || c->status == 403) {
        a.outcome = OUT_FATAL;
        a.rc = I2I_ERR_AUTH;
        if (!s->has_token) {
            i2i_error_set(err, I2I_ERR_AUTH,
                          "%s: InfluxDB requires a token (HTTP %ld: %s); pass --token-file or set "
                          "INFLUXDB3_AUTH_TOKEN", what, c->status, msg);
        } else if (c->status == 401) {
            i2i_error_set(err, I2I_ERR_AUTH,
                          "%s: InfluxDB rejected the token (HTTP 401: %s); check the token given with "
                          "--token-file or INFLUXDB3_AUTH_TOKEN", what, msg);
        } else {
            i2i_error_set(err, I2I_ERR_AUTH,
                          "%s: the token is not allowed to do this on database '%s' (HTTP 403: %s); "
                          "check the token's permissions", what, s->database, msg);
        }
        return a;
    }
    if (is_file_limit(msg)) {
        a.outcome = OUT_FILE_LIMIT;
        a.rc = I2I_ERR_HTTP;
        i2i_error_set(err, I2I_ERR_HTTP, "%s: HTTP %ld: %s", what, c->status, msg);
        return a;
    }
    if (c->status == 404 && contains_ci(msg, "database not found")) {
        a.outcome = OUT_FATAL;
        a.rc = I2I_ERR_NOT_FOUND;
        i2i_error_set(err, I2I_ERR_NOT_FOUND, "%s: database '%s' not found on %s (HTTP 404: %s)", what,
                      s->database, s->base, msg);
        return a;
    }
    if ((c->status >= 500 || c->status == 408 || c->status == 429) && !is_plan_error(msg)) {
        a.outcome = OUT_TRANSIENT;
        a.rc = I2I_ERR_TRANSIENT;
        i2i_error_set(err, I2I_ERR_TRANSIENT, "%s: HTTP %ld: %s", what, c->status, msg);
        return a;
    }
    a.outcome = OUT_FATAL;
    a.rc = is_table_not_found(msg) ? I2I_ERR_NOT_FOUND : I2I_ERR_HTTP;
    if (c->status == 404 && strncmp(msg, "Not found", 9) == 0) {
        i2i_error_set(err, a.rc, "%s: HTTP 404 Not found for %s (is %s an InfluxDB 3 server?)", what,
                      c->url, s->base);
    } else {
        i2i_error_set(err, a.rc, "%s: HTTP %ld: %s", what, c->status, msg);
    }
    return a;
}

/* ---------------------------------------------------------------- retries */

static uint64_t rng_next(source *s)
{
    uint64_t x = s->rng;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    s->rng = x;
    return x;
}

static void backoff_sleep(source *s, int attempt_no, long retry_after_s)
{
    long d = s->cfg.retry_base_ms, delay;
    struct timespec ts;
    int i;
    for (i = 0; i < attempt_no && d < s->cfg.retry_max_ms; i++) d *= 2;
    if (d > s->cfg.retry_max_ms) d = s->cfg.retry_max_ms;
    delay = d / 2 + (d > 0 ? (long)(rng_next(s) % (uint64_t)(d / 2 + 1)) : 0);
    if (retry_after_s > 0 && retry_after_s * 1000 > delay) delay = retry_after_s * 1000;
    if (delay > s->cfg.retry_max_ms) delay = s->cfg.retry_max_ms;
    if (delay <= 0) return;
    ts.tv_sec = delay / 1000;
    ts.tv_nsec = (delay % 1000) * 1000000L;
    while (nanosleep(&ts, &ts) != 0) {
    }
}

typedef struct retry_hooks {
    void (*mark)(void *ctx);
    int (*rollback)(void *ctx); /* 0 ok, -1 = rows already delivered (cannot retry) */
    void *ctx;
} retry_hooks;

/* Run a call with bounded retries. Returns I2I_OK, a negative status, or sets *file_limit. */
static int http_with_retries(source *s, http_call *c, const char *what, const retry_hooks *hooks,
                             int *file_limit, uint64_t *requests, uint64_t *retries, i2i_error *err)
{
    int attempt_no;
    if (file_limit) *file_limit = 0;
    for (attempt_no = 0;; attempt_no++) {
        attempt a;
        if (hooks && hooks->mark) hooks->mark(hooks->ctx);
        if (requests) (*requests)++;
        a = http_attempt(s, c, what, err);
        if (a.outcome == OUT_OK) return I2I_OK;
        if (a.outcome == OUT_FILE_LIMIT && file_limit) {
            *file_limit = 1;
            return a.rc;
        }
        if (a.outcome != OUT_TRANSIENT) return a.rc;
        if (hooks && hooks->rollback && hooks->rollback(hooks->ctx) != 0) {
            return i2i_error_wrap(err, "rows of this request were already delivered, so it cannot be "
                                       "retried; redo the window");
        }
        if (attempt_no >= s->cfg.max_retries) {
            if (attempt_no > 0) i2i_error_wrap(err, "giving up after %d attempts", attempt_no + 1);
            return a.rc;
        }
        I2I_WARN("InfluxDB: %s; retrying (%d of %d)", err ? err->msg : what, attempt_no + 1, s->cfg.max_retries);
        if (retries) (*retries)++;
        backoff_sleep(s, attempt_no, a.retry_after_s);
    }
}

static int build_query_body(source *s, const char *sql, size_t sql_len, i2i_buf *body, i2i_error *err)
{
    i2i_buf_reset(body);
    if (i2i_buf_append_str(body, "{\"db\":\"") != I2I_OK ||
        json_escape_into(body, s->database, strlen(s->database)) != I2I_OK ||
        i2i_buf_append_str(body, "\",\"q\":\"") != I2I_OK || json_escape_into(body, sql, sql_len) != I2I_OK ||
        i2i_buf_append_str(body, "\",\"format\":\"jsonl\"}") != I2I_OK)
        return i2i_error_nomem(err, "building a query");
    return I2I_OK;
}

/* ---------------------------------------------------------------- collected (small) queries */

typedef struct collect_ctx {
    i2i_buf *out;
    size_t max;
} collect_ctx;

static int collect_sink(void *ctx, const char *data, size_t n, i2i_error *err)
{
    collect_ctx *c = ctx;
    if (c->out->len + n > c->max)
        return i2i_error_set(err, I2I_ERR_RANGE, "response larger than %zu MiB", c->max >> 20);
    if (i2i_buf_append(c->out, data, n) != I2I_OK) return i2i_error_nomem(err, "receiving a response");
    return I2I_OK;
}

static int collect_end(void *ctx, i2i_error *err)
{
    collect_ctx *c = ctx;
    if (c->out->len > 0 && c->out->data[c->out->len - 1] != '\n')
        return i2i_error_set(err, I2I_ERR_FORMAT, "truncated response: no final newline (%zu bytes)", c->out->len);
    return I2I_OK;
}

static void collect_mark(void *ctx)
{
    collect_ctx *c = ctx;
    i2i_buf_reset(c->out);
}

static int collect_rollback(void *ctx)
{
    collect_ctx *c = ctx;
    i2i_buf_reset(c->out);
    return 0;
}

/* Run sql and collect its whole answer in out (small answers only: at most RAW_BODY_MAX).
 * file_limit (may be NULL) as for http_with_retries. */
static int query_collect(source *s, const char *sql, const char *what, i2i_buf *out, int *file_limit,
                         i2i_error *err)
{
    i2i_buf req = I2I_BUF_INIT;
    collect_ctx cc = {out, RAW_BODY_MAX};
    retry_hooks hooks = {collect_mark, collect_rollback, &cc};
    http_call c;
    int rc;
    memset(&c, 0, sizeof c);
    i2i_buf_reset(out);
    rc = build_query_body(s, sql, strlen(sql), &req, err);
    if (rc == I2I_OK) {
        c.url = s->query_url;
        c.body = (const char *)req.data;
        c.body_len = req.len;
        c.headers = s->json_headers;
        c.sink = collect_sink;
        c.end = collect_end;
        c.ctx = &cc;
        rc = http_with_retries(s, &c, what, &hooks, file_limit, NULL, NULL, err);
    }
    i2i_buf_free(&c.errbody);
    i2i_buf_free(&req);
    return rc;
}

int source_query_raw(source *s, const char *sql, i2i_buf *out, i2i_error *err)
{
    if (!s || !sql || !out) return i2i_error_set(err, I2I_ERR_INVALID, "source_query_raw: NULL argument");
    return query_collect(s, sql, "query", out, NULL, err);
}

/* Call fn for every JSON object line of a collected body (jansson: small responses only). */
static int for_each_line(const i2i_buf *body, const char *what,
                         int (*fn)(void *ctx, json_t *row, i2i_error *err), void *ctx, i2i_error *err)
{
    const char *p = body->data ? (const char *)body->data : "", *end = p + body->len;
    size_t line = 0;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        json_error_t je;
        json_t *row;
        int rc;
        if (!nl) nl = end;
        line++;
        if (nl > p) {
            row = json_loadb(p, (size_t)(nl - p), 0, &je);
            if (!row || !json_is_object(row)) {
                json_decref(row);
                return i2i_error_set(err, I2I_ERR_FORMAT, "%s: response line %zu is not a JSON object: %s",
                                     what, line, row ? "not an object" : je.text);
            }
            rc = fn(ctx, row, err);
            json_decref(row);
            if (rc < 0) return rc;
        }
        p = nl + 1;
    }
    return I2I_OK;
}

/* ---------------------------------------------------------------- tables */

typedef struct strv {
    char **v;
    size_t n, cap;
} strv;

static int strv_push(strv *sv, const char *str)
{
    if (sv->n + 2 > sv->cap) {
        size_t cap = sv->cap ? sv->cap * 2 : 16;
        char **nv = realloc(sv->v, cap * sizeof *nv);
        if (!nv) return I2I_ERR_NOMEM;
        sv->v = nv;
        sv->cap = cap;
    }
    if (!(sv->v[sv->n] = i2i_strdup(str))) return I2I_ERR_NOMEM;
    sv->n++;
    sv->v[sv->n] = NULL;
    return I2I_OK;
}

void source_strv_free(char **names)
{
    size_t i;
    if (!names) return;
    for (i = 0; names[i]; i++) free(names[i]);
    free(names);
}

static int table_row(void *ctx, json_t *row, i2i_error *err)
{
    strv *sv = ctx;
    json_t *schema = json_object_get(row, "table_schema");
    const char *name = json_string_value(json_object_get(row, "table_name"));
    if (!name) return i2i_error_set(err, I2I_ERR_FORMAT, "table list: row without table_name");
    if (schema && (!json_is_string(schema) || strcmp(json_string_value(schema), "iox") != 0)) return I2I_OK;
    if (strv_push(sv, name) != I2I_OK) return i2i_error_nomem(err, "listing tables");
    return I2I_OK;
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

int source_list_tables(source *s, char ***names, size_t *n, i2i_error *err)
{
    i2i_buf body = I2I_BUF_INIT;
    strv sv = {NULL, 0, 0};
    int rc;
    *names = NULL;
    if (n) *n = 0;
    rc = query_collect(s,
                       "SELECT table_schema, table_name FROM information_schema.tables "
                       "WHERE table_schema = 'iox'",
                       "listing tables", &body, NULL, err);
    if (rc == I2I_OK) rc = for_each_line(&body, "listing tables", table_row, &sv, err);
    i2i_buf_free(&body);
    if (rc == I2I_OK && !sv.v) {
        sv.v = calloc(1, sizeof *sv.v);
        if (!sv.v) rc = i2i_error_nomem(err, "listing tables");
    }
    if (rc < 0) {
        source_strv_free(sv.v);
        return rc;
    }
    qsort(sv.v, sv.n, sizeof *sv.v, cmp_str);
    *names = sv.v;
    if (n) *n = sv.n;
    return I2I_OK;
}

/* I2I_ERR_NOT_FOUND with the list of available tables. */
static int table_not_found(source *s, const char *table, char **names, size_t n, i2i_error *err)
{
    i2i_buf b = I2I_BUF_INIT;
    size_t i;
    int rc;
    if (n == 0) {
        rc = i2i_buf_printf(&b, "none (database '%s' has no tables yet)", s->database);
    } else {
        rc = I2I_OK;
        for (i = 0; i < n && i < 50 && rc == I2I_OK; i++) rc = i2i_buf_printf(&b, "%s'%s'", i ? ", " : "", names[i]);
        if (rc == I2I_OK && n > 50) rc = i2i_buf_printf(&b, ", ... (%zu tables)", n);
    }
    if (rc != I2I_OK) {
        i2i_buf_free(&b);
        return i2i_error_nomem(err, "reporting a missing table");
    }
    rc = i2i_error_set(err, I2I_ERR_NOT_FOUND, "measurement '%s' not found in database '%s'; available: %s",
                       table, s->database, i2i_buf_cstr(&b));
    i2i_buf_free(&b);
    return rc;
}

int source_check_table(source *s, const char *table, i2i_error *err)
{
    char **names = NULL;
    size_t n = 0, i;
    int rc;
    if (!s || !table) return i2i_error_set(err, I2I_ERR_INVALID, "source_check_table: NULL argument");
    rc = source_list_tables(s, &names, &n, err);
    if (rc < 0) return rc;
    for (i = 0; i < n; i++) {
        if (strcmp(names[i], table) == 0) {
            source_strv_free(names);
            return I2I_OK;
        }
    }
    rc = table_not_found(s, table, names, n, err);
    source_strv_free(names);
    return rc;
}

/* ---------------------------------------------------------------- schema */

/* Strip spaces: "Timestamp(Nanosecond, None)" -> "Timestamp(Nanosecond,None)". */
static void compact(const char *in, char *out, size_t outsz)
{
    size_t o = 0;
    for (; *in && o + 1 < outsz; in++) {
        if (*in != ' ' && *in != '\t') out[o++] = *in;
    }
    out[o] = '\0';
}

static int is_string_type(const char *t)
{
    return strcmp(t, "Utf8") == 0 || strcmp(t, "LargeUtf8") == 0 || strcmp(t, "Utf8View") == 0;
}

int source_map_data_type(const char *column, const char *data_type, columnar_type *type,
                         source_role *role, i2i_error *err)
{
    char t[128];
    const char *col = column ? column : "?";
    if (!data_type) return i2i_error_set(err, I2I_ERR_FORMAT, "column '%s' has no data_type", col);
    compact(data_type, t, sizeof t);
    *role = SOURCE_ROLE_FIELD;
    if (strncmp(t, "Timestamp(", 10) == 0) {
        static const char *const units[] = {"ns", "Nanosecond", "us", "µs", "Microsecond", "ms",
                                            "Millisecond", "s", "Second"};
        const char *u = t + 10;
        size_t i, ul = strcspn(u, ",)");
        int ok = 0;
        for (i = 0; i < sizeof units / sizeof units[0]; i++) {
            if (strlen(units[i]) == ul && strncmp(u, units[i], ul) == 0) ok = 1;
        }
        if (!ok || t[strlen(t) - 1] != ')') goto unknown;
        /* Values arrive as ISO strings whatever the unit (and with a zone when there is one). */
        *type = COLUMNAR_TIMESTAMP;
        if (column && strcmp(column, "time") == 0) *role = SOURCE_ROLE_TIME;
        return I2I_OK;
    }
    if (strncmp(t, "Dictionary(", 11) == 0) {
        char key[32], val[32];
        const char *comma = strchr(t, ',');
        size_t kl, vl;
        if (!comma || t[strlen(t) - 1] != ')') goto unknown;
        kl = (size_t)(comma - (t + 11));
        vl = strlen(comma + 1) - 1;
        if (kl >= sizeof key || vl >= sizeof val) goto unknown;
        memcpy(key, t + 11, kl);
        key[kl] = '\0';
        memcpy(val, comma + 1, vl);
        val[vl] = '\0';
        if (strncmp(key, "Int", 3) != 0 && strncmp(key, "UInt", 4) != 0) goto unknown;
        if (!is_string_type(val)) goto unknown;
        *type = COLUMNAR_STRING;
        *role = SOURCE_ROLE_TAG;
        return I2I_OK;
    }
    if (is_string_type(t)) *type = COLUMNAR_STRING;
    else if (strcmp(t, "Float64") == 0 || strcmp(t, "Float32") == 0) *type = COLUMNAR_DOUBLE;
    else if (strcmp(t, "Int64") == 0 || strcmp(t, "Int32") == 0 || strcmp(t, "Int16") == 0 || strcmp(t, "Int8") == 0)
        *type = COLUMNAR_INT64;
    else if (strcmp(t, "UInt64") == 0 || strcmp(t, "UInt32") == 0 || strcmp(t, "UInt16") == 0 ||
             strcmp(t, "UInt8") == 0)
        *type = COLUMNAR_UINT64;
    else if (strcmp(t, "Boolean") == 0) *type = COLUMNAR_BOOL;
    else goto unknown;
    return I2I_OK;
unknown:
    return i2i_error_set(err, I2I_ERR_UNSUPPORTED,
                         "column '%s' has data type '%s', which influx2iceberg cannot copy (expected "
                         "Timestamp(ns), Dictionary(Int32, Utf8), Utf8, Float64, Int64, UInt64 or Boolean)",
                         col, data_type);
}

typedef struct schema_ctx {
    source_schema *sc;
    size_t cap;
} schema_ctx;

static int schema_row(void *ctx, json_t *row, i2i_error *err)
{
    schema_ctx *x = ctx;
    source_schema *sc = x->sc;
    const char *name = json_string_value(json_object_get(row, "column_name"));
    const char *dt = json_string_value(json_object_get(row, "data_type"));
    const char *nullable = json_string_value(json_object_get(row, "is_nullable"));
    source_column *c;
    int rc;
    if (!name || !dt)
        return i2i_error_set(err, I2I_ERR_FORMAT, "information_schema.columns row without column_name/data_type");
    if (sc->ncols == x->cap) {
        size_t cap = x->cap ? x->cap * 2 : 16;
        source_column *nc = realloc(sc->cols, cap * sizeof *nc);
        if (!nc) return i2i_error_nomem(err, "reading the schema");
        sc->cols = nc;
        x->cap = cap;
    }
    c = &sc->cols[sc->ncols];
    memset(c, 0, sizeof *c);
    rc = source_map_data_type(name, dt, &c->type, &c->role, err);
    if (rc < 0) return i2i_error_wrap(err, "measurement '%s'", sc->table);
    c->name = i2i_strdup(name);
    c->data_type = i2i_strdup(dt);
    c->nullable = !nullable || strcmp(nullable, "NO") != 0;
    sc->ncols++;
    if (!c->name || !c->data_type) return i2i_error_nomem(err, "reading the schema");
    return I2I_OK;
}

void source_schema_free(source_schema *schema)
{
    size_t i;
    if (!schema) return;
    for (i = 0; i < schema->ncols; i++) {
        free(schema->cols[i].name);
        free(schema->cols[i].data_type);
    }
    free(schema->cols);
    free(schema->table);
    free(schema);
}

int source_schema_find(const source_schema *schema, const char *name)
{
    size_t i;
    for (i = 0; i < schema->ncols; i++) {
        if (strcmp(schema->cols[i].name, name) == 0) return (int)i;
    }
    return -1;
}

int source_discover_schema(source *s, const char *table, source_schema **out, i2i_error *err)
{
    i2i_buf sql = I2I_BUF_INIT, body = I2I_BUF_INIT;
    schema_ctx x = {NULL, 0};
    int rc;
    char what[300];

    *out = NULL;
    if (!s || !table) return i2i_error_set(err, I2I_ERR_INVALID, "source_discover_schema: NULL argument");
    snprintf(what, sizeof what, "reading the schema of '%.200s'", table);
    if (i2i_buf_append_str(&sql, "SELECT column_name, data_type, is_nullable FROM information_schema.columns "
                                 "WHERE table_schema = 'iox' AND table_name = ") != I2I_OK) {
        rc = i2i_error_nomem(err, "building a query");
        goto out;
    }
    I2I_TRY_GOTO(source_quote_literal(&sql, table, strlen(table), err), rc, out);
    if (!i2i_buf_cstr(&sql)) {
        rc = i2i_error_nomem(err, "building a query");
        goto out;
    }
    I2I_TRY_GOTO(query_collect(s, (const char *)sql.data, what, &body, NULL, err), rc, out);
    x.sc = calloc(1, sizeof *x.sc);
    if (!x.sc || !(x.sc->table = i2i_strdup(table))) {
        rc = i2i_error_nomem(err, "reading the schema");
        goto out;
    }
    x.sc->time_index = -1;
    I2I_TRY_GOTO(for_each_line(&body, what, schema_row, &x, err), rc, out);
    if (x.sc->ncols == 0) {
        /* information_schema has no rows for a table that does not exist: say which ones do. */
        rc = source_check_table(s, table, err);
        if (rc == I2I_OK) rc = i2i_error_set(err, I2I_ERR_FORMAT, "measurement '%s' has no columns", table);
        goto out;
    }
    {
        int ti = source_schema_find(x.sc, "time");
        if (ti < 0 || x.sc->cols[ti].role != SOURCE_ROLE_TIME) {
            rc = i2i_error_set(err, I2I_ERR_FORMAT, "measurement '%s' has no timestamp column named 'time'", table);
            goto out;
        }
        x.sc->time_index = ti;
    }
    *out = x.sc;
    x.sc = NULL;
    rc = I2I_OK;
out:
    source_schema_free(x.sc);
    i2i_buf_free(&sql);
    i2i_buf_free(&body);
    return rc;
}

int source_batch_new(const source_schema *schema, const char *const *columns, size_t ncolumns,
                     size_t capacity, columnar_batch **out, i2i_error *err)
{
    columnar_field *f;
    size_t i, n = 0, total = columns ? ncolumns + 1 : schema->ncols;
    int rc;
    *out = NULL;
    if (schema->time_index < 0) return i2i_error_set(err, I2I_ERR_INVALID, "schema has no time column");
    f = calloc(total ? total : 1, sizeof *f);
    if (!f) return i2i_error_nomem(err, "creating a batch");
    if (!columns) {
        for (i = 0; i < schema->ncols; i++) {
            f[n].name = schema->cols[i].name;
            f[n].type = schema->cols[i].type;
            f[n].unit = COLUMNAR_NANOS;
            n++;
        }
    } else {
        int has_time = 0;
        for (i = 0; i < ncolumns; i++) has_time |= strcmp(columns[i], "time") == 0;
        if (!has_time) {
            const source_column *t = &schema->cols[schema->time_index];
            f[n].name = t->name;
            f[n].type = t->type;
            f[n].unit = COLUMNAR_NANOS;
            n++;
        }
        for (i = 0; i < ncolumns; i++) {
            int ci = source_schema_find(schema, columns[i]);
            size_t k;
            if (ci < 0) {
                free(f);
                return i2i_error_set(err, I2I_ERR_NOT_FOUND, "measurement '%s' has no column '%s'",
                                     schema->table, columns[i]);
            }
            for (k = 0; k < n; k++) {
                if (strcmp(f[k].name, columns[i]) == 0) {
                    free(f);
                    return i2i_error_set(err, I2I_ERR_INVALID, "column '%s' selected twice", columns[i]);
                }
            }
            f[n].name = schema->cols[ci].name;
            f[n].type = schema->cols[ci].type;
            f[n].unit = COLUMNAR_NANOS;
            n++;
        }
    }
    rc = columnar_batch_new(f, n, capacity, out, err);
    free(f);
    return rc;
}

/* ---------------------------------------------------------------- time bounds */

typedef struct bounds_ctx {
    const char *lo_key, *hi_key;
    int64_t lo, hi;
    int have_lo, have_hi;
} bounds_ctx;

static int json_time(json_t *v, int64_t *ns, i2i_error *err)
{
    if (json_is_integer(v)) {
        *ns = (int64_t)json_integer_value(v);
        return I2I_OK;
    }
    if (json_is_string(v)) return i2i_time_parse(json_string_value(v), json_string_length(v), 0, ns, err);
    return i2i_error_set(err, I2I_ERR_FORMAT, "expected a time value");
}

static int bounds_row(void *ctx, json_t *row, i2i_error *err)
{
    bounds_ctx *b = ctx;
    json_t *lo = json_object_get(row, b->lo_key), *hi = json_object_get(row, b->hi_key);
    if (lo && !json_is_null(lo)) {
        I2I_TRY(json_time(lo, &b->lo, err));
        b->have_lo = 1;
    }
    if (hi && !json_is_null(hi)) {
        I2I_TRY(json_time(hi, &b->hi, err));
        b->have_hi = 1;
    }
    return I2I_OK;
}

static int bounds_query(source *s, const char *sql, const char *what, bounds_ctx *b, int *file_limit,
                        i2i_error *err)
{
    i2i_buf body = I2I_BUF_INIT;
    int rc = query_collect(s, sql, what, &body, file_limit, err);
    if (rc == I2I_OK) rc = for_each_line(&body, what, bounds_row, b, err);
    i2i_buf_free(&body);
    return rc;
}

/* Smallest (want_min) or largest time in the closed range [lo, hi]. When the server refuses
 * because of its per-query file limit, halve the range and look in the more promising half first
 * (lower for MIN, upper for MAX): at most about two queries per halving level. */
static int bound_search(source *s, const i2i_buf *qt, int64_t lo, int64_t hi, int want_min, int64_t *out,
                        int *found, const char *what, i2i_error *err)
{
    i2i_buf sql = I2I_BUF_INIT;
    bounds_ctx b = {"t", "t", 0, 0, 0, 0};
    int rc, file_limit = 0;
    *found = 0;
    if (i2i_buf_printf(&sql, "SELECT %s(\"time\") AS t FROM %.*s WHERE \"time\" >= ", want_min ? "MIN" : "MAX",
                       (int)qt->len, (const char *)qt->data) != I2I_OK) {
        i2i_buf_free(&sql);
        return i2i_error_nomem(err, "building a query");
    }
    rc = source_time_literal(&sql, lo, err);
    if (rc == I2I_OK && i2i_buf_append_str(&sql, " AND \"time\" <= ") != I2I_OK) rc = i2i_error_nomem(err, "building a query");
    if (rc == I2I_OK) rc = source_time_literal(&sql, hi, err);
    if (rc == I2I_OK) rc = bounds_query(s, i2i_buf_cstr(&sql), what, &b, &file_limit, err);
    i2i_buf_free(&sql);
    if (rc == I2I_OK) {
        *found = want_min ? b.have_lo : b.have_hi;
        *out = want_min ? b.lo : b.hi;
        return I2I_OK;
    }
    if (!file_limit) return rc;
    {
        uint64_t span = (uint64_t)hi - (uint64_t)lo;
        int64_t mid = (int64_t)((uint64_t)lo + span / 2);
        if (span < 2 || span / 2 < (uint64_t)s->cfg.min_split_ns)
            return i2i_error_wrap(err, "the server's per-query file limit is exceeded even for a %.3f s range",
                                  (double)span / 1e9);
        if (want_min) {
            I2I_TRY(bound_search(s, qt, lo, mid, 1, out, found, what, err));
            if (*found) return I2I_OK;
            return bound_search(s, qt, mid + 1, hi, 1, out, found, what, err);
        }
        I2I_TRY(bound_search(s, qt, mid + 1, hi, 0, out, found, what, err));
        if (*found) return I2I_OK;
        return bound_search(s, qt, lo, mid, 0, out, found, what, err);
    }
}

int source_time_bounds(source *s, const char *table, int64_t *min_ns, int64_t *max_ns, int *empty,
                       i2i_error *err)
{
    i2i_buf sql = I2I_BUF_INIT, qt = I2I_BUF_INIT;
    bounds_ctx b = {"min_time", "max_time", 0, 0, 0, 0};
    int rc, file_limit = 0;
    char what[300];

    if (!s || !table || !min_ns || !max_ns || !empty)
        return i2i_error_set(err, I2I_ERR_INVALID, "source_time_bounds: NULL argument");
    *empty = 1;
    snprintf(what, sizeof what, "reading the time range of '%.200s'", table);
    I2I_TRY_GOTO(source_quote_ident(&qt, table, strlen(table), err), rc, out);
    if (i2i_buf_printf(&sql, "SELECT MIN(\"time\") AS min_time, MAX(\"time\") AS max_time FROM %.*s",
                       (int)qt.len, (const char *)qt.data) != I2I_OK) {
        rc = i2i_error_nomem(err, "building a query");
        goto out;
    }
    rc = bounds_query(s, i2i_buf_cstr(&sql), what, &b, &file_limit, err);
    if (rc < 0 && file_limit) {
        /* A whole-table aggregate scans every Parquet file and can exceed the file limit. */
        I2I_INFO("InfluxDB: %s exceeds the server's file limit; searching by halving the range", what);
        I2I_TRY_GOTO(bound_search(s, &qt, INT64_MIN, INT64_MAX, 1, &b.lo, &b.have_lo, what, err), rc, out);
        if (b.have_lo)
            I2I_TRY_GOTO(bound_search(s, &qt, b.lo, INT64_MAX, 0, &b.hi, &b.have_hi, what, err), rc, out);
        rc = I2I_OK;
    }
    if (rc == I2I_ERR_NOT_FOUND && !contains_ci(err ? err->msg : "", "database '")) {
        int rc2 = source_check_table(s, table, err);
        if (rc2 == I2I_OK) rc2 = i2i_error_set(err, I2I_ERR_NOT_FOUND, "%s: not found", what);
        rc = rc2;
    }
    if (rc < 0) goto out;
    if (b.have_lo && b.have_hi) {
        *min_ns = b.lo;
        *max_ns = b.hi;
        *empty = 0;
    }
    rc = I2I_OK;
out:
    i2i_buf_free(&sql);
    i2i_buf_free(&qt);
    return rc;
}

/* ---------------------------------------------------------------- streaming range query */

typedef struct range_ctx {
    source *s;
    const source_query *q;
    jsonl_parser *parser;
    i2i_buf prefix; /* SELECT ... WHERE "time" >= */
    i2i_buf sql, body;
    source_query_stats *stats;
    uint64_t requests, retries, splits;
} range_ctx;

static int range_sink(void *ctx, const char *data, size_t n, i2i_error *err)
{
    range_ctx *r = ctx;
    return jsonl_parser_feed(r->parser, data, n, err);
}

static int range_end(void *ctx, i2i_error *err)
{
    range_ctx *r = ctx;
    return jsonl_parser_finish(r->parser, err);
}

static void range_mark(void *ctx)
{
    range_ctx *r = ctx;
    jsonl_parser_mark(r->parser);
}

static int range_rollback(void *ctx)
{
    range_ctx *r = ctx;
    return jsonl_parser_rollback(r->parser);
}

static int query_range_rec(range_ctx *r, int64_t start, int64_t end, int depth, i2i_error *err)
{
    source *s = r->s;
    retry_hooks hooks = {range_mark, range_rollback, r};
    http_call c;
    char what[400], a[48], b[48];
    int rc, file_limit = 0;

    format_time(start, a, sizeof a);
    format_time(end, b, sizeof b);
    snprintf(what, sizeof what, "query of '%.200s' [%s, %s)", r->q->table, a, b);
    i2i_buf_reset(&r->sql);
    if (i2i_buf_append(&r->sql, r->prefix.data, r->prefix.len) != I2I_OK) return i2i_error_nomem(err, "building a query");
    I2I_TRY(source_time_literal(&r->sql, start, err));
    if (i2i_buf_append_str(&r->sql, " AND \"time\" < ") != I2I_OK) return i2i_error_nomem(err, "building a query");
    I2I_TRY(source_time_literal(&r->sql, end, err));
    if (i2i_buf_append_str(&r->sql, " ORDER BY \"time\"") != I2I_OK) return i2i_error_nomem(err, "building a query");
    I2I_TRY(build_query_body(s, (const char *)r->sql.data, r->sql.len, &r->body, err));

    memset(&c, 0, sizeof c);
    c.url = s->query_url;
    c.body = (const char *)r->body.data;
    c.body_len = r->body.len;
    c.headers = s->json_headers;
    c.sink = range_sink;
    c.end = range_end;
    c.ctx = r;
    I2I_DEBUG("InfluxDB: %s", what);
    rc = http_with_retries(s, &c, what, &hooks, &file_limit, &r->requests, &r->retries, err);
    i2i_buf_free(&c.errbody);
    if (rc == I2I_OK || !file_limit) return rc;

    /* The server refused: too many Parquet files for one query. Halve the range. */
    {
        uint64_t span = (uint64_t)end - (uint64_t)start;
        int64_t mid = (int64_t)((uint64_t)start + span / 2);
        if (span / 2 < (uint64_t)s->cfg.min_split_ns || mid <= start) {
            return i2i_error_wrap(err, "the server's per-query file limit is exceeded even for a %.3f s "
                                       "range (minimum split %.3f s); raise the server's --query-file-limit "
                                       "or compact", (double)span / 1e9, (double)s->cfg.min_split_ns / 1e9);
        }
        r->splits++;
        I2I_INFO("InfluxDB: %s exceeds the server's file limit; splitting at depth %d", what, depth + 1);
        I2I_TRY(query_range_rec(r, start, mid, depth + 1, err));
        return query_range_rec(r, mid, end, depth + 1, err);
    }
}

int source_query_range(source *s, const source_query *q, source_query_stats *stats, i2i_error *err)
{
    range_ctx r;
    jsonl_config jc;
    columnar_batch *b;
    size_t i;
    int rc, time_col;
    const jsonl_stats *js;

    if (!s || !q || !q->batch || !q->table || !q->on_batch)
        return i2i_error_set(err, I2I_ERR_INVALID, "source_query_range: table, batch and on_batch are required");
    b = q->batch;
    if (q->start_ns >= q->end_ns)
        return i2i_error_set(err, I2I_ERR_INVALID, "query of '%s': empty time range (start >= end)", q->table);
    time_col = columnar_batch_find(b, "time");
    if (time_col < 0 || b->cols[time_col].type != COLUMNAR_TIMESTAMP)
        return i2i_error_set(err, I2I_ERR_INVALID, "query of '%s': the batch needs a timestamp column 'time'", q->table);
    if (b->nrows != 0)
        return i2i_error_set(err, I2I_ERR_INVALID, "query of '%s': the batch must be empty", q->table);

    memset(&r, 0, sizeof r);
    r.s = s;
    r.q = q;
    r.stats = stats;
    memset(&jc, 0, sizeof jc);
    jc.batch = b;
    jc.max_batch_bytes = q->max_batch_bytes;
    jc.ignore_unknown_keys = q->ignore_unknown_keys;
    jc.nonfinite_as_null = q->nonfinite == SOURCE_NONFINITE_NULL;
    jc.time_col = time_col;
    jc.on_batch = q->on_batch;
    jc.ctx = q->ctx;
    I2I_TRY(jsonl_parser_new(&jc, &r.parser, err));

    rc = i2i_buf_append_str(&r.prefix, "SELECT ") == I2I_OK ? I2I_OK : I2I_ERR_NOMEM;
    for (i = 0; i < b->ncols && rc == I2I_OK; i++) {
        if (i && i2i_buf_append_str(&r.prefix, ", ") != I2I_OK) rc = I2I_ERR_NOMEM;
        if (rc == I2I_OK) rc = source_quote_ident(&r.prefix, b->cols[i].name, strlen(b->cols[i].name), err);
    }
    if (rc == I2I_OK && i2i_buf_append_str(&r.prefix, " FROM ") != I2I_OK) rc = I2I_ERR_NOMEM;
    if (rc == I2I_OK) rc = source_quote_ident(&r.prefix, q->table, strlen(q->table), err);
    if (rc == I2I_OK && i2i_buf_append_str(&r.prefix, " WHERE \"time\" >= ") != I2I_OK) rc = I2I_ERR_NOMEM;
    if (rc == I2I_ERR_NOMEM) i2i_error_nomem(err, "building a query");

    if (rc == I2I_OK) rc = query_range_rec(&r, q->start_ns, q->end_ns, 0, err);
    if (rc == I2I_OK) rc = jsonl_parser_flush(r.parser, err);
    if (rc == I2I_ERR_NOT_FOUND && err && contains_ci(err->msg, "table '")) {
        /* Unknown measurement: replace DataFusion's message with the list of tables. */
        i2i_error e2;
        int rc2 = source_check_table(s, q->table, &e2);
        if (rc2 == I2I_ERR_NOT_FOUND) *err = e2;
    }
    js = jsonl_parser_stats(r.parser);
    if (stats) {
        stats->rows += js->rows;
        stats->batches += js->batches;
        stats->bytes += js->bytes;
        stats->requests += r.requests;
        stats->retries += r.retries;
        stats->splits += r.splits;
        stats->nonfinite += js->nonfinite;
        if (stats->nonfinite_by_col) {
            for (i = 0; i < b->ncols; i++) stats->nonfinite_by_col[i] += js->nonfinite_by_col[i];
        }
    }
    if (js->nonfinite > 0) {
        I2I_WARN("InfluxDB: %llu float value(s) of '%s' arrived as JSON null (NaN, +Inf or -Inf; the "
                 "server does not say which); stored as %s", (unsigned long long)js->nonfinite, q->table,
                 q->nonfinite == SOURCE_NONFINITE_NULL ? "NULL" : "NaN");
    }
    if (rc < 0) jsonl_parser_reset(r.parser);
    jsonl_parser_free(r.parser);
    i2i_buf_free(&r.prefix);
    i2i_buf_free(&r.sql);
    i2i_buf_free(&r.body);
    return rc;
}

/* ---------------------------------------------------------------- write (tests, tools) */

int source_write_lp(source *s, const char *lp, size_t n, const char *precision, i2i_error *err)
{
    i2i_buf url = I2I_BUF_INIT;
    http_call c;
    char *db_esc, *prec_esc;
    int rc;
    if (!s || (!lp && n)) return i2i_error_set(err, I2I_ERR_INVALID, "source_write_lp: NULL argument");
    db_esc = curl_easy_escape(s->curl, s->database, 0);
    prec_esc = curl_easy_escape(s->curl, precision ? precision : "auto", 0);
    if (!db_esc || !prec_esc ||
        i2i_buf_printf(&url, "%s/api/v3/write_lp?db=%s&precision=%s", s->base, db_esc, prec_esc) != I2I_OK) {
        curl_free(db_esc);
        curl_free(prec_esc);
        i2i_buf_free(&url);
        return i2i_error_nomem(err, "building a write request");
    }
    curl_free(db_esc);
    curl_free(prec_esc);
    memset(&c, 0, sizeof c);
    c.url = i2i_buf_cstr(&url);
    c.body = lp ? lp : "";
    c.body_len = n;
    c.headers = s->lp_headers;
    {
        /* Writes are not idempotent in general (a partial write already applied): no retry. */
        attempt a = http_attempt(s, &c, "writing line protocol", err);
        rc = a.outcome == OUT_OK ? I2I_OK : a.rc;
    }
    i2i_buf_free(&c.errbody);
    i2i_buf_free(&url);
    return rc;
}
