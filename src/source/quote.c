/* SQL text for InfluxDB 3 (DataFusion's generic dialect) and the JSON string escaping of query
 * bodies: quoting identifiers and literals, time literals. */
#include <stdio.h>

#include "source_internal.h"

/* Identifiers ("x") and string literals ('x') quote alike in SQL: a quote inside is doubled. */
static int put_quoted(i2i_buf *out, const char *s, size_t n, char q)
{
    size_t i;
    if (i2i_buf_reserve(out, n * 2 + 2) != I2I_OK) return I2I_ERR_NOMEM;
    i2i_buf_put_u8_unchecked(out, (uint8_t)q);
    for (i = 0; i < n; i++) {
        if (s[i] == q) i2i_buf_put_u8_unchecked(out, (uint8_t)q);
        i2i_buf_put_u8_unchecked(out, (uint8_t)s[i]);
    }
    i2i_buf_put_u8_unchecked(out, (uint8_t)q);
    return I2I_OK;
}

int source_quote_ident(i2i_buf *out, const char *name, size_t n, i2i_error *err)
{
    if (!name || n == 0) return i2i_error_set(err, I2I_ERR_INVALID, "empty SQL identifier");
    if (memchr(name, '\0', n)) return i2i_error_set(err, I2I_ERR_INVALID, "SQL identifier contains a NUL byte");
    if (!i2i_utf8_valid(name, n)) return i2i_error_set(err, I2I_ERR_INVALID, "SQL identifier is not valid UTF-8");
    if (put_quoted(out, name, n, '"') != I2I_OK) return i2i_error_nomem(err, "quoting an identifier");
    return I2I_OK;
}

int source_quote_literal(i2i_buf *out, const char *text, size_t n, i2i_error *err)
{
    if (!text && n) return i2i_error_set(err, I2I_ERR_INVALID, "NULL SQL literal");
    if (n && memchr(text, '\0', n)) return i2i_error_set(err, I2I_ERR_INVALID, "SQL string literal contains a NUL byte");
    if (n && !i2i_utf8_valid(text, n)) return i2i_error_set(err, I2I_ERR_INVALID, "SQL string literal is not valid UTF-8");
    if (put_quoted(out, text, n, '\'') != I2I_OK) return i2i_error_nomem(err, "quoting a literal");
    return I2I_OK;
}

/* RFC 3339 with 9 fraction digits and 'Z', like i2i_time_format_rfc3339, but valid over the whole
 * int64 range (i2i_floor_mod overflows within a second of INT64_MIN). */
void src_format_time(int64_t ns, char *out, size_t outsz)
{
    int64_t secs = ns / I2I_NS_PER_S, frac = ns % I2I_NS_PER_S, days, sod, y;
    unsigned m, d;
    if (frac < 0) {
        frac += I2I_NS_PER_S;
        secs -= 1;
    }
    days = i2i_floor_div(secs, 86400);
    sod = secs - days * 86400;
    i2i_civil_from_days(days, &y, &m, &d);
    snprintf(out, outsz, "%04lld-%02u-%02uT%02d:%02d:%02d.%09lldZ", (long long)y, m, d, (int)(sod / 3600),
             (int)(sod / 60 % 60), (int)(sod % 60), (long long)frac);
}

int source_time_literal(i2i_buf *out, int64_t ns, i2i_error *err)
{
    char ts[48];
    src_format_time(ns, ts, sizeof ts);
    if (i2i_buf_printf(out, "'%s'", ts) != I2I_OK) return i2i_error_nomem(err, "formatting a time literal");
    return I2I_OK;
}

/* Append s as the inside of a JSON string. */
int src_json_escape(i2i_buf *b, const char *s, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        int rc;
        if (c == '"') rc = i2i_buf_append(b, "\\\"", 2);
        else if (c == '\\') rc = i2i_buf_append(b, "\\\\", 2);
        else if (c == '\n') rc = i2i_buf_append(b, "\\n", 2);
        else if (c == '\r') rc = i2i_buf_append(b, "\\r", 2);
        else if (c == '\t') rc = i2i_buf_append(b, "\\t", 2);
        else if (c < 0x20) rc = i2i_buf_printf(b, "\\u%04x", c);
        else rc = i2i_buf_put_u8(b, c);
        if (rc != I2I_OK) return rc;
    }
    return I2I_OK;
}
