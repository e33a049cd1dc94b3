/* Table metadata JSON as a catalog hands it over (written by us, PyIceberg, Java, or anyone):
 * parsed into the pieces we use, or refused with a message; never a crash or a leak. */
#include <jansson.h>

#include "iceberg/internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_t *md = json_loadb((const char *)data, size, 0, NULL);
    ice_meta m;
    i2i_error err;
    if (!md) return 0;
    memset(&m, 0, sizeof m);
    if (ice_meta_parse(md, &m, &err) == I2I_OK) ice_meta_clear(&m);
    json_decref(md);
    return 0;
}
