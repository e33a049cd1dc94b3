/* The data writer's files: one open Parquet writer per partition streaming into storage, rolled
 * at the target size, least recently used closed beyond the cap; closed files become
 * iceberg_data_file descriptors with manifest metrics. */
#include "data_writer_internal.h"

#include <stdio.h>
#include <stdlib.h>

static int sink_write(void *ctx, const void *data, size_t n, i2i_error *err)
{
    dw_file *f = ctx;
    return storage_writer_write(f->w->st, f->sw, data, n, err);
}

void dw_file_abort(iceberg_writer *w, dw_file *f)
{
    if (!f) return;
    parquet_writer_abort(f->pw);
    storage_writer_abort(w->st, f->sw);
    dw_key_free(f->key, w->nparts);
    free(f->path);
    free(f);
}

static int file_open(iceberg_writer *w, const iceberg_partition_value *key, uint64_t hash,
                     dw_file **out, i2i_error *err)
{
    dw_file *f = calloc(1, sizeof *f);
    i2i_buf path = I2I_BUF_INIT;
    parquet_column_spec *specs = NULL;
    parquet_sink sink;
    char uuid[37];
    size_t i;
    int rc = I2I_OK;
    if (!f) return i2i_error_nomem(err, "data file");
    f->w = w;
    f->hash = hash;
    f->key = dw_key_copy(key, w->nparts);
    if (!f->key) goto nomem;
    I2I_TRY_GOTO(i2i_uuid4(uuid, err), rc, fail);
    if (i2i_buf_append_str(&path, w->data_dir) < 0) goto nomem;
    for (i = 0; i < w->nparts; i++) {
        if (i2i_buf_put_u8(&path, '/') < 0 || ice_partition_human(&w->parts[i].pf, w->parts[i].result, &key[i], &path) < 0)
            goto nomem;
    }
    if (i2i_buf_printf(&path, "/%05u-%s-%s.parquet", w->file_seq++, w->run_id, uuid) < 0) goto nomem;
    f->path = i2i_strdup(i2i_buf_cstr(&path));
    if (!f->path) goto nomem;
    specs = calloc(w->ncols ? w->ncols : 1, sizeof *specs);
    if (!specs) goto nomem;
    for (i = 0; i < w->ncols; i++) specs[i] = w->cols[i].pspec;
    I2I_TRY_GOTO(storage_writer_open(w->st, f->path, &f->sw, err), rc, fail);
    sink.write = sink_write;
    sink.ctx = f;
    I2I_TRY_GOTO(parquet_writer_open(&sink, specs, w->ncols, &w->popts, &f->pw, err), rc, fail);
    free(specs);
    i2i_buf_free(&path);
    *out = f;
    return I2I_OK;
nomem:
    rc = i2i_error_nomem(err, "data file");
fail:
    free(specs);
    i2i_buf_free(&path);
    dw_file_abort(w, f);
    return rc;
}

static const dw_col *col_by_id(const iceberg_writer *w, int32_t id)
{
    size_t i;
    for (i = 0; i < w->ncols; i++)
        if (w->cols[i].id == id) return &w->cols[i];
    return NULL;
}

/* Finish a file and record its descriptor; f is freed whatever happens. */
int dw_file_close(iceberg_writer *w, dw_file *f, i2i_error *err)
{
    parquet_file_result res;
    iceberg_data_file *d;
    size_t i;
    int rc;
    memset(&res, 0, sizeof res);
    rc = i2i_fault_at(w->fault, "data-file.close", err);
    if (rc < 0) {
        i2i_error_wrap(err, "data file %s", f->path);
        goto fail;
    }
    rc = parquet_writer_close(f->pw, &res, err);
    f->pw = NULL;
    if (rc < 0) {
        i2i_error_wrap(err, "data file %s", f->path);
        goto fail;
    }
    rc = storage_writer_commit(w->st, f->sw, err);
    f->sw = NULL;
    if (rc < 0) {
        /* A commit can fail after the object became visible (S3's CompleteMultipartUpload reply
         * lost, a failure reported after the rename): remove it now, as the file is in no
         * descriptor the window's cleanup will see. The name is unique to this try. */
        storage_remove(w->st, f->path, NULL);
        i2i_error_wrap(err, "data file %s", f->path);
        goto fail;
    }
    if (dw_grow((void **)&w->done, &w->cap_done, w->ndone + 1, sizeof *w->done) < 0) {
        rc = i2i_error_nomem(err, "data files");
        storage_remove(w->st, f->path, NULL);
        goto fail;
    }
    d = &w->done[w->ndone];
    memset(d, 0, sizeof *d);
    d->path = f->path;
    f->path = NULL;
    d->record_count = res.num_rows;
    d->file_size = res.file_size;
    d->spec_id = w->spec_id;
    d->npartition = w->nparts;
    d->partition = f->key;
    f->key = NULL;
    w->ndone++;
    w->rows += res.num_rows;
    w->bytes += res.file_size;
    if (res.ncols) {
        d->metrics = calloc(res.ncols, sizeof *d->metrics);
        if (!d->metrics) {
            rc = i2i_error_nomem(err, "metrics");
            goto fail;
        }
    }
    for (i = 0; i < res.ncols; i++) {
        const dw_col *c = col_by_id(w, res.cols[i].field_id);
        if (!c) continue;
        rc = ice_metrics_from_parquet(c->type, &res.cols[i], c->mode, &d->metrics[d->nmetrics], err);
        d->nmetrics++;
        if (rc < 0) goto fail;
    }
    if (res.nrow_groups) {
        d->split_offsets = malloc(res.nrow_groups * sizeof *d->split_offsets);
        if (!d->split_offsets) {
            rc = i2i_error_nomem(err, "split offsets");
            goto fail;
        }
        memcpy(d->split_offsets, res.split_offsets, res.nrow_groups * sizeof *d->split_offsets);
        d->nsplit = res.nrow_groups;
    }
    I2I_DEBUG("closed data file %s: %lld rows, %lld bytes", d->path, (long long)d->record_count,
              (long long)d->file_size);
fail:
    parquet_file_result_free(&res);
    dw_file_abort(w, f);
    return rc;
}

void dw_remove_open(iceberg_writer *w, size_t idx)
{
    memmove(&w->open[idx], &w->open[idx + 1], (w->nopen - idx - 1) * sizeof *w->open);
    w->nopen--;
}

int dw_get_file(iceberg_writer *w, const iceberg_partition_value *key, uint64_t hash,
                    dw_file **out, i2i_error *err)
{
    size_t i, lru = 0;
    for (i = 0; i < w->nopen; i++) {
        if (w->open[i]->hash == hash && dw_key_eq(w->open[i]->key, key, w->nparts)) {
            w->open[i]->last_used = ++w->tick;
            *out = w->open[i];
            return I2I_OK;
        }
    }
    if (w->nopen >= w->max_open) {
        for (i = 1; i < w->nopen; i++)
            if (w->open[i]->last_used < w->open[lru]->last_used) lru = i;
        {
            dw_file *victim = w->open[lru];
            dw_remove_open(w, lru);
            I2I_TRY(dw_file_close(w, victim, err));
        }
    }
    I2I_TRY(file_open(w, key, hash, out, err));
    (*out)->last_used = ++w->tick;
    w->open[w->nopen++] = *out;
    return I2I_OK;
}

/* After rows went in: roll the file when it reached the target size. */
int dw_maybe_roll(iceberg_writer *w, dw_file *f, i2i_error *err)
{
    size_t i;
    if (parquet_writer_estimated_size(f->pw) < w->target) return I2I_OK;
    for (i = 0; i < w->nopen; i++) {
        if (w->open[i] == f) {
            dw_remove_open(w, i);
            break;
        }
    }
    return dw_file_close(w, f, err);
}

/* Rows to add to f next: a probe for a fresh file, then what the bytes-per-row seen so far say
 * fits under the target size (so files roll close to it), capped at DW_CHUNK_ROWS. */
size_t dw_chunk_rows(const iceberg_writer *w, dw_file *f, size_t avail)
{
    int64_t rows = parquet_writer_rows(f->pw), est = parquet_writer_estimated_size(f->pw);
    size_t n = 1024;
    if (rows > 0 && est > 0) {
        double per_row = (double)est / (double)rows;
        double left = (double)(w->target - est);
        n = left <= per_row ? 1 : (size_t)(left / per_row);
    }
    if (n > DW_CHUNK_ROWS) n = DW_CHUNK_ROWS;
    if (n < 1) n = 1;
    return n < avail ? n : avail;
}

void iceberg_data_file_clear(iceberg_data_file *f)
{
    size_t i;
    if (!f) return;
    free(f->path);
    dw_key_free(f->partition, f->npartition);
    for (i = 0; i < f->nmetrics; i++) {
        i2i_buf_free(&f->metrics[i].lower);
        i2i_buf_free(&f->metrics[i].upper);
    }
    free(f->metrics);
    free(f->split_offsets);
    memset(f, 0, sizeof *f);
}

void iceberg_write_result_free(iceberg_write_result *r)
{
    size_t i;
    if (!r) return;
    for (i = 0; i < r->nfiles; i++) iceberg_data_file_clear(&r->files[i]);
    free(r->files);
    memset(r, 0, sizeof *r);
}

void iceberg_remove_files(iceberg_table *t, const iceberg_data_file *files, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++) {
        i2i_error e;
        if (storage_remove(t->files, files[i].path, &e) < 0)
            I2I_WARN("could not remove data file %s: %s", files[i].path, e.msg);
    }
}
