/* One logger for the whole program: levels, a pluggable sink, and redaction of secrets so a
 * token or password can never reach a log line, whoever formats it. */
#include "util.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>


static pthread_mutex_t log_mutex = PTHREAD_MUTEX_INITIALIZER;
static i2i_log_level log_level = I2I_LOG_INFO;
static i2i_log_sink log_sink = NULL;
static void *log_sink_ctx = NULL;
static char **secrets; /* grows: a long-running process with many triggers keeps adding */
static size_t nsecrets = 0, secrets_cap = 0;
/* The calling thread's own sink (i2i_log_set_thread_sink); overrides log_sink when set. */
static _Thread_local i2i_log_sink thread_sink = NULL;
static _Thread_local void *thread_sink_ctx = NULL;

void i2i_log_set_level(i2i_log_level level) { log_level = level; }
i2i_log_level i2i_log_get_level(void) { return log_level; }

void i2i_log_set_sink(i2i_log_sink sink, void *ctx)
{
    pthread_mutex_lock(&log_mutex);
    log_sink = sink;
    log_sink_ctx = ctx;
    pthread_mutex_unlock(&log_mutex);
}

void i2i_log_set_thread_sink(i2i_log_sink sink, void *ctx)
{
    thread_sink = sink;
    thread_sink_ctx = sink ? ctx : NULL;
}

void i2i_log_get_thread_sink(i2i_log_sink *sink, void **ctx)
{
    *sink = thread_sink;
    *ctx = thread_sink_ctx;
}

void i2i_log_add_secret(const char *secret)
{
    size_t i;
    if (!secret || strlen(secret) < 4) return;
    pthread_mutex_lock(&log_mutex);
    for (i = 0; i < nsecrets; i++) {
        if (strcmp(secrets[i], secret) == 0) goto out;
    }
    if (nsecrets == secrets_cap) {
        size_t cap = secrets_cap ? secrets_cap * 2 : 16;
        char **p = realloc(secrets, cap * sizeof *p);
        if (!p) goto out; /* cannot happen in practice; the secret would stay unredacted */
        secrets = p;
        secrets_cap = cap;
    }
    {
        char *copy = i2i_strdup(secret);
        if (copy) secrets[nsecrets++] = copy;
    }
out:
    pthread_mutex_unlock(&log_mutex);
}

void i2i_log_remove_secret(const char *secret)
{
    size_t i;
    if (!secret) return;
    pthread_mutex_lock(&log_mutex);
    for (i = 0; i < nsecrets; i++) {
        if (strcmp(secrets[i], secret) == 0) {
            /* wiped: the registry must not become the place a retired secret lingers */
            memset(secrets[i], 0, strlen(secrets[i]));
            free(secrets[i]);
            secrets[i] = secrets[--nsecrets]; /* order does not matter for redaction */
            break;
        }
    }
    pthread_mutex_unlock(&log_mutex);
}

size_t i2i_log_secret_count(void)
{
    size_t n;
    pthread_mutex_lock(&log_mutex);
    n = nsecrets;
    pthread_mutex_unlock(&log_mutex);
    return n;
}

void i2i_log_clear_secrets(void)
{
    size_t i;
    pthread_mutex_lock(&log_mutex);
    for (i = 0; i < nsecrets; i++) free(secrets[i]);
    nsecrets = 0;
    pthread_mutex_unlock(&log_mutex);
}

static void redact_locked(char *s)
{
    size_t i;
    for (i = 0; i < nsecrets; i++) {
        size_t n = strlen(secrets[i]);
        char *hit;
        while ((hit = strstr(s, secrets[i])) != NULL) {
            memcpy(hit, "***", 3);
            memmove(hit + 3, hit + n, strlen(hit + n) + 1);
        }
    }
}

void i2i_redact_in_place(char *s)
{
    if (!s) return;
    pthread_mutex_lock(&log_mutex);
    redact_locked(s);
    pthread_mutex_unlock(&log_mutex);
}

static const char *level_name(i2i_log_level level)
{
    switch (level) {
    case I2I_LOG_DEBUG: return "DEBUG";
    case I2I_LOG_INFO: return "INFO";
    case I2I_LOG_WARN: return "WARN";
    case I2I_LOG_ERROR: return "ERROR";
    default: return "LOG";
    }
}

void i2i_log(i2i_log_level level, const char *fmt, ...)
{
    char line[4096];
    va_list ap;

    if (level < log_level || level >= I2I_LOG_OFF) return;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);

    pthread_mutex_lock(&log_mutex);
    redact_locked(line);
    if (thread_sink) {
        /* Only this thread uses it: no need to hold the lock (the sink may be slow, e.g. a
         * Python callback waiting for its interpreter lock). */
        pthread_mutex_unlock(&log_mutex);
        thread_sink(thread_sink_ctx, level, line);
        return;
    }
    if (log_sink) {
        log_sink(log_sink_ctx, level, line);
    } else {
        char ts[40];
        i2i_time_format_rfc3339(i2i_now_ns(), ts, sizeof ts);
        ts[23] = 'Z'; /* millisecond precision is enough for humans */
        ts[24] = '\0';
        fprintf(stderr, "%s %-5s %s\n", ts, level_name(level), line);
    }
    pthread_mutex_unlock(&log_mutex);
}
