#!/usr/bin/env python3
"""End to end into the Iceberg project's own REST catalog server: RESTCatalogServer from
iceberg-open-api 1.11.0's test fixtures (the server behind the apache/iceberg-rest-fixture image;
tests/interop/rest-fixture), started on a free port with a JdbcCatalog over SQLite behind it.

    rest_fixture.py --cli PATH/influx2iceberg --fixture tests/interop/rest-fixture/rest-fixture
                    --java tests/interop/java/judge [--case local|s3|all]

local: a local warehouse (the server writes metadata through LocalFileIO). The CLI creates the
table and appends many windows over four runs: a backfill in 6-hour windows, an incremental run
that resumes after the last committed window, a backfill of an older range before the table's
first row, and a run whose rows bring a new field (--auto-update-schema: add-schema and
set-current-schema through the server); plus a table in a two-level namespace (the server's
namespace-separator). Then PyIceberg's RestCatalog and Iceberg Java's
RESTCatalog (the Java judge, which also validates snapshots, summaries, counts and bounds) read
the table through the same server, and every value is compared with the rows written to InfluxDB;
each snapshot is one window we committed.

s3: the server's FileIO is S3FileIO on moto (signature checking on); warehouse s3://..., the CLI
writes with the same s3.* keys, two runs, PyIceberg reads back through the server with those keys.

Each comparison is proved able to fail (a changed value, a lost row and a duplicate are reported).
"""
import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
TESTS = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(TESTS, "judges"))
sys.path.insert(0, os.path.join(TESTS, "storage"))
import judgelib as J  # noqa: E402
import judge_java  # noqa: E402

J.require_pyiceberg()
from judge_pyiceberg import canonical_rows  # noqa: E402
from pyiceberg.catalog.rest import RestCatalog  # noqa: E402

NS = 1_000_000_000
DAY = 86400 * NS
T_2025_01_30 = 1738195200 * NS
STEP = 1800 * NS  # every 30 minutes


class RestFixture:
    """The Iceberg REST fixture (rest-fixture launcher) on a free port, stopped on every exit
    path. RESTCatalogServer binds all interfaces; we only ever talk to it over 127.0.0.1."""

    def __init__(self, launcher, workdir, warehouse, props=()):
        self.launcher, self.workdir, self.warehouse, self.props = launcher, workdir, warehouse, props
        self.proc = None

    def __enter__(self):
        from moto_s3 import free_port
        port = free_port()
        self.uri = "http://127.0.0.1:%d" % port
        cmd = [self.launcher, "--port", str(port), "--warehouse", self.warehouse,
               "--db", os.path.join(self.workdir, "rest-catalog-%d.db" % port)]
        for p in self.props:
            cmd += ["--prop", p]
        self.log = open(os.path.join(self.workdir, "rest-fixture-%d.log" % port), "w+")
        self.proc = subprocess.Popen(cmd, stdout=self.log, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        deadline = time.time() + 90
        while True:
            if self.proc.poll() is not None:
                msg = "FAIL the REST fixture exited (%s):\n%s" % (self.proc.returncode, self.tail())
                self.__exit__(None, None, None)
                raise SystemExit(msg)
            try:
                with urllib.request.urlopen(self.uri + "/v1/config", timeout=2) as r:
                    self.config = json.load(r)
                break
            except OSError:
                if time.time() > deadline:
                    msg = "FAIL the REST fixture did not answer within 90 s:\n" + self.tail()
                    self.__exit__(None, None, None)
                    raise SystemExit(msg)
                time.sleep(0.2)
        return self

    def tail(self):
        self.log.flush()
        self.log.seek(0)
        return self.log.read()[-4000:]

    def __exit__(self, *exc):
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        if exc and exc[0] is not None or J.failures():
            print("--- REST fixture log (tail) ---\n" + self.tail())
        self.log.close()
        return False


def snapshot_windows(tbl):
    """(start, end) ns of every snapshot's window, in metadata order, and whether they chain."""
    snaps = tbl.metadata.snapshots
    chain = all(snaps[i].parent_snapshot_id == snaps[i - 1].snapshot_id for i in range(1, len(snaps)))
    wins = []
    for s in snaps:
        add = s.summary.additional_properties if s.summary else {}
        wins.append((int(add.get("influx2iceberg.window-start", -1)), int(add.get("influx2iceberg.window-end", -1))))
    return wins, chain


def snapshots_added(rep):
    """Snapshots a run added: its committed windows but the empty ones (a properties-only commit
    that only advances the committed range)."""
    return (rep or {}).get("committed_batches", 0) - (rep or {}).get("empty_batches", 0)


def java_read(judge, label, uri, table):
    """Iceberg Java reading `table` through the REST server at uri (tests/judges/judge_java.py)."""
    return judge_java.java_read(judge, label + " (through REST)", ["--rest", uri, "--table", table])


def case_local(a, tmp):
    f = lambda n: os.path.join(tmp, n)  # noqa: E731
    wh = f("warehouse")
    os.makedirs(wh)
    with RestFixture(a.fixture, tmp, wh) as rest:
        J.ok("the fixture's /v1/config overrides: %s" % json.dumps(rest.config.get("overrides")))
        catalog = {"type": "rest", "uri": rest.uri, "warehouse": wh}
        # a: 3 days from 2025-01-30 (backfilled in 6 h windows), b: the next 2 days (incremental),
        # z: 2 days before a (backfill of an older range), c: 1 day after b with a new field
        t_a = T_2025_01_30
        t_b = t_a + 3 * DAY
        t_z = t_a - 2 * DAY
        t_c = t_b + 2 * DAY
        batches = [("a", t_a, 3, 31, None), ("b", t_b, 2, 32, None), ("z", t_z, 2, 33, None),
                   ("c", t_c, 1, 34, "grown field.y")]
        for n, t0, days, seed, extra in batches:
            J.gen_regular(f(n + ".lp"), f(n + ".json"), "cpu", t0, days * 48, STEP, hosts=3,
                          seed=seed, extra_field=extra)
        iso = lambda ns: time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ns // NS))  # noqa: E731
        emu = J.Emulator(tmp)
        windows = 0
        try:
            emu.write_lp("fixdb", f("a.lp"))
            rep = J.cli_replicate(a.cli, emu, "fixdb", "cpu", catalog, ["--batch-size", "6h"],
                                  "fixture: first run (creates the table, 6 h windows)")
            J.check(rep is not None and rep.get("committed_batches", 0) == 12,
                    "first run: the table created and 3 days committed in 12 windows (%s)"
                    % (rep and rep.get("committed_batches")))
            windows += snapshots_added(rep)

            emu.write_lp("fixdb", f("b.lp"))
            rep = J.cli_replicate(a.cli, emu, "fixdb", "cpu", catalog, ["--batch-size", "12h"],
                                  "fixture: incremental run")
            # resumes at the end of the committed range (just after the newest row), so one
            # short window before the 12 h grid
            J.check(rep is not None and rep.get("committed_batches", 0) in (4, 5),
                    "incremental run: resumed after the committed range, 2 days in 4-5 windows (%s)"
                    % (rep and rep.get("committed_batches")))
            windows += snapshots_added(rep)

            emu.write_lp("fixdb", f("z.lp"))
            rep = J.cli_replicate(a.cli, emu, "fixdb", "cpu", catalog,
                                  ["--batch-size", "1d", "--backfill-start", iso(t_z),
                                   "--backfill-end", iso(t_a)],
                                  "fixture: backfill of an older range")
            J.check(rep is not None and rep.get("committed_batches", 0) == 2,
                    "backfill of the 2 days before the first row: 2 windows (%s)"
                    % (rep and rep.get("committed_batches")))
            windows += snapshots_added(rep)

            emu.write_lp("fixdb", f("c.lp"))
            rep = J.cli_replicate(a.cli, emu, "fixdb", "cpu", catalog,
                                  ["--batch-size", "6h", "--auto-update-schema"],
                                  "fixture: run with a new field")
            J.check(rep is not None and rep.get("committed_batches", 0) in (4, 5)
                    and rep.get("columns_added", 0) >= 1,
                    "schema growth: 1 day in 4-5 windows, the new column added (%s windows, %s columns)"
                    % (rep and rep.get("committed_batches"), rep and rep.get("columns_added")))
            windows += snapshots_added(rep)

            # a rerun finds everything committed and commits nothing
            rep = J.cli_replicate(a.cli, emu, "fixdb", "cpu", catalog,
                                  ["--backfill-start", iso(t_z), "--backfill-end", iso(t_c + DAY)],
                                  "fixture: rerun over everything")
            J.check(rep is not None and rep.get("total_written_records", -1) == 0,
                    "a rerun over the whole range writes nothing (%s rows)"
                    % (rep and rep.get("total_written_records")))

            # a two-level namespace: the server announces namespace-separator "%2E" and refuses
            # the default %1F in paths
            rep = J.cli_replicate(a.cli, emu, "fixdb", "cpu", catalog,
                                  ["--namespace", "lvl1.lvl2", "--table-name", "cpu_a",
                                   "--backfill-start", iso(t_a), "--backfill-end", iso(t_b)],
                                  "fixture: two-level namespace")
            J.check(rep is not None and rep.get("committed_batches", 0) == 3,
                    "a table in namespace lvl1.lvl2: 3 days in 3 windows (%s)"
                    % (rep and rep.get("committed_batches")))
        finally:
            emu.close()

        _, rows = J.load_expected([f(n + ".json") for n, *_ in batches])

        # PyIceberg through the same server
        cat = RestCatalog("fixture", uri=rest.uri)
        tbl = cat.load_table(("default", "cpu"))
        J.check(tbl.metadata.location.rstrip("/").endswith("/default/cpu")
                and wh in tbl.metadata.location,
                "the server placed the table in its warehouse (%s)" % tbl.metadata.location)
        schema = tbl.schema()
        names = [fld.name for fld in schema.fields]
        J.check("grown field.y" in names and len(tbl.metadata.schemas) >= 2,
                "the schema grew through the server (%d schemas, columns %s)" % (len(tbl.metadata.schemas), names))
        got = canonical_rows(tbl.scan().to_arrow(), schema)
        want = J.want_rows(rows, names, "us")
        J.compare_rows("pyiceberg over the REST fixture: full scan", got, want)
        J.prove_compare_catches("pyiceberg over the REST fixture", got)
        wins, chain = snapshot_windows(tbl)
        J.check(chain and len(wins) == windows,
                "one snapshot per committed non-empty window, in one chain (%d snapshots, %d windows)" % (len(wins), windows))
        J.check(len(set(wins)) == len(wins) and all(s < e for s, e in wins),
                "every snapshot carries its own window")
        cut = t_c
        old = [r for r in got if int(r["time"]) < cut // 1000]
        new = [r for r in got if int(r["time"]) >= cut // 1000]
        J.check(old and new and all("grown field.y" not in r for r in old)
                and all("grown field.y" in r for r in new),
                "the new column is NULL in the %d older rows and set in the %d newer" % (len(old), len(new)))

        tbl2 = cat.load_table(("lvl1", "lvl2", "cpu_a"))
        schema2 = tbl2.schema()
        _, rows_a = J.load_expected([f("a.json")])
        J.compare_rows("pyiceberg over the REST fixture: table lvl1.lvl2.cpu_a",
                       canonical_rows(tbl2.scan().to_arrow(), schema2),
                       J.want_rows(rows_a, [fld.name for fld in schema2.fields], "us"))

        # Iceberg Java's RESTCatalog through the same server (the judge validates the metadata too)
        header, jgot = java_read(a.java, "java", rest.uri, "default.cpu")
        if header is not None:
            jnames = [fld["name"] for fld in header["schema"]]
            J.check(sorted(jnames) == sorted(names), "java sees the same columns (%s)" % jnames)
            J.check(len(header.get("snapshots", [])) == windows,
                    "java sees %d snapshots" % len(header.get("snapshots", [])))
            J.compare_rows("iceberg java over the REST fixture: full read (metadata validated)", jgot,
                           J.want_rows(rows, jnames, "us"))
            J.prove_compare_catches("iceberg java over the REST fixture", jgot)


def case_s3(a, tmp):
    from moto_s3 import MotoS3
    f = lambda n: os.path.join(tmp, n)  # noqa: E731
    with MotoS3(bucket="i2i-fixture") as s3:
        s3keys = {"s3.endpoint": s3.endpoint, "s3.access-key-id": s3.key_id,
                  "s3.secret-access-key": s3.secret, "s3.region": s3.region}
        props = ["s3.endpoint=" + s3.endpoint, "s3.path-style-access=true",
                 "s3.access-key-id=" + s3.key_id, "s3.secret-access-key=" + s3.secret,
                 "client.region=" + s3.region]
        with RestFixture(a.fixture, tmp, "s3://i2i-fixture/wh", props) as rest:
            catalog = dict(s3keys, **{"type": "rest", "uri": rest.uri, "s3.path-style-access": "true"})
            J.gen_regular(f("s1.lp"), f("s1.json"), "cpu", T_2025_01_30, 2 * 48, STEP, hosts=3, seed=41)
            J.gen_regular(f("s2.lp"), f("s2.json"), "cpu", T_2025_01_30 + 2 * DAY, 48, STEP, hosts=3,
                          seed=42, extra_field="s3 field.z")
            emu = J.Emulator(tmp)
            windows = 0
            try:
                emu.write_lp("s3fixdb", f("s1.lp"))
                rep = J.cli_replicate(a.cli, emu, "s3fixdb", "cpu", catalog, ["--batch-size", "12h"],
                                      "fixture s3: first run")
                J.check(rep is not None and rep.get("committed_batches", 0) == 4,
                        "s3 first run: 2 days in 4 windows (%s)" % (rep and rep.get("committed_batches")))
                windows += snapshots_added(rep)
                emu.write_lp("s3fixdb", f("s2.lp"))
                rep = J.cli_replicate(a.cli, emu, "s3fixdb", "cpu", catalog,
                                      ["--batch-size", "12h", "--auto-update-schema"],
                                      "fixture s3: second run, new field")
                J.check(rep is not None and rep.get("committed_batches", 0) in (2, 3)
                        and rep.get("columns_added", 0) >= 1,
                        "s3 second run: 1 day in 2-3 windows, the new column added (%s)"
                        % (rep and rep.get("committed_batches")))
                windows += snapshots_added(rep)
            finally:
                emu.close()

            keys = [o["Key"] for page in s3.s3.get_paginator("list_objects_v2").paginate(Bucket="i2i-fixture")
                    for o in page.get("Contents", [])]
            J.check(any(k.startswith("wh/default/cpu/metadata/") and k.endswith(".metadata.json") for k in keys)
                    and any(k.startswith("wh/default/cpu/data/") and k.endswith(".parquet") for k in keys),
                    "the server's metadata and our data files are in the bucket (%d objects)" % len(keys))

            cat = RestCatalog("fixture", uri=rest.uri, **s3keys)
            tbl = cat.load_table(("default", "cpu"))
            J.check(tbl.metadata.location.startswith("s3://i2i-fixture/wh/"),
                    "the table lives in the S3 warehouse (%s)" % tbl.metadata.location)
            schema = tbl.schema()
            names = [fld.name for fld in schema.fields]
            got = canonical_rows(tbl.scan().to_arrow(), schema)
            _, rows = J.load_expected([f("s1.json"), f("s2.json")])
            J.compare_rows("pyiceberg over the REST fixture on S3: full scan", got, J.want_rows(rows, names, "us"))
            J.prove_compare_catches("pyiceberg over the REST fixture on S3", got)
            wins, chain = snapshot_windows(tbl)
            J.check(chain and len(wins) == windows,
                    "one snapshot per committed non-empty window, in one chain (%d snapshots, %d windows)"
                    % (len(wins), windows))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cli", required=True)
    ap.add_argument("--fixture", required=True, help="tests/interop/rest-fixture/rest-fixture")
    ap.add_argument("--java", required=True, help="tests/interop/java/judge")
    ap.add_argument("--case", default="all", choices=("local", "s3", "all"))
    a = ap.parse_args()
    for what, path, built in (("REST fixture", a.fixture, os.path.join(os.path.dirname(a.fixture), "target", "lib")),
                              ("Iceberg Java judge", a.java, os.path.join(os.path.dirname(a.java), "target", "judge.jar"))):
        if not os.access(path, os.X_OK) or not os.path.exists(built):
            print("FAIL the %s is not built (%s): run `make deps` (scripts/install-deps.sh)" % (what, path))
            return 2
    with tempfile.TemporaryDirectory(prefix="i2i-rest-fixture-") as tmp:
        if a.case in ("local", "all"):
            os.makedirs(os.path.join(tmp, "local"))
            case_local(a, os.path.join(tmp, "local"))
        if a.case in ("s3", "all"):
            os.makedirs(os.path.join(tmp, "s3"))
            case_s3(a, os.path.join(tmp, "s3"))
    return J.finish()


if __name__ == "__main__":
    sys.exit(main())
