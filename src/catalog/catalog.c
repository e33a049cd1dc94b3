/* The catalog facade: builds a back-end from catalog_configs (PyIceberg keys), chosen from a
 * table by type, validates names and forwards to the back-end. Shared helpers live in
 * catalog_util.c, metadata file I/O in catalog_metadata.c. */
#include "catalog_internal.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>

/* ---------------------------------------------------------------- configs */

static const char *cfg_str(const json_t *configs, const char *key)
{
    return json_string_value(json_object_get(configs, key));
}

/* Warehouse as a fully qualified location: plain paths resolve against base_dir and become
 * file:///abs; file:/abs and file://localhost/abs become file:///abs; other schemes stay. The
 * trailing '/' goes. */
static int normalize_warehouse(const char *wh, const char *base_dir, char **out, i2i_error *err)
{
    const char *path = storage_local_path(wh);
    size_t n;
    *out = NULL;
    if (path) {
        char *abs;
        I2I_TRY(cat_resolve_path(path, base_dir, &abs, err));
        n = strlen(abs);
        if (n > 1 && abs[n - 1] == '/') abs[n - 1] = '\0';
        *out = cat_printf("file://%s", abs);
        free(abs);
        return *out ? I2I_OK : i2i_error_nomem(err, "resolving the warehouse");
    }
    n = strlen(wh);
    while (n > 0 && wh[n - 1] == '/') n--;
    *out = i2i_strndup(wh, n);
    return *out ? I2I_OK : i2i_error_nomem(err, "copying the warehouse");
}

/* The catalog type a uri's scheme implies (PyIceberg's inference), or NULL. */
static const char *type_of_uri(const char *uri)
{
    if (!uri) return NULL;
    if (strncasecmp(uri, "http://", 7) == 0 || strncasecmp(uri, "https://", 8) == 0) return "rest";
    if (strncasecmp(uri, "sqlite", 6) == 0 || strncasecmp(uri, "postgresql", 10) == 0) return "sql";
    if (strncasecmp(uri, "thrift", 6) == 0) return "hive";
    return NULL;
}

static int infer_type(const json_t *configs, char *type, size_t cap, i2i_error *err)
{
    const char *t = cfg_str(configs, "type");
    const char *uri = cfg_str(configs, "uri");
    const char *implied = type_of_uri(uri);
    size_t i;
    if (json_object_get(configs, "type") && !t)
        return i2i_error_set(err, I2I_ERR_INVALID, "catalog_configs: \"type\" must be a string");
    if (!t) {
        if (!uri)
            return i2i_error_set(err, I2I_ERR_INVALID,
                                 "catalog_configs: neither \"type\" nor \"uri\" given (use "
                                 "\"type\": \"sql\" with a sqlite/postgresql uri, \"type\": "
                                 "\"rest\" with an http(s) uri, or \"type\": \"hadoop\" with a "
                                 "warehouse)");
        if (!implied)
            return i2i_error_set(err, I2I_ERR_INVALID,
                                 "catalog_configs: cannot infer the catalog type from the uri "
                                 "scheme; set \"type\"");
        t = implied;
    }
    for (i = 0; t[i] && i + 1 < cap; i++) type[i] = (char)tolower((unsigned char)t[i]);
    type[i] = '\0';
    /* A type the uri contradicts is a mistake to name, not to guess around. */
    if (implied && strcmp(type, implied) != 0 &&
        (strcmp(type, "sql") == 0 || strcmp(type, "rest") == 0 || strcmp(type, "hive") == 0)) {
        if (strcmp(implied, "rest") == 0)
            return i2i_error_set(err, I2I_ERR_INVALID,
                                 "catalog_configs: \"type\": \"%s\" contradicts the http(s) uri "
                                 "(a REST catalog); write \"type\": \"rest\" (or leave \"type\" "
                                 "out), or give a %s uri",
                                 type,
                                 strcmp(type, "sql") == 0 ? "sqlite:///... or postgresql://..."
                                                          : "thrift://...");
        return i2i_error_set(err, I2I_ERR_INVALID,
                             "catalog_configs: \"type\": \"%s\" contradicts the uri's scheme (a "
                             "%s catalog); write \"type\": \"%s\" (or leave \"type\" out), or "
                             "give %s",
                             type, implied, implied,
                             strcmp(type, "rest") == 0 ? "the REST server's http(s) uri"
                                                       : "a matching uri");
    }
    return I2I_OK;
}

/* Keys a type reads besides type/uri/warehouse/name and the FileIO keys (s3.*, client.*). */
static const char *const KEYS_SQL[] = {"init_catalog_tables", NULL};
static const char *const KEYS_HADOOP[] = {NULL};
static const char *const KEYS_REST[] = {"token", "credential", "oauth2-server-uri", "scope",
                                        "prefix", "rest.request-timeout-ms",
                                        "rest.sigv4-enabled", "rest.signing-region",
                                        "rest.signing-name", "rest.access-key-id",
                                        "rest.secret-access-key", "rest.session-token", NULL};

/* The FileIO keys the storage layer reads (src/storage/storage_s3.c), for every catalog type. */
static const char *const KEYS_FILEIO[] = {
    "s3.endpoint", "s3.region", "s3.access-key-id", "s3.secret-access-key", "s3.session-token",
    "s3.path-style-access", "s3.force-virtual-addressing", "s3.anonymous",
    "s3.multipart.part-size-bytes", "client.region", "client.access-key-id",
    "client.secret-access-key", "client.session-token", NULL};

/* Unknown keys are warned about (by name, never by value: it may be a secret). */
static void warn_unknown_keys(const json_t *configs, const char *type, const char *name)
{
    const char *const *known = strcmp(type, "sql") == 0      ? KEYS_SQL
                               : strcmp(type, "hadoop") == 0 ? KEYS_HADOOP
                               : strcmp(type, "rest") == 0   ? KEYS_REST
                                                             : NULL;
    const char *key;
    json_t *v;
    if (!known) return;
    json_object_foreach((json_t *)configs, key, v)
    {
        size_t i;
        int ok = strcmp(key, "type") == 0 || strcmp(key, "uri") == 0 ||
                 strcmp(key, "warehouse") == 0 || strcmp(key, "name") == 0;
        int fileio = strncmp(key, "s3.", 3) == 0 || strncmp(key, "client.", 7) == 0;
        for (i = 0; !ok && known[i]; i++) ok = strcmp(key, known[i]) == 0;
        for (i = 0; !ok && KEYS_FILEIO[i]; i++) ok = strcmp(key, KEYS_FILEIO[i]) == 0;
        (void)v;
        if (strcmp(type, "hadoop") == 0 && strcmp(key, "uri") == 0) ok = 0;
        if (!ok && fileio)
            I2I_WARN("catalog '%s': FileIO key \"%s\" is not supported and is ignored (supported: "
                     "s3.endpoint, s3.region, s3.access-key-id, s3.secret-access-key, "
                     "s3.session-token, s3.path-style-access, s3.force-virtual-addressing, "
                     "s3.anonymous, s3.multipart.part-size-bytes, client.*)",
                     name, key);
        else if (!ok)
            I2I_WARN("catalog '%s': catalog_configs key \"%s\" is not used by a %s catalog and is "
                     "ignored",
                     name, key, type);
    }
}

/* Catalog type -> back-end. Adding one (rest) is one row and an open function. */
typedef int (*backend_open_fn)(cat_ctx *ctx, const json_t *configs, const char *base_dir,
                               const catalog_ops **ops, void **state, i2i_error *err);

static const struct {
    const char *type;
    backend_open_fn open;
} backends[] = {
    {"sql", catalog_sql_open},
    {"hadoop", catalog_hadoop_open},
    {"rest", catalog_rest_open},
};

static backend_open_fn find_backend(const char *type)
{
    size_t i;
    for (i = 0; i < sizeof backends / sizeof backends[0]; i++)
        if (strcmp(backends[i].type, type) == 0) return backends[i].open;
    return NULL;
}

int catalog_open(const json_t *configs, const char *base_dir, catalog **out, i2i_error *err)
{
    char type[32];
    const char *name, *wh;
    cat_ctx *ctx = NULL;
    catalog *c = NULL;
    const catalog_ops *ops = NULL;
    void *state = NULL;
    backend_open_fn open_fn;
    int rc;

    *out = NULL;
    if (!json_is_object(configs))
        return i2i_error_set(err, I2I_ERR_INVALID, "catalog_configs must be a JSON object");
    cat_register_secrets(configs);
    I2I_TRY(infer_type(configs, type, sizeof type, err));
    name = cfg_str(configs, "name");
    if (json_object_get(configs, "name") && (!name || !*name))
        return i2i_error_set(err, I2I_ERR_INVALID,
                             "catalog_configs: \"name\" must be a non-empty string");
    if (!name) name = "iceberg";
    warn_unknown_keys(configs, type, name);
    wh = cfg_str(configs, "warehouse");
    if (json_object_get(configs, "warehouse") && (!wh || !*wh))
        return i2i_error_set(err, I2I_ERR_INVALID,
                             "catalog '%s': \"warehouse\" must be a non-empty string", name);

    c = calloc(1, sizeof *c);
    ctx = calloc(1, sizeof *ctx);
    if (!c || !ctx) {
        rc = i2i_error_nomem(err, "opening a catalog");
        goto fail;
    }
    ctx->name = i2i_strdup(name);
    c->name = i2i_strdup(name);
    ctx->props = json_incref((json_t *)configs);
    c->props = json_incref((json_t *)configs);
    if (!ctx->name || !c->name) {
        rc = i2i_error_nomem(err, "opening a catalog");
        goto fail;
    }
    if (wh && strcmp(type, "rest") == 0 && !strchr(wh, '/')) {
        /* A REST warehouse without '/' is a name (Polaris, Lakekeeper, Nessie): it goes to the
         * server as GET /v1/config?warehouse=<name>, and locations come from the server. */
        I2I_TRY_GOTO(storage_local_open(&c->files, err), rc, fail);
    } else if (wh) {
        I2I_TRY_GOTO(normalize_warehouse(wh, base_dir, &ctx->warehouse, err), rc, fail);
        rc = storage_open_for(ctx->warehouse, configs, &c->files, err);
        if (rc == I2I_ERR_AUTH && strcmp(type, "rest") == 0) {
            /* A REST server may vend each table's credentials: no keys here is not an error
             * yet. Tables without vended keys fail in catalog_table_storage, naming them. */
            I2I_DEBUG("catalog '%s': no storage keys for warehouse '%s' in the configs (%s); "
                      "expecting vended credentials",
                      name, ctx->warehouse, err ? err->msg : "");
            i2i_error_clear(err);
            rc = storage_local_open(&c->files, err);
        }
        if (rc != I2I_OK) {
            i2i_error_wrap(err, "catalog '%s': warehouse '%s'", name, ctx->warehouse);
            goto fail;
        }
    } else {
        I2I_TRY_GOTO(storage_local_open(&c->files, err), rc, fail);
    }
    ctx->files = c->files;
    storage_set_fault(c->files, &c->fault); /* zero until catalog_set_fault */

    ctx->fault = &c->fault;
    c->ctx = ctx;
    open_fn = find_backend(type);
    if (open_fn) {
        rc = open_fn(ctx, configs, base_dir, &ops, &state, err);
    } else {
        cat_ctx_free(ctx);
        rc = i2i_error_set(err, I2I_ERR_UNSUPPORTED,
                           "catalog '%s': type '%s' is not supported (supported: sql, hadoop, rest)",
                           name, type);
    }
    ctx = NULL; /* owned by the back-end from here, also on failure */
    if (rc != I2I_OK) {
        c->ctx = NULL;
        goto fail;
    }
    c->ops = ops;
    c->state = state;
    *out = c;
    return I2I_OK;

fail:
    cat_ctx_free(ctx);
    if (c) {
        storage_close(c->files);
        json_decref(c->props);
        free(c->name);
        free(c);
    }
    return rc;
}

void catalog_close(catalog *c)
{
    if (!c) return;
    if (c->ops && c->ops->close) c->ops->close(c->state);
    storage_close(c->files);
    json_decref(c->props);
    free(c->name);
    free(c);
}

int catalog_table_storage(catalog *c, const catalog_table *t, storage **out, int *owned,
                          i2i_error *err)
{
    const char *loc = json_string_value(json_object_get(t ? t->metadata : NULL, "location"));
    const char *want = loc ? storage_backend_for(loc) : NULL;
    json_t *merged;
    int rc;
    *out = NULL;
    *owned = 0;
    if (!loc || ((!t->config || json_object_size(t->config) == 0) && want && c->files &&
                 strcmp(c->files->ops->name, want) == 0)) {
        *out = c->files;
        return I2I_OK;
    }
    merged = c->props ? json_deep_copy(c->props) : json_object();
    if (!merged || (t->config && json_object_update(merged, t->config) != 0)) {
        json_decref(merged);
        return i2i_error_nomem(err, "table FileIO properties");
    }
    rc = storage_open_for(loc, merged, out, err);
    json_decref(merged);
    if (rc != I2I_OK)
        return CAT_WRAP(rc, err, "catalog '%s': storage for table location '%s'%s", c->name, loc,
                        t->config && json_object_size(t->config) ? " (with the catalog's vended "
                                                                  "table config)"
                                                                : "");
    storage_set_fault(*out, &c->fault);
    storage_set_cancel(*out, c->ctx ? c->ctx->cancel : NULL);
    *owned = 1;
    return I2I_OK;
}

void catalog_set_cancel(catalog *c, const volatile int *cancel)
{
    int i;
    if (!c || !c->ctx) return;
    c->ctx->cancel = cancel;
    storage_set_cancel(c->files, cancel);
    for (i = 0; i < c->ctx->nextra; i++) storage_set_cancel(c->ctx->extra[i], cancel);
    if (c->ops->set_cancel) c->ops->set_cancel(c->state, cancel);
}

void catalog_set_fault(catalog *c, const i2i_fault *fault)
{
    if (!c) return;
    if (fault) c->fault = *fault;
    else memset(&c->fault, 0, sizeof c->fault);
}

int catalog_open_default(const char *dir, catalog **out, i2i_error *err)
{
    char *abs = NULL, *uri = NULL;
    json_t *cfg;
    int rc;
    *out = NULL;
    I2I_TRY(cat_resolve_path(dir && *dir ? dir : "./warehouse", NULL, &abs, err));
    uri = cat_printf("sqlite:///%s/catalog.db", abs); /* abs starts with '/': 4 slashes */
    cfg = json_pack("{s:s, s:s, s:s}", "type", "sql", "uri", uri ? uri : "", "warehouse", abs);
    if (!uri || !cfg) {
        free(abs);
        free(uri);
        json_decref(cfg);
        return i2i_error_nomem(err, "opening the default catalog");
    }
    rc = catalog_open(cfg, NULL, out, err);
    json_decref(cfg);
    free(abs);
    free(uri);
    return rc;
}

/* ---------------------------------------------------------------- validation + forwarding */

static int check_ident(const catalog *c, const char *ns, const char *table, i2i_error *err)
{
    const char *p, *seg;
    if (!ns || !*ns)
        return i2i_error_set(err, I2I_ERR_INVALID, "catalog '%s': empty namespace", c->name);
    if (strlen(ns) > 255)
        return i2i_error_set(err, I2I_ERR_INVALID, "catalog '%s': namespace '%s' is too long",
                             c->name, ns);
    for (seg = p = ns;; p++) {
        if (*p == '.' || *p == '\0') {
            size_t n = (size_t)(p - seg);
            if (n == 0 || (n == 1 && seg[0] == '.') || (n == 2 && strncmp(seg, "..", 2) == 0))
                return i2i_error_set(err, I2I_ERR_INVALID,
                                     "catalog '%s': namespace '%s' has an empty level",
                                     c->name, ns);
            if (*p == '\0') break;
            seg = p + 1;
        } else if (*p == '/' || (unsigned char)*p < 0x20) {
            return i2i_error_set(err, I2I_ERR_INVALID,
                                 "catalog '%s': namespace '%s' contains '/' or a control character",
                                 c->name, ns);
        }
    }
    if (!table) return I2I_OK;
    if (!*table || strcmp(table, ".") == 0 || strcmp(table, "..") == 0 || strlen(table) > 255)
        return i2i_error_set(err, I2I_ERR_INVALID, "catalog '%s': invalid table name '%s'",
                             c->name, table);
    for (p = table; *p; p++)
        if (*p == '/' || (unsigned char)*p < 0x20)
            return i2i_error_set(err, I2I_ERR_INVALID,
                                 "catalog '%s': table name '%s' contains '/' or a control "
                                 "character",
                                 c->name, table);
    return I2I_OK;
}

int catalog_load_table(catalog *c, const char *ns, const char *table, catalog_table *out,
                       i2i_error *err)
{
    I2I_TRY(check_ident(c, ns, table, err));
    return c->ops->load_table(c->state, ns, table, out, err);
}

int catalog_ensure_namespace(catalog *c, const char *ns, i2i_error *err)
{
    I2I_TRY(check_ident(c, ns, NULL, err));
    return c->ops->ensure_namespace(c->state, ns, err);
}

int catalog_commit(catalog *c, const char *ns, const char *table, const catalog_commit_request *req,
                   catalog_table *out, i2i_error *err)
{
    I2I_TRY(check_ident(c, ns, table, err));
    if (!req || !json_is_object(req->new_metadata))
        return i2i_error_set(err, I2I_ERR_INVALID,
                             "catalog '%s': commit of '%s.%s' without new metadata", c->name, ns,
                             table);
    if (req->base && !req->base->metadata_location)
        return i2i_error_set(err, I2I_ERR_INVALID,
                             "catalog '%s': commit of '%s.%s' from a base without a location",
                             c->name, ns, table);
    return c->ops->commit(c->state, ns, table, req, out, err);
}

int catalog_default_location(catalog *c, const char *ns, const char *table, char **out,
                             i2i_error *err)
{
    *out = NULL;
    I2I_TRY(check_ident(c, ns, table, err));
    return c->ops->default_location(c->state, ns, table, out, err);
}

int catalog_drop_table(catalog *c, const char *ns, const char *table, i2i_error *err)
{
    I2I_TRY(check_ident(c, ns, table, err));
    return c->ops->drop_table(c->state, ns, table, err);
}
