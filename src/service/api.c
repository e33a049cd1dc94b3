/* The HTTP API (libmicrohttpd, one thread per connection so a synchronous backfill holds only its
 * own connection). Everything but /health needs the bearer token; bodies are bounded. */
#include "service_internal.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>

#define REPLICATE_PATH "/api/v3/engine/replicate"
#define JOBS_PATH "/api/v3/engine/jobs"

/* Keys a request body may not set: the service's configuration decides where it reads from and
 * with which credentials ([influxdb]), and where relative paths resolve. */
static const char *const server_only_keys[] = {"host", "token", "tls_insecure", "base_dir",
                                               "warehouse_dir", "window", NULL};

typedef struct request {
    i2i_buf body;
    int too_big;
    int started;
} request;

static enum MHD_Result send_text(struct MHD_Connection *c, unsigned status, const char *type,
                                 char *text, const char *www_auth)
{
    struct MHD_Response *r;
    enum MHD_Result ret;
    if (!text) {
        static const char oom[] = "{\"error\":\"out of memory\"}";
        r = MHD_create_response_from_buffer(sizeof oom - 1, (void *)oom, MHD_RESPMEM_PERSISTENT);
        status = 500;
    } else {
        r = MHD_create_response_from_buffer(strlen(text), text, MHD_RESPMEM_MUST_FREE);
    }
    if (!r) {
        free(text);
        return MHD_NO;
    }
    MHD_add_response_header(r, "Content-Type", type);
    MHD_add_response_header(r, "Cache-Control", "no-store");
    MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    if (www_auth) MHD_add_response_header(r, "WWW-Authenticate", www_auth);
    ret = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return ret;
}

static enum MHD_Result send_json(struct MHD_Connection *c, unsigned status, json_t *o)
{
    char *text = o ? json_dumps(o, JSON_COMPACT) : NULL;
    json_decref(o);
    return send_text(c, status, "application/json", text, NULL);
}

static enum MHD_Result send_error(struct MHD_Connection *c, unsigned status, const char *kind,
                                  const char *message)
{
    json_t *o = json_pack("{s:b,s:i,s:s,s:s}", "ok", 0, "status", (int)status, "error", kind,
                          "message", message);
    return send_json(c, status, o);
}

int svc_token_equal(const char *given, size_t given_len, const char *want)
{
    size_t i, n = strlen(want);
    unsigned char diff = given_len != n;
    /* Compare over the configured length whatever the input, so timing tells nothing. */
    for (i = 0; i < n; i++) diff |= (unsigned char)(want[i] ^ (i < given_len ? given[i] : 0));
    return diff == 0;
}

/* Bearer <token>, or Basic with the token as password (what a browser asks a person for). */
static int authorized(svc *s, struct MHD_Connection *c)
{
    const char *h = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization");
    int ok = 0;
    pthread_mutex_lock(&s->lock);
    if (s->cfg.auth_disabled) {
        ok = 1;
    } else if (h && !strncasecmp(h, "Bearer ", 7)) {
        ok = svc_token_equal(h + 7, strlen(h + 7), s->cfg.api_token);
    } else if (h && !strncasecmp(h, "Basic ", 6)) {
        i2i_buf b = I2I_BUF_INIT;
        if (i2i_base64_decode(h + 6, strlen(h + 6), &b, NULL) == I2I_OK) {
            const char *colon = memchr(b.data, ':', b.len);
            if (colon) {
                size_t off = (size_t)(colon - (const char *)b.data) + 1;
                ok = svc_token_equal((const char *)b.data + off, b.len - off, s->cfg.api_token);
            }
            if (b.data) memset(b.data, 0, b.len);
        }
        i2i_buf_free(&b);
    }
    if (!ok) s->http_unauthorized++;
    pthread_mutex_unlock(&s->lock);
    return ok;
}

static int query_true(struct MHD_Connection *c, const char *key)
{
    const char *v = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, key);
    return v && (!strcmp(v, "true") || !strcmp(v, "1") || !*v);
}

/* POST /api/v3/engine/replicate: the plugin's request body; answered when done (as the plugin
 * does) or at once with a job id (?async=true). */
static enum MHD_Result handle_replicate(svc *s, struct MHD_Connection *c, request *rq)
{
    json_error_t jerr;
    json_t *body, *result;
    svc_job *j;
    char id[96], msg[512];
    size_t i;
    int async = query_true(c, "async");
    unsigned status;

    if (rq->too_big) {
        snprintf(msg, sizeof msg, "request body larger than %zu bytes ([server] max_body_bytes)",
                 s->cfg.max_body);
        return send_error(c, 413, "too_large", msg);
    }
    body = json_loadb(rq->body.data ? (const char *)rq->body.data : "", rq->body.len, 0, &jerr);
    if (!body) {
        char *near = strstr(jerr.text, " near "); /* never echo the body: it may hold secrets */
        if (near) *near = '\0';
        snprintf(msg, sizeof msg, "request body is not valid JSON (line %d, column %d: %s)",
                 jerr.line, jerr.column, jerr.text);
        return send_error(c, 400, "invalid", msg);
    }
    if (!json_is_object(body)) {
        json_decref(body);
        return send_error(c, 400, "invalid", "request body must be a JSON object");
    }
    for (i = 0; server_only_keys[i]; i++) {
        if (json_object_get(body, server_only_keys[i])) {
            snprintf(msg, sizeof msg,
                     "%s cannot be set in a request: %s", server_only_keys[i],
                     strcmp(server_only_keys[i], "window")
                         ? "the service's configuration ([influxdb]) decides it"
                         : "window is a scheduled-job key; a request is a backfill (backfill_start, "
                           "backfill_end, batch_size)");
            json_decref(body);
            return send_error(c, 400, "invalid", msg);
        }
    }
    pthread_mutex_lock(&s->lock);
    if (json_object_update_missing(body, s->cfg.influxdb) < 0) {
        pthread_mutex_unlock(&s->lock);
        json_decref(body);
        return send_error(c, 500, "nomem", "out of memory");
    }
    if (s->cfg.path) {
        const char *slash = strrchr(s->cfg.path, '/');
        json_t *dir = slash ? json_stringn(s->cfg.path, (size_t)(slash - s->cfg.path) + 1)
                            : json_string(".");
        json_object_set_new(body, "base_dir", dir);
    }
    {
        uint8_t rnd[6];
        char hex[13];
        i2i_random_bytes(rnd, sizeof rnd, NULL);
        i2i_hex(rnd, sizeof rnd, hex);
        snprintf(id, sizeof id, "req-%s", hex);
    }
    j = svc_job_new(SVC_JOB_REQUEST, id, body);
    json_decref(body);
    if (!j) {
        pthread_mutex_unlock(&s->lock);
        return send_error(c, 500, "nomem", "out of memory");
    }
    if (s->stopping) {
        pthread_mutex_unlock(&s->lock);
        svc_job_free(j);
        return send_error(c, 503, "stopping", "the service is shutting down");
    }
    j->next = s->jobs;
    s->jobs = j;
    if (async) {
        i2i_error err;
        int rc = svc_start_job_thread(s, j, REPLICATE_CALL_REQUEST, 0, &err);
        pthread_mutex_unlock(&s->lock);
        if (rc < 0) return send_error(c, 500, "internal", err.msg);
        return send_json(c, 202, json_pack("{s:b,s:i,s:s,s:s+}", "ok", 1, "status", 202, "job_id", id,
                                           "status_url", JOBS_PATH "/", id));
    }
    j->running = 1;
    pthread_mutex_unlock(&s->lock);
    result = svc_run_job(s, j, REPLICATE_CALL_REQUEST, 0);
    if (!result) return send_error(c, 500, "nomem", "out of memory");
    status = (unsigned)json_integer_value(json_object_get(result, "status"));
    json_object_set_new(result, "job_id", json_string(id));
    return send_json(c, status ? status : 500, result);
}

static enum MHD_Result handle_jobs(svc *s, struct MHD_Connection *c, const char *method,
                                   const char *url)
{
    int64_t now = i2i_now_ns();
    const char *id = url[strlen(JOBS_PATH)] == '/' ? url + strlen(JOBS_PATH) + 1 : NULL;
    svc_job *j;
    json_t *o;
    if (!id || !*id) {
        json_t *arr = json_array();
        if (strcmp(method, "GET")) return send_error(c, 405, "method", "use GET");
        pthread_mutex_lock(&s->lock);
        for (j = s->jobs; j && arr; j = j->next)
            if (!j->removed) json_array_append_new(arr, svc_job_json(j, now));
        pthread_mutex_unlock(&s->lock);
        return send_json(c, 200, json_pack("{s:o}", "jobs", arr));
    }
    pthread_mutex_lock(&s->lock);
    j = svc_find_job(s, id);
    if (!j) {
        pthread_mutex_unlock(&s->lock);
        return send_error(c, 404, "not_found", "no such job");
    }
    if (!strcmp(method, "DELETE")) {
        int was_running = j->running;
        if (was_running) j->cancel = 1;
        o = svc_job_json(j, now);
        pthread_mutex_unlock(&s->lock);
        if (!was_running) {
            json_decref(o);
            return send_error(c, 409, "not_running", "the job is not running");
        }
        json_object_set_new(o, "state", json_string("cancelling"));
        return send_json(c, 202, o);
    }
    if (strcmp(method, "GET")) {
        pthread_mutex_unlock(&s->lock);
        return send_error(c, 405, "method", "use GET or DELETE");
    }
    o = svc_job_json(j, now);
    pthread_mutex_unlock(&s->lock);
    return send_json(c, 200, o);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version, const char *upload,
                                  size_t *upload_size, void **con_cls)
{
    svc *s = cls;
    request *rq = *con_cls;
    (void)version;
    if (!rq) {
        const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Length");
        rq = calloc(1, sizeof *rq);
        if (!rq) return MHD_NO;
        if (cl && strtoull(cl, NULL, 10) > s->cfg.max_body) rq->too_big = 1;
        *con_cls = rq;
        return MHD_YES;
    }
    if (*upload_size) {
        if (!rq->too_big && rq->body.len + *upload_size <= s->cfg.max_body) {
            if (i2i_buf_append(&rq->body, upload, *upload_size) < 0) return MHD_NO;
        } else {
            rq->too_big = 1;
        }
        *upload_size = 0;
        return MHD_YES;
    }
    pthread_mutex_lock(&s->lock);
    s->http_requests++;
    pthread_mutex_unlock(&s->lock);

    if (!strcmp(url, "/health")) {
        if (strcmp(method, "GET") && strcmp(method, "HEAD")) return send_error(c, 405, "method", "use GET");
        return send_text(c, 200, "application/json", i2i_strdup("{\"status\":\"ok\"}"), NULL);
    }
    if (!authorized(s, c)) {
        int page = !strcmp(url, "/");
        return send_text(c, 401, page ? "text/plain; charset=utf-8" : "application/json",
                         i2i_strdup(page ? "401: this page needs the service's API token (as the "
                                           "password; any user name)\n"
                                         : "{\"ok\":false,\"status\":401,\"error\":\"unauthorized\","
                                           "\"message\":\"missing or wrong bearer token\"}"),
                         page ? "Basic realm=\"influx2iceberg\", charset=\"UTF-8\""
                              : "Bearer realm=\"influx2iceberg\"");
    }
    if (!strcmp(url, "/")) {
        if (strcmp(method, "GET")) return send_error(c, 405, "method", "use GET");
        return send_text(c, 200, "text/html; charset=utf-8", svc_render_status_page(s), NULL);
    }
    if (!strcmp(url, "/metrics")) {
        if (strcmp(method, "GET")) return send_error(c, 405, "method", "use GET");
        return send_text(c, 200, "text/plain; version=0.0.4; charset=utf-8", svc_render_metrics(s),
                         NULL);
    }
    if (!strcmp(url, REPLICATE_PATH)) {
        if (strcmp(method, "POST")) return send_error(c, 405, "method", "use POST");
        return handle_replicate(s, c, rq);
    }
    if (!strncmp(url, JOBS_PATH, strlen(JOBS_PATH)) &&
        (url[strlen(JOBS_PATH)] == '\0' || url[strlen(JOBS_PATH)] == '/'))
        return handle_jobs(s, c, method, url);
    return send_error(c, 404, "not_found", "no such endpoint");
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    request *rq = *con_cls;
    (void)cls;
    (void)c;
    (void)toe;
    if (!rq) return;
    i2i_buf_free(&rq->body);
    free(rq);
    *con_cls = NULL;
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
    char line[512];
    size_t n;
    (void)cls;
    vsnprintf(line, sizeof line, fmt, ap);
    n = strlen(line);
    while (n && line[n - 1] == '\n') line[--n] = '\0';
    I2I_WARN("http server: %s", line);
}

int svc_http_start(svc *s, i2i_error *err)
{
    struct addrinfo hints, *ai = NULL;
    char port[16];
    int rc;
    const union MHD_DaemonInfo *info;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    snprintf(port, sizeof port, "%d", s->cfg.port);
    rc = getaddrinfo(s->cfg.bind, port, &hints, &ai);
    if (rc != 0)
        return i2i_error_set(err, I2I_ERR_INVALID, "server.bind '%s': %s", s->cfg.bind,
                             gai_strerror(rc));
    s->mhd = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION |
                                  MHD_USE_ERROR_LOG | (ai->ai_family == AF_INET6 ? MHD_USE_IPv6 : 0),
                              (uint16_t)s->cfg.port, NULL, NULL, on_request, s,
                              MHD_OPTION_EXTERNAL_LOGGER, mhd_log, s,
                              MHD_OPTION_SOCK_ADDR, ai->ai_addr,
                              MHD_OPTION_NOTIFY_COMPLETED, on_completed, s,
                              MHD_OPTION_CONNECTION_LIMIT, (unsigned)64,
                              MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)120, MHD_OPTION_END);
    freeaddrinfo(ai);
    if (!s->mhd)
        return i2i_error_set(err, I2I_ERR_IO,
                             "cannot listen on %s:%d (in use, or not an address of this machine?)",
                             s->cfg.bind, s->cfg.port);
    info = MHD_get_daemon_info(s->mhd, MHD_DAEMON_INFO_BIND_PORT);
    s->port = info ? (int)info->port : s->cfg.port;
    return I2I_OK;
}

void svc_http_stop(svc *s)
{
    if (s->mhd) MHD_stop_daemon(s->mhd);
    s->mhd = NULL;
}
