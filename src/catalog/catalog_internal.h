/*
 * catalog internals shared by the facade (catalog.c, catalog_util.c, catalog_metadata.c) and the
 * back-ends (catalog_sql.c,
 * catalog_hadoop.c) and the SQL drivers (sql_sqlite.c, sql_postgres.c). Not a public header:
 * only src/catalog and its tests include it.
 */
#ifndef I2I_CATALOG_INTERNAL_H
#define I2I_CATALOG_INTERNAL_H

#include "catalog.h"

/* ---------------------------------------------------------------- shared context */

#define CAT_MAX_EXTRA_STORAGE 4

/* What every back-end needs: names, where new tables go, and FileIO. Owned by the back-end's
 * state; `files` is borrowed from the catalog (which owns it), `extra` are storages opened on
 * demand for locations of another scheme than the warehouse's, owned here. */
typedef struct cat_ctx {
    char *name;      /* catalog name, "iceberg" by default */
    char *warehouse; /* normalised (plain paths become file:///abs), no trailing '/'; may be NULL */
    json_t *props;   /* the catalog_configs object (reference), FileIO keys included */
    storage *files;
    storage *extra[CAT_MAX_EXTRA_STORAGE];
    int nextra;
    const i2i_fault *fault; /* the catalog's test fault hook (borrowed; never NULL once open) */
    const volatile int *cancel; /* the job's stop flag (catalog_set_cancel), or NULL */
} cat_ctx;

void cat_ctx_free(cat_ctx *x); /* frees the members and extra storages, not x->files */

/* The storage that serves location (files, or one opened for its scheme). */
int cat_storage_for(cat_ctx *x, const char *location, storage **out, i2i_error *err);

/* Read and parse a metadata JSON file (gzip-compressed ones too). NOT_FOUND when missing,
 * FORMAT when it is not a JSON object. */
int cat_read_metadata(cat_ctx *x, const char *location, json_t **out, i2i_error *err);
/* Serialise metadata compactly (JSON_COMPACT | JSON_REAL_PRECISION(17)) and write it; with
 * if_absent the write is create-if-absent (EXISTS when taken). */
int cat_write_metadata(cat_ctx *x, const char *location, const json_t *metadata, int if_absent,
                       i2i_error *err);
/* Best-effort removal of a metadata file we wrote but did not publish (logged on failure). */
void cat_remove_quietly(cat_ctx *x, const char *location);

/* The table location from metadata ("location", trailing '/' removed), malloc'd. */
int cat_metadata_table_location(const json_t *metadata, char **out, i2i_error *err);
/* Where metadata files go: properties["write.metadata.path"] or <location>/metadata. */
int cat_metadata_dir(const json_t *metadata, char **out, i2i_error *err);

/* "a.b" -> "a/b", malloc'd. */
char *cat_ns_path(const char *ns);
/* a + "/" + b without doubling the slash, malloc'd (NULL on OOM). */
char *cat_join(const char *a, const char *b);
/* malloc'd printf. */
char *cat_printf(const char *fmt, ...) I2I_PRINTF(1, 2);
/* Basename of a location (pointer into it). */
const char *cat_basename(const char *location);

/* i2i_error_wrap that yields rc, also when err is NULL. */
#define CAT_WRAP(rc, err, ...) (i2i_error_wrap((err), __VA_ARGS__), (rc))

/* Values of keys that look like credentials (secret, token, password, credential, key-id) are
 * registered with the logger: catalog_configs at open, a REST table's vended config on load. */
void cat_register_secrets(const json_t *configs);

/* Fill out from a location and a metadata object (deep copy); clears out first. */
int cat_table_set(catalog_table *out, const char *location, const json_t *metadata,
                  i2i_error *err);

/* ---------------------------------------------------------------- back-ends */

/* Each takes ownership of ctx (also on failure). */
int catalog_sql_open(cat_ctx *ctx, const json_t *configs, const char *base_dir,
                     const catalog_ops **ops, void **state, i2i_error *err);
int catalog_hadoop_open(cat_ctx *ctx, const json_t *configs, const char *base_dir,
                        const catalog_ops **ops, void **state, i2i_error *err);
int catalog_rest_open(cat_ctx *ctx, const json_t *configs, const char *base_dir,
                      const catalog_ops **ops, void **state, i2i_error *err);

/* Lexically resolve a plain path against base_dir (NULL = cwd): "." and ".." segments and
 * doubled slashes are removed. malloc'd. */
int cat_resolve_path(const char *path, const char *base_dir, char **out, i2i_error *err);
/* mkdir -p of path's parent directories. */
int cat_make_parent_dirs(const char *path, i2i_error *err);

/* ---------------------------------------------------------------- SQL drivers */

/*
 * The tiny driver interface the SQL logic runs on: statements are written once, with $1..$n
 * placeholders (PostgreSQL's native form; SQLite accepts "$1" as a named parameter). Parameters
 * are text or NULL.
 *
 * Status codes from exec/query_row:
 *   I2I_ERR_EXISTS     unique/primary-key violation;
 *   I2I_ERR_TRANSIENT  busy/locked or a lost connection (lost() tells which);
 *   I2I_ERR_IO         any other database error.
 * Messages name the statement and carry the database's message; never a password.
 */
typedef struct sql_driver {
    const char *dialect;   /* "sqlite" or "postgresql" */
    const char *begin_sql; /* "BEGIN IMMEDIATE" (SQLite: take the write lock up front) / "BEGIN" */
    int (*exec)(void *conn, const char *sql, int nparams, const char *const *params,
                int64_t *affected, i2i_error *err);
    /* 1 row found (cols filled, malloc'd, NULL for SQL NULL), 0 none, negative error. */
    int (*query_row)(void *conn, const char *sql, int nparams, const char *const *params, int ncols,
                     char **cols, i2i_error *err);
    /* The connection is gone: the outcome of the last statement sent is unknown. */
    int (*lost)(void *conn);
    /* After a failure: roll back if still connected, else reconnect; then return 1 when the
     * session that ran the last statement is known to have ended or to be idle (whatever it did
     * is decided: committed or rolled back for good), 0 when that cannot be known (PostgreSQL:
     * the old backend process is still alive after waiting), negative on error. */
    int (*settle)(void *conn, i2i_error *err);
    /* Test hook: break the connection so the next statement fails as if the network dropped. */
    void (*break_connection)(void *conn);
    /* Where the database is, for messages (passwords masked). */
    const char *(*describe)(void *conn);
    void (*close)(void *conn);
    /* Optional: the job's stop flag for the driver's waits (PostgreSQL's reconnects). */
    void (*set_cancel)(void *conn, const volatile int *cancel);
} sql_driver;

/* uri: "sqlite:///rel.db" (relative to base_dir), "sqlite:////abs.db", "sqlite://" (memory). */
int sql_sqlite_connect(const char *uri, const char *base_dir, const sql_driver **drv, void **conn,
                       i2i_error *err);
/* uri: "postgresql://..." or "postgresql+<driver>://..." (libpq URI, query parameters passed
 * through). Registers the password as a secret. */
int sql_postgres_connect(const char *uri, const sql_driver **drv, void **conn, i2i_error *err);

/* Mask the password of a URI ("scheme://user:***@host..."), malloc'd. */
char *sql_uri_masked(const char *uri);
/* The password of a URI's userinfo (percent-decoded when decoded != 0), malloc'd, or NULL. */
char *sql_uri_password(const char *uri, int decoded);
/* Replace every occurrence of secret (>= 4 bytes) in s, in place, with "***". */
void sql_scrub(char *s, const char *secret);


#endif /* I2I_CATALOG_INTERNAL_H */
