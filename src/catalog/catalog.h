/*
 * catalog: makes a table's current metadata file known, atomically. A back-end is a struct of
 * function pointers chosen by the `type` key of catalog_configs (PyIceberg key names):
 *   sql    - SQLite ("uri": "sqlite:///path.db") or PostgreSQL ("postgresql://..." or
 *            "postgresql+psycopg2://..."), tables iceberg_tables / iceberg_namespace_properties
 *            exactly as PyIceberg and Java's JdbcCatalog create them; catalog name "iceberg"
 *            (the plugin's) unless a "name" key says otherwise;
 *   hadoop - filesystem tables: <warehouse>/<ns>/<table>/metadata/vN.metadata.json +
 *            version-hint.text;
 *   rest   - an Iceberg REST catalog (catalog_rest.c): the server writes metadata files; a create
 *            sends schema/spec/order/properties/location, a commit the request's
 *            requirements/updates; 409 -> CONFLICT, 5xx/timeout on a commit -> UNKNOWN; auth by
 *            static token, OAuth2 client credentials or SigV4; vended credentials (a table's
 *            config / storage-credentials) reach its FileIO through catalog_table_storage.
 *
 * The catalog writes the new metadata file itself (names differ per back-end: NNNNN-uuid for sql
 * and rest, vN for hadoop) and swaps the pointer with compare-and-swap semantics:
 *   I2I_ERR_CONFLICT  someone else committed first: reload, re-apply, retry;
 *   I2I_ERR_UNKNOWN   the outcome is unknown (connection lost after sending): reload and check
 *                     whether our metadata file became current before retrying.
 * and, from the SQL back-end (documented extension, same callers' handling as CONFLICT; callers
 * decide with i2i_status_retryable, which accepts all three):
 *   I2I_ERR_TRANSIENT the commit was definitely NOT applied (connection dropped before COMMIT and
 *                     the row still points at the base, or the database was busy): retry;
 *   I2I_ERR_NOT_FOUND the table row vanished (dropped) between load and commit.
 * After CONFLICT / TRANSIENT / NOT_FOUND the unpublished metadata file has been removed; after
 * UNKNOWN it is kept (it may yet become current).
 *
 * Behaviour notes (implementation in catalog.c (dispatch), catalog_util.c, catalog_metadata.c,
 * catalog_sql.c, catalog_hadoop.c, catalog_rest.c):
 *   - "warehouse" is normalised: a plain path resolves against base_dir and becomes file:///abs,
 *     so table locations are fully qualified as Iceberg requires; other schemes are kept.
 *   - sql: new metadata goes to properties["write.metadata.path"] when set, else
 *     <location>/metadata; the version is the base's NNNNN + 1 (an unparsable base name restarts
 *     at 00000, like PyIceberg). A lost reply is resolved by settling the database session (the
 *     old PostgreSQL backend must be gone) and re-reading the row. A catalog whose iceberg_tables
 *     lacks iceberg_type (older PyIceberg, Java V0) is used as is. No version-hint.text is written
 *     for sql tables (not required; its effect on every reader is unconfirmed).
 *   - hadoop: ensure_namespace is a no-op (directories appear with the first table); drop_table
 *     removes the v<N> files and the hint, not data or manifests (drop without purge).
 *   - Metadata files written by other tools gzip-compressed (.gz.metadata.json) are readable; we
 *     always write plain compact JSON.
 *   - Secrets: the password of a PostgreSQL URI (userinfo or ?password=) and config values whose
 *     key contains secret/token/password/credential/key-id are registered with the logger; every
 *     message shows the URI as user:***@host, and passwords of 4+ bytes are scrubbed from
 *     database messages too.
 */
#ifndef I2I_CATALOG_H
#define I2I_CATALOG_H

#include <jansson.h>

#include "../storage/storage.h"
#include "../util/util.h"

typedef struct catalog catalog;

/* A table as loaded: the location of its current metadata file and the parsed JSON. */
typedef struct catalog_table {
    char *metadata_location; /* malloc'd */
    json_t *metadata;        /* owned reference */
    /* FileIO properties the catalog hands out for this table (REST: the LoadTableResult's
     * "config" overlaid with the longest-prefix "storage-credentials" entry: vended S3 keys,
     * endpoint, region...), owned; NULL = none. They take precedence over catalog_configs when
     * the table's files are written (catalog_table_storage). */
    json_t *config;
} catalog_table;

void catalog_table_clear(catalog_table *t);

/* What a commit changes. new_metadata is the complete metadata after the change (used by sql and
 * hadoop); requirements/updates are the REST CommitTableRequest parts (used by rest; may be NULL
 * for others). base is NULL when creating the table. */
typedef struct catalog_commit_request {
    const catalog_table *base;
    const json_t *new_metadata;
    const json_t *requirements;
    const json_t *updates;
} catalog_commit_request;

typedef struct catalog_ops {
    const char *type;
    /* I2I_ERR_NOT_FOUND when the table does not exist. */
    int (*load_table)(void *state, const char *ns, const char *table, catalog_table *out,
                      i2i_error *err);
    /* Create the namespace when missing (no error when it exists). */
    int (*ensure_namespace)(void *state, const char *ns, i2i_error *err);
    /* Create (base == NULL) or commit a new version; on success *out holds the new current
     * table (location + the metadata as written). I2I_ERR_EXISTS when creating an existing table,
     * I2I_ERR_CONFLICT / I2I_ERR_UNKNOWN as above. */
    int (*commit)(void *state, const char *ns, const char *table, const catalog_commit_request *req,
                  catalog_table *out, i2i_error *err);
    /* Where a new table's files go: <warehouse>/<ns levels as dirs>/<table>. A REST catalog
     * without a warehouse sets *out = NULL and succeeds: its server places the table. */
    int (*default_location)(void *state, const char *ns, const char *table, char **out,
                            i2i_error *err);
    int (*drop_table)(void *state, const char *ns, const char *table, i2i_error *err);
    void (*close)(void *state);
    /* Optional: hand the job's stop flag to the back-end's own clients (catalog_set_cancel). */
    void (*set_cancel)(void *state, const volatile int *cancel);
} catalog_ops;

struct catalog {
    const catalog_ops *ops;
    void *state;
    storage *files; /* FileIO for metadata and data files (owned by the catalog) */
    json_t *props;  /* the catalog_configs (reference): FileIO keys for catalog_table_storage */
    char *name;     /* catalog name ("iceberg" by default) */
    i2i_fault fault; /* test fault injection (catalog_set_fault); zero = none */
    struct cat_ctx *ctx; /* the back-end's shared context (owned by the back-end) */
};

/* Build a catalog from catalog_configs (a JSON object with PyIceberg keys: type, uri, warehouse,
 * name, s3.*, ...). `type` may be inferred from uri as PyIceberg does (sqlite/postgresql -> sql,
 * http(s) -> rest). Relative paths in sqlite URIs and warehouse are resolved against base_dir
 * (NULL = the current directory). Secrets in the config (passwords in URIs, keys, tokens) are
 * registered with the logger for redaction. */
int catalog_open(const json_t *configs, const char *base_dir, catalog **out, i2i_error *err);
void catalog_close(catalog *c);

int catalog_load_table(catalog *c, const char *ns, const char *table, catalog_table *out,
                       i2i_error *err);
int catalog_ensure_namespace(catalog *c, const char *ns, i2i_error *err);
int catalog_commit(catalog *c, const char *ns, const char *table, const catalog_commit_request *req,
                   catalog_table *out, i2i_error *err);
int catalog_default_location(catalog *c, const char *ns, const char *table, char **out,
                             i2i_error *err);
int catalog_drop_table(catalog *c, const char *ns, const char *table, i2i_error *err);

/* The FileIO for a table's files: the catalog's own `files` when the table brings no config of
 * its own and its location has the same scheme family, else a storage opened for the table's
 * location with catalog_configs overlaid by t->config (the table's keys win, as in PyIceberg).
 * *owned = 1 when the caller must storage_close it (after every writer using it is done). */
int catalog_table_storage(catalog *c, const catalog_table *t, storage **out, int *owned,
                          i2i_error *err);

/* Test fault injection for this catalog only (NULL = none), also handed to every storage the
 * catalog opens (storage_set_fault: the "storage.*" and "s3.*" points). Points of the sql
 * back-end's commit, each failing with the hook's status when it returns one:
 *   "sql.before-update"  the compare-and-swap UPDATE fails with it, as a busy or locked database
 *                        would (I2I_ERR_TRANSIENT): nothing applied;
 *   "sql.before-commit"  the connection drops before COMMIT (a lost PostgreSQL connection): the
 *                        outcome is settled by re-reading the row, so the commit reports
 *                        I2I_ERR_TRANSIENT (not applied);
 *   "sql.after-commit"   the reply to a successful COMMIT is lost: re-reading the row confirms it.
 * The rest back-end's: "rest.before-commit" (nothing sent) and "rest.after-commit" (the commit
 * applied, its reply lost). */
void catalog_set_fault(catalog *c, const i2i_fault *fault);

/* A job's stop flag (NULL = none; borrowed, must outlive c): raised, it cuts short the waits of
 * the catalog's and its storages' retries and reconnects (a REST or S3 request's retries, a lost
 * PostgreSQL connection being re-established) and aborts their transfers in flight, so a stop
 * during an outage does not sit them out. What a cut-short commit leaves is reported as for any
 * failure at that point (I2I_ERR_UNKNOWN when the outcome could not be checked). */
void catalog_set_cancel(catalog *c, const volatile int *cancel);

/* The embedded default: a SQLite catalog at <dir>/catalog.db with warehouse <dir>
 * (dir = "./warehouse" for the CLI). */
int catalog_open_default(const char *dir, catalog **out, i2i_error *err);

#endif /* I2I_CATALOG_H */
