// Retention at the index (docs/index-store.md §12): live records archived at 18, records deleted
// by their authority purged once due (envelopes and feed items erased, chains still verifying,
// a purge audit entry), waiting for feed acknowledgements; the checks that catch a purge
// tampered with; and subject access (records, history, feed items, audit entries).
#include <fstream>
#include <iterator>

#include "index/schema.hpp"
#include "index_fixture.hpp"

using namespace aegis;
using namespace aegis::test;
using namespace aegis::test::index_fixtures;
using aegis::index::IndexErrc;
using aegis::index::IndexRetentionRun;
using aegis::protocol::Date;

namespace {

const std::string kCanary = "Zqxcanaryvole";
const Date kArchiveDay{2033, 3, 14};  // sample_child is born 2015-03-14
const Date kPurgeDay{2039, 3, 14};

std::string file_bytes(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// Kent and Leeds hold the same child (one NHS number), Kent another one.
struct RetentionFixture : IndexFixture {
  Chain kent = Chain::kent();
  Chain leeds = Chain::leeds();

  RetentionFixture() {
    ChildRecord k1 = child("k-1", kCanary);
    ChildRecord l1 = k1;
    l1.record_id = "l-1";
    apply("kent", {kent.upsert(k1), kent.upsert(child("k-2"))});
    apply("leeds", {leeds.upsert(l1)});
  }
  void ack_feeds() {
    for (const char* a : {"kent", "leeds"}) {
      auto s = store.authority_status(a);
      REQUIRE(s.ok());
      REQUIRE(store.feed_acked(a, s->feed_seq).ok());
    }
  }
  IndexRetentionRun run(const Date& day) {
    auto r = store.run_retention(day, kNowMs);
    INFO((r ? std::string() : r.error().message()));
    REQUIRE(r.ok());
    return std::move(r).value();
  }
  void check_intact() {
    auto v = store.verify_all(trust);
    REQUIRE(v.ok());
    for (const auto& a : v->authorities) {
      INFO(a.authority_id << ": " << (a.problem ? a.problem->code + " " + a.problem->detail : ""));
      CHECK_FALSE(a.problem);
    }
  }
  std::optional<aegis::index::IntegrityProblem> problem_of(const std::string& authority) {
    auto v = store.verify_all(trust);
    REQUIRE(v.ok());
    for (const auto& a : v->authorities)
      if (a.authority_id == authority) return a.problem;
    return std::nullopt;
  }
};

}  // namespace

TEST_CASE("index retention: live records are archived at 18, kept and flagged for search") {
  RetentionFixture f;
  CHECK(f.run(Date{2033, 3, 13}).archived.empty());
  CHECK_FALSE(f.store.archived("kent", "k-1").value());
  const IndexRetentionRun r = f.run(kArchiveDay);
  CHECK(r.archived.size() == 3);
  CHECK(f.store.archived("kent", "k-1").value());
  CHECK(f.store.record("kent", "k-1").value()->identity);  // still stored
  CHECK(f.run(kArchiveDay).archived.empty());               // once
  CHECK(f.store.retention_counts(kArchiveDay)->archived == 3);
  f.check_intact();
}

TEST_CASE("index retention: a live record past its purge date is never purged by the index") {
  RetentionFixture f;
  f.ack_feeds();
  const IndexRetentionRun r = f.run(kPurgeDay);
  CHECK(r.purged.empty());
  CHECK(r.archived.size() == 3);
  auto counts = f.store.retention_counts(kPurgeDay);
  CHECK(counts->purge_due == 0);
  CHECK(counts->archived == 3);
}

TEST_CASE("index retention: a deleted record is purged, chains and audit log still verify") {
  RetentionFixture f;
  f.apply("kent", {f.kent.remove("k-1")});
  f.apply("leeds", {f.leeds.remove("l-1")});
  const std::uint64_t audit_before = f.store.audit_size().value();
  CHECK(f.store.retention_counts(kPurgeDay)->purge_due == 2);
  CHECK(f.run(Date{2039, 3, 13}).purged.empty());  // not due yet

  // Feed items about them not acknowledged yet: waiting.
  IndexRetentionRun r = f.run(kPurgeDay);
  CHECK(r.purged.empty());
  CHECK(r.waiting_sync.size() == 2);
  f.ack_feeds();
  r = f.run(kPurgeDay);
  REQUIRE(r.purged.size() == 2);
  CHECK(f.store.retention_counts(kPurgeDay)->purged == 2);
  CHECK(f.run(kPurgeDay).purged.empty());  // once

  f.check_intact();
  CHECK(f.store.audit_size().value() == audit_before + 2);
  auto audit = f.store.verify_audit(f.trust);
  REQUIRE(audit.ok());
  {
    RawDb raw(f.file);
    CHECK(raw.scalar("SELECT count(*) FROM purged_envelopes") == 4);  // upsert + delete each
    CHECK(raw.scalar("SELECT count(*) FROM envelopes WHERE length(wire) = 0") ==
          raw.scalar("SELECT count(*) FROM purged_envelopes"));
    CHECK(raw.scalar("SELECT count(*) FROM purged_feed") > 0);
  }
  // The other child is untouched; the canary is in neither the file nor the WAL.
  CHECK(f.store.record("kent", "k-2").value()->identity);
  const std::string bytes = file_bytes(f.file) + file_bytes(f.file.string() + "-wal");
  CHECK(bytes.find(kCanary) == std::string::npos);
  CHECK(bytes.find("Hartley") != std::string::npos);
  // The store goes on: the next envelope chains after the purged ones.
  f.apply("kent", {f.kent.upsert(child("k-3"))});
  f.check_intact();
}

TEST_CASE("index retention: a tampered purge is found by verify_all") {
  RetentionFixture f;
  f.apply("kent", {f.kent.remove("k-1")});
  f.apply("leeds", {f.leeds.remove("l-1")});
  f.ack_feeds();
  REQUIRE(f.run(kPurgeDay).purged.size() == 2);
  RawDb raw(f.file);
  SECTION("prev_hash altered") {
    raw.exec("UPDATE purged_envelopes SET prev_hash = randomblob(32) "
             "WHERE id = (SELECT max(id) FROM purged_envelopes WHERE record_id = 'k-1')");
    auto p = f.problem_of("kent");
    REQUIRE(p);
    CHECK(p->code == "broken_chain");
  }
  SECTION("bytes left in a purged envelope") {
    raw.exec("UPDATE envelopes SET wire = X'00' WHERE id = "
             "(SELECT min(id) FROM purged_envelopes WHERE record_id = 'k-1')");
    auto p = f.problem_of("kent");
    REQUIRE(p);
    CHECK(p->code == "purge_incomplete");
  }
  SECTION("a purged feed item's hash altered: the next item no longer links") {
    raw.exec("UPDATE purged_feed SET hash = zeroblob(32) WHERE id = "
             "(SELECT min(id) FROM purged_feed)");
    REQUIRE((f.problem_of("kent").has_value() || f.problem_of("leeds").has_value()));
  }
}

TEST_CASE("index subject access: the child's records, history, feed items and audit entries") {
  RetentionFixture f;
  const std::string nid = *f.store.record("kent", "k-1").value()->national_id;
  REQUIRE(f.store.record("leeds", "l-1").value()->national_id == nid);
  protocol::AuditEntry query;
  query.timestamp_ms = kNowMs;
  query.action = protocol::AuditAction::query;
  query.actor = "user:leeds/42";
  query.authority_id = "leeds";
  query.purpose = "safeguarding";
  query.records = {{"kent", "k-1"}};
  query.query_digest = protocol::Hash{};
  REQUIRE(f.store.append_audit(query).ok());
  protocol::AuditEntry other = query;
  other.records = {{"kent", "k-2"}};
  REQUIRE(f.store.append_audit(other).ok());

  auto a = f.store.subject_access(nid);
  REQUIRE(a.ok());
  REQUIRE(a->records.size() == 2);
  CHECK(a->records[0].identity->name.family == kCanary);
  CHECK(a->records[0].details);
  CHECK_FALSE(a->history.empty());
  bool elsewhere = false;
  for (const auto& item : a->feed_items) elsewhere |= item.kind == "elsewhere";
  CHECK(elsewhere);
  REQUIRE(a->audit.size() == 1);
  CHECK(a->audit[0].second.actor == "user:leeds/42");

  // Archived and deleted records are still listed.
  f.run(kArchiveDay);
  f.apply("leeds", {f.leeds.remove("l-1")});
  a = f.store.subject_access(nid);
  REQUIRE(a->records.size() == 2);
  CHECK(a->records[0].archived);
  CHECK(a->records[1].deleted);
  CHECK_FALSE(a->records[1].identity);
}

TEST_CASE("index subject access: an unknown national id is refused") {
  RetentionFixture f;
  auto a = f.store.subject_access("0000000000000000");
  REQUIRE_FALSE(a.ok());
  CHECK(a.error().code == IndexErrc::not_found);
  CHECK(a.error().detail.find("0000000000000000") != std::string::npos);
}

TEST_CASE("index subject access: a shielded record's details are not opened") {
  IndexFixture f;
  Chain kent = Chain::kent();
  ChildRecord r = child("s-1");
  r.details.shield = protocol::Shield{1, "SO-1", Date{2024, 6, 1}};
  f.apply("kent", {kent.upsert(r)});
  const std::string nid = *f.store.record("kent", "s-1").value()->national_id;
  auto a = f.store.subject_access(nid);
  REQUIRE(a.ok());
  REQUIRE(a->records.size() == 1);
  CHECK(a->records[0].shielded);
  CHECK(a->records[0].identity);
  CHECK_FALSE(a->records[0].details);
}

TEST_CASE("index retention: a completed run records its day, kept across a reopen") {
  RetentionFixture f;
  CHECK_FALSE(f.store.retention_day().value());  // never run
  f.run(Date{2033, 3, 13});
  CHECK(f.store.retention_day().value() == Date{2033, 3, 13});
  f.run(kArchiveDay);  // archives: still recorded
  CHECK(f.store.retention_day().value() == kArchiveDay);
  {
    auto reopened = IndexStore::open(f.file);
    REQUIRE(reopened.ok());
    CHECK(reopened->retention_day().value() == kArchiveDay);
  }
  // A run that purges records its day too (after its purge transactions).
  f.apply("kent", {f.kent.remove("k-2")});
  f.ack_feeds();
  CHECK(f.run(kPurgeDay).purged.size() == 1);
  CHECK(f.store.retention_day().value() == kPurgeDay);
}

TEST_CASE("index retention: a recorded day that is not a date reads as never run") {
  RetentionFixture f;
  f.run(kArchiveDay);
  { RawDb(f.file).exec("UPDATE meta SET value = '2033-02-30' WHERE key = 'retention_day'"); }
  CHECK_FALSE(f.store.retention_day().value());  // so the job runs again: nothing lost
}

TEST_CASE("index retention: notices about a purged record go with it, queued or in the feed") {
  RetentionFixture f;
  auto queue = [&f](const std::string& record_id, const std::string& user) {
    RawDb(f.file).exec(
        "INSERT INTO pending_notices (aid, record_id, viewer_authority_id, user_id, role, "
        "purpose, time_ms) SELECT aid, '" + record_id + "', 'leeds', '" + user +
        "', 1, 1, 5 FROM authorities WHERE authority_id = 'kent'");
  };
  queue("k-1", "u-1");  // flushed into one item naming k-1 and k-2
  queue("k-2", "u-2");
  auto flushed = f.store.flush_notices(kNowMs, f.signing);
  REQUIRE(flushed.ok());
  REQUIRE(flushed->size() == 1);
  const std::uint64_t item_seq = (*flushed)[0].feed_seq;
  queue("k-1", "u-3");  // still queued at the purge
  queue("k-2", "u-4");
  f.apply("kent", {f.kent.remove("k-1")});
  f.apply("leeds", {f.leeds.remove("l-1")});
  f.ack_feeds();
  REQUIRE(f.run(kPurgeDay).purged.size() == 2);
  {
    RawDb raw(f.file);
    CHECK(raw.scalar("SELECT count(*) FROM pending_notices WHERE record_id = 'k-1'") == 0);
    CHECK(raw.scalar("SELECT count(*) FROM pending_notices WHERE record_id = 'k-2'") == 1);
    const std::int64_t aid = raw.scalar("SELECT aid FROM authorities WHERE authority_id = 'kent'");
    const std::int64_t id = aegis::index::schema::log_key(aid, item_seq);
    CHECK(raw.scalar("SELECT length(wire) FROM feed WHERE id = " + std::to_string(id)) == 0);
    CHECK(raw.scalar("SELECT count(*) FROM purged_feed WHERE id = " + std::to_string(id)) == 1);
  }
  f.check_intact();
  // k-2's notice still reaches kent.
  auto again = f.store.flush_notices(kNowMs, f.signing);
  REQUIRE(again.ok());
  CHECK(again->size() == 1);
  f.check_intact();
}
