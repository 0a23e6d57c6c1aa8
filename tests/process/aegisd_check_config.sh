#!/usr/bin/env bash
# aegisd_check_config: `aegisd --check-config` accepts a good config ("config ok", exit 0) and
# refuses each kind of bad one with exit 3 and one line naming the key at fault: the file
# itself, a missing [sync], an unknown index id, a wrong identity, a revoked certificate, a
# missing or tampered trust bundle, a missing, unreadable, group-readable or wrong matching key
# file. Also --version and a usage error (exit 2).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/authority_setup.bash"
aegisd=${AEGISD_BIN:-$(dirname "$AEGIS_BIN")/../aegisd/aegisd}
[ -x "$aegisd" ] || fail "no aegisd at $aegisd (set AEGISD_BIN)"

make_authority
keys=$work/keys
"$AEGIS_BIN" keys identity-new --id national --role index --out "$keys/national.key" \
  --pub-out "$keys/national.pub.json" >/dev/null
"$AEGIS_BIN" keys certify --root "$keys/root.key" --pub "$keys/national.pub.json" --serial 30 \
  --display-name "National index" --days 365 --out "$keys/national.cert" >/dev/null
"$AEGIS_BIN" keys bundle --root "$keys/root.key" --cert "$keys/kent.cert" \
  --cert "$keys/officer.cert" --cert "$keys/national.cert" --version 2 --days 30 \
  --out "$keys/bundle.bin" >/dev/null
cp "$work/aegis.toml" "$work/base.toml"
cat >>"$work/aegis.toml" <<EOF2

[sync]
index_endpoint = "tcp://127.0.0.1:7400"
index_id = "national"
EOF2
good=$work/aegis.toml

# check CODE TEXT CONFIG: aegisd --check-config exits CODE and prints TEXT (stdout or stderr).
check() {
  expect_exit "$1" "$aegisd" --config "$3" --check-config
  cat "$work/out" "$work/err" >"$work/all"
  expect_in "$work/all" "$2"
  [ "$(wc -l <"$work/all")" -eq 1 ] || { cat "$work/all" >&2; fail "more than one line"; }
}
variant() {  # variant NAME SED-EXPR: a copy of the good config edited by SED-EXPR
  sed -e "$2" "$good" >"$work/$1.toml"
  echo "$work/$1.toml"
}

check 0 "config ok" "$good"
check 3 "missing.toml: no such config file" "$work/missing.toml"
check 3 "sync: missing" "$work/base.toml"
check 3 "sync.index_idd: unknown key" "$(variant typo 's/^index_id =/index_idd =/')"
check 3 "sync.index_id: the trust bundle has no active index certificate for 'elsewhere'" \
  "$(variant noindex 's/"national"/"elsewhere"/')"
check 3 "sync.index_endpoint: 'tcp://127.0.0.1' is not tcp://HOST:PORT" \
  "$(variant endpoint 's|tcp://127.0.0.1:7400|tcp://127.0.0.1|')"
check 3 "keys.identity: " "$(variant identity 's|keys/kent.key|keys/officer.key|')"
check 3 "keys.trust_bundle: " "$(variant nobundle 's|keys/bundle.bin|keys/none.bin|')"
cp "$keys/bundle.bin" "$keys/tampered.bin"
printf '\x01' | dd of="$keys/tampered.bin" bs=1 seek=40 conv=notrunc status=none
check 3 "keys.trust_bundle: " "$(variant tampered 's|keys/bundle.bin|keys/tampered.bin|')"
check 3 "keys.certificate: " "$(variant wrongcert 's|keys/kent.cert|keys/national.cert|')"
"$AEGIS_BIN" keys bundle --root "$keys/root.key" --cert "$keys/kent.cert" \
  --cert "$keys/national.cert" --revoke 10 --version 3 --days 30 --out "$keys/revoked.bin" >/dev/null
check 3 "certificate 10 is revoked" "$(variant revoked 's|keys/bundle.bin|keys/revoked.bin|')"
check 3 "keys.matching_key_file: missing" "$(variant nomatching '/^matching_key_file/d')"
check 3 "keys.matching_key_file: io: " \
  "$(variant nomatchingfile 's|keys/matching.key|keys/none.key|')"
check 3 "keys.matching_key_file: wrong_kind: " \
  "$(variant matchingkind 's|keys/matching.key|keys/kent.key|')"
cp "$keys/matching.key" "$keys/open.key"
chmod 644 "$keys/open.key"
check 3 "keys.matching_key_file: bad_permissions: " \
  "$(variant matchingperms 's|keys/matching.key|keys/open.key|')"

expect_exit 0 "$aegisd" --version
expect_in "$work/out" "aegisd "
expect_exit 2 "$aegisd" --no-such-option
echo "aegisd_check_config: ok"
