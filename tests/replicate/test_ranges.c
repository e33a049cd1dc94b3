/* Committed ranges: parse/format round trip, merging, uncovered parts, resume point. */
#include "replicate/ranges.h"
#include "test.h"

static const char *fmt(const replicate_ranges *r, i2i_buf *b)
{
    replicate_ranges_format(r, b);
    return (const char *)b->data;
}

TEST(ranges_merge_overlapping_and_touching)
{
    replicate_ranges r = {0};
    i2i_buf b = I2I_BUF_INIT;
    CHECK(replicate_ranges_add(&r, 10, 20) == 0);
    CHECK(replicate_ranges_add(&r, 30, 40) == 0);
    CHECK_EQ_STR(fmt(&r, &b), "[10,20),[30,40)");
    CHECK(replicate_ranges_add(&r, 20, 30) == 0); /* touches both: one range */
    CHECK_EQ_STR(fmt(&r, &b), "[10,40)");
    CHECK(replicate_ranges_add(&r, 0, 5) == 0);
    CHECK(replicate_ranges_add(&r, 50, 60) == 0);
    CHECK(replicate_ranges_add(&r, 45, 46) == 0);
    CHECK_EQ_STR(fmt(&r, &b), "[0,5),[10,40),[45,46),[50,60)");
    CHECK(replicate_ranges_add(&r, 3, 55) == 0);
    CHECK_EQ_STR(fmt(&r, &b), "[0,60)");
    CHECK(replicate_ranges_add(&r, 7, 7) == 0); /* empty: no change */
    CHECK_EQ_STR(fmt(&r, &b), "[0,60)");
    CHECK(replicate_ranges_last_end(&r) == 60);
    replicate_ranges_free(&r);
    i2i_buf_free(&b);
}

TEST(ranges_parse_round_trip_and_errors)
{
    replicate_ranges r = {0};
    i2i_buf b = I2I_BUF_INIT;
    i2i_error e;
    REQUIRE_OK(replicate_ranges_parse("[-100,0),[1767225600000000000,1767312000000000000)", &r, &e), &e);
    CHECK_EQ_STR(fmt(&r, &b), "[-100,0),[1767225600000000000,1767312000000000000)");
    CHECK(replicate_ranges_parse("[5,1)", &r, &e) == I2I_ERR_FORMAT);
    CHECK(replicate_ranges_parse("[1,2),", &r, &e) == I2I_ERR_FORMAT);
    CHECK(replicate_ranges_parse("[1,2]", &r, &e) == I2I_ERR_FORMAT);
    CHECK(strstr(e.msg, "[1,2]") != NULL);
    REQUIRE_OK(replicate_ranges_parse("", &r, &e), &e);
    CHECK(r.n == 0 && replicate_ranges_last_end(&r) == INT64_MIN);
    replicate_ranges_free(&r);
    i2i_buf_free(&b);
}

TEST(ranges_uncovered_parts_trim_windows)
{
    replicate_ranges r = {0}, u = {0};
    i2i_buf b = I2I_BUF_INIT;
    replicate_ranges_add(&r, 10, 20);
    replicate_ranges_add(&r, 30, 40);
    CHECK(replicate_ranges_uncovered(&r, 0, 50, &u) == 0);
    CHECK_EQ_STR(fmt(&u, &b), "[0,10),[20,30),[40,50)");
    CHECK(replicate_ranges_uncovered(&r, 12, 18, &u) == 0);
    CHECK(u.n == 0);
    CHECK(replicate_ranges_covers(&r, 12, 18));
    CHECK(!replicate_ranges_covers(&r, 15, 35));
    CHECK(replicate_ranges_uncovered(&r, 15, 35, &u) == 0);
    CHECK_EQ_STR(fmt(&u, &b), "[20,30)");
    replicate_ranges_free(&r);
    replicate_ranges_free(&u);
    i2i_buf_free(&b);
}
