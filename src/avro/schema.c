/*
 * Compile an Avro schema (parsed JSON) into a node graph the decoder walks: primitives, records,
 * enums, arrays, maps, unions, fixed, named type references and namespaces (Avro 1.11 spec
 * "Names"). Attributes the decoder does not need (logicalType, doc, default, aliases, field-id...)
 * are ignored here; the raw schema text keeps them.
 */
#include "avro_internal.h"

#include <stdio.h>
#include <stdlib.h>

#define SCHEMA_MAX_DEPTH 256

typedef struct named {
    const char *fullname;
    avro_node *node;
} named;

typedef struct compiler {
    avro_schema *s;
    const char *what;
    i2i_error *err;
    named *names;
    size_t nnames, capnames;
} compiler;

static const struct {
    const char *name;
    avro_kind kind;
} primitives[] = {
    {"null", AVRO_NULL},     {"boolean", AVRO_BOOLEAN}, {"int", AVRO_INT},
    {"long", AVRO_LONG},     {"float", AVRO_FLOAT},     {"double", AVRO_DOUBLE},
    {"bytes", AVRO_BYTES},   {"string", AVRO_STRING},
};

const char *avro_kind_name(avro_kind k)
{
    switch (k) {
    case AVRO_NULL: return "null";
    case AVRO_BOOLEAN: return "boolean";
    case AVRO_INT: return "int";
    case AVRO_LONG: return "long";
    case AVRO_FLOAT: return "float";
    case AVRO_DOUBLE: return "double";
    case AVRO_BYTES: return "bytes";
    case AVRO_STRING: return "string";
    case AVRO_RECORD: return "record";
    case AVRO_ENUM: return "enum";
    case AVRO_ARRAY: return "array";
    case AVRO_MAP: return "map";
    case AVRO_UNION: return "union";
    case AVRO_FIXED: return "fixed";
    }
    return "?";
}

static int bad(compiler *c, const char *fmt, ...) I2I_PRINTF(2, 3);
static int bad(compiler *c, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return i2i_error_set(c->err, I2I_ERR_FORMAT, "%s: invalid Avro schema: %s", c->what, msg);
}

static avro_node *new_node(compiler *c, avro_kind kind, size_t count)
{
    avro_node *n = i2i_arena_alloc(&c->s->arena, sizeof *n, 16);
    if (!n) return NULL;
    memset(n, 0, sizeof *n);
    n->kind = kind;
    n->count = count;
    if (kind == AVRO_RECORD || kind == AVRO_UNION || kind == AVRO_ARRAY || kind == AVRO_MAP) {
        size_t nchild = (kind == AVRO_ARRAY || kind == AVRO_MAP) ? 1 : count;
        if (nchild) {
            n->child = i2i_arena_alloc(&c->s->arena, nchild * sizeof *n->child, 16);
            if (!n->child) return NULL;
            memset(n->child, 0, nchild * sizeof *n->child);
        }
    }
    if ((kind == AVRO_RECORD || kind == AVRO_ENUM) && count) {
        n->label = i2i_arena_alloc(&c->s->arena, count * sizeof *n->label, 16);
        if (!n->label) return NULL;
    }
    return n;
}

static int primitive_kind(const char *name, avro_kind *kind)
{
    size_t i;
    for (i = 0; i < sizeof primitives / sizeof primitives[0]; i++) {
        if (strcmp(name, primitives[i].name) == 0) {
            *kind = primitives[i].kind;
            return 1;
        }
    }
    return 0;
}

static avro_node *lookup(compiler *c, const char *fullname)
{
    size_t i;
    for (i = 0; i < c->nnames; i++)
        if (strcmp(c->names[i].fullname, fullname) == 0) return c->names[i].node;
    return NULL;
}

/* Full name of a reference or definition: a dotted name is already full; otherwise it lives in
 * the namespace ns (which may be empty: the null namespace). */
static char *full_name(compiler *c, const char *name, const char *ns)
{
    size_t nl, sl;
    char *out;
    if (strchr(name, '.') || !ns || !*ns) return i2i_arena_strdup(&c->s->arena, name);
    nl = strlen(name);
    sl = strlen(ns);
    out = i2i_arena_alloc(&c->s->arena, sl + 1 + nl + 1, 1);
    if (!out) return NULL;
    memcpy(out, ns, sl);
    out[sl] = '.';
    memcpy(out + sl + 1, name, nl + 1);
    return out;
}

static int resolve_reference(compiler *c, const char *name, const char *ns, avro_node **out)
{
    char *fn = full_name(c, name, ns);
    avro_node *n;
    if (!fn) return i2i_error_nomem(c->err, "compiling an Avro schema");
    n = lookup(c, fn);
    /* Like Java's Schema.Names: fall back to the null namespace for an unqualified name. */
    if (!n && !strchr(name, '.')) n = lookup(c, name);
    if (!n) return bad(c, "unknown type '%s'", fn);
    *out = n;
    return I2I_OK;
}

/* Register a named type (before compiling its body, so it may refer to itself). Sets *ns_out to
 * the namespace its body's unqualified names live in. */
static int define_named(compiler *c, const json_t *j, const char *kind_name, const char *ns,
                        avro_node *n, const char **ns_out)
{
    const json_t *jn = json_object_get(j, "name");
    const json_t *jns = json_object_get(j, "namespace");
    const char *name, *space = ns, *dot;
    char *fn;

    if (!json_is_string(jn) || !*json_string_value(jn))
        return bad(c, "%s without a \"name\"", kind_name);
    name = json_string_value(jn);
    dot = strrchr(name, '.');
    if (!dot && json_is_string(jns)) space = json_string_value(jns);
    fn = full_name(c, name, space);
    if (!fn) return i2i_error_nomem(c->err, "compiling an Avro schema");
    if (lookup(c, fn)) return bad(c, "type '%s' is defined twice", fn);
    if (c->nnames == c->capnames) {
        size_t cap = c->capnames ? c->capnames * 2 : 16;
        named *nn = realloc(c->names, cap * sizeof *nn);
        if (!nn) return i2i_error_nomem(c->err, "compiling an Avro schema");
        c->names = nn;
        c->capnames = cap;
    }
    c->names[c->nnames].fullname = fn;
    c->names[c->nnames].node = n;
    c->nnames++;
    n->fullname = fn;
    if (dot) {
        char *sp = i2i_arena_strndup(&c->s->arena, fn, (size_t)(strrchr(fn, '.') - fn));
        if (!sp) return i2i_error_nomem(c->err, "compiling an Avro schema");
        *ns_out = sp;
    } else {
        *ns_out = space;
    }
    return I2I_OK;
}

static int compile(compiler *c, const json_t *j, const char *ns, int depth, avro_node **out);

static int compile_record(compiler *c, const json_t *j, const char *ns, int depth, avro_node **out)
{
    const json_t *fields = json_object_get(j, "fields");
    const char *inner_ns = ns;
    avro_node *n;
    size_t i;

    if (!json_is_array(fields)) return bad(c, "record without a \"fields\" array");
    n = new_node(c, AVRO_RECORD, json_array_size(fields));
    if (!n) return i2i_error_nomem(c->err, "compiling an Avro schema");
    I2I_TRY(define_named(c, j, "record", ns, n, &inner_ns));
    for (i = 0; i < n->count; i++) {
        const json_t *f = json_array_get(fields, i);
        const json_t *fname = json_object_get(f, "name");
        const json_t *ftype = json_object_get(f, "type");
        if (!json_is_string(fname) || !ftype)
            return bad(c, "field %zu of record '%s' needs a \"name\" and a \"type\"", i + 1,
                       n->fullname);
        n->label[i] = i2i_arena_strdup(&c->s->arena, json_string_value(fname));
        if (!n->label[i]) return i2i_error_nomem(c->err, "compiling an Avro schema");
        I2I_TRY(compile(c, ftype, inner_ns, depth + 1, &n->child[i]));
    }
    *out = n;
    return I2I_OK;
}

static int compile_enum(compiler *c, const json_t *j, const char *ns, avro_node **out)
{
    const json_t *symbols = json_object_get(j, "symbols");
    const char *inner_ns;
    avro_node *n;
    size_t i;

    if (!json_is_array(symbols)) return bad(c, "enum without a \"symbols\" array");
    n = new_node(c, AVRO_ENUM, json_array_size(symbols));
    if (!n) return i2i_error_nomem(c->err, "compiling an Avro schema");
    I2I_TRY(define_named(c, j, "enum", ns, n, &inner_ns));
    for (i = 0; i < n->count; i++) {
        const json_t *s = json_array_get(symbols, i);
        if (!json_is_string(s)) return bad(c, "enum '%s' has a non-string symbol", n->fullname);
        n->label[i] = i2i_arena_strdup(&c->s->arena, json_string_value(s));
        if (!n->label[i]) return i2i_error_nomem(c->err, "compiling an Avro schema");
    }
    *out = n;
    return I2I_OK;
}

static int compile_fixed(compiler *c, const json_t *j, const char *ns, avro_node **out)
{
    const json_t *size = json_object_get(j, "size");
    const char *inner_ns;
    avro_node *n;

    if (!json_is_integer(size) || json_integer_value(size) < 0 ||
        json_integer_value(size) > INT32_MAX)
        return bad(c, "fixed without a valid \"size\"");
    n = new_node(c, AVRO_FIXED, (size_t)json_integer_value(size));
    if (!n) return i2i_error_nomem(c->err, "compiling an Avro schema");
    I2I_TRY(define_named(c, j, "fixed", ns, n, &inner_ns));
    *out = n;
    return I2I_OK;
}

static int compile_object(compiler *c, const json_t *j, const char *ns, int depth, avro_node **out)
{
    const json_t *type = json_object_get(j, "type");
    const char *t;
    avro_kind kind;

    if (!type) return bad(c, "schema object without a \"type\"");
    /* {"type": {...}} or {"type": [...]}: a wrapped schema (lenient, as other readers are). */
    if (!json_is_string(type)) return compile(c, type, ns, depth + 1, out);
    t = json_string_value(type);
    if (primitive_kind(t, &kind)) {
        /* Logical types (timestamp-micros, date, decimal...) are read as their base type. */
        *out = new_node(c, kind, 0);
        return *out ? I2I_OK : i2i_error_nomem(c->err, "compiling an Avro schema");
    }
    if (strcmp(t, "record") == 0 || strcmp(t, "error") == 0)
        return compile_record(c, j, ns, depth, out);
    if (strcmp(t, "enum") == 0) return compile_enum(c, j, ns, out);
    if (strcmp(t, "fixed") == 0) return compile_fixed(c, j, ns, out);
    if (strcmp(t, "array") == 0 || strcmp(t, "map") == 0) {
        int is_array = t[0] == 'a';
        const json_t *inner = json_object_get(j, is_array ? "items" : "values");
        avro_node *n;
        if (!inner) return bad(c, "%s without \"%s\"", t, is_array ? "items" : "values");
        n = new_node(c, is_array ? AVRO_ARRAY : AVRO_MAP, 0);
        if (!n) return i2i_error_nomem(c->err, "compiling an Avro schema");
        I2I_TRY(compile(c, inner, ns, depth + 1, &n->child[0]));
        *out = n;
        return I2I_OK;
    }
    /* {"type": "some.Named"}: a reference. */
    return resolve_reference(c, t, ns, out);
}

static int compile(compiler *c, const json_t *j, const char *ns, int depth, avro_node **out)
{
    if (depth > SCHEMA_MAX_DEPTH) return bad(c, "nested more than %d levels", SCHEMA_MAX_DEPTH);
    if (json_is_string(j)) {
        avro_kind kind;
        if (primitive_kind(json_string_value(j), &kind)) {
            *out = new_node(c, kind, 0);
            return *out ? I2I_OK : i2i_error_nomem(c->err, "compiling an Avro schema");
        }
        return resolve_reference(c, json_string_value(j), ns, out);
    }
    if (json_is_array(j)) {
        size_t i;
        avro_node *n = new_node(c, AVRO_UNION, json_array_size(j));
        if (!n) return i2i_error_nomem(c->err, "compiling an Avro schema");
        if (n->count == 0) return bad(c, "empty union");
        for (i = 0; i < n->count; i++)
            I2I_TRY(compile(c, json_array_get(j, i), ns, depth + 1, &n->child[i]));
        *out = n;
        return I2I_OK;
    }
    if (json_is_object(j)) return compile_object(c, j, ns, depth, out);
    return bad(c, "a schema must be a string, an array or an object");
}

/* Lower bound of a value's encoded size. A record seen again while its size is being computed
 * (a recursive type) counts as 0, which keeps the result a lower bound. */
static size_t min_size(avro_node *n)
{
    size_t i, sum = 0;
    if (n->state == 2) return n->min_size;
    if (n->state == 1) return 0;
    n->state = 1;
    switch (n->kind) {
    case AVRO_NULL: sum = 0; break;
    case AVRO_FLOAT: sum = 4; break;
    case AVRO_DOUBLE: sum = 8; break;
    case AVRO_FIXED: sum = n->count; break;
    case AVRO_RECORD:
        for (i = 0; i < n->count; i++) sum += min_size(n->child[i]);
        break;
    case AVRO_UNION:
        for (i = 0; i < n->count; i++) (void)min_size(n->child[i]);
        sum = 1;
        break;
    case AVRO_ARRAY:
    case AVRO_MAP:
        (void)min_size(n->child[0]);
        sum = 1;
        break;
    default: sum = 1; break; /* boolean, int, long, bytes, string, enum */
    }
    n->min_size = sum;
    n->state = 2;
    return sum;
}

int avro_schema_compile(const json_t *schema, const char *what, avro_schema *out, i2i_error *err)
{
    compiler c;
    int rc;

    memset(out, 0, sizeof *out);
    i2i_arena_init(&out->arena, 16 * 1024);
    memset(&c, 0, sizeof c);
    c.s = out;
    c.what = what;
    c.err = err;
    rc = compile(&c, schema, "", 0, &out->root);
    free(c.names);
    if (rc < 0) {
        avro_schema_free(out);
        return rc;
    }
    (void)min_size(out->root);
    return I2I_OK;
}

void avro_schema_free(avro_schema *s)
{
    if (!s) return;
    i2i_arena_free(&s->arena);
    s->root = NULL;
}
