/* Micro-benchmark of the streaming JSONL parser on rows shaped like InfluxDB 3 output: time,
 * 3 tags, 5 doubles, 1 int64, 1 string, 1 boolean; keys in result-column (name) order. The body
 * is fed in 256 KiB chunks (libcurl's buffer size in the source layer), so lines straddle chunks.
 * Two float styles: telemetry-like values (few digits) and full 17-digit random doubles. The
 * baseline parses each line into a jansson DOM and reads the values out. Prints rows per
 * CPU-second (thread CPU time, best of N runs; N = argv[1], default 5). */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "source/jsonl.h"

#define NROWS 200000
#define CHUNK (256 * 1024)

static uint64_t rs = 0x9E3779B97F4A7C15ULL;
static uint64_t rnd(void)
{
    rs ^= rs << 13;
    rs ^= rs >> 7;
    rs ^= rs << 17;
    return rs;
}

/* Shortest round-trip text with a fraction or exponent, like the server's lexical-core. */
static void fmt_double(char *out, size_t n, double v)
{
    int p;
    for (p = 1; p <= 17; p++) {
        snprintf(out, n, "%.*g", p, v);
        if (strtod(out, NULL) == v) break;
    }
    if (!strpbrk(out, ".e")) strncat(out, ".0", n - strlen(out) - 1);
}

static char *make_body(int full_precision, size_t *len)
{
    i2i_buf b = I2I_BUF_INIT;
    static const char *hosts[] = {"server-a01", "server-b02", "server-c03", "server-d04"};
    static const char *regions[] = {"us-east-1", "eu-west-1", "ap-south-1"};
    static const char *msgs[] = {"ok", "degraded: disk 91% full", "restarting \\\"worker\\\" pool", "idle"};
    int i, k;
    int64_t t = INT64_C(1704067200000000000);
    for (i = 0; i < NROWS; i++) {
        char d[5][40];
        int64_t day, sod, y;
        unsigned mo, dd;
        int64_t secs, frac;
        t += 1000000 + (int64_t)(rnd() % 9000000);
        for (k = 0; k < 5; k++) {
            double v;
            if (full_precision) v = (double)(rnd() >> 11) / 9007199254740992.0 * 1000.0;
            else v = (double)(int64_t)(rnd() % 100000) / 100.0;
            fmt_double(d[k], sizeof d[k], v);
        }
        secs = t / 1000000000;
        frac = t % 1000000000;
        day = secs / 86400;
        sod = secs % 86400;
        i2i_civil_from_days(day, &y, &mo, &dd);
        i2i_buf_printf(&b,
                       "{\"cpu\":%s,\"dc\":\"dc-%d\",\"disk\":%s,\"healthy\":%s,\"host\":\"%s\",\"load\":%s,"
                       "\"mem\":%s,\"net\":%s,\"region\":\"%s\",\"requests\":%lld,\"status\":\"%s\","
                       "\"time\":\"%04lld-%02u-%02uT%02d:%02d:%02d.%09lld\"}\n",
                       d[0], (int)(rnd() % 8), d[1], rnd() % 2 ? "true" : "false", hosts[rnd() % 4], d[2], d[3],
                       d[4], regions[rnd() % 3], (long long)(rnd() % 10000000) - 5000000, msgs[rnd() % 4],
                       (long long)y, mo, dd, (int)(sod / 3600), (int)(sod / 60 % 60), (int)(sod % 60),
                       (long long)frac);
    }
    *len = b.len;
    return (char *)b.data;
}

static const columnar_field FIELDS[] = {
    {"cpu", COLUMNAR_DOUBLE, 0},       {"dc", COLUMNAR_STRING, 0},     {"disk", COLUMNAR_DOUBLE, 0},
    {"healthy", COLUMNAR_BOOL, 0},     {"host", COLUMNAR_STRING, 0},   {"load", COLUMNAR_DOUBLE, 0},
    {"mem", COLUMNAR_DOUBLE, 0},       {"net", COLUMNAR_DOUBLE, 0},    {"region", COLUMNAR_STRING, 0},
    {"requests", COLUMNAR_INT64, 0},   {"status", COLUMNAR_STRING, 0}, {"time", COLUMNAR_TIMESTAMP, COLUMNAR_NANOS},
};

static uint64_t delivered;
static int on_batch(void *ctx, columnar_batch *b, i2i_error *err)
{
    (void)ctx;
    (void)err;
    delivered += b->nrows;
    return 0;
}

/* CPU time of this thread: rows per CPU-second on one core, unaffected by other processes
 * preempting us on a busy machine. */
static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double run_ours(const char *body, size_t len, int reps)
{
    columnar_batch *b;
    jsonl_parser *p;
    jsonl_config cfg;
    i2i_error err;
    double t0, best = 1e30;
    int r;
    if (columnar_batch_new(FIELDS, 12, 65536, &b, &err) != 0) abort();
    memset(&cfg, 0, sizeof cfg);
    cfg.batch = b;
    cfg.on_batch = on_batch;
    cfg.time_col = 11;
    if (jsonl_parser_new(&cfg, &p, &err) != 0) abort();
    for (r = 0; r < reps; r++) {
        size_t off = 0;
        double dt;
        delivered = 0;
        t0 = now_s();
        while (off < len) {
            size_t n = len - off < CHUNK ? len - off : CHUNK;
            if (jsonl_parser_feed(p, body + off, n, &err) != 0) {
                fprintf(stderr, "parse error: %s\n", err.msg);
                abort();
            }
            off += n;
        }
        if (jsonl_parser_finish(p, &err) != 0 || jsonl_parser_flush(p, &err) != 0) abort();
        dt = now_s() - t0;
        if (delivered != NROWS) abort();
        if (dt < best) best = dt;
    }
    jsonl_parser_free(p);
    columnar_batch_free(b);
    return NROWS / best;
}

static double run_jansson(const char *body, size_t len)
{
    const char *p = body, *end = body + len;
    double t0 = now_s(), sink = 0;
    size_t rows = 0;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        json_t *o = json_loadb(p, (size_t)(nl - p), 0, NULL);
        const char *k;
        json_t *v;
        if (!o) abort();
        json_object_foreach(o, k, v)
        {
            if (json_is_real(v)) sink += json_real_value(v);
            else if (json_is_integer(v)) sink += (double)json_integer_value(v);
            else if (json_is_string(v)) sink += (double)json_string_length(v);
        }
        json_decref(o);
        rows++;
        p = nl + 1;
    }
    if (sink == 0.12345) puts("");
    return rows / (now_s() - t0);
}

int main(int argc, char **argv)
{
    int fp, reps = argc > 1 ? atoi(argv[1]) : 5;
    int only = argc > 2 ? atoi(argv[2]) : -1; /* 0 = telemetry, 1 = full precision */
    if (reps < 1) reps = 1;
    for (fp = 0; fp < 2; fp++) {
        if (only >= 0 && fp != only) continue;
        size_t len;
        char *body = make_body(fp, &len);
        double ours = run_ours(body, len, reps);
        double base = run_jansson(body, len);
        printf("jsonl_parse %-22s %7.0f bytes/row  ours %6.2f M rows/s (%5.0f MB/s)  jansson-DOM %5.2f M rows/s  ratio %.1fx\n",
               fp ? "full-precision floats" : "telemetry floats", (double)len / NROWS, ours / 1e6,
               ours * ((double)len / NROWS) / 1e6, base / 1e6, ours / base);
        free(body);
    }
    return 0;
}
