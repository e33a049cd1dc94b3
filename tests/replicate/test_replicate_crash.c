/*
 * Crash safety: a backfill killed with SIGKILL at any point, then rerun, leaves every row exactly
 * once in the table.
 *
 *   sigkill_at_events  replicate_run in a forked child whose on_event hook raises SIGKILL at the
 *                      N-th occurrence of an event: before the first query, in the middle of a
 *                      window's query (files open), after the files of a window were written but
 *                      before its commit, right after a commit, in later windows, after the last
 *                      commit; plus a rerun that is itself killed. After each kill the table holds
 *                      exactly the rows of its committed ranges; after the rerun, exactly every row.
 *   sigkill_cli_timed  the real CLI killed after fractions of the duration of a reference run,
 *                      resumed each time, then completed.
 *   concurrent_runs_same_table  two CLI runs of the same job at once: each window once.
 *
 * The read-back (check_table.mjs) compares counts and per-row digests of what DuckDB (by field id)
 * and icebird read against the rows written to the emulator: no row lost, none duplicated.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "replicate/replicate.h"
#include "replicate_test_util.h"
#include "test.h"

#define T0 1775001600000000000LL /* 2026-04-01T00:00:00Z */
#define HOSTS 3
#define POINTS 8640              /* per host: 2 days every 20 s */
#define STEP (20 * I2I_NS_PER_S)
#define NROWS (HOSTS * POINTS)

static emu E;
static int emu_ok = -1;
static const char *dir, *wh, *tf;
static char *lp, *exp_path;

static void cleanup(void)
{
    free((void *)wh);
    free(lp);
    free(exp_path);
}

static int ready(void)
{
    if (!rt_tools_ready()) return 0;
    i2i_log_set_level(I2I_LOG_WARN);
    if (emu_ok < 0) {
        emu_ok = rt_emu_start(&E) == 0;
        atexit(cleanup);
        if (emu_ok) {
            dir = rt_dir("crash");
            wh = rt_fmt("%s/wh", dir);
            tf = rt_token_file(dir, "token", RT_TOKEN);
            lp = rt_fmt("%s/crash.lp", dir);
            exp_path = rt_fmt("%s/crash.json", dir);
            if (rt_gen_regular(lp, exp_path, "crash", T0, POINTS, STEP, HOSTS, 51, NULL) != 0 ||
                rt_write_lp_file(&E, "crash", lp) != 0)
                emu_ok = 0;
        }
    }
    if (emu_ok) emu_admin(&E, "DELETE", "/_emulator/fault", NULL, NULL);
    return emu_ok;
}


/* ------------------------------------------------------------------ replicate_run with a kill hook */

typedef struct killer {
    replicate_event event;
    int nth;
    int seen;
} killer;

static int kill_hook(void *ctx, const replicate_progress *p, i2i_error *err)
{
    killer *k = ctx;
    (void)err;
    if (k && p->event == k->event && ++k->seen == k->nth) raise(SIGKILL);
    return 0;
}

static int make_job(const char *table, replicate_job *job)
{
    i2i_error err;
    json_t *args = json_pack("{ss ss ss ss ss ss ss ss}", "measurement", "crash", "host", E.url, "database",
                             "crash", "token", RT_TOKEN, "warehouse_dir", wh, "table_name", table,
                             "batch_size", "6h", "partition_by", "hour");
    int rc = replicate_job_from_json(args, NULL, job, &err);
    json_decref(args);
    if (rc != 0) fprintf(stderr, "job: %s\n", err.msg);
    return rc;
}

/* Run the job in a child that kills itself at the event; returns 1 when it died of SIGKILL. */
static int run_killed(const char *table, replicate_event ev, int nth)
{
    pid_t pid, parent = getpid();
    int st = 0;
    fflush(NULL);
    pid = fork();
    if (pid == 0) {
        replicate_job job;
        replicate_hooks hooks;
        replicate_result res;
        i2i_error err;
        killer k = {ev, nth, 0};
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent) _exit(99);
        i2i_log_set_level(I2I_LOG_WARN);
        if (make_job(table, &job) != 0) _exit(98);
        memset(&hooks, 0, sizeof hooks);
        hooks.on_event = kill_hook;
        hooks.ctx = &k;
        hooks.rows_per_batch = 500; /* several batches per window */
        if (replicate_run(&job, &hooks, &res, &err) != 0) {
            fprintf(stderr, "child: %s\n", err.msg);
            _exit(97);
        }
        _exit(0); /* the event never came: not what the test wants */
    }
    if (waitpid(pid, &st, 0) != pid) return 0;
    if (WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL) return 1;
    fprintf(stderr, "child was not killed: %s %d\n", WIFEXITED(st) ? "exit" : "signal",
            WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
    return 0;
}

/* Run to completion in this process. */
static int run_clean(const char *table, replicate_result *res)
{
    replicate_job job;
    replicate_hooks hooks;
    i2i_error err;
    int rc;
    if (make_job(table, &job) != 0) return -1;
    memset(&hooks, 0, sizeof hooks);
    hooks.rows_per_batch = 500;
    rc = replicate_run(&job, &hooks, res, &err);
    if (rc != 0) fprintf(stderr, "rerun of %s: %s\n", table, err.msg);
    replicate_job_free(&job);
    return rc;
}

/* The table right now, as a check entry: only rows of the committed ranges may be there. */
static json_t *state_entry(const char *label, const char *table, int whole, int icebird, rt_table *out)
{
    rt_table t;
    json_t *e;
    if (rt_table_load(wh, "default", table, &t) != 0) return NULL;
    if (!t.exists) {
        /* killed before the table was created: nothing to read, fine */
        rt_table_free(&t);
        return json_null();
    }
    e = rt_check_entry(label, &t, exp_path, NULL, whole ? NULL : t.ranges, 0, 0);
    json_object_set_new(e, "icebird", json_boolean(icebird)); /* DuckDB always; icebird where asked */
    if (!whole) json_object_set_new(e, "min_rows", json_integer(0));
    if (out) *out = t;
    else rt_table_free(&t);
    return e;
}

static void add_entry(json_t *entries, json_t *e)
{
    if (e && json_is_object(e)) json_array_append_new(entries, e);
    else json_decref(e);
}

typedef struct scenario {
    const char *name;
    replicate_event event;
    int nth;
    replicate_event event2; /* a second kill, during the first rerun (nth2 > 0) */
    int nth2;
    int committed_min; /* windows that must be committed after the (first) kill */
} scenario;

TEST(sigkill_at_events)
{
    static const scenario sc[] = {
        {"before-first-query", REPLICATE_EVENT_WINDOW_BEGIN, 1, 0, 0, 0},
        {"mid-query-window-1", REPLICATE_EVENT_BATCH, 3, 0, 0, 0},
        {"files-written-not-committed", REPLICATE_EVENT_BEFORE_COMMIT, 1, 0, 0, 0},
        {"right-after-first-commit", REPLICATE_EVENT_COMMITTED, 1, 0, 0, 1},
        {"mid-query-window-5", REPLICATE_EVENT_BATCH, 30, 0, 0, 4}, /* 7 batches per window */
        {"before-commit-6", REPLICATE_EVENT_BEFORE_COMMIT, 6, 0, 0, 5},
        {"after-last-commit", REPLICATE_EVENT_COMMITTED, 8, 0, 0, 8},
        {"twice", REPLICATE_EVENT_COMMITTED, 2, REPLICATE_EVENT_BATCH, 11, 2}, /* rerun dies in window 4 */
    };
    json_t *entries = json_array();
    size_t i;

    REQUIRE(ready());
    for (i = 0; i < sizeof sc / sizeof sc[0]; i++) {
        char table[64], label[128];
        replicate_result res;
        rt_table t = {0};
        json_t *e;
        snprintf(table, sizeof table, "crash_%zu", i);
        printf("  scenario %s: SIGKILL at event %d #%d\n", sc[i].name, (int)sc[i].event, sc[i].nth);
        CHECK(run_killed(table, sc[i].event, sc[i].nth));
        snprintf(label, sizeof label, "%s after the kill", sc[i].name);
        e = state_entry(label, table, 0, 0, &t);
        REQUIRE(e);
        if (json_is_object(e)) {
            CHECK_EQ_INT(t.nsnapshots, sc[i].committed_min);
            CHECK(t.rows < NROWS || sc[i].committed_min == 8);
            rt_table_free(&t);
        } else {
            CHECK_EQ_INT(sc[i].committed_min, 0);
        }
        add_entry(entries, e);
        if (sc[i].nth2) {
            CHECK(run_killed(table, sc[i].event2, sc[i].nth2));
            snprintf(label, sizeof label, "%s after the second kill", sc[i].name);
            e = state_entry(label, table, 0, 0, &t);
            REQUIRE(e && json_is_object(e));
            CHECK(t.nsnapshots > (size_t)sc[i].committed_min); /* the rerun got further */
            rt_table_free(&t);
            add_entry(entries, e);
        }
        REQUIRE(run_clean(table, &res) == 0);
        CHECK(res.rows > 0 || sc[i].committed_min == 8);
        snprintf(label, sizeof label, "%s after the rerun", sc[i].name);
        e = state_entry(label, table, 1, i + 1 == sizeof sc / sizeof sc[0], &t);
        REQUIRE(e && json_is_object(e));
        CHECK_EQ_INT(t.rows, NROWS);
        CHECK_EQ_INT(t.nsnapshots, 8); /* one per window, none twice */
        CHECK_EQ_INT(json_array_size(t.ranges), 1);
        rt_table_free(&t);
        add_entry(entries, e);
    }
    CHECK_EQ_INT(rt_check(entries, dir, "events"), 0);
}

/* ------------------------------------------------------------------ timed kills of the CLI */

TEST(sigkill_cli_timed)
{
    char **ref_argv, **t_argv;
    rt_cli_run r = {0};
    json_t *entries = json_array();
    int64_t t0, dur;
    int kills = 0, mid = 0, attempt;

    rt_table t = {0};

    REQUIRE(ready());
    /* Every query waits 40 ms in the emulator, so a run lasts at least 24 x 40 ms whatever the
     * machine's load, and kills at fractions of the reference duration land mid-run. */
    REQUIRE(emu_admin(&E, "POST", "/_emulator/fault",
                      "{\"delay_ms\":40,\"count\":-1,\"path\":\"/api/v3/query_sql\"}", NULL) == 200);
    /* a reference run: how long a whole backfill takes here */
    {
        const char *x[] = {"--batch-size", "2h", "--partition-by", "hour", "--table-name", "timed_ref", "--log-level", "warn", NULL};
        ref_argv = rt_replicate_args(&E, "crash", tf, wh, "crash", x);
        t0 = i2i_monotonic_ns();
        REQUIRE(rt_cli(&r, dir, "timed-ref", (const char *const *)ref_argv) == 0);
        dur = i2i_monotonic_ns() - t0;
        rt_cli_run_free(&r);
        rt_argv_free(ref_argv);
    }
    printf("  reference run: %.2f s\n", (double)dur / 1e9);
    {
        const char *x[] = {"--batch-size", "2h", "--partition-by", "hour", "--table-name", "timed", "--log-level", "warn", NULL};
        t_argv = rt_replicate_args(&E, "crash", tf, wh, "crash", x);
    }
    /* Kill each run after a fifth of the reference duration; each resumed run gets a little
     * further, until one finishes before its kill (or 8 kills). */
    for (attempt = 0; attempt < 8; attempt++) {
        char tag[32], label[64];
        pid_t pid;
        int64_t delay = dur / 5 + attempt * 10 * I2I_NS_PER_MS;
        snprintf(tag, sizeof tag, "timed-%d", attempt);
        pid = rt_cli_spawn(&r, dir, tag, (const char *const *)t_argv);
        REQUIRE(pid > 0);
        usleep((useconds_t)(delay / 1000));
        kill(pid, SIGKILL);
        rt_cli_wait(&r, pid);
        rt_cli_run_free(&r);
        if (r.status == 128 + SIGKILL) kills++;
        snprintf(label, sizeof label, "CLI killed after %.0f ms", (double)delay / 1e6);
        {
            json_t *e = state_entry(label, "timed", 0, 0, &t);
            REQUIRE(e);
            if (json_is_object(e)) {
                printf("  kill %d after %.0f ms: %s, %zu snapshot(s), %lld rows\n", attempt, (double)delay / 1e6,
                       r.status == 128 + SIGKILL ? "killed" : "had finished", t.nsnapshots, (long long)t.rows);
                if (r.status == 128 + SIGKILL && t.nsnapshots > 0 && t.rows < NROWS) mid++;
                rt_table_free(&t);
            }
            add_entry(entries, e);
        }
        if (r.status != 128 + SIGKILL) break;
    }
    emu_admin(&E, "DELETE", "/_emulator/fault", NULL, NULL);
    CHECK(kills >= 3);
    CHECK(mid >= 1); /* at least one kill landed between commits, with the job half done */
    REQUIRE(rt_cli(&r, dir, "timed-final", (const char *const *)t_argv) == 0);
    rt_cli_run_free(&r);
    rt_argv_free(t_argv);
    {
        json_t *e = state_entry("CLI after the kills and a final run", "timed", 1, 1, &t);
        REQUIRE(e && json_is_object(e));
        CHECK_EQ_INT(t.rows, NROWS);
        CHECK_EQ_INT(t.nsnapshots, 24); /* 2 days in 2 h windows, each committed once */
        rt_table_free(&t);
        add_entry(entries, e);
    }
    {
        json_t *e = state_entry("CLI reference run", "timed_ref", 1, 0, &t);
        REQUIRE(e && json_is_object(e));
        CHECK_EQ_INT(t.rows, NROWS);
        rt_table_free(&t);
        add_entry(entries, e);
    }
    CHECK_EQ_INT(rt_check(entries, dir, "timed"), 0);
}

/* ------------------------------------------------------------------ two runs at once */

/* Two CLI processes copy the same measurement into the same table at the same time (an overlapping
 * scheduled trigger and a manual backfill, say). Their commits race window by window; the loser of
 * each race must notice, at commit time, that the window is already committed and drop its files
 * instead of appending the same rows again. */
TEST(concurrent_runs_same_table)
{
    char **argv;
    rt_cli_run a = {0}, b = {0};
    pid_t pa, pb;
    rt_table t = {0};
    json_t *entries = json_array(), *e;
    const char *x[] = {"--batch-size", "2h", "--partition-by", "day", "--table-name", "twice_at_once",
                       "--log-level", "info", NULL};
    int races = 0;
    const char *p;

    REQUIRE(ready());
    argv = rt_replicate_args(&E, "crash", tf, wh, "crash", x);
    pa = rt_cli_spawn(&a, dir, "concurrent-a", (const char *const *)argv);
    pb = rt_cli_spawn(&b, dir, "concurrent-b", (const char *const *)argv);
    CHECK_EQ_INT(rt_cli_wait(&a, pa), 0);
    CHECK_EQ_INT(rt_cli_wait(&b, pb), 0);
    if (a.status || b.status) printf("  a: %s%s\n  b: %s%s\n", a.out, a.err, b.out, b.err);
    for (p = a.err; (p = strstr(p, "committed meanwhile by another run")); p++) races++;
    for (p = b.err; (p = strstr(p, "committed meanwhile by another run")); p++) races++;
    printf("  %d window(s) lost a race and were dropped by the loser\n", races);
    CHECK(races > 0); /* the two runs did collide (otherwise this test proves nothing) */
    rt_cli_run_free(&a);
    rt_cli_run_free(&b);
    rt_argv_free(argv);
    e = state_entry("two concurrent runs", "twice_at_once", 1, 0, &t);
    REQUIRE(e && json_is_object(e));
    CHECK_EQ_INT(t.rows, NROWS);
    CHECK_EQ_INT(t.nsnapshots, 24);
    CHECK_EQ_INT(json_array_size(t.ranges), 1);
    rt_table_free(&t);
    json_array_append_new(entries, e);
    CHECK_EQ_INT(rt_check(entries, dir, "concurrent"), 0);
}

