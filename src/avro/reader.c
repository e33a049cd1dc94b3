/*
 * Object container reader: parses the header of an in-memory file, then hands out records one at
 * a time, decoding each with the file's own writer schema (decode.c). Blocks are checked as they
 * are reached: declared size against the bytes left, the sync marker against the header's, and
 * that the records use exactly the block's bytes.
 */
#include "avro_internal.h"

#include <stdio.h>
#include <stdlib.h>

struct avro_reader {
    const uint8_t *data, *end;
    const uint8_t *next_block;  /* where the next block starts */
    char *name;
    i2i_arena arena;            /* metadata copies */
    size_t nmeta;
    const char **keys, **values;
    const char *schema_text;
    json_t *schema_json;
    avro_schema schema;
    avro_codec codec;
    uint8_t sync[AVRO_SYNC_LEN];
    avro_decoder dec;           /* positioned inside the current block's (decoded) data */
    int64_t block;              /* blocks started so far */
    int64_t left;               /* records left in the current block */
    i2i_buf inflated;
    void *z;
    int failed;                 /* sticky: the error repeats on every later call */
    i2i_error failure;
};

static int fail(avro_reader *r, i2i_error *err, int code, const char *fmt, ...) I2I_PRINTF(4, 5);
static int fail(avro_reader *r, i2i_error *err, int code, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return i2i_error_set(err, code, "avro file '%s': %s", r->name, msg);
}

static int parse_header(avro_reader *r, i2i_error *err)
{
    avro_decoder *d = &r->dec;
    size_t cap = 0;
    const char *codec = NULL;
    json_error_t jerr;
    char what[600];
    size_t i;

    memset(d, 0, sizeof *d);
    d->p = r->data;
    d->end = r->end;
    d->file = r->name;
    d->err = err;
    if ((size_t)(r->end - r->data) < AVRO_MAGIC_LEN)
        return fail(r, err, I2I_ERR_FORMAT,
                    "not an Avro object container file (only %zu bytes)",
                    (size_t)(r->end - r->data));
    if (memcmp(r->data, AVRO_MAGIC, AVRO_MAGIC_LEN) != 0) {
        return fail(r, err, I2I_ERR_FORMAT, "not an Avro object container file (magic is "
                    "%02x %02x %02x %02x, expected 4f 62 6a 01)",
                    r->data[0], r->data[1], r->data[2], r->data[3]);
    }
    d->p += AVRO_MAGIC_LEN;

    /* Metadata: a map<bytes>, possibly in several blocks, possibly with negative counts. */
    for (;;) {
        int64_t count, j;
        I2I_TRY(avro_read_long(d, &count));
        if (count == 0) break;
        if (count < 0) {
            int64_t size;
            if (count == INT64_MIN)
                return avro_decode_fail(d, I2I_ERR_FORMAT, "bad metadata count");
            count = -count;
            I2I_TRY(avro_read_long(d, &size));
            if (size < 0 || (uint64_t)size > (uint64_t)(d->end - d->p))
                return avro_decode_fail(d, I2I_ERR_FORMAT, "metadata block size %lld runs past the "
                                        "end of the file", (long long)size);
        }
        /* Each entry takes at least 2 bytes (two lengths). */
        if ((uint64_t)count > (uint64_t)(d->end - d->p) / 2)
            return avro_decode_fail(d, I2I_ERR_FORMAT, "metadata claims %lld entries in %zu bytes",
                                    (long long)count, (size_t)(d->end - d->p));
        for (j = 0; j < count; j++) {
            size_t kl, vl;
            const uint8_t *k;
            if (r->nmeta == cap) {
                size_t nc = cap ? cap * 2 : 16;
                const char **nk = realloc(r->keys, nc * sizeof *nk);
                if (!nk) return i2i_error_nomem(err, "reading an avro header");
                r->keys = nk;
                nk = realloc(r->values, nc * sizeof *nk);
                if (!nk) return i2i_error_nomem(err, "reading an avro header");
                r->values = nk;
                cap = nc;
            }
            I2I_TRY(avro_read_length(d, "metadata key", &kl));
            k = d->p;
            d->p += kl;
            I2I_TRY(avro_read_length(d, "metadata value", &vl));
            r->keys[r->nmeta] = i2i_arena_strndup(&r->arena, (const char *)k, kl);
            r->values[r->nmeta] = i2i_arena_strndup(&r->arena, (const char *)d->p, vl);
            if (!r->keys[r->nmeta] || !r->values[r->nmeta])
                return i2i_error_nomem(err, "reading an avro header");
            r->nmeta++;
            d->p += vl;
        }
    }
    if ((size_t)(d->end - d->p) < AVRO_SYNC_LEN)
        return fail(r, err, I2I_ERR_FORMAT, "header truncated (no sync marker)");
    memcpy(r->sync, d->p, AVRO_SYNC_LEN);
    d->p += AVRO_SYNC_LEN;
    r->next_block = d->p;

    for (i = 0; i < r->nmeta; i++) {
        if (strcmp(r->keys[i], "avro.schema") == 0) r->schema_text = r->values[i];
        if (strcmp(r->keys[i], "avro.codec") == 0) codec = r->values[i];
    }
    if (!codec || strcmp(codec, "null") == 0 || codec[0] == '\0') {
        r->codec = AVRO_CODEC_NULL;
    } else if (strcmp(codec, "deflate") == 0) {
        r->codec = AVRO_CODEC_DEFLATE;
    } else {
        return fail(r, err, I2I_ERR_UNSUPPORTED, "codec '%s' is not supported (only null and "
                    "deflate)", codec);
    }
    if (!r->schema_text) return fail(r, err, I2I_ERR_FORMAT, "header has no avro.schema");
    r->schema_json = json_loads(r->schema_text, JSON_DECODE_ANY, &jerr);
    if (!r->schema_json)
        return fail(r, err, I2I_ERR_FORMAT,
                    "avro.schema is not valid JSON: %s (line %d, column %d)", jerr.text, jerr.line, jerr.column);
    snprintf(what, sizeof what, "avro file '%s'", r->name);
    return avro_schema_compile(r->schema_json, what, &r->schema, err);
}

int avro_reader_open(const uint8_t *data, size_t len, const char *name, avro_reader **out,
                     i2i_error *err)
{
    avro_reader *r;
    int rc;

    *out = NULL;
    r = calloc(1, sizeof *r);
    if (!r) return i2i_error_nomem(err, "creating an avro reader");
    i2i_arena_init(&r->arena, 4096);
    r->name = i2i_strdup(name ? name : "(unnamed)");
    if (!r->name) {
        avro_reader_free(r);
        return i2i_error_nomem(err, "creating an avro reader");
    }
    if (!data) {
        static const uint8_t none[1];
        data = none;
        len = 0;
    }
    r->data = data;
    r->end = data + len;
    rc = parse_header(r, err);
    if (rc < 0) {
        avro_reader_free(r);
        return rc;
    }
    *out = r;
    return I2I_OK;
}

const json_t *avro_reader_schema(const avro_reader *r) { return r->schema_json; }
const char *avro_reader_schema_text(const avro_reader *r) { return r->schema_text; }

const char *avro_reader_meta(const avro_reader *r, const char *key)
{
    size_t i;
    for (i = r->nmeta; i > 0; i--) /* a repeated key: the last one wins, as in any Avro map */
        if (strcmp(r->keys[i - 1], key) == 0) return r->values[i - 1];
    return NULL;
}

/* Move to the next block; 1 when there is one, 0 at the end of the file. */
static int next_block(avro_reader *r, i2i_error *err)
{
    avro_decoder *d = &r->dec;
    int64_t count, size;
    const uint8_t *payload;
    size_t left;

    if (r->block > 0 && d->p != d->end)
        return fail(r, err, I2I_ERR_FORMAT, "block %lld has %zu bytes after its last record "
                    "(corrupt block or wrong schema)", (long long)r->block,
                    (size_t)(d->end - d->p));
    if (r->next_block == r->end) return 0;

    r->block++;
    d->block = r->block;
    d->record = 0;
    d->depth = 0;
    d->err = err;
    d->p = r->next_block;
    d->end = r->end;
    if (avro_read_long(d, &count) < 0 || avro_read_long(d, &size) < 0)
        return fail(r, err, I2I_ERR_FORMAT, "block %lld truncated (incomplete block header at byte "
                    "%zu)", (long long)r->block, (size_t)(r->next_block - r->data));
    if (count < 0 || size < 0)
        return fail(r, err, I2I_ERR_FORMAT, "block %lld has a negative %s (%lld)",
                    (long long)r->block, count < 0 ? "object count" : "size",
                    (long long)(count < 0 ? count : size));
    left = (size_t)(r->end - d->p);
    if ((uint64_t)size > left)
        return fail(r, err, I2I_ERR_FORMAT, "block %lld truncated: it declares %lld bytes but only "
                    "%zu are left", (long long)r->block, (long long)size, left);
    payload = d->p;
    if (left - (size_t)size < AVRO_SYNC_LEN)
        return fail(r, err, I2I_ERR_FORMAT, "block %lld truncated: its sync marker is missing",
                    (long long)r->block);
    if (memcmp(payload + size, r->sync, AVRO_SYNC_LEN) != 0)
        return fail(r, err, I2I_ERR_FORMAT, "block %lld: sync marker does not match the header's "
                    "(corrupt or misaligned block)", (long long)r->block);
    r->next_block = payload + size + AVRO_SYNC_LEN;

    if (r->codec == AVRO_CODEC_DEFLATE) {
        I2I_TRY(avro_inflate_block(&r->z, payload, (size_t)size, &r->inflated, r->name, r->block,
                                   err));
        d->p = r->inflated.data ? r->inflated.data : payload;
        d->end = d->p + r->inflated.len;
    } else {
        d->p = payload;
        d->end = payload + size;
    }
    r->left = count;
    return 1;
}

int avro_reader_next(avro_reader *r, json_t **record, i2i_error *err)
{
    int rc;

    *record = NULL;
    if (r->failed) {
        if (err) *err = r->failure;
        return r->failure.code;
    }
    while (r->left == 0) {
        rc = next_block(r, err ? err : &r->failure);
        if (rc < 0) goto failed;
        if (rc == 0) return 0;
    }
    r->dec.record++;
    r->dec.depth = 0;
    r->dec.err = err ? err : &r->failure;
    rc = avro_decode_value(&r->dec, r->schema.root, record);
    if (rc < 0) goto failed;
    r->left--;
    return 1;
failed:
    r->failed = 1;
    if (err) r->failure = *err;
    r->failure.code = rc;
    return rc;
}

void avro_reader_free(avro_reader *r)
{
    if (!r) return;
    json_decref(r->schema_json);
    avro_schema_free(&r->schema);
    i2i_arena_free(&r->arena);
    free(r->keys);
    free(r->values);
    free(r->name);
    i2i_buf_free(&r->inflated);
    avro_inflate_free(r->z);
    free(r);
}
