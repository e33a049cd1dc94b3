/* The S3 back-end against a moto server with signature checking on (run by moto_s3.py, which
 * passes the endpoint, an IAM key and a bucket in I2I_TEST_S3_*). Every request here is signed by
 * our SigV4 code and checked by moto; the wrong-secret test shows a bad signature is refused. */
#include <stdlib.h>

#include "test.h"

#include "../../src/storage/storage.h"

static const char *env(const char *name)
{
    const char *v = getenv(name);
    return v && *v ? v : NULL;
}

/* FileIO properties as a catalog would pass them (PyIceberg keys). */
static json_t *props(const char *secret)
{
    return json_pack("{s:s, s:s, s:s, s:s, s:s}", "s3.endpoint", env("I2I_TEST_S3_ENDPOINT"),
                     "s3.access-key-id", env("I2I_TEST_S3_KEY_ID"), "s3.secret-access-key",
                     secret ? secret : env("I2I_TEST_S3_SECRET"), "s3.region",
                     env("I2I_TEST_S3_REGION"), "s3.path-style-access", "true");
}

/* "s3://<bucket>/<test>/<suffix>" */
static char *loc(const char *test, const char *suffix)
{
    i2i_buf b = I2I_BUF_INIT;
    if (i2i_buf_printf(&b, "s3://%s/%s/%s", env("I2I_TEST_S3_BUCKET"), test, suffix) != I2I_OK)
        return NULL;
    return i2i_buf_cstr(&b);
}

static storage *open_s3(const char *test_scheme, json_t *p)
{
    storage *s = NULL;
    i2i_error err;
    char where[64];
    snprintf(where, sizeof where, "%s://%s/wh", test_scheme, env("I2I_TEST_S3_BUCKET"));
    if (storage_open_for(where, p, &s, &err) != I2I_OK) {
        i2i_test_fail(__FILE__, __LINE__, "storage_open_for: %s", err.msg);
        return NULL;
    }
    return s;
}

TEST(env_present)
{
    REQUIRE(env("I2I_TEST_S3_ENDPOINT") && env("I2I_TEST_S3_KEY_ID") && env("I2I_TEST_S3_SECRET") &&
            env("I2I_TEST_S3_BUCKET"));
}

TEST(put_get_exists_size_list_remove)
{
    json_t *p = props(NULL);
    storage *s = open_s3("s3", p);
    i2i_error err;
    i2i_buf got = I2I_BUF_INIT;
    json_t *names = json_array(), *tree = json_array();
    char *a = loc("basic", "meta/v1.metadata.json");
    /* a key that needs percent-encoding in the path and in the listing's prefix */
    char *b = loc("basic", "meta/part=a b+c%/x.json");
    char *c = loc("basic", "meta/v2.metadata.json");
    char *dir = loc("basic", "meta");
    char *missing = loc("basic", "nope");
    int64_t size = 0;
    REQUIRE(s && a && b && c && dir && missing);
    CHECK_EQ_STR(s->ops->name, "s3");

    CHECK_OK(storage_put(s, a, "{\"v\":1}", 7, &err), &err);
    CHECK_OK(storage_put(s, b, "bee", 3, &err), &err);
    CHECK_OK(storage_put(s, c, "", 0, &err), &err); /* an empty object */
    CHECK_OK(storage_get(s, a, &got, &err), &err);
    CHECK(got.len == 7 && memcmp(got.data, "{\"v\":1}", 7) == 0);
    CHECK_OK(storage_get(s, b, &got, &err), &err);
    CHECK(got.len == 3 && memcmp(got.data, "bee", 3) == 0);
    CHECK_OK(storage_get(s, c, &got, &err), &err);
    CHECK_EQ_INT(got.len, 0);
    CHECK_EQ_INT(storage_exists(s, a, &err), 1);
    CHECK_EQ_INT(storage_exists(s, missing, &err), 0);
    CHECK_OK(storage_size(s, a, &size, &err), &err);
    CHECK_EQ_INT(size, 7);
    CHECK_EQ_INT(storage_size(s, missing, &size, &err), I2I_ERR_NOT_FOUND);
    CHECK_EQ_INT(storage_get(s, missing, &got, &err), I2I_ERR_NOT_FOUND);
    CHECK(strstr(err.msg, "NoSuchKey") != NULL);

    /* one level: the two metadata files, not the object one level further down */
    CHECK_OK(storage_list(s, dir, names, &err), &err);
    REQUIRE(json_array_size(names) == 2);
    CHECK_EQ_STR(json_string_value(json_array_get(names, 0)), "v1.metadata.json");
    CHECK_EQ_STR(json_string_value(json_array_get(names, 1)), "v2.metadata.json");
    /* every depth, paths relative to the prefix, sorted, with sizes and times */
    CHECK_OK(storage_list_tree(s, dir, tree, &err), &err);
    REQUIRE(json_array_size(tree) == 3);
    CHECK_EQ_STR(json_string_value(json_object_get(json_array_get(tree, 0), "path")),
                 "part=a b+c%/x.json");
    CHECK_EQ_INT(json_integer_value(json_object_get(json_array_get(tree, 0), "size")), 3);
    CHECK(json_integer_value(json_object_get(json_array_get(tree, 1), "mtime_ms")) >
          1700000000000LL);

    CHECK_OK(storage_remove(s, a, &err), &err);
    CHECK_OK(storage_remove(s, a, &err), &err); /* missing is not an error */
    CHECK_EQ_INT(storage_exists(s, a, &err), 0);
    json_array_clear(names);
    CHECK_OK(storage_list(s, dir, names, &err), &err);
    CHECK_EQ_INT(json_array_size(names), 1);

    i2i_buf_free(&got);
    json_decref(names);
    json_decref(tree);
    free(a);
    free(b);
    free(c);
    free(dir);
    free(missing);
    storage_close(s);
    json_decref(p);
}

TEST(list_missing_prefix_is_empty)
{
    json_t *p = props(NULL), *names = json_array();
    storage *s = open_s3("s3a", p);
    i2i_error err;
    char *dir = loc("nothing-here", "metadata");
    REQUIRE(s && dir);
    CHECK_OK(storage_list(s, dir, names, &err), &err);
    CHECK_EQ_INT(json_array_size(names), 0);
    json_decref(names);
    free(dir);
    storage_close(s);
    json_decref(p);
}

TEST(put_if_absent_is_conditional)
{
    json_t *p = props(NULL);
    storage *s = open_s3("s3", p);
    i2i_error err;
    i2i_buf got = I2I_BUF_INIT;
    char *a = loc("cond", "v1.metadata.json");
    REQUIRE(s && a);
    CHECK_OK(storage_put_if_absent(s, a, "first", 5, &err), &err);
    CHECK_EQ_INT(storage_put_if_absent(s, a, "second", 6, &err), I2I_ERR_EXISTS);
    CHECK(strstr(err.msg, "already exists") != NULL);
    CHECK_OK(storage_get(s, a, &got, &err), &err);
    CHECK(got.len == 5 && memcmp(got.data, "first", 5) == 0); /* the loser changed nothing */
    i2i_buf_free(&got);
    free(a);
    storage_close(s);
    json_decref(p);
}

static void fill(uint8_t *p, size_t n, size_t offset)
{
    size_t i;
    for (i = 0; i < n; i++) p[i] = (uint8_t)((offset + i) * 2654435761u >> 13);
}

TEST(multipart_over_5_mib)
{
    json_t *p = props(NULL);
    storage *s;
    storage_writer *w = NULL;
    i2i_error err;
    i2i_buf got = I2I_BUF_INIT;
    const size_t total = (size_t)11 << 20, chunk = 777777; /* 3 parts: 5 + 5 + 1 MiB */
    uint8_t *buf = malloc(chunk), *want = malloc(total);
    char *a = loc("multi", "data/big.parquet");
    size_t off;
    int64_t size = 0;
    json_object_set_new(p, "s3.multipart.part-size-bytes", json_string("5242880"));
    s = open_s3("s3", p);
    REQUIRE(s && buf && want && a);
    fill(want, total, 0);
    REQUIRE_OK(storage_writer_open(s, a, &w, &err), &err);
    for (off = 0; off < total; off += chunk) {
        size_t n = total - off < chunk ? total - off : chunk;
        memcpy(buf, want + off, n);
        REQUIRE_OK(storage_writer_write(s, w, buf, n, &err), &err);
    }
    /* not visible before commit */
    CHECK_EQ_INT(storage_exists(s, a, &err), 0);
    REQUIRE_OK(storage_writer_commit(s, w, &err), &err);
    CHECK_OK(storage_size(s, a, &size, &err), &err);
    CHECK_EQ_INT(size, (long long)total);
    CHECK_OK(storage_get(s, a, &got, &err), &err);
    CHECK(got.len == total && memcmp(got.data, want, total) == 0);

    /* exactly one part's worth: the upload ends without an empty last part */
    REQUIRE_OK(storage_writer_open(s, a, &w, &err), &err);
    REQUIRE_OK(storage_writer_write(s, w, want, (size_t)5 << 20, &err), &err);
    REQUIRE_OK(storage_writer_commit(s, w, &err), &err);
    CHECK_OK(storage_get(s, a, &got, &err), &err);
    CHECK(got.len == ((size_t)5 << 20) && memcmp(got.data, want, got.len) == 0);
    i2i_buf_free(&got);
    free(buf);
    free(want);
    free(a);
    storage_close(s);
    json_decref(p);
}

TEST(small_stream_is_one_put)
{
    json_t *p = props(NULL);
    storage *s = open_s3("s3", p);
    storage_writer *w = NULL;
    i2i_error err;
    i2i_buf got = I2I_BUF_INIT;
    char *a = loc("small", "data/small.parquet");
    REQUIRE(s && a);
    REQUIRE_OK(storage_writer_open(s, a, &w, &err), &err);
    REQUIRE_OK(storage_writer_write(s, w, "PAR1", 4, &err), &err);
    REQUIRE_OK(storage_writer_write(s, w, "PAR1", 4, &err), &err);
    REQUIRE_OK(storage_writer_commit(s, w, &err), &err);
    CHECK_OK(storage_get(s, a, &got, &err), &err);
    CHECK(got.len == 8 && memcmp(got.data, "PAR1PAR1", 8) == 0);
    i2i_buf_free(&got);
    free(a);
    storage_close(s);
    json_decref(p);
}

TEST(multipart_abort_leaves_nothing)
{
    json_t *p = props(NULL), *tree = json_array();
    storage *s;
    storage_writer *w = NULL;
    i2i_error err;
    const size_t n = (size_t)6 << 20; /* one part goes up before the abort */
    uint8_t *buf = malloc(n);
    char *a = loc("aborted", "data/x.parquet"), *dir = loc("aborted", "");
    json_object_set_new(p, "s3.multipart.part-size-bytes", json_string("5242880"));
    s = open_s3("s3", p);
    REQUIRE(s && buf && a && dir);
    fill(buf, n, 1);
    REQUIRE_OK(storage_writer_open(s, a, &w, &err), &err);
    REQUIRE_OK(storage_writer_write(s, w, buf, n, &err), &err);
    storage_writer_abort(s, w);
    CHECK_EQ_INT(storage_exists(s, a, &err), 0);
    CHECK_OK(storage_list_tree(s, dir, tree, &err), &err);
    CHECK_EQ_INT(json_array_size(tree), 0);
    /* moto_s3.py checks afterwards that no multipart upload is left open in the bucket */
    json_decref(tree);
    free(buf);
    free(a);
    free(dir);
    storage_close(s);
    json_decref(p);
}

TEST(wrong_secret_is_a_clear_403)
{
    json_t *p = props("not-the-secret-XYZ");
    storage *s = open_s3("s3", p);
    i2i_error err;
    i2i_buf got = I2I_BUF_INIT;
    char *a = loc("auth", "x.json");
    REQUIRE(s && a);
    CHECK_EQ_INT(storage_put(s, a, "x", 1, &err), I2I_ERR_AUTH);
    CHECK(strstr(err.msg, "HTTP 403") != NULL);
    CHECK(strstr(err.msg, "SignatureDoesNotMatch") != NULL);
    CHECK(strstr(err.msg, a) != NULL);                    /* which object */
    CHECK(strstr(err.msg, "s3.secret-access-key") != NULL); /* what to check */
    CHECK(strstr(err.msg, "not-the-secret-XYZ") == NULL);
    CHECK_EQ_INT(storage_get(s, a, &got, &err), I2I_ERR_AUTH);
    /* no retries spent on it: a 403 is final */
    i2i_buf_free(&got);
    free(a);
    storage_close(s);
    json_decref(p);
}

TEST(session_token_is_signed_and_checked)
{
    json_t *p = json_pack("{s:s, s:s, s:s, s:s, s:s}", "s3.endpoint", env("I2I_TEST_S3_ENDPOINT"),
                          "s3.access-key-id", env("I2I_TEST_S3_SESSION_KEY_ID"),
                          "s3.secret-access-key", env("I2I_TEST_S3_SESSION_SECRET"),
                          "s3.session-token", env("I2I_TEST_S3_SESSION_TOKEN"), "s3.region",
                          env("I2I_TEST_S3_REGION"));
    storage *s = open_s3("s3", p);
    i2i_error err;
    i2i_buf got = I2I_BUF_INIT;
    char *a = loc("session", "x.json");
    REQUIRE(s && a);
    CHECK_OK(storage_put(s, a, "tok", 3, &err), &err);
    CHECK_OK(storage_get(s, a, &got, &err), &err);
    CHECK(got.len == 3 && memcmp(got.data, "tok", 3) == 0);
    storage_close(s);
    /* a bad token is refused, and not shown */
    json_object_set_new(p, "s3.session-token", json_string("BogusSessionToken123"));
    s = open_s3("s3", p);
    REQUIRE(s);
    CHECK_EQ_INT(storage_get(s, a, &got, &err), I2I_ERR_AUTH); /* S3 says 400 InvalidToken */
    CHECK(strstr(err.msg, "InvalidToken") != NULL);
    CHECK(strstr(err.msg, "s3.session-token") != NULL);
    CHECK(strstr(err.msg, "BogusSessionToken123") == NULL);
    i2i_buf_free(&got);
    free(a);
    storage_close(s);
    json_decref(p);
}

TEST(config_errors_are_clear)
{
    storage *s = NULL;
    i2i_error err;
    json_t *p = json_pack("{s:s}", "s3.endpoint", getenv("I2I_TEST_S3_ENDPOINT"));
    json_t *both = json_pack("{s:s, s:s, s:s, s:b, s:s}", "s3.access-key-id", "k",
                             "s3.secret-access-key", "s", "s3.path-style-access", "true",
                             "s3.force-virtual-addressing", 1, "s3.region", "r");
    json_t *bad = json_pack("{s:s, s:s, s:s}", "s3.access-key-id", "k", "s3.secret-access-key",
                            "s", "s3.path-style-access", "yes");
    unsetenv("AWS_ACCESS_KEY_ID");
    unsetenv("AWS_SECRET_ACCESS_KEY");
    CHECK_EQ_INT(storage_open_for("s3://b/wh", p, &s, &err), I2I_ERR_AUTH);
    CHECK(strstr(err.msg, "s3.access-key-id") != NULL);
    CHECK_EQ_INT(storage_open_for("s3://b/wh", both, &s, &err), I2I_ERR_INVALID);
    CHECK_EQ_INT(storage_open_for("s3://b/wh", bad, &s, &err), I2I_ERR_INVALID);
    CHECK(strstr(err.msg, "s3.path-style-access") != NULL);
    /* the standard AWS variables as the fallback */
    setenv("AWS_ACCESS_KEY_ID", env("I2I_TEST_S3_KEY_ID"), 1);
    setenv("AWS_SECRET_ACCESS_KEY", env("I2I_TEST_S3_SECRET"), 1);
    setenv("AWS_REGION", env("I2I_TEST_S3_REGION"), 1);
    CHECK_OK(storage_open_for("s3://b/wh", p, &s, &err), &err);
    if (s) {
        char *a = loc("envcreds", "x.json");
        CHECK_OK(storage_put(s, a, "e", 1, &err), &err);
        CHECK_EQ_INT(storage_exists(s, a, &err), 1);
        free(a);
    }
    unsetenv("AWS_ACCESS_KEY_ID");
    unsetenv("AWS_SECRET_ACCESS_KEY");
    unsetenv("AWS_REGION");
    storage_close(s);
    json_decref(p);
    json_decref(both);
    json_decref(bad);
}
