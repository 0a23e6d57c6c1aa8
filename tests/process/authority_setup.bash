# Shared setup for the process tests (sourced, not a test itself: ctest runs tests/process/*.sh).
# Makes a work directory (kept and printed on failure), a national root, an authority identity
# "kent" and a shield officer with certificates and a trust bundle made by `aegis keys`, and an
# authority config file. Callers: `source authority_setup.bash; make_authority [passphrase]`.

: "${AEGIS_BIN:?AEGIS_BIN must name the aegis binary}"

work=$(mktemp -d "${TMPDIR:-/tmp}/aegis-process-XXXXXX")
cleanup() {
  local rc=$?
  if [ "$rc" -ne 0 ]; then
    echo "FAILED (exit $rc): data kept in $work" >&2
  else
    rm -rf "$work"
  fi
}
trap cleanup EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }

# aegis with the test config.
ae() { "$AEGIS_BIN" --config "$work/aegis.toml" "$@"; }

# expect_exit CODE CMD...: runs CMD with stdout in $work/out and stderr in $work/err; fails the
# test unless it exits with CODE.
expect_exit() {
  local want=$1; shift
  local rc=0
  "$@" >"$work/out" 2>"$work/err" || rc=$?
  if [ "$rc" -ne "$want" ]; then
    echo "--- stdout" >&2; cat "$work/out" >&2
    echo "--- stderr" >&2; cat "$work/err" >&2
    fail "expected exit $want, got $rc: $*"
  fi
}

# expect_in FILE TEXT: FILE contains TEXT (fixed string).
expect_in() {
  grep -qF -- "$2" "$1" || { cat "$1" >&2; fail "'$2' not found in $1"; }
}

# json_ok FILE: FILE is one valid JSON document.
json_ok() {
  python3 -c 'import json,sys; json.load(sys.stdin)' <"$1" || { cat "$1" >&2; fail "$1 is not JSON"; }
}

# json_get FILE EXPR: prints the Python expression EXPR evaluated with `d` = the JSON document.
json_get() {
  python3 -c "import json,sys; d=json.load(sys.stdin); print(($2))" <"$1"
}

# make_authority [with-passphrase]: keys, certificates, trust bundle and aegis.toml in $work.
make_authority() {
  local keys=$work/keys
  mkdir -p "$keys"
  local pass_opts=()
  local pass_line=""
  if [ "${1:-}" = with-passphrase ]; then
    printf 'correct horse battery staple\n' >"$keys/kent.pass"
    chmod 600 "$keys/kent.pass"
    pass_opts=(--passphrase-file "$keys/kent.pass" --kdf-cost interactive)
    pass_line='passphrase_file = "keys/kent.pass"'
  fi
  "$AEGIS_BIN" keys root-new --out "$keys/root.key" --pub-out "$keys/root.pub" >/dev/null
  "$AEGIS_BIN" keys matching-key new --id 1 --out "$keys/matching.key" >/dev/null
  "$AEGIS_BIN" keys identity-new --id kent --role authority --out "$keys/kent.key" \
    --pub-out "$keys/kent.pub.json" "${pass_opts[@]}" >/dev/null
  "$AEGIS_BIN" keys identity-new --id officer-1 --role shield-officer --out "$keys/officer.key" \
    --pub-out "$keys/officer.pub.json" >/dev/null
  "$AEGIS_BIN" keys certify --root "$keys/root.key" --pub "$keys/kent.pub.json" --serial 10 \
    --display-name "Kent County Council" --days 365 --out "$keys/kent.cert" >/dev/null
  "$AEGIS_BIN" keys certify --root "$keys/root.key" --pub "$keys/officer.pub.json" --serial 20 \
    --display-name "National shield officer" --days 365 --out "$keys/officer.cert" >/dev/null
  "$AEGIS_BIN" keys bundle --root "$keys/root.key" --cert "$keys/kent.cert" \
    --cert "$keys/officer.cert" --version 1 --days 30 --out "$keys/bundle.bin" >/dev/null
  cat >"$work/aegis.toml" <<EOF
# test authority (paths relative to this file)
role = "authority"
subject_id = "kent"
data_dir = "data"

[keys]
identity = "keys/kent.key"
certificate = "keys/kent.cert"
trust_bundle = "keys/bundle.bin"
root_public_key = "keys/root.pub"
matching_key_file = "keys/matching.key"
$pass_line
EOF
}

# write_child FILE ID [FAMILY]: a valid record JSON (docs/store.md, "Record JSON").
write_child() {
  cat >"$1" <<EOF
{
  "record_id": "$2",
  "identity": {
    "name": {"given": "Amelia", "middle": "Rose", "family": "${3:-Hartley}"},
    "former_names": [{"given": "Amelia", "family": "Brookes"}],
    "gender": "female",
    "date_of_birth": "2015-03-14"
  },
  "details": {
    "address": {"lines": ["12 Canaryfield Road", "Maidstone"], "postcode": "ME14 1XX"},
    "upn": "A123456789012",
    "nhs_number": "9434765919",
    "contacts": [{"name": {"given": "Claire", "family": "Hartley"}, "relationship": "mother",
                  "parental_responsibility": true, "phones": ["07700 900123"],
                  "address_as_child": true}],
    "involvements": [{"kind": "educational_setting", "organisation": "Canaryfield Primary School",
                      "organisation_id": "118000", "start": "2019-09-04",
                      "lead_professional": true}]
  }
}
EOF
}

# write_shielded_child FILE ID: a shielded record whose details carry canary strings.
write_shielded_child() {
  cat >"$1" <<EOF
{
  "record_id": "$2",
  "identity": {
    "name": {"given": "Noah", "family": "Whitfield"},
    "gender": "male",
    "date_of_birth": "2017-11-02"
  },
  "details": {
    "address": {"lines": ["7 Secretcanary Lane", "Leeds"], "postcode": "LS1 4ZZ"},
    "contacts": [{"name": {"given": "Sarah", "family": "Whitfield"}, "relationship": "mother",
                  "phones": ["07700 900999"], "address_as_child": true}],
    "involvements": [{"kind": "educational_setting", "organisation": "Hiddencanary Academy"}],
    "shield": {"reason": 1, "set_by": "SO-0042", "set_on": "2024-06-01"}
  }
}
EOF
}
