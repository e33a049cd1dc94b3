/*
 * source: the InfluxDB 3 side. An HTTP client for /api/v3/query_sql that discovers a measurement's
 * schema and streams the rows of a time window, as JSON Lines, straight into a columnar_batch.
 *
 * What it guarantees (the server facts are in /work/shared/specs/influxdb3-api.md):
 *
 *   - Every identifier is double-quoted ("" escapes an embedded quote), every string literal is
 *     single-quoted ('' escapes a quote), times go out as RFC 3339 literals with 'Z'. NUL bytes and
 *     invalid UTF-8 in names are rejected (I2I_ERR_INVALID), never sent.
 *   - Queries are POSTed as JSON {"db","q","format":"jsonl"} (no URL encoding, no URL length
 *     limit). Accept stays libcurl's default (any type), which the server accepts; it
 *     rejects "application/jsonl" there.
 *   - The body is parsed as it arrives (no DOM, no whole response in memory); keys are matched by
 *     name. Memory is bounded by one batch plus one line of the response.
 *   - A truncated body (connection cut, missing final newline, chunked stream without its last
 *     chunk) is a failed query, never a short read.
 *   - The token is registered with i2i_log_add_secret at source_open, kept only inside the
 *     Authorization header list, and never formatted into any message; error messages and logs
 *     are redacted anyway.
 *
 * Errors (i2i_status; every message names the operation, e.g. "query of 'cpu' [a, b)"):
 *   I2I_ERR_AUTH      401/403: the message says to check the token (never contains it). No retry.
 *   I2I_ERR_NOT_FOUND unknown database (404) or measurement (the message lists the tables).
 *   I2I_ERR_HTTP      any other 4xx, a SQL/plan error (400 in 3.10, 500 in <= 3.9), or the file
 *                     limit below min_split_ns; the message carries the status and the server's
 *                     message (JSON "error"/"data" or plain text, cut to ~400 bytes). No retry.
 *   I2I_ERR_TRANSIENT connection errors, timeouts, 5xx, 408, 429, truncated bodies, once the
 *                     bounded retries are used up (or at once when rows of the failing request
 *                     were already handed to on_batch); redoing the whole window is safe.
 *   I2I_ERR_IO        transport errors a retry cannot fix (TLS verification, bad URL, protocol).
 *   I2I_ERR_FORMAT    the body is not the JSONL we expect (bad JSON, wrong value type for a
 *                     column, a row without "time", an unknown key unless ignored).
 *   I2I_ERR_RANGE     an integer that does not fit its column (int64 / uint64).
 *   I2I_ERR_INVALID   bad configuration or argument.
 *   I2I_ERR_UNSUPPORTED a column's data_type we do not know how to copy (names column and type).
 *   A negative status returned by on_batch is returned as is (its message prefixed with the
 *   operation).
 *
 * Transport, timeouts, TLS, retries (the shared jittered backoff, Retry-After, cancellable waits)
 * and redaction are the http layer's (src/http/http.h); this layer adds what is InfluxDB's: the
 * headers, what its error replies mean, SQL text, schema, bounds and the streaming range query.
 *
 * Threading: a `source` is one http client (one libcurl handle, kept-alive connection); use one
 * per thread.
 */
#ifndef I2I_SOURCE_H
#define I2I_SOURCE_H

#include "../columnar/columnar.h"
#include "../util/util.h"

/* ---------------------------------------------------------------- connection */

typedef struct source_config {
    const char *url;      /* base URL, "http://localhost:8181" (a path prefix is kept; trailing
                             '/' ignored). http or https only. */
    const char *database; /* required */
    const char *token;    /* NULL or "" = no Authorization header. Sent as "Bearer <token>". The
                             caller reads it from --token-file or INFLUXDB3_AUTH_TOKEN. */
    long connect_timeout_ms; /* TCP+TLS connect; default 10 000 */
    long query_timeout_ms;   /* total time of one HTTP request (including time spent inside
                                on_batch); default 3 600 000 (1 h); 0 after defaults = none */
    long low_speed_time_s;   /* abort a request that receives < low_speed_bytes/s for this long; */
    long low_speed_bytes;    /*   defaults 300 s and 1 byte/s (ORDER BY time sorts before the first
                                  byte, so be generous) */
    int insecure;            /* 1 = do not verify the TLS certificate or host name (explicit opt-in) */
    const char *ca_file;     /* optional CA bundle for https */
    int max_retries;         /* extra attempts after connection errors, timeouts, 5xx, truncated
                                bodies; default 4 (so at most 5 attempts). 0 = no retry. */
    long retry_base_ms;      /* backoff before retry n (n from 0) is uniform in [d/2, d] with */
    long retry_max_ms;       /*   d = min(retry_max_ms, retry_base_ms * 2^n); defaults 500, 30 000.
                                A Retry-After header raises the delay (still capped by max). */
    int64_t min_split_ns;    /* file-limit splitting stops at this span; default 60 s */
    const volatile int *cancel; /* non-zero stops a retry wait or a request in flight with
                                   I2I_ERR_CANCELLED; may be NULL */
} source_config;

/* Fill every field with its default (url, database, token NULL). Callers set what they need. */
void source_config_defaults(source_config *cfg);

typedef struct source source;

/* Validate and copy the config (strings are copied; the caller may free theirs). The token is
 * registered with i2i_log_add_secret. No network traffic happens here. Every query below (schema,
 * tables, bounds, ranges) retries transient failures as described for source_query_range. */
int source_open(const source_config *cfg, source **out, i2i_error *err);
void source_close(source *s); /* accepts NULL */
/* The base URL as messages may show it (a password in it replaced by "***"). */
const char *source_url(const source *s);

/* ---------------------------------------------------------------- SQL text */

/* Append "name" (embedded '"' doubled) to out. Empty names, NUL bytes and invalid UTF-8 are
 * I2I_ERR_INVALID. Works for any name: quotes, spaces, dots, upper case, non-ASCII. */
int source_quote_ident(i2i_buf *out, const char *name, size_t n, i2i_error *err);
/* Append 'text' (embedded '\'' doubled) to out. NUL bytes and invalid UTF-8 are I2I_ERR_INVALID.
 * Backslash is not special in DataFusion's generic dialect and is copied as is. */
int source_quote_literal(i2i_buf *out, const char *text, size_t n, i2i_error *err);
/* Append '2024-01-02T03:04:05.123456789Z' (always 9 fraction digits, UTC). */
int source_time_literal(i2i_buf *out, int64_t ns, i2i_error *err);

/* ---------------------------------------------------------------- schema */

typedef enum source_role {
    SOURCE_ROLE_TIME = 0, /* the "time" column */
    SOURCE_ROLE_TAG,      /* Dictionary(Int32, Utf8): indexed string */
    SOURCE_ROLE_FIELD
} source_role;

typedef struct source_column {
    char *name;          /* as stored in InfluxDB (exact bytes) */
    char *data_type;     /* the server's spelling, e.g. "Timestamp(ns)" */
    columnar_type type;  /* TIMESTAMP (ns), INT64, UINT64, DOUBLE, BOOL, STRING */
    source_role role;
    int nullable;        /* is_nullable = YES */
} source_column;

typedef struct source_schema {
    char *table;
    size_t ncols;
    source_column *cols; /* server order (sorted by name); the time column is one of them */
    int time_index;      /* index of the time column */
} source_schema;

/* Map an information_schema data_type string. Accepted spellings:
 *   Timestamp(ns) | Timestamp(Nanosecond, None) (and other units / a zone) -> TIMESTAMP
 *   Dictionary(<int>, Utf8|LargeUtf8|Utf8View)                           -> STRING, tag
 *   Utf8 | LargeUtf8 | Utf8View -> STRING; Float64 | Float32 -> DOUBLE; Int64 | Int32 | Int16 |
 *   Int8 -> INT64; UInt64 | UInt32 | UInt16 | UInt8 -> UINT64; Boolean -> BOOL
 * Whitespace is ignored. The role is TIME only for a timestamp column named "time". Returns
 * I2I_ERR_UNSUPPORTED naming the column and the type for anything else. */
int source_map_data_type(const char *column, const char *data_type, columnar_type *type,
                         source_role *role, i2i_error *err);

/* SELECT column_name, data_type, is_nullable FROM information_schema.columns
 *   WHERE table_schema = 'iox' AND table_name = '<table>'
 * I2I_ERR_NOT_FOUND (listing the database's tables) when the measurement does not exist;
 * I2I_ERR_FORMAT when it has no time column. *out is freed with source_schema_free. */
int source_discover_schema(source *s, const char *table, source_schema **out, i2i_error *err);
void source_schema_free(source_schema *schema); /* accepts NULL */
/* Index of a column by exact name, or -1. */
int source_schema_find(const source_schema *schema, const char *name);

/* Names of the user tables (schema 'iox'), sorted; *names is a NULL-terminated array freed with
 * source_strv_free. */
int source_list_tables(source *s, char ***names, size_t *n, i2i_error *err);
void source_strv_free(char **names);
/* I2I_OK when the measurement exists, I2I_ERR_NOT_FOUND with "available: a, b, ..." otherwise. */
int source_check_table(source *s, const char *table, i2i_error *err);

/* MIN(time) and MAX(time) of a table (the backfill defaults). *empty = 1 (min/max untouched)
 * when the table has no rows. A whole-table aggregate scans every Parquet file; when the server
 * refuses it for its file limit, the bounds are found by halving the time range (lower half first
 * for MIN, upper half first for MAX; about two small queries per halving level). */
int source_time_bounds(source *s, const char *table, int64_t *min_ns, int64_t *max_ns, int *empty,
                       i2i_error *err);

/* A batch whose columns are `columns` (names looked up in the schema; NULL = every column) with
 * the schema's types. The time column is always included (added first when not named). */
int source_batch_new(const source_schema *schema, const char *const *columns, size_t ncolumns,
                     size_t capacity, columnar_batch **out, i2i_error *err);

/* ---------------------------------------------------------------- streaming query */

/* Receives a batch that is full (capacity or byte limit) or the last, partial one. The batch is
 * borrowed: read it, copy what must outlive the call; the source clears it after the callback
 * returns. Return 0 to continue, a negative i2i_status (with err set) to stop the query; that
 * status is what source_query_range returns. It runs inside the HTTP transfer (the connection
 * waits meanwhile; its time counts toward query_timeout_ms), so it must not use the same source. */
typedef int (*source_batch_fn)(void *ctx, columnar_batch *b, i2i_error *err);

/* Told once per query, on the caller's thread, when the first byte of the rows' body has arrived
 * (from a read-ahead's buffer or from the query's own request); not at all for an empty body.
 * The server has then planned and sorted this query, so the moment suits sending the next one on
 * another connection (the engine starts its next read-ahead here). It runs inside the transfer, as
 * on_batch does, so it must not use the same source. */
typedef void (*source_first_byte_fn)(void *ctx);

/* Called on the caller's thread while a query read through a read-ahead waits for more of its
 * body (every 50 ms of waiting), so the caller can do work that must not wait for those bytes (the
 * engine commits the previous window there). A negative return stops the query with that status
 * (err set by the callee). Not called while the body is read by the caller's own request. */
typedef int (*source_idle_fn)(void *ctx, i2i_error *err);

typedef enum source_nonfinite {
    SOURCE_NONFINITE_NAN = 0, /* default: store NaN (the value existed and was NaN/+Inf/-Inf) */
    SOURCE_NONFINITE_NULL     /* store NULL */
} source_nonfinite;

typedef struct source_query {
    const char *table;
    /* The batch decides the query: SELECT <every batch column, quoted> FROM <table>
     * WHERE "time" >= <start> AND "time" < <end> ORDER BY "time". JSON keys are matched to batch
     * columns by name; a missing key is NULL. The batch must have a TIMESTAMP column named "time"
     * and be empty; it stays owned by the caller and is empty again on return. */
    columnar_batch *batch;
    int64_t start_ns, end_ns; /* half-open [start, end); start < end */
    size_t max_batch_bytes;   /* also deliver when columnar_batch_bytes() reaches this; 0 = only
                                 when the batch is full */
    int ignore_unknown_keys;  /* 0 (default): a key that is not a batch column (a column added
                                 since discovery) fails the query with I2I_ERR_FORMAT naming it */
    source_nonfinite nonfinite; /* what a JSON null on a DOUBLE column becomes, see below */
    source_batch_fn on_batch;
    source_first_byte_fn on_first_byte; /* optional; gets ctx */
    source_idle_fn on_idle;             /* optional; gets ctx */
    void *ctx;
} source_query;

typedef struct source_query_stats {
    uint64_t rows;           /* rows delivered to on_batch */
    uint64_t batches;        /* on_batch calls */
    uint64_t bytes;          /* response body bytes parsed */
    uint64_t requests;       /* HTTP requests made (attempts, splits included) */
    uint64_t retries;        /* attempts repeated after a transient failure */
    uint64_t splits;         /* ranges halved because of the server's file limit */
    uint64_t nonfinite;      /* DOUBLE values that arrived as JSON null */
    uint64_t *nonfinite_by_col; /* optional, caller-owned array of batch->ncols counters (added to) */
    uint64_t read_ahead;     /* 1 when the rows came from a read-ahead's request (see below) */
    uint64_t read_ahead_dropped; /* read-aheads thrown away (another range, or a failure before
                                    any row was handed out, redone by a request of our own) */
} source_query_stats;

/* Stream every row of [start, end) into q->batch, calling on_batch whenever it is full and once
 * at the end for the rest, in time order. stats may be NULL; counters are added to.
 *
 * Non-finite floats: the server writes NaN, +Inf and -Inf as a present `null` (SQL NULL is an
 * absent key), and the three cannot be told apart. They are counted (stats->nonfinite) and, by
 * default, stored as NaN so the value is not mistaken for a missing one; SOURCE_NONFINITE_NULL
 * stores NULL instead. A `null` on any other column type is stored as NULL.
 *
 * Retries: a transient failure (connection, timeout, 5xx, 408, 429, truncated body) is retried with
 * jittered exponential backoff, up to cfg.max_retries times per request, as long as no batch of
 * that request has been handed to on_batch yet (rows still in the batch are rolled back). After
 * a delivery a retry would duplicate rows, so the query fails with I2I_ERR_TRANSIENT and the
 * caller redoes the window (the engine commits whole windows, so nothing is duplicated).
 *
 * File limit: when the server refuses because the query would scan more Parquet files than its
 * limit ("Query would scan N Parquet files, exceeding the file limit", any status), the range is
 * split in two halves that are queried one after the other (recursively; first half first, so rows
 * still arrive in time order, each exactly once). A range is split only while both halves are at
 * least cfg.min_split_ns long; past that the query fails with I2I_ERR_HTTP quoting the server.
 * Splitting is depth-first, so a range that cannot be served fails after about log2(span /
 * min_split_ns) requests, not after trying every piece.
 *
 * On failure rows already given to on_batch are an incomplete prefix of the window: discard them. */
int source_query_range(source *s, const source_query *q, source_query_stats *stats, i2i_error *err);

/* ---------------------------------------------------------------- read-ahead */

/* A read-ahead fetches the next window's body while the caller is still busy with the current
 * one (finishing its files, committing): its own connection (a second source, since a source is
 * one libcurl handle used by one thread) on a fetch thread, and a bounded buffer. It sends the
 * request as soon as it is started and stores the body as it arrives, up to max_bytes; when the
 * buffer is full it stops reading, so TCP flow control holds the server and memory stays at
 * max_bytes. source_query_range_ahead then parses that buffer, then the rest of the live
 * transfer through it, exactly as if it had sent the request itself.
 *
 * What stays true: a read-ahead's bytes are used only for a query whose request is byte for byte
 * the one it sent (same table, columns and [start, end)), so a window's rows come only from that
 * window's own request. The fetch thread retries transient failures before the first body byte as
 * source_query_range does (backoff, Retry-After); a failure after bytes were buffered, or a
 * refusal for the file limit, is redone by source_query_range_ahead with a request of its own
 * (retries and splitting as usual) as long as no row was handed to on_batch, and is
 * I2I_ERR_TRANSIENT once rows were. Any other failure (auth, SQL, retries used up) is returned
 * as the query's failure, with the same status and message the query would have had.
 *
 * The fetch thread's request counts toward cfg.query_timeout_ms and the low-speed limit from the
 * moment it is started, waiting time in a full buffer included.
 *
 * Threading: one caller thread uses a source_prefetch (start, query, discard, close); the fetch
 * thread is internal and is always joined before those return control of it. Two read-aheads may
 * be used in turn (the replication engine does): while a query reads through one, its
 * on_first_byte may start the next query's request on the other, so that request is planned by
 * the server while the current body is transferred. */
typedef struct source_prefetch source_prefetch;

/* Open a read-ahead with its own connection configured as cfg (cfg->cancel is polled while
 * waiting for its bytes; the fetch itself is stopped through the read-ahead's own flag).
 * max_bytes > 0 bounds the buffered body. log_sink (may be NULL) becomes the fetch thread's log
 * sink (i2i_log_set_thread_sink); it must be thread safe. No network traffic happens here. */
int source_prefetch_open(const source_config *cfg, size_t max_bytes, i2i_log_sink log_sink,
                         void *log_ctx, source_prefetch **out, i2i_error *err);
/* Stop and join the fetch thread (if any), close the connection, free. Accepts NULL. */
void source_prefetch_close(source_prefetch *pf);
/* Start fetching the rows of q (its table, batch columns and [start_ns, end_ns); the batch is
 * only read here, to build the SQL) on the fetch thread. A read-ahead already started is
 * discarded first. Failing to start is an error (nothing is running then). */
int source_prefetch_start(source_prefetch *pf, const source_query *q, i2i_error *err);
/* 1 while a started read-ahead is held (running or finished, not yet used or discarded). */
int source_prefetch_pending(const source_prefetch *pf);
/* 1 when a started read-ahead has its answer: body bytes arrived, or the whole (empty) body. A
 * query through it then has rows to parse without waiting for the server to plan it. */
int source_prefetch_answered(source_prefetch *pf);
/* Throw away a started read-ahead: its transfer is stopped and its thread joined. */
void source_prefetch_discard(source_prefetch *pf);

/* source_query_range, using pf's read-ahead when it holds exactly this query (the read-ahead is
 * consumed), discarding it otherwise. pf may be NULL (= source_query_range). stats->read_ahead
 * and read_ahead_dropped say what happened. */
int source_query_range_ahead(source *s, source_prefetch *pf, const source_query *q,
                             source_query_stats *stats, i2i_error *err);

/* ---------------------------------------------------------------- small extras */

/* Run any SQL and collect the JSONL body (capped at 64 MiB) into out (cleared first). For tools
 * and tests; the replication path uses source_query_range. */
int source_query_raw(source *s, const char *sql, i2i_buf *out, i2i_error *err);

/* POST line protocol to /api/v3/write_lp?db=<database>&precision=<precision> (NULL = "auto").
 * For tests and tools: not retried. 204 = I2I_OK. */
int source_write_lp(source *s, const char *lp, size_t n, const char *precision, i2i_error *err);

#endif /* I2I_SOURCE_H */
