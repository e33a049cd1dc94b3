/* The storage facade: picks a back-end by the location's scheme and forwards to it. Adding a
 * back-end (S3) means one row in `backends` and an open function; callers never change. */
#include "storage.h"

#include <ctype.h>
#include <stdlib.h>
#include <strings.h>

typedef int (*backend_open_fn)(const char *location, const json_t *props, storage **out,
                               i2i_error *err);

static int open_local(const char *location, const json_t *props, storage **out, i2i_error *err)
{
    (void)props;
    if (!storage_local_path(location))
        return i2i_error_set(err, I2I_ERR_UNSUPPORTED,
                             "storage: location '%s' is not a local file location (file URIs "
                             "need an absolute path on this host)",
                             location);
    return storage_local_open(out, err);
}

static int open_s3(const char *location, const json_t *props, storage **out, i2i_error *err)
{
    (void)location; /* the bucket comes with each location: one storage serves them all */
    return storage_s3_open(props, out, err);
}

/* Scheme -> back-end. "" stands for a plain path (no scheme). */
static const struct {
    const char *scheme;
    const char *backend;
    backend_open_fn open;
} backends[] = {
    {"", "local", open_local},
    {"file", "local", open_local},
    {"s3", "s3", open_s3},
    {"s3a", "s3", open_s3},
    {"s3n", "s3", open_s3},
};

/* Length of the scheme of "scheme:..." when the location is a URI, else 0 (a plain path). A URI
 * scheme is ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) followed by ':' and, for everything but
 * file:, "//". Single letters are not schemes (they would be drive letters elsewhere). */
static size_t scheme_len(const char *location)
{
    size_t i = 0;
    if (!location || !isalpha((unsigned char)location[0])) return 0;
    while (isalnum((unsigned char)location[i]) || location[i] == '+' || location[i] == '-' ||
           location[i] == '.')
        i++;
    if (location[i] != ':' || i < 2) return 0;
    if (strncmp(location + i, "://", 3) == 0) return i;
    if (i == 4 && strncmp(location, "file", 4) == 0) return i; /* file:/abs */
    return 0;
}

static int find_backend(const char *location, size_t *idx)
{
    size_t n = scheme_len(location), i;
    for (i = 0; i < sizeof backends / sizeof backends[0]; i++) {
        size_t sl = strlen(backends[i].scheme);
        if (sl == n && strncasecmp(location, backends[i].scheme, n) == 0) {
            *idx = i;
            return 1;
        }
    }
    return 0;
}

const char *storage_backend_for(const char *location)
{
    size_t i;
    if (!location || !find_backend(location, &i)) return NULL;
    if (strcmp(backends[i].backend, "local") == 0 && !storage_local_path(location)) return NULL;
    return backends[i].backend;
}

int storage_open_for(const char *location, const json_t *props, storage **out, i2i_error *err)
{
    size_t i;
    *out = NULL;
    if (!location || !*location)
        return i2i_error_set(err, I2I_ERR_INVALID, "storage: empty location");
    if (!find_backend(location, &i)) {
        size_t n = scheme_len(location);
        return i2i_error_set(err, I2I_ERR_UNSUPPORTED,
                             "storage: no back-end for scheme '%.*s' (location '%s')", (int)n,
                             location, location);
    }
    return backends[i].open(location, props, out, err);
}

void storage_close(storage *s)
{
    if (!s) return;
    if (s->ops && s->ops->close) s->ops->close(s->state);
    free(s);
}

void storage_set_fault(storage *s, const i2i_fault *fault)
{
    if (s) s->fault = fault;
}

void storage_set_cancel(storage *s, const volatile int *cancel)
{
    if (s && s->ops->set_cancel) s->ops->set_cancel(s->state, cancel);
}

/* The fault points around every write that makes an object visible, whatever the back-end. An
 * injected failure names the object as the back-end's own message would ("local storage: write
 * '<path>': No space left on device"), so a test sees what a user would. */
static int before_put(storage *s, const char *location, i2i_error *err)
{
    int rc = i2i_fault_at(s->fault, "storage.before-put", err);
    if (rc < 0) i2i_error_wrap(err, "%s storage: write '%s'", s->ops->name, location);
    return rc;
}

static int after_put(storage *s, const char *location, int rc, i2i_error *err)
{
    if (rc < 0) return rc;
    rc = i2i_fault_at(s->fault, "storage.after-put", err);
    if (rc < 0) i2i_error_wrap(err, "%s storage: after writing '%s'", s->ops->name, location);
    return rc;
}

int storage_put(storage *s, const char *location, const void *data, size_t len, i2i_error *err)
{
    I2I_TRY(before_put(s, location, err));
    return after_put(s, location, s->ops->put(s->state, location, data, len, err), err);
}

int storage_put_if_absent(storage *s, const char *location, const void *data, size_t len,
                          i2i_error *err)
{
    I2I_TRY(before_put(s, location, err));
    return after_put(s, location, s->ops->put_if_absent(s->state, location, data, len, err), err);
}

int storage_get(storage *s, const char *location, i2i_buf *out, i2i_error *err)
{
    return s->ops->get(s->state, location, out, err);
}

int storage_exists(storage *s, const char *location, i2i_error *err)
{
    return s->ops->exists(s->state, location, err);
}

int storage_remove(storage *s, const char *location, i2i_error *err)
{
    return s->ops->remove(s->state, location, err);
}

int storage_size(storage *s, const char *location, int64_t *out, i2i_error *err)
{
    return s->ops->size(s->state, location, out, err);
}

int storage_writer_open(storage *s, const char *location, storage_writer **out, i2i_error *err)
{
    return s->ops->writer_open(s->state, location, out, err);
}

int storage_writer_write(storage *s, storage_writer *w, const void *data, size_t len,
                         i2i_error *err)
{
    return s->ops->writer_write(w, data, len, err);
}

int storage_writer_commit(storage *s, storage_writer *w, i2i_error *err)
{
    /* The facade does not know a writer's location: the caller (the data file writer) names
     * the file when it wraps the failure. */
    int rc = i2i_fault_at(s->fault, "storage.before-put", err);
    if (rc < 0) {
        s->ops->writer_abort(w); /* commit frees w whatever happens; so does a failure here */
        return rc;
    }
    rc = s->ops->writer_commit(w, err);
    return rc < 0 ? rc : i2i_fault_at(s->fault, "storage.after-put", err);
}

void storage_writer_abort(storage *s, storage_writer *w)
{
    if (!w) return;
    s->ops->writer_abort(w);
}

int storage_list(storage *s, const char *prefix, json_t *out, i2i_error *err)
{
    return s->ops->list(s->state, prefix, out, err);
}

int storage_list_tree(storage *s, const char *prefix, json_t *out, i2i_error *err)
{
    if (!s->ops->list_tree)
        return i2i_error_set(err, I2I_ERR_UNSUPPORTED, "%s storage cannot list '%s' recursively",
                             s->ops->name, prefix);
    return s->ops->list_tree(s->state, prefix, out, err);
}
