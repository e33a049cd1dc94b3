/* Unit tests of the iceberg layer's pure parts: bound serialisation and truncation, transforms,
 * metadata documents (spec-required fields per version, round trip, unknown keys), schema
 * evolution ids, type spellings. */
#include <math.h>
#include <stdlib.h>

#include "iceberg/internal.h"
#include "test.h"

static void hex_of(const uint8_t *p, size_t n, char *out) { i2i_hex(p, n, out); }

/* ---------------------------------------------------------------- bounds */

/* Expected values are what PyIceberg 0.12's make_compatible_name and Iceberg Java's
 * AvroSchemaUtil.makeCompatibleName give for ASCII names, and icebird's sanitize() for all. */
TEST(parquet_column_names_follow_avro_sanitizing)
{
    static const struct { const char *in, *out; } cases[] = {
        {"time", "time"},         {"_ok", "_ok"},       {"usage_user", "usage_user"},
        {"a b", "a_x20b"},        {"a.b", "a_x2Eb"},     {"1x", "_1x"},
        {"x1", "x1"},             {"\"q\"", "_x22q_x22"}, {"select", "select"},
        {"-", "_x2D"},            {"\xc3\xa9", "_xE9"},   {"\xe6\xb8\xa9\xe5\xba\xa6", "_x6E29_x5EA6"},
        {"\xf0\x9f\x98\x80x", "_xD83D_xDE00x"},
    };
    size_t i;
    i2i_error err;
    i2i_buf b = I2I_BUF_INIT;
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        i2i_buf_reset(&b);
        CHECK_OK(iceberg_parquet_column_name(cases[i].in, &b, &err), &err);
        CHECK_EQ_STR(i2i_buf_cstr(&b), cases[i].out);
    }
    i2i_buf_reset(&b);
    CHECK(iceberg_parquet_column_name("bad\xff", &b, &err) == I2I_ERR_INVALID);
    CHECK(iceberg_parquet_column_name("", &b, &err) == I2I_ERR_INVALID);
    i2i_buf_free(&b);
}

TEST(bounds_int_long_date_are_little_endian_like_real_iceberg_files)
{
    uint8_t b[8];
    char h[17];
    ice_bound_int(20089, b); /* date 2025-01-01, spec example 794e0000 */
    hex_of(b, 4, h);
    CHECK_EQ_STR(h, "794e0000");
    ice_bound_long(12345, b);
    hex_of(b, 8, h);
    CHECK_EQ_STR(h, "3930000000000000");
    ice_bound_int(-1, b);
    hex_of(b, 4, h);
    CHECK_EQ_STR(h, "ffffffff");
    /* timestamp bounds are longs in µs: the real file's 40efd44cbcfb0500 */
    ice_bound_long(INT64_C(0x0005fbbc4cd4ef40), b);
    hex_of(b, 8, h);
    CHECK_EQ_STR(h, "40efd44cbcfb0500");
    ice_bound_long(INT64_C(-1000000), b); /* one second before 1970 */
    hex_of(b, 8, h);
    CHECK_EQ_STR(h, "c0bdf0ffffffffff");
}

TEST(bounds_double_keep_sign_of_zero_and_ieee_bits)
{
    uint8_t b[8];
    char h[17];
    ice_bound_double(1.0, b);
    hex_of(b, 8, h);
    CHECK_EQ_STR(h, "000000000000f03f");
    ice_bound_double(-0.0, b);
    hex_of(b, 8, h);
    CHECK_EQ_STR(h, "0000000000000080");
    ice_bound_double(0.0, b);
    hex_of(b, 8, h);
    CHECK_EQ_STR(h, "0000000000000000");
}

static void pc_init(parquet_column_result *pc, int32_t id)
{
    memset(pc, 0, sizeof *pc);
    pc->field_id = id;
    pc->value_count = 10;
    pc->null_count = 2;
    pc->nan_count = 1;
    pc->compressed_bytes = 99;
    pc->has_bounds = 1;
}

TEST(metrics_double_zero_bounds_are_widened_to_minus_and_plus_zero)
{
    parquet_column_result pc;
    iceberg_column_metrics m;
    iceberg_type t = {ICEBERG_TYPE_DOUBLE, 0, 0, 0};
    ice_metrics_mode mode = {ICE_METRICS_TRUNCATE, 16};
    uint8_t lo[8], hi[8];
    char h[17];
    i2i_error err;
    pc_init(&pc, 3);
    memset(&m, 0, sizeof m);
    ice_bound_double(0.0, lo);  /* file says min +0.0: -0.0 may be present */
    ice_bound_double(-0.0, hi); /* file says max -0.0: +0.0 may be present */
    i2i_buf_append(&pc.lower, lo, 8);
    i2i_buf_append(&pc.upper, hi, 8);
    REQUIRE_OK(ice_metrics_from_parquet(t, &pc, mode, &m, &err), &err);
    CHECK(m.has_lower && m.has_upper);
    hex_of(m.lower.data, 8, h);
    CHECK_EQ_STR(h, "0000000000000080");
    hex_of(m.upper.data, 8, h);
    CHECK_EQ_STR(h, "0000000000000000");
    CHECK_EQ_INT(m.nan_count, 1);
    CHECK_EQ_INT(m.null_count, 2);
    CHECK_EQ_INT(m.value_count, 10);
    CHECK_EQ_INT(m.column_size, 99);
    i2i_buf_free(&m.lower);
    i2i_buf_free(&m.upper);
    i2i_buf_free(&pc.lower);
    i2i_buf_free(&pc.upper);
}

TEST(metrics_modes_counts_and_none_drop_bounds_and_nan_only_for_floats)
{
    parquet_column_result pc;
    iceberg_column_metrics m;
    iceberg_type t = {ICEBERG_TYPE_LONG, 0, 0, 0};
    ice_metrics_mode mode;
    uint8_t b[8];
    i2i_error err;
    pc_init(&pc, 1);
    ice_bound_long(5, b);
    i2i_buf_append(&pc.lower, b, 8);
    i2i_buf_append(&pc.upper, b, 8);
    memset(&m, 0, sizeof m);
    REQUIRE_OK(ice_metrics_mode_parse("counts", &mode, &err), &err);
    REQUIRE_OK(ice_metrics_from_parquet(t, &pc, mode, &m, &err), &err);
    CHECK(!m.has_lower && !m.has_upper);
    CHECK_EQ_INT(m.nan_count, -1); /* long: no NaN count */
    CHECK_EQ_INT(m.value_count, 10);
    REQUIRE_OK(ice_metrics_mode_parse("none", &mode, &err), &err);
    REQUIRE_OK(ice_metrics_from_parquet(t, &pc, mode, &m, &err), &err);
    CHECK_EQ_INT(m.value_count, -1);
    CHECK_EQ_INT(m.column_size, 99);
    REQUIRE_OK(ice_metrics_mode_parse("full", &mode, &err), &err);
    REQUIRE_OK(ice_metrics_from_parquet(t, &pc, mode, &m, &err), &err);
    CHECK(m.has_lower && m.has_upper && m.lower.len == 8);
    CHECK(ice_metrics_mode_parse("truncate(0)", &mode, &err) == I2I_ERR_INVALID);
    CHECK(ice_metrics_mode_parse("bogus", &mode, &err) == I2I_ERR_INVALID);
    REQUIRE_OK(ice_metrics_mode_parse("truncate(8)", &mode, &err), &err);
    CHECK_EQ_INT(mode.length, 8);
    i2i_buf_free(&m.lower);
    i2i_buf_free(&m.upper);
    i2i_buf_free(&pc.lower);
    i2i_buf_free(&pc.upper);
}

static int upper_of(const char *s, size_t max, i2i_buf *out)
{
    return ice_utf8_upper((const uint8_t *)s, strlen(s), max, out);
}

static int buf_is(const i2i_buf *b, const char *s)
{
    return b->len == strlen(s) && memcmp(b->data, s, b->len) == 0;
}

TEST(string_bounds_truncate_to_16_code_points_and_increment_upper)
{
    i2i_buf u = I2I_BUF_INIT;
    const char *s = "abcdefghijklmnopqrstuvwxyz";
    CHECK_EQ_INT(ice_utf8_prefix((const uint8_t *)s, strlen(s), 16), 16);
    CHECK_EQ_INT(upper_of(s, 16, &u), 1);
    CHECK(buf_is(&u, "abcdefghijklmnoq")); /* 16th char 'p' + 1 */
    /* short value: itself */
    CHECK_EQ_INT(upper_of("short", 16, &u), 1);
    CHECK(buf_is(&u, "short"));
    /* exactly 16 code points: itself */
    CHECK_EQ_INT(upper_of("abcdefghijklmnop", 16, &u), 1);
    CHECK(buf_is(&u, "abcdefghijklmnop"));
    i2i_buf_free(&u);
}

TEST(string_bounds_never_split_multibyte_utf8)
{
    i2i_buf u = I2I_BUF_INIT;
    /* 17 x "é" (2 bytes each): lower = 16 code points = 32 bytes */
    char s[128] = "";
    int i;
    for (i = 0; i < 17; i++) strcat(s, "\xc3\xa9");
    CHECK_EQ_INT(ice_utf8_prefix((const uint8_t *)s, strlen(s), 16), 32);
    CHECK_EQ_INT(upper_of(s, 16, &u), 1);
    /* 15 x é then ê (U+00EA) */
    CHECK_EQ_INT(u.len, 32);
    CHECK(memcmp(u.data, s, 30) == 0 && u.data[30] == 0xc3 && u.data[31] == 0xaa);
    /* 4-byte code points: 17 x U+1F600 -> 16 kept, last becomes U+1F601 */
    s[0] = 0;
    for (i = 0; i < 17; i++) strcat(s, "\xf0\x9f\x98\x80");
    CHECK_EQ_INT(ice_utf8_prefix((const uint8_t *)s, strlen(s), 16), 64);
    CHECK_EQ_INT(upper_of(s, 16, &u), 1);
    CHECK_EQ_INT(u.len, 64);
    CHECK(u.data[63] == 0x81);
    /* U+07FF + 1 = U+0800 changes the encoded length (2 -> 3 bytes) */
    CHECK_EQ_INT(upper_of("\xdf\xbf" "bc", 1, &u), 1);
    CHECK(buf_is(&u, "\xe0\xa0\x80"));
    i2i_buf_free(&u);
}

TEST(string_upper_bound_skips_surrogates_and_max_code_point)
{
    i2i_buf u = I2I_BUF_INIT;
    char s[128] = "";
    int i;
    /* U+D7FF increments to U+E000 (surrogates are not code points in UTF-8) */
    CHECK_EQ_INT(upper_of("\xed\x9f\xbf" "zz", 1, &u), 1);
    CHECK(buf_is(&u, "\xee\x80\x80"));
    /* last code point U+10FFFF cannot be incremented: the previous one is, the rest dropped */
    CHECK_EQ_INT(upper_of("a\xf4\x8f\xbf\xbf" "c", 2, &u), 1);
    CHECK(buf_is(&u, "b"));
    /* all U+10FFFF: no upper bound at all */
    for (i = 0; i < 17; i++) strcat(s, "\xf4\x8f\xbf\xbf");
    CHECK_EQ_INT(upper_of(s, 16, &u), 0);
    i2i_buf_free(&u);
}

TEST(string_metrics_truncate_lower_and_omit_impossible_upper)
{
    parquet_column_result pc;
    iceberg_column_metrics m;
    iceberg_type t = {ICEBERG_TYPE_STRING, 0, 0, 0};
    ice_metrics_mode mode = {ICE_METRICS_TRUNCATE, 16};
    i2i_error err;
    char s[128] = "";
    int i;
    pc_init(&pc, 2);
    memset(&m, 0, sizeof m);
    i2i_buf_append_str(&pc.lower, "aaaaaaaaaaaaaaaaaaaaaaaa");
    for (i = 0; i < 20; i++) strcat(s, "\xf4\x8f\xbf\xbf");
    i2i_buf_append_str(&pc.upper, s);
    REQUIRE_OK(ice_metrics_from_parquet(t, &pc, mode, &m, &err), &err);
    CHECK(m.has_lower);
    CHECK_EQ_INT(m.lower.len, 16);
    CHECK(!m.has_upper);
    CHECK_EQ_INT(m.nan_count, -1);
    /* full mode keeps both untouched */
    mode.kind = ICE_METRICS_FULL;
    REQUIRE_OK(ice_metrics_from_parquet(t, &pc, mode, &m, &err), &err);
    CHECK(m.has_upper && m.upper.len == strlen(s) && m.lower.len == 24);
    i2i_buf_free(&m.lower);
    i2i_buf_free(&m.upper);
    i2i_buf_free(&pc.lower);
    i2i_buf_free(&pc.upper);
}

TEST(binary_upper_increments_last_byte_below_ff)
{
    i2i_buf u = I2I_BUF_INIT;
    const uint8_t a[] = {1, 2, 0xff, 0xff, 9};
    const uint8_t f[] = {0xff, 0xff, 0xff};
    CHECK_EQ_INT(ice_binary_upper(a, 5, 4, &u), 1);
    CHECK(u.len == 2 && u.data[0] == 1 && u.data[1] == 3);
    CHECK_EQ_INT(ice_binary_upper(f, 3, 2, &u), 0);
    CHECK_EQ_INT(ice_binary_upper(a, 5, 5, &u), 1);
    CHECK_EQ_INT(u.len, 5);
    i2i_buf_free(&u);
}

TEST(decimal_bounds_use_minimal_twos_complement)
{
    const uint8_t five[] = {0, 0, 0, 0, 0, 0, 0, 0, 5};
    const uint8_t neg[] = {0xff, 0xff, 0xff, 0xfb};
    const uint8_t big[] = {0, 0, 0x80, 0};
    const uint8_t *p;
    CHECK_EQ_INT(ice_decimal_minimal(five, 9, &p), 1);
    CHECK(p[0] == 5);
    CHECK_EQ_INT(ice_decimal_minimal(neg, 4, &p), 1);
    CHECK(p[0] == 0xfb);
    CHECK_EQ_INT(ice_decimal_minimal(big, 4, &p), 3); /* 0x008000 keeps the sign byte */
    CHECK(p[0] == 0 && p[1] == 0x80);
}

/* ---------------------------------------------------------------- transforms */

#define US(days, h) ((int64_t)(days) * INT64_C(86400000000) + (int64_t)(h) * INT64_C(3600000000))

TEST(time_transforms_floor_before_1970)
{
    CHECK_EQ_INT(iceberg_transform_day(0, 0), 0);
    CHECK_EQ_INT(iceberg_transform_day(-1, 0), -1);
    CHECK_EQ_INT(iceberg_transform_day(-INT64_C(86400000000), 0), -1);
    CHECK_EQ_INT(iceberg_transform_day(-INT64_C(86400000001), 0), -2);
    CHECK_EQ_INT(iceberg_transform_hour(-1, 0), -1);
    CHECK_EQ_INT(iceberg_transform_hour(-1, 1), -1);
    CHECK_EQ_INT(iceberg_transform_month(-1, 0), -1); /* 1969-12 */
    CHECK_EQ_INT(iceberg_transform_year(-1, 0), -1);
    CHECK_EQ_INT(iceberg_transform_month(US(-365, 0), 0), -12); /* 1969-01-01 */
    CHECK_EQ_INT(iceberg_transform_month(US(-366, 0), 0), -13); /* 1968-12-31 */
    CHECK_EQ_INT(iceberg_transform_year(US(-366, 0), 0), -2);
}

TEST(time_transforms_after_1970_match_calendar)
{
    int64_t t = US(19737, 10) + 123; /* 2024-01-15T10:00:00.000123 */
    CHECK_EQ_INT(iceberg_transform_day(t, 0), 19737);
    CHECK_EQ_INT(iceberg_transform_hour(t, 0), 19737 * 24 + 10);
    CHECK_EQ_INT(iceberg_transform_month(t, 0), 648);
    CHECK_EQ_INT(iceberg_transform_year(t, 0), 54);
    CHECK_EQ_INT(iceberg_transform_day(t * 1000, 1), 19737);
    CHECK_EQ_INT(iceberg_transform_hour(t * 1000 + 999, 1), 19737 * 24 + 10);
    CHECK_EQ_INT(iceberg_transform_month(US(19782, 0), 0), 649); /* 2024-02-29 */
    CHECK_EQ_INT(iceberg_transform_day(US(19782, 0) - 1, 0), 19781);
}

static int32_t transform_of(iceberg_transform_id tr, int64_t t, int nanos)
{
    switch (tr) {
    case ICEBERG_TRANSFORM_YEAR: return iceberg_transform_year(t, nanos);
    case ICEBERG_TRANSFORM_MONTH: return iceberg_transform_month(t, nanos);
    case ICEBERG_TRANSFORM_DAY: return iceberg_transform_day(t, nanos);
    default: return iceberg_transform_hour(t, nanos);
    }
}

/* The data writer trusts [lo, hi) to hold exactly the times with t's year/month/day/hour. */
TEST(time_transform_range_is_exactly_the_values_with_the_same_result)
{
    static const iceberg_transform_id trs[] = {ICEBERG_TRANSFORM_YEAR, ICEBERG_TRANSFORM_MONTH,
                                               ICEBERG_TRANSFORM_DAY, ICEBERG_TRANSFORM_HOUR};
    int64_t ts[40];
    size_t nt = 0, i, k;
    int nanos;
    uint64_t rs = 0x243F6A8885A308D3ULL;
    ts[nt++] = 0;
    ts[nt++] = -1;
    ts[nt++] = US(19782, 0);      /* 2024-02-29 */
    ts[nt++] = US(19782, 0) - 1;  /* 2024-02-28T23:59:59.999999 */
    ts[nt++] = US(-365, 0);       /* 1969-01-01 */
    ts[nt++] = US(-366, 23) + 1;  /* 1968-12-31T23:00:00.000001 */
    ts[nt++] = US(10957, 0);      /* 2000-01-01 */
    ts[nt++] = US(11016, 0) - 1;  /* 2000-02-29T23:59:59.999999 */
    while (nt < sizeof ts / sizeof ts[0]) {
        rs ^= rs << 13;
        rs ^= rs >> 7;
        rs ^= rs << 17;
        ts[nt++] = (int64_t)(rs % (UINT64_C(200) * 365 * 86400000000)) - INT64_C(100) * 365 * 86400000000;
    }
    for (nanos = 0; nanos <= 1; nanos++) {
        for (k = 0; k < sizeof trs / sizeof trs[0]; k++) {
            for (i = 0; i < nt; i++) {
                int64_t t = nanos ? ts[i] * 1000 + 999 : ts[i], lo = 0, hi = 0;
                int32_t want = transform_of(trs[k], t, nanos);
                REQUIRE(iceberg_transform_range(trs[k], t, nanos, &lo, &hi) == 1);
                CHECK(lo <= t && t < hi);
                CHECK_EQ_INT(transform_of(trs[k], lo, nanos), want);
                CHECK_EQ_INT(transform_of(trs[k], hi - 1, nanos), want);
                CHECK(transform_of(trs[k], lo - 1, nanos) != want);
                CHECK(transform_of(trs[k], hi, nanos) != want);
            }
        }
    }
    {
        int64_t lo, hi;
        CHECK_EQ_INT(iceberg_transform_range(ICEBERG_TRANSFORM_IDENTITY, 5, 0, &lo, &hi), 0);
        CHECK_EQ_INT(iceberg_transform_range(ICEBERG_TRANSFORM_BUCKET, 5, 0, &lo, &hi), 0);
        CHECK_EQ_INT(iceberg_transform_range(ICEBERG_TRANSFORM_DAY, INT64_MAX, 1, &lo, &hi), 0);
    }
}

TEST(partition_paths_are_human_readable)
{
    iceberg_partition_field pf = {1, 1000, "time_day", ICEBERG_TRANSFORM_DAY, 0};
    iceberg_type date = {ICEBERG_TYPE_DATE, 0, 0, 0}, it = {ICEBERG_TYPE_INT, 0, 0, 0};
    iceberg_type st = {ICEBERG_TYPE_STRING, 0, 0, 0};
    iceberg_partition_value v = {0, 19737, NULL, 0};
    i2i_buf b = I2I_BUF_INIT;
    REQUIRE(ice_partition_human(&pf, date, &v, &b) == 0);
    CHECK_EQ_STR(i2i_buf_cstr(&b), "time_day=2024-01-15");
    i2i_buf_reset(&b);
    v.i = -1;
    ice_partition_human(&pf, date, &v, &b);
    CHECK_EQ_STR(i2i_buf_cstr(&b), "time_day=1969-12-31");
    pf.name = "time_hour";
    pf.transform = ICEBERG_TRANSFORM_HOUR;
    i2i_buf_reset(&b);
    ice_partition_human(&pf, it, &v, &b);
    CHECK_EQ_STR(i2i_buf_cstr(&b), "time_hour=1969-12-31-23");
    pf.name = "time_month";
    pf.transform = ICEBERG_TRANSFORM_MONTH;
    i2i_buf_reset(&b);
    ice_partition_human(&pf, it, &v, &b);
    CHECK_EQ_STR(i2i_buf_cstr(&b), "time_month=1969-12");
    pf.name = "time_year";
    pf.transform = ICEBERG_TRANSFORM_YEAR;
    v.i = 54;
    i2i_buf_reset(&b);
    ice_partition_human(&pf, it, &v, &b);
    CHECK_EQ_STR(i2i_buf_cstr(&b), "time_year=2024");
    pf.name = "host";
    pf.transform = ICEBERG_TRANSFORM_IDENTITY;
    v.s = "a b/c";
    v.slen = 5;
    i2i_buf_reset(&b);
    ice_partition_human(&pf, st, &v, &b);
    CHECK_EQ_STR(i2i_buf_cstr(&b), "host=a%20b%2Fc");
    v.is_null = 1;
    i2i_buf_reset(&b);
    ice_partition_human(&pf, st, &v, &b);
    CHECK_EQ_STR(i2i_buf_cstr(&b), "host=null");
    i2i_buf_free(&b);
}

TEST(bucket_hash_matches_spec_appendix_b_vectors)
{
    uint8_t le[8];
    ice_bound_long(34, le);
    CHECK_EQ_INT((int32_t)ice_murmur3_32(le, 8), 2017239379);
    CHECK_EQ_INT((int32_t)ice_murmur3_32("iceberg", 7), 1210000089);
    ice_bound_long(17486, le); /* date 2017-11-16 hashed as long */
    CHECK_EQ_INT((int32_t)ice_murmur3_32(le, 8), -653330422);
    ice_bound_long(INT64_C(1510871468000000), le); /* 2017-11-16T22:31:08 */
    CHECK_EQ_INT((int32_t)ice_murmur3_32(le, 8), -2047944441);
}

TEST(transform_strings_parse_and_format)
{
    int32_t p;
    char b[32];
    CHECK(ice_transform_parse("day", &p) == ICEBERG_TRANSFORM_DAY);
    CHECK(ice_transform_parse("bucket[16]", &p) == ICEBERG_TRANSFORM_BUCKET && p == 16);
    CHECK(ice_transform_parse("truncate[4]", &p) == ICEBERG_TRANSFORM_TRUNCATE && p == 4);
    CHECK(ice_transform_parse("bucket[x]", &p) == ICEBERG_TRANSFORM_UNKNOWN);
    CHECK(ice_transform_parse("zorder", &p) == ICEBERG_TRANSFORM_UNKNOWN);
    CHECK_EQ_STR(ice_transform_format(ICEBERG_TRANSFORM_BUCKET, 8, b, sizeof b), "bucket[8]");
}

/* ---------------------------------------------------------------- types */

TEST(type_spellings_round_trip_and_v3_types_need_v3)
{
    iceberg_type t;
    char b[48];
    i2i_error err;
    iceberg_type_options ns = {0, 1, 0}, tz = {1, 0, 0}, dec = {0, 0, 1};
    REQUIRE_OK(iceberg_type_parse("decimal(9,2)", &t, &err), &err);
    CHECK(t.id == ICEBERG_TYPE_DECIMAL && t.precision == 9 && t.scale == 2);
    CHECK_EQ_STR(iceberg_type_format(t, b, sizeof b), "decimal(9, 2)");
    REQUIRE_OK(iceberg_type_parse("decimal(20, 0)", &t, &err), &err);
    CHECK(t.precision == 20 && t.scale == 0);
    REQUIRE_OK(iceberg_type_parse("fixed[16]", &t, &err), &err);
    CHECK(t.id == ICEBERG_TYPE_FIXED && t.length == 16);
    REQUIRE_OK(iceberg_type_parse("timestamptz_ns", &t, &err), &err);
    CHECK(t.id == ICEBERG_TYPE_TIMESTAMPTZ_NS);
    CHECK(iceberg_type_parse("variant", &t, &err) == I2I_ERR_FORMAT);

    REQUIRE_OK(iceberg_type_for_column(COLUMNAR_TIMESTAMP, 2, NULL, &t, &err), &err);
    CHECK_EQ_STR(iceberg_type_format(t, b, sizeof b), "timestamp"); /* the plugin's choice */
    REQUIRE_OK(iceberg_type_for_column(COLUMNAR_TIMESTAMP, 2, &tz, &t, &err), &err);
    CHECK_EQ_STR(iceberg_type_format(t, b, sizeof b), "timestamptz");
    CHECK(iceberg_type_for_column(COLUMNAR_TIMESTAMP, 2, &ns, &t, &err) == I2I_ERR_INVALID);
    REQUIRE_OK(iceberg_type_for_column(COLUMNAR_TIMESTAMP, 3, &ns, &t, &err), &err);
    CHECK_EQ_STR(iceberg_type_format(t, b, sizeof b), "timestamp_ns");
    REQUIRE_OK(iceberg_type_for_column(COLUMNAR_UINT64, 2, NULL, &t, &err), &err);
    CHECK(t.id == ICEBERG_TYPE_LONG);
    REQUIRE_OK(iceberg_type_for_column(COLUMNAR_UINT64, 2, &dec, &t, &err), &err);
    CHECK_EQ_STR(iceberg_type_format(t, b, sizeof b), "decimal(20, 0)");
    REQUIRE_OK(iceberg_type_for_column(COLUMNAR_STRING, 2, NULL, &t, &err), &err);
    CHECK(t.id == ICEBERG_TYPE_STRING);
    REQUIRE_OK(iceberg_type_for_column(COLUMNAR_DOUBLE, 2, NULL, &t, &err), &err);
    CHECK(t.id == ICEBERG_TYPE_DOUBLE);
    REQUIRE_OK(iceberg_type_for_column(COLUMNAR_BOOL, 2, NULL, &t, &err), &err);
    CHECK(t.id == ICEBERG_TYPE_BOOLEAN);
    REQUIRE_OK(iceberg_type_for_column(COLUMNAR_INT64, 2, NULL, &t, &err), &err);
    CHECK(t.id == ICEBERG_TYPE_LONG);
}

/* ---------------------------------------------------------------- metadata */

static const iceberg_column_def cols2[] = {
    {"time", {ICEBERG_TYPE_TIMESTAMP, 0, 0, 0}, 1},
    {"host", {ICEBERG_TYPE_STRING, 0, 0, 0}, 0},
    {"usage", {ICEBERG_TYPE_DOUBLE, 0, 0, 0}, 0},
};

static const char *v2_required[] = {"format-version", "table-uuid", "location", "last-sequence-number",
                                    "last-updated-ms", "last-column-id", "schemas", "current-schema-id",
                                    "partition-specs", "default-spec-id", "last-partition-id",
                                    "sort-orders", "default-sort-order-id"};

TEST(new_v2_metadata_has_every_required_field_and_day_partitioning)
{
    iceberg_create_options o;
    json_t *md = NULL, *spec, *pf, *so;
    ice_meta m;
    i2i_error err;
    size_t i;
    memset(&o, 0, sizeof o);
    o.columns = cols2;
    o.ncolumns = 3;
    o.time_column = "time";
    REQUIRE_OK(ice_meta_new(&o, "file:///w/db/t", &md, &err), &err);
    for (i = 0; i < sizeof v2_required / sizeof v2_required[0]; i++) {
        if (!json_object_get(md, v2_required[i])) i2i_test_fail(__FILE__, __LINE__, "missing %s", v2_required[i]);
    }
    CHECK_EQ_INT(json_integer_value(json_object_get(md, "format-version")), 2);
    CHECK_EQ_INT(json_integer_value(json_object_get(md, "current-snapshot-id")), -1);
    CHECK(json_object_get(md, "next-row-id") == NULL);
    CHECK_EQ_INT(json_integer_value(json_object_get(md, "last-column-id")), 3);
    CHECK_EQ_INT(json_integer_value(json_object_get(md, "last-partition-id")), 1000);
    CHECK_EQ_INT(json_integer_value(json_object_get(md, "last-sequence-number")), 0);
    CHECK_EQ_INT(strlen(json_string_value(json_object_get(md, "table-uuid"))), 36);
    spec = json_array_get(json_object_get(md, "partition-specs"), 0);
    pf = json_array_get(json_object_get(spec, "fields"), 0);
    CHECK_EQ_STR(json_string_value(json_object_get(pf, "name")), "time_day");
    CHECK_EQ_STR(json_string_value(json_object_get(pf, "transform")), "day");
    CHECK_EQ_INT(json_integer_value(json_object_get(pf, "field-id")), 1000);
    CHECK_EQ_INT(json_integer_value(json_object_get(pf, "source-id")), 1);
    so = json_array_get(json_object_get(md, "sort-orders"), 0);
    CHECK_EQ_INT(json_integer_value(json_object_get(so, "order-id")), 0);
    CHECK_EQ_INT(json_array_size(json_object_get(so, "fields")), 0);
    CHECK(json_object_get(json_object_get(md, "properties"), "format-version") == NULL);
    REQUIRE_OK(ice_meta_parse(md, &m, &err), &err);
    CHECK_EQ_INT(m.schema.nfields, 3);
    CHECK_EQ_INT(m.schema.fields[0].id, 1);
    CHECK(m.schema.fields[0].required);
    CHECK(m.schema.fields[0].type.id == ICEBERG_TYPE_TIMESTAMP);
    CHECK_EQ_INT(m.schema.fields[2].id, 3);
    CHECK_EQ_INT(m.spec.nfields, 1);
    CHECK(m.spec.fields[0].transform == ICEBERG_TRANSFORM_DAY);
    CHECK_EQ_INT(m.current_snapshot_id, -1);
    ice_meta_clear(&m);
    json_decref(md);
    md = NULL;
    /* no location: left out for a REST server to choose; an empty one is an error */
    REQUIRE_OK(ice_meta_new(&o, NULL, &md, &err), &err);
    CHECK(json_object_get(md, "location") == NULL);
    CHECK(json_object_get(md, "schemas") != NULL);
    json_decref(md);
    md = NULL;
    CHECK_EQ_INT(ice_meta_new(&o, "", &md, &err), I2I_ERR_INVALID);
    json_decref(md);
}

TEST(new_v3_metadata_has_next_row_id_and_null_current_snapshot)
{
    iceberg_create_options o;
    iceberg_column_def c[2] = {{"time", {ICEBERG_TYPE_TIMESTAMPTZ_NS, 0, 0, 0}, 1},
                               {"v", {ICEBERG_TYPE_LONG, 0, 0, 0}, 0}};
    json_t *md = NULL;
    i2i_error err;
    memset(&o, 0, sizeof o);
    o.columns = c;
    o.ncolumns = 2;
    o.time_column = "time";
    o.partition = ICEBERG_PARTITION_NONE;
    /* ns types are refused in v2 */
    CHECK(ice_meta_new(&o, "file:///w/t", &md, &err) == I2I_ERR_INVALID);
    o.format_version = 3;
    REQUIRE_OK(ice_meta_new(&o, "file:///w/t", &md, &err), &err);
    CHECK_EQ_INT(json_integer_value(json_object_get(md, "format-version")), 3);
    CHECK(json_is_null(json_object_get(md, "current-snapshot-id")));
    CHECK(json_is_integer(json_object_get(md, "next-row-id")));
    CHECK_EQ_INT(json_integer_value(json_object_get(md, "last-partition-id")), 999);
    CHECK_EQ_INT(json_array_size(json_object_get(json_array_get(json_object_get(md, "partition-specs"), 0), "fields")), 0);
    json_decref(md);
}

TEST(metadata_round_trip_keeps_unknown_keys_and_logs_commits)
{
    iceberg_create_options o;
    json_t *md = NULL, *md2, *snap, *log, *upd;
    ice_meta m;
    char *txt;
    i2i_error err;
    int changed;
    memset(&o, 0, sizeof o);
    o.columns = cols2;
    o.ncolumns = 3;
    o.time_column = "time";
    o.partition = ICEBERG_PARTITION_HOUR;
    REQUIRE_OK(ice_meta_new(&o, "file:///w/t", &md, &err), &err);
    json_object_set_new(md, "x-vendor-extension", json_pack("{s:[i,i]}", "k", 1, 2));
    txt = ice_json_dump(md);
    md2 = json_loads(txt, 0, NULL);
    free(txt);
    REQUIRE(md2 != NULL);
    snap = json_pack("{s:I, s:I, s:I, s:s, s:{s:s}}", "snapshot-id", (json_int_t)42, "sequence-number",
                     (json_int_t)1, "timestamp-ms", (json_int_t)1700000000000, "manifest-list",
                     "file:///w/t/metadata/snap.avro", "summary", "operation", "append");
    REQUIRE_OK(ice_meta_add_snapshot(md2, snap, 42, 1, 1700000000000, 0, &err), &err);
    upd = json_pack("{s:s}", "influx2iceberg.ranges.abc", "[1,2)");
    REQUIRE_OK(ice_meta_apply_properties(md2, upd, &changed, &err), &err);
    json_decref(upd);
    CHECK(changed);
    REQUIRE_OK(ice_meta_finish_commit(md2, "file:///w/t/metadata/00000-x.metadata.json", 1600000000000,
                                      1700000000001, &err),
               &err);
    CHECK(json_object_get(md2, "x-vendor-extension") != NULL);
    CHECK_EQ_INT(json_integer_value(json_object_get(md2, "current-snapshot-id")), 42);
    CHECK_EQ_INT(json_integer_value(json_object_get(md2, "last-sequence-number")), 1);
    CHECK_EQ_INT(json_integer_value(json_object_get(json_object_get(json_object_get(md2, "refs"), "main"), "snapshot-id")), 42);
    CHECK_EQ_STR(json_string_value(json_object_get(json_object_get(json_object_get(md2, "refs"), "main"), "type")), "branch");
    log = json_object_get(md2, "metadata-log");
    CHECK_EQ_INT(json_array_size(log), 1);
    CHECK_EQ_STR(json_string_value(json_object_get(json_array_get(log, 0), "metadata-file")),
                 "file:///w/t/metadata/00000-x.metadata.json");
    CHECK_EQ_INT(json_integer_value(json_object_get(json_array_get(log, 0), "timestamp-ms")), 1600000000000);
    CHECK_EQ_INT(json_array_size(json_object_get(md2, "snapshot-log")), 1);
    CHECK(json_integer_value(json_object_get(md2, "last-updated-ms")) >= 1700000000001);
    REQUIRE_OK(ice_meta_parse(md2, &m, &err), &err);
    CHECK_EQ_INT(m.current_snapshot_id, 42);
    CHECK_EQ_INT(m.nsnapshots, 1);
    CHECK_EQ_STR(m.snapshots[0].operation, "append");
    CHECK_EQ_INT(m.snapshots[0].parent_id, -1);
    CHECK_EQ_STR(ice_json_str(m.properties, "influx2iceberg.ranges.abc"), "[1,2)");
    CHECK(m.spec.fields[0].transform == ICEBERG_TRANSFORM_HOUR);
    CHECK_EQ_STR(m.spec.fields[0].name, "time_hour");
    ice_meta_clear(&m);
    /* reserved keys are refused; null removes */
    upd = json_pack("{s:s}", "format-version", "3");
    CHECK(ice_meta_apply_properties(md2, upd, &changed, &err) == I2I_ERR_INVALID);
    json_decref(upd);
    upd = json_pack("{s:n}", "influx2iceberg.ranges.abc");
    REQUIRE_OK(ice_meta_apply_properties(md2, upd, &changed, &err), &err);
    json_decref(upd);
    CHECK(changed);
    CHECK(json_object_get(json_object_get(md2, "properties"), "influx2iceberg.ranges.abc") == NULL);
    json_decref(md);
    json_decref(md2);
}

TEST(metadata_log_is_trimmed_to_previous_versions_max)
{
    json_t *md = json_pack("{s:{s:s}, s:[]}", "properties", "write.metadata.previous-versions-max", "2",
                           "metadata-log");
    i2i_error err;
    int i;
    for (i = 0; i < 5; i++) {
        char loc[64];
        snprintf(loc, sizeof loc, "file:///m/%d.metadata.json", i);
        REQUIRE_OK(ice_meta_finish_commit(md, loc, 1000 + i, 2000, &err), &err);
    }
    CHECK_EQ_INT(json_array_size(json_object_get(md, "metadata-log")), 2);
    CHECK_EQ_STR(json_string_value(json_object_get(json_array_get(json_object_get(md, "metadata-log"), 0), "metadata-file")),
                 "file:///m/3.metadata.json");
    json_decref(md);
}

TEST(parses_v1_and_pyiceberg_style_metadata)
{
    /* v1: "schema" + "partition-spec", no sequence numbers, no current-snapshot-id */
    const char *v1 =
        "{\"format-version\":1,\"table-uuid\":\"u\",\"location\":\"s3://b/t\",\"last-updated-ms\":1,"
        "\"last-column-id\":2,\"schema\":{\"type\":\"struct\",\"fields\":[{\"id\":1,\"name\":\"ts\","
        "\"required\":false,\"type\":\"timestamptz\"},{\"id\":2,\"name\":\"loc\",\"required\":false,"
        "\"type\":{\"type\":\"list\",\"element-id\":3,\"element\":\"string\",\"element-required\":false}}]},"
        "\"partition-spec\":[{\"name\":\"ts_day\",\"transform\":\"day\",\"source-id\":1,\"field-id\":1000}],"
        "\"properties\":{}}";
    /* PyIceberg v2: compact, identifier-field-ids [], no current-snapshot-id */
    const char *py =
        "{\"location\":\"file:///w/default/t\",\"table-uuid\":\"9c12d441-03fe-4693-9a96-a0705ddf69c1\","
        "\"last-updated-ms\":1,\"last-column-id\":2,\"schemas\":[{\"type\":\"struct\",\"fields\":[{\"id\":1,"
        "\"name\":\"time\",\"type\":\"timestamp\",\"required\":true},{\"id\":2,\"name\":\"v\",\"type\":\"long\","
        "\"required\":false}],\"schema-id\":0,\"identifier-field-ids\":[]}],\"current-schema-id\":0,"
        "\"partition-specs\":[{\"spec-id\":0,\"fields\":[]}],\"default-spec-id\":0,\"last-partition-id\":999,"
        "\"properties\":{},\"snapshots\":[],\"snapshot-log\":[],\"metadata-log\":[],\"sort-orders\":"
        "[{\"order-id\":0,\"fields\":[]}],\"default-sort-order-id\":0,\"refs\":{},\"statistics\":[],"
        "\"partition-statistics\":[],\"format-version\":2,\"last-sequence-number\":0}";
    json_t *md = json_loads(v1, 0, NULL);
    ice_meta m;
    i2i_error err;
    REQUIRE(md);
    REQUIRE_OK(ice_meta_parse(md, &m, &err), &err);
    CHECK_EQ_INT(m.format_version, 1);
    CHECK_EQ_INT(m.schema.nfields, 2);
    CHECK(m.schema.fields[1].type.id == ICEBERG_TYPE_NESTED);
    CHECK_EQ_INT(m.spec.nfields, 1);
    CHECK_EQ_STR(m.spec.fields[0].name, "ts_day");
    CHECK_EQ_INT(m.current_snapshot_id, -1);
    CHECK_EQ_INT(m.last_sequence_number, 0);
    ice_meta_clear(&m);
    json_decref(md);
    md = json_loads(py, 0, NULL);
    REQUIRE(md);
    REQUIRE_OK(ice_meta_parse(md, &m, &err), &err);
    CHECK_EQ_INT(m.format_version, 2);
    CHECK_EQ_INT(m.spec.nfields, 0);
    CHECK_EQ_INT(m.last_partition_id, 999);
    CHECK(m.schema.fields[0].required);
    CHECK_EQ_INT(m.current_snapshot_id, -1);
    ice_meta_clear(&m);
    /* a version we cannot know is refused */
    json_object_set_new(md, "format-version", json_integer(5));
    CHECK(ice_meta_parse(md, &m, &err) == I2I_ERR_UNSUPPORTED);
    json_decref(md);
}

TEST(schema_evolution_assigns_fresh_ids_and_a_new_schema_id)
{
    iceberg_create_options o;
    json_t *md = NULL;
    ice_meta m, m2;
    i2i_error err;
    int changed;
    iceberg_column_def add[2] = {{"new_a", {ICEBERG_TYPE_STRING, 0, 0, 0}, 1},
                                 {"host", {ICEBERG_TYPE_STRING, 0, 0, 0}, 0}};
    iceberg_column_def bad[1] = {{"usage", {ICEBERG_TYPE_LONG, 0, 0, 0}, 0}};
    iceberg_column_def ns[1] = {{"t2", {ICEBERG_TYPE_TIMESTAMP_NS, 0, 0, 0}, 0}};
    const char *relax[1] = {"time"};
    iceberg_schema_change ch = {add, 2, relax, 1};
    iceberg_schema_change chbad = {bad, 1, NULL, 0};
    iceberg_schema_change chns = {ns, 1, NULL, 0};
    memset(&o, 0, sizeof o);
    o.columns = cols2;
    o.ncolumns = 3;
    o.time_column = "time";
    REQUIRE_OK(ice_meta_new(&o, "file:///w/t", &md, &err), &err);
    json_object_set_new(md, "last-column-id", json_integer(7)); /* ids once used are never reused */
    REQUIRE_OK(ice_meta_parse(md, &m, &err), &err);
    CHECK(ice_schema_apply_change(md, &m.schema, 2, &chbad, &changed, &err) == I2I_ERR_INVALID);
    CHECK(ice_schema_apply_change(md, &m.schema, 2, &chns, &changed, &err) == I2I_ERR_INVALID);
    REQUIRE_OK(ice_schema_apply_change(md, &m.schema, 2, &ch, &changed, &err), &err);
    CHECK(changed);
    REQUIRE_OK(ice_meta_parse(md, &m2, &err), &err);
    CHECK_EQ_INT(m2.current_schema_id, 1);
    CHECK_EQ_INT(m2.schema.schema_id, 1);
    CHECK_EQ_INT(m2.schema.nfields, 4);
    CHECK_EQ_STR(m2.schema.fields[3].name, "new_a");
    CHECK_EQ_INT(m2.schema.fields[3].id, 8);
    CHECK(!m2.schema.fields[3].required); /* added columns are optional */
    CHECK(!m2.schema.fields[0].required); /* relaxed */
    CHECK_EQ_INT(m2.last_column_id, 8);
    CHECK_EQ_INT(json_array_size(json_object_get(md, "schemas")), 2);
    /* re-applying is a no-op */
    REQUIRE_OK(ice_schema_apply_change(md, &m2.schema, 2, &ch, &changed, &err), &err);
    CHECK(!changed);
    ice_meta_clear(&m);
    ice_meta_clear(&m2);
    json_decref(md);
}

TEST(partition_field_names_are_valid_avro_names)
{
    int32_t last;
    json_t *s = ice_spec_json_new(0, ICEBERG_PARTITION_DAY, 1, "my time-col", &last);
    json_t *f = json_array_get(json_object_get(s, "fields"), 0);
    CHECK_EQ_STR(json_string_value(json_object_get(f, "name")), "my_time_col_day");
    CHECK_EQ_INT(last, 1000);
    json_decref(s);
}
