#!/usr/bin/env python3
"""Compares the upstream plugin's Iceberg table with ours, row by row (as multisets), with PyIceberg.

    compare_tables.py --label 1M --plugin-dir DIR --ours-dir DIR --times FILE... [--ours-json FILE]
                      [--table default.machine]

Each DIR holds a SQL catalog (DIR/catalog.db, catalog name "iceberg", as both sides create it)
and its warehouse. --times are gen_lp.py's day-NNN.times files (raw int64 ns of every source
row), to check both time columns against the source's nanoseconds. --ours-json is the output of
`influx2iceberg replicate --json` (its timestamps_truncated_to_us is checked).

Every difference found is put in a kind. The known kinds (KNOWN below) are the plugin's behaviour
described in its code and README or in docs/processing-engine.md ("Differences from the upstream
plugin"); they are printed with their counts as explained differences. Anything else is printed as
UNEXPLAINED and the exit status is 1. Output:

    seed_vs_ours 1M: tables equal: 1000000 rows (4 kinds of explained differences)
    seed_vs_ours 1M:   explained: <kind>: <count> — <why>

Bench tooling, not product code; runs under tests/interop/.venv (pyiceberg, pyarrow).
"""
import argparse
import json
import sys
from collections import Counter

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from pyiceberg.catalog import load_catalog
from pyiceberg.types import DoubleType, LongType

KNOWN = {
    "ns_to_us": "time truncated from ns to µs in both tables (the plugin silently: pandas "
                "astype('datetime64[us]'); ours counts it in timestamps_truncated_to_us; "
                "format_version=3 keeps ns)",
    "int_as_double": "int64 field with NULLs stored as double by the plugin (pandas makes an int "
                     "column with missing values float64; column types are inferred from the "
                     "first batch's DataFrame); ours keeps long",
    "int_as_double_rounded": "of those, values not exactly representable as a double (|v| > 2^53), "
                             "changed by the plugin",
    "required": "columns the plugin makes required because its first batch had no NULL in them; "
                "ours makes only time required (a later NULL would fail the plugin's append)",
    "field_order": "column order: the plugin's is tags then fields in information_schema order; "
                   "ours is time first, then the others by name (rows are compared by name)",
    "partitioning": "partition spec: the plugin's table is unpartitioned, ours is day(time)",
}


def load(dirpath, table):
    cat = load_catalog("iceberg", type="sql", uri="sqlite:///%s/catalog.db" % dirpath,
                       warehouse="file://%s/wh" % dirpath)
    return cat.load_table(table)


def source_times_us(times_files):
    """Sorted µs (floor) of every source timestamp, and how many had sub-µs digits."""
    parts = [np.fromfile(p, dtype="<i8") for p in times_files]
    ns = np.concatenate(parts) if parts else np.array([], dtype=np.int64)
    sub_us = int(np.count_nonzero(ns % 1000))
    return np.sort(ns // 1000), sub_us, len(ns)


def table_times_us(arrow_table):
    col = arrow_table.column("time").combine_chunks()
    return np.sort(col.cast(pa.int64()).to_numpy(zero_copy_only=False))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--label", required=True)
    ap.add_argument("--plugin-dir", required=True)
    ap.add_argument("--ours-dir", required=True)
    ap.add_argument("--table", default="default.machine")
    ap.add_argument("--times", nargs="+", required=True)
    ap.add_argument("--ours-json")
    a = ap.parse_args()
    tag = "seed_vs_ours %s:" % a.label

    explained = []      # (kind, count, unit)
    unexplained = []    # text

    tp, to = load(a.plugin_dir, a.table), load(a.ours_dir, a.table)
    sp, so = tp.schema(), to.schema()
    fp = {f.name: f for f in sp.fields}
    fo = {f.name: f for f in so.fields}

    # ---- schema
    for n in sorted(set(fp) - set(fo)):
        unexplained.append("column %r only in the plugin's table (%s)" % (n, fp[n].field_type))
    for n in sorted(set(fo) - set(fp)):
        unexplained.append("column %r only in ours (%s): the plugin dropped it" % (n, fo[n].field_type))
    common = [n for n in sorted(fp) if n in fo]
    if [f.name for f in sp.fields if f.name in fo] != [f.name for f in so.fields if f.name in fp]:
        explained.append(("field_order", len(common), "columns"))
    int_as_double = []
    required = []
    for n in common:
        tpn, ton = fp[n].field_type, fo[n].field_type
        if tpn != ton:
            if isinstance(tpn, DoubleType) and isinstance(ton, LongType):
                int_as_double.append(n)
            else:
                unexplained.append("column %r: plugin %s, ours %s" % (n, tpn, ton))
        if fp[n].required and not fo[n].required:
            required.append(n)
        elif fo[n].required and not fp[n].required:
            unexplained.append("column %r required in ours, optional in the plugin's" % n)
    if required:
        explained.append(("required", len(required), "columns (%s)" % ", ".join(required)))
    if len(tp.spec().fields) == 0 and len(to.spec().fields) > 0:
        explained.append(("partitioning", 1, "table"))
    elif str(tp.spec()) != str(to.spec()):
        unexplained.append("partition specs: plugin %s, ours %s" % (tp.spec(), to.spec()))

    # ---- rows
    ap_tab = tp.scan().to_arrow()
    ao_tab = to.scan().to_arrow()
    n_p, n_o = ap_tab.num_rows, ao_tab.num_rows

    # time against the source (both sides are v2 tables: µs)
    src_us, sub_us, n_src = source_times_us(a.times)
    for who, t in (("the plugin's table", ap_tab), ("our table", ao_tab)):
        if t.num_rows != n_src:
            unexplained.append("%s has %d rows, the source %d" % (who, t.num_rows, n_src))
        elif not np.array_equal(table_times_us(t), src_us):
            unexplained.append("%s: time is not the source's timestamps truncated to µs" % who)
    if sub_us:
        explained.append(("ns_to_us", sub_us, "of %d source timestamps had sub-µs digits" % n_src))

    # int64-with-NULLs columns: compare ours' long as double, count the values that change
    if int_as_double:
        cols = {}
        rounded = 0
        values = 0
        for n in int_as_double:
            col = ao_tab.column(n)
            as_d = pc.cast(col, pa.float64(), safe=False)
            back = pc.cast(as_d, pa.int64(), safe=False)
            valid = pc.is_valid(col)
            values += pc.sum(valid.cast(pa.int64())).as_py() or 0
            rounded += pc.sum(pc.and_(valid, pc.not_equal(back, col)).cast(pa.int64())).as_py() or 0
            cols[n] = as_d
        for n, arr in cols.items():
            ao_tab = ao_tab.set_column(ao_tab.schema.get_field_index(n), pa.field(n, pa.float64()), arr)
        explained.append(("int_as_double", values, "values in %s" % ", ".join(int_as_double)))
        if rounded:
            explained.append(("int_as_double_rounded", rounded, "values"))

    # same names, same order, all nullable, same types; then multiset = sorted equality
    def norm(t):
        """Arrow-level only: string vs large_string is how a reader materialises an Iceberg
        string, not a difference between the tables."""
        t = t.select(common)
        def ty(x):
            return pa.string() if x == pa.large_string() else pa.binary() if x == pa.large_binary() else x
        return t.cast(pa.schema([pa.field(n, ty(t.schema.field(n).type), nullable=True) for n in common]))

    P, O = norm(ap_tab), norm(ao_tab)
    if P.schema != O.schema:
        unexplained.append("arrow schemas still differ: %s vs %s" % (P.schema, O.schema))
        equal = False
    else:
        keys = ["time"] + [n for n in common if n != "time"]
        order = [(k, "ascending") for k in keys]
        Ps, Os = P.sort_by(order), O.sort_by(order)
        equal = n_p == n_o and all(Ps.column(n).combine_chunks().equals(Os.column(n).combine_chunks())
                                   for n in common)
        if not equal:
            cp = Counter(zip(*[P.column(n).to_pylist() for n in common]))
            co = Counter(zip(*[O.column(n).to_pylist() for n in common]))
            only_p, only_o = cp - co, co - cp
            unexplained.append("%d rows only in the plugin's table, %d only in ours"
                               % (sum(only_p.values()), sum(only_o.values())))
            # pair by (time, host) to name the differing columns
            ti, hi = common.index("time"), common.index("host") if "host" in common else None
            kp = {(r[ti], r[hi] if hi is not None else None): r for r in only_p}
            per_col = Counter()
            for r in only_o:
                q = kp.get((r[ti], r[hi] if hi is not None else None))
                if q is not None:
                    for i, n in enumerate(common):
                        if q[i] != r[i]:
                            per_col[n] += 1
            for n, c in per_col.most_common():
                unexplained.append("column %r differs in %d paired rows" % (n, c))

    if a.ours_json:
        try:
            with open(a.ours_json) as f:
                tr = json.load(f).get("timestamps_truncated_to_us")
            if tr is not None and sub_us and tr != sub_us:
                unexplained.append("ours reported %s truncated timestamps, the source has %d" % (tr, sub_us))
        except (OSError, ValueError) as e:
            unexplained.append("cannot read %s: %s" % (a.ours_json, e))

    if equal and not unexplained:
        print("%s tables equal: %d rows (%d kinds of explained differences)" % (tag, n_p, len(explained)))
    else:
        print("%s tables differ: plugin %d rows, ours %d rows" % (tag, n_p, n_o))
    for kind, count, unit in explained:
        print("%s   explained: %s: %d %s — %s" % (tag, kind, count, unit, KNOWN[kind]))
    for text in unexplained:
        print("%s   UNEXPLAINED: %s" % (tag, text))
    return 1 if unexplained or not equal else 0


if __name__ == "__main__":
    sys.exit(main())
