/* Avro container files (manifests and manifest lists written by any Iceberg writer): every record
 * decodes or the reader stops with a message; never a crash, a leak or an over-read. */
#include <jansson.h>

#include "avro/avro.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    avro_reader *r = NULL;
    json_t *rec;
    i2i_error err;
    int n = 0;
    if (avro_reader_open(data, size, "fuzz.avro", &r, &err) != I2I_OK) return 0;
    while (n++ < 100000 && avro_reader_next(r, &rec, &err) == 1) json_decref(rec);
    avro_reader_free(r);
    return 0;
}
