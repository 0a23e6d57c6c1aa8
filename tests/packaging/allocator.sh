#!/usr/bin/env bash
# aegisd and aegis run on jemalloc when built with AEGIS_JEMALLOC (CMakeLists.txt): jemalloc,
# not glibc, answers their allocations (asked to print its statistics at exit, it does).
set -euo pipefail
check() {  # check BINARY ARG: runs BINARY ARG and looks for jemalloc's statistics
  local out
  out=$(MALLOC_CONF=stats_print:true "$1" "$2" 2>&1)
  if ! grep -q "Begin jemalloc statistics" <<<"$out"; then
    echo "allocator: $1 does not allocate through jemalloc" >&2
    exit 1
  fi
  echo "allocator: $(basename "$1") allocates through jemalloc"
}
check "$AEGISD_BIN" --version
check "$AEGIS_BIN" --help
