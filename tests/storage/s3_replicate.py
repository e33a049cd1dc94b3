#!/usr/bin/env python3
"""End to end into S3: the CLI replicates from the InfluxDB 3 emulator into an s3:// warehouse
(SQLite SQL catalog, moto as the object store with signature checking on), then PyIceberg reads
the table back through the same catalog with the same S3 keys.

    s3_replicate.py --cli PATH/influx2iceberg

Proves: the catalog_configs' S3 keys reach the storage layer; data files, manifests and metadata
land in the bucket (under day partitions, whose "=" needs correct SigV4 path encoding); a second
run appends on top of the first (the commit reads and replaces metadata in S3); the filesystem
(hadoop) catalog commits in S3 too (conditional PUTs of vN.metadata.json); PyIceberg (pyarrow's
S3 FileIO) reads every row back exactly; a wrong secret fails with a clear 403 that does not show
the secret."""
import argparse
import os
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "judges"))
sys.path.insert(0, HERE)
import judgelib as J  # noqa: E402
from moto_s3 import MotoS3  # noqa: E402

J.require_pyiceberg()
from judge_pyiceberg import canonical_rows  # noqa: E402
from pyiceberg.catalog.sql import SqlCatalog  # noqa: E402
from pyiceberg.table import StaticTable  # noqa: E402

NS = 1_000_000_000
T_2025_01_30 = 1738195200 * NS
STEP = 1800 * NS  # every 30 minutes


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cli", required=True)
    a = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="i2i-s3-e2e-") as tmp, MotoS3(bucket="i2i-wh") as s3:
        f = lambda n: os.path.join(tmp, n)  # noqa: E731
        s3keys = {"s3.endpoint": s3.endpoint, "s3.access-key-id": s3.key_id,
                  "s3.secret-access-key": s3.secret, "s3.region": s3.region}
        catalog = dict(s3keys, **{"type": "sql", "uri": "sqlite:///" + f("catalog.db"),
                                  "warehouse": "s3://i2i-wh/wh", "name": "iceberg",
                                  "s3.path-style-access": "true"})
        # two batches of 3 days each: the second run appends to what the first committed
        J.gen_regular(f("a.lp"), f("a.json"), "cpu", T_2025_01_30, 3 * 48, STEP, hosts=3, seed=21)
        J.gen_regular(f("b.lp"), f("b.json"), "cpu", T_2025_01_30 + 3 * 48 * STEP, 3 * 48, STEP,
                      hosts=3, seed=22)
        emu = J.Emulator(tmp)
        try:
            emu.write_lp("s3db", f("a.lp"))
            rep = J.cli_replicate(a.cli, emu, "s3db", "cpu", catalog, [], "s3 first run")
            J.check(rep is not None and rep.get("total_written_records", 0) > 0,
                    "first run wrote rows into s3://i2i-wh/wh (%s)" % (rep and rep.get("total_written_records")))
            emu.write_lp("s3db", f("b.lp"))
            rep = J.cli_replicate(a.cli, emu, "s3db", "cpu", catalog, [], "s3 second run")
            J.check(rep is not None and rep.get("total_written_records", 0) > 0,
                    "second run appended rows (%s)" % (rep and rep.get("total_written_records")))

            # the filesystem (hadoop) catalog on S3: each commit creates vN.metadata.json with a
            # conditional PUT (If-None-Match), which is its atomicity
            hadoop = dict(s3keys, **{"type": "hadoop", "warehouse": "s3://i2i-wh/hwh"})
            for label in ("hadoop first run", "hadoop second run"):
                rep = J.cli_replicate(a.cli, emu, "s3db", "cpu", hadoop,
                                      ["--backfill-end", "2025-02-02T00:00:00Z"] if "first" in label else [],
                                      "s3 " + label)
                J.check(rep is not None and rep.get("committed_batches", 0) > 0,
                        "%s committed (%s)" % (label, rep and rep.get("committed_batches")))

            # a wrong secret: a clear 403 naming S3's error code, never the secret itself
            bad = dict(catalog, **{"s3.secret-access-key": "Wr0ngSecretValue-e2e"})
            with tempfile.NamedTemporaryFile("w", delete=False, suffix=".token") as tf:
                tf.write(J.TOKEN + "\n")
            import json
            rc, out, err = J.run([a.cli, "replicate", "--host", emu.url, "--database", "s3db",
                                  "--token-file", tf.name, "--measurement", "cpu",
                                  "--catalog-configs", json.dumps(bad), "--no-progress"],
                                 check_rc=False)
            os.unlink(tf.name)
            J.check(rc != 0 and "403" in err and "SignatureDoesNotMatch" in err,
                    "a wrong secret fails with HTTP 403 SignatureDoesNotMatch (rc %d, stderr %r)"
                    % (rc, err[-600:]))
            J.check("Wr0ngSecretValue-e2e" not in out + err, "the wrong secret is not printed")
        finally:
            emu.close()

        keys = [o["Key"] for page in s3.s3.get_paginator("list_objects_v2").paginate(Bucket="i2i-wh")
                for o in page.get("Contents", [])]
        parquet = [k for k in keys if k.endswith(".parquet")]
        J.check(any("/metadata/" in k and k.endswith(".metadata.json") for k in keys) and parquet
                and all(k.startswith(("wh/", "hwh/")) for k in keys),
                "metadata and %d data files are in the bucket under the warehouses (%d objects)"
                % (len(parquet), len(keys)))
        J.check(any("=" in k for k in parquet), "data files sit in partition directories (key=value)")

        # PyIceberg reads it back with the same S3 keys (PyIceberg's names; it addresses by path
        # whenever an endpoint is set)
        cat = SqlCatalog("iceberg", uri=catalog["uri"], warehouse=catalog["warehouse"], **s3keys)
        tbl = cat.load_table(("default", "cpu"))
        J.check(tbl.metadata.location.startswith("s3://i2i-wh/wh/"),
                "the table lives in the S3 warehouse (%s)" % tbl.metadata.location)
        schema = tbl.schema()
        names = [fld.name for fld in schema.fields]
        got = canonical_rows(tbl.scan().to_arrow(), schema)
        _, rows = J.load_expected([f("a.json"), f("b.json")])
        J.compare_rows("pyiceberg over S3: full scan", got, J.want_rows(rows, names, "us"))
        snaps = tbl.inspect.snapshots().to_pylist()
        chain = all(snaps[i]["parent_id"] == snaps[i - 1]["snapshot_id"] for i in range(1, len(snaps)))
        J.check(len(snaps) >= 2 and chain, "the two runs' %d snapshots form one chain" % len(snaps))

        # the hadoop table, read from its newest metadata file by PyIceberg
        meta = sorted((k for k in keys if k.startswith("hwh/default/cpu/metadata/v")
                       and k.endswith(".metadata.json")),
                      key=lambda k: int(k.rsplit("/v", 1)[1].split(".")[0]))
        J.check(len(meta) >= 3, "the hadoop table has %d metadata versions in S3" % len(meta))
        if meta:
            htbl = StaticTable.from_metadata("s3://i2i-wh/" + meta[-1], properties=s3keys)
            hschema = htbl.schema()
            hgot = canonical_rows(htbl.scan().to_arrow(), hschema)
            J.compare_rows("pyiceberg over S3, hadoop catalog: full scan", hgot,
                           J.want_rows(rows, [fld.name for fld in hschema.fields], "us"))
    return J.finish()


if __name__ == "__main__":
    sys.exit(main())
