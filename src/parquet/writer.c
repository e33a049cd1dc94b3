/*
 * The public writer: options and schema validation, batches split into slices across columns,
 * row groups closed by size and written to the sink (dictionary page first in each chunk), then
 * the page index and the footer at close.
 */
#include <stdlib.h>

#include "column_writer.h"
#include "metadata.h"
#include "parquet.h"
#include "version.h"

#define STAGING_BYTES (64 * 1024) /* small sink writes are coalesced up to this size */
#define SLICE_ROWS 4096           /* rows per step between row-group size checks */

struct parquet_writer {
    parquet_sink sink;
    parquet_writer_options opts;
    parquet_kv *kv;        /* copied */
    char *created_by;
    size_t ncols;
    pq_column *cols;
    pq_compressor z;
    int64_t pos;           /* bytes handed to the sink (staged included) */
    int64_t num_rows;      /* rows in written row groups */
    int64_t rg_rows;       /* rows in the open row group */
    int64_t written_unc, written_comp; /* closed chunks, for the compression ratio estimate */
    pq_row_group *rgs;
    size_t nrgs, rgs_cap;
    i2i_buf meta;          /* ColumnMetaData of every written chunk */
    i2i_buf ci, oi;        /* page index blobs, written before the footer */
    i2i_buf staging;
    size_t dict_pool;      /* dictionary bytes the columns may still add (dictionary_total_bytes) */
    int failed;
};

void parquet_writer_options_default(parquet_writer_options *o)
{
    memset(o, 0, sizeof *o);
    o->codec = PARQUET_CODEC_ZSTD;
    o->compression_level = 0;
    o->row_group_bytes = (size_t)128 << 20;
    o->page_bytes = (size_t)1 << 20;
    o->page_rows = 20000;
    o->dictionary_bytes = (size_t)1 << 20;
    o->dictionary_total_bytes = (size_t)8 << 20;
    o->write_page_index = 1;
}

/* ------------------------------------------------------------------ validation */

/* Smallest FIXED_LEN_BYTE_ARRAY width holding every decimal of the precision (1..38). */
static int32_t decimal_min_length(int32_t precision)
{
    static const int8_t len[39] = {0, 1, 1, 2, 2, 3, 3, 4, 4, 4, 5, 5, 6, 6, 6, 7, 7, 8, 8, 9,
                                   9, 9, 10, 10, 11, 11, 11, 12, 12, 13, 13, 13, 14, 14, 15, 15, 16, 16, 16};
    return precision >= 1 && precision <= 38 ? len[precision] : 0;
}

static int check_column(const parquet_column_spec *c, size_t i, parquet_column_spec *out, i2i_error *err)
{
    const char *name = c->name;
    *out = *c;
    if (!name || !*name) return i2i_error_set(err, I2I_ERR_INVALID, "parquet column %zu has no name", i);
    if (c->field_id <= 0)
        return i2i_error_set(err, I2I_ERR_INVALID, "column '%s': field id %d must be > 0", name,
                             (int)c->field_id);
    switch (c->physical) {
    case PARQUET_BOOLEAN:
    case PARQUET_INT32:
    case PARQUET_INT64:
    case PARQUET_DOUBLE:
    case PARQUET_BYTE_ARRAY:
    case PARQUET_FIXED_LEN_BYTE_ARRAY: break;
    default:
        return i2i_error_set(err, I2I_ERR_UNSUPPORTED, "column '%s': unsupported physical type %d",
                             name, (int)c->physical);
    }
    switch (c->logical) {
    case PARQUET_LOGICAL_NONE:
        if (c->physical == PARQUET_FIXED_LEN_BYTE_ARRAY)
            return i2i_error_set(err, I2I_ERR_UNSUPPORTED,
                                 "column '%s': FIXED_LEN_BYTE_ARRAY is only written as DECIMAL", name);
        break;
    case PARQUET_LOGICAL_STRING:
        if (c->physical != PARQUET_BYTE_ARRAY)
            return i2i_error_set(err, I2I_ERR_INVALID, "column '%s': STRING needs BYTE_ARRAY", name);
        break;
    case PARQUET_LOGICAL_TIMESTAMP_MICROS:
    case PARQUET_LOGICAL_TIMESTAMP_NANOS:
        if (c->physical != PARQUET_INT64)
            return i2i_error_set(err, I2I_ERR_INVALID, "column '%s': TIMESTAMP needs INT64", name);
        break;
    case PARQUET_LOGICAL_DECIMAL: {
        int32_t min_len = decimal_min_length(c->precision);
        if (c->physical != PARQUET_FIXED_LEN_BYTE_ARRAY)
            return i2i_error_set(err, I2I_ERR_UNSUPPORTED,
                                 "column '%s': DECIMAL is written as FIXED_LEN_BYTE_ARRAY", name);
        if (min_len == 0)
            return i2i_error_set(err, I2I_ERR_INVALID, "column '%s': decimal precision %d is outside 1..38",
                                 name, (int)c->precision);
        if (c->scale < 0 || c->scale > c->precision)
            return i2i_error_set(err, I2I_ERR_INVALID, "column '%s': decimal scale %d is outside 0..%d",
                                 name, (int)c->scale, (int)c->precision);
        if (c->type_length == 0) out->type_length = min_len;
        if (out->type_length < min_len || out->type_length > 16)
            return i2i_error_set(err, I2I_ERR_INVALID,
                                 "column '%s': decimal(%d) needs a width of %d..16 bytes, not %d", name,
                                 (int)c->precision, (int)min_len, (int)c->type_length);
        break;
    }
    default:
        return i2i_error_set(err, I2I_ERR_UNSUPPORTED, "column '%s': unsupported logical type %d",
                             name, (int)c->logical);
    }
    if (c->dictionary != PARQUET_DICT_AUTO && c->dictionary != PARQUET_DICT_NEVER &&
        c->dictionary != PARQUET_DICT_ALWAYS)
        return i2i_error_set(err, I2I_ERR_INVALID, "column '%s': unknown dictionary mode %d", name,
                             (int)c->dictionary);
    return I2I_OK;
}

static int check_options(const parquet_writer_options *o, i2i_error *err)
{
    const size_t gib = (size_t)1 << 30;
    if (o->codec != PARQUET_CODEC_UNCOMPRESSED && o->codec != PARQUET_CODEC_SNAPPY &&
        o->codec != PARQUET_CODEC_GZIP && o->codec != PARQUET_CODEC_ZSTD)
        return i2i_error_set(err, I2I_ERR_UNSUPPORTED, "unsupported parquet codec %d", (int)o->codec);
    if (o->row_group_bytes == 0)
        return i2i_error_set(err, I2I_ERR_INVALID, "row_group_bytes must be > 0");
    if (o->page_bytes == 0 || o->page_bytes > gib)
        return i2i_error_set(err, I2I_ERR_INVALID, "page_bytes must be 1 byte..1 GiB");
    if (o->page_rows == 0 || o->page_rows > INT32_MAX)
        return i2i_error_set(err, I2I_ERR_INVALID, "page_rows must be 1..%d", INT32_MAX);
    if (o->dictionary_bytes > gib)
        return i2i_error_set(err, I2I_ERR_INVALID, "dictionary_bytes must be at most 1 GiB");
    if (o->nkv && !o->kv) return i2i_error_set(err, I2I_ERR_INVALID, "nkv > 0 but kv is NULL");
    return I2I_OK;
}

/* ------------------------------------------------------------------ sink */

static int flush_staging(parquet_writer *w, i2i_error *err)
{
    int rc;
    if (w->staging.len == 0) return I2I_OK;
    rc = w->sink.write(w->sink.ctx, w->staging.data, w->staging.len, err);
    i2i_buf_reset(&w->staging);
    return rc;
}

static int sink_write(parquet_writer *w, const void *data, size_t n, i2i_error *err)
{
    if (n == 0) return I2I_OK;
    if (n < STAGING_BYTES) {
        if (w->staging.len + n > STAGING_BYTES) I2I_TRY(flush_staging(w, err));
        if (i2i_buf_append(&w->staging, data, n) != I2I_OK)
            return i2i_error_nomem(err, "staging parquet output");
    } else {
        I2I_TRY(flush_staging(w, err));
        I2I_TRY(w->sink.write(w->sink.ctx, data, n, err));
    }
    w->pos += (int64_t)n;
    return I2I_OK;
}

/* ------------------------------------------------------------------ open / free */

static void writer_free(parquet_writer *w)
{
    size_t i;
    if (!w) return;
    for (i = 0; i < w->ncols; i++) pq_column_free(&w->cols[i]);
    free(w->cols);
    if (w->kv) {
        for (i = 0; i < w->opts.nkv; i++) {
            free((char *)w->kv[i].key);
            free((char *)w->kv[i].value);
        }
        free(w->kv);
    }
    free(w->created_by);
    pq_compressor_free(&w->z);
    for (i = 0; i < w->nrgs; i++) free(w->rgs[i].chunks);
    free(w->rgs);
    i2i_buf_free(&w->meta);
    i2i_buf_free(&w->ci);
    i2i_buf_free(&w->oi);
    i2i_buf_free(&w->staging);
    free(w);
}

void parquet_writer_abort(parquet_writer *w) { writer_free(w); }

int parquet_writer_open(const parquet_sink *sink, const parquet_column_spec *cols, size_t ncols,
                        const parquet_writer_options *opts, parquet_writer **out, i2i_error *err)
{
    parquet_writer_options defaults;
    parquet_writer *w;
    size_t i, j;
    int rc;

    *out = NULL;
    if (!opts) {
        parquet_writer_options_default(&defaults);
        opts = &defaults;
    }
    if (!sink || !sink->write) return i2i_error_set(err, I2I_ERR_INVALID, "parquet writer needs a sink");
    if (!cols || ncols == 0) return i2i_error_set(err, I2I_ERR_INVALID, "parquet schema has no columns");
    I2I_TRY(check_options(opts, err));
    w = calloc(1, sizeof *w);
    if (!w) return i2i_error_nomem(err, "creating a parquet writer");
    w->sink = *sink;
    w->opts = *opts;
    w->opts.kv = NULL;
    w->cols = calloc(ncols, sizeof *w->cols);
    if (!w->cols) {
        free(w);
        return i2i_error_nomem(err, "creating a parquet writer");
    }
    w->ncols = ncols;
    for (i = 0; i < ncols; i++) {
        parquet_column_spec spec;
        I2I_TRY_GOTO(check_column(&cols[i], i, &spec, err), rc, fail);
        for (j = 0; j < i; j++) {
            if (cols[j].field_id == cols[i].field_id) {
                rc = i2i_error_set(err, I2I_ERR_INVALID, "columns '%s' and '%s' share field id %d",
                                   cols[j].name, cols[i].name, (int)cols[i].field_id);
                goto fail;
            }
        }
        I2I_TRY_GOTO(pq_column_init(&w->cols[i], &spec, opts, err), rc, fail);
        if (opts->dictionary_total_bytes) w->cols[i].dict_pool = &w->dict_pool;
    }
    w->dict_pool = opts->dictionary_total_bytes;
    if (opts->nkv) {
        w->kv = calloc(opts->nkv, sizeof *w->kv);
        if (!w->kv) goto nomem;
        for (i = 0; i < opts->nkv; i++) {
            if (!opts->kv[i].key) {
                rc = i2i_error_set(err, I2I_ERR_INVALID, "key-value metadata %zu has no key", i);
                goto fail;
            }
            w->kv[i].key = i2i_strdup(opts->kv[i].key);
            w->kv[i].value = opts->kv[i].value ? i2i_strdup(opts->kv[i].value) : NULL;
            if (!w->kv[i].key || (opts->kv[i].value && !w->kv[i].value)) goto nomem;
        }
        w->opts.kv = w->kv;
    }
    w->created_by = i2i_strdup(opts->created_by ? opts->created_by
                                                : "influx2iceberg version " I2I_VERSION
                                                  " (build " I2I_BUILD ")");
    if (!w->created_by) goto nomem;
    w->opts.created_by = w->created_by;
    I2I_TRY_GOTO(pq_compressor_init(&w->z, opts->codec, opts->compression_level, err), rc, fail);
    I2I_TRY_GOTO(sink_write(w, "PAR1", 4, err), rc, fail);
    *out = w;
    return I2I_OK;
nomem:
    rc = i2i_error_nomem(err, "creating a parquet writer");
fail:
    writer_free(w);
    return rc;
}

/* ------------------------------------------------------------------ row groups */

static int64_t open_chunk_bytes(const parquet_writer *w)
{
    int64_t total = 0;
    size_t i;
    for (i = 0; i < w->ncols; i++) total += pq_column_chunk_bytes(&w->cols[i]);
    return total;
}

static int write_row_group(parquet_writer *w, i2i_error *err)
{
    pq_row_group *rg;
    size_t i;

    for (i = 0; i < w->ncols; i++) I2I_TRY(pq_column_finish_chunk(&w->cols[i], &w->z, err));
    if (w->nrgs == w->rgs_cap) {
        size_t cap = w->rgs_cap ? w->rgs_cap * 2 : 8;
        pq_row_group *p = realloc(w->rgs, cap * sizeof *p);
        if (!p) return i2i_error_nomem(err, "row group metadata");
        w->rgs = p;
        w->rgs_cap = cap;
    }
    rg = &w->rgs[w->nrgs];
    memset(rg, 0, sizeof *rg);
    rg->chunks = calloc(w->ncols, sizeof *rg->chunks);
    if (!rg->chunks) return i2i_error_nomem(err, "row group metadata");
    w->nrgs++;
    rg->num_rows = w->rg_rows;
    rg->file_offset = w->pos;

    for (i = 0; i < w->ncols; i++) {
        pq_column *c = &w->cols[i];
        pq_chunk_ref *ref = &rg->chunks[i];
        pq_chunk_info info;
        size_t mark;

        memset(&info, 0, sizeof info);
        info.spec = &c->spec;
        info.codec = w->opts.codec;
        info.num_values = c->chunk_rows;
        info.dictionary_page_offset = -1;
        if (c->dict_page.len) {
            info.dictionary_page_offset = w->pos;
            I2I_TRY(sink_write(w, c->dict_page.data, c->dict_page.len, err));
        }
        info.data_page_offset = w->pos;
        I2I_TRY(sink_write(w, c->chunk.data, c->chunk.len, err));
        info.total_uncompressed = c->dict_unc + c->chunk_unc;
        info.total_compressed = c->dict_comp + c->chunk_comp;
        info.dict_data_pages = c->dict_data_pages;
        info.plain_data_pages = c->plain_data_pages;
        info.stats = &c->chunk_stats;
        info.write_minmax = pq_column_stats_minmax_ok(c);

        ref->meta_off = w->meta.len;
        if (pq_meta_column_meta(&w->meta, &info) != I2I_OK)
            return i2i_error_nomem(err, "column metadata");
        ref->meta_len = w->meta.len - ref->meta_off;
        if (w->opts.write_page_index) {
            size_t ci0 = w->ci.len;
            mark = w->oi.len;
            if (pq_column_page_index(c, info.data_page_offset, &w->ci, &w->oi) != I2I_OK)
                return i2i_error_nomem(err, "page index");
            ref->column_index_offset = (int64_t)ci0; /* relative until close */
            ref->column_index_length = (int32_t)(w->ci.len - ci0);
            ref->offset_index_offset = (int64_t)mark;
            ref->offset_index_length = (int32_t)(w->oi.len - mark);
        }
        rg->total_byte_size += info.total_uncompressed;
        rg->total_compressed_size += info.total_compressed;
        w->written_unc += info.total_uncompressed;
        w->written_comp += info.total_compressed;
        if (pq_column_end_chunk(c) != I2I_OK) return i2i_error_nomem(err, "column statistics");
    }
    w->num_rows += w->rg_rows;
    w->rg_rows = 0;
    return I2I_OK;
}

int parquet_writer_flush_row_group(parquet_writer *w, i2i_error *err)
{
    int rc;
    if (!w) return i2i_error_set(err, I2I_ERR_INVALID, "parquet writer is NULL");
    if (w->failed) return i2i_error_set(err, I2I_ERR_INVALID, "parquet writer failed earlier");
    if (w->rg_rows == 0) return I2I_OK;
    rc = write_row_group(w, err);
    if (rc < 0) w->failed = 1;
    return rc;
}

/* ------------------------------------------------------------------ batches */

static int add_rows(parquet_writer *w, const columnar_batch *batch, size_t offset,
                    const uint32_t *rows, size_t count, i2i_error *err)
{
    size_t i, done = 0;
    int rc;

    if (!w) return i2i_error_set(err, I2I_ERR_INVALID, "parquet writer is NULL");
    if (w->failed) return i2i_error_set(err, I2I_ERR_INVALID, "parquet writer failed earlier");
    if (!batch || batch->ncols != w->ncols)
        return i2i_error_set(err, I2I_ERR_INVALID, "batch has %zu columns but the parquet schema has %zu",
                             batch ? batch->ncols : 0, w->ncols);
    if (count == 0) return I2I_OK;
    if (!rows && (offset > batch->nrows || count > batch->nrows - offset))
        return i2i_error_set(err, I2I_ERR_INVALID, "rows %zu..%zu are outside the batch of %zu rows",
                             offset, offset + count, batch->nrows);
    if (rows) {
        for (i = 0; i < count; i++) {
            if (rows[i] >= batch->nrows)
                return i2i_error_set(err, I2I_ERR_INVALID, "row %u is outside the batch of %zu rows",
                                     rows[i], batch->nrows);
        }
    }
    /* Check every column first, so a rejected batch leaves the writer unchanged. */
    for (i = 0; i < w->ncols; i++)
        I2I_TRY(pq_column_check(&w->cols[i], &batch->cols[i], offset, rows, count, err));

    while (done < count) {
        size_t k = count - done > SLICE_ROWS ? SLICE_ROWS : count - done;
        for (i = 0; i < w->ncols; i++) {
            rc = pq_column_write(&w->cols[i], &w->z, &batch->cols[i], rows ? 0 : offset + done,
                                 rows ? rows + done : NULL, k, err);
            if (rc < 0) goto fail;
        }
        w->rg_rows += (int64_t)k;
        done += k;
        if ((uint64_t)open_chunk_bytes(w) >= (uint64_t)w->opts.row_group_bytes) {
            rc = write_row_group(w, err);
            if (rc < 0) goto fail;
        }
    }
    return I2I_OK;
fail:
    w->failed = 1;
    return rc;
}

int parquet_writer_add_batch_range(parquet_writer *w, const columnar_batch *batch, size_t offset,
                                   size_t count, i2i_error *err)
{
    return add_rows(w, batch, offset, NULL, count, err);
}

int parquet_writer_add_batch(parquet_writer *w, const columnar_batch *batch, i2i_error *err)
{
    return add_rows(w, batch, 0, NULL, batch ? batch->nrows : 0, err);
}

int parquet_writer_add_batch_rows(parquet_writer *w, const columnar_batch *batch, const uint32_t *rows,
                                  size_t nrows, i2i_error *err)
{
    if (nrows && !rows) return i2i_error_set(err, I2I_ERR_INVALID, "row list is NULL");
    return add_rows(w, batch, 0, rows, nrows, err);
}

/* ------------------------------------------------------------------ sizes */

int64_t parquet_writer_rows(const parquet_writer *w) { return w ? w->num_rows + w->rg_rows : 0; }

int64_t parquet_writer_estimated_size(const parquet_writer *w)
{
    int64_t stored = 0, open_unc = 0, est;
    double ratio = 1.0;
    size_t i;
    if (!w) return 0;
    for (i = 0; i < w->ncols; i++) {
        const pq_column *c = &w->cols[i];
        stored += c->chunk_comp;
        open_unc += pq_column_chunk_bytes(c) - c->chunk_unc;
    }
    {
        int64_t unc = w->written_unc, comp = w->written_comp;
        for (i = 0; i < w->ncols; i++) {
            unc += w->cols[i].chunk_unc;
            comp += w->cols[i].chunk_comp;
        }
        if (unc > 0) ratio = (double)comp / (double)unc;
    }
    est = w->pos + stored + (int64_t)((double)open_unc * ratio);
    /* Footer: per chunk metadata and page index, plus the schema. */
    est += (int64_t)w->meta.len + (int64_t)(w->ci.len + w->oi.len) +
           (int64_t)(w->ncols * (w->rg_rows > 0 ? 200 : 0)) + (int64_t)w->ncols * 64 + 256;
    return est;
}

size_t parquet_writer_buffered_bytes(const parquet_writer *w)
{
    size_t total, i;
    if (!w) return 0;
    total = w->staging.len + w->meta.len + w->ci.len + w->oi.len + w->z.out.cap;
    for (i = 0; i < w->ncols; i++) total += pq_column_buffered(&w->cols[i]);
    return total;
}

/* ------------------------------------------------------------------ close */

static int fill_result(parquet_writer *w, parquet_file_result *r, i2i_error *err)
{
    size_t i;
    memset(r, 0, sizeof *r);
    r->num_rows = w->num_rows;
    r->file_size = w->pos;
    r->ncols = w->ncols;
    r->cols = calloc(w->ncols, sizeof *r->cols);
    r->nrow_groups = w->nrgs;
    r->split_offsets = calloc(w->nrgs ? w->nrgs : 1, sizeof *r->split_offsets);
    if (!r->cols || !r->split_offsets) goto nomem;
    for (i = 0; i < w->nrgs; i++) r->split_offsets[i] = w->rgs[i].file_offset;
    for (i = 0; i < w->ncols; i++) {
        const pq_column *c = &w->cols[i];
        parquet_column_result *cr = &r->cols[i];
        cr->field_id = c->spec.field_id;
        cr->value_count = c->file_values;
        cr->null_count = c->file_nulls;
        cr->nan_count = c->file_nans;
        cr->compressed_bytes = c->file_comp;
        cr->has_bounds = c->file_stats.has_minmax;
        /* Bounds buffers are allocated even when empty (an empty-string bound), so callers can
         * always use .data. */
        if (cr->has_bounds &&
            (i2i_buf_reserve(&cr->lower, 16) != I2I_OK || i2i_buf_reserve(&cr->upper, 16) != I2I_OK ||
             pq_stats_encode(&c->file_stats, c->spec.physical, c->spec.type_length, 0, &cr->lower) !=
                 I2I_OK ||
             pq_stats_encode(&c->file_stats, c->spec.physical, c->spec.type_length, 1, &cr->upper) !=
                 I2I_OK))
            goto nomem;
    }
    return I2I_OK;
nomem:
    parquet_file_result_free(r);
    return i2i_error_nomem(err, "building the parquet file result");
}

static int finish_file(parquet_writer *w, i2i_error *err)
{
    pq_file_info f;
    i2i_buf footer = I2I_BUF_INIT;
    uint8_t tail[8];
    size_t i, j;
    int rc;

    if (w->rg_rows > 0) I2I_TRY(write_row_group(w, err));
    if (w->opts.write_page_index && w->nrgs > 0) {
        int64_t ci_base = w->pos, oi_base;
        I2I_TRY(sink_write(w, w->ci.data, w->ci.len, err));
        oi_base = w->pos;
        I2I_TRY(sink_write(w, w->oi.data, w->oi.len, err));
        for (i = 0; i < w->nrgs; i++) {
            for (j = 0; j < w->ncols; j++) {
                pq_chunk_ref *ref = &w->rgs[i].chunks[j];
                ref->column_index_offset += ci_base;
                ref->offset_index_offset += oi_base;
            }
        }
    }
    memset(&f, 0, sizeof f);
    f.ncols = w->ncols;
    f.num_rows = w->num_rows;
    f.rgs = w->rgs;
    f.nrgs = w->nrgs;
    f.meta_bytes = w->meta.data;
    f.kv = w->kv;
    f.nkv = w->opts.nkv;
    f.created_by = w->created_by;
    {
        parquet_column_spec *specs = calloc(w->ncols, sizeof *specs);
        if (!specs) return i2i_error_nomem(err, "parquet footer");
        for (i = 0; i < w->ncols; i++) specs[i] = w->cols[i].spec;
        f.cols = specs;
        rc = pq_meta_file(&footer, &f);
        free(specs);
    }
    if (rc != I2I_OK || footer.len > UINT32_MAX) {
        i2i_buf_free(&footer);
        return i2i_error_set(err, rc == I2I_OK ? I2I_ERR_RANGE : rc, "serialising the parquet footer");
    }
    i2i_store_le32(tail, (uint32_t)footer.len);
    memcpy(tail + 4, "PAR1", 4);
    rc = sink_write(w, footer.data, footer.len, err);
    if (rc == I2I_OK) rc = sink_write(w, tail, 8, err);
    if (rc == I2I_OK) rc = flush_staging(w, err);
    i2i_buf_free(&footer);
    return rc;
}

int parquet_writer_close(parquet_writer *w, parquet_file_result *result, i2i_error *err)
{
    int rc;
    if (result) memset(result, 0, sizeof *result);
    if (!w) return i2i_error_set(err, I2I_ERR_INVALID, "parquet writer is NULL");
    if (w->failed) {
        writer_free(w);
        return i2i_error_set(err, I2I_ERR_INVALID, "parquet writer failed earlier; file not finished");
    }
    rc = finish_file(w, err);
    if (rc == I2I_OK && result) rc = fill_result(w, result, err);
    writer_free(w);
    return rc;
}

void parquet_file_result_free(parquet_file_result *r)
{
    size_t i;
    if (!r) return;
    if (r->cols) {
        for (i = 0; i < r->ncols; i++) {
            i2i_buf_free(&r->cols[i].lower);
            i2i_buf_free(&r->cols[i].upper);
        }
    }
    free(r->cols);
    free(r->split_offsets);
    memset(r, 0, sizeof *r);
}
