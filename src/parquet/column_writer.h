/*
 * One column's writer state (internal to the parquet layer): the open page (PLAIN values or
 * dictionary indices, definition levels, statistics), the column chunk of the open row group
 * (stored data pages, dictionary, page index entries, chunk statistics) and file totals.
 *
 * Pages close by page_rows or page_bytes; a closed page is compressed at once and only its stored
 * bytes are kept until the row group closes, when the writer emits the dictionary page first and
 * then the data pages. Dictionary mode falls back to PLAIN for the rest of the chunk when the
 * dictionary outgrows its budget; in AUTO mode it is also abandoned at the first page when it does
 * not pay (that page is then re-encoded PLAIN and the chunk has no dictionary at all).
 */
#ifndef I2I_PARQUET_COLUMN_WRITER_H
#define I2I_PARQUET_COLUMN_WRITER_H

#include "compress.h"
#include "dict.h"
#include "metadata.h"
#include "parquet.h"
#include "stats.h"

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "the parquet writer copies fixed-width values as little-endian memory"
#endif

/* Bit r of a validity bitmap (LSB first, 1 = value present). */
#define VALID_BIT(valid, r) (((valid)[(r) >> 3] >> ((r) & 7)) & 1u)

typedef enum pq_mode { PQ_MODE_PLAIN = 0, PQ_MODE_DICT = 1 } pq_mode;

/* Page index: longer byte-array bounds are truncated (min: prefix; max: prefix incremented). */
#define PQ_PAGE_INDEX_MAX_BOUND 64
/* Chunk statistics: byte-array bounds longer than this are left out (not truncated). */
#define PQ_STATS_MAX_BOUND 4096

typedef struct pq_column {
    parquet_column_spec spec; /* spec.name points at name */
    char *name;
    int value_width;      /* PLAIN bytes per value for fixed-width types; 0 for BOOLEAN/BYTE_ARRAY */
    int try_dict;         /* start each chunk in dictionary mode */
    int auto_check;       /* AUTO: check at the first page that the dictionary pays */
    size_t page_bytes, page_rows_max, dict_budget;
    size_t *dict_pool;    /* the writer's dictionary bytes left for all columns; NULL = no cap */
    size_t dict_room;     /* what the dictionary may reach while the current piece is encoded */
    int page_index;

    /* open page */
    pq_mode mode;
    size_t page_rows, page_values, page_nulls;
    i2i_buf levels;       /* page validity bitmap; only live once the page saw a null */
    int levels_live;
    i2i_buf plain;        /* PLAIN values (PLAIN mode) */
    uint32_t *idx;        /* dictionary indices (dictionary mode) */
    size_t idx_cap;
    pq_stats page_stats;

    /* open chunk */
    pq_dict dict;
    int dict_checked;
    int64_t chunk_rows;
    int64_t chunk_unc, chunk_comp; /* data pages, headers included */
    int32_t dict_data_pages, plain_data_pages;
    i2i_buf chunk;        /* stored data pages: header + body each */
    i2i_buf dict_page;    /* stored dictionary page (after pq_column_finish_chunk) */
    int64_t dict_unc, dict_comp;
    pq_stats chunk_stats;
    pq_page_entry *pages; /* offsets relative to the chunk's first data page */
    size_t npages, pages_cap;
    i2i_buf bounds;       /* page index min/max bytes */
    int column_index_ok;  /* 0 when a page had NaN: ColumnIndex left out for the chunk */

    /* scratch */
    i2i_buf body, hdr;
    uint32_t *seen;       /* per dictionary entry: last page that used it */
    size_t seen_cap;
    uint32_t seen_epoch;

    /* file totals */
    int64_t file_values, file_nulls, file_nans, file_comp;
    pq_stats file_stats;
} pq_column;

int pq_column_init(pq_column *c, const parquet_column_spec *spec, const parquet_writer_options *o,
                   i2i_error *err);
void pq_column_free(pq_column *c);

/* Check a source vector can feed this column and rows hold no value the column cannot take
 * (NULL in a required column, uint64 above INT64_MAX, out-of-range INT32 or decimal). rows NULL =
 * the contiguous rows [off, off + n). Nothing is changed, so a rejected batch leaves no trace. */
int pq_column_check(const pq_column *c, const columnar_column *src, size_t off, const uint32_t *rows,
                    size_t n, i2i_error *err);

/* Encode rows (already checked), closing pages as they fill. */
int pq_column_write(pq_column *c, pq_compressor *z, const columnar_column *src, size_t off,
                    const uint32_t *rows, size_t n, i2i_error *err);

/* Close the open page and build the stored dictionary page (if any data page used it). */
int pq_column_finish_chunk(pq_column *c, pq_compressor *z, i2i_error *err);

/* Whether the chunk statistics may carry min/max (no NaN, bounded size, valid UTF-8 strings). */
int pq_column_stats_minmax_ok(const pq_column *c);

/* Serialise the chunk's ColumnIndex (unless a page had NaN; ci left empty) and OffsetIndex, with
 * data pages starting at file offset data_page_offset. */
int pq_column_page_index(pq_column *c, int64_t data_page_offset, i2i_buf *ci, i2i_buf *oi);

/* After the chunk was written: add it to the file totals and start a new chunk. */
int pq_column_end_chunk(pq_column *c);

/* Uncompressed bytes of the open chunk so far (closed pages, open page, dictionary). */
int64_t pq_column_chunk_bytes(const pq_column *c);
/* Bytes held in memory (stored pages, open page, dictionary). */
size_t pq_column_buffered(const pq_column *c);

/* column_encode.c: encode the first n selected rows into the open page (n <= room in the page).
 * *used = rows consumed, < n only when the dictionary refused a new entry. Updates page_values,
 * page_nulls and page statistics (not levels, not page_rows). */
int pq_encode_piece(pq_column *c, const columnar_column *src, size_t off, const uint32_t *rows,
                    size_t n, int has_nulls, size_t *used, i2i_error *err);

#endif /* I2I_PARQUET_COLUMN_WRITER_H */
