#!/usr/bin/env bash
# `make demo`: replicate a sample measurement into ./warehouse and inspect the Iceberg table.
# Uses the InfluxDB 3 emulator loaded with sample data, unless INFLUXDB3_HOST_URL points at a real
# server (then INFLUXDB3_DATABASE_NAME and INFLUXDB3_AUTH_TOKEN are used, and DEMO_MEASUREMENT,
# default "cpu").
set -euo pipefail
cd "$(dirname "$0")/.."
build="${1:-build-release}"
bin="$build/src/cli/influx2iceberg"
measurement="${DEMO_MEASUREMENT:-cpu}"
tmp=$(mktemp -d)
emu_pid=""
cleanup() {
  [ -n "$emu_pid" ] && kill "$emu_pid" 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT

if [ -z "${INFLUXDB3_HOST_URL:-}" ]; then
  echo "== starting the InfluxDB 3 emulator with sample data (set INFLUXDB3_HOST_URL to use a real server)"
  python3 tests/emulator/sample_data.py > "$tmp/sample.lp"
  python3 tests/emulator/influxdb3_emulator.py --port 0 --port-file "$tmp/port" --no-auth \
    --load "$tmp/sample.lp" --database demo > "$tmp/emulator.log" 2>&1 &
  emu_pid=$!
  for _ in $(seq 1 100); do [ -s "$tmp/port" ] && break; sleep 0.1; done
  [ -s "$tmp/port" ] || { echo "emulator did not start:"; cat "$tmp/emulator.log"; exit 1; }
  export INFLUXDB3_HOST_URL="http://127.0.0.1:$(cat "$tmp/port")"
  export INFLUXDB3_DATABASE_NAME=demo
  echo "   $(wc -l < "$tmp/sample.lp") rows of '$measurement' served at $INFLUXDB3_HOST_URL"
fi

echo
echo "== influx2iceberg replicate --measurement $measurement   (SQLite catalog + ./warehouse)"
"$bin" replicate --measurement "$measurement" --no-progress
echo
echo "== influx2iceberg inspect --table-name $measurement"
"$bin" inspect --table-name "$measurement"
echo
echo "== running it again adds nothing (every window is already committed)"
"$bin" replicate --measurement "$measurement" --no-progress --log-level warn
echo
echo "The table is in ./warehouse (catalog: ./warehouse/catalog.db). DuckDB, Spark, Trino or PyIceberg"
echo "can read it through the SQL catalog or the metadata file printed above."
