#!/usr/bin/env bash
# packaging: sysusers_tmpfiles — the sysusers.d and tmpfiles.d snippets, applied offline to an
# empty root (systemd-sysusers/systemd-tmpfiles --root), create the aegis system user and the
# directories with the owners and modes docs/operations.md promises: secret keys and data
# readable by the service user only. A second run changes nothing; a snippet naming an unknown
# user is refused (the tools really check).
# Usage: sysusers_tmpfiles.sh PACKAGING_DIR
set -euo pipefail
packaging=$(cd "${1:?usage: sysusers_tmpfiles.sh PACKAGING_DIR}" && pwd)  # absolute: --root resolves relative paths inside the root
work=$(mktemp -d "${TMPDIR:-/tmp}/aegis-sysusers-XXXXXX")
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
root=$work/root
mkdir -p "$root/etc"

apply() {
  systemd-sysusers --root="$root" "$packaging/aegis.sysusers" >/dev/null 2>&1 ||
    fail "systemd-sysusers refused packaging/aegis.sysusers"
  systemd-tmpfiles --root="$root" --create "$packaging/aegis.tmpfiles" ||
    fail "systemd-tmpfiles refused packaging/aegis.tmpfiles"
}
apply

entry=$(grep '^aegis:' "$root/etc/passwd") || fail "no aegis user in passwd"
IFS=: read -r _ _ uid gid _ home shell <<<"$entry"
[ "$uid" -lt 1000 ] || fail "aegis is not a system user (uid $uid)"
[ "$home" = /var/lib/aegis ] || fail "aegis's home is $home"
[ "$shell" = /usr/sbin/nologin ] || fail "aegis has a login shell: $shell"
grep -q "^aegis:x:$gid:" "$root/etc/group" || fail "no aegis group with gid $gid"
grep -q '^aegis:!' "$root/etc/shadow" || fail "aegis has a usable password"

# expect PATH MODE OWNER: owner is aegis or root.
expect() {
  local want_uid=0
  [ "$3" = aegis ] && want_uid=$uid
  [ -d "$root$1" ] || fail "$1 was not created"
  local got
  got=$(stat -c '%a %u %g' "$root$1")
  local want_gid=$want_uid
  [ "$3" = aegis ] && want_gid=$gid
  [ "$got" = "$2 $want_uid $want_gid" ] || fail "$1: mode/uid/gid $got, expected $2 $want_uid $want_gid"
}
check_all() {
  expect /etc/aegis/keys 700 aegis
  expect /etc/aegis/trust 755 root
  expect /var/lib/aegis 755 root
  expect /var/lib/aegis/authority 700 aegis
  expect /var/lib/aegis/index 700 aegis
  expect /var/spool/aegis 750 aegis
}
check_all

# Loosened by hand: the next run (every boot) puts the modes back; the user is not duplicated.
chmod 755 "$root/etc/aegis/keys" "$root/var/lib/aegis/authority"
apply
check_all
[ "$(grep -c '^aegis:' "$root/etc/passwd")" = 1 ] || fail "a second run added another aegis user"

# Negative: a tmpfiles line owned by a user that does not exist is refused.
printf 'd /var/lib/nobody-here 0700 no-such-user no-such-user -\n' >"$work/bad.tmpfiles"
if systemd-tmpfiles --root="$root" --create "$work/bad.tmpfiles" 2>/dev/null; then
  fail "systemd-tmpfiles accepted an unknown user: this test checks nothing"
fi
echo "sysusers_tmpfiles: ok"
