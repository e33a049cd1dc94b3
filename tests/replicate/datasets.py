#!/usr/bin/env python3
"""Line-protocol datasets for the replicate end-to-end tests, each with the exact rows it holds.

    datasets.py edge    --lp OUT.lp --expected OUT.json
    datasets.py regular --lp OUT.lp --expected OUT.json --measurement M --start-ns NS
                        --count N --step-ns S [--hosts H] [--seed X] [--extra-field NAME]
    datasets.py pages   --lp OUT.lp --expected OUT.json --measurement M --start-ns NS
                        --count N --step-ns S [--seed X]

The expected file is what the emulator stores for those lines, in a canonical form the checker
(check_table.mjs) compares readers' values against:

    {"measurement": NAME, "columns": {name: kind, ...}, "rows": [{name: value, ...}, ...]}

kind is time | tag | double | int64 | uint64 | string | bool. Values: time as a decimal string of
ns since the epoch; int64/uint64 as decimal strings; double as the 16 hex digits of the IEEE-754
bits (big-endian, "8000000000000000" is -0.0), or "NaN" for a value the table stores as NaN (an
infinity arrives from InfluxDB as JSON null and is stored as NaN); strings and booleans as JSON. A
column missing from a row is NULL (the key is absent).

The same arguments always give the same bytes.
"""

import argparse
import json
import random
import struct
import sys

NS = 1_000_000_000
DAY = 86400 * NS


def esc_key(s):
    """Measurement names escape ',' and ' '; tag keys/values and field keys also '='."""
    return s.replace("\\", "\\\\").replace(",", "\\,").replace("=", "\\=").replace(" ", "\\ ")


def esc_meas(s):
    return s.replace("\\", "\\\\").replace(",", "\\,").replace(" ", "\\ ")


def lp_string(s):
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def dbits(x):
    return struct.pack(">d", x).hex()


class Writer:
    def __init__(self, measurement, columns):
        self.measurement = measurement
        self.columns = columns            # name -> kind
        self.lines = []
        self.rows = []
        self.seen = set()

    def add(self, ts, tags, fields):
        """tags: {key: str}; fields: {key: (kind, value, lp_text_or_None, stored)}"""
        key = (tuple(sorted(tags.items())), ts)
        assert key not in self.seen, key   # same series + time would merge on the server
        self.seen.add(key)
        assert fields, "a line needs at least one field"
        row = {"time": str(ts)}
        parts = [esc_meas(self.measurement)]
        for k in sorted(tags):
            parts.append("%s=%s" % (esc_key(k), esc_key(tags[k])))
            row[k] = tags[k]
        fl = []
        for k, (kind, v) in fields.items():
            assert self.columns[k] == kind, (k, kind)
            if kind == "double":
                if v in (float("inf"), float("-inf")):
                    fl.append("%s=%s" % (esc_key(k), "1e400" if v > 0 else "-1e400"))
                    row[k] = "NaN"         # JSON null from the server, stored as NaN
                else:
                    fl.append("%s=%s" % (esc_key(k), repr(v)))
                    row[k] = dbits(v)
            elif kind == "int64":
                fl.append("%s=%di" % (esc_key(k), v))
                row[k] = str(v)
            elif kind == "uint64":
                fl.append("%s=%du" % (esc_key(k), v))
                row[k] = str(v)
            elif kind == "string":
                fl.append("%s=%s" % (esc_key(k), lp_string(v)))
                row[k] = v
            elif kind == "bool":
                fl.append("%s=%s" % (esc_key(k), "true" if v else "false"))
                row[k] = bool(v)
            else:
                raise ValueError(kind)
        self.lines.append("%s %s %d" % (",".join(parts), ",".join(fl), ts))
        self.rows.append(row)

    def save(self, lp_path, expected_path):
        with open(lp_path, "w", encoding="utf-8", newline="\n") as f:
            for line in self.lines:
                f.write(line + "\n")
        with open(expected_path, "w", encoding="utf-8") as f:
            json.dump({"measurement": self.measurement, "columns": self.columns, "rows": self.rows},
                      f, ensure_ascii=False, indent=0)


# ---------------------------------------------------------------------------------------- edge

EDGE_MEASUREMENT = "Edge \"Mëas\" 'q'.v1"
TAG_HOST = "host"
TAG_ODD = "Tag \"K\" 'x'.Ω"
F_DOUBLE = "Float \"F\" 'v'.°"
F_INT = "Int.Min \"Max\" 'x' é"
F_UINT = "UInt ü"
F_TEXT = "Text \"s\" 't'.ß"
F_FLAG = "Flag ☃"
F_SPARSE_D = "sparse.a"
F_SPARSE_S = "sparse B"
F_SPARSE_I = "Sparse_i"

EDGE_COLUMNS = {"time": "time", TAG_HOST: "tag", TAG_ODD: "tag", F_DOUBLE: "double", F_INT: "int64",
                F_UINT: "uint64", F_TEXT: "string", F_FLAG: "bool", F_SPARSE_D: "double",
                F_SPARSE_S: "string", F_SPARSE_I: "int64"}

SPECIAL_DOUBLES = [-0.0, 0.0, 5e-324, -5e-324, 2.2250738585072014e-308, 1.7976931348623157e308,
                   -1.7976931348623157e308, 0.1, 1 / 3, 1e22, 123456789.12345679, -2.5,
                   float("inf"), float("-inf")]
SPECIAL_INTS = [-(2 ** 63), 2 ** 63 - 1, 0, -1, 1, -(2 ** 63) + 1, 2 ** 63 - 2]
SPECIAL_UINTS = [0, 1, 2 ** 63 - 1, 4294967296]
CHUNKS = ['He said "hi", it\'s fine.\n', "Zürich ✓ 日本語 😀 ", "C:\\path\\to\\ ", "tab\there ",
          "quote' \"double\" ", "\r\nCRLF ", "ünïcödé ", "plain ascii text 0123456789 ", "=,  \\\" "]


def big_string(rng, size):
    out, n = [], 0
    while n < size:
        c = rng.choice(CHUNKS)
        out.append(c)
        n += len(c.encode())
    return "".join(out)


def random_double(rng):
    while True:
        x = struct.unpack(">d", rng.getrandbits(64).to_bytes(8, "big"))[0]
        if x == x and x not in (float("inf"), float("-inf")):
            return x


def edge(args):
    rng = random.Random(20260101)
    w = Writer(EDGE_MEASUREMENT, EDGE_COLUMNS)
    start = -3 * DAY                       # 1969-12-29T00:00:00Z
    days = 5                               # to 1970-01-03
    odd_values = ["v \"1\" 'a'.b ü", "V2", "日本 x"]
    hosts = ["a", "B b", "c.c"]
    # hand-picked instants around the epoch: floor to µs differs from truncation for negatives
    special_times = [-1, -999, -1000, -1001, -1_000_000_001, -DAY - 1, -DAY + 1, 0, 1, 999, 1001,
                     DAY - 1, start, start + 123_456_789, start + days * DAY - 1]
    points = []
    for t in special_times:
        points.append((t, "a"))
    for d in range(days):
        for h in hosts:
            for k in range(36):            # one point every 40 minutes, at a random ns offset
                t = start + d * DAY + k * 2400 * NS + rng.randrange(2400 * NS)
                points.append((t, h))
    i = 0
    big_left = 30
    for t, h in sorted(set(points)):
        tags = {TAG_HOST: h}
        if rng.random() < 0.8:
            tags[TAG_ODD] = odd_values[i % 3]
        fields = {}
        if i < len(SPECIAL_DOUBLES):
            fields[F_DOUBLE] = ("double", SPECIAL_DOUBLES[i])
        elif rng.random() < 0.7:
            fields[F_DOUBLE] = ("double", random_double(rng) if rng.random() < 0.5 else rng.uniform(-1e6, 1e6))
        if i < len(SPECIAL_INTS):
            fields[F_INT] = ("int64", SPECIAL_INTS[i])
        elif rng.random() < 0.7:
            fields[F_INT] = ("int64", rng.randrange(-(2 ** 63), 2 ** 63))
        if i < len(SPECIAL_UINTS):
            fields[F_UINT] = ("uint64", SPECIAL_UINTS[i])
        elif rng.random() < 0.3:
            fields[F_UINT] = ("uint64", rng.randrange(0, 2 ** 63))
        r = rng.random()
        if i == 0:
            fields[F_TEXT] = ("string", "")
        elif big_left > 0 and (i % 17 == 3):
            fields[F_TEXT] = ("string", big_string(rng, 10240))
            big_left -= 1
        elif r < 0.6:
            fields[F_TEXT] = ("string", rng.choice(["ok", "it's \"quoted\"", "line1\nline2", "ß∂ƒ 😀",
                                                   " leading and trailing ", "back\\slash"]))
        if rng.random() < 0.6:
            fields[F_FLAG] = ("bool", rng.random() < 0.5)
        if rng.random() < 0.05:
            fields[F_SPARSE_D] = ("double", rng.uniform(-1, 1))
        if rng.random() < 0.03:
            fields[F_SPARSE_S] = ("string", "sparse %d" % i)
        if rng.random() < 0.1:
            fields[F_SPARSE_I] = ("int64", rng.randrange(-1000, 1000))
        if not fields:
            fields[F_FLAG] = ("bool", True)
        w.add(t, tags, fields)
        i += 1
    assert big_left == 0, big_left
    w.save(args.lp, args.expected)


# ---------------------------------------------------------------------------------------- regular

def regular(args):
    rng = random.Random(args.seed)
    columns = {"time": "time", "host": "tag", "region": "tag", "usage": "double", "count": "int64",
               "msg": "string", "ok": "bool"}
    if args.extra_field:
        columns[args.extra_field] = "double"
    w = Writer(args.measurement, columns)
    hosts = [("h%02d" % i, ["eu", "us", "ap"][i % 3]) for i in range(args.hosts)]
    for k in range(args.count):
        for host, region in hosts:
            t = args.start_ns + k * args.step_ns
            fields = {"usage": ("double", round(rng.uniform(0, 100), 3)),
                      "count": ("int64", rng.randrange(-10 ** 12, 10 ** 12))}
            if rng.random() < 0.7:
                fields["msg"] = ("string", rng.choice(["idle", "busy", "it's \"ok\"", "naïve"]))
            if rng.random() < 0.8:
                fields["ok"] = ("bool", rng.random() < 0.5)
            if args.extra_field:
                fields[args.extra_field] = ("double", rng.uniform(-5, 5))
            w.add(t, {"host": host, "region": region}, fields)
    w.save(args.lp, args.expected)


# ---------------------------------------------------------------------------------------- pages

def pages(args):
    """Enough rows in one window for many 20k-row Parquet pages, with columns that take each
    dictionary path of the writer (docs/parquet.md) across pages:
      pct     3-decimal percentages (~100k possible values): the first page repeats ~9% of its
              values, dictionary kept for the chunk by the domain estimate
      ids     integers from 90k values: the same for int64
      drift   doubles from 50k values on the first page, then new values only: the dictionary is
              kept, outgrows its 1 MiB budget mid-chunk, and the rest of the chunk is PLAIN
      label   strings from 5k values on the first page, then new values only: the same for
              strings
      level   4 values: dictionary kept on the first page's own size"""
    rng = random.Random(args.seed)
    columns = {"time": "time", "host": "tag", "pct": "double", "ids": "int64", "drift": "double",
               "label": "string", "level": "int64"}
    w = Writer(args.measurement, columns)
    for k in range(args.count):
        t = args.start_ns + k * args.step_ns
        early = k < 20000
        fields = {"pct": ("double", round(rng.uniform(0, 100), 3)),
                  "ids": ("int64", rng.randrange(90000) * 7919 - 10 ** 8),
                  "drift": ("double", rng.randrange(50000) / 8.0 if early else 1e6 + k / 16.0),
                  "label": ("string", "lbl-%d" % rng.randrange(5000) if early else "label-%07d" % k),
                  "level": ("int64", rng.randrange(4))}
        w.add(t, {"host": "h%d" % (k % 7)}, fields)
    w.save(args.lp, args.expected)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    e = sub.add_parser("edge")
    r = sub.add_parser("regular")
    g = sub.add_parser("pages")
    for p in (e, r, g):
        p.add_argument("--lp", required=True)
        p.add_argument("--expected", required=True)
    for p in (r, g):
        p.add_argument("--measurement", required=True)
        p.add_argument("--start-ns", type=int, required=True)
        p.add_argument("--step-ns", type=int, required=True)
        p.add_argument("--seed", type=int, default=7)
    r.add_argument("--count", type=int, required=True, help="points per host")
    r.add_argument("--hosts", type=int, default=3)
    r.add_argument("--extra-field", default=None)
    g.add_argument("--count", type=int, required=True, help="rows")
    a = ap.parse_args()
    {"edge": edge, "regular": regular, "pages": pages}[a.cmd](a)


if __name__ == "__main__":
    main()
