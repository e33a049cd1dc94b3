/*
 * replicate: the product's main job. Copies one InfluxDB 3 measurement into one Iceberg table,
 * window by window, each window committed exactly once.
 *
 *   replicate_run(job, hooks, &result, err)
 *
 * Mode: a job with `window` and no backfill_start/backfill_end is *incremental* (what scheduled
 * triggers run): it resumes at the end of the last committed range, or at now - window on the
 * first run, and stops at now - lag. Anything else is a *backfill* of [backfill_start or MIN(time),
 * backfill_end or min(MAX(time) + 1ns, now - lag)).
 *
 * Windows are aligned to multiples of batch_size since the epoch (the first and last may be
 * shorter), so with the default 1d windows and day partitions each window fills whole partitions.
 *
 * Exactly once (design.md §4): a stream is identified by a source id (hash of host, database,
 * measurement and the include/exclude lists). Each commit carries, atomically with its data files,
 * snapshot summary keys (influx2iceberg.source-id, .window-start, .window-end, .run-id, .version)
 * and the merged list of committed ranges in the table property influx2iceberg.ranges.<source-id>.
 * Windows already covered are skipped, partly covered ones trimmed; an empty window still advances
 * the range with a properties-only commit, so it is never queried again. A crash before a commit
 * leaves nothing visible (data files carry the run id in their names); a crash after it is seen on
 * the next run through the property. Two runs of the same stream at once (an overlapping trigger,
 * a manual backfill) race per window: the range property is merged against the head each commit
 * attempt lands on, and a commit whose window that head already covers, even partly, is refused;
 * the loser drops its files and continues with whatever is left of the window.
 *
 * Threads: job->threads >= 2 parses on the calling thread while one writer thread encodes,
 * compresses and stores (docs/architecture.md, "The write pipeline"); the files are the same
 * bytes as with 1. The writer thread also finishes each part's files, and the caller commits
 * the part between two batches of the next one (strictly in order: the next part's events are
 * held back until then, and it is dropped if that commit fails or loses a race). Event hooks,
 * cancel checks and commits stay on the calling thread; the fault hook's "data-file.close" and
 * the data files' "storage.*" points may be called from the writer thread (never concurrently
 * with another call of the hook). job->read_ahead_bytes > 0 keeps the next window's request in flight: two
 * read-aheads (fetch threads, source.h "read-ahead") take turns, the next window's request sent
 * as soon as the current window's first byte arrived and its body buffered in a ring of half of
 * read_ahead_bytes while the current one is read live through the other; windows are still
 * parsed, written and committed in order, one request's rows per window, and every thread is
 * joined before replicate_run returns.
 *
 * Memory: one column batch (rows_per_batch rows; four with the write pipeline) + the Parquet
 * writers' compressed row groups + read_ahead_bytes; never proportional to a window.
 */
#ifndef I2I_REPLICATE_H
#define I2I_REPLICATE_H

#include "job.h"

typedef enum replicate_event {
    REPLICATE_EVENT_START = 0,     /* job validated, table opened, range decided */
    REPLICATE_EVENT_WINDOW_BEGIN,  /* about to query a window part */
    REPLICATE_EVENT_BATCH,         /* a batch of rows was written to data files */
    REPLICATE_EVENT_BEFORE_COMMIT, /* data files written, commit not yet sent */
    REPLICATE_EVENT_COMMITTED,     /* window part committed */
    REPLICATE_EVENT_SKIPPED,       /* window already committed by an earlier run */
    REPLICATE_EVENT_DONE
} replicate_event;

typedef struct replicate_progress {
    replicate_event event;
    int64_t range_start, range_end;   /* the whole run */
    int64_t window_start, window_end; /* the current window part */
    int64_t windows_total, windows_done, windows_skipped;
    int64_t rows, files, bytes;
    int64_t elapsed_ns;
} replicate_progress;

typedef struct replicate_hooks {
    /* Called at every event; a negative return stops the run with that status (err may be set). */
    int (*on_event)(void *ctx, const replicate_progress *p, i2i_error *err);
    void *ctx;
    volatile int *cancel;   /* checked between batches and in retry waits; non-zero stops with
                               I2I_ERR_CANCELLED */
    size_t rows_per_batch;  /* 0 = 16384 */
    /* Tests: fault injection for this run only, handed to the catalog (catalog_set_fault: the
     * "sql.*" and "rest.*" points, and through it the storage's "storage.*" and "s3.*") and the
     * data writer ("data-file.close"); the run's own point is "replicate.before-commit" (a
     * window's data files written, its commit not sent). NULL in production. */
    const i2i_fault *fault;
} replicate_hooks;

typedef struct replicate_result {
    char source_id[17];
    char run_id[48];
    int incremental;
    int nothing_to_do;          /* empty measurement, or the range is already committed */
    int table_created;
    int columns_added;
    int64_t range_start, range_end;
    int64_t windows_total, windows_committed, windows_skipped, windows_empty;
    int64_t rows, files, bytes, snapshots;
    int64_t timestamps_truncated; /* ns values that lost digits in a µs table */
    int64_t nonfinite;            /* NaN/±Inf values (arrive as JSON null) */
    int64_t commit_conflicts;
    int64_t read_ahead_used;    /* window parts whose rows came from a request sent ahead */
    int64_t read_ahead_dropped; /* requests sent ahead and thrown away (another part was next,
                                   or they failed before a row was used and were redone) */
    int64_t commits_overlapped; /* parts committed while the next part was already being parsed */
    int64_t elapsed_ns;
} replicate_result;

int replicate_run(const replicate_job *job, const replicate_hooks *hooks, replicate_result *res,
                  i2i_error *err);

/* The source id of a job (16 hex chars + NUL), as the run would compute it. */
void replicate_source_id(const replicate_job *job, char out[17]);
/* "influx2iceberg.ranges.<source-id>" */
void replicate_ranges_property(const char *source_id, char *out, size_t outsz);

/* One line of JSON describing the result (for the CLI's --json, the service and the plugin). */
json_t *replicate_result_json(const replicate_job *job, const replicate_result *res);

#endif
