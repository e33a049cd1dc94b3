#!/usr/bin/env python3
"""The status page in headless Chromium: starts the InfluxDB 3 emulator with ~300k rows over 100
hours, writes a service config with one scheduled job, starts `influx2iceberg serve`, and runs
status_page.mjs (puppeteer-core + Debian's chromium), which posts an async backfill and checks what
a person sees on GET /. Screenshots land in --out (for people; not checked).

  python3 test_status_page.py --cli build/src/cli/influx2iceberg --out build/tests/service/status_page

Needs: node, tests/interop/node_modules (puppeteer-core; `make deps`), /usr/bin/chromium (or
$CHROMIUM). Fails, not skips, without them.
"""
import argparse
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
EMULATOR = os.path.join(ROOT, "tests", "emulator", "influxdb3_emulator.py")
INTEROP = os.path.join(ROOT, "tests", "interop")
HOUR_NS = 3600 * 10**9


def say(msg):
    print("test_status_page: %s" % msg, flush=True)


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def write_secret(path, value):
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(value + "\n")


def toml_str(s):
    return json.dumps(s)  # a JSON string is a valid TOML basic string for these paths


def gen_lp(path, rows, hours):
    """rows points of cpu spread evenly over the last `hours` hours, three hosts."""
    now = time.time_ns()
    start = now - hours * HOUR_NS
    step = hours * HOUR_NS // rows
    with open(path, "w") as f:
        for i in range(rows):
            f.write("cpu,host=h%d usage_user=%.2f,usage_system=%.2f,n=%di %d\n"
                    % (i % 3, (i * 7 % 1000) / 10, (i * 13 % 1000) / 10, i, start + i * step))


def wait_for(cond, timeout, what, proc=None, logpath=None):
    deadline = time.time() + timeout
    while True:
        if cond():
            return
        if proc is not None and proc.poll() is not None:
            raise RuntimeError("%s: the process exited with %s; see %s" % (what, proc.returncode, logpath))
        if time.time() > deadline:
            raise RuntimeError("%s: not within %d s; see %s" % (what, timeout, logpath))
        time.sleep(0.1)


def healthy(url):
    try:
        with urllib.request.urlopen(url + "/health", timeout=2) as r:
            return r.status == 200
    except (urllib.error.URLError, OSError):
        return False


def stop(proc):
    if proc is None or proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def tail(path, n=40):
    try:
        with open(path, errors="replace") as f:
            return "".join(f.readlines()[-n:])
    except OSError:
        return "(no %s)" % path


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cli", required=True)
    ap.add_argument("--out", required=True, help="work directory; screenshots and logs stay here")
    ap.add_argument("--rows", type=int, default=300000)
    ap.add_argument("--hours", type=int, default=100)
    ap.add_argument("--chromium", default=os.environ.get("CHROMIUM", "/usr/bin/chromium"))
    args = ap.parse_args()
    t_start = time.time()

    for need, hint in ((args.chromium, "Debian's chromium package (scripts/install-deps.sh)"),
                       (os.path.join(INTEROP, "node_modules", "puppeteer-core", "package.json"),
                        "puppeteer-core in tests/interop/node_modules (make deps)")):
        if not os.path.exists(need):
            say("FAIL: %s is missing: install %s" % (need, hint))
            return 1
    if not shutil.which("node"):
        say("FAIL: node is not on PATH")
        return 1

    out = os.path.abspath(args.out)
    shutil.rmtree(out, ignore_errors=True)
    os.makedirs(out)
    influx_token = "apiv3_" + secrets.token_hex(16)
    api_token = "i2i-api-" + secrets.token_hex(16)
    write_secret(os.path.join(out, "influx.token"), influx_token)
    write_secret(os.path.join(out, "api.token"), api_token)

    lp = os.path.join(out, "cpu.lp")
    gen_lp(lp, args.rows, args.hours)
    say("%d rows over %d h generated (%.1f s)" % (args.rows, args.hours, time.time() - t_start))

    emu = serve = None
    emu_log = os.path.join(out, "emulator.log")
    serve_log = os.path.join(out, "serve.log")
    rc = 1
    try:
        port_file = os.path.join(out, "emulator.port")
        with open(emu_log, "w") as lf:
            emu = subprocess.Popen([sys.executable, EMULATOR, "--port", "0", "--port-file", port_file,
                                    "--token", influx_token, "--load", lp, "--database", "metrics"],
                                   stdout=lf, stderr=lf)
        wait_for(lambda: os.path.exists(port_file), 180, "the emulator (loading the rows)", emu, emu_log)
        with open(port_file) as f:
            influx_url = "http://127.0.0.1:%d" % int(f.read().strip())
        say("emulator ready at %s (%.1f s)" % (influx_url, time.time() - t_start))

        catalog = {"type": "sql", "uri": "sqlite:///" + os.path.join(out, "catalog.db"),
                   "warehouse": os.path.join(out, "warehouse")}
        port = free_port()
        cfg = os.path.join(out, "service.toml")
        with open(cfg, "w") as f:
            f.write("""[server]
port = %d
token_file = "api.token"
log_format = "text"

[influxdb]
host = %s
database = "metrics"
token_file = "influx.token"

[jobs.cpu]
trigger = "every:1s"
measurement = "cpu"
window = "2h"

[jobs.cpu.catalog_configs]
type = "sql"
uri = %s
warehouse = %s
""" % (port, toml_str(influx_url), toml_str(catalog["uri"]), toml_str(catalog["warehouse"])))
        base_url = "http://127.0.0.1:%d" % port
        started_ms = int(time.time() * 1000)
        with open(serve_log, "w") as lf:
            serve = subprocess.Popen([args.cli, "serve", "--config", cfg], stdout=lf, stderr=lf)
        wait_for(lambda: healthy(base_url), 30, "influx2iceberg serve", serve, serve_log)
        say("service up at %s (%.1f s)" % (base_url, time.time() - t_start))

        setup = {
            "base_url": base_url, "api_token": api_token, "influx_token": influx_token,
            "scheduled_job": "cpu", "scheduled_job_table": "cpu", "started_ms": started_ms,
            "backfill_body": {"measurement": "cpu", "table_name": "cpu_backfill",
                              "catalog_configs": catalog, "batch_size": "1h"},
            "interop_dir": INTEROP, "chromium": args.chromium, "out_dir": out,
        }
        setup_path = os.path.join(out, "setup.json")
        fd = os.open(setup_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            json.dump(setup, f)
        try:
            node = subprocess.run(["node", os.path.join(HERE, "status_page.mjs"), setup_path], timeout=240)
            rc = node.returncode
        except subprocess.TimeoutExpired:
            say("FAIL: status_page.mjs did not finish in 240 s")
            rc = 1
        stop(serve)
        with open(serve_log, errors="replace") as f:
            text = f.read()
        for name, tok in (("InfluxDB token", influx_token), ("API token", api_token)):
            if tok in text:
                say("FAIL: the service log contains the %s" % name)
                rc = 1
    except Exception as e:  # noqa: BLE001 - report and clean up
        say("FAIL: %s" % e)
        rc = 1
    finally:
        stop(serve)
        stop(emu)
        if rc != 0:
            say("serve.log (end):\n" + tail(serve_log))
            say("emulator.log (end):\n" + tail(emu_log, 15))
        try:
            os.unlink(lp)  # ~23 MB, no use after the run
        except OSError:
            pass
    say("%s in %.1f s; screenshots in %s" % ("PASS" if rc == 0 else "FAIL", time.time() - t_start, out))
    return rc


if __name__ == "__main__":
    sys.exit(main())
