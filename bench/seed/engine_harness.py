#!/usr/bin/env python3
"""Runs InfluxData's upstream `influxdb_to_iceberg` plugin, unmodified, the way the InfluxDB 3
Processing Engine runs a request trigger, against an InfluxDB 3 HTTP server (here: the emulator).

    engine_harness.py --plugin PATH --url URL --database DB --body-json JSON
                      [--token-file F] [--log FILE] [--result FILE]

What the engine does, and what this stand-in does instead (InfluxDB 3 Core, influxdb3_py_api):

  * A single-file plugin's source is executed in a fresh, empty globals dict, then the entry point
    is looked up in it (`load_plugin_function`). Same here: the file is read from PATH, compiled and
    exec'd in `{}`; nothing is copied or edited.
  * `process_request(influxdb3_local, query_parameters, request_headers, request_body, args)` gets a
    dict of query parameters, a dict of lower-case headers without Authorization, the body as
    bytes, and the trigger arguments (None for a trigger created without any). Same here.
  * The return value becomes the HTTP response (`process_flask_response`): a dict or list is 200
    with `json.dumps(value)`. The harness writes that text to --result.
  * `influxdb3_local.info/warn/error(*args)` join `str()` of every argument with a space. Same here;
    the lines go to --log.
  * `influxdb3_local.query(query, args=None, database=None)` runs the SQL inside the server
    (DataFusion) and turns the Arrow record batches into a list with one dict per row
    (`record_batches_to_py_rows`): every result column is a key, in result order; SQL NULL is None;
    Int64/UInt64 are int, Float64 float, Boolean bool, Utf8 and Dictionary(Int32, Utf8) tags str,
    and Timestamp(ns) the **integer nanoseconds since the epoch**. `args` must map str to str
    (pyo3 extracts a HashMap<String, String>); errors raise a QueryError.
    Here the query goes over HTTP (`POST /api/v3/query_sql`, format jsonl, decoded while it
    streams) and the rows are rebuilt with those types: keys missing from a JSON object (the
    server omits NULLs) become None, in result-column order, and the server's zone-less ISO
    `time` strings become integer ns. The
    result columns and which of them are timestamps come from the SELECT list and the table's
    `information_schema.columns` (`"col"`, `col`, `min(col) AS a`, `max(col) AS a`, `*`); for any
    other SELECT the columns are the JSON keys and no value is converted.

Two things the HTTP route cannot reproduce, neither hit by the benchmark's data: a Float64 NaN or
infinity arrives as JSON null and becomes None (the engine gives float nan/inf), and the server's
parse of the SQL is the emulator's subset of DataFusion's. One accommodation for that subset: the
plugin writes its table name as a single-quoted identifier (`FROM 'machine'`), which DataFusion's
parser (sqlparser `parse_identifier`) accepts as a quoted identifier and the emulator rejects, so
`FROM '<name>'` is sent as `FROM "<name>"` (the same identifier). Each rewrite is counted.

The result file (JSON) has: the response, the final summary the plugin logged, the batches it
logged as failed, seconds spent in process_request and in query() (waiting for the server, HTTP,
JSON decoding, row building: the engine does the last part in Rust from Arrow and no JSON), rows
returned, log line counts, and ru_maxrss. Bench tooling, not product code.
"""
import argparse
import datetime
import http.client
import json
import re
import resource
import sys
import time
import urllib.parse

NS = 1_000_000_000
EPOCH = datetime.date(1970, 1, 1)


class QueryError(Exception):
    """What the engine raises from influxdb3_local.query on a failed query."""


# ------------------------------------------------------------------------------------ SQL shape

def _split_top(text, sep=","):
    """Split at top-level `sep`, outside quotes and parentheses."""
    out, cur, depth, quote, i = [], [], 0, None, 0
    while i < len(text):
        c = text[i]
        if quote:
            cur.append(c)
            if c == quote:
                if i + 1 < len(text) and text[i + 1] == quote:
                    cur.append(text[i + 1])
                    i += 1
                else:
                    quote = None
        elif c in "'\"":
            quote = c
            cur.append(c)
        elif c == "(":
            depth += 1
            cur.append(c)
        elif c == ")":
            depth -= 1
            cur.append(c)
        elif c == sep and depth == 0:
            out.append("".join(cur))
            cur = []
        else:
            cur.append(c)
        i += 1
    out.append("".join(cur))
    return [s.strip() for s in out]


def _find_keyword(sql, word, start=0):
    """Index of keyword `word` at top level (outside quotes and parentheses), or -1."""
    depth, quote, i, n, w = 0, None, start, len(sql), len(word)
    while i < n:
        c = sql[i]
        if quote:
            if c == quote:
                quote = None
        elif c in "'\"":
            quote = c
        elif c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
        elif depth == 0 and sql[i:i + w].upper() == word and \
                (i == 0 or not (sql[i - 1].isalnum() or sql[i - 1] == "_")) and \
                (i + w == n or not (sql[i + w].isalnum() or sql[i + w] == "_")):
            return i
        i += 1
    return -1


_IDENT = r'(?:"(?:[^"]|"")+"|[A-Za-z_][A-Za-z0-9_]*)'
_ITEM_IDENT = re.compile(r"^(%s)$" % _IDENT)
_ITEM_AGG = re.compile(r"^(min|max)\s*\(\s*(%s)\s*\)\s+(?:as\s+)?(%s)$" % (_IDENT, _IDENT), re.I | re.S)
_FROM_SQ = re.compile(r"(\bFROM\s+)'((?:[^']|'')+)'", re.I)


def _ident(tok):
    if tok.startswith('"'):
        return tok[1:-1].replace('""', '"')
    return tok.lower()


def shape_of(sql):
    """(table name or None, [(output name, source column or None)], star) for a simple SELECT;
    None when the statement is not one this harness can type."""
    s = sql.strip().rstrip(";")
    if not re.match(r"(?is)^select\s", s):
        return None
    f = _find_keyword(s, "FROM")
    if f < 0:
        return None
    items = _split_top(s[6:f])
    rest = s[f + 4:].strip()
    m = re.match(r"^(%s|'(?:[^']|'')+')(?:\s|$)" % _IDENT, rest)
    if not m:
        return None
    tok = m.group(1)
    table = tok[1:-1].replace("''", "'") if tok.startswith("'") else _ident(tok)
    cols = []
    for it in items:
        if it == "*":
            return table, None, True
        m1 = _ITEM_IDENT.match(it)
        if m1:
            name = _ident(m1.group(1))
            cols.append((name, name))
            continue
        m2 = _ITEM_AGG.match(it)
        if m2:
            cols.append((_ident(m2.group(3)), _ident(m2.group(2))))
            continue
        return None
    return table, cols, False


# ------------------------------------------------------------------------------------ values

_day_cache = {}


def iso_to_ns(s):
    """The server's zone-less `time` text (`2026-01-01T00:00:00`, `.123`, `.123456`,
    `.123456789`) to integer ns since the epoch."""
    d = s[:10]
    days = _day_cache.get(d)
    if days is None:
        days = _day_cache[d] = (datetime.date.fromisoformat(d) - EPOCH).days
    secs = days * 86400 + int(s[11:13]) * 3600 + int(s[14:16]) * 60 + int(s[17:19])
    frac = s[20:]
    return secs * NS + (int(frac.ljust(9, "0")) if frac else 0)


def merge_key_order(rows):
    """Result-column order from rows whose objects omit NULL keys: every row lists its keys in the
    same global order, so insert each new key after its predecessor in that row."""
    order = []
    seen = set()
    for r in rows:
        if len(r) == len(order) and all(k in seen for k in r):
            continue
        prev = None
        for k in r:
            if k not in seen:
                seen.add(k)
                order.insert(order.index(prev) + 1 if prev is not None else 0, k)
            prev = k
    return order


# ------------------------------------------------------------------------------------ the engine

class InfluxDB3Local:
    """The object a plugin receives as `influxdb3_local`."""

    def __init__(self, url, database, token, log):
        u = urllib.parse.urlsplit(url)
        self._host, self._port = u.hostname, u.port or 80
        self._conn = None
        self._db = database
        self._token = token
        self._log = log
        self._types = {}
        self.counts = {"INFO": 0, "WARN": 0, "ERROR": 0}
        self.query_seconds = 0.0
        self.queries = 0
        self.rows_returned = 0
        self.from_rewrites = 0
        self.dict_args = []

    # logging: str() of each argument, joined by a space (log_args_to_string)
    def _emit(self, level, args):
        line = " ".join(str(a) for a in args)
        self.counts[level] += 1
        for a in args:
            if isinstance(a, dict):
                self.dict_args.append(a)
        self._log.write("%s %s\n" % (level, line))
        self._log.flush()

    def info(self, *args):
        self._emit("INFO", args)

    def warn(self, *args):
        self._emit("WARN", args)

    def error(self, *args):
        self._emit("ERROR", args)

    # query
    def _request(self, db, sql, params, fmt):
        body = {"db": db, "q": sql, "format": fmt}
        if params:
            body["params"] = params
        headers = {"Content-Type": "application/json"}
        if self._token:
            headers["Authorization"] = "Bearer " + self._token
        for attempt in (0, 1):
            if self._conn is None:
                self._conn = http.client.HTTPConnection(self._host, self._port, timeout=600)
            try:
                self._conn.request("POST", "/api/v3/query_sql", json.dumps(body).encode(), headers)
                return self._conn.getresponse()
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self._conn.close()
                self._conn = None
                if attempt:
                    raise

    def _post(self, db, sql, params):
        resp = self._request(db, sql, params, "json")
        return resp.status, resp.read()

    def _stream_rows(self, resp):
        """JSON Lines decoded as the chunks arrive (one per 8192 rows), so decoding overlaps the
        server producing the rest; JSON strings hold no raw newline, so a batch of lines is one
        array once the newlines become commas."""
        rows = []
        rest = b""
        while True:
            chunk = resp.read1(1 << 20)
            if not chunk:
                break
            buf = rest + chunk if rest else chunk
            nl = buf.rfind(b"\n")
            if nl < 0:
                rest = buf
                continue
            rest = buf[nl + 1:]
            rows.extend(json.loads(b"[" + buf[:nl].replace(b"\n", b",") + b"]"))
        if rest.strip():
            rows.extend(json.loads(b"[" + rest.strip().replace(b"\n", b",") + b"]"))
        return rows

    def _table_types(self, db, table):
        key = (db, table)
        if key not in self._types:
            st, data = self._post(db, "SELECT column_name, data_type FROM information_schema.columns "
                                      "WHERE table_name = $t", {"t": table})
            types = {}
            if st == 200:
                for r in json.loads(data):
                    types[r["column_name"]] = r["data_type"]
            self._types[key] = types
        return self._types[key]

    def query(self, query, args=None, database=None):
        if args is not None:
            if not isinstance(args, dict) or not all(isinstance(k, str) and isinstance(v, str)
                                                     for k, v in args.items()):
                raise TypeError("argument 'args': the engine takes a dict of str to str")
        db = database or self._db
        t0 = time.perf_counter()
        sql, n = _FROM_SQ.subn(lambda m: m.group(1) + '"' + m.group(2).replace("''", "'").replace('"', '""') + '"',
                               query)
        self.from_rewrites += n
        resp = self._request(db, sql, args, "jsonl")
        if resp.status != 200:
            raise QueryError("Cannot query: %s %s (query: %s) (database: %s)"
                             % (resp.status, resp.read().decode("utf-8", "replace"), query, db))
        rows = self._stream_rows(resp)
        shape = shape_of(sql)
        ts_cols = []
        cols = None
        if shape is not None:
            table, items, star = shape
            types = self._table_types(db, table)
            if star and types:
                cols = sorted(types)
                ts_cols = [c for c in cols if types[c].startswith("Timestamp")]
            elif items is not None:
                cols = [name for name, _ in items]
                ts_cols = [name for name, src in items
                           if src is not None and types.get(src, "").startswith("Timestamp")]
        if cols is None:
            cols = merge_key_order(rows)
        ncols = len(cols)
        template = dict.fromkeys(cols)
        for i, r in enumerate(rows):
            if len(r) != ncols:
                full = template.copy()
                full.update(r)
                r = rows[i] = full
            for c in ts_cols:
                v = r[c]
                if v is not None:
                    r[c] = iso_to_ns(v)
        self.queries += 1
        self.rows_returned += len(rows)
        self.query_seconds += time.perf_counter() - t0
        return rows


def load_plugin_like_the_engine(path):
    """Single-file plugin: run the source in fresh, empty globals (no __file__, no __name__)."""
    with open(path, encoding="utf-8") as f:
        code = compile(f.read(), "influxdb_to_iceberg.py", "exec")
    g = {}
    exec(code, g)
    return g


def response_of(ret):
    """process_flask_response, for the shapes this plugin returns."""
    if isinstance(ret, (dict, list)):
        return 200, json.dumps(ret)
    if isinstance(ret, str):
        return 200, ret
    if isinstance(ret, tuple) and ret:
        status = next((p for p in ret[1:] if isinstance(p, int)), 200)
        body = ret[0]
        return status, json.dumps(body) if isinstance(body, (dict, list)) else str(body)
    return 500, json.dumps({"error": "unsupported return type %s" % type(ret).__name__}, separators=(",", ":"))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--plugin", required=True, help="the upstream influxdb_to_iceberg.py (read, never changed)")
    ap.add_argument("--url", required=True)
    ap.add_argument("--database", required=True)
    ap.add_argument("--token-file")
    ap.add_argument("--body-json", required=True, help="the request body the HTTP caller sends")
    ap.add_argument("--log", default="/dev/stderr")
    ap.add_argument("--result", default="/dev/stdout")
    a = ap.parse_args()
    token = open(a.token_file).read().strip() if a.token_file else None

    t_load = time.perf_counter()
    plugin = load_plugin_like_the_engine(a.plugin)
    load_s = time.perf_counter() - t_load

    with open(a.log, "w", encoding="utf-8") as log:
        local = InfluxDB3Local(a.url, a.database, token, log)
        headers = {"content-type": "application/json", "host": "127.0.0.1:8181", "user-agent": "curl/8.0"}
        t0 = time.perf_counter()
        error = None
        try:
            ret = plugin["process_request"](local, {}, headers, a.body_json.encode(), None)
            status, text = response_of(ret)
        except Exception as e:  # the engine answers 500 {"error": "Python function call failed: ..."}
            error = "%s: %s" % (type(e).__name__, e)
            status, text = 500, json.dumps({"error": "Python function call failed: " + error},
                                           separators=(",", ":"))
        seconds = time.perf_counter() - t0

    summary = None
    for d in local.dict_args:
        if "total_written_records" in d:
            summary = d
    failed_batches = [d for d in local.dict_args if d.get("success") is False]
    out = {
        "status": status,
        "response": text,
        "summary": summary,
        "failed_batches": failed_batches,
        "plugin_load_seconds": round(load_s, 3),
        "process_request_seconds": round(seconds, 3),
        "query_seconds": round(local.query_seconds, 3),
        "queries": local.queries,
        "rows_returned": local.rows_returned,
        "from_rewrites": local.from_rewrites,
        "log_lines": local.counts,
        "maxrss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
        "exception": error,
    }
    with open(a.result, "w") as f:
        json.dump(out, f, indent=1, default=str)
        f.write("\n")
    return 0 if status == 200 and error is None else 1


if __name__ == "__main__":
    sys.exit(main())
