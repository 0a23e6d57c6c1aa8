// Writes the envelope, record and match token test vectors (docs/PROTOCOL.md §11) from fixed
// seeds:
//   protocol/vectors/valid_envelope.json, invalid_envelope.json,
//   protocol/vectors/valid_record.json, invalid_record.json,
//   protocol/vectors/valid_match.json, invalid_match.json.
// The envelopes signed before match tokens (RecordPayload version 1) are kept exactly as they
// were: receivers still accept them. The version-2 cases come after them.
// Usage: aegis_gen_vectors_envelope [OUTPUT_DIR]   (default: the source tree's protocol/vectors)
// The output is deterministic: running it twice gives identical files, and
// tests/protocol/vectors_envelope_test.cpp checks the committed files against this code.
#include <algorithm>
#include <cstdint>
#include <exception>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "../protocol/envelope_fixtures.hpp"
#include "aegis/protocol/certificate.hpp"
#include "aegis/protocol/identifiers.hpp"
#include "aegis/protocol/match.hpp"
#include "test_support.hpp"

using namespace aegis::protocol;
using namespace aegis::test::envelope_fixtures;
using aegis::test::sample_child;
using aegis::test::sample_shielded_child;
using aegis::test::seed;
using aegis::test::SeedKeyAgreement;
using aegis::test::SeedSigner;
using aegis::test::test_tokenizer;
using json = nlohmann::ordered_json;

constexpr std::uint64_t kV1 = kPayloadVersionWithoutMatch;

namespace {

std::string hex(ByteView b) { return to_hex(b); }
template <std::size_t N>
std::string hex(const ByteArray<N>& b) { return to_hex(ByteView(b.data(), N)); }

json chain_json(const ChainState& c) {
  return {{"last_seq", c.last_seq}, {"last_hash_hex", hex(c.last_hash)}};
}

json keys_json() {
  struct Named {
    const char* name;
    std::uint8_t seed_byte;
  };
  json keys = json::object();
  for (Named k : {Named{"kent", kKentSeed}, Named{"leeds", kLeedsSeed},
                  Named{"index", kIndexSeed}, Named{"so-0042", kOfficerSeed},
                  Named{"kent-revoked", kKentRevokedSeed},
                  Named{"kent-expired", kKentExpiredSeed}}) {
    keys[k.name] = {
        {"sign_seed_hex", hex(seed(k.seed_byte))},
        {"sign_public_key_hex", hex(SeedSigner(seed(k.seed_byte)).sign_public_key())},
        {"box_secret_hex", hex(seed(k.seed_byte))},
        {"box_public_key_hex", hex(SeedKeyAgreement(seed(k.seed_byte)).box_public_key())},
    };
  }
  return keys;
}

json certificates_json() {
  json out = json::array();
  for (const Certificate& c : verify_certificates()) {
    out.push_back({{"serial", c.serial},
                   {"subject_id", c.subject_id},
                   {"role", std::string(role_name(c.role))},
                   {"sign_public_key_hex", hex(c.sign_key)},
                   {"box_public_key_hex", hex(c.box_key)},
                   {"not_before_ms", c.not_before_ms},
                   {"not_after_ms", c.not_after_ms}});
  }
  return out;
}

// The matching key every match token of these files is made with.
json matching_key_json() {
  return {{"key_id", test_tokenizer().key_id()},
          {"key_hex", hex(seed(aegis::test::kMatchingKeySeed))}};
}

json envelope_file(const std::string& description, json cases) {
  return {{"description", description},
          {"keys", keys_json()},
          {"matching_key", matching_key_json()},
          {"certificates", certificates_json()},
          {"revoked_serials", revoked_serials()},
          {"cases", std::move(cases)}};
}

json match_json(const MatchTokens& m) {
  json entries = json::array();
  for (const MatchEntry& e : m.entries)
    entries.push_back({{"kind", static_cast<int>(e.kind)},
                       {"kind_name", std::string(identifier_kind_name(e.kind))},
                       {"token_hex", hex(e.token)}});
  return {{"key_id", m.key_id}, {"entries", entries}};
}

std::string op_name(Operation op) { return op == Operation::upsert ? "upsert" : "delete"; }

// A valid case: what a receiver in state `chain` at `now_ms` must accept, and what it learns.
json valid_case(const std::string& name, const Link& l, const ChainState& chain,
                const ChildRecord* record) {
  const Envelope& e = l.envelope;
  json expect = {{"hash_hex", hex(l.hash)},
                 {"authority_id", e.authority_id},
                 {"seq", e.seq},
                 {"prev_hash_hex", hex(e.prev_hash)},
                 {"timestamp_ms", e.timestamp_ms},
                 {"signer_serial", e.signer_serial},
                 {"op", op_name(e.op)},
                 {"record_id", e.record_id}};
  if (record != nullptr) {
    expect["payload_version"] = e.payload->version();
    if (e.payload->match) expect["match"] = match_json(*e.payload->match);
    expect["shielded"] = e.payload->shielded();
    expect["record_hex"] = hex(encode_child_record(*record));
    if (e.payload->shielded()) {
      SealRandomness rnd = aegis::test::fixtures::fixed_randomness(kSealRandomnessSeed);
      json recipients = json::array();
      for (const BoxPublicKey& k : shield_recipients()) recipients.push_back(hex(k));
      expect["seal"] = {{"recipients_hex", recipients},
                        {"ephemeral_secret_hex", hex(rnd.ephemeral_secret)},
                        {"content_key_hex", hex(rnd.content_key)},
                        {"nonce_hex", hex(rnd.nonce)},
                        {"openable_by", {"kent", "so-0042"}},
                        {"not_openable_by", {"index", "leeds"}}};
    }
  }
  return {{"name", name},
          {"now_ms", kNowMs},
          {"chain", chain_json(chain)},
          {"wire_hex", hex(l.wire)},
          {"expect", expect}};
}

json invalid_case(const std::string& name, ByteView wire, const std::string& error,
                  const ChainState& chain = ChainState{}, std::uint64_t now_ms = kNowMs) {
  return {{"name", name},
          {"now_ms", now_ms},
          {"chain", chain_json(chain)},
          {"wire_hex", hex(wire)},
          {"error", error}};
}

// A child whose three identifiers are all valid (so its payload has three tokens).
ChildRecord child_with_identifiers(const std::string& record_id) {
  ChildRecord r = sample_child(record_id);
  r.identity.name = {"Noah", "", "Canarywell"};
  r.details.upn = "Y820400105001";
  r.details.uln = "1234567899";
  r.details.nhs_number = "9876543210";
  return r;
}

json valid_envelopes() {
  json cases = json::array();
  ChildRecord r1 = sample_child("child-1");
  ChildRecord r2 = r1;
  r2.details.address->lines[0] = "14 Canaryfield Road";
  auto chain = sample_chain();  // upsert r1, upsert r2, delete child-1
  ChainState state;
  const ChildRecord* records[] = {&r1, &r2, nullptr};
  const char* names[] = {"chain 1: upsert child-1", "chain 2: upsert child-1 (moved)",
                         "chain 3: delete child-1"};
  for (std::size_t i = 0; i < chain.size(); ++i) {
    cases.push_back(valid_case(names[i], chain[i], state, records[i]));
    state = ChainState{chain[i].envelope.seq, chain[i].hash};
  }
  ChildRecord shielded = sample_shielded_child("child-s");
  Link s = sign_link(make_upsert(4, state.last_hash, shielded, kKentSerial, kV1));
  cases.push_back(valid_case("chain 4: upsert shielded child-s", s, state, &shielded));
  state = ChainState{4, s.hash};

  // RecordPayload version 2: the match tokens of the valid identifiers, clear and shielded.
  ChildRecord three = child_with_identifiers("child-2");
  Link v2 = sign_link(make_upsert(5, state.last_hash, three));
  cases.push_back(valid_case("chain 5: upsert child-2, payload version 2 with three match tokens",
                             v2, state, &three));
  state = ChainState{5, v2.hash};
  ChildRecord hidden = child_with_identifiers("child-t");
  hidden.details.shield = sample_shielded_child().details.shield;
  hidden.details.uln = "1234567890";  // fails its check digit: no ULN token
  Link v2s = sign_link(make_upsert(6, state.last_hash, hidden));
  cases.push_back(valid_case(
      "chain 6: upsert shielded child-t, version 2: tokens in clear (none for its invalid ULN), "
      "identifiers sealed",
      v2s, state, &hidden));

  ChildRecord minimal;
  minimal.record_id = "c1";
  minimal.identity.name.family = "Lee";
  minimal.identity.date_of_birth = *Date::parse("2020-01-02");
  Link m = sign_link(make_upsert(1, Hash{}, minimal, kKentSerial, kV1));
  cases.push_back(valid_case("minimal record, first envelope", m, ChainState{}, &minimal));
  Link m2 = sign_link(make_upsert(1, Hash{}, minimal, kKentSerial));
  cases.push_back(valid_case("minimal record, payload version 2 with no identifier (no tokens)",
                             m2, ChainState{}, &minimal));
  return envelope_file(
      "Envelopes every implementation MUST accept: decode, re-encode byte-equal, verify the "
      "Ed25519 signature with the signer certificate's key, compare hash_hex with "
      "BLAKE2b-256(wire), and verify against `chain` at `now_ms`. Cases 1-6 form one chain of "
      "authority kent (1-4 with RecordPayload version 1, 5-6 with version 2); the last two "
      "cases each start a chain. A version-2 payload's `match` MUST equal the tokens of the "
      "record's valid identifiers under `matching_key`, and its clear details MUST be the "
      "record's with upn, uln and nhs_number nil (identifiers travel only as tokens).",
      cases);
}

// RecordPayloads with one defect each (§6.2, §14.1), in correctly signed envelopes: what the
// decoder must refuse, and the field this implementation names (`path`, informative).
void add_invalid_payloads(json& cases) {
  const ChildRecord r = child_with_identifiers("child-2");
  const Envelope e = make_upsert(1, Hash{}, r);
  const MatchTokens good = *e.payload->match;  // kinds 1, 2, 3
  const Bytes token = Bytes(good.entries[0].token.begin(), good.entries[0].token.end());
  using Entries = std::vector<std::pair<std::uint64_t, Bytes>>;
  auto match = [](std::uint64_t key_id, const Entries& entries) {
    return [key_id, entries](Writer& w) {
      w.array(2);
      w.uint(key_id);
      w.array(static_cast<std::uint32_t>(entries.size()));
      for (const auto& [kind, bytes] : entries) {
        w.array(2);
        w.uint(kind);
        w.bin(bytes);
      }
    };
  };
  // Clear details as each version's sender builds them: version 1 with the identifiers,
  // version 2 (and any other) without; `details` overrides them.
  auto body = [&](std::uint64_t version, std::uint32_t fields,
                  const std::function<void(Writer&)>& write_match,
                  const std::optional<ChildDetails>& details = std::nullopt) {
    return raw_body(kEnvelopeVersion, e, [&](Writer& w) {
      w.array(fields);
      w.uint(version);
      write_child_identity(w, r.identity);
      w.boolean(false);
      write_child_details(w, details ? *details
                                     : version == kV1 ? r.details
                                                      : without_identifiers(r.details));
      if (write_match) write_match(w);
    });
  };
  const Trust trust = make_trust();
  auto add = [&](const std::string& name, const Bytes& b, Errc code, const std::string& path) {
    const Bytes wire = sign_raw(b);
    auto v = verify_envelope(wire, trust, ChainState{}, kNowMs);
    if (v.ok() || v.error().code != code || v.error().detail.rfind(path + ": ", 0) != 0)
      throw std::logic_error("invalid payload vector does not fail as described: " + name +
                             (v.ok() ? "" : " (" + v.error().message() + ")"));
    json c = invalid_case(name, wire, std::string(errc_name(code)));
    c["path"] = path;
    cases.push_back(std::move(c));
  };
  const Entries all = {{1, token}, {2, token}, {3, token}};
  add("payload version 3", body(3, 5, match(1, all)), Errc::unknown_version,
      "envelope.payload.version");
  add("payload version 2 without match (4 fields)", body(2, 4, {}), Errc::malformed,
      "envelope.payload");
  add("payload version 1 with a match (5 fields)", body(1, 5, match(1, all)), Errc::malformed,
      "envelope.payload");
  add("match is nil", body(2, 5, [](Writer& w) { w.nil(); }), Errc::malformed,
      "envelope.payload.match");
  add("match of three fields",
      body(2, 5, [](Writer& w) {
        w.array(3);
        w.uint(1);
        w.array(0);
        w.nil();
      }),
      Errc::malformed, "envelope.payload.match");
  add("match key_id 0", body(2, 5, match(0, all)), Errc::invalid_field,
      "envelope.payload.match.key_id");
  add("kinds not ascending: 3 then 1", body(2, 5, match(1, {{3, token}, {1, token}})),
      Errc::invalid_field, "envelope.payload.match.entries[1].kind");
  add("kind 1 twice", body(2, 5, match(1, {{1, token}, {1, token}})), Errc::invalid_field,
      "envelope.payload.match.entries[1].kind");
  add("unknown kind 4", body(2, 5, match(1, {{4, token}})), Errc::invalid_field,
      "envelope.payload.match.entries[0].kind");
  add("kind 0", body(2, 5, match(1, {{0, token}})), Errc::invalid_field,
      "envelope.payload.match.entries[0].kind");
  add("token of 15 bytes", body(2, 5, match(1, {{1, Bytes(token.begin(), token.end() - 1)}})),
      Errc::invalid_field, "envelope.payload.match.entries[0].token");
  Bytes long_token = token;
  long_token.push_back(0x00);
  add("token of 17 bytes", body(2, 5, match(1, {{1, long_token}})), Errc::too_large,
      "envelope.payload.match.entries[0].token");
  add("four entries", body(2, 5, match(1, {{1, token}, {2, token}, {3, token}, {3, token}})),
      Errc::too_large, "envelope.payload.match.entries");
  add("an entry of one field",
      body(2, 5, [](Writer& w) {
        w.array(2);
        w.uint(1);
        w.array(1);
        w.array(1);
        w.uint(1);
      }),
      Errc::malformed, "envelope.payload.match.entries[0]");
  add("token as a str",
      body(2, 5, [](Writer& w) {
        w.array(2);
        w.uint(1);
        w.array(1);
        w.array(2);
        w.uint(1);
        w.str("0123456789abcdef");
      }),
      Errc::malformed, "envelope.payload.match.entries[0].token");
  // key_id 1 written as uint8 (cc 01): everything else canonical.
  Bytes canonical = body(2, 5, match(1, all));
  const Bytes tail = *from_hex("920193");  // [1, [ ...3 entries
  auto at = std::search(canonical.begin(), canonical.end(), tail.begin(), tail.end());
  if (at == canonical.end()) throw std::logic_error("match header not found");
  canonical.insert(at + 1, 0xcc);
  add("non-canonical: key_id 1 as uint8", canonical, Errc::non_canonical, "envelope");

  // Version 2 carries identifiers only as tokens: each one in clear details is refused.
  const ChildDetails none = without_identifiers(r.details);
  ChildDetails with_upn = none;
  with_upn.upn = r.details.upn;
  add("version 2 with the UPN in clear details", body(2, 5, match(1, all), with_upn),
      Errc::invalid_field, "envelope.payload.details.upn");
  ChildDetails with_uln = none;
  with_uln.uln = r.details.uln;
  add("version 2 with the ULN in clear details", body(2, 5, match(1, all), with_uln),
      Errc::invalid_field, "envelope.payload.details.uln");
  ChildDetails with_nhs = none;
  with_nhs.nhs_number = r.details.nhs_number;
  add("version 2 with the NHS number in clear details", body(2, 5, match(1, all), with_nhs),
      Errc::invalid_field, "envelope.payload.details.nhs_number");
  ChildDetails invalid_upn = none;
  invalid_upn.upn = "Z820400105001";  // fails its check: still refused, tokens or not
  add("version 2 with an invalid UPN in clear details and no tokens",
      body(2, 5, match(1, {}), invalid_upn), Errc::invalid_field,
      "envelope.payload.details.upn");
}

json invalid_envelopes() {
  json cases = json::array();
  auto chain = sample_chain();
  const Bytes& first = chain[0].wire;
  const ChainState after1{1, chain[0].hash};
  const ChildRecord child = sample_child("child-1");

  cases.push_back(invalid_case("empty input", Bytes{}, "truncated"));
  cases.push_back(invalid_case("truncated: last byte missing",
                               Bytes(first.begin(), first.end() - 1), "truncated"));
  Bytes trailing = first;
  trailing.push_back(0x00);
  cases.push_back(invalid_case("trailing byte", trailing, "trailing_bytes"));
  cases.push_back(invalid_case("not msgpack (0xc1)", Bytes{0xc1}, "malformed"));
  cases.push_back(invalid_case("a map, not the Signed array", Bytes{0x80}, "malformed"));
  cases.push_back(invalid_case("header claiming 4 billion elements",
                               Bytes{0xdd, 0xff, 0xff, 0xff, 0xff}, "too_large"));
  // One byte over the limit: Signed{ bin32 body of zeros, signature } = body + 72 bytes.
  Bytes oversized = encode_signed(Signed{Bytes(kMaxEnvelopeSize + 1 - 72, 0), Signature{}});
  if (oversized.size() != kMaxEnvelopeSize + 1) throw std::logic_error("oversized size");
  cases.push_back(invalid_case("oversized: 262145 bytes", oversized, "too_large"));

  // 92 c5 hi lo body...: the same body length written as bin32 (c6 00 00 hi lo).
  if (first[1] != 0xc5) throw std::logic_error("expected a bin16 body");
  Bytes w32{0x92, 0xc6, 0x00, 0x00};
  w32.insert(w32.end(), first.begin() + 2, first.end());
  cases.push_back(invalid_case("non-canonical wrapper: body length as bin32", w32,
                               "non_canonical"));

  Bytes body = decode_signed(first, "envelope").value().body;
  if (body[7] != 0x01) throw std::logic_error("seq offset");
  body[7] = 0xcc;  // seq 1 as uint8
  body.insert(body.begin() + 8, 0x01);
  cases.push_back(invalid_case("non-canonical int: seq 1 as uint8 (signed)", sign_raw(body),
                               "non_canonical"));

  Envelope e1 = chain[0].envelope;
  Bytes v2 = raw_body(2, e1, [&](Writer& w) {
    w.array(4);
    w.uint(1);
    write_child_identity(w, child.identity);
    w.boolean(false);
    write_child_details(w, child.details);
  });
  cases.push_back(invalid_case("unknown version 2 (signed)", sign_raw(v2), "unknown_version"));

  Envelope seq0 = e1;
  seq0.seq = 0;
  cases.push_back(invalid_case("seq 0", sign_link(seq0).wire, "invalid_field"));
  Envelope long_authority = e1;
  long_authority.authority_id = std::string(kMaxAuthorityIdLen + 1, 'k');
  cases.push_back(invalid_case("authority id of 33 bytes", sign_link(long_authority).wire,
                               "too_large"));
  Envelope op3 = e1;
  op3.op = static_cast<Operation>(3);
  cases.push_back(invalid_case("unknown op 3", sign_link(op3).wire, "invalid_field"));
  Envelope del_payload = e1;
  del_payload.op = Operation::remove;
  cases.push_back(invalid_case("delete with a payload", sign_link(del_payload).wire,
                               "invalid_field"));
  Envelope clear_shield = make_upsert(1, Hash{}, sample_child("child-1"), kKentSerial, kV1);
  std::get<ChildDetails>(clear_shield.payload->details).shield =
      Shield{1, "SO-0042", *Date::parse("2024-06-01")};
  cases.push_back(invalid_case("shielded details in clear", sign_link(clear_shield).wire,
                               "invalid_field"));

  Bytes bad_sig = first;
  bad_sig.back() ^= 0x01;
  cases.push_back(invalid_case("bad signature: last bit flipped", bad_sig, "bad_signature"));
  cases.push_back(invalid_case("signed with leeds's key, naming kent's certificate",
                               sign_link(e1, kLeedsSeed).wire, "bad_signature"));
  Envelope leeds_cert = e1;
  leeds_cert.signer_serial = kLeedsSerial;
  cases.push_back(invalid_case("wrong signer: leeds's certificate signs for kent",
                               sign_link(leeds_cert, kLeedsSeed).wire, "wrong_role"));
  Envelope index_cert = e1;
  index_cert.signer_serial = kIndexSerial;
  cases.push_back(invalid_case("wrong role: the index's certificate",
                               sign_link(index_cert, kIndexSeed).wire, "wrong_role"));
  Envelope unknown = e1;
  unknown.signer_serial = 99;
  cases.push_back(invalid_case("unknown signer serial 99", sign_link(unknown).wire,
                               "unknown_signer"));
  Envelope revoked = e1;
  revoked.signer_serial = kKentRevokedSerial;
  cases.push_back(invalid_case("revoked signer (serial 5)",
                               sign_link(revoked, kKentRevokedSeed).wire, "revoked_signer"));
  Envelope expired = e1;
  expired.signer_serial = kKentExpiredSerial;
  expired.timestamp_ms = kNowMs - 2 * aegis::test::fixtures::kDayMs;
  cases.push_back(invalid_case("expired signer (serial 6)",
                               sign_link(expired, kKentExpiredSeed).wire, "expired_signer"));
  const Certificate kent = verify_certificates()[0];
  cases.push_back(invalid_case("verified after the certificate's not_after", first,
                               "expired_signer", ChainState{}, kent.not_after_ms + 1));
  Envelope early = e1;
  early.timestamp_ms = kent.not_before_ms - 1;
  cases.push_back(invalid_case("envelope time before the certificate's not_before",
                               sign_link(early).wire, "expired_signer"));

  cases.push_back(invalid_case("replayed: seq 1 again", first, "replayed", after1));
  cases.push_back(invalid_case("replayed: seq 1 after seq 2", first, "replayed",
                               ChainState{2, chain[1].hash}));
  cases.push_back(invalid_case("gap: seq 2 first", chain[1].wire, "out_of_order"));
  cases.push_back(invalid_case("gap: seq 3 after seq 1", chain[2].wire, "out_of_order", after1));
  Hash wrong{};
  wrong.fill(0xee);
  cases.push_back(invalid_case("broken chain: seq 2 after another seq 1", chain[1].wire,
                               "broken_chain", ChainState{1, wrong}));
  Hash nonzero{};
  nonzero[31] = 0x01;
  cases.push_back(invalid_case("broken chain: seq 1 with a non-zero prev_hash",
                               sign_link(make_upsert(1, nonzero, child, kKentSerial, kV1)).wire,
                               "broken_chain"));
  add_invalid_payloads(cases);
  return envelope_file(
      "Envelopes every implementation MUST refuse with exactly `error` (the snake_case error "
      "code) when verified against `chain` at `now_ms` with the certificates and revocations "
      "of this file.",
      cases);
}

// ---- Records --------------------------------------------------------------------------------

ChildRecord minimal_record() {
  ChildRecord r;
  r.record_id = "c1";
  r.identity.name.family = "Lee";
  r.identity.date_of_birth = *Date::parse("2020-01-02");
  return r;
}

json valid_records() {
  json cases = json::array();
  auto add = [&](const std::string& name, const ChildRecord& r) {
    if (!check_record(r)) throw std::logic_error("valid record vector fails: " + name);
    cases.push_back({{"name", name},
                     {"record_hex", hex(encode_child_record(r))},
                     {"record_id", r.record_id},
                     {"family_name", r.identity.name.family},
                     {"date_of_birth", r.identity.date_of_birth.to_string()},
                     {"shielded", r.shielded()}});
  };
  add("minimal: required fields only", minimal_record());
  add("sample child, every field", sample_child("child-1"));
  add("shielded child (the clear, local form)", sample_shielded_child("child-s"));
  ChildRecord unicode = minimal_record();
  unicode.record_id = "u-1";
  unicode.identity.name = {"Zo\xc3\xab", "Si\xc3\xa2n", "\xc5\x81ukasz-O\xe2\x80\x99" "Brien"};
  unicode.identity.gender = Gender::not_applicable;
  unicode.identity.date_of_birth = *Date::parse("2008-02-29");
  unicode.identity.date_of_death = *Date::parse("2024-02-29");
  add("multi-byte UTF-8 names, leap days, date of death", unicode);
  ChildRecord limits = minimal_record();
  limits.record_id = std::string(kMaxRecordIdLen, 'r');
  limits.identity.name.family = std::string(kMaxNameLen, 'F');
  limits.details.address = Address{std::vector<std::string>(kMaxAddressLines, "line"), "ME141XXX"};
  limits.details.upn = "A123456789012";
  Involvement sensitive;
  sensitive.kind = InvolvementKind::other_health;
  sensitive.organisation = "Clinic";
  sensitive.start = *Date::parse("2020-01-01");
  sensitive.end = sensitive.start;
  sensitive.sensitive = true;
  sensitive.consent = true;
  limits.details.involvements = {sensitive};
  add("values at their limits; sensitive with consent; end == start", limits);
  return {{"description",
           "ChildRecord encodings every implementation MUST decode, re-encode byte-equal and "
           "accept under the rules of §3."},
          {"cases", cases}};
}

json invalid_records() {
  json cases = json::array();
  auto add_bytes = [&](const std::string& name, const Bytes& b, Errc code,
                       const std::string& path) {
    auto d = decode_child_record(b);
    if (d.ok() || d.error().code != code || d.error().detail.rfind(path, 0) != 0)
      throw std::logic_error("invalid record vector does not fail as described: " + name);
    cases.push_back({{"name", name},
                     {"record_hex", hex(b)},
                     {"error", std::string(errc_name(code))},
                     {"path", path}});
  };
  auto add = [&](const std::string& name, const std::function<void(ChildRecord&)>& mutate,
                 Errc code, const std::string& path) {
    ChildRecord r = sample_child("child-1");
    mutate(r);
    add_bytes(name, encode_child_record(r), code, path);
  };
  add("date of birth 2015-02-29 (not a leap year)",
      [](ChildRecord& r) { r.identity.date_of_birth = Date{2015, 2, 29}; }, Errc::invalid_field,
      "record.identity.date_of_birth");
  add("date of birth 1899-12-31 (before 1900)",
      [](ChildRecord& r) { r.identity.date_of_birth = Date{1899, 12, 31}; }, Errc::invalid_field,
      "record.identity.date_of_birth");
  add("family name not UTF-8", [](ChildRecord& r) { r.identity.name.family = "Ha\xc3\x28"; },
      Errc::invalid_field, "record.identity.name.family");
  add("given name with an overlong '/'", [](ChildRecord& r) { r.identity.name.given = "A\xc0\xaf"; },
      Errc::invalid_field, "record.identity.name.given");
  add("given name with a surrogate", [](ChildRecord& r) { r.identity.name.given = "A\xed\xa0\x80"; },
      Errc::invalid_field, "record.identity.name.given");
  add("given name with NUL",
      [](ChildRecord& r) { r.identity.name.given = std::string("A\0b", 3); },
      Errc::invalid_field, "record.identity.name.given");
  add("empty family name", [](ChildRecord& r) { r.identity.name.family = ""; },
      Errc::invalid_field, "record.identity.name.family");
  add("family name of 101 bytes",
      [](ChildRecord& r) { r.identity.name.family = std::string(101, 'F'); }, Errc::too_large,
      "record.identity.name.family");
  add("gender 3", [](ChildRecord& r) { r.identity.gender = static_cast<Gender>(3); },
      Errc::invalid_field, "record.identity.gender");
  add("record id with a space", [](ChildRecord& r) { r.record_id = "child 1"; },
      Errc::invalid_field, "record.record_id");
  add("record id of 65 bytes", [](ChildRecord& r) { r.record_id = std::string(65, 'r'); },
      Errc::too_large, "record.record_id");
  add("seven address lines", [](ChildRecord& r) { r.details.address->lines.assign(7, "x"); },
      Errc::too_large, "record.details.address.lines");
  add("address without lines", [](ChildRecord& r) { r.details.address->lines.clear(); },
      Errc::invalid_field, "record.details.address.lines");
  add("empty UPN (absent is nil)", [](ChildRecord& r) { r.details.upn = ""; },
      Errc::invalid_field, "record.details.upn");
  add("contact without relationship",
      [](ChildRecord& r) { r.details.contacts[0].relationship = ""; }, Errc::invalid_field,
      "record.details.contacts[0].relationship");
  add("address_as_child with an address",
      [](ChildRecord& r) { r.details.contacts[0].address = Address{{"1 Road"}, ""}; },
      Errc::invalid_field, "record.details.contacts[0].address");
  add("involvement kind 10",
      [](ChildRecord& r) { r.details.involvements[0].kind = static_cast<InvolvementKind>(10); },
      Errc::invalid_field, "record.details.involvements[0].kind");
  add("involvement without organisation",
      [](ChildRecord& r) { r.details.involvements[0].organisation = ""; }, Errc::invalid_field,
      "record.details.involvements[0].organisation");
  add("involvement ends before it starts",
      [](ChildRecord& r) { r.details.involvements[0].end = Date{2019, 9, 3}; },
      Errc::invalid_field, "record.details.involvements[0].end");
  add("sensitive involvement without consent",
      [](ChildRecord& r) { r.details.involvements[0].sensitive = true; }, Errc::invalid_field,
      "record.details.involvements[0].consent");
  add("shield reason 5", [](ChildRecord& r) { r.details.shield = Shield{5, "SO-1", {}}; },
      Errc::invalid_field, "record.details.shield.reason");
  add("shield without set_by", [](ChildRecord& r) { r.details.shield = Shield{1, "", {}}; },
      Errc::invalid_field, "record.details.shield.set_by");

  const Bytes minimal = encode_child_record(minimal_record());
  Bytes v2 = minimal;
  v2[1] = 0x02;
  add_bytes("version 2", v2, Errc::unknown_version, "record.version");
  add_bytes("truncated", Bytes(minimal.begin(), minimal.end() - 1), Errc::truncated, "record");
  Bytes trailing = minimal;
  trailing.push_back(0xc0);
  add_bytes("trailing nil", trailing, Errc::trailing_bytes, "record");
  add_bytes("a map", Bytes{0x81, 0xa1, 0x61, 0x01}, Errc::malformed, "record");
  add_bytes("three fields", *from_hex("9301a26331c0"), Errc::malformed, "record");
  add_bytes("non-canonical: gender 0 as uint8",
            *from_hex("9401a263319593a0a0a34c656590cc00aa323032302d30312d3032c097c0c0c0c09090c0"),
            Errc::non_canonical, "record");
  add_bytes("non-canonical: record id as str8",
            *from_hex("9401d9026331" "9593a0a0a34c65659000aa323032302d30312d3032c097c0c0c0c09090c0"),
            Errc::non_canonical, "record");
  add_bytes("date as a 9-byte string 2020-1-02",
            *from_hex("9401a263319593a0a0a34c65659000a9323032302d312d3032c097c0c0c0c09090c0"),
            Errc::invalid_field, "record.identity.date_of_birth");
  add_bytes("negative gender -1",
            *from_hex("9401a263319593a0a0a34c656590ffaa323032302d30312d3032c097c0c0c0c09090c0"),
            Errc::malformed, "record.identity.gender");
  return {{"description",
           "ChildRecord encodings every implementation MUST refuse with exactly `error`; `path` "
           "names the offending field as this implementation reports it (informative)."},
          {"cases", cases}};
}

// ---- Match tokens (§14) ------------------------------------------------------------------------

json valid_matches() {
  json cases = json::array();
  auto add = [&](const std::string& name, IdentifierKind kind, const std::string& id) {
    if (check_identifier(kind, id)) throw std::logic_error("valid match vector fails: " + name);
    const Bytes input = match_input(kind, id);
    cases.push_back({{"name", name},
                     {"kind", static_cast<int>(kind)},
                     {"kind_name", std::string(identifier_kind_name(kind))},
                     {"identifier", id},
                     {"input_hex", hex(input)},
                     {"token_hex", hex(test_tokenizer().token(input))}});
  };
  add("UPN, permanent", IdentifierKind::upn, "Y820400105001");
  add("UPN, temporary (last character a letter)", IdentifierKind::upn, "J82040010500A");
  add("UPN of the sample child", IdentifierKind::upn, "A123456789012");
  add("ULN", IdentifierKind::uln, "1234567899");
  add("NHS number", IdentifierKind::nhs_number, "9876543210");
  add("NHS number of the sample child", IdentifierKind::nhs_number, "9434765919");
  add("NHS number with check digit 0 (11 - 0 = 11)", IdentifierKind::nhs_number, "4505577104");
  return {{"description",
           "Identifiers that pass their check and the token each MUST get: token = BLAKE2b "
           "with a 16-byte output keyed by matching_key over input = \"AEGIS-MATCH-V1\" || "
           "0x00 || kind || identifier."},
          {"matching_key", matching_key_json()},
          {"cases", cases}};
}

json invalid_matches() {
  json cases = json::array();
  auto add = [&](const std::string& name, IdentifierKind kind, const std::string& id) {
    const auto problem = check_identifier(kind, id);
    if (!problem) throw std::logic_error("invalid match vector passes its check: " + name);
    cases.push_back({{"name", name},
                     {"kind", static_cast<int>(kind)},
                     {"kind_name", std::string(identifier_kind_name(kind))},
                     {"identifier", id},
                     {"reason", *problem}});
  };
  add("UPN, wrong check letter", IdentifierKind::upn, "Z820400105001");
  add("UPN, check letter I (never used)", IdentifierKind::upn, "I820400105001");
  add("UPN, lower case (not normalised)", IdentifierKind::upn, "y820400105001");
  add("UPN of 12 characters", IdentifierKind::upn, "Y82040010500");
  add("UPN, letter in the middle", IdentifierKind::upn, "Y8204001A5001");
  add("ULN, wrong check digit", IdentifierKind::uln, "1234567890");
  add("ULN, remainder 0 (no check digit exists)", IdentifierKind::uln, "1000000060");
  add("ULN with a letter", IdentifierKind::uln, "123456789X");
  add("NHS number, wrong check digit", IdentifierKind::nhs_number, "9876543211");
  add("NHS number, check value 10 (never issued)", IdentifierKind::nhs_number, "1000000010");
  add("NHS number with spaces (not normalised)", IdentifierKind::nhs_number, "987 654 3210");
  add("NHS number of 9 digits", IdentifierKind::nhs_number, "987654321");
  return {{"description",
           "Identifiers that fail their check (UPN check letter, ULN check digit, NHS number "
           "modulus 11, or not in the normalised form): a sender MUST NOT make a token for "
           "them. `reason` is this implementation's (informative)."},
          {"cases", cases}};
}

void write_json(const std::filesystem::path& path, const json& j) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << j.dump(2) << "\n";
  if (!out) throw std::runtime_error("cannot write " + path.string());
  std::cout << "wrote " << path.string() << "\n";
}

}  // namespace

int main(int argc, char** argv) {
  try {
    std::filesystem::path dir = argc > 1 ? argv[1] : AEGIS_VECTORS_DIR;
    std::filesystem::create_directories(dir);
    write_json(dir / "valid_envelope.json", valid_envelopes());
    write_json(dir / "invalid_envelope.json", invalid_envelopes());
    write_json(dir / "valid_record.json", valid_records());
    write_json(dir / "invalid_record.json", invalid_records());
    write_json(dir / "valid_match.json", valid_matches());
    write_json(dir / "invalid_match.json", invalid_matches());
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "gen_vectors_envelope: " << e.what() << "\n";
    return 1;
  }
}
