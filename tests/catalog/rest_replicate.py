#!/usr/bin/env python3
"""End to end into a REST catalog: the CLI replicates from the InfluxDB 3 emulator into
rest_standin.py (static bearer token, local warehouse; the server writes every metadata file),
then PyIceberg's RestCatalog reads the table back through the same server.

    rest_replicate.py --cli PATH/influx2iceberg

Proves: a catalog given only a uri (no "type") is a REST catalog; the create request and every
commit's requirements/updates are applied by the server into metadata PyIceberg accepts; commits
that meet an injected 409 (CommitFailedException: reload, re-apply on the new head) and a 500
after the server applied them (state unknown: reload, find our snapshot, do not commit again)
lose nothing and duplicate nothing (the third run also adds a column: add-schema and
set-current-schema applied by the server): every value is compared and the snapshots form one chain with
exactly one snapshot per applied commit; a wrong token fails with HTTP 401 and is not printed."""
import argparse
import json
import os
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "judges"))
sys.path.insert(0, HERE)
import judgelib as J  # noqa: E402
from rest_standin import RestStandin  # noqa: E402

J.require_pyiceberg()
from judge_pyiceberg import canonical_rows  # noqa: E402
from pyiceberg.catalog.rest import RestCatalog  # noqa: E402

NS = 1_000_000_000
T_2025_01_30 = 1738195200 * NS
STEP = 1800 * NS  # every 30 minutes
TOKEN = "rest-e2e-token-5b1d"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cli", required=True)
    a = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="i2i-rest-e2e-") as tmp, \
            RestStandin(token=TOKEN, warehouse=os.path.join(tmp, "warehouse")) as rest:
        f = lambda n: os.path.join(tmp, n)  # noqa: E731
        # no "type": inferred from the http uri, as PyIceberg does
        catalog = {"uri": rest.uri, "token": TOKEN, "warehouse": rest.warehouse}
        batches = [("a", 21), ("b", 22), ("c", 23), ("d", 24), ("e", 25)]
        for i, (n, seed) in enumerate(batches):
            # the third batch brings a new field: add-schema + set-current-schema through REST
            J.gen_regular(f(n + ".lp"), f(n + ".json"), "cpu", T_2025_01_30 + i * 3 * 48 * STEP,
                          3 * 48, STEP, hosts=3, seed=seed,
                          extra_field="new field.x" if n in ("c", "d", "e") else None)
        emu = J.Emulator(tmp)
        try:
            emu.write_lp("restdb", f("a.lp"))
            rep = J.cli_replicate(a.cli, emu, "restdb", "cpu", catalog, [], "rest first run")
            J.check(rep is not None and rep.get("total_written_records", 0) > 0,
                    "first run created the table and wrote rows (%s)"
                    % (rep and rep.get("total_written_records")))

            # a concurrent commit's 409, then a 500 after the server applied the commit
            emu.write_lp("restdb", f("b.lp"))
            rest.inject("409", "500-after")
            rep = J.cli_replicate(a.cli, emu, "restdb", "cpu", catalog, [], "rest run with 409 + 500")
            J.check(rep is not None and rep.get("total_written_records", 0) > 0,
                    "second run appended through a 409 and a 500-after-applying (%s)"
                    % (rep and rep.get("total_written_records")))
            st = rest.stats()
            J.check(not st["pending"], "every injected fault was met (%s)" % st["pending"])
            J.ok("second run's report: %s" % json.dumps({k: v for k, v in (rep or {}).items()
                                                          if not isinstance(v, (dict, list))}))

            emu.write_lp("restdb", f("c.lp"))
            rest.inject("500-after", "409", "500-after")
            rep = J.cli_replicate(a.cli, emu, "restdb", "cpu", catalog, ["--auto-update-schema"],
                                  "rest run with 500/409/500")
            J.check(rep is not None and rep.get("total_written_records", 0) > 0,
                    "third run appended through 500-after, 409, 500-after (%s)"
                    % (rep and rep.get("total_written_records")))
            st = rest.stats()
            J.check(not st["pending"], "every injected fault was met (%s)" % st["pending"])
            J.check(rep is not None and rep.get("columns_added", 0) >= 1,
                    "third run added the new column (%s)" % (rep and rep.get("columns_added")))

            # a 409 storm: four conflicts in a row on one commit are ridden out (commit.retry.num-retries
            # is 4, as in Java); six fail that window with a clear error, the windows before it stay,
            # and a rerun completes
            emu.write_lp("restdb", f("d.lp"))
            rest.inject("409", "409", "409", "409")
            rep = J.cli_replicate(a.cli, emu, "restdb", "cpu", catalog, [], "rest run through 4 x 409")
            J.check(rep is not None and rep.get("total_written_records", 0) > 0,
                    "four 409s in a row are retried and the run lands (%s)" % (rep and rep.get("total_written_records")))
            J.check(not rest.stats()["pending"], "every injected 409 was met")
            emu.write_lp("restdb", f("e.lp"))
            rest.inject(*(["409"] * 6))
            with tempfile.NamedTemporaryFile("w", delete=False, suffix=".token") as tf:
                tf.write(J.TOKEN + "\n")
            rc, out, err = J.run([a.cli, "replicate", "--host", emu.url, "--database", "restdb",
                                  "--token-file", tf.name, "--measurement", "cpu",
                                  "--catalog-configs", json.dumps(catalog), "--no-progress"], check_rc=False)
            os.unlink(tf.name)
            J.check(rc == 1 and ("409" in err or "conflict" in err.lower()),
                    "six 409s in a row fail the window with a clear error (rc %d, %r)" % (rc, err[-500:]))
            rest.inject()  # nothing pending
            rep = J.cli_replicate(a.cli, emu, "restdb", "cpu", catalog, [], "rest rerun after the storm")
            J.check(rep is not None, "the rerun after the storm completes")

            # a wrong token: HTTP 401 with the server's message, never the token itself
            bad = dict(catalog, token="Wr0ngToken-e2e-77")
            with tempfile.NamedTemporaryFile("w", delete=False, suffix=".token") as tf:
                tf.write(J.TOKEN + "\n")
            rc, out, err = J.run([a.cli, "replicate", "--host", emu.url, "--database", "restdb",
                                  "--token-file", tf.name, "--measurement", "cpu",
                                  "--catalog-configs", json.dumps(bad), "--no-progress"],
                                 check_rc=False)
            os.unlink(tf.name)
            J.check(rc != 0 and "401" in err and "Not authorized" in err,
                    "a wrong token fails with HTTP 401 and the server's message (rc %d, stderr %r)"
                    % (rc, err[-600:]))
            J.check("Wr0ngToken-e2e-77" not in out + err and TOKEN not in out + err,
                    "no token is printed")
        finally:
            emu.close()

        # PyIceberg reads it back through the same server
        cat = RestCatalog("rest", uri=rest.uri, token=TOKEN, warehouse=rest.warehouse)
        tbl = cat.load_table(("default", "cpu"))
        J.check(tbl.metadata.location.startswith("file://" + rest.warehouse),
                "the table lives in the stand-in's warehouse (%s)" % tbl.metadata.location)
        schema = tbl.schema()
        names = [fld.name for fld in schema.fields]
        got = canonical_rows(tbl.scan().to_arrow(), schema)
        _, rows = J.load_expected([f(n + ".json") for n, _ in batches])
        J.compare_rows("pyiceberg over REST: full scan (409 and 500-after injected)", got,
                       J.want_rows(rows, names, "us"))
        snaps = tbl.inspect.snapshots().to_pylist()
        chain = all(snaps[i]["parent_id"] == snaps[i - 1]["snapshot_id"] for i in range(1, len(snaps)))
        J.check("new field.x" in names and len(tbl.metadata.schemas) >= 2,
                "the table's schema grew through the server (%d schemas)" % len(tbl.metadata.schemas))
        J.check(len(snaps) >= 3 and chain, "the runs' %d snapshots form one chain" % len(snaps))
        st = rest.stats()
        # commits_applied counts metadata changes the server made; every applied one added a
        # snapshot or only properties, and none added a snapshot twice (the chain and rows say so)
        J.ok("server: %s" % json.dumps(st))
        J.check(len(snaps) <= st["commits_applied"],
                "%d snapshots from %d applied commits (%d requests)"
                % (len(snaps), st["commits_applied"], st["commit_requests"]))
    return J.finish()


if __name__ == "__main__":
    sys.exit(main())
