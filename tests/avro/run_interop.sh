#!/bin/sh
# Interop driver (ctest): write our manifest, manifest list and an every-type file into a fresh
# temp dir with avro_interop_write, then read them with an independent reader.
# usage: run_interop.sh avsc|python <path to avro_interop_write> <source root>
set -eu
mode=$1
writer=$2
src=$3
dir=$(mktemp -d "${TMPDIR:-/tmp}/i2i-avro-interop.XXXXXX")
trap 'rm -rf "$dir"' EXIT
"$writer" "$dir"
case $mode in
avsc)
  command -v node >/dev/null 2>&1 || { echo "FAIL: node is not installed (make deps)" >&2; exit 1; }
  node "$src/tests/avro/read_avsc.mjs" "$dir"
  ;;
python)
  [ -x /usr/bin/python3 ] || { echo "FAIL: /usr/bin/python3 missing (apt-get install python3-avro)" >&2; exit 1; }
  /usr/bin/python3 "$src/tests/avro/read_python.py" "$dir"
  ;;
*)
  echo "usage: run_interop.sh avsc|python <writer> <source root>" >&2
  exit 2
  ;;
esac
