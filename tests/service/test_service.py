"""`influx2iceberg serve` against the InfluxDB 3 emulator: config checks, auth, the plugin's HTTP
replicate endpoint (sync and async), job status and cancel, two scheduled jobs at once, SIGTERM in
the middle of a backfill followed by a restart, SIGHUP, metrics, the log copy written back with
write_lp, and no secret in any log line, answer, metric or page. Tables are read back by PyIceberg
and every row compared with what the emulator was given.

Run by ctest with the interop venv's python:  test_service.py --cli build/src/cli/influx2iceberg
"""

import base64
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "judges"))
import judgelib as J  # noqa: E402
from judge_pyiceberg import canonical_rows  # noqa: E402
from pyiceberg.catalog.sql import SqlCatalog  # noqa: E402

NS = 1_000_000_000
API_TOKEN = "svc-api-token-6f0c2d91e7a4b358"
CATALOG_SECRET = "CatalogS3cretValue-9a7e"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Service:
    """influx2iceberg serve with a config file, its stderr in a log file."""

    def __init__(self, cli, workdir, config, name="svc"):
        self.workdir = workdir
        self.path = os.path.join(workdir, name + ".toml")
        with open(self.path, "w") as f:
            f.write(config)
        self.port = int(config.split("port = ", 1)[1].split("\n", 1)[0])
        self.log_path = os.path.join(workdir, name + ".log")
        self.log = open(self.log_path, "a")
        self.proc = subprocess.Popen([cli, "serve", "--config", self.path], stdout=self.log,
                                     stderr=self.log)
        deadline = time.time() + 30
        while True:
            try:
                if self.call("GET", "/health", token=None)[0] == 200:
                    break
            except OSError:
                pass
            if self.proc.poll() is not None or time.time() > deadline:
                raise RuntimeError("serve did not start:\n" + self.log_text()[-3000:])
            time.sleep(0.1)

    def log_text(self):
        if not self.log.closed:
            self.log.flush()
        with open(self.log_path, encoding="utf-8", errors="replace") as f:
            return f.read()

    def call(self, method, path, body=None, token=API_TOKEN, raw=None, headers=None):
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
        h = dict(headers or {})
        if token:
            h["Authorization"] = "Bearer " + token
        req = urllib.request.Request("http://127.0.0.1:%d%s" % (self.port, path), data=data,
                                     method=method, headers=h)
        try:
            with urllib.request.urlopen(req, timeout=600) as r:
                return r.status, dict(r.headers), r.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, dict(e.headers), e.read().decode()

    def json(self, method, path, body=None, **kw):
        st, _, text = self.call(method, path, body, **kw)
        try:
            return st, json.loads(text)
        except ValueError:
            return st, {"_text": text}

    def job(self, jid):
        return self.json("GET", "/api/v3/engine/jobs/" + jid)[1]

    def wait_job(self, jid, cond, timeout=120, label=""):
        deadline = time.time() + timeout
        while time.time() < deadline:
            j = self.job(jid)
            if cond(j):
                return j
            time.sleep(0.1)
        J.check(False, "%s: job %s did not reach the expected state in %ds: %s"
                % (label, jid, timeout, json.dumps(self.job(jid))[:1500]))
        return None

    def stop(self, sig=signal.SIGTERM, timeout=60):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                J.check(False, "serve did not stop within %ds of signal %d" % (timeout, sig))
        self.log.close()
        return self.proc.returncode


def config(port, emu, d, jobs="", server_extra=""):
    return """# test service
[server]
bind = "127.0.0.1"
port = %d
token_file = "api.token"
%s
[influxdb]
host = "%s"
database = "svcdb"
token_file = "influx.token"
%s""" % (port, server_extra, emu.url, jobs)


def catalog_toml(d):
    return ('name = "svc"\ntype = "sql"\nuri = "sqlite:///%s/catalog.db"\nwarehouse = "%s"\n'
            '"s3.secret-access-key" = "%s"\n' % (d, d, CATALOG_SECRET))


def catalog_json(d):
    return {"name": "svc", "type": "sql", "uri": "sqlite:///%s/catalog.db" % d, "warehouse": d}


def read_table(d, name):
    cat = SqlCatalog("svc", uri="sqlite:///%s/catalog.db" % d, warehouse="file://" + d)
    tbl = cat.load_table(("default", name))
    schema = tbl.schema()
    return tbl, schema, canonical_rows(tbl.scan().to_arrow(), schema)


def compare_table(d, name, expected_paths, label):
    tbl, schema, got = read_table(d, name)
    _, rows = J.load_expected(expected_paths)
    want = J.want_rows(rows, [f.name for f in schema.fields], "us")
    J.compare_rows(label, got, want)
    return tbl, got, want


def check_config_errors(cli, tmp, emu):
    """serve --check-config: what a bad file says."""
    pd = os.path.join(tmp, "plugins")
    os.makedirs(pd, exist_ok=True)
    with open(os.path.join(tmp, "outside.toml"), "w") as f:
        f.write('measurement = "cpu"\nwindow = "1h"\n')
    os.symlink(os.path.join(tmp, "outside.toml"), os.path.join(pd, "link.toml"))
    with open(os.path.join(pd, "ok.toml"), "w") as f:
        f.write('measurement = "cpu"\nwindow = "1h"\n[catalog_configs]\ntype = "sql"\n'
                'uri = "sqlite:///%s/c.db"\nwarehouse = "%s"\n' % (tmp, tmp))
    base = config(18000, emu, tmp, server_extra='plugin_dir = "plugins"\n')
    cases = [
        ("unknown key", base + '[jobs.a]\ntrigger = "every:1m"\nmeasurement = "cpu"\nwindw = "1h"\n',
         "jobs.a: unknown key 'windw'"),
        ("bad trigger", base + '[jobs.a]\ntrigger = "every:0s"\nmeasurement = "cpu"\nwindow = "1h"\n',
         "jobs.a.trigger"),
        ("no trigger", base + '[jobs.a]\nmeasurement = "cpu"\nwindow = "1h"\n', "trigger is required"),
        ("no window", base + '[jobs.a]\ntrigger = "every:1m"\nmeasurement = "cpu"\n', "window is required"),
        ("toml syntax", base + '[jobs.a]\ntrigger = "every:1m\n', "column"),
        ("escaping path", base + '[jobs.a]\ntrigger = "every:1m"\nconfig_file_path = "../outside.toml"\n',
         "inside the plugin directory"),
        ("symlink out", base + '[jobs.a]\ntrigger = "every:1m"\nconfig_file_path = "link.toml"\n',
         "leads outside the plugin directory"),
        ("no api token", base.replace('token_file = "api.token"\n', '', 1) + "\n",
         "the HTTP API needs a bearer token"),
        ("server key", base.replace("[server]\n", "[server]\nprot = 1\n", 1), "server: unknown key 'prot'"),
        ("plugin file ok", base + '[jobs.a]\ntrigger = "every:1m"\nconfig_file_path = "ok.toml"\n', None),
        ("trigger args ok", base + '[jobs.a]\ntrigger = "cron:0 */5 * * * *"\ntrigger_arguments = '
         '"measurement=cpu,window=1h,included_fields=usage.host,catalog_configs=%s"\n'
         % base64.b64encode(json.dumps(catalog_json(tmp)).encode()).decode(), None),
    ]
    for label, text, want in cases:
        p = os.path.join(tmp, "check.toml")
        with open(p, "w") as f:
            f.write(text)
        env = dict(os.environ)
        env.pop("INFLUX2ICEBERG_API_TOKEN", None)
        r = subprocess.run([cli, "serve", "--config", p, "--check-config"], capture_output=True, text=True,
                           env=env, timeout=60)
        if want is None:
            J.check(r.returncode == 0, "check-config %s: accepted (rc %d, %s)" % (label, r.returncode,
                                                                                 r.stderr[-500:]))
        else:
            J.check(r.returncode == 1 and want in r.stderr and "check.toml" in r.stderr,
                    "check-config %s: refused naming the file and %r (rc %d, %r)"
                    % (label, want, r.returncode, r.stderr[-500:]))


def main():
    a = J.cli_test_args()
    with tempfile.TemporaryDirectory(prefix="i2i-svc-") as tmp:
        f = lambda n: os.path.join(tmp, n)  # noqa: E731
        J.write_secret(f("api.token"), API_TOKEN)
        J.write_secret(f("influx.token"), J.TOKEN)
        now = time.time_ns()
        hour = 3600 * NS
        # backfill data (old), and recent data for the scheduled jobs
        J.gen_regular(f("cpu.lp"), f("cpu.json"), "cpu", (now // hour - 24 * 10) * hour, 3 * 48, 1800 * NS, seed=3)
        J.gen_regular(f("mem.lp"), f("mem.json"), "mem", (now // hour - 24 * 10) * hour, 2 * 48, 1800 * NS, seed=4)
        J.gen_regular(f("disk.lp"), f("disk.json"), "disk", (now // hour - 24 * 20) * hour, 120 * 60, 60 * NS,
                      hosts=4, seed=5)
        J.gen_regular(f("net.lp"), f("net.json"), "net", now - 3 * hour, 150, 60 * NS, seed=6)
        J.gen_regular(f("io.lp"), f("io.json"), "io", now - 3 * hour, 170, 60 * NS, seed=7)
        emu = J.Emulator(tmp)
        svc = None
        try:
            for m in ("cpu", "mem", "disk", "net", "io"):
                emu.write_lp("svcdb", f(m + ".lp"))
            check_config_errors(a.cli, tmp, emu)

            d = f("wh")
            os.makedirs(d)
            jobs = ""
            for name, m in (("net_job", "net"), ("io_job", "io")):
                jobs += ('\n[jobs.%s]\ntrigger = "every:1s"\nmeasurement = "%s"\nwindow = "4h"\nlag = "1s"\n'
                         '[jobs.%s.catalog_configs]\n%s' % (name, m, name, catalog_toml(d)))
            port = free_port()
            svc = Service(a.cli, tmp, config(port, emu, d, jobs, 'log_table = "i2i_logs"\n'))

            # --- auth
            st, hdr, _ = svc.call("GET", "/api/v3/engine/jobs", token=None)
            J.check(st == 401 and "Bearer" in hdr.get("WWW-Authenticate", ""),
                    "no token: 401 asking for a bearer token (%d %s)" % (st, hdr.get("WWW-Authenticate")))
            for path in ("/api/v3/engine/jobs", "/metrics", "/"):
                st, _, _ = svc.call("GET", path, token="svc-api-token-6f0c2d91e7a4b35X")
                J.check(st == 401, "wrong token on %s: 401 (%d)" % (path, st))
            st, _, _ = svc.call("POST", "/api/v3/engine/replicate", {"measurement": "cpu"}, token=None)
            J.check(st == 401, "replicate without a token: 401 (%d)" % st)
            J.check(svc.call("GET", "/health", token=None)[0] == 200, "/health needs no token")

            # --- 400s, 404, 405, 413
            st, body = svc.json("POST", "/api/v3/engine/replicate", raw=b'{"measurement": "cpu",')
            J.check(st == 400 and "not valid JSON" in body.get("message", ""), "malformed JSON: 400 (%d %s)" % (st, body))
            st, body = svc.json("POST", "/api/v3/engine/replicate", raw=b'["cpu"]')
            J.check(st == 400 and "JSON object" in body.get("message", ""), "array body: 400 (%d %s)" % (st, body))
            st, body = svc.json("POST", "/api/v3/engine/replicate", {"catalog_configs": catalog_json(d)})
            J.check(st == 400 and "measurement" in body.get("message", ""), "no measurement: 400 naming it (%d %s)" % (st, body))
            st, body = svc.json("POST", "/api/v3/engine/replicate", {"measurement": "cpu", "catalog_configs": catalog_json(d),
                                                                     "batch_size": "1 fortnight"})
            J.check(st == 400 and "batch_size" in body.get("message", ""), "bad batch_size: 400 naming it (%d %s)" % (st, body))
            st, body = svc.json("POST", "/api/v3/engine/replicate", {"measurement": "cpu", "host": "http://evil:1"})
            J.check(st == 400 and "host" in body.get("message", ""), "host in a request: 400 (%d %s)" % (st, body))
            st, body = svc.json("POST", "/api/v3/engine/replicate", {"measurement": "cpu", "catalog_configs": catalog_json(d),
                                                                     "backfill_start": "2020-02-30T00:00:00Z"})
            J.check(st == 400 and "backfill_start" in body.get("message", ""), "bad backfill_start: 400 (%d %s)" % (st, body))
            st, body = svc.json("POST", "/api/v3/engine/replicate", raw=b"x" * (2 * 1024 * 1024))
            J.check(st == 413, "a 2 MiB body: 413 (%d %s)" % (st, body))
            st, _ = svc.json("GET", "/api/v3/engine/replicate")
            J.check(st == 405, "GET on replicate: 405 (%d)" % st)
            st, _ = svc.json("GET", "/api/v3/engine/nothing")
            J.check(st == 404, "unknown path: 404 (%d)" % st)
            st, _ = svc.json("GET", "/api/v3/engine/jobs/req-nope")
            J.check(st == 404, "unknown job: 404 (%d)" % st)

            # --- synchronous replicate, answered as the plugin does when done
            st, body = svc.json("POST", "/api/v3/engine/replicate",
                                {"measurement": "cpu", "catalog_configs": catalog_json(d), "batch_size": "1d"})
            J.check(st == 200 and body.get("ok") is True and body["summary"]["total_written_records"] == 3 * 48 * 3,
                    "sync replicate: 200 with %s rows (%d %s)" % (3 * 48 * 3, st, json.dumps(body)[:800]))
            _, got, _ = compare_table(d, "cpu", [f("cpu.json")], "sync replicate: cpu")
            J.prove_compare_catches("service", got)
            st, body = svc.json("POST", "/api/v3/engine/replicate",
                                {"measurement": "cpu", "catalog_configs": catalog_json(d), "batch_size": "1d"})
            J.check(st == 200 and body["summary"]["total_written_records"] == 0,
                    "the same request again adds nothing (%s)" % json.dumps(body.get("summary"))[:300])

            # --- async replicate: 202, job status to completion
            st, body = svc.json("POST", "/api/v3/engine/replicate?async=true",
                                {"measurement": "mem", "table_name": "mem_async", "catalog_configs": catalog_json(d),
                                 "batch_size": "6h"})
            J.check(st == 202 and body.get("job_id", "").startswith("req-"), "async: 202 with a job id (%d %s)" % (st, body))
            jid = body.get("job_id", "")
            j = svc.wait_job(jid, lambda j: not j.get("running") and j.get("state") != "running", label="async")
            J.check(j is not None and j["state"] == "succeeded" and j["totals"]["rows"] == 2 * 48 * 3
                    and j["progress"]["windows_done"] == j["progress"]["windows_total"] > 1,
                    "async job succeeded with every window and row (%s)" % json.dumps(j)[:800])
            compare_table(d, "mem_async", [f("mem.json")], "async replicate: mem")
            st, body = svc.json("GET", "/api/v3/engine/jobs")
            J.check(st == 200 and {"net_job", "io_job", jid} <= {x["id"] for x in body.get("jobs", [])},
                    "the jobs list has both scheduled jobs and the request (%s)" % [x["id"] for x in body.get("jobs", [])])

            # --- the two scheduled jobs (every:1s) have been running all along, on different tables
            for name, m in (("net_job", "net"), ("io_job", "io")):
                j = svc.wait_job(name, lambda j: j["totals"]["rows"] > 0 and j["committed_until"], label=name)
                J.check(j is not None and j["kind"] == "scheduled" and j["lag_seconds"] is not None
                        and j["lag_seconds"] < 60, "%s committed and its lag is known (%s)"
                        % (name, j and {k: j[k] for k in ("state", "lag_seconds", "totals")}))
                compare_table(d, m, [f(m + ".json")], "scheduled job %s" % name)

            # --- DELETE cancels a running backfill cleanly
            body_disk = {"measurement": "disk", "catalog_configs": catalog_json(d), "batch_size": "1h"}
            st, body = svc.json("POST", "/api/v3/engine/replicate?async=true", body_disk)
            jid = body.get("job_id", "")
            svc.wait_job(jid, lambda j: j["progress"]["windows_done"] >= 2, label="before DELETE")
            st, body = svc.json("DELETE", "/api/v3/engine/jobs/" + jid)
            J.check(st == 202 and body.get("state") == "cancelling", "DELETE: 202 cancelling (%d %s)" % (st, body))
            j = svc.wait_job(jid, lambda j: not j["running"], label="cancel")
            J.check(j is not None and j["state"] == "cancelled" and "stopped on request" in (j["last_error"] or ""),
                    "the cancelled job says so (%s)" % (j and {k: j[k] for k in ("state", "last_error")}))
            done_at_cancel = j["progress"]["windows_done"] if j else 0
            J.check(0 < done_at_cancel < j["progress"]["windows_total"] if j else False,
                    "cancelled in the middle: %d windows committed" % done_at_cancel)

            # --- metrics
            st, _, text = svc.call("GET", "/metrics")
            J.check(st == 200 and 'influx2iceberg_rows_written_total{job="net_job",table="default.net"} 450' in text
                    and "influx2iceberg_lag_seconds{job=\"io_job\"" in text
                    and "influx2iceberg_run_duration_seconds_bucket{job=\"net_job\"" in text
                    and "influx2iceberg_failures_total" in text and "influx2iceberg_retries_total" in text,
                    "metrics carry rows, lag, duration histograms, failures, retries:\n" + text[:1500])

            # --- SIGTERM in the middle of a backfill, then a restart: nothing lost or duplicated
            st, body = svc.json("POST", "/api/v3/engine/replicate?async=true", body_disk)
            jid = body.get("job_id", "")
            j0 = svc.wait_job(jid, lambda j: j["progress"]["windows_done"] >= done_at_cancel + 3, label="before SIGTERM")
            t0 = time.time()
            rc = svc.stop(signal.SIGTERM)
            log1 = svc.log_text()
            J.check(rc == 0 and "SIGTERM: stopping" in log1 and '"stopped"' in log1,
                    "SIGTERM: clean exit in %.1fs (rc %s)" % (time.time() - t0, rc))
            _, _, partial = read_table(d, "disk")
            J.check(0 < len(partial) < 120 * 60 * 4, "the stopped backfill left whole windows only: %d of %d rows"
                    % (len(partial), 120 * 60 * 4))
            J.check(len(partial) % 240 == 0, "each committed window holds all of its 240 rows (%d rows)" % len(partial))
            svc = Service(a.cli, tmp, config(port, emu, d, jobs, 'log_table = "i2i_logs"\n'))
            st, body = svc.json("POST", "/api/v3/engine/replicate", body_disk)
            J.check(st == 200 and body.get("ok") and body["summary"]["skipped_batches"] > 0,
                    "after the restart the backfill skips the committed windows (%s)"
                    % json.dumps(body.get("summary"))[:400])
            compare_table(d, "disk", [f("disk.json")], "disk after cancel + SIGTERM + restart")

            # --- SIGHUP: a new job appears, a removed one goes, a broken file is refused
            jobs2 = jobs.replace("[jobs.io_job]", "[jobs.io_job2]").replace("[jobs.io_job.", "[jobs.io_job2.")
            with open(svc.path, "w") as fh:
                fh.write(config(port, emu, d, jobs2, 'log_table = "i2i_logs"\n'))
            svc.proc.send_signal(signal.SIGHUP)
            deadline = time.time() + 20
            ids = set()
            while time.time() < deadline:
                ids = {x["id"] for x in svc.json("GET", "/api/v3/engine/jobs")[1].get("jobs", [])}
                if "io_job2" in ids and "io_job" not in ids:
                    break
                time.sleep(0.2)
            J.check("io_job2" in ids and "io_job" not in ids and "net_job" in ids, "SIGHUP applied the new job list (%s)" % ids)
            with open(svc.path, "w") as fh:
                fh.write("[server\n")
            svc.proc.send_signal(signal.SIGHUP)
            time.sleep(1)
            J.check(svc.proc.poll() is None and "reload refused" in svc.log_text(),
                    "a broken config on SIGHUP is refused and the service keeps running")
            st, body = svc.json("GET", "/api/v3/engine/jobs")
            J.check(st == 200 and "io_job2" in {x["id"] for x in body.get("jobs", [])}, "the old jobs keep running")

            # --- what anyone can see holds no secret
            seen = [svc.call("GET", p)[2] for p in ("/metrics", "/", "/api/v3/engine/jobs")]
            rc = svc.stop(signal.SIGINT)
            J.check(rc == 0, "SIGINT: clean exit (rc %s)" % rc)
            logs = svc.log_text()
            J.check(all(json.loads(line).get("message") is not None for line in logs.splitlines() if line.startswith("{")),
                    "every log line is one JSON object with a message")
            J.check(any('"job":"net_job"' in line and '"window":"[' in line for line in logs.splitlines()),
                    "log lines name their job and window")
            q = urllib.request.Request(emu.url + "/api/v3/query_sql", method="POST",
                                       data=json.dumps({"db": "svcdb", "q": "SELECT job, level, message FROM i2i_logs",
                                                        "format": "json"}).encode(),
                                       headers={"Authorization": "Bearer " + J.TOKEN, "Content-Type": "application/json"})
            with urllib.request.urlopen(q, timeout=60) as r:
                lp_rows = json.loads(r.read())
            J.check(len(lp_rows) > 10 and any(r.get("job") == "net_job" for r in lp_rows),
                    "log lines were written back to InfluxDB table i2i_logs (%d rows)" % len(lp_rows))
            everything = logs + "".join(seen) + json.dumps(lp_rows)
            for secret in (API_TOKEN, J.TOKEN, CATALOG_SECRET):
                J.check(secret not in everything, "no secret %s... in logs, metrics, page, job status or log table"
                        % secret[:6])
            svc = None
        finally:
            if svc:
                svc.stop(signal.SIGKILL)
            emu.close()
    return J.finish()


if __name__ == "__main__":
    sys.exit(main())
