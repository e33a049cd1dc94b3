/*
 * Test-only Parquet reading: a generic Thrift compact protocol reader (into a small tree), an
 * RLE/bit-packed hybrid decoder, page decompression and a column-chunk decoder that walks every
 * page and checks the size/offset invariants on the way. Written independently of the encoder so
 * round trips compare two implementations.
 */
#ifndef I2I_PQ_TEST_READER_H
#define I2I_PQ_TEST_READER_H

#include <stddef.h>
#include <stdint.h>

/* ---------------------------------------------------------------- thrift tree */

typedef struct tnode {
    uint8_t type;           /* compact type code; bools are 1 with the value in i */
    int16_t id;             /* field id when the node is a struct field */
    int64_t i;              /* bool, i8, i16, i32, i64 */
    double d;
    const uint8_t *bin;     /* binary */
    size_t binlen;
    uint8_t elem_type;      /* list element type */
    struct tnode *kids;     /* struct fields or list elements */
    size_t nkids;
} tnode;

/* Parse one struct starting at *p (advanced past its stop byte). 0 ok, -1 malformed. */
int tr_read_struct(const uint8_t **p, const uint8_t *end, tnode *out);
void tr_free(tnode *n);
const tnode *tr_field(const tnode *s, int16_t id);
int64_t tr_int(const tnode *s, int16_t id, int64_t dflt);
int tr_has(const tnode *s, int16_t id);

/* ---------------------------------------------------------------- RLE / bit-packed hybrid */

/* Decode n values of the given width from [p, end) (no prefix). Returns bytes consumed or -1. */
long tr_rle_decode(const uint8_t *p, const uint8_t *end, int width, uint32_t *out, size_t n);

/* ---------------------------------------------------------------- decompression */

/* Decompress into a malloc'ed buffer of exactly want bytes; -1 if the codec fails or the size
 * differs. codec = Parquet CompressionCodec value. */
int tr_decompress(int codec, const uint8_t *src, size_t n, size_t want, uint8_t **out);

/* ---------------------------------------------------------------- column chunks */

/* Decoded values of one column: per row a null flag and the value's PLAIN bytes (BOOLEAN: 1 byte
 * 0/1, INT32 4, INT64/DOUBLE 8 LE, BYTE_ARRAY the raw bytes, FIXED_LEN the type_length bytes). */
typedef struct tr_values {
    size_t n;
    uint8_t *is_null;
    size_t *off;   /* n + 1 offsets into data */
    uint8_t *data;
    size_t cap, len, ncap;
} tr_values;

void tr_values_free(tr_values *v);
int tr_values_push(tr_values *v, int is_null, const void *p, size_t len);

typedef struct tr_page_info {
    int64_t offset;         /* header offset in the file */
    int32_t stored_size;    /* header + stored body */
    int64_t first_row;
    int type;               /* PageType */
    int encoding;
    int32_t num_values;
    int64_t nulls;
} tr_page_info;

typedef struct tr_chunk_report {
    int has_dict;
    int dict_entries;
    int32_t data_pages_dict, data_pages_plain;
    tr_page_info *pages;    /* data pages only */
    size_t npages;
    char error[256];        /* first invariant violated, empty when fine */
} tr_chunk_report;

/* Decode the chunk described by ColumnMetaData `meta` from the whole file `file`, appending its
 * rows to out. physical/optional/type_length describe the leaf. Checks: pages fill exactly
 * [dictionary_page_offset or data_page_offset, + total_compressed_size); dictionary page first;
 * data_page_offset = first data page; totals (headers included) match; each page decompresses to
 * uncompressed_page_size; level counts = num_values; num_values sum = meta num_values.
 * Returns 0, or -1 with rep->error set. */
int tr_decode_chunk(const uint8_t *file, size_t file_len, const tnode *meta, int physical,
                    int optional, int type_length, tr_values *out, tr_chunk_report *rep);
void tr_chunk_report_free(tr_chunk_report *rep);

/* Parse the footer of a whole file into md. 0 ok, -1 malformed (magic, length). */
int tr_read_footer(const uint8_t *file, size_t len, tnode *md);

#endif
