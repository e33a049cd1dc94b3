/*
 * The read-ahead of the next window (job `read_ahead_bytes`, issue 12): proven from what the
 * InfluxDB emulator received and what the table holds, never from durations.
 *
 *   request_for_next_window_precedes_commit   a 6-window backfill: when window k's files are
 *                      written and its commit not yet sent (the BEFORE_COMMIT event, which holds
 *                      the commit back while it runs), the emulator's query log already has the
 *                      request for window k+1; with read_ahead_bytes 0 it has not (so the check
 *                      can fail). Afterwards each window was queried exactly once, nothing at or
 *                      past the end was ever queried (the last window reads nothing ahead), the
 *                      snapshot log holds the six windows committed in order, and DuckDB reads
 *                      back every row once.
 *   next_request_goes_out_while_the_body_arrives   the emulator holds each window's body after
 *                      4000 bytes until the test releases it (hold_after_bytes): at window k's
 *                      first batch, with k's body still held mid-way, window k+1's request is
 *                      already in the query log (two read-aheads take turns: k+1's request went
 *                      out at k's first byte, so its planning overlaps k's transfer). The old
 *                      read-ahead (request once k's body was complete) and read_ahead_bytes 0 fail
 *                      this check. Each window queried once, nothing past the end, every row once.
 *   read_ahead_failures_are_redone   the request read ahead for window 2 fails: a 500 and a
 *                      connection reset before the reply are retried by the fetch thread; a body
 *                      cut mid-stream before any row of it was handed out is thrown away and
 *                      queried again; each run commits every row once. A cut after rows of it were
 *                      handed out fails the run (TRANSIENT, nothing of that window committed,
 *                      the windows before kept) and a rerun completes the table once. A server
 *                      that refuses every window for its file limit: each read-ahead is thrown
 *                      away and the window is split by the run's own requests, every row once.
 *                      With the two read-aheads: windows 2 and 3 (one in each) both cut, a 500
 *                      on 2 with a cut on 3, and a cut on 3 alone (it fails while window 2 is read
 *                      through the other): each failure redone by one request, every row once.
 *   cancel_during_read_ahead_leaves_nothing   a stop while the read-ahead's request is still
 *                      waiting for the server (delayed by the emulator), both between windows and
 *                      while the run waits for its bytes, returns CANCELLED with the fetch thread
 *                      joined (the process has the threads it had before the run), no data file
 *                      outside the committed windows, and a rerun completes the table once. The
 *                      CLI stopped by SIGTERM in that state exits with the same result.
 *   next_window_is_parsed_while_the_commit_waits   with the write pipeline, window k's commit is
 *                      made while window k+1 is already parsed (the hook lets the emulator send
 *                      all of k+1's answer before k ends, so k+1 starts with rows at hand; without
 *                      that overlap commits_overlapped is 0 and the check fails), yet the hooks see
 *                      each window's events whole and in order (BEGIN, BATCH..., BEFORE_COMMIT,
 *                      COMMITTED; window k+1's are held back until k is committed). Then window
 *                      1's commit fails while window 2 is parsed: the error names window 1, window
 *                      2's events never go out and its files are removed, window 0 stays, and a
 *                      rerun completes the table once.
 *   a_stalled_next_window_does_not_hold_the_commit_back   the emulator holds window 1's body
 *                      after 3000 bytes: window 1 starts with rows at hand, then waits for the
 *                      rest, and window 0 is committed during that wait (its COMMITTED event sees
 *                      the body still held; without the source's on_idle hook the commit waits
 *                      for the body and this fails).
 */
#include <dirent.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "replicate/replicate.h"
#include "replicate_test_util.h"
#include "test.h"

#define T0 1775001600000000000LL /* 2026-04-01T00:00:00Z */
#define HOUR (3600 * I2I_NS_PER_S)
#define WINDOWS 6
#define HOSTS 3
#define POINTS 720 /* per host: one every 30 s, 6 hours */
#define STEP (30 * I2I_NS_PER_S)
#define NROWS (HOSTS * POINTS)
#define QUERY "/api/v3/query_sql"

static emu E;
static int emu_ok = -1;
static const char *dir;
static char *expected;

static int ready(void)
{
    if (!rt_ready_regular(&E, &emu_ok, "readahead", "ra", T0, POINTS, STEP, HOSTS, 21, &dir, &expected))
        return 0;
    emu_admin(&E, "DELETE", "/_emulator/fault", NULL, NULL);
    emu_admin(&E, "DELETE", "/_emulator/stats", NULL, NULL);
    return 1;
}

typedef struct opts {
    long read_ahead;    /* -1 = default */
    size_t rows_per_batch;
    int (*on_event)(void *ctx, const replicate_progress *p, i2i_error *err);
    void *ctx;
    volatile int *cancel;
    const i2i_fault *fault;
} opts;

static int run(const char *wh, const char *table, const opts *o, replicate_result *res, i2i_error *err)
{
    replicate_job job;
    replicate_hooks hooks;
    int rc;
    json_t *args = json_pack("{ss ss ss ss ss ss ss ss ss ss si}", "measurement", "ra", "host", E.url,
                             "database", "readahead", "token", RT_TOKEN, "warehouse_dir", wh,
                             "table_name", table, "batch_size", "1h", "partition_by", "hour",
                             "backfill_start", "2026-04-01T00:00:00Z", "backfill_end",
                             "2026-04-01T06:00:00Z", "threads", 2);
    if (o->read_ahead >= 0) json_object_set_new(args, "read_ahead_bytes", json_integer(o->read_ahead));
    rc = replicate_job_from_json(args, NULL, &job, err);
    json_decref(args);
    if (rc != 0) return rc;
    memset(&hooks, 0, sizeof hooks);
    hooks.rows_per_batch = o->rows_per_batch;
    hooks.on_event = o->on_event;
    hooks.ctx = o->ctx;
    hooks.cancel = o->cancel;
    hooks.fault = o->fault;
    rc = replicate_run(&job, &hooks, res, err);
    replicate_job_free(&job);
    return rc;
}

/* ------------------------------------------------------------------ the emulator's query log */

/* `>= '<start>'`: in a window's request body and its query text, in no other window's (a fault's
 * body_contains, a held response's release match). */
static char *window_mark(int64_t start_ns)
{
    char t[48];
    i2i_time_format_rfc3339(start_ns, t, sizeof t);
    return rt_fmt(">= '%s'", t);
}

/* The range queries start with `WHERE "time" >= '<start>'`; this is that text for a start. */
static char *start_clause(int64_t start_ns)
{
    char *mark = window_mark(start_ns), *clause = rt_fmt("\"time\" %s", mark);
    free(mark);
    return clause;
}

/* The emulator's /_emulator/stats document (json_decref it), or NULL. */
static json_t *emu_stats(void)
{
    i2i_buf body = I2I_BUF_INIT;
    json_t *stats = NULL;
    if (emu_admin(&E, "GET", "/_emulator/stats", NULL, &body) == 200 && i2i_buf_cstr(&body))
        stats = json_loads((const char *)body.data, 0, NULL);
    i2i_buf_free(&body);
    return stats;
}

/* How many queries of the log start at start_ns; with `after` set, at start_ns or later. */
static int queries_at(int64_t start_ns, int after)
{
    json_t *stats = emu_stats(), *q;
    size_t i, w;
    int n = 0;
    if (!stats) return -1;
    json_array_foreach(json_object_get(stats, "queries"), i, q) {
        const char *text = json_string_value(json_object_get(q, "q"));
        for (w = 0; text && w <= (after ? 48 : 0); w++) {
            char *clause = start_clause(start_ns + (int64_t)w * HOUR);
            if (strstr(text, clause)) n++;
            free(clause);
        }
    }
    json_decref(stats);
    return n;
}

/* How many responses the emulator holds mid-body (hold_after_bytes) whose query contains mark. */
static int held(const char *mark)
{
    json_t *stats = emu_stats(), *q;
    size_t i;
    int n = 0;
    if (!stats) return -1;
    json_array_foreach(json_object_get(stats, "held"), i, q) {
        const char *text = json_string_value(q);
        n += text && strstr(text, mark) != NULL;
    }
    json_decref(stats);
    return n;
}

/* Whether a query of the window starting at start_ns reaches the log: waited for up to 60 s while
 * *ahead (read-ahead expected), else looked at once. A miss clears *ahead, so later windows of a
 * run that failed already do not wait again. The bound only keeps a broken build from hanging. */
static int wait_for_query(int64_t start_ns, int *ahead)
{
    int64_t deadline = i2i_monotonic_ns() + (*ahead ? 60 : 0) * I2I_NS_PER_S;
    for (;;) {
        if (queries_at(start_ns, 0) > 0) return 1;
        if (i2i_monotonic_ns() >= deadline) {
            *ahead = 0;
            return 0;
        }
        usleep(20000);
    }
}

/* Let the held responses whose query contains mark go on. */
static void release(const char *mark)
{
    json_t *j = json_pack("{ss}", "match", mark);
    char *text = j ? json_dumps(j, JSON_COMPACT) : NULL;
    if (text) emu_admin(&E, "POST", "/_emulator/release", text, NULL);
    free(text);
    json_decref(j);
}

/* Index in the query log of the first query starting at start_ns (for a fault's `skip`), or -1. */
static int query_index(int64_t start_ns)
{
    json_t *stats = emu_stats(), *q;
    size_t i;
    int idx = -1;
    char *clause = start_clause(start_ns);
    if (stats) {
        json_array_foreach(json_object_get(stats, "queries"), i, q) {
            const char *text = json_string_value(json_object_get(q, "q"));
            if (idx < 0 && text && strstr(text, clause)) idx = (int)i;
        }
        json_decref(stats);
    }
    free(clause);
    return idx;
}

static int queue_fault(const char *fmt, int skip)
{
    char *spec = rt_fmt(fmt, skip);
    long st = emu_admin(&E, "POST", "/_emulator/fault", spec, NULL);
    free(spec);
    return st == 200 ? 0 : -1;
}

/* A fault (JSON object text without braces) for the request of the window starting at start_ns. */
static int queue_window_fault(const char *fault, int64_t start_ns)
{
    char *mark = window_mark(start_ns);
    char *spec = rt_fmt("{%s,\"count\":1,\"path\":\"" QUERY "\",\"body_contains\":\"%s\"}", fault, mark);
    long st = emu_admin(&E, "POST", "/_emulator/fault", spec, NULL);
    free(spec);
    free(mark);
    return st == 200 ? 0 : -1;
}

/* The queued fault hit a request (none is left pending). */
static int fault_used(void)
{
    i2i_buf body = I2I_BUF_INIT;
    json_t *j = NULL;
    int used = 0;
    if (emu_admin(&E, "GET", "/_emulator/fault", NULL, &body) == 200 && i2i_buf_cstr(&body))
        j = json_loads((const char *)body.data, 0, NULL);
    used = j && json_array_size(json_object_get(j, "faults")) == 0;
    json_decref(j);
    i2i_buf_free(&body);
    return used;
}

/* ------------------------------------------------------------------ the table */

/* The table holds every row once (DuckDB reads it back), in `snapshots` snapshots whose windows
 * are the hours of the backfill, committed in time order. */
static void check_table(const char *wh, const char *table, size_t snapshots, const char *tag)
{
    rt_table t;
    json_t *entries = json_array(), *snaps, *s;
    size_t i;
    int64_t prev = INT64_MIN;
    int ordered = 1;
    REQUIRE(rt_table_load(wh, "default", table, &t) == 0 && t.exists);
    CHECK_EQ_INT(t.rows, NROWS);
    CHECK_EQ_INT(t.nsnapshots, snapshots);
    CHECK_EQ_INT(rt_count_data_files(&t), json_array_size(t.live_files)); /* no file outside a commit */
    snaps = json_object_get(t.metadata, "snapshots");
    json_array_foreach(snaps, i, s) {
        const char *ws = json_string_value(json_object_get(json_object_get(s, "summary"), "influx2iceberg.window-start"));
        int64_t v = ws ? strtoll(ws, NULL, 10) : INT64_MIN;
        if (v <= prev || (v - T0) % HOUR != 0) ordered = 0;
        prev = v;
    }
    CHECK(ordered); /* metadata lists snapshots in commit order: windows strictly in time order */
    json_array_append_new(entries, rt_check_entry(tag, &t, expected, NULL, NULL, 0, 0));
    CHECK_EQ_INT(rt_check(entries, dir, tag), 0);
    rt_table_free(&t);
}

/* ------------------------------------------------------------------ overlap */

typedef struct overlap {
    int ahead;                  /* read-ahead expected on */
    int seen[WINDOWS];          /* window k+1's request was in the log at window k's BEFORE_COMMIT */
    int past_end;               /* queries at or past the end, seen at the last BEFORE_COMMIT */
    int commits_before_commit;  /* BEFORE_COMMIT events */
} overlap;

static int on_overlap(void *ctx, const replicate_progress *p, i2i_error *err)
{
    overlap *o = ctx;
    int k;
    (void)err;
    if (p->event != REPLICATE_EVENT_BEFORE_COMMIT) return 0;
    k = (int)((p->window_start - T0) / HOUR);
    if (k < 0 || k >= WINDOWS) return 0;
    o->commits_before_commit++;
    if (p->window_end < p->range_end) {
        /* The commit waits for this hook: the request must arrive meanwhile. Without read-ahead
         * nothing is sent until the commit is done, so there is nothing to wait for. The 60 s
         * bound only keeps a broken build from hanging. */
        o->seen[k] = wait_for_query(p->window_end, &o->ahead);
    } else {
        o->past_end = queries_at(p->range_end, 1);
    }
    return 0;
}

TEST(request_for_next_window_precedes_commit)
{
    overlap ov;
    opts o = {-1, 0, on_overlap, &ov, NULL, NULL};
    replicate_result res;
    i2i_error err;
    char *wh;
    int k;

    REQUIRE(ready());
    wh = rt_fmt("%s/wh-overlap", dir);
    memset(&ov, 0, sizeof ov);
    ov.ahead = 1;
    CHECK_OK(run(wh, "overlap", &o, &res, &err), &err);
    CHECK_EQ_INT(res.windows_committed, WINDOWS);
    CHECK_EQ_INT(res.read_ahead_used, WINDOWS - 1);
    CHECK_EQ_INT(ov.commits_before_commit, WINDOWS);
    for (k = 0; k + 1 < WINDOWS; k++) {
        if (!ov.seen[k]) fprintf(stderr, "  window %d's commit came before window %d's request\n", k, k + 1);
        CHECK(ov.seen[k]);
    }
    CHECK_EQ_INT(ov.past_end, 0);
    CHECK_EQ_INT(queries_at(T0 + WINDOWS * HOUR, 1), 0); /* nothing read ahead past the end, ever */
    for (k = 0; k < WINDOWS; k++) CHECK_EQ_INT(queries_at(T0 + k * HOUR, 0), 1);
    check_table(wh, "overlap", WINDOWS, "overlap");

    /* The same check without read-ahead: window k+1's request is never there before k's commit. */
    emu_admin(&E, "DELETE", "/_emulator/stats", NULL, NULL);
    memset(&ov, 0, sizeof ov);
    o.read_ahead = 0;
    CHECK_OK(run(wh, "no_overlap", &o, &res, &err), &err);
    CHECK_EQ_INT(res.read_ahead_used, 0);
    for (k = 0; k + 1 < WINDOWS; k++) CHECK(!ov.seen[k]);
    check_table(wh, "no_overlap", WINDOWS, "no-overlap");
    free(wh);
}

/* ------------------------------------------------------------------ overlap with the transfer */

typedef struct midway {
    int ahead;             /* read-ahead expected on */
    int first[WINDOWS];    /* window k's first batch was handed out */
    int seen[WINDOWS];     /* ... and window k+1's request was in the log then */
    int held[WINDOWS];     /* ... while the emulator still held window k's body mid-way */
} midway;

/* At window k's first batch (its body is held by the emulator after a few KiB, so the rest of it
 * has not been sent): window k+1's request must already be in the query log. The old read-ahead
 * sent it only once window k's whole body was in, which cannot happen while it is held, so this
 * waits (up to a hang guard) and fails. Then window k's body is released. */
static int on_midway(void *ctx, const replicate_progress *p, i2i_error *err)
{
    midway *o = ctx;
    char *mine;
    int k;
    (void)err;
    if (p->event != REPLICATE_EVENT_BATCH) return 0;
    k = (int)((p->window_start - T0) / HOUR);
    if (k < 0 || k >= WINDOWS || o->first[k]) return 0;
    o->first[k] = 1;
    if (k + 1 >= WINDOWS) return 0; /* the last window: nothing to read ahead, nothing held */
    mine = window_mark(p->window_start);
    o->seen[k] = wait_for_query(p->window_end, &o->ahead);
    o->held[k] = held(mine) == 1;
    release(mine);
    free(mine);
    return 0;
}

/* Hold every window's body but the last after 4000 bytes (about 30 rows; batches of 5 rows). */
static int hold_windows(void)
{
    int k, rc = 0;
    for (k = 0; k + 1 < WINDOWS && rc == 0; k++) {
        char *mark = window_mark(T0 + k * HOUR);
        json_t *f = json_pack("{si ss ss}", "hold_after_bytes", 4000, "path", QUERY, "body_contains", mark);
        char *text = f ? json_dumps(f, JSON_COMPACT) : NULL;
        rc = text && emu_admin(&E, "POST", "/_emulator/fault", text, NULL) == 200 ? 0 : -1;
        free(text);
        json_decref(f);
        free(mark);
    }
    return rc;
}

TEST(next_request_goes_out_while_the_body_arrives)
{
    midway mw;
    opts o = {-1, 5, on_midway, &mw, NULL, NULL};
    replicate_result res;
    i2i_error err;
    char *wh;
    int k;

    REQUIRE(ready());
    wh = rt_fmt("%s/wh-midway", dir);
    memset(&mw, 0, sizeof mw);
    mw.ahead = 1;
    REQUIRE(hold_windows() == 0);
    CHECK_OK(run(wh, "midway", &o, &res, &err), &err);
    emu_admin(&E, "DELETE", "/_emulator/fault", NULL, NULL); /* releases anything left held */
    CHECK_EQ_INT(res.windows_committed, WINDOWS);
    CHECK_EQ_INT(res.read_ahead_used, WINDOWS - 1);
    CHECK_EQ_INT(res.read_ahead_dropped, 0);
    for (k = 0; k + 1 < WINDOWS; k++) {
        if (!mw.seen[k] || !mw.held[k])
            fprintf(stderr, "  window %d: request of window %d logged %d, body held %d\n", k, k + 1,
                    mw.seen[k], mw.held[k]);
        CHECK(mw.first[k] && mw.seen[k] && mw.held[k]);
    }
    CHECK_EQ_INT(queries_at(T0 + WINDOWS * HOUR, 1), 0); /* nothing read ahead past the end */
    for (k = 0; k < WINDOWS; k++) CHECK_EQ_INT(queries_at(T0 + k * HOUR, 0), 1);
    check_table(wh, "midway", WINDOWS, "midway");

    /* Without read-ahead the next request waits for the commit: the same check fails. */
    emu_admin(&E, "DELETE", "/_emulator/stats", NULL, NULL);
    memset(&mw, 0, sizeof mw);
    o.read_ahead = 0;
    REQUIRE(hold_windows() == 0);
    CHECK_OK(run(wh, "midway_off", &o, &res, &err), &err);
    emu_admin(&E, "DELETE", "/_emulator/fault", NULL, NULL);
    for (k = 0; k + 1 < WINDOWS; k++) CHECK(mw.first[k] && !mw.seen[k] && mw.held[k]);
    check_table(wh, "midway_off", WINDOWS, "midway-off");
    free(wh);
}

/* ------------------------------------------------------------------ failures of a read-ahead */

TEST(read_ahead_failures_are_redone)
{
    static const struct {
        const char *label, *fault;
        int used, dropped, logged; /* read-aheads used / dropped, queries of window 2 logged */
    } ok_cases[] = {
        /* a fault before the reply is not in the query log (the emulator logs planned queries) */
        {"500", "{\"status\":500,\"count\":1,\"path\":\"" QUERY "\",\"skip\":%d}", WINDOWS - 1, 0, 1},
        {"reset", "{\"close\":true,\"count\":1,\"path\":\"" QUERY "\",\"skip\":%d}", WINDOWS - 1, 0, 1},
        {"cut", "{\"truncate_after_bytes\":3000,\"truncate_mode\":\"mid_chunk\",\"count\":1,\"path\":\"" QUERY "\",\"skip\":%d}", WINDOWS - 2, 1, 2},
    };
    opts o = {4096, 0, NULL, NULL, NULL, NULL};
    replicate_result res;
    i2i_error err;
    char *wh;
    int skip;
    long base;
    size_t i;

    REQUIRE(ready());
    wh = rt_fmt("%s/wh-fail", dir);
    /* Where window 2's request is in the sequence of queries (schema discovery comes first). */
    CHECK_OK(run(wh, "probe", &o, &res, &err), &err);
    skip = query_index(T0 + 2 * HOUR);
    base = emu_request_count(&E, "POST " QUERY);
    REQUIRE(skip > 0 && base > 0);
    for (i = 0; i < sizeof ok_cases / sizeof ok_cases[0]; i++) {
        char *table = rt_fmt("ok_%s", ok_cases[i].label);
        emu_admin(&E, "DELETE", "/_emulator/stats", NULL, NULL);
        REQUIRE(queue_fault(ok_cases[i].fault, skip) == 0);
        CHECK_OK(run(wh, table, &o, &res, &err), &err);
        printf("  %s: read ahead used %lld, dropped %lld\n", ok_cases[i].label, (long long)res.read_ahead_used,
               (long long)res.read_ahead_dropped);
        CHECK_EQ_INT(res.read_ahead_used, ok_cases[i].used);
        CHECK_EQ_INT(res.read_ahead_dropped, ok_cases[i].dropped);
        CHECK_EQ_INT(queries_at(T0 + 2 * HOUR, 0), ok_cases[i].logged);
        CHECK_EQ_INT(emu_request_count(&E, "POST " QUERY), base + 1); /* one request more than a clean run */
        CHECK(fault_used());
        check_table(wh, table, WINDOWS, table);
        free(table);
    }

    /* Two read-aheads take turns: window 2 is read through one while window 3's request, sent at
     * window 2's first byte, buffers in the other. A failure of either or both is redone. */
    {
        static const char *cut = "\"truncate_after_bytes\":3000,\"truncate_mode\":\"mid_chunk\"";
        static const struct {
            const char *label, *f2, *f3; /* the faults of windows 2 and 3 (NULL = none) */
            int used, dropped, logged2, logged3, extra;
        } pairs[] = {
            {"cut_2_3", "c", "c", WINDOWS - 3, 2, 2, 2, 2},
            {"500_2_cut_3", "\"status\":500", "c", WINDOWS - 2, 1, 1, 2, 2},
            {"cut_3", NULL, "c", WINDOWS - 2, 1, 1, 2, 1},
        };
        for (i = 0; i < sizeof pairs / sizeof pairs[0]; i++) {
            char *table = rt_fmt("pair_%s", pairs[i].label);
            emu_admin(&E, "DELETE", "/_emulator/stats", NULL, NULL);
            if (pairs[i].f2)
                REQUIRE(queue_window_fault(strcmp(pairs[i].f2, "c") ? pairs[i].f2 : cut, T0 + 2 * HOUR) == 0);
            REQUIRE(queue_window_fault(strcmp(pairs[i].f3, "c") ? pairs[i].f3 : cut, T0 + 3 * HOUR) == 0);
            CHECK_OK(run(wh, table, &o, &res, &err), &err);
            printf("  %s: read ahead used %lld, dropped %lld\n", pairs[i].label, (long long)res.read_ahead_used,
                   (long long)res.read_ahead_dropped);
            CHECK_EQ_INT(res.read_ahead_used, pairs[i].used);
            CHECK_EQ_INT(res.read_ahead_dropped, pairs[i].dropped);
            CHECK_EQ_INT(queries_at(T0 + 2 * HOUR, 0), pairs[i].logged2);
            CHECK_EQ_INT(queries_at(T0 + 3 * HOUR, 0), pairs[i].logged3);
            CHECK_EQ_INT(emu_request_count(&E, "POST " QUERY), base + pairs[i].extra);
            CHECK(fault_used());
            check_table(wh, table, WINDOWS, table);
            free(table);
        }
    }

    /* Rows of the cut request were handed out (batches of 20 rows): no retry may add them again. */
    emu_admin(&E, "DELETE", "/_emulator/stats", NULL, NULL);
    REQUIRE(queue_fault("{\"truncate_after_bytes\":6000,\"truncate_mode\":\"mid_chunk\",\"count\":1,\"path\":\"" QUERY "\",\"skip\":%d}", skip) == 0);
    o.rows_per_batch = 20;
    CHECK_EQ_INT(run(wh, "cut_late", &o, &res, &err), I2I_ERR_TRANSIENT);
    CHECK(strstr(err.msg, "window [2026-04-01T02:00:00.000000000Z, 2026-04-01T03:00:00.000000000Z)") != NULL);
    CHECK(strstr(err.msg, "already delivered") != NULL);
    CHECK(strstr(err.msg, "already delivered") && !strstr(strstr(err.msg, "already delivered") + 1, "already delivered"));
    CHECK(strstr(err.msg, "nothing committed for it") != NULL);
    CHECK_EQ_INT(res.windows_committed, 2);
    {
        rt_table t;
        REQUIRE(rt_table_load(wh, "default", "cut_late", &t) == 0);
        CHECK_EQ_INT(t.nsnapshots, 2);
        CHECK_EQ_INT(t.rows, 2 * NROWS / WINDOWS);
        CHECK_EQ_INT(rt_count_data_files(&t), json_array_size(t.live_files));
        rt_table_free(&t);
    }
    CHECK_OK(run(wh, "cut_late", &o, &res, &err), &err);
    CHECK_EQ_INT(res.windows_skipped, 2);
    CHECK_EQ_INT(res.windows_committed, WINDOWS - 2);
    check_table(wh, "cut_late", WINDOWS, "cut-late");

    /* 6 emulated Parquet files per hour, a limit of 4: every 1h request is refused, halves pass. */
    REQUIRE(emu_admin(&E, "POST", "/_emulator/config", "{\"file_limit\": 4}", NULL) == 200);
    o.rows_per_batch = 0;
    CHECK_OK(run(wh, "split", &o, &res, &err), &err);
    emu_admin(&E, "POST", "/_emulator/config", "{\"file_limit\": 432}", NULL);
    CHECK_EQ_INT(res.read_ahead_used, 0);
    CHECK_EQ_INT(res.read_ahead_dropped, WINDOWS - 1);
    CHECK_EQ_INT(queries_at(T0 + 2 * HOUR + HOUR / 2, 0), 1); /* the second half of window 2 */
    check_table(wh, "split", WINDOWS, "split");
    free(wh);
}

/* ------------------------------------------------------------------ cancel */

static int count_threads(void)
{
    DIR *d = opendir("/proc/self/task");
    struct dirent *de;
    int n = 0;
    if (!d) return -1;
    while ((de = readdir(d)) != NULL) n += de->d_name[0] != '.';
    closedir(d);
    return n;
}

typedef struct stopper {
    replicate_event when; /* raise cancel at this event of window 1 (COMMITTED: of window 0) */
    volatile int cancel;
} stopper;

static int on_stop(void *ctx, const replicate_progress *p, i2i_error *err)
{
    stopper *s = ctx;
    (void)err;
    if (p->event == REPLICATE_EVENT_COMMITTED && s->when == REPLICATE_EVENT_COMMITTED && p->window_start == T0)
        s->cancel = 1; /* between windows: window 1's read-ahead is in flight */
    if (p->event == REPLICATE_EVENT_WINDOW_BEGIN && s->when == REPLICATE_EVENT_WINDOW_BEGIN &&
        p->window_start == T0 + HOUR)
        s->cancel = 1; /* the run is about to wait for window 1's bytes */
    return 0;
}

TEST(cancel_during_read_ahead_leaves_nothing)
{
    static const replicate_event when[] = {REPLICATE_EVENT_COMMITTED, REPLICATE_EVENT_WINDOW_BEGIN};
    stopper st;
    opts o = {-1, 0, on_stop, &st, &st.cancel, NULL};
    replicate_result res;
    i2i_error err;
    char *wh;
    int skip, before;
    size_t i;

    REQUIRE(ready());
    wh = rt_fmt("%s/wh-cancel", dir);
    memset(&st, 0, sizeof st);
    st.when = REPLICATE_EVENT_DONE; /* never */
    CHECK_OK(run(wh, "probe", &o, &res, &err), &err);
    skip = query_index(T0 + HOUR);
    REQUIRE(skip > 0);
    for (i = 0; i < 2; i++) {
        char *table = rt_fmt("cancel_%zu", i);
        rt_table t;
        emu_admin(&E, "DELETE", "/_emulator/fault", NULL, NULL);
        /* window 1's request (the read-ahead) gets no answer for 20 s: it is in flight when the stop comes */
        REQUIRE(queue_fault("{\"delay_ms\":20000,\"count\":1,\"path\":\"" QUERY "\",\"skip\":%d}", skip) == 0);
        memset(&st, 0, sizeof st);
        st.when = when[i];
        before = count_threads();
        CHECK_EQ_INT(run(wh, table, &o, &res, &err), I2I_ERR_CANCELLED);
        CHECK_EQ_INT(count_threads(), before); /* the fetch thread was joined */
        CHECK_EQ_INT(res.windows_committed, 1);
        REQUIRE(rt_table_load(wh, "default", table, &t) == 0);
        CHECK_EQ_INT(t.nsnapshots, 1);
        CHECK_EQ_INT(rt_count_data_files(&t), json_array_size(t.live_files));
        rt_table_free(&t);
        emu_admin(&E, "DELETE", "/_emulator/fault", NULL, NULL);
        memset(&st, 0, sizeof st);
        st.when = REPLICATE_EVENT_DONE; /* never */
        CHECK_OK(run(wh, table, &o, &res, &err), &err);
        CHECK_EQ_INT(res.windows_skipped, 1);
        check_table(wh, table, WINDOWS, table);
        free(table);
    }

    /* The CLI: SIGTERM once window 0 is committed and window 1's read-ahead waits for the server. */
    {
        const char *tf = rt_token_file(dir, "cancel.token", RT_TOKEN);
        const char *x[] = {"--batch-size", "1h", "--partition-by", "hour", "--table-name", "cli_term",
                           "--backfill-start", "2026-04-01T00:00:00Z", "--backfill-end", "2026-04-01T06:00:00Z",
                           "--threads", "2", "--log-level", "warn", NULL};
        char **argv = rt_replicate_args(&E, "readahead", tf, wh, "ra", x);
        rt_cli_run r = {0};
        rt_table t = {0};
        pid_t pid;
        int64_t deadline;
        emu_admin(&E, "DELETE", "/_emulator/fault", NULL, NULL);
        REQUIRE(queue_fault("{\"delay_ms\":20000,\"count\":1,\"path\":\"" QUERY "\",\"skip\":%d}", skip) == 0);
        pid = rt_cli_spawn(&r, dir, "cli-term", (const char *const *)argv);
        REQUIRE(pid > 0);
        /* wait (bounded, a hang guard) for window 0's commit; window 1 then waits 20 s for bytes */
        deadline = i2i_monotonic_ns() + 60 * I2I_NS_PER_S;
        while (i2i_monotonic_ns() < deadline) {
            int n = rt_table_load(wh, "default", "cli_term", &t) == 0 && t.exists ? (int)t.nsnapshots : 0;
            rt_table_free(&t);
            memset(&t, 0, sizeof t);
            if (n >= 1) break;
            usleep(50000);
        }
        kill(pid, SIGTERM);
        rt_cli_wait(&r, pid);
        CHECK_EQ_INT(r.status, 1);
        CHECK(r.err && strstr(r.err, "stopped") != NULL);
        REQUIRE(rt_table_load(wh, "default", "cli_term", &t) == 0);
        CHECK_EQ_INT(t.nsnapshots, 1);
        CHECK_EQ_INT(rt_count_data_files(&t), json_array_size(t.live_files));
        rt_table_free(&t);
        rt_cli_run_free(&r);
        emu_admin(&E, "DELETE", "/_emulator/fault", NULL, NULL);
        CHECK_EQ_INT(rt_cli(&r, dir, "cli-term-rerun", (const char *const *)argv), 0);
        rt_cli_run_free(&r);
        check_table(wh, "cli_term", WINDOWS, "cli-term");
        rt_argv_free(argv);
    }
    free(wh);
}

/* ------------------------------------------------------------------ commits behind the next window */

/* 1 when the log has a query of the window starting at start_ns whose whole body went out. */
static int answered_at(int64_t start_ns)
{
    json_t *stats = emu_stats(), *q;
    char *clause = start_clause(start_ns);
    size_t i;
    int n = 0;
    json_array_foreach(json_object_get(stats, "queries"), i, q) {
        const char *text = json_string_value(json_object_get(q, "q"));
        if (text && strstr(text, clause) && json_is_true(json_object_get(q, "sent"))) n = 1;
    }
    free(clause);
    json_decref(stats);
    return n;
}

#define MAX_EVENTS 1024
typedef struct order {
    int n;
    replicate_event ev[MAX_EVENTS];
    int win[MAX_EVENTS];
    int waited[WINDOWS];
} order;

/* Records the events; at window k's first batch waits until the server has sent all of window
 * k+1's answer (its request went out at k's first byte), so that window k+1 starts with rows at
 * hand and is parsed while window k's commit is still to come. */
static int on_order(void *ctx, const replicate_progress *p, i2i_error *err)
{
    order *o = ctx;
    int k = (int)((p->window_start - T0) / HOUR);
    (void)err;
    if (p->event == REPLICATE_EVENT_START || p->event == REPLICATE_EVENT_DONE) return 0;
    if (o->n < MAX_EVENTS) {
        o->ev[o->n] = p->event;
        o->win[o->n] = k;
        o->n++;
    }
    if (p->event == REPLICATE_EVENT_BATCH && k >= 0 && k + 1 < WINDOWS && !o->waited[k]) {
        int64_t deadline = i2i_monotonic_ns() + 60 * I2I_NS_PER_S; /* a hang guard */
        while (!answered_at(T0 + (k + 1) * HOUR) && i2i_monotonic_ns() < deadline) usleep(10000);
        usleep(50000); /* the fetch thread takes the bytes off the socket */
        o->waited[k] = 1;
    }
    return 0;
}

/* Each window's events come whole and in window order: WINDOW_BEGIN, BATCH (at least one),
 * BEFORE_COMMIT, COMMITTED, for windows 0..upto-1; returns how many windows matched (and in
 * *used how many events they were). */
static int windows_in_order(const order *o, int upto, int *used)
{
    int i = 0, k;
    for (k = 0; k < upto; k++) {
        int batches = 0;
        if (i >= o->n || o->ev[i] != REPLICATE_EVENT_WINDOW_BEGIN || o->win[i] != k) return k;
        for (i++; i < o->n && o->ev[i] == REPLICATE_EVENT_BATCH && o->win[i] == k; i++) batches++;
        if (batches == 0 || i + 1 >= o->n) return k;
        if (o->ev[i] != REPLICATE_EVENT_BEFORE_COMMIT || o->win[i] != k) return k;
        if (o->ev[i + 1] != REPLICATE_EVENT_COMMITTED || o->win[i + 1] != k) return k;
        i += 2;
        *used = i;
    }
    return k;
}

static int events_of_window(const order *o, int k)
{
    int i, n = 0;
    for (i = 0; i < o->n; i++) n += o->win[i] == k;
    return n;
}

TEST(next_window_is_parsed_while_the_commit_waits)
{
    order *ord = calloc(1, sizeof *ord);
    opts o = {-1, 50, on_order, NULL, NULL, NULL};
    rt_nth_fault nf = {"replicate.before-commit", 2, 0, 0};
    i2i_fault f = {rt_fail_nth, &nf};
    replicate_result res;
    rt_table t;
    i2i_error err;
    char *wh;
    int used = 0;

    REQUIRE(ready());
    REQUIRE(ord != NULL);
    o.ctx = ord;
    wh = rt_fmt("%s/wh-tail", dir);
    CHECK_OK(run(wh, "tail", &o, &res, &err), &err);
    CHECK_EQ_INT(res.windows_committed, WINDOWS);
    printf("  commits made while the next window was parsed: %lld of %d\n",
           (long long)res.commits_overlapped, WINDOWS - 1);
    CHECK(res.commits_overlapped >= 1);
    CHECK(res.commits_overlapped <= WINDOWS - 1);
    CHECK_EQ_INT(windows_in_order(ord, WINDOWS, &used), WINDOWS);
    CHECK_EQ_INT(used, ord->n);
    check_table(wh, "tail", WINDOWS, "tail");

    /* Window 1's commit fails while window 2 is parsed: window 2 goes too (its files removed),
     * the error names window 1, window 0 stays; a rerun completes the table. */
    memset(ord, 0, sizeof *ord);
    o.fault = &f;
    CHECK_EQ_INT(run(wh, "tail_fail", &o, &res, &err), I2I_ERR_IO);
    CHECK(strstr(err.msg, "injected failure at replicate.before-commit") != NULL);
    CHECK(strstr(err.msg, "window [2026-04-01T01:00:00.000000000Z, 2026-04-01T02:00:00") != NULL);
    CHECK_EQ_INT(res.windows_committed, 1);
    CHECK_EQ_INT(windows_in_order(ord, 1, &used), 1);
    CHECK_EQ_INT(events_of_window(ord, 2), 0); /* held back, then dropped with window 2 */
    REQUIRE(rt_table_load(wh, "default", "tail_fail", &t) == 0);
    CHECK_EQ_INT(t.nsnapshots, 1);
    CHECK_EQ_INT(t.rows, res.rows);
    CHECK_EQ_INT(rt_count_data_files(&t), json_array_size(t.live_files));
    rt_table_free(&t);
    o.fault = NULL;
    memset(ord, 0, sizeof *ord);
    CHECK_OK(run(wh, "tail_fail", &o, &res, &err), &err);
    CHECK_EQ_INT(res.windows_skipped, 1);
    check_table(wh, "tail_fail", WINDOWS, "tail-fail");
    free(wh);
    free(ord);
}

/* ------------------------------------------------------------------ a stalled next window */

typedef struct stall {
    char *mark;              /* window 1's request */
    int held_at_commit;      /* window 1's body was held mid-way when window 0 was committed */
    int released;            /* atomic: the watchdog thread reads it */
} stall;

static int on_stall(void *ctx, const replicate_progress *p, i2i_error *err)
{
    stall *st = ctx;
    int64_t deadline;
    (void)err;
    if (p->event == REPLICATE_EVENT_BATCH && p->window_start == T0) {
        /* window 1's request went out at window 0's first byte: wait until its first bytes are
         * sent and its body is held, so window 1 starts with rows at hand (60 s: a hang guard) */
        deadline = i2i_monotonic_ns() + 60 * I2I_NS_PER_S;
        while (held(st->mark) != 1 && i2i_monotonic_ns() < deadline) usleep(10000);
        usleep(100000); /* the fetch thread takes the bytes before the hold off the socket */
    }
    if (p->event == REPLICATE_EVENT_COMMITTED && p->window_start == T0 &&
        !__atomic_load_n(&st->released, __ATOMIC_ACQUIRE)) {
        st->held_at_commit = held(st->mark) == 1;
        __atomic_store_n(&st->released, 1, __ATOMIC_RELEASE);
        release(st->mark);
    }
    return 0;
}

/* Releases the hold after 20 s if the run has not (a build that waits for the body would
 * otherwise sit out the emulator's 120 s bound). */
static void *release_later(void *arg)
{
    stall *st = arg;
    int i;
    for (i = 0; i < 200 && !__atomic_load_n(&st->released, __ATOMIC_ACQUIRE); i++) usleep(100000);
    if (!__atomic_load_n(&st->released, __ATOMIC_ACQUIRE)) release(st->mark);
    return NULL;
}

TEST(a_stalled_next_window_does_not_hold_the_commit_back)
{
    stall st;
    opts o = {-1, 0, on_stall, &st, NULL, NULL};
    replicate_result res;
    i2i_error err;
    pthread_t th;
    char *wh;

    REQUIRE(ready());
    memset(&st, 0, sizeof st);
    st.mark = window_mark(T0 + HOUR);
    wh = rt_fmt("%s/wh-stall", dir);
    /* window 1's body stops after 3000 bytes until released */
    REQUIRE(queue_window_fault("\"hold_after_bytes\":3000", T0 + HOUR) == 0);
    REQUIRE(pthread_create(&th, NULL, release_later, &st) == 0);
    CHECK_OK(run(wh, "stall", &o, &res, &err), &err);
    __atomic_store_n(&st.released, 1, __ATOMIC_RELEASE);
    pthread_join(th, NULL);
    if (!st.held_at_commit) fprintf(stderr, "  window 0 was committed only after window 1's body went on\n");
    CHECK(st.held_at_commit);
    CHECK(res.commits_overlapped >= 1);
    check_table(wh, "stall", WINDOWS, "stall");
    emu_admin(&E, "DELETE", "/_emulator/fault", NULL, NULL);
    free(st.mark);
    free(wh);
}
