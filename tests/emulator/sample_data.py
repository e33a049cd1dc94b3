#!/usr/bin/env python3
"""Deterministic line-protocol sample data for demos and tests (test tooling, not product code).

    python3 tests/emulator/sample_data.py > sample.lp
    python3 tests/emulator/sample_data.py --days 7 --interval 60 --hosts 8 > big.lp

Writes a `cpu` measurement with tags host/region/dc, float fields usage_user/usage_system/
usage_idle, an integer field (procs, written with the `i` suffix), a string field (state) and a
boolean field (throttled), one point per host every --interval seconds over --days days, with
nanosecond timestamps starting at --start (UTC). The same arguments always give the same bytes.
Defaults: 3 days x 288 points x 4 hosts = 3456 lines.
"""

import argparse
import datetime as dt
import random
import sys

HOSTS = [("server-a", "us-east", "dc1"), ("server-b", "us-east", "dc2"), ("server-c", "eu-west", "dc3"),
         ("server-d", "eu-west", "dc3"), ("server-e", "ap-south", "dc4"), ("server-f", "ap-south", "dc4"),
         ("server-g", "us-west", "dc5"), ("server-h", "us-west", "dc6")]
STATES = ["running", "idle", "busy", "degraded \"slow\""]   # one needs escaping in line protocol


def lp_string(s):
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def generate(out, days, interval, hosts, start, seed, measurement):
    rng = random.Random(seed)
    t0 = int(start.timestamp()) * 1_000_000_000
    steps = days * 86400 // interval
    hosts = HOSTS[:hosts]
    # each host drifts around its own baseline so the series look plausible
    base = {h: rng.uniform(5, 60) for h, _, _ in hosts}
    for step in range(steps):
        ts = t0 + step * interval * 1_000_000_000
        for host, region, dc in hosts:
            user = max(0.0, min(100.0, base[host] + rng.gauss(0, 8)))
            system = max(0.0, min(100.0 - user, rng.uniform(1, 15)))
            idle = round(100.0 - user - system, 3)
            procs = rng.randint(80, 400)
            state = STATES[0] if user < 70 else rng.choice(STATES[1:])
            throttled = "true" if user > 85 else "false"
            out.write("%s,host=%s,region=%s,dc=%s usage_user=%s,usage_system=%s,usage_idle=%s,"
                      "procs=%di,state=%s,throttled=%s %d\n"
                      % (measurement, host, region, dc, repr(round(user, 3)), repr(round(system, 3)),
                         repr(idle), procs, lp_string(state), throttled, ts))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--days", type=int, default=3)
    ap.add_argument("--interval", type=int, default=300, help="seconds between points of one host")
    ap.add_argument("--hosts", type=int, default=4, choices=range(1, len(HOSTS) + 1))
    ap.add_argument("--start", default="2026-01-01T00:00:00", help="UTC start, ISO 8601")
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--measurement", default="cpu")
    a = ap.parse_args()
    start = dt.datetime.fromisoformat(a.start).replace(tzinfo=dt.timezone.utc)
    generate(sys.stdout, a.days, a.interval, a.hosts, start, a.seed, a.measurement)


if __name__ == "__main__":
    try:
        main()
    except BrokenPipeError:          # e.g. piped into head
        sys.stderr.close()
