"""A stand-in Iceberg REST catalog for tests (Python stdlib only), on a random loopback port.

`python rest_standin.py [--token T] [--oauth ID:SECRET] [--token-ttl S] [--sigv4 A:S:R[:T]]
[--warehouse-name NAME] [--namespace-separator SEP] COMMAND ...`
starts the server, runs COMMAND with I2I_TEST_REST_URI, I2I_TEST_REST_WAREHOUSE (a fresh local
directory) and I2I_TEST_REST_TOKEN / I2I_TEST_REST_CREDENTIAL / I2I_TEST_REST_SIGV4 in its environment, and exits with
COMMAND's status. Importable too: `with RestStandin(...) as rest:` (rest.uri, rest.warehouse).

What it implements of the REST catalog OpenAPI contract (the parts a writer needs):
  GET  /v1/config?warehouse=W         defaults {} and overrides {"prefix": "standin"}; with
                                      --warehouse-name N the query must name N (404
                                      NoSuchWarehouseException otherwise), the prefix is
                                      "wh-7c1e-N", tables get locations in the server's own
                                      warehouse, and I2I_TEST_REST_WAREHOUSE is N
  POST /v1/oauth/tokens               client_credentials grant (form body), tokens expire
  GET/POST /v1/{prefix}/namespaces    list / create (409 AlreadyExistsException)
  GET/HEAD/DELETE /v1/{prefix}/namespaces/{ns}   (levels joined by %1F; with
       --namespace-separator SEP, URL-encoded like "%2E", by SEP only, which /v1/config then
       announces in overrides as "namespace-separator", as Iceberg's own REST server does)
  POST /v1/{prefix}/namespaces/{ns}/tables       create: the server builds and writes metadata
  GET/HEAD/DELETE /v1/{prefix}/namespaces/{ns}/tables/{t}
  POST /v1/{prefix}/namespaces/{ns}/tables/{t}   commit: requirements checked against the current
       metadata (409 CommitFailedException when one fails), updates applied by the server, which
       writes <location>/metadata/NNNNN-<uuid>.metadata.json itself and swaps it in.
Errors are ErrorModel bodies: {"error": {"message", "type", "code"}}.

Auth: with --token every /v1 request but /v1/oauth/tokens needs "Authorization: Bearer T"; with
--oauth the token endpoint issues tokens (living --token-ttl seconds) for that client id/secret and
every other request needs a live one (401 NotAuthorizedException otherwise). With
--sigv4 ACCESS:SECRET:REGION[:SESSION_TOKEN] every /v1 request must carry an AWS SigV4 signature
for service "execute-api" made with those keys, recomputed here as AWS does for a non-S3 service
(the path URI-encoded once more, the query decoded and re-encoded, sorted), covering host,
x-amz-date, x-amz-content-sha256 (which must be the body's SHA-256), Content-Type when there is a
body, and x-amz-security-token when a session token is given; anything else is refused with 403
(SignatureDoesNotMatch / IncompleteSignature, as API Gateway answers).

Fault knobs (test-only endpoint, no auth): POST /_standin/faults with
{"commit": ["409", "500-after", "503", "timeout-after"]} queues one fault per coming commit:
  409           refuse with CommitFailedException without applying;
  500-after     apply and publish the commit, then answer 500 (the client cannot know it landed);
  timeout-after apply and publish, then hold the reply for 30 s (the client times out);
  503           refuse with 503 without applying.
and {"create": [...]} one fault per coming create-table request: 500-after and timeout-after
create the table and then fail the reply the same way; 503 refuses without creating.
GET /_standin/stats gives counters (commits applied, requests per kind, tokens issued)."""
import copy
import hashlib
import hmac
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PREFIX = "standin"


class RestError(Exception):
    def __init__(self, code, typ, message):
        super().__init__(message)
        self.code, self.typ, self.message = code, typ, message


def now_ms():
    return int(time.time() * 1000)


def max_field_id(t):
    """Highest field id in a schema/struct type (nested types included)."""
    best = 0
    if isinstance(t, dict):
        for f in t.get("fields", []):
            best = max(best, f.get("id", 0), max_field_id(f.get("type")))
        for k in ("element-id", "key-id", "value-id"):
            if k in t:
                best = max(best, t[k])
        for k in ("element", "key", "value"):
            if k in t:
                best = max(best, max_field_id(t[k]))
    return best


def local_path(location):
    if location.startswith("file://"):
        return urllib.parse.unquote(urllib.parse.urlparse(location).path)
    if location.startswith("/"):
        return location
    raise RestError(400, "BadRequestException", "only local locations are supported: %s" % location)


def sigv4_check(sig, method, raw_path, headers, body):
    """Verify an AWS SigV4 Authorization header; raise RestError(403) when it does not hold.
    sig = (access key id, secret, region, session token or None)."""
    def refuse(typ, msg):
        raise RestError(403, typ, msg)
    akid, secret, region, session = sig
    auth = headers.get("Authorization") or ""
    if not auth.startswith("AWS4-HMAC-SHA256 "):
        refuse("IncompleteSignatureException", "Missing Authentication Token (no SigV4 signature)")
    fields = dict(p.strip().split("=", 1) for p in auth[len("AWS4-HMAC-SHA256 "):].split(",") if "=" in p)
    try:
        cred = fields["Credential"].split("/")
        signed = fields["SignedHeaders"].split(";")
        got = fields["Signature"]
    except KeyError:
        refuse("IncompleteSignatureException", "Authorization header lacks Credential, SignedHeaders or Signature")
    if len(cred) != 5 or cred[4] != "aws4_request":
        refuse("IncompleteSignatureException", "malformed Credential scope")
    if cred[0] != akid:
        refuse("UnrecognizedClientException", "The security token included in the request is invalid (unknown key id)")
    if cred[2] != region or cred[3] != "execute-api":
        refuse("SignatureDoesNotMatch", "Credential should be scoped to a valid region/service: got %s/%s, "
               "want %s/execute-api" % (cred[2], cred[3], region))
    amz_date = headers.get("x-amz-date") or ""
    if amz_date[:8] != cred[1]:
        refuse("SignatureDoesNotMatch", "x-amz-date does not match the credential scope's date")
    need = ["host", "x-amz-date", "x-amz-content-sha256"]
    if body:
        need.append("content-type")
    if session:
        need.append("x-amz-security-token")
        if headers.get("x-amz-security-token") != session:
            refuse("UnrecognizedClientException", "The security token included in the request is invalid")
    missing = [h for h in need if h not in signed]
    if missing:
        refuse("IncompleteSignatureException", "headers not signed: %s" % ", ".join(missing))
    payload = hashlib.sha256(body or b"").hexdigest()
    if headers.get("x-amz-content-sha256") != payload:
        refuse("SignatureDoesNotMatch", "x-amz-content-sha256 is not the body's SHA-256")
    path, _, query = raw_path.partition("?")
    # AWS rules for every service but S3: the path as received is URI-encoded once more
    cpath = urllib.parse.quote(path or "/", safe="/~")
    pairs = []
    for part in query.split("&") if query else []:
        k, _, v = part.partition("=")
        pairs.append((urllib.parse.quote(urllib.parse.unquote(k), safe="-_.~"),
                      urllib.parse.quote(urllib.parse.unquote(v), safe="-_.~")))
    cquery = "&".join("%s=%s" % kv for kv in sorted(pairs))
    chead = "".join("%s:%s\n" % (h, " ".join((headers.get(h) or "").split())) for h in signed)
    creq = "\n".join([method, cpath, cquery, chead, ";".join(signed), payload])
    scope = "/".join(cred[1:])
    sts = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope, hashlib.sha256(creq.encode()).hexdigest()])
    key = ("AWS4" + secret).encode()
    for part in cred[1:]:
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    want = hmac.new(key, sts.encode(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(want, got):
        refuse("SignatureDoesNotMatch", "The request signature we calculated does not match the "
               "signature you provided. Check your AWS Secret Access Key and signing method.")


class State:
    def __init__(self, warehouse, token=None, oauth=None, token_ttl=3600, sigv4=None,
                 warehouse_name=None, ns_sep=None):
        self.sigv4 = sigv4  # (access key id, secret, region, session token or None)
        # a named warehouse (Polaris, Lakekeeper): /v1/config needs ?warehouse=<name> and answers
        # a prefix of its own that every other path must carry
        self.warehouse_name = warehouse_name
        self.vended = None  # {"config": {...}, "storage-credentials": [...]} handed out on request
        self.s3_client = None  # a boto3 S3 client for metadata under s3:// (importers give one)
        self.prefix = "wh-7c1e-%s" % warehouse_name if warehouse_name else PREFIX
        self.lock = threading.Lock()
        self.ns_sep = ns_sep  # URL-encoded, e.g. "%2E"; None = the default %1F
        self.warehouse = warehouse
        self.static_token = token
        self.oauth = oauth  # (id, secret)
        self.token_ttl = token_ttl
        self.tokens = {}  # token -> expiry (monotonic)
        self.namespaces = {}  # tuple -> properties
        self.tables = {}  # (ns tuple, name) -> (metadata location, metadata)
        self.faults = []
        self.create_faults = []
        self.stats = {"commits_applied": 0, "commit_requests": 0, "tokens_issued": 0,
                      "rejected_auth": 0, "creates": 0, "loads": 0, "config": 0}

    # ------------------------------------------------------------ metadata files
    def write_metadata(self, md, previous):
        loc = md["location"].rstrip("/")
        meta_dir = md.get("properties", {}).get("write.metadata.path") or loc + "/metadata"
        version = 0
        if previous:
            base = previous.rsplit("/", 1)[-1]
            try:
                version = int(base.split("-", 1)[0]) + 1
            except ValueError:
                version = 0
        location = "%s/%05d-%s.metadata.json" % (meta_dir, version, uuid.uuid4())
        if location.startswith("s3://") and self.s3_client is not None:
            bucket, _, key = location[5:].partition("/")
            self.s3_client.put_object(Bucket=bucket, Key=key, Body=json.dumps(md).encode())
            return location
        path = local_path(location)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        tmp = path + ".tmp"
        with open(tmp, "w") as f:
            json.dump(md, f)
        os.rename(tmp, path)
        return location

    # ------------------------------------------------------------ create
    def create_table(self, ns, req):
        name = req.get("name")
        if not name or "schema" not in req:
            raise RestError(400, "BadRequestException", "create needs name and schema")
        if ns not in self.namespaces:
            raise RestError(404, "NoSuchNamespaceException", "Namespace does not exist: %s" % ".".join(ns))
        if (ns, name) in self.tables:
            raise RestError(409, "AlreadyExistsException", "Table already exists: %s.%s" % (".".join(ns), name))
        props = dict(req.get("properties") or {})
        fv = int(props.pop("format-version", 2))
        location = req.get("location") or "%s/%s/%s" % (self.warehouse.rstrip("/"), "/".join(ns), name)
        schema = copy.deepcopy(req["schema"])
        schema["schema-id"] = 0
        schema.setdefault("type", "struct")
        spec = copy.deepcopy(req.get("partition-spec") or {"fields": []})
        spec["spec-id"] = 0
        pid = 999
        for f in spec["fields"]:
            if "field-id" not in f:
                pid += 1
                f["field-id"] = pid
            pid = max(pid, f["field-id"])
        order = copy.deepcopy(req.get("write-order") or {"order-id": 0, "fields": []})
        if not order.get("fields"):
            order["order-id"] = 0
        md = {
            "format-version": fv, "table-uuid": str(uuid.uuid4()), "location": location.rstrip("/"),
            "last-sequence-number": 0, "last-updated-ms": now_ms(),
            "last-column-id": max_field_id(schema), "current-schema-id": 0, "schemas": [schema],
            "default-spec-id": 0, "partition-specs": [spec], "last-partition-id": pid,
            "default-sort-order-id": order["order-id"], "sort-orders": [order],
            "properties": props, "current-snapshot-id": -1, "refs": {}, "snapshots": [],
            "snapshot-log": [], "metadata-log": [], "statistics": [], "partition-statistics": [],
        }
        if fv >= 3:
            md["next-row-id"] = 0
        loc = self.write_metadata(md, None)
        self.tables[(ns, name)] = (loc, md)
        self.stats["creates"] += 1
        return {"metadata-location": loc, "metadata": md, "config": {}}

    # ------------------------------------------------------------ commit
    def check_requirements(self, md, reqs):
        def fail(msg):
            raise RestError(409, "CommitFailedException", "Requirement failed: " + msg)
        for r in reqs:
            t = r.get("type")
            if t == "assert-create":
                fail("table already exists")
            elif t == "assert-table-uuid":
                if r.get("uuid") != md["table-uuid"]:
                    fail("UUID does not match: expected %s != %s" % (md["table-uuid"], r.get("uuid")))
            elif t == "assert-ref-snapshot-id":
                ref = md["refs"].get(r["ref"])
                want = r.get("snapshot-id")
                if want is None:
                    if ref is not None:
                        fail("branch or tag %s was created concurrently" % r["ref"])
                elif ref is None or ref["snapshot-id"] != want:
                    fail("branch %s has changed: expected id %s != %s"
                         % (r["ref"], want, ref and ref["snapshot-id"]))
            elif t == "assert-current-schema-id":
                if r["current-schema-id"] != md["current-schema-id"]:
                    fail("current schema changed: expected id %s != %s"
                         % (r["current-schema-id"], md["current-schema-id"]))
            elif t == "assert-last-assigned-field-id":
                if r["last-assigned-field-id"] != md["last-column-id"]:
                    fail("last assigned field id changed")
            elif t == "assert-last-assigned-partition-id":
                if r["last-assigned-partition-id"] != md["last-partition-id"]:
                    fail("last assigned partition id changed")
            elif t == "assert-default-spec-id":
                if r["default-spec-id"] != md["default-spec-id"]:
                    fail("default spec changed")
            elif t == "assert-default-sort-order-id":
                if r["default-sort-order-id"] != md["default-sort-order-id"]:
                    fail("default sort order changed")
            else:
                raise RestError(400, "BadRequestException", "unknown requirement type %r" % t)

    def apply_updates(self, md, updates):
        last_schema = None
        for u in updates:
            a = u.get("action")
            if a == "assign-uuid":
                md["table-uuid"] = u["uuid"]
            elif a == "upgrade-format-version":
                md["format-version"] = u["format-version"]
            elif a == "add-schema":
                s = copy.deepcopy(u["schema"])
                ids = [x["schema-id"] for x in md["schemas"]]
                same = [x for x in md["schemas"]
                        if x.get("fields") == s.get("fields")
                        and x.get("identifier-field-ids", []) == s.get("identifier-field-ids", [])]
                if same:
                    last_schema = same[0]["schema-id"]
                    continue
                s["schema-id"] = max(ids) + 1 if ids else 0
                md["schemas"].append(s)
                md["last-column-id"] = max(md["last-column-id"], u.get("last-column-id", 0),
                                           max_field_id(s))
                last_schema = s["schema-id"]
            elif a == "set-current-schema":
                sid = u["schema-id"]
                if sid == -1:
                    if last_schema is None:
                        raise RestError(400, "BadRequestException", "no schema added in this commit")
                    sid = last_schema
                if sid not in [x["schema-id"] for x in md["schemas"]]:
                    raise RestError(400, "BadRequestException", "unknown schema id %s" % sid)
                md["current-schema-id"] = sid
            elif a == "add-snapshot":
                snap = copy.deepcopy(u["snapshot"])
                if any(s["snapshot-id"] == snap["snapshot-id"] for s in md["snapshots"]):
                    raise RestError(400, "BadRequestException",
                                    "snapshot %s already exists" % snap["snapshot-id"])
                if md["format-version"] >= 2 and snap["sequence-number"] <= md["last-sequence-number"] \
                        and snap.get("parent-snapshot-id") is not None:
                    raise RestError(400, "BadRequestException", "sequence number not increasing")
                md["snapshots"].append(snap)
                md["last-sequence-number"] = max(md["last-sequence-number"], snap.get("sequence-number", 0))
                if md["format-version"] >= 3:
                    if snap.get("first-row-id") != md.get("next-row-id", 0):
                        raise RestError(400, "BadRequestException", "first-row-id does not match next-row-id")
                    md["next-row-id"] = md.get("next-row-id", 0) + snap.get("added-rows", 0)
            elif a == "set-snapshot-ref":
                sid = u["snapshot-id"]
                snap = [s for s in md["snapshots"] if s["snapshot-id"] == sid]
                if not snap:
                    raise RestError(400, "BadRequestException", "unknown snapshot %s" % sid)
                ref = {"snapshot-id": sid, "type": u.get("type", "branch")}
                md["refs"][u["ref-name"]] = ref
                if u["ref-name"] == "main":
                    md["current-snapshot-id"] = sid
                    md["snapshot-log"].append({"snapshot-id": sid, "timestamp-ms": snap[0]["timestamp-ms"]})
            elif a == "set-properties":
                md["properties"].update(u["updates"])
            elif a == "remove-properties":
                for k in u["removals"]:
                    md["properties"].pop(k, None)
            elif a == "set-location":
                md["location"] = u["location"]
            else:
                raise RestError(400, "BadRequestException", "unsupported update action %r" % a)

    def commit(self, ns, name, req):
        """Returns (response, fault applied after publishing or None)."""
        self.stats["commit_requests"] += 1
        fault = self.faults.pop(0) if self.faults else None
        if (ns, name) not in self.tables:
            raise RestError(404, "NoSuchTableException", "Table does not exist: %s.%s" % (".".join(ns), name))
        if fault == "409":
            raise RestError(409, "CommitFailedException", "Requirement failed: injected conflict")
        if fault == "503":
            raise RestError(503, "ServiceUnavailableException", "injected: slow down")
        loc, md = self.tables[(ns, name)]
        self.check_requirements(md, req.get("requirements") or [])
        new = copy.deepcopy(md)
        self.apply_updates(new, req.get("updates") or [])
        new["last-updated-ms"] = max(now_ms(), md["last-updated-ms"])
        new["metadata-log"].append({"metadata-file": loc, "timestamp-ms": md["last-updated-ms"]})
        new_loc = self.write_metadata(new, loc)
        self.tables[(ns, name)] = (new_loc, new)
        self.stats["commits_applied"] += 1
        return {"metadata-location": new_loc, "metadata": new}, fault


def parse_ns(seg, sep=None):
    return tuple(urllib.parse.unquote(seg).split(urllib.parse.unquote(sep) if sep else "\x1f"))


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "RestStandin/1"

    def log_message(self, fmt, *args):  # quiet
        pass

    @property
    def st(self):
        return self.server.state

    def reply(self, code, body=None):
        data = b"" if body is None else json.dumps(body).encode()
        self.send_response(code)
        if body is not None:
            self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def error(self, e):
        self.reply(e.code, {"error": {"message": e.message, "type": e.typ, "code": e.code}})

    def body(self):
        return self._raw

    def json_body(self):
        raw = self.body()
        try:
            return json.loads(raw or b"{}")
        except ValueError:
            raise RestError(400, "BadRequestException", "malformed JSON body")

    def check_auth(self):
        st = self.st
        if st.sigv4:
            try:
                return sigv4_check(st.sigv4, self.command, self.path, self.headers, self._raw)
            except RestError:
                st.stats["rejected_auth"] += 1
                raise
        if not st.static_token and not st.oauth:
            return
        h = self.headers.get("Authorization") or ""
        tok = h[7:] if h.startswith("Bearer ") else None
        if st.static_token and tok == st.static_token:
            return
        if tok and tok in st.tokens and st.tokens[tok] > time.monotonic():
            return
        st.stats["rejected_auth"] += 1
        raise RestError(401, "NotAuthorizedException",
                        "Not authorized: %s" % ("token expired" if tok in st.tokens else "missing or bad token"))

    def do_GET(self):
        self.dispatch("GET")

    def do_HEAD(self):
        self.dispatch("HEAD")

    def do_POST(self):
        self.dispatch("POST")

    def do_DELETE(self):
        self.dispatch("DELETE")

    def dispatch(self, method):
        n = int(self.headers.get("Content-Length") or 0)
        self._raw = self.rfile.read(n) if n else b""  # always consumed: the connection stays usable
        url = urllib.parse.urlsplit(self.path)
        parts = [p for p in url.path.split("/") if p != ""]
        try:
            if parts[:1] == ["_standin"]:
                return self.control(method, parts[1:])
            if parts[:1] != ["v1"]:
                raise RestError(404, "NoSuchEndpointException", "no such endpoint %s" % url.path)
            parts = parts[1:]
            if parts == ["oauth", "tokens"] and method == "POST":
                return self.oauth_token()
            with self.st.lock:
                self.check_auth()
                if parts == ["config"] and method == "GET":
                    self.st.stats["config"] += 1
                    if self.st.warehouse_name:
                        asked = urllib.parse.parse_qs(url.query).get("warehouse", [None])[0]
                        if asked != self.st.warehouse_name:
                            raise RestError(404, "NoSuchWarehouseException",
                                            "Warehouse %r not found (give ?warehouse=<name>)" % asked)
                    overrides = {"prefix": self.st.prefix}
                    if self.st.ns_sep:
                        overrides["namespace-separator"] = self.st.ns_sep
                    return self.reply(200, {"defaults": {}, "overrides": overrides})
                if parts[:1] != [self.st.prefix]:
                    raise RestError(404, "NoSuchEndpointException", "no such endpoint %s" % url.path)
                parts = parts[1:]
                result = self.route(method, parts)
            if result is None:
                return
            code, body, fault = result
            if fault == "500-after":
                return self.error(RestError(500, "ServerErrorException", "injected: failed after applying"))
            if fault == "timeout-after":
                time.sleep(30)
                return
            self.reply(code, body)
        except RestError as e:
            self.error(e)

    def route(self, method, parts):
        st = self.st
        if parts == ["namespaces"]:
            if method == "GET":
                return 200, {"namespaces": [list(n) for n in sorted(st.namespaces)]}, None
            if method == "POST":
                req = self.json_body()
                ns = tuple(req.get("namespace") or [])
                if not ns:
                    raise RestError(400, "BadRequestException", "empty namespace")
                if ns in st.namespaces:
                    raise RestError(409, "AlreadyExistsException", "Namespace already exists: %s" % ".".join(ns))
                st.namespaces[ns] = dict(req.get("properties") or {})
                return 200, {"namespace": list(ns), "properties": st.namespaces[ns]}, None
        if len(parts) == 2 and parts[0] == "namespaces":
            ns = parse_ns(parts[1], self.st.ns_sep)
            if ns not in st.namespaces:
                raise RestError(404, "NoSuchNamespaceException", "Namespace does not exist: %s" % ".".join(ns))
            if method in ("GET", "HEAD"):
                return (200, {"namespace": list(ns), "properties": st.namespaces[ns]}, None) \
                    if method == "GET" else (204, None, None)
            if method == "DELETE":
                del st.namespaces[ns]
                return 204, None, None
        if len(parts) == 3 and parts[0] == "namespaces" and parts[2] == "tables":
            ns = parse_ns(parts[1], self.st.ns_sep)
            if method == "POST":
                st.stats["create_requests"] = st.stats.get("create_requests", 0) + 1
                fault = st.create_faults.pop(0) if st.create_faults else None
                if fault == "503":
                    raise RestError(503, "ServiceUnavailableException", "injected: create refused")
                return 200, self.vend(st.create_table(ns, self.json_body())), fault
            if method == "GET":
                if ns not in st.namespaces:
                    raise RestError(404, "NoSuchNamespaceException", "Namespace does not exist")
                return 200, {"identifiers": [{"namespace": list(n), "name": t}
                                             for (n, t) in sorted(st.tables) if n == ns]}, None
        if len(parts) == 4 and parts[0] == "namespaces" and parts[2] == "tables":
            ns, name = parse_ns(parts[1], self.st.ns_sep), urllib.parse.unquote(parts[3])
            key = (ns, name)
            if method in ("GET", "HEAD"):
                if key not in st.tables:
                    raise RestError(404, "NoSuchTableException", "Table does not exist: %s.%s" % (".".join(ns), name))
                st.stats["loads"] += 1
                loc, md = st.tables[key]
                return (200, self.vend({"metadata-location": loc, "metadata": md, "config": {}}), None) \
                    if method == "GET" else (204, None, None)
            if method == "POST":
                body, fault = st.commit(ns, name, self.json_body())
                return 200, body, fault
            if method == "DELETE":
                if key not in st.tables:
                    raise RestError(404, "NoSuchTableException", "Table does not exist")
                del st.tables[key]
                return 204, None, None
        raise RestError(404 if method in ("GET", "HEAD") else 405, "NoSuchEndpointException",
                        "no such endpoint %s %s" % (method, "/".join(parts)))

    def vend(self, result):
        """A LoadTableResult with the vended config and storage credentials, when the client
        asked for them with X-Iceberg-Access-Delegation: vended-credentials (as Polaris does)."""
        st = self.st
        asked = "vended-credentials" in (self.headers.get("X-Iceberg-Access-Delegation") or "")
        if asked:
            st.stats["delegation_asked"] = st.stats.get("delegation_asked", 0) + 1
        if st.vended and asked:
            result["config"] = dict(st.vended.get("config") or {})
            if st.vended.get("storage-credentials"):
                result["storage-credentials"] = copy.deepcopy(st.vended["storage-credentials"])
            st.stats["vended"] = st.stats.get("vended", 0) + 1
        return result

    def oauth_token(self):
        st = self.st
        form = urllib.parse.parse_qs(self.body().decode())
        get = lambda k: (form.get(k) or [None])[0]  # noqa: E731
        if get("grant_type") != "client_credentials":
            raise RestError(400, "unsupported_grant_type", "grant_type must be client_credentials")
        if not st.oauth or (get("client_id"), get("client_secret")) != st.oauth:
            return self.reply(401, {"error": "invalid_client", "error_description": "bad client credentials"})
        tok = "tok-" + uuid.uuid4().hex
        with st.lock:
            st.tokens[tok] = time.monotonic() + st.token_ttl
            st.stats["tokens_issued"] += 1
            st.stats["last_scope"] = get("scope")
        self.reply(200, {"access_token": tok, "token_type": "bearer", "expires_in": st.token_ttl,
                         "issued_token_type": "urn:ietf:params:oauth:token-type:access_token"})

    def control(self, method, parts):
        st = self.st
        with st.lock:
            if parts == ["faults"] and method == "POST":
                body = self.json_body()
                st.faults.extend(body.get("commit", []))
                st.create_faults.extend(body.get("create", []))
                return self.reply(200, {"pending": st.faults, "pending_create": st.create_faults})
            if parts == ["stats"] and method == "GET":
                return self.reply(200, dict(st.stats, pending=list(st.faults),
                                            pending_create=list(st.create_faults)))
        raise RestError(404, "NoSuchEndpointException", "no such control endpoint")


class RestStandin:
    def __init__(self, token=None, oauth=None, token_ttl=3600, warehouse=None, sigv4=None,
                 warehouse_name=None, vended=None, s3_client=None, ns_sep=None):
        self.token, self.oauth, self.token_ttl = token, oauth, token_ttl
        self.warehouse_name = warehouse_name
        self.ns_sep = ns_sep
        # vended: {"config": {...}, "storage-credentials": [{"prefix", "config"}]} for every
        # load/create that asks; s3_client: boto3 client the server writes s3:// metadata with
        # (warehouse may then be an s3:// location)
        self.vended, self.s3_client = vended, s3_client
        self.sigv4 = sigv4  # "ACCESS:SECRET:REGION[:SESSION_TOKEN]"
        self.tmp = None
        self.warehouse = warehouse

    def __enter__(self):
        if not self.warehouse:
            self.tmp = tempfile.mkdtemp(prefix="i2i-rest-")
            self.warehouse = os.path.join(self.tmp, "warehouse")
        remote = "://" in self.warehouse
        if not remote:
            os.makedirs(self.warehouse, exist_ok=True)
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.server.state = State(self.warehouse if remote else "file://" + self.warehouse, self.token,
                                  tuple(self.oauth.split(":", 1)) if self.oauth else None, self.token_ttl,
                                  self._sigv4_tuple(), self.warehouse_name, self.ns_sep)
        self.server.state.vended = self.vended
        self.server.state.s3_client = self.s3_client
        self.uri = "http://127.0.0.1:%d" % self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        return self

    def _sigv4_tuple(self):
        if not self.sigv4:
            return None
        parts = self.sigv4.split(":", 3)
        if len(parts) < 3:
            raise SystemExit("rest_standin: --sigv4 wants ACCESS:SECRET:REGION[:SESSION_TOKEN]")
        return (parts[0], parts[1], parts[2], parts[3] if len(parts) > 3 else None)

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
        if self.tmp:
            shutil.rmtree(self.tmp, ignore_errors=True)

    def inject(self, *faults):
        import urllib.request
        req = urllib.request.Request(self.uri + "/_standin/faults", method="POST",
                                     data=json.dumps({"commit": list(faults)}).encode())
        with urllib.request.urlopen(req) as r:
            return json.load(r)

    def stats(self):
        import urllib.request
        with urllib.request.urlopen(self.uri + "/_standin/stats") as r:
            return json.load(r)


def main(argv):
    token = oauth = sigv4 = warehouse_name = ns_sep = None
    ttl = 3600
    while argv and argv[0].startswith("--"):
        opt = argv.pop(0)
        if opt == "--token":
            token = argv.pop(0)
        elif opt == "--oauth":
            oauth = argv.pop(0)
        elif opt == "--token-ttl":
            ttl = int(argv.pop(0))
        elif opt == "--sigv4":
            sigv4 = argv.pop(0)
        elif opt == "--warehouse-name":
            warehouse_name = argv.pop(0)
        elif opt == "--namespace-separator":
            ns_sep = argv.pop(0)
        else:
            raise SystemExit("rest_standin: unknown option %s" % opt)
    if not argv:
        raise SystemExit(__doc__)
    with RestStandin(token, oauth, ttl, sigv4=sigv4, warehouse_name=warehouse_name, ns_sep=ns_sep) as rest:
        # with a named warehouse the client is given the name, not the location
        env = dict(os.environ, I2I_TEST_REST_URI=rest.uri,
                   I2I_TEST_REST_WAREHOUSE=warehouse_name or rest.warehouse)
        if token:
            env["I2I_TEST_REST_TOKEN"] = token
        if oauth:
            env["I2I_TEST_REST_CREDENTIAL"] = oauth
        if sigv4:
            env["I2I_TEST_REST_SIGV4"] = sigv4
        return subprocess.call(argv, env=env)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
