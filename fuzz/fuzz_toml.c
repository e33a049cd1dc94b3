/* The TOML reader (service configs, the plugin's config files): any input parses or fails with a
 * message giving line and column; never a crash, a leak or an out-of-bounds read. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>

#include "util/toml.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_t *doc = NULL;
    i2i_error err;
    if (toml_parse((const char *)data, size, &doc, &err) == I2I_OK) {
        char *s = json_dumps(doc, JSON_COMPACT);
        free(s);
        json_decref(doc);
    } else if (!strstr(err.msg, "line ")) {
        fprintf(stderr, "TOML error without a position: %s\n", err.msg);
        abort();
    }
    return 0;
}
