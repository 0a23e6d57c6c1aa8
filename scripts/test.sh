#!/usr/bin/env bash
# The whole test suite: installs missing packages, then
#   1. builds into ./build (or $BUILD_DIR) and runs every test through ctest;
#   2. builds again under AddressSanitizer + UndefinedBehaviorSanitizer (LeakSanitizer on) into
#      ./build-asan (or $ASAN_BUILD_DIR) and runs the unit and integration tests there, except
#      those labelled no_sanitizer (each with its reason in its CMakeLists.txt); any finding
#      fails the test;
#   3. runs every libFuzzer target (scripts/fuzz.sh) for $FUZZ_SECONDS (default 20) seconds.
# Extra arguments go to both ctest runs (e.g. -L unit, -R envelope). SANITIZE=0 skips step 2,
# FUZZ_SECONDS=0 step 3 (for a quick local run; CI runs everything). docs/RELIABILITY.md.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$here/build}
asan_build=${ASAN_BUILD_DIR:-$here/build-asan}
fuzz_seconds=${FUZZ_SECONDS:-20}
started=$(date +%s)
stage() { echo "test: $1 ($(( $(date +%s) - started ))s so far)"; }

bash "$here/scripts/build.sh"
(cd "$build" && ctest --output-on-failure --timeout 600 -j"$(nproc)" "$@")
stage "suite passed"

if [ "${SANITIZE:-1}" != 0 ]; then
  BUILD_DIR="$asan_build" bash "$here/scripts/build.sh" -DAEGIS_SANITIZE=address,undefined \
    -DAEGIS_BUILD_BENCH=OFF
  # A finding aborts the process (-fno-sanitize-recover=all, halt_on_error): the test fails.
  export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
  export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
  (cd "$asan_build" && ctest --output-on-failure --timeout 900 -j"$(nproc)" \
     -L 'unit|integration' -LE no_sanitizer "$@")
  stage "suite passed under ASan + UBSan"
fi

if [ "$fuzz_seconds" != 0 ]; then
  bash "$here/scripts/fuzz.sh" "$fuzz_seconds"
  stage "fuzz targets passed"
fi
