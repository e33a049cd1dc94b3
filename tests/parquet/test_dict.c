/* Dictionary builder: dense indices, PLAIN page body, byte strings, budget, growth, reset. */
#include <stdlib.h>

#include "parquet/dict.h"
#include "test.h"

TEST(numeric_dictionary_assigns_dense_indices_and_builds_plain_page)
{
    pq_dict d;
    uint32_t ix;
    static const int64_t vals[] = {42, -7, 42, 42, 1000000000000LL, -7, 0};
    static const uint32_t want[] = {0, 1, 0, 0, 2, 1, 3};
    size_t i;
    REQUIRE(pq_dict_init(&d, PQ_DICT_NUM, 8) == I2I_OK);
    for (i = 0; i < 7; i++) {
        CHECK(pq_dict_put_num(&d, (uint64_t)vals[i], 1 << 20, &ix) == 0);
        CHECK_EQ_INT(ix, want[i]);
    }
    CHECK_EQ_INT(d.count, 4);
    REQUIRE(d.page.len == 32);
    CHECK((int64_t)i2i_load_le64(d.page.data) == 42);
    CHECK((int64_t)i2i_load_le64(d.page.data + 8) == -7);
    CHECK((int64_t)i2i_load_le64(d.page.data + 16) == 1000000000000LL);
    CHECK((int64_t)i2i_load_le64(d.page.data + 24) == 0);
    pq_dict_free(&d);
}

TEST(int32_dictionary_stores_four_byte_entries)
{
    pq_dict d;
    uint32_t ix;
    REQUIRE(pq_dict_init(&d, PQ_DICT_NUM, 4) == I2I_OK);
    CHECK(pq_dict_put_num(&d, (uint64_t)(int64_t)-2, 100, &ix) == 0);
    CHECK(pq_dict_put_num(&d, 5, 100, &ix) == 0);
    REQUIRE(d.page.len == 8);
    CHECK((int32_t)i2i_load_le32(d.page.data) == -2);
    CHECK(i2i_load_le32(d.page.data + 4) == 5);
    pq_dict_free(&d);
}

TEST(string_dictionary_compares_bytes_not_prefixes)
{
    pq_dict d;
    uint32_t ix[8];
    size_t len, i;
    const uint8_t *e;
    static const char *s[] = {"host-1", "host-10", "", "host-1", "a-very-long-tag-value-over-16-bytes-1",
                              "a-very-long-tag-value-over-16-bytes-2", "", "h\xc3\xa9"};
    REQUIRE(pq_dict_init(&d, PQ_DICT_BYTES, 0) == I2I_OK);
    for (i = 0; i < 8; i++)
        CHECK(pq_dict_put_bytes(&d, (const uint8_t *)s[i], strlen(s[i]), 1 << 20, &ix[i]) == 0);
    CHECK(ix[0] == 0 && ix[1] == 1 && ix[2] == 2 && ix[3] == 0 && ix[4] == 3 && ix[5] == 4 &&
          ix[6] == 2 && ix[7] == 5);
    CHECK_EQ_INT(d.count, 6);
    /* PLAIN BYTE_ARRAY body: 4-byte length then bytes, in insertion order */
    CHECK(i2i_load_le32(d.page.data) == 6 && memcmp(d.page.data + 4, "host-1", 6) == 0);
    CHECK(i2i_load_le32(d.page.data + 10) == 7);
    e = pq_dict_entry(&d, 2, &len);
    CHECK(len == 0 && e != NULL);
    e = pq_dict_entry(&d, 4, &len);
    CHECK(len == strlen(s[5]) && memcmp(e, s[5], len) == 0);
    pq_dict_free(&d);
}

TEST(fixed_dictionary_has_no_length_prefix)
{
    pq_dict d;
    uint32_t ix;
    REQUIRE(pq_dict_init(&d, PQ_DICT_FIXED, 3) == I2I_OK);
    CHECK(pq_dict_put_bytes(&d, (const uint8_t *)"abc", 3, 100, &ix) == 0 && ix == 0);
    CHECK(pq_dict_put_bytes(&d, (const uint8_t *)"abd", 3, 100, &ix) == 0 && ix == 1);
    CHECK(pq_dict_put_bytes(&d, (const uint8_t *)"abc", 3, 100, &ix) == 0 && ix == 0);
    CHECK(d.page.len == 6 && memcmp(d.page.data, "abcabd", 6) == 0);
    pq_dict_free(&d);
}

TEST(budget_refuses_new_entries_but_finds_old_ones)
{
    pq_dict d;
    uint32_t ix;
    REQUIRE(pq_dict_init(&d, PQ_DICT_NUM, 8) == I2I_OK);
    CHECK(pq_dict_put_num(&d, 1, 16, &ix) == 0);
    CHECK(pq_dict_put_num(&d, 2, 16, &ix) == 0);
    CHECK(pq_dict_put_num(&d, 3, 16, &ix) == PQ_DICT_FULL);
    CHECK(pq_dict_put_num(&d, 1, 16, &ix) == 0 && ix == 0);
    CHECK(pq_dict_put_num(&d, 2, 16, &ix) == 0 && ix == 1);
    CHECK_EQ_INT(d.count, 2);
    CHECK_EQ_INT(d.page.len, 16);
    pq_dict_free(&d);

    REQUIRE(pq_dict_init(&d, PQ_DICT_BYTES, 0) == I2I_OK);
    CHECK(pq_dict_put_bytes(&d, (const uint8_t *)"abcd", 4, 10, &ix) == 0); /* 8 bytes */
    CHECK(pq_dict_put_bytes(&d, (const uint8_t *)"x", 1, 10, &ix) == PQ_DICT_FULL);
    CHECK(pq_dict_put_bytes(&d, (const uint8_t *)"abcd", 4, 10, &ix) == 0 && ix == 0);
    pq_dict_free(&d);
}

TEST(table_growth_keeps_every_index)
{
    pq_dict d;
    uint32_t ix, i;
    char buf[32];
    REQUIRE(pq_dict_init(&d, PQ_DICT_NUM, 8) == I2I_OK);
    for (i = 0; i < 100000; i++) REQUIRE(pq_dict_put_num(&d, (uint64_t)i * 7919u, SIZE_MAX, &ix) == 0 && ix == i);
    for (i = 0; i < 100000; i += 13) {
        CHECK(pq_dict_put_num(&d, (uint64_t)i * 7919u, SIZE_MAX, &ix) == 0);
        if (ix != i) {
            i2i_test_fail(__FILE__, __LINE__, "index of %u is %u", i, ix);
            break;
        }
    }
    CHECK(d.nslots >= 2 * (size_t)d.count);
    pq_dict_free(&d);

    REQUIRE(pq_dict_init(&d, PQ_DICT_BYTES, 0) == I2I_OK);
    for (i = 0; i < 20000; i++) {
        int n = snprintf(buf, sizeof buf, "tag-%u", i);
        REQUIRE(pq_dict_put_bytes(&d, (const uint8_t *)buf, (size_t)n, SIZE_MAX, &ix) == 0 && ix == i);
    }
    for (i = 0; i < 20000; i += 7) {
        int n = snprintf(buf, sizeof buf, "tag-%u", i);
        CHECK(pq_dict_put_bytes(&d, (const uint8_t *)buf, (size_t)n, SIZE_MAX, &ix) == 0 && ix == i);
    }
    pq_dict_free(&d);
}

TEST(reset_empties_the_dictionary_for_the_next_chunk)
{
    pq_dict d;
    uint32_t ix;
    REQUIRE(pq_dict_init(&d, PQ_DICT_BYTES, 0) == I2I_OK);
    CHECK(pq_dict_put_bytes(&d, (const uint8_t *)"a", 1, 100, &ix) == 0);
    CHECK(pq_dict_put_bytes(&d, (const uint8_t *)"b", 1, 100, &ix) == 0 && ix == 1);
    pq_dict_reset(&d);
    CHECK_EQ_INT(d.count, 0);
    CHECK_EQ_INT(d.page.len, 0);
    CHECK(pq_dict_put_bytes(&d, (const uint8_t *)"b", 1, 100, &ix) == 0 && ix == 0);
    CHECK(pq_dict_put_bytes(&d, (const uint8_t *)"a", 1, 100, &ix) == 0 && ix == 1);
    pq_dict_free(&d);
}

TEST(doubles_are_keyed_by_bit_pattern)
{
    pq_dict d;
    uint32_t a, b, c;
    double pz = 0.0, nz = -0.0, x = 0.0;
    uint64_t bp, bn, bx;
    memcpy(&bp, &pz, 8);
    memcpy(&bn, &nz, 8);
    memcpy(&bx, &x, 8);
    REQUIRE(pq_dict_init(&d, PQ_DICT_NUM, 8) == I2I_OK);
    CHECK(pq_dict_put_num(&d, bp, 100, &a) == 0);
    CHECK(pq_dict_put_num(&d, bn, 100, &b) == 0);
    CHECK(pq_dict_put_num(&d, bx, 100, &c) == 0);
    CHECK(a == 0 && b == 1 && c == 0); /* -0.0 and +0.0 stay distinct values */
    pq_dict_free(&d);
}
