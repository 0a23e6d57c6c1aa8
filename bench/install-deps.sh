#!/usr/bin/env bash
# Installs what the benchmark report needs beyond the build's packages (scripts/install-deps.sh):
# gnuplot for its PNG charts. Benchmarks are not part of CI, so neither is this. Debian 12;
# root or sudo.
set -euo pipefail
if command -v gnuplot >/dev/null; then
  echo "bench/install-deps: gnuplot present"
  exit 0
fi
sudo_cmd=()
[ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends gnuplot-nox
