/* MIN(time) and MAX(time) of a measurement (the backfill defaults), falling back to a halving
 * search when a whole-table aggregate exceeds the server's per-query file limit. */
#include <stdio.h>

#include "source_internal.h"

/* ---------------------------------------------------------------- time bounds */

typedef struct bounds_ctx {
    const char *lo_key, *hi_key;
    int64_t lo, hi;
    int have_lo, have_hi;
} bounds_ctx;

static int json_time(json_t *v, int64_t *ns, i2i_error *err)
{
    if (json_is_integer(v)) {
        *ns = (int64_t)json_integer_value(v);
        return I2I_OK;
    }
    if (json_is_string(v)) return i2i_time_parse(json_string_value(v), json_string_length(v), 0, ns, err);
    return i2i_error_set(err, I2I_ERR_FORMAT, "expected a time value");
}

static int bounds_row(void *ctx, json_t *row, i2i_error *err)
{
    bounds_ctx *b = ctx;
    json_t *lo = json_object_get(row, b->lo_key), *hi = json_object_get(row, b->hi_key);
    if (lo && !json_is_null(lo)) {
        I2I_TRY(json_time(lo, &b->lo, err));
        b->have_lo = 1;
    }
    if (hi && !json_is_null(hi)) {
        I2I_TRY(json_time(hi, &b->hi, err));
        b->have_hi = 1;
    }
    return I2I_OK;
}

static int bounds_query(source *s, const char *sql, const char *what, bounds_ctx *b, src_reply_info *info,
                        i2i_error *err)
{
    i2i_buf body = I2I_BUF_INIT;
    int rc = src_query_collect(s, sql, what, &body, info, err);
    if (rc == I2I_OK) rc = src_for_each_line(&body, what, bounds_row, b, err);
    i2i_buf_free(&body);
    return rc;
}

/* Smallest (want_min) or largest time in the closed range [lo, hi]. When the server refuses
 * because of its per-query file limit, halve the range and look in the more promising half first
 * (lower for MIN, upper for MAX): at most about two queries per halving level. */
static int bound_search(source *s, const i2i_buf *qt, int64_t lo, int64_t hi, int want_min, int64_t *out,
                        int *found, const char *what, i2i_error *err)
{
    i2i_buf sql = I2I_BUF_INIT;
    bounds_ctx b = {"t", "t", 0, 0, 0, 0};
    src_reply_info info = {0};
    int rc;
    *found = 0;
    if (i2i_buf_printf(&sql, "SELECT %s(\"time\") AS t FROM %.*s WHERE \"time\" >= ", want_min ? "MIN" : "MAX",
                       (int)qt->len, (const char *)qt->data) != I2I_OK) {
        i2i_buf_free(&sql);
        return i2i_error_nomem(err, "building a query");
    }
    rc = source_time_literal(&sql, lo, err);
    if (rc == I2I_OK && i2i_buf_append_str(&sql, " AND \"time\" <= ") != I2I_OK) rc = i2i_error_nomem(err, "building a query");
    if (rc == I2I_OK) rc = source_time_literal(&sql, hi, err);
    if (rc == I2I_OK) rc = bounds_query(s, i2i_buf_cstr(&sql), what, &b, &info, err);
    i2i_buf_free(&sql);
    if (rc == I2I_OK) {
        *found = want_min ? b.have_lo : b.have_hi;
        *out = want_min ? b.lo : b.hi;
        return I2I_OK;
    }
    if (!info.file_limit) return rc;
    {
        uint64_t span = (uint64_t)hi - (uint64_t)lo;
        int64_t mid = (int64_t)((uint64_t)lo + span / 2);
        if (span < 2 || span / 2 < (uint64_t)s->min_split_ns)
            return i2i_error_wrap(err, "the server's per-query file limit is exceeded even for a %.3f s range",
                                  (double)span / 1e9);
        if (want_min) {
            I2I_TRY(bound_search(s, qt, lo, mid, 1, out, found, what, err));
            if (*found) return I2I_OK;
            return bound_search(s, qt, mid + 1, hi, 1, out, found, what, err);
        }
        I2I_TRY(bound_search(s, qt, mid + 1, hi, 0, out, found, what, err));
        if (*found) return I2I_OK;
        return bound_search(s, qt, lo, mid, 0, out, found, what, err);
    }
}

int source_time_bounds(source *s, const char *table, int64_t *min_ns, int64_t *max_ns, int *empty,
                       i2i_error *err)
{
    i2i_buf sql = I2I_BUF_INIT, qt = I2I_BUF_INIT;
    bounds_ctx b = {"min_time", "max_time", 0, 0, 0, 0};
    src_reply_info info = {0};
    int rc;
    char what[300];

    if (!s || !table || !min_ns || !max_ns || !empty)
        return i2i_error_set(err, I2I_ERR_INVALID, "source_time_bounds: NULL argument");
    *empty = 1;
    snprintf(what, sizeof what, "reading the time range of '%.200s'", table);
    I2I_TRY_GOTO(source_quote_ident(&qt, table, strlen(table), err), rc, out);
    if (i2i_buf_printf(&sql, "SELECT MIN(\"time\") AS min_time, MAX(\"time\") AS max_time FROM %.*s",
                       (int)qt.len, (const char *)qt.data) != I2I_OK) {
        rc = i2i_error_nomem(err, "building a query");
        goto out;
    }
    rc = bounds_query(s, i2i_buf_cstr(&sql), what, &b, &info, err);
    if (rc < 0 && info.file_limit) {
        /* A whole-table aggregate scans every Parquet file and can exceed the file limit. */
        I2I_INFO("InfluxDB: %s exceeds the server's file limit; searching by halving the range", what);
        I2I_TRY_GOTO(bound_search(s, &qt, INT64_MIN, INT64_MAX, 1, &b.lo, &b.have_lo, what, err), rc, out);
        if (b.have_lo)
            I2I_TRY_GOTO(bound_search(s, &qt, b.lo, INT64_MAX, 0, &b.hi, &b.have_hi, what, err), rc, out);
        rc = I2I_OK;
    }
    if (rc == I2I_ERR_NOT_FOUND && !src_contains_ci(err ? err->msg : "", "database '")) {
        int rc2 = source_check_table(s, table, err);
        if (rc2 == I2I_OK) rc2 = i2i_error_set(err, I2I_ERR_NOT_FOUND, "%s: not found", what);
        rc = rc2;
    }
    if (rc < 0) goto out;
    if (b.have_lo && b.have_hi) {
        *min_ns = b.lo;
        *max_ns = b.hi;
        *empty = 0;
    }
    rc = I2I_OK;
out:
    i2i_buf_free(&sql);
    i2i_buf_free(&qt);
    return rc;
}
