#!/usr/bin/env bash
# Builds and runs every benchmark in bench/. Figures only: never pass/fail.
#   SYNC_BENCH_ARGS: options for bench/sync_bench.py (e.g. "--records 200000"); default: its own.
#   IMPORT_BENCH_ARGS: options for bench/import_bench.py (e.g. "--pupils 50000").
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$here/build}
BUILD_TYPE=Release bash "$here/scripts/build.sh" >/dev/null
for b in "$build"/bench/aegis_bench_*; do
  echo "== $(basename "$b")"
  "$b"
done
# End to end through real daemons (bulk-loads ~1,000,000 records first: a few minutes, ~3 GB
# in $TMPDIR).
echo "== sync_bench.py"
# shellcheck disable=SC2086
BUILD_DIR="$build" python3 "$here/bench/sync_bench.py" ${SYNC_BENCH_ARGS:-}
# A 300,000-pupil CTF through `aegis import` (~1.5 GB in $TMPDIR, a few minutes).
echo "== import_bench.py"
# shellcheck disable=SC2086
BUILD_DIR="$build" python3 "$here/bench/import_bench.py" ${IMPORT_BENCH_ARGS:-}
