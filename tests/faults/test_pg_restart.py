"""PostgreSQL restarted under a running backfill: the SQL catalog on a real PostgreSQL 15
(started by tests/catalog/pg_harness.sh, which hands over its URI, data directory and binaries),
CLI backfills of 12 one-hour windows, each query slowed a little by the emulator so the test can
act between commits, and the server restarted or stopped mid-run.

  between commits   `pg_ctl restart -m fast` after 3 commits, while the CLI queries InfluxDB: its
                    idle connection is gone; the next catalog statement must reconnect and the run
                    succeed.
  during a commit   a deferred trigger holds one COMMIT of ours on the server (armed for that
                    server instance only), and the server is restarted while it waits: the
                    connection is lost after COMMIT was sent, the outcome is resolved by reading
                    the table's metadata pointer (the commit did not happen) and the commit is
                    retried; the run succeeds.
  lost replies      the connection cut just before COMMIT is sent and just after (I2I_FAULT fail:
                    at sql.before-commit / sql.after-commit): each outcome is read back from the
                    table's row on a new connection; the first is retried, the second kept, and
                    there is exactly one commit per window.
  down too long     `pg_ctl stop` after 3 commits, and the server stays down longer than the
                    driver reconnects: the run must fail that window clearly (PostgreSQL named,
                    nothing committed for it), the committed windows stay whole; after a start
                    the rerun completes.
  stopped while down  `pg_ctl stop` after 3 commits, and SIGTERM once the run logs that it is
                    reconnecting: the stop reaches the reconnect wait, so the run ends within
                    seconds, not after the 10 s reconnect budget (without the stop flag reaching
                    the driver it waits the budget out), with a clear error; the committed
                    windows stay whole, and after a start the rerun completes.

Every case ends with every source row exactly once, one linear snapshot chain, no two snapshots
covering the same time, and no unreferenced or partial file.

Run by ctest:  pg_harness.sh python test_pg_restart.py --cli build/src/cli/influx2iceberg
"""

import json
import os
import re
import shlex
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import faultlib as F  # noqa: E402
from faultlib import J  # noqa: E402

HOURS = 12
QUERY = "/api/v3/query_sql"
QUERY_DELAY_MS = 400     # each window's query: time for the test to act between commits


class Pg:
    """The harness's PostgreSQL: SQL through psql, restarts through pg_ctl (as user postgres when
    we are root, as the harness runs it)."""

    def __init__(self):
        try:
            self.uri = os.environ["I2I_TEST_PG_URI"]
            self.data = os.environ["I2I_TEST_PG_DATA"]
            self.bin = os.environ["I2I_TEST_PG_BIN"]
            self.opts = os.environ["I2I_TEST_PG_OPTS"]
        except KeyError as e:
            raise SystemExit("FAIL %s is not set: run this under tests/catalog/pg_harness.sh" % e)
        self.log = os.path.join(os.path.dirname(self.data), "server.log")

    def sql(self, q):
        p = subprocess.run(["psql", self.uri, "-v", "ON_ERROR_STOP=1", "-Atqc", q], capture_output=True,
                           text=True, timeout=60)
        if p.returncode != 0:
            raise RuntimeError("psql %r: %s" % (q, p.stderr.strip()))
        return p.stdout.strip()

    def ctl(self, *args):
        """pg_ctl <args> -w; returns the seconds it took. The server's output goes to its log
        file: an inherited pipe would keep our reads open as long as the server runs."""
        cmd = [os.path.join(self.bin, "pg_ctl"), "-D", self.data, "-l", self.log, "-w", "-t", "60"] + list(args)
        if args[0] == "start":
            cmd += ["-o", self.opts]  # the harness's port and settings; restart reuses them itself
        if os.getuid() == 0:
            cmd = ["su", "postgres", "-s", "/bin/sh", "-c", " ".join(shlex.quote(c) for c in cmd)]
        t = time.time()
        p = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                           text=True, timeout=120)
        if p.returncode != 0:
            raise RuntimeError("pg_ctl %s: %s" % (" ".join(args), p.stderr.strip()))
        return time.time() - t

    def metadata_location(self, table):
        try:
            return self.sql("SELECT metadata_location FROM iceberg_tables WHERE table_namespace = 'default' "
                            "AND table_name = '%s'" % table) or None
        except RuntimeError as e:
            if 'relation "iceberg_tables" does not exist' in str(e):
                return None  # the CLI has not created the catalog's tables yet
            raise


def version(loc):
    """NNNNN of <dir>/NNNNN-<uuid>.metadata.json: the table's commit count (0 = created)."""
    m = re.search(r"/(\d+)-[^/]*\.metadata\.json$", loc or "")
    return int(m.group(1)) if m else -1


def emulator_fault(emu, spec):
    req = urllib.request.Request(emu.url + "/_emulator/fault", data=json.dumps(spec).encode(), method="POST")
    with urllib.request.urlopen(req, timeout=30) as r:
        r.read()


def start_cli(cli, ds, table, cfg, stderr=subprocess.PIPE):
    cmd = [cli, "replicate", "--host", ds.emu.url, "--database", ds.db, "--token-file", ds.token,
           "--measurement", "cpu", "--table-name", table, "--catalog-configs", json.dumps(cfg),
           "--batch-size", "1h", "--backfill-start", F.START, "--backfill-end", ds.end, "--no-progress", "--json"]
    env = dict(os.environ)
    env.pop("I2I_FAULT", None)
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=stderr, text=True, env=env)


def wait_commits(pg, table, n, proc, timeout=120):
    """Until the table has n commits after its creation; False when the CLI ended first."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        if version(pg.metadata_location(table)) >= n:
            return True
        if proc.poll() is not None:
            return False
        time.sleep(0.05)
    return False


def finish(proc, timeout=180):
    out, err = proc.communicate(timeout=timeout)
    for line in err.splitlines():  # how the run saw the outage, for the ctest log
        if any(w in line for w in ("PostgreSQL", "retrying", "outcome", "failed")):
            print("  cli: " + line[:400])
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


def table_of(pg, table):
    loc = pg.metadata_location(table)
    return (F.load(loc), F.local_listing(os.path.dirname(os.path.dirname(F.strip_scheme(loc))))) if loc else (None, {})


def between_commits(a, pg, ds, cfg):
    label = "PostgreSQL restarted between commits"
    proc = start_cli(a.cli, ds, "between", cfg)
    J.check(wait_commits(pg, "between", 3, proc), "%s: 3 windows committed before the restart" % label)
    secs = pg.ctl("restart", "-m", "fast")
    J.ok("%s: pg_ctl restart took %.1f s" % (label, secs))
    r = finish(proc)
    tbl, files = table_of(pg, "between")
    F.check_complete(label, r, ds, tbl, files)
    J.check("reconnect" in r.stderr, "%s: the log says the connection was re-established (%r)"
            % (label, r.stderr[-600:]))


def during_commit(a, pg, ds, cfg):
    label = "PostgreSQL restarted while our COMMIT waits on the server"
    # A deferred constraint trigger runs at COMMIT: once armed it holds every commit of this
    # server instance (pg_postmaster_start_time older than the arming), none after the restart.
    pg.sql("CREATE TABLE IF NOT EXISTS i2i_pause_arm (armed_at timestamptz NOT NULL);"
           "CREATE OR REPLACE FUNCTION i2i_pause() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
           "IF EXISTS (SELECT 1 FROM i2i_pause_arm WHERE armed_at > pg_postmaster_start_time()) THEN "
           "PERFORM pg_sleep(60); END IF; RETURN NULL; END $$;"
           "DROP TRIGGER IF EXISTS i2i_pause ON iceberg_tables;"
           "CREATE CONSTRAINT TRIGGER i2i_pause AFTER UPDATE ON iceberg_tables DEFERRABLE INITIALLY "
           "DEFERRED FOR EACH ROW EXECUTE FUNCTION i2i_pause()")
    proc = start_cli(a.cli, ds, "during", cfg)
    J.check(wait_commits(pg, "during", 3, proc), "%s: 3 windows committed before arming" % label)
    pg.sql("INSERT INTO i2i_pause_arm VALUES (clock_timestamp())")
    held = None
    deadline = time.time() + 60
    while time.time() < deadline and proc.poll() is None:
        held = pg.sql("SELECT pid FROM pg_stat_activity WHERE application_name = 'influx2iceberg' AND "
                      "state = 'active' AND query = 'COMMIT' AND wait_event = 'PgSleep'")
        if held:
            break
        time.sleep(0.05)
    J.check(bool(held), "%s: a COMMIT of ours is held on the server (pid %s)" % (label, held))
    before = version(pg.metadata_location("during"))
    secs = pg.ctl("restart", "-m", "fast")
    J.ok("%s: pg_ctl restart took %.1f s" % (label, secs))
    r = finish(proc)
    tbl, files = table_of(pg, "during")
    F.check_complete(label, r, ds, tbl, files)
    J.check("was not applied" in r.stderr,
            "%s: the lost COMMIT was resolved by reading the table's row (not applied), then retried" % label)
    J.check(version(pg.metadata_location("during")) == HOURS and before < HOURS,
            "%s: the held commit did not land and was retried: %d commits in all (held at %d)"
            % (label, version(pg.metadata_location("during")), before))
    pg.sql("DROP TRIGGER i2i_pause ON iceberg_tables")


def down_too_long(a, pg, ds, cfg):
    label = "PostgreSQL stopped for longer than the driver reconnects"
    proc = start_cli(a.cli, ds, "down", cfg)
    J.check(wait_commits(pg, "down", 3, proc), "%s: 3 windows committed before the stop" % label)
    pg.ctl("stop", "-m", "fast")
    t = time.time()
    try:
        r = finish(proc, timeout=120)
        J.ok("%s: the run gave up %.1f s after the stop" % (label, time.time() - t))
    finally:
        pg.ctl("start")
    tbl, files = table_of(pg, "down")
    hours = F.check_failed(label, r, ["PostgreSQL", "reconnecting failed", "Connection refused"], ds, tbl, files,
                           min_done=3)
    r = F.run_cli(a.cli, ds, "down", cfg)[0]
    tbl, files = table_of(pg, "down")
    F.check_complete(label + ", rerun", r, ds, tbl, files, skipped=len(hours))


def stopped_while_down(a, pg, ds, cfg):
    label = "SIGTERM while reconnecting to a stopped PostgreSQL"
    with tempfile.NamedTemporaryFile("w+", prefix="i2i-stopped-", suffix=".err") as errf:
        def log():
            with open(errf.name) as f:
                return f.read()
        proc = start_cli(a.cli, ds, "stopped", cfg, stderr=errf)
        J.check(wait_commits(pg, "stopped", 3, proc), "%s: 3 windows committed before the stop" % label)
        pg.ctl("stop", "-m", "fast")
        try:
            deadline = time.time() + 60
            while time.time() < deadline and "reconnecting" not in log() and proc.poll() is None:
                time.sleep(0.05)
            J.check("reconnecting" in log(), "%s: the run is reconnecting (%r)" % (label, log()[-400:]))
            time.sleep(0.5)  # well inside the reconnect budget
            t = time.time()
            proc.send_signal(signal.SIGTERM)
            out = proc.communicate(timeout=120)[0]
            took = time.time() - t
            J.check(took < 5, "%s: the run ended %.1f s after SIGTERM (the reconnect budget is 10 s)"
                    % (label, took))
            print("  %s: ended %.1f s after SIGTERM" % (label, took))
        finally:
            pg.ctl("start")
        r = subprocess.CompletedProcess(proc.args, proc.returncode, out, log())
    for line in r.stderr.splitlines():
        if "PostgreSQL" in line or "stopped" in line:
            print("  cli: " + line[:400])
    tbl, files = table_of(pg, "stopped")
    hours = F.check_failed(label, r, ["stopped on request"], ds, tbl, files, min_done=3)
    r = F.run_cli(a.cli, ds, "stopped", cfg)[0]
    tbl, files = table_of(pg, "stopped")
    F.check_complete(label + ", rerun", r, ds, tbl, files, skipped=len(hours))


def lost_replies(a, pg, ds, cfg):
    """The connection cut (I2I_FAULT fail: at the SQL catalog's points, which shut the socket down)
    just before COMMIT is sent and just after it was: the first did not happen, the second did;
    both are decided by reading the table's row on a new connection, never by repeating blindly."""
    for point, table, want in (("sql.before-commit", "cut_before", "was not applied"),
                               ("sql.after-commit", "cut_after", "confirmed after a lost reply")):
        label = "the connection cut at %s of window 5" % point
        r, _ = F.run_cli(a.cli, ds, table, cfg, fault="fail:%s:5" % point)
        tbl, files = table_of(pg, table)
        F.check_complete(label, r, ds, tbl, files)
        J.check(want in r.stderr, "%s: the outcome was read back: %r" % (label, want))
        J.check(version(pg.metadata_location(table)) == HOURS,
                "%s: one commit per window, none repeated (%d)" % (label, version(pg.metadata_location(table))))


def main():
    a = J.cli_test_args()
    pg = Pg()
    with tempfile.TemporaryDirectory(prefix="i2i-pgrestart-") as tmp:
        ds = F.Dataset(tmp, HOURS)
        try:
            wh = os.path.join(tmp, "wh")
            os.makedirs(wh)
            cfg = {"name": "pgr", "type": "sql", "uri": pg.uri, "warehouse": wh}
            lost_replies(a, pg, ds, cfg)
            emulator_fault(ds.emu, [{"delay_ms": QUERY_DELAY_MS, "count": -1, "path": QUERY}])
            for case in (between_commits, during_commit, down_too_long, stopped_while_down):
                t = time.time()
                case(a, pg, ds, cfg)
                J.ok("%s: %.1f s" % (case.__name__, time.time() - t))
        finally:
            ds.close()
    return J.finish()


if __name__ == "__main__":
    sys.exit(main())
