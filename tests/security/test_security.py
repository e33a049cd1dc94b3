"""Security properties of the CLI end to end (the service's own are in tests/service):

  - TLS is verified by default: a self-signed InfluxDB endpoint is refused with a certificate
    error; --tls-insecure (an explicit opt-in) gets through to the server.
  - SQL injection through measurement, tag and field names is inert: names full of quotes,
    semicolons and comment markers are copied as data, every row equal, and the queries the
    server received quote them as identifiers.
  - No secret from any config reaches a message: catalog credentials, OAuth2 secrets, S3 keys,
    passwords inside URIs (REST and PostgreSQL), the InfluxDB token, on failures that print the
    URIs and keys' owners.

Run by ctest with the interop venv's python:  test_security.py --cli build/src/cli/influx2iceberg
"""

import argparse
import http.server
import json
import os
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "judges"))
import judgelib as J  # noqa: E402
from judge_pyiceberg import canonical_rows  # noqa: E402
from pyiceberg.catalog.sql import SqlCatalog  # noqa: E402

NS = 1_000_000_000


class Always401(http.server.BaseHTTPRequestHandler):
    def _answer(self):
        body = b'{"error": "tls test server says no"}'
        self.send_response(401)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = _answer

    def log_message(self, *a):
        pass


def tls_server(tmp):
    key, crt = os.path.join(tmp, "k.pem"), os.path.join(tmp, "c.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", crt,
                    "-days", "1", "-subj", "/CN=127.0.0.1"], check=True, capture_output=True)
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Always401)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(crt, key)
    srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    return srv


def cli(a, args, token_file, env=None):
    cmd = [a.cli, "replicate", "--token-file", token_file, "--no-progress"] + args
    return subprocess.run(cmd, capture_output=True, text=True, timeout=300, env=env)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cli", required=True)
    a = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="i2i-sec-") as tmp:
        f = lambda n: os.path.join(tmp, n)  # noqa: E731
        tok = f("influx.token")
        with open(tok, "w") as fh:
            fh.write(J.TOKEN + "\n")

        # --- TLS verified by default
        srv = tls_server(tmp)
        url = "https://127.0.0.1:%d" % srv.server_address[1]
        base = ["--host", url, "--database", "db", "--measurement", "cpu", "--warehouse", f("wh-tls")]
        r = cli(a, base, tok)
        J.check(r.returncode != 0 and "certificate" in r.stderr.lower() and "tls test server" not in r.stderr,
                "a self-signed server is refused by default with a certificate error (rc %d, %r)"
                % (r.returncode, r.stderr[-400:]))
        r = cli(a, base + ["--tls-insecure"], tok)
        J.check(r.returncode != 0 and "401" in r.stderr and "certificate" not in r.stderr.lower(),
                "--tls-insecure gets through to the server (its 401 is reported) (rc %d, %r)"
                % (r.returncode, r.stderr[-400:]))
        J.check(J.TOKEN not in r.stdout + r.stderr, "the token is not printed with the 401")
        srv.shutdown()

        # --- injection through names is inert
        emu = J.Emulator(tmp)
        try:
            meas = 'm"; DROP TABLE cpu; --'
            tag = "h' OR '1'='1"
            field = "v\"'); DELETE FROM x; --"
            t0 = 1_775_001_600 * NS
            esc = lambda s: s.replace(",", "\\,").replace(" ", "\\ ").replace("=", "\\=")  # noqa: E731
            lines = ["cpu,host=a usage=1.0 %d" % t0]
            want = []
            for i in range(50):
                lines.append("%s,%s=x%d %s=%d.25,n=%di %d" % (esc(meas), esc(tag), i % 3, esc(field), i, i,
                                                             t0 + i * 60 * NS))
                want.append({"time": str((t0 + i * 60 * NS) // 1000), tag: "x%d" % (i % 3),
                             field: J.dbits(i + 0.25), "n": str(i)})
            with open(f("inj.lp"), "w") as fh:
                fh.write("\n".join(lines) + "\n")
            emu.write_lp("secdb", f("inj.lp"))
            wh = f("wh-inj")
            os.makedirs(wh)
            cfg = {"name": "sec", "type": "sql", "uri": "sqlite:///%s/catalog.db" % wh, "warehouse": wh}
            r = cli(a, ["--host", emu.url, "--database", "secdb", "--measurement", meas, "--table-name", "inj",
                        "--catalog-configs", json.dumps(cfg), "--batch-size", "1d"], tok)
            J.check(r.returncode == 0, "names full of quotes and semicolons replicate (rc %d, %r)"
                    % (r.returncode, r.stderr[-600:]))
            if r.returncode == 0:
                cat = SqlCatalog("sec", uri=cfg["uri"], warehouse="file://" + wh)
                tbl = cat.load_table(("default", "inj"))
                schema = tbl.schema()
                names = {fl.name for fl in schema.fields}
                J.check({tag, field, "n", "time"} <= names, "the columns keep their names (%s)" % sorted(names))
                got = canonical_rows(tbl.scan().to_arrow(), schema)
                J.compare_rows("injection names", got, want)
            req = urllib.request.Request(emu.url + "/_emulator/stats")
            with urllib.request.urlopen(req, timeout=30) as resp:
                stats = json.loads(resp.read())
            queries = json.dumps(stats)
            J.check('\\"m\\"\\"; DROP TABLE cpu; --\\"' in queries,
                    "the measurement reached the server as one quoted identifier")
            r2 = cli(a, ["--host", emu.url, "--database", "secdb", "--measurement", "cpu", "--table-name", "cpu_after",
                         "--catalog-configs", json.dumps(cfg), "--json"], tok)
            J.check(r2.returncode == 0 and json.loads(r2.stdout or "{}").get("total_written_records") == 1,
                    "table cpu is still there with its row (rc %d, %r)" % (r2.returncode, r2.stdout[-300:]))
        finally:
            emu.close()

        # --- no secret in any message
        secrets = {
            "rest": ({"type": "rest", "uri": "http://user:Pa55wordInUri1@127.0.0.1:9",
                      "credential": "client-1:OAuthS3cret-77", "s3.secret-access-key": "AwsS3cretKey-42",
                      "s3.access-key-id": "AKIAEXAMPLE"}, ["Pa55wordInUri1", "OAuthS3cret-77", "AwsS3cretKey-42"]),
            "rest-token": ({"type": "rest", "uri": "http://127.0.0.1:9", "token": "RestT0ken-9a8b7c"},
                           ["RestT0ken-9a8b7c"]),
            "postgres": ({"type": "sql", "uri": "postgresql://user:PgPa55word-3@127.0.0.1:9/db",
                          "warehouse": f("wh-pg")}, ["PgPa55word-3"]),
            "s3": ({"type": "sql", "uri": "sqlite:///%s/c.db" % f("wh-s3"), "warehouse": "s3://bucket/wh",
                    "s3.endpoint": "http://127.0.0.1:9", "s3.access-key-id": "AKIAEXAMPLE",
                    "s3.secret-access-key": "S3SecretKey-5f5f", "s3.session-token": "S3SessTok-6e6e"},
                   ["S3SecretKey-5f5f", "S3SessTok-6e6e"]),
        }
        os.makedirs(f("wh-s3"), exist_ok=True)
        os.makedirs(f("emu2"))
        emu = J.Emulator(f("emu2"))
        try:
            with open(f("one.lp"), "w") as fh:
                fh.write("cpu,host=a usage=1.0 %d\n" % (1_775_001_600 * NS))
            emu.write_lp("secdb", f("one.lp"))
            for label, (cfg, words) in secrets.items():
                for level in ("info", "debug"):
                    r = cli(a, ["--host", emu.url, "--database", "secdb", "--measurement", "cpu",
                                "--catalog-configs", json.dumps(cfg), "--log-level", level], tok,
                            env=dict(os.environ, AWS_EC2_METADATA_DISABLED="true"))
                    out = r.stdout + r.stderr
                    J.check(r.returncode != 0, "%s (%s): the unreachable catalog fails (rc %d)" % (label, level, r.returncode))
                    for w in words + [J.TOKEN]:
                        J.check(w not in out, "%s (%s): %s... not in any message:\n%s" % (label, level, w[:5], out[-800:]))
            # a wrong InfluxDB token: 401, neither token printed
            bad = f("bad.token")
            with open(bad, "w") as fh:
                fh.write("apiv3_WrongTokenValue-123\n")
            r = cli(a, ["--host", emu.url, "--database", "secdb", "--measurement", "cpu", "--warehouse", f("wh-bad")],
                    bad)
            J.check(r.returncode != 0 and "401" in r.stderr and "WrongTokenValue" not in r.stdout + r.stderr,
                    "a wrong InfluxDB token: 401, the token not printed (%r)" % r.stderr[-300:])
        finally:
            emu.close()
    return J.finish()


if __name__ == "__main__":
    t = time.time()
    rc = main()
    print("test_security: %.1fs" % (time.time() - t))
    sys.exit(rc)
