#!/usr/bin/env bash
# sync_smoke: one index and one authority as real aegisd processes on 127.0.0.1 (a free port).
# 20 records committed at the authority reach the index exactly once (20 envelopes, 20 live
# records, the feed's national ids back at the authority), `aegis status` agrees on both sides,
# and SIGTERM stops both daemons with exit 0. Keeps its work directory on failure.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/authority_setup.bash"
aegisd=${AEGISD_BIN:-$(dirname "$AEGIS_BIN")/../aegisd/aegisd}
[ -x "$aegisd" ] || fail "no aegisd at $aegisd (set AEGISD_BIN)"

make_authority  # $work/keys: root, kent (serial 10), officer (20); $work/aegis.toml for kent
keys=$work/keys
"$AEGIS_BIN" keys identity-new --id national --role index --out "$keys/national.key" \
  --pub-out "$keys/national.pub.json" >/dev/null
"$AEGIS_BIN" keys certify --root "$keys/root.key" --pub "$keys/national.pub.json" --serial 30 \
  --display-name "National index" --days 365 --out "$keys/national.cert" >/dev/null
"$AEGIS_BIN" keys bundle --root "$keys/root.key" --cert "$keys/kent.cert" \
  --cert "$keys/officer.cert" --cert "$keys/national.cert" --version 2 --days 30 \
  --out "$keys/bundle.bin" >/dev/null

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cat >>"$work/aegis.toml" <<EOF2

[sync]
index_endpoint = "tcp://127.0.0.1:$port"
index_id = "national"
ack_timeout_ms = 2000
heartbeat_ms = 1000
reconnect_max_ms = 1000
EOF2
mkdir -m 700 "$work/index"
cat >"$work/index.toml" <<EOF2
role = "index"
subject_id = "national"
data_dir = "index/data"

[keys]
identity = "keys/national.key"
certificate = "keys/national.cert"
trust_bundle = "keys/bundle.bin"
root_public_key = "keys/root.pub"

[sync]
listen = "tcp://127.0.0.1:$port"
ack_timeout_ms = 2000
heartbeat_ms = 1000
EOF2

expect_exit 0 "$aegisd" --config "$work/index.toml" --check-config
expect_in "$work/out" "config ok"
expect_exit 0 "$aegisd" --config "$work/aegis.toml" --check-config

ae store init >/dev/null
write_child "$work/child.json" smoke
ae record add-many --count 20 "$work/child.json" >/dev/null

pids=()
stop_all() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap 'stop_all; cleanup' EXIT

# wait_for_line FILE TEXT: until FILE has a line containing TEXT (bounded: 20 s).
wait_for_line() {
  for _ in $(seq 200); do grep -qF -- "$2" "$1" 2>/dev/null && return 0; sleep 0.1; done
  cat "$1" >&2; fail "no '$2' in $1"
}

"$aegisd" --config "$work/index.toml" 2>"$work/index.log" & index_pid=$!; pids+=("$index_pid")
wait_for_line "$work/index.log" "<6>ready role=index"
"$aegisd" --config "$work/aegis.toml" 2>"$work/kent.log" & kent_pid=$!; pids+=("$kent_pid")
wait_for_line "$work/kent.log" "<6>ready role=authority"

# Until the index has applied seq 20 and the authority holds the feed (20 national ids).
idx() { "$AEGIS_BIN" --config "$work/index.toml" "$@"; }
for _ in $(seq 200); do
  idx status --json >"$work/index.json" 2>/dev/null || true
  ae status --json >"$work/kent.json" 2>/dev/null || true
  if [ -s "$work/index.json" ] && [ -s "$work/kent.json" ] &&
     [ "$(json_get "$work/index.json" 'd["peers"][0]["applied_seq"] if d["peers"] else 0')" = 20 ] &&
     [ "$(json_get "$work/kent.json" 'd["peers"][0]["national_ids"]')" = 20 ]; then
    break
  fi
  sleep 0.1
done
json_ok "$work/index.json"
json_ok "$work/kent.json"
[ "$(json_get "$work/index.json" 'd["peers"][0]["peer"]')" = kent ] || fail "index status: $(cat "$work/index.json")"
[ "$(json_get "$work/index.json" 'd["peers"][0]["applied_seq"]')" = 20 ] || fail "index applied: $(cat "$work/index.json")"
[ "$(json_get "$work/index.json" 'd["peers"][0]["live_records"]')" = 20 ] || fail "index records"
[ "$(json_get "$work/index.json" 'd["totals"]["envelopes"]')" = 20 ] || fail "envelopes applied more than once"
[ "$(json_get "$work/index.json" 'd["peers"][0]["rejections"]')" = 0 ] || fail "rejections"
[ "$(json_get "$work/kent.json" 'd["peers"][0]["last_acked_seq"]')" = 20 ] || fail "kent acked: $(cat "$work/kent.json")"
[ "$(json_get "$work/kent.json" 'd["peers"][0]["backlog"]')" = 0 ] || fail "kent backlog"
[ "$(json_get "$work/kent.json" 'd["peers"][0]["connection"]')" = connected ] || fail "kent connection"
[ "$(json_get "$work/kent.json" 'd["peers"][0]["national_ids"]')" = 20 ] || fail "national ids: $(cat "$work/kent.json")"

# The human form names the peer and the acknowledged seq.
expect_exit 0 ae status
expect_in "$work/out" "national"
expect_in "$work/out" "connected"

# Exactly once, straight from the index database too.
[ "$(sqlite3 "$work/index/data/index.db" 'SELECT count(*) FROM envelopes')" = 20 ] ||
  fail "index.db holds $(sqlite3 "$work/index/data/index.db" 'SELECT count(*) FROM envelopes') envelopes"

# `aegis index verify` re-verifies everything the index stored (while it runs, too).
expect_exit 0 idx index verify
expect_in "$work/out" "20 envelopes from 1 authorities verified, chains intact"
expect_exit 0 idx --json index verify
json_ok "$work/out"
[ "$(json_get "$work/out" 'd["intact"]')" = True ] || fail "index verify --json: $(cat "$work/out")"

# The admin socket is the owner's only.
[ "$(stat -c %a "$work/data/aegisd.sock")" = 600 ] || fail "admin socket mode"

# SIGTERM: both stop cleanly, exit 0, and say so.
kill -TERM "$kent_pid"; rc=0; wait "$kent_pid" || rc=$?
[ "$rc" -eq 0 ] || { cat "$work/kent.log" >&2; fail "authority exited $rc"; }
kill -TERM "$index_pid"; rc=0; wait "$index_pid" || rc=$?
[ "$rc" -eq 0 ] || { cat "$work/index.log" >&2; fail "index exited $rc"; }
pids=()
expect_in "$work/kent.log" "<6>stopped role=authority"
expect_in "$work/index.log" "<6>stopped role=index"
[ ! -e "$work/data/aegisd.sock" ] || fail "admin socket left behind"
# The audit log (docs/audit.md): the index enrolled the bundle's three certificates at start and
# checkpointed them; `audit proof` gives entry 1's inclusion proof; an edited entry is found.
expect_exit 0 idx audit verify
expect_in "$work/out" "3 audit entries and 1 signed checkpoints verified"
expect_exit 0 idx --json audit proof 1
[ "$(json_get "$work/out" 'd["entry"]["action"]')" = enrolment ] || fail "audit proof: $(cat "$work/out")"
[ "$(json_get "$work/out" 'd["checkpoint"]["tree_size"]')" = 3 ] || fail "audit proof: $(cat "$work/out")"
expect_exit 1 idx audit proof 3
expect_in "$work/err" "not covered by a checkpoint"
python3 - "$work/index/data/index.db" <<'EOF3'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
db.execute("DROP TRIGGER audit_entries_append_only")
entry = db.execute("SELECT entry FROM audit_entries WHERE idx = 2").fetchone()[0]
assert b"bundle 2" in entry
db.execute("UPDATE audit_entries SET entry = ? WHERE idx = 2", (entry.replace(b"bundle 2", b"bundle 3"),))
db.commit()
EOF3
expect_exit 1 idx audit verify
expect_in "$work/err" "leaf_mismatch"
# A flipped byte in one stored envelope (seq 7, the daemons stopped): `index verify` exits 1
# naming the authority and that seq.
python3 - "$work/index/data/index.db" <<'EOF3'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
rowid, wire = db.execute("SELECT id, wire FROM envelopes ORDER BY id LIMIT 1 OFFSET 6").fetchone()
wire = bytearray(wire)
wire[-5] ^= 0x01
db.execute("UPDATE envelopes SET wire = ? WHERE id = ?", (bytes(wire), rowid))
db.commit()
EOF3
expect_exit 1 idx index verify
expect_in "$work/err" "authority kent: envelope seq 7: "
expect_exit 1 idx --json index verify
[ "$(json_get "$work/out" 'd["authorities"][0]["problem"]["seq"]')" = 7 ] || fail "index verify --json: $(cat "$work/out")"
[ "$(json_get "$work/out" 'd["intact"]')" = False ] || fail "index verify --json intact"
# No personal data in the logs: the sample child's names never appear.
! grep -qiE "amelia|hartley|canaryfield" "$work/kent.log" "$work/index.log" || fail "personal data in a log"
echo "sync_smoke: ok"
