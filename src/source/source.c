/* InfluxDB 3 source: the connection (an http client with InfluxDB's headers), what InfluxDB's
 * error replies mean (its 400-vs-500 quirks, the file limit, unknown databases and tables), and
 * the small collected queries the other files build on. Quoting is in quote.c, schema discovery
 * in schema.c, the time bounds in bounds.c, the streaming range query in range.c, the JSONL
 * parser in jsonl.c; transport, retries and redaction are the http layer's. */
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>

#include "source_internal.h"

#define RAW_BODY_MAX ((size_t)64 << 20) /* source_query_raw / schema responses */

void source_config_defaults(source_config *cfg)
{
    http_config h;
    http_config_defaults(&h);
    memset(cfg, 0, sizeof *cfg);
    cfg->connect_timeout_ms = h.connect_timeout_ms;
    cfg->query_timeout_ms = h.request_timeout_ms;
    cfg->low_speed_time_s = h.low_speed_time_s;
    cfg->low_speed_bytes = h.low_speed_bytes;
    cfg->max_retries = h.retry.max_retries;
    cfg->retry_base_ms = (long)h.retry.base_wait_ms;
    cfg->retry_max_ms = (long)h.retry.max_wait_ms;
    cfg->min_split_ns = 60 * I2I_NS_PER_S;
}

static int check_config(const source_config *cfg, i2i_error *err)
{
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
    return I2I_OK;
}

/* The header lists: JSON queries and line protocol writes, each with the token when there is one. */
static int make_headers(source *s, const char *token, i2i_error *err)
{
    i2i_buf bearer = I2I_BUF_INIT;
    int rc = I2I_OK;
    if (s->has_token) {
        if (i2i_buf_printf(&bearer, "Bearer %s", token) != I2I_OK || !i2i_buf_cstr(&bearer))
            rc = i2i_error_nomem(err, "opening the InfluxDB source");
        if (rc == I2I_OK) rc = http_headers_add(&s->json_headers, "Authorization", (char *)bearer.data, 1, err);
        if (rc == I2I_OK) rc = http_headers_add(&s->lp_headers, "Authorization", (char *)bearer.data, 1, err);
        if (bearer.data) memset(bearer.data, 0, bearer.len);
        i2i_buf_free(&bearer);
    }
    if (rc == I2I_OK) rc = http_headers_add(&s->json_headers, "Content-Type", "application/json", 0, err);
    if (rc == I2I_OK) rc = http_headers_add(&s->json_headers, "Expect", "", 0, err);
    if (rc == I2I_OK)
        rc = http_headers_add(&s->lp_headers, "Content-Type", "text/plain; charset=utf-8", 0, err);
    if (rc == I2I_OK) rc = http_headers_add(&s->lp_headers, "Expect", "", 0, err);
    return rc;
}

int source_open(const source_config *cfg, source **out, i2i_error *err)
{
    source *s;
    http_config hc;
    size_t n;
    int rc;

    *out = NULL;
    I2I_TRY(check_config(cfg, err));
    s = calloc(1, sizeof *s);
    if (!s) return i2i_error_nomem(err, "opening the InfluxDB source");
    n = strlen(cfg->url);
    while (n > 0 && cfg->url[n - 1] == '/') n--;
    s->base = i2i_strndup(cfg->url, n);
    s->database = i2i_strdup(cfg->database);
    s->min_split_ns = cfg->min_split_ns;
    s->has_token = cfg->token && *cfg->token;
    if (s->base) {
        i2i_buf shown = I2I_BUF_INIT;
        if (http_redact_url(s->base, &shown) == I2I_OK && i2i_buf_cstr(&shown)) s->shown = (char *)shown.data;
        else i2i_buf_free(&shown);
    }
    if (!s->base || !s->shown || !s->database) {
        rc = i2i_error_nomem(err, "opening the InfluxDB source");
        goto fail;
    }
    {
        i2i_buf u = I2I_BUF_INIT;
        if (i2i_buf_printf(&u, "%s/api/v3/query_sql", s->base) != I2I_OK) {
            i2i_buf_free(&u);
            rc = i2i_error_nomem(err, "opening the InfluxDB source");
            goto fail;
        }
        s->query_url = i2i_buf_cstr(&u);
    }
    I2I_TRY_GOTO(make_headers(s, cfg->token, err), rc, fail);
    http_config_defaults(&hc);
    hc.service = "InfluxDB";
    hc.connect_timeout_ms = cfg->connect_timeout_ms;
    hc.request_timeout_ms = cfg->query_timeout_ms;
    hc.low_speed_time_s = cfg->low_speed_time_s;
    hc.low_speed_bytes = cfg->low_speed_bytes;
    hc.insecure = cfg->insecure;
    hc.ca_file = cfg->ca_file;
    hc.retry.max_retries = cfg->max_retries;
    hc.retry.base_wait_ms = cfg->retry_base_ms;
    hc.retry.max_wait_ms = cfg->retry_max_ms;
    hc.retry.cancel = cfg->cancel;
    I2I_TRY_GOTO(http_client_open(&hc, &s->http, err), rc, fail);
    *out = s;
    return I2I_OK;
fail:
    source_close(s);
    return rc;
}

const char *source_url(const source *s) { return s ? s->shown : ""; }

void source_close(source *s)
{
    if (!s) return;
    http_client_close(s->http);
    http_headers_free(s->json_headers);
    http_headers_free(s->lp_headers);
    free(s->base);
    free(s->shown);
    free(s->database);
    free(s->query_url);
    free(s);
}

/* ---------------------------------------------------------------- InfluxDB's error replies */

int src_contains_ci(const char *hay, const char *needle)
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
    return src_contains_ci(msg, "file limit") ||
           (src_contains_ci(msg, "parquet files") && src_contains_ci(msg, "exceed"));
}

/* SQL/plan errors: 400 in 3.10, 500 in <= 3.9; never worth a retry. */
static int is_plan_error(const char *msg)
{
    return src_contains_ci(msg, "error while planning") || src_contains_ci(msg, "Error during planning") ||
           src_contains_ci(msg, "SQL error") || src_contains_ci(msg, "Schema error") ||
           src_contains_ci(msg, "ParserError") || src_contains_ci(msg, "No field named") ||
           src_contains_ci(msg, "invalid mime type");
}

static int is_table_not_found(const char *msg)
{
    return src_contains_ci(msg, "table '") && src_contains_ci(msg, "not found");
}

typedef struct classify_ctx {
    const source *s;
    src_reply_info *info;
} classify_ctx;

/* What InfluxDB means beyond the generic classes: auth hints, the file limit (split, do not
 * retry), unknown database or table, and plan errors that 3.9 sends as 500 (never retried). */
static int classify(void *ctx, const http_reply *r, const char *what, i2i_error *err)
{
    const classify_ctx *c = ctx;
    const source *s = c->s;
    if (r->status == 401 || r->status == 403) {
        if (!s->has_token)
            return i2i_error_set(err, I2I_ERR_AUTH,
                                 "%s: InfluxDB requires a token (HTTP %ld: %s); pass --token-file or set "
                                 "INFLUXDB3_AUTH_TOKEN", what, r->status, r->message);
        if (r->status == 401)
            return i2i_error_set(err, I2I_ERR_AUTH,
                                 "%s: InfluxDB rejected the token (HTTP 401: %s); check the token given with "
                                 "--token-file or INFLUXDB3_AUTH_TOKEN", what, r->message);
        return i2i_error_set(err, I2I_ERR_AUTH,
                             "%s: the token is not allowed to do this on database '%s' (HTTP 403: %s); "
                             "check the token's permissions", what, s->database, r->message);
    }
    if (is_file_limit(r->message)) {
        c->info->file_limit = 1;
        return i2i_error_set(err, I2I_ERR_HTTP, "%s: HTTP %ld: %s", what, r->status, r->message);
    }
    if (r->status == 404 && src_contains_ci(r->message, "database not found"))
        return i2i_error_set(err, I2I_ERR_NOT_FOUND, "%s: database '%s' not found on %s (HTTP 404: %s)",
                             what, s->database, s->shown, r->message);
    if ((r->status >= 500 || r->status == 408 || r->status == 429) && !is_plan_error(r->message))
        return 0; /* the generic TRANSIENT */
    if (r->status == 404 && strncmp(r->message, "Not found", 9) == 0)
        return i2i_error_set(err, I2I_ERR_HTTP, "%s: HTTP 404 Not found for %s (is %s an InfluxDB 3 server?)",
                             what, r->url, s->shown);
    return i2i_error_set(err, is_table_not_found(r->message) ? I2I_ERR_NOT_FOUND : I2I_ERR_HTTP,
                         "%s: HTTP %ld: %s", what, r->status, r->message);
}

int src_query(source *s, const char *body, size_t body_len, const http_sink *sink, const char *what,
              src_reply_info *info, http_stats *stats, i2i_error *err)
{
    src_reply_info local = {0};
    classify_ctx cc;
    http_request req;
    cc.s = s;
    cc.info = info ? info : &local;
    cc.info->file_limit = 0;
    memset(&req, 0, sizeof req);
    req.method = "POST";
    req.url = s->query_url;
    req.headers = s->json_headers;
    req.body = body;
    req.body_len = body_len;
    req.sink = sink;
    req.what = what;
    req.retry = 1; /* queries only read */
    req.classify = classify;
    req.classify_ctx = &cc;
    return http_perform(s->http, &req, NULL, stats, err);
}

/* ---------------------------------------------------------------- collected (small) queries */

int src_query_body(source *s, const char *sql, size_t sql_len, i2i_buf *body, i2i_error *err)
{
    i2i_buf_reset(body);
    if (i2i_buf_append_str(body, "{\"db\":\"") != I2I_OK ||
        src_json_escape(body, s->database, strlen(s->database)) != I2I_OK ||
        i2i_buf_append_str(body, "\",\"q\":\"") != I2I_OK || src_json_escape(body, sql, sql_len) != I2I_OK ||
        i2i_buf_append_str(body, "\",\"format\":\"jsonl\"}") != I2I_OK)
        return i2i_error_nomem(err, "building a query");
    return I2I_OK;
}

/* JSONL ends every line with a newline: a body without one was cut. */
static int collect_end(void *ctx, i2i_error *err)
{
    const http_collect *c = ctx;
    if (c->out->len > 0 && c->out->data[c->out->len - 1] != '\n')
        return i2i_error_set(err, I2I_ERR_FORMAT, "truncated response: no final newline (%zu bytes)", c->out->len);
    return I2I_OK;
}

int src_query_collect(source *s, const char *sql, const char *what, i2i_buf *out, src_reply_info *info,
                      i2i_error *err)
{
    i2i_buf req = I2I_BUF_INIT;
    http_collect col;
    http_sink sink;
    int rc;
    i2i_buf_reset(out);
    http_collect_sink(&col, out, RAW_BODY_MAX, &sink);
    sink.end = collect_end;
    rc = src_query_body(s, sql, strlen(sql), &req, err);
    if (rc == I2I_OK) rc = src_query(s, (const char *)req.data, req.len, &sink, what, info, NULL, err);
    i2i_buf_free(&req);
    return rc;
}

int source_query_raw(source *s, const char *sql, i2i_buf *out, i2i_error *err)
{
    if (!s || !sql || !out) return i2i_error_set(err, I2I_ERR_INVALID, "source_query_raw: NULL argument");
    return src_query_collect(s, sql, "query", out, NULL, err);
}

/* Call fn for every JSON object line of a collected body (jansson: small responses only). */
int src_for_each_line(const i2i_buf *body, const char *what,
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

/* ---------------------------------------------------------------- write (tests, tools) */

int source_write_lp(source *s, const char *lp, size_t n, const char *precision, i2i_error *err)
{
    i2i_buf url = I2I_BUF_INIT;
    http_request req;
    classify_ctx cc;
    src_reply_info info = {0};
    int rc;
    if (!s || (!lp && n)) return i2i_error_set(err, I2I_ERR_INVALID, "source_write_lp: NULL argument");
    if (i2i_buf_printf(&url, "%s/api/v3/write_lp?db=", s->base) != I2I_OK ||
        http_escape(&url, s->database, 0) != I2I_OK || i2i_buf_append_str(&url, "&precision=") != I2I_OK ||
        http_escape(&url, precision ? precision : "auto", 0) != I2I_OK || !i2i_buf_cstr(&url)) {
        i2i_buf_free(&url);
        return i2i_error_nomem(err, "building a write request");
    }
    cc.s = s;
    cc.info = &info;
    memset(&req, 0, sizeof req);
    req.method = "POST";
    req.url = (const char *)url.data;
    req.headers = s->lp_headers;
    req.body = lp ? lp : "";
    req.body_len = n;
    req.what = "writing line protocol";
    req.retry = 0; /* a write may have been partly applied: never repeated blindly */
    req.classify = classify;
    req.classify_ctx = &cc;
    rc = http_perform(s->http, &req, NULL, NULL, err);
    i2i_buf_free(&url);
    return rc;
}
