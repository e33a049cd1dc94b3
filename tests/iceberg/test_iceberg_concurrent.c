/* Two writer processes append to one table at once, 50 commits each: every commit lands exactly
 * once, no data file is lost, the snapshot chain stays linear, and property updates recomputed on
 * each retry add up (the counter both writers increment ends at 100). */
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "iceberg_test_util.h"
#include "test.h"

#define COMMITS 50

static pid_t spawn(const char *wh, int id, const char *dir)
{
    char ids[8], ns[8];
    pid_t p = fork();
    if (p == 0) {
        snprintf(ids, sizeof ids, "%d", id);
        snprintf(ns, sizeof ns, "%d", COMMITS);
        execl(I2I_APPEND_WORKER, I2I_APPEND_WORKER, wh, ids, ns, dir, (char *)NULL);
        _exit(127);
    }
    return p;
}

TEST(two_processes_append_50_commits_each_without_losing_any)
{
    char dir[512], wh[600], go[700], p[700];
    catalog *cat = NULL;
    iceberg_table *t = NULL;
    i2i_error err;
    pid_t a, b;
    int sa = 0, sb = 0, k, conflicts = 0;
    size_t nsnaps, i, j;
    const iceberg_snapshot *snaps;
    iceberg_file_list live;
    json_t *expected = json_array();
    char why[1024];
    FILE *f;

    if (!itu_tools_available(why, sizeof why)) {
        i2i_test_fail(__FILE__, __LINE__, "interop tools missing: %s", why);
        return;
    }
    snprintf(dir, sizeof dir, "%s", i2i_test_tmpdir());
    snprintf(wh, sizeof wh, "%s/wh", dir);
    REQUIRE_OK(catalog_open_default(wh, &cat, &err), &err);
    REQUIRE_OK(itu_table_open(cat, "db", "race", 0, ICEBERG_PARTITION_DAY, &t, &err), &err);

    a = spawn(wh, 1, dir);
    b = spawn(wh, 2, dir);
    REQUIRE(a > 0 && b > 0);
    snprintf(go, sizeof go, "%s/go", dir);
    f = fopen(go, "w");
    REQUIRE(f != NULL);
    fclose(f);
    waitpid(a, &sa, 0);
    waitpid(b, &sb, 0);
    CHECK(WIFEXITED(sa) && WEXITSTATUS(sa) == 0);
    CHECK(WIFEXITED(sb) && WEXITSTATUS(sb) == 0);

    for (k = 1; k <= 2; k++) {
        json_t *w, *rows, *row;
        snprintf(p, sizeof p, "%s/worker-%d.json", dir, k);
        w = json_load_file(p, 0, NULL);
        REQUIRE(w != NULL);
        rows = json_object_get(w, "expected");
        json_array_foreach(rows, i, row) json_array_append(expected, row);
        conflicts += (int)json_integer_value(json_object_get(w, "conflicts"));
        printf("worker %d: %lld commit attempts, %lld conflicts\n", k,
               (long long)json_integer_value(json_object_get(w, "attempts")),
               (long long)json_integer_value(json_object_get(w, "conflicts")));
        json_decref(w);
    }
    CHECK(conflicts > 0); /* the writers really raced */

    REQUIRE_OK(iceberg_table_reload(t, &err), &err);
    snaps = iceberg_table_snapshots(t, &nsnaps);
    CHECK_EQ_INT(nsnaps, 2 * COMMITS);
    /* linear chain: sequence numbers 1..100 in order, each parent the previous snapshot */
    for (i = 0; i < nsnaps; i++) {
        CHECK_EQ_INT(snaps[i].sequence_number, (int64_t)i + 1);
        CHECK_EQ_INT(snaps[i].parent_id, i ? snaps[i - 1].snapshot_id : -1);
    }
    CHECK_EQ_INT(iceberg_table_current_snapshot_id(t), snaps[nsnaps - 1].snapshot_id);
    /* every run id exactly once */
    for (k = 1; k <= 2; k++) {
        for (j = 0; j < COMMITS; j++) {
            char run[32];
            int seen = 0;
            snprintf(run, sizeof run, "w%d-%zu", k, j);
            for (i = 0; i < nsnaps; i++) {
                const char *rid = json_string_value(json_object_get(snaps[i].summary, "influx2iceberg.run-id"));
                seen += rid && strcmp(rid, run) == 0;
            }
            if (seen != 1) i2i_test_fail(__FILE__, __LINE__, "run %s committed %d times", run, seen);
        }
    }
    CHECK_EQ_STR(json_string_value(json_object_get(snaps[nsnaps - 1].summary, "total-records")), "10000");
    CHECK_EQ_STR(json_string_value(json_object_get(snaps[nsnaps - 1].summary, "total-data-files")), "100");
    CHECK_EQ_STR(iceberg_table_property(t, "test.commits"), "100");
    CHECK(iceberg_table_property(t, "influx2iceberg.ranges.w1") != NULL);
    CHECK(iceberg_table_property(t, "influx2iceberg.ranges.w2") != NULL);
    REQUIRE_OK(iceberg_table_live_files(t, &live, &err), &err);
    CHECK_EQ_INT(live.n, 2 * COMMITS);
    for (i = 0; i < live.n; i++) {
        int dup = 0;
        for (j = 0; j < i; j++) dup |= strcmp(live.files[i].path, live.files[j].path) == 0;
        CHECK(!dup);
    }
    iceberg_file_list_free(&live);

    /* independent readers over the final table, and every snapshot's manifest list */
    CHECK_EQ_INT(itu_verify(t, dir, expected, "us", 1, 2 * COMMITS, NULL), 0);
    json_decref(expected);
    iceberg_table_free(t);
    catalog_close(cat);
}
