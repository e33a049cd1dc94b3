/* libinflux2iceberg: the public C API of influx2iceberg.h on top of the replicate layer.
 * One call = one replicate_call (src/replicate/call.h: the plugin contract, shared with the
 * service). Log lines of the call reach the caller through a thread-local logger sink. */
#include "influx2iceberg.h"

#include <stdio.h>
#include <stdlib.h>

#include "../replicate/call.h"
#include "version.h"

#define EXPORT __attribute__((visibility("default")))

typedef struct call_ctx {
    influx2iceberg_log_fn log;
    void *log_ctx;
    replicate_call call;
    volatile int cancel; /* set when the callback asks to stop; replicate_call.cancel */
} call_ctx;

/* ------------------------------------------------------------------ log routing */

static void call_sink(void *ctx, i2i_log_level level, const char *line)
{
    call_ctx *c = ctx;
    char buf[4200];
    snprintf(buf, sizeof buf, "[%s] %s", c->call.task_id, line);
    if (c->log(c->log_ctx, (int)level, buf) != 0) c->cancel = 1;
}

/* ------------------------------------------------------------------ one call */

static char *run_call(const char *args_json, replicate_call_mode mode, int64_t call_time_ns,
                      influx2iceberg_log_fn log, void *log_ctx)
{
    call_ctx c;
    json_t *result;
    char *out;
    memset(&c, 0, sizeof c);
    c.log = log;
    c.log_ctx = log_ctx;
    c.call.mode = mode;
    c.call.call_time_ns = call_time_ns;
    c.call.cancel = &c.cancel;
    replicate_call_new_task_id(&c.call);
    if (log) i2i_log_set_thread_sink(call_sink, &c);
    result = replicate_call_run_text(&c.call, args_json);
    out = result ? json_dumps(result, JSON_COMPACT) : NULL;
    json_decref(result);
    if (log) i2i_log_set_thread_sink(NULL, NULL);
    return out;
}

/* ------------------------------------------------------------------ exported API */

EXPORT int influx2iceberg_api_version(void) { return INFLUX2ICEBERG_API_VERSION; }

EXPORT const char *influx2iceberg_version(void) { return I2I_VERSION " (build " I2I_BUILD ")"; }

EXPORT char *influx2iceberg_scheduled_call(const char *args_json, int64_t call_time_ns,
                                           influx2iceberg_log_fn log, void *log_ctx)
{
    return run_call(args_json, REPLICATE_CALL_SCHEDULED, call_time_ns, log, log_ctx);
}

EXPORT char *influx2iceberg_replicate_request(const char *args_json, influx2iceberg_log_fn log,
                                              void *log_ctx)
{
    return run_call(args_json, REPLICATE_CALL_REQUEST, 0, log, log_ctx);
}

EXPORT void influx2iceberg_free(char *result) { free(result); }
