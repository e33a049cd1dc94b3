/* Private to the data writer's files (data_writer.c, data_view.c, data_files.c). */
#ifndef I2I_ICEBERG_DATA_WRITER_H
#define I2I_ICEBERG_DATA_WRITER_H

#include "internal.h"

#define DW_CHUNK_ROWS 16384

enum { CONV_NONE = 0, CONV_NS_TO_US, CONV_US_TO_NS };

typedef struct dw_col {
    char *name;         /* the Iceberg field name, matched against batch columns */
    char *parquet_name; /* what the file calls it: iceberg_parquet_column_name(name) */
    int32_t id;
    iceberg_type type;
    int required;
    columnar_type ctype; /* columnar type fed to parquet (for NULL columns) */
    parquet_column_spec pspec;
    ice_metrics_mode mode;
    /* per batch */
    int src;  /* index in the batch or -1 */
    int conv;
    int64_t *scratch;
    size_t scratch_cap;
} dw_col;

typedef struct dw_part {
    iceberg_partition_field pf; /* name owned */
    iceberg_type src_type, result;
    int col;   /* index into cols, -1 when the source is not written (value NULL) */
    int nanos; /* source in ns */
} dw_part;

typedef struct dw_file {
    iceberg_partition_value *key; /* owned copy */
    uint64_t hash;
    parquet_writer *pw;
    storage_writer *sw;
    char *path;
    uint64_t last_used;
    struct iceberg_writer *w;
} dw_file;

typedef struct dw_group {
    size_t key_off;   /* index of the key in the batch key arena (nparts values each) */
    uint64_t hash;
    size_t first_run, last_run, nruns, rows;
} dw_group;

struct iceberg_writer {
    /* Nothing of the table is read after open: the engine may commit (and reload) the table on
     * another thread while this writer writes. */
    char *table_label; /* "ns.name", for messages */
    char **unwritable; /* table fields this writer cannot produce (omitted, read as NULL) */
    size_t nunwritable;
    storage *st; /* stays open until the table is freed, also across reloads */
    dw_col *cols;
    size_t ncols;
    dw_part *parts;
    size_t nparts;
    int32_t spec_id;
    parquet_writer_options popts;
    parquet_kv kv;
    char *schema_json;
    char *run_id;
    const i2i_fault *fault; /* test hook (borrowed from the options), may be NULL */
    char *data_dir;
    int64_t target;
    size_t max_open;
    dw_file **open;
    size_t nopen;
    iceberg_data_file *done;
    size_t ndone, cap_done;
    uint64_t tick;
    unsigned file_seq;
    int64_t rows, bytes, truncated;
    /* per-batch scratch, reused */
    columnar_column *view_cols;
    columnar_batch view;
    uint8_t *zeros;
    size_t zeros_cap;
    size_t *run_start; /* run i covers [run_start[i], run_start[i+1]) */
    size_t *run_next;  /* next run of the same group, or SIZE_MAX */
    size_t *run_group;
    size_t runs_cap;
    iceberg_partition_value *keys; /* one key (nparts values) per group, strings borrowed */
    size_t keys_cap;
    dw_group *groups;
    size_t ngroups, groups_cap;
    size_t *htab;
    size_t htab_cap;
    uint32_t *rowlist;
    size_t rowlist_cap;
};

/* data_view.c: partition keys, the per-batch view, partition values */
int dw_grow(void **p, size_t *cap, size_t need, size_t elem);
void dw_key_free(iceberg_partition_value *k, size_t n);
iceberg_partition_value *dw_key_copy(const iceberg_partition_value *k, size_t n);
int dw_key_eq(const iceberg_partition_value *a, const iceberg_partition_value *b, size_t n);
uint64_t dw_key_hash(const iceberg_partition_value *k, size_t n);
/* Build w->view over the batch (shared vectors, converted timestamps, NULL columns). */
int dw_build_view(iceberg_writer *w, const columnar_batch *b, i2i_error *err);
void dw_part_value(const dw_part *p, const columnar_batch *view, size_t row,
                   iceberg_partition_value *out);
/* Row `row`'s partition value is a time transform of a timestamp: the range of source values that
 * share it (iceberg_transform_range). 0 otherwise (other transforms, NULL, overflow). */
int dw_part_range(const dw_part *p, const columnar_batch *view, size_t row, int64_t *lo, int64_t *hi);

/* data_files.c: open files, rolling, LRU, descriptors */
int dw_get_file(iceberg_writer *w, const iceberg_partition_value *key, uint64_t hash, dw_file **out,
                i2i_error *err);
size_t dw_chunk_rows(const iceberg_writer *w, dw_file *f, size_t avail);
int dw_maybe_roll(iceberg_writer *w, dw_file *f, i2i_error *err);
void dw_remove_open(iceberg_writer *w, size_t idx);
int dw_file_close(iceberg_writer *w, dw_file *f, i2i_error *err);
void dw_file_abort(iceberg_writer *w, dw_file *f);

#endif
