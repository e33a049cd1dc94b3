/* Test-only Parquet reader pieces (see pq_test_reader.h). */
#include "pq_test_reader.h"

#include <snappy-c.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include <zstd.h>

/* ---------------------------------------------------------------- thrift tree */

static int rd_varint(const uint8_t **p, const uint8_t *end, uint64_t *v)
{
    uint64_t r = 0;
    int shift = 0;
    while (*p < end && shift < 64) {
        uint8_t b = *(*p)++;
        r |= (uint64_t)(b & 0x7F) << shift;
        if (!(b & 0x80)) {
            *v = r;
            return 0;
        }
        shift += 7;
    }
    return -1;
}

static int64_t unzigzag(uint64_t v) { return (int64_t)(v >> 1) ^ -(int64_t)(v & 1); }

static int add_kid(tnode *parent, tnode **kid)
{
    tnode *k = realloc(parent->kids, (parent->nkids + 1) * sizeof *k);
    if (!k) return -1;
    parent->kids = k;
    *kid = &k[parent->nkids++];
    memset(*kid, 0, sizeof **kid);
    return 0;
}

static int read_value(const uint8_t **p, const uint8_t *end, uint8_t type, tnode *out, int in_list);

static int read_list(const uint8_t **p, const uint8_t *end, tnode *out)
{
    uint8_t h;
    uint64_t size, i;
    if (*p >= end) return -1;
    h = *(*p)++;
    size = h >> 4;
    out->elem_type = h & 0x0F;
    if (size == 15 && rd_varint(p, end, &size) != 0) return -1;
    for (i = 0; i < size; i++) {
        tnode *k;
        if (add_kid(out, &k) != 0) return -1;
        if (read_value(p, end, out->elem_type, k, 1) != 0) return -1;
    }
    return 0;
}

static int read_value(const uint8_t **p, const uint8_t *end, uint8_t type, tnode *out, int in_list)
{
    uint64_t v;
    out->type = type;
    switch (type) {
    case 1:
    case 2:
        out->type = 1;
        if (in_list) {
            if (*p >= end) return -1;
            out->i = *(*p)++ == 1;
        } else {
            out->i = type == 1;
        }
        return 0;
    case 3:
        if (*p >= end) return -1;
        out->i = (int8_t) * (*p)++;
        return 0;
    case 4:
    case 5:
    case 6:
        if (rd_varint(p, end, &v) != 0) return -1;
        out->i = unzigzag(v);
        return 0;
    case 7:
        if (end - *p < 8) return -1;
        memcpy(&out->d, *p, 8);
        *p += 8;
        return 0;
    case 8:
        if (rd_varint(p, end, &v) != 0 || v > (uint64_t)(end - *p)) return -1;
        out->bin = *p;
        out->binlen = v;
        *p += v;
        return 0;
    case 9:
    case 10: return read_list(p, end, out);
    case 12: return tr_read_struct(p, end, out);
    }
    return -1;
}

int tr_read_struct(const uint8_t **p, const uint8_t *end, tnode *out)
{
    int16_t last = 0;
    memset(out, 0, sizeof *out);
    out->type = 12;
    for (;;) {
        uint8_t h, type;
        int16_t id;
        tnode *k;
        if (*p >= end) return -1;
        h = *(*p)++;
        if (h == 0) return 0;
        type = h & 0x0F;
        if (h >> 4) {
            id = (int16_t)(last + (h >> 4));
        } else {
            uint64_t v;
            if (rd_varint(p, end, &v) != 0) return -1;
            id = (int16_t)unzigzag(v);
        }
        last = id;
        if (add_kid(out, &k) != 0) return -1;
        if (read_value(p, end, type, k, 0) != 0) return -1;
        k->id = id;
    }
}

void tr_free(tnode *n)
{
    size_t i;
    if (!n) return;
    for (i = 0; i < n->nkids; i++) tr_free(&n->kids[i]);
    free(n->kids);
    n->kids = NULL;
    n->nkids = 0;
}

const tnode *tr_field(const tnode *s, int16_t id)
{
    size_t i;
    if (!s) return NULL;
    for (i = 0; i < s->nkids; i++)
        if (s->kids[i].id == id) return &s->kids[i];
    return NULL;
}

int64_t tr_int(const tnode *s, int16_t id, int64_t dflt)
{
    const tnode *f = tr_field(s, id);
    return f ? f->i : dflt;
}

int tr_has(const tnode *s, int16_t id) { return tr_field(s, id) != NULL; }

/* ---------------------------------------------------------------- RLE */

long tr_rle_decode(const uint8_t *p, const uint8_t *end, int width, uint32_t *out, size_t n)
{
    const uint8_t *start = p;
    size_t got = 0;
    int vbytes = (width + 7) / 8;
    while (got < n) {
        uint64_t h;
        if (rd_varint(&p, end, &h) != 0) return -1;
        if (h & 1) {
            size_t groups = (size_t)(h >> 1), total = groups * 8, i;
            size_t bytes = groups * (size_t)width;
            if (bytes > (size_t)(end - p)) return -1;
            for (i = 0; i < total; i++) {
                uint64_t v = 0;
                int b;
                for (b = 0; b < width; b++) {
                    size_t bit = i * (size_t)width + (size_t)b;
                    v |= (uint64_t)((p[bit / 8] >> (bit % 8)) & 1) << b;
                }
                if (got < n) out[got++] = (uint32_t)v;
            }
            p += bytes;
        } else {
            size_t count = (size_t)(h >> 1), i;
            uint32_t v = 0;
            int b;
            if (count == 0 || vbytes > end - p) return -1;
            for (b = 0; b < vbytes; b++) v |= (uint32_t)p[b] << (8 * b);
            p += vbytes;
            for (i = 0; i < count && got < n; i++) out[got++] = v;
            if (i < count) return -1; /* run longer than the values left */
        }
    }
    return (long)(p - start);
}

/* ---------------------------------------------------------------- decompression */

int tr_decompress(int codec, const uint8_t *src, size_t n, size_t want, uint8_t **out)
{
    uint8_t *buf = malloc(want ? want : 1);
    if (!buf) return -1;
    *out = buf;
    switch (codec) {
    case 0:
        if (n != want) return -1;
        memcpy(buf, src, n);
        return 0;
    case 1: {
        size_t len = want;
        if (snappy_uncompressed_length((const char *)src, n, &len) != SNAPPY_OK || len != want) return -1;
        return snappy_uncompress((const char *)src, n, (char *)buf, &len) == SNAPPY_OK && len == want ? 0 : -1;
    }
    case 2: {
        z_stream zs;
        int rc;
        uint8_t extra;
        memset(&zs, 0, sizeof zs);
        if (inflateInit2(&zs, 16 + 15) != Z_OK) return -1; /* gzip container only */
        zs.next_in = (Bytef *)(uintptr_t)src;
        zs.avail_in = (uInt)n;
        zs.next_out = want ? buf : &extra;
        zs.avail_out = (uInt)want;
        rc = inflate(&zs, Z_FINISH);
        inflateEnd(&zs);
        return rc == Z_STREAM_END && zs.total_out == want && zs.avail_in == 0 ? 0 : -1;
    }
    case 6: {
        size_t r;
        unsigned long long content = ZSTD_getFrameContentSize(src, n);
        if (content != want) return -1;
        r = ZSTD_decompress(buf, want ? want : 1, src, n);
        return !ZSTD_isError(r) && r == want ? 0 : -1;
    }
    }
    return -1;
}

/* ---------------------------------------------------------------- values */

void tr_values_free(tr_values *v)
{
    free(v->is_null);
    free(v->off);
    free(v->data);
    memset(v, 0, sizeof *v);
}

int tr_values_push(tr_values *v, int is_null, const void *p, size_t len)
{
    if (v->n + 2 > v->ncap) {
        size_t cap = v->ncap ? v->ncap * 2 : 256;
        uint8_t *nn = realloc(v->is_null, cap);
        size_t *oo;
        if (!nn) return -1;
        v->is_null = nn;
        oo = realloc(v->off, cap * sizeof *oo);
        if (!oo) return -1;
        v->off = oo;
        if (v->n == 0) v->off[0] = 0;
        v->ncap = cap;
    }
    if (!v->data || v->len + len > v->cap) {
        size_t cap = v->cap ? v->cap * 2 : 1024;
        uint8_t *d;
        while (cap < v->len + len) cap *= 2;
        d = realloc(v->data, cap);
        if (!d) return -1;
        v->data = d;
        v->cap = cap;
    }
    if (len) memcpy(v->data + v->len, p, len);
    v->len += len;
    v->is_null[v->n] = (uint8_t)(is_null != 0);
    v->off[++v->n] = v->len;
    return 0;
}

/* ---------------------------------------------------------------- chunks */

typedef struct entry {
    const uint8_t *p;
    size_t len;
} entry;

/* Split n PLAIN values; returns bytes consumed or -1. BOOLEAN values become 1 byte each in
 * bools (bit-packed in the page). */
static long plain_split(const uint8_t *p, const uint8_t *end, int physical, int type_length,
                        size_t n, entry *out, uint8_t *bools)
{
    const uint8_t *start = p;
    size_t i;
    for (i = 0; i < n; i++) {
        size_t len;
        switch (physical) {
        case 0:
            if ((size_t)(end - start) < (i / 8) + 1) return -1;
            bools[i] = (start[i / 8] >> (i % 8)) & 1;
            out[i].p = &bools[i];
            out[i].len = 1;
            continue;
        case 1: len = 4; break;
        case 2:
        case 5: len = 8; break;
        case 6:
            if (end - p < 4) return -1;
            len = (size_t)p[0] | ((size_t)p[1] << 8) | ((size_t)p[2] << 16) | ((size_t)p[3] << 24);
            p += 4;
            break;
        case 7: len = (size_t)type_length; break;
        default: return -1;
        }
        if ((size_t)(end - p) < len) return -1;
        out[i].p = p;
        out[i].len = len;
        p += len;
    }
    if (physical == 0) return (long)((n + 7) / 8);
    return (long)(p - start);
}

#define FAIL(...)                                                                                  \
    do {                                                                                           \
        if (!rep->error[0]) snprintf(rep->error, sizeof rep->error, __VA_ARGS__);                  \
        goto done;                                                                                 \
    } while (0)

int tr_decode_chunk(const uint8_t *file, size_t file_len, const tnode *meta, int physical,
                    int optional, int type_length, tr_values *out, tr_chunk_report *rep)
{
    int codec = (int)tr_int(meta, 4, -1);
    int64_t num_values = tr_int(meta, 5, -1);
    int64_t tot_unc = tr_int(meta, 6, -1), tot_comp = tr_int(meta, 7, -1);
    int64_t data_off = tr_int(meta, 9, -1), dict_off = tr_int(meta, 11, -1);
    int64_t start = dict_off >= 0 ? dict_off : data_off, pos, sum_unc = 0, sum_comp = 0, seen = 0;
    entry *dict = NULL, *vals = NULL;
    uint8_t *dict_body = NULL, *dict_bools = NULL, *bools = NULL;
    uint32_t *levels = NULL, *idx = NULL;
    size_t ndict = 0;
    int first_page = 1;

    memset(rep, 0, sizeof *rep);
    if (start < 4 || tot_comp < 0 || (uint64_t)(start + tot_comp) > file_len)
        FAIL("chunk range %lld+%lld outside the file", (long long)start, (long long)tot_comp);
    if (dict_off >= 0 && !(data_off > dict_off)) FAIL("data_page_offset <= dictionary_page_offset");
    pos = start;
    while (pos < start + tot_comp) {
        const uint8_t *p = file + pos, *end = file + start + tot_comp;
        tnode ph;
        int64_t hdr_len, unc, comp;
        int type;
        uint8_t *body = NULL;
        if (tr_read_struct(&p, end, &ph) != 0) FAIL("bad page header at %lld", (long long)pos);
        hdr_len = p - (file + pos);
        type = (int)tr_int(&ph, 1, -1);
        unc = tr_int(&ph, 2, -1);
        comp = tr_int(&ph, 3, -1);
        if (comp < 0 || comp > end - p) {
            tr_free(&ph);
            FAIL("page body past the chunk end");
        }
        if (tr_decompress(codec, p, (size_t)comp, (size_t)unc, &body) != 0) {
            free(body);
            tr_free(&ph);
            FAIL("page at %lld does not decompress to %lld bytes", (long long)pos, (long long)unc);
        }
        sum_unc += hdr_len + unc;
        sum_comp += hdr_len + comp;
        if (type == 2) {
            const tnode *dh = tr_field(&ph, 7);
            long used;
            if (!first_page || pos != dict_off) {
                free(body);
                tr_free(&ph);
                FAIL("dictionary page is not the first page at dictionary_page_offset");
            }
            ndict = (size_t)tr_int(dh, 1, 0);
            if (tr_int(dh, 2, -1) != 0) {
                free(body);
                tr_free(&ph);
                FAIL("dictionary page encoding is not PLAIN");
            }
            dict = calloc(ndict + 1, sizeof *dict);
            dict_bools = calloc(ndict + 1, 1);
            used = plain_split(body, body + unc, physical, type_length, ndict, dict, dict_bools);
            if (used != unc) {
                free(body);
                tr_free(&ph);
                FAIL("dictionary page body has %ld bytes of entries, not %lld", used, (long long)unc);
            }
            dict_body = body;
            rep->has_dict = 1;
            rep->dict_entries = (int)ndict;
        } else if (type == 0) {
            const tnode *dh = tr_field(&ph, 5);
            size_t n = (size_t)tr_int(dh, 1, -1), nn = 0, i, k = 0;
            int enc = (int)tr_int(dh, 2, -1);
            const uint8_t *q = body, *qend = body + unc;
            tr_page_info *pi;
            if (first_page && pos != data_off) {
                free(body);
                tr_free(&ph);
                FAIL("data_page_offset %lld is not the first data page %lld", (long long)data_off,
                     (long long)pos);
            }
            if (tr_int(dh, 3, -1) != 3 || tr_int(dh, 4, -1) != 3) {
                free(body);
                tr_free(&ph);
                FAIL("level encodings are not RLE");
            }
            free(levels);
            free(idx);
            free(vals);
            free(bools);
            levels = calloc(n + 1, sizeof *levels);
            idx = calloc(n + 1, sizeof *idx);
            vals = calloc(n + 1, sizeof *vals);
            bools = calloc(n + 1, 1);
            if (optional) {
                uint32_t len;
                if (qend - q < 4) {
                    free(body);
                    tr_free(&ph);
                    FAIL("no level length");
                }
                len = (uint32_t)q[0] | ((uint32_t)q[1] << 8) | ((uint32_t)q[2] << 16) | ((uint32_t)q[3] << 24);
                q += 4;
                if (len > (size_t)(qend - q) || tr_rle_decode(q, q + len, 1, levels, n) != (long)len) {
                    free(body);
                    tr_free(&ph);
                    FAIL("definition levels do not decode to exactly %zu values in %u bytes", n, len);
                }
                q += len;
                for (i = 0; i < n; i++) nn += levels[i] != 0;
            } else {
                for (i = 0; i < n; i++) levels[i] = 1;
                nn = n;
            }
            if (enc == 8 || enc == 2) {
                int width;
                long used;
                if (!rep->has_dict || q >= qend) {
                    free(body);
                    tr_free(&ph);
                    FAIL("dictionary data page without dictionary / bit width");
                }
                width = *q++;
                used = tr_rle_decode(q, qend, width, idx, nn);
                if (used < 0 || q + used != qend) {
                    free(body);
                    tr_free(&ph);
                    FAIL("dictionary indices do not fill the page");
                }
                for (i = 0; i < nn; i++) {
                    if (idx[i] >= ndict) {
                        free(body);
                        tr_free(&ph);
                        FAIL("dictionary index %u out of range", idx[i]);
                    }
                    vals[i] = dict[idx[i]];
                }
                rep->data_pages_dict++;
            } else if (enc == 0) {
                long used = plain_split(q, qend, physical, type_length, nn, vals, bools);
                if (used < 0 || q + used != qend) {
                    free(body);
                    tr_free(&ph);
                    FAIL("PLAIN values do not fill the page (%ld of %ld)", used, (long)(qend - q));
                }
                rep->data_pages_plain++;
            } else {
                free(body);
                tr_free(&ph);
                FAIL("unexpected encoding %d", enc);
            }
            for (i = 0; i < n; i++) {
                if (levels[i])
                    tr_values_push(out, 0, vals[k].p, vals[k].len), k++;
                else
                    tr_values_push(out, 1, NULL, 0);
            }
            pi = realloc(rep->pages, (rep->npages + 1) * sizeof *pi);
            rep->pages = pi;
            pi = &rep->pages[rep->npages++];
            pi->offset = pos;
            pi->stored_size = (int32_t)(hdr_len + comp);
            pi->first_row = seen;
            pi->type = 0;
            pi->encoding = enc;
            pi->num_values = (int32_t)n;
            pi->nulls = (int64_t)(n - nn);
            seen += (int64_t)n;
            free(body);
        } else {
            free(body);
            tr_free(&ph);
            FAIL("unexpected page type %d", type);
        }
        first_page = 0;
        tr_free(&ph);
        pos = (p - file) + comp;
    }
    if (pos != start + tot_comp) FAIL("pages overrun total_compressed_size");
    if (sum_comp != tot_comp) FAIL("total_compressed_size %lld != %lld", (long long)tot_comp, (long long)sum_comp);
    if (sum_unc != tot_unc) FAIL("total_uncompressed_size %lld != %lld", (long long)tot_unc, (long long)sum_unc);
    if (seen != num_values) FAIL("num_values %lld != %lld levels", (long long)num_values, (long long)seen);
done:
    free(dict);
    free(dict_bools);
    free(dict_body);
    free(levels);
    free(idx);
    free(vals);
    free(bools);
    return rep->error[0] ? -1 : 0;
}

void tr_chunk_report_free(tr_chunk_report *rep)
{
    free(rep->pages);
    rep->pages = NULL;
    rep->npages = 0;
}

int tr_read_footer(const uint8_t *file, size_t len, tnode *md)
{
    uint32_t flen;
    const uint8_t *p;
    memset(md, 0, sizeof *md);
    if (len < 12 || memcmp(file, "PAR1", 4) != 0 || memcmp(file + len - 4, "PAR1", 4) != 0) return -1;
    flen = (uint32_t)file[len - 8] | ((uint32_t)file[len - 7] << 8) | ((uint32_t)file[len - 6] << 16) |
           ((uint32_t)file[len - 5] << 24);
    if (flen > len - 12) return -1;
    p = file + len - 8 - flen;
    if (tr_read_struct(&p, file + len - 8, md) != 0) return -1;
    return p == file + len - 8 ? 0 : -1;
}
