#!/usr/bin/env bash
# Process test: the operator key workflow through the real `aegis keys ...` binary
# (docs/keys.md §5) — exit codes, file modes, one-line errors, --json output.
set -euo pipefail
bin=${AEGIS_BIN:?set AEGIS_BIN to the aegis executable}
case $bin in /*) ;; *) bin=$PWD/$bin ;; esac
work=$(mktemp -d "${TMPDIR:-/tmp}/aegis-keys-cli-XXXXXX")
trap 'if [ "${AEGIS_KEEP_TEST_DATA:-0}" != 1 ]; then rm -rf "$work"; fi' EXIT
cd "$work"

fail() { echo "FAIL: $*" >&2; echo "(data in $work)" >&2; AEGIS_KEEP_TEST_DATA=1; exit 1; }

# expect RC PATTERN -- COMMAND...: runs COMMAND, checks its exit code and that stderr+stdout
# contains PATTERN (grep -E); for failures, that stderr is exactly one line.
expect() {
  local want=$1 pattern=$2; shift 3
  local rc=0
  "$@" >out.txt 2>err.txt || rc=$?
  [ "$rc" -eq "$want" ] || fail "exit $rc, expected $want: $* :: $(cat err.txt)"
  cat out.txt err.txt | grep -Eq -- "$pattern" || fail "no /$pattern/ in output of: $*"
  if [ "$want" -eq 1 ]; then
    [ "$(wc -l <err.txt)" -eq 1 ] || fail "error is not one line: $* :: $(cat err.txt)"
  fi
}

mode() { stat -c %a "$1"; }

printf 'root pass\n' >root.pass
fast=(--kdf-cost interactive)

# --- create and certify -----------------------------------------------------------------------
expect 0 'root public key [0-9a-f]{64}' -- "$bin" keys root-new --out root.key --pub-out root.pub \
  --passphrase-file root.pass "${fast[@]}"
[ "$(mode root.key)" = 600 ] || fail "root.key mode $(mode root.key)"
[ "$(mode root.pub)" = 644 ] || fail "root.pub mode $(mode root.pub)"
grep -Eqx '[0-9a-f]{64}' root.pub || fail "root.pub is not one hex line"

expect 0 'identity kent \(authority\)' -- "$bin" keys identity-new --id kent --role authority \
  --out kent.key --pub-out kent.pub.json
expect 0 '"role": "shield_officer"' -- "$bin" keys identity-new --id so-1 --role shield-officer \
  --out so.key --pub-out so.pub.json --json
[ "$(mode kent.key)" = 600 ] || fail "kent.key mode"

expect 0 'certificate serial 1' -- "$bin" keys certify --root root.key --passphrase-file root.pass \
  --pub kent.pub.json --serial 1 --display-name "Kent County Council" --days 365 --out kent.cert
expect 0 '"serial": 2' -- "$bin" --json keys certify --root root.key --passphrase-file root.pass \
  --pub so.pub.json --serial 2 --display-name "Shield officer" --not-before 2024-01-01 --days 30 \
  --out so.cert
expect 0 'signature +valid' -- "$bin" keys show --cert kent.cert --root-pub root.pub
expect 0 'not checked' -- "$bin" keys show --cert kent.cert
expect 0 '"curve_key_z85"' -- "$bin" keys show --pub kent.pub.json --json

expect 0 'trust bundle version 1' -- "$bin" keys bundle --root root.key --passphrase-file root.pass \
  --cert kent.cert --cert so.cert --revoke 2 --version 1 --days 30 --out trust.bundle
[ "$(mode trust.bundle)" = 644 ] || fail "trust.bundle mode"

# --- verify -----------------------------------------------------------------------------------
expect 0 'kent +authority .* active' -- "$bin" keys verify-bundle --root-pub root.pub --bundle trust.bundle
expect 0 'so-1 +shield_officer .* revoked' -- "$bin" keys verify-bundle --root-pub root.pub --bundle trust.bundle
expect 0 '"valid": true' -- "$bin" keys verify-bundle --root-pub root.pub --bundle trust.bundle --json
expect 1 'bundle_rolled_back' -- "$bin" keys verify-bundle --root-pub root.pub --bundle trust.bundle --min-version 2

"$bin" keys root-new --out other.key --pub-out other.pub >/dev/null
expect 1 'bad_signature' -- "$bin" keys verify-bundle --root-pub other.pub --bundle trust.bundle
head -c 50 trust.bundle >cut.bundle
expect 1 'trust bundle|truncated|malformed' -- "$bin" keys verify-bundle --root-pub root.pub --bundle cut.bundle

# --- refusals -----------------------------------------------------------------------------------
expect 1 'exists' -- "$bin" keys root-new --out root.key --pub-out x.pub
expect 1 'needs_passphrase' -- "$bin" keys certify --root root.key --pub kent.pub.json --serial 3 \
  --display-name K --days 1 --out x.cert
printf 'wrong\n' >wrong.pass
expect 1 'wrong_passphrase' -- "$bin" keys certify --root root.key --passphrase-file wrong.pass \
  --pub kent.pub.json --serial 3 --display-name K --days 1 --out x.cert
expect 1 'wrong_kind' -- "$bin" keys certify --root kent.key --pub kent.pub.json --serial 3 \
  --display-name K --days 1 --out x.cert
chmod 640 kent.key
expect 1 'bad_permissions.*0640.*chmod 600' -- "$bin" keys certify --root kent.key \
  --pub kent.pub.json --serial 3 --display-name K --days 1 --out x.cert
chmod 600 kent.key
"$bin" keys certify --root other.key --pub kent.pub.json --serial 9 --display-name K --days 1 \
  --out foreign.cert >/dev/null
expect 1 'forged_certificate' -- "$bin" keys bundle --root root.key --passphrase-file root.pass \
  --cert kent.cert --cert foreign.cert --version 2 --days 1 --out b2
expect 1 'appears twice' -- "$bin" keys bundle --root root.key --passphrase-file root.pass \
  --cert kent.cert --cert kent.cert --version 2 --days 1 --out b2
[ ! -e b2 ] || fail "a refused bundle was written"
expect 1 'invalid_argument' -- "$bin" keys identity-new --id Kent --role authority --out k.key --pub-out k.pub
expect 1 'display_name' -- "$bin" keys certify --root root.key --passphrase-file root.pass \
  --pub kent.pub.json --serial 3 --display-name "" --days 1 --out x.cert
[ ! -e x.cert ] || fail "a refused certificate was written"

# --- usage errors -------------------------------------------------------------------------------
expect 2 'role' -- "$bin" keys identity-new --id kent2 --role boss --out k.key --pub-out k.pub
expect 2 'not-before' -- "$bin" keys certify --root root.key --pub kent.pub.json --serial 3 \
  --display-name K --days 1 --not-before 2024-02-30 --out x.cert
expect 2 'serial' -- "$bin" keys certify --root root.key --pub kent.pub.json --serial 0 \
  --display-name K --days 1 --out x.cert
expect 2 'pub|cert' -- "$bin" keys show
expect 2 'subcommand' -- "$bin" keys

# --- the national matching key (docs/keys.md "The matching key") ------------------------------
expect 0 'matching key id 1' -- "$bin" keys matching-key new --id 1 --out matching.key
[ "$(mode matching.key)" = 600 ] || fail "matching.key has mode $(mode matching.key)"
[ "$(stat -c %s matching.key)" = 85 ] || fail "matching.key is $(stat -c %s matching.key) bytes"
"$bin" --json keys matching-key show --key matching.key >show.json
fp=$(python3 -c 'import json,sys; d=json.load(open("show.json")); print(d["key_id"], d["fingerprint"])')
[[ $fp =~ ^1\ [0-9a-f]{32}$ ]] || fail "matching-key show: $fp"
expect 0 "fingerprint +${fp#1 }" -- "$bin" keys matching-key show --key matching.key
expect 0 'matching key id 2' -- "$bin" keys matching-key new --id 2 --out matching-2.key \
  --passphrase-file root.pass "${fast[@]}"
expect 1 'needs_passphrase' -- "$bin" keys matching-key show --key matching-2.key
expect 0 'matching key id 2' -- "$bin" keys matching-key show --key matching-2.key \
  --passphrase-file root.pass
expect 1 'exists' -- "$bin" keys matching-key new --id 3 --out matching.key
expect 1 'wrong_kind' -- "$bin" keys matching-key show --key kent.key
cp matching.key open.key && chmod 640 open.key
expect 1 'bad_permissions.*0640' -- "$bin" keys matching-key show --key open.key
expect 2 'id' -- "$bin" keys matching-key new --id 0 --out m0.key
expect 2 'subcommand' -- "$bin" keys matching-key
[ ! -e m0.key ] || fail "a refused matching-key new left a file"

echo "keys CLI: ok"
