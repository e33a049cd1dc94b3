#include "iceberg_test_util.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "test.h"

int itu_tools_available(char *why, size_t n)
{
    static const char *pkgs[] = {"icebird", "avsc", "@duckdb/node-api", "hyparquet"};
    char p[1024];
    struct stat st;
    size_t i;
    if (system("node --version > /dev/null 2>&1") != 0) {
        snprintf(why, n, "node is not installed (apt-get install nodejs npm)");
        return 0;
    }
    for (i = 0; i < sizeof pkgs / sizeof pkgs[0]; i++) {
        snprintf(p, sizeof p, "%s/node_modules/%s/package.json", I2I_INTEROP_DIR, pkgs[i]);
        if (stat(p, &st) != 0) {
            snprintf(why, n, "%s is missing: run `make deps` (npm install in tests/interop)", p);
            return 0;
        }
    }
    if (system("/usr/bin/python3 -c 'import avro.datafile' > /dev/null 2>&1") != 0) {
        snprintf(why, n, "Debian python3-avro is missing: apt-get install python3-avro "
                         "(used through /usr/bin/python3)");
        return 0;
    }
    return 1;
}

int itu_run(const char *fmt, ...)
{
    char cmd[8192];
    va_list ap;
    int rc;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    fflush(stdout);
    fflush(stderr);
    rc = system(cmd);
    if (rc == -1) return -1;
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

int itu_write_json(const char *path, const json_t *v)
{
    return json_dump_file(v, path, JSON_INDENT(1) | JSON_ENCODE_ANY);
}

const char *itu_local(const char *location) { return storage_local_path(location); }

const columnar_field itu_fields[ITU_NCOLS] = {
    {"time", COLUMNAR_TIMESTAMP, COLUMNAR_NANOS}, {"host", COLUMNAR_STRING, 0},
    {"region", COLUMNAR_STRING, 0},               {"usage", COLUMNAR_DOUBLE, 0},
    {"count", COLUMNAR_INT64, 0},                 {"ok", COLUMNAR_BOOL, 0},
    {"big", COLUMNAR_UINT64, 0},                  {"msg", COLUMNAR_STRING, 0},
};

void itu_column_defs(iceberg_column_def *out, int fv)
{
    size_t i;
    iceberg_type_options o = {0, fv >= 3, 0};
    for (i = 0; i < ITU_NCOLS; i++) {
        out[i].name = itu_fields[i].name;
        out[i].required = i == ITU_TIME;
        iceberg_type_for_column(itu_fields[i].type, fv, &o, &out[i].type, NULL);
    }
}

static uint32_t rnd(uint32_t *s)
{
    *s = *s * 1103515245u + 12345u;
    return *s >> 8;
}

static const char *msgs[] = {
    "short",
    "exactly sixteen!",
    "a fairly long message that needs truncation",
    "\xc3\xa9t\xc3\xa9 \xc3\xa0 Z\xc3\xbcrich \xe2\x82\xac\xe2\x82\xac\xe2\x82\xac caf\xc3\xa9s et cr\xc3\xaapes",
    "\xf0\x9f\x98\x80\xf0\x9f\x98\x81\xf0\x9f\x98\x82 emoji row \xf0\x9f\x9a\x80\xf0\x9f\x9a\x80\xf0\x9f\x9a\x80 and more",
    "\xf4\x8f\xbf\xbf\xf4\x8f\xbf\xbf\xf4\x8f\xbf\xbf\xf4\x8f\xbf\xbf\xf4\x8f\xbf\xbf\xf4\x8f\xbf\xbf\xf4\x8f\xbf\xbf\xf4\x8f\xbf\xbf"
    "\xf4\x8f\xbf\xbf\xf4\x8f\xbf\xbf\xf4\x8f\xbf\xbf\xf4\x8f\xbf\xbf\xf4\x8f\xbf\xbf\xf4\x8f\xbf\xbf\xf4\x8f\xbf\xbf\xf4\x8f\xbf\xbf"
    "\xf4\x8f\xbf\xbf",
};

void itu_fill_batch(columnar_batch *b, size_t n, int64_t t0, int64_t step, unsigned seed,
                    json_t *expected, int keep_ns)
{
    uint32_t s = seed * 2654435761u + 1;
    size_t i;
    char num[32];
    columnar_batch_clear(b);
    for (i = 0; i < n && !columnar_batch_full(b); i++) {
        size_t row = b->nrows;
        int64_t t = t0 + (int64_t)i * step + (int64_t)(rnd(&s) % 1000); /* sub-µs digits */
        json_t *e = json_object();
        uint32_t r = rnd(&s);
        char host[16];
        columnar_set_i64(&b->cols[ITU_TIME], row, t);
        snprintf(num, sizeof num, "%lld", (long long)(keep_ns ? t : i2i_floor_div(t, 1000)));
        json_object_set_new(e, "time", json_string(num));
        snprintf(host, sizeof host, "host-%u", (unsigned)(r % 5));
        columnar_set_string(&b->cols[ITU_HOST], row, host, strlen(host));
        json_object_set_new(e, "host", json_string(host));
        if (r % 3 == 0) { /* sparse tag */
            const char *reg = (r / 3) % 2 ? "eu" : "us";
            columnar_set_string(&b->cols[ITU_REGION], row, reg, strlen(reg));
            json_object_set_new(e, "region", json_string(reg));
        }
        if (r % 7 != 0) {
            double v;
            switch (r % 11) {
            case 0: v = -0.0; break;
            case 1: v = 0.0; break;
            case 2: v = NAN; break;
            default: v = (double)(int)(r % 20000) / 8.0 - 1000.0; break;
            }
            columnar_set_f64(&b->cols[ITU_USAGE], row, v);
            if (v != v) json_object_set_new(e, "usage", json_string("NaN"));
            else json_object_set_new(e, "usage", json_real(v));
        }
        if (r % 4 != 1) {
            int64_t c = (int64_t)(r % 100000) - 50000;
            columnar_set_i64(&b->cols[ITU_COUNT], row, c);
            snprintf(num, sizeof num, "%lld", (long long)c);
            json_object_set_new(e, "count", json_string(num));
        }
        if (r % 5 == 2) {
            columnar_set_bool(&b->cols[ITU_OK], row, (r / 5) % 2);
            json_object_set_new(e, "ok", json_boolean((r / 5) % 2));
        }
        if (r % 6 != 3) {
            uint64_t big = (uint64_t)INT64_MAX - (uint64_t)(r % 1000);
            columnar_set_u64(&b->cols[ITU_BIG], row, big);
            snprintf(num, sizeof num, "%llu", (unsigned long long)big);
            json_object_set_new(e, "big", json_string(num));
        }
        if (r % 2 == 0) {
            const char *m = msgs[(r / 2) % (sizeof msgs / sizeof msgs[0])];
            columnar_set_string(&b->cols[ITU_MSG], row, m, strlen(m));
            json_object_set_new(e, "msg", json_string(m));
        }
        columnar_batch_end_row(b);
        if (expected) json_array_append_new(expected, e);
        else json_decref(e);
    }
}

int itu_table_open(catalog *cat, const char *ns, const char *name, int format_version,
                   iceberg_time_partition partition, iceberg_table **t, i2i_error *err)
{
    iceberg_column_def defs[ITU_NCOLS];
    iceberg_create_options co;
    itu_column_defs(defs, format_version ? format_version : 2);
    memset(&co, 0, sizeof co);
    co.format_version = format_version;
    co.columns = defs;
    co.ncolumns = ITU_NCOLS;
    co.time_column = "time";
    co.partition = partition;
    return iceberg_table_open(cat, ns, name, &co, t, err);
}

int itu_verify(iceberg_table *t, const char *dir, const json_t *expected, const char *time_unit,
               int icebird, size_t min_files, const char *foreign_marker)
{
    char cfgp[1100], expp[1100], marker[300] = "";
    json_t *cfg;
    int rc, rc2;
    snprintf(expp, sizeof expp, "%s/expected.json", dir);
    snprintf(cfgp, sizeof cfgp, "%s/verify.json", dir);
    if (itu_write_json(expp, expected) != 0) return -1;
    cfg = json_pack("{s:s, s:s, s:s, s:b, s:s, s:i}", "metadata_path",
                    itu_local(iceberg_table_metadata_location(t)), "table_url", iceberg_table_location(t),
                    "expected", expp, "icebird", icebird, "time_unit", time_unit, "min_files", (int)min_files);
    if (foreign_marker) {
        json_object_set_new(cfg, "foreign_marker", json_string(foreign_marker));
        snprintf(marker, sizeof marker, " --foreign-marker %s", foreign_marker);
    }
    itu_write_json(cfgp, cfg);
    json_decref(cfg);
    rc = itu_run("I2I_INTEROP_DIR='%s' node '%s/verify_table.mjs' '%s'", I2I_INTEROP_DIR,
                 I2I_ICEBERG_SCRIPTS, cfgp);
    rc2 = itu_run("/usr/bin/python3 '%s/check_avro.py' '%s' --all-snapshots%s", I2I_ICEBERG_SCRIPTS,
                  itu_local(iceberg_table_metadata_location(t)), marker);
    return rc != 0 ? rc : rc2;
}

int itu_write_rows(iceberg_table *t, const char *run_id, size_t n, int64_t t0_ns, int64_t step_ns,
                   unsigned seed, iceberg_write_result *r, i2i_error *err)
{
    columnar_batch *b = NULL;
    iceberg_writer *w = NULL;
    iceberg_writer_options o;
    int rc;
    memset(&o, 0, sizeof o);
    o.run_id = run_id;
    I2I_TRY(columnar_batch_new(itu_fields, ITU_NCOLS, n, &b, err));
    itu_fill_batch(b, n, t0_ns, step_ns, seed, NULL, 0);
    rc = iceberg_writer_open(t, &o, &w, err);
    if (rc == I2I_OK) rc = iceberg_writer_write(w, b, err);
    if (rc == I2I_OK) rc = iceberg_writer_finish(w, r, err);
    else iceberg_writer_abort(w);
    columnar_batch_free(b);
    return rc;
}
