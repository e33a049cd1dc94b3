/* Appending to a table laid out by PyIceberg (the InfluxData plugin's writer): a v2 unpartitioned
 * table built at test time (DuckDB Parquet + python3-avro manifests with PyIceberg's schemas +
 * compact metadata JSON, registered in a SQLite catalog). Our append keeps its spec and schema,
 * carries its manifest forward unchanged, keeps unknown metadata keys, and icebird/DuckDB read the
 * old and the new rows. */
#include <stdio.h>
#include <stdlib.h>

#include "iceberg_test_util.h"
#include "test.h"

#define FIXTURE_ROWS 300

TEST(append_to_pyiceberg_table_keeps_its_spec_and_carries_its_manifest_forward)
{
    char dir[512], wh[600], tdir[700], db[700], pq[700], exp_old[700], why[1024];
    catalog *cat = NULL;
    iceberg_table *t = NULL;
    columnar_batch *b = NULL;
    columnar_field fields[3] = {{"time", COLUMNAR_TIMESTAMP, COLUMNAR_NANOS}, {"host", COLUMNAR_STRING, 0},
                                {"usage", COLUMNAR_DOUBLE, 0}};
    iceberg_writer *w = NULL;
    iceberg_writer_options o;
    iceberg_write_result r;
    iceberg_append_request ar;
    iceberg_commit_result cr;
    iceberg_file_list live;
    json_t *expected, *row, *summary;
    const json_t *md;
    const iceberg_snapshot *snaps;
    int64_t old_snap;
    size_t i, nsnaps;
    i2i_error err;

    if (!itu_tools_available(why, sizeof why)) {
        i2i_test_fail(__FILE__, __LINE__, "interop tools missing: %s", why);
        return;
    }
    snprintf(dir, sizeof dir, "%s", i2i_test_tmpdir());
    snprintf(wh, sizeof wh, "%s/wh", dir);
    snprintf(tdir, sizeof tdir, "%s/default/plugin_tbl", wh);
    snprintf(db, sizeof db, "%s/catalog.db", wh);
    snprintf(pq, sizeof pq, "%s/fixture.parquet", dir);
    snprintf(exp_old, sizeof exp_old, "%s/expected_old.json", dir);
    itu_run("mkdir -p '%s'", wh);
    REQUIRE(itu_run("I2I_INTEROP_DIR='%s' node '%s/make_fixture_parquet.mjs' '%s' '%s' %d", I2I_INTEROP_DIR,
                    I2I_ICEBERG_SCRIPTS, pq, exp_old, FIXTURE_ROWS) == 0);
    REQUIRE(itu_run("/usr/bin/python3 '%s/make_pyiceberg_table.py' '%s' '%s' '%s' %d", I2I_ICEBERG_SCRIPTS,
                    tdir, db, pq, FIXTURE_ROWS) == 0);

    REQUIRE_OK(catalog_open_default(wh, &cat, &err), &err);
    REQUIRE_OK(iceberg_table_open(cat, "default", "plugin_tbl", NULL, &t, &err), &err);
    CHECK_EQ_INT(iceberg_table_format_version(t), 2);
    CHECK_EQ_INT(iceberg_table_spec(t)->nfields, 0);
    CHECK(iceberg_table_schema(t)->fields[0].type.id == ICEBERG_TYPE_TIMESTAMP);
    CHECK(iceberg_table_schema(t)->fields[0].required);
    old_snap = iceberg_table_current_snapshot_id(t);
    CHECK(old_snap > 0);

    /* a batch that lacks "count" (written as NULL) */
    expected = json_load_file(exp_old, 0, NULL);
    REQUIRE(expected != NULL);
    REQUIRE_OK(columnar_batch_new(fields, 3, 200, &b, &err), &err);
    for (i = 0; i < 200; i++) {
        char num[32];
        int64_t tt = INT64_C(1690000000) * I2I_NS_PER_S + (int64_t)i * 7 * I2I_NS_PER_S + 999;
        columnar_set_i64(&b->cols[0], i, tt);
        columnar_set_string(&b->cols[1], i, "new-host", 8);
        if (i % 3) columnar_set_f64(&b->cols[2], i, (double)i / 4.0);
        columnar_batch_end_row(b);
        row = json_object();
        snprintf(num, sizeof num, "%lld", (long long)(tt / 1000));
        json_object_set_new(row, "time", json_string(num));
        json_object_set_new(row, "host", json_string("new-host"));
        if (i % 3) json_object_set_new(row, "usage", json_real((double)i / 4.0));
        json_array_append_new(expected, row);
    }
    memset(&o, 0, sizeof o);
    o.run_id = "ours";
    REQUIRE_OK(iceberg_writer_open(t, &o, &w, &err), &err);
    REQUIRE_OK(iceberg_writer_write(w, b, &err), &err);
    REQUIRE_OK(iceberg_writer_finish(w, &r, &err), &err);
    CHECK_EQ_INT(r.nfiles, 1);
    CHECK_EQ_INT(r.files[0].spec_id, 0);
    CHECK_EQ_INT(r.timestamps_truncated, 200);
    CHECK(strstr(r.files[0].path, "/data/00000-ours-") != NULL); /* unpartitioned: no partition dir */
    memset(&ar, 0, sizeof ar);
    ar.files = r.files;
    ar.nfiles = r.nfiles;
    summary = json_pack("{s:s}", "influx2iceberg.run-id", "ours");
    ar.summary = summary;
    REQUIRE_OK(iceberg_append(t, &ar, &cr, &err), &err);
    json_decref(summary);
    CHECK_EQ_INT(cr.sequence_number, 2);

    /* state after our commit, reloaded from the catalog */
    REQUIRE_OK(iceberg_table_reload(t, &err), &err);
    md = iceberg_table_metadata(t);
    CHECK(json_object_get(md, "x-pyfixture-unknown") != NULL);
    CHECK_EQ_STR(iceberg_table_property(t, "created-by"), "pyfixture");
    CHECK_EQ_INT(json_array_size(json_object_get(md, "partition-specs")), 1);
    CHECK_EQ_INT(json_integer_value(json_object_get(md, "default-spec-id")), 0);
    CHECK_EQ_INT(json_integer_value(json_object_get(md, "last-partition-id")), 999);
    CHECK_EQ_INT(json_array_size(json_object_get(md, "schemas")), 1);
    CHECK_EQ_INT(json_array_size(json_object_get(md, "metadata-log")), 1);
    snaps = iceberg_table_snapshots(t, &nsnaps);
    REQUIRE(nsnaps == 2);
    CHECK_EQ_INT(snaps[1].parent_id, old_snap);
    CHECK_EQ_STR(json_string_value(json_object_get(snaps[1].summary, "total-records")), "500");
    CHECK_EQ_STR(json_string_value(json_object_get(snaps[1].summary, "total-data-files")), "2");
    CHECK_EQ_STR(json_string_value(json_object_get(snaps[1].summary, "changed-partition-count")), "1");
    REQUIRE_OK(iceberg_table_live_files(t, &live, &err), &err);
    CHECK_EQ_INT(live.n, 2);
    {
        int found_old = 0, found_new = 0;
        for (i = 0; i < live.n; i++) {
            if (strstr(live.files[i].path, "pyfixture")) {
                found_old++;
                CHECK(strstr(live.files[i].manifest_path, "pyfixture") != NULL); /* their manifest, unchanged */
                CHECK_EQ_INT(live.files[i].sequence_number, 1);
                CHECK_EQ_INT(live.files[i].snapshot_id, old_snap);
            } else {
                found_new++;
                CHECK_EQ_INT(live.files[i].sequence_number, 2);
            }
        }
        CHECK(found_old == 1 && found_new == 1);
    }
    iceberg_file_list_free(&live);

    CHECK_EQ_INT(itu_verify(t, dir, expected, "us", 1, 2, "pyfixture"), 0);
    iceberg_write_result_free(&r);
    json_decref(expected);
    columnar_batch_free(b);
    iceberg_table_free(t);
    catalog_close(cat);
}
