"""S3 faults end to end: CLI backfills of 6 one-hour windows into an s3:// warehouse on moto
(signatures checked; SQLite SQL catalog), through s3_fault_proxy.py, which injects what moto
cannot. Window 3 holds a ~6.5 MB data file, so it goes up as a multipart upload (5 MiB parts).

  retried   500 InternalError on the first UploadPart; 503 SlowDown twice on a PutObject; the
            connection dropped 1 MiB into an UploadPart's body; a PutObject applied but its reply
            lost (connection dropped after forwarding); 503 on CompleteMultipartUpload. The fault
            is really met (the proxy counts it), the faulted request is sent again, and the run
            succeeds with every row once.
  refused   UploadPart answering 503 SlowDown every time; manifest PutObjects answering 500
            InternalError every time from the sixth on. The run fails naming the window, the
            HTTP status and S3's error code, with nothing of the window committed and the
            multipart upload aborted; after the fault is cleared the rerun completes.

Every case ends with no open multipart upload, no object under the table that its metadata does
not reference, every referenced object at its recorded size, one linear snapshot chain, and after
the (re)run every source row exactly once.

Run by ctest:  test_s3_faults.py --cli build/src/cli/influx2iceberg
"""

import os
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "storage"))
import faultlib as F  # noqa: E402
from faultlib import J  # noqa: E402
from moto_s3 import MotoS3  # noqa: E402
from s3_fault_proxy import S3FaultProxy  # noqa: E402
from pyiceberg.catalog.sql import SqlCatalog  # noqa: E402

HOURS = 6
BIG_HOUR = 2
BUCKET = "i2i-faults"
PART = 5 * 1024 * 1024


class Case:
    """One table: its own SQLite catalog and its own prefix in the bucket."""

    def __init__(self, tmp, s3, proxy, name):
        self.name, self.s3 = name, s3
        self.keys = {"s3.access-key-id": s3.key_id, "s3.secret-access-key": s3.secret, "s3.region": s3.region}
        self.cfg = dict(self.keys, **{"name": "s3f", "type": "sql", "uri": "sqlite:///%s/%s.db" % (tmp, name),
                                      "warehouse": "s3://%s/%s" % (BUCKET, name), "s3.endpoint": proxy.endpoint,
                                      "s3.path-style-access": "true",
                                      "s3.multipart.part-size-bytes": str(PART)})

    def table(self):
        """The table read back with PyIceberg straight from moto (not through the proxy)."""
        props = dict(self.keys, **{"s3.endpoint": self.s3.endpoint})
        cat = SqlCatalog("s3f", uri=self.cfg["uri"], warehouse=self.cfg["warehouse"], **props)
        try:
            t = cat.load_table(("default", self.name))
        except Exception as e:  # noqa: BLE001 -- never created
            print("note: table default.%s not loadable: %s" % (self.name, e))
            return None
        return F.load(t.metadata_location, props)

    def listing(self):
        """{s3://bucket/key: size} of every object under the table's location."""
        out, token = {}, None
        prefix = "%s/default/%s/" % (self.name, self.name)
        while True:
            kw = {"Bucket": BUCKET, "Prefix": prefix}
            if token:
                kw["ContinuationToken"] = token
            r = self.s3.s3.list_objects_v2(**kw)
            for o in r.get("Contents", []):
                out["s3://%s/%s" % (BUCKET, o["Key"])] = o["Size"]
            if not r.get("IsTruncated"):
                return out
            token = r["NextContinuationToken"]

    def no_open_uploads(self, label):
        left = [u["Key"] for u in self.s3.s3.list_multipart_uploads(Bucket=BUCKET, Prefix=self.name + "/")
                .get("Uploads", [])]
        J.check(not left, "%s: no multipart upload left open (%s)" % (label, left[:3]))


def main():
    a = J.cli_test_args()
    with tempfile.TemporaryDirectory(prefix="i2i-s3faults-") as tmp, MotoS3(bucket=BUCKET) as s3, \
            S3FaultProxy(s3.endpoint) as proxy:
        ds = F.Dataset(tmp, HOURS, big_hour=BIG_HOUR)
        try:
            retried = [
                ("500 InternalError on the first UploadPart",
                 dict(op="UploadPart", status=500, code="InternalError")),
                ("503 SlowDown twice on a PutObject",
                 dict(op="PutObject", skip=4, count=2)),
                ("the connection dropped 1 MiB into an UploadPart",
                 dict(op="UploadPart", action="drop_mid_body", after_bytes=1 << 20)),
                ("a PutObject applied but its reply lost",
                 dict(op="PutObject", action="drop_after_forward", skip=6)),
                ("503 SlowDown on CompleteMultipartUpload",
                 dict(op="CompleteMultipartUpload")),
            ]
            for i, (label, rule) in enumerate(retried):
                proxy.clear()
                proxy.add(**rule)
                c = Case(tmp, s3, proxy, "retried%d" % i)
                r, secs = F.run_cli(a.cli, ds, c.name, c.cfg)
                want = rule.get("count", 1)
                J.check(len(proxy.injected) == want, "%s: the fault was met %d time(s) (%s)"
                        % (label, want, proxy.injected))
                # the request was sent again after the fault (by our retry loop, or by libcurl
                # itself when a reused connection died before any reply byte)
                retried = [(op, key) for op, key, _ in proxy.injected if proxy.hits(op, key) <= want]
                J.check(proxy.injected and not retried, "%s: each faulted request was sent again (%s)" % (label, retried))
                F.check_complete(label, r, ds, c.table(), c.listing())
                c.no_open_uploads(label)
                if i == 0:  # the proxy passes everything else through unchanged, signatures included
                    J.check(proxy.hits("UploadPart") >= 3 and proxy.hits("CompleteMultipartUpload") == 1,
                            "%s: window %d went up as a multipart upload (%d part requests)"
                            % (label, BIG_HOUR + 1, proxy.hits("UploadPart")))
                J.ok("%s: %.1f s" % (label, secs))

            refused = [
                ("UploadPart answering 503 SlowDown every time",
                 dict(op="UploadPart", count=-1), ["HTTP 503", "SlowDown", "upload part"]),
                # (manifests and manifest lists: a metadata file's write would be retried by the
                # commit loop too, 5 x 5 attempts, ~30 s, before the same clean failure)
                ("manifest PutObjects (.avro) answering 500 InternalError from the sixth on",
                 dict(op="PutObject", suffix=".avro", skip=5, count=-1, status=500, code="InternalError"),
                 ["HTTP 500", "InternalError", ".avro"]),
            ]
            for i, (label, rule, words) in enumerate(refused):
                proxy.clear()
                proxy.add(**rule)
                c = Case(tmp, s3, proxy, "refused%d" % i)
                t = time.time()
                r, secs = F.run_cli(a.cli, ds, c.name, c.cfg)
                J.check(len(proxy.injected) >= 2, "%s: the fault was met on every retry (%d times)"
                        % (label, len(proxy.injected)))
                failed = [x for x in r.stderr.splitlines() if "replicate failed" in x]
                print("  cli: " + (failed[-1] if failed else r.stderr[-300:])[:700], flush=True)
                hours = F.check_failed(label, r, words, ds, c.table(), c.listing())
                c.no_open_uploads(label)
                J.ok("%s: failed after %.1f s" % (label, secs))
                proxy.clear()
                r, _ = F.run_cli(a.cli, ds, c.name, c.cfg)
                F.check_complete(label + ", rerun", r, ds, c.table(), c.listing(), skipped=len(hours))
                c.no_open_uploads(label + ", rerun")
                J.ok("%s and its rerun: %.1f s" % (label, time.time() - t))
        finally:
            ds.close()
    return J.finish()


if __name__ == "__main__":
    sys.exit(main())
