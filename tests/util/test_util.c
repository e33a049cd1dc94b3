/* util: buffer growth and varints, arena, error wrapping, redaction, time parsing/formatting. */
#include "test.h"
#include "util/util.h"

#include <math.h>
#include <stdlib.h>

TEST(buf_grows_and_appends)
{
    i2i_buf b = I2I_BUF_INIT;
    int i;
    for (i = 0; i < 10000; i++) CHECK(i2i_buf_put_u8(&b, (uint8_t)i) == I2I_OK);
    CHECK_EQ_INT(b.len, 10000);
    CHECK_EQ_INT(b.data[9999], (uint8_t)9999);
    CHECK(i2i_buf_printf(&b, "%s-%d", "x", 42) == I2I_OK);
    CHECK_EQ_MEM(b.data + 10000, "x-42", 4);
    CHECK(b.data[b.len - 1] == '2');
    i2i_buf_reset(&b);
    CHECK(i2i_buf_append_str(&b, "abc") == I2I_OK);
    CHECK_EQ_STR(i2i_buf_cstr(&b), "abc");
    CHECK_EQ_INT(b.len, 3);
    i2i_buf_free(&b);
    CHECK(b.data == NULL && b.len == 0);
}

TEST(varint_and_zigzag_known_bytes)
{
    i2i_buf b = I2I_BUF_INIT;
    const uint8_t *p, *end;
    uint64_t v;
    CHECK(i2i_buf_put_uvarint(&b, 0) == 0);
    CHECK(i2i_buf_put_uvarint(&b, 127) == 0);
    CHECK(i2i_buf_put_uvarint(&b, 128) == 0);
    CHECK(i2i_buf_put_uvarint(&b, 300) == 0);
    CHECK(i2i_buf_put_zigzag(&b, -1) == 0);
    CHECK(i2i_buf_put_zigzag(&b, 1) == 0);
    CHECK(i2i_buf_put_zigzag(&b, INT64_MIN) == 0);
    {
        static const uint8_t want[] = {0x00, 0x7f, 0x80, 0x01, 0xac, 0x02, 0x01, 0x02};
        CHECK_EQ_MEM(b.data, want, sizeof want);
    }
    CHECK(i2i_zigzag64(INT64_MIN) == UINT64_MAX);
    CHECK(i2i_unzigzag64(i2i_zigzag64(INT64_MAX)) == INT64_MAX);
    CHECK(i2i_unzigzag64(i2i_zigzag64(-123456789)) == -123456789);
    p = b.data;
    end = b.data + b.len;
    CHECK(i2i_read_uvarint(&p, end, &v) == 0 && v == 0);
    CHECK(i2i_read_uvarint(&p, end, &v) == 0 && v == 127);
    CHECK(i2i_read_uvarint(&p, end, &v) == 0 && v == 128);
    CHECK(i2i_read_uvarint(&p, end, &v) == 0 && v == 300);
    /* truncated varint is an error, not a read past the end */
    {
        static const uint8_t bad[] = {0x80, 0x80};
        const uint8_t *q = bad;
        CHECK(i2i_read_uvarint(&q, bad + 2, &v) == I2I_ERR_FORMAT);
    }
    i2i_buf_free(&b);
}

TEST(arena_alignment_and_big_blocks)
{
    i2i_arena a;
    char *s, *big;
    int64_t *x;
    i2i_arena_init(&a, 128);
    s = i2i_arena_strdup(&a, "hello");
    x = i2i_arena_alloc(&a, sizeof *x, 8);
    big = i2i_arena_alloc(&a, 100000, 1);
    REQUIRE(s && x && big);
    CHECK(((uintptr_t)x & 7) == 0);
    memset(big, 1, 100000);
    CHECK_EQ_STR(s, "hello");
    CHECK(i2i_arena_strdup(&a, "after big") != NULL);
    i2i_arena_reset(&a);
    CHECK(i2i_arena_strdup(&a, "reuse") != NULL);
    i2i_arena_free(&a);
}

TEST(error_wrap_keeps_code_and_adds_context)
{
    i2i_error e;
    CHECK(i2i_error_set(&e, I2I_ERR_FORMAT, "field-id missing on '%s'", "partition") == I2I_ERR_FORMAT);
    CHECK(i2i_error_wrap(&e, "manifest '%s'", "x.avro") == I2I_ERR_FORMAT);
    CHECK_EQ_STR(e.msg, "manifest 'x.avro': field-id missing on 'partition'");
    CHECK(i2i_error_set(NULL, I2I_ERR_IO, "no crash") == I2I_ERR_IO);
}

TEST(secrets_are_redacted_in_errors_and_logs)
{
    i2i_error e;
    char line[128];
    i2i_log_add_secret("apiv3_SuperSecretToken");
    i2i_error_set(&e, I2I_ERR_AUTH, "token apiv3_SuperSecretToken refused");
    CHECK_EQ_STR(e.msg, "token *** refused");
    strcpy(line, "a=apiv3_SuperSecretToken&b=apiv3_SuperSecretToken");
    i2i_redact_in_place(line);
    CHECK_EQ_STR(line, "a=***&b=***");
    i2i_log_clear_secrets();
}

TEST(a_retired_secret_is_no_longer_redacted_and_others_still_are)
{
    char line[128];
    i2i_log_add_secret("oauth-token-old-1");
    i2i_log_add_secret("oauth-token-new-2");
    i2i_log_add_secret("static-secret-3");
    i2i_log_remove_secret("oauth-token-old-1");
    i2i_log_remove_secret("never-registered"); /* ignored */
    i2i_log_remove_secret(NULL);
    strcpy(line, "oauth-token-old-1 oauth-token-new-2 static-secret-3");
    i2i_redact_in_place(line);
    CHECK_EQ_STR(line, "oauth-token-old-1 *** ***");
    /* removing and adding again works, and removing the last one leaves an empty registry */
    i2i_log_remove_secret("static-secret-3");
    i2i_log_remove_secret("oauth-token-new-2");
    i2i_log_add_secret("oauth-token-old-1");
    strcpy(line, "oauth-token-old-1 static-secret-3");
    i2i_redact_in_place(line);
    CHECK_EQ_STR(line, "*** static-secret-3");
    i2i_log_clear_secrets();
}

TEST(time_parse_and_format)
{
    int64_t ns;
    char out[40];
    i2i_error e;
    CHECK_OK(i2i_time_parse("1970-01-01T00:00:00Z", 20, 1, &ns, &e), &e);
    CHECK(ns == 0);
    CHECK_OK(i2i_time_parse("2024-02-29T23:59:59.123456789Z", 30, 1, &ns, &e), &e);
    i2i_time_format_rfc3339(ns, out, sizeof out);
    CHECK_EQ_STR(out, "2024-02-29T23:59:59.123456789Z");
    CHECK_OK(i2i_time_parse("2024-01-01T01:00:00+01:00", 25, 1, &ns, &e), &e);
    CHECK(ns == INT64_C(1704067200) * I2I_NS_PER_S);
    /* before 1970: floor semantics in formatting */
    CHECK_OK(i2i_time_parse("1969-12-31T23:59:59.999999999Z", 30, 1, &ns, &e), &e);
    CHECK(ns == -1);
    i2i_time_format_rfc3339(-1, out, sizeof out);
    CHECK_EQ_STR(out, "1969-12-31T23:59:59.999999999Z");
    /* zone-less accepted only when not required (the server renders zone-less UTC) */
    CHECK(i2i_time_parse("2024-01-01T00:00:00", 19, 1, &ns, &e) == I2I_ERR_INVALID);
    CHECK(strstr(e.msg, "time zone") != NULL);
    CHECK_OK(i2i_time_parse("2024-01-01T00:00:00.5", 21, 0, &ns, &e), &e);
    CHECK(ns == INT64_C(1704067200) * I2I_NS_PER_S + 500000000);
    CHECK(i2i_time_parse("2023-02-30T00:00:00Z", 20, 1, &ns, &e) == I2I_ERR_INVALID);
    CHECK(i2i_time_parse("garbage", 7, 1, &ns, &e) == I2I_ERR_INVALID);
    CHECK(i2i_time_parse("2500-01-01T00:00:00Z", 20, 1, &ns, &e) == I2I_ERR_RANGE);
    CHECK(i2i_floor_div(-1, 1000) == -1);
    CHECK(i2i_floor_mod(-1, 1000) == 999);
    /* the oldest instant InfluxDB can hold formats without overflow (UBSan would abort) */
    i2i_time_format_rfc3339(INT64_MIN, out, sizeof out);
    CHECK_EQ_STR(out, "1677-09-21T00:12:43.145224192Z");
    i2i_time_format_rfc3339(INT64_MAX, out, sizeof out);
    CHECK_EQ_STR(out, "2262-04-11T23:47:16.854775807Z");
}

TEST(duration_units_follow_the_plugin)
{
    int64_t ns;
    i2i_error e;
    CHECK(i2i_duration_parse("30s", &ns, &e) == 0 && ns == 30 * I2I_NS_PER_S);
    CHECK(i2i_duration_parse("5min", &ns, &e) == 0 && ns == 300 * I2I_NS_PER_S);
    CHECK(i2i_duration_parse("1h", &ns, &e) == 0 && ns == 3600 * I2I_NS_PER_S);
    CHECK(i2i_duration_parse("1d", &ns, &e) == 0 && ns == 86400 * I2I_NS_PER_S);
    CHECK(i2i_duration_parse("2w", &ns, &e) == 0 && ns == 14 * 86400 * I2I_NS_PER_S);
    CHECK(i2i_duration_parse("0h", &ns, &e) == I2I_ERR_INVALID);
    CHECK(i2i_duration_parse("1y", &ns, &e) == I2I_ERR_INVALID);
    CHECK(i2i_duration_parse("h", &ns, &e) == I2I_ERR_INVALID);
}

TEST(uuid_is_v4)
{
    char u[37];
    i2i_error e;
    REQUIRE_OK(i2i_uuid4(u, &e), &e);
    CHECK(strlen(u) == 36 && u[14] == '4' && u[8] == '-');
    CHECK(strchr("89ab", u[19]) != NULL);
}

TEST(base64_decodes_plugin_catalog_configs)
{
    /* the plugin README's example value */
    const char *in = "eyJ1cmkiOiAiaHR0cDovL25lc3NpZTo5MDAwIn0=";
    i2i_buf b = I2I_BUF_INIT, e2 = I2I_BUF_INIT;
    i2i_error e;
    REQUIRE_OK(i2i_base64_decode(in, strlen(in), &b, &e), &e);
    CHECK_EQ_STR(i2i_buf_cstr(&b), "{\"uri\": \"http://nessie:9000\"}");
    CHECK(i2i_base64_encode(b.data, b.len, &e2) == 0);
    CHECK(e2.len == strlen(in) && memcmp(e2.data, in, e2.len) == 0);
    i2i_buf_reset(&b);
    CHECK(i2i_base64_decode("a$b", 3, &b, &e) == I2I_ERR_INVALID);
    CHECK(i2i_base64_decode("abcde", 5, &b, &e) == I2I_ERR_INVALID);
    i2i_buf_free(&b);
    i2i_buf_free(&e2);
}

TEST(many_secrets_are_all_redacted)
{
    char s[64], line[128];
    int i;
    for (i = 0; i < 100; i++) {
        snprintf(s, sizeof s, "secret-number-%03d", i);
        i2i_log_add_secret(s);
    }
    snprintf(line, sizeof line, "a secret-number-099 b secret-number-000");
    i2i_redact_in_place(line);
    CHECK_EQ_STR(line, "a *** b ***");
    i2i_log_clear_secrets();
}
