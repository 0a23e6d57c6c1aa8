#!/usr/bin/env bash
# Installs missing Debian packages, then configures and builds aegis into ./build (or $BUILD_DIR).
# Extra arguments go to cmake's configure step (e.g. -DAEGIS_SANITIZE=address,undefined).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$here/build}
bash "$here/scripts/install-deps.sh"
cmake -S "$here" -B "$build" -DCMAKE_BUILD_TYPE=${BUILD_TYPE:-RelWithDebInfo} "$@" >/dev/null
start=$(date +%s)
cmake --build "$build" -j"$(nproc)"
echo "build: done in $(( $(date +%s) - start ))s ($build)"
