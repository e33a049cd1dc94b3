/* Direct database access for catalog tests (SQLite file path or PostgreSQL URI), to look at the
 * catalog tables behind the catalog's back. */
#ifndef I2I_TEST_DBX_H
#define I2I_TEST_DBX_H

#include <stddef.h>

typedef struct dbx dbx;

/* target: "postgresql://..." (libpq URI) or a SQLite file path. NULL on failure (printed). */
dbx *dbx_open(const char *target);
void dbx_close(dbx *d);
/* Run a statement; 0 ok, -1 error (printed). */
int dbx_exec(dbx *d, const char *sql);
/* First column of the first row as text ("(null)" for NULL) into out; 1 row, 0 none, -1 error.
 * Parameters are $1..$n text values. */
int dbx_query(dbx *d, const char *sql, int nparams, const char *const *params, char *out,
              size_t outsz);
/* All rows, columns joined with '|' and rows with '\n', into out. Row count (0 for a statement
 * that returns no rows, e.g. UPDATE) or -1. */
int dbx_query_all(dbx *d, const char *sql, int nparams, const char *const *params, char *out,
                  size_t outsz);

#endif
