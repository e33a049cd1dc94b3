/* The read-ahead (source.h, "read-ahead"): the next window's request sent on a fetch thread with
 * its own connection while the caller finishes the current window, its body kept in a bounded
 * ring buffer that the caller's parser later reads from, then the rest of the live transfer
 * through the same buffer.
 *
 * The ring is one allocation of max_bytes made at open (pages are touched only as bytes arrive),
 * so memory never grows with a window. The fetch thread copies each piece libcurl hands it into
 * the free part of the ring; when the ring is full it waits inside libcurl's write callback, so
 * libcurl stops reading the socket and TCP flow control holds the server. The consumer parses
 * straight from the ring (the bytes between head and head + count are never written by the fetch
 * thread), so a byte is copied once. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "jsonl.h"
#include "source_internal.h"

/* How often a consumer waiting for bytes looks at the caller's cancel flag (a signal handler
 * sets it, so it cannot wake the condition variable). */
#define CANCEL_POLL_MS 50

/* Once the caller reads, the fetch thread keeps at most this much ahead of it: the bytes the parser
 * reads were then written moments before and are still in the CPU's cache. Filling the whole ring
 * ahead of a reader that is slower than the network (the usual case) would hand the parser bytes
 * written max_bytes earlier, long evicted, which costs more than the copy. Two of libcurl's 256 KiB
 * reads. */
#define LIVE_AHEAD ((size_t)512 << 10)

struct source_prefetch {
    source *s;                       /* the read-ahead's own connection */
    const volatile int *job_cancel;  /* the caller's flag, polled while waiting for bytes */
    volatile int abort;              /* raised (atomically) to stop the fetch: the connection's cancel */
    i2i_log_sink log_sink;
    void *log_ctx;

    pthread_mutex_t mu;
    pthread_cond_t cv;
    pthread_t thread;
    int started;   /* a fetch was started and its thread not yet joined */
    /* under mu */
    char *ring;
    size_t cap, head, count;
    size_t limit;      /* the fetch thread fills up to this: cap until the caller reads, then less */
    uint64_t buffered; /* body bytes put in the ring by this fetch */
    int retry_refused; /* ring_rollback said no: http_perform's message already says why */
    int done;          /* the fetch thread finished its request */
    int rc;            /* its result, valid once done */
    i2i_error err;
    src_reply_info info;
    http_stats http;

    /* the request: built by the caller before the thread starts, read-only while it runs */
    i2i_buf prefix, sql, body;
    char what[400];
};

static void raise_abort(source_prefetch *pf)
{
    __atomic_store_n(&pf->abort, 1, __ATOMIC_RELAXED);
}

int source_prefetch_open(const source_config *cfg, size_t max_bytes, i2i_log_sink log_sink,
                         void *log_ctx, source_prefetch **out, i2i_error *err)
{
    source_prefetch *pf;
    source_config own;
    int rc;

    *out = NULL;
    if (!cfg || max_bytes == 0)
        return i2i_error_set(err, I2I_ERR_INVALID, "read-ahead: a config and a buffer size > 0 are required");
    pf = calloc(1, sizeof *pf);
    if (!pf) return i2i_error_nomem(err, "opening the read-ahead");
    pf->job_cancel = cfg->cancel;
    pf->log_sink = log_sink;
    pf->log_ctx = log_ctx;
    pf->cap = max_bytes;
    pf->ring = malloc(max_bytes);
    if (!pf->ring) {
        free(pf);
        return i2i_error_set(err, I2I_ERR_NOMEM, "out of memory allocating the read-ahead buffer (%zu "
                             "bytes); lower read_ahead_bytes (0 = off)", max_bytes);
    }
    if (pthread_mutex_init(&pf->mu, NULL) != 0) {
        free(pf->ring);
        free(pf);
        return i2i_error_set(err, I2I_ERR_NOMEM, "creating the read-ahead's lock");
    }
    if (pthread_cond_init(&pf->cv, NULL) != 0) {
        pthread_mutex_destroy(&pf->mu);
        free(pf->ring);
        free(pf);
        return i2i_error_set(err, I2I_ERR_NOMEM, "creating the read-ahead's condition variable");
    }
    /* The fetch must be stoppable on its own (a discarded read-ahead) without stopping the run:
     * its connection's cancel flag is the read-ahead's; the caller's flag is polled by the
     * consumer, which then raises ours. */
    own = *cfg;
    own.cancel = &pf->abort;
    rc = source_open(&own, &pf->s, err);
    if (rc < 0) {
        source_prefetch_close(pf);
        return i2i_error_wrap(err, "opening the read-ahead's connection");
    }
    *out = pf;
    return I2I_OK;
}

/* ---------------------------------------------------------------- the fetch thread */

static int ring_put(void *ctx, const char *data, size_t n, i2i_error *err)
{
    source_prefetch *pf = ctx;
    pthread_mutex_lock(&pf->mu);
    while (n > 0) {
        size_t tail, room, take;
        while (pf->count >= pf->limit && !i2i_cancel_raised(&pf->abort)) pthread_cond_wait(&pf->cv, &pf->mu);
        if (i2i_cancel_raised(&pf->abort)) {
            pthread_mutex_unlock(&pf->mu);
            return i2i_error_set(err, I2I_ERR_CANCELLED, "read-ahead discarded");
        }
        tail = (pf->head + pf->count) % pf->cap;
        room = pf->limit - pf->count;
        take = pf->cap - tail; /* contiguous room up to the end of the ring */
        if (take > room) take = room;
        if (take > n) take = n;
        memcpy(pf->ring + tail, data, take);
        pf->count += take;
        pf->buffered += take;
        data += take;
        n -= take;
        pthread_cond_broadcast(&pf->cv);
    }
    pthread_mutex_unlock(&pf->mu);
    return I2I_OK;
}

/* Once body bytes are in the ring the consumer may have parsed them: the fetch thread must not
 * retry (the next attempt's bytes would follow the first one's); the consumer decides. */
static int ring_rollback(void *ctx)
{
    source_prefetch *pf = ctx;
    int rc;
    pthread_mutex_lock(&pf->mu);
    rc = pf->buffered > 0 ? -1 : 0;
    if (rc) pf->retry_refused = 1;
    pthread_mutex_unlock(&pf->mu);
    return rc;
}

static void *fetch_main(void *arg)
{
    source_prefetch *pf = arg;
    http_sink sink = {ring_put, NULL, NULL, ring_rollback, pf};
    src_reply_info info = {0};
    http_stats st = {0, 0};
    i2i_error err;
    int rc;

    if (pf->log_sink) i2i_log_set_thread_sink(pf->log_sink, pf->log_ctx);
    i2i_error_clear(&err);
    I2I_DEBUG("InfluxDB: %s (read ahead)", pf->what);
    rc = src_query(pf->s, (const char *)pf->body.data, pf->body.len, &sink, pf->what, &info, &st, &err);
    pthread_mutex_lock(&pf->mu);
    pf->rc = rc;
    pf->err = err;
    pf->info = info;
    pf->http = st;
    pf->done = 1;
    pthread_cond_broadcast(&pf->cv);
    pthread_mutex_unlock(&pf->mu);
    if (pf->log_sink) i2i_log_set_thread_sink(NULL, NULL);
    return NULL;
}

static void join(source_prefetch *pf)
{
    if (!pf->started) return;
    pthread_join(pf->thread, NULL);
    pf->started = 0;
}

void source_prefetch_discard(source_prefetch *pf)
{
    if (!pf || !pf->started) return;
    pthread_mutex_lock(&pf->mu);
    raise_abort(pf);
    pthread_cond_broadcast(&pf->cv); /* wakes a fetch thread waiting for room */
    pthread_mutex_unlock(&pf->mu);
    join(pf);
}

int source_prefetch_pending(const source_prefetch *pf) { return pf && pf->started; }

int source_prefetch_answered(source_prefetch *pf)
{
    int yes;
    if (!pf || !pf->started) return 0;
    pthread_mutex_lock(&pf->mu);
    yes = pf->buffered > 0 || (pf->done && pf->rc == I2I_OK);
    pthread_mutex_unlock(&pf->mu);
    return yes;
}

void source_prefetch_close(source_prefetch *pf)
{
    if (!pf) return;
    source_prefetch_discard(pf);
    source_close(pf->s);
    pthread_cond_destroy(&pf->cv);
    pthread_mutex_destroy(&pf->mu);
    free(pf->ring);
    i2i_buf_free(&pf->prefix);
    i2i_buf_free(&pf->sql);
    i2i_buf_free(&pf->body);
    free(pf);
}

int source_prefetch_start(source_prefetch *pf, const source_query *q, i2i_error *err)
{
    char a[48], b[48];
    int rc;
    if (!pf || !q || !q->batch || !q->table || q->start_ns >= q->end_ns)
        return i2i_error_set(err, I2I_ERR_INVALID, "source_prefetch_start: table, batch and a range are required");
    source_prefetch_discard(pf);
    i2i_buf_reset(&pf->prefix);
    I2I_TRY(src_range_prefix(q->batch, q->table, &pf->prefix, err));
    I2I_TRY(src_range_body(pf->s, &pf->prefix, q->start_ns, q->end_ns, &pf->sql, &pf->body, err));
    src_format_time(q->start_ns, a, sizeof a);
    src_format_time(q->end_ns, b, sizeof b);
    snprintf(pf->what, sizeof pf->what, "query of '%.200s' [%s, %s)", q->table, a, b);
    /* No thread runs now: plain stores are safe, and pthread_create publishes them. */
    pf->head = pf->count = 0;
    pf->limit = pf->cap;
    pf->buffered = 0;
    pf->retry_refused = 0;
    pf->done = 0;
    pf->rc = I2I_OK;
    i2i_error_clear(&pf->err);
    memset(&pf->info, 0, sizeof pf->info);
    memset(&pf->http, 0, sizeof pf->http);
    __atomic_store_n(&pf->abort, 0, __ATOMIC_RELAXED);
    rc = pthread_create(&pf->thread, NULL, fetch_main, pf);
    if (rc != 0) return i2i_error_set(err, I2I_ERR_IO, "starting the read-ahead thread: %s", strerror(rc));
    pf->started = 1;
    return I2I_OK;
}

/* ---------------------------------------------------------------- the consumer */

int src_prefetch_matches(const source_prefetch *pf, const i2i_buf *body)
{
    return pf && pf->started && pf->body.len == body->len &&
           memcmp(pf->body.data, body->data, body->len) == 0;
}

/* Wait for bytes or the end of the fetch; 1 = data and n hold a contiguous piece of the ring,
 * 0 = the fetch is finished and everything it stored was read, I2I_ERR_CANCELLED = the caller's
 * cancel flag was raised, or on_idle's failure (the fetch is stopped and joined). on_idle(ctx)
 * is called, unlocked, after each poll interval spent waiting. */
static int ring_get(source_prefetch *pf, const char **data, size_t *n, source_idle_fn on_idle,
                    void *idle_ctx, i2i_error *err)
{
    int waited = 0;
    pthread_mutex_lock(&pf->mu);
    if (pf->limit > LIVE_AHEAD) pf->limit = LIVE_AHEAD;
    while (pf->count == 0 && !pf->done) {
        struct timespec ts;
        if (i2i_cancel_raised(pf->job_cancel)) {
            pthread_mutex_unlock(&pf->mu);
            source_prefetch_discard(pf);
            return i2i_error_set(err, I2I_ERR_CANCELLED, "%s: stopped on request", pf->what);
        }
        if (waited && on_idle) {
            int rc;
            pthread_mutex_unlock(&pf->mu);
            rc = on_idle(idle_ctx, err);
            if (rc < 0) {
                source_prefetch_discard(pf);
                return rc;
            }
            pthread_mutex_lock(&pf->mu);
            if (pf->count > 0 || pf->done) break;
        }
        waited = 1;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += CANCEL_POLL_MS * 1000000L;
        if (ts.tv_nsec >= 1000000000L) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&pf->cv, &pf->mu, &ts);
    }
    if (pf->count == 0) {
        pthread_mutex_unlock(&pf->mu);
        return 0;
    }
    *data = pf->ring + pf->head;
    *n = pf->cap - pf->head < pf->count ? pf->cap - pf->head : pf->count;
    /* Pieces of half the live lead: the fetch thread refills behind the parser meanwhile, also
     * while the bytes buffered before the caller came (up to the whole ring) are parsed. */
    if (*n > LIVE_AHEAD / 2) *n = LIVE_AHEAD / 2;
    pthread_mutex_unlock(&pf->mu);
    return 1;
}

static void ring_release(source_prefetch *pf, size_t n)
{
    pthread_mutex_lock(&pf->mu);
    pf->head = (pf->head + n) % pf->cap;
    pf->count -= n;
    pthread_cond_broadcast(&pf->cv); /* room for the fetch thread */
    pthread_mutex_unlock(&pf->mu);
}

int src_prefetch_consume(source_prefetch *pf, jsonl_parser *parser, void (*on_data)(void *),
                         source_idle_fn on_idle, void *data_ctx, int *redo, http_stats *stats,
                         i2i_error *err)
{
    int rc, frc;
    *redo = 0;
    /* As http_perform does before an attempt: a failure with no row handed out rolls back to here. */
    jsonl_parser_mark(parser);
    for (;;) {
        const char *data = NULL;
        size_t n = 0;
        rc = ring_get(pf, &data, &n, on_idle, data_ctx, err);
        if (rc < 0) return rc;
        if (rc == 0) break;
        if (on_data) {
            /* Once: the caller may start another read-ahead now (not this one: it is in use). */
            on_data(data_ctx);
            on_data = NULL;
        }
        rc = jsonl_parser_feed(parser, data, n, err);
        if (rc < 0) {
            /* The parser or on_batch stopped the query (bad JSON, the writer failed, cancel):
             * final, as a sink's failure is for http_perform. */
            source_prefetch_discard(pf);
            stats->requests += pf->http.requests;
            stats->retries += pf->http.retries;
            i2i_error_wrap(err, "%s", pf->what);
            return rc;
        }
        ring_release(pf, n);
    }
    join(pf);
    stats->requests += pf->http.requests;
    stats->retries += pf->http.retries;
    frc = pf->rc;
    if (frc == I2I_OK) {
        /* The end-of-body check http_perform makes: a body without its final newline was cut. */
        rc = jsonl_parser_finish(parser, err);
        if (rc == I2I_OK) return I2I_OK;
        i2i_error_wrap(err, "%s", pf->what);
        frc = I2I_ERR_TRANSIENT;
        if (err) err->code = frc;
    } else if (err) {
        *err = pf->err;
    }
    if (jsonl_parser_rollback(parser) != 0) {
        /* Rows of this request were handed out already: a retry would duplicate them. */
        if (i2i_status_retryable(frc) && pf->buffered > 0 && err && !pf->retry_refused)
            i2i_error_wrap(err, "part of the response was already delivered, so the request cannot be "
                                "retried; redo the whole operation");
        return frc;
    }
    /* Nothing handed out. A refusal for the file limit is split by the caller's own requests; a
     * transient failure after bytes arrived stopped the fetch thread's retries early (its bytes
     * were buffered), so the caller's own request carries on with its retries. Anything else went
     * through the whole retry policy already: it is the query's answer. */
    if (pf->info.file_limit || (i2i_status_retryable(frc) && pf->buffered > 0)) {
        I2I_INFO("InfluxDB: %s read ahead failed before any row was used (%s); querying again",
                 pf->what, err ? err->msg : "");
        i2i_error_clear(err);
        *redo = 1;
        return I2I_OK;
    }
    return frc;
}
