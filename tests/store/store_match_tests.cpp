// Match tokens in the store's envelopes (PROTOCOL.md §14, docs/store.md): every upsert carries a
// version-2 payload with the tokens of the record's valid identifiers, made through the
// Signing's MatchTokenizer; no identifier appears in clear outside the (clear) details.
#include <algorithm>

#include <catch2/catch.hpp>

#include "aegis/protocol/envelope.hpp"
#include "aegis/protocol/match.hpp"
#include "store_fixture.hpp"

using namespace aegis;
using namespace aegis::test;
using protocol::IdentifierKind;
using store::StoreErrc;

namespace {

protocol::Envelope decode(const protocol::Bytes& wire) {
  auto s = protocol::decode_signed(wire, "envelope");
  REQUIRE(s.ok());
  auto e = protocol::decode_envelope_body(s->body);
  REQUIRE(e.ok());
  return std::move(e).value();
}

std::size_t occurrences(protocol::ByteView haystack, protocol::ByteView needle) {
  std::size_t n = 0;
  auto at = haystack.begin();
  while ((at = std::search(at, haystack.end(), needle.begin(), needle.end())) != haystack.end()) {
    ++n;
    ++at;
  }
  return n;
}

protocol::ChildRecord with_valid_identifiers(protocol::ChildRecord r) {
  r.details.upn = "Y820400105001";
  r.details.uln = "1234567899";
  r.details.nhs_number = "9876543210";
  return r;
}

protocol::Bytes last_envelope(store::Store& s) {
  auto head = s.last();
  REQUIRE(head.ok());
  auto rows = s.read_outbox(head->last_seq, 1);
  REQUIRE(rows.ok());
  REQUIRE(rows->size() == 1);
  return (*rows)[0].envelope;
}

}  // namespace

TEST_CASE("match: an upsert's envelope carries version-2 tokens of the valid identifiers") {
  StoreFixture f;
  store::Store s = f.create();
  const protocol::ChildRecord child = with_valid_identifiers(sample_child("child-1"));
  f.must(s.upsert(child, f.signing));
  const protocol::Envelope e = decode(last_envelope(s));
  REQUIRE(e.payload.has_value());
  CHECK(e.payload->version() == protocol::kPayloadVersion);
  REQUIRE(e.payload->match.has_value());
  CHECK(e.payload->match->key_id == 1);
  CHECK(e.payload->match->entries.size() == 3);
  CHECK(*e.payload->match == protocol::make_match_tokens(child.details, test_tokenizer()));
  CHECK(f.verify(s).intact());
}

TEST_CASE("match: a clear envelope has identifiers only inside its details, and their tokens") {
  StoreFixture f;
  store::Store s = f.create();
  const protocol::ChildRecord child = with_valid_identifiers(sample_child("child-1"));
  f.must(s.upsert(child, f.signing));
  const protocol::Bytes wire = last_envelope(s);
  const protocol::Bytes details = protocol::encode_child_details(child.details);
  for (const std::string& id : {*child.details.upn, *child.details.uln, *child.details.nhs_number}) {
    INFO(id);
    CHECK(occurrences(details, protocol::view(id)) == 1);
    CHECK(occurrences(wire, protocol::view(id)) == 1);  // that one occurrence: in the details
  }
  const protocol::Envelope e = decode(wire);
  for (const protocol::MatchEntry& m : e.payload->match->entries)
    CHECK(occurrences(wire, m.token) == 1);
}

TEST_CASE("match: a shielded envelope carries tokens and no identifier in clear") {
  StoreFixture f;
  store::Store s = f.create();
  const protocol::ChildRecord child = with_valid_identifiers(sample_shielded_child("child-s"));
  f.must(s.upsert(child, f.signing));
  const protocol::Bytes wire = last_envelope(s);
  for (const std::string id : {"Y820400105001", "1234567899", "9876543210"}) {
    INFO(id);
    CHECK(occurrences(wire, protocol::view(id)) == 0);
  }
  const protocol::Envelope e = decode(wire);
  REQUIRE(e.payload->shielded());
  REQUIRE(e.payload->match.has_value());
  CHECK(*e.payload->match == protocol::make_match_tokens(child.details, test_tokenizer()));
  for (const protocol::MatchEntry& m : e.payload->match->entries)
    CHECK(occurrences(wire, m.token) == 1);
}

TEST_CASE("match: an identifier that fails its check gets no token") {
  StoreFixture f;
  store::Store s = f.create();
  protocol::ChildRecord child = with_valid_identifiers(sample_child("child-1"));
  child.details.uln = "1234567890";         // wrong check digit
  child.details.nhs_number = "9876543211";  // fails modulus 11
  f.must(s.upsert(child, f.signing));
  const protocol::MatchTokens m = *decode(last_envelope(s)).payload->match;
  REQUIRE(m.entries.size() == 1);
  CHECK(m.entries[0].kind == IdentifierKind::upn);
  CHECK(m.find(IdentifierKind::uln) == nullptr);
  CHECK(m.find(IdentifierKind::nhs_number) == nullptr);
}

TEST_CASE("match: tokens follow the matching key's id and bytes") {
  StoreFixture f;
  store::Store s = f.create();
  const SeedTokenizer next(seed(0x51), 2);
  store::Signing rotated{f.authority, kAuthoritySerial, next, f.signing.seal_recipients,
                         f.signing.now_ms, f.signing.seal_randomness};
  const protocol::ChildRecord child = with_valid_identifiers(sample_child("child-1"));
  f.must(s.upsert(child, f.signing));
  const protocol::MatchTokens before = *decode(last_envelope(s)).payload->match;
  protocol::ChildRecord moved = child;
  moved.details.address->lines[0] = "1 Other Road";
  f.must(s.upsert(moved, rotated));
  const protocol::MatchTokens after = *decode(last_envelope(s)).payload->match;
  CHECK(before.key_id == 1);
  CHECK(after.key_id == 2);
  REQUIRE(after.entries.size() == before.entries.size());
  for (std::size_t i = 0; i < after.entries.size(); ++i) {
    CHECK(after.entries[i].kind == before.entries[i].kind);
    CHECK(after.entries[i].token != before.entries[i].token);
  }
  CHECK(f.verify(s).intact());
}

TEST_CASE("match: a tokenizer with key id 0 is refused and nothing is written") {
  StoreFixture f;
  store::Store s = f.create();
  const SeedTokenizer zero(seed(0x50), 0);
  store::Signing bad{f.authority, kAuthoritySerial, zero, f.signing.seal_recipients,
                     f.signing.now_ms, f.signing.seal_randomness};
  auto r = s.upsert(sample_child("child-1"), bad);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == StoreErrc::seal_failed);
  CHECK(r.error().message().find("payload.match.key_id") != std::string::npos);
  CHECK(s.last()->last_seq == 0);
  CHECK(s.list_records(true)->empty());
}
