/* Helpers shared by the catalog tests (header-only, static). */
#ifndef I2I_CATALOG_TEST_UTIL_H
#define I2I_CATALOG_TEST_UTIL_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog/catalog.h"
#include "test.h"

/* The PostgreSQL server started by pg_harness.sh, or NULL (with a message saying why). */
static inline const char *test_pg_uri(void)
{
    const char *u = getenv("I2I_TEST_PG_URI");
    if (!u || !*u) {
        fprintf(stderr, "  I2I_TEST_PG_URI is not set: run this test through "
                        "tests/catalog/pg_harness.sh (ctest does)\n");
        return NULL;
    }
    return u;
}

/* A minimal metadata object: what the catalog needs (location) plus a counter property. */
static inline json_t *test_metadata(const char *location, long counter)
{
    char c[32];
    snprintf(c, sizeof c, "%ld", counter);
    return json_pack("{s:i, s:s, s:s, s:I, s:I, s:i, s:{s:s}, s:[]}", "format-version", 2,
                     "table-uuid", "9c12d441-03fe-4693-9a96-a0705ddf69c1", "location", location,
                     "last-sequence-number", (json_int_t)0, "last-updated-ms",
                     (json_int_t)1700000000123, "last-column-id", 1, "properties", "test.counter",
                     c, "metadata-log");
}

static inline long test_counter(const json_t *md)
{
    const char *c = json_string_value(json_object_get(json_object_get(md, "properties"),
                                                      "test.counter"));
    return c ? strtol(c, NULL, 10) : -1;
}

/* A copy of base's metadata with the counter incremented and base appended to metadata-log,
 * the way a real writer builds its next version. */
static inline json_t *test_next_metadata(const catalog_table *base)
{
    json_t *md = json_deep_copy(base->metadata);
    char c[32];
    json_t *log;
    if (!md) return NULL;
    snprintf(c, sizeof c, "%ld", test_counter(base->metadata) + 1);
    json_object_set_new(json_object_get(md, "properties"), "test.counter", json_string(c));
    log = json_object_get(md, "metadata-log");
    if (!json_is_array(log)) {
        log = json_array();
        json_object_set_new(md, "metadata-log", log);
    }
    json_array_append_new(log, json_pack("{s:I, s:s}", "timestamp-ms", (json_int_t)1700000000123,
                                         "metadata-file", base->metadata_location));
    return md;
}

/* Create ns.table with a counter of 0 at the catalog's default location. */
static inline int test_create_table(catalog *c, const char *ns, const char *table,
                                    catalog_table *out, i2i_error *e)
{
    char *loc = NULL;
    json_t *md;
    catalog_commit_request req = {NULL, NULL, NULL, NULL};
    int rc = catalog_default_location(c, ns, table, &loc, e);
    if (rc != 0) return rc;
    md = test_metadata(loc, 0);
    req.new_metadata = md;
    rc = catalog_commit(c, ns, table, &req, out, e);
    json_decref(md);
    free(loc);
    return rc;
}

/* Commit test_next_metadata(base) on top of base. */
static inline int test_commit_next(catalog *c, const char *ns, const char *table,
                                   const catalog_table *base, catalog_table *out, i2i_error *e)
{
    json_t *md = test_next_metadata(base);
    catalog_commit_request req = {base, md, NULL, NULL};
    int rc = catalog_commit(c, ns, table, &req, out, e);
    json_decref(md);
    return rc;
}

/* Regular files in a local directory (location or path), hidden ones included; -1 if missing. */
static inline int test_count_files(const char *dir_location)
{
    const char *dir = storage_local_path(dir_location);
    return dir ? i2i_test_count_entries(dir) : -1;
}

/* Directory of a location (malloc'd). */
static inline char *test_dirname(const char *location)
{
    const char *slash = strrchr(location, '/');
    return slash ? i2i_strndup(location, (size_t)(slash - location)) : i2i_strdup(".");
}

#endif
