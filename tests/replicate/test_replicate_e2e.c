/*
 * The replicate command end to end: the real CLI binary against the InfluxDB 3 emulator, the table
 * read back by independent readers (check_table.mjs: DuckDB by field id over the live file list,
 * icebird over the whole table) and compared value by value with what was written.
 *
 *   edge_dataset           odd names, NULL-sparse fields, int64 min/max, -0.0, 10 KB strings,
 *                          pre-1970 ns timestamps, several days; v2 (µs, floored) and v3 (ns exact);
 *                          a rerun adds nothing
 *   included_excluded      --included-fields / --excluded-fields give exactly those columns; an
 *                          unknown name is an error listing the available columns
 *   auto_update_schema     a new field fails without the flag (nothing committed), is added with
 *                          it (optional, fresh id; older rows read NULL)
 *   server_errors          401 (token never printed), 400, persistent 500: exit 1, no commit
 *   incremental            --window: first run looks back one window, later runs resume; empty
 *                          windows are recorded and never queried again
 *   windows_aligned_...    windows start at multiples of --batch-size (one file per partition)
 *
 * One emulator serves the file; each test has its own database and warehouse.
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "replicate_test_util.h"
#include "test.h"

static emu E;
static int emu_ok = -1;

static int ready(void)
{
    if (!rt_tools_ready()) return 0;
    if (emu_ok < 0) emu_ok = rt_emu_start(&E) == 0;
    if (emu_ok) {
        emu_admin(&E, "DELETE", "/_emulator/fault", NULL, NULL);
        emu_admin(&E, "DELETE", "/_emulator/stats", NULL, NULL);
    }
    return emu_ok;
}

static json_t *load_json(const char *path)
{
    json_error_t je;
    json_t *j = json_load_file(path, 0, &je);
    if (!j) fprintf(stderr, "%s: %s\n", path, je.text);
    return j;
}

static json_t *parse_out(const rt_cli_run *r)
{
    json_error_t je;
    json_t *j = r->out ? json_loads(r->out, 0, &je) : NULL;
    if (!j) fprintf(stderr, "not JSON on stdout: %s\n", r->out ? r->out : "(none)");
    return j ? j : json_object();
}

static long long jint(const json_t *o, const char *k) { return (long long)json_integer_value(json_object_get(o, k)); }

static int run(rt_cli_run *r, const char *dir, const char *tag, const char *db, const char *tf,
               const char *wh, const char *measurement, const char *const *extra)
{
    char **argv = rt_replicate_args(&E, db, tf, wh, measurement, extra);
    int rc = rt_cli(r, dir, tag, (const char *const *)argv);
    rt_argv_free(argv);
    return rc;
}

/* The test's directory `name` (returned), its warehouse (malloc'd) and its token file. */
static const char *test_dir(const char *name, char **wh, const char **tf)
{
    const char *dir = rt_dir(name);
    *wh = rt_fmt("%s/wh", dir);
    *tf = rt_token_file(dir, "token", RT_TOKEN);
    return dir;
}

/* ================================================================== edge dataset */

#define EDGE_M "Edge \"Mëas\" 'q'.v1"

TEST(edge_dataset)
{
    const char *dir, *tf;
    char *lp, *exp, *wh;
    json_t *expected, *rows, *out, *entries;
    rt_cli_run r = {0};
    rt_table t2 = {0}, t3 = {0}, again = {0};
    size_t i, nrows;
    long long subus = 0;
    char *first_meta;

    REQUIRE(ready());
    dir = test_dir("edge", &wh, &tf);
    lp = rt_fmt("%s/edge.lp", dir);
    exp = rt_fmt("%s/edge.json", dir);
    REQUIRE(rt_gen_edge(lp, exp) == 0);
    REQUIRE(rt_write_lp_file(&E, "edge", lp) == 0);
    expected = load_json(exp);
    REQUIRE(expected);
    rows = json_object_get(expected, "rows");
    nrows = json_array_size(rows);
    REQUIRE(nrows > 500);
    for (i = 0; i < nrows; i++) {
        long long ns = strtoll(json_string_value(json_object_get(json_array_get(rows, i), "time")), NULL, 10);
        if (ns % 1000 != 0) subus++;
    }
    REQUIRE(subus > 0);

    /* v2: µs timestamps; the table name is the measurement name */
    {
        const char *extra[] = {"--json", NULL};
        CHECK_EQ_INT(run(&r, dir, "v2", "edge", tf, wh, EDGE_M, extra), 0);
        out = parse_out(&r);
        CHECK_EQ_INT(jint(out, "total_written_records"), (long long)nrows);
        CHECK_EQ_INT(jint(out, "total_batches"), 5); /* 5 days, 1d windows */
        CHECK_EQ_INT(jint(out, "committed_batches"), 5);
        CHECK_EQ_INT(jint(out, "snapshots"), 5);
        CHECK_EQ_INT(jint(out, "timestamps_truncated_to_us"), subus);
        CHECK_EQ_INT(jint(out, "nonfinite_values"), 2); /* +inf and -inf arrive as null */
        CHECK(json_is_true(json_object_get(out, "table_created")));
        json_decref(out);
        rt_cli_run_free(&r);
    }
    REQUIRE(rt_table_load(wh, "default", EDGE_M, &t2) == 0);
    REQUIRE(t2.exists);
    CHECK_EQ_INT(t2.format_version, 2);
    CHECK_EQ_INT(t2.nsnapshots, 5);
    CHECK_EQ_INT(t2.rows, (long long)nrows);
    CHECK(json_array_size(t2.live_files) >= 5); /* day partitions */

    /* a rerun adds nothing: no snapshot, no metadata change, says so */
    {
        const char *extra[] = {NULL};
        CHECK_EQ_INT(run(&r, dir, "v2-rerun", "edge", tf, wh, EDGE_M, extra), 0);
        CHECK(strstr(r.out, "nothing to do") != NULL);
        CHECK(strstr(r.out, "every window already committed") != NULL);
        rt_cli_run_free(&r);
        first_meta = strdup(t2.metadata_location);
        REQUIRE(rt_table_load(wh, "default", EDGE_M, &again) == 0);
        CHECK_EQ_INT(again.nsnapshots, 5);
        CHECK_EQ_STR(again.metadata_location, first_meta);
        rt_table_free(&again);
        free(first_meta);
    }
    {
        const char *extra[] = {"--json", NULL};
        CHECK_EQ_INT(run(&r, dir, "v2-rerun-json", "edge", tf, wh, EDGE_M, extra), 0);
        out = parse_out(&r);
        CHECK_EQ_INT(jint(out, "committed_batches"), 0);
        CHECK_EQ_INT(jint(out, "skipped_batches"), 5);
        CHECK_EQ_INT(jint(out, "total_written_records"), 0);
        CHECK_EQ_INT(jint(out, "snapshots"), 0);
        json_decref(out);
        rt_cli_run_free(&r);
    }

    /* v3: nanoseconds kept */
    {
        const char *extra[] = {"--table-name", "edge v3", "--format-version", "3", "--json", NULL};
        CHECK_EQ_INT(run(&r, dir, "v3", "edge", tf, wh, EDGE_M, extra), 0);
        out = parse_out(&r);
        CHECK_EQ_INT(jint(out, "total_written_records"), (long long)nrows);
        CHECK_EQ_INT(jint(out, "timestamps_truncated_to_us"), 0);
        json_decref(out);
        rt_cli_run_free(&r);
    }
    REQUIRE(rt_table_load(wh, "default", "edge v3", &t3) == 0);
    REQUIRE(t3.exists);
    CHECK_EQ_INT(t3.format_version, 3);
    CHECK_EQ_INT(t3.rows, (long long)nrows);

    entries = json_array();
    json_array_append_new(entries, rt_check_entry("edge v2", &t2, exp, NULL, NULL, 1, 1));
    json_array_append_new(entries, rt_check_entry("edge v3", &t3, exp, NULL, NULL, 1, 1));
    CHECK_EQ_INT(rt_check(entries, dir, "edge"), 0);

    rt_table_free(&t2);
    rt_table_free(&t3);
    json_decref(expected);
    free(lp);
    free(exp);
    free(wh);
}

/* ================================================================== column selection */

#define T0_FIELDS 1769904000000000000LL /* 2026-02-01T00:00:00Z */

TEST(included_excluded_fields)
{
    const char *dir = NULL, *tf;
    char *lp, *exp, *wh;
    rt_cli_run r = {0};
    rt_table inc = {0}, exc = {0}, bad = {0};
    json_t *entries;
    static const char *inc_cols[] = {"time", "usage", "host", NULL};
    static const char *exc_cols[] = {"time", "host", "usage", "count", "ok", NULL};

    REQUIRE(ready());
    dir = test_dir("fields", &wh, &tf);
    lp = rt_fmt("%s/w.lp", dir);
    exp = rt_fmt("%s/w.json", dir);
    REQUIRE(rt_gen_regular(lp, exp, "weather", T0_FIELDS, 144, 600 * I2I_NS_PER_S, 3, 11, NULL) == 0);
    REQUIRE(rt_write_lp_file(&E, "fields", lp) == 0);

    {
        const char *extra[] = {"--included-fields", "usage.host", "--table-name", "inc", NULL};
        CHECK_EQ_INT(run(&r, dir, "inc", "fields", tf, wh, "weather", extra), 0);
        rt_cli_run_free(&r);
    }
    {
        const char *extra[] = {"--excluded-fields", "msg.region", "--table-name", "exc", NULL};
        CHECK_EQ_INT(run(&r, dir, "exc", "fields", tf, wh, "weather", extra), 0);
        rt_cli_run_free(&r);
    }
    /* unknown names: exit 1, the message lists what exists, no table is created */
    {
        const char *extra[] = {"--included-fields", "usage.nope", "--table-name", "bad", NULL};
        CHECK_EQ_INT(run(&r, dir, "inc-unknown", "fields", tf, wh, "weather", extra), 1);
        CHECK(strstr(r.err, "included_fields: 'nope' is not a column of measurement 'weather'") != NULL);
        CHECK(strstr(r.err, "available: count, host, msg, ok, region, time, usage") != NULL);
        rt_cli_run_free(&r);
    }
    {
        const char *extra[] = {"--excluded-fields", "Usage", "--table-name", "bad", NULL};
        CHECK_EQ_INT(run(&r, dir, "exc-unknown", "fields", tf, wh, "weather", extra), 1);
        CHECK(strstr(r.err, "excluded_fields: 'Usage' is not a column") != NULL); /* names are exact */
        CHECK(strstr(r.err, "available: count, host, msg, ok, region, time, usage") != NULL);
        rt_cli_run_free(&r);
    }
    REQUIRE(rt_table_load(wh, "default", "bad", &bad) == 0);
    CHECK(!bad.exists);

    REQUIRE(rt_table_load(wh, "default", "inc", &inc) == 0);
    REQUIRE(rt_table_load(wh, "default", "exc", &exc) == 0);
    REQUIRE(inc.exists && exc.exists);
    CHECK_EQ_INT(json_array_size(inc.columns), 3);
    CHECK_EQ_INT(json_array_size(exc.columns), 5);
    CHECK_EQ_INT(inc.rows, 144 * 3);
    CHECK_EQ_INT(exc.rows, 144 * 3);
    entries = json_array();
    json_array_append_new(entries, rt_check_entry("included usage.host", &inc, exp, rt_strv_json(inc_cols), NULL, 1, 0));
    json_array_append_new(entries, rt_check_entry("excluded msg.region", &exc, exp, rt_strv_json(exc_cols), NULL, 1, 0));
    /* rt_check_entry borrows columns: drop our references after the entries took theirs */
    json_decref(json_object_get(json_array_get(entries, 0), "columns"));
    json_decref(json_object_get(json_array_get(entries, 1), "columns"));
    CHECK_EQ_INT(rt_check(entries, dir, "fields"), 0);
    rt_table_free(&inc);
    rt_table_free(&exc);
    rt_table_free(&bad);
    free(lp);
    free(exp);
    free(wh);
}

/* ================================================================== window alignment */

/* Windows start at multiples of --batch-size since the epoch: a backfill from 12:00 with 1d windows
 * commits [12:00, 24:00) and then whole days, so each window fills whole day partitions. */
TEST(windows_aligned_to_batch_size)
{
    const char *dir, *tf;
    char *lp, *exp, *wh;
    rt_cli_run r = {0};
    rt_table t = {0};
    json_t *out, *entries;
    const char *extra[] = {"--backfill-start", "2026-02-01T12:00:00Z", "--backfill-end", "2026-02-03T06:00:00Z",
                           "--batch-size", "1d", "--json", NULL};

    REQUIRE(ready());
    dir = test_dir("aligned", &wh, &tf);
    lp = rt_fmt("%s/a.lp", dir);
    exp = rt_fmt("%s/a.json", dir);
    /* 2026-02-01T00:00Z .. 2026-02-02T23:30Z every 30 min, 2 hosts */
    REQUIRE(rt_gen_regular(lp, exp, "aligned", T0_FIELDS, 96, 1800 * I2I_NS_PER_S, 2, 61, NULL) == 0);
    REQUIRE(rt_write_lp_file(&E, "aligned", lp) == 0);
    CHECK_EQ_INT(run(&r, dir, "aligned", "aligned", tf, wh, "aligned", extra), 0);
    out = parse_out(&r);
    CHECK_EQ_INT(jint(out, "total_batches"), 3); /* [02-01 12:00, 02-02), [02-02, 02-03), [02-03, 02-03 06:00) */
    CHECK_EQ_INT(jint(out, "snapshots"), 2);
    CHECK_EQ_INT(jint(out, "empty_batches"), 1);
    CHECK_EQ_INT(jint(out, "data_files"), 2); /* one per day partition, not two halves each */
    CHECK_EQ_INT(jint(out, "total_written_records"), (96 - 24) * 2);
    json_decref(out);
    rt_cli_run_free(&r);
    REQUIRE(rt_table_load(wh, "default", "aligned", &t) == 0);
    CHECK_EQ_INT(json_array_size(t.live_files), 2);
    CHECK_EQ_INT(json_array_size(t.ranges), 1);
    entries = json_array();
    json_array_append_new(entries, rt_check_entry("aligned windows", &t, exp, NULL, t.ranges, 0, 0));
    CHECK_EQ_INT(rt_check(entries, dir, "aligned"), 0);
    rt_table_free(&t);
    free(lp);
    free(exp);
    free(wh);
}

/* ================================================================== schema evolution */

#define T0_EVO 1770595200000000000LL /* 2026-02-09T00:00:00Z */
#define NEW_COL "new field.x"

TEST(auto_update_schema)
{
    const char *dir, *tf;
    char *lp1, *exp1, *lp2, *exp2, *wh, *meta_before;
    rt_cli_run r = {0};
    rt_table t = {0}, after = {0};
    json_t *entries, *e, *out;
    size_t snaps_before, files_before;

    REQUIRE(ready());
    dir = test_dir("evo", &wh, &tf);
    lp1 = rt_fmt("%s/d1.lp", dir);
    exp1 = rt_fmt("%s/d1.json", dir);
    lp2 = rt_fmt("%s/d2.lp", dir);
    exp2 = rt_fmt("%s/d2.json", dir);
    REQUIRE(rt_gen_regular(lp1, exp1, "evo", T0_EVO, 96, 900 * I2I_NS_PER_S, 2, 21, NULL) == 0);
    REQUIRE(rt_gen_regular(lp2, exp2, "evo", T0_EVO + 86400 * I2I_NS_PER_S, 96, 900 * I2I_NS_PER_S, 2, 22, NEW_COL) == 0);
    REQUIRE(rt_write_lp_file(&E, "evo", lp1) == 0);
    {
        const char *extra[] = {NULL};
        REQUIRE(run(&r, dir, "first", "evo", tf, wh, "evo", extra) == 0);
        rt_cli_run_free(&r);
    }
    REQUIRE(rt_table_load(wh, "default", "evo", &t) == 0);
    REQUIRE(t.exists && t.nsnapshots == 1);
    snaps_before = t.nsnapshots;
    files_before = rt_count_data_files(&t);
    meta_before = strdup(t.metadata_location);
    rt_table_free(&t);

    /* a field appears in the measurement */
    REQUIRE(rt_write_lp_file(&E, "evo", lp2) == 0);
    {
        const char *extra[] = {NULL};
        CHECK_EQ_INT(run(&r, dir, "no-flag", "evo", tf, wh, "evo", extra), 1);
        CHECK(strstr(r.err, "has columns that table default.evo lacks: " NEW_COL " (double)") != NULL);
        CHECK(strstr(r.err, "--auto-update-schema") != NULL);
        rt_cli_run_free(&r);
    }
    REQUIRE(rt_table_load(wh, "default", "evo", &t) == 0);
    CHECK_EQ_INT(t.nsnapshots, snaps_before);
    CHECK_EQ_STR(t.metadata_location, meta_before); /* nothing committed, not even a schema */
    CHECK_EQ_INT(rt_count_data_files(&t), files_before);
    CHECK_EQ_INT(json_array_size(t.columns), 7);
    rt_table_free(&t);

    {
        const char *extra[] = {"--auto-update-schema", "--json", NULL};
        CHECK_EQ_INT(run(&r, dir, "flag", "evo", tf, wh, "evo", extra), 0);
        out = parse_out(&r);
        CHECK_EQ_INT(jint(out, "columns_added"), 1);
        CHECK_EQ_INT(jint(out, "total_written_records"), 96 * 2);
        CHECK_EQ_INT(jint(out, "snapshots"), 1); /* day 2; the rest of day 1 is an empty part */
        json_decref(out);
        rt_cli_run_free(&r);
    }
    REQUIRE(rt_table_load(wh, "default", "evo", &after) == 0);
    CHECK_EQ_INT(after.nsnapshots, snaps_before + 1);
    CHECK_EQ_INT(json_array_size(after.columns), 8);
    CHECK_EQ_INT(after.rows, 96 * 2 * 2);
    entries = json_array();
    e = rt_check_entry("schema evolution", &after, exp1, NULL, NULL, 1, 0);
    json_object_set_new(e, "expected", json_pack("[ss]", exp1, exp2));
    json_object_set_new(e, "new_columns", json_pack("{sI}", NEW_COL, (json_int_t)(T0_EVO + 86400 * I2I_NS_PER_S)));
    json_array_append_new(entries, e);
    CHECK_EQ_INT(rt_check(entries, dir, "evo"), 0);

    /* and the rerun adds nothing */
    {
        const char *extra[] = {NULL};
        CHECK_EQ_INT(run(&r, dir, "rerun", "evo", tf, wh, "evo", extra), 0);
        CHECK(strstr(r.out, "nothing to do") != NULL);
        rt_cli_run_free(&r);
    }
    rt_table_free(&after);
    free(meta_before);
    free(lp1);
    free(exp1);
    free(lp2);
    free(exp2);
    free(wh);
}

/* ================================================================== server errors */

#define T0_ERR 1772323200000000000LL /* 2026-03-01T00:00:00Z */
#define BAD_TOKEN "apiv3_WRONG-secret-token-93f1aa"

static long count_queries(void) { return emu_request_count(&E, "POST /api/v3/query_sql"); }

/* The last query the emulator answered with that status (a copy), or NULL. Requests a fault
 * answered are counted but not listed. */
static char *last_query_with_status(int status)
{
    i2i_buf b = I2I_BUF_INIT;
    json_t *j, *qs;
    char *res = NULL;
    size_t i;
    if (emu_admin(&E, "GET", "/_emulator/stats", NULL, &b) != 200) return NULL;
    j = json_loadb((const char *)b.data, b.len, 0, NULL);
    qs = json_object_get(j, "queries");
    for (i = json_array_size(qs); i-- > 0;) {
        json_t *q = json_array_get(qs, i);
        if (json_integer_value(json_object_get(q, "status")) == status) {
            res = strdup(json_string_value(json_object_get(q, "q")));
            break;
        }
    }
    json_decref(j);
    i2i_buf_free(&b);
    return res;
}

/* Reset the request statistics, then have the emulator answer `count` query_sql requests (-1: all,
 * until cleared) after the first `skip` with `status` and `body`. */
static void inject_query_fault(int status, const char *body, int count, long skip)
{
    char *fault = rt_fmt("{\"status\":%d,\"body\":\"%s\",\"count\":%d,\"path\":\"/api/v3/query_sql\",\"skip\":%ld}",
                         status, body, count, skip);
    emu_admin(&E, "DELETE", "/_emulator/stats", NULL, NULL);
    CHECK_EQ_INT(emu_admin(&E, "POST", "/_emulator/fault", fault, NULL), 200);
    free(fault);
}

TEST(server_errors)
{
    const char *dir, *tf, *bad_tf;
    char *lp1, *exp1, *lp2, *exp2, *wh, *meta, *q;
    rt_cli_run r = {0};
    rt_table t = {0};
    json_t *entries, *e;
    long k, before;
    size_t snaps;
    const char *range1[] = {"--backfill-start", "2026-03-01T00:00:00Z", "--backfill-end", "2026-03-02T00:00:00Z", NULL};
    const char *range2[] = {"--backfill-start", "2026-03-01T00:00:00Z", "--backfill-end", "2026-03-03T00:00:00Z", NULL};

    REQUIRE(ready());
    dir = test_dir("errors", &wh, &tf);
    lp1 = rt_fmt("%s/a.lp", dir);
    exp1 = rt_fmt("%s/a.json", dir);
    lp2 = rt_fmt("%s/b.lp", dir);
    exp2 = rt_fmt("%s/b.json", dir);
    bad_tf = rt_token_file(dir, "bad-token", BAD_TOKEN);
    REQUIRE(rt_gen_regular(lp1, exp1, "err", T0_ERR, 48, 1800 * I2I_NS_PER_S, 2, 31, NULL) == 0);
    REQUIRE(rt_gen_regular(lp2, exp2, "err", T0_ERR + 86400 * I2I_NS_PER_S, 48, 1800 * I2I_NS_PER_S, 2, 32, NULL) == 0);
    REQUIRE(rt_write_lp_file(&E, "errs", lp1) == 0);
    REQUIRE(run(&r, dir, "first", "errs", tf, wh, "err", range1) == 0);
    rt_cli_run_free(&r);
    REQUIRE(rt_write_lp_file(&E, "errs", lp2) == 0);

    /* how many queries a run makes before its first window query: a run with nothing to do */
    emu_admin(&E, "DELETE", "/_emulator/stats", NULL, NULL);
    REQUIRE(run(&r, dir, "count", "errs", tf, wh, "err", range1) == 0);
    CHECK(strstr(r.out, "nothing to do") != NULL);
    rt_cli_run_free(&r);
    k = count_queries();
    REQUIRE(k >= 1);

    REQUIRE(rt_table_load(wh, "default", "err", &t) == 0);
    snaps = t.nsnapshots;
    meta = strdup(t.metadata_location);
    REQUIRE(snaps == 1);
    rt_table_free(&t);

    /* 401: a wrong token; the message says what to check and never shows the token */
    CHECK_EQ_INT(run(&r, dir, "401", "errs", bad_tf, wh, "err", range2), 1);
    CHECK(strstr(r.err, "401") != NULL || strstr(r.err, "token") != NULL);
    CHECK(strstr(r.err, "token") != NULL);
    CHECK(strstr(r.err, BAD_TOKEN) == NULL);
    CHECK(strstr(r.err, "WRONG-secret") == NULL);
    CHECK(strstr(r.out, BAD_TOKEN) == NULL);
    rt_cli_run_free(&r);

    /* 400 on the first window query (the discovery queries pass) */
    inject_query_fault(400, "emulated bad request: planner said no", 1, k);
    CHECK_EQ_INT(run(&r, dir, "400", "errs", tf, wh, "err", range2), 1);
    CHECK(strstr(r.err, "400") != NULL);
    CHECK(strstr(r.err, "emulated bad request: planner said no") != NULL);
    CHECK(strstr(r.err, "query of 'err' [2026-03-02T00:00:00.000000000Z, 2026-03-03T00:00:00.000000000Z)") != NULL);
    CHECK(strstr(r.err, "nothing committed") != NULL);
    rt_cli_run_free(&r);
    CHECK_EQ_INT(count_queries(), k + 1); /* no retry of a 400 */
    /* the faulted request was the window's data query: every query that got through was discovery */
    q = last_query_with_status(200);
    CHECK(q && strstr(q, "information_schema") != NULL);
    free(q);

    /* persistent 500: retried, then given up */
    inject_query_fault(500, "emulated internal error", -1, k);
    CHECK_EQ_INT(run(&r, dir, "500", "errs", tf, wh, "err", range2), 1);
    CHECK(strstr(r.err, "500") != NULL);
    CHECK(strstr(r.err, "emulated internal error") != NULL);
    CHECK(strstr(r.err, "giving up after 5 attempts: query of 'err' [2026-03-02T00:00:00.000000000Z") != NULL);
    CHECK(strstr(r.err, "nothing committed") != NULL);
    rt_cli_run_free(&r);
    before = count_queries();
    CHECK(before > k + 1); /* retried */
    emu_admin(&E, "DELETE", "/_emulator/fault", NULL, NULL);
    q = last_query_with_status(200);
    CHECK(q && strstr(q, "information_schema") != NULL);
    free(q);

    /* none of that committed anything or left data files behind */
    REQUIRE(rt_table_load(wh, "default", "err", &t) == 0);
    CHECK_EQ_INT(t.nsnapshots, snaps);
    CHECK_EQ_STR(t.metadata_location, meta);
    CHECK_EQ_INT(rt_count_data_files(&t), json_array_size(t.live_files));
    rt_table_free(&t);

    /* the server is fine again: the second day arrives exactly once */
    CHECK_EQ_INT(run(&r, dir, "ok", "errs", tf, wh, "err", range2), 0);
    rt_cli_run_free(&r);
    REQUIRE(rt_table_load(wh, "default", "err", &t) == 0);
    CHECK_EQ_INT(t.nsnapshots, snaps + 1);
    CHECK_EQ_INT(t.rows, 48 * 2 * 2);
    entries = json_array();
    e = rt_check_entry("after errors", &t, exp1, NULL, NULL, 1, 0);
    json_object_set_new(e, "expected", json_pack("[ss]", exp1, exp2));
    json_array_append_new(entries, e);
    CHECK_EQ_INT(rt_check(entries, dir, "errors"), 0);
    rt_table_free(&t);
    free(meta);
    free(lp1);
    free(exp1);
    free(lp2);
    free(exp2);
    free(wh);
}

/* ================================================================== incremental mode */

/* Time literals the engine sends: 'YYYY-MM-DDTHH:MM:SS.nnnnnnnnnZ'. */
static void literal(int64_t ns, char *out, size_t n) { i2i_time_format_rfc3339(ns, out, n); }

static int64_t last_end(const rt_table *t)
{
    size_t n = json_array_size(t->ranges);
    if (!n) return INT64_MIN;
    return strtoll(json_string_value(json_array_get(json_array_get(t->ranges, n - 1), 1)), NULL, 10);
}

TEST(incremental)
{
    const char *dir, *tf;
    char *lp_old, *exp_old, *lp_cur, *exp_cur, *lp_new, *exp_new, *wh;
    rt_cli_run r = {0};
    rt_table t = {0};
    json_t *out, *entries, *e;
    int64_t now = i2i_now_ns(), t_run1, end1, end2, start1, snaps1;
    i2i_buf stats = I2I_BUF_INIT;
    const char *extra_json[] = {"--window", "1h", "--lag", "1s", "--json", NULL};
    char lit[64], *needle;

    REQUIRE(ready());
    dir = test_dir("incr", &wh, &tf);
    lp_old = rt_fmt("%s/old.lp", dir);
    exp_old = rt_fmt("%s/old.json", dir);
    lp_cur = rt_fmt("%s/cur.lp", dir);
    exp_cur = rt_fmt("%s/cur.json", dir);
    lp_new = rt_fmt("%s/new.lp", dir);
    exp_new = rt_fmt("%s/new.json", dir);
    /* older than the first window (now - 3h ...): never copied by incremental runs */
    REQUIRE(rt_gen_regular(lp_old, exp_old, "live", now - 3 * 3600 * I2I_NS_PER_S, 30, 60 * I2I_NS_PER_S, 2, 41, NULL) == 0);
    /* inside it: now - 50 min ... now - 6 min */
    REQUIRE(rt_gen_regular(lp_cur, exp_cur, "live", now - 50 * 60 * I2I_NS_PER_S, 45, 60 * I2I_NS_PER_S, 2, 42, NULL) == 0);
    REQUIRE(rt_write_lp_file(&E, "incr", lp_old) == 0);
    REQUIRE(rt_write_lp_file(&E, "incr", lp_cur) == 0);

    t_run1 = i2i_now_ns();
    CHECK_EQ_INT(run(&r, dir, "run1", "incr", tf, wh, "live", extra_json), 0);
    out = parse_out(&r);
    CHECK_EQ_STR(json_string_value(json_object_get(out, "mode")), "incremental");
    CHECK_EQ_INT(jint(out, "total_written_records"), 45 * 2);
    /* windows are aligned to the hour: the rows (now - 50 min ... now - 6 min) reach into the
     * current hour's window too when it is past HH:06, so one or two commits */
    snaps1 = jint(out, "snapshots");
    CHECK(snaps1 == 1 || snaps1 == 2);
    json_decref(out);
    rt_cli_run_free(&r);
    REQUIRE(rt_table_load(wh, "default", "live", &t) == 0);
    REQUIRE(t.exists);
    CHECK_EQ_INT(t.nsnapshots, snaps1);
    CHECK_EQ_INT(t.rows, 45 * 2);
    REQUIRE(json_array_size(t.ranges) == 1);
    start1 = strtoll(json_string_value(json_array_get(json_array_get(t.ranges, 0), 0)), NULL, 10);
    end1 = last_end(&t);
    /* first run: [now - window, now - lag) */
    CHECK(start1 >= t_run1 - 3600 * I2I_NS_PER_S && start1 <= i2i_now_ns() - 3600 * I2I_NS_PER_S);
    CHECK(end1 >= t_run1 - I2I_NS_PER_S && end1 <= i2i_now_ns() - I2I_NS_PER_S);
    rt_table_free(&t);

    /* no new data: nothing committed, but the (empty) window is recorded */
    usleep(50 * 1000);
    CHECK_EQ_INT(run(&r, dir, "run2", "incr", tf, wh, "live", extra_json), 0);
    out = parse_out(&r);
    CHECK_EQ_INT(jint(out, "total_written_records"), 0);
    CHECK_EQ_INT(jint(out, "snapshots"), 0);
    CHECK_EQ_INT(jint(out, "empty_batches"), 1);
    json_decref(out);
    rt_cli_run_free(&r);
    REQUIRE(rt_table_load(wh, "default", "live", &t) == 0);
    CHECK_EQ_INT(t.nsnapshots, snaps1);
    CHECK_EQ_INT(json_array_size(t.ranges), 1); /* merged with the first range */
    end2 = last_end(&t);
    CHECK(end2 > end1);
    rt_table_free(&t);

    /* new rows after the recorded end */
    {
        int64_t base = i2i_now_ns() - 500 * I2I_NS_PER_MS;
        REQUIRE(base > end2);
        REQUIRE(rt_gen_regular(lp_new, exp_new, "live", base, 20, 10 * I2I_NS_PER_MS, 2, 43, NULL) == 0);
        REQUIRE(rt_write_lp_file(&E, "incr", lp_new) == 0);
    }
    usleep(1300 * 1000); /* past the 1 s lag */
    emu_admin(&E, "DELETE", "/_emulator/stats", NULL, NULL);
    CHECK_EQ_INT(run(&r, dir, "run3", "incr", tf, wh, "live", extra_json), 0);
    out = parse_out(&r);
    CHECK_EQ_INT(jint(out, "total_written_records"), 20 * 2);
    CHECK_EQ_INT(jint(out, "snapshots"), 1);
    json_decref(out);
    rt_cli_run_free(&r);
    /* it resumed exactly at the end recorded by the empty run: the empty stretch was not re-queried */
    CHECK(emu_admin(&E, "GET", "/_emulator/stats", NULL, &stats) == 200);
    literal(end2, lit, sizeof lit);
    needle = rt_fmt("\\\"time\\\" >= '%s'", lit);
    {
        int found = strstr(i2i_buf_cstr(&stats), needle) != NULL;
        CHECK(found);
        if (!found) printf("  looked for %s in the stats: %s\n", needle, i2i_buf_cstr(&stats));
    }
    free(needle);
    literal(end1, lit, sizeof lit);
    needle = rt_fmt("'%s'", lit);
    CHECK(!strstr(i2i_buf_cstr(&stats), needle));
    free(needle);
    i2i_buf_free(&stats);

    REQUIRE(rt_table_load(wh, "default", "live", &t) == 0);
    CHECK_EQ_INT(t.nsnapshots, snaps1 + 1);
    CHECK_EQ_INT(t.rows, 45 * 2 + 20 * 2);
    entries = json_array();
    e = rt_check_entry("incremental", &t, exp_cur, NULL, t.ranges, 1, 0);
    /* every dataset, restricted to the committed ranges: the old rows must not be there */
    json_object_set_new(e, "expected", json_pack("[sss]", exp_old, exp_cur, exp_new));
    json_array_append_new(entries, e);
    CHECK_EQ_INT(rt_check(entries, dir, "incr"), 0);
    rt_table_free(&t);

    /* once more without new data: no snapshot */
    CHECK_EQ_INT(run(&r, dir, "run4", "incr", tf, wh, "live", extra_json), 0);
    rt_cli_run_free(&r);
    REQUIRE(rt_table_load(wh, "default", "live", &t) == 0);
    CHECK_EQ_INT(t.nsnapshots, snaps1 + 1);
    rt_table_free(&t);

    free(lp_old);
    free(exp_old);
    free(lp_cur);
    free(exp_cur);
    free(lp_new);
    free(exp_new);
    free(wh);
}
