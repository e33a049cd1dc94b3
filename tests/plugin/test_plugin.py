"""Drop-in Processing Engine plugin (plugin/influxdb_to_iceberg.py + libinflux2iceberg.so).

The plugin file is run the way InfluxDB 3 runs a single-file plugin: its source is executed in a
fresh globals dict (no __file__), then process_scheduled_call(influxdb3_local, call_time, args) or
process_request(influxdb3_local, query_parameters, request_headers, request_body, args) is called
with the engine's argument types (naive local datetime; lower-case header dict without
Authorization; bytes body; string-valued trigger arguments). The request's return value is turned
into (status, content type, body) as the server's process_flask_response does. influxdb3_local is
a stand-in that records info/warn/error lines and answers query() from the emulator.

Data comes from the InfluxDB 3 emulator (tests/emulator), started on a random port and killed on
every exit path (tearDownModule, atexit, SIGTERM/SIGINT handler, PR_SET_PDEATHSIG). Tables are read
back with `influx2iceberg inspect` (counts, columns, snapshots) and with DuckDB over the live data
files (tests/plugin/read_table.mjs), compared value by value with what the emulator returns.

Environment (set by ctest, see CMakeLists.txt): I2I_PLUGIN_LIBRARY, I2I_CLI, I2I_INTEROP_DIR;
under the ASan build also LD_PRELOAD (the ASan runtime) and ASAN_OPTIONS for this interpreter;
both are removed from the environment of every child process.
"""
import atexit
import base64
import ctypes
import datetime
import importlib.util
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import urllib.parse
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
PLUGIN_SRC = os.path.join(ROOT, "plugin", "influxdb_to_iceberg.py")
EMULATOR = os.path.join(ROOT, "tests", "emulator", "influxdb3_emulator.py")
READ_TABLE = os.path.join(HERE, "read_table.mjs")
TOKEN = "apiv3_plugin-Secret-Token-4711"
CATALOG_SECRET = "catalog-Secret-Value-0815"


def _need(name):
    value = os.environ.get(name)
    if not value:
        sys.exit(f"test_plugin: {name} is not set (run through ctest)")
    return value


LIBRARY = _need("I2I_PLUGIN_LIBRARY")
CLI = _need("I2I_CLI")
INTEROP = os.environ.get("I2I_INTEROP_DIR", os.path.join(ROOT, "tests", "interop"))


def child_env(**extra):
    """The environment for child processes: without the ASan preload meant for this interpreter."""
    env = dict(os.environ)
    for k in ("LD_PRELOAD", "ASAN_OPTIONS", "PLUGIN_DIR", "INFLUXDB3_AUTH_TOKEN"):
        env.pop(k, None)
    env.update(extra)
    return env


# ------------------------------------------------------------------ emulator lifecycle


def _die_with_parent():
    # PR_SET_PDEATHSIG: the emulator gets SIGTERM if this test process dies, even by SIGKILL.
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(1, signal.SIGTERM, 0, 0, 0)


class Emulator:
    def __init__(self):
        self.proc = None
        self.url = None
        self.dir = tempfile.mkdtemp(prefix="i2i-plugin-emu-")

    def start(self):
        port_file = os.path.join(self.dir, "port")
        self.log_path = os.path.join(self.dir, "emulator.log")
        with open(self.log_path, "wb") as log:
            self.proc = subprocess.Popen(
                [sys.executable, EMULATOR, "--port", "0", "--port-file", port_file,
                 "--token", TOKEN],
                stdout=log, stderr=log, env=child_env(), preexec_fn=_die_with_parent)
        deadline = time.time() + 30
        while time.time() < deadline:
            if os.path.exists(port_file):
                port = open(port_file).read().strip()
                if port:
                    self.url = f"http://127.0.0.1:{port}"
                    return
            if self.proc.poll() is not None:
                break
            time.sleep(0.05)
        log = open(self.log_path, errors="replace").read()
        self.stop()
        raise RuntimeError(f"the emulator did not start:\n{log}")

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(3)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None
        shutil.rmtree(self.dir, ignore_errors=True)

    def _request(self, method, path, body=None, auth=True, headers=None):
        req = urllib.request.Request(self.url + path, data=body, method=method)
        if auth:
            req.add_header("Authorization", f"Bearer {TOKEN}")
        for k, v in (headers or {}).items():
            req.add_header(k, v)
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, r.read()

    def write(self, db, lines):
        status, _ = self._request("POST", "/api/v3/write_lp?" + urllib.parse.urlencode({"db": db}),
                                  "\n".join(lines).encode())
        assert status == 204, status

    def query(self, db, sql, params=None):
        q = {"db": db, "q": sql, "format": "jsonl"}
        if params:
            q["params"] = json.dumps(params)
        _, body = self._request("GET", "/api/v3/query_sql?" + urllib.parse.urlencode(q))
        return [json.loads(line) for line in body.decode().splitlines() if line]

    def fault(self, spec):
        self._request("POST", "/_emulator/fault", json.dumps(spec).encode(), auth=False,
                      headers={"Content-Type": "application/json"})

    def clear_faults(self):
        self._request("DELETE", "/_emulator/fault", auth=False)


EMU = Emulator()
WORK = tempfile.mkdtemp(prefix="i2i-plugin-test-")


def _cleanup():
    EMU.stop()
    if not os.environ.get("I2I_KEEP_TMP"):
        shutil.rmtree(WORK, ignore_errors=True)


def _on_signal(signum, _frame):
    _cleanup()
    os._exit(128 + signum)


atexit.register(_cleanup)
signal.signal(signal.SIGTERM, _on_signal)
signal.signal(signal.SIGINT, _on_signal)


# ------------------------------------------------------------------ the engine stand-in


class FakeInfluxDB3Local:
    """influxdb3_local as a plugin sees it: info/warn/error(*args) and query(sql, args=None)."""

    def __init__(self, db=None):
        self.db = db
        self.lines = []
        self.lock = threading.Lock()

    def _log(self, level, args):
        line = " ".join(str(a) for a in args)  # the server joins str() of each argument
        with self.lock:
            self.lines.append((level, line))

    def info(self, *args):
        self._log("INFO", args)

    def warn(self, *args):
        self._log("WARN", args)

    def error(self, *args):
        self._log("ERROR", args)

    def query(self, sql, args=None, database=None):
        return EMU.query(database or self.db, sql, args)

    def texts(self, level=None):
        return [t for (lv, t) in self.lines if level is None or lv == level]

    def dump(self):
        return "\n".join(f"{lv:5} {t}" for lv, t in self.lines)


def load_plugin_like_the_engine():
    """Single-file plugin: the code runs in fresh globals, as influxdb3 does (no __file__)."""
    with open(PLUGIN_SRC) as f:
        code = compile(f.read(), "influxdb_to_iceberg.py", "exec")
    g = {}
    exec(code, g)
    return g


def engine_response(ret):
    """What the HTTP caller receives for a process_request return value (process_flask_response)."""
    def body_of(b):
        if isinstance(b, str):
            return "text/html", b
        if isinstance(b, (dict, list)):
            return "application/json", json.dumps(b)
        return "text/plain", str(b)

    if isinstance(ret, tuple):
        body, status, headers = ret[0], 200, {}
        for part in ret[1:]:
            if isinstance(part, int):
                status = part
            elif isinstance(part, dict):
                headers.update(part)
        ctype, text = body_of(body)
        if not 100 <= status <= 999:
            status = 500
        return status, headers.get("Content-Type", ctype), text
    if isinstance(ret, (str, dict, list)):
        ctype, text = body_of(ret)
        return 200, ctype, text
    return 500, "application/json", json.dumps({"error": f"unsupported return type {type(ret)}"})


def call_scheduled(plugin, local, args, when=None):
    # PyDateTime::from_timestamp(scheduled second, None): a naive local datetime
    call_time = datetime.datetime.fromtimestamp(int(when if when is not None else time.time()))
    return plugin["process_scheduled_call"](local, call_time, args)


def call_request(plugin, local, body, args, query=None):
    headers = {"content-type": "application/json", "host": "127.0.0.1:8181",
               "user-agent": "curl/8.0"}  # Authorization is removed by the server
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    ret = plugin["process_request"](local, dict(query or {}), headers, raw, args)
    status, ctype, text = engine_response(ret)
    return status, ctype, (json.loads(text) if ctype == "application/json" else text)


# ------------------------------------------------------------------ table read-back


class Target:
    """One Iceberg SQL catalog + warehouse in its own directory."""

    def __init__(self, name):
        self.dir = os.path.join(WORK, name)
        os.makedirs(self.dir, exist_ok=True)
        self.configs = {"type": "sql", "uri": f"sqlite:///{self.dir}/catalog.db",
                        "warehouse": f"{self.dir}/warehouse",
                        "s3.secret-access-key": CATALOG_SECRET}

    @property
    def b64(self):
        return base64.b64encode(json.dumps(self.configs).encode()).decode()

    def inspect(self, ns, table):
        """None when the table does not exist; else counts, columns, metadata location."""
        p = subprocess.run([CLI, "inspect", "--catalog-configs", json.dumps(self.configs),
                            "--namespace", ns, "--table-name", table],
                           capture_output=True, text=True, env=child_env(), timeout=120)
        if p.returncode != 0:
            if "not found" in p.stderr or "does not exist" in p.stderr:
                return None
            raise AssertionError(f"inspect failed ({p.returncode}): {p.stderr}")
        out = p.stdout
        m = re.search(r"^data\s+(\d+) file\(s\), (\d+) rows", out, re.M)
        cols = re.search(r"^columns\s+(.*)$", out, re.M).group(1).split()
        return {
            "files": int(m.group(1)), "rows": int(m.group(2)),
            "columns": [c.split(":")[0] for c in cols],
            "metadata": re.search(r"^metadata\s+(\S+)", out, re.M).group(1),
            "snapshots": int(re.search(r"^snapshots\s+(\d+)", out, re.M).group(1)),
            "text": out,
        }

    def read(self, ns, table):
        info = self.inspect(ns, table)
        assert info, f"table {ns}.{table} does not exist"
        p = subprocess.run(["node", READ_TABLE, info["metadata"]], capture_output=True, text=True,
                           env=child_env(I2I_INTEROP_DIR=INTEROP), timeout=300)
        if p.returncode != 0:
            raise AssertionError(f"read_table.mjs failed: {p.stderr}")
        return json.loads(p.stdout)

    def nothing_written(self):
        """No catalog entry and no file anywhere under the warehouse."""
        files = []
        for root, _, names in os.walk(os.path.join(self.dir, "warehouse")):
            files += [os.path.join(root, n) for n in names]
        tables = []
        db = os.path.join(self.dir, "catalog.db")
        if os.path.exists(db):
            import sqlite3
            con = sqlite3.connect(db)
            try:
                tables = con.execute("SELECT table_name FROM iceberg_tables").fetchall()
            except sqlite3.Error:
                tables = []
            con.close()
        return not files and not tables


def iso_to_us(s):
    """Emulator time (zone-less UTC ISO, 0/3/6/9 digits) -> epoch microseconds (truncated)."""
    date, _, frac = s.partition(".")
    dt = datetime.datetime.strptime(date, "%Y-%m-%dT%H:%M:%S").replace(tzinfo=datetime.timezone.utc)
    ns = int((frac + "000000000")[:9]) if frac else 0
    return int(dt.timestamp()) * 1_000_000 + ns // 1000


LONG_COLUMNS = ("procs",)  # the only integer field of the fixtures


def canonical(rows, columns):
    """Rows as sorted tuples of typed values: time in epoch µs, longs as int, doubles as float."""
    out = []
    for r in rows:
        row = []
        for c in columns:
            v = r.get(c)
            if v is None:
                pass
            elif c == "time":
                v = iso_to_us(v) if isinstance(v, str) and "T" in v else int(v)
            elif c in LONG_COLUMNS:
                v = int(v)  # DuckDB side: exact text; emulator side: JSON integer
            elif isinstance(v, (int, float)) and not isinstance(v, bool):
                v = float(v)
            row.append(v)
        out.append(tuple(row))
    return sorted(out, key=lambda t: tuple((x is None, str(type(x)), x) for x in t))


def lp_time(ns):
    return str(int(ns))


# ------------------------------------------------------------------ fixtures

DB = "plugdb"
NOW_NS = time.time_ns()
MINUTE = 60 * 1_000_000_000
HOUR = 60 * MINUTE
DAY = 24 * HOUR


def cpu_line(host, region, t_ns, i, measurement="cpu"):
    return (f"{measurement},host={host},region={region} usage_user={(i * 7 % 1000) / 10.0},"
            f"usage_idle={100 - (i * 7 % 1000) / 10.0},procs={100 + i % 50}i,"
            f"state=\"{'running' if i % 3 else 'idle'}\",ok={'true' if i % 2 else 'false'} {t_ns}")


def setUpModule():
    EMU.start()
    plugin_dir = os.path.join(WORK, "plugins")
    os.makedirs(plugin_dir)
    shutil.copy(PLUGIN_SRC, plugin_dir)
    os.symlink(LIBRARY, os.path.join(plugin_dir, "libinflux2iceberg.so"))  # the drop-in layout
    os.environ["PLUGIN_DIR"] = plugin_dir
    for k in ("INFLUXDB3_AUTH_TOKEN", "INFLUXDB3_HOST_URL", "INFLUXDB3_DATABASE_NAME",
              "INFLUX2ICEBERG_LIBRARY", "INFLUXDB3_PLUGIN_DIR", "VIRTUAL_ENV"):
        os.environ.pop(k, None)

    # cpu: the last 3 hours every minute (2 hosts) + some rows 3 days old (outside window=1d)
    lines = []
    i = 0
    base = NOW_NS - NOW_NS % MINUTE
    for m in range(3, 181):
        for host, region in (("a", "eu"), ("b", "us")):
            lines.append(cpu_line(host, region, base - m * MINUTE, i))
            i += 1
    for m in range(10):
        lines.append(cpu_line("a", "eu", base - 3 * DAY - m * MINUTE, i))
        i += 1
    EMU.write(DB, lines)

    # hist: the README's HTTP example range, 2022-12-31 .. 2023-01-03 every 30 min, 3 hosts
    start = int(datetime.datetime(2022, 12, 31, tzinfo=datetime.timezone.utc).timestamp()) * 10**9
    lines = []
    i = 0
    for k in range(3 * 48):
        for host, region in (("a", "eu"), ("b", "us"), ("c", "ap")):
            lines.append(cpu_line(host, region, start + k * 30 * MINUTE, i, "hist"))
            i += 1
    EMU.write(DB, lines)
    for name in ("mem", "disk"):
        EMU.write(DB, [cpu_line("a", "eu", start + k * HOUR, k, name) for k in range(72)])


def tearDownModule():
    _cleanup()


def trigger(**kw):
    """Trigger arguments as `influxdb3 create trigger --trigger-arguments` gives them: strings."""
    args = {"host": EMU.url, "token": TOKEN, "database": DB}
    args.update(kw)
    return {k: str(v) for k, v in args.items()}


class PluginTestCase(unittest.TestCase):
    maxDiff = None

    def setUp(self):
        self.plugin = load_plugin_like_the_engine()

    def assertNoSecrets(self, *locals_):
        for local in locals_:
            for level, text in local.lines:
                self.assertNotIn(TOKEN, text)
                self.assertNotIn(CATALOG_SECRET, text)

    def assertNoErrors(self, local):
        self.assertEqual(local.texts("ERROR"), [], local.dump())

    def assertTableEqualsSource(self, target, ns, table, sql, columns):
        """DuckDB over the table's live files == the emulator's rows for sql, value by value."""
        got = target.read(ns, table)
        self.assertEqual(sorted(got["columns"]), sorted(columns))
        want = canonical(EMU.query(DB, sql), columns)
        have = canonical(got["rows"], columns)
        self.assertEqual(len(have), len(want))
        self.assertEqual(have, want)


# ------------------------------------------------------------------ scheduled trigger


class ScheduledTrigger(PluginTestCase):
    def test_every_1h_window_1d_twice_then_new_rows_exactly_once(self):
        """README scheduler example (every:1h, window=1d): the second call adds nothing."""
        target = Target("sched")
        args = trigger(measurement="cpu", window="1d", catalog_configs=target.b64,
                       namespace="monitoring", table_name="cpu_metrics", lag="1s")
        recent = EMU.query(DB, "SELECT count(*) AS n FROM cpu WHERE time >= $t",
                           {"t": datetime.datetime.fromtimestamp((NOW_NS - DAY) / 1e9, datetime.timezone.utc)
                            .strftime("%Y-%m-%dT%H:%M:%SZ")})[0]["n"]
        self.assertEqual(recent, 178 * 2)

        first = FakeInfluxDB3Local(DB)
        self.assertIsNone(call_scheduled(self.plugin, first, args))
        self.assertNoErrors(first)
        t1 = target.inspect("monitoring", "cpu_metrics")
        self.assertEqual(t1["rows"], recent, first.dump())  # the 3-day-old rows are outside window
        self.assertTrue(any(f"{recent} row(s) of cpu into monitoring.cpu_metrics" in t
                            for t in first.texts("INFO")), first.dump())

        second = FakeInfluxDB3Local(DB)
        call_scheduled(self.plugin, second, args)
        self.assertNoErrors(second)
        t2 = target.inspect("monitoring", "cpu_metrics")
        self.assertEqual((t2["rows"], t2["files"], t2["snapshots"]),
                         (t1["rows"], t1["files"], t1["snapshots"]), second.dump())
        self.assertTrue(any("nothing new" in t or " 0 row(s)" in t for t in second.texts("INFO")),
                        second.dump())

        # new rows arrive (newer than the first call's end); with lag=1s they are due after 1s
        t_new = time.time_ns()
        EMU.write(DB, [cpu_line(h, "eu", t_new + k, 9000 + k) for k, h in enumerate("abcd")])
        time.sleep(1.6)
        third = FakeInfluxDB3Local(DB)
        call_scheduled(self.plugin, third, args)
        self.assertNoErrors(third)
        t3 = target.inspect("monitoring", "cpu_metrics")
        self.assertEqual(t3["rows"], recent + 4, third.dump())
        self.assertTrue(any("4 row(s) of cpu" in t for t in third.texts("INFO")), third.dump())

        # values: the whole table equals the source rows of [now - 1d, ...), read by DuckDB
        cols = ["time", "host", "ok", "procs", "region", "state", "usage_idle", "usage_user"]
        got = target.read("monitoring", "cpu_metrics")
        self.assertEqual(sorted(got["columns"]), sorted(cols))
        since = datetime.datetime.fromtimestamp((NOW_NS - DAY) / 1e9, datetime.timezone.utc)
        want = EMU.query(DB, "SELECT * FROM cpu WHERE time >= $t",
                         {"t": since.strftime("%Y-%m-%dT%H:%M:%SZ")})
        self.assertEqual(canonical(got["rows"], cols), canonical(want, cols))
        self.assertNoSecrets(first, second, third)

    def test_included_fields_dot_separated(self):
        target = Target("sched_incl")
        local = FakeInfluxDB3Local(DB)
        call_scheduled(self.plugin, local, trigger(measurement="cpu", window="1d", lag="1s",
                                                   catalog_configs=target.b64,
                                                   included_fields="host.usage_user"))
        self.assertNoErrors(local)
        info = target.inspect("default", "cpu")
        self.assertEqual(sorted(info["columns"]), ["host", "time", "usage_user"])
        self.assertGreaterEqual(info["rows"], 178 * 2)

    def test_excluded_fields_dot_separated(self):
        target = Target("sched_excl")
        local = FakeInfluxDB3Local(DB)
        call_scheduled(self.plugin, local, trigger(measurement="cpu", window="1d", lag="1s",
                                                   catalog_configs=target.b64,
                                                   excluded_fields="state.procs.region"))
        self.assertNoErrors(local)
        self.assertEqual(sorted(target.inspect("default", "cpu")["columns"]),
                         ["host", "ok", "time", "usage_idle", "usage_user"])

    def test_bad_catalog_configs_clear_error_nothing_written(self):
        target = Target("sched_bad")
        for value, expected in (
                ("%%%not base64%%%", "catalog_configs must be a JSON object, base64-encoded JSON"),
                (base64.b64encode(b"uri=http://nessie:9000").decode(), "base64 decoded but is not valid JSON"),
                (base64.b64encode(b'["sql"]').decode(), "catalog_configs must be a JSON object"),
                (base64.b64encode(json.dumps({"type": "nessie", "uri": "x",
                                              "token": CATALOG_SECRET}).encode()).decode(),
                 "type 'nessie' is not supported"),
                # looks right, points at our warehouse, but the catalog URI is unusable
                (base64.b64encode(json.dumps(dict(target.configs, uri="mysql://db.example/iceberg"))
                                  .encode()).decode(), "mysql")):
            local = FakeInfluxDB3Local(DB)
            call_scheduled(self.plugin, local, trigger(measurement="cpu", window="1h",
                                                       catalog_configs=value))
            errors = local.texts("ERROR")
            self.assertEqual(len(errors), 1, local.dump())
            self.assertIn(expected, errors[0])
            self.assertTrue(target.nothing_written())
            self.assertNoSecrets(local)

    def test_missing_arguments_are_named(self):
        cases = (
            ({"window": "1h", "catalog_configs": "e30="}, "measurement is required"),
            ({"measurement": "cpu", "catalog_configs": "e30="}, "window is required for a scheduled trigger"),
            ({"measurement": "cpu", "window": "1h"}, "catalog_configs is required"),
            ({"measurement": "cpu", "window": "1h", "catalog_configs": "e30=",
              "backfill_start": "2023-01-01T00:00:00Z"}, "backfill_start/backfill_end are for the HTTP"),
            ({"measurement": "cpu", "window": "1 hour", "catalog_configs": "e30="}, "window"),
            ({"measurement": "cpu", "window": "1h", "catalog_configs": "e30=", "windwo": "1h"},
             "unknown trigger argument(s): windwo"),
        )
        for extra, expected in cases:
            local = FakeInfluxDB3Local(DB)
            call_scheduled(self.plugin, local, trigger(**extra))
            self.assertTrue(any(expected in t for t in local.texts("ERROR")), (expected, local.dump()))

    def test_database_comes_from_argument_or_environment(self):
        target = Target("sched_db")
        local = FakeInfluxDB3Local(DB)
        args = trigger(measurement="cpu", window="1h", catalog_configs=target.b64)
        del args["database"]
        call_scheduled(self.plugin, local, args)
        self.assertTrue(any("database is required: the Processing Engine does not tell a plugin"
                            in t for t in local.texts("ERROR")), local.dump())
        # host, token and database from the server's environment instead of arguments
        env = {"INFLUXDB3_DATABASE_NAME": DB, "INFLUXDB3_HOST_URL": EMU.url,
               "INFLUXDB3_AUTH_TOKEN": TOKEN}
        os.environ.update(env)
        try:
            local = FakeInfluxDB3Local(DB)
            call_scheduled(self.plugin, local, {"measurement": "cpu", "window": "1d", "lag": "1s",
                                                "catalog_configs": target.b64})
        finally:
            for k in env:
                os.environ.pop(k, None)
        self.assertNoErrors(local)
        self.assertGreaterEqual(target.inspect("default", "cpu")["rows"], 178 * 2)
        self.assertNoSecrets(local)

    def test_no_token_is_said_clearly(self):
        target = Target("sched_notoken")
        args = trigger(measurement="cpu", window="1h", catalog_configs=target.b64)
        del args["token"]
        local = FakeInfluxDB3Local(DB)
        call_scheduled(self.plugin, local, args)
        self.assertTrue(any("no InfluxDB token: set the trigger argument 'token' or "
                            "INFLUXDB3_AUTH_TOKEN" in t for t in local.texts("WARN")), local.dump())
        errors = local.texts("ERROR")
        self.assertEqual(len(errors), 1, local.dump())
        self.assertIn("no InfluxDB token was given", errors[0])
        self.assertTrue(target.nothing_written())


# ------------------------------------------------------------------ TOML config file


class ConfigFile(PluginTestCase):
    def write_toml(self, rel, target, measurement="mem"):
        path = os.path.join(os.environ["PLUGIN_DIR"], rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            f.write(f'''# influx2iceberg test config (format of influxdb_to_iceberg_config_scheduler.toml)
measurement = "{measurement}"
window = "30d"
included_fields = ["host", "usage_user", "procs"]
namespace = "from_toml"
table_name = "{measurement}_copy"
auto_update_schema = false
lag = "1s"

[catalog_configs]
type = "sql"
uri = "sqlite:///{target.dir}/catalog.db"
warehouse = "{target.dir}/warehouse"
"s3.secret-access-key" = "{CATALOG_SECRET}"
''')
        return path

    def test_toml_under_plugin_dir_overrides_arguments(self):
        # mem has 72 hourly rows from 2022-12-31: outside a 30d window from now, so use a
        # measurement with recent rows: write a few now
        EMU.write(DB, [cpu_line("z", "eu", NOW_NS - k * MINUTE - 5 * MINUTE, k, "recent")
                       for k in range(20)])
        target = Target("toml_ok")
        self.write_toml("conf/iceberg_recent.toml", target, "recent")
        local = FakeInfluxDB3Local(DB)
        # the trigger passes only the path plus what TOML does not hold (host/token/database)
        call_scheduled(self.plugin, local, trigger(config_file_path="conf/iceberg_recent.toml",
                                                   measurement="ignored_by_toml"))
        self.assertNoErrors(local)
        info = target.inspect("from_toml", "recent_copy")
        self.assertEqual(info["rows"], 20, local.dump())
        self.assertEqual(sorted(info["columns"]), ["host", "procs", "time", "usage_user"])
        self.assertTableEqualsSource(target, "from_toml", "recent_copy",
                                     "SELECT time, host, procs, usage_user FROM recent",
                                     ["time", "host", "procs", "usage_user"])
        self.assertNoSecrets(local)

    def test_toml_escaping_plugin_dir_is_refused(self):
        target = Target("toml_escape")
        outside = os.path.join(WORK, "outside.toml")
        self.write_toml("../outside.toml", target)  # PLUGIN_DIR/../outside.toml == WORK/outside.toml
        self.assertTrue(os.path.exists(outside))
        link = os.path.join(os.environ["PLUGIN_DIR"], "link.toml")
        if not os.path.lexists(link):
            os.symlink(outside, link)
        os.makedirs(os.path.join(os.environ["PLUGIN_DIR"], "sub"), exist_ok=True)
        for rel, why in (("../outside.toml", "'..' would leave PLUGIN_DIR"),
                         ("sub/../../outside.toml", "'..' would leave PLUGIN_DIR"),
                         (outside, "must be relative to PLUGIN_DIR"),
                         ("~/outside.toml", "must be relative to PLUGIN_DIR"),
                         ("link.toml", "resolves outside PLUGIN_DIR"),
                         ("missing.toml", "no such file in PLUGIN_DIR"),
                         ("config.json", "must name a .toml file")):
            local = FakeInfluxDB3Local(DB)
            call_scheduled(self.plugin, local, trigger(config_file_path=rel))
            errors = local.texts("ERROR")
            self.assertEqual(len(errors), 1, local.dump())
            self.assertIn(why, errors[0])
            self.assertTrue(target.nothing_written())

    def test_toml_with_unknown_key_is_refused(self):
        path = os.path.join(os.environ["PLUGIN_DIR"], "typo.toml")
        with open(path, "w") as f:
            f.write('measurement = "cpu"\nwindow = "1h"\ntabel_name = "x"\n[catalog_configs]\ntype = "sql"\n')
        local = FakeInfluxDB3Local(DB)
        call_scheduled(self.plugin, local, trigger(config_file_path="typo.toml"))
        self.assertTrue(any("unknown key(s) in typo.toml: tabel_name" in t
                            for t in local.texts("ERROR")), local.dump())


# ------------------------------------------------------------------ HTTP trigger


README_BODY = {
    "measurement": "hist",
    "included_fields": ["usage_user", "usage_idle"],
    "namespace": "monitoring",
    "table_name": "cpu_metrics",
    "batch_size": "12h",
    "backfill_start": "2023-01-01T00:00:00+00:00",
    "backfill_end": "2023-01-02T00:00:00+00:00",
}


class RequestTrigger(PluginTestCase):
    def test_readme_backfill_example_then_repeat_adds_nothing(self):
        target = Target("http_readme")
        body = dict(README_BODY, catalog_configs=target.configs)
        local = FakeInfluxDB3Local(DB)
        status, ctype, resp = call_request(self.plugin, local, body, trigger())
        self.assertEqual((status, ctype), (200, "application/json"), resp)
        self.assertNoErrors(local)
        s = resp["summary"]
        self.assertIn("Replication to Iceberg completed", resp["message"])
        self.assertEqual((s["mode"], s["total_batches"], s["committed_batches"], s["snapshots"]),
                         ("backfill", 2, 2, 2))
        self.assertEqual(s["total_written_records"], 48 * 3)
        self.assertEqual(s["target_table"], "monitoring.cpu_metrics")
        self.assertEqual(s["time_range"], "2023-01-01T00:00:00.000000000Z to 2023-01-02T00:00:00.000000000Z")
        self.assertTableEqualsSource(
            target, "monitoring", "cpu_metrics",
            "SELECT time, usage_idle, usage_user FROM hist WHERE time >= '2023-01-01T00:00:00Z' "
            "AND time < '2023-01-02T00:00:00Z'", ["time", "usage_idle", "usage_user"])

        again = FakeInfluxDB3Local(DB)
        status, _, resp = call_request(self.plugin, again, body, trigger())
        self.assertEqual(status, 200, resp)
        self.assertEqual((resp["summary"]["total_written_records"], resp["summary"]["skipped_batches"],
                          resp["summary"]["snapshots"]), (0, 2, 0))
        self.assertEqual(target.inspect("monitoring", "cpu_metrics")["rows"], 48 * 3)
        self.assertNoSecrets(local, again)

    def test_default_range_and_excluded_fields(self):
        target = Target("http_excl")
        body = {"measurement": "hist", "catalog_configs": target.configs,
                "excluded_fields": ["state", "procs"], "batch_size": "1d"}
        local = FakeInfluxDB3Local(DB)
        status, _, resp = call_request(self.plugin, local, body, trigger())
        self.assertEqual(status, 200, resp)
        # oldest row .. just after the newest: 3 days in 1d windows
        self.assertEqual(resp["summary"]["total_written_records"], 3 * 48 * 3)
        self.assertEqual(resp["summary"]["committed_batches"], 3)
        cols = ["time", "host", "ok", "region", "usage_idle", "usage_user"]
        self.assertEqual(sorted(target.inspect("default", "hist")["columns"]), sorted(cols))
        self.assertTableEqualsSource(target, "default", "hist",
                                     "SELECT time, host, ok, region, usage_idle, usage_user FROM hist",
                                     cols)

    def test_trigger_arguments_give_defaults_body_overrides(self):
        target = Target("http_defaults")
        local = FakeInfluxDB3Local(DB)
        args = trigger(catalog_configs=target.b64, namespace="from_trigger")
        status, _, resp = call_request(self.plugin, local, {"measurement": "mem", "table_name": "m"}, args)
        self.assertEqual(status, 200, resp)
        self.assertEqual(resp["summary"]["target_table"], "from_trigger.m")
        self.assertEqual(target.inspect("from_trigger", "m")["rows"], 72)

    def test_bad_catalog_configs_400_nothing_written(self):
        target = Target("http_bad")
        for cc, expected in (
                ({"type": "nessie", "uri": "http://nessie:9000", "token": CATALOG_SECRET},
                 "type 'nessie' is not supported"),
                (["sql"], "catalog_configs must be a JSON object"),
                ("bm90IGpzb24=", "base64 decoded but is not valid JSON"),
                ("@/etc/passwd", "'@file' is a command-line convenience")):
            local = FakeInfluxDB3Local(DB)
            status, ctype, resp = call_request(self.plugin, local,
                                               dict(README_BODY, catalog_configs=cc), trigger())
            self.assertEqual((status, ctype), (400, "application/json"), resp)
            self.assertIn(expected, resp["message"])
            self.assertTrue(local.texts("ERROR"), local.dump())
            self.assertTrue(target.nothing_written())
            self.assertNoSecrets(local)
            self.assertNotIn(CATALOG_SECRET, json.dumps(resp))

    def test_relative_catalog_paths_resolve_under_plugin_dir(self):
        local = FakeInfluxDB3Local(DB)
        body = {"measurement": "disk", "table_name": "rel",
                "catalog_configs": {"type": "sql", "uri": "sqlite:///rel/catalog.db", "warehouse": "rel/wh"}}
        os.makedirs(os.path.join(os.environ["PLUGIN_DIR"], "rel"), exist_ok=True)
        status, _, resp = call_request(self.plugin, local, body, trigger())
        self.assertEqual(status, 200, resp)
        self.assertTrue(os.path.isfile(os.path.join(os.environ["PLUGIN_DIR"], "rel", "catalog.db")))
        self.assertTrue(os.path.isdir(os.path.join(os.environ["PLUGIN_DIR"], "rel", "wh", "default", "rel")))

    def test_request_errors_are_400_with_readable_messages(self):
        target = Target("http_err")
        cases = (
            (b"", "No request body provided"),
            (b"{not json", "request body is not valid JSON"),
            (b"[1, 2]", "request body must be a JSON object"),
            ({"catalog_configs": target.configs}, "measurement is required"),
            ({"measurement": "hist"}, "catalog_configs is required"),
            ({"measurement": "hist", "catalog_configs": target.configs, "token": "x"},
             "'token' cannot be set in the request body"),
            ({"measurement": "hist", "catalog_configs": target.configs, "host": "http://evil:1"},
             "'host' cannot be set in the request body"),
            ({"measurement": "hist", "catalog_configs": target.configs, "backfil_start": "x"},
             "unknown request body key(s): backfil_start"),
            ({"measurement": "hist", "catalog_configs": target.configs, "window": "1h"},
             "window is a scheduled-trigger argument"),
            ({"measurement": "hist", "catalog_configs": target.configs,
              "backfill_start": "2023-01-02T00:00:00+00:00", "backfill_end": "2023-01-01T00:00:00+00:00"},
             "backfill_start must be before backfill_end"),
            ({"measurement": "hist", "catalog_configs": target.configs,
              "backfill_start": "2023-01-01T00:00:00"}, "backfill_start"),
            ({"measurement": "hist", "catalog_configs": target.configs, "batch_size": "12 hours"},
             "batch_size"),
            ({"measurement": "nope", "catalog_configs": target.configs},
             "measurement 'nope' not found in database 'plugdb'"),
            ({"measurement": "hist", "catalog_configs": target.configs, "included_fields": ["usage_usr"]},
             "included_fields: 'usage_usr' is not a column of measurement 'hist'"),
            # whoever formats a secret, it is redacted
            ({"measurement": TOKEN, "catalog_configs": target.configs}, "measurement '***' not found"),
        )
        for body, expected in cases:
            local = FakeInfluxDB3Local(DB)
            status, ctype, resp = call_request(self.plugin, local, body, trigger())
            self.assertEqual((status, ctype), (400, "application/json"), (body, resp))
            self.assertIn(expected, resp["message"], body)
            self.assertTrue(any(expected in t for t in local.texts("ERROR")), local.dump())
            self.assertNoSecrets(local)
            self.assertNotIn(TOKEN, json.dumps(resp))
        self.assertTrue(target.nothing_written())

    def test_failures_are_500(self):
        target = Target("http_500")
        args = trigger()
        del args["token"]
        local = FakeInfluxDB3Local(DB)
        status, _, resp = call_request(self.plugin, local,
                                       dict(README_BODY, catalog_configs=target.configs), args)
        self.assertEqual(status, 500, resp)
        self.assertEqual(resp["error"], "auth")
        self.assertIn("no InfluxDB token was given", resp["message"])
        # a server that stays down
        args = trigger(host="http://127.0.0.1:9")
        local = FakeInfluxDB3Local(DB)
        status, _, resp = call_request(self.plugin, local,
                                       dict(README_BODY, catalog_configs=target.configs), args)
        self.assertEqual(status, 500, resp)
        self.assertIn("cannot get a response from InfluxDB", resp["message"])
        self.assertTrue(target.nothing_written())


# ------------------------------------------------------------------ threads, loading


class Concurrency(PluginTestCase):
    def test_two_triggers_on_two_threads_keep_their_own_logs(self):
        t_a, t_b = Target("conc_a"), Target("conc_b")
        results, locals_ = {}, {}

        def run(name, measurement, target):
            local = FakeInfluxDB3Local(DB)
            locals_[name] = local
            body = {"measurement": measurement, "catalog_configs": target.configs, "batch_size": "1h"}
            results[name] = call_request(self.plugin, local, body, trigger())

        threads = [threading.Thread(target=run, args=("a", "mem", t_a)),
                   threading.Thread(target=run, args=("b", "disk", t_b))]
        for t in threads:
            t.start()
        for t in threads:
            t.join(300)
        for name, measurement, other in (("a", "mem", "disk"), ("b", "disk", "mem")):
            status, _, resp = results[name]
            self.assertEqual(status, 200, resp)
            self.assertEqual(resp["summary"]["total_written_records"], 72)
            self.assertEqual(resp["summary"]["committed_batches"], 72)  # many windows: long overlap
            task = resp["summary"]["task_id"]
            lines = locals_[name].texts()
            self.assertGreater(len(lines), 72)
            for line in lines:
                self.assertTrue(line.startswith(f"[{task}] "), line)
                self.assertNotIn(f"{other} ->", line)
                self.assertNotIn(f"default.{other}", line)
        self.assertEqual(t_a.inspect("default", "mem")["rows"], 72)
        self.assertEqual(t_b.inspect("default", "disk")["rows"], 72)

    def test_same_stream_twice_at_once_is_refused_with_409(self):
        target = Target("conc_busy")
        body = {"measurement": "mem", "catalog_configs": target.configs}
        # slow down the first run's schema discovery so the second arrives while it runs
        EMU.fault({"delay_ms": 2500, "path": "/api/v3/query_sql", "count": 1})
        first_local = FakeInfluxDB3Local(DB)
        first = {}
        th = threading.Thread(target=lambda: first.update(
            r=call_request(self.plugin, first_local, body, trigger())))
        th.start()
        deadline = time.time() + 20
        while time.time() < deadline and not any("request: backfill" in t for t in first_local.texts()):
            time.sleep(0.02)
        time.sleep(0.2)
        second_local = FakeInfluxDB3Local(DB)
        status, _, resp = call_request(self.plugin, second_local, body, trigger())
        th.join(120)
        EMU.clear_faults()
        self.assertEqual(status, 409, resp)
        self.assertEqual(resp["error"], "busy")
        self.assertEqual(first["r"][0], 200, first["r"])
        self.assertEqual(target.inspect("default", "mem")["rows"], 72)
        # scheduled call on a busy stream: skipped with a warning, not an error
        EMU.fault({"delay_ms": 2500, "path": "/api/v3/query_sql", "count": 1})
        args = trigger(measurement="recent_busy", window="1d", catalog_configs=target.b64)
        EMU.write(DB, [cpu_line("q", "eu", NOW_NS - 10 * MINUTE, 1, "recent_busy")])
        a, b = FakeInfluxDB3Local(DB), FakeInfluxDB3Local(DB)
        th = threading.Thread(target=call_scheduled, args=(self.plugin, a, args))
        th.start()
        deadline = time.time() + 20
        while time.time() < deadline and not any("scheduled call" in t for t in a.texts()):
            time.sleep(0.02)
        time.sleep(0.2)
        call_scheduled(self.plugin, b, args)
        th.join(120)
        EMU.clear_faults()
        self.assertNoErrors(a)
        self.assertNoErrors(b)
        self.assertTrue(any("still in progress" in t for t in b.texts("WARN")), b.dump())


class Loading(PluginTestCase):
    def test_library_from_library_path_argument(self):
        target = Target("load_arg")
        saved = os.environ.pop("PLUGIN_DIR")
        try:
            local = FakeInfluxDB3Local(DB)
            status, _, resp = call_request(self.plugin, local,
                                           {"measurement": "mem", "catalog_configs": target.configs},
                                           trigger(library_path=LIBRARY))
        finally:
            os.environ["PLUGIN_DIR"] = saved
        self.assertEqual(status, 200, resp)

    def test_library_next_to_an_imported_plugin_file(self):
        # a plugin imported as a module has __file__: the .so next to it is found without PLUGIN_DIR
        d = os.path.join(WORK, "imported")
        os.makedirs(d, exist_ok=True)
        shutil.copy(PLUGIN_SRC, d)
        if not os.path.lexists(os.path.join(d, "libinflux2iceberg.so")):
            os.symlink(LIBRARY, os.path.join(d, "libinflux2iceberg.so"))
        spec = importlib.util.spec_from_file_location("influxdb_to_iceberg_imported",
                                                      os.path.join(d, "influxdb_to_iceberg.py"))
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        target = Target("load_file")
        saved = os.environ.pop("PLUGIN_DIR")
        try:
            local = FakeInfluxDB3Local(DB)
            ret = module.process_request(local, {}, {}, json.dumps(
                {"measurement": "disk", "catalog_configs": target.configs}).encode(), trigger())
        finally:
            os.environ["PLUGIN_DIR"] = saved
        self.assertEqual(engine_response(ret)[0], 200, local.dump())

    def test_missing_library_is_a_500_naming_what_was_tried(self):
        local = FakeInfluxDB3Local(DB)
        status, _, resp = call_request(self.plugin, local, {"measurement": "mem", "catalog_configs": {}},
                                       trigger(library_path="/nonexistent/libinflux2iceberg.so"))
        self.assertEqual(status, 500, resp)
        self.assertIn("cannot load libinflux2iceberg.so; tried: /nonexistent/libinflux2iceberg.so",
                      resp["message"])
        local = FakeInfluxDB3Local(DB)
        call_scheduled(self.plugin, local, trigger(measurement="cpu", window="1h", catalog_configs="e30=",
                                                   library_path="/nonexistent/libinflux2iceberg.so"))
        self.assertTrue(any("cannot load libinflux2iceberg.so" in t for t in local.texts("ERROR")))


if __name__ == "__main__":
    unittest.main(verbosity=2)
