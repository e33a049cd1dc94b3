"""An HTTP proxy in front of an S3 server (moto) that injects the faults moto cannot: an error
status with S3's XML error body (500 InternalError, 503 SlowDown...), a connection dropped in the
middle of a request body (the client is still sending a part), and a connection dropped after the
request was forwarded and applied (the reply is lost).

Requests are forwarded byte for byte (method, raw path and query, every header including Host), so
the client's SigV4 signatures stay valid and moto keeps checking them. Used in-process:

    with S3FaultProxy(moto_endpoint) as proxy:
        proxy.add(op="UploadPart", status=503, code="SlowDown", count=-1)
        ... point s3.endpoint at proxy.endpoint ...
        proxy.hits("UploadPart")   # how many requests of that kind arrived

A rule matches requests of one S3 operation (PutObject, UploadPart, CreateMultipartUpload,
CompleteMultipartUpload, AbortMultipartUpload, GetObject, HeadObject, DeleteObject, ListObjects)
whose key ends with `suffix` (when given); it lets `skip` matches pass, then acts on the next
`count` ones (-1: every one until cleared). Actions: status (the default), drop_mid_body
(after `after_bytes` of the body), drop_after_forward.
"""

import http.client
import socket
import struct
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlsplit

HOP_BY_HOP = {"connection", "keep-alive", "proxy-connection", "transfer-encoding", "te", "trailer",
              "upgrade", "expect"}


def operation(method, path):
    """The S3 operation of a path-style request."""
    u = urlsplit(path)
    q = parse_qs(u.query, keep_blank_values=True)
    parts = u.path.lstrip("/").split("/", 1)
    has_key = len(parts) > 1 and parts[1] != ""
    if method == "PUT":
        return "UploadPart" if "uploadId" in q else ("PutObject" if has_key else "CreateBucket")
    if method == "POST":
        if "uploads" in q:
            return "CreateMultipartUpload"
        return "CompleteMultipartUpload" if "uploadId" in q else "Post"
    if method == "DELETE":
        return "AbortMultipartUpload" if "uploadId" in q else "DeleteObject"
    if method == "HEAD":
        return "HeadObject"
    return "GetObject" if has_key else "ListObjects"


def error_xml(code, message):
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>%s</Code><Message>%s</Message>'
            '<RequestId>i2i-fault-proxy</RequestId></Error>' % (code, message)).encode()


class S3FaultProxy:
    def __init__(self, upstream):
        u = urlsplit(upstream)
        self.up_host, self.up_port = u.hostname, u.port
        self.lock = threading.Lock()
        self.rules = []
        self.seen = {}      # operation -> requests that arrived
        self.seen_keys = {}  # (operation, key) -> requests that arrived
        self.injected = []  # (operation, key, action) of every fault acted out

    # ------------------------------------------------------------------ rules

    def add(self, op, action="status", status=503, code="SlowDown", message=None, suffix=None, skip=0,
            count=1, after_bytes=1 << 20):
        with self.lock:
            self.rules.append({"op": op, "action": action, "status": status, "code": code,
                               "message": message or {"SlowDown": "Please reduce your request rate.",
                                                      "InternalError": "We encountered an internal error. "
                                                                       "Please try again."}.get(code, code),
                               "suffix": suffix, "skip": skip, "count": count, "after_bytes": after_bytes})

    def clear(self):
        with self.lock:
            self.rules = []
            self.injected = []
            self.seen = {}
            self.seen_keys = {}

    def hits(self, op, key=None):
        """Requests of operation op (on key, when given) that arrived since the last clear()."""
        with self.lock:
            return self.seen.get(op, 0) if key is None else self.seen_keys.get((op, key), 0)

    def _match(self, method, path):
        op = operation(method, path)
        key = unquote(urlsplit(path).path)
        with self.lock:
            self.seen[op] = self.seen.get(op, 0) + 1
            self.seen_keys[(op, key)] = self.seen_keys.get((op, key), 0) + 1
            for r in self.rules:
                if r["op"] != op or (r["suffix"] and not key.endswith(r["suffix"])) or r["count"] == 0:
                    continue
                if r["skip"] > 0:
                    r["skip"] -= 1
                    return op, key, None
                if r["count"] > 0:
                    r["count"] -= 1
                self.injected.append((op, key, r["action"] if r["action"] != "status" else r["status"]))
                return op, key, dict(r)
        return op, key, None

    # ------------------------------------------------------------------ server

    def __enter__(self):
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def _drop(self):
                # RST, not FIN: the client sees its connection reset, as when a load balancer or
                # the network gives up mid-request
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                self.close_connection = True

            def _any(self):
                length = int(self.headers.get("Content-Length") or 0)
                _, _, rule = proxy._match(self.command, self.path)
                if rule and rule["action"] == "drop_mid_body":
                    self.rfile.read(min(length, rule["after_bytes"]))
                    return self._drop()
                body = self.rfile.read(length) if length else b""
                if rule and rule["action"] == "status":
                    data = error_xml(rule["code"], rule["message"])
                    self.send_response_only(rule["status"])
                    self.send_header("Content-Type", "application/xml")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                    return
                conn = http.client.HTTPConnection(proxy.up_host, proxy.up_port, timeout=120)
                try:
                    conn.putrequest(self.command, self.path, skip_host=True, skip_accept_encoding=True)
                    for k, v in self.headers.items():
                        if k.lower() not in HOP_BY_HOP:
                            conn.putheader(k, v)
                    conn.endheaders(body if length else None)
                    resp = conn.getresponse()
                    data = resp.read()
                    headers = resp.getheaders()
                finally:
                    conn.close()
                if rule and rule["action"] == "drop_after_forward":
                    return self._drop()
                self.send_response_only(resp.status, resp.reason)
                for k, v in headers:
                    if k.lower() in HOP_BY_HOP or (k.lower() == "content-length" and self.command != "HEAD"):
                        continue
                    self.send_header(k, v)
                if self.command != "HEAD":
                    self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(data)

            do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = _any

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.endpoint = "http://127.0.0.1:%d" % self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
        return False
