/* Thrift serialisation of page headers, schema, column/row-group/file metadata and page index. */
#include "metadata.h"

int pq_meta_data_page_header(i2i_buf *out, int32_t uncompressed, int32_t compressed,
                             int32_t num_values, int32_t encoding)
{
    pq_thrift t;
    pq_thrift_init(&t, out);
    pq_thrift_struct_begin(&t);
    pq_thrift_field_i32(&t, 1, PQ_PAGE_DATA);
    pq_thrift_field_i32(&t, 2, uncompressed);
    pq_thrift_field_i32(&t, 3, compressed);
    pq_thrift_field_struct(&t, 5); /* DataPageHeader */
    pq_thrift_field_i32(&t, 1, num_values);
    pq_thrift_field_i32(&t, 2, encoding);
    pq_thrift_field_i32(&t, 3, PQ_ENC_RLE); /* definition_level_encoding */
    pq_thrift_field_i32(&t, 4, PQ_ENC_RLE); /* repetition_level_encoding */
    pq_thrift_struct_end(&t);
    pq_thrift_struct_end(&t);
    return pq_thrift_status(&t);
}

int pq_meta_dict_page_header(i2i_buf *out, int32_t uncompressed, int32_t compressed,
                             int32_t num_entries)
{
    pq_thrift t;
    pq_thrift_init(&t, out);
    pq_thrift_struct_begin(&t);
    pq_thrift_field_i32(&t, 1, PQ_PAGE_DICTIONARY);
    pq_thrift_field_i32(&t, 2, uncompressed);
    pq_thrift_field_i32(&t, 3, compressed);
    pq_thrift_field_struct(&t, 7); /* DictionaryPageHeader */
    pq_thrift_field_i32(&t, 1, num_entries);
    pq_thrift_field_i32(&t, 2, PQ_ENC_PLAIN);
    pq_thrift_struct_end(&t);
    pq_thrift_struct_end(&t);
    return pq_thrift_status(&t);
}

void pq_meta_schema_root(pq_thrift *t, size_t nchildren)
{
    pq_thrift_struct_begin(t);
    pq_thrift_field_string(t, 4, "schema");
    pq_thrift_field_i32(t, 5, (int32_t)nchildren);
    pq_thrift_struct_end(t);
}

void pq_meta_schema_leaf(pq_thrift *t, const parquet_column_spec *c)
{
    int is_ts = c->logical == PARQUET_LOGICAL_TIMESTAMP_MICROS ||
                c->logical == PARQUET_LOGICAL_TIMESTAMP_NANOS;
    pq_thrift_struct_begin(t);
    pq_thrift_field_i32(t, 1, (int32_t)c->physical);
    if (c->physical == PARQUET_FIXED_LEN_BYTE_ARRAY) pq_thrift_field_i32(t, 2, c->type_length);
    pq_thrift_field_i32(t, 3, c->optional ? PQ_OPTIONAL : PQ_REQUIRED);
    pq_thrift_field_string(t, 4, c->name);
    /* Legacy converted_type next to each logical type (none exists for NANOS). */
    if (c->logical == PARQUET_LOGICAL_STRING) pq_thrift_field_i32(t, 6, PQ_CONVERTED_UTF8);
    if (c->logical == PARQUET_LOGICAL_TIMESTAMP_MICROS)
        pq_thrift_field_i32(t, 6, PQ_CONVERTED_TIMESTAMP_MICROS);
    if (c->logical == PARQUET_LOGICAL_DECIMAL) {
        pq_thrift_field_i32(t, 6, PQ_CONVERTED_DECIMAL);
        pq_thrift_field_i32(t, 7, c->scale);
        pq_thrift_field_i32(t, 8, c->precision);
    }
    pq_thrift_field_i32(t, 9, c->field_id);
    if (c->logical != PARQUET_LOGICAL_NONE) {
        pq_thrift_field_struct(t, 10); /* LogicalType union */
        if (c->logical == PARQUET_LOGICAL_STRING) {
            pq_thrift_field_empty_struct(t, 1);
        } else if (is_ts) {
            pq_thrift_field_struct(t, 8); /* TimestampType */
            pq_thrift_field_bool(t, 1, c->adjusted_to_utc);
            pq_thrift_field_struct(t, 2); /* TimeUnit union */
            pq_thrift_field_empty_struct(t, c->logical == PARQUET_LOGICAL_TIMESTAMP_MICROS ? 2 : 3);
            pq_thrift_struct_end(t);
            pq_thrift_struct_end(t);
        } else if (c->logical == PARQUET_LOGICAL_DECIMAL) {
            pq_thrift_field_struct(t, 5); /* DecimalType */
            pq_thrift_field_i32(t, 1, c->scale);
            pq_thrift_field_i32(t, 2, c->precision);
            pq_thrift_struct_end(t);
        }
        pq_thrift_struct_end(t);
    }
    pq_thrift_struct_end(t);
}

static int signed_order_physical(parquet_physical p)
{
    return p == PARQUET_INT32 || p == PARQUET_INT64 || p == PARQUET_DOUBLE;
}

static void write_statistics(pq_thrift *t, const pq_chunk_info *in, i2i_buf *scratch)
{
    const pq_stats *s = in->stats;
    parquet_physical ph = in->spec->physical;
    int32_t tl = in->spec->type_length;
    size_t split;

    pq_thrift_field_struct(t, 12);
    if (in->write_minmax && s->has_minmax) {
        i2i_buf_reset(scratch);
        if (pq_stats_encode(s, ph, tl, 1, scratch) != I2I_OK ||
            (split = scratch->len, pq_stats_encode(s, ph, tl, 0, scratch) != I2I_OK)) {
            t->status = I2I_ERR_NOMEM;
            return;
        }
        /* Deprecated signed min/max only for signed-order types (never for byte arrays). */
        if (signed_order_physical(ph)) {
            pq_thrift_field_binary(t, 1, scratch->data, split);
            pq_thrift_field_binary(t, 2, scratch->data + split, scratch->len - split);
        }
        pq_thrift_field_i64(t, 3, s->null_count);
        pq_thrift_field_binary(t, 5, scratch->data, split);
        pq_thrift_field_binary(t, 6, scratch->data + split, scratch->len - split);
        pq_thrift_field_bool(t, 7, 1);
        pq_thrift_field_bool(t, 8, 1);
    } else {
        pq_thrift_field_i64(t, 3, s->null_count);
    }
    if (ph == PARQUET_DOUBLE) pq_thrift_field_i64(t, 9, s->nan_count);
    pq_thrift_struct_end(t);
}

static void write_encoding_stats(pq_thrift *t, int32_t page_type, int32_t encoding, int32_t count)
{
    pq_thrift_struct_begin(t);
    pq_thrift_field_i32(t, 1, page_type);
    pq_thrift_field_i32(t, 2, encoding);
    pq_thrift_field_i32(t, 3, count);
    pq_thrift_struct_end(t);
}

int pq_meta_column_meta(i2i_buf *out, const pq_chunk_info *in)
{
    pq_thrift t;
    i2i_buf scratch = I2I_BUF_INIT;
    int has_dict = in->dictionary_page_offset >= 0;
    int plain = has_dict || in->plain_data_pages > 0 || in->dict_data_pages == 0;
    uint32_t nenc = (uint32_t)plain + 1 + (in->dict_data_pages > 0);
    uint32_t nstats = (uint32_t)has_dict + (in->dict_data_pages > 0) + (in->plain_data_pages > 0);
    int rc;

    pq_thrift_init(&t, out);
    pq_thrift_struct_begin(&t);
    pq_thrift_field_i32(&t, 1, (int32_t)in->spec->physical);
    /* encodings: PLAIN (dictionary page or plain data), RLE (levels), RLE_DICTIONARY. */
    pq_thrift_field_list(&t, 2, PQ_T_I32, nenc);
    if (plain) pq_thrift_elem_i32(&t, PQ_ENC_PLAIN);
    pq_thrift_elem_i32(&t, PQ_ENC_RLE);
    if (in->dict_data_pages > 0) pq_thrift_elem_i32(&t, PQ_ENC_RLE_DICTIONARY);
    pq_thrift_field_list(&t, 3, PQ_T_BINARY, 1);
    pq_thrift_elem_string(&t, in->spec->name);
    pq_thrift_field_i32(&t, 4, (int32_t)in->codec);
    pq_thrift_field_i64(&t, 5, in->num_values);
    pq_thrift_field_i64(&t, 6, in->total_uncompressed);
    pq_thrift_field_i64(&t, 7, in->total_compressed);
    pq_thrift_field_i64(&t, 9, in->data_page_offset);
    if (has_dict) pq_thrift_field_i64(&t, 11, in->dictionary_page_offset);
    write_statistics(&t, in, &scratch);
    pq_thrift_field_list(&t, 13, PQ_T_STRUCT, nstats);
    if (has_dict) write_encoding_stats(&t, PQ_PAGE_DICTIONARY, PQ_ENC_PLAIN, 1);
    if (in->dict_data_pages > 0)
        write_encoding_stats(&t, PQ_PAGE_DATA, PQ_ENC_RLE_DICTIONARY, in->dict_data_pages);
    if (in->plain_data_pages > 0)
        write_encoding_stats(&t, PQ_PAGE_DATA, PQ_ENC_PLAIN, in->plain_data_pages);
    pq_thrift_struct_end(&t);
    rc = pq_thrift_status(&t);
    i2i_buf_free(&scratch);
    return rc;
}

int pq_meta_offset_index(i2i_buf *out, const pq_page_entry *pages, size_t n)
{
    pq_thrift t;
    size_t i;
    pq_thrift_init(&t, out);
    pq_thrift_struct_begin(&t);
    pq_thrift_field_list(&t, 1, PQ_T_STRUCT, (uint32_t)n);
    for (i = 0; i < n; i++) {
        pq_thrift_struct_begin(&t);
        pq_thrift_field_i64(&t, 1, pages[i].offset);
        pq_thrift_field_i32(&t, 2, pages[i].size);
        pq_thrift_field_i64(&t, 3, pages[i].first_row);
        pq_thrift_struct_end(&t);
    }
    pq_thrift_struct_end(&t);
    return pq_thrift_status(&t);
}

int pq_meta_column_index(i2i_buf *out, const pq_page_entry *pages, size_t n, const uint8_t *bytes,
                         int32_t boundary_order)
{
    pq_thrift t;
    size_t i;
    pq_thrift_init(&t, out);
    pq_thrift_struct_begin(&t);
    pq_thrift_field_list(&t, 1, PQ_T_BOOL_TRUE, (uint32_t)n);
    for (i = 0; i < n; i++) pq_thrift_elem_bool(&t, pages[i].null_page);
    pq_thrift_field_list(&t, 2, PQ_T_BINARY, (uint32_t)n);
    for (i = 0; i < n; i++) pq_thrift_elem_binary(&t, bytes + pages[i].min_off, pages[i].min_len);
    pq_thrift_field_list(&t, 3, PQ_T_BINARY, (uint32_t)n);
    for (i = 0; i < n; i++) pq_thrift_elem_binary(&t, bytes + pages[i].max_off, pages[i].max_len);
    pq_thrift_field_i32(&t, 4, boundary_order);
    pq_thrift_field_list(&t, 5, PQ_T_I64, (uint32_t)n);
    for (i = 0; i < n; i++) pq_thrift_elem_i64(&t, pages[i].null_count);
    pq_thrift_struct_end(&t);
    return pq_thrift_status(&t);
}

int pq_meta_file(i2i_buf *out, const pq_file_info *f)
{
    pq_thrift t;
    size_t i, j;

    pq_thrift_init(&t, out);
    pq_thrift_struct_begin(&t);
    pq_thrift_field_i32(&t, 1, 1); /* version */
    pq_thrift_field_list(&t, 2, PQ_T_STRUCT, (uint32_t)(f->ncols + 1));
    pq_meta_schema_root(&t, f->ncols);
    for (i = 0; i < f->ncols; i++) pq_meta_schema_leaf(&t, &f->cols[i]);
    pq_thrift_field_i64(&t, 3, f->num_rows);
    pq_thrift_field_list(&t, 4, PQ_T_STRUCT, (uint32_t)f->nrgs);
    for (i = 0; i < f->nrgs; i++) {
        const pq_row_group *rg = &f->rgs[i];
        pq_thrift_struct_begin(&t);
        pq_thrift_field_list(&t, 1, PQ_T_STRUCT, (uint32_t)f->ncols);
        for (j = 0; j < f->ncols; j++) {
            const pq_chunk_ref *c = &rg->chunks[j];
            pq_thrift_struct_begin(&t);
            pq_thrift_field_i64(&t, 2, 0); /* file_offset: deprecated, required, 0 */
            pq_thrift_field_struct_raw(&t, 3, f->meta_bytes + c->meta_off, c->meta_len);
            if (c->offset_index_length > 0) {
                pq_thrift_field_i64(&t, 4, c->offset_index_offset);
                pq_thrift_field_i32(&t, 5, c->offset_index_length);
            }
            if (c->column_index_length > 0) {
                pq_thrift_field_i64(&t, 6, c->column_index_offset);
                pq_thrift_field_i32(&t, 7, c->column_index_length);
            }
            pq_thrift_struct_end(&t);
        }
        pq_thrift_field_i64(&t, 2, rg->total_byte_size);
        pq_thrift_field_i64(&t, 3, rg->num_rows);
        pq_thrift_field_i64(&t, 5, rg->file_offset);
        pq_thrift_field_i64(&t, 6, rg->total_compressed_size);
        if (i <= INT16_MAX) pq_thrift_field_i16(&t, 7, (int16_t)i); /* ordinal is an i16 */
        pq_thrift_struct_end(&t);
    }
    if (f->nkv > 0) {
        pq_thrift_field_list(&t, 5, PQ_T_STRUCT, (uint32_t)f->nkv);
        for (i = 0; i < f->nkv; i++) {
            pq_thrift_struct_begin(&t);
            pq_thrift_field_string(&t, 1, f->kv[i].key);
            if (f->kv[i].value) pq_thrift_field_string(&t, 2, f->kv[i].value);
            pq_thrift_struct_end(&t);
        }
    }
    pq_thrift_field_string(&t, 6, f->created_by);
    pq_thrift_field_list(&t, 7, PQ_T_STRUCT, (uint32_t)f->ncols);
    for (i = 0; i < f->ncols; i++) {
        pq_thrift_struct_begin(&t);
        pq_thrift_field_empty_struct(&t, 1); /* TYPE_ORDER */
        pq_thrift_struct_end(&t);
    }
    pq_thrift_struct_end(&t);
    return pq_thrift_status(&t);
}
