/*
 * A temporary catalog failure does not fail the append: the catalog contract (catalog.h) says
 * I2I_ERR_TRANSIENT means "not applied, retry", and the commit loop retries what
 * i2i_status_retryable accepts. Faults come from the catalog's own hook (catalog_set_fault), not a
 * process-wide switch. Built twice from this source: against SQLite (a busy database at the
 * compare-and-swap) and, with I2I_TEST_PG, against a real PostgreSQL started by
 * tests/catalog/pg_harness.sh (the connection dropped before COMMIT). Each checks that the append
 * lands exactly once: one snapshot, one live file, its window keys once.
 */
#include <stdio.h>
#include <stdlib.h>

#include "iceberg_test_util.h"
#include "test.h"

typedef struct fault_plan {
    const char *point; /* fail here ... */
    int times;         /* ... this many times (-1 = always) */
    int hits;
    volatile int *cancel_on_hit; /* set this flag when failing (NULL: no) */
} fault_plan;

static int plan_fault(void *ctx, const char *point, i2i_error *err)
{
    fault_plan *p = ctx;
    if (strcmp(point, p->point) != 0 || (p->times >= 0 && p->hits >= p->times)) return I2I_OK;
    p->hits++;
    if (p->cancel_on_hit) *p->cancel_on_hit = 1;
    return i2i_error_set(err, I2I_ERR_TRANSIENT, "injected at %s (attempt %d)", point, p->hits);
}

/* A catalog of its own per test: SQLite file or a catalog name in the shared PostgreSQL database. */
static int open_catalog(const char *tag, catalog **out, i2i_error *err)
{
    char wh[700], uri[1200];
    json_t *cfg;
    int rc;
    snprintf(wh, sizeof wh, "%s/%s", i2i_test_tmpdir(), tag);
#ifdef I2I_TEST_PG
    {
        const char *u = getenv("I2I_TEST_PG_URI");
        if (!u || !*u)
            return i2i_error_set(err, I2I_ERR_INVALID,
                                 "I2I_TEST_PG_URI is not set: run through tests/catalog/pg_harness.sh");
        snprintf(uri, sizeof uri, "%s", u);
    }
#else
    snprintf(uri, sizeof uri, "sqlite:///%s/%s.db", i2i_test_tmpdir(), tag);
#endif
    cfg = json_pack("{s:s, s:s, s:s, s:s}", "type", "sql", "uri", uri, "warehouse", wh, "name", tag);
    if (!cfg) return i2i_error_nomem(err, "test config");
    rc = catalog_open(cfg, NULL, out, err);
    json_decref(cfg);
    return rc;
}

static json_t *window_summary(void)
{
    return json_pack("{s:s, s:s}", "influx2iceberg.window-start", "1700000000000000000",
                     "influx2iceberg.window-end", "1700000040000000000");
}

/* Append one file with `plan` active on the catalog; the table is reopened afterwards so the
 * checks see what the catalog holds, not our in-memory copy. */
static void append_lands_once(const char *tag, fault_plan *plan)
{
    catalog *c = NULL;
    iceberg_table *t = NULL, *again = NULL;
    iceberg_write_result r;
    iceberg_append_request ar;
    iceberg_commit_result cr;
    iceberg_file_list live;
    const iceberg_snapshot *snaps;
    i2i_fault f = {plan_fault, plan};
    json_t *summary = window_summary();
    size_t n = 0;
    i2i_error err;

    REQUIRE(summary);
    REQUIRE_OK(open_catalog(tag, &c, &err), &err);
    REQUIRE_OK(itu_table_open(c, "db", "t", 0, ICEBERG_PARTITION_DAY, &t, &err), &err);
    REQUIRE_OK(itu_write_rows(t, "transient", 40, ITU_T0(0), I2I_NS_PER_S, 7, &r, &err), &err);
    memset(&ar, 0, sizeof ar);
    ar.files = r.files;
    ar.nfiles = r.nfiles;
    ar.summary = summary;
    ar.retry.min_wait_ms = 1;
    catalog_set_fault(c, &f);
    CHECK_OK(iceberg_append(t, &ar, &cr, &err), &err);
    catalog_set_fault(c, NULL);
    CHECK_EQ_INT(plan->hits, 1);
    CHECK_EQ_INT(cr.transient, 1);
    CHECK_EQ_INT(cr.conflicts, 0);
    CHECK_EQ_INT(cr.attempts, 2);

    REQUIRE_OK(iceberg_table_open(c, "db", "t", NULL, &again, &err), &err);
    snaps = iceberg_table_snapshots(again, &n);
    CHECK_EQ_INT(n, 1);
    CHECK(n == 1 && snaps[0].snapshot_id == cr.snapshot_id);
    CHECK(n == 1 && strcmp(json_string_value(json_object_get(snaps[0].summary,
                                                             "influx2iceberg.window-start")),
                           "1700000000000000000") == 0);
    CHECK(n == 1 && strcmp(json_string_value(json_object_get(snaps[0].summary, "added-records")),
                           "40") == 0);
    REQUIRE_OK(iceberg_table_live_files(again, &live, &err), &err);
    CHECK_EQ_INT(live.n, 1);
    iceberg_file_list_free(&live);
    iceberg_table_free(again);
    iceberg_write_result_free(&r);
    iceberg_table_free(t);
    catalog_close(c);
    json_decref(summary);
}

TEST(busy_database_at_the_swap_is_retried_and_the_append_lands_once)
{
    fault_plan p = {"sql.before-update", 1, 0, NULL};
    append_lands_once("busy", &p);
}

TEST(connection_dropped_before_commit_is_retried_and_the_append_lands_once)
{
    fault_plan p = {"sql.before-commit", 1, 0, NULL};
    append_lands_once("dropped", &p);
}

TEST(a_cancel_ends_the_backoff_and_nothing_lands)
{
    volatile int cancel = 0;
    fault_plan p = {"sql.before-update", -1, 0, &cancel};
    i2i_fault f = {plan_fault, &p};
    catalog *c = NULL;
    iceberg_table *t = NULL;
    iceberg_write_result r;
    iceberg_append_request ar;
    iceberg_commit_result cr;
    size_t n = 0;
    int64_t t0;
    i2i_error err;

    REQUIRE_OK(open_catalog("cancel", &c, &err), &err);
    REQUIRE_OK(itu_table_open(c, "db", "t", 0, ICEBERG_PARTITION_DAY, &t, &err), &err);
    REQUIRE_OK(itu_write_rows(t, "transient", 40, ITU_T0(0), I2I_NS_PER_S, 7, &r, &err), &err);
    memset(&ar, 0, sizeof ar);
    ar.files = r.files;
    ar.nfiles = r.nfiles;
    ar.retry.min_wait_ms = 20000; /* a backoff the cancel must cut short */
    ar.retry.max_wait_ms = 20000;
    ar.retry.cancel = &cancel;
    catalog_set_fault(c, &f);
    t0 = i2i_monotonic_ns();
    CHECK_EQ_INT(iceberg_append(t, &ar, &cr, &err), I2I_ERR_CANCELLED);
    CHECK(i2i_monotonic_ns() - t0 < 5 * I2I_NS_PER_S);
    catalog_set_fault(c, NULL);
    CHECK_EQ_INT(p.hits, 1);
    REQUIRE_OK(iceberg_table_reload(t, &err), &err);
    iceberg_table_snapshots(t, &n);
    CHECK_EQ_INT(n, 0);
    iceberg_write_result_free(&r);
    iceberg_table_free(t);
    catalog_close(c);
}

