// Operator review at the index store (docs/resolution.md, "Review queue", "Operator commands and
// export"): the persisted review queue with its evidence, operator decisions taking effect at
// once and surviving a restart ("not the same child" is never linked again automatically), bad
// requests changing nothing, the full re-resolution giving the partition and ids of incremental
// arrival, and the links export.
#include <algorithm>
#include <map>
#include <random>

#include "aegis/protocol/audit.hpp"
#include "index_fixture.hpp"

using namespace aegis::test;
using namespace aegis::test::index_fixtures;
using aegis::index::DecisionResult;
using aegis::index::IndexErrc;
using aegis::index::LinkedBy;
using aegis::index::OperatorDecision;
using aegis::resolve::DecisionKind;

namespace {

// Amelia with no identifiers (no tokens): only names, date of birth and address can link her.
ChildRecord amelia(const std::string& record_id) {
  ChildRecord r = sample_child(record_id);
  r.details.upn.reset();
  r.details.uln.reset();
  r.details.nhs_number.reset();
  return r;
}

// The same name and date of birth, no middle name, another home: scored for review.
ChildRecord amelia_moved(const std::string& record_id) {
  ChildRecord r = amelia(record_id);
  r.identity.name.middle.clear();
  r.details.address = Address{{"40 Distant Avenue", "Leeds"}, "LS6 2QQ"};
  return r;
}

std::optional<std::string> national_id(IndexStore& store, const std::string& authority,
                                       const std::string& id) {
  auto r = store.record(authority, id);
  REQUIRE(r.ok());
  REQUIRE(r->has_value());
  return (*r)->national_id;
}

bool linked(IndexStore& store) {
  return national_id(store, "kent", "k-1") == national_id(store, "leeds", "l-1");
}

std::int64_t decisions(const std::filesystem::path& file) {
  return RawDb(file).scalar("SELECT count(*) FROM operator_decisions");
}

// Kent's and Leeds's Amelia, one pair waiting for review; returns its id.
std::uint64_t queue_one_pair(IndexFixture& f, Chain& kent, Chain& leeds) {
  f.apply("kent", {kent.upsert(amelia("k-1"))});
  f.apply("leeds", {leeds.upsert(amelia_moved("l-1"))});
  auto count = f.store.review_count();
  REQUIRE(count.ok());
  REQUIRE(*count == 1);
  auto list = f.store.review_list(10);
  REQUIRE(list.ok());
  REQUIRE(list->size() == 1);
  REQUIRE_FALSE(linked(f.store));
  return list->front().id;
}

OperatorDecision decision(DecisionKind kind, std::uint64_t id, std::string reason = "checked") {
  return {kind, id, "op.alice", std::move(reason)};
}

DecisionResult decide(IndexFixture& f, const OperatorDecision& d) {
  auto r = f.store.decide(d, kNowMs, f.signing);
  INFO((r ? std::string() : r.error().message()));
  REQUIRE(r.ok());
  return std::move(r).value();
}

void require_refused(IndexFixture& f, const OperatorDecision& d, IndexErrc code,
                     const std::string& detail_part) {
  const std::int64_t before = decisions(f.file);
  const std::uint64_t audited = *f.store.audit_size();
  auto r = f.store.decide(d, kNowMs, f.signing);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == code);
  CHECK_THAT(r.error().detail, Catch::Matchers::Contains(detail_part));
  CHECK(decisions(f.file) == before);
  CHECK(*f.store.audit_size() == audited);  // a refused decision is not audited as made
}

void require_intact(IndexFixture& f) {
  auto report = f.store.verify_all(f.trust);
  REQUIRE(report.ok());
  CHECK(report->intact());
}

}  // namespace

TEST_CASE("review: a pair scored for review waits in the queue with its evidence") {
  IndexFixture f;
  Chain kent = Chain::kent(), leeds = Chain::leeds();
  const std::uint64_t id = queue_one_pair(f, kent, leeds);
  auto list = f.store.review_list(10);
  REQUIRE(list.ok());
  const auto& p = list->front();
  CHECK(p.a == aegis::resolve::RecordRef{"kent", "k-1"});
  CHECK(p.b == aegis::resolve::RecordRef{"leeds", "l-1"});
  CHECK(p.score >= 13.0);
  CHECK(p.score < 30.0);
  CHECK_THAT(p.evidence, Catch::Matchers::Contains("date_of_birth=agree:"));
  CHECK_THAT(p.evidence, Catch::Matchers::Contains("postcode=disagree:"));
  CHECK(p.evidence.find("upn") == std::string::npos);  // no tokens on either side

  auto detail = f.store.review_pair(id);
  REQUIRE(detail.ok());
  CHECK(detail->a.identity.name.given == "Amelia");
  CHECK(detail->b.identity.date_of_birth == amelia("x").identity.date_of_birth);
  CHECK(detail->score.score == Approx(p.score).margin(0.001));
  CHECK(detail->a.national_id != detail->b.national_id);

  // An unchanged re-upsert keeps the pair and its id.
  f.apply("leeds", {leeds.upsert(amelia_moved("l-1"))});
  auto again = f.store.review_list(10);
  REQUIRE(again.ok());
  REQUIRE(again->size() == 1);
  CHECK(again->front().id == id);
}

TEST_CASE("review: an operator link takes effect at once, is recorded and survives a restart") {
  IndexFixture f;
  Chain kent = Chain::kent(), leeds = Chain::leeds();
  const std::uint64_t id = queue_one_pair(f, kent, leeds);
  const std::string kent_id = *national_id(f.store, "kent", "k-1");
  const std::size_t leeds_feed = f.verified_feed("leeds").size();

  const std::uint64_t audited = *f.store.audit_size();
  DecisionResult r = decide(f, decision(DecisionKind::link, id, "same school report"));
  CHECK(r.decision.id > 0);
  // The decision is in the tamper-evident audit log: one entry, the log still verifies.
  CHECK(*f.store.audit_size() == audited + 1);
  auto audit = f.store.verify_audit(f.trust);
  REQUIRE(audit.ok());
  CHECK(audit->intact());
  {
    RawDb log(f.file);
    const std::vector<std::uint8_t> bytes =
        log.blob("SELECT entry FROM audit_entries ORDER BY idx DESC LIMIT 1");
    auto entry = aegis::protocol::decode_audit_entry(bytes);
    REQUIRE(entry.ok());
    CHECK(entry->action == aegis::protocol::AuditAction::review);
    CHECK(entry->actor == "op.alice");
    CHECK(entry->purpose == "review link");
    CHECK(entry->records.size() == 2);
    CHECK(entry->detail.find("same school report") == std::string::npos);  // reason not logged
  }
  CHECK(r.national_id_a == r.national_id_b);
  CHECK(r.national_id_a == kent_id);  // the older id is kept
  CHECK(linked(f.store));
  CHECK(r.change.records_moved == 1);
  // Leeds is told its record's new id and what it may see of Kent's record; Kent is told too.
  REQUIRE_FALSE(r.change.feeds.empty());
  std::vector<FeedItem> to_leeds = f.verified_feed("leeds");
  REQUIRE(to_leeds.size() > leeds_feed);
  bool told_id = false;
  for (const FeedItem& i : to_leeds)
    for (const auto& n : i.national_ids)
      told_id |= n.record_id == "l-1" && n.national_id == kent_id;
  CHECK(told_id);
  CHECK(std::any_of(to_leeds.begin(), to_leeds.end(), [](const FeedItem& i) {
    return i.kind == FeedKind::elsewhere && i.elsewhere.other_authority_id == "kent";
  }));
  CHECK(*f.store.review_count() == 0);

  RawDb raw(f.file);
  CHECK(raw.scalar("SELECT count(*) FROM operator_decisions WHERE kind = 'link' AND "
                   "operator = 'op.alice' AND reason = 'same school report'") == 1);
  CHECK(raw.scalar("SELECT count(*) FROM linkage_events WHERE decided_by = 'operator'") >= 1);
  require_intact(f);

  // A restart restores the decision: still linked, nothing minted or changed.
  f.store = std::move(IndexStore::open(f.file).value());
  CHECK(linked(f.store));
  ApplyResult again = f.apply("leeds", {leeds.upsert(amelia_moved("l-1"))});
  CHECK(again.other_feeds.empty());
  CHECK(linked(f.store));
  CHECK(*f.store.review_count() == 0);
}

TEST_CASE("review: 'not the same child' is never linked again automatically, across restarts") {
  IndexFixture f;
  Chain kent = Chain::kent(), leeds = Chain::leeds();
  const std::uint64_t id = queue_one_pair(f, kent, leeds);
  DecisionResult r = decide(f, decision(DecisionKind::separate, id, "different mothers"));
  CHECK(r.national_id_a != r.national_id_b);
  CHECK(*f.store.review_count() == 0);

  // Restart; then Leeds's record becomes as like Kent's as a record can be without identifiers:
  // alone it would link on score.
  f.store = std::move(IndexStore::open(f.file).value());
  f.apply("leeds", {leeds.upsert(amelia("l-1"))});
  CHECK_FALSE(linked(f.store));
  CHECK(*f.store.review_count() == 0);  // decided: not asked again
  // Another restart, another change: still separate.
  f.store = std::move(IndexStore::open(f.file).value());
  f.apply("kent", {kent.upsert(amelia("k-1"))});
  CHECK_FALSE(linked(f.store));
  require_intact(f);

  // Without the decision the same records link (the test above can fail).
  IndexFixture g;
  Chain kent2 = Chain::kent(), leeds2 = Chain::leeds();
  g.apply("kent", {kent2.upsert(amelia("k-1"))});
  g.apply("leeds", {leeds2.upsert(amelia("l-1"))});
  CHECK(linked(g.store));
}

TEST_CASE("review: bad decisions are refused and change nothing") {
  IndexFixture f;
  Chain kent = Chain::kent(), leeds = Chain::leeds();
  const std::uint64_t id = queue_one_pair(f, kent, leeds);

  SECTION("an unknown pair") {
    require_refused(f, decision(DecisionKind::link, id + 100), IndexErrc::not_found,
                    "no such pair");
    require_refused(f, decision(DecisionKind::link, 0), IndexErrc::not_found, "no such pair");
    auto show = f.store.review_pair(id + 100);
    REQUIRE_FALSE(show.ok());
    CHECK(show.error().code == IndexErrc::not_found);
  }
  SECTION("a missing or unprintable reason") {
    require_refused(f, decision(DecisionKind::link, id, ""), IndexErrc::invalid_argument, "reason");
    require_refused(f, decision(DecisionKind::link, id, "line\nbreak"), IndexErrc::invalid_argument,
                    "reason");
    require_refused(f, decision(DecisionKind::link, id, std::string(1001, 'x')),
                    IndexErrc::invalid_argument, "reason");
  }
  SECTION("a missing or malformed operator") {
    OperatorDecision d = decision(DecisionKind::separate, id);
    d.operator_id = "";
    require_refused(f, d, IndexErrc::invalid_argument, "operator");
    d.operator_id = "alice smith";
    require_refused(f, d, IndexErrc::invalid_argument, "operator");
  }
  SECTION("a pair already decided") {
    decide(f, decision(DecisionKind::separate, id));
    require_refused(f, decision(DecisionKind::link, id), IndexErrc::gone, "already decided");
    CHECK_FALSE(linked(f.store));
  }
  SECTION("a pair that left the queue: its records now link on their own") {
    f.apply("leeds", {leeds.upsert(amelia("l-1"))});
    REQUIRE(linked(f.store));
    require_refused(f, decision(DecisionKind::separate, id), IndexErrc::gone,
                    "no longer in the review queue");
    CHECK(linked(f.store));
  }
  SECTION("a pair whose record was deleted") {
    f.apply("leeds", {leeds.remove("l-1")});
    CHECK(*f.store.review_count() == 0);
    require_refused(f, decision(DecisionKind::link, id), IndexErrc::gone, "no longer");
    auto show = f.store.review_pair(id);
    REQUIRE_FALSE(show.ok());
    CHECK(show.error().code == IndexErrc::gone);
  }
  CHECK(*f.store.review_count() <= 1);
  require_intact(f);
}

TEST_CASE("review: a failed decision transaction leaves store and engine as they were") {
  IndexFixture f;
  Chain kent = Chain::kent(), leeds = Chain::leeds();
  const std::uint64_t id = queue_one_pair(f, kent, leeds);
  RawDb raw(f.file);
  raw.exec(
      "CREATE TRIGGER fail_feed BEFORE INSERT ON feed "
      "BEGIN SELECT RAISE(ABORT, 'injected failure'); END");
  auto r = f.store.decide(decision(DecisionKind::link, id), kNowMs, f.signing);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == IndexErrc::sqlite);
  CHECK(decisions(f.file) == 0);
  CHECK_FALSE(linked(f.store));  // the engine was rebuilt from the store
  CHECK(*f.store.review_count() == 1);
  raw.exec("DROP TRIGGER fail_feed");
  decide(f, decision(DecisionKind::link, id));
  CHECK(linked(f.store));
}

TEST_CASE("resolve all: the same partition and national ids as incremental arrival") {
  // Children at three authorities: one by identifier, one by score, one for review, singles.
  std::vector<std::pair<std::string, ChildRecord>> records;
  records.push_back({"kent", sample_child("k-1")});
  ChildRecord nhs_only = sample_child("l-1");
  nhs_only.details.upn.reset();
  nhs_only.details.address = Address{{"1 New Road", "Leeds"}, "LS1 1AA"};
  records.push_back({"leeds", nhs_only});
  ChildRecord noah = sample_child("k-2");
  noah.identity.name = {"Noah", "James", "Whitfield"};
  noah.identity.former_names.clear();
  noah.identity.date_of_birth = *Date::parse("2017-11-02");
  noah.details.upn.reset();
  noah.details.uln.reset();
  noah.details.nhs_number.reset();
  records.push_back({"kent", noah});
  ChildRecord noah_york = noah;
  noah_york.record_id = "y-1";
  records.push_back({"york", noah_york});
  records.push_back({"york", amelia("y-2")});
  records.push_back({"leeds", amelia_moved("l-2")});
  ChildRecord lone = noah;
  lone.record_id = "l-3";
  lone.identity.name = {"Isla", "", "Mbeki"};
  lone.identity.date_of_birth = *Date::parse("2012-01-30");
  records.push_back({"leeds", lone});

  // Incremental: one record per Push, in a shuffled order.
  IndexFixture one;
  {
    std::map<std::string, Chain> chains{
        {"kent", Chain::kent()}, {"leeds", Chain::leeds()}, {"york", Chain::york()}};
    std::vector<std::size_t> order(records.size());
    for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::shuffle(order.begin(), order.end(), std::mt19937(7));
    for (std::size_t i : order)
      one.apply(records[i].first, {chains.at(records[i].first).upsert(records[i].second)});
  }
  // All at once: one Push per authority.
  IndexFixture all;
  {
    std::map<std::string, Chain> chains{
        {"kent", Chain::kent()}, {"leeds", Chain::leeds()}, {"york", Chain::york()}};
    std::map<std::string, std::vector<Bytes>> pushes;
    for (auto& [a, r] : records) pushes[a].push_back(chains.at(a).upsert(r));
    for (auto& [a, batch] : pushes) all.apply(a, batch);
  }
  auto p1 = one.store.partition();
  auto p2 = all.store.partition();
  REQUIRE(p1.ok());
  REQUIRE(p2.ok());
  CHECK(*p1 == *p2);
  CHECK(p1->size() == 4);  // Amelia x2 (k-1, l-1), Noah (k-2, y-1), y-2 + l-2 (review), l-3...
  const std::uint64_t queued = *one.store.review_count();
  CHECK(queued >= 1);
  CHECK(queued == *all.store.review_count());

  std::map<std::string, std::optional<std::string>> ids;
  for (auto& [a, r] : records) ids[a + "/" + r.record_id] = national_id(one.store, a, r.record_id);
  RawDb raw(one.file);
  const std::int64_t events = raw.scalar("SELECT count(*) FROM linkage_events");
  const auto feed_before = one.verified_feed("kent").size();
  int minted = 0;
  one.signing.national_id_bits = [&minted, inner = counter_bits(50)] {
    ++minted;
    return inner();
  };

  auto full = one.store.resolve_all(kNowMs, one.signing);
  REQUIRE(full.ok());
  CHECK(full->change.events.empty());
  CHECK(full->change.records_moved == 0);
  CHECK(full->change.feeds.empty());
  CHECK(full->records == records.size());
  CHECK(full->clusters == p1->size());
  CHECK(full->review_pairs == queued);
  CHECK(minted == 0);
  auto after = one.store.partition();
  REQUIRE(after.ok());
  CHECK(*after == *p1);
  for (auto& [a, r] : records)
    CHECK(national_id(one.store, a, r.record_id) == ids[a + "/" + r.record_id]);
  CHECK(raw.scalar("SELECT count(*) FROM linkage_events") == events);
  CHECK(one.verified_feed("kent").size() == feed_before);
  CHECK(*one.store.review_count() == queued);

  // With a decision in force, too.
  auto list = one.store.review_list(1);
  REQUIRE(list.ok());
  REQUIRE(list->size() == 1);
  decide(one, decision(DecisionKind::link, list->front().id));
  auto p3 = one.store.partition();
  auto again = one.store.resolve_all(kNowMs, one.signing);
  REQUIRE(again.ok());
  CHECK(again->change.events.empty());
  CHECK(*one.store.partition() == *p3);
  require_intact(one);
}

TEST_CASE("resolve all: a queue row the engine no longer holds is dropped, a missing one added") {
  IndexFixture f;
  Chain kent = Chain::kent(), leeds = Chain::leeds();
  const std::uint64_t id = queue_one_pair(f, kent, leeds);
  RawDb raw(f.file);
  raw.exec(
      "INSERT INTO review_queue (a_authority_id, a_record_id, b_authority_id, b_record_id, "
      "score, cap, evidence, since_ms) VALUES ('kent', 'nope', 'leeds', 'nope', 20.0, "
      "'none', '', 1)");
  raw.exec("DELETE FROM review_queue WHERE id = " + std::to_string(id));
  REQUIRE(*f.store.review_count() == 1);
  auto full = f.store.resolve_all(kNowMs, f.signing);
  REQUIRE(full.ok());
  auto list = f.store.review_list(10);
  REQUIRE(list.ok());
  REQUIRE(list->size() == 1);
  CHECK(list->front().a == aegis::resolve::RecordRef{"kent", "k-1"});
  CHECK(list->front().b == aegis::resolve::RecordRef{"leeds", "l-1"});
}

TEST_CASE("links: one row per live record, saying how it is linked") {
  IndexFixture f;
  Chain kent = Chain::kent(), leeds = Chain::leeds(), york = Chain::york();
  const std::uint64_t id = queue_one_pair(f, kent, leeds);  // k-1, l-1 (review)
  decide(f, decision(DecisionKind::link, id));
  ChildRecord nhs = sample_child("y-1");  // an identifier match to no one yet
  nhs.identity.name = {"Noah", "", "Whitfield"};
  nhs.identity.former_names.clear();
  nhs.identity.date_of_birth = *Date::parse("2017-11-02");
  ChildRecord nhs_other = nhs;
  nhs_other.record_id = "k-2";
  nhs_other.details.address = Address{{"9 Far Road", "Maidstone"}, "ME15 6AA"};
  f.apply("york", {york.upsert(nhs)});
  f.apply("kent", {kent.upsert(nhs_other)});
  ChildRecord lone = amelia("k-3");
  lone.identity.name = {"Isla", "", "Mbeki"};
  lone.identity.former_names.clear();
  lone.identity.date_of_birth = *Date::parse("2012-01-30");
  f.apply("kent", {kent.upsert(lone), kent.upsert(amelia("k-4")), kent.remove("k-4")});

  auto rows = f.store.links();
  REQUIRE(rows.ok());
  std::map<std::string, aegis::index::LinkRow> by;
  for (const auto& r : *rows) by[r.record.authority_id + "/" + r.record.record_id] = r;
  CHECK(by.size() == 5);  // k-4 was deleted
  CHECK(by.at("kent/k-1").how == LinkedBy::operator_);
  CHECK(by.at("leeds/l-1").how == LinkedBy::operator_);
  CHECK(by.at("kent/k-1").national_id == by.at("leeds/l-1").national_id);
  CHECK(by.at("york/y-1").how == LinkedBy::identifier);
  CHECK(by.at("kent/k-2").how == LinkedBy::identifier);
  CHECK(by.at("york/y-1").score.value_or(0) > 30);
  CHECK(by.at("kent/k-3").how == LinkedBy::single);
  CHECK_FALSE(by.at("kent/k-3").score);
  for (const auto& [k, r] : by)
    CHECK(r.national_id == national_id(f.store, r.record.authority_id, r.record.record_id));
  CHECK(aegis::index::linked_by_name(LinkedBy::operator_) == "operator");
}

TEST_CASE("links: two records linked on score without identifiers say 'score'") {
  IndexFixture f;
  Chain kent = Chain::kent(), leeds = Chain::leeds();
  f.apply("kent", {kent.upsert(amelia("k-1"))});
  f.apply("leeds", {leeds.upsert(amelia("l-1"))});
  auto rows = f.store.links();
  REQUIRE(rows.ok());
  REQUIRE(rows->size() == 2);
  for (const auto& r : *rows) {
    CHECK(r.how == LinkedBy::score);
    CHECK(r.score.value_or(0) >= 30);
  }
}
