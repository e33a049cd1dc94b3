/* Iceberg primitive types: spelling in metadata, and the mapping from column types. */
#include "internal.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>

static const struct {
    const char *name;
    iceberg_type_id id;
} simple_types[] = {
    {"boolean", ICEBERG_TYPE_BOOLEAN},
    {"int", ICEBERG_TYPE_INT},
    {"long", ICEBERG_TYPE_LONG},
    {"float", ICEBERG_TYPE_FLOAT},
    {"double", ICEBERG_TYPE_DOUBLE},
    {"date", ICEBERG_TYPE_DATE},
    {"time", ICEBERG_TYPE_TIME},
    {"timestamp", ICEBERG_TYPE_TIMESTAMP},
    {"timestamptz", ICEBERG_TYPE_TIMESTAMPTZ},
    {"timestamp_ns", ICEBERG_TYPE_TIMESTAMP_NS},
    {"timestamptz_ns", ICEBERG_TYPE_TIMESTAMPTZ_NS},
    {"string", ICEBERG_TYPE_STRING},
    {"uuid", ICEBERG_TYPE_UUID},
    {"binary", ICEBERG_TYPE_BINARY},
};

const char *iceberg_type_format(iceberg_type t, char *out, size_t outsz)
{
    size_t i;
    for (i = 0; i < sizeof simple_types / sizeof simple_types[0]; i++) {
        if (simple_types[i].id == t.id) {
            snprintf(out, outsz, "%s", simple_types[i].name);
            return out;
        }
    }
    if (t.id == ICEBERG_TYPE_DECIMAL)
        snprintf(out, outsz, "decimal(%d, %d)", (int)t.precision, (int)t.scale);
    else if (t.id == ICEBERG_TYPE_FIXED)
        snprintf(out, outsz, "fixed[%d]", (int)t.length);
    else if (t.id == ICEBERG_TYPE_NESTED)
        snprintf(out, outsz, "nested");
    else
        snprintf(out, outsz, "unknown");
    return out;
}

/* Parse "<int>" at *p skipping spaces; advances. */
static int parse_num(const char **p, int32_t *out)
{
    const char *s = *p;
    long v = 0;
    int digits = 0;
    while (*s == ' ') s++;
    while (isdigit((unsigned char)*s)) {
        v = v * 10 + (*s - '0');
        if (v > 1000000) return -1;
        s++;
        digits++;
    }
    while (*s == ' ') s++;
    if (!digits) return -1;
    *out = (int32_t)v;
    *p = s;
    return 0;
}

int iceberg_type_parse(const char *s, iceberg_type *out, i2i_error *err)
{
    size_t i;
    memset(out, 0, sizeof *out);
    for (i = 0; i < sizeof simple_types / sizeof simple_types[0]; i++) {
        if (strcmp(s, simple_types[i].name) == 0) {
            out->id = simple_types[i].id;
            return I2I_OK;
        }
    }
    if (strncmp(s, "decimal(", 8) == 0) {
        const char *p = s + 8;
        if (parse_num(&p, &out->precision) == 0 && *p == ',' && (p++, parse_num(&p, &out->scale) == 0) &&
            *p == ')' && p[1] == '\0' && out->precision > 0 && out->precision <= 38 &&
            out->scale <= out->precision) {
            out->id = ICEBERG_TYPE_DECIMAL;
            return I2I_OK;
        }
    } else if (strncmp(s, "fixed[", 6) == 0) {
        const char *p = s + 6;
        if (parse_num(&p, &out->length) == 0 && *p == ']' && p[1] == '\0' && out->length > 0) {
            out->id = ICEBERG_TYPE_FIXED;
            return I2I_OK;
        }
    }
    out->id = ICEBERG_TYPE_OTHER;
    return i2i_error_set(err, I2I_ERR_FORMAT, "unknown Iceberg type '%s'", s);
}

int ice_type_v3_only(iceberg_type t)
{
    return t.id == ICEBERG_TYPE_TIMESTAMP_NS || t.id == ICEBERG_TYPE_TIMESTAMPTZ_NS ||
           t.id == ICEBERG_TYPE_OTHER;
}

int iceberg_type_for_column(columnar_type ct, int format_version, const iceberg_type_options *o,
                            iceberg_type *out, i2i_error *err)
{
    static const iceberg_type_options none = {0, 0, 0};
    if (!o) o = &none;
    if (format_version == 0) format_version = 2;
    memset(out, 0, sizeof *out);
    switch (ct) {
    case COLUMNAR_TIMESTAMP:
        if (o->time_nanos) {
            if (format_version < 3)
                return i2i_error_set(err, I2I_ERR_INVALID,
                                     "nanosecond timestamps need Iceberg format v3 (table is v%d)",
                                     format_version);
            out->id = o->time_with_zone ? ICEBERG_TYPE_TIMESTAMPTZ_NS : ICEBERG_TYPE_TIMESTAMP_NS;
        } else {
            out->id = o->time_with_zone ? ICEBERG_TYPE_TIMESTAMPTZ : ICEBERG_TYPE_TIMESTAMP;
        }
        return I2I_OK;
    case COLUMNAR_INT64: out->id = ICEBERG_TYPE_LONG; return I2I_OK;
    case COLUMNAR_UINT64:
        if (o->uint64_as_decimal) {
            out->id = ICEBERG_TYPE_DECIMAL;
            out->precision = 20;
            out->scale = 0;
        } else {
            out->id = ICEBERG_TYPE_LONG;
        }
        return I2I_OK;
    case COLUMNAR_DOUBLE: out->id = ICEBERG_TYPE_DOUBLE; return I2I_OK;
    case COLUMNAR_BOOL: out->id = ICEBERG_TYPE_BOOLEAN; return I2I_OK;
    case COLUMNAR_STRING: out->id = ICEBERG_TYPE_STRING; return I2I_OK;
    }
    return i2i_error_set(err, I2I_ERR_INVALID, "no Iceberg type for column type %d", (int)ct);
}
