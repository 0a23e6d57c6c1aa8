// Change envelopes (docs/PROTOCOL.md §6.1-6.3): body layout and round trips, the record payload
// in clear or sealed, signing and hashing, and every decode-time refusal of a body.
#include <catch2/catch.hpp>

#include <functional>
#include <string>
#include <vector>

#include "aegis/protocol/codec.hpp"
#include "aegis/protocol/envelope.hpp"
#include "aegis/protocol/identifiers.hpp"
#include "aegis/protocol/match.hpp"
#include "aegis/protocol/verify.hpp"
#include "decode_checks.hpp"
#include "envelope_fixtures.hpp"
#include "test_support.hpp"

using namespace aegis::protocol;
using namespace aegis::test::envelope_fixtures;
using aegis::test::body_error;
using aegis::test::starts_with;
using aegis::test::contains_bytes;
using aegis::test::sample_child;
using aegis::test::sample_shielded_child;
using aegis::test::SeedKeyAgreement;
using aegis::test::SeedSigner;

namespace {

// A child whose three identifiers all pass their check.
ChildRecord identified_child(const std::string& record_id) {
  ChildRecord r = sample_child(record_id);
  r.details.upn = "Y820400105001";
  r.details.uln = "1234567899";
  r.details.nhs_number = "9876543210";
  return r;
}

void write_clear_payload(Writer& w, std::uint64_t version, const ChildRecord& r) {
  w.array(4);
  w.uint(version);
  write_child_identity(w, r.identity);
  w.boolean(false);
  write_child_details(w, r.details);
}

// Every non-empty string of the details that does not also occur in the (clear) identity.
std::vector<std::string> secret_strings(const ChildRecord& r) {
  std::vector<std::string> out;
  auto add = [&](const std::string& s) {
    if (!s.empty()) out.push_back(s);
  };
  const ChildDetails& d = r.details;
  if (d.address) {
    for (const auto& l : d.address->lines) add(l);
    add(d.address->postcode);
  }
  add(d.upn.value_or(""));
  add(d.uln.value_or(""));
  add(d.nhs_number.value_or(""));
  for (const auto& c : d.contacts) {
    add(c.name.given);
    add(c.relationship);
    for (const auto& p : c.phones) add(p);
  }
  for (const auto& i : d.involvements) {
    add(i.organisation);
    add(i.organisation_id);
    add(i.role);
    add(i.practitioner);
    add(i.phone);
  }
  if (d.shield) add(d.shield->set_by);
  Bytes identity = encode_child_identity(r.identity);
  std::erase_if(out, [&](const std::string& s) { return contains_bytes(identity, s); });
  return out;
}

}  // namespace

TEST_CASE("envelope: an upsert body round-trips byte for byte") {
  Envelope e = make_upsert(1, Hash{}, sample_child());
  Bytes body = encode_envelope_body(e);
  auto back = decode_envelope_body(body);
  REQUIRE(back.ok());
  CHECK(*back == e);
  CHECK(encode_envelope_body(*back) == body);
  CHECK_FALSE(back->payload->shielded());
}

TEST_CASE("envelope: a delete body carries a nil payload and round-trips") {
  Hash prev{};
  prev.fill(0x5a);
  Envelope e = make_delete(7, prev, "child-9");
  Bytes body = encode_envelope_body(e);
  CHECK(body.back() == 0xc0);
  auto back = decode_envelope_body(body);
  REQUIRE(back.ok());
  CHECK(*back == e);
  CHECK_FALSE(back->payload.has_value());
}

TEST_CASE("envelope: the body layout is the documented positional array") {
  Envelope e = make_delete(1, Hash{}, "c1");
  e.timestamp_ms = 1'750'000'000'000;
  // docs/PROTOCOL.md §6.6 worked example.
  CHECK(to_hex(encode_envelope_body(e)) ==
        "99"                      // 9 fields
        "01"                      // version 1
        "a46b656e74"              // authority_id "kent"
        "01"                      // seq 1
        "c420" + std::string(64, '0') +  // prev_hash: 32 zero bytes
        "cf000001977420dc00"      // timestamp_ms 1750000000000
        "01"                      // signer_serial 1
        "02"                      // op delete
        "a26331"                  // record_id "c1"
        "c0");                    // payload nil
}

TEST_CASE("envelope: the signed worked example of the spec matches byte for byte") {
  Envelope e = make_delete(1, Hash{}, "c1");
  e.timestamp_ms = 1'750'000'000'000;
  const SeedSigner kent(aegis::test::seed(kKentSeed));
  CHECK(to_hex(kent.sign_public_key()) ==
        "d04ab232742bb4ab3a1368bd4615e4e6d0224ab71a016baf8520a332c9778737");
  CHECK(to_hex(signing_input(kDomainEnvelope, encode_envelope_body(e))).substr(0, 40) ==
        "41454749532d454e56454c4f50452d5631009901");  // "AEGIS-ENVELOPE-V1" 00 99 01
  // docs/PROTOCOL.md §6.6.
  Bytes wire = sign_envelope(e, kent);
  CHECK(to_hex(wire) ==
        "92c439"
        "9901a46b656e7401c420" + std::string(64, '0') +
        "cf000001977420dc000102a26331c0"
        "c440f0b1f6d3543663ff92619c69dd047a1d42beee35ed4f9b185ac2d7da589de788"
        "98348377b10e44c3c8cdb81dcd480c978079911756407e16bed17cc19fe0a90a");
  CHECK(to_hex(envelope_hash(wire)) ==
        "47357becb7c4b2b1a93343d4a0a459defb0e950c698420e7c369a050515b0d79");
}

TEST_CASE("envelope: sign_envelope signs the body under the envelope domain only") {
  Envelope e = make_upsert(1, Hash{}, sample_child());
  Bytes wire = sign_envelope(e, SeedSigner(aegis::test::seed(kKentSeed)));
  auto s = decode_signed(wire, "envelope");
  REQUIRE(s.ok());
  CHECK(s->body == encode_envelope_body(e));
  const SignPublicKey kent = SeedSigner(aegis::test::seed(kKentSeed)).sign_public_key();
  const SignPublicKey leeds = SeedSigner(aegis::test::seed(kLeedsSeed)).sign_public_key();
  CHECK(verify_signature(kent, kDomainEnvelope, s->body, s->signature));
  CHECK_FALSE(verify_signature(leeds, kDomainEnvelope, s->body, s->signature));
  CHECK_FALSE(verify_signature(kent, kDomainCertificate, s->body, s->signature));
  CHECK_FALSE(verify_signature(kent, kDomainTrustBundle, s->body, s->signature));
  // Ed25519 is deterministic: the same envelope signs to the same bytes.
  CHECK(sign_envelope(e, SeedSigner(aegis::test::seed(kKentSeed))) == wire);
}

TEST_CASE("envelope: the hash is BLAKE2b-256 of the wire bytes and differs per envelope") {
  auto chain = sample_chain();
  for (const Link& l : chain) CHECK(envelope_hash(l.wire) == blake2b_256(l.wire));
  CHECK(chain[0].hash != chain[1].hash);
  CHECK(chain[1].hash != chain[2].hash);
  CHECK(chain[1].envelope.prev_hash == chain[0].hash);
  CHECK(chain[2].envelope.prev_hash == chain[1].hash);
  CHECK(chain[0].envelope.prev_hash == Hash{});
  // Known answer for BLAKE2b-256 of the empty string.
  CHECK(to_hex(envelope_hash(Bytes{})) ==
        "0e5751c026e543b2e8ab2eb06099daa1d1e5df47778f7787faab45cdf12fe3a8");
}

TEST_CASE("envelope: make_payload keeps a non-shielded record's details in clear, bar identifiers") {
  ChildRecord r = sample_child();
  auto p = make_payload(r, "kent", {}, aegis::test::fixtures::fixed_randomness(1),
                        aegis::test::test_tokenizer());
  REQUIRE(p.ok());
  CHECK_FALSE(p->shielded());
  CHECK(p->identity == r.identity);
  const ChildDetails& d = std::get<ChildDetails>(p->details);
  CHECK(d == without_identifiers(r.details));
  CHECK(d.address == r.details.address);
  CHECK(d.contacts == r.details.contacts);
  CHECK(d.involvements == r.details.involvements);
  CHECK_FALSE(d.upn.has_value());
  CHECK_FALSE(d.uln.has_value());
  CHECK_FALSE(d.nhs_number.has_value());
}

TEST_CASE("envelope: without_identifiers clears upn, uln and nhs_number and nothing else") {
  ChildDetails d = identified_child("child-1").details;
  ChildDetails stripped = without_identifiers(d);
  CHECK_FALSE(stripped.upn.has_value());
  CHECK_FALSE(stripped.uln.has_value());
  CHECK_FALSE(stripped.nhs_number.has_value());
  CHECK(stripped != d);
  d.upn.reset();
  d.uln.reset();
  d.nhs_number.reset();
  CHECK(stripped == d);
  CHECK(without_identifiers(stripped) == stripped);
}

TEST_CASE("envelope: a clear version-2 envelope carries its identifiers only as match tokens") {
  const ChildRecord r = identified_child("child-2");
  Link l = sign_link(make_upsert(1, Hash{}, r));
  for (const std::string& id : {*r.details.upn, *r.details.uln, *r.details.nhs_number}) {
    INFO(id);
    CHECK_FALSE(contains_bytes(l.wire, id));
  }
  // The rest of the details is still in clear, and the three tokens are there.
  CHECK(contains_bytes(l.wire, r.details.address->lines[0]));
  const RecordPayload& p = *l.envelope.payload;
  REQUIRE(p.match.has_value());
  REQUIRE(p.match->entries.size() == 3);
  for (IdentifierKind kind : {IdentifierKind::upn, IdentifierKind::uln, IdentifierKind::nhs_number}) {
    INFO(std::string(identifier_kind_name(kind)));
    REQUIRE(p.match->find(kind) != nullptr);
    CHECK(contains_bytes(l.wire, std::string(p.match->find(kind)->begin(),
                                             p.match->find(kind)->end())));
  }
  CHECK(*p.match == make_match_tokens(r.details, aegis::test::test_tokenizer()));
  // Decoded back from the wire, the same: no identifier, three tokens.
  auto v = verify_envelope(l.wire, make_trust(), ChainState{}, kNowMs);
  REQUIRE(v.ok());
  CHECK(v->envelope.payload == p);
}

TEST_CASE("envelope: an invalid identifier reaches the index neither in clear nor as a token") {
  ChildRecord r = identified_child("child-2");
  r.details.upn = "Z820400105001";  // wrong check letter
  Link l = sign_link(make_upsert(1, Hash{}, r));
  CHECK_FALSE(contains_bytes(l.wire, "Z820400105001"));
  CHECK_FALSE(contains_bytes(l.wire, "820400105001"));
  const MatchTokens& m = *l.envelope.payload->match;
  CHECK(m.find(IdentifierKind::upn) == nullptr);
  CHECK(m.entries.size() == 2);
}

TEST_CASE("envelope: a shielded version-2 payload still seals the identifiers with the details") {
  ChildRecord r = identified_child("child-t");
  r.details.shield = sample_shielded_child().details.shield;
  Link l = sign_link(make_upsert(1, Hash{}, r));
  for (const std::string& id : {*r.details.upn, *r.details.uln, *r.details.nhs_number})
    CHECK_FALSE(contains_bytes(l.wire, id));
  const RecordPayload& p = *l.envelope.payload;
  REQUIRE(p.shielded());
  CHECK(p.match->entries.size() == 3);
  auto opened = open_details(std::get<SealedBlob>(p.details), "kent", r.record_id,
                             SeedKeyAgreement(aegis::test::seed(kOfficerSeed)));
  REQUIRE(opened.ok());
  CHECK(*opened == r.details);  // the officer sees the whole details, identifiers included
  CHECK(opened->upn == r.details.upn);
}

TEST_CASE("envelope: a version-2 payload with an identifier in clear details is refused") {
  const ChildRecord r = identified_child("child-2");
  const Envelope e = make_upsert(1, Hash{}, r);
  struct Case {
    const char* name;
    std::function<void(ChildDetails&)> put;
    std::string path;
  };
  const std::vector<Case> cases = {
      {"UPN", [&](ChildDetails& d) { d.upn = r.details.upn; }, "envelope.payload.details.upn"},
      {"ULN", [&](ChildDetails& d) { d.uln = r.details.uln; }, "envelope.payload.details.uln"},
      {"NHS number", [&](ChildDetails& d) { d.nhs_number = r.details.nhs_number; },
       "envelope.payload.details.nhs_number"},
      {"an invalid UPN", [](ChildDetails& d) { d.upn = "Z820400105001"; },
       "envelope.payload.details.upn"},
      {"all three (the first is named)", [&](ChildDetails& d) { d = r.details; },
       "envelope.payload.details.upn"},
  };
  for (const Case& c : cases) {
    INFO(c.name);
    Envelope bad = e;
    c.put(std::get<ChildDetails>(bad.payload->details));
    Error err = body_error(encode_envelope_body(bad));
    INFO(err.detail);
    CHECK(err.code == Errc::invalid_field);
    CHECK(err.detail == c.path + ": identifiers travel only as match tokens (§14)");
    // The same refusal through full verification of a correctly signed envelope.
    auto v = verify_envelope(sign_envelope(bad, SeedSigner(aegis::test::seed(kKentSeed))),
                             make_trust(), ChainState{}, kNowMs);
    REQUIRE_FALSE(v.ok());
    CHECK(v.error().code == Errc::invalid_field);
  }
}

TEST_CASE("envelope: a version-1 payload keeps its clear identifiers when decoded") {
  const ChildRecord r = identified_child("child-2");
  Envelope e = make_upsert(1, Hash{}, r, kKentSerial, kPayloadVersionWithoutMatch);
  REQUIRE(std::get<ChildDetails>(e.payload->details) == r.details);
  auto back = decode_envelope_body(encode_envelope_body(e));
  REQUIRE(back.ok());
  CHECK(*back == e);
  CHECK(std::get<ChildDetails>(back->payload->details).upn == r.details.upn);
  CHECK(back->payload->version() == kPayloadVersionWithoutMatch);
}

TEST_CASE("envelope: make_payload refuses an invalid record with check_record's error") {
  ChildRecord r = sample_child();
  r.details.contacts[0].relationship = "";
  auto p = make_payload(r, "kent", {}, aegis::test::fixtures::fixed_randomness(1),
                        aegis::test::test_tokenizer());
  REQUIRE_FALSE(p.ok());
  CHECK(p.error().code == check_record(r).error().code);
  CHECK(p.error().detail == check_record(r).error().detail);
}

TEST_CASE("envelope: make_payload refuses an invalid authority id") {
  auto p = make_payload(sample_child(), "Kent", {}, aegis::test::fixtures::fixed_randomness(1),
                        aegis::test::test_tokenizer());
  REQUIRE_FALSE(p.ok());
  CHECK(p.error().code == Errc::invalid_field);
}

TEST_CASE("envelope: make_payload refuses a shielded record without recipients") {
  auto p = make_payload(sample_shielded_child(), "kent", {},
                        aegis::test::fixtures::fixed_randomness(1),
                        aegis::test::test_tokenizer());
  REQUIRE_FALSE(p.ok());
  CHECK(p.error().code == Errc::invalid_field);
  CHECK(starts_with(p.error().detail, "payload.recipients: "));
}

TEST_CASE("envelope: a shielded record's details are sealed to kent and the shield officer") {
  ChildRecord r = sample_shielded_child();
  RecordPayload p = payload_for(r);
  REQUIRE(p.shielded());
  CHECK(p.identity == r.identity);
  const SealedBlob& blob = std::get<SealedBlob>(p.details);
  for (std::uint8_t who : {kKentSeed, kOfficerSeed}) {
    auto opened = open_details(blob, "kent", r.record_id, SeedKeyAgreement(aegis::test::seed(who)));
    REQUIRE(opened.ok());
    CHECK(*opened == r.details);
  }
  auto index = open_details(blob, "kent", r.record_id, SeedKeyAgreement(aegis::test::seed(kIndexSeed)));
  REQUIRE_FALSE(index.ok());
  CHECK(index.error().code == Errc::not_a_recipient);
  // Bound to the record: the same blob does not open as another record's details.
  auto moved = open_details(blob, "kent", "child-other", SeedKeyAgreement(aegis::test::seed(kKentSeed)));
  REQUIRE_FALSE(moved.ok());
  CHECK(moved.error().code == Errc::seal_corrupt);
}

TEST_CASE("envelope: a shielded envelope's bytes contain none of the sealed strings") {
  ChildRecord r = sample_shielded_child();
  Link l = sign_link(make_upsert(1, Hash{}, r));
  auto secrets = secret_strings(r);
  REQUIRE(secrets.size() >= 10);
  for (const char* canary : {"Secretcanary", "Hiddencanary", "LS1 4ZZ", "07700 900999", "SO-0042",
                             "Canary Teacher", "9434765919", "A123456789012"})
    CHECK_FALSE(contains_bytes(l.wire, canary));
  for (const std::string& s : secrets) {
    INFO(s);
    CHECK_FALSE(contains_bytes(l.wire, s));
  }
  // The clear identity is there (the index needs it), and so is the same record unshielded.
  CHECK(contains_bytes(l.wire, "Whitfield"));
  r.details.shield.reset();
  Link clear = sign_link(make_upsert(1, Hash{}, r));
  CHECK(contains_bytes(clear.wire, "Secretcanary"));
}

TEST_CASE("envelope: a shielded upsert round-trips with its sealed blob") {
  Envelope e = make_upsert(4, Hash{}, sample_shielded_child());
  Bytes body = encode_envelope_body(e);
  auto back = decode_envelope_body(body);
  REQUIRE(back.ok());
  CHECK(*back == e);
  CHECK(back->payload->shielded());
}

TEST_CASE("envelope: decoding refuses unknown versions of the body and of the payload") {
  Envelope e = make_upsert(1, Hash{}, sample_child());
  ChildRecord r = sample_child();
  Error v2 = body_error(raw_body(2, e, [&](Writer& w) { write_clear_payload(w, 1, r); }));
  CHECK(v2.code == Errc::unknown_version);
  CHECK(starts_with(v2.detail, "envelope.version: "));
  // Payload versions 1 and 2 are known (version 2 adds the match tokens); 3 is not.
  Error p2 = body_error(raw_body(1, e, [&](Writer& w) { write_clear_payload(w, 3, r); }));
  CHECK(p2.code == Errc::unknown_version);
  CHECK(starts_with(p2.detail, "envelope.payload.version: "));
}

TEST_CASE("envelope: decoding refuses out-of-domain header fields with invalid_field") {
  struct Case {
    const char* name;
    std::function<void(Envelope&)> mutate;
    std::string path;
  };
  std::vector<Case> cases = {
      {"seq 0", [](Envelope& e) { e.seq = 0; }, "envelope.seq"},
      {"signer serial 0", [](Envelope& e) { e.signer_serial = 0; }, "envelope.signer_serial"},
      {"op 0", [](Envelope& e) { e.op = static_cast<Operation>(0); }, "envelope.op"},
      {"op 3", [](Envelope& e) { e.op = static_cast<Operation>(3); }, "envelope.op"},
      {"upper-case authority", [](Envelope& e) { e.authority_id = "Kent"; },
       "envelope.authority_id"},
      {"empty authority", [](Envelope& e) { e.authority_id = ""; }, "envelope.authority_id"},
      {"record id with a slash", [](Envelope& e) { e.record_id = "a/b"; }, "envelope.record_id"},
      {"delete with a payload", [](Envelope& e) { e.op = Operation::remove; },
       "envelope.payload"},
      {"upsert without payload", [](Envelope& e) { e.payload.reset(); }, "envelope.payload"},
      {"identity without family name",
       [](Envelope& e) { e.payload->identity.name.family = ""; },
       "envelope.payload.identity.name.family"},
      {"bad phone in clear details",
       [](Envelope& e) {
         std::get<ChildDetails>(e.payload->details).contacts[0].phones[0] = "\xc3";
       },
       "envelope.payload.details.contacts[0].phones[0]"},
      {"a shield in clear details",
       [](Envelope& e) {
         std::get<ChildDetails>(e.payload->details).shield = Shield{1, "SO-1", Date{}};
       },
       "envelope.payload.details"},
  };
  for (const Case& c : cases) {
    INFO(c.name);
    Envelope e = make_upsert(1, Hash{}, sample_child());
    c.mutate(e);
    Error err = body_error(encode_envelope_body(e));
    CHECK(errc_name(err.code) == "invalid_field");
    CHECK(starts_with(err.detail, c.path + ": "));
    INFO(err.detail);
  }
}

TEST_CASE("envelope: ids over their length limit are too_large") {
  Envelope e = make_upsert(1, Hash{}, sample_child());
  e.authority_id = std::string(kMaxAuthorityIdLen + 1, 'k');
  Error a = body_error(encode_envelope_body(e));
  CHECK(a.code == Errc::too_large);
  CHECK(starts_with(a.detail, "envelope.authority_id: "));
  e = make_upsert(1, Hash{}, sample_child());
  e.record_id = std::string(kMaxRecordIdLen + 1, 'r');
  Error r = body_error(encode_envelope_body(e));
  CHECK(r.code == Errc::too_large);
  CHECK(starts_with(r.detail, "envelope.record_id: "));
  e.record_id = std::string(kMaxRecordIdLen, 'r');
  e.authority_id = std::string(kMaxAuthorityIdLen, 'k');
  CHECK(decode_envelope_body(encode_envelope_body(e)).ok());
}

TEST_CASE("envelope: decoding refuses wrong shapes as malformed") {
  Envelope e = make_delete(1, Hash{}, "c1");
  Bytes body = encode_envelope_body(e);
  Bytes eight = body;
  eight[0] = 0x98;
  eight.pop_back();
  CHECK(body_error(eight).code == Errc::malformed);
  Bytes ten = body;
  ten[0] = 0x9a;
  ten.push_back(0xc0);
  CHECK(body_error(ten).code == Errc::malformed);
  // prev_hash of 31 bytes.
  Writer w;
  w.array(9);
  w.uint(1);
  w.str("kent");
  w.uint(1);
  w.bin(Bytes(31, 0));
  w.uint(0);
  w.uint(1);
  w.uint(2);
  w.str("c1");
  w.nil();
  CHECK(body_error(w.take()).code == Errc::invalid_field);
  // A sealed payload that is not a sealed blob.
  Envelope up = make_upsert(1, Hash{}, sample_child());
  Bytes wrong_blob = raw_body(1, up, [](Writer& pw) {
    pw.array(4);
    pw.uint(1);
    write_child_identity(pw, sample_child().identity);
    pw.boolean(true);
    write_child_details(pw, sample_child().details);
  });
  Error blob_err = body_error(wrong_blob);
  CHECK(starts_with(blob_err.detail, "envelope.payload.details"));
  // A clear payload whose shielded flag is not a bool.
  Bytes flag = raw_body(1, up, [](Writer& pw) {
    pw.array(4);
    pw.uint(1);
    write_child_identity(pw, sample_child().identity);
    pw.uint(0);
    write_child_details(pw, sample_child().details);
  });
  CHECK(body_error(flag).code == Errc::malformed);
}

namespace {

// A shielded record with every field, list and text at its limit.
ChildRecord largest_record() {
  ChildRecord r = sample_shielded_child(std::string(kMaxRecordIdLen, 'r'));
  const PersonName name{std::string(kMaxNameLen, 'g'), std::string(kMaxNameLen, 'm'),
                        std::string(kMaxNameLen, 'f')};
  const std::string text(kMaxTextLen, 't');
  const std::string phone(kMaxPhoneLen, '0');
  const Address address{std::vector<std::string>(kMaxAddressLines, text),
                        std::string(kMaxPostcodeLen, 'P')};
  r.identity.name = name;
  r.identity.former_names.assign(kMaxFormerNames, name);
  r.details.address = address;
  r.details.upn = r.details.uln = r.details.nhs_number = std::string(kMaxIdentifierLen, '9');
  Contact c{name, text, true, std::vector<std::string>(kMaxPhones, phone), false, address};
  r.details.contacts.assign(kMaxContacts, c);
  Involvement i{InvolvementKind::other, text, text, text, text, phone, Date{2000, 1, 1},
                Date{2199, 12, 31}, true, true, true, true};
  r.details.involvements.assign(kMaxInvolvements, i);
  r.details.shield = Shield{99, text, Date{2199, 12, 31}};
  return r;
}

}  // namespace

TEST_CASE("envelope: the largest valid record fits an envelope, clear or sealed to 16") {
  ChildRecord r = largest_record();
  REQUIRE(check_record(r).ok());
  CHECK(encode_child_record(r).size() < 200u * 1024);
  std::vector<BoxPublicKey> recipients;
  for (std::uint8_t b = 1; b <= kMaxSealRecipients; ++b)
    recipients.push_back(SeedKeyAgreement(aegis::test::seed(b)).box_public_key());
  auto sealed = make_payload(r, "kent", recipients, aegis::test::fixtures::fixed_randomness(7),
                             aegis::test::test_tokenizer());
  REQUIRE(sealed.ok());
  Envelope e = make_upsert(1, Hash{}, sample_child());
  e.record_id = r.record_id;
  e.payload = *sealed;
  Bytes wire = sign_envelope(e, SeedSigner(aegis::test::seed(kKentSeed)));
  CHECK(wire.size() <= kMaxEnvelopeSize);
  CHECK(verify_envelope(wire, make_trust(), ChainState{}, kNowMs).ok());
  r.details.shield.reset();
  e.payload = make_payload(r, "kent", {}, aegis::test::fixtures::fixed_randomness(7),
                           aegis::test::test_tokenizer())
                  .value();
  wire = sign_envelope(e, SeedSigner(aegis::test::seed(kKentSeed)));
  CHECK(wire.size() <= kMaxEnvelopeSize);
  CHECK(verify_envelope(wire, make_trust(), ChainState{}, kNowMs).ok());
}

TEST_CASE("envelope: a body above the size limit is too_large") {
  Envelope e = make_delete(1, Hash{}, "c1");
  Bytes body = encode_envelope_body(e);
  body.resize(kMaxEnvelopeSize + 1, 0xc0);
  CHECK(body_error(body).code == Errc::too_large);
}
