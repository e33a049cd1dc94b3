/*
 * Generic Avro binary decoder: walks a compiled writer schema and builds jansson values (the
 * mapping is described in avro.h). Every read is bounds-checked against the block; counts and
 * lengths are checked against the bytes left before anything is allocated for them.
 */
#include "avro_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

int avro_decode_fail(avro_decoder *d, int code, const char *fmt, ...)
{
    char msg[768], where[768];
    size_t used = 0;
    int i;
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);

    where[0] = '\0';
    for (i = 0; i < d->depth && used + 2 < sizeof where; i++) {
        const char *part = d->path[i];
        int n = snprintf(where + used, sizeof where - used, "%s%s",
                         (i > 0 && part[0] != '[' && part[0] != '{') ? "." : "", part);
        if (n < 0) break;
        used += (size_t)n;
        if (used >= sizeof where) used = sizeof where - 1;
    }
    if (d->block == 0)
        return i2i_error_set(d->err, code, "avro file '%s': header: %s", d->file, msg);
    if (where[0])
        return i2i_error_set(d->err, code,
                             "avro file '%s': block %lld, record %lld, field '%s': %s", d->file, (long long)d->block, (long long)d->record, where, msg);
    return i2i_error_set(d->err, code, "avro file '%s': block %lld, record %lld: %s", d->file,
                         (long long)d->block, (long long)d->record, msg);
}

int avro_read_long(avro_decoder *d, int64_t *out)
{
    uint64_t v;
    const uint8_t *start = d->p;
    if (i2i_read_uvarint(&d->p, d->end, &v) != I2I_OK) {
        const uint8_t *q;
        d->p = start;
        for (q = start; q < d->end && (*q & 0x80); q++) {}
        if (q == d->end) return avro_decode_fail(d, I2I_ERR_FORMAT, "data ends inside a number");
        return avro_decode_fail(d, I2I_ERR_FORMAT, "number longer than 64 bits");
    }
    *out = i2i_unzigzag64(v);
    return I2I_OK;
}

int avro_read_length(avro_decoder *d, const char *what, size_t *out)
{
    int64_t n;
    I2I_TRY(avro_read_long(d, &n));
    if (n < 0)
        return avro_decode_fail(d, I2I_ERR_FORMAT, "negative %s length %lld", what, (long long)n);
    if ((uint64_t)n > (uint64_t)(d->end - d->p))
        return avro_decode_fail(d, I2I_ERR_FORMAT, "%s of %lld bytes runs past the end of the data "
                                "(%zu bytes left)", what, (long long)n, (size_t)(d->end - d->p));
    *out = (size_t)n;
    return I2I_OK;
}

static int nomem(avro_decoder *d) { return avro_decode_fail(d, I2I_ERR_NOMEM, "out of memory"); }

static int need(avro_decoder *d, size_t n, const char *what)
{
    if ((size_t)(d->end - d->p) < n)
        return avro_decode_fail(d, I2I_ERR_FORMAT, "data ends inside a %s (%zu of %zu bytes left)",
                                what, (size_t)(d->end - d->p), n);
    return I2I_OK;
}

static json_t *hex_value(const uint8_t *p, size_t n)
{
    char small[257];
    char *hex = n * 2 + 1 <= sizeof small ? small : malloc(n * 2 + 1);
    json_t *s, *obj;
    if (!hex) return NULL;
    i2i_hex(p, n, hex);
    s = json_stringn(hex, n * 2);
    if (hex != small) free(hex);
    if (!s) return NULL;
    obj = json_object();
    if (!obj || json_object_set_new(obj, "$bytes", s) != 0) {
        json_decref(obj);
        return NULL;
    }
    return obj;
}

static json_t *real_value(double v)
{
    if (isnan(v)) return json_string("NaN");
    if (isinf(v)) return json_string(v > 0 ? "Infinity" : "-Infinity");
    return json_real(v);
}

static int push(avro_decoder *d, const char *name)
{
    if (d->depth >= AVRO_MAX_DEPTH)
        return avro_decode_fail(d, I2I_ERR_FORMAT, "values nested more than %d levels deep",
                                AVRO_MAX_DEPTH);
    d->path[d->depth++] = name;
    return I2I_OK;
}

/* Next block of an array or map: the item count (0 = end). A negative count is followed by the
 * block's size in bytes (Avro spec "Arrays"). The count is checked against the bytes left. */
static int read_block_count(avro_decoder *d, size_t item_min, const char *what, int64_t *count)
{
    int64_t n, size;
    size_t left;
    I2I_TRY(avro_read_long(d, &n));
    if (n < 0) {
        if (n == INT64_MIN)
            return avro_decode_fail(d, I2I_ERR_FORMAT, "invalid %s block count", what);
        n = -n;
        I2I_TRY(avro_read_long(d, &size));
        if (size < 0 || (uint64_t)size > (uint64_t)(d->end - d->p))
            return avro_decode_fail(d, I2I_ERR_FORMAT, "%s block size %lld does not fit in the "
                                    "%zu bytes left", what, (long long)size,
                                    (size_t)(d->end - d->p));
    }
    left = (size_t)(d->end - d->p);
    if (item_min > 0 ? (uint64_t)n > left / item_min : n > AVRO_MAX_ZERO_SIZE_ITEMS)
        return avro_decode_fail(d, I2I_ERR_FORMAT, "%s block claims %lld items but only %zu bytes "
                                "are left", what, (long long)n, left);
    *count = n;
    return I2I_OK;
}

static int array_item(avro_decoder *d, const avro_node *n, json_t *arr)
{
    json_t *item;
    I2I_TRY(avro_decode_value(d, n->child[0], &item));
    if (json_array_append_new(arr, item) != 0) return nomem(d);
    return I2I_OK;
}

static int map_entry(avro_decoder *d, const avro_node *n, json_t *obj)
{
    size_t klen;
    const char *key;
    json_t *val;
    I2I_TRY(avro_read_length(d, "map key", &klen));
    key = (const char *)d->p;
    d->p += klen;
    I2I_TRY(avro_decode_value(d, n->child[0], &val));
    /* jansson refuses keys that are not UTF-8 (and fails on memory). */
    if (json_object_setn_new(obj, key, klen, val) != 0)
        return avro_decode_fail(d, I2I_ERR_FORMAT, "map key is not valid UTF-8");
    return I2I_OK;
}

/* Arrays and maps share one block encoding (Avro spec "Arrays", "Maps"); only the item differs.
 * Takes ownership of c (NULL = out of memory). key_min is the least bytes an item spends before
 * its value (a map key's length), for the item-count check. */
static int decode_blocks(avro_decoder *d, const avro_node *n, json_t *c, const char *mark,
                         size_t key_min, const char *what,
                         int (*item)(avro_decoder *, const avro_node *, json_t *), json_t **out)
{
    int64_t count = 0, i;
    int rc;
    if (!c) return nomem(d);
    I2I_TRY_GOTO(push(d, mark), rc, fail);
    for (;;) {
        I2I_TRY_GOTO(read_block_count(d, key_min + n->child[0]->min_size, what, &count), rc,
                     fail_pop);
        if (count == 0) break;
        for (i = 0; i < count; i++) I2I_TRY_GOTO(item(d, n, c), rc, fail_pop);
    }
    d->depth--;
    *out = c;
    return I2I_OK;
fail_pop:
    d->depth--;
fail:
    json_decref(c);
    return rc;
}

static int decode_record(avro_decoder *d, const avro_node *n, json_t **out)
{
    json_t *obj = json_object();
    size_t i;
    int rc;
    if (!obj) return nomem(d);
    for (i = 0; i < n->count; i++) {
        json_t *val;
        I2I_TRY_GOTO(push(d, n->label[i]), rc, fail);
        rc = avro_decode_value(d, n->child[i], &val);
        d->depth--;
        if (rc < 0) goto fail;
        if (json_object_set_new(obj, n->label[i], val) != 0) {
            rc = nomem(d);
            goto fail;
        }
    }
    *out = obj;
    return I2I_OK;
fail:
    json_decref(obj);
    return rc;
}

int avro_decode_value(avro_decoder *d, const avro_node *n, json_t **out)
{
    json_t *v = NULL;
    int64_t l;
    size_t len;

    switch (n->kind) {
    case AVRO_NULL: v = json_null(); break;
    case AVRO_BOOLEAN:
        I2I_TRY(need(d, 1, "boolean"));
        if (*d->p > 1)
            return avro_decode_fail(d, I2I_ERR_FORMAT, "boolean byte is %u, not 0 or 1", *d->p);
        v = json_boolean(*d->p++);
        break;
    case AVRO_INT:
        I2I_TRY(avro_read_long(d, &l));
        if (l < INT32_MIN || l > INT32_MAX)
            return avro_decode_fail(d, I2I_ERR_FORMAT, "int value %lld out of range", (long long)l);
        v = json_integer(l);
        break;
    case AVRO_LONG:
        I2I_TRY(avro_read_long(d, &l));
        v = json_integer(l);
        break;
    case AVRO_FLOAT: {
        uint32_t bits;
        float f;
        I2I_TRY(need(d, 4, "float"));
        bits = i2i_load_le32(d->p);
        d->p += 4;
        memcpy(&f, &bits, sizeof f);
        v = real_value((double)f);
        break;
    }
    case AVRO_DOUBLE: {
        uint64_t bits;
        double x;
        I2I_TRY(need(d, 8, "double"));
        bits = i2i_load_le64(d->p);
        d->p += 8;
        memcpy(&x, &bits, sizeof x);
        v = real_value(x);
        break;
    }
    case AVRO_BYTES:
        I2I_TRY(avro_read_length(d, "bytes", &len));
        v = hex_value(d->p, len);
        d->p += len;
        break;
    case AVRO_STRING:
        I2I_TRY(avro_read_length(d, "string", &len));
        v = json_stringn((const char *)d->p, len);
        if (!v) return avro_decode_fail(d, I2I_ERR_FORMAT, "string is not valid UTF-8");
        d->p += len;
        break;
    case AVRO_FIXED:
        I2I_TRY(need(d, n->count, "fixed"));
        v = hex_value(d->p, n->count);
        d->p += n->count;
        break;
    case AVRO_ENUM:
        I2I_TRY(avro_read_long(d, &l));
        if (l < 0 || (uint64_t)l >= n->count)
            return avro_decode_fail(d, I2I_ERR_FORMAT, "enum index %lld out of range (%zu symbols)",
                                    (long long)l, n->count);
        v = json_string(n->label[l]);
        break;
    case AVRO_UNION:
        I2I_TRY(avro_read_long(d, &l));
        if (l < 0 || (uint64_t)l >= n->count)
            return avro_decode_fail(d, I2I_ERR_FORMAT,
                                    "union branch %lld out of range (%zu branches)", (long long)l,
                                    n->count);
        return avro_decode_value(d, n->child[l], out);
    case AVRO_RECORD: return decode_record(d, n, out);
    case AVRO_ARRAY: return decode_blocks(d, n, json_array(), "[]", 0, "array", array_item, out);
    case AVRO_MAP: return decode_blocks(d, n, json_object(), "{}", 1, "map", map_entry, out);
    }
    if (!v) return nomem(d);
    *out = v;
    return I2I_OK;
}

int avro_json_bytes(const json_t *v, i2i_buf *out, i2i_error *err)
{
    const json_t *hex = json_is_object(v) ? json_object_get(v, "$bytes") : NULL;
    const char *s;
    size_t n, i;

    i2i_buf_reset(out);
    if (!json_is_string(hex))
        return i2i_error_set(err, I2I_ERR_INVALID, "expected a {\"$bytes\": hex} value");
    s = json_string_value(hex);
    n = json_string_length(hex);
    if (n % 2) return i2i_error_set(err, I2I_ERR_INVALID, "odd-length hex in a $bytes value");
    if (i2i_buf_reserve(out, n / 2) != I2I_OK) return i2i_error_nomem(err, "decoding $bytes");
    for (i = 0; i < n; i += 2) {
        int hi, lo;
        char c0 = s[i], c1 = s[i + 1];
        hi = c0 >= '0' && c0 <= '9' ? c0 - '0' : c0 >= 'a' && c0 <= 'f' ? c0 - 'a' + 10
             : c0 >= 'A' && c0 <= 'F' ? c0 - 'A' + 10 : -1;
        lo = c1 >= '0' && c1 <= '9' ? c1 - '0' : c1 >= 'a' && c1 <= 'f' ? c1 - 'a' + 10
             : c1 >= 'A' && c1 <= 'F' ? c1 - 'A' + 10 : -1;
        if (hi < 0 || lo < 0) {
            i2i_buf_reset(out);
            return i2i_error_set(err, I2I_ERR_INVALID, "invalid hex digit in a $bytes value");
        }
        i2i_buf_put_u8_unchecked(out, (uint8_t)(hi << 4 | lo));
    }
    return I2I_OK;
}
