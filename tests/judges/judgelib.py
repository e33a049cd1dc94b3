"""Shared by the judge tests: the emulator, datasets, the CLI, and comparing what a reader returned
with the rows that were written.

Rows are compared as multisets of canonical rows (dicts keyed by Iceberg column name, NULL = key
absent), the form tests/replicate/datasets.py writes its expected files in:

    time                     decimal string in the table's unit (us for timestamp, ns for
                             timestamp_ns); the expected ns are floored to us for v2 tables
    long                     decimal string
    double                   16 hex digits of the IEEE-754 bits, "NaN" for NaN
    string, boolean          as JSON

Every judge (PyIceberg here, Iceberg Java via its reader's JSON lines, Spark) produces that form and
calls compare_rows, so a difference is reported the same way whichever reader saw it.
"""

import collections
import json
import os
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
EMULATOR = os.path.join(ROOT, "tests", "emulator", "influxdb3_emulator.py")
DATASETS = os.path.join(ROOT, "tests", "replicate", "datasets.py")
TOKEN = "apiv3_judges-token-5b1e07"

_failures = 0


def check(cond, msg):
    """Record a failed check (printed at once); returns cond."""
    global _failures
    if not cond:
        _failures += 1
        print("FAIL " + msg, flush=True)
    return cond


def ok(msg):
    print("ok   " + msg, flush=True)


def failures():
    return _failures


def finish():
    """Exit 0 when every check passed, 1 otherwise, with a closing line ctest shows."""
    if _failures:
        print("%d check(s) FAILED" % _failures, flush=True)
        sys.exit(1)
    print("ALL CHECKS PASSED", flush=True)
    sys.exit(0)


# ----------------------------------------------------------------------------- canonical values

def dbits(x):
    if x != x:
        return "NaN"
    return struct.pack(">d", x).hex()


def floor_div(a, b):
    return a // b  # Python floors toward -inf, which is what the writer does for pre-1970 ns


def load_expected(paths):
    """The rows and column kinds of one or more datasets.py expected files (concatenated)."""
    cols, rows = {}, []
    for p in paths:
        with open(p, encoding="utf-8") as f:
            e = json.load(f)
        cols.update(e["columns"])
        rows.extend(e["rows"])
    return cols, rows


def want_rows(rows, columns, time_unit, start=None, end=None):
    """Expected rows projected on `columns` (table column names), time in the table's unit, and
    restricted to [start, end) in that unit when given."""
    out = []
    for r in rows:
        t = int(r["time"])
        tu = t if time_unit == "ns" else floor_div(t, 1000)
        if start is not None and not (start <= tu < end):
            continue
        o = {}
        for c in columns:
            v = r.get(c)
            if v is None:
                continue
            o[c] = str(tu) if c == "time" else v
        out.append(o)
    return out


def _key(row):
    return json.dumps(row, sort_keys=True, ensure_ascii=False)


def _diff(got, want):
    """The problems between two multisets of canonical rows, as messages (empty when equal)."""
    a = collections.Counter(_key(r) for r in got)
    b = collections.Counter(_key(r) for r in want)
    missing = b - a
    extra = a - b
    dups = sum(1 for k, n in a.items() if k in b and n > b[k])
    cut = lambda s: s if len(s) <= 400 else s[:400] + "..."
    out = []
    if len(got) != len(want):
        out.append("%d rows read, %d expected" % (len(got), len(want)))
    if dups:
        out.append("%d row(s) read more often than written (duplicates)" % dups)
    if missing:
        out.append("%d expected row(s) not read, e.g.\n     %s" % (
            sum(missing.values()), "\n     ".join(cut(k) for k in list(missing)[:3])))
    if extra:
        out.append("%d row(s) read that were not expected, e.g.\n     %s" % (
            sum(extra.values()), "\n     ".join(cut(k) for k in list(extra)[:3])))
    return out


def compare_rows(label, got, want):
    """Multiset equality of canonical rows; reports count, duplicates, missing and extra rows."""
    problems = _diff(got, want)
    for p in problems:
        check(False, "%s: %s" % (label, p))
    if not problems:
        ok("%s: %d rows equal" % (label, len(got)))
    return not problems


def prove_compare_catches(label, rows):
    """The comparison is not blind: one changed value, one lost row and one duplicated row in the
    expected side are each reported."""
    if len(rows) < 2:
        return check(False, "%s: too few rows to prove the comparison" % label)
    changed = [dict(r) for r in rows]
    k = next(c for c in changed[0] if c != "time")
    changed[0][k] = "<changed>"
    for name, variant in (("a changed value", changed), ("a lost row", rows[1:]), ("a duplicate", rows + rows[:1])):
        check(bool(_diff(rows, variant)), "%s: the comparison reports %s" % (label, name))
    ok("%s: the comparison reports a changed value, a lost row and a duplicate" % label)


# ----------------------------------------------------------------------------- processes

def run(cmd, env=None, timeout=600, check_rc=True, label=None):
    """Run a command; returns (rc, stdout, stderr). A non-zero exit is a failed check when
    check_rc."""
    p = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout)
    if check_rc and p.returncode != 0:
        check(False, "%s exited %d\n  stdout: %s\n  stderr: %s" % (
            label or " ".join(cmd[:3]), p.returncode, p.stdout[-2000:], p.stderr[-4000:]))
    return p.returncode, p.stdout, p.stderr


class Emulator:
    """Our InfluxDB 3 emulator on a free loopback port, stopped on close()."""

    def __init__(self, workdir):
        self.port_file = os.path.join(workdir, "emulator.port")
        self.log = open(os.path.join(workdir, "emulator.log"), "w")
        # the emulator needs only the standard library and sqlite3: any python3 runs it
        self.proc = subprocess.Popen([sys.executable, EMULATOR, "--port", "0", "--port-file", self.port_file,
                                      "--token", TOKEN], stdout=self.log, stderr=self.log)
        deadline = time.time() + 30
        while not os.path.exists(self.port_file):
            if self.proc.poll() is not None or time.time() > deadline:
                raise RuntimeError("the emulator did not start; see %s" % self.log.name)
            time.sleep(0.05)
        with open(self.port_file) as f:
            self.url = "http://127.0.0.1:%d" % int(f.read().strip())

    def write_lp(self, db, path, chunk_lines=20000):
        with open(path, "rb") as f:
            lines = f.read().split(b"\n")
        for i in range(0, len(lines), chunk_lines):
            body = b"\n".join(lines[i:i + chunk_lines]).strip(b"\n")
            if not body:
                continue
            req = urllib.request.Request("%s/api/v3/write_lp?db=%s&precision=nanosecond" % (self.url, db),
                                         data=body, method="POST",
                                         headers={"Authorization": "Bearer " + TOKEN})
            with urllib.request.urlopen(req, timeout=120) as r:
                r.read()

    def close(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        self.log.close()


def gen_edge(lp, expected):
    run([sys.executable, DATASETS, "edge", "--lp", lp, "--expected", expected])


def gen_regular(lp, expected, measurement, start_ns, count, step_ns, hosts=3, seed=7, extra_field=None):
    cmd = [sys.executable, DATASETS, "regular", "--lp", lp, "--expected", expected, "--measurement", measurement,
           "--start-ns", str(start_ns), "--count", str(count), "--step-ns", str(step_ns), "--hosts", str(hosts),
           "--seed", str(seed)]
    if extra_field:
        cmd += ["--extra-field", extra_field]
    run(cmd)


def gen_pages(lp, expected, measurement, start_ns, count, step_ns, seed=7):
    run([sys.executable, DATASETS, "pages", "--lp", lp, "--expected", expected, "--measurement", measurement,
         "--start-ns", str(start_ns), "--count", str(count), "--step-ns", str(step_ns), "--seed", str(seed)])


def cli_replicate(cli, emu, db, measurement, catalog_configs, extra, label):
    """influx2iceberg replicate against the emulator, the token in a file (never on the command
    line). Returns the CLI's --json report, or None after a failed check."""
    with tempfile.NamedTemporaryFile("w", delete=False, suffix=".token") as tf:
        tf.write(TOKEN + "\n")
    try:
        cmd = [cli, "replicate", "--host", emu.url, "--database", db, "--token-file", tf.name,
               "--measurement", measurement, "--catalog-configs", json.dumps(catalog_configs),
               "--no-progress", "--json"] + list(extra)
        rc, out, err = run(cmd, label="%s: influx2iceberg replicate" % label)
    finally:
        os.unlink(tf.name)
    if rc != 0:
        return None
    try:
        return json.loads(out)
    except ValueError:
        check(False, "%s: the CLI's --json output is not JSON: %r" % (label, out[:500]))
        return None


def cli_test_args():
    """The --cli argument (the influx2iceberg binary) every end-to-end test script takes."""
    import argparse
    ap = argparse.ArgumentParser()
    ap.add_argument("--cli", required=True)
    return ap.parse_args()


def write_secret(path, value):
    """A token file as the CLI and the service read it (one line); returns path."""
    with open(path, "w") as fh:
        fh.write(value + "\n")
    return path


def fresh_warehouse(out):
    """An empty out/warehouse for one SQLite SQL catalog. Returns (out, catalog): catalog has the
    CLI's catalog_configs keys (type, uri, warehouse, name) plus sqlite (the file's path), which
    the judges use to open the same catalog."""
    out = os.path.abspath(out)
    shutil.rmtree(out, ignore_errors=True)
    wh = os.path.join(out, "warehouse")
    os.makedirs(wh)
    db = os.path.join(wh, "catalog.db")
    return out, {"type": "sql", "uri": "sqlite:///" + db, "warehouse": wh, "name": "iceberg", "sqlite": db}


def catalog_configs(catalog):
    """The catalog_configs the CLI is given for a fresh_warehouse catalog."""
    return {k: catalog[k] for k in ("type", "uri", "warehouse", "name")}


def venv_python():
    return os.path.join(ROOT, "tests", "interop", ".venv", "bin", "python")


def require_pyiceberg():
    try:
        import pyiceberg  # noqa: F401
        import pyarrow  # noqa: F401
    except ImportError as e:
        print("FAIL PyIceberg/pyarrow are missing (%s): run `make deps` (scripts/install-deps.sh creates "
              "tests/interop/.venv) and run this with %s" % (e, venv_python()))
        sys.exit(2)
