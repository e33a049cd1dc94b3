/* The service's TOML configuration: [server], [influxdb] and one [jobs.<name>] table per job.
 * Everything is checked at load, so a typo stops the start (or a reload) instead of a job. */
#include "service.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>

#include "../replicate/job.h"
#include "../util/toml.h"
#include "trigger.h"

#define DEFAULT_PORT 8182
#define DEFAULT_MAX_BODY (1024 * 1024)

static const char *env_get(service_env_lookup env, const char *name)
{
    const char *v = env ? env(name) : getenv(name);
    return v && *v ? v : NULL;
}

/* Keys a job may carry: the plugin's, ours (src/replicate/job.h) and the service's own. */
static const char *const job_keys[] = {
    "measurement", "window", "included_fields", "excluded_fields", "namespace", "table_name",
    "auto_update_schema", "catalog_configs", "batch_size", "lag", "format_version", "partition_by", "threads",
    "read_ahead_bytes",
    "host", "database", "token", "tls_insecure", "base_dir", "warehouse_dir",
    "trigger", "config_file_path", "trigger_arguments", NULL};

static int known(const char *const *keys, const char *k)
{
    for (; *keys; keys++)
        if (!strcmp(*keys, k)) return 1;
    return 0;
}

static int check_keys(const json_t *obj, const char *const *keys, const char *where, i2i_error *err)
{
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)obj, k, v)
    {
        if (!known(keys, k))
            return i2i_error_set(err, I2I_ERR_INVALID, "%s: unknown key '%s'", where, k);
    }
    return I2I_OK;
}

static int get_string(const json_t *obj, const char *key, const char *where, const char **out,
                      i2i_error *err)
{
    const json_t *v = json_object_get(obj, key);
    *out = NULL;
    if (!v) return I2I_OK;
    if (!json_is_string(v))
        return i2i_error_set(err, I2I_ERR_INVALID, "%s.%s must be a string", where, key);
    *out = json_string_value(v);
    return I2I_OK;
}

/* A relative path in the config resolves against the config file's directory. */
static char *resolve(const char *base_dir, const char *path)
{
    i2i_buf b = I2I_BUF_INIT;
    if (path[0] == '/' || !base_dir) return i2i_strdup(path);
    if (i2i_buf_printf(&b, "%s/%s", base_dir, path) < 0) {
        i2i_buf_free(&b);
        return NULL;
    }
    return i2i_buf_cstr(&b);
}

static char *dir_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (!slash) return i2i_strdup(".");
    if (slash == path) return i2i_strdup("/");
    return i2i_strndup(path, (size_t)(slash - path));
}

int service_parse_trigger_arguments(const char *text, json_t **out, i2i_error *err)
{
    json_t *o = json_object();
    const char *p = text;
    *out = NULL;
    if (!o) return i2i_error_nomem(err, "trigger arguments");
    while (*p) {
        const char *comma = strchr(p, ','), *end = comma ? comma : p + strlen(p);
        const char *eq = memchr(p, '=', (size_t)(end - p));
        char *key, *val;
        if (end == p) {
            p = comma ? comma + 1 : end;
            continue;
        }
        if (!eq || eq == p) {
            json_decref(o);
            return i2i_error_set(err, I2I_ERR_INVALID,
                                 "trigger_arguments: '%.*s' is not key=value (arguments are "
                                 "separated by commas)", (int)(end - p), p);
        }
        key = i2i_strndup(p, (size_t)(eq - p));
        val = i2i_strndup(eq + 1, (size_t)(end - eq - 1));
        if (!key || !val || json_object_set_new(o, key, json_string(val)) < 0) {
            free(key);
            free(val);
            json_decref(o);
            return i2i_error_nomem(err, "trigger arguments");
        }
        free(key);
        free(val);
        p = comma ? comma + 1 : end;
    }
    *out = o;
    return I2I_OK;
}

/* config_file_path: the plugin's own TOML file, relative to the plugin directory and never outside
 * it (a path with "..", an absolute path or a symlink leading out is refused). */
static int load_plugin_file(const service_config *cfg, const char *where, const char *rel,
                            json_t **out, i2i_error *err)
{
    char *full = NULL, *real_dir = NULL, *real_file = NULL;
    size_t dl;
    int rc;
    *out = NULL;
    if (!cfg->plugin_dir)
        return i2i_error_set(err, I2I_ERR_INVALID,
                             "%s: config_file_path needs the plugin directory: set [server] "
                             "plugin_dir or PLUGIN_DIR", where);
    if (rel[0] == '/' || strstr(rel, ".."))
        return i2i_error_set(err, I2I_ERR_INVALID,
                             "%s: config_file_path '%s' must be a path inside the plugin directory "
                             "(relative, without '..')", where, rel);
    dl = strlen(rel);
    if (dl < 5 || strcmp(rel + dl - 5, ".toml"))
        return i2i_error_set(err, I2I_ERR_INVALID,
                             "%s: config_file_path '%s': expected a .toml file", where, rel);
    full = resolve(cfg->plugin_dir, rel);
    real_dir = realpath(cfg->plugin_dir, NULL);
    if (!full) return i2i_error_nomem(err, "config path");
    if (!real_dir) {
        rc = i2i_error_set(err, I2I_ERR_IO, "%s: plugin directory '%s': %s", where, cfg->plugin_dir,
                           strerror(errno));
        goto done;
    }
    real_file = realpath(full, NULL);
    if (!real_file) {
        rc = i2i_error_set(err, I2I_ERR_IO, "%s: config_file_path '%s': %s", where, full,
                           strerror(errno));
        goto done;
    }
    dl = strlen(real_dir);
    if (strncmp(real_file, real_dir, dl) || (real_file[dl] != '/' && dl > 1)) {
        rc = i2i_error_set(err, I2I_ERR_INVALID,
                           "%s: config_file_path '%s' leads outside the plugin directory '%s'",
                           where, rel, cfg->plugin_dir);
        goto done;
    }
    rc = toml_parse_file(real_file, out, err);
    if (rc < 0) i2i_error_wrap(err, "%s: config_file_path", where);
done:
    free(full);
    free(real_dir);
    free(real_file);
    return rc;
}

/* The arguments of one job, as a trigger would pass them to the plugin. */
static int build_job_args(const service_config *cfg, const char *name, const json_t *table,
                          const char *base_dir, json_t **out, i2i_error *err)
{
    char where[300];
    const char *k, *ta = NULL, *cfp = NULL;
    json_t *v, *args = json_object(), *extra = NULL;
    int rc = I2I_OK;
    *out = NULL;
    snprintf(where, sizeof where, "jobs.%s", name);
    if (!args) return i2i_error_nomem(err, "job");
    I2I_TRY_GOTO(check_keys(table, job_keys, where, err), rc, fail);
    json_object_foreach((json_t *)table, k, v)
    {
        if (strcmp(k, "trigger") && strcmp(k, "trigger_arguments") && strcmp(k, "config_file_path"))
            json_object_set(args, k, v);
    }
    I2I_TRY_GOTO(get_string(table, "trigger_arguments", where, &ta, err), rc, fail);
    if (ta) {
        I2I_TRY_GOTO(service_parse_trigger_arguments(ta, &extra, err), rc, fail);
        json_object_update(args, extra);
        json_decref(extra);
        extra = NULL;
        I2I_TRY_GOTO(check_keys(args, job_keys, where, err), rc, fail);
    }
    I2I_TRY_GOTO(get_string(table, "config_file_path", where, &cfp, err), rc, fail);
    if (!cfp) cfp = json_string_value(json_object_get(args, "config_file_path"));
    if (cfp) {
        /* As the plugin does: the file's keys replace the trigger's arguments. */
        char *keep = i2i_strdup(cfp);
        if (!keep) goto nomem;
        rc = load_plugin_file(cfg, where, keep, &extra, err);
        free(keep);
        if (rc < 0) goto fail;
        json_object_clear(args);
        json_object_update(args, extra);
        json_decref(extra);
        extra = NULL;
        I2I_TRY_GOTO(check_keys(args, job_keys, where, err), rc, fail);
        json_object_del(args, "trigger");
    }
    /* Shared [influxdb] settings, unless the job names its own. */
    if (json_object_update_missing(args, cfg->influxdb) < 0) goto nomem;
    if (!json_object_get(args, "base_dir") && json_object_set_new(args, "base_dir", json_string(base_dir)) < 0)
        goto nomem;
    *out = args;
    return I2I_OK;
nomem:
    rc = i2i_error_nomem(err, "job");
fail:
    json_decref(args);
    return rc;
}

/* A job's arguments are checked now with the same parser a run uses, so a bad job stops the start. */
static int check_job(const char *name, const json_t *args, const char *trigger_spec, trigger *trig,
                     i2i_error *err)
{
    replicate_job job;
    int rc = trigger_parse(trigger_spec, trig, err);
    if (rc < 0) return i2i_error_wrap(err, "jobs.%s.trigger", name);
    if (!json_object_get(args, "window") && !json_object_get(args, "measurement"))
        return i2i_error_set(err, I2I_ERR_INVALID, "jobs.%s: measurement and window are required",
                             name);
    if (!json_object_get(args, "window"))
        return i2i_error_set(err, I2I_ERR_INVALID,
                             "jobs.%s: window is required (the lookback of the first run, e.g. "
                             "\"1h\"; later runs resume where the last ended)", name);
    if (!json_object_get(args, "catalog_configs"))
        return i2i_error_set(err, I2I_ERR_INVALID,
                             "jobs.%s: catalog_configs is required (a [jobs.%s.catalog_configs] "
                             "table with PyIceberg keys: type, uri, warehouse, ...)", name, name);
    if (json_object_get(args, "backfill_start") || json_object_get(args, "backfill_end"))
        return i2i_error_set(err, I2I_ERR_INVALID,
                             "jobs.%s: backfill_start/backfill_end are for POST "
                             "/api/v3/engine/replicate; a scheduled job resumes after its last "
                             "committed window", name);
    rc = replicate_job_from_json(args, NULL, &job, err);
    if (rc < 0) return i2i_error_wrap(err, "jobs.%s", name);
    replicate_job_free(&job);
    return I2I_OK;
}

static const char *const server_keys[] = {"bind", "port", "token_file", "auth", "plugin_dir",
                                          "max_body_bytes", "log_format", "log_level", "log_table",
                                          NULL};
static const char *const influxdb_keys[] = {"host", "database", "token", "token_file",
                                            "tls_insecure", NULL};
static const char *const top_keys[] = {"server", "influxdb", "jobs", NULL};

static int load_server(service_config *cfg, const json_t *s, const char *base_dir,
                       service_env_lookup env, i2i_error *err)
{
    const char *str;
    const json_t *v;
    if (s && !json_is_object(s)) return i2i_error_set(err, I2I_ERR_INVALID, "[server] must be a table");
    if (s) I2I_TRY(check_keys(s, server_keys, "server", err));
    I2I_TRY(get_string(s, "bind", "server", &str, err));
    cfg->bind = i2i_strdup(str ? str : "127.0.0.1");
    if (!cfg->bind) return i2i_error_nomem(err, "config");
    cfg->port = DEFAULT_PORT;
    if ((v = json_object_get(s, "port")) != NULL) {
        if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > 65535)
            return i2i_error_set(err, I2I_ERR_INVALID, "server.port must be an integer 0-65535");
        cfg->port = (int)json_integer_value(v);
    }
    cfg->max_body = DEFAULT_MAX_BODY;
    if ((v = json_object_get(s, "max_body_bytes")) != NULL) {
        if (!json_is_integer(v) || json_integer_value(v) < 1024 ||
            json_integer_value(v) > 64 * 1024 * 1024)
            return i2i_error_set(err, I2I_ERR_INVALID,
                                 "server.max_body_bytes must be an integer from 1024 to 67108864");
        cfg->max_body = (size_t)json_integer_value(v);
    }
    if ((v = json_object_get(s, "auth")) != NULL) {
        if (!json_is_boolean(v)) return i2i_error_set(err, I2I_ERR_INVALID, "server.auth must be true or false");
        cfg->auth_disabled = json_is_false(v);
    }
    I2I_TRY(get_string(s, "token_file", "server", &str, err));
    if (!cfg->auth_disabled) {
        if (str) {
            char *path = resolve(base_dir, str);
            int rc;
            if (!path) return i2i_error_nomem(err, "config");
            rc = i2i_read_secret_file(path, "server.token_file", &cfg->api_token, err);
            free(path);
            I2I_TRY(rc);
        } else if ((str = env_get(env, "INFLUX2ICEBERG_API_TOKEN")) != NULL) {
            i2i_log_add_secret(str);
            cfg->api_token = i2i_strdup(str);
            if (!cfg->api_token) return i2i_error_nomem(err, "config");
        } else {
            return i2i_error_set(err, I2I_ERR_INVALID,
                                 "the HTTP API needs a bearer token: set [server] token_file or "
                                 "INFLUX2ICEBERG_API_TOKEN (or, knowingly, [server] auth = false)");
        }
        if (strlen(cfg->api_token) < 16)
            return i2i_error_set(err, I2I_ERR_INVALID,
                                 "the HTTP API token is shorter than 16 characters: use a random one "
                                 "(e.g. openssl rand -hex 32)");
    }
    I2I_TRY(get_string(s, "plugin_dir", "server", &str, err));
    if (!str) str = env_get(env, "PLUGIN_DIR");
    if (!str) str = env_get(env, "INFLUXDB3_PLUGIN_DIR");
    if (str && !(cfg->plugin_dir = resolve(base_dir, str))) return i2i_error_nomem(err, "config");
    I2I_TRY(get_string(s, "log_format", "server", &str, err));
    if (str && strcmp(str, "json") && strcmp(str, "text"))
        return i2i_error_set(err, I2I_ERR_INVALID, "server.log_format must be \"json\" or \"text\"");
    cfg->log_json = !str || !strcmp(str, "json");
    I2I_TRY(get_string(s, "log_level", "server", &str, err));
    cfg->log_level = I2I_LOG_INFO;
    if (str) {
        if (!strcmp(str, "debug")) cfg->log_level = I2I_LOG_DEBUG;
        else if (!strcmp(str, "info")) cfg->log_level = I2I_LOG_INFO;
        else if (!strcmp(str, "warn")) cfg->log_level = I2I_LOG_WARN;
        else if (!strcmp(str, "error")) cfg->log_level = I2I_LOG_ERROR;
        else return i2i_error_set(err, I2I_ERR_INVALID, "server.log_level must be debug, info, warn or error");
    }
    I2I_TRY(get_string(s, "log_table", "server", &str, err));
    if (str && !(cfg->log_lp_table = i2i_strdup(str))) return i2i_error_nomem(err, "config");
    return I2I_OK;
}

static int load_influxdb(service_config *cfg, const json_t *s, const char *base_dir, i2i_error *err)
{
    const char *k, *str;
    json_t *v;
    cfg->influxdb = json_object();
    if (!cfg->influxdb) return i2i_error_nomem(err, "config");
    if (!s) return I2I_OK;
    if (!json_is_object(s)) return i2i_error_set(err, I2I_ERR_INVALID, "[influxdb] must be a table");
    I2I_TRY(check_keys(s, influxdb_keys, "influxdb", err));
    json_object_foreach((json_t *)s, k, v)
    {
        if (strcmp(k, "token_file")) json_object_set(cfg->influxdb, k, v);
    }
    if (json_is_string(json_object_get(s, "token")))
        i2i_log_add_secret(json_string_value(json_object_get(s, "token")));
    I2I_TRY(get_string(s, "token_file", "influxdb", &str, err));
    if (str) {
        char *path = resolve(base_dir, str), *tok = NULL;
        int rc;
        if (!path) return i2i_error_nomem(err, "config");
        rc = i2i_read_secret_file(path, "influxdb.token_file", &tok, err);
        free(path);
        I2I_TRY(rc);
        json_object_set_new(cfg->influxdb, "token", json_string(tok));
        free(tok);
    }
    return I2I_OK;
}

int service_config_load(const char *path, service_env_lookup env, service_config *cfg,
                        i2i_error *err)
{
    json_t *doc = NULL, *jobs, *table;
    const char *name;
    char *base_dir = NULL;
    int rc;
    memset(cfg, 0, sizeof *cfg);
    cfg->path = i2i_strdup(path);
    base_dir = dir_of(path);
    if (!cfg->path || !base_dir) {
        rc = i2i_error_nomem(err, "config");
        goto fail;
    }
    rc = toml_parse_file(path, &doc, err);
    if (rc < 0) goto fail;
    I2I_TRY_GOTO(check_keys(doc, top_keys, "config", err), rc, fail);
    I2I_TRY_GOTO(load_server(cfg, json_object_get(doc, "server"), base_dir, env, err), rc, fail);
    I2I_TRY_GOTO(load_influxdb(cfg, json_object_get(doc, "influxdb"), base_dir, err), rc, fail);
    jobs = json_object_get(doc, "jobs");
    if (jobs && !json_is_object(jobs)) {
        rc = i2i_error_set(err, I2I_ERR_INVALID, "jobs must be tables: [jobs.<name>]");
        goto fail;
    }
    if (jobs && json_object_size(jobs)) {
        cfg->jobs = calloc(json_object_size(jobs), sizeof *cfg->jobs);
        if (!cfg->jobs) {
            rc = i2i_error_nomem(err, "config");
            goto fail;
        }
    }
    json_object_foreach(jobs, name, table)
    {
        service_job_spec *j = &cfg->jobs[cfg->njobs];
        const char *trig = NULL;
        if (!json_is_object(table)) {
            rc = i2i_error_set(err, I2I_ERR_INVALID, "jobs.%s must be a table", name);
            goto fail;
        }
        I2I_TRY_GOTO(get_string(table, "trigger", name, &trig, err), rc, fail);
        if (!trig) {
            rc = i2i_error_set(err, I2I_ERR_INVALID,
                               "jobs.%s: trigger is required (\"every:10m\" or \"cron:0 */5 * * * *\")",
                               name);
            goto fail;
        }
        j->name = i2i_strdup(name);
        j->trigger = i2i_strdup(trig);
        cfg->njobs++;
        if (!j->name || !j->trigger) {
            rc = i2i_error_nomem(err, "config");
            goto fail;
        }
        I2I_TRY_GOTO(build_job_args(cfg, name, table, base_dir, &j->args, err), rc, fail);
        I2I_TRY_GOTO(check_job(name, j->args, j->trigger, &j->trig, err), rc, fail);
    }
    json_decref(doc);
    free(base_dir);
    return I2I_OK;
fail:
    i2i_error_wrap(err, "%s", path);
    json_decref(doc);
    free(base_dir);
    service_config_free(cfg);
    return rc;
}

void service_config_free(service_config *cfg)
{
    size_t i;
    if (!cfg) return;
    for (i = 0; i < cfg->njobs; i++) {
        free(cfg->jobs[i].name);
        free(cfg->jobs[i].trigger);
        json_decref(cfg->jobs[i].args);
    }
    free(cfg->jobs);
    free(cfg->path);
    free(cfg->bind);
    free(cfg->api_token);
    free(cfg->plugin_dir);
    free(cfg->log_lp_table);
    json_decref(cfg->influxdb);
    memset(cfg, 0, sizeof *cfg);
}
