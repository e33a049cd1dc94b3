/* Statistics ordering rules: NaN, signed zeros, int64 extremes, unsigned strings, decimals,
 * booleans, all-null. */
#include <math.h>

#include "parquet/stats.h"
#include "test.h"

static double enc_double(const pq_stats *s, int is_max)
{
    i2i_buf b = I2I_BUF_INIT;
    double d = 12345;
    uint64_t bits;
    if (pq_stats_encode(s, PARQUET_DOUBLE, 0, is_max, &b) == I2I_OK && b.len == 8) {
        bits = i2i_load_le64(b.data);
        memcpy(&d, &bits, 8);
    }
    i2i_buf_free(&b);
    return d;
}

TEST(double_zero_bounds_are_negative_min_and_positive_max)
{
    pq_stats s;
    pq_stats_init(&s);
    pq_stats_update_double(&s, 0.0, 0.0);
    CHECK(enc_double(&s, 0) == 0.0 && signbit(enc_double(&s, 0)));
    CHECK(enc_double(&s, 1) == 0.0 && !signbit(enc_double(&s, 1)));
    pq_stats_reset(&s);
    pq_stats_update_double(&s, -3.5, -0.0);
    CHECK(enc_double(&s, 0) == -3.5);
    CHECK(enc_double(&s, 1) == 0.0 && !signbit(enc_double(&s, 1)));
    pq_stats_reset(&s);
    pq_stats_update_double(&s, 0.0, 7.0);
    CHECK(signbit(enc_double(&s, 0)));
    pq_stats_free(&s);
}

TEST(merge_widens_bounds_and_adds_counts)
{
    pq_stats a, b;
    pq_stats_init(&a);
    pq_stats_init(&b);
    a.null_count = 2;
    a.nan_count = 1;
    pq_stats_update_double(&a, -1, 1);
    b.null_count = 3;
    pq_stats_update_double(&b, -5, 0.5);
    REQUIRE(pq_stats_merge(&a, &b, PARQUET_DOUBLE) == I2I_OK);
    CHECK(a.null_count == 5 && a.nan_count == 1 && a.min_d == -5 && a.max_d == 1);
    /* an all-null source adds counts but no bounds */
    pq_stats_reset(&b);
    b.null_count = 10;
    REQUIRE(pq_stats_merge(&a, &b, PARQUET_DOUBLE) == I2I_OK);
    CHECK(a.null_count == 15 && a.min_d == -5);
    pq_stats_free(&a);
    pq_stats_free(&b);
}

TEST(all_null_has_no_bounds)
{
    pq_stats s, f;
    pq_stats_init(&s);
    pq_stats_init(&f);
    s.null_count = 4;
    REQUIRE(pq_stats_merge(&f, &s, PARQUET_BYTE_ARRAY) == I2I_OK);
    CHECK(!f.has_minmax && f.null_count == 4);
    pq_stats_free(&s);
    pq_stats_free(&f);
}

TEST(int64_extremes_encode_little_endian_signed)
{
    pq_stats s;
    i2i_buf b = I2I_BUF_INIT;
    pq_stats_init(&s);
    pq_stats_update_i64(&s, 5, 5);
    pq_stats_update_i64(&s, INT64_MIN, INT64_MAX);
    REQUIRE(pq_stats_encode(&s, PARQUET_INT64, 0, 0, &b) == I2I_OK);
    REQUIRE(pq_stats_encode(&s, PARQUET_INT64, 0, 1, &b) == I2I_OK);
    REQUIRE(b.len == 16);
    CHECK((int64_t)i2i_load_le64(b.data) == INT64_MIN);
    CHECK((int64_t)i2i_load_le64(b.data + 8) == INT64_MAX);
    CHECK(pq_stats_cmp_encoded(PARQUET_INT64, b.data, 8, b.data + 8, 8) < 0);
    i2i_buf_reset(&b);
    pq_stats_reset(&s);
    pq_stats_update_i64(&s, INT32_MIN, -1);
    REQUIRE(pq_stats_encode(&s, PARQUET_INT32, 0, 0, &b) == I2I_OK);
    REQUIRE(b.len == 4);
    CHECK((int32_t)i2i_load_le32(b.data) == INT32_MIN);
    pq_stats_free(&s);
    i2i_buf_free(&b);
}

TEST(strings_order_by_unsigned_bytes_then_length)
{
    CHECK(pq_bytes_cmp((const uint8_t *)"z", 1, (const uint8_t *)"\xc3\xa9", 2) < 0); /* z < é */
    CHECK(pq_bytes_cmp((const uint8_t *)"\x7f", 1, (const uint8_t *)"\x80", 1) < 0);
    CHECK(pq_bytes_cmp((const uint8_t *)"a", 1, (const uint8_t *)"ab", 2) < 0);
    CHECK(pq_bytes_cmp((const uint8_t *)"", 0, (const uint8_t *)"a", 1) < 0);
    CHECK(pq_bytes_cmp((const uint8_t *)"ab", 2, (const uint8_t *)"ab", 2) == 0);
    {
        pq_stats s;
        i2i_buf b = I2I_BUF_INIT;
        pq_stats_init(&s);
        REQUIRE(pq_stats_update_bytes(&s, (const uint8_t *)"m", 1, (const uint8_t *)"m", 1) == 0);
        REQUIRE(pq_stats_update_bytes(&s, (const uint8_t *)"\xc3\xa9t\xc3\xa9", 5,
                                      (const uint8_t *)"\xc3\xa9t\xc3\xa9", 5) == 0);
        REQUIRE(pq_stats_update_bytes(&s, (const uint8_t *)"", 0, (const uint8_t *)"", 0) == 0);
        REQUIRE(pq_stats_encode(&s, PARQUET_BYTE_ARRAY, 0, 0, &b) == I2I_OK);
        CHECK(b.len == 0);
        REQUIRE(pq_stats_encode(&s, PARQUET_BYTE_ARRAY, 0, 1, &b) == I2I_OK);
        CHECK(b.len == 5 && memcmp(b.data, "\xc3\xa9t\xc3\xa9", 5) == 0);
        pq_stats_free(&s);
        i2i_buf_free(&b);
    }
}

TEST(decimals_order_signed_and_encode_big_endian)
{
    pq_stats s;
    i2i_buf b = I2I_BUF_INIT;
    static const uint8_t minus_one[9] = {0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF};
    static const uint8_t u64max[9] = {0x00, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF};
    pq_stats_init(&s);
    /* -1 (from int64) and UINT64_MAX (from uint64) */
    pq_stats_update_dec(&s, -1, UINT64_MAX, -1, UINT64_MAX);
    pq_stats_update_dec(&s, 0, UINT64_MAX, 0, UINT64_MAX);
    pq_stats_update_dec(&s, 0, 3, 0, 3);
    REQUIRE(pq_stats_encode(&s, PARQUET_FIXED_LEN_BYTE_ARRAY, 9, 0, &b) == I2I_OK);
    REQUIRE(pq_stats_encode(&s, PARQUET_FIXED_LEN_BYTE_ARRAY, 9, 1, &b) == I2I_OK);
    REQUIRE(b.len == 18);
    CHECK_EQ_MEM(b.data, minus_one, 9);
    CHECK_EQ_MEM(b.data + 9, u64max, 9);
    CHECK(pq_stats_cmp_encoded(PARQUET_FIXED_LEN_BYTE_ARRAY, b.data, 9, b.data + 9, 9) < 0);
    CHECK(pq_dec_cmp(-1, UINT64_MAX, 0, 0) < 0);
    CHECK(pq_dec_cmp(0, 1, 0, UINT64_MAX) < 0);
    pq_stats_free(&s);
    i2i_buf_free(&b);
}

TEST(booleans_are_one_byte_false_before_true)
{
    pq_stats s;
    i2i_buf b = I2I_BUF_INIT;
    pq_stats_init(&s);
    pq_stats_update_i64(&s, 0, 1);
    REQUIRE(pq_stats_encode(&s, PARQUET_BOOLEAN, 0, 0, &b) == I2I_OK);
    REQUIRE(pq_stats_encode(&s, PARQUET_BOOLEAN, 0, 1, &b) == I2I_OK);
    CHECK(b.len == 2 && b.data[0] == 0 && b.data[1] == 1);
    pq_stats_free(&s);
    i2i_buf_free(&b);
}
