/* Orphans: files written by a run that never committed are found (and only they), younger ones
 * are left to a possibly running writer, removal keeps every committed row; storage lists trees. */
#include <stdio.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <utime.h>

#include "iceberg_test_util.h"
#include "test.h"

/* 100 rows an hour apart from t0, as the files of run_id. */
static int write_files(iceberg_table *t, const char *run_id, int64_t t0, iceberg_write_result *wr,
                       i2i_error *err)
{
    return itu_write_rows(t, run_id, 100, t0, 3600 * I2I_NS_PER_S, 7, wr, err);
}

static void age(const char *location, int64_t seconds)
{
    struct utimbuf ut;
    ut.actime = ut.modtime = time(NULL) - seconds;
    utime(itu_local(location), &ut);
}

TEST(orphans_are_the_uncommitted_files_only)
{
    char wh[512];
    catalog *c = NULL;
    iceberg_table *t = NULL;
    iceberg_write_result committed, crashed;
    iceberg_append_request ar;
    iceberg_orphan_list l = {0};
    iceberg_file_list live = {0};
    i2i_error err;
    size_t i, removed = 0;
    int64_t rows = 0;

    snprintf(wh, sizeof wh, "%s/wh", i2i_test_tmpdir());
    REQUIRE_OK(catalog_open_default(wh, &c, &err), &err);
    REQUIRE_OK(itu_table_open(c, "ns", "t", 0, ICEBERG_PARTITION_DAY, &t, &err), &err);

    memset(&committed, 0, sizeof committed);
    memset(&crashed, 0, sizeof crashed);
    REQUIRE_OK(write_files(t, "run-good", INT64_C(1704067200) * I2I_NS_PER_S, &committed, &err), &err);
    memset(&ar, 0, sizeof ar);
    ar.files = committed.files;
    ar.nfiles = committed.nfiles;
    REQUIRE_OK(iceberg_append(t, &ar, NULL, &err), &err);
    /* a run that wrote files and died before its commit */
    REQUIRE_OK(write_files(t, "run-crashed", INT64_C(1704067200) * I2I_NS_PER_S, &crashed, &err), &err);
    REQUIRE(crashed.nfiles >= 2); /* 100 hours span several days */
    for (i = 0; i < committed.nfiles; i++) age(committed.files[i].path, 7200);

    /* fresh files are left alone: a writer may still be about to commit them */
    REQUIRE_OK(iceberg_table_orphan_files(t, 3600 * 1000, &l, &err), &err);
    CHECK_EQ_INT(l.n, 0);
    CHECK_EQ_INT(l.too_young, crashed.nfiles);
    iceberg_orphan_list_free(&l);

    for (i = 0; i < crashed.nfiles; i++) age(crashed.files[i].path, 7200);
    REQUIRE_OK(iceberg_table_orphan_files(t, 3600 * 1000, &l, &err), &err);
    CHECK_EQ_INT(l.n, crashed.nfiles);
    for (i = 0; i < l.n; i++) CHECK(strstr(l.files[i].path, "run-crashed") != NULL);
    REQUIRE_OK(iceberg_remove_orphans(t, &l, &removed, &err), &err);
    CHECK_EQ_INT(removed, crashed.nfiles);
    for (i = 0; i < crashed.nfiles; i++) CHECK(access(itu_local(crashed.files[i].path), F_OK) != 0);
    iceberg_orphan_list_free(&l);

    /* the committed data is untouched */
    REQUIRE_OK(iceberg_table_live_files(t, &live, &err), &err);
    CHECK_EQ_INT(live.n, committed.nfiles);
    for (i = 0; i < live.n; i++) {
        rows += live.files[i].record_count;
        CHECK(access(itu_local(live.files[i].path), F_OK) == 0);
    }
    CHECK_EQ_INT(rows, 100);
    REQUIRE_OK(iceberg_table_orphan_files(t, 0, &l, &err), &err);
    CHECK_EQ_INT(l.n, 0);

    iceberg_orphan_list_free(&l);
    iceberg_file_list_free(&live);
    iceberg_write_result_free(&committed);
    iceberg_write_result_free(&crashed);
    iceberg_table_free(t);
    catalog_close(c);
}

TEST(storage_lists_a_tree_with_sizes)
{
    storage *s = NULL;
    json_t *out = json_array();
    i2i_error err;
    char base[512], p[600];
    snprintf(base, sizeof base, "%s/tree", i2i_test_tmpdir());
    REQUIRE_OK(storage_local_open(&s, &err), &err);
    snprintf(p, sizeof p, "%s/b/x.parquet", base);
    REQUIRE_OK(storage_put(s, p, "12345", 5, &err), &err);
    snprintf(p, sizeof p, "%s/a.txt", base);
    REQUIRE_OK(storage_put(s, p, "1", 1, &err), &err);
    snprintf(p, sizeof p, "%s/b/c/y", base);
    REQUIRE_OK(storage_put(s, p, "", 0, &err), &err);
    REQUIRE_OK(storage_list_tree(s, base, out, &err), &err);
    REQUIRE(json_array_size(out) == 3);
    CHECK_EQ_STR(json_string_value(json_object_get(json_array_get(out, 0), "path")), "a.txt");
    CHECK_EQ_STR(json_string_value(json_object_get(json_array_get(out, 1), "path")), "b/c/y");
    CHECK_EQ_STR(json_string_value(json_object_get(json_array_get(out, 2), "path")), "b/x.parquet");
    CHECK_EQ_INT(json_integer_value(json_object_get(json_array_get(out, 2), "size")), 5);
    json_array_clear(out);
    snprintf(p, sizeof p, "%s/missing", base);
    REQUIRE_OK(storage_list_tree(s, p, out, &err), &err);
    CHECK_EQ_INT(json_array_size(out), 0);
    json_decref(out);
    storage_close(s);
}
