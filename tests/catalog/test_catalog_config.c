/*
 * catalog_open and the facade, without a database server: type inference from the uri, sqlite
 * paths relative to base_dir, warehouse normalisation, the embedded default, name validation, and
 * that a password in a PostgreSQL URI never appears in an error message.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "catalog/catalog_internal.h"
#include "catalog_test_util.h"
#include "test.h"

static int open_json(const char *json, const char *base_dir, catalog **c, i2i_error *e)
{
    json_error_t je;
    json_t *cfg = json_loads(json, 0, &je);
    int rc;
    if (!cfg) {
        fprintf(stderr, "  bad test JSON: %s\n", je.text);
        return -999;
    }
    rc = catalog_open(cfg, base_dir, c, e);
    json_decref(cfg);
    return rc;
}

static int file_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

TEST(type_is_inferred_from_the_uri_like_pyiceberg)
{
    catalog *c = NULL;
    i2i_error e;
    char json[2048];
    snprintf(json, sizeof json, "{\"uri\": \"sqlite:////%s/infer.db\"}", i2i_test_tmpdir() + 1);
    REQUIRE_OK(open_json(json, NULL, &c, &e), &e);
    CHECK_EQ_STR(c->ops->type, "sql");
    catalog_close(c);
    /* http(s) -> rest: shown without network by a key only the REST back-end refuses */
    CHECK_EQ_INT(open_json("{\"uri\": \"https://rest.example\", \"rest.sigv4-enabled\": "
                           "\"yes\"}",
                           NULL, &c, &e),
                 I2I_ERR_INVALID);
    CHECK(strstr(e.msg, "rest.sigv4-enabled") != NULL);
    CHECK_EQ_INT(open_json("{\"warehouse\": \"/tmp/x\"}", NULL, &c, &e), I2I_ERR_INVALID);
    CHECK(strstr(e.msg, "type") != NULL);
    CHECK_EQ_INT(open_json("{\"type\": \"hadoop\"}", NULL, &c, &e), I2I_ERR_INVALID);
    CHECK(strstr(e.msg, "warehouse") != NULL);
    CHECK_EQ_INT(open_json("{\"type\": \"sql\"}", NULL, &c, &e), I2I_ERR_INVALID);
    CHECK(strstr(e.msg, "uri") != NULL);
    CHECK_EQ_INT(open_json("{\"type\": \"glue\"}", NULL, &c, &e), I2I_ERR_UNSUPPORTED);
    CHECK(strstr(e.msg, "glue") != NULL);
    CHECK_EQ_INT(open_json("[1]", NULL, &c, &e), I2I_ERR_INVALID);
}

TEST(relative_sqlite_uri_and_warehouse_resolve_against_base_dir)
{
    catalog *c = NULL;
    i2i_error e;
    char path[1200], *loc = NULL, expect[1300];
    REQUIRE_OK(open_json("{\"type\": \"SQL\", \"uri\": \"sqlite:///iceberg/catalog.db\", "
                         "\"warehouse\": \"./iceberg/wh/\"}",
                         i2i_test_tmpdir(), &c, &e),
               &e);
    snprintf(path, sizeof path, "%s/iceberg/catalog.db", i2i_test_tmpdir());
    CHECK(file_exists(path));
    REQUIRE_OK(catalog_default_location(c, "a.b", "t", &loc, &e), &e);
    snprintf(expect, sizeof expect, "file://%s/iceberg/wh/a/b/t", i2i_test_tmpdir());
    CHECK_EQ_STR(loc, expect);
    free(loc);
    catalog_close(c);
}

TEST(file_uri_warehouse_forms_are_normalised)
{
    catalog *c = NULL;
    i2i_error e;
    char json[2048], *loc = NULL, expect[1300];
    snprintf(json, sizeof json,
             "{\"uri\": \"sqlite:///forms.db\", \"warehouse\": \"file:%s/fw\"}", i2i_test_tmpdir());
    REQUIRE_OK(open_json(json, i2i_test_tmpdir(), &c, &e), &e);
    REQUIRE_OK(catalog_default_location(c, "ns", "t", &loc, &e), &e);
    snprintf(expect, sizeof expect, "file://%s/fw/ns/t", i2i_test_tmpdir());
    CHECK_EQ_STR(loc, expect);
    free(loc);
    catalog_close(c);
}

TEST(s3_warehouse_without_a_key_id_is_a_clear_error)
{
    catalog *c = NULL;
    i2i_error e;
    char json[2048];
    snprintf(json, sizeof json,
             "{\"uri\": \"sqlite:///s3.db\", \"warehouse\": \"s3://bucket/wh\", "
             "\"s3.secret-access-key\": \"VerySecretKeyValue\"}");
    unsetenv("AWS_ACCESS_KEY_ID"); /* the fallback would supply one */
    CHECK_EQ_INT(open_json(json, i2i_test_tmpdir(), &c, &e), I2I_ERR_AUTH);
    CHECK(strstr(e.msg, "s3://bucket/wh") != NULL);
    CHECK(strstr(e.msg, "s3.access-key-id") != NULL);
    CHECK(strstr(e.msg, "VerySecretKeyValue") == NULL);
    /* FileIO secrets in the config are registered for redaction */
    {
        char line[] = "key=VerySecretKeyValue";
        i2i_redact_in_place(line);
        CHECK_EQ_STR(line, "key=***");
    }
}

TEST(default_catalog_is_sqlite_in_dir_with_warehouse_dir)
{
    catalog *c = NULL;
    i2i_error e;
    char dir[1100], path[1200], *loc = NULL, expect[1300];
    catalog_table t = {0};
    catalog_commit_request req = {NULL, NULL, NULL, NULL};
    json_t *md;
    snprintf(dir, sizeof dir, "%s/embedded/warehouse", i2i_test_tmpdir());
    REQUIRE_OK(catalog_open_default(dir, &c, &e), &e);
    CHECK_EQ_STR(c->ops->type, "sql");
    CHECK_EQ_STR(c->name, "iceberg");
    snprintf(path, sizeof path, "%s/catalog.db", dir);
    CHECK(file_exists(path));
    REQUIRE_OK(catalog_default_location(c, "db", "cpu", &loc, &e), &e);
    snprintf(expect, sizeof expect, "file://%s/db/cpu", dir);
    CHECK_EQ_STR(loc, expect);
    md = test_metadata(loc, 0);
    req.new_metadata = md;
    REQUIRE_OK(catalog_commit(c, "db", "cpu", &req, &t, &e), &e);
    CHECK(strncmp(t.metadata_location, expect, strlen(expect)) == 0);
    json_decref(md);
    free(loc);
    catalog_table_clear(&t);
    catalog_close(c);
}

TEST(invalid_names_are_rejected_before_reaching_the_catalog)
{
    catalog *c = NULL;
    i2i_error e;
    char dir[1100], *loc = NULL;
    catalog_table t = {0};
    snprintf(dir, sizeof dir, "%s/names", i2i_test_tmpdir());
    REQUIRE_OK(catalog_open_default(dir, &c, &e), &e);
    CHECK_EQ_INT(catalog_default_location(c, "ns", "a/b", &loc, &e), I2I_ERR_INVALID);
    CHECK(strstr(e.msg, "a/b") != NULL);
    CHECK_EQ_INT(catalog_default_location(c, "ns", "..", &loc, &e), I2I_ERR_INVALID);
    CHECK_EQ_INT(catalog_load_table(c, "a..b", "t", &t, &e), I2I_ERR_INVALID);
    CHECK_EQ_INT(catalog_load_table(c, "", "t", &t, &e), I2I_ERR_INVALID);
    CHECK_EQ_INT(catalog_ensure_namespace(c, "x/y", &e), I2I_ERR_INVALID);
    CHECK_EQ_INT(catalog_load_table(c, "ns", "", &t, &e), I2I_ERR_INVALID);
    catalog_close(c);
}

/* Open a PostgreSQL catalog at a port nothing listens on: the connection fails and the message
 * must carry the masked URI and libpq's reason, never the password. */
static void check_pg_failure_hides(const char *uri, const char *secret)
{
    json_t *cfg = json_pack("{s:s, s:s}", "uri", uri, "name", "pgcat");
    catalog *c = NULL;
    i2i_error e;
    int rc = catalog_open(cfg, NULL, &c, &e);
    json_decref(cfg);
    CHECK(rc < 0);
    CHECK(c == NULL);
    fprintf(stderr, "  (expected error: %s)\n", e.msg);
    CHECK(strstr(e.msg, secret) == NULL);
    CHECK(strstr(e.msg, "pgcat") != NULL);
    catalog_close(c);
}

TEST(passwords_never_appear_in_errors)
{
    i2i_log_clear_secrets(); /* prove the catalog registers them itself */
    check_pg_failure_hides("postgresql://alice:Sup3rSecretPw@127.0.0.1:1/db", "Sup3rSecretPw");
    check_pg_failure_hides("postgresql+psycopg2://alice:Sup3rSecretPw2@127.0.0.1:1/db?sslmode="
                           "disable",
                           "Sup3rSecretPw2");
    /* percent-encoded password: neither form may show */
    check_pg_failure_hides("postgresql://alice:p%40ssW0rdEnc@127.0.0.1:1/db", "p%40ssW0rdEnc");
    check_pg_failure_hides("postgresql://alice:p%40ssW0rdEnc@127.0.0.1:1/db", "p@ssW0rdEnc");
    /* a malformed URI makes libpq quote it back; the password must still be masked */
    check_pg_failure_hides("postgresql://alice:bad%zzSecret9@127.0.0.1:1/db", "bad%zzSecret9");
    /* a password given as a query parameter */
    check_pg_failure_hides("postgresql://alice@127.0.0.1:1/db?password=QuerySecret77",
                           "QuerySecret77");
    /* and they are redacted from log lines too */
    {
        char line[] = "x Sup3rSecretPw y p@ssW0rdEnc z QuerySecret77";
        i2i_redact_in_place(line);
        CHECK_EQ_STR(line, "x *** y *** z ***");
    }
}

TEST(connection_failure_message_names_catalog_and_server)
{
    json_t *cfg = json_pack("{s:s}", "uri", "postgresql://bob:Hunter2Hunter2@127.0.0.1:1/mydb");
    catalog *c = NULL;
    i2i_error e;
    CHECK(catalog_open(cfg, NULL, &c, &e) < 0);
    json_decref(cfg);
    CHECK(strstr(e.msg, "catalog 'iceberg'") != NULL);
    CHECK(strstr(e.msg, "postgresql://bob:***@127.0.0.1:1/mydb") != NULL);
    CHECK(strstr(e.msg, "connect") != NULL);
}

TEST(uri_password_helpers)
{
    char *p = sql_uri_password("postgresql://u:p%41ss@h:5/db", 0), *m;
    CHECK_EQ_STR(p, "p%41ss");
    free(p);
    p = sql_uri_password("postgresql://u:p%41ss@h:5/db", 1);
    CHECK_EQ_STR(p, "pAss");
    free(p);
    CHECK(sql_uri_password("postgresql://u@h/db", 0) == NULL);
    CHECK(sql_uri_password("postgresql://h/db?x=@y", 0) == NULL);
    m = sql_uri_masked("postgresql+psycopg2://u:secret@h:5/db?sslmode=require&password=x1&a=b");
    CHECK_EQ_STR(m, "postgresql+psycopg2://u:***@h:5/db?sslmode=require&password=***&a=b");
    free(m);
    m = sql_uri_masked("postgresql://h/db");
    CHECK_EQ_STR(m, "postgresql://h/db");
    free(m);
}

TEST(sqlite_errors_name_the_database_file)
{
    catalog *c = NULL;
    i2i_error e;
    char dir[1100], json[2048];
    /* a directory where the database file should be */
    snprintf(dir, sizeof dir, "%s/dbdir.db", i2i_test_tmpdir());
    REQUIRE(mkdir(dir, 0755) == 0);
    snprintf(json, sizeof json, "{\"uri\": \"sqlite:///%s\"}", dir);
    CHECK(open_json(json, NULL, &c, &e) < 0);
    CHECK(strstr(e.msg, dir) != NULL);
    CHECK(strstr(e.msg, "catalog 'iceberg'") != NULL);
}

TEST(a_type_the_uri_contradicts_says_what_to_write)
{
    catalog *c = NULL;
    i2i_error e;
    CHECK_EQ_INT(open_json("{\"type\": \"sql\", \"uri\": \"http://nessie:9000\"}", NULL, &c, &e),
                 I2I_ERR_INVALID);
    CHECK(strstr(e.msg, "\"type\": \"rest\"") != NULL);
    CHECK(strstr(e.msg, "sqlite:///") != NULL);
    CHECK_EQ_INT(open_json("{\"type\": \"rest\", \"uri\": \"sqlite:///x.db\"}", NULL, &c, &e),
                 I2I_ERR_INVALID);
    CHECK(strstr(e.msg, "\"type\": \"sql\"") != NULL);
    CHECK(c == NULL);
}

static char warned[4096];
static void record_warning(void *ctx, i2i_log_level level, const char *line)
{
    (void)ctx;
    if (level == I2I_LOG_WARN && strlen(warned) + strlen(line) + 2 < sizeof warned) {
        strcat(warned, line);
        strcat(warned, "\n");
    }
}

TEST(unknown_keys_are_warned_about_by_name_not_value)
{
    catalog *c = NULL;
    i2i_error e;
    char json[2048];
    warned[0] = '\0';
    i2i_log_set_sink(record_warning, NULL);
    snprintf(json, sizeof json,
             "{\"uri\": \"sqlite:////%s/warn.db\", \"warehous\": \"/tmp/typo\", "
             "\"tokn\": \"s3cr3t-value-1\", \"s3.region\": \"us-east-1\"}",
             i2i_test_tmpdir() + 1);
    CHECK_OK(open_json(json, NULL, &c, &e), &e);
    catalog_close(c);
    i2i_log_set_sink(NULL, NULL);
    CHECK(strstr(warned, "\"warehous\"") != NULL);
    CHECK(strstr(warned, "\"tokn\"") != NULL);
    CHECK(strstr(warned, "s3.region") == NULL);
    CHECK(strstr(warned, "s3cr3t-value-1") == NULL);
}
