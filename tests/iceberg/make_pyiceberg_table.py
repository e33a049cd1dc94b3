#!/usr/bin/python3
"""Build, at test time, a v2 unpartitioned table laid out the way PyIceberg (and so the InfluxData
plugin) writes it, and register it in a SQLite catalog like PyIceberg's SqlCatalog:

    /usr/bin/python3 make_pyiceberg_table.py <table-dir> <catalog.db> <data.parquet> <rows>

- metadata: compact JSON, `identifier-field-ids: []`, no current-snapshot-id before the first
  snapshot, last-partition-id 999, plus an unknown top-level key (must survive our rewrite);
- manifest and manifest list: Avro written by python3-avro with PyIceberg's v2 schemas (field ids,
  doc strings, equality_ids element long, no referenced_data_file), header keys as PyIceberg's
  ManifestWriterV2/ManifestListWriterV2 (no schema-id), deflate;
- catalog: rows in iceberg_tables / iceberg_namespace_properties with catalog_name 'iceberg'.
Every fixture file name contains "pyfixture".
"""
import json
import os
import random
import shutil
import sqlite3
import sys
import time
import uuid

import avro.datafile
import avro.io
import avro.schema


def opt(name, t, fid, doc=None):
    f = {"name": name, "type": ["null", t], "default": None, "field-id": fid}
    if doc:
        f["doc"] = doc
    return f


def req(name, t, fid, doc=None):
    f = {"name": name, "type": t, "field-id": fid}
    if doc:
        f["doc"] = doc
    return f


def amap(k, v, vt):
    return {"type": "array", "logicalType": "map", "items": {"type": "record", "name": "k%d_v%d" % (k, v),
            "fields": [{"name": "key", "type": "int", "field-id": k}, {"name": "value", "type": vt, "field-id": v}]}}


MANIFEST_ENTRY = {
    "type": "record", "name": "manifest_entry", "fields": [
        req("status", "int", 0),
        opt("snapshot_id", "long", 1),
        opt("sequence_number", "long", 3),
        opt("file_sequence_number", "long", 4),
        req("data_file", {"type": "record", "name": "r2", "fields": [
            req("content", "int", 134, "File format name: avro, orc, or parquet"),
            req("file_path", "string", 100, "Location URI with FS scheme"),
            req("file_format", "string", 101, "File format name: avro, orc, or parquet"),
            req("partition", {"type": "record", "name": "r102", "fields": []}, 102,
                "Partition data tuple, schema based on the partition spec"),
            req("record_count", "long", 103, "Number of records in the file"),
            req("file_size_in_bytes", "long", 104, "Total file size in bytes"),
            opt("column_sizes", amap(117, 118, "long"), 108, "Map of column id to total size on disk"),
            opt("value_counts", amap(119, 120, "long"), 109),
            opt("null_value_counts", amap(121, 122, "long"), 110),
            opt("nan_value_counts", amap(138, 139, "long"), 137),
            opt("lower_bounds", amap(126, 127, "bytes"), 125),
            opt("upper_bounds", amap(129, 130, "bytes"), 128),
            opt("key_metadata", "bytes", 131),
            opt("split_offsets", {"type": "array", "items": "long", "element-id": 133}, 132),
            opt("equality_ids", {"type": "array", "items": "long", "element-id": 136}, 135),
            opt("sort_order_id", "int", 140),
        ]}, 2),
    ]}

MANIFEST_FILE = {
    "type": "record", "name": "manifest_file", "fields": [
        req("manifest_path", "string", 500, "Location URI with FS scheme"),
        req("manifest_length", "long", 501),
        req("partition_spec_id", "int", 502),
        req("content", "int", 517),
        req("sequence_number", "long", 515),
        req("min_sequence_number", "long", 516),
        req("added_snapshot_id", "long", 503),
        req("added_files_count", "int", 504),
        req("existing_files_count", "int", 505),
        req("deleted_files_count", "int", 506),
        req("added_rows_count", "long", 512),
        req("existing_rows_count", "long", 513),
        req("deleted_rows_count", "long", 514),
        opt("partitions", {"type": "array", "element-id": 508, "items": {"type": "record", "name": "r508", "fields": [
            req("contains_null", "boolean", 509),
            opt("contains_nan", "boolean", 518),
            opt("lower_bound", "bytes", 510),
            opt("upper_bound", "bytes", 511)]}}, 507),
        opt("key_metadata", "bytes", 519),
    ]}

SCHEMA = {"type": "struct", "fields": [
    {"id": 1, "name": "time", "type": "timestamp", "required": True},
    {"id": 2, "name": "host", "type": "string", "required": False},
    {"id": 3, "name": "usage", "type": "double", "required": False},
    {"id": 4, "name": "count", "type": "long", "required": False}],
    "schema-id": 0, "identifier-field-ids": []}


def write_avro(path, schema, meta, records):
    parsed = avro.schema.parse(json.dumps(schema))
    with open(path, "wb") as fh:
        w = avro.datafile.DataFileWriter(fh, avro.io.DatumWriter(), parsed, codec="deflate")
        for k, v in meta.items():
            w.set_meta(k, v.encode())
        for r in records:
            w.append(r)
        w.close()


def main():
    table_dir, db, parquet, rows = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    loc = "file://" + table_dir
    os.makedirs(table_dir + "/data", exist_ok=True)
    os.makedirs(table_dir + "/metadata", exist_ok=True)
    data_name = "00000-0-pyfixture-%s.parquet" % uuid.uuid4()
    shutil.copy(parquet, table_dir + "/data/" + data_name)
    size = os.path.getsize(table_dir + "/data/" + data_name)
    snap_id = random.getrandbits(63) or 1
    commit = uuid.uuid4()
    now = int(time.time() * 1000)
    manifest = "%s/metadata/pyfixture-%s-m0.avro" % (loc, commit)
    mlist = "%s/metadata/snap-%d-0-pyfixture-%s.avro" % (loc, snap_id, commit)
    write_avro(manifest[len("file://"):], MANIFEST_ENTRY,
               {"schema": json.dumps(SCHEMA), "partition-spec": "[]", "partition-spec-id": "0",
                "format-version": "2", "content": "data"},
               [{"status": 1, "snapshot_id": snap_id, "sequence_number": None, "file_sequence_number": None,
                 "data_file": {"content": 0, "file_path": loc + "/data/" + data_name, "file_format": "PARQUET",
                               "partition": {}, "record_count": rows, "file_size_in_bytes": size,
                               "column_sizes": None, "value_counts": [{"key": i, "value": rows} for i in (1, 2, 3, 4)],
                               "null_value_counts": None, "nan_value_counts": [], "lower_bounds": None,
                               "upper_bounds": None, "key_metadata": None, "split_offsets": [4],
                               "equality_ids": None, "sort_order_id": None}}])
    write_avro(mlist[len("file://"):], MANIFEST_FILE,
               {"snapshot-id": str(snap_id), "parent-snapshot-id": "null", "sequence-number": "1",
                "format-version": "2"},
               [{"manifest_path": manifest, "manifest_length": os.path.getsize(manifest[len("file://"):]),
                 "partition_spec_id": 0, "content": 0, "sequence_number": 1, "min_sequence_number": 1,
                 "added_snapshot_id": snap_id, "added_files_count": 1, "existing_files_count": 0,
                 "deleted_files_count": 0, "added_rows_count": rows, "existing_rows_count": 0,
                 "deleted_rows_count": 0, "partitions": [], "key_metadata": None}])
    md = {
        "location": loc, "table-uuid": str(uuid.uuid4()), "last-updated-ms": now, "last-column-id": 4,
        "schemas": [SCHEMA], "current-schema-id": 0,
        "partition-specs": [{"spec-id": 0, "fields": []}], "default-spec-id": 0, "last-partition-id": 999,
        "properties": {"created-by": "pyfixture"},
        "snapshots": [{"snapshot-id": snap_id, "sequence-number": 1, "timestamp-ms": now, "manifest-list": mlist,
                       "summary": {"operation": "append", "added-files-size": str(size), "added-data-files": "1",
                                   "added-records": str(rows), "total-data-files": "1", "total-delete-files": "0",
                                   "total-records": str(rows), "total-files-size": str(size),
                                   "total-position-deletes": "0", "total-equality-deletes": "0"},
                       "schema-id": 0}],
        "current-snapshot-id": snap_id,
        "snapshot-log": [{"snapshot-id": snap_id, "timestamp-ms": now}], "metadata-log": [],
        "sort-orders": [{"order-id": 0, "fields": []}], "default-sort-order-id": 0,
        "refs": {"main": {"snapshot-id": snap_id, "type": "branch"}}, "statistics": [],
        "partition-statistics": [], "format-version": 2, "last-sequence-number": 1,
        "x-pyfixture-unknown": {"keep": ["me", 1]},
    }
    md_path = "%s/metadata/00001-%s.metadata.json" % (table_dir, uuid.uuid4())
    with open(md_path, "w") as fh:
        json.dump(md, fh, separators=(",", ":"))
    con = sqlite3.connect(db)
    con.execute("CREATE TABLE IF NOT EXISTS iceberg_tables (catalog_name VARCHAR(255) NOT NULL, "
                "table_namespace VARCHAR(255) NOT NULL, table_name VARCHAR(255) NOT NULL, "
                "metadata_location VARCHAR(1000), previous_metadata_location VARCHAR(1000), "
                "iceberg_type VARCHAR(5), PRIMARY KEY (catalog_name, table_namespace, table_name))")
    con.execute("CREATE TABLE IF NOT EXISTS iceberg_namespace_properties (catalog_name VARCHAR(255) NOT NULL, "
                "namespace VARCHAR(255) NOT NULL, property_key VARCHAR(255) NOT NULL, "
                "property_value VARCHAR(1000) NOT NULL, PRIMARY KEY (catalog_name, namespace, property_key))")
    con.execute("INSERT INTO iceberg_namespace_properties VALUES ('iceberg', 'default', 'exists', 'true')")
    con.execute("INSERT INTO iceberg_tables VALUES ('iceberg', 'default', 'plugin_tbl', ?, NULL, 'TABLE')",
                ("file://" + md_path,))
    con.commit()
    con.close()
    print(json.dumps({"snapshot_id": str(snap_id), "manifest_list": mlist, "manifest": manifest,
                      "metadata": "file://" + md_path}))


if __name__ == "__main__":
    main()
