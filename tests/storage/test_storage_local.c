/* storage (local back-end and facade): whole-object round trips, atomic create-if-absent,
 * streaming writer commit/abort, nested directories, listing, location forms, error messages. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "storage/storage.h"
#include "test.h"

static char *path_in_tmp(const char *rel)
{
    static char buf[8][1024];
    static int next;
    char *p = buf[next++ % 8];
    snprintf(p, sizeof buf[0], "%s/%s", i2i_test_tmpdir(), rel);
    return p;
}

static storage *open_local(void)
{
    storage *s = NULL;
    i2i_error e;
    if (storage_open_for(i2i_test_tmpdir(), NULL, &s, &e) != 0) {
        fprintf(stderr, "storage_open_for: %s\n", e.msg);
        return NULL;
    }
    return s;
}

TEST(put_get_exists_size_remove_round_trip)
{
    storage *s = open_local();
    i2i_error e;
    i2i_buf b = I2I_BUF_INIT;
    int64_t sz = -1;
    char loc[1100];
    REQUIRE(s);
    snprintf(loc, sizeof loc, "file://%s", path_in_tmp("rt/a.json"));
    CHECK_EQ_INT(storage_exists(s, loc, &e), 0);
    REQUIRE_OK(storage_put(s, loc, "{\"a\":1}", 7, &e), &e);
    CHECK_EQ_INT(storage_exists(s, loc, &e), 1);
    REQUIRE_OK(storage_get(s, loc, &b, &e), &e);
    CHECK(b.len == 7 && memcmp(b.data, "{\"a\":1}", 7) == 0);
    CHECK_OK(storage_size(s, loc, &sz, &e), &e);
    CHECK_EQ_INT(sz, 7);
    /* put replaces */
    REQUIRE_OK(storage_put(s, loc, "xy", 2, &e), &e);
    REQUIRE_OK(storage_get(s, loc, &b, &e), &e);
    CHECK(b.len == 2 && memcmp(b.data, "xy", 2) == 0);
    CHECK_EQ_INT(i2i_test_count_entries(path_in_tmp("rt")), 1); /* no temp files left */
    CHECK_OK(storage_remove(s, loc, &e), &e);
    CHECK_EQ_INT(storage_exists(s, loc, &e), 0);
    CHECK_OK(storage_remove(s, loc, &e), &e); /* missing is not an error */
    CHECK_EQ_INT(storage_get(s, loc, &b, &e), I2I_ERR_NOT_FOUND);
    CHECK_EQ_INT(storage_size(s, loc, &sz, &e), I2I_ERR_NOT_FOUND);
    i2i_buf_free(&b);
    storage_close(s);
}

TEST(empty_object_round_trips)
{
    storage *s = open_local();
    i2i_error e;
    i2i_buf b = I2I_BUF_INIT;
    int64_t sz = -1;
    REQUIRE(s);
    REQUIRE_OK(storage_put(s, path_in_tmp("empty/e"), NULL, 0, &e), &e);
    REQUIRE_OK(storage_get(s, path_in_tmp("empty/e"), &b, &e), &e);
    CHECK_EQ_INT(b.len, 0);
    CHECK_OK(storage_size(s, path_in_tmp("empty/e"), &sz, &e), &e);
    CHECK_EQ_INT(sz, 0);
    i2i_buf_free(&b);
    storage_close(s);
}

TEST(put_if_absent_twice_gives_exists_and_keeps_first)
{
    storage *s = open_local();
    i2i_error e;
    i2i_buf b = I2I_BUF_INIT;
    const char *p = path_in_tmp("pia/v1.metadata.json");
    REQUIRE(s);
    REQUIRE_OK(storage_put_if_absent(s, p, "first", 5, &e), &e);
    CHECK_EQ_INT(storage_put_if_absent(s, p, "second", 6, &e), I2I_ERR_EXISTS);
    CHECK(strstr(e.msg, p) != NULL);
    REQUIRE_OK(storage_get(s, p, &b, &e), &e);
    CHECK(b.len == 5 && memcmp(b.data, "first", 5) == 0);
    CHECK_EQ_INT(i2i_test_count_entries(path_in_tmp("pia")), 1); /* the loser's temp file is gone */
    i2i_buf_free(&b);
    storage_close(s);
}

TEST(put_creates_nested_directories)
{
    storage *s = open_local();
    i2i_error e;
    struct stat st;
    REQUIRE(s);
    REQUIRE_OK(storage_put(s, path_in_tmp("n1/n2/n3/n4/f.bin"), "z", 1, &e), &e);
    CHECK(stat(path_in_tmp("n1/n2/n3/n4"), &st) == 0 && S_ISDIR(st.st_mode));
    REQUIRE_OK(storage_put_if_absent(s, path_in_tmp("m1/m2/g.bin"), "z", 1, &e), &e);
    CHECK_EQ_INT(storage_exists(s, path_in_tmp("m1/m2/g.bin"), &e), 1);
    storage_close(s);
}

TEST(streaming_writer_commit_makes_whole_file_visible)
{
    storage *s = open_local();
    storage_writer *w = NULL;
    i2i_error e;
    i2i_buf b = I2I_BUF_INIT;
    const char *p = path_in_tmp("sw/data/f.parquet");
    size_t total = 0, i, sizes[] = {1, 100, 1 << 20, 3, (1 << 20) + 7, 65536, 5};
    uint8_t *chunk = malloc((1 << 20) + 7);
    uint8_t *expect = malloc(4 << 20);
    REQUIRE(s && chunk && expect);
    REQUIRE_OK(storage_writer_open(s, p, &w, &e), &e);
    for (i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        size_t j;
        for (j = 0; j < sizes[i]; j++) chunk[j] = (uint8_t)(total + j * 7 + i);
        memcpy(expect + total, chunk, sizes[i]);
        CHECK_OK(storage_writer_write(s, w, chunk, sizes[i], &e), &e);
        total += sizes[i];
        CHECK_EQ_INT(storage_exists(s, p, &e), 0); /* invisible until commit */
    }
    REQUIRE_OK(storage_writer_commit(s, w, &e), &e);
    REQUIRE_OK(storage_get(s, p, &b, &e), &e);
    CHECK_EQ_INT(b.len, total);
    CHECK(b.len == total && memcmp(b.data, expect, total) == 0);
    CHECK_EQ_INT(i2i_test_count_entries(path_in_tmp("sw/data")), 1);
    i2i_buf_free(&b);
    free(chunk);
    free(expect);
    storage_close(s);
}

TEST(streaming_writer_abort_leaves_nothing)
{
    storage *s = open_local();
    storage_writer *w = NULL;
    i2i_error e;
    static uint8_t big[3 << 20];
    const char *p = path_in_tmp("ab/f.parquet");
    REQUIRE(s);
    REQUIRE_OK(storage_writer_open(s, p, &w, &e), &e);
    CHECK_OK(storage_writer_write(s, w, big, sizeof big, &e), &e);
    CHECK_OK(storage_writer_write(s, w, "tail", 4, &e), &e);
    storage_writer_abort(s, w);
    CHECK_EQ_INT(storage_exists(s, p, &e), 0);
    CHECK_EQ_INT(i2i_test_count_entries(path_in_tmp("ab")), 0);
    storage_writer_abort(s, NULL); /* accepts NULL */
    storage_close(s);
}

TEST(list_gives_sorted_file_names_only)
{
    storage *s = open_local();
    storage_writer *w = NULL;
    i2i_error e;
    json_t *arr = json_array();
    char prefix[1100];
    REQUIRE(s && arr);
    CHECK_OK(storage_put(s, path_in_tmp("ls/v10.metadata.json"), "a", 1, &e), &e);
    CHECK_OK(storage_put(s, path_in_tmp("ls/v2.metadata.json"), "a", 1, &e), &e);
    CHECK_OK(storage_put(s, path_in_tmp("ls/a.txt"), "a", 1, &e), &e);
    CHECK_OK(storage_put(s, path_in_tmp("ls/sub/x"), "a", 1, &e), &e);
    /* an in-flight writer's temp file is not listed */
    REQUIRE_OK(storage_writer_open(s, path_in_tmp("ls/pending"), &w, &e), &e);
    snprintf(prefix, sizeof prefix, "file://%s/", path_in_tmp("ls"));
    REQUIRE_OK(storage_list(s, prefix, arr, &e), &e);
    REQUIRE(json_array_size(arr) == 3);
    CHECK_EQ_STR(json_string_value(json_array_get(arr, 0)), "a.txt");
    CHECK_EQ_STR(json_string_value(json_array_get(arr, 1)), "v10.metadata.json");
    CHECK_EQ_STR(json_string_value(json_array_get(arr, 2)), "v2.metadata.json");
    storage_writer_abort(s, w);
    json_array_clear(arr);
    CHECK_OK(storage_list(s, path_in_tmp("no/such/dir"), arr, &e), &e);
    CHECK_EQ_INT(json_array_size(arr), 0);
    json_decref(arr);
    storage_close(s);
}

TEST(location_forms_map_to_paths)
{
    CHECK_EQ_STR(storage_local_path("file:///a/b"), "/a/b");
    CHECK_EQ_STR(storage_local_path("file:/a/b"), "/a/b");
    CHECK_EQ_STR(storage_local_path("file://localhost/a/b"), "/a/b");
    CHECK_EQ_STR(storage_local_path("/a/b"), "/a/b");
    CHECK_EQ_STR(storage_local_path("rel/b"), "rel/b");
    CHECK(storage_local_path("file://otherhost/a") == NULL);
    CHECK(storage_local_path("s3://bucket/key") == NULL);
    CHECK(storage_local_path("") == NULL);
    CHECK_EQ_STR(storage_backend_for("/x"), "local");
    CHECK_EQ_STR(storage_backend_for("file:///x"), "local");
    CHECK_EQ_STR(storage_backend_for("s3://b/k"), "s3");
    CHECK(storage_backend_for("gopher://x/y") == NULL);
}

TEST(all_local_location_forms_reach_the_same_file)
{
    storage *s = open_local();
    i2i_error e;
    i2i_buf b = I2I_BUF_INIT;
    char u1[1100], u2[1100];
    REQUIRE(s);
    snprintf(u1, sizeof u1, "file:///%s", path_in_tmp("forms/f") + 1);
    snprintf(u2, sizeof u2, "file:%s", path_in_tmp("forms/f"));
    REQUIRE_OK(storage_put(s, u1, "abc", 3, &e), &e);
    REQUIRE_OK(storage_get(s, u2, &b, &e), &e);
    CHECK(b.len == 3);
    REQUIRE_OK(storage_get(s, path_in_tmp("forms/f"), &b, &e), &e);
    CHECK(b.len == 3);
    i2i_buf_free(&b);
    storage_close(s);
}

TEST(s3_location_without_credentials_and_unknown_schemes_are_clear_errors)
{
    storage *s = NULL;
    i2i_error e;
    unsetenv("AWS_ACCESS_KEY_ID"); /* the fallback would supply credentials */
    CHECK_EQ_INT(storage_open_for("s3://bucket/wh", NULL, &s, &e), I2I_ERR_AUTH);
    CHECK(s == NULL);
    CHECK(strstr(e.msg, "S3") != NULL && strstr(e.msg, "s3.access-key-id") != NULL);
    CHECK_EQ_INT(storage_open_for("gopher://h/x", NULL, &s, &e), I2I_ERR_UNSUPPORTED);
    CHECK(strstr(e.msg, "gopher") != NULL);
}

TEST(errors_name_the_path)
{
    storage *s = open_local();
    i2i_error e;
    i2i_buf b = I2I_BUF_INIT;
    storage_writer *w = NULL;
    const char *missing = path_in_tmp("err/missing.json");
    REQUIRE(s);
    CHECK_EQ_INT(storage_get(s, missing, &b, &e), I2I_ERR_NOT_FOUND);
    CHECK(strstr(e.msg, missing) != NULL);
    /* a regular file where a directory is needed */
    REQUIRE_OK(storage_put(s, path_in_tmp("err/file"), "x", 1, &e), &e);
    CHECK_EQ_INT(storage_put(s, path_in_tmp("err/file/sub/x.json"), "x", 1, &e), I2I_ERR_IO);
    CHECK(strstr(e.msg, path_in_tmp("err/file")) != NULL);
    CHECK(storage_writer_open(s, path_in_tmp("err/file/w.parquet"), &w, &e) < 0);
    CHECK(w == NULL && strstr(e.msg, path_in_tmp("err/file")) != NULL);
    /* reading a directory */
    CHECK(storage_get(s, path_in_tmp("err"), &b, &e) < 0);
    CHECK(strstr(e.msg, path_in_tmp("err")) != NULL);
    CHECK_EQ_INT(storage_put(s, "s3://b/k", "x", 1, &e), I2I_ERR_INVALID);
    CHECK(strstr(e.msg, "s3://b/k") != NULL);
    i2i_buf_free(&b);
    storage_close(s);
}

/* storage_set_fault: a point failing "before" leaves nothing, one failing "after" leaves the
 * object in place (the caller sees the failure of a write that landed, as a lost reply would). */
typedef struct fault_plan {
    const char *fail_at;
    int hits_before, hits_after;
} fault_plan;

static int fault_fn(void *ctx, const char *point, i2i_error *err)
{
    fault_plan *p = ctx;
    if (!strcmp(point, "storage.before-put")) p->hits_before++;
    if (!strcmp(point, "storage.after-put")) p->hits_after++;
    if (p->fail_at && !strcmp(point, p->fail_at))
        return i2i_error_set(err, I2I_ERR_TRANSIENT, "injected at %s", point);
    return I2I_OK;
}

TEST(fault_points_around_every_put)
{
    storage *s = open_local();
    storage_writer *w = NULL;
    fault_plan plan = {"storage.before-put", 0, 0};
    i2i_fault f = {fault_fn, &plan};
    i2i_error e;
    REQUIRE(s);
    storage_set_fault(s, &f);
    CHECK_EQ_INT(storage_put(s, path_in_tmp("fp/a.json"), "x", 1, &e), I2I_ERR_TRANSIENT);
    CHECK_EQ_INT(storage_put_if_absent(s, path_in_tmp("fp/b.json"), "x", 1, &e), I2I_ERR_TRANSIENT);
    REQUIRE_OK(storage_writer_open(s, path_in_tmp("fp/c.parquet"), &w, &e), &e);
    CHECK_OK(storage_writer_write(s, w, "data", 4, &e), &e);
    CHECK_EQ_INT(storage_writer_commit(s, w, &e), I2I_ERR_TRANSIENT); /* w freed either way */
    CHECK(strstr(e.msg, "storage.before-put") != NULL);
    CHECK_EQ_INT(i2i_test_count_entries(path_in_tmp("fp")), 0);
    CHECK_EQ_INT(plan.hits_before, 3);
    CHECK_EQ_INT(plan.hits_after, 0);

    plan.fail_at = "storage.after-put";
    CHECK_EQ_INT(storage_put(s, path_in_tmp("fp/a.json"), "x", 1, &e), I2I_ERR_TRANSIENT);
    CHECK_EQ_INT(storage_put_if_absent(s, path_in_tmp("fp/b.json"), "x", 1, &e), I2I_ERR_TRANSIENT);
    REQUIRE_OK(storage_writer_open(s, path_in_tmp("fp/c.parquet"), &w, &e), &e);
    CHECK_OK(storage_writer_write(s, w, "data", 4, &e), &e);
    CHECK_EQ_INT(storage_writer_commit(s, w, &e), I2I_ERR_TRANSIENT);
    CHECK_EQ_INT(i2i_test_count_entries(path_in_tmp("fp")), 3);
    CHECK_EQ_INT(plan.hits_after, 3);

    /* a failed write is not followed by the "after" point; no hook, no hits */
    plan.fail_at = NULL;
    CHECK_EQ_INT(storage_put_if_absent(s, path_in_tmp("fp/b.json"), "y", 1, &e), I2I_ERR_EXISTS);
    CHECK_EQ_INT(plan.hits_after, 3);
    storage_set_fault(s, NULL);
    CHECK_OK(storage_put(s, path_in_tmp("fp/d.json"), "x", 1, &e), &e);
    CHECK_EQ_INT(plan.hits_before, 7);
    storage_close(s);
}
