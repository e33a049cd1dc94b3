#!/usr/bin/python3
"""Check an Iceberg table's manifest list and manifests with Debian python3-avro (an Avro
implementation independent from ours and from icebird/avsc).

    /usr/bin/python3 check_avro.py <metadata.json> [--all-snapshots] [--foreign-marker S]

(manifests whose path contains S were written by another tool: decoded and cross-checked, but
their header keys and field ids are not held to our rules)

For the current snapshot (or every snapshot): the manifest list and each manifest decode; every
record field of the writer schemas carries a field-id, arrays an element-id; header keys are
present; manifest-list counts, row counts, sequence numbers and partition summaries agree with the
manifests' entries; manifest_length is the real size; ADDED entries inherit sequence numbers
(null); v3 first_row_id assignment is consistent. Exit status 1 on any failure.
"""
import datetime
import json
import os
import struct
import sys
import urllib.parse
import warnings

warnings.simplefilter("ignore")  # "IgnoredLogicalType: Unknown map, using array."

import avro.datafile  # noqa: E402
import avro.io  # noqa: E402

failures = []


def check(cond, msg):
    if not cond:
        failures.append(msg)
        print("FAIL: " + msg, file=sys.stderr)


def local(loc):
    if loc.startswith("file:"):
        return urllib.parse.unquote(urllib.parse.urlparse(loc).path)
    return loc


def read(loc):
    with open(local(loc), "rb") as fh:
        r = avro.datafile.DataFileReader(fh, avro.io.DatumReader())
        meta = {k: v.decode() for k, v in r.meta.items() if k != "avro.sync"}
        schema = json.loads(meta["avro.schema"])
        records = list(r)
        r.close()
    return meta, schema, records


def walk_ids(t, where):
    if isinstance(t, list):
        for x in t:
            walk_ids(x, where)
        return
    if not isinstance(t, dict):
        return
    if t.get("type") == "record":
        for f in t["fields"]:
            check(isinstance(f.get("field-id"), int), "%s: field %s has no field-id" % (where, f["name"]))
            walk_ids(f["type"], where + "." + f["name"])
    elif t.get("type") == "array":
        if t.get("logicalType") == "map":
            items = t["items"]
            ids = [f.get("field-id") for f in items["fields"]]
            check(items["name"] == "k%d_v%d" % tuple(ids), "%s: map record named %s" % (where, items["name"]))
            check([f["name"] for f in items["fields"]] == ["key", "value"], "%s: map key/value" % where)
        else:
            check(isinstance(t.get("element-id"), int), "%s: array without element-id" % where)
        walk_ids(t["items"], where)


def part_bytes(v, avro_type):
    """Single-value binary of a partition value (int/date 4 bytes LE, long 8 bytes, string utf-8)."""
    base = avro_type[1] if isinstance(avro_type, list) else avro_type
    if isinstance(base, dict):
        base = base["type"]
    if isinstance(v, datetime.date):
        v = (v - datetime.date(1970, 1, 1)).days
    if base == "int":
        return struct.pack("<i", v)
    if base == "long":
        return struct.pack("<q", v)
    if base == "string":
        return v.encode()
    if base == "boolean":
        return b"\x01" if v else b"\x00"
    raise ValueError(base)


def sortkey(v, avro_type):
    base = avro_type[1] if isinstance(avro_type, list) else avro_type
    if isinstance(base, dict):
        base = base["type"]
    if isinstance(v, datetime.date):
        return (v - datetime.date(1970, 1, 1)).days
    return v


FOREIGN_MARKER = None


def ours(path, prefix):
    return path.startswith(prefix) and not (FOREIGN_MARKER and FOREIGN_MARKER in path)


def check_snapshot(md, snap, ours_prefix):
    fv = md["format-version"]
    seqs = {s["snapshot-id"]: s.get("sequence-number", 0) for s in md.get("snapshots", [])}
    meta, schema, mfs = read(snap["manifest-list"])
    where = os.path.basename(snap["manifest-list"])
    walk_ids(schema, where)
    check(schema["name"] == "manifest_file", where + ": root record name")
    check(meta.get("snapshot-id") == str(snap["snapshot-id"]), where + ": snapshot-id header")
    check(meta.get("parent-snapshot-id") == str(snap.get("parent-snapshot-id", "null")), where + ": parent-snapshot-id header")
    check(meta.get("sequence-number") == str(snap["sequence-number"]), where + ": sequence-number header")
    check(meta.get("format-version") == str(fv), where + ": format-version header")
    if fv >= 3:
        check(meta.get("first-row-id") == str(snap["first-row-id"]), where + ": first-row-id header")
    next_row = snap.get("first-row-id")
    assigned = 0
    for mf in mfs:
        mpath = mf["manifest_path"]
        mwhere = os.path.basename(mpath)
        check(os.path.getsize(local(mpath)) == mf["manifest_length"], mwhere + ": manifest_length")
        mmeta, mschema, entries = read(mpath)
        check(mschema["name"] == "manifest_entry", mwhere + ": root record name")
        if ours(mpath, ours_prefix):
            walk_ids(mschema, mwhere)
            for k in ("schema", "schema-id", "partition-spec", "partition-spec-id", "format-version", "content"):
                check(k in mmeta, "%s: header key %s" % (mwhere, k))
            check(mmeta.get("partition-spec-id") == str(mf["partition_spec_id"]), mwhere + ": partition-spec-id")
        added = [e for e in entries if e["status"] == 1]
        existing = [e for e in entries if e["status"] == 0]
        deleted = [e for e in entries if e["status"] == 2]
        check(mf["added_files_count"] == len(added), "%s: added_files_count %d == %d" % (mwhere, mf["added_files_count"], len(added)))
        check(mf["existing_files_count"] == len(existing), mwhere + ": existing_files_count")
        check(mf["deleted_files_count"] == len(deleted), mwhere + ": deleted_files_count")
        check(mf["added_rows_count"] == sum(e["data_file"]["record_count"] for e in added), mwhere + ": added_rows_count")
        check(mf["existing_rows_count"] == sum(e["data_file"]["record_count"] for e in existing), mwhere + ": existing_rows_count")
        check(mf["sequence_number"] == seqs.get(mf["added_snapshot_id"], mf["sequence_number"]),
              "%s: sequence_number %d is the adding snapshot's" % (mwhere, mf["sequence_number"]))
        check(mf["min_sequence_number"] <= mf["sequence_number"], mwhere + ": min_sequence_number")
        for e in added:
            check(e["snapshot_id"] in (None, mf["added_snapshot_id"]), mwhere + ": entry snapshot_id")
            if ours(mpath, ours_prefix):
                check(e["sequence_number"] is None and e["file_sequence_number"] is None,
                      mwhere + ": ADDED entries inherit sequence numbers (null)")
                check(e["data_file"].get("first_row_id") is None, mwhere + ": data file first_row_id null")
        # partition summaries
        dfs = next(f for f in mschema["fields"] if f["name"] == "data_file")["type"]
        ptype = next(f for f in dfs["fields"] if f["name"] == "partition")["type"]
        parts = mf.get("partitions") or []
        check(len(parts) == len(ptype["fields"]), mwhere + ": one partition summary per field")
        for i, pf in enumerate(ptype["fields"]):
            vals = [e["data_file"]["partition"][pf["name"]] for e in entries if e["status"] != 2]
            nn = [v for v in vals if v is not None]
            s = parts[i]
            check(s["contains_null"] == (len(nn) < len(vals)), "%s: contains_null for %s" % (mwhere, pf["name"]))
            check(s.get("contains_nan") in (False, None), mwhere + ": contains_nan")
            if nn:
                lo = min(nn, key=lambda v: sortkey(v, pf["type"]))
                hi = max(nn, key=lambda v: sortkey(v, pf["type"]))
                check(s["lower_bound"] == part_bytes(lo, pf["type"]), "%s: partition lower bound %r == %r" % (mwhere, s["lower_bound"], part_bytes(lo, pf["type"])))
                check(s["upper_bound"] == part_bytes(hi, pf["type"]), "%s: partition upper bound" % mwhere)
        if fv >= 3 and mf["content"] == 0:
            check(mf.get("first_row_id") is not None, mwhere + ": v3 data manifest has first_row_id")
            if mf.get("added_snapshot_id") == snap["snapshot-id"]:
                check(mf["first_row_id"] == next_row + assigned, mwhere + ": first_row_id follows the snapshot's first-row-id")
                assigned += mf["added_rows_count"] + mf["existing_rows_count"]
    if fv >= 3:
        check(snap["added-rows"] == assigned, "snapshot added-rows %d == %d" % (snap["added-rows"], assigned))
    return len(mfs)


def main():
    global FOREIGN_MARKER
    md_path = sys.argv[1]
    if "--foreign-marker" in sys.argv:
        FOREIGN_MARKER = sys.argv[sys.argv.index("--foreign-marker") + 1]
    with open(md_path) as fh:
        md = json.load(fh)
    ours_prefix = md["location"]
    snaps = md.get("snapshots", [])
    if "--all-snapshots" not in sys.argv:
        snaps = [s for s in snaps if s["snapshot-id"] == md.get("current-snapshot-id")]
    check(len(snaps) > 0, "there is a snapshot to check")
    total = 0
    for s in snaps:
        total += check_snapshot(md, s, ours_prefix)
    if failures:
        print("%d check(s) failed" % len(failures), file=sys.stderr)
        sys.exit(1)
    print("ok   python3-avro: %d snapshot(s), %d manifest list record(s) consistent" % (len(snaps), total))


if __name__ == "__main__":
    main()
