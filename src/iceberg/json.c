/* Small jansson helpers shared by the iceberg layer's files. */
#include "internal.h"

#include <stdlib.h>

int ice_json_int(const json_t *obj, const char *key, int64_t dflt, int64_t *out, const char *ctx,
                 i2i_error *err)
{
    const json_t *v = json_is_object(obj) ? json_object_get(obj, key) : NULL;
    if (!v || json_is_null(v)) {
        *out = dflt;
        return I2I_OK;
    }
    if (!json_is_integer(v))
        return i2i_error_set(err, I2I_ERR_FORMAT, "%s: '%s' is not an integer", ctx, key);
    *out = (int64_t)json_integer_value(v);
    return I2I_OK;
}

int ice_json_req_int(const json_t *obj, const char *key, int64_t *out, const char *ctx,
                     i2i_error *err)
{
    const json_t *v = json_is_object(obj) ? json_object_get(obj, key) : NULL;
    if (!v) return i2i_error_set(err, I2I_ERR_FORMAT, "%s: required '%s' is missing", ctx, key);
    if (!json_is_integer(v))
        return i2i_error_set(err, I2I_ERR_FORMAT, "%s: '%s' is not an integer", ctx, key);
    *out = (int64_t)json_integer_value(v);
    return I2I_OK;
}

const char *ice_json_str(const json_t *obj, const char *key)
{
    const json_t *v = json_is_object(obj) ? json_object_get(obj, key) : NULL;
    return json_is_string(v) ? json_string_value(v) : NULL;
}

int ice_json_set(json_t *obj, const char *key, json_t *value, i2i_error *err)
{
    if (!value || json_object_set_new(obj, key, value) != 0)
        return i2i_error_nomem(err, "metadata JSON");
    return I2I_OK;
}

char *ice_json_dump(const json_t *v)
{
    return json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
}
