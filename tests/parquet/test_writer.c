/*
 * Writer round trips: files with every type x nullability x codec are written into a buffer, the
 * footer is parsed with the test-only thrift reader, every chunk is walked page by page (sizes,
 * offsets, decompression) and decoded, and the values, statistics, page index and file result are
 * compared with the input. Also: dictionary fallback and abandonment, errors, routing, sinks.
 */
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "parquet/parquet.h"
#include "pq_test_reader.h"
#include "test.h"

/* ------------------------------------------------------------------ test columns */

enum { V_REQUIRED = 0, V_OPT_NONULL = 1, V_OPT_NULLS = 2 };

typedef struct colcase {
    const char *name;
    columnar_type ctype;
    parquet_physical phys;
    parquet_logical logical;
    parquet_dictionary_mode dict;
    int32_t precision;
    int always_null;
} colcase;

static const colcase CASES[] = {
    {"ts", COLUMNAR_TIMESTAMP, PARQUET_INT64, PARQUET_LOGICAL_TIMESTAMP_MICROS, PARQUET_DICT_AUTO, 0, 0},
    {"ts_ns", COLUMNAR_TIMESTAMP, PARQUET_INT64, PARQUET_LOGICAL_TIMESTAMP_NANOS, PARQUET_DICT_AUTO, 0, 0},
    {"tag", COLUMNAR_STRING, PARQUET_BYTE_ARRAY, PARQUET_LOGICAL_STRING, PARQUET_DICT_AUTO, 0, 0},
    {"uniq", COLUMNAR_STRING, PARQUET_BYTE_ARRAY, PARQUET_LOGICAL_STRING, PARQUET_DICT_AUTO, 0, 0},
    {"uniq_dict", COLUMNAR_STRING, PARQUET_BYTE_ARRAY, PARQUET_LOGICAL_STRING, PARQUET_DICT_ALWAYS, 0, 0},
    {"f", COLUMNAR_DOUBLE, PARQUET_DOUBLE, PARQUET_LOGICAL_NONE, PARQUET_DICT_AUTO, 0, 0},
    {"fnan", COLUMNAR_DOUBLE, PARQUET_DOUBLE, PARQUET_LOGICAL_NONE, PARQUET_DICT_NEVER, 0, 0},
    {"fd", COLUMNAR_DOUBLE, PARQUET_DOUBLE, PARQUET_LOGICAL_NONE, PARQUET_DICT_ALWAYS, 0, 0},
    {"n", COLUMNAR_INT64, PARQUET_INT64, PARQUET_LOGICAL_NONE, PARQUET_DICT_AUTO, 0, 0},
    {"n_low", COLUMNAR_INT64, PARQUET_INT64, PARQUET_LOGICAL_NONE, PARQUET_DICT_AUTO, 0, 0},
    {"n_never", COLUMNAR_INT64, PARQUET_INT64, PARQUET_LOGICAL_NONE, PARQUET_DICT_NEVER, 0, 0},
    {"u", COLUMNAR_UINT64, PARQUET_INT64, PARQUET_LOGICAL_NONE, PARQUET_DICT_AUTO, 0, 0},
    {"i32", COLUMNAR_INT64, PARQUET_INT32, PARQUET_LOGICAL_NONE, PARQUET_DICT_AUTO, 0, 0},
    {"i32_dict", COLUMNAR_INT64, PARQUET_INT32, PARQUET_LOGICAL_NONE, PARQUET_DICT_ALWAYS, 0, 0},
    {"b", COLUMNAR_BOOL, PARQUET_BOOLEAN, PARQUET_LOGICAL_NONE, PARQUET_DICT_ALWAYS, 0, 0},
    {"dec20", COLUMNAR_UINT64, PARQUET_FIXED_LEN_BYTE_ARRAY, PARQUET_LOGICAL_DECIMAL, PARQUET_DICT_AUTO, 20, 0},
    {"dec18", COLUMNAR_INT64, PARQUET_FIXED_LEN_BYTE_ARRAY, PARQUET_LOGICAL_DECIMAL, PARQUET_DICT_AUTO, 18, 0},
    {"dec_dict", COLUMNAR_INT64, PARQUET_FIXED_LEN_BYTE_ARRAY, PARQUET_LOGICAL_DECIMAL, PARQUET_DICT_ALWAYS, 10, 0},
    {"allnull", COLUMNAR_STRING, PARQUET_BYTE_ARRAY, PARQUET_LOGICAL_STRING, PARQUET_DICT_AUTO, 0, 1},
};
#define NCASES (sizeof CASES / sizeof *CASES)

static int is_null_at(size_t col, size_t i, int variant)
{
    if (CASES[col].always_null) return 1;
    if (variant != V_OPT_NULLS) return 0;
    if (i >= 1000 && i < 1400) return 1; /* a long null run for every optional column */
    return ((i * 2654435761u + col * 40503u) >> 7) % 7 == 0;
}

static int fill_value(columnar_column *c, size_t col, size_t i)
{
    char buf[64];
    int n;
    const char *name = CASES[col].name;
    if (strcmp(name, "ts") == 0) {
        columnar_set_i64(c, i, 1700000000000000LL + (int64_t)i * 1000);
    } else if (strcmp(name, "ts_ns") == 0) {
        columnar_set_i64(c, i, 1700000000000000000LL + (int64_t)i * 17);
    } else if (strcmp(name, "tag") == 0) {
        static const char *special[] = {"", "\xc3\xa9-\xc3\xbc", "\x7f", "Z"};
        if (i % 20 < 4)
            return columnar_set_string(c, i, special[i % 20], strlen(special[i % 20]));
        n = snprintf(buf, sizeof buf, "tag-%zu", i % 20);
        return columnar_set_string(c, i, buf, (size_t)n);
    } else if (strcmp(name, "uniq") == 0 || strcmp(name, "uniq_dict") == 0 || strcmp(name, "allnull") == 0) {
        n = snprintf(buf, sizeof buf, "u-%08zx-%zu-and-some-padding", i * 2654435761u, i);
        return columnar_set_string(c, i, buf, (size_t)n);
    } else if (strcmp(name, "f") == 0) {
        double v = sin((double)i) * 1e6;
        if (i % 97 == 1) v = -0.0;
        if (i % 97 == 2) v = 0.0;
        if (i == 3) v = INFINITY;
        if (i == 4) v = -INFINITY;
        columnar_set_f64(c, i, v);
    } else if (strcmp(name, "fnan") == 0) {
        columnar_set_f64(c, i, i % 10 == 0 ? NAN : (double)i * 0.25 - 100);
    } else if (strcmp(name, "fd") == 0) {
        columnar_set_f64(c, i, (double)(i % 5) * 1.5);
    } else if (strcmp(name, "n") == 0) {
        int64_t v = (int64_t)i * 1234567 - ((int64_t)1 << 40);
        if (i == 5) v = INT64_MIN;
        if (i == 6) v = INT64_MAX;
        columnar_set_i64(c, i, v);
    } else if (strcmp(name, "n_low") == 0) {
        columnar_set_i64(c, i, (int64_t)(i % 10) * 1000);
    } else if (strcmp(name, "n_never") == 0) {
        columnar_set_i64(c, i, (int64_t)i * (int64_t)i);
    } else if (strcmp(name, "u") == 0) {
        columnar_set_u64(c, i, i == 9 ? (uint64_t)INT64_MAX : (uint64_t)i * 1000003u);
    } else if (strcmp(name, "i32") == 0) {
        int64_t v = (int64_t)(i % 1000) * 1000 - 500000;
        if (i == 7) v = INT32_MIN;
        if (i == 8) v = INT32_MAX;
        columnar_set_i64(c, i, v);
    } else if (strcmp(name, "i32_dict") == 0) {
        columnar_set_i64(c, i, (int64_t)(i % 9) - 4);
    } else if (strcmp(name, "b") == 0) {
        columnar_set_bool(c, i, i % 3 == 0);
    } else if (strcmp(name, "dec20") == 0) {
        columnar_set_u64(c, i, UINT64_MAX - (uint64_t)i * 977u);
    } else if (strcmp(name, "dec18") == 0) {
        int64_t v = (int64_t)(((uint64_t)i * 123456789123ull) % 999999999999999999ull);
        columnar_set_i64(c, i, i % 2 ? -v : v);
    } else if (strcmp(name, "dec_dict") == 0) {
        columnar_set_i64(c, i, (int64_t)(i % 6) - 3);
    }
    return 0;
}

static columnar_batch *make_batch(size_t nrows, int variant)
{
    columnar_field f[NCASES];
    columnar_batch *b;
    i2i_error err;
    size_t i, j;
    for (j = 0; j < NCASES; j++) {
        f[j].name = CASES[j].name;
        f[j].type = CASES[j].ctype;
        f[j].unit = COLUMNAR_MICROS;
    }
    if (columnar_batch_new(f, NCASES, nrows, &b, &err) != 0) return NULL;
    for (i = 0; i < nrows; i++) {
        for (j = 0; j < NCASES; j++) {
            if (!is_null_at(j, i, variant)) fill_value(&b->cols[j], j, i);
        }
        columnar_batch_end_row(b);
    }
    return b;
}

static void make_specs(parquet_column_spec *s, int variant)
{
    size_t j;
    memset(s, 0, NCASES * sizeof *s);
    for (j = 0; j < NCASES; j++) {
        s[j].name = CASES[j].name;
        s[j].field_id = (int32_t)(j + 1) * 10;
        s[j].physical = CASES[j].phys;
        s[j].logical = CASES[j].logical;
        s[j].optional = variant != V_REQUIRED || CASES[j].always_null;
        s[j].adjusted_to_utc = j == 0;
        s[j].precision = CASES[j].precision;
        s[j].dictionary = CASES[j].dict;
    }
}

/* PLAIN bytes the reader should decode for row i of a batch column. */
static void expected_value(const parquet_column_spec *s, const columnar_column *c, size_t i, uint8_t *buf,
                           const uint8_t **p, size_t *len)
{
    int k;
    switch (s->physical) {
    case PARQUET_BOOLEAN:
        buf[0] = c->v.b[i];
        *len = 1;
        break;
    case PARQUET_INT32:
        i2i_store_le32(buf, (uint32_t)(int32_t)c->v.i64[i]);
        *len = 4;
        break;
    case PARQUET_INT64:
    case PARQUET_DOUBLE:
        memcpy(buf, &c->v.i64[i], 8);
        *len = 8;
        break;
    case PARQUET_BYTE_ARRAY:
        *p = (const uint8_t *)columnar_string_at(c, i, len);
        return;
    case PARQUET_FIXED_LEN_BYTE_ARRAY: {
        int tl = s->type_length;
        uint64_t u = c->v.u64[i];
        uint8_t fill = (c->type == COLUMNAR_INT64 && (int64_t)u < 0) ? 0xFF : 0x00;
        for (k = 0; k < tl; k++) {
            int shift = 8 * (tl - 1 - k);
            buf[k] = shift < 64 ? (uint8_t)(u >> shift) : fill;
        }
        *len = (size_t)tl;
        break;
    }
    }
    *p = buf;
}

/* ------------------------------------------------------------------ independent ordering */

static int cmp_plain(int physical, const uint8_t *a, size_t an, const uint8_t *b, size_t bn)
{
    switch (physical) {
    case PARQUET_BOOLEAN: return (int)a[0] - (int)b[0];
    case PARQUET_INT32: {
        int32_t x = (int32_t)i2i_load_le32(a), y = (int32_t)i2i_load_le32(b);
        return x < y ? -1 : x > y;
    }
    case PARQUET_INT64: {
        int64_t x = (int64_t)i2i_load_le64(a), y = (int64_t)i2i_load_le64(b);
        return x < y ? -1 : x > y;
    }
    case PARQUET_DOUBLE: {
        double x, y;
        memcpy(&x, a, 8);
        memcpy(&y, b, 8);
        return x < y ? -1 : x > y;
    }
    case PARQUET_FIXED_LEN_BYTE_ARRAY:
        if ((a[0] ^ b[0]) & 0x80) return (a[0] & 0x80) ? -1 : 1;
        return memcmp(a, b, an);
    default: {
        size_t m = an < bn ? an : bn;
        int c = m ? memcmp(a, b, m) : 0;
        if (c) return c;
        return an < bn ? -1 : an > bn;
    }
    }
}

static int is_nan_value(int physical, const uint8_t *p)
{
    double d;
    if (physical != PARQUET_DOUBLE) return 0;
    memcpy(&d, p, 8);
    return d != d;
}

/* Min and max (PLAIN bytes, with the double zero rule) of rows [from, to) of v; 0 if none. */
static int value_bounds(int physical, const tr_values *v, size_t from, size_t to, uint8_t *mn,
                        size_t *mnl, uint8_t *mx, size_t *mxl)
{
    size_t i, lo = SIZE_MAX, hi = SIZE_MAX;
    for (i = from; i < to; i++) {
        const uint8_t *p = v->data + v->off[i];
        size_t l = v->off[i + 1] - v->off[i];
        if (v->is_null[i] || is_nan_value(physical, p)) continue;
        if (lo == SIZE_MAX ||
            cmp_plain(physical, p, l, v->data + v->off[lo], v->off[lo + 1] - v->off[lo]) < 0)
            lo = i;
        if (hi == SIZE_MAX ||
            cmp_plain(physical, p, l, v->data + v->off[hi], v->off[hi + 1] - v->off[hi]) > 0)
            hi = i;
    }
    if (lo == SIZE_MAX) return 0;
    *mnl = v->off[lo + 1] - v->off[lo];
    *mxl = v->off[hi + 1] - v->off[hi];
    memcpy(mn, v->data + v->off[lo], *mnl);
    memcpy(mx, v->data + v->off[hi], *mxl);
    if (physical == PARQUET_DOUBLE) {
        double a, b;
        memcpy(&a, mn, 8);
        memcpy(&b, mx, 8);
        if (a == 0) a = -0.0;
        if (b == 0) b = 0.0;
        memcpy(mn, &a, 8);
        memcpy(mx, &b, 8);
    }
    return 1;
}

/* ------------------------------------------------------------------ file checks */

typedef struct file_check {
    const uint8_t *file;
    size_t len;
    const parquet_column_spec *specs; /* after the writer's defaults (type_length) */
    size_t ncols;
    int codec;
    tr_values *vals;     /* per column, decoded */
    int64_t *comp_bytes; /* per column, from the footer */
    int64_t *split;      /* row group file offsets */
    size_t nrg;
    int dict_pages[64];  /* per column: chunks with a dictionary page */
    int plain_pages[64]; /* per column: PLAIN data pages */
    int dict_data_pages[64];
} file_check;

#define FCHECK(cond)                                                                               \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            i2i_test_fail(__FILE__, __LINE__, "rg %zu col %zu: %s", r, c, #cond);                  \
            ok = 0;                                                                                \
        }                                                                                          \
    } while (0)

static int has_encoding(const tnode *list, int enc)
{
    size_t i;
    for (i = 0; list && i < list->nkids; i++)
        if (list->kids[i].i == enc) return 1;
    return 0;
}

static int check_page_index(file_check *fc, const tnode *cc, const tr_chunk_report *rep,
                            const tr_values *v, size_t row0, int physical, const tnode *stats,
                            size_t r, size_t c)
{
    int ok = 1;
    size_t k;
    int64_t oio = tr_int(cc, 4, -1), oil = tr_int(cc, 5, -1);
    int64_t cio = tr_int(cc, 6, -1), cil = tr_int(cc, 7, -1);
    tnode oi, ci;
    const uint8_t *p;
    FCHECK(oio > 0 && oil > 0);
    if (oio <= 0) return ok;
    p = fc->file + oio;
    FCHECK(tr_read_struct(&p, fc->file + oio + oil, &oi) == 0 && p == fc->file + oio + oil);
    {
        const tnode *locs = tr_field(&oi, 1);
        FCHECK(locs && locs->nkids == rep->npages);
        for (k = 0; locs && k < locs->nkids && k < rep->npages; k++) {
            FCHECK(tr_int(&locs->kids[k], 1, -1) == rep->pages[k].offset);
            FCHECK(tr_int(&locs->kids[k], 2, -1) == rep->pages[k].stored_size);
            FCHECK(tr_int(&locs->kids[k], 3, -1) == rep->pages[k].first_row);
        }
    }
    tr_free(&oi);
    /* ColumnIndex is left out exactly when the chunk had NaN. */
    if (tr_int(stats, 9, 0) > 0) {
        FCHECK(cio < 0);
        return ok;
    }
    FCHECK(cio > 0 && cil > 0);
    if (cio <= 0) return ok;
    p = fc->file + cio;
    FCHECK(tr_read_struct(&p, fc->file + cio + cil, &ci) == 0 && p == fc->file + cio + cil);
    {
        const tnode *nulls = tr_field(&ci, 1), *mins = tr_field(&ci, 2), *maxs = tr_field(&ci, 3);
        const tnode *ncount = tr_field(&ci, 5);
        FCHECK(nulls && mins && maxs && ncount && tr_has(&ci, 4));
        for (k = 0; nulls && mins && maxs && ncount && k < rep->npages; k++) {
            const tr_page_info *pg = &rep->pages[k];
            size_t from = row0 + (size_t)pg->first_row, to = from + (size_t)pg->num_values, i;
            FCHECK(nulls->kids[k].i == (pg->nulls == pg->num_values));
            FCHECK(ncount->kids[k].i == pg->nulls);
            if (nulls->kids[k].i) continue;
            /* every value of the page lies within [min, max] */
            for (i = from; i < to; i++) {
                const uint8_t *vp = v->data + v->off[i];
                size_t vl = v->off[i + 1] - v->off[i];
                if (v->is_null[i]) continue;
                if (cmp_plain(physical, mins->kids[k].bin, mins->kids[k].binlen, vp, vl) > 0 ||
                    cmp_plain(physical, vp, vl, maxs->kids[k].bin, maxs->kids[k].binlen) > 0) {
                    FCHECK(!"page value outside its ColumnIndex bounds");
                    break;
                }
            }
        }
    }
    tr_free(&ci);
    return ok;
}

static int check_statistics(const tnode *stats, const tr_values *v, size_t from, size_t to, int physical,
                            size_t r, size_t c)
{
    int ok = 1;
    uint8_t mn[256], mx[256];
    size_t mnl, mxl, i, nulls = 0, nans = 0;
    int has;
    FCHECK(stats != NULL);
    if (!stats) return ok;
    for (i = from; i < to; i++) {
        nulls += v->is_null[i];
        if (!v->is_null[i] && is_nan_value(physical, v->data + v->off[i])) nans++;
    }
    FCHECK(tr_int(stats, 3, -1) == (int64_t)nulls);
    if (physical == PARQUET_DOUBLE) FCHECK(tr_int(stats, 9, -1) == (int64_t)nans);
    has = value_bounds(physical, v, from, to, mn, &mnl, mx, &mxl);
    if (!has || nans > 0) {
        /* no bounds (all null / all NaN), and none either when NaN is present */
        FCHECK(!tr_has(stats, 5) && !tr_has(stats, 6) && !tr_has(stats, 1) && !tr_has(stats, 2));
        return ok;
    }
    {
        const tnode *maxv = tr_field(stats, 5), *minv = tr_field(stats, 6);
        FCHECK(minv && maxv);
        if (minv && maxv) {
            FCHECK(minv->binlen == mnl && memcmp(minv->bin, mn, mnl) == 0);
            FCHECK(maxv->binlen == mxl && memcmp(maxv->bin, mx, mxl) == 0);
        }
        FCHECK(tr_int(stats, 7, 0) == 1 && tr_int(stats, 8, 0) == 1);
        /* deprecated min/max only for signed-order types */
        if (physical == PARQUET_INT32 || physical == PARQUET_INT64 || physical == PARQUET_DOUBLE) {
            const tnode *omax = tr_field(stats, 1), *omin = tr_field(stats, 2);
            FCHECK(omax && omin && omax->binlen == mxl && omin->binlen == mnl);
        } else {
            FCHECK(!tr_has(stats, 1) && !tr_has(stats, 2));
        }
    }
    return ok;
}

/* Parse and check a whole file; fills fc->vals etc. Returns 1 when every check passed. */
static int check_file(file_check *fc)
{
    tnode md;
    const tnode *schema, *rgs, *orders, *f;
    size_t r = 0, c = 0, i;
    int ok = 1;
    int64_t expect_offset = 4, total_rows = 0, footer_start;

    if (tr_read_footer(fc->file, fc->len, &md) != 0) {
        i2i_test_fail(__FILE__, __LINE__, "footer does not parse");
        return 0;
    }
    footer_start = (int64_t)fc->len - 8 - (int64_t)i2i_load_le32(fc->file + fc->len - 8);
    FCHECK(tr_int(&md, 1, -1) == 1);
    f = tr_field(&md, 6);
    FCHECK(f && f->binlen > 23 && memcmp(f->bin, "influx2iceberg version ", 23) == 0);
    schema = tr_field(&md, 2);
    FCHECK(schema && schema->nkids == fc->ncols + 1);
    if (!schema || schema->nkids != fc->ncols + 1) goto out;
    FCHECK(tr_int(&schema->kids[0], 5, -1) == (int64_t)fc->ncols);
    FCHECK(!tr_has(&schema->kids[0], 1) && !tr_has(&schema->kids[0], 3));
    for (c = 0; c < fc->ncols; c++) {
        const tnode *e = &schema->kids[c + 1], *name = tr_field(e, 4), *lt = tr_field(e, 10);
        const parquet_column_spec *s = &fc->specs[c];
        FCHECK(tr_int(e, 1, -1) == s->physical);
        FCHECK(tr_int(e, 3, -1) == (s->optional ? 1 : 0));
        FCHECK(name && name->binlen == strlen(s->name) && memcmp(name->bin, s->name, name->binlen) == 0);
        FCHECK(tr_int(e, 9, -1) == s->field_id);
        FCHECK(!tr_has(e, 5));
        switch (s->logical) {
        case PARQUET_LOGICAL_STRING: FCHECK(tr_int(e, 6, -1) == 0 && tr_has(lt, 1)); break;
        case PARQUET_LOGICAL_TIMESTAMP_MICROS:
            FCHECK(tr_int(e, 6, -1) == 10);
            FCHECK(tr_int(tr_field(lt, 8), 1, -1) == s->adjusted_to_utc);
            FCHECK(tr_has(tr_field(tr_field(lt, 8), 2), 2));
            break;
        case PARQUET_LOGICAL_TIMESTAMP_NANOS:
            FCHECK(!tr_has(e, 6));
            FCHECK(tr_has(tr_field(tr_field(lt, 8), 2), 3));
            break;
        case PARQUET_LOGICAL_DECIMAL:
            FCHECK(tr_int(e, 6, -1) == 5 && tr_int(e, 8, -1) == s->precision && tr_int(e, 7, -1) == 0);
            FCHECK(tr_int(e, 2, -1) == s->type_length);
            FCHECK(tr_int(tr_field(lt, 5), 2, -1) == s->precision);
            break;
        default: FCHECK(!tr_has(e, 6) && lt == NULL); break;
        }
    }
    orders = tr_field(&md, 7);
    FCHECK(orders && orders->nkids == fc->ncols);
    for (c = 0; orders && c < orders->nkids; c++) FCHECK(tr_has(&orders->kids[c], 1));

    rgs = tr_field(&md, 4);
    FCHECK(rgs != NULL);
    if (!rgs) goto out;
    fc->nrg = rgs->nkids;
    fc->split = calloc(rgs->nkids + 1, sizeof *fc->split);
    for (r = 0; r < rgs->nkids; r++) {
        const tnode *rg = &rgs->kids[r], *cols = tr_field(rg, 1);
        int64_t sum_unc = 0, sum_comp = 0, rg_rows = tr_int(rg, 3, -1);
        c = 0;
        FCHECK(cols && cols->nkids == fc->ncols);
        if (!cols || cols->nkids != fc->ncols) break;
        FCHECK(tr_int(rg, 7, -1) == (int64_t)r);
        FCHECK(tr_int(rg, 5, -1) == expect_offset);
        fc->split[r] = tr_int(rg, 5, -1);
        for (c = 0; c < fc->ncols; c++) {
            const tnode *cc = &cols->kids[c], *meta = tr_field(cc, 3), *path, *encs, *es;
            const parquet_column_spec *s = &fc->specs[c];
            tr_chunk_report rep;
            size_t row0 = fc->vals[c].n, k;
            int64_t start;
            int es_dict = 0, es_rle_dict = 0, es_plain = 0;
            FCHECK(tr_int(cc, 2, -1) == 0 && meta != NULL);
            if (!meta) continue;
            FCHECK(tr_int(meta, 1, -1) == s->physical);
            FCHECK(tr_int(meta, 4, -1) == fc->codec);
            FCHECK(tr_int(meta, 5, -1) == rg_rows);
            path = tr_field(meta, 3);
            FCHECK(path && path->nkids == 1 && path->kids[0].binlen == strlen(s->name));
            start = tr_has(meta, 11) ? tr_int(meta, 11, -1) : tr_int(meta, 9, -1);
            FCHECK(start == expect_offset); /* chunks are contiguous, in schema order */
            if (tr_decode_chunk(fc->file, fc->len, meta, s->physical, s->optional, s->type_length,
                                &fc->vals[c], &rep) != 0) {
                i2i_test_fail(__FILE__, __LINE__, "rg %zu col %s: %s", r, s->name, rep.error);
                ok = 0;
            }
            FCHECK(fc->vals[c].n - row0 == (size_t)rg_rows);
            expect_offset = start + tr_int(meta, 7, 0);
            sum_unc += tr_int(meta, 6, 0);
            sum_comp += tr_int(meta, 7, 0);
            fc->comp_bytes[c] += tr_int(meta, 7, 0);
            /* encodings and encoding_stats agree with the pages found */
            encs = tr_field(meta, 2);
            FCHECK(has_encoding(encs, 3));
            FCHECK(has_encoding(encs, 8) == (rep.data_pages_dict > 0));
            FCHECK(has_encoding(encs, 0) == (rep.has_dict || rep.data_pages_plain > 0));
            es = tr_field(meta, 13);
            for (k = 0; es && k < es->nkids; k++) {
                int64_t pt = tr_int(&es->kids[k], 1, -1), en = tr_int(&es->kids[k], 2, -1);
                int64_t n = tr_int(&es->kids[k], 3, -1);
                if (pt == 2 && en == 0) es_dict += (int)n;
                if (pt == 0 && en == 8) es_rle_dict += (int)n;
                if (pt == 0 && en == 0) es_plain += (int)n;
            }
            FCHECK(es != NULL && es_dict == rep.has_dict && es_rle_dict == rep.data_pages_dict &&
                   es_plain == rep.data_pages_plain);
            FCHECK(tr_has(meta, 11) == rep.has_dict);
            if (s->physical == PARQUET_BOOLEAN) FCHECK(!rep.has_dict);
            fc->dict_pages[c] += rep.has_dict;
            fc->plain_pages[c] += rep.data_pages_plain;
            fc->dict_data_pages[c] += rep.data_pages_dict;
            ok &= check_statistics(tr_field(meta, 12), &fc->vals[c], row0, fc->vals[c].n, s->physical, r, c);
            if (tr_has(cc, 4)) {
                ok &= check_page_index(fc, cc, &rep, &fc->vals[c], row0, s->physical,
                                       tr_field(meta, 12), r, c);
                /* the page index sits between the last chunk and the footer */
                FCHECK(tr_int(cc, 4, 0) >= expect_offset && tr_int(cc, 4, 0) < footer_start);
            }
            tr_chunk_report_free(&rep);
        }
        c = 0;
        FCHECK(tr_int(rg, 2, -1) == sum_unc);
        FCHECK(tr_int(rg, 6, -1) == sum_comp);
        total_rows += rg_rows;
    }
    r = c = 0;
    FCHECK(tr_int(&md, 3, -1) == total_rows);
    for (i = 0; i < fc->ncols; i++) FCHECK(fc->vals[i].n == (size_t)total_rows);
out:
    tr_free(&md);
    return ok;
}

static void file_check_init(file_check *fc, const uint8_t *file, size_t len, const parquet_column_spec *specs,
                            size_t ncols, int codec)
{
    memset(fc, 0, sizeof *fc);
    fc->file = file;
    fc->len = len;
    fc->specs = specs;
    fc->ncols = ncols;
    fc->codec = codec;
    fc->vals = calloc(ncols, sizeof *fc->vals);
    fc->comp_bytes = calloc(ncols, sizeof *fc->comp_bytes);
}

static void file_check_free(file_check *fc)
{
    size_t i;
    for (i = 0; i < fc->ncols; i++) tr_values_free(&fc->vals[i]);
    free(fc->vals);
    free(fc->comp_bytes);
    free(fc->split);
}

/* Decoded values equal the batch rows (in the order listed, or all rows when rows == NULL). */
static int values_match(const parquet_column_spec *s, const columnar_column *col, const tr_values *v,
                        const uint32_t *rows, size_t n)
{
    size_t k;
    uint8_t buf[32];
    if (v->n != n) return 0;
    for (k = 0; k < n; k++) {
        size_t i = rows ? rows[k] : k, len = 0;
        const uint8_t *p = NULL;
        int null = !columnar_is_valid(col, i);
        if (v->is_null[k] != null) return 0;
        if (null) continue;
        expected_value(s, col, i, buf, &p, &len);
        if (v->off[k + 1] - v->off[k] != len || (len && memcmp(v->data + v->off[k], p, len) != 0)) return 0;
    }
    return 1;
}

static void spec_defaults(parquet_column_spec *s, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++)
        if (s[i].physical == PARQUET_FIXED_LEN_BYTE_ARRAY && s[i].type_length == 0)
            s[i].type_length = s[i].precision <= 10 ? 5 : (s[i].precision <= 18 ? 8 : 9);
}

/* ------------------------------------------------------------------ the matrix */

static void run_matrix_case(int codec, int variant)
{
    enum { N = 5000 };
    parquet_column_spec specs[NCASES];
    parquet_writer_options o;
    parquet_writer *w = NULL;
    parquet_file_result res;
    columnar_batch *b = make_batch(N, variant);
    i2i_buf out = I2I_BUF_INIT;
    parquet_sink sink = {parquet_buf_sink_write, &out};
    i2i_error err;
    file_check fc;
    uint32_t *rows = malloc(N * sizeof *rows);
    size_t i, c;
    parquet_kv kv[] = {{"iceberg.schema", "{\"type\":\"struct\"}"}, {"k2", NULL}};

    REQUIRE(b && rows);
    make_specs(specs, variant);
    parquet_writer_options_default(&o);
    o.codec = (parquet_codec)codec;
    o.page_rows = 700;
    o.row_group_bytes = 100000;
    o.kv = kv;
    o.nkv = 2;
    REQUIRE_OK(parquet_writer_open(&sink, specs, NCASES, &o, &w, &err), &err);
    /* contiguous ranges, then a row list, then the rest */
    REQUIRE_OK(parquet_writer_add_batch_range(w, b, 0, 1234, &err), &err);
    REQUIRE_OK(parquet_writer_add_batch_range(w, b, 1234, 1766, &err), &err);
    for (i = 0; i < 1500; i++) rows[i] = (uint32_t)(3000 + i);
    REQUIRE_OK(parquet_writer_add_batch_rows(w, b, rows, 1500, &err), &err);
    REQUIRE_OK(parquet_writer_add_batch_range(w, b, 4500, 500, &err), &err);
    CHECK_EQ_INT(parquet_writer_rows(w), N);
    REQUIRE_OK(parquet_writer_close(w, &res, &err), &err);

    spec_defaults(specs, NCASES);
    file_check_init(&fc, out.data, out.len, specs, NCASES, codec);
    if (!check_file(&fc)) i2i_test_fail(__FILE__, __LINE__, "codec %d variant %d", codec, variant);
    CHECK(fc.nrg > 1);
    for (c = 0; c < NCASES; c++) {
        if (!values_match(&specs[c], &b->cols[c], &fc.vals[c], NULL, N))
            i2i_test_fail(__FILE__, __LINE__, "codec %d variant %d column %s: values differ", codec,
                          variant, specs[c].name);
    }
    /* file result agrees with the footer and the data */
    CHECK_EQ_INT(res.num_rows, N);
    CHECK_EQ_INT(res.file_size, out.len);
    CHECK_EQ_INT(res.ncols, NCASES);
    CHECK_EQ_INT(res.nrow_groups, fc.nrg);
    for (i = 0; i < fc.nrg && i < res.nrow_groups; i++) CHECK(res.split_offsets[i] == fc.split[i]);
    for (c = 0; c < NCASES; c++) {
        const parquet_column_result *cr = &res.cols[c];
        uint8_t mn[256], mx[256];
        size_t mnl, mxl, k, nulls = 0, nans = 0;
        int has = value_bounds(specs[c].physical, &fc.vals[c], 0, N, mn, &mnl, mx, &mxl);
        for (k = 0; k < N; k++) {
            nulls += fc.vals[c].is_null[k];
            if (!fc.vals[c].is_null[k] && is_nan_value(specs[c].physical, fc.vals[c].data + fc.vals[c].off[k]))
                nans++;
        }
        CHECK_EQ_INT(cr->field_id, specs[c].field_id);
        CHECK_EQ_INT(cr->value_count, N);
        CHECK_EQ_INT(cr->null_count, nulls);
        CHECK_EQ_INT(cr->nan_count, nans);
        CHECK_EQ_INT(cr->compressed_bytes, fc.comp_bytes[c]);
        CHECK_EQ_INT(cr->has_bounds, has);
        if (has && cr->has_bounds) {
            if (cr->lower.len != mnl || memcmp(cr->lower.data, mn, mnl) != 0 || cr->upper.len != mxl ||
                memcmp(cr->upper.data, mx, mxl) != 0)
                i2i_test_fail(__FILE__, __LINE__, "column %s: file bounds differ", specs[c].name);
        }
    }
    /* dictionary choices: strings with few values, ALWAYS columns; never timestamps/booleans */
    for (c = 0; c < NCASES; c++) {
        const char *nm = specs[c].name;
        if (!strcmp(nm, "ts") || !strcmp(nm, "ts_ns") || !strcmp(nm, "b") || !strcmp(nm, "n_never") ||
            !strcmp(nm, "fnan") || !strcmp(nm, "allnull") || !strcmp(nm, "uniq") || !strcmp(nm, "n") ||
            !strcmp(nm, "u"))
            CHECK(fc.dict_pages[c] == 0);
        if (!strcmp(nm, "tag") || !strcmp(nm, "fd") || !strcmp(nm, "i32_dict") || !strcmp(nm, "n_low") ||
            !strcmp(nm, "dec_dict") || !strcmp(nm, "uniq_dict"))
            CHECK(fc.dict_pages[c] == (int)fc.nrg);
    }
    file_check_free(&fc);
    parquet_file_result_free(&res);
    i2i_buf_free(&out);
    columnar_batch_free(b);
    free(rows);
}

TEST(round_trip_every_type_nullability_and_codec)
{
    static const int codecs[] = {PARQUET_CODEC_UNCOMPRESSED, PARQUET_CODEC_SNAPPY, PARQUET_CODEC_GZIP,
                                 PARQUET_CODEC_ZSTD};
    int ci, v;
    for (ci = 0; ci < 4; ci++)
        for (v = V_REQUIRED; v <= V_OPT_NULLS; v++) run_matrix_case(codecs[ci], v);
}

/* ------------------------------------------------------------------ focused behaviours */

/* Write one batch with the given specs/options; check the file; return it decoded. */
static int write_and_check(const parquet_column_spec *specs_in, size_t ncols, columnar_batch *b,
                           parquet_writer_options *o, i2i_buf *out, file_check *fc, parquet_file_result *res)
{
    parquet_writer *w;
    parquet_sink sink = {parquet_buf_sink_write, out};
    i2i_error err;
    static parquet_column_spec specs[64];
    memcpy(specs, specs_in, ncols * sizeof *specs);
    if (parquet_writer_open(&sink, specs, ncols, o, &w, &err) != 0 ||
        parquet_writer_add_batch(w, b, &err) != 0 || parquet_writer_close(w, res, &err) != 0) {
        i2i_test_fail(__FILE__, __LINE__, "write failed: %s", err.msg);
        return 0;
    }
    spec_defaults(specs, ncols);
    file_check_init(fc, out->data, out->len, specs, ncols, o->codec);
    return check_file(fc);
}

/* One batch written to a buffer, and what the focused tests keep of it. */
typedef struct wfix {
    columnar_batch *b;
    parquet_writer_options o;
    parquet_file_result res;
    i2i_buf out;
    file_check fc;
    i2i_error err;
} wfix;

/* An empty batch over the fields (rows are filled by the test), default options, an empty buffer. */
static int wfix_init(wfix *t, const columnar_field *f, size_t nf, size_t nrows)
{
    memset(t, 0, sizeof *t);
    parquet_writer_options_default(&t->o);
    return columnar_batch_new(f, nf, nrows, &t->b, &t->err) == 0;
}

static int wfix_write(wfix *t, const parquet_column_spec *specs, size_t ncols)
{
    return write_and_check(specs, ncols, t->b, &t->o, &t->out, &t->fc, &t->res);
}

/* A column's pages in the file: chunks with a dictionary page, dictionary-encoded and PLAIN data
 * pages. */
#define CHECK_PAGES(fc, col, dicts, dict_data, plain)                                              \
    do {                                                                                           \
        CHECK_EQ_INT((fc).dict_pages[col], dicts);                                                 \
        CHECK_EQ_INT((fc).dict_data_pages[col], dict_data);                                        \
        CHECK_EQ_INT((fc).plain_pages[col], plain);                                                \
    } while (0)

static void wfix_free(wfix *t)
{
    file_check_free(&t->fc);
    parquet_file_result_free(&t->res);
    i2i_buf_free(&t->out);
    columnar_batch_free(t->b);
}

TEST(dictionary_overflow_falls_back_to_plain_for_the_rest_of_the_chunk)
{
    columnar_field f = {"s", COLUMNAR_STRING, 0};
    parquet_column_spec s = {"s", 1, PARQUET_BYTE_ARRAY, PARQUET_LOGICAL_STRING, 1, 0, 0, 0, 0, PARQUET_DICT_AUTO};
    wfix t;
    size_t i;
    char buf[32];
    REQUIRE(wfix_init(&t, &f, 1, 6000));
    for (i = 0; i < 6000; i++) {
        /* low cardinality first (the dictionary pays), then new values that overflow it */
        int n = i < 1000 ? snprintf(buf, sizeof buf, "v%zu", i % 10) : snprintf(buf, sizeof buf, "value-%06zu", i);
        if (i % 11 != 5) columnar_set_string(&t.b->cols[0], i, buf, (size_t)n);
        columnar_batch_end_row(t.b);
    }
    t.o.page_rows = 500;
    t.o.dictionary_bytes = 4000;
    REQUIRE(wfix_write(&t, &s, 1));
    CHECK_EQ_INT(t.fc.nrg, 1);
    CHECK_EQ_INT(t.fc.dict_pages[0], 1);
    CHECK(t.fc.dict_data_pages[0] >= 2);
    CHECK(t.fc.plain_pages[0] >= 2);
    CHECK(values_match(&s, &t.b->cols[0], &t.fc.vals[0], NULL, 6000));
    wfix_free(&t);
}

TEST(auto_dictionary_is_dropped_when_it_does_not_pay_and_never_tried_on_timestamps)
{
    columnar_field f[4] = {{"uniq", COLUMNAR_INT64, 0}, {"low", COLUMNAR_DOUBLE, 0},
                           {"ts", COLUMNAR_TIMESTAMP, COLUMNAR_MICROS}, {"ts_always", COLUMNAR_TIMESTAMP, COLUMNAR_MICROS}};
    parquet_column_spec s[4] = {
        {"uniq", 1, PARQUET_INT64, PARQUET_LOGICAL_NONE, 0, 0, 0, 0, 0, PARQUET_DICT_AUTO},
        {"low", 2, PARQUET_DOUBLE, PARQUET_LOGICAL_NONE, 0, 0, 0, 0, 0, PARQUET_DICT_AUTO},
        {"ts", 3, PARQUET_INT64, PARQUET_LOGICAL_TIMESTAMP_MICROS, 0, 1, 0, 0, 0, PARQUET_DICT_AUTO},
        {"ts_always", 4, PARQUET_INT64, PARQUET_LOGICAL_TIMESTAMP_MICROS, 0, 1, 0, 0, 0, PARQUET_DICT_ALWAYS}};
    wfix t;
    size_t i;
    REQUIRE(wfix_init(&t, f, 4, 3000));
    for (i = 0; i < 3000; i++) {
        columnar_set_i64(&t.b->cols[0], i, (int64_t)i * 31);
        columnar_set_f64(&t.b->cols[1], i, (double)(i % 4));
        columnar_set_i64(&t.b->cols[2], i, (int64_t)(i / 100) * 1000000);
        columnar_set_i64(&t.b->cols[3], i, (int64_t)(i / 100) * 1000000);
        columnar_batch_end_row(t.b);
    }
    t.o.page_rows = 1000;
    REQUIRE(wfix_write(&t, s, 4));
    CHECK_PAGES(t.fc, 0, 0, 0, 3);
    CHECK_PAGES(t.fc, 1, 1, 3, 0);
    CHECK_PAGES(t.fc, 2, 0, 0, 3);
    CHECK_PAGES(t.fc, 3, 1, 3, 0);
    for (i = 0; i < 4; i++) CHECK(values_match(&s[i], &t.b->cols[i], &t.fc.vals[i], NULL, 3000));
    wfix_free(&t);
}

/* Index i's draw from a domain of n values (a fixed LCG: the same rows on every run). */
static size_t draw(uint64_t *x, size_t n)
{
    *x = *x * 6364136223846793005ULL + 1442695040888963407ULL;
    return (size_t)((*x >> 33) % n);
}

TEST(auto_dictionary_is_kept_when_its_domain_fits_the_budget_and_more_pages_follow)
{
    /* 1000-row pages and a 64 KiB budget (8192 doubles). "domain" draws from 5000 values: its first
     * page repeats ~9% of its values, so that page alone says PLAIN (dictionary + indices are
     * larger), but the domain projects to ~5000 entries, within budget: kept for the chunk.
     * "wide" draws from 50000 (over budget) and "unique" never repeats: both PLAIN. */
    columnar_field f[3] = {{"domain", COLUMNAR_DOUBLE, 0}, {"wide", COLUMNAR_DOUBLE, 0}, {"unique", COLUMNAR_DOUBLE, 0}};
    parquet_column_spec s[3] = {
        {"domain", 1, PARQUET_DOUBLE, PARQUET_LOGICAL_NONE, 0, 0, 0, 0, 0, PARQUET_DICT_AUTO},
        {"wide", 2, PARQUET_DOUBLE, PARQUET_LOGICAL_NONE, 0, 0, 0, 0, 0, PARQUET_DICT_AUTO},
        {"unique", 3, PARQUET_DOUBLE, PARQUET_LOGICAL_NONE, 0, 0, 0, 0, 0, PARQUET_DICT_AUTO}};
    size_t rows[2] = {6000, 1000}, r, i;
    for (r = 0; r < 2; r++) {
        wfix t;
        uint64_t x = 42, y = 7;
        REQUIRE(wfix_init(&t, f, 3, rows[r]));
        for (i = 0; i < rows[r]; i++) {
            columnar_set_f64(&t.b->cols[0], i, 10.0 + (double)draw(&x, 5000) * 0.001);
            columnar_set_f64(&t.b->cols[1], i, 10.0 + (double)draw(&y, 50000) * 0.001);
            columnar_set_f64(&t.b->cols[2], i, 0.5 + (double)i * 0.25);
            columnar_batch_end_row(t.b);
        }
        t.o.page_rows = 1000;
        t.o.dictionary_bytes = 64 * 1024;
        REQUIRE(wfix_write(&t, s, 3));
        if (r == 0) {
            CHECK_PAGES(t.fc, 0, 1, 6, 0);
        } else {
            /* one page, the chunk's last: judged on its own size, PLAIN */
            CHECK_PAGES(t.fc, 0, 0, 0, 1);
        }
        CHECK_EQ_INT(t.fc.dict_pages[1], 0);
        CHECK_EQ_INT(t.fc.dict_pages[2], 0);
        CHECK_EQ_INT(t.fc.plain_pages[2], (int)(rows[r] / 1000));
        for (i = 0; i < 3; i++) CHECK(values_match(&s[i], &t.b->cols[i], &t.fc.vals[i], NULL, rows[r]));
        wfix_free(&t);
    }
}

/* wfix of `rows` rows of four double columns, each cycling through 2000 values, with 1000-row
 * pages, 64 KiB of dictionary per column and 40000 bytes for all the columns. */
static int pool_fixture(wfix *t, const columnar_field *f, size_t rows)
{
    size_t i, j;
    if (!wfix_init(t, f, 4, rows)) return 0;
    for (i = 0; i < rows; i++) {
        for (j = 0; j < 4; j++) columnar_set_f64(&t->b->cols[j], i, (double)(i % 2000) + 0.5 * (double)j);
        columnar_batch_end_row(t->b);
    }
    t->o.page_rows = 1000;
    t->o.dictionary_bytes = 64 * 1024;
    t->o.dictionary_total_bytes = 40000;
    return 1;
}

TEST(dictionaries_share_the_writer_wide_budget_in_column_order)
{
    /* 16000 bytes of dictionary per column, 40000 for all: the first two fit, the third's
     * dictionary stops at the 8000 bytes left (dictionary pages, then PLAIN), the fourth has none
     * left (PLAIN throughout). */
    columnar_field f[4] = {{"a", COLUMNAR_DOUBLE, 0}, {"b", COLUMNAR_DOUBLE, 0}, {"c", COLUMNAR_DOUBLE, 0},
                           {"d", COLUMNAR_DOUBLE, 0}};
    parquet_column_spec s[4];
    wfix t;
    size_t j;
    for (j = 0; j < 4; j++) {
        parquet_column_spec one = {f[j].name, (int32_t)j + 1, PARQUET_DOUBLE, PARQUET_LOGICAL_NONE, 0, 0, 0, 0, 0,
                                   PARQUET_DICT_ALWAYS};
        s[j] = one;
    }
    REQUIRE(pool_fixture(&t, f, 4000));
    REQUIRE(wfix_write(&t, s, 4));
    CHECK_EQ_INT(t.fc.nrg, 1);
    for (j = 0; j < 2; j++) CHECK_PAGES(t.fc, j, 1, 4, 0);
    CHECK_PAGES(t.fc, 2, 1, 1, 3);
    CHECK_PAGES(t.fc, 3, 0, 0, 4);
    for (j = 0; j < 4; j++) CHECK(values_match(&s[j], &t.b->cols[j], &t.fc.vals[j], NULL, 4000));
    wfix_free(&t);

    /* Two row groups (closed by size at the 4096-row check): a chunk's dictionary gives its bytes
     * back when the chunk ends, so the second group's first two columns have theirs too. */
    REQUIRE(pool_fixture(&t, f, 8000));
    t.o.row_group_bytes = 1;
    REQUIRE(wfix_write(&t, s, 4));
    CHECK_EQ_INT(t.fc.nrg, 2);
    CHECK_EQ_INT(t.fc.dict_pages[0], 2);
    CHECK_EQ_INT(t.fc.dict_pages[1], 2);
    CHECK_EQ_INT(t.fc.dict_pages[3], 0);
    for (j = 0; j < 4; j++) CHECK(values_match(&s[j], &t.b->cols[j], &t.fc.vals[j], NULL, 8000));
    wfix_free(&t);
}

TEST(all_null_chunk_has_no_dictionary_page_and_no_bounds)
{
    columnar_field f = {"s", COLUMNAR_STRING, 0};
    parquet_column_spec s = {"s", 1, PARQUET_BYTE_ARRAY, PARQUET_LOGICAL_STRING, 1, 0, 0, 0, 0, PARQUET_DICT_ALWAYS};
    wfix t;
    size_t i;
    REQUIRE(wfix_init(&t, &f, 1, 100));
    for (i = 0; i < 100; i++) columnar_batch_end_row(t.b);
    REQUIRE(wfix_write(&t, &s, 1));
    CHECK_EQ_INT(t.fc.dict_pages[0], 0);
    CHECK_EQ_INT(t.res.cols[0].null_count, 100);
    CHECK_EQ_INT(t.res.cols[0].value_count, 100);
    CHECK_EQ_INT(t.res.cols[0].has_bounds, 0);
    wfix_free(&t);
}

TEST(nulls_then_values_in_a_dictionary_chunk)
{
    /* The first page is all null (written PLAIN), later pages use the dictionary. */
    columnar_field f = {"s", COLUMNAR_STRING, 0};
    parquet_column_spec s = {"s", 1, PARQUET_BYTE_ARRAY, PARQUET_LOGICAL_STRING, 1, 0, 0, 0, 0, PARQUET_DICT_AUTO};
    wfix t;
    size_t i;
    REQUIRE(wfix_init(&t, &f, 1, 300));
    for (i = 0; i < 300; i++) {
        if (i >= 100) columnar_set_string(&t.b->cols[0], i, i % 2 ? "a" : "b", 1);
        columnar_batch_end_row(t.b);
    }
    t.o.page_rows = 100;
    REQUIRE(wfix_write(&t, &s, 1));
    CHECK_EQ_INT(t.fc.dict_pages[0], 1);
    CHECK_EQ_INT(t.fc.plain_pages[0], 1);
    CHECK_EQ_INT(t.fc.dict_data_pages[0], 2);
    CHECK(values_match(&s, &t.b->cols[0], &t.fc.vals[0], NULL, 300));
    wfix_free(&t);
}

TEST(row_lists_route_rows_in_the_given_order)
{
    enum { N = 2000 };
    parquet_column_spec specs[NCASES];
    parquet_writer_options o;
    parquet_writer *w;
    parquet_file_result res;
    columnar_batch *b = make_batch(N, V_OPT_NULLS);
    i2i_buf out = I2I_BUF_INIT;
    parquet_sink sink = {parquet_buf_sink_write, &out};
    i2i_error err;
    file_check fc;
    uint32_t rows[N / 2];
    size_t i, c;
    REQUIRE(b);
    for (i = 0; i < N / 2; i++) rows[i] = (uint32_t)(N - 1 - 2 * i); /* odd rows, descending */
    make_specs(specs, V_OPT_NULLS);
    parquet_writer_options_default(&o);
    o.page_rows = 128;
    REQUIRE_OK(parquet_writer_open(&sink, specs, NCASES, &o, &w, &err), &err);
    REQUIRE_OK(parquet_writer_add_batch_rows(w, b, rows, N / 2, &err), &err);
    REQUIRE_OK(parquet_writer_close(w, &res, &err), &err);
    spec_defaults(specs, NCASES);
    file_check_init(&fc, out.data, out.len, specs, NCASES, o.codec);
    CHECK(check_file(&fc));
    for (c = 0; c < NCASES; c++)
        if (!values_match(&specs[c], &b->cols[c], &fc.vals[c], rows, N / 2))
            i2i_test_fail(__FILE__, __LINE__, "column %s differs", specs[c].name);
    file_check_free(&fc);
    parquet_file_result_free(&res);
    i2i_buf_free(&out);
    columnar_batch_free(b);
}

TEST(row_groups_close_by_size_and_on_request)
{
    columnar_field f = {"x", COLUMNAR_INT64, 0};
    parquet_column_spec s = {"x", 1, PARQUET_INT64, PARQUET_LOGICAL_NONE, 0, 0, 0, 0, 0, PARQUET_DICT_NEVER};
    wfix t;
    parquet_writer *w;
    parquet_sink sink = {parquet_buf_sink_write, &t.out};
    int64_t est;
    size_t i;
    REQUIRE(wfix_init(&t, &f, 1, 50000));
    for (i = 0; i < 50000; i++) {
        columnar_set_i64(&t.b->cols[0], i, (int64_t)(i * 2654435761u));
        columnar_batch_end_row(t.b);
    }
    t.o.row_group_bytes = 100000; /* ~12.5k int64 per group */
    REQUIRE_OK(parquet_writer_open(&sink, &s, 1, &t.o, &w, &t.err), &t.err);
    REQUIRE_OK(parquet_writer_add_batch_range(w, t.b, 0, 40000, &t.err), &t.err);
    REQUIRE_OK(parquet_writer_flush_row_group(w, &t.err), &t.err);
    REQUIRE_OK(parquet_writer_flush_row_group(w, &t.err), &t.err); /* nothing open: no empty group */
    REQUIRE_OK(parquet_writer_add_batch_range(w, t.b, 40000, 10000, &t.err), &t.err);
    CHECK(parquet_writer_buffered_bytes(w) > 0);
    est = parquet_writer_estimated_size(w);
    REQUIRE_OK(parquet_writer_close(w, &t.res, &t.err), &t.err);
    CHECK(est > t.res.file_size / 2 && est < t.res.file_size * 2);
    file_check_init(&t.fc, t.out.data, t.out.len, &s, 1, t.o.codec);
    CHECK(check_file(&t.fc));
    CHECK(t.fc.nrg >= 4);
    CHECK(t.res.nrow_groups == t.fc.nrg);
    for (i = 0; i < t.res.nrow_groups; i++) CHECK(t.res.split_offsets[i] == t.fc.split[i]);
    for (i = 1; i < t.res.nrow_groups; i++) CHECK(t.res.split_offsets[i] > t.res.split_offsets[i - 1]);
    CHECK(values_match(&s, &t.b->cols[0], &t.fc.vals[0], NULL, 50000));
    wfix_free(&t);
}

TEST(empty_file_has_a_valid_footer)
{
    parquet_column_spec s = {"x", 1, PARQUET_DOUBLE, PARQUET_LOGICAL_NONE, 1, 0, 0, 0, 0, 0};
    parquet_writer *w;
    parquet_file_result res;
    i2i_buf out = I2I_BUF_INIT;
    parquet_sink sink = {parquet_buf_sink_write, &out};
    i2i_error err;
    tnode md;
    REQUIRE_OK(parquet_writer_open(&sink, &s, 1, NULL, &w, &err), &err);
    REQUIRE_OK(parquet_writer_close(w, &res, &err), &err);
    REQUIRE(tr_read_footer(out.data, out.len, &md) == 0);
    CHECK(tr_int(&md, 3, -1) == 0);
    CHECK(tr_field(&md, 4) && tr_field(&md, 4)->nkids == 0);
    CHECK(res.num_rows == 0 && res.nrow_groups == 0 && res.cols[0].has_bounds == 0);
    CHECK_EQ_INT(res.file_size, out.len);
    tr_free(&md);
    parquet_file_result_free(&res);
    i2i_buf_free(&out);
}

TEST(fd_sink_writes_the_same_bytes_as_the_buffer_sink)
{
    enum { N = 3000 };
    parquet_column_spec specs[NCASES];
    columnar_batch *b = make_batch(N, V_OPT_NULLS);
    i2i_buf out = I2I_BUF_INIT, file = I2I_BUF_INIT;
    parquet_sink bsink = {parquet_buf_sink_write, &out};
    char path[512];
    parquet_fd_sink fs;
    parquet_sink fsink = {parquet_fd_sink_write, &fs};
    parquet_writer *w;
    i2i_error err;
    int fd;
    ssize_t n;
    uint8_t chunk[65536];
    REQUIRE(b);
    make_specs(specs, V_OPT_NULLS);
    snprintf(path, sizeof path, "%s/f.parquet", i2i_test_tmpdir());
    fd = open(path, O_CREAT | O_TRUNC | O_RDWR, 0600);
    REQUIRE(fd >= 0);
    fs.fd = fd;
    fs.path = path;
    REQUIRE_OK(parquet_writer_open(&bsink, specs, NCASES, NULL, &w, &err), &err);
    REQUIRE_OK(parquet_writer_add_batch(w, b, &err), &err);
    REQUIRE_OK(parquet_writer_close(w, NULL, &err), &err);
    REQUIRE_OK(parquet_writer_open(&fsink, specs, NCASES, NULL, &w, &err), &err);
    REQUIRE_OK(parquet_writer_add_batch(w, b, &err), &err);
    REQUIRE_OK(parquet_writer_close(w, NULL, &err), &err);
    REQUIRE(lseek(fd, 0, SEEK_SET) == 0);
    while ((n = read(fd, chunk, sizeof chunk)) > 0) i2i_buf_append(&file, chunk, (size_t)n);
    close(fd);
    CHECK_EQ_INT(file.len, out.len);
    CHECK(file.len == out.len && memcmp(file.data, out.data, out.len) == 0);
    /* a closed descriptor is an I/O error naming the path */
    fs.fd = -1;
    CHECK(parquet_writer_open(&fsink, specs, NCASES, NULL, &w, &err) == 0);
    CHECK(parquet_writer_add_batch(w, b, &err) == 0);
    CHECK(parquet_writer_close(w, NULL, &err) == I2I_ERR_IO);
    CHECK(strstr(err.msg, "f.parquet") != NULL);
    i2i_buf_free(&out);
    i2i_buf_free(&file);
    columnar_batch_free(b);
}

/* ------------------------------------------------------------------ errors */

static parquet_writer *open_one(const parquet_column_spec *s, i2i_buf *out, i2i_error *err)
{
    static parquet_sink sink;
    parquet_writer *w = NULL;
    sink.write = parquet_buf_sink_write;
    sink.ctx = out;
    if (parquet_writer_open(&sink, s, 1, NULL, &w, err) != 0) return NULL;
    return w;
}

TEST(null_in_required_column_names_column_and_row)
{
    columnar_field f = {"temp", COLUMNAR_DOUBLE, 0};
    parquet_column_spec s = {"temp", 1, PARQUET_DOUBLE, PARQUET_LOGICAL_NONE, 0, 0, 0, 0, 0, 0};
    columnar_batch *b;
    parquet_writer *w;
    parquet_file_result res;
    i2i_buf out = I2I_BUF_INIT;
    i2i_error err;
    size_t i;
    REQUIRE(columnar_batch_new(&f, 1, 10, &b, &err) == 0);
    for (i = 0; i < 10; i++) {
        if (i != 3) columnar_set_f64(&b->cols[0], i, 1.0);
        columnar_batch_end_row(b);
    }
    w = open_one(&s, &out, &err);
    REQUIRE(w);
    CHECK(parquet_writer_add_batch(w, b, &err) == I2I_ERR_INVALID);
    CHECK(strstr(err.msg, "'temp'") && strstr(err.msg, "row 3"));
    /* the rejected batch left nothing behind: the rows without the NULL still go in */
    CHECK_OK(parquet_writer_add_batch_range(w, b, 0, 3, &err), &err);
    CHECK_OK(parquet_writer_add_batch_range(w, b, 4, 6, &err), &err);
    CHECK_OK(parquet_writer_close(w, &res, &err), &err);
    CHECK_EQ_INT(res.num_rows, 9);
    parquet_file_result_free(&res);
    i2i_buf_free(&out);
    columnar_batch_free(b);
}

TEST(uint64_beyond_int64_max_names_column_and_value)
{
    columnar_field f = {"bytes", COLUMNAR_UINT64, 0};
    parquet_column_spec s = {"bytes", 1, PARQUET_INT64, PARQUET_LOGICAL_NONE, 1, 0, 0, 0, 0, 0};
    columnar_batch *b;
    parquet_writer *w;
    i2i_buf out = I2I_BUF_INIT;
    i2i_error err;
    REQUIRE(columnar_batch_new(&f, 1, 3, &b, &err) == 0);
    columnar_append_u64(&b->cols[0], 1);
    columnar_append_u64(&b->cols[0], 9223372036854775808ull);
    columnar_append_null(&b->cols[0]);
    REQUIRE(columnar_batch_seal(b, &err) == 0);
    w = open_one(&s, &out, &err);
    REQUIRE(w);
    CHECK(parquet_writer_add_batch(w, b, &err) == I2I_ERR_RANGE);
    CHECK(strstr(err.msg, "'bytes'") && strstr(err.msg, "9223372036854775808") && strstr(err.msg, "row 1"));
    parquet_writer_abort(w);
    i2i_buf_free(&out);
    columnar_batch_free(b);
}

TEST(out_of_range_int32_and_decimal_values_are_rejected)
{
    columnar_field f = {"x", COLUMNAR_INT64, 0};
    parquet_column_spec i32 = {"x", 1, PARQUET_INT32, PARQUET_LOGICAL_NONE, 1, 0, 0, 0, 0, 0};
    parquet_column_spec dec = {"x", 1, PARQUET_FIXED_LEN_BYTE_ARRAY, PARQUET_LOGICAL_DECIMAL, 1, 0, 0, 3, 0, 0};
    columnar_batch *b;
    parquet_writer *w;
    i2i_buf out = I2I_BUF_INIT;
    i2i_error err;
    REQUIRE(columnar_batch_new(&f, 1, 2, &b, &err) == 0);
    columnar_append_i64(&b->cols[0], -999);
    columnar_append_i64(&b->cols[0], 2147483648LL);
    REQUIRE(columnar_batch_seal(b, &err) == 0);
    w = open_one(&i32, &out, &err);
    REQUIRE(w);
    CHECK(parquet_writer_add_batch(w, b, &err) == I2I_ERR_RANGE);
    CHECK(strstr(err.msg, "2147483648") != NULL);
    parquet_writer_abort(w);
    w = open_one(&dec, &out, &err);
    REQUIRE(w);
    CHECK(parquet_writer_add_batch_range(w, b, 0, 1, &err) == 0); /* -999 fits decimal(3) */
    CHECK(parquet_writer_add_batch(w, b, &err) == I2I_ERR_RANGE);
    CHECK(strstr(err.msg, "decimal(3, 0)") != NULL);
    parquet_writer_abort(w);
    i2i_buf_free(&out);
    columnar_batch_free(b);
}

TEST(mismatched_vector_type_is_rejected)
{
    columnar_field f = {"x", COLUMNAR_STRING, 0};
    parquet_column_spec s = {"x", 1, PARQUET_DOUBLE, PARQUET_LOGICAL_NONE, 1, 0, 0, 0, 0, 0};
    columnar_batch *b;
    parquet_writer *w;
    i2i_buf out = I2I_BUF_INIT;
    i2i_error err;
    REQUIRE(columnar_batch_new(&f, 1, 1, &b, &err) == 0);
    columnar_batch_end_row(b);
    w = open_one(&s, &out, &err);
    REQUIRE(w);
    CHECK(parquet_writer_add_batch(w, b, &err) == I2I_ERR_INVALID);
    CHECK(strstr(err.msg, "'x'") && strstr(err.msg, "string") && strstr(err.msg, "DOUBLE"));
    CHECK(parquet_writer_add_batch_range(w, b, 0, 5, &err) == I2I_ERR_INVALID);
    parquet_writer_abort(w);
    parquet_writer_abort(NULL);
    i2i_buf_free(&out);
    columnar_batch_free(b);
}

TEST(invalid_schemas_and_options_are_rejected_at_open)
{
    parquet_column_spec ok = {"a", 1, PARQUET_INT64, PARQUET_LOGICAL_NONE, 1, 0, 0, 0, 0, 0};
    parquet_column_spec two[2], bad;
    parquet_writer_options o;
    parquet_writer *w;
    i2i_buf out = I2I_BUF_INIT;
    parquet_sink sink = {parquet_buf_sink_write, &out};
    i2i_error err;
    parquet_codec codec;

    bad = ok;
    bad.field_id = 0;
    CHECK(parquet_writer_open(&sink, &bad, 1, NULL, &w, &err) == I2I_ERR_INVALID && w == NULL);
    bad = ok;
    bad.logical = PARQUET_LOGICAL_STRING;
    CHECK(parquet_writer_open(&sink, &bad, 1, NULL, &w, &err) == I2I_ERR_INVALID);
    bad = ok;
    bad.physical = PARQUET_FIXED_LEN_BYTE_ARRAY;
    bad.logical = PARQUET_LOGICAL_DECIMAL;
    bad.precision = 20;
    bad.type_length = 8; /* decimal(20) needs 9 bytes */
    CHECK(parquet_writer_open(&sink, &bad, 1, NULL, &w, &err) == I2I_ERR_INVALID);
    bad.precision = 0;
    bad.type_length = 0;
    CHECK(parquet_writer_open(&sink, &bad, 1, NULL, &w, &err) == I2I_ERR_INVALID);
    two[0] = ok;
    two[1] = ok;
    two[1].name = "b";
    CHECK(parquet_writer_open(&sink, two, 2, NULL, &w, &err) == I2I_ERR_INVALID);
    CHECK(strstr(err.msg, "field id 1") != NULL);
    parquet_writer_options_default(&o);
    o.page_rows = 0;
    CHECK(parquet_writer_open(&sink, &ok, 1, &o, &w, &err) == I2I_ERR_INVALID);
    parquet_writer_options_default(&o);
    o.compression_level = 99;
    CHECK(parquet_writer_open(&sink, &ok, 1, &o, &w, &err) == I2I_ERR_INVALID);
    CHECK(out.len == 0);

    CHECK(parquet_codec_parse("ZSTD", &codec, &err) == 0 && codec == PARQUET_CODEC_ZSTD);
    CHECK(parquet_codec_parse("none", &codec, &err) == 0 && codec == PARQUET_CODEC_UNCOMPRESSED);
    CHECK(parquet_codec_parse("gzip", &codec, &err) == 0 && codec == PARQUET_CODEC_GZIP);
    CHECK(parquet_codec_parse("snappy", &codec, &err) == 0 && codec == PARQUET_CODEC_SNAPPY);
    CHECK(parquet_codec_parse("lz4", &codec, &err) == I2I_ERR_INVALID);
    CHECK_EQ_STR(parquet_codec_name(PARQUET_CODEC_ZSTD), "zstd");
    CHECK_EQ_STR(parquet_codec_name(PARQUET_CODEC_UNCOMPRESSED), "none");
    i2i_buf_free(&out);
}

TEST(defaults_match_the_documented_values)
{
    parquet_writer_options o;
    parquet_writer_options_default(&o);
    CHECK(o.codec == PARQUET_CODEC_ZSTD);
    CHECK(o.row_group_bytes == (size_t)128 << 20);
    CHECK(o.page_bytes == (size_t)1 << 20);
    CHECK(o.page_rows == 20000);
    CHECK(o.dictionary_bytes == (size_t)1 << 20);
    CHECK(o.dictionary_total_bytes == (size_t)8 << 20);
    CHECK(o.write_page_index == 1);
    CHECK(o.created_by == NULL && o.kv == NULL);
}

TEST(page_index_can_be_turned_off_and_long_strings_are_truncated_in_it)
{
    columnar_field f = {"s", COLUMNAR_STRING, 0};
    parquet_column_spec s = {"s", 1, PARQUET_BYTE_ARRAY, PARQUET_LOGICAL_STRING, 1, 0, 0, 0, 0, PARQUET_DICT_NEVER};
    wfix t;
    tnode md, ci;
    char buf[200];
    size_t i;
    REQUIRE(wfix_init(&t, &f, 1, 200));
    for (i = 0; i < 200; i++) {
        memset(buf, i % 2 ? 'z' : 'a', sizeof buf);
        buf[150] = (char)('0' + i % 10);
        columnar_set_string(&t.b->cols[0], i, buf, sizeof buf);
        columnar_batch_end_row(t.b);
    }
    t.o.page_rows = 50;
    /* check_file verifies every page value lies within its (truncated) ColumnIndex bounds */
    REQUIRE(wfix_write(&t, &s, 1));
    REQUIRE(tr_read_footer(t.out.data, t.out.len, &md) == 0);
    {
        const tnode *cc = &tr_field(&tr_field(&md, 4)->kids[0], 1)->kids[0];
        const uint8_t *p = t.out.data + tr_int(cc, 6, 0);
        const tnode *mins, *maxs;
        REQUIRE(tr_read_struct(&p, t.out.data + t.out.len, &ci) == 0);
        mins = tr_field(&ci, 2);
        maxs = tr_field(&ci, 3);
        REQUIRE(mins && maxs && mins->nkids == 4);
        CHECK(mins->kids[0].binlen == 64 && mins->kids[0].bin[63] == 'a');
        CHECK(maxs->kids[0].binlen == 64 && maxs->kids[0].bin[62] == 'z' && maxs->kids[0].bin[63] == '{');
        tr_free(&ci);
        /* the chunk statistics keep the exact 200-byte values */
        CHECK(tr_field(tr_field(tr_field(cc, 3), 12), 5)->binlen == 200);
    }
    tr_free(&md);
    file_check_free(&t.fc);
    parquet_file_result_free(&t.res);
    i2i_buf_reset(&t.out);
    t.o.write_page_index = 0;
    REQUIRE(wfix_write(&t, &s, 1));
    REQUIRE(tr_read_footer(t.out.data, t.out.len, &md) == 0);
    {
        const tnode *cc = &tr_field(&tr_field(&md, 4)->kids[0], 1)->kids[0];
        CHECK(!tr_has(cc, 4) && !tr_has(cc, 6));
    }
    tr_free(&md);
    wfix_free(&t);
}

TEST(invalid_utf8_string_bounds_are_left_out_of_chunk_statistics)
{
    columnar_field f = {"s", COLUMNAR_STRING, 0};
    parquet_column_spec s = {"s", 1, PARQUET_BYTE_ARRAY, PARQUET_LOGICAL_STRING, 1, 0, 0, 0, 0, 0};
    columnar_batch *b;
    parquet_writer *w;
    parquet_file_result res;
    i2i_buf out = I2I_BUF_INIT;
    i2i_error err;
    tnode md;
    const tnode *stats;
    REQUIRE(columnar_batch_new(&f, 1, 2, &b, &err) == 0);
    columnar_append_string(&b->cols[0], "ok", 2);
    columnar_append_string(&b->cols[0], "\xff\xfe", 2);
    REQUIRE(columnar_batch_seal(b, &err) == 0);
    w = open_one(&s, &out, &err);
    REQUIRE(w);
    REQUIRE_OK(parquet_writer_add_batch(w, b, &err), &err);
    REQUIRE_OK(parquet_writer_close(w, &res, &err), &err);
    REQUIRE(tr_read_footer(out.data, out.len, &md) == 0);
    stats = tr_field(tr_field(&tr_field(&tr_field(&md, 4)->kids[0], 1)->kids[0], 3), 12);
    CHECK(stats && tr_int(stats, 3, -1) == 0 && !tr_has(stats, 5) && !tr_has(stats, 6));
    /* the file result still carries the exact bounds (the Iceberg layer decides) */
    CHECK(res.cols[0].has_bounds && res.cols[0].upper.len == 2 && res.cols[0].upper.data[0] == 0xff);
    tr_free(&md);
    parquet_file_result_free(&res);
    i2i_buf_free(&out);
    columnar_batch_free(b);
}
