#!/usr/bin/env bash
# Builds and runs every benchmark in bench/. Figures only: never pass/fail.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$here/build}
BUILD_TYPE=Release bash "$here/scripts/build.sh" >/dev/null
for b in "$build"/bench/aegis_bench_*; do
  echo "== $(basename "$b")"
  "$b"
done
