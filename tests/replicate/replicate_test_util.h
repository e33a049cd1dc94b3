/*
 * Shared by the replicate end-to-end tests: datasets (datasets.py), writing them to the emulator,
 * running the real CLI binary, looking at the resulting table through the iceberg layer, and the
 * independent read-back (check_table.mjs: DuckDB by field id + icebird).
 *
 * The emulator itself is started by tests/source/emulator_harness.{c,h} (random port, killed on
 * every exit path).
 */
#ifndef I2I_REPLICATE_TEST_UTIL_H
#define I2I_REPLICATE_TEST_UTIL_H

#include <jansson.h>
#include <sys/types.h>

#include "emulator_harness.h"
#include "util/util.h"

#define RT_TOKEN "apiv3_replicate-e2e-token-7d41c9"

/* node and the interop packages (DuckDB, icebird) present? Otherwise `why` says what to install. */
int rt_tools_available(char *why, size_t n);
/* rt_tools_available asked once per process; when something is missing, a FAIL line on stderr says
 * what. 1 when everything is there. */
int rt_tools_ready(void);
/* Start the emulator with RT_TOKEN as its token (emu_start's status). */
int rt_emu_start(emu *e);
/* A test's set-up, done once per process (*state starts at -1, then 1 or 0): the tools checked,
 * the emulator started, and a regular dataset (rt_gen_regular's arguments) written to database
 * `name`, its files in rt_dir(name) (*dir). The expected rows' JSON path goes to *expected when
 * that is not NULL. Logs at WARN. Returns 1 when everything is ready. */
int rt_ready_regular(emu *e, int *state, const char *name, const char *measurement, int64_t start_ns,
                     int count, int64_t step_ns, int hosts, int seed, const char **dir,
                     char **expected);

/* A fresh directory under the test tmpdir: <tmp>/<name>. Returns a static-lifetime copy. */
const char *rt_dir(const char *name);
/* printf into a new heap string (abort on OOM; tests only). */
char *rt_fmt(const char *fmt, ...) I2I_PRINTF(1, 2);
/* Run a shell command; its exit status, or -1. */
int rt_sh(const char *fmt, ...) I2I_PRINTF(1, 2);
/* The whole file as a NUL-terminated heap string, or NULL. */
char *rt_slurp(const char *path);

/* datasets.py: 0 on success. */
int rt_gen_edge(const char *lp, const char *expected);
int rt_gen_regular(const char *lp, const char *expected, const char *measurement, int64_t start_ns,
                   int count, int64_t step_ns, int hosts, int seed, const char *extra_field);
/* POST a line-protocol file to the emulator (precision ns), in pieces of whole lines. */
int rt_write_lp_file(const emu *e, const char *db, const char *path);

/* The CLI. args is NULL-terminated and follows the subcommand. stdout/stderr go to files named
 * after `tag` in `dir`, readable afterwards with rt_cli_out/rt_cli_err. Returns the exit code, or
 * 128+signal when killed. */
typedef struct rt_cli_run {
    char out_path[600], err_path[600];
    int status;
    char *out, *err; /* read after the run */
} rt_cli_run;
int rt_cli(rt_cli_run *r, const char *dir, const char *tag, const char *const *args);
void rt_cli_run_free(rt_cli_run *r);
/* Start the CLI without waiting (for timed kills); returns the pid. */
pid_t rt_cli_spawn(rt_cli_run *r, const char *dir, const char *tag, const char *const *args);
/* Wait for a spawned CLI; returns the status as rt_cli does and reads its output. */
int rt_cli_wait(rt_cli_run *r, pid_t pid);

/* The standard replicate arguments for the emulator + a warehouse, followed by `extra`
 * (NULL-terminated). Returns a NULL-terminated array owned by the caller (rt_argv_free). */
char **rt_replicate_args(const emu *e, const char *db, const char *token_file, const char *warehouse,
                         const char *measurement, const char *const *extra);
void rt_argv_free(char **argv);
/* A token file holding `token`, in dir. */
const char *rt_token_file(const char *dir, const char *name, const char *token);

/* What the catalog says about a table (loaded fresh through the iceberg layer). */
typedef struct rt_table {
    int exists;
    int format_version;
    size_t nsnapshots;
    char *metadata_location;  /* file:// location */
    char *metadata_path;      /* local path */
    char *location;
    json_t *live_files;       /* array of local paths */
    json_t *ranges;           /* [["start","end"], ...] of every influx2iceberg.ranges.* property */
    json_t *columns;          /* array of names */
    json_t *metadata;         /* the metadata document */
    int64_t rows;             /* sum of live files' record counts */
} rt_table;
int rt_table_load(const char *warehouse, const char *ns, const char *name, rt_table *t);
void rt_table_free(rt_table *t);
/* Parquet files under the table's data/ directory (committed or not). */
size_t rt_count_data_files(const rt_table *t);

/* One entry of check_table.mjs's config (see there). columns / ranges may be NULL (borrowed). */
json_t *rt_check_entry(const char *label, const rt_table *t, const char *expected, json_t *columns,
                       json_t *ranges, int icebird, int check_floor);
/* Run check_table.mjs on a list of entries (stolen); returns its exit status (0 = all passed). */
int rt_check(json_t *entries, const char *dir, const char *tag);

/* A JSON array of strings from a NULL-terminated list. */
json_t *rt_strv_json(const char *const *v);

/* A fault hook (i2i_fault {rt_fail_nth, &f}) failing the nth time `point` is reached, once, with
 * `status` (0 = I2I_ERR_IO) and the message "injected failure at <point>". */
typedef struct rt_nth_fault {
    const char *point;
    int nth, seen;
    int status;
} rt_nth_fault;
int rt_fail_nth(void *ctx, const char *point, i2i_error *err);

#endif
