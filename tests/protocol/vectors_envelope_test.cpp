// Checks this implementation against the committed envelope and record vectors
// (protocol/vectors/{valid,invalid}_{envelope,record}.json, docs/PROTOCOL.md §11). The files
// are produced by tests/tools/gen_vectors_envelope.cpp; this test reads them only, so an
// accidental change of encoding fails here instead of silently rewriting the vectors.
#include <catch2/catch.hpp>

#include <set>
#include <string>

#include "aegis/protocol/certificate.hpp"
#include "aegis/protocol/envelope.hpp"
#include "aegis/protocol/verify.hpp"
#include "test_support.hpp"
#include "vector_json.hpp"

using namespace aegis::protocol;
using aegis::test::load_json;
using aegis::test::SeedKeyAgreement;
using nlohmann::json;
using namespace aegis::test::vectors;

namespace {

const std::string kDir = AEGIS_VECTORS_DIR;


std::string op_name(Operation op) { return op == Operation::upsert ? "upsert" : "delete"; }

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
  auto payload = make_payload(record, e.authority_id, recipients, rnd);
  REQUIRE(payload.ok());
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
  if (e->payload->shielded())
    check_seal(file, expect.at("seal"), *record, *e);
  else
    CHECK(std::get<ChildDetails>(e->payload->details) == record->details);
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
