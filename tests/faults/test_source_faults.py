"""Source faults end to end: a CLI backfill of many windows while the InfluxDB emulator misbehaves.
Each case ends with the right rows committed after retries, or with a clear error naming what
failed while the windows before it stay committed and the failed window left nothing; a rerun
after the fault then completes every row exactly once.

  retried   500 twice, 503 with Retry-After, connection resets, a stall, a body cut off at a
            chunk boundary and in the middle of a chunk
  refused   a server that keeps answering 500, a malformed JSON line in the stream, a value of
            another type than the column's (the field's type changed mid-backfill)

Run by ctest with the interop venv's python:  test_source_faults.py --cli build/src/cli/influx2iceberg
"""

import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "judges"))
import judgelib as J  # noqa: E402
from judge_pyiceberg import canonical_rows  # noqa: E402
from pyiceberg.catalog.sql import SqlCatalog  # noqa: E402

NS = 1_000_000_000
T0 = 1_775_001_600 * NS  # 2026-04-01
HOUR = 3600 * NS
HOURS = 12
QUERY = "/api/v3/query_sql"


def fault(emu, spec):
    req = urllib.request.Request(emu.url + "/_emulator/fault", data=json.dumps(spec).encode(), method="POST")
    with urllib.request.urlopen(req, timeout=30) as r:
        r.read()


def clear_faults(emu):
    req = urllib.request.Request(emu.url + "/_emulator/fault", method="DELETE")
    with urllib.request.urlopen(req, timeout=30) as r:
        r.read()


def table_rows(wh, name):
    cat = SqlCatalog("faults", uri="sqlite:///%s/catalog.db" % wh, warehouse="file://" + wh)
    tbl = cat.load_table(("default", name))
    schema = tbl.schema()
    return tbl, canonical_rows(tbl.scan().to_arrow(), schema), [f.name for f in schema.fields]


def main():
    a = J.cli_test_args()
    with tempfile.TemporaryDirectory(prefix="i2i-faults-") as tmp:
        f = lambda n: os.path.join(tmp, n)  # noqa: E731
        tok = J.write_secret(f("influx.token"), J.TOKEN)
        # 12 hours, a row per minute per host: 1-hour windows of 180 rows
        J.gen_regular(f("cpu.lp"), f("cpu.json"), "cpu", T0, HOURS * 60, 60 * NS, hosts=3, seed=81)
        _, expected = J.load_expected([f("cpu.json")])
        emu = J.Emulator(tmp)
        try:
            emu.write_lp("fdb", f("cpu.lp"))

            def run(table, label):
                wh = f("wh-" + table)
                os.makedirs(wh, exist_ok=True)
                cfg = {"name": "faults", "type": "sql", "uri": "sqlite:///%s/catalog.db" % wh, "warehouse": wh}
                t = time.time()
                r = subprocess.run([a.cli, "replicate", "--host", emu.url, "--database", "fdb", "--token-file", tok,
                                    "--measurement", "cpu", "--table-name", table, "--catalog-configs", json.dumps(cfg),
                                    "--batch-size", "1h", "--backfill-start", "2026-04-01T00:00:00Z",
                                    "--backfill-end", "2026-04-01T12:00:00Z", "--no-progress", "--json"],
                                   capture_output=True, text=True, timeout=600)
                return r, time.time() - t, wh

            def all_rows_once(table, wh, label):
                _, got, names = table_rows(wh, table)
                J.compare_rows(label, got, J.want_rows(expected, names, "us"))
                return got

            retried = [
                ("500 twice", [{"status": 500, "count": 2, "path": QUERY, "skip": 3}]),
                ("503 + Retry-After 2s", [{"status": 503, "count": 1, "path": QUERY, "skip": 2,
                                          "headers": [["Retry-After", "2"]]}]),
                ("connection reset twice", [{"close": True, "count": 2, "path": QUERY, "skip": 4}]),
                ("stall 1.5 s", [{"delay_ms": 1500, "count": 2, "path": QUERY, "skip": 1}]),
                ("cut at a chunk boundary", [{"truncate_after_bytes": 3000, "count": 1, "path": QUERY, "skip": 5}]),
                ("cut mid-chunk", [{"truncate_after_bytes": 2500, "truncate_mode": "mid_chunk", "count": 1,
                                    "path": QUERY, "skip": 6}]),
            ]
            for i, (label, spec) in enumerate(retried):
                clear_faults(emu)
                fault(emu, spec)
                r, secs, wh = run("r%d" % i, label)
                J.check(r.returncode == 0, "%s: the backfill succeeds after retries (rc %d, %s)"
                        % (label, r.returncode, r.stderr[-500:]))
                if "Retry-After" in label:
                    J.check(secs >= 2.0, "%s: the client waited as told (%.1fs)" % (label, secs))
                if r.returncode == 0:
                    rep = json.loads(r.stdout)
                    J.check(rep["committed_batches"] == HOURS, "%s: %d windows committed" % (label, rep["committed_batches"]))
                    all_rows_once("r%d" % i, wh, label)

            refused = [
                ("a server that keeps answering 500", {"status": 500, "count": -1, "path": QUERY, "skip": 6},
                 ["500", "emulated fault"]),
                ("a malformed line", {"garble_after_bytes": 2000, "count": 1, "path": QUERY, "skip": 6},
                 ["line", "json"]),
                ("a field's type changed", {"garble_after_bytes": 2000, "count": 1, "path": QUERY, "skip": 6,
                                             "garble_line": '{"time":"2026-04-01T05:30:00Z","host":"h0","usage":"high"}'},
                 ["usage"]),
            ]
            for i, (label, spec, words) in enumerate(refused):
                clear_faults(emu)
                fault(emu, spec)
                table = "x%d" % i
                r, _, wh = run(table, label)
                err = r.stderr
                J.check(r.returncode == 1 and all(w.lower() in err.lower() for w in words) and "window" in err,
                        "%s: a clear error naming %s and the window (rc %d, %r)" % (label, words, r.returncode, err[-700:]))
                _, got, names = table_rows(wh, table)
                done = {(int(x["time"]) * 1000 - T0) // HOUR for x in got}
                hours = sorted(done)
                whole = hours == list(range(len(hours))) and len(got) == 180 * len(hours)
                J.check(0 < len(hours) < HOURS and whole,
                        "%s: the windows before the failure stay, each whole; nothing of the failed one "
                        "(%d rows in hours %s)" % (label, len(got), hours))
                J.compare_rows("%s: what was committed" % label, got,
                               [x for x in J.want_rows(expected, names, "us") if (int(x["time"]) * 1000 - T0) // HOUR in done])
                clear_faults(emu)
                r, _, wh = run(table, label + ", rerun")
                J.check(r.returncode == 0 and json.loads(r.stdout or "{}").get("skipped_batches") == len(hours),
                        "%s: the rerun skips the %d committed windows (rc %d, %s)"
                        % (label, len(hours), r.returncode, (r.stdout or r.stderr)[-400:]))
                all_rows_once(table, wh, label + ", after the rerun")
        finally:
            emu.close()
    return J.finish()


if __name__ == "__main__":
    sys.exit(main())
