/*
 * source internals shared by its files: source.c (connection, InfluxDB's error quirks, small
 * queries), quote.c (SQL and JSON text), schema.c (tables, columns, batches), bounds.c (MIN/MAX
 * of time) and range.c (the streaming range query). Not a public header.
 */
#ifndef I2I_SOURCE_INTERNAL_H
#define I2I_SOURCE_INTERNAL_H

#include <jansson.h>

#include "../http/http.h"
#include "source.h"

struct source {
    char *base;  /* URL without trailing '/' */
    char *shown; /* base as messages show it (http_redact_url: no password) */
    char *database;
    char *query_url;
    int has_token;
    http_headers *json_headers;
    http_headers *lp_headers;
    http_client *http;
    int64_t min_split_ns;
};

/* Per request: what InfluxDB's reply meant beyond the generic HTTP classes. */
typedef struct src_reply_info {
    int file_limit; /* refused for the per-query file limit: split the range and retry */
} src_reply_info;

/* A request to /api/v3/query_sql with InfluxDB's classification and the standard retries. */
int src_query(source *s, const char *body, size_t body_len, const http_sink *sink, const char *what,
              src_reply_info *info, http_stats *stats, i2i_error *err);

/* {"db": <database>, "q": <sql>, "format": "jsonl"} into body (cleared first). */
int src_query_body(source *s, const char *sql, size_t sql_len, i2i_buf *body, i2i_error *err);

/* Run sql and collect the whole answer in out (small answers only). info may be NULL. */
int src_query_collect(source *s, const char *sql, const char *what, i2i_buf *out,
                      src_reply_info *info, i2i_error *err);

/* Call fn for every JSON object line of a collected body. */
int src_for_each_line(const i2i_buf *body, const char *what,
                      int (*fn)(void *ctx, json_t *row, i2i_error *err), void *ctx, i2i_error *err);

/* The range query's SQL: "SELECT <batch columns> FROM <table> WHERE "time" >= " appended to
 * prefix, then per range the request body {"db","q","format"} for [start, end) (sql is scratch).
 * The read-ahead builds its request with the same two, so equal bodies mean the same query. */
int src_range_prefix(const columnar_batch *b, const char *table, i2i_buf *prefix, i2i_error *err);
int src_range_body(source *s, const i2i_buf *prefix, int64_t start, int64_t end, i2i_buf *sql,
                   i2i_buf *body, i2i_error *err);

/* The read-ahead's side of source_query_range_ahead (prefetch.c). */
struct jsonl_parser;
/* 1 when pf holds a started read-ahead whose request body is `body`. */
int src_prefetch_matches(const source_prefetch *pf, const i2i_buf *body);
/* Feed the read-ahead's body to parser (mark first), join its thread and add its requests and
 * retries to stats. on_data(data_ctx) (may be NULL) is called before the first byte is parsed,
 * on_idle(data_ctx, err) (may be NULL) while it waits for bytes (source_idle_fn).
 * I2I_OK with *redo = 1: it failed before any row was handed out in a way our own request should
 * redo (file limit, a transient cut after bytes arrived). Any other failure is the query's,
 * returned as the query would have returned it. */
int src_prefetch_consume(source_prefetch *pf, struct jsonl_parser *parser, void (*on_data)(void *),
                         source_idle_fn on_idle, void *data_ctx, int *redo, http_stats *stats,
                         i2i_error *err);

/* RFC 3339 with 9 fraction digits and 'Z', valid over the whole int64 range. out >= 48 bytes. */
void src_format_time(int64_t ns, char *out, size_t outsz);
/* Append s as the inside of a JSON string. */
int src_json_escape(i2i_buf *b, const char *s, size_t n);
/* Case-insensitive substring test. */
int src_contains_ci(const char *hay, const char *needle);

#endif /* I2I_SOURCE_INTERNAL_H */
