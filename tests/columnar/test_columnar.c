/* columnar: row-wise filling with implicit NULLs, strings, reuse after clear, size accounting. */
#include "columnar/columnar.h"
#include "test.h"

static const columnar_field fields[] = {
    {"time", COLUMNAR_TIMESTAMP, COLUMNAR_NANOS},
    {"host", COLUMNAR_STRING, 0},
    {"usage", COLUMNAR_DOUBLE, 0},
    {"ok", COLUMNAR_BOOL, 0},
};

TEST(rows_with_missing_values_become_null)
{
    columnar_batch *b;
    i2i_error e;
    size_t n;
    const char *s;
    REQUIRE_OK(columnar_batch_new(fields, 4, 8, &b, &e), &e);
    columnar_set_i64(&b->cols[0], 0, 100);
    CHECK(columnar_set_string(&b->cols[1], 0, "a", 1) == 0);
    columnar_set_f64(&b->cols[2], 0, 1.5);
    columnar_batch_end_row(b);
    columnar_set_i64(&b->cols[0], 1, 200);
    columnar_set_bool(&b->cols[3], 1, 1);
    columnar_batch_end_row(b);
    columnar_set_i64(&b->cols[0], 2, 300);
    CHECK(columnar_set_string(&b->cols[1], 2, "ccc", 3) == 0);
    columnar_batch_end_row(b);

    CHECK_EQ_INT(b->nrows, 3);
    CHECK(columnar_is_valid(&b->cols[1], 0) && !columnar_is_valid(&b->cols[1], 1));
    CHECK_EQ_INT(b->cols[1].null_count, 1);
    s = columnar_string_at(&b->cols[1], 2, &n);
    CHECK(n == 3 && memcmp(s, "ccc", 3) == 0);
    columnar_string_at(&b->cols[1], 1, &n);
    CHECK(n == 0);
    CHECK_EQ_INT(b->cols[2].null_count, 2);
    CHECK_EQ_INT(b->cols[3].null_count, 2);
    CHECK(b->cols[3].v.b[1] == 1);
    CHECK(columnar_batch_bytes(b) > 0);
    CHECK_EQ_INT(columnar_batch_find(b, "usage"), 2);
    CHECK_EQ_INT(columnar_batch_find(b, "nope"), -1);

    columnar_batch_clear(b);
    CHECK_EQ_INT(b->nrows, 0);
    columnar_set_i64(&b->cols[0], 0, 1);
    columnar_batch_end_row(b);
    CHECK(!columnar_is_valid(&b->cols[1], 0));
    CHECK_EQ_INT(b->cols[1].null_count, 1);
    columnar_batch_free(b);
}

TEST(column_wise_append_and_seal)
{
    columnar_batch *b;
    i2i_error e;
    int i;
    REQUIRE_OK(columnar_batch_new(fields, 4, 1000, &b, &e), &e);
    for (i = 0; i < 1000; i++) {
        columnar_append_i64(&b->cols[0], i);
        if (i % 3) CHECK(columnar_append_string(&b->cols[1], "xy", 2) == 0);
        else columnar_append_null(&b->cols[1]);
        columnar_append_f64(&b->cols[2], i * 0.5);
    }
    CHECK(columnar_batch_seal(b, &e) == I2I_ERR_INVALID); /* 'ok' is short */
    for (i = 0; i < 1000; i++) columnar_append_bool(&b->cols[3], i & 1);
    REQUIRE_OK(columnar_batch_seal(b, &e), &e);
    CHECK_EQ_INT(b->nrows, 1000);
    CHECK(columnar_batch_full(b));
    CHECK_EQ_INT(b->cols[1].null_count, 334);
    CHECK_EQ_INT(b->cols[1].data.len, 666 * 2);
    columnar_batch_free(b);
}
