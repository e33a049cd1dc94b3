/* The service's shared state: jobs (scheduled and HTTP requests), counters, the HTTP daemon.
 * One mutex guards everything mutable here; runs themselves happen outside it. */
#ifndef I2I_SERVICE_INTERNAL_H
#define I2I_SERVICE_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>

#include "../replicate/call.h"
#include "service.h"
#include "trigger.h"

/* Upper bounds (seconds) of the run-duration histogram buckets (+Inf is implied). */
#define SVC_BUCKETS 8
extern const double svc_bucket_bounds[SVC_BUCKETS];

/* Finished HTTP-request jobs kept for GET /api/v3/engine/jobs. */
#define SVC_KEEP_FINISHED_REQUESTS 50

typedef enum svc_job_kind { SVC_JOB_SCHEDULED, SVC_JOB_REQUEST } svc_job_kind;

typedef struct svc_job {
    struct svc_job *next;
    char id[96];            /* scheduled: its config name; request: "req-<task id>" */
    svc_job_kind kind;
    char *trigger_spec;     /* scheduled only */
    trigger trig;
    json_t *args;           /* secrets inside: never rendered */
    char measurement[128], target[256];
    int removed;            /* dropped from the config by a reload; freed once idle */

    int running;
    int has_thread;         /* a worker thread to join (scheduled and async runs) */
    pthread_t thread;
    volatile int cancel;
    int64_t next_fire_ns;   /* scheduled: INT64_MAX = never again */
    char state[16];         /* idle, running, succeeded, failed, cancelled, skipped */
    char task_id[9];
    int64_t run_started_ns, run_finished_ns;
    replicate_progress prog; /* latest event of the current or last run */
    int64_t runs_ok, runs_failed, runs_skipped;
    int64_t rows_total, bytes_total, commits_total; /* committed windows' rows and bytes */
    int64_t rows_base, bytes_base;  /* the totals when the current run started */
    int64_t files_committed_run;    /* data files the current run has committed */
    int64_t committed_until_ns; /* end of the newest window this service saw committed; 0 = none */
    int64_t last_commit_ns;     /* wall time of that commit */
    char *last_error;
    json_t *last_result;
    int64_t duration_buckets[SVC_BUCKETS + 1];
    double duration_sum;
    int64_t duration_count;
} svc_job;

typedef struct svc {
    service_config cfg;
    pthread_mutex_t lock;
    pthread_cond_t wake;    /* scheduler: a stop, a reload, or a job finished */
    svc_job *jobs;
    int stopping;
    int64_t started_ns;
    int64_t http_requests, http_unauthorized;
    pthread_t scheduler;
    struct MHD_Daemon *mhd;
    int port;               /* the port actually bound */
} svc;

/* jobs.c */
svc_job *svc_job_new(svc_job_kind kind, const char *id, const json_t *args);
void svc_job_free(svc_job *j);
svc_job *svc_find_job(svc *s, const char *id); /* under lock */
/* Run one job to its end on the calling thread (sync HTTP requests, worker threads). The job
 * must be marked running by the caller (under lock). Returns the result (new reference). */
json_t *svc_run_job(svc *s, svc_job *j, replicate_call_mode mode, int64_t fire_ns);
/* Start a worker thread for the job (under lock; marks it running). */
int svc_start_job_thread(svc *s, svc_job *j, replicate_call_mode mode, int64_t fire_ns,
                         i2i_error *err);
void svc_prune_requests(svc *s); /* under lock */
int svc_scheduler_start(svc *s, i2i_error *err);
void svc_scheduler_stop(svc *s);
/* Replace the scheduled jobs by those of a new config (under lock); cfg's specs are consumed. */
int svc_apply_jobs(svc *s, service_config *cfg, i2i_error *err);

/* render.c: what people and scrapers see. All take the lock themselves. */
json_t *svc_job_json(const svc_job *j, int64_t now); /* under lock */
char *svc_render_metrics(svc *s);
char *svc_render_status_page(svc *s);

/* api.c */
int svc_http_start(svc *s, i2i_error *err);
void svc_http_stop(svc *s);

/* logging.c */
void svc_log_install(svc *s);
void svc_log_uninstall(void);
/* A run's log context: its lines carry the job, task id and current window. begin installs it as
 * the calling thread's sink (which the write pipeline shares with its writer thread). */
typedef struct svc_run_log {
    const svc *s;
    char job[96];
    char task[9];
    _Atomic int64_t window_start, window_end; /* set by the run's thread, read by the writer's */
} svc_run_log;
void svc_run_log_begin(svc_run_log *rl, const svc *s, const char *job, const char *task_id);
void svc_run_log_end(svc_run_log *rl);
void svc_run_log_window(svc_run_log *rl, int64_t start, int64_t end);
void svc_run_log_sink(void *ctx, i2i_log_level level, const char *line);

/* Timing-safe comparison of a presented token with the configured one. */
int svc_token_equal(const char *given, size_t given_len, const char *want);

#endif
