/*
 * The filesystem ("hadoop") catalog: a table is <warehouse>/<ns levels as dirs>/<table>, its
 * versions are metadata/v<N>.metadata.json (N from 1) and metadata/version-hint.text holds the
 * current N as bare decimal digits with no trailing newline (what Java writes and DuckDB reads).
 *
 * Commit = create-if-absent of v<N+1> (storage put_if_absent: link(2) locally, so exactly one of
 * several racing writers wins; the others get I2I_ERR_CONFLICT), then a best-effort hint update
 * (temp + rename). Loading trusts the hint only as a starting point: it rolls forward while
 * v<hint+1> exists (a hint can lag behind a crashed or racing writer) and falls back to listing
 * v*.metadata.json when the hint is missing, unparsable or points nowhere. Gzip-compressed
 * versions (v<N>.gz.metadata.json, written by Java) are read but never written.
 */
#include "catalog_internal.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>

#define HINT_NAME "version-hint.text"

typedef struct hd_state {
    cat_ctx *ctx;
} hd_state;

/* N of "v<N>.metadata.json" / "v<N>.gz.metadata.json", -1 otherwise. */
static long hadoop_version(const char *name)
{
    const char *p = name;
    long v = 0;
    if (*p++ != 'v' || !isdigit((unsigned char)*p)) return -1;
    while (isdigit((unsigned char)*p)) {
        if (v > 999999999L) return -1;
        v = v * 10 + (*p++ - '0');
    }
    if (strcmp(p, ".metadata.json") != 0 && strcmp(p, ".gz.metadata.json") != 0) return -1;
    return v;
}

static int table_dir(hd_state *h, const char *ns, const char *table, char **out, i2i_error *err)
{
    char *nsdir = cat_ns_path(ns);
    *out = nsdir ? cat_printf("%s/%s/%s", h->ctx->warehouse, nsdir, table) : NULL;
    free(nsdir);
    return *out ? I2I_OK : i2i_error_nomem(err, "building a location");
}

static int meta_dir(hd_state *h, const char *ns, const char *table, char **out, i2i_error *err)
{
    char *t;
    I2I_TRY(table_dir(h, ns, table, &t, err));
    *out = cat_join(t, "metadata");
    free(t);
    return *out ? I2I_OK : i2i_error_nomem(err, "building a location");
}

/* Whether version n exists (plain or gzip name); *loc gets the name found (malloc'd). */
static int version_exists(storage *st, const char *mdir, long n, char **loc, i2i_error *err)
{
    static const char *const fmts[] = {"%s/v%ld.metadata.json", "%s/v%ld.gz.metadata.json"};
    size_t i;
    *loc = NULL;
    for (i = 0; i < 2; i++) {
        char *l = cat_printf(fmts[i], mdir, n);
        int rc;
        if (!l) return i2i_error_nomem(err, "building a location");
        rc = storage_exists(st, l, err);
        if (rc == 1) {
            *loc = l;
            return 1;
        }
        free(l);
        if (rc < 0) return rc;
    }
    return 0;
}

/* The current version and its file; NOT_FOUND when the table has no version. */
static int find_current(hd_state *h, const char *ns, const char *table, long *ver, char **loc,
                        i2i_error *err)
{
    char *mdir = NULL, *hint_loc = NULL, *next = NULL;
    storage *st;
    i2i_buf hint = I2I_BUF_INIT;
    json_t *names = NULL;
    long n = -1;
    int rc, found = 0;

    *loc = NULL;
    *ver = 0;
    I2I_TRY(meta_dir(h, ns, table, &mdir, err));
    I2I_TRY_GOTO(cat_storage_for(h->ctx, mdir, &st, err), rc, done);
    hint_loc = cat_join(mdir, HINT_NAME);
    if (!hint_loc) {
        rc = i2i_error_nomem(err, "building a location");
        goto done;
    }
    rc = storage_get(st, hint_loc, &hint, err);
    if (rc == I2I_OK) {
        /* Bare digits; surrounding whitespace is tolerated when reading. */
        const char *p = i2i_buf_cstr(&hint);
        char *end = NULL;
        while (p && isspace((unsigned char)*p)) p++;
        if (p && isdigit((unsigned char)*p)) {
            long v = strtol(p, &end, 10);
            while (end && isspace((unsigned char)*end)) end++;
            if (end && *end == '\0' && v >= 1) n = v;
        }
        if (n < 1) I2I_WARN("catalog '%s': ignoring unparsable '%s'", h->ctx->name, hint_loc);
    } else if (rc != I2I_ERR_NOT_FOUND) {
        goto done;
    }
    if (n >= 1) {
        rc = version_exists(st, mdir, n, loc, err);
        if (rc < 0) goto done;
        found = rc == 1;
        if (!found)
            I2I_WARN("catalog '%s': '%s' names version %ld which does not exist; listing instead",
                     h->ctx->name, hint_loc, n);
    }
    if (!found) {
        size_t i;
        names = json_array();
        if (!names) {
            rc = i2i_error_nomem(err, "listing metadata");
            goto done;
        }
        I2I_TRY_GOTO(storage_list(st, mdir, names, err), rc, done);
        n = -1;
        for (i = 0; i < json_array_size(names); i++) {
            long v = hadoop_version(json_string_value(json_array_get(names, i)));
            if (v > n) n = v;
        }
        if (n < 1) {
            rc = i2i_error_set(err, I2I_ERR_NOT_FOUND,
                               "catalog '%s' (hadoop): table '%s.%s' does not exist (no "
                               "v<N>.metadata.json in '%s')",
                               h->ctx->name, ns, table, mdir);
            goto done;
        }
        rc = version_exists(st, mdir, n, loc, err);
        if (rc < 0) goto done;
        if (rc == 0) {
            rc = i2i_error_set(err, I2I_ERR_IO, "catalog '%s': version %ld of '%s.%s' vanished",
                               h->ctx->name, n, ns, table);
            goto done;
        }
    }
    /* Roll forward past a lagging hint (or a writer that committed after we listed). */
    for (;;) {
        rc = version_exists(st, mdir, n + 1, &next, err);
        if (rc < 0) goto done;
        if (rc == 0) break;
        free(*loc);
        *loc = next;
        next = NULL;
        n++;
    }
    *ver = n;
    rc = I2I_OK;
done:
    if (rc != I2I_OK) {
        free(*loc);
        *loc = NULL;
    }
    json_decref(names);
    i2i_buf_free(&hint);
    free(hint_loc);
    free(mdir);
    return rc;
}

static int hd_load(void *state, const char *ns, const char *table, catalog_table *out,
                   i2i_error *err)
{
    hd_state *h = state;
    char *loc;
    long v;
    json_t *md;
    int rc = find_current(h, ns, table, &v, &loc, err);
    if (rc != I2I_OK) {
        if (rc != I2I_ERR_NOT_FOUND)
            i2i_error_wrap(err, "catalog '%s': load table '%s.%s'", h->ctx->name, ns, table);
        return rc;
    }
    rc = cat_read_metadata(h->ctx, loc, &md, err);
    if (rc != I2I_OK) {
        free(loc);
        return CAT_WRAP(rc, err, "catalog '%s': load table '%s.%s'", h->ctx->name, ns, table);
    }
    catalog_table_clear(out);
    out->metadata_location = loc;
    out->metadata = md;
    return I2I_OK;
}

static int hd_ensure_namespace(void *state, const char *ns, i2i_error *err)
{
    /* Namespaces are directories; they come into being with their first table. */
    (void)state;
    (void)ns;
    (void)err;
    return I2I_OK;
}

static int write_hint(hd_state *h, const char *mdir, long n)
{
    char text[32];
    char *hint = cat_join(mdir, HINT_NAME);
    storage *st;
    i2i_error e;
    int len = snprintf(text, sizeof text, "%ld", n); /* no trailing newline */
    int rc = hint ? cat_storage_for(h->ctx, hint, &st, &e) : i2i_error_nomem(&e, "hint");
    if (rc == I2I_OK) rc = storage_put(st, hint, text, (size_t)len, &e);
    if (rc != I2I_OK)
        I2I_WARN("catalog '%s': could not update '%s' (readers fall back to listing): %s",
                 h->ctx->name, hint ? hint : mdir, e.msg);
    free(hint);
    return rc;
}

static int hd_commit(void *state, const char *ns, const char *table,
                     const catalog_commit_request *req, catalog_table *out, i2i_error *err)
{
    hd_state *h = state;
    char *mdir = NULL, *loc = NULL, *existing = NULL;
    storage *st;
    long n;
    int rc;

    I2I_TRY(meta_dir(h, ns, table, &mdir, err));
    I2I_TRY_GOTO(cat_storage_for(h->ctx, mdir, &st, err), rc, done);
    if (!req->base) {
        long cur;
        rc = find_current(h, ns, table, &cur, &existing, err);
        if (rc == I2I_OK) {
            rc = i2i_error_set(err, I2I_ERR_EXISTS,
                               "catalog '%s' (hadoop): table '%s.%s' already exists ('%s')",
                               h->ctx->name, ns, table, existing);
            goto done;
        }
        if (rc != I2I_ERR_NOT_FOUND) goto done;
        n = 1;
    } else {
        n = hadoop_version(cat_basename(req->base->metadata_location));
        if (n < 1) {
            rc = i2i_error_set(err, I2I_ERR_INVALID,
                               "catalog '%s' (hadoop): base metadata '%s' of '%s.%s' is not a "
                               "v<N>.metadata.json file",
                               h->ctx->name, req->base->metadata_location, ns, table);
            goto done;
        }
        n++;
        /* A gzip-named successor written by another tool also means we lost. */
        rc = version_exists(st, mdir, n, &existing, err);
        if (rc < 0) goto done;
        if (rc == 1) {
            rc = i2i_error_set(err, I2I_ERR_CONFLICT,
                               "catalog '%s' (hadoop): commit of '%s.%s' lost a race: '%s' "
                               "already exists; reload and retry",
                               h->ctx->name, ns, table, existing);
            goto done;
        }
    }
    loc = cat_printf("%s/v%ld.metadata.json", mdir, n);
    if (!loc) {
        rc = i2i_error_nomem(err, "naming a metadata file");
        goto done;
    }
    rc = cat_write_metadata(h->ctx, loc, req->new_metadata, 1, err);
    if (rc == I2I_ERR_EXISTS) {
        rc = req->base ? i2i_error_set(err, I2I_ERR_CONFLICT,
                                       "catalog '%s' (hadoop): commit of '%s.%s' lost a race: "
                                       "'%s' already exists; reload and retry",
                                       h->ctx->name, ns, table, loc)
                       : i2i_error_set(err, I2I_ERR_EXISTS,
                                       "catalog '%s' (hadoop): table '%s.%s' already exists ('%s')",
                                       h->ctx->name, ns, table, loc);
        goto done;
    }
    if (rc != I2I_OK) goto done;
    write_hint(h, mdir, n); /* best effort */
    if (out) rc = cat_table_set(out, loc, req->new_metadata, err);
done:
    free(existing);
    free(loc);
    free(mdir);
    return rc;
}

static int hd_default_location(void *state, const char *ns, const char *table, char **out,
                               i2i_error *err)
{
    return table_dir(state, ns, table, out, err);
}

/* Removes the table's metadata versions and hint (the table stops existing); data files and
 * manifests stay, like a drop without purge. */
static int hd_drop(void *state, const char *ns, const char *table, i2i_error *err)
{
    hd_state *h = state;
    char *mdir = NULL, *loc = NULL;
    storage *st;
    json_t *names = NULL;
    long v;
    size_t i;
    int rc = find_current(h, ns, table, &v, &loc, err);
    if (rc != I2I_OK) return rc;
    I2I_TRY_GOTO(meta_dir(h, ns, table, &mdir, err), rc, done);
    I2I_TRY_GOTO(cat_storage_for(h->ctx, mdir, &st, err), rc, done);
    names = json_array();
    if (!names) {
        rc = i2i_error_nomem(err, "listing metadata");
        goto done;
    }
    I2I_TRY_GOTO(storage_list(st, mdir, names, err), rc, done);
    for (i = 0; i < json_array_size(names); i++) {
        const char *name = json_string_value(json_array_get(names, i));
        char *l;
        if (strcmp(name, HINT_NAME) != 0 && hadoop_version(name) < 1) continue;
        l = cat_join(mdir, name);
        if (!l) {
            rc = i2i_error_nomem(err, "dropping a table");
            goto done;
        }
        rc = storage_remove(st, l, err);
        free(l);
        if (rc != I2I_OK) {
            i2i_error_wrap(err, "catalog '%s': drop table '%s.%s'", h->ctx->name, ns, table);
            goto done;
        }
    }
done:
    json_decref(names);
    free(mdir);
    free(loc);
    return rc;
}

static void hd_close(void *state)
{
    hd_state *h = state;
    if (!h) return;
    cat_ctx_free(h->ctx);
    free(h);
}

static const catalog_ops hadoop_ops = {
    .type = "hadoop",
    .load_table = hd_load,
    .ensure_namespace = hd_ensure_namespace,
    .commit = hd_commit,
    .default_location = hd_default_location,
    .drop_table = hd_drop,
    .close = hd_close,
};

int catalog_hadoop_open(cat_ctx *ctx, const json_t *configs, const char *base_dir,
                        const catalog_ops **ops, void **state, i2i_error *err)
{
    hd_state *h;
    (void)configs;
    (void)base_dir;
    *state = NULL;
    if (!ctx->warehouse) {
        int rc = i2i_error_set(err, I2I_ERR_INVALID,
                               "catalog '%s': type hadoop needs a \"warehouse\"", ctx->name);
        cat_ctx_free(ctx);
        return rc;
    }
    h = calloc(1, sizeof *h);
    if (!h) {
        cat_ctx_free(ctx);
        return i2i_error_nomem(err, "opening the hadoop catalog");
    }
    h->ctx = ctx;
    *ops = &hadoop_ops;
    *state = h;
    return I2I_OK;
}
