"""Concurrency across processes: two `influx2iceberg serve` processes with the same jobs (the same
stream into the same table, every second) while a CLI backfill of the same stream runs, and jobs
on different tables next to them. Afterwards every source row is in each table exactly once,
every snapshot's parent is the one before it (one linear chain), and every window was committed
by exactly one of the writers.

Run by ctest with the interop venv's python:  test_service_concurrency.py --cli <influx2iceberg>
"""

import json
import os
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "judges"))
sys.path.insert(0, HERE)
import judgelib as J  # noqa: E402
from test_service import Service, free_port, API_TOKEN, read_table  # noqa: E402

NS = 1_000_000_000


def config(port, emu, d):
    jobs = ""
    for name, m in (("shared", "cpu"), ("own_a", "mem"), ("own_b", "disk")):
        jobs += ('\n[jobs.%s]\ntrigger = "every:1s"\nmeasurement = "%s"\nwindow = "6h"\nlag = "1s"\n'
                 'batch_size = "20min"\n[jobs.%s.catalog_configs]\nname = "svc"\ntype = "sql"\n'
                 'uri = "sqlite:///%s/catalog.db"\nwarehouse = "%s"\n' % (name, m, name, d, d))
    return """[server]
port = %d
token_file = "api.token"
[influxdb]
host = "%s"
database = "cdb"
token_file = "influx.token"
%s""" % (port, emu.url, jobs)


def main():
    a = J.cli_test_args()
    with tempfile.TemporaryDirectory(prefix="i2i-svc-conc-") as tmp:
        f = lambda n: os.path.join(tmp, n)  # noqa: E731
        J.write_secret(f("api.token"), API_TOKEN)
        J.write_secret(f("influx.token"), J.TOKEN)
        now = time.time_ns()
        # 5 hours up to a few minutes ago, 20-minute windows: 15+ windows to race for
        for m, seed in (("cpu", 71), ("mem", 72), ("disk", 73)):
            J.gen_regular(f(m + ".lp"), f(m + ".json"), m, now - 5 * 3600 * NS, 280, 60 * NS, hosts=3, seed=seed)
        emu = J.Emulator(tmp)
        d = f("wh")
        os.makedirs(d)
        svcs = []
        try:
            for m in ("cpu", "mem", "disk"):
                emu.write_lp("cdb", f(m + ".lp"))
            os.makedirs(f("a"))
            os.makedirs(f("b"))
            for sub in ("a", "b"):
                for tok in ("api.token", "influx.token"):
                    os.link(f(tok), f(sub + "/" + tok))
            svcs.append(Service(a.cli, f("a"), config(free_port(), emu, d)))
            svcs.append(Service(a.cli, f("b"), config(free_port(), emu, d)))
            # a CLI backfill of the same stream at the same time, in other windows (1h)
            cfg = {"name": "svc", "type": "sql", "uri": "sqlite:///%s/catalog.db" % d, "warehouse": d}
            cli = subprocess.run([a.cli, "replicate", "--host", emu.url, "--database", "cdb", "--token-file",
                                  f("influx.token"), "--measurement", "cpu", "--catalog-configs", json.dumps(cfg),
                                  "--batch-size", "1h", "--no-progress", "--json"],
                                 capture_output=True, text=True, timeout=300)
            J.check(cli.returncode == 0, "the CLI backfill next to two services succeeds (rc %d, %s)"
                    % (cli.returncode, cli.stderr[-600:]))
            deadline = time.time() + 120
            want = {"shared": 280 * 3, "own_a": 280 * 3, "own_b": 280 * 3}
            while time.time() < deadline:
                tot = {}
                for s in svcs:
                    for j in s.json("GET", "/api/v3/engine/jobs")[1].get("jobs", []):
                        tot[j["id"]] = tot.get(j["id"], 0) + j["totals"]["rows"]
                if all(tot.get(k, 0) >= v for k, v in want.items() if k != "shared"):
                    break
                time.sleep(0.5)
            time.sleep(3)  # more fires of every job in both processes, with nothing new to copy
            for s in svcs:
                J.check(s.stop() == 0, "serve stopped cleanly")
            svcs = []
            ran = sum(1 for s in ("a", "b") for line in open(f(s + "/svc.log")) if "scheduled call at" in line)
            J.check(ran >= 6, "the jobs fired in both processes (%d scheduled calls)" % ran)
            raced = sum(1 for s in ("a", "b") for line in open(f(s + "/svc.log"))
                        if "earlier run" in line or "conflict" in line or "already committed" in line)
            J.ok("log lines about windows another writer had committed first: %d" % raced)
        finally:
            for s in svcs:
                s.stop()
            emu.close()

        for table, m in (("cpu", "cpu"), ("mem", "mem"), ("disk", "disk")):
            tbl, schema, got = read_table(d, table)
            _, rows = J.load_expected([f(m + ".json")])
            J.compare_rows("table %s after two services%s" % (table, " and a CLI" if m == "cpu" else ""), got,
                           J.want_rows(rows, [fl.name for fl in schema.fields], "us"))
            snaps = tbl.inspect.snapshots().to_pylist()
            chain = all(snaps[i]["parent_id"] == snaps[i - 1]["snapshot_id"] for i in range(1, len(snaps)))
            J.check(chain, "table %s: %d snapshots in one linear chain" % (table, len(snaps)))
            sums = [dict(s["summary"] or []) for s in snaps]
            windows = [(x["influx2iceberg.window-start"], x["influx2iceberg.window-end"])
                       for x in sums if "influx2iceberg.window-start" in x]
            spans = sorted((int(x), int(y)) for x, y in windows)
            overlap = any(spans[i][0] < spans[i - 1][1] for i in range(1, len(spans)))
            J.check(not overlap, "table %s: no two snapshots cover the same time (%d windows)" % (table, len(spans)))
    return J.finish()


if __name__ == "__main__":
    sys.exit(main())
