/*
 * A replication job: what to copy (InfluxDB side), where to (Iceberg side) and which time span,
 * built from the plugin's argument names so the CLI, the HTTP service and the Processing Engine
 * plugin share one parser and one set of defaults and error messages.
 *
 * Keys (plugin names first; ours after):
 *   measurement        required
 *   catalog_configs    object, JSON text, or base64 JSON text (as the plugin takes it);
 *                      absent = embedded default (SQLite catalog + local warehouse ./warehouse)
 *   included_fields    array of names or "a.b.c" (dot-separated, the plugin's trigger form)
 *   excluded_fields    same
 *   namespace          default "default"
 *   table_name         default = measurement
 *   batch_size         window length of a backfill, default "1d" (units s, min, h, d, w)
 *   backfill_start     ISO 8601 with zone; default MIN(time) of the measurement
 *   backfill_end       ISO 8601 with zone; default: just after the newest row, at most now - lag
 *   window             scheduled mode: lookback of the first run (later runs resume)
 *   auto_update_schema bool (or "true"/"false"): add new source columns to the table
 *   format_version     2 (default) or 3
 *   partition_by       day (default), hour, month, year, none: for new tables only
 *   host, database     InfluxDB 3 URL and database (defaults from INFLUXDB3_HOST_URL,
 *                      INFLUXDB3_DATABASE_NAME)
 *   token              only from trusted callers (plugin trigger arguments); the CLI reads
 *                      --token-file or INFLUXDB3_AUTH_TOKEN. Never logged.
 *   lag                scheduled mode: stay this far behind now so rows the server is still
 *                      persisting are not cut off (default "1min")
 *   threads            threads for one run (default: the online cores, at most 64); 1 = one
 *                      thread; 2 or more = fetching and parsing on the calling thread while a
 *                      writer thread encodes, compresses and stores (more are not used yet)
 *   read_ahead_bytes   bound of the read-ahead's memory: the next window's request goes out as
 *                      soon as the current window's first byte arrived, and its body is buffered
 *                      in one of two rings of half this size each (the other carries the current
 *                      window) while the current window is read, written and committed (default
 *                      4 MiB when threads >= 2, else 0); 0 = off. A whole number of bytes, at
 *                      most 1 GiB.
 */
#ifndef I2I_REPLICATE_JOB_H
#define I2I_REPLICATE_JOB_H

#include <jansson.h>

#include "../util/util.h"

typedef struct replicate_job {
    char *host;
    char *database;
    char *token;        /* secret; registered for redaction */
    int tls_insecure;   /* 1 = do not verify TLS (explicit opt-in) */
    char *measurement;
    char **included;    /* NULL-terminated or NULL */
    char **excluded;
    json_t *catalog_configs; /* owned; NULL = embedded default */
    char *base_dir;     /* relative catalog paths resolve here (NULL = cwd) */
    char *default_warehouse; /* embedded default location ("./warehouse") */
    char *namespace_;
    char *table_name;
    int64_t batch_ns;
    int has_start, has_end;
    int64_t start_ns, end_ns;
    int has_window;
    int64_t window_ns;
    int64_t lag_ns;
    int auto_update_schema;
    int format_version;
    char *partition_by;
    int threads; /* >= 1 */
    size_t read_ahead_bytes; /* 0 = no read-ahead */
} replicate_job;

/* The largest read_ahead_bytes accepted (1 GiB), and the default for a thread count. */
#define REPLICATE_READ_AHEAD_MAX ((int64_t)1 << 30)
size_t replicate_default_read_ahead(int threads);

/* Build a job from plugin-style arguments. env_lookup returns environment values (getenv when
 * NULL is passed). Every problem is reported as I2I_ERR_INVALID naming the key and the value. */
typedef const char *(*replicate_env_lookup)(const char *name);
int replicate_job_from_json(const json_t *args, replicate_env_lookup env, replicate_job *job,
                            i2i_error *err);
void replicate_job_free(replicate_job *job);

/* The default of `threads`: the online cores, 1..64. */
int replicate_default_threads(void);

/* catalog_configs as the plugin accepts it: an object, JSON text, or base64 of JSON text; also
 * "@path" to read a file (CLI convenience). Returns a new reference. */
int replicate_parse_catalog_configs(const char *text, json_t **out, i2i_error *err);

/* Field lists: a JSON array of strings or a dot-separated string. */
int replicate_parse_field_list(const json_t *v, const char *key, char ***out, i2i_error *err);
void replicate_free_field_list(char **list);

#endif
