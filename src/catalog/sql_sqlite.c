/* SQLite driver for the SQL catalog. The database keeps SQLite's default rollback journal (no
 * WAL, so a catalog on a network or shared file system behaves like PyIceberg's), with a busy
 * timeout so concurrent processes wait for each other instead of failing, and BEGIN IMMEDIATE for
 * commits so the write lock is taken before the compare-and-swap reads anything. */
#include "catalog_internal.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>

#define SQLITE_BUSY_TIMEOUT_MS 60000

typedef struct lite_conn {
    sqlite3 *db;
    char *where;
    int broken; /* test hook: the "connection" is down until settle() */
} lite_conn;

static int lite_fail(lite_conn *c, int rc, const char *sql, i2i_error *err)
{
    int code = I2I_ERR_IO;
    int ext = c->db ? sqlite3_extended_errcode(c->db) : rc;
    int prim = ext & 0xff;
    if (ext == SQLITE_CONSTRAINT_PRIMARYKEY || ext == SQLITE_CONSTRAINT_UNIQUE)
        code = I2I_ERR_EXISTS;
    else if (prim == SQLITE_BUSY || prim == SQLITE_LOCKED)
        code = I2I_ERR_TRANSIENT;
    else if (prim == SQLITE_NOMEM)
        code = I2I_ERR_NOMEM;
    return i2i_error_set(err, code, "SQLite database '%s': statement \"%s\" failed: %s (%s)",
                         c->where, sql, c->db ? sqlite3_errmsg(c->db) : sqlite3_errstr(rc),
                         sqlite3_errstr(ext));
}

static int lite_prepare(lite_conn *c, const char *sql, int nparams, const char *const *params,
                        sqlite3_stmt **out, i2i_error *err)
{
    sqlite3_stmt *st = NULL;
    int rc, i;
    *out = NULL;
    if (c->broken)
        return i2i_error_set(err, I2I_ERR_TRANSIENT,
                             "SQLite database '%s': statement \"%s\" failed: connection broken "
                             "(test fault)",
                             c->where, sql);
    rc = sqlite3_prepare_v2(c->db, sql, -1, &st, NULL);
    if (rc != SQLITE_OK) return lite_fail(c, rc, sql, err);
    for (i = 0; i < nparams; i++) {
        char name[16];
        int idx;
        snprintf(name, sizeof name, "$%d", i + 1);
        idx = sqlite3_bind_parameter_index(st, name);
        if (idx == 0) continue; /* not used by this statement */
        rc = params[i] ? sqlite3_bind_text(st, idx, params[i], -1, SQLITE_TRANSIENT)
                       : sqlite3_bind_null(st, idx);
        if (rc != SQLITE_OK) {
            sqlite3_finalize(st);
            return lite_fail(c, rc, sql, err);
        }
    }
    *out = st;
    return I2I_OK;
}

static int lite_exec(void *conn, const char *sql, int nparams, const char *const *params,
                     int64_t *affected, i2i_error *err)
{
    lite_conn *c = conn;
    sqlite3_stmt *st;
    int rc;
    I2I_TRY(lite_prepare(c, sql, nparams, params, &st, err));
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    }
    if (rc != SQLITE_DONE) {
        int r = lite_fail(c, rc, sql, err);
        sqlite3_finalize(st);
        return r;
    }
    sqlite3_finalize(st);
    if (affected) *affected = sqlite3_changes(c->db);
    return I2I_OK;
}

static int lite_query_row(void *conn, const char *sql, int nparams, const char *const *params,
                          int ncols, char **cols, i2i_error *err)
{
    lite_conn *c = conn;
    sqlite3_stmt *st;
    int rc, i;
    for (i = 0; i < ncols; i++) cols[i] = NULL;
    I2I_TRY(lite_prepare(c, sql, nparams, params, &st, err));
    rc = sqlite3_step(st);
    if (rc == SQLITE_DONE) {
        sqlite3_finalize(st);
        return 0;
    }
    if (rc != SQLITE_ROW) {
        int r = lite_fail(c, rc, sql, err);
        sqlite3_finalize(st);
        return r;
    }
    for (i = 0; i < ncols; i++) {
        const unsigned char *t = sqlite3_column_text(st, i);
        if (!t) continue;
        cols[i] = i2i_strdup((const char *)t);
        if (!cols[i]) {
            int j;
            for (j = 0; j < i; j++) {
                free(cols[j]);
                cols[j] = NULL;
            }
            sqlite3_finalize(st);
            return i2i_error_nomem(err, "reading a row");
        }
    }
    sqlite3_finalize(st);
    return 1;
}

static int lite_lost(void *conn) { return ((lite_conn *)conn)->broken; }

/* SQLite is in-process: after a failure the transaction is either still open (roll it back) or
 * already rolled back by SQLite; either way the outcome is decided. */
static int lite_settle(void *conn, i2i_error *err)
{
    lite_conn *c = conn;
    (void)err;
    c->broken = 0;
    if (!sqlite3_get_autocommit(c->db)) {
        char *msg = NULL;
        if (sqlite3_exec(c->db, "ROLLBACK", NULL, NULL, &msg) != SQLITE_OK)
            I2I_WARN("SQLite database '%s': ROLLBACK failed: %s", c->where, msg ? msg : "?");
        sqlite3_free(msg);
    }
    return 1;
}

static void lite_break(void *conn) { ((lite_conn *)conn)->broken = 1; }

static const char *lite_describe(void *conn) { return ((lite_conn *)conn)->where; }

static void lite_close(void *conn)
{
    lite_conn *c = conn;
    if (!c) return;
    if (c->db) sqlite3_close_v2(c->db);
    free(c->where);
    free(c);
}

static const sql_driver lite_driver = {
    .dialect = "sqlite",
    .begin_sql = "BEGIN IMMEDIATE",
    .exec = lite_exec,
    .query_row = lite_query_row,
    .lost = lite_lost,
    .settle = lite_settle,
    .break_connection = lite_break,
    .describe = lite_describe,
    .close = lite_close,
};

/* SQLAlchemy's sqlite URLs: "sqlite://" and "sqlite:///:memory:" are in-memory, "sqlite:///rel"
 * is relative (to base_dir here), "sqlite:////abs" absolute. "sqlite+pysqlite://" is accepted.
 * Query parameters are ignored. */
static int sqlite_path(const char *uri, const char *base_dir, char **out, i2i_error *err)
{
    const char *p = strstr(uri, "://");
    size_t n;
    char *rel;
    int rc;
    *out = NULL;
    if (!p || strncasecmp(uri, "sqlite", 6) != 0 || (uri[6] != ':' && uri[6] != '+'))
        return i2i_error_set(err, I2I_ERR_INVALID, "catalog: '%s' is not a sqlite URI", uri);
    p += 3;
    n = strcspn(p, "?");
    if (p[n] == '?') I2I_WARN("catalog: ignoring the query part of the sqlite URI '%s'", uri);
    if (n == 0 || (n == strlen("/:memory:") && strncmp(p, "/:memory:", n) == 0)) {
        *out = i2i_strdup(":memory:");
        return *out ? I2I_OK : i2i_error_nomem(err, "opening SQLite");
    }
    if (p[0] != '/')
        return i2i_error_set(err, I2I_ERR_INVALID,
                             "catalog: sqlite URI '%s' names a host; use sqlite:///relative.db or "
                             "sqlite:////absolute.db",
                             uri);
    rel = i2i_strndup(p + 1, n - 1); /* "sqlite:///x" -> "x", "sqlite:////x" -> "/x" */
    if (!rel) return i2i_error_nomem(err, "opening SQLite");
    if (!*rel) {
        free(rel);
        return i2i_error_set(err, I2I_ERR_INVALID, "catalog: sqlite URI '%s' has no path", uri);
    }
    rc = cat_resolve_path(rel, base_dir, out, err);
    free(rel);
    return rc;
}

int sql_sqlite_connect(const char *uri, const char *base_dir, const sql_driver **drv, void **conn,
                       i2i_error *err)
{
    lite_conn *c;
    char *path;
    int rc;

    *conn = NULL;
    *drv = &lite_driver;
    I2I_TRY(sqlite_path(uri, base_dir, &path, err));
    if (strcmp(path, ":memory:") != 0 && (rc = cat_make_parent_dirs(path, err)) != I2I_OK) {
        free(path);
        return rc;
    }
    c = calloc(1, sizeof *c);
    if (!c) {
        free(path);
        return i2i_error_nomem(err, "opening SQLite");
    }
    c->where = path;
    rc = sqlite3_open_v2(path, &c->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
    if (rc != SQLITE_OK) {
        i2i_error_set(err, I2I_ERR_IO, "SQLite database '%s': open failed: %s", path,
                      c->db ? sqlite3_errmsg(c->db) : sqlite3_errstr(rc));
        lite_close(c);
        return I2I_ERR_IO;
    }
    sqlite3_extended_result_codes(c->db, 1);
    sqlite3_busy_timeout(c->db, SQLITE_BUSY_TIMEOUT_MS);
    *conn = c;
    return I2I_OK;
}
