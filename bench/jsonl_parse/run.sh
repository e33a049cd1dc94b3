#!/usr/bin/env bash
# Streaming JSONL parser throughput (rows/s) against a jansson DOM-per-line baseline.
set -euo pipefail
build="${1:-build-release}"
exe="$build/bench/jsonl_parse/bench_jsonl_parse"
[ -x "$exe" ] || { echo "jsonl_parse: $exe not built (cmake --build $build --target bench_jsonl_parse)"; exit 1; }
"$exe"
