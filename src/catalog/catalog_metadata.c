/* Metadata file I/O for every back-end: the FileIO a location needs, reading metadata files
 * (gzip-compressed ones too), writing them, removing unpublished ones, and where they go. */
#include "catalog_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <zlib.h>

#define METADATA_MAX_BYTES ((size_t)1 << 30) /* refuse to inflate a metadata file beyond 1 GiB */

/* ---------------------------------------------------------------- context + FileIO */

void cat_ctx_free(cat_ctx *x)
{
    int i;
    if (!x) return;
    for (i = 0; i < x->nextra; i++) storage_close(x->extra[i]);
    free(x->name);
    free(x->warehouse);
    json_decref(x->props);
    free(x);
}

int cat_storage_for(cat_ctx *x, const char *location, storage **out, i2i_error *err)
{
    const char *want = storage_backend_for(location);
    int i;
    if (want && x->files && strcmp(x->files->ops->name, want) == 0) {
        *out = x->files;
        return I2I_OK;
    }
    for (i = 0; i < x->nextra; i++) {
        if (want && strcmp(x->extra[i]->ops->name, want) == 0) {
            *out = x->extra[i];
            return I2I_OK;
        }
    }
    if (x->nextra == CAT_MAX_EXTRA_STORAGE)
        return i2i_error_set(err, I2I_ERR_UNSUPPORTED, "catalog '%s': too many storage schemes",
                             x->name);
    I2I_TRY(storage_open_for(location, x->props, &x->extra[x->nextra], err));
    storage_set_fault(x->extra[x->nextra], x->fault);
    storage_set_cancel(x->extra[x->nextra], x->cancel);
    *out = x->extra[x->nextra++];
    return I2I_OK;
}

static int gunzip(const i2i_buf *in, i2i_buf *out, i2i_error *err)
{
    z_stream zs;
    int zrc;
    memset(&zs, 0, sizeof zs);
    if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK)
        return i2i_error_set(err, I2I_ERR_NOMEM, "gzip: inflateInit failed");
    zs.next_in = in->data;
    zs.avail_in = (uInt)in->len;
    do {
        if (i2i_buf_reserve(out, 65536) != I2I_OK || out->len > METADATA_MAX_BYTES) {
            inflateEnd(&zs);
            return i2i_error_set(err, I2I_ERR_NOMEM, "gzip: metadata too large");
        }
        zs.next_out = out->data + out->len;
        zs.avail_out = (uInt)(out->cap - out->len - 1);
        zrc = inflate(&zs, Z_NO_FLUSH);
        out->len = (size_t)(zs.next_out - out->data);
        if (zrc != Z_OK && zrc != Z_STREAM_END) {
            inflateEnd(&zs);
            return i2i_error_set(err, I2I_ERR_FORMAT, "gzip: corrupt data (%s)",
                                 zs.msg ? zs.msg : "inflate failed");
        }
        if (zrc == Z_OK && zs.avail_in == 0 && zs.avail_out != 0) {
            inflateEnd(&zs);
            return i2i_error_set(err, I2I_ERR_FORMAT, "gzip: truncated data");
        }
    } while (zrc != Z_STREAM_END);
    inflateEnd(&zs);
    return I2I_OK;
}

int cat_read_metadata(cat_ctx *x, const char *location, json_t **out, i2i_error *err)
{
    storage *s;
    i2i_buf raw = I2I_BUF_INIT, plain = I2I_BUF_INIT;
    const i2i_buf *text = &raw;
    json_error_t jerr;
    json_t *j;
    int rc;

    *out = NULL;
    I2I_TRY(cat_storage_for(x, location, &s, err));
    rc = storage_get(s, location, &raw, err);
    if (rc != I2I_OK) {
        i2i_buf_free(&raw);
        return CAT_WRAP(rc, err, "metadata file '%s'", location);
    }
    if (raw.len >= 2 && raw.data[0] == 0x1f && raw.data[1] == 0x8b) {
        rc = gunzip(&raw, &plain, err);
        if (rc != I2I_OK) {
            i2i_buf_free(&raw);
            i2i_buf_free(&plain);
            return CAT_WRAP(rc, err, "metadata file '%s'", location);
        }
        text = &plain;
    }
    j = json_loadb((const char *)text->data ? (const char *)text->data : "", text->len, 0, &jerr);
    i2i_buf_free(&raw);
    i2i_buf_free(&plain);
    if (!j)
        return i2i_error_set(err, I2I_ERR_FORMAT,
                             "metadata file '%s': invalid JSON at line %d column %d: %s", location,
                             jerr.line, jerr.column, jerr.text);
    if (!json_is_object(j)) {
        json_decref(j);
        return i2i_error_set(err, I2I_ERR_FORMAT, "metadata file '%s': not a JSON object",
                             location);
    }
    *out = j;
    return I2I_OK;
}

int cat_write_metadata(cat_ctx *x, const char *location, const json_t *metadata, int if_absent,
                       i2i_error *err)
{
    storage *s;
    char *text;
    int rc;
    I2I_TRY(cat_storage_for(x, location, &s, err));
    text = json_dumps(metadata, JSON_COMPACT | JSON_REAL_PRECISION(17));
    if (!text) return i2i_error_nomem(err, "serialising table metadata");
    rc = if_absent ? storage_put_if_absent(s, location, text, strlen(text), err)
                   : storage_put(s, location, text, strlen(text), err);
    free(text);
    if (rc != I2I_OK && rc != I2I_ERR_EXISTS)
        i2i_error_wrap(err, "catalog '%s': write metadata file '%s'", x->name, location);
    return rc;
}

void cat_remove_quietly(cat_ctx *x, const char *location)
{
    storage *s;
    i2i_error e;
    if (cat_storage_for(x, location, &s, &e) != I2I_OK || storage_remove(s, location, &e) != I2I_OK)
        I2I_WARN("catalog '%s': could not remove unpublished metadata file '%s': %s", x->name,
                 location, e.msg);
}

int cat_metadata_table_location(const json_t *metadata, char **out, i2i_error *err)
{
    const char *loc = json_string_value(json_object_get(metadata, "location"));
    size_t n;
    *out = NULL;
    if (!loc || !*loc)
        return i2i_error_set(err, I2I_ERR_INVALID, "table metadata has no \"location\"");
    n = strlen(loc);
    while (n > 1 && loc[n - 1] == '/') n--;
    *out = i2i_strndup(loc, n);
    return *out ? I2I_OK : i2i_error_nomem(err, "copying a location");
}

int cat_metadata_dir(const json_t *metadata, char **out, i2i_error *err)
{
    const json_t *props = json_object_get(metadata, "properties");
    const char *p = json_string_value(json_object_get(props, "write.metadata.path"));
    char *loc;
    *out = NULL;
    if (p && *p) {
        size_t n = strlen(p);
        while (n > 1 && p[n - 1] == '/') n--;
        *out = i2i_strndup(p, n);
        return *out ? I2I_OK : i2i_error_nomem(err, "copying a location");
    }
    I2I_TRY(cat_metadata_table_location(metadata, &loc, err));
    *out = cat_join(loc, "metadata");
    free(loc);
    return *out ? I2I_OK : i2i_error_nomem(err, "copying a location");
}

