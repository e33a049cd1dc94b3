/*
 * The filesystem (hadoop) catalog: v<N>.metadata.json chain from 1, version-hint.text holding
 * exactly N (no newline), create-if-absent commits that make a stale writer lose, and loading
 * when the hint is missing, unparsable, lagging or pointing nowhere.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "catalog/catalog_internal.h"
#include "catalog_test_util.h"
#include "test.h"

static catalog *open_hadoop(const char *tag, char *wh, size_t n)
{
    json_t *cfg;
    catalog *c = NULL;
    i2i_error e;
    snprintf(wh, n, "%s/hwh-%s", i2i_test_tmpdir(), tag);
    cfg = json_pack("{s:s, s:s}", "type", "hadoop", "warehouse", wh);
    if (catalog_open(cfg, NULL, &c, &e) != 0) fprintf(stderr, "  catalog_open: %s\n", e.msg);
    json_decref(cfg);
    return c;
}

/* Whole content of a local file into buf (NUL-terminated); length or -1. */
static long slurp(const char *path, char *buf, size_t n)
{
    FILE *f = fopen(path, "rb");
    size_t got;
    if (!f) return -1;
    got = fread(buf, 1, n - 1, f);
    fclose(f);
    buf[got] = '\0';
    return (long)got;
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "wb");
    if (f) {
        fputs(text, f);
        fclose(f);
    }
}

/* Commit n versions after creation: the table ends at v(n+1). */
static int build_versions(catalog *c, const char *ns, const char *table, int n, i2i_error *e)
{
    catalog_table cur = {0}, next = {0};
    int i, rc = test_create_table(c, ns, table, &cur, e);
    for (i = 0; rc == 0 && i < n; i++) {
        rc = test_commit_next(c, ns, table, &cur, &next, e);
        catalog_table_clear(&cur);
        cur = next;
        memset(&next, 0, sizeof next);
    }
    catalog_table_clear(&cur);
    return rc;
}

/* A fresh warehouse `tag` holding ns.t at v(n+1); hint gets the path of its version-hint.text. */
static catalog *open_with_versions(const char *tag, int n, char *wh, size_t whn, char *hint,
                                   size_t hintn)
{
    catalog *c = open_hadoop(tag, wh, whn);
    i2i_error e;
    if (!c) return NULL;
    if (build_versions(c, "ns", "t", n, &e) != 0) {
        fprintf(stderr, "  build_versions: %s\n", e.msg);
        catalog_close(c);
        return NULL;
    }
    snprintf(hint, hintn, "%s/ns/t/metadata/version-hint.text", wh);
    return c;
}

TEST(create_and_commit_chain_with_exact_version_hint)
{
    char wh[1100], path[1300], buf[64], expect[1300];
    catalog *c = open_hadoop("chain", wh, sizeof wh);
    catalog_table t = {0}, n = {0}, l = {0};
    i2i_error e;
    REQUIRE(c);
    CHECK_EQ_STR(c->ops->type, "hadoop");
    REQUIRE_OK(catalog_ensure_namespace(c, "db.sub", &e), &e);
    REQUIRE_OK(test_create_table(c, "db.sub", "cpu", &t, &e), &e);
    snprintf(expect, sizeof expect, "file://%s/db/sub/cpu/metadata/v1.metadata.json", wh);
    CHECK_EQ_STR(t.metadata_location, expect);
    snprintf(path, sizeof path, "%s/db/sub/cpu/metadata/version-hint.text", wh);
    CHECK_EQ_INT(slurp(path, buf, sizeof buf), 1);
    CHECK_EQ_STR(buf, "1");
    REQUIRE_OK(test_commit_next(c, "db.sub", "cpu", &t, &n, &e), &e);
    snprintf(expect, sizeof expect, "file://%s/db/sub/cpu/metadata/v2.metadata.json", wh);
    CHECK_EQ_STR(n.metadata_location, expect);
    CHECK_EQ_INT(slurp(path, buf, sizeof buf), 1);
    CHECK_EQ_STR(buf, "2"); /* exactly the digits: no trailing newline */
    REQUIRE_OK(catalog_load_table(c, "db.sub", "cpu", &l, &e), &e);
    CHECK_EQ_STR(l.metadata_location, expect);
    CHECK_EQ_INT(test_counter(l.metadata), 1);
    CHECK(json_equal(l.metadata, n.metadata));
    catalog_table_clear(&t);
    catalog_table_clear(&n);
    catalog_table_clear(&l);
    catalog_close(c);
}

TEST(hint_reaches_two_digits_without_newline)
{
    char wh[1100], path[1300], buf[64];
    catalog *c = open_with_versions("ten", 11, wh, sizeof wh, path, sizeof path);
    catalog_table l = {0};
    i2i_error e;
    REQUIRE(c);
    CHECK_EQ_INT(slurp(path, buf, sizeof buf), 2);
    CHECK_EQ_STR(buf, "12");
    REQUIRE_OK(catalog_load_table(c, "ns", "t", &l, &e), &e);
    CHECK_EQ_STR(cat_basename(l.metadata_location), "v12.metadata.json");
    CHECK_EQ_INT(test_counter(l.metadata), 11);
    catalog_table_clear(&l);
    catalog_close(c);
}

TEST(creating_an_existing_table_gives_exists)
{
    char wh[1100];
    catalog *c = open_hadoop("exists", wh, sizeof wh);
    catalog_table t = {0}, t2 = {0};
    i2i_error e;
    REQUIRE(c);
    REQUIRE_OK(test_create_table(c, "ns", "t", &t, &e), &e);
    CHECK_EQ_INT(test_create_table(c, "ns", "t", &t2, &e), I2I_ERR_EXISTS);
    CHECK(strstr(e.msg, "ns.t") != NULL);
    catalog_table_clear(&t);
    catalog_close(c);
}

TEST(commit_from_a_stale_base_conflicts)
{
    char wh[1100], mdir[1300];
    catalog *c = open_hadoop("stale", wh, sizeof wh);
    catalog_table t = {0}, a = {0}, b = {0}, ra = {0}, rb = {0}, l = {0};
    i2i_error e;
    REQUIRE(c);
    REQUIRE_OK(test_create_table(c, "ns", "t", &t, &e), &e);
    REQUIRE_OK(catalog_load_table(c, "ns", "t", &a, &e), &e);
    REQUIRE_OK(catalog_load_table(c, "ns", "t", &b, &e), &e);
    REQUIRE_OK(test_commit_next(c, "ns", "t", &a, &ra, &e), &e);
    CHECK_EQ_INT(test_commit_next(c, "ns", "t", &b, &rb, &e), I2I_ERR_CONFLICT);
    CHECK(strstr(e.msg, "v2.metadata.json") != NULL && strstr(e.msg, "ns.t") != NULL);
    REQUIRE_OK(catalog_load_table(c, "ns", "t", &l, &e), &e);
    CHECK_EQ_STR(l.metadata_location, ra.metadata_location);
    snprintf(mdir, sizeof mdir, "%s/ns/t/metadata", wh);
    CHECK_EQ_INT(test_count_files(mdir), 3); /* v1, v2, hint: the loser left no temp file */
    catalog_table_clear(&t);
    catalog_table_clear(&a);
    catalog_table_clear(&b);
    catalog_table_clear(&ra);
    catalog_table_clear(&l);
    catalog_close(c);
}

TEST(load_without_hint_lists_and_orders_versions_numerically)
{
    char wh[1100], path[1300];
    catalog *c = open_with_versions("nohint", 9, wh, sizeof wh, path, sizeof path); /* v1..v10 */
    catalog_table l = {0};
    i2i_error e;
    REQUIRE(c);
    REQUIRE(remove(path) == 0);
    REQUIRE_OK(catalog_load_table(c, "ns", "t", &l, &e), &e);
    CHECK_EQ_STR(cat_basename(l.metadata_location), "v10.metadata.json"); /* not v9 */
    CHECK_EQ_INT(test_counter(l.metadata), 9);
    catalog_table_clear(&l);
    catalog_close(c);
}

TEST(load_rolls_forward_past_a_lagging_hint)
{
    char wh[1100], path[1300];
    catalog *c = open_with_versions("lag", 3, wh, sizeof wh, path, sizeof path); /* v1..v4 */
    catalog_table l = {0};
    i2i_error e;
    REQUIRE(c);
    write_file(path, "2");
    REQUIRE_OK(catalog_load_table(c, "ns", "t", &l, &e), &e);
    CHECK_EQ_STR(cat_basename(l.metadata_location), "v4.metadata.json");
    CHECK_EQ_INT(test_counter(l.metadata), 3);
    catalog_table_clear(&l);
    catalog_close(c);
}

TEST(load_ignores_a_bad_or_dangling_hint)
{
    char wh[1100], path[1300];
    catalog *c = open_with_versions("badhint", 2, wh, sizeof wh, path, sizeof path); /* v1..v3 */
    catalog_table l = {0};
    i2i_error e;
    REQUIRE(c);
    write_file(path, "garbage");
    REQUIRE_OK(catalog_load_table(c, "ns", "t", &l, &e), &e);
    CHECK_EQ_STR(cat_basename(l.metadata_location), "v3.metadata.json");
    write_file(path, "42");
    REQUIRE_OK(catalog_load_table(c, "ns", "t", &l, &e), &e);
    CHECK_EQ_STR(cat_basename(l.metadata_location), "v3.metadata.json");
    write_file(path, "3\n"); /* other writers' newline is tolerated when reading */
    REQUIRE_OK(catalog_load_table(c, "ns", "t", &l, &e), &e);
    CHECK_EQ_STR(cat_basename(l.metadata_location), "v3.metadata.json");
    catalog_table_clear(&l);
    catalog_close(c);
}

TEST(missing_table_is_not_found_and_drop_removes_versions)
{
    char wh[1100], *loc = NULL, expect[1300];
    catalog *c = open_hadoop("drop", wh, sizeof wh);
    catalog_table l = {0};
    i2i_error e;
    REQUIRE(c);
    CHECK_EQ_INT(catalog_load_table(c, "ns", "t", &l, &e), I2I_ERR_NOT_FOUND);
    CHECK(strstr(e.msg, "ns.t") != NULL);
    REQUIRE_OK(catalog_default_location(c, "a.b", "t", &loc, &e), &e);
    snprintf(expect, sizeof expect, "file://%s/a/b/t", wh);
    CHECK_EQ_STR(loc, expect);
    free(loc);
    REQUIRE_OK(build_versions(c, "ns", "t", 2, &e), &e);
    REQUIRE_OK(catalog_drop_table(c, "ns", "t", &e), &e);
    CHECK_EQ_INT(catalog_load_table(c, "ns", "t", &l, &e), I2I_ERR_NOT_FOUND);
    CHECK_EQ_INT(catalog_drop_table(c, "ns", "t", &e), I2I_ERR_NOT_FOUND);
    /* it can be created again, from v1 */
    REQUIRE_OK(build_versions(c, "ns", "t", 0, &e), &e);
    REQUIRE_OK(catalog_load_table(c, "ns", "t", &l, &e), &e);
    CHECK_EQ_STR(cat_basename(l.metadata_location), "v1.metadata.json");
    catalog_table_clear(&l);
    catalog_close(c);
}

TEST(base_that_is_not_a_v_file_is_rejected)
{
    char wh[1100];
    catalog *c = open_hadoop("badbase", wh, sizeof wh);
    catalog_table t = {0}, n = {0};
    i2i_error e;
    REQUIRE(c);
    REQUIRE_OK(test_create_table(c, "ns", "t", &t, &e), &e);
    free(t.metadata_location);
    t.metadata_location = i2i_strdup("file:///x/00001-abc.metadata.json");
    CHECK_EQ_INT(test_commit_next(c, "ns", "t", &t, &n, &e), I2I_ERR_INVALID);
    CHECK(strstr(e.msg, "00001-abc.metadata.json") != NULL);
    catalog_table_clear(&t);
    catalog_close(c);
}
