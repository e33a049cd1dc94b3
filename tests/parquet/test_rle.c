/* RLE / bit-packed hybrid: known bytes, encode-then-decode for widths 0..20, levels, bitmaps. */
#include <stdlib.h>

#include "parquet/rle.h"
#include "pq_test_reader.h"
#include "test.h"

static uint64_t rng_state = 0x1234567;
static uint32_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (uint32_t)(rng_state >> 16);
}

TEST(levels_of_1000_present_rows_are_one_run)
{
    i2i_buf b = I2I_BUF_INIT;
    static const uint8_t want[] = {0x03, 0x00, 0x00, 0x00, 0xD0, 0x0F, 0x01};
    REQUIRE(pq_rle_encode_levels(&b, NULL, 1000, 0) == I2I_OK);
    CHECK_EQ_INT(b.len, sizeof want);
    CHECK_EQ_MEM(b.data, want, sizeof want);
    i2i_buf_free(&b);
}

TEST(bit_packed_0_to_7_width_3_matches_spec_example)
{
    i2i_buf b = I2I_BUF_INIT;
    uint32_t v[8] = {0, 1, 2, 3, 4, 5, 6, 7};
    static const uint8_t want[] = {0x03, 0x88, 0xC6, 0xFA};
    REQUIRE(pq_rle_encode(&b, v, 8, 3) == I2I_OK);
    CHECK_EQ_INT(b.len, sizeof want);
    CHECK_EQ_MEM(b.data, want, sizeof want);
    i2i_buf_free(&b);
}

TEST(bit_width_is_bits_of_max)
{
    CHECK_EQ_INT(pq_bit_width(0), 0);
    CHECK_EQ_INT(pq_bit_width(1), 1);
    CHECK_EQ_INT(pq_bit_width(2), 2);
    CHECK_EQ_INT(pq_bit_width(255), 8);
    CHECK_EQ_INT(pq_bit_width(256), 9);
    CHECK_EQ_INT(pq_bit_width(UINT32_MAX), 32);
}

/* Encode, decode, compare, and check the decoder consumed exactly the encoded bytes. */
static int roundtrip(const uint32_t *v, size_t n, int width)
{
    i2i_buf b = I2I_BUF_INIT;
    uint32_t *out = calloc(n + 1, sizeof *out);
    long used;
    int ok;
    if (pq_rle_encode(&b, v, n, width) != I2I_OK) return 0;
    if (n == 0) {
        free(out);
        return b.len == 0;
    }
    used = tr_rle_decode(b.data, b.data + b.len, width, out, n);
    ok = used == (long)b.len && (n == 0 || memcmp(out, v, n * sizeof *v) == 0);
    free(out);
    i2i_buf_free(&b);
    return ok;
}

TEST(encode_then_decode_widths_0_to_20_with_run_boundaries)
{
    static const size_t run_lengths[] = {1, 2, 7, 8, 9, 15, 16, 17, 23, 24, 25, 100, 1000};
    uint32_t *v = malloc(20000 * sizeof *v);
    int width;
    REQUIRE(v);
    for (width = 0; width <= 20; width++) {
        uint32_t mask = width == 0 ? 0 : (width == 32 ? UINT32_MAX : (1u << width) - 1);
        size_t n, i, r;
        /* random values of every length 0..200 (partial last groups) */
        for (n = 0; n <= 200; n++) {
            for (i = 0; i < n; i++) v[i] = rnd() & mask;
            if (!roundtrip(v, n, width)) {
                i2i_test_fail(__FILE__, __LINE__, "random width %d n %zu", width, n);
                break;
            }
        }
        /* runs of each length, alternating with literals, at every alignment */
        for (r = 0; r < sizeof run_lengths / sizeof *run_lengths; r++) {
            size_t shift;
            for (shift = 0; shift < 9; shift++) {
                n = 0;
                for (i = 0; i < shift; i++) v[n++] = rnd() & mask;
                for (i = 0; i < run_lengths[r]; i++) v[n++] = 5 & mask;
                for (i = 0; i < 11; i++) v[n++] = rnd() & mask;
                for (i = 0; i < run_lengths[r]; i++) v[n++] = mask;
                if (!roundtrip(v, n, width))
                    i2i_test_fail(__FILE__, __LINE__, "runs width %d run %zu shift %zu", width,
                                  run_lengths[r], shift);
            }
        }
        /* long runs mixed with short ones */
        n = 0;
        while (n < 19000) {
            size_t len = (rnd() % 4 == 0) ? 1 + rnd() % 300 : 1 + rnd() % 3;
            uint32_t x = rnd() & mask;
            for (i = 0; i < len && n < 19000; i++) v[n++] = x;
        }
        if (!roundtrip(v, n, width)) i2i_test_fail(__FILE__, __LINE__, "mixed width %d", width);
    }
    CHECK(roundtrip(v, 0, 32));
    v[0] = UINT32_MAX;
    v[1] = 0;
    CHECK(roundtrip(v, 2, 32));
    free(v);
}

TEST(repeated_values_become_short_rle_runs)
{
    uint32_t v[1000];
    i2i_buf b = I2I_BUF_INIT;
    size_t i;
    for (i = 0; i < 1000; i++) v[i] = 700;
    REQUIRE(pq_rle_encode(&b, v, 1000, 10) == I2I_OK);
    CHECK_EQ_INT(b.len, 4); /* varint(2000) = 2 bytes + 2 value bytes */
    i2i_buf_reset(&b);
    REQUIRE(pq_rle_encode(&b, v, 1000, 0) == I2I_OK); /* width 0: header only */
    CHECK_EQ_INT(b.len, 2);
    i2i_buf_free(&b);
}

TEST(dictionary_indices_start_with_bit_width_byte)
{
    uint32_t v[3] = {0, 1, 2};
    i2i_buf b = I2I_BUF_INIT;
    uint32_t out[3];
    REQUIRE(pq_rle_encode_dict_indices(&b, v, 3, 2) == I2I_OK);
    CHECK_EQ_INT(b.data[0], 2);
    CHECK(tr_rle_decode(b.data + 1, b.data + b.len, 2, out, 3) == (long)b.len - 1);
    CHECK(out[0] == 0 && out[1] == 1 && out[2] == 2);
    i2i_buf_free(&b);
}

/* Levels from a bitmap decode back to its bits, and the 4-byte prefix is the run bytes. */
static int levels_roundtrip(const uint8_t *bm, size_t n)
{
    i2i_buf b = I2I_BUF_INIT;
    uint32_t *out = calloc(n + 1, sizeof *out);
    size_t i, nnull = 0;
    uint32_t len;
    int ok = 1;
    for (i = 0; i < n; i++) nnull += !((bm[i / 8] >> (i % 8)) & 1);
    if (pq_rle_encode_levels(&b, bm, n, nnull) != I2I_OK || b.len < 4) return 0;
    len = i2i_load_le32(b.data);
    if (len != b.len - 4) ok = 0;
    if (ok && tr_rle_decode(b.data + 4, b.data + b.len, 1, out, n) != (long)len) ok = 0;
    for (i = 0; ok && i < n; i++)
        if (out[i] != ((bm[i / 8] >> (i % 8)) & 1u)) ok = 0;
    free(out);
    i2i_buf_free(&b);
    return ok;
}

TEST(definition_levels_from_bitmaps_round_trip)
{
    uint8_t bm[700];
    size_t n, i, density;
    for (density = 0; density < 5; density++) {
        for (n = 1; n <= 5000; n += (n < 100 ? 1 : 97)) {
            memset(bm, 0, sizeof bm);
            for (i = 0; i < n; i++) {
                int set;
                switch (density) {
                case 0: set = rnd() % 2; break;       /* mixed */
                case 1: set = rnd() % 50 != 0; break; /* rare nulls */
                case 2: set = (i / 37) % 2; break;    /* alternating runs */
                case 3: set = i % 200 < 190; break;   /* long valid runs, short null runs */
                default: set = 0; break;              /* all null */
                }
                if (set) bm[i / 8] |= (uint8_t)(1u << (i % 8));
            }
            if (!levels_roundtrip(bm, n)) {
                i2i_test_fail(__FILE__, __LINE__, "density %zu n %zu", density, n);
                return;
            }
        }
    }
}

TEST(bits_copy_and_count_at_any_alignment)
{
    uint8_t src[64], dst[80], want[80];
    size_t s, d, n, i;
    for (i = 0; i < sizeof src; i++) src[i] = (uint8_t)rnd();
    for (s = 0; s < 17; s++) {
        for (d = 0; d < 17; d++) {
            for (n = 0; n < 300; n += 7) {
                size_t cnt = 0;
                memset(dst, 0, sizeof dst);
                memset(want, 0, sizeof want);
                for (i = 0; i < n; i++) {
                    unsigned bit = (src[(s + i) / 8] >> ((s + i) % 8)) & 1;
                    cnt += bit;
                    if (bit) want[(d + i) / 8] |= (uint8_t)(1u << ((d + i) % 8));
                }
                pq_bits_copy(dst, d, src, s, n);
                if (memcmp(dst, want, sizeof dst) != 0 || pq_bits_count(src, s, n) != cnt) {
                    i2i_test_fail(__FILE__, __LINE__, "s %zu d %zu n %zu", s, d, n);
                    return;
                }
            }
        }
    }
}
