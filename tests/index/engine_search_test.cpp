// Practitioner search in the matching engine the index store keeps in step with its writes
// (docs/query.md, "Where it runs"): after a seeded random sequence of batches (new records,
// changed names, dates and NHS numbers that merge and split children, shields put on and
// lifted, deletes, records upserted again after a delete) and operator decisions, every search
// answers exactly as in an engine built from the store at that moment.
#include <catch2/catch.hpp>

#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "index_fixture.hpp"

using namespace aegis::test::index_fixtures;
using aegis::index::IndexStore;
using aegis::index::OperatorDecision;
using aegis::resolve::SearchResult;
using aegis::test::sample_shielded_child;

namespace {

// A few people sharing names and birth dates, so blocks overlap and near matches go to review.
struct Person {
  std::string given, family, dob;
};
const std::vector<Person>& people() {
  static const std::vector<Person> p{
      {"Amelia", "Hartley", "2015-03-14"}, {"Amelia", "Hartley", "2015-03-14"},
      {"Amelie", "Hartley", "2015-03-14"}, {"Oliver", "Hartley", "2015-03-14"},
      {"Oliver", "Smith", "2016-07-01"},   {"Olly", "Smith", "2016-07-01"},
      {"Noah", "Whitfield", "2017-11-02"}, {"Noah", "Whitfeld", "2017-11-02"},
      {"Grace", "Okafor", "2014-01-20"},   {"Grace", "Okafor", "2014-02-20"}};
  return p;
}

// Every search: each person's name and date of birth, with a postcode (rule 4), a typo.
std::vector<QueryCriteria> every_search() {
  std::vector<QueryCriteria> out;
  for (const Person& p : people()) {
    QueryCriteria c;
    c.given = p.given;
    c.family = p.family;
    c.date_of_birth = *Date::parse(p.dob);
    out.push_back(c);
    c.postcode = "ME14 1XX";
    out.push_back(c);
    c.postcode.reset();
    c.family += "e";
    out.push_back(c);
  }
  return out;
}

// Everything a search returns, as text (two equal texts: equal results).
std::string text(const SearchResult& r) {
  std::ostringstream out;
  out << "capped " << r.capped << " scored " << r.scored << "\n";
  for (const auto& child : r.children) {
    out << child.national_id << " " << child.best_score << ":";
    for (const auto& hit : child.hits)
      out << " " << hit.ref.authority_id << "/" << hit.ref.record_id << "=" << hit.score
          << (hit.shielded ? "s" : "");
    out << "\n";
  }
  return out.str();
}

SearchResult search(IndexStore& store, const QueryCriteria& c, IndexStore::SearchEngine use) {
  auto r = store.search(c, use);
  INFO((r ? std::string() : r.error().message()));
  REQUIRE(r.ok());
  return std::move(r->result);
}

// Compares every search in the kept engine and in a rebuilt one; returns how many found a child.
std::size_t require_same_answers(IndexStore& store) {
  std::size_t found = 0;
  for (const QueryCriteria& c : every_search()) {
    const std::string kept = text(search(store, c, IndexStore::SearchEngine::kept));
    const std::string rebuilt = text(search(store, c, IndexStore::SearchEngine::rebuilt));
    INFO(c.given << " " << c.family << " " << c.date_of_birth.to_string()
                 << (c.postcode ? " with postcode" : ""));
    REQUIRE(kept == rebuilt);
    if (kept.find(':') != std::string::npos) ++found;
  }
  return found;
}

struct RandomHistory : IndexFixture {
  Chain chains[3] = {Chain::kent(), Chain::leeds(), Chain::york()};
  bool live[3 * 6] = {};  // 6 record ids per authority

  // One batch of 1 to 4 changes by one authority.
  void random_batch(std::mt19937& rng) {
    const std::size_t a = rng() % 3;
    std::vector<Bytes> batch;
    const std::size_t n = 1 + rng() % 4;
    for (std::size_t i = 0; i < n; ++i) {
      const std::size_t slot = rng() % 6;
      const std::string id = std::string(1, "KLY"[a]) + ":" + std::to_string(slot);
      bool& is_live = live[a * 6 + slot];
      if (is_live && rng() % 4 == 0) {
        batch.push_back(chains[a].remove(id));
        is_live = false;
        continue;
      }
      const std::size_t who = rng() % people().size();
      const Person& p = people()[who];
      ChildRecord r = rng() % 6 == 0 ? sample_shielded_child(id) : child(id);
      r.identity.name.given = p.given;
      r.identity.name.family = p.family;
      r.identity.date_of_birth = *Date::parse(p.dob);
      // One NHS number per person (records of one person are one child), sometimes none.
      if (rng() % 5 == 0) r.details.nhs_number.reset();
      else r.details.nhs_number = nhs_number_for("person " + std::to_string(who));
      r.details.upn.reset();
      r.details.uln.reset();
      batch.push_back(chains[a].upsert(r));
      is_live = true;
    }
    apply(chains[a].authority(), batch);
  }
};

}  // namespace

TEST_CASE("search: the engine kept in step answers as one rebuilt from the store",
          "[index][query][search]") {
  const std::uint32_t seed = GENERATE(1u, 2u, 3u);
  INFO("seed " << seed);
  std::mt19937 rng(seed);
  RandomHistory f;
  f.random_batch(rng);
  require_same_answers(f.store);
  std::size_t found = 0, decided = 0;
  for (int step = 0; step < 40; ++step) {
    f.random_batch(rng);
    if (step % 8 == 7) {  // an operator decision on the first pair waiting, when there is one
      auto pairs = f.store.review_list(1);
      REQUIRE(pairs.ok());
      if (!pairs->empty()) {
        const auto kind = rng() % 2 ? aegis::resolve::DecisionKind::link
                                    : aegis::resolve::DecisionKind::separate;
        auto d = f.store.decide(OperatorDecision{kind, pairs->front().id, "op.alice", "checked"},
                                kNowMs, f.signing);
        INFO((d ? std::string() : d.error().message()));
        REQUIRE(d.ok());
        ++decided;
      }
    }
    found += require_same_answers(f.store);
  }
  CHECK(found > 0);  // the searches did find children (the comparison is not of empty results)
  (void)decided;
}

TEST_CASE("search: a merge and a split move every record to its new child",
          "[index][query][search]") {
  IndexFixture f;
  Chain kent = Chain::kent(), leeds = Chain::leeds();
  ChildRecord k = child("K:1"), l = child("L:1");
  l.details.nhs_number = nhs_number_for("another child");
  f.apply("kent", {kent.upsert(k)});
  f.apply("leeds", {leeds.upsert(l)});
  QueryCriteria c = name_and_birth(k);
  auto kept = [&] { return search(f.store, c, IndexStore::SearchEngine::kept); };
  REQUIRE(kept().children.size() == 2);  // two NHS numbers: two children
  // leeds corrects the NHS number: one child with both records.
  l.details.nhs_number = k.details.nhs_number;
  f.apply("leeds", {leeds.upsert(l)});
  SearchResult merged = kept();
  REQUIRE(merged.children.size() == 1);
  CHECK(merged.children[0].hits.size() == 2);
  CHECK(text(merged) == text(search(f.store, c, IndexStore::SearchEngine::rebuilt)));
  // kent changes it: two children again.
  k.details.nhs_number = nhs_number_for("a third child");
  f.apply("kent", {kent.upsert(k)});
  CHECK(kept().children.size() == 2);
  CHECK(text(kept()) == text(search(f.store, c, IndexStore::SearchEngine::rebuilt)));
  // Deleted: no longer found; upserted again: found under its old national id.
  const std::string kent_id = [&] {
    for (const auto& ch : kept().children)
      if (ch.hits[0].ref.authority_id == "kent") return ch.national_id;
    return std::string();
  }();
  f.apply("kent", {kent.remove("K:1")});
  REQUIRE(kept().children.size() == 1);
  CHECK(kept().children[0].hits[0].ref.authority_id == "leeds");
  f.apply("kent", {kent.upsert(k)});
  CHECK(text(kept()) == text(search(f.store, c, IndexStore::SearchEngine::rebuilt)));
  bool back = false;
  for (const auto& ch : kept().children) back = back || ch.national_id == kent_id;
  CHECK(back);
}

// One child at kent, applied, and the search for its name and date of birth.
struct OneKentChild : IndexFixture {
  Chain kent = Chain::kent();
  ChildRecord r = child("K:1");
  QueryCriteria c = name_and_birth(r);
  OneKentChild() { apply("kent", {kent.upsert(r)}); }
};

TEST_CASE_METHOD(OneKentChild,
                 "search: a shield put on hides the child from a postcode search at once",
                 "[index][query][search]") {
  c.postcode = r.details.address->postcode;
  REQUIRE(search(store, c, IndexStore::SearchEngine::kept).children.size() == 1);
  ChildRecord shielded = sample_shielded_child("K:1");
  shielded.identity = r.identity;
  shielded.details.nhs_number = r.details.nhs_number;
  apply("kent", {kent.upsert(shielded)});
  CHECK(search(store, c, IndexStore::SearchEngine::kept).children.empty());
  c.postcode.reset();
  const SearchResult by_name = search(store, c, IndexStore::SearchEngine::kept);
  REQUIRE(by_name.children.size() == 1);
  CHECK(by_name.children[0].hits[0].shielded);
  // Lifted: found by postcode again.
  apply("kent", {kent.upsert(r)});
  c.postcode = r.details.address->postcode;
  CHECK(search(store, c, IndexStore::SearchEngine::kept).children.size() == 1);
}

TEST_CASE_METHOD(OneKentChild,
                 "search: a batch refused whole leaves the search as it was",
                 "[index][query][search]") {
  const std::string before = text(search(store, c, IndexStore::SearchEngine::kept));
  // A forked envelope: rejected, nothing applied, the record still found as it was.
  ChildRecord renamed = r;
  renamed.identity.name.family = "Zebedee";
  auto result =
      store.apply_batch("kent", {kent.upsert_forked(renamed)}, trust, kNowMs, signing);
  REQUIRE(result.ok());
  CHECK(result->applied_count == 0);
  CHECK(text(search(store, c, IndexStore::SearchEngine::kept)) == before);
  c.family = "Zebedee";
  CHECK(search(store, c, IndexStore::SearchEngine::kept).children.empty());
}

TEST_CASE_METHOD(OneKentChild,
                 "search: after a failed write it is built again and answers as the store",
                 "[index][query][search]") {
  REQUIRE(search(store, c, IndexStore::SearchEngine::kept).children.size() == 1);
  Chain attempt = kent;  // the same envelope is sent again after the failure
  ChildRecord renamed = r;
  renamed.identity.name.family = "Zebedee";
  const Bytes change = attempt.upsert(renamed);
  {
    RawDb raw(file);
    raw.exec("CREATE TRIGGER full BEFORE INSERT ON state_log "
             "BEGIN SELECT RAISE(ABORT, 'disk full'); END");
  }
  REQUIRE_FALSE(store.apply_batch("kent", {change}, trust, kNowMs, signing).ok());
  // Rolled back: still found by the old name, not by the new one.
  CHECK(search(store, c, IndexStore::SearchEngine::kept).children.size() == 1);
  {
    RawDb raw(file);
    raw.exec("DROP TRIGGER full");
  }
  apply("kent", {change});
  CHECK(search(store, c, IndexStore::SearchEngine::kept).children.empty());
  c.family = "Zebedee";
  CHECK(search(store, c, IndexStore::SearchEngine::kept).children.size() == 1);
  require_same_answers(store);
}

TEST_CASE("search: an operator's link moves the records at once",
          "[index][query][search]") {
  IndexFixture f;
  Chain kent = Chain::kent(), leeds = Chain::leeds();
  // One Amelia without identifiers at each authority, another home: a pair for review.
  ChildRecord k = child("k-1"), l = child("l-1");
  for (ChildRecord* r : {&k, &l}) {
    r->details.nhs_number.reset();
    r->identity.name.middle.clear();
  }
  l.details.address = Address{{"40 Distant Avenue", "Leeds"}, "LS6 2QQ"};
  f.apply("kent", {kent.upsert(k)});
  f.apply("leeds", {leeds.upsert(l)});
  QueryCriteria c = name_and_birth(k);
  auto kept = [&] { return search(f.store, c, IndexStore::SearchEngine::kept); };
  REQUIRE(kept().children.size() == 2);
  auto pairs = f.store.review_list(1);
  REQUIRE(pairs.ok());
  REQUIRE(pairs->size() == 1);
  auto linked = f.store.decide(OperatorDecision{aegis::resolve::DecisionKind::link,
                                                pairs->front().id, "op.alice", "same child"},
                               kNowMs, f.signing);
  INFO((linked ? std::string() : linked.error().message()));
  REQUIRE(linked.ok());
  REQUIRE(linked->change.records_moved > 0);  // another record than a changed one moved
  const SearchResult one = kept();
  REQUIRE(one.children.size() == 1);
  CHECK(one.children[0].hits.size() == 2);
  CHECK(text(one) == text(search(f.store, c, IndexStore::SearchEngine::rebuilt)));
}
