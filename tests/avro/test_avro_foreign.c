/* avro: reading files written by another implementation. make_foreign_fixtures.py writes, at test
 * time and with Debian's python3-avro, Iceberg manifests and manifest lists with the exact schemas
 * Java Iceberg 1.8.1 and PyIceberg put in their headers (v2 and v1-style), with the deflate and
 * null codecs, several blocks, int-keyed maps as arrays of k/v records, and negative array/map
 * block counts. Each file is read with our reader and compared with the values the script put in.
 *
 * Real Java/PyIceberg files are not used here: they are binaries (not committed) from a repository
 * snapshot that the tests cannot count on. The schemas and header keys are copied from them (see
 * the script's docstring). */
#include "test.h"
#include "avro/avro.h"

#include <stdio.h>
#include <stdlib.h>

#ifndef I2I_AVRO_FIXTURE_SCRIPT
#error "I2I_AVRO_FIXTURE_SCRIPT must name make_foreign_fixtures.py"
#endif

static json_t *expected;
static int generated;

/* Run the fixture script once per process; NULL (and a failure recorded) when it could not. */
static json_t *fixtures(void)
{
    char cmd[2048];
    int rc;
    if (generated) {
        if (!expected) i2i_test_fail(__FILE__, __LINE__, "no fixtures (see the first failure)");
        return expected;
    }
    generated = 1;
    snprintf(cmd, sizeof cmd, "/usr/bin/python3 '%s' '%s'", I2I_AVRO_FIXTURE_SCRIPT,
             i2i_test_tmpdir());
    rc = system(cmd);
    if (rc != 0) {
        i2i_test_fail(__FILE__, __LINE__, "fixture script failed (status %d): %s -- is the Debian "
                      "package python3-avro installed?", rc, cmd);
        return NULL;
    }
    snprintf(cmd, sizeof cmd, "%s/expected.json", i2i_test_tmpdir());
    expected = json_load_file(cmd, 0, NULL);
    if (!expected) i2i_test_fail(__FILE__, __LINE__, "cannot load %s", cmd);
    return expected;
}

static uint8_t *slurp(const char *name, size_t *len)
{
    char path[1024];
    FILE *f;
    uint8_t *data;
    long n;
    snprintf(path, sizeof path, "%s/%s", i2i_test_tmpdir(), name);
    f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    fseek(f, 0, SEEK_SET);
    data = malloc(n > 0 ? (size_t)n : 1);
    if (data && fread(data, 1, (size_t)n, f) != (size_t)n) {
        free(data);
        data = NULL;
    }
    fclose(f);
    *len = (size_t)n;
    return data;
}

/* Read one fixture with our reader and compare header and records; returns records compared. */
static int check_file(const json_t *want)
{
    const char *name = json_string_value(json_object_get(want, "file"));
    const json_t *records = json_object_get(want, "records");
    const char *key;
    json_t *value, *rec;
    avro_reader *r;
    i2i_error err;
    uint8_t *data;
    size_t len, k = 0;
    int rc, compared = 0;

    data = slurp(name, &len);
    if (!data) {
        i2i_test_fail(__FILE__, __LINE__, "%s: missing", name);
        return 0;
    }
    if (avro_reader_open(data, len, name, &r, &err) < 0) {
        i2i_test_fail(__FILE__, __LINE__, "%s: %s", name, err.msg);
        free(data);
        return 0;
    }
    CHECK_EQ_STR(avro_reader_schema_text(r), json_string_value(json_object_get(want, "schema")));
    json_object_foreach((json_t *)json_object_get(want, "meta"), key, value) {
        const char *got = avro_reader_meta(r, key);
        if (!got || strcmp(got, json_string_value(value)) != 0)
            i2i_test_fail(__FILE__, __LINE__, "%s: header %s: want '%s', got '%s'", name, key,
                          json_string_value(value), got ? got : "(absent)");
    }
    while ((rc = avro_reader_next(r, &rec, &err)) == 1) {
        const json_t *w = json_array_get(records, k);
        if (!w || !json_equal(rec, w)) {
            char *a = json_dumps(rec, JSON_SORT_KEYS | JSON_COMPACT);
            char *b = w ? json_dumps(w, JSON_SORT_KEYS | JSON_COMPACT) : NULL;
            i2i_test_fail(__FILE__, __LINE__, "%s record %zu:\n  got  %s\n  want %s", name, k, a,
                          b ? b : "(no more records)");
            free(a);
            free(b);
        } else {
            compared++;
        }
        json_decref(rec);
        k++;
    }
    if (rc < 0) i2i_test_fail(__FILE__, __LINE__, "%s: %s", name, err.msg);
    if (k != json_array_size(records))
        i2i_test_fail(__FILE__, __LINE__, "%s: read %zu records, want %zu", name, k,
                      json_array_size(records));
    avro_reader_free(r);
    free(data);
    return compared;
}

static void check_named(const char *file, int min_records)
{
    const json_t *exp = fixtures();
    const json_t *files, *f;
    size_t i;
    if (!exp) return;
    files = json_object_get(exp, "files");
    json_array_foreach(files, i, f) {
        if (strcmp(json_string_value(json_object_get(f, "file")), file) == 0) {
            int n = check_file(f);
            if (n < min_records)
                i2i_test_fail(__FILE__, __LINE__, "%s: only %d records compared", file, n);
            return;
        }
    }
    i2i_test_fail(__FILE__, __LINE__, "%s: not among the fixtures", file);
}

TEST(reads_java_v2_manifest_deflate_many_blocks) { check_named("java-v2-manifest.avro", 400); }
TEST(reads_java_v2_manifest_list_deflate) { check_named("java-v2-manifest-list.avro", 6); }
TEST(reads_pyiceberg_manifest_null_codec_timestamp_partition)
{
    check_named("pyiceberg-manifest.avro", 6);
}
TEST(reads_pyiceberg_manifest_list_null_codec) { check_named("pyiceberg-manifest-list.avro", 6); }
TEST(reads_java_v1_manifest_with_v1_optional_fields) { check_named("java-v1-manifest.avro", 9); }
TEST(reads_negative_array_map_and_metadata_counts) { check_named("negative-counts-manifest.avro", 40); }

TEST(fixture_set_is_complete)
{
    const json_t *exp = fixtures();
    if (!exp) return;
    CHECK_EQ_INT(json_array_size(json_object_get(exp, "files")), 6);
}

__attribute__((destructor)) static void free_fixtures(void) { json_decref(expected); }
