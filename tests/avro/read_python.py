#!/usr/bin/python3
"""Interop check: read the files avro_interop_write made with Debian's python3-avro (the Apache
Avro Python implementation, an independent reader) and compare them with expected.json:

  - DataFileReader opens each file and get_meta('avro.schema') is exactly the schema we wrote;
  - every field-id (field.other_props), element-id / key-id / value-id / logicalType (schema
    props) seen through the parsed writer schema is where and what we wrote;
  - every other header key has the value we wrote;
  - every record decodes to the values we encoded.

Fails on any mismatch, and when no record or no id was compared.
Run with /usr/bin/python3: python3-avro is only installed for Debian's interpreter.
usage: /usr/bin/python3 read_python.py <dir>
"""
import datetime
import json
import math
import os
import sys
import warnings

try:
    import avro.datafile
    import avro.io
    import avro.schema
except ImportError as e:  # pragma: no cover - environment problem, reported clearly
    sys.exit(f"FAIL: python3-avro is not importable from {sys.executable} ({e}); "
             "install the Debian package python3-avro and run with /usr/bin/python3")

# python3-avro warns that it does not know logicalType "map" (it keeps the array): expected.
warnings.filterwarnings("ignore", category=avro.errors.IgnoredLogicalType)

EPOCH = datetime.date(1970, 1, 1)
EPOCH_DT = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)
mismatches = []


def normalise(v):
    """A decoded python3-avro value in the reader model of avro.h."""
    if isinstance(v, datetime.datetime):  # logicalType timestamp-micros applied by python3-avro
        if v.tzinfo is None:
            v = v.replace(tzinfo=datetime.timezone.utc)
        d = v - EPOCH_DT
        return (d.days * 86400 + d.seconds) * 1000000 + d.microseconds
    if isinstance(v, datetime.date):  # logicalType date applied by python3-avro
        return (v - EPOCH).days
    if isinstance(v, bytes):
        return {"$bytes": v.hex()}
    if isinstance(v, float):
        if math.isnan(v):
            return "NaN"
        if math.isinf(v):
            return "Infinity" if v > 0 else "-Infinity"
        return v
    if isinstance(v, dict):
        return {k: normalise(x) for k, x in v.items()}
    if isinstance(v, list):
        return [normalise(x) for x in v]
    return v


def same(actual, want, where):
    a = normalise(actual)
    # bool is an int in Python: compare types as well as values.
    if type(a) is not type(want) and not (isinstance(a, (int, float)) and isinstance(want, (int, float))
                                          and not isinstance(a, bool) and not isinstance(want, bool)):
        mismatches.append(f"{where}: want {want!r} ({type(want).__name__}), got {a!r} ({type(a).__name__})")
        return
    if isinstance(want, float) or isinstance(a, float):
        if not (isinstance(a, float) and isinstance(want, float) and a == want
                and math.copysign(1, a) == math.copysign(1, want)):
            mismatches.append(f"{where}: want {want!r}, got {a!r}")
        return
    if a != want:
        mismatches.append(f"{where}: want {want!r}, got {a!r}")


def collect_ids(s, path, out, seen):
    """The same walk as collect_ids() in interop_write.c, over python3-avro's parsed schema."""
    if isinstance(s, avro.schema.UnionSchema):
        for b in s.schemas:
            collect_ids(b, path, out, seen)
        return
    props = s.other_props if hasattr(s, "other_props") else {}
    for attr in ("element-id", "key-id", "value-id"):
        if attr in props:
            out.append([path, attr, props[attr]])
    logical = props.get("logicalType", getattr(s, "logical_type", None))
    if logical is not None:
        out.append([path, "logicalType", logical])
    if isinstance(s, avro.schema.RecordSchema):
        if s.fullname in seen:  # a named reference: not followed (the C walk sees only a name)
            return
        seen.add(s.fullname)
        for f in s.fields:
            sub = f"{path}.{f.name}" if path else f.name
            if "field-id" in f.other_props:
                out.append([sub, "field-id", f.other_props["field-id"]])
            collect_ids(f.type, sub, out, seen)
    elif isinstance(s, avro.schema.ArraySchema):
        collect_ids(s.items, path + "[]", out, seen)
    elif isinstance(s, avro.schema.MapSchema):
        collect_ids(s.values, path + "{}", out, seen)


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: read_python.py <dir>")
    d = sys.argv[1]
    with open(os.path.join(d, "expected.json")) as fh:
        expected = json.load(fh)
    nrecords = nids = 0
    for f in expected["files"]:
        name = f["file"]
        with open(os.path.join(d, name), "rb") as fh:
            reader = avro.datafile.DataFileReader(fh, avro.io.DatumReader())
            text = reader.get_meta("avro.schema").decode("utf-8")
            if text != f["schema"]:
                mismatches.append(f"{name}: avro.schema differs from the schema written")
            ids = []
            collect_ids(reader.datum_reader.writers_schema, "", ids, set())
            if ids != f["ids"]:
                mismatches.append(f"{name}: schema ids differ:\n got  {ids}\n want {f['ids']}")
            nids += sum(1 for i in ids if i[1] == "field-id")
            for k, v in f["meta"].items():
                got = reader.get_meta(k)
                got = got.decode("utf-8") if got is not None else None
                if got != v:
                    mismatches.append(f"{name}: header {k}: want {v!r}, got {got!r}")
            records = list(reader)
            reader.close()
        if len(records) != len(f["records"]):
            mismatches.append(f"{name}: want {len(f['records'])} records, got {len(records)}")
        for k, (r, w) in enumerate(zip(records, f["records"])):
            compare(r, w, f"{name} record {k}")
            nrecords += 1
        print(f"{name}: {len(records)} records, {len(ids)} schema ids, codec {reader.codec}")
    if nrecords == 0 or nids == 0:
        mismatches.append(f"nothing compared ({nrecords} records, {nids} field ids)")
    if mismatches:
        print(f"FAIL: {len(mismatches)} mismatches", file=sys.stderr)
        for m in mismatches[:50]:
            print("  " + m, file=sys.stderr)
        sys.exit(1)
    print(f"OK: python3-avro read {nrecords} records and {nids} field ids exactly as written")


def compare(actual, want, where):
    """Walk want and actual together so that every leaf is compared with its type."""
    if isinstance(want, dict) and set(want) != {"$bytes"}:
        if not isinstance(actual, dict):
            mismatches.append(f"{where}: want a record/map, got {actual!r}")
            return
        if set(actual) != set(want):
            mismatches.append(f"{where}: want keys {sorted(want)}, got {sorted(actual)}")
            return
        for k in want:
            compare(actual[k], want[k], f"{where}.{k}")
    elif isinstance(want, list):
        if not isinstance(actual, list) or len(actual) != len(want):
            mismatches.append(f"{where}: want {len(want)} items, got {actual!r}")
            return
        for k, (a, w) in enumerate(zip(actual, want)):
            compare(a, w, f"{where}[{k}]")
    else:
        same(actual, want, where)


if __name__ == "__main__":
    main()
