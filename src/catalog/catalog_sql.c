/*
 * The SQL catalog (PyIceberg SqlCatalog / Java JdbcCatalog compatible), written once over the
 * tiny driver interface in catalog_internal.h; SQLite and PostgreSQL differ only in their driver.
 *
 * Tables: iceberg_tables + iceberg_namespace_properties, exactly as PyIceberg's SQLAlchemy models
 * declare them (created when missing unless init_catalog_tables is false). The iceberg_type
 * column (Java's "V1" schema, newer PyIceberg) is used when the table has it, so catalogs created
 * by older PyIceberg versions keep working.
 *
 * Commit = write <metadata dir>/<NNNNN>-<uuid>.metadata.json, then in one transaction
 *   UPDATE iceberg_tables SET metadata_location = new, previous_metadata_location = old
 *    WHERE catalog_name = .. AND table_namespace = .. AND table_name = ..
 *      AND metadata_location = old
 * 1 row: done. 0 rows: I2I_ERR_CONFLICT (or NOT_FOUND when the row is gone) and our file is
 * removed. When the connection drops after the statement was sent, the session is settled (see
 * sql_driver.settle) and the row re-read to decide; I2I_ERR_UNKNOWN only when that is impossible.
 */
#include "catalog_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <strings.h>

/* ---------------------------------------------------------------- statements */

static const char DDL_TABLES[] =
    "CREATE TABLE IF NOT EXISTS iceberg_tables ("
    "catalog_name VARCHAR(255) NOT NULL, "
    "table_namespace VARCHAR(255) NOT NULL, "
    "table_name VARCHAR(255) NOT NULL, "
    "metadata_location VARCHAR(1000), "
    "previous_metadata_location VARCHAR(1000), "
    "iceberg_type VARCHAR(5), "
    "PRIMARY KEY (catalog_name, table_namespace, table_name))";

static const char DDL_NAMESPACES[] =
    "CREATE TABLE IF NOT EXISTS iceberg_namespace_properties ("
    "catalog_name VARCHAR(255) NOT NULL, "
    "namespace VARCHAR(255) NOT NULL, "
    "property_key VARCHAR(255) NOT NULL, "
    "property_value VARCHAR(1000) NOT NULL, "
    "PRIMARY KEY (catalog_name, namespace, property_key))";

static const char PROBE_TABLES[] = "SELECT 1 FROM iceberg_tables WHERE 1 = 0";
static const char PROBE_NAMESPACES[] = "SELECT 1 FROM iceberg_namespace_properties WHERE 1 = 0";
static const char PROBE_TYPE[] = "SELECT iceberg_type FROM iceberg_tables WHERE 1 = 0";

#define KEY_WHERE "catalog_name = $1 AND table_namespace = $2 AND table_name = $3"
#define TYPE_FILTER " AND (iceberg_type = 'TABLE' OR iceberg_type IS NULL)"

/* [0] without iceberg_type, [1] with it. */
static const char *const SELECT_ROW[2] = {
    "SELECT metadata_location, previous_metadata_location FROM iceberg_tables WHERE " KEY_WHERE,
    "SELECT metadata_location, previous_metadata_location FROM iceberg_tables WHERE " KEY_WHERE
        TYPE_FILTER,
};
static const char *const INSERT_TABLE[2] = {
    "INSERT INTO iceberg_tables (catalog_name, table_namespace, table_name, metadata_location, "
    "previous_metadata_location) VALUES ($1, $2, $3, $4, NULL)",
    "INSERT INTO iceberg_tables (catalog_name, table_namespace, table_name, metadata_location, "
    "previous_metadata_location, iceberg_type) VALUES ($1, $2, $3, $4, NULL, 'TABLE')",
};
static const char *const UPDATE_CAS[2] = {
    "UPDATE iceberg_tables SET metadata_location = $4, previous_metadata_location = $5 WHERE "
    KEY_WHERE " AND metadata_location = $5",
    "UPDATE iceberg_tables SET metadata_location = $4, previous_metadata_location = $5 WHERE "
    KEY_WHERE " AND metadata_location = $5" TYPE_FILTER,
};
static const char *const DELETE_TABLE[2] = {
    "DELETE FROM iceberg_tables WHERE " KEY_WHERE,
    "DELETE FROM iceberg_tables WHERE " KEY_WHERE TYPE_FILTER,
};

static const char NS_IN_TABLES[] =
    "SELECT 1 FROM iceberg_tables WHERE catalog_name = $1 AND "
    "(table_namespace = $2 OR table_namespace LIKE $3 ESCAPE '!') LIMIT 1";
static const char NS_IN_PROPS[] =
    "SELECT 1 FROM iceberg_namespace_properties WHERE catalog_name = $1 AND "
    "(namespace = $2 OR namespace LIKE $3 ESCAPE '!') LIMIT 1";
static const char NS_INSERT[] =
    "INSERT INTO iceberg_namespace_properties (catalog_name, namespace, property_key, "
    "property_value) VALUES ($1, $2, 'exists', 'true')";
static const char NS_LOCATION[] =
    "SELECT property_value FROM iceberg_namespace_properties WHERE catalog_name = $1 AND "
    "namespace = $2 AND property_key = 'location'";

/* ---------------------------------------------------------------- state */

typedef struct sql_state {
    cat_ctx *ctx;
    const sql_driver *drv;
    void *conn;
    int has_type; /* iceberg_tables has the iceberg_type column */
} sql_state;

static const char *where(const sql_state *s) { return s->drv->describe(s->conn); }

static int streq(const char *a, const char *b) { return a && b && strcmp(a, b) == 0; }

/* ---------------------------------------------------------------- open + DDL */

static int probe(sql_state *s, const char *sql)
{
    i2i_error e;
    return s->drv->exec(s->conn, sql, 0, NULL, NULL, &e);
}

static int cfg_bool(const json_t *configs, const char *key, int dflt, int *out, i2i_error *err)
{
    const json_t *v = json_object_get(configs, key);
    const char *t;
    *out = dflt;
    if (!v) return I2I_OK;
    if (json_is_boolean(v)) {
        *out = json_is_true(v);
        return I2I_OK;
    }
    t = json_string_value(v);
    if (t && (strcasecmp(t, "true") == 0 || strcasecmp(t, "1") == 0 || strcasecmp(t, "yes") == 0 ||
              strcasecmp(t, "on") == 0 || strcasecmp(t, "y") == 0 || strcasecmp(t, "t") == 0)) {
        *out = 1;
        return I2I_OK;
    }
    if (t && (strcasecmp(t, "false") == 0 || strcasecmp(t, "0") == 0 || strcasecmp(t, "no") == 0 ||
              strcasecmp(t, "off") == 0 || strcasecmp(t, "n") == 0 || strcasecmp(t, "f") == 0)) {
        *out = 0;
        return I2I_OK;
    }
    return i2i_error_set(err, I2I_ERR_INVALID, "catalog_configs: \"%s\" must be true or false",
                         key);
}

static int ensure_tables(sql_state *s, int init, i2i_error *err)
{
    int tables_ok = probe(s, PROBE_TABLES) == I2I_OK;
    int ns_ok = probe(s, PROBE_NAMESPACES) == I2I_OK;
    if (!(tables_ok && ns_ok) && init) {
        /* Concurrent creators can race inside CREATE TABLE IF NOT EXISTS (PostgreSQL reports a
         * unique violation on its catalog); what matters is that the tables exist afterwards. */
        int rc1 = s->drv->exec(s->conn, DDL_TABLES, 0, NULL, NULL, err);
        if (rc1 != I2I_OK && probe(s, PROBE_TABLES) != I2I_OK) return rc1;
        rc1 = s->drv->exec(s->conn, DDL_NAMESPACES, 0, NULL, NULL, err);
        if (rc1 != I2I_OK && probe(s, PROBE_NAMESPACES) != I2I_OK) return rc1;
    } else if (!(tables_ok && ns_ok)) {
        /* Leave them missing (init_catalog_tables = false): statements will fail and say so. */
        I2I_WARN("catalog '%s' (%s): the catalog tables are missing and init_catalog_tables is "
                 "false",
                 s->ctx->name, where(s));
    }
    s->has_type = probe(s, PROBE_TYPE) == I2I_OK;
    return I2I_OK;
}

static void sql_close(void *state)
{
    sql_state *s = state;
    if (!s) return;
    if (s->drv && s->conn) s->drv->close(s->conn);
    cat_ctx_free(s->ctx);
    free(s);
}

/* ---------------------------------------------------------------- operations */

static int read_row(sql_state *s, const char *ns, const char *table, char **cur, char **prev,
                    i2i_error *err)
{
    const char *params[3] = {s->ctx->name, ns, table};
    char *cols[2];
    int rc = s->drv->query_row(s->conn, SELECT_ROW[s->has_type], 3, params, 2, cols, err);
    *cur = *prev = NULL;
    if (rc < 0) return rc;
    if (rc == 0) return 0;
    *cur = cols[0];
    *prev = cols[1];
    return 1;
}

static int sql_load(void *state, const char *ns, const char *table, catalog_table *out,
                    i2i_error *err)
{
    sql_state *s = state;
    char *cur, *prev;
    json_t *md = NULL;
    int rc = read_row(s, ns, table, &cur, &prev, err);
    free(prev);
    if (rc < 0)
        return CAT_WRAP(rc, err, "catalog '%s': load table '%s.%s'", s->ctx->name, ns, table);
    if (rc == 0 || !cur) {
        free(cur);
        return i2i_error_set(err, I2I_ERR_NOT_FOUND,
                             "catalog '%s' (%s): table '%s.%s' does not exist",
                             s->ctx->name, where(s), ns, table);
    }
    rc = cat_read_metadata(s->ctx, cur, &md, err);
    if (rc == I2I_OK) {
        catalog_table_clear(out);
        out->metadata_location = cur;
        out->metadata = md;
        return I2I_OK;
    }
    free(cur);
    return CAT_WRAP(rc, err, "catalog '%s': load table '%s.%s'", s->ctx->name, ns, table);
}

/* LIKE pattern for "children of ns", escaped with '!' as PyIceberg does. */
static char *children_pattern(const char *ns)
{
    i2i_buf b = I2I_BUF_INIT;
    const char *p;
    for (p = ns; *p; p++) {
        if (*p == '!' || *p == '_' || *p == '%') i2i_buf_put_u8(&b, '!');
        i2i_buf_put_u8(&b, (uint8_t)*p);
    }
    i2i_buf_append_str(&b, ".%");
    if (!i2i_buf_cstr(&b)) {
        i2i_buf_free(&b);
        return NULL;
    }
    return (char *)i2i_buf_detach(&b, NULL);
}

static int sql_ensure_namespace(void *state, const char *ns, i2i_error *err)
{
    sql_state *s = state;
    char *pattern = children_pattern(ns);
    const char *params[3];
    char *col = NULL;
    int rc;
    if (!pattern) return i2i_error_nomem(err, "checking a namespace");
    params[0] = s->ctx->name;
    params[1] = ns;
    params[2] = pattern;
    rc = s->drv->query_row(s->conn, NS_IN_TABLES, 3, params, 1, &col, err);
    free(col);
    if (rc == 0) {
        rc = s->drv->query_row(s->conn, NS_IN_PROPS, 3, params, 1, &col, err);
        free(col);
    }
    if (rc == 0) {
        rc = s->drv->exec(s->conn, NS_INSERT, 2, params, NULL, err);
        if (rc == I2I_ERR_EXISTS) rc = I2I_OK; /* created concurrently */
    }
    free(pattern);
    if (rc < 0)
        return CAT_WRAP(rc, err, "catalog '%s': ensure namespace '%s'", s->ctx->name, ns);
    return I2I_OK;
}

static int sql_default_location(void *state, const char *ns, const char *table, char **out,
                                i2i_error *err)
{
    sql_state *s = state;
    const char *params[2] = {s->ctx->name, ns};
    char *loc = NULL, *nsdir;
    int rc = s->drv->query_row(s->conn, NS_LOCATION, 2, params, 1, &loc, err);
    *out = NULL;
    if (rc < 0)
        return CAT_WRAP(rc, err, "catalog '%s': location of namespace '%s'", s->ctx->name, ns);
    if (rc == 1 && loc && *loc) {
        *out = cat_join(loc, table);
        free(loc);
        return *out ? I2I_OK : i2i_error_nomem(err, "building a location");
    }
    free(loc);
    if (!s->ctx->warehouse)
        return i2i_error_set(err, I2I_ERR_INVALID,
                             "catalog '%s': no \"warehouse\" configured and namespace '%s' has no "
                             "location property; cannot place table '%s'",
                             s->ctx->name, ns, table);
    nsdir = cat_ns_path(ns);
    *out = nsdir ? cat_printf("%s/%s/%s", s->ctx->warehouse, nsdir, table) : NULL;
    free(nsdir);
    return *out ? I2I_OK : i2i_error_nomem(err, "building a location");
}

static int sql_drop(void *state, const char *ns, const char *table, i2i_error *err)
{
    sql_state *s = state;
    const char *params[3] = {s->ctx->name, ns, table};
    int64_t n = 0;
    int rc = s->drv->exec(s->conn, DELETE_TABLE[s->has_type], 3, params, &n, err);
    if (rc < 0)
        return CAT_WRAP(rc, err, "catalog '%s': drop table '%s.%s'", s->ctx->name, ns, table);
    if (n < 1)
        return i2i_error_set(err, I2I_ERR_NOT_FOUND,
                             "catalog '%s' (%s): table '%s.%s' does not exist",
                             s->ctx->name, where(s), ns, table);
    return I2I_OK;
}

/* Version of "<dir>/NNNNN-<uuid>.metadata.json" (PyIceberg's parse: leading digits before '-'),
 * -1 when the name does not follow the pattern. */
static long parse_version(const char *location)
{
    const char *b = cat_basename(location), *p = b;
    long v = 0;
    size_t n = strlen(b);
    if (n < 14 || strcmp(b + n - 14, ".metadata.json") != 0) return -1;
    while (*p >= '0' && *p <= '9') {
        if (v > 99999999L) return -1;
        v = v * 10 + (*p - '0');
        p++;
    }
    if (p == b || *p != '-') return -1;
    return v;
}

static int new_metadata_location(const json_t *md, long version, char **out, i2i_error *err)
{
    char *dir, uuid[37];
    *out = NULL;
    int rc;
    I2I_TRY(cat_metadata_dir(md, &dir, err));
    rc = i2i_uuid4(uuid, err);
    if (rc != I2I_OK) {
        free(dir);
        return rc;
    }
    *out = cat_printf("%s/%05ld-%s.metadata.json", dir, version, uuid);
    free(dir);
    return *out ? I2I_OK : i2i_error_nomem(err, "naming a metadata file");
}

/*
 * The outcome of a statement whose reply was lost. Settle the session (roll back, or reconnect
 * and wait for the old session to end), then read the row:
 *   current == ours, or previous == ours       -> ours landed: OK
 *   session not known to have ended            -> UNKNOWN (keep our file)
 *   no row                                     -> NOT_FOUND (dropped meanwhile)
 *   current == base (or, creating, no row)     -> not applied: TRANSIENT (retry)
 *   previous == base                           -> another writer won: CONFLICT
 *   otherwise                                  -> UNKNOWN
 * *remove_file tells whether our metadata file can go.
 */
static int resolve_outcome(sql_state *s, const char *ns, const char *table, const char *base,
                           const char *ours, const i2i_error *cause, int *remove_file,
                           i2i_error *err)
{
    i2i_error e2;
    char *cur = NULL, *prev = NULL;
    int settled, found, rc;

    *remove_file = 0;
    settled = s->drv->settle(s->conn, &e2);
    if (settled < 0)
        return i2i_error_set(err, I2I_ERR_UNKNOWN,
                             "catalog '%s': commit of '%s.%s' has an unknown outcome (%s); could "
                             "not reconnect to check: %s",
                             s->ctx->name, ns, table, cause->msg, e2.msg);
    found = read_row(s, ns, table, &cur, &prev, &e2);
    if (found < 0)
        return i2i_error_set(err, I2I_ERR_UNKNOWN,
                             "catalog '%s': commit of '%s.%s' has an unknown outcome (%s); could "
                             "not re-read the table row: %s",
                             s->ctx->name, ns, table, cause->msg, e2.msg);
    if (found && (streq(cur, ours) || streq(prev, ours))) {
        I2I_INFO("catalog '%s': commit of '%s.%s' confirmed after a lost reply (%s)", s->ctx->name,
                 ns, table, cause->msg);
        rc = I2I_OK;
    } else if (!settled) {
        rc = i2i_error_set(err, I2I_ERR_UNKNOWN,
                           "catalog '%s': commit of '%s.%s' has an unknown outcome: %s (the old "
                           "database session may still finish it; metadata file '%s' kept)",
                           s->ctx->name, ns, table, cause->msg, ours);
    } else if (!found && base) {
        *remove_file = 1;
        rc = i2i_error_set(err, I2I_ERR_NOT_FOUND,
                           "catalog '%s': table '%s.%s' was dropped during the commit (%s)",
                           s->ctx->name, ns, table, cause->msg);
    } else if ((!found && !base) || (base && streq(cur, base))) {
        *remove_file = 1;
        rc = i2i_error_set(err, I2I_ERR_TRANSIENT,
                           "catalog '%s': commit of '%s.%s' was not applied: %s", s->ctx->name, ns,
                           table, cause->msg);
    } else if (!base || streq(prev, base)) {
        *remove_file = 1;
        rc = base ? i2i_error_set(err, I2I_ERR_CONFLICT,
                                  "catalog '%s': table '%s.%s' was updated by another writer "
                                  "(now '%s') while our commit failed: %s",
                                  s->ctx->name, ns, table, cur ? cur : "(null)", cause->msg)
                  : i2i_error_set(err, I2I_ERR_EXISTS,
                                  "catalog '%s': table '%s.%s' already exists", s->ctx->name, ns,
                                  table);
    } else {
        rc = i2i_error_set(err, I2I_ERR_UNKNOWN,
                           "catalog '%s': commit of '%s.%s' has an unknown outcome: %s (the table "
                           "moved on to '%s'; metadata file '%s' kept)",
                           s->ctx->name, ns, table, cause->msg, cur ? cur : "(null)", ours);
    }
    free(cur);
    free(prev);
    return rc;
}

static int sql_create(sql_state *s, const char *ns, const char *table, const char *loc,
                      i2i_error *err)
{
    const char *params[4] = {s->ctx->name, ns, table, loc};
    i2i_error cause;
    int rc, remove_file = 1;

    rc = s->drv->exec(s->conn, INSERT_TABLE[s->has_type], 4, params, NULL, &cause);
    if (rc == I2I_OK) return I2I_OK;
    if (rc == I2I_ERR_EXISTS) {
        rc = i2i_error_set(err, I2I_ERR_EXISTS, "catalog '%s' (%s): table '%s.%s' already exists",
                           s->ctx->name, where(s), ns, table);
    } else if (s->drv->lost(s->conn)) {
        rc = resolve_outcome(s, ns, table, NULL, loc, &cause, &remove_file, err);
    } else {
        if (err) *err = cause;
        i2i_error_wrap(err, "catalog '%s': create table '%s.%s'", s->ctx->name, ns, table);
    }
    if (rc != I2I_OK && remove_file) cat_remove_quietly(s->ctx, loc);
    return rc;
}

static int sql_swap(sql_state *s, const char *ns, const char *table, const char *base,
                    const char *loc, i2i_error *err)
{
    const char *params[5] = {s->ctx->name, ns, table, loc, base};
    i2i_error cause;
    int64_t n = 0;
    int rc, remove_file = 1;

    rc = s->drv->exec(s->conn, s->drv->begin_sql, 0, NULL, NULL, &cause);
    if (rc != I2I_OK) {
        /* Nothing of ours was sent yet: not applied. */
        s->drv->settle(s->conn, &cause);
        if (err) *err = cause;
        i2i_error_wrap(err, "catalog '%s': commit of '%s.%s'", s->ctx->name, ns, table);
        cat_remove_quietly(s->ctx, loc);
        return rc;
    }
    rc = i2i_fault_at(s->ctx->fault, "sql.before-update", &cause);
    if (rc == I2I_OK) rc = s->drv->exec(s->conn, UPDATE_CAS[s->has_type], 5, params, &n, &cause);
    if (rc != I2I_OK) goto failed;
    if (n != 1) {
        char *cur = NULL, *prev = NULL;
        int found;
        s->drv->exec(s->conn, "ROLLBACK", 0, NULL, NULL, &cause);
        if (n > 1) {
            cat_remove_quietly(s->ctx, loc);
            return i2i_error_set(err, I2I_ERR_INTERNAL,
                                 "catalog '%s': commit of '%s.%s' matched %lld rows", s->ctx->name,
                                 ns, table, (long long)n);
        }
        found = read_row(s, ns, table, &cur, &prev, &cause);
        if (found == 0)
            rc = i2i_error_set(err, I2I_ERR_NOT_FOUND,
                               "catalog '%s' (%s): commit of '%s.%s': the table no longer exists",
                               s->ctx->name, where(s), ns, table);
        else
            rc = i2i_error_set(err, I2I_ERR_CONFLICT,
                               "catalog '%s' (%s): commit of '%s.%s' lost a race: the table's "
                               "metadata is now '%s', not our base '%s'; reload and retry",
                               s->ctx->name, where(s), ns, table,
                               found > 0 && cur ? cur : "(unknown)", base);
        free(cur);
        free(prev);
        cat_remove_quietly(s->ctx, loc);
        return rc;
    }
    if (i2i_fault_at(s->ctx->fault, "sql.before-commit", &cause) < 0) s->drv->break_connection(s->conn);
    rc = s->drv->exec(s->conn, "COMMIT", 0, NULL, NULL, &cause);
    if (rc != I2I_OK) goto failed;
    if (i2i_fault_at(s->ctx->fault, "sql.after-commit", &cause) < 0) {
        s->drv->break_connection(s->conn);
        i2i_error_wrap(&cause, "reply to COMMIT lost");
        rc = I2I_ERR_TRANSIENT;
        goto lost;
    }
    return I2I_OK;

failed:
    if (!s->drv->lost(s->conn)) {
        /* The database answered with an error: the transaction did not commit. */
        i2i_error ignored;
        s->drv->settle(s->conn, &ignored);
        if (err) *err = cause;
        i2i_error_wrap(err, "catalog '%s': commit of '%s.%s'", s->ctx->name, ns, table);
        cat_remove_quietly(s->ctx, loc);
        return rc;
    }
lost:
    rc = resolve_outcome(s, ns, table, base, loc, &cause, &remove_file, err);
    if (rc != I2I_OK && remove_file) cat_remove_quietly(s->ctx, loc);
    return rc;
}

static int sql_commit(void *state, const char *ns, const char *table,
                      const catalog_commit_request *req, catalog_table *out, i2i_error *err)
{
    sql_state *s = state;
    const char *base = req->base ? req->base->metadata_location : NULL;
    long version = 0;
    char *loc = NULL;
    int rc;

    if (base) {
        version = parse_version(base) + 1; /* an unparsable name restarts at 0, like PyIceberg */
        if (version > 99999999L) version = 0;
    }
    rc = new_metadata_location(req->new_metadata, version, &loc, err);
    if (rc != I2I_OK)
        return CAT_WRAP(rc, err, "catalog '%s': commit of '%s.%s'", s->ctx->name, ns, table);
    rc = cat_write_metadata(s->ctx, loc, req->new_metadata, 0, err);
    if (rc != I2I_OK) {
        free(loc);
        return CAT_WRAP(rc, err, "table '%s.%s'", ns, table);
    }
    rc = base ? sql_swap(s, ns, table, base, loc, err)
              : sql_create(s, ns, table, loc, err);
    if (rc == I2I_OK && out) rc = cat_table_set(out, loc, req->new_metadata, err);
    free(loc);
    return rc;
}

static void sql_set_cancel(void *state, const volatile int *cancel)
{
    sql_state *s = state;
    if (s->drv->set_cancel) s->drv->set_cancel(s->conn, cancel);
}

static const catalog_ops sql_ops = {
    .type = "sql",
    .load_table = sql_load,
    .ensure_namespace = sql_ensure_namespace,
    .commit = sql_commit,
    .default_location = sql_default_location,
    .drop_table = sql_drop,
    .close = sql_close,
    .set_cancel = sql_set_cancel,
};

int catalog_sql_open(cat_ctx *ctx, const json_t *configs, const char *base_dir,
                     const catalog_ops **ops, void **state, i2i_error *err)
{
    const char *uri = json_string_value(json_object_get(configs, "uri"));
    sql_state *s;
    int init, rc;

    *state = NULL;
    if (!uri || !*uri) {
        rc = i2i_error_set(err, I2I_ERR_INVALID,
                           "catalog '%s': type sql needs a \"uri\" (sqlite:///path.db or "
                           "postgresql://user:pass@host:port/db)",
                           ctx->name);
        cat_ctx_free(ctx);
        return rc;
    }
    rc = cfg_bool(configs, "init_catalog_tables", 1, &init, err);
    if (rc != I2I_OK) {
        cat_ctx_free(ctx);
        return rc;
    }
    s = calloc(1, sizeof *s);
    if (!s) {
        cat_ctx_free(ctx);
        return i2i_error_nomem(err, "opening the SQL catalog");
    }
    s->ctx = ctx;
    if (strncasecmp(uri, "sqlite", 6) == 0) {
        rc = sql_sqlite_connect(uri, base_dir, &s->drv, &s->conn, err);
    } else if (strncasecmp(uri, "postgresql", 10) == 0 || strncasecmp(uri, "postgres:", 9) == 0) {
        rc = sql_postgres_connect(uri, &s->drv, &s->conn, err);
    } else {
        char *masked = sql_uri_masked(uri);
        rc = i2i_error_set(err, I2I_ERR_UNSUPPORTED,
                           "catalog '%s': unsupported SQL database URI '%s' (sqlite or "
                           "postgresql)",
                           ctx->name, masked ? masked : "?");
        free(masked);
    }
    if (rc == I2I_OK) rc = ensure_tables(s, init, err);
    if (rc != I2I_OK) {
        i2i_error_wrap(err, "catalog '%s'", ctx->name);
        sql_close(s);
        return rc;
    }
    *ops = &sql_ops;
    *state = s;
    return I2I_OK;
}
