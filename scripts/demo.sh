#!/usr/bin/env bash
# The demo (README's first command): installs what it needs, builds, then walks through what
# an authority does with aegis, using real key files and a real SQLite store:
#   1. a national root key, an authority identity (Kent) and a national shield officer,
#      root-signed certificates and a signed trust bundle;
#   2. the authority's store; children added, one updated, one shielded, one deleted;
#   3. the signed change log, listed and verified end to end;
#   4. proof that the shielded child's whereabouts are not in the bytes that leave the authority.
# Everything is written under $AEGIS_DEMO_DIR (default: a new directory in /tmp), kept afterwards.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$here/build}
bash "$here/scripts/build.sh" >/dev/null
aegis="$build/daemon/cli/aegis"
data="$here/scripts/demo-data"
work=${AEGIS_DEMO_DIR:-$(mktemp -d "${TMPDIR:-/tmp}/aegis-demo-XXXXXX")}
mkdir -p "$work/keys"
cd "$work"

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
run() { printf '$ %s\n' "$*"; "$@"; }

step "1. National root, identities, certificates and the trust bundle"
run "$aegis" keys root-new --out keys/root.key --pub-out keys/root.pub
run "$aegis" keys identity-new --id kent --role authority --out keys/kent.key --pub-out keys/kent.pub.json
run "$aegis" keys identity-new --id officer-1 --role shield-officer --out keys/officer-1.key --pub-out keys/officer-1.pub.json
run "$aegis" keys certify --root keys/root.key --pub keys/kent.pub.json --serial 1 \
  --display-name "Kent County Council" --contact-route "Kent shield team, 03000 000001" --days 365 --out keys/kent.cert
run "$aegis" keys certify --root keys/root.key --pub keys/officer-1.pub.json --serial 2 \
  --display-name "National shield officer 1" --days 365 --out keys/officer-1.cert
run "$aegis" keys bundle --root keys/root.key --cert keys/kent.cert --cert keys/officer-1.cert \
  --version 1 --days 30 --out keys/trust.bundle
run "$aegis" keys verify-bundle --root-pub keys/root.pub --bundle keys/trust.bundle
ls -l keys/*.key

cat > aegis.toml <<TOML
# Demo authority config (paths relative to this file).
role = "authority"
subject_id = "kent"
data_dir = "data"

[keys]
identity = "keys/kent.key"
certificate = "keys/kent.cert"
trust_bundle = "keys/trust.bundle"
root_public_key = "keys/root.pub"
TOML

step "2. The authority's store, and some children"
run "$aegis" --config aegis.toml store init
for f in kent-child-1.json kent-child-2.json kent-child-3-shielded.json kent-child-4.json; do
  run "$aegis" --config aegis.toml record add "$data/$f"
done
run "$aegis" --config aegis.toml record update "$data/kent-child-2-moved.json"
run "$aegis" --config aegis.toml record delete kent-0004
run "$aegis" --config aegis.toml record list

step "3. The signed change log, and its verification"
run "$aegis" --config aegis.toml log list
run "$aegis" --config aegis.toml log verify

step "4. The shielded child's whereabouts never leave the authority in clear"
db=data/aegis.db
for canary in "Refuge Close" "CT1 9ZZ" "07700 900999" "St Dunstan" "9990001111"; do
  if sqlite3 "$db" "SELECT hex(envelope) FROM outbox WHERE record_id = 'kent-0003';" \
     | grep -qi "$(printf '%s' "$canary" | od -An -tx1 | tr -d ' \n')"; then
    echo "LEAK: '$canary' found in the shielded child's envelope" >&2
    exit 1
  fi
  echo "'$canary' (address, phone, school or NHS number): not in the envelope sent to the index"
done
echo "...while the authority's own copy still holds them:"
run "$aegis" --config aegis.toml record show kent-0003 | grep -E "Refuge|CT1 9ZZ" || true

step "Done"
echo "Everything is in $work (keys, config, data/aegis.db)."
