#!/usr/bin/env bash
# packaging: unit_security — packaging/aegis@.service is rated 2.0 or better ("OK") by
# `systemd-analyze security --offline=yes` (Debian's ssh.service rates 9.6), for each shipped
# instance; and the checker is shown to fail a unit without hardening, so a pass means something.
# Usage: unit_security.sh PACKAGING_DIR
set -euo pipefail
packaging=${1:?usage: unit_security.sh PACKAGING_DIR}
threshold=20  # systemd-analyze's scale is ten times the printed one: 20 = 2.0

work=$(mktemp -d "${TMPDIR:-/tmp}/aegis-unit-security-XXXXXX")
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

# A root holding the unit where the package puts it, so instances resolve as installed.
mkdir -p "$work/root/lib/systemd/system"
cp "$packaging/aegis@.service" "$work/root/lib/systemd/system/"

# rate UNIT ROOT: prints "UNIT EXPOSURE"; returns systemd-analyze's status for the threshold.
rate() {
  local out rc=0
  out=$(systemd-analyze security --offline=yes --threshold=$threshold --root="$2" "$1" 2>&1) || rc=$?
  local score
  score=$(sed -n 's/.*Overall exposure level for .*: \([0-9.]*\) .*/\1/p' <<<"$out")
  [ -n "$score" ] || { echo "$out" >&2; fail "$1: no exposure level in systemd-analyze's output"; }
  echo "$1 $score"
  return "$rc"
}

for instance in authority index; do
  rate "aegis@$instance.service" "$work/root" || fail "aegis@$instance.service is rated above 2.0"
done

# The same check on a unit with no hardening at all must fail.
mkdir -p "$work/weak/lib/systemd/system"
printf '[Service]\nExecStart=/usr/sbin/aegisd\n' >"$work/weak/lib/systemd/system/weak.service"
if rate weak.service "$work/weak"; then
  fail "a unit without hardening passed the threshold: the check proves nothing"
fi
echo "unit_security: ok"
