/* Thrift compact encoder: known bytes from parquet.md §1, field-header forms, lists, zigzag. */
#include "parquet/metadata.h"
#include "parquet/thrift.h"
#include "test.h"

#define CHECK_BYTES(buf, ...)                                                                      \
    do {                                                                                           \
        static const uint8_t want_[] = {__VA_ARGS__};                                              \
        CHECK_EQ_INT((buf)->len, sizeof want_);                                                    \
        if ((buf)->len == sizeof want_) CHECK_EQ_MEM((buf)->data, want_, sizeof want_);            \
    } while (0)

TEST(data_page_header_matches_worked_bytes)
{
    i2i_buf b = I2I_BUF_INIT;
    CHECK_OK(pq_meta_data_page_header(&b, 160, 160, 20, PQ_ENC_PLAIN), &(i2i_error){0});
    /* 15 00 | 15 C0 02 | 15 C0 02 | 2C | 15 28 | 15 00 | 15 06 | 15 06 | 00 00 */
    CHECK_BYTES(&b, 0x15, 0x00, 0x15, 0xC0, 0x02, 0x15, 0xC0, 0x02, 0x2C, 0x15, 0x28, 0x15, 0x00,
                0x15, 0x06, 0x15, 0x06, 0x00, 0x00);
    i2i_buf_free(&b);
}

TEST(file_metadata_starts_with_worked_bytes)
{
    parquet_column_spec cols[6];
    pq_file_info f;
    i2i_buf b = I2I_BUF_INIT;
    size_t i;
    static const uint8_t head[] = {0x15, 0x02, 0x19, 0x7C, 0x48, 0x06, 's', 'c', 'h', 'e', 'm', 'a',
                                   0x15, 0x0C, 0x00};
    static const uint8_t ts_leaf[] = {0x15, 0x04, 0x25, 0x00, 0x18, 0x02, 't',  's',  0x25, 0x14, 0x35,
                                      0x02, 0x1C, 0x8C, 0x11, 0x1C, 0x2C, 0x00, 0x00, 0x00, 0x00, 0x00};
    memset(cols, 0, sizeof cols);
    cols[0].name = "ts";
    cols[0].field_id = 1;
    cols[0].physical = PARQUET_INT64;
    cols[0].logical = PARQUET_LOGICAL_TIMESTAMP_MICROS;
    cols[0].adjusted_to_utc = 1;
    for (i = 1; i < 6; i++) {
        cols[i].name = "x";
        cols[i].field_id = (int32_t)i + 1;
        cols[i].physical = PARQUET_DOUBLE;
        cols[i].optional = 1;
    }
    memset(&f, 0, sizeof f);
    f.cols = cols;
    f.ncols = 6;
    f.created_by = "t";
    REQUIRE(pq_meta_file(&b, &f) == I2I_OK);
    REQUIRE(b.len > sizeof head + sizeof ts_leaf);
    CHECK_EQ_MEM(b.data, head, sizeof head);
    CHECK_EQ_MEM(b.data + sizeof head, ts_leaf, sizeof ts_leaf);
    i2i_buf_free(&b);
}

TEST(field_headers_short_and_long_form)
{
    i2i_buf b = I2I_BUF_INIT;
    pq_thrift t;
    pq_thrift_init(&t, &b);
    pq_thrift_struct_begin(&t);
    pq_thrift_field_i32(&t, 1, 1);   /* delta 1: 15 02 */
    pq_thrift_field_i32(&t, 16, 1);  /* delta 15, still short: F5 02 */
    pq_thrift_field_i32(&t, 40, 1);  /* delta 24: long form 05 50 02 */
    pq_thrift_field_i32(&t, 3, -1);  /* negative delta: long form 05 06 01 */
    pq_thrift_field_i16(&t, 4, -2);  /* i16 zigzag: 14 03 */
    pq_thrift_field_i8(&t, 5, -1);   /* i8 is one raw byte: 13 FF */
    pq_thrift_field_bool(&t, 6, 1);  /* value in the type nibble: 11 */
    pq_thrift_field_bool(&t, 7, 0);  /* 12 */
    pq_thrift_field_binary(&t, 8, "ab", 2); /* 18 02 61 62 */
    pq_thrift_struct_end(&t);
    REQUIRE(pq_thrift_status(&t) == I2I_OK);
    CHECK_BYTES(&b, 0x15, 0x02, 0xF5, 0x02, 0x05, 0x50, 0x02, 0x05, 0x06, 0x01, 0x14, 0x03, 0x13,
                0xFF, 0x11, 0x12, 0x18, 0x02, 'a', 'b', 0x00);
    i2i_buf_free(&b);
}

TEST(nested_structs_restart_field_deltas)
{
    i2i_buf b = I2I_BUF_INIT;
    pq_thrift t;
    pq_thrift_init(&t, &b);
    pq_thrift_struct_begin(&t);
    pq_thrift_field_i32(&t, 1, 1);
    pq_thrift_field_struct(&t, 2);
    pq_thrift_field_i32(&t, 1, 1); /* inner delta from 0 */
    pq_thrift_field_empty_struct(&t, 3);
    pq_thrift_struct_end(&t);
    pq_thrift_field_i32(&t, 3, 1); /* outer delta from 2 */
    pq_thrift_struct_end(&t);
    REQUIRE(pq_thrift_status(&t) == I2I_OK);
    CHECK_BYTES(&b, 0x15, 0x02, 0x1C, 0x15, 0x02, 0x2C, 0x00, 0x00, 0x15, 0x02, 0x00);
    i2i_buf_free(&b);
}

TEST(list_headers_short_long_and_bool_elements)
{
    i2i_buf b = I2I_BUF_INIT;
    pq_thrift t;
    uint32_t i;
    pq_thrift_init(&t, &b);
    pq_thrift_struct_begin(&t);
    pq_thrift_field_list(&t, 1, PQ_T_I32, 14); /* 19 E5 */
    for (i = 0; i < 14; i++) pq_thrift_elem_i32(&t, 0);
    pq_thrift_field_list(&t, 2, PQ_T_I64, 15); /* 19 F6 0F */
    for (i = 0; i < 15; i++) pq_thrift_elem_i64(&t, -1);
    pq_thrift_field_list(&t, 3, PQ_T_BOOL_TRUE, 2); /* 19 21 01 02 */
    pq_thrift_elem_bool(&t, 1);
    pq_thrift_elem_bool(&t, 0);
    pq_thrift_struct_end(&t);
    REQUIRE(pq_thrift_status(&t) == I2I_OK);
    REQUIRE(b.len == 2 + 14 + 3 + 15 + 4 + 1);
    CHECK(b.data[0] == 0x19 && b.data[1] == 0xE5);
    CHECK(b.data[16] == 0x19 && b.data[17] == 0xF6 && b.data[18] == 0x0F && b.data[19] == 0x01);
    CHECK(b.data[34] == 0x19 && b.data[35] == 0x21 && b.data[36] == 0x01 && b.data[37] == 0x02);
    CHECK(b.data[38] == 0x00);

    i2i_buf_reset(&b);
    pq_thrift_init(&t, &b);
    pq_thrift_list_header(&t, PQ_T_STRUCT, 300); /* FC AC 02 */
    CHECK_BYTES(&b, 0xFC, 0xAC, 0x02);
    i2i_buf_free(&b);
}

TEST(zigzag_varints_known_bytes)
{
    i2i_buf b = I2I_BUF_INIT;
    pq_thrift t;
    pq_thrift_init(&t, &b);
    pq_thrift_elem_i32(&t, 0);         /* 00 */
    pq_thrift_elem_i32(&t, -1);        /* 01 */
    pq_thrift_elem_i32(&t, 1);         /* 02 */
    pq_thrift_elem_i32(&t, 63);        /* 7E */
    pq_thrift_elem_i32(&t, 64);        /* 80 01 */
    pq_thrift_elem_i32(&t, INT32_MAX); /* FE FF FF FF 0F */
    pq_thrift_elem_i32(&t, INT32_MIN); /* FF FF FF FF 0F */
    pq_thrift_elem_i64(&t, INT64_MIN); /* FF x9 01 */
    pq_thrift_elem_binary(&t, "", 0);  /* 00 */
    REQUIRE(pq_thrift_status(&t) == I2I_OK);
    CHECK_BYTES(&b, 0x00, 0x01, 0x02, 0x7E, 0x80, 0x01, 0xFE, 0xFF, 0xFF, 0xFF, 0x0F, 0xFF, 0xFF,
                0xFF, 0xFF, 0x0F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01, 0x00);
    i2i_buf_free(&b);
}

TEST(unbalanced_struct_end_is_an_error)
{
    i2i_buf b = I2I_BUF_INIT;
    pq_thrift t;
    pq_thrift_init(&t, &b);
    pq_thrift_field_i32(&t, 1, 1); /* no struct open */
    CHECK(pq_thrift_status(&t) == I2I_ERR_INTERNAL);
    i2i_buf_free(&b);
}

TEST(decimal_and_string_schema_elements)
{
    i2i_buf b = I2I_BUF_INIT;
    pq_thrift t;
    parquet_column_spec d, s;
    memset(&d, 0, sizeof d);
    d.name = "u";
    d.field_id = 3;
    d.physical = PARQUET_FIXED_LEN_BYTE_ARRAY;
    d.logical = PARQUET_LOGICAL_DECIMAL;
    d.optional = 1;
    d.type_length = 9;
    d.precision = 20;
    pq_thrift_init(&t, &b);
    pq_meta_schema_leaf(&t, &d);
    REQUIRE(pq_thrift_status(&t) == I2I_OK);
    /* type 7, type_length 9, OPTIONAL, name, converted DECIMAL(5), scale 0, precision 20,
     * field_id 3, logicalType{DECIMAL{scale 0, precision 20}} */
    CHECK_BYTES(&b, 0x15, 0x0E, 0x15, 0x12, 0x15, 0x02, 0x18, 0x01, 'u', 0x25, 0x0A, 0x15, 0x00,
                0x15, 0x28, 0x15, 0x06, 0x1C, 0x5C, 0x15, 0x00, 0x15, 0x28, 0x00, 0x00, 0x00);
    i2i_buf_reset(&b);
    memset(&s, 0, sizeof s);
    s.name = "h";
    s.field_id = 2;
    s.physical = PARQUET_BYTE_ARRAY;
    s.logical = PARQUET_LOGICAL_STRING;
    s.optional = 1;
    pq_thrift_init(&t, &b);
    pq_meta_schema_leaf(&t, &s);
    /* type 6, OPTIONAL, name, UTF8, field_id 2, logicalType{STRING{}} */
    CHECK_BYTES(&b, 0x15, 0x0C, 0x25, 0x02, 0x18, 0x01, 'h', 0x25, 0x00, 0x35, 0x04, 0x1C, 0x1C,
                0x00, 0x00, 0x00);
    i2i_buf_free(&b);
}
