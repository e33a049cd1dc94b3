/*
 * Two processes commit to one table at the same time, COMMITS_PER_WRITER times each, every commit
 * being load -> next metadata (counter + 1, base appended to metadata-log) -> commit, retried after
 * a small random backoff on I2I_ERR_CONFLICT. Afterwards all commits must have landed (counter ==
 * total) and form one linear chain: every commit's base is the previous commit's file, no base is
 * used twice (that would be a lost update), and the version numbers in the file names are
 * consecutive.
 *
 * Built twice: SQLite + hadoop (test_catalog_concurrency) and PostgreSQL (..._pg, I2I_TEST_PG,
 * through pg_harness.sh).
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "catalog/catalog_internal.h"
#include "catalog_test_util.h"
#include "dbx.h"
#include "test.h"

#define WRITERS 2
#define COMMITS_PER_WRITER 50
#define TOTAL (WRITERS * COMMITS_PER_WRITER)
#define MAX_ATTEMPTS 5000

typedef struct edge {
    char base[600];
    char made[600];
    int used;
} edge;

static void sleep_us(long us)
{
    struct timespec ts = {us / 1000000, (us % 1000000) * 1000};
    nanosleep(&ts, NULL);
}

/* One writer process: returns the exit status (0 ok). Never returns into the test runner. */
static int writer(const json_t *cfg, int id, const char *log_path)
{
    catalog *c = NULL;
    i2i_error e;
    FILE *log;
    unsigned seed = (unsigned)getpid() * 2654435761u;
    int i, conflicts = 0;

    if (catalog_open(cfg, NULL, &c, &e) != 0) {
        fprintf(stderr, "  writer %d: open: %s\n", id, e.msg);
        return 2;
    }
    log = fopen(log_path, "w");
    if (!log) return 3;
    for (i = 0; i < COMMITS_PER_WRITER; i++) {
        int attempt, done = 0;
        for (attempt = 0; attempt < MAX_ATTEMPTS && !done; attempt++) {
            catalog_table base = {0}, out = {0};
            json_t *md;
            catalog_commit_request req = {NULL, NULL, NULL, NULL};
            int rc;
            if (catalog_load_table(c, "ns", "t", &base, &e) != 0) {
                fprintf(stderr, "  writer %d: load: %s\n", id, e.msg);
                return 4;
            }
            md = test_next_metadata(&base);
            json_object_set_new(json_object_get(md, "properties"), "test.writer",
                                json_string(id ? "1" : "0"));
            req.base = &base;
            req.new_metadata = md;
            rc = catalog_commit(c, "ns", "t", &req, &out, &e);
            json_decref(md);
            if (rc == 0) {
                fprintf(log, "%s %s\n", base.metadata_location, out.metadata_location);
                fflush(log);
                done = 1;
            } else if (rc == I2I_ERR_CONFLICT) {
                conflicts++;
                sleep_us(200 + rand_r(&seed) % 5000);
            } else {
                fprintf(stderr, "  writer %d: commit: %s (%d)\n", id, e.msg, rc);
                return 5;
            }
            catalog_table_clear(&base);
            catalog_table_clear(&out);
        }
        if (!done) {
            fprintf(stderr, "  writer %d: gave up after %d attempts\n", id, MAX_ATTEMPTS);
            return 6;
        }
    }
    fclose(log);
    fprintf(stderr, "  writer %d: %d commits, %d conflicts retried\n", id, COMMITS_PER_WRITER,
            conflicts);
    catalog_close(c);
    return 0;
}

/* Version number in a metadata file name: NNNNN-uuid (sql) or vN (hadoop). */
static long file_version(const char *location)
{
    const char *b = cat_basename(location);
    if (b[0] == 'v') b++;
    return strtol(b, NULL, 10);
}

static void run_race(const json_t *cfg, const char *tag, const char *dbx_target,
                     const char *cat_name)
{
    catalog *c = NULL;
    catalog_table t = {0}, final = {0};
    char *loc = NULL, logs[WRITERS][1100], cur[600];
    catalog_commit_request req = {NULL, NULL, NULL, NULL};
    static edge edges[TOTAL + 8];
    int nedges = 0, w, steps, ok = 1;
    pid_t pids[WRITERS];
    i2i_error e;
    json_t *md;
    long v0;

    memset(edges, 0, sizeof edges); /* static: reused by every race in this process */
    REQUIRE_OK(catalog_open(cfg, NULL, &c, &e), &e);
    REQUIRE_OK(catalog_ensure_namespace(c, "ns", &e), &e);
    REQUIRE_OK(catalog_default_location(c, "ns", "t", &loc, &e), &e);
    md = test_metadata(loc, 0);
    req.new_metadata = md;
    REQUIRE_OK(catalog_commit(c, "ns", "t", &req, &t, &e), &e);
    json_decref(md);
    free(loc);
    catalog_close(c); /* no connection may be shared across fork */

    fflush(NULL);
    for (w = 0; w < WRITERS; w++) {
        snprintf(logs[w], sizeof logs[w], "%s/%s-writer%d.log", i2i_test_tmpdir(), tag, w);
        pids[w] = fork();
        REQUIRE(pids[w] >= 0);
        if (pids[w] == 0) _exit(writer(cfg, w, logs[w])); /* _exit: skip the runner's atexit */
    }
    for (w = 0; w < WRITERS; w++) {
        int status = 0;
        REQUIRE(waitpid(pids[w], &status, 0) == pids[w]);
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
            i2i_test_fail(__FILE__, __LINE__, "writer %d failed (status 0x%x)", w, status);
            ok = 0;
        }
    }
    REQUIRE(ok);

    for (w = 0; w < WRITERS; w++) {
        FILE *f = fopen(logs[w], "r");
        REQUIRE(f);
        while (nedges < TOTAL + 8 &&
               fscanf(f, "%599s %599s", edges[nedges].base, edges[nedges].made) == 2)
            nedges++;
        fclose(f);
    }
    CHECK_EQ_INT(nedges, TOTAL);

    REQUIRE_OK(catalog_open(cfg, NULL, &c, &e), &e);
    REQUIRE_OK(catalog_load_table(c, "ns", "t", &final, &e), &e);
    CHECK_EQ_INT(test_counter(final.metadata), TOTAL); /* no update lost */
    CHECK_EQ_INT(json_array_size(json_object_get(final.metadata, "metadata-log")), TOTAL);

    /* Walk back from the current file: each step must be exactly one logged commit. */
    snprintf(cur, sizeof cur, "%s", final.metadata_location);
    for (steps = 0; steps < TOTAL; steps++) {
        int i, found = -1;
        for (i = 0; i < nedges; i++)
            if (!edges[i].used && strcmp(edges[i].made, cur) == 0) found = i;
        if (found < 0) {
            i2i_test_fail(__FILE__, __LINE__, "chain broken at '%s' after %d steps", cur, steps);
            break;
        }
        edges[found].used = 1;
        CHECK_EQ_INT(file_version(edges[found].made), file_version(edges[found].base) + 1);
        /* metadata-log entry TOTAL-1-steps names this commit's base */
        CHECK_EQ_STR(json_string_value(json_object_get(
                         json_array_get(json_object_get(final.metadata, "metadata-log"),
                                        (size_t)(TOTAL - 1 - steps)),
                         "metadata-file")),
                     edges[found].base);
        snprintf(cur, sizeof cur, "%s", edges[found].base);
    }
    CHECK_EQ_STR(cur, t.metadata_location);
    v0 = file_version(t.metadata_location);
    CHECK_EQ_INT(file_version(final.metadata_location), v0 + TOTAL);

    if (dbx_target) {
        /* the row's previous_metadata_location is the last commit's base */
        dbx *d = dbx_open(dbx_target);
        char row[2048];
        const char *p[1] = {cat_name};
        REQUIRE(d);
        CHECK_EQ_INT(dbx_query_all(d,
                                   "SELECT previous_metadata_location FROM iceberg_tables WHERE "
                                   "catalog_name = $1",
                                   1, p, row, sizeof row),
                     1);
        {
            int i;
            for (i = 0; i < nedges; i++)
                if (strcmp(edges[i].made, final.metadata_location) == 0)
                    CHECK_EQ_STR(row, edges[i].base);
        }
        dbx_close(d);
    }
    catalog_table_clear(&t);
    catalog_table_clear(&final);
    catalog_close(c);
}

#ifdef I2I_TEST_PG
TEST(two_processes_commit_without_lost_updates_postgresql)
{
    const char *uri = test_pg_uri();
    char wh[1100];
    json_t *cfg;
    REQUIRE(uri);
    snprintf(wh, sizeof wh, "%s/wh-pg", i2i_test_tmpdir());
    cfg = json_pack("{s:s, s:s, s:s}", "uri", uri, "warehouse", wh, "name", "race_pg");
    run_race(cfg, "pg", uri, "race_pg");
    json_decref(cfg);
}
#else
TEST(two_processes_commit_without_lost_updates_sqlite)
{
    char db[1100], uri[1200], wh[1100];
    json_t *cfg;
    snprintf(db, sizeof db, "%s/race.db", i2i_test_tmpdir());
    snprintf(uri, sizeof uri, "sqlite:///%s", db);
    snprintf(wh, sizeof wh, "%s/wh-sqlite", i2i_test_tmpdir());
    cfg = json_pack("{s:s, s:s}", "uri", uri, "warehouse", wh);
    run_race(cfg, "sqlite", db, "iceberg");
    json_decref(cfg);
}

TEST(two_processes_commit_without_lost_updates_hadoop)
{
    char wh[1100];
    json_t *cfg;
    snprintf(wh, sizeof wh, "%s/wh-hadoop", i2i_test_tmpdir());
    cfg = json_pack("{s:s, s:s}", "type", "hadoop", "warehouse", wh);
    run_race(cfg, "hadoop", NULL, NULL);
    json_decref(cfg);
}
#endif
