/*
 * storage: where table files live. A back-end is a struct of function pointers plus an opaque
 * state, chosen by the location's scheme ("file://" or a plain absolute/relative path: local
 * disk; "s3://bucket/key": S3-compatible object stores). Callers never branch on the
 * back-end.
 *
 * Locations are full URIs or paths as they appear in Iceberg metadata; a back-end accepts the
 * locations of its own scheme.
 */
#ifndef I2I_STORAGE_H
#define I2I_STORAGE_H

#include <jansson.h>

#include "../util/util.h"

typedef struct storage storage;
typedef struct storage_writer storage_writer;

typedef struct storage_ops {
    const char *name; /* "local", "s3" */
    /* Write a whole object, replacing any existing one (atomically for local: temp + rename). */
    int (*put)(void *state, const char *location, const void *data, size_t len, i2i_error *err);
    /* Write only if absent: I2I_ERR_EXISTS when something is already there. */
    int (*put_if_absent)(void *state, const char *location, const void *data, size_t len,
                         i2i_error *err);
    /* Read a whole object into out (cleared first). I2I_ERR_NOT_FOUND when missing. */
    int (*get)(void *state, const char *location, i2i_buf *out, i2i_error *err);
    /* 1 exists, 0 missing, negative error. */
    int (*exists)(void *state, const char *location, i2i_error *err);
    /* Remove; a missing object is not an error. */
    int (*remove)(void *state, const char *location, i2i_error *err);
    /* Size in bytes; I2I_ERR_NOT_FOUND when missing. */
    int (*size)(void *state, const char *location, int64_t *out, i2i_error *err);
    /* Streaming writes for large files (Parquet): open, write..., commit (visible) or abort. */
    int (*writer_open)(void *state, const char *location, storage_writer **out, i2i_error *err);
    int (*writer_write)(storage_writer *w, const void *data, size_t len, i2i_error *err);
    int (*writer_commit)(storage_writer *w, i2i_error *err); /* frees w */
    void (*writer_abort)(storage_writer *w);                 /* frees w; accepts NULL */
    /* List object locations directly under a directory-like prefix (names only, sorted);
     * each result is appended to out (a JSON array) as a string. "Names only" means the part
     * after the prefix's last '/', e.g. listing ".../metadata" gives "v1.metadata.json". Only
     * objects (regular files for local) are listed, not sub-directories, and a missing prefix
     * lists as empty (object stores have no directories). The local back-end hides its own
     * in-flight temp files (".<name>.tmp-<hex>"). */
    int (*list)(void *state, const char *prefix, json_t *out, i2i_error *err);
    /* Every object below a prefix, at any depth (as an object store lists without a delimiter):
     * appends {"path": <relative to the prefix>, "size": n, "mtime_ms": t} objects, sorted by
     * path; temp files hidden. Used to find files no snapshot references (orphans). */
    int (*list_tree)(void *state, const char *prefix, json_t *out, i2i_error *err);
    void (*close)(void *state);
    /* Optional: the job's stop flag for the back-end's waits and transfers (storage_set_cancel). */
    void (*set_cancel)(void *state, const volatile int *cancel);
} storage_ops;

struct storage {
    const storage_ops *ops;
    void *state;
    /* Test fault injection (storage_set_fault); NULL in production. Borrowed. */
    const i2i_fault *fault;
};

/* Test fault injection for this storage (NULL = none; the hook is borrowed and must outlive s).
 * Points, each failing with the hook's status when it returns one:
 *   "storage.before-put"     put, put_if_absent, writer_commit: before the object is written
 *                            (nothing visible);
 *   "storage.after-put"      the same, after the object is visible (the caller sees a failure);
 *   "s3.multipart.part"      after each multipart part upload (an incomplete upload is left);
 *   "s3.multipart.complete"  every part uploaded, before CompleteMultipartUpload. */
void storage_set_fault(storage *s, const i2i_fault *fault);

/* A job's stop flag (NULL = none; borrowed, must outlive s): a raised flag cuts the back-end's
 * retry waits short and aborts its transfers in flight (S3), so a stop during an outage does not
 * sit out the retries. Local storage has nothing to wait for. */
void storage_set_cancel(storage *s, const volatile int *cancel);

/* Open the back-end for a location's scheme with the FileIO properties of catalog_configs
 * (PyIceberg keys: s3.endpoint, s3.access-key-id, ...; may be NULL). An unknown scheme gives
 * I2I_ERR_UNSUPPORTED. */
int storage_open_for(const char *location, const json_t *props, storage **out, i2i_error *err);
void storage_close(storage *s); /* accepts NULL */

/* Extension: the back-end name ("local", "s3") that serves a location, or NULL for an unknown
 * scheme. Lets a caller holding one storage tell whether it also serves another location
 * (strcmp with s->ops->name) without opening anything. */
const char *storage_backend_for(const char *location);

/* Thin wrappers so callers read naturally. */
int storage_put(storage *s, const char *location, const void *data, size_t len, i2i_error *err);
int storage_put_if_absent(storage *s, const char *location, const void *data, size_t len,
                          i2i_error *err);
int storage_get(storage *s, const char *location, i2i_buf *out, i2i_error *err);
int storage_exists(storage *s, const char *location, i2i_error *err);
int storage_remove(storage *s, const char *location, i2i_error *err);
int storage_size(storage *s, const char *location, int64_t *out, i2i_error *err);
int storage_writer_open(storage *s, const char *location, storage_writer **out, i2i_error *err);
int storage_writer_write(storage *s, storage_writer *w, const void *data, size_t len, i2i_error *err);
int storage_writer_commit(storage *s, storage_writer *w, i2i_error *err);
void storage_writer_abort(storage *s, storage_writer *w);
int storage_list(storage *s, const char *prefix, json_t *out, i2i_error *err);
int storage_list_tree(storage *s, const char *prefix, json_t *out, i2i_error *err);

/* The S3 back-end (s3://, s3a://, s3n://) with FileIO properties as PyIceberg names them:
 * s3.endpoint, s3.region, s3.access-key-id, s3.secret-access-key, s3.session-token,
 * s3.path-style-access (Java's key) / s3.force-virtual-addressing, s3.anonymous, and
 * s3.multipart.part-size-bytes (default 8 MiB). Missing keys fall back to client.* and then to
 * AWS_REGION / AWS_DEFAULT_REGION, AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL, AWS_ACCESS_KEY_ID,
 * AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN and AWS_CA_BUNDLE. Addressing is path-style when an
 * endpoint is set, virtual-hosted otherwise, unless a key says otherwise. TLS is always verified.
 * No network traffic. */
int storage_s3_open(const json_t *props, storage **out, i2i_error *err);

/* The local back-end, for tests and the embedded default. */
int storage_local_open(storage **out, i2i_error *err);
/* "file:///a/b" -> "/a/b" ("file:/a/b" and "file://localhost/a/b" too); a plain path is returned
 * as is. The result points into location. NULL if not a local location (another scheme, or a
 * file URI naming another host). No percent-decoding: Iceberg writers put raw paths in file
 * URIs. */
const char *storage_local_path(const char *location);

#endif /* I2I_STORAGE_H */
