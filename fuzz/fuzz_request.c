/* What an HTTP request body or a trigger's arguments become: JSON text -> the plugin contract's
 * job parser, catalog_configs included (object, JSON text or base64). Any input is a job or an
 * error message; never a crash or a leak. No network: nothing here connects. */
#include <jansson.h>
#include <stdlib.h>

#include "replicate/job.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_t *args = json_loadb((const char *)data, size, 0, NULL);
    replicate_job job;
    json_t *cfg = NULL;
    i2i_error err;
    if (!args) {
        /* Also as a bare catalog_configs string (what trigger arguments carry). */
        char *s = malloc(size + 1);
        if (!s) return 0;
        memcpy(s, data, size);
        s[size] = '\0';
        if (s[0] != '@' && replicate_parse_catalog_configs(s, &cfg, &err) == I2I_OK) json_decref(cfg);
        free(s);
        return 0;
    }
    if (json_is_object(args)) {
        /* '@file' reads a file: a CLI convenience the service and plugin refuse before parsing. */
        const char *cc = json_string_value(json_object_get(args, "catalog_configs"));
        if (!(cc && cc[0] == '@') && replicate_job_from_json(args, NULL, &job, &err) == I2I_OK)
            replicate_job_free(&job);
    }
    json_decref(args);
    return 0;
}
