#!/usr/bin/env bash
# `make demo`: until the replicate command lands (issue 5) this builds and says what is to come.
set -euo pipefail
build="${1:-build-release}"
cat <<MSG
influx2iceberg is built in $build.

The demo will: start the InfluxDB 3 emulator loaded with sample data (unless INFLUXDB3_HOST_URL
points at a real server), replicate the 'cpu' measurement into ./warehouse (SQLite catalog,
local files), and inspect the resulting Iceberg table. It arrives with the replicate command.
MSG
