/*
 * RLE / bit-packed hybrid encoder (internal to the parquet layer), and bitmap helpers.
 *
 * Runs: an RLE run is varint(count << 1) then the value in ceil(width/8) little-endian bytes; a
 * bit-packed run is varint((groups << 1) | 1) then groups * width bytes holding 8 values per group,
 * packed LSB first. Only the last bit-packed run may end in a zero-padded group.
 *
 * Two framings are used by data page v1:
 *   - definition levels: a 4-byte little-endian length of the runs, then the runs (bit width 1);
 *   - dictionary indices: one byte of bit width, then the runs, no length.
 * A validity bitmap (bit set = value present, LSB first) is exactly the bit-packed form of width-1
 * levels, so levels are encoded straight from bitmap bytes.
 */
#ifndef I2I_PARQUET_RLE_H
#define I2I_PARQUET_RLE_H

#include "../util/util.h"

/* Bits needed to represent max_value (0 for 0). */
int pq_bit_width(uint64_t max_value);

/* Append the runs for n values, each < 2^width (width 0..32). No prefix. */
int pq_rle_encode(i2i_buf *out, const uint32_t *vals, size_t n, int width);

/* Dictionary indices of a data page: 1 byte of width, then the runs. */
int pq_rle_encode_dict_indices(i2i_buf *out, const uint32_t *idx, size_t n, int width);

/* Definition levels of a flat optional column: 4-byte LE length, then width-1 runs for the n bits
 * of bitmap (1 = present). When nnull == 0 the bitmap is not read (and may be NULL): one RLE run. */
int pq_rle_encode_levels(i2i_buf *out, const uint8_t *bitmap, size_t n, size_t nnull);

/* OR n bits from src (starting at bit s) into dst (starting at bit d). Bits of dst at and after d
 * must be zero. */
void pq_bits_copy(uint8_t *dst, size_t d, const uint8_t *src, size_t s, size_t n);

/* Number of set bits among n bits of src starting at bit s. */
size_t pq_bits_count(const uint8_t *src, size_t s, size_t n);

#endif /* I2I_PARQUET_RLE_H */
