/*
 * parquet_encode: single-thread encode throughput of our Parquet writer on the time-series table
 * of test-tools.md §2 (DuckDB's peer numbers), with a deterministic hash in place of random() so
 * that run.sh can build the identical table in DuckDB and compare both writers on the same values.
 *
 *   parquet_encode [--rows N] [--codecs zstd,snappy] [--runs R] [--batch-rows B] --out DIR
 *   parquet_encode [--rows N] [--batch-rows B] --out DIR --stdin
 *
 * With --stdin it generates the data once, then encodes once per codec name read from stdin (one
 * per line) and answers each with its result line: duckdb_encode.mjs uses this to interleave our
 * runs with DuckDB's, so that load from elsewhere on the machine hits both alike.
 *
 * Row i (0-based), identical to the SQL in duckdb_encode.mjs:
 *   ts      TIMESTAMP(MICROS, UTC) 1700000000000000 + i*1000        (1 ms steps)
 *   host    'host-' || i%100,  region 'region-' || i%4,  dc 'dc-' || i%10
 *   d1      a/2^32 * 100                  a, b = fmix32 hashes of i (murmur3 finaliser over a
 *   d2      (i%1000) * 0.5                   Weyl step), exact 32-bit integer arithmetic that SQL
 *   d3      sin(i/1000)                      reproduces with UBIGINT
 *   d4      round(b/2^32 * 1000 * 10) / 10
 *   d5      42 + i%7
 *   counter i
 * ts is REQUIRED and the rest OPTIONAL (as the Iceberg tables we write: time required, tags and
 * fields nullable); writer options are the defaults (zstd level 3, 128 MiB row groups, AUTO
 * dictionaries).
 *
 * Fairness: all batches are generated before timing starts (as DuckDB's COPY reads a table already
 * in memory); the timed region is parquet_writer_open + add_batch for every batch + close, writing
 * to a file, single thread. The best of R runs is reported.
 *
 * Output, one line per codec:  ours <codec> rows=<n> seconds=<best> bytes=<file size> file=<path>
 */
#include "columnar/columnar.h"
#include "parquet/parquet.h"
#include "util/util.h"

#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void die(const char *what, const i2i_error *e)
{
    fprintf(stderr, "parquet_encode: %s%s%s\n", what, e ? ": " : "", e ? e->msg : "");
    exit(1);
}

/* murmur3's 32-bit finaliser applied to a Weyl sequence; every product stays below 2^64. */
static uint32_t fmix(uint64_t i, uint64_t seed)
{
    uint64_t x = (i * UINT64_C(2654435761) + seed) % UINT64_C(4294967296);
    x ^= x >> 16;
    x = (x * UINT64_C(2246822507)) % UINT64_C(4294967296);
    x ^= x >> 13;
    x = (x * UINT64_C(3266489909)) % UINT64_C(4294967296);
    x ^= x >> 16;
    return (uint32_t)x;
}

#define SEED_A 0
#define SEED_B 2135587861

static const columnar_field fields[] = {
    {"ts", COLUMNAR_TIMESTAMP, COLUMNAR_MICROS}, {"host", COLUMNAR_STRING, 0}, {"region", COLUMNAR_STRING, 0},
    {"dc", COLUMNAR_STRING, 0},                  {"d1", COLUMNAR_DOUBLE, 0},   {"d2", COLUMNAR_DOUBLE, 0},
    {"d3", COLUMNAR_DOUBLE, 0},                  {"d4", COLUMNAR_DOUBLE, 0},   {"d5", COLUMNAR_DOUBLE, 0},
    {"counter", COLUMNAR_INT64, 0},
};
#define NCOLS (sizeof fields / sizeof fields[0])

static void fill(columnar_batch *b, uint64_t first, size_t n)
{
    char s[32];
    size_t k;
    for (k = 0; k < n; k++) {
        uint64_t i = first + k;
        double a = (double)fmix(i, SEED_A), bb = (double)fmix(i, SEED_B);
        int len;
        columnar_append_i64(&b->cols[0], INT64_C(1700000000000000) + (int64_t)i * 1000);
        len = snprintf(s, sizeof s, "host-%u", (unsigned)(i % 100));
        if (columnar_append_string(&b->cols[1], s, (size_t)len) != I2I_OK) die("out of memory", NULL);
        len = snprintf(s, sizeof s, "region-%u", (unsigned)(i % 4));
        if (columnar_append_string(&b->cols[2], s, (size_t)len) != I2I_OK) die("out of memory", NULL);
        len = snprintf(s, sizeof s, "dc-%u", (unsigned)(i % 10));
        if (columnar_append_string(&b->cols[3], s, (size_t)len) != I2I_OK) die("out of memory", NULL);
        columnar_append_f64(&b->cols[4], a / 4294967296.0 * 100.0);
        columnar_append_f64(&b->cols[5], (double)(i % 1000) * 0.5);
        columnar_append_f64(&b->cols[6], sin((double)i / 1000.0));
        columnar_append_f64(&b->cols[7], round(bb / 4294967296.0 * 1000.0 * 10.0) / 10.0);
        columnar_append_f64(&b->cols[8], (double)(42 + i % 7));
        columnar_append_i64(&b->cols[9], (int64_t)i);
    }
}

static double now_s(void) { return (double)i2i_monotonic_ns() / 1e9; }

/* The timed region: open, every batch, close; best of `runs`. Prints the result line. */
static void encode_codec(const char *name, int runs, const char *out, size_t rows, const parquet_column_spec *specs,
                         columnar_batch **batches, size_t nb)
{
    parquet_writer_options o;
    char path[4096];
    double best = 0;
    struct stat st;
    i2i_error e;
    size_t k;
    int r;
    parquet_writer_options_default(&o);
    if (parquet_codec_parse(name, &o.codec, &e) != I2I_OK) die("codec", &e);
    snprintf(path, sizeof path, "%s/ours_%s.parquet", out, name);
    for (r = 0; r < runs; r++) {
        parquet_fd_sink fds;
        parquet_sink sink;
        parquet_writer *w;
        double t;
        fds.fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        fds.path = path;
        if (fds.fd < 0) die(path, NULL);
        sink.write = parquet_fd_sink_write;
        sink.ctx = &fds;
        t = now_s();
        if (parquet_writer_open(&sink, specs, NCOLS, &o, &w, &e) != I2I_OK) die("open", &e);
        for (k = 0; k < nb; k++)
            if (parquet_writer_add_batch(w, batches[k], &e) != I2I_OK) die("add_batch", &e);
        if (parquet_writer_close(w, NULL, &e) != I2I_OK) die("close", &e);
        t = now_s() - t;
        close(fds.fd);
        if (r == 0 || t < best) best = t;
        fprintf(stderr, "parquet_encode: %s run %d: %.3f s\n", name, r + 1, t);
    }
    if (stat(path, &st) != 0) die(path, NULL);
    printf("ours %s rows=%zu seconds=%.6f bytes=%lld file=%s\n", name, rows, best, (long long)st.st_size, path);
    fflush(stdout);
}

int main(int argc, char **argv)
{
    size_t rows = 10000000, batch_rows = 65536, nb, k, i;
    int runs = 3, from_stdin = 0;
    const char *codecs = "zstd,snappy", *out = NULL;
    columnar_batch **batches;
    parquet_column_spec specs[NCOLS];
    i2i_error e;
    char list[256], *save = NULL, *name;
    double t0;

    for (i = 1; i < (size_t)argc; i++) {
        const char *a = argv[i], *v = i + 1 < (size_t)argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--stdin") == 0) {
            from_stdin = 1;
            continue;
        }
        if (!v) die("missing option value (usage: parquet_encode [--rows N] [--codecs zstd,snappy] [--runs R] [--batch-rows B] --out DIR)", NULL);
        if (strcmp(a, "--rows") == 0) rows = strtoull(v, NULL, 10);
        else if (strcmp(a, "--codecs") == 0) codecs = v;
        else if (strcmp(a, "--runs") == 0) runs = atoi(v);
        else if (strcmp(a, "--batch-rows") == 0) batch_rows = strtoull(v, NULL, 10);
        else if (strcmp(a, "--out") == 0) out = v;
        else die("unknown option", NULL);
        i++;
    }
    if (!out || rows == 0 || batch_rows == 0 || runs < 1) die("need --out DIR, and positive --rows/--batch-rows/--runs", NULL);

    memset(specs, 0, sizeof specs);
    for (i = 0; i < NCOLS; i++) {
        specs[i].name = fields[i].name;
        specs[i].field_id = (int32_t)i + 1;
        specs[i].optional = i != 0;
        specs[i].dictionary = PARQUET_DICT_AUTO;
        specs[i].physical = fields[i].type == COLUMNAR_STRING   ? PARQUET_BYTE_ARRAY
                            : fields[i].type == COLUMNAR_DOUBLE ? PARQUET_DOUBLE
                                                                : PARQUET_INT64;
        if (fields[i].type == COLUMNAR_STRING) specs[i].logical = PARQUET_LOGICAL_STRING;
    }
    specs[0].logical = PARQUET_LOGICAL_TIMESTAMP_MICROS;
    specs[0].adjusted_to_utc = 1;

    /* Generate everything first: the timed region only encodes and writes. */
    t0 = now_s();
    nb = (rows + batch_rows - 1) / batch_rows;
    batches = calloc(nb, sizeof *batches);
    if (!batches) die("out of memory", NULL);
    for (k = 0; k < nb; k++) {
        size_t n = k + 1 < nb ? batch_rows : rows - k * batch_rows;
        if (columnar_batch_new(fields, NCOLS, n, &batches[k], &e) != I2I_OK) die("columnar_batch_new", &e);
        fill(batches[k], (uint64_t)(k * batch_rows), n);
        if (columnar_batch_seal(batches[k], &e) != I2I_OK) die("columnar_batch_seal", &e);
    }
    fprintf(stderr, "parquet_encode: generated %zu rows in %zu batches (%.1f s, untimed)\n", rows, nb, now_s() - t0);

    if (from_stdin) {
        char line[64];
        while (fgets(line, sizeof line, stdin)) {
            line[strcspn(line, "\r\n")] = '\0';
            if (line[0]) encode_codec(line, 1, out, rows, specs, batches, nb);
        }
    } else {
        snprintf(list, sizeof list, "%s", codecs);
        for (name = strtok_r(list, ",", &save); name; name = strtok_r(NULL, ",", &save))
            encode_codec(name, runs, out, rows, specs, batches, nb);
    }
    for (k = 0; k < nb; k++) columnar_batch_free(batches[k]);
    free(batches);
    return 0;
}
