/* What InfluxDB holds: the tables of the database, a measurement's columns and their types, and
 * the column batch a query fills. */
#include <stdio.h>
#include <stdlib.h>

#include "source_internal.h"

/* ---------------------------------------------------------------- tables */

typedef struct strv {
    char **v;
    size_t n, cap;
} strv;

static int strv_push(strv *sv, const char *str)
{
    if (sv->n + 2 > sv->cap) {
        size_t cap = sv->cap ? sv->cap * 2 : 16;
        char **nv = realloc(sv->v, cap * sizeof *nv);
        if (!nv) return I2I_ERR_NOMEM;
        sv->v = nv;
        sv->cap = cap;
    }
    if (!(sv->v[sv->n] = i2i_strdup(str))) return I2I_ERR_NOMEM;
    sv->n++;
    sv->v[sv->n] = NULL;
    return I2I_OK;
}

void source_strv_free(char **names)
{
    size_t i;
    if (!names) return;
    for (i = 0; names[i]; i++) free(names[i]);
    free(names);
}

static int table_row(void *ctx, json_t *row, i2i_error *err)
{
    strv *sv = ctx;
    json_t *schema = json_object_get(row, "table_schema");
    const char *name = json_string_value(json_object_get(row, "table_name"));
    if (!name) return i2i_error_set(err, I2I_ERR_FORMAT, "table list: row without table_name");
    if (schema && (!json_is_string(schema) || strcmp(json_string_value(schema), "iox") != 0)) return I2I_OK;
    if (strv_push(sv, name) != I2I_OK) return i2i_error_nomem(err, "listing tables");
    return I2I_OK;
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

int source_list_tables(source *s, char ***names, size_t *n, i2i_error *err)
{
    i2i_buf body = I2I_BUF_INIT;
    strv sv = {NULL, 0, 0};
    int rc;
    *names = NULL;
    if (n) *n = 0;
    rc = src_query_collect(s,
                       "SELECT table_schema, table_name FROM information_schema.tables "
                       "WHERE table_schema = 'iox'",
                       "listing tables", &body, NULL, err);
    if (rc == I2I_OK) rc = src_for_each_line(&body, "listing tables", table_row, &sv, err);
    i2i_buf_free(&body);
    if (rc == I2I_OK && !sv.v) {
        sv.v = calloc(1, sizeof *sv.v);
        if (!sv.v) rc = i2i_error_nomem(err, "listing tables");
    }
    if (rc < 0) {
        source_strv_free(sv.v);
        return rc;
    }
    qsort(sv.v, sv.n, sizeof *sv.v, cmp_str);
    *names = sv.v;
    if (n) *n = sv.n;
    return I2I_OK;
}

/* I2I_ERR_NOT_FOUND with the list of available tables. */
static int table_not_found(source *s, const char *table, char **names, size_t n, i2i_error *err)
{
    i2i_buf b = I2I_BUF_INIT;
    size_t i;
    int rc;
    if (n == 0) {
        rc = i2i_buf_printf(&b, "none (database '%s' has no tables yet)", s->database);
    } else {
        rc = I2I_OK;
        for (i = 0; i < n && i < 50 && rc == I2I_OK; i++) rc = i2i_buf_printf(&b, "%s'%s'", i ? ", " : "", names[i]);
        if (rc == I2I_OK && n > 50) rc = i2i_buf_printf(&b, ", ... (%zu tables)", n);
    }
    if (rc != I2I_OK) {
        i2i_buf_free(&b);
        return i2i_error_nomem(err, "reporting a missing table");
    }
    rc = i2i_error_set(err, I2I_ERR_NOT_FOUND, "measurement '%s' not found in database '%s'; available: %s",
                       table, s->database, i2i_buf_cstr(&b));
    i2i_buf_free(&b);
    return rc;
}

int source_check_table(source *s, const char *table, i2i_error *err)
{
    char **names = NULL;
    size_t n = 0, i;
    int rc;
    if (!s || !table) return i2i_error_set(err, I2I_ERR_INVALID, "source_check_table: NULL argument");
    rc = source_list_tables(s, &names, &n, err);
    if (rc < 0) return rc;
    for (i = 0; i < n; i++) {
        if (strcmp(names[i], table) == 0) {
            source_strv_free(names);
            return I2I_OK;
        }
    }
    rc = table_not_found(s, table, names, n, err);
    source_strv_free(names);
    return rc;
}

/* ---------------------------------------------------------------- schema */

/* Strip spaces: "Timestamp(Nanosecond, None)" -> "Timestamp(Nanosecond,None)". */
static void compact(const char *in, char *out, size_t outsz)
{
    size_t o = 0;
    for (; *in && o + 1 < outsz; in++) {
        if (*in != ' ' && *in != '\t') out[o++] = *in;
    }
    out[o] = '\0';
}

static int is_string_type(const char *t)
{
    return strcmp(t, "Utf8") == 0 || strcmp(t, "LargeUtf8") == 0 || strcmp(t, "Utf8View") == 0;
}

int source_map_data_type(const char *column, const char *data_type, columnar_type *type,
                         source_role *role, i2i_error *err)
{
    char t[128];
    const char *col = column ? column : "?";
    if (!data_type) return i2i_error_set(err, I2I_ERR_FORMAT, "column '%s' has no data_type", col);
    compact(data_type, t, sizeof t);
    *role = SOURCE_ROLE_FIELD;
    if (strncmp(t, "Timestamp(", 10) == 0) {
        static const char *const units[] = {"ns", "Nanosecond", "us", "µs", "Microsecond", "ms",
                                            "Millisecond", "s", "Second"};
        const char *u = t + 10;
        size_t i, ul = strcspn(u, ",)");
        int ok = 0;
        for (i = 0; i < sizeof units / sizeof units[0]; i++) {
            if (strlen(units[i]) == ul && strncmp(u, units[i], ul) == 0) ok = 1;
        }
        if (!ok || t[strlen(t) - 1] != ')') goto unknown;
        /* Values arrive as ISO strings whatever the unit (and with a zone when there is one). */
        *type = COLUMNAR_TIMESTAMP;
        if (column && strcmp(column, "time") == 0) *role = SOURCE_ROLE_TIME;
        return I2I_OK;
    }
    if (strncmp(t, "Dictionary(", 11) == 0) {
        char key[32], val[32];
        const char *comma = strchr(t, ',');
        size_t kl, vl;
        if (!comma || t[strlen(t) - 1] != ')') goto unknown;
        kl = (size_t)(comma - (t + 11));
        vl = strlen(comma + 1) - 1;
        if (kl >= sizeof key || vl >= sizeof val) goto unknown;
        memcpy(key, t + 11, kl);
        key[kl] = '\0';
        memcpy(val, comma + 1, vl);
        val[vl] = '\0';
        if (strncmp(key, "Int", 3) != 0 && strncmp(key, "UInt", 4) != 0) goto unknown;
        if (!is_string_type(val)) goto unknown;
        *type = COLUMNAR_STRING;
        *role = SOURCE_ROLE_TAG;
        return I2I_OK;
    }
    if (is_string_type(t)) *type = COLUMNAR_STRING;
    else if (strcmp(t, "Float64") == 0 || strcmp(t, "Float32") == 0) *type = COLUMNAR_DOUBLE;
    else if (strcmp(t, "Int64") == 0 || strcmp(t, "Int32") == 0 || strcmp(t, "Int16") == 0 || strcmp(t, "Int8") == 0)
        *type = COLUMNAR_INT64;
    else if (strcmp(t, "UInt64") == 0 || strcmp(t, "UInt32") == 0 || strcmp(t, "UInt16") == 0 ||
             strcmp(t, "UInt8") == 0)
        *type = COLUMNAR_UINT64;
    else if (strcmp(t, "Boolean") == 0) *type = COLUMNAR_BOOL;
    else goto unknown;
    return I2I_OK;
unknown:
    return i2i_error_set(err, I2I_ERR_UNSUPPORTED,
                         "column '%s' has data type '%s', which influx2iceberg cannot copy (expected "
                         "Timestamp(ns), Dictionary(Int32, Utf8), Utf8, Float64, Int64, UInt64 or Boolean)",
                         col, data_type);
}

typedef struct schema_ctx {
    source_schema *sc;
    size_t cap;
} schema_ctx;

static int schema_row(void *ctx, json_t *row, i2i_error *err)
{
    schema_ctx *x = ctx;
    source_schema *sc = x->sc;
    const char *name = json_string_value(json_object_get(row, "column_name"));
    const char *dt = json_string_value(json_object_get(row, "data_type"));
    const char *nullable = json_string_value(json_object_get(row, "is_nullable"));
    source_column *c;
    int rc;
    if (!name || !dt)
        return i2i_error_set(err, I2I_ERR_FORMAT, "information_schema.columns row without column_name/data_type");
    if (sc->ncols == x->cap) {
        size_t cap = x->cap ? x->cap * 2 : 16;
        source_column *nc = realloc(sc->cols, cap * sizeof *nc);
        if (!nc) return i2i_error_nomem(err, "reading the schema");
        sc->cols = nc;
        x->cap = cap;
    }
    c = &sc->cols[sc->ncols];
    memset(c, 0, sizeof *c);
    rc = source_map_data_type(name, dt, &c->type, &c->role, err);
    if (rc < 0) return i2i_error_wrap(err, "measurement '%s'", sc->table);
    c->name = i2i_strdup(name);
    c->data_type = i2i_strdup(dt);
    c->nullable = !nullable || strcmp(nullable, "NO") != 0;
    sc->ncols++;
    if (!c->name || !c->data_type) return i2i_error_nomem(err, "reading the schema");
    return I2I_OK;
}

void source_schema_free(source_schema *schema)
{
    size_t i;
    if (!schema) return;
    for (i = 0; i < schema->ncols; i++) {
        free(schema->cols[i].name);
        free(schema->cols[i].data_type);
    }
    free(schema->cols);
    free(schema->table);
    free(schema);
}

int source_schema_find(const source_schema *schema, const char *name)
{
    size_t i;
    for (i = 0; i < schema->ncols; i++) {
        if (strcmp(schema->cols[i].name, name) == 0) return (int)i;
    }
    return -1;
}

int source_discover_schema(source *s, const char *table, source_schema **out, i2i_error *err)
{
    i2i_buf sql = I2I_BUF_INIT, body = I2I_BUF_INIT;
    schema_ctx x = {NULL, 0};
    int rc;
    char what[300];

    *out = NULL;
    if (!s || !table) return i2i_error_set(err, I2I_ERR_INVALID, "source_discover_schema: NULL argument");
    snprintf(what, sizeof what, "reading the schema of '%.200s'", table);
    if (i2i_buf_append_str(&sql, "SELECT column_name, data_type, is_nullable FROM information_schema.columns "
                                 "WHERE table_schema = 'iox' AND table_name = ") != I2I_OK) {
        rc = i2i_error_nomem(err, "building a query");
        goto out;
    }
    I2I_TRY_GOTO(source_quote_literal(&sql, table, strlen(table), err), rc, out);
    if (!i2i_buf_cstr(&sql)) {
        rc = i2i_error_nomem(err, "building a query");
        goto out;
    }
    I2I_TRY_GOTO(src_query_collect(s, (const char *)sql.data, what, &body, NULL, err), rc, out);
    x.sc = calloc(1, sizeof *x.sc);
    if (!x.sc || !(x.sc->table = i2i_strdup(table))) {
        rc = i2i_error_nomem(err, "reading the schema");
        goto out;
    }
    x.sc->time_index = -1;
    I2I_TRY_GOTO(src_for_each_line(&body, what, schema_row, &x, err), rc, out);
    if (x.sc->ncols == 0) {
        /* information_schema has no rows for a table that does not exist: say which ones do. */
        rc = source_check_table(s, table, err);
        if (rc == I2I_OK) rc = i2i_error_set(err, I2I_ERR_FORMAT, "measurement '%s' has no columns", table);
        goto out;
    }
    {
        int ti = source_schema_find(x.sc, "time");
        if (ti < 0 || x.sc->cols[ti].role != SOURCE_ROLE_TIME) {
            rc = i2i_error_set(err, I2I_ERR_FORMAT, "measurement '%s' has no timestamp column named 'time'", table);
            goto out;
        }
        x.sc->time_index = ti;
    }
    *out = x.sc;
    x.sc = NULL;
    rc = I2I_OK;
out:
    source_schema_free(x.sc);
    i2i_buf_free(&sql);
    i2i_buf_free(&body);
    return rc;
}

int source_batch_new(const source_schema *schema, const char *const *columns, size_t ncolumns,
                     size_t capacity, columnar_batch **out, i2i_error *err)
{
    columnar_field *f;
    size_t i, n = 0, total = columns ? ncolumns + 1 : schema->ncols;
    int rc;
    *out = NULL;
    if (schema->time_index < 0) return i2i_error_set(err, I2I_ERR_INVALID, "schema has no time column");
    f = calloc(total ? total : 1, sizeof *f);
    if (!f) return i2i_error_nomem(err, "creating a batch");
    if (!columns) {
        for (i = 0; i < schema->ncols; i++) {
            f[n].name = schema->cols[i].name;
            f[n].type = schema->cols[i].type;
            f[n].unit = COLUMNAR_NANOS;
            n++;
        }
    } else {
        int has_time = 0;
        for (i = 0; i < ncolumns; i++) has_time |= strcmp(columns[i], "time") == 0;
        if (!has_time) {
            const source_column *t = &schema->cols[schema->time_index];
            f[n].name = t->name;
            f[n].type = t->type;
            f[n].unit = COLUMNAR_NANOS;
            n++;
        }
        for (i = 0; i < ncolumns; i++) {
            int ci = source_schema_find(schema, columns[i]);
            size_t k;
            if (ci < 0) {
                free(f);
                return i2i_error_set(err, I2I_ERR_NOT_FOUND, "measurement '%s' has no column '%s'",
                                     schema->table, columns[i]);
            }
            for (k = 0; k < n; k++) {
                if (strcmp(f[k].name, columns[i]) == 0) {
                    free(f);
                    return i2i_error_set(err, I2I_ERR_INVALID, "column '%s' selected twice", columns[i]);
                }
            }
            f[n].name = schema->cols[ci].name;
            f[n].type = schema->cols[ci].type;
            f[n].unit = COLUMNAR_NANOS;
            n++;
        }
    }
    rc = columnar_batch_new(f, n, capacity, out, err);
    free(f);
    return rc;
}
