/* Log lines of the service: one JSON object per line on stderr (time, level, job, task, window,
 * message), or plain text; optionally also written to an InfluxDB 3 table with write_lp, for users
 * who read logs where the Processing Engine keeps its own. Lines arrive already redacted. */
#include "service_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "../http/http.h"

void svc_run_log_begin(svc_run_log *rl, const svc *s, const char *job, const char *task_id)
{
    rl->s = s;
    snprintf(rl->job, sizeof rl->job, "%s", job ? job : "");
    snprintf(rl->task, sizeof rl->task, "%s", task_id ? task_id : "");
    atomic_store(&rl->window_start, 0);
    atomic_store(&rl->window_end, 0);
    i2i_log_set_thread_sink(svc_run_log_sink, rl);
}

void svc_run_log_end(svc_run_log *rl)
{
    (void)rl;
    i2i_log_set_thread_sink(NULL, NULL);
}

void svc_run_log_window(svc_run_log *rl, int64_t start, int64_t end)
{
    atomic_store(&rl->window_start, start);
    atomic_store(&rl->window_end, end);
}

static const char *level_name(i2i_log_level l)
{
    switch (l) {
    case I2I_LOG_DEBUG: return "debug";
    case I2I_LOG_INFO: return "info";
    case I2I_LOG_WARN: return "warn";
    default: return "error";
    }
}

/* ------------------------------------------------------------------ write-back to InfluxDB */

#define LP_MAX_PENDING (256 * 1024) /* bytes of line protocol waiting; beyond, lines are dropped */

typedef struct lp_writer {
    pthread_mutex_t lock;
    pthread_cond_t wake;
    pthread_t thread;
    int running, stop;
    i2i_buf pending;
    int64_t dropped;
    char *url, *token, *table;
    int insecure;
} lp_writer;

static lp_writer lpw = {.lock = PTHREAD_MUTEX_INITIALIZER, .wake = PTHREAD_COND_INITIALIZER};
static _Thread_local int in_writer; /* the writer's own failures are not written back */

/* Line protocol escapes: measurement (comma, space), tag values (comma, equals, space), string
 * field values (quote, backslash; newlines become spaces). */
static int lp_escape(i2i_buf *b, const char *s, const char *special)
{
    for (; *s; s++) {
        char ch = *s == '\n' || *s == '\r' ? ' ' : *s;
        if (strchr(special, ch)) I2I_TRY(i2i_buf_append(b, "\\", 1));
        I2I_TRY(i2i_buf_append(b, &ch, 1));
    }
    return I2I_OK;
}

static void lp_queue(i2i_log_level level, const char *line, const char *job, const char *task,
                     const char *window)
{
    i2i_buf *b = &lpw.pending;
    size_t mark;
    int rc;
    pthread_mutex_lock(&lpw.lock);
    if (!lpw.running || b->len > LP_MAX_PENDING) {
        if (lpw.running) lpw.dropped++;
        pthread_mutex_unlock(&lpw.lock);
        return;
    }
    mark = b->len;
    rc = lp_escape(b, lpw.table, ", ");
    if (rc == 0) rc = i2i_buf_printf(b, ",level=%s", level_name(level));
    if (rc == 0 && job[0]) {
        rc = i2i_buf_append_str(b, ",job=");
        if (rc == 0) rc = lp_escape(b, job, ",= ");
    }
    if (rc == 0) rc = i2i_buf_append_str(b, " message=\"");
    if (rc == 0) rc = lp_escape(b, line, "\"\\");
    if (rc == 0 && task[0]) rc = i2i_buf_printf(b, "\",task_id=\"%s", task);
    if (rc == 0 && window[0]) rc = i2i_buf_printf(b, "\",window=\"%s", window);
    if (rc == 0) rc = i2i_buf_printf(b, "\" %lld\n", (long long)i2i_now_ns());
    if (rc < 0) b->len = mark;
    pthread_cond_signal(&lpw.wake);
    pthread_mutex_unlock(&lpw.lock);
}

static void *lp_main(void *p)
{
    http_client *client = NULL;
    http_config hc;
    http_headers *headers = NULL;
    i2i_error err;
    int failing = 0;
    (void)p;
    in_writer = 1;
    http_config_defaults(&hc);
    hc.service = "InfluxDB (log table)";
    hc.insecure = lpw.insecure;
    hc.request_timeout_ms = 30000;
    hc.retry.max_retries = 2;
    if (http_client_open(&hc, &client, &err) < 0 ||
        http_headers_add(&headers, "Content-Type", "text/plain; charset=utf-8", 0, &err) < 0) {
        I2I_ERROR("log table: %s", err.msg);
        goto out;
    }
    if (lpw.token) {
        i2i_buf auth = I2I_BUF_INIT;
        int rc = i2i_buf_printf(&auth, "Bearer %s", lpw.token);
        if (rc == 0) rc = http_headers_add(&headers, "Authorization", i2i_buf_cstr(&auth), 1, &err);
        if (auth.data) memset(auth.data, 0, auth.len);
        i2i_buf_free(&auth);
        if (rc < 0) {
            I2I_ERROR("log table: cannot set the token header");
            goto out;
        }
    }
    pthread_mutex_lock(&lpw.lock);
    for (;;) {
        i2i_buf batch = I2I_BUF_INIT;
        http_request req;
        struct timespec ts;
        int64_t until = i2i_now_ns() + 2 * I2I_NS_PER_S;
        ts.tv_sec = (time_t)(until / I2I_NS_PER_S);
        ts.tv_nsec = (long)(until % I2I_NS_PER_S);
        if (!lpw.stop) pthread_cond_timedwait(&lpw.wake, &lpw.lock, &ts);
        if (!lpw.pending.len) {
            if (lpw.stop) break;
            continue;
        }
        batch = lpw.pending;
        i2i_buf_init(&lpw.pending);
        pthread_mutex_unlock(&lpw.lock);
        memset(&req, 0, sizeof req);
        req.url = lpw.url;
        req.headers = headers;
        req.body = batch.data;
        req.body_len = batch.len;
        req.what = "writing log lines";
        req.retry = 1;
        if (http_perform(client, &req, NULL, NULL, &err) < 0) {
            if (!failing) I2I_WARN("log table: %s (log lines are dropped until it works)", err.msg);
            failing = 1;
        } else if (failing) {
            I2I_INFO("log table: writing works again");
            failing = 0;
        }
        i2i_buf_free(&batch);
        pthread_mutex_lock(&lpw.lock);
        if (lpw.stop && !lpw.pending.len) break;
    }
    pthread_mutex_unlock(&lpw.lock);
out:
    http_headers_free(headers);
    http_client_close(client);
    return NULL;
}

static int lp_start(const service_config *cfg)
{
    const char *host = json_string_value(json_object_get(cfg->influxdb, "host"));
    const char *db = json_string_value(json_object_get(cfg->influxdb, "database"));
    const char *tok = json_string_value(json_object_get(cfg->influxdb, "token"));
    i2i_buf url = I2I_BUF_INIT;
    if (!host) host = getenv("INFLUXDB3_HOST_URL");
    if (!db) db = getenv("INFLUXDB3_DATABASE_NAME");
    if (!tok) tok = getenv("INFLUXDB3_AUTH_TOKEN");
    if (!host || !db) {
        I2I_WARN("server.log_table is set but [influxdb] host/database are not: logs stay on stderr");
        return I2I_OK;
    }
    if (i2i_buf_printf(&url, "%s/api/v3/write_lp?precision=nanosecond&db=", host) < 0 ||
        http_escape(&url, db, 0) < 0) {
        i2i_buf_free(&url);
        return I2I_ERR_NOMEM;
    }
    lpw.url = i2i_buf_cstr(&url);
    lpw.token = tok ? i2i_strdup(tok) : NULL;
    lpw.table = i2i_strdup(cfg->log_lp_table);
    lpw.insecure = json_is_true(json_object_get(cfg->influxdb, "tls_insecure"));
    lpw.stop = 0;
    lpw.running = 1;
    if (!lpw.url || !lpw.table || pthread_create(&lpw.thread, NULL, lp_main, NULL) != 0) {
        lpw.running = 0;
        return I2I_ERR_NOMEM;
    }
    return I2I_OK;
}

static void lp_stop(void)
{
    int was;
    pthread_mutex_lock(&lpw.lock);
    was = lpw.running;
    lpw.stop = 1;
    pthread_cond_signal(&lpw.wake);
    pthread_mutex_unlock(&lpw.lock);
    if (was) pthread_join(lpw.thread, NULL);
    pthread_mutex_lock(&lpw.lock);
    lpw.running = 0;
    i2i_buf_free(&lpw.pending);
    free(lpw.url);
    free(lpw.token);
    free(lpw.table);
    lpw.url = lpw.token = lpw.table = NULL;
    pthread_mutex_unlock(&lpw.lock);
}

/* ------------------------------------------------------------------ the sink */

/* One line out: stderr (JSON or text) and the log table. job/task empty and window_end 0 when the
 * line belongs to no run. */
static void emit(const svc *s, i2i_log_level level, const char *line, const char *job,
                 const char *task, int64_t window_start, int64_t window_end)
{
    char t[40], window[96] = "";
    i2i_time_format_rfc3339(i2i_now_ns(), t, sizeof t);
    if (window_end > 0) {
        char a[40], b[40];
        i2i_time_format_rfc3339(window_start, a, sizeof a);
        i2i_time_format_rfc3339(window_end, b, sizeof b);
        snprintf(window, sizeof window, "[%s, %s)", a, b);
    }
    if (s->cfg.log_json) {
        json_t *o = json_object();
        char *text;
        json_object_set_new(o, "time", json_string(t));
        json_object_set_new(o, "level", json_string(level_name(level)));
        if (job[0]) json_object_set_new(o, "job", json_string(job));
        if (task[0]) json_object_set_new(o, "task_id", json_string(task));
        if (window[0]) json_object_set_new(o, "window", json_string(window));
        json_object_set_new(o, "message", json_string(line));
        /* A line that is not valid UTF-8 cannot be a JSON string: keep it, marked, as text. */
        if (!json_object_get(o, "message"))
            json_object_set_new(o, "message", json_string("(log line not valid UTF-8)"));
        text = json_dumps(o, JSON_COMPACT);
        json_decref(o);
        if (text) fprintf(stderr, "%s\n", text);
        free(text);
    } else {
        fprintf(stderr, "%s %s%s%s%s %s\n", t, level_name(level), job[0] ? " [" : "", job,
                job[0] ? "]" : "", line);
    }
    if (!in_writer) lp_queue(level, line, job, task, window);
}

static void service_sink(void *ctx, i2i_log_level level, const char *line)
{
    emit(ctx, level, line, "", "", 0, 0);
}

/* A run's lines, on its own thread and on the write pipeline's thread (the engine hands the
 * calling thread's sink to its writer thread and serialises the calls). */
void svc_run_log_sink(void *ctx, i2i_log_level level, const char *line)
{
    svc_run_log *rl = ctx;
    emit(rl->s, level, line, rl->job, rl->task, atomic_load(&rl->window_start),
         atomic_load(&rl->window_end));
}

void svc_log_install(svc *s)
{
    i2i_log_set_level(s->cfg.log_level);
    i2i_log_set_sink(service_sink, s);
    if (s->cfg.log_lp_table && lp_start(&s->cfg) < 0)
        I2I_ERROR("server.log_table: cannot start the log writer (out of memory)");
}

void svc_log_uninstall(void)
{
    lp_stop();
    i2i_log_set_sink(NULL, NULL);
}
