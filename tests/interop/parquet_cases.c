/*
 * parquet_cases: writes the Parquet interop corpus with our writer.
 *
 *   parquet_cases OUTDIR
 *
 * For every case it writes OUTDIR/<case>.parquet and OUTDIR/<case>.expected.json. The independent
 * readers (check_duckdb.mjs, check_parquet_wasm.mjs, check_hyparquet.mjs) read each file and
 * compare every value, the schema and the statistics against the JSON. The JSON format is
 * described in common.mjs; in short, values are encoded so that nothing is lost in JavaScript:
 * integers, timestamps and decimals as decimal strings, doubles as the 16 hex digits of their
 * IEEE-754 bit pattern, strings as the hex of their UTF-8 bytes, NULL as null.
 *
 * The cases cover every type x nullability x dictionary mode x codec, dictionary fallback, several
 * row groups and pages, edge values, all-null columns, a one-row file, key-value metadata and the
 * three ways of adding rows (whole batch, row range, row list).
 *
 * It also checks the writer's own parquet_file_result (row count, file size, null/NaN counts and
 * bounds) against the same expectations; a mismatch there is reported and makes the exit status 3,
 * but every file is still written so the readers can run.
 */
#include "columnar/columnar.h"
#include "parquet/parquet.h"
#include "util/util.h"

#include <errno.h>
#include <fcntl.h>
#include <float.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ------------------------------------------------------------------ value model */

typedef enum kind {
    K_BOOL,
    K_INT32,
    K_INT64,
    K_TS_US,
    K_TS_NS,
    K_DOUBLE,
    K_STRING,
    K_DECIMAL,   /* DECIMAL(20,0) in 9 bytes, fed from COLUMNAR_UINT64 */
    K_DECIMAL_S, /* the same Parquet type fed from COLUMNAR_INT64 (negative values sign-extended) */
    K_COUNT
} kind;

/* Short tags for column names, and the "kind" the checkers dispatch on. */
static const char *const kind_tag[K_COUNT] = {"bool",   "int32",  "int64", "ts_us", "ts_ns",
                                              "double", "string", "dec",   "dec_s"};
static const char *const kind_json[K_COUNT] = {"bool",   "int32",  "int64",   "ts_us",  "ts_ns",
                                               "double", "string", "decimal", "decimal"};

/* One value. i holds bool/int32/int64/timestamps/dec_s, u decimals, d doubles, s/n strings. */
typedef struct cell {
    int null;
    int64_t i;
    uint64_t u;
    double d;
    const char *s;
    size_t n;
} cell;

typedef enum pattern {
    PAT_MATRIX,   /* 97 distinct values with the edge values among them, 20 % nulls + a null run */
    PAT_FALLBACK, /* 10 distinct values for 1500 rows, then every value new (dictionary overflows) */
    PAT_EDGE,     /* cycles through the type's edge values */
    PAT_NULL,     /* every row NULL */
    PAT_SEQ,      /* time-series-like: increasing timestamps, 100 hosts, smooth numbers */
    PAT_ZEROS,    /* doubles: +0.0 and -0.0 only */
    PAT_NAN_ONLY, /* doubles: NaN only (and nulls when optional) */
    PAT_BIGSTR    /* strings of 64 KiB and more, multi-byte */
} pattern;

typedef struct col_def {
    char name[48];
    kind k;
    int optional;
    parquet_dictionary_mode dict;
    pattern pat;
    int salt; /* makes columns of the same kind differ */
    cell *cells;
} col_def;

enum feed_mode { FEED_BATCH, FEED_RANGE, FEED_ROWS };

#define MAX_COLS 64
#define MAX_FLUSH 8
#define MAX_KV 8

typedef struct case_def {
    char name[48];
    size_t nrows;
    parquet_writer_options o;
    col_def cols[MAX_COLS];
    size_t ncols;
    size_t flush_at[MAX_FLUSH]; /* explicit row-group ends (row counts), ascending */
    size_t nflush;
    enum feed_mode feed;
    size_t batch_rows;
    int rg_exact;  /* expected number of row groups, or 0 */
    int rg_min;    /* at least this many (size-based row groups) */
    int min_pages; /* every column chunk has at least this many data pages */
    int fallback;  /* dictionary budget is tiny: ALWAYS columns must fall back to PLAIN */
    parquet_kv kv[MAX_KV];
    size_t nkv;
    i2i_arena arena; /* string bytes */
} case_def;

static int g_result_mismatches;

static void die(const char *what, const i2i_error *e)
{
    fprintf(stderr, "parquet_cases: %s: %s\n", what, e ? e->msg : strerror(errno));
    exit(2);
}

static const char *dup_bytes(case_def *c, const void *p, size_t n)
{
    char *s = i2i_arena_alloc(&c->arena, n ? n : 1, 1);
    if (!s) die("out of memory", NULL);
    if (n) memcpy(s, p, n);
    return s;
}

static void set_str(case_def *c, cell *v, const char *s, size_t n)
{
    v->s = dup_bytes(c, s, n);
    v->n = n;
}

static void set_fmt(case_def *c, cell *v, const char *fmt, long a, long b)
{
    char tmp[96];
    int n = snprintf(tmp, sizeof tmp, fmt, a, b);
    set_str(c, v, tmp, (size_t)n);
}

/* A valid UTF-8 string of at least `len` bytes mixing 1-, 2-, 3- and 4-byte characters. */
static void set_big_string(case_def *c, cell *v, size_t len, int salt)
{
    static const char *const pieces[] = {"a", "\xc3\xa9", "\xe6\x97\xa5", "\xf0\x9f\x98\x80", "Z", "0"};
    i2i_buf b = I2I_BUF_INIT;
    size_t k = (size_t)salt;
    while (b.len < len) {
        if (i2i_buf_append_str(&b, pieces[k % 6]) != I2I_OK) die("out of memory", NULL);
        k = k * 7 + 3;
    }
    set_str(c, v, (const char *)b.data, b.len);
    i2i_buf_free(&b);
}

/* Values of PAT_MATRIX / PAT_FALLBACK: distinct idx give distinct values (except bool), and the
 * first few idx are the type's extremes so that they land in pages, dictionaries and stats. */
static void value_of(case_def *c, kind k, long idx, int salt, cell *v)
{
    switch (k) {
    case K_BOOL: v->i = ((idx * 31 + salt) % 7) < 3; break;
    case K_INT32:
        v->i = idx == 0 ? INT32_MIN : idx == 1 ? INT32_MAX : (int64_t)(idx - 48) * 12347 + salt;
        break;
    case K_INT64:
        v->i = idx == 0   ? INT64_MIN
               : idx == 1 ? INT64_MAX
               : idx == 2 ? INT64_C(9007199254740993) /* 2^53 + 1: not a JS number */
                          : (int64_t)(idx - 48) * INT64_C(1000000007000) + salt;
        break;
    case K_TS_US:
        v->i = idx == 0 ? -1 : idx == 1 ? 0 : INT64_C(1700000000000000) + (int64_t)(idx - 48) * 1000003 + salt;
        break;
    case K_TS_NS:
        v->i = idx == 0   ? -1
               : idx == 1 ? 0
                          : INT64_C(1700000000000000000) + (int64_t)(idx - 48) * INT64_C(1000000007) + salt;
        break;
    case K_DOUBLE:
        v->d = idx == 0   ? NAN
               : idx == 1 ? -0.0
               : idx == 2 ? 0.0
               : idx == 3 ? INFINITY
               : idx == 4 ? -INFINITY
                          : (double)(idx - 48) * 0.1 + salt * 0.001;
        break;
    case K_STRING:
        switch (idx) {
        case 0: set_str(c, v, "", 0); break;
        case 1: set_str(c, v, "h\xc3\xa9llo w\xc3\xb6rld", 13); break;
        case 2: set_str(c, v, "\xf0\x9f\x98\x80 emoji", 10); break;
        case 3: set_str(c, v, "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e", 9); break;
        case 4: set_str(c, v, "tab\tquote\"back\\slash\nnl", 24); break;
        default: set_fmt(c, v, "s-%ld-%ld-value", idx, salt); break;
        }
        break;
    case K_DECIMAL:
        v->u = idx == 0   ? 0
               : idx == 1 ? UINT64_MAX
               : idx == 2 ? (uint64_t)INT64_MAX + 1
               : idx == 3 ? UINT64_C(10000000000000000000)
                          : (uint64_t)idx * UINT64_C(0x9E3779B97F4A7C15) + (uint64_t)salt;
        break;
    case K_DECIMAL_S:
        v->i = idx == 0 ? INT64_MIN : idx == 1 ? INT64_MAX : idx == 2 ? -1 : (int64_t)(idx - 48) * INT64_C(98765432101) - salt;
        break;
    default: break;
    }
}

/* Edge values per kind, cycled by PAT_EDGE. */
static const int64_t edge_i32[] = {INT32_MIN, INT32_MAX, 0, -1, 1, INT32_MIN + 1, INT32_MAX - 1, 65536};
static const int64_t edge_i64[] = {INT64_MIN,
                                   INT64_MAX,
                                   0,
                                   -1,
                                   1,
                                   INT64_C(9007199254740993),
                                   INT64_C(-9007199254740993),
                                   INT64_MIN + 1,
                                   INT64_C(4294967296)};
static const int64_t edge_ts_us[] = {0,
                                     -1,
                                     1,
                                     INT64_C(1700000000000001),
                                     INT64_C(-62135596800000000), /* 0001-01-01T00:00:00Z */
                                     INT64_C(253402300799999999), /* 9999-12-31T23:59:59.999999Z */
                                     INT64_C(951782400000000)};   /* 2000-02-29 */
static const int64_t edge_ts_ns[] = {0,
                                     -1,
                                     1,
                                     INT64_C(1700000000123456789),
                                     INT64_C(-9000000000000000000), /* 1684 */
                                     INT64_C(9000000000000000000),  /* 2255 */
                                     INT64_C(946684800000000001)};
static const uint64_t edge_dec[] = {0,
                                    1,
                                    UINT64_MAX,
                                    (uint64_t)INT64_MAX,
                                    (uint64_t)INT64_MAX + 1,
                                    UINT64_C(10000000000000000000),
                                    UINT64_C(9007199254740993),
                                    255,
                                    256};
static const int64_t edge_dec_s[] = {INT64_MIN, -1, 0, 1, INT64_MAX, -256, -255, INT64_C(-9007199254740993)};
#define NEDGE_DOUBLE 16
#define NEDGE_STRING 13

static size_t edge_count(kind k)
{
    switch (k) {
    case K_BOOL: return 2;
    case K_INT32: return sizeof edge_i32 / sizeof edge_i32[0];
    case K_INT64: return sizeof edge_i64 / sizeof edge_i64[0];
    case K_TS_US: return sizeof edge_ts_us / sizeof edge_ts_us[0];
    case K_TS_NS: return sizeof edge_ts_ns / sizeof edge_ts_ns[0];
    case K_DOUBLE: return NEDGE_DOUBLE;
    case K_STRING: return NEDGE_STRING;
    case K_DECIMAL: return sizeof edge_dec / sizeof edge_dec[0];
    case K_DECIMAL_S: return sizeof edge_dec_s / sizeof edge_dec_s[0];
    default: return 1;
    }
}

static void edge_value(case_def *c, kind k, size_t j, cell *v)
{
    switch (k) {
    case K_BOOL: v->i = (j & 1) == 0; break;
    case K_INT32: v->i = edge_i32[j]; break;
    case K_INT64: v->i = edge_i64[j]; break;
    case K_TS_US: v->i = edge_ts_us[j]; break;
    case K_TS_NS: v->i = edge_ts_ns[j]; break;
    case K_DECIMAL: v->u = edge_dec[j]; break;
    case K_DECIMAL_S: v->i = edge_dec_s[j]; break;
    case K_DOUBLE: {
        const double d[NEDGE_DOUBLE] = {NAN,      0.0,     -0.0,     INFINITY, -INFINITY,         DBL_MAX,
                                        -DBL_MAX, DBL_MIN, 4.9e-324, -4.9e-324, 0.1,              1.0 / 3.0,
                                        9007199254740993.0, -1.5,   1e300,    123456.789};
        v->d = d[j];
        break;
    }
    case K_STRING:
        switch (j) {
        case 0: set_str(c, v, "", 0); break;
        case 1: set_str(c, v, "a", 1); break;
        case 2: { /* exactly 64 KiB of ASCII */
            char *s = malloc(65536);
            if (!s) die("out of memory", NULL);
            memset(s, 'x', 65536);
            set_str(c, v, s, 65536);
            free(s);
            break;
        }
        case 3: { /* exactly 64 KiB of 2-byte characters */
            char *s = malloc(65536);
            size_t q;
            if (!s) die("out of memory", NULL);
            for (q = 0; q < 65536; q += 2) memcpy(s + q, "\xc3\xa9", 2);
            set_str(c, v, s, 65536);
            free(s);
            break;
        }
        case 4: set_str(c, v, "h\xc3\xa9llo", 6); break;
        case 5: set_str(c, v, "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e", 9); break;
        case 6: set_str(c, v, "\xf0\x9f\x98\x80\xf0\x9f\x8e\x89\xf0\x9f\x91\x8d\xf0\x9f\x8f\xbd", 16); break;
        case 7: set_str(c, v, "a\0b", 3); break; /* U+0000 is valid UTF-8 */
        case 8: set_str(c, v, "\x7f", 1); break;
        case 9: set_str(c, v, "\xf4\x8f\xbf\xbf", 4); break; /* U+10FFFF: the largest bytes */
        case 10: set_str(c, v, "quote\" back\\ nl\n tab\t ctl\x01 end", 30); break;
        case 11: set_str(c, v, "zzz", 3); break;
        default: set_big_string(c, v, 65537, 5); break; /* just over 64 KiB */
        }
        break;
    default: break;
    }
}

static void gen_column(case_def *c, col_def *col)
{
    size_t r;
    col->cells = calloc(c->nrows ? c->nrows : 1, sizeof(cell));
    if (!col->cells) die("out of memory", NULL);
    for (r = 0; r < c->nrows; r++) {
        cell *v = &col->cells[r];
        long i = (long)r;
        int null = 0;
        switch (col->pat) {
        case PAT_MATRIX:
            null = ((i * 7 + col->salt) % 5 == 0) || (i >= 100 && i < 300);
            value_of(c, col->k, (i * 37 + col->salt * 11) % 97, col->salt, v);
            break;
        case PAT_FALLBACK:
            null = (i * 3 + col->salt) % 11 == 0;
            value_of(c, col->k, i < 1500 ? (i + col->salt) % 10 : 1000 + i, col->salt, v);
            break;
        case PAT_EDGE:
            null = i % 5 == 4;
            edge_value(c, col->k, r % edge_count(col->k), v);
            break;
        case PAT_NULL: null = 1; break;
        case PAT_SEQ:
            null = (i * 13 + col->salt) % 17 == 0;
            switch (col->k) {
            case K_BOOL: v->i = i % 3 == 0; break;
            case K_INT32: v->i = i - 20000; break;
            case K_INT64: v->i = (int64_t)i * i; break;
            case K_TS_US: v->i = INT64_C(1700000000000000) + (int64_t)i * 1000; break;
            case K_TS_NS: v->i = INT64_C(1700000000000000000) + (int64_t)i * 1000001; break;
            case K_DOUBLE: v->d = (double)i * 0.25 - 100.0; break;
            case K_STRING: set_fmt(c, v, "host-%ld", i % 100, 0); break;
            case K_DECIMAL: v->u = (uint64_t)i * UINT64_C(1000000000000); break;
            case K_DECIMAL_S: v->i = (int64_t)(i - 15000) * INT64_C(1000000000000); break;
            default: break;
            }
            break;
        case PAT_ZEROS: v->d = (r & 1) ? -0.0 : 0.0; break;
        case PAT_NAN_ONLY:
            null = i % 3 == 1;
            v->d = NAN;
            break;
        case PAT_BIGSTR:
            null = i % 4 == 3;
            set_big_string(c, v, 65536 + r * 517, col->salt + (int)r);
            break;
        }
        v->null = col->optional && null;
    }
}

/* ------------------------------------------------------------------ statistics */

static uint64_t dbits(double d)
{
    uint64_t u;
    memcpy(&u, &d, 8);
    return u;
}

static int cmp_cell(kind k, const cell *a, const cell *b)
{
    switch (k) {
    case K_DECIMAL: return a->u < b->u ? -1 : a->u > b->u;
    case K_DOUBLE: return a->d < b->d ? -1 : a->d > b->d;
    case K_STRING: {
        size_t n = a->n < b->n ? a->n : b->n;
        int r = n ? memcmp(a->s, b->s, n) : 0;
        if (r) return r < 0 ? -1 : 1;
        return a->n < b->n ? -1 : a->n > b->n;
    }
    default: return a->i < b->i ? -1 : a->i > b->i;
    }
}

typedef struct stats {
    int64_t nulls;
    int64_t nans;
    int has; /* a non-null, non-NaN value exists */
    cell min, max;
} stats;

static stats col_stats(const case_def *c, const col_def *col)
{
    stats s;
    size_t r;
    memset(&s, 0, sizeof s);
    for (r = 0; r < c->nrows; r++) {
        const cell *v = &col->cells[r];
        if (v->null) {
            s.nulls++;
            continue;
        }
        if (col->k == K_DOUBLE && isnan(v->d)) {
            s.nans++;
            continue;
        }
        if (!s.has || cmp_cell(col->k, v, &s.min) < 0) s.min = *v;
        if (!s.has || cmp_cell(col->k, v, &s.max) > 0) s.max = *v;
        s.has = 1;
    }
    /* Parquet's rule for zeros: the minimum is written as -0.0 and the maximum as +0.0. */
    if (col->k == K_DOUBLE && s.has) {
        if (s.min.d == 0.0) s.min.d = -0.0;
        if (s.max.d == 0.0) s.max.d = 0.0;
    }
    return s;
}

/* ------------------------------------------------------------------ JSON output */

static void put_hex(FILE *f, const void *p, size_t n)
{
    static const char digits[] = "0123456789abcdef";
    const uint8_t *b = p;
    size_t i;
    for (i = 0; i < n; i++) {
        fputc(digits[b[i] >> 4], f);
        fputc(digits[b[i] & 15], f);
    }
}

/* A JSON string: UTF-8 passes through; quotes, backslashes and control characters are escaped. */
static void put_json_str(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch == '"' || ch == '\\') fprintf(f, "\\%c", ch);
        else if (ch < 0x20) fprintf(f, "\\u%04x", ch);
        else fputc(ch, f);
    }
    fputc('"', f);
}

static void put_cell(FILE *f, kind k, const cell *v)
{
    if (v->null) {
        fputs("null", f);
        return;
    }
    switch (k) {
    case K_BOOL: fputs(v->i ? "true" : "false", f); break;
    case K_DECIMAL: fprintf(f, "\"%" PRIu64 "\"", v->u); break;
    case K_DOUBLE: fprintf(f, "\"%016" PRIx64 "\"", dbits(v->d)); break;
    case K_STRING:
        fputc('"', f);
        put_hex(f, v->s, v->n);
        fputc('"', f);
        break;
    default: fprintf(f, "\"%" PRId64 "\"", v->i); break;
    }
}

static const char *codec_thrift_name(parquet_codec codec)
{
    switch (codec) {
    case PARQUET_CODEC_UNCOMPRESSED: return "UNCOMPRESSED";
    case PARQUET_CODEC_SNAPPY: return "SNAPPY";
    case PARQUET_CODEC_GZIP: return "GZIP";
    case PARQUET_CODEC_ZSTD: return "ZSTD";
    }
    return "?";
}

/* Bytes the dictionary of a column would hold over the whole file (an upper bound per chunk):
 * sort the non-null values and count the distinct ones. Doubles are distinct by bit pattern (a
 * dictionary must keep -0.0 and +0.0 apart). */
static kind g_sort_kind;
static int cmp_for_dict(const void *a, const void *b)
{
    const cell *x = a, *y = b;
    if (g_sort_kind == K_DOUBLE) {
        uint64_t p = dbits(x->d), q = dbits(y->d);
        return p < q ? -1 : p > q;
    }
    return cmp_cell(g_sort_kind, x, y);
}

static size_t distinct_bytes(const case_def *c, const col_def *col)
{
    size_t r, n = 0, total = 0;
    cell *v = malloc((c->nrows ? c->nrows : 1) * sizeof *v);
    if (!v) die("out of memory", NULL);
    for (r = 0; r < c->nrows; r++)
        if (!col->cells[r].null) v[n++] = col->cells[r];
    g_sort_kind = col->k;
    qsort(v, n, sizeof *v, cmp_for_dict);
    for (r = 0; r < n; r++) {
        if (r > 0 && cmp_for_dict(&v[r - 1], &v[r]) == 0) continue;
        total += col->k == K_STRING ? 4 + v[r].n
                 : col->k == K_INT32 ? 4
                 : (col->k == K_DECIMAL || col->k == K_DECIMAL_S) ? 9
                                                                   : 8;
    }
    free(v);
    return total;
}

/* What the chunks' dictionary use must be. Where the writer's choice is a heuristic (AUTO deciding
 * on the first page, a dictionary close to its budget) the expectation is "any". */
static const char *dict_expect(const case_def *c, const col_def *col, const stats *s)
{
    size_t budget = c->o.dictionary_bytes, bytes;
    if (col->dict == PARQUET_DICT_NEVER) return "no";
    if (s->nulls == (int64_t)c->nrows) return "no"; /* no dictionary page for an all-null chunk */
    if (col->k == K_BOOL) return "no";              /* parquet.h: booleans are never dictionary-encoded */
    if (col->k == K_TS_US || col->k == K_TS_NS) {
        if (col->dict == PARQUET_DICT_AUTO) return "no"; /* parquet.h: AUTO timestamps never */
    }
    bytes = distinct_bytes(c, col);
    if (col->dict == PARQUET_DICT_ALWAYS) {
        if (bytes * 4 <= budget) return "yes";
        return c->fallback ? "fallback" : "any";
    }
    /* AUTO: a low-cardinality string column fed in whole batches must keep its dictionary. */
    if (col->k == K_STRING && (col->pat == PAT_SEQ || col->pat == PAT_MATRIX) && c->nrows >= 1000 &&
        c->feed == FEED_BATCH && bytes * 4 <= budget)
        return "yes";
    return "any";
}

static int32_t field_id_of(size_t i) { return (int32_t)(1000 + 7 * i); } /* never equal to the index */

static void write_schema_json(FILE *f, const col_def *col)
{
    switch (col->k) {
    case K_BOOL: fputs("\"physical\":\"BOOLEAN\",\"logical\":null,\"converted\":[null]", f); break;
    case K_INT32: fputs("\"physical\":\"INT32\",\"logical\":null,\"converted\":[null,\"INT_32\"]", f); break;
    case K_INT64: fputs("\"physical\":\"INT64\",\"logical\":null,\"converted\":[null,\"INT_64\"]", f); break;
    case K_TS_US:
        fputs("\"physical\":\"INT64\",\"logical\":{\"type\":\"TIMESTAMP\",\"unit\":\"MICROS\",\"utc\":true},"
              "\"converted\":[\"TIMESTAMP_MICROS\"]",
              f);
        break;
    case K_TS_NS:
        fputs("\"physical\":\"INT64\",\"logical\":{\"type\":\"TIMESTAMP\",\"unit\":\"NANOS\",\"utc\":true},"
              "\"converted\":[null]",
              f);
        break;
    case K_DOUBLE: fputs("\"physical\":\"DOUBLE\",\"logical\":null,\"converted\":[null]", f); break;
    case K_STRING: fputs("\"physical\":\"BYTE_ARRAY\",\"logical\":{\"type\":\"STRING\"},\"converted\":[\"UTF8\"]", f); break;
    default:
        fputs("\"physical\":\"FIXED_LEN_BYTE_ARRAY\",\"type_length\":9,"
              "\"logical\":{\"type\":\"DECIMAL\",\"precision\":20,\"scale\":0},\"converted\":[\"DECIMAL\"]",
              f);
        break;
    }
}

static void write_expected(const case_def *c, const char *dir)
{
    char path[4096];
    FILE *f;
    size_t i, r;
    snprintf(path, sizeof path, "%s/%s.expected.json", dir, c->name);
    f = fopen(path, "w");
    if (!f) die(path, NULL);
    fprintf(f, "{\"format\":\"i2i-parquet-expect/1\",\"writer\":\"influx2iceberg\",\"file\":\"%s.parquet\",\n", c->name);
    fprintf(f, "\"num_rows\":%zu,\"codec\":\"%s\",", c->nrows, codec_thrift_name(c->o.codec));
    if (c->rg_exact) fprintf(f, "\"row_groups\":{\"exact\":%d},", c->rg_exact);
    else fprintf(f, "\"row_groups\":{\"min\":%d},", c->rg_min ? c->rg_min : 1);
    fprintf(f, "\"min_pages_per_chunk\":%d,\"page_index\":%s,\n", c->min_pages, c->o.write_page_index ? "true" : "false");
    fputs("\"created_by_regex\":\"^influx2iceberg version [0-9]+\\\\.[0-9]+\\\\.[0-9]+ \\\\(build [^)]+\\\\)$\",\n", f);
    fputs("\"kv\":[", f);
    for (i = 0; i < c->nkv; i++) {
        fprintf(f, "%s{\"key\":", i ? "," : "");
        put_json_str(f, c->kv[i].key);
        fputs(",\"value\":", f);
        put_json_str(f, c->kv[i].value);
        fputc('}', f);
    }
    fputs("],\n\"columns\":[\n", f);
    for (i = 0; i < c->ncols; i++) {
        const col_def *col = &c->cols[i];
        stats s = col_stats(c, col);
        fprintf(f, "%s{\"name\":\"%s\",\"field_id\":%d,\"kind\":\"%s\",\"repetition\":\"%s\",", i ? ",\n" : "",
                col->name, field_id_of(i), kind_json[col->k], col->optional ? "OPTIONAL" : "REQUIRED");
        write_schema_json(f, col);
        fprintf(f, ",\"dictionary\":\"%s\",\n \"stats\":{\"null_count\":%" PRId64 ",\"has_nan\":%s,\"min\":",
                dict_expect(c, col, &s), s.nulls, s.nans ? "true" : "false");
        if (s.has) put_cell(f, col->k, &s.min);
        else fputs("null", f);
        fputs(",\"max\":", f);
        if (s.has) put_cell(f, col->k, &s.max);
        else fputs("null", f);
        fputs("},\n \"values\":[", f);
        for (r = 0; r < c->nrows; r++) {
            if (r) fputc(',', f);
            put_cell(f, col->k, &col->cells[r]);
        }
        fputs("]}", f);
    }
    fputs("\n]}\n", f);
    if (fclose(f) != 0) die(path, NULL);
}

/* ------------------------------------------------------------------ writing with our writer */

static columnar_type columnar_of(kind k)
{
    switch (k) {
    case K_BOOL: return COLUMNAR_BOOL;
    case K_TS_US:
    case K_TS_NS: return COLUMNAR_TIMESTAMP;
    case K_DOUBLE: return COLUMNAR_DOUBLE;
    case K_STRING: return COLUMNAR_STRING;
    case K_DECIMAL: return COLUMNAR_UINT64;
    default: return COLUMNAR_INT64;
    }
}

static parquet_column_spec spec_of(const col_def *col, size_t i)
{
    parquet_column_spec s;
    memset(&s, 0, sizeof s);
    s.name = col->name;
    s.field_id = field_id_of(i);
    s.optional = col->optional;
    s.dictionary = col->dict;
    switch (col->k) {
    case K_BOOL: s.physical = PARQUET_BOOLEAN; break;
    case K_INT32: s.physical = PARQUET_INT32; break;
    case K_INT64: s.physical = PARQUET_INT64; break;
    case K_TS_US:
    case K_TS_NS:
        s.physical = PARQUET_INT64;
        s.logical = col->k == K_TS_US ? PARQUET_LOGICAL_TIMESTAMP_MICROS : PARQUET_LOGICAL_TIMESTAMP_NANOS;
        s.adjusted_to_utc = 1;
        break;
    case K_DOUBLE: s.physical = PARQUET_DOUBLE; break;
    case K_STRING:
        s.physical = PARQUET_BYTE_ARRAY;
        s.logical = PARQUET_LOGICAL_STRING;
        break;
    default:
        s.physical = PARQUET_FIXED_LEN_BYTE_ARRAY;
        s.logical = PARQUET_LOGICAL_DECIMAL;
        s.type_length = 9;
        s.precision = 20;
        s.scale = 0;
        break;
    }
    return s;
}

/* Append the cells of rows order[0..n) (or first..first+n when order is NULL) to the batch. */
static void fill_batch(case_def *c, columnar_batch *b, size_t first, const size_t *order, size_t n)
{
    size_t i, q;
    i2i_error e;
    columnar_batch_clear(b);
    for (i = 0; i < c->ncols; i++) {
        columnar_column *cc = &b->cols[i];
        for (q = 0; q < n; q++) {
            const cell *v = &c->cols[i].cells[order ? order[q] : first + q];
            if (v->null) {
                columnar_append_null(cc);
                continue;
            }
            switch (c->cols[i].k) {
            case K_BOOL: columnar_append_bool(cc, (int)v->i); break;
            case K_DOUBLE: columnar_append_f64(cc, v->d); break;
            case K_DECIMAL: columnar_append_u64(cc, v->u); break;
            case K_STRING:
                if (columnar_append_string(cc, v->s, v->n) != I2I_OK) die("appending a string", NULL);
                break;
            default: columnar_append_i64(cc, v->i); break;
            }
        }
    }
    if (columnar_batch_seal(b, &e) != I2I_OK) die("sealing a batch", &e);
}

static int is_flush_point(const case_def *c, size_t row)
{
    size_t i;
    for (i = 0; i < c->nflush; i++)
        if (c->flush_at[i] == row) return 1;
    return 0;
}

static void feed(case_def *c, parquet_writer *w, columnar_batch *b)
{
    static const size_t odd_sizes[] = {1, 7, 333, 1000, 2, 64};
    i2i_error e;
    size_t start = 0, k = 0;

    if (c->feed == FEED_ROWS) {
        /* Rows go in as two row lists (evens ascending, then odds descending), the way the
         * partition router will call the writer. The batch is filled so that the written order
         * is the expected order 0..n-1: batch row order[j] holds expected row j. */
        size_t n = c->nrows, half = (n + 1) / 2, j;
        size_t *inv = malloc(n * sizeof *inv);
        uint32_t *order = malloc(n * sizeof *order);
        if (!inv || !order) die("out of memory", NULL);
        for (j = 0; j < n; j++) order[j] = (uint32_t)(j < half ? 2 * j : (n % 2 ? n - 2 : n - 1) - 2 * (j - half));
        for (j = 0; j < n; j++) inv[order[j]] = j;
        fill_batch(c, b, 0, inv, n);
        if (parquet_writer_add_batch_rows(w, b, order, half, &e) != I2I_OK) die("add_batch_rows", &e);
        if (parquet_writer_add_batch_rows(w, b, order + half, n - half, &e) != I2I_OK) die("add_batch_rows", &e);
        free(inv);
        free(order);
        return;
    }
    while (start < c->nrows) {
        size_t want = c->feed == FEED_RANGE ? odd_sizes[k++ % 6] : c->batch_rows;
        size_t end = start + want > c->nrows ? c->nrows : start + want, pos = start, r;
        int whole = c->feed == FEED_BATCH;
        fill_batch(c, b, start, NULL, end - start);
        for (r = start + 1; r <= end; r++) {
            if (!is_flush_point(c, r) && !(c->feed == FEED_RANGE && r == start + (end - start) / 2 && r > pos))
                continue;
            /* A row-group end (or the FEED_RANGE split) inside the batch: write up to it. */
            if (parquet_writer_add_batch_range(w, b, pos - start, r - pos, &e) != I2I_OK) die("add_batch_range", &e);
            pos = r;
            whole = 0;
            if (is_flush_point(c, r) && parquet_writer_flush_row_group(w, &e) != I2I_OK) die("flush_row_group", &e);
        }
        if (whole) {
            if (parquet_writer_add_batch(w, b, &e) != I2I_OK) die("add_batch", &e);
        } else if (pos < end) {
            if (parquet_writer_add_batch_range(w, b, pos - start, end - pos, &e) != I2I_OK) die("add_batch_range", &e);
        }
        start = end;
    }
}

static void result_mismatch(const case_def *c, const char *col, const char *fmt, ...) I2I_PRINTF(3, 4);
static void result_mismatch(const case_def *c, const char *col, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "parquet_cases: writer result mismatch: %s.parquet column %s: ", c->name, col ? col : "-");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    g_result_mismatches++;
}

/* The bound bytes parquet.h promises for the Iceberg layer. */
static void expected_bound(kind k, const cell *v, i2i_buf *out)
{
    uint8_t b[8];
    i2i_buf_reset(out);
    switch (k) {
    case K_BOOL: i2i_buf_put_u8(out, (uint8_t)v->i); return;
    case K_INT32: i2i_store_le32(b, (uint32_t)(int32_t)v->i); i2i_buf_append(out, b, 4); return;
    case K_DOUBLE: i2i_store_le64(b, dbits(v->d)); i2i_buf_append(out, b, 8); return;
    case K_STRING: i2i_buf_append(out, v->s, v->n); return;
    case K_DECIMAL:
    case K_DECIMAL_S: { /* 9-byte big-endian two's complement */
        uint64_t u = k == K_DECIMAL ? v->u : (uint64_t)v->i;
        int q;
        i2i_buf_put_u8(out, k == K_DECIMAL_S && v->i < 0 ? 0xff : 0);
        for (q = 7; q >= 0; q--) i2i_buf_put_u8(out, (uint8_t)(u >> (8 * q)));
        return;
    }
    default: i2i_store_le64(b, (uint64_t)v->i); i2i_buf_append(out, b, 8); return;
    }
}

/* Decimal bounds may be the full 9 bytes or the minimal two's complement: compare as numbers. */
static int same_decimal_bytes(const i2i_buf *a, const i2i_buf *b)
{
    uint8_t x[16], y[16];
    if (a->len == 0 || b->len == 0 || a->len > 16 || b->len > 16) return 0;
    memset(x, (a->data[0] & 0x80) ? 0xff : 0, 16);
    memset(y, (b->data[0] & 0x80) ? 0xff : 0, 16);
    memcpy(x + 16 - a->len, a->data, a->len);
    memcpy(y + 16 - b->len, b->data, b->len);
    return memcmp(x, y, 16) == 0;
}

static void check_result(const case_def *c, const parquet_file_result *res, const char *path)
{
    struct stat st;
    size_t i;
    i2i_buf want = I2I_BUF_INIT;
    if (res->num_rows != (int64_t)c->nrows)
        result_mismatch(c, NULL, "num_rows %" PRId64 ", expected %zu", res->num_rows, c->nrows);
    if (stat(path, &st) != 0 || (int64_t)st.st_size != res->file_size)
        result_mismatch(c, NULL, "file_size %" PRId64 ", file has %lld bytes", res->file_size, (long long)st.st_size);
    if (res->ncols != c->ncols) {
        result_mismatch(c, NULL, "%zu column results, expected %zu", res->ncols, c->ncols);
        return;
    }
    if (c->rg_exact && res->nrow_groups != (size_t)c->rg_exact)
        result_mismatch(c, NULL, "%zu row groups, expected %d", res->nrow_groups, c->rg_exact);
    for (i = 1; i < res->nrow_groups; i++)
        if (res->split_offsets[i] <= res->split_offsets[i - 1]) result_mismatch(c, NULL, "split_offsets not ascending");
    for (i = 0; i < c->ncols; i++) {
        const col_def *col = &c->cols[i];
        const parquet_column_result *cr = &res->cols[i];
        stats s = col_stats(c, col);
        if (cr->field_id != field_id_of(i)) result_mismatch(c, col->name, "field_id %d", cr->field_id);
        if (cr->value_count != (int64_t)c->nrows) result_mismatch(c, col->name, "value_count %" PRId64, cr->value_count);
        if (cr->null_count != s.nulls)
            result_mismatch(c, col->name, "null_count %" PRId64 ", expected %" PRId64, cr->null_count, s.nulls);
        if (col->k == K_DOUBLE && cr->nan_count != s.nans)
            result_mismatch(c, col->name, "nan_count %" PRId64 ", expected %" PRId64, cr->nan_count, s.nans);
        if (cr->compressed_bytes <= 0) result_mismatch(c, col->name, "compressed_bytes %" PRId64, cr->compressed_bytes);
        if (cr->has_bounds != s.has) {
            result_mismatch(c, col->name, "has_bounds %d, expected %d", cr->has_bounds, s.has);
            continue;
        }
        if (!s.has) continue;
        for (int side = 0; side < 2; side++) {
            const i2i_buf *got = side ? &cr->upper : &cr->lower;
            expected_bound(col->k, side ? &s.max : &s.min, &want);
            int same = (col->k == K_DECIMAL || col->k == K_DECIMAL_S)
                           ? same_decimal_bytes(got, &want)
                           : got->len == want.len && (want.len == 0 || memcmp(got->data, want.data, want.len) == 0);
            if (!same) {
                char gh[80], wh[80];
                i2i_hex(got->data ? got->data : (const uint8_t *)"", got->len > 32 ? 32 : got->len, gh);
                i2i_hex(want.data ? want.data : (const uint8_t *)"", want.len > 32 ? 32 : want.len, wh);
                result_mismatch(c, col->name, "%s bound %s (%zu bytes), expected %s (%zu bytes)",
                                side ? "upper" : "lower", gh, got->len, wh, want.len);
            }
        }
    }
    i2i_buf_free(&want);
}

static void write_case(case_def *c, const char *dir)
{
    char path[4096];
    parquet_column_spec specs[MAX_COLS];
    columnar_field fields[MAX_COLS];
    columnar_batch *b = NULL;
    parquet_writer *w = NULL;
    parquet_fd_sink fds;
    parquet_sink sink;
    parquet_file_result res;
    i2i_error e;
    size_t i, cap;

    for (i = 0; i < c->ncols; i++) {
        specs[i] = spec_of(&c->cols[i], i);
        fields[i].name = c->cols[i].name;
        fields[i].type = columnar_of(c->cols[i].k);
        fields[i].unit = c->cols[i].k == K_TS_US ? COLUMNAR_MICROS : COLUMNAR_NANOS;
    }
    c->o.kv = c->kv;
    c->o.nkv = c->nkv;
    cap = c->feed == FEED_ROWS ? c->nrows : c->feed == FEED_RANGE ? 1000 : c->batch_rows;
    if (columnar_batch_new(fields, c->ncols, cap ? cap : 1, &b, &e) != I2I_OK) die("columnar_batch_new", &e);

    snprintf(path, sizeof path, "%s/%s.parquet", dir, c->name);
    fds.fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    fds.path = path;
    if (fds.fd < 0) die(path, NULL);
    sink.write = parquet_fd_sink_write;
    sink.ctx = &fds;
    if (parquet_writer_open(&sink, specs, c->ncols, &c->o, &w, &e) != I2I_OK) die(c->name, &e);
    feed(c, w, b);
    memset(&res, 0, sizeof res);
    if (parquet_writer_close(w, &res, &e) != I2I_OK) die(c->name, &e);
    if (close(fds.fd) != 0) die(path, NULL);
    check_result(c, &res, path);
    parquet_file_result_free(&res);
    columnar_batch_free(b);
    write_expected(c, dir);
}

/* ------------------------------------------------------------------ the cases */

static case_def *new_case(const char *name, size_t nrows, parquet_codec codec)
{
    case_def *c = calloc(1, sizeof *c);
    if (!c) die("out of memory", NULL);
    snprintf(c->name, sizeof c->name, "%s", name);
    c->nrows = nrows;
    parquet_writer_options_default(&c->o);
    c->o.codec = codec;
    c->o.write_page_index = 1;
    c->batch_rows = 1000;
    c->rg_exact = 1;
    i2i_arena_init(&c->arena, 0);
    return c;
}

static void add_col(case_def *c, kind k, int optional, parquet_dictionary_mode dict, pattern pat, const char *suffix)
{
    static const char *const dict_tag[] = {"auto", "never", "always"};
    col_def *col;
    if (c->ncols == MAX_COLS) die("too many columns", NULL);
    col = &c->cols[c->ncols];
    snprintf(col->name, sizeof col->name, "%s_%s_%s%s", kind_tag[k], optional ? "opt" : "req", dict_tag[dict],
             suffix ? suffix : "");
    col->k = k;
    col->optional = optional;
    col->dict = dict;
    col->pat = pat;
    col->salt = (int)c->ncols;
    c->ncols++;
}

static void run_case(case_def *c, const char *dir, int *nfiles)
{
    size_t i;
    for (i = 0; i < c->ncols; i++) gen_column(c, &c->cols[i]);
    write_case(c, dir);
    printf("parquet_cases: wrote %s.parquet (%zu rows, %zu columns)\n", c->name, c->nrows, c->ncols);
    for (i = 0; i < c->ncols; i++) free(c->cols[i].cells);
    i2i_arena_free(&c->arena);
    free(c);
    (*nfiles)++;
}

int main(int argc, char **argv)
{
    static const parquet_codec codecs[] = {PARQUET_CODEC_ZSTD, PARQUET_CODEC_SNAPPY, PARQUET_CODEC_GZIP,
                                           PARQUET_CODEC_UNCOMPRESSED};
    static const char *const codec_tag[] = {"zstd", "snappy", "gzip", "none"};
    const char *dir;
    char name[48];
    int nfiles = 0;
    size_t q;
    int k, opt, d;
    case_def *c;

    if (argc != 2) {
        fprintf(stderr, "usage: %s OUTDIR\n", argv[0]);
        return 2;
    }
    dir = argv[1];
    if (mkdir(dir, 0755) != 0 && errno != EEXIST) die(dir, NULL);

    /* Every type x nullability x dictionary mode, once per codec; two row groups (explicit flush),
     * several pages per chunk. */
    for (q = 0; q < 4; q++) {
        snprintf(name, sizeof name, "matrix_%s", codec_tag[q]);
        c = new_case(name, 3000, codecs[q]);
        c->o.page_rows = 700;
        c->flush_at[c->nflush++] = 1800;
        c->rg_exact = 2;
        c->min_pages = 2;
        c->kv[c->nkv++] = (parquet_kv){"i2i.case", c->name};
        for (k = 0; k < K_DECIMAL_S; k++)
            for (opt = 0; opt < 2; opt++)
                for (d = 0; d < 3; d++) add_col(c, (kind)k, opt, (parquet_dictionary_mode)d, PAT_MATRIX, NULL);
        run_case(c, dir, &nfiles);
    }

    /* Dictionary fallback: a 2 KiB budget, low cardinality first, then unique values. */
    for (q = 0; q < 4; q++) {
        snprintf(name, sizeof name, "fallback_%s", codec_tag[q]);
        c = new_case(name, 6000, codecs[q]);
        c->o.dictionary_bytes = 2048;
        c->o.page_rows = 500;
        c->fallback = 1;
        for (k = 0; k < K_COUNT; k++)
            for (opt = 0; opt < 2; opt++) add_col(c, (kind)k, opt, PARQUET_DICT_ALWAYS, PAT_FALLBACK, NULL);
        add_col(c, K_STRING, 1, PARQUET_DICT_AUTO, PAT_FALLBACK, NULL);
        add_col(c, K_INT64, 1, PARQUET_DICT_AUTO, PAT_FALLBACK, NULL);
        run_case(c, dir, &nfiles);
    }

    /* Edge values, dictionary-encoded and PLAIN. */
    for (d = 0; d < 2; d++) {
        c = new_case(d ? "edge_plain" : "edge_dict", 48, d ? PARQUET_CODEC_ZSTD : PARQUET_CODEC_SNAPPY);
        for (k = 0; k < K_COUNT; k++)
            for (opt = 0; opt < 2; opt++)
                add_col(c, (kind)k, opt, d ? PARQUET_DICT_NEVER : PARQUET_DICT_ALWAYS, PAT_EDGE, NULL);
        add_col(c, K_DOUBLE, 0, d ? PARQUET_DICT_NEVER : PARQUET_DICT_ALWAYS, PAT_ZEROS, "_zeros");
        add_col(c, K_DOUBLE, 1, d ? PARQUET_DICT_NEVER : PARQUET_DICT_ALWAYS, PAT_NAN_ONLY, "_nan_only");
        add_col(c, K_DOUBLE, 0, d ? PARQUET_DICT_NEVER : PARQUET_DICT_ALWAYS, PAT_NAN_ONLY, "_nan_only");
        add_col(c, K_STRING, 1, d ? PARQUET_DICT_NEVER : PARQUET_DICT_ALWAYS, PAT_BIGSTR, "_big");
        run_case(c, dir, &nfiles);
    }

    /* All-null columns of every type (and one normal column next to them). */
    c = new_case("all_null", 50, PARQUET_CODEC_ZSTD);
    add_col(c, K_INT64, 0, PARQUET_DICT_NEVER, PAT_SEQ, NULL);
    for (k = 0; k < K_COUNT; k++)
        for (d = 1; d < 3; d++) add_col(c, (kind)k, 1, (parquet_dictionary_mode)d, PAT_NULL, NULL);
    run_case(c, dir, &nfiles);

    /* A single row: required, optional with a value, optional NULL. */
    c = new_case("single_row", 1, PARQUET_CODEC_SNAPPY);
    for (k = 0; k < K_COUNT; k++) {
        add_col(c, (kind)k, 0, PARQUET_DICT_AUTO, PAT_EDGE, NULL);
        add_col(c, (kind)k, 1, PARQUET_DICT_AUTO, PAT_EDGE, NULL);
        add_col(c, (kind)k, 1, PARQUET_DICT_AUTO, PAT_NULL, "_null");
    }
    /* Row 0 of the edge table is NaN for doubles: add finite ones so the stats are exercised. */
    add_col(c, K_DOUBLE, 0, PARQUET_DICT_AUTO, PAT_SEQ, "_seq");
    add_col(c, K_STRING, 0, PARQUET_DICT_AUTO, PAT_SEQ, "_seq");
    run_case(c, dir, &nfiles);

    /* Several row groups chosen by size, several pages chosen by size. */
    c = new_case("row_groups_by_size", 30000, PARQUET_CODEC_ZSTD);
    c->o.row_group_bytes = 64 * 1024;
    c->o.page_bytes = 4096;
    c->rg_exact = 0;
    c->rg_min = 3;
    for (k = 0; k < K_COUNT; k++) add_col(c, (kind)k, k % 2, k == K_STRING ? PARQUET_DICT_AUTO : PARQUET_DICT_NEVER, PAT_SEQ, NULL);
    add_col(c, K_INT64, 1, PARQUET_DICT_ALWAYS, PAT_MATRIX, NULL);
    add_col(c, K_STRING, 0, PARQUET_DICT_ALWAYS, PAT_MATRIX, NULL);
    run_case(c, dir, &nfiles);

    /* Many pages per chunk (page_rows = 100) in one row group. */
    c = new_case("many_pages", 5000, PARQUET_CODEC_GZIP);
    c->o.page_rows = 100;
    c->o.page_bytes = 2048;
    c->min_pages = 50;
    for (k = 0; k < K_COUNT; k++)
        for (opt = 0; opt < 2; opt++)
            add_col(c, (kind)k, opt, opt ? PARQUET_DICT_ALWAYS : PARQUET_DICT_NEVER, k % 2 ? PAT_SEQ : PAT_MATRIX, NULL);
    run_case(c, dir, &nfiles);

    /* Key-value metadata, uncompressed. */
    c = new_case("kv_metadata", 10, PARQUET_CODEC_UNCOMPRESSED);
    c->kv[c->nkv++] = (parquet_kv){"iceberg.schema",
                                   "{\"type\":\"struct\",\"schema-id\":0,\"fields\":[{\"id\":1000,\"name\":"
                                   "\"int64_req_never\",\"required\":true,\"type\":\"long\"}]}"};
    c->kv[c->nkv++] = (parquet_kv){"unicode.\xd0\xba\xd0\xbb\xd1\x8e\xd1\x87", "v\xc3\xa4rde \xf0\x9f\x98\x80 \xe6\x97\xa5"};
    c->kv[c->nkv++] = (parquet_kv){"empty.value", ""};
    c->kv[c->nkv++] = (parquet_kv){"multi.line", "line1\nline2\ttab \"quoted\" back\\slash"};
    add_col(c, K_INT64, 0, PARQUET_DICT_NEVER, PAT_SEQ, NULL);
    add_col(c, K_STRING, 1, PARQUET_DICT_AUTO, PAT_SEQ, NULL);
    run_case(c, dir, &nfiles);

    /* The row-list and row-range entry points. */
    c = new_case("api_row_lists", 2501, PARQUET_CODEC_SNAPPY);
    c->feed = FEED_ROWS;
    c->o.page_rows = 300;
    for (k = 0; k < K_COUNT; k++) add_col(c, (kind)k, 1, PARQUET_DICT_AUTO, PAT_MATRIX, NULL);
    run_case(c, dir, &nfiles);

    c = new_case("api_ranges", 4000, PARQUET_CODEC_ZSTD);
    c->feed = FEED_RANGE;
    c->o.page_rows = 250;
    c->flush_at[c->nflush++] = 1234;
    c->flush_at[c->nflush++] = 1235;
    c->flush_at[c->nflush++] = 3000;
    c->rg_exact = 4;
    for (k = 0; k < K_COUNT; k++) add_col(c, (kind)k, k % 2 == 0, PARQUET_DICT_AUTO, PAT_FALLBACK, NULL);
    run_case(c, dir, &nfiles);

    printf("parquet_cases: %d files written to %s, %d writer-result mismatches\n", nfiles, dir, g_result_mismatches);
    return g_result_mismatches ? 3 : 0;
}
