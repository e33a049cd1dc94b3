/*
 * Object container writer (Avro 1.11 spec "Object Container Files"): header (magic, metadata map
 * with the schema verbatim and the codec, 16-byte random sync marker), then blocks of
 * count + byte size + data + sync. The whole file is built in memory.
 *
 * Records are encoded straight into the pending block buffer, so writing a record allocates
 * nothing once the buffers have grown to their working size.
 */
#include "avro_internal.h"

#include <stdlib.h>

#define BLOCK_BYTES (64 * 1024)
#define BLOCK_RECORDS 4096

struct avro_writer {
    avro_codec codec;
    i2i_buf out;          /* header and finished blocks */
    i2i_buf block;        /* encoded records of the pending block */
    size_t committed;     /* block bytes that belong to ended records */
    int64_t block_records;
    int64_t total;
    uint8_t sync[AVRO_SYNC_LEN];
    i2i_buf zbuf;         /* compressed block, reused */
    void *z;              /* deflate stream, reused */
};

static int put_meta(i2i_buf *b, const char *key, const char *value, size_t vlen)
{
    I2I_TRY(avro_put_string(b, key));
    return avro_put_bytes(b, value, vlen);
}

int avro_writer_open(const char *schema_json, const avro_meta *meta, size_t nmeta, avro_codec codec,
                     avro_writer **out, i2i_error *err)
{
    avro_writer *w;
    json_t *parsed;
    json_error_t jerr;
    avro_schema compiled;
    const char *codec_name;
    size_t i, j;
    int rc;

    *out = NULL;
    if (!schema_json) return i2i_error_set(err, I2I_ERR_INVALID, "avro writer: no schema");
    if (codec == AVRO_CODEC_NULL) codec_name = "null";
    else if (codec == AVRO_CODEC_DEFLATE) codec_name = "deflate";
    else return i2i_error_set(err, I2I_ERR_INVALID, "avro writer: unknown codec %d", (int)codec);
    for (i = 0; i < nmeta; i++) {
        if (!meta[i].key || !meta[i].value || !meta[i].key[0])
            return i2i_error_set(err, I2I_ERR_INVALID, "avro writer: metadata entry %zu has no "
                                 "key or value", i + 1);
        if (strncmp(meta[i].key, "avro.", 5) == 0)
            return i2i_error_set(err, I2I_ERR_INVALID, "avro writer: metadata key '%s' is reserved "
                                 "(avro.* keys are written by the writer)", meta[i].key);
        for (j = 0; j < i; j++)
            if (strcmp(meta[i].key, meta[j].key) == 0)
                return i2i_error_set(err, I2I_ERR_INVALID, "avro writer: metadata key '%s' given "
                                     "twice", meta[i].key);
    }

    /* The schema is stored verbatim, but it must be one we (and every other reader) can use. */
    parsed = json_loads(schema_json, JSON_DECODE_ANY, &jerr);
    if (!parsed)
        return i2i_error_set(err, I2I_ERR_INVALID, "avro writer: schema is not valid JSON: %s "
                             "(line %d, column %d)", jerr.text, jerr.line, jerr.column);
    rc = avro_schema_compile(parsed, "avro writer", &compiled, err);
    json_decref(parsed);
    if (rc < 0) return rc;
    avro_schema_free(&compiled);

    w = calloc(1, sizeof *w);
    if (!w) return i2i_error_nomem(err, "creating an avro writer");
    w->codec = codec;
    I2I_TRY_GOTO(i2i_random_bytes(w->sync, sizeof w->sync, err), rc, fail);
    if (codec == AVRO_CODEC_DEFLATE) I2I_TRY_GOTO(avro_deflate_init(&w->z, err), rc, fail);

    rc = i2i_buf_append(&w->out, AVRO_MAGIC, AVRO_MAGIC_LEN);
    if (rc == I2I_OK) rc = avro_put_long(&w->out, (int64_t)nmeta + 2);
    if (rc == I2I_OK) rc = put_meta(&w->out, "avro.schema", schema_json, strlen(schema_json));
    if (rc == I2I_OK) rc = put_meta(&w->out, "avro.codec", codec_name, strlen(codec_name));
    for (i = 0; rc == I2I_OK && i < nmeta; i++)
        rc = put_meta(&w->out, meta[i].key, meta[i].value, strlen(meta[i].value));
    if (rc == I2I_OK) rc = avro_put_long(&w->out, 0);
    if (rc == I2I_OK) rc = i2i_buf_append(&w->out, w->sync, sizeof w->sync);
    if (rc == I2I_OK) rc = i2i_buf_reserve(&w->block, BLOCK_BYTES + 4096);
    if (rc != I2I_OK) {
        rc = i2i_error_nomem(err, "writing an avro header");
        goto fail;
    }
    *out = w;
    return I2I_OK;
fail:
    avro_writer_free(w);
    return rc;
}

i2i_buf *avro_writer_record(avro_writer *w)
{
    /* Drop whatever a previous, unfinished record left behind. */
    w->block.len = w->committed;
    return &w->block;
}

static int flush_block(avro_writer *w, i2i_error *err)
{
    size_t start = w->out.len;
    const uint8_t *payload = w->block.data;
    size_t size = w->committed;
    int rc;

    if (w->block_records == 0) return I2I_OK;
    if (w->codec == AVRO_CODEC_DEFLATE) {
        i2i_buf_reset(&w->zbuf);
        I2I_TRY(avro_deflate_block(w->z, payload, size, &w->zbuf, err));
        payload = w->zbuf.data;
        size = w->zbuf.len;
    }
    rc = avro_put_long(&w->out, w->block_records);
    if (rc == I2I_OK) rc = avro_put_long(&w->out, (int64_t)size);
    if (rc == I2I_OK) rc = i2i_buf_append(&w->out, payload, size);
    if (rc == I2I_OK) rc = i2i_buf_append(&w->out, w->sync, sizeof w->sync);
    if (rc != I2I_OK) {
        w->out.len = start;
        return i2i_error_nomem(err, "writing an avro block");
    }
    /* Keep the bytes of a record begun but not ended (none in normal use). */
    memmove(w->block.data, w->block.data + w->committed, w->block.len - w->committed);
    w->block.len -= w->committed;
    w->committed = 0;
    w->block_records = 0;
    return I2I_OK;
}

int avro_writer_end_record(avro_writer *w, i2i_error *err)
{
    w->committed = w->block.len;
    w->block_records++;
    w->total++;
    if (w->committed >= BLOCK_BYTES || w->block_records >= BLOCK_RECORDS)
        return flush_block(w, err);
    return I2I_OK;
}

int64_t avro_writer_count(const avro_writer *w) { return w->total; }

int avro_writer_finish(avro_writer *w, uint8_t **data, size_t *len, i2i_error *err)
{
    int rc;
    *data = NULL;
    *len = 0;
    w->block.len = w->committed; /* an unfinished record is not part of the file */
    rc = flush_block(w, err);
    if (rc < 0) {
        avro_writer_free(w);
        return rc;
    }
    *data = i2i_buf_detach(&w->out, len);
    avro_writer_free(w);
    return I2I_OK;
}

void avro_writer_free(avro_writer *w)
{
    if (!w) return;
    i2i_buf_free(&w->out);
    i2i_buf_free(&w->block);
    i2i_buf_free(&w->zbuf);
    avro_deflate_free(w->z);
    free(w);
}
