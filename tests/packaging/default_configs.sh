#!/usr/bin/env bash
# packaging: default_configs — the configs the package ships (packaging/authority.toml,
# index.toml) are refused by `aegisd --check-config` as shipped, naming the key to fill in, so
# an unconfigured service cannot start; once subject_id (and the authority's index_endpoint)
# are filled in and the keys are where the file says, the same file passes. And the exit code
# of a config error is the one aegis@.service names in RestartPreventExitStatus=.
# Env: AEGIS_BIN, AEGISD_BIN. Usage: default_configs.sh PACKAGING_DIR
set -euo pipefail
: "${AEGIS_BIN:?}" "${AEGISD_BIN:?}"
packaging=${1:?usage: default_configs.sh PACKAGING_DIR}
work=$(mktemp -d "${TMPDIR:-/tmp}/aegis-default-configs-XXXXXX")
cleanup() { local rc=$?; [ "$rc" -eq 0 ] && rm -rf "$work" || echo "FAILED: kept $work" >&2; }
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

# check_config FILE: runs aegisd --check-config; sets rc and out.
check_config() {
  rc=0
  out=$("$AEGISD_BIN" --check-config --config "$1" 2>&1) || rc=$?
}

# 1. As shipped: refused with the config-error exit code, naming subject_id.
config_exit=$(sed -n 's/^RestartPreventExitStatus=\([0-9]*\)$/\1/p' "$packaging/aegis@.service")
[ -n "$config_exit" ] || fail "aegis@.service has no RestartPreventExitStatus="
for role in authority index; do
  check_config "$packaging/$role.toml"
  [ "$rc" -ne 0 ] || fail "$role.toml as shipped passed --check-config"
  [ "$rc" = "$config_exit" ] ||
    fail "$role.toml: exit $rc, but the unit's RestartPreventExitStatus= is $config_exit: $out"
  grep -q "subject_id: missing" <<<"$out" || fail "$role.toml: does not name subject_id: $out"
  grep -q "NOT CONFIGURED YET" "$packaging/$role.toml" || fail "$role.toml does not say it is unconfigured"
done

# 2. Filled in, with the keys where the file says (its absolute paths moved under $work).
keys=$work/etc/aegis/keys trust=$work/etc/aegis/trust
mkdir -p "$keys" "$trust" "$work/var/lib/aegis" "$work/run/aegis/authority" "$work/run/aegis/index"
chmod 700 "$keys" "$work/run/aegis/authority" "$work/run/aegis/index"
ak() { "$AEGIS_BIN" keys "$@" >/dev/null; }
ak root-new --out "$work/root.key" --pub-out "$trust/root.pub"
ak identity-new --id kent --role authority --out "$keys/authority.key" --pub-out "$work/kent.pub.json"
ak identity-new --id national --role index --out "$keys/index.key" --pub-out "$work/national.pub.json"
ak certify --root "$work/root.key" --pub "$work/kent.pub.json" --serial 10 --display-name Kent \
  --days 30 --out "$keys/authority.cert"
ak certify --root "$work/root.key" --pub "$work/national.pub.json" --serial 1 \
  --display-name "National index" --days 30 --out "$keys/index.cert"
ak matching-key new --id 1 --out "$keys/matching.key"
ak bundle --root "$work/root.key" --cert "$keys/authority.cert" --cert "$keys/index.cert" \
  --version 1 --days 30 --out "$trust/bundle.bin"

# fill ROLE EDIT...: the shipped file with its paths under $work and the sed edits applied.
fill() {
  local role=$1; shift
  sed -e "s|\"/etc/aegis/|\"$work/etc/aegis/|; s|\"/var/lib/aegis/|\"$work/var/lib/aegis/|" \
      -e "s|\"/run/aegis/|\"$work/run/aegis/|" "$@" "$packaging/$role.toml" >"$work/$role.toml"
}
fill authority -e 's|^# subject_id = "kent" .*|subject_id = "kent"|' \
  -e 's|^# index_endpoint = \("[^"]*"\).*|index_endpoint = \1|'
fill index -e 's|^# subject_id = "national" .*|subject_id = "national"|'
for role in authority index; do
  check_config "$work/$role.toml"
  [ "$rc" = 0 ] && [ "$out" = "config ok" ] || fail "$role.toml filled in: exit $rc: $out"
done

# 3. Half filled in: the authority with its id but no index endpoint is still refused.
fill authority -e 's|^# subject_id = "kent" .*|subject_id = "kent"|'
check_config "$work/authority.toml"
[ "$rc" = "$config_exit" ] && grep -q "sync.index_endpoint" <<<"$out" ||
  fail "authority.toml without index_endpoint: exit $rc: $out"
echo "default_configs: ok"
