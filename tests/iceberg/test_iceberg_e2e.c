/* End to end: tables created in a SQLite catalog with a local warehouse, written through the
 * partitioned writer and fast appends, then read back by independent readers (icebird, DuckDB,
 * avsc, python3-avro) through tests/iceberg/verify_table.mjs and check_avro.py. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "iceberg/internal.h" /* t->ct for a hand-made commit */
#include "iceberg_test_util.h"
#include "test.h"

#define DAY_NS (INT64_C(86400) * I2I_NS_PER_S)

typedef struct env {
    catalog *cat;
    char dir[512];
    char wh[600];
} env;

static int env_open(env *e, const char *name, i2i_error *err)
{
    snprintf(e->dir, sizeof e->dir, "%s/%s", i2i_test_tmpdir(), name);
    snprintf(e->wh, sizeof e->wh, "%s/wh", e->dir);
    return catalog_open_default(e->wh, &e->cat, err);
}

static int tools_or_fail(void)
{
    char why[1024];
    if (itu_tools_available(why, sizeof why)) return 1;
    i2i_test_fail(__FILE__, __LINE__, "interop tools missing: %s", why);
    return 0;
}

static size_t count_truncations(const columnar_batch *b)
{
    size_t i, n = 0;
    for (i = 0; i < b->nrows; i++)
        if (i2i_floor_mod(b->cols[ITU_TIME].v.i64[i], 1000) != 0) n++;
    return n;
}

/* One writer run of nb batches, each b refilled by itu_fill_batch from t0/step/rows[i] and seed + i
 * (expected rows appended, truncations counted into *truncs when not NULL); with rows NULL, b is
 * written once as it is. */
static int write_batches(iceberg_table *t, const char *run_id, int64_t target, size_t max_open,
                         columnar_batch *b, const int64_t *t0, const int64_t *step, const size_t *rows,
                         size_t nb, unsigned seed, json_t *expected, iceberg_write_result *res,
                         size_t *truncs, i2i_error *err)
{
    iceberg_writer *w = NULL;
    iceberg_writer_options o;
    size_t i;
    memset(&o, 0, sizeof o);
    o.run_id = run_id;
    o.target_file_bytes = target;
    o.max_open_files = max_open;
    I2I_TRY(iceberg_writer_open(t, &o, &w, err));
    for (i = 0; i < nb; i++) {
        int rc;
        if (rows) itu_fill_batch(b, rows[i], t0[i], step[i], seed + (unsigned)i, expected, 0);
        if (truncs) *truncs += count_truncations(b);
        rc = iceberg_writer_write(w, b, err);
        if (rc < 0) {
            iceberg_writer_abort(w);
            return rc;
        }
    }
    return iceberg_writer_finish(w, res, err);
}

/* One writer run: b written as run run_id with default options, its files in res. */
static int write_one(iceberg_table *t, const char *run_id, columnar_batch *b,
                     iceberg_write_result *res, i2i_error *err)
{
    return write_batches(t, run_id, 0, 0, b, NULL, NULL, NULL, 1, 0, NULL, res, NULL, err);
}

/* Append the files of one write result, with no other request fields. */
static int append_files(iceberg_table *t, const iceberg_write_result *r, iceberg_commit_result *cr,
                        i2i_error *err)
{
    iceberg_append_request ar;
    memset(&ar, 0, sizeof ar);
    ar.files = r->files;
    ar.nfiles = r->nfiles;
    return iceberg_append(t, &ar, cr, err);
}

/* Shuffle the rows of a filled batch in place (timestamps only: enough to make runs short). */
static void shuffle_times(columnar_batch *b, unsigned seed)
{
    size_t i;
    uint32_t s = seed;
    for (i = b->nrows; i > 1; i--) {
        size_t j;
        int64_t tmp;
        s = s * 1664525u + 1013904223u;
        j = (s >> 8) % i;
        tmp = b->cols[ITU_TIME].v.i64[i - 1];
        b->cols[ITU_TIME].v.i64[i - 1] = b->cols[ITU_TIME].v.i64[j];
        b->cols[ITU_TIME].v.i64[j] = tmp;
    }
}

static int counter_fn(void *ctx, const json_t *props, json_t *updates, i2i_error *err)
{
    const char *v = json_string_value(json_object_get(props, "test.counter"));
    char buf[32];
    (void)ctx;
    (void)err;
    snprintf(buf, sizeof buf, "%ld", (v ? strtol(v, NULL, 10) : 0) + 1);
    json_object_set_new(updates, "test.counter", json_string(buf));
    return 0;
}

TEST(day_partitioned_table_with_negative_times_reads_back_identically_in_icebird_and_duckdb)
{
    env e;
    i2i_error err;
    iceberg_table *t = NULL;
    columnar_batch *b = NULL;
    json_t *expected = json_array(), *summary, *props;
    iceberg_write_result r1, r2;
    iceberg_append_request ar;
    iceberg_commit_result cr;
    iceberg_file_list live;
    size_t truncs = 0, nsnaps, i, expected_files;
    const iceberg_snapshot *snaps;
    int64_t rows_total;
    /* 1969-12-30T20:00 .. 1970-01-01T02:50 (three days around the epoch), then 2024-01-15.. */
    int64_t t0[3] = {-DAY_NS - 4 * 3600 * I2I_NS_PER_S, INT64_C(1705276800) * I2I_NS_PER_S,
                     INT64_C(1705276800) * I2I_NS_PER_S + 3 * DAY_NS};
    int64_t step[3] = {37 * I2I_NS_PER_S, 60 * I2I_NS_PER_S, 90 * I2I_NS_PER_S};
    size_t rows[3] = {3000, 4000, 2500};

    if (!tools_or_fail()) return;
    REQUIRE_OK(env_open(&e, "e2e", &err), &err);
    REQUIRE_OK(itu_table_open(e.cat, "db", "cpu", 0, ICEBERG_PARTITION_DAY, &t, &err), &err);
    CHECK_EQ_INT(iceberg_table_format_version(t), 2);
    CHECK(iceberg_table_schema(t)->fields[0].type.id == ICEBERG_TYPE_TIMESTAMP);
    REQUIRE_OK(columnar_batch_new(itu_fields, ITU_NCOLS, 5000, &b, &err), &err);

    /* commit 1: sorted batches, small target size (rolls), at most 2 open files */
    REQUIRE_OK(write_batches(t, "run-1", 12 * 1024, 2, b, t0, step, rows, 3, 1, expected, &r1, &truncs, &err), &err);
    CHECK(r1.nfiles > 9); /* 3 + 3 + 3 days, and full days rolled at the target size */
    {
        size_t rolled = 0, j;
        for (i = 0; i < r1.nfiles; i++)
            for (j = 0; j < i; j++)
                if (r1.files[i].partition[0].i == r1.files[j].partition[0].i) {
                    rolled++;
                    break;
                }
        CHECK(rolled >= 3);
        for (i = 0; i < r1.nfiles; i++) CHECK(r1.files[i].file_size < 3 * 12 * 1024);
    }
    CHECK_EQ_INT(r1.rows, 9500);
    CHECK_EQ_INT(r1.timestamps_truncated, (int64_t)truncs);
    CHECK(truncs > 9000);
    for (i = 0; i < r1.nfiles; i++) {
        CHECK(strstr(r1.files[i].path, "/data/time_day=") != NULL);
        CHECK(strstr(r1.files[i].path, "-run-1-") != NULL);
        CHECK(strncmp(r1.files[i].path, iceberg_table_location(t), strlen(iceberg_table_location(t))) == 0);
    }
    memset(&ar, 0, sizeof ar);
    ar.files = r1.files;
    ar.nfiles = r1.nfiles;
    summary = json_pack("{s:s, s:s}", "influx2iceberg.run-id", "run-1", "influx2iceberg.source-id", "src1");
    props = json_pack("{s:s}", "influx2iceberg.ranges.src1", "[1,2)");
    ar.summary = summary;
    ar.properties = props;
    REQUIRE_OK(iceberg_append(t, &ar, &cr, &err), &err);
    CHECK_EQ_INT(cr.sequence_number, 1);
    CHECK_EQ_INT(cr.attempts, 1);
    CHECK_EQ_INT(iceberg_table_current_snapshot_id(t), cr.snapshot_id);
    CHECK(cr.snapshot_id > 0);
    CHECK_EQ_STR(iceberg_table_property(t, "influx2iceberg.ranges.src1"), "[1,2)");
    json_decref(summary);
    json_decref(props);

    /* commit 2: unsorted rows across 5 days (runs are short; add_batch_rows path), LRU of 2 */
    {
        iceberg_writer *w = NULL;
        iceberg_writer_options o;
        memset(&o, 0, sizeof o);
        o.run_id = "run-2";
        o.max_open_files = 2;
        REQUIRE_OK(iceberg_writer_open(t, &o, &w, &err), &err);
        itu_fill_batch(b, 3000, INT64_C(1706000000) * I2I_NS_PER_S, 150 * I2I_NS_PER_S, 77, NULL, 0);
        shuffle_times(b, 5);
        for (i = 0; i < b->nrows; i++) {
            /* rebuild expected for the shuffled times */
            char num[32];
            json_t *row = json_object();
            size_t n;
            const char *s;
            const columnar_column *c = b->cols;
            snprintf(num, sizeof num, "%lld", (long long)i2i_floor_div(c[ITU_TIME].v.i64[i], 1000));
            json_object_set_new(row, "time", json_string(num));
            s = columnar_string_at(&c[ITU_HOST], i, &n);
            json_object_set_new(row, "host", json_stringn(s, n));
            if (columnar_is_valid(&c[ITU_REGION], i)) {
                s = columnar_string_at(&c[ITU_REGION], i, &n);
                json_object_set_new(row, "region", json_stringn(s, n));
            }
            if (columnar_is_valid(&c[ITU_USAGE], i)) {
                double v = c[ITU_USAGE].v.f64[i];
                json_object_set_new(row, "usage", v != v ? json_string("NaN") : json_real(v));
            }
            if (columnar_is_valid(&c[ITU_COUNT], i)) {
                snprintf(num, sizeof num, "%lld", (long long)c[ITU_COUNT].v.i64[i]);
                json_object_set_new(row, "count", json_string(num));
            }
            if (columnar_is_valid(&c[ITU_OK], i)) json_object_set_new(row, "ok", json_boolean(c[ITU_OK].v.b[i]));
            if (columnar_is_valid(&c[ITU_BIG], i)) {
                snprintf(num, sizeof num, "%llu", (unsigned long long)c[ITU_BIG].v.u64[i]);
                json_object_set_new(row, "big", json_string(num));
            }
            if (columnar_is_valid(&c[ITU_MSG], i)) {
                s = columnar_string_at(&c[ITU_MSG], i, &n);
                json_object_set_new(row, "msg", json_stringn(s, n));
            }
            json_array_append_new(expected, row);
        }
        REQUIRE_OK(iceberg_writer_write(w, b, &err), &err);
        REQUIRE_OK(iceberg_writer_finish(w, &r2, &err), &err);
        CHECK(r2.nfiles >= 5); /* 5+ days; LRU eviction adds more */
    }
    memset(&ar, 0, sizeof ar);
    ar.files = r2.files;
    ar.nfiles = r2.nfiles;
    ar.props_fn = counter_fn;
    REQUIRE_OK(iceberg_append(t, &ar, &cr, &err), &err);
    CHECK_EQ_INT(cr.sequence_number, 2);
    CHECK_EQ_STR(iceberg_table_property(t, "test.counter"), "1");
    CHECK_EQ_STR(iceberg_table_property(t, "influx2iceberg.ranges.src1"), "[1,2)");

    /* commit 3: properties only (no snapshot) */
    props = json_pack("{s:s, s:n}", "influx2iceberg.ranges.src1", "[1,3)", "test.counter");
    REQUIRE_OK(iceberg_commit_properties(t, props, NULL, NULL, NULL, &cr, &err), &err);
    json_decref(props);
    CHECK_EQ_INT(cr.snapshot_id, -1);
    CHECK_EQ_STR(iceberg_table_property(t, "influx2iceberg.ranges.src1"), "[1,3)");
    CHECK(iceberg_table_property(t, "test.counter") == NULL);
    /* unchanged properties: no commit at all */
    props = json_pack("{s:s}", "influx2iceberg.ranges.src1", "[1,3)");
    REQUIRE_OK(iceberg_commit_properties(t, props, NULL, NULL, NULL, &cr, &err), &err);
    CHECK_EQ_INT(cr.attempts, 0);
    json_decref(props);

    /* reload from the catalog and check the table state */
    REQUIRE_OK(iceberg_table_reload(t, &err), &err);
    snaps = iceberg_table_snapshots(t, &nsnaps);
    REQUIRE(nsnaps == 2);
    CHECK_EQ_INT(snaps[0].parent_id, -1);
    CHECK_EQ_INT(snaps[1].parent_id, snaps[0].snapshot_id);
    CHECK_EQ_STR(snaps[0].operation, "append");
    CHECK_EQ_STR(json_string_value(json_object_get(snaps[0].summary, "influx2iceberg.run-id")), "run-1");
    CHECK_EQ_STR(json_string_value(json_object_get(snaps[0].summary, "added-records")), "9500");
    CHECK_EQ_STR(json_string_value(json_object_get(snaps[1].summary, "total-records")), "12500");
    {
        char nb[32];
        snprintf(nb, sizeof nb, "%zu", r1.nfiles + r2.nfiles);
        CHECK_EQ_STR(json_string_value(json_object_get(snaps[1].summary, "total-data-files")), nb);
        snprintf(nb, sizeof nb, "%lld", (long long)(r1.bytes + r2.bytes));
        CHECK_EQ_STR(json_string_value(json_object_get(snaps[1].summary, "total-files-size")), nb);
    }
    CHECK_EQ_STR(json_string_value(json_object_get(snaps[1].summary, "total-delete-files")), "0");
    CHECK_EQ_INT(json_array_size(json_object_get(iceberg_table_metadata(t), "metadata-log")), 3);
    CHECK_EQ_INT(json_array_size(json_object_get(iceberg_table_metadata(t), "snapshot-log")), 2);
    REQUIRE_OK(iceberg_table_live_files(t, &live, &err), &err);
    expected_files = r1.nfiles + r2.nfiles;
    CHECK_EQ_INT(live.n, expected_files);
    for (i = 0, rows_total = 0; i < live.n; i++) rows_total += live.files[i].record_count;
    CHECK_EQ_INT(rows_total, 12500);
    iceberg_file_list_free(&live);

    CHECK_EQ_INT(itu_verify(t, e.dir, expected, "us", 1, expected_files, NULL), 0);

    iceberg_write_result_free(&r1);
    iceberg_write_result_free(&r2);
    json_decref(expected);
    columnar_batch_free(b);
    iceberg_table_free(t);
    catalog_close(e.cat);
}

TEST(hour_month_year_and_unpartitioned_tables_place_rows_by_transform)
{
    static const iceberg_time_partition parts[4] = {ICEBERG_PARTITION_HOUR, ICEBERG_PARTITION_MONTH,
                                                    ICEBERG_PARTITION_YEAR, ICEBERG_PARTITION_NONE};
    static const char *names[4] = {"t_hour", "t_month", "t_year", "t_none"};
    static const size_t min_files[4] = {10, 3, 2, 1};
    env e;
    i2i_error err;
    size_t k;
    if (!tools_or_fail()) return;
    REQUIRE_OK(env_open(&e, "parts", &err), &err);
    for (k = 0; k < 4; k++) {
        iceberg_table *t = NULL;
        columnar_batch *b = NULL;
        json_t *expected = json_array();
        iceberg_write_result r;
        /* 10 hours around 1969-12-31T20:00 for hour; ~75 days across new year for month/year */
        int64_t t0[1] = {k == 0 ? -4 * 3600 * I2I_NS_PER_S : -40 * DAY_NS};
        int64_t step[1] = {k == 0 ? 13 * I2I_NS_PER_S : 2700 * I2I_NS_PER_S};
        size_t rows[1] = {k == 0 ? 2800 : 2400};
        char dirk[700];
        REQUIRE_OK(itu_table_open(e.cat, "db", names[k], 0, parts[k], &t, &err), &err);
        REQUIRE_OK(columnar_batch_new(itu_fields, ITU_NCOLS, 4000, &b, &err), &err);
        REQUIRE_OK(write_batches(t, "r", 0, 0, b, t0, step, rows, 1, 10 + (unsigned)k, expected, &r, NULL, &err), &err);
        CHECK(r.nfiles >= min_files[k]);
        if (parts[k] == ICEBERG_PARTITION_NONE) {
            CHECK_EQ_INT(r.nfiles, 1);
            CHECK_EQ_INT(r.files[0].npartition, 0);
        }
        REQUIRE_OK(append_files(t, &r, NULL, &err), &err);
        snprintf(dirk, sizeof dirk, "%s/%s", e.dir, names[k]);
        itu_run("mkdir -p '%s'", dirk);
        CHECK_EQ_INT(itu_verify(t, dirk, expected, "us", 1, r.nfiles, NULL), 0);
        iceberg_write_result_free(&r);
        json_decref(expected);
        columnar_batch_free(b);
        iceberg_table_free(t);
    }
    catalog_close(e.cat);
}

TEST(v3_table_keeps_nanoseconds_and_assigns_row_ids)
{
    env e;
    i2i_error err;
    iceberg_table *t = NULL;
    columnar_batch *b = NULL;
    json_t *expected = json_array();
    iceberg_write_result r;
    iceberg_commit_result cr;
    const json_t *md;
    int round;
    if (!tools_or_fail()) return;
    REQUIRE_OK(env_open(&e, "v3", &err), &err);
    REQUIRE_OK(itu_table_open(e.cat, "db", "ns", 3, ICEBERG_PARTITION_DAY, &t, &err), &err);
    CHECK(iceberg_table_schema(t)->fields[0].type.id == ICEBERG_TYPE_TIMESTAMP_NS);
    REQUIRE_OK(columnar_batch_new(itu_fields, ITU_NCOLS, 3000, &b, &err), &err);
    for (round = 0; round < 2; round++) {
        itu_fill_batch(b, 2000, -DAY_NS / 2 + round * 3 * DAY_NS, 61 * I2I_NS_PER_S, 40 + (unsigned)round, expected, 1);
        REQUIRE_OK(write_one(t, "v3run", b, &r, &err), &err);
        CHECK_EQ_INT(r.timestamps_truncated, 0);
        REQUIRE_OK(append_files(t, &r, &cr, &err), &err);
        iceberg_write_result_free(&r);
    }
    md = iceberg_table_metadata(t);
    CHECK_EQ_INT(json_integer_value(json_object_get(md, "next-row-id")), 4000);
    {
        const json_t *s = json_array_get(json_object_get(md, "snapshots"), 1);
        CHECK_EQ_INT(json_integer_value(json_object_get(s, "first-row-id")), 2000);
        CHECK_EQ_INT(json_integer_value(json_object_get(s, "added-rows")), 2000);
    }
    /* icebird 0.3.1 does not read v3 (README); DuckDB, avsc and python3-avro do the checks */
    CHECK_EQ_INT(itu_verify(t, e.dir, expected, "ns", 0, 2, NULL), 0);
    json_decref(expected);
    columnar_batch_free(b);
    iceberg_table_free(t);
    catalog_close(e.cat);
}

TEST(schema_evolution_adds_a_column_that_old_files_read_as_null)
{
    env e;
    i2i_error err;
    iceberg_table *t = NULL;
    columnar_batch *b = NULL, *b2 = NULL;
    json_t *expected = json_array();
    iceberg_write_result r;
    iceberg_column_def add[1] = {{"extra", {ICEBERG_TYPE_STRING, 0, 0, 0}, 0}};
    iceberg_schema_change ch = {add, 1, NULL, 0};
    columnar_field f2[3] = {{"time", COLUMNAR_TIMESTAMP, COLUMNAR_NANOS}, {"extra", COLUMNAR_STRING, 0},
                            {"host", COLUMNAR_STRING, 0}};
    int64_t t0[1] = {INT64_C(1700000000) * I2I_NS_PER_S}, step[1] = {I2I_NS_PER_S};
    size_t rows[1] = {500}, i;
    const iceberg_field *f;
    if (!tools_or_fail()) return;
    REQUIRE_OK(env_open(&e, "evo", &err), &err);
    REQUIRE_OK(itu_table_open(e.cat, "db", "evo", 0, ICEBERG_PARTITION_DAY, &t, &err), &err);
    REQUIRE_OK(columnar_batch_new(itu_fields, ITU_NCOLS, 1000, &b, &err), &err);
    REQUIRE_OK(write_batches(t, "a", 0, 0, b, t0, step, rows, 1, 3, expected, &r, NULL, &err), &err);
    REQUIRE_OK(append_files(t, &r, NULL, &err), &err);
    iceberg_write_result_free(&r);

    /* unknown batch column before the schema change: a clear error */
    REQUIRE_OK(columnar_batch_new(f2, 3, 100, &b2, &err), &err);
    {
        iceberg_writer *w = NULL;
        iceberg_writer_options o;
        memset(&o, 0, sizeof o);
        o.run_id = "b";
        columnar_set_i64(&b2->cols[0], 0, t0[0] + 1000 * I2I_NS_PER_S);
        columnar_set_string(&b2->cols[1], 0, "x", 1);
        columnar_batch_end_row(b2);
        REQUIRE_OK(iceberg_writer_open(t, &o, &w, &err), &err);
        CHECK(iceberg_writer_write(w, b2, &err) == I2I_ERR_INVALID);
        CHECK(strstr(err.msg, "'extra'") != NULL);
        iceberg_writer_abort(w);
    }
    REQUIRE_OK(iceberg_table_update_schema(t, &ch, &err), &err);
    f = iceberg_schema_find(iceberg_table_schema(t), "extra");
    REQUIRE(f != NULL);
    CHECK_EQ_INT(f->id, ITU_NCOLS + 1);
    CHECK(!f->required);
    CHECK_EQ_INT(iceberg_table_schema(t)->schema_id, 1);
    /* again: nothing to do, no commit */
    REQUIRE_OK(iceberg_table_update_schema(t, &ch, &err), &err);
    CHECK_EQ_INT(json_array_size(json_object_get(iceberg_table_metadata(t), "schemas")), 2);

    columnar_batch_clear(b2);
    for (i = 0; i < 50; i++) {
        char v[16], num[32];
        json_t *row = json_object();
        int64_t tt = t0[0] + (int64_t)(1000 + i) * I2I_NS_PER_S;
        columnar_set_i64(&b2->cols[0], i, tt);
        snprintf(v, sizeof v, "x%zu", i);
        columnar_set_string(&b2->cols[1], i, v, strlen(v));
        columnar_set_string(&b2->cols[2], i, "h", 1);
        columnar_batch_end_row(b2);
        snprintf(num, sizeof num, "%lld", (long long)(tt / 1000));
        json_object_set_new(row, "time", json_string(num));
        json_object_set_new(row, "extra", json_string(v));
        json_object_set_new(row, "host", json_string("h"));
        json_array_append_new(expected, row);
    }
    REQUIRE_OK(write_one(t, "b", b2, &r, &err), &err);
    REQUIRE_OK(append_files(t, &r, NULL, &err), &err);
    iceberg_write_result_free(&r);
    CHECK_EQ_INT(itu_verify(t, e.dir, expected, "us", 1, 2, NULL), 0);
    json_decref(expected);
    columnar_batch_free(b);
    columnar_batch_free(b2);
    iceberg_table_free(t);
    catalog_close(e.cat);
}

TEST(uint64_above_int64_max_fails_naming_column_and_value)
{
    env e;
    i2i_error err;
    iceberg_table *t = NULL;
    columnar_batch *b = NULL;
    iceberg_writer *w = NULL;
    iceberg_writer_options o;
    REQUIRE_OK(env_open(&e, "u64", &err), &err);
    REQUIRE_OK(itu_table_open(e.cat, "db", "u", 0, ICEBERG_PARTITION_DAY, &t, &err), &err);
    REQUIRE_OK(columnar_batch_new(itu_fields, ITU_NCOLS, 10, &b, &err), &err);
    columnar_set_i64(&b->cols[ITU_TIME], 0, 0);
    columnar_set_u64(&b->cols[ITU_BIG], 0, UINT64_C(18446744073709551615));
    columnar_batch_end_row(b);
    memset(&o, 0, sizeof o);
    o.run_id = "u";
    REQUIRE_OK(iceberg_writer_open(t, &o, &w, &err), &err);
    CHECK(iceberg_writer_write(w, b, &err) == I2I_ERR_RANGE);
    CHECK(strstr(err.msg, "'big'") != NULL);
    CHECK(strstr(err.msg, "18446744073709551615") != NULL);
    iceberg_writer_abort(w);
    /* a required column with a NULL is refused up front too */
    columnar_batch_clear(b);
    columnar_set_string(&b->cols[ITU_HOST], 0, "h", 1);
    columnar_batch_end_row(b);
    REQUIRE_OK(iceberg_writer_open(t, &o, &w, &err), &err);
    CHECK(iceberg_writer_write(w, b, &err) == I2I_ERR_INVALID);
    CHECK(strstr(err.msg, "'time'") != NULL);
    iceberg_writer_abort(w);
    /* a batch column the table lacks is refused, naming the column and the table */
    {
        static const columnar_field extra[] = {{"time", COLUMNAR_TIMESTAMP, COLUMNAR_NANOS},
                                               {"nope", COLUMNAR_DOUBLE, 0}};
        columnar_batch *xb = NULL;
        REQUIRE_OK(columnar_batch_new(extra, 2, 10, &xb, &err), &err);
        columnar_set_i64(&xb->cols[0], 0, 0);
        columnar_set_f64(&xb->cols[1], 0, 1.5);
        columnar_batch_end_row(xb);
        REQUIRE_OK(iceberg_writer_open(t, &o, &w, &err), &err);
        CHECK(iceberg_writer_write(w, xb, &err) == I2I_ERR_INVALID);
        CHECK(strstr(err.msg, "column 'nope' is not in table db.u") != NULL);
        iceberg_writer_abort(w);
        columnar_batch_free(xb);
    }
    /* a bad run id is refused */
    o.run_id = "bad/id";
    CHECK(iceberg_writer_open(t, &o, &w, &err) == I2I_ERR_INVALID);
    columnar_batch_free(b);
    iceberg_table_free(t);
    catalog_close(e.cat);
}

/* Table db.NAME of a required "time" and one optional column COL of type TYPE, day partitions. */
static int open_time_and_one(catalog *cat, const char *name, const char *col, iceberg_type type,
                             iceberg_table **t, i2i_error *err)
{
    iceberg_column_def defs[2];
    iceberg_create_options co;
    iceberg_type_options to = {0, 0, 1};
    int rc;
    memset(defs, 0, sizeof defs);
    defs[0].name = "time";
    defs[0].required = 1;
    if ((rc = iceberg_type_for_column(COLUMNAR_TIMESTAMP, 2, &to, &defs[0].type, err)) < 0) return rc;
    defs[1].name = col;
    defs[1].type = type;
    memset(&co, 0, sizeof co);
    co.columns = defs;
    co.ncolumns = 2;
    co.time_column = "time";
    return iceberg_table_open(cat, "db", name, &co, t, err);
}

TEST(a_column_of_a_type_we_cannot_write_is_omitted_and_refused_by_name_when_given)
{
    /* An optional binary column (another writer's): batches without it write (the column reads
     * as NULL); a batch that brings a value for it is refused naming the column, not as a
     * column missing from the table. */
    env e;
    i2i_error err;
    iceberg_type binary;
    iceberg_table *t = NULL;
    iceberg_writer *w = NULL;
    iceberg_writer_options o;
    columnar_batch *b = NULL, *xb = NULL;
    columnar_field f[1] = {{"time", COLUMNAR_TIMESTAMP, COLUMNAR_NANOS}};
    columnar_field xf[2] = {{"time", COLUMNAR_TIMESTAMP, COLUMNAR_NANOS}, {"blob", COLUMNAR_STRING, 0}};
    iceberg_write_result r;
    memset(&binary, 0, sizeof binary);
    binary.id = ICEBERG_TYPE_BINARY;
    REQUIRE_OK(env_open(&e, "unwritable", &err), &err);
    REQUIRE_OK(open_time_and_one(e.cat, "unwritable", "blob", binary, &t, &err), &err);
    REQUIRE_OK(columnar_batch_new(f, 1, 10, &b, &err), &err);
    columnar_set_i64(&b->cols[0], 0, INT64_C(1700000000) * I2I_NS_PER_S);
    columnar_batch_end_row(b);
    REQUIRE_OK(write_one(t, "unw", b, &r, &err), &err);
    CHECK_EQ_INT((int)r.nfiles, 1);
    iceberg_write_result_free(&r);
    REQUIRE_OK(columnar_batch_new(xf, 2, 10, &xb, &err), &err);
    columnar_set_i64(&xb->cols[0], 0, INT64_C(1700000000) * I2I_NS_PER_S);
    columnar_set_string(&xb->cols[1], 0, "x", 1);
    columnar_batch_end_row(xb);
    memset(&o, 0, sizeof o);
    o.run_id = "unw2";
    REQUIRE_OK(iceberg_writer_open(t, &o, &w, &err), &err);
    CHECK(iceberg_writer_write(w, xb, &err) == I2I_ERR_UNSUPPORTED);
    CHECK(strstr(err.msg, "column 'blob': its table type cannot be written") != NULL);
    iceberg_writer_abort(w);
    columnar_batch_free(xb);
    columnar_batch_free(b);
    iceberg_table_free(t);
    catalog_close(e.cat);
}

TEST(uint64_as_decimal_20_0_keeps_values_above_int64_max)
{
    env e;
    i2i_error err;
    iceberg_type_options to = {0, 0, 1};
    iceberg_type big;
    iceberg_table *t = NULL;
    columnar_batch *b = NULL;
    columnar_field f[2] = {{"time", COLUMNAR_TIMESTAMP, COLUMNAR_NANOS}, {"big", COLUMNAR_UINT64, 0}};
    iceberg_write_result r;
    json_t *expected = json_array();
    size_t i;
    char tb[48];
    if (!tools_or_fail()) return;
    REQUIRE_OK(env_open(&e, "dec", &err), &err);
    REQUIRE_OK(iceberg_type_for_column(COLUMNAR_UINT64, 2, &to, &big, &err), &err);
    CHECK_EQ_STR(iceberg_type_format(big, tb, sizeof tb), "decimal(20, 0)");
    REQUIRE_OK(open_time_and_one(e.cat, "dec", "big", big, &t, &err), &err);
    REQUIRE_OK(columnar_batch_new(f, 2, 100, &b, &err), &err);
    for (i = 0; i < 100; i++) {
        char num[32];
        uint64_t v = i % 4 == 0 ? UINT64_MAX - i : i % 4 == 1 ? (uint64_t)INT64_MAX + i : i;
        json_t *row = json_object();
        columnar_set_i64(&b->cols[0], i, INT64_C(1700000000) * I2I_NS_PER_S + (int64_t)i * I2I_NS_PER_S);
        snprintf(num, sizeof num, "%lld", (long long)(INT64_C(1700000000) * 1000000 + (int64_t)i * 1000000));
        json_object_set_new(row, "time", json_string(num));
        if (i % 7 != 3) {
            columnar_set_u64(&b->cols[1], i, v);
            snprintf(num, sizeof num, "%llu", (unsigned long long)v);
            json_object_set_new(row, "big", json_string(num));
        }
        columnar_batch_end_row(b);
        json_array_append_new(expected, row);
    }
    REQUIRE_OK(write_one(t, "dec", b, &r, &err), &err);
    REQUIRE_OK(append_files(t, &r, NULL, &err), &err);
    /* icebird/hyparquet turn decimals into JS numbers (precision lost): DuckDB checks values */
    CHECK_EQ_INT(itu_verify(t, e.dir, expected, "us", 0, 1, NULL), 0);
    iceberg_write_result_free(&r);
    json_decref(expected);
    columnar_batch_free(b);
    iceberg_table_free(t);
    catalog_close(e.cat);
}

TEST(identity_bucket_and_truncate_partitions_set_by_another_writer_are_honoured)
{
    env e;
    i2i_error err;
    iceberg_table *t = NULL;
    columnar_batch *b = NULL;
    json_t *expected = json_array(), *md, *spec;
    catalog_table out = {0};
    catalog_commit_request req;
    iceberg_write_result r;
    int64_t t0[2] = {INT64_C(1700000000) * I2I_NS_PER_S, INT64_C(1700500000) * I2I_NS_PER_S};
    int64_t step[2] = {30 * I2I_NS_PER_S, 30 * I2I_NS_PER_S};
    size_t rows[2] = {1500, 1500}, i;
    if (!tools_or_fail()) return;
    REQUIRE_OK(env_open(&e, "ident", &err), &err);
    REQUIRE_OK(itu_table_open(e.cat, "db", "ident", 0, ICEBERG_PARTITION_NONE, &t, &err), &err);
    /* another tool evolves the spec: identity(host), bucket[4](count), truncate[100000](count), month(time) */
    md = json_deep_copy(iceberg_table_metadata(t));
    spec = json_pack("{s:i, s:[{s:s,s:s,s:i,s:i}, {s:s,s:s,s:i,s:i}, {s:s,s:s,s:i,s:i}, {s:s,s:s,s:i,s:i}]}",
                     "spec-id", 1, "fields", "name", "host", "transform", "identity", "source-id", 2, "field-id", 1000,
                     "name", "count_bucket", "transform", "bucket[4]", "source-id", 5, "field-id", 1001,
                     "name", "count_trunc", "transform", "truncate[100000]", "source-id", 5, "field-id", 1002,
                     "name", "time_month", "transform", "month", "source-id", 1, "field-id", 1003);
    json_array_append_new(json_object_get(md, "partition-specs"), spec);
    json_object_set_new(md, "default-spec-id", json_integer(1));
    json_object_set_new(md, "last-partition-id", json_integer(1003));
    memset(&req, 0, sizeof req);
    req.base = &t->ct;
    req.new_metadata = md;
    REQUIRE_OK(catalog_commit(e.cat, "db", "ident", &req, &out, &err), &err);
    catalog_table_clear(&out);
    json_decref(md);
    REQUIRE_OK(iceberg_table_reload(t, &err), &err);
    REQUIRE(iceberg_table_spec(t)->nfields == 4);
    REQUIRE_OK(columnar_batch_new(itu_fields, ITU_NCOLS, 2000, &b, &err), &err);
    REQUIRE_OK(write_batches(t, "idt", 0, 64, b, t0, step, rows, 2, 21, expected, &r, NULL, &err), &err);
    CHECK(r.nfiles > 20);
    for (i = 0; i < r.nfiles; i++) {
        const iceberg_data_file *f = &r.files[i];
        CHECK_EQ_INT(f->spec_id, 1);
        REQUIRE(f->npartition == 4);
        CHECK(f->partition[0].is_null || (f->partition[0].s && strstr(f->path, "/host=host-") != NULL));
        CHECK(f->partition[1].is_null || (f->partition[1].i >= 0 && f->partition[1].i < 4));
        CHECK(f->partition[2].is_null || f->partition[2].i % 100000 == 0);
        CHECK(strstr(f->path, "/time_month=2023-11/") != NULL);
    }
    REQUIRE_OK(append_files(t, &r, NULL, &err), &err);
    CHECK_EQ_INT(itu_verify(t, e.dir, expected, "us", 1, r.nfiles, NULL), 0);
    iceberg_write_result_free(&r);
    json_decref(expected);
    columnar_batch_free(b);
    iceberg_table_free(t);
    catalog_close(e.cat);
}
