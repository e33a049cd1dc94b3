#!/usr/bin/env python3
"""Writes every kind of table influx2iceberg makes, for the judges to read.

    make_tables.py --cli build/src/cli/influx2iceberg --out DIR

Starts the InfluxDB 3 emulator, loads datasets (tests/replicate/datasets.py), runs the real CLI
into one SQL catalog on SQLite (DIR/warehouse/catalog.db, catalog name "iceberg", the embedded
default's layout) and writes DIR/tables.json:

    {"catalog": {"name", "sqlite", "warehouse", "uri"},
     "tables": [{"label", "namespace", "table", "expected": [files], "time_unit": "us"|"ns",
                 "format_version", "partition", "filter": {"start", "end"} | null,
                 "new_column": {"name", "from"} | null}]}

filter: a time range in the table's unit that covers a strict subset of the table's partitions,
for pruning checks; new_column: a column added by auto_update_schema, NULL before `from` (unit of
the table). The same arguments always give the same rows.
"""

import argparse
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import judgelib as J  # noqa: E402

NS = 1_000_000_000
DAY = 86400 * NS
HOUR = 3600 * NS
T_2024_12_20 = 1734652800 * NS
T_2025_03_01 = 1740787200 * NS
T_2025_01_01 = 1735689600 * NS
EDGE_MEASUREMENT = "Edge \"Mëas\" 'q'.v1"   # datasets.py's edge measurement
GROWN_FIELD = "new field.x"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cli", required=True)
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    out, cat = J.fresh_warehouse(a.out)
    catalog = J.catalog_configs(cat)
    wh = cat["warehouse"]
    tables = []

    emu = J.Emulator(out)
    try:
        f = lambda n: os.path.join(out, n)
        J.gen_edge(f("edge.lp"), f("edge.json"))
        # 3 hosts, every 30 min from 2024-12-20 for 52 days: crosses a year and two months
        J.gen_regular(f("reg.lp"), f("reg.json"), "reg", T_2024_12_20, 52 * 48, 1800 * NS, hosts=3, seed=11)
        # grown by auto_update_schema: two days without the new field, then two days with it
        J.gen_regular(f("grow1.lp"), f("grow1.json"), "grow", T_2025_03_01, 96, 1800 * NS, hosts=2, seed=12)
        J.gen_regular(f("grow2.lp"), f("grow2.json"), "grow", T_2025_03_01 + 2 * DAY, 96, 1800 * NS, hosts=2,
                      seed=13, extra_field=GROWN_FIELD)
        # 150k rows in one day (one file, one row group: many Parquet pages per column chunk) and 10k
        # in the next: dictionaries kept across pages by the domain estimate, and dictionaries
        # outgrowing their budget mid-chunk (datasets.py pages)
        J.gen_pages(f("pages.lp"), f("pages.json"), "pages", T_2025_01_01, 160000, DAY // 150000, seed=14)
        emu.write_lp("edge", f("edge.lp"))
        emu.write_lp("judge", f("reg.lp"))
        emu.write_lp("judge", f("grow1.lp"))
        emu.write_lp("judge", f("pages.lp"))

        def replicate(label, db, measurement, extra):
            rep = J.cli_replicate(a.cli, emu, db, measurement, catalog, extra, label)
            J.check(rep is not None and rep.get("total_written_records", 0) > 0,
                    "%s: the CLI wrote rows (%s)" % (label, rep and rep.get("total_written_records")))
            return rep

        def add(label, table, expected, time_unit, fv, partition, filt=None, new_column=None):
            tables.append({"label": label, "namespace": "default", "table": table,
                           "expected": [f(e) for e in expected], "time_unit": time_unit, "format_version": fv,
                           "partition": partition, "filter": filt, "new_column": new_column})

        us = lambda ns: ns // 1000
        # the edge dataset, v2 (µs, floored) and v3 (timestamp_ns), day partitions
        replicate("edge v2", "edge", EDGE_MEASUREMENT, ["--table-name", "edge v2"])
        add("edge v2", "edge v2", ["edge.json"], "us", 2, "day",
            {"start": str(us(-1 * DAY)), "end": str(us(1 * DAY))})
        replicate("edge v3", "edge", EDGE_MEASUREMENT, ["--table-name", "edge v3", "--format-version", "3"])
        add("edge v3", "edge v3", ["edge.json"], "ns", 3, "day", {"start": str(-1 * DAY), "end": str(1 * DAY)})

        # the regular dataset under each partition transform
        jan1 = 1735689600 * NS
        feb1 = 1738368000 * NS
        replicate("day", "judge", "reg", ["--table-name", "reg_day", "--partition-by", "day"])
        add("day", "reg_day", ["reg.json"], "us", 2, "day", {"start": str(us(jan1)), "end": str(us(jan1 + 3 * DAY))})
        replicate("month", "judge", "reg", ["--table-name", "reg_month", "--partition-by", "month",
                                             "--batch-size", "7d"])
        add("month", "reg_month", ["reg.json"], "us", 2, "month", {"start": str(us(jan1)), "end": str(us(feb1))})
        replicate("year", "judge", "reg", ["--table-name", "reg_year", "--partition-by", "year",
                                           "--batch-size", "30d"])
        add("year", "reg_year", ["reg.json"], "us", 2, "year", {"start": str(us(jan1)), "end": str(us(feb1 + 30 * DAY))})
        replicate("none", "judge", "reg", ["--table-name", "reg_none", "--partition-by", "none",
                                           "--batch-size", "7d"])
        add("none", "reg_none", ["reg.json"], "us", 2, "none", None)
        # hour partitions over two days only (48 partitions)
        h0 = jan1 - DAY
        replicate("hour", "judge", "reg", ["--table-name", "reg_hour", "--partition-by", "hour",
                                           "--backfill-start", "2024-12-31T00:00:00Z",
                                           "--backfill-end", "2025-01-02T00:00:00Z"])
        reg_rows = J.load_expected([f("reg.json")])[1]
        hour_rows = [r for r in reg_rows if h0 <= int(r["time"]) < h0 + 2 * DAY]
        with open(f("reg_hour.json"), "w", encoding="utf-8") as fh:
            cols = json.load(open(f("reg.json"), encoding="utf-8"))["columns"]
            json.dump({"measurement": "reg", "columns": cols, "rows": hour_rows}, fh, ensure_ascii=False)
        add("hour", "reg_hour", ["reg_hour.json"], "us", 2, "hour",
            {"start": str(us(h0 + 5 * HOUR)), "end": str(us(h0 + 8 * HOUR))})
        # v3 hour partitions on timestamp_ns
        replicate("v3 month", "judge", "reg", ["--table-name", "reg_v3_month", "--partition-by", "month",
                                                "--format-version", "3", "--batch-size", "7d"])
        add("v3 month", "reg_v3_month", ["reg.json"], "ns", 3, "month", {"start": str(jan1), "end": str(feb1)})

        # many pages per chunk, each dictionary path
        replicate("pages", "judge", "pages", ["--table-name", "pages"])
        add("pages", "pages", ["pages.json"], "us", 2, "day", None)

        # a table grown by auto_update_schema
        replicate("grown (before)", "judge", "grow", ["--table-name", "grown"])
        emu.write_lp("judge", f("grow2.lp"))
        replicate("grown", "judge", "grow", ["--table-name", "grown", "--auto-update-schema"])
        add("grown", "grown", ["grow1.json", "grow2.json"], "us", 2, "day",
            {"start": str(us(T_2025_03_01 + DAY)), "end": str(us(T_2025_03_01 + 3 * DAY))},
            {"name": GROWN_FIELD, "from": str(us(T_2025_03_01 + 2 * DAY))})
    finally:
        emu.close()

    with open(os.path.join(out, "tables.json"), "w", encoding="utf-8") as fh:
        json.dump({"catalog": cat, "tables": tables}, fh, ensure_ascii=False, indent=1)
    print("wrote %d tables into %s" % (len(tables), wh))
    J.finish()


if __name__ == "__main__":
    main()
