/* avro: primitive encodings (known bytes), container round trips through our own reader with both
 * codecs, block cutting, empty files, hand-built files with negative array/map/metadata counts,
 * and damaged files (bad magic, truncation, wrong sync, corrupt deflate) giving clear errors. */
#include "test.h"
#include "avro/avro.h"

#include <math.h>
#include <stdlib.h>

/* ------------------------------------------------------------ helpers */

static int count_occurrences(const uint8_t *hay, size_t n, const uint8_t *needle, size_t m)
{
    int c = 0;
    size_t i;
    for (i = 0; i + m <= n; i++)
        if (memcmp(hay + i, needle, m) == 0) c++;
    return c;
}

/* Offset of the first byte after the header's sync marker, found by re-reading the header. */
static size_t header_len(const uint8_t *data, size_t len)
{
    const uint8_t *p = data + 4, *end = data + len;
    uint64_t v;
    for (;;) {
        int64_t count;
        if (i2i_read_uvarint(&p, end, &v) != 0) return 0;
        count = i2i_unzigzag64(v);
        if (count == 0) break;
        if (count < 0) {
            count = -count;
            if (i2i_read_uvarint(&p, end, &v) != 0) return 0;
        }
        while (count-- > 0) {
            int k;
            for (k = 0; k < 2; k++) {
                if (i2i_read_uvarint(&p, end, &v) != 0) return 0;
                p += i2i_unzigzag64(v);
            }
        }
    }
    return (size_t)(p - data) + 16;
}

/* Read every record of a file into a json array; returns the reader's status (0 at a clean end). */
static int read_all(const uint8_t *data, size_t len, json_t **records, i2i_error *err)
{
    avro_reader *r;
    json_t *rec;
    int rc;
    *records = json_array();
    rc = avro_reader_open(data, len, "t.avro", &r, err);
    if (rc < 0) return rc;
    while ((rc = avro_reader_next(r, &rec, err)) == 1) json_array_append_new(*records, rec);
    avro_reader_free(r);
    return rc;
}

static const char *SIMPLE_SCHEMA =
    "{\"type\":\"record\",\"name\":\"s\",\"fields\":[{\"name\":\"i\",\"type\":\"long\",\"field-id\":1},"
    "{\"name\":\"s\",\"type\":\"string\",\"field-id\":2}]}";

/* n records {i: k, s: "rec-k"} (with a long padding string every 7th record). */
static int write_simple(avro_codec codec, int n, int pad, uint8_t **data, size_t *len, i2i_error *err)
{
    avro_writer *w;
    char s[64];
    int k;
    char *big = NULL;
    if (pad) {
        big = malloc((size_t)pad + 1);
        memset(big, 'x', (size_t)pad);
        big[pad] = '\0';
    }
    I2I_TRY(avro_writer_open(SIMPLE_SCHEMA, NULL, 0, codec, &w, err));
    for (k = 0; k < n; k++) {
        i2i_buf *b = avro_writer_record(w);
        snprintf(s, sizeof s, "rec-%d", k);
        avro_put_long(b, (int64_t)k * 1000003 - 5000000);
        if (pad && k % 7 == 0) avro_put_string(b, big);
        else avro_put_string(b, s);
        if (avro_writer_end_record(w, err) < 0) {
            avro_writer_free(w);
            free(big);
            return -1;
        }
    }
    free(big);
    return avro_writer_finish(w, data, len, err);
}

/* ------------------------------------------------------------ primitives */

TEST(primitives_encode_to_known_avro_bytes)
{
    i2i_buf b = I2I_BUF_INIT;
    static const uint8_t want[] = {
        0x00,                                           /* long 0 */
        0x01,                                           /* long -1 */
        0x02,                                           /* long 1 */
        0x7f,                                           /* long -64 */
        0x80, 0x01,                                     /* long 64 */
        0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01, /* long INT64_MAX */
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01, /* long INT64_MIN */
        0xfe, 0xff, 0xff, 0xff, 0x0f,                   /* int INT32_MAX */
        0xff, 0xff, 0xff, 0xff, 0x0f,                   /* int INT32_MIN */
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xf0, 0x3f, /* double 1.0 (little-endian) */
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xc0, /* double -2.0 */
        0x00, 0x00, 0x80, 0x3f,                         /* float 1.0 */
        0x00, 0x00, 0xc0, 0xbf,                         /* float -1.5 */
        0x06, 'f', 'o', 'o',                            /* string "foo" */
        0x00,                                           /* string "" */
        0x04, 0x00, 0xff,                               /* bytes 00 ff */
        0x01, 0x00,                                     /* boolean true, false */
        0x02,                                           /* union branch 1 */
    };
    CHECK(avro_put_long(&b, 0) == 0);
    CHECK(avro_put_long(&b, -1) == 0);
    CHECK(avro_put_long(&b, 1) == 0);
    CHECK(avro_put_long(&b, -64) == 0);
    CHECK(avro_put_long(&b, 64) == 0);
    CHECK(avro_put_long(&b, INT64_MAX) == 0);
    CHECK(avro_put_long(&b, INT64_MIN) == 0);
    CHECK(avro_put_int(&b, INT32_MAX) == 0);
    CHECK(avro_put_int(&b, INT32_MIN) == 0);
    CHECK(avro_put_double(&b, 1.0) == 0);
    CHECK(avro_put_double(&b, -2.0) == 0);
    CHECK(avro_put_float(&b, 1.0f) == 0);
    CHECK(avro_put_float(&b, -1.5f) == 0);
    CHECK(avro_put_string(&b, "foo") == 0);
    CHECK(avro_put_stringn(&b, "ignored", 0) == 0);
    CHECK(avro_put_bytes(&b, "\x00\xff", 2) == 0);
    CHECK(avro_put_boolean(&b, 7) == 0);
    CHECK(avro_put_boolean(&b, 0) == 0);
    CHECK(avro_put_union(&b, 1) == 0);
    CHECK_EQ_INT(b.len, sizeof want);
    if (b.len == sizeof want) CHECK_EQ_MEM(b.data, want, sizeof want);
    i2i_buf_free(&b);
}

TEST(container_header_has_magic_verbatim_schema_codec_meta_and_sync)
{
    static const char *schema = "{\"type\":\"long\" , \"field-id\": 7}"; /* odd spacing kept */
    avro_meta meta[] = {{"format-version", "2"}, {"content", "data"}};
    avro_writer *w;
    uint8_t *data;
    size_t len, hl;
    i2i_buf want = I2I_BUF_INIT;
    i2i_error err;

    REQUIRE_OK(avro_writer_open(schema, meta, 2, AVRO_CODEC_NULL, &w, &err), &err);
    CHECK_EQ_INT(avro_writer_count(w), 0);
    REQUIRE_OK(avro_writer_finish(w, &data, &len, &err), &err);
    i2i_buf_append(&want, "Obj\x01", 4);
    avro_put_long(&want, 4);
    avro_put_string(&want, "avro.schema");
    avro_put_string(&want, schema);
    avro_put_string(&want, "avro.codec");
    avro_put_string(&want, "null");
    avro_put_string(&want, "format-version");
    avro_put_string(&want, "2");
    avro_put_string(&want, "content");
    avro_put_string(&want, "data");
    avro_put_long(&want, 0);
    hl = header_len(data, len);
    CHECK_EQ_INT(len, want.len + 16); /* no blocks in an empty file */
    CHECK_EQ_INT(hl, len);
    if (len >= want.len) CHECK_EQ_MEM(data, want.data, want.len);
    i2i_buf_free(&want);
    free(data);
}

TEST(writer_rejects_bad_schema_reserved_meta_and_unknown_codec)
{
    avro_writer *w = NULL;
    i2i_error err;
    avro_meta reserved[] = {{"avro.codec", "snappy"}};
    avro_meta dup[] = {{"k", "1"}, {"k", "2"}};
    CHECK(avro_writer_open("{\"type\":\"record\",", NULL, 0, AVRO_CODEC_NULL, &w, &err) ==
          I2I_ERR_INVALID);
    CHECK(strstr(err.msg, "not valid JSON") != NULL);
    CHECK(avro_writer_open("{\"type\":\"record\",\"name\":\"r\",\"fields\":[{\"name\":\"a\","
                           "\"type\":\"Missing\"}]}",
                           NULL, 0, AVRO_CODEC_NULL, &w, &err) == I2I_ERR_FORMAT);
    CHECK(strstr(err.msg, "unknown type 'Missing'") != NULL);
    CHECK(avro_writer_open("\"long\"", reserved, 1, AVRO_CODEC_NULL, &w, &err) == I2I_ERR_INVALID);
    CHECK(strstr(err.msg, "reserved") != NULL);
    CHECK(avro_writer_open("\"long\"", dup, 2, AVRO_CODEC_NULL, &w, &err) == I2I_ERR_INVALID);
    CHECK(avro_writer_open("\"long\"", NULL, 0, (avro_codec)9, &w, &err) == I2I_ERR_INVALID);
    CHECK(w == NULL);
}

/* ------------------------------------------------------------ round trips */

static const char *ALL_TYPES_SCHEMA =
    "{\"type\":\"record\",\"name\":\"all\",\"namespace\":\"t.ns\",\"fields\":["
    "{\"name\":\"n\",\"type\":\"null\"},"
    "{\"name\":\"b\",\"type\":\"boolean\"},"
    "{\"name\":\"i\",\"type\":\"int\"},"
    "{\"name\":\"l\",\"type\":{\"type\":\"long\",\"logicalType\":\"timestamp-micros\"}},"
    "{\"name\":\"f\",\"type\":\"float\"},"
    "{\"name\":\"d\",\"type\":\"double\"},"
    "{\"name\":\"by\",\"type\":\"bytes\"},"
    "{\"name\":\"s\",\"type\":\"string\"},"
    "{\"name\":\"e\",\"type\":{\"type\":\"enum\",\"name\":\"color\",\"symbols\":[\"RED\",\"GREEN\"]}},"
    "{\"name\":\"fx\",\"type\":{\"type\":\"fixed\",\"name\":\"f2\",\"size\":2}},"
    "{\"name\":\"fx_again\",\"type\":\"f2\"},"
    "{\"name\":\"fx_full\",\"type\":\"t.ns.f2\"},"
    "{\"name\":\"arr\",\"type\":{\"type\":\"array\",\"items\":{\"type\":\"record\",\"name\":\"kv\","
    "\"namespace\":\"other\",\"fields\":[{\"name\":\"key\",\"type\":\"int\"},"
    "{\"name\":\"value\",\"type\":[\"null\",\"t.ns.f2\"]}]},\"logicalType\":\"map\"}},"
    "{\"name\":\"m\",\"type\":{\"type\":\"map\",\"values\":\"long\"}},"
    "{\"name\":\"u\",\"type\":[\"null\",\"string\",\"color\"]},"
    "{\"name\":\"again\",\"type\":[\"null\",\"other.kv\"],\"default\":null}"
    "]}";

static int encode_all_types(i2i_buf *b, int k)
{
    avro_put_boolean(b, k % 2);
    avro_put_int(b, k % 2 ? INT32_MIN : INT32_MAX);
    avro_put_long(b, k % 2 ? INT64_MIN : (int64_t)1700000000123456 + k);
    avro_put_float(b, k % 2 ? -0.25f : NAN);
    avro_put_double(b, k % 2 ? 3.141592653589793 : -INFINITY);
    avro_put_bytes(b, "\x00\x01\xfe", 3);
    avro_put_string(b, k % 2 ? "h\xc3\xa9llo" : "");
    avro_put_int(b, 1); /* enum GREEN */
    i2i_buf_append(b, "\xab\xcd", 2); /* fixed: raw bytes, no length */
    i2i_buf_append(b, "\x01\x02", 2);
    i2i_buf_append(b, "\x03\x04", 2);
    avro_put_long(b, 2); /* array: 2 items */
    avro_put_int(b, 10);
    avro_put_union(b, 0);
    avro_put_int(b, 11);
    avro_put_union(b, 1);
    i2i_buf_append(b, "\xff\x00", 2);
    avro_put_long(b, 0);
    avro_put_long(b, 1); /* map: 1 entry */
    avro_put_string(b, "k");
    avro_put_long(b, -7);
    avro_put_long(b, 0);
    avro_put_union(b, 2); /* u = color GREEN... */
    avro_put_int(b, 0);   /* ...RED */
    avro_put_union(b, 1); /* again = kv{key 5, value null} */
    avro_put_int(b, 5);
    return avro_put_union(b, 0);
}

static json_t *expected_all_types(int k)
{
    json_t *v = json_pack(
        "{s:n, s:b, s:I, s:I, s:o, s:o, s:{s:s}, s:s, s:s, s:{s:s}, s:{s:s}, s:{s:s},"
        " s:[{s:i, s:n}, {s:i, s:{s:s}}], s:{s:i}, s:s, s:{s:i, s:n}}",
        "n", "b", k % 2, "i", (json_int_t)(k % 2 ? INT32_MIN : INT32_MAX), "l",
        (json_int_t)(k % 2 ? INT64_MIN : (int64_t)1700000000123456 + k), "f",
        k % 2 ? json_real(-0.25) : json_string("NaN"), "d",
        k % 2 ? json_real(3.141592653589793) : json_string("-Infinity"), "by", "$bytes", "0001fe",
        "s", k % 2 ? "h\xc3\xa9llo" : "", "e", "GREEN", "fx", "$bytes", "abcd", "fx_again",
        "$bytes", "0102", "fx_full", "$bytes", "0304", "arr", "key", 10, "value", "key", 11,
        "value", "$bytes", "ff00", "m", "k", -7, "u", "RED", "again", "key", 5, "value");
    return v;
}

static void round_trip_all_types(avro_codec codec)
{
    avro_meta meta[] = {{"snapshot-id", "123"}};
    avro_writer *w;
    avro_reader *r;
    uint8_t *data;
    size_t len;
    json_t *rec;
    i2i_error err;
    int k, rc;

    REQUIRE_OK(avro_writer_open(ALL_TYPES_SCHEMA, meta, 1, codec, &w, &err), &err);
    for (k = 0; k < 5; k++) {
        CHECK(encode_all_types(avro_writer_record(w), k) == 0);
        CHECK_OK(avro_writer_end_record(w, &err), &err);
    }
    CHECK_EQ_INT(avro_writer_count(w), 5);
    REQUIRE_OK(avro_writer_finish(w, &data, &len, &err), &err);

    REQUIRE_OK(avro_reader_open(data, len, "all.avro", &r, &err), &err);
    CHECK_EQ_STR(avro_reader_schema_text(r), ALL_TYPES_SCHEMA);
    CHECK(json_is_object(avro_reader_schema(r)));
    CHECK_EQ_STR(avro_reader_meta(r, "snapshot-id"), "123");
    CHECK_EQ_STR(avro_reader_meta(r, "avro.codec"), codec == AVRO_CODEC_DEFLATE ? "deflate" : "null");
    CHECK(avro_reader_meta(r, "missing") == NULL);
    for (k = 0; (rc = avro_reader_next(r, &rec, &err)) == 1; k++) {
        json_t *want = expected_all_types(k);
        if (!json_equal(rec, want)) {
            char *a = json_dumps(rec, JSON_SORT_KEYS), *b = json_dumps(want, JSON_SORT_KEYS);
            i2i_test_fail(__FILE__, __LINE__, "record %d:\n got  %s\n want %s", k, a, b);
            free(a);
            free(b);
        }
        json_decref(want);
        json_decref(rec);
    }
    CHECK_EQ_INT(rc, 0);
    CHECK_EQ_INT(k, 5);
    CHECK_EQ_INT(avro_reader_next(r, &rec, &err), 0); /* stays at the end */
    avro_reader_free(r);
    free(data);
}

TEST(round_trip_every_type_null_codec) { round_trip_all_types(AVRO_CODEC_NULL); }
TEST(round_trip_every_type_deflate_codec) { round_trip_all_types(AVRO_CODEC_DEFLATE); }

TEST(deflate_blocks_are_raw_deflate_and_smaller)
{
    uint8_t *plain, *packed;
    size_t plen, zlen, hl;
    i2i_error err;
    REQUIRE_OK(write_simple(AVRO_CODEC_NULL, 1000, 0, &plain, &plen, &err), &err);
    REQUIRE_OK(write_simple(AVRO_CODEC_DEFLATE, 1000, 0, &packed, &zlen, &err), &err);
    CHECK(zlen < plen / 2);
    /* The first block's payload must not start with a zlib header (0x78 ..): it is raw deflate. */
    hl = header_len(packed, zlen);
    REQUIRE(hl > 0 && hl + 4 < zlen);
    {
        const uint8_t *p = packed + hl, *end = packed + zlen;
        uint64_t v;
        REQUIRE(i2i_read_uvarint(&p, end, &v) == 0);
        CHECK_EQ_INT(i2i_unzigzag64(v), 1000);
        REQUIRE(i2i_read_uvarint(&p, end, &v) == 0);
        CHECK_EQ_INT((size_t)i2i_unzigzag64(v) + 16, (size_t)(end - p)); /* one block */
        CHECK(!(p[0] == 0x78 && ((p[0] << 8) | p[1]) % 31 == 0));
    }
    free(plain);
    free(packed);
}

static void multiple_blocks(avro_codec codec, int n, int pad, int want_blocks)
{
    uint8_t *data;
    size_t len, hl;
    json_t *recs;
    i2i_error err;
    int k;
    REQUIRE_OK(write_simple(codec, n, pad, &data, &len, &err), &err);
    hl = header_len(data, len);
    REQUIRE(hl > 16);
    /* Every block ends with the header's sync marker. */
    CHECK_EQ_INT(count_occurrences(data + hl, len - hl, data + hl - 16, 16), want_blocks);
    CHECK_OK(read_all(data, len, &recs, &err), &err);
    CHECK_EQ_INT(json_array_size(recs), n);
    for (k = 0; k < n && k < (int)json_array_size(recs); k++) {
        json_t *rec = json_array_get(recs, k);
        CHECK_EQ_INT(json_integer_value(json_object_get(rec, "i")), (int64_t)k * 1000003 - 5000000);
        if (!(pad && k % 7 == 0)) {
            char s[64];
            snprintf(s, sizeof s, "rec-%d", k);
            CHECK_EQ_STR(json_string_value(json_object_get(rec, "s")), s);
        } else {
            CHECK_EQ_INT(json_string_length(json_object_get(rec, "s")), pad);
        }
    }
    json_decref(recs);
    free(data);
}

TEST(blocks_are_cut_every_4096_records_null_codec) { multiple_blocks(AVRO_CODEC_NULL, 10000, 0, 3); }
TEST(blocks_are_cut_every_4096_records_deflate) { multiple_blocks(AVRO_CODEC_DEFLATE, 10000, 0, 3); }
/* 21 records of which 3 are 30000-byte strings: ~64 KiB reached after the 3rd big one. */
TEST(blocks_are_cut_at_64k_bytes) { multiple_blocks(AVRO_CODEC_DEFLATE, 21, 30000, 2); }

TEST(empty_file_has_no_records_but_keeps_metadata)
{
    avro_meta meta[] = {{"content", "data"}};
    avro_writer *w;
    avro_reader *r;
    uint8_t *data;
    size_t len;
    json_t *rec = (json_t *)1;
    i2i_error err;
    REQUIRE_OK(avro_writer_open(SIMPLE_SCHEMA, meta, 1, AVRO_CODEC_DEFLATE, &w, &err), &err);
    REQUIRE_OK(avro_writer_finish(w, &data, &len, &err), &err);
    REQUIRE_OK(avro_reader_open(data, len, "empty.avro", &r, &err), &err);
    CHECK_EQ_STR(avro_reader_meta(r, "content"), "data");
    CHECK_EQ_STR(avro_reader_meta(r, "avro.codec"), "deflate");
    CHECK_EQ_INT(avro_reader_next(r, &rec, &err), 0);
    CHECK(rec == NULL);
    avro_reader_free(r);
    free(data);
}

TEST(unfinished_record_is_dropped_not_written)
{
    avro_writer *w;
    uint8_t *data;
    size_t len;
    json_t *recs;
    i2i_error err;
    i2i_buf *b;
    REQUIRE_OK(avro_writer_open(SIMPLE_SCHEMA, NULL, 0, AVRO_CODEC_NULL, &w, &err), &err);
    b = avro_writer_record(w);
    avro_put_long(b, 1); /* abandoned half-way */
    b = avro_writer_record(w);
    avro_put_long(b, 2);
    avro_put_string(b, "two");
    CHECK_OK(avro_writer_end_record(w, &err), &err);
    b = avro_writer_record(w);
    avro_put_long(b, 3); /* never ended */
    REQUIRE_OK(avro_writer_finish(w, &data, &len, &err), &err);
    CHECK_OK(read_all(data, len, &recs, &err), &err);
    CHECK_EQ_INT(json_array_size(recs), 1);
    CHECK_EQ_INT(json_integer_value(json_object_get(json_array_get(recs, 0), "i")), 2);
    json_decref(recs);
    free(data);
}

/* The record buffer is the pending block itself: once grown it is reused for every record and
 * across block flushes, so the write path does not allocate per record. */
TEST(record_buffer_is_reused_without_reallocation)
{
    avro_writer *w;
    uint8_t *data, *first = NULL;
    size_t len;
    i2i_error err;
    int k, moved = 0;
    REQUIRE_OK(avro_writer_open(SIMPLE_SCHEMA, NULL, 0, AVRO_CODEC_DEFLATE, &w, &err), &err);
    for (k = 0; k < 10000; k++) {
        i2i_buf *b = avro_writer_record(w);
        avro_put_long(b, k);
        avro_put_string(b, "a short host name");
        if (!first) first = b->data;
        moved |= b->data != first;
        CHECK_OK(avro_writer_end_record(w, &err), &err);
    }
    CHECK(!moved);
    REQUIRE_OK(avro_writer_finish(w, &data, &len, &err), &err);
    free(data);
}

TEST(recursive_named_type_round_trips)
{
    static const char *schema =
        "{\"type\":\"record\",\"name\":\"Node\",\"fields\":[{\"name\":\"v\",\"type\":\"int\"},"
        "{\"name\":\"next\",\"type\":[\"null\",\"Node\"]}]}";
    avro_writer *w;
    uint8_t *data;
    size_t len;
    json_t *recs, *want;
    i2i_error err;
    i2i_buf *b;
    REQUIRE_OK(avro_writer_open(schema, NULL, 0, AVRO_CODEC_NULL, &w, &err), &err);
    b = avro_writer_record(w);
    avro_put_int(b, 1);
    avro_put_union(b, 1);
    avro_put_int(b, 2);
    avro_put_union(b, 0);
    CHECK_OK(avro_writer_end_record(w, &err), &err);
    REQUIRE_OK(avro_writer_finish(w, &data, &len, &err), &err);
    CHECK_OK(read_all(data, len, &recs, &err), &err);
    want = json_pack("[{s:i, s:{s:i, s:n}}]", "v", 1, "next", "v", 2, "next");
    CHECK(json_equal(recs, want));
    json_decref(want);
    json_decref(recs);
    free(data);
}

/* ------------------------------------------------------------ hand-built foreign encodings */

/* A file written the way Java's BlockingBinaryEncoder may: metadata map and arrays/maps with
 * negative counts followed by byte sizes, and arrays split over several blocks. */
TEST(reader_accepts_negative_counts_with_byte_sizes)
{
    static const char *schema =
        "{\"type\":\"record\",\"name\":\"r\",\"fields\":["
        "{\"name\":\"a\",\"type\":{\"type\":\"array\",\"items\":\"long\"}},"
        "{\"name\":\"m\",\"type\":{\"type\":\"map\",\"values\":\"string\"}}]}";
    static const uint8_t sync[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
    i2i_buf f = I2I_BUF_INIT, blk = I2I_BUF_INIT, meta = I2I_BUF_INIT;
    json_t *recs, *want;
    i2i_error err;

    /* header: metadata as one block with count -2 and its byte size */
    avro_put_string(&meta, "avro.schema");
    avro_put_string(&meta, schema);
    avro_put_string(&meta, "avro.codec");
    avro_put_string(&meta, "null");
    i2i_buf_append(&f, "Obj\x01", 4);
    avro_put_long(&f, -2);
    avro_put_long(&f, (int64_t)meta.len);
    i2i_buf_append(&f, meta.data, meta.len);
    avro_put_long(&f, 0);
    i2i_buf_append(&f, sync, 16);
    /* one record: a = [1, 2 | 3] in two blocks (first negative), m = {x: "y"} (negative) */
    avro_put_long(&blk, -2);
    avro_put_long(&blk, 2); /* 2 one-byte longs */
    avro_put_long(&blk, 1);
    avro_put_long(&blk, 2);
    avro_put_long(&blk, 1);
    avro_put_long(&blk, 3);
    avro_put_long(&blk, 0);
    avro_put_long(&blk, -1);
    avro_put_long(&blk, 4); /* "x" + "y" with lengths */
    avro_put_string(&blk, "x");
    avro_put_string(&blk, "y");
    avro_put_long(&blk, 0);
    avro_put_long(&f, 1);
    avro_put_long(&f, (int64_t)blk.len);
    i2i_buf_append(&f, blk.data, blk.len);
    i2i_buf_append(&f, sync, 16);

    CHECK_OK(read_all(f.data, f.len, &recs, &err), &err);
    want = json_pack("[{s:[i,i,i], s:{s:s}}]", "a", 1, 2, 3, "m", "x", "y");
    CHECK(json_equal(recs, want));
    json_decref(want);
    json_decref(recs);
    i2i_buf_free(&f);
    i2i_buf_free(&blk);
    i2i_buf_free(&meta);
}

TEST(reader_without_codec_key_assumes_null)
{
    static const uint8_t sync[16] = {0};
    i2i_buf f = I2I_BUF_INIT;
    json_t *recs;
    i2i_error err;
    i2i_buf_append(&f, "Obj\x01", 4);
    avro_put_long(&f, 1);
    avro_put_string(&f, "avro.schema");
    avro_put_string(&f, "\"string\"");
    avro_put_long(&f, 0);
    i2i_buf_append(&f, sync, 16);
    avro_put_long(&f, 1);
    avro_put_long(&f, 3);
    avro_put_string(&f, "ab");
    i2i_buf_append(&f, sync, 16);
    CHECK_OK(read_all(f.data, f.len, &recs, &err), &err);
    CHECK_EQ_INT(json_array_size(recs), 1);
    CHECK_EQ_STR(json_string_value(json_array_get(recs, 0)), "ab");
    json_decref(recs);
    i2i_buf_free(&f);
}

/* ------------------------------------------------------------ damaged files */

TEST(bad_magic_is_a_clear_error)
{
    static const uint8_t junk[] = "PAR1 this is not avro";
    avro_reader *r = NULL;
    i2i_error err;
    CHECK(avro_reader_open(junk, sizeof junk, "m.avro", &r, &err) == I2I_ERR_FORMAT);
    CHECK(strstr(err.msg, "avro file 'm.avro'") != NULL);
    CHECK(strstr(err.msg, "not an Avro object container file") != NULL);
    CHECK(r == NULL);
    CHECK(avro_reader_open(junk, 0, "empty.avro", &r, &err) == I2I_ERR_FORMAT);
    CHECK(strstr(err.msg, "only 0 bytes") != NULL);
    CHECK(avro_reader_open(NULL, 0, "null.avro", &r, &err) == I2I_ERR_FORMAT);
}

static void expect_read_error(const uint8_t *data, size_t len, const char *needle)
{
    json_t *recs = NULL;
    i2i_error err;
    int rc = read_all(data, len, &recs, &err);
    CHECK(rc < 0);
    if (rc < 0 && !strstr(err.msg, needle))
        i2i_test_fail(__FILE__, __LINE__, "error \"%s\" lacks \"%s\"", err.msg, needle);
    json_decref(recs);
}

TEST(truncated_block_names_the_block)
{
    uint8_t *data;
    size_t len;
    i2i_error err;
    REQUIRE_OK(write_simple(AVRO_CODEC_NULL, 10000, 0, &data, &len, &err), &err);
    /* three blocks; cut in the middle of the third block's data and inside its sync marker */
    expect_read_error(data, len - 100, "block 3 truncated");
    expect_read_error(data, len - 5, "block 3 truncated: its sync marker is missing");
    free(data);
}

TEST(every_truncation_fails_cleanly_or_loses_whole_blocks)
{
    uint8_t *data;
    size_t len, cut;
    i2i_error err;
    int codec;
    for (codec = 0; codec < 2; codec++) {
        REQUIRE_OK(write_simple((avro_codec)codec, 5000, 0, &data, &len, &err), &err);
        for (cut = 0; cut < len; cut += (cut < 2000 ? 1 : 97)) {
            /* A copy of exactly cut bytes, so ASan sees any read past the end. */
            uint8_t *part = malloc(cut ? cut : 1);
            json_t *recs = NULL;
            int rc;
            memcpy(part, data, cut);
            rc = read_all(part, cut, &recs, &err);
            if (rc < 0) {
                CHECK(strstr(err.msg, "avro file 't.avro'") != NULL);
            } else {
                /* only a cut exactly between blocks is a valid (shorter) file */
                CHECK(json_array_size(recs) == 0 || json_array_size(recs) == 4096);
            }
            json_decref(recs);
            free(part);
        }
        free(data);
    }
}

TEST(wrong_sync_marker_is_detected)
{
    uint8_t *data;
    size_t len;
    i2i_error err;
    REQUIRE_OK(write_simple(AVRO_CODEC_DEFLATE, 5000, 0, &data, &len, &err), &err);
    data[len - 3] ^= 0x55; /* last block's sync */
    expect_read_error(data, len, "block 2: sync marker does not match");
    free(data);
}

TEST(errors_are_sticky_after_the_first)
{
    uint8_t *data;
    size_t len;
    avro_reader *r;
    json_t *rec;
    i2i_error err;
    int rc, n = 0;
    REQUIRE_OK(write_simple(AVRO_CODEC_NULL, 5000, 0, &data, &len, &err), &err);
    data[len - 1] ^= 1;
    REQUIRE_OK(avro_reader_open(data, len, "s.avro", &r, &err), &err);
    while ((rc = avro_reader_next(r, &rec, &err)) == 1) {
        json_decref(rec);
        n++;
    }
    CHECK_EQ_INT(n, 4096);
    CHECK(rc == I2I_ERR_FORMAT);
    i2i_error_clear(&err);
    CHECK(avro_reader_next(r, &rec, &err) == I2I_ERR_FORMAT);
    CHECK(strstr(err.msg, "sync marker") != NULL);
    CHECK(avro_reader_next(r, &rec, NULL) == I2I_ERR_FORMAT);
    avro_reader_free(r);
    free(data);
}

TEST(corrupt_deflate_data_is_an_error)
{
    uint8_t *data;
    size_t len, hl;
    i2i_error err;
    REQUIRE_OK(write_simple(AVRO_CODEC_DEFLATE, 200, 0, &data, &len, &err), &err);
    hl = header_len(data, len);
    /* count (2 bytes for 200), size varint, then payload: clobber the deflate stream */
    memset(data + hl + 6, 0xff, 24);
    expect_read_error(data, len, "block 1");
    free(data);
}

TEST(unsupported_codec_is_reported_at_open)
{
    static const uint8_t sync[16] = {0};
    i2i_buf f = I2I_BUF_INIT;
    avro_reader *r = NULL;
    i2i_error err;
    i2i_buf_append(&f, "Obj\x01", 4);
    avro_put_long(&f, 2);
    avro_put_string(&f, "avro.schema");
    avro_put_string(&f, "\"long\"");
    avro_put_string(&f, "avro.codec");
    avro_put_string(&f, "snappy");
    avro_put_long(&f, 0);
    i2i_buf_append(&f, sync, 16);
    CHECK(avro_reader_open(f.data, f.len, "c.avro", &r, &err) == I2I_ERR_UNSUPPORTED);
    CHECK(strstr(err.msg, "codec 'snappy' is not supported") != NULL);
    i2i_buf_free(&f);
}

/* A one-record file whose record bytes are given; the schema is one field. */
static void bad_record(const char *field_schema, const uint8_t *rec, size_t n, const char *needle)
{
    static const uint8_t sync[16] = {9};
    char schema[512];
    i2i_buf f = I2I_BUF_INIT;
    snprintf(schema, sizeof schema,
             "{\"type\":\"record\",\"name\":\"r\",\"fields\":[{\"name\":\"x\",\"type\":%s}]}",
             field_schema);
    i2i_buf_append(&f, "Obj\x01", 4);
    avro_put_long(&f, 1);
    avro_put_string(&f, "avro.schema");
    avro_put_string(&f, schema);
    avro_put_long(&f, 0);
    i2i_buf_append(&f, sync, 16);
    avro_put_long(&f, 1);
    avro_put_long(&f, (int64_t)n);
    i2i_buf_append(&f, rec, n);
    i2i_buf_append(&f, sync, 16);
    expect_read_error(f.data, f.len, needle);
    i2i_buf_free(&f);
}

TEST(malformed_values_give_errors_naming_the_field)
{
    bad_record("[\"null\",\"long\"]", (const uint8_t *)"\x06", 1, "field 'x': union branch 3 out of range");
    bad_record("\"int\"", (const uint8_t *)"\xfe\xff\xff\xff\x1f", 5, "int value 4294967295 out of range");
    bad_record("\"string\"", (const uint8_t *)"\x04\xff\xfe", 3, "not valid UTF-8");
    bad_record("\"string\"", (const uint8_t *)"\x40zz", 3, "string of 32 bytes runs past the end");
    bad_record("\"boolean\"", (const uint8_t *)"\x02", 1, "boolean byte is 2");
    bad_record("{\"type\":\"enum\",\"name\":\"e\",\"symbols\":[\"A\"]}", (const uint8_t *)"\x02", 1,
               "enum index 1 out of range");
    /* an array claiming 2^62 items must fail before allocating anything */
    bad_record("{\"type\":\"array\",\"items\":\"long\"}",
               (const uint8_t *)"\xfe\xff\xff\xff\xff\xff\xff\xff\x7f", 9, "claims");
    bad_record("{\"type\":\"array\",\"items\":\"null\"}",
               (const uint8_t *)"\xfe\xff\xff\xff\xff\xff\xff\xff\x7f", 9, "claims");
    bad_record("\"long\"", (const uint8_t *)"\x02\x00", 2, "block 1 has 1 bytes after its last record");
    bad_record("\"double\"", (const uint8_t *)"\x00\x00", 2, "data ends inside a double");
    bad_record("{\"type\":\"record\",\"name\":\"in\",\"fields\":[{\"name\":\"y\",\"type\":"
               "{\"type\":\"array\",\"items\":\"string\"}}]}",
               (const uint8_t *)"\x02\x09", 2, "field 'x.y[]': negative string length");
}

TEST(schema_errors_are_reported_at_open)
{
    static const uint8_t sync[16] = {0};
    static const char *bad[] = {"{\"type\":\"record\",\"name\":\"r\"}", "{\"type\":\"enum\"}",
                                "[]", "\"nope\"", "{\"type\":\"fixed\",\"name\":\"f\"}",
                                ("{\"type\":\"record\",\"name\":\"a\",\"fields\":[{\"name\":\"x\","
                                 "\"type\":{\"type\":\"record\",\"name\":\"a\",\"fields\":[]}}]}"),
                                "not json"};
    size_t i;
    for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        i2i_buf f = I2I_BUF_INIT;
        avro_reader *r = NULL;
        i2i_error err;
        i2i_buf_append(&f, "Obj\x01", 4);
        avro_put_long(&f, 1);
        avro_put_string(&f, "avro.schema");
        avro_put_string(&f, bad[i]);
        avro_put_long(&f, 0);
        i2i_buf_append(&f, sync, 16);
        CHECK(avro_reader_open(f.data, f.len, "bad.avro", &r, &err) == I2I_ERR_FORMAT);
        CHECK(strstr(err.msg, "avro file 'bad.avro'") != NULL);
        CHECK(r == NULL);
        i2i_buf_free(&f);
    }
}

TEST(json_bytes_decodes_hex_and_rejects_bad_values)
{
    i2i_buf out = I2I_BUF_INIT;
    i2i_error err;
    json_t *v = json_pack("{s:s}", "$bytes", "00ffA0");
    json_t *odd = json_pack("{s:s}", "$bytes", "abc");
    json_t *bad = json_pack("{s:s}", "$bytes", "zz");
    CHECK_OK(avro_json_bytes(v, &out, &err), &err);
    CHECK_EQ_INT(out.len, 3);
    CHECK_EQ_MEM(out.data, "\x00\xff\xa0", 3);
    CHECK(avro_json_bytes(odd, &out, &err) == I2I_ERR_INVALID);
    CHECK(avro_json_bytes(bad, &out, &err) == I2I_ERR_INVALID);
    CHECK(avro_json_bytes(json_null(), &out, &err) == I2I_ERR_INVALID);
    json_decref(v);
    json_decref(odd);
    json_decref(bad);
    i2i_buf_free(&out);
}
