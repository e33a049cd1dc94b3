/* Commits: fast append, properties-only commits and schema changes, all through one retry loop.
 *
 * Each attempt copies the current metadata document, applies the change on top of it (for an
 * append: a new manifest list carrying the head's manifests forward, a snapshot, property
 * updates) and asks the catalog to swap it in. A lost race (I2I_ERR_CONFLICT) reloads the table
 * and re-applies on the new head; the data files and manifests written once stay valid because
 * their entries inherit sequence numbers. An unknown outcome (I2I_ERR_UNKNOWN) reloads and looks
 * for our snapshot id first: an append is never committed twice. */
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>

#include "version.h"

typedef struct commit_ops {
    /* Apply the change to md (a copy of the head). *changed = 0 means nothing to commit. */
    int (*apply)(iceberg_table *t, json_t *md, void *ctx, int attempt, int *changed, json_t *reqs,
                 json_t *updates, i2i_error *err);
    /* After an unknown outcome and a reload: did our change land? */
    int (*landed)(iceberg_table *t, void *ctx);
    /* The attempt failed for sure (conflict): forget files made for it. */
    void (*discard_attempt)(iceberg_table *t, void *ctx);
} commit_ops;

/* The table's commit.retry.* properties (Java's names and defaults) under the caller's settings,
 * as the shared retry policy. */
static void retry_policy(const iceberg_table *t, const iceberg_retry *in, i2i_retry_policy *out)
{
    static const iceberg_retry zero = {0, 0, 0, NULL};
    if (!in) in = &zero;
    memset(out, 0, sizeof *out);
    out->max_retries = in->max_attempts > 0 ? in->max_attempts - 1
                                            : (int)ice_table_prop_int(t, "commit.retry.num-retries", 4);
    if (out->max_retries < 0) out->max_retries = 0;
    out->base_wait_ms = in->min_wait_ms > 0 ? in->min_wait_ms : ice_table_prop_int(t, "commit.retry.min-wait-ms", 100);
    out->max_wait_ms = in->max_wait_ms > 0 ? in->max_wait_ms : ice_table_prop_int(t, "commit.retry.max-wait-ms", 60000);
    if (out->base_wait_ms <= 0) out->base_wait_ms = 1;
    if (out->max_wait_ms < out->base_wait_ms) out->max_wait_ms = out->base_wait_ms;
    out->cancel = in->cancel;
}

/* After an unknown outcome: reload (retrying what may pass) so the caller can look for its change. */
static int reload_after_unknown(iceberg_table *t, const i2i_retry_policy *retry, i2i_error *err)
{
    int r, rc;
    for (r = 0;; r++) {
        rc = iceberg_table_reload(t, err);
        if (rc == I2I_OK || !i2i_status_retryable(rc) || r >= retry->max_retries) break;
        /* Cancelled: still UNKNOWN (our files may be referenced), never a plain failure. */
        if (i2i_retry_wait(retry, r, 0, err) < 0) break;
    }
    if (rc == I2I_OK) return I2I_OK;
    return i2i_error_set(err, I2I_ERR_UNKNOWN,
                         "table %s.%s: commit outcome unknown and the table cannot be reloaded: do "
                         "not retry blindly",
                         t->ns, t->name);
}

/*
 * Every catalog failure is judged by i2i_status_retryable, as catalog.h asks:
 *   CONFLICT, TRANSIENT  not applied: reload, re-apply on the new head, retry after a backoff;
 *   UNKNOWN              reload and look for our change; retry only when it did not land;
 *   anything else        returned as is.
 */
static int commit_loop(iceberg_table *t, const iceberg_retry *retry_in, const commit_ops *ops,
                       void *ctx, iceberg_commit_result *res, i2i_error *err)
{
    i2i_retry_policy retry;
    int attempt, rc = I2I_OK;
    retry_policy(t, retry_in, &retry);
    for (attempt = 0;; attempt++) {
        json_t *md = json_deep_copy(t->ct.metadata);
        json_t *reqs = json_array(), *updates = json_array();
        catalog_table out = {0};
        catalog_commit_request req;
        int changed = 0;

        if (!md || !reqs || !updates) {
            json_decref(md);
            json_decref(reqs);
            json_decref(updates);
            return i2i_error_nomem(err, "commit");
        }
        rc = ops->apply(t, md, ctx, attempt, &changed, reqs, updates, err);
        if (rc == I2I_OK && changed)
            rc = ice_meta_finish_commit(md, t->ct.metadata_location, t->m.last_updated_ms, ice_now_ms(), err);
        if (rc < 0 || !changed) {
            json_decref(md);
            json_decref(reqs);
            json_decref(updates);
            return rc;
        }
        req.base = &t->ct;
        req.new_metadata = md;
        req.requirements = reqs;
        req.updates = updates;
        res->attempts++;
        rc = catalog_commit(t->cat, t->ns, t->name, &req, &out, err);
        json_decref(md);
        json_decref(reqs);
        json_decref(updates);
        if (rc == I2I_OK) return ice_table_adopt(t, &out, err);
        catalog_table_clear(&out);
        if (!i2i_status_retryable(rc)) return rc;

        if (rc == I2I_ERR_UNKNOWN) {
            res->unknown_outcomes++;
            I2I_WARN("table %s.%s: commit outcome unknown (%s); checking the table", t->ns, t->name,
                     err ? err->msg : "");
            I2I_TRY(reload_after_unknown(t, &retry, err));
            if (ops->landed(t, ctx)) {
                i2i_error_clear(err);
                return I2I_OK;
            }
            if (attempt >= retry.max_retries)
                return i2i_error_set(err, I2I_ERR_CONFLICT,
                                     "table %s.%s: commit did not land after %d attempts", t->ns,
                                     t->name, attempt + 1);
            I2I_TRY(i2i_retry_wait(&retry, attempt, 0, err));
            continue;
        }
        /* CONFLICT or TRANSIENT: this attempt was not applied. */
        if (rc == I2I_ERR_CONFLICT) res->conflicts++;
        else res->transient++;
        if (ops->discard_attempt) ops->discard_attempt(t, ctx);
        if (attempt >= retry.max_retries) {
            return i2i_error_wrap(err, "table %s.%s: commit still %s after %d attempts", t->ns, t->name,
                                  rc == I2I_ERR_CONFLICT ? "conflicting" : "failing", attempt + 1);
        }
        /* the cause too: "not applied" after a lost connection is what tells an operator that
         * the commit was checked, not blindly repeated */
        I2I_INFO("table %s.%s: %s, retrying (attempt %d of %d): %s", t->ns, t->name,
                 rc == I2I_ERR_CONFLICT ? "concurrent commit" : "catalog temporarily unavailable",
                 attempt + 2, retry.max_retries + 1, err ? err->msg : "");
        I2I_TRY(i2i_retry_wait(&retry, attempt, 0, err));
        I2I_TRY(iceberg_table_reload(t, err));
    }
}

/* ================================================================ properties */

/* Compute the property updates for this attempt into `out` (an object). */
static int property_updates(iceberg_table *t, const json_t *stat, iceberg_props_fn fn, void *fctx,
                            json_t **out, i2i_error *err)
{
    *out = NULL;
    if (fn) {
        json_t *u = json_object();
        int rc;
        if (!u) return i2i_error_nomem(err, "properties");
        rc = fn(fctx, t->m.properties, u, err);
        if (rc < 0) {
            json_decref(u);
            return rc;
        }
        *out = u;
    } else if (stat) {
        *out = json_incref((json_t *)stat);
    }
    return I2I_OK;
}

/* REST-style updates for a property change (the catalog may use them instead of the document). */
static int rest_property_updates(const json_t *upd, json_t *updates)
{
    json_t *set = json_object(), *rm = json_array(), *v;
    const char *k;
    if (!set || !rm) goto fail;
    json_object_foreach((json_t *)upd, k, v)
    {
        if (json_is_null(v)) {
            if (json_array_append_new(rm, json_string(k)) != 0) goto fail;
        } else if (json_object_set(set, k, v) != 0) {
            goto fail;
        }
    }
    if (json_object_size(set) &&
        json_array_append_new(updates, json_pack("{s:s, s:O}", "action", "set-properties", "updates", set)) != 0)
        goto fail;
    if (json_array_size(rm) &&
        json_array_append_new(updates, json_pack("{s:s, s:O}", "action", "remove-properties", "removals", rm)) != 0)
        goto fail;
    json_decref(set);
    json_decref(rm);
    return 0;
fail:
    json_decref(set);
    json_decref(rm);
    return -1;
}

static json_t *assert_uuid(const iceberg_table *t)
{
    return json_pack("{s:s, s:s}", "type", "assert-table-uuid", "uuid", t->m.uuid ? t->m.uuid : "");
}

typedef struct props_ctx {
    const json_t *stat;
    iceberg_props_fn fn;
    void *fctx;
    json_t *last; /* updates of the last attempt */
} props_ctx;

static int props_apply(iceberg_table *t, json_t *md, void *vctx, int attempt, int *changed,
                       json_t *reqs, json_t *updates, i2i_error *err)
{
    props_ctx *c = vctx;
    (void)attempt;
    json_decref(c->last);
    c->last = NULL;
    I2I_TRY(property_updates(t, c->stat, c->fn, c->fctx, &c->last, err));
    if (!c->last) return I2I_OK;
    I2I_TRY(ice_meta_apply_properties(md, c->last, changed, err));
    if (json_array_append_new(reqs, assert_uuid(t)) != 0 || rest_property_updates(c->last, updates) < 0)
        return i2i_error_nomem(err, "commit");
    return I2I_OK;
}

static int props_landed(iceberg_table *t, void *vctx)
{
    props_ctx *c = vctx;
    const char *k;
    json_t *v;
    if (!c->last) return 1;
    json_object_foreach(c->last, k, v)
    {
        const char *cur = iceberg_table_property(t, k);
        if (json_is_null(v) ? cur != NULL : (!cur || strcmp(cur, json_string_value(v)) != 0)) return 0;
    }
    return 1;
}

int iceberg_commit_properties(iceberg_table *t, const json_t *properties, iceberg_props_fn props_fn,
                              void *props_ctx_arg, const iceberg_retry *retry,
                              iceberg_commit_result *res, i2i_error *err)
{
    static const commit_ops ops = {props_apply, props_landed, NULL};
    iceberg_commit_result local;
    props_ctx c = {properties, props_fn, props_ctx_arg, NULL};
    int rc;
    if (!res) res = &local;
    memset(res, 0, sizeof *res);
    res->snapshot_id = -1;
    if (properties && !json_is_object(properties))
        return i2i_error_set(err, I2I_ERR_INVALID, "property updates must be an object");
    rc = commit_loop(t, retry, &ops, &c, res, err);
    json_decref(c.last);
    return rc;
}

/* ================================================================ schema */

static int schema_apply(iceberg_table *t, json_t *md, void *vctx, int attempt, int *changed,
                        json_t *reqs, json_t *updates, i2i_error *err)
{
    const iceberg_schema_change *ch = vctx;
    (void)attempt;
    I2I_TRY(ice_schema_apply_change(md, &t->m.schema, t->m.format_version, ch, changed, err));
    if (*changed) {
        const json_t *s = ice_meta_schema_json(md, (int32_t)json_integer_value(json_object_get(md, "current-schema-id")));
        if (json_array_append_new(reqs, assert_uuid(t)) != 0 ||
            json_array_append_new(reqs, json_pack("{s:s, s:i}", "type", "assert-current-schema-id",
                                                  "current-schema-id", (int)t->m.current_schema_id)) != 0 ||
            json_array_append_new(updates, json_pack("{s:s, s:O}", "action", "add-schema", "schema", s)) != 0 ||
            json_array_append_new(updates, json_pack("{s:s, s:i}", "action", "set-current-schema", "schema-id", -1)) != 0)
            return i2i_error_nomem(err, "commit");
    }
    return I2I_OK;
}

static int schema_landed(iceberg_table *t, void *vctx)
{
    const iceberg_schema_change *ch = vctx;
    size_t i;
    for (i = 0; i < ch->nadd; i++)
        if (!iceberg_schema_find(&t->m.schema, ch->add[i].name)) return 0;
    for (i = 0; i < ch->nmake_optional; i++) {
        const iceberg_field *f = iceberg_schema_find(&t->m.schema, ch->make_optional[i]);
        if (!f || f->required) return 0;
    }
    return 1;
}

int iceberg_table_update_schema(iceberg_table *t, const iceberg_schema_change *change,
                                i2i_error *err)
{
    static const commit_ops ops = {schema_apply, schema_landed, NULL};
    iceberg_commit_result res;
    memset(&res, 0, sizeof res);
    if (!change) return I2I_OK;
    return commit_loop(t, NULL, &ops, (void *)change, &res, err);
}

/* ================================================================ append */

typedef struct append_ctx {
    const iceberg_append_request *req;
    int64_t snapshot_id;
    char commit_uuid[37];
    ice_manifest_info *manifests;
    size_t nmanifests;
    char *last_list; /* manifest list of the current attempt */
    json_t *props;   /* property updates of the current attempt */
    int64_t seq;
} append_ctx;

static int write_manifests(iceberg_table *t, append_ctx *c, i2i_error *err)
{
    const iceberg_append_request *req = c->req;
    const iceberg_data_file **sel = calloc(req->nfiles, sizeof *sel);
    i2i_buf dir = I2I_BUF_INIT, path = I2I_BUF_INIT;
    size_t i, j;
    int rc = I2I_OK;
    c->manifests = calloc(req->nfiles, sizeof *c->manifests);
    if (!sel || !c->manifests || ice_table_metadata_dir(t, &dir) < 0) {
        rc = i2i_error_nomem(err, "manifests");
        goto done;
    }
    /* one manifest per partition spec, in order of first appearance */
    for (i = 0; i < req->nfiles; i++) {
        int32_t sid = req->files[i].spec_id;
        size_t n = 0;
        const json_t *spec_js;
        iceberg_partition_spec spec;
        for (j = 0; j < i; j++)
            if (req->files[j].spec_id == sid) break;
        if (j < i) continue;
        for (j = i; j < req->nfiles; j++)
            if (req->files[j].spec_id == sid) sel[n++] = &req->files[j];
        spec_js = ice_meta_spec_json(t->ct.metadata, sid);
        if (!spec_js) {
            rc = i2i_error_set(err, I2I_ERR_INVALID, "data files use partition spec %d, unknown to the table",
                               (int)sid);
            goto done;
        }
        I2I_TRY_GOTO(ice_spec_parse(spec_js, &spec, err), rc, done);
        i2i_buf_reset(&path);
        if (i2i_buf_printf(&path, "%s/%s-m%zu.avro", i2i_buf_cstr(&dir), c->commit_uuid, c->nmanifests) < 0) {
            ice_spec_clear(&spec);
            rc = i2i_error_nomem(err, "manifests");
            goto done;
        }
        rc = ice_manifest_write(t, &spec, sel, n, c->snapshot_id, i2i_buf_cstr(&path),
                                &c->manifests[c->nmanifests], err);
        ice_spec_clear(&spec);
        if (rc < 0) goto done;
        c->nmanifests++;
    }
done:
    free(sel);
    i2i_buf_free(&dir);
    i2i_buf_free(&path);
    return rc;
}

static int count_partitions(const iceberg_append_request *req)
{
    size_t i, j, k;
    int n = 0;
    for (i = 0; i < req->nfiles; i++) {
        const iceberg_data_file *a = &req->files[i];
        int dup = 0;
        for (j = 0; j < i && !dup; j++) {
            const iceberg_data_file *b = &req->files[j];
            int same = a->spec_id == b->spec_id && a->npartition == b->npartition;
            for (k = 0; same && k < a->npartition; k++) {
                const iceberg_partition_value *x = &a->partition[k], *y = &b->partition[k];
                same = x->is_null == y->is_null &&
                       (x->is_null || (x->i == y->i && x->slen == y->slen && (!x->slen || memcmp(x->s, y->s, x->slen) == 0)));
            }
            dup = same;
        }
        if (!dup) n++;
    }
    return n;
}

static int set_str(json_t *o, const char *k, int64_t v)
{
    char b[32];
    snprintf(b, sizeof b, "%lld", (long long)v);
    return json_object_set_new(o, k, json_string(b));
}

static int build_summary(iceberg_table *t, const append_ctx *c, int64_t parent, json_t **out, i2i_error *err)
{
    static const char *totals[] = {"total-records", "total-files-size", "total-data-files",
                                   "total-delete-files", "total-position-deletes",
                                   "total-equality-deletes"};
    static const char *standard[] = {"operation", "added-data-files", "added-records", "added-files-size",
                                     "changed-partition-count", "total-records", "total-files-size",
                                     "total-data-files", "total-delete-files", "total-position-deletes",
                                     "total-equality-deletes"};
    const iceberg_append_request *req = c->req;
    const iceberg_snapshot *ps = parent >= 0 ? iceberg_table_snapshot(t, parent) : NULL;
    json_t *s = json_object(), *v;
    int64_t added[6] = {0, 0, 0, 0, 0, 0};
    const char *k;
    size_t i, j;
    int bad = 0;
    if (!s) return i2i_error_nomem(err, "summary");
    for (i = 0; i < req->nfiles; i++) {
        added[0] += req->files[i].record_count;
        added[1] += req->files[i].file_size;
    }
    added[2] = (int64_t)req->nfiles;
    if (req->summary) {
        json_object_foreach((json_t *)req->summary, k, v)
        {
            int std = 0;
            for (j = 0; j < sizeof standard / sizeof standard[0]; j++) std |= strcmp(k, standard[j]) == 0;
            if (std || !json_is_string(v)) {
                json_decref(s);
                return i2i_error_set(err, I2I_ERR_INVALID,
                                     "summary key '%s' is reserved or not a string", k);
            }
            bad |= json_object_set(s, k, v);
        }
    }
    bad |= json_object_set_new(s, "operation", json_string("append"));
    if (added[2] > 0) bad |= set_str(s, "added-data-files", added[2]);
    if (added[0] > 0) bad |= set_str(s, "added-records", added[0]);
    if (added[1] > 0) bad |= set_str(s, "added-files-size", added[1]);
    bad |= set_str(s, "changed-partition-count", count_partitions(req));
    for (i = 0; i < 6; i++) {
        int64_t base = 0;
        if (ps) {
            const char *pv = ice_json_str(ps->summary, totals[i]);
            char *end;
            if (!pv || !*pv) continue; /* unknown parent total: omit ours */
            base = strtoll(pv, &end, 10);
            if (*end) continue;
        }
        bad |= set_str(s, totals[i], base + added[i]);
    }
    bad |= json_object_set_new(s, "engine-name", json_string("influx2iceberg"));
    bad |= json_object_set_new(s, "engine-version", json_string(I2I_VERSION));
    if (bad) {
        json_decref(s);
        return i2i_error_nomem(err, "summary");
    }
    *out = s;
    return I2I_OK;
}

static int append_apply(iceberg_table *t, json_t *md, void *vctx, int attempt, int *changed,
                        json_t *reqs, json_t *updates, i2i_error *err)
{
    append_ctx *c = vctx;
    int64_t parent = t->m.current_snapshot_id, seq = t->m.last_sequence_number + 1;
    int64_t now = ice_now_ms(), first_row_id = t->m.next_row_id;
    i2i_buf path = I2I_BUF_INIT;
    ice_manifest_list_result lr;
    json_t *summary = NULL, *snap = NULL;
    int pchanged = 0, rc = I2I_OK;

    if (t->m.format_version < 2)
        return i2i_error_set(err, I2I_ERR_UNSUPPORTED, "table %s.%s is format v1: appends need v2 or v3",
                             t->ns, t->name);
    if (iceberg_table_snapshot(t, c->snapshot_id))
        return i2i_error_set(err, I2I_ERR_INTERNAL, "snapshot id %lld already in the table",
                             (long long)c->snapshot_id);
    if (now < t->m.last_updated_ms) now = t->m.last_updated_ms;
    free(c->last_list);
    c->last_list = NULL;
    if (ice_table_metadata_dir(t, &path) < 0 ||
        i2i_buf_printf(&path, "/snap-%lld-%d-%s.avro", (long long)c->snapshot_id, attempt, c->commit_uuid) < 0 ||
        !(c->last_list = i2i_strdup(i2i_buf_cstr(&path)))) {
        i2i_buf_free(&path);
        return i2i_error_nomem(err, "manifest list");
    }
    i2i_buf_free(&path);
    I2I_TRY(ice_manifest_list_write(t, c->last_list, c->snapshot_id, parent, seq, first_row_id,
                                    c->manifests, c->nmanifests, &lr, err));
    I2I_TRY(build_summary(t, c, parent, &summary, err));
    snap = json_pack("{s:I, s:I, s:I, s:s, s:o, s:i}", "snapshot-id", (json_int_t)c->snapshot_id,
                     "sequence-number", (json_int_t)seq, "timestamp-ms", (json_int_t)now, "manifest-list",
                     c->last_list, "summary", summary, "schema-id", (int)t->m.current_schema_id);
    if (!snap) return i2i_error_nomem(err, "snapshot");
    if (parent >= 0 && json_object_set_new(snap, "parent-snapshot-id", json_integer(parent)) != 0) goto nomem;
    if (t->m.format_version >= 3 &&
        (json_object_set_new(snap, "first-row-id", json_integer(first_row_id)) != 0 ||
         json_object_set_new(snap, "added-rows", json_integer(lr.added_rows)) != 0))
        goto nomem;
    /* REST form of the same change */
    if (json_array_append_new(reqs, assert_uuid(t)) != 0 ||
        json_array_append_new(reqs, parent >= 0 ? json_pack("{s:s, s:s, s:I}", "type", "assert-ref-snapshot-id", "ref",
                                                            "main", "snapshot-id", (json_int_t)parent)
                                                : json_pack("{s:s, s:s, s:n}", "type", "assert-ref-snapshot-id",
                                                            "ref", "main", "snapshot-id")) != 0 ||
        json_array_append_new(updates, json_pack("{s:s, s:O}", "action", "add-snapshot", "snapshot", snap)) != 0 ||
        json_array_append_new(updates, json_pack("{s:s, s:s, s:s, s:I}", "action", "set-snapshot-ref", "ref-name",
                                                 "main", "type", "branch", "snapshot-id",
                                                 (json_int_t)c->snapshot_id)) != 0)
        goto nomem;
    rc = ice_meta_add_snapshot(md, snap, c->snapshot_id, seq, now, first_row_id + lr.added_rows, err);
    snap = NULL;
    if (rc < 0) return rc;
    c->seq = seq;
    json_decref(c->props);
    c->props = NULL;
    I2I_TRY(property_updates(t, c->req->properties, c->req->props_fn, c->req->props_ctx, &c->props, err));
    if (c->props) {
        I2I_TRY(ice_meta_apply_properties(md, c->props, &pchanged, err));
        if (rest_property_updates(c->props, updates) < 0) return i2i_error_nomem(err, "commit");
    }
    *changed = 1;
    return I2I_OK;
nomem:
    json_decref(snap);
    return i2i_error_nomem(err, "snapshot");
}

static int append_landed(iceberg_table *t, void *vctx)
{
    append_ctx *c = vctx;
    return iceberg_table_snapshot(t, c->snapshot_id) != NULL;
}

static void append_discard(iceberg_table *t, void *vctx)
{
    append_ctx *c = vctx;
    if (c->last_list) storage_remove(t->files, c->last_list, NULL);
    free(c->last_list);
    c->last_list = NULL;
}

int iceberg_append(iceberg_table *t, const iceberg_append_request *req, iceberg_commit_result *res,
                   i2i_error *err)
{
    static const commit_ops ops = {append_apply, append_landed, append_discard};
    iceberg_commit_result local;
    append_ctx c;
    size_t i;
    int rc;

    if (!res) res = &local;
    memset(res, 0, sizeof *res);
    memset(&c, 0, sizeof c);
    res->snapshot_id = -1;
    if (!req || !req->files || req->nfiles == 0)
        return i2i_error_set(err, I2I_ERR_INVALID, "an append needs at least one data file "
                                                   "(use iceberg_commit_properties for empty windows)");
    if (req->summary && !json_is_object(req->summary))
        return i2i_error_set(err, I2I_ERR_INVALID, "summary must be an object");
    if (req->properties && !json_is_object(req->properties))
        return i2i_error_set(err, I2I_ERR_INVALID, "property updates must be an object");
    if (t->m.format_version < 2)
        return i2i_error_set(err, I2I_ERR_UNSUPPORTED, "table %s.%s is format v1: appends need v2 or v3",
                             t->ns, t->name);
    c.req = req;
    I2I_TRY(ice_new_snapshot_id(&t->m, &c.snapshot_id, err));
    I2I_TRY(i2i_uuid4(c.commit_uuid, err));
    rc = write_manifests(t, &c, err);
    if (rc == I2I_OK) rc = commit_loop(t, &req->retry, &ops, &c, res, err);
    if (rc == I2I_OK) {
        res->snapshot_id = c.snapshot_id;
        res->sequence_number = c.seq;
        {
            const iceberg_snapshot *s = iceberg_table_snapshot(t, c.snapshot_id);
            if (s) res->sequence_number = s->sequence_number;
        }
        I2I_DEBUG("table %s.%s: appended %zu file(s) as snapshot %lld (sequence %lld, %d attempt(s))",
                 t->ns, t->name, req->nfiles, (long long)c.snapshot_id, (long long)res->sequence_number,
                 res->attempts);
    } else if (rc != I2I_ERR_UNKNOWN) {
        /* nothing references our manifests: remove them (the data files are the caller's) */
        for (i = 0; i < c.nmanifests; i++) storage_remove(t->files, c.manifests[i].path, NULL);
        if (c.last_list) storage_remove(t->files, c.last_list, NULL);
    }
    for (i = 0; i < c.nmanifests; i++) ice_manifest_info_clear(&c.manifests[i]);
    free(c.manifests);
    free(c.last_list);
    json_decref(c.props);
    return rc;
}
