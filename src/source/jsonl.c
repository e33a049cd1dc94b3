/* Incremental JSON Lines -> columnar_batch parser. See jsonl.h for the contract.
 *
 * Every line handed to parse_line ends with a '\n' byte that is inside the buffer; JSON strings
 * cannot contain a raw newline, so that byte is a sentinel: every scan stops on it without a
 * separate bounds check (string scans stop on any byte < 0x20, number and literal scans on any
 * byte that is not part of them). Word-at-a-time reads only happen while 8 bytes remain before
 * the sentinel. */
#include "jsonl.h"

#include <locale.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#define JSONL_MAX_LINE ((size_t)64 << 20)

typedef struct jcol {
    columnar_column *c;
    columnar_type type;
    const char *name; /* the batch column's name (unescaped) */
    size_t name_len;
    char *json; /* '"', the name as serde_json writes it inside quotes, '"', ':' */
    size_t json_len; /* of the name part */
} jcol;

struct jsonl_parser {
    jsonl_config cfg;
    columnar_batch *b;
    size_t ncols;
    jcol *cols;
    int *succ;      /* succ[i + 1] = column predicted after column i (succ[0]: first key) */
    /* The chain succ[0], succ[succ[0] + 1], ... visits each column at most once (chain_ok): a line
     * whose keys all follow it has no key twice, so it needs no `seen` marks. chain_pos[i] is
     * column i's place on it (-1: not on it). */
    int chain_ok;
    int *chain_pos;
    int *htab;      /* open addressing: column index or -1 */
    size_t hmask;
    uint32_t *seen; /* seen[i] == stamp when column i was set in the current row */
    uint32_t stamp;
    size_t *strcols; /* indexes of STRING columns, for the byte limit */
    size_t nstr;
    size_t str_bytes; /* string bytes in the batch (the sum of the STRING columns' data.len) */
    size_t fixed_row_bytes;
    i2i_buf carry;   /* an incomplete line waiting for the rest */
    i2i_buf scratch; /* unescaped strings */
    i2i_error *err;  /* where the current feed reports */
    const char *line_end; /* the '\n' sentinel of the line being parsed */
    uint64_t minute_key[2]; /* "YYYY-MM-DDTHH:MM" of the last time parsed... */
    int64_t minute_s;       /* ...and its seconds since the epoch */
    int minute_valid;
    jsonl_stats st;
    /* mark / rollback */
    size_t mark_rows;
    jsonl_stats mark_st;
    uint64_t *mark_nonfinite;
};

/* ---------------------------------------------------------------- helpers */

static locale_t c_locale;
static pthread_once_t c_locale_once = PTHREAD_ONCE_INIT;
static void c_locale_init(void) { c_locale = newlocale(LC_NUMERIC_MASK, "C", (locale_t)0); }

static inline int is_digit(unsigned char c) { return (unsigned)(c - '0') < 10; }

static inline const char *skip_ws(const char *s)
{
    while (*s == ' ' || *s == '\t' || *s == '\r') s++;
    return s;
}

static uint64_t hash_bytes(const char *s, size_t n)
{
    uint64_t h = 1469598103934665603ULL;
    size_t i;
    for (i = 0; i < n; i++) {
        h ^= (unsigned char)s[i];
        h *= 1099511628211ULL;
    }
    return h ^ (h >> 29);
}

/* A short printable excerpt of the input for messages. */
static void excerpt(const char *s, char *out, size_t outsz)
{
    size_t i, o = 0;
    for (i = 0; s[i] != '\n' && o + 4 < outsz && i < 40; i++) {
        unsigned char c = (unsigned char)s[i];
        out[o++] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
    }
    if (s[i] != '\n' && o + 4 < outsz) {
        out[o++] = '.';
        out[o++] = '.';
        out[o++] = '.';
    }
    out[o] = '\0';
}

static const char *fail(jsonl_parser *p, const jcol *col, const char *at, const char *what)
{
    char ex[64];
    excerpt(at, ex, sizeof ex);
    if (col) {
        i2i_error_set(p->err, I2I_ERR_FORMAT, "response line %llu: column '%s' (%s): %s at '%s'",
                      (unsigned long long)p->st.lines, col->name, columnar_type_name(col->type), what,
                      ex);
    } else {
        i2i_error_set(p->err, I2I_ERR_FORMAT, "response line %llu: %s at '%s'",
                      (unsigned long long)p->st.lines, what, ex);
    }
    return NULL;
}

/* Length of the UTF-8 sequence at s (1..4), 0 if invalid. Never reads past a byte that is not a
 * continuation byte, so the '\n' sentinel bounds it. */
static inline size_t utf8_len(const unsigned char *s)
{
    unsigned char c = s[0];
    if (c < 0x80) return 1;
    if (c < 0xC2) return 0;
    if (c < 0xE0) return (s[1] & 0xC0) == 0x80 ? 2 : 0;
    if (c < 0xF0) {
        if ((s[1] & 0xC0) != 0x80) return 0;
        if (c == 0xE0 && s[1] < 0xA0) return 0; /* overlong */
        if (c == 0xED && s[1] >= 0xA0) return 0; /* surrogate */
        return (s[2] & 0xC0) == 0x80 ? 3 : 0;
    }
    if (c < 0xF5) {
        if ((s[1] & 0xC0) != 0x80) return 0;
        if (c == 0xF0 && s[1] < 0x90) return 0;
        if (c == 0xF4 && s[1] >= 0x90) return 0;
        if ((s[2] & 0xC0) != 0x80) return 0;
        return (s[3] & 0xC0) == 0x80 ? 4 : 0;
    }
    return 0;
}

static inline int hex4(const char *s, uint32_t *out)
{
    uint32_t v = 0;
    int i;
    for (i = 0; i < 4; i++) {
        unsigned char c = (unsigned char)s[i];
        v <<= 4;
        if (c >= '0' && c <= '9') v |= (uint32_t)(c - '0');
        else if (c >= 'a' && c <= 'f') v |= (uint32_t)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F') v |= (uint32_t)(c - 'A' + 10);
        else return 0; /* also stops on the '\n' sentinel */
    }
    *out = v;
    return 1;
}

/* SWAR: nonzero when any byte of w is '"', '\\', < 0x20 or >= 0x80. */
static inline uint64_t special_bytes(uint64_t w)
{
    const uint64_t ones = 0x0101010101010101ULL, highs = 0x8080808080808080ULL;
    uint64_t q = w ^ (ones * '"');
    uint64_t bs = w ^ (ones * '\\');
    /* (x - 1) & ~x flags zero bytes, (w - 0x20) | w flags bytes < 0x20 or >= 0x80; borrows only
     * travel upward from a flagged byte, so the lowest flag is exact. */
    uint64_t t = ((q - ones) & ~q) | ((bs - ones) & ~bs) | (w - ones * 0x20) | w;
    return t & highs;
}

/* Scan a JSON string whose opening quote has been consumed. On success *out and *outn are the
 * unescaped value (pointing into the input when there were no escapes, else into p->scratch) and
 * the return is just after the closing quote. */
static const char *scan_string(jsonl_parser *p, const jcol *col, const char *s, const char **out,
                               size_t *outn)
{
    const char *start = s;
    const char *seg;
    for (;;) {
        unsigned char c;
        while ((size_t)(p->line_end - s) >= 8) {
            uint64_t w, m;
            memcpy(&w, s, 8);
            m = special_bytes(w);
            if (m) {
                s += __builtin_ctzll(m) >> 3; /* the lowest flagged byte is always a real one */
                break;
            }
            s += 8;
        }
        c = (unsigned char)*s;
        if (c == '"') {
            *out = start;
            *outn = (size_t)(s - start);
            return s + 1;
        }
        if (c == '\\') break;
        if (c < 0x20) return fail(p, col, start - 1, c == '\n' ? "unterminated string" : "control character in string");
        if (c >= 0x80) {
            size_t n = utf8_len((const unsigned char *)s);
            if (!n) return fail(p, col, s, "invalid UTF-8 in string");
            s += n;
        } else {
            s++;
        }
    }
    /* Escapes: copy into scratch. */
    i2i_buf_reset(&p->scratch);
    seg = start;
    for (;;) {
        unsigned char c = (unsigned char)*s;
        if (c == '"') {
            if (i2i_buf_append(&p->scratch, seg, (size_t)(s - seg)) != I2I_OK) goto nomem;
            *out = p->scratch.data ? (const char *)p->scratch.data : "";
            *outn = p->scratch.len;
            return s + 1;
        }
        if (c == '\\') {
            char tmp[8];
            size_t tn = 1;
            if (i2i_buf_append(&p->scratch, seg, (size_t)(s - seg)) != I2I_OK) goto nomem;
            switch (s[1]) {
            case '"': tmp[0] = '"'; break;
            case '\\': tmp[0] = '\\'; break;
            case '/': tmp[0] = '/'; break;
            case 'b': tmp[0] = '\b'; break;
            case 'f': tmp[0] = '\f'; break;
            case 'n': tmp[0] = '\n'; break;
            case 'r': tmp[0] = '\r'; break;
            case 't': tmp[0] = '\t'; break;
            case 'u': {
                uint32_t cp, lo;
                if (!hex4(s + 2, &cp)) return fail(p, col, s, "bad \\u escape");
                if (cp >= 0xD800 && cp <= 0xDBFF) {
                    if (s[6] != '\\' || s[7] != 'u' || !hex4(s + 8, &lo) || lo < 0xDC00 || lo > 0xDFFF)
                        return fail(p, col, s, "unpaired UTF-16 surrogate in \\u escape");
                    cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                    s += 6;
                } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
                    return fail(p, col, s, "unpaired UTF-16 surrogate in \\u escape");
                }
                tn = i2i_utf8_encode(cp, (uint8_t *)tmp);
                s += 4;
                break;
            }
            default: return fail(p, col, s, "bad escape in string");
            }
            if (i2i_buf_append(&p->scratch, tmp, tn) != I2I_OK) goto nomem;
            s += 2;
            seg = s;
            continue;
        }
        if (c < 0x20) return fail(p, col, start - 1, c == '\n' ? "unterminated string" : "control character in string");
        if (c >= 0x80) {
            size_t n = utf8_len((const unsigned char *)s);
            if (!n) return fail(p, col, s, "invalid UTF-8 in string");
            s += n;
        } else {
            s++;
        }
    }
nomem:
    i2i_error_nomem(p->err, "unescaping a JSON string");
    return NULL;
}

/* Skip any JSON value (unknown keys). Nesting depth is bounded by the line. */
static const char *skip_value(jsonl_parser *p, const char *s)
{
    int depth = 0;
    do {
        const char *v;
        size_t vn;
        s = skip_ws(s);
        switch (*s) {
        case '"':
            s = scan_string(p, NULL, s + 1, &v, &vn);
            if (!s) return NULL;
            break;
        case '{':
        case '[':
            depth++;
            s++;
            continue;
        case '}':
        case ']':
            if (depth == 0) return fail(p, NULL, s, "unexpected bracket");
            depth--;
            s++;
            break;
        case ',':
        case ':':
            if (depth == 0) return fail(p, NULL, s, "expected a value");
            s++;
            continue;
        case '\n': return fail(p, NULL, s, "unexpected end of line");
        default: {
            const char *q = s;
            while ((*q >= '0' && *q <= '9') || *q == '-' || *q == '+' || *q == '.' || *q == 'e' ||
                   *q == 'E' || (*q >= 'a' && *q <= 'z'))
                q++;
            if (q == s) return fail(p, NULL, s, "expected a value");
            s = q;
        }
        }
        if (depth > 0) {
            s = skip_ws(s);
            while (*s == ',' || *s == ':') s = skip_ws(s + 1);
            if (*s == '}' || *s == ']') continue;
        }
    } while (depth > 0);
    return s;
}

/* ---------------------------------------------------------------- numbers */

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define JSONL_SWAR_DIGITS 1
/* The value of eight ASCII digits (little-endian load, first digit lowest): pairs, then quads,
 * then the 8-digit number, with three multiplies. */
static inline uint64_t eight_digits_value(uint64_t v)
{
    const uint64_t mask = 0x000000FF000000FFULL;
    const uint64_t mul1 = 100 + (UINT64_C(1000000) << 32);
    const uint64_t mul2 = 1 + (UINT64_C(10000) << 32);
    v -= 0x3030303030303030ULL;
    v = (v * 10) + (v >> 8);
    return (((v & mask) * mul1) + (((v >> 16) & mask) * mul2)) >> 32;
}
/* How many of the 8 bytes (in text order) are ASCII digits before the first non-digit: 0..8.
 * A byte is a digit when (b ^ '0') < 10; the 0x76 add sets a byte's high bit exactly when its low
 * 7 bits are >= 10, without carries between bytes. */
static inline int digit_run(uint64_t v)
{
    uint64_t a = v ^ 0x3030303030303030ULL;
    uint64_t t = (((a & 0x7F7F7F7F7F7F7F7FULL) + 0x7676767676767676ULL) | a) & 0x8080808080808080ULL;
    return t ? __builtin_ctzll(t) >> 3 : 8;
}
/* Value of the first k (1..7) digits: they move to the top bytes, the bottom ones become '0'
 * (leading zeros), and the eight-digit conversion does the rest. */
static inline uint64_t short_digits_value(uint64_t v, int k)
{
    return eight_digits_value((v << (8 * (8 - k))) | (0x3030303030303030ULL >> (8 * k)));
}
/* The digits at s among its next 8 bytes: how many (0..8; 0 also when fewer than 8 bytes are
 * left before the line's sentinel) and, when some, their value. */
static inline int next_digits(const char *s, const char *line_end, uint64_t *value)
{
    uint64_t v8;
    int k;
    if (line_end - s < 8) return 0;
    memcpy(&v8, s, 8);
    k = digit_run(v8);
    if (k > 0) *value = k == 8 ? eight_digits_value(v8) : short_digits_value(v8, k);
    return k;
}
#else
#define JSONL_SWAR_DIGITS 0
#endif

static const double pow10_exact[23] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                       1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                       1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

static const uint64_t pow10_u64[20] = {1ULL,
                                        10ULL,
                                        100ULL,
                                        1000ULL,
                                        10000ULL,
                                        100000ULL,
                                        1000000ULL,
                                        10000000ULL,
                                        100000000ULL,
                                        1000000000ULL,
                                        10000000000ULL,
                                        100000000000ULL,
                                        1000000000000ULL,
                                        10000000000000ULL,
                                        100000000000000ULL,
                                        1000000000000000ULL,
                                        10000000000000000ULL,
                                        100000000000000000ULL,
                                        1000000000000000000ULL,
                                        10000000000000000000ULL};

/* w * 10^e10 correctly rounded (half to even) with exact 128-bit integer arithmetic, for
 * 0 < w < 2^64 and |e10| <= 19: the typical 16-17 digit doubles that miss Clinger's path.
 *   e10 >= 0: P = w * 10^e10 < 2^128 exactly.
 *   e10 < 0:  N = w << s with N in [2^127, 2^128); q = N / 10^k (at least 64 bits), the
 *             remainder only says whether anything nonzero was cut (sticky).
 * q is then rounded to 53 bits. Returns 0 (caller falls back to strtod) outside that domain. */
static int exact_pow10(uint64_t w, int64_t e10, double *out)
{
    typedef unsigned __int128 u128;
    u128 q;
    int s = 0, sticky = 0, qb, shift, be;
    uint64_t hi, mant, bits;
    if (w == 0 || e10 > 19 || e10 < -19) return 0;
    if (e10 >= 0) {
        q = (u128)w * pow10_u64[e10];
    } else {
        u128 n, d = pow10_u64[-e10];
        s = 64 + __builtin_clzll(w);
        n = (u128)w << s;
        q = n / d;
        sticky = n - q * d != 0;
    }
    hi = (uint64_t)(q >> 64);
    qb = hi ? 128 - __builtin_clzll(hi) : 64 - __builtin_clzll((uint64_t)q);
    shift = qb - 53;
    if (shift <= 0) {
        if (sticky) return 0;   /* cannot happen: q >= 2^63 when dividing */
        *out = (double)(uint64_t)q; /* < 2^53: exact */
        return 1;
    }
    {
        u128 rem = q & ((((u128)1) << shift) - 1), half = ((u128)1) << (shift - 1);
        mant = (uint64_t)(q >> shift);
        if (rem > half || (rem == half && (sticky || (mant & 1)))) mant++;
    }
    if (mant == (UINT64_C(1) << 53)) {
        mant >>= 1;
        shift++;
    }
    /* value = mant * 2^(shift - s), mant in [2^52, 2^53) */
    be = shift - s + 52 + 1023;
    if (be <= 0 || be >= 2047) return 0;
    bits = ((uint64_t)be << 52) | (mant & ((UINT64_C(1) << 52) - 1));
    memcpy(out, &bits, 8);
    return 1;
}

/* JSON number -> double, correctly rounded. s points at '-' or a digit. */
static const char *parse_double(jsonl_parser *p, const jcol *col, const char *s, double *out)
{
    const char *start = s;
    int neg = 0, nd = 0, truncated = 0;
    uint64_t w = 0;
    int64_t e10 = 0;
    if (*s == '-') {
        neg = 1;
        s++;
    }
    if (!is_digit((unsigned char)*s)) return fail(p, col, start, "expected a number");
    if (*s == '0') {
        s++;
    } else {
#if JSONL_SWAR_DIGITS
        /* The usual integer part (1..7 digits) in one step; 8 or more take the loop below. */
        if (p->line_end - s >= 8) {
            uint64_t v8;
            int k;
            memcpy(&v8, s, 8);
            k = digit_run(v8);
            if (k < 8) {
                w = short_digits_value(v8, k);
                nd = k;
                s += k;
            }
        }
#endif
        while (is_digit((unsigned char)*s)) {
            if (nd < 19) {
                w = w * 10 + (uint64_t)(*s - '0');
                nd++;
            } else {
                e10++;
                truncated |= *s != '0';
            }
            s++;
        }
    }
    if (*s == '.') {
        s++;
        if (!is_digit((unsigned char)*s)) return fail(p, col, start, "bad number");
        if (w == 0) {
            while (*s == '0') { /* 0.000123: leading zeros are not significant digits */
                s++;
                e10--;
            }
        }
#if JSONL_SWAR_DIGITS
        /* Up to 8 fraction digits per step (a 3-digit fraction is one step) while they stay
         * within the 19 significant digits; the loop below takes the rest. Every digit here is
         * significant: w != 0, or the leading zeros were just skipped and this one is not 0. */
        for (;;) {
            uint64_t v = 0;
            int k = next_digits(s, p->line_end, &v);
            if (k == 0 || nd + k > 19) break;
            w = w * pow10_u64[k] + v;
            nd += k;
            e10 -= k;
            s += k;
            if (k < 8) break;
        }
#endif
        while (is_digit((unsigned char)*s)) {
            if (nd < 19) {
                if (w || *s != '0') {
                    w = w * 10 + (uint64_t)(*s - '0');
                    nd++;
                }
                e10--;
            } else {
                truncated |= *s != '0';
            }
            s++;
        }
    }
    if (*s == 'e' || *s == 'E') {
        int eneg = 0;
        int64_t ev = 0;
        s++;
        if (*s == '+' || *s == '-') eneg = *s++ == '-';
        if (!is_digit((unsigned char)*s)) return fail(p, col, start, "bad number exponent");
        while (is_digit((unsigned char)*s)) {
            if (ev < 100000) ev = ev * 10 + (*s - '0');
            s++;
        }
        e10 += eneg ? -ev : ev;
    }
    if (w == 0 && !truncated) {
        *out = neg ? -0.0 : 0.0;
        return s;
    }
    if (!truncated && w <= (UINT64_C(1) << 53) && e10 >= -22 && e10 <= 22) {
        /* Clinger's fast path: both operands exact, one correctly rounded operation. */
        double d = (double)w;
        d = e10 >= 0 ? d * pow10_exact[e10] : d / pow10_exact[-e10];
        *out = neg ? -d : d;
        return s;
    }
    if (!truncated) {
        double d;
        if (exact_pow10(w, e10, &d)) {
            *out = neg ? -d : d;
            return s;
        }
    }
    {
        char tmp[128];
        char *heap = NULL, *buf = tmp, *endp;
        size_t n = (size_t)(s - start);
        if (n >= sizeof tmp) {
            heap = malloc(n + 1);
            if (!heap) {
                i2i_error_nomem(p->err, "parsing a number");
                return NULL;
            }
            buf = heap;
        }
        memcpy(buf, start, n);
        buf[n] = '\0';
        pthread_once(&c_locale_once, c_locale_init);
        *out = c_locale ? strtod_l(buf, &endp, c_locale) : strtod(buf, &endp);
        free(heap);
        if (endp != buf + n) return fail(p, col, start, "bad number");
    }
    return s;
}

static const char *parse_u64(jsonl_parser *p, const jcol *col, const char *s, uint64_t *out)
{
    const char *start = s;
    uint64_t v = 0;
    int nd = 0;
    if (!is_digit((unsigned char)*s))
        return fail(p, col, s, *s == '-' ? "negative value for an unsigned column" : "expected an integer");
    /* up to 19 digits cannot overflow */
    while (is_digit((unsigned char)*s) && nd < 19) {
        v = v * 10 + (uint64_t)(*s++ - '0');
        nd++;
    }
    while (is_digit((unsigned char)*s)) {
        if (__builtin_mul_overflow(v, 10, &v) || __builtin_add_overflow(v, (uint64_t)(*s - '0'), &v)) {
            i2i_error_set(p->err, I2I_ERR_RANGE, "response line %llu: column '%s': integer out of range",
                          (unsigned long long)p->st.lines, col->name);
            return NULL;
        }
        s++;
    }
    if (*s == '.' || *s == 'e' || *s == 'E') return fail(p, col, start, "expected an integer");
    *out = v;
    return s;
}

static const char *parse_i64(jsonl_parser *p, const jcol *col, const char *s, int64_t *out)
{
    int neg = *s == '-';
    uint64_t v;
    s = parse_u64(p, col, s + neg, &v);
    if (!s) return NULL;
    if (neg) {
        if (v > (UINT64_C(1) << 63)) goto range;
        *out = v == (UINT64_C(1) << 63) ? INT64_MIN : -(int64_t)v;
    } else {
        if (v > (uint64_t)INT64_MAX) goto range;
        *out = (int64_t)v;
    }
    return s;
range:
    i2i_error_set(p->err, I2I_ERR_RANGE, "response line %llu: column '%s': integer out of int64 range",
                  (unsigned long long)p->st.lines, col->name);
    return NULL;
}

/* ---------------------------------------------------------------- time */

/* Two digits; reads s[1] only when s[0] is a digit (the sentinel is never passed). */
static inline int d2(const char *s, int *v)
{
    unsigned a = (unsigned)(unsigned char)s[0] - '0', b;
    if (a > 9) return 0;
    b = (unsigned)(unsigned char)s[1] - '0';
    if (b > 9) return 0;
    *v = (int)(a * 10 + b);
    return 1;
}

/* s points after the opening quote. Fast path for "YYYY-MM-DDTHH:MM:SS[.fffffffff]". Rows come
 * sorted by time, hundreds to a minute, so the date, hour and minute are parsed once per minute:
 * a row whose first 16 bytes equal the last parsed ones reuses their seconds since the epoch. */
static const char *parse_time(jsonl_parser *p, const jcol *col, const char *s, int64_t *out)
{
    int ss;
    int64_t base, frac = 0;
    uint64_t k0, k1;
    const char *q;
    if (p->line_end - s < 20) goto slow; /* s[0..19] are before the '\n' sentinel */
    memcpy(&k0, s, 8);
    memcpy(&k1, s + 8, 8);
    if (p->minute_valid && k0 == p->minute_key[0] && k1 == p->minute_key[1]) {
        base = p->minute_s;
    } else {
        int y1, y2, mo, d, hh, mi;
        int64_t yy, days;
        unsigned cm, cd;
        if (!d2(s, &y1) || !d2(s + 2, &y2) || s[4] != '-' || !d2(s + 5, &mo) || s[7] != '-' ||
            !d2(s + 8, &d))
            goto slow;
        if (y1 * 100 + y2 < 1678 || y1 * 100 + y2 > 2261 || mo < 1 || mo > 12 || d < 1 || d > 31)
            goto slow;
        days = i2i_days_from_civil(y1 * 100 + y2, (unsigned)mo, (unsigned)d);
        i2i_civil_from_days(days, &yy, &cm, &cd);
        if (cm != (unsigned)mo || cd != (unsigned)d) goto slow; /* Feb 30 -> the slow path's error */
        if (s[10] != 'T' || !d2(s + 11, &hh) || s[13] != ':' || !d2(s + 14, &mi) || hh > 23 ||
            mi > 59)
            goto slow;
        base = days * 86400 + hh * 3600 + mi * 60;
        p->minute_key[0] = k0;
        p->minute_key[1] = k1;
        p->minute_s = base;
        p->minute_valid = 1;
    }
    if (s[16] != ':' || !d2(s + 17, &ss) || ss > 59) goto slow;
    q = s + 19;
    if (*q == '.') {
        int nd = 0;
        q++;
#if JSONL_SWAR_DIGITS
        /* InfluxDB prints 1..9 fraction digits (trailing zeros dropped): up to 8 in one step,
         * the loop takes a ninth */
        {
            uint64_t v = 0;
            int k = next_digits(q, p->line_end, &v);
            if (k > 0) {
                frac = (int64_t)v;
                q += k;
                nd = k;
            }
        }
#endif
        while (is_digit((unsigned char)*q) && nd < 9) {
            frac = frac * 10 + (*q - '0');
            q++;
            nd++;
        }
        if (nd == 0 || is_digit((unsigned char)*q)) goto slow;
        frac *= (int64_t)pow10_u64[9 - nd];
    }
    if (*q != '"') goto slow;
    *out = (base + ss) * I2I_NS_PER_S + frac;
    return q + 1;
slow: {
    const char *v;
    size_t vn;
    i2i_error e;
    const char *end = scan_string(p, col, s, &v, &vn);
    if (!end) return NULL;
    if (i2i_time_parse(v, vn, 0, out, &e) != I2I_OK) {
        i2i_error_set(p->err, I2I_ERR_FORMAT, "response line %llu: column '%s': %s",
                      (unsigned long long)p->st.lines, col->name, e.msg);
        return NULL;
    }
    return end;
}
}

/* ---------------------------------------------------------------- rows */

/* Empty the batch, and the parser's count of its string bytes with it. */
static void clear_batch(jsonl_parser *p)
{
    columnar_batch_clear(p->b);
    p->str_bytes = 0;
}

static int deliver(jsonl_parser *p)
{
    columnar_batch *b = p->b;
    int rc;
    size_t n = b->nrows;
    if (n == 0) return I2I_OK;
    i2i_error_clear(p->err);
    /* Counted before the call: a consumer may swap the rows out (columnar_batch_swap) and hand
     * back an empty batch, as the replicate pipeline does. */
    rc = p->cfg.on_batch(p->cfg.ctx, b, p->err);
    p->st.rows += n;
    p->st.batches++;
    clear_batch(p);
    if (rc < 0) {
        if (p->err && p->err->code == I2I_OK) i2i_error_set(p->err, rc, "batch consumer failed");
        return rc;
    }
    return I2I_OK;
}

/* a[0..n) == b[0..n) for short keys without a libc call; both sides readable for n bytes. */
static inline int key_eq(const char *a, const char *b, size_t n)
{
    uint64_t x, y;
    if (n >= 8) {
        size_t i;
        for (i = 0; i + 8 <= n; i += 8) {
            memcpy(&x, a + i, 8);
            memcpy(&y, b + i, 8);
            if (x != y) return 0;
        }
        memcpy(&x, a + n - 8, 8);
        memcpy(&y, b + n - 8, 8);
        return x == y;
    }
    if (n >= 4) {
        uint32_t p, q, r, t;
        memcpy(&p, a, 4);
        memcpy(&q, b, 4);
        memcpy(&r, a + n - 4, 4);
        memcpy(&t, b + n - 4, 4);
        return p == q && r == t;
    }
    while (n--) {
        if (*a++ != *b++) return 0;
    }
    return 1;
}

static int lookup_key(const jsonl_parser *p, const char *k, size_t n)
{
    size_t h = (size_t)hash_bytes(k, n) & p->hmask;
    for (;;) {
        int ci = p->htab[h];
        if (ci < 0) return -1;
        if (p->cols[ci].name_len == n && memcmp(p->cols[ci].name, k, n) == 0) return ci;
        h = (h + 1) & p->hmask;
    }
}

static const char *parse_value(jsonl_parser *p, jcol *col, int ci, const char *s)
{
    columnar_column *c = col->c;
    size_t row = p->b->nrows;
    switch (*s) {
    case 'n':
        if (s[1] != 'u' || s[2] != 'l' || s[3] != 'l') return fail(p, col, s, "bad literal");
        if (col->type == COLUMNAR_DOUBLE) {
            p->st.nonfinite++;
            p->st.nonfinite_by_col[ci]++;
            if (!p->cfg.nonfinite_as_null) {
                columnar_set_f64(c, row, NAN);
                return s + 4;
            }
        }
        columnar_set_null(c, row);
        return s + 4;
    default: break;
    }
    switch (col->type) {
    case COLUMNAR_TIMESTAMP: {
        int64_t v = 0;
        if (*s != '"') return fail(p, col, s, "expected a time string");
        s = parse_time(p, col, s + 1, &v);
        if (s) columnar_set_i64(c, row, v);
        return s;
    }
    case COLUMNAR_INT64: {
        int64_t v = 0;
        s = parse_i64(p, col, s, &v);
        if (s) columnar_set_i64(c, row, v);
        return s;
    }
    case COLUMNAR_UINT64: {
        uint64_t v = 0;
        s = parse_u64(p, col, s, &v);
        if (s) columnar_set_u64(c, row, v);
        return s;
    }
    case COLUMNAR_DOUBLE: {
        double v = 0;
        s = parse_double(p, col, s, &v);
        if (s) columnar_set_f64(c, row, v);
        return s;
    }
    case COLUMNAR_BOOL:
        if (s[0] == 't' && s[1] == 'r' && s[2] == 'u' && s[3] == 'e') {
            columnar_set_bool(c, row, 1);
            return s + 4;
        }
        if (s[0] == 'f' && s[1] == 'a' && s[2] == 'l' && s[3] == 's' && s[4] == 'e') {
            columnar_set_bool(c, row, 0);
            return s + 5;
        }
        return fail(p, col, s, "expected true or false");
    case COLUMNAR_STRING: {
        const char *v;
        size_t vn;
        int rc;
        if (*s != '"') return fail(p, col, s, "expected a string");
        s++;
        /* Tag values are mostly short and plain: when the first special byte of the next 16 is
         * the closing quote, that is the whole value, without the call into scan_string (whose
         * loop does the same test word by word, then handles escapes and UTF-8). */
        if (p->line_end - s >= 16) {
            uint64_t w0, w1, m;
            size_t at = 0;
            memcpy(&w0, s, 8);
            m = special_bytes(w0);
            if (!m) {
                memcpy(&w1, s + 8, 8);
                m = special_bytes(w1);
                at = 8;
            }
            if (m) {
                at += (size_t)__builtin_ctzll(m) >> 3; /* the lowest flag is a real one */
                if (s[at] == '"') {
                    v = s;
                    vn = at;
                    s += at + 1;
                    goto have_string;
                }
            }
        }
        s = scan_string(p, col, s, &v, &vn);
        if (!s) return NULL;
    have_string:
        rc = columnar_set_string(c, row, v, vn);
        if (rc != I2I_OK) {
            i2i_error_set(p->err, rc, "response line %llu: column '%s': %s",
                          (unsigned long long)p->st.lines, col->name,
                          rc == I2I_ERR_RANGE ? "more than 4 GiB of strings in one batch"
                                              : "out of memory");
            return NULL;
        }
        p->str_bytes += vn;
        return s;
    }
    }
    return fail(p, col, s, "unsupported column type");
}

/* Recompute chain_ok and chain_pos after succ changed (rare: a line with another key order). */
static void update_chain(jsonl_parser *p)
{
    size_t i, k = 0;
    int c;
    for (i = 0; i < p->ncols; i++) p->chain_pos[i] = -1;
    p->chain_ok = 1;
    for (c = p->succ[0]; c >= 0; c = p->succ[c + 1], k++) {
        if (p->chain_pos[c] >= 0) {
            p->chain_ok = 0;
            return;
        }
        p->chain_pos[c] = (int)k;
    }
}

/* Give the keys of this line so far (the first n of the chain) their `seen` marks: the line left
 * the chain, duplicates are checked from here on. */
static void mark_chain_prefix(jsonl_parser *p, size_t n)
{
    int c = p->succ[0];
    for (; n > 0 && c >= 0; n--, c = p->succ[c + 1]) p->seen[c] = p->stamp;
}

/* Parse one line [s, nl) where *nl == '\n'. */
static int parse_line(jsonl_parser *p, const char *s, const char *nl)
{
    columnar_batch *b = p->b;
    int prev = -1;
    int on_chain; /* every key so far followed the chain: no `seen` marks were needed */
    size_t nset = 0; /* distinct columns given a value (or null) on this line */
    p->st.lines++;
    p->line_end = nl;
    s = skip_ws(s);
    if (s == nl) return I2I_OK; /* blank line */
    if (*s != '{') {
        fail(p, NULL, s, "expected '{' (is the response JSON Lines?)");
        return I2I_ERR_FORMAT;
    }
    if (++p->stamp == 0) {
        memset(p->seen, 0, p->ncols * sizeof *p->seen);
        p->stamp = 1;
    }
    s = skip_ws(s + 1);
    on_chain = p->chain_ok;
    if (*s != '}') {
        for (;;) {
            int ci = -1;
            int guess = p->succ[prev + 1];
            if (guess >= 0) {
                const jcol *g = &p->cols[guess];
                /* g->json holds '"', the escaped name, '"' and ':' (the compact form) */
                if ((size_t)(nl - s) > g->json_len + 3 && key_eq(s, g->json, g->json_len + 3)) {
                    ci = guess;
                    s += g->json_len + 3;
                }
            }
            if (ci < 0) {
                const char *k;
                size_t kn;
                if (on_chain) {
                    on_chain = 0;
                    mark_chain_prefix(p, nset);
                }
                if (*s != '"') goto bad_key;
                s = scan_string(p, NULL, s + 1, &k, &kn);
                if (!s) return p->err ? p->err->code : I2I_ERR_FORMAT;
                ci = lookup_key(p, k, kn);
                if (ci < 0) {
                    if (!p->cfg.ignore_unknown_keys) {
                        return i2i_error_set(p->err, I2I_ERR_FORMAT,
                                             "response line %llu: unknown column '%.*s' (not in the "
                                             "schema this query was built from; was it added since?)",
                                             (unsigned long long)p->st.lines,
                                             (int)(kn > 200 ? 200 : kn), k);
                    }
                    s = skip_ws(s);
                    if (*s != ':') goto bad_colon;
                    s = skip_value(p, skip_ws(s + 1));
                    if (!s) return p->err ? p->err->code : I2I_ERR_FORMAT;
                    goto next;
                }
                if (p->succ[prev + 1] != ci) {
                    p->succ[prev + 1] = ci;
                    update_chain(p);
                }
                s = skip_ws(s);
                if (*s != ':') goto bad_colon;
                s++;
            }
            if (!on_chain) {
                if (p->seen[ci] == p->stamp) {
                    return i2i_error_set(p->err, I2I_ERR_FORMAT,
                                         "response line %llu: key '%s' appears twice",
                                         (unsigned long long)p->st.lines, p->cols[ci].name);
                }
                p->seen[ci] = p->stamp;
            }
            nset++;
            if ((unsigned char)*s <= ' ') s = skip_ws(s); /* one test; skip_ws keeps '\n' */
            s = parse_value(p, &p->cols[ci], ci, s);
            if (!s) return p->err ? p->err->code : I2I_ERR_FORMAT;
            prev = ci;
        next:
            if (*s == ',') {
                s++;
                if (*s != '"') s = skip_ws(s);
                continue;
            }
            s = skip_ws(s);
            if (*s == ',') {
                s = skip_ws(s + 1);
                continue;
            }
            if (*s == '}') break;
            fail(p, NULL, s, "expected ',' or '}'");
            return I2I_ERR_FORMAT;
        }
    }
    s = skip_ws(s + 1);
    if (s != nl) {
        fail(p, NULL, s, "unexpected data after the object");
        return I2I_ERR_FORMAT;
    }
    if (p->cfg.time_col >= 0 &&
        (on_chain ? !(p->chain_pos[p->cfg.time_col] >= 0 && (size_t)p->chain_pos[p->cfg.time_col] < nset)
                  : p->seen[p->cfg.time_col] != p->stamp)) {
        return i2i_error_set(p->err, I2I_ERR_FORMAT, "response line %llu: row has no '%s' value",
                             (unsigned long long)p->st.lines, p->cols[p->cfg.time_col].name);
    }
    /* Every column set (the usual full row): nothing to NULL-fill, skip the per-column pass. */
    if (nset == b->ncols) b->nrows++;
    else columnar_batch_end_row(b);
    if (b->nrows >= b->capacity) return deliver(p);
    if (p->cfg.max_batch_bytes) {
        if (b->nrows * p->fixed_row_bytes + p->str_bytes >= p->cfg.max_batch_bytes) return deliver(p);
    }
    return I2I_OK;
bad_key:
    fail(p, NULL, s, "expected a key string");
    return I2I_ERR_FORMAT;
bad_colon:
    fail(p, NULL, s, "expected ':'");
    return I2I_ERR_FORMAT;
}

/* ---------------------------------------------------------------- public */

/* The key as serde_json writes it: '"' '\\' and control characters escaped, the rest raw. */
static char *json_escape_name(const char *s, size_t n, size_t *outn)
{
    i2i_buf b = I2I_BUF_INIT;
    size_t i;
    if (i2i_buf_put_u8(&b, '"') != I2I_OK) return NULL;
    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        int rc;
        switch (c) {
        case '"': rc = i2i_buf_append(&b, "\\\"", 2); break;
        case '\\': rc = i2i_buf_append(&b, "\\\\", 2); break;
        case '\n': rc = i2i_buf_append(&b, "\\n", 2); break;
        case '\r': rc = i2i_buf_append(&b, "\\r", 2); break;
        case '\t': rc = i2i_buf_append(&b, "\\t", 2); break;
        case '\b': rc = i2i_buf_append(&b, "\\b", 2); break;
        case '\f': rc = i2i_buf_append(&b, "\\f", 2); break;
        default:
            if (c < 0x20) rc = i2i_buf_printf(&b, "\\u%04x", c);
            else rc = i2i_buf_put_u8(&b, c);
        }
        if (rc != I2I_OK) {
            i2i_buf_free(&b);
            return NULL;
        }
    }
    *outn = b.len - 1;
    /* quoted and followed by the colon, so one compare matches `"name":` */
    if (i2i_buf_append(&b, "\":", 2) != I2I_OK || !i2i_buf_cstr(&b)) {
        i2i_buf_free(&b);
        return NULL;
    }
    return (char *)b.data;
}

int jsonl_parser_new(const jsonl_config *cfg, jsonl_parser **out, i2i_error *err)
{
    jsonl_parser *p;
    columnar_batch *b = cfg->batch;
    size_t i, hsize = 8;

    *out = NULL;
    if (!b || !cfg->on_batch) return i2i_error_set(err, I2I_ERR_INVALID, "jsonl parser needs a batch and a callback");
    if (cfg->time_col >= (int)b->ncols)
        return i2i_error_set(err, I2I_ERR_INVALID, "jsonl parser: time column index out of range");
    p = calloc(1, sizeof *p);
    if (!p) return i2i_error_nomem(err, "creating the JSONL parser");
    p->cfg = *cfg;
    p->b = b;
    p->ncols = b->ncols;
    while (hsize < 2 * b->ncols + 2) hsize <<= 1;
    p->hmask = hsize - 1;
    p->cols = calloc(b->ncols + 1, sizeof *p->cols);
    p->succ = malloc((b->ncols + 1) * sizeof *p->succ);
    p->chain_pos = malloc((b->ncols + 1) * sizeof *p->chain_pos);
    p->htab = malloc(hsize * sizeof *p->htab);
    p->seen = calloc(b->ncols + 1, sizeof *p->seen);
    p->strcols = calloc(b->ncols + 1, sizeof *p->strcols);
    p->st.nonfinite_by_col = calloc(b->ncols + 1, sizeof(uint64_t));
    p->mark_nonfinite = calloc(b->ncols + 1, sizeof(uint64_t));
    if (!p->cols || !p->succ || !p->chain_pos || !p->htab || !p->seen || !p->strcols || !p->st.nonfinite_by_col ||
        !p->mark_nonfinite)
        goto nomem;
    for (i = 0; i < hsize; i++) p->htab[i] = -1;
    for (i = 0; i <= b->ncols; i++) p->succ[i] = i < b->ncols ? (int)i : -1;
    for (i = 0; i < b->ncols; i++) {
        jcol *c = &p->cols[i];
        size_t h;
        c->c = &b->cols[i];
        c->type = b->cols[i].type;
        c->name = b->cols[i].name;
        c->name_len = strlen(c->name);
        c->json = json_escape_name(c->name, c->name_len, &c->json_len);
        if (!c->json) goto nomem;
        if (lookup_key(p, c->name, c->name_len) >= 0) {
            jsonl_parser_free(p);
            return i2i_error_set(err, I2I_ERR_INVALID, "batch has column '%s' twice", c->name);
        }
        h = (size_t)hash_bytes(c->name, c->name_len) & p->hmask;
        while (p->htab[h] >= 0) h = (h + 1) & p->hmask;
        p->htab[h] = (int)i;
        p->fixed_row_bytes += c->type == COLUMNAR_BOOL ? 1 : c->type == COLUMNAR_STRING ? 4 : 8;
        if (c->type == COLUMNAR_STRING) p->strcols[p->nstr++] = i;
    }
    p->fixed_row_bytes += (b->ncols + 7) / 8;
    update_chain(p);
    i2i_buf_init(&p->carry);
    i2i_buf_init(&p->scratch);
    *out = p;
    return I2I_OK;
nomem:
    jsonl_parser_free(p);
    return i2i_error_nomem(err, "creating the JSONL parser");
}

void jsonl_parser_free(jsonl_parser *p)
{
    size_t i;
    if (!p) return;
    if (p->cols) {
        for (i = 0; i < p->ncols; i++) free(p->cols[i].json);
    }
    free(p->cols);
    free(p->succ);
    free(p->chain_pos);
    free(p->htab);
    free(p->seen);
    free(p->strcols);
    free(p->st.nonfinite_by_col);
    free(p->mark_nonfinite);
    i2i_buf_free(&p->carry);
    i2i_buf_free(&p->scratch);
    free(p);
}

int jsonl_parser_feed(jsonl_parser *p, const void *data, size_t n, i2i_error *err)
{
    const char *s = data, *end = s + n;
    int rc;
    p->err = err;
    p->st.bytes += n;
    if (p->carry.len > 0) {
        const char *nl = memchr(s, '\n', n);
        size_t take = nl ? (size_t)(nl - s) + 1 : n;
        if (p->carry.len + take > JSONL_MAX_LINE) {
            return i2i_error_set(err, I2I_ERR_FORMAT, "response line %llu is longer than %zu MiB",
                                 (unsigned long long)p->st.lines + 1, JSONL_MAX_LINE >> 20);
        }
        if (i2i_buf_append(&p->carry, s, take) != I2I_OK) return i2i_error_nomem(err, "buffering a response line");
        if (!nl) return I2I_OK;
        rc = parse_line(p, (const char *)p->carry.data, (const char *)p->carry.data + p->carry.len - 1);
        p->carry.len = 0;
        if (rc < 0) return rc;
        s = nl + 1;
    }
    while (s < end) {
        const char *nl = memchr(s, '\n', (size_t)(end - s));
        if (!nl) {
            if ((size_t)(end - s) > JSONL_MAX_LINE) {
                return i2i_error_set(err, I2I_ERR_FORMAT, "response line %llu is longer than %zu MiB",
                                     (unsigned long long)p->st.lines + 1, JSONL_MAX_LINE >> 20);
            }
            if (i2i_buf_append(&p->carry, s, (size_t)(end - s)) != I2I_OK)
                return i2i_error_nomem(err, "buffering a response line");
            break;
        }
        rc = parse_line(p, s, nl);
        if (rc < 0) return rc;
        s = nl + 1;
    }
    return I2I_OK;
}

int jsonl_parser_finish(jsonl_parser *p, i2i_error *err)
{
    if (p->carry.len > 0) {
        char ex[64];
        size_t n = p->carry.len;
        /* excerpt() stops at '\n'; make sure there is one. */
        if (i2i_buf_put_u8(&p->carry, '\n') != I2I_OK) return i2i_error_nomem(err, "reporting a truncated line");
        excerpt((const char *)p->carry.data, ex, sizeof ex);
        p->carry.len = n;
        return i2i_error_set(err, I2I_ERR_FORMAT,
                             "truncated response: line %llu has no final newline (%zu bytes: '%s')",
                             (unsigned long long)p->st.lines + 1, n, ex);
    }
    return I2I_OK;
}

int jsonl_parser_flush(jsonl_parser *p, i2i_error *err)
{
    p->err = err;
    return deliver(p);
}

void jsonl_parser_mark(jsonl_parser *p)
{
    uint64_t *saved = p->mark_st.nonfinite_by_col;
    p->mark_rows = p->b->nrows;
    p->mark_st = p->st;
    p->mark_st.nonfinite_by_col = saved;
    memcpy(p->mark_nonfinite, p->st.nonfinite_by_col, p->ncols * sizeof(uint64_t));
    p->carry.len = 0;
    p->st.lines = 0;
}

/* Truncate a batch to n rows (n <= nrows), including a half-filled row after an error. */
static void batch_truncate(columnar_batch *b, size_t n)
{
    size_t i;
    for (i = 0; i < b->ncols; i++) {
        columnar_column *c = &b->cols[i];
        size_t r, nulls = 0, nbytes = (b->capacity + 7) / 8;
        if (c->len > n) {
            if (c->type == COLUMNAR_STRING) c->data.len = c->v.off[n];
            if (n / 8 < nbytes) { /* rows from n on: valid until set NULL (columnar.h) */
                c->validity[n / 8] |= (uint8_t)~((1u << (n % 8)) - 1);
                memset(c->validity + n / 8 + 1, 0xFF, nbytes - n / 8 - 1);
            }
            c->len = n;
        }
        for (r = 0; r < c->len; r++) nulls += !columnar_is_valid(c, r);
        c->null_count = nulls;
    }
    b->nrows = n;
}

int jsonl_parser_rollback(jsonl_parser *p)
{
    uint64_t *cols = p->st.nonfinite_by_col;
    size_t i;
    if (p->st.batches != p->mark_st.batches) return -1;
    batch_truncate(p->b, p->mark_rows);
    p->str_bytes = 0;
    for (i = 0; i < p->nstr; i++) p->str_bytes += p->b->cols[p->strcols[i]].data.len;
    p->st = p->mark_st;
    p->st.nonfinite_by_col = cols;
    memcpy(cols, p->mark_nonfinite, p->ncols * sizeof(uint64_t));
    p->carry.len = 0;
    p->st.lines = 0;
    return 0;
}

void jsonl_parser_reset(jsonl_parser *p)
{
    clear_batch(p);
    p->carry.len = 0;
    p->st.lines = 0;
}

const jsonl_stats *jsonl_parser_stats(const jsonl_parser *p) { return &p->st; }
