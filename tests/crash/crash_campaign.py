#!/usr/bin/env python3
"""Crash campaign: backfills killed with SIGKILL at seeded fault points, each followed by a rerun.

    crash_campaign.py --cli PATH/influx2iceberg --setup sqlite-local|sql-s3|rest-s3[:K] ...
                      [--points 100] [--seed 1] [--sample K] [--only POINT:N ...] [--keep DIR]

For a set-up (catalog + storage) it
  1. generates a dataset (two days, 48 one-hour windows; sql-s3 adds one window whose data file
     is larger than a 5 MiB multipart part), loads it into the InfluxDB 3 emulator;
  2. runs one reference backfill with I2I_FAULT=count:<file> and reads how often each fault point
     is hit (the points are listed in docs/architecture.md, "Conventions");
  3. spreads --points (point, n) pairs over those hits with the seed: every point that is hit gets
     its share, and its n are stratified over [1, hits] so kills land early, in the middle and at
     the end of the run; --sample K runs a seeded subset of K of them (what ctest runs);
  4. per pair, on a fresh catalog and warehouse: runs the backfill with I2I_FAULT=kill:<point>:<n>
     and requires it to die by SIGKILL; then the table (if one was created yet) must read with
     PyIceberg and with DuckDB and hold exactly the source rows of its committed ranges
     (influx2iceberg.ranges.<source-id>): no duplicate, no partial window; then a rerun without a
     fault must succeed and both readers must see every source row exactly once; then
     `inspect --remove-orphans` deletes the crash's leftovers and a full scan still reads every
     row (no live file was taken for an orphan).
It prints "<point> <n>: ok" (or what failed) per pair and
"crash campaign <setup>: N/M points survived (seed S)"; the exit status is 0 only when all did.

The REST set-up (RestS3 below) runs the Iceberg REST fixture (tests/interop/rest-fixture, built by
`make deps`) through tests/catalog/rest_fixture.py's RestFixture, with S3FileIO on moto."""
import argparse
import base64
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tests", "judges"))
sys.path.insert(0, os.path.join(ROOT, "tests", "storage"))
import judgelib as J  # noqa: E402

J.require_pyiceberg()
from judge_pyiceberg import canonical_rows  # noqa: E402
from pyiceberg.catalog.sql import SqlCatalog  # noqa: E402
from pyiceberg.exceptions import NoSuchTableError  # noqa: E402

NS = 1_000_000_000
HOUR = 3600 * NS
T0 = 1738195200 * NS  # 2025-01-30T00:00:00Z
DAYS = 2
STEP = 300 * NS       # a row per host every 5 minutes: 12 per window and host
HOSTS = ("h01", "h02")
BIG_WINDOW = 30       # the S3 set-ups' multipart window (hours after T0)
BIG_ROWS = 4500
BIG_CHARS = 2000      # random base64 text: ~1.5 KB per row after compression, ~6.5 MB per file
DB, MEAS = "crashdb", "cpu"
COLUMNS = {"time": "ts_us", "host": "string", "usage": "double", "count": "long", "blob": "string"}
RANGE_PREFIX = "influx2iceberg.ranges."


def fmt_time(ns):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ns // NS))


# ----------------------------------------------------------------------------- data set

def escape_str(s):
    return s.replace("\\", "\\\\").replace('"', '\\"')


def make_dataset(lp_path, big, seed=11):
    """Line protocol into lp_path; returns the canonical expected rows, each with "_ns" (its
    source time in ns, for the range checks)."""
    rng = random.Random(seed)
    rows, lines = [], []
    for k in range(DAYS * 24 * HOUR // STEP):
        for h in HOSTS:
            t = T0 + k * STEP
            usage = round(rng.uniform(0, 100), 3)
            count = rng.randrange(-10 ** 12, 10 ** 12)
            lines.append("%s,host=%s usage=%r,count=%di %d" % (MEAS, h, usage, count, t))
            rows.append({"_ns": t, "time": str(t // 1000), "host": h, "usage": J.dbits(usage),
                         "count": str(count)})
    if big:
        for k in range(BIG_ROWS):
            t = T0 + BIG_WINDOW * HOUR + k * (NS // 2)
            blob = base64.b64encode(rng.randbytes(BIG_CHARS * 3 // 4)).decode()
            usage = float(k)
            lines.append('%s,host=big usage=%r,count=%di,blob="%s" %d' % (MEAS, usage, k, escape_str(blob), t))
            rows.append({"_ns": t, "time": str(t // 1000), "host": "big", "usage": J.dbits(usage),
                         "count": str(k), "blob": blob})
    with open(lp_path, "w") as f:
        f.write("\n".join(lines) + "\n")
    return rows


def strip(rows):
    return [{k: v for k, v in r.items() if k != "_ns"} for r in rows]


# ----------------------------------------------------------------------------- set-ups

class SqliteLocal:
    """SQL catalog on SQLite, warehouse on the local disk."""
    name = "sqlite-local"
    big = False

    def __init__(self, tmp):
        self.tmp = tmp

    def configs(self, trial):
        d = os.path.join(self.tmp, trial)
        shutil.rmtree(d, ignore_errors=True)
        os.makedirs(os.path.join(d, "wh"))
        return {"type": "sql", "uri": "sqlite:///" + os.path.join(d, "catalog.db"),
                "warehouse": os.path.join(d, "wh"), "name": "iceberg"}

    def namespace(self, trial):
        return "default"

    def catalog(self, cfg):
        return SqlCatalog("iceberg", uri=cfg["uri"], warehouse=cfg["warehouse"])

    def local_files(self, paths, trial):
        return [J_local(p) for p in paths]

    def close(self):
        pass


def J_local(p):
    return p[len("file://"):] if p.startswith("file://") else p


class SqlS3:
    """SQL catalog on SQLite, warehouse in an S3 bucket on moto (signatures checked)."""
    name = "sql-s3"
    big = True

    def __init__(self, tmp):
        from moto_s3 import MotoS3
        self.tmp = tmp
        self.moto = MotoS3(bucket="crash")
        self.moto.__enter__()
        self.keys = {"s3.endpoint": self.moto.endpoint, "s3.access-key-id": self.moto.key_id,
                     "s3.secret-access-key": self.moto.secret, "s3.region": self.moto.region}

    def configs(self, trial):
        d = os.path.join(self.tmp, trial)
        shutil.rmtree(d, ignore_errors=True)
        os.makedirs(d)
        return dict(self.keys, **{"type": "sql", "uri": "sqlite:///" + os.path.join(d, "catalog.db"),
                                  "warehouse": "s3://crash/" + trial, "name": "iceberg",
                                  "s3.path-style-access": "true",
                                  "s3.multipart.part-size-bytes": str(5 * 1024 * 1024)})

    def namespace(self, trial):
        return "default"

    def catalog(self, cfg):
        return SqlCatalog("iceberg", uri=cfg["uri"], warehouse=cfg["warehouse"], **self.keys)

    def local_files(self, paths, trial):
        """DuckDB reads local copies: its S3 support is an extension this machine may lack."""
        d = os.path.join(self.tmp, trial, "download")
        os.makedirs(d, exist_ok=True)
        out = []
        for i, p in enumerate(paths):
            m = re.match(r"s3a?://([^/]+)/(.+)$", p)
            if not m:
                raise AssertionError("not an S3 location: %s" % p)
            dst = os.path.join(d, "%d.parquet" % i)
            self.moto.s3.download_file(m.group(1), m.group(2), dst)
            out.append(dst)
        return out

    def close(self):
        self.moto.__exit__(None, None, None)


class RestS3(SqlS3):
    """The Iceberg project's REST catalog server (tests/interop/rest-fixture, started through
    tests/catalog/rest_fixture.py's RestFixture) with S3FileIO on the same moto bucket. One server
    for the whole campaign; each trial gets a namespace of its own, so a fresh table. No multipart
    window: our S3 writer does not depend on the catalog, and sql-s3 covers it."""
    name = "rest-s3"
    big = False
    LAUNCHER = os.path.join(ROOT, "tests", "interop", "rest-fixture", "rest-fixture")

    def __init__(self, tmp):
        if not os.path.isdir(os.path.join(os.path.dirname(self.LAUNCHER), "target", "lib")):
            raise SystemExit("FAIL the REST fixture is not built: run `make deps` "
                             "(scripts/install-deps.sh builds tests/interop/rest-fixture)")
        sys.path.insert(0, os.path.join(ROOT, "tests", "catalog"))
        from rest_fixture import RestFixture
        super().__init__(tmp)
        props = ["s3.endpoint=" + self.moto.endpoint, "s3.path-style-access=true",
                 "s3.access-key-id=" + self.moto.key_id, "s3.secret-access-key=" + self.moto.secret,
                 "client.region=" + self.moto.region]
        try:
            self.rest = RestFixture(self.LAUNCHER, tmp, "s3://crash/rest", props).__enter__()
        except BaseException:
            super().close()
            raise

    def configs(self, trial):
        d = os.path.join(self.tmp, trial)
        shutil.rmtree(d, ignore_errors=True)
        os.makedirs(d)
        return dict(self.keys, **{"type": "rest", "uri": self.rest.uri, "s3.path-style-access": "true",
                                  "s3.multipart.part-size-bytes": str(5 * 1024 * 1024)})

    def namespace(self, trial):
        return trial

    def catalog(self, cfg):
        from pyiceberg.catalog.rest import RestCatalog
        return RestCatalog("fixture", uri=self.rest.uri, **self.keys)

    def close(self):
        try:
            self.rest.__exit__(None, None, None)
        finally:
            super().close()


SETUPS = {c.name: c for c in (SqliteLocal, SqlS3, RestS3)}


# ----------------------------------------------------------------------------- runs

def replicate(cli, emu, cfg, ns, fault, token_file, timeout=600):
    cmd = [cli, "replicate", "--host", emu.url, "--database", DB, "--token-file", token_file,
           "--measurement", MEAS, "--catalog-configs", json.dumps(cfg), "--no-progress", "--json",
           "--namespace", ns,
           "--batch-size", "1h", "--backfill-start", fmt_time(T0),
           "--backfill-end", fmt_time(T0 + DAYS * 24 * HOUR)]
    env = dict(os.environ)
    env.pop("I2I_FAULT", None)
    if fault:
        env["I2I_FAULT"] = fault
    return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout)


def parse_ranges(s):
    return [(int(a), int(b)) for a, b in re.findall(r"\[(-?\d+),(-?\d+)\)", s or "")]


def duck_rows(setup, paths, columns, trial):
    files = setup.local_files(paths, trial)
    spec = os.path.join(setup.tmp, trial, "duck.json")
    with open(spec, "w") as f:
        json.dump({"files": files, "columns": {c: COLUMNS[c] for c in columns}}, f)
    p = subprocess.run(["node", os.path.join(HERE, "duck_rows.mjs"), spec], capture_output=True,
                       text=True, timeout=300)
    if p.returncode != 0:
        raise AssertionError("DuckDB could not read the table's files: %s" % p.stderr[-1500:])
    return [json.loads(line) for line in p.stdout.splitlines() if line]


def diff(got, want):
    return J._diff(got, want)


def read_table(setup, cfg, trial, duck=True):
    """(rows per PyIceberg, rows per DuckDB (None unless duck), committed ranges), or None
    without a table."""
    cat = setup.catalog(cfg)
    try:
        tbl = cat.load_table((setup.namespace(trial), MEAS))
    except NoSuchTableError:
        return None
    ranges = []
    for k, v in tbl.properties.items():
        if k.startswith(RANGE_PREFIX):
            ranges += parse_ranges(v)
    schema = tbl.schema()
    scan = tbl.scan()
    py = canonical_rows(scan.to_arrow(), schema)
    paths = [t.file.file_path for t in scan.plan_files()]
    dk = duck_rows(setup, paths, [fld.name for fld in schema.fields], trial) if duck else None
    return py, dk, ranges


def check_state(setup, cfg, trial, rows, full, duck=True):
    """Problems (a list of messages) with the table after a killed run (full=False: exactly the
    rows of the committed ranges) or after the rerun (full=True: every row)."""
    try:
        got = read_table(setup, cfg, trial, duck)
    except Exception as e:  # an unreadable table is what the campaign looks for
        return ["the table cannot be read: %s: %s" % (type(e).__name__, str(e)[:1500])]
    if got is None:
        return ["no table after the rerun"] if full else []
    py, dk, ranges = got
    if full:
        want = strip(rows)
        if ranges != [(T0, T0 + DAYS * 24 * HOUR)]:
            return ["committed ranges after the rerun are %r, not the whole backfill" % ranges]
    else:
        want = strip(r for r in rows if any(a <= r["_ns"] < b for a, b in ranges))
    out = ["PyIceberg: " + m for m in diff(py, want)]
    if duck:
        out += ["DuckDB: " + m for m in diff(dk, want)]
    return out


def remove_orphans(cli, cfg, ns):
    """The killed run's files that no snapshot references are orphans: inspect lists and removes
    them (1 s minimum age, the shortest the CLI takes: no writer is running here). Problems as
    messages."""
    p = subprocess.run([cli, "inspect", "--table-name", MEAS, "--namespace", ns,
                        "--catalog-configs", json.dumps(cfg),
                        "--remove-orphans", "--orphan-min-age", "1s"],
                       capture_output=True, text=True, timeout=300)
    if p.returncode != 0:
        return ["inspect --remove-orphans exited %d: %s" % (p.returncode, (p.stdout + p.stderr)[-1500:])]
    return []


# ----------------------------------------------------------------------------- points

def plan_points(counts, total, seed):
    """(point, n) pairs: each point that is hit gets an equal share of `total` (at most its hit
    count; what it cannot use goes to the others), its n stratified over [1, hits]."""
    rng = random.Random(seed)
    cands = sorted(p for p, c in counts.items() if c > 0)
    alloc = {p: 0 for p in cands}
    left = total
    while left > 0:
        moved = False
        for p in cands:
            if left > 0 and alloc[p] < counts[p]:
                alloc[p] += 1
                left -= 1
                moved = True
        if not moved:
            break
    pairs = []
    for p in cands:
        k, c = alloc[p], counts[p]
        if k == 0:
            continue
        ns = {1 + int((i + rng.random()) * c / k) for i in range(k)}
        spare = [n for n in range(1, c + 1) if n not in ns]
        rng.shuffle(spare)
        while len(ns) < k:
            ns.add(spare.pop())
        pairs += [(p, n) for n in sorted(ns)]
    return pairs


def check_fault_parsing(cli):
    """I2I_FAULT is parsed strictly: a malformed value stops the CLI with exit 2 and a message
    before anything runs (a typo must never turn a crash test into a clean run)."""
    bad = {"kill:no.such.point:1": "unknown point 'no.such.point'",
           "kill:storage.before-put:0": "kill:<point>:<n> (n >= 1)",
           "kill:storage.before-put:3x": "kill:<point>:<n> (n >= 1)",
           "kill:storage.before-put": "kill:<point>:<n> (n >= 1)",
           "count:": "kill:<point>:<n> (n >= 1)",
           "crash": "kill:<point>:<n> (n >= 1)"}
    for value, want in bad.items():
        p = subprocess.run([cli, "replicate", "--measurement", MEAS], capture_output=True, text=True,
                           env=dict(os.environ, I2I_FAULT=value), timeout=60)
        if p.returncode != 2 or want not in p.stderr:
            raise SystemExit("FAIL I2I_FAULT=%s: exit %d, stderr %r (want exit 2 and %r)" % (
                value, p.returncode, p.stderr[-500:], want))
    print("I2I_FAULT: %d malformed values refused with exit 2" % len(bad), flush=True)


def run_setup(a, cli, name, sample):
    """One set-up's campaign; returns the failed (point, n) pairs."""
    started = time.time()
    tmp = os.path.join(a.keep, name) if a.keep else tempfile.mkdtemp(prefix="i2i-crash-")
    os.makedirs(tmp, exist_ok=True)
    token_file = os.path.join(tmp, "token")
    with open(token_file, "w") as f:
        f.write(J.TOKEN + "\n")
    setup = SETUPS[name](tmp)
    emu = None
    survived, failed = 0, []
    try:
        emu = J.Emulator(tmp)
        rows = make_dataset(os.path.join(tmp, "data.lp"), setup.big)
        emu.write_lp(DB, os.path.join(tmp, "data.lp"))

        # the reference run: hit counts, and the campaign's baseline must itself be right
        cfg = setup.configs("reference")
        counts_file = os.path.join(tmp, "counts.txt")
        p = replicate(cli, emu, cfg, setup.namespace("reference"), "count:" + counts_file, token_file)
        if p.returncode != 0:
            raise SystemExit("FAIL the reference run exited %d: %s" % (p.returncode, p.stderr[-3000:]))
        counts = {}
        with open(counts_file) as f:
            for line in f:
                point, n = line.split()
                counts[point] = int(n)
        problems = check_state(setup, cfg, "reference", rows, True)
        if problems:
            raise SystemExit("FAIL the reference run's table is wrong: %s" % "; ".join(problems))
        print("crash campaign %s: %d source rows, %d windows; reference run hits: %s" % (
            name, len(rows), DAYS * 24, ", ".join("%s %d" % kv for kv in sorted(counts.items()))),
            flush=True)
        if setup.big and counts.get("s3.multipart.part", 0) == 0:
            raise SystemExit("FAIL no multipart upload in the reference run: the big window's file "
                             "is smaller than a part")

        if a.only:
            pairs = [(s.rsplit(":", 1)[0], int(s.rsplit(":", 1)[1])) for s in a.only]
        else:
            pairs = plan_points(counts, a.points, a.seed)
            if sample and sample < len(pairs):
                pairs = sample_pairs(pairs, counts, sample, a.seed)
        print("points (%d, seed %d): %s" % (len(pairs), a.seed, " ".join("%s:%d" % pn for pn in pairs)),
              flush=True)

        for i, (point, n) in enumerate(pairs):
            trial = "t%03d" % i
            cfg = setup.configs(trial)
            t = time.time()
            problems = []
            p = replicate(cli, emu, cfg, setup.namespace(trial), "kill:%s:%d" % (point, n), token_file)
            if p.returncode != -9:
                problems.append("the run was not killed (exit %d): %s" % (p.returncode, p.stderr[-1500:]))
            elif "I2I_FAULT: killed at %s hit %d\n" % (point, n) not in p.stderr:
                # SIGKILL from elsewhere (the OOM killer) is not the point under test
                problems.append("killed, but not by I2I_FAULT at %s hit %d: %s" % (point, n, p.stderr[-1500:]))
            else:
                problems += ["after the kill: " + m for m in check_state(setup, cfg, trial, rows, False)]
                r = replicate(cli, emu, cfg, setup.namespace(trial), None, token_file)
                if r.returncode != 0:
                    problems.append("the rerun exited %d: %s" % (r.returncode, r.stderr[-2000:]))
                else:
                    problems += ["after the rerun: " + m for m in check_state(setup, cfg, trial, rows, True)]
                if not problems:
                    # removing the crash's orphans must leave every live file in place (a full
                    # scan reads each one)
                    problems += remove_orphans(cli, cfg, setup.namespace(trial))
                    problems += ["after removing orphans: " + m
                                 for m in check_state(setup, cfg, trial, rows, True, duck=False)]
            if problems:
                failed.append((point, n))
                print("%s %d: FAIL (%.1fs)\n  %s" % (point, n, time.time() - t, "\n  ".join(problems)),
                      flush=True)
            else:
                survived += 1
                print("%s %d: ok (%.1fs)" % (point, n, time.time() - t), flush=True)
                if not a.keep:
                    shutil.rmtree(os.path.join(tmp, trial), ignore_errors=True)
    finally:
        if emu:
            emu.close()
        setup.close()
        if not a.keep:
            shutil.rmtree(tmp, ignore_errors=True)
    print("crash campaign %s: %d/%d points survived (seed %d), %.0fs" % (
        name, survived, survived + len(failed), a.seed, time.time() - started), flush=True)
    if failed:
        print("failed: " + " ".join("%s:%d" % pn for pn in failed), flush=True)
    return failed


def sample_pairs(pairs, counts, k, seed):
    """k of the pairs, one point at a time round-robin, the rarest points first (a point hit once
    or twice, like a multipart completion, is a code path of its own that a uniform sample of a
    few pairs would usually miss), each pick a seeded random n of that point."""
    rng = random.Random(seed * 7919 + 1)
    groups = {}
    for p, n in pairs:
        groups.setdefault(p, []).append(n)
    for ns in groups.values():
        rng.shuffle(ns)
    order = sorted(groups, key=lambda p: (counts[p], p))
    out = []
    while len(out) < k:
        for p in order:
            if len(out) < k and groups[p]:
                out.append((p, groups[p].pop()))
    return sorted(out)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cli", required=True)
    ap.add_argument("--setup", required=True, action="append",
                    help="NAME or NAME:K (a sample of K pairs for this set-up); repeatable")
    ap.add_argument("--points", type=int, default=100)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--sample", type=int, default=0, help="run a seeded sample of this many pairs")
    ap.add_argument("--only", action="append", default=[], help="POINT:N, instead of the plan")
    ap.add_argument("--keep", help="keep the work directories under this one")
    a = ap.parse_args()
    cli = os.path.abspath(a.cli)
    runs = []
    for s in a.setup:
        name, _, k = s.partition(":")
        if name not in SETUPS:
            ap.error("--setup %s: set-ups are %s" % (name, ", ".join(sorted(SETUPS))))
        runs.append((name, int(k) if k else a.sample))
    check_fault_parsing(cli)
    failed = 0
    for name, sample in runs:
        failed += len(run_setup(a, cli, name, sample))
    return 0 if not failed else 1


if __name__ == "__main__":
    sys.exit(main())
