#!/usr/bin/env bash
# Process test: `aegis record show` prints "also known to" (docs/store.md §12) — the other
# authorities' records linked to a record, with what they share, or only "shielded there: contact
# its shield team" — in text and --json, and nothing of a record shielded there.
#
# The rows are those `Store::store_feed` derives from kent's feed items 1-6 of
# protocol/vectors/valid_feed.json (feed version 3, verified there and in tests/store): written
# here with sqlite3 because no index emits elsewhere items yet. Replace this by a multi-daemon
# test once it does.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/authority_setup.bash"
cd "$work"
: "${AEGIS_SOURCE_DIR:?AEGIS_SOURCE_DIR must name the source tree}"

make_authority
expect_exit 0 ae store init
write_child child-1.json child-1
expect_exit 0 ae record add child-1.json

# Before the index has said anything.
expect_exit 0 ae record show child-1
expect_in out "national id: none yet"
expect_in out "also known to: no other authority"
expect_exit 0 ae --json record show child-1
[ "$(json_get out "d['national_id'], d['also_known_to']")" = "(None, [])" ] ||
  fail "empty also_known_to: $(cat out)"

# The store's rows after kent's feed items 1-6: item 5 links child-1 to leeds's L:42 (with what
# leeds shares), item 6 to york's Y-7 (shielded there).
python3 - "$AEGIS_SOURCE_DIR/protocol/vectors/valid_feed.json" >rows.sql <<'EOF'
import json, sys
cases = [c for c in json.load(open(sys.argv[1]))["cases"] if c["authority_id"] == "kent"][:6]
kinds = {"applied": 1, "national_id": 2, "elsewhere": 3}
states = {"linked": 1, "shielded": 2}
print("BEGIN;")
for c in cases:
    e = c["expect"]
    print(f"INSERT INTO feed VALUES ({e['seq']}, {kinds[e['kind']]}, 0, x'{e['hash_hex']}', "
          f"x'{c['wire_hex']}');")
    if e["kind"] == "national_id":
        for rid, nid in e["national_ids"]:
            print(f"INSERT OR REPLACE INTO national_ids VALUES ('{rid}', '{nid}', {e['seq']});")
    if e["kind"] == "elsewhere":
        details = f"x'{e['details_hex']}'" if e["details_hex"] else "NULL"
        print(f"INSERT OR REPLACE INTO national_ids VALUES ('{e['record_id']}', "
              f"'{e['national_id']}', {e['seq']});")
        print(f"INSERT OR REPLACE INTO elsewhere VALUES ('{e['record_id']}', "
              f"'{e['other_authority_id']}', '{e['other_record_id']}', {states[e['state']]}, "
              f"{details}, {e['seq']});")
print("COMMIT;")
EOF
sqlite3 data/aegis.db <rows.sql
[ "$(sqlite3 data/aegis.db 'SELECT count(*) FROM elsewhere')" = 2 ] || fail "rows not written"

expect_exit 0 ae record show child-1
expect_in out "national id: 0V5K8Q2MZ7H4R9TA"
expect_in out "also known to leeds (record L:42): what it shares"
expect_in out "also known to york (record Y-7): shielded there: contact its shield team"
# The text after york's line is empty: nothing of a record shielded there is printed.
[ -z "$(sed -n '/also known to york/,$p' out | tail -n +2)" ] || fail "york shows more: $(cat out)"

expect_exit 0 ae --json record show child-1
json_ok out
[ "$(json_get out "d['national_id']")" = 0V5K8Q2MZ7H4R9TA ] || fail "national id: $(cat out)"
[ "$(json_get out "[(k['authority_id'], k['record_id'], k['shielded']) for k in d['also_known_to']]")" = \
  "[('leeds', 'L:42', False), ('york', 'Y-7', True)]" ] || fail "also_known_to: $(cat out)"
# Leeds shares its contact and its school, never an address, identifier, shield or sensitive
# service (the vector's L:42 has a sensitive CAMHS involvement, dropped before sending).
[ "$(json_get out "sorted(d['also_known_to'][0].keys())")" = \
  "['authority_id', 'contacts', 'involvements', 'record_id', 'shielded']" ] ||
  fail "leeds entry keys: $(cat out)"
[ "$(json_get out "d['also_known_to'][0]['contacts'][0]['relationship']")" = mother ] ||
  fail "leeds contact: $(cat out)"
[ "$(json_get out "[v['organisation'] for v in d['also_known_to'][0]['involvements']]")" = \
  "['Canaryfield Primary School']" ] || fail "leeds involvements: $(cat out)"
grep -q CAMHS out && fail "a sensitive involvement is shown"
# York: only the note.
[ "$(json_get out "d['also_known_to'][1]")" = \
  "{'authority_id': 'york', 'record_id': 'Y-7', 'shielded': True, 'note': 'shielded there: contact its shield team'}" ] ||
  fail "york entry: $(cat out)"

# A hand edit cannot give a record shielded there details: the table refuses it.
if sqlite3 data/aegis.db "UPDATE elsewhere SET details = x'9790' WHERE other_record_id = 'Y-7'" \
  2>/dev/null; then
  fail "details accepted on a row shielded there"
fi
# Another record shows no one else's.
write_child child-2.json child-2
expect_exit 0 ae record add child-2.json
expect_exit 0 ae --json record show child-2
[ "$(json_get out "d['national_id'], d['also_known_to']")" = "('GHJKMNPQRSTVWXYZ', [])" ] ||
  fail "child-2: $(cat out)"
echo "PASS"
