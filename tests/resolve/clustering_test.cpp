// Clustering without chaining and at a bounded cost per change: a union that would put two
// children (evidence against) in one cluster is refused, whatever links them through third
// records; a block of look-alike children does not collapse; a change in a large region
// re-resolves a bounded part of it (counted in stats()).
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

Child child(const std::string& authority, const std::string& id, const std::string& dob) {
  Child c;
  c.authority = authority;
  c.record_id = id;
  c.dob = dob;
  return c;
}

bool together(const Resolver& r, const Child& a, const Child& b) {
  return r.national_id(a.ref()) && r.national_id(a.ref()) == r.national_id(b.ref());
}

// Children who share names, gender and home and differ only in their dates of birth (spread
// over `years` years): pairs with two date parts equal score a link, the rest are held.
std::vector<MatchRecord> look_alikes(std::uint32_t seed, int count, int years = 13) {
  std::mt19937 rng(seed);
  auto pick = [&](int n) { return static_cast<int>(rng() % static_cast<unsigned>(n)); };
  std::vector<MatchRecord> out;
  for (int i = 0; i < count; ++i) {
    char dob[32];
    std::snprintf(dob, sizeof dob, "%04d-%02d-%02d", 2021 - pick(years), 1 + pick(12),
                  1 + pick(28));
    out.push_back(child("la" + std::to_string(i % 7), "c" + std::to_string(i), dob).record());
  }
  return out;
}

// No cluster of `r` holds two records with evidence against.
bool no_cluster_holds_two_children(const Resolver& r) {
  for (const auto& c : r.partition()) {
    for (std::size_t i = 0; i < c.size(); ++i) {
      for (std::size_t j = i + 1; j < c.size(); ++j) {
        if (evidence_against(*r.explain(c[i], c[j]))) return false;
      }
    }
  }
  return true;
}

std::size_t largest_cluster(const Resolver& r) {
  std::size_t most = 0;
  for (const auto& c : r.partition()) most = std::max(most, c.size());
  return most;
}

std::uint64_t clustering_work(const ResolverStats& s) {
  return s.resolved_records + s.clustered_links;
}

}  // namespace

TEST_CASE("evidence against: dates of birth or given names wholly different, no identifier") {
  const MatchConfig config;
  const Weights w(config);
  const Child a = child("kent", "a", "2014-05-07");
  auto against = [&](const Child& b) {
    return evidence_against(score_pair(a.record(), b.record(), config, w));
  };
  CHECK_FALSE(against(child("leeds", "b", "2014-05-07")));
  CHECK_FALSE(against(child("leeds", "b", "2014-06-07")));  // one part: a typo
  CHECK_FALSE(against(child("leeds", "b", "2014-07-05")));  // day and month transposed
  CHECK(against(child("leeds", "b", "2015-06-07")));        // two parts
  Child other_name = child("leeds", "b", "2014-05-07");
  other_name.given = "Harriet";
  CHECK(against(other_name));
  Child swapped = child("leeds", "b", "2014-05-07");
  std::swap(swapped.given, swapped.family);
  CHECK_FALSE(against(swapped));
  Child nickname = child("leeds", "b", "2014-05-07");
  nickname.given = "Liv";
  CHECK_FALSE(against(nickname));
  // A shared identifier outweighs everything: the same child, mistyped.
  Child with_token = other_name;
  with_token.dob = "2011-01-01";
  with_token.tokens = {token(IdentifierKind::nhs_number, "n1")};
  Child a_token = a;
  a_token.tokens = with_token.tokens;
  CHECK_FALSE(evidence_against(score_pair(a_token.record(), with_token.record(), config, w)));
}

TEST_CASE("a chain A~B~C with A and C two children stays split, in every order") {
  // A and B: two date parts equal (a link); B and C too; A and C: only the day (two children).
  const Child a = child("kent", "a", "2014-05-20");
  const Child b = child("leeds", "b", "2014-06-20");
  const Child c = child("york", "c", "2015-06-20");
  std::vector<MatchRecord> records{a.record(), b.record(), c.record()};
  std::vector<std::size_t> order{0, 1, 2};
  std::vector<std::vector<RecordRef>> first;
  do {
    Minter m;
    Resolver r({}, m.fn());
    for (std::size_t i : order) r.upsert(records[i]);
    REQUIRE(r.explain(a.ref(), b.ref())->outcome == Outcome::link);
    REQUIRE(r.explain(b.ref(), c.ref())->outcome == Outcome::link);
    CHECK_FALSE(together(r, a, c));
    CHECK(together(r, a, b));  // equal scores: the pair first by refs wins
    CHECK(r.stats().clusters == 2);
    if (first.empty()) first = r.partition();
    CHECK(r.partition() == first);
  } while (std::next_permutation(order.begin(), order.end()));
}

TEST_CASE("a chain stays split whatever order the link scores come in") {
  // B~C scores higher than A~B (same address line): B joins C; A stays apart.
  const Child a = child("kent", "a", "2014-05-20");
  Child b = child("leeds", "b", "2014-06-20");
  Child c = child("york", "c", "2015-06-20");
  b.middle = c.middle = "Rose";
  Minter m;
  Resolver r({}, m.fn());
  r.upsert_many({a.record(), b.record(), c.record()});
  CHECK(together(r, b, c));
  CHECK_FALSE(together(r, a, b));
  CHECK(r.stats().refused_against >= 1);
  // Removing C frees B to join A.
  r.remove(c.ref());
  CHECK(together(r, a, b));
}

TEST_CASE("an operator link holds against the evidence; a separate still wins over links") {
  const Child a = child("kent", "a", "2014-05-20");
  const Child b = child("leeds", "b", "2014-06-20");
  const Child c = child("york", "c", "2015-06-20");
  Minter m;
  Resolver r({}, m.fn());
  r.upsert_many({a.record(), b.record(), c.record()});
  REQUIRE_FALSE(together(r, a, c));
  r.decide({DecisionKind::link, a.ref(), c.ref(), "same child, date corrected"});
  CHECK(together(r, a, c));
  r.decide({DecisionKind::separate, a.ref(), c.ref(), "not the same"});
  CHECK_FALSE(together(r, a, c));
}

TEST_CASE("a record an operator linked is no evidence against the records linking to it") {
  // B's given name was replaced at the source; an operator linked it to A. C, linked to A by
  // its score, joins them although C and B disagree on the given name.
  const Child a = child("kent", "a", "2014-05-20");
  Child b = child("leeds", "b", "2014-05-20");
  b.given = "Harriet";
  const Child c = child("york", "c", "2014-05-20");
  Minter m;
  Resolver r({}, m.fn());
  r.upsert_many({a.record(), b.record(), c.record()});
  REQUIRE(evidence_against(*r.explain(b.ref(), c.ref())));
  CHECK(together(r, a, c));
  CHECK_FALSE(together(r, a, b));
  r.decide({DecisionKind::link, a.ref(), b.ref(), "checked with the school"});
  CHECK(together(r, a, b));
  CHECK(together(r, a, c));
  // Without the operator's word, B stays out (C and B are two children on the evidence).
  r.decide({DecisionKind::separate, a.ref(), b.ref(), "not the same"});
  CHECK(together(r, a, c));
  CHECK_FALSE(together(r, a, b));
}

TEST_CASE("a large block of look-alike children does not collapse into one cluster") {
  const auto records = look_alikes(3, 600);
  Minter m;
  Resolver r({}, m.fn());
  r.upsert_many(records);
  const auto st = r.stats();
  CHECK(st.link_pairs > 600);                  // plenty of links to chain through
  CHECK(st.refused_against > 0);
  CHECK(largest_cluster(r) <= MatchConfig{}.max_cluster_size);
  CHECK(st.clusters > 150);  // one cluster before (every link chained)
  CHECK(no_cluster_holds_two_children(r));
}

TEST_CASE("a cluster never grows past max_cluster_size through engine links") {
  MatchConfig config;
  config.max_cluster_size = 3;
  std::vector<MatchRecord> copies;  // one child known six times, no evidence against
  for (int i = 0; i < 6; ++i) {
    copies.push_back(child("la" + std::to_string(i), "c", "2014-05-20").record());
  }
  Minter m;
  Resolver r(config, m.fn());
  r.upsert_many(copies);
  CHECK(largest_cluster(r) == 3);
  CHECK(r.stats().clusters == 2);
  CHECK(r.stats().refused_size > 0);
}

TEST_CASE("incremental == full on look-alikes when regions fit under the region cap") {
  MatchConfig config;
  config.max_region_size = 100000;
  const auto records = look_alikes(9, 300, 3);
  Minter m0;
  Resolver full(config, m0.fn());
  full.upsert_many(records);
  REQUIRE(full.stats().refused_against > 0);
  for (std::uint32_t seed : {1u, 2u, 3u}) {
    std::mt19937 rng(seed);
    auto order = records;
    std::shuffle(order.begin(), order.end(), rng);
    Minter m;
    Resolver inc(config, m.fn());
    for (const auto& rec : order) inc.upsert(rec);
    CHECK(inc.partition() == full.partition());
    CHECK(inc.stats().local_regions == 0);
  }
}

TEST_CASE("a rebuild in parts gives the ids and events of one upsert_many") {
  // The index's restart (build_resolver): persisted ids restored, then the records added part
  // by part and resolved once. Look-alikes, so that parts link across one another, and a
  // stored id for a third of them (some in clusters that a later part joins).
  const auto records = look_alikes(5, 400, 3);
  Minter m0;
  Resolver first({}, m0.fn());
  first.upsert_many(records);
  auto restored = [&](Resolver& r) {
    for (std::size_t i = 0; i < records.size(); i += 3)
      r.restore_national_id(records[i].ref, *first.national_id(records[i].ref),
                            *first.minted_order(*first.national_id(records[i].ref)));
  };
  Minter m1;
  Resolver whole({}, m1.fn());
  restored(whole);
  const auto expected = whole.upsert_many(records);
  for (std::size_t part : {1u, 7u, 128u}) {
    Minter m;
    Resolver parts({}, m.fn());
    restored(parts);
    parts.reserve(records.size());
    for (std::size_t from = 0; from < records.size(); from += part) {
      const auto to = std::min(records.size(), from + part);
      parts.add_many({records.begin() + static_cast<std::ptrdiff_t>(from),
                      records.begin() + static_cast<std::ptrdiff_t>(to)});
    }
    CHECK_FALSE(parts.national_id(records[1].ref));  // not resolved yet (nor restored)
    const auto events = parts.resolve_added();
    CHECK(parts.partition() == whole.partition());
    for (const auto& r : records) CHECK(parts.national_id(r.ref) == whole.national_id(r.ref));
    REQUIRE(events.size() == expected.size());
    for (std::size_t k = 0; k < events.size(); ++k) {
      CHECK(events[k].kind == expected[k].kind);
      CHECK(events[k].national_id == expected[k].national_id);
      CHECK(events[k].previous_ids == expected[k].previous_ids);
      CHECK(events[k].records == expected[k].records);
    }
    CHECK(m.next == m1.next);  // the same ids minted, no more
  }
}

TEST_CASE("a change in a large region does a bounded amount of clustering work") {
  // A chain of `count` records, each sharing an identifier token with the next (one kind in
  // turn) and holding another of a kind the next-but-one holds too: every record links to its
  // two neighbours only, pairs further apart have conflicting tokens. One region of `count`
  // records; clusters of two. Names, date and home are the same everywhere, so their blocks
  // are over the cap and only the tokens' blocks compare.
  auto chain = [](int count) {
    std::vector<MatchRecord> out;
    const IdentifierKind kinds[] = {IdentifierKind::upn, IdentifierKind::uln,
                                    IdentifierKind::nhs_number};
    for (int i = 0; i < count; ++i) {
      Child c = child("la" + std::to_string(i % 7), "c" + std::to_string(i), "2014-05-20");
      c.tokens = {token(kinds[(i + 2) % 3], "t" + std::to_string(i - 1)),
                  token(kinds[i % 3], "t" + std::to_string(i))};
      out.push_back(c.record());
    }
    return out;
  };
  auto work_of_one_change = [&](int count, std::size_t region_cap) {
    MatchConfig config;
    config.max_region_size = region_cap;
    const auto records = chain(count);
    Minter m;
    Resolver r(config, m.fn());
    r.upsert_many(records);
    REQUIRE(r.stats().link_pairs == static_cast<std::uint64_t>(count - 1));
    REQUIRE(largest_cluster(r) == 2);
    const auto before = r.stats();
    MatchRecord moved = records[static_cast<std::size_t>(count / 2)];  // a new version: moved
    moved.postcode = "LS1 4AP";
    r.upsert(moved);
    const auto after = r.stats();
    CHECK(largest_cluster(r) == 2);
    return std::tuple(clustering_work(after) - clustering_work(before),
                      after.compared_pairs - before.compared_pairs,
                      after.local_regions - before.local_regions);
  };
  SECTION("without the region cap, a change re-clusters the whole region") {
    const auto [work, compared, local] = work_of_one_change(1000, 100000);
    CHECK(work >= 1000);
    CHECK(local == 0);
  }
  SECTION("with it, the work stays the same whatever the region's size") {
    const auto [small, small_compared, small_local] = work_of_one_change(400, 64);
    const auto [large, large_compared, large_local] = work_of_one_change(4000, 64);
    CHECK(small_local == 1);
    CHECK(large_local == 1);
    // The changed record's cluster and its neighbours' (clusters of two), whatever the size.
    CHECK(small <= 12);
    CHECK(large <= 12);
    CHECK(large_compared == small_compared);
    CHECK(large_compared <= 4);
  }
  SECTION("a region under the cap is re-clustered whole (exact)") {
    const auto [work, compared, local] = work_of_one_change(400, 1000);
    CHECK(work >= 400);
    CHECK(local == 0);
  }
}
