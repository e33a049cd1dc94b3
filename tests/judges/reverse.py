#!/usr/bin/env python3
"""The other direction: tables created and appended by PyIceberg (and by Iceberg Java when its
judge is built) are then appended to by influx2iceberg and read back by them; nothing of theirs is
lost or rewritten.

    reverse.py --cli build/src/cli/influx2iceberg --out DIR [--java tests/interop/java/judge]

For each producer (PyIceberg; Java with --java):
  1. it creates default.<producer>_made in the shared SQLite catalog, with its own partition spec
     (day(time) + identity(host), its own field names and ids), a sort order and properties, the
     columns all optional as the upstream plugin's pandas-made tables are, and appends the first two
     days of a measurement in two commits;
  2. `influx2iceberg replicate` appends the next two days (the same measurement, from InfluxDB);
  3. the producer appends a fifth day on top of our commit;
  4. every reader (PyIceberg, and Java when built) reads all five days, every value compared;
     the producer's snapshots (ids, parents, sequence numbers, summaries), schema and field ids,
     partition specs, sort orders and properties are all still there, one snapshot chain, and our
     data files carry the table's own spec and correct partition values.
"""

import argparse
import datetime
import json
import os
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import judgelib as J  # noqa: E402

J.require_pyiceberg()
import pyarrow as pa  # noqa: E402
from pyiceberg.catalog.sql import SqlCatalog  # noqa: E402
from pyiceberg.partitioning import PartitionField, PartitionSpec  # noqa: E402
from pyiceberg.schema import Schema  # noqa: E402
from pyiceberg.table.sorting import SortField, SortOrder  # noqa: E402
from pyiceberg.transforms import DayTransform, IdentityTransform  # noqa: E402
from pyiceberg.types import BooleanType, DoubleType, LongType, NestedField, StringType, TimestampType  # noqa: E402

import judge_pyiceberg as JP  # noqa: E402

NS = 1_000_000_000
DAY = 86400 * NS
T0 = 1746057600 * NS  # 2025-05-01T00:00:00Z
COLUMNS = [("time", TimestampType()), ("host", StringType()), ("region", StringType()), ("usage", DoubleType()),
           ("count", LongType()), ("msg", StringType()), ("ok", BooleanType())]


def rows_between(rows, start_ns, end_ns):
    return [r for r in rows if start_ns <= int(r["time"]) < end_ns]


def arrow_from_rows(rows, schema):
    """datasets.py rows -> an Arrow table in the Iceberg schema's column order (time floored to µs)."""
    data = {}
    for f in schema.fields:
        vals = []
        for r in rows:
            v = r.get(f.name)
            if v is None:
                vals.append(None)
            elif f.name == "time":
                vals.append(J.floor_div(int(v), 1000))
            elif isinstance(f.field_type, LongType):
                vals.append(int(v))
            elif isinstance(f.field_type, DoubleType):
                vals.append(struct.unpack(">d", bytes.fromhex(v))[0])
            else:
                vals.append(v)
        typ = {"time": pa.timestamp("us")}.get(f.name) or {
            LongType: pa.int64(), DoubleType: pa.float64(), StringType: pa.string(), BooleanType: pa.bool_()}[type(f.field_type)]
        data[f.name] = pa.array(vals, type=typ)
    return pa.table(data)


def pyiceberg_create(catalog, name, rows_parts):
    schema = Schema(*[NestedField(i + 1, n, t, required=False) for i, (n, t) in enumerate(COLUMNS)])
    spec = PartitionSpec(PartitionField(source_id=1, field_id=1000, transform=DayTransform(), name="ts_day"),
                         PartitionField(source_id=2, field_id=1001, transform=IdentityTransform(), name="host"))
    order = SortOrder(SortField(source_id=1, transform=IdentityTransform()))
    try:
        catalog.create_namespace("default")
    except Exception:  # noqa: BLE001 - it may exist
        pass
    tbl = catalog.create_table(("default", name), schema=schema, partition_spec=spec, sort_order=order,
                               properties={"owner": "pyiceberg", "write.parquet.compression-codec": "snappy",
                                           "commit.retry.num-retries": "7"})
    for part in rows_parts:
        tbl.append(arrow_from_rows(part, tbl.schema()))
    return catalog.load_table(("default", name))


def pyiceberg_append(catalog, name, rows):
    tbl = catalog.load_table(("default", name))
    tbl.append(arrow_from_rows(rows, tbl.schema()))


def java_cmd(judge, *args):
    """judge: the Iceberg Java judge's wrapper script (tests/interop/java/judge)."""
    return [judge] + list(args)


def java_create(judge, cat, name, rows, workdir, append=False, commits=1):
    """Java creates the table and appends rows in `commits` commits, or (append) adds them to it."""
    schema = [{"name": n, "type": "timestamp" if n == "time" else str(t), "required": False} for n, t in COLUMNS]
    sp = os.path.join(workdir, name + ".schema.json")
    with open(sp, "w") as f:
        json.dump(schema, f)
    rp = os.path.join(workdir, "%s.%s.jsonl" % (name, "append" if append else "create"))
    with open(rp, "w", encoding="utf-8") as f:
        for r in J.want_rows(rows, [n for n, _ in COLUMNS], "us"):
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
    args = ["--sqlite", cat["sqlite"], "--catalog-name", cat["name"], "--warehouse", cat["warehouse"],
            "--table", "default." + name, "--rows", rp, "--schema", sp, "--commits", str(commits)]
    if append:
        args += ["--append", "true"]
    else:
        args += ["--partition", "day(time),identity(host)", "--sort", "time",
                 "--properties", "owner=java,write.parquet.compression-codec=snappy,commit.retry.num-retries=7"]
    J.run(java_cmd(judge, "create", *args), label="java %s %s" % ("append to" if append else "create", name))


def java_read(cp, cat, name):
    rc, out, err = J.run(java_cmd(cp, "read", "--sqlite", cat["sqlite"], "--catalog-name", cat["name"],
                                  "--warehouse", cat["warehouse"], "--table", "default." + name),
                         label="java read %s" % name)
    if rc != 0:
        return None, []
    lines = out.splitlines()
    return json.loads(lines[0]), [json.loads(x) for x in lines[1:] if x.strip()]


def metadata_doc(tbl):
    with open(tbl.metadata_location.replace("file://", ""), encoding="utf-8") as f:
        return json.load(f)


def check_kept(label, before, after):
    """Everything the producer made is still in the metadata, unchanged."""
    J.check(after["table-uuid"] == before["table-uuid"], "%s: table uuid kept" % label)
    for key in ("schemas", "partition-specs", "sort-orders"):
        kept = all(x in after[key] for x in before[key])
        J.check(kept, "%s: every one of the producer's %s is kept unchanged" % (label, key))
    for key in ("default-spec-id", "default-sort-order-id", "current-schema-id"):
        J.check(after[key] == before[key], "%s: %s kept (%s -> %s)" % (label, key, before[key], after[key]))
    for k, v in before.get("properties", {}).items():
        J.check(after["properties"].get(k) == v, "%s: property %s=%s kept" % (label, k, v))
    snaps_after = {s["snapshot-id"]: s for s in after["snapshots"]}
    for s in before["snapshots"]:
        J.check(snaps_after.get(s["snapshot-id"]) == s, "%s: the producer's snapshot %d is kept as it was" % (label, s["snapshot-id"]))
    # one chain through every snapshot, sequence numbers increasing
    by_id = {s["snapshot-id"]: s for s in after["snapshots"]}
    chain, sid = [], after["current-snapshot-id"]
    while sid is not None and sid in by_id:
        chain.append(by_id[sid])
        sid = by_id[sid].get("parent-snapshot-id")
    J.check(len(chain) == len(after["snapshots"]), "%s: the %d snapshots form one chain" % (label, len(after["snapshots"])))
    seqs = [s.get("sequence-number", 0) for s in reversed(chain)]
    J.check(seqs == sorted(seqs) and len(set(seqs)) == len(seqs), "%s: sequence numbers increase along the chain %s" % (label, seqs))
    J.ok("%s: the producer's uuid, schemas, specs, sort orders, properties and %d snapshots are kept; "
         "%d snapshots in one chain" % (label, len(before["snapshots"]), len(chain)))


def check_our_files(label, tbl, spec_id):
    """The files our commit added carry the table's default spec and the right partition values."""
    files = tbl.inspect.files().to_pylist()
    bad = 0
    for f in files:
        if f["spec_id"] != spec_id:
            bad += 1
            continue
        part = f["partition"]
        lo = dict(f["lower_bounds"])[1]
        hi = dict(f["upper_bounds"])[1]
        lo_us = int.from_bytes(lo, "little", signed=True)
        hi_us = int.from_bytes(hi, "little", signed=True)
        day = lambda us: us // 86400_000_000
        want_day = datetime.date(1970, 1, 1) + datetime.timedelta(days=day(lo_us))
        got_day = next(v for k, v in part.items() if k != "host")
        if isinstance(got_day, int):
            got_day = datetime.date(1970, 1, 1) + datetime.timedelta(days=got_day)
        if day(lo_us) != day(hi_us) or got_day != want_day:
            bad += 1
        host_lo = dict(f["lower_bounds"])[2].decode()
        host_hi = dict(f["upper_bounds"])[2].decode()
        if not (host_lo == host_hi == part["host"]):
            bad += 1
    if bad == 0:
        J.ok("%s: all %d data files have spec %d and partition values matching their rows" % (label, len(files), spec_id))
    J.check(bad == 0, "%s: every data file (%d) has spec %d and partition values that match its rows (%d bad)"
            % (label, len(files), spec_id, bad))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cli", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--java", default=None, help="the Iceberg Java judge's wrapper, tests/interop/java/judge")
    a = ap.parse_args()
    out, cat = J.fresh_warehouse(a.out)
    wh = cat["warehouse"]
    catalog = SqlCatalog(cat["name"], uri=cat["uri"], warehouse="file://" + wh)
    lp, exp = os.path.join(out, "rev.lp"), os.path.join(out, "rev.json")
    J.gen_regular(lp, exp, "rev", T0, 5 * 48, 1800 * NS, hosts=3, seed=21)
    rows = J.load_expected([exp])[1]
    days = [rows_between(rows, T0 + d * DAY, T0 + (d + 1) * DAY) for d in range(5)]

    producers = ["pyiceberg"] + (["java"] if a.java else [])
    emu = J.Emulator(out)
    try:
        emu.write_lp("rev", lp)
        for prod in producers:
            name = prod + "_made"
            label = "%s-made table" % prod
            if prod == "pyiceberg":
                pyiceberg_create(catalog, name, days[0:2])
            else:
                java_create(a.java, cat, name, days[0] + days[1], out, commits=2)
            tbl = catalog.load_table(("default", name))
            before = metadata_doc(tbl)
            J.check(len(before["snapshots"]) == 2, "%s: the producer made 2 snapshots" % label)
            rep = J.cli_replicate(a.cli, emu, "rev", "rev", J.catalog_configs(cat),
                                  ["--table-name", name, "--backfill-start", "2025-05-03T00:00:00Z",
                                   "--backfill-end", "2025-05-05T00:00:00Z"], label)
            J.check(rep is not None and rep.get("total_written_records") == len(days[2]) + len(days[3]),
                    "%s: influx2iceberg appended days 3-4 (%s rows)" % (label, rep and rep.get("total_written_records")))
            J.check(rep is not None and not rep.get("table_created"), "%s: the existing table was used" % label)
            tbl = catalog.load_table(("default", name))
            check_kept(label + " after our append", before, metadata_doc(tbl))
            # the producer appends on top of our commit
            mid = metadata_doc(tbl)
            if prod == "pyiceberg":
                pyiceberg_append(catalog, name, days[4])
            else:
                java_create(a.java, cat, name, days[4], out, append=True)
            tbl = catalog.load_table(("default", name))
            after = metadata_doc(tbl)
            check_kept(label + " after the producer appended again", mid, after)
            J.check(len(after["snapshots"]) == len(mid["snapshots"]) + 1, "%s: the producer's append on top of ours landed" % label)
            check_our_files(label, tbl, before["default-spec-id"])
            names = [n for n, _ in COLUMNS]
            want = J.want_rows(rows, names, "us")
            got = JP.canonical_rows(tbl.scan().to_arrow(), tbl.schema())
            J.compare_rows("%s: PyIceberg reads all five days" % label, got, want)
            if a.java:
                header, jrows = java_read(a.java, cat, name)
                if header is not None:
                    J.compare_rows("%s: Iceberg Java reads all five days" % label, jrows, want)
    finally:
        emu.close()
    J.finish()


if __name__ == "__main__":
    main()
