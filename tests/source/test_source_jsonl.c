/* The streaming JSONL parser: chunk-split invariance, every value type exactly, errors. */
#include <locale.h>
#include <math.h>
#include <stdlib.h>

#include "source/jsonl.h"
#include "test.h"

/* ---------------------------------------------------------------- helpers */

/* Collects a canonical text dump of every delivered row (and the batch sizes). */
typedef struct sink {
    i2i_buf dump;
    size_t batches;
    size_t sizes[64];
    int fail_at; /* return an error on this batch number (1-based), 0 = never */
} sink;

static void dump_value(i2i_buf *d, const columnar_column *c, size_t r)
{
    size_t i, n;
    const char *s;
    if (!columnar_is_valid(c, r)) {
        i2i_buf_append_str(d, "NULL");
        return;
    }
    switch (c->type) {
    case COLUMNAR_TIMESTAMP:
    case COLUMNAR_INT64: i2i_buf_printf(d, "%lld", (long long)c->v.i64[r]); break;
    case COLUMNAR_UINT64: i2i_buf_printf(d, "%llu", (unsigned long long)c->v.u64[r]); break;
    case COLUMNAR_DOUBLE:
        if (isnan(c->v.f64[r])) i2i_buf_append_str(d, "nan");
        else i2i_buf_printf(d, "%a", c->v.f64[r]);
        break;
    case COLUMNAR_BOOL: i2i_buf_append_str(d, c->v.b[r] ? "true" : "false"); break;
    case COLUMNAR_STRING:
        s = columnar_string_at(c, r, &n);
        i2i_buf_put_u8(d, '<');
        for (i = 0; i < n; i++) {
            unsigned char ch = (unsigned char)s[i];
            if (ch < 0x20 || ch == '<' || ch == '>' || ch >= 0x7f) i2i_buf_printf(d, "\\x%02x", ch);
            else i2i_buf_put_u8(d, ch);
        }
        i2i_buf_put_u8(d, '>');
        break;
    }
}

static int on_batch(void *ctx, columnar_batch *b, i2i_error *err)
{
    sink *k = ctx;
    size_t r, c;
    if (k->batches < 64) k->sizes[k->batches] = b->nrows;
    k->batches++;
    if (k->fail_at && (int)k->batches == k->fail_at)
        return i2i_error_set(err, I2I_ERR_IO, "consumer refused batch %zu", k->batches);
    for (r = 0; r < b->nrows; r++) {
        for (c = 0; c < b->ncols; c++) {
            CHECK_EQ_INT(b->cols[c].len, b->nrows);
            i2i_buf_printf(&k->dump, "%s%s=", c ? " " : "", b->cols[c].name);
            dump_value(&k->dump, &b->cols[c], r);
        }
        i2i_buf_put_u8(&k->dump, '\n');
    }
    return 0;
}

static const columnar_field ALL_FIELDS[] = {
    {"time", COLUMNAR_TIMESTAMP, COLUMNAR_NANOS}, {"host", COLUMNAR_STRING, 0},
    {"Region \"x\"", COLUMNAR_STRING, 0},          {"usage", COLUMNAR_DOUBLE, 0},
    {"count", COLUMNAR_INT64, 0},                  {"big", COLUMNAR_UINT64, 0},
    {"ok", COLUMNAR_BOOL, 0},                      {"msg", COLUMNAR_STRING, 0},
    {"café.temp", COLUMNAR_DOUBLE, 0},
};
#define NALL (sizeof ALL_FIELDS / sizeof ALL_FIELDS[0])

typedef struct fixture {
    columnar_batch *b;
    jsonl_parser *p;
    sink k;
} fixture;

static int fx_open(fixture *f, const columnar_field *fields, size_t n, size_t cap, int ignore_unknown,
                   int nonfinite_null, size_t max_bytes)
{
    jsonl_config cfg;
    i2i_error err;
    memset(f, 0, sizeof *f);
    if (columnar_batch_new(fields, n, cap, &f->b, &err) != 0) return -1;
    memset(&cfg, 0, sizeof cfg);
    cfg.batch = f->b;
    cfg.on_batch = on_batch;
    cfg.ctx = &f->k;
    cfg.ignore_unknown_keys = ignore_unknown;
    cfg.nonfinite_as_null = nonfinite_null;
    cfg.max_batch_bytes = max_bytes;
    cfg.time_col = columnar_batch_find(f->b, "time");
    if (jsonl_parser_new(&cfg, &f->p, &err) != 0) return -1;
    return 0;
}

static void fx_close(fixture *f)
{
    jsonl_parser_free(f->p);
    columnar_batch_free(f->b);
    i2i_buf_free(&f->k.dump);
}

/* Parse all of `in` in one go (plus finish + flush); returns the status. */
static int parse_all(fixture *f, const char *in, size_t n, i2i_error *err)
{
    int rc = jsonl_parser_feed(f->p, in, n, err);
    if (rc == 0) rc = jsonl_parser_finish(f->p, err);
    if (rc == 0) rc = jsonl_parser_flush(f->p, err);
    return rc;
}

/* One-shot parse of `in` with the ALL_FIELDS schema; the dump is returned (caller frees). */
static char *parse_dump(const char *in, size_t cap, int *rc_out, i2i_error *err)
{
    fixture f;
    char *out;
    if (fx_open(&f, ALL_FIELDS, NALL, cap, 0, 0, 0) != 0) return NULL;
    *rc_out = parse_all(&f, in, strlen(in), err);
    out = i2i_strdup(i2i_buf_cstr(&f.k.dump));
    fx_close(&f);
    return out;
}

/* A body exercising every type, escapes, non-ASCII, missing keys, reordered keys, nulls, long
 * strings and whitespace variants. */
static char *make_body(int with_long)
{
    i2i_buf b = I2I_BUF_INIT;
    int i;
    i2i_buf_append_str(&b,
        "{\"big\":18446744073709551615,\"count\":-9223372036854775808,\"host\":\"a\",\"msg\":\"x\","
        "\"ok\":true,\"Region \\\"x\\\"\":\"eu\",\"time\":\"2024-01-02T03:04:05.123456789\",\"usage\":0.1,"
        "\"café.temp\":-0.0}\n");
    i2i_buf_append_str(&b,
        "{\"time\":\"1969-12-31T23:59:59.999999999\",\"host\":\"\\u00e9\\u20ac\\ud83d\\ude00\",\"count\":"
        "9223372036854775807,\"usage\":null,\"ok\":false}\n");
    i2i_buf_append_str(&b,
        "{ \"time\" : \"1970-01-01T00:00:00\" , \"msg\" : \"tab\\there \\\"q\\\" back\\\\slash \\/ nl\\n "
        "cr\\r bs\\b ff\\f ctl\\u0001 raw é€😀\" , \"usage\" : 1.0e10 }\r\n");
    i2i_buf_append_str(&b, "{\"time\":\"2065-01-07T17:28:56.5\",\"usage\":1.5e-7,\"big\":0}\n");
    i2i_buf_append_str(&b, "{\"time\":\"2024-01-02T03:04:05.123\",\"usage\":82.0,\"count\":0}\n");
    i2i_buf_append_str(&b, "{\"time\":\"2024-01-02T03:04:05.123456\",\"usage\":1000000000.0}\n");
    /* a 10 KB string full of quotes, newlines and backslashes */
    i2i_buf_append_str(&b, "{\"time\":\"2024-01-02T00:00:00\",\"msg\":\"");
    for (i = 0; i < (with_long ? 1000 : 10); i++) i2i_buf_append_str(&b, i % 3 ? "ab\\\"cd\\n" : "xyz\\\\\\u00fc");
    i2i_buf_append_str(&b, "\"}\n");
    for (i = 0; i < 20; i++) {
        i2i_buf_printf(&b,
            "{\"count\":%d,\"host\":\"h%d\",\"time\":\"2024-03-0%dT12:00:%02d.%03d\",\"usage\":%d.%d,\"ok\":%s}\n",
            i * 7 - 50, i % 3, 1 + i % 5, i, i * 37 % 1000, i, i * 13, i % 2 ? "true" : "false");
    }
    return i2i_buf_cstr(&b);
}

static uint64_t rng_state = 88172645463325252ULL;
static uint64_t rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

/* Parse `in` split at the given cut points; returns the dump. */
static char *parse_split(const char *in, size_t n, const size_t *cuts, size_t ncuts, size_t cap, int *rc_out)
{
    fixture f;
    i2i_error err;
    size_t i, pos = 0;
    char *out;
    int rc = 0;
    if (fx_open(&f, ALL_FIELDS, NALL, cap, 0, 0, 0) != 0) return NULL;
    for (i = 0; i <= ncuts && rc == 0; i++) {
        size_t next = i < ncuts ? cuts[i] : n;
        /* feed from a private heap copy so ASan catches reads past the chunk */
        char *chunk = malloc(next - pos + 1);
        memcpy(chunk, in + pos, next - pos);
        rc = jsonl_parser_feed(f.p, chunk, next - pos, &err);
        free(chunk);
        pos = next;
    }
    if (rc == 0) rc = jsonl_parser_finish(f.p, &err);
    if (rc == 0) rc = jsonl_parser_flush(f.p, &err);
    *rc_out = rc;
    out = i2i_strdup(i2i_buf_cstr(&f.k.dump));
    fx_close(&f);
    return out;
}

/* ---------------------------------------------------------------- tests */

TEST(every_chunk_split_gives_identical_batches)
{
    char *body = make_body(0);
    size_t n = strlen(body), k, i;
    i2i_error err;
    int rc;
    char *ref = parse_dump(body, 3, &rc, &err);
    REQUIRE(ref != NULL);
    CHECK_OK(rc, &err);
    CHECK(strlen(ref) > 1000);

    /* every single cut point */
    for (k = 0; k <= n; k++) {
        char *d = parse_split(body, n, &k, 1, 3, &rc);
        CHECK_EQ_INT(rc, 0);
        if (strcmp(d, ref) != 0) {
            i2i_test_fail(__FILE__, __LINE__, "split at %zu differs", k);
            free(d);
            break;
        }
        free(d);
    }
    /* one byte at a time */
    {
        size_t *cuts = malloc(n * sizeof *cuts);
        char *d;
        for (i = 0; i < n; i++) cuts[i] = i + 1;
        d = parse_split(body, n, cuts, n - 1, 3, &rc);
        CHECK_EQ_INT(rc, 0);
        CHECK_EQ_STR(d, ref);
        free(d);
        free(cuts);
    }
    free(ref);
    free(body);
    /* random splits of a body with a 10 KB string, various batch capacities */
    body = make_body(1);
    n = strlen(body);
    ref = parse_dump(body, 3, &rc, &err);
    REQUIRE(ref != NULL);
    CHECK(strlen(ref) > 10000);
    for (i = 0; i < 200; i++) {
        size_t cuts[40], nc = rng() % 40, j, cap = 1 + rng() % 7;
        char *d, *ref2;
        for (j = 0; j < nc; j++) cuts[j] = rng() % (n + 1);
        /* sort cuts */
        for (j = 1; j < nc; j++) {
            size_t v = cuts[j], m = j;
            while (m > 0 && cuts[m - 1] > v) {
                cuts[m] = cuts[m - 1];
                m--;
            }
            cuts[m] = v;
        }
        ref2 = parse_dump(body, cap, &rc, &err);
        CHECK_EQ_STR(ref2, ref); /* capacity does not change the rows */
        d = parse_split(body, n, cuts, nc, cap, &rc);
        CHECK_EQ_INT(rc, 0);
        CHECK_EQ_STR(d, ref);
        free(d);
        free(ref2);
        if (i2i_test_failed_now()) break;
    }
    free(ref);
    free(body);
}

TEST(values_are_exact)
{
    i2i_error err;
    int rc;
    char *d = parse_dump(
        "{\"big\":18446744073709551615,\"count\":-9223372036854775808,\"host\":\"a\",\"ok\":true,"
        "\"time\":\"2024-01-02T03:04:05.123456789\",\"usage\":0.1,\"café.temp\":-0.0}\n"
        "{\"count\":9223372036854775807,\"time\":\"1969-12-31T23:59:59.999999999\",\"big\":0,\"ok\":false}\n",
        10, &rc, &err);
    CHECK_OK(rc, &err);
    CHECK_EQ_STR(d,
                 "time=1704164645123456789 host=<a> Region \"x\"=NULL usage=0x1.999999999999ap-4 "
                 "count=-9223372036854775808 big=18446744073709551615 ok=true msg=NULL café.temp=-0x0p+0\n"
                 "time=-1 host=NULL Region \"x\"=NULL usage=NULL count=9223372036854775807 big=0 "
                 "ok=false msg=NULL café.temp=NULL\n");
    free(d);
}

TEST(negative_zero_keeps_its_sign)
{
    fixture f;
    i2i_error err;
    const char *in = "{\"time\":\"2024-01-01T00:00:00\",\"usage\":-0.0,\"café.temp\":0.0}\n"
                     "{\"time\":\"2024-01-01T00:00:00\",\"usage\":-0,\"café.temp\":-0e5}\n";
    REQUIRE(fx_open(&f, ALL_FIELDS, NALL, 10, 0, 0, 0) == 0);
    REQUIRE_OK(jsonl_parser_feed(f.p, in, strlen(in), &err), &err);
    CHECK(signbit(f.b->cols[3].v.f64[0]) && f.b->cols[3].v.f64[0] == 0.0);
    CHECK(!signbit(f.b->cols[8].v.f64[0]));
    CHECK(signbit(f.b->cols[3].v.f64[1]));
    CHECK(signbit(f.b->cols[8].v.f64[1]));
    fx_close(&f);
}

TEST(strings_escapes_and_non_ascii)
{
    fixture f;
    i2i_error err;
    size_t n;
    const char *s;
    const char *in =
        "{\"time\":\"2024-01-01T00:00:00\",\"msg\":\"q\\\" b\\\\ s\\/ \\b\\f\\n\\r\\t \\u0000\\u001f "
        "\\u00e9\\u20AC\\ud83d\\ude00 raw:é€😀\"}\n";
    const char want[] = "q\" b\\ s/ \b\f\n\r\t \0\x1f \xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80 raw:é€😀";
    REQUIRE(fx_open(&f, ALL_FIELDS, NALL, 10, 0, 0, 0) == 0);
    REQUIRE_OK(jsonl_parser_feed(f.p, in, strlen(in), &err), &err);
    s = columnar_string_at(&f.b->cols[7], 0, &n);
    CHECK_EQ_INT(n, sizeof want - 1);
    CHECK(n == sizeof want - 1 && memcmp(s, want, n) == 0);
    fx_close(&f);
}

TEST(long_strings_with_quotes_and_newlines)
{
    fixture f;
    i2i_error err;
    i2i_buf in = I2I_BUF_INIT, want = I2I_BUF_INIT;
    size_t n, i;
    const char *s;
    i2i_buf_append_str(&in, "{\"time\":\"2024-01-01T00:00:00\",\"msg\":\"");
    for (i = 0; i < 2000; i++) {
        i2i_buf_append_str(&in, "a\\\"b\\nc");
        i2i_buf_append_str(&want, "a\"b\nc");
    }
    i2i_buf_append_str(&in, "\",\"host\":\"");
    for (i = 0; i < 10240; i++) i2i_buf_put_u8(&in, (uint8_t)('a' + i % 26));
    i2i_buf_append_str(&in, "\"}\n");
    REQUIRE(fx_open(&f, ALL_FIELDS, NALL, 10, 0, 0, 0) == 0);
    REQUIRE_OK(parse_all(&f, (const char *)in.data, in.len, &err), &err);
    CHECK_EQ_INT(f.k.batches, 1);
    CHECK(strstr(i2i_buf_cstr(&f.k.dump), "msg=<a\"b\\x0ac") != NULL);
    fx_close(&f);
    /* and directly */
    REQUIRE(fx_open(&f, ALL_FIELDS, NALL, 10, 0, 0, 0) == 0);
    REQUIRE_OK(jsonl_parser_feed(f.p, in.data, in.len, &err), &err);
    s = columnar_string_at(&f.b->cols[7], 0, &n);
    CHECK_EQ_INT(n, want.len);
    CHECK(n == want.len && memcmp(s, want.data, n) == 0);
    s = columnar_string_at(&f.b->cols[1], 0, &n);
    CHECK_EQ_INT(n, 10240);
    CHECK(n == 10240 && s[10239] == 'a' + 10239 % 26);
    fx_close(&f);
    i2i_buf_free(&in);
    i2i_buf_free(&want);
}

TEST(timestamps_full_precision_and_before_1970)
{
    static const struct {
        const char *text;
        int64_t ns;
    } cases[] = {
        {"1970-01-01T00:00:00", 0},
        {"1970-01-01T00:00:00.000000001", 1},
        {"1970-01-01T00:00:00.000000123", 123},
        {"1969-12-31T23:59:59.999999999", -1},
        {"1969-12-31T23:59:59", -1000000000},
        {"1900-01-01T00:00:00", INT64_C(-2208988800000000000)},
        {"1677-09-21T00:12:43.145224192", INT64_MIN},
        {"2262-04-11T23:47:16.854775807", INT64_MAX},
        {"2024-02-29T12:34:56.5", INT64_C(1709210096500000000)},
        {"2024-02-29T12:34:56.123", INT64_C(1709210096123000000)},
        {"2024-02-29T12:34:56.123456", INT64_C(1709210096123456000)},
        {"2065-01-07T17:28:56", INT64_C(2998574936000000000)},
        {"2024-01-01T00:00:00Z", INT64_C(1704067200000000000)},        /* zone: slow path */
        {"2024-01-01T02:00:00+02:00", INT64_C(1704067200000000000)},
        {"2024-01-01 00:00:00", INT64_C(1704067200000000000)},
    };
    size_t i;
    static const columnar_field tf[] = {{"time", COLUMNAR_TIMESTAMP, COLUMNAR_NANOS}};
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        fixture f;
        i2i_error err;
        char line[128];
        snprintf(line, sizeof line, "{\"time\":\"%s\"}\n", cases[i].text);
        REQUIRE(fx_open(&f, tf, 1, 4, 0, 0, 0) == 0);
        CHECK_OK(jsonl_parser_feed(f.p, line, strlen(line), &err), &err);
        if (f.b->nrows == 1 && f.b->cols[0].v.i64[0] != cases[i].ns)
            i2i_test_fail(__FILE__, __LINE__, "%s -> %lld, want %lld", cases[i].text,
                          (long long)f.b->cols[0].v.i64[0], (long long)cases[i].ns);
        CHECK_EQ_INT(f.b->nrows, 1);
        fx_close(&f);
    }
    /* bad times fail */
    {
        static const char *bad[] = {"2023-02-30T00:00:00", "2024-13-01T00:00:00", "2024-01-01T24:00:00",
                                    "2024-01-01T00:00:00.", "2024-01-01T00:00:00.12x", "yesterday", "", "1"};
        for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
            fixture f;
            i2i_error err;
            char line[128];
            int rc;
            snprintf(line, sizeof line, "{\"time\":\"%s\"}\n", bad[i]);
            REQUIRE(fx_open(&f, tf, 1, 4, 0, 0, 0) == 0);
            rc = jsonl_parser_feed(f.p, line, strlen(line), &err);
            if (rc == 0) i2i_test_fail(__FILE__, __LINE__, "time '%s' accepted", bad[i]);
            fx_close(&f);
        }
    }
}

/* One parser, many rows: the parser reuses the last row's date, hour and minute when a time
 * string starts with the same 16 bytes; every value must still equal a fresh parse. */
TEST(timestamps_in_one_stream_match_a_fresh_parse)
{
    static const char *seq[] = {
        "2024-03-01T12:00:00",           "2024-03-01T12:00:00.5",       "2024-03-01T12:00:59.999999999",
        "2024-03-01T12:01:00.000000001", "2024-03-02T12:01:00",         "2024-04-02T12:01:00.12345678",
        "2025-04-02T12:01:07.1",         "2025-04-02T13:01:07.123456789", "2025-04-02T13:01:07Z",
        "2025-04-02T13:01:08",           "1969-12-31T23:59:59.9",       "1969-12-31T23:59:58",
        "2024-02-29T23:59:59",           "2024-02-29T23:59:01.01",
    };
    static const columnar_field tf[] = {{"time", COLUMNAR_TIMESTAMP, COLUMNAR_NANOS}};
    fixture f;
    i2i_error err;
    i2i_buf in = I2I_BUF_INIT;
    size_t i, n = sizeof seq / sizeof seq[0];
    for (i = 0; i < n; i++) i2i_buf_printf(&in, "{\"time\":\"%s\"}\n", seq[i]);
    REQUIRE(fx_open(&f, tf, 1, 64, 0, 0, 0) == 0);
    CHECK_OK(jsonl_parser_feed(f.p, (const char *)in.data, in.len, &err), &err);
    CHECK_EQ_INT(f.b->nrows, n);
    for (i = 0; i < n && i < f.b->nrows; i++) {
        int64_t want = 0;
        i2i_error e;
        REQUIRE(i2i_time_parse(seq[i], strlen(seq[i]), 0, &want, &e) == I2I_OK);
        if (f.b->cols[0].v.i64[i] != want)
            i2i_test_fail(__FILE__, __LINE__, "row %zu %s -> %lld, want %lld", i, seq[i],
                          (long long)f.b->cols[0].v.i64[i], (long long)want);
    }
    fx_close(&f);
    /* A bad second after a good row of the same minute is still refused. */
    {
        const char *bad = "{\"time\":\"2024-03-01T12:00:00\"}\n{\"time\":\"2024-03-01T12:00:6x\"}\n";
        REQUIRE(fx_open(&f, tf, 1, 64, 0, 0, 0) == 0);
        if (jsonl_parser_feed(f.p, bad, strlen(bad), &err) == 0)
            i2i_test_fail(__FILE__, __LINE__, "second 6x accepted after a row of the same minute");
        fx_close(&f);
    }
    i2i_buf_free(&in);
}

TEST(doubles_round_trip_exactly)
{
    static const char *cases[] = {
        "0.1", "0.2", "0.30000000000000004", "1.0", "82.0", "0.9", "1.0e10", "1.5e-7", "1000000000.0",
        "2.2250738585072014e-308", "2.2250738585072011e-308", "4.9e-324", "5e-324", "1.7976931348623157e308",
        "9007199254740993", "9007199254740992.0", "9007199254740995", "9007199254740997", "18014398509481987",
        "98.58585858585859", "0.012345678901234567", "1234567890123456789e-19", "9999999999999999999e19",
        "9999999999999999999e-19", "1.0000000000000002", "0.9999999999999999", "4.35097e-4", "123456789012345678901234567890", "1e22", "1e23",
        "8.98846567431158e307", "0.1e1", "-1.5E+3", "3.141592653589793", "2.718281828459045235360287",
        "1e-400", "0.000000000000000000000000000000000000000000001",
        "12345678901234567890.123456789e-10", "7.307059979368068e+43", "-123.456", "1.00000000000000011102230246251565404236316680908203125",
        "179769313486231580793728971405303415079934132710037826936173778980444968292764750946649017977587207096330286416692887910946555547851940402630657488671505820681908902000708383676273854845817711531764475730270069855571366959622842914819860834936475292719074168444365510704342711559699508093042880177904174497791.9999999999999999999999999999999999999999999999999999999999999999999999",
    };
    static const columnar_field df[] = {{"time", COLUMNAR_TIMESTAMP, COLUMNAR_NANOS}, {"v", COLUMNAR_DOUBLE, 0}};
    locale_t c = newlocale(LC_NUMERIC_MASK, "C", (locale_t)0);
    size_t i;
    int german = setlocale(LC_NUMERIC, "de_DE.UTF-8") != NULL; /* strtod would want ',' here */
    REQUIRE(c != (locale_t)0);
    for (i = 0; i < sizeof cases / sizeof cases[0] + 100000; i++) {
        fixture f;
        i2i_error err;
        char num[512], line[700];
        double want, got;
        if (i < sizeof cases / sizeof cases[0]) {
            snprintf(num, sizeof num, "%s", cases[i]);
        } else {
            /* random bit patterns, printed at 17 and at shortest-ish 15/16 digits */
            uint64_t bits = rng();
            double v;
            memcpy(&v, &bits, 8);
            if (!isfinite(v)) continue;
            snprintf(num, sizeof num, "%.*g", (int)(15 + i % 3), v);
            if (i % 5 == 0) snprintf(num, sizeof num, "%.6f", (double)(int64_t)(rng() % 2000000) / 1000.0 - 1000.0);
            if (i % 5 == 1) {
                /* 16-19 significant digits, decimal exponent -40..40, plain or e-notation, and
                 * round-half cases (mantissas ending in 5 at the 2^-53 boundary) */
                uint64_t m = rng() % UINT64_C(10000000000000000000);
                int e = (int)(rng() % 81) - 40;
                if (i % 10 == 1) m = (UINT64_C(1) << 53) + 1 + 2 * (rng() % 1000);
                if (e >= 0) snprintf(num, sizeof num, "%llue%d", (unsigned long long)m, e);
                else if (e >= -19) {
                    char digits[32];
                    int nd = snprintf(digits, sizeof digits, "%llu", (unsigned long long)m);
                    if (-e < nd) snprintf(num, sizeof num, "%.*s.%s", nd + e, digits, digits + nd + e);
                    else snprintf(num, sizeof num, "0.%0*d%s", -e - nd, 0, digits);
                    if (-e - nd == 0) snprintf(num, sizeof num, "0.%s", digits);
                } else {
                    snprintf(num, sizeof num, "%llue%d", (unsigned long long)m, e);
                }
            }
        }
        want = strtod_l(num, NULL, c);
        /* the value last (few bytes before the newline: byte loops) or first (word-wise paths) */
        if (i % 2) snprintf(line, sizeof line, "{\"v\":%s,\"time\":\"2024-01-01T00:00:00\"}\n", num);
        else snprintf(line, sizeof line, "{\"time\":\"2024-01-01T00:00:00\",\"v\":%s}\n", num);
        REQUIRE(fx_open(&f, df, 2, 4, 0, 0, 0) == 0);
        if (jsonl_parser_feed(f.p, line, strlen(line), &err) != 0) {
            i2i_test_fail(__FILE__, __LINE__, "'%s' rejected: %s", num, err.msg);
        } else {
            got = f.b->cols[1].v.f64[0];
            if (memcmp(&got, &want, 8) != 0)
                i2i_test_fail(__FILE__, __LINE__, "'%s' -> %a, strtod says %a", num, got, want);
        }
        fx_close(&f);
        if (i2i_test_failed_now()) break;
    }
    if (german) setlocale(LC_NUMERIC, "C");
    freelocale(c);
}

TEST(integers_limits_and_overflow)
{
    static const columnar_field f3[] = {{"time", COLUMNAR_TIMESTAMP, COLUMNAR_NANOS},
                                        {"i", COLUMNAR_INT64, 0},
                                        {"u", COLUMNAR_UINT64, 0}};
    static const struct {
        const char *line;
        int ok;
    } cases[] = {
        {"{\"time\":\"2024-01-01T00:00:00\",\"i\":-9223372036854775808,\"u\":18446744073709551615}\n", 1},
        {"{\"time\":\"2024-01-01T00:00:00\",\"i\":9223372036854775808}\n", 0},
        {"{\"time\":\"2024-01-01T00:00:00\",\"i\":-9223372036854775809}\n", 0},
        {"{\"time\":\"2024-01-01T00:00:00\",\"u\":18446744073709551616}\n", 0},
        {"{\"time\":\"2024-01-01T00:00:00\",\"u\":-1}\n", 0},
        {"{\"time\":\"2024-01-01T00:00:00\",\"i\":1.5}\n", 0},
        {"{\"time\":\"2024-01-01T00:00:00\",\"i\":1e3}\n", 0},
        {"{\"time\":\"2024-01-01T00:00:00\",\"i\":\"12\"}\n", 0},
        {"{\"time\":\"2024-01-01T00:00:00\",\"i\":-}\n", 0},
    };
    size_t i;
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        fixture f;
        i2i_error err;
        int rc;
        REQUIRE(fx_open(&f, f3, 3, 4, 0, 0, 0) == 0);
        rc = jsonl_parser_feed(f.p, cases[i].line, strlen(cases[i].line), &err);
        if ((rc == 0) != cases[i].ok) i2i_test_fail(__FILE__, __LINE__, "case %zu: rc %d (%s)", i, rc, rc ? err.msg : "");
        if (i == 0 && rc == 0) {
            CHECK(f.b->cols[1].v.i64[0] == INT64_MIN);
            CHECK(f.b->cols[2].v.u64[0] == UINT64_MAX);
        }
        if (rc != 0) CHECK(strstr(err.msg, "'i'") || strstr(err.msg, "'u'"));
        fx_close(&f);
    }
}

TEST(missing_keys_are_null_and_nonfinite_counted)
{
    fixture f;
    i2i_error err;
    const jsonl_stats *st;
    const char *in = "{\"time\":\"2024-01-01T00:00:00\"}\n"
                     "{\"time\":\"2024-01-01T00:00:01\",\"usage\":null,\"count\":null,\"host\":null}\n"
                     "{\"time\":\"2024-01-01T00:00:02\",\"usage\":null,\"café.temp\":null}\n";
    REQUIRE(fx_open(&f, ALL_FIELDS, NALL, 10, 0, 0, 0) == 0);
    REQUIRE_OK(jsonl_parser_feed(f.p, in, strlen(in), &err), &err);
    REQUIRE(f.b->nrows == 3);
    CHECK(!columnar_is_valid(&f.b->cols[3], 0)); /* missing -> NULL */
    CHECK(columnar_is_valid(&f.b->cols[3], 1) && isnan(f.b->cols[3].v.f64[1])); /* null -> NaN */
    CHECK(!columnar_is_valid(&f.b->cols[4], 1)); /* null on int -> NULL */
    CHECK(!columnar_is_valid(&f.b->cols[1], 1)); /* null on string -> NULL */
    CHECK(isnan(f.b->cols[8].v.f64[2]));
    CHECK_EQ_INT(f.b->cols[3].null_count, 1);
    st = jsonl_parser_stats(f.p);
    CHECK_EQ_INT(st->nonfinite, 3);
    CHECK_EQ_INT(st->nonfinite_by_col[3], 2);
    CHECK_EQ_INT(st->nonfinite_by_col[8], 1);
    fx_close(&f);

    REQUIRE(fx_open(&f, ALL_FIELDS, NALL, 10, 0, 1, 0) == 0); /* nonfinite_as_null */
    REQUIRE_OK(jsonl_parser_feed(f.p, in, strlen(in), &err), &err);
    CHECK(!columnar_is_valid(&f.b->cols[3], 1));
    CHECK_EQ_INT(jsonl_parser_stats(f.p)->nonfinite, 3);
    fx_close(&f);
}

TEST(truncated_last_line_is_an_error)
{
    fixture f;
    i2i_error err;
    const char *in = "{\"time\":\"2024-01-01T00:00:00\"}\n{\"time\":\"2024-01-01T00:00:01\"}";
    int rc;
    REQUIRE(fx_open(&f, ALL_FIELDS, NALL, 10, 0, 0, 0) == 0);
    REQUIRE_OK(jsonl_parser_feed(f.p, in, strlen(in), &err), &err);
    rc = jsonl_parser_finish(f.p, &err);
    CHECK_EQ_INT(rc, I2I_ERR_FORMAT);
    CHECK(strstr(err.msg, "truncated") != NULL);
    fx_close(&f);
    /* cut inside a string, a number, and right after '{' */
    {
        static const char *cuts[] = {"{\"time\":\"2024-01-01T0", "{\"time\":\"2024-01-01T00:00:00\",\"count\":12", "{"};
        size_t i;
        for (i = 0; i < 3; i++) {
            REQUIRE(fx_open(&f, ALL_FIELDS, NALL, 10, 0, 0, 0) == 0);
            CHECK_EQ_INT(parse_all(&f, cuts[i], strlen(cuts[i]), &err), I2I_ERR_FORMAT);
            CHECK_EQ_INT(f.k.batches, 0);
            fx_close(&f);
        }
    }
    /* an empty body is a valid empty result */
    REQUIRE(fx_open(&f, ALL_FIELDS, NALL, 10, 0, 0, 0) == 0);
    CHECK_OK(parse_all(&f, "", 0, &err), &err);
    CHECK_EQ_INT(f.k.batches, 0);
    fx_close(&f);
}

TEST(batch_rollover_at_capacity_and_bytes)
{
    fixture f;
    i2i_error err;
    i2i_buf in = I2I_BUF_INIT;
    int i;
    for (i = 0; i < 5; i++) i2i_buf_printf(&in, "{\"time\":\"2024-01-01T00:00:0%d\",\"count\":%d}\n", i, i);
    REQUIRE(fx_open(&f, ALL_FIELDS, NALL, 2, 0, 0, 0) == 0);
    REQUIRE_OK(parse_all(&f, (const char *)in.data, in.len, &err), &err);
    CHECK_EQ_INT(f.k.batches, 3);
    CHECK_EQ_INT(f.k.sizes[0], 2);
    CHECK_EQ_INT(f.k.sizes[1], 2);
    CHECK_EQ_INT(f.k.sizes[2], 1);
    CHECK_EQ_INT(jsonl_parser_stats(f.p)->rows, 5);
    CHECK(strstr(i2i_buf_cstr(&f.k.dump), "count=4") != NULL);
    fx_close(&f);
    i2i_buf_reset(&in);

    /* byte limit: 3 rows of 1000-byte strings with a 2500-byte limit -> deliver after 3 */
    for (i = 0; i < 6; i++) {
        int k;
        i2i_buf_printf(&in, "{\"time\":\"2024-01-01T00:00:0%d\",\"msg\":\"", i);
        for (k = 0; k < 1000; k++) i2i_buf_put_u8(&in, 'x');
        i2i_buf_append_str(&in, "\"}\n");
    }
    REQUIRE(fx_open(&f, ALL_FIELDS, NALL, 100, 0, 0, 2500) == 0);
    REQUIRE_OK(parse_all(&f, (const char *)in.data, in.len, &err), &err);
    CHECK_EQ_INT(f.k.batches, 2);
    CHECK_EQ_INT(f.k.sizes[0], 3);
    CHECK_EQ_INT(f.k.sizes[1], 3);
    fx_close(&f);

    /* the limit counts what is in the batch after a rollback: mark after row 1, row 2 rolled
     * back, then rows 2..6 again -> still 3 + 3 */
    {
        size_t line = in.len / 6;
        REQUIRE(fx_open(&f, ALL_FIELDS, NALL, 100, 0, 0, 2500) == 0);
        REQUIRE_OK(jsonl_parser_feed(f.p, (const char *)in.data, line, &err), &err);
        jsonl_parser_mark(f.p);
        REQUIRE_OK(jsonl_parser_feed(f.p, (const char *)in.data + line, line, &err), &err);
        CHECK_EQ_INT(jsonl_parser_rollback(f.p), 0);
        REQUIRE_OK(parse_all(&f, (const char *)in.data + line, 5 * line, &err), &err);
        CHECK_EQ_INT(f.k.batches, 2);
        CHECK_EQ_INT(f.k.sizes[0], 3);
        CHECK_EQ_INT(f.k.sizes[1], 3);
        fx_close(&f);
    }
    i2i_buf_free(&in);
}

TEST(unknown_keys_error_or_skip)
{
    fixture f;
    i2i_error err;
    int rc;
    const char *in = "{\"time\":\"2024-01-01T00:00:00\",\"new col\":{\"a\":[1,\"x]\",{\"b\":null}]},\"count\":3,"
                     "\"n2\":-1.5e3,\"n3\":\"s\",\"n4\":true}\n";
    REQUIRE(fx_open(&f, ALL_FIELDS, NALL, 10, 0, 0, 0) == 0);
    rc = jsonl_parser_feed(f.p, in, strlen(in), &err);
    CHECK_EQ_INT(rc, I2I_ERR_FORMAT);
    CHECK(strstr(err.msg, "unknown column 'new col'") != NULL);
    fx_close(&f);

    REQUIRE(fx_open(&f, ALL_FIELDS, NALL, 10, 1, 0, 0) == 0);
    REQUIRE_OK(jsonl_parser_feed(f.p, in, strlen(in), &err), &err);
    CHECK_EQ_INT(f.b->nrows, 1);
    CHECK_EQ_INT(f.b->cols[4].v.i64[0], 3);
    fx_close(&f);
}

TEST(keys_with_escapes_and_any_order)
{
    static const columnar_field wf[] = {
        {"time", COLUMNAR_TIMESTAMP, COLUMNAR_NANOS}, {"a\"b\\c", COLUMNAR_INT64, 0}, {"with space", COLUMNAR_INT64, 0},
        {"dot.ted", COLUMNAR_INT64, 0},               {"UPPER", COLUMNAR_INT64, 0},   {"ünï", COLUMNAR_INT64, 0},
        {"it's", COLUMNAR_INT64, 0},                  {"tab\there", COLUMNAR_INT64, 0}};
    fixture f;
    i2i_error err;
    const char *in =
        "{\"time\":\"2024-01-01T00:00:00\",\"a\\\"b\\\\c\":1,\"with space\":2,\"dot.ted\":3,\"UPPER\":4,\"ünï\":5,\"it's\":6,\"tab\\there\":7}\n"
        "{\"tab\\there\":17,\"it's\":16,\"\\u00fcn\\u00ef\":15,\"UPPER\":14,\"dot.ted\":13,\"with space\":12,\"a\\\"b\\\\c\":11,\"time\":\"2024-01-01T00:00:00\"}\n"
        "{\"UPPER\":24,\"time\":\"2024-01-01T00:00:00\"}\n";
    size_t c;
    REQUIRE(fx_open(&f, wf, 8, 10, 0, 0, 0) == 0);
    REQUIRE_OK(jsonl_parser_feed(f.p, in, strlen(in), &err), &err);
    REQUIRE(f.b->nrows == 3);
    for (c = 1; c < 8; c++) {
        CHECK_EQ_INT(f.b->cols[c].v.i64[0], (int64_t)c);
        CHECK_EQ_INT(f.b->cols[c].v.i64[1], (int64_t)c + 10);
    }
    CHECK_EQ_INT(f.b->cols[4].v.i64[2], 24);
    CHECK(!columnar_is_valid(&f.b->cols[1], 2));
    fx_close(&f);
}

TEST(bad_rows_are_errors)
{
    static const char *bad[] = {
        "[{\"time\":\"2024-01-01T00:00:00\"}]\n",
        "{\"time\":\"2024-01-01T00:00:00\",\"count\":1,\"count\":2}\n", /* duplicate */
        "{\"count\":1}\n",                                               /* no time */
        "{\"time\":\"2024-01-01T00:00:00\",\"ok\":1}\n",
        "{\"time\":\"2024-01-01T00:00:00\",\"host\":5}\n",
        "{\"time\":\"2024-01-01T00:00:00\",\"usage\":\"1.5\"}\n",
        "{\"time\":\"2024-01-01T00:00:00\",\"usage\":.5}\n",
        "{\"time\":\"2024-01-01T00:00:00\",\"usage\":1.}\n",
        "{\"time\":\"2024-01-01T00:00:00\",\"usage\":NaN}\n",
        "{\"time\":\"2024-01-01T00:00:00\",\"usage\":0x10}\n",
        "{\"time\":\"2024-01-01T00:00:00\",\"host\":\"a\\q\"}\n",
        "{\"time\":\"2024-01-01T00:00:00\",\"host\":\"\\ud800\"}\n",
        "{\"time\":\"2024-01-01T00:00:00\",\"host\":\"\\udc00\\ud800\"}\n",
        "{\"time\":\"2024-01-01T00:00:00\",\"host\":\"\xff\"}\n",
        "{\"time\":\"2024-01-01T00:00:00\",\"host\":\"\xc3\"}\n",
        "{\"time\":\"2024-01-01T00:00:00\",\"host\":\"\xed\xa0\x80\"}\n",
        "{\"time\":\"2024-01-01T00:00:00\",\"host\":\"a\tb\"}\n",
        "{\"time\":\"2024-01-01T00:00:00\"}x\n",
        "{\"time\":\"2024-01-01T00:00:00\" \"count\":1}\n",
        "{\"time\" \"2024-01-01T00:00:00\"}\n",
        "{\"time\":\"2024-01-01T00:00:00\",}\n",
        "{\"time\":2024}\n",
    };
    size_t i;
    for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        fixture f;
        i2i_error err;
        int rc;
        REQUIRE(fx_open(&f, ALL_FIELDS, NALL, 10, 0, 0, 0) == 0);
        rc = parse_all(&f, bad[i], strlen(bad[i]), &err);
        if (rc == 0) i2i_test_fail(__FILE__, __LINE__, "accepted bad row %zu: %s", i, bad[i]);
        else CHECK(strstr(err.msg, "line 1") != NULL);
        fx_close(&f);
    }
}

/* Lines whose keys follow the order learned from earlier lines skip the duplicate-key marks
 * (update_chain): after the order changed, a key repeated on the new order, a key order that
 * loops back on itself, and a line on the order that lacks the time must still be refused, each
 * at the right line. */
TEST(learned_key_orders_still_refuse_bad_rows)
{
    static const struct {
        const char *in;
        unsigned line; /* the line refused */
        const char *what;
    } cases[] = {
        /* learned time,host,usage; then host again where usage was expected */
        {"{\"time\":\"2024-01-01T00:00:00\",\"host\":\"a\",\"usage\":1}\n"
         "{\"time\":\"2024-01-01T00:00:01\",\"host\":\"a\",\"host\":\"b\"}\n",
         2, "appears twice"},
        /* line 2 makes the order loop (host -> time -> host): the third key repeats host */
        {"{\"time\":\"2024-01-01T00:00:00\",\"host\":\"a\"}\n"
         "{\"host\":\"a\",\"time\":\"2024-01-01T00:00:01\"}\n"
         "{\"host\":\"a\",\"time\":\"2024-01-01T00:00:02\",\"host\":\"b\"}\n",
         3, "appears twice"},
        /* learned host,time,usage (a loop-free order again once usage follows time): a line on
         * that order that stops before the time */
        {"{\"host\":\"a\",\"time\":\"2024-01-01T00:00:00\",\"usage\":1}\n"
         "{\"host\":\"b\"}\n",
         2, "has no 'time'"},
        /* on the learned order for two keys, then the first key again */
        {"{\"time\":\"2024-01-01T00:00:00\",\"host\":\"a\",\"usage\":1}\n"
         "{\"time\":\"2024-01-01T00:00:01\",\"host\":\"a\",\"time\":\"2024-01-01T00:00:02\"}\n",
         2, "appears twice"},
    };
    size_t i;
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        fixture f;
        i2i_error err;
        char want[32];
        REQUIRE(fx_open(&f, ALL_FIELDS, NALL, 10, 0, 0, 0) == 0);
        CHECK(parse_all(&f, cases[i].in, strlen(cases[i].in), &err) == I2I_ERR_FORMAT);
        snprintf(want, sizeof want, "line %u:", cases[i].line);
        if (!strstr(err.msg, want) || !strstr(err.msg, cases[i].what))
            i2i_test_fail(__FILE__, __LINE__, "case %zu: %s", i, err.msg);
        fx_close(&f);
    }
    /* and a stream that changes order back and forth parses every row (the dump is per row) */
    {
        static const char *ok =
            "{\"time\":\"2024-01-01T00:00:00\",\"host\":\"a\",\"usage\":1}\n"
            "{\"usage\":2,\"time\":\"2024-01-01T00:00:01\",\"host\":\"b\"}\n"
            "{\"time\":\"2024-01-01T00:00:02\",\"host\":\"c\",\"usage\":3}\n"
            "{\"host\":\"d\",\"time\":\"2024-01-01T00:00:03\"}\n"
            "{\"time\":\"2024-01-01T00:00:04\",\"host\":\"e\",\"usage\":5}\n";
        fixture f;
        i2i_error err;
        REQUIRE(fx_open(&f, ALL_FIELDS, NALL, 10, 0, 0, 0) == 0);
        REQUIRE_OK(parse_all(&f, ok, strlen(ok), &err), &err);
        CHECK(strstr(i2i_buf_cstr(&f.k.dump), "host=<d> Region \"x\"=NULL usage=NULL") != NULL);
        CHECK(strstr(i2i_buf_cstr(&f.k.dump), "host=<e> Region \"x\"=NULL usage=0x1.4p+2") != NULL);
        fx_close(&f);
    }
}

TEST(random_corruption_never_crashes)
{
    char *body = make_body(0);
    size_t n = strlen(body), i;
    for (i = 0; i < 3000; i++) {
        char *m = malloc(n);
        fixture f;
        i2i_error err;
        size_t k, edits = 1 + rng() % 4;
        memcpy(m, body, n);
        for (k = 0; k < edits; k++) m[rng() % n] = (char)(rng() % 256);
        REQUIRE(fx_open(&f, ALL_FIELDS, NALL, 1 + rng() % 5, (int)(rng() % 2), 0, 0) == 0);
        (void)parse_all(&f, m, n, &err); /* any status; ASan/UBSan watch the reads */
        fx_close(&f);
        free(m);
    }
    free(body);
}

TEST(rollback_restores_the_batch)
{
    fixture f;
    i2i_error err;
    const char *a = "{\"time\":\"2024-01-01T00:00:00\",\"msg\":\"keep\",\"usage\":null}\n";
    const char *b = "{\"time\":\"2024-01-01T00:00:01\",\"msg\":\"drop\",\"usage\":null}\n{\"time\":\"2024-01-01T00:00:02\",\"msg\":\"dr";
    size_t n;
    const char *s;
    REQUIRE(fx_open(&f, ALL_FIELDS, NALL, 10, 0, 0, 0) == 0);
    REQUIRE_OK(jsonl_parser_feed(f.p, a, strlen(a), &err), &err);
    jsonl_parser_mark(f.p);
    REQUIRE_OK(jsonl_parser_feed(f.p, b, strlen(b), &err), &err);
    CHECK_EQ_INT(f.b->nrows, 2);
    CHECK_EQ_INT(jsonl_parser_rollback(f.p), 0);
    CHECK_EQ_INT(f.b->nrows, 1);
    CHECK_EQ_INT(jsonl_parser_stats(f.p)->nonfinite, 1);
    REQUIRE_OK(jsonl_parser_feed(f.p, a, strlen(a), &err), &err); /* no stale partial line */
    CHECK_EQ_INT(f.b->nrows, 2);
    s = columnar_string_at(&f.b->cols[7], 1, &n);
    CHECK(n == 4 && memcmp(s, "keep", 4) == 0);
    CHECK_EQ_INT(f.b->cols[7].data.len, 8);
    fx_close(&f);

    /* rows rolled back had NULLs (row 1: no msg, count null); the rows that replace them have
     * values and must read as valid */
    {
        const char *full = "{\"time\":\"2024-01-01T00:00:03\",\"msg\":\"m\",\"count\":7}\n";
        const char *nulls = "{\"time\":\"2024-01-01T00:00:01\",\"count\":null}\n";
        REQUIRE(fx_open(&f, ALL_FIELDS, NALL, 10, 0, 0, 0) == 0);
        REQUIRE_OK(jsonl_parser_feed(f.p, full, strlen(full), &err), &err);
        jsonl_parser_mark(f.p);
        REQUIRE_OK(jsonl_parser_feed(f.p, nulls, strlen(nulls), &err), &err);
        CHECK(!columnar_is_valid(&f.b->cols[7], 1) && !columnar_is_valid(&f.b->cols[4], 1));
        CHECK_EQ_INT(jsonl_parser_rollback(f.p), 0);
        REQUIRE_OK(jsonl_parser_feed(f.p, full, strlen(full), &err), &err);
        CHECK_EQ_INT(f.b->nrows, 2);
        CHECK(columnar_is_valid(&f.b->cols[7], 1) && columnar_is_valid(&f.b->cols[4], 1));
        CHECK_EQ_INT(f.b->cols[7].null_count, 0);
        CHECK(!columnar_is_valid(&f.b->cols[1], 1)); /* host: never given */
        fx_close(&f);
    }

    /* a delivery since the mark makes rollback impossible */
    REQUIRE(fx_open(&f, ALL_FIELDS, NALL, 1, 0, 0, 0) == 0);
    jsonl_parser_mark(f.p);
    REQUIRE_OK(jsonl_parser_feed(f.p, a, strlen(a), &err), &err);
    CHECK_EQ_INT(jsonl_parser_rollback(f.p), -1);
    fx_close(&f);
}

TEST(consumer_error_stops_parsing)
{
    fixture f;
    i2i_error err;
    i2i_buf in = I2I_BUF_INIT;
    int i, rc;
    for (i = 0; i < 10; i++) i2i_buf_printf(&in, "{\"time\":\"2024-01-01T00:00:0%d\"}\n", i);
    REQUIRE(fx_open(&f, ALL_FIELDS, NALL, 2, 0, 0, 0) == 0);
    f.k.fail_at = 2;
    rc = parse_all(&f, (const char *)in.data, in.len, &err);
    CHECK_EQ_INT(rc, I2I_ERR_IO);
    CHECK(strstr(err.msg, "consumer refused batch 2") != NULL);
    CHECK_EQ_INT(f.k.batches, 2);
    fx_close(&f);
    i2i_buf_free(&in);
}
