/* Command-line options -> plugin-style JSON arguments. Table-driven so --help and the parser
 * cannot disagree. */
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>

typedef enum { OPT_STRING, OPT_FLAG, OPT_INT } opt_kind;

typedef struct cli_option {
    const char *name;    /* without leading dashes */
    const char *key;     /* JSON key (plugin name) */
    opt_kind kind;
    const char *subcmds; /* which subcommands accept it: "r" replicate, "i" inspect, "s" serve */
    const char *arg;     /* placeholder shown in help */
    const char *help;
} cli_option;

static const cli_option options[] = {
    {"measurement", "measurement", OPT_STRING, "r", "NAME", "InfluxDB measurement (table) to copy. Required."},
    {"host", "host", OPT_STRING, "r", "URL", "InfluxDB 3 URL (default $INFLUXDB3_HOST_URL, else http://127.0.0.1:8181)."},
    {"database", "database", OPT_STRING, "r", "NAME", "InfluxDB database (default $INFLUXDB3_DATABASE_NAME)."},
    {"token-file", "token_file", OPT_STRING, "r", "PATH", "File holding the InfluxDB token (default $INFLUXDB3_AUTH_TOKEN). Tokens are never accepted on the command line."},
    {"catalog-configs", "catalog_configs", OPT_STRING, "ri", "JSON|BASE64|@FILE", "Iceberg catalog configuration with PyIceberg keys (type, uri, warehouse, s3.*). Default: SQLite catalog and local warehouse in --warehouse."},
    {"warehouse", "warehouse_dir", OPT_STRING, "ri", "DIR", "Directory of the embedded default catalog and warehouse (default ./warehouse)."},
    {"namespace", "namespace", OPT_STRING, "ri", "NS", "Iceberg namespace (default \"default\")."},
    {"table-name", "table_name", OPT_STRING, "ri", "NAME", "Iceberg table name (default: the measurement)."},
    {"included-fields", "included_fields", OPT_STRING, "r", "A.B.C", "Only these tags/fields (dot-separated); time is always kept."},
    {"excluded-fields", "excluded_fields", OPT_STRING, "r", "A.B.C", "Leave out these tags/fields (dot-separated)."},
    {"batch-size", "batch_size", OPT_STRING, "r", "DURATION", "Length of each committed window: s, min, h, d, w (default 1d)."},
    {"backfill-start", "backfill_start", OPT_STRING, "r", "TIME", "Start, ISO 8601 with zone (default: the oldest row)."},
    {"backfill-end", "backfill_end", OPT_STRING, "r", "TIME", "End (exclusive), ISO 8601 with zone (default: just after the newest row, at most now - lag)."},
    {"window", "window", OPT_STRING, "r", "DURATION", "Incremental run: resume after the last committed window; on the first run start this far back."},
    {"lag", "lag", OPT_STRING, "r", "DURATION", "Incremental runs stay this far behind now (default 1min)."},
    {"auto-update-schema", "auto_update_schema", OPT_FLAG, "r", NULL, "Add new InfluxDB columns to the table instead of failing."},
    {"format-version", "format_version", OPT_INT, "r", "2|3", "Iceberg format version of new tables (default 2; 3 keeps nanoseconds)."},
    {"partition-by", "partition_by", OPT_STRING, "r", "day|hour|month|year|none", "Partitioning of new tables (default day)."},
    {"threads", "threads", OPT_INT, "r", "N", "Threads for the copy (default: the online cores, at most 64): 1 = one thread; 2 or more = parsing and Parquet writing overlap. The files are the same bytes whatever N."},
    {"read-ahead-bytes", "read_ahead_bytes", OPT_INT, "r", "N", "Send the next window's request as soon as the current window's first byte arrives and buffer its body, in N bytes of buffers in all (half for the next window, half for the current one; default 4194304 with 2 or more threads, else 0); 0 = off. Rows, files and commits are the same either way."},
    {"tls-insecure", "tls_insecure", OPT_FLAG, "r", NULL, "Do not verify the InfluxDB server's TLS certificate."},
    {"config", "config", OPT_STRING, "s", "FILE", "Service configuration (TOML: [server], [influxdb], [jobs.<name>]; see docs/service.md). Required."},
    {"check-config", "check_config", OPT_FLAG, "s", NULL, "Only load and check the configuration, then exit (0 = it would start)."},
    {"log-level", "log_level", OPT_STRING, "ri", "debug|info|warn|error", "Log verbosity (default info)."},
    {"no-progress", "no_progress", OPT_FLAG, "r", NULL, "No progress bar even on a terminal."},
    {"json", "json_output", OPT_FLAG, "r", NULL, "Print the result as JSON."},
    {"remove-orphans", "remove_orphans", OPT_FLAG, "i", NULL, "Delete data files no snapshot references (left by a run killed before its commit; their names carry its run id)."},
    {"orphan-min-age", "orphan_min_age", OPT_STRING, "i", "DURATION", "Only treat files older than this as orphans, so a running writer is left alone (default 1h)."},
};

#define NOPTIONS (sizeof options / sizeof options[0])

static const cli_option *find_option(const char *name, const char *sub)
{
    size_t i;
    for (i = 0; i < NOPTIONS; i++) {
        if (strcmp(options[i].name, name) == 0 && strchr(options[i].subcmds, sub[0])) return &options[i];
    }
    return NULL;
}

int cli_parse_args(int argc, char **argv, const char *sub, json_t **out, int *help, i2i_error *err)
{
    json_t *args = json_object();
    int i;

    *help = 0;
    *out = NULL;
    if (!args) return i2i_error_nomem(err, "parsing options");
    for (i = 0; i < argc; i++) {
        const char *a = argv[i], *value = NULL, *eq;
        char name[64];
        const cli_option *o;
        size_t n;

        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            *help = 1;
            continue;
        }
        if (strncmp(a, "--", 2) != 0) {
            json_decref(args);
            return i2i_error_set(err, CLI_EXIT_USAGE, "unexpected argument '%s'", a);
        }
        a += 2;
        eq = strchr(a, '=');
        n = eq ? (size_t)(eq - a) : strlen(a);
        if (n >= sizeof name) n = sizeof name - 1;
        memcpy(name, a, n);
        name[n] = '\0';
        if (!strcmp(name, "token")) {
            json_decref(args);
            return i2i_error_set(err, CLI_EXIT_USAGE,
                                 "--token is not accepted: a token on the command line is visible to "
                                 "every user (ps). Use --token-file PATH or INFLUXDB3_AUTH_TOKEN");
        }
        o = find_option(name, sub);
        if (!o) {
            json_decref(args);
            return i2i_error_set(err, CLI_EXIT_USAGE, "unknown option --%s for '%s' (see --help)", name, sub);
        }
        if (o->kind == OPT_FLAG) {
            if (eq) {
                json_decref(args);
                return i2i_error_set(err, CLI_EXIT_USAGE, "--%s takes no value", name);
            }
            json_object_set_new(args, o->key, json_true());
            continue;
        }
        if (eq) {
            value = eq + 1;
        } else if (i + 1 < argc) {
            value = argv[++i];
        } else {
            json_decref(args);
            return i2i_error_set(err, CLI_EXIT_USAGE, "--%s needs a value (%s)", name, o->arg);
        }
        if (o->kind == OPT_INT) {
            char *end;
            long long v = strtoll(value, &end, 10);
            if (!*value || *end) {
                json_decref(args);
                return i2i_error_set(err, CLI_EXIT_USAGE, "--%s needs a number, not '%s'", name, value);
            }
            json_object_set_new(args, o->key, json_integer(v));
        } else {
            json_object_set_new(args, o->key, json_string(value));
        }
    }
    *out = args;
    return CLI_EXIT_OK;
}

void cli_print_usage(const char *sub)
{
    size_t i;
    if (!sub) {
        printf("influx2iceberg: copy InfluxDB 3 measurements into Apache Iceberg tables.\n\n"
               "Usage:\n"
               "  influx2iceberg replicate --measurement NAME [options]   copy a time range, exactly once\n"
               "  influx2iceberg inspect [--table-name NAME] [options]    show a table's snapshots, windows, files\n"
               "  influx2iceberg serve --config FILE                      scheduled jobs + the HTTP replicate API\n"
               "  influx2iceberg version\n\n"
               "Run 'influx2iceberg <command> --help' for the options of a command.\n\n"
               "Exit codes: 0 success, 1 error (the message says what and where), 2 usage error.\n");
        return;
    }
    printf("Usage: influx2iceberg %s [options]\n\nOptions:\n", sub);
    for (i = 0; i < NOPTIONS; i++) {
        char left[64];
        if (!strchr(options[i].subcmds, sub[0])) continue;
        snprintf(left, sizeof left, "--%s%s%s", options[i].name, options[i].arg ? " " : "",
                 options[i].arg ? options[i].arg : "");
        printf("  %-34s %s\n", left, options[i].help);
    }
    if (sub[0] == 'r') {
        printf("\nEnvironment: INFLUXDB3_HOST_URL, INFLUXDB3_DATABASE_NAME, INFLUXDB3_AUTH_TOKEN.\n"
               "Without --window this is a backfill of [--backfill-start, --backfill-end) in --batch-size\n"
               "windows (aligned to multiples of --batch-size since the epoch, so 1d = one day partition);\n"
               "windows already committed by an earlier run are skipped, so a rerun adds nothing.\n"
               "With --window it resumes after the last committed window (first run: now - window) up to\n"
               "now - lag, as a scheduled trigger does.\n");
    }
}
