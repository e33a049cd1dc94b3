/* Partition specs and transforms: parsing, result types, values, paths. */
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>

#define US_PER_HOUR INT64_C(3600000000)
#define US_PER_DAY INT64_C(86400000000)
#define NS_PER_HOUR (US_PER_HOUR * 1000)
#define NS_PER_DAY (US_PER_DAY * 1000)

int32_t iceberg_transform_hour(int64_t t, int nanos)
{
    return (int32_t)i2i_floor_div(t, nanos ? NS_PER_HOUR : US_PER_HOUR);
}

int32_t iceberg_transform_day(int64_t t, int nanos)
{
    return (int32_t)i2i_floor_div(t, nanos ? NS_PER_DAY : US_PER_DAY);
}

int32_t iceberg_transform_month(int64_t t, int nanos)
{
    int64_t y;
    unsigned m, d;
    i2i_civil_from_days(iceberg_transform_day(t, nanos), &y, &m, &d);
    return (int32_t)((y - 1970) * 12 + (int64_t)m - 1);
}

int32_t iceberg_transform_year(int64_t t, int nanos)
{
    int64_t y;
    unsigned m, d;
    i2i_civil_from_days(iceberg_transform_day(t, nanos), &y, &m, &d);
    return (int32_t)(y - 1970);
}

int iceberg_transform_range(iceberg_transform_id transform, int64_t t, int nanos, int64_t *lo, int64_t *hi)
{
    int64_t unit, first, next, y;
    unsigned m, d;
    switch (transform) {
    case ICEBERG_TRANSFORM_HOUR:
    case ICEBERG_TRANSFORM_DAY:
        unit = transform == ICEBERG_TRANSFORM_HOUR ? (nanos ? NS_PER_HOUR : US_PER_HOUR)
                                                   : (nanos ? NS_PER_DAY : US_PER_DAY);
        first = i2i_floor_div(t, unit);
        next = first + 1;
        break;
    case ICEBERG_TRANSFORM_MONTH:
    case ICEBERG_TRANSFORM_YEAR:
        /* in days: the first day of t's month (year) and of the next one */
        unit = nanos ? NS_PER_DAY : US_PER_DAY;
        i2i_civil_from_days(i2i_floor_div(t, unit), &y, &m, &d);
        if (transform == ICEBERG_TRANSFORM_YEAR) {
            first = i2i_days_from_civil(y, 1, 1);
            next = i2i_days_from_civil(y + 1, 1, 1);
        } else {
            first = i2i_days_from_civil(y, m, 1);
            next = m == 12 ? i2i_days_from_civil(y + 1, 1, 1) : i2i_days_from_civil(y, m + 1, 1);
        }
        break;
    default: return 0;
    }
    if (__builtin_mul_overflow(first, unit, lo) || __builtin_mul_overflow(next, unit, hi)) return 0;
    return 1;
}

int iceberg_time_partition_parse(const char *s, iceberg_time_partition *out, i2i_error *err)
{
    static const char *names[] = {"day", "hour", "month", "year", "none"};
    int i;
    for (i = 0; i < 5; i++) {
        if (s && strcmp(s, names[i]) == 0) {
            *out = (iceberg_time_partition)i;
            return I2I_OK;
        }
    }
    return i2i_error_set(err, I2I_ERR_INVALID,
                         "unknown partitioning '%s' (expected day, hour, month, year or none)",
                         s ? s : "(null)");
}

iceberg_transform_id ice_transform_parse(const char *s, int32_t *param)
{
    long v;
    char *end;
    *param = 0;
    if (!s) return ICEBERG_TRANSFORM_UNKNOWN;
    if (strcmp(s, "identity") == 0) return ICEBERG_TRANSFORM_IDENTITY;
    if (strcmp(s, "void") == 0) return ICEBERG_TRANSFORM_VOID;
    if (strcmp(s, "year") == 0) return ICEBERG_TRANSFORM_YEAR;
    if (strcmp(s, "month") == 0) return ICEBERG_TRANSFORM_MONTH;
    if (strcmp(s, "day") == 0) return ICEBERG_TRANSFORM_DAY;
    if (strcmp(s, "hour") == 0) return ICEBERG_TRANSFORM_HOUR;
    if (strncmp(s, "bucket[", 7) == 0 || strncmp(s, "truncate[", 9) == 0) {
        const char *p = s[0] == 'b' ? s + 7 : s + 9;
        v = strtol(p, &end, 10);
        if (end == p || strcmp(end, "]") != 0 || v <= 0 || v > INT32_MAX)
            return ICEBERG_TRANSFORM_UNKNOWN;
        *param = (int32_t)v;
        return s[0] == 'b' ? ICEBERG_TRANSFORM_BUCKET : ICEBERG_TRANSFORM_TRUNCATE;
    }
    return ICEBERG_TRANSFORM_UNKNOWN;
}

const char *ice_transform_format(iceberg_transform_id t, int32_t param, char *out, size_t outsz)
{
    switch (t) {
    case ICEBERG_TRANSFORM_IDENTITY: snprintf(out, outsz, "identity"); break;
    case ICEBERG_TRANSFORM_VOID: snprintf(out, outsz, "void"); break;
    case ICEBERG_TRANSFORM_YEAR: snprintf(out, outsz, "year"); break;
    case ICEBERG_TRANSFORM_MONTH: snprintf(out, outsz, "month"); break;
    case ICEBERG_TRANSFORM_DAY: snprintf(out, outsz, "day"); break;
    case ICEBERG_TRANSFORM_HOUR: snprintf(out, outsz, "hour"); break;
    case ICEBERG_TRANSFORM_BUCKET: snprintf(out, outsz, "bucket[%d]", (int)param); break;
    case ICEBERG_TRANSFORM_TRUNCATE: snprintf(out, outsz, "truncate[%d]", (int)param); break;
    default: snprintf(out, outsz, "unknown"); break;
    }
    return out;
}

int ice_spec_parse(const json_t *js, iceberg_partition_spec *out, i2i_error *err)
{
    const json_t *fields, *f;
    size_t i;
    int64_t v;
    memset(out, 0, sizeof *out);
    if (!json_is_object(js)) return i2i_error_set(err, I2I_ERR_FORMAT, "partition spec is not an object");
    I2I_TRY(ice_json_int(js, "spec-id", 0, &v, "partition spec", err));
    out->spec_id = (int32_t)v;
    fields = json_object_get(js, "fields");
    if (!json_is_array(fields))
        return i2i_error_set(err, I2I_ERR_FORMAT, "partition spec %d: 'fields' is not a list", (int)v);
    out->nfields = json_array_size(fields);
    if (out->nfields) {
        out->fields = calloc(out->nfields, sizeof *out->fields);
        if (!out->fields) return i2i_error_nomem(err, "partition spec");
    }
    json_array_foreach(fields, i, f)
    {
        iceberg_partition_field *pf = &out->fields[i];
        int64_t src = 0, fid = 0;
        int rc;
        const json_t *srcs = json_object_get(f, "source-ids");
        if (json_object_get(f, "source-id")) {
            rc = ice_json_req_int(f, "source-id", &src, "partition field", err);
        } else if (json_is_array(srcs) && json_array_size(srcs) == 1 &&
                   json_is_integer(json_array_get(srcs, 0))) {
            src = json_integer_value(json_array_get(srcs, 0));
            rc = I2I_OK;
        } else {
            /* multi-argument transforms: readable, never writable */
            src = -1;
            rc = I2I_OK;
        }
        if (rc == I2I_OK)
            rc = ice_json_int(f, "field-id", ICE_PARTITION_FIELD_ID_START + (int64_t)i, &fid,
                              "partition field", err);
        if (rc < 0) {
            ice_spec_clear(out);
            return rc;
        }
        pf->source_id = (int32_t)src;
        pf->field_id = (int32_t)fid;
        pf->name = ice_json_str(f, "name");
        pf->transform = ice_transform_parse(ice_json_str(f, "transform"), &pf->param);
        if (!pf->name) {
            ice_spec_clear(out);
            return i2i_error_set(err, I2I_ERR_FORMAT, "partition field %d has no name", (int)fid);
        }
        if (src < 0) pf->transform = ICEBERG_TRANSFORM_UNKNOWN;
    }
    return I2I_OK;
}

void ice_spec_clear(iceberg_partition_spec *s)
{
    if (!s) return;
    free(s->fields);
    memset(s, 0, sizeof *s);
}

static int is_ts(iceberg_type_id t)
{
    return t == ICEBERG_TYPE_TIMESTAMP || t == ICEBERG_TYPE_TIMESTAMPTZ ||
           t == ICEBERG_TYPE_TIMESTAMP_NS || t == ICEBERG_TYPE_TIMESTAMPTZ_NS;
}

int ice_partition_result_type(const iceberg_partition_field *pf, iceberg_type src,
                              iceberg_type *out, i2i_error *err)
{
    char tb[48], sb[48];
    memset(out, 0, sizeof *out);
    switch (pf->transform) {
    case ICEBERG_TRANSFORM_VOID: *out = src; return I2I_OK;
    case ICEBERG_TRANSFORM_IDENTITY:
        if (src.id == ICEBERG_TYPE_BOOLEAN || src.id == ICEBERG_TYPE_INT || src.id == ICEBERG_TYPE_LONG ||
            src.id == ICEBERG_TYPE_DATE || src.id == ICEBERG_TYPE_STRING || is_ts(src.id)) {
            *out = src;
            return I2I_OK;
        }
        break;
    case ICEBERG_TRANSFORM_YEAR:
    case ICEBERG_TRANSFORM_MONTH:
    case ICEBERG_TRANSFORM_DAY:
        if (is_ts(src.id) || src.id == ICEBERG_TYPE_DATE) {
            out->id = pf->transform == ICEBERG_TRANSFORM_DAY ? ICEBERG_TYPE_DATE : ICEBERG_TYPE_INT;
            return I2I_OK;
        }
        break;
    case ICEBERG_TRANSFORM_HOUR:
        if (is_ts(src.id)) {
            out->id = ICEBERG_TYPE_INT;
            return I2I_OK;
        }
        break;
    case ICEBERG_TRANSFORM_BUCKET:
        if (src.id == ICEBERG_TYPE_INT || src.id == ICEBERG_TYPE_LONG || src.id == ICEBERG_TYPE_DATE ||
            src.id == ICEBERG_TYPE_STRING || is_ts(src.id)) {
            out->id = ICEBERG_TYPE_INT;
            return I2I_OK;
        }
        break;
    case ICEBERG_TRANSFORM_TRUNCATE:
        if (src.id == ICEBERG_TYPE_INT || src.id == ICEBERG_TYPE_LONG || src.id == ICEBERG_TYPE_STRING) {
            *out = src;
            return I2I_OK;
        }
        break;
    default: break;
    }
    return i2i_error_set(err, I2I_ERR_UNSUPPORTED,
                         "partition field '%s': transform %s on a %s column is not supported by "
                         "this writer",
                         pf->name, ice_transform_format(pf->transform, pf->param, tb, sizeof tb),
                         iceberg_type_format(src, sb, sizeof sb));
}

json_t *ice_partition_avro_type(iceberg_type r, i2i_error *err)
{
    json_t *t = NULL;
    switch (r.id) {
    case ICEBERG_TYPE_BOOLEAN: t = json_string("boolean"); break;
    case ICEBERG_TYPE_INT: t = json_string("int"); break;
    case ICEBERG_TYPE_LONG: t = json_string("long"); break;
    case ICEBERG_TYPE_DOUBLE: t = json_string("double"); break;
    case ICEBERG_TYPE_STRING: t = json_string("string"); break;
    case ICEBERG_TYPE_DATE: t = json_pack("{s:s, s:s}", "type", "int", "logicalType", "date"); break;
    case ICEBERG_TYPE_TIMESTAMP:
    case ICEBERG_TYPE_TIMESTAMPTZ:
        t = json_pack("{s:s, s:s, s:b}", "type", "long", "logicalType", "timestamp-micros",
                      "adjust-to-utc", r.id == ICEBERG_TYPE_TIMESTAMPTZ);
        break;
    case ICEBERG_TYPE_TIMESTAMP_NS:
    case ICEBERG_TYPE_TIMESTAMPTZ_NS:
        t = json_pack("{s:s, s:s, s:b}", "type", "long", "logicalType", "timestamp-nanos",
                      "adjust-to-utc", r.id == ICEBERG_TYPE_TIMESTAMPTZ_NS);
        break;
    default: {
        char tb[48];
        i2i_error_set(err, I2I_ERR_UNSUPPORTED, "partition values of type %s are not supported",
                      iceberg_type_format(r, tb, sizeof tb));
        return NULL;
    }
    }
    if (!t) {
        i2i_error_nomem(err, "avro type");
        return NULL;
    }
    return json_pack("[s, o]", "null", t);
}

static int put_quoted(i2i_buf *out, const char *s, size_t n)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t i;
    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
            c == '-' || c == '_') {
            I2I_TRY(i2i_buf_put_u8(out, c));
        } else {
            char e[3] = {'%', hex[c >> 4], hex[c & 15]};
            I2I_TRY(i2i_buf_append(out, e, 3));
        }
    }
    return I2I_OK;
}

static void fmt_timestamp(int64_t t, int nanos, char *out, size_t outsz)
{
    int64_t unit = nanos ? INT64_C(1000000000) : INT64_C(1000000);
    int64_t secs = i2i_floor_div(t, unit), frac = i2i_floor_mod(t, unit);
    int64_t days = i2i_floor_div(secs, 86400), sod = i2i_floor_mod(secs, 86400), y;
    unsigned m, d;
    i2i_civil_from_days(days, &y, &m, &d);
    snprintf(out, outsz, nanos ? "%04lld-%02u-%02uT%02d:%02d:%02d.%09lld" : "%04lld-%02u-%02uT%02d:%02d:%02d.%06lld",
             (long long)y, m, d, (int)(sod / 3600), (int)(sod / 60 % 60), (int)(sod % 60),
             (long long)frac);
}

int ice_partition_human(const iceberg_partition_field *pf, iceberg_type r,
                        const iceberg_partition_value *v, i2i_buf *out)
{
    char tmp[64];
    int64_t y;
    unsigned m, d;
    I2I_TRY(put_quoted(out, pf->name, strlen(pf->name)));
    I2I_TRY(i2i_buf_put_u8(out, '='));
    if (v->is_null) return i2i_buf_append_str(out, "null");
    switch (pf->transform) {
    case ICEBERG_TRANSFORM_YEAR: snprintf(tmp, sizeof tmp, "%04lld", (long long)(1970 + v->i)); break;
    case ICEBERG_TRANSFORM_MONTH:
        snprintf(tmp, sizeof tmp, "%04lld-%02d", (long long)(1970 + i2i_floor_div(v->i, 12)),
                 (int)i2i_floor_mod(v->i, 12) + 1);
        break;
    case ICEBERG_TRANSFORM_DAY:
        i2i_civil_from_days(v->i, &y, &m, &d);
        snprintf(tmp, sizeof tmp, "%04lld-%02u-%02u", (long long)y, m, d);
        break;
    case ICEBERG_TRANSFORM_HOUR:
        i2i_civil_from_days(i2i_floor_div(v->i, 24), &y, &m, &d);
        snprintf(tmp, sizeof tmp, "%04lld-%02u-%02u-%02d", (long long)y, m, d,
                 (int)i2i_floor_mod(v->i, 24));
        break;
    default:
        if (r.id == ICEBERG_TYPE_STRING) return put_quoted(out, v->s, v->slen);
        if (r.id == ICEBERG_TYPE_BOOLEAN)
            snprintf(tmp, sizeof tmp, "%s", v->i ? "true" : "false");
        else if (r.id == ICEBERG_TYPE_DATE) {
            i2i_civil_from_days(v->i, &y, &m, &d);
            snprintf(tmp, sizeof tmp, "%04lld-%02u-%02u", (long long)y, m, d);
        } else if (is_ts(r.id))
            fmt_timestamp(v->i, r.id == ICEBERG_TYPE_TIMESTAMP_NS || r.id == ICEBERG_TYPE_TIMESTAMPTZ_NS,
                          tmp, sizeof tmp);
        else
            snprintf(tmp, sizeof tmp, "%lld", (long long)v->i);
        break;
    }
    return put_quoted(out, tmp, strlen(tmp));
}

int ice_partition_value_bytes(iceberg_type r, const iceberg_partition_value *v, i2i_buf *out)
{
    uint8_t b[8];
    i2i_buf_reset(out);
    switch (r.id) {
    case ICEBERG_TYPE_BOOLEAN: return i2i_buf_put_u8(out, v->i ? 1 : 0);
    case ICEBERG_TYPE_INT:
    case ICEBERG_TYPE_DATE: ice_bound_int((int32_t)v->i, b); return i2i_buf_append(out, b, 4);
    case ICEBERG_TYPE_STRING: return v->slen ? i2i_buf_append(out, v->s, v->slen) : i2i_buf_reserve(out, 1);
    default: ice_bound_long(v->i, b); return i2i_buf_append(out, b, 8);
    }
}

int ice_partition_value_cmp(iceberg_type r, const iceberg_partition_value *a,
                            const iceberg_partition_value *b)
{
    if (r.id == ICEBERG_TYPE_STRING) {
        size_t n = a->slen < b->slen ? a->slen : b->slen;
        int c = n ? memcmp(a->s, b->s, n) : 0;
        if (c) return c;
        return a->slen < b->slen ? -1 : a->slen > b->slen;
    }
    return a->i < b->i ? -1 : a->i > b->i;
}

static uint32_t rotl32(uint32_t x, int r) { return (x << r) | (x >> (32 - r)); }

uint32_t ice_murmur3_32(const void *data, size_t n)
{
    const uint8_t *p = data;
    const uint32_t c1 = 0xcc9e2d51, c2 = 0x1b873593;
    uint32_t h = 0, k;
    size_t i, nblocks = n / 4;
    for (i = 0; i < nblocks; i++) {
        k = i2i_load_le32(p + 4 * i);
        k *= c1;
        k = rotl32(k, 15);
        k *= c2;
        h ^= k;
        h = rotl32(h, 13);
        h = h * 5 + 0xe6546b64;
    }
    k = 0;
    p += nblocks * 4;
    switch (n & 3) {
    case 3: k ^= (uint32_t)p[2] << 16; /* fall through */
    case 2: k ^= (uint32_t)p[1] << 8;  /* fall through */
    case 1:
        k ^= p[0];
        k *= c1;
        k = rotl32(k, 15);
        k *= c2;
        h ^= k;
    }
    h ^= (uint32_t)n;
    h ^= h >> 16;
    h *= 0x85ebca6b;
    h ^= h >> 13;
    h *= 0xc2b2ae35;
    h ^= h >> 16;
    return h;
}

json_t *ice_spec_json_new(int32_t spec_id, iceberg_time_partition p, int32_t source_id,
                          const char *source_name, int32_t *last_partition_id)
{
    static const char *tr[] = {"day", "hour", "month", "year"};
    json_t *fields = json_array(), *f;
    char name[512];
    if (!fields) return NULL;
    *last_partition_id = ICE_PARTITION_FIELD_ID_START - 1;
    if (p != ICEBERG_PARTITION_NONE) {
        size_t k;
        snprintf(name, sizeof name, "%s_%s", source_name, tr[p]);
        /* partition field names become Avro field names: keep them valid ([A-Za-z_][A-Za-z0-9_]*) */
        for (k = 0; name[k]; k++) {
            char c = name[k];
            if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (k > 0 && c >= '0' && c <= '9')))
                name[k] = '_';
        }
        f = json_pack("{s:s, s:s, s:i, s:i}", "name", name, "transform", tr[p], "source-id",
                      (json_int_t)source_id, "field-id", (json_int_t)ICE_PARTITION_FIELD_ID_START);
        if (!f || json_array_append_new(fields, f) != 0) {
            json_decref(fields);
            return NULL;
        }
        *last_partition_id = ICE_PARTITION_FIELD_ID_START;
    }
    return json_pack("{s:i, s:o}", "spec-id", (json_int_t)spec_id, "fields", fields);
}
