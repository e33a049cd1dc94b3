/* SQL quoting, time literals, data_type mapping and config validation (no network). */
#include <stdlib.h>

#include "source/source.h"
#include "test.h"

static char *quote_ident(const char *name, size_t n, int *rc)
{
    i2i_buf b = I2I_BUF_INIT;
    i2i_error err;
    *rc = source_quote_ident(&b, name, n, &err);
    if (*rc != 0) {
        i2i_buf_free(&b);
        return NULL;
    }
    return i2i_buf_cstr(&b);
}

static char *quote_lit(const char *s, size_t n, int *rc)
{
    i2i_buf b = I2I_BUF_INIT;
    i2i_error err;
    *rc = source_quote_literal(&b, s, n, &err);
    if (*rc != 0) {
        i2i_buf_free(&b);
        return NULL;
    }
    if (!i2i_buf_cstr(&b)) return NULL;
    return (char *)b.data;
}

TEST(identifiers_are_double_quoted)
{
    static const struct {
        const char *in, *out;
    } cases[] = {
        {"cpu", "\"cpu\""},
        {"CPU", "\"CPU\""},                     /* upper case kept (no folding) */
        {"my table", "\"my table\""},           /* space */
        {"a.b.c", "\"a.b.c\""},                 /* dots are not qualifiers */
        {"say \"hi\"", "\"say \"\"hi\"\"\""},   /* embedded double quotes doubled */
        {"it's", "\"it's\""},                   /* single quote untouched */
        {"\"", "\"\"\"\""},
        {"températür", "\"températür\""},       /* non-ASCII */
        {"温度 😀", "\"温度 😀\""},
        {"back\\slash", "\"back\\slash\""},
        {"time", "\"time\""},
        {"select", "\"select\""},               /* keyword */
    };
    size_t i;
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int rc;
        char *q = quote_ident(cases[i].in, strlen(cases[i].in), &rc);
        CHECK_EQ_INT(rc, 0);
        CHECK_EQ_STR(q, cases[i].out);
        free(q);
    }
}

TEST(literals_are_single_quoted)
{
    static const struct {
        const char *in, *out;
    } cases[] = {
        {"cpu", "'cpu'"},
        {"", "''"},
        {"it's", "'it''s'"},
        {"''", "''''''"},
        {"say \"hi\"", "'say \"hi\"'"},
        {"a.b c", "'a.b c'"},
        {"Ünïcödé 🚀", "'Ünïcödé 🚀'"},
        {"back\\", "'back\\'"}, /* no backslash escapes in DataFusion's generic dialect */
        {"x'); DROP TABLE t; --", "'x''); DROP TABLE t; --'"},
    };
    size_t i;
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int rc;
        char *q = quote_lit(cases[i].in, strlen(cases[i].in), &rc);
        CHECK_EQ_INT(rc, 0);
        CHECK_EQ_STR(q, cases[i].out);
        free(q);
    }
}

TEST(nul_bytes_and_bad_utf8_are_rejected)
{
    int rc;
    i2i_buf b = I2I_BUF_INIT;
    i2i_error err;
    CHECK(quote_ident("a\0b", 3, &rc) == NULL);
    CHECK_EQ_INT(rc, I2I_ERR_INVALID);
    CHECK(quote_lit("a\0b", 3, &rc) == NULL);
    CHECK_EQ_INT(rc, I2I_ERR_INVALID);
    CHECK(quote_ident("", 0, &rc) == NULL);
    CHECK_EQ_INT(rc, I2I_ERR_INVALID);
    CHECK(quote_ident("\xff", 1, &rc) == NULL);
    CHECK_EQ_INT(rc, I2I_ERR_INVALID);
    CHECK(quote_lit("\xc3", 1, &rc) == NULL);
    CHECK_EQ_INT(rc, I2I_ERR_INVALID);
    CHECK(quote_lit("\xed\xa0\x80", 3, &rc) == NULL); /* UTF-16 surrogate in UTF-8 */
    CHECK_EQ_INT(rc, I2I_ERR_INVALID);
    /* nothing was appended on failure */
    CHECK_EQ_INT(source_quote_ident(&b, "x\0", 2, &err), I2I_ERR_INVALID);
    CHECK(strstr(err.msg, "NUL") != NULL);
    CHECK_EQ_INT(b.len, 0);
    i2i_buf_free(&b);
}

TEST(time_literals_are_rfc3339_utc)
{
    i2i_buf b = I2I_BUF_INIT;
    i2i_error err;
    CHECK_OK(source_time_literal(&b, 0, &err), &err);
    CHECK_EQ_STR(i2i_buf_cstr(&b), "'1970-01-01T00:00:00.000000000Z'");
    i2i_buf_reset(&b);
    CHECK_OK(source_time_literal(&b, INT64_C(1704164645123456789), &err), &err);
    CHECK_EQ_STR(i2i_buf_cstr(&b), "'2024-01-02T03:04:05.123456789Z'");
    i2i_buf_reset(&b);
    CHECK_OK(source_time_literal(&b, -1, &err), &err);
    CHECK_EQ_STR(i2i_buf_cstr(&b), "'1969-12-31T23:59:59.999999999Z'");
    i2i_buf_free(&b);
}

TEST(data_types_map_every_documented_spelling)
{
    static const struct {
        const char *col, *dt;
        columnar_type type;
        source_role role;
    } cases[] = {
        {"time", "Timestamp(ns)", COLUMNAR_TIMESTAMP, SOURCE_ROLE_TIME},
        {"time", "Timestamp(Nanosecond, None)", COLUMNAR_TIMESTAMP, SOURCE_ROLE_TIME},
        {"time", "Timestamp(ns, \"UTC\")", COLUMNAR_TIMESTAMP, SOURCE_ROLE_TIME},
        {"other_ts", "Timestamp(µs)", COLUMNAR_TIMESTAMP, SOURCE_ROLE_FIELD},
        {"host", "Dictionary(Int32, Utf8)", COLUMNAR_STRING, SOURCE_ROLE_TAG},
        {"host", "Dictionary(Int32,Utf8)", COLUMNAR_STRING, SOURCE_ROLE_TAG},
        {"host", "Dictionary(Int16, Utf8View)", COLUMNAR_STRING, SOURCE_ROLE_TAG},
        {"s", "Utf8", COLUMNAR_STRING, SOURCE_ROLE_FIELD},
        {"s", "Utf8View", COLUMNAR_STRING, SOURCE_ROLE_FIELD},
        {"s", "LargeUtf8", COLUMNAR_STRING, SOURCE_ROLE_FIELD},
        {"f", "Float64", COLUMNAR_DOUBLE, SOURCE_ROLE_FIELD},
        {"i", "Int64", COLUMNAR_INT64, SOURCE_ROLE_FIELD},
        {"u", "UInt64", COLUMNAR_UINT64, SOURCE_ROLE_FIELD},
        {"b", "Boolean", COLUMNAR_BOOL, SOURCE_ROLE_FIELD},
    };
    size_t i;
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        columnar_type t;
        source_role r;
        i2i_error err;
        int rc = source_map_data_type(cases[i].col, cases[i].dt, &t, &r, &err);
        if (rc != 0) i2i_test_fail(__FILE__, __LINE__, "%s: %s", cases[i].dt, err.msg);
        CHECK_EQ_INT(t, cases[i].type);
        CHECK_EQ_INT(r, cases[i].role);
    }
}

TEST(unknown_data_type_names_column_and_type)
{
    static const char *bad[] = {"Decimal128(38, 10)", "List(Int64)", "Timestamp(fortnight)", "Dictionary(Int32, Int64)",
                                "Binary", "", "Float64x"};
    size_t i;
    for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        columnar_type t;
        source_role r;
        i2i_error err;
        int rc = source_map_data_type("weird col", bad[i], &t, &r, &err);
        CHECK_EQ_INT(rc, I2I_ERR_UNSUPPORTED);
        CHECK(strstr(err.msg, "'weird col'") != NULL);
        CHECK(strstr(err.msg, bad[i]) != NULL);
    }
}

TEST(config_is_validated_and_token_never_echoed)
{
    source_config cfg;
    source *s = NULL;
    i2i_error err;
    source_config_defaults(&cfg);
    CHECK_EQ_INT(source_open(&cfg, &s, &err), I2I_ERR_INVALID); /* no URL */
    cfg.url = "ftp://x";
    cfg.database = "db";
    CHECK_EQ_INT(source_open(&cfg, &s, &err), I2I_ERR_INVALID);
    cfg.url = "http://127.0.0.1:1/";
    cfg.database = NULL;
    CHECK_EQ_INT(source_open(&cfg, &s, &err), I2I_ERR_INVALID);
    cfg.database = "db";
    cfg.token = "apiv3_secret token\n";
    CHECK_EQ_INT(source_open(&cfg, &s, &err), I2I_ERR_INVALID);
    CHECK(strstr(err.msg, "apiv3_secret") == NULL);
    cfg.token = "apiv3_goodtoken";
    CHECK_OK(source_open(&cfg, &s, &err), &err);
    source_close(s);
    source_close(NULL);
}

static void capture_log(void *ctx, i2i_log_level level, const char *line)
{
    (void)level;
    i2i_buf_append_str(ctx, line);
    i2i_buf_put_u8(ctx, '\n');
}

TEST(connection_refused_is_transient_after_bounded_retries)
{
    i2i_buf logs = I2I_BUF_INIT;
    source_config cfg;
    source *s = NULL;
    i2i_error err;
    i2i_buf out = I2I_BUF_INIT;
    int64_t t0;
    source_config_defaults(&cfg);
    cfg.url = "http://127.0.0.1:1"; /* nothing listens on port 1 */
    cfg.database = "db";
    cfg.token = "apiv3_conntest_token";
    cfg.max_retries = 2;
    cfg.retry_base_ms = 20;
    cfg.retry_max_ms = 50;
    REQUIRE_OK(source_open(&cfg, &s, &err), &err);
    i2i_log_set_sink(capture_log, &logs);
    t0 = i2i_monotonic_ns();
    CHECK_EQ_INT(source_query_raw(s, "SELECT 1", &out, &err), I2I_ERR_TRANSIENT);
    i2i_log_set_sink(NULL, NULL);
    CHECK(strstr(err.msg, "3 attempts") != NULL);
    CHECK(strstr(err.msg, "apiv3_conntest_token") == NULL);
    CHECK(i2i_monotonic_ns() - t0 >= 20 * I2I_NS_PER_MS); /* it did back off */
    CHECK(strstr(i2i_buf_cstr(&logs), "retrying (2 of 2)") != NULL);
    CHECK(strstr(i2i_buf_cstr(&logs), "apiv3_conntest_token") == NULL);
    /* the token is registered as a secret: anything that formats it is redacted */
    i2i_log_set_sink(capture_log, &logs);
    I2I_ERROR("leak attempt: %s", cfg.token);
    i2i_log_set_sink(NULL, NULL);
    CHECK(strstr(i2i_buf_cstr(&logs), "leak attempt: ***") != NULL);
    i2i_buf_free(&logs);
    i2i_buf_free(&out);
    source_close(s);
}

TEST(a_password_in_the_url_never_reaches_a_message)
{
    source_config cfg;
    source *s = NULL;
    i2i_buf out = I2I_BUF_INIT;
    i2i_error err;
    source_config_defaults(&cfg);
    cfg.url = "http://reader:hunter2-in-url@127.0.0.1:1/influx/";
    cfg.database = "db";
    cfg.max_retries = 0;
    REQUIRE_OK(source_open(&cfg, &s, &err), &err);
    CHECK_EQ_STR(source_url(s), "http://reader:***@127.0.0.1:1/influx");
    CHECK_EQ_INT(source_query_raw(s, "SELECT 1", &out, &err), I2I_ERR_TRANSIENT);
    CHECK(strstr(err.msg, "cannot get a response from InfluxDB at http://reader:***@127.0.0.1:1/") != NULL);
    CHECK(strstr(err.msg, "hunter2") == NULL);
    i2i_buf_free(&out);
    source_close(s);
}

TEST(time_literals_cover_the_whole_int64_range)
{
    i2i_buf b = I2I_BUF_INIT;
    i2i_error err;
    CHECK_OK(source_time_literal(&b, INT64_MIN, &err), &err);
    CHECK_EQ_STR(i2i_buf_cstr(&b), "'1677-09-21T00:12:43.145224192Z'");
    i2i_buf_reset(&b);
    CHECK_OK(source_time_literal(&b, INT64_MAX, &err), &err);
    CHECK_EQ_STR(i2i_buf_cstr(&b), "'2262-04-11T23:47:16.854775807Z'");
    i2i_buf_reset(&b);
    CHECK_OK(source_time_literal(&b, INT64_MIN + 999999999, &err), &err);
    CHECK_EQ_STR(i2i_buf_cstr(&b), "'1677-09-21T00:12:44.145224191Z'");
    i2i_buf_free(&b);
}
