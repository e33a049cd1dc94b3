"""
{
    "plugin_type": ["scheduled", "http"],
    "scheduled_args_config": [
        {"name": "measurement", "example": "cpu", "required": true,
         "description": "InfluxDB measurement (table) to copy."},
        {"name": "window", "example": "1d", "required": true,
         "description": "Lookback of the FIRST run only (s, min, h, d, w). Later runs resume after the last committed window, so nothing is copied twice."},
        {"name": "catalog_configs", "example": "eyJ1cmkiOiAiaHR0cDovL25lc3NpZTo5MDAwIn0=", "required": true,
         "description": "Base64-encoded JSON of the Iceberg catalog configuration (PyIceberg keys)."},
        {"name": "database", "example": "mydb", "required": true,
         "description": "Database to read (the Processing Engine does not tell a plugin its trigger's database). Default: INFLUXDB3_DATABASE_NAME."},
        {"name": "token", "example": "apiv3_...", "required": false,
         "description": "Token for the InfluxDB 3 HTTP API. Default: INFLUXDB3_AUTH_TOKEN. Never logged."},
        {"name": "host", "example": "http://127.0.0.1:8181", "required": false,
         "description": "URL of this InfluxDB 3 server. Default: INFLUXDB3_HOST_URL, else http://127.0.0.1:8181."},
        {"name": "included_fields", "example": "usage_user.usage_idle", "required": false,
         "description": "Dot-separated tags/fields to copy (time is always kept)."},
        {"name": "excluded_fields", "example": "usage_system", "required": false,
         "description": "Dot-separated tags/fields to leave out."},
        {"name": "namespace", "example": "production", "required": false,
         "description": "Iceberg namespace (default 'default')."},
        {"name": "table_name", "example": "cpu_metrics", "required": false,
         "description": "Iceberg table name (default: the measurement)."},
        {"name": "config_file_path", "example": "config.toml", "required": false,
         "description": "TOML file under PLUGIN_DIR whose keys override these arguments."},
        {"name": "auto_update_schema", "example": "true", "required": false,
         "description": "Add new InfluxDB columns to the table (default false)."},
        {"name": "lag", "example": "1min", "required": false,
         "description": "Stay this far behind now so rows still being written are not cut off (default 1min)."},
        {"name": "library_path", "example": "/var/lib/influxdb3/plugins/libinflux2iceberg.so", "required": false,
         "description": "Where libinflux2iceberg.so is (default: INFLUX2ICEBERG_LIBRARY, next to this file, PLUGIN_DIR, the loader's path)."}
    ]
}
"""
# influx2iceberg drop-in for InfluxData's influxdb_to_iceberg Processing Engine plugin.
#
# Same file name, same entry points, same argument names and request body as the upstream plugin
# (see docs/processing-engine.md for the differences). The work is done by libinflux2iceberg.so
# (C, loaded with ctypes): it reads the measurement over this server's HTTP API, streams it into
# Parquet and commits each window to Iceberg exactly once. No pandas, pyarrow or pyiceberg needed.
#
# Python standard library only (ctypes, json, os, tomllib).

import ctypes
import json
import os

try:
    import tomllib
except ImportError:  # Python < 3.11
    tomllib = None

_API_VERSION = 1
_LIBRARY_FILE = "libinflux2iceberg.so"
_LIBRARY_ENV = "INFLUX2ICEBERG_LIBRARY"

# Keys only the trigger (its arguments, its TOML file, or the server environment) may set: they
# decide which server is read with which token, so an HTTP caller cannot redirect them.
_TRIGGER_KEYS = ("host", "token", "database", "tls_insecure", "library_path", "config_file_path")
# The job: the upstream plugin's names, then ours (src/replicate/job.h).
_JOB_KEYS = (
    "measurement", "catalog_configs", "included_fields", "excluded_fields", "namespace",
    "table_name", "auto_update_schema", "batch_size", "lag", "format_version", "partition_by", "threads",
    "read_ahead_bytes",
)
_SCHEDULED_KEYS = _JOB_KEYS + ("window", "backfill_start", "backfill_end")  # the library refuses backfill_*
_BODY_KEYS = _JOB_KEYS + ("backfill_start", "backfill_end", "window")  # ... and window here

_LEVELS = {0: "info", 1: "info", 2: "warn", 3: "error"}


class _PluginError(Exception):
    """A failure reported to the caller: status 400 for arguments, 500 otherwise."""

    def __init__(self, message, status=400, kind="invalid"):
        super().__init__(message)
        self.status = status
        self.kind = kind


# ------------------------------------------------------------------ argument handling


def _check_keys(args, allowed, where):
    unknown = sorted(k for k in args if k not in allowed)
    if unknown:
        raise _PluginError(
            f"unknown {where}: {', '.join(unknown)} (accepted: {', '.join(sorted(allowed))})"
        )


def _plugin_dir():
    """PLUGIN_DIR as the upstream plugin documents it; then what the server itself exports."""
    for name in ("PLUGIN_DIR", "INFLUXDB3_PLUGIN_DIR"):
        value = os.environ.get(name)
        if value:
            return value
    venv = os.environ.get("VIRTUAL_ENV")  # the engine's default venv is <plugin-dir>/.venv
    if venv:
        return os.path.dirname(os.path.abspath(venv))
    return None


def _config_file(relative):
    """The TOML file config_file_path names, which must stay inside PLUGIN_DIR."""
    if not isinstance(relative, str) or not relative:
        raise _PluginError("config_file_path must be a file name relative to PLUGIN_DIR")
    if not relative.endswith(".toml"):
        raise _PluginError("config_file_path must name a .toml file")
    if "\0" in relative:
        raise _PluginError("config_file_path contains a NUL byte")
    if os.path.isabs(relative) or relative.startswith("~"):
        raise _PluginError(
            f"config_file_path '{relative}' is refused: it must be relative to PLUGIN_DIR"
        )
    if ".." in relative.replace("\\", "/").split("/"):
        raise _PluginError(
            f"config_file_path '{relative}' is refused: '..' would leave PLUGIN_DIR"
        )
    base = _plugin_dir()
    if not base:
        raise _PluginError(
            "config_file_path needs PLUGIN_DIR: set it in the server's environment to the "
            "directory given to influxdb3 serve --plugin-dir"
        )
    root = os.path.realpath(base)
    full = os.path.realpath(os.path.join(root, relative))
    if os.path.commonpath([root, full]) != root:
        raise _PluginError(
            f"config_file_path '{relative}' is refused: it resolves outside PLUGIN_DIR "
            "(through a symbolic link)"
        )
    if not os.path.isfile(full):
        raise _PluginError(f"config_file_path '{relative}': no such file in PLUGIN_DIR")
    if tomllib is None:
        raise _PluginError("config_file_path needs Python 3.11 or newer (tomllib)", 500, "setup")
    try:
        with open(full, "rb") as f:
            values = tomllib.load(f)
    except tomllib.TOMLDecodeError as e:
        raise _PluginError(f"config_file_path '{relative}' is not valid TOML: {e}")
    except OSError as e:
        raise _PluginError(f"config_file_path '{relative}' cannot be read: {e.strerror}")
    return {k: _toml_value(v) for k, v in values.items()}


def _toml_value(v):
    """TOML dates and times become ISO 8601 text, as the arguments carry them."""
    if hasattr(v, "isoformat"):
        return v.isoformat()
    if isinstance(v, list):
        return [_toml_value(x) for x in v]
    if isinstance(v, dict):
        return {k: _toml_value(x) for k, x in v.items()}
    return v


def _trigger_args(args, job_keys):
    """The trigger's arguments with its TOML file (config_file_path) applied on top."""
    args = dict(args or {})
    _check_keys(args, set(_TRIGGER_KEYS) | set(job_keys), "trigger argument(s)")
    path = args.pop("config_file_path", None)
    if path:
        values = _config_file(path)
        _check_keys(values, (set(_TRIGGER_KEYS) - {"config_file_path"}) | set(job_keys),
                    f"key(s) in {path}")
        args.update(values)
    return args


def _with_base_dir(job):
    # Relative catalog paths (sqlite:///catalog.db, a plain warehouse) resolve under PLUGIN_DIR,
    # not under whatever directory the server was started from.
    base = _plugin_dir()
    if base:
        job["base_dir"] = os.path.abspath(base)
    return job


def _scheduled_job(args):
    job = _trigger_args(args, _SCHEDULED_KEYS)
    library = job.pop("library_path", None)
    return _with_base_dir(job), library


def _request_job(args, body):
    trigger = _trigger_args(args, _BODY_KEYS)
    trigger.pop("window", None)  # a TOML shared with a scheduled trigger may carry it
    library = trigger.pop("library_path", None)

    if isinstance(body, (bytes, bytearray, memoryview)):
        body = bytes(body).decode("utf-8", "replace")
    if body is None or not str(body).strip():
        raise _PluginError(
            "No request body provided: send a JSON object with at least measurement and "
            "catalog_configs"
        )
    try:
        data = json.loads(body)
    except ValueError as e:
        raise _PluginError(f"request body is not valid JSON: {e}")
    if not isinstance(data, dict):
        raise _PluginError("request body must be a JSON object")
    for key in _TRIGGER_KEYS:
        if key in data:
            raise _PluginError(
                f"'{key}' cannot be set in the request body: host, token, database and the "
                "library come from the trigger's arguments (or the server's environment)"
            )
    _check_keys(data, _BODY_KEYS, "request body key(s)")
    if "catalog_configs" in data and not isinstance(data["catalog_configs"], (dict, str)):
        raise _PluginError("catalog_configs must be a JSON object (or base64-encoded JSON)")
    job = {k: v for k, v in trigger.items()}
    job.update(data)
    return _with_base_dir(job), library


# ------------------------------------------------------------------ the library


class _Library:
    LOG_FN = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p, ctypes.c_int, ctypes.c_char_p)

    def __init__(self, cdll, path):
        self.path = path
        self.cdll = cdll
        cdll.influx2iceberg_api_version.restype = ctypes.c_int
        cdll.influx2iceberg_api_version.argtypes = []
        cdll.influx2iceberg_version.restype = ctypes.c_char_p
        cdll.influx2iceberg_version.argtypes = []
        cdll.influx2iceberg_scheduled_call.restype = ctypes.c_void_p
        cdll.influx2iceberg_scheduled_call.argtypes = [
            ctypes.c_char_p, ctypes.c_int64, self.LOG_FN, ctypes.c_void_p]
        cdll.influx2iceberg_replicate_request.restype = ctypes.c_void_p
        cdll.influx2iceberg_replicate_request.argtypes = [
            ctypes.c_char_p, self.LOG_FN, ctypes.c_void_p]
        cdll.influx2iceberg_free.restype = None
        cdll.influx2iceberg_free.argtypes = [ctypes.c_void_p]
        version = cdll.influx2iceberg_api_version()
        if version != _API_VERSION:
            raise _PluginError(
                f"{path} has API version {version}, this plugin file needs {_API_VERSION}: "
                "install the .so and the .py from the same release", 500, "setup")

    def run(self, function, job, reporter, *extra):
        interrupted = []

        def on_line(_ctx, level, line):
            try:
                text = line.decode("utf-8", "replace") if line else ""
                getattr(reporter, _LEVELS.get(level, "info"))(text)
                return 0
            except BaseException as e:  # never let an exception cross into C
                if isinstance(e, (KeyboardInterrupt, SystemExit)):
                    interrupted.append(e)  # server shutting down: stop the run, re-raise after
                    return 1
                return 0

        callback = self.LOG_FN(on_line)  # kept alive for the whole call
        payload = json.dumps(job).encode("utf-8")
        ptr = getattr(self.cdll, function)(payload, *extra, callback, None)
        if not ptr:
            raise _PluginError("libinflux2iceberg: out of memory", 500, "nomem")
        try:
            text = ctypes.string_at(ptr).decode("utf-8", "replace")
        finally:
            self.cdll.influx2iceberg_free(ptr)
        if interrupted:
            raise interrupted[0]
        return json.loads(text)


def _load_library(explicit):
    candidates = []
    if explicit:
        if not os.path.isabs(explicit) and _plugin_dir():
            explicit = os.path.join(_plugin_dir(), explicit)
        candidates.append(explicit)
    elif os.environ.get(_LIBRARY_ENV):
        candidates.append(os.environ[_LIBRARY_ENV])
    else:
        here = globals().get("__file__")  # unset when the engine runs a single-file plugin
        if here:
            candidates.append(os.path.join(os.path.dirname(os.path.abspath(here)), _LIBRARY_FILE))
        if _plugin_dir():
            candidates.append(os.path.join(_plugin_dir(), _LIBRARY_FILE))
        candidates.append(_LIBRARY_FILE)  # the dynamic loader's search path (ldconfig, LD_LIBRARY_PATH)
    tried = []
    for path in candidates:
        if os.sep in path and not os.path.exists(path):
            tried.append(f"{path} (no such file)")
            continue
        try:
            return _Library(ctypes.CDLL(path), path)
        except OSError as e:
            tried.append(f"{path} ({e})")
    raise _PluginError(
        "cannot load libinflux2iceberg.so; tried: " + "; ".join(tried)
        + ". Copy it into the plugin directory, or give its path in the trigger argument "
        f"library_path or the environment variable {_LIBRARY_ENV}",
        500, "setup")


# ------------------------------------------------------------------ reporting


class _Reporter:
    """Forwards to influxdb3_local.info/warn/error, hiding the secrets it was told about."""

    def __init__(self, influxdb3_local):
        self.local = influxdb3_local
        self.secrets = []

    def know(self, job):
        token = job.get("token") or os.environ.get("INFLUXDB3_AUTH_TOKEN")
        if isinstance(token, str) and len(token) >= 4:
            self.secrets.append(token)
        configs = job.get("catalog_configs")
        if isinstance(configs, dict):
            for key, value in configs.items():
                if isinstance(value, str) and len(value) >= 4 and any(
                        m in key.lower() for m in ("secret", "token", "password", "credential", "key-id")):
                    self.secrets.append(value)

    def _clean(self, text):
        for s in self.secrets:
            text = text.replace(s, "***")
        return text

    def info(self, text):
        self.local.info(self._clean(text))

    def warn(self, text):
        self.local.warn(self._clean(text))

    def error(self, text):
        self.local.error(self._clean(text))


def _call_time_ns(call_time):
    # The engine passes a naive datetime in the server's local time; .timestamp() reads it so.
    try:
        return int(call_time.timestamp()) * 1_000_000_000
    except (AttributeError, OverflowError, OSError, ValueError):
        return 0


# ------------------------------------------------------------------ entry points


def process_scheduled_call(influxdb3_local, call_time, args=None):
    """Scheduled trigger: copy what is new since the last committed window (exactly once)."""
    reporter = _Reporter(influxdb3_local)
    try:
        job, library = _scheduled_job(args)
        reporter.know(job)
        lib = _load_library(library)
        lib.run("influx2iceberg_scheduled_call", job, reporter,
                         ctypes.c_int64(_call_time_ns(call_time)))
        # The library has logged the outcome (and any error) through the reporter already.
        return None
    except _PluginError as e:
        reporter.error(f"influxdb_to_iceberg: {e}")
    except (KeyboardInterrupt, SystemExit):
        raise
    except Exception as e:  # a bug here must not look like a silent success
        reporter.error(f"influxdb_to_iceberg: unexpected error: {type(e).__name__}: {e}")
    return None


def process_request(influxdb3_local, query_parameters, request_headers, request_body, args=None):
    """HTTP trigger: backfill as the request body says; returns a JSON summary."""
    reporter = _Reporter(influxdb3_local)
    try:
        job, library = _request_job(args, request_body)
        reporter.know(job)
        lib = _load_library(library)
        result = lib.run("influx2iceberg_replicate_request", job, reporter)
    except _PluginError as e:
        message = reporter._clean(f"influxdb_to_iceberg: {e}")
        reporter.error(message)
        return {"message": message, "error": e.kind}, e.status
    except (KeyboardInterrupt, SystemExit):
        raise
    except Exception as e:
        message = reporter._clean(f"influxdb_to_iceberg: unexpected error: {type(e).__name__}: {e}")
        reporter.error(message)
        return {"message": message, "error": "internal"}, 500

    body = {"message": result.get("message", "")}
    if "summary" in result:
        body["summary"] = result["summary"]
    if result.get("ok"):
        return body
    body["error"] = result.get("error", "internal")
    return body, int(result.get("status", 500))
