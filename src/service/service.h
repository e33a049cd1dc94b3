/*
 * service: `influx2iceberg serve --config FILE`. One process running any number of scheduled jobs
 * (the plugin's scheduler trigger) and the plugin's HTTP endpoint POST /api/v3/engine/replicate,
 * with job status, Prometheus metrics, a status page, JSON logs, and signals (SIGTERM/SIGINT stop
 * cleanly, SIGHUP reloads the config). The configuration reference is docs/service.md.
 */
#ifndef I2I_SERVICE_H
#define I2I_SERVICE_H

#include <jansson.h>

#include "../util/util.h"
#include "trigger.h"

typedef struct service_job_spec {
    char *name;          /* the [jobs.<name>] table */
    char *trigger;       /* "every:10m" or "cron:..." */
    trigger trig;        /* the trigger, parsed when the config was checked */
    json_t *args;        /* plugin-style arguments, [influxdb] defaults merged in */
} service_job_spec;

typedef struct service_config {
    char *path;          /* the config file (reloaded on SIGHUP) */
    char *bind;          /* listen address, default 127.0.0.1 */
    int port;            /* default 8182; 0 = any free port (tests; the port is logged) */
    char *api_token;     /* bearer token for the HTTP API (secret); NULL only with auth off */
    int auth_disabled;   /* [server] auth = false: an explicit choice, warned about at start */
    char *plugin_dir;    /* config_file_path base ([server] plugin_dir, else PLUGIN_DIR) */
    size_t max_body;     /* bytes of a request body, default 1 MiB */
    int log_json;        /* one JSON object per log line (default) */
    i2i_log_level log_level;
    char *log_lp_table;  /* also write log lines to this InfluxDB 3 table (write_lp); NULL = no */
    json_t *influxdb;    /* [influxdb]: host, database, token (secret) shared by every job */
    service_job_spec *jobs;
    size_t njobs;
} service_config;

/* Read and check the whole config: every job's arguments go through the same validation as a
 * trigger call (src/replicate/call.h) and its trigger is parsed, so a bad file fails at start
 * (or is refused by a reload) with the file, job and key named. env may be NULL (getenv). */
typedef const char *(*service_env_lookup)(const char *name);
int service_config_load(const char *path, service_env_lookup env, service_config *cfg,
                        i2i_error *err);
void service_config_free(service_config *cfg);

/* The plugin's --trigger-arguments string ("k=v,k=v", values may not contain commas) as an object
 * of strings, exactly as the Processing Engine hands it to a plugin. */
int service_parse_trigger_arguments(const char *text, json_t **out, i2i_error *err);

/* Run until SIGTERM/SIGINT. Returns 0 after a clean stop. */
int service_run(const char *config_path, i2i_error *err);

#endif
