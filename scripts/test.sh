#!/usr/bin/env bash
# The whole test suite: installs missing packages, builds, runs every test through ctest.
# Extra arguments go to ctest (e.g. -L unit, -R envelope).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$here/build}
bash "$here/scripts/build.sh"
cd "$build"
ctest --output-on-failure --timeout 600 -j"$(nproc)" "$@"
