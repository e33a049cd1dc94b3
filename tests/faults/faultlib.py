"""Shared by the end-to-end fault tests (disk full, PostgreSQL restarts, S3 faults): one dataset of
regular rows in one-hour windows, the CLI run against the emulator, and the checks every case
ends with, whatever the fault:

  after a failed run   rc 1, a message naming the cause and the window; the table holds exactly
                       the windows before it, each whole; every file the table references exists
                       whole (its recorded size) and no file of the table is unreferenced (the
                       failed window left nothing behind, not even a temp file);
  after the rerun      every source row exactly once, the snapshot chain linear, no two snapshots
                       covering the same time, and again no unreferenced or partial file.

Tables are read with PyIceberg (StaticTable on the current metadata file, so any catalog works).
"""

import base64
import json
import os
import random
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "judges"))
import judgelib as J  # noqa: E402

J.require_pyiceberg()
from judge_pyiceberg import canonical_rows  # noqa: E402
from pyiceberg.table import StaticTable  # noqa: E402

NS = 1_000_000_000
T0 = 1_775_001_600 * NS  # 2026-04-01T00:00:00Z
HOUR = 3600 * NS
START = "2026-04-01T00:00:00Z"


def iso(ns):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ns // NS))


def window_label(hour):
    """How the CLI names window `hour` in its messages (start of the half-open range)."""
    return "[%s.000000000Z" % iso(T0 + hour * HOUR)[:-1]


class Dataset:
    """`hours` one-hour windows of regular rows (3 hosts, a row a minute) in the emulator's
    database `db`, measurement cpu. With big_hour, that window also gets big_rows rows of host
    "big" with a 2000-character random `blob` string: a Parquet file of ~6.5 MB, more than one
    5 MiB multipart part."""

    def __init__(self, tmp, hours, db="fdb", seed=81, big_hour=None, big_rows=4500):
        self.tmp, self.hours, self.db = tmp, hours, db
        lp, exp = os.path.join(tmp, "cpu.lp"), os.path.join(tmp, "cpu.json")
        J.gen_regular(lp, exp, "cpu", T0, hours * 60, 60 * NS, hosts=3, seed=seed)
        _, self.expected = J.load_expected([exp])
        if big_hour is not None:
            rng = random.Random(seed)
            with open(lp, "a") as f:
                for k in range(big_rows):
                    t = T0 + big_hour * HOUR + k * (HOUR // big_rows)
                    blob = base64.b64encode(rng.randbytes(1500)).decode()
                    f.write('cpu,host=big,region=xx usage=%r,count=%di,blob="%s" %d\n' % (float(k), k, blob, t))
                    self.expected.append({"time": str(t), "host": "big", "region": "xx", "usage": J.dbits(float(k)),
                                          "count": str(k), "blob": blob})
        self.token = J.write_secret(os.path.join(tmp, "influx.token"), J.TOKEN)
        self.emu = J.Emulator(tmp)
        self.emu.write_lp(db, lp, chunk_lines=2000)  # the big rows stay under the 10 MiB request limit
        self.end = iso(T0 + hours * HOUR)

    def close(self):
        self.emu.close()

    def want(self, names, hours=None):
        rows = J.want_rows(self.expected, names, "us")
        if hours is None:
            return rows
        return [r for r in rows if (int(r["time"]) * 1000 - T0) // HOUR in hours]


def run_cli(cli, ds, table, catalog_configs, fault=None, env=None, timeout=300, extra=()):
    """influx2iceberg replicate of the whole dataset in 1h windows; returns (CompletedProcess,
    seconds). `fault` is an I2I_FAULT value."""
    e = dict(os.environ if env is None else env)
    e.pop("I2I_FAULT", None)
    if fault:
        e["I2I_FAULT"] = fault
    cmd = [cli, "replicate", "--host", ds.emu.url, "--database", ds.db, "--token-file", ds.token,
           "--measurement", "cpu", "--table-name", table, "--catalog-configs", json.dumps(catalog_configs),
           "--batch-size", "1h", "--backfill-start", START, "--backfill-end", ds.end,
           "--no-progress", "--json"] + list(extra)
    t = time.time()
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=e)
    return r, time.time() - t


def report(r):
    try:
        return json.loads(r.stdout or "{}")
    except ValueError:
        return {}


# ----------------------------------------------------------------------------- reading a table

def load(metadata_location, props=None):
    return StaticTable.from_metadata(metadata_location, properties=props or {})


def referenced_files(tbl):
    """{path: recorded size or None} of every file the table's metadata reaches: the metadata
    files of its log, manifest lists, manifests and data files of every snapshot."""
    io, md = tbl.io, tbl.metadata
    refs = {tbl.metadata_location: None}
    for entry in md.metadata_log:
        refs[entry.metadata_file] = None
    for snap in md.snapshots:
        refs[snap.manifest_list] = None
        for mf in snap.manifests(io):
            refs[mf.manifest_path] = mf.manifest_length
            for e in mf.fetch_manifest_entry(io, discard_deleted=False):
                refs[e.data_file.file_path] = e.data_file.file_size_in_bytes
    return refs


def strip_scheme(p):
    for pre in ("file://",):
        if p.startswith(pre):
            return p[len(pre):]
    return p


def audit_files(label, tbl, listing):
    """Every referenced file exists with its recorded size, and `listing` ({path: size} of every
    object under the table location, temp files included) holds nothing else."""
    refs = {strip_scheme(k): v for k, v in referenced_files(tbl).items()}
    have = {strip_scheme(k): v for k, v in listing.items()}
    missing = sorted(p for p in refs if p not in have)
    partial = sorted(p for p, n in refs.items() if n is not None and p in have and have[p] != n)
    stray = sorted(p for p in have if p not in refs)
    J.check(not missing, "%s: every file the table references exists (missing: %s)" % (label, missing[:3]))
    J.check(not partial, "%s: every referenced file is whole, as long as its manifest says (short: %s)"
            % (label, partial[:3]))
    J.check(not stray, "%s: no file of the table is unreferenced, no temp file left (stray: %s)"
            % (label, stray[:5]))
    if not (missing or partial or stray):
        J.ok("%s: %d files, all referenced and whole, nothing stray" % (label, len(have)))


def local_listing(location):
    """{path: size} of every regular file under a local table location."""
    root = strip_scheme(location)
    out = {}
    for d, _, files in os.walk(root):
        for n in files:
            p = os.path.join(d, n)
            out[p] = os.path.getsize(p)
    return out


def rows_of(tbl):
    schema = tbl.schema()
    return canonical_rows(tbl.scan().to_arrow(), schema), [f.name for f in schema.fields]


def hours_of(rows):
    return sorted({(int(x["time"]) * 1000 - T0) // HOUR for x in rows})


def check_chain(label, tbl):
    snaps = sorted(tbl.metadata.snapshots, key=lambda s: s.sequence_number)
    chain = all(snaps[i].parent_snapshot_id == snaps[i - 1].snapshot_id for i in range(1, len(snaps)))
    J.check(chain, "%s: %d snapshots in one linear chain" % (label, len(snaps)))
    spans = sorted((int(s.summary["influx2iceberg.window-start"]), int(s.summary["influx2iceberg.window-end"]))
                   for s in snaps if s.summary and "influx2iceberg.window-start" in s.summary)
    overlap = any(spans[i][0] < spans[i - 1][1] for i in range(1, len(spans)))
    J.check(not overlap, "%s: no two snapshots cover the same time (%d windows)" % (label, len(spans)))


def check_failed(label, r, words, ds, tbl, listing, min_done=1):
    """A failed run: rc 1 and a message holding each of `words` and 'window'; the table holds
    whole windows 0..k-1 only (k >= min_done, k < all), and no stray or partial file."""
    err = r.stderr
    J.check(r.returncode == 1 and all(w.lower() in err.lower() for w in words) and "window" in err,
            "%s: a clear error naming %s and the window (rc %d, %r)" % (label, words, r.returncode, err[-900:]))
    J.check("nothing committed for it" in err, "%s: the message says nothing was committed for the window" % label)
    if tbl is None:
        J.check(min_done == 0, "%s: the table exists" % label)
        return []
    got, names = rows_of(tbl)
    hours = hours_of(got)
    J.check(min_done <= len(hours) < ds.hours and hours == list(range(len(hours))),
            "%s: the windows before the failure stay; nothing of the failed one or after it "
            "(%d rows in hours %s)" % (label, len(got), hours))
    # equal to every source row of those hours: each committed window whole, nothing else
    J.compare_rows("%s: what was committed" % label, got, ds.want(names, set(hours)))
    audit_files(label, tbl, listing)
    return hours


def check_complete(label, r, ds, tbl, listing, skipped=None):
    """A successful run (or rerun): every row once, the chain linear, nothing stray."""
    J.check(r.returncode == 0, "%s: the run succeeds (rc %d, %s)" % (label, r.returncode, r.stderr[-900:]))
    if skipped is not None and r.returncode == 0:
        rep = report(r)
        J.check(rep.get("skipped_batches") == skipped,
                "%s: the %d committed windows are skipped (%s)" % (label, skipped, rep.get("skipped_batches")))
    got, names = rows_of(tbl)
    J.compare_rows("%s: every row once" % label, got, ds.want(names))
    check_chain(label, tbl)
    audit_files(label, tbl, listing)
