#!/usr/bin/env bash
# `make memcheck`: the integration tests under valgrind memcheck, on a build without sanitizers
# (valgrind and ASan do not mix). The C integration tests run under valgrind directly; the
# end-to-end Python tests get a CLI wrapped in valgrind, so `serve` and `replicate` are checked as
# users run them. Any invalid access, uninitialised read or definite/indirect leak fails the run.
#   scripts/memcheck.sh BUILD_DIR
set -euo pipefail
cd "$(dirname "$0")/.."
build="$(realpath "${1:-build-memcheck}")"
vg=(valgrind --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect --quiet)
for t in replicate/test_replicate_e2e replicate/test_replicate_failures replicate/test_replicate_readahead \
         source/test_source_emulator \
         iceberg/test_iceberg_e2e catalog/test_catalog_sql_sqlite catalog/test_catalog_hadoop; do
  echo "memcheck: $t"
  (cd "$build/tests/$(dirname "$t")" && "${vg[@]}" "./$(basename "$t")" >/dev/null)
done
# The CLI's own report goes to one file per process (a test expecting a failing run would not see
# valgrind's exit code): any non-empty report fails the run below.
logs="$build/memcheck-logs"
rm -rf "$logs" && mkdir -p "$logs"
wrap="$build/influx2iceberg-memcheck"
printf '#!/bin/sh\nexec %s --log-file=%s/%%p.log "%s" "$@"\n' "${vg[*]}" "$logs" \
  "$build/src/cli/influx2iceberg" > "$wrap"
chmod +x "$wrap"
for t in tests/security/test_security.py tests/service/test_service.py; do
  echo "memcheck: $t (CLI under valgrind)"
  tests/interop/.venv/bin/python "$t" --cli "$wrap" | grep -v '^ok '
done
bad=$(find "$logs" -name '*.log' -size +0 | head -5)
if [ -n "$bad" ]; then
  for f in $bad; do echo "--- $f"; head -60 "$f"; done
  echo "memcheck: errors in $(find "$logs" -name '*.log' -size +0 | wc -l) CLI run(s)"
  exit 1
fi
echo "memcheck: clean ($(ls "$logs" | wc -l) CLI runs)"
