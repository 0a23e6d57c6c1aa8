// Practitioner search (daemon/resolve/search.hpp, docs/query.md rules 2 and 4): typos,
// nicknames, swapped names and day/month found; unrelated children not; shielded children
// never found by postcode or UPN, found by NHS number; the cap of 50 children; an index changed
// record by record (upsert, remove, set_national_id) answers as one built from its final records.
#include <catch2/catch.hpp>

#include <map>
#include <random>
#include <sstream>
#include <string>

#include "fixtures.hpp"
#include "resolve/search.hpp"

using namespace aegis::resolve;
using aegis::resolve::test::Child;
using aegis::protocol::QueryCriteria;
using ProtocolKind = aegis::protocol::IdentifierKind;

namespace {

const MatchConfig& config() {
  static const MatchConfig c;
  return c;
}
const Weights& weights() {
  static const Weights w(config());
  return w;
}

QueryCriteria criteria(const std::string& given, const std::string& family,
                       const std::string& dob) {
  QueryCriteria c;
  c.given = given;
  c.family = family;
  c.date_of_birth = *aegis::protocol::Date::parse(dob);
  return c;
}

// The criteria token of a fixture token (the asking authority makes the same keyed hash).
aegis::protocol::MatchTokens tokens_of(const IdentifierToken& t) {
  aegis::protocol::MatchTokens m;
  m.key_id = 1;
  m.entries.push_back({static_cast<ProtocolKind>(t.kind), t.hash});
  return m;
}

// A small population: Olivia Thompson (N1, two authorities), her sister Grace (N2), an
// unrelated Jack Wilson born the same day (N3), and a shielded Noah Whitfield (N4) with a
// clear record elsewhere.
SearchIndex population() {
  SearchIndex index;
  Child olivia;
  olivia.tokens = {test::token(aegis::resolve::IdentifierKind::nhs_number, "olivia-nhs")};
  index.upsert(olivia.record(), "N1");
  Child olivia_leeds = olivia;
  olivia_leeds.authority = "leeds";
  olivia_leeds.record_id = "L:7";
  olivia_leeds.postcode = "LS1 4AP";
  olivia_leeds.line1 = "3 Park Row";
  olivia_leeds.tokens.clear();  // leeds holds no valid identifier of hers
  index.upsert(olivia_leeds.record(), "N1");
  Child grace;
  grace.record_id = "r2";
  grace.given = "Grace";
  grace.dob = "2016-09-01";
  index.upsert(grace.record(), "N2");
  Child jack;
  jack.record_id = "r3";
  jack.given = "Jack";
  jack.family = "Wilson";
  jack.gender = aegis::protocol::Gender::male;
  jack.postcode = "CT2 7NZ";
  index.upsert(jack.record(), "N3");
  Child noah;
  noah.authority = "york";
  noah.record_id = "Y:1";
  noah.given = "Noah";
  noah.family = "Whitfield";
  noah.dob = "2017-11-02";
  noah.gender = aegis::protocol::Gender::male;
  noah.shielded = true;
  noah.tokens = {test::token(aegis::resolve::IdentifierKind::nhs_number, "noah-nhs"),
                 test::token(aegis::resolve::IdentifierKind::upn, "noah-upn")};
  index.upsert(noah.record(), "N4");
  Child noah_before = noah;
  noah_before.authority = "kent";
  noah_before.record_id = "r9";
  noah_before.shielded = false;
  noah_before.postcode = "CT1 2BB";
  index.upsert(noah_before.record(), "N4");
  return index;
}

std::vector<std::string> ids(const SearchResult& r) {
  std::vector<std::string> out;
  for (const SearchChild& c : r.children) out.push_back(c.national_id);
  return out;
}

}  // namespace

TEST_CASE("search: exact name and date of birth find the child with all its records",
          "[search]") {
  const SearchIndex index = population();
  const SearchResult r = index.search(criteria("Olivia", "Thompson", "2014-05-20"), config(),
                                      weights());
  REQUIRE(ids(r) == std::vector<std::string>{"N1"});
  CHECK(r.children[0].hits.size() == 2);
  CHECK_FALSE(r.capped);
}

TEST_CASE("search: typos, nicknames, swapped names and day/month are found", "[search]") {
  const SearchIndex index = population();
  for (const QueryCriteria& c :
       {criteria("Olivai", "Thompson", "2014-05-20"), criteria("Olivia", "Thomson", "2014-05-20"),
        criteria("Liv", "Thompson", "2014-05-20"), criteria("Thompson", "Olivia", "2014-05-20"),
        criteria("Olivia", "Thompson", "2014-05-21")}) {
    INFO(c.given << " " << c.family);
    CHECK(ids(index.search(c, config(), weights())) == std::vector<std::string>{"N1"});
  }
  // 2014-05-20 has no transposed form (no month 20): take a child born on the 3rd of May.
  SearchIndex small;
  Child may;
  may.dob = "2014-05-03";
  small.upsert(may.record(), "N7");
  CHECK(ids(small.search(criteria("Olivia", "Thompson", "2014-03-05"), config(), weights())) ==
        std::vector<std::string>{"N7"});
}

TEST_CASE("search: unrelated children are not returned", "[search]") {
  const SearchIndex index = population();
  // Same date of birth as Olivia and Jack, another name.
  CHECK(index.search(criteria("Amira", "Khan", "2014-05-20"), config(), weights())
            .children.empty());
  // Right names, a date of birth far from hers.
  CHECK(index.search(criteria("Olivia", "Thompson", "2009-01-11"), config(), weights())
            .children.empty());
  // Her sister is not returned for her.
  const auto olivia = ids(index.search(criteria("Olivia", "Thompson", "2014-05-20"), config(),
                                       weights()));
  CHECK(std::find(olivia.begin(), olivia.end(), "N2") == olivia.end());
  CHECK(std::find(olivia.begin(), olivia.end(), "N3") == olivia.end());
}

TEST_CASE("search: a shielded child is found by name and date of birth, flagged", "[search]") {
  const SearchIndex index = population();
  const SearchResult r = index.search(criteria("Noah", "Whitfield", "2017-11-02"), config(),
                                      weights());
  REQUIRE(ids(r) == std::vector<std::string>{"N4"});
  bool any_shielded = false;
  for (const SearchHit& h : r.children[0].hits) any_shielded = any_shielded || h.shielded;
  CHECK(any_shielded);
}

TEST_CASE("search: a postcode in the criteria never returns a shielded child", "[search]") {
  const SearchIndex index = population();
  QueryCriteria c = criteria("Noah", "Whitfield", "2017-11-02");
  c.postcode = "CT1 2BB";  // his clear record's old address: still not a candidate
  CHECK(index.search(c, config(), weights()).children.empty());
  c.postcode = "YO1 7HH";
  CHECK(index.search(c, config(), weights()).children.empty());
  // A child who is not shielded is still found with a postcode.
  QueryCriteria o = criteria("Olivia", "Thompson", "2014-05-20");
  o.postcode = "CT1 1AA";
  CHECK(ids(index.search(o, config(), weights())) == std::vector<std::string>{"N1"});
}

TEST_CASE("search: a UPN token never returns a shielded child; an NHS token does", "[search]") {
  const SearchIndex index = population();
  QueryCriteria c = criteria("Noah", "Whitfield", "2017-11-02");
  c.tokens = tokens_of(test::token(aegis::resolve::IdentifierKind::upn, "noah-upn"));
  CHECK(index.search(c, config(), weights()).children.empty());
  c.tokens = tokens_of(test::token(aegis::resolve::IdentifierKind::nhs_number, "noah-nhs"));
  CHECK(ids(index.search(c, config(), weights())) == std::vector<std::string>{"N4"});
  // The NHS token finds him even under a misspelt name and a wrong day.
  QueryCriteria typo = criteria("Noa", "Whitfeld", "2017-11-03");
  typo.tokens = c.tokens;
  CHECK(ids(index.search(typo, config(), weights())) == std::vector<std::string>{"N4"});
}

TEST_CASE("search: rule 4's trigger", "[search]") {
  QueryCriteria c = criteria("A", "B", "2015-01-01");
  CHECK_FALSE(uses_shield_hidden_field(c));
  c.tokens = tokens_of(test::token(aegis::resolve::IdentifierKind::uln, "x"));
  CHECK_FALSE(uses_shield_hidden_field(c));
  c.tokens->entries.push_back({ProtocolKind::upn, {}});
  CHECK(uses_shield_hidden_field(c));
  c.tokens.reset();
  c.postcode = "ME1 1AA";
  CHECK(uses_shield_hidden_field(c));
}

TEST_CASE("search: a different identifier token rules a record out", "[search]") {
  const SearchIndex index = population();
  QueryCriteria c = criteria("Olivia", "Thompson", "2014-05-20");
  c.tokens = tokens_of(test::token(aegis::resolve::IdentifierKind::nhs_number, "another-nhs"));
  const auto found = ids(index.search(c, config(), weights()));
  // Her leeds record has no token and still matches; her kent record's token differs.
  REQUIRE(found == std::vector<std::string>{"N1"});
  const SearchResult r = index.search(c, config(), weights());
  REQUIRE(r.children[0].hits.size() == 1);
  CHECK(r.children[0].hits[0].ref.authority_id == "leeds");
}

TEST_CASE("search: at most 50 children, and the answer says it was capped", "[search]") {
  SearchIndex index;
  for (int i = 0; i < 60; ++i) {
    Child c;
    c.authority = "a" + std::to_string(i);
    c.given = "Mohammed";
    c.family = "Ali";
    c.dob = "2015-06-01";
    index.upsert(c.record(), "N" + std::to_string(100 + i));
  }
  const SearchResult r = index.search(criteria("Mohammed", "Ali", "2015-06-01"), config(),
                                      weights());
  CHECK(r.children.size() == aegis::protocol::kMaxAnswerChildren);
  CHECK(r.capped);
  SearchOptions few;
  few.max_children = 60;
  const SearchResult all = index.search(criteria("Mohammed", "Ali", "2015-06-01"), config(),
                                        weights(), few);
  CHECK(all.children.size() == 60);
  CHECK_FALSE(all.capped);
}

TEST_CASE("search: upsert replaces and remove forgets a record", "[search]") {
  SearchIndex index = population();
  Child olivia;
  CHECK(index.remove(olivia.ref()));
  CHECK_FALSE(index.remove(olivia.ref()));
  const SearchResult r = index.search(criteria("Olivia", "Thompson", "2014-05-20"), config(),
                                      weights());
  REQUIRE(r.children.size() == 1);
  CHECK(r.children[0].hits.size() == 1);
  // Renamed: the old name no longer finds the record.
  Child renamed;
  renamed.authority = "leeds";
  renamed.record_id = "L:7";
  renamed.given = "Zara";
  renamed.family = "Okafor";
  index.upsert(renamed.record(), "N1");
  CHECK(index.search(criteria("Olivia", "Thompson", "2014-05-20"), config(), weights())
            .children.empty());
  // Removing the shielded record lifts rule 4 for his clear record.
  CHECK(index.remove(RecordRef{"york", "Y:1"}));
  QueryCriteria c = criteria("Noah", "Whitfield", "2017-11-02");
  c.postcode = "CT1 2BB";
  CHECK(ids(index.search(c, config(), weights())) == std::vector<std::string>{"N4"});
}

TEST_CASE("search: set_national_id files a record under another child", "[search]") {
  SearchIndex index = population();
  CHECK_FALSE(index.set_national_id(RecordRef{"kent", "nobody"}, "N9"));
  // Grace merged into Olivia's child.
  REQUIRE(index.set_national_id(RecordRef{"kent", "r2"}, "N1"));
  CHECK(ids(index.search(criteria("Grace", "Thompson", "2016-09-01"), config(), weights())) ==
        std::vector<std::string>{"N1"});
  // Noah's shielded record split off into N5: his clear record (N4) is found by postcode again,
  // the shielded one still not.
  REQUIRE(index.set_national_id(RecordRef{"york", "Y:1"}, "N5"));
  QueryCriteria c = criteria("Noah", "Whitfield", "2017-11-02");
  c.postcode = "CT1 2BB";
  CHECK(ids(index.search(c, config(), weights())) == std::vector<std::string>{"N4"});
  // And merged back: hidden again.
  REQUIRE(index.set_national_id(RecordRef{"york", "Y:1"}, "N4"));
  CHECK(index.search(c, config(), weights()).children.empty());
}

namespace {

// Everything a search returns, as text (two equal texts: equal results).
std::string text(const SearchResult& r) {
  std::ostringstream out;
  out << "capped " << r.capped << " scored " << r.scored << "\n";
  for (const SearchChild& child : r.children) {
    out << child.national_id << " " << child.best_score << ":";
    for (const SearchHit& hit : child.hits)
      out << " " << hit.ref.authority_id << "/" << hit.ref.record_id << "=" << hit.score
          << (hit.shielded ? "s" : "");
    out << "\n";
  }
  return out.str();
}

}  // namespace

TEST_CASE("search: changed record by record, it answers as one built from the final records",
          "[search]") {
  const std::uint32_t seed = GENERATE(11u, 12u, 13u, 14u);
  INFO("seed " << seed);
  std::mt19937 rng(seed);
  const std::vector<std::string> given{"Olivia", "Olive", "Grace", "Noah", "Jack"};
  const std::vector<std::string> family{"Thompson", "Thomson", "Wilson"};
  const std::vector<std::string> dobs{"2014-05-20", "2016-09-01"};
  const std::vector<std::string> postcodes{"CT1 1AA", "CT2 7NZ", ""};
  // The records held and the child of each: the model the index must agree with.
  std::map<RecordRef, std::pair<MatchRecord, std::string>> held;
  SearchIndex index;
  std::vector<QueryCriteria> searches;
  for (const std::string& g : given)
    for (const std::string& f : family) {
      searches.push_back(criteria(g, f, "2014-05-20"));
      searches.push_back(criteria(g, f, "2016-09-01"));
      searches.back().postcode = "CT1 1AA";
    }
  std::size_t found = 0;
  for (int step = 0; step < 300; ++step) {
    const RecordRef ref{rng() % 2 ? "kent" : "leeds", "r" + std::to_string(rng() % 12)};
    const auto op = static_cast<unsigned>(rng() % 10);
    if (op < 5) {  // add or change
      Child c;
      c.authority = ref.authority_id;
      c.record_id = ref.record_id;
      c.given = given[rng() % given.size()];
      c.family = family[rng() % family.size()];
      c.dob = dobs[rng() % dobs.size()];
      c.postcode = postcodes[rng() % postcodes.size()];
      c.shielded = rng() % 5 == 0;
      if (rng() % 3 == 0)
        c.tokens = {test::token(aegis::resolve::IdentifierKind::nhs_number,
                                "nhs" + std::to_string(rng() % 4))};
      const std::string child = "N" + std::to_string(rng() % 6);
      index.upsert(c.record(), child);
      held[ref] = {c.record(), child};
    } else if (op < 7) {  // delete
      CHECK(index.remove(ref) == (held.erase(ref) == 1));
    } else if (!held.empty()) {  // a merge (every record of one child to another) or a split
      auto it = std::next(held.begin(), static_cast<long>(rng() % held.size()));
      const std::string from = it->second.second;
      const std::string to = "N" + std::to_string(rng() % 8);
      if (op < 9) {
        for (auto& [r, entry] : held)
          if (entry.second == from) {
            REQUIRE(index.set_national_id(r, to));
            entry.second = to;
          }
      } else {
        REQUIRE(index.set_national_id(it->first, to));
        it->second.second = to;
      }
    }
    SearchIndex fresh;
    for (const auto& [r, entry] : held) fresh.upsert(entry.first, entry.second);
    REQUIRE(index.size() == fresh.size());
    for (const QueryCriteria& c : searches) {
      const std::string kept = text(index.search(c, config(), weights()));
      REQUIRE(kept == text(fresh.search(c, config(), weights())));
      if (kept.find(':') != std::string::npos) ++found;
    }
  }
  CHECK(found > 100);  // the results compared are not all empty
}
