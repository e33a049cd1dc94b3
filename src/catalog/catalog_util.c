/* Small helpers every catalog back-end shares: strings, locations, paths, table values. */
#include "catalog_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

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

void cat_register_secrets(const json_t *configs)
{
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)configs, key, v)
    {
        static const char *marks[] = {"secret", "token", "password", "credential", "key-id"};
        size_t i;
        if (!json_is_string(v)) continue;
        /* Any URI-like value (uri, s3.endpoint, oauth2-server-uri...) may carry a password. */
        i2i_log_add_url_password(json_string_value(v));
        for (i = 0; i < sizeof marks / sizeof marks[0]; i++) {
            if (strcasestr(key, marks[i])) {
                i2i_log_add_secret(json_string_value(v));
                break;
            }
        }
    }
}

void catalog_table_clear(catalog_table *t)
{
    if (!t) return;
    free(t->metadata_location);
    json_decref(t->metadata);
    json_decref(t->config);
    t->metadata_location = NULL;
    t->metadata = NULL;
    t->config = NULL;
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

