#!/usr/bin/env bash
# `make bench`: runs every benchmark against its peer in the same run and prints ratio lines.
set -euo pipefail
cd "$(dirname "$0")/.."
build="${1:-build-release}"
for b in bench/*/run.sh; do
  [ -x "$b" ] || continue
  "$b" "$build"
done
