/* Batch validation before encoding: vector types, NULLs in REQUIRED columns, value ranges. */
#include "column_writer.h"

static int type_error(const pq_column *c, const columnar_column *src, i2i_error *err)
{
    static const char *phys[] = {"BOOLEAN", "INT32", "INT64", "INT96", "FLOAT", "DOUBLE",
                                 "BYTE_ARRAY", "FIXED_LEN_BYTE_ARRAY"};
    return i2i_error_set(err, I2I_ERR_INVALID,
                         "column '%s': a %s vector cannot feed a parquet %s column", c->name,
                         columnar_type_name(src->type), phys[c->spec.physical]);
}

static int type_compatible(const pq_column *c, columnar_type t)
{
    switch (c->spec.physical) {
    case PARQUET_BOOLEAN: return t == COLUMNAR_BOOL;
    case PARQUET_INT32: return t == COLUMNAR_INT64;
    case PARQUET_INT64:
        return t == COLUMNAR_INT64 || t == COLUMNAR_TIMESTAMP || t == COLUMNAR_UINT64;
    case PARQUET_DOUBLE: return t == COLUMNAR_DOUBLE;
    case PARQUET_BYTE_ARRAY: return t == COLUMNAR_STRING;
    case PARQUET_FIXED_LEN_BYTE_ARRAY: return t == COLUMNAR_UINT64 || t == COLUMNAR_INT64;
    }
    return 0;
}

/* Largest unscaled magnitude of a decimal column: min(10^precision - 1, what type_length holds). */
static void decimal_limits(const pq_column *c, uint64_t *max_pos, uint64_t *max_neg_mag)
{
    uint64_t p10 = UINT64_MAX;
    int i, len = c->spec.type_length;
    if (c->spec.precision <= 19) {
        p10 = 1;
        for (i = 0; i < c->spec.precision; i++) p10 *= 10;
        p10 -= 1;
    }
    *max_pos = p10;
    *max_neg_mag = p10;
    if (len < 8) {
        uint64_t pos = ((uint64_t)1 << (8 * len - 1)) - 1;
        if (pos < *max_pos) *max_pos = pos;
        if (pos + 1 < *max_neg_mag) *max_neg_mag = pos + 1;
    } else if (len == 8) {
        if ((uint64_t)INT64_MAX < *max_pos) *max_pos = (uint64_t)INT64_MAX;
    }
}

int pq_column_check(const pq_column *c, const columnar_column *src, size_t off, const uint32_t *rows,
                    size_t n, i2i_error *err)
{
    const uint8_t *valid = src->validity;
    size_t k;
    if (!type_compatible(c, src->type)) return type_error(c, src, err);
    if (!c->spec.optional && src->null_count > 0) {
        for (k = 0; k < n; k++) {
            size_t r = rows ? rows[k] : off + k;
            if (!VALID_BIT(valid, r))
                return i2i_error_set(err, I2I_ERR_INVALID,
                                     "column '%s' is required but batch row %zu is NULL", c->name, r);
        }
    }
    if (c->spec.physical == PARQUET_INT64 && src->type == COLUMNAR_UINT64) {
        uint64_t acc = 0;
        if (!rows) {
            for (k = 0; k < n; k++) acc |= src->v.u64[off + k];
        } else {
            for (k = 0; k < n; k++) acc |= src->v.u64[rows[k]];
        }
        if (acc >> 63) {
            for (k = 0; k < n; k++) {
                size_t r = rows ? rows[k] : off + k;
                uint64_t v = src->v.u64[r];
                if (v > (uint64_t)INT64_MAX && VALID_BIT(valid, r))
                    return i2i_error_set(err, I2I_ERR_RANGE,
                                         "column '%s': value %llu at batch row %zu exceeds INT64_MAX "
                                         "(use a decimal(20, 0) column for uint64 values)",
                                         c->name, (unsigned long long)v, r);
            }
        }
    } else if (c->spec.physical == PARQUET_INT32) {
        for (k = 0; k < n; k++) {
            size_t r = rows ? rows[k] : off + k;
            int64_t v = src->v.i64[r];
            if ((v < INT32_MIN || v > INT32_MAX) && VALID_BIT(valid, r))
                return i2i_error_set(err, I2I_ERR_RANGE,
                                     "column '%s': value %lld at batch row %zu is outside INT32",
                                     c->name, (long long)v, r);
        }
    } else if (c->spec.physical == PARQUET_FIXED_LEN_BYTE_ARRAY) {
        uint64_t max_pos, max_neg;
        decimal_limits(c, &max_pos, &max_neg);
        for (k = 0; k < n; k++) {
            size_t r = rows ? rows[k] : off + k;
            uint64_t u = src->v.u64[r];
            int bad;
            if (src->type == COLUMNAR_UINT64) {
                bad = u > max_pos;
            } else {
                int64_t s = (int64_t)u;
                bad = s >= 0 ? (uint64_t)s > max_pos : (uint64_t)0 - u > max_neg;
            }
            if (bad && VALID_BIT(valid, r)) {
                if (src->type == COLUMNAR_UINT64)
                    return i2i_error_set(err, I2I_ERR_RANGE,
                                         "column '%s': value %llu at batch row %zu does not fit "
                                         "decimal(%d, %d) in %d bytes",
                                         c->name, (unsigned long long)u, r, c->spec.precision,
                                         c->spec.scale, c->spec.type_length);
                return i2i_error_set(err, I2I_ERR_RANGE,
                                     "column '%s': value %lld at batch row %zu does not fit "
                                     "decimal(%d, %d) in %d bytes",
                                     c->name, (long long)u, r, c->spec.precision, c->spec.scale,
                                     c->spec.type_length);
            }
        }
    }
    return I2I_OK;
}
