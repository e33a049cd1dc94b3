/* The replication engine: decide the time range, split it into windows, stream each window from
 * InfluxDB into partitioned Parquet files and commit it exactly once (design.md §4). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include "../iceberg/iceberg.h"
#include "../source/source.h"
#include "ranges.h"
#include "replicate.h"
#include "version.h"

/* 16384 rows: as fast as 65536 on the bench (the same instructions, callgrind) and a batch of the
 * bench's 12 columns takes ~1.5 MB instead of ~6 MB (the pipeline holds four). */
#define DEFAULT_ROWS_PER_BATCH 16384
#define MAX_BATCH_BYTES (32u << 20)

/* The caller's per-thread log sink (a Processing Engine callback need not be thread safe) shared
 * by every thread of a run behind one mutex: while the run has other threads (the writer, the
 * read-aheads' fetch threads), the caller's own lines go through it too. */
typedef struct shared_log {
    pthread_mutex_t mu;
    i2i_log_sink sink;
    void *ctx;
    int on; /* installed on the caller's thread */
} shared_log;

static void shared_log_line(void *ctx, i2i_log_level level, const char *line)
{
    shared_log *l = ctx;
    pthread_mutex_lock(&l->mu);
    l->sink(l->ctx, level, line);
    pthread_mutex_unlock(&l->mu);
}

/* The write pipeline (job threads >= 2): the calling thread fetches and parses into one batch
 * while a writer thread encodes, compresses and stores earlier ones. A full batch's rows are
 * swapped into an emptied slot of a queue of PIPE_SLOTS (columnar_batch_swap, no copy), so memory
 * stays at PIPE_SLOTS + 1 batches whatever the window; three slots absorb a batch that takes
 * longer than usual on either side (docs/architecture.md). The writer gets exactly the batches, in
 * exactly the order, that the one-thread path would write, so the files are the same bytes
 * whatever the thread count.
 *
 * A part's last item is "finish this writer" (close its files: last row groups, footers, fsync):
 * the writer thread does that in queue order while the caller already parses the next part into
 * the slots behind it, and the caller commits the finished part when it sees it done (the part's
 * "tail", see settle_tail). */
#define PIPE_SLOTS 3

typedef struct pipe_finish {
    int done;     /* the finish item was taken off the queue */
    int rc;       /* iceberg_writer_finish's status, or the writer thread's earlier failure */
    int consumed; /* the writer was finished (or freed by a failing finish); else still to abort */
    i2i_error err;
    iceberg_write_result wr;
} pipe_finish;

typedef struct pipeline {
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    /* A ring of items waiting for the writer thread: slot[head] is the one it handles (or will),
     * the caller swaps the next full batch into slot[(head + queued) % PIPE_SLOTS]. An item is a
     * batch for writer[i], or (finish[i], its batch empty) the end of writer[i]'s part. */
    columnar_batch *slot[PIPE_SLOTS];
    iceberg_writer *writer[PIPE_SLOTS];
    int finish[PIPE_SLOTS];
    size_t head, queued;
    pipe_finish fin; /* the last finish item's outcome, until the caller takes it */
    int quit;        /* end the thread (the run is over) */
    int running;     /* the thread was created and not yet joined */
    int rc;          /* first failure of the writer thread: later items are dropped, for the run */
    i2i_error err;
    shared_log *log; /* the caller's sink for the writer thread, or NULL */
} pipeline;

/* A window part whose rows are all written and whose commit is still to be made. With the write
 * pipeline it is committed while the next part is already being parsed, in strict order: the next
 * part's events wait for it, and its failure (or a lost race) drops the next part too. */
typedef struct part_tail {
    int active;
    int64_t start, end;
    int64_t rows;           /* rows of the part, in res->rows until it fails */
    int last;               /* the last part of its window: the window is done once committed */
    iceberg_writer *writer; /* to finish (one thread), or to abort if the pipe could not finish it */
} part_tail;

typedef struct engine {
    const replicate_job *job;
    const replicate_hooks *hooks;
    replicate_result *res;
    replicate_progress prog;
    source *src;
    source_schema *schema;
    const char **cols; /* selected source columns, time first */
    size_t ncols;
    catalog *cat;
    iceberg_table *table;
    columnar_batch *batch;
    iceberg_writer *writer; /* open while a window part is being written */
    replicate_ranges empty; /* empty window parts not yet recorded: they ride along with the
                               next commit (or one properties-only commit at the end), so a long
                               empty stretch costs queries, not one commit per window */
    char prop_key[64];
    int64_t t0;
    int64_t part_rows;
    pipeline *pipe; /* NULL = one thread */
    part_tail tail;
    /* Events of the part being parsed held back while the part before it is not committed yet
     * (hooks see every part's events in order): its WINDOW_BEGIN and how many BATCH. */
    int begin_held;
    int64_t batches_held;
    int64_t held_start, held_end;
    /* The tail's failure (tail_rc < 0) or lost race (tail_redo: redo from redo_cursor), seen
     * while the next part was being parsed: that part is dropped, and this is reported. */
    int tail_rc, tail_redo;
    i2i_error tail_err;
    int64_t redo_cursor;
    /* Test fault hooks are called from the writer thread too: one lock makes them one at a time. */
    i2i_fault fault;
    pthread_mutex_t fault_mu;
    int fault_on;
    /* Two read-aheads taking turns (both NULL = no read-ahead): the part being copied is read
     * through one while the next part's request, sent as soon as this part's first byte arrived,
     * is planned by the server and buffered by the other. */
    source_prefetch *ahead[2];
    int ahead_next;          /* the read-ahead started for the next part, or -1 */
    int ahead_free;          /* the one the next part may use (not the current part's) */
    int64_t next_ns, next_ne; /* the part expected after the current one (empty: none) */
    replicate_ranges next;  /* scratch: the uncovered parts of the next window */
    shared_log log;
} engine;

static int emit(engine *e, replicate_event ev, i2i_error *err)
{
    e->prog.event = ev;
    e->prog.elapsed_ns = i2i_monotonic_ns() - e->t0;
    e->prog.rows = e->res->rows;
    e->prog.files = e->res->files;
    e->prog.bytes = e->res->bytes;
    if (e->hooks && e->hooks->on_event) return e->hooks->on_event(e->hooks->ctx, &e->prog, err);
    return I2I_OK;
}

static int cancelled(const engine *e, i2i_error *err)
{
    if (e->hooks && e->hooks->cancel && *e->hooks->cancel)
        return i2i_error_set(err, I2I_ERR_CANCELLED, "stopped on request; the window in progress was "
                                                     "not committed and will be redone next time");
    return I2I_OK;
}

/* ------------------------------------------------------------------ column selection */

static int in_list(char **list, const char *name)
{
    size_t i;
    for (i = 0; list && list[i]; i++) {
        if (strcmp(list[i], name) == 0) return 1;
    }
    return 0;
}

static int available_columns(const source_schema *s, i2i_buf *out)
{
    size_t i;
    i2i_buf_reset(out);
    for (i = 0; i < s->ncols; i++) I2I_TRY(i2i_buf_printf(out, "%s%s", i ? ", " : "", s->cols[i].name));
    return i2i_buf_cstr(out) ? I2I_OK : I2I_ERR_NOMEM;
}

static int check_names(engine *e, char **list, const char *key, i2i_error *err)
{
    size_t i;
    for (i = 0; list && list[i]; i++) {
        if (source_schema_find(e->schema, list[i]) < 0) {
            i2i_buf avail = I2I_BUF_INIT;
            available_columns(e->schema, &avail);
            i2i_error_set(err, I2I_ERR_INVALID, "%s: '%s' is not a column of measurement '%s'; available: %s",
                          key, list[i], e->job->measurement, avail.data ? (char *)avail.data : "");
            i2i_buf_free(&avail);
            return I2I_ERR_INVALID;
        }
        if (strcmp(list[i], "time") == 0 && list == e->job->excluded) {
            return i2i_error_set(err, I2I_ERR_INVALID, "excluded_fields: 'time' cannot be excluded: "
                                                       "every row needs its timestamp");
        }
    }
    return I2I_OK;
}

static int select_columns(engine *e, i2i_error *err)
{
    const source_schema *s = e->schema;
    size_t i;
    I2I_TRY(check_names(e, e->job->included, "included_fields", err));
    I2I_TRY(check_names(e, e->job->excluded, "excluded_fields", err));
    e->cols = calloc(s->ncols + 1, sizeof *e->cols);
    if (!e->cols) return i2i_error_nomem(err, "selecting columns");
    e->cols[e->ncols++] = s->cols[s->time_index].name;
    for (i = 0; i < s->ncols; i++) {
        const char *name = s->cols[i].name;
        if ((int)i == s->time_index) continue;
        if (e->job->included && !in_list(e->job->included, name)) continue;
        if (in_list(e->job->excluded, name)) continue;
        e->cols[e->ncols++] = name;
    }
    return I2I_OK;
}

/* ------------------------------------------------------------------ table and schema */

static int iceberg_type_for(engine *e, const source_column *c, int format_version, iceberg_type *t,
                            i2i_error *err)
{
    iceberg_type_options o;
    memset(&o, 0, sizeof o);
    if (c->role == SOURCE_ROLE_TIME && format_version >= 3) o.time_nanos = 1;
    (void)e;
    return iceberg_type_for_column(c->type, format_version, &o, t, err);
}

/* The test fault hook of the run (or NULL): hooks->fault called one call at a time, as the
 * writer thread ("data-file.close", the data files' "storage.*") and the caller (commits) may
 * reach a fault point at once. */
static const i2i_fault *engine_fault(const engine *e)
{
    return e->fault_on ? &e->fault : NULL;
}

static int locked_fault(void *ctx, const char *point, i2i_error *err)
{
    engine *e = ctx;
    int rc;
    pthread_mutex_lock(&e->fault_mu);
    rc = i2i_fault_at(e->hooks->fault, point, err);
    pthread_mutex_unlock(&e->fault_mu);
    return rc;
}

static int open_table(engine *e, i2i_error *err)
{
    const replicate_job *job = e->job;
    iceberg_column_def *defs;
    iceberg_create_options create;
    size_t i;
    int rc;

    if (job->catalog_configs) {
        I2I_TRY(catalog_open(job->catalog_configs, job->base_dir, &e->cat, err));
    } else {
        I2I_TRY(catalog_open_default(job->default_warehouse, &e->cat, err));
    }
    if (engine_fault(e)) catalog_set_fault(e->cat, engine_fault(e));
    /* a stop also cuts short the catalog's and its storages' retry and reconnect waits */
    if (e->hooks && e->hooks->cancel) catalog_set_cancel(e->cat, e->hooks->cancel);
    defs = calloc(e->ncols, sizeof *defs);
    if (!defs) return i2i_error_nomem(err, "building the table schema");
    for (i = 0; i < e->ncols; i++) {
        const source_column *c = &e->schema->cols[source_schema_find(e->schema, e->cols[i])];
        defs[i].name = c->name;
        defs[i].required = c->role == SOURCE_ROLE_TIME;
        I2I_TRY_GOTO(iceberg_type_for(e, c, job->format_version, &defs[i].type, err), rc, out);
    }
    memset(&create, 0, sizeof create);
    create.format_version = job->format_version;
    create.columns = defs;
    create.ncolumns = e->ncols;
    create.time_column = e->schema->cols[e->schema->time_index].name;
    I2I_TRY_GOTO(iceberg_time_partition_parse(job->partition_by, &create.partition, err), rc, out);
    /* Load first, then create, so the result can say whether this run created the table (a
     * concurrent creator winning the race in between is fine: its table is loaded). */
    rc = iceberg_table_open(e->cat, job->namespace_, job->table_name, NULL, &e->table, err);
    if (rc == I2I_ERR_NOT_FOUND) {
        i2i_error_clear(err);
        rc = iceberg_table_create(e->cat, job->namespace_, job->table_name, &create, &e->table, err);
        if (rc == I2I_OK) {
            e->res->table_created = 1;
        } else if (rc == I2I_ERR_EXISTS) {
            i2i_error_clear(err);
            rc = iceberg_table_open(e->cat, job->namespace_, job->table_name, NULL, &e->table, err);
        }
    }
    if (rc < 0) i2i_error_wrap(err, "table %s.%s", job->namespace_, job->table_name);
out:
    free(defs);
    return rc;
}

static int is_time_type(iceberg_type_id id)
{
    return id == ICEBERG_TYPE_TIMESTAMP || id == ICEBERG_TYPE_TIMESTAMPTZ ||
           id == ICEBERG_TYPE_TIMESTAMP_NS || id == ICEBERG_TYPE_TIMESTAMPTZ_NS;
}

/* Every selected column must be in the table with a compatible type; new ones are added when
 * auto_update_schema is on, and are an error naming them otherwise. */
static int reconcile_schema(engine *e, i2i_error *err)
{
    const iceberg_schema *ts = iceberg_table_schema(e->table);
    int fv = iceberg_table_format_version(e->table);
    iceberg_column_def *add = NULL;
    size_t nadd = 0, i;
    i2i_buf missing = I2I_BUF_INIT;
    int rc = I2I_OK;

    add = calloc(e->ncols, sizeof *add);
    if (!add) return i2i_error_nomem(err, "checking the table schema");
    for (i = 0; i < e->ncols; i++) {
        const source_column *c = &e->schema->cols[source_schema_find(e->schema, e->cols[i])];
        const iceberg_field *f = iceberg_schema_find(ts, c->name);
        iceberg_type want;
        char a[48], b[48];
        I2I_TRY_GOTO(iceberg_type_for(e, c, fv, &want, err), rc, out);
        if (!f) {
            if (c->role == SOURCE_ROLE_TIME) {
                rc = i2i_error_set(err, I2I_ERR_INVALID,
                                   "table %s.%s has no '%s' column: it was not created for InfluxDB data",
                                   e->job->namespace_, e->job->table_name, c->name);
                goto out;
            }
            add[nadd].name = c->name;
            add[nadd].type = want;
            nadd++;
            i2i_buf_printf(&missing, "%s%s (%s)", missing.len ? ", " : "", c->name,
                           iceberg_type_format(want, a, sizeof a));
            continue;
        }
        if (c->role == SOURCE_ROLE_TIME ? !is_time_type(f->type.id) : f->type.id != want.id) {
            rc = i2i_error_set(err, I2I_ERR_INVALID,
                               "column '%s' is %s in InfluxDB (%s) but %s in table %s.%s",
                               c->name, iceberg_type_format(want, a, sizeof a), c->data_type,
                               iceberg_type_format(f->type, b, sizeof b), e->job->namespace_,
                               e->job->table_name);
            goto out;
        }
    }
    if (nadd > 0) {
        iceberg_schema_change change;
        if (!e->job->auto_update_schema) {
            rc = i2i_error_set(err, I2I_ERR_INVALID,
                               "measurement '%s' has columns that table %s.%s lacks: %s. Pass "
                               "auto_update_schema (--auto-update-schema) to add them, or exclude them",
                               e->job->measurement, e->job->namespace_, e->job->table_name,
                               i2i_buf_cstr(&missing));
            goto out;
        }
        memset(&change, 0, sizeof change);
        change.add = add;
        change.nadd = nadd;
        I2I_TRY_GOTO(iceberg_table_update_schema(e->table, &change, err), rc, out);
        e->res->columns_added += (int)nadd;
        I2I_INFO("added %zu column(s) to %s.%s: %s", nadd, e->job->namespace_, e->job->table_name,
                 i2i_buf_cstr(&missing));
    }
out:
    free(add);
    i2i_buf_free(&missing);
    return rc;
}

/* ------------------------------------------------------------------ committed ranges */

static int load_ranges(engine *e, replicate_ranges *r, i2i_error *err)
{
    const char *text = iceberg_table_property(e->table, e->prop_key);
    int rc = replicate_ranges_parse(text, r, err);
    if (rc < 0) i2i_error_wrap(err, "table property %s", e->prop_key);
    return rc;
}

typedef struct range_update {
    const char *key;
    int64_t start, end;          /* the part being committed (start == end: none) */
    const replicate_ranges *also; /* pending empty parts recorded in the same commit */
    int overlap;                 /* set when the head already has part of [start, end) */
} range_update;

/* Re-applied on every commit attempt against the head it lands on, so two writers never lose
 * each other's ranges. When that head already covers any of [start, end) (another run of the same
 * stream committed it since we read the table), appending our files would duplicate those rows:
 * the commit is refused (u->overlap = 1, I2I_ERR_EXISTS) and the caller drops its files. */
static int merge_range_property(void *ctx, const json_t *head_props, json_t *updates, i2i_error *err)
{
    range_update *u = ctx;
    const json_t *cur = json_object_get(head_props, u->key);
    replicate_ranges r = {0}, free_parts = {0};
    i2i_buf text = I2I_BUF_INIT;
    int rc;
    size_t i;

    rc = replicate_ranges_parse(json_is_string(cur) ? json_string_value(cur) : NULL, &r, err);
    if (rc == I2I_OK && u->start < u->end) {
        rc = replicate_ranges_uncovered(&r, u->start, u->end, &free_parts);
        if (rc == I2I_OK && !(free_parts.n == 1 && free_parts.items[0].start == u->start &&
                              free_parts.items[0].end == u->end)) {
            char a[40], b[40];
            u->overlap = 1;
            i2i_time_format_rfc3339(u->start, a, sizeof a);
            i2i_time_format_rfc3339(u->end, b, sizeof b);
            rc = i2i_error_set(err, I2I_ERR_EXISTS,
                               "window [%s, %s) was committed meanwhile by another run of the same "
                               "stream", a, b);
        }
    }
    if (rc == I2I_OK) rc = replicate_ranges_add(&r, u->start, u->end);
    for (i = 0; rc == I2I_OK && u->also && i < u->also->n; i++)
        rc = replicate_ranges_add(&r, u->also->items[i].start, u->also->items[i].end);
    if (rc == I2I_OK) rc = replicate_ranges_format(&r, &text);
    if (rc == I2I_OK && json_object_set_new(updates, u->key, json_string((char *)text.data)) != 0)
        rc = I2I_ERR_NOMEM;
    if (rc == I2I_ERR_NOMEM) i2i_error_nomem(err, "updating the committed ranges");
    replicate_ranges_free(&r);
    replicate_ranges_free(&free_parts);
    i2i_buf_free(&text);
    return rc;
}

/* ------------------------------------------------------------------ the write pipeline */

static void *pipe_main(void *arg)
{
    pipeline *p = arg;
    if (p->log) i2i_log_set_thread_sink(shared_log_line, p->log);
    pthread_mutex_lock(&p->mu);
    for (;;) {
        if (p->queued > 0) {
            int rc = I2I_OK, consumed = 0;
            i2i_error err;
            iceberg_write_result wr;
            size_t at = p->head;
            columnar_batch *b = p->slot[at];
            iceberg_writer *w = p->writer[at];
            int finish = p->finish[at];
            i2i_error_clear(&err);
            memset(&wr, 0, sizeof wr);
            pthread_mutex_unlock(&p->mu);
            /* while items are queued only this thread writes p->rc: reading it unlocked is safe
             * here; the caller touches other slots only */
            if (finish) {
                if (p->rc == I2I_OK) {
                    rc = iceberg_writer_finish(w, &wr, &err);
                    consumed = 1;
                } else {
                    rc = p->rc;
                    err = p->err;
                }
            } else if (p->rc == I2I_OK) {
                rc = iceberg_writer_write(w, b, &err);
            }
            columnar_batch_clear(b);
            pthread_mutex_lock(&p->mu);
            if (finish) {
                p->fin.done = 1;
                p->fin.rc = rc;
                p->fin.consumed = consumed;
                p->fin.err = err;
                p->fin.wr = wr;
            }
            if (rc < 0 && p->rc == I2I_OK) {
                p->rc = rc;
                p->err = err;
            }
            p->writer[at] = NULL;
            p->finish[at] = 0;
            p->head = (p->head + 1) % PIPE_SLOTS;
            p->queued--;
            pthread_cond_broadcast(&p->cv);
        } else if (p->quit) {
            break;
        } else {
            pthread_cond_wait(&p->cv, &p->mu);
        }
    }
    pthread_mutex_unlock(&p->mu);
    if (p->log) i2i_log_set_thread_sink(NULL, NULL);
    return NULL;
}

/* Start the writer thread (once, at the first part; it lives for the run): a thread per part
 * would let glibc give each new writer thread whichever malloc arena an exited thread (often a
 * read-ahead's fetch thread) left free, and the writer's large buffers then stay resident in
 * several arenas (about 6 MB more peak RSS in the bench with two read-aheads). */
static int pipe_start(pipeline *p, i2i_error *err)
{
    int rc;
    if (p->running) return I2I_OK;
    rc = pthread_create(&p->thread, NULL, pipe_main, p);
    if (rc != 0) return i2i_error_set(err, I2I_ERR_IO, "starting the writer thread: %s", strerror(rc));
    p->running = 1;
    return I2I_OK;
}

/* Wait until the writer thread has handled every queued item (it is idle then, and no writer is
 * touched by it until the next item); returns its first failure of the run. */
static int pipe_drain(pipeline *p, i2i_error *err)
{
    int rc;
    pthread_mutex_lock(&p->mu);
    while (p->queued > 0) pthread_cond_wait(&p->cv, &p->mu);
    rc = p->rc;
    if (rc < 0 && err) *err = p->err;
    pthread_mutex_unlock(&p->mu);
    return rc;
}

/* Queue an item for writer w: a full batch b (its rows are swapped into the free slot so b comes
 * back empty), or with b NULL the end of w's part (finish it). Waits while every slot is full. A
 * failure of the writer thread is returned here for a batch (the query stops); a finish item is
 * always queued, its outcome then carries the failure. */
static int pipe_put(pipeline *p, columnar_batch *b, iceberg_writer *w, i2i_error *err)
{
    int rc = I2I_OK;
    pthread_mutex_lock(&p->mu);
    while (p->queued == PIPE_SLOTS && (p->rc == I2I_OK || !b)) pthread_cond_wait(&p->cv, &p->mu);
    if (b && p->rc < 0) {
        rc = p->rc;
        if (err) *err = p->err;
    } else {
        size_t at = (p->head + p->queued) % PIPE_SLOTS;
        if (b) rc = columnar_batch_swap(b, p->slot[at]);
        if (rc < 0) {
            i2i_error_set(err, rc, "internal: the pipeline's batches differ in shape");
        } else {
            p->writer[at] = w;
            p->finish[at] = b == NULL;
            p->queued++;
            pthread_cond_broadcast(&p->cv);
        }
    }
    pthread_mutex_unlock(&p->mu);
    return rc;
}

/* The outcome of the queued finish item, once the writer thread has handled it: 1 and *out
 * filled (the pipe forgets it), or 0 while it has not (wait = 0). */
static int pipe_take_finish(pipeline *p, int wait, pipe_finish *out)
{
    int done;
    pthread_mutex_lock(&p->mu);
    while (wait && !p->fin.done) pthread_cond_wait(&p->cv, &p->mu);
    done = p->fin.done;
    if (done) {
        *out = p->fin;
        memset(&p->fin, 0, sizeof p->fin);
    }
    pthread_mutex_unlock(&p->mu);
    return done;
}

static int pipe_new(const columnar_batch *like, const source_schema *schema, const char **cols,
                    size_t ncols, pipeline **out, i2i_error *err)
{
    pipeline *p = calloc(1, sizeof *p);
    int rc;
    size_t i;
    *out = NULL;
    if (!p) return i2i_error_nomem(err, "creating the write pipeline");
    for (i = 0; i < PIPE_SLOTS; i++) {
        rc = source_batch_new(schema, cols, ncols, like->capacity, &p->slot[i], err);
        if (rc < 0) {
            while (i > 0) columnar_batch_free(p->slot[--i]);
            free(p);
            return rc;
        }
    }
    if (pthread_mutex_init(&p->mu, NULL) != 0) goto fail;
    if (pthread_cond_init(&p->cv, NULL) != 0) {
        pthread_mutex_destroy(&p->mu);
        goto fail;
    }
    *out = p;
    return I2I_OK;
fail:
    for (i = 0; i < PIPE_SLOTS; i++) columnar_batch_free(p->slot[i]);
    free(p);
    return i2i_error_set(err, I2I_ERR_NOMEM, "creating the write pipeline's lock");
}

static void pipe_free(pipeline *p)
{
    size_t i;
    if (!p) return;
    if (p->running) {
        /* The caller drained it (no writer of the run is left to it): end it. */
        pthread_mutex_lock(&p->mu);
        p->quit = 1;
        pthread_cond_broadcast(&p->cv);
        pthread_mutex_unlock(&p->mu);
        pthread_join(p->thread, NULL);
        p->running = 0;
    }
    pthread_mutex_destroy(&p->mu);
    pthread_cond_destroy(&p->cv);
    for (i = 0; i < PIPE_SLOTS; i++) columnar_batch_free(p->slot[i]);
    free(p);
}

/* ------------------------------------------------------------------ one window part */

static json_t *summary_for(engine *e, int64_t start, int64_t end)
{
    json_t *s = json_object();
    char num[32];
    if (!s) return NULL;
    json_object_set_new(s, "influx2iceberg.source-id", json_string(e->res->source_id));
    snprintf(num, sizeof num, "%lld", (long long)start);
    json_object_set_new(s, "influx2iceberg.window-start", json_string(num));
    snprintf(num, sizeof num, "%lld", (long long)end);
    json_object_set_new(s, "influx2iceberg.window-end", json_string(num));
    json_object_set_new(s, "influx2iceberg.run-id", json_string(e->res->run_id));
    json_object_set_new(s, "influx2iceberg.version", json_string(I2I_VERSION));
    json_object_set_new(s, "influx2iceberg.database", json_string(e->job->database));
    json_object_set_new(s, "influx2iceberg.measurement", json_string(e->job->measurement));
    return s;
}

/* Send the next part's request on the free read-ahead (once per part; nothing when there is no
 * next part, so nothing past the end). Called when the current part's first byte has arrived
 * (source_first_byte_fn), or after its query when its body was empty. A read-ahead that cannot
 * start costs only the overlap: the next part is then fetched by its own request. */
static void start_next(void *ctx)
{
    engine *e = ctx;
    source_query q;
    i2i_error aerr;
    if (e->ahead_next >= 0 || e->next_ns >= e->next_ne) return;
    memset(&q, 0, sizeof q);
    q.table = e->job->measurement;
    q.batch = e->batch; /* only its column names are read, to build the same SQL */
    q.start_ns = e->next_ns;
    q.end_ns = e->next_ne;
    if (source_prefetch_start(e->ahead[e->ahead_free], &q, &aerr) < 0) {
        I2I_WARN("no read-ahead: %s", aerr.msg);
        e->next_ns = e->next_ne = 0; /* warn once */
        return;
    }
    e->ahead_next = e->ahead_free;
}

/* Throw away both read-aheads (their transfers stopped, threads joined). */
static void drop_ahead(engine *e)
{
    source_prefetch_discard(e->ahead[0]);
    source_prefetch_discard(e->ahead[1]);
    e->ahead_next = -1;
}

/* Say in err what was being done to which window part, and whether anything of it may be in the
 * table (also for a stop on request: a catalog's or storage's wait cut short names no window). */
static void wrap_part_error(engine *e, int rc, const char *stage, int64_t start, int64_t end,
                            i2i_error *err)
{
    char a[40], b[40];
    i2i_time_format_rfc3339(start, a, sizeof a);
    i2i_time_format_rfc3339(end, b, sizeof b);
    i2i_error_wrap(err, "%s window [%s, %s) of '%s' into %s.%s (%s)", stage, a, b,
                   e->job->measurement, e->job->namespace_, e->job->table_name,
                   rc == I2I_ERR_UNKNOWN ? "its commit may have landed; the next run checks"
                                         : "nothing committed for it");
}

/* Commit a part whose data files are written (wr, freed here). *redo is set (status I2I_OK) when
 * another run committed part of it first: nothing of ours was committed, the caller recomputes
 * what is left.
 *
 * Every failure goes through one exit: files that no commit references are removed (all but after
 * an unknown commit outcome, when a commit may reference them), the part's rows are taken back out
 * of the totals, and the error names the window. */
static int commit_part(engine *e, const part_tail *t, iceberg_write_result *wr, int *redo,
                       i2i_error *err)
{
    range_update upd = {e->prop_key, t->start, t->end, &e->empty, 0};
    iceberg_commit_result cr;
    json_t *summary;
    const char *stage = "writing";
    int rc;

    *redo = 0;
    memset(&cr, 0, sizeof cr);
    e->prog.window_start = t->start;
    e->prog.window_end = t->end;
    rc = emit(e, REPLICATE_EVENT_BEFORE_COMMIT, err);
    if (rc == I2I_OK) rc = i2i_fault_at(engine_fault(e), "replicate.before-commit", err);
    if (rc < 0) goto remove_files;

    stage = "committing";
    if (wr->nfiles > 0) {
        iceberg_append_request req;
        summary = summary_for(e, t->start, t->end);
        if (!summary) {
            rc = i2i_error_nomem(err, "building the snapshot summary");
            goto remove_files;
        }
        memset(&req, 0, sizeof req);
        req.files = wr->files;
        req.nfiles = wr->nfiles;
        req.summary = summary;
        req.props_fn = merge_range_property;
        req.props_ctx = &upd;
        req.retry.cancel = e->hooks ? e->hooks->cancel : NULL;
        rc = iceberg_append(e->table, &req, &cr, err);
        json_decref(summary);
        if (rc < 0 && upd.overlap) {
            /* Another run won this window (or part of it); the table now holds its commit. */
            I2I_INFO("%s; dropping our %zu file(s) for it", err ? err->msg : "", wr->nfiles);
            i2i_error_clear(err);
            e->res->commit_conflicts += cr.conflicts;
            *redo = 1;
            e->redo_cursor = t->start;
            rc = I2I_OK;
            goto remove_files;
        }
        if (rc < 0) {
            /* After an unknown outcome the files may be referenced by a commit: keep them. */
            if (rc == I2I_ERR_UNKNOWN) goto out;
            goto remove_files;
        }
        e->res->snapshots++;
        e->res->files += (int64_t)wr->nfiles;
        e->res->bytes += wr->bytes;
        e->empty.n = 0; /* recorded by this commit */
    } else {
        rc = replicate_ranges_add(&e->empty, t->start, t->end);
        if (rc < 0) {
            i2i_error_nomem(err, "recording an empty window");
            goto out;
        }
        e->res->windows_empty++;
    }
    e->res->commit_conflicts += cr.conflicts;
    e->res->timestamps_truncated += wr->timestamps_truncated;
    e->res->windows_committed++;
    rc = emit(e, REPLICATE_EVENT_COMMITTED, err);
    if (rc == I2I_OK && t->last) e->prog.windows_done++;
    goto out;
remove_files:
    iceberg_remove_files(e->table, wr->files, wr->nfiles);
    e->res->rows -= t->rows; /* those rows were not committed */
out:
    iceberg_write_result_free(wr);
    if (rc < 0) wrap_part_error(e, rc, stage, t->start, t->end, err);
    return rc;
}

/* Finish and commit the tail. With the write pipeline its files are finished by the writer
 * thread: wait = 0 returns at once (I2I_OK, the tail still active) when it has not got there yet.
 * *redo as commit_part. */
static int settle_tail(engine *e, int wait, int *redo, i2i_error *err)
{
    part_tail *t = &e->tail;
    iceberg_write_result wr;
    int rc;

    *redo = 0;
    if (!t->active) return I2I_OK;
    memset(&wr, 0, sizeof wr);
    if (e->pipe) {
        pipe_finish f;
        if (!pipe_take_finish(e->pipe, wait, &f)) return I2I_OK;
        rc = f.rc;
        if (rc < 0 && err) *err = f.err;
        if (!f.consumed) iceberg_writer_abort(t->writer); /* the writer thread had failed before */
        wr = f.wr;
    } else {
        rc = iceberg_writer_finish(t->writer, &wr, err);
    }
    t->writer = NULL;
    t->active = 0;
    if (rc < 0) {
        /* a failed finish has removed the part's files (iceberg_writer_finish) */
        e->res->rows -= t->rows;
        wrap_part_error(e, rc, "writing", t->start, t->end, err);
        return rc;
    }
    return commit_part(e, t, &wr, redo, err);
}

/* Emit the events held back for the part being parsed, its tail being committed now. */
static int emit_held(engine *e, i2i_error *err)
{
    if (!e->begin_held) return I2I_OK;
    e->begin_held = 0;
    e->prog.window_start = e->held_start;
    e->prog.window_end = e->held_end;
    I2I_TRY(emit(e, REPLICATE_EVENT_WINDOW_BEGIN, err));
    for (; e->batches_held > 0; e->batches_held--) I2I_TRY(emit(e, REPLICATE_EVENT_BATCH, err));
    return I2I_OK;
}

/* While a part is parsed: commit its tail if the writer thread has finished it (wait = 0: not
 * waiting for it), then emit the part's held events. A failure or lost race of the tail stops this
 * part's query (the status makes it stop; tail_rc or tail_redo says why, tail_err what). */
static int settle_tail_while_parsing(engine *e, int wait, i2i_error *err)
{
    int redo = 0;
    int rc = settle_tail(e, wait, &redo, &e->tail_err);
    if (rc < 0 || redo) {
        e->tail_rc = rc < 0 ? rc : 0;
        e->tail_redo = redo;
        if (err) *err = e->tail_err;
        return rc < 0 ? rc : I2I_ERR_EXISTS;
    }
    if (e->tail.active) return I2I_OK; /* not finished yet: the events stay held */
    e->res->commits_overlapped++;
    return emit_held(e, err);
}

static int on_batch(void *ctx, columnar_batch *b, i2i_error *err)
{
    engine *e = ctx;
    int64_t n = (int64_t)b->nrows;
    I2I_TRY(cancelled(e, err));
    if (e->pipe) {
        int rc = pipe_put(e->pipe, b, e->writer, err);
        if (rc < 0 && e->tail.active) {
            /* The writer thread failed: when on the tail (a batch of it, or its finish), the
             * tail's failure is the one reported. Otherwise the tail is committed first. */
            i2i_error perr = *err;
            int trc = settle_tail_while_parsing(e, 1, err);
            if (trc < 0) return trc;
            *err = perr;
        }
        if (rc < 0) return rc;
    } else {
        I2I_TRY(iceberg_writer_write(e->writer, b, err));
    }
    e->part_rows += n;
    e->res->rows += n;
    if (e->begin_held) {
        e->batches_held++;
        return settle_tail_while_parsing(e, 0, err);
    }
    return emit(e, REPLICATE_EVENT_BATCH, err);
}

/* While the part being parsed waits for more of its body (a read-ahead's transfer that stalls):
 * commit the tail once its files are finished, rather than when the next batch is full. */
static int on_idle(void *ctx, i2i_error *err)
{
    engine *e = ctx;
    if (!e->begin_held) return I2I_OK; /* the tail is committed already */
    return settle_tail_while_parsing(e, 0, err);
}

/* Throw away the part being parsed: its batches written or dropped by the writer thread, its
 * writer aborted (its files removed), its rows out of the totals. */
static void drop_part(engine *e)
{
    if (e->pipe) (void)pipe_drain(e->pipe, NULL);
    iceberg_writer_abort(e->writer);
    e->writer = NULL;
    e->res->rows -= e->part_rows;
    e->part_rows = 0;
    e->begin_held = 0;
}

/* Copy one window part; it becomes the tail, committed here with one thread, or with the write
 * pipeline while the next part is parsed (settle_tail). *redo is set (status I2I_OK) when another
 * run committed part of this part or of the tail first: the caller recomputes what is left from
 * e->redo_cursor.
 *
 * [next_start, next_end) (empty = none) is the part expected after this one: with read-ahead its
 * request goes out as soon as this part's first byte has arrived, on the read-ahead this part does
 * not use, so the server plans and sorts it while this part is transferred, and its first bytes
 * are buffered while this part's last batch is written and its commit is made. */
static int replicate_part(engine *e, int64_t start, int64_t end, int last, int64_t next_start,
                          int64_t next_end, int *redo, i2i_error *err)
{
    iceberg_writer_options wo;
    source_query q;
    source_query_stats qs;
    source_prefetch *pf = NULL;
    int rows_at_hand = 0; /* this part's read-ahead has its answer */
    int rc;

    *redo = 0;
    if (e->ahead[0]) {
        /* Only the read-ahead started for this part may hold a request (the other was used or
         * dropped with the part before); the next part gets the one this part does not use. */
        int cur = e->ahead_next;
        if (cur != 0) source_prefetch_discard(e->ahead[0]);
        if (cur != 1) source_prefetch_discard(e->ahead[1]);
        pf = cur >= 0 ? e->ahead[cur] : NULL;
        /* a started read-ahead was started for [next_ns, next_ne) as known then */
        rows_at_hand = pf && e->next_ns == start && e->next_ne == end && source_prefetch_answered(pf);
        e->ahead_free = cur >= 0 ? 1 - cur : 0;
        e->ahead_next = -1;
        e->next_ns = next_start;
        e->next_ne = next_end;
    }
    e->part_rows = 0;
    e->tail_rc = e->tail_redo = 0;
    if (e->tail.active && !rows_at_hand) {
        /* This part's rows are not here yet (no read-ahead, another part was read ahead, or the
         * server is still planning it): commit the tail first rather than make it wait for them,
         * and stop here if that commit's events asked for it. */
        I2I_TRY(settle_tail(e, 1, redo, err));
        if (*redo) return I2I_OK;
        I2I_TRY(cancelled(e, err));
    }
    if (e->tail.active) {
        /* hooks see this part's events after the tail's commit */
        e->begin_held = 1;
        e->batches_held = 0;
        e->held_start = start;
        e->held_end = end;
    } else {
        e->prog.window_start = start;
        e->prog.window_end = end;
        I2I_TRY(emit(e, REPLICATE_EVENT_WINDOW_BEGIN, err));
    }

    memset(&wo, 0, sizeof wo);
    wo.run_id = e->res->run_id;
    wo.fault = engine_fault(e);
    rc = iceberg_writer_open(e->table, &wo, &e->writer, err);
    if (rc == I2I_OK && e->pipe) rc = pipe_start(e->pipe, err);
    if (rc < 0) {
        drop_part(e);
        wrap_part_error(e, rc, "writing", start, end, err);
        return rc;
    }

    memset(&q, 0, sizeof q);
    memset(&qs, 0, sizeof qs);
    q.table = e->job->measurement;
    q.batch = e->batch;
    q.start_ns = start;
    q.end_ns = end;
    q.max_batch_bytes = MAX_BATCH_BYTES;
    q.on_batch = on_batch;
    if (e->ahead[0]) q.on_first_byte = start_next;
    if (e->pipe) q.on_idle = on_idle;
    q.ctx = e;
    rc = source_query_range_ahead(e->src, pf, &q, &qs, err);
    e->res->nonfinite += (int64_t)qs.nonfinite;
    e->res->read_ahead_used += (int64_t)qs.read_ahead;
    e->res->read_ahead_dropped += (int64_t)qs.read_ahead_dropped;
    if (e->ahead[0]) {
        /* An empty body had no first byte: the next request goes out now. A failed query never
         * leaves a read-ahead behind (the run stops; what was sent ahead is stopped here). */
        if (rc == I2I_OK) start_next(e);
        else drop_ahead(e);
    }
    /* This part's query ended before its tail was committed (a short part, or the query
     * failed): commit the tail now, it comes first; then the events held for this part go out
     * (also when its query failed: they had happened). */
    if (!e->tail_rc && !e->tail_redo && e->tail.active) {
        i2i_error terr;
        int trc = settle_tail_while_parsing(e, 1, &terr);
        if (trc < 0 && !e->tail_rc && !e->tail_redo && rc == I2I_OK) {
            rc = trc; /* a hook refused one of the held events */
            if (err) *err = terr;
        }
    }
    if (e->tail_rc < 0 || e->tail_redo) {
        /* The tail failed or lost its race: this part goes too, the tail's outcome is reported. */
        drop_part(e);
        if (e->tail_redo) {
            *redo = 1;
            i2i_error_clear(err);
            return I2I_OK;
        }
        if (err) *err = e->tail_err;
        return e->tail_rc;
    }
    if (rc < 0) {
        drop_part(e);
        wrap_part_error(e, rc, "querying", start, end, err);
        return rc;
    }

    e->tail.active = 1;
    e->tail.start = start;
    e->tail.end = end;
    e->tail.rows = e->part_rows;
    e->tail.last = last;
    e->tail.writer = e->writer;
    e->writer = NULL;
    if (e->pipe) return pipe_put(e->pipe, NULL, e->tail.writer, err); /* never fails */
    return settle_tail(e, 1, redo, err);
}

/* Record the pending empty window parts (one properties-only commit). */
static int flush_empty(engine *e, i2i_error *err)
{
    range_update upd = {e->prop_key, 0, 0, &e->empty, 0};
    iceberg_commit_result cr;
    int rc;
    if (e->empty.n == 0 || !e->table) return I2I_OK;
    rc = iceberg_commit_properties(e->table, NULL, merge_range_property, &upd, NULL, &cr, err);
    if (rc < 0) return i2i_error_wrap(err, "recording %zu empty window range(s)", e->empty.n);
    e->res->commit_conflicts += cr.conflicts;
    e->empty.n = 0;
    return I2I_OK;
}

/* ------------------------------------------------------------------ the run */

static int decide_range(engine *e, int64_t *start, int64_t *end, i2i_error *err)
{
    const replicate_job *job = e->job;
    int64_t now = i2i_now_ns();
    replicate_ranges r = {0};
    int rc = I2I_OK;

    e->res->incremental = job->has_window && !job->has_start && !job->has_end;
    *end = job->has_end ? job->end_ns : now - job->lag_ns;
    if (e->res->incremental) {
        int64_t last;
        I2I_TRY(load_ranges(e, &r, err));
        last = replicate_ranges_last_end(&r);
        replicate_ranges_free(&r);
        *start = last != INT64_MIN ? last : now - job->window_ns;
    } else if (job->has_start) {
        *start = job->start_ns;
    } else {
        int64_t min_ns = 0, max_ns = 0;
        int empty = 0;
        rc = source_time_bounds(e->src, job->measurement, &min_ns, &max_ns, &empty, err);
        if (rc < 0) return i2i_error_wrap(err, "finding the oldest row of '%s'", job->measurement);
        if (empty) {
            *start = *end;
            return I2I_OK;
        }
        *start = min_ns;
        /* Without an explicit end, stop just after the newest row: the windows between it and
         * now would all be empty, and the next run continues from there anyway. */
        if (!job->has_end && max_ns < *end) *end = max_ns + 1;
        if (!job->has_end && max_ns >= *end) {
            I2I_INFO("rows newer than now - lag (%llds) are left for the next run",
                     (long long)(job->lag_ns / I2I_NS_PER_S));
        }
    }
    return rc;
}

/* End of the window starting at cursor: the next multiple of batch after cursor, at most end. */
static int64_t window_end(int64_t cursor, int64_t end, int64_t batch)
{
    int64_t step = batch - i2i_floor_mod(cursor, batch); /* 1..batch */
    /* end > cursor, so the unsigned difference is the exact distance, whatever the signs */
    return (uint64_t)end - (uint64_t)cursor <= (uint64_t)step ? end : cursor + step;
}

static void make_run_id(char *out, size_t outsz)
{
    uint8_t rnd[4] = {0};
    char hex[9], ts[40];
    int64_t now = i2i_now_ns();
    i2i_random_bytes(rnd, sizeof rnd, NULL);
    i2i_hex(rnd, sizeof rnd, hex);
    i2i_time_format_rfc3339(now, ts, sizeof ts);
    /* 2026-11-26T06:53:08.123456789Z -> 20261126T065308 */
    snprintf(out, outsz, "%.4s%.2s%.2sT%.2s%.2s%.2s-%s", ts, ts + 5, ts + 8, ts + 11, ts + 14, ts + 17, hex);
}

/* The part expected after part i of todo (the uncovered parts of the window [.., wend)): the
 * window's next part, else the first uncovered part of the next window as the ranges read before
 * this window say. Our own commit of this window does not change that; another run's commit can,
 * and then the read-ahead does not match and is discarded. Nothing past `end`. */
static int next_part(engine *e, const replicate_ranges *done, const replicate_ranges *todo, size_t i,
                     int64_t wend, int64_t end, int64_t *ns, int64_t *ne)
{
    *ns = *ne = 0;
    if (i + 1 < todo->n) {
        *ns = todo->items[i + 1].start;
        *ne = todo->items[i + 1].end;
        return I2I_OK;
    }
    if (wend >= end) return I2I_OK;
    I2I_TRY(replicate_ranges_uncovered(done, wend, window_end(wend, end, e->job->batch_ns), &e->next));
    if (e->next.n > 0) {
        *ns = e->next.items[0].start;
        *ne = e->next.items[0].end;
    }
    return I2I_OK;
}

static void engine_free(engine *e)
{
    /* First: the fetch threads may still be reading windows we will not do. */
    source_prefetch_close(e->ahead[0]);
    source_prefetch_close(e->ahead[1]);
    e->ahead[0] = e->ahead[1] = NULL;
    replicate_ranges_free(&e->next);
    replicate_ranges_free(&e->empty);
    if (e->pipe) (void)pipe_drain(e->pipe, NULL); /* before any writer is freed */
    iceberg_writer_abort(e->writer);
    columnar_batch_free(e->batch);
    pipe_free(e->pipe);
    iceberg_table_free(e->table);
    catalog_close(e->cat);
    free(e->cols);
    source_schema_free(e->schema);
    source_close(e->src);
}

int replicate_run(const replicate_job *job, const replicate_hooks *hooks, replicate_result *res,
                  i2i_error *err)
{
    engine e;
    source_config cfg;
    int64_t start = 0, end = 0, cursor;
    replicate_ranges done = {0}, todo = {0};
    int rc;

    memset(&e, 0, sizeof e);
    memset(res, 0, sizeof *res);
    e.job = job;
    e.hooks = hooks;
    e.res = res;
    e.t0 = i2i_monotonic_ns();
    replicate_source_id(job, res->source_id);
    replicate_ranges_property(res->source_id, e.prop_key, sizeof e.prop_key);
    make_run_id(res->run_id, sizeof res->run_id);
    /* A caller's own log sink is shared by the run's threads behind a lock (see shared_log). */
    i2i_log_get_thread_sink(&e.log.sink, &e.log.ctx);
    if (e.log.sink && (job->threads >= 2 || job->read_ahead_bytes > 0)) {
        if (pthread_mutex_init(&e.log.mu, NULL) != 0)
            return i2i_error_set(err, I2I_ERR_NOMEM, "creating the log lock of the run's threads");
        e.log.on = 1;
        i2i_log_set_thread_sink(shared_log_line, &e.log);
    }

    if (hooks && hooks->fault) {
        if (pthread_mutex_init(&e.fault_mu, NULL) != 0) {
            rc = i2i_error_set(err, I2I_ERR_NOMEM, "creating the fault hook's lock");
            goto out;
        }
        e.fault.fn = locked_fault;
        e.fault.ctx = &e;
        e.fault_on = 1;
    }

    source_config_defaults(&cfg);
    cfg.url = job->host;
    cfg.database = job->database;
    cfg.token = job->token;
    cfg.insecure = job->tls_insecure;
    cfg.cancel = hooks ? hooks->cancel : NULL;
    I2I_TRY_GOTO(source_open(&cfg, &e.src, err), rc, out);
    e.ahead_next = -1;
    if (job->read_ahead_bytes > 0) {
        /* Two read-aheads, half of read_ahead_bytes each (rounded up): the next window buffers
         * in one while the current one is read live through the other, so the bound stays the
         * option's value whatever the overlap. */
        size_t half = job->read_ahead_bytes / 2 + job->read_ahead_bytes % 2;
        int k;
        for (k = 0; k < 2; k++)
            I2I_TRY_GOTO(source_prefetch_open(&cfg, half, e.log.on ? shared_log_line : NULL, &e.log,
                                              &e.ahead[k], err),
                         rc, out);
    }
    rc = source_discover_schema(e.src, job->measurement, &e.schema, err);
    if (rc < 0) {
        i2i_error_wrap(err, "InfluxDB %s, database '%s'", source_url(e.src), job->database);
        goto out;
    }
    I2I_TRY_GOTO(select_columns(&e, err), rc, out);
    I2I_TRY_GOTO(open_table(&e, err), rc, out);
    I2I_TRY_GOTO(reconcile_schema(&e, err), rc, out);
    I2I_TRY_GOTO(source_batch_new(e.schema, e.cols, e.ncols,
                                  hooks && hooks->rows_per_batch ? hooks->rows_per_batch
                                                                 : DEFAULT_ROWS_PER_BATCH,
                                  &e.batch, err),
                 rc, out);
    if (job->threads >= 2)
        I2I_TRY_GOTO(pipe_new(e.batch, e.schema, e.cols, e.ncols, &e.pipe, err), rc, out);
    if (e.pipe && e.log.on) e.pipe->log = &e.log;
    I2I_TRY_GOTO(decide_range(&e, &start, &end, err), rc, out);
    res->range_start = start;
    res->range_end = end;
    e.prog.range_start = start;
    e.prog.range_end = end;
    if (start >= end) {
        res->nothing_to_do = 1;
        I2I_TRY_GOTO(emit(&e, REPLICATE_EVENT_DONE, err), rc, out);
        goto out;
    }
    /* Windows are aligned to multiples of batch_size since the epoch (the first one may be
     * shorter), so a 1d window is one day partition, not two halves of two. */
    res->windows_total = i2i_floor_div(end - 1, job->batch_ns) - i2i_floor_div(start, job->batch_ns) + 1;
    e.prog.windows_total = res->windows_total;
    I2I_TRY_GOTO(emit(&e, REPLICATE_EVENT_START, err), rc, out);

    for (cursor = start; cursor < end || e.tail.active;) {
        int64_t wend;
        size_t i;
        int redo = 0;
        if (cursor >= end) {
            /* the last part's commit (with the write pipeline it is still the tail here) */
            I2I_TRY_GOTO(settle_tail(&e, 1, &redo, err), rc, out);
            if (redo) {
                drop_ahead(&e);
                cursor = e.redo_cursor;
            }
            continue;
        }
        wend = window_end(cursor, end, job->batch_ns);
        I2I_TRY_GOTO(cancelled(&e, err), rc, out);
        /* The table may have moved on (another writer, our own commits): read its ranges fresh.
         * The tail (the part before, not committed yet) is outside this window: the ranges it
         * adds do not change what is left of it. */
        I2I_TRY_GOTO(load_ranges(&e, &done, err), rc, out);
        I2I_TRY_GOTO(replicate_ranges_uncovered(&done, cursor, wend, &todo), rc, out);
        if (todo.n == 0) {
            /* the tail is committed before this window is reported */
            I2I_TRY_GOTO(settle_tail(&e, 1, &redo, err), rc, out);
            if (redo) {
                drop_ahead(&e);
                cursor = e.redo_cursor;
                continue;
            }
            res->windows_skipped++;
            e.prog.windows_skipped++;
            e.prog.window_start = cursor;
            e.prog.window_end = wend;
            I2I_TRY_GOTO(emit(&e, REPLICATE_EVENT_SKIPPED, err), rc, out);
            e.prog.windows_done++;
            cursor = wend;
            continue;
        }
        for (i = 0; i < todo.n && !redo; i++) {
            int64_t ns = 0, ne = 0;
            if (e.ahead[0]) I2I_TRY_GOTO(next_part(&e, &done, &todo, i, wend, end, &ns, &ne), rc, nomem);
            I2I_TRY_GOTO(replicate_part(&e, todo.items[i].start, todo.items[i].end, i + 1 == todo.n,
                                        ns, ne, &redo, err),
                         rc, out);
        }
        if (redo) {
            /* Another run committed part of this window, or of the tail's: see what is left from
             * there. What was read ahead was chosen before that commit was known. */
            drop_ahead(&e);
            if (e.redo_cursor < cursor) cursor = e.redo_cursor;
            continue;
        }
        cursor = wend;
    }
    I2I_TRY_GOTO(flush_empty(&e, err), rc, out);
    if (res->windows_committed == 0 && res->windows_skipped == res->windows_total) res->nothing_to_do = 1;
    rc = emit(&e, REPLICATE_EVENT_DONE, err);
    goto out;
nomem:
    i2i_error_nomem(err, "computing the next window");
out:
    if (rc < 0 && e.tail.active) {
        /* The part before the failure was written whole: commit it, as it would have been
         * before the failure with one thread. */
        i2i_error terr;
        int tredo;
        if (settle_tail(&e, 1, &tredo, &terr) < 0) I2I_WARN("%s", terr.msg);
    }
    if (rc < 0 && e.empty.n > 0) {
        /* The empty windows before the failure were genuinely empty: keep that knowledge. */
        i2i_error ignored;
        if (flush_empty(&e, &ignored) < 0) I2I_WARN("%s", ignored.msg);
    }
    res->elapsed_ns = i2i_monotonic_ns() - e.t0;
    I2I_DEBUG("parts read ahead %lld (dropped %lld), committed while the next was parsed %lld",
              (long long)res->read_ahead_used, (long long)res->read_ahead_dropped,
              (long long)res->commits_overlapped);
    replicate_ranges_free(&done);
    replicate_ranges_free(&todo);
    engine_free(&e); /* joins every thread of the run */
    if (e.fault_on) pthread_mutex_destroy(&e.fault_mu);
    if (e.log.on) {
        i2i_log_set_thread_sink(e.log.sink, e.log.ctx);
        pthread_mutex_destroy(&e.log.mu);
    }
    return rc;
}

json_t *replicate_result_json(const replicate_job *job, const replicate_result *res)
{
    char a[40], b[40];
    json_t *o = json_object();
    if (!o) return NULL;
    i2i_time_format_rfc3339(res->range_start, a, sizeof a);
    i2i_time_format_rfc3339(res->range_end, b, sizeof b);
    json_object_set_new(o, "source_measurement", json_string(job->measurement));
    json_object_set_new(o, "target_table", json_sprintf("%s.%s", job->namespace_, job->table_name));
    json_object_set_new(o, "mode", json_string(res->incremental ? "incremental" : "backfill"));
    if (!res->nothing_to_do || res->range_start < res->range_end)
        json_object_set_new(o, "time_range", json_sprintf("%s to %s", a, b));
    json_object_set_new(o, "source_id", json_string(res->source_id));
    json_object_set_new(o, "run_id", json_string(res->run_id));
    json_object_set_new(o, "total_batches", json_integer(res->windows_total));
    json_object_set_new(o, "committed_batches", json_integer(res->windows_committed));
    json_object_set_new(o, "skipped_batches", json_integer(res->windows_skipped));
    json_object_set_new(o, "empty_batches", json_integer(res->windows_empty));
    json_object_set_new(o, "total_written_records", json_integer(res->rows));
    json_object_set_new(o, "data_files", json_integer(res->files));
    json_object_set_new(o, "bytes_written", json_integer(res->bytes));
    json_object_set_new(o, "snapshots", json_integer(res->snapshots));
    json_object_set_new(o, "timestamps_truncated_to_us", json_integer(res->timestamps_truncated));
    json_object_set_new(o, "nonfinite_values", json_integer(res->nonfinite));
    json_object_set_new(o, "columns_added", json_integer(res->columns_added));
    json_object_set_new(o, "table_created", json_boolean(res->table_created));
    json_object_set_new(o, "execution_time_seconds", json_real((double)res->elapsed_ns / 1e9));
    return o;
}
