/* Jobs: scheduled ones fire on their trigger, HTTP requests run once. A job never runs twice at
 * once (a fire that finds it running is skipped and counted); each run is one replicate_call, so
 * it resumes from the table's committed ranges exactly as the CLI and the plugin do. */
#include "service_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

const double svc_bucket_bounds[SVC_BUCKETS] = {1, 5, 15, 60, 300, 900, 3600, 14400};

static void copy_str(char *dst, size_t n, const char *src)
{
    snprintf(dst, n, "%s", src ? src : "");
}

svc_job *svc_job_new(svc_job_kind kind, const char *id, const json_t *args)
{
    svc_job *j = calloc(1, sizeof *j);
    const char *m, *ns, *t;
    if (!j) return NULL;
    j->kind = kind;
    copy_str(j->id, sizeof j->id, id);
    j->args = json_deep_copy(args);
    if (!j->args) {
        free(j);
        return NULL;
    }
    m = json_string_value(json_object_get(args, "measurement"));
    ns = json_string_value(json_object_get(args, "namespace"));
    t = json_string_value(json_object_get(args, "table_name"));
    copy_str(j->measurement, sizeof j->measurement, m);
    snprintf(j->target, sizeof j->target, "%s.%s", ns ? ns : "default", t ? t : (m ? m : ""));
    copy_str(j->state, sizeof j->state, "idle");
    j->next_fire_ns = INT64_MAX;
    return j;
}

void svc_job_free(svc_job *j)
{
    if (!j) return;
    free(j->trigger_spec);
    json_decref(j->args);
    free(j->last_error);
    json_decref(j->last_result);
    free(j);
}

svc_job *svc_find_job(svc *s, const char *id)
{
    svc_job *j;
    for (j = s->jobs; j; j = j->next)
        if (!strcmp(j->id, id) && !j->removed) return j;
    return NULL;
}

typedef struct run_ctx {
    svc *s;
    svc_job *j;
    svc_run_log log;
} run_ctx;

static void on_progress(void *ctx, const replicate_progress *p)
{
    run_ctx *rc = ctx;
    svc_job *j = rc->j;
    if (p->event == REPLICATE_EVENT_WINDOW_BEGIN) svc_run_log_window(&rc->log, p->window_start, p->window_end);
    if (p->event == REPLICATE_EVENT_DONE) svc_run_log_window(&rc->log, 0, 0);
    pthread_mutex_lock(&rc->s->lock);
    if (p->event == REPLICATE_EVENT_COMMITTED || p->event == REPLICATE_EVENT_SKIPPED) {
        if (p->window_end > j->committed_until_ns) j->committed_until_ns = p->window_end;
        /* An empty window advances the committed ranges without a snapshot: not a commit. */
        if (p->event == REPLICATE_EVENT_COMMITTED && p->files > j->files_committed_run) {
            j->commits_total++;
            j->last_commit_ns = i2i_now_ns();
        }
        if (p->event == REPLICATE_EVENT_COMMITTED) {
            j->files_committed_run = p->files;
            /* Rows and bytes of committed windows count at once, not when a long run ends. */
            j->rows_total = j->rows_base + p->rows;
            j->bytes_total = j->bytes_base + p->bytes;
        }
    }
    j->prog = *p;
    if (p->event == REPLICATE_EVENT_START && p->range_start > j->committed_until_ns &&
        j->kind == SVC_JOB_SCHEDULED)
        /* An incremental run starts where the committed ranges end. */
        j->committed_until_ns = p->range_start;
    pthread_mutex_unlock(&rc->s->lock);
}

json_t *svc_run_job(svc *s, svc_job *j, replicate_call_mode mode, int64_t fire_ns)
{
    replicate_call call;
    run_ctx ctx;
    json_t *args, *result;
    int64_t t0 = i2i_monotonic_ns();
    double secs;
    int b;

    memset(&call, 0, sizeof call);
    memset(&ctx, 0, sizeof ctx);
    ctx.s = s;
    ctx.j = j;
    call.mode = mode;
    call.call_time_ns = fire_ns;
    call.cancel = &j->cancel;
    call.on_progress = on_progress;
    call.progress_ctx = &ctx;
    replicate_call_new_task_id(&call);
    pthread_mutex_lock(&s->lock);
    args = json_incref(j->args); /* a reload may replace j->args while this run uses its own */
    memcpy(j->task_id, call.task_id, sizeof j->task_id);
    j->run_started_ns = i2i_now_ns();
    memset(&j->prog, 0, sizeof j->prog);
    j->rows_base = j->rows_total;
    j->bytes_base = j->bytes_total;
    j->files_committed_run = 0;
    copy_str(j->state, sizeof j->state, "running");
    pthread_mutex_unlock(&s->lock);

    svc_run_log_begin(&ctx.log, s, j->id, call.task_id);
    result = replicate_call_run(&call, args);
    svc_run_log_end(&ctx.log);
    json_decref(args);

    secs = (double)(i2i_monotonic_ns() - t0) / 1e9;
    pthread_mutex_lock(&s->lock);
    j->run_finished_ns = i2i_now_ns();
    j->duration_sum += secs;
    j->duration_count++;
    for (b = 0; b < SVC_BUCKETS && secs > svc_bucket_bounds[b]; b++) {
    }
    j->duration_buckets[b]++;
    if (!result) {
        j->runs_failed++;
        copy_str(j->state, sizeof j->state, "failed");
        free(j->last_error);
        j->last_error = i2i_strdup("out of memory");
    } else if (json_is_true(json_object_get(result, "ok"))) {
        const json_t *sum = json_object_get(result, "summary");
        if (json_is_true(json_object_get(result, "skipped"))) {
            j->runs_skipped++;
            copy_str(j->state, sizeof j->state, "skipped");
        } else {
            j->runs_ok++;
            copy_str(j->state, sizeof j->state, "succeeded");
        }
        j->rows_total = j->rows_base + json_integer_value(json_object_get(sum, "total_written_records"));
        j->bytes_total = j->bytes_base + json_integer_value(json_object_get(sum, "bytes_written"));
        free(j->last_error);
        j->last_error = NULL;
    } else {
        const json_t *sum = json_object_get(result, "summary");
        const char *kind = json_string_value(json_object_get(result, "error"));
        j->runs_failed++;
        copy_str(j->state, sizeof j->state,
                 kind && !strcmp(kind, "cancelled") ? "cancelled" : "failed");
        if (sum) {
            j->rows_total = j->rows_base + json_integer_value(json_object_get(sum, "total_written_records"));
            j->bytes_total = j->bytes_base + json_integer_value(json_object_get(sum, "bytes_written"));
        }
        free(j->last_error);
        j->last_error = i2i_strdup(json_string_value(json_object_get(result, "message")));
    }
    json_decref(j->last_result);
    j->last_result = json_incref(result);
    j->running = 0;
    j->cancel = 0;
    pthread_cond_broadcast(&s->wake);
    pthread_mutex_unlock(&s->lock);
    return result;
}

typedef struct thread_arg {
    svc *s;
    svc_job *j;
    replicate_call_mode mode;
    int64_t fire_ns;
} thread_arg;

static void *job_thread(void *p)
{
    thread_arg a = *(thread_arg *)p;
    free(p);
    json_decref(svc_run_job(a.s, a.j, a.mode, a.fire_ns));
    return NULL;
}

int svc_start_job_thread(svc *s, svc_job *j, replicate_call_mode mode, int64_t fire_ns,
                         i2i_error *err)
{
    thread_arg *a = malloc(sizeof *a);
    int rc;
    if (!a) return i2i_error_nomem(err, "starting a job");
    a->s = s;
    a->j = j;
    a->mode = mode;
    a->fire_ns = fire_ns;
    if (j->has_thread) {
        /* The previous run's thread has ended (running == 0): reap it before reusing the slot. */
        pthread_join(j->thread, NULL);
        j->has_thread = 0;
    }
    j->running = 1;
    copy_str(j->state, sizeof j->state, "running");
    rc = pthread_create(&j->thread, NULL, job_thread, a);
    if (rc != 0) {
        free(a);
        j->running = 0;
        copy_str(j->state, sizeof j->state, "failed");
        return i2i_error_set(err, I2I_ERR_IO, "cannot start a thread for job %s: %s", j->id,
                             strerror(rc));
    }
    j->has_thread = 1;
    return I2I_OK;
}

/* Unlink and free what is finished and no longer wanted: removed scheduled jobs once idle, and
 * all but the newest SVC_KEEP_FINISHED_REQUESTS finished requests. */
void svc_prune_requests(svc *s)
{
    svc_job **pp = &s->jobs;
    int kept = 0;
    while (*pp) {
        svc_job *j = *pp;
        int drop = 0;
        if (!j->running && j->kind == SVC_JOB_REQUEST && j->run_finished_ns)
            drop = ++kept > SVC_KEEP_FINISHED_REQUESTS;
        if (!j->running && j->removed) drop = 1;
        if (drop) {
            *pp = j->next;
            if (j->has_thread) pthread_join(j->thread, NULL);
            svc_job_free(j);
        } else {
            pp = &j->next;
        }
    }
}

/* ------------------------------------------------------------------ the scheduler */

static void *scheduler_main(void *p)
{
    svc *s = p;
    pthread_mutex_lock(&s->lock);
    while (!s->stopping) {
        int64_t now = i2i_now_ns(), earliest = INT64_MAX;
        svc_job *j;
        for (j = s->jobs; j; j = j->next) {
            if (j->kind != SVC_JOB_SCHEDULED || j->removed) continue;
            if (j->next_fire_ns <= now) {
                int64_t fire = j->next_fire_ns;
                j->next_fire_ns = trigger_next_fire(&j->trig, now);
                if (j->running) {
                    j->runs_skipped++;
                    I2I_WARN("job %s: trigger fired while its previous run is still going: this "
                             "fire is skipped (%lld so far); the next run catches up",
                             j->id, (long long)j->runs_skipped);
                } else {
                    i2i_error err;
                    if (svc_start_job_thread(s, j, REPLICATE_CALL_SCHEDULED, fire, &err) < 0)
                        I2I_ERROR("%s", err.msg);
                }
            }
            if (j->next_fire_ns < earliest) earliest = j->next_fire_ns;
        }
        svc_prune_requests(s);
        if (earliest == INT64_MAX) {
            pthread_cond_wait(&s->wake, &s->lock);
        } else {
            struct timespec ts;
            /* Wake at the earliest fire, or at the latest in a minute (clock steps). */
            int64_t until = earliest - now > 60 * I2I_NS_PER_S ? now + 60 * I2I_NS_PER_S : earliest;
            ts.tv_sec = (time_t)(until / I2I_NS_PER_S);
            ts.tv_nsec = (long)(until % I2I_NS_PER_S);
            pthread_cond_timedwait(&s->wake, &s->lock, &ts);
        }
    }
    pthread_mutex_unlock(&s->lock);
    return NULL;
}

int svc_scheduler_start(svc *s, i2i_error *err)
{
    int rc = pthread_create(&s->scheduler, NULL, scheduler_main, s);
    if (rc != 0)
        return i2i_error_set(err, I2I_ERR_IO, "cannot start the scheduler: %s", strerror(rc));
    return I2I_OK;
}

/* Stop firing, ask every run to stop before its next batch (the window in progress is not
 * committed and its files are removed), and wait for all of them. */
void svc_scheduler_stop(svc *s)
{
    svc_job *j;
    pthread_mutex_lock(&s->lock);
    s->stopping = 1;
    for (j = s->jobs; j; j = j->next)
        if (j->running) j->cancel = 1;
    pthread_cond_broadcast(&s->wake);
    pthread_mutex_unlock(&s->lock);
    pthread_join(s->scheduler, NULL);
    for (;;) {
        pthread_t t;
        int found = 0;
        pthread_mutex_lock(&s->lock);
        for (j = s->jobs; j; j = j->next) {
            if (j->has_thread) {
                t = j->thread;
                j->has_thread = 0;
                found = 1;
                break;
            }
        }
        pthread_mutex_unlock(&s->lock);
        if (!found) break;
        pthread_join(t, NULL);
    }
}

int svc_apply_jobs(svc *s, service_config *cfg, i2i_error *err)
{
    size_t i;
    svc_job *j;
    int64_t now = i2i_now_ns();
    for (j = s->jobs; j; j = j->next)
        if (j->kind == SVC_JOB_SCHEDULED) j->removed = 1;
    for (i = 0; i < cfg->njobs; i++) {
        service_job_spec *spec = &cfg->jobs[i];
        svc_job *old = NULL;
        for (j = s->jobs; j; j = j->next)
            if (j->kind == SVC_JOB_SCHEDULED && !strcmp(j->id, spec->name)) old = j;
        if (old && !strcmp(old->trigger_spec, spec->trigger) && json_equal(old->args, spec->args)) {
            old->removed = 0;
            continue;
        }
        if (old) {
            /* Changed: the next run uses the new arguments; a run in progress keeps its own. */
            json_decref(old->args);
            old->args = json_incref(spec->args);
            free(old->trigger_spec);
            old->trig = spec->trig;
            old->trigger_spec = spec->trigger;
            spec->trigger = NULL;
            old->next_fire_ns = trigger_next_fire(&old->trig, now);
            old->removed = 0;
            I2I_INFO("job %s: configuration changed; applies from its next run", old->id);
            continue;
        }
        j = svc_job_new(SVC_JOB_SCHEDULED, spec->name, spec->args);
        if (!j) {
            return i2i_error_nomem(err, "adding a job");
        }
        j->trig = spec->trig;
        j->trigger_spec = spec->trigger;
        spec->trigger = NULL;
        j->next_fire_ns = trigger_next_fire(&j->trig, now);
        j->next = s->jobs;
        s->jobs = j;
    }
    for (j = s->jobs; j; j = j->next) {
        if (j->removed && j->kind == SVC_JOB_SCHEDULED)
            I2I_INFO("job %s: removed from the configuration%s", j->id,
                     j->running ? "; its current run finishes first" : "");
    }
    pthread_cond_broadcast(&s->wake);
    return I2I_OK;
}
