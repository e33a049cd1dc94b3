/* See replicate_test_util.h. */
#include "replicate_test_util.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "iceberg/iceberg.h"
#include "replicate/ranges.h"
#include "source/source.h"
#include "storage/storage.h"
#include "test.h"

#ifndef I2I_CLI_PATH
#error "define I2I_CLI_PATH"
#endif
#ifndef I2I_REPLICATE_SCRIPTS
#error "define I2I_REPLICATE_SCRIPTS"
#endif
#ifndef I2I_INTEROP_DIR
#error "define I2I_INTEROP_DIR"
#endif

char *rt_fmt(const char *fmt, ...)
{
    va_list ap;
    char *s = NULL;
    va_start(ap, fmt);
    if (vasprintf(&s, fmt, ap) < 0) abort();
    va_end(ap);
    return s;
}

int rt_sh(const char *fmt, ...)
{
    va_list ap;
    char *cmd = NULL;
    int rc;
    va_start(ap, fmt);
    if (vasprintf(&cmd, fmt, ap) < 0) abort();
    va_end(ap);
    fflush(stdout);
    fflush(stderr);
    rc = system(cmd);
    free(cmd);
    if (rc == -1) return -1;
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

char *rt_slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    char *buf;
    long n;
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    fseek(f, 0, SEEK_SET);
    buf = malloc((size_t)n + 1);
    if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        fclose(f);
        return NULL;
    }
    buf[n] = '\0';
    fclose(f);
    return buf;
}

int rt_tools_available(char *why, size_t n)
{
    static const char *pkgs[] = {"icebird", "@duckdb/node-api", "hyparquet"};
    size_t i;
    if (system("node --version > /dev/null 2>&1") != 0) {
        snprintf(why, n, "node is not installed (apt-get install nodejs npm, or `make deps`)");
        return 0;
    }
    for (i = 0; i < sizeof pkgs / sizeof pkgs[0]; i++) {
        char p[1024];
        struct stat st;
        snprintf(p, sizeof p, "%s/node_modules/%s/package.json", I2I_INTEROP_DIR, pkgs[i]);
        if (stat(p, &st) != 0) {
            snprintf(why, n, "%s is missing: run `make deps` (npm install in tests/interop)", p);
            return 0;
        }
    }
    if (system("python3 --version > /dev/null 2>&1") != 0) {
        snprintf(why, n, "python3 is not installed (the emulator and datasets need it)");
        return 0;
    }
    return 1;
}

int rt_tools_ready(void)
{
    static int tools_ok = -1;
    char why[1024];
    if (tools_ok < 0) {
        tools_ok = rt_tools_available(why, sizeof why);
        if (!tools_ok) fprintf(stderr, "FAIL: the read-back tools are missing: %s\n", why);
    }
    return tools_ok;
}

int rt_emu_start(emu *e)
{
    const char *args[] = {"--token", RT_TOKEN, NULL};
    return emu_start(e, args);
}

int rt_ready_regular(emu *e, int *state, const char *name, const char *measurement, int64_t start_ns,
                     int count, int64_t step_ns, int hosts, int seed, const char **dir,
                     char **expected)
{
    if (!rt_tools_ready()) return 0;
    i2i_log_set_level(I2I_LOG_WARN);
    if (*state < 0) {
        *state = rt_emu_start(e) == 0;
        if (*state) {
            char *lp, *exp;
            *dir = rt_dir(name);
            lp = rt_fmt("%s/%s.lp", *dir, measurement);
            exp = rt_fmt("%s/%s.json", *dir, measurement);
            if (rt_gen_regular(lp, exp, measurement, start_ns, count, step_ns, hosts, seed, NULL) != 0 ||
                rt_write_lp_file(e, name, lp) != 0)
                *state = 0;
            free(lp);
            if (expected)
                *expected = exp;
            else
                free(exp);
        }
    }
    return *state;
}

/* Strings handed out for the life of the process (directories, token files), freed at exit. */
static char *keep_list[256];
static size_t nkeep;

static void free_kept(void)
{
    while (nkeep) free(keep_list[--nkeep]);
}

static const char *keep(char *s)
{
    if (nkeep == 0) atexit(free_kept);
    if (nkeep < sizeof keep_list / sizeof keep_list[0]) keep_list[nkeep++] = s;
    return s;
}

const char *rt_dir(const char *name)
{
    char *p = rt_fmt("%s/%s", i2i_test_tmpdir(), name);
    keep(p);
    if (rt_sh("rm -rf '%s' && mkdir -p '%s'", p, p) != 0) fprintf(stderr, "cannot create %s\n", p);
    return p; /* lives as long as the test process */
}

int rt_gen_edge(const char *lp, const char *expected)
{
    return rt_sh("python3 '%s/datasets.py' edge --lp '%s' --expected '%s'", I2I_REPLICATE_SCRIPTS, lp,
                 expected);
}

int rt_gen_regular(const char *lp, const char *expected, const char *measurement, int64_t start_ns,
                   int count, int64_t step_ns, int hosts, int seed, const char *extra_field)
{
    char *extra = extra_field ? rt_fmt("--extra-field '%s'", extra_field) : rt_fmt("%s", "");
    int rc = rt_sh("python3 '%s/datasets.py' regular --lp '%s' --expected '%s' --measurement '%s' "
                   "--start-ns %lld --count %d --step-ns %lld --hosts %d --seed %d %s",
                   I2I_REPLICATE_SCRIPTS, lp, expected, measurement, (long long)start_ns, count,
                   (long long)step_ns, hosts, seed, extra);
    free(extra);
    return rc;
}

int rt_write_lp_file(const emu *e, const char *db, const char *path)
{
    source_config cfg;
    source *s = NULL;
    i2i_error err;
    char *lp = rt_slurp(path);
    int rc;
    if (!lp) {
        fprintf(stderr, "cannot read %s\n", path);
        return -1;
    }
    source_config_defaults(&cfg);
    cfg.url = e->url;
    cfg.database = db;
    cfg.token = RT_TOKEN;
    rc = source_open(&cfg, &s, &err);
    if (rc == 0) rc = source_write_lp(s, lp, strlen(lp), "nanosecond", &err);
    if (rc != 0) fprintf(stderr, "writing %s: %s\n", path, err.msg);
    source_close(s);
    free(lp);
    return rc;
}

/* ------------------------------------------------------------------ the CLI */

static pid_t spawn(rt_cli_run *r, const char *dir, const char *tag, const char *const *args)
{
    const char *argv[128];
    int argc = 0, i;
    pid_t pid, parent = getpid();
    memset(r, 0, sizeof *r);
    snprintf(r->out_path, sizeof r->out_path, "%s/%s.stdout", dir, tag);
    snprintf(r->err_path, sizeof r->err_path, "%s/%s.stderr", dir, tag);
    argv[argc++] = I2I_CLI_PATH;
    for (i = 0; args && args[i] && argc < 126; i++) argv[argc++] = args[i];
    argv[argc] = NULL;
    fflush(NULL);
    pid = fork();
    if (pid == 0) {
        int o = open(r->out_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        int e = open(r->err_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent) _exit(127);
        if (o < 0 || e < 0) _exit(127);
        dup2(o, 1);
        dup2(e, 2);
        close(o);
        close(e);
        execv(I2I_CLI_PATH, (char *const *)argv);
        perror("exec influx2iceberg");
        _exit(127);
    }
    return pid;
}

int rt_cli_wait(rt_cli_run *r, pid_t pid)
{
    int st = 0;
    if (pid < 0) return r->status = -1;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {
    }
    r->status = WIFEXITED(st) ? WEXITSTATUS(st) : WIFSIGNALED(st) ? 128 + WTERMSIG(st) : -1;
    free(r->out);
    free(r->err);
    r->out = rt_slurp(r->out_path);
    r->err = rt_slurp(r->err_path);
    if (!r->out) r->out = strdup("");
    if (!r->err) r->err = strdup("");
    return r->status;
}

pid_t rt_cli_spawn(rt_cli_run *r, const char *dir, const char *tag, const char *const *args)
{
    return spawn(r, dir, tag, args);
}

int rt_cli(rt_cli_run *r, const char *dir, const char *tag, const char *const *args)
{
    pid_t pid = spawn(r, dir, tag, args);
    rt_cli_wait(r, pid);
    if (r->status != 0) {
        /* keep failures readable in the ctest log */
        printf("  [%s] exit %d\n  stdout: %s  stderr: %.3000s\n", tag, r->status, r->out, r->err);
    }
    return r->status;
}

void rt_cli_run_free(rt_cli_run *r)
{
    free(r->out);
    free(r->err);
    r->out = r->err = NULL;
}

char **rt_replicate_args(const emu *e, const char *db, const char *token_file, const char *warehouse,
                         const char *measurement, const char *const *extra)
{
    char **v = calloc(64, sizeof *v);
    int n = 0, i;
    v[n++] = strdup("replicate");
    v[n++] = strdup("--host");
    v[n++] = strdup(e->url);
    v[n++] = strdup("--database");
    v[n++] = strdup(db);
    if (token_file) {
        v[n++] = strdup("--token-file");
        v[n++] = strdup(token_file);
    }
    v[n++] = strdup("--warehouse");
    v[n++] = strdup(warehouse);
    v[n++] = strdup("--measurement");
    v[n++] = strdup(measurement);
    v[n++] = strdup("--no-progress");
    for (i = 0; extra && extra[i] && n < 62; i++) v[n++] = strdup(extra[i]);
    v[n] = NULL;
    return v;
}

void rt_argv_free(char **argv)
{
    size_t i;
    for (i = 0; argv && argv[i]; i++) free(argv[i]);
    free(argv);
}

const char *rt_token_file(const char *dir, const char *name, const char *token)
{
    char *p = rt_fmt("%s/%s", dir, name);
    FILE *f = fopen(p, "w");
    keep(p);
    if (f) {
        fprintf(f, "%s\n", token);
        fclose(f);
    }
    return p;
}

/* ------------------------------------------------------------------ the table */

int rt_table_load(const char *warehouse, const char *ns, const char *name, rt_table *t)
{
    catalog *cat = NULL;
    iceberg_table *tb = NULL;
    iceberg_file_list files = {0};
    i2i_error err;
    const iceberg_schema *s;
    const char *key;
    json_t *val;
    size_t i;
    int rc;

    memset(t, 0, sizeof *t);
    t->live_files = json_array();
    t->ranges = json_array();
    t->columns = json_array();
    rc = catalog_open_default(warehouse, &cat, &err);
    if (rc != 0) {
        fprintf(stderr, "catalog %s: %s\n", warehouse, err.msg);
        return rc;
    }
    rc = iceberg_table_open(cat, ns, name, NULL, &tb, &err);
    if (rc == I2I_ERR_NOT_FOUND) {
        catalog_close(cat);
        return 0; /* exists = 0 */
    }
    if (rc != 0) {
        fprintf(stderr, "table %s.%s: %s\n", ns, name, err.msg);
        catalog_close(cat);
        return rc;
    }
    t->exists = 1;
    t->format_version = iceberg_table_format_version(tb);
    iceberg_table_snapshots(tb, &t->nsnapshots);
    t->metadata_location = strdup(iceberg_table_metadata_location(tb));
    t->metadata_path = strdup(storage_local_path(t->metadata_location));
    t->location = strdup(iceberg_table_location(tb));
    t->metadata = json_deep_copy(iceberg_table_metadata(tb));
    s = iceberg_table_schema(tb);
    for (i = 0; i < s->nfields; i++) json_array_append_new(t->columns, json_string(s->fields[i].name));
    json_object_foreach((json_t *)iceberg_table_properties(tb), key, val)
    {
        replicate_ranges r = {0};
        size_t k;
        if (strncmp(key, "influx2iceberg.ranges.", 22) != 0) continue;
        if (replicate_ranges_parse(json_string_value(val), &r, &err) != 0) {
            fprintf(stderr, "property %s: %s\n", key, err.msg);
            rc = -1;
        }
        for (k = 0; k < r.n; k++) {
            char a[32], b[32];
            snprintf(a, sizeof a, "%lld", (long long)r.items[k].start);
            snprintf(b, sizeof b, "%lld", (long long)r.items[k].end);
            json_array_append_new(t->ranges, json_pack("[ss]", a, b));
        }
        replicate_ranges_free(&r);
    }
    if (rc == 0) rc = iceberg_table_live_files(tb, &files, &err);
    if (rc != 0 && rc != -1) fprintf(stderr, "live files: %s\n", err.msg);
    for (i = 0; rc == 0 && i < files.n; i++) {
        json_array_append_new(t->live_files, json_string(storage_local_path(files.files[i].path)));
        t->rows += files.files[i].record_count;
    }
    iceberg_file_list_free(&files);
    iceberg_table_free(tb);
    catalog_close(cat);
    return rc;
}

void rt_table_free(rt_table *t)
{
    free(t->metadata_location);
    free(t->metadata_path);
    free(t->location);
    json_decref(t->live_files);
    json_decref(t->ranges);
    json_decref(t->columns);
    json_decref(t->metadata);
    memset(t, 0, sizeof *t);
}

size_t rt_count_data_files(const rt_table *t)
{
    char *cmd, line[64] = "";
    FILE *p;
    size_t n = 0;
    if (!t->location) return 0;
    cmd = rt_fmt("find '%s/data' -name '*.parquet' 2>/dev/null | wc -l", storage_local_path(t->location));
    p = popen(cmd, "r");
    if (p && fgets(line, sizeof line, p)) n = (size_t)strtoull(line, NULL, 10);
    if (p) pclose(p);
    free(cmd);
    return n;
}

json_t *rt_check_entry(const char *label, const rt_table *t, const char *expected, json_t *columns,
                       json_t *ranges, int icebird, int check_floor)
{
    json_t *o = json_object();
    json_object_set_new(o, "label", json_string(label));
    json_object_set_new(o, "metadata_path", json_string(t->metadata_path ? t->metadata_path : ""));
    json_object_set(o, "live_files", t->live_files);
    json_object_set_new(o, "expected", json_string(expected));
    json_object_set(o, "columns", columns ? columns : json_null());
    json_object_set(o, "ranges", ranges ? ranges : json_null());
    json_object_set_new(o, "time_unit", json_string(t->format_version >= 3 ? "ns" : "us"));
    json_object_set_new(o, "icebird", json_boolean(icebird));
    json_object_set_new(o, "check_floor", json_boolean(check_floor));
    json_object_set_new(o, "min_rows", json_integer(1));
    return o;
}

int rt_check(json_t *entries, const char *dir, const char *tag)
{
    char *cfg = rt_fmt("%s/%s.check.json", dir, tag);
    int rc;
    if (json_dump_file(entries, cfg, JSON_INDENT(1)) != 0) {
        fprintf(stderr, "cannot write %s\n", cfg);
        json_decref(entries);
        free(cfg);
        return -1;
    }
    json_decref(entries);
    rc = rt_sh("I2I_INTEROP_DIR='%s' node '%s/check_table.mjs' '%s'", I2I_INTEROP_DIR,
               I2I_REPLICATE_SCRIPTS, cfg);
    free(cfg);
    return rc;
}

json_t *rt_strv_json(const char *const *v)
{
    json_t *a = json_array();
    size_t i;
    for (i = 0; v && v[i]; i++) json_array_append_new(a, json_string(v[i]));
    return a;
}

int rt_fail_nth(void *ctx, const char *point, i2i_error *err)
{
    rt_nth_fault *f = ctx;
    if (strcmp(point, f->point) != 0 || ++f->seen != f->nth) return I2I_OK;
    return i2i_error_set(err, f->status ? f->status : I2I_ERR_IO, "injected failure at %s", point);
}
