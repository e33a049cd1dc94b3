/*
 * The write pipeline (job `threads`, issue 12) changes where the work runs, never what is written:
 *
 *   files_identical_across_threads   the same dataset replicated with threads 1, 2 and 4, with
 *                      and without the read-ahead of the next window (4 MiB, and a 4 KiB buffer
 *                      that is full most of the time and wraps around constantly), into six
 *                      warehouses (small batches, so every window passes many batches through
 *                      the pipeline; hour partitions and one unpartitioned table) gives data files
 *                      with the same bytes: per table, the sorted list of (partition directory,
 *                      size, content hash) is equal. File names differ (they carry the run id),
 *                      contents must not. With read-ahead every window after the first was read
 *                      ahead (so the comparison covers that path), without it none was.
 *   writer_failure_stops_the_query   a data file that fails to close on the writer thread (the
 *                      least recently used of 24 hour files is closed mid-window) stops the query;
 *                      the error names the window, nothing of it is committed, and a rerun
 *                      completes the table once.
 */
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>

#include "iceberg/iceberg.h"
#include "replicate/replicate.h"
#include "replicate_test_util.h"
#include "test.h"

#define T0 1775001600000000000LL /* 2026-04-01T00:00:00Z */
#define HOSTS 3
#define POINTS 2000 /* per host */
#define STEP (43 * I2I_NS_PER_S) /* 2000 points = 23.9 h */
#define NROWS (HOSTS * POINTS)

static emu E;
static int emu_ok = -1;
static const char *dir;

static int ready(void)
{
    return rt_ready_regular(&E, &emu_ok, "threads", "thr", T0, POINTS, STEP, HOSTS, 12, &dir, NULL);
}

static int run(const char *wh, const char *table, const char *batch, const char *partition,
               int threads, long read_ahead, const i2i_fault *fault, replicate_result *res,
               i2i_error *err)
{
    replicate_job job;
    replicate_hooks hooks;
    int rc;
    json_t *args = json_pack("{ss ss ss ss ss ss ss ss si}", "measurement", "thr", "host", E.url,
                             "database", "threads", "token", RT_TOKEN, "warehouse_dir", wh,
                             "table_name", table, "batch_size", batch, "partition_by", partition,
                             "threads", threads);
    if (read_ahead >= 0) json_object_set_new(args, "read_ahead_bytes", json_integer(read_ahead));
    rc = replicate_job_from_json(args, NULL, &job, err);
    json_decref(args);
    if (rc != 0) return rc;
    memset(&hooks, 0, sizeof hooks);
    hooks.rows_per_batch = 250; /* ~6 batches per hour partition, 24 per window */
    hooks.fault = fault;
    rc = replicate_run(&job, &hooks, res, err);
    replicate_job_free(&job);
    return rc;
}

/* ------------------------------------------------------------------ content fingerprints */

static json_t *g_found;
static size_t g_prefix;

static uint64_t fnv1a(const unsigned char *p, size_t n)
{
    uint64_t h = 1469598103934665603ull;
    while (n--) {
        h ^= *p++;
        h *= 1099511628211ull;
    }
    return h;
}

static int fingerprint(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    FILE *f;
    unsigned char *buf;
    const char *slash;
    size_t n;
    (void)ftw;
    if (flag != FTW_F || !strstr(path, ".parquet")) return 0;
    buf = malloc((size_t)st->st_size + 1);
    f = fopen(path, "rb");
    if (!buf || !f) {
        free(buf);
        if (f) fclose(f);
        return 1;
    }
    n = fread(buf, 1, (size_t)st->st_size, f);
    fclose(f);
    slash = strrchr(path, '/');
    /* the directory below data/ is the partition; the name carries the run id and is left out */
    json_array_append_new(g_found, json_sprintf("%.*s %zu %016llx", (int)(slash - path - g_prefix),
                                                path + g_prefix, n, (unsigned long long)fnv1a(buf, n)));
    free(buf);
    return 0;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* "<partition dir> <size> <hash>" per data file of the table, sorted, one per line. */
static char *fingerprints(const char *wh, const char *table)
{
    rt_table t;
    char *data_dir, *out;
    const char **v;
    size_t i, n, len = 1;
    if (rt_table_load(wh, "default", table, &t) != 0 || !t.exists) return NULL;
    data_dir = rt_fmt("%s/data", storage_local_path(t.location));
    g_prefix = strlen(data_dir);
    g_found = json_array();
    if (nftw(data_dir, fingerprint, 16, FTW_PHYS) != 0) {
        json_decref(g_found);
        free(data_dir);
        rt_table_free(&t);
        return NULL;
    }
    n = json_array_size(g_found);
    v = calloc(n + 1, sizeof *v);
    for (i = 0; i < n; i++) {
        v[i] = json_string_value(json_array_get(g_found, i));
        len += strlen(v[i]) + 1;
    }
    qsort(v, n, sizeof *v, cmp_str);
    out = calloc(1, len);
    for (i = 0; i < n; i++) {
        strcat(out, v[i]);
        strcat(out, "\n");
    }
    free(v);
    json_decref(g_found);
    free(data_dir);
    rt_table_free(&t);
    return out;
}

static size_t count_lines(const char *s)
{
    size_t n = 0;
    for (; s && *s; s++) n += *s == '\n';
    return n;
}

#define NCONF 6

TEST(files_identical_across_threads)
{
    /* threads, read_ahead_bytes (-1 = the default: 0 for 1 thread, 4 MiB otherwise) */
    static const int threads[NCONF] = {1, 2, 4, 2, 1, 2};
    static const long ahead[NCONF] = {-1, 0, 0, -1, 4096, 4096};
    static const char *const tables[][2] = {{"hourly", "hour"}, {"whole", "none"}};
    char *fp[NCONF][2] = {{NULL}};
    size_t i, k;
    replicate_result res;
    i2i_error err;

    REQUIRE(ready());
    for (i = 0; i < NCONF; i++) {
        char *wh = rt_fmt("%s/wh-%zu", dir, i);
        int reads_ahead = ahead[i] > 0 || (ahead[i] < 0 && threads[i] >= 2);
        for (k = 0; k < 2; k++) {
            CHECK_OK(run(wh, tables[k][0], "6h", tables[k][1], threads[i], ahead[i], NULL, &res, &err), &err);
            CHECK_EQ_INT(res.rows, NROWS);
            CHECK_EQ_INT(res.windows_committed, 4);
            /* the first window is fetched by the run itself, the other three were read ahead */
            CHECK_EQ_INT(res.read_ahead_used, reads_ahead ? 3 : 0);
            CHECK_EQ_INT(res.read_ahead_dropped, 0);
            fp[i][k] = fingerprints(wh, tables[k][0]);
            REQUIRE(fp[i][k] != NULL);
        }
        free(wh);
    }
    /* the hourly table has one file per hour; the whole one a file per 6h window */
    CHECK_EQ_INT(count_lines(fp[0][0]), 24);
    CHECK_EQ_INT(count_lines(fp[0][1]), 4);
    for (i = 1; i < NCONF; i++) {
        for (k = 0; k < 2; k++) {
            if (strcmp(fp[0][k], fp[i][k]) != 0)
                fprintf(stderr, "  %s, threads=1:\n%s  threads=%d read_ahead_bytes=%ld:\n%s", tables[k][0],
                        fp[0][k], threads[i], ahead[i], fp[i][k]);
            CHECK(strcmp(fp[0][k], fp[i][k]) == 0);
        }
    }
    for (i = 0; i < NCONF; i++) {
        for (k = 0; k < 2; k++) free(fp[i][k]);
    }
}

TEST(writer_failure_stops_the_query)
{
    /* One 1d window of 24 hour partitions: past 16 open files the writer closes the least
     * recently used one inside iceberg_writer_write, i.e. on the writer thread mid-query. */
    rt_nth_fault nf = {"data-file.close", 1, 0, 0};
    i2i_fault f = {rt_fail_nth, &nf};
    replicate_result res;
    rt_table t;
    char *wh;
    i2i_error err;

    REQUIRE(ready());
    wh = rt_fmt("%s/wh-fail", dir);
    CHECK_EQ_INT(run(wh, "fail", "1d", "hour", 2, -1, &f, &res, &err), I2I_ERR_IO);
    CHECK(strstr(err.msg, "window [2026-04-01T00:00:00.000000000Z, ") != NULL);
    CHECK(strstr(err.msg, "injected failure at data-file.close") != NULL);
    CHECK(strstr(err.msg, "nothing committed for it") != NULL);
    CHECK_EQ_INT(res.windows_committed, 0);
    CHECK_EQ_INT(res.rows, 0);

    CHECK_OK(run(wh, "fail", "1d", "hour", 2, -1, NULL, &res, &err), &err);
    CHECK_EQ_INT(res.windows_committed, 1);
    REQUIRE(rt_table_load(wh, "default", "fail", &t) == 0);
    CHECK_EQ_INT(t.rows, NROWS);
    CHECK_EQ_INT(t.nsnapshots, 1);
    CHECK_EQ_INT(json_array_size(t.live_files), 24);
    rt_table_free(&t);
    free(wh);
}
