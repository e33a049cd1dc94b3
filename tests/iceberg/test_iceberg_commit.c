/* Commit outcomes the catalog can report, injected by a catalog wrapper around a real SQLite
 * catalog: a lost race (CONFLICT) is re-applied on the new head; an unknown outcome (UNKNOWN) is
 * resolved by looking for our snapshot, so an append that did land is never committed twice and
 * one that did not is retried; attempts are bounded. */
#include <stdio.h>
#include <stdlib.h>

#include "iceberg_test_util.h"
#include "test.h"

typedef enum { PASS = 0, CONFLICT_NO_COMMIT, UNKNOWN_AFTER_COMMIT, UNKNOWN_NO_COMMIT, ALWAYS_CONFLICT } fault;

typedef struct wrap {
    catalog *real;
    fault next[8]; /* fault of the next commits, then PASS */
    int ncommits;
    int sneak; /* before the first faulty commit, let "another writer" append a properties change */
} wrap;

static wrap W;

static int w_load(void *s, const char *ns, const char *t, catalog_table *out, i2i_error *err)
{
    (void)s;
    return W.real->ops->load_table(W.real->state, ns, t, out, err);
}
static int w_ensure(void *s, const char *ns, i2i_error *err)
{
    (void)s;
    return W.real->ops->ensure_namespace(W.real->state, ns, err);
}
static int w_loc(void *s, const char *ns, const char *t, char **out, i2i_error *err)
{
    (void)s;
    return W.real->ops->default_location(W.real->state, ns, t, out, err);
}
static int w_drop(void *s, const char *ns, const char *t, i2i_error *err)
{
    (void)s;
    return W.real->ops->drop_table(W.real->state, ns, t, err);
}

static int w_commit(void *s, const char *ns, const char *t, const catalog_commit_request *req,
                    catalog_table *out, i2i_error *err)
{
    fault f = W.ncommits < 8 ? W.next[W.ncommits] : PASS;
    int rc;
    (void)s;
    W.ncommits++;
    if (f == CONFLICT_NO_COMMIT || f == ALWAYS_CONFLICT)
        return i2i_error_set(err, I2I_ERR_CONFLICT, "injected conflict");
    if (f == UNKNOWN_NO_COMMIT) return i2i_error_set(err, I2I_ERR_UNKNOWN, "injected: connection lost before commit");
    rc = W.real->ops->commit(W.real->state, ns, t, req, out, err);
    if (rc == I2I_OK && f == UNKNOWN_AFTER_COMMIT) {
        catalog_table_clear(out);
        return i2i_error_set(err, I2I_ERR_UNKNOWN, "injected: connection lost after commit");
    }
    return rc;
}

static const catalog_ops wrap_ops = {"wrap", w_load, w_ensure, w_commit, w_loc, w_drop, NULL, NULL};

static int setup(const char *name, catalog *fake, iceberg_table **t, i2i_error *err)
{
    char wh[700];
    snprintf(wh, sizeof wh, "%s/%s", i2i_test_tmpdir(), name);
    memset(&W, 0, sizeof W);
    I2I_TRY(catalog_open_default(wh, &W.real, err));
    fake->ops = &wrap_ops;
    fake->state = NULL;
    fake->files = W.real->files;
    fake->props = W.real->props;
    fake->name = W.real->name;
    return itu_table_open(fake, "db", "t", 0, ICEBERG_PARTITION_DAY, t, err);
}

static size_t nsnap(const iceberg_table *t)
{
    size_t n;
    iceberg_table_snapshots(t, &n);
    return n;
}

TEST(unknown_outcome_after_a_landed_commit_does_not_append_twice)
{
    catalog fake;
    iceberg_table *t = NULL;
    iceberg_write_result r;
    iceberg_append_request ar;
    iceberg_commit_result cr;
    i2i_error err;
    REQUIRE_OK(setup("unknown_landed", &fake, &t, &err), &err);
    REQUIRE_OK(itu_write_rows(t, "faults", 50, ITU_T0(1), I2I_NS_PER_S, 1, &r, &err), &err);
    memset(&ar, 0, sizeof ar);
    ar.files = r.files;
    ar.nfiles = r.nfiles;
    ar.retry.min_wait_ms = 1;
    W.ncommits = 0;
    W.next[0] = UNKNOWN_AFTER_COMMIT;
    REQUIRE_OK(iceberg_append(t, &ar, &cr, &err), &err);
    CHECK_EQ_INT(cr.unknown_outcomes, 1);
    CHECK_EQ_INT(cr.attempts, 1);
    CHECK_EQ_INT(W.ncommits, 1);
    CHECK_EQ_INT(nsnap(t), 1);
    CHECK_EQ_INT(iceberg_table_current_snapshot_id(t), cr.snapshot_id);
    REQUIRE_OK(iceberg_table_reload(t, &err), &err);
    CHECK_EQ_INT(nsnap(t), 1);
    iceberg_write_result_free(&r);
    iceberg_table_free(t);
    catalog_close(W.real);
}

TEST(unknown_outcome_without_a_commit_is_retried_once_and_lands_once)
{
    catalog fake;
    iceberg_table *t = NULL;
    iceberg_write_result r;
    iceberg_append_request ar;
    iceberg_commit_result cr;
    iceberg_file_list live;
    i2i_error err;
    REQUIRE_OK(setup("unknown_lost", &fake, &t, &err), &err);
    REQUIRE_OK(itu_write_rows(t, "faults", 50, ITU_T0(2), I2I_NS_PER_S, 2, &r, &err), &err);
    memset(&ar, 0, sizeof ar);
    ar.files = r.files;
    ar.nfiles = r.nfiles;
    ar.retry.min_wait_ms = 1;
    W.ncommits = 0;
    W.next[0] = UNKNOWN_NO_COMMIT;
    W.next[1] = CONFLICT_NO_COMMIT;
    REQUIRE_OK(iceberg_append(t, &ar, &cr, &err), &err);
    CHECK_EQ_INT(cr.unknown_outcomes, 1);
    CHECK_EQ_INT(cr.conflicts, 1);
    CHECK_EQ_INT(cr.attempts, 3);
    CHECK_EQ_INT(nsnap(t), 1);
    CHECK_EQ_INT(cr.sequence_number, 1);
    REQUIRE_OK(iceberg_table_live_files(t, &live, &err), &err);
    CHECK_EQ_INT(live.n, 1);
    iceberg_file_list_free(&live);
    iceberg_write_result_free(&r);
    iceberg_table_free(t);
    catalog_close(W.real);
}

static int add_range(void *ctx, const json_t *props, json_t *updates, i2i_error *err)
{
    const char *cur = json_string_value(json_object_get(props, "influx2iceberg.ranges.s"));
    char buf[256];
    (void)ctx;
    (void)err;
    snprintf(buf, sizeof buf, "%s+mine", cur ? cur : "");
    json_object_set_new(updates, "influx2iceberg.ranges.s", json_string(buf));
    return 0;
}

TEST(conflict_reapplies_on_the_new_head_and_recomputes_properties)
{
    catalog fake;
    iceberg_table *t = NULL, *other = NULL;
    iceberg_write_result r1, r2;
    iceberg_append_request ar;
    iceberg_commit_result cr;
    iceberg_file_list live;
    const iceberg_snapshot *s;
    size_t n;
    json_t *p;
    i2i_error err;
    REQUIRE_OK(setup("conflict", &fake, &t, &err), &err);
    REQUIRE_OK(iceberg_table_open(&fake, "db", "t", NULL, &other, &err), &err);
    REQUIRE_OK(itu_write_rows(t, "faults", 50, ITU_T0(3), I2I_NS_PER_S, 3, &r1, &err), &err);
    REQUIRE_OK(itu_write_rows(other, "faults", 50, ITU_T0(4), I2I_NS_PER_S, 4, &r2, &err), &err);
    /* the other writer commits first (its own range), our table object is now stale */
    memset(&ar, 0, sizeof ar);
    ar.files = r2.files;
    ar.nfiles = r2.nfiles;
    p = json_pack("{s:s}", "influx2iceberg.ranges.s", "theirs");
    ar.properties = p;
    REQUIRE_OK(iceberg_append(other, &ar, &cr, &err), &err);
    json_decref(p);
    /* our append hits the real CAS conflict, reloads, re-applies */
    memset(&ar, 0, sizeof ar);
    ar.files = r1.files;
    ar.nfiles = r1.nfiles;
    ar.props_fn = add_range;
    ar.retry.min_wait_ms = 1;
    REQUIRE_OK(iceberg_append(t, &ar, &cr, &err), &err);
    CHECK_EQ_INT(cr.conflicts, 1);
    CHECK_EQ_INT(cr.sequence_number, 2);
    CHECK_EQ_STR(iceberg_table_property(t, "influx2iceberg.ranges.s"), "theirs+mine");
    s = iceberg_table_snapshots(t, &n);
    REQUIRE(n == 2);
    CHECK_EQ_INT(s[1].parent_id, s[0].snapshot_id);
    REQUIRE_OK(iceberg_table_live_files(t, &live, &err), &err);
    CHECK_EQ_INT(live.n, 2); /* their manifest carried forward, ours added */
    iceberg_file_list_free(&live);
    iceberg_write_result_free(&r1);
    iceberg_write_result_free(&r2);
    iceberg_table_free(other);
    iceberg_table_free(t);
    catalog_close(W.real);
}

TEST(attempts_are_bounded_and_failed_commits_leave_no_manifests)
{
    catalog fake;
    iceberg_table *t = NULL;
    iceberg_write_result r;
    iceberg_append_request ar;
    iceberg_commit_result cr;
    json_t *listing;
    char dir[800];
    size_t i, avro = 0;
    i2i_error err;
    REQUIRE_OK(setup("bounded", &fake, &t, &err), &err);
    REQUIRE_OK(itu_write_rows(t, "faults", 50, ITU_T0(5), I2I_NS_PER_S, 5, &r, &err), &err);
    memset(&ar, 0, sizeof ar);
    ar.files = r.files;
    ar.nfiles = r.nfiles;
    ar.retry.max_attempts = 3;
    ar.retry.min_wait_ms = 1;
    ar.retry.max_wait_ms = 2;
    W.ncommits = 0;
    for (i = 0; i < 8; i++) W.next[i] = ALWAYS_CONFLICT;
    CHECK(iceberg_append(t, &ar, &cr, &err) == I2I_ERR_CONFLICT);
    CHECK_EQ_INT(cr.attempts, 3);
    CHECK_EQ_INT(W.ncommits, 3);
    CHECK_EQ_INT(nsnap(t), 0);
    snprintf(dir, sizeof dir, "%s/metadata", iceberg_table_location(t));
    listing = json_array();
    REQUIRE_OK(storage_list(fake.files, dir, listing, &err), &err);
    for (i = 0; i < json_array_size(listing); i++)
        if (strstr(json_string_value(json_array_get(listing, i)), ".avro")) avro++;
    CHECK_EQ_INT(avro, 0);
    json_decref(listing);
    iceberg_remove_files(t, r.files, r.nfiles);
    CHECK_EQ_INT(storage_exists(fake.files, r.files[0].path, &err), 0);
    iceberg_write_result_free(&r);
    iceberg_table_free(t);
    catalog_close(W.real);
}

TEST(property_commit_with_unknown_outcome_checks_the_values)
{
    catalog fake;
    iceberg_table *t = NULL;
    iceberg_commit_result cr;
    json_t *p;
    i2i_error err;
    REQUIRE_OK(setup("props", &fake, &t, &err), &err);
    W.ncommits = 0;
    W.next[0] = UNKNOWN_AFTER_COMMIT;
    p = json_pack("{s:s}", "influx2iceberg.ranges.x", "[0,10)");
    REQUIRE_OK(iceberg_commit_properties(t, p, NULL, NULL, NULL, &cr, &err), &err);
    json_decref(p);
    CHECK_EQ_INT(cr.unknown_outcomes, 1);
    CHECK_EQ_INT(W.ncommits, 1);
    CHECK_EQ_STR(iceberg_table_property(t, "influx2iceberg.ranges.x"), "[0,10)");
    CHECK_EQ_INT(json_array_size(json_object_get(iceberg_table_metadata(t), "metadata-log")), 1);
    iceberg_table_free(t);
    catalog_close(W.real);
}
