/* One parser for the plugin's arguments, shared by the CLI, the service and the plugin. */
#include "job.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static const char *env_or(replicate_env_lookup env, const char *name)
{
    const char *v = env ? env(name) : getenv(name);
    return v && *v ? v : NULL;
}

void replicate_free_field_list(char **list)
{
    size_t i;
    if (!list) return;
    for (i = 0; list[i]; i++) free(list[i]);
    free(list);
}

static int list_push(char ***list, size_t *n, const char *s, size_t len)
{
    char **p = realloc(*list, (*n + 2) * sizeof *p);
    if (!p) return I2I_ERR_NOMEM;
    *list = p;
    p[*n] = i2i_strndup(s, len);
    if (!p[*n]) return I2I_ERR_NOMEM;
    p[++*n] = NULL;
    return I2I_OK;
}

int replicate_parse_field_list(const json_t *v, const char *key, char ***out, i2i_error *err)
{
    char **list = NULL;
    size_t n = 0;
    *out = NULL;
    if (!v || json_is_null(v)) return I2I_OK;
    if (json_is_string(v)) {
        const char *s = json_string_value(v), *dot;
        while (*s) {
            dot = strchr(s, '.');
            size_t len = dot ? (size_t)(dot - s) : strlen(s);
            if (len == 0) {
                replicate_free_field_list(list);
                return i2i_error_set(err, I2I_ERR_INVALID, "%s: empty field name in '%s'", key,
                                     json_string_value(v));
            }
            if (list_push(&list, &n, s, len) != I2I_OK) goto nomem;
            s += len + (dot ? 1 : 0);
        }
    } else if (json_is_array(v)) {
        size_t i;
        json_t *item;
        json_array_foreach(v, i, item)
        {
            if (!json_is_string(item) || !*json_string_value(item)) {
                replicate_free_field_list(list);
                return i2i_error_set(err, I2I_ERR_INVALID,
                                     "%s: item %zu is not a non-empty string", key, i);
            }
            if (list_push(&list, &n, json_string_value(item), json_string_length(item)) != I2I_OK)
                goto nomem;
        }
    } else {
        return i2i_error_set(err, I2I_ERR_INVALID,
                             "%s must be a list of names or a dot-separated string", key);
    }
    *out = list;
    return I2I_OK;
nomem:
    replicate_free_field_list(list);
    return i2i_error_nomem(err, "parsing a field list");
}

int replicate_parse_catalog_configs(const char *text, json_t **out, i2i_error *err)
{
    json_error_t jerr;
    json_t *v = NULL;
    const char *p = text;
    i2i_buf decoded = I2I_BUF_INIT;

    *out = NULL;
    while (*p == ' ' || *p == '\n' || *p == '\t') p++;
    if (*p == '@') {
        FILE *f = fopen(p + 1, "rb");
        if (!f) return i2i_error_set(err, I2I_ERR_IO, "catalog_configs: cannot open '%s'", p + 1);
        v = json_loadf(f, 0, &jerr);
        fclose(f);
        if (!v)
            return i2i_error_set(err, I2I_ERR_INVALID, "catalog_configs: '%s' line %d: %s", p + 1,
                                 jerr.line, jerr.text);
    } else if (*p == '{') {
        v = json_loads(p, 0, &jerr);
        if (!v)
            return i2i_error_set(err, I2I_ERR_INVALID,
                                 "catalog_configs is not valid JSON (column %d: %s)", jerr.column,
                                 jerr.text);
    } else {
        if (i2i_base64_decode(p, strlen(p), &decoded, err) != I2I_OK || !i2i_buf_cstr(&decoded)) {
            i2i_buf_free(&decoded);
            return i2i_error_set(err, I2I_ERR_INVALID,
                                 "catalog_configs must be a JSON object, base64-encoded JSON, or "
                                 "@file; this value is neither");
        }
        v = json_loadb((const char *)decoded.data, decoded.len, 0, &jerr);
        i2i_buf_free(&decoded);
        if (!v)
            return i2i_error_set(err, I2I_ERR_INVALID,
                                 "catalog_configs: base64 decoded but is not valid JSON (%s)",
                                 jerr.text);
    }
    if (!json_is_object(v)) {
        json_decref(v);
        return i2i_error_set(err, I2I_ERR_INVALID, "catalog_configs must be a JSON object");
    }
    *out = v;
    return I2I_OK;
}

/* Read an optional string key; NULL when absent. Non-strings are an error. */
static int get_str(const json_t *args, const char *key, const char **out, i2i_error *err)
{
    const json_t *v = json_object_get(args, key);
    *out = NULL;
    if (!v || json_is_null(v)) return I2I_OK;
    if (!json_is_string(v)) return i2i_error_set(err, I2I_ERR_INVALID, "%s must be a string", key);
    *out = json_string_value(v);
    return I2I_OK;
}

static int dup_into(char **dst, const char *src, i2i_error *err)
{
    *dst = i2i_strdup(src);
    return *dst ? I2I_OK : i2i_error_nomem(err, "building the job");
}

static int get_bool(const json_t *args, const char *key, int *out, i2i_error *err)
{
    const json_t *v = json_object_get(args, key);
    if (!v || json_is_null(v)) return I2I_OK;
    if (json_is_boolean(v)) {
        *out = json_is_true(v);
        return I2I_OK;
    }
    if (json_is_string(v)) {
        const char *s = json_string_value(v);
        if (!strcmp(s, "true") || !strcmp(s, "True") || !strcmp(s, "1") || !strcmp(s, "yes")) {
            *out = 1;
            return I2I_OK;
        }
        if (!strcmp(s, "false") || !strcmp(s, "False") || !strcmp(s, "0") || !strcmp(s, "no")) {
            *out = 0;
            return I2I_OK;
        }
    }
    return i2i_error_set(err, I2I_ERR_INVALID, "%s must be true or false", key);
}

static int get_time(const json_t *args, const char *key, int *has, int64_t *ns, i2i_error *err)
{
    const char *s;
    I2I_TRY(get_str(args, key, &s, err));
    if (!s) return I2I_OK;
    if (i2i_time_parse(s, strlen(s), 1, ns, err) != I2I_OK) return i2i_error_wrap(err, "%s", key);
    *has = 1;
    return I2I_OK;
}

static int get_duration(const json_t *args, const char *key, int *has, int64_t *ns, i2i_error *err)
{
    const char *s;
    I2I_TRY(get_str(args, key, &s, err));
    if (!s) return I2I_OK;
    if (i2i_duration_parse(s, ns, err) != I2I_OK) return i2i_error_wrap(err, "%s", key);
    if (has) *has = 1;
    return I2I_OK;
}

int replicate_job_from_json(const json_t *args, replicate_env_lookup env, replicate_job *job,
                            i2i_error *err)
{
    const char *s;
    const json_t *v;
    int rc, dummy = 0;

    memset(job, 0, sizeof *job);
    job->batch_ns = 86400 * I2I_NS_PER_S;
    job->lag_ns = 60 * I2I_NS_PER_S;
    job->format_version = 2;
    if (!json_is_object(args)) return i2i_error_set(err, I2I_ERR_INVALID, "arguments must be a JSON object");

    I2I_TRY_GOTO(get_str(args, "measurement", &s, err), rc, fail);
    if (!s || !*s) {
        rc = i2i_error_set(err, I2I_ERR_INVALID, "measurement is required");
        goto fail;
    }
    I2I_TRY_GOTO(dup_into(&job->measurement, s, err), rc, fail);

    I2I_TRY_GOTO(get_str(args, "table_name", &s, err), rc, fail);
    I2I_TRY_GOTO(dup_into(&job->table_name, s && *s ? s : job->measurement, err), rc, fail);
    I2I_TRY_GOTO(get_str(args, "namespace", &s, err), rc, fail);
    I2I_TRY_GOTO(dup_into(&job->namespace_, s && *s ? s : "default", err), rc, fail);

    I2I_TRY_GOTO(get_str(args, "host", &s, err), rc, fail);
    if (!s) s = env_or(env, "INFLUXDB3_HOST_URL");
    if (!s) s = "http://127.0.0.1:8181";
    I2I_TRY_GOTO(dup_into(&job->host, s, err), rc, fail);
    I2I_TRY_GOTO(get_str(args, "database", &s, err), rc, fail);
    if (!s) s = env_or(env, "INFLUXDB3_DATABASE_NAME");
    if (!s) {
        rc = i2i_error_set(err, I2I_ERR_INVALID,
                           "database is required: pass --database or set INFLUXDB3_DATABASE_NAME");
        goto fail;
    }
    I2I_TRY_GOTO(dup_into(&job->database, s, err), rc, fail);
    I2I_TRY_GOTO(get_str(args, "token", &s, err), rc, fail);
    if (!s) s = env_or(env, "INFLUXDB3_AUTH_TOKEN");
    if (s) {
        I2I_TRY_GOTO(dup_into(&job->token, s, err), rc, fail);
        i2i_log_add_secret(job->token);
    }
    I2I_TRY_GOTO(get_bool(args, "tls_insecure", &job->tls_insecure, err), rc, fail);

    v = json_object_get(args, "catalog_configs");
    if (v && json_is_object(v)) {
        job->catalog_configs = json_deep_copy(v);
        if (!job->catalog_configs) {
            rc = i2i_error_nomem(err, "copying catalog_configs");
            goto fail;
        }
    } else if (v && json_is_string(v) && *json_string_value(v)) {
        I2I_TRY_GOTO(replicate_parse_catalog_configs(json_string_value(v), &job->catalog_configs, err),
                     rc, fail);
    } else if (v && !json_is_null(v) && !json_is_string(v)) {
        rc = i2i_error_set(err, I2I_ERR_INVALID, "catalog_configs must be an object or a string");
        goto fail;
    }

    I2I_TRY_GOTO(replicate_parse_field_list(json_object_get(args, "included_fields"), "included_fields",
                                            &job->included, err),
                 rc, fail);
    I2I_TRY_GOTO(replicate_parse_field_list(json_object_get(args, "excluded_fields"), "excluded_fields",
                                            &job->excluded, err),
                 rc, fail);

    I2I_TRY_GOTO(get_duration(args, "batch_size", NULL, &job->batch_ns, err), rc, fail);
    I2I_TRY_GOTO(get_duration(args, "window", &job->has_window, &job->window_ns, err), rc, fail);
    I2I_TRY_GOTO(get_duration(args, "lag", &dummy, &job->lag_ns, err), rc, fail);
    I2I_TRY_GOTO(get_time(args, "backfill_start", &job->has_start, &job->start_ns, err), rc, fail);
    I2I_TRY_GOTO(get_time(args, "backfill_end", &job->has_end, &job->end_ns, err), rc, fail);
    if (job->has_start && job->has_end && job->start_ns >= job->end_ns) {
        rc = i2i_error_set(err, I2I_ERR_INVALID, "backfill_start must be before backfill_end");
        goto fail;
    }
    I2I_TRY_GOTO(get_bool(args, "auto_update_schema", &job->auto_update_schema, err), rc, fail);

    v = json_object_get(args, "format_version");
    if (v && !json_is_null(v)) {
        long long fv = json_is_integer(v) ? json_integer_value(v)
                       : json_is_string(v) ? atoll(json_string_value(v)) : 0;
        if (fv != 2 && fv != 3) {
            rc = i2i_error_set(err, I2I_ERR_INVALID, "format_version must be 2 or 3");
            goto fail;
        }
        job->format_version = (int)fv;
    }
    I2I_TRY_GOTO(get_str(args, "partition_by", &s, err), rc, fail);
    if (!s) s = "day";
    if (strcmp(s, "day") && strcmp(s, "hour") && strcmp(s, "month") && strcmp(s, "year") &&
        strcmp(s, "none")) {
        rc = i2i_error_set(err, I2I_ERR_INVALID,
                           "partition_by '%s' is not one of day, hour, month, year, none", s);
        goto fail;
    }
    I2I_TRY_GOTO(dup_into(&job->partition_by, s, err), rc, fail);
    v = json_object_get(args, "threads");
    if (v && !json_is_null(v)) {
        char *end = NULL;
        long long n = json_is_integer(v) ? json_integer_value(v)
                      : json_is_string(v) ? strtoll(json_string_value(v), &end, 10) : 0;
        if ((end && (*end || end == json_string_value(v))) || n < 1 || n > 64) {
            rc = i2i_error_set(err, I2I_ERR_INVALID, "threads must be a whole number from 1 to 64");
            goto fail;
        }
        job->threads = (int)n;
    } else {
        job->threads = replicate_default_threads();
    }
    v = json_object_get(args, "read_ahead_bytes");
    if (v && !json_is_null(v)) {
        char *end = NULL;
        long long n = json_is_integer(v) ? json_integer_value(v)
                      : json_is_string(v) ? strtoll(json_string_value(v), &end, 10) : -1;
        if ((end && (*end || end == json_string_value(v))) || n < 0 || n > REPLICATE_READ_AHEAD_MAX) {
            rc = i2i_error_set(err, I2I_ERR_INVALID,
                               "read_ahead_bytes must be a whole number of bytes from 0 (off) to %lld",
                               (long long)REPLICATE_READ_AHEAD_MAX);
            goto fail;
        }
        job->read_ahead_bytes = (size_t)n;
    } else {
        job->read_ahead_bytes = replicate_default_read_ahead(job->threads);
    }
    I2I_TRY_GOTO(get_str(args, "base_dir", &s, err), rc, fail);
    if (s) I2I_TRY_GOTO(dup_into(&job->base_dir, s, err), rc, fail);
    I2I_TRY_GOTO(get_str(args, "warehouse_dir", &s, err), rc, fail);
    I2I_TRY_GOTO(dup_into(&job->default_warehouse, s ? s : "warehouse", err), rc, fail);
    return I2I_OK;
fail:
    replicate_job_free(job);
    return rc;
}

/* With one thread the caller asked for everything on its own thread, so no fetch thread either.
 * What hides the server's planning is the next request being in flight during the current window,
 * not the ring's size: 2 MiB per ring is ~8k rows ready when the next window starts, the rest
 * streams live. 4 MiB and 8 MiB ran on par (bench, 5M rows, threads=2, with and without a 300 ms
 * planning delay) and 4 MiB is 4 MB less peak RSS. */
size_t replicate_default_read_ahead(int threads)
{
    return threads >= 2 ? (size_t)4 << 20 : 0;
}

int replicate_default_threads(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : n > 64 ? 64 : (int)n;
}

void replicate_job_free(replicate_job *job)
{
    if (!job) return;
    free(job->host);
    free(job->database);
    free(job->token);
    free(job->measurement);
    replicate_free_field_list(job->included);
    replicate_free_field_list(job->excluded);
    json_decref(job->catalog_configs);
    free(job->base_dir);
    free(job->default_warehouse);
    free(job->namespace_);
    free(job->table_name);
    free(job->partition_by);
    memset(job, 0, sizeof *job);
}
