/* What people and scrapers see: job status as JSON, Prometheus metrics, the status page. Nothing
 * here reads a job's arguments beyond measurement and table: they hold credentials. */
#include "service_internal.h"

#include <stdio.h>
#include <stdlib.h>

static json_t *time_or_null(int64_t ns)
{
    char t[40];
    if (ns <= 0 || ns == INT64_MAX) return json_null();
    i2i_time_format_rfc3339(ns, t, sizeof t);
    return json_string(t);
}

/* Rows per second of the current run, and seconds left at that pace (windows still to do); -1 =
 * not known yet. */
static void rate_eta(const svc_job *j, int64_t now, double *rate, double *eta)
{
    double secs = (double)(now - j->run_started_ns) / 1e9;
    const replicate_progress *p = &j->prog;
    *rate = secs > 0 ? (double)p->rows / secs : 0;
    *eta = -1;
    if (p->windows_total > 0 && p->windows_done > 0 && secs > 0)
        *eta = secs * (double)(p->windows_total - p->windows_done) / (double)p->windows_done;
}

static double lag_seconds(const svc_job *j, int64_t now)
{
    return j->committed_until_ns > 0 ? (double)(now - j->committed_until_ns) / 1e9 : -1;
}

json_t *svc_job_json(const svc_job *j, int64_t now)
{
    json_t *o = json_object(), *prog = json_object(), *tot = json_object();
    double rate, eta, lag = lag_seconds(j, now);
    if (!o || !prog || !tot) {
        json_decref(o);
        json_decref(prog);
        json_decref(tot);
        return NULL;
    }
    json_object_set_new(o, "id", json_string(j->id));
    json_object_set_new(o, "kind", json_string(j->kind == SVC_JOB_SCHEDULED ? "scheduled" : "request"));
    if (j->trigger_spec) json_object_set_new(o, "trigger", json_string(j->trigger_spec));
    json_object_set_new(o, "measurement", json_string(j->measurement));
    json_object_set_new(o, "table", json_string(j->target));
    json_object_set_new(o, "state", json_string(j->state));
    json_object_set_new(o, "running", json_boolean(j->running));
    if (j->task_id[0]) json_object_set_new(o, "task_id", json_string(j->task_id));
    if (j->kind == SVC_JOB_SCHEDULED) json_object_set_new(o, "next_run", time_or_null(j->next_fire_ns));
    json_object_set_new(o, "started", time_or_null(j->run_started_ns));
    json_object_set_new(o, "finished", j->running ? json_null() : time_or_null(j->run_finished_ns));
    rate_eta(j, j->running ? now : j->run_finished_ns, &rate, &eta);
    json_object_set_new(prog, "windows_done", json_integer(j->prog.windows_done));
    json_object_set_new(prog, "windows_total", json_integer(j->prog.windows_total));
    json_object_set_new(prog, "rows", json_integer(j->prog.rows));
    json_object_set_new(prog, "bytes", json_integer(j->prog.bytes));
    json_object_set_new(prog, "rows_per_second", json_real(rate));
    json_object_set_new(prog, "eta_seconds", j->running && eta >= 0 ? json_real(eta) : json_null());
    json_object_set_new(prog, "range_start", time_or_null(j->prog.range_start));
    json_object_set_new(prog, "range_end", time_or_null(j->prog.range_end));
    json_object_set_new(prog, "window_start", time_or_null(j->prog.window_start));
    json_object_set_new(prog, "window_end", time_or_null(j->prog.window_end));
    json_object_set_new(o, "progress", prog);
    json_object_set_new(tot, "runs_succeeded", json_integer(j->runs_ok));
    json_object_set_new(tot, "runs_failed", json_integer(j->runs_failed));
    json_object_set_new(tot, "runs_skipped", json_integer(j->runs_skipped));
    json_object_set_new(tot, "rows", json_integer(j->rows_total));
    json_object_set_new(tot, "bytes", json_integer(j->bytes_total));
    json_object_set_new(tot, "commits", json_integer(j->commits_total));
    json_object_set_new(o, "totals", tot);
    json_object_set_new(o, "committed_until", time_or_null(j->committed_until_ns));
    json_object_set_new(o, "last_commit", time_or_null(j->last_commit_ns));
    json_object_set_new(o, "lag_seconds", lag >= 0 ? json_real(lag) : json_null());
    json_object_set_new(o, "last_error", j->last_error ? json_string(j->last_error) : json_null());
    if (j->last_result) json_object_set(o, "last_result", j->last_result);
    return o;
}

/* ------------------------------------------------------------------ Prometheus */

/* A label value: backslash, quote and newline escaped (text format 0.0.4). */
static int label(i2i_buf *b, const char *v)
{
    for (; *v; v++) {
        if (*v == '\\' || *v == '"') I2I_TRY(i2i_buf_append(b, "\\", 1));
        if (*v == '\n') {
            I2I_TRY(i2i_buf_append_str(b, "\\n"));
            continue;
        }
        I2I_TRY(i2i_buf_append(b, v, 1));
    }
    return I2I_OK;
}

typedef int64_t (*job_counter)(const svc_job *j);
static int64_t c_rows(const svc_job *j) { return j->rows_total; }
static int64_t c_bytes(const svc_job *j) { return j->bytes_total; }
static int64_t c_commits(const svc_job *j) { return j->commits_total; }
static int64_t c_ok(const svc_job *j) { return j->runs_ok; }
static int64_t c_failed(const svc_job *j) { return j->runs_failed; }
static int64_t c_skipped(const svc_job *j) { return j->runs_skipped; }
static int64_t c_running(const svc_job *j) { return j->running; }

static const struct {
    const char *name, *type, *help;
    job_counter get;
} job_metrics[] = {
    {"influx2iceberg_rows_written_total", "counter", "Rows committed to Iceberg.", c_rows},
    {"influx2iceberg_bytes_written_total", "counter", "Bytes of data files committed.", c_bytes},
    {"influx2iceberg_commits_total", "counter", "Snapshots committed (one per window).", c_commits},
    {"influx2iceberg_runs_succeeded_total", "counter", "Runs that ended well.", c_ok},
    {"influx2iceberg_failures_total", "counter", "Runs that failed or were cancelled.", c_failed},
    {"influx2iceberg_runs_skipped_total", "counter",
     "Trigger fires skipped because the previous run was still going.", c_skipped},
    {"influx2iceberg_job_running", "gauge", "1 while a run of the job is in progress.", c_running},
};

static int job_labels(i2i_buf *b, const svc_job *j)
{
    I2I_TRY(i2i_buf_append_str(b, "{job=\""));
    I2I_TRY(label(b, j->id));
    I2I_TRY(i2i_buf_append_str(b, "\",table=\""));
    I2I_TRY(label(b, j->target));
    return i2i_buf_append_str(b, "\"");
}

static int render_metrics(svc *s, i2i_buf *b, int64_t now)
{
    size_t m;
    const svc_job *j;
    for (m = 0; m < sizeof job_metrics / sizeof job_metrics[0]; m++) {
        I2I_TRY(i2i_buf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", job_metrics[m].name,
                               job_metrics[m].help, job_metrics[m].name, job_metrics[m].type));
        for (j = s->jobs; j; j = j->next) {
            if (j->removed) continue;
            I2I_TRY(i2i_buf_append_str(b, job_metrics[m].name));
            I2I_TRY(job_labels(b, j));
            I2I_TRY(i2i_buf_printf(b, "} %lld\n", (long long)job_metrics[m].get(j)));
        }
    }
    I2I_TRY(i2i_buf_append_str(b, "# HELP influx2iceberg_lag_seconds Seconds between now and the "
                                  "end of the newest committed window.\n"
                                  "# TYPE influx2iceberg_lag_seconds gauge\n"));
    for (j = s->jobs; j; j = j->next) {
        if (j->removed || j->kind != SVC_JOB_SCHEDULED || !j->committed_until_ns) continue;
        I2I_TRY(i2i_buf_append_str(b, "influx2iceberg_lag_seconds"));
        I2I_TRY(job_labels(b, j));
        I2I_TRY(i2i_buf_printf(b, "} %.3f\n", lag_seconds(j, now)));
    }
    I2I_TRY(i2i_buf_append_str(b, "# HELP influx2iceberg_run_duration_seconds Duration of runs.\n"
                                  "# TYPE influx2iceberg_run_duration_seconds histogram\n"));
    for (j = s->jobs; j; j = j->next) {
        int64_t cum = 0;
        int k;
        if (j->removed) continue;
        for (k = 0; k <= SVC_BUCKETS; k++) {
            cum += j->duration_buckets[k];
            I2I_TRY(i2i_buf_append_str(b, "influx2iceberg_run_duration_seconds_bucket"));
            I2I_TRY(job_labels(b, j));
            if (k < SVC_BUCKETS) I2I_TRY(i2i_buf_printf(b, ",le=\"%g\"} %lld\n", svc_bucket_bounds[k], (long long)cum));
            else I2I_TRY(i2i_buf_printf(b, ",le=\"+Inf\"} %lld\n", (long long)cum));
        }
        I2I_TRY(i2i_buf_append_str(b, "influx2iceberg_run_duration_seconds_sum"));
        I2I_TRY(job_labels(b, j));
        I2I_TRY(i2i_buf_printf(b, "} %.3f\n", j->duration_sum));
        I2I_TRY(i2i_buf_append_str(b, "influx2iceberg_run_duration_seconds_count"));
        I2I_TRY(job_labels(b, j));
        I2I_TRY(i2i_buf_printf(b, "} %lld\n", (long long)j->duration_count));
    }
    return i2i_buf_printf(b,
                          "# HELP influx2iceberg_retries_total Retries of HTTP requests and commits.\n"
                          "# TYPE influx2iceberg_retries_total counter\n"
                          "influx2iceberg_retries_total %lld\n"
                          "# HELP influx2iceberg_http_requests_total Requests to this API.\n"
                          "# TYPE influx2iceberg_http_requests_total counter\n"
                          "influx2iceberg_http_requests_total %lld\n"
                          "# HELP influx2iceberg_http_unauthorized_total Requests refused for a "
                          "missing or wrong token.\n"
                          "# TYPE influx2iceberg_http_unauthorized_total counter\n"
                          "influx2iceberg_http_unauthorized_total %lld\n"
                          "# HELP influx2iceberg_uptime_seconds Seconds since the service started.\n"
                          "# TYPE influx2iceberg_uptime_seconds gauge\n"
                          "influx2iceberg_uptime_seconds %.0f\n",
                          (long long)i2i_retry_count(), (long long)s->http_requests,
                          (long long)s->http_unauthorized, (double)(now - s->started_ns) / 1e9);
}

char *svc_render_metrics(svc *s)
{
    i2i_buf b = I2I_BUF_INIT;
    int rc;
    pthread_mutex_lock(&s->lock);
    rc = render_metrics(s, &b, i2i_now_ns());
    pthread_mutex_unlock(&s->lock);
    if (rc < 0) {
        i2i_buf_free(&b);
        return NULL;
    }
    return i2i_buf_cstr(&b);
}

/* ------------------------------------------------------------------ the status page */

static int html(i2i_buf *b, const char *v)
{
    for (; v && *v; v++) {
        switch (*v) {
        case '<': I2I_TRY(i2i_buf_append_str(b, "&lt;")); break;
        case '>': I2I_TRY(i2i_buf_append_str(b, "&gt;")); break;
        case '&': I2I_TRY(i2i_buf_append_str(b, "&amp;")); break;
        case '"': I2I_TRY(i2i_buf_append_str(b, "&quot;")); break;
        case '\'': I2I_TRY(i2i_buf_append_str(b, "&#39;")); break;
        default: I2I_TRY(i2i_buf_append(b, v, 1));
        }
    }
    return I2I_OK;
}

/* To the second: what a person reads (the JSON keeps nanoseconds). */
static void fmt_time(int64_t ns, char *out, size_t n)
{
    char *dot;
    if (ns <= 0 || ns == INT64_MAX) {
        snprintf(out, n, "-");
        return;
    }
    i2i_time_format_rfc3339(ns, out, n);
    if ((dot = strchr(out, '.')) != NULL && (size_t)(dot - out) + 2 <= n) memcpy(dot, "Z", 2);
}

static void fmt_secs(double secs, char *out, size_t n)
{
    if (secs < 0) snprintf(out, n, "-");
    else if (secs < 120) snprintf(out, n, "%.0f s", secs);
    else if (secs < 7200) snprintf(out, n, "%.0f min", secs / 60);
    else if (secs < 172800) snprintf(out, n, "%.1f h", secs / 3600);
    else snprintf(out, n, "%.1f d", secs / 86400);
}

static const char page_head[] =
    "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
    "<meta http-equiv=\"refresh\" content=\"5\">\n"
    "<title>influx2iceberg</title>\n<style>\n"
    "body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#222}\n"
    "h1{font-size:1.4em}table{border-collapse:collapse;width:100%}\n"
    "th,td{text-align:left;padding:.4em .6em;border-bottom:1px solid #ddd;vertical-align:top}\n"
    "th{background:#f4f4f4}.failed,.cancelled{color:#b00020}.succeeded{color:#0a7d32}\n"
    ".running{color:#0b57d0}.err{color:#b00020;font-size:.9em;max-width:40em}\n"
    "progress{width:12em}.muted{color:#777}td:nth-child(n+5){white-space:nowrap}\n"
    "</style></head><body>\n<h1>influx2iceberg</h1>\n";

static int render_page(svc *s, i2i_buf *b, int64_t now)
{
    const svc_job *j;
    char t[48], u[48];
    int n = 0;
    I2I_TRY(i2i_buf_append_str(b, page_head));
    fmt_secs((double)(now - s->started_ns) / 1e9, t, sizeof t);
    I2I_TRY(i2i_buf_printf(b, "<p class=\"muted\">up %s &middot; refreshes every 5 s &middot; "
                              "<a href=\"/metrics\">metrics</a></p>\n", t));
    I2I_TRY(i2i_buf_append_str(b, "<table><thead><tr><th>Job</th><th>Table</th><th>State</th>"
                                  "<th>Progress</th><th>Last commit</th><th>Lag</th>"
                                  "<th>Next run</th><th>Rows</th></tr></thead><tbody>\n"));
    for (j = s->jobs; j; j = j->next) {
        double rate, eta;
        if (j->removed) continue;
        n++;
        I2I_TRY(i2i_buf_append_str(b, "<tr data-job=\""));
        I2I_TRY(html(b, j->id));
        I2I_TRY(i2i_buf_append_str(b, "\"><td>"));
        I2I_TRY(html(b, j->id));
        I2I_TRY(i2i_buf_printf(b, "<br><span class=\"muted\">%s</span></td><td>",
                               j->kind == SVC_JOB_SCHEDULED ? "scheduled" : "request"));
        I2I_TRY(html(b, j->measurement));
        I2I_TRY(i2i_buf_append_str(b, " &rarr; "));
        I2I_TRY(html(b, j->target));
        I2I_TRY(i2i_buf_printf(b, "</td><td class=\"%s\">%s", j->state, j->state));
        if (j->last_error) {
            I2I_TRY(i2i_buf_append_str(b, "<div class=\"err\">"));
            I2I_TRY(html(b, j->last_error));
            I2I_TRY(i2i_buf_append_str(b, "</div>"));
        }
        I2I_TRY(i2i_buf_append_str(b, "</td><td>"));
        rate_eta(j, j->running ? now : j->run_finished_ns, &rate, &eta);
        if (j->running && j->prog.windows_total > 0) {
            fmt_secs(eta, t, sizeof t);
            I2I_TRY(i2i_buf_printf(b,
                                   "<progress max=\"%lld\" value=\"%lld\"></progress> "
                                   "%lld/%lld windows<br><span class=\"muted\">%.0f rows/s, "
                                   "ETA %s</span>",
                                   (long long)j->prog.windows_total, (long long)j->prog.windows_done,
                                   (long long)j->prog.windows_done, (long long)j->prog.windows_total,
                                   rate, t));
        } else if (j->running) {
            I2I_TRY(i2i_buf_append_str(b, "<progress></progress> starting"));
        } else {
            I2I_TRY(i2i_buf_append_str(b, "<span class=\"muted\">-</span>"));
        }
        fmt_time(j->last_commit_ns, t, sizeof t);
        fmt_secs(j->kind == SVC_JOB_SCHEDULED ? lag_seconds(j, now) : -1, u, sizeof u);
        I2I_TRY(i2i_buf_printf(b, "</td><td>%s</td><td>%s</td>", t, u));
        fmt_time(j->kind == SVC_JOB_SCHEDULED ? j->next_fire_ns : 0, t, sizeof t);
        I2I_TRY(i2i_buf_printf(b, "<td>%s</td><td>%lld</td></tr>\n", t, (long long)j->rows_total));
    }
    if (!n)
        I2I_TRY(i2i_buf_append_str(b, "<tr><td colspan=\"8\" class=\"muted\">no jobs yet: add "
                                      "[jobs.&lt;name&gt;] tables to the configuration or POST to "
                                      "/api/v3/engine/replicate</td></tr>\n"));
    return i2i_buf_append_str(b, "</tbody></table>\n</body></html>\n");
}

char *svc_render_status_page(svc *s)
{
    i2i_buf b = I2I_BUF_INIT;
    int rc;
    pthread_mutex_lock(&s->lock);
    rc = render_page(s, &b, i2i_now_ns());
    pthread_mutex_unlock(&s->lock);
    if (rc < 0) {
        i2i_buf_free(&b);
        return NULL;
    }
    return i2i_buf_cstr(&b);
}
