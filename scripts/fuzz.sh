#!/usr/bin/env bash
# Builds the libFuzzer targets (fuzz/, clang, ASan + UBSan) into ./build-fuzz (or
# $FUZZ_BUILD_DIR) and runs each for SECONDS (default 300), one after the other, seeded from
# fuzz/corpus/<target>/; what a run finds is kept in build-fuzz/corpus/<target>/ for the next
# run. Prints per target: executions, executions per second, coverage (edges) and features.
# Fails (exit 1) if any target crashed, leaked, hung or broke an invariant; the input is saved
# as build-fuzz/artifacts/<target>-crash-* (replay: build-fuzz/fuzz/aegis_fuzz_<target> FILE).
#   FUZZ_TARGETS: the targets to run (default: all, in fuzz/CMakeLists.txt order).
# docs/RELIABILITY.md explains what each target checks.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
seconds=${1:-300}
build=${FUZZ_BUILD_DIR:-$here/build-fuzz}
read -r -a targets <<<"${FUZZ_TARGETS:-envelope sync_message feed_item query_message ctf cin csv config}"

bash "$here/scripts/install-deps.sh" >/dev/null
start=$(date +%s)
cmake -S "$here" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_CXX_COMPILER=clang++ -DAEGIS_FUZZ=ON -DAEGIS_BUILD_TESTS=OFF \
  -DAEGIS_BUILD_BENCH=OFF >/dev/null
cmake --build "$build" -j"$(nproc)" --target aegis_fuzz >/dev/null
echo "fuzz: built in $(( $(date +%s) - start ))s; ${seconds}s per target"

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
mkdir -p "$build/artifacts"
printf '%-13s %10s %8s %7s %7s %7s  %s\n' target execs exec/s cov ft corpus result
failed=()
for t in "${targets[@]}"; do
  work="$build/corpus/$t"
  log="$build/artifacts/$t.log"
  mkdir -p "$work"
  # -timeout: one input taking 10 s is a finding (a file that stalls an import); -rss_limit_mb:
  # so is one needing 2 GB.
  rc=0
  "$build/fuzz/aegis_fuzz_$t" -max_total_time="$seconds" -print_final_stats=1 -timeout=10 \
    -rss_limit_mb=2048 -artifact_prefix="$build/artifacts/$t-" "$work" "$here/fuzz/corpus/$t" \
    >"$log" 2>&1 || rc=$?
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
  # The last status line: "#N  DONE  cov: C ft: F corp: K/..." (or the last progress line).
  last=$(grep -E '^#[0-9]+.*cov: ' "$log" | tail -n 1)
  cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last")
  ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")
  corp=$(sed -n 's/.* corp: \([0-9]*\).*/\1/p' <<<"$last")
  result=ok
  if [ "$rc" -ne 0 ]; then
    result="FAILED (exit $rc, log $log)"
    failed+=("$t")
  fi
  printf '%-13s %10s %8s %7s %7s %7s  %s\n' "$t" "${execs:-?}" "${rate:-?}" "${cov:-?}" \
    "${ft:-?}" "${corp:-?}" "$result"
done
if [ ${#failed[@]} -ne 0 ]; then
  for t in "${failed[@]}"; do
    echo "== $t: $build/artifacts/$t.log (end)" >&2
    grep -v '^#[0-9]' "$build/artifacts/$t.log" | tail -n 40 >&2
  done
  echo "fuzz: FAILED: ${failed[*]}" >&2
  exit 1
fi
echo "fuzz: all ${#targets[@]} targets ran ${seconds}s each without a finding"
