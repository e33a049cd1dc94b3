#!/usr/bin/env python3
"""Self-test of the InfluxDB 3 emulator (tests/emulator/influxdb3_emulator.py).

Starts the emulator in a subprocess on a loopback port and checks, over real HTTP with urllib /
http.client, each item of the "Emulator must" checklist in ../shared/specs/influxdb3-api.md that
the emulator implements, plus its fault injection and file-limit emulation.

    python3 tests/emulator/test_emulator.py          # exits non-zero on failure
    python3 tests/emulator/test_emulator.py -v TestQueryErrors
"""

import base64
import gzip
import http.client
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.error
import urllib.parse
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
EMULATOR = os.path.join(HERE, "influxdb3_emulator.py")
SAMPLE = os.path.join(HERE, "sample_data.py")
TOKEN = "apiv3_selftest"

UNAUTH = '{"error": "the request was not authenticated"}'
MALFORMED = ('{"error": "Authorization header was malformed, the request was not in the form of '
             "'Authorization: <auth-scheme> <token>', supported auth-schemes are Bearer, Token and Basic\"}")
TRAILING = "Could not parse entire line. Found trailing content: "


class Emulator:
    """One emulator process; stopped by stop() (also registered with the test's cleanup)."""

    def __init__(self, *args):
        self.tmp = tempfile.mkdtemp(prefix="emu-test-")
        port_file = os.path.join(self.tmp, "port")
        self.log = open(os.path.join(self.tmp, "log"), "w+")
        self.proc = subprocess.Popen([sys.executable, EMULATOR, "--port", "0", "--port-file", port_file]
                                     + list(args), stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.time() + 20
        while not os.path.exists(port_file):
            if self.proc.poll() is not None or time.time() > deadline:
                self.log.seek(0)
                raise RuntimeError("emulator did not start:\n" + self.log.read())
            time.sleep(0.02)
        with open(port_file) as f:
            self.port = int(f.read())

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()
        shutil.rmtree(self.tmp, ignore_errors=True)

    # -- HTTP helpers ---------------------------------------------------------------------
    def request(self, method, path, body=None, headers=None, token=TOKEN, timeout=30):
        """Returns (status, headers, body bytes); never raises for HTTP error statuses."""
        h = {} if headers is None else dict(headers)
        if token is not None and "Authorization" not in h:
            h["Authorization"] = "Bearer " + token
        if isinstance(body, str):
            body = body.encode("utf-8")
        req = urllib.request.Request("http://127.0.0.1:%d%s" % (self.port, path), data=body, headers=h,
                                     method=method)
        try:
            with urllib.request.urlopen(req, timeout=timeout) as r:
                return r.status, r.headers, r.read()
        except urllib.error.HTTPError as e:
            return e.code, e.headers, e.read()

    def write(self, db, lp, query="", token=TOKEN, **headers):
        path = "/api/v3/write_lp?db=" + urllib.parse.quote(db) + ("&" + query if query else "")
        return self.request("POST", path, lp, headers, token=token)

    def sql(self, db, q, fmt="jsonl", params=None, headers=None, method="GET"):
        if method == "GET":
            args = {"db": db, "q": q}
            if fmt:
                args["format"] = fmt
            if params is not None:
                args["params"] = json.dumps(params)
            return self.request("GET", "/api/v3/query_sql?" + urllib.parse.urlencode(args), None, headers)
        body = {"db": db, "q": q}
        if fmt:
            body["format"] = fmt
        if params is not None:
            body["params"] = params
        return self.request("POST", "/api/v3/query_sql", json.dumps(body), headers)

    def rows(self, db, q, params=None):
        status, _, body = self.sql(db, q, "jsonl", params)
        if status != 200:
            raise AssertionError("query failed (%d): %s\n%s" % (status, q, body.decode()))
        return [json.loads(line) for line in body.decode().splitlines()]

    def admin(self, path, obj=None, method=None):
        data = None if obj is None else json.dumps(obj)
        status, _, body = self.request(method or ("POST" if obj is not None else "GET"), path, data, token=None)
        return status, json.loads(body) if body else None


class EmulatorTest(unittest.TestCase):
    """Shares one emulator (token auth, 3.10 defaults) across a class; state is reset per test."""

    args = ("--token", TOKEN)
    emu = None

    @classmethod
    def setUpClass(cls):
        cls.emu = Emulator(*cls.args)

    @classmethod
    def tearDownClass(cls):
        cls.emu.stop()

    def setUp(self):
        self.emu.admin("/_emulator/reset", {})
        self.emu.admin("/_emulator/config", {"compat": "3.10", "file_limit": 432, "gen1_seconds": 600,
                                             "csv_empty_header": False})

    def ok_write(self, db, lp, query=""):
        status, _, body = self.emu.write(db, lp, query)
        self.assertEqual(status, 204, body)

    def assertError(self, resp, status, body):
        self.assertEqual(resp[0], status, resp[2])
        self.assertEqual(resp[2].decode(), body)
        self.assertIsNone(resp[1].get("Content-Type"), "error bodies carry no Content-Type")


# ---------------------------------------------------------------------------------------------
# 1, 2, 12, 22: routing, auth, common headers, health and ping
# ---------------------------------------------------------------------------------------------

class TestRoutingAndAuth(EmulatorTest):
    def test_unknown_paths_and_methods_get_404_not_found_after_auth(self):
        self.assertError(self.emu.request("GET", "/nope"), 404, "Not found")
        self.assertError(self.emu.request("PUT", "/api/v3/query_sql"), 404, "Not found")
        self.assertError(self.emu.request("DELETE", "/api/v3/query_sql?db=x&q=y"), 404, "Not found")
        self.assertError(self.emu.request("POST", "/health", ""), 404, "Not found")
        self.assertError(self.emu.request("GET", "/api/v3/write_lp?db=x"), 404, "Not found")
        self.assertError(self.emu.request("FOO", "/api/v3/query_sql"), 404, "Not found")
        self.assertError(self.emu.request("FOO", "/api/v3/query_sql", token=None), 401, UNAUTH)
        # auth runs first: no token is 401 even on an unknown path
        self.assertError(self.emu.request("GET", "/nope", token=None), 401, UNAUTH)

    def test_head_ping_is_404(self):
        conn = http.client.HTTPConnection("127.0.0.1", self.emu.port, timeout=10)
        conn.request("HEAD", "/ping", headers={"Authorization": "Bearer " + TOKEN})
        r = conn.getresponse()
        self.assertEqual(r.status, 404)
        conn.close()

    def test_missing_or_wrong_token_is_401_with_the_exact_body(self):
        self.assertError(self.emu.request("GET", "/health", token=None), 401, UNAUTH)
        self.assertError(self.emu.request("GET", "/health", token="wrong"), 401, UNAUTH)
        self.assertError(self.emu.sql("db", "SELECT 1", headers={"Authorization": "Token nope"}), 401, UNAUTH)

    def test_bearer_token_and_basic_schemes_are_accepted(self):
        for h in ("Bearer " + TOKEN, "Token " + TOKEN,
                  "Basic " + base64.b64encode(("anyuser:" + TOKEN).encode()).decode(),
                  "Basic " + base64.b64encode((":" + TOKEN).encode()).decode()):
            status, _, body = self.emu.request("GET", "/health", headers={"Authorization": h})
            self.assertEqual((status, body), (200, b"OK"), h)

    def test_malformed_authorization_headers_are_400(self):
        for h in ("bearer " + TOKEN, "Bearer", "Bearer  " + TOKEN, "Bearer a b", "Digest x",
                  "Basic !!!notbase64", "Basic " + base64.b64encode(b"a:b:" + TOKEN.encode()).decode(),
                  "Basic " + base64.b64encode(TOKEN.encode()).decode()):
            self.assertError(self.emu.request("GET", "/health", headers={"Authorization": h}), 400, MALFORMED)

    def test_v1_p_parameter_counts_only_on_query_and_write(self):
        status, _, _ = self.emu.request("POST", "/write?db=v1p&p=" + TOKEN, "m v=1", token=None)
        self.assertEqual(status, 204)
        # p wins over a bad header there
        status, _, _ = self.emu.request("GET", "/query?db=v1p&q=SHOW+DATABASES&p=" + TOKEN,
                                        headers={"Authorization": "Bearer wrong"})
        self.assertEqual(status, 200)
        self.assertError(self.emu.request("GET", "/health?p=" + TOKEN, token=None), 401, UNAUTH)
        self.assertError(self.emu.request("POST", "/write?db=v1p&p=wrong", "m v=1", token=None), 401, UNAUTH)

    def test_options_preflight_needs_no_auth(self):
        status, headers, body = self.emu.request("OPTIONS", "/api/v3/query_sql", token=None)
        self.assertEqual(status, 204)
        self.assertEqual(body, b"")
        for k, v in (("Access-Control-Allow-Origin", "*"), ("Access-Control-Allow-Methods", "*"),
                     ("Access-Control-Allow-Headers", "*"), ("Access-Control-Max-Age", "86400")):
            self.assertEqual(headers.get(k), v)

    def test_cluster_uuid_everywhere_cors_only_on_success(self):
        ok = self.emu.request("GET", "/health")
        err = self.emu.request("GET", "/nope")
        unauth = self.emu.request("GET", "/health", token=None)
        uid = ok[1].get("cluster-uuid")
        self.assertRegex(uid, r"^[0-9a-f-]{36}$")
        self.assertEqual(err[1].get("cluster-uuid"), uid)
        self.assertEqual(unauth[1].get("cluster-uuid"), uid)
        self.assertEqual(ok[1].get("Access-Control-Allow-Origin"), "*")
        self.assertIsNone(err[1].get("Access-Control-Allow-Origin"))

    def test_health_and_ping(self):
        for path in ("/health", "/api/v1/health"):
            status, headers, body = self.emu.request("GET", path)
            self.assertEqual((status, body), (200, b"OK"))
            self.assertEqual(headers.get("Content-Type"), "text/plain; charset=utf-8")
        for method in ("GET", "POST"):
            status, headers, body = self.emu.request(method, "/ping", b"" if method == "POST" else None)
            self.assertEqual(status, 200)
            self.assertEqual(headers.get("Content-Type"), "application/json")
            doc = json.loads(body)
            self.assertEqual(list(doc), ["product_name", "version", "revision", "process_id"])
            self.assertEqual(doc["product_name"], "InfluxDB 3 Core")
            self.assertEqual(headers.get("X-Influxdb-Build"), "Core")
            self.assertEqual(headers.get("X-Influxdb-Version"), doc["version"])
            self.assertEqual(headers.get("Request-Id"), headers.get("X-Request-Id"))
            self.assertEqual(headers.get("Request-Id")[14], "7", "a UUIDv7")


class TestNoAuthMode(EmulatorTest):
    args = ("--no-auth", "--disable-authz", "health")

    def test_any_or_no_token_is_accepted_but_malformed_headers_are_still_400(self):
        self.assertEqual(self.emu.request("GET", "/ping", token=None)[0], 200)
        self.assertEqual(self.emu.request("GET", "/ping", token="anything")[0], 200)
        self.assertError(self.emu.request("GET", "/ping", headers={"Authorization": "bearer x"}), 400, MALFORMED)

    def test_token_endpoints_are_disabled(self):
        self.assertError(self.emu.request("POST", "/api/v3/configure/token/admin", "", token=None), 405,
                         "endpoint disabled, started without auth")

    def test_disable_authz_skips_the_header_check(self):
        status, _, body = self.emu.request("GET", "/health", headers={"Authorization": "bearer x"})
        self.assertEqual((status, body), (200, b"OK"))


class TestDisableAuthz(EmulatorTest):
    args = ("--token", TOKEN, "--disable-authz", "health,ping")

    def test_listed_paths_need_no_token(self):
        self.assertEqual(self.emu.request("GET", "/health", token=None)[0], 200)
        self.assertEqual(self.emu.request("GET", "/ping", token=None)[0], 200)
        self.assertEqual(self.emu.request("GET", "/metrics", token=None)[0], 401)


# ---------------------------------------------------------------------------------------------
# 17, 18, 19, 20: writes
# ---------------------------------------------------------------------------------------------

class TestWrites(EmulatorTest):
    def test_write_is_204_and_creates_the_database(self):
        status, headers, body = self.emu.write("newdb", "m,t=a v=1 1")
        self.assertEqual((status, body), (204, b""))
        self.assertEqual(headers.get("Access-Control-Allow-Origin"), "*")
        dbs = self.emu.request("GET", "/api/v3/configure/database?format=json")[2]
        self.assertIn({"iox::database": "newdb"}, json.loads(dbs))

    def test_partial_write_keeps_valid_lines_and_reports_the_others(self):
        status, _, body = self.emu.write("p", "m,t=a v=1 1\nm,t=a v=2i 2\nthis line is far too long to echo\nm,t=b v=3 3")
        self.assertEqual(status, 400)
        self.assertEqual(body.decode(), json.dumps({
            "error": "partial write of line protocol occurred",
            "data": [{"error_message": "invalid column type for column 'v', expected "
                                       "iox::column_type::field::float, got iox::column_type::field::integer",
                      "line_number": 2, "original_line": "m,t=a v=2i 2"},
                     {"error_message": "No fields were provided", "line_number": 3,
                      "original_line": "this line is far too"}]}, separators=(",", ":")))
        self.assertEqual(self.emu.rows("p", 'SELECT t, v FROM m ORDER BY time'), [{"t": "a", "v": 1.0}, {"t": "b", "v": 3.0}])

    def test_all_invalid_lines_is_still_a_partial_write_400(self):
        status, _, body = self.emu.write("p2", "bad\nworse")
        self.assertEqual(status, 400)
        self.assertEqual(json.loads(body)["error"], "partial write of line protocol occurred")

    def test_accept_partial_false_rejects_everything_on_the_first_bad_line(self):
        status, _, body = self.emu.write("np", "m v=1 1\nm v=x 2\nm v=3 3", "accept_partial=false")
        self.assertEqual(status, 400)
        self.assertEqual(json.loads(body), {"error": "line protocol parsing error", "data": {
            "error_message": "No fields were provided", "line_number": 2, "original_line": "m v=x 2"}})
        self.assertEqual(self.emu.sql("np", "SELECT 1")[0], 404, "nothing written, not even the database")

    def test_legacy_error_label_for_accept_partial_false(self):
        self.emu.admin("/_emulator/config", {"compat": "3.9"})
        status, _, body = self.emu.write("np", "m v=x", "accept_partial=false")
        self.assertEqual(json.loads(body)["error"], "parsing failed for write_lp endpoint")

    def test_empty_body_and_parameter_errors(self):
        self.assertError(self.emu.write("e", "\n  \n# only a comment\n"), 400, "incoming write was empty")
        self.assertError(self.emu.request("POST", "/api/v3/write_lp", "m v=1"), 400, "missing query parameter 'db'")
        self.assertError(self.emu.request("POST", "/api/v3/write_lp?precision=s", "m v=1"), 400,
                         "serde error: missing field `db`")
        r = self.emu.write("e", "m v=1", "precision=h")
        self.assertEqual(r[0], 400)
        self.assertTrue(r[2].startswith(b"serde error: unknown variant `h`"), r[2])
        self.assertEqual(self.emu.write("e", "m v=1", "accept_partial=yes")[0], 400)
        self.assertEqual(self.emu.write("e", "m v=1", "no_sync=true")[0], 204)

    def test_database_name_validation(self):
        for name, msg in (("", "db name cannot be empty"), ("-x", "db name did not start with a number or letter"),
                          ("a b", "invalid character in database or rp name: must be ASCII, containing only "
                                  "letters, numbers, underscores, or hyphens"),
                          ("dé", "invalid character in database or rp name: must be ASCII, containing only "
                                 "letters, numbers, underscores, or hyphens")):
            self.assertError(self.emu.write(name, "m v=1"), 400, json.dumps({"error": msg}, separators=(",", ":")))
        self.assertEqual(self.emu.write("db_1-x/rp", "m v=1")[0], 204)

    def test_precision_auto_guess_and_explicit_units(self):
        self.ok_write("pr", "a v=1 1700000000\nb v=1 1700000000000\nc v=1 1700000000000000\nd v=1 1700000000000000000")
        for m in "abcd":
            self.assertEqual(self.emu.rows("pr", "SELECT time FROM %s" % m), [{"time": "2023-11-14T22:13:20"}])
        for p, ts in (("s", "1"), ("second", "1"), ("ms", "1000"), ("us", "1000000"), ("u", "1000000"),
                      ("ns", "1000000000"), ("n", "1000000000"), ("nanosecond", "1000000000")):
            self.ok_write("pr" + p, "m v=1 " + ts, "precision=" + p)
            self.assertEqual(self.emu.rows("pr" + p, "SELECT time FROM m"), [{"time": "1970-01-01T00:00:01"}])

    def test_missing_timestamp_uses_ingest_time(self):
        before = time.time()
        self.ok_write("now", "m v=1", "precision=s")
        t = self.emu.rows("now", "SELECT time FROM m")[0]["time"]
        self.assertNotIn(".", t, "truncated to the precision")
        self.assertLess(abs(time.mktime(time.strptime(t, "%Y-%m-%dT%H:%M:%S")) - time.timezone - before), 5)

    def test_timestamp_out_of_range_for_precision(self):
        status, _, body = self.emu.write("tr", "m v=1 9223372036854775", "precision=s")
        self.assertEqual(json.loads(body)["data"][0]["error_message"],
                         "timestamp, 9223372036854775, out of range for precision: Second")

    def test_field_types_are_fixed_at_first_write(self):
        self.ok_write("ty", "m,t=x f=1,i=1i,u=1u,s=\"a\",b=t 1")
        cases = [("m f=1i 2", "f", "float", "integer"), ("m i=1 2", "i", "integer", "float"),
                 ("m u=1i 2", "u", "uinteger", "integer"), ("m s=1 2", "s", "string", "float"),
                 ("m b=\"x\" 2", "b", "boolean", "string"), ("m t=1 2", "t", "tag", "field::float"),
                 ("m,f=x g=1 2", "f", "field::float", "tag")]
        for line, col, have, got in cases:
            status, _, body = self.emu.write("ty", line)
            msg = json.loads(body)["data"][0]["error_message"]
            self.assertEqual(msg, "invalid column type for column '%s', expected iox::column_type::%s, got "
                                  "iox::column_type::%s" % (col, have if have in ("tag",) or have.startswith("field")
                                                            else "field::" + have,
                                                            got if got.startswith("field") or got == "tag"
                                                            else "field::" + got))
        cols = self.emu.rows("ty", "SELECT column_name, data_type FROM information_schema.columns "
                                   "WHERE table_schema = 'iox' AND table_name = 'm'")
        self.assertEqual({c["column_name"]: c["data_type"] for c in cols},
                         {"b": "Boolean", "f": "Float64", "i": "Int64", "s": "Utf8", "t": "Dictionary(Int32, Utf8)",
                          "time": "Timestamp(ns)", "u": "UInt64"})

    def test_same_request_type_conflicts_and_duplicate_fields(self):
        status, _, body = self.emu.write("dup", "zz,t=1 a=1,a=2,t=3\nzz,t=1 t=3,a=1\nzz b=1\nzz b=\"x\"")
        self.assertEqual([(d["line_number"], d["error_message"]) for d in json.loads(body)["data"]], [
            (1, "invalid line protocol - multiple instances of 'a' field found"),
            (2, "invalid column type for column 't', expected iox::column_type::tag, got iox::column_type::field::float"),
            (4, "invalid column type for column 'b', expected iox::column_type::field::float, got "
                "iox::column_type::field::string")])

    def test_line_protocol_parse_errors_match_the_server(self):
        cases = [
            ("zz v=1 abcdefghij", TRAILING + "` abcdefghi...`"),
            ("zz v=1,w=abcdefghijklmnop", TRAILING + "`w=abcdefgh...`"),
            ("zz v=1,w=2,x=", TRAILING + "`,x=`"),
            ("zz v=5.", TRAILING + "`.`"), ("zz v=1.0i", TRAILING + "`i`"), ("zz v=-7u", TRAILING + "`u`"),
            ("zz v=tRUE", TRAILING + "`RUE`"), ("zz v=1 1.5", TRAILING + "`.5`"), ("zz v=1  ", TRAILING + "`  `"),
            ("zz v=1i\r", TRAILING + "`\r`"), ("zz v=1 5 6", TRAILING + "`6`"),
            ("zz,t= v=1", "Expected tag value, got ` v=1`"), ("zz,=1 v=1", "Expected tag key, got `=1 v=1`"),
            ("zz,", "Expected tag key, got end of input"),
            ("zz,t=1,u v=1", "Tag set malformed: could not find equals sign in `t=1,u v=1`"),
            ("zz,t=1", "Expected at least one space character, got end of input"),
            ("zz\tv=1", "Expected at least one space character, got `\tv=1`"),
            (",t=1 v=1", "Invalid measurement was provided"), ("zz v=NaN", "No fields were provided"),
            ("zz v=inf", "No fields were provided"), ("zz v=.5", "No fields were provided"),
            ("zz v=9223372036854775808i", "Unable to parse integer value `9223372036854775808`"),
            ("zz v=18446744073709551616u", "Unable to parse unsigned integer value `18446744073709551616`"),
            ("zz v=1 99999999999999999999", "Unable to parse timestamp value `99999999999999999999`"),
            ("zz\\ v=1", "Expected at least one space character, got end of input"),
            ("zz,t=a\\ v=1", "Expected at least one space character, got end of input"),
            ("zz,t=a\\\\ v=1", "Measurements, tag keys and values, and field keys may not end with a backslash"),
        ]
        lp = "\n".join(line for line, _ in cases)
        status, _, body = self.emu.write("lp", lp)
        got = [d["error_message"] for d in json.loads(body)["data"]]
        self.assertEqual(len(got), len(cases), got)
        for (line, want), msg in zip(cases, got):
            self.assertEqual(msg, want, line)

    def test_line_protocol_values_escapes_and_oddities_are_stored_as_the_server_stores_them(self):
        self.ok_write("lpok", "\n".join([
            "m,t=1,,u=2 v=1 1", "m,t==b v=1 2", "m v=1,w,x=2 3", 'm "k"=1 4', "m a\\ b=1,c=1E+3 5",
            "m v=007,w=1.5E-3 6", "m i=9223372036854775807i,j=-9223372036854775808i,u=18446744073709551615u 7",
            "m a=T,b=f,e=True,d=FALSE 8", 'm s="a\\"b\\\\c\\d" 9', 'm s="multi\nline" 10',
            "m\\,x\\ y\\=z,k\\,1\\ 2\\=3=v\\,1\\ 2\\=3 v=1 11", "m v=1, 12", "  \t m v=1 13   ",
            "m,t=\u00e9\u6f22 f=\"\u2603\" 14", "m big=1e400,neg=-1e400 15"]), "precision=ns")
        rows = self.emu.rows("lpok", "SELECT * FROM m ORDER BY time")
        strip = [{k: v for k, v in r.items() if k != "time"} for r in rows]
        self.assertEqual(strip, [{",u": "2", "t": "1", "v": 1.0}, {"t": "=b", "v": 1.0}, {"v": 1.0, "w,x": 2.0},
                                 {'"k"': 1.0}, {"a b": 1.0, "c": 1000.0}, {"v": 7.0, "w": 0.0015},
                                 {"i": 9223372036854775807, "j": -9223372036854775808, "u": 18446744073709551615},
                                 {"a": True, "b": False, "e": True, "d": False}, {"s": 'a"b\\c\\d'},
                                 {"s": "multi\nline"}, {"v": 1.0}, {"v": 1.0},
                                 {"t": "\u00e9\u6f22", "f": "\u2603"}, {"big": None, "neg": None}])
        self.assertEqual(self.emu.rows("lpok", "SHOW TABLES")[1]["table_name"], "m,x y\\=z")
        cols = [r["column_name"] for r in self.emu.rows("lpok", "SELECT column_name FROM information_schema.columns "
                                                                "WHERE table_name = 'm,x y\\=z'")]
        self.assertEqual(cols, ["k,1 2=3", "time", "v"])

    def test_line_numbers_count_parsed_lines_and_echo_that_physical_line(self):
        status, _, body = self.emu.write("num", "#c\nBAD1\nm v=1 1\n\nBAD2\nabcdefghijklmnopqrstuvwxyz")
        self.assertEqual([(d["line_number"], d["original_line"]) for d in json.loads(body)["data"]],
                         [(1, "#c"), (3, "m v=1 1"), (4, "")])
        status, _, body = self.emu.write("num", "zz v=1i\r\nBAD")
        self.assertEqual([(d["line_number"], d["original_line"]) for d in json.loads(body)["data"]],
                         [(1, "zz v=1i"), (2, "BAD")])

    def test_same_tags_and_time_merge_each_field_keeping_the_last_non_null(self):
        self.ok_write("dd", "m,h=a x=1,y=2 100\nm,h=b x=5 100\nm x=7 100", "precision=s")
        self.ok_write("dd", "m,h=a y=3,z=\"q\" 100\nm,h=a x=9 101", "precision=s")
        self.ok_write("dd", "m,h=a x=4 100", "precision=s")
        self.assertEqual(self.emu.rows("dd", "SELECT * FROM m ORDER BY time, h"), [
            {"h": "a", "time": "1970-01-01T00:01:40", "x": 4.0, "y": 3.0, "z": "q"},
            {"h": "b", "time": "1970-01-01T00:01:40", "x": 5.0},
            {"time": "1970-01-01T00:01:40", "x": 7.0},
            {"h": "a", "time": "1970-01-01T00:01:41", "x": 9.0}])

    def test_v1_write(self):
        self.assertEqual(self.emu.request("POST", "/write?db=v1&precision=s", "m,t=a v=1 1")[0], 204)
        self.assertEqual(self.emu.request("POST", "/write?db=v1&rp=autogen", "m,t=a v=2 2000000000")[0], 204)
        self.assertEqual(self.emu.request("POST", "/write?db=v1&rp=weekly", "m v=1 1")[0], 204)
        self.assertEqual(self.emu.rows("v1", "SELECT v FROM m ORDER BY time"), [{"v": 1.0}, {"v": 2.0}])
        self.assertEqual(self.emu.rows("v1/weekly", "SELECT v FROM m"), [{"v": 1.0}])
        status, _, body = self.emu.request("POST", "/write?db=v1", "m v=1\nm v=oops")
        self.assertEqual((status, json.loads(body)["error"]), (400, "line protocol parsing error"))
        self.assertEqual(self.emu.request("POST", "/write?db=v1&precision=h", "m v=1")[0], 400)
        self.assertError(self.emu.request("POST", "/write", "m v=1"), 400, '{"error":"no db destination provided"}')

    def test_v2_write(self):
        self.assertEqual(self.emu.request("POST", "/api/v2/write?bucket=v2&org=o&precision=ms", "m v=1 1000")[0], 204)
        self.assertEqual(self.emu.rows("v2", "SELECT time FROM m"), [{"time": "1970-01-01T00:00:01"}])
        self.assertError(self.emu.request("POST", "/api/v2/write?bucket=v2", "m v=oops"), 400,
                         '{"code":"invalid","message":"write buffer error: line protocol parse failed: '
                         'No fields were provided"}')
        self.assertError(self.emu.request("POST", "/api/v2/write?bucket=v2", ""), 400,
                         '{"code":"invalid","message":"write buffer error: incoming write was empty"}')
        self.assertEqual(json.loads(self.emu.request("POST", "/api/v2/write", "m v=1")[2])["code"], "invalid")
        self.assertError(self.emu.request("POST", "/api/v2/write?bucket=v2", "m v=1", token=None), 401, UNAUTH)

    def test_gzip_bodies_and_request_size_limit(self):
        status, _, _ = self.emu.write("gz", gzip.compress(b"m v=42 1"), "precision=s", **{"Content-Encoding": "gzip"})
        self.assertEqual(status, 204)
        self.assertEqual(self.emu.rows("gz", "SELECT v FROM m"), [{"v": 42.0}])
        self.assertError(self.emu.write("gz", b"m v=1", **{"Content-Encoding": "br"}), 400,
                         "unacceptable content-encoding: br")
        self.emu.admin("/_emulator/config", {"max_request": 1000})
        try:
            self.assertError(self.emu.write("gz", b"m v=1 1\n" * 200), 413, "max request size (1000 bytes) exceeded")
            self.assertError(self.emu.write("gz", gzip.compress(b"m v=1 1\n" * 200), **{"Content-Encoding": "gzip"}),
                             413, "max request size (1000 bytes) exceeded")
            self.assertEqual(self.emu.sql("gz", "SELECT 1 AS " + "a" * 2000, method="POST")[0], 413)
        finally:
            self.emu.admin("/_emulator/config", {"max_request": 10485760})

    def test_chunked_request_bodies_are_read(self):
        conn = http.client.HTTPConnection("127.0.0.1", self.emu.port, timeout=10)
        conn.request("POST", "/api/v3/write_lp?db=ch&precision=s", body=iter([b"m v=1 1\n", b"m v=2 2\n"]),
                     headers={"Authorization": "Bearer " + TOKEN, "Transfer-Encoding": "chunked"},
                     encode_chunked=True)
        self.assertEqual(conn.getresponse().status, 204)
        conn.close()
        self.assertEqual(len(self.emu.rows("ch", "SELECT * FROM m")), 2)


# ---------------------------------------------------------------------------------------------
# 3, 4, 5, 6: query requests, formats, content types, body shapes, streaming
# ---------------------------------------------------------------------------------------------

class TestQueryRequests(EmulatorTest):
    def setUp(self):
        EmulatorTest.setUp(self)
        self.ok_write("q", 'cpu,host=a,region=us-east usage=0.9,note="x, \\"y\\"" 1\ncpu,host=b usage=2 2', "precision=s")

    def test_get_uses_form_decoding_where_plus_is_a_space(self):
        status, _, body = self.emu.request("GET", "/api/v3/query_sql?db=q&format=jsonl&q=SELECT+host+FROM+cpu+ORDER+BY+host")
        self.assertEqual((status, body), (200, b'{"host":"a"}\n{"host":"b"}\n'))

    def test_post_takes_a_json_body_and_ignores_url_and_content_type(self):
        status, _, body = self.emu.request("POST", "/api/v3/query_sql?db=nope&format=csv",
                                           json.dumps({"db": "q", "q": "SELECT host FROM cpu WHERE host = 'a'",
                                                       "format": "jsonl"}), {"Content-Type": "text/plain"})
        self.assertEqual((status, body), (200, b'{"host":"a"}\n'))
        r = self.emu.request("POST", "/api/v3/query_sql?db=q", json.dumps({"q": "SELECT 1"}))
        self.assertEqual(r[0], 400)
        self.assertTrue(r[2].startswith(b"serde json error: missing field `db`"), r[2])
        r = self.emu.request("POST", "/api/v3/query_sql", "not json")
        self.assertEqual(r[0], 400)
        self.assertTrue(r[2].startswith(b"serde json error: "), r[2])

    def test_get_parameter_errors(self):
        self.assertError(self.emu.request("GET", "/api/v3/query_sql"), 400, "missing query parameters 'db' and 'q'")
        self.assertError(self.emu.request("GET", "/api/v3/query_sql?q=SELECT+1"), 400, "serde error: missing field `db`")
        self.assertError(self.emu.request("GET", "/api/v3/query_sql?db=q"), 400, "serde error: missing field `q`")
        self.assertError(self.emu.request("GET", "/api/v3/query_sql?db=q&db=q&q=SELECT+1"), 400,
                         "serde error: duplicate field `db`")
        r = self.emu.request("GET", "/api/v3/query_sql?db=q&q=SELECT+1&format=xml")
        self.assertEqual(r[0], 400)
        self.assertTrue(r[2].startswith(b"serde error: unknown variant `xml`, expected one of"), r[2])
        r = self.emu.request("GET", "/api/v3/query_sql?db=q&q=SELECT+1&format=JSON")
        self.assertEqual(r[0], 400, "format values are case-sensitive")
        r = self.emu.request("GET", "/api/v3/query_sql?db=q&q=SELECT+1&params=%7Bnope")
        self.assertEqual(r[0], 400)
        self.assertTrue(r[2].startswith(b"serde json error: "), r[2])

    def test_accept_header_picks_the_format_unless_format_is_given(self):
        cases = [(None, "application/json"), ("application/json", "application/json"), ("*/*", "application/json"),
                 ("text/csv", "text/csv"), ("text/plain", "text/plain; charset=utf-8"),
                 ("text/html,application/xhtml+xml,*/*;q=0.8", "application/json"),
                 ("application/json, text/plain, */*", "application/json")]
        for accept, ctype in cases:
            headers = {} if accept is None else {"Accept": accept}
            status, h, _ = self.emu.sql("q", "SELECT 1 AS a", fmt=None, headers=headers)
            self.assertEqual((status, h.get("Content-Type")), (200, ctype), accept)
        for bad in ("application/jsonl", "application/json; charset=utf-8", "application/json, text/plain"):
            self.assertError(self.emu.sql("q", "SELECT 1", fmt="jsonl", headers={"Accept": bad}), 400,
                             "invalid mime type (%s)" % bad)
        status, h, _ = self.emu.sql("q", "SELECT 1", fmt="jsonl", headers={"Accept": "text/csv"})
        self.assertEqual(h.get("Content-Type"), "application/jsonl", "format wins over Accept")
        self.emu.admin("/_emulator/config", {"compat": "3.9"})
        self.assertEqual(self.emu.sql("q", "SELECT 1", headers={"Accept": "application/jsonl"})[0], 500)

    def test_content_types_and_body_shapes(self):
        q = "SELECT host, usage, note FROM cpu ORDER BY host"
        expect = {
            "json": ("application/json", '[{"host":"a","usage":0.9,"note":"x, \\"y\\""},{"host":"b","usage":2.0}]'),
            "jsonl": ("application/jsonl", '{"host":"a","usage":0.9,"note":"x, \\"y\\""}\n{"host":"b","usage":2.0}\n'),
            "json_lines": ("application/jsonl", '{"host":"a","usage":0.9,"note":"x, \\"y\\""}\n{"host":"b","usage":2.0}\n'),
            "csv": ("text/csv", 'host,usage,note\na,0.9,"x, ""y"""\nb,2.0,\n'),
            "pretty": ("text/plain; charset=utf-8", "+------+-------+--------+\n| host | usage | note   |\n"
                                                    "+------+-------+--------+\n| a    | 0.9   | x, \"y\" |\n"
                                                    "| b    | 2.0   |        |\n+------+-------+--------+"),
        }
        for fmt, (ctype, body) in expect.items():
            for method in ("GET", "POST"):
                status, h, got = self.emu.sql("q", q, fmt, method=method)
                self.assertEqual((status, h.get("Content-Type"), got.decode()), (200, ctype, body), fmt)
        self.assertEqual(self.emu.sql("q", "SELECT host FROM cpu WHERE host = 'none'", "csv")[2], b"")
        self.assertEqual(self.emu.sql("q", "SELECT host FROM cpu WHERE host = 'none'", "json")[2], b"[]")
        self.assertEqual(self.emu.sql("q", "SELECT host FROM cpu WHERE host = 'none'", "jsonl")[2], b"")
        self.emu.admin("/_emulator/config", {"csv_empty_header": True})
        self.assertEqual(self.emu.sql("q", "SELECT host FROM cpu WHERE host = 'none'", "csv")[2], b"host\n")
        status, h, _ = self.emu.sql("q", "SELECT 1", "parquet")
        self.assertEqual(status, 405, "parquet output is not emulated")

    def test_csv_single_empty_field_is_quoted(self):
        self.ok_write("q", 'e s="" 1\ne s="v" 2', "precision=s")
        self.assertEqual(self.emu.sql("q", "SELECT s FROM e ORDER BY time", "csv")[2], b's\n""\nv\n')

    def test_large_results_stream_chunked_one_chunk_per_8192_rows(self):
        lines = "\n".join("big,k=%d v=%di %d" % (i % 7, i, i) for i in range(20000))
        self.ok_write("big", lines, "precision=s")
        for fmt in ("jsonl", "json", "csv"):
            sock = socket.create_connection(("127.0.0.1", self.emu.port), timeout=30)
            path = "/api/v3/query_sql?" + urllib.parse.urlencode({"db": "big", "q": "SELECT v FROM big ORDER BY time",
                                                                  "format": fmt})
            sock.sendall(("GET %s HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\nConnection: close\r\n\r\n"
                          % (path, TOKEN)).encode())
            raw = b""
            while True:
                data = sock.recv(1 << 16)
                if not data:
                    break
                raw += data
            sock.close()
            head, _, rest = raw.partition(b"\r\n\r\n")
            self.assertIn(b"transfer-encoding: chunked", head.lower())
            self.assertNotIn(b"content-length", head.lower())
            chunks = []
            while True:
                size_line, _, rest = rest.partition(b"\r\n")
                size = int(size_line, 16)
                if size == 0:
                    break
                chunks.append(rest[:size])
                rest = rest[size + 2:]
            self.assertGreaterEqual(len(chunks), 3, fmt)
            body = b"".join(chunks)
            if fmt == "jsonl":
                self.assertEqual(body.count(b"\n"), 20000)
                self.assertEqual(chunks[0].count(b"\n"), 8192)
            elif fmt == "json":
                self.assertEqual(len(json.loads(body)), 20000)
            else:
                self.assertEqual(body.count(b"\n"), 20001)

    def test_http10_clients_get_a_close_delimited_body(self):
        sock = socket.create_connection(("127.0.0.1", self.emu.port), timeout=10)
        sock.sendall(("GET /api/v3/query_sql?db=q&q=SELECT+host+FROM+cpu+ORDER+BY+host&format=jsonl HTTP/1.0\r\n"
                      "Authorization: Bearer %s\r\n\r\n" % TOKEN).encode())
        raw = b""
        while True:
            data = sock.recv(65536)
            if not data:
                break
            raw += data
        sock.close()
        self.assertTrue(raw.endswith(b'\r\n\r\n{"host":"a"}\n{"host":"b"}\n'), raw)


# ---------------------------------------------------------------------------------------------
# 7, 8, 9, 10: value rendering and column order
# ---------------------------------------------------------------------------------------------

class TestValueRendering(EmulatorTest):
    def test_time_is_zone_less_iso_with_0_3_6_9_fraction_digits(self):
        self.ok_write("t", "m v=1 0\nm v=2 123000000\nm v=3 123456000\nm v=4 123456789\nm v=5 -1\n"
                           "m v=6 3000000000000000000\nm v=7 -9223372036854775808", "precision=ns")
        got = self.emu.sql("t", "SELECT time FROM m ORDER BY v", "csv")[2].decode().split("\n")[1:-1]
        self.assertEqual(got, ["1970-01-01T00:00:00", "1970-01-01T00:00:00.123", "1970-01-01T00:00:00.123456",
                               "1970-01-01T00:00:00.123456789", "1969-12-31T23:59:59.999999999",
                               "2065-01-24T05:20:00", "1677-09-21T00:12:43.145224192"])
        self.assertEqual(self.emu.rows("t", "SELECT time FROM m WHERE v = 4")[0]["time"], "1970-01-01T00:00:00.123456789")

    def test_floats_json_vs_csv(self):
        values = ["1", "0.9", "82", "1e10", "1000000000", "1.5e-7", "0.00001", "0.000001", "1e16", "1.5e16",
                  "123456789.125", "-0.0", "1e400", "-1e400", "2.5e-300", "1.7976931348623157e308"]
        self.ok_write("f", "\n".join("m,i=%02d v=%s %d" % (n, v, n) for n, v in enumerate(values)), "precision=s")
        j = [r.get("v", "absent") for r in
             (json.loads(line) for line in self.emu.sql("f", "SELECT v FROM m ORDER BY i", "jsonl")[2].decode().splitlines())]
        raw_json = self.emu.sql("f", "SELECT i, v FROM m ORDER BY i", "json")[2].decode()
        self.assertIn('{"i":"00","v":1.0}', raw_json)
        self.assertIn('{"i":"03","v":1.0e10}', raw_json)
        self.assertIn('{"i":"04","v":1000000000.0}', raw_json)
        self.assertIn('{"i":"05","v":1.5e-7}', raw_json)
        self.assertIn('{"i":"06","v":0.00001}', raw_json)
        self.assertIn('{"i":"07","v":1.0e-6}', raw_json)
        self.assertIn('{"i":"08","v":1.0e16}', raw_json)
        self.assertIn('{"i":"11","v":-0.0}', raw_json)
        self.assertIn('{"i":"12","v":null}', raw_json, "non-finite is null, key still present")
        self.assertIn('{"i":"14","v":2.5e-300}', raw_json)
        self.assertIn('{"i":"15","v":1.7976931348623157e308}', raw_json)
        self.assertEqual(j[12], None)
        csv = self.emu.sql("f", "SELECT v FROM m ORDER BY i", "csv")[2].decode().split("\n")[1:-1]
        self.assertEqual(csv, ["1.0", "0.9", "82.0", "10000000000.0", "1000000000.0", "1.5e-7", "0.00001", "1e-6",
                               "1e16", "1.5e16", "123456789.125", "-0.0", "inf", "-inf", "2.5e-300",
                               "1.7976931348623157e308"])

    def test_integers_unsigned_booleans_strings_and_nulls(self):
        self.ok_write("v", 'm,t=x i=-9223372036854775808i,u=18446744073709551615u,b=true,s="\u00e9 \\"q\\" \t/\x01" 1\n'
                           "m,t=y i=5i 2", "precision=s")
        raw = self.emu.sql("v", "SELECT * FROM m ORDER BY time", "jsonl")[2].decode()
        self.assertEqual(raw, '{"b":true,"i":-9223372036854775808,"s":"\u00e9 \\"q\\" \\t/\\u0001","t":"x",'
                              '"time":"1970-01-01T00:00:01","u":18446744073709551615}\n'
                              '{"i":5,"t":"y","time":"1970-01-01T00:00:02"}\n')
        csv = self.emu.sql("v", "SELECT * FROM m ORDER BY time", "csv")[2].decode()
        self.assertEqual(csv, 'b,i,s,t,time,u\ntrue,-9223372036854775808,"\u00e9 ""q"" \t/\x01",x,1970-01-01T00:00:01,'
                              '18446744073709551615\n,5,,y,1970-01-01T00:00:02,\n')
        self.assertEqual(self.emu.rows("v", "SELECT u FROM m WHERE u = 18446744073709551615"), [{"u": 18446744073709551615}])
        self.assertEqual(self.emu.rows("v", "SELECT count(*) AS n FROM m WHERE u > 5"), [{"n": 1}])
        self.assertEqual(self.emu.rows("v", "SELECT max(u) AS m FROM m"), [{"m": 18446744073709551615}])

    def test_select_star_columns_are_sorted_by_name(self):
        self.ok_write("s", "cpu,region=r,host=h zeta=1,usage=2,value=3,alpha=4 1")
        body = self.emu.sql("s", "SELECT * FROM cpu", "csv")[2].decode()
        self.assertEqual(body.split("\n")[0], "alpha,host,region,time,usage,value,zeta")
        status, _, raw = self.emu.sql("s", "SELECT * FROM cpu", "jsonl")
        self.assertEqual(list(json.loads(raw)), ["alpha", "host", "region", "time", "usage", "value", "zeta"])


# ---------------------------------------------------------------------------------------------
# The SQL subset, errors (11), schema discovery (13, 14, 15), params (16)
# ---------------------------------------------------------------------------------------------

class TestSql(EmulatorTest):
    def setUp(self):
        EmulatorTest.setUp(self)
        self.ok_write("s", "\n".join("cpu,host=%s usage=%d %d" % ("ab"[i % 2], i, i * 1000000000 + 123)
                                     for i in range(10)), "precision=ns")

    def test_replication_query_shape_with_quoted_identifiers_and_half_open_windows(self):
        q = ('SELECT "host", "usage", "time" FROM "cpu" WHERE "time" >= \'1970-01-01T00:00:02.000000123Z\' '
             'AND "time" < \'1970-01-01T00:00:05.000000123Z\' ORDER BY "time"')
        self.assertEqual(self.emu.rows("s", q), [
            {"host": "a", "usage": 2.0, "time": "1970-01-01T00:00:02.000000123"},
            {"host": "b", "usage": 3.0, "time": "1970-01-01T00:00:03.000000123"},
            {"host": "a", "usage": 4.0, "time": "1970-01-01T00:00:04.000000123"}])

    def test_time_literals_with_offsets_no_zone_date_only_and_functions(self):
        def n(where):
            return self.emu.rows("s", "SELECT count(*) AS n FROM cpu WHERE " + where)[0]["n"]
        self.assertEqual(n("time >= '1970-01-01T01:00:05+01:00'"), 5)
        self.assertEqual(n("time >= '1969-12-31T23:00:05-01:00'"), 5)
        self.assertEqual(n("time >= '1970-01-01T00:00:05'"), 5)
        self.assertEqual(n("time >= '1970-01-01 00:00:05'"), 5)
        self.assertEqual(n("time >= '1970-01-01'"), 10)
        self.assertEqual(n("time > to_timestamp('1970-01-01T00:00:05Z')"), 5)
        self.assertEqual(n("time >= to_timestamp(5)"), 5)
        self.assertEqual(n("time < now()"), 10)
        self.assertEqual(n("time >= TIMESTAMP '1970-01-01T00:00:00Z' + INTERVAL '8 seconds'"), 2)
        self.assertEqual(n("time > now() - INTERVAL '1 hour'"), 0)
        self.assertEqual(n("time BETWEEN '1970-01-01T00:00:01Z' AND '1970-01-01T00:00:03.000000123Z'"), 3)
        self.assertEqual(n("\"time\" = '1970-01-01T00:00:03.000000123Z'"), 1)

    def test_min_max_count_and_datafusion_column_names(self):
        raw = self.emu.sql("s", 'SELECT MIN("time"), MAX("time"), COUNT(*), count("usage") FROM "cpu"', "jsonl")[2]
        self.assertEqual(raw, b'{"min(cpu.time)":"1970-01-01T00:00:00.000000123","max(cpu.time)":'
                              b'"1970-01-01T00:00:09.000000123","count(*)":10,"count(cpu.usage)":10}\n')
        self.assertEqual(self.emu.rows("s", "SELECT min(time) AS t FROM cpu WHERE time > now()"), [{}])
        self.assertEqual(self.emu.rows("s", "SELECT count(*) AS n FROM cpu WHERE time > now()"), [{"n": 0}])
        self.assertEqual(self.emu.rows("s", "SELECT host, count(*) AS n, sum(usage) AS s, avg(usage) AS a "
                                            "FROM cpu GROUP BY host ORDER BY host"),
                         [{"host": "a", "n": 5, "s": 20.0, "a": 4.0}, {"host": "b", "n": 5, "s": 25.0, "a": 5.0}])

    def test_identifiers_and_literals_with_quotes_case_and_unicode(self):
        self.ok_write("s", 'We\\ "ird\\,T\u00e4ble,T\\=ag="o\'k" Va\\ l=1,val=2 5', "precision=s")
        table = 'We "ird,T\u00e4ble'
        q = 'SELECT "T=ag", "Va l" FROM "%s" WHERE "T=ag" = \'"o\'\'k"\'' % table.replace('"', '""')
        self.assertEqual(self.emu.rows("s", q), [{"T=ag": '"o\'k"', "Va l": 1.0}])
        self.assertEqual(self.emu.rows("s", 'SELECT VAL FROM "%s"' % table.replace('"', '""')), [{"val": 2.0}],
                         "unquoted identifiers fold to lower case")
        r = self.emu.sql("s", 'SELECT "VAL" FROM "%s"' % table.replace('"', '""'))
        self.assertEqual(r[0], 500)
        self.assertTrue(r[2].startswith(b'Schema error: No field named "VAL".'), r[2])
        self.assertEqual(self.emu.sql("s", "SELECT * FROM CPU")[0], 200, "CPU folds to cpu")
        self.assertEqual(self.emu.sql("s", 'SELECT * FROM "CPU"')[0], 400)

    def test_qualified_table_names_limit_offset_like_in_and_expressions(self):
        self.assertEqual(len(self.emu.rows("s", "SELECT * FROM iox.cpu")), 10)
        self.assertEqual(len(self.emu.rows("s", "SELECT c.usage FROM public.iox.cpu AS c")), 10)
        self.assertEqual(self.emu.rows("s", "SELECT usage FROM cpu ORDER BY time DESC LIMIT 2 OFFSET 1"),
                         [{"usage": 8.0}, {"usage": 7.0}])
        self.assertEqual(self.emu.rows("s", "SELECT count(*) AS n FROM cpu WHERE host LIKE 'A%'"), [{"n": 0}])
        self.assertEqual(self.emu.rows("s", "SELECT count(*) AS n FROM cpu WHERE host ILIKE 'A%'"), [{"n": 5}])
        self.assertEqual(self.emu.rows("s", "SELECT count(*) AS n FROM cpu WHERE usage IN (1, 2, 3) AND host <> 'a'"),
                         [{"n": 2}])
        self.assertEqual(self.emu.rows("s", "SELECT usage * 2 + 1 AS x, usage / 4 AS y FROM cpu WHERE usage = 3"),
                         [{"x": 7.0, "y": 0.75}])
        self.assertEqual(self.emu.rows("s", "SELECT DISTINCT host FROM cpu ORDER BY host"), [{"host": "a"}, {"host": "b"}])
        self.assertEqual(self.emu.rows("s", "SELECT date_bin(INTERVAL '5 seconds', time) AS b, count(*) AS n "
                                            "FROM cpu GROUP BY 1 ORDER BY 1"),
                         [{"b": "1970-01-01T00:00:00", "n": 5}, {"b": "1970-01-01T00:00:05", "n": 5}])
        self.assertEqual(self.emu.rows("s", "SELECT 1 AS one, 'x' AS s, NULL AS n, true AS t"),
                         [{"one": 1, "s": "x", "t": True}])

    def test_placeholders_take_values_from_params(self):
        rows = self.emu.rows("s", "SELECT $a AS a, $b AS b, $c AS c, $d AS d, $e AS e, $f AS f",
                             {"a": 18446744073709551615, "b": -1, "c": 1.5, "d": "x'y", "e": False, "f": None})
        self.assertEqual(rows, [{"a": 18446744073709551615, "b": -1, "c": 1.5, "d": "x'y", "e": False}])
        self.assertEqual(len(self.emu.rows("s", "SELECT usage FROM cpu WHERE host = $h AND usage > $x",
                                           {"h": "a", "x": 2})), 3)
        for method in ("GET", "POST"):
            r = self.emu.sql("s", "SELECT * FROM cpu WHERE host = $host", params={}, method=method)
            self.assertEqual(r[0], 400)
            self.assertIn(b"No value found for placeholder with name $host", r[2])
        r = self.emu.sql("s", "SELECT $a", params={"a": [1]})
        self.assertEqual(r[0], 400)

    def test_errors_have_the_server_statuses_and_bodies(self):
        self.assertError(self.emu.sql("nodb", "SELECT 1"), 404, '{"error":"query error: database not found: nodb"}')
        self.assertError(self.emu.sql("", "SELECT 1"), 404, '{"error":"query error: database not found: "}')
        self.assertError(self.emu.sql("s", 'SELECT * FROM "nope"'), 400,
                         "Error during planning: table 'public.iox.nope' not found")
        self.assertError(self.emu.sql("s", "SELEC 1"), 400,
                         'SQL error: ParserError("Expected: an SQL statement, found: SELEC at Line: 1, Column: 1")')
        self.assertError(self.emu.sql("s", "SELECT * FORM cpu"), 400,
                         'SQL error: ParserError("Expected: end of statement, found: FORM at Line: 1, Column: 10")')
        r = self.emu.sql("s", "SELECT nope FROM cpu")
        self.assertEqual(r[0], 500)
        self.assertTrue(r[2].startswith(b"Schema error: No field named nope."), r[2])
        self.assertEqual(self.emu.sql("s", "DELETE FROM cpu")[0], 405)
        # <= 3.9: 500 with a prefix
        self.emu.admin("/_emulator/config", {"error_style": "500"})
        self.assertError(self.emu.sql("s", 'SELECT * FROM "nope"'), 500,
                         "query error: error while planning query: Error during planning: table 'public.iox.nope' "
                         "not found")
        self.assertError(self.emu.sql("s", "SELEC 1"), 500, 'query error: error while planning query: SQL error: '
                         'ParserError("Expected: an SQL statement, found: SELEC at Line: 1, Column: 1")')
        self.assertError(self.emu.sql("nodb", "SELECT 1"), 404, '{"error":"query error: database not found: nodb"}')

    def test_show_tables_lists_iox_then_system_then_information_schema(self):
        self.ok_write("s", "zz v=1 1\naa v=1 1")
        rows = self.emu.rows("s", "SHOW TABLES")
        self.assertEqual(list(rows[0]), ["table_catalog", "table_schema", "table_name", "table_type"])
        got = [(r["table_schema"], r["table_name"], r["table_type"]) for r in rows]
        self.assertEqual(got[:3], [("iox", "aa", "BASE TABLE"), ("iox", "cpu", "BASE TABLE"), ("iox", "zz", "BASE TABLE")])
        self.assertEqual(got[3:11], [("system", n, "BASE TABLE") for n in (
            "distinct_caches", "influxdb_schema", "last_caches", "parquet_files", "processing_engine_logs",
            "processing_engine_trigger_arguments", "processing_engine_triggers", "queries")])
        self.assertEqual(got[11:], [("information_schema", n, "VIEW") for n in (
            "tables", "views", "columns", "df_settings", "schemata", "routines", "parameters")])
        self.assertEqual(self.emu.rows("s", "SELECT table_name FROM information_schema.tables WHERE table_schema = 'iox' "
                                            "ORDER BY table_name"),
                         [{"table_name": "aa"}, {"table_name": "cpu"}, {"table_name": "zz"}])

    def test_information_schema_columns_has_the_real_data_types(self):
        self.ok_write("s", 'm,tag=a f=1,i=1i,u=1u,s="x",b=true 1')
        q = ("SELECT * FROM information_schema.columns WHERE table_schema = 'iox' AND table_name = 'm'")
        rows = self.emu.rows("s", q)
        self.assertEqual(rows[0], {"table_catalog": "public", "table_schema": "iox", "table_name": "m", "column_name": "b",
                                   "ordinal_position": 0, "is_nullable": "YES", "data_type": "Boolean"})
        got = [(r["column_name"], r["ordinal_position"], r["data_type"], r["is_nullable"],
                r.get("character_octet_length"), r.get("numeric_precision"), r.get("numeric_precision_radix"))
               for r in rows]
        self.assertEqual(got, [("b", 0, "Boolean", "YES", None, None, None), ("f", 1, "Float64", "YES", None, 24, 2),
                               ("i", 2, "Int64", "YES", None, None, None), ("s", 3, "Utf8", "YES", 2147483647, None, None),
                               ("tag", 4, "Dictionary(Int32, Utf8)", "YES", None, None, None),
                               ("time", 5, "Timestamp(ns)", "NO", None, None, None),
                               ("u", 6, "UInt64", "YES", None, None, None)])
        csv = self.emu.sql("s", q, "csv")[2].decode().split("\n")
        self.assertEqual(csv[0], "table_catalog,table_schema,table_name,column_name,ordinal_position,column_default,"
                                 "is_nullable,data_type,character_maximum_length,character_octet_length,"
                                 "numeric_precision,numeric_precision_radix,numeric_scale,datetime_precision,interval_type")
        for compat, spelling in (("3.8", "Timestamp(Nanosecond, None)"), ("3.9", "Timestamp(ns)")):
            self.emu.admin("/_emulator/config", {"compat": compat})
            t = self.emu.rows("s", "SELECT data_type FROM information_schema.columns WHERE table_name = 'm' "
                                   "AND column_name = 'time'")
            self.assertEqual(t, [{"data_type": spelling}])

    def test_show_columns_and_influxdb_schema(self):
        rows = self.emu.rows("s", "SHOW COLUMNS FROM cpu")
        self.assertEqual(list(rows[0]), ["table_catalog", "table_schema", "table_name", "column_name", "data_type",
                                         "is_nullable"])
        self.assertEqual([r["column_name"] for r in rows], ["host", "time", "usage"])
        self.assertEqual(self.emu.sql("s", "SHOW FULL COLUMNS FROM cpu", "csv")[2].decode().split("\n")[0].count(","), 14)
        self.assertError(self.emu.sql("s", "SHOW COLUMNS FROM nope"), 400,
                         "Error during planning: table 'public.iox.nope' not found")
        self.assertEqual(self.emu.rows("s", "SELECT measurement, key, data_type FROM system.influxdb_schema "
                                            "WHERE measurement = 'cpu'"),
                         [{"measurement": "cpu", "key": "host", "data_type": "tag"},
                          {"measurement": "cpu", "key": "time", "data_type": "time"},
                          {"measurement": "cpu", "key": "usage", "data_type": "float"}])

    def test_query_file_limit(self):
        # 10 minute blocks with data count as files; a query fails when its range touches more
        # blocks than the limit, with the server's (misleading: it prints the limit) message
        self.ok_write("fl", "\n".join("m v=%d %d" % (i, i * 600) for i in range(12)), "precision=s")
        self.emu.admin("/_emulator/config", {"file_limit": 5})
        msg = ("External error: Query would scan 5 Parquet files, exceeding the file limit. InfluxDB 3 Core caps file "
               "access to prevent performance degradation and memory issues. Use a narrower time range, or increase the "
               "limit with --query-file-limit (this may cause slower queries or instability).\n\nTo remove this "
               "limitation, upgrade to InfluxDB 3 Enterprise, which automatically compacts files for efficient querying "
               "across any time range. Free for non-commercial and home use, and free trials for commercial evaluation: "
               "https://www.influxdata.com/downloads")
        self.assertError(self.emu.sql("fl", "SELECT * FROM m"), 500, msg)
        self.assertError(self.emu.sql("fl", "SELECT MIN(time) FROM m"), 500, msg)
        ok = "SELECT count(*) AS n FROM m WHERE time >= '1970-01-01T00:00:00Z' AND time < '1970-01-01T00:50:00Z'"
        self.assertEqual(self.emu.rows("fl", ok), [{"n": 5}])
        self.assertEqual(self.emu.sql("fl", ok.replace("00:50:00", "01:00:00"))[0], 500)
        self.assertEqual(self.emu.rows("fl", "SELECT count(*) AS n FROM m WHERE time > '1970-01-01T01:00:00Z'"), [{"n": 5}])
        self.emu.admin("/_emulator/config", {"error_style": "500"})
        self.assertError(self.emu.sql("fl", "SELECT * FROM m"), 500, "query error: error while planning query: " + msg)
        self.emu.admin("/_emulator/config", {"file_limit": 5, "gen1_seconds": 3600})
        self.assertEqual(self.emu.sql("fl", "SELECT * FROM m")[0], 200, "two 1-hour blocks")


# ---------------------------------------------------------------------------------------------
# 21: v1 /query and InfluxQL; configure/database
# ---------------------------------------------------------------------------------------------

class TestInfluxQL(EmulatorTest):
    def setUp(self):
        EmulatorTest.setUp(self)
        self.ok_write("i", "cpu,host=a usage=0.9,n=3i 1\ncpu,host=b usage=82 2\nmem,host=a free=1.5 3", "precision=s")

    def v1(self, q, db="i", **extra):
        args = {"q": q}
        if db is not None:
            args["db"] = db
        args.update(extra)
        return self.emu.request("GET", "/query?" + urllib.parse.urlencode(args))

    def test_v1_query_json(self):
        status, h, body = self.v1("SELECT * FROM cpu")
        self.assertEqual((status, h.get("Content-Type")), (200, "application/json"))
        self.assertEqual(body.decode(), '{"results":[{"statement_id":0,"series":[{"name":"cpu","columns":["time",'
                                        '"host","n","usage"],"values":[["1970-01-01T00:00:01Z","a",3,0.9],'
                                        '["1970-01-01T00:00:02Z","b",null,82]]}]}]}')
        body = self.v1("SELECT usage FROM cpu WHERE host = 'b'", epoch="ms")[2].decode()
        self.assertEqual(body, '{"results":[{"statement_id":0,"series":[{"name":"cpu","columns":["time","usage"],'
                               '"values":[[2000,82]]}]}]}')
        self.assertEqual(self.v1("SELECT * FROM cpu WHERE host = 'zz'")[2], b'{"results":[{"statement_id":0}]}')
        self.assertEqual(json.loads(self.v1("SELECT * FROM cpu", db="nodb")[2]),
                         {"results": [{"statement_id": 0, "error": "Cannot retrieve database: External error: "
                                                                    "database not found: nodb"}]})
        self.assertEqual(self.v1("SHOW MEASUREMENTS")[2], b'{"results":[{"statement_id":0,"series":[{"name":'
                                                          b'"measurements","columns":["name"],"values":[["cpu"],["mem"]]}]}]}')
        self.assertEqual(self.v1("SHOW DATABASES", db=None)[0], 200)
        self.assertEqual(self.emu.request("GET", "/query")[0], 400)

    def test_v1_query_chunked_documents_and_csv(self):
        status, h, body = self.v1("SELECT usage FROM cpu", chunked="true", chunk_size="1")
        docs = body.decode().replace("}]}{", "}]}\n{").split("\n")
        self.assertEqual([json.loads(d) for d in docs], [
            {"results": [{"statement_id": 0, "series": [{"name": "cpu", "columns": ["time", "usage"],
                                                          "values": [["1970-01-01T00:00:01Z", 0.9]], "partial": True}],
                          "partial": True}]},
            {"results": [{"statement_id": 0, "series": [{"name": "cpu", "columns": ["time", "usage"],
                                                          "values": [["1970-01-01T00:00:02Z", 82]]}]}]}])
        status, h, body = self.emu.request("GET", "/query?db=i&q=SELECT+usage+FROM+cpu", headers={"Accept": "text/csv"})
        self.assertEqual((h.get("Content-Type"), body.decode()),
                         ("application/csv", "name,tags,time,usage\ncpu,,1000000000,0.9\ncpu,,2000000000,82\n"))

    def test_query_influxql_endpoint(self):
        def iql(q, db="i"):
            args = {"q": q, "format": "jsonl"}
            if db:
                args["db"] = db
            return self.emu.request("GET", "/api/v3/query_influxql?" + urllib.parse.urlencode(args))
        self.assertEqual(iql("SELECT usage FROM cpu")[2],
                         b'{"iox::measurement":"cpu","time":"1970-01-01T00:00:01","usage":0.9}\n'
                         b'{"iox::measurement":"cpu","time":"1970-01-01T00:00:02","usage":82.0}\n')
        self.assertEqual(iql("SHOW MEASUREMENTS")[2], b'{"iox::measurement":"measurements","name":"cpu"}\n'
                                                      b'{"iox::measurement":"measurements","name":"mem"}\n')
        self.assertIn(b'{"iox::database":"_internal","deleted":false}', iql("SHOW DATABASES", db=None)[2])
        self.assertError(iql("SELECT * FROM cpu", db=None), 400,
                         "must specify a 'db' parameter, or provide the database in the InfluxQL query")
        self.assertError(iql("SELECT * FROM cpu; SELECT * FROM mem"), 400, "must provide only one InfluxQl statement per query")
        r = iql("SELEKT")
        self.assertEqual(r[0], 400)
        self.assertTrue(r[2].startswith(b"error in InfluxQL statement: parsing error"), r[2])

    def test_configure_database(self):
        self.assertEqual(json.loads(self.emu.request("GET", "/api/v3/configure/database?format=json")[2]),
                         [{"iox::database": "_internal"}, {"iox::database": "i"}])
        self.assertError(self.emu.request("GET", "/api/v3/configure/database"), 400, "serde error: missing field `format`")
        self.assertEqual(self.emu.request("POST", "/api/v3/configure/database", '{"db":"made"}')[0], 200)
        self.assertEqual(self.emu.request("POST", "/api/v3/configure/database", '{"db":"made"}')[0], 409)
        self.assertEqual(self.emu.rows("made", "SHOW TABLES")[0]["table_schema"], "system")
        self.assertEqual(self.emu.request("DELETE", "/api/v3/configure/database?db=made")[0], 200)
        self.assertEqual(self.emu.sql("made", "SELECT 1")[0], 404)


# ---------------------------------------------------------------------------------------------
# 24 and the admin API: faults, stats, config
# ---------------------------------------------------------------------------------------------

class TestFaults(EmulatorTest):
    def setUp(self):
        EmulatorTest.setUp(self)
        self.ok_write("f", "\n".join("m v=%d %d" % (i, i) for i in range(3000)), "precision=s")

    def test_status_faults_fire_count_times_on_matching_paths(self):
        self.emu.admin("/_emulator/fault", {"status": 503, "count": 2, "path": "/api/v3/query_sql", "body": "busy"})
        self.assertEqual(self.emu.request("GET", "/health")[0], 200, "other paths are not affected")
        self.assertError(self.emu.sql("f", "SELECT 1"), 503, "busy")
        self.assertError(self.emu.sql("f", "SELECT 1"), 503, "busy")
        self.assertEqual(self.emu.sql("f", "SELECT 1")[0], 200)

    def test_skip_lets_requests_through_first(self):
        self.emu.admin("/_emulator/fault", {"status": 500, "skip": 1, "method": "GET"})
        self.assertEqual(self.emu.request("GET", "/health")[0], 200)
        self.assertEqual(self.emu.request("GET", "/health")[0], 500)
        self.assertEqual(self.emu.request("GET", "/health")[0], 200)

    def test_truncate_cuts_the_stream_without_the_final_chunk(self):
        for mode in ("chunk", "mid_chunk"):
            self.emu.admin("/_emulator/fault", {"truncate_after_bytes": 1000, "truncate_mode": mode})
            conn = http.client.HTTPConnection("127.0.0.1", self.emu.port, timeout=10)
            conn.request("GET", "/api/v3/query_sql?db=f&format=jsonl&q=SELECT+v+FROM+m",
                         headers={"Authorization": "Bearer " + TOKEN})
            r = conn.getresponse()
            self.assertEqual(r.status, 200)
            with self.assertRaises(http.client.IncompleteRead) as cm:
                r.read()
            if mode == "chunk":       # whole chunks up to the cut: the client got exactly 1000 bytes
                self.assertEqual(len(cm.exception.partial), 1000)
            conn.close()
        self.assertEqual(len(self.emu.sql("f", "SELECT v FROM m")[2].splitlines()), 3000, "next query is whole")

    def test_hold_stops_the_body_mid_way_until_released(self):
        self.emu.admin("/_emulator/fault", {"hold_after_bytes": 1000})
        conn = http.client.HTTPConnection("127.0.0.1", self.emu.port, timeout=30)
        conn.request("GET", "/api/v3/query_sql?db=f&format=jsonl&q=SELECT+v+FROM+m",
                     headers={"Authorization": "Bearer " + TOKEN})
        r = conn.getresponse()
        self.assertEqual(r.status, 200)
        head = r.read(1000)  # the first 1000 body bytes arrive while the rest is held
        self.assertEqual(len(head), 1000)
        stats = self.emu.admin("/_emulator/stats")[1]
        self.assertEqual(stats["held"], ["SELECT v FROM m"])
        self.assertNotIn("sent", stats["queries"][-1], "a held body is not all sent")
        self.assertEqual(self.emu.admin("/_emulator/release", {"match": "no such query"})[1]["released"], 0)
        self.assertEqual(self.emu.admin("/_emulator/release", {"match": "FROM m"})[1]["released"], 1)
        rest = r.read()
        conn.close()
        self.assertEqual(len((head + rest).splitlines()), 3000, "the held body goes on whole")
        stats = self.emu.admin("/_emulator/stats")[1]
        self.assertEqual(stats["held"], [])
        self.assertIs(stats["queries"][-1].get("sent"), True)

    def test_body_contains_picks_the_request(self):
        self.emu.admin("/_emulator/fault", {"status": 500, "body_contains": "SELECT 2"})
        self.assertEqual(self.emu.sql("f", "SELECT 1 AS one", method="POST")[0], 200)
        self.assertEqual(self.emu.sql("f", "SELECT 2 AS two", method="POST")[0], 500)
        self.assertEqual(self.emu.sql("f", "SELECT 2 AS two", method="POST")[0], 200)

    def test_close_drops_the_connection_without_a_response(self):
        self.emu.admin("/_emulator/fault", {"close": True})
        with self.assertRaises((ConnectionError, http.client.HTTPException, urllib.error.URLError)):
            self.emu.request("GET", "/health")
        self.assertEqual(self.emu.request("GET", "/health")[0], 200)

    def test_delay(self):
        self.emu.admin("/_emulator/fault", {"delay_ms": 400})
        t = time.time()
        self.assertEqual(self.emu.request("GET", "/health")[0], 200)
        self.assertGreaterEqual(time.time() - t, 0.4)

    def test_fault_admin_validation_listing_and_clearing(self):
        self.assertEqual(self.emu.admin("/_emulator/fault", {"bogus": 1})[0], 400)
        self.emu.admin("/_emulator/fault", [{"status": 500, "count": 3}, {"delay_ms": 1}])
        self.assertEqual(len(self.emu.admin("/_emulator/fault")[1]["faults"]), 2)
        self.emu.admin("/_emulator/fault", method="DELETE")
        self.assertEqual(self.emu.admin("/_emulator/fault")[1]["faults"], [])

    def test_stats_record_requests_and_queries(self):
        self.emu.admin("/_emulator/stats", method="DELETE")
        self.emu.sql("f", "SELECT 1 AS one")
        self.emu.sql("f", "SELECT nope FROM m")
        stats = self.emu.admin("/_emulator/stats")[1]
        self.assertEqual(stats["requests"]["GET /api/v3/query_sql"], 2)
        self.assertEqual([(q["q"], q["status"], q.get("sent")) for q in stats["queries"]],
                         [("SELECT 1 AS one", 200, True), ("SELECT nope FROM m", 500, None)])


class TestConcurrency(EmulatorTest):
    def test_queries_stream_while_writes_add_rows_and_columns(self):
        import threading
        self.ok_write("c", "\n".join("m,k=%d v=%d %d" % (i % 5, i, i) for i in range(6000)), "precision=s")
        errors = []

        def reader():
            for _ in range(6):
                status, _, body = self.emu.sql("c", "SELECT * FROM m ORDER BY time")
                if status != 200 or body.count(b"\n") < 6000 or not body.endswith(b"}\n"):
                    errors.append((status, body[-200:]))

        def writer(n):
            for i in range(15):
                status, _, body = self.emu.write("c", "m,k=w%d new%d_%d=1 %d" % (n, n, i, 10 ** 6 + i), "precision=s")
                if status != 204:
                    errors.append((status, body))
        threads = [threading.Thread(target=reader) for _ in range(3)] + \
                  [threading.Thread(target=writer, args=(n,)) for n in range(2)]
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        self.assertEqual(errors, [])
        self.assertEqual(self.emu.rows("c", "SELECT count(*) AS n FROM m"), [{"n": 6030}])
        self.assertEqual(len(self.emu.rows("c", "SHOW COLUMNS FROM m")), 3 + 30)

    def test_keep_alive_connections_serve_many_requests(self):
        conn = http.client.HTTPConnection("127.0.0.1", self.emu.port, timeout=10)
        h = {"Authorization": "Bearer " + TOKEN}
        for i in range(20):
            conn.request("POST", "/api/v3/write_lp?db=ka&precision=s", body="m v=%d %d" % (i, i), headers=h)
            r = conn.getresponse()
            self.assertEqual((r.status, r.read()), (204, b""))
            conn.request("GET", "/api/v3/query_sql?db=ka&format=jsonl&q=SELECT+count(*)+AS+n+FROM+m", headers=h)
            r = conn.getresponse()
            self.assertEqual(json.loads(r.read()), {"n": i + 1})
            conn.request("GET", "/nope", headers=h)
            r = conn.getresponse()
            self.assertEqual((r.status, r.read()), (404, b"Not found"))
        conn.close()

    def test_engine_request_paths_are_unknown(self):
        self.assertError(self.emu.request("GET", "/api/v3/engine/anything"), 404, '{error: "not found"}')
        self.assertError(self.emu.request("GET", "/api/v3/engine/anything", token=None), 401, UNAUTH)


# ---------------------------------------------------------------------------------------------
# Startup options: --load with sample data, --data-dir persistence, command-line faults, speed
# ---------------------------------------------------------------------------------------------

class TestStartup(unittest.TestCase):
    def start(self, *args):
        emu = Emulator(*args)
        self.addCleanup(emu.stop)
        return emu

    def test_sample_data_loads_and_is_deterministic(self):
        out1 = subprocess.run([sys.executable, SAMPLE], stdout=subprocess.PIPE, check=True).stdout
        out2 = subprocess.run([sys.executable, SAMPLE], stdout=subprocess.PIPE, check=True).stdout
        self.assertEqual(out1, out2)
        lines = out1.decode().splitlines()
        self.assertTrue(300 <= len(lines) <= 5000, len(lines))
        with tempfile.NamedTemporaryFile("wb", suffix=".lp", delete=False) as f:
            f.write(out1)
        self.addCleanup(os.unlink, f.name)
        emu = self.start("--token", TOKEN, "--load", f.name, "--database", "demo")
        self.assertEqual(emu.rows("demo", "SELECT count(*) AS n FROM cpu"), [{"n": len(lines)}])
        cols = {r["column_name"]: r["data_type"] for r in emu.rows(
            "demo", "SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = 'iox' "
                    "AND table_name = 'cpu'")}
        self.assertEqual(cols, {"dc": "Dictionary(Int32, Utf8)", "host": "Dictionary(Int32, Utf8)",
                                "region": "Dictionary(Int32, Utf8)", "procs": "Int64", "state": "Utf8",
                                "throttled": "Boolean", "time": "Timestamp(ns)", "usage_idle": "Float64",
                                "usage_system": "Float64", "usage_user": "Float64"})
        span = emu.rows("demo", "SELECT min(time) AS a, max(time) AS b FROM cpu")[0]
        self.assertEqual(span["a"][:10], "2026-01-01")
        self.assertGreaterEqual(span["b"][:10], "2026-01-03")

    def test_data_dir_keeps_data_across_restarts(self):
        d = tempfile.mkdtemp(prefix="emu-data-")
        self.addCleanup(shutil.rmtree, d, True)
        emu = Emulator("--token", TOKEN, "--data-dir", d)
        try:
            self.assertEqual(emu.write("keep", "m,t=a v=1,u=18446744073709551615u 1", "precision=s")[0], 204)
        finally:
            emu.stop()
        emu = self.start("--token", TOKEN, "--data-dir", d, "--compat", "3.8")
        self.assertEqual(emu.rows("keep", "SELECT * FROM m"), [{"t": "a", "time": "1970-01-01T00:00:01",
                                                               "u": 18446744073709551615, "v": 1.0}])
        self.assertEqual(emu.write("keep", "m v=2i 2", "precision=s")[0], 400, "column types survive too")
        self.assertEqual(emu.rows("keep", "SELECT data_type FROM information_schema.columns WHERE column_name = 'time'"),
                         [{"data_type": "Timestamp(Nanosecond, None)"}])

    def test_command_line_faults_file_limit_and_error_style(self):
        emu = self.start("--token", TOKEN, "--fault", '{"status": 502, "path": "/ping"}', "--file-limit", "1",
                         "--error-style", "500", "--type-style", "nanosecond")
        self.assertEqual(emu.request("GET", "/ping")[0], 502)
        self.assertEqual(emu.request("GET", "/ping")[0], 200)
        self.assertEqual(emu.write("c", "m v=1 1\nm v=2 100000", "precision=s")[0], 204)
        r = emu.sql("c", "SELECT * FROM m")
        self.assertEqual(r[0], 500)
        self.assertTrue(r[2].startswith(b"query error: error while planning query: External error: Query would scan 1 "))
        self.assertEqual(emu.admin("/_emulator/config")[1]["type_style"], "nanosecond")

    def test_binds_loopback_only_and_writes_the_port_file(self):
        emu = self.start("--token", TOKEN)
        s = socket.create_connection(("127.0.0.1", emu.port), timeout=5)
        s.close()
        names = socket.gethostbyname_ex(socket.gethostname())[2] if hasattr(socket, "gethostbyname_ex") else []
        for ip in names:
            if not ip.startswith("127."):
                with self.assertRaises(OSError):
                    socket.create_connection((ip, emu.port), timeout=2).close()

    def test_jsonl_serving_many_rows(self):
        emu = self.start("--no-auth")
        n = 100000
        batch = 25000
        for start in range(0, n, batch):
            lp = "\n".join("cpu,host=h%d,region=r%d usage_user=%d.5,usage_system=0.25,count=%di,ok=true %d"
                           % (i % 10, i % 3, i % 100, i, i) for i in range(start, start + batch))
            self.assertEqual(emu.write("perf", lp, "precision=s")[0], 204)
        emu.admin("/_emulator/config", {"file_limit": 1000000})
        t = time.time()
        status, _, body = emu.sql("perf", "SELECT * FROM cpu ORDER BY time")
        elapsed = time.time() - t
        self.assertEqual((status, body.count(b"\n")), (200, n))
        rate = n / elapsed
        # Reported, not asserted: a timed assertion fails on a loaded machine (speed is measured by
        # bench/, where the emulator's own rate is printed next to ours).
        sys.stderr.write("\n  jsonl: %d rows in %.2fs = %.0f rows/s\n" % (n, elapsed, rate))


if __name__ == "__main__":
    unittest.main()
