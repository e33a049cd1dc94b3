/* TOML 1.0 -> jansson (see toml.h). A hand-written recursive-descent reader over the whole text:
 * config files are small, so simplicity wins over streaming. */
#include "util/toml.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#define MAX_KEY_PARTS 64

/* How a table came to exist decides what may still be added to it (TOML 1.0 "Table" rules). */
enum {
    T_EXPLICIT = 1, /* defined by a [header]: a second [header] is a redefinition */
    T_DOTTED = 2,   /* created by a dotted key: no [header] may define it later */
    T_INLINE = 4,   /* inline table: closed once written */
    T_AOT = 8       /* array created by [[header]] (a static array cannot be appended to) */
};

typedef struct tflag {
    json_t *node;
    int flags;
} tflag;

typedef struct parser {
    const char *s;
    size_t n, pos;
    i2i_error *err;
    tflag *tf; /* flags of the tables and arrays we created; tables absent here are implicit */
    size_t ntf, captf;
    int depth;
} parser;

typedef struct key {
    char *part[MAX_KEY_PARTS];
    size_t at[MAX_KEY_PARTS]; /* where each part starts, for error positions */
    int n;
} key;

static int perr(parser *p, size_t at, const char *fmt, ...) I2I_PRINTF(3, 4);
static int perr(parser *p, size_t at, const char *fmt, ...)
{
    size_t line = 1, col = 1, i;
    char msg[512];
    va_list ap;
    if (at > p->n) at = p->n;
    for (i = 0; i < at; i++) {
        if (p->s[i] == '\n') {
            line++;
            col = 1;
        } else if (((unsigned char)p->s[i] & 0xC0) != 0x80) {
            col++; /* count characters, not UTF-8 continuation bytes */
        }
    }
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return i2i_error_set(p->err, I2I_ERR_FORMAT, "line %zu, column %zu: %s", line, col, msg);
}

static int nomem(parser *p) { return i2i_error_nomem(p->err, "TOML document"); }

static int get_flags(const parser *p, const json_t *node)
{
    for (size_t i = 0; i < p->ntf; i++)
        if (p->tf[i].node == node) return p->tf[i].flags;
    return 0;
}

static int set_flags(parser *p, json_t *node, int flags)
{
    for (size_t i = 0; i < p->ntf; i++) {
        if (p->tf[i].node == node) {
            p->tf[i].flags = flags;
            return I2I_OK;
        }
    }
    if (p->ntf == p->captf) {
        size_t cap = p->captf ? p->captf * 2 : 32;
        tflag *t = realloc(p->tf, cap * sizeof *t);
        if (!t) return nomem(p);
        p->tf = t;
        p->captf = cap;
    }
    p->tf[p->ntf].node = node;
    p->tf[p->ntf++].flags = flags;
    return I2I_OK;
}

static int at_end(const parser *p) { return p->pos >= p->n; }
static char cur(const parser *p) { return p->pos < p->n ? p->s[p->pos] : '\0'; }
static char peek(const parser *p, size_t k) { return p->pos + k < p->n ? p->s[p->pos + k] : '\0'; }

static void skip_ws(parser *p)
{
    while (!at_end(p) && (cur(p) == ' ' || cur(p) == '\t')) p->pos++;
}

/* A newline is LF or CRLF; a lone CR is an error wherever it appears. Returns 1 if consumed. */
static int eat_newline(parser *p)
{
    if (cur(p) == '\n') {
        p->pos++;
        return 1;
    }
    if (cur(p) == '\r' && peek(p, 1) == '\n') {
        p->pos += 2;
        return 1;
    }
    return 0;
}

/* Control characters are refused in comments and strings (tab excepted). */
static int is_control(unsigned char c) { return (c < 0x20 && c != '\t') || c == 0x7F; }

static int skip_comment(parser *p)
{
    if (cur(p) != '#') return I2I_OK;
    while (!at_end(p) && cur(p) != '\n') {
        if (cur(p) == '\r' && peek(p, 1) == '\n') break;
        if (is_control((unsigned char)cur(p)))
            return perr(p, p->pos, "control character U+%04X in comment", (unsigned)cur(p));
        p->pos++;
    }
    return I2I_OK;
}

/* Whitespace, comments and newlines: the filler allowed inside arrays. */
static int skip_ws_nl(parser *p)
{
    for (;;) {
        skip_ws(p);
        I2I_TRY(skip_comment(p));
        if (!eat_newline(p)) break;
    }
    if (cur(p) == '\r') return perr(p, p->pos, "carriage return not followed by a newline");
    return I2I_OK;
}

/* ---------------------------------------------------------------- strings */

static int hexval(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

static int put(parser *p, i2i_buf *b, const void *data, size_t len)
{
    return i2i_buf_append(b, data, len) == I2I_OK ? I2I_OK : nomem(p);
}

static int escape(parser *p, i2i_buf *b)
{
    size_t at = p->pos; /* at the backslash */
    char c = peek(p, 1);
    const char *simple = "b\bt\tn\nf\fr\r\"\"\\\\";
    for (const char *e = simple; *e; e += 2) {
        if (c == e[0]) {
            p->pos += 2;
            return put(p, b, &e[1], 1);
        }
    }
    if (c == 'u' || c == 'U') {
        int digits = c == 'u' ? 4 : 8;
        uint32_t cp = 0;
        uint8_t enc[4];
        for (int i = 0; i < digits; i++) {
            int h = hexval(peek(p, 2 + (size_t)i));
            if (h < 0) return perr(p, at, "\\%c needs %d hex digits", c, digits);
            cp = cp * 16 + (uint32_t)h;
        }
        if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            return perr(p, at, "\\%c escape U+%X is not a Unicode scalar value", c, cp);
        p->pos += 2 + (size_t)digits;
        return put(p, b, enc, i2i_utf8_encode(cp, enc));
    }
    return perr(p, at, "invalid escape sequence '\\%c'", c ? c : ' ');
}

/* A string of any of the four kinds at p->pos; multi-line ones only when allowed (not in keys). */
static int parse_string(parser *p, i2i_buf *b, int allow_multiline)
{
    size_t start = p->pos;
    char q = cur(p);
    int basic = q == '"';
    int ml = peek(p, 1) == q && peek(p, 2) == q;
    if (ml && !allow_multiline) return perr(p, start, "a key cannot be a multi-line string");
    p->pos += ml ? 3 : 1;
    if (ml) eat_newline(p); /* a newline right after the opening delimiter is trimmed */
    for (;;) {
        unsigned char c = (unsigned char)cur(p);
        if (at_end(p)) return perr(p, start, "unterminated string");
        if (c == (unsigned char)q) {
            if (!ml) {
                p->pos++;
                return I2I_OK;
            }
            size_t k = 0;
            while (peek(p, k) == q) k++;
            if (k >= 3) {
                /* up to two quotes may end the content right before the closing three */
                if (k > 5) return perr(p, p->pos + 5, "too many quotes closing a multi-line string");
                I2I_TRY(put(p, b, p->s + p->pos, k - 3));
                p->pos += k;
                return I2I_OK;
            }
            I2I_TRY(put(p, b, p->s + p->pos, k));
            p->pos += k;
            continue;
        }
        if (basic && c == '\\') {
            if (ml) {
                /* line-ending backslash: drop it and all whitespace and newlines after it */
                size_t save = p->pos++;
                skip_ws(p);
                if (eat_newline(p)) {
                    for (;;) {
                        if (cur(p) == ' ' || cur(p) == '\t') p->pos++;
                        else if (!eat_newline(p)) break;
                    }
                    continue;
                }
                p->pos = save;
            }
            I2I_TRY(escape(p, b));
            continue;
        }
        if (c == '\n' || c == '\r') {
            if (!ml) return perr(p, p->pos, "newline in a single-line string");
            if (!eat_newline(p)) return perr(p, p->pos, "carriage return not followed by a newline");
            I2I_TRY(put(p, b, "\n", 1));
            continue;
        }
        if (is_control(c)) return perr(p, p->pos, "control character U+%04X in string", c);
        I2I_TRY(put(p, b, &p->s[p->pos], 1));
        p->pos++;
    }
}

/* ---------------------------------------------------------------- keys */

static void key_free(key *k)
{
    for (int i = 0; i < k->n; i++) free(k->part[i]);
    k->n = 0;
}

static int is_bare(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-';
}

/* key = part *( ws "." ws part ); the caller frees k even on failure. */
static int parse_key(parser *p, key *k)
{
    k->n = 0;
    for (;;) {
        size_t at = p->pos;
        char *part;
        if (k->n == MAX_KEY_PARTS) return perr(p, at, "key has more than %d parts", MAX_KEY_PARTS);
        if (cur(p) == '"' || cur(p) == '\'') {
            i2i_buf b = I2I_BUF_INIT;
            int rc = parse_string(p, &b, 0);
            if (rc == I2I_OK && b.len && memchr(b.data, '\0', b.len))
                rc = perr(p, at, "a key cannot contain U+0000");
            part = rc == I2I_OK ? i2i_strndup(b.data ? (char *)b.data : "", b.len) : NULL;
            i2i_buf_free(&b);
            if (rc != I2I_OK) return rc;
        } else {
            while (is_bare(cur(p))) p->pos++;
            if (p->pos == at) {
                if (at_end(p) || cur(p) == '\n' || cur(p) == '\r')
                    return perr(p, at, "expected a key");
                return perr(p, at, "unexpected character '%c' where a key was expected", cur(p));
            }
            part = i2i_strndup(p->s + at, p->pos - at);
        }
        if (!part) return nomem(p);
        k->part[k->n] = part;
        k->at[k->n++] = at;
        skip_ws(p);
        if (cur(p) != '.') return I2I_OK;
        p->pos++;
        skip_ws(p);
    }
}

/* ---------------------------------------------------------------- values */

static int parse_value(parser *p, json_t **out);

static int is_digit(char c) { return c >= '0' && c <= '9'; }

/* Copy digits of [s, s+n) into out without underscores, which must each sit between two
 * digits. `digit` says what a digit is for this base. */
static int strip_underscores(parser *p, size_t at, const char *s, size_t n, int (*digit)(char),
                             char *out)
{
    size_t o = 0;
    if (n == 0) return perr(p, at, "expected digits");
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '_') {
            if (i == 0 || i + 1 == n || !digit(s[i - 1]) || !digit(s[i + 1]))
                return perr(p, at + i, "an underscore in a number must sit between two digits");
            continue;
        }
        if (!digit(s[i])) return perr(p, at + i, "invalid character '%c' in number", s[i]);
        out[o++] = s[i];
    }
    out[o] = '\0';
    return I2I_OK;
}

static int is_hex(char c) { return hexval(c) >= 0; }
static int is_oct(char c) { return c >= '0' && c <= '7'; }
static int is_bin(char c) { return c == '0' || c == '1'; }

static int parse_number(parser *p, size_t at, const char *t, size_t n, json_t **out)
{
    char buf[128];
    size_t i = 0;
    int neg = 0;
    if (n >= sizeof buf) return perr(p, at, "number too long");
    if (n > 2 && t[0] == '0' && (t[1] == 'x' || t[1] == 'o' || t[1] == 'b')) {
        int base = t[1] == 'x' ? 16 : t[1] == 'o' ? 8 : 2;
        uint64_t v = 0;
        I2I_TRY(strip_underscores(p, at + 2, t + 2, n - 2,
                                  base == 16 ? is_hex : base == 8 ? is_oct : is_bin, buf));
        for (char *d = buf; *d; d++) {
            if (v > (uint64_t)INT64_MAX / (uint64_t)base) goto range;
            v = v * (uint64_t)base + (uint64_t)hexval(*d);
        }
        if (v > (uint64_t)INT64_MAX) goto range;
        *out = json_integer((json_int_t)v);
        return *out ? I2I_OK : nomem(p);
    }
    if (t[0] == '+' || t[0] == '-') {
        neg = t[0] == '-';
        i = 1;
    }
    if (n - i == 3 && (memcmp(t + i, "inf", 3) == 0 || memcmp(t + i, "nan", 3) == 0))
        return perr(p, at, "'%.*s' cannot be represented (the document model is JSON, which has "
                           "no inf or nan)", (int)n, t);
    /* the integer part: digits and underscores up to '.', 'e' or 'E' */
    size_t int_end = i;
    while (int_end < n && (is_digit(t[int_end]) || t[int_end] == '_')) int_end++;
    if (int_end == i) return perr(p, at, "invalid value '%.*s'", (int)n, t);
    if (t[i] == '0' && int_end - i > 1) return perr(p, at, "leading zeros are not allowed");
    if (int_end == n) { /* an integer */
        uint64_t v = 0, lim = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
        I2I_TRY(strip_underscores(p, at + i, t + i, n - i, is_digit, buf));
        for (char *d = buf; *d; d++) {
            uint64_t dv = (uint64_t)(*d - '0');
            if (v > (lim - dv) / 10) goto range;
            v = v * 10 + dv;
        }
        *out = json_integer(neg ? (json_int_t)(0 - v) : (json_int_t)v);
        return *out ? I2I_OK : nomem(p);
    }
    /* a float: int [ "." digits ] [ (e|E) [sign] digits ], underscores only between digits */
    size_t o = 0, j = int_end;
    char tmp[128];
    if (neg) buf[o++] = '-';
    I2I_TRY(strip_underscores(p, at + i, t + i, int_end - i, is_digit, tmp));
    o += (size_t)snprintf(buf + o, sizeof buf - o, "%s", tmp);
    if (t[j] == '.') {
        size_t f = ++j;
        while (j < n && (is_digit(t[j]) || t[j] == '_')) j++;
        if (j == f) return perr(p, at + f, "expected digits after the decimal point");
        I2I_TRY(strip_underscores(p, at + f, t + f, j - f, is_digit, tmp));
        o += (size_t)snprintf(buf + o, sizeof buf - o, ".%s", tmp);
    }
    if (j < n && (t[j] == 'e' || t[j] == 'E')) {
        buf[o++] = 'e';
        j++;
        if (j < n && (t[j] == '+' || t[j] == '-')) buf[o++] = t[j++];
        I2I_TRY(strip_underscores(p, at + j, t + j, n - j, is_digit, tmp));
        o += (size_t)snprintf(buf + o, sizeof buf - o, "%s", tmp);
        j = n;
    }
    if (j != n) return perr(p, at + j, "invalid character '%c' in number", t[j]);
    errno = 0;
    char *end;
    double d = strtod(buf, &end);
    if (*end != '\0') return perr(p, at, "invalid float '%.*s'", (int)n, t);
    if (errno == ERANGE && fabs(d) > 1.0) return perr(p, at, "float '%.*s' out of range", (int)n, t);
    *out = json_real(d);
    return *out ? I2I_OK : nomem(p);
range:
    return perr(p, at, "integer '%.*s' does not fit in 64 bits", (int)n, t);
}

static int is_token(char c) { return is_bare(c) || c == '+' || c == '.' || c == ':'; }

static int parse_scalar(parser *p, json_t **out)
{
    size_t at = p->pos;
    while (is_token(cur(p))) p->pos++;
    const char *t = p->s + at;
    size_t n = p->pos - at;
    if (n == 0) {
        if (at_end(p) || cur(p) == '\n' || cur(p) == '\r' || cur(p) == '#')
            return perr(p, at, "expected a value");
        return perr(p, at, "unexpected character '%c' where a value was expected", cur(p));
    }
    if ((n == 4 && memcmp(t, "true", 4) == 0) || (n == 5 && memcmp(t, "false", 5) == 0)) {
        *out = json_boolean(n == 4);
        return I2I_OK;
    }
    if ((n >= 5 && is_digit(t[0]) && is_digit(t[1]) && is_digit(t[2]) && is_digit(t[3]) &&
         t[4] == '-') ||
        (n >= 3 && is_digit(t[0]) && is_digit(t[1]) && t[2] == ':'))
        return perr(p, at, "dates and times are not supported; quote the value to pass it as a "
                           "string");
    if (!is_digit(t[0]) && t[0] != '+' && t[0] != '-' && t[0] != 'i' && t[0] != 'n')
        return perr(p, at, "invalid value '%.*s' (strings must be quoted)", (int)n, t);
    return parse_number(p, at, t, n, out);
}

static int parse_array(parser *p, json_t **out)
{
    size_t start = p->pos++;
    json_t *arr = json_array();
    int rc;
    if (!arr) return nomem(p);
    for (;;) {
        json_t *v = NULL;
        I2I_TRY_GOTO(skip_ws_nl(p), rc, fail);
        if (cur(p) == ']') break;
        if (at_end(p)) {
            rc = perr(p, start, "unterminated array");
            goto fail;
        }
        I2I_TRY_GOTO(parse_value(p, &v), rc, fail);
        if (json_array_append_new(arr, v) != 0) {
            rc = nomem(p);
            goto fail;
        }
        I2I_TRY_GOTO(skip_ws_nl(p), rc, fail);
        if (cur(p) == ',') {
            p->pos++;
            continue;
        }
        if (cur(p) == ']') break;
        rc = at_end(p) ? perr(p, start, "unterminated array")
                       : perr(p, p->pos, "expected ',' or ']' in array");
        goto fail;
    }
    p->pos++;
    *out = arr;
    return I2I_OK;
fail:
    json_decref(arr);
    return rc;
}

static int set_keyval(parser *p, json_t *table, key *k, json_t *v);

static int parse_inline_table(parser *p, json_t **out)
{
    size_t start = p->pos++;
    json_t *obj = json_object();
    int rc = I2I_OK, first = 1;
    if (!obj) return nomem(p);
    I2I_TRY_GOTO(set_flags(p, obj, T_INLINE), rc, fail);
    for (;;) {
        key k = {.n = 0};
        json_t *v = NULL;
        skip_ws(p);
        if (first && cur(p) == '}') break;
        if (at_end(p) || cur(p) == '\n' || cur(p) == '\r') {
            rc = perr(p, at_end(p) ? start : p->pos,
                      at_end(p) ? "unterminated inline table"
                                : "newline in an inline table (it must stay on one line)");
            goto fail;
        }
        if (!first && cur(p) == '}') {
            rc = perr(p, p->pos, "trailing comma in an inline table");
            goto fail;
        }
        first = 0;
        rc = parse_key(p, &k);
        if (rc == I2I_OK && cur(p) != '=') rc = perr(p, p->pos, "expected '=' after key");
        if (rc == I2I_OK) {
            p->pos++;
            skip_ws(p);
            rc = parse_value(p, &v);
        }
        if (rc == I2I_OK) rc = set_keyval(p, obj, &k, v);
        key_free(&k);
        if (rc != I2I_OK) goto fail;
        skip_ws(p);
        if (cur(p) == ',') {
            p->pos++;
            continue;
        }
        if (cur(p) == '}') break;
        if (at_end(p)) rc = perr(p, start, "unterminated inline table");
        else if (cur(p) == '\n' || cur(p) == '\r')
            rc = perr(p, p->pos, "newline in an inline table (it must stay on one line)");
        else rc = perr(p, p->pos, "expected ',' or '}' in inline table");
        goto fail;
    }
    p->pos++;
    *out = obj;
    return I2I_OK;
fail:
    json_decref(obj);
    return rc;
}

static int parse_value(parser *p, json_t **out)
{
    int rc;
    *out = NULL;
    if (p->depth >= TOML_MAX_DEPTH)
        return perr(p, p->pos, "arrays and inline tables nested deeper than %d", TOML_MAX_DEPTH);
    p->depth++;
    if (cur(p) == '"' || cur(p) == '\'') {
        i2i_buf b = I2I_BUF_INIT;
        rc = parse_string(p, &b, 1);
        if (rc == I2I_OK) {
            *out = json_stringn(b.data ? (char *)b.data : "", b.len);
            if (!*out) rc = nomem(p);
        }
        i2i_buf_free(&b);
    } else if (cur(p) == '[') {
        rc = parse_array(p, out);
    } else if (cur(p) == '{') {
        rc = parse_inline_table(p, out);
    } else {
        rc = parse_scalar(p, out);
    }
    p->depth--;
    return rc;
}

/* ---------------------------------------------------------------- tables */

static char *key_text(const key *k, int upto, char *buf, size_t size)
{
    size_t o = 0;
    buf[0] = '\0';
    for (int i = 0; i <= upto && i < k->n && o < size; i++)
        o += (size_t)snprintf(buf + o, size - o, "%s%s", i ? "." : "", k->part[i]);
    return buf;
}

/* Put v (owned; freed on failure) at dotted key k inside table: the intermediate tables are
 * created (as dotted) or must have been created by dotted keys. */
static int set_keyval(parser *p, json_t *table, key *k, json_t *v)
{
    char name[256];
    int rc = I2I_OK;
    for (int i = 0; i < k->n - 1 && rc == I2I_OK; i++) {
        json_t *child = json_object_get(table, k->part[i]);
        if (!child) {
            child = json_object();
            if (!child || json_object_set_new(table, k->part[i], child) != 0) {
                rc = nomem(p);
                break;
            }
            rc = set_flags(p, child, T_DOTTED);
        } else if (!json_is_object(child) || get_flags(p, child) != T_DOTTED) {
            rc = perr(p, k->at[i], "key '%s' is already defined and cannot be extended here",
                      key_text(k, i, name, sizeof name));
        }
        table = child;
    }
    if (rc == I2I_OK && json_object_get(table, k->part[k->n - 1]))
        rc = perr(p, k->at[k->n - 1], "duplicate key '%s'", key_text(k, k->n, name, sizeof name));
    if (rc != I2I_OK) {
        json_decref(v);
        return rc;
    }
    return json_object_set_new(table, k->part[k->n - 1], v) == 0 ? I2I_OK : nomem(p);
}

/* [a.b.c] or [[a.b.c]] at p->pos; on success *table is where the following key/values go. */
static int parse_header(parser *p, json_t *root, json_t **table)
{
    size_t start = p->pos;
    int aot = peek(p, 1) == '[';
    key k = {.n = 0};
    char name[256];
    json_t *t = root, *child;
    int rc;
    p->pos += aot ? 2 : 1;
    skip_ws(p);
    I2I_TRY_GOTO(parse_key(p, &k), rc, done);
    if (cur(p) != ']' || (aot && peek(p, 1) != ']')) {
        rc = perr(p, p->pos, aot ? "expected ']]' to close the array of tables header"
                                 : "expected ']' to close the table header");
        goto done;
    }
    p->pos += aot ? 2 : 1;
    for (int i = 0; i < k.n - 1; i++) {
        child = json_object_get(t, k.part[i]);
        if (!child) {
            child = json_object();
            if (!child || json_object_set_new(t, k.part[i], child) != 0) {
                rc = nomem(p);
                goto done;
            }
        } else if (json_is_array(child) && (get_flags(p, child) & T_AOT)) {
            child = json_array_get(child, json_array_size(child) - 1);
        } else if (!json_is_object(child) || (get_flags(p, child) & T_INLINE)) {
            rc = perr(p, k.at[i], "'%s' is already a value and cannot hold tables",
                      key_text(&k, i, name, sizeof name));
            goto done;
        }
        t = child;
    }
    const char *last = k.part[k.n - 1];
    child = json_object_get(t, last);
    key_text(&k, k.n, name, sizeof name);
    if (aot) {
        json_t *elem;
        if (!child) {
            child = json_array();
            if (!child || json_object_set_new(t, last, child) != 0) {
                rc = nomem(p);
                goto done;
            }
            I2I_TRY_GOTO(set_flags(p, child, T_AOT), rc, done);
        } else if (!json_is_array(child) || !(get_flags(p, child) & T_AOT)) {
            rc = perr(p, start, "'%s' is already defined and is not an array of tables", name);
            goto done;
        }
        elem = json_object();
        if (!elem || json_array_append_new(child, elem) != 0) {
            rc = nomem(p);
            goto done;
        }
        I2I_TRY_GOTO(set_flags(p, elem, T_EXPLICIT), rc, done);
        *table = elem;
    } else {
        if (!child) {
            child = json_object();
            if (!child || json_object_set_new(t, last, child) != 0) {
                rc = nomem(p);
                goto done;
            }
        } else if (!json_is_object(child) || get_flags(p, child) != 0) {
            rc = perr(p, start, "table '%s' is defined more than once", name);
            goto done;
        }
        I2I_TRY_GOTO(set_flags(p, child, T_EXPLICIT), rc, done);
        *table = child;
    }
    rc = I2I_OK;
done:
    key_free(&k);
    return rc;
}

/* NUL and invalid UTF-8 are refused up front, so the parser can treat the text as characters. */
static int check_text(parser *p)
{
    size_t i = 0;
    uint32_t cp;
    while (i < p->n) {
        if (p->s[i] == '\0') return perr(p, i, "NUL byte in document");
        if (!i2i_utf8_next(p->s, p->n, &i, &cp)) return perr(p, i, "invalid UTF-8");
    }
    return I2I_OK;
}

int toml_parse(const char *text, size_t len, json_t **out, i2i_error *err)
{
    parser p = {.s = text ? text : "", .n = text ? len : 0, .err = err};
    json_t *root = json_object(), *table = root;
    int rc = I2I_OK;
    *out = NULL;
    if (!root) return i2i_error_nomem(err, "TOML document");
    I2I_TRY_GOTO(check_text(&p), rc, done);
    /* a UTF-8 byte order mark is tolerated at the very start */
    if (p.n >= 3 && memcmp(p.s, "\xEF\xBB\xBF", 3) == 0) p.pos = 3;
    while (!at_end(&p)) {
        skip_ws(&p);
        if (cur(&p) == '[') {
            I2I_TRY_GOTO(parse_header(&p, root, &table), rc, done);
        } else if (!at_end(&p) && cur(&p) != '#' && cur(&p) != '\n' && cur(&p) != '\r') {
            key k = {.n = 0};
            json_t *v = NULL;
            rc = parse_key(&p, &k);
            if (rc == I2I_OK && cur(&p) != '=') rc = perr(&p, p.pos, "expected '=' after key");
            if (rc == I2I_OK) {
                p.pos++;
                skip_ws(&p);
                rc = parse_value(&p, &v);
            }
            if (rc == I2I_OK) rc = set_keyval(&p, table, &k, v);
            key_free(&k);
            if (rc != I2I_OK) goto done;
        }
        skip_ws(&p);
        I2I_TRY_GOTO(skip_comment(&p), rc, done);
        if (!at_end(&p) && !eat_newline(&p)) {
            rc = perr(&p, p.pos, cur(&p) == '\r' ? "carriage return not followed by a newline"
                                                 : "expected the end of the line");
            goto done;
        }
    }
done:
    free(p.tf);
    if (rc != I2I_OK) {
        json_decref(root);
        return rc;
    }
    *out = root;
    return I2I_OK;
}

int toml_parse_file(const char *path, json_t **out, i2i_error *err)
{
    i2i_buf b = I2I_BUF_INIT;
    char chunk[8192];
    size_t got;
    int rc = I2I_OK;
    FILE *f = fopen(path, "rb");
    *out = NULL;
    if (!f) return i2i_error_set(err, I2I_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    while ((got = fread(chunk, 1, sizeof chunk, f)) > 0) {
        if (i2i_buf_append(&b, chunk, got) != I2I_OK) {
            rc = i2i_error_nomem(err, "TOML file");
            break;
        }
    }
    if (rc == I2I_OK && ferror(f)) rc = i2i_error_set(err, I2I_ERR_IO, "%s: read failed", path);
    fclose(f);
    if (rc == I2I_OK) {
        rc = toml_parse((const char *)b.data, b.len, out, err);
        if (rc != I2I_OK) i2i_error_wrap(err, "%s", path);
    }
    i2i_buf_free(&b);
    return rc;
}
