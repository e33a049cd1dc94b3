#!/usr/bin/env bash
# Seed benchmark: InfluxData's upstream `influxdb_to_iceberg` plugin (../shared/seed, run unmodified
# by bench/seed/engine_harness.py, a stand-in for the Processing Engine's request trigger) against
# `influx2iceberg replicate`, both reading the same measurement from the same InfluxDB 3 emulator
# over HTTP and writing their own SQLite catalog + local warehouse. Prints, per size:
#   seed_vs_ours 1M: plugin X rows/s, ours Y rows/s, speed ratio R, peak RSS plugin A MB, ours B MB
#   seed_vs_ours 1M: tables equal: N rows (K kinds of explained differences)   (+ one line per kind)
# a detail line (wall and CPU seconds, the plugin's time inside query(), the emulator's own rate),
# then `seed_probe` lines: small cases where the plugin loses rows or values (probes.py).
#
#   bench/seed/run.sh BUILD_DIR [--sizes 1M,5M] [--rows-per-day N] [--timeout S] [--keep DIR]
#                              [--fresh-data] [--verbose]
#
# Data: gen_lp.py writes one measurement (3 tags, 10 fields of every type, sparse ones, ns
# timestamps with sub-µs digits), --rows-per-day (500k) rows per day; size N uses the first
# N / rows-per-day days, all sizes from one load. Loading the emulator is slow (pure Python, ~15k
# lines/s), so the loaded store is cached under BUILD_DIR/bench/seed/ (keyed by the generator,
# the emulator and the shape; --fresh-data rebuilds it); loading is never timed.
# Plugin: its rate is rows / seconds inside process_request (the engine's interpreter is warm, so
# interpreter start and the pandas/pyarrow/pyiceberg imports are left out); capped at --timeout
# (default 1200 s), a timeout or a kill is reported in the line instead of failing the bench.
# Peak RSS: GNU time's maximum resident set of the harness's Python process (the plugin runs in
# it) and of our process; the emulator's is not counted. One run of each per size, plugin first.
# Exit status: 1 if our run fails, the table check finds an unexplained difference, or the probes
# cannot run. Without ../shared/seed/influxdb_to_iceberg.py it prints a SKIP line and exits 0.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
here="$root/bench/seed"
usage="usage: bench/seed/run.sh BUILD_DIR [--sizes 1M,5M] [--rows-per-day N] [--timeout S] [--keep DIR] [--fresh-data] [--verbose]"
build="${1:?$usage}"
shift
sizes="1M,5M" rows_per_day=500000 cap=1200 keep="" fresh=0 verbose=0
while [ $# -gt 0 ]; do
  case "$1" in
    --sizes) sizes="${2:?$usage}"; shift 2 ;;
    --rows-per-day) rows_per_day="${2:?$usage}"; shift 2 ;;
    --timeout) cap="${2:?$usage}"; shift 2 ;;
    --keep) keep="${2:?$usage}"; shift 2 ;;
    --fresh-data) fresh=1; shift ;;
    --verbose) verbose=1; shift ;;
    *) echo "$usage" >&2; exit 2 ;;
  esac
done

plugin_src="$root/../shared/seed/influxdb_to_iceberg.py"
if [ ! -f "$plugin_src" ]; then
  echo "seed_vs_ours: SKIP (the upstream plugin is not at ../shared/seed/influxdb_to_iceberg.py next to this repository)"
  exit 0
fi
plugin_src="$(cd "$(dirname "$plugin_src")" && pwd)/influxdb_to_iceberg.py"
build="$(cd "$build" 2>/dev/null && pwd)" || { echo "seed_vs_ours: no build directory $build" >&2; exit 1; }
cli="$build/src/cli/influx2iceberg"
[ -x "$cli" ] || { echo "seed_vs_ours: $cli is not built (make release)" >&2; exit 1; }
py="$root/tests/interop/.venv/bin/python"
"$py" -c "import pandas, pyarrow, pyiceberg, sqlalchemy" 2>/dev/null ||
  { echo "seed_vs_ours: the pinned venv tests/interop/.venv (pandas, pyarrow, pyiceberg[sql-sqlite]) is missing (make deps)" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "seed_vs_ours: GNU time (/usr/bin/time) is missing: apt-get install time" >&2; exit 1; }
command -v curl > /dev/null || { echo "seed_vs_ours: curl is missing" >&2; exit 1; }
emulator="$root/tests/emulator/influxdb3_emulator.py"

if [ -n "$keep" ]; then
  mkdir -p "$keep"
  out="$(cd "$keep" && pwd)"
else
  out="$(mktemp -d "${TMPDIR:-/tmp}/seed_bench.XXXXXX")"
fi
emu_pid="" gen_pid=""
stop_emulator() {
  if [ -n "$emu_pid" ]; then kill "$emu_pid" 2>/dev/null || true; wait "$emu_pid" 2>/dev/null || true; fi
  emu_pid=""
}
cleanup() {
  [ -z "$gen_pid" ] || { kill "$gen_pid" 2>/dev/null || true; wait "$gen_pid" 2>/dev/null || true; }
  stop_emulator
  [ -n "$keep" ] || rm -rf "$out"
}
trap cleanup EXIT
log="$out/bench.log"
: > "$log"
say() { echo "$*" >> "$log"; [ $verbose -eq 0 ] || echo "$*" >&2; }
rows_of() {
  case "$1" in
    *M) echo $(( ${1%M} * 1000000 )) ;;
    *k) echo $(( ${1%k} * 1000 )) ;;
    *) echo "$1" ;;
  esac
}
secs_of() {  # GNU time -v file -> wall seconds
  python3 - "$1" <<'EOF'
import re, sys
m = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (\S+)", open(sys.argv[1]).read()).group(1).split(":")
print(sum(float(x) * 60 ** i for i, x in enumerate(reversed(m))))
EOF
}
rss_of() { sed -n 's/.*Maximum resident set size (kbytes): //p' "$1"; }
cpu_of() {  # GNU time -v file -> user + system seconds
  awk -F': ' '/User time \(seconds\)|System time \(seconds\)/ { s += $2 } END { print s + 0 }' "$1"
}

IFS=',' read -r -a size_list <<< "$sizes"
days=0
for size in "${size_list[@]}"; do
  r=$(rows_of "$size")
  [ $(( r % rows_per_day )) -eq 0 ] && [ "$r" -gt 0 ] ||
    { echo "seed_vs_ours: size $size is not a multiple of --rows-per-day $rows_per_day" >&2; exit 2; }
  [ $(( r / rows_per_day )) -le "$days" ] || days=$(( r / rows_per_day ))
done
start_day=2026-01-01
token="apiv3_seed-bench-token"
printf '%s\n' "$token" > "$out/token"

# ---- data: generated once per shape, loaded into a persistent emulator store, cached
key=$(cat "$here/gen_lp.py" "$emulator" | sha256sum | cut -c1-12)-$days-$rows_per_day
cache_root="$build/bench/seed"
data="$cache_root/data-$key"
mkdir -p "$cache_root"
if [ $fresh -eq 1 ] || [ ! -f "$data/ready" ]; then
  rm -rf "$cache_root"/data-*
  mkdir -p "$data/lp"
  say "== generating $days day(s) x $rows_per_day rows into $data and loading them into the emulator"
  python3 "$here/gen_lp.py" --out-dir "$data/lp" --days "$days" --rows-per-day "$rows_per_day" \
    --start "$start_day" >> "$log" 2>&1 &
  gen_pid=$!
  python3 "$emulator" --port 0 --port-file "$data/port" --token "$token" --data-dir "$data/emulator" \
    --max-http-request-size 1073741824 >> "$log" 2>&1 &
  emu_pid=$!
  for _ in $(seq 1 200); do [ -s "$data/port" ] && break; sleep 0.05; done
  [ -s "$data/port" ] || { cat "$log" >&2; echo "seed_vs_ours: the emulator did not start" >&2; exit 1; }
  url="http://127.0.0.1:$(cat "$data/port")"
  t0=$(date +%s)
  for d in $(seq 0 $(( days - 1 ))); do
    f=$(printf '%s/lp/day-%03d.lp' "$data" "$d")
    while [ ! -f "$f" ]; do
      kill -0 "$gen_pid" 2>/dev/null || [ -f "$f" ] ||
        { cat "$log" >&2; echo "seed_vs_ours: the generator stopped before $f" >&2; exit 1; }
      sleep 0.5
    done
    st=$(curl -s -o "$out/write.out" -w '%{http_code}' -X POST -H "Authorization: Bearer $token" \
           --data-binary "@$f" "$url/api/v3/write_lp?db=bench&precision=nanosecond")
    [ "$st" = 204 ] || { cat "$out/write.out" >&2; echo "seed_vs_ours: loading $f: HTTP $st" >&2; exit 1; }
    rm -f "$f"
    say "loaded day $d ($(( $(date +%s) - t0 )) s)"
  done
  wait "$gen_pid" || { cat "$log" >&2; echo "seed_vs_ours: the generator failed" >&2; exit 1; }
  gen_pid=""
  stop_emulator
  touch "$data/ready"
fi

rm -f "$out/port"
python3 "$emulator" --port 0 --port-file "$out/port" --token "$token" --data-dir "$data/emulator" >> "$log" 2>&1 &
emu_pid=$!
for _ in $(seq 1 600); do [ -s "$out/port" ] && break; kill -0 "$emu_pid" 2>/dev/null || break; sleep 0.1; done
[ -s "$out/port" ] || { cat "$log" >&2; echo "seed_vs_ours: the emulator did not start" >&2; exit 1; }
url="http://127.0.0.1:$(cat "$out/port")"
say "emulator at $url (store $data)"

status=0
for size in "${size_list[@]}"; do
  rows=$(rows_of "$size")
  ndays=$(( rows / rows_per_day ))
  end=$(date -u -d "$start_day + $ndays days" +%Y-%m-%dT%H:%M:%SZ)
  begin="${start_day}T00:00:00Z"
  times=()
  for d in $(seq 0 $(( ndays - 1 ))); do times+=("$(printf '%s/lp/day-%03d.times' "$data" "$d")"); done

  # the emulator alone: one client reading every row of the range as JSON Lines and discarding
  # it, one query per day as both sides do (a longer range exceeds the server's file limit)
  emu_s=0
  for d in $(seq 0 $(( ndays - 1 ))); do
    a=$(date -u -d "$start_day + $d days" +%Y-%m-%dT%H:%M:%SZ)
    b=$(date -u -d "$start_day + $(( d + 1 )) days" +%Y-%m-%dT%H:%M:%SZ)
    q=$(python3 -c 'import json,sys; print(json.dumps({"db":"bench","format":"jsonl","q":"SELECT * FROM machine WHERE time >= '"'"'%s'"'"' AND time < '"'"'%s'"'"' ORDER BY time" % (sys.argv[1], sys.argv[2])}))' "$a" "$b")
    r=$(curl -s -o /dev/null -w '%{http_code} %{time_total}' -X POST -H "Authorization: Bearer $token" \
          --data-binary "$q" "$url/api/v3/query_sql")
    [ "${r% *}" = 200 ] || { cat "$log" >&2; echo "seed_vs_ours: the emulator answered ${r% *} for day $d" >&2; exit 1; }
    emu_s=$(python3 -c 'import sys; print(float(sys.argv[1]) + float(sys.argv[2]))' "$emu_s" "${r#* }")
  done
  say "== $size: $rows rows, $begin .. $end; emulator alone $emu_s s"

  # the upstream plugin, through the engine stand-in
  pd="$out/plugin-$size"
  rm -rf "$pd"; mkdir -p "$pd"
  body=$(python3 -c 'import json,sys; d=sys.argv[1]; print(json.dumps({"measurement":"machine",
    "catalog_configs":{"type":"sql","uri":"sqlite:///%s/catalog.db" % d,"warehouse":"file://%s/wh" % d},
    "batch_size":"1d","backfill_start":sys.argv[2],"backfill_end":sys.argv[3]}))' "$pd" "${begin%Z}+00:00" "${end%Z}+00:00")
  set +e
  /usr/bin/time -v -o "$pd/time.txt" timeout -k 10 "$cap" "$py" "$here/engine_harness.py" --plugin "$plugin_src" \
    --url "$url" --database bench --token-file "$out/token" --body-json "$body" \
    --log "$pd/plugin.log" --result "$pd/result.json" >> "$log" 2>&1
  prc=$?
  set -e
  p_rss=$(rss_of "$pd/time.txt")
  say "plugin exit $prc, $(cat "$pd/result.json" 2>/dev/null | tr -d '\n')"

  # ours
  od="$out/ours-$size"
  rm -rf "$od"; mkdir -p "$od"
  cfg="{\"type\":\"sql\",\"uri\":\"sqlite:///$od/catalog.db\",\"warehouse\":\"file://$od/wh\"}"
  /usr/bin/time -v -o "$od/time.txt" "$cli" replicate --host "$url" --database bench --token-file "$out/token" \
    --measurement machine --catalog-configs "$cfg" --backfill-start "$begin" --backfill-end "$end" \
    --batch-size 1d --no-progress --log-level warn --json > "$od/result.json" 2>> "$log" ||
    { cat "$log" >&2; echo "seed_vs_ours: our run failed" >&2; exit 1; }
  o_s=$(secs_of "$od/time.txt")
  o_rss=$(rss_of "$od/time.txt")
  say "ours: $o_s s, $(cat "$od/result.json")"

  python3 - "$size" "$rows" "$prc" "$cap" "$pd/result.json" "$p_rss" "$o_s" "$o_rss" "$emu_s" "$od/result.json" \
    "$(cpu_of "$pd/time.txt")" "$(cpu_of "$od/time.txt")" <<'EOF'
import json, sys
size, rows, prc, cap, pres, p_rss, o_s, o_rss, emu_s, ores, p_cpu, o_cpu = sys.argv[1:]
rows, prc, cap, p_rss, o_s, o_rss, emu_s = int(rows), int(prc), int(cap), int(p_rss or 0), float(o_s), int(o_rss), float(emu_s)
p_cpu, o_cpu = float(p_cpu), float(o_cpu)
def rate(r):
    return "%.2fM" % (r / 1e6) if r >= 1e6 else "%.1fk" % (r / 1e3)
ours = rows / o_s
written = json.load(open(ores))["total_written_records"]
assert written == rows, "ours wrote %d rows, expected %d" % (written, rows)
try:
    res = json.load(open(pres))
except (OSError, ValueError):
    res = None
if res is not None and res.get("status") == 200 and not res.get("exception"):
    p_s = res["process_request_seconds"]
    plugin = rows / p_s
    summ = res.get("summary") or {}
    bad = "" if summ.get("total_written_records") == rows and not res["failed_batches"] else \
        " (the plugin wrote %s of %d rows, %d failed batch(es))" % (summ.get("total_written_records"), rows,
                                                                  len(res["failed_batches"]))
    print("seed_vs_ours %s: plugin %s rows/s, ours %s rows/s, speed ratio %.2f, peak RSS plugin %d MB, ours %d MB%s"
          % (size, rate(plugin), rate(ours), ours / plugin, round(p_rss / 1024), round(o_rss / 1024), bad))
    print("seed_vs_ours %s: detail: wall plugin %.1f s in process_request (%.1f s of it in query(): the server, "
          "HTTP, JSON, row dicts), ours %.1f s; CPU plugin process %.1f s, ours %.1f s; the emulator alone "
          "serves the range in %.1f s (%s rows/s)"
          % (size, p_s, res["query_seconds"], o_s, p_cpu, o_cpu, emu_s, rate(rows / emu_s)))
else:
    if prc in (124, 137) and res is None:
        what = "plugin timed out after %d s (< %s rows/s)" % (cap, rate(rows / cap))
        ratio = "speed ratio > %.2f" % (ours / (rows / cap))
    elif prc > 128 or prc == 137:
        what = "plugin killed by signal %d (out of memory?)" % (prc - 128)
        ratio = "speed ratio n/a"
    else:
        err = (res or {}).get("exception") or (res or {}).get("response") or "exit %d" % prc
        what = "plugin failed (%s)" % str(err)[:200]
        ratio = "speed ratio n/a"
    print("seed_vs_ours %s: %s, ours %s rows/s, %s, peak RSS plugin %s%d MB, ours %d MB"
          % (size, what, rate(ours), ratio, ">= " if prc in (124, 137) else "", round(p_rss / 1024), round(o_rss / 1024)))
EOF

  if [ -f "$pd/result.json" ] && [ "$prc" -eq 0 ]; then
    "$py" "$here/compare_tables.py" --label "$size" --plugin-dir "$pd" --ours-dir "$od" \
      --times "${times[@]}" --ours-json "$od/result.json" 2>> "$log" || status=1
  else
    echo "seed_vs_ours $size: tables not compared (the plugin did not finish)"
  fi
  [ -n "$keep" ] || rm -rf "$pd/wh" "$od/wh"
done

# where the plugin loses rows or values: small cases, plugin and ours (observations, no verdict)
"$py" "$here/probes.py" --plugin "$plugin_src" --cli "$cli" --emulator "$emulator" --out "$out/probes" 2>> "$log" ||
  { echo "seed_vs_ours: the probes could not run (see $log)" >&2; status=1; }
exit $status
