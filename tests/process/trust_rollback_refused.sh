#!/usr/bin/env bash
# trust_rollback_refused: an authority that has used trust bundle v2 refuses v1 after a restart
# (docs/keys.md, "Rollback"). `aegis store init` records the version in use; `aegis record add`
# and `aegis log verify` with v1 back in place exit 3 naming bundle_rolled_back and write
# nothing; `aegisd --config` (and --check-config) for that authority exit 3 too; v2 again works.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/authority_setup.bash"
aegisd=${AEGISD_BIN:-$(dirname "$AEGIS_BIN")/../aegisd/aegisd}
[ -x "$aegisd" ] || fail "no aegisd at $aegisd (set AEGISD_BIN)"
cd "$work"

make_authority  # keys: root, kent (serial 10), officer (20); aegis.toml for kent
keys=$work/keys
"$AEGIS_BIN" keys identity-new --id national --role index --out "$keys/national.key" \
  --pub-out "$keys/national.pub.json" >/dev/null
"$AEGIS_BIN" keys certify --root "$keys/root.key" --pub "$keys/national.pub.json" --serial 30 \
  --display-name "National index" --days 365 --out "$keys/national.cert" >/dev/null
for v in 1 2; do
  "$AEGIS_BIN" keys bundle --root "$keys/root.key" --cert "$keys/kent.cert" \
    --cert "$keys/officer.cert" --cert "$keys/national.cert" --version "$v" --days 30 \
    --out "$keys/bundle-v$v.bin" >/dev/null
done
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cat >>aegis.toml <<EOF2

[sync]
index_endpoint = "tcp://127.0.0.1:$port"
index_id = "national"
EOF2
use_bundle() { cp "$keys/bundle-v$1.bin" "$keys/bundle.bin"; }
stored_version() { sqlite3 data/aegis.db "SELECT value FROM meta WHERE key = 'trust_version'"; }
write_child child-1.json child-1
write_child child-2.json child-2

# v2 in use: init records it, a change works, aegisd accepts the config.
use_bundle 2
expect_exit 0 ae store init
[ "$(stored_version)" = 2 ] || fail "store init recorded trust version '$(stored_version)', not 2"
expect_exit 0 "$aegisd" --config "$work/aegis.toml" --check-config
expect_in out "config ok"

# v1 back (e.g. a pre-revocation bundle): refused before anything is written.
use_bundle 1
expect_exit 3 ae record add child-1.json
expect_in err "bundle_rolled_back"
expect_exit 3 ae --json record add child-1.json
json_ok out
[ "$(json_get out 'd["error"]["code"]')" = bundle_rolled_back ] || fail "json code: $(cat out)"
expect_exit 3 ae log verify
expect_in err "bundle_rolled_back"
[ "$(sqlite3 data/aegis.db 'SELECT count(*) FROM outbox')" = 0 ] || fail "a change was written"

# v2 again: works, and a change made with it keeps the floor at 2.
use_bundle 2
expect_exit 0 ae record add child-1.json
[ "$(stored_version)" = 2 ] || fail "trust version '$(stored_version)' after record add"

# v1 again, after the authority has used v2 for a change: the CLI and the daemon refuse it.
use_bundle 1
expect_exit 3 ae record add child-2.json
expect_in err "keys.trust_bundle"
expect_in err "bundle_rolled_back"
expect_exit 3 "$aegisd" --config "$work/aegis.toml" --check-config
expect_in err "bundle_rolled_back"
expect_exit 3 timeout 20 "$aegisd" --config "$work/aegis.toml"
expect_in err "bundle_rolled_back"
[ ! -e data/aegisd.sock ] || fail "aegisd started with a rolled-back bundle"
[ "$(sqlite3 data/aegis.db 'SELECT count(*) FROM outbox')" = 1 ] || fail "a change was written"
[ "$(stored_version)" = 2 ] || fail "trust version lowered to '$(stored_version)'"
echo "trust_rollback_refused: ok"
