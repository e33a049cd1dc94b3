#!/usr/bin/env bash
# Parquet encode benchmark: our writer vs DuckDB's COPY, same 10M rows, single thread, zstd and
# snappy. Prints one line per codec:
#   parquet_encode zstd: ours 4.1M rows/s, duckdb 2.5M rows/s, speed ratio 1.64, size ratio 0.98
# (speed ratio = ours/duckdb rows/s, size ratio = our file bytes / DuckDB file bytes).
#
#   bench/parquet_encode/run.sh BUILD_DIR [--keep DIR] [--rows N] [--runs R] [--verbose]
#
# --keep DIR keeps both Parquet files of each codec (ours_<codec>.parquet, duckdb_<codec>.parquet)
# and the logs in DIR; otherwise they go to a temporary directory that is removed.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
usage="usage: bench/parquet_encode/run.sh BUILD_DIR [--keep DIR] [--rows N] [--runs R] [--verbose]"
build="${1:?$usage}"
shift
keep="" rows=10000000 runs=3 verbose=0
while [ $# -gt 0 ]; do
  case "$1" in
    --keep) keep="${2:?$usage}"; shift 2 ;;
    --rows) rows="${2:?$usage}"; shift 2 ;;
    --runs) runs="${2:?$usage}"; shift 2 ;;
    --verbose) verbose=1; shift ;;
    *) echo "$usage" >&2; exit 2 ;;
  esac
done
bin="$(cd "$build" 2>/dev/null && pwd)/bench/parquet_encode/parquet_encode" || true
if [ ! -x "$bin" ]; then
  echo "parquet_encode: $build/bench/parquet_encode/parquet_encode is not built (make release)" >&2
  exit 1
fi
if [ ! -d "$root/tests/interop/node_modules/@duckdb/node-api" ]; then
  echo "parquet_encode: DuckDB for node is missing in tests/interop/node_modules (make deps)" >&2
  exit 1
fi

if [ -n "$keep" ]; then
  mkdir -p "$keep"
  out="$(cd "$keep" && pwd)"
else
  out="$(mktemp -d "${TMPDIR:-/tmp}/parquet_encode.XXXXXX")"
  trap 'rm -rf "$out"' EXIT
fi

# Progress goes to a log (shown with --verbose or on failure); stdout gets only the result lines.
if ! node "$root/bench/parquet_encode/duckdb_encode.mjs" --bin "$bin" --rows "$rows" --runs "$runs" \
    --codecs zstd,snappy --out "$out" 2>"$out/bench.log"; then
  cat "$out/bench.log" >&2
  exit 1
fi
if [ $verbose -eq 1 ]; then cat "$out/bench.log" >&2; fi
