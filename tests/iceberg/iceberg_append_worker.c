/* A writer process for test_iceberg_concurrent: appends `n` commits (one data file each) to
 * db.race in the warehouse given, racing another instance.
 *   iceberg_append_worker <warehouse> <worker-id> <n> <out-dir>
 * Writes <out-dir>/worker-<id>.json: {"expected": [...rows...], "conflicts": N, "attempts": N}. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "iceberg_test_util.h"

static int counter_fn(void *ctx, const json_t *props, json_t *updates, i2i_error *err)
{
    const char *v = json_string_value(json_object_get(props, "test.commits"));
    const char *id = ctx;
    char key[64], buf[32];
    (void)err;
    snprintf(buf, sizeof buf, "%ld", (v ? strtol(v, NULL, 10) : 0) + 1);
    json_object_set_new(updates, "test.commits", json_string(buf));
    snprintf(key, sizeof key, "influx2iceberg.ranges.w%s", id);
    json_object_set_new(updates, key, json_string(buf));
    return 0;
}

int main(int argc, char **argv)
{
    catalog *cat = NULL;
    iceberg_table *t = NULL;
    columnar_batch *b = NULL;
    json_t *expected = json_array(), *out;
    i2i_error err;
    int n, i, id, conflicts = 0, attempts = 0;
    char path[1024], go[1024];
    struct stat st;
    if (argc != 5) {
        fprintf(stderr, "usage: %s <warehouse> <id> <n> <out-dir>\n", argv[0]);
        return 2;
    }
    i2i_log_set_level(I2I_LOG_WARN);
    id = atoi(argv[2]);
    n = atoi(argv[3]);
    snprintf(go, sizeof go, "%s/go", argv[4]);
    while (stat(go, &st) != 0) usleep(1000); /* start together */
    if (catalog_open_default(argv[1], &cat, &err) < 0 ||
        iceberg_table_open(cat, "db", "race", NULL, &t, &err) < 0 ||
        columnar_batch_new(itu_fields, ITU_NCOLS, 100, &b, &err) < 0) {
        fprintf(stderr, "worker %d: %s\n", id, err.msg);
        return 1;
    }
    for (i = 0; i < n; i++) {
        iceberg_writer *w = NULL;
        iceberg_writer_options o;
        iceberg_write_result r;
        iceberg_append_request ar;
        iceberg_commit_result cr;
        char run[64];
        json_t *summary;
        int64_t t0 = (INT64_C(1704067200) + (int64_t)(id * n + i) * 100) * I2I_NS_PER_S;
        memset(&o, 0, sizeof o);
        snprintf(run, sizeof run, "w%d-%d", id, i);
        o.run_id = run;
        itu_fill_batch(b, 100, t0, I2I_NS_PER_S, (unsigned)(id * 1000 + i), expected, 0);
        if (iceberg_writer_open(t, &o, &w, &err) < 0 || iceberg_writer_write(w, b, &err) < 0) {
            fprintf(stderr, "worker %d: write: %s\n", id, err.msg);
            iceberg_writer_abort(w);
            return 1;
        }
        if (iceberg_writer_finish(w, &r, &err) < 0) {
            fprintf(stderr, "worker %d: finish: %s\n", id, err.msg);
            return 1;
        }
        memset(&ar, 0, sizeof ar);
        ar.files = r.files;
        ar.nfiles = r.nfiles;
        summary = json_pack("{s:s}", "influx2iceberg.run-id", run);
        ar.summary = summary;
        ar.props_fn = counter_fn;
        ar.props_ctx = argv[2];
        ar.retry.max_attempts = 500;
        ar.retry.min_wait_ms = 2;
        ar.retry.max_wait_ms = 100;
        if (iceberg_append(t, &ar, &cr, &err) < 0) {
            fprintf(stderr, "worker %d: append %d: %s\n", id, i, err.msg);
            return 1;
        }
        conflicts += cr.conflicts;
        attempts += cr.attempts;
        json_decref(summary);
        iceberg_write_result_free(&r);
    }
    out = json_pack("{s:o, s:i, s:i}", "expected", expected, "conflicts", conflicts, "attempts", attempts);
    snprintf(path, sizeof path, "%s/worker-%d.json", argv[4], id);
    json_dump_file(out, path, 0);
    json_decref(out);
    columnar_batch_free(b);
    iceberg_table_free(t);
    catalog_close(cat);
    return 0;
}
