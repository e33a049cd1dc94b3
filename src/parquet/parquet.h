/*
 * parquet: a streaming Parquet file writer for flat schemas.
 *
 *   parquet_writer_open(sink, schema, options)  ->  parquet_writer_add_batch(...) repeatedly
 *   ->  parquet_writer_close() returning the per-file metadata the Iceberg layer needs.
 *
 * Format facts follow ../shared/specs/parquet.md ("Encoder must" checklist): data page v1,
 * PLAIN and RLE_DICTIONARY (falling back to PLAIN when the dictionary outgrows its budget),
 * RLE/bit-packed definition levels, ZSTD (default), SNAPPY, GZIP or no compression, statistics
 * per page and per chunk with the spec's ordering rules, encoding_stats, field ids on every
 * schema element, key-value metadata, and created_by in the form readers parse.
 *
 * Memory: values are encoded into the current page as they arrive; a full page is compressed and
 * only the compressed bytes are kept until the row group closes (row_group_bytes of
 * *uncompressed* data, 128 MiB by default). So the writer holds about one row group's compressed
 * size plus one open page per column and the dictionaries (each capped at dictionary_bytes, all
 * together at dictionary_total_bytes).
 * Row groups are written to the sink as they close; nothing is proportional to the file.
 *
 * The writer only depends on util and columnar: it knows columns, not Iceberg.
 */
#ifndef I2I_PARQUET_H
#define I2I_PARQUET_H

#include "../columnar/columnar.h"
#include "../util/util.h"

/* Physical types (values are the Parquet Type enum). */
typedef enum parquet_physical {
    PARQUET_BOOLEAN = 0,
    PARQUET_INT32 = 1,
    PARQUET_INT64 = 2,
    PARQUET_DOUBLE = 5,
    PARQUET_BYTE_ARRAY = 6,
    PARQUET_FIXED_LEN_BYTE_ARRAY = 7
} parquet_physical;

/* Logical annotations we write. */
typedef enum parquet_logical {
    PARQUET_LOGICAL_NONE = 0,
    PARQUET_LOGICAL_STRING,           /* BYTE_ARRAY, StringType + UTF8 */
    PARQUET_LOGICAL_TIMESTAMP_MICROS, /* INT64, TIMESTAMP(isAdjustedToUTC, MICROS) + TIMESTAMP_MICROS */
    PARQUET_LOGICAL_TIMESTAMP_NANOS,  /* INT64, TIMESTAMP(isAdjustedToUTC, NANOS) */
    PARQUET_LOGICAL_DECIMAL           /* FIXED_LEN_BYTE_ARRAY (big-endian two's complement) */
} parquet_logical;

/* Compression codecs (values are the Parquet CompressionCodec enum). */
typedef enum parquet_codec {
    PARQUET_CODEC_UNCOMPRESSED = 0,
    PARQUET_CODEC_SNAPPY = 1,
    PARQUET_CODEC_GZIP = 2,
    PARQUET_CODEC_ZSTD = 6
} parquet_codec;

typedef enum parquet_dictionary_mode {
    PARQUET_DICT_AUTO = 0,  /* strings: try; timestamps: never; numbers: try while it pays */
    PARQUET_DICT_NEVER = 1,
    PARQUET_DICT_ALWAYS = 2 /* try a dictionary whatever the type (still falls back when too big) */
} parquet_dictionary_mode;

typedef struct parquet_column_spec {
    const char *name;
    int32_t field_id;           /* Iceberg field id; must be > 0 */
    parquet_physical physical;
    parquet_logical logical;
    int optional;               /* 1 = OPTIONAL (definition levels), 0 = REQUIRED */
    int adjusted_to_utc;        /* timestamps: isAdjustedToUTC (Iceberg timestamptz = 1) */
    int32_t type_length;        /* FIXED_LEN_BYTE_ARRAY width in bytes; 0 = the minimal width for
                                   the precision (Iceberg's choice, e.g. 9 for decimal(20, 0)) */
    int32_t precision, scale;   /* DECIMAL */
    parquet_dictionary_mode dictionary; /* BOOLEAN columns are never dictionary-encoded */
} parquet_column_spec;

/*
 * Which columnar vectors feed which physical types (checked when a batch is added):
 *   BOOLEAN      <- COLUMNAR_BOOL
 *   INT32        <- COLUMNAR_INT64 (range-checked)
 *   INT64        <- COLUMNAR_INT64, COLUMNAR_TIMESTAMP (values written as they are: the caller
 *                   converts units), COLUMNAR_UINT64 (error naming the column and value when a
 *                   value exceeds INT64_MAX)
 *   DOUBLE       <- COLUMNAR_DOUBLE
 *   BYTE_ARRAY   <- COLUMNAR_STRING
 *   FIXED_LEN_BYTE_ARRAY DECIMAL(p, 0) <- COLUMNAR_UINT64 or COLUMNAR_INT64 (big-endian, sign-extended
 *                   to type_length bytes)
 */

typedef struct parquet_kv {
    const char *key;
    const char *value;
} parquet_kv;

typedef struct parquet_writer_options {
    parquet_codec codec;            /* default (0 in a zeroed struct means UNCOMPRESSED, so use
                                       parquet_writer_options_default) */
    int compression_level;          /* 0 = codec default (zstd 1, gzip 6) */
    size_t row_group_bytes;         /* target uncompressed bytes per row group (128 MiB) */
    size_t page_bytes;              /* target uncompressed page body (1 MiB) */
    size_t page_rows;               /* max rows per page (20000), keeps page stats useful */
    size_t dictionary_bytes;        /* dictionary budget per column chunk (1 MiB) */
    size_t dictionary_total_bytes;  /* all the columns' dictionaries of the open row group
                                       together (8 MiB); 0 = no cap but the per-column one. A
                                       column whose dictionary would pass it goes PLAIN for the rest
                                       of its chunk, as at its own budget */
    const parquet_kv *kv;           /* key-value metadata (copied at open) */
    size_t nkv;
    const char *created_by;         /* NULL = "influx2iceberg version <v> (build <h>)" */
    int write_page_index;           /* 1 = write ColumnIndex/OffsetIndex (default 1) */
} parquet_writer_options;

void parquet_writer_options_default(parquet_writer_options *o);

/* Where the bytes go. write must write all n bytes or fail with a message. */
typedef struct parquet_sink {
    int (*write)(void *ctx, const void *data, size_t n, i2i_error *err);
    void *ctx;
} parquet_sink;

/* Per-column results for the Iceberg manifest. Bounds are the Parquet statistics encoding
 * (PLAIN little-endian for numbers, 1 byte for booleans, raw bytes for strings, big-endian for
 * decimals); has_bounds is 0 when the column had no non-null, non-NaN value. Bounds are exact
 * (never truncated here): the Iceberg layer truncates strings. Doubles: NaN is excluded from the
 * bounds (counted in nan_count), a zero lower bound is -0.0 and a zero upper bound +0.0. When
 * has_bounds is set, lower.data and upper.data are non-NULL even for an empty-string bound. */
typedef struct parquet_column_result {
    int32_t field_id;
    int64_t value_count;      /* values including nulls */
    int64_t null_count;
    int64_t nan_count;        /* DOUBLE only */
    int64_t compressed_bytes; /* column chunk bytes on disk, headers included, all row groups */
    int has_bounds;
    i2i_buf lower;
    i2i_buf upper;
} parquet_column_result;

typedef struct parquet_file_result {
    int64_t num_rows;
    int64_t file_size;         /* bytes written to the sink, footer included */
    size_t ncols;
    parquet_column_result *cols;
    size_t nrow_groups;
    int64_t *split_offsets;    /* file offset of each row group's first page, ascending */
} parquet_file_result;

void parquet_file_result_free(parquet_file_result *r);

typedef struct parquet_writer parquet_writer;

/* The schema and options are copied; opts NULL = parquet_writer_options_default. The sink must
 * stay valid until close/abort. Field ids must be unique. */
int parquet_writer_open(const parquet_sink *sink, const parquet_column_spec *cols, size_t ncols,
                        const parquet_writer_options *opts, parquet_writer **out, i2i_error *err);
/* Append rows [offset, offset+count) of the batch; batch column i feeds schema column i.
 * Every column is checked before anything is encoded: a vector type that cannot feed the column,
 * a NULL in a REQUIRED column, or a value out of range (uint64 > INT64_MAX for INT64, int64
 * outside INT32, a decimal beyond its precision) rejects the whole call with an error naming the
 * column, the batch row and the value, and leaves the writer unchanged. Any other failure
 * (memory, sink) leaves the writer failed: only close (which then reports it) or abort remain. */
int parquet_writer_add_batch_range(parquet_writer *w, const columnar_batch *batch, size_t offset,
                                   size_t count, i2i_error *err);
/* Append every row of the batch. */
int parquet_writer_add_batch(parquet_writer *w, const columnar_batch *batch, i2i_error *err);
/* Append the listed rows (ascending or not) of the batch: used to route rows to partitions. */
int parquet_writer_add_batch_rows(parquet_writer *w, const columnar_batch *batch, const uint32_t *rows,
                                  size_t nrows, i2i_error *err);
/* Close the current row group now (normally done by size). */
int parquet_writer_flush_row_group(parquet_writer *w, i2i_error *err);
/* Rows added so far, and an estimate of the file size if closed now (for rolling files). */
int64_t parquet_writer_rows(const parquet_writer *w);
int64_t parquet_writer_estimated_size(const parquet_writer *w);
/* Bytes currently buffered in memory by the writer (pages, dictionaries). */
size_t parquet_writer_buffered_bytes(const parquet_writer *w);
/* Finish the file (last row group, page indexes, footer) and free the writer. result may be NULL.
 * On failure the writer is freed too; the sink may hold a partial file. */
int parquet_writer_close(parquet_writer *w, parquet_file_result *result, i2i_error *err);
/* Free without finishing. Accepts NULL. */
void parquet_writer_abort(parquet_writer *w);

/* A sink writing to a file descriptor with large buffered writes; and one appending to a buffer. */
typedef struct parquet_fd_sink {
    int fd;
    const char *path; /* for error messages */
} parquet_fd_sink;
int parquet_fd_sink_write(void *ctx, const void *data, size_t n, i2i_error *err);
int parquet_buf_sink_write(void *ctx, const void *data, size_t n, i2i_error *err); /* ctx = i2i_buf* */

/* Name of a codec as users write it ("zstd", "snappy", "gzip", "none") and back. */
const char *parquet_codec_name(parquet_codec c);
int parquet_codec_parse(const char *s, parquet_codec *out, i2i_error *err);

#endif /* I2I_PARQUET_H */
