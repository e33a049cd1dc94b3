/*
 * The http layer against a scripted server on loopback (libmicrohttpd, in this process): each
 * request gets the next canned reply. Proves the classification of replies and transport errors,
 * retries with Retry-After and their bound, cancellable waits, bounded collected bodies, the
 * caller's classify hook, and that no password, secret header or credential in a URL reaches a
 * message.
 */
#include <microhttpd.h>
#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#include "http/http.h"
#include "test.h"

typedef struct canned {
    unsigned status;
    const char *body;
    const char *retry_after; /* NULL: no header */
} canned;

typedef struct server {
    struct MHD_Daemon *d;
    unsigned port;
    const canned *replies;
    size_t nreplies;
    size_t served; /* requests answered */
    char last_auth[256];
    char last_method[16];
    size_t last_body; /* bytes of the last request body */
} server;

static server S;
static char g_conn_marker;

static enum MHD_Result handle(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
                              const char *version, const char *upload_data, size_t *upload_data_size,
                              void **con_cls)
{
    server *s = cls;
    const canned *c;
    const char *auth;
    struct MHD_Response *resp;
    enum MHD_Result ret;
    (void)url;
    (void)version;
    (void)upload_data;
    if (!*con_cls) {
        *con_cls = &g_conn_marker;
        s->last_body = 0;
        return MHD_YES;
    }
    if (*upload_data_size) {
        s->last_body += *upload_data_size; /* counted, not looked at */
        *upload_data_size = 0;
        return MHD_YES;
    }
    snprintf(s->last_method, sizeof s->last_method, "%s", method);
    c = &s->replies[s->served < s->nreplies ? s->served : s->nreplies - 1];
    s->served++;
    auth = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Authorization");
    snprintf(s->last_auth, sizeof s->last_auth, "%s", auth ? auth : "");
    resp = MHD_create_response_from_buffer(strlen(c->body), (void *)c->body, MHD_RESPMEM_MUST_COPY);
    if (c->retry_after) MHD_add_response_header(resp, "Retry-After", c->retry_after);
    ret = MHD_queue_response(conn, c->status, resp);
    MHD_destroy_response(resp);
    return ret;
}

static int serve(const canned *replies, size_t n)
{
    const union MHD_DaemonInfo *info;
    memset(&S, 0, sizeof S);
    S.replies = replies;
    S.nreplies = n;
    S.d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD, 0, NULL, NULL, handle, &S,
                           MHD_OPTION_SOCK_ADDR, NULL, MHD_OPTION_END);
    if (!S.d) return -1;
    info = MHD_get_daemon_info(S.d, MHD_DAEMON_INFO_BIND_PORT);
    S.port = info ? info->port : 0;
    return S.port ? 0 : -1;
}

static void stop(void)
{
    if (S.d) MHD_stop_daemon(S.d);
    S.d = NULL;
}

/* A client with fast retries (3 retries, 1..4 ms). */
static http_client *client(const volatile int *cancel)
{
    http_config cfg;
    http_client *c = NULL;
    i2i_error err;
    http_config_defaults(&cfg);
    cfg.service = "Testserver";
    cfg.retry.max_retries = 3;
    cfg.retry.base_wait_ms = 1;
    cfg.retry.max_wait_ms = 4;
    cfg.retry.cancel = cancel;
    cfg.request_timeout_ms = 20000;
    if (http_client_open(&cfg, &c, &err) != I2I_OK) fprintf(stderr, "  %s\n", err.msg);
    return c;
}

static int get(http_client *c, const char *path, int retry, i2i_buf *out, size_t max, http_stats *st,
               long *status, i2i_error *err)
{
    char url[256];
    http_request r;
    http_collect col;
    http_sink sink;
    snprintf(url, sizeof url, "http://127.0.0.1:%u%s", S.port, path);
    memset(&r, 0, sizeof r);
    r.url = url;
    r.what = "fetching the thing";
    r.retry = retry;
    if (out) {
        http_collect_sink(&col, out, max, &sink);
        r.sink = &sink;
    }
    return http_perform(c, &r, status, st, err);
}

TEST(ok_body_is_collected)
{
    static const canned rep[] = {{200, "hello\n", NULL}};
    http_client *c = client(NULL);
    i2i_buf out = I2I_BUF_INIT;
    http_stats st = {0, 0};
    long status = 0;
    i2i_error err;
    REQUIRE(c && serve(rep, 1) == 0);
    CHECK_OK(get(c, "/x", 1, &out, 1024, &st, &status, &err), &err);
    CHECK_EQ_INT(status, 200);
    CHECK_EQ_INT(out.len, 6);
    CHECK_EQ_INT(st.requests, 1);
    CHECK_EQ_INT(st.retries, 0);
    i2i_buf_free(&out);
    http_client_close(c);
    stop();
}

TEST(server_errors_are_retried_until_one_passes)
{
    static const canned rep[] = {{503, "busy", "0"}, {500, "{\"message\":\"hiccup\"}", NULL}, {200, "ok\n", NULL}};
    http_client *c = client(NULL);
    i2i_buf out = I2I_BUF_INIT;
    http_stats st = {0, 0};
    i2i_error err;
    REQUIRE(c && serve(rep, 3) == 0);
    CHECK_OK(get(c, "/x", 1, &out, 1024, &st, NULL, &err), &err);
    CHECK_EQ_INT(S.served, 3);
    CHECK_EQ_INT(st.requests, 3);
    CHECK_EQ_INT(st.retries, 2);
    CHECK(out.len == 3 && memcmp(out.data, "ok\n", 3) == 0); /* failed attempts left nothing */
    i2i_buf_free(&out);
    http_client_close(c);
    stop();
}

TEST(retries_are_bounded_and_say_so)
{
    static const canned rep[] = {{502, "{\"error\":{\"message\":\"gateway down\",\"code\":502}}", NULL}};
    http_client *c = client(NULL);
    i2i_error err;
    REQUIRE(c && serve(rep, 1) == 0);
    CHECK_EQ_INT(get(c, "/x", 1, NULL, 0, NULL, NULL, &err), I2I_ERR_TRANSIENT);
    CHECK_EQ_INT(S.served, 4); /* 1 + 3 retries */
    CHECK(strstr(err.msg, "giving up after 4 attempts: fetching the thing: HTTP 502: gateway down") != NULL);
    http_client_close(c);
    stop();
}

TEST(client_errors_are_not_retried)
{
    static const canned rep[] = {{401, "{\"error\":\"no\"}", NULL}, {404, "gone", NULL}, {400, "bad", NULL}};
    http_client *c = client(NULL);
    i2i_error err;
    REQUIRE(c && serve(rep, 3) == 0);
    CHECK_EQ_INT(get(c, "/x", 1, NULL, 0, NULL, NULL, &err), I2I_ERR_AUTH);
    CHECK(strstr(err.msg, "HTTP 401: no") != NULL);
    CHECK_EQ_INT(get(c, "/x", 1, NULL, 0, NULL, NULL, &err), I2I_ERR_NOT_FOUND);
    CHECK_EQ_INT(get(c, "/x", 1, NULL, 0, NULL, NULL, &err), I2I_ERR_HTTP);
    CHECK(strstr(err.msg, "HTTP 400: bad") != NULL);
    CHECK_EQ_INT(S.served, 3);
    http_client_close(c);
    stop();
}

TEST(requests_not_marked_for_retry_are_tried_once)
{
    static const canned rep[] = {{503, "busy", NULL}};
    http_client *c = client(NULL);
    i2i_error err;
    REQUIRE(c && serve(rep, 1) == 0);
    CHECK_EQ_INT(get(c, "/x", 0, NULL, 0, NULL, NULL, &err), I2I_ERR_TRANSIENT);
    CHECK_EQ_INT(S.served, 1);
    http_client_close(c);
    stop();
}

static int refuse_teapot(void *ctx, const http_reply *r, const char *what, i2i_error *err)
{
    (void)ctx;
    if (r->status == 503 && strstr(r->message, "plan"))
        return i2i_error_set(err, I2I_ERR_HTTP, "%s: the plan is wrong (%s)", what, r->message);
    return 0;
}

TEST(classify_hook_decides_first)
{
    static const canned rep[] = {{503, "plan error", NULL}};
    http_client *c = client(NULL);
    char url[128];
    http_request r;
    i2i_error err;
    REQUIRE(c && serve(rep, 1) == 0);
    snprintf(url, sizeof url, "http://127.0.0.1:%u/q", S.port);
    memset(&r, 0, sizeof r);
    r.url = url;
    r.what = "query";
    r.retry = 1;
    r.classify = refuse_teapot;
    CHECK_EQ_INT(http_perform(c, &r, NULL, NULL, &err), I2I_ERR_HTTP);
    CHECK(strstr(err.msg, "query: the plan is wrong (plan error)") != NULL);
    CHECK_EQ_INT(S.served, 1);
    http_client_close(c);
    stop();
}

TEST(collected_bodies_are_bounded)
{
    static const canned rep[] = {{200, "0123456789012345678901234567890123456789\n", NULL}};
    http_client *c = client(NULL);
    i2i_buf out = I2I_BUF_INIT;
    i2i_error err;
    REQUIRE(c && serve(rep, 1) == 0);
    CHECK_EQ_INT(get(c, "/x", 1, &out, 16, NULL, NULL, &err), I2I_ERR_RANGE);
    CHECK_EQ_INT(S.served, 1); /* the sink's own error is never retried */
    i2i_buf_free(&out);
    http_client_close(c);
    stop();
}

static void *raise_later(void *flag)
{
    struct timespec ts = {0, 300 * 1000000L};
    nanosleep(&ts, NULL);
    *(volatile int *)flag = 1;
    return NULL;
}

/* The server answers `status` with Retry-After: 30; a cancel raised 300 ms later must end the
 * client's 30 s wait (one request served, CANCELLED well before 5 s). With after_open the flag is
 * handed over after the client was opened (http_client_set_cancel), as a job's flag reaches a
 * catalog's or storage's client. */
static void cancel_ends_a_retry_after_wait(int status, int after_open)
{
    canned rep[1] = {{status, "slow down", "30"}};
    volatile int cancel = 0;
    http_config cfg;
    http_client *c = NULL;
    pthread_t th;
    int64_t t0;
    i2i_error err;
    http_config_defaults(&cfg);
    cfg.retry.max_retries = 2;
    cfg.retry.base_wait_ms = 1;
    cfg.retry.max_wait_ms = 60000;
    if (!after_open) cfg.retry.cancel = &cancel;
    REQUIRE_OK(http_client_open(&cfg, &c, &err), &err);
    if (after_open) http_client_set_cancel(c, &cancel);
    REQUIRE(serve(rep, 1) == 0);
    CHECK_EQ_INT(i2i_retry_delay_ms(&cfg.retry, 0, 30000), 30000);
    t0 = i2i_monotonic_ns();
    REQUIRE(pthread_create(&th, NULL, raise_later, (void *)&cancel) == 0);
    CHECK_EQ_INT(get(c, "/x", 1, NULL, 0, NULL, NULL, &err), I2I_ERR_CANCELLED);
    pthread_join(th, NULL);
    CHECK(i2i_monotonic_ns() - t0 < 5 * I2I_NS_PER_S);
    CHECK_EQ_INT(S.served, 1);
    http_client_close(c);
    stop();
}

TEST(retry_after_is_honoured_and_a_cancel_ends_the_wait)
{
    /* Without Retry-After the 1 ms backoff would use up both retries at once (3 requests). */
    cancel_ends_a_retry_after_wait(429, 0);
}

TEST(a_cancel_flag_set_after_open_ends_the_wait)
{
    cancel_ends_a_retry_after_wait(503, 1);
}

TEST(transport_errors_name_the_server_without_its_password)
{
    http_client *c = client(NULL);
    http_headers *h = NULL;
    http_request r;
    i2i_error err;
    REQUIRE(c);
    REQUIRE_OK(http_headers_add(&h, "Authorization", "Bearer sekret-header-value", 1, &err), &err);
    memset(&r, 0, sizeof r);
    /* port 1 on loopback: nothing listens there */
    r.url = "http://alice:pa55word-in-url@127.0.0.1:1/v1/thing?X-Amz-Signature=abcdef123&part=2";
    r.what = "fetching";
    r.headers = h;
    r.retry = 0;
    CHECK_EQ_INT(http_perform(c, &r, NULL, NULL, &err), I2I_ERR_TRANSIENT);
    CHECK(strstr(err.msg, "cannot get a response from Testserver at http://alice:***@127.0.0.1:1/v1/thing?"
                          "X-Amz-Signature=***&part=2") != NULL);
    CHECK(strstr(err.msg, "pa55word") == NULL);
    CHECK(strstr(err.msg, "abcdef123") == NULL);
    /* a secret header's value is registered: it is scrubbed from any message */
    i2i_error_set(&err, I2I_ERR_HTTP, "echo: Bearer sekret-header-value");
    CHECK(strstr(err.msg, "sekret-header-value") == NULL);
    http_headers_free(h);
    http_client_close(c);
}

static int needs_final_newline(void *ctx, i2i_error *err)
{
    const http_collect *c = ctx;
    if (c->out->len && c->out->data[c->out->len - 1] != '\n')
        return i2i_error_set(err, I2I_ERR_FORMAT, "no final newline");
    return I2I_OK;
}

TEST(a_body_the_sink_finds_cut_is_retried)
{
    static const canned rep[] = {{200, "{\"a\":1}", NULL}, {200, "{\"a\":1}\n", NULL}};
    http_client *c = client(NULL);
    i2i_buf out = I2I_BUF_INIT;
    http_collect col;
    http_sink sink;
    http_request r;
    http_stats st = {0, 0};
    char url[128];
    i2i_error err;
    REQUIRE(c && serve(rep, 2) == 0);
    snprintf(url, sizeof url, "http://127.0.0.1:%u/q", S.port);
    http_collect_sink(&col, &out, 1024, &sink);
    sink.end = needs_final_newline;
    memset(&r, 0, sizeof r);
    r.url = url;
    r.what = "reading";
    r.retry = 1;
    r.sink = &sink;
    CHECK_OK(http_perform(c, &r, NULL, &st, &err), &err);
    CHECK_EQ_INT(S.served, 2);
    CHECK_EQ_INT(st.retries, 1);
    CHECK_EQ_INT(out.len, 8);
    http_client_close(c);
    i2i_buf_free(&out);
    stop();
}

TEST(methods_and_bodies_go_out_as_asked)
{
    static const canned rep[] = {{204, "", NULL}};
    static const struct {
        const char *method, *body, *sent;
    } cases[] = {{NULL, NULL, "GET"}, {NULL, "abc", "POST"}, {"PUT", "abcd", "PUT"},
                 {"DELETE", NULL, "DELETE"}, {"HEAD", NULL, "HEAD"}, {"POST", NULL, "POST"}};
    http_client *c = client(NULL);
    char url[128];
    size_t i;
    i2i_error err;
    REQUIRE(c && serve(rep, 1) == 0);
    snprintf(url, sizeof url, "http://127.0.0.1:%u/m", S.port);
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        http_request r;
        memset(&r, 0, sizeof r);
        r.url = url;
        r.what = cases[i].sent;
        r.method = cases[i].method;
        r.body = cases[i].body;
        r.body_len = cases[i].body ? strlen(cases[i].body) : 0;
        CHECK_OK(http_perform(c, &r, NULL, NULL, &err), &err);
        CHECK_EQ_STR(S.last_method, cases[i].sent);
        CHECK_EQ_INT(S.last_body, r.body_len);
    }
    http_client_close(c);
    stop();
}

TEST(urls_are_redacted_and_values_escaped)
{
    i2i_buf b = I2I_BUF_INIT;
    CHECK_EQ_INT(http_redact_url("https://u:p@h/x?token=t1&a=b&api_key=k#frag", &b), 0);
    CHECK_EQ_STR(i2i_buf_cstr(&b), "https://u:***@h/x?token=***&a=b&api_key=***#frag");
    i2i_buf_reset(&b);
    CHECK_EQ_INT(http_redact_url("http://user@h:81/p", &b), 0);
    CHECK_EQ_STR(i2i_buf_cstr(&b), "http://user@h:81/p");
    i2i_buf_reset(&b);
    CHECK_EQ_INT(http_redact_url("http://h/p?x=1", &b), 0);
    CHECK_EQ_STR(i2i_buf_cstr(&b), "http://h/p?x=1");
    i2i_buf_reset(&b);
    CHECK_EQ_INT(http_escape(&b, "a b/ü&=", 0), 0);
    CHECK_EQ_STR(i2i_buf_cstr(&b), "a%20b%2F%C3%BC%26%3D");
    i2i_buf_free(&b);
}
