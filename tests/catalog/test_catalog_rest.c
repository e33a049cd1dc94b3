/*
 * The REST catalog against tests/catalog/rest_standin.py (ctest starts it; it hands over
 * I2I_TEST_REST_URI, _WAREHOUSE and _TOKEN, _CREDENTIAL or _SIGV4). Run three times: with a
 * static token, with OAuth2 client credentials whose tokens live 2 s, and with SigV4-signed
 * requests (access key, secret, region and session token; the stand-in recomputes every
 * signature).
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "catalog/catalog_internal.h"
#include "http/http.h"
#include "test.h"

static const char *env(const char *k)
{
    const char *v = getenv(k);
    if (!v || !*v) fprintf(stderr, "  %s is not set: run through rest_standin.py (ctest does)\n", k);
    return v && *v ? v : NULL;
}

static json_t *configs(void)
{
    const char *uri = env("I2I_TEST_REST_URI"), *wh = env("I2I_TEST_REST_WAREHOUSE");
    const char *tok = getenv("I2I_TEST_REST_TOKEN"), *cred = getenv("I2I_TEST_REST_CREDENTIAL");
    json_t *c;
    if (!uri || !wh) return NULL;
    c = json_pack("{s:s, s:s, s:s}", "type", "rest", "uri", uri, "warehouse", wh);
    if (tok) json_object_set_new(c, "token", json_string(tok));
    if (cred) {
        json_object_set_new(c, "credential", json_string(cred));
        json_object_set_new(c, "scope", json_string("catalog"));
    }
    if (getenv("I2I_TEST_REST_SIGV4")) {
        /* ACCESS:SECRET:REGION[:SESSION_TOKEN] */
        char *v = i2i_strdup(getenv("I2I_TEST_REST_SIGV4")), *p[4] = {0}, *save = NULL;
        int i;
        p[0] = strtok_r(v, ":", &save);
        for (i = 1; i < 4; i++) p[i] = strtok_r(NULL, ":", &save);
        json_object_set_new(c, "rest.sigv4-enabled", json_true());
        json_object_set_new(c, "rest.access-key-id", json_string(p[0]));
        json_object_set_new(c, "rest.secret-access-key", json_string(p[1]));
        json_object_set_new(c, "rest.signing-region", json_string(p[2]));
        if (p[3]) json_object_set_new(c, "rest.session-token", json_string(p[3]));
        free(v);
    }
    return c;
}

static catalog *open_rest(i2i_error *e)
{
    json_t *cfg = configs();
    catalog *c = NULL;
    if (!cfg) return NULL;
    if (catalog_open(cfg, NULL, &c, e) != 0) fprintf(stderr, "  catalog_open: %s\n", e->msg);
    json_decref(cfg);
    return c;
}

/* Without a warehouse (the client's or /v1/config's), like Iceberg's own REST fixture. */
static catalog *open_rest_without_warehouse(i2i_error *e)
{
    json_t *cfg = configs();
    catalog *c = NULL;
    if (!cfg) return NULL;
    json_object_del(cfg, "warehouse");
    if (catalog_open(cfg, NULL, &c, e) != 0) fprintf(stderr, "  catalog_open: %s\n", e->msg);
    json_decref(cfg);
    return c;
}

/* Talk to the stand-in's test-only endpoints: POST when body != NULL. */
static json_t *standin(const char *path, const char *body)
{
    http_config hc;
    http_client *h = NULL;
    http_request rq;
    http_collect col;
    http_sink sink;
    i2i_buf out = I2I_BUF_INIT, url = I2I_BUF_INIT;
    i2i_error e;
    json_t *j = NULL;
    http_config_defaults(&hc);
    hc.retry.max_retries = 0;
    if (http_client_open(&hc, &h, &e) != 0) return NULL;
    i2i_buf_printf(&url, "%s%s", getenv("I2I_TEST_REST_URI"), path);
    http_collect_sink(&col, &out, 1 << 20, &sink);
    memset(&rq, 0, sizeof rq);
    rq.url = i2i_buf_cstr(&url);
    rq.body = body;
    rq.body_len = body ? strlen(body) : 0;
    rq.sink = &sink;
    rq.what = "stand-in control";
    if (http_perform(h, &rq, NULL, NULL, &e) == 0)
        j = json_loadb((const char *)out.data, out.len, 0, NULL);
    else
        fprintf(stderr, "  stand-in: %s\n", e.msg);
    http_client_close(h);
    i2i_buf_free(&out);
    i2i_buf_free(&url);
    return j;
}

static void inject(const char *fault)
{
    char body[128];
    snprintf(body, sizeof body, "{\"commit\": [\"%s\"]}", fault);
    json_decref(standin("/_standin/faults", body));
}

static long stat_of(const char *key)
{
    json_t *j = standin("/_standin/stats", NULL);
    long v = j ? (long)json_integer_value(json_object_get(j, key)) : -1;
    json_decref(j);
    return v;
}

/* Complete metadata for a new table, as iceberg_table_create hands it to the catalog. */
static json_t *new_metadata(const char *location)
{
    return json_pack(
        "{s:i, s:s, s:s, s:I, s:I, s:i, s:i, s:[{s:s, s:i, s:[{s:i, s:s, s:b, s:s}, {s:i, s:s, "
        "s:b, s:s}]}], s:i, s:[{s:i, s:[]}], s:i, s:i, s:[{s:i, s:[]}], s:{s:s}, s:[], s:[]}",
        "format-version", 2, "table-uuid", "9c12d441-03fe-4693-9a96-a0705ddf69c1", "location",
        location, "last-sequence-number", (json_int_t)0, "last-updated-ms",
        (json_int_t)1700000000123, "last-column-id", 2, "current-schema-id", 0, "schemas", "type",
        "struct", "schema-id", 0, "fields", "id", 1, "name", "time", "required", 1, "type",
        "timestamp", "id", 2, "name", "usage", "required", 0, "type", "double", "default-spec-id",
        0, "partition-specs", "spec-id", 0, "fields", "last-partition-id", 999,
        "default-sort-order-id", 0, "sort-orders", "order-id", 0, "fields", "properties",
        "written-by", "test", "snapshots", "metadata-log");
}

static int create(catalog *c, const char *ns, const char *t, catalog_table *out, i2i_error *e)
{
    char *loc = NULL;
    json_t *md;
    catalog_commit_request req = {0};
    int rc = catalog_default_location(c, ns, t, &loc, e);
    if (rc != 0) return rc;
    md = new_metadata(loc ? loc : "");
    if (!loc) json_object_del(md, "location"); /* as ice_meta_new leaves it out */
    req.new_metadata = md;
    rc = catalog_commit(c, ns, t, &req, out, e);
    json_decref(md);
    free(loc);
    return rc;
}

/* A set-properties commit guarded by the table uuid `uuid`. */
static int set_prop(catalog *c, const char *ns, const char *t, const catalog_table *base,
                    const char *uuid, const char *key, const char *value, catalog_table *out,
                    i2i_error *e)
{
    json_t *reqs = json_pack("[{s:s, s:s}]", "type", "assert-table-uuid", "uuid", uuid);
    json_t *ups = json_pack("[{s:s, s:{s:s}}]", "action", "set-properties", "updates", key, value);
    catalog_commit_request req = {base, base->metadata, reqs, ups};
    int rc = catalog_commit(c, ns, t, &req, out, e);
    json_decref(reqs);
    json_decref(ups);
    return rc;
}

static const char *uuid_of(const catalog_table *t)
{
    return json_string_value(json_object_get(t->metadata, "table-uuid"));
}

static const char *prop_of(const catalog_table *t, const char *k)
{
    return json_string_value(json_object_get(json_object_get(t->metadata, "properties"), k));
}

static int local_exists(const char *location)
{
    struct stat st;
    return strncmp(location, "file://", 7) == 0 && stat(location + 7, &st) == 0;
}

TEST(namespaces_create_load_and_commit_through_the_server)
{
    i2i_error e;
    catalog *c = open_rest(&e);
    catalog_table t = {0}, t2 = {0}, l = {0};
    REQUIRE(c != NULL);
    CHECK_EQ_STR(c->ops->type, "rest");
    CHECK_OK(catalog_ensure_namespace(c, "db.sub", &e), &e);
    CHECK_OK(catalog_ensure_namespace(c, "db.sub", &e), &e); /* existing: fine */
    CHECK_EQ_INT(catalog_load_table(c, "db.sub", "cpu", &l, &e), I2I_ERR_NOT_FOUND);
    CHECK(strstr(e.msg, "404") != NULL);
    CHECK(strstr(e.msg, "does not exist") != NULL); /* the server's message */

    REQUIRE_OK(create(c, "db.sub", "cpu", &t, &e), &e);
    /* the server wrote the first metadata file into the warehouse, with its own uuid */
    CHECK(strstr(t.metadata_location, "/db/sub/cpu/metadata/00000-") != NULL);
    CHECK(local_exists(t.metadata_location));
    CHECK(strcmp(uuid_of(&t), "9c12d441-03fe-4693-9a96-a0705ddf69c1") != 0);
    CHECK_EQ_STR(prop_of(&t, "written-by"), "test");
    CHECK(prop_of(&t, "format-version") == NULL); /* a request key, not a property */
    CHECK_EQ_INT(create(c, "db.sub", "cpu", &l, &e), I2I_ERR_EXISTS);
    catalog_table_clear(&l);

    REQUIRE_OK(set_prop(c, "db.sub", "cpu", &t, uuid_of(&t), "k", "v1", &t2, &e), &e);
    CHECK(strstr(t2.metadata_location, "/metadata/00001-") != NULL);
    CHECK(local_exists(t2.metadata_location));
    CHECK_EQ_STR(prop_of(&t2, "k"), "v1");
    REQUIRE_OK(catalog_load_table(c, "db.sub", "cpu", &l, &e), &e);
    CHECK_EQ_STR(l.metadata_location, t2.metadata_location);
    CHECK_EQ_STR(prop_of(&l, "k"), "v1");
    catalog_table_clear(&l);

    /* a failed requirement: 409 CommitFailedException, nothing applied */
    CHECK_EQ_INT(set_prop(c, "db.sub", "cpu", &t2, "00000000-0000-4000-8000-000000000000", "k",
                          "v2", &l, &e),
                 I2I_ERR_CONFLICT);
    CHECK(strstr(e.msg, "409") != NULL);
    CHECK(strstr(e.msg, "UUID does not match") != NULL);
    catalog_table_clear(&l);
    REQUIRE_OK(catalog_load_table(c, "db.sub", "cpu", &l, &e), &e);
    CHECK_EQ_STR(l.metadata_location, t2.metadata_location);
    catalog_table_clear(&l);

    CHECK_OK(catalog_drop_table(c, "db.sub", "cpu", &e), &e);
    CHECK_EQ_INT(catalog_load_table(c, "db.sub", "cpu", &l, &e), I2I_ERR_NOT_FOUND);
    catalog_table_clear(&t);
    catalog_table_clear(&t2);
    catalog_close(c);
}

TEST(without_a_warehouse_the_server_places_the_table)
{
    i2i_error e;
    catalog *c;
    catalog_table t = {0};
    char *loc = (char *)"unset";
    const char *wh = env("I2I_TEST_REST_WAREHOUSE");
    /* a named-warehouse server answers nothing without ?warehouse=<name>: the case does not apply */
    if (wh && !strchr(wh, '/')) return;
    c = open_rest_without_warehouse(&e);
    REQUIRE(c != NULL && wh != NULL);
    /* no warehouse here nor in /v1/config: no location of our own, and that is no error */
    CHECK_OK(catalog_default_location(c, "placed", "cpu", &loc, &e), &e);
    CHECK(loc == NULL);
    REQUIRE_OK(catalog_ensure_namespace(c, "placed", &e), &e);
    REQUIRE_OK(create(c, "placed", "cpu", &t, &e), &e);
    /* the create request went without "location"; the server chose <its warehouse>/placed/cpu */
    CHECK(strstr(json_string_value(json_object_get(t.metadata, "location")), "/placed/cpu") != NULL);
    CHECK(strstr(json_string_value(json_object_get(t.metadata, "location")), wh) != NULL);
    CHECK(local_exists(t.metadata_location));
    catalog_table_clear(&t);
    catalog_close(c);
}

TEST(commit_faults_are_conflict_or_unknown)
{
    i2i_error e;
    catalog *c = open_rest(&e);
    catalog_table t = {0}, out = {0}, l = {0};
    REQUIRE(c != NULL);
    REQUIRE_OK(catalog_ensure_namespace(c, "faults", &e), &e);
    REQUIRE_OK(create(c, "faults", "t", &t, &e), &e);

    inject("409");
    CHECK_EQ_INT(set_prop(c, "faults", "t", &t, uuid_of(&t), "a", "1", &out, &e),
                 I2I_ERR_CONFLICT);
    catalog_table_clear(&out);

    /* applied, then 500: the outcome is unknown; a reload shows it landed */
    inject("500-after");
    CHECK_EQ_INT(set_prop(c, "faults", "t", &t, uuid_of(&t), "a", "2", &out, &e),
                 I2I_ERR_UNKNOWN);
    CHECK(strstr(e.msg, "500") != NULL);
    CHECK(strstr(e.msg, "injected: failed after applying") != NULL);
    catalog_table_clear(&out);
    REQUIRE_OK(catalog_load_table(c, "faults", "t", &l, &e), &e);
    CHECK_EQ_STR(prop_of(&l, "a"), "2");

    /* 503 on a commit is unknown too (the server may have applied it); here it did not */
    inject("503");
    CHECK_EQ_INT(set_prop(c, "faults", "t", &l, uuid_of(&l), "a", "3", &out, &e),
                 I2I_ERR_UNKNOWN);
    catalog_table_clear(&out);
    catalog_table_clear(&t);
    REQUIRE_OK(catalog_load_table(c, "faults", "t", &t, &e), &e);
    CHECK_EQ_STR(t.metadata_location, l.metadata_location);

    CHECK_EQ_INT(stat_of("rejected_auth"), 0);
    catalog_table_clear(&t);
    catalog_table_clear(&l);
    catalog_close(c);
}

TEST(auth_is_required_and_refused_with_the_status)
{
    i2i_error e;
    json_t *cfg = configs();
    catalog *c = NULL;
    REQUIRE(cfg != NULL);
    if (getenv("I2I_TEST_REST_SIGV4")) { /* a token is not what this server checks */
        json_decref(cfg);
        return;
    }
    json_object_del(cfg, "credential");
    json_object_set_new(cfg, "token", json_string("wrong-token-4711"));
    CHECK_EQ_INT(catalog_open(cfg, NULL, &c, &e), I2I_ERR_AUTH);
    CHECK(strstr(e.msg, "401") != NULL);
    CHECK(strstr(e.msg, "wrong-token-4711") == NULL);
    json_decref(cfg);
}

TEST(oauth2_tokens_are_refreshed_before_they_expire)
{
    i2i_error e;
    catalog *c;
    catalog_table t = {0}, out = {0};
    long issued, rejected;
    if (!getenv("I2I_TEST_REST_CREDENTIAL")) return; /* the static-token run */
    c = open_rest(&e);
    REQUIRE(c != NULL);
    issued = stat_of("tokens_issued");
    CHECK(issued >= 1);
    REQUIRE_OK(catalog_ensure_namespace(c, "oauth", &e), &e);
    REQUIRE_OK(create(c, "oauth", "t", &t, &e), &e);
    rejected = stat_of("rejected_auth");
    sleep(2); /* tokens live 2 s: the client refreshes at half-life, before the server refuses */
    REQUIRE_OK(set_prop(c, "oauth", "t", &t, uuid_of(&t), "a", "1", &out, &e), &e);
    CHECK(stat_of("tokens_issued") > issued);
    CHECK_EQ_INT(stat_of("rejected_auth"), rejected); /* never refused: refreshed in time */
    catalog_table_clear(&t);
    {
        /* replaced tokens leave the logger's secret registry: it does not grow with refreshes */
        size_t registered = i2i_log_secret_count();
        int i;
        for (i = 0; i < 3; i++) {
            catalog_table l = {0};
            usleep(1100 * 1000); /* past half-life: each load refreshes the token */
            REQUIRE_OK(catalog_load_table(c, "oauth", "t", &l, &e), &e);
            catalog_table_clear(&l);
        }
        CHECK(stat_of("tokens_issued") >= issued + 4);
        CHECK(i2i_log_secret_count() <= registered);
    }
    catalog_table_clear(&out);
    catalog_close(c);
}

TEST(a_commit_reply_that_times_out_is_unknown_and_may_have_landed)
{
    i2i_error e;
    json_t *cfg = configs();
    catalog *c = NULL;
    catalog_table t = {0}, out = {0}, l = {0};
    int64_t t0;
    REQUIRE(cfg != NULL);
    json_object_set_new(cfg, "rest.request-timeout-ms", json_string("1500"));
    REQUIRE_OK(catalog_open(cfg, NULL, &c, &e), &e);
    json_decref(cfg);
    REQUIRE_OK(catalog_ensure_namespace(c, "slow", &e), &e);
    REQUIRE_OK(create(c, "slow", "t", &t, &e), &e);
    inject("timeout-after");
    t0 = i2i_monotonic_ns();
    CHECK_EQ_INT(set_prop(c, "slow", "t", &t, uuid_of(&t), "a", "late", &out, &e),
                 I2I_ERR_UNKNOWN);
    CHECK(strstr(e.msg, "may or may not have been applied") != NULL);
    CHECK(i2i_monotonic_ns() - t0 < 10 * 1000000000LL); /* not retried: one timeout */
    REQUIRE_OK(catalog_load_table(c, "slow", "t", &l, &e), &e);
    CHECK_EQ_STR(prop_of(&l, "a"), "late"); /* it did land */
    catalog_table_clear(&t);
    catalog_table_clear(&out);
    catalog_table_clear(&l);
    catalog_close(c);
}

TEST(sigv4_with_a_wrong_secret_or_region_is_refused_with_a_clear_403)
{
    i2i_error e;
    json_t *cfg;
    catalog *c = NULL;
    if (!getenv("I2I_TEST_REST_SIGV4")) return; /* the token and OAuth2 runs */
    cfg = configs();
    REQUIRE(cfg != NULL);
    json_object_set_new(cfg, "rest.secret-access-key", json_string("Wr0ngSigV4Secret-31"));
    CHECK_EQ_INT(catalog_open(cfg, NULL, &c, &e), I2I_ERR_AUTH);
    CHECK(strstr(e.msg, "403") != NULL);
    CHECK(strstr(e.msg, "SigV4") != NULL);
    CHECK(strstr(e.msg, "signature we calculated does not match") != NULL); /* the server's */
    CHECK(strstr(e.msg, "Wr0ngSigV4Secret-31") == NULL);
    cfg = (json_decref(cfg), configs());
    json_object_set_new(cfg, "rest.signing-region", json_string("mars-north-1"));
    CHECK_EQ_INT(catalog_open(cfg, NULL, &c, &e), I2I_ERR_AUTH);
    CHECK(strstr(e.msg, "mars-north-1") != NULL);
    /* no keys at all (and none in the environment): refused before any request */
    json_object_del(cfg, "rest.access-key-id");
    json_object_del(cfg, "rest.secret-access-key");
    unsetenv("AWS_ACCESS_KEY_ID");
    CHECK_EQ_INT(catalog_open(cfg, NULL, &c, &e), I2I_ERR_AUTH);
    CHECK(strstr(e.msg, "rest.access-key-id") != NULL);
    json_decref(cfg);
}

TEST(sigv4_keys_fall_back_to_client_keys_and_the_environment)
{
    i2i_error e;
    json_t *cfg;
    catalog *c = NULL;
    const char *keys[] = {"rest.access-key-id", "rest.secret-access-key", "rest.session-token"};
    const char *client[] = {"client.access-key-id", "client.secret-access-key",
                            "client.session-token"};
    const char *envs[] = {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"};
    int i;
    if (!getenv("I2I_TEST_REST_SIGV4")) return;
    cfg = configs();
    REQUIRE(cfg != NULL);
    /* PyIceberg's client.* family, and client.region for the region */
    for (i = 0; i < 3; i++) {
        json_t *v = json_object_get(cfg, keys[i]);
        if (v) json_object_set(cfg, client[i], v);
        json_object_del(cfg, keys[i]);
    }
    json_object_set(cfg, "client.region", json_object_get(cfg, "rest.signing-region"));
    json_object_del(cfg, "rest.signing-region");
    REQUIRE_OK(catalog_open(cfg, NULL, &c, &e), &e);
    CHECK_OK(catalog_ensure_namespace(c, "fallback", &e), &e);
    catalog_close(c);
    c = NULL;
    /* the AWS environment variables */
    for (i = 0; i < 3; i++) {
        const char *v = json_string_value(json_object_get(cfg, client[i]));
        if (v) setenv(envs[i], v, 1);
        else unsetenv(envs[i]);
        json_object_del(cfg, client[i]);
    }
    REQUIRE_OK(catalog_open(cfg, NULL, &c, &e), &e);
    CHECK_OK(catalog_ensure_namespace(c, "fallback", &e), &e);
    catalog_close(c);
    for (i = 0; i < 3; i++) unsetenv(envs[i]);
    json_decref(cfg);
}

static void inject_create(const char *fault)
{
    char body[128];
    snprintf(body, sizeof body, "{\"create\": [\"%s\"]}", fault);
    json_decref(standin("/_standin/faults", body));
}

TEST(a_create_whose_reply_failed_but_landed_is_taken_on_the_repeat_409)
{
    i2i_error e;
    json_t *cfg = configs();
    catalog *c = NULL;
    catalog_table t = {0}, l = {0};
    long creates;
    REQUIRE(cfg != NULL);
    json_object_set_new(cfg, "rest.request-timeout-ms", json_string("1500"));
    REQUIRE_OK(catalog_open(cfg, NULL, &c, &e), &e);
    json_decref(cfg);
    REQUIRE_OK(catalog_ensure_namespace(c, "landed", &e), &e);
    creates = stat_of("creates");

    /* created, then 500: the repeat meets 409, the table is loaded and is ours */
    inject_create("500-after");
    REQUIRE_OK(create(c, "landed", "a", &t, &e), &e);
    CHECK(strstr(t.metadata_location, "/landed/a/metadata/00000-") != NULL);
    CHECK_EQ_INT(stat_of("creates"), creates + 1);
    REQUIRE_OK(catalog_load_table(c, "landed", "a", &l, &e), &e);
    CHECK_EQ_STR(l.metadata_location, t.metadata_location);
    catalog_table_clear(&t);
    catalog_table_clear(&l);

    /* created, then the reply never comes (timeout): the same */
    inject_create("timeout-after");
    REQUIRE_OK(create(c, "landed", "b", &t, &e), &e);
    CHECK_EQ_INT(stat_of("creates"), creates + 2);
    catalog_table_clear(&t);

    /* refused with 503 (not created) while another writer's different table is there: the
     * repeat's 409 is not taken as ours */
    {
        char *loc = NULL;
        json_t *md;
        catalog_commit_request req = {0};
        REQUIRE_OK(catalog_default_location(c, "landed", "c", &loc, &e), &e);
        /* the same location, but "usage" is a long: not the table this run asks for */
        md = new_metadata(loc ? loc : "");
        if (!loc) json_object_del(md, "location"); /* a named warehouse: the server places it */
        json_object_set_new(json_array_get(json_object_get(json_array_get(json_object_get(md, "schemas"), 0),
                                                           "fields"),
                                           1),
                            "type", json_string("long"));
        req.new_metadata = md;
        REQUIRE_OK(catalog_commit(c, "landed", "c", &req, &t, &e), &e);
        catalog_table_clear(&t);
        json_decref(md);
        free(loc);
    }
    inject_create("503");
    CHECK_EQ_INT(create(c, "landed", "c", &t, &e), I2I_ERR_EXISTS);
    CHECK(strstr(e.msg, "not the one requested") != NULL);
    catalog_table_clear(&t);
    /* without an earlier failure a 409 is a plain "already exists" */
    CHECK_EQ_INT(create(c, "landed", "a", &t, &e), I2I_ERR_EXISTS);
    CHECK(strstr(e.msg, "409") != NULL);
    catalog_table_clear(&t);
    catalog_close(c);
}

TEST(a_named_warehouse_is_sent_to_config_and_its_prefix_used)
{
    i2i_error e;
    json_t *cfg;
    catalog *c = NULL;
    catalog_table t = {0};
    const char *wh = getenv("I2I_TEST_REST_WAREHOUSE");
    if (!wh || strchr(wh, '/')) return; /* the runs with a warehouse location */
    cfg = configs();
    REQUIRE(cfg != NULL);
    /* the server (not the client) placed the tables: their locations are the server's */
    c = open_rest(&e);
    REQUIRE(c != NULL);
    REQUIRE_OK(catalog_ensure_namespace(c, "named", &e), &e);
    REQUIRE_OK(create(c, "named", "t", &t, &e), &e);
    CHECK(strncmp(t.metadata_location, "file:///", 8) == 0);
    CHECK(strstr(t.metadata_location, "/named/t/metadata/00000-") != NULL);
    CHECK(strstr(t.metadata_location, "rest-server-assigned") == NULL);
    CHECK(local_exists(t.metadata_location));
    catalog_table_clear(&t);
    catalog_close(c);
    /* an unknown warehouse name: the server's 404 */
    json_object_set_new(cfg, "warehouse", json_string("no_such_wh"));
    CHECK_EQ_INT(catalog_open(cfg, NULL, &c, &e), I2I_ERR_NOT_FOUND);
    CHECK(strstr(e.msg, "no_such_wh") != NULL);
    json_decref(cfg);
}
