#!/usr/bin/env python3
"""Line protocol for the seed benchmark: one measurement, `machine`, shaped like host telemetry.

    gen_lp.py --out-dir DIR --days N [--rows-per-day 500000] [--start 2026-01-01]

Writes, one UTC day at a time, DIR/day-NNN.lp (rows in time order) and DIR/day-NNN.times (the
same rows' timestamps, raw little-endian int64 ns, for the table check); each file appears under
its final name only once complete, so a loader can follow the generator. Columns:

    tags    region (5 values), dc (10), host (200)
    double  usage_user, usage_system, usage_idle (every row), temp_c (about 1 row in 4)
    int64   procs (every row), errors (about 1 row in 20: NULL elsewhere)
    uint64  bytes_sent (every row)
    string  state (every row), note (about 1 row in 50)
    bool    throttled (every row)

Every timestamp has non-zero sub-microsecond digits (t % 1000 != 0), so truncating ns to µs changes
every row. Timestamps increase strictly, so no two lines share series + time (the server would
merge them). Deterministic: the same arguments give the same bytes. Bench tooling, Python 3
standard library only.
"""
import argparse
import array
import datetime
import os
import random
import sys

NS = 1_000_000_000
DAY = 86400 * NS
REGIONS = ["eu-west", "eu-north", "us-east", "us-west", "ap-south"]
STATES = ["ok", "ok", "ok", "busy", "idle", "degraded"]
NOTES = ["disk 91% full", "fan speed \\\"high\\\"", "kernel 6.1.0-18 upgraded", "ntp drift 3 ms",
         "über-temp warning", "restart requested by ops"]


def series():
    out = []
    for h in range(200):
        region = REGIONS[h % 5]
        dc = "%s-%d" % (region, h % 2)
        out.append("machine,dc=%s,host=web-%03d,region=%s " % (dc, h, region))
    return out


def day_lines(day_index, start_ns, rows, seed):
    rng = random.Random(seed * 1_000_003 + day_index)
    heads = series()
    step = DAY // rows
    base = start_ns + day_index * DAY
    rnd = rng.random
    rint = rng.randrange
    out = []
    for i in range(rows):
        t = base + i * step + rint(1, step)
        if t % 1000 == 0:
            t += 1
        user = round(rnd() * 80, 3)
        system = round(rnd() * 15, 3)
        idle = round(100 - user - system, 3)
        f = "usage_user=%r,usage_system=%r,usage_idle=%r" % (user, system, idle)
        if rnd() < 0.25:
            f += ",temp_c=%r" % round(35 + rnd() * 40, 2)
        f += ",procs=%di,bytes_sent=%du" % (rint(80, 480), rint(0, 1 << 40))
        if rnd() < 0.05:
            f += ",errors=%di" % rint(1, 50)
        f += ',state="%s"' % STATES[rint(0, 6)]
        if rnd() < 0.02:
            f += ',note="%s"' % NOTES[rint(0, 6)]
        f += ",throttled=%s" % ("true" if rnd() < 0.1 else "false")
        out.append("%s%s %d\n" % (heads[i % 200], f, t))
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out-dir", required=True)
    ap.add_argument("--days", type=int, required=True)
    ap.add_argument("--rows-per-day", type=int, default=500_000)
    ap.add_argument("--start", default="2026-01-01")
    ap.add_argument("--seed", type=int, default=20260101)
    a = ap.parse_args()
    start = datetime.datetime.fromisoformat(a.start).replace(tzinfo=datetime.timezone.utc)
    start_ns = int(start.timestamp()) * NS
    os.makedirs(a.out_dir, exist_ok=True)
    for d in range(a.days):
        lines = day_lines(d, start_ns, a.rows_per_day, a.seed)
        path = os.path.join(a.out_dir, "day-%03d" % d)
        times = array.array("q", (int(line.rsplit(" ", 1)[1]) for line in lines))
        if sys.byteorder != "little":
            times.byteswap()
        with open(path + ".times.tmp", "wb") as f:
            times.tofile(f)
        os.replace(path + ".times.tmp", path + ".times")
        with open(path + ".lp.tmp", "w", encoding="utf-8", newline="\n") as f:
            f.writelines(lines)
        os.replace(path + ".lp.tmp", path + ".lp")


if __name__ == "__main__":
    main()
