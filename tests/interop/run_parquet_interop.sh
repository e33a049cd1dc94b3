#!/usr/bin/env bash
# Parquet interop test (ctest: interop_parquet).
#
#   run_parquet_interop.sh GENERATOR WORKDIR
#
# 1. Proves the checkers: DuckDB writes reference files; the three checkers must pass on them and
#    must FAIL, naming each deliberately altered value, on copies with altered expectations.
# 2. GENERATOR (parquet_cases) writes the corpus with our writer into WORKDIR/cases, then DuckDB,
#    parquet-wasm and hyparquet read every file and compare every value, the schema, metadata and
#    statistics against the expectation files.
# Fails if any step fails. Files stay in WORKDIR for inspection (removed at the next run).
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
gen="${1:?usage: run_parquet_interop.sh GENERATOR WORKDIR}"
work="${2:?usage: run_parquet_interop.sh GENERATOR WORKDIR}"
checkers=(duckdb parquet_wasm hyparquet)
min_cases=17 # parquet_cases writes 17 files; fewer means cases went missing

fail() { echo "interop_parquet: FAIL: $*"; exit 1; }

command -v node >/dev/null 2>&1 || fail "node is not installed (run 'make deps')"
for m in @duckdb/node-api parquet-wasm apache-arrow hyparquet hyparquet-compressors; do
  [ -d "$here/node_modules/$m" ] ||
    fail "tests/interop/node_modules/$m is missing: run 'make deps' (or 'cd tests/interop && npm ci')"
done
[ -x "$gen" ] || fail "generator $gen is not executable"

rm -rf "$work"
mkdir -p "$work" || fail "cannot create $work"
status=0

# ---- 1. the checkers pass on a known-good writer and fail on altered expectations
echo "== self-test of the checkers on DuckDB-written reference files"
node "$here/make_reference.mjs" "$work/ref" >"$work/make_reference.log" 2>&1 ||
  { cat "$work/make_reference.log"; fail "make_reference.mjs failed"; }
for c in "${checkers[@]}"; do
  node "$here/check_$c.mjs" "$work/ref" >"$work/ref_$c.log" 2>&1
  rc=$?
  tail -n 1 "$work/ref_$c.log"
  if [ $rc -ne 0 ]; then
    cat "$work/ref_$c.log"
    fail "check_$c.mjs rejects DuckDB's own reference files: the checker is wrong"
  fi
done
node "$here/mutate.mjs" "$work/ref" "$work/mutated" || fail "mutate.mjs failed"
for c in "${checkers[@]}"; do
  node "$here/check_$c.mjs" "$work/mutated" >"$work/mutated_$c.log" 2>&1
  rc=$?
  [ $rc -eq 1 ] || { cat "$work/mutated_$c.log"; fail "check_$c.mjs exited $rc on altered expectations (expected 1)"; }
  missed=0
  while IFS= read -r pat; do
    grep -Eq -- "$pat" "$work/mutated_$c.log" || { echo "check_$c.mjs did not report: $pat"; missed=1; }
  done <"$work/mutated/expected_mismatches.txt"
  [ $missed -eq 0 ] || fail "check_$c.mjs missed deliberate mismatches (log: $work/mutated_$c.log)"
  echo "check_$c.mjs caught all $(wc -l <"$work/mutated/expected_mismatches.txt") deliberate mismatches"
done

# ---- 2. our writer
echo "== files written by our writer ($gen)"
"$gen" "$work/cases"
rc=$?
if [ $rc -ne 0 ]; then
  echo "interop_parquet: generator exited $rc (see messages above); still reading what it wrote"
  status=1
fi
nparquet=$(find "$work/cases" -name '*.parquet' -size +0 2>/dev/null | wc -l)
nexpected=$(find "$work/cases" -name '*.expected.json' -size +0 2>/dev/null | wc -l)
echo "interop_parquet: $nparquet parquet files, $nexpected expectation files"
[ "$nexpected" -ge "$min_cases" ] || fail "only $nexpected non-empty expectation files (expected at least $min_cases)"
[ "$nparquet" -eq "$nexpected" ] || { echo "interop_parquet: parquet and expectation files differ in number"; status=1; }

for c in "${checkers[@]}"; do
  echo "-- check_$c.mjs"
  node "$here/check_$c.mjs" "$work/cases" || { echo "interop_parquet: check_$c.mjs FAILED"; status=1; }
done

if [ $status -eq 0 ]; then echo "interop_parquet: PASS"; else echo "interop_parquet: FAIL (files kept in $work)"; fi
exit $status
