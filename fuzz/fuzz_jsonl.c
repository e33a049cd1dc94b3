/* The JSONL stream parser (InfluxDB query answers): input split at a fuzzer-chosen point, as a
 * socket would deliver it, into a batch of every column type. Rows parse or the parser says which
 * line is wrong; never a crash, a leak or a write past the batch. */
#include <stdlib.h>

#include "source/jsonl.h"

static int on_batch(void *ctx, columnar_batch *b, i2i_error *err)
{
    (void)ctx;
    (void)err;
    return columnar_batch_seal(b, NULL) == I2I_OK ? I2I_OK : I2I_ERR_INTERNAL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const columnar_field fields[] = {
        {"time", COLUMNAR_TIMESTAMP, COLUMNAR_NANOS}, {"host", COLUMNAR_STRING, COLUMNAR_NANOS},
        {"usage", COLUMNAR_DOUBLE, COLUMNAR_NANOS},   {"n", COLUMNAR_INT64, COLUMNAR_NANOS},
        {"u", COLUMNAR_UINT64, COLUMNAR_NANOS},       {"ok", COLUMNAR_BOOL, COLUMNAR_NANOS}};
    columnar_batch *b = NULL;
    jsonl_parser *p = NULL;
    jsonl_config cfg;
    i2i_error err;
    size_t cut;
    if (size < 2) return 0;
    cut = data[0] % size; /* where the first network read ends */
    data++;
    size--;
    if (cut > size) cut = size;
    if (columnar_batch_new(fields, sizeof fields / sizeof fields[0], 4, &b, &err) != I2I_OK) return 0;
    memset(&cfg, 0, sizeof cfg);
    cfg.batch = b;
    cfg.max_batch_bytes = 256;
    cfg.ignore_unknown_keys = size & 1;
    cfg.time_col = 0;
    cfg.on_batch = on_batch;
    if (jsonl_parser_new(&cfg, &p, &err) == I2I_OK) {
        if (jsonl_parser_feed(p, data, cut, &err) == I2I_OK &&
            jsonl_parser_feed(p, data + cut, size - cut, &err) == I2I_OK &&
            jsonl_parser_finish(p, &err) == I2I_OK)
            jsonl_parser_flush(p, &err);
        jsonl_parser_free(p);
    }
    columnar_batch_free(b);
    return 0;
}
