#!/usr/bin/env python3
"""InfluxDB 3 HTTP API emulator: a test double and demo source, NOT product code.

It follows ../shared/specs/influxdb3-api.md (InfluxDB 3 Core 3.10.x as a client sees it, with
switches for the 3.8/3.9 variants) closely enough that influx2iceberg can be tested without a
real server: the same routes, status codes, error bodies, headers, line-protocol rules, JSON /
JSONL / CSV / pretty value rendering, schema discovery tables, the per-query file limit, and
bearer-token auth. Storage is sqlite3 (time as int64 ns, one column per tag/field); the SQL
dialect is a small subset translated to sqlite. Known differences are listed in README.md.

Start:  python3 influxdb3_emulator.py --port 0 --port-file /tmp/x.port [--token T | --no-auth]
Stdlib only (plus sqlite3); runs under any Python >= 3.8.
"""

import argparse
import base64
import bisect
import datetime as _dt
import gzip
import json
import math
import os
import re
import signal
import socket
import sqlite3
import sys
import tempfile
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from json.encoder import encode_basestring as _json_str  # C implementation when available
from urllib.parse import parse_qsl, urlsplit

# ---------------------------------------------------------------------------------------------
# Constants taken from the spec
# ---------------------------------------------------------------------------------------------

NS_PER_S = 1_000_000_000
I64_MAX = (1 << 63) - 1
I64_MIN = -(1 << 63)
U64_MAX = (1 << 64) - 1
BATCH_ROWS = 8192                  # DataFusion BATCH_SIZE: one HTTP chunk per batch
DEFAULT_MAX_REQUEST = 10 * 1024 * 1024
DEFAULT_FILE_LIMIT = 432           # Core --query-file-limit default
MAX_TABLES = 4000
MAX_COLUMNS = 500
MAX_DATABASES = 100
LP_STRING_LIMIT = 65536

UNAUTHENTICATED_BODY = b'{"error": "the request was not authenticated"}'
MALFORMED_AUTH_BODY = (b'{"error": "Authorization header was malformed, the request was not in the '
                       b"form of 'Authorization: <auth-scheme> <token>', supported auth-schemes are "
                       b'Bearer, Token and Basic"}')

FILE_LIMIT_MSG = ("Query would scan {} Parquet files, exceeding the file limit. InfluxDB 3 Core caps "
                  "file access to prevent performance degradation and memory issues. Use a narrower "
                  "time range, or increase the limit with --query-file-limit (this may cause slower "
                  "queries or instability).\n\nTo remove this limitation, upgrade to InfluxDB 3 "
                  "Enterprise, which automatically compacts files for efficient querying across any "
                  "time range. Free for non-commercial and home use, and free trials for commercial "
                  "evaluation: https://www.influxdata.com/downloads")

SYSTEM_TABLES = ["distinct_caches", "influxdb_schema", "last_caches", "parquet_files",
                 "processing_engine_logs", "processing_engine_trigger_arguments",
                 "processing_engine_triggers", "queries"]
INTERNAL_EXTRA_SYSTEM_TABLES = ["databases", "generation_durations", "nodes", "plugin_files",
                                "tables", "tokens"]
INFO_SCHEMA_VIEWS = ["tables", "views", "columns", "df_settings", "schemata", "routines",
                     "parameters"]

# Column kinds. Each maps to: arrow data_type text, catalog type name, sqlite declaration,
# system.influxdb_schema name.
KIND_ARROW = {"tag": "Dictionary(Int32, Utf8)", "f64": "Float64", "i64": "Int64",
              "u64": "UInt64", "str": "Utf8", "bool": "Boolean"}
KIND_IOX = {"tag": "iox::column_type::tag", "time": "iox::column_type::timestamp",
            "f64": "iox::column_type::field::float", "i64": "iox::column_type::field::integer",
            "u64": "iox::column_type::field::uinteger", "str": "iox::column_type::field::string",
            "bool": "iox::column_type::field::boolean"}
# u64 has no declared type (BLOB affinity) so values above i64::MAX can be kept as zero-padded
# text without sqlite converting them to REAL; f64 has none either because REAL affinity turns
# -0.0 into 0.0.
KIND_SQLITE = {"tag": "TEXT", "time": "INTEGER", "f64": "", "i64": "INTEGER", "u64": "",
               "str": "TEXT", "bool": "INTEGER"}
KIND_INFLUX = {"tag": "tag", "time": "time", "f64": "float", "i64": "integer", "u64": "uinteger",
               "str": "string", "bool": "boolean"}


class Settings:
    """Runtime switches; the admin endpoint can change them while the server runs."""

    def __init__(self):
        self.version = "3.10.1"
        self.type_style = "ns"          # "ns" -> Timestamp(ns); "nanosecond" -> Timestamp(Nanosecond, None)
        self.error_style = "400"        # "400" (3.10) or "500" (<= 3.9, prefixed text)
        self.file_limit = DEFAULT_FILE_LIMIT
        self.gen1_ns = 600 * NS_PER_S   # width of one emulated parquet "file" per table
        self.csv_empty_header = False   # True: an empty csv result is the header line alone
        self.max_request = DEFAULT_MAX_REQUEST

    def apply_compat(self, compat):
        if compat not in ("3.8", "3.9", "3.10"):
            raise ValueError("compat must be 3.8, 3.9 or 3.10")
        self.version = {"3.8": "3.8.4", "3.9": "3.9.4", "3.10": "3.10.1"}[compat]
        self.type_style = "nanosecond" if compat == "3.8" else "ns"
        self.error_style = "400" if compat == "3.10" else "500"

    @property
    def time_type(self):
        return "Timestamp(ns)" if self.type_style == "ns" else "Timestamp(Nanosecond, None)"

    @property
    def legacy_errors(self):
        return self.error_style == "500"

    def as_dict(self):
        return {"version": self.version, "type_style": self.type_style,
                "error_style": self.error_style, "file_limit": self.file_limit,
                "gen1_seconds": self.gen1_ns // NS_PER_S, "csv_empty_header": self.csv_empty_header,
                "max_request": self.max_request}


# ---------------------------------------------------------------------------------------------
# Value rendering (spec section 1, "Value rendering")
# ---------------------------------------------------------------------------------------------

_EPOCH = _dt.date(1970, 1, 1)
_DAY_CACHE = {}


def fmt_time(ns):
    """chrono NaiveDateTime Debug form: no zone, fraction omitted or 3/6/9 digits."""
    s, frac = divmod(ns, NS_PER_S)
    d, sod = divmod(s, 86400)
    date = _DAY_CACHE.get(d)
    if date is None:
        date = (_EPOCH + _dt.timedelta(days=d)).isoformat()
        if len(_DAY_CACHE) < 200000:
            _DAY_CACHE[d] = date
    h, rem = divmod(sod, 3600)
    m, sec = divmod(rem, 60)
    if not frac:
        return "%sT%02d:%02d:%02d" % (date, h, m, sec)
    if not frac % 1000000:
        return "%sT%02d:%02d:%02d.%03d" % (date, h, m, sec, frac // 1000000)
    if not frac % 1000:
        return "%sT%02d:%02d:%02d.%06d" % (date, h, m, sec, frac // 1000)
    return "%sT%02d:%02d:%02d.%09d" % (date, h, m, sec, frac)


def fmt_time_rfc3339(ns):
    return fmt_time(ns) + "Z"


def _shortest_digits(a):
    """For finite a > 0: (digits, sci_exp) with a == 0.d1d2.. * 10 ** (sci_exp + 1), digits minimal.

    Python's repr is the shortest round-trip form, the same digits ryu and lexical choose."""
    r = repr(a)
    mant, _, exp = r.partition("e")
    e = int(exp) if exp else 0
    ip, _, fp = mant.partition(".")
    digits = (ip + fp).lstrip("0")
    lead = len(ip + fp) - len(digits)          # leading zeros removed
    # value = int(ip+fp) * 10**(e - len(fp)); first significant digit position:
    sci = (len(ip + fp) - lead - 1) + e - len(fp)
    digits = digits.rstrip("0") or "0"
    return digits, sci


def _plain(digits, sci):
    n = len(digits)
    if sci >= n - 1:
        return digits + "0" * (sci - n + 1) + ".0"
    if sci >= 0:
        return digits[:sci + 1] + "." + digits[sci + 1:]
    return "0." + "0" * (-sci - 1) + digits


_INF = float("inf")


def json_float(v):
    """arrow-json (lexical-core) Float64: always a fraction or exponent; scientific when the decimal
    exponent is < -5 or > 9; NaN and +-Inf become null."""
    if v.__class__ is not float:
        v = float(v)
    if v != v or v == _INF or v == -_INF:
        return "null"
    a = -v if v < 0 else v
    if 1e-4 <= a < 1e10:
        return repr(v)                     # Python prints exactly this range plainly
    if a == 0:
        return "-0.0" if math.copysign(1.0, v) < 0 else "0.0"
    digits, sci = _shortest_digits(a)
    sign = "-" if v < 0 else ""
    if -5 <= sci <= 9:
        return sign + _plain(digits, sci)
    return "%s%s.%se%d" % (sign, digits[0], digits[1:] or "0", sci)


def csv_float(v):
    """arrow-cast display (ryu): plain for 1e-5 <= |v| < 1e16, else '1e16', '1.5e-7'; NaN, inf, -inf."""
    if v.__class__ is not float:
        v = float(v)
    if v != v:
        return "NaN"
    if v == _INF:
        return "inf"
    if v == -_INF:
        return "-inf"
    a = -v if v < 0 else v
    if 1e-4 <= a < 1e16:
        return repr(v)
    if a == 0:
        return "-0.0" if math.copysign(1.0, v) < 0 else "0.0"
    digits, sci = _shortest_digits(a)
    sign = "-" if v < 0 else ""
    kk = sci + 1
    if -5 < kk <= 16:
        return sign + _plain(digits, sci)
    if len(digits) == 1:
        return "%s%se%d" % (sign, digits, kk - 1)
    return "%s%s.%se%d" % (sign, digits[0], digits[1:], kk - 1)


def v1_float(v):
    """v1 /query: integral floats as integers, others serde_json shortest; NaN -> null."""
    if v.__class__ is not float:
        v = float(v)
    if v != v:
        return "null"
    if v in (_INF, -_INF):
        raise ValueError("+Inf" if v > 0 else "-Inf")
    if v == int(v) and abs(v) < 9.223372036854776e18:
        return str(int(v))
    r = repr(v)
    if "e" in r:                          # serde_json (ryu) writes 1e+20 style exponents
        m, e = r.split("e")
        r = m + "e" + (e if e.startswith("-") else "+" + e.lstrip("+"))
    return r


def u64_value(v):
    return v if v.__class__ is int else int(v)


def csv_field(s):
    if ("," in s or '"' in s or "\n" in s or "\r" in s):
        return '"' + s.replace('"', '""') + '"'
    return s


# ---------------------------------------------------------------------------------------------
# Time literals (spec section 7): RFC 3339 / ISO with optional zone, default UTC
# ---------------------------------------------------------------------------------------------

_TS_RE = re.compile(r"\s*(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?)?"
                    r"\s*(?:([Zz])|([+-])(\d{2})(?::?(\d{2}))?)?\s*\Z")
_MIN_NS_TEXT = "1677-09-21T00:12:43.145224192"
_MAX_NS_TEXT = "2262-04-11T23:47:16.854775807"


class TimeParseError(ValueError):
    pass


def parse_time_literal(text):
    m = _TS_RE.match(text)
    if not m:
        raise TimeParseError("Error parsing timestamp from '%s': error parsing date" % text)
    y, mo, d, hh, mi, ss, frac, z, sign, oh, om = m.groups()
    try:
        days = _dt.date(int(y), int(mo), int(d)).toordinal() - _EPOCH.toordinal()
    except ValueError:
        raise TimeParseError("Error parsing timestamp from '%s': error parsing date" % text)
    hh, mi, ss = int(hh or 0), int(mi or 0), int(ss or 0)
    if hh > 23 or mi > 59 or ss > 60:
        raise TimeParseError("Error parsing timestamp from '%s': error parsing time" % text)
    secs = days * 86400 + hh * 3600 + mi * 60 + ss
    if sign:
        off = int(oh) * 3600 + int(om or 0) * 60
        secs -= off if sign == "+" else -off
    ns = secs * NS_PER_S + (int((frac or "0")[:9].ljust(9, "0")))
    if not I64_MIN <= ns <= I64_MAX:
        raise TimeParseError("The dates that can be represented as nanoseconds have to be between "
                             "%s and %s" % (_MIN_NS_TEXT, _MAX_NS_TEXT))
    return ns


# ---------------------------------------------------------------------------------------------
# Line protocol parser: a port of the rules of core/influxdb_line_protocol (nom parser),
# including its error texts, the "second field" quirk and 10-character error contexts.
# ---------------------------------------------------------------------------------------------

class _NomError(Exception):      # recoverable (nom::Err::Error)
    def __init__(self, msg=None, context=None):
        Exception.__init__(self, msg)
        self.msg = msg
        self.context = context


class _NomFailure(Exception):    # unrecoverable (nom::Err::Failure)
    def __init__(self, msg, context=None):
        Exception.__init__(self, msg)
        self.msg = msg
        self.context = context


def _ctx(s):
    return s[:10] + "..." if len(s.encode("utf-8")) > 10 else s


_WS = " \t\n"
_MEAS_STOP = frozenset(" \t\n\0,\\")
_TAGKEY_STOP = frozenset(" \t\n=\\")
_TAGVAL_STOP = frozenset(" \t\n,\\")
_FIELDKEY_STOP = _TAGKEY_STOP
_MEAS_ESC = frozenset(", \\")
_KEY_ESC = frozenset("\\,= ")


def _escaped(s, i, stop, escapes):
    """escape_or_fallback: a run of normal chars and backslash escapes; unknown escapes keep the
    backslash. Raises _NomError when nothing could be read."""
    n = len(s)
    out = []
    head = i
    while True:
        j = head
        while j < n and s[j] not in stop:
            j += 1
        if j > head:
            out.append(s[head:j])
            head = j
            continue
        if head < n and s[head] == "\\":
            after = head + 1
            if after < n and s[after] in escapes:
                out.append(s[after])
                head = after + 1
            else:
                out.append("\\")
                head = after
                if head < n:
                    out.append(s[head])
                    head += 1
                else:
                    break
            continue
        if head == i:
            raise _NomError()
        break
    v = "".join(out)
    if v.endswith("\\"):
        raise _NomFailure("Measurements, tag keys and values, and field keys may not end with a backslash")
    if len(v.encode("utf-8")) > LP_STRING_LIMIT:
        raise _NomFailure("String is greater than 64KB")
    return v, head


def _digits(s, i):
    n = len(s)
    j = i
    while j < n and "0" <= s[j] <= "9":
        j += 1
    return j


def _signed(s, i):
    """integral_value_signed: optional '-' then digits; returns end or -1."""
    j = i + 1 if i < len(s) and s[i] == "-" else i
    k = _digits(s, j)
    return k if k > j else -1


def _float_end(s, i):
    """The four float alternatives, in the parser's order; returns end or -1."""
    n = len(s)
    a = _signed(s, i)
    if a < 0:
        return -1
    # with exponent and decimal: int '.' digits [eE] [+-] digits
    if a < n and s[a] == ".":
        b = _digits(s, a + 1)
        if b > a + 1:
            e = _exp_end(s, b)
            if e > 0:
                return e
    # exponent, no decimal: ['-'] digits [eE] [+-] digits
    e = _exp_end(s, a)
    if e > 0:
        return e
    # decimal
    if a < n and s[a] == ".":
        b = _digits(s, a + 1)
        if b > a + 1:
            return b
    return a


def _exp_end(s, i):
    n = len(s)
    if i < n and s[i] in "eE":
        j = i + 1
        if j < n and s[j] in "+-":
            j += 1
        k = _digits(s, j)
        if k > j:
            return k
    return -1


_BOOLS = (("true", True), ("True", True), ("TRUE", True), ("t", True), ("T", True),
          ("false", False), ("False", False), ("FALSE", False), ("f", False), ("F", False))


def _field_value(s, i):
    n = len(s)
    # integer: signed digits 'i'
    a = _signed(s, i)
    if a > 0 and a < n and s[a] == "i":
        text = s[i:a]
        v = int(text)
        if not I64_MIN <= v <= I64_MAX:
            raise _NomFailure("Unable to parse integer value `%s`" % text)
        return ("i64", v), a + 1
    # unsigned: digits 'u'
    d = _digits(s, i)
    if d > i and d < n and s[d] == "u":
        text = s[i:d]
        v = int(text)
        if v > U64_MAX:
            raise _NomFailure("Unable to parse unsigned integer value `%s`" % text)
        return ("u64", v), d + 1
    e = _float_end(s, i)
    if e > 0:
        return ("f64", float(s[i:e])), e
    if i < n and s[i] == '"':
        j = i + 1
        out = []
        while j < n:
            c = s[j]
            if c == '"':
                v = "".join(out)
                if len(v.encode("utf-8")) > LP_STRING_LIMIT:
                    raise _NomFailure("String is greater than 64KB")
                return ("str", v), j + 1
            if c == "\\":
                nxt = s[j + 1] if j + 1 < n else ""
                if nxt == '"' or nxt == "\\":
                    out.append(nxt)
                    j += 2
                else:
                    out.append("\\")
                    j += 1
                continue
            k = j
            while k < n and s[k] != "\\" and s[k] != '"':
                k += 1
            out.append(s[j:k])
            j = k
        # no closing quote: this alternative fails
    for text, val in _BOOLS:
        if s.startswith(text, i):
            return ("bool", val), i + len(text)
    raise _NomError()


def _one_field(s, i):
    key, j = _escaped(s, i, _FIELDKEY_STOP, _KEY_ESC)
    if j >= len(s) or s[j] != "=":
        raise _NomError()
    val, k = _field_value(s, j + 1)
    return (key, val), k


def _one_tag(s, i):
    try:
        key, j = _escaped(s, i, _TAGKEY_STOP, _KEY_ESC)
    except _NomError:
        rest = s[i:]
        raise _NomFailure("Expected tag key, got " + ("`%s`" % _ctx(rest) if rest else "end of input"))
    if j >= len(s) or s[j] != "=":
        raise _NomFailure(None, context="equals sign")
    j += 1
    try:
        val, k = _escaped(s, j, _TAGVAL_STOP, _KEY_ESC)
    except _NomError:
        rest = s[j:]
        raise _NomFailure("Expected tag value, got " + ("`%s`" % _ctx(rest) if rest else "end of input"))
    return (key, val), k


def parse_lp_line(s):
    """Parse one logical line (already left-trimmed). Returns (measurement, tags, fields, ts)
    where tags/fields are lists of pairs. Raises ValueError(message)."""
    try:
        return _parse_lp_line(s)
    except (_NomError, _NomFailure) as e:
        raise ValueError(e.msg or "A generic parsing error occurred")


def _parse_lp_line(s):
    n = len(s)
    try:
        meas, i = _escaped(s, 0, _MEAS_STOP, _MEAS_ESC)
    except _NomError:
        raise _NomError("Invalid measurement was provided")
    tags = []
    if i < n and s[i] == ",":
        rem = i + 1
        try:
            t, i = _one_tag(s, rem)
            tags.append(t)
            while i < n and s[i] == ",":
                t, i = _one_tag(s, i + 1)
                tags.append(t)
        except _NomFailure as f:
            if f.context:
                raise _NomFailure("Tag set malformed: could not find %s in `%s`" % (f.context, _ctx(s[rem:])))
            raise
    j = i
    while j < n and s[j] == " ":
        j += 1
    if j == i:
        rest = s[i:]
        raise _NomError("Expected at least one space character, got " +
                        ("`%s`" % rest if rest else "end of input"))
    i = j
    try:
        f, i = _one_field(s, i)
    except _NomError:
        raise _NomError("No fields were provided")
    fields = [f]
    if i < n and s[i] == ",":
        # nom quirk: when the *second* field fails, the rest starts after its comma; later
        # failures leave the comma in the trailing content.
        try:
            f, i2 = _one_field(s, i + 1)
            fields.append(f)
            i = i2
            while i < n and s[i] == ",":
                try:
                    f, i2 = _one_field(s, i + 1)
                except _NomError:
                    break
                fields.append(f)
                i = i2
        except _NomError:
            i = i + 1
    ts = None
    j = i
    while j < n and s[j] == " ":
        j += 1
    if j > i:
        e = _signed(s, j)
        if e > 0:
            text = s[j:e]
            v = int(text)
            if not I64_MIN <= v <= I64_MAX:
                raise _NomFailure("Unable to parse timestamp value `%s`" % text)
            ts = v
            i = e
            while i < n and s[i] == " ":
                i += 1
    if i < n:
        raise _NomError("Could not parse entire line. Found trailing content: `%s`" % _ctx(s[i:]))
    return meas, tags, fields, ts


# Fast path for the common shape: a whole-line regex whose character classes are stricter than the
# grammar (no backslashes, no quotes outside string values, single spaces), every value matched in
# full. Anything it does not accept goes to the faithful parser above, so results are identical.
_FAST_LINE = re.compile(r'([^,\s\\"\0]+)((?:,[^,=\s\\"]+=[^,\s\\"]+)*) (.*)\Z', re.S)
_FAST_TS = re.compile(r"-?\d+\Z")


# One findall per line: each field's value alternatives carry its type in the group that matched;
# the summed match lengths prove the fields cover the text with nothing skipped.
_FAST_FIELDS = re.compile(r'(([^,=\s\\"]+)=(?:"([^"\\]*)"|(-?\d+)i|(\d+)u|(-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)|'
                          r'(true|True|TRUE|t|T)|(false|False|FALSE|f|F))(?:,(?!\Z)|\Z))')


def _fast_lp_line(s):
    m = _FAST_LINE.match(s)
    if m is None:
        return None
    meas, tagtext, rest = m.groups()
    # the timestamp is what follows the last space, if it is an integer: a field list cannot
    # end in " <digits>" (unquoted values have no spaces, strings end with a quote)
    head, _, tail = rest.rpartition(" ")
    if head and _FAST_TS.match(tail):
        fieldtext, tstext = head, tail
    else:
        fieldtext, tstext = rest, None
    tags = []
    if tagtext:
        for piece in tagtext[1:].split(","):
            k, _, v = piece.partition("=")
            tags.append((k, v))
    found = _FAST_FIELDS.findall(fieldtext)
    if not found or sum(len(f[0]) for f in found) != len(fieldtext):
        return None
    fields = []
    for _, k, sv, iv, uv, fv, tv, bv in found:
        if fv:
            fields.append((k, ("f64", float(fv))))
        elif iv:
            iv = int(iv)
            if not I64_MIN <= iv <= I64_MAX:
                return None
            fields.append((k, ("i64", iv)))
        elif uv:
            uv = int(uv)
            if uv > U64_MAX:
                return None
            fields.append((k, ("u64", uv)))
        elif tv:
            fields.append((k, ("bool", True)))
        elif bv:
            fields.append((k, ("bool", False)))
        else:
            if len(sv) > LP_STRING_LIMIT // 4 and len(sv.encode("utf-8")) > LP_STRING_LIMIT:
                return None
            fields.append((k, ("str", sv)))
    ts = None
    if tstext is not None:
        ts = int(tstext)
        if not I64_MIN <= ts <= I64_MAX:
            return None
    return meas, tags, fields, ts


_SPLIT_SPECIAL = re.compile(r'[ =,"\\\n]')


def _logical_lines(text):
    """Yields (logical line, fast-path parse or None).

    A physical line with no quote or backslash always ends at its newline; so does one the strict
    fast path parses (its strings are balanced and it has no backslash). Only the others run the
    character state machine, which may join physical lines."""
    pieces = text.split("\n")
    if '"' not in text and "\\" not in text:
        for p in pieces:
            yield p, None
        return
    offset = 0
    i = 0
    n = len(pieces)
    while i < n:
        p = pieces[i]
        if '"' not in p and "\\" not in p:
            yield p, None
            offset += len(p) + 1
            i += 1
            continue
        parsed = _fast_lp_line(p)
        if parsed is not None:
            yield p, parsed
            offset += len(p) + 1
            i += 1
            continue
        end = _scan_line_end(text, offset)
        line = text[offset:end]
        yield line, None
        i += line.count("\n") + 1          # the logical line spans this many physical pieces
        offset = end + 1


def _scan_line_end(text, start):
    """Index of the newline ending the logical line that starts at `start` (len(text) if none)."""
    quoted = fields = False
    equals = commas = 0
    skip = -1
    for m in _SPLIT_SPECIAL.finditer(text, start):
        idx = m.start()
        if idx <= skip:
            continue
        c = text[idx]
        if c == "\\":
            skip = idx + 1          # the escaped character, whatever it is
            continue
        if c == " ":
            fields = True
            continue
        if fields:
            if not quoted and c == "=":
                equals += 1
                continue
            if not quoted and c == ",":
                commas += 1
                continue
            if c == '"' and equals > commas:
                quoted = not quoted
                continue
        if c == "\n" and not quoted:
            return idx
    return len(text)


def _trim_leading(s):
    while True:
        s = s.lstrip(_WS)
        if s.startswith("#"):
            k = s.find("\n")
            s = "" if k < 0 else s[k:]
        else:
            return s


def parse_lp(text):
    """Yield (line_index, result) for each non-blank, non-comment line; result is a parsed tuple or
    a ValueError. line_index counts only those lines, as the server numbers them."""
    idx = 0
    for raw, parsed in _logical_lines(text):
        if parsed is not None:
            yield idx, parsed
            idx += 1
            continue
        line = _trim_leading(raw)
        if not line:
            continue
        parsed = _fast_lp_line(line)
        if parsed is None:
            try:
                parsed = parse_lp_line(line)
            except ValueError as e:
                parsed = e
        yield idx, parsed
        idx += 1


def rust_lines(text):
    """str::lines(): split on \\n, drop one \\r before each \\n, no empty last line; a final line
    without \\n keeps a bare trailing \\r."""
    parts = text.split("\n")
    last = parts.pop()
    out = [p[:-1] if p.endswith("\r") else p for p in parts]
    if last:
        out.append(last)
    return out


def canonical_lp(meas, tags, fields, ts):
    """ParsedLine Display: the server echoes this (not the raw line) for validation errors."""
    def esc(v, chars):
        for c in chars:
            v = v.replace(c, "\\" + c)
        return v
    out = [esc(meas, ", ")]
    for k, v in tags:
        out.append("," + esc(k, ",= ") + "=" + esc(v, ",= "))
    fs = []
    for k, (kind, v) in fields:
        if kind == "i64":
            t = "%di" % v
        elif kind == "u64":
            t = "%du" % v
        elif kind == "f64":
            t = _rust_f64_display(v)
        elif kind == "bool":
            t = "true" if v else "false"
        else:
            t = '"' + v.replace('"', '\\"') + '"'
        fs.append(esc(k, ",= ") + "=" + t)
    s = "".join(out) + " " + ",".join(fs)
    if ts is not None:
        s += " %d" % ts
    return s


def _rust_f64_display(v):
    if v != v:
        return "NaN"
    if v in (_INF, -_INF):
        return "inf" if v > 0 else "-inf"
    if v == int(v) and abs(v) < 1e17:
        return str(int(v))
    r = repr(v)
    if "e" not in r:
        return r
    digits, sci = _shortest_digits(abs(v))
    return ("-" if v < 0 else "") + _plain(digits, sci).rstrip("0").rstrip(".")


def truncate20(s):
    b = s.encode("utf-8")[:20]
    return b.decode("utf-8", "ignore")


# ---------------------------------------------------------------------------------------------
# Storage: catalog + sqlite
# ---------------------------------------------------------------------------------------------

class Column:
    __slots__ = ("name", "kind", "sqlname")

    def __init__(self, name, kind, sqlname):
        self.name, self.kind, self.sqlname = name, kind, sqlname


class Table:
    """Immutable once published: writers build a new Table to add columns."""

    def __init__(self, name, sqlname, columns, bounds):
        self.name = name
        self.sqlname = sqlname
        self.columns = columns                 # name -> Column, insertion order
        self.sorted = sorted(columns.values(), key=lambda c: c.name)
        # emulated parquet files: gen1 block id -> (min time, max time) of the rows in it
        self.bounds = bounds
        self.blocks = sorted(bounds)


class Database:
    def __init__(self, name):
        self.name = name
        self.tables = {}                       # replaced wholesale, never mutated in place


class Store:
    """sqlite3 in WAL mode: one writer connection behind a lock, pooled reader connections."""

    def __init__(self, path, settings, durable):
        self.path = path
        self.settings = settings
        self.lock = threading.RLock()
        self.dbs = {}
        self._pool = []
        self._pool_lock = threading.Lock()
        self._next_table = 0
        self.w = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self.w.execute("PRAGMA journal_mode=WAL")
        self.w.execute("PRAGMA synchronous=%s" % ("NORMAL" if durable else "OFF"))
        self.w.execute("CREATE TABLE IF NOT EXISTS _emu_db (name TEXT PRIMARY KEY)")
        self.w.execute("CREATE TABLE IF NOT EXISTS _emu_table (db TEXT, name TEXT, sqlname TEXT, "
                       "PRIMARY KEY (db, name))")
        self.w.execute("CREATE TABLE IF NOT EXISTS _emu_column (sqltable TEXT, name TEXT, kind TEXT, "
                       "sqlname TEXT, PRIMARY KEY (sqltable, name))")
        self._load()

    # -- catalog persistence ------------------------------------------------------------------
    def _load(self):
        self.dbs = {"_internal": Database("_internal")}
        for (name,) in self.w.execute("SELECT name FROM _emu_db"):
            self.dbs[name] = Database(name)
        for db, name, sqlname in self.w.execute("SELECT db, name, sqlname FROM _emu_table"):
            cols = {}
            for cname, kind, csql in self.w.execute(
                    "SELECT name, kind, sqlname FROM _emu_column WHERE sqltable=? ORDER BY rowid", (sqlname,)):
                cols[cname] = Column(cname, kind, csql)
            blocks = self._scan_blocks(sqlname)
            tables = dict(self.dbs[db].tables)
            tables[name] = Table(name, sqlname, cols, blocks)
            self.dbs[db].tables = tables
            self._next_table = max(self._next_table, int(sqlname[1:]) + 1)

    def _scan_blocks(self, sqlname):
        g = self.settings.gen1_ns
        return {r[0]: (r[1], r[2]) for r in self.w.execute(
            "SELECT (time - (((time %% %d) + %d) %% %d)) / %d AS b, min(time), max(time) FROM %s GROUP BY b"
            % (g, g, g, g, sqlname))}

    def rescan_blocks(self):
        with self.lock:
            for db in self.dbs.values():
                db.tables = {n: Table(t.name, t.sqlname, t.columns, self._scan_blocks(t.sqlname))
                             for n, t in db.tables.items()}

    def reset(self):
        with self.lock:
            for db in self.dbs.values():
                for t in db.tables.values():
                    self.w.execute("DROP TABLE IF EXISTS %s" % t.sqlname)
            self.w.execute("DELETE FROM _emu_db")
            self.w.execute("DELETE FROM _emu_table")
            self.w.execute("DELETE FROM _emu_column")
            self.dbs = {"_internal": Database("_internal")}

    def create_database(self, name):
        with self.lock:
            if name in self.dbs:
                return False
            self.w.execute("INSERT INTO _emu_db VALUES (?)", (name,))
            self.dbs[name] = Database(name)
            return True

    def delete_database(self, name):
        with self.lock:
            db = self.dbs.pop(name, None)
            if db is None:
                return False
            for t in db.tables.values():
                self.w.execute("DROP TABLE IF EXISTS %s" % t.sqlname)
                self.w.execute("DELETE FROM _emu_column WHERE sqltable=?", (t.sqlname,))
            self.w.execute("DELETE FROM _emu_table WHERE db=?", (name,))
            self.w.execute("DELETE FROM _emu_db WHERE name=?", (name,))
            return True

    # -- readers ------------------------------------------------------------------------------
    def acquire(self):
        with self._pool_lock:
            if self._pool:
                return self._pool.pop()
        c = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        c.execute("PRAGMA case_sensitive_like=ON")   # DataFusion LIKE is case-sensitive
        c.execute("PRAGMA temp_store=MEMORY")
        c.execute("CREATE TEMP TABLE IF NOT EXISTS v_tables (c0, c1, c2, c3)")
        c.execute("CREATE TEMP TABLE IF NOT EXISTS v_columns (c0, c1, c2, c3, c4, c5, c6, c7, "
                  "c8, c9, c10, c11, c12, c13, c14)")
        c.execute("CREATE TEMP TABLE IF NOT EXISTS v_influxdb_schema (c0, c1, c2)")
        return c

    def release(self, c):
        if c.in_transaction:
            try:
                c.rollback()
            except sqlite3.Error:
                c.close()
                return
        with self._pool_lock:
            if len(self._pool) < 32:
                self._pool.append(c)
                return
        c.close()

    # -- writes -------------------------------------------------------------------------------
    def write(self, db_name, text, precision, accept_partial, now_ns):
        """Validate and store line protocol. Returns (line_count, errors) where errors are
        (line_number, message, original_line) tuples. Raises WriteAbort for accept_partial=false
        failures (nothing written) and CatalogLimit for database limits."""
        with self.lock:
            txn = _Txn(self, db_name)
            phys = None
            rows = []
            errors = []
            for idx, parsed in parse_lp(text):
                if isinstance(parsed, ValueError):
                    if phys is None:
                        phys = rust_lines(text)
                    # the server echoes the physical line whose number is the count of parsed
                    # lines so far (blank and comment lines shift the echo)
                    orig = phys[idx] if idx < len(phys) else ""
                    err = (idx + 1, str(parsed), orig)
                else:
                    try:
                        rows.append(txn.qualify(parsed, precision, now_ns))
                        continue
                    except _LineError as le:
                        err = (idx + 1, str(le), canonical_lp(*parsed))
                if not accept_partial:
                    raise WriteAbort(err)
                errors.append(err)
            txn.commit(rows)
            return len(rows), errors


class WriteAbort(Exception):
    def __init__(self, err):
        Exception.__init__(self, err[1])
        self.err = err


class CatalogLimit(Exception):
    pass


class _LineError(Exception):
    pass


_PRECISION_MULT = {"second": NS_PER_S, "millisecond": 1000000, "microsecond": 1000, "nanosecond": 1}
_PRECISION_DEBUG = {"auto": "Auto", "second": "Second", "millisecond": "Millisecond",
                    "microsecond": "Microsecond", "nanosecond": "Nanosecond"}


def to_nanos(precision, ts, now_ns):
    if ts is None:
        if precision == "auto":
            return now_ns
        m = _PRECISION_MULT[precision]
        return (now_ns // m) * m
    p = precision
    if p == "auto":
        v = abs(ts) // NS_PER_S
        p = "second" if v < 5 else "millisecond" if v < 5000 else "microsecond" if v < 5000000 else "nanosecond"
    r = ts * _PRECISION_MULT[p]
    if not I64_MIN <= r <= I64_MAX:
        raise _LineError("timestamp, %d, out of range for precision: %s" % (ts, _PRECISION_DEBUG[precision]))
    return r


class _Txn:
    """Catalog changes of one write request, applied to sqlite and published on commit."""

    def __init__(self, store, db_name):
        self.store = store
        self.db_name = db_name
        self.db = store.dbs.get(db_name)
        if self.db is None:
            user_dbs = [d for d in store.dbs if d != "_internal"]
            if len(user_dbs) >= MAX_DATABASES:
                raise CatalogLimit("Adding a new database would exceed limit of %d databases" % MAX_DATABASES)
        self.new_tables = {}          # name -> {col: kind}
        self.new_cols = {}            # table name -> {col: kind} for existing tables
        self.ok_shapes = set()

    def _kind(self, table, col):
        if self.db is not None and table in self.db.tables:
            c = self.db.tables[table].columns.get(col)
            if c is not None:
                return c.kind
            return self.new_cols.get(table, {}).get(col)
        return self.new_tables[table].get(col)

    def _ncols(self, table):
        if self.db is not None and table in self.db.tables:
            return len(self.db.tables[table].columns) + len(self.new_cols.get(table, {}))
        return len(self.new_tables[table])

    def table_or_create(self, table):
        if (self.db is not None and table in self.db.tables) or table in self.new_tables:
            return
        current = (len(self.db.tables) if self.db else 0) + len(self.new_tables)
        if current >= MAX_TABLES:
            raise _LineError("Update to schema would exceed number of tables limit: attempted to create "
                             "table but already have %d table(s) (limit: %d)" % (current, MAX_TABLES))
        self.new_tables[table] = {}

    def column_or_create(self, table, col, kind):
        have = self._kind(table, col)
        if have is not None:
            if have != kind:
                raise _LineError("invalid column type for column '%s', expected %s, got %s"
                                 % (col, KIND_IOX[have], KIND_IOX[kind]))
            return
        if self._ncols(table) >= MAX_COLUMNS:
            raise _LineError("Update to schema would exceed number of columns per table limit of %d columns"
                             % MAX_COLUMNS)
        if self.db is not None and table in self.db.tables:
            self.new_cols.setdefault(table, {})[col] = kind
        else:
            self.new_tables[table][col] = kind

    def qualify(self, parsed, precision, now_ns):
        meas, tags, fields, ts = parsed
        # a line shape (table, tag keys, field keys and types) that passed once passes again:
        # column types never change, so the per-column checks can be skipped
        sig = (meas, tuple(k for k, _ in tags), tuple((k, v[0]) for k, v in fields))
        if sig not in self.ok_shapes:
            self.table_or_create(meas)
            for k, _ in tags:
                self.column_or_create(meas, k, "tag")
            seen = set()
            for k, (kind, _) in fields:
                self.column_or_create(meas, k, kind)
                if k in seen:
                    raise _LineError("invalid line protocol - multiple instances of '%s' field found" % k)
                seen.add(k)
            self.column_or_create(meas, "time", "time")
            self.ok_shapes.add(sig)
        t = to_nanos(precision, ts, now_ns)
        return meas, tags, fields, t

    def commit(self, rows):
        st = self.store
        w = st.w
        w.execute("BEGIN IMMEDIATE")
        try:
            if self.db is None:
                w.execute("INSERT INTO _emu_db VALUES (?)", (self.db_name,))
                db = Database(self.db_name)
            else:
                db = self.db
            tables = dict(db.tables)
            for name, cols in self.new_tables.items():
                sqlname = "t%d" % st._next_table
                st._next_table += 1
                w.execute("CREATE TABLE %s (time INTEGER NOT NULL, _sk TEXT NOT NULL, "
                          "PRIMARY KEY (time, _sk)) WITHOUT ROWID" % sqlname)
                w.execute("INSERT INTO _emu_table VALUES (?, ?, ?)", (self.db_name, name, sqlname))
                tables[name] = self._add_columns(Table(name, sqlname, {}, {}), cols)
            for name, cols in self.new_cols.items():
                tables[name] = self._add_columns(tables[name], cols)
            new_blocks = self._insert(tables, rows)
            w.execute("COMMIT")
        except BaseException:
            w.execute("ROLLBACK")
            raise
        # publish only after the sqlite commit, so readers never see a column sqlite lacks
        for name, blocks in new_blocks.items():
            t = tables[name]
            merged = dict(t.bounds)
            for b, (lo, hi) in blocks.items():
                old = merged.get(b)
                merged[b] = (lo, hi) if old is None else (min(lo, old[0]), max(hi, old[1]))
            tables[name] = Table(t.name, t.sqlname, t.columns, merged)
        db.tables = tables
        if self.db is None:
            st.dbs[self.db_name] = db

    def _add_columns(self, table, cols):
        w = self.store.w
        columns = dict(table.columns)
        n = len(columns)
        for name, kind in cols.items():
            if name == "time" and kind == "time":
                sqlname = "time"
            else:
                sqlname = "c%d" % n
                n += 1
                w.execute("ALTER TABLE %s ADD COLUMN %s %s" % (table.sqlname, sqlname, KIND_SQLITE[kind]))
            w.execute("INSERT INTO _emu_column VALUES (?, ?, ?, ?)", (table.sqlname, name, kind, sqlname))
            columns[name] = Column(name, kind, sqlname)
        return Table(table.name, table.sqlname, columns, table.bounds)

    def _insert(self, tables, rows):
        """Upsert rows in order; consecutive rows with the same table and column set share one
        executemany. Same tags + time merge: each field keeps the last non-null value."""
        w = self.store.w
        g = self.store.settings.gen1_ns
        blocks = {}
        batch = []
        sig = None
        sql = None
        sk_cache = {}
        for meas, tags, fields, t in rows:
            table = tables[meas]
            cols = table.columns
            tagd = dict(tags)
            key = (meas, tuple(sorted(tagd)), tuple(k for k, _ in fields))
            if key != sig:
                if batch:
                    w.executemany(sql, batch)
                    batch = []
                sig = key
                tagcols = [cols[k].sqlname for k in sorted(tagd)]
                fieldcols = [cols[k].sqlname for k, _ in fields]
                allc = ["time", "_sk"] + tagcols + fieldcols
                upd = ", ".join("%s=coalesce(excluded.%s, %s)" % (c, c, c) for c in fieldcols)
                sql = "INSERT INTO %s (%s) VALUES (%s) ON CONFLICT (time, _sk) DO %s" % (
                    table.sqlname, ", ".join(allc), ", ".join("?" * len(allc)),
                    ("UPDATE SET " + upd) if upd else "NOTHING")
                bmap = blocks.setdefault(meas, {})
            tkey = tuple(tags)
            head = sk_cache.get(tkey)
            if head is None:
                # the series key: the sorted, non-null tag pairs (repr is unambiguous)
                head = sk_cache[tkey] = [repr(sorted(tagd.items())) if tagd else ""] + [tagd[k] for k in sorted(tagd)]
            vals = [t]
            vals.extend(head)
            for _, (kind, v) in fields:
                if kind == "u64" and v > I64_MAX:
                    v = "%020d" % v
                elif kind == "bool":
                    v = 1 if v else 0
                vals.append(v)
            batch.append(vals)
            b = t // g
            have = bmap.get(b)
            if have is None:
                bmap[b] = (t, t)
            elif t < have[0] or t > have[1]:
                bmap[b] = (min(t, have[0]), max(t, have[1]))
        if batch:
            w.executemany(sql, batch)
        return blocks


# ---------------------------------------------------------------------------------------------
# SQL: tokenizer and parser (a subset of DataFusion's dialect)
# ---------------------------------------------------------------------------------------------

class QueryError(Exception):
    """kind: 'plan' (400 in 3.10), 'schema'/'external'/'arrow'/'execution' (500),
    'notimpl' (405), 'dbnotfound' (404 JSON)."""

    def __init__(self, kind, message):
        Exception.__init__(self, message)
        self.kind = kind
        self.message = message


def _rust_debug(s):
    out = ['"']
    for c in s:
        if c == '"':
            out.append('\\"')
        elif c == "\\":
            out.append("\\\\")
        elif c == "\n":
            out.append("\\n")
        elif c == "\t":
            out.append("\\t")
        elif c == "\r":
            out.append("\\r")
        elif ord(c) < 32:
            out.append("\\u{%x}" % ord(c))
        else:
            out.append(c)
    out.append('"')
    return "".join(out)


class Tok:
    __slots__ = ("kind", "val", "raw", "line", "col")

    def __init__(self, kind, val, raw, line, col):
        self.kind, self.val, self.raw, self.line, self.col = kind, val, raw, line, col

    def is_kw(self, *words):
        return self.kind == "id" and self.val.upper() in words

    def __repr__(self):
        return "Tok(%s,%r)" % (self.kind, self.val)


_OPS = ["<=", ">=", "<>", "!=", "||", "::", "=", "<", ">", "+", "-", "*", "/", "%", "(", ")", ",",
        ".", ";"]


def _parse_error(expected, tok):
    found = "EOF" if tok.kind == "eof" else tok.raw
    raise QueryError("plan", 'SQL error: ParserError(%s)' % _rust_debug(
        "Expected: %s, found: %s at Line: %d, Column: %d" % (expected, found, tok.line, tok.col)))


def _scan_quoted(sql, i, q, what, line, col):
    """Text of the quoted token starting at sql[i] (a doubled quote stands for one) and the index
    just past its closing quote; unterminated gives the server's tokenizer error."""
    j = i + 1
    out = []
    while True:
        k = sql.find(q, j)
        if k < 0:
            raise QueryError("plan", "SQL error: TokenizerError(%s)" % _rust_debug(
                "Unterminated %s at Line: %d, Column: %d" % (what, line, col)))
        out.append(sql[j:k])
        if sql.startswith(q + q, k):
            out.append(q)
            j = k + 2
            continue
        return "".join(out), k + 1


def tokenize(sql):
    toks = []
    i = 0
    n = len(sql)
    line, lstart = 1, 0
    while True:
        # skip whitespace and comments
        while i < n:
            c = sql[i]
            if c == "\n":
                line += 1
                lstart = i + 1
                i += 1
            elif c.isspace():
                i += 1
            elif sql.startswith("--", i):
                while i < n and sql[i] != "\n":
                    i += 1
            elif sql.startswith("/*", i):
                j = sql.find("*/", i + 2)
                j = n if j < 0 else j + 2
                line += sql.count("\n", i, j)
                k = sql.rfind("\n", i, j)
                if k >= 0:
                    lstart = k + 1
                i = j
            else:
                break
        col = i - lstart + 1
        if i >= n:
            toks.append(Tok("eof", None, "EOF", line, col))
            return toks
        c = sql[i]
        if c == '"':
            text, j = _scan_quoted(sql, i, '"', "delimited identifier", line, col)
            toks.append(Tok("qid", text, sql[i:j], line, col))
            i = j
        elif c == "'":
            text, j = _scan_quoted(sql, i, "'", "string literal", line, col)
            line += sql.count("\n", i, j)
            toks.append(Tok("str", text, sql[i:j], line, col))
            i = j
        elif c.isdigit() or (c == "." and i + 1 < n and sql[i + 1].isdigit()):
            m = re.compile(r"\d*\.?\d*(?:[eE][+-]?\d+)?").match(sql, i)
            j = m.end()
            toks.append(Tok("num", sql[i:j], sql[i:j], line, col))
            i = j
        elif c.isalpha() or c == "_":
            j = i + 1
            while j < n and (sql[j].isalnum() or sql[j] in "_$"):
                j += 1
            toks.append(Tok("id", sql[i:j], sql[i:j], line, col))
            i = j
        elif c == "$":
            j = i + 1
            while j < n and (sql[j].isalnum() or sql[j] == "_"):
                j += 1
            toks.append(Tok("param", sql[i + 1:j], sql[i:j], line, col))
            i = j
        else:
            for op in _OPS:
                if sql.startswith(op, i):
                    toks.append(Tok("op", op, op, line, col))
                    i += len(op)
                    break
            else:
                raise QueryError("plan", "SQL error: TokenizerError(%s)" % _rust_debug(
                    "Unexpected character '%s' at Line: %d, Column: %d" % (c, line, col)))


_RESERVED = {"SELECT", "FROM", "WHERE", "GROUP", "ORDER", "LIMIT", "OFFSET", "HAVING", "AND", "OR",
             "NOT", "AS", "ON", "JOIN", "INNER", "LEFT", "RIGHT", "FULL", "CROSS", "UNION", "BY",
             "ASC", "DESC", "NULLS", "IS", "IN", "BETWEEN", "LIKE", "ILIKE", "CASE", "WHEN", "THEN",
             "ELSE", "END", "WITH", "DISTINCT", "ALL", "EXCEPT", "INTERSECT", "WINDOW", "QUALIFY",
             "USING", "NATURAL", "OUTER", "FETCH", "INTO"}

_TYPE_NAMES = {
    "BIGINT": "i64", "INT": "i64", "INTEGER": "i64", "SMALLINT": "i64", "TINYINT": "i64",
    "INT8": "i64", "INT64": "i64", "DOUBLE": "f64", "FLOAT": "f64", "REAL": "f64", "FLOAT8": "f64",
    "FLOAT64": "f64", "DECIMAL": "f64", "NUMERIC": "f64", "VARCHAR": "str", "TEXT": "str",
    "STRING": "str", "CHAR": "str", "BOOLEAN": "bool", "BOOL": "bool", "TIMESTAMP": "ts",
    "BIGINT UNSIGNED": "u64", "UBIGINT": "u64",
}


class Parser:
    """Recursive-descent parser producing tuples:
    ('col', [name,...]) ('lit', value, type) ('param', name) ('neg', e) ('not', e)
    ('bin', op, l, r) ('isnull', e, neg) ('in', e, [items], neg) ('between', e, lo, hi, neg)
    ('like', e, pattern, neg, ilike) ('func', name, [args], distinct, star) ('cast', e, type)
    ('interval', ns, text) ('case', operand, [(when, then)], else)."""

    def __init__(self, sql):
        self.toks = tokenize(sql)
        self.i = 0

    @property
    def tok(self):
        return self.toks[self.i]

    def next(self):
        t = self.toks[self.i]
        if t.kind != "eof":
            self.i += 1
        return t

    def accept_kw(self, *words):
        if self.tok.is_kw(*words):
            return self.next()
        return None

    def expect_kw(self, word, what=None):
        if not self.tok.is_kw(word):
            _parse_error(what or word, self.tok)
        return self.next()

    def accept_op(self, op):
        if self.tok.kind == "op" and self.tok.val == op:
            return self.next()
        return None

    def expect_op(self, op):
        if not self.accept_op(op):
            _parse_error(op, self.tok)

    # -- statements ---------------------------------------------------------------------------
    def parse_statement(self):
        t = self.tok
        if t.is_kw("SELECT"):
            stmt = self.parse_select()
        elif t.is_kw("SHOW"):
            stmt = self.parse_show()
        elif t.is_kw("WITH"):
            raise QueryError("notimpl", "This feature is not implemented: WITH (common table "
                                        "expressions) in the influxdb3 emulator")
        elif t.is_kw("EXPLAIN", "INSERT", "UPDATE", "DELETE", "CREATE", "DROP", "SET", "ALTER", "COPY"):
            raise QueryError("notimpl", "This feature is not implemented: %s statements in the "
                                        "influxdb3 emulator" % t.val.upper())
        else:
            _parse_error("an SQL statement", t)
        while self.accept_op(";"):
            if self.tok.kind != "eof":
                raise QueryError("notimpl", "This feature is not implemented: The context currently "
                                            "only supports a single SQL statement")
        if self.tok.kind != "eof":
            _parse_error("end of statement", self.tok)
        return stmt

    def parse_show(self):
        self.next()
        if self.accept_kw("TABLES"):
            return {"kind": "show_tables"}
        full = bool(self.accept_kw("FULL", "EXTENDED"))
        if self.accept_kw("COLUMNS", "FIELDS"):
            if not self.accept_kw("FROM", "IN"):
                _parse_error("FROM or IN", self.tok)
            name = self.parse_object_name()
            return {"kind": "show_columns", "table": name, "full": full}
        raise QueryError("plan", "Error during planning: SHOW %s is not supported by the influxdb3 "
                                 "emulator" % (self.tok.raw,))

    def parse_object_name(self):
        parts = [self.parse_ident("identifier")]
        while self.accept_op("."):
            parts.append(self.parse_ident("identifier"))
        return parts

    def parse_ident(self, what):
        t = self.tok
        if t.kind == "qid":
            self.next()
            return t.val
        if t.kind == "id":
            self.next()
            return t.val.lower()
        _parse_error(what, t)

    def parse_select(self):
        self.expect_kw("SELECT")
        distinct = False
        if self.accept_kw("DISTINCT"):
            distinct = True
        else:
            self.accept_kw("ALL")
        items = []
        while True:
            items.append(self.parse_select_item())
            if not self.accept_op(","):
                break
        stmt = {"kind": "select", "distinct": distinct, "items": items, "from": None, "alias": None,
                "where": None, "group": [], "having": None, "order": [], "limit": None, "offset": None}
        if self.accept_kw("FROM"):
            if self.tok.kind == "op" and self.tok.val == "(":
                raise QueryError("notimpl", "This feature is not implemented: subqueries in FROM in "
                                            "the influxdb3 emulator")
            stmt["from"] = self.parse_object_name()
            if self.accept_kw("AS"):
                stmt["alias"] = self.parse_ident("identifier")
            elif self.tok.kind == "qid" or (self.tok.kind == "id" and self.tok.val.upper() not in _RESERVED):
                stmt["alias"] = self.parse_ident("identifier")
            if self.tok.is_kw("JOIN", "INNER", "LEFT", "RIGHT", "FULL", "CROSS", "NATURAL") or \
                    (self.tok.kind == "op" and self.tok.val == ","):
                raise QueryError("notimpl", "This feature is not implemented: joins in the influxdb3 "
                                            "emulator")
        if self.accept_kw("WHERE"):
            stmt["where"] = self.parse_expr()
        if self.accept_kw("GROUP"):
            self.expect_kw("BY")
            while True:
                stmt["group"].append(self.parse_expr())
                if not self.accept_op(","):
                    break
        if self.accept_kw("HAVING"):
            stmt["having"] = self.parse_expr()
        if self.tok.is_kw("UNION", "EXCEPT", "INTERSECT"):
            raise QueryError("notimpl", "This feature is not implemented: set operations in the "
                                        "influxdb3 emulator")
        if self.accept_kw("ORDER"):
            self.expect_kw("BY")
            while True:
                e = self.parse_expr()
                asc = True
                if self.accept_kw("DESC"):
                    asc = False
                else:
                    self.accept_kw("ASC")
                nulls_first = not asc
                if self.accept_kw("NULLS"):
                    if self.accept_kw("FIRST"):
                        nulls_first = True
                    elif self.accept_kw("LAST"):
                        nulls_first = False
                    else:
                        _parse_error("FIRST or LAST", self.tok)
                stmt["order"].append((e, asc, nulls_first))
                if not self.accept_op(","):
                    break
        for _ in range(2):
            if self.accept_kw("LIMIT"):
                stmt["limit"] = self.parse_count("LIMIT")
            elif self.accept_kw("OFFSET"):
                stmt["offset"] = self.parse_count("OFFSET")
                self.accept_kw("ROWS", "ROW")
        return stmt

    def parse_count(self, what):
        t = self.tok
        if t.kind == "num" and t.val.isdigit():
            self.next()
            return int(t.val)
        if t.is_kw("ALL") and what == "LIMIT":
            self.next()
            return None
        _parse_error("literal int", t)

    def parse_select_item(self):
        t = self.tok
        if t.kind == "op" and t.val == "*":
            self.next()
            return ("star", None)
        # qualifier.*
        if t.kind in ("id", "qid") and self.toks[self.i + 1].kind == "op" and self.toks[self.i + 1].val == "." \
                and self.toks[self.i + 2].kind == "op" and self.toks[self.i + 2].val == "*":
            q = self.parse_ident("identifier")
            self.next()
            self.next()
            return ("star", q)
        e = self.parse_expr()
        alias = None
        if self.accept_kw("AS"):
            alias = self.parse_ident("identifier")
        elif self.tok.kind == "qid" or (self.tok.kind == "id" and self.tok.val.upper() not in _RESERVED):
            alias = self.parse_ident("identifier")
        return ("expr", e, alias)

    # -- expressions --------------------------------------------------------------------------
    def parse_expr(self):
        return self.parse_or()

    def parse_or(self):
        e = self.parse_and()
        while self.accept_kw("OR"):
            e = ("bin", "OR", e, self.parse_and())
        return e

    def parse_and(self):
        e = self.parse_not()
        while self.accept_kw("AND"):
            e = ("bin", "AND", e, self.parse_not())
        return e

    def parse_not(self):
        if self.accept_kw("NOT"):
            return ("not", self.parse_not())
        return self.parse_cmp()

    def parse_cmp(self):
        e = self.parse_concat()
        while True:
            t = self.tok
            if t.kind == "op" and t.val in ("=", "!=", "<>", "<", "<=", ">", ">="):
                self.next()
                op = "!=" if t.val == "<>" else t.val
                e = ("bin", op, e, self.parse_concat())
                continue
            if t.is_kw("IS"):
                self.next()
                neg = bool(self.accept_kw("NOT"))
                if self.accept_kw("NULL"):
                    e = ("isnull", e, neg)
                elif self.accept_kw("TRUE"):
                    e = ("bin", "IS NOT DISTINCT FROM" if not neg else "IS DISTINCT FROM", e, ("lit", True, "bool"))
                elif self.accept_kw("FALSE"):
                    e = ("bin", "IS NOT DISTINCT FROM" if not neg else "IS DISTINCT FROM", e, ("lit", False, "bool"))
                elif self.accept_kw("DISTINCT"):
                    self.expect_kw("FROM")
                    e = ("bin", "IS NOT DISTINCT FROM" if neg else "IS DISTINCT FROM", e, self.parse_concat())
                else:
                    _parse_error("NULL, TRUE, FALSE or DISTINCT", self.tok)
                continue
            neg = False
            save = self.i
            if t.is_kw("NOT"):
                self.next()
                neg = True
            if self.accept_kw("IN"):
                self.expect_op("(")
                if self.tok.is_kw("SELECT"):
                    raise QueryError("notimpl", "This feature is not implemented: subqueries in the "
                                                "influxdb3 emulator")
                items = [self.parse_expr()]
                while self.accept_op(","):
                    items.append(self.parse_expr())
                self.expect_op(")")
                e = ("in", e, items, neg)
                continue
            if self.accept_kw("BETWEEN"):
                lo = self.parse_concat()
                self.expect_kw("AND")
                hi = self.parse_concat()
                e = ("between", e, lo, hi, neg)
                continue
            k = self.accept_kw("LIKE", "ILIKE")
            if k:
                e = ("like", e, self.parse_concat(), neg, k.val.upper() == "ILIKE")
                continue
            self.i = save
            return e

    def parse_concat(self):
        e = self.parse_add()
        while self.accept_op("||"):
            e = ("bin", "||", e, self.parse_add())
        return e

    def parse_add(self):
        e = self.parse_mul()
        while self.tok.kind == "op" and self.tok.val in ("+", "-"):
            op = self.next().val
            e = ("bin", op, e, self.parse_mul())
        return e

    def parse_mul(self):
        e = self.parse_unary()
        while self.tok.kind == "op" and self.tok.val in ("*", "/", "%"):
            op = self.next().val
            e = ("bin", op, e, self.parse_unary())
        return e

    def parse_unary(self):
        if self.accept_op("-"):
            e = self.parse_unary()
            if e[0] == "lit" and e[2] in ("i64", "f64", "u64"):
                v = -e[1]
                typ = "i64" if isinstance(v, int) and v >= I64_MIN else e[2]
                if e[2] == "u64":
                    typ = "i64" if v >= I64_MIN else "f64"
                    v = v if v >= I64_MIN else float(v)
                return ("lit", v, typ)
            return ("neg", e)
        if self.accept_op("+"):
            return self.parse_unary()
        e = self.parse_primary()
        while self.accept_op("::"):
            e = ("cast", e, self.parse_type())
        return e

    def parse_type(self):
        t = self.next()
        if t.kind != "id":
            _parse_error("a data type name", t)
        name = t.val.upper()
        if name == "DOUBLE":
            self.accept_kw("PRECISION")
        if name == "BIGINT" and self.accept_kw("UNSIGNED"):
            name = "BIGINT UNSIGNED"
        if self.accept_op("("):               # VARCHAR(10), DECIMAL(10,2), TIMESTAMP(9)
            while not self.accept_op(")"):
                if self.next().kind == "eof":
                    _parse_error(")", self.tok)
        if name == "TIMESTAMP" and self.accept_kw("WITH", "WITHOUT"):
            self.expect_kw("TIME")
            self.expect_kw("ZONE")
        typ = _TYPE_NAMES.get(name)
        if typ is None:
            raise QueryError("notimpl", "This feature is not implemented: Unsupported SQL type %s" % t.raw)
        return typ

    def parse_primary(self):
        t = self.tok
        if t.kind == "num":
            self.next()
            if re.fullmatch(r"\d+", t.val):
                v = int(t.val)
                if v <= I64_MAX:
                    return ("lit", v, "i64")
                if v <= U64_MAX:
                    return ("lit", v, "u64")
                return ("lit", float(v), "f64")
            try:
                return ("lit", float(t.val), "f64")
            except ValueError:
                _parse_error("a number", t)
        if t.kind == "str":
            self.next()
            return ("lit", t.val, "str")
        if t.kind == "param":
            self.next()
            return ("param", t.val)
        if t.kind == "op" and t.val == "(":
            self.next()
            if self.tok.is_kw("SELECT"):
                raise QueryError("notimpl", "This feature is not implemented: subqueries in the "
                                            "influxdb3 emulator")
            e = self.parse_expr()
            self.expect_op(")")
            return e
        if t.kind == "qid":
            return self.parse_name_or_call()
        if t.kind == "id":
            u = t.val.upper()
            if u == "NULL":
                self.next()
                return ("lit", None, "null")
            if u in ("TRUE", "FALSE"):
                self.next()
                return ("lit", u == "TRUE", "bool")
            if u == "CAST" or u == "TRY_CAST":
                self.next()
                self.expect_op("(")
                e = self.parse_expr()
                self.expect_kw("AS")
                typ = self.parse_type()
                self.expect_op(")")
                return ("cast", e, typ)
            if u == "INTERVAL":
                self.next()
                s = self.tok
                if s.kind != "str":
                    _parse_error("an interval literal string", s)
                self.next()
                text = s.val
                unit = self.accept_kw("NANOSECOND", "NANOSECONDS", "MICROSECOND", "MICROSECONDS",
                                      "MILLISECOND", "MILLISECONDS", "SECOND", "SECONDS", "MINUTE",
                                      "MINUTES", "HOUR", "HOURS", "DAY", "DAYS", "WEEK", "WEEKS")
                if unit:
                    text = text + " " + unit.val
                return ("interval", parse_interval(text), s.val)
            if u == "TIMESTAMP" and self.toks[self.i + 1].kind == "str":
                self.next()
                s = self.next()
                return ("cast", ("lit", s.val, "str"), "ts")
            if u == "CASE":
                return self.parse_case()
            if u in _RESERVED:
                _parse_error("an expression", t)
            return self.parse_name_or_call()
        _parse_error("an expression", t)

    def parse_case(self):
        self.next()
        operand = None
        if not self.tok.is_kw("WHEN"):
            operand = self.parse_expr()
        whens = []
        while self.accept_kw("WHEN"):
            c = self.parse_expr()
            self.expect_kw("THEN")
            whens.append((c, self.parse_expr()))
        if not whens:
            _parse_error("WHEN", self.tok)
        other = self.parse_expr() if self.accept_kw("ELSE") else None
        self.expect_kw("END")
        return ("case", operand, whens, other)

    def parse_name_or_call(self):
        first = self.tok
        name = self.parse_ident("identifier")
        if self.tok.kind == "op" and self.tok.val == "(":
            self.next()
            fname = first.val.lower()
            if self.accept_op("*"):
                self.expect_op(")")
                return self.parse_over(("func", fname, [], False, True))
            distinct = bool(self.accept_kw("DISTINCT"))
            args = []
            if not self.accept_op(")"):
                while True:
                    args.append(self.parse_expr())
                    if not self.accept_op(","):
                        break
                self.expect_op(")")
            return self.parse_over(("func", fname, args, distinct, False))
        parts = [name]
        while self.tok.kind == "op" and self.tok.val == "." and self.toks[self.i + 1].kind in ("id", "qid"):
            self.next()
            parts.append(self.parse_ident("identifier"))
        return ("col", parts)

    def parse_over(self, f):
        if self.tok.is_kw("OVER"):
            raise QueryError("notimpl", "This feature is not implemented: window functions in the "
                                        "influxdb3 emulator")
        return f


_INTERVAL_UNITS = {
    "nanosecond": 1, "nanoseconds": 1, "ns": 1, "microsecond": 1000, "microseconds": 1000, "us": 1000,
    "millisecond": 1000000, "milliseconds": 1000000, "ms": 1000000, "second": NS_PER_S,
    "seconds": NS_PER_S, "sec": NS_PER_S, "secs": NS_PER_S, "s": NS_PER_S, "minute": 60 * NS_PER_S,
    "minutes": 60 * NS_PER_S, "min": 60 * NS_PER_S, "mins": 60 * NS_PER_S, "m": 60 * NS_PER_S,
    "hour": 3600 * NS_PER_S, "hours": 3600 * NS_PER_S, "h": 3600 * NS_PER_S,
    "day": 86400 * NS_PER_S, "days": 86400 * NS_PER_S, "d": 86400 * NS_PER_S,
    "week": 7 * 86400 * NS_PER_S, "weeks": 7 * 86400 * NS_PER_S, "w": 7 * 86400 * NS_PER_S,
}


def parse_interval(text):
    total = 0
    parts = re.findall(r"(-?\d+(?:\.\d+)?)\s*([A-Za-z]+)", text)
    if not parts or re.sub(r"(-?\d+(?:\.\d+)?)\s*([A-Za-z]+)", "", text).strip():
        raise QueryError("plan", "Error during planning: Invalid interval '%s' (the influxdb3 emulator "
                                 "supports nanosecond..week units)" % text)
    for num, unit in parts:
        mult = _INTERVAL_UNITS.get(unit.lower())
        if mult is None:
            raise QueryError("plan", "Error during planning: Invalid interval unit '%s'" % unit)
        total += int(float(num) * mult) if "." in num else int(num) * mult
    return total


# ---------------------------------------------------------------------------------------------
# SQL planner: resolves names, types expressions, folds time constants, emits sqlite SQL
# ---------------------------------------------------------------------------------------------

# Expression types: ts tag str i64 u64 f64 bool null interval
_NUMERIC = ("i64", "u64", "f64")
_STRINGY = ("str", "tag")
ARROW_TYPE_NAME = {"i64": "Int64", "u64": "UInt64", "f64": "Float64", "str": "Utf8", "tag": "Utf8",
                   "bool": "Boolean", "null": "Null", "interval": "Interval(MonthDayNano)"}


class TExpr:
    __slots__ = ("sql", "typ", "agg", "const", "val", "bounds", "is_time")

    def __init__(self, sql, typ, agg=False, const=False, val=None, bounds=None, is_time=False):
        self.sql, self.typ, self.agg, self.const, self.val = sql, typ, agg, const, val
        self.bounds, self.is_time = bounds, is_time


def sql_literal(v, typ):
    if v is None:
        return "NULL"
    if typ == "bool":
        return "1" if v else "0"
    if typ in ("i64", "ts", "interval"):
        return str(int(v))
    if typ == "u64":
        return str(v) if v <= I64_MAX else "'%020d'" % v
    if typ == "f64":
        if v != v:
            return "NULL"
        if v in (_INF, -_INF):
            return "9e999" if v > 0 else "-9e999"
        return repr(float(v))
    s = str(v)
    if "\0" in s:
        return "CAST(X'%s' AS TEXT)" % s.encode("utf-8").hex()
    return "'" + s.replace("'", "''") + "'"


def lit(v, typ):
    return TExpr(sql_literal(v, typ), typ, const=True, val=v)


class Source:
    """One FROM table: iox table, virtual information_schema/system table, or none."""

    def __init__(self, ref_text, qualifiers, columns, sqlfrom, table=None, virtual=None):
        self.ref_text = ref_text           # qualifier used in DataFusion display names
        self.qualifiers = qualifiers       # accepted qualifiers for column refs (tuples)
        self.columns = columns             # list of (name, typ, sqlexpr)
        self.by_name = {c[0]: c for c in columns}
        self.sqlfrom = sqlfrom
        self.table = table
        self.virtual = virtual             # (temp table name, rows)


_AGG_FUNCS = ("count", "sum", "avg", "mean", "min", "max")


class Planner:
    def __init__(self, settings, db, params, now_ns):
        self.settings = settings
        self.db = db
        self.params = params or {}
        self.now_ns = now_ns
        self.src = None

    # -- entry --------------------------------------------------------------------------------
    def plan(self, sql):
        stmt = Parser(sql).parse_statement()
        if stmt["kind"] == "show_tables":
            stmt = self._select_star(["information_schema", "tables"])
        elif stmt["kind"] == "show_columns":
            stmt = self._show_columns(stmt)
        return self.plan_select(stmt)

    @staticmethod
    def _select_star(ref, where=None, cols=None):
        items = [("star", None)] if cols is None else [("expr", ("col", [c]), None) for c in cols]
        return {"kind": "select", "distinct": False, "items": items, "from": ref, "alias": None,
                "where": where, "group": [], "having": None, "order": [], "limit": None, "offset": None}

    def _show_columns(self, stmt):
        ref = stmt["table"]
        self.resolve_table(ref)                # an unknown table is an error before anything else
        where = ("bin", "=", ("col", ["table_name"]), ("lit", ref[-1], "str"))
        if len(ref) >= 2:
            where = ("bin", "AND", where, ("bin", "=", ("col", ["table_schema"]), ("lit", ref[-2], "str")))
        cols = None if stmt["full"] else ["table_catalog", "table_schema", "table_name", "column_name",
                                          "data_type", "is_nullable"]
        return self._select_star(["information_schema", "columns"], where, cols)

    # -- tables -------------------------------------------------------------------------------
    def resolve_table(self, ref, alias=None):
        if len(ref) == 1:
            catalog, schema, name = "public", "iox", ref[0]
        elif len(ref) == 2:
            catalog, (schema, name) = "public", ref
        elif len(ref) == 3:
            catalog, schema, name = ref
        else:
            raise QueryError("plan", "Error during planning: Unsupported compound identifier '%s'" % ".".join(ref))
        full = "%s.%s.%s" % (catalog, schema, name)
        shown = ".".join(ref)
        quals = {tuple(ref[i:]) for i in range(len(ref))} if alias is None else {(alias,)}
        qual_text = alias if alias is not None else shown
        not_found = QueryError("plan", "Error during planning: table '%s' not found" % full)
        if catalog != "public":
            raise not_found
        if schema == "iox":
            t = self.db.tables.get(name)
            if t is None:
                raise not_found
            cols = []
            for c in t.sorted:
                typ = "ts" if c.kind == "time" else c.kind
                cols.append((c.name, typ, c.sqlname))
            return Source(qual_text, quals, cols, t.sqlname, table=t)
        if schema == "information_schema":
            if name == "tables":
                return self._virtual(qual_text, quals, "v_tables",
                                     [("table_catalog", "str"), ("table_schema", "str"),
                                      ("table_name", "str"), ("table_type", "str")], self._tables_rows())
            if name == "columns":
                return self._virtual(qual_text, quals, "v_columns", _COLUMNS_SCHEMA, self._columns_rows())
            if name in INFO_SCHEMA_VIEWS:
                raise QueryError("notimpl", "This feature is not implemented: information_schema.%s in "
                                            "the influxdb3 emulator" % name)
            raise not_found
        if schema == "system":
            if name == "influxdb_schema":
                rows = []
                for tname in sorted(self.db.tables):
                    for c in self.db.tables[tname].sorted:
                        rows.append((tname, c.name, KIND_INFLUX[c.kind]))
                return self._virtual(qual_text, quals, "v_influxdb_schema",
                                     [("measurement", "str"), ("key", "str"), ("data_type", "str")], rows)
            if name in self._system_tables():
                raise QueryError("notimpl", "This feature is not implemented: system.%s in the "
                                            "influxdb3 emulator" % name)
            raise not_found
        raise not_found

    @staticmethod
    def _virtual(qual_text, quals, temp, schema, rows):
        cols = [(name, typ, "c%d" % i) for i, (name, typ) in enumerate(schema)]
        return Source(qual_text, quals, cols, temp, virtual=(temp, rows))

    def _system_tables(self):
        names = list(SYSTEM_TABLES)
        if self.db.name == "_internal":
            names = sorted(names + INTERNAL_EXTRA_SYSTEM_TABLES)
        return names

    def _tables_rows(self):
        rows = [("public", "iox", n, "BASE TABLE") for n in sorted(self.db.tables)]
        rows += [("public", "system", n, "BASE TABLE") for n in self._system_tables()]
        rows += [("public", "information_schema", n, "VIEW") for n in INFO_SCHEMA_VIEWS]
        return rows

    def _columns_rows(self):
        rows = []
        tt = self.settings.time_type
        for tname in sorted(self.db.tables):
            for i, c in enumerate(self.db.tables[tname].sorted):
                dt = tt if c.kind == "time" else KIND_ARROW[c.kind]
                rows.append(("public", "iox", tname, c.name, i, None,
                             "NO" if c.kind == "time" else "YES", dt, None,
                             2147483647 if c.kind == "str" else None,
                             24 if c.kind == "f64" else None, 2 if c.kind == "f64" else None,
                             None, None, None))
        return rows

    # -- SELECT -------------------------------------------------------------------------------
    def plan_select(self, stmt):
        if stmt["from"] is not None:
            self.src = self.resolve_table(stmt["from"], stmt["alias"])
        else:
            self.src = Source("", set(), [], None)
        src = self.src
        outs = []          # (name, TExpr)
        for item in stmt["items"]:
            if item[0] == "star":
                if item[1] is not None and (item[1],) not in src.qualifiers:
                    raise QueryError("plan", "Error during planning: Invalid qualifier %s" % item[1])
                if not src.columns:
                    raise QueryError("plan", "Error during planning: SELECT * with no tables specified is "
                                             "not valid")
                for name, typ, sqlx in src.columns:
                    outs.append((name, TExpr(sqlx, typ, is_time=(typ == "ts"))))
            else:
                _, e, alias = item
                te = self.compile(e)
                outs.append((alias if alias is not None else self.display(e, top=True), te))
        seen = {}
        for pos, (name, _) in enumerate(outs):
            if name in seen:
                raise QueryError("plan", 'Error during planning: Projections require unique expression '
                                         'names but the expression "%s" at position %d and "%s" at '
                                         'position %d have the same name. Consider aliasing ("AS") one '
                                         'of them.' % (name, seen[name], name, pos))
            seen[name] = pos
        bounds = None
        where_sql = None
        if stmt["where"] is not None:
            w = self.compile(stmt["where"])
            if w.agg:
                raise QueryError("plan", "Error during planning: Aggregate functions are not allowed in "
                                         "the WHERE clause. Consider using HAVING instead")
            self._need_bool(w, "WHERE")
            where_sql = w.sql
            bounds = w.bounds
        group = []
        for g in stmt["group"]:
            # GROUP BY 2 and GROUP BY <select alias> refer to select items (input columns win)
            if g[0] == "lit" and g[2] == "i64" and 1 <= g[1] <= len(outs):
                group.append(outs[g[1] - 1][1])
            elif g[0] == "col" and len(g[1]) == 1 and g[1][0] not in src.by_name and \
                    g[1][0] in [n for n, _ in outs]:
                group.append(outs[[n for n, _ in outs].index(g[1][0])][1])
            else:
                group.append(self.compile(g))
        having = self.compile(stmt["having"]) if stmt["having"] is not None else None
        aggregate = bool(group) or any(te.agg for _, te in outs) or (having is not None and having.agg)
        if aggregate:
            gsql = {g.sql for g in group}
            for name, te in outs:
                if not te.agg and not te.const and te.sql not in gsql:
                    aggs = [n for n, t in outs if t.agg]
                    raise QueryError("plan", 'Error during planning: Column in SELECT must be in GROUP BY '
                                             'or an aggregate function: "%s" must appear in the GROUP BY '
                                             'clause or must be part of an aggregate function, currently '
                                             'only %s appears in the SELECT clause satisfies this '
                                             'requirement' % (name, ", ".join('"%s"' % a for a in aggs) or "nothing"))
        parts = ["SELECT "]
        if stmt["distinct"]:
            parts.append("DISTINCT ")
        parts.append(", ".join("%s AS _c%d" % (te.sql, i) for i, (_, te) in enumerate(outs)))
        if src.sqlfrom:
            parts.append(" FROM " + src.sqlfrom)
        if where_sql:
            parts.append(" WHERE " + where_sql)
        if group:
            parts.append(" GROUP BY " + ", ".join(g.sql for g in group))
        if having is not None:
            parts.append(" HAVING " + having.sql)
        if stmt["order"]:
            obs = []
            names = [n for n, _ in outs]
            for e, asc, nulls_first in stmt["order"]:
                sqlx = None
                if e[0] == "lit" and e[2] == "i64":
                    if not 1 <= e[1] <= len(outs):
                        raise QueryError("plan", "Error during planning: Order by index starts at 1 for "
                                                 "column indexes")
                    sqlx = "_c%d" % (e[1] - 1)
                elif e[0] == "col" and len(e[1]) == 1 and e[1][0] in names:
                    sqlx = "_c%d" % names.index(e[1][0])     # output names (aliases) win
                else:
                    sqlx = self.compile(e).sql
                obs.append("%s %s NULLS %s" % (sqlx, "ASC" if asc else "DESC", "FIRST" if nulls_first else "LAST"))
            parts.append(" ORDER BY " + ", ".join(obs))
        if stmt["limit"] is not None or stmt["offset"] is not None:
            parts.append(" LIMIT %d" % (stmt["limit"] if stmt["limit"] is not None else -1))
            if stmt["offset"]:
                parts.append(" OFFSET %d" % stmt["offset"])
        columns = [(name, te.typ) for name, te in outs]
        return Plan("".join(parts), columns, src, bounds)

    @staticmethod
    def _need_bool(te, where):
        if te.typ not in ("bool", "null"):
            raise QueryError("plan", "Error during planning: Cannot create filter with non-boolean "
                                     "predicate '%s' returning %s" % (where, ARROW_TYPE_NAME.get(te.typ, te.typ)))

    # -- display names (DataFusion schema_name style) -----------------------------------------
    def display(self, e, top=False):
        k = e[0]
        if k == "col":
            name = e[1][-1]
            if top:
                return name
            q = self.src.ref_text
            return "%s.%s" % (q, name) if q else name
        if k == "lit":
            v, typ = e[1], e[2]
            if typ == "null":
                return "NULL"
            if typ == "str":
                return 'Utf8("%s")' % v
            if typ == "bool":
                return "Boolean(%s)" % ("true" if v else "false")
            if typ == "f64":
                return "Float64(%s)" % _rust_f64_display(v)
            return "%s(%s)" % (ARROW_TYPE_NAME[typ], v)
        if k == "param":
            return "$" + e[1]
        if k == "neg":
            return "(- %s)" % self.display(e[1])
        if k == "not":
            return "NOT %s" % self.display(e[1])
        if k == "bin":
            return "%s %s %s" % (self.display(e[2]), e[1], self.display(e[3]))
        if k == "isnull":
            return "%s IS %sNULL" % (self.display(e[1]), "NOT " if e[2] else "")
        if k == "in":
            return "%s %sIN ([%s])" % (self.display(e[1]), "NOT " if e[3] else "",
                                       ", ".join(self.display(x) for x in e[2]))
        if k == "between":
            return "%s %sBETWEEN %s AND %s" % (self.display(e[1]), "NOT " if e[4] else "",
                                              self.display(e[2]), self.display(e[3]))
        if k == "like":
            return "%s %s%s %s" % (self.display(e[1]), "NOT " if e[3] else "", "ILIKE" if e[4] else "LIKE",
                                   self.display(e[2]))
        if k == "func":
            if e[4]:
                return "%s(*)" % e[1]
            return "%s(%s%s)" % (e[1], "DISTINCT " if e[3] else "", ", ".join(self.display(a) for a in e[2]))
        if k == "cast":
            return "CAST(%s AS %s)" % (self.display(e[1]), {"ts": "Timestamp(ns)"}.get(e[2], ARROW_TYPE_NAME.get(e[2], e[2])))
        if k == "interval":
            return 'IntervalMonthDayNano("%s")' % e[2]
        if k == "case":
            return "CASE ... END"
        return "?"

    # -- expressions --------------------------------------------------------------------------
    def compile(self, e):
        k = e[0]
        return getattr(self, "_c_" + k)(e)

    def _c_col(self, e):
        parts = e[1]
        name = parts[-1]
        qual = tuple(parts[:-1])
        c = self.src.by_name.get(name)
        if c is None or (qual and qual not in self.src.qualifiers):
            shown = ".".join(parts)
            valid = ", ".join("%s.%s" % (self.src.ref_text, _df_ident(n)) for n, _, _ in self.src.columns)
            raise QueryError("schema", "Schema error: No field named %s. Valid fields are %s." % (
                _df_ident(shown) if not qual else shown, valid) if valid else
                "Schema error: No field named %s." % _df_ident(shown))
        return TExpr(c[2], c[1], is_time=(c[1] == "ts" and self.src.table is not None and name == "time"))

    def _c_lit(self, e):
        return lit(e[1], e[2])

    def _c_param(self, e):
        name = e[1]
        if name not in self.params:
            raise QueryError("plan", "Error during planning: No value found for placeholder with name $%s" % name)
        v = self.params[name]
        if v is None:
            return lit(None, "null")
        if isinstance(v, bool):
            return lit(v, "bool")
        if isinstance(v, int):
            return lit(v, "u64" if v >= 0 else "i64")
        if isinstance(v, float):
            return lit(v, "f64")
        return lit(v, "str")

    def _c_interval(self, e):
        return TExpr(str(e[1]), "interval", const=True, val=e[1])

    def _c_neg(self, e):
        a = self.compile(e[1])
        if a.typ not in _NUMERIC + ("interval", "null"):
            raise QueryError("plan", "Error during planning: Negation only supports numeric, interval and "
                                     "timestamp types")
        if a.const and a.val is not None:
            return TExpr(sql_literal(-a.val, a.typ), a.typ, const=True, val=-a.val)
        return TExpr("(-%s)" % a.sql, a.typ, agg=a.agg)

    def _c_not(self, e):
        a = self.compile(e[1])
        self._need_bool_expr(a, "NOT")
        return TExpr("(NOT %s)" % a.sql, "bool", agg=a.agg)

    @staticmethod
    def _need_bool_expr(a, op):
        if a.typ not in ("bool", "null"):
            raise QueryError("plan", "Error during planning: Cannot infer common argument type for "
                                     "logical boolean operation %s %s Boolean" % (ARROW_TYPE_NAME.get(a.typ, "Timestamp(ns)"), op))

    def _to_ts(self, a):
        """Coerce a constant string (or NULL) to a timestamp constant, as DataFusion casts literals."""
        if a.typ == "str" and a.const:
            try:
                return lit(parse_time_literal(a.val), "ts")
            except TimeParseError as ex:
                raise QueryError("arrow", "Arrow error: Parser error: %s" % ex)
        return a

    def _coerce_cmp(self, a, b, op):
        if a.typ == "ts" and b.typ == "str":
            b = self._to_ts(b)
        elif b.typ == "ts" and a.typ == "str":
            a = self._to_ts(a)
        ta, tb = a.typ, b.typ
        ok = (ta == tb or "null" in (ta, tb) or (ta in _NUMERIC and tb in _NUMERIC)
              or (ta in _STRINGY and tb in _STRINGY))
        if not ok:
            # DataFusion casts string literals to the other side's type
            if tb == "str" and b.const:
                b = self._cast_const(b, ta)
            elif ta == "str" and a.const:
                a = self._cast_const(a, tb)
            else:
                raise QueryError("plan", "Error during planning: Cannot infer common argument type for "
                                         "comparison operation %s %s %s" % (
                                             _arrow_name(ta, self.settings), op, _arrow_name(tb, self.settings)))
        return a, b

    def _cast_const(self, a, typ):
        v = a.val
        try:
            if typ in ("i64", "u64"):
                return lit(int(v), typ)
            if typ == "f64":
                return lit(float(v), typ)
            if typ == "bool":
                if v.lower() in ("true", "t", "1"):
                    return lit(True, "bool")
                if v.lower() in ("false", "f", "0"):
                    return lit(False, "bool")
                raise ValueError(v)
            if typ == "ts":
                return self._to_ts(a)
        except ValueError:
            pass
        raise QueryError("arrow", "Arrow error: Cast error: Cannot cast string '%s' to value of %s type"
                         % (v, _arrow_name(typ, self.settings)))

    def _c_bin(self, e):
        op = e[1]
        a = self.compile(e[2])
        b = self.compile(e[3])
        agg = a.agg or b.agg
        if op in ("AND", "OR"):
            self._need_bool_expr(a, op)
            self._need_bool_expr(b, op)
            bounds = None
            if op == "AND":
                bounds = _intersect(a.bounds, b.bounds)
            return TExpr("(%s %s %s)" % (a.sql, op, b.sql), "bool", agg=agg, bounds=bounds)
        if op in ("=", "!=", "<", "<=", ">", ">=", "IS DISTINCT FROM", "IS NOT DISTINCT FROM"):
            a, b = self._coerce_cmp(a, b, op)
            sqlop = {"IS DISTINCT FROM": "IS NOT", "IS NOT DISTINCT FROM": "IS"}.get(op, op)
            bounds = None
            if a.is_time and b.const and b.typ == "ts":
                bounds = _cmp_bounds(op, b.val)
            elif b.is_time and a.const and a.typ == "ts":
                bounds = _cmp_bounds(_FLIP.get(op, op), a.val)
            return TExpr("(%s %s %s)" % (a.sql, sqlop, b.sql), "bool", agg=agg, bounds=bounds)
        if op == "||":
            return TExpr("(%s || %s)" % (self._text(a), self._text(b)), "str", agg=agg)
        # arithmetic
        if a.typ == "ts" or b.typ == "ts":
            if op in ("+", "-") and a.typ == "ts" and b.typ == "interval":
                v = None
                if a.const and b.const:
                    v = a.val + b.val if op == "+" else a.val - b.val
                    return lit(v, "ts")
                return TExpr("(%s %s %s)" % (a.sql, op, b.sql), "ts", agg=agg)
            if op == "+" and a.typ == "interval" and b.typ == "ts":
                if a.const and b.const:
                    return lit(a.val + b.val, "ts")
                return TExpr("(%s + %s)" % (a.sql, b.sql), "ts", agg=agg)
            if op == "-" and a.typ == "ts" and b.typ == "ts":
                raise QueryError("notimpl", "This feature is not implemented: timestamp - timestamp "
                                            "(Duration) in the influxdb3 emulator")
        if a.typ == "interval" and b.typ == "interval" and op in ("+", "-"):
            v = a.val + b.val if op == "+" else a.val - b.val
            return TExpr(str(v), "interval", const=True, val=v)
        if a.typ == "str" and a.const and b.typ in _NUMERIC:
            a = self._cast_const(a, b.typ)
        if b.typ == "str" and b.const and a.typ in _NUMERIC:
            b = self._cast_const(b, a.typ)
        if a.typ not in _NUMERIC + ("null",) or b.typ not in _NUMERIC + ("null",):
            raise QueryError("plan", "Error during planning: Cannot coerce arithmetic expression %s %s %s "
                                     "to valid types" % (_arrow_name(a.typ, self.settings), op,
                                                         _arrow_name(b.typ, self.settings)))
        if "f64" in (a.typ, b.typ):
            typ = "f64"
        elif a.typ == "null":
            typ = b.typ
        elif b.typ == "null" or a.typ == b.typ:
            typ = a.typ
        else:
            typ = "i64"
        asql, bsql = a.sql, b.sql
        if typ == "f64" and op == "/":
            asql = "(%s * 1.0)" % asql
        return TExpr("(%s %s %s)" % (asql, op, bsql), typ, agg=agg)

    @staticmethod
    def _text(a):
        if a.typ == "bool":
            return "(CASE %s WHEN 1 THEN 'true' WHEN 0 THEN 'false' END)" % a.sql
        return a.sql

    def _c_isnull(self, e):
        a = self.compile(e[1])
        return TExpr("(%s IS %sNULL)" % (a.sql, "NOT " if e[2] else ""), "bool", agg=a.agg)

    def _c_in(self, e):
        a = self.compile(e[1])
        items = []
        for x in e[2]:
            a2, b = self._coerce_cmp(a, self.compile(x), "IN")
            items.append(b.sql)
            a = a2
        return TExpr("(%s %sIN (%s))" % (a.sql, "NOT " if e[3] else "", ", ".join(items)), "bool", agg=a.agg)

    def _c_between(self, e):
        a = self.compile(e[1])
        a1, lo = self._coerce_cmp(a, self.compile(e[2]), ">=")
        a2, hi = self._coerce_cmp(a, self.compile(e[3]), "<=")
        bounds = None
        if not e[4] and a.is_time and lo.const and hi.const and lo.typ == "ts" and hi.typ == "ts":
            bounds = (lo.val, hi.val + 1)
        return TExpr("(%s %sBETWEEN %s AND %s)" % (a1.sql, "NOT " if e[4] else "", lo.sql, hi.sql), "bool",
                     agg=a.agg, bounds=bounds)

    def _c_like(self, e):
        a = self.compile(e[1])
        p = self.compile(e[2])
        if a.typ not in _STRINGY + ("null",) or p.typ not in _STRINGY + ("null",):
            raise QueryError("plan", "Error during planning: There isn't a common type to coerce %s and %s "
                                     "in LIKE expression" % (_arrow_name(a.typ, self.settings),
                                                             _arrow_name(p.typ, self.settings)))
        left, right = a.sql, p.sql
        if e[4]:
            left, right = "lower(%s)" % left, "lower(%s)" % right
        # DataFusion LIKE has '\' as the default escape character
        return TExpr("(%s %sLIKE %s ESCAPE '\\')" % (left, "NOT " if e[3] else "", right), "bool", agg=a.agg)

    def _c_cast(self, e):
        a = self.compile(e[1])
        typ = e[2]
        if a.const:
            if a.val is None:
                return lit(None, typ)
            if typ == "ts":
                if a.typ == "str":
                    return self._to_ts(a)
                if a.typ in ("i64", "u64"):
                    return lit(int(a.val), "ts")
                if a.typ == "ts":
                    return a
            if typ == "str":
                return lit(_display_value(a.val, a.typ, self.settings), "str")
            if a.typ == "str":
                return self._cast_const(a, typ)
        if typ == a.typ or (typ == "str" and a.typ == "tag"):
            return TExpr(a.sql, typ, agg=a.agg, is_time=a.is_time)
        if typ in ("i64", "u64"):
            return TExpr("CAST(%s AS INTEGER)" % a.sql, typ, agg=a.agg)
        if typ == "f64":
            return TExpr("CAST(%s AS REAL)" % a.sql, typ, agg=a.agg)
        if typ == "str" and a.typ in _NUMERIC + ("str", "tag"):
            return TExpr("CAST(%s AS TEXT)" % a.sql, typ, agg=a.agg)
        if typ == "ts" and a.typ in ("i64", "u64"):
            return TExpr(a.sql, "ts", agg=a.agg)
        if typ == "bool" and a.typ in _NUMERIC:
            return TExpr("(%s != 0)" % a.sql, "bool", agg=a.agg)
        raise QueryError("notimpl", "This feature is not implemented: CAST from %s to %s in the influxdb3 "
                                    "emulator" % (_arrow_name(a.typ, self.settings), _arrow_name(typ, self.settings)))

    def _c_case(self, e):
        operand = self.compile(e[1]) if e[1] is not None else None
        parts = ["CASE"]
        if operand is not None:
            parts.append(operand.sql)
        typ = "null"
        agg = operand.agg if operand else False
        for cond, val in e[2]:
            c = self.compile(cond)
            v = self.compile(val)
            if operand is not None:
                _, c = self._coerce_cmp(operand, c, "=")
            if typ == "null":
                typ = v.typ
            agg = agg or c.agg or v.agg
            parts.append("WHEN %s THEN %s" % (c.sql, v.sql))
        if e[3] is not None:
            o = self.compile(e[3])
            if typ == "null":
                typ = o.typ
            parts.append("ELSE " + o.sql)
        parts.append("END")
        return TExpr("(%s)" % " ".join(parts), typ, agg=agg)

    def _c_func(self, e):
        name, args, distinct, star = e[1], e[2], e[3], e[4]
        if name in _AGG_FUNCS:
            if star:
                if name != "count":
                    raise QueryError("plan", "Error during planning: %s(*) is not valid" % name)
                return TExpr("count(*)", "i64", agg=True)
            if len(args) != 1:
                raise QueryError("plan", "Error during planning: %s expects exactly one argument" % name)
            a = self.compile(args[0])
            if a.agg:
                raise QueryError("plan", "Error during planning: Aggregate functions cannot be nested")
            d = "DISTINCT " if distinct else ""
            if name == "count":
                return TExpr("count(%s%s)" % (d, a.sql), "i64", agg=True)
            if name in ("min", "max"):
                return TExpr("%s(%s)" % (name, a.sql), a.typ, agg=True)
            if a.typ not in _NUMERIC + ("null",):
                raise QueryError("plan", "Error during planning: Execution error: Function '%s' user-defined "
                                         "coercion failed with \"Execution error: %s does not support inputs "
                                         "of type %s.\"" % (name, name.capitalize(), _arrow_name(a.typ, self.settings)))
            if name == "sum":
                return TExpr("sum(%s%s)" % (d, a.sql), a.typ if a.typ != "null" else "i64", agg=True)
            return TExpr("avg(%s%s)" % (d, a.sql), "f64", agg=True)
        if star:
            raise QueryError("plan", "Error during planning: %s(*) is not supported" % name)
        cargs = [self.compile(a) for a in args]
        agg = any(a.agg for a in cargs)
        if name == "now":
            return lit(self.now_ns, "ts")
        if name in ("to_timestamp", "to_timestamp_nanos", "to_timestamp_micros", "to_timestamp_millis",
                    "to_timestamp_seconds"):
            if len(cargs) != 1:
                raise QueryError("notimpl", "This feature is not implemented: %s with format arguments in "
                                            "the influxdb3 emulator" % name)
            a = cargs[0]
            mult = {"to_timestamp": NS_PER_S, "to_timestamp_seconds": NS_PER_S, "to_timestamp_millis": 1000000,
                    "to_timestamp_micros": 1000, "to_timestamp_nanos": 1}[name]
            if a.typ == "str":
                if a.const:
                    return self._to_ts(a)
                raise QueryError("notimpl", "This feature is not implemented: %s on a column in the "
                                            "influxdb3 emulator" % name)
            if a.typ == "ts":
                return a
            if a.typ in ("i64", "u64"):
                if a.const:
                    return lit(a.val * mult, "ts")
                return TExpr("(%s * %d)" % (a.sql, mult), "ts", agg=agg)
            if a.typ == "f64":
                if a.const:
                    return lit(int(a.val * mult), "ts")
                return TExpr("CAST(%s * %d AS INTEGER)" % (a.sql, mult), "ts", agg=agg)
            if a.typ == "null":
                return lit(None, "ts")
            raise QueryError("plan", "Error during planning: %s does not support %s" % (name, _arrow_name(a.typ, self.settings)))
        if name == "date_bin":
            if len(cargs) not in (2, 3) or cargs[0].typ != "interval" or cargs[1].typ != "ts":
                raise QueryError("plan", "Error during planning: date_bin expects (interval, timestamp[, origin])")
            stride = cargs[0].val
            if stride <= 0:
                raise QueryError("execution", "Execution error: DATE_BIN stride must be non-zero")
            origin = 0
            if len(cargs) == 3:
                o = self._to_ts(cargs[2])
                if not o.const:
                    raise QueryError("notimpl", "This feature is not implemented: non-constant date_bin "
                                                "origin in the influxdb3 emulator")
                origin = o.val
            t = cargs[1].sql
            return TExpr("(%s - ((((%s - %d) %% %d) + %d) %% %d))" % (t, t, origin, stride, stride, stride),
                         "ts", agg=agg)
        if name == "date_trunc":
            if len(cargs) != 2 or not cargs[0].const or cargs[0].typ != "str" or cargs[1].typ != "ts":
                raise QueryError("plan", "Error during planning: date_trunc expects ('unit', timestamp)")
            unit = cargs[0].val.lower()
            t = cargs[1].sql
            fixed = {"second": NS_PER_S, "minute": 60 * NS_PER_S, "hour": 3600 * NS_PER_S,
                     "day": 86400 * NS_PER_S, "millisecond": 1000000, "microsecond": 1000}
            if unit in fixed:
                u = fixed[unit]
                return TExpr("(%s - (((%s %% %d) + %d) %% %d))" % (t, t, u, u, u), "ts", agg=agg)
            if unit in ("month", "year"):
                mod = "start of month" if unit == "month" else "start of year"
                return TExpr("(CAST(strftime('%%s', (%s - (((%s %% %d) + %d) %% %d)) / %d, 'unixepoch', '%s') "
                             "AS INTEGER) * %d)" % (t, t, NS_PER_S, NS_PER_S, NS_PER_S, NS_PER_S, mod, NS_PER_S),
                             "ts", agg=agg)
            raise QueryError("notimpl", "This feature is not implemented: date_trunc('%s') in the influxdb3 "
                                        "emulator" % unit)
        simple = {"lower": ("lower", "str"), "upper": ("upper", "str"), "trim": ("trim", "str"),
                  "ltrim": ("ltrim", "str"), "rtrim": ("rtrim", "str"),
                  "length": ("length", "i64"), "char_length": ("length", "i64"),
                  "character_length": ("length", "i64")}
        if name in simple:
            fn, typ = simple[name]
            return TExpr("%s(%s)" % (fn, ", ".join(a.sql for a in cargs)), typ, agg=agg)
        if name == "abs" and len(cargs) == 1:
            return TExpr("abs(%s)" % cargs[0].sql, cargs[0].typ, agg=agg)
        if name in ("round", "floor", "ceil") and len(cargs) == 1:
            a = cargs[0]
            if name == "round":
                sqlx = "round(%s)" % a.sql
            elif name == "floor":
                sqlx = "(CASE WHEN %s < CAST(%s AS INTEGER) THEN CAST(%s AS INTEGER) - 1 ELSE CAST(%s AS INTEGER) END)" % (a.sql, a.sql, a.sql, a.sql)
            else:
                sqlx = "(CASE WHEN %s > CAST(%s AS INTEGER) THEN CAST(%s AS INTEGER) + 1 ELSE CAST(%s AS INTEGER) END)" % (a.sql, a.sql, a.sql, a.sql)
            return TExpr("CAST(%s AS REAL)" % sqlx, "f64", agg=agg)
        if name in ("coalesce", "nullif", "ifnull", "nvl") and cargs:
            typ = next((a.typ for a in cargs if a.typ != "null"), "null")
            if typ == "ts":
                cargs = [self._to_ts(a) for a in cargs]
            fn = "coalesce" if name != "nullif" else "nullif"
            return TExpr("%s(%s)" % (fn, ", ".join(a.sql for a in cargs)), typ, agg=agg)
        if name in ("concat",):
            return TExpr("(%s)" % " || ".join("coalesce(%s, '')" % self._text(a) for a in cargs), "str", agg=agg)
        raise QueryError("plan", "Error during planning: Invalid function '%s' (not supported by the influxdb3 "
                                 "emulator)" % name)


_FLIP = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "=": "=", "!=": "!="}


def _cmp_bounds(op, v):
    if op == ">=":
        return (v, None)
    if op == ">":
        return (v + 1, None)
    if op == "<":
        return (None, v)
    if op == "<=":
        return (None, v + 1)
    if op in ("=", "IS NOT DISTINCT FROM"):
        return (v, v + 1)
    return None


def _intersect(a, b):
    if a is None:
        return b
    if b is None:
        return a
    lo = max(x for x in (a[0], b[0], I64_MIN) if x is not None)
    his = [x for x in (a[1], b[1]) if x is not None]
    return (lo, min(his) if his else None)


def _df_ident(name):
    return name if re.fullmatch(r"[a-z_][a-z0-9_]*", name) else '"%s"' % name.replace('"', '""')


def _arrow_name(typ, settings):
    if typ == "ts":
        return settings.time_type
    if typ == "tag":
        return "Dictionary(Int32, Utf8)"
    return ARROW_TYPE_NAME.get(typ, typ)


def _display_value(v, typ, settings):
    if typ == "ts":
        return fmt_time(v)
    if typ == "f64":
        return csv_float(v)
    if typ == "bool":
        return "true" if v else "false"
    return str(v)


_COLUMNS_SCHEMA = [("table_catalog", "str"), ("table_schema", "str"), ("table_name", "str"),
                   ("column_name", "str"), ("ordinal_position", "u64"), ("column_default", "str"),
                   ("is_nullable", "str"), ("data_type", "str"), ("character_maximum_length", "u64"),
                   ("character_octet_length", "u64"), ("numeric_precision", "u64"),
                   ("numeric_precision_radix", "u64"), ("numeric_scale", "u64"),
                   ("datetime_precision", "u64"), ("interval_type", "str")]


class Plan:
    def __init__(self, sql, columns, src, bounds):
        self.sql = sql
        self.columns = columns        # [(name, type)]
        self.src = src
        self.bounds = bounds          # (lo, hi) half-open ns range from WHERE, None = unbounded

    def files_scanned(self, settings):
        """Emulated parquet files: the gen1 blocks of this table whose rows' [min, max] time
        overlaps the WHERE time range (the server filters persisted files by their min/max time)."""
        t = self.src.table
        if t is None:
            return 0
        g = settings.gen1_ns
        lo, hi = self.bounds if self.bounds else (None, None)
        blocks = t.blocks
        i = 0 if lo is None else bisect.bisect_left(blocks, lo // g)
        j = len(blocks) if hi is None else bisect.bisect_right(blocks, (hi - 1) // g)
        # only the edge blocks can hold rows entirely outside the range
        if i < j and lo is not None and t.bounds[blocks[i]][1] < lo:
            i += 1
        if i < j and hi is not None and t.bounds[blocks[j - 1]][0] >= hi:
            j -= 1
        return max(0, j - i)


# ---------------------------------------------------------------------------------------------
# Result encoders: generated per query so each row costs one pass of straight-line code
# ---------------------------------------------------------------------------------------------

def _bool_text(v):
    return "true" if v else "false"


def _json_u64(v):
    return str(v) if v.__class__ is int else str(int(v))


def _json_i64(v):
    return str(v) if v.__class__ is int else str(int(v))


_ENC_ENV = {"jf": json_float, "cf": csv_float, "ts": fmt_time, "js": _json_str, "ju": _json_u64,
            "ji": _json_i64, "bt": _bool_text, "cq": csv_field, "str": str}


def make_row_encoder(columns, fmt):
    """Returns f(rows) -> list of encoded rows (str, without separators/newlines)."""
    lines = ["def enc(rows):", "    out = []", "    ap = out.append", "    for r in rows:"]
    if fmt == "json":
        lines.append("        p = []")
        for i, (name, typ) in enumerate(columns):
            if typ == "null":
                continue
            key = _json_str(name) + ":"
            conv = {"ts": "'\"' + ts(v) + '\"'", "tag": "js(v)", "str": "js(v)", "i64": "ji(v)",
                    "u64": "ju(v)", "f64": "jf(v)", "bool": "bt(v)", "interval": "str(v)"}[typ]
            lines.append("        v = r[%d]" % i)
            lines.append("        if v is not None: p.append(%r + %s)" % (key, conv))
        lines.append("        ap('{' + ','.join(p) + '}')")
    else:   # csv
        exprs = []
        for i, (name, typ) in enumerate(columns):
            conv = {"ts": "ts(v)", "tag": "cq(v)", "str": "cq(v)", "i64": "ji(v)", "u64": "ju(v)",
                    "f64": "cf(v)", "bool": "bt(v)", "interval": "str(v)", "null": "''"}[typ]
            exprs.append("('' if (v := r[%d]) is None else %s)" % (i, conv) if typ != "null" else "''")
        if len(columns) == 1:
            lines.append("        f = %s" % exprs[0])
            lines.append("        ap(f if f else '\"\"')")
        else:
            lines.append("        ap(','.join((%s,)))" % ", ".join(exprs))
    lines.append("    return out")
    env = dict(_ENC_ENV)
    exec("\n".join(lines), env)
    return env["enc"]


def pretty_table(columns, rows):
    """arrow pretty_format_batches: +---+ borders, left aligned, no trailing newline."""
    if not columns:
        return "++\n++"
    cells = []
    for r in rows:
        line = []
        for (name, typ), v in zip(columns, r):
            line.append("" if v is None else _pretty_value(v, typ))
        cells.append(line)
    widths = [len(n) for n, _ in columns]
    for line in cells:
        for i, c in enumerate(line):
            widths[i] = max(widths[i], len(c))
    sep = "+" + "+".join("-" * (w + 2) for w in widths) + "+"
    out = [sep, "|" + "|".join(" %s " % n.ljust(w) for (n, _), w in zip(columns, widths)) + "|", sep]
    for line in cells:
        out.append("|" + "|".join(" %s " % c.ljust(w) for c, w in zip(line, widths)) + "|")
    if cells:
        out.append(sep)
    return "\n".join(out)


def _pretty_value(v, typ):
    if typ == "ts":
        return fmt_time(v)
    if typ == "f64":
        return csv_float(v)
    if typ == "bool":
        return "true" if v else "false"
    if typ == "u64":
        return _json_u64(v)
    return str(v)


def convert_row_values(rows, columns):
    """For callers that need Python values (v1 /query): u64 text -> int, bool int -> bool."""
    fixes = [(i, typ) for i, (_, typ) in enumerate(columns) if typ in ("u64", "bool")]
    if not fixes:
        return rows
    out = []
    for r in rows:
        r = list(r)
        for i, typ in fixes:
            if r[i] is not None:
                r[i] = bool(r[i]) if typ == "bool" else u64_value(r[i])
        out.append(r)
    return out


# ---------------------------------------------------------------------------------------------
# InfluxQL subset (for /api/v3/query_influxql and /query): SHOW DATABASES / MEASUREMENTS /
# TAG KEYS / FIELD KEYS and non-aggregate SELECT ... FROM m [WHERE] [ORDER BY time] [LIMIT].
# Translated to the SQL planner's statement form.
# ---------------------------------------------------------------------------------------------

class InfluxQLError(Exception):
    pass


_IQL_TOKEN = re.compile(r"""\s*(?:
    (?P<dur>\d+(?:ns|us|u|µ|ms|s|m|h|d|w)(?![A-Za-z0-9_]))|
    (?P<num>\d+(?:\.\d*)?(?:[eE][+-]?\d+)?)|
    (?P<id>[A-Za-z_][A-Za-z0-9_]*)|
    (?P<qid>"(?:[^"\\]|\\.)*")|
    (?P<str>'(?:[^'\\]|\\.)*')|
    (?P<op><=|>=|!=|<>|=~|!~|[=<>+\-*/(),.;])
)""", re.X)

_IQL_DUR = {"ns": 1, "u": 1000, "µ": 1000, "us": 1000, "ms": 1000000, "s": NS_PER_S, "m": 60 * NS_PER_S,
            "h": 3600 * NS_PER_S, "d": 86400 * NS_PER_S, "w": 7 * 86400 * NS_PER_S}


def _iql_unescape(s):
    return re.sub(r"\\(.)", r"\1", s[1:-1])


def iql_tokenize(q):
    toks = []
    pos = 0
    q = q.rstrip()
    while pos < len(q):
        m = _IQL_TOKEN.match(q, pos)
        if not m or m.end() == pos:
            raise InfluxQLError("parsing error: invalid character at pos %d" % pos)
        pos = m.end()
        kind = m.lastgroup
        text = m.group(kind)
        if kind == "dur":
            num, unit = re.match(r"(\d+)(\D+)", text).groups()
            toks.append(("dur", int(num) * _IQL_DUR[unit]))
        elif kind == "qid":
            toks.append(("id", _iql_unescape(text)))
        elif kind == "str":
            toks.append(("str", _iql_unescape(text)))
        else:
            toks.append((kind, text))
    toks.append(("eof", None))
    return toks


def iql_split_statements(q):
    parts, cur, quote = [], [], None
    for c in q:
        if quote:
            cur.append(c)
            if c == quote:
                quote = None
        elif c in "'\"":
            quote = c
            cur.append(c)
        elif c == ";":
            parts.append("".join(cur))
            cur = []
        else:
            cur.append(c)
    parts.append("".join(cur))
    return [p for p in parts if p.strip()]


class InfluxQL:
    """Parses one InfluxQL statement into ('show_databases',), ('show_measurements',),
    ('show_tag_keys', m), ('show_field_keys', m) or ('select', stmt, measurement, db)."""

    def __init__(self, text):
        self.t = iql_tokenize(text)
        self.i = 0

    def peek(self, k=0):
        return self.t[self.i + k]

    def kw(self, *words):
        t = self.peek()
        if t[0] == "id" and t[1].upper() in words:
            self.i += 1
            return t[1].upper()
        return None

    def expect_kw(self, word):
        if not self.kw(word):
            raise InfluxQLError("parsing error: expected %s at pos %d" % (word, self.i))

    def op(self, o):
        t = self.peek()
        if t[0] == "op" and t[1] == o:
            self.i += 1
            return True
        return False

    def ident(self):
        t = self.peek()
        if t[0] != "id":
            raise InfluxQLError("parsing error: expected identifier, found %s" % ("EOF" if t[0] == "eof" else t[1],))
        self.i += 1
        return t[1]

    def parse(self):
        if self.kw("SHOW"):
            if self.kw("DATABASES"):
                r = ("show_databases",)
            elif self.kw("MEASUREMENTS"):
                r = ("show_measurements",)
            elif self.kw("TAG"):
                self.expect_kw("KEYS")
                r = ("show_tag_keys", self.ident() if self.kw("FROM") else None)
            elif self.kw("FIELD"):
                self.expect_kw("KEYS")
                r = ("show_field_keys", self.ident() if self.kw("FROM") else None)
            else:
                raise InfluxQLError("parsing error: SHOW statement not supported by the influxdb3 emulator")
        elif self.kw("SELECT"):
            r = self.parse_select()
        else:
            raise InfluxQLError("parsing error: expected SELECT, DELETE, SHOW, CREATE, DROP, EXPLAIN, "
                                "GRANT, REVOKE, ALTER, SET, KILL at pos 0")
        if self.peek()[0] != "eof":
            raise InfluxQLError("parsing error: unexpected %s" % (self.peek()[1],))
        return r

    def parse_select(self):
        items = []
        while True:
            if self.op("*"):
                items.append(("star", None))
            else:
                t = self.peek()
                if t[0] == "id" and self.peek(1) == ("op", "("):
                    raise InfluxQLError("parsing error: functions are not supported by the influxdb3 "
                                        "emulator's InfluxQL subset")
                name = self.ident()
                if self.op(":"):
                    self.ident()
                alias = self.ident() if self.kw("AS") else None
                items.append(("expr", ("col", [name]), alias))
            if not self.op(","):
                break
        self.expect_kw("FROM")
        parts = [self.ident()]
        while self.op("."):
            parts.append(self.ident() if self.peek()[0] == "id" else "")
        db = parts[0] if len(parts) == 3 else None
        meas = parts[-1]
        where = self.parse_expr() if self.kw("WHERE") else None
        if self.kw("GROUP"):
            raise InfluxQLError("parsing error: GROUP BY is not supported by the influxdb3 emulator")
        asc = True
        if self.kw("ORDER"):
            self.expect_kw("BY")
            if self.ident().lower() != "time":
                raise InfluxQLError("only ORDER BY time supported at this time")
            if self.kw("DESC"):
                asc = False
            else:
                self.kw("ASC")
        limit = offset = None
        for _ in range(2):
            if self.kw("LIMIT"):
                limit = int(self.peek()[1])
                self.i += 1
            elif self.kw("OFFSET"):
                offset = int(self.peek()[1])
                self.i += 1
        if self.kw("TZ"):
            raise InfluxQLError("parsing error: tz() is not supported by the influxdb3 emulator")
        stmt = {"kind": "select", "distinct": False, "items": items, "from": [meas], "alias": None,
                "where": where, "group": [], "having": None,
                "order": [(("col", ["time"]), asc, not asc)], "limit": limit, "offset": offset}
        return ("select", stmt, meas, db)

    def parse_expr(self):
        e = self.parse_and()
        while self.kw("OR"):
            e = ("bin", "OR", e, self.parse_and())
        return e

    def parse_and(self):
        e = self.parse_cmp()
        while self.kw("AND"):
            e = ("bin", "AND", e, self.parse_cmp())
        return e

    def parse_cmp(self):
        if self.op("("):
            e = self.parse_expr()
            if not self.op(")"):
                raise InfluxQLError("parsing error: expected )")
            return e
        left = self.parse_add()
        t = self.peek()
        if t[0] == "op" and t[1] in ("=", "!=", "<>", "<", "<=", ">", ">="):
            self.i += 1
            right = self.parse_add()
            return ("bin", "!=" if t[1] == "<>" else t[1], left, right)
        if t[0] == "op" and t[1] in ("=~", "!~"):
            raise InfluxQLError("parsing error: regular expressions are not supported by the influxdb3 emulator")
        return left

    def parse_add(self):
        e = self.parse_primary()
        while self.peek()[0] == "op" and self.peek()[1] in ("+", "-"):
            o = self.peek()[1]
            self.i += 1
            e = ("bin", o, e, self.parse_primary())
        return e

    def parse_primary(self):
        t = self.peek()
        self.i += 1
        if t[0] == "dur":
            return ("interval", t[1], "%dns" % t[1])
        if t[0] == "num":
            return ("lit", float(t[1]), "f64") if ("." in t[1] or "e" in t[1].lower()) else ("lit", int(t[1]), "i64")
        if t[0] == "str":
            return ("lit", t[1], "str")
        if t[0] == "op" and t[1] == "-":
            e = self.parse_primary()
            return ("lit", -e[1], e[2]) if e[0] == "lit" else ("neg", e)
        if t[0] == "id":
            if t[1].lower() == "now" and self.peek() == ("op", "("):
                self.i += 1
                if not self.op(")"):
                    raise InfluxQLError("parsing error: expected )")
                return ("func", "now", [], False, False)
            if t[1].upper() in ("TRUE", "FALSE"):
                return ("lit", t[1].upper() == "TRUE", "bool")
            if t[1].lower() == "time":
                return ("iqltime",)
            return ("col", [t[1]])
        raise InfluxQLError("parsing error: unexpected %s" % (t[1],))


def _iql_fix_time(e):
    """InfluxQL: bare integers compared with time are nanoseconds; 'time' is the time column."""
    if not isinstance(e, tuple):
        return e
    if e[0] == "iqltime":
        return ("col", ["time"])
    if e[0] == "bin" and e[1] in ("=", "!=", "<", "<=", ">", ">="):
        l, r = e[2], e[3]
        if l[0] == "iqltime" and r[0] == "lit" and r[2] == "i64":
            r = ("cast", r, "ts")
        if r[0] == "iqltime" and l[0] == "lit" and l[2] == "i64":
            l = ("cast", l, "ts")
        return ("bin", e[1], _iql_fix_time(l), _iql_fix_time(r))
    if e[0] == "bin":
        return ("bin", e[1], _iql_fix_time(e[2]), _iql_fix_time(e[3]))
    return e


# ---------------------------------------------------------------------------------------------
# The server
# ---------------------------------------------------------------------------------------------

class Response(Exception):
    """A complete (non-streamed) response; raised to unwind from deep inside a handler."""

    def __init__(self, status, body=b"", ctype=None, ok=None, headers=None):
        Exception.__init__(self, status)
        self.status = status
        self.body = body.encode("utf-8") if isinstance(body, str) else body
        self.ctype = ctype
        self.ok = (200 <= status < 300) if ok is None else ok
        self.headers = headers or []


def json_compact(obj):
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False)


class App:
    def __init__(self, store, settings, tokens, no_auth, disable_authz, verbose=False):
        self.store = store
        self.settings = settings
        self.tokens = set(tokens)
        self.no_auth = no_auth
        self.authz_free = set()
        for name in disable_authz:
            self.authz_free.update({"health": ["/health", "/api/v1/health"], "ping": ["/ping"],
                                    "metrics": ["/metrics"], "ready": ["/ready"]}.get(name, []))
        self.verbose = verbose
        self.cluster_uuid = str(uuid.uuid4())
        self.process_id = str(uuid.uuid4())
        self.lock = threading.Lock()
        self.faults = []
        # responses stopped mid-body by a hold_after_bytes fault: [query text, released flag]
        self.held = []
        self.held_cv = threading.Condition(self.lock)
        self.reset_stats()

    def reset_stats(self):
        with self.lock:
            self.stats = {"requests": {}, "queries": [], "writes": 0}

    def note_request(self, method, path):
        with self.lock:
            k = method + " " + path
            self.stats["requests"][k] = self.stats["requests"].get(k, 0) + 1

    def note_query(self, db, q, status):
        with self.lock:
            qs = self.stats["queries"]
            entry = {"db": db, "q": q, "status": status}
            qs.append(entry)
            if len(qs) > 1000:
                del qs[:len(qs) - 1000]
            return entry

    def note_query_sent(self, entry):
        """The whole body of a logged query went out ("sent" in its stats entry)."""
        with self.lock:
            entry["sent"] = True

    def add_faults(self, spec):
        items = spec if isinstance(spec, list) else [spec]
        faults = []
        for f in items:
            if not isinstance(f, dict):
                raise ValueError("a fault is a JSON object")
            unknown = set(f) - {"status", "body", "count", "skip", "path", "method", "delay_ms", "close",
                                "truncate_after_bytes", "truncate_mode", "headers", "garble_after_bytes",
                                "garble_line", "hold_after_bytes", "body_contains"}
            if unknown:
                raise ValueError("unknown fault keys: %s" % ", ".join(sorted(unknown)))
            if f.get("truncate_mode", "chunk") not in ("chunk", "mid_chunk"):
                raise ValueError("truncate_mode is chunk or mid_chunk")
            g = dict(f)
            g.setdefault("count", 1)          # -1: until cleared
            g.setdefault("skip", 0)
            faults.append(g)
        with self.lock:
            self.faults.extend(faults)
        return len(faults)

    # A held response waits for an explicit release, never for a duration, so a test can look at
    # what its client does while a body is mid-way (e.g. which other requests it sends). The bound
    # only keeps a forgotten hold from blocking a handler thread forever.
    HOLD_MAX_S = 120

    # The hold is listed before the bytes ahead of it are flushed, so a client that has read them
    # always finds it in /_emulator/stats (listing it after the flush raced with a fast client).
    def hold_begin(self, q):
        with self.held_cv:
            entry = [q or "", False]
            self.held.append(entry)
            self.held_cv.notify_all()
            return entry

    def hold_wait(self, entry):
        with self.held_cv:
            self.held_cv.wait_for(lambda: entry[1], timeout=self.HOLD_MAX_S)
            if entry in self.held:
                self.held.remove(entry)

    def release_entry(self, entry):
        with self.held_cv:
            entry[1] = True
            if entry in self.held:
                self.held.remove(entry)
            self.held_cv.notify_all()

    def release(self, match=None):
        """Release the held responses whose query contains match (all when None)."""
        n = 0
        with self.held_cv:
            for entry in list(self.held):
                if match is None or match in entry[0]:
                    entry[1] = True
                    self.held.remove(entry)
                    n += 1
            self.held_cv.notify_all()
        return n

    def take_fault(self, method, path, body=b""):
        with self.lock:
            for f in self.faults:
                if f.get("path") and f["path"] != path:
                    continue
                if f.get("method") and f["method"].upper() != method:
                    continue
                if f.get("body_contains") and f["body_contains"].encode("utf-8") not in (body or b""):
                    continue
                if f["skip"] > 0:
                    f["skip"] -= 1
                    return None
                if f["count"] > 0:
                    f["count"] -= 1
                if f["count"] == 0:
                    self.faults.remove(f)
                return f
        return None


def validate_db_name(name):
    if not name:
        return "db name cannot be empty"
    if len(name) > 511:
        return "db name too long: max 511"
    if not (name[0].isascii() and name[0].isalnum()):
        if not name[0].isascii():
            return ("invalid character in database or rp name: must be ASCII, containing only "
                    "letters, numbers, underscores, or hyphens")
        return "db name did not start with a number or letter"
    slash = False
    for c in name[1:]:
        if c == "/":
            if slash:
                return ("db name with invalid retention policy, if providing a retention policy name, "
                        "must be of form '<db_name>/<rp_name>'")
            slash = True
        elif not (c.isascii() and (c.isalnum() or c in "_-")):
            return ("invalid character in database or rp name: must be ASCII, containing only letters, "
                    "numbers, underscores, or hyphens")
    if name.endswith("/"):
        return ("db name with invalid retention policy, if providing a retention policy name, must be "
                "of form '<db_name>/<rp_name>'")
    return None


_FORMATS = {"json": "json", "jsonl": "jsonl", "json_lines": "jsonl", "csv": "csv", "pretty": "pretty",
            "parquet": "parquet"}
_CTYPES = {"json": "application/json", "jsonl": "application/jsonl", "csv": "text/csv",
           "pretty": "text/plain; charset=utf-8", "parquet": "application/vnd.apache.parquet"}
_FORMAT_VARIANTS = "`parquet`, `csv`, `pretty`, `json`, `json_lines`, `jsonl`"


def serde_form(query, fields):
    """serde_urlencoded into a struct: duplicates are errors, unknown keys ignored."""
    out = {}
    for k, v in parse_qsl(query, keep_blank_values=True):
        if k in fields:
            if k in out:
                raise Response(400, "serde error: duplicate field `%s`" % k)
            out[k] = v
    return out


def serde_bool(v, name, prefix="serde error: "):
    if v == "true":
        return True
    if v == "false":
        return False
    raise Response(400, "%sinvalid value: string %s, expected a boolean" % (prefix, _json_str(v)))


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "influxdb3-emulator"
    sys_version = ""

    # -- plumbing -----------------------------------------------------------------------------
    def log_message(self, fmt, *args):
        if self.server.app.verbose:
            sys.stderr.write("emulator: %s %s\n" % (self.address_string(), fmt % args))

    def do_GET(self):
        self.dispatch()

    do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = do_GET

    def __getattr__(self, name):
        # any other method (TRACE, FOO, ...) is routed too: 404 after auth, as the server does
        if name.startswith("do_"):
            return self.do_GET
        raise AttributeError(name)

    def send_response(self, code, message=None):
        # hyper sends no Server header; lower-case names as hyper writes them
        self.log_request(code)
        self.send_response_only(code, message)
        self.send_header("date", self.date_time_string())

    def respond(self, r):
        app = self.server.app
        self.send_response(r.status)
        if r.ctype:
            self.send_header("content-type", r.ctype)
        for k, v in r.headers:
            self.send_header(k, v)
        if r.ok:
            self.send_header("access-control-allow-origin", "*")
        self.send_header("cluster-uuid", app.cluster_uuid)
        if r.status != 204:
            self.send_header("content-length", str(len(r.body)))
        if self.close_after:
            self.send_header("connection", "close")
            self.close_connection = True
        self.end_headers()
        if self.command != "HEAD" and r.status != 204:
            self.wfile.write(r.body)

    def read_body(self):
        """Reads the whole request body (Content-Length or chunked). A body over the limit is
        drained and dropped, so it can be answered with 413 on a connection that stays in sync."""
        limit = self.server.app.settings.max_request
        te = (self.headers.get("Transfer-Encoding") or "").lower()
        data = bytearray()
        over = False
        if "chunked" in te:
            while True:
                line = self.rfile.readline(65537)
                if not line:
                    break
                size = int(line.split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline(65537) not in (b"\r\n", b"\n", b""):
                        pass
                    break
                chunk = self.rfile.read(size)
                self.rfile.readline(3)
                if over or len(data) + len(chunk) > limit:
                    over = True
                    data = bytearray()
                else:
                    data += chunk
        else:
            n = int(self.headers.get("Content-Length") or 0)
            while n > 0:
                chunk = self.rfile.read(min(n, 1 << 20))
                if not chunk:
                    break
                n -= len(chunk)
                if len(data) + len(chunk) > limit:
                    over = True
                    data = bytearray()
                elif not over:
                    data += chunk
        self.body_over_limit = over
        return bytes(data)

    def body(self):
        """The decoded body, as the server's read_body() does (limit, gzip)."""
        limit = self.server.app.settings.max_request
        if self.body_over_limit:
            raise Response(413, "max request size (%d bytes) exceeded" % limit)
        enc = self.headers.get("Content-Encoding")
        if enc is None or enc == "identity":
            return self.raw_body
        if enc != "gzip":
            raise Response(400, "unacceptable content-encoding: %s" % enc)
        try:
            out = gzip.decompress(self.raw_body)
        except Exception as e:  # noqa: BLE001 - any decoding failure is a 400
            raise Response(400, "error decoding gzip stream: %s" % e)
        if len(out) > limit:
            raise Response(413, "max request size (%d bytes) exceeded" % limit)
        return out

    # -- dispatch -----------------------------------------------------------------------------
    def dispatch(self):
        app = self.server.app
        self.close_after = False
        self.truncate = None
        self.garble = None
        self.hold = None
        self.cur_query = None
        self.cur_entry = None
        url = urlsplit(self.path)
        path = url.path
        query = url.query if "?" in self.path else None
        method = self.command
        try:
            self.raw_body = self.read_body()
        except (OSError, ValueError):
            # unreadable framing or a client that went away: nothing sensible to answer
            self.close_connection = True
            return
        if self.body_over_limit:
            self.close_after = True
        try:
            if path.startswith("/_emulator/"):
                raise self.admin(method, path, query)
            app.note_request(method, path)
            fault = app.take_fault(method, path, self.raw_body)
            if fault is not None:
                if fault.get("delay_ms"):
                    time.sleep(fault["delay_ms"] / 1000.0)
                if fault.get("close"):
                    self.abort_connection()
                    return
                if "status" in fault:
                    raise Response(int(fault["status"]), fault.get("body", "emulated fault"), ok=False,
                                   headers=[tuple(h) for h in fault.get("headers", [])])
                if fault.get("garble_after_bytes") is not None:
                    self.garble = (int(fault["garble_after_bytes"]),
                                   fault.get("garble_line", '{"time": not json at all}'))
                if fault.get("truncate_after_bytes") is not None:
                    self.truncate = (int(fault["truncate_after_bytes"]), fault.get("truncate_mode", "chunk"))
                if fault.get("hold_after_bytes") is not None:
                    self.hold = int(fault["hold_after_bytes"])
            if method == "OPTIONS":
                raise Response(204, b"", headers=[("access-control-allow-methods", "*"),
                                                  ("access-control-allow-headers", "*"),
                                                  ("access-control-max-age", "86400")])
            if app.no_auth and path.startswith("/api/v3/configure/token"):
                raise Response(405, "endpoint disabled, started without auth")
            if path not in app.authz_free:
                self.authenticate(path, query)
            self.route(method, path, query)
        except Response as r:
            self.respond(r)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
        except Exception as e:  # noqa: BLE001 - a bug in the emulator should not kill the thread silently
            import traceback
            traceback.print_exc()
            self.respond(Response(500, "influxdb3 emulator internal error: %s" % e))

    def abort_connection(self):
        """Close without any response, with a TCP reset (SO_LINGER 0)."""
        import struct
        try:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        except OSError:
            pass
        self.close_connection = True

    def authenticate(self, path, query):
        app = self.server.app
        token = None
        if path in ("/query", "/write") and query:
            try:
                got = {}
                for k, v in parse_qsl(query, keep_blank_values=True):
                    if k in ("u", "p"):
                        if k in got:
                            raise ValueError
                        got[k] = v
                token = got.get("p")
            except ValueError:
                token = None
        if token is None:
            h = self.headers.get("Authorization")
            if h is not None:
                token = self.validate_auth_header(h)
        if app.no_auth:
            return
        if token is None or token not in app.tokens:
            raise Response(401, UNAUTHENTICATED_BODY, ok=False)

    @staticmethod
    def validate_auth_header(h):
        parts = h.split(" ")
        malformed = Response(400, MALFORMED_AUTH_BODY, ok=False)
        if len(parts) != 2 or parts[0] not in ("Bearer", "Token", "Basic"):
            raise malformed
        scheme, token = parts
        if scheme == "Basic":
            try:
                decoded = base64.b64decode(token, validate=True).decode("utf-8")
            except Exception:  # noqa: BLE001
                raise malformed
            user, sep, tok = decoded.rpartition(":")
            if not sep or ":" in user:
                raise malformed
            return tok
        return token

    def route(self, method, path, query):
        m = method
        if path == "/api/v3/write_lp" and m == "POST":
            return self.write_v3(query)
        if path == "/write" and m == "POST":
            return self.write_v1(query)
        if path == "/api/v2/write" and m == "POST":
            return self.write_v2(query)
        if path == "/api/v3/query_sql" and m in ("GET", "POST"):
            return self.query_sql(m, query, influxql=False)
        if path == "/api/v3/query_influxql" and m in ("GET", "POST"):
            return self.query_sql(m, query, influxql=True)
        if path == "/query" and m in ("GET", "POST"):
            return self.query_v1(m, query)
        if path in ("/health", "/api/v1/health") and m == "GET":
            raise Response(200, "OK", "text/plain; charset=utf-8")
        if path == "/ping" and m in ("GET", "POST"):
            return self.ping()
        if path.startswith("/api/v3/engine/") and m in ("GET", "POST"):
            # processing-engine request triggers are not emulated: every path is an unknown one
            raise Response(404, '{error: "not found"}', ok=False)
        if path == "/metrics" and m == "GET":
            raise Response(200, "# HELP emulator_up The influxdb3 emulator is up\n# TYPE emulator_up gauge\n"
                                "emulator_up 1\n# EOF\n", "text/plain; version=0.0.4; charset=utf-8")
        if path == "/api/v3/configure/database":
            if m == "GET":
                return self.show_databases(query)
            if m == "POST":
                return self.create_database()
            if m == "DELETE":
                return self.delete_database(query)
        raise Response(404, "Not found", ok=False)

    def ping(self):
        app = self.server.app
        rid = _uuid7()
        body = json_compact({"product_name": "InfluxDB 3 Core", "version": app.settings.version,
                             "revision": "emulator", "process_id": app.process_id})
        raise Response(200, body, "application/json",
                       headers=[("request-id", rid), ("x-influxdb-build", "Core"),
                                ("x-influxdb-version", app.settings.version), ("x-request-id", rid)])

    # -- writes -------------------------------------------------------------------------------
    def write_v3(self, query):
        if query is None:
            raise Response(400, "missing query parameter 'db'")
        p = serde_form(query, ("db", "precision", "accept_partial", "no_sync"))
        if "db" not in p:
            raise Response(400, "serde error: missing field `db`")
        precision = _parse_precision(p.get("precision", "auto"), v3=True, prefix="serde error: ")
        accept_partial = serde_bool(p["accept_partial"], "accept_partial") if "accept_partial" in p else True
        if "no_sync" in p:
            serde_bool(p["no_sync"], "no_sync")
        self.do_write(p["db"], precision, accept_partial, "v3")

    def write_v1(self, query):
        if query is None:
            raise Response(400, json_compact({"error": "no db destination provided"}))
        p = serde_form(query, ("db", "precision", "rp", "p"))
        prefix = "failed to deserialize db/rp/precision in request: "
        if "db" not in p:
            raise Response(400, json_compact({"error": prefix + "missing field `db`"}))
        try:
            precision = _parse_precision(p.get("precision", "ns"), v3=False, prefix=prefix)
        except Response as r:
            raise Response(400, json_compact({"error": r.body.decode()}))
        rp = p.get("rp", "").lower()
        db = p["db"] if rp in ("", "''", "autogen", "default") else p["db"] + "/" + rp
        self.do_write(db, precision, False, "v1")

    def write_v2(self, query):
        def v2err(status, code, message):
            return Response(status, json_compact({"code": code, "message": message}), ok=False)
        if query is None:
            raise v2err(400, "invalid", "no org/bucket destination provided")
        p = serde_form(query, ("bucket", "org", "precision"))
        prefix = "failed to deserialize org/bucket/precision in request: "
        if "bucket" not in p:
            raise v2err(400, "invalid", prefix + "missing field `bucket`")
        try:
            precision = _parse_precision(p.get("precision", "ns"), v3=False, prefix=prefix, v2=True)
        except Response as r:
            raise v2err(400, "invalid", r.body.decode())
        try:
            self.do_write(p["bucket"], precision, False, "v2")
        except Response as r:
            if r.ok:
                raise
            text = r.body.decode("utf-8", "replace")
            code = {400: "invalid", 404: "not found", 413: "request too large", 422: "invalid"}.get(r.status, "internal error")
            status = {"invalid": 400, "not found": 404, "request too large": 413}.get(code, 500)
            try:
                obj = json.loads(text)
                if "data" in obj and isinstance(obj["data"], dict):
                    text = "write buffer error: line protocol parse failed: " + obj["data"]["error_message"]
                elif "error" in obj:
                    text = obj["error"]
            except ValueError:
                if text == "incoming write was empty":
                    text = "write buffer error: incoming write was empty"
            raise v2err(status, code, text)

    def do_write(self, db, precision, accept_partial, api):
        app = self.server.app
        err = validate_db_name(db)
        if err:
            raise Response(400, json_compact({"error": err}))
        body = self.body()
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError as e:
            raise Response(400, "body content is not valid utf8: %s" % e)
        try:
            count, errors = app.store.write(db, text, precision, accept_partial, time.time_ns())
        except WriteAbort as a:
            line_number, msg, orig = a.err
            label = "parsing failed for write_lp endpoint" if app.settings.legacy_errors else "line protocol parsing error"
            raise Response(400, json_compact({"error": label, "data": {
                "error_message": msg, "line_number": line_number, "original_line": truncate20(orig)}}))
        except CatalogLimit as c:
            raise Response(422, json_compact({"error": str(c)}))
        with app.lock:
            app.stats["writes"] += 1
        if count == 0 and not errors:
            raise Response(400, "incoming write was empty")
        if errors:
            limit_hit = any(m.startswith("Update to schema would exceed number of") or
                            m.startswith("Adding a new database would exceed limit of") for _, m, _ in errors)
            raise Response(422 if limit_hit else 400, json_compact({
                "error": "partial write of line protocol occurred",
                "data": [{"error_message": m, "line_number": n, "original_line": truncate20(o)}
                         for n, m, o in errors]}))
        raise Response(204, b"")

    # -- databases ----------------------------------------------------------------------------
    def show_databases(self, query):
        app = self.server.app
        p = serde_form(query or "", ("format", "show_deleted"))
        if "format" not in p:
            raise Response(400, "serde error: missing field `format`")
        fmt = _FORMATS.get(p["format"])
        if fmt is None:
            raise Response(400, "serde error: unknown variant `%s`, expected one of %s" % (p["format"], _FORMAT_VARIANTS))
        deleted = serde_bool(p["show_deleted"], "show_deleted") if "show_deleted" in p else False
        names = sorted(app.store.dbs)
        cols = [("iox::database", "str")] + ([("deleted", "bool")] if deleted else [])
        rows = [(n, 0) if deleted else (n,) for n in names]
        self.send_rows(fmt, cols, iter([rows]))

    def create_database(self):
        app = self.server.app
        try:
            req = json.loads(self.body() or b"null")
            db = req["db"]
            if not isinstance(db, str):
                raise TypeError
        except (ValueError, KeyError, TypeError) as e:
            raise Response(400, "serde json error: %s" % e)
        err = validate_db_name(db)
        if err:
            raise Response(400, json_compact({"error": err}))
        if not app.store.create_database(db):
            raise Response(409, "attempted to create a resource that already exists")
        raise Response(200, b"")

    def delete_database(self, query):
        app = self.server.app
        if query is None:
            raise Response(400, "missing query parameters 'db'")
        p = serde_form(query, ("db", "hard_delete_at"))
        if "db" not in p:
            raise Response(400, "serde error: missing field `db`")
        if p["db"] == "_internal" or not app.store.delete_database(p["db"]):
            raise Response(404, "Database not found %s" % p["db"])
        raise Response(200, b"")

    # -- queries ------------------------------------------------------------------------------
    def accept_format(self):
        legacy = self.server.app.settings.legacy_errors
        accept = self.headers.get("Accept")
        if accept is None or accept in ("application/json", "*/*"):
            return "json"
        if accept == "application/vnd.apache.parquet":
            return "parquet"
        if accept == "text/csv":
            return "csv"
        if accept == "text/plain":
            return "pretty"
        if "text/html" in accept or "*/*" in accept:
            return "json"
        raise Response(500 if legacy else 400, "invalid mime type (%s)" % accept)

    def parse_query_request(self, method, query, db_required):
        header_fmt = self.accept_format()
        if method == "GET":
            if query is None:
                raise Response(400, "missing query parameters 'db' and 'q'")
            p = serde_form(query, ("db", "q", "format", "params"))
            for f in (("db",) if db_required else ()) + ("q",):
                if f not in p:
                    raise Response(400, "serde error: missing field `%s`" % f)
            fmt = p.get("format")
            if fmt is not None and fmt not in _FORMATS:
                raise Response(400, "serde error: unknown variant `%s`, expected one of %s" % (fmt, _FORMAT_VARIANTS))
            params = None
            if "params" in p:
                params = _serde_json_loads(p["params"])
                params = _check_params(params, p["params"])
            return p.get("db"), p["q"], _FORMATS[fmt] if fmt else header_fmt, params
        body = self.body()
        obj = _serde_json_loads(body)
        end = _json_pos(body)
        if not isinstance(obj, dict):
            raise Response(400, "serde json error: invalid type: %s, expected struct QueryRequest at %s"
                           % (_json_kind(obj), end))
        for f in (("db",) if db_required else ()) + ("q",):
            if f not in obj:
                raise Response(400, "serde json error: missing field `%s` at %s" % (f, end))
        for f in ("db", "q"):
            if f in obj and not isinstance(obj[f], str) and not (f == "db" and obj[f] is None and not db_required):
                raise Response(400, "serde json error: invalid type: %s, expected a string at %s"
                               % (_json_kind(obj[f]), end))
        fmt = obj.get("format")
        if fmt is not None and (not isinstance(fmt, str) or fmt not in _FORMATS):
            raise Response(400, "serde json error: unknown variant `%s`, expected one of %s at %s"
                           % (fmt, _FORMAT_VARIANTS, end))
        params = obj.get("params")
        if params is not None:
            params = _check_params(params, body)
        return obj.get("db"), obj["q"], _FORMATS[fmt] if fmt else header_fmt, params

    def query_sql(self, method, query, influxql):
        app = self.server.app
        db_name, q, fmt, params = self.parse_query_request(method, query, db_required=not influxql)
        # the query is recorded before the response goes out, so a client that reads the stats
        # right after its response sees it
        try:
            if influxql:
                plan, meas_rows = self.plan_influxql(db_name, q, params)
            else:
                plan, meas_rows = self.plan_sql(db_name, q, params), None
            if meas_rows is not None:
                self.cur_entry = app.note_query(db_name, q, 200)
                return self.send_rows(fmt, meas_rows[0], iter([meas_rows[1]]))
            conn, cur = self.open_cursor(plan)
        except QueryError as e:
            r = self.query_error(e)
            app.note_query(db_name, q, r.status)
            raise r
        self.cur_entry = app.note_query(db_name, q, 200)
        self.cur_query = q
        self.run_plan(plan, fmt, conn, cur)

    def query_error(self, e):
        s = self.server.app.settings
        if e.kind == "dbnotfound":
            return Response(404, json_compact({"error": "query error: database not found: %s" % e.message}))
        if e.kind == "influxql":
            return Response(400, "error in InfluxQL statement: %s" % e.message)
        if e.kind == "status":
            return Response(400, e.message)
        if s.legacy_errors:
            return Response(500, "query error: error while planning query: " + e.message)
        status = {"plan": 400, "notimpl": 405}.get(e.kind, 500)
        return Response(status, e.message)

    def plan_sql(self, db_name, q, params):
        app = self.server.app
        db = app.store.dbs.get(db_name)
        if db is None:
            raise QueryError("dbnotfound", db_name)
        plan = Planner(app.settings, db, params, time.time_ns()).plan(q)
        self.check_file_limit(plan)
        return plan

    def check_file_limit(self, plan):
        s = self.server.app.settings
        if plan.files_scanned(s) > s.file_limit:
            raise QueryError("external", "External error: " + FILE_LIMIT_MSG.format(s.file_limit))

    def plan_influxql(self, db_name, q, params):
        """Returns (plan, None) for SELECT, or (None, (columns, rows)) for SHOW statements."""
        app = self.server.app
        stmts = iql_split_statements(q)
        if len(stmts) != 1:
            raise QueryError("status", "must provide only one InfluxQl statement per query")
        try:
            parsed = InfluxQL(stmts[0]).parse()
        except InfluxQLError as e:
            raise QueryError("influxql", str(e))
        if parsed[0] == "show_databases":
            return None, ([("iox::database", "str"), ("deleted", "bool")],
                          [(n, 0) for n in sorted(app.store.dbs)])
        qdb = parsed[3] if parsed[0] == "select" else None
        if db_name and qdb and db_name != qdb:
            raise QueryError("status", "provided a database in both the parameters (%s) and query string "
                                       "(%s) that do not match, if providing a query that specifies the "
                                       "database, you can omit the 'database' parameter from your request"
                             % (db_name, qdb))
        db_name = db_name or qdb
        if not db_name:
            raise QueryError("status", "must specify a 'db' parameter, or provide the database in the "
                                       "InfluxQL query")
        db = app.store.dbs.get(db_name)
        if db is None:
            raise QueryError("dbnotfound", db_name)
        mcol = ("iox::measurement", "str")
        if parsed[0] == "show_measurements":
            return None, ([mcol, ("name", "str")], [("measurements", n) for n in sorted(db.tables)])
        if parsed[0] in ("show_tag_keys", "show_field_keys"):
            tag = parsed[0] == "show_tag_keys"
            rows = []
            for tname in sorted(db.tables):
                if parsed[1] and tname != parsed[1]:
                    continue
                for c in db.tables[tname].sorted:
                    if tag and c.kind == "tag":
                        rows.append((tname, c.name))
                    elif not tag and c.kind not in ("tag", "time"):
                        rows.append((tname, c.name, KIND_INFLUX[c.kind]))
            cols = [mcol, ("tagKey", "str")] if tag else [mcol, ("fieldKey", "str"), ("fieldType", "str")]
            return None, (cols, rows)
        _, stmt, meas, _ = parsed
        if meas not in db.tables:
            return None, ([mcol, ("time", "ts")], [])
        t = db.tables[meas]
        items = stmt["items"]
        if any(it[0] == "star" for it in items):
            items = [("expr", ("col", [c.name]), None) for c in t.sorted if c.kind != "time"]
        items = [it for it in items if not (it[1] == ("col", ["time"]))]
        stmt["items"] = [("expr", ("lit", meas, "str"), "iox::measurement"),
                         ("expr", ("col", ["time"]), None)] + items
        if stmt["where"] is not None:
            stmt["where"] = _iql_fix_time(stmt["where"])
        plan = Planner(app.settings, db, params, time.time_ns()).plan_select(stmt)
        self.check_file_limit(plan)
        return plan, None

    def open_cursor(self, plan):
        app = self.server.app
        conn = app.store.acquire()
        try:
            if plan.src is not None and plan.src.virtual:
                temp, rows = plan.src.virtual
                conn.execute("DELETE FROM " + temp)
                if rows:
                    conn.executemany("INSERT INTO %s VALUES (%s)" % (temp, ", ".join("?" * len(rows[0]))), rows)
            cur = conn.execute(plan.sql)
        except sqlite3.Error as e:
            app.store.release(conn)
            raise QueryError("execution", "Execution error: %s" % e)
        except BaseException:
            app.store.release(conn)
            raise
        return conn, cur

    def run_plan(self, plan, fmt, conn, cur):
        app = self.server.app
        try:
            def batches():
                while True:
                    rows = cur.fetchmany(BATCH_ROWS)
                    if not rows:
                        return
                    yield rows
            self.send_rows(fmt, plan.columns, batches())
        finally:
            cur.close()
            app.store.release(conn)

    def send_rows(self, fmt, columns, batches):
        """Send a query result: json/jsonl/csv stream chunked (one chunk per batch); pretty is sent
        whole; parquet output is not implemented by the emulator."""
        if fmt == "parquet":
            raise Response(405, "This feature is not implemented: parquet output in the influxdb3 emulator")
        if fmt == "pretty":
            rows = [r for b in batches for r in b]
            text = pretty_table(columns, rows) if rows else "++\n++"
            raise Response(200, text, _CTYPES["pretty"])
        enc = make_row_encoder(columns, "json" if fmt in ("json", "jsonl") else "csv")
        first = next(batches, None)
        self.start_stream(_CTYPES[fmt])
        try:
            if fmt == "json":
                if first is None:
                    self.chunk("[]")
                else:
                    self.chunk("[" + ",".join(enc(first)))
                    for b in batches:
                        self.chunk("," + ",".join(enc(b)))
                    self.chunk("]")
            elif fmt == "jsonl":
                for b in ([first] if first else []):
                    self.chunk("\n".join(enc(b)) + "\n")
                for b in batches:
                    self.chunk("\n".join(enc(b)) + "\n")
            else:
                header = ",".join(csv_field(n) for n, _ in columns) if columns else ""
                if len(columns) == 1 and header == "":
                    header = '""'
                if first is not None:
                    self.chunk(header + "\n" + "\n".join(enc(first)) + "\n")
                    for b in batches:
                        self.chunk("\n".join(enc(b)) + "\n")
                elif self.server.app.settings.csv_empty_header:
                    self.chunk(header + "\n")
            self.end_stream()
        except _Truncated:
            self.close_connection = True
        except sqlite3.Error:
            # an error after the headers went out: the stream is cut, no terminating chunk
            self.close_connection = True

    def start_stream(self, ctype):
        """200 headers of a streamed body: chunked on HTTP/1.1, else delimited by closing."""
        self.chunked = self.request_version != "HTTP/1.0"
        self.send_response(200)
        self.send_header("content-type", ctype)
        if self.chunked:
            self.send_header("transfer-encoding", "chunked")
        else:
            self.close_after = True
        self.send_header("access-control-allow-origin", "*")
        self.send_header("cluster-uuid", self.server.app.cluster_uuid)
        if self.close_after:
            self.send_header("connection", "close")
            self.close_connection = True
        self.end_headers()
        self.sent = 0

    def end_stream(self):
        # Marked "sent" before the terminating chunk goes out: a client that has read the whole
        # body (which ends with that chunk) then always finds the mark; marking after the flush
        # left a window where it had not been set yet (a flaky selftest).
        self.wfile.flush()
        if self.cur_entry is not None:
            self.server.app.note_query_sent(self.cur_entry)
        if self.chunked:
            self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()

    def chunk(self, text):
        """One HTTP chunk; applies a pending truncate fault (the stream then ends with no
        terminating chunk and the connection closes, as when the server fails mid-stream)."""
        data = text.encode("utf-8")
        if not data or self.command == "HEAD":
            return
        frame = (lambda d: b"%x\r\n" % len(d) + d + b"\r\n") if self.chunked else (lambda d: d)
        if self.garble is not None and self.sent + len(data) > self.garble[0]:
            # a line the server should never send (malformed, or a value of another type), once,
            # between whole lines; the rest of the stream follows unchanged
            bad = (self.garble[1].rstrip("\n") + "\n").encode("utf-8")
            self.garble = None
            self.wfile.write(frame(bad))
            self.sent += len(bad)
        if self.hold is not None and self.sent + len(data) > self.hold:
            # send up to byte N (as its own chunk), then wait for POST /_emulator/release
            room = self.hold - self.sent
            self.hold = None
            entry = self.server.app.hold_begin(self.cur_query)
            try:
                if room > 0:
                    self.wfile.write(frame(data[:room]))
                    self.sent += room
                    data = data[room:]
                self.wfile.flush()
            except OSError:
                self.server.app.release_entry(entry)
                raise
            self.server.app.hold_wait(entry)
        if self.truncate is not None:
            limit, mode = self.truncate
            room = limit - self.sent
            if len(data) > room:
                if mode == "mid_chunk" and self.chunked:
                    # declare the full chunk, send only part of it
                    self.wfile.write(b"%x\r\n" % len(data) + data[:max(room, 0)])
                elif room > 0:
                    self.wfile.write(frame(data[:room]))
                self.wfile.flush()
                raise _Truncated()
        self.wfile.write(frame(data))
        self.sent += len(data)

    # -- v1 /query ----------------------------------------------------------------------------
    def query_v1(self, method, query):
        app = self.server.app
        accept = self.headers.get("Accept")
        if accept in (None, "application/json", "*/*"):
            out_fmt = "json"
        elif accept in ("application/csv", "text/csv"):
            out_fmt = "csv"
        else:
            raise Response(400, json_compact({"error": "invalid mime type (%s)" % accept}), ok=True)
        if method == "GET" and query is None:
            raise Response(400, json_compact({"error": "missing query parameters 'db' and 'q'"}), ok=True)
        fields = ("db", "q", "epoch", "pretty", "chunked", "chunk_size", "rp", "params", "p", "u")
        p = {}
        for k, v in parse_qsl(query or "", keep_blank_values=True):
            if k in fields:
                p[k] = v
        if method == "POST":
            ctype = (self.headers.get("Content-Type") or "").split(";")[0].strip()
            body = self.body()
            if ctype == "application/x-www-form-urlencoded":
                for k, v in parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True):
                    if k in fields:
                        p[k] = v
            elif body and ctype in ("", "application/vnd.influxql"):
                p["q"] = body.decode("utf-8", "replace")
        if "q" not in p:
            raise Response(400, json_compact({"error": "expected a query to be provided in the query "
                                                       "string or body"}), ok=True)
        epoch = p.get("epoch")
        chunked = p.get("chunked") == "true"
        chunk_size = int(p.get("chunk_size") or 10000) if chunked else None
        results = []
        for sid, text in enumerate(iql_split_statements(p["q"]) or [p["q"]]):
            results.append(self.v1_statement(sid, text, p.get("db"), p.get("params")))
        app.note_query(p.get("db"), p["q"], 200)
        if out_fmt == "csv":
            raise Response(200, _v1_csv(results, epoch), "application/csv", ok=True)
        try:
            docs = _v1_json(results, epoch, chunk_size)
        except ValueError as e:
            docs = [json_compact({"error": "json: unsupported value: %s" % e})]
        if p.get("pretty") == "true" and not chunked:
            docs = [json.dumps(json.loads(d), indent=2, ensure_ascii=False) for d in docs]
        if not chunked:
            raise Response(200, "".join(docs), "application/json", ok=True)
        self.start_stream("application/json")
        try:
            for d in docs:
                self.chunk(d)
            self.end_stream()
        except _Truncated:
            self.close_connection = True

    def v1_statement(self, sid, text, db_name, params_text):
        """Returns (sid, error, [(name, columns, rows)])."""
        app = self.server.app
        try:
            params = _check_params(_serde_json_loads(params_text), params_text) if params_text else None
        except Response as r:
            return (sid, r.body.decode(), [])
        try:
            parsed = InfluxQL(text).parse()
        except InfluxQLError as e:
            return (sid, str(e), [])
        if parsed[0] == "show_databases":
            return (sid, None, [("databases", ["name"], [[n] for n in sorted(app.store.dbs)])])
        if parsed[0] == "select" and parsed[3]:
            db_name = parsed[3]
        if not db_name:
            return (sid, "must specify a 'db' parameter, or provide the database in the InfluxQL query", [])
        try:
            plan, show = self.plan_influxql(db_name, text, params)
        except QueryError as e:
            if e.kind == "dbnotfound":
                return (sid, "Cannot retrieve database: External error: database not found: %s" % db_name, [])
            return (sid, e.message, [])
        if show is not None:
            cols, rows = show
            if parsed[0] == "show_measurements":
                return (sid, None, [("measurements", ["name"], [[r[1]] for r in rows])] if rows else [])
            series = {}
            for r in rows:
                series.setdefault(r[0], []).append(list(r[1:]))
            names = [c for c, _ in cols[1:]]
            return (sid, None, [(m, names, v) for m, v in series.items()])
        conn, cur = self.open_cursor(plan)
        try:
            rows = convert_row_values(cur.fetchall(), plan.columns)
        finally:
            cur.close()
            app.store.release(conn)
        cols = plan.columns[1:]
        if not rows:
            return (sid, None, [])
        return (sid, None, [(rows[0][0], [c for c, _ in cols], [list(r[1:]) for r in rows], [t for _, t in cols])])

    # -- admin API (test-only; no auth) -------------------------------------------------------
    def admin(self, method, path, query):
        app = self.server.app
        try:
            body = json.loads(self.raw_body) if self.raw_body.strip() else None
        except ValueError as e:
            return Response(400, json_compact({"error": "invalid JSON: %s" % e}), "application/json", ok=False)
        ok = lambda obj: Response(200, json_compact(obj), "application/json")  # noqa: E731
        if path == "/_emulator/fault":
            if method == "POST":
                try:
                    n = app.add_faults(body)
                except ValueError as e:
                    return Response(400, json_compact({"error": str(e)}), "application/json", ok=False)
                return ok({"queued": n})
            if method == "GET":
                with app.lock:
                    return ok({"faults": list(app.faults)})
            if method == "DELETE":
                with app.lock:
                    app.faults = []
                app.release()
                return ok({"faults": []})
        if path == "/_emulator/release" and method == "POST":
            match = body.get("match") if isinstance(body, dict) else None
            return ok({"released": app.release(match)})
        if path == "/_emulator/config":
            if method == "POST":
                try:
                    apply_config(app.settings, app.store, body or {})
                except (ValueError, TypeError) as e:
                    return Response(400, json_compact({"error": str(e)}), "application/json", ok=False)
            if method in ("GET", "POST"):
                return ok(app.settings.as_dict())
        if path == "/_emulator/stats":
            if method == "GET":
                with app.lock:
                    return ok(dict(app.stats, held=[e[0] for e in app.held]))
            if method == "DELETE":
                app.reset_stats()
                return ok({})
        if path == "/_emulator/reset" and method == "POST":
            app.store.reset()
            with app.lock:
                app.faults = []
            app.release()
            app.reset_stats()
            return ok({"reset": True})
        return Response(404, "Not found", ok=False)


class _Truncated(Exception):
    pass


def apply_config(settings, store, cfg):
    known = {"compat", "type_style", "error_style", "file_limit", "gen1_seconds", "csv_empty_header",
             "max_request"}
    unknown = set(cfg) - known
    if unknown:
        raise ValueError("unknown config keys: %s" % ", ".join(sorted(unknown)))
    if "compat" in cfg:
        settings.apply_compat(str(cfg["compat"]))
    if "type_style" in cfg:
        if cfg["type_style"] not in ("ns", "nanosecond"):
            raise ValueError("type_style must be ns or nanosecond")
        settings.type_style = cfg["type_style"]
    if "error_style" in cfg:
        if str(cfg["error_style"]) not in ("400", "500"):
            raise ValueError("error_style must be 400 or 500")
        settings.error_style = str(cfg["error_style"])
    if "file_limit" in cfg:
        settings.file_limit = int(cfg["file_limit"])
    if "csv_empty_header" in cfg:
        settings.csv_empty_header = bool(cfg["csv_empty_header"])
    if "max_request" in cfg:
        settings.max_request = int(cfg["max_request"])
    if "gen1_seconds" in cfg:
        g = int(cfg["gen1_seconds"])
        if g <= 0:
            raise ValueError("gen1_seconds must be positive")
        settings.gen1_ns = g * NS_PER_S
        store.rescan_blocks()


def _parse_precision(v, v3, prefix, v2=False):
    names = {"s": "second", "second": "second", "ms": "millisecond", "millisecond": "millisecond",
             "us": "microsecond", "u": "microsecond", "microsecond": "microsecond", "ns": "nanosecond",
             "n": "nanosecond", "nanosecond": "nanosecond"}
    if v3:
        names["auto"] = "auto"
    if v in names:
        return names[v]
    variants = ("`auto`, " if v3 else "") + "`second`, `s`, `millisecond`, `ms`, `microsecond`, `us`, `u`, `nanosecond`, `ns`, `n`"
    raise Response(400, "%sunknown variant `%s`, expected one of %s" % (prefix, v, variants))


def _serde_json_loads(data):
    def pairs(items):
        seen = {}
        for k, v in items:
            if k in seen:
                raise Response(400, "serde json error: duplicate field `%s`" % k)
            seen[k] = v
        return seen
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8")
        except UnicodeDecodeError:
            raise Response(400, "serde json error: invalid unicode code point at line 1 column 1")
    try:
        return json.loads(data, object_pairs_hook=pairs)
    except json.JSONDecodeError as e:
        if not data.strip():
            raise Response(400, "serde json error: EOF while parsing a value at line 1 column 0")
        msg = {"Expecting value": "expected value"}.get(e.msg, e.msg[0].lower() + e.msg[1:])
        raise Response(400, "serde json error: %s at line %d column %d" % (msg, e.lineno, e.colno))


def _json_pos(data):
    text = data.decode("utf-8", "replace") if isinstance(data, bytes) else data
    text = text.rstrip()
    line = text.count("\n") + 1
    return "line %d column %d" % (line, len(text) - (text.rfind("\n") + 1))


def _json_kind(v):
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "boolean `%s`" % ("true" if v else "false")
    if isinstance(v, int):
        return "integer `%d`" % v
    if isinstance(v, float):
        return "floating point `%s`" % v
    if isinstance(v, str):
        return "string %s" % _json_str(v)
    if isinstance(v, list):
        return "sequence"
    return "map"


def _check_params(params, source):
    if params is None:
        return None
    if not isinstance(params, dict):
        raise Response(400, "serde json error: invalid type: %s, expected a map at %s" % (_json_kind(params), _json_pos(source)))
    for v in params.values():
        if isinstance(v, list):
            raise Response(400, "serde json error: JSON arrays are not supported as query parameters. "
                                "Expected null, boolean, number, or string.")
        if isinstance(v, dict):
            raise Response(400, "serde json error: JSON objects are not supported as query parameters. "
                                "Expected null, boolean, number, or string")
    # serde_json reads integers outside i64/u64 as floats
    return {k: (float(v) if isinstance(v, int) and not isinstance(v, bool) and not I64_MIN <= v <= U64_MAX else v)
            for k, v in params.items()}


def _v1_time(ns, epoch):
    if epoch is None:
        return '"' + fmt_time_rfc3339(ns) + '"'
    div = {"ns": 1, "n": 1, "u": 1000, "µ": 1000, "us": 1000, "ms": 1000000, "s": NS_PER_S,
           "m": 60 * NS_PER_S, "h": 3600 * NS_PER_S, "d": 86400 * NS_PER_S, "w": 7 * 86400 * NS_PER_S}.get(epoch, 1)
    return str(int(ns / div) if ns < 0 else ns // div)


def _v1_value(v, typ, epoch):
    if v is None:
        return "null"
    if typ == "ts":
        return _v1_time(v, epoch)
    if typ == "f64":
        return v1_float(v)
    if typ == "bool":
        return "true" if v else "false"
    if typ in ("i64", "u64"):
        return str(int(v))
    return _json_str(v)


def _v1_series_json(name, columns, rows, types, partial):
    vals = ",".join("[" + ",".join(row) + "]" for row in rows)
    s = '{"name":%s,"columns":%s' % (_json_str(name), json_compact(columns))
    if rows:
        s += ',"values":[' + vals + "]"
    if partial:
        s += ',"partial":true'
    return s + "}"


def _v1_render_rows(series, epoch):
    name, cols, rows = series[0], series[1], series[2]
    types = series[3] if len(series) > 3 else ["str"] * len(cols)
    return name, cols, [[_v1_value(v, t, epoch) for v, t in zip(r, types)] for r in rows]


def _v1_json(results, epoch, chunk_size):
    """The v1 JSON body; with chunk_size, a list of separate JSON documents (chunked=true)."""
    if chunk_size is None:
        parts = []
        for sid, err, series in results:
            r = '{"statement_id":%d' % sid
            if err is not None:
                r += ',"error":%s' % _json_str(err)
            elif series:
                r += ',"series":[' + ",".join(_v1_series_json(*_v1_render_rows(s, epoch), None, False)
                                              for s in series) + "]"
            parts.append(r + "}")
        return ['{"results":[' + ",".join(parts) + "]}"]
    docs = []
    for sid, err, series in results:
        if err is not None or not series:
            r = '{"statement_id":%d' % sid + (',"error":%s' % _json_str(err) if err is not None else "") + "}"
            docs.append('{"results":[' + r + "]}")
            continue
        for si, s in enumerate(series):
            name, cols, rows = _v1_render_rows(s, epoch)
            pieces = [rows[i:i + chunk_size] for i in range(0, len(rows), chunk_size)] or [[]]
            for pi, piece in enumerate(pieces):
                more_in_series = pi < len(pieces) - 1
                more_in_result = more_in_series or si < len(series) - 1
                ser = _v1_series_json(name, cols, piece, None, more_in_series)
                r = '{"statement_id":%d,"series":[%s]' % (sid, ser)
                if more_in_result:
                    r += ',"partial":true'
                docs.append('{"results":[' + r + "}]}")
    return docs


def _v1_csv(results, epoch):
    out = []
    for sid, err, series in results:
        block = []
        for s in series:
            name, cols, rows = s[0], s[1], s[2]
            types = s[3] if len(s) > 3 else ["str"] * len(cols)
            block.append(",".join(["name", "tags"] + [_v1_csv_field(c) for c in cols]))
            for r in rows:
                vals = []
                for v, t in zip(r, types):
                    if v is None:
                        vals.append("")
                    elif t == "ts":
                        vals.append(_v1_time(v, epoch or "ns"))
                    elif t == "f64":
                        vals.append(v1_float(v))
                    elif t == "bool":
                        vals.append("true" if v else "false")
                    else:
                        vals.append(_v1_csv_field(str(v)))
                block.append(",".join([_v1_csv_field(name), ""] + vals))
        if err is not None:
            block.append("error")
            block.append(_v1_csv_field(err))
        out.append("\n".join(block) + "\n" if block else "")
    return "\n".join(out)


def _v1_csv_field(s):
    return '"' + s.replace('"', '""') + '"' if ("," in s or '"' in s) else s


def _uuid7():
    ms = time.time_ns() // 1000000
    rnd = int.from_bytes(os.urandom(10), "big")
    value = (ms & ((1 << 48) - 1)) << 80 | 0x7 << 76 | (rnd >> 68 & 0xFFF) << 64 | 0x2 << 62 | (rnd & ((1 << 62) - 1))
    return str(uuid.UUID(int=value))


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128


# ---------------------------------------------------------------------------------------------
# main
# ---------------------------------------------------------------------------------------------

def main(argv=None):
    ap = argparse.ArgumentParser(description="InfluxDB 3 HTTP API emulator (test double).")
    ap.add_argument("--port", type=int, default=8181, help="TCP port on 127.0.0.1 (0 = pick a free one)")
    ap.add_argument("--port-file", help="write the chosen port here once listening")
    auth = ap.add_mutually_exclusive_group()
    auth.add_argument("--token", action="append", default=[], help="accepted token (repeatable)")
    auth.add_argument("--no-auth", action="store_true", help="accept any or no token (--without-auth)")
    ap.add_argument("--disable-authz", default="", help="comma list: health,ping,metrics")
    ap.add_argument("--data-dir", help="keep data in DIR/influxdb3_emulator.sqlite (default: RAM-backed temp file)")
    ap.add_argument("--load", action="append", default=[], help="line protocol file to load at startup")
    ap.add_argument("--database", help="database for --load")
    ap.add_argument("--load-precision", default="auto", help="precision of --load files",
                    choices=["auto", "s", "ms", "us", "ns"])
    ap.add_argument("--compat", choices=["3.8", "3.9", "3.10"], default="3.10",
                    help="server version to emulate (data_type spelling and error statuses)")
    ap.add_argument("--type-style", choices=["ns", "nanosecond"],
                    help="time data_type: Timestamp(ns) (3.9+) or Timestamp(Nanosecond, None) (<=3.8)")
    ap.add_argument("--error-style", choices=["400", "500"],
                    help="SQL/plan errors: 400 bare text (3.10) or 500 prefixed text (<=3.9)")
    ap.add_argument("--file-limit", type=int, default=DEFAULT_FILE_LIMIT,
                    help="max emulated parquet files per query (--query-file-limit)")
    ap.add_argument("--gen1-duration", default="10m", choices=["1m", "5m", "10m"],
                    help="width of one emulated parquet file (per table)")
    ap.add_argument("--csv-empty-header", action="store_true", help="empty csv results carry the header line")
    ap.add_argument("--max-http-request-size", type=int, default=DEFAULT_MAX_REQUEST)
    ap.add_argument("--fault", action="append", default=[], help="queue a fault (JSON, see README)")
    ap.add_argument("--verbose", action="store_true", help="log every request to stderr")
    args = ap.parse_args(argv)

    if args.load and not args.database:
        ap.error("--load needs --database")
    if not args.no_auth and not args.token:
        ap.error("give --token TOKEN (repeatable) or --no-auth")

    settings = Settings()
    settings.apply_compat(args.compat)
    if args.type_style:
        settings.type_style = args.type_style
    if args.error_style:
        settings.error_style = args.error_style
    settings.file_limit = args.file_limit
    settings.gen1_ns = {"1m": 60, "5m": 300, "10m": 600}[args.gen1_duration] * NS_PER_S
    settings.csv_empty_header = args.csv_empty_header
    settings.max_request = args.max_http_request_size

    cleanup = None
    if args.data_dir:
        os.makedirs(args.data_dir, exist_ok=True)
        path = os.path.join(args.data_dir, "influxdb3_emulator.sqlite")
    else:
        base = "/dev/shm" if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK) else None
        tmpdir = tempfile.mkdtemp(prefix="influxdb3-emulator-", dir=base)
        path = os.path.join(tmpdir, "db.sqlite")

        def cleanup():
            import shutil
            shutil.rmtree(tmpdir, ignore_errors=True)
    try:
        store = Store(path, settings, durable=bool(args.data_dir))
        for f in args.load:
            with open(f, "r", encoding="utf-8") as fh:
                text = fh.read()
            count, errors = store.write(args.database, text, _parse_precision(args.load_precision, True, ""),
                                        True, time.time_ns())
            sys.stderr.write("emulator: loaded %d lines from %s into %s (%d rejected)\n"
                             % (count, f, args.database, len(errors)))
            for n, m, o in errors[:10]:
                sys.stderr.write("emulator:   line %d: %s\n" % (n, m))
        app = App(store, settings, args.token, args.no_auth,
                  [s.strip() for s in args.disable_authz.split(",") if s.strip()], args.verbose)
        for f in args.fault:
            app.add_faults(json.loads(f))
        server = Server(("127.0.0.1", args.port), Handler)
        server.app = app
        port = server.server_address[1]
        if args.port_file:
            tmp = args.port_file + ".tmp%d" % os.getpid()
            with open(tmp, "w") as fh:
                fh.write("%d\n" % port)
            os.replace(tmp, args.port_file)
        sys.stderr.write("emulator: InfluxDB 3 emulator (%s) listening on http://127.0.0.1:%d\n"
                         % (settings.version, port))
        sys.stderr.flush()

        def stop(signum, frame):
            raise KeyboardInterrupt
        signal.signal(signal.SIGTERM, stop)
        try:
            server.serve_forever(poll_interval=0.2)
        except KeyboardInterrupt:
            pass
        finally:
            server.server_close()
    finally:
        if cleanup:
            cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
