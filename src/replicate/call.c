/* The plugin contract's call (call.h): validation that belongs to the contract, one job through the
 * shared parser, one stream at a time per process, one replicate_run, one JSON result. */
#include "call.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

typedef struct call_state {
    replicate_call *call;
    int started; /* the run got past validation (REPLICATE_EVENT_START or DONE) */
    const replicate_job *job;
} call_state;

void replicate_call_new_task_id(replicate_call *call)
{
    uint8_t rnd[4] = {0};
    i2i_random_bytes(rnd, sizeof rnd, NULL);
    i2i_hex(rnd, sizeof rnd, call->task_id);
}

/* ------------------------------------------------------------------ streams in progress */

/* Process-wide list of the streams being copied now (see "Threads" in the header). */
typedef struct busy_entry {
    struct busy_entry *next;
    char key[];
} busy_entry;

static pthread_mutex_t busy_mutex = PTHREAD_MUTEX_INITIALIZER;
static busy_entry *busy_head = NULL;

/* 1 = acquired, 0 = someone else holds it, negative = out of memory. */
static int busy_acquire(const char *key)
{
    busy_entry *e;
    int rc = 1;
    pthread_mutex_lock(&busy_mutex);
    for (e = busy_head; e; e = e->next) {
        if (strcmp(e->key, key) == 0) {
            rc = 0;
            goto out;
        }
    }
    e = malloc(sizeof *e + strlen(key) + 1);
    if (!e) {
        rc = I2I_ERR_NOMEM;
        goto out;
    }
    memcpy(e->key, key, strlen(key) + 1);
    e->next = busy_head;
    busy_head = e;
out:
    pthread_mutex_unlock(&busy_mutex);
    return rc;
}

static void busy_release(const char *key)
{
    busy_entry **pp;
    pthread_mutex_lock(&busy_mutex);
    for (pp = &busy_head; *pp; pp = &(*pp)->next) {
        if (strcmp((*pp)->key, key) == 0) {
            busy_entry *e = *pp;
            *pp = e->next;
            free(e);
            break;
        }
    }
    pthread_mutex_unlock(&busy_mutex);
}

/* source id | namespace.table | catalog configs (sorted, compact). Stays in memory only. */
static char *stream_key(const replicate_job *job)
{
    char sid[17];
    char *cfg = NULL, *key = NULL;
    i2i_buf b = I2I_BUF_INIT;
    replicate_source_id(job, sid);
    if (job->catalog_configs) cfg = json_dumps(job->catalog_configs, JSON_COMPACT | JSON_SORT_KEYS);
    if (i2i_buf_printf(&b, "%s|%s.%s|%s|%s", sid, job->namespace_, job->table_name,
                       cfg ? cfg : "", job->default_warehouse ? job->default_warehouse : "") == I2I_OK)
        key = i2i_buf_cstr(&b);
    free(cfg);
    if (!key) i2i_buf_free(&b);
    return key;
}

/* ------------------------------------------------------------------ progress lines */

static void fmt_time(int64_t ns, char *out, size_t n) { i2i_time_format_rfc3339(ns, out, n); }

static void fmt_duration(int64_t ns, char *out, size_t n)
{
    static const struct { int64_t ns; const char *unit; } units[] = {
        {7 * 86400 * I2I_NS_PER_S, "w"}, {86400 * I2I_NS_PER_S, "d"}, {3600 * I2I_NS_PER_S, "h"},
        {60 * I2I_NS_PER_S, "min"}, {I2I_NS_PER_S, "s"}, {I2I_NS_PER_MS, "ms"}};
    size_t i;
    for (i = 0; i < sizeof units / sizeof units[0]; i++) {
        if (ns >= units[i].ns && ns % units[i].ns == 0) {
            snprintf(out, n, "%lld%s", (long long)(ns / units[i].ns), units[i].unit);
            return;
        }
    }
    snprintf(out, n, "%lldns", (long long)ns);
}

/* "[start, end)": every progress line shows its time range half-open, like this. */
static void fmt_range(int64_t start, int64_t end, char *out, size_t n)
{
    char a[40], b[40];
    fmt_time(start, a, sizeof a);
    fmt_time(end, b, sizeof b);
    snprintf(out, n, "[%s, %s)", a, b);
}

static int on_event(void *ctx, const replicate_progress *p, i2i_error *err)
{
    call_state *c = ctx;
    const replicate_job *job = c->job;
    char r[96], d[32];
    (void)err;
    switch (p->event) {
    case REPLICATE_EVENT_START:
        c->started = 1;
        fmt_range(p->range_start, p->range_end, r, sizeof r);
        fmt_duration(job->batch_ns, d, sizeof d);
        I2I_INFO("copying %s -> %s.%s: %s in %lld window(s) of at most %s", job->measurement,
                 job->namespace_, job->table_name, r, (long long)p->windows_total, d);
        break;
    case REPLICATE_EVENT_WINDOW_BEGIN:
        fmt_range(p->window_start, p->window_end, r, sizeof r);
        I2I_DEBUG("window %s: querying", r);
        break;
    case REPLICATE_EVENT_COMMITTED:
        fmt_range(p->window_start, p->window_end, r, sizeof r);
        I2I_INFO("window %s done: %lld/%lld window(s), %lld row(s) so far", r,
                 (long long)p->windows_done + 1, (long long)p->windows_total, (long long)p->rows);
        break;
    case REPLICATE_EVENT_SKIPPED:
        fmt_range(p->window_start, p->window_end, r, sizeof r);
        I2I_INFO("window %s was committed by an earlier run: skipped", r);
        break;
    case REPLICATE_EVENT_DONE:
        c->started = 1;
        break;
    default:
        break;
    }
    if (c->call->on_progress) c->call->on_progress(c->call->progress_ctx, p);
    return I2I_OK;
}

/* ------------------------------------------------------------------ results */

const char *replicate_error_kind(int code)
{
    switch (code) {
    case I2I_ERR_NOMEM: return "nomem";
    case I2I_ERR_INVALID: return "invalid";
    case I2I_ERR_IO: return "io";
    case I2I_ERR_FORMAT: return "format";
    case I2I_ERR_NOT_FOUND: return "not_found";
    case I2I_ERR_CONFLICT: return "conflict";
    case I2I_ERR_HTTP: return "http";
    case I2I_ERR_UNSUPPORTED: return "unsupported";
    case I2I_ERR_RANGE: return "range";
    case I2I_ERR_UNKNOWN: return "outcome_unknown";
    case I2I_ERR_AUTH: return "auth";
    case I2I_ERR_EXISTS: return "exists";
    case I2I_ERR_CANCELLED: return "cancelled";
    case I2I_ERR_TRANSIENT: return "transient";
    default: return "internal";
    }
}

/* A failure result; message is redacted again here (it may quote an argument). */
static json_t *error_result(const call_state *c, int status, const char *kind, const char *message,
                          json_t *summary)
{
    json_t *o = json_object();
    char *msg = i2i_strdup(message ? message : "");
    if (!o || !msg) {
        free(msg);
        json_decref(o);
        json_decref(summary);
        return NULL;
    }
    i2i_redact_in_place(msg);
    I2I_ERROR("%s", msg);
    json_object_set_new(o, "ok", json_false());
    json_object_set_new(o, "status", json_integer(status));
    json_object_set_new(o, "task_id", json_string(c->call->task_id));
    json_object_set_new(o, "error", json_string(kind));
    json_object_set_new(o, "message", json_string(msg));
    if (summary) json_object_set_new(o, "summary", summary);
    free(msg);
    return o;
}

static json_t *invalid_result(const call_state *c, const char *fmt, ...) I2I_PRINTF(2, 3);
static json_t *invalid_result(const call_state *c, const char *fmt, ...)
{
    char msg[I2I_ERROR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return error_result(c, 400, "invalid", msg, NULL);
}

static json_t *success_result(const call_state *c, const char *message, json_t *summary, int skipped)
{
    json_t *o = json_object();
    if (!o) {
        json_decref(summary);
        return NULL;
    }
    json_object_set_new(o, "ok", json_true());
    json_object_set_new(o, "status", json_integer(200));
    json_object_set_new(o, "task_id", json_string(c->call->task_id));
    json_object_set_new(o, "message", json_string(message));
    if (skipped) json_object_set_new(o, "skipped", json_true());
    if (summary) json_object_set_new(o, "summary", summary);
    return o;
}

static const char *env_value(const char *name)
{
    const char *v = getenv(name);
    return v && *v ? v : NULL;
}

static int has_key(const json_t *args, const char *key)
{
    const json_t *v = json_object_get(args, key);
    return v && !json_is_null(v) && !(json_is_string(v) && !*json_string_value(v));
}

/* Checks that belong to the plugin contract rather than to the shared job parser. NULL = fine. */
static json_t *check_plugin_args(const call_state *c, const json_t *args, replicate_call_mode mode)
{
    const json_t *cc = json_object_get(args, "catalog_configs");
    if (mode == REPLICATE_CALL_SCHEDULED) {
        if (has_key(args, "backfill_start") || has_key(args, "backfill_end"))
            return invalid_result(c, "backfill_start/backfill_end are for the HTTP request trigger: a "
                                     "scheduled trigger resumes after the last committed window");
        if (!has_key(args, "window"))
            return invalid_result(c, "window is required for a scheduled trigger: the lookback of the "
                                     "first run, e.g. \"1h\" (later runs resume where the last ended)");
    } else if (has_key(args, "window")) {
        return invalid_result(c, "window is a scheduled-trigger argument; an HTTP request is a "
                                 "backfill (use backfill_start, backfill_end, batch_size)");
    }
    if (!has_key(args, "measurement"))
        return invalid_result(c, "measurement is required");
    if (!has_key(args, "catalog_configs"))
        return invalid_result(c, "catalog_configs is required: the Iceberg catalog configuration "
                                 "(PyIceberg keys: type, uri, warehouse, ...)");
    if (json_is_string(cc)) {
        const char *s = json_string_value(cc);
        while (*s == ' ' || *s == '\t' || *s == '\n') s++;
        if (*s == '@')
            return invalid_result(c, "catalog_configs: '@file' is a command-line convenience; give "
                                     "base64-encoded JSON, a JSON object, or a config file "
                                     "(config_file_path)");
    }
    if (!has_key(args, "database") && !env_value("INFLUXDB3_DATABASE_NAME"))
        return invalid_result(c, "database is required: the Processing Engine does not tell a plugin "
                                 "which database its trigger belongs to, so add database=<name> to "
                                 "the trigger arguments (or set INFLUXDB3_DATABASE_NAME for the server)");
    return NULL;
}

json_t *replicate_call_run(replicate_call *call, const json_t *args)
{
    call_state c;
    replicate_job job;
    replicate_result res;
    replicate_hooks hooks;
    i2i_error err;
    json_t *out = NULL;
    char *key = NULL;
    const replicate_call_mode mode = call->mode;
    const int64_t call_time_ns = call->call_time_ns;
    int rc, have_job = 0, got;

    memset(&c, 0, sizeof c);
    memset(&job, 0, sizeof job);
    c.call = call;
    if (!call->task_id[0]) replicate_call_new_task_id(call);
    if (!json_is_object(args)) {
        out = invalid_result(&c, "arguments must be a JSON object");
        goto done;
    }
    /* Register the token before anything can quote it. */
    if (json_is_string(json_object_get(args, "token")))
        i2i_log_add_secret(json_string_value(json_object_get(args, "token")));
    if ((out = check_plugin_args(&c, args, mode)) != NULL) goto done;

    rc = replicate_job_from_json(args, NULL, &job, &err);
    if (rc < 0) {
        out = error_result(&c, rc == I2I_ERR_INVALID ? 400 : 500, replicate_error_kind(rc), err.msg, NULL);
        goto done;
    }
    have_job = 1;
    c.job = &job;
    if (!job.token)
        I2I_WARN("no InfluxDB token: set the trigger argument 'token' or INFLUXDB3_AUTH_TOKEN in the "
                 "server's environment; trying without one (works only with influxdb3 serve "
                 "--without-auth)");
    if (mode == REPLICATE_CALL_SCHEDULED) {
        char t[40] = "", w[32];
        if (call_time_ns) fmt_time(call_time_ns, t, sizeof t);
        fmt_duration(job.window_ns, w, sizeof w);
        I2I_INFO("scheduled call%s%s: %s (database %s) -> %s.%s, resuming after the last committed "
                 "window (first run: the last %s)", call_time_ns ? " at " : "", t, job.measurement,
                 job.database, job.namespace_, job.table_name, w);
    } else {
        I2I_INFO("request: backfill %s (database %s) -> %s.%s", job.measurement, job.database,
                 job.namespace_, job.table_name);
    }

    key = stream_key(&job);
    got = key ? busy_acquire(key) : I2I_ERR_NOMEM;
    if (got < 0) {
        out = error_result(&c, 500, "nomem", "out of memory", NULL);
        goto done;
    }
    if (got == 0) {
        static const char busy[] = "another run of this stream (same measurement, columns and "
                                   "table) is still in progress in this server";
        free(key);
        key = NULL;
        if (mode == REPLICATE_CALL_SCHEDULED) {
            I2I_WARN("%s: this call is skipped, the next one continues after it", busy);
            out = success_result(&c, "skipped: another run of this stream is in progress", NULL, 1);
        } else {
            char msg[256];
            snprintf(msg, sizeof msg, "%s; retry when it has finished", busy);
            out = error_result(&c, 409, "busy", msg, NULL);
        }
        goto done;
    }

    memset(&hooks, 0, sizeof hooks);
    hooks.on_event = on_event;
    hooks.ctx = &c;
    hooks.cancel = call->cancel;
    rc = replicate_run(&job, &hooks, &res, &err);
    busy_release(key);
    if (rc < 0) {
        json_t *summary = c.started ? replicate_result_json(&job, &res) : NULL;
        int status = 500;
        if (rc == I2I_ERR_AUTH && !job.token)
            i2i_error_wrap(&err, "no InfluxDB token was given (trigger argument 'token' or "
                                 "INFLUXDB3_AUTH_TOKEN)");
        if (!c.started && (rc == I2I_ERR_INVALID || rc == I2I_ERR_UNSUPPORTED || rc == I2I_ERR_NOT_FOUND))
            status = 400;
        if (res.windows_committed > 0)
            i2i_error_wrap(&err, "failed after %lld committed window(s), which stay (a rerun "
                                 "continues after them)", (long long)res.windows_committed);
        if (summary) json_object_set_new(summary, "task_id", json_string(call->task_id));
        out = error_result(&c, status, replicate_error_kind(rc), err.msg, summary);
    } else {
        json_t *summary = replicate_result_json(&job, &res);
        char msg[512];
        if (res.nothing_to_do)
            snprintf(msg, sizeof msg, "Replication to Iceberg completed: nothing new for %s.%s (%s)",
                     job.namespace_, job.table_name,
                     res.range_start >= res.range_end ? "no rows in range"
                                                      : "every window already committed");
        else
            snprintf(msg, sizeof msg,
                     "Replication to Iceberg completed: %lld row(s) of %s into %s.%s in %lld "
                     "window(s) (%lld skipped, %lld empty), %lld file(s), %.2fs",
                     (long long)res.rows, job.measurement, job.namespace_, job.table_name,
                     (long long)res.windows_committed, (long long)res.windows_skipped,
                     (long long)res.windows_empty, (long long)res.files, (double)res.elapsed_ns / 1e9);
        I2I_INFO("%s", msg);
        if (res.timestamps_truncated)
            I2I_WARN("%lld timestamp(s) had sub-microsecond digits and were truncated (Iceberg v2 "
                     "stores microseconds; format_version=3 keeps nanoseconds)",
                     (long long)res.timestamps_truncated);
        if (res.nonfinite)
            I2I_WARN("%lld NaN/Infinity value(s) arrived (InfluxDB sends them as JSON null) and were "
                     "stored as NaN", (long long)res.nonfinite);
        if (summary) {
            json_object_set_new(summary, "task_id", json_string(call->task_id));
            if (mode == REPLICATE_CALL_SCHEDULED && call_time_ns) {
                char t[40];
                fmt_time(call_time_ns, t, sizeof t);
                json_object_set_new(summary, "call_time", json_string(t));
            }
        }
        out = success_result(&c, msg, summary, 0);
    }
done:
    free(key);
    if (have_job) replicate_job_free(&job);
    return out;
}

json_t *replicate_call_run_text(replicate_call *call, const char *args_json)
{
    json_error_t jerr;
    json_t *args, *out;
    call_state c;
    memset(&c, 0, sizeof c);
    c.call = call;
    if (!call->task_id[0]) replicate_call_new_task_id(call);
    args = json_loads(args_json ? args_json : "", 0, &jerr);
    if (!args) {
        /* jansson's text may quote the input ("... near 'apiv3_...'"), which is not parsed, so
         * nothing in it is registered as a secret yet: keep only the reason. */
        char *near = strstr(jerr.text, " near ");
        if (near) *near = '\0';
        return invalid_result(&c, "arguments are not valid JSON (line %d, column %d: %s)", jerr.line,
                              jerr.column, jerr.text);
    }
    out = replicate_call_run(call, args);
    json_decref(args);
    return out;
}
