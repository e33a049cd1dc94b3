#!/usr/bin/env bash
# Run every fuzz target, two at a time, from the seed corpus in fuzz/corpus/<name> (copied into the
# build dir, where new inputs accumulate). A crash, leak or timeout fails the run and leaves the
# reproducer (crash-*, leak-*, timeout-*) in BUILD/fuzz-out/<name>/.
#   fuzz/run.sh BUILD_DIR SECONDS     explore for SECONDS per target (make fuzz)
#   fuzz/run.sh BUILD_DIR runs:N      N inputs per target from a fixed seed and a fresh copy of the
#                                     repo's corpus: the same inputs on every machine (CI), so a
#                                     result never depends on timing
set -euo pipefail
cd "$(dirname "$0")/.."
build="${1:-build-fuzz}"
secs="${2:-60}"
status=0
run_one() {
  local t="$1" seed="fuzz/corpus/${1#fuzz_}" work="$build/fuzz-out/$1"
  local limit="-max_total_time=$secs"
  if [[ "$secs" == runs:* ]]; then
    limit="-runs=${secs#runs:} -seed=1"
    rm -rf "$work/corpus"
  fi
  mkdir -p "$work/corpus"
  cp -n "$seed"/* "$work/corpus/" 2>/dev/null || true
  # shellcheck disable=SC2086
  (cd "$work" && "../../fuzz/$t" corpus $limit -timeout=10 -rss_limit_mb=2048 \
      -max_len=65536 -print_final_stats=1 > log.txt 2>&1) && r=0 || r=$?
  execs=$(grep -m1 'stat::number_of_executed_units' "$work/log.txt" | awk '{print $2}')
  if [ "$r" -ne 0 ]; then
    echo "fuzz: $t FAILED (exit $r) after ${execs:-?} execs; see $work/log.txt"; tail -40 "$work/log.txt"
    return 1
  fi
  echo "fuzz: $t ok: ${execs:-?} execs (${secs}), corpus $(ls "$work/corpus" | wc -l) inputs"
}
targets=(fuzz_jsonl fuzz_toml fuzz_request fuzz_metadata fuzz_avro fuzz_trigger)
for ((i = 0; i < ${#targets[@]}; i += 2)); do
  run_one "${targets[i]}" & a=$!
  run_one "${targets[i+1]}" & b=$!
  wait $a || status=1
  wait $b || status=1
done
exit $status
