/*
 * libinflux2iceberg: the replication engine as a shared library, for the InfluxDB 3 Processing
 * Engine drop-in plugin (plugin/influxdb_to_iceberg.py loads it with ctypes) and any other host.
 * This header is the whole public API; every other symbol of the library is hidden.
 *
 * Calls take the plugin's arguments as one JSON object (text) and return one JSON object (text).
 * Errors are values, never aborts or exceptions: every call returns a result object, and only an
 * out-of-memory failure while building it returns NULL.
 *
 *   Success: {"ok": true,  "status": 200, "task_id": "…", "message": "…", "summary": {…}}
 *   Failure: {"ok": false, "status": 400|500, "task_id": "…", "error": "<kind>",
 *             "message": "<readable, secrets redacted>", "summary": {…}?}
 *
 *   status   400 = the arguments are wrong (missing/invalid key, unknown measurement or column,
 *            bad catalog_configs, unsupported catalog type): fix the trigger or the request;
 *            409 = this stream is being copied by another call right now (see Threads);
 *            500 = the run failed (InfluxDB or storage unreachable, commit failed, refused token…).
 *   error    short stable kind: "invalid", "not_found", "auth", "io", "http", "busy", …
 *   summary  the run's figures (same keys as `influx2iceberg replicate --json`): source_measurement,
 *            target_table, mode, time_range, source_id, run_id, total_batches, committed_batches,
 *            skipped_batches, empty_batches, total_written_records, data_files, bytes_written,
 *            snapshots, timestamps_truncated_to_us, nonfinite_values, columns_added, table_created,
 *            execution_time_seconds. On a failure it is present once the run has started, and tells
 *            how many windows were committed before the failure (a rerun continues after them).
 *
 * Arguments: the keys of src/replicate/job.h (the plugin's names: measurement, catalog_configs,
 * included_fields, excluded_fields, namespace, table_name, batch_size, backfill_start,
 * backfill_end, window, auto_update_schema; ours: host, database, token, lag, format_version,
 * partition_by, base_dir, tls_insecure). catalog_configs is required, as in the plugin. host,
 * database and token fall back to INFLUXDB3_HOST_URL, INFLUXDB3_DATABASE_NAME and
 * INFLUXDB3_AUTH_TOKEN. The token and credential-like catalog values are registered with the
 * logger's redaction list and never appear in a log line or a message.
 *
 * Logging: every line the engine logs while a call runs, on the calling thread, goes to that
 * call's `log` callback (level INFLUX2ICEBERG_LOG_*, text prefixed with "[<task_id>] "), never
 * to another call's. With log == NULL the lines go to the process-wide logger (stderr).
 *
 * Threads: calls are independent and may run at the same time on different threads (two
 * triggers); nothing of a call lives in global state. The one shared thing is a process-wide,
 * mutex-protected list of the streams being copied right now: a call for a stream (source id +
 * target table + catalog) that another call in this process is still copying does not start:
 *   scheduled call -> ok, "skipped": true, a WARN line (the next call catches up);
 *   request        -> status 409, error "busy".
 * (Two copies of one stream at once could both commit the same window; the table's committed
 * ranges only protect runs that start after a commit.) A call blocks its thread until the run
 * ends; the callback runs on that thread.
 */
#ifndef INFLUX2ICEBERG_H
#define INFLUX2ICEBERG_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define INFLUX2ICEBERG_API_VERSION 1

#define INFLUX2ICEBERG_LOG_DEBUG 0
#define INFLUX2ICEBERG_LOG_INFO 1
#define INFLUX2ICEBERG_LOG_WARN 2
#define INFLUX2ICEBERG_LOG_ERROR 3

/* Receives one log line (UTF-8, no trailing newline, already redacted) of the call it was given
 * to. Called on the thread that made the call, while the call runs. Return 0 to go on; non-zero
 * asks the run to stop (e.g. the host is shutting down): it stops before the next batch, the
 * window in progress is not committed, and the call returns error "cancelled" (status 500). */
typedef int (*influx2iceberg_log_fn)(void *ctx, int level, const char *line);

/* INFLUX2ICEBERG_API_VERSION of the library (compare with the header you built against). */
int influx2iceberg_api_version(void);
/* "0.1.0 (build <git>)"; static storage. */
const char *influx2iceberg_version(void);

/*
 * A scheduled trigger's call (process_scheduled_call): an *incremental* run. It resumes at the
 * end of the ranges already committed for this stream (table property
 * influx2iceberg.ranges.<source-id>) and copies up to now - lag (default 1min), so successive
 * calls never copy a row twice whatever the trigger period. `window` (required) is the lookback
 * of the very first call only. backfill_start / backfill_end are refused here (400): use
 * influx2iceberg_replicate_request for a backfill.
 * call_time_ns: the call's scheduled time (ns since the epoch), logged; 0 = not given.
 */
char *influx2iceberg_scheduled_call(const char *args_json, int64_t call_time_ns,
                                    influx2iceberg_log_fn log, void *log_ctx);

/*
 * An HTTP request trigger's call (process_request): a *backfill* of [backfill_start or the
 * oldest row, backfill_end or just after the newest row (at most now - lag)) in batch_size
 * windows (default 1d), each committed once; windows committed by earlier runs are skipped, so
 * repeating a request adds nothing. `window` is refused here (400).
 */
char *influx2iceberg_replicate_request(const char *args_json, influx2iceberg_log_fn log,
                                       void *log_ctx);

/* Free a result returned by the calls above (NULL is fine). */
void influx2iceberg_free(char *result);

#ifdef __cplusplus
}
#endif

#endif /* INFLUX2ICEBERG_H */
