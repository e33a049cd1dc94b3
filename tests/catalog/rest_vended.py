#!/usr/bin/env python3
"""End to end with vended credentials: the CLI replicates into rest_standin.py whose warehouse is
s3:// on moto (signature checking on), while the catalog_configs hold no S3 keys or wrong ones:
only the S3 keys the server hands out with each LoadTableResult can write the table's files.

    rest_vended.py --cli PATH/influx2iceberg

Proves, once per way of vending:
  config               the LoadTableResult "config" carries temporary keys (key id, secret,
                       session token), endpoint and region; catalog_configs have no S3 keys;
  storage-credentials  "config" carries a wrong secret and "storage-credentials" two entries, the
                       longer matching prefix with the right keys; catalog_configs carry a wrong
                       secret too: the longest-prefix storage credential wins over config, and
                       both over catalog_configs;
that the client asks for them (X-Iceberg-Access-Delegation), that data files and manifests land in
the bucket, that PyIceberg's RestCatalog reads every row back through the same server, and that no
vended secret is printed. Without vended keys the run fails with a clear "no credentials"."""
import argparse
import json
import os
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(ROOT, "judges"))
sys.path.insert(0, os.path.join(ROOT, "storage"))
sys.path.insert(0, HERE)
import judgelib as J  # noqa: E402
from moto_s3 import MotoS3  # noqa: E402
from rest_standin import RestStandin  # noqa: E402

J.require_pyiceberg()
from judge_pyiceberg import canonical_rows  # noqa: E402
from pyiceberg.catalog.rest import RestCatalog  # noqa: E402

NS = 1_000_000_000
T_2025_01_30 = 1738195200 * NS
STEP = 1800 * NS
TOKEN = "rest-vended-token-41c2"
BUCKET = "i2i-vend"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cli", required=True)
    a = ap.parse_args()
    # nothing may come from the environment: the keys must be the vended ones
    for k in list(os.environ):
        if k.startswith("AWS_"):
            del os.environ[k]
    with tempfile.TemporaryDirectory(prefix="i2i-rest-vend-") as tmp, MotoS3(bucket=BUCKET) as s3:
        f = lambda n: os.path.join(tmp, n)  # noqa: E731
        key, secret, session = s3.session  # temporary keys, as a catalog would vend them
        J.gen_regular(f("a.lp"), f("a.json"), "cpu", T_2025_01_30, 2 * 48, STEP, hosts=2, seed=31)
        emu = J.Emulator(tmp)
        try:
            emu.write_lp("venddb", f("a.lp"))
            for mode in ("config", "storage-credentials"):
                wh = "s3://%s/wh-%s" % (BUCKET, mode)
                place = {"s3.endpoint": s3.endpoint, "s3.region": s3.region,
                         "s3.path-style-access": "true"}
                keys = {"s3.access-key-id": key, "s3.secret-access-key": secret,
                        "s3.session-token": session}
                if mode == "config":
                    vended = {"config": dict(place, **keys)}
                    catalog = {"uri": rest_uri_placeholder(), "token": TOKEN, "warehouse": wh}
                else:
                    vended = {"config": dict(place, **dict(keys, **{
                                  "s3.secret-access-key": "Wr0ngConfigSecret-1"})),
                              "storage-credentials": [
                                  {"prefix": "s3://%s/" % BUCKET,
                                   "config": {"s3.secret-access-key": "Wr0ngShortPrefix-2"}},
                                  {"prefix": wh, "config": keys}]}
                    catalog = {"uri": rest_uri_placeholder(), "token": TOKEN, "warehouse": wh,
                               "s3.access-key-id": "AKIAWRONGCATALOG", "s3.endpoint": s3.endpoint,
                               "s3.secret-access-key": "Wr0ngCatalogSecret-3"}
                with RestStandin(token=TOKEN, warehouse=wh, vended=vended, s3_client=s3.s3) as rest:
                    catalog["uri"] = rest.uri
                    rep = J.cli_replicate(a.cli, emu, "venddb", "cpu", catalog, [],
                                          "vended " + mode)
                    J.check(rep is not None and rep.get("total_written_records", 0) > 0,
                            "%s: the run wrote rows with the vended keys (%s)"
                            % (mode, rep and rep.get("total_written_records")))
                    st = rest.stats()
                    J.check(st.get("delegation_asked", 0) >= 1 and st.get("vended", 0) >= 1,
                            "%s: the client asked for vended credentials (%s)" % (mode, json.dumps(st)))
                    objs = s3.s3.list_objects_v2(Bucket=BUCKET, Prefix="wh-%s/" % mode)
                    names = [o["Key"] for o in objs.get("Contents", [])]
                    J.check(any(n.endswith(".parquet") for n in names)
                            and any(n.endswith(".avro") for n in names),
                            "%s: data files and manifests are in the bucket (%d objects)"
                            % (mode, len(names)))
                    # PyIceberg reads it back with the same vended keys (its own merge)
                    cat = RestCatalog("rest", **{k: v for k, v in catalog.items()})
                    tbl = cat.load_table(("default", "cpu"))
                    schema = tbl.schema()
                    got = canonical_rows(tbl.scan().to_arrow(), schema)
                    _, rows = J.load_expected([f("a.json")])
                    J.compare_rows("%s: pyiceberg over REST with vended keys" % mode, got,
                                   J.want_rows(rows, [fl.name for fl in schema.fields], "us"))
                    # a second run: the table is loaded (not created) and appended to
                    rc, out, err = run_cli(a.cli, emu, catalog, ["--backfill-start",
                                                                 "2025-01-30T00:00:00Z"])
                    for s in (secret, session):
                        J.check(s not in out + err, "%s: no vended secret is printed" % mode)
                    J.check(rc == 0, "%s: a rerun loads the table and succeeds (rc %d, %s)"
                            % (mode, rc, err[-400:]))

            # no vended keys and none in the configs: a clear error, at the table's files
            wh = "s3://%s/wh-none" % BUCKET
            with RestStandin(token=TOKEN, warehouse=wh, s3_client=s3.s3) as rest:
                catalog = {"uri": rest.uri, "token": TOKEN, "warehouse": wh}
                rc, out, err = run_cli(a.cli, emu, catalog, [])
                J.check(rc != 0 and "no credentials" in err,
                        "without vended keys the run fails naming the missing credentials "
                        "(rc %d, %r)" % (rc, err[-600:]))
        finally:
            emu.close()
    return J.finish()


def rest_uri_placeholder():
    return "http://127.0.0.1:1"  # replaced once the stand-in runs


def run_cli(cli, emu, catalog, extra):
    with tempfile.NamedTemporaryFile("w", delete=False, suffix=".token") as tf:
        tf.write(J.TOKEN + "\n")
    try:
        return J.run([cli, "replicate", "--host", emu.url, "--database", "venddb", "--token-file",
                      tf.name, "--measurement", "cpu", "--catalog-configs", json.dumps(catalog),
                      "--no-progress"] + extra, check_rc=False)
    finally:
        os.unlink(tf.name)


if __name__ == "__main__":
    sys.exit(main())
