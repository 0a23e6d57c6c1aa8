#!/usr/bin/env bash
# Process test: a real `aegis` process adding records in a loop (one transaction each, clear and
# shielded in turn) is killed with SIGKILL at random moments, several times. Afterwards the chain
# verifies, SQLite's integrity check passes, every record row has its envelope, seqs have no
# gaps, and a resumed run adds exactly what is missing. The data directory is kept on failure.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/authority_setup.bash"
cd "$work"

make_authority
write_child kid.json kid
write_shielded_child sk.json sk
expect_exit 0 ae store init
db=$work/data/aegis.db

count_rows() { sqlite3 "$db" "SELECT count(*) FROM outbox"; }

rounds=10
killed=0
pid=
# Never leave a writer running, whatever happens.
trap 'rc=$?; if [ -n "$pid" ]; then kill -KILL "$pid" 2>/dev/null || true; fi; (exit $rc); cleanup' EXIT
for round in $(seq 1 $rounds); do
  if [ $((round % 2)) -eq 1 ]; then file=sk.json; else file=kid.json; fi
  before=$(count_rows)
  # Each run restarts at n = 1: records already stored are no-ops, so it resumes where the
  # previous run was killed.
  # The binary itself in the background (not the `ae` function: $! would be a subshell).
  "$AEGIS_BIN" --config "$work/aegis.toml" record add-many --count 100000 "$file" \
    >/dev/null 2>"$work/add-many.err" &
  pid=$!
  # Kill after a random number (1..40) of new envelopes: mid-run, usually mid-transaction.
  target=$((before + 1 + RANDOM % 40))
  while kill -0 "$pid" 2>/dev/null && [ "$(count_rows)" -lt "$target" ]; do sleep 0.02; done
  kill -0 "$pid" 2>/dev/null || { cat "$work/add-many.err" >&2; fail "round $round: aegis exited before the kill"; }
  kill -KILL "$pid"
  wait "$pid" 2>/dev/null || true
  killed=$((killed + 1))
  echo "round $round: killed after $(( $(count_rows) - before )) new envelopes ($file)"
done
[ "$killed" -eq "$rounds" ] || fail "only $killed kills"

# --- the store is consistent after the kills --------------------------------------------------
expect_exit 0 ae log verify
expect_in out "chain intact"
[ "$(sqlite3 "$db" 'PRAGMA integrity_check')" = ok ] || fail "integrity_check failed"
[ "$(sqlite3 "$db" 'PRAGMA foreign_key_check' | wc -l)" = 0 ] || fail "foreign_key_check failed"
orphans=$(sqlite3 "$db" "SELECT count(*) FROM records r LEFT JOIN outbox o
                          ON o.seq = r.last_seq AND o.record_id = r.record_id WHERE o.seq IS NULL")
[ "$orphans" = 0 ] || fail "$orphans record rows without their envelope"
# Each record was added once: one envelope per record, seqs 1..N without gaps.
read -r envelopes records max_seq < <(sqlite3 -separator ' ' "$db" \
  "SELECT (SELECT count(*) FROM outbox), (SELECT count(*) FROM records), (SELECT max(seq) FROM outbox)")
[ "$envelopes" = "$records" ] || fail "$envelopes envelopes for $records records"
[ "$max_seq" = "$envelopes" ] || fail "seq gap: max seq $max_seq, $envelopes envelopes"
# Ids per base are contiguous: kid-1..kid-K, sk-1..sk-S (a run adds them in order).
for base in kid sk; do
  read -r n top < <(sqlite3 -separator ' ' "$db" \
    "SELECT count(*), max(CAST(substr(record_id, length('$base') + 2) AS INTEGER)) FROM records
     WHERE record_id LIKE '$base-%'")
  [ "$n" = "${top:-0}" ] || fail "$base: $n records but highest id $base-$top"
done

# --- a resumed run adds exactly what is missing ---------------------------------------------
kids=$(sqlite3 "$db" "SELECT count(*) FROM records WHERE record_id LIKE 'kid-%'")
expect_exit 0 ae record add-many --count $((kids + 3)) kid.json
expect_in out "added 3 records, $kids unchanged"
expect_exit 0 ae log verify
expect_in out "$((envelopes + 3)) envelopes verified, chain intact"

echo "store_survives_kill9: ok ($envelopes envelopes survived $killed kills)"
