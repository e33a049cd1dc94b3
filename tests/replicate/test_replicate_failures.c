/*
 * Failures inside a window, injected through replicate_hooks.fault (the run's own hook, handed to
 * the data writer and the catalog; nothing process wide):
 *
 *   finish_failure_leaves_no_stray_files   a data file fails to close while the window's files
 *                      are finished. The run fails naming the window; the files of that window are
 *                      gone (every file left under data/ is committed; none is an orphan or a temp
 *                      file); ASan's leak check at exit covers the write result. A rerun copies
 *                      every row exactly once.
 *   transient_catalog_failure_is_retried   the catalog is busy at one window's commit: the run
 *                      still succeeds and every window lands once (one snapshot each, every row
 *                      once).
 */
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>

#include "iceberg/iceberg.h"
#include "replicate/replicate.h"
#include "replicate_test_util.h"
#include "test.h"

#define T0 1775001600000000000LL /* 2026-04-01T00:00:00Z */
#define HOSTS 2
#define POINTS 1440 /* per host: one day every minute */
#define STEP (60 * I2I_NS_PER_S)
#define NROWS (HOSTS * POINTS)
#define WINDOWS 4   /* batch_size 6h */

static emu E;
static int emu_ok = -1;
static const char *dir, *wh;

static int ready(void)
{
    if (!rt_ready_regular(&E, &emu_ok, "failures", "fail", T0, POINTS, STEP, HOSTS, 77, &dir, NULL))
        return 0;
    if (!wh) wh = rt_fmt("%s/wh", dir);
    return 1;
}

static int run(const char *table, const i2i_fault *fault, replicate_result *res, i2i_error *err)
{
    replicate_job job;
    replicate_hooks hooks;
    int rc;
    json_t *args = json_pack("{ss ss ss ss ss ss ss ss}", "measurement", "fail", "host", E.url, "database",
                             "failures", "token", RT_TOKEN, "warehouse_dir", wh, "table_name", table,
                             "batch_size", "6h", "partition_by", "hour");
    rc = replicate_job_from_json(args, NULL, &job, err);
    json_decref(args);
    if (rc != 0) return rc;
    memset(&hooks, 0, sizeof hooks);
    hooks.rows_per_batch = 200;
    hooks.fault = fault;
    rc = replicate_run(&job, &hooks, res, err);
    replicate_job_free(&job);
    return rc;
}

/* Every file under a directory (hidden temp files included). */
static json_t *g_found;
static int collect(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)ftw;
    if (flag == FTW_F) json_array_append_new(g_found, json_string(path));
    return 0;
}

static int in_array(const json_t *a, const char *s)
{
    size_t i;
    json_t *v;
    json_array_foreach(a, i, v)
    {
        if (strcmp(json_string_value(v), s) == 0) return 1;
    }
    return 0;
}

TEST(finish_failure_leaves_no_stray_files)
{
    rt_nth_fault nf = {"data-file.close", 8, 0, 0}; /* window 2 (6 hour files each), its second file */
    i2i_fault f = {rt_fail_nth, &nf};
    replicate_result res;
    rt_table t;
    catalog *cat = NULL;
    iceberg_table *tb = NULL;
    iceberg_orphan_list orphans;
    char *data_dir;
    size_t i, stray = 0;
    i2i_error err;

    if (!ready()) {
        CHECK(0);
        return;
    }
    CHECK_EQ_INT(run("finish", &f, &res, &err), I2I_ERR_IO);
    CHECK(strstr(err.msg, "window [2026-04-01T06:00:00.000000000Z, 2026-04-01T12:00:00.000000000Z)") != NULL);
    CHECK(strstr(err.msg, "injected failure at data-file.close") != NULL);
    CHECK_EQ_INT(res.windows_committed, 1);
    CHECK_EQ_INT(res.rows, NROWS / WINDOWS); /* the failed window's rows are not counted */

    REQUIRE(rt_table_load(wh, "default", "finish", &t) == 0);
    REQUIRE(t.exists);
    CHECK_EQ_INT(json_array_size(t.live_files), 6);
    data_dir = rt_fmt("%s/data", storage_local_path(t.location));
    g_found = json_array();
    REQUIRE(nftw(data_dir, collect, 16, FTW_PHYS) == 0);
    for (i = 0; i < json_array_size(g_found); i++) {
        const char *p = json_string_value(json_array_get(g_found, i));
        if (!in_array(t.live_files, p)) {
            fprintf(stderr, "  not committed: %s\n", p);
            stray++;
        }
    }
    CHECK_EQ_INT(stray, 0);
    /* and inspect agrees: nothing to report */
    REQUIRE_OK(catalog_open_default(wh, &cat, &err), &err);
    REQUIRE_OK(iceberg_table_open(cat, "default", "finish", NULL, &tb, &err), &err);
    REQUIRE_OK(iceberg_table_orphan_files(tb, 0, &orphans, &err), &err);
    CHECK_EQ_INT(orphans.n, 0);
    iceberg_orphan_list_free(&orphans);
    iceberg_table_free(tb);
    catalog_close(cat);
    json_decref(g_found);
    free(data_dir);
    rt_table_free(&t);

    /* the rerun completes the table, every row once */
    CHECK_OK(run("finish", NULL, &res, &err), &err);
    CHECK_EQ_INT(res.windows_skipped, 1);
    CHECK_EQ_INT(res.windows_committed, WINDOWS - 1);
    REQUIRE(rt_table_load(wh, "default", "finish", &t) == 0);
    CHECK_EQ_INT(t.rows, NROWS);
    CHECK_EQ_INT(t.nsnapshots, WINDOWS);
    CHECK_EQ_INT(json_array_size(t.live_files), WINDOWS * 6);
    rt_table_free(&t);
}

TEST(transient_catalog_failure_is_retried)
{
    /* the second window's commit finds the catalog busy */
    rt_nth_fault nf = {"sql.before-update", 2, 0, I2I_ERR_TRANSIENT};
    i2i_fault f = {rt_fail_nth, &nf};
    replicate_result res;
    rt_table t;
    i2i_error err;

    if (!ready()) {
        CHECK(0);
        return;
    }
    CHECK_OK(run("busy", &f, &res, &err), &err);
    CHECK_EQ_INT(nf.seen >= 2, 1);
    CHECK_EQ_INT(res.windows_committed, WINDOWS);
    CHECK_EQ_INT(res.snapshots, WINDOWS);
    CHECK_EQ_INT(res.rows, NROWS);
    REQUIRE(rt_table_load(wh, "default", "busy", &t) == 0);
    CHECK_EQ_INT(t.nsnapshots, WINDOWS);
    CHECK_EQ_INT(t.rows, NROWS);
    CHECK_EQ_INT(json_array_size(t.live_files), WINDOWS * 6);
    CHECK_EQ_INT(json_array_size(t.ranges), 1);
    rt_table_free(&t);
}
