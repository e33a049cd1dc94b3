/*
 * One call of the plugin contract: plugin-style JSON arguments in, one JSON result out. Shared by
 * the Processing Engine library (src/plugin) and the service (src/service), so a scheduled trigger
 * and an HTTP request behave, validate and answer the same wherever they arrive.
 *
 *   Success: {"ok": true,  "status": 200, "task_id": "...", "message": "...", "summary": {...}}
 *   Failure: {"ok": false, "status": 400|409|500, "task_id": "...", "error": "<kind>",
 *             "message": "<readable, secrets redacted>", "summary": {...}?}
 *
 * Modes: SCHEDULED is an incremental run (`window` required, backfill_* refused); REQUEST is a
 * backfill (`window` refused). A call for a stream (source id + table + catalog) that another call
 * in this process is copying right now does not start: scheduled -> ok with "skipped": true,
 * request -> 409 "busy" (two copies of one stream at once could both commit one window).
 */
#ifndef I2I_REPLICATE_CALL_H
#define I2I_REPLICATE_CALL_H

#include "replicate.h"

typedef enum replicate_call_mode {
    REPLICATE_CALL_SCHEDULED = 0,
    REPLICATE_CALL_REQUEST
} replicate_call_mode;

typedef struct replicate_call {
    replicate_call_mode mode;
    int64_t call_time_ns;  /* scheduled: the trigger's fire time (logged, in the summary); 0 = none */
    volatile int *cancel;  /* non-zero stops the run before its next batch; NULL = never */
    /* Observer of the run's progress (after the call's own log lines); may be NULL. */
    void (*on_progress)(void *ctx, const replicate_progress *p);
    void *progress_ctx;
    char task_id[9];       /* 8 hex chars; replicate_call_run draws one when empty */
} replicate_call;

/* Draw a random task id into call->task_id (to prefix log lines before the call starts). */
void replicate_call_new_task_id(replicate_call *call);

/* Run the call. Returns the result object (new reference); NULL only when out of memory. */
json_t *replicate_call_run(replicate_call *call, const json_t *args);
/* Same, from JSON text (a parse error is a 400 result that does not quote the text). */
json_t *replicate_call_run_text(replicate_call *call, const char *args_json);

/* Short stable name of a status for results ("invalid", "auth", "cancelled", ...). */
const char *replicate_error_kind(int status);

#endif
