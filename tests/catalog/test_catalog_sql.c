/*
 * The SQL catalog's behaviour, run twice from this one source: against SQLite (test_catalog_sql_
 * sqlite) and, compiled with I2I_TEST_PG, against a real PostgreSQL 15 started by pg_harness.sh
 * (test_catalog_sql_pg). Every test uses its own catalog name (PostgreSQL: one shared database) or
 * its own database file (SQLite).
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <zlib.h>

#include "catalog/catalog_internal.h"
#include "catalog_test_util.h"
#include "dbx.h"
#include "test.h"

#ifdef I2I_TEST_PG
#define BACKEND "postgresql"
#else
#define BACKEND "sqlite"
#endif

/* Config for a catalog named `name` (NULL: no "name" key, i.e. "iceberg"), with its own warehouse
 * and (SQLite) database file keyed by tag. target gets what dbx_open needs. */
static json_t *make_cfg(const char *tag, const char *name, char *target, size_t tsz)
{
    char wh[1024], uri[1200];
    json_t *cfg;
    snprintf(wh, sizeof wh, "%s/wh-%s", i2i_test_tmpdir(), tag);
#ifdef I2I_TEST_PG
    {
        const char *u = test_pg_uri();
        if (!u) return NULL;
        snprintf(target, tsz, "%s", u);
        snprintf(uri, sizeof uri, "%s", u);
    }
#else
    snprintf(target, tsz, "%s/%s.db", i2i_test_tmpdir(), tag);
    snprintf(uri, sizeof uri, "sqlite:///%s", target); /* absolute: 4 slashes */
#endif
    cfg = json_pack("{s:s, s:s}", "uri", uri, "warehouse", wh);
    if (cfg && name) json_object_set_new(cfg, "name", json_string(name));
    return cfg;
}

static catalog *open_cat(const char *tag, const char *name, char *target, size_t tsz)
{
    json_t *cfg = make_cfg(tag, name, target, tsz);
    catalog *c = NULL;
    i2i_error e;
    if (!cfg) return NULL;
    if (catalog_open(cfg, NULL, &c, &e) != 0) fprintf(stderr, "  catalog_open: %s\n", e.msg);
    json_decref(cfg);
    return c;
}

/* metadata_location|previous_metadata_location|iceberg_type of a row. */
static int row_of(dbx *d, const char *cat, const char *ns, const char *table, char *out, size_t n)
{
    const char *p[3] = {cat, ns, table};
    return dbx_query_all(d,
                         "SELECT metadata_location, previous_metadata_location, iceberg_type FROM "
                         "iceberg_tables WHERE catalog_name = $1 AND table_namespace = $2 AND "
                         "table_name = $3",
                         3, p, out, n);
}

static int is_uuid_name(const char *base, const char *version)
{
    /* NNNNN-xxxxxxxx-xxxx-4xxx-xxxx-xxxxxxxxxxxx.metadata.json */
    return strlen(base) == 5 + 1 + 36 + 14 && strncmp(base, version, 5) == 0 && base[5] == '-' &&
           base[14] == '-' && base[19] == '-' && base[20] == '4' &&
           strcmp(base + 42, ".metadata.json") == 0;
}

TEST(create_namespace_and_table_then_load)
{
    char target[1100], row[4096], wh_loc[1200], *loc = NULL;
    catalog *c = open_cat("create", "create", target, sizeof target);
    catalog_table t = {0}, l = {0};
    i2i_error e;
    dbx *d;
    const char *p[2] = {"create", "db1.sub"};
    REQUIRE(c);
    REQUIRE_OK(catalog_ensure_namespace(c, "db1.sub", &e), &e);
    REQUIRE_OK(catalog_ensure_namespace(c, "db1.sub", &e), &e); /* no error when it exists */
    REQUIRE_OK(catalog_default_location(c, "db1.sub", "cpu", &loc, &e), &e);
    snprintf(wh_loc, sizeof wh_loc, "file://%s/wh-create/db1/sub/cpu", i2i_test_tmpdir());
    CHECK_EQ_STR(loc, wh_loc);
    free(loc);
    REQUIRE_OK(test_create_table(c, "db1.sub", "cpu", &t, &e), &e);
    {
        char prefix[1300];
        snprintf(prefix, sizeof prefix, "%s/metadata/", wh_loc);
        CHECK(strncmp(t.metadata_location, prefix, strlen(prefix)) == 0);
        CHECK(is_uuid_name(cat_basename(t.metadata_location), "00000"));
    }
    REQUIRE_OK(catalog_load_table(c, "db1.sub", "cpu", &l, &e), &e);
    CHECK_EQ_STR(l.metadata_location, t.metadata_location);
    CHECK(json_equal(l.metadata, t.metadata));
    CHECK_EQ_INT(test_counter(l.metadata), 0);

    d = dbx_open(target);
    REQUIRE(d);
    CHECK_EQ_INT(dbx_query_all(d,
                               "SELECT property_key, property_value FROM "
                               "iceberg_namespace_properties WHERE catalog_name = $1 AND "
                               "namespace = $2",
                               2, p, row, sizeof row),
                 1);
    CHECK_EQ_STR(row, "exists|true");
    CHECK_EQ_INT(row_of(d, "create", "db1.sub", "cpu", row, sizeof row), 1);
    {
        char expect[2048];
        snprintf(expect, sizeof expect, "%s|(null)|TABLE", t.metadata_location);
        CHECK_EQ_STR(row, expect);
    }
    dbx_close(d);
    catalog_table_clear(&t);
    catalog_table_clear(&l);
    catalog_close(c);
}

TEST(metadata_file_is_compact_json_of_what_was_committed)
{
    char target[1100];
    catalog *c = open_cat("compact", "compact", target, sizeof target);
    catalog_table t = {0};
    i2i_error e;
    i2i_buf b = I2I_BUF_INIT;
    storage *s;
    char *expect;
    REQUIRE(c);
    REQUIRE_OK(test_create_table(c, "ns", "t", &t, &e), &e);
    REQUIRE_OK(storage_local_open(&s, &e), &e);
    REQUIRE_OK(storage_get(s, t.metadata_location, &b, &e), &e);
    expect = json_dumps(t.metadata, JSON_COMPACT | JSON_REAL_PRECISION(17));
    CHECK(b.len == strlen(expect) && memcmp(b.data, expect, b.len) == 0);
    CHECK(memchr(b.data, '\n', b.len) == NULL);
    free(expect);
    i2i_buf_free(&b);
    storage_close(s);
    catalog_table_clear(&t);
    catalog_close(c);
}

TEST(creating_an_existing_table_gives_exists_and_removes_its_file)
{
    char target[1100], *mdir;
    catalog *c = open_cat("exists", "exists", target, sizeof target);
    catalog_table t = {0}, t2 = {0};
    i2i_error e;
    REQUIRE(c);
    REQUIRE_OK(test_create_table(c, "ns", "t", &t, &e), &e);
    CHECK_EQ_INT(test_create_table(c, "ns", "t", &t2, &e), I2I_ERR_EXISTS);
    CHECK(strstr(e.msg, "ns.t") != NULL && strstr(e.msg, "exists") != NULL);
    CHECK(t2.metadata_location == NULL);
    mdir = test_dirname(t.metadata_location);
    CHECK_EQ_INT(test_count_files(mdir), 1);
    free(mdir);
    catalog_table_clear(&t);
    catalog_close(c);
}

TEST(commit_chain_numbers_versions_and_links_previous)
{
    char target[1100], row[4096], expect[4096];
    catalog *c = open_cat("chain", "chain", target, sizeof target);
    catalog_table cur = {0}, next = {0}, l = {0};
    char *locs[4] = {0};
    i2i_error e;
    dbx *d;
    int i;
    REQUIRE(c);
    REQUIRE_OK(test_create_table(c, "ns", "t", &cur, &e), &e);
    locs[0] = i2i_strdup(cur.metadata_location);
    for (i = 1; i <= 3; i++) {
        char v[8];
        REQUIRE_OK(test_commit_next(c, "ns", "t", &cur, &next, &e), &e);
        snprintf(v, sizeof v, "%05d", i);
        CHECK(is_uuid_name(cat_basename(next.metadata_location), v));
        locs[i] = i2i_strdup(next.metadata_location);
        catalog_table_clear(&cur);
        cur = next;
        memset(&next, 0, sizeof next);
    }
    REQUIRE_OK(catalog_load_table(c, "ns", "t", &l, &e), &e);
    CHECK_EQ_STR(l.metadata_location, locs[3]);
    CHECK_EQ_INT(test_counter(l.metadata), 3);
    CHECK_EQ_INT(json_array_size(json_object_get(l.metadata, "metadata-log")), 3);
    d = dbx_open(target);
    REQUIRE(d);
    CHECK_EQ_INT(row_of(d, "chain", "ns", "t", row, sizeof row), 1);
    snprintf(expect, sizeof expect, "%s|%s|TABLE", locs[3], locs[2]);
    CHECK_EQ_STR(row, expect);
    dbx_close(d);
    {
        char *mdir = test_dirname(locs[3]);
        CHECK_EQ_INT(test_count_files(mdir), 4); /* old versions stay */
        free(mdir);
    }
    for (i = 0; i < 4; i++) free(locs[i]);
    catalog_table_clear(&cur);
    catalog_table_clear(&l);
    catalog_close(c);
}

TEST(commit_from_a_stale_base_conflicts_and_removes_its_file)
{
    char target[1100], row[4096], expect[4096], *mdir;
    catalog *c = open_cat("stale", "stale", target, sizeof target);
    catalog_table t = {0}, a = {0}, b = {0}, ra = {0}, rb = {0};
    i2i_error e;
    dbx *d;
    REQUIRE(c);
    REQUIRE_OK(test_create_table(c, "ns", "t", &t, &e), &e);
    REQUIRE_OK(catalog_load_table(c, "ns", "t", &a, &e), &e);
    REQUIRE_OK(catalog_load_table(c, "ns", "t", &b, &e), &e);
    REQUIRE_OK(test_commit_next(c, "ns", "t", &a, &ra, &e), &e);
    CHECK_EQ_INT(test_commit_next(c, "ns", "t", &b, &rb, &e), I2I_ERR_CONFLICT);
    CHECK(strstr(e.msg, "ns.t") != NULL && strstr(e.msg, ra.metadata_location) != NULL);
    CHECK(rb.metadata_location == NULL);
    mdir = test_dirname(t.metadata_location);
    CHECK_EQ_INT(test_count_files(mdir), 2); /* 00000 and the winner's 00001 only */
    free(mdir);
    d = dbx_open(target);
    REQUIRE(d);
    CHECK_EQ_INT(row_of(d, "stale", "ns", "t", row, sizeof row), 1);
    snprintf(expect, sizeof expect, "%s|%s|TABLE", ra.metadata_location, t.metadata_location);
    CHECK_EQ_STR(row, expect);
    dbx_close(d);
    catalog_table_clear(&t);
    catalog_table_clear(&a);
    catalog_table_clear(&b);
    catalog_table_clear(&ra);
    catalog_close(c);
}

TEST(missing_and_dropped_tables_are_not_found)
{
    char target[1100];
    catalog *c = open_cat("drop", "drop", target, sizeof target);
    catalog_table t = {0}, l = {0}, n = {0};
    i2i_error e;
    REQUIRE(c);
    CHECK_EQ_INT(catalog_load_table(c, "ns", "nope", &l, &e), I2I_ERR_NOT_FOUND);
    CHECK(strstr(e.msg, "ns.nope") != NULL);
    REQUIRE_OK(test_create_table(c, "ns", "t", &t, &e), &e);
    REQUIRE_OK(catalog_drop_table(c, "ns", "t", &e), &e);
    CHECK_EQ_INT(catalog_load_table(c, "ns", "t", &l, &e), I2I_ERR_NOT_FOUND);
    CHECK_EQ_INT(catalog_drop_table(c, "ns", "t", &e), I2I_ERR_NOT_FOUND);
    /* committing to a dropped table says so and leaves no file behind */
    CHECK_EQ_INT(test_commit_next(c, "ns", "t", &t, &n, &e), I2I_ERR_NOT_FOUND);
    {
        char *mdir = test_dirname(t.metadata_location);
        CHECK_EQ_INT(test_count_files(mdir), 1);
        free(mdir);
    }
    catalog_table_clear(&t);
    catalog_close(c);
}

/* catalog_name of the iceberg_tables row of `table`, read straight from the database at target:
 * the row count (1 when found), -1 on error. */
static int stored_catalog_name(const char *target, const char *table, char *row, size_t n)
{
    const char *p[1] = {table};
    dbx *d = dbx_open(target);
    int rows;
    row[0] = '\0';
    if (!d) return -1;
    rows = dbx_query(d, "SELECT catalog_name FROM iceberg_tables WHERE table_name = $1", 1, p, row,
                     n);
    dbx_close(d);
    return rows;
}

TEST(catalog_name_comes_from_the_name_key_and_isolates_tables)
{
    char target[1100], row[4096];
    catalog *c = open_cat("names", "other_cat", target, sizeof target);
    catalog *c2 = open_cat("names", "third_cat", target, sizeof target);
    catalog_table t = {0}, l = {0};
    i2i_error e;
    REQUIRE(c && c2);
    CHECK_EQ_STR(c->name, "other_cat");
    REQUIRE_OK(test_create_table(c, "ns", "t_names", &t, &e), &e);
    CHECK_EQ_INT(catalog_load_table(c2, "ns", "t_names", &l, &e), I2I_ERR_NOT_FOUND);
    CHECK_EQ_INT(stored_catalog_name(target, "t_names", row, sizeof row), 1);
    CHECK_EQ_STR(row, "other_cat");
    catalog_table_clear(&t);
    catalog_close(c);
    catalog_close(c2);
}

TEST(catalog_name_defaults_to_iceberg)
{
    char target[1100], row[4096];
    catalog *c = open_cat("defname", NULL, target, sizeof target);
    catalog_table t = {0};
    i2i_error e;
    REQUIRE(c);
    CHECK_EQ_STR(c->name, "iceberg");
    REQUIRE_OK(test_create_table(c, "ns", "t_defname", &t, &e), &e);
    CHECK_EQ_INT(stored_catalog_name(target, "t_defname", row, sizeof row), 1);
    CHECK_EQ_STR(row, "iceberg");
    catalog_table_clear(&t);
    catalog_close(c);
}

TEST(namespace_rows_follow_pyiceberg_rules)
{
    char target[1100], out[4096];
    catalog *c = open_cat("nsrules", "nsrules", target, sizeof target);
    catalog_table t = {0};
    i2i_error e;
    dbx *d;
    const char *p[1] = {"nsrules"};
    REQUIRE(c);
    /* a table in x.y makes x exist (PyIceberg namespace_exists), so no row is added for x */
    REQUIRE_OK(test_create_table(c, "x.y", "t", &t, &e), &e);
    REQUIRE_OK(catalog_ensure_namespace(c, "x", &e), &e);
    REQUIRE_OK(catalog_ensure_namespace(c, "aXb.c", &e), &e);
    /* '_' is a LIKE wildcard: 'a_b' must not be taken as existing because of 'aXb.c' */
    REQUIRE_OK(catalog_ensure_namespace(c, "a_b", &e), &e);
    REQUIRE_OK(catalog_ensure_namespace(c, "a%b", &e), &e);
    d = dbx_open(target);
    REQUIRE(d);
    CHECK_EQ_INT(dbx_query_all(d,
                               "SELECT namespace, property_key, property_value FROM "
                               "iceberg_namespace_properties WHERE catalog_name = $1 ORDER BY "
                               "namespace",
                               1, p, out, sizeof out),
                 3);
    CHECK_EQ_STR(out, "a%b|exists|true\naXb.c|exists|true\na_b|exists|true"); /* 'X' < '_' */
    dbx_close(d);
    catalog_table_clear(&t);
    catalog_close(c);
}

TEST(namespace_location_property_wins_for_new_tables)
{
    char target[1100], *loc = NULL;
    catalog *c = open_cat("nsloc", "nsloc", target, sizeof target);
    i2i_error e;
    dbx *d;
    REQUIRE(c);
    d = dbx_open(target);
    REQUIRE(d);
    CHECK(dbx_exec(d, "INSERT INTO iceberg_namespace_properties VALUES ('nsloc', 'placed', "
                      "'location', 'file:///elsewhere/placed/')") == 0);
    dbx_close(d);
    REQUIRE_OK(catalog_default_location(c, "placed", "t", &loc, &e), &e);
    CHECK_EQ_STR(loc, "file:///elsewhere/placed/t");
    free(loc);
    catalog_close(c);
}

TEST(catalog_tables_ddl_matches_pyiceberg)
{
    char target[1100], out[8192];
    catalog *c = open_cat("ddl", "ddl", target, sizeof target);
    dbx *d;
    REQUIRE(c);
    d = dbx_open(target);
    REQUIRE(d);
#ifdef I2I_TEST_PG
    /* What SQLAlchemy issues for PyIceberg's models on PostgreSQL: String(n) -> VARCHAR(n). */
    CHECK(dbx_query_all(d,
                        "SELECT column_name, data_type, character_maximum_length, is_nullable FROM "
                        "information_schema.columns WHERE table_name = 'iceberg_tables' ORDER BY "
                        "ordinal_position",
                        0, NULL, out, sizeof out) == 6);
    CHECK_EQ_STR(out, "catalog_name|character varying|255|NO\n"
                      "table_namespace|character varying|255|NO\n"
                      "table_name|character varying|255|NO\n"
                      "metadata_location|character varying|1000|YES\n"
                      "previous_metadata_location|character varying|1000|YES\n"
                      "iceberg_type|character varying|5|YES");
    CHECK(dbx_query_all(d,
                        "SELECT column_name, data_type, character_maximum_length, is_nullable FROM "
                        "information_schema.columns WHERE table_name = "
                        "'iceberg_namespace_properties' ORDER BY ordinal_position",
                        0, NULL, out, sizeof out) == 4);
    CHECK_EQ_STR(out, "catalog_name|character varying|255|NO\n"
                      "namespace|character varying|255|NO\n"
                      "property_key|character varying|255|NO\n"
                      "property_value|character varying|1000|NO");
    CHECK(dbx_query_all(d,
                        "SELECT k.table_name, k.column_name, k.ordinal_position FROM "
                        "information_schema.table_constraints c JOIN "
                        "information_schema.key_column_usage k ON c.constraint_name = "
                        "k.constraint_name AND c.table_name = k.table_name WHERE c.constraint_type "
                        "= 'PRIMARY KEY' AND c.table_name IN ('iceberg_tables', "
                        "'iceberg_namespace_properties') ORDER BY k.table_name, k.ordinal_position",
                        0, NULL, out, sizeof out) == 6);
    CHECK_EQ_STR(out, "iceberg_namespace_properties|catalog_name|1\n"
                      "iceberg_namespace_properties|namespace|2\n"
                      "iceberg_namespace_properties|property_key|3\n"
                      "iceberg_tables|catalog_name|1\n"
                      "iceberg_tables|table_namespace|2\n"
                      "iceberg_tables|table_name|3");
#else
    /* PRAGMA table_info: cid|name|type|notnull|dflt_value|pk, as SQLAlchemy's DDL creates it. */
    CHECK(dbx_query_all(d, "PRAGMA table_info(iceberg_tables)", 0, NULL, out, sizeof out) == 6);
    CHECK_EQ_STR(out, "0|catalog_name|VARCHAR(255)|1|(null)|1\n"
                      "1|table_namespace|VARCHAR(255)|1|(null)|2\n"
                      "2|table_name|VARCHAR(255)|1|(null)|3\n"
                      "3|metadata_location|VARCHAR(1000)|0|(null)|0\n"
                      "4|previous_metadata_location|VARCHAR(1000)|0|(null)|0\n"
                      "5|iceberg_type|VARCHAR(5)|0|(null)|0");
    CHECK(dbx_query_all(d, "PRAGMA table_info(iceberg_namespace_properties)", 0, NULL, out,
                        sizeof out) == 4);
    CHECK_EQ_STR(out, "0|catalog_name|VARCHAR(255)|1|(null)|1\n"
                      "1|namespace|VARCHAR(255)|1|(null)|2\n"
                      "2|property_key|VARCHAR(255)|1|(null)|3\n"
                      "3|property_value|VARCHAR(1000)|1|(null)|0");
#endif
    dbx_close(d);
    catalog_close(c);
}

/* A fresh database with nothing in it: SQLite a new file, PostgreSQL a new database. */
static int fresh_database(const char *tag, char *uri, size_t n, char *target, size_t tn)
{
#ifdef I2I_TEST_PG
    const char *base = test_pg_uri();
    char sql[256];
    const char *slash;
    dbx *d;
    if (!base) return -1;
    d = dbx_open(base);
    if (!d) return -1;
    snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS i2i_%s", tag);
    dbx_exec(d, sql);
    snprintf(sql, sizeof sql, "CREATE DATABASE i2i_%s", tag);
    if (dbx_exec(d, sql) != 0) {
        dbx_close(d);
        return -1;
    }
    dbx_close(d);
    slash = strrchr(base, '/');
    snprintf(uri, n, "%.*s/i2i_%s", (int)(slash - base), base, tag);
    snprintf(target, tn, "%s", uri);
#else
    snprintf(target, tn, "%s/%s.db", i2i_test_tmpdir(), tag);
    snprintf(uri, n, "sqlite:///%s", target);
#endif
    return 0;
}

TEST(without_init_catalog_tables_errors_name_the_statement)
{
    char uri[1300], target[1200];
    json_t *cfg;
    catalog *c = NULL;
    catalog_table t = {0};
    i2i_error e;
    REQUIRE(fresh_database("noinit", uri, sizeof uri, target, sizeof target) == 0);
    cfg = json_pack("{s:s, s:s, s:s}", "uri", uri, "warehouse", i2i_test_tmpdir(),
                    "init_catalog_tables", "false");
    REQUIRE_OK(catalog_open(cfg, NULL, &c, &e), &e);
    json_decref(cfg);
    CHECK(catalog_load_table(c, "ns", "t", &t, &e) < 0);
    fprintf(stderr, "  (expected error: %s)\n", e.msg);
    CHECK(strstr(e.msg, "catalog 'iceberg'") != NULL);
    CHECK(strstr(e.msg, "SELECT metadata_location") != NULL);
#ifdef I2I_TEST_PG
    CHECK(strstr(e.msg, "relation \"iceberg_tables\" does not exist") != NULL);
#else
    CHECK(strstr(e.msg, "no such table: iceberg_tables") != NULL);
#endif
    catalog_close(c);
}

TEST(catalog_created_without_iceberg_type_column_still_works)
{
    /* Older PyIceberg (and Java's V0 schema) create iceberg_tables without iceberg_type. */
    char uri[1300], target[1200], row[4096], expect[4096];
    json_t *cfg;
    catalog *c = NULL;
    catalog_table t = {0}, n = {0}, l = {0};
    i2i_error e;
    dbx *d;
    REQUIRE(fresh_database("v0schema", uri, sizeof uri, target, sizeof target) == 0);
    d = dbx_open(target);
    REQUIRE(d);
    CHECK(dbx_exec(d, "CREATE TABLE iceberg_tables (catalog_name VARCHAR(255) NOT NULL, "
                      "table_namespace VARCHAR(255) NOT NULL, table_name VARCHAR(255) NOT NULL, "
                      "metadata_location VARCHAR(1000), previous_metadata_location VARCHAR(1000), "
                      "PRIMARY KEY (catalog_name, table_namespace, table_name))") == 0);
    cfg = json_pack("{s:s, s:s}", "uri", uri, "warehouse", i2i_test_tmpdir());
    REQUIRE_OK(catalog_open(cfg, NULL, &c, &e), &e);
    json_decref(cfg);
    REQUIRE_OK(test_create_table(c, "v0", "t", &t, &e), &e);
    REQUIRE_OK(test_commit_next(c, "v0", "t", &t, &n, &e), &e);
    REQUIRE_OK(catalog_load_table(c, "v0", "t", &l, &e), &e);
    CHECK_EQ_STR(l.metadata_location, n.metadata_location);
    {
        const char *p[1] = {"t"};
        CHECK_EQ_INT(dbx_query_all(d,
                                   "SELECT metadata_location, previous_metadata_location FROM "
                                   "iceberg_tables WHERE table_name = $1",
                                   1, p, row, sizeof row),
                     1);
        snprintf(expect, sizeof expect, "%s|%s", n.metadata_location, t.metadata_location);
        CHECK_EQ_STR(row, expect);
    }
    dbx_close(d);
    catalog_table_clear(&t);
    catalog_table_clear(&n);
    catalog_table_clear(&l);
    catalog_close(c);
}

/* A fault hook that fails at one named point (for this catalog only). */
static int fail_at_point(void *ctx, const char *point, i2i_error *err)
{
    if (strcmp(point, (const char *)ctx) != 0) return I2I_OK;
    return i2i_error_set(err, I2I_ERR_TRANSIENT, "injected at %s", point);
}

/* test_commit_next of ns.t on base with a fault at `point` injected for that commit only. */
static int commit_next_with_fault(catalog *c, const char *point, const catalog_table *base,
                                  catalog_table *out, i2i_error *e)
{
    i2i_fault f = {fail_at_point, (void *)point};
    int rc;
    catalog_set_fault(c, &f);
    rc = test_commit_next(c, "ns", "t", base, out, e);
    catalog_set_fault(c, NULL);
    return rc;
}

TEST(lost_reply_after_commit_is_confirmed_by_rereading_the_row)
{
    char target[1100], row[4096], expect[4096];
    catalog *c = open_cat("lostreply", "lostreply", target, sizeof target);
    catalog_table t = {0}, n = {0}, n2 = {0};
    i2i_error e;
    dbx *d;
    REQUIRE(c);
    REQUIRE_OK(test_create_table(c, "ns", "t", &t, &e), &e);
    REQUIRE_OK(commit_next_with_fault(c, "sql.after-commit", &t, &n, &e), &e);
    d = dbx_open(target);
    REQUIRE(d);
    CHECK_EQ_INT(row_of(d, "lostreply", "ns", "t", row, sizeof row), 1);
    snprintf(expect, sizeof expect, "%s|%s|TABLE", n.metadata_location, t.metadata_location);
    CHECK_EQ_STR(row, expect);
    dbx_close(d);
    /* the catalog reconnected: the next commit works */
    CHECK_OK(test_commit_next(c, "ns", "t", &n, &n2, &e), &e);
    catalog_table_clear(&t);
    catalog_table_clear(&n);
    catalog_table_clear(&n2);
    catalog_close(c);
}

/* A commit failing at `point` is I2I_ERR_TRANSIENT and not applied: the row still points at
 * the base, our unpublished metadata file is gone, and retrying from the same base succeeds. */
static void fault_is_transient_and_not_applied(const char *tag, const char *point, const char *says)
{
    char target[1100], row[4096], expect[4096], *mdir;
    catalog *c = open_cat(tag, tag, target, sizeof target);
    catalog_table t = {0}, n = {0}, n2 = {0};
    i2i_error e;
    dbx *d;
    REQUIRE(c);
    REQUIRE_OK(test_create_table(c, "ns", "t", &t, &e), &e);
    CHECK_EQ_INT(commit_next_with_fault(c, point, &t, &n, &e), I2I_ERR_TRANSIENT);
    CHECK(i2i_status_retryable(e.code));
    CHECK(strstr(e.msg, says) != NULL);
    d = dbx_open(target);
    REQUIRE(d);
    CHECK_EQ_INT(row_of(d, tag, "ns", "t", row, sizeof row), 1);
    snprintf(expect, sizeof expect, "%s|(null)|TABLE", t.metadata_location);
    CHECK_EQ_STR(row, expect);
    mdir = test_dirname(t.metadata_location);
    CHECK_EQ_INT(test_count_files(mdir), 1); /* our unpublished file was removed */
    free(mdir);
    CHECK_OK(test_commit_next(c, "ns", "t", &t, &n2, &e), &e);
    CHECK_EQ_INT(row_of(d, tag, "ns", "t", row, sizeof row), 1);
    snprintf(expect, sizeof expect, "%s|%s|TABLE", n2.metadata_location, t.metadata_location);
    CHECK_EQ_STR(row, expect);
    dbx_close(d);
    catalog_table_clear(&t);
    catalog_table_clear(&n2);
    catalog_close(c);
}

TEST(connection_dropped_before_commit_is_not_applied_and_retryable)
{
    fault_is_transient_and_not_applied("dropconn", "sql.before-commit", "not applied");
}

TEST(busy_database_at_the_swap_is_transient_and_not_applied)
{
    fault_is_transient_and_not_applied("busy", "sql.before-update", "injected at sql.before-update");
}

TEST(gzip_compressed_metadata_is_readable)
{
    char target[1100], path[1200], loc[1300], *mdir, *text;
    catalog *c = open_cat("gzip", "gzip", target, sizeof target);
    catalog_table t = {0}, l = {0};
    i2i_error e;
    gzFile gz;
    dbx *d;
    const char *p[2];
    REQUIRE(c);
    REQUIRE_OK(test_create_table(c, "ns", "t", &t, &e), &e);
    mdir = test_dirname(t.metadata_location);
    snprintf(path, sizeof path, "%s/00001-0b8e5d3c-8a47-4f4e-9d43-5d4a1c2b3e4f.gz.metadata.json",
             storage_local_path(mdir));
    snprintf(loc, sizeof loc, "file://%s", path);
    text = json_dumps(t.metadata, JSON_INDENT(2));
    gz = gzopen(path, "wb");
    REQUIRE(gz && text);
    gzputs(gz, text);
    gzclose(gz);
    free(text);
    d = dbx_open(target);
    REQUIRE(d);
    p[0] = loc;
    p[1] = "gzip";
    {
        char ignored[64];
        CHECK(dbx_query_all(d,
                            "UPDATE iceberg_tables SET metadata_location = $1 WHERE catalog_name "
                            "= $2",
                            2, p, ignored, sizeof ignored) == 0);
    }
    dbx_close(d);
    REQUIRE_OK(catalog_load_table(c, "ns", "t", &l, &e), &e);
    CHECK_EQ_STR(l.metadata_location, loc);
    CHECK(json_equal(l.metadata, t.metadata));
    free(mdir);
    catalog_table_clear(&t);
    catalog_table_clear(&l);
    catalog_close(c);
}

TEST(corrupt_metadata_file_error_names_the_file)
{
    char target[1100];
    catalog *c = open_cat("corrupt", "corrupt", target, sizeof target);
    catalog_table t = {0}, l = {0};
    i2i_error e;
    storage *s;
    REQUIRE(c);
    REQUIRE_OK(test_create_table(c, "ns", "t", &t, &e), &e);
    REQUIRE_OK(storage_local_open(&s, &e), &e);
    REQUIRE_OK(storage_put(s, t.metadata_location, "{\"format-version\":", 18, &e), &e);
    CHECK_EQ_INT(catalog_load_table(c, "ns", "t", &l, &e), I2I_ERR_FORMAT);
    CHECK(strstr(e.msg, t.metadata_location) != NULL && strstr(e.msg, "ns.t") != NULL);
    REQUIRE_OK(storage_remove(s, t.metadata_location, &e), &e);
    CHECK_EQ_INT(catalog_load_table(c, "ns", "t", &l, &e), I2I_ERR_NOT_FOUND);
    CHECK(strstr(e.msg, t.metadata_location) != NULL);
    storage_close(s);
    catalog_table_clear(&t);
    catalog_close(c);
}

#ifdef I2I_TEST_PG
TEST(wrong_password_is_an_auth_error_that_does_not_show_it)
{
    const char *u = test_pg_uri();
    char uri[1200];
    const char *at, *colon;
    json_t *cfg;
    catalog *c = NULL;
    i2i_error e;
    REQUIRE(u);
    /* postgresql://postgres:<pw>@host:port/db -> same with a wrong password */
    at = strrchr(u, '@');
    colon = strchr(u + strlen("postgresql://"), ':');
    REQUIRE(at && colon && colon < at);
    snprintf(uri, sizeof uri, "%.*sWr0ngPassw0rd%s", (int)(colon + 1 - u), u, at);
    cfg = json_pack("{s:s, s:s}", "uri", uri, "warehouse", i2i_test_tmpdir());
    CHECK_EQ_INT(catalog_open(cfg, NULL, &c, &e), I2I_ERR_AUTH);
    json_decref(cfg);
    fprintf(stderr, "  (expected error: %s)\n", e.msg);
    CHECK(strstr(e.msg, "Wr0ngPassw0rd") == NULL);
    CHECK(strstr(e.msg, "password authentication failed") != NULL);
    CHECK(strstr(e.msg, "postgres:***@127.0.0.1") != NULL);
    /* nor the real one, anywhere in what we print */
    {
        char *real = sql_uri_password(u, 1);
        REQUIRE(real);
        CHECK(strstr(e.msg, real) == NULL);
        free(real);
    }
}

TEST(psycopg2_style_uri_with_query_parameters_connects)
{
    const char *u = test_pg_uri();
    char uri[1300];
    json_t *cfg;
    catalog *c = NULL;
    catalog_table t = {0};
    i2i_error e;
    REQUIRE(u);
    snprintf(uri, sizeof uri, "postgresql+psycopg2%s?sslmode=disable&connect_timeout=5",
             strstr(u, "://"));
    cfg = json_pack("{s:s, s:s, s:s}", "uri", uri, "warehouse", i2i_test_tmpdir(), "name",
                    "psycopg");
    REQUIRE_OK(catalog_open(cfg, NULL, &c, &e), &e);
    json_decref(cfg);
    REQUIRE_OK(test_create_table(c, "ns", "t", &t, &e), &e);
    catalog_table_clear(&t);
    catalog_close(c);
}
#endif
