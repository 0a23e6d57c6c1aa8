// Checks this implementation against the committed envelope, record and match token vectors
// (protocol/vectors/{valid,invalid}_{envelope,record,match}.json, docs/PROTOCOL.md §11). The files
// are produced by tests/tools/gen_vectors_envelope.cpp; this test reads them only, so an
// accidental change of encoding fails here instead of silently rewriting the vectors.
#include <catch2/catch.hpp>

#include <set>
#include <string>

#include "aegis/protocol/certificate.hpp"
#include "aegis/protocol/envelope.hpp"
#include "aegis/protocol/identifiers.hpp"
#include "aegis/protocol/match.hpp"
#include "aegis/protocol/verify.hpp"
#include "test_support.hpp"
#include "vector_json.hpp"

using namespace aegis::protocol;
using aegis::test::load_json;
using aegis::test::SeedKeyAgreement;
using aegis::test::SeedTokenizer;
using nlohmann::json;
using namespace aegis::test::vectors;

namespace {

const std::string kDir = AEGIS_VECTORS_DIR;


std::string op_name(Operation op) { return op == Operation::upsert ? "upsert" : "delete"; }

// The matching key a vector file names.
SeedTokenizer tokenizer_of(const json& file) {
  const json& k = file.at("matching_key");
  return SeedTokenizer(array_of<32>(k.at("key_hex")), k.at("key_id").get<std::uint64_t>());
}

// A version-2 payload's match, as the file lists it and as the record's identifiers make it.
void check_match(const json& file, const json& expect, const ChildRecord& record,
                 const RecordPayload& p) {
  CHECK(p.version() == expect.at("payload_version").get<std::uint64_t>());
  if (p.version() == kPayloadVersionWithoutMatch) {
    CHECK_FALSE(expect.contains("match"));
    return;
  }
  REQUIRE(p.match.has_value());
  const json& m = expect.at("match");
  CHECK(p.match->key_id == m.at("key_id").get<std::uint64_t>());
  REQUIRE(p.match->entries.size() == m.at("entries").size());
  for (std::size_t i = 0; i < p.match->entries.size(); ++i) {
    const json& e = m.at("entries")[i];
    CHECK(static_cast<int>(p.match->entries[i].kind) == e.at("kind").get<int>());
    CHECK(to_hex(p.match->entries[i].token) == e.at("token_hex").get<std::string>());
  }
  CHECK(*p.match == make_match_tokens(record.details, tokenizer_of(file)));
}

// A shielded payload is reproduced exactly from the record, recipients and fixed randomness,
// and opens for exactly the listed key holders.
void check_seal(const json& file, const json& seal, const ChildRecord& record,
                const Envelope& e) {
  std::vector<BoxPublicKey> recipients;
  for (const json& r : seal.at("recipients_hex")) recipients.push_back(array_of<32>(r));
  SealRandomness rnd;
  rnd.ephemeral_secret = array_of<32>(seal.at("ephemeral_secret_hex"));
  rnd.content_key = array_of<32>(seal.at("content_key_hex"));
  rnd.nonce = array_of<kSealNonceSize>(seal.at("nonce_hex"));
  auto payload = make_payload(record, e.authority_id, recipients, rnd, tokenizer_of(file));
  REQUIRE(payload.ok());
  if (e.payload->version() == kPayloadVersionWithoutMatch) payload->match.reset();
  CHECK(*payload == *e.payload);
  const auto& blob = std::get<SealedBlob>(e.payload->details);
  for (const json& who : seal.at("openable_by")) {
    SeedKeyAgreement me(array_of<32>(file.at("keys").at(who.get<std::string>()).at("box_secret_hex")));
    auto opened = open_details(blob, e.authority_id, e.record_id, me);
    REQUIRE(opened.ok());
    CHECK(*opened == record.details);
  }
  for (const json& who : seal.at("not_openable_by")) {
    SeedKeyAgreement me(array_of<32>(file.at("keys").at(who.get<std::string>()).at("box_secret_hex")));
    CHECK_FALSE(open_details(blob, e.authority_id, e.record_id, me).ok());
  }
}

void check_valid_envelope(const json& file, const Trust& trust, const json& c) {
  const json& expect = c.at("expect");
  Bytes wire = bytes_of(c.at("wire_hex"));

  // Decode, re-encode byte-equal.
  auto wrapper = decode_signed(wire, "envelope");
  REQUIRE(wrapper.ok());
  CHECK(encode_signed(*wrapper) == wire);
  auto e = decode_envelope_body(wrapper->body);
  REQUIRE(e.ok());
  CHECK(encode_envelope_body(*e) == wrapper->body);

  // Signature with the signer certificate's key, and the hash.
  const Certificate* signer = trust.by_serial(e->signer_serial);
  REQUIRE(signer != nullptr);
  CHECK(verify_signature(signer->sign_key, kDomainEnvelope, wrapper->body, wrapper->signature));
  CHECK(to_hex(envelope_hash(wire)) == expect.at("hash_hex").get<std::string>());

  // The fields.
  CHECK(e->authority_id == expect.at("authority_id").get<std::string>());
  CHECK(e->seq == expect.at("seq").get<std::uint64_t>());
  CHECK(to_hex(e->prev_hash) == expect.at("prev_hash_hex").get<std::string>());
  CHECK(e->timestamp_ms == expect.at("timestamp_ms").get<std::uint64_t>());
  CHECK(e->signer_serial == expect.at("signer_serial").get<std::uint64_t>());
  CHECK(op_name(e->op) == expect.at("op").get<std::string>());
  CHECK(e->record_id == expect.at("record_id").get<std::string>());

  // The full verification against the chain.
  auto v = verify_envelope(wire, trust, chain_of(c.at("chain")), c.at("now_ms").get<std::uint64_t>());
  REQUIRE(v.ok());
  CHECK(to_hex(v->hash) == expect.at("hash_hex").get<std::string>());

  // The payload against the record it was made from.
  if (!expect.contains("record_hex")) {
    CHECK_FALSE(e->payload.has_value());
    return;
  }
  auto record = decode_child_record(bytes_of(expect.at("record_hex")));
  REQUIRE(record.ok());
  REQUIRE(e->payload.has_value());
  CHECK(record->record_id == e->record_id);
  CHECK(e->payload->identity == record->identity);
  CHECK(e->payload->shielded() == expect.at("shielded").get<bool>());
  check_match(file, expect, *record, *e->payload);
  if (e->payload->shielded())
    check_seal(file, expect.at("seal"), *record, *e);
  else if (e->payload->version() == kPayloadVersionWithoutMatch)
    CHECK(std::get<ChildDetails>(e->payload->details) == record->details);
  else  // version 2: the record's details minus its identifiers, which only the tokens carry
    CHECK(std::get<ChildDetails>(e->payload->details) == without_identifiers(record->details));
}

}  // namespace

TEST_CASE("vectors: every valid envelope decodes, re-encodes, verifies and chains") {
  const json file = load_json(kDir + "/valid_envelope.json");
  const Trust trust = trust_of(file);
  REQUIRE(file.at("cases").size() >= 5);
  Hash previous{};
  for (const json& c : file.at("cases")) {
    INFO(c.at("name").get<std::string>());
    check_valid_envelope(file, trust, c);
    // Consecutive cases of one chain: each one's chain state is the previous one's hash.
    const ChainState chain = chain_of(c.at("chain"));
    if (chain.last_seq > 0) CHECK(chain.last_hash == previous);
    previous = array_of<kHashSize>(c.at("expect").at("hash_hex"));
  }
}

TEST_CASE("vectors: the valid envelope file has a three-envelope chain and a shielded upsert") {
  const json file = load_json(kDir + "/valid_envelope.json");
  std::vector<std::string> ops;
  bool shielded = false;
  for (const json& c : file.at("cases")) {
    ops.push_back(c.at("expect").at("op").get<std::string>());
    shielded = shielded || c.at("expect").value("shielded", false);
  }
  CHECK(std::vector<std::string>(ops.begin(), ops.begin() + 3) ==
        std::vector<std::string>{"upsert", "upsert", "delete"});
  CHECK(shielded);
}

TEST_CASE("vectors: every invalid envelope fails with exactly the named error") {
  const json file = load_json(kDir + "/invalid_envelope.json");
  const Trust trust = trust_of(file);
  std::set<std::string> seen;
  for (const json& c : file.at("cases")) {
    INFO(c.at("name").get<std::string>());
    auto v = verify_envelope(bytes_of(c.at("wire_hex")), trust, chain_of(c.at("chain")),
                             c.at("now_ms").get<std::uint64_t>());
    REQUIRE_FALSE(v.ok());
    INFO(v.error().message());
    CHECK(errc_name(v.error().code) == c.at("error").get<std::string>());
    if (c.contains("path"))
      CHECK(v.error().detail.rfind(c.at("path").get<std::string>() + ": ", 0) == 0);
    seen.insert(c.at("error").get<std::string>());
  }
  // Every code verify_envelope can return is covered by at least one vector.
  for (const char* code : {"truncated", "trailing_bytes", "malformed", "non_canonical",
                           "unknown_version", "too_large", "invalid_field", "unknown_signer",
                           "wrong_role", "revoked_signer", "expired_signer", "bad_signature",
                           "replayed", "out_of_order", "broken_chain"}) {
    INFO(code);
    CHECK(seen.count(code) == 1);
  }
}

TEST_CASE("vectors: every valid record decodes, re-encodes byte-equal and passes check_record") {
  const json file = load_json(kDir + "/valid_record.json");
  REQUIRE_FALSE(file.at("cases").empty());
  for (const json& c : file.at("cases")) {
    INFO(c.at("name").get<std::string>());
    Bytes bytes = bytes_of(c.at("record_hex"));
    auto r = decode_child_record(bytes);
    REQUIRE(r.ok());
    CHECK(encode_child_record(*r) == bytes);
    CHECK(check_record(*r).ok());
    CHECK(r->record_id == c.at("record_id").get<std::string>());
    CHECK(r->identity.name.family == c.at("family_name").get<std::string>());
    CHECK(r->identity.date_of_birth.to_string() == c.at("date_of_birth").get<std::string>());
    CHECK(r->shielded() == c.at("shielded").get<bool>());
  }
}

TEST_CASE("vectors: every invalid record fails with exactly the named error and field") {
  const json file = load_json(kDir + "/invalid_record.json");
  REQUIRE_FALSE(file.at("cases").empty());
  for (const json& c : file.at("cases")) {
    INFO(c.at("name").get<std::string>());
    auto r = decode_child_record(bytes_of(c.at("record_hex")));
    REQUIRE_FALSE(r.ok());
    INFO(r.error().message());
    CHECK(errc_name(r.error().code) == c.at("error").get<std::string>());
    CHECK(r.error().detail.rfind(c.at("path").get<std::string>() + ": ", 0) == 0);
  }
}

TEST_CASE("vectors: both payload versions are among the valid envelopes, shielded and not") {
  const json file = load_json(kDir + "/valid_envelope.json");
  std::set<std::pair<std::uint64_t, bool>> seen;
  for (const json& c : file.at("cases")) {
    const json& expect = c.at("expect");
    if (expect.contains("payload_version"))
      seen.insert({expect.at("payload_version").get<std::uint64_t>(),
                   expect.at("shielded").get<bool>()});
  }
  CHECK(seen == std::set<std::pair<std::uint64_t, bool>>{{1, false}, {1, true}, {2, false},
                                                         {2, true}});
}

TEST_CASE("vectors: every invalid payload names the field at fault") {
  const json file = load_json(kDir + "/invalid_envelope.json");
  std::size_t with_path = 0;
  for (const json& c : file.at("cases")) {
    if (!c.contains("path")) continue;
    ++with_path;
    INFO(c.at("name").get<std::string>());
    auto wrapper = decode_signed(bytes_of(c.at("wire_hex")), "envelope");
    REQUIRE(wrapper.ok());
    auto body = decode_envelope_body(wrapper->body);
    REQUIRE_FALSE(body.ok());
    INFO(body.error().message());
    CHECK(errc_name(body.error().code) == c.at("error").get<std::string>());
    CHECK(body.error().detail.rfind(c.at("path").get<std::string>() + ": ", 0) == 0);
  }
  CHECK(with_path >= 10);
}

TEST_CASE("vectors: every valid identifier gets exactly the listed match token") {
  const json file = load_json(kDir + "/valid_match.json");
  const SeedTokenizer tokenizer = tokenizer_of(file);
  REQUIRE(file.at("cases").size() >= 5);
  std::set<int> kinds;
  for (const json& c : file.at("cases")) {
    INFO(c.at("name").get<std::string>());
    const auto kind = static_cast<IdentifierKind>(c.at("kind").get<int>());
    const std::string id = c.at("identifier").get<std::string>();
    kinds.insert(c.at("kind").get<int>());
    CHECK(identifier_kind_name(kind) == c.at("kind_name").get<std::string>());
    CHECK_FALSE(check_identifier(kind, id).has_value());
    const Bytes input = match_input(kind, id);
    CHECK(to_hex(input) == c.at("input_hex").get<std::string>());
    CHECK(to_hex(tokenizer.token(input)) == c.at("token_hex").get<std::string>());
    // Through the payload builder: the token of that kind and no other.
    ChildDetails d;
    if (kind == IdentifierKind::upn) d.upn = id;
    if (kind == IdentifierKind::uln) d.uln = id;
    if (kind == IdentifierKind::nhs_number) d.nhs_number = id;
    const MatchTokens m = make_match_tokens(d, tokenizer);
    REQUIRE(m.entries.size() == 1);
    CHECK(m.entries[0].kind == kind);
    CHECK(to_hex(m.entries[0].token) == c.at("token_hex").get<std::string>());
  }
  CHECK(kinds == std::set<int>{1, 2, 3});
}

TEST_CASE("vectors: no invalid identifier gets a match token") {
  const json file = load_json(kDir + "/invalid_match.json");
  const SeedTokenizer tokenizer = tokenizer_of(load_json(kDir + "/valid_match.json"));
  REQUIRE(file.at("cases").size() >= 9);
  for (const json& c : file.at("cases")) {
    INFO(c.at("name").get<std::string>());
    const auto kind = static_cast<IdentifierKind>(c.at("kind").get<int>());
    const std::string id = c.at("identifier").get<std::string>();
    const auto problem = check_identifier(kind, id);
    REQUIRE(problem.has_value());
    CHECK(*problem == c.at("reason").get<std::string>());
    ChildDetails d;
    if (kind == IdentifierKind::upn) d.upn = id;
    if (kind == IdentifierKind::uln) d.uln = id;
    if (kind == IdentifierKind::nhs_number) d.nhs_number = id;
    const MatchTokens m = make_match_tokens(d, tokenizer);
    CHECK(m.entries.empty());
    CHECK(m.key_id == tokenizer.key_id());
  }
}
