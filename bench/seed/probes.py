#!/usr/bin/env python3
"""Small cases that show where the upstream plugin loses data, each run through the same engine
stand-in (engine_harness.py) and through `influx2iceberg replicate`, against one emulator.

    probes.py --plugin PATH --cli PATH --emulator PATH --out DIR

Every probe is a measurement with two days of 10 rows (batch_size 1d, so two batches). Prints one
line per probe:

    seed_probe <name>: plugin wrote P of N rows (answer: 200 "completed"), <failed batches and
    their errors>; ours wrote O of N rows

Observations, not a pass/fail check: the exit status is 1 only if a probe cannot be run at all.
Bench tooling, not product code; runs under tests/interop/.venv.
"""
import argparse
import json
import os
import subprocess
import sys
import time

sys.dont_write_bytecode = True   # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import engine_harness  # noqa: E402

NS = 1_000_000_000
DAY = 86400 * NS
START = 1767225600 * NS        # 2026-01-01T00:00:00Z
TOKEN = "apiv3_seed-probe-token"


def probe_lines():
    """{name: (description, [lines])}"""
    out = {}

    def rows(name, desc, make):
        lines = []
        for d in range(2):
            for i in range(10):
                tags, fields = make(d, i)
                lines.append("%s,%s %s %d" % (name, tags, fields, START + d * DAY + i * NS + 123))
        out[name] = (desc, lines)

    rows("bool_with_nulls", "a boolean field missing from some rows",
         lambda d, i: ("host=h%d" % (i % 2), "v=%d.5" % i + (",flag=%s" % ("true" if i % 2 else "false") if i % 3 else "")))
    rows("null_after_first_batch", "a field in every row of the first batch, missing from some later rows",
         lambda d, i: ("host=h%d" % (i % 2), "v=%d.5" % i + (",load=%d.25" % i if d == 0 or i % 2 else "")))
    rows("tag_null_after_first_batch", "a tag on every row of the first batch, missing from some later rows",
         lambda d, i: ("host=h%d" % (i % 2) + (",rack=r%d" % (i % 3) if d == 0 or i % 2 else ""), "v=%d.5" % i))
    rows("field_absent_from_first_batch", "a float field with no value in the first batch (values later)",
         lambda d, i: ("host=h%d" % (i % 2), "v=%d.5" % i + (",w=%d.5" % i if d == 1 else "")))
    rows("int_above_2p53_with_nulls", "an int64 field with NULLs and values above 2^53",
         lambda d, i: ("host=h%d" % (i % 2), "v=%d.5" % i + (",seq=%di" % (2 ** 60 + 2 * i + 1) if i % 2 else "")))
    return out


def start_emulator(emulator, lp_path, out):
    port_file = os.path.join(out, "port")
    log = open(os.path.join(out, "emulator.log"), "wb")
    p = subprocess.Popen(["python3", emulator, "--port", "0", "--port-file", port_file,
                          "--token", TOKEN, "--load", lp_path, "--database", "probes"], stdout=log, stderr=log)
    for _ in range(600):
        if os.path.exists(port_file) and open(port_file).read().strip():
            return p, "http://127.0.0.1:%s" % open(port_file).read().strip()
        if p.poll() is not None:
            break
        time.sleep(0.05)
    p.kill()
    raise SystemExit("seed_probe: the emulator did not start (see %s/emulator.log)" % out)


def read_table(d, name):
    from pyiceberg.catalog import load_catalog
    cat = load_catalog("iceberg", type="sql", uri="sqlite:///%s/catalog.db" % d, warehouse="file://%s/wh" % d)
    return cat.load_table("default." + name).scan().to_arrow()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--plugin", required=True)
    ap.add_argument("--cli", required=True)
    ap.add_argument("--emulator", required=True)
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    probes = probe_lines()
    lp = os.path.join(a.out, "probes.lp")
    with open(lp, "w") as f:
        for _, lines in probes.values():
            f.write("\n".join(lines) + "\n")
    with open(os.path.join(a.out, "token"), "w") as f:
        f.write(TOKEN + "\n")
    emu, url = start_emulator(a.emulator, lp, a.out)
    try:
        plugin = engine_harness.load_plugin_like_the_engine(a.plugin)
        for name, (desc, lines) in probes.items():
            n = len(lines)
            pd_dir = os.path.join(a.out, "plugin-" + name)
            od_dir = os.path.join(a.out, "ours-" + name)
            os.makedirs(pd_dir, exist_ok=True)
            body = {"measurement": name, "batch_size": "1d",
                    "catalog_configs": {"type": "sql", "uri": "sqlite:///%s/catalog.db" % pd_dir,
                                        "warehouse": "file://%s/wh" % pd_dir},
                    "backfill_start": "2026-01-01T00:00:00+00:00", "backfill_end": "2026-01-03T00:00:00+00:00"}
            with open(os.path.join(pd_dir, "plugin.log"), "w") as log:
                local = engine_harness.InfluxDB3Local(url, "probes", TOKEN, log)
                ret = plugin["process_request"](local, {}, {"content-type": "application/json"},
                                                json.dumps(body).encode(), None)
            status, text = engine_harness.response_of(ret)
            summary = next((d for d in reversed(local.dict_args) if "total_written_records" in d), {})
            failed = [d for d in local.dict_args if d.get("success") is False]
            errs = sorted({str(d.get("error"))[:160] for d in failed})
            extra = ""
            if name == "int_above_2p53_with_nulls" and summary.get("total_written_records"):
                t = read_table(pd_dir, name)
                want = {int(l.split("seq=")[1].split("i")[0]) for l in lines if "seq=" in l}
                got = [v for v in t.column("seq").to_pylist() if v is not None]
                changed = sum(1 for v in got if int(v) not in want)
                extra = "; column seq is %s, %d of %d values changed (e.g. %d -> %d)" % (
                    t.schema.field("seq").type, changed, len(got), min(want), int(min(got)))
            res = subprocess.run([a.cli, "replicate", "--host", url, "--database", "probes",
                                  "--token-file", os.path.join(a.out, "token"), "--measurement", name,
                                  "--catalog-configs", json.dumps({"type": "sql",
                                                                   "uri": "sqlite:///%s/catalog.db" % od_dir,
                                                                   "warehouse": "file://%s/wh" % od_dir}),
                                  "--backfill-start", "2026-01-01T00:00:00Z", "--backfill-end", "2026-01-03T00:00:00Z",
                                  "--batch-size", "1d", "--no-progress", "--log-level", "warn", "--json"],
                                 capture_output=True, text=True)
            try:
                ours = json.loads(res.stdout)["total_written_records"]
            except (ValueError, KeyError):
                ours = "none (exit %d: %s)" % (res.returncode, res.stderr.strip()[:160])
            print("seed_probe %s (%s): plugin wrote %s of %d rows (answer %d, %s), %d failed batch(es)%s%s; ours wrote %s of %d"
                  % (name, desc, summary.get("total_written_records"), n, status,
                     "completed" if "completed" in text else text[:80], len(failed),
                     (": " + " | ".join(errs)) if errs else "", extra, ours, n))
    finally:
        emu.terminate()
        emu.wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())
