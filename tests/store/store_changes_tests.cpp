// Store behaviour: creating and opening, changes append exactly one envelope each, records read
// back, idempotent upserts, expectations, shielded records, seal recipients.
#include <fstream>

#include <catch2/catch.hpp>

#include "aegis/protocol/envelope.hpp"
#include "aegis/protocol/seal.hpp"
#include "aegis/protocol/verify.hpp"
#include "store_fixture.hpp"

using namespace aegis;
using namespace aegis::test;
using store::Expect;
using store::StoreErrc;

namespace {

}  // namespace

TEST_CASE("create: a new store is empty and records its authority id") {
  StoreFixture f;
  store::Store s = f.create();
  CHECK(s.authority_id() == "kent");
  CHECK(s.created_ms() == kNow);
  auto head = s.last();
  REQUIRE(head.ok());
  CHECK(head->last_seq == 0);
  CHECK(head->last_hash == protocol::Hash{});
  CHECK(s.read_outbox(1, 0)->empty());
  CHECK(s.list_records(true)->empty());
  auto report = f.verify(s);
  CHECK(report.intact());
  CHECK(report.verified == 0);
}

TEST_CASE("create: refused where a database exists") {
  StoreFixture f;
  { store::Store s = f.create(); }
  auto again = store::Store::create(f.file, "kent", kNow);
  REQUIRE_FALSE(again.ok());
  CHECK(again.error().code == StoreErrc::exists);
  CHECK(again.error().detail.find(f.file.string()) != std::string::npos);
}

TEST_CASE("create: creating over the empty leftover of an interrupted create succeeds") {
  StoreFixture f;
  std::ofstream(f.file).close();  // 0 bytes: a create killed before its commit
  store::Store s = f.create();
  CHECK(f.must(s.upsert(sample_child("child-1"), f.signing)).seq == 1);
}

TEST_CASE("create: creating over a file that is not a database is refused") {
  StoreFixture f;
  std::ofstream(f.file) << "not a database, but somebody's file";
  auto s = store::Store::create(f.file, "kent", kNow);
  REQUIRE_FALSE(s.ok());
  CHECK(s.error().code == StoreErrc::exists);
}

TEST_CASE("create: the database file is readable by its owner only") {
  StoreFixture f;
  { store::Store s = f.create(); }
  auto perms = std::filesystem::status(f.file).permissions();
  CHECK((perms & (std::filesystem::perms::group_all | std::filesystem::perms::others_all)) ==
        std::filesystem::perms::none);
}

TEST_CASE("create: an invalid authority id is refused at creation") {
  StoreFixture f;
  auto s = store::Store::create(f.file, "Not Valid", kNow);
  REQUIRE_FALSE(s.ok());
  CHECK(s.error().code == StoreErrc::invalid_argument);
  CHECK_FALSE(std::filesystem::exists(f.file));
}

TEST_CASE("open: a missing database is not_found") {
  StoreFixture f;
  auto s = store::Store::open(f.file, "kent");
  REQUIRE_FALSE(s.ok());
  CHECK(s.error().code == StoreErrc::not_found);
}

TEST_CASE("open: another authority's database is wrong_authority") {
  StoreFixture f;
  { store::Store s = f.create(); }
  auto s = store::Store::open(f.file, "leeds");
  REQUIRE_FALSE(s.ok());
  CHECK(s.error().code == StoreErrc::wrong_authority);
}

TEST_CASE("open: a plain SQLite file that is not a store is not_initialised") {
  StoreFixture f;
  {
    RawDb raw(f.file);
    raw.exec("CREATE TABLE other (x)");
  }
  auto s = store::Store::open(f.file, "kent");
  REQUIRE_FALSE(s.ok());
  CHECK(s.error().code == StoreErrc::not_initialised);
}

TEST_CASE("open: the database uses WAL, foreign keys and the current schema version") {
  StoreFixture f;
  { store::Store s = f.create(); }
  RawDb raw(f.file);
  CHECK(raw.scalar("PRAGMA user_version") == store::kSchemaVersion);
  CHECK(raw.scalar("SELECT count(*) FROM pragma_journal_mode WHERE journal_mode = 'wal'") == 1);
  CHECK(raw.scalar("SELECT count(*) FROM meta WHERE key = 'authority_id' AND value = 'kent'") == 1);
}

TEST_CASE("outbox: upsert and remove append exactly one envelope each, seq from 1 without gaps") {
  StoreFixture f;
  store::Store s = f.create();
  auto c1 = f.must(s.upsert(sample_child("child-1"), f.signing));
  auto c2 = f.must(s.upsert(sample_child("child-2"), f.signing));
  protocol::ChildRecord changed = sample_child("child-1");
  changed.identity.name.given = "Amy";
  auto c3 = f.must(s.upsert(changed, f.signing));
  auto c4 = f.must(s.remove("child-2", f.signing));
  CHECK(c1.seq == 1);
  CHECK(c2.seq == 2);
  CHECK(c3.seq == 3);
  CHECK(c4.seq == 4);
  CHECK((c1.changed && c2.changed && c3.changed && c4.changed));

  auto rows = s.read_outbox(1, 0);
  REQUIRE(rows.ok());
  REQUIRE(rows->size() == 4);
  protocol::ChainState chain;
  const protocol::Operation ops[] = {protocol::Operation::upsert, protocol::Operation::upsert,
                                     protocol::Operation::upsert, protocol::Operation::remove};
  const char* ids[] = {"child-1", "child-2", "child-1", "child-2"};
  for (std::size_t i = 0; i < rows->size(); ++i) {
    const store::OutboxEntry& row = (*rows)[i];
    CHECK(row.seq == i + 1);
    CHECK(row.op == ops[i]);
    CHECK(row.record_id == ids[i]);
    CHECK(row.hash == protocol::envelope_hash(row.envelope));
    auto v = protocol::verify_envelope(row.envelope, f.trust, chain, kNow);
    REQUIRE(v.ok());
    CHECK(v->envelope.authority_id == "kent");
    CHECK(v->envelope.signer_serial == kAuthoritySerial);
    CHECK(v->envelope.timestamp_ms == row.created_ms);
    chain = protocol::advance(chain, *v);
  }
  CHECK(c4.hash == chain.last_hash);
  auto head = s.last();
  CHECK(head->last_seq == 4);
  CHECK(head->last_hash == c4.hash);

  auto report = f.verify(s);
  CHECK(report.intact());
  CHECK(report.verified == 4);
}

TEST_CASE("outbox: read_outbox honours from and limit") {
  StoreFixture f;
  store::Store s = f.create();
  for (int i = 1; i <= 5; ++i) f.must(s.upsert(sample_child("c" + std::to_string(i)), f.signing));
  auto page = s.read_outbox(2, 2);
  REQUIRE(page.ok());
  REQUIRE(page->size() == 2);
  CHECK((*page)[0].seq == 2);
  CHECK((*page)[1].seq == 3);
  CHECK(s.read_outbox(6, 0)->empty());
  CHECK(s.read_outbox(4, 0)->size() == 2);
}

TEST_CASE("records: a stored record reads back equal, with its last seq") {
  StoreFixture f;
  store::Store s = f.create();
  f.now = kNow + 1234;
  f.must(s.upsert(sample_child("child-1"), f.signing));
  auto got = s.get("child-1");
  REQUIRE(got.ok());
  CHECK(got->record == sample_child("child-1"));
  CHECK(got->last_seq == 1);
  CHECK(got->updated_ms == kNow + 1234);
}

TEST_CASE("records: getting an unknown record is not_found") {
  StoreFixture f;
  store::Store s = f.create();
  auto got = s.get("nobody");
  REQUIRE_FALSE(got.ok());
  CHECK(got.error().code == StoreErrc::not_found);
}

TEST_CASE("records: a deleted record is not_found but leaves a tombstone without its body") {
  StoreFixture f;
  store::Store s = f.create();
  f.must(s.upsert(sample_child("child-1"), f.signing));
  f.must(s.remove("child-1", f.signing));
  CHECK(s.get("child-1").error().code == StoreErrc::not_found);
  CHECK(s.list_records(false)->empty());
  auto all = s.list_records(true);
  REQUIRE(all->size() == 1);
  CHECK((*all)[0].deleted);
  CHECK((*all)[0].last_seq == 2);
  RawDb raw(f.file);
  CHECK(raw.scalar("SELECT count(*) FROM records WHERE body IS NULL AND deleted = 1") == 1);
}

TEST_CASE("records: removing a record that does not exist is not_found and appends nothing") {
  StoreFixture f;
  store::Store s = f.create();
  auto missing = s.remove("nobody", f.signing);
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.error().code == StoreErrc::not_found);
  f.must(s.upsert(sample_child("child-1"), f.signing));
  f.must(s.remove("child-1", f.signing));
  auto twice = s.remove("child-1", f.signing);
  REQUIRE_FALSE(twice.ok());
  CHECK(twice.error().code == StoreErrc::not_found);
  CHECK(s.last()->last_seq == 2);
}

TEST_CASE("records: removing with an invalid record id is invalid_argument") {
  StoreFixture f;
  store::Store s = f.create();
  auto bad = s.remove("has space", f.signing);
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().code == StoreErrc::invalid_argument);
}

TEST_CASE("records: a deleted record can be created again with a new upsert") {
  StoreFixture f;
  store::Store s = f.create();
  f.must(s.upsert(sample_child("child-1"), f.signing));
  f.must(s.remove("child-1", f.signing));
  auto again = f.must(s.upsert(sample_child("child-1"), f.signing, Expect::absent));
  CHECK(again.changed);
  CHECK(again.seq == 3);
  CHECK(s.get("child-1")->record == sample_child("child-1"));
  CHECK(f.verify(s).intact());
}

TEST_CASE("records: upserting an identical record appends nothing") {
  StoreFixture f;
  store::Store s = f.create();
  auto first = f.must(s.upsert(sample_child("child-1"), f.signing));
  f.now += 5000;
  auto same = f.must(s.upsert(sample_child("child-1"), f.signing));
  CHECK_FALSE(same.changed);
  CHECK(same.seq == first.seq);
  CHECK(same.hash == first.hash);
  // An identical add is also a no-op, not a refusal.
  auto add = f.must(s.upsert(sample_child("child-1"), f.signing, Expect::absent));
  CHECK_FALSE(add.changed);
  CHECK(s.last()->last_seq == 1);
  CHECK(s.get("child-1")->updated_ms == kNow);
}

TEST_CASE("records: Expect::absent refuses a live record with other content") {
  StoreFixture f;
  store::Store s = f.create();
  f.must(s.upsert(sample_child("child-1"), f.signing));
  protocol::ChildRecord other = sample_child("child-1");
  other.identity.name.family = "Other";
  auto r = s.upsert(other, f.signing, Expect::absent);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == StoreErrc::exists);
  CHECK(r.error().detail.find("child-1") != std::string::npos);
  CHECK(r.error().detail.find("Other") == std::string::npos);  // no personal data in errors
  CHECK(s.last()->last_seq == 1);
  CHECK(s.get("child-1")->record == sample_child("child-1"));
}

TEST_CASE("records: Expect::present refuses a missing or deleted record") {
  StoreFixture f;
  store::Store s = f.create();
  auto missing = s.upsert(sample_child("child-1"), f.signing, Expect::present);
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.error().code == StoreErrc::not_found);
  f.must(s.upsert(sample_child("child-1"), f.signing));
  f.must(s.remove("child-1", f.signing));
  auto deleted = s.upsert(sample_child("child-1"), f.signing, Expect::present);
  REQUIRE_FALSE(deleted.ok());
  CHECK(deleted.error().code == StoreErrc::not_found);
  CHECK(s.last()->last_seq == 2);
}

TEST_CASE("records: an invalid record is refused with invalid_record and nothing is written") {
  StoreFixture f;
  store::Store s = f.create();
  protocol::ChildRecord bad = sample_child("child-1");
  bad.identity.name.family.clear();  // required
  auto r = s.upsert(bad, f.signing);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == StoreErrc::invalid_record);
  CHECK(s.last()->last_seq == 0);
  CHECK(s.list_records(true)->empty());
}

TEST_CASE("records: an invalid record is invalid_record before exists or not_found") {
  StoreFixture f;
  store::Store s = f.create();
  f.must(s.upsert(sample_child("child-1"), f.signing));
  protocol::ChildRecord bad = sample_child("child-1");
  bad.identity.name.family.clear();  // required
  auto replace = s.upsert(bad, f.signing, Expect::absent);  // would be `exists` if it were valid
  REQUIRE_FALSE(replace.ok());
  CHECK(replace.error().code == StoreErrc::invalid_record);
  CHECK(replace.error().message().find("record.identity.name.family") != std::string::npos);
  bad.record_id = "child-2";
  auto create = s.upsert(bad, f.signing, Expect::present);  // would be `not_found`
  REQUIRE_FALSE(create.ok());
  CHECK(create.error().code == StoreErrc::invalid_record);
  auto any = s.upsert(bad, f.signing);
  REQUIRE_FALSE(any.ok());
  CHECK(any.error().code == StoreErrc::invalid_record);
  CHECK(s.last()->last_seq == 1);
  CHECK(s.list_records(true)->size() == 1);
}

TEST_CASE("records: an invalid shielded record is invalid_record, draws no randomness, writes "
          "nothing") {
  StoreFixture f;
  store::Store s = f.create();
  protocol::ChildRecord bad = sample_shielded_child("child-s");
  bad.identity.name.family.clear();  // required
  auto r = s.upsert(bad, f.signing);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == StoreErrc::invalid_record);
  CHECK(f.randomness_counter == 0);
  CHECK(s.last()->last_seq == 0);
  CHECK(s.list_records(true)->empty());
}

TEST_CASE("records: a valid replacement after a refused invalid one is stored") {
  StoreFixture f;
  store::Store s = f.create();
  f.must(s.upsert(sample_child("child-1"), f.signing));
  protocol::ChildRecord bad = sample_child("child-1");
  bad.identity.name.family.clear();
  REQUIRE_FALSE(s.upsert(bad, f.signing).ok());
  protocol::ChildRecord changed = sample_child("child-1");
  changed.identity.name.given = "Noa";
  auto r = f.must(s.upsert(changed, f.signing));
  CHECK(r.changed);
  CHECK(r.seq == 2);
  CHECK(s.get("child-1")->record == changed);
  CHECK(f.verify(s).intact());
}

TEST_CASE("shield: a shielded record's envelope holds no canary strings, the stored copy does") {
  StoreFixture f;
  store::Store s = f.create();
  const protocol::ChildRecord child = sample_shielded_child("child-s");
  f.must(s.upsert(child, f.signing));
  auto rows = s.read_outbox(1, 0);
  REQUIRE(rows->size() == 1);
  const protocol::Bytes& wire = (*rows)[0].envelope;
  for (const char* canary : {"Secretcanary", "Hiddencanary", "LS1 4ZZ", "07700 900999", "Sarah",
                             "A123456789012", "9434765919", "SO-0042"})
    CHECK_FALSE(contains_bytes(wire, canary));
  // The clear identity is there (the index matches on it), the details are sealed.
  CHECK(contains_bytes(wire, "Whitfield"));
  protocol::Envelope e = decode_envelope_wire(wire);
  REQUIRE(e.payload.has_value());
  REQUIRE(e.payload->shielded());
  const auto& blob = std::get<protocol::SealedBlob>(e.payload->details);
  // Both the authority and the shield officer can open it.
  auto mine = protocol::open_details(blob, "kent", "child-s", f.authority_box);
  REQUIRE(mine.ok());
  CHECK(*mine == child.details);
  auto officers = protocol::open_details(blob, "kent", "child-s", f.officer_box);
  REQUIRE(officers.ok());
  CHECK(*officers == child.details);
  // The authority's own copy reads back in clear.
  auto got = s.get("child-s");
  REQUIRE(got.ok());
  CHECK(got->record == child);
  CHECK((*s.list_records())[0].shielded);
  CHECK(f.verify(s).intact());
}

TEST_CASE("shield: each shielded change draws fresh seal randomness; clear records draw none") {
  StoreFixture f;
  store::Store s = f.create();
  f.must(s.upsert(sample_child("child-1"), f.signing));
  CHECK(f.randomness_counter == 0);
  f.must(s.upsert(sample_shielded_child("child-s"), f.signing));
  protocol::ChildRecord changed = sample_shielded_child("child-s");
  changed.identity.name.given = "Noa";
  f.must(s.upsert(changed, f.signing));
  CHECK(f.randomness_counter == 2);
  auto rows = s.read_outbox(2, 0);
  auto a = std::get<protocol::SealedBlob>(decode_envelope_wire((*rows)[0].envelope).payload->details);
  auto b = std::get<protocol::SealedBlob>(decode_envelope_wire((*rows)[1].envelope).payload->details);
  CHECK(a.ephemeral != b.ephemeral);
  CHECK(a.nonce != b.nonce);
}

TEST_CASE("outbox: reopening keeps seq continuity") {
  StoreFixture f;
  {
    store::Store s = f.create();
    f.must(s.upsert(sample_child("child-1"), f.signing));
    f.must(s.upsert(sample_child("child-2"), f.signing));
  }
  store::Store s = f.open();
  CHECK(s.created_ms() == kNow);
  auto c = f.must(s.upsert(sample_child("child-3"), f.signing));
  CHECK(c.seq == 3);
  auto report = f.verify(s);
  CHECK(report.intact());
  CHECK(report.verified == 3);
}

TEST_CASE("outbox: two handles on one file interleave changes without gaps") {
  StoreFixture f;
  store::Store a = f.create();
  store::Store b = f.open();
  CHECK(f.must(a.upsert(sample_child("a-1"), f.signing)).seq == 1);
  CHECK(f.must(b.upsert(sample_child("b-1"), f.signing)).seq == 2);
  CHECK(f.must(a.upsert(sample_child("a-2"), f.signing)).seq == 3);
  CHECK(f.must(b.remove("a-1", f.signing)).seq == 4);
  CHECK(f.verify(a).intact());
  CHECK(f.verify(a).verified == 4);
}

TEST_CASE("outbox: envelope timestamps never go backwards when the clock does") {
  StoreFixture f;
  store::Store s = f.create();
  f.must(s.upsert(sample_child("child-1"), f.signing));
  f.now = kNow - 60'000;
  f.must(s.upsert(sample_child("child-2"), f.signing));
  auto rows = s.read_outbox(1, 0);
  CHECK((*rows)[1].created_ms == kNow);
}

TEST_CASE("shield: seal_recipients is own key first, then active shield officers, no duplicates") {
  StoreFixture f;
  SeedKeyAgreement second_box{seed(6)};
  SeedSigner second{seed(7)};
  SeedKeyAgreement revoked_box{seed(8)};
  protocol::Certificate expired =
      make_certificate(23, "officer-4", protocol::Role::shield_officer, second.sign_public_key(),
                       revoked_box.box_public_key());
  expired.not_before_ms = kNow - 10 * kDay;
  expired.not_after_ms = kNow - kDay;
  protocol::Trust trust = make_trust(
      f.root,
      {make_certificate(kAuthoritySerial, "kent", protocol::Role::authority,
                        f.authority.sign_public_key(), f.authority_box.box_public_key()),
       make_certificate(20, "officer-1", protocol::Role::shield_officer,
                        f.officer.sign_public_key(), f.officer_box.box_public_key()),
       make_certificate(21, "officer-2", protocol::Role::shield_officer, second.sign_public_key(),
                        second_box.box_public_key()),
       make_certificate(22, "officer-3", protocol::Role::shield_officer, second.sign_public_key(),
                        revoked_box.box_public_key()),
       expired,
       // An officer certificate carrying the authority's own box key must not be listed twice.
       make_certificate(24, "officer-5", protocol::Role::shield_officer, second.sign_public_key(),
                        f.authority_box.box_public_key())},
      {22});
  auto r = store::seal_recipients(f.authority_box.box_public_key(), trust, kNow);
  REQUIRE(r.size() == 3);
  CHECK(r[0] == f.authority_box.box_public_key());
  CHECK(std::find(r.begin(), r.end(), f.officer_box.box_public_key()) != r.end());
  CHECK(std::find(r.begin(), r.end(), second_box.box_public_key()) != r.end());
  CHECK(std::find(r.begin(), r.end(), revoked_box.box_public_key()) == r.end());
}
