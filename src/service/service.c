/* The service's lifecycle: load the config, start the scheduler and the HTTP API, then wait for
 * signals on this thread (sigwait: no handler runs in an arbitrary thread). SIGHUP reloads the
 * jobs; SIGTERM/SIGINT stop every run before its next batch (the window in progress is not
 * committed, its files are removed) and exit once all have ended. */
#include "service_internal.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

static void free_jobs(svc *s)
{
    while (s->jobs) {
        svc_job *j = s->jobs;
        s->jobs = j->next;
        if (j->has_thread) pthread_join(j->thread, NULL);
        svc_job_free(j);
    }
}

static void reload(svc *s)
{
    service_config next;
    i2i_error err;
    I2I_INFO("SIGHUP: reloading %s", s->cfg.path);
    if (service_config_load(s->cfg.path, NULL, &next, &err) < 0) {
        I2I_ERROR("reload refused, the running configuration stays: %s", err.msg);
        return;
    }
    if (strcmp(next.bind, s->cfg.bind) || next.port != s->cfg.port ||
        next.max_body != s->cfg.max_body || next.log_json != s->cfg.log_json)
        I2I_WARN("reload: [server] bind, port, max_body_bytes and log_format apply after a restart");
    pthread_mutex_lock(&s->lock);
    if (svc_apply_jobs(s, &next, &err) < 0) {
        pthread_mutex_unlock(&s->lock);
        I2I_ERROR("reload failed: %s", err.msg);
        service_config_free(&next);
        return;
    }
    /* Settings read per request or per run switch now. */
    {
        char *tok = s->cfg.api_token;
        json_t *idb = s->cfg.influxdb;
        char *pd = s->cfg.plugin_dir;
        s->cfg.api_token = next.api_token;
        s->cfg.auth_disabled = next.auth_disabled;
        s->cfg.influxdb = next.influxdb;
        s->cfg.plugin_dir = next.plugin_dir;
        next.api_token = tok;
        next.influxdb = idb;
        next.plugin_dir = pd;
    }
    i2i_log_set_level(next.log_level);
    s->cfg.log_level = next.log_level;
    pthread_mutex_unlock(&s->lock);
    I2I_INFO("reload done: %zu scheduled job(s)", next.njobs);
    service_config_free(&next);
}

int service_run(const char *config_path, i2i_error *err)
{
    svc s;
    sigset_t set;
    int rc, sig;

    memset(&s, 0, sizeof s);
    /* Before any thread exists, so every thread inherits the mask and only sigwait sees them. */
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);

    I2I_TRY(service_config_load(config_path, NULL, &s.cfg, err));
    pthread_mutex_init(&s.lock, NULL);
    pthread_cond_init(&s.wake, NULL);
    s.started_ns = i2i_now_ns();
    svc_log_install(&s);
    if (s.cfg.auth_disabled)
        I2I_WARN("[server] auth = false: the HTTP API on %s:%d accepts requests without a token",
                 s.cfg.bind, s.cfg.port);
    pthread_mutex_lock(&s.lock);
    rc = svc_apply_jobs(&s, &s.cfg, err);
    pthread_mutex_unlock(&s.lock);
    if (rc < 0) goto out;
    rc = svc_http_start(&s, err);
    if (rc < 0) goto out;
    rc = svc_scheduler_start(&s, err);
    if (rc < 0) {
        svc_http_stop(&s);
        goto out;
    }
    I2I_INFO("influx2iceberg serve: listening on http://%s:%d with %zu scheduled job(s)%s",
             s.cfg.bind, s.port, s.cfg.njobs, s.cfg.auth_disabled ? "" : " (bearer token required)");

    for (;;) {
        if (sigwait(&set, &sig) != 0) continue;
        if (sig == SIGHUP) {
            reload(&s);
            continue;
        }
        I2I_INFO("%s: stopping (runs in progress stop before their next batch; windows not "
                 "committed are redone by the next run)", sig == SIGTERM ? "SIGTERM" : "SIGINT");
        break;
    }
    svc_scheduler_stop(&s);
    svc_http_stop(&s);
    I2I_INFO("stopped");
    rc = I2I_OK;
out:
    free_jobs(&s);
    svc_log_uninstall();
    service_config_free(&s.cfg);
    pthread_cond_destroy(&s.wake);
    pthread_mutex_destroy(&s.lock);
    pthread_sigmask(SIG_UNBLOCK, &set, NULL);
    return rc;
}
