/*
 * The REST catalog (Iceberg REST OpenAPI, /work/shared/specs/iceberg.md section 9), over the one
 * http layer. The server writes metadata files itself: a create sends the table's schema, spec,
 * sort order, properties and location; a commit sends the CommitTableRequest built by the commit
 * loop (requirements + updates); both answer with the new metadata-location and metadata.
 *
 * Keys (PyIceberg names): uri (required), warehouse (sent to GET /v1/config; a value without '/'
 * is a warehouse name and the server places new tables), prefix (used when the server's config
 * does not set one), token (static bearer token), credential ("client_id:client_secret", OAuth2
 * client credentials), oauth2-server-uri (default <uri>/v1/oauth/tokens), scope (default
 * "catalog"), rest.sigv4-enabled with rest.signing-region, rest.signing-name and
 * rest.access-key-id / rest.secret-access-key / rest.session-token (see rest_sigv4_open for the
 * fallbacks), rest.request-timeout-ms (this project's).
 *
 * Config: GET /v1/config?warehouse=W; overrides > client keys > defaults for "prefix" and
 * "warehouse"; overrides > defaults for "namespace-separator". With no warehouse at all, a create
 * sends no location and the server places the table.
 *
 * Vended credentials: every request asks for them (X-Iceberg-Access-Delegation); a
 * LoadTableResult's config and longest-prefix storage-credentials entry become the table's
 * catalog_table.config (take_table_config), which catalog_table_storage lays over
 * catalog_configs for that table's files.
 *
 * Errors (what a commit's reply means):
 *   409                       I2I_ERR_CONFLICT (CommitFailedException): reload, re-apply, retry;
 *   5xx, timeout, lost reply  I2I_ERR_UNKNOWN: the server may have applied it; the commit loop
 *                             reloads and looks for its snapshot before any retry;
 *   401 with OAuth2           the token is fetched again once and the request repeated (a 401
 *                             is a refusal, nothing was applied).
 * Reads, namespace calls and creates are retried by the http layer; a commit never is. A create
 * repeated after a 5xx or timeout that meets 409 is resolved by rest_create_landed.
 *
 * Tokens (static, OAuth2 access tokens, the client secret, SigV4 keys) are registered with the
 * logger and go out only as secret headers or in the token request's body, which is never
 * logged. An OAuth2 token is refreshed before it expires: at half its lifetime when it lives
 * under 2 minutes, else 60 s before the end; the replaced one leaves the registry
 * (retire_token).
 */
#include "catalog_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <strings.h>

#include "../http/http.h"
#include "../storage/s3_sigv4.h"

#define REST_BODY_MAX (64u * 1024u * 1024u)


typedef struct rest_state {
    cat_ctx *ctx;
    http_client *http;
    char *base;   /* uri without trailing '/' */
    char *prefix; /* "" or "/<escaped prefix>" */
    char *ns_sep; /* namespace levels' separator in paths, URL-encoded; NULL = "%1F" */
    char *token;  /* static token or the current OAuth2 access token; NULL = none */
    /* OAuth2 client credentials */
    int oauth;
    char *client_id, *client_secret, *oauth_uri, *scope;
    int64_t refresh_at_ns; /* monotonic; when to fetch a new token */
    /* SigV4 (rest.sigv4-enabled): every request signed with these */
    int sigv4;
    char *sig_region, *sig_service, *sig_key_id, *sig_secret, *sig_token;
    /* attempts the http layer repeated for the last request: a create repeated after a 5xx or
     * timeout may have landed the first time, so its 409 needs a look at the table */
    uint64_t last_retries;
} rest_state;

enum rest_kind { RK_READ, RK_NAMESPACE, RK_CREATE, RK_COMMIT, RK_TOKEN };

typedef struct rest_classify_ctx {
    rest_state *s;
    int kind;
} rest_classify_ctx;

static int rest_classify(void *vctx, const http_reply *r, const char *what, i2i_error *err)
{
    rest_classify_ctx *c = vctx;
    const char *cat = c->s->ctx->name;
    if (r->status == 409) {
        if (c->kind == RK_COMMIT)
            return i2i_error_set(err, I2I_ERR_CONFLICT,
                                 "catalog '%s': %s: HTTP 409 (commit failed, a requirement no "
                                 "longer holds): %s",
                                 cat, what, r->message);
        return i2i_error_set(err, I2I_ERR_EXISTS, "catalog '%s': %s: HTTP 409 (already exists): %s",
                             cat, what, r->message);
    }
    if (c->kind == RK_COMMIT && r->status >= 500)
        return i2i_error_set(err, I2I_ERR_UNKNOWN,
                             "catalog '%s': %s: HTTP %ld: %s; the commit may or may not have been "
                             "applied",
                             cat, what, r->status, r->message);
    if ((r->status == 401 || r->status == 403) && c->s->sigv4)
        return i2i_error_set(err, I2I_ERR_AUTH,
                             "catalog '%s': %s: HTTP %ld (the request was SigV4-signed for "
                             "region '%s', service '%s': check the access key id and secret, "
                             "\"rest.signing-region\" and \"rest.signing-name\"): %s",
                             cat, what, r->status, c->s->sig_region, c->s->sig_service,
                             r->message);
    if (r->status == 401 || r->status == 403)
        return i2i_error_set(err, I2I_ERR_AUTH,
                             "catalog '%s': %s: HTTP %ld (check \"token\" or \"credential\"): %s",
                             cat, what, r->status, r->message);
    if (r->status == 404)
        return i2i_error_set(err, I2I_ERR_NOT_FOUND, "catalog '%s': %s: HTTP 404: %s", cat, what,
                             r->message);
    if (r->status == 400 || r->status == 406 || r->status == 422)
        return i2i_error_set(err, I2I_ERR_HTTP, "catalog '%s': %s: HTTP %ld (request refused): %s",
                             cat, what, r->status, r->message);
    return 0;
}

static int cfg_take(const json_t *configs, const char *key, char **out, i2i_error *err)
{
    const json_t *v = json_object_get(configs, key);
    *out = NULL;
    if (!v || json_is_null(v)) return I2I_OK;
    if (!json_is_string(v))
        return i2i_error_set(err, I2I_ERR_INVALID, "catalog_configs: \"%s\" must be a string", key);
    *out = i2i_strdup(json_string_value(v));
    return *out ? I2I_OK : i2i_error_nomem(err, "catalog_configs");
}

/* ---------------------------------------------------------------- requests */

static int fetch_token(rest_state *s, i2i_error *err);

static int ensure_token(rest_state *s, int force, i2i_error *err)
{
    if (!s->oauth) return I2I_OK;
    if (!force && s->token && i2i_monotonic_ns() < s->refresh_at_ns) return I2I_OK;
    return fetch_token(s, err);
}

/* SigV4-sign a request (rest.sigv4-enabled): host, x-amz-date, x-amz-content-sha256 (the body's
 * hash), the session token and, with a body, Content-Type are signed, as botocore's SigV4Auth
 * (PyIceberg) and Java's RESTSigV4Signer sign them. The path is signed encoded twice (the rule of
 * every AWS service but S3). A fresh signature per attempt is not needed: retries of one request
 * stay well inside SigV4's 15-minute clock-skew window. */
static int rest_sign(rest_state *s, const char *method, const char *url, const char *body,
                     http_headers **hdrs, i2i_error *err)
{
    sigv4_signer sg;
    s3_sig_pair ct = {"content-type", "application/json"};
    memset(&sg, 0, sizeof sg);
    sg.region = s->sig_region;
    sg.service = s->sig_service;
    sg.access_key_id = s->sig_key_id;
    sg.secret_access_key = s->sig_secret;
    sg.session_token = s->sig_token;
    sg.double_encode_path = 1;
    return sigv4_sign_http(&sg, method, url, &ct, body ? 1 : 0, body, body ? strlen(body) : 0, 0,
                           hdrs, NULL, err);
}

/* One request; body may be NULL; *out (may be NULL) gets the parsed 2xx JSON body (NULL when
 * the body is empty). */
static int rest_call_once(rest_state *s, const char *method, const char *url, const json_t *body,
                          int kind, const char *what, json_t **out, i2i_error *err)
{
    http_headers *hdrs = NULL;
    http_request req;
    http_collect col;
    http_sink sink;
    i2i_buf reply = I2I_BUF_INIT;
    char *text = NULL;
    rest_classify_ctx cctx;
    int rc;

    if (out) *out = NULL;
    memset(&req, 0, sizeof req);
    if (body) {
        text = json_dumps(body, JSON_COMPACT | JSON_REAL_PRECISION(17));
        if (!text) return i2i_error_nomem(err, "REST request body");
    }
    rc = http_headers_add(&hdrs, "Accept", "application/json", 0, err);
    /* ask for vended credentials (REST spec; PyIceberg sends it on every request too): a server
     * that supports it answers a table's S3 keys in LoadTableResult config/storage-credentials */
    if (rc == I2I_OK)
        rc = http_headers_add(&hdrs, "X-Iceberg-Access-Delegation", "vended-credentials", 0, err);
    if (rc == I2I_OK && body)
        rc = http_headers_add(&hdrs, "Content-Type", "application/json", 0, err);
    if (rc == I2I_OK && s->token) {
        char *bearer = cat_printf("Bearer %s", s->token);
        /* SigV4 owns Authorization; a token still goes along renamed, as PyIceberg does */
        rc = bearer ? http_headers_add(&hdrs, s->sigv4 ? "Original-Authorization" : "Authorization",
                                       bearer, 1, err)
                    : i2i_error_nomem(err, "REST headers");
        free(bearer);
    }
    if (rc == I2I_OK && s->sigv4) rc = rest_sign(s, method, url, text, &hdrs, err);
    if (rc != I2I_OK) goto done;
    http_collect_sink(&col, &reply, REST_BODY_MAX, &sink);
    cctx.s = s;
    cctx.kind = kind;
    req.method = method;
    req.url = url;
    req.headers = hdrs;
    req.body = text;
    req.body_len = text ? strlen(text) : 0;
    req.sink = &sink;
    req.what = what;
    /* A create is repeated after a 5xx or timeout like a read: the server refuses a second
     * create with 409, which rest_create resolves by loading the table (rest_create_landed). */
    req.retry = kind != RK_COMMIT;
    req.classify = rest_classify;
    req.classify_ctx = &cctx;
    {
        http_stats st = {0, 0};
        rc = http_perform(s->http, &req, NULL, &st, err);
        s->last_retries += st.retries; /* rest_call resets it; a 401 repeat adds up */
    }
    if (rc == I2I_OK && out && reply.len > 0) {
        json_error_t je;
        *out = json_loadb((const char *)reply.data, reply.len, 0, &je);
        if (!*out)
            rc = i2i_error_set(err, I2I_ERR_FORMAT, "catalog '%s': %s: the reply is not JSON: %s",
                               s->ctx->name, what, je.text);
    }
done:
    http_headers_free(hdrs);
    i2i_buf_free(&reply);
    free(text);
    return rc;
}

/* A request with the catalog's auth; an OAuth2 401 refreshes the token and repeats once. A
 * commit that failed on the transport (timeout, connection lost after sending) is UNKNOWN. */
static int rest_call(rest_state *s, const char *method, const char *url, const json_t *body,
                     int kind, const char *what, json_t **out, i2i_error *err)
{
    int rc;
    I2I_TRY(ensure_token(s, 0, err));
    s->last_retries = 0;
    rc = rest_call_once(s, method, url, body, kind, what, out, err);
    if (rc == I2I_ERR_AUTH && s->oauth) {
        I2I_TRY(ensure_token(s, 1, err));
        rc = rest_call_once(s, method, url, body, kind, what, out, err);
    }
    if (kind == RK_COMMIT && (rc == I2I_ERR_TRANSIENT || rc == I2I_ERR_IO)) {
        i2i_error_wrap(err, "catalog '%s': the commit may or may not have been applied",
                       s->ctx->name);
        if (err) err->code = I2I_ERR_UNKNOWN;
        rc = I2I_ERR_UNKNOWN;
    }
    return rc;
}

/* Drop the current OAuth2 access token: wipe it and take it (and the "Bearer <token>" header
 * value http_headers_add registered) off the logger's secret registry, so a long-running service
 * that refreshes tokens does not accumulate them. Never for a static token, which belongs to the
 * configs. */
static void retire_token(rest_state *s)
{
    char *bearer;
    if (!s->oauth || !s->token) return;
    bearer = cat_printf("Bearer %s", s->token);
    if (bearer) {
        i2i_log_remove_secret(bearer);
        memset(bearer, 0, strlen(bearer));
        free(bearer);
    }
    i2i_log_remove_secret(s->token);
    memset(s->token, 0, strlen(s->token));
    free(s->token);
    s->token = NULL;
}

static int fetch_token(rest_state *s, i2i_error *err)
{
    i2i_buf form = I2I_BUF_INIT, reply = I2I_BUF_INIT;
    http_headers *hdrs = NULL;
    http_request req;
    http_collect col;
    http_sink sink;
    rest_classify_ctx cctx;
    json_t *j = NULL;
    const char *tok;
    json_int_t ttl;
    int rc;

    if (i2i_buf_append_str(&form, "grant_type=client_credentials&client_id=") != I2I_OK ||
        http_escape(&form, s->client_id, 0) != I2I_OK ||
        i2i_buf_append_str(&form, "&client_secret=") != I2I_OK ||
        http_escape(&form, s->client_secret, 0) != I2I_OK ||
        i2i_buf_append_str(&form, "&scope=") != I2I_OK || http_escape(&form, s->scope, 0) != I2I_OK) {
        rc = i2i_error_nomem(err, "OAuth2 token request");
        goto done;
    }
    rc = http_headers_add(&hdrs, "Content-Type", "application/x-www-form-urlencoded", 0, err);
    if (rc == I2I_OK) rc = http_headers_add(&hdrs, "Accept", "application/json", 0, err);
    if (rc != I2I_OK) goto done;
    http_collect_sink(&col, &reply, 1u << 20, &sink);
    memset(&req, 0, sizeof req);
    cctx.s = s;
    cctx.kind = RK_TOKEN;
    req.method = "POST";
    req.url = s->oauth_uri;
    req.headers = hdrs;
    req.body = form.data;
    req.body_len = form.len;
    req.sink = &sink;
    req.what = "OAuth2 token request (client credentials)";
    req.retry = 1;
    req.classify = rest_classify;
    req.classify_ctx = &cctx;
    rc = http_perform(s->http, &req, NULL, NULL, err);
    if (rc != I2I_OK) goto done;
    j = json_loadb((const char *)reply.data, reply.len, 0, NULL);
    tok = json_string_value(json_object_get(j, "access_token"));
    if (!tok || !*tok) {
        rc = i2i_error_set(err, I2I_ERR_AUTH,
                           "catalog '%s': the OAuth2 token reply has no access_token",
                           s->ctx->name);
        goto done;
    }
    retire_token(s);
    i2i_log_add_secret(tok);
    s->token = i2i_strdup(tok);
    if (!s->token) {
        rc = i2i_error_nomem(err, "OAuth2 token");
        goto done;
    }
    ttl = json_integer_value(json_object_get(j, "expires_in"));
    if (ttl <= 0) ttl = 3600;
    s->refresh_at_ns = i2i_monotonic_ns() +
                       (ttl < 120 ? ttl * 500000000LL : (ttl - 60) * 1000000000LL);
    I2I_DEBUG("catalog '%s': OAuth2 token obtained (expires in %lld s)", s->ctx->name,
              (long long)ttl);
done:
    json_decref(j);
    http_headers_free(hdrs);
    /* the form holds the client secret: wipe it */
    if (form.data) memset(form.data, 0, form.cap);
    i2i_buf_free(&form);
    i2i_buf_free(&reply);
    return rc;
}

/* ---------------------------------------------------------------- URLs */

/* <base>/v1<prefix>/namespaces[/<ns levels joined by %1F or the server's
 * namespace-separator>[/tables[/<table>]]] */
static char *ns_url(rest_state *s, const char *ns, int tables, const char *table)
{
    i2i_buf u = I2I_BUF_INIT;
    int ok = i2i_buf_printf(&u, "%s/v1%s/namespaces", s->base, s->prefix) == I2I_OK;
    if (ok && ns) {
        const char *p = ns, *dot;
        ok = i2i_buf_append_str(&u, "/") == I2I_OK;
        while (ok) {
            char *level;
            dot = strchr(p, '.');
            level = i2i_strndup(p, dot ? (size_t)(dot - p) : strlen(p));
            ok = level && http_escape(&u, level, 0) == I2I_OK;
            free(level);
            if (!ok || !dot) break;
            ok = i2i_buf_append_str(&u, s->ns_sep ? s->ns_sep : "%1F") == I2I_OK;
            p = dot + 1;
        }
    }
    if (ok && tables) ok = i2i_buf_append_str(&u, "/tables") == I2I_OK;
    if (ok && table) ok = i2i_buf_append_str(&u, "/") == I2I_OK && http_escape(&u, table, 0) == I2I_OK;
    if (!ok || !i2i_buf_cstr(&u)) {
        i2i_buf_free(&u);
        return NULL;
    }
    return (char *)i2i_buf_detach(&u, NULL);
}

/* "a.b" -> ["a", "b"] */
static json_t *ns_levels(const char *ns)
{
    json_t *arr = json_array();
    const char *p = ns, *dot;
    while (arr) {
        dot = strchr(p, '.');
        if (json_array_append_new(arr, json_stringn(p, dot ? (size_t)(dot - p) : strlen(p))) != 0) {
            json_decref(arr);
            return NULL;
        }
        if (!dot) break;
        p = dot + 1;
    }
    return arr;
}

/* ---------------------------------------------------------------- operations */

/* The FileIO keys a LoadTableResult hands out for its table (REST spec 1.6+, as PyIceberg and
 * Java use them): "config", overlaid by the "storage-credentials" entry whose prefix is the
 * longest one the table's location starts with (the spec says a matching storage credential
 * wins over config). String values (the spec's map<string, string>) and, leniently, booleans
 * (storage reads "true"/"false" either way); anything else is skipped. Secrets among them
 * are registered with the logger at once. out->config stays NULL when there is nothing. */
static int take_table_config(rest_state *s, const json_t *j, catalog_table *out, i2i_error *err)
{
    const json_t *cfg = json_object_get(j, "config"), *creds = json_object_get(j, "storage-credentials");
    const char *loc = json_string_value(json_object_get(out->metadata, "location"));
    const json_t *best = NULL, *e;
    json_t *v;
    size_t best_len = 0, i;
    const char *key;
    json_t *merged = json_object();
    if (!merged) return i2i_error_nomem(err, "table config");
    json_array_foreach(creds, i, e)
    {
        const char *prefix = json_string_value(json_object_get(e, "prefix"));
        size_t n = prefix ? strlen(prefix) : 0;
        if (loc && prefix && strncmp(loc, prefix, n) == 0 && (!best || n > best_len)) {
            best = json_object_get(e, "config");
            best_len = n;
        }
    }
    json_object_foreach((json_t *)cfg, key, v)
    {
        if ((json_is_string(v) || json_is_boolean(v)) && json_object_set(merged, key, v) != 0)
            goto nomem;
    }
    json_object_foreach((json_t *)best, key, v)
    {
        if ((json_is_string(v) || json_is_boolean(v)) && json_object_set(merged, key, v) != 0)
            goto nomem;
    }
    if (json_object_size(merged) == 0) {
        json_decref(merged);
        return I2I_OK;
    }
    cat_register_secrets(merged);
    json_decref(out->config);
    out->config = merged;
    I2I_DEBUG("catalog '%s': table config from the server: %zu key(s)%s", s->ctx->name,
              json_object_size(merged), best ? " (with a storage credential)" : "");
    return I2I_OK;
nomem:
    json_decref(merged);
    return i2i_error_nomem(err, "table config");
}

/* A LoadTableResult / CommitTableResponse into out. */
static int take_result(rest_state *s, json_t *j, const char *what, catalog_table *out,
                       i2i_error *err)
{
    const char *loc = json_string_value(json_object_get(j, "metadata-location"));
    json_t *md = json_object_get(j, "metadata");
    if (!loc || !json_is_object(md))
        return i2i_error_set(err, I2I_ERR_FORMAT,
                             "catalog '%s': %s: the reply lacks metadata-location or metadata",
                             s->ctx->name, what);
    I2I_TRY(cat_table_set(out, loc, md, err));
    return take_table_config(s, j, out, err);
}

static int rest_load(void *state, const char *ns, const char *table, catalog_table *out,
                     i2i_error *err)
{
    rest_state *s = state;
    char *url = ns_url(s, ns, 1, table), *what = cat_printf("load table '%s.%s'", ns, table);
    json_t *j = NULL;
    int rc;
    if (!url || !what) {
        rc = i2i_error_nomem(err, "load table");
        goto done;
    }
    rc = rest_call(s, "GET", url, NULL, RK_READ, what, &j, err);
    if (rc == I2I_OK) rc = take_result(s, j, what, out, err);
done:
    json_decref(j);
    free(url);
    free(what);
    return rc;
}

static int rest_ensure_namespace(void *state, const char *ns, i2i_error *err)
{
    rest_state *s = state;
    char *url = ns_url(s, ns, 0, NULL), *list_url = ns_url(s, NULL, 0, NULL);
    char *what = cat_printf("namespace '%s'", ns);
    json_t *levels = ns_levels(ns), *body = NULL;
    size_t n, i;
    int rc;
    if (!url || !list_url || !what || !levels) {
        rc = i2i_error_nomem(err, "namespace");
        goto done;
    }
    rc = rest_call(s, "GET", url, NULL, RK_READ, what, NULL, err);
    if (rc != I2I_ERR_NOT_FOUND) goto done;
    /* create each level (servers want a parent before its children); existing ones are fine */
    n = json_array_size(levels);
    for (i = 1; i <= n; i++) {
        json_t *prefix = json_array();
        size_t k;
        for (k = 0; prefix && k < i; k++)
            if (json_array_append(prefix, json_array_get(levels, k)) != 0) {
                json_decref(prefix);
                prefix = NULL;
            }
        body = prefix ? json_pack("{s:o, s:{}}", "namespace", prefix, "properties") : NULL;
        if (!body) {
            rc = i2i_error_nomem(err, "namespace");
            goto done;
        }
        rc = rest_call(s, "POST", list_url, body, RK_NAMESPACE, what, NULL, err);
        json_decref(body);
        body = NULL;
        if (rc == I2I_ERR_EXISTS) {
            i2i_error_clear(err);
            rc = I2I_OK;
        }
        if (rc != I2I_OK) goto done;
    }
done:
    json_decref(levels);
    free(url);
    free(list_url);
    free(what);
    return rc;
}

/* The element of md[list] whose md[idkey] equals its [id_field]. */
static json_t *pick(const json_t *md, const char *list, const char *id_field, const char *idkey)
{
    json_t *arr = json_object_get(md, list), *e;
    json_int_t want = json_integer_value(json_object_get(md, idkey));
    size_t i;
    json_array_foreach(arr, i, e)
    {
        if (json_integer_value(json_object_get(e, id_field)) == want) return e;
    }
    return NULL;
}

/* Whether the table's current schema has every field of the one we sent (same id, name, type,
 * required), its default spec the fields we sent, and its location the one we asked for. */
static int same_as_requested(const json_t *md, const json_t *sent)
{
    const json_t *want_loc = json_object_get(sent, "location"), *f, *g;
    const json_t *have_schema = pick(md, "schemas", "schema-id", "current-schema-id");
    const json_t *have_spec = pick(md, "partition-specs", "spec-id", "default-spec-id");
    const json_t *want_spec = json_object_get(sent, "partition-spec");
    size_t i, k;
    if (want_loc) {
        const char *a = json_string_value(want_loc), *b = json_string_value(json_object_get(md, "location"));
        size_t na = a ? strlen(a) : 0, nb = b ? strlen(b) : 0;
        while (na > 0 && a[na - 1] == '/') na--;
        while (nb > 0 && b[nb - 1] == '/') nb--;
        if (!a || !b || na != nb || strncmp(a, b, na) != 0) return 0;
    }
    json_array_foreach(json_object_get(json_object_get(sent, "schema"), "fields"), i, f)
    {
        int found = 0;
        json_array_foreach(json_object_get(have_schema, "fields"), k, g)
        {
            if (json_equal(json_object_get(f, "name"), json_object_get(g, "name")) &&
                json_equal(json_object_get(f, "id"), json_object_get(g, "id")) &&
                json_equal(json_object_get(f, "type"), json_object_get(g, "type")) &&
                json_is_true(json_object_get(f, "required")) ==
                    json_is_true(json_object_get(g, "required")))
                found = 1;
        }
        if (!found) return 0;
    }
    if (json_array_size(json_object_get(want_spec, "fields")) !=
        json_array_size(json_object_get(have_spec, "fields")))
        return 0;
    json_array_foreach(json_object_get(want_spec, "fields"), i, f)
    {
        g = json_array_get(json_object_get(have_spec, "fields"), i);
        if (!json_equal(json_object_get(f, "source-id"), json_object_get(g, "source-id")) ||
            !json_equal(json_object_get(f, "transform"), json_object_get(g, "transform")))
            return 0;
    }
    return 1;
}

/* A create was repeated after a 5xx or timeout and the repeat met 409: the first attempt may
 * have created the table. Load it; when it is what we asked for (location, schema, spec) and has
 * no snapshots yet, it is taken as created by us; anything else stays I2I_ERR_EXISTS (another
 * writer's table: the caller loads and checks it as it does after losing a create race). */
static int rest_create_landed(rest_state *s, const char *ns, const char *table,
                              const json_t *sent, catalog_table *out, i2i_error *err)
{
    catalog_table t = {0};
    i2i_error e2;
    int rc;
    i2i_error_clear(&e2);
    rc = rest_load(s, ns, table, &t, &e2);
    if (rc != I2I_OK) {
        catalog_table_clear(&t);
        if (err) *err = e2;
        return CAT_WRAP(rc, err,
                        "create table '%s.%s': repeated after a 5xx or timeout, it met 409; "
                        "loading the table failed",
                        ns, table);
    }
    if (!same_as_requested(t.metadata, sent) ||
        json_array_size(json_object_get(t.metadata, "snapshots")) > 0) {
        catalog_table_clear(&t);
        return i2i_error_set(err, I2I_ERR_EXISTS,
                             "catalog '%s': create table '%s.%s': repeated after a 5xx or "
                             "timeout, it met 409 (already exists), and the table there is not "
                             "the one requested (its location, schema or partition spec differ, "
                             "or it has snapshots)",
                             s->ctx->name, ns, table);
    }
    I2I_INFO("catalog '%s': create table '%s.%s': an earlier attempt (5xx or timeout) had "
             "created it; using that table",
             s->ctx->name, ns, table);
    i2i_error_clear(err);
    catalog_table_clear(out);
    *out = t;
    return I2I_OK;
}

static int rest_create(rest_state *s, const char *ns, const char *table, const json_t *md,
                       catalog_table *out, i2i_error *err)
{
    char *url = ns_url(s, ns, 1, NULL), *what = cat_printf("create table '%s.%s'", ns, table);
    json_t *schema = pick(md, "schemas", "schema-id", "current-schema-id");
    json_t *spec = pick(md, "partition-specs", "spec-id", "default-spec-id");
    json_t *order = pick(md, "sort-orders", "order-id", "default-sort-order-id");
    json_t *props = json_deep_copy(json_object_get(md, "properties"));
    json_t *body = NULL, *j = NULL;
    const char *loc;
    int rc;
    if (!props) props = json_object();
    if (!url || !what || !props) {
        rc = i2i_error_nomem(err, "create table");
        goto done;
    }
    if (!schema) {
        rc = i2i_error_set(err, I2I_ERR_INTERNAL, "create table '%s.%s': no current schema", ns,
                           table);
        goto done;
    }
    /* The REST create request carries the format version as a property (PyIceberg, Java). */
    if (json_object_set_new(props, "format-version",
                            json_sprintf("%d", (int)json_integer_value(
                                                   json_object_get(md, "format-version")))) != 0) {
        rc = i2i_error_nomem(err, "create table");
        goto done;
    }
    body = json_pack("{s:s, s:O, s:O, s:b}", "name", table, "schema", schema, "properties", props,
                     "stage-create", 0);
    loc = json_string_value(json_object_get(md, "location"));
    if (!body || (loc && json_object_set_new(body, "location", json_string(loc)) != 0) ||
        (spec && json_object_set(body, "partition-spec", spec) != 0) ||
        (order && json_object_set(body, "write-order", order) != 0)) {
        rc = i2i_error_nomem(err, "create table");
        goto done;
    }
    rc = rest_call(s, "POST", url, body, RK_CREATE, what, &j, err);
    if (rc == I2I_ERR_EXISTS && s->last_retries > 0)
        rc = rest_create_landed(s, ns, table, body, out, err);
    else if (rc == I2I_OK)
        rc = take_result(s, j, what, out, err);
done:
    json_decref(props);
    json_decref(body);
    json_decref(j);
    free(url);
    free(what);
    return rc;
}

static int rest_commit(void *state, const char *ns, const char *table,
                       const catalog_commit_request *req, catalog_table *out, i2i_error *err)
{
    rest_state *s = state;
    char *url, *what;
    json_t *body = NULL, *levels, *j = NULL;
    int rc;

    if (!req->base) return rest_create(s, ns, table, req->new_metadata, out, err);
    if (!req->requirements || !req->updates)
        return i2i_error_set(err, I2I_ERR_INTERNAL,
                             "catalog '%s': commit of '%s.%s' without REST requirements/updates",
                             s->ctx->name, ns, table);
    url = ns_url(s, ns, 1, table);
    what = cat_printf("commit to table '%s.%s'", ns, table);
    levels = ns_levels(ns);
    if (url && what && levels)
        body = json_pack("{s:{s:O, s:s}, s:O, s:O}", "identifier", "namespace", levels, "name",
                         table, "requirements", req->requirements, "updates", req->updates);
    if (!body) {
        rc = i2i_error_nomem(err, "commit");
        goto done;
    }
    /* test faults: "rest.before-commit" (nothing sent), "rest.after-commit" (applied, the reply
     * lost) */
    rc = i2i_fault_at(s->ctx->fault, "rest.before-commit", err);
    if (rc == I2I_OK) rc = rest_call(s, "POST", url, body, RK_COMMIT, what, &j, err);
    if (rc == I2I_OK) rc = i2i_fault_at(s->ctx->fault, "rest.after-commit", err);
    if (rc == I2I_OK) rc = take_result(s, j, what, out, err);
    /* a CommitTableResponse carries no config: the table keeps the one it was loaded with */
    if (rc == I2I_OK && !out->config && req->base->config) {
        out->config = json_deep_copy(req->base->config);
        if (!out->config) rc = i2i_error_nomem(err, "commit");
    }
done:
    json_decref(levels);
    json_decref(body);
    json_decref(j);
    free(url);
    free(what);
    return rc;
}

static int rest_default_location(void *state, const char *ns, const char *table, char **out,
                                 i2i_error *err)
{
    rest_state *s = state;
    char *nsp, *dir;
    *out = NULL;
    /* No warehouse here nor in /v1/config: the create request goes without a location and the
     * server places the table (the REST spec's optional location; Iceberg's own server does). */
    if (!s->ctx->warehouse) return I2I_OK;
    nsp = cat_ns_path(ns);
    dir = nsp ? cat_join(s->ctx->warehouse, nsp) : NULL;
    *out = dir ? cat_join(dir, table) : NULL;
    free(nsp);
    free(dir);
    return *out ? I2I_OK : i2i_error_nomem(err, "default location");
}

static int rest_drop(void *state, const char *ns, const char *table, i2i_error *err)
{
    rest_state *s = state;
    char *url = ns_url(s, ns, 1, table), *what = cat_printf("drop table '%s.%s'", ns, table);
    int rc = url && what ? rest_call(s, "DELETE", url, NULL, RK_READ, what, NULL, err)
                         : i2i_error_nomem(err, "drop table");
    free(url);
    free(what);
    return rc;
}

static void rest_close(void *state)
{
    rest_state *s = state;
    if (!s) return;
    http_client_close(s->http);
    cat_ctx_free(s->ctx);
    free(s->base);
    free(s->prefix);
    retire_token(s);
    free(s->ns_sep);
    free(s->token);
    free(s->client_id);
    if (s->client_secret) memset(s->client_secret, 0, strlen(s->client_secret));
    free(s->client_secret);
    free(s->oauth_uri);
    free(s->scope);
    free(s->sig_region);
    free(s->sig_service);
    free(s->sig_key_id);
    if (s->sig_secret) memset(s->sig_secret, 0, strlen(s->sig_secret));
    free(s->sig_secret);
    if (s->sig_token) memset(s->sig_token, 0, strlen(s->sig_token));
    free(s->sig_token);
    free(s);
}

static void rest_set_cancel(void *state, const volatile int *cancel)
{
    rest_state *s = state;
    http_client_set_cancel(s->http, cancel);
}

static const catalog_ops REST_OPS = {
    "rest", rest_load, rest_ensure_namespace, rest_commit, rest_default_location, rest_drop,
    rest_close, rest_set_cancel,
};

/* ---------------------------------------------------------------- open */

/* GET /v1/config: overrides > client keys > defaults, for prefix and warehouse. */
static int load_config(rest_state *s, const json_t *configs, i2i_error *err)
{
    i2i_buf u = I2I_BUF_INIT;
    const char *wh = json_string_value(json_object_get(configs, "warehouse"));
    const char *prefix;
    json_t *j = NULL, *ov, *df;
    int rc;
    if (i2i_buf_printf(&u, "%s/v1/config", s->base) != I2I_OK ||
        (wh && (i2i_buf_append_str(&u, "?warehouse=") != I2I_OK || http_escape(&u, wh, 0) != I2I_OK)) ||
        !i2i_buf_cstr(&u)) {
        i2i_buf_free(&u);
        return i2i_error_nomem(err, "REST config");
    }
    rc = rest_call(s, "GET", i2i_buf_cstr(&u), NULL, RK_READ, "GET /v1/config", &j, err);
    i2i_buf_free(&u);
    if (rc != I2I_OK) return rc;
    ov = json_object_get(j, "overrides");
    df = json_object_get(j, "defaults");
    prefix = json_string_value(json_object_get(ov, "prefix"));
    if (!prefix) prefix = json_string_value(json_object_get(configs, "prefix"));
    if (!prefix) prefix = json_string_value(json_object_get(df, "prefix"));
    if (prefix && *prefix) {
        i2i_buf p = I2I_BUF_INIT;
        if (i2i_buf_append_str(&p, "/") != I2I_OK || http_escape(&p, prefix, 0) != I2I_OK ||
            !i2i_buf_cstr(&p)) {
            i2i_buf_free(&p);
            json_decref(j);
            return i2i_error_nomem(err, "REST config");
        }
        free(s->prefix);
        s->prefix = (char *)i2i_buf_detach(&p, NULL);
    }
    /* the separator of namespace levels in paths: Iceberg's own server (1.11) announces "%2E"
     * and refuses the default %1F; taken as sent (URL-encoded) when it is a plain path piece */
    {
        static const char path_safe[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                        "0123456789%-._~";
        const char *sep = json_string_value(json_object_get(ov, "namespace-separator"));
        if (!sep) sep = json_string_value(json_object_get(df, "namespace-separator"));
        if (sep && *sep && strspn(sep, path_safe) == strlen(sep)) {
            char *copy = i2i_strdup(sep);
            if (!copy) {
                json_decref(j);
                return i2i_error_nomem(err, "REST config");
            }
            free(s->ns_sep);
            s->ns_sep = copy;
        } else if (sep) {
            I2I_WARN("catalog '%s': ignoring the server's namespace-separator '%s'", s->ctx->name,
                     sep);
        }
    }
    /* a warehouse location the server insists on (or offers when we have none) */
    {
        const char *swh = json_string_value(json_object_get(ov, "warehouse"));
        if (!swh && !s->ctx->warehouse) swh = json_string_value(json_object_get(df, "warehouse"));
        if (swh && strstr(swh, "://")) {
            char *copy = i2i_strdup(swh);
            size_t n;
            if (!copy) {
                json_decref(j);
                return i2i_error_nomem(err, "REST config");
            }
            n = strlen(copy);
            while (n > 0 && copy[n - 1] == '/') copy[--n] = '\0';
            free(s->ctx->warehouse);
            s->ctx->warehouse = copy;
        }
    }
    json_decref(j);
    return I2I_OK;
}

/* The first non-empty string among configs[keys[i]], else the first set environment variable
 * among envs (NULL-terminated lists; either may be NULL). */
static const char *first_value(const json_t *configs, const char *const *keys,
                               const char *const *envs)
{
    const char *v;
    for (; keys && *keys; keys++)
        if ((v = json_string_value(json_object_get(configs, *keys))) && *v) return v;
    for (; envs && *envs; envs++)
        if ((v = getenv(*envs)) && *v) return v;
    return NULL;
}

/* rest.sigv4-enabled: sign every request with SigV4 (AWS Glue's REST endpoint, S3 Tables, API
 * Gateway). Keys, first found wins:
 *   region   rest.signing-region, client.region, s3.region, AWS_REGION, AWS_DEFAULT_REGION
 *   service  rest.signing-name (default "execute-api")
 *   keys     rest.access-key-id (Java's), client.access-key-id (PyIceberg's), s3.access-key-id,
 *            then AWS_ACCESS_KEY_ID; the secret and session token are taken from the same
 *            family as the key id (a key id from the configs is never paired with a secret from
 *            the environment, as for S3 storage).
 * PyIceberg reads client.* and then boto's default chain (environment, profiles, instance
 * roles); profiles and instance roles are not read here. */
static int rest_sigv4_open(rest_state *s, const json_t *configs, i2i_error *err)
{
    static const char *const region_keys[] = {"rest.signing-region", "client.region", "s3.region",
                                              NULL};
    static const char *const region_envs[] = {"AWS_REGION", "AWS_DEFAULT_REGION", NULL};
    static const char *const families[] = {"rest.", "client.", "s3."};
    const json_t *on = json_object_get(configs, "rest.sigv4-enabled");
    const char *region, *service, *key = NULL, *secret = NULL, *token = NULL;
    size_t i;
    if (!on || json_is_false(on) || json_is_null(on) ||
        (json_is_string(on) && strcasecmp(json_string_value(on), "false") == 0))
        return I2I_OK;
    if (!json_is_true(on) &&
        !(json_is_string(on) && strcasecmp(json_string_value(on), "true") == 0))
        return i2i_error_set(err, I2I_ERR_INVALID,
                             "catalog '%s': \"rest.sigv4-enabled\" must be true or false",
                             s->ctx->name);
    region = first_value(configs, region_keys, region_envs);
    service = json_string_value(json_object_get(configs, "rest.signing-name"));
    if (!service || !*service) service = "execute-api";
    for (i = 0; i < sizeof families / sizeof families[0] && !key; i++) {
        char k[48], sk[48], tk[48];
        const char *kk[2] = {k, NULL}, *ss[2] = {sk, NULL}, *tt[2] = {tk, NULL};
        snprintf(k, sizeof k, "%saccess-key-id", families[i]);
        snprintf(sk, sizeof sk, "%ssecret-access-key", families[i]);
        snprintf(tk, sizeof tk, "%ssession-token", families[i]);
        if ((key = first_value(configs, kk, NULL)) != NULL) {
            secret = first_value(configs, ss, NULL);
            token = first_value(configs, tt, NULL);
        }
    }
    if (!key) {
        static const char *const ek[] = {"AWS_ACCESS_KEY_ID", NULL};
        static const char *const es[] = {"AWS_SECRET_ACCESS_KEY", NULL};
        static const char *const et[] = {"AWS_SESSION_TOKEN", NULL};
        key = first_value(NULL, NULL, ek);
        secret = first_value(NULL, NULL, es);
        token = first_value(NULL, NULL, et);
    }
    if (!region)
        return i2i_error_set(err, I2I_ERR_INVALID,
                             "catalog '%s': \"rest.sigv4-enabled\" needs a region: set "
                             "\"rest.signing-region\" (or client.region, s3.region, AWS_REGION)",
                             s->ctx->name);
    if (!key || !secret)
        return i2i_error_set(err, I2I_ERR_AUTH,
                             "catalog '%s': \"rest.sigv4-enabled\" needs AWS credentials: set "
                             "\"rest.access-key-id\" and \"rest.secret-access-key\" (or the "
                             "client.* / s3.* keys, or AWS_ACCESS_KEY_ID and "
                             "AWS_SECRET_ACCESS_KEY)",
                             s->ctx->name);
    s->sig_region = i2i_strdup(region);
    s->sig_service = i2i_strdup(service);
    s->sig_key_id = i2i_strdup(key);
    s->sig_secret = i2i_strdup(secret);
    s->sig_token = token ? i2i_strdup(token) : NULL;
    if (!s->sig_region || !s->sig_service || !s->sig_key_id || !s->sig_secret ||
        (token && !s->sig_token))
        return i2i_error_nomem(err, "REST catalog SigV4 keys");
    /* keys from the environment were not seen by catalog_open's registration */
    i2i_log_add_secret(secret);
    if (token) i2i_log_add_secret(token);
    s->sigv4 = 1;
    I2I_DEBUG("catalog '%s': REST requests are SigV4-signed (region %s, service %s)",
              s->ctx->name, region, service);
    return I2I_OK;
}

int catalog_rest_open(cat_ctx *ctx, const json_t *configs, const char *base_dir,
                      const catalog_ops **ops, void **state, i2i_error *err)
{
    rest_state *s;
    http_config hc;
    char *uri = NULL, *cred = NULL, *timeout = NULL;
    int rc;
    (void)base_dir;

    *ops = NULL;
    *state = NULL;
    s = calloc(1, sizeof *s);
    if (!s) {
        cat_ctx_free(ctx);
        return i2i_error_nomem(err, "REST catalog");
    }
    s->ctx = ctx;
    I2I_TRY_GOTO(rest_sigv4_open(s, configs, err), rc, fail);
    I2I_TRY_GOTO(cfg_take(configs, "uri", &uri, err), rc, fail);
    if (!uri || (strncasecmp(uri, "http://", 7) != 0 && strncasecmp(uri, "https://", 8) != 0)) {
        rc = i2i_error_set(err, I2I_ERR_INVALID,
                           "catalog '%s': type rest needs \"uri\": \"http(s)://host:port[/path]\" "
                           "(the server's base, without /v1)",
                           ctx->name);
        goto fail;
    }
    {
        size_t n = strlen(uri);
        while (n > 0 && uri[n - 1] == '/') uri[--n] = '\0';
        s->base = uri;
        uri = NULL;
    }
    s->prefix = i2i_strdup("");
    if (!s->prefix) {
        rc = i2i_error_nomem(err, "REST catalog");
        goto fail;
    }
    I2I_TRY_GOTO(cfg_take(configs, "token", &s->token, err), rc, fail);
    I2I_TRY_GOTO(cfg_take(configs, "credential", &cred, err), rc, fail);
    if (s->token) i2i_log_add_secret(s->token);
    if (cred) {
        char *colon = strchr(cred, ':');
        i2i_log_add_secret(cred);
        s->oauth = 1;
        s->client_id = colon ? i2i_strndup(cred, (size_t)(colon - cred)) : i2i_strdup("");
        s->client_secret = i2i_strdup(colon ? colon + 1 : cred);
        if (s->client_secret && *s->client_secret) i2i_log_add_secret(s->client_secret);
        memset(cred, 0, strlen(cred));
        free(cred);
        cred = NULL;
        I2I_TRY_GOTO(cfg_take(configs, "oauth2-server-uri", &s->oauth_uri, err), rc, fail);
        I2I_TRY_GOTO(cfg_take(configs, "scope", &s->scope, err), rc, fail);
        if (!s->oauth_uri) s->oauth_uri = cat_printf("%s/v1/oauth/tokens", s->base);
        if (!s->scope) s->scope = i2i_strdup("catalog");
        if (!s->client_id || !s->client_secret || !s->oauth_uri || !s->scope) {
            rc = i2i_error_nomem(err, "REST catalog");
            goto fail;
        }
        /* the static token, if any, is replaced by the OAuth2 one */
        free(s->token);
        s->token = NULL;
    }
    http_config_defaults(&hc);
    hc.service = "REST catalog";
    hc.request_timeout_ms = 120000;
    I2I_TRY_GOTO(cfg_take(configs, "rest.request-timeout-ms", &timeout, err), rc, fail);
    if (timeout) {
        char *end;
        long v = strtol(timeout, &end, 10);
        int bad = *end != '\0' || v <= 0;
        free(timeout);
        if (bad) {
            rc = i2i_error_set(err, I2I_ERR_INVALID,
                               "catalog '%s': \"rest.request-timeout-ms\" must be a positive "
                               "integer",
                               ctx->name);
            goto fail;
        }
        hc.request_timeout_ms = v;
    }
    I2I_TRY_GOTO(http_client_open(&hc, &s->http, err), rc, fail);
    rc = load_config(s, configs, err);
    if (rc != I2I_OK) {
        i2i_error_wrap(err, "catalog '%s': REST catalog at %s", ctx->name, s->base);
        goto fail;
    }
    *ops = &REST_OPS;
    *state = s;
    return I2I_OK;
fail:
    free(uri);
    free(cred);
    rest_close(s);
    return rc;
}
