"""The upstream plugin's own example configurations, unchanged in shape, pointed at local servers,
run by `influx2iceberg serve` as scheduled jobs:

  template  the plugin's scheduler TOML template (influxdb_to_iceberg_config_scheduler.toml:
            type = "rest", uri, warehouse = "s3://...", s3.endpoint, s3.region,
            s3.path-style-access, s3.access-key-id, s3.secret-access-key, supportedAPIVersion),
            given as the job's config_file_path in the plugin directory, against Iceberg's own
            REST server on S3FileIO over moto. The upstream file itself is used when it is on this
            machine (I2I_PLUGIN_SEED_DIR, default /work/shared/seed) with its placeholders filled
            in; otherwise a file with exactly its keys, written here.
  README    the plugin README's trigger arguments: measurement, window, catalog_configs = base64 of
            {"uri": "http://nessie:9000"} (no type: a REST catalog inferred from the URI, as
            PyIceberg does), namespace=monitoring, table_name=cpu_metrics, as one
            trigger_arguments string, against Iceberg's REST server on a local warehouse.

PyIceberg then reads both tables through the servers and every row is compared.

  upstream_configs.py --cli influx2iceberg --fixture tests/interop/rest-fixture/rest-fixture
"""

import argparse
import base64
import json
import os
import re
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TESTS = os.path.dirname(HERE)
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(TESTS, "service"))
from rest_fixture import J, RestFixture, canonical_rows, RestCatalog  # noqa: E402
from test_service import Service, free_port, API_TOKEN  # noqa: E402

NS = 1_000_000_000
TEMPLATE = "influxdb_to_iceberg_config_scheduler.toml"

# The template's keys, in its order (our own text, for machines without the upstream file).
OWN_TEMPLATE = """measurement = "your_measurement"
window = "your_window"
#included_fields = ["field1", "field2", "tag1"]
#namespace = "your_namespace"
#auto_update_schema = false
[catalog_configs]
type = "your_catalog_type"
uri = "your_catalog_uri"
warehouse = "your_warehouse_path"
"s3.endpoint" = "your_s3_endpoint"
"s3.region" = "your_s3_region"
"s3.path-style-access" = true
"s3.access-key-id" = "your_access_key"
"s3.secret-access-key" = "your_secret_key"
supportedAPIVersion = "your_api_version"
"""


def fill_template(text, values):
    """Replace each `key = "your_..."` placeholder's value; every other line stays as it is."""
    out, seen = [], set()
    for line in text.splitlines():
        m = re.match(r'^(\s*)("?[A-Za-z0-9_.\-]+"?)(\s*=\s*)"your_[^"]*"(.*)$', line)
        if m:
            key = m.group(2).strip('"')
            if key not in values:
                raise SystemExit("FAIL template key %r has no test value" % key)
            line = '%s%s%s"%s"%s' % (m.group(1), m.group(2), m.group(3), values[key], m.group(4))
            seen.add(key)
        out.append(line)
    missing = set(values) - seen
    if missing:
        raise SystemExit("FAIL template lacks keys %s" % sorted(missing))
    return "\n".join(out) + "\n"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cli", required=True)
    ap.add_argument("--fixture", required=True)
    a = ap.parse_args()
    if not os.path.exists(os.path.join(os.path.dirname(a.fixture), "target", "lib")):
        print("FAIL the REST fixture is not built (%s): run `make deps`" % a.fixture)
        return 2
    seed = os.path.join(os.environ.get("I2I_PLUGIN_SEED_DIR", "/work/shared/seed"), TEMPLATE)
    from moto_s3 import MotoS3
    with tempfile.TemporaryDirectory(prefix="i2i-upstream-") as tmp, MotoS3(bucket="i2i-upstream") as s3:
        f = lambda n: os.path.join(tmp, n)  # noqa: E731
        props = ["s3.endpoint=" + s3.endpoint, "s3.path-style-access=true", "s3.access-key-id=" + s3.key_id,
                 "s3.secret-access-key=" + s3.secret, "client.region=" + s3.region]
        os.makedirs(f("s3fx"))
        os.makedirs(f("localfx"))
        with RestFixture(a.fixture, f("s3fx"), "s3://i2i-upstream/wh", props) as rest_s3, \
                RestFixture(a.fixture, f("localfx"), f("local-wh")) as rest_local:
            now = time.time_ns()
            J.gen_regular(f("cpu.lp"), f("cpu.json"), "cpu", now - 3 * 3600 * NS, 150, 60 * NS, hosts=3, seed=61)
            J.gen_regular(f("home.lp"), f("home.json"), "home", now - 3 * 3600 * NS, 140, 60 * NS, hosts=2, seed=62)
            emu = J.Emulator(tmp)
            svc = None
            try:
                emu.write_lp("updb", f("cpu.lp"))
                emu.write_lp("updb", f("home.lp"))
                # the template, placeholders filled in for the local servers
                values = {"measurement": "home", "window": "4h", "type": "rest", "uri": rest_s3.uri,
                          "warehouse": "s3://i2i-upstream/wh", "s3.endpoint": s3.endpoint,
                          "s3.region": s3.region, "s3.access-key-id": s3.key_id,
                          "s3.secret-access-key": s3.secret, "supportedAPIVersion": "2"}
                used_upstream = os.path.exists(seed)
                text = open(seed).read() if used_upstream else OWN_TEMPLATE
                os.makedirs(f("plugins"))
                with open(f("plugins/" + TEMPLATE), "w") as fh:
                    fh.write(fill_template(text, values))
                J.ok("template: %s" % ("the upstream file " + seed if used_upstream else "our copy of its keys"))
                # the README's trigger arguments, the Nessie URI replaced by the local server's
                readme_cfg = base64.b64encode(json.dumps({"uri": rest_local.uri}).encode()).decode()
                with open(f("api.token"), "w") as fh:
                    fh.write(API_TOKEN + "\n")
                with open(f("influx.token"), "w") as fh:
                    fh.write(J.TOKEN + "\n")
                port = free_port()
                config = """[server]
port = %d
token_file = "api.token"
plugin_dir = "plugins"

[influxdb]
host = "%s"
database = "updb"
token_file = "influx.token"

[jobs.template]
trigger = "every:2s"
config_file_path = "%s"

[jobs.readme]
trigger = "every:2s"
trigger_arguments = "measurement=cpu,window=4h,catalog_configs=%s,namespace=monitoring,table_name=cpu_metrics"
""" % (port, emu.url, TEMPLATE, readme_cfg)
                svc = Service(a.cli, tmp, config)
                for job, rows in (("template", 140 * 2), ("readme", 150 * 3)):
                    j = svc.wait_job(job, lambda j: j["totals"]["rows"] >= rows or j["last_error"], timeout=180,
                                     label=job)
                    J.check(j is not None and j["totals"]["rows"] == rows and not j["last_error"],
                            "job %s committed its %d rows (%s)" % (job, rows, j and {k: j[k] for k in
                                                                                   ("state", "totals", "last_error")}))
                rc = svc.stop()
                J.check(rc == 0, "serve stopped cleanly (rc %s)" % rc)
                svc = None
            finally:
                if svc:
                    svc.stop()
                emu.close()

            s3keys = {"s3.endpoint": s3.endpoint, "s3.access-key-id": s3.key_id,
                      "s3.secret-access-key": s3.secret, "s3.region": s3.region}
            for label, cat, ident, exp in (
                    ("template (REST + S3)", RestCatalog("t", uri=rest_s3.uri, **s3keys), ("default", "home"), "home.json"),
                    ("README (REST, type inferred)", RestCatalog("r", uri=rest_local.uri), ("monitoring", "cpu_metrics"),
                     "cpu.json")):
                tbl = cat.load_table(ident)
                schema = tbl.schema()
                got = canonical_rows(tbl.scan().to_arrow(), schema)
                _, rows = J.load_expected([f(exp)])
                J.compare_rows(label, got, J.want_rows(rows, [fl.name for fl in schema.fields], "us"))
            J.check(tbl.metadata.location.startswith("file://") or tbl.metadata.location.startswith("/"),
                    "the README table lives in the local server's warehouse (%s)" % tbl.metadata.location)
    return J.finish()


if __name__ == "__main__":
    sys.exit(main())
