"""A full disk end to end: CLI backfills of 12 one-hour windows into a local warehouse (SQLite SQL
catalog) whose writes run out of space, each followed by a rerun with room again.

  injected   I2I_FAULT=fail:storage.before-put:<n> makes the write of window 4's data file, its
             manifest, its manifest list or the table's new metadata file fail as a write
             returning ENOSPC does. The run must stop with rc 1 and a message naming the file and
             "No space left on device" and the window, windows 1-3 committed whole, nothing of
             window 4 referenced or left behind.
  real       a tmpfs of its own (a private mount namespace: `unshare -Urm`, no root needed where
             user namespaces are allowed) filled up to half of what the backfill needs, once with
             the SQLite catalog on the full file system too (the embedded default's layout) and
             once with the catalog elsewhere. Whatever write hits the full disk, the run must fail
             as above, leave no temp file, no partial file and no unreferenced file, and a rerun
             after freeing space must copy every row exactly once.

Where user namespaces are not allowed the real cases are skipped, saying so; the injected ones
always run. Run by ctest:  test_disk_full.py --cli build/src/cli/influx2iceberg
"""

import gc
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import faultlib as F  # noqa: E402
from faultlib import J  # noqa: E402
from pyiceberg.catalog.sql import SqlCatalog  # noqa: E402

HOURS = 12
FAIL_WINDOW = 3          # 0-based: the 4th window's writes fail
NS_MARK = "I2I_DISK_FULL_IN_NS"


def sqlite_configs(wh, db_dir=None):
    db = os.path.join(db_dir or wh, "catalog.db")
    return {"name": "full", "type": "sql", "uri": "sqlite:///" + db, "warehouse": wh}


def load(cfg, table):
    """The table through our SQLite catalog, or None when it was never created."""
    cat = SqlCatalog("full", uri=cfg["uri"], warehouse="file://" + cfg["warehouse"])
    try:
        t = cat.load_table(("default", table))
    except Exception as e:  # noqa: BLE001 -- NoSuchTableError and friends
        print("note: table default.%s not loadable: %s" % (table, e))
        return None
    return F.load(t.metadata_location)


def table_dir(cfg, table):
    return os.path.join(cfg["warehouse"], "default", table)


def check_fault_parsing(cli):
    """fail: values are parsed as strictly as kill: ones (a typo must not become a clean run)."""
    bad = {"fail:storage.before-put:0": "fail:<point>:<n>[:<errno>]",
           "fail:storage.before-put:2:ENOPE": "unknown errno 'ENOPE'",
           "fail:no.such.point:2": "unknown point 'no.such.point'",
           "kill:storage.before-put:2:ENOSPC": "kill:<point>:<n> (n >= 1)",
           "fail:storage.before-put": "fail:<point>:<n>[:<errno>]"}
    for value, want in bad.items():
        p = subprocess.run([cli, "replicate", "--measurement", "cpu"], capture_output=True, text=True,
                           env=dict(os.environ, I2I_FAULT=value), timeout=60)
        J.check(p.returncode == 2 and want in p.stderr,
                "I2I_FAULT=%s is refused with exit 2 naming %r (rc %d, %r)" % (value, want, p.returncode, p.stderr[-300:]))


def injected(cli, ds, tmp):
    # Where the writes of a window are: a reference run counts the storage.before-put hits; each
    # window writes its data file, manifest, manifest list and metadata file, in that order,
    # after the table's first metadata file.
    cfg = sqlite_configs(os.path.join(tmp, "wh-count"))
    os.makedirs(cfg["warehouse"])
    counts = os.path.join(tmp, "counts")
    r, _ = F.run_cli(cli, ds, "count", cfg, fault="count:" + counts)
    J.check(r.returncode == 0, "the reference run succeeds (%s)" % r.stderr[-500:])
    hits = dict(line.split() for line in open(counts))
    per_window = 4
    J.check(int(hits["storage.before-put"]) == 1 + per_window * HOURS,
            "the reference run writes 1 + %d x %d files (%s): the hit numbers below point where they say"
            % (per_window, HOURS, hits["storage.before-put"]))
    base = 2 + per_window * FAIL_WINDOW
    cases = [("data file", "fail:storage.before-put:%d" % base, ".parquet"),
             ("manifest", "fail:storage.before-put:%d:ENOSPC" % (base + 1), "-m0.avro"),
             ("manifest list", "fail:storage.before-put:%d" % (base + 2), "/snap-"),
             ("metadata file", "fail:storage.before-put:%d" % (base + 3), ".metadata.json")]
    for i, (what, fault, name) in enumerate(cases):
        label = "ENOSPC writing window %d's %s" % (FAIL_WINDOW + 1, what)
        table = "inj%d" % i
        cfg = sqlite_configs(os.path.join(tmp, "wh-" + table))
        os.makedirs(cfg["warehouse"])
        r, _ = F.run_cli(cli, ds, table, cfg, fault=fault)
        tbl = load(cfg, table)
        hours = F.check_failed(label, r, ["No space left on device", name, F.window_label(FAIL_WINDOW)], ds, tbl,
                               F.local_listing(table_dir(cfg, table)))
        J.check(hours == list(range(FAIL_WINDOW)), "%s: windows 1-%d committed (%s)" % (label, FAIL_WINDOW, hours))
        r, _ = F.run_cli(cli, ds, table, cfg)
        F.check_complete(label + ", rerun", r, ds, load(cfg, table), F.local_listing(table_dir(cfg, table)),
                         skipped=FAIL_WINDOW)


# ----------------------------------------------------------------------------- a real full disk

def can_unshare():
    try:
        p = subprocess.run(["unshare", "-Urm", "--propagation", "private", "true"], capture_output=True,
                           text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as e:
        return "unshare: %s" % e
    return None if p.returncode == 0 else (p.stderr.strip() or "unshare exited %d" % p.returncode)


def free_bytes(path):
    st = os.statvfs(path)
    return st.f_bavail * st.f_frsize


def fill(path, leave):
    """A filler file so that `leave` bytes stay free on path's file system."""
    n = free_bytes(os.path.dirname(path)) - leave
    with open(path, "wb") as f:
        chunk = b"\0" * (1 << 20)
        while n > 0:
            f.write(chunk[:min(n, len(chunk))])
            n -= len(chunk)


def real(cli, ds, tmp):
    mnt = os.path.join(tmp, "small-disk")
    os.makedirs(mnt)
    p = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=32m,mode=0755", "tmpfs", mnt],
                       capture_output=True, text=True)
    if p.returncode != 0:
        J.check(False, "mounting a tmpfs inside the private namespace: %s" % p.stderr.strip())
        return
    try:
        # What a whole backfill takes on this file system (catalog included), so the filler can
        # leave half of it whatever the file sizes are.
        cfg = sqlite_configs(os.path.join(mnt, "calibrate"))
        os.makedirs(cfg["warehouse"])
        before = free_bytes(mnt)
        r, _ = F.run_cli(cli, ds, "calib", cfg)
        need = before - free_bytes(mnt)
        J.check(r.returncode == 0 and need > 0, "a backfill fits on the empty tmpfs (%d bytes; %s)"
                % (need, r.stderr[-300:]))
        shutil.rmtree(cfg["warehouse"])

        for label, catalog_outside in (("a full disk under the warehouse and its SQLite catalog", False),
                                       ("a full disk under the warehouse (catalog elsewhere)", True)):
            table = "real%d" % int(catalog_outside)
            wh = os.path.join(mnt, "wh-" + table)
            os.makedirs(wh)
            db_dir = os.path.join(tmp, "db-" + table) if catalog_outside else None
            if db_dir:
                os.makedirs(db_dir)
            cfg = sqlite_configs(wh, db_dir)
            filler = os.path.join(mnt, "filler")
            fill(filler, need // 2)
            r, _ = F.run_cli(cli, ds, table, cfg)
            print("note: %s: %s" % (label, r.stderr.strip().splitlines()[-2:] if r.stderr.strip() else "no error"))
            # The message names the file (or the catalog database) that could not be written.
            named = "'%s/" % wh in r.stderr or "catalog.db" in r.stderr
            J.check(named, "%s: the message names the file that could not be written (%r)" % (label, r.stderr[-600:]))
            words = ["No space left on device"] if catalog_outside else []
            if not catalog_outside and "No space left on device" not in r.stderr:
                words = ["database or disk is full"]  # SQLite's words for ENOSPC
            F.check_failed(label, r, words, ds, load(cfg, table), F.local_listing(table_dir(cfg, table)))
            os.unlink(filler)
            r, _ = F.run_cli(cli, ds, table, cfg)
            F.check_complete(label + ", rerun after freeing space", r, ds, load(cfg, table),
                             F.local_listing(table_dir(cfg, table)))
            shutil.rmtree(wh)
    finally:
        # PyIceberg's readers may still hold a file open until collected; a lazy unmount
        # detaches the tmpfs anyway, and it goes away with its last user.
        gc.collect()
        if subprocess.run(["umount", mnt], capture_output=True).returncode != 0:
            p = subprocess.run(["umount", "-l", mnt], capture_output=True, text=True)
            J.check(p.returncode == 0, "unmounting the tmpfs: %s" % p.stderr.strip())


def main():
    a = J.cli_test_args()
    if os.environ.get(NS_MARK) != "1":
        why = can_unshare()
        if why is None:
            # Again, inside a user + mount namespace of our own, where mounting a tmpfs is allowed
            # and nobody else sees it.
            env = dict(os.environ, **{NS_MARK: "1"})
            os.execvpe("unshare", ["unshare", "-Urm", "--propagation", "private", sys.executable,
                                   os.path.abspath(__file__)] + sys.argv[1:], env)
        print("SKIP the real full-disk cases: no private mount namespace here (%s); the injected "
              "ENOSPC cases still run" % why, flush=True)
    with tempfile.TemporaryDirectory(prefix="i2i-diskfull-") as tmp:
        check_fault_parsing(a.cli)
        ds = F.Dataset(tmp, HOURS)
        try:
            injected(a.cli, ds, tmp)
            if os.environ.get(NS_MARK) == "1":
                real(a.cli, ds, tmp)
        finally:
            ds.close()
    return J.finish()


if __name__ == "__main__":
    sys.exit(main())
