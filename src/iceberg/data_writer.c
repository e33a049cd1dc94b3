/* The partitioned data-file writer: column batches in, Parquet files out (one open file per
 * partition, rolled at the target size, least recently used closed beyond a cap), each described
 * by an iceberg_data_file with manifest metrics.
 *
 * Per batch: a "view" batch is built whose columns are the table's written fields in file order.
 * Most view columns share the caller's vectors (no copy); only timestamps that change unit get a
 * converted scratch vector, and table columns the batch lacks point at a shared zero area (all
 * NULL). Rows are split into runs of equal partition tuples (time series are mostly sorted, so
 * runs are long), runs are grouped by tuple (hash table), and each group goes to its file with
 * parquet_writer_add_batch_range (one run) or _rows (several). No allocation per row.
 *
 * This file: planning at open, grouping rows by partition, finish/abort. data_view.c builds the
 * per-batch view and partition values; data_files.c owns the open files and descriptors. */
#include "data_writer_internal.h"

#include <stdio.h>
#include <stdlib.h>

static int32_t decimal_bytes(int32_t precision)
{
    int32_t n = 1;
    /* smallest n with 2^(8n-1) > 10^precision */
    while ((double)(8 * n - 1) < precision * 3.321928094887362) n++;
    return n;
}

static int plan_column(dw_col *c, const iceberg_field *f, int *writable, i2i_error *err)
{
    parquet_column_spec *p = &c->pspec;
    memset(p, 0, sizeof *p);
    *writable = 1;
    p->field_id = f->id;
    p->optional = !f->required;
    p->dictionary = PARQUET_DICT_AUTO;
    switch (f->type.id) {
    case ICEBERG_TYPE_BOOLEAN: p->physical = PARQUET_BOOLEAN; c->ctype = COLUMNAR_BOOL; break;
    case ICEBERG_TYPE_INT: p->physical = PARQUET_INT32; c->ctype = COLUMNAR_INT64; break;
    case ICEBERG_TYPE_LONG: p->physical = PARQUET_INT64; c->ctype = COLUMNAR_INT64; break;
    case ICEBERG_TYPE_DOUBLE: p->physical = PARQUET_DOUBLE; c->ctype = COLUMNAR_DOUBLE; break;
    case ICEBERG_TYPE_STRING:
        p->physical = PARQUET_BYTE_ARRAY;
        p->logical = PARQUET_LOGICAL_STRING;
        c->ctype = COLUMNAR_STRING;
        break;
    case ICEBERG_TYPE_TIMESTAMP:
    case ICEBERG_TYPE_TIMESTAMPTZ:
        p->physical = PARQUET_INT64;
        p->logical = PARQUET_LOGICAL_TIMESTAMP_MICROS;
        p->adjusted_to_utc = f->type.id == ICEBERG_TYPE_TIMESTAMPTZ;
        c->ctype = COLUMNAR_TIMESTAMP;
        break;
    case ICEBERG_TYPE_TIMESTAMP_NS:
    case ICEBERG_TYPE_TIMESTAMPTZ_NS:
        p->physical = PARQUET_INT64;
        p->logical = PARQUET_LOGICAL_TIMESTAMP_NANOS;
        p->adjusted_to_utc = f->type.id == ICEBERG_TYPE_TIMESTAMPTZ_NS;
        c->ctype = COLUMNAR_TIMESTAMP;
        break;
    case ICEBERG_TYPE_DECIMAL:
        if (f->type.scale == 0 && f->type.precision >= 19) {
            p->physical = PARQUET_FIXED_LEN_BYTE_ARRAY;
            p->logical = PARQUET_LOGICAL_DECIMAL;
            p->precision = f->type.precision;
            p->scale = 0;
            p->type_length = decimal_bytes(f->type.precision);
            c->ctype = COLUMNAR_UINT64;
            break;
        }
        *writable = 0;
        break;
    default: *writable = 0; break;
    }
    if (!*writable && f->required) {
        char tb[48];
        return i2i_error_set(err, I2I_ERR_UNSUPPORTED,
                             "required column '%s' has type %s, which influx2iceberg cannot write",
                             f->name, iceberg_type_format(f->type, tb, sizeof tb));
    }
    return I2I_OK;
}

static void options_from_table(const iceberg_table *t, parquet_writer_options *o)
{
    const char *codec = iceberg_table_property(t, "write.parquet.compression-codec");
    int64_t v;
    parquet_writer_options_default(o);
    if (codec) {
        parquet_codec c;
        i2i_error e;
        if (parquet_codec_parse(codec, &c, &e) == I2I_OK) o->codec = c;
        else I2I_WARN("table property write.parquet.compression-codec='%s' not supported; using the default", codec);
    }
    if ((v = ice_table_prop_int(t, "write.parquet.compression-level", 0)) > 0) o->compression_level = (int)v;
    if ((v = ice_table_prop_int(t, "write.parquet.row-group-size-bytes", 0)) > 0) o->row_group_bytes = (size_t)v;
    if ((v = ice_table_prop_int(t, "write.parquet.page-size-bytes", 0)) > 0) o->page_bytes = (size_t)v;
    if ((v = ice_table_prop_int(t, "write.parquet.page-row-limit", 0)) > 0) o->page_rows = (size_t)v;
    if ((v = ice_table_prop_int(t, "write.parquet.dict-size-bytes", 0)) > 0) o->dictionary_bytes = (size_t)v;
}

static int valid_run_id(const char *s)
{
    if (!s || !*s || strlen(s) > 128) return 0;
    for (; *s; s++) {
        char c = *s;
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
              c == '_' || c == '.'))
            return 0;
    }
    return 1;
}

int iceberg_writer_open(iceberg_table *t, const iceberg_writer_options *o, iceberg_writer **out,
                        i2i_error *err)
{
    iceberg_writer *w;
    const iceberg_schema *s = &t->m.schema;
    const iceberg_partition_spec *spec = &t->m.spec;
    const json_t *schema_js = ice_meta_schema_json(t->ct.metadata, t->m.current_schema_id);
    json_t *kvschema = NULL, *kvfields = NULL;
    i2i_buf dir = I2I_BUF_INIT, pname = I2I_BUF_INIT;
    size_t i, k;
    int rc = I2I_OK;

    *out = NULL;
    if (!o || !valid_run_id(o->run_id))
        return i2i_error_set(err, I2I_ERR_INVALID,
                             "writer needs a run id made of [A-Za-z0-9._-] (got '%s')",
                             o && o->run_id ? o->run_id : "(null)");
    if (t->m.format_version < 2)
        return i2i_error_set(err, I2I_ERR_UNSUPPORTED,
                             "table %s.%s is format v1; influx2iceberg writes v2 and v3 tables only",
                             t->ns, t->name);
    w = calloc(1, sizeof *w);
    if (!w) return i2i_error_nomem(err, "writer");
    w->st = t->files;
    w->spec_id = spec->spec_id;
    w->run_id = i2i_strdup(o->run_id);
    w->fault = o->fault;
    w->target = o->target_file_bytes > 0 ? o->target_file_bytes
                                         : ice_table_prop_int(t, "write.target-file-size-bytes",
                                                              ICE_DEFAULT_TARGET_FILE_BYTES);
    if (w->target <= 0) w->target = ICE_DEFAULT_TARGET_FILE_BYTES;
    w->max_open = o->max_open_files ? o->max_open_files : 16;
    if (o->parquet) w->popts = *o->parquet;
    else options_from_table(t, &w->popts);
    if (!w->run_id) goto nomem;
    if (ice_table_data_dir(t, &dir) < 0 || !(w->data_dir = i2i_strdup(i2i_buf_cstr(&dir)))) goto nomem;
    if (i2i_buf_printf(&pname, "%s.%s", t->ns, t->name) != I2I_OK ||
        !(w->table_label = i2i_strdup(i2i_buf_cstr(&pname))))
        goto nomem;

    w->cols = calloc(s->nfields ? s->nfields : 1, sizeof *w->cols);
    w->open = calloc(w->max_open + 1, sizeof *w->open);
    kvfields = json_array();
    if (!w->cols || !w->open || !kvfields) goto nomem;
    for (i = 0; i < s->nfields; i++) {
        const iceberg_field *f = &s->fields[i];
        dw_col *c = &w->cols[w->ncols];
        int writable;
        I2I_TRY_GOTO(plan_column(c, f, &writable, err), rc, fail);
        if (!writable) {
            /* optional column we cannot produce: omitted, read as NULL */
            char **grown = realloc(w->unwritable, (w->nunwritable + 1) * sizeof *grown);
            if (!grown) goto nomem;
            w->unwritable = grown;
            if (!(w->unwritable[w->nunwritable] = i2i_strdup(f->name))) goto nomem;
            w->nunwritable++;
            continue;
        }
        i2i_buf_reset(&pname);
        I2I_TRY_GOTO(iceberg_parquet_column_name(f->name, &pname, err), rc, fail);
        c->name = i2i_strdup(f->name);
        c->parquet_name = i2i_strdup(i2i_buf_cstr(&pname));
        if (!c->name || !c->parquet_name) goto nomem;
        c->pspec.name = c->parquet_name;
        c->id = f->id;
        c->type = f->type;
        c->required = f->required;
        I2I_TRY_GOTO(ice_metrics_mode_for(t->m.properties, f->name, &c->mode, err), rc, fail);
        w->ncols++;
        /* the field's JSON, as in the table schema, for the file's iceberg.schema */
        if (schema_js) {
            const json_t *fs = json_object_get(schema_js, "fields"), *fj;
            size_t m;
            json_array_foreach(fs, m, fj)
            {
                if (json_integer_value(json_object_get(fj, "id")) == f->id &&
                    json_array_append(kvfields, (json_t *)fj) != 0)
                    goto nomem;
            }
        }
    }
    kvschema = json_pack("{s:s, s:i, s:O}", "type", "struct", "schema-id", (int)s->schema_id, "fields", kvfields);
    if (!kvschema || !(w->schema_json = ice_json_dump(kvschema))) goto nomem;
    w->kv.key = "iceberg.schema";
    w->kv.value = w->schema_json;
    w->popts.kv = &w->kv;
    w->popts.nkv = 1;

    if (spec->nfields) {
        w->parts = calloc(spec->nfields, sizeof *w->parts);
        if (!w->parts) goto nomem;
    }
    for (i = 0; i < spec->nfields; i++) {
        dw_part *p = &w->parts[i];
        const iceberg_field *src = NULL;
        p->pf = spec->fields[i];
        p->pf.name = NULL;
        p->col = -1;
        if (spec->fields[i].transform == ICEBERG_TRANSFORM_UNKNOWN) {
            rc = i2i_error_set(err, I2I_ERR_UNSUPPORTED,
                               "partition field '%s' uses a transform this writer does not know",
                               spec->fields[i].name);
            goto fail;
        }
        for (k = 0; k < s->nfields; k++)
            if (s->fields[k].id == p->pf.source_id) src = &s->fields[k];
        if (!src) {
            rc = i2i_error_set(err, I2I_ERR_UNSUPPORTED,
                               "partition field '%s': source field %d is not in the current schema",
                               spec->fields[i].name, (int)p->pf.source_id);
            goto fail;
        }
        p->pf.name = i2i_strdup(spec->fields[i].name);
        if (!p->pf.name) goto nomem;
        w->nparts++;
        p->src_type = src->type;
        p->nanos = src->type.id == ICEBERG_TYPE_TIMESTAMP_NS || src->type.id == ICEBERG_TYPE_TIMESTAMPTZ_NS;
        I2I_TRY_GOTO(ice_partition_result_type(&p->pf, src->type, &p->result, err), rc, fail);
        for (k = 0; k < w->ncols; k++)
            if (w->cols[k].id == src->id) p->col = (int)k;
        if (p->col < 0 && p->pf.transform != ICEBERG_TRANSFORM_VOID) {
            char tb[48];
            rc = i2i_error_set(err, I2I_ERR_UNSUPPORTED,
                               "partition source '%s' has type %s, which influx2iceberg cannot write",
                               src->name, iceberg_type_format(src->type, tb, sizeof tb));
            goto fail;
        }
    }
    w->view_cols = calloc(w->ncols ? w->ncols : 1, sizeof *w->view_cols);
    if (!w->view_cols) goto nomem;
    w->view.cols = w->view_cols;
    w->view.ncols = w->ncols;
    json_decref(kvschema);
    json_decref(kvfields);
    i2i_buf_free(&dir);
    i2i_buf_free(&pname);
    *out = w;
    return I2I_OK;
nomem:
    rc = i2i_error_nomem(err, "data writer");
fail:
    json_decref(kvschema);
    json_decref(kvfields);
    i2i_buf_free(&dir);
    i2i_buf_free(&pname);
    iceberg_writer_abort(w);
    return rc;
}

static int group_find_or_add(iceberg_writer *w, const iceberg_partition_value *key, size_t *gid,
                             i2i_error *err)
{
    uint64_t h = dw_key_hash(key, w->nparts);
    size_t mask, pos, i;
    if ((w->ngroups + 1) * 2 > w->htab_cap) {
        size_t ncap = w->htab_cap ? w->htab_cap * 2 : 64;
        size_t *nt = malloc(ncap * sizeof *nt);
        if (!nt) return i2i_error_nomem(err, "partition groups");
        for (i = 0; i < ncap; i++) nt[i] = SIZE_MAX;
        for (i = 0; i < w->ngroups; i++) {
            pos = (size_t)w->groups[i].hash & (ncap - 1);
            while (nt[pos] != SIZE_MAX) pos = (pos + 1) & (ncap - 1);
            nt[pos] = i;
        }
        free(w->htab);
        w->htab = nt;
        w->htab_cap = ncap;
    }
    mask = w->htab_cap - 1;
    pos = (size_t)h & mask;
    while (w->htab[pos] != SIZE_MAX) {
        dw_group *g = &w->groups[w->htab[pos]];
        if (g->hash == h && dw_key_eq(&w->keys[g->key_off], key, w->nparts)) {
            *gid = w->htab[pos];
            return I2I_OK;
        }
        pos = (pos + 1) & mask;
    }
    if (dw_grow((void **)&w->groups, &w->groups_cap, w->ngroups + 1, sizeof *w->groups) < 0 ||
        dw_grow((void **)&w->keys, &w->keys_cap, (w->ngroups + 1) * (w->nparts ? w->nparts : 1), sizeof *w->keys) < 0)
        return i2i_error_nomem(err, "partition groups");
    {
        dw_group *g = &w->groups[w->ngroups];
        memset(g, 0, sizeof *g);
        g->key_off = w->ngroups * (w->nparts ? w->nparts : 1);
        g->hash = h;
        g->first_run = g->last_run = SIZE_MAX;
        memcpy(&w->keys[g->key_off], key, w->nparts * sizeof *key);
    }
    w->htab[pos] = w->ngroups;
    *gid = w->ngroups++;
    return I2I_OK;
}

static int write_group(iceberg_writer *w, const dw_group *g, i2i_error *err)
{
    const iceberg_partition_value *key = &w->keys[g->key_off];
    dw_file *f;
    if (g->nruns == 1) {
        size_t start = w->run_start[g->first_run], end = w->run_start[g->first_run + 1];
        while (start < end) {
            size_t n;
            I2I_TRY(dw_get_file(w, key, g->hash, &f, err));
            n = dw_chunk_rows(w, f, end - start);
            I2I_TRY(parquet_writer_add_batch_range(f->pw, &w->view, start, n, err));
            I2I_TRY(dw_maybe_roll(w, f, err));
            start += n;
        }
        return I2I_OK;
    }
    {
        size_t r, k = 0, done = 0;
        if (dw_grow((void **)&w->rowlist, &w->rowlist_cap, g->rows, sizeof *w->rowlist) < 0)
            return i2i_error_nomem(err, "row list");
        for (r = g->first_run; r != SIZE_MAX; r = w->run_next[r]) {
            size_t i;
            for (i = w->run_start[r]; i < w->run_start[r + 1]; i++) w->rowlist[k++] = (uint32_t)i;
        }
        while (done < k) {
            size_t n;
            I2I_TRY(dw_get_file(w, key, g->hash, &f, err));
            n = dw_chunk_rows(w, f, k - done);
            I2I_TRY(parquet_writer_add_batch_rows(f->pw, &w->view, w->rowlist + done, n, err));
            I2I_TRY(dw_maybe_roll(w, f, err));
            done += n;
        }
    }
    return I2I_OK;
}

int iceberg_writer_write(iceberg_writer *w, const columnar_batch *b, i2i_error *err)
{
    size_t n = b->nrows, r, nruns = 0, g;
    iceberg_partition_value cur[8], prev[8], *curp = cur, *prevp = prev, *heap = NULL;
    const columnar_column *part_col = NULL;
    int64_t range_lo = 0, range_hi = 0;
    int rc = I2I_OK, in_range = 0;

    if (n == 0) return I2I_OK;
    if (n > UINT32_MAX) return i2i_error_set(err, I2I_ERR_INVALID, "batch too large (%zu rows)", n);
    I2I_TRY(dw_build_view(w, b, err));
    if (w->nparts > 8) {
        heap = calloc(2 * w->nparts, sizeof *heap);
        if (!heap) return i2i_error_nomem(err, "partition key");
        curp = heap;
        prevp = heap + w->nparts;
    }
    if (dw_grow((void **)&w->run_start, &w->runs_cap, n + 1, sizeof *w->run_start) < 0) goto nomem;
    {
        size_t cap = w->runs_cap;
        void *p1 = realloc(w->run_next, cap * sizeof *w->run_next);
        if (!p1) goto nomem;
        w->run_next = p1;
        p1 = realloc(w->run_group, cap * sizeof *w->run_group);
        if (!p1) goto nomem;
        w->run_group = p1;
    }
    w->ngroups = 0;
    if (w->htab) {
        size_t i;
        for (i = 0; i < w->htab_cap; i++) w->htab[i] = SIZE_MAX;
    }
    /* Runs of equal partition tuples. With one time partition (day(time), the usual spec) and rows
     * sorted by time, a row whose time lies in the previous row's day (hour, month, year) is in
     * its run: one compare instead of a transform and a key compare per row. */
    if (w->nparts == 1 && w->parts[0].col >= 0) part_col = &w->view.cols[w->parts[0].col];
    for (r = 0; r < n; r++) {
        size_t k;
        if (in_range && columnar_is_valid(part_col, r) && part_col->v.i64[r] >= range_lo &&
            part_col->v.i64[r] < range_hi) {
            w->groups[w->run_group[nruns - 1]].rows++;
            continue;
        }
        for (k = 0; k < w->nparts; k++) dw_part_value(&w->parts[k], &w->view, r, &curp[k]);
        in_range = part_col && dw_part_range(&w->parts[0], &w->view, r, &range_lo, &range_hi);
        if (r == 0 || !dw_key_eq(curp, prevp, w->nparts)) {
            size_t gid = 0;
            I2I_TRY_GOTO(group_find_or_add(w, curp, &gid, err), rc, done);
            w->run_start[nruns] = r;
            w->run_group[nruns] = gid;
            w->run_next[nruns] = SIZE_MAX;
            if (w->groups[gid].last_run == SIZE_MAX) w->groups[gid].first_run = nruns;
            else w->run_next[w->groups[gid].last_run] = nruns;
            w->groups[gid].last_run = nruns;
            w->groups[gid].nruns++;
            nruns++;
            {
                iceberg_partition_value *t = curp;
                curp = prevp;
                prevp = t;
            }
        }
        w->groups[w->run_group[nruns - 1]].rows++;
    }
    w->run_start[nruns] = n;
    for (g = 0; g < w->ngroups; g++) I2I_TRY_GOTO(write_group(w, &w->groups[g], err), rc, done);
    goto done;
nomem:
    rc = i2i_error_nomem(err, "data writer");
done:
    free(heap);
    return rc;
}

static void writer_free(iceberg_writer *w)
{
    size_t i;
    for (i = 0; i < w->nopen; i++) dw_file_abort(w, w->open[i]);
    for (i = 0; i < w->ncols; i++) {
        free(w->cols[i].name);
        free(w->cols[i].parquet_name);
        free(w->cols[i].scratch);
    }
    for (i = 0; i < w->nparts; i++) free((char *)w->parts[i].pf.name);
    for (i = 0; i < w->nunwritable; i++) free(w->unwritable[i]);
    free(w->unwritable);
    free(w->table_label);
    free(w->cols);
    free(w->parts);
    free(w->open);
    free(w->schema_json);
    free(w->run_id);
    free(w->data_dir);
    free(w->view_cols);
    free(w->zeros);
    free(w->run_start);
    free(w->run_next);
    free(w->run_group);
    free(w->keys);
    free(w->groups);
    free(w->htab);
    free(w->rowlist);
    free(w);
}

int iceberg_writer_finish(iceberg_writer *w, iceberg_write_result *out, i2i_error *err)
{
    int rc = I2I_OK;
    memset(out, 0, sizeof *out);
    if (!w) return i2i_error_set(err, I2I_ERR_INVALID, "no writer");
    while (w->nopen > 0) {
        dw_file *f = w->open[0];
        dw_remove_open(w, 0);
        rc = dw_file_close(w, f, err);
        if (rc < 0) {
            iceberg_writer_abort(w);
            return rc;
        }
    }
    out->files = w->done;
    out->nfiles = w->ndone;
    out->rows = w->rows;
    out->bytes = w->bytes;
    out->timestamps_truncated = w->truncated;
    w->done = NULL;
    w->ndone = 0;
    writer_free(w);
    return I2I_OK;
}

void iceberg_writer_abort(iceberg_writer *w)
{
    size_t i;
    if (!w) return;
    for (i = 0; i < w->ndone; i++) {
        i2i_error e;
        if (storage_remove(w->st, w->done[i].path, &e) < 0)
            I2I_WARN("could not remove abandoned data file %s: %s", w->done[i].path, e.msg);
        iceberg_data_file_clear(&w->done[i]);
    }
    free(w->done);
    writer_free(w);
}
