/*
 * storage: where table files live. A back-end is a struct of function pointers plus an opaque
 * state, chosen by the location's scheme ("file://" or a plain absolute/relative path: local
 * disk; "s3://bucket/key": S3-compatible object stores, later). Callers never branch on the
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
     * each result is appended to out as a string. */
    int (*list)(void *state, const char *prefix, json_t *out, i2i_error *err);
    void (*close)(void *state);
} storage_ops;

struct storage {
    const storage_ops *ops;
    void *state;
};

/* Open the back-end for a location's scheme with the FileIO properties of catalog_configs
 * (PyIceberg keys: s3.endpoint, s3.access-key-id, ...; may be NULL). */
int storage_open_for(const char *location, const json_t *props, storage **out, i2i_error *err);
void storage_close(storage *s);

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

/* The local back-end, for tests and the embedded default. */
int storage_local_open(storage **out, i2i_error *err);
/* "file:///a/b" -> "/a/b"; a plain path is returned as is. NULL if not a local location. */
const char *storage_local_path(const char *location);

#endif /* I2I_STORAGE_H */
