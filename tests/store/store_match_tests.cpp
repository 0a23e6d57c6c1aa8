// Match tokens in the store's envelopes (PROTOCOL.md §14, docs/store.md): every upsert carries a
// version-2 payload with the tokens of the record's valid identifiers, made through the
// Signing's MatchTokenizer; no identifier appears in clear in any envelope, while the records
// table keeps the whole record; verify_chain compares the two accordingly.
#include <algorithm>
#include <string>
#include <variant>

#include <catch2/catch.hpp>

#include "aegis/protocol/envelope.hpp"
#include "aegis/protocol/match.hpp"
#include "store_fixture.hpp"

using namespace aegis;
using namespace aegis::test;
using protocol::IdentifierKind;
using store::StoreErrc;

namespace {

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

// Re-signs envelope `wire` (seq 1) with `payload` and writes it over outbox row 1 with its new
// hash: as if the authority had sent that payload.
void resign_first(StoreFixture& f, const protocol::Bytes& wire, protocol::RecordPayload payload) {
  protocol::Envelope e = decode_envelope_wire(wire);
  REQUIRE(e.seq == 1);
  e.payload = std::move(payload);
  const protocol::Bytes resigned = protocol::sign_envelope(e, f.authority);
  const protocol::Hash h = protocol::envelope_hash(resigned);
  RawDb raw(f.file);
  raw.exec_with_blob("UPDATE outbox SET envelope = ?1 WHERE seq = 1", resigned);
  raw.exec_with_blob("UPDATE outbox SET hash = ?1 WHERE seq = 1", protocol::Bytes(h.begin(), h.end()));
}

store::ChainProblem problem_of(StoreFixture& f, store::Store& s) {
  store::ChainReport r = f.verify(s);
  REQUIRE(r.problem.has_value());
  INFO(r.problem->code << ": " << r.problem->detail);
  return *r.problem;
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
  const protocol::Envelope e = decode_envelope_wire(last_envelope(s));
  REQUIRE(e.payload.has_value());
  CHECK(e.payload->version() == protocol::kPayloadVersion);
  REQUIRE(e.payload->match.has_value());
  CHECK(e.payload->match->key_id == 1);
  CHECK(e.payload->match->entries.size() == 3);
  CHECK(*e.payload->match == protocol::make_match_tokens(child.details, test_tokenizer()));
  CHECK(f.verify(s).intact());
}

TEST_CASE("match: a clear envelope has no identifier, only their tokens; the row keeps them") {
  StoreFixture f;
  store::Store s = f.create();
  const protocol::ChildRecord child = with_valid_identifiers(sample_child("child-1"));
  f.must(s.upsert(child, f.signing));
  const protocol::Bytes wire = last_envelope(s);
  for (const std::string& id : {*child.details.upn, *child.details.uln, *child.details.nhs_number}) {
    INFO(id);
    CHECK(occurrences(wire, protocol::view(id)) == 0);
  }
  const protocol::Envelope e = decode_envelope_wire(wire);
  REQUIRE_FALSE(e.payload->shielded());
  CHECK(std::get<protocol::ChildDetails>(e.payload->details) ==
        protocol::without_identifiers(child.details));
  REQUIRE(e.payload->match->entries.size() == 3);
  for (const protocol::MatchEntry& m : e.payload->match->entries)
    CHECK(occurrences(wire, m.token) == 1);
  // The authority's own copy is the whole record: identifiers included.
  auto stored = s.get("child-1");
  REQUIRE(stored.ok());
  CHECK(stored->record == child);
  CHECK(f.verify(s).intact());
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
  const protocol::Envelope e = decode_envelope_wire(wire);
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
  const protocol::MatchTokens m = *decode_envelope_wire(last_envelope(s)).payload->match;
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
  const protocol::MatchTokens before = *decode_envelope_wire(last_envelope(s)).payload->match;
  protocol::ChildRecord moved = child;
  moved.details.address->lines[0] = "1 Other Road";
  f.must(s.upsert(moved, rotated));
  const protocol::MatchTokens after = *decode_envelope_wire(last_envelope(s)).payload->match;
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

TEST_CASE("match: verify_chain passes a real store after changes and an import") {
  StoreFixture f;
  store::Store s = f.create();
  f.must(s.upsert(with_valid_identifiers(sample_child("child-1")), f.signing));
  f.must(s.upsert(with_valid_identifiers(sample_shielded_child("child-s")), f.signing));
  protocol::ChildRecord odd = sample_child("child-2");  // UPN valid, ULN invalid
  f.must(s.upsert(odd, f.signing));
  odd.details.address->lines[0] = "2 New Road";
  f.must(s.upsert(odd, f.signing));
  auto i = s.begin_import(f.signing);
  REQUIRE(i.ok());
  for (int n = 1; n <= 4; ++n)
    f.must(i->upsert(with_valid_identifiers(sample_child("imp-" + std::to_string(n)))));
  f.must(i->remove("child-1"));
  store::ImportRow row;
  row.file_name = "pupils.csv";
  row.sha256.fill(1);
  row.format = "csv";
  row.source = "csv";
  REQUIRE(i->finish(row).ok());
  const store::ChainReport r = f.verify(s);
  INFO((r.problem ? r.problem->code + ": " + r.problem->detail : ""));
  CHECK(r.intact());
  CHECK(r.verified == 9);
  auto rows = s.read_outbox(1, 0);
  REQUIRE(rows.ok());
  for (const std::string id : {"Y820400105001", "1234567899", "9876543210", "A123456789012",
                               "1234567890", "9434765919"})
    for (const store::OutboxEntry& o : *rows) {
      INFO(id << " in seq " << o.seq);
      CHECK(occurrences(o.envelope, protocol::view(id)) == 0);
    }
  CHECK(s.get("imp-3")->record.details.upn == "Y820400105001");
}

TEST_CASE("match: verify_chain finds a record row whose identifiers differ from the tokens") {
  StoreFixture f;
  store::Store s = f.create();
  const protocol::ChildRecord child = with_valid_identifiers(sample_child("child-1"));
  f.must(s.upsert(child, f.signing));
  RawDb raw(f.file);
  protocol::ChildRecord changed = child;
  SECTION("another valid UPN") { changed.details.upn = "J82040010500A"; }
  SECTION("the NHS number removed") { changed.details.nhs_number.reset(); }
  SECTION("the ULN made invalid") { changed.details.uln = "1234567890"; }
  raw.exec_with_blob("UPDATE records SET body = ?1 WHERE record_id = 'child-1'",
                     protocol::encode_child_record(changed));
  const store::ChainProblem p = problem_of(f, s);
  CHECK(p.seq == 1);
  CHECK(p.code == "record_mismatch");
  CHECK(p.detail.find("match tokens") != std::string::npos);
  // Without a tokenizer the store cannot see it: the details minus identifiers still agree.
  auto blind = s.verify_chain(f.trust, f.now);
  REQUIRE(blind.ok());
  CHECK(blind->intact());
}

TEST_CASE("match: verify_chain still finds other differences in a clear record row") {
  StoreFixture f;
  store::Store s = f.create();
  protocol::ChildRecord child = with_valid_identifiers(sample_child("child-1"));
  f.must(s.upsert(child, f.signing));
  child.details.address->lines[0] = "99 Elsewhere";
  RawDb raw(f.file);
  raw.exec_with_blob("UPDATE records SET body = ?1 WHERE record_id = 'child-1'",
                     protocol::encode_child_record(child));
  const store::ChainProblem p = problem_of(f, s);
  CHECK(p.code == "record_mismatch");
  CHECK(p.detail.find("body differs") != std::string::npos);
}

TEST_CASE("match: verify_chain skips tokens made under another key id") {
  StoreFixture f;
  store::Store s = f.create();
  const SeedTokenizer next(seed(0x51), 2);
  store::Signing rotated{f.authority, kAuthoritySerial, next, f.signing.seal_recipients,
                         f.signing.now_ms, f.signing.seal_randomness};
  f.must(s.upsert(with_valid_identifiers(sample_child("child-1")), rotated));
  CHECK(f.verify(s).intact());  // the fixture's tokenizer is key id 1
  auto with_next = s.verify_chain(f.trust, f.now, &next);
  REQUIRE(with_next.ok());
  CHECK(with_next->intact());
}

TEST_CASE("match: a record sent as a version-1 payload (identifiers in clear) still verifies") {
  StoreFixture f;
  store::Store s = f.create();
  const protocol::ChildRecord child = with_valid_identifiers(sample_child("child-1"));
  f.must(s.upsert(child, f.signing));
  protocol::RecordPayload v1 = *decode_envelope_wire(last_envelope(s)).payload;
  v1.match.reset();
  SECTION("with the whole details, as version-1 senders built it") {
    v1.details = child.details;
    resign_first(f, last_envelope(s), v1);
    CHECK(f.verify(s).intact());
  }
  SECTION("without the identifiers the row holds: a mismatch") {
    resign_first(f, last_envelope(s), v1);
    const store::ChainProblem p = problem_of(f, s);
    CHECK(p.code == "record_mismatch");
    CHECK(p.detail.find("body differs") != std::string::npos);
  }
}
