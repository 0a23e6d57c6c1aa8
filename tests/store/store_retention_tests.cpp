// Retention in the authority store (docs/store.md §13): archive on the 18th birthday, consent to
// retain, purge six years later that erases personal data (body, envelope payloads, elsewhere
// feed items, from the database file and its WAL) while the outbox chain still verifies, and
// the chain checks that catch a purge tampered with.
#include <fstream>
#include <iterator>

#include <catch2/catch.hpp>

#include "aegis/protocol/feed.hpp"
#include "store_fixture.hpp"

using namespace aegis;
using namespace aegis::test;
using protocol::Date;
using store::StoreErrc;

namespace {

constexpr std::uint64_t kIndexSerial = 30;
const std::string kCanary = "Zqxcanaryvole";  // the child's family name, nowhere else

const Date kBeforeArchive{2033, 3, 13};  // sample_child is born 2015-03-14
const Date kArchiveDay{2033, 3, 14};
const Date kPurgeDay{2039, 3, 14};

// Every byte of a file (empty when it does not exist).
std::string file_bytes(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

struct RetentionFixture : StoreFixture {
  SeedSigner index{seed(6)};
  protocol::Trust sync_trust = make_trust(
      root, {make_certificate(kAuthoritySerial, "kent", protocol::Role::authority,
                              authority.sign_public_key(), authority_box.box_public_key()),
             make_certificate(kIndexSerial, "national", protocol::Role::index,
                              index.sign_public_key(), SeedKeyAgreement(seed(8)).box_public_key())});
  store::Store s = create();

  protocol::ChildRecord canary_child(const std::string& id) {
    protocol::ChildRecord r = sample_child(id);
    r.identity.name.family = kCanary;
    r.details.contacts[0].name.family = kCanary;
    return r;
  }
  // Another child, born 2024: active on every day these tests use.
  static protocol::ChildRecord young_child(const std::string& id) {
    protocol::ChildRecord r = sample_child(id);
    r.identity.date_of_birth = Date{2024, 1, 1};
    return r;
  }
  // An elsewhere item (linked, carrying what leeds shares of a canary child) for kent's record.
  protocol::Bytes elsewhere_item(std::uint64_t seq, const protocol::Hash& prev,
                                 const std::string& record_id) {
    protocol::FeedItem f;
    f.authority_id = "kent";
    f.seq = seq;
    f.prev_hash = prev;
    f.timestamp_ms = kNow;
    f.signer_serial = kIndexSerial;
    f.kind = protocol::FeedKind::elsewhere;
    f.elsewhere = {record_id, "0123456789ABCDEF", "leeds", "L:42",
                   protocol::ElsewhereState::linked,
                   protocol::details_for_elsewhere(canary_child("L:42").details)};
    return protocol::sign_feed_item(f, index);
  }
  bool store_feed_ok(store::Store& st, const std::vector<protocol::Bytes>& items) {
    auto r = st.store_feed(items, sync_trust, "national", now);
    INFO((r ? "" : r.error().message()));
    return r.ok() && !r->problem && r->stored == items.size();
  }
  void ack_all() {
    auto head = s.last();
    REQUIRE(head.ok());
    REQUIRE(s.save_acked("national", head->last_seq, now).ok());
  }
  store::RetentionRun run(const Date& today) {
    auto r = s.run_retention(today, signing);
    INFO((r ? "" : r.error().message()));
    REQUIRE(r.ok());
    return r.value();
  }
  store::RetentionCounts counts(const Date& today) {
    auto c = s.retention_counts(today);
    REQUIRE(c.ok());
    return c.value();
  }
};

}  // namespace

TEST_CASE("store retention: archived on the 18th birthday, kept and still readable") {
  RetentionFixture f;
  f.must(f.s.upsert(sample_child("c-1"), f.signing));
  CHECK(f.run(kBeforeArchive).archived.empty());
  CHECK_FALSE(f.s.retention_state("c-1")->archived_ms);
  const store::RetentionRun r = f.run(kArchiveDay);
  CHECK(r.archived == std::vector<std::string>{"c-1"});
  CHECK(r.purged.empty());
  CHECK(f.s.retention_state("c-1")->archived_ms == f.now);
  CHECK(f.s.get("c-1").ok());             // archived is kept
  CHECK(f.run(kArchiveDay).archived.empty());  // not archived twice
  CHECK(f.verify(f.s).intact());
}

TEST_CASE("store retention: counts by stage change nothing") {
  RetentionFixture f;
  f.must(f.s.upsert(sample_child("c-1"), f.signing));
  protocol::ChildRecord young = sample_child("c-2");
  young.identity.date_of_birth = Date{2030, 1, 1};
  f.must(f.s.upsert(young, f.signing));
  store::RetentionCounts c = f.counts(kArchiveDay);
  CHECK(c.active == 1);
  CHECK(c.archive_due == 1);
  c = f.counts(kPurgeDay);
  CHECK(c.purge_due == 1);
  CHECK(c.active == 1);
  CHECK_FALSE(f.s.retention_state("c-1")->archived_ms);
}

TEST_CASE("store retention: consent to retain moves archiving to the 25th birthday") {
  RetentionFixture f;
  f.must(f.s.upsert(sample_child("c-1"), f.signing));
  REQUIRE(f.s.set_consent_to_retain("c-1", true).ok());
  CHECK(f.run(kArchiveDay).archived.empty());
  CHECK(f.run(Date{2040, 3, 13}).archived.empty());
  // Withdrawn: due at once.
  REQUIRE(f.s.set_consent_to_retain("c-1", false).ok());
  CHECK(f.run(Date{2034, 1, 1}).archived == std::vector<std::string>{"c-1"});
}

TEST_CASE("store retention: consent for a record that is not live is refused") {
  RetentionFixture f;
  auto r = f.s.set_consent_to_retain("nobody", true);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == StoreErrc::not_found);
  f.must(f.s.upsert(sample_child("c-1"), f.signing));
  f.must(f.s.remove("c-1", f.signing));
  CHECK(f.s.set_consent_to_retain("c-1", true).error().code == StoreErrc::not_found);
  CHECK(f.s.archive("c-1", f.now).error().code == StoreErrc::not_found);
}

TEST_CASE("store retention: purge erases the child but the chain still verifies") {
  RetentionFixture f;
  f.must(f.s.upsert(f.canary_child("c-1"), f.signing));
  f.must(f.s.upsert(f.young_child("c-2"), f.signing));
  protocol::ChildRecord changed = f.canary_child("c-1");
  changed.details.contacts[0].phones = {"07700 900456"};
  f.must(f.s.upsert(changed, f.signing));
  REQUIRE(f.store_feed_ok(f.s, {f.elsewhere_item(1, {}, "c-1")}));
  f.ack_all();

  // Step 1: a delete envelope for the index; the erasure waits for its acknowledgement.
  store::RetentionRun r = f.run(kPurgeDay);
  CHECK(r.archived == std::vector<std::string>{"c-1"});
  CHECK(r.purged.empty());
  CHECK(r.waiting_sync == std::vector<std::string>{"c-1"});
  CHECK(f.s.get("c-1").error().code == StoreErrc::not_found);
  CHECK(f.s.retention_state("c-1")->purge_started_ms == f.now);
  CHECK_FALSE(f.s.retention_state("c-1")->purged_ms);
  CHECK(f.counts(kPurgeDay).purge_due == 1);
  auto head = f.s.last();
  REQUIRE(head->last_seq == 4);
  CHECK(f.run(kPurgeDay).waiting_sync == std::vector<std::string>{"c-1"});  // no second delete
  CHECK(f.s.last()->last_seq == 4);

  // Step 2, once acknowledged: everything about the child erased in one transaction.
  f.ack_all();
  r = f.run(kPurgeDay);
  CHECK(r.purged == std::vector<std::string>{"c-1"});
  CHECK(r.archived.empty());
  CHECK(f.s.retention_state("c-1")->purged_ms == f.now);
  CHECK(f.s.elsewhere("c-1")->empty());
  auto outbox = f.s.read_outbox(1, 0);
  REQUIRE(outbox.ok());
  REQUIRE(outbox->size() == 4);
  for (std::size_t i : {0u, 2u, 3u}) {
    CHECK((*outbox)[i].purged);
    CHECK((*outbox)[i].envelope.empty());
  }
  CHECK_FALSE((*outbox)[1].purged);  // c-2 untouched
  CHECK((*outbox)[3].hash == head->last_hash);  // header columns and hash stay
  CHECK(f.s.get("c-2").ok());

  const store::ChainReport report = f.verify(f.s);
  INFO((report.problem ? report.problem->detail : ""));
  CHECK(report.intact());
  CHECK(report.verified == 4);

  // Gone from the database file and the WAL (secure_delete, then the WAL truncated).
  const std::string bytes = file_bytes(f.file) + file_bytes(f.file.string() + "-wal");
  CHECK(bytes.find(kCanary) == std::string::npos);
  CHECK(bytes.find("Hartley") != std::string::npos);  // c-2's name is still there

  // The store goes on: a new change chains after the purged ones.
  f.must(f.s.upsert(f.young_child("c-3"), f.signing));
  CHECK(f.verify(f.s).intact());
  // A purged record counts as purged, and is not purged again.
  CHECK(f.counts(kPurgeDay).purged == 1);
  CHECK(f.run(kPurgeDay).purged.empty());
  CHECK(f.s.purge("c-1", f.signing).value());
}

TEST_CASE("store retention: a purge begun but killed before its delete is finished") {
  RetentionFixture f;
  f.must(f.s.upsert(f.canary_child("c-1"), f.signing));
  {
    RawDb raw(f.file);  // as if killed right after the purge was noted
    raw.exec("INSERT INTO retention (record_id, archived_ms, purge_started_ms) "
             "VALUES ('c-1', 1, 1)");
  }
  CHECK(f.counts(kBeforeArchive).purge_due == 1);
  CHECK(f.run(kBeforeArchive).waiting_sync == std::vector<std::string>{"c-1"});
  CHECK(f.s.get("c-1").error().code == StoreErrc::not_found);  // its delete came
  f.ack_all();
  CHECK(f.run(kBeforeArchive).purged == std::vector<std::string>{"c-1"});
  CHECK(f.verify(f.s).intact());
}

TEST_CASE("store retention: nothing is erased before the index acknowledged it") {
  RetentionFixture f;
  f.must(f.s.upsert(f.canary_child("c-1"), f.signing));
  CHECK(f.run(kPurgeDay).waiting_sync == std::vector<std::string>{"c-1"});
  auto outbox = f.s.read_outbox(1, 0);
  CHECK_FALSE((*outbox)[0].purged);
  CHECK_FALSE((*outbox)[1].purged);
  REQUIRE(f.s.save_acked("national", 1, f.now).ok());  // the delete (seq 2) not yet
  CHECK(f.run(kPurgeDay).waiting_sync == std::vector<std::string>{"c-1"});
  CHECK_FALSE(f.s.read_outbox(1, 0)->front().purged);
  f.ack_all();
  CHECK(f.run(kPurgeDay).purged == std::vector<std::string>{"c-1"});
}

TEST_CASE("store retention: purging a record the store never had is refused") {
  RetentionFixture f;
  auto r = f.s.purge("nobody", f.signing);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == StoreErrc::not_found);
  CHECK(f.verify(f.s).intact());
}

TEST_CASE("store retention: a purged row whose prev_hash was altered breaks the chain") {
  RetentionFixture f;
  f.must(f.s.upsert(f.canary_child("c-1"), f.signing));
  f.must(f.s.upsert(f.young_child("c-2"), f.signing));
  REQUIRE_FALSE(f.s.purge("c-1", f.signing).value());  // delete appended (seq 3)
  f.ack_all();
  REQUIRE(f.s.purge("c-1", f.signing).value());
  RawDb raw(f.file);
  SECTION("prev_hash altered") {
    raw.exec("UPDATE purged_outbox SET prev_hash = randomblob(32) WHERE seq = 1");
    const store::ChainReport report = f.verify(f.s);
    REQUIRE(report.problem);
    CHECK(report.problem->code == "broken_chain");
    CHECK(report.problem->seq == 1);
  }
  SECTION("hash altered: the next envelope no longer links") {
    raw.exec("UPDATE outbox SET hash = zeroblob(32) WHERE seq = 1");
    const store::ChainReport report = f.verify(f.s);
    REQUIRE(report.problem);
    CHECK(report.problem->code == "broken_chain");
    CHECK(report.problem->seq == 2);
  }
  SECTION("a purged row that still holds bytes") {
    raw.exec("UPDATE outbox SET envelope = X'00' WHERE seq = 1");
    const store::ChainReport report = f.verify(f.s);
    REQUIRE(report.problem);
    CHECK(report.problem->code == "purge_incomplete");
  }
  SECTION("a purged record given a body again") {
    raw.exec("UPDATE records SET body = X'00', deleted = 0 WHERE record_id = 'c-1'");
    const store::ChainReport report = f.verify(f.s);
    REQUIRE(report.problem);
    CHECK(report.problem->code == "purge_incomplete");
  }
  SECTION("an envelope marked purged behind the record's back") {
    raw.exec("UPDATE outbox SET envelope = X'' WHERE seq = 2; "
             "INSERT INTO purged_outbox (seq, prev_hash) SELECT 2, hash FROM outbox WHERE seq = 1");
    const store::ChainReport report = f.verify(f.s);
    REQUIRE(report.problem);
  }
}
