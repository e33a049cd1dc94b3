/* libinflux2iceberg.so through its public header only (influx2iceberg.h), as a host loads it:
 * errors come back as values with status 400/500 and readable, redacted messages; concurrent
 * calls on several threads each get exactly their own log lines; a callback can stop a run; the
 * result JSON has the documented shape. Runs under ASan + LeakSanitizer in the Debug build (the
 * Python test cannot: its interpreter runs with leak detection off). */
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "emulator_harness.h"
#include "influx2iceberg.h"
#include "test.h"

#define TOKEN "apiv3_plugin-api-Secret-77"
#define DB "apidb"
#define NMEAS 4

static emu E;
static int emu_ok = -1;

/* 2023-01-01 .. +2 days, hourly, one series per measurement m0..m3 */
static int need_emu(void)
{
    if (emu_ok < 0) {
        char path[600];
        FILE *f;
        int m, h;
        snprintf(path, sizeof path, "%s/data.lp", i2i_test_tmpdir());
        f = fopen(path, "w");
        if (!f) return emu_ok = 0;
        for (m = 0; m < NMEAS; m++)
            for (h = 0; h < 48; h++)
                fprintf(f, "m%d,host=h%d value=%d.5,n=%di %lld\n", m, h % 3, h, h,
                        (long long)(1672531200LL + h * 3600LL) * 1000000000LL);
        fclose(f);
        {
            const char *args[] = {"--token", TOKEN, "--load", path, "--database", DB, NULL};
            emu_ok = emu_start(&E, args) == 0;
        }
    }
    return emu_ok;
}

/* ------------------------------------------------------------------ a recording callback */

typedef struct lines {
    pthread_mutex_t mu;
    char **items;
    int *levels;
    size_t n;
    int stop_at_window; /* return non-zero at the first "window [" line */
} lines;

static int record(void *ctx, int level, const char *line)
{
    lines *l = ctx;
    int stop = 0;
    pthread_mutex_lock(&l->mu);
    l->items = realloc(l->items, (l->n + 1) * sizeof *l->items);
    l->levels = realloc(l->levels, (l->n + 1) * sizeof *l->levels);
    l->items[l->n] = strdup(line);
    l->levels[l->n] = level;
    l->n++;
    if (l->stop_at_window && strstr(line, "window [")) stop = 1;
    pthread_mutex_unlock(&l->mu);
    return stop;
}

static void lines_init(lines *l)
{
    memset(l, 0, sizeof *l);
    pthread_mutex_init(&l->mu, NULL);
}

static void lines_free(lines *l)
{
    size_t i;
    for (i = 0; i < l->n; i++) free(l->items[i]);
    free(l->items);
    free(l->levels);
    pthread_mutex_destroy(&l->mu);
}

static int any_line(const lines *l, int level, const char *needle)
{
    size_t i;
    for (i = 0; i < l->n; i++)
        if ((level < 0 || l->levels[i] == level) && strstr(l->items[i], needle)) return 1;
    return 0;
}

/* Parse a result and free the string. */
static json_t *parse(char *text)
{
    json_t *o;
    if (!text) return NULL;
    o = json_loads(text, 0, NULL);
    influx2iceberg_free(text);
    return o;
}

static const char *jstr(const json_t *o, const char *key) { return json_string_value(json_object_get(o, key)); }
static long long jint(const json_t *o, const char *key) { return json_integer_value(json_object_get(o, key)); }

static char *catalog_json(const char *name)
{
    char *s = malloc(1200);
    snprintf(s, 1200, "{\"type\":\"sql\",\"uri\":\"sqlite:///%s/%s.db\",\"warehouse\":\"%s/%s-wh\"}",
             i2i_test_tmpdir(), name, i2i_test_tmpdir(), name);
    return s;
}

/* ------------------------------------------------------------------ tests */

TEST(version_and_api_version)
{
    CHECK_EQ_INT(influx2iceberg_api_version(), INFLUX2ICEBERG_API_VERSION);
    CHECK(strncmp(influx2iceberg_version(), "0.", 2) == 0 || strchr(influx2iceberg_version(), '.'));
    influx2iceberg_free(NULL);
}

TEST(argument_errors_are_400_values_with_readable_messages)
{
    static const struct {
        int scheduled;
        const char *args;
        const char *expect;
    } cases[] = {
        {0, "{not json", "arguments are not valid JSON"},
        {0, "[1]", "arguments must be a JSON object"},
        {0, "{\"catalog_configs\":{}}", "measurement is required"},
        {0, "{\"measurement\":\"m0\"}", "catalog_configs is required"},
        {0, "{\"measurement\":\"m0\",\"catalog_configs\":\" @/etc/passwd\",\"database\":\"d\"}",
         "'@file' is a command-line convenience"},
        {0, "{\"measurement\":\"m0\",\"catalog_configs\":{},\"window\":\"1h\"}",
         "window is a scheduled-trigger argument"},
        {1, "{\"measurement\":\"m0\",\"catalog_configs\":{},\"window\":\"1h\",\"backfill_end\":\"2023-01-01T00:00:00Z\"}",
         "backfill_start/backfill_end are for the HTTP request trigger"},
        {1, "{\"measurement\":\"m0\",\"catalog_configs\":{}}", "window is required for a scheduled trigger"},
        {0, "{\"measurement\":\"m0\",\"catalog_configs\":{}}",
         "database is required: the Processing Engine does not tell a plugin"},
        {0, "{\"measurement\":\"m0\",\"catalog_configs\":\"%%%\",\"database\":\"d\"}",
         "catalog_configs must be a JSON object, base64-encoded JSON"},
        {0, "{\"measurement\":\"m0\",\"catalog_configs\":{},\"database\":\"d\",\"batch_size\":\"soon\"}",
         "batch_size"},
        {0, "{\"measurement\":\"m0\",\"catalog_configs\":{},\"database\":\"d\",\"partition_by\":\"week\"}",
         "partition_by 'week' is not one of"},
    };
    size_t i;
    unsetenv("INFLUXDB3_DATABASE_NAME");
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        lines l;
        json_t *r;
        lines_init(&l);
        r = parse(cases[i].scheduled ? influx2iceberg_scheduled_call(cases[i].args, 0, record, &l)
                                     : influx2iceberg_replicate_request(cases[i].args, record, &l));
        REQUIRE(r);
        CHECK(json_is_false(json_object_get(r, "ok")));
        CHECK_EQ_INT(jint(r, "status"), 400);
        CHECK_EQ_STR(jstr(r, "error"), "invalid");
        CHECK(jstr(r, "message") && strstr(jstr(r, "message"), cases[i].expect));
        if (!jstr(r, "message") || !strstr(jstr(r, "message"), cases[i].expect))
            fprintf(stderr, "case %zu: %s\n", i, jstr(r, "message"));
        CHECK(strlen(jstr(r, "task_id")) == 8);
        /* the same message reached the callback, once, at ERROR, with the task id */
        CHECK_EQ_INT(l.n, 1);
        if (l.n == 1) {
            char prefix[16];
            snprintf(prefix, sizeof prefix, "[%s] ", jstr(r, "task_id"));
            CHECK_EQ_INT(l.levels[0], INFLUX2ICEBERG_LOG_ERROR);
            CHECK(strncmp(l.items[0], prefix, strlen(prefix)) == 0);
            CHECK(strstr(l.items[0], cases[i].expect) != NULL);
        }
        json_decref(r);
        lines_free(&l);
    }
    /* no callback: still a value */
    {
        json_t *r = parse(influx2iceberg_replicate_request(NULL, NULL, NULL));
        REQUIRE(r);
        CHECK_EQ_INT(jint(r, "status"), 400);
        json_decref(r);
    }
}

typedef struct job_thread {
    pthread_t th;
    int idx;
    char *args;
    lines log;
    json_t *result;
} job_thread;

static void *run_job(void *arg)
{
    job_thread *j = arg;
    j->result = parse(influx2iceberg_replicate_request(j->args, record, &j->log));
    return NULL;
}

TEST(concurrent_calls_get_their_own_lines_and_results)
{
    job_thread jobs[NMEAS];
    int i;
    REQUIRE(need_emu());
    for (i = 0; i < NMEAS; i++) {
        char name[16], *cat;
        json_t *a = json_object();
        snprintf(name, sizeof name, "m%d", i);
        cat = catalog_json(name);
        json_object_set_new(a, "measurement", json_string(name));
        json_object_set_new(a, "host", json_string(E.url));
        json_object_set_new(a, "database", json_string(DB));
        json_object_set_new(a, "token", json_string(TOKEN));
        json_object_set_new(a, "catalog_configs", json_loads(cat, 0, NULL));
        json_object_set_new(a, "batch_size", json_string("1h")); /* 48 windows: long overlap */
        free(cat);
        jobs[i].idx = i;
        jobs[i].args = json_dumps(a, JSON_COMPACT);
        jobs[i].result = NULL;
        lines_init(&jobs[i].log);
        json_decref(a);
    }
    for (i = 0; i < NMEAS; i++) REQUIRE(pthread_create(&jobs[i].th, NULL, run_job, &jobs[i]) == 0);
    for (i = 0; i < NMEAS; i++) pthread_join(jobs[i].th, NULL);

    for (i = 0; i < NMEAS; i++) {
        json_t *r = jobs[i].result, *s = json_object_get(r, "summary");
        char prefix[16], mine[32];
        size_t k;
        int o;
        REQUIRE(r);
        if (!json_is_true(json_object_get(r, "ok"))) fprintf(stderr, "job %d: %s\n", i, jstr(r, "message"));
        CHECK(json_is_true(json_object_get(r, "ok")));
        CHECK_EQ_INT(jint(r, "status"), 200);
        CHECK_EQ_INT(jint(s, "total_written_records"), 48);
        CHECK_EQ_INT(jint(s, "committed_batches"), 48);
        CHECK_EQ_STR(jstr(s, "mode"), "backfill");
        CHECK_EQ_STR(jstr(s, "task_id"), jstr(r, "task_id"));
        snprintf(prefix, sizeof prefix, "[%s] ", jstr(r, "task_id"));
        snprintf(mine, sizeof mine, "default.m%d", i);
        CHECK(jobs[i].log.n > 48);
        for (k = 0; k < jobs[i].log.n; k++) {
            const char *line = jobs[i].log.items[k];
            CHECK(strncmp(line, prefix, strlen(prefix)) == 0);
            CHECK(strstr(line, TOKEN) == NULL);
            for (o = 0; o < NMEAS; o++) {
                char other[32];
                if (o == i) continue;
                snprintf(other, sizeof other, "default.m%d", o);
                CHECK(strstr(line, other) == NULL);
            }
        }
        CHECK(any_line(&jobs[i].log, INFLUX2ICEBERG_LOG_INFO, mine));
        CHECK(any_line(&jobs[i].log, INFLUX2ICEBERG_LOG_INFO, "Replication to Iceberg completed: 48 row(s)"));
        json_decref(r);
        free(jobs[i].args);
        lines_free(&jobs[i].log);
    }
}

TEST(callback_can_stop_a_run)
{
    lines l;
    json_t *r, *a = json_object();
    char *args, *cat = catalog_json("stopped");
    REQUIRE(need_emu());
    json_object_set_new(a, "measurement", json_string("m0"));
    json_object_set_new(a, "host", json_string(E.url));
    json_object_set_new(a, "database", json_string(DB));
    json_object_set_new(a, "token", json_string(TOKEN));
    json_object_set_new(a, "catalog_configs", json_loads(cat, 0, NULL));
    json_object_set_new(a, "batch_size", json_string("1h"));
    args = json_dumps(a, JSON_COMPACT);
    lines_init(&l);
    l.stop_at_window = 1;
    r = parse(influx2iceberg_replicate_request(args, record, &l));
    REQUIRE(r);
    CHECK_EQ_INT(jint(r, "status"), 500);
    CHECK_EQ_STR(jstr(r, "error"), "cancelled");
    /* it stopped early: far fewer than the 48 windows were committed */
    CHECK(jint(json_object_get(r, "summary"), "committed_batches") < 5);
    json_decref(r);
    lines_free(&l);
    json_decref(a);
    free(args);
    free(cat);
}

TEST(no_token_is_said_clearly_and_is_a_500)
{
    lines l;
    json_t *r, *a = json_object();
    char *args, *cat = catalog_json("notoken");
    REQUIRE(need_emu());
    unsetenv("INFLUXDB3_AUTH_TOKEN");
    json_object_set_new(a, "measurement", json_string("m1"));
    json_object_set_new(a, "host", json_string(E.url));
    json_object_set_new(a, "database", json_string(DB));
    json_object_set_new(a, "catalog_configs", json_loads(cat, 0, NULL));
    args = json_dumps(a, JSON_COMPACT);
    lines_init(&l);
    r = parse(influx2iceberg_replicate_request(args, record, &l));
    REQUIRE(r);
    CHECK_EQ_INT(jint(r, "status"), 500);
    CHECK_EQ_STR(jstr(r, "error"), "auth");
    CHECK(strstr(jstr(r, "message"), "no InfluxDB token was given") != NULL);
    CHECK(any_line(&l, INFLUX2ICEBERG_LOG_WARN, "no InfluxDB token: set the trigger argument 'token'"));
    json_decref(r);
    lines_free(&l);
    json_decref(a);
    free(args);
    free(cat);
}
