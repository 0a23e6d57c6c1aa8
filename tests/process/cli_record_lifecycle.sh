#!/usr/bin/env bash
# Process test: the `aegis` CLI end to end on a real authority (keys made with `aegis keys`):
# store init, record add/update/show/list/delete from JSON, log list/verify, --json output,
# exit codes, strict record JSON (refused with the path named, store unchanged), a tampered
# outbox found by `log verify`.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/authority_setup.bash"
cd "$work"

make_authority with-passphrase
write_child child-1.json child-1
write_child child-1-renamed.json child-1 Hartley-Jones
write_shielded_child child-s.json child-s

# --- config errors (exit 3) and usage errors (exit 2) ------------------------------------------
expect_exit 3 "$AEGIS_BIN" --config "$work/missing.toml" store init
expect_exit 3 "$AEGIS_BIN" --config "$work/missing.toml" log list
expect_in err "missing.toml: no such config file"
sed 's/^data_dir/datadir/' aegis.toml >typo.toml
expect_exit 3 "$AEGIS_BIN" --config "$work/typo.toml" store init
expect_in err "typo.toml:4:1: datadir: unknown key"
expect_exit 2 ae record
expect_exit 2 ae record add
expect_exit 2 ae log list --no-such-option
expect_exit 2 ae nonsense
expect_exit 0 ae --help

# --- store init ----------------------------------------------------------------------------------
expect_exit 1 ae log verify
expect_in err "aegis store init"
expect_exit 0 ae store init
expect_in out "created the store of authority 'kent'"
[ -f data/aegis.db ] || fail "no database file"
[ "$(stat -c %a data)" = 700 ] || fail "data_dir is not 0700"
[ "$(stat -c %a data/aegis.db)" = 600 ] || fail "database is not 0600"
expect_exit 1 ae store init
expect_in err "already exists"
expect_exit 0 ae log verify
expect_in out "0 envelopes verified, chain intact"

# --- add, update, show, list ---------------------------------------------------------------------
expect_exit 0 ae record add child-1.json
expect_in out "added record child-1 (seq 1)"
# `log verify` checks match tokens under the authority's matching key: another key with the same
# key id makes other tokens, so the latest envelope no longer matches its identifiers.
cp keys/matching.key matching.key.saved
rm keys/matching.key
"$AEGIS_BIN" keys matching-key new --id 1 --out keys/matching.key >/dev/null
expect_exit 1 ae log verify
expect_in err "match tokens of its latest envelope differ from its identifiers'"
rm keys/matching.key && mv matching.key.saved keys/matching.key
expect_exit 0 ae log verify

expect_exit 0 ae --json record add - <child-s.json
json_ok out
[ "$(json_get out "d['seq'], d['changed']")" = "(2, True)" ] || fail "shielded add: $(cat out)"
# An identical add is a no-op; the same id with other content is refused.
expect_exit 0 ae record add child-1.json
expect_in out "record child-1 unchanged (identical to seq 1)"
expect_exit 1 ae record add child-1-renamed.json
expect_in err "exists: record child-1 already exists"
expect_exit 0 ae record update child-1-renamed.json
expect_in out "updated record child-1 (seq 3)"
write_child nobody.json nobody
expect_exit 1 ae record update nobody.json
expect_in err "not_found: record nobody not found"

expect_exit 0 ae record show child-1
expect_in out "record child-1 (last seq 3"
expect_in out '"family": "Hartley-Jones"'
expect_exit 0 ae --json record show child-s
json_ok out
[ "$(json_get out "d['shielded'], d['record']['details']['address']['lines'][0]")" = \
  "(True, '7 Secretcanary Lane')" ] || fail "shielded record does not read back: $(cat out)"
# show --json output is itself valid record JSON: it round-trips through update unchanged.
json_get out "json.dumps(d['record'])" >roundtrip.json
expect_exit 0 ae record update roundtrip.json
expect_in out "record child-s unchanged"

expect_exit 0 ae record list
expect_in out "child-1"
expect_in out "child-s"
expect_exit 0 ae record list --json
json_ok out
[ "$(json_get out "len(d)")" = 2 ] || fail "record list --json: $(cat out)"

# --- log list: seq, time, op, record id, hash prefix, shielded; never names -----------------------
expect_exit 0 ae log list
[ "$(grep -c '^[0-9]' out)" = 3 ] || fail "log list: $(cat out)"
grep -q '^2 .*upsert  child-s .* yes$' out || fail "log list does not mark child-s shielded: $(cat out)"
for name in Amelia Hartley Noah Whitfield Canaryfield Secretcanary; do
  if grep -q "$name" out; then fail "log list shows personal data ($name)"; fi
done
expect_exit 0 ae log list --json --from 2 --limit 1
json_ok out
[ "$(json_get out "[(e['seq'], e['op'], e['record_id'], e['shielded'], len(e['hash'])) for e in d]")" = \
  "[(2, 'upsert', 'child-s', True, 64)]" ] || fail "log list --json: $(cat out)"

# --- the shielded envelope in the database holds no canary strings --------------------------------
sqlite3 data/aegis.db "SELECT hex(envelope) FROM outbox WHERE seq = 2" >env.hex
for canary in Secretcanary Hiddencanary "LS1 4ZZ" "07700 900999" Sarah SO-0042; do
  hex=$(printf '%s' "$canary" | od -An -tx1 | tr -d ' \n' | tr a-f A-F)
  if grep -q "$hex" env.hex; then fail "shielded envelope holds '$canary' in clear"; fi
done

# --- unusable keys or trust refuse to write (exit 3), nothing is written ---------------------------
write_child other.json other-1
printf 'wrong passphrase\n' >keys/wrong.pass
sed 's|keys/kent.pass|keys/wrong.pass|' aegis.toml >wrong-pass.toml
expect_exit 3 "$AEGIS_BIN" --config "$work/wrong-pass.toml" record add other.json
expect_in err "keys.identity: wrong_passphrase"
sed 's|^certificate = .*|certificate_serial = 99|' aegis.toml >wrong-serial.toml
expect_exit 3 "$AEGIS_BIN" --config "$work/wrong-serial.toml" record add other.json
expect_in err "certificate 99 is not in the trust bundle"
sed 's|^certificate = .*|certificate = "keys/officer.cert"|' aegis.toml >wrong-cert.toml
expect_exit 3 "$AEGIS_BIN" --config "$work/wrong-cert.toml" record add other.json
expect_in err "is not the authority certificate of 'kent'"
sed 's|keys/bundle.bin|keys/kent.cert|' aegis.toml >wrong-bundle.toml
expect_exit 3 "$AEGIS_BIN" --config "$work/wrong-bundle.toml" record add other.json
expect_in err "keys.trust_bundle"
sed -e 's|^role = .*|role = "index"|' -e '/^matching_key_file/d' aegis.toml >index.toml
expect_exit 3 "$AEGIS_BIN" --config "$work/index.toml" record list
expect_in err 'this command needs role = "authority"'
expect_exit 1 ae record show other-1
expect_exit 0 ae log list --json --limit 0
[ "$(json_get out "len(d)")" = 3 ] || fail "a refused write changed the outbox: $(cat out)"

# --- delete -------------------------------------------------------------------------------------
expect_exit 0 ae record delete child-1
expect_in out "deleted record child-1 (seq 4)"
expect_exit 1 ae record show child-1
expect_in err "not_found"
expect_exit 1 ae record delete child-1
expect_exit 1 ae --json record delete child-1
json_ok out
[ "$(json_get out "d['error']['code'], d['error']['exit_code']")" = "('not_found', 1)" ] ||
  fail "--json error: $(cat out)"
expect_exit 0 ae record list --deleted
expect_in out "deleted"

expect_exit 0 ae log verify
expect_in out "4 envelopes verified, chain intact"
expect_exit 0 ae --json log verify
json_ok out
[ "$(json_get out "d['intact'], d['verified']")" = "(True, 4)" ] || fail "log verify --json: $(cat out)"

# --- strict record JSON: refused with the path named, store unchanged -----------------------------
refuse() {  # refuse EXPECTED-TEXT PYTHON-EDIT: applies the edit to child-1.json and adds it
  python3 -c "import json; d=json.load(open('child-1.json')); d['record_id']='bad'; $2; json.dump(d, open('bad.json','w'))"
  expect_exit 1 ae record add bad.json
  expect_in err "$1"
}
refuse "record.identity.nmae: unknown field" "d['identity']['nmae'] = d['identity'].pop('name')"
refuse "record.colour: unknown field" "d['colour'] = 'red'"
refuse "record.identity.date_of_birth: expected a date string YYYY-MM-DD, found number" \
  "d['identity']['date_of_birth'] = 20150314"
refuse "record.identity.date_of_birth: not a valid date" "d['identity']['date_of_birth'] = '2015-02-30'"
refuse "record.details.involvements[0].start: not a valid date" \
  "d['details']['involvements'][0]['start'] = '04/09/2019'"
refuse "record.details.contacts[0].phones[0]: expected a string, found number" \
  "d['details']['contacts'][0]['phones'] = [7700900123]"
refuse "record.identity.gender: 'girl' is not one of" "d['identity']['gender'] = 'girl'"
refuse "record.identity.name.family: missing (required)" "del d['identity']['name']['family']"
refuse "record.identity.name.family: must not be empty" "d['identity']['name']['family'] = ''"
refuse "record.details.contacts[0].parental_responsibility: expected true or false" \
  "d['details']['contacts'][0]['parental_responsibility'] = 'yes'"
refuse "record.record_id: must be 1..64 bytes" "d['record_id'] = 'has space'"
printf '{"record_id": "x", "record_id": "y"}' >dup.json
expect_exit 1 ae record add dup.json
expect_in err "duplicate key 'record_id'"
printf '{"record_id": "x",' >broken.json
expect_exit 1 ae record add broken.json
expect_in err "broken.json: record: not valid JSON"
expect_exit 1 ae record add no-such-file.json
expect_exit 0 ae log verify
expect_in out "4 envelopes verified, chain intact"
expect_exit 1 ae record show bad

# --- a tampered outbox row is found, naming its seq and the error code -----------------------------
last=$(sqlite3 data/aegis.db "SELECT hex(substr(envelope, -1, 1)) FROM outbox WHERE seq = 2")
if [ "$last" = 00 ]; then flipped=01; else flipped=00; fi  # the last byte is in the signature
sqlite3 data/aegis.db "UPDATE outbox SET envelope = CAST(substr(envelope, 1, length(envelope) - 1) || x'$flipped' AS BLOB) WHERE seq = 2"
expect_exit 1 ae log verify
expect_in err "chain broken at seq 2: bad_signature"
expect_exit 1 ae --json log verify
json_ok out
[ "$(json_get out "d['intact'], d['verified'], d['problem']['seq'], d['problem']['code']")" = \
  "(False, 1, 2, 'bad_signature')" ] || fail "log verify --json on a tampered chain: $(cat out)"

echo "cli_record_lifecycle: ok"
