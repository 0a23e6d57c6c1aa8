// The Resolver: clusters and national ids (merge keeps the older id, split mints one, aliases),
// operator decisions (separate is never overridden, link holds), events, the review queue,
// restoring state, incremental == full in random orders, blocking that stays linear.
#include <catch2/catch.hpp>

#include <algorithm>
#include <random>

#include "fixtures.hpp"

using namespace aegis::resolve;
using aegis::protocol::Gender;
using test::Child;
using test::Minter;
using test::token;

namespace {

Child kent(const std::string& id) {
  Child c;
  c.authority = "kent";
  c.record_id = id;
  return c;
}

Child leeds(const std::string& id) {
  Child c = kent(id);
  c.authority = "leeds";
  c.postcode = "LS1 4AP";
  c.line1 = "1 Park Row";
  return c;
}

const LinkageEvent* find_event(const std::vector<LinkageEvent>& events, ChangeKind kind) {
  for (const auto& e : events) {
    if (e.kind == kind) return &e;
  }
  return nullptr;
}

bool together(const Resolver& r, const Child& a, const Child& b) {
  return r.national_id(a.ref()) && r.national_id(a.ref()) == r.national_id(b.ref());
}

}  // namespace

TEST_CASE("records with the same identifier token share one national id") {
  Minter m;
  Resolver r({}, m.fn());
  Child a = kent("k1");
  a.tokens = {token(IdentifierKind::nhs_number, "n1")};
  Child b = leeds("l1");
  b.tokens = a.tokens;
  const auto e1 = r.upsert(a.record());
  REQUIRE(e1.size() == 1);
  CHECK(e1[0].kind == ChangeKind::created);
  CHECK(e1[0].national_id == "N1");
  CHECK(e1[0].decided_by == Decider::engine);
  CHECK(e1[0].records == std::vector<RecordRef>{a.ref()});
  const auto e2 = r.upsert(b.record());
  REQUIRE(e2.size() == 1);
  CHECK(e2[0].kind == ChangeKind::joined);
  CHECK(e2[0].national_id == "N1");
  CHECK(e2[0].records == std::vector<RecordRef>{b.ref()});
  CHECK(r.national_id(b.ref()) == "N1");
  CHECK(r.cluster_of(a.ref()) == std::vector<RecordRef>{a.ref(), b.ref()});
  CHECK(r.stats().clusters == 1);
  CHECK(r.stats().link_pairs == 1);
  // Upserting the same record again changes nothing.
  CHECK(r.upsert(b.record()).empty());
}

TEST_CASE("a merge keeps the older national id; the other becomes an alias") {
  Minter m;
  Resolver r({}, m.fn());
  Child a = kent("k1");
  a.tokens = {token(IdentifierKind::nhs_number, "n1")};
  Child b = leeds("l1");  // moved, no token: review at most, so its own id
  b.tokens = {token(IdentifierKind::upn, "u1")};
  r.upsert(a.record());
  r.upsert(b.record());
  REQUIRE(r.national_id(a.ref()) == "N1");
  REQUIRE(r.national_id(b.ref()) == "N2");
  Child c = leeds("l2");
  c.authority = "york";
  c.tokens = {token(IdentifierKind::nhs_number, "n1"), token(IdentifierKind::upn, "u1")};
  const auto events = r.upsert(c.record());
  CHECK(r.national_id(a.ref()) == "N1");
  CHECK(r.national_id(b.ref()) == "N1");
  CHECK(r.national_id(c.ref()) == "N1");
  const LinkageEvent* merged = find_event(events, ChangeKind::merged);
  REQUIRE(merged);
  CHECK(merged->national_id == "N1");
  CHECK(merged->previous_ids == std::vector<std::string>{"N2"});
  CHECK(merged->records == std::vector<RecordRef>{b.ref()});
  CHECK(r.minted_order("N1") < r.minted_order("N2"));
  CHECK_FALSE(find_event(events, ChangeKind::created));
}

TEST_CASE("the older id wins by minting order, not by name or size") {
  Minter m;
  Resolver r({}, m.fn());
  r.restore_national_id(kent("k1").ref(), "OLD-Z", 5);
  r.restore_national_id(leeds("l1").ref(), "OLD-A", 9);
  r.restore_national_id(leeds("l2").ref(), "OLD-A", 9);
  Child a = kent("k1");
  Child b = leeds("l1");
  Child c = leeds("l2");
  c.given = "Oliva";
  a.tokens = b.tokens = c.tokens = {token(IdentifierKind::nhs_number, "n1")};
  r.upsert_many({b.record(), c.record(), a.record()});
  CHECK(r.national_id(a.ref()) == "OLD-Z");
  CHECK(r.national_id(b.ref()) == "OLD-Z");
  CHECK(m.next == 0);  // nothing minted
}

TEST_CASE("an operator separate splits a cluster, mints an id, and is never undone automatically") {
  Minter m;
  Resolver r({}, m.fn());
  Child a = kent("k1");
  Child b = leeds("l1");
  a.tokens = b.tokens = {token(IdentifierKind::nhs_number, "n1")};
  r.upsert(a.record());
  r.upsert(b.record());
  REQUIRE(together(r, a, b));
  const auto events = r.decide({DecisionKind::separate, a.ref(), b.ref(), "ticket 42"});
  CHECK_FALSE(together(r, a, b));
  CHECK(r.national_id(a.ref()) == "N1");  // first in ref order keeps the id (1 record each)
  CHECK(r.national_id(b.ref()) == "N2");
  const LinkageEvent* split = find_event(events, ChangeKind::split);
  REQUIRE(split);
  CHECK(split->national_id == "N2");
  CHECK(split->previous_ids == std::vector<std::string>{"N1"});
  CHECK(split->decided_by == Decider::operator_);
  CHECK(split->reason == "operator separate: ticket 42");
  // New versions of either record do not bring them back together.
  b.given = "Olivia";
  b.line1 = "2 Park Row";
  r.upsert(b.record());
  r.upsert(a.record());
  CHECK_FALSE(together(r, a, b));
  // A later operator link replaces the separate.
  r.decide({DecisionKind::link, b.ref(), a.ref(), ""});
  CHECK(together(r, a, b));
  CHECK(r.national_id(a.ref()) == "N1");
}

TEST_CASE("a separated pair never ends up in one cluster through a third record") {
  Minter m;
  Resolver r({}, m.fn());
  Child a = kent("k1");
  Child b = leeds("l1");
  Child c = leeds("l2");
  c.authority = "york";
  a.tokens = {token(IdentifierKind::upn, "u1")};
  b.tokens = {token(IdentifierKind::nhs_number, "n1")};
  c.tokens = {token(IdentifierKind::upn, "u1"), token(IdentifierKind::nhs_number, "n1")};
  r.decide({DecisionKind::separate, a.ref(), b.ref(), "different children"});  // before they exist
  r.upsert_many({a.record(), b.record(), c.record()});
  CHECK_FALSE(together(r, a, b));
  CHECK((together(r, a, c) || together(r, b, c)));
  CHECK(r.stats().clusters == 2);
}

TEST_CASE("two tokens of one kind never share a cluster, even through a record without") {
  Minter m;
  Resolver r({}, m.fn());
  Child a = kent("k1");
  a.tokens = {token(IdentifierKind::nhs_number, "n1")};
  Child b = kent("k2");
  b.authority = "york";
  b.tokens = {token(IdentifierKind::nhs_number, "n2")};
  Child c = kent("k3");
  c.authority = "leeds";  // same child details as both, no token: links to both on score
  r.upsert_many({a.record(), b.record(), c.record()});
  CHECK_FALSE(together(r, a, b));
  CHECK(r.stats().clusters == 2);
}

TEST_CASE("an operator link holds when scores alone would not link") {
  Minter m;
  Resolver r({}, m.fn());
  Child a = kent("k1");
  Child b = leeds("l1");  // moved house, no identifiers: review
  r.upsert(a.record());
  r.upsert(b.record());
  REQUIRE_FALSE(together(r, a, b));
  const auto queue = r.review_queue();
  REQUIRE(queue.size() == 1);
  CHECK(queue[0].a == a.ref());
  CHECK(queue[0].b == b.ref());
  CHECK(queue[0].score.outcome == Outcome::review);
  CHECK(queue[0].score.evidence[static_cast<std::size_t>(Field::postcode)].level ==
        Level::disagree);
  const auto events = r.decide({DecisionKind::link, a.ref(), b.ref(), "confirmed by phone"});
  CHECK(together(r, a, b));
  const LinkageEvent* merged = find_event(events, ChangeKind::merged);
  REQUIRE(merged);
  CHECK(merged->decided_by == Decider::operator_);
  CHECK(r.review_queue().empty());
  // Even when a new version scores lower.
  b.given = "Jack";
  b.dob = "2011-01-01";
  r.upsert(b.record());
  CHECK(together(r, a, b));
}

TEST_CASE("decisions on unknown records or a record with itself change nothing now") {
  Minter m;
  Resolver r({}, m.fn());
  Child a = kent("k1");
  CHECK(r.decide({DecisionKind::link, a.ref(), leeds("l9").ref(), ""}).empty());
  r.upsert(a.record());
  CHECK(r.decide({DecisionKind::separate, a.ref(), a.ref(), ""}).empty());
  CHECK(r.remove(leeds("nope").ref()).empty());
  CHECK_FALSE(r.national_id(leeds("nope").ref()));
  CHECK_FALSE(r.explain(a.ref(), leeds("nope").ref()));
  CHECK(r.cluster_of(leeds("nope").ref()).empty());
  // The stored link applies when the record arrives.
  Child l = leeds("l9");
  l.given = "Jack";
  l.family = "Brown";
  l.dob = "2010-02-02";
  r.upsert(l.record());
  CHECK(together(r, a, l));
}

TEST_CASE("removing records: removed, retired, and a bridge's removal splits") {
  Minter m;
  Resolver r({}, m.fn());
  Child a = kent("k1");
  Child b = leeds("l1");
  Child c = leeds("l2");
  c.authority = "york";
  a.tokens = {token(IdentifierKind::upn, "u1")};
  b.tokens = {token(IdentifierKind::nhs_number, "n1")};
  c.tokens = {token(IdentifierKind::upn, "u1"), token(IdentifierKind::nhs_number, "n1")};
  r.upsert_many({a.record(), b.record(), c.record()});
  REQUIRE(together(r, a, b));
  const auto events = r.remove(c.ref());
  CHECK_FALSE(r.contains(c.ref()));
  CHECK_FALSE(together(r, a, b));
  const LinkageEvent* removed = find_event(events, ChangeKind::removed);
  REQUIRE(removed);
  CHECK(removed->records == std::vector<RecordRef>{c.ref()});
  const LinkageEvent* split = find_event(events, ChangeKind::split);
  REQUIRE(split);
  CHECK(split->previous_ids == std::vector<std::string>{"N1"});
  r.remove(b.ref());
  const auto last = r.remove(a.ref());
  const LinkageEvent* retired = find_event(last, ChangeKind::retired);
  REQUIRE(retired);
  CHECK(retired->national_id == "N1");
  CHECK(r.stats().records == 0);
  CHECK(r.partition().empty());
}

TEST_CASE("restored ids and decisions survive a rebuild without events") {
  Minter m;
  Resolver first({}, m.fn());
  Child a = kent("k1");
  Child b = leeds("l1");
  a.tokens = b.tokens = {token(IdentifierKind::nhs_number, "n1")};
  Child t = kent("k2");  // a twin: kept apart
  t.given = "Amelia";
  first.upsert_many({a.record(), b.record(), t.record()});
  const Decision d{DecisionKind::separate, a.ref(), t.ref(), "twins"};
  first.decide(d);

  Minter m2{"M"};
  Resolver second({}, m2.fn());
  for (const Child& c : {a, b, t}) {
    const auto id = *first.national_id(c.ref());
    second.restore_national_id(c.ref(), id, *first.minted_order(id));
  }
  second.restore_decision(d);
  const auto events = second.upsert_many({t.record(), b.record(), a.record()});
  CHECK(events.empty());
  CHECK(second.partition() == first.partition());
  CHECK(second.national_id(t.ref()) == first.national_id(t.ref()));
  CHECK(m2.next == 0);
  // New ids are younger than every restored one.
  Child n = kent("k9");
  n.given = "Zack";
  n.family = "Quarrie";
  n.dob = "2019-01-01";
  second.upsert(n.record());
  CHECK(second.minted_order(*second.national_id(n.ref())) > first.minted_order("N1"));
}

namespace {

// A population with duplicates across authorities: typos, nicknames, swaps, moves, twins,
// identifiers on some. Deterministic from the seed.
std::vector<MatchRecord> population(std::uint32_t seed, int people) {
  std::mt19937 rng(seed);
  auto pick = [&](int n) { return static_cast<int>(rng() % static_cast<unsigned>(n)); };
  const std::vector<std::string> givens = {"Oliver", "Amelia", "George", "Isla", "Harry",
                                           "Ava", "Jack", "Mia", "William", "Katherine",
                                           "Noah", "Emily", "Leo", "Grace", "Oscar"};
  const std::vector<std::string> families = {"Smith", "Jones", "Taylor", "Brown", "Khan",
                                             "Evans", "Wilson", "Patel", "Wright", "Walker"};
  std::vector<MatchRecord> out;
  for (int p = 0; p < people; ++p) {
    Child c;
    c.authority = "la" + std::to_string(pick(5));
    c.record_id = "p" + std::to_string(p);
    c.given = givens[static_cast<std::size_t>(pick(15))];
    c.family = families[static_cast<std::size_t>(pick(10))];
    c.gender = pick(2) ? Gender::male : Gender::female;
    c.dob = "201" + std::to_string(pick(3)) + "-0" + std::to_string(1 + pick(9)) + "-1" +
            std::to_string(pick(9));
    c.postcode = "CT" + std::to_string(1 + pick(9)) + " 1AA";
    c.line1 = std::to_string(1 + pick(50)) + " High Street";
    if (pick(3) == 0) c.tokens = {token(IdentifierKind::nhs_number, "n" + std::to_string(p))};
    out.push_back(c.record());
    if (pick(10) == 0) {  // a twin
      Child t = c;
      t.record_id += "t";
      t.given = c.given == "Oscar" ? "Leo" : "Oscar";
      t.tokens.clear();
      out.push_back(t.record());
    }
    for (int k = pick(3); k > 0; --k) {  // copies elsewhere
      Child d = c;
      d.authority = "la" + std::to_string(5 + pick(3));
      d.record_id = c.record_id + "d" + std::to_string(k);
      switch (pick(6)) {
        case 0: d.given += "e"; break;
        case 1: std::swap(d.given, d.family); break;
        case 2: d.postcode = "LS1 4AP"; d.line1 = "9 Park Row"; break;
        case 3: if (d.given == "William") d.given = "Bill"; break;
        case 4: d.dob[9] = d.dob[9] == '1' ? '2' : '1'; break;
        default: d.tokens.clear(); break;
      }
      out.push_back(d.record());
    }
  }
  return out;
}

}  // namespace

TEST_CASE("incremental resolution in random orders gives the same partition as one full pass") {
  const auto records = population(7, 400);
  Minter m0;
  Resolver full({}, m0.fn());
  full.upsert_many(records);
  // Operator decisions on a few review pairs, and a few removals.
  std::vector<Decision> decisions;
  const auto queue = full.review_queue();
  REQUIRE(queue.size() >= 4);
  for (std::size_t i = 0; i < 4; ++i) {
    decisions.push_back({i % 2 ? DecisionKind::link : DecisionKind::separate, queue[i].a,
                         queue[i].b, "test"});
  }
  const std::vector<RecordRef> removed = {records[3].ref, records[10].ref, records[50].ref};
  for (const auto& d : decisions) full.decide(d);
  for (const auto& ref : removed) full.remove(ref);
  const auto expected = full.partition();
  REQUIRE(expected.size() < records.size() - removed.size());  // something linked

  for (std::uint32_t seed : {1u, 2u, 3u, 4u}) {
    std::mt19937 rng(seed);
    auto order = records;
    std::shuffle(order.begin(), order.end(), rng);
    Minter m;
    Resolver inc({}, m.fn());
    // Decisions first, then records one by one (some twice), then the removals.
    for (const auto& d : decisions) inc.decide(d);
    for (const auto& rec : order) {
      inc.upsert(rec);
      if (rng() % 7 == 0) inc.upsert(rec);
    }
    for (const auto& ref : removed) inc.remove(ref);
    CHECK(inc.partition() == expected);
    CHECK(inc.stats().link_pairs == full.stats().link_pairs);
    CHECK(inc.stats().review_pairs == full.stats().review_pairs);
    // Removing and re-adding a record lands in the same place.
    inc.remove(records[20].ref);
    inc.upsert(records[20]);
    CHECK(inc.partition() == expected);
  }
}

TEST_CASE("incremental == full with a small block cap (blocks crossing the cap both ways)") {
  MatchConfig config;
  config.max_block_size = 4;
  const auto records = population(11, 150);
  Minter m0;
  Resolver full(config, m0.fn());
  full.upsert_many(records);
  CHECK(full.stats().oversized_blocks > 0);
  std::mt19937 rng(5);
  auto order = records;
  std::shuffle(order.begin(), order.end(), rng);
  Minter m;
  Resolver inc(config, m.fn());
  for (const auto& rec : order) inc.upsert(rec);
  // Remove a third and add it back, in another order: blocks shrink under the cap and grow.
  std::vector<MatchRecord> third(order.begin(), order.begin() + 50);
  for (const auto& rec : third) inc.remove(rec.ref);
  std::shuffle(third.begin(), third.end(), rng);
  for (const auto& rec : third) inc.upsert(rec);
  CHECK(inc.partition() == full.partition());
  CHECK(inc.stats().link_pairs == full.stats().link_pairs);
}

TEST_CASE("twins in the population are never in one cluster") {
  const auto records = population(7, 400);
  Minter m;
  Resolver r({}, m.fn());
  r.upsert_many(records);
  int twins = 0;
  for (const auto& rec : records) {
    if (rec.ref.record_id.back() != 't') continue;
    ++twins;
    std::string sibling = rec.ref.record_id;
    sibling.pop_back();
    const auto cluster = r.cluster_of(rec.ref);
    CHECK(std::none_of(cluster.begin(), cluster.end(),
                       [&](const RecordRef& x) { return x.record_id == sibling; }));
  }
  CHECK(twins > 10);
}

TEST_CASE("blocking keeps compared pairs linear in the number of records") {
  // Few distinct names and dates so blocks grow with the population; the cap bounds them.
  MatchConfig config;
  config.max_block_size = 30;
  auto compared_per_record = [&](int people) {
    Minter m;
    Resolver r(config, m.fn());
    r.upsert_many(population(3, people));
    const auto st = r.stats();
    return std::pair(static_cast<double>(st.compared_pairs) / static_cast<double>(st.records),
                     st.skipped_pairs);
  };
  const auto [small, small_skipped] = compared_per_record(1000);
  const auto [large, large_skipped] = compared_per_record(8000);
  // Without blocking, 8x the records would be 8x the pairs per record.
  CHECK(large <= 2.0 * small);
  CHECK(large_skipped > small_skipped);  // the cap is what keeps it so, and it is counted
  CHECK(large <= 10 * 30);               // at most (keys x cap) per record
}
