// Resolution wired into the index store (docs/index-store.md, "Resolution"): the national id is
// the cluster's id, national_id items reach the authority of every record whose id changed,
// elsewhere items tell each authority what it may see of the same child elsewhere, everything
// survives a restart, and a failed transaction leaves the engine as the store is.
#include <algorithm>

#include "index_fixture.hpp"

using namespace aegis::test;
using namespace aegis::test::index_fixtures;
using aegis::index::IndexErrc;

namespace {

constexpr const char* kSharedNhs = "9434765919";

// The child of sample_child with only an NHS number (the token two authorities share).
ChildRecord same_child(const std::string& record_id) {
  ChildRecord r = sample_child(record_id);
  r.details.upn.reset();
  r.details.uln.reset();
  r.details.nhs_number = kSharedNhs;
  return r;
}

// The same child, shielded where this record is held (its details sealed).
ChildRecord same_child_shielded(const std::string& record_id) {
  ChildRecord r = sample_shielded_child(record_id);
  r.identity = sample_child(record_id).identity;
  r.details.upn.reset();
  r.details.uln.reset();
  r.details.nhs_number = kSharedNhs;
  return r;
}

std::string national_id(IndexStore& store, const std::string& authority, const std::string& id) {
  auto r = store.record(authority, id);
  REQUIRE(r.ok());
  REQUIRE(r->has_value());
  REQUIRE((*r)->national_id);
  return *(*r)->national_id;
}

std::vector<ElsewhereLink> elsewhere(const std::vector<FeedItem>& items) {
  std::vector<ElsewhereLink> out;
  for (const FeedItem& i : items)
    if (i.kind == FeedKind::elsewhere) out.push_back(i.elsewhere);
  return out;
}

std::vector<NationalIdAssignment> assignments(const std::vector<FeedItem>& items) {
  std::vector<NationalIdAssignment> out;
  for (const FeedItem& i : items)
    for (const NationalIdAssignment& n : i.national_ids) out.push_back(n);
  return out;
}

void require_intact(IndexFixture& f) {
  auto report = f.store.verify_all(f.trust);
  REQUIRE(report.ok());
  for (const auto& a : report->authorities)
    INFO(a.authority_id << ": " << (a.problem ? a.problem->code + " " + a.problem->detail : ""));
  CHECK(report->intact());
}

// Leeds holds the child first under another name (its own cluster, the older id), Kent then
// holds it, and Leeds corrects its record: the two clusters merge.
struct Merged {
  std::string leeds_id;  // minted first: kept
  std::string kent_id;   // became an alias
  ApplyResult merge;
};
Merged merge_kent_and_leeds(IndexFixture& f, Chain& kent, Chain& leeds) {
  ChildRecord other = same_child("l-1");
  other.identity.name = {"Zara", "", "Quennell"};
  other.details.nhs_number.reset();
  other.details.address = Address{{"3 Elsewhere Street", "Leeds"}, "LS2 9JT"};
  f.apply("leeds", {leeds.upsert(other)});
  f.apply("kent", {kent.upsert(same_child("k-1"))});
  Merged m;
  m.leeds_id = national_id(f.store, "leeds", "l-1");
  m.kent_id = national_id(f.store, "kent", "k-1");
  REQUIRE(m.leeds_id != m.kent_id);
  m.merge = f.apply("leeds", {leeds.upsert(same_child("l-1"))});
  return m;
}

}  // namespace

TEST_CASE("resolution: one child at two authorities gets one national id, the older kept") {
  IndexFixture f;
  Chain kent = Chain::kent(), leeds = Chain::leeds();
  Merged m = merge_kent_and_leeds(f, kent, leeds);
  CHECK(national_id(f.store, "leeds", "l-1") == m.leeds_id);
  CHECK(national_id(f.store, "kent", "k-1") == m.leeds_id);  // moved by Leeds's change

  // Kent's record changed id through Leeds's Push: Kent's feed says so, and the result names
  // Kent's feed so aegisd pumps it.
  std::vector<FeedItem> kent_feed = f.verified_feed("kent");
  std::vector<NationalIdAssignment> kent_ids = assignments(kent_feed);
  REQUIRE(kent_ids.size() == 2);
  CHECK(kent_ids.back() == NationalIdAssignment{"k-1", m.leeds_id});
  REQUIRE(m.merge.other_feeds.size() == 1);
  CHECK(m.merge.other_feeds[0].authority_id == "kent");
  CHECK(m.merge.other_feeds[0].feed_seq == kent_feed.back().seq);
  // Leeds's own record kept its id: no national_id item in this Push.
  std::vector<FeedItem> leeds_feed = f.verified_feed("leeds");
  CHECK(assignments(leeds_feed).size() == 1);  // only its first

  // The alias and the history.
  RawDb raw(f.file);
  CHECK(raw.scalar("SELECT count(*) FROM current_national_ids WHERE national_id = '" + m.kent_id +
                   "' AND alias_of = '" + m.leeds_id + "'") == 1);
  CHECK(raw.scalar("SELECT count(*) FROM current_national_ids WHERE alias_of IS NULL") == 1);
  CHECK(raw.scalar("SELECT count(*) FROM linkage_events WHERE kind = 'merged' AND national_id = '" +
                   m.leeds_id + "' AND previous_ids = '" + m.kent_id + "'") == 1);
  CHECK(raw.scalar("SELECT count(*) FROM linkage_events e JOIN linkage_event_records r "
                   "ON r.event_id = e.id WHERE e.kind = 'merged' AND r.authority_id = 'kent' "
                   "AND r.record_id = 'k-1'") == 1);
  require_intact(f);
}

TEST_CASE("resolution: each authority is told what it may see of the other record") {
  IndexFixture f;
  Chain kent = Chain::kent(), leeds = Chain::leeds();
  Merged m = merge_kent_and_leeds(f, kent, leeds);

  std::vector<ElsewhereLink> to_kent = elsewhere(f.verified_feed("kent"));
  std::vector<ElsewhereLink> to_leeds = elsewhere(f.verified_feed("leeds"));
  REQUIRE(to_kent.size() == 1);
  REQUIRE(to_leeds.size() == 1);
  CHECK(to_kent[0].record_id == "k-1");
  CHECK(to_kent[0].national_id == m.leeds_id);
  CHECK(to_kent[0].other_authority_id == "leeds");
  CHECK(to_kent[0].other_record_id == "l-1");
  CHECK(to_kent[0].state == ElsewhereState::linked);
  REQUIRE(to_kent[0].details);
  CHECK(*to_kent[0].details == details_for_elsewhere(same_child("l-1").details));
  CHECK_FALSE(to_kent[0].details->address);      // never the address
  CHECK_FALSE(to_kent[0].details->nhs_number);   // nor identifiers
  CHECK(to_leeds[0].record_id == "l-1");
  CHECK(to_leeds[0].other_authority_id == "kent");
  CHECK(to_leeds[0].other_record_id == "k-1");
  CHECK(to_leeds[0].state == ElsewhereState::linked);

  // The same version again, and an update of nothing another authority sees: no resend.
  ApplyResult again = f.apply("leeds", {leeds.upsert(same_child("l-1"))});
  CHECK(again.other_feeds.empty());
  CHECK(elsewhere(f.verified_feed("kent")).size() == 1);
  // A change Kent may see (a new contact phone) is sent once.
  ChildRecord moved = same_child("l-1");
  moved.details.contacts[0].phones = {"07700 900999"};
  ApplyResult changed = f.apply("leeds", {leeds.upsert(moved)});
  REQUIRE(changed.other_feeds.size() == 1);
  to_kent = elsewhere(f.verified_feed("kent"));
  REQUIRE(to_kent.size() == 2);
  CHECK(to_kent[1].details->contacts[0].phones == std::vector<std::string>{"07700 900999"});
  require_intact(f);
}

TEST_CASE("resolution: a shielded record is only 'known to', never its details") {
  IndexFixture f;
  Chain kent = Chain::kent(), leeds = Chain::leeds();
  f.apply("kent", {kent.upsert(same_child("k-1"))});
  ApplyResult r = f.apply("leeds", {leeds.upsert(same_child_shielded("l-s"))});
  const std::string id = national_id(f.store, "kent", "k-1");
  CHECK(national_id(f.store, "leeds", "l-s") == id);  // matched on identity and token only

  std::vector<ElsewhereLink> to_kent = elsewhere(f.verified_feed("kent"));
  REQUIRE(to_kent.size() == 1);
  CHECK(to_kent[0].state == ElsewhereState::shielded);
  CHECK_FALSE(to_kent[0].details);
  auto wires = f.store.feed_range("kent", 1, 100);
  REQUIRE(wires.ok());
  for (const Bytes& w : *wires) {
    CHECK_FALSE(contains_bytes(w, "Secretcanary"));
    CHECK_FALSE(contains_bytes(w, "LS1 4ZZ"));
  }
  // Leeds, holding the shielded record, may see Kent's clear one.
  std::vector<ElsewhereLink> to_leeds = elsewhere(f.verified_feed("leeds"));
  REQUIRE(to_leeds.size() == 1);
  CHECK(to_leeds[0].state == ElsewhereState::linked);
  CHECK(to_leeds[0].details);
  REQUIRE(r.other_feeds.size() == 1);
  CHECK(r.other_feeds[0].authority_id == "kent");
}

TEST_CASE("resolution: records of one authority are not told about each other") {
  IndexFixture f;
  Chain kent = Chain::kent();
  ApplyResult r = f.apply("kent", {kent.upsert(same_child("k-1")), kent.upsert(same_child("k-2"))});
  CHECK(national_id(f.store, "kent", "k-1") == national_id(f.store, "kent", "k-2"));
  CHECK(elsewhere(f.verified_feed("kent")).empty());
  CHECK(r.other_feeds.empty());
}

TEST_CASE("resolution: a delete unlinks the pair and retires the id it leaves empty") {
  IndexFixture f;
  Chain kent = Chain::kent(), leeds = Chain::leeds();
  f.apply("kent", {kent.upsert(same_child("k-1"))});
  f.apply("leeds", {leeds.upsert(same_child("l-1"))});
  const std::string id = national_id(f.store, "kent", "k-1");
  ApplyResult del = f.apply("kent", {kent.remove("k-1")});
  REQUIRE(del.other_feeds.size() == 1);
  std::vector<ElsewhereLink> to_leeds = elsewhere(f.verified_feed("leeds"));
  REQUIRE(to_leeds.size() == 2);
  CHECK(to_leeds[1].record_id == "l-1");
  CHECK(to_leeds[1].other_record_id == "k-1");
  CHECK(to_leeds[1].state == ElsewhereState::unlinked);
  CHECK_FALSE(to_leeds[1].details);
  CHECK(elsewhere(f.verified_feed("kent")).size() == 1);  // Kent deleted it: not told again
  auto part = f.store.partition();
  REQUIRE(part.ok());
  CHECK(*part == std::vector<std::vector<aegis::resolve::RecordRef>>{{{"leeds", "l-1"}}});
  CHECK(national_id(f.store, "leeds", "l-1") == id);

  RawDb raw(f.file);
  CHECK(raw.scalar("SELECT count(*) FROM elsewhere_sent") == 0);
  CHECK(raw.scalar("SELECT count(*) FROM linkage_events WHERE kind = 'removed'") == 1);
  f.apply("leeds", {leeds.remove("l-1")});
  CHECK(raw.scalar("SELECT retired FROM current_national_ids WHERE national_id = '" + id + "'") == 1);
  CHECK(raw.scalar("SELECT count(*) FROM linkage_events WHERE kind = 'retired'") == 1);
  require_intact(f);
}

TEST_CASE("resolution: a split mints a new id and unlinks both ways") {
  IndexFixture f;
  Chain kent = Chain::kent(), leeds = Chain::leeds();
  f.apply("kent", {kent.upsert(same_child("k-1"))});
  f.apply("leeds", {leeds.upsert(same_child("l-1"))});
  const std::string id = national_id(f.store, "kent", "k-1");
  ChildRecord twin = same_child("l-1");  // Leeds corrects the NHS number: another child
  twin.details.nhs_number = nhs_number_for("twin");
  ApplyResult r = f.apply("leeds", {leeds.upsert(twin)});
  CHECK(national_id(f.store, "kent", "k-1") != national_id(f.store, "leeds", "l-1"));
  std::vector<ElsewhereLink> to_kent = elsewhere(f.verified_feed("kent"));
  REQUIRE(to_kent.size() == 2);
  CHECK(to_kent[1].state == ElsewhereState::unlinked);
  std::vector<ElsewhereLink> to_leeds = elsewhere(f.verified_feed("leeds"));
  REQUIRE(to_leeds.size() == 2);
  CHECK(to_leeds[1].state == ElsewhereState::unlinked);
  CHECK(to_leeds[1].national_id == national_id(f.store, "leeds", "l-1"));
  require_intact(f);
}

TEST_CASE("resolution: reopening keeps every id and the partition, and mints nothing") {
  IndexFixture f;
  Chain kent = Chain::kent(), leeds = Chain::leeds(), york = Chain::york();
  merge_kent_and_leeds(f, kent, leeds);
  f.apply("york", {york.upsert(same_child_shielded("y-1")), york.upsert(child("y-2"))});
  f.apply("kent", {kent.upsert(child("k-2")), kent.upsert(child("k-3"))});
  f.apply("kent", {kent.remove("k-3")});
  auto before = f.store.partition();
  REQUIRE(before.ok());
  CHECK(before->size() == 3);  // the child (k-1, l-1, y-1), y-2, k-2
  std::vector<std::string> ids;
  for (const auto& cluster : *before)
    for (const auto& r : cluster) ids.push_back(national_id(f.store, r.authority_id, r.record_id));
  RawDb raw(f.file);
  const std::int64_t events = raw.scalar("SELECT count(*) FROM linkage_events");

  for (const auto merge_every : {std::uint64_t{1}, std::uint64_t{100000}}) {
    aegis::index::OpenOptions options;
    options.merge_every = merge_every;
    auto reopened = IndexStore::open(f.file, options);
    REQUIRE(reopened.ok());
    auto after = reopened->partition();
    REQUIRE(after.ok());
    CHECK(*after == *before);
    std::vector<std::string> ids_after;
    for (const auto& cluster : *after)
      for (const auto& r : cluster)
        ids_after.push_back(national_id(*reopened, r.authority_id, r.record_id));
    CHECK(ids_after == ids);
    CHECK(raw.scalar("SELECT count(*) FROM linkage_events") == events);
  }
  // An update after the restart changes no id, mints none and tells nobody anything new.
  f.store = std::move(IndexStore::open(f.file).value());
  int minted = 0;
  f.signing.national_id_bits = [&minted, inner = counter_bits(99)] {
    ++minted;
    return inner();
  };
  ApplyResult r = f.apply("kent", {kent.upsert(same_child("k-1"))});
  CHECK(minted == 0);
  CHECK(r.other_feeds.empty());
  CHECK(r.feed_items.size() == 1);  // the `applied` item only
  require_intact(f);
}

TEST_CASE("resolution: national ids wait in their log until the merge and read the same after") {
  IndexFixture f;  // the default merge threshold: nothing here merges by itself
  Chain kent = Chain::kent(), leeds = Chain::leeds(), york = Chain::york();
  Merged m = merge_kent_and_leeds(f, kent, leeds);
  f.apply("york", {york.upsert(child("y-1")), york.upsert(child("y-2"))});
  const std::string y1 = national_id(f.store, "york", "y-1");
  const std::string y2 = national_id(f.store, "york", "y-2");
  RawDb raw(f.file);
  // Appended in minting order, none in national_ids yet; the alias is on the log row.
  CHECK(raw.scalar("SELECT count(*) FROM national_ids") == 0);
  CHECK(raw.rows("SELECT national_id, alias_of FROM national_id_log ORDER BY minted_order") ==
        m.leeds_id + "|NULL|\n" + m.kent_id + "|" + m.leeds_id + "|\n" + y1 + "|NULL|\n" + y2 +
            "|NULL|\n");
  auto follows = [&](IndexStore& store, const std::string& from, const std::string& to) {
    auto sar = store.subject_access(from);
    REQUIRE(sar.ok());
    CHECK(sar->national_id == to);
  };
  follows(f.store, m.kent_id, m.leeds_id);

  // A reopen finds the logged ids again: a retirement after it lands on the log row.
  f.store = std::move(IndexStore::open(f.file).value());
  f.apply("york", {york.remove("y-1")});
  CHECK(raw.scalar("SELECT retired FROM national_id_log WHERE national_id = '" + y1 + "'") == 1);
  CHECK(raw.scalar("SELECT count(*) FROM national_ids") == 0);

  // The merge files them by id, and every read gives what it gave before.
  const std::string view = "SELECT * FROM current_national_ids ORDER BY minted_order";
  const std::string before = raw.rows(view);
  REQUIRE(f.store.merge_states().ok());
  CHECK(raw.scalar("SELECT count(*) FROM national_id_log") == 0);
  CHECK(raw.scalar("SELECT count(*) FROM national_ids") == 4);
  const std::string merged = raw.rows(view);
  CHECK(merged == before);
  CHECK(raw.rows("SELECT * FROM national_ids ORDER BY minted_order") == merged);
  CHECK(merged.find(y1 + "|3|NULL|1|") != std::string::npos);
  follows(f.store, m.kent_id, m.leeds_id);
  follows(f.store, y2, y2);

  // Ids minted after the merge are logged again; a retirement of a merged id lands on its
  // national_ids row; a reopen with both reads the same.
  f.apply("york", {york.upsert(child("y-3")), york.remove("y-2")});
  const std::string y3 = national_id(f.store, "york", "y-3");
  CHECK(raw.rows("SELECT national_id, minted_order FROM national_id_log") == y3 + "|5|\n");
  CHECK(raw.scalar("SELECT retired FROM national_ids WHERE national_id = '" + y2 + "'") == 1);
  auto reopened = IndexStore::open(f.file);
  REQUIRE(reopened.ok());
  follows(*reopened, m.kent_id, m.leeds_id);
  auto totals = reopened->metric_counts();
  REQUIRE(totals.ok());
  CHECK(totals->national_ids == 2);  // the child's id and y-3's
  require_intact(f);
}

TEST_CASE("resolution: a failed transaction leaves the engine as the store is") {
  IndexFixture f;
  Chain kent = Chain::kent(), leeds = Chain::leeds();
  f.apply("kent", {kent.upsert(same_child("k-1"))});
  RawDb raw(f.file);
  raw.exec("CREATE TRIGGER fail_feed BEFORE INSERT ON feed "
           "WHEN (SELECT count(*) FROM feed) >= 3 "
           "BEGIN SELECT RAISE(ABORT, 'injected failure'); END");
  std::vector<Bytes> batch = {leeds.upsert(same_child("l-1"))};
  auto failed = f.store.apply_batch("leeds", batch, f.trust, kNowMs, f.signing);
  REQUIRE_FALSE(failed.ok());
  CHECK(failed.error().code == IndexErrc::sqlite);
  // The engine linked l-1 in memory before the failure; the store has no l-1.
  auto part = f.store.partition();
  REQUIRE(part.ok());
  CHECK(*part == std::vector<std::vector<aegis::resolve::RecordRef>>{{{"kent", "k-1"}}});
  auto missing = f.store.record("leeds", "l-1");
  REQUIRE(missing.ok());
  CHECK_FALSE(missing->has_value());

  raw.exec("DROP TRIGGER fail_feed");
  ApplyResult ok = f.apply("leeds", batch);
  CHECK(ok.applied_count == 1);
  CHECK(national_id(f.store, "leeds", "l-1") == national_id(f.store, "kent", "k-1"));
  CHECK(elsewhere(f.verified_feed("kent")).size() == 1);
  require_intact(f);
}

TEST_CASE("resolution: a cluster too large to be one child tells nobody") {
  IndexFixture f;
  Chain kent = Chain::kent(), leeds = Chain::leeds();
  f.apply("leeds", {leeds.upsert(same_child("l-1"))});
  std::vector<Bytes> batch;
  for (int i = 0; i < 8; ++i) batch.push_back(kent.upsert(same_child("k-" + std::to_string(i))));
  f.apply("kent", batch);
  CHECK(elsewhere(f.verified_feed("leeds")).size() == 8);  // a small cluster: told
  batch.clear();
  for (int i = 8; i < 40; ++i) batch.push_back(kent.upsert(same_child("k-" + std::to_string(i))));
  ApplyResult r = f.apply("kent", batch);
  CHECK(national_id(f.store, "kent", "k-39") == national_id(f.store, "leeds", "l-1"));
  // 41 records: what Leeds was told is withdrawn, nothing more is sent.
  std::vector<ElsewhereLink> to_leeds = elsewhere(f.verified_feed("leeds"));
  REQUIRE(to_leeds.size() == 16);
  for (std::size_t i = 8; i < 16; ++i) CHECK(to_leeds[i].state == ElsewhereState::unlinked);
  RawDb raw(f.file);
  CHECK(raw.scalar("SELECT count(*) FROM elsewhere_sent") == 0);
  require_intact(f);
}
