#!/usr/bin/env bash
# The demo (README's first command): installs what it needs, builds, then tells the story of
# aegis with real key files, real SQLite stores and real daemons on 127.0.0.1:
#   1. a national root key, identities for three authorities (Kent, Leeds, Manchester), the
#      national index and a national shield officer; root-signed certificates; a trust bundle;
#   2. Kent's store: children added, one updated, one shielded, one deleted;
#   3. Kent's signed change log, listed and verified end to end;
#   4. proof that the shielded child's whereabouts are not in the bytes that leave Kent;
#   5. the index and the three authority daemons started as real processes on loopback;
#   6. Leeds and Manchester record their children while running (one shielded, one child known
#      to both areas); a school sends Manchester a Common Transfer File through its watched inbox;
#   7. everything arrives at the index: `aegis status` of each node, counts at the index;
#   8. the shielded children's whereabouts are not in the index's database files;
#   9. the national ids the index assigned, back at each authority through the signed feed;
#  10. practitioners search through their own authority's daemon: a child known to two areas
#      (both records' contacts), a shielded child (only "contact the shielding authority"), a
#      search by postcode that cannot find her; the owner's access notice; the audit log;
#  11. every daemon stopped with SIGTERM, exit codes checked.
# Everything is written under $AEGIS_DEMO_DIR (default: a new directory in /tmp), kept afterwards.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$here/build}
bash "$here/scripts/build.sh" >/dev/null
aegis="$build/daemon/cli/aegis"
aegisd="$build/daemon/aegisd/aegisd"
data="$here/scripts/demo-data"
work=${AEGIS_DEMO_DIR:-$(mktemp -d "${TMPDIR:-/tmp}/aegis-demo-XXXXXX")}
mkdir -p "$work/keys"
cd "$work"
started=$(date +%s)

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
run() { printf '$ %s\n' "$*"; "$@"; }
die() { echo "demo: $*" >&2; exit 1; }

# Daemons started by this script; whatever happens, none outlives it.
declare -A pids=()
cleanup() {
  for n in "${!pids[@]}"; do kill -KILL "${pids[$n]}" 2>/dev/null || true; done
}
trap cleanup EXIT

authorities=(kent leeds manchester)
declare -A display=([kent]="Kent County Council" [leeds]="Leeds City Council"
                    [manchester]="Manchester City Council")
declare -A serial=([kent]=1 [leeds]=3 [manchester]=4)

step "1. National root, identities, certificates and the trust bundle"
run "$aegis" keys root-new --out keys/root.key --pub-out keys/root.pub
# The national matching key: identifiers reach the index only as tokens keyed by it. Every
# authority holds a copy (given out of band); the index never does.
run "$aegis" keys matching-key new --id 1 --out keys/matching.key
for a in "${authorities[@]}"; do
  run "$aegis" keys identity-new --id "$a" --role authority --out "keys/$a.key" --pub-out "keys/$a.pub.json"
done
run "$aegis" keys identity-new --id national --role index --out keys/national.key --pub-out keys/national.pub.json
run "$aegis" keys identity-new --id officer-1 --role shield-officer --out keys/officer-1.key --pub-out keys/officer-1.pub.json
for a in "${authorities[@]}"; do
  run "$aegis" keys certify --root keys/root.key --pub "keys/$a.pub.json" --serial "${serial[$a]}" \
    --display-name "${display[$a]}" --contact-route "${display[$a]} shield team, 03000 00000${serial[$a]}" \
    --days 365 --out "keys/$a.cert"
done
run "$aegis" keys certify --root keys/root.key --pub keys/officer-1.pub.json --serial 2 \
  --display-name "National shield officer 1" --days 365 --out keys/officer-1.cert
run "$aegis" keys certify --root keys/root.key --pub keys/national.pub.json --serial 5 \
  --display-name "National index" --days 365 --out keys/national.cert
run "$aegis" keys bundle --root keys/root.key --cert keys/kent.cert --cert keys/officer-1.cert \
  --cert keys/leeds.cert --cert keys/manchester.cert --cert keys/national.cert \
  --version 1 --days 30 --out keys/trust.bundle
run "$aegis" keys verify-bundle --root-pub keys/root.pub --bundle keys/trust.bundle
ls -l keys/*.key

# One directory per node: its config (paths relative to it) and its data directory. The index
# listens on a port that was free a moment ago.
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
port=$(free_port)
query_port=$(free_port)
for a in "${authorities[@]}"; do
  mkdir -p -m 700 "$a"
  cat > "$a/aegis.toml" <<TOML
# Demo authority config (paths relative to this file).
role = "authority"
subject_id = "$a"
data_dir = "data"

[keys]
identity = "../keys/$a.key"
certificate = "../keys/$a.cert"
trust_bundle = "../keys/trust.bundle"
root_public_key = "../keys/root.pub"
matching_key_file = "../keys/matching.key"

[sync]
index_endpoint = "tcp://127.0.0.1:$port"
index_id = "national"
index_query_endpoint = "tcp://127.0.0.1:$query_port"   # where \`aegis search\` goes

[[inbox]]                  # school files (DfE Common Transfer File) dropped here are imported
dir = "inbox/ctf"
format = "ctf"
TOML
  mkdir -p -m 700 "$a/inbox/ctf"
done
mkdir -p -m 700 index
cat > index/aegis.toml <<TOML
# Demo index config (paths relative to this file).
role = "index"
subject_id = "national"
data_dir = "data"

[keys]
identity = "../keys/national.key"
certificate = "../keys/national.cert"
trust_bundle = "../keys/trust.bundle"
root_public_key = "../keys/root.pub"

[sync]
listen = "tcp://127.0.0.1:$port"
query_listen = "tcp://127.0.0.1:$query_port"

[shield_contacts]          # what a shielded child's answer says to do instead
kent = "Kent shield team, 03000 000010"
leeds = "Leeds shield team, 03000 000011"
TOML
kent=(--config kent/aegis.toml)

step "2. Kent's store, and some children"
run "$aegis" "${kent[@]}" store init
for f in kent-child-1.json kent-child-2.json kent-child-3-shielded.json kent-child-4.json; do
  run "$aegis" "${kent[@]}" record add "$data/$f"
done
run "$aegis" "${kent[@]}" record update "$data/kent-child-2-moved.json"
run "$aegis" "${kent[@]}" record delete kent-0004
run "$aegis" "${kent[@]}" record list

step "3. The signed change log, and its verification"
run "$aegis" "${kent[@]}" log list
run "$aegis" "${kent[@]}" log verify

# hex_of TEXT: TEXT's bytes as lowercase hex (to look for it inside BLOBs).
hex_of() { printf '%s' "$1" | od -An -tx1 | tr -d ' \n'; }
# in_file FILE TEXT: FILE (binary) contains TEXT's bytes.
in_file() { [ -f "$1" ] && LC_ALL=C grep -qaF -- "$2" "$1"; }

step "4. The shielded child's whereabouts never leave the authority in clear"
kent_canaries=("Refuge Close" "CT1 9ZZ" "07700 900999" "St Dunstan" "9990001111")
for canary in "${kent_canaries[@]}"; do
  if sqlite3 kent/data/aegis.db "SELECT hex(envelope) FROM outbox WHERE record_id = 'kent-0003';" \
     | grep -qi "$(hex_of "$canary")"; then
    die "LEAK: '$canary' found in the shielded child's envelope"
  fi
  echo "'$canary' (address, phone, school or NHS number): not in the envelope sent to the index"
done
echo "...while the authority's own copy still holds them:"
run "$aegis" "${kent[@]}" record show kent-0003 | grep -E "Refuge|CT1 9ZZ" || true

step "5. The national index and three authority daemons, as real processes on 127.0.0.1:$port"
for a in leeds manchester; do run "$aegis" --config "$a/aegis.toml" store init; done
# start NODE: aegisd in the background, its log in NODE/aegisd.log; waits (bounded) for "ready".
start() {
  local node=$1
  printf '$ aegisd --config %s/aegis.toml 2>%s/aegisd.log &\n' "$node" "$node"
  "$aegisd" --config "$node/aegis.toml" 2>"$node/aegisd.log" &
  pids[$node]=$!
  for _ in $(seq 300); do
    grep -q "^<6>ready " "$node/aegisd.log" && { grep "^<6>ready " "$node/aegisd.log"; return 0; }
    kill -0 "${pids[$node]}" 2>/dev/null || { cat "$node/aegisd.log" >&2; die "$node: aegisd exited"; }
    sleep 0.1
  done
  cat "$node/aegisd.log" >&2; die "$node: not ready after 30 s"
}
start index
for a in "${authorities[@]}"; do start "$a"; done

step "6. Leeds and Manchester record their children while their daemons run"
for f in leeds-child-1.json leeds-child-2-moved.json leeds-child-3-shielded.json; do
  run "$aegis" --config leeds/aegis.toml record add "$data/$f"
done
for f in manchester-child-1.json manchester-child-2-from-leeds.json manchester-child-3.json; do
  run "$aegis" --config manchester/aegis.toml record add "$data/$f"
done

echo
echo "A school's MIS sends Manchester its roll: a Common Transfer File of 200 pupils, written"
echo "under a temporary name and renamed into the watched inbox (docs/adapters.md)"
run python3 "$here/scripts/make-ctf.py" --pupils 200 --seed 7 --lea 352 --estab 4001 \
  --school-name "Demo Primary School" --date "$(date -u +%Y-%m-%dT%H:%M:%S)" \
  --output manchester/inbox/ctf/.352-4001.xml.part
run mv manchester/inbox/ctf/.352-4001.xml.part manchester/inbox/ctf/352-4001.xml
for _ in $(seq 300); do [ -e manchester/inbox/ctf/processed/352-4001.xml ] && break; sleep 0.1; done
[ -e manchester/inbox/ctf/processed/352-4001.xml ] || die "the CTF was not imported within 30 s"
echo "Imported in one transaction; its report (counts and, for a rejected record, only its"
echo "local id, field and reason — never a value):"
run python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print({k: r[k] for k in r if k not in ("quarantine",)})' \
  manchester/inbox/ctf/processed/352-4001.xml.report.json

step "7. Every change arrives at the index, once"
# Until the index has applied each outbox and each authority holds its records' national ids.
synced() {
  for a in "${authorities[@]}"; do
    local tail applied live ids
    tail=$(sqlite3 "$a/data/aegis.db" "SELECT coalesce(max(seq), 0) FROM outbox")
    applied=$(sqlite3 index/data/index.db \
      "SELECT coalesce((SELECT applied_seq FROM authorities WHERE authority_id = '$a'), 0)" 2>/dev/null || echo 0)
    live=$(sqlite3 "$a/data/aegis.db" "SELECT count(*) FROM records WHERE deleted = 0")
    ids=$(sqlite3 "$a/data/aegis.db" "SELECT count(*) FROM national_ids")
    [ "$applied" = "$tail" ] && [ "$ids" -ge "$live" ] || return 1
  done
}
for _ in $(seq 600); do synced && break; sleep 0.1; done
synced || die "the index did not catch up within 60 s (see */aegisd.log)"
for a in "${authorities[@]}"; do run "$aegis" --config "$a/aegis.toml" status; echo; done
run "$aegis" --config index/aegis.toml status
echo
echo "At the index (index/data/index.db): per authority, the signed envelopes stored as received"
echo "(the current records are the status above; the index merges their rows into its records"
echo "table in batches, so that table can lag behind)"
run sqlite3 -column -header index/data/index.db \
  "SELECT a.authority_id AS authority, a.applied_seq AS applied,
          (SELECT count(*) FROM envelopes e WHERE e.id >> 40 = a.aid) AS envelopes
   FROM authorities a ORDER BY a.authority_id"

step "8. The shielded children's whereabouts are not in the index's database"
leeds_canaries=("Sanctuary Mews" "LS9 8ZZ" "07700 900777" "Fernhill" "6123456784")
index_files=(index/data/index.db index/data/index.db-wal)
for canary in "${kent_canaries[@]}" "${leeds_canaries[@]}"; do
  for f in "${index_files[@]}"; do
    in_file "$f" "$canary" && die "LEAK: '$canary' found in $f"
  done
  echo "'$canary': in none of ${index_files[*]}"
done
# The same grep does find what is meant to be there: the shielded children's names (the index
# must be able to say "contact the shielding authority") and a clear child's address.
declare -A why=([Whitfield]="a shielded child's name" [Calder]="a shielded child's name"
                [Moss Lane]="a clear child's address")
for expected in Whitfield Calder "Moss Lane"; do
  found=no
  for f in "${index_files[@]}"; do in_file "$f" "$expected" && found=yes; done
  [ "$found" = yes ] || die "'$expected' should be at the index: is the grep broken?"
  echo "'$expected' (${why[$expected]}): found, as it should be"
done

step "9. National ids, assigned by the index, back at each authority through the signed feed"
for a in "${authorities[@]}"; do
  run sqlite3 -column -header "$a/data/aegis.db" \
    "SELECT n.record_id, n.national_id, n.feed_seq FROM national_ids n ORDER BY n.record_id"
done
echo
echo "Sofia Brennan is known to Leeds (leeds-0002) and Manchester (manchester-0002): both"
echo "authorities were sent the same national id for her above. One child, one national id: the"
echo "index resolved the two records (NHS number, then name, date of birth and postcode) and told"
echo "each authority who else knows her."

step "10. A practitioner asks: who else is involved with this child, and how do I reach them?"
ask=(--config manchester/aegis.toml search --user m.okoro --role practitioner --purpose safeguarding)
run "$aegis" "${ask[@]}" --given Sofia --family Brennan --dob 2016-02-11
echo
echo "A shielded child (Kent's Noah Whitfield): identity and the shield team's route, nothing else."
run "$aegis" "${ask[@]}" --given Noah --family Whitfield --dob 2017-11-02 --json > noah.json
cat noah.json; echo
for secret in "Refuge Close" "CT1 9ZZ" "07700 900999" "St Dunstan"; do
  grep -q "$secret" noah.json && die "LEAK: '$secret' in the answer about a shielded child"
done
echo "(no address, phone or school of his in the answer)"
echo
echo "The same search with his postcode finds nobody: a search cannot confirm where he lives."
run "$aegis" "${ask[@]}" --given Noah --family Whitfield --dob 2017-11-02 --postcode "CT1 9ZZ"
echo
echo "Leeds is told that Manchester looked at its record of Sofia (who, when, why):"
for _ in $(seq 50); do
  "$aegis" --config leeds/aegis.toml notices 2>/dev/null | grep -q m.okoro && break
  sleep 0.2
done
run "$aegis" --config leeds/aegis.toml notices
echo
echo "Every query is in the index's tamper-evident audit log (who, purpose, records returned;"
echo "never the search terms):"
run "$aegis" --config index/aegis.toml audit verify

step "11. Every daemon stopped with SIGTERM"
for node in "${authorities[@]}" index; do
  kill -TERM "${pids[$node]}"
  rc=0; wait "${pids[$node]}" || rc=$?
  unset "pids[$node]"
  [ "$rc" -eq 0 ] || { cat "$node/aegisd.log" >&2; die "$node: aegisd exited $rc"; }
  echo "$node: $(grep '^<6>stopped ' "$node/aegisd.log") (exit 0)"
done

step "Done in $(( $(date +%s) - started ))s"
echo "Everything is in $work: keys/, and per node (index, kent, leeds, manchester) its"
echo "aegis.toml, its data/ (SQLite) and its aegisd.log."
