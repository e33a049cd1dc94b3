/* Job arguments: plugin names, defaults, base64 catalog_configs, field lists, clear errors. */
#include "replicate/job.h"
#include "test.h"

static const char *no_env(const char *name)
{
    (void)name;
    return NULL;
}

static int job_from(const char *json, replicate_job *job, i2i_error *e)
{
    json_error_t je;
    json_t *a = json_loads(json, 0, &je);
    int rc;
    if (!a) return -100;
    rc = replicate_job_from_json(a, no_env, job, e);
    json_decref(a);
    return rc;
}

TEST(job_defaults_follow_the_plugin)
{
    replicate_job j;
    i2i_error e;
    REQUIRE_OK(job_from("{\"measurement\":\"cpu\",\"database\":\"db\"}", &j, &e), &e);
    CHECK_EQ_STR(j.table_name, "cpu");
    CHECK_EQ_STR(j.namespace_, "default");
    CHECK(j.batch_ns == 86400 * I2I_NS_PER_S);
    CHECK(j.format_version == 2);
    CHECK_EQ_STR(j.partition_by, "day");
    CHECK(j.catalog_configs == NULL && !j.has_start && !j.has_end);
    replicate_job_free(&j);
}

TEST(job_takes_base64_catalog_configs_and_dot_lists)
{
    replicate_job j;
    i2i_error e;
    REQUIRE_OK(job_from("{\"measurement\":\"cpu\",\"database\":\"db\","
                        "\"catalog_configs\":\"eyJ1cmkiOiAiaHR0cDovL25lc3NpZTo5MDAwIn0=\","
                        "\"included_fields\":\"usage_user.usage_idle\",\"excluded_fields\":[\"a b\"],"
                        "\"batch_size\":\"12h\",\"backfill_start\":\"2023-01-01T00:00:00+00:00\","
                        "\"backfill_end\":\"2023-01-02T00:00:00Z\",\"auto_update_schema\":\"true\"}",
                        &j, &e),
               &e);
    CHECK_EQ_STR(json_string_value(json_object_get(j.catalog_configs, "uri")), "http://nessie:9000");
    CHECK_EQ_STR(j.included[0], "usage_user");
    CHECK_EQ_STR(j.included[1], "usage_idle");
    CHECK(j.included[2] == NULL);
    CHECK_EQ_STR(j.excluded[0], "a b");
    CHECK(j.batch_ns == 12 * 3600 * I2I_NS_PER_S);
    CHECK(j.has_start && j.start_ns == INT64_C(1672531200) * I2I_NS_PER_S);
    CHECK(j.has_end && j.end_ns == INT64_C(1672617600) * I2I_NS_PER_S);
    CHECK(j.auto_update_schema == 1);
    replicate_job_free(&j);
}

TEST(job_errors_name_the_key)
{
    replicate_job j;
    i2i_error e;
    CHECK(job_from("{\"database\":\"db\"}", &j, &e) == I2I_ERR_INVALID);
    CHECK(strstr(e.msg, "measurement") != NULL);
    CHECK(job_from("{\"measurement\":\"m\",\"database\":\"db\",\"batch_size\":\"1y\"}", &j, &e) ==
          I2I_ERR_INVALID);
    CHECK(strstr(e.msg, "batch_size") != NULL);
    CHECK(job_from("{\"measurement\":\"m\",\"database\":\"db\",\"backfill_start\":\"2023-01-01T00:00:00\"}",
                   &j, &e) == I2I_ERR_INVALID);
    CHECK(strstr(e.msg, "backfill_start") != NULL && strstr(e.msg, "zone") != NULL);
    CHECK(job_from("{\"measurement\":\"m\",\"database\":\"db\",\"catalog_configs\":\"%%%\"}", &j, &e) ==
          I2I_ERR_INVALID);
    CHECK(strstr(e.msg, "catalog_configs") != NULL);
    CHECK(job_from("{\"measurement\":\"m\",\"database\":\"db\",\"partition_by\":\"week\"}", &j, &e) ==
          I2I_ERR_INVALID);
    CHECK(job_from("{\"measurement\":\"m\"}", &j, &e) == I2I_ERR_INVALID);
    CHECK(strstr(e.msg, "INFLUXDB3_DATABASE_NAME") != NULL);
    CHECK(job_from("{\"measurement\":\"m\",\"database\":\"d\",\"backfill_start\":\"2023-01-02T00:00:00Z\","
                   "\"backfill_end\":\"2023-01-01T00:00:00Z\"}", &j, &e) == I2I_ERR_INVALID);
}

TEST(token_is_registered_as_a_secret)
{
    replicate_job j;
    i2i_error e;
    REQUIRE_OK(job_from("{\"measurement\":\"m\",\"database\":\"d\",\"token\":\"apiv3_abcdefgh\"}", &j, &e), &e);
    i2i_error_set(&e, I2I_ERR_AUTH, "bad apiv3_abcdefgh");
    CHECK_EQ_STR(e.msg, "bad ***");
    replicate_job_free(&j);
    i2i_log_clear_secrets();
}

TEST(job_threads_default_to_the_cores)
{
    replicate_job j;
    i2i_error e;
    REQUIRE_OK(job_from("{\"measurement\":\"cpu\",\"database\":\"db\"}", &j, &e), &e);
    CHECK(j.threads == replicate_default_threads());
    CHECK(j.threads >= 1 && j.threads <= 64);
    replicate_job_free(&j);
    REQUIRE_OK(job_from("{\"measurement\":\"cpu\",\"database\":\"db\",\"threads\":1}", &j, &e), &e);
    CHECK(j.threads == 1);
    replicate_job_free(&j);
    REQUIRE_OK(job_from("{\"measurement\":\"cpu\",\"database\":\"db\",\"threads\":\"2\"}", &j, &e), &e);
    CHECK(j.threads == 2);
    replicate_job_free(&j);
    CHECK(job_from("{\"measurement\":\"cpu\",\"database\":\"db\",\"threads\":0}", &j, &e) == I2I_ERR_INVALID);
    CHECK(strstr(e.msg, "threads") != NULL);
    CHECK(job_from("{\"measurement\":\"cpu\",\"database\":\"db\",\"threads\":\"2x\"}", &j, &e) == I2I_ERR_INVALID);
    CHECK(job_from("{\"measurement\":\"cpu\",\"database\":\"db\",\"threads\":65}", &j, &e) == I2I_ERR_INVALID);
}

TEST(job_read_ahead_defaults_to_the_threads)
{
    replicate_job j;
    i2i_error e;
    REQUIRE_OK(job_from("{\"measurement\":\"cpu\",\"database\":\"db\",\"threads\":1}", &j, &e), &e);
    CHECK(j.read_ahead_bytes == 0); /* one thread: no fetch thread either */
    replicate_job_free(&j);
    REQUIRE_OK(job_from("{\"measurement\":\"cpu\",\"database\":\"db\",\"threads\":2}", &j, &e), &e);
    CHECK(j.read_ahead_bytes == (size_t)4 << 20);
    replicate_job_free(&j);
    REQUIRE_OK(job_from("{\"measurement\":\"cpu\",\"database\":\"db\",\"threads\":2,\"read_ahead_bytes\":0}", &j, &e), &e);
    CHECK(j.read_ahead_bytes == 0);
    replicate_job_free(&j);
    REQUIRE_OK(job_from("{\"measurement\":\"cpu\",\"database\":\"db\",\"threads\":1,\"read_ahead_bytes\":\"65536\"}", &j, &e), &e);
    CHECK(j.read_ahead_bytes == 65536);
    replicate_job_free(&j);
    CHECK(job_from("{\"measurement\":\"cpu\",\"database\":\"db\",\"read_ahead_bytes\":-1}", &j, &e) == I2I_ERR_INVALID);
    CHECK(strstr(e.msg, "read_ahead_bytes") != NULL);
    CHECK(job_from("{\"measurement\":\"cpu\",\"database\":\"db\",\"read_ahead_bytes\":\"8M\"}", &j, &e) == I2I_ERR_INVALID);
    CHECK(job_from("{\"measurement\":\"cpu\",\"database\":\"db\",\"read_ahead_bytes\":2147483648}", &j, &e) == I2I_ERR_INVALID);
}
