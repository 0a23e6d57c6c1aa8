#!/usr/bin/env bash
# The benchmark report (issue 8 item 7; bench/README.md, "The report"): builds the benchmark
# binaries, measures this machine's raw limits, runs every benchmark, and writes
# bench/report/REPORT.md (tables, each figure next to its raw limit as a ratio) with PNG charts
# made by gnuplot. Figures only: nothing here passes or fails on a figure.
#
#   bash bench/run_all.sh [--size ci|full|smoke] [--out DIR] [--no-build]
#
#   --size ci   (default) a scaled-down run, about 15-25 minutes on a quiet 2-core machine:
#               national load of 1,000,000 children (about 2.5 min), sync with 100,000 records at the index,
#               a 20,000-pupil import, resolution at 10,000 and 100,000 children, queries at
#               an index of 100,000 children.
#   --size full the issue's sizes: national load of 11,000,000 children, sync with 1,000,000
#               records at the index, a 300,000-pupil import, resolution at 100,000 and
#               1,000,000 children, queries at 1,000,000 (hours, and tens of GB in $TMPDIR).
#   --size smoke  a few minutes, tiny sizes (queries at 10,000 children), no resolution run:
#               checks this script and the
#               report, its figures mean nothing.
#   --out DIR   where the report goes (default bench/report); raw JSON and logs in DIR/raw.
#   --no-build  use the binaries already in BUILD_DIR as they are.
# Environment: BUILD_DIR (default ./build, configured with -DAEGIS_BUILD_BENCH=ON), TMPDIR.
# Needs gnuplot (bash bench/install-deps.sh); without it the report has tables and no charts.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$here/build}
size=ci
out=$here/bench/report
build_first=1
while [ $# -gt 0 ]; do
  case $1 in
    --size) size=${2:?--size needs ci or full}; shift 2 ;;
    --out) out=${2:?--out needs a directory}; shift 2 ;;
    --no-build) build_first=0; shift ;;
    *) echo "run_all: unknown option $1 (usage: run_all.sh [--size ci|full|smoke] [--out DIR] [--no-build])" >&2
       exit 2 ;;
  esac
done
case $size in
  ci)
    children=1000000 limits=(--rows 200000 --messages 200000)
    sync=(--records 100000 --backlog 10000 --live 300 --seconds 10)
    import=(--pupils 20000) resolve=(--quick) query_children=100000 queries=5000 ;;
  full)
    children=11000000 limits=(--rows 1000000 --messages 1000000)
    sync=() import=() resolve=() query_children=1000000 queries=20000 ;;
  smoke)
    children=3000 limits=(--rows 20000 --messages 20000 --seconds 0.5)
    sync=(--records 3000 --backlog 500 --live 30 --seconds 3 --naive-runs 1)
    import=(--pupils 500) resolve=() query_children=10000 queries=2000 ;;
  *) echo "run_all: --size must be ci, full or smoke, not '$size'" >&2; exit 2 ;;
esac
raw=$out/raw
mkdir -p "$raw"
rm -f "$raw"/*.json "$raw"/*.log "$out"/*.png "$out"/REPORT.md

targets=(aegis aegisd aegis_sync_bench_tool aegis_import_bench_tool aegis_resolve_bench_tool
         aegis_national_load_tool aegis_limits_tool aegis_query_bench_tool)
if [ $build_first = 1 ]; then
  echo "run_all: building ${targets[*]} in $build"
  cmake --build "$build" -j2 --target "${targets[@]}" >"$raw/build.log" 2>&1 ||
    { tail -20 "$raw/build.log"; echo "run_all: build failed ($raw/build.log)" >&2; exit 1; }
fi

# One step: its output in raw/NAME.log; a failed step is reported, the others still run.
step() {
  local name=$1; shift
  echo "run_all: $name ($(date -u +%H:%M:%S) UTC, load average $(cut -d' ' -f1 /proc/loadavg))"
  if "$@" >"$raw/$name.log" 2>&1; then
    echo "run_all: $name done"
  else
    echo "run_all: $name FAILED (exit $?): see $raw/$name.log" | tee -a "$raw/failed.txt" >&2
  fi
}

{
  echo "{\"size\": \"$size\", \"started\": \"$(date -u +%FT%TZ)\", \"commit\": \"$(git -C "$here" rev-parse --short HEAD)\","
  echo " \"dirty\": $(git -C "$here" diff --quiet HEAD -- . && echo false || echo true),"
  echo " \"cpus\": $(nproc), \"cpu_model\": \"$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)\","
  echo " \"mem_gib\": $(awk '/MemTotal/ {printf "%.1f", $2 / 1048576}' /proc/meminfo),"
  echo " \"load_start\": $(cut -d' ' -f1 /proc/loadavg)}"
} >"$raw/machine.json"

step limits sh -c "'$build/bench/aegis_limits_tool' ${limits[*]} >'$raw/limits.json'"
# The load, then the index's restart on its store in a process of its own (a reopen in the
# load's process carries the load's heap: at 11,000,000 children the two together would not
# fit 23 GB); the store is removed after.
step national sh -c "'$build/bench/aegis_national_load_tool' --children $children --skip-reopen --keep \
    --dir '$raw/national-store' >'$raw/national.json' &&
  '$build/bench/aegis_national_load_tool' --reopen-only --dir '$raw/national-store' \
    >'$raw/national_reopen.json'; rc=\$?; rm -rf '$raw/national-store'; exit \$rc"
step sync env BUILD_DIR="$build" python3 "$here/bench/sync_bench.py" "${sync[@]}" --json "$raw/sync.json"
step import env BUILD_DIR="$build" python3 "$here/bench/import_bench.py" "${import[@]}" --json "$raw/import.json"
if [ "$size" != smoke ]; then
  step resolve env BUILD_DIR="$build" python3 "$here/bench/resolve_bench.py" "${resolve[@]}"
fi
step query sh -c "'$build/bench/aegis_query_bench_tool' --children $query_children --queries $queries >'$raw/query.json'"
echo "{\"load_end\": $(cut -d' ' -f1 /proc/loadavg), \"finished\": \"$(date -u +%FT%TZ)\"}" >"$raw/end.json"

python3 "$here/bench/report.py" "$out"
echo "run_all: report in $out/REPORT.md"
