/* Manifest metrics: single-value binary serialisation (spec Appendix D), string truncation and
 * metrics modes (write.metadata.metrics.*). */
#include "internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

void ice_bound_int(int32_t v, uint8_t out[4]) { i2i_store_le32(out, (uint32_t)v); }
void ice_bound_long(int64_t v, uint8_t out[8]) { i2i_store_le64(out, (uint64_t)v); }
void ice_bound_double(double v, uint8_t out[8])
{
    uint64_t u;
    memcpy(&u, &v, 8);
    i2i_store_le64(out, u);
}

int ice_metrics_mode_parse(const char *s, ice_metrics_mode *out, i2i_error *err)
{
    out->length = 0;
    if (strcmp(s, "none") == 0) out->kind = ICE_METRICS_NONE;
    else if (strcmp(s, "counts") == 0) out->kind = ICE_METRICS_COUNTS;
    else if (strcmp(s, "full") == 0) out->kind = ICE_METRICS_FULL;
    else if (strncmp(s, "truncate(", 9) == 0) {
        char *end;
        long n = strtol(s + 9, &end, 10);
        if (end == s + 9 || strcmp(end, ")") != 0 || n <= 0 || n > 1000000)
            return i2i_error_set(err, I2I_ERR_INVALID, "bad metrics mode '%s'", s);
        out->kind = ICE_METRICS_TRUNCATE;
        out->length = (int32_t)n;
    } else {
        return i2i_error_set(err, I2I_ERR_INVALID,
                             "bad metrics mode '%s' (none, counts, full or truncate(N))", s);
    }
    return I2I_OK;
}

int ice_metrics_mode_for(const json_t *props, const char *column, ice_metrics_mode *out,
                         i2i_error *err)
{
    char key[600];
    const char *v;
    snprintf(key, sizeof key, "write.metadata.metrics.column.%s", column);
    v = ice_json_str(props, key);
    if (!v) v = ice_json_str(props, "write.metadata.metrics.default");
    if (!v) {
        out->kind = ICE_METRICS_TRUNCATE;
        out->length = 16;
        return I2I_OK;
    }
    I2I_TRY(ice_metrics_mode_parse(v, out, err));
    return I2I_OK;
}

/* Length of the UTF-8 sequence started by lead byte c, or 0 if c is not a lead byte. */
static size_t utf8_len(uint8_t c)
{
    if (c < 0x80) return 1;
    if ((c & 0xE0) == 0xC0) return 2;
    if ((c & 0xF0) == 0xE0) return 3;
    if ((c & 0xF8) == 0xF0) return 4;
    return 0;
}

size_t ice_utf8_prefix(const uint8_t *s, size_t n, size_t max_cp)
{
    size_t i = 0, cps = 0;
    while (i < n) {
        size_t l = utf8_len(s[i]);
        if (cps == max_cp) return i;
        if (l == 0) l = 1; /* stray continuation byte: count it alone */
        if (i + l > n) return i; /* truncated sequence at the end: drop it */
        i += l;
        cps++;
    }
    return n;
}

/* Decode one code point; returns its length or 0 when invalid. */
static size_t utf8_decode(const uint8_t *s, size_t n, uint32_t *cp)
{
    size_t l = utf8_len(s[0]), k;
    uint32_t v;
    if (l == 0 || l > n) return 0;
    v = l == 1 ? s[0] : l == 2 ? (s[0] & 0x1Fu) : l == 3 ? (s[0] & 0x0Fu) : (s[0] & 0x07u);
    for (k = 1; k < l; k++) {
        if ((s[k] & 0xC0) != 0x80) return 0;
        v = (v << 6) | (s[k] & 0x3Fu);
    }
    *cp = v;
    return l;
}

int ice_utf8_upper(const uint8_t *s, size_t n, size_t max_cp, i2i_buf *out)
{
    size_t plen = ice_utf8_prefix(s, n, max_cp), i = 0, last_start = (size_t)-1;
    uint32_t cp = 0, last_cp = 0;
    uint8_t enc[4];
    i2i_buf_reset(out);
    if (plen == n) return i2i_buf_append(out, s, n) < 0 ? I2I_ERR_NOMEM : 1;
    /* Find the last code point of the prefix that can be incremented. */
    while (i < plen) {
        size_t l = utf8_decode(s + i, plen - i, &cp);
        if (l == 0) return 0; /* not valid UTF-8: no safe upper bound */
        if (cp != 0x10FFFF) {
            last_start = i;
            last_cp = cp;
        }
        i += l;
    }
    if (last_start == (size_t)-1) return 0;
    last_cp = last_cp == 0xD7FF ? 0xE000 : last_cp + 1;
    if (i2i_buf_append(out, s, last_start) < 0) return I2I_ERR_NOMEM;
    if (i2i_buf_append(out, enc, i2i_utf8_encode(last_cp, enc)) < 0) return I2I_ERR_NOMEM;
    return 1;
}

int ice_binary_upper(const uint8_t *s, size_t n, size_t max_len, i2i_buf *out)
{
    size_t k;
    i2i_buf_reset(out);
    if (n <= max_len) return i2i_buf_append(out, s, n) < 0 ? I2I_ERR_NOMEM : 1;
    for (k = max_len; k-- > 0;) {
        if (s[k] != 0xFF) {
            if (i2i_buf_append(out, s, k + 1) < 0) return I2I_ERR_NOMEM;
            out->data[k]++;
            return 1;
        }
    }
    return 0;
}

size_t ice_decimal_minimal(const uint8_t *be, size_t n, const uint8_t **start)
{
    size_t i = 0;
    /* drop leading bytes that only repeat the sign */
    while (i + 1 < n && ((be[i] == 0x00 && !(be[i + 1] & 0x80)) || (be[i] == 0xFF && (be[i + 1] & 0x80))))
        i++;
    *start = be + i;
    return n - i;
}

static int copy_bound(i2i_buf *dst, const i2i_buf *src, size_t want, const char *what, i2i_error *err)
{
    i2i_buf_reset(dst);
    if (want && src->len != want)
        return i2i_error_set(err, I2I_ERR_INTERNAL, "parquet %s bound has %zu bytes, expected %zu",
                             what, src->len, want);
    return i2i_buf_append(dst, src->data, src->len) < 0 ? i2i_error_nomem(err, "bounds") : I2I_OK;
}

int ice_metrics_from_parquet(iceberg_type type, const parquet_column_result *pc,
                             ice_metrics_mode mode, iceberg_column_metrics *out, i2i_error *err)
{
    int is_float = type.id == ICEBERG_TYPE_DOUBLE || type.id == ICEBERG_TYPE_FLOAT;
    int rc;
    out->field_id = pc->field_id;
    out->column_size = pc->compressed_bytes;
    out->value_count = out->null_count = out->nan_count = -1;
    out->has_lower = out->has_upper = 0;
    if (mode.kind == ICE_METRICS_NONE) return I2I_OK;
    out->value_count = pc->value_count;
    out->null_count = pc->null_count;
    if (is_float) out->nan_count = pc->nan_count;
    if (mode.kind == ICE_METRICS_COUNTS || !pc->has_bounds) return I2I_OK;

    switch (type.id) {
    case ICEBERG_TYPE_BOOLEAN:
        I2I_TRY(copy_bound(&out->lower, &pc->lower, 1, "boolean", err));
        I2I_TRY(copy_bound(&out->upper, &pc->upper, 1, "boolean", err));
        break;
    case ICEBERG_TYPE_INT:
    case ICEBERG_TYPE_DATE:
        I2I_TRY(copy_bound(&out->lower, &pc->lower, 4, "int", err));
        I2I_TRY(copy_bound(&out->upper, &pc->upper, 4, "int", err));
        break;
    case ICEBERG_TYPE_LONG:
    case ICEBERG_TYPE_TIME:
    case ICEBERG_TYPE_TIMESTAMP:
    case ICEBERG_TYPE_TIMESTAMPTZ:
    case ICEBERG_TYPE_TIMESTAMP_NS:
    case ICEBERG_TYPE_TIMESTAMPTZ_NS:
        I2I_TRY(copy_bound(&out->lower, &pc->lower, 8, "long", err));
        I2I_TRY(copy_bound(&out->upper, &pc->upper, 8, "long", err));
        break;
    case ICEBERG_TYPE_FLOAT:
    case ICEBERG_TYPE_DOUBLE: {
        size_t w = type.id == ICEBERG_TYPE_DOUBLE ? 8 : 4;
        I2I_TRY(copy_bound(&out->lower, &pc->lower, w, "floating", err));
        I2I_TRY(copy_bound(&out->upper, &pc->upper, w, "floating", err));
        /* -0.0 present => lower must be -0.0; +0.0 present => upper must be +0.0. The file
         * statistics cannot tell which zero occurred, so widen both, which is always valid. */
        if (w == 8) {
            double lo, hi;
            uint64_t u = i2i_load_le64(out->lower.data);
            memcpy(&lo, &u, 8);
            u = i2i_load_le64(out->upper.data);
            memcpy(&hi, &u, 8);
            if (isnan(lo) || isnan(hi)) return I2I_OK; /* never a bound */
            if (lo == 0.0) ice_bound_double(-0.0, out->lower.data);
            if (hi == 0.0) ice_bound_double(0.0, out->upper.data);
        } else {
            float lo, hi;
            uint32_t u = i2i_load_le32(out->lower.data);
            memcpy(&lo, &u, 4);
            u = i2i_load_le32(out->upper.data);
            memcpy(&hi, &u, 4);
            if (isnan(lo) || isnan(hi)) return I2I_OK;
            if (lo == 0.0f) {
                lo = -0.0f;
                memcpy(&u, &lo, 4);
                i2i_store_le32(out->lower.data, u);
            }
            if (hi == 0.0f) {
                hi = 0.0f;
                memcpy(&u, &hi, 4);
                i2i_store_le32(out->upper.data, u);
            }
        }
        break;
    }
    case ICEBERG_TYPE_STRING:
    case ICEBERG_TYPE_BINARY: {
        int is_str = type.id == ICEBERG_TYPE_STRING;
        size_t lim = mode.kind == ICE_METRICS_TRUNCATE ? (size_t)mode.length : (size_t)-1;
        size_t llen = lim == (size_t)-1 ? pc->lower.len
                      : is_str         ? ice_utf8_prefix(pc->lower.data, pc->lower.len, lim)
                                       : (pc->lower.len < lim ? pc->lower.len : lim);
        i2i_buf_reset(&out->lower);
        if (i2i_buf_reserve(&out->lower, llen + 1) < 0 ||
            (llen && i2i_buf_append(&out->lower, pc->lower.data, llen) < 0))
            return i2i_error_nomem(err, "bounds");
        if (lim == (size_t)-1) {
            I2I_TRY(copy_bound(&out->upper, &pc->upper, 0, "string", err));
            rc = 1;
        } else {
            rc = is_str ? ice_utf8_upper(pc->upper.data, pc->upper.len, lim, &out->upper)
                        : ice_binary_upper(pc->upper.data, pc->upper.len, lim, &out->upper);
            if (rc < 0) return i2i_error_nomem(err, "bounds");
        }
        out->has_lower = 1;
        out->has_upper = rc == 1;
        return I2I_OK;
    }
    case ICEBERG_TYPE_DECIMAL: {
        const uint8_t *p;
        size_t n = ice_decimal_minimal(pc->lower.data, pc->lower.len, &p);
        i2i_buf_reset(&out->lower);
        if (i2i_buf_append(&out->lower, p, n) < 0) return i2i_error_nomem(err, "bounds");
        n = ice_decimal_minimal(pc->upper.data, pc->upper.len, &p);
        i2i_buf_reset(&out->upper);
        if (i2i_buf_append(&out->upper, p, n) < 0) return i2i_error_nomem(err, "bounds");
        break;
    }
    case ICEBERG_TYPE_UUID:
    case ICEBERG_TYPE_FIXED:
        I2I_TRY(copy_bound(&out->lower, &pc->lower, 0, "fixed", err));
        I2I_TRY(copy_bound(&out->upper, &pc->upper, 0, "fixed", err));
        break;
    default: return I2I_OK; /* no bounds for types we do not know */
    }
    out->has_lower = out->has_upper = 1;
    return I2I_OK;
}
