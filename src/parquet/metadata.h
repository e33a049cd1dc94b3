/*
 * Serialisers for the parquet.thrift structures the writer emits (internal to the parquet layer):
 * page headers, schema elements, ColumnMetaData, ColumnIndex/OffsetIndex and FileMetaData.
 * Field ids and enum values follow ../shared/specs/parquet.md (table at its end).
 */
#ifndef I2I_PARQUET_METADATA_H
#define I2I_PARQUET_METADATA_H

#include "parquet.h"
#include "stats.h"
#include "thrift.h"

/* parquet.thrift enums we use. */
enum { PQ_PAGE_DATA = 0, PQ_PAGE_DICTIONARY = 2 };
enum { PQ_ENC_PLAIN = 0, PQ_ENC_RLE = 3, PQ_ENC_RLE_DICTIONARY = 8 };
enum { PQ_REQUIRED = 0, PQ_OPTIONAL = 1 };
enum {
    PQ_CONVERTED_UTF8 = 0,
    PQ_CONVERTED_DECIMAL = 5,
    PQ_CONVERTED_TIMESTAMP_MICROS = 10
};
enum { PQ_BOUNDARY_UNORDERED = 0, PQ_BOUNDARY_ASCENDING = 1, PQ_BOUNDARY_DESCENDING = 2 };

/* PageHeader of a v1 data page / a dictionary page, appended to out. */
int pq_meta_data_page_header(i2i_buf *out, int32_t uncompressed, int32_t compressed,
                             int32_t num_values, int32_t encoding);
int pq_meta_dict_page_header(i2i_buf *out, int32_t uncompressed, int32_t compressed,
                             int32_t num_entries);

/* SchemaElement structs (written as list elements). */
void pq_meta_schema_root(pq_thrift *t, size_t nchildren);
void pq_meta_schema_leaf(pq_thrift *t, const parquet_column_spec *spec);

/* What ColumnMetaData says about one column chunk. */
typedef struct pq_chunk_info {
    const parquet_column_spec *spec;
    parquet_codec codec;
    int64_t num_values;            /* levels, nulls included */
    int64_t total_uncompressed;    /* page headers included */
    int64_t total_compressed;      /* page headers included */
    int64_t data_page_offset;
    int64_t dictionary_page_offset; /* < 0: no dictionary page */
    int32_t dict_data_pages;       /* RLE_DICTIONARY data pages */
    int32_t plain_data_pages;      /* PLAIN data pages */
    const pq_stats *stats;
    int write_minmax;              /* 0: null_count (and nan_count) only */
} pq_chunk_info;

/* ColumnMetaData body (fields + stop, starting from field delta 0), appended to out. */
int pq_meta_column_meta(i2i_buf *out, const pq_chunk_info *info);

/* One data page as the page index sees it. */
typedef struct pq_page_entry {
    int64_t offset;    /* file offset of the page header */
    int32_t size;      /* header + body as stored */
    int64_t first_row; /* within the row group */
    int64_t null_count;
    int null_page;     /* every value null (no min/max) */
    size_t min_off, max_off; /* into the caller's bytes buffer */
    uint32_t min_len, max_len;
} pq_page_entry;

int pq_meta_offset_index(i2i_buf *out, const pq_page_entry *pages, size_t n);
int pq_meta_column_index(i2i_buf *out, const pq_page_entry *pages, size_t n, const uint8_t *bytes,
                         int32_t boundary_order);

/* A column chunk as the footer references it. */
typedef struct pq_chunk_ref {
    size_t meta_off, meta_len;  /* serialised ColumnMetaData in the writer's metadata buffer */
    int64_t column_index_offset; /* absolute; length 0 = none */
    int32_t column_index_length;
    int64_t offset_index_offset;
    int32_t offset_index_length;
} pq_chunk_ref;

typedef struct pq_row_group {
    int64_t num_rows;
    int64_t total_byte_size;       /* sum of chunks' total_uncompressed_size */
    int64_t file_offset;           /* first page of the first chunk */
    int64_t total_compressed_size; /* sum of chunks' total_compressed_size */
    pq_chunk_ref *chunks;          /* one per column */
} pq_row_group;

typedef struct pq_file_info {
    const parquet_column_spec *cols;
    size_t ncols;
    int64_t num_rows;
    const pq_row_group *rgs;
    size_t nrgs;
    const uint8_t *meta_bytes;    /* where pq_chunk_ref.meta_off points */
    const parquet_kv *kv;
    size_t nkv;
    const char *created_by;
} pq_file_info;

/* FileMetaData, appended to out. */
int pq_meta_file(i2i_buf *out, const pq_file_info *f);

#endif /* I2I_PARQUET_METADATA_H */
