/* util logger: the per-thread sink (i2i_log_set_thread_sink). Proves that lines logged by a
 * thread with its own sink reach that sink only, redacted, while other threads keep using the
 * global sink; that clearing it falls back to the global sink; and that the level still filters. */
#include "test.h"
#include "util/util.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#define LINES_PER_THREAD 500
#define NTHREADS 4

typedef struct recorder {
    pthread_mutex_t mu; /* the global sink is shared by every thread without a sink of its own */
    int n;
    int foreign;  /* lines that did not carry the expected tag */
    int leaked;   /* lines still containing the secret */
    int warn;     /* lines at WARN level */
    char tag[32];
} recorder;

static void record(void *ctx, i2i_log_level level, const char *line)
{
    recorder *r = ctx;
    pthread_mutex_lock(&r->mu);
    r->n++;
    if (r->tag[0] && !strstr(line, r->tag)) r->foreign++;
    if (strstr(line, "SuperSecret-thread-token")) r->leaked++;
    if (level == I2I_LOG_WARN) r->warn++;
    pthread_mutex_unlock(&r->mu);
}

static void recorder_init(recorder *r, const char *tag)
{
    memset(r, 0, sizeof *r);
    pthread_mutex_init(&r->mu, NULL);
    snprintf(r->tag, sizeof r->tag, "%s", tag ? tag : "");
}

typedef struct worker {
    int id;
    recorder own;
    int after_clear_done;
} worker;

static pthread_barrier_t start_line;

static void *worker_main(void *arg)
{
    worker *w = arg;
    int i;
    i2i_log_set_thread_sink(record, &w->own);
    pthread_barrier_wait(&start_line); /* every thread logs at the same time */
    for (i = 0; i < LINES_PER_THREAD; i++) {
        if (i % 10 == 0) I2I_WARN("[t%d] line %d token=SuperSecret-thread-token", w->id, i);
        else I2I_INFO("[t%d] line %d", w->id, i);
        I2I_DEBUG("[t%d] filtered out by the global level", w->id);
    }
    i2i_log_set_thread_sink(NULL, NULL);
    I2I_INFO("global: [t%d] after clearing", w->id); /* goes to the global sink */
    w->after_clear_done = 1;
    return NULL;
}

TEST(thread_sink_routes_each_threads_lines_to_its_own_sink)
{
    worker w[NTHREADS];
    pthread_t th[NTHREADS];
    recorder global;
    int i;

    recorder_init(&global, "global");
    i2i_log_set_level(I2I_LOG_INFO);
    i2i_log_add_secret("SuperSecret-thread-token");
    i2i_log_set_sink(record, &global);
    REQUIRE(pthread_barrier_init(&start_line, NULL, NTHREADS + 1) == 0);
    for (i = 0; i < NTHREADS; i++) {
        char tag[32];
        w[i].id = i;
        snprintf(tag, sizeof tag, "[t%d]", i);
        recorder_init(&w[i].own, tag);
        w[i].after_clear_done = 0;
        REQUIRE(pthread_create(&th[i], NULL, worker_main, &w[i]) == 0);
    }
    pthread_barrier_wait(&start_line);
    for (i = 0; i < 100; i++) I2I_INFO("global: main thread line %d", i); /* interleaved */
    for (i = 0; i < NTHREADS; i++) pthread_join(th[i], NULL);
    pthread_barrier_destroy(&start_line);

    for (i = 0; i < NTHREADS; i++) {
        CHECK_EQ_INT(w[i].own.n, LINES_PER_THREAD); /* all of its lines, no DEBUG, nobody else's */
        CHECK_EQ_INT(w[i].own.foreign, 0);
        CHECK_EQ_INT(w[i].own.leaked, 0); /* redaction still applies */
        CHECK_EQ_INT(w[i].own.warn, LINES_PER_THREAD / 10);
        CHECK(w[i].after_clear_done);
    }
    /* main thread's 100 lines + one "after clearing" line per worker, nothing else */
    CHECK_EQ_INT(global.n, 100 + NTHREADS);
    CHECK_EQ_INT(global.foreign, 0);
    CHECK_EQ_INT(global.leaked, 0);

    i2i_log_set_sink(NULL, NULL);
    i2i_log_clear_secrets();
}

TEST(thread_sink_on_one_thread_leaves_the_global_sink_alone)
{
    recorder global, mine;
    recorder_init(&global, NULL);
    recorder_init(&mine, NULL);
    i2i_log_set_level(I2I_LOG_INFO);
    i2i_log_set_sink(record, &global);
    i2i_log_set_thread_sink(record, &mine);
    I2I_INFO("to mine");
    I2I_ERROR("to mine too");
    i2i_log_set_thread_sink(NULL, &mine); /* NULL sink clears, whatever ctx says */
    I2I_INFO("to global");
    CHECK_EQ_INT(mine.n, 2);
    CHECK_EQ_INT(global.n, 1);
    i2i_log_set_level(I2I_LOG_OFF);
    i2i_log_set_thread_sink(record, &mine);
    I2I_ERROR("nobody hears this");
    CHECK_EQ_INT(mine.n, 2);
    i2i_log_set_thread_sink(NULL, NULL);
    i2i_log_set_level(I2I_LOG_INFO);
    i2i_log_set_sink(NULL, NULL);
}
