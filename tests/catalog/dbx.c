/* See dbx.h. */
#include "dbx.h"

#include <libpq-fe.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct dbx {
    PGconn *pg;
    sqlite3 *lite;
};

dbx *dbx_open(const char *target)
{
    dbx *d = calloc(1, sizeof *d);
    if (!d) return NULL;
    if (strncmp(target, "postgres", 8) == 0) {
        d->pg = PQconnectdb(target);
        if (PQstatus(d->pg) != CONNECTION_OK) {
            fprintf(stderr, "dbx: connect failed: %s\n", PQerrorMessage(d->pg));
            dbx_close(d);
            return NULL;
        }
        PQclear(PQexec(d->pg, "SET client_min_messages = warning"));
    } else if (sqlite3_open(target, &d->lite) != SQLITE_OK) {
        fprintf(stderr, "dbx: open %s failed\n", target);
        dbx_close(d);
        return NULL;
    }
    return d;
}

void dbx_close(dbx *d)
{
    if (!d) return;
    if (d->pg) PQfinish(d->pg);
    if (d->lite) sqlite3_close(d->lite);
    free(d);
}

int dbx_exec(dbx *d, const char *sql)
{
    if (d->pg) {
        PGresult *r = PQexec(d->pg, sql);
        int ok = PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK;
        if (!ok) fprintf(stderr, "dbx: %s: %s\n", sql, PQresultErrorMessage(r));
        PQclear(r);
        return ok ? 0 : -1;
    } else {
        char *msg = NULL;
        if (sqlite3_exec(d->lite, sql, NULL, NULL, &msg) != SQLITE_OK) {
            fprintf(stderr, "dbx: %s: %s\n", sql, msg ? msg : "?");
            sqlite3_free(msg);
            return -1;
        }
        return 0;
    }
}

static void append(char *out, size_t outsz, const char *s)
{
    size_t l = strlen(out);
    if (l + 1 < outsz) snprintf(out + l, outsz - l, "%s", s);
}

int dbx_query_all(dbx *d, const char *sql, int nparams, const char *const *params, char *out,
                  size_t outsz)
{
    int rows = 0;
    out[0] = '\0';
    if (d->pg) {
        PGresult *r = PQexecParams(d->pg, sql, nparams, NULL, params, NULL, NULL, 0);
        int i, j;
        if (PQresultStatus(r) == PGRES_COMMAND_OK) {
            PQclear(r);
            return 0;
        }
        if (PQresultStatus(r) != PGRES_TUPLES_OK) {
            fprintf(stderr, "dbx: %s: %s\n", sql, PQresultErrorMessage(r));
            PQclear(r);
            return -1;
        }
        for (i = 0; i < PQntuples(r); i++) {
            if (i) append(out, outsz, "\n");
            for (j = 0; j < PQnfields(r); j++) {
                if (j) append(out, outsz, "|");
                append(out, outsz, PQgetisnull(r, i, j) ? "(null)" : PQgetvalue(r, i, j));
            }
            rows++;
        }
        PQclear(r);
    } else {
        sqlite3_stmt *st;
        int rc, i;
        if (sqlite3_prepare_v2(d->lite, sql, -1, &st, NULL) != SQLITE_OK) {
            fprintf(stderr, "dbx: %s: %s\n", sql, sqlite3_errmsg(d->lite));
            return -1;
        }
        for (i = 0; i < nparams; i++) {
            char name[16];
            int idx;
            snprintf(name, sizeof name, "$%d", i + 1);
            idx = sqlite3_bind_parameter_index(st, name);
            if (idx) sqlite3_bind_text(st, idx, params[i], -1, SQLITE_TRANSIENT);
        }
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
            int j;
            if (rows) append(out, outsz, "\n");
            for (j = 0; j < sqlite3_column_count(st); j++) {
                const unsigned char *t = sqlite3_column_text(st, j);
                if (j) append(out, outsz, "|");
                append(out, outsz, t ? (const char *)t : "(null)");
            }
            rows++;
        }
        if (rc != SQLITE_DONE) {
            fprintf(stderr, "dbx: %s: %s\n", sql, sqlite3_errmsg(d->lite));
            rows = -1;
        }
        sqlite3_finalize(st);
    }
    return rows;
}

int dbx_query(dbx *d, const char *sql, int nparams, const char *const *params, char *out,
              size_t outsz)
{
    int rows = dbx_query_all(d, sql, nparams, params, out, outsz);
    char *nl, *bar;
    if (rows <= 0) return rows;
    nl = strchr(out, '\n');
    if (nl) *nl = '\0';
    bar = strchr(out, '|');
    if (bar) *bar = '\0';
    return 1;
}
