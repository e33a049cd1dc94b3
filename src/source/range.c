/* The streaming range query: one window's rows, parsed as they arrive into the caller's batch,
 * with the range halved when the server refuses it for its per-query file limit. */
#include <stdio.h>

#include "jsonl.h"
#include "source_internal.h"

/* ---------------------------------------------------------------- streaming range query */

typedef struct range_ctx {
    source *s;
    const source_query *q;
    jsonl_parser *parser;
    i2i_buf prefix; /* SELECT ... WHERE "time" >= */
    i2i_buf sql, body;
    source_query_stats *stats;
    http_stats http;
    uint64_t splits;
    uint64_t read_ahead, dropped; /* the read-ahead was used / thrown away */
    int first_byte;               /* q->on_first_byte was called */
} range_ctx;

/* q->on_first_byte, once for the whole query: a redo or a split's next half is the same query. */
static void note_first_byte(void *ctx)
{
    range_ctx *r = ctx;
    if (r->first_byte) return;
    r->first_byte = 1;
    if (r->q->on_first_byte) r->q->on_first_byte(r->q->ctx);
}

static int range_idle(void *ctx, i2i_error *err)
{
    range_ctx *r = ctx;
    return r->q->on_idle(r->q->ctx, err);
}

static int range_sink(void *ctx, const char *data, size_t n, i2i_error *err)
{
    range_ctx *r = ctx;
    if (n > 0) note_first_byte(r);
    return jsonl_parser_feed(r->parser, data, n, err);
}

static int range_end(void *ctx, i2i_error *err)
{
    range_ctx *r = ctx;
    return jsonl_parser_finish(r->parser, err);
}

static void range_mark(void *ctx)
{
    range_ctx *r = ctx;
    jsonl_parser_mark(r->parser);
}

static int range_rollback(void *ctx)
{
    range_ctx *r = ctx;
    return jsonl_parser_rollback(r->parser);
}

int src_range_prefix(const columnar_batch *b, const char *table, i2i_buf *prefix, i2i_error *err)
{
    size_t i;
    int rc = i2i_buf_append_str(prefix, "SELECT ") == I2I_OK ? I2I_OK : I2I_ERR_NOMEM;
    for (i = 0; i < b->ncols && rc == I2I_OK; i++) {
        if (i && i2i_buf_append_str(prefix, ", ") != I2I_OK) rc = I2I_ERR_NOMEM;
        if (rc == I2I_OK) rc = source_quote_ident(prefix, b->cols[i].name, strlen(b->cols[i].name), err);
    }
    if (rc == I2I_OK && i2i_buf_append_str(prefix, " FROM ") != I2I_OK) rc = I2I_ERR_NOMEM;
    if (rc == I2I_OK) rc = source_quote_ident(prefix, table, strlen(table), err);
    if (rc == I2I_OK && i2i_buf_append_str(prefix, " WHERE \"time\" >= ") != I2I_OK) rc = I2I_ERR_NOMEM;
    if (rc == I2I_ERR_NOMEM) i2i_error_nomem(err, "building a query");
    return rc;
}

int src_range_body(source *s, const i2i_buf *prefix, int64_t start, int64_t end, i2i_buf *sql,
                   i2i_buf *body, i2i_error *err)
{
    i2i_buf_reset(sql);
    if (i2i_buf_append(sql, prefix->data, prefix->len) != I2I_OK) return i2i_error_nomem(err, "building a query");
    I2I_TRY(source_time_literal(sql, start, err));
    if (i2i_buf_append_str(sql, " AND \"time\" < ") != I2I_OK) return i2i_error_nomem(err, "building a query");
    I2I_TRY(source_time_literal(sql, end, err));
    if (i2i_buf_append_str(sql, " ORDER BY \"time\"") != I2I_OK) return i2i_error_nomem(err, "building a query");
    return src_query_body(s, (const char *)sql->data, sql->len, body, err);
}

static int query_range_rec(range_ctx *r, int64_t start, int64_t end, int depth, i2i_error *err)
{
    source *s = r->s;
    http_sink sink = {range_sink, range_end, range_mark, range_rollback, r};
    src_reply_info info = {0};
    char what[400], a[48], b[48];
    int rc;

    src_format_time(start, a, sizeof a);
    src_format_time(end, b, sizeof b);
    snprintf(what, sizeof what, "query of '%.200s' [%s, %s)", r->q->table, a, b);
    I2I_TRY(src_range_body(s, &r->prefix, start, end, &r->sql, &r->body, err));
    I2I_DEBUG("InfluxDB: %s", what);
    rc = src_query(s, (const char *)r->body.data, r->body.len, &sink, what, &info, &r->http, err);
    if (rc == I2I_OK || !info.file_limit) return rc;

    /* The server refused: too many Parquet files for one query. Halve the range. */
    {
        uint64_t span = (uint64_t)end - (uint64_t)start;
        int64_t mid = (int64_t)((uint64_t)start + span / 2);
        if (span / 2 < (uint64_t)s->min_split_ns || mid <= start) {
            return i2i_error_wrap(err, "the server's per-query file limit is exceeded even for a %.3f s "
                                       "range (minimum split %.3f s); raise the server's --query-file-limit "
                                       "or compact", (double)span / 1e9, (double)s->min_split_ns / 1e9);
        }
        r->splits++;
        I2I_INFO("InfluxDB: %s exceeds the server's file limit; splitting at depth %d", what, depth + 1);
        I2I_TRY(query_range_rec(r, start, mid, depth + 1, err));
        return query_range_rec(r, mid, end, depth + 1, err);
    }
}

/* The whole range from the read-ahead when it sent exactly this request; otherwise (or when it
 * failed before any row was used and says to query again) by our own requests. */
static int query_range_top(range_ctx *r, source_prefetch *pf, i2i_error *err)
{
    int rc, redo = 0;
    if (pf && source_prefetch_pending(pf)) {
        rc = src_range_body(r->s, &r->prefix, r->q->start_ns, r->q->end_ns, &r->sql, &r->body, err);
        if (rc < 0) return rc;
        if (src_prefetch_matches(pf, &r->body)) {
            rc = src_prefetch_consume(pf, r->parser, note_first_byte, r->q->on_idle ? range_idle : NULL,
                                      r, &redo, &r->http, err);
            if (!redo) {
                r->read_ahead = 1;
                return rc;
            }
        } else {
            source_prefetch_discard(pf);
        }
        r->dropped++;
    }
    return query_range_rec(r, r->q->start_ns, r->q->end_ns, 0, err);
}

int source_query_range(source *s, const source_query *q, source_query_stats *stats, i2i_error *err)
{
    return source_query_range_ahead(s, NULL, q, stats, err);
}

int source_query_range_ahead(source *s, source_prefetch *pf, const source_query *q,
                             source_query_stats *stats, i2i_error *err)
{
    range_ctx r;
    jsonl_config jc;
    columnar_batch *b;
    size_t i;
    int rc, time_col;
    const jsonl_stats *js;

    if (!s || !q || !q->batch || !q->table || !q->on_batch)
        return i2i_error_set(err, I2I_ERR_INVALID, "source_query_range: table, batch and on_batch are required");
    b = q->batch;
    if (q->start_ns >= q->end_ns)
        return i2i_error_set(err, I2I_ERR_INVALID, "query of '%s': empty time range (start >= end)", q->table);
    time_col = columnar_batch_find(b, "time");
    if (time_col < 0 || b->cols[time_col].type != COLUMNAR_TIMESTAMP)
        return i2i_error_set(err, I2I_ERR_INVALID, "query of '%s': the batch needs a timestamp column 'time'", q->table);
    if (b->nrows != 0)
        return i2i_error_set(err, I2I_ERR_INVALID, "query of '%s': the batch must be empty", q->table);

    memset(&r, 0, sizeof r);
    r.s = s;
    r.q = q;
    r.stats = stats;
    memset(&jc, 0, sizeof jc);
    jc.batch = b;
    jc.max_batch_bytes = q->max_batch_bytes;
    jc.ignore_unknown_keys = q->ignore_unknown_keys;
    jc.nonfinite_as_null = q->nonfinite == SOURCE_NONFINITE_NULL;
    jc.time_col = time_col;
    jc.on_batch = q->on_batch;
    jc.ctx = q->ctx;
    I2I_TRY(jsonl_parser_new(&jc, &r.parser, err));

    rc = src_range_prefix(b, q->table, &r.prefix, err);
    if (rc == I2I_OK) rc = query_range_top(&r, pf, err);
    else if (pf) source_prefetch_discard(pf);
    if (rc == I2I_OK) rc = jsonl_parser_flush(r.parser, err);
    if (rc == I2I_ERR_NOT_FOUND && err && src_contains_ci(err->msg, "table '")) {
        /* Unknown measurement: replace DataFusion's message with the list of tables. */
        i2i_error e2;
        int rc2 = source_check_table(s, q->table, &e2);
        if (rc2 == I2I_ERR_NOT_FOUND) *err = e2;
    }
    js = jsonl_parser_stats(r.parser);
    if (stats) {
        stats->rows += js->rows;
        stats->batches += js->batches;
        stats->bytes += js->bytes;
        stats->requests += r.http.requests;
        stats->retries += r.http.retries;
        stats->splits += r.splits;
        stats->read_ahead += r.read_ahead;
        stats->read_ahead_dropped += r.dropped;
        stats->nonfinite += js->nonfinite;
        if (stats->nonfinite_by_col) {
            for (i = 0; i < b->ncols; i++) stats->nonfinite_by_col[i] += js->nonfinite_by_col[i];
        }
    }
    if (js->nonfinite > 0) {
        I2I_WARN("InfluxDB: %llu float value(s) of '%s' arrived as JSON null (NaN, +Inf or -Inf; the "
                 "server does not say which); stored as %s", (unsigned long long)js->nonfinite, q->table,
                 q->nonfinite == SOURCE_NONFINITE_NULL ? "NULL" : "NaN");
    }
    if (rc < 0) jsonl_parser_reset(r.parser);
    jsonl_parser_free(r.parser);
    i2i_buf_free(&r.prefix);
    i2i_buf_free(&r.sql);
    i2i_buf_free(&r.body);
    return rc;
}
