/* The catalog facade: builds a back-end from catalog_configs (PyIceberg keys), validates names,
 * and holds the helpers every back-end shares (metadata files, locations, FileIO). */
#include "catalog_internal.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#define METADATA_MAX_BYTES ((size_t)1 << 30) /* refuse to inflate a metadata file beyond 1 GiB */

/* ---------------------------------------------------------------- small helpers */

char *cat_printf(const char *fmt, ...)
{
    i2i_buf b = I2I_BUF_INIT;
    va_list ap;
    int rc;
    va_start(ap, fmt);
    rc = i2i_buf_vprintf(&b, fmt, ap);
    va_end(ap);
    if (rc != I2I_OK) {
        i2i_buf_free(&b);
        return NULL;
    }
    return (char *)i2i_buf_detach(&b, NULL);
}

char *cat_join(const char *a, const char *b)
{
    size_t al = strlen(a);
    while (al > 0 && a[al - 1] == '/') al--;
    while (*b == '/') b++;
    return cat_printf("%.*s/%s", (int)al, a, b);
}

char *cat_ns_path(const char *ns)
{
    char *p = i2i_strdup(ns), *q;
    if (!p) return NULL;
    for (q = p; *q; q++)
        if (*q == '.') *q = '/';
    return p;
}

const char *cat_basename(const char *location)
{
    const char *slash = strrchr(location, '/');
    return slash ? slash + 1 : location;
}

int cat_table_set(catalog_table *out, const char *location, const json_t *metadata, i2i_error *err)
{
    catalog_table_clear(out);
    out->metadata_location = i2i_strdup(location);
    out->metadata = json_deep_copy(metadata);
    if (!out->metadata_location || !out->metadata) {
        catalog_table_clear(out);
        return i2i_error_nomem(err, "copying table metadata");
    }
    return I2I_OK;
}

void catalog_table_clear(catalog_table *t)
{
    if (!t) return;
    free(t->metadata_location);
    json_decref(t->metadata);
    t->metadata_location = NULL;
    t->metadata = NULL;
}

int cat_resolve_path(const char *path, const char *base_dir, char **out, i2i_error *err)
{
    i2i_buf joined = I2I_BUF_INIT;
    char *src, *seg, *save = NULL, *res;
    size_t rl = 0;
    int rc = I2I_OK;

    *out = NULL;
    if (path[0] != '/') {
        if (base_dir && base_dir[0] == '/') {
            rc = i2i_buf_printf(&joined, "%s/", base_dir);
        } else {
            char cwd[4096];
            if (!getcwd(cwd, sizeof cwd))
                return i2i_error_set(err, I2I_ERR_IO, "catalog: cannot resolve '%s': getcwd: %s",
                                     path, strerror(errno));
            rc = i2i_buf_printf(&joined, "%s/%s%s", cwd, base_dir ? base_dir : "",
                                base_dir ? "/" : "");
        }
    }
    if (rc == I2I_OK) rc = i2i_buf_append_str(&joined, path);
    if (rc != I2I_OK || !i2i_buf_cstr(&joined)) {
        i2i_buf_free(&joined);
        return i2i_error_nomem(err, "resolving a path");
    }
    src = (char *)joined.data;
    res = malloc(joined.len + 2);
    if (!res) {
        i2i_buf_free(&joined);
        return i2i_error_nomem(err, "resolving a path");
    }
    for (seg = strtok_r(src, "/", &save); seg; seg = strtok_r(NULL, "/", &save)) {
        if (strcmp(seg, ".") == 0) continue;
        if (strcmp(seg, "..") == 0) {
            while (rl > 0 && res[rl - 1] != '/') rl--;
            if (rl > 0) rl--; /* drop the slash too */
            continue;
        }
        res[rl++] = '/';
        memcpy(res + rl, seg, strlen(seg));
        rl += strlen(seg);
    }
    if (rl == 0) res[rl++] = '/';
    res[rl] = '\0';
    i2i_buf_free(&joined);
    *out = res;
    return I2I_OK;
}

int cat_make_parent_dirs(const char *path, i2i_error *err)
{
    char *copy = i2i_strdup(path), *p;
    if (!copy) return i2i_error_nomem(err, "creating directories");
    for (p = copy + 1; *p; p++) {
        struct stat st;
        if (*p != '/') continue;
        *p = '\0';
        if (mkdir(copy, 0755) != 0 && errno != EEXIST) {
            int e = errno;
            if (!(stat(copy, &st) == 0 && S_ISDIR(st.st_mode))) {
                i2i_error_set(err, I2I_ERR_IO, "catalog: create directory '%s': %s", copy,
                              strerror(e));
                free(copy);
                return I2I_ERR_IO;
            }
        }
        *p = '/';
    }
    free(copy);
    return I2I_OK;
}

/* ---------------------------------------------------------------- context + FileIO */

void cat_ctx_free(cat_ctx *x)
{
    int i;
    if (!x) return;
    for (i = 0; i < x->nextra; i++) storage_close(x->extra[i]);
    free(x->name);
    free(x->warehouse);
    json_decref(x->props);
    free(x);
}

int cat_storage_for(cat_ctx *x, const char *location, storage **out, i2i_error *err)
{
    const char *want = storage_backend_for(location);
    int i;
    if (want && x->files && strcmp(x->files->ops->name, want) == 0) {
        *out = x->files;
        return I2I_OK;
    }
    for (i = 0; i < x->nextra; i++) {
        if (want && strcmp(x->extra[i]->ops->name, want) == 0) {
            *out = x->extra[i];
            return I2I_OK;
        }
    }
    if (x->nextra == CAT_MAX_EXTRA_STORAGE)
        return i2i_error_set(err, I2I_ERR_UNSUPPORTED, "catalog '%s': too many storage schemes",
                             x->name);
    I2I_TRY(storage_open_for(location, x->props, &x->extra[x->nextra], err));
    *out = x->extra[x->nextra++];
    return I2I_OK;
}

static int gunzip(const i2i_buf *in, i2i_buf *out, i2i_error *err)
{
    z_stream zs;
    int zrc;
    memset(&zs, 0, sizeof zs);
    if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK)
        return i2i_error_set(err, I2I_ERR_NOMEM, "gzip: inflateInit failed");
    zs.next_in = in->data;
    zs.avail_in = (uInt)in->len;
    do {
        if (i2i_buf_reserve(out, 65536) != I2I_OK || out->len > METADATA_MAX_BYTES) {
            inflateEnd(&zs);
            return i2i_error_set(err, I2I_ERR_NOMEM, "gzip: metadata too large");
        }
        zs.next_out = out->data + out->len;
        zs.avail_out = (uInt)(out->cap - out->len - 1);
        zrc = inflate(&zs, Z_NO_FLUSH);
        out->len = (size_t)(zs.next_out - out->data);
        if (zrc != Z_OK && zrc != Z_STREAM_END) {
            inflateEnd(&zs);
            return i2i_error_set(err, I2I_ERR_FORMAT, "gzip: corrupt data (%s)",
                                 zs.msg ? zs.msg : "inflate failed");
        }
        if (zrc == Z_OK && zs.avail_in == 0 && zs.avail_out != 0) {
            inflateEnd(&zs);
            return i2i_error_set(err, I2I_ERR_FORMAT, "gzip: truncated data");
        }
    } while (zrc != Z_STREAM_END);
    inflateEnd(&zs);
    return I2I_OK;
}

int cat_read_metadata(cat_ctx *x, const char *location, json_t **out, i2i_error *err)
{
    storage *s;
    i2i_buf raw = I2I_BUF_INIT, plain = I2I_BUF_INIT;
    const i2i_buf *text = &raw;
    json_error_t jerr;
    json_t *j;
    int rc;

    *out = NULL;
    I2I_TRY(cat_storage_for(x, location, &s, err));
    rc = storage_get(s, location, &raw, err);
    if (rc != I2I_OK) {
        i2i_buf_free(&raw);
        return CAT_WRAP(rc, err, "metadata file '%s'", location);
    }
    if (raw.len >= 2 && raw.data[0] == 0x1f && raw.data[1] == 0x8b) {
        rc = gunzip(&raw, &plain, err);
        if (rc != I2I_OK) {
            i2i_buf_free(&raw);
            i2i_buf_free(&plain);
            return CAT_WRAP(rc, err, "metadata file '%s'", location);
        }
        text = &plain;
    }
    j = json_loadb((const char *)text->data ? (const char *)text->data : "", text->len, 0, &jerr);
    i2i_buf_free(&raw);
    i2i_buf_free(&plain);
    if (!j)
        return i2i_error_set(err, I2I_ERR_FORMAT,
                             "metadata file '%s': invalid JSON at line %d column %d: %s", location,
                             jerr.line, jerr.column, jerr.text);
    if (!json_is_object(j)) {
        json_decref(j);
        return i2i_error_set(err, I2I_ERR_FORMAT, "metadata file '%s': not a JSON object",
                             location);
    }
    *out = j;
    return I2I_OK;
}

int cat_write_metadata(cat_ctx *x, const char *location, const json_t *metadata, int if_absent,
                       i2i_error *err)
{
    storage *s;
    char *text;
    int rc;
    I2I_TRY(cat_storage_for(x, location, &s, err));
    text = json_dumps(metadata, JSON_COMPACT | JSON_REAL_PRECISION(17));
    if (!text) return i2i_error_nomem(err, "serialising table metadata");
    rc = if_absent ? storage_put_if_absent(s, location, text, strlen(text), err)
                   : storage_put(s, location, text, strlen(text), err);
    free(text);
    if (rc != I2I_OK && rc != I2I_ERR_EXISTS)
        i2i_error_wrap(err, "catalog '%s': write metadata file '%s'", x->name, location);
    return rc;
}

void cat_remove_quietly(cat_ctx *x, const char *location)
{
    storage *s;
    i2i_error e;
    if (cat_storage_for(x, location, &s, &e) != I2I_OK || storage_remove(s, location, &e) != I2I_OK)
        I2I_WARN("catalog '%s': could not remove unpublished metadata file '%s': %s", x->name,
                 location, e.msg);
}

int cat_metadata_table_location(const json_t *metadata, char **out, i2i_error *err)
{
    const char *loc = json_string_value(json_object_get(metadata, "location"));
    size_t n;
    *out = NULL;
    if (!loc || !*loc)
        return i2i_error_set(err, I2I_ERR_INVALID, "table metadata has no \"location\"");
    n = strlen(loc);
    while (n > 1 && loc[n - 1] == '/') n--;
    *out = i2i_strndup(loc, n);
    return *out ? I2I_OK : i2i_error_nomem(err, "copying a location");
}

int cat_metadata_dir(const json_t *metadata, char **out, i2i_error *err)
{
    const json_t *props = json_object_get(metadata, "properties");
    const char *p = json_string_value(json_object_get(props, "write.metadata.path"));
    char *loc;
    *out = NULL;
    if (p && *p) {
        size_t n = strlen(p);
        while (n > 1 && p[n - 1] == '/') n--;
        *out = i2i_strndup(p, n);
        return *out ? I2I_OK : i2i_error_nomem(err, "copying a location");
    }
    I2I_TRY(cat_metadata_table_location(metadata, &loc, err));
    *out = cat_join(loc, "metadata");
    free(loc);
    return *out ? I2I_OK : i2i_error_nomem(err, "copying a location");
}

/* ---------------------------------------------------------------- configs */

static const char *cfg_str(const json_t *configs, const char *key)
{
    return json_string_value(json_object_get(configs, key));
}

/* Values of keys that look like credentials are redacted from every log line and error. */
static void register_secrets(const json_t *configs)
{
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)configs, key, v)
    {
        static const char *marks[] = {"secret", "token", "password", "credential", "key-id"};
        size_t i;
        if (!json_is_string(v)) continue;
        for (i = 0; i < sizeof marks / sizeof marks[0]; i++) {
            if (strcasestr(key, marks[i])) {
                i2i_log_add_secret(json_string_value(v));
                break;
            }
        }
    }
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

static int infer_type(const json_t *configs, char *type, size_t cap, i2i_error *err)
{
    const char *t = cfg_str(configs, "type");
    const char *uri = cfg_str(configs, "uri");
    size_t i;
    if (json_object_get(configs, "type") && !t)
        return i2i_error_set(err, I2I_ERR_INVALID, "catalog_configs: \"type\" must be a string");
    if (!t) {
        if (!uri)
            return i2i_error_set(err, I2I_ERR_INVALID,
                                 "catalog_configs: neither \"type\" nor \"uri\" given (use "
                                 "\"type\": \"sql\" with a sqlite/postgresql uri, or \"type\": "
                                 "\"hadoop\" with a warehouse)");
        if (strncasecmp(uri, "http", 4) == 0)
            t = "rest";
        else if (strncasecmp(uri, "sqlite", 6) == 0 || strncasecmp(uri, "postgresql", 10) == 0)
            t = "sql";
        else if (strncasecmp(uri, "thrift", 6) == 0)
            t = "hive";
        else
            return i2i_error_set(err, I2I_ERR_INVALID,
                                 "catalog_configs: cannot infer the catalog type from the uri "
                                 "scheme; set \"type\"");
    }
    for (i = 0; t[i] && i + 1 < cap; i++) type[i] = (char)tolower((unsigned char)t[i]);
    type[i] = '\0';
    return I2I_OK;
}

int catalog_open(const json_t *configs, const char *base_dir, catalog **out, i2i_error *err)
{
    char type[32];
    const char *name, *wh;
    cat_ctx *ctx = NULL;
    catalog *c = NULL;
    const catalog_ops *ops = NULL;
    void *state = NULL;
    int rc;

    *out = NULL;
    if (!json_is_object(configs))
        return i2i_error_set(err, I2I_ERR_INVALID, "catalog_configs must be a JSON object");
    register_secrets(configs);
    I2I_TRY(infer_type(configs, type, sizeof type, err));
    name = cfg_str(configs, "name");
    if (json_object_get(configs, "name") && (!name || !*name))
        return i2i_error_set(err, I2I_ERR_INVALID,
                             "catalog_configs: \"name\" must be a non-empty string");
    if (!name) name = "iceberg";
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
    if (!ctx->name || !c->name) {
        rc = i2i_error_nomem(err, "opening a catalog");
        goto fail;
    }
    if (wh) {
        I2I_TRY_GOTO(normalize_warehouse(wh, base_dir, &ctx->warehouse, err), rc, fail);
        rc = storage_open_for(ctx->warehouse, configs, &c->files, err);
        if (rc != I2I_OK) {
            i2i_error_wrap(err, "catalog '%s': warehouse '%s'", name, ctx->warehouse);
            goto fail;
        }
    } else {
        I2I_TRY_GOTO(storage_local_open(&c->files, err), rc, fail);
    }
    ctx->files = c->files;

    if (strcmp(type, "sql") == 0) {
        rc = catalog_sql_open(ctx, configs, base_dir, &ops, &state, err);
    } else if (strcmp(type, "hadoop") == 0) {
        rc = catalog_hadoop_open(ctx, configs, base_dir, &ops, &state, err);
    } else {
        cat_ctx_free(ctx);
        rc = i2i_error_set(err, I2I_ERR_UNSUPPORTED,
                           "catalog '%s': type '%s' is not supported (supported: sql, hadoop)",
                           name, type);
    }
    ctx = NULL; /* owned by the back-end from here, also on failure */
    if (rc != I2I_OK) goto fail;
    c->ops = ops;
    c->state = state;
    *out = c;
    return I2I_OK;

fail:
    cat_ctx_free(ctx);
    if (c) {
        storage_close(c->files);
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
    free(c->name);
    free(c);
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
