// The prescreen (prescreen.hpp) is exact: a pair it turns away is one score_pair would never
// link nor send to review, under any configuration — checked over many pairs whose fields
// agree, differ by a typo, are exchanged, missing, or differ while their fingerprints collide.
#include <catch2/catch.hpp>

#include <map>
#include <random>
#include <string>
#include <vector>

#include "fixtures.hpp"
#include "resolve/prescreen.hpp"
#include "resolve/score.hpp"

using namespace aegis::resolve;
using aegis::protocol::Gender;
using aegis::protocol::PersonName;
using test::Child;
using test::token;

namespace {

// Two different names whose normalised forms have the same 16-bit fingerprint (found by
// search, so the test does not depend on the hash function's constants).
std::pair<std::string, std::string> colliding_family_names() {
  std::map<std::uint16_t, std::string> seen;
  for (int i = 0;; ++i) {
    Child c;
    c.family = "Fam" + std::to_string(i);
    const std::uint16_t f = summarize(c.record()).family;
    if (auto [it, fresh] = seen.emplace(f, c.family); !fresh) return {it->second, c.family};
  }
}

// A configuration with weights drawn at random (some agreement levels weigh less than
// disagreement, as EM estimates can make them) and thresholds anywhere.
MatchConfig random_config(std::mt19937_64& rng) {
  MatchConfig c;
  std::uniform_real_distribution<double> p(0.001, 0.999);
  for (Probability& pr : c.probabilities) {
    pr.m = p(rng);
    pr.u = p(rng);
  }
  std::uniform_real_distribution<double> t(-20, 60);
  c.review_threshold = t(rng);
  c.link_threshold = t(rng);
  c.swap_penalty = std::uniform_real_distribution<double>(0, 6)(rng);
  return c;
}

// The default configuration's prescreen and scores, for pairs of children.
struct Defaults {
  MatchConfig config;
  Weights weights{config};
  Prescreen prescreen{config, weights};
  bool may_score(const Child& a, const Child& b) const {
    return prescreen.may_score(summarize(a.record()), summarize(b.record()));
  }
  PairScore score(const Child& a, const Child& b) const {
    return score_pair(a.record(), b.record(), config, weights);
  }
};

// Kent's Olivia with an NHS number, and Leeds's copy of her.
std::pair<Child, Child> olivia_twice() {
  Child a;
  a.tokens = {token(IdentifierKind::nhs_number, "n1")};
  Child b = a;
  b.authority = "leeds";
  return {a, b};
}

}  // namespace

TEST_CASE("prescreen: a pair turned away is never more than no link, in either order") {
  const auto [collide_a, collide_b] = colliding_family_names();
  REQUIRE(collide_a != collide_b);
  const std::vector<std::string> givens{"Olivia", "Olivia", "Olvia", "Thompson", "Liv", "O", "",
                                        "Amelia", collide_a};
  const std::vector<std::string> families{"Thompson", "Thompson", "Thomson", "Olivia",
                                          "Smith Thompson", "", collide_a, collide_b};
  const std::vector<std::string> middles{"", "", "Jane", "Jayne", "J"};
  // Equal, transposed, one part different, other.
  const std::vector<std::string> dobs{"2014-05-20", "2014-05-20", "2014-05-12",
                                      "2014-05-21", "2013-05-20", "2010-01-01"};
  const std::vector<std::string> postcodes{"CT1 1AA", "CT1 1AA", "CT1 1AB", "CT1 9ZZ", "LS1 4AP",
                                           ""};
  const std::vector<std::string> lines{"12 High Street", "12 High Street", "14 High Street",
                                       "12 High St", "1 Park Row", ""};
  const std::vector<std::vector<std::string>> localities{{}, {"Canterbury"}, {"Canterbury"},
                                                         {"Leeds"}, {"Town", "Canterbury"}};
  const std::vector<Gender> genders{Gender::female, Gender::female, Gender::male,
                                    Gender::not_known};
  // Tokens: the same, other ones, ones whose first bytes (the fingerprint) are the same but
  // which differ, several of one kind, none.
  const std::vector<std::vector<IdentifierToken>> tokens{
      {},
      {token(IdentifierKind::nhs_number, "n1")},
      {token(IdentifierKind::nhs_number, "n1")},
      {token(IdentifierKind::nhs_number, "n2")},
      {token(IdentifierKind::nhs_number, "n1x")},
      {token(IdentifierKind::nhs_number, "n1"), token(IdentifierKind::nhs_number, "n3")},
      {token(IdentifierKind::upn, "u1"), token(IdentifierKind::nhs_number, "n2")},
      {token(IdentifierKind::upn, "u1"), token(IdentifierKind::uln, "l1")},
      {token(IdentifierKind::upn, "u2")},
  };

  std::mt19937_64 rng(20261128);
  auto pick = [&](const auto& v) {
    return v[std::uniform_int_distribution<std::size_t>(0, v.size() - 1)(rng)];
  };
  auto child = [&](const std::string& record_id) {
    Child c;
    c.authority = record_id.substr(0, 1) == "a" ? "kent" : "leeds";
    c.record_id = record_id;
    c.given = pick(givens);
    c.family = pick(families);
    if (c.family.empty() && c.given.empty()) c.family = "Thompson";
    c.middle = pick(middles);
    c.dob = pick(dobs);
    c.gender = pick(genders);
    c.postcode = pick(postcodes);
    c.line1 = pick(lines);
    c.locality = pick(localities);
    c.tokens = pick(tokens);
    if (std::uniform_int_distribution<int>(0, 5)(rng) == 0) {
      c.former = {PersonName{"", "", pick(families).empty() ? "Jones" : pick(families)}};
    }
    c.shielded = std::uniform_int_distribution<int>(0, 7)(rng) == 0;
    return c;
  };

  std::uint64_t turned_away = 0;
  std::uint64_t kept_but_no_link = 0;
  std::uint64_t scored_above = 0;
  for (int round = 0; round < 60; ++round) {
    const MatchConfig config = round == 0 ? MatchConfig{} : random_config(rng);
    const Weights weights(config);
    const Prescreen prescreen(config, weights);
    for (int i = 0; i < 2000; ++i) {
      const MatchRecord a = child("a" + std::to_string(i)).record();
      const MatchRecord b = child("b" + std::to_string(i)).record();
      const PairSummary sa = summarize(a);
      const PairSummary sb = summarize(b);
      const bool may = prescreen.may_score(sa, sb);
      REQUIRE(may == prescreen.may_score(sb, sa));
      const PairScore ab = score_pair(a, b, config, weights);
      const PairScore ba = score_pair(b, a, config, weights);
      if (!may) {
        ++turned_away;
        INFO("round " << round << " pair " << i << " score " << ab.score << " / " << ba.score);
        REQUIRE(ab.outcome == Outcome::no_link);
        REQUIRE(ba.outcome == Outcome::no_link);
      } else if (ab.outcome == Outcome::no_link) {
        ++kept_but_no_link;
      } else {
        ++scored_above;
      }
    }
  }
  // The check above means something only if both sides are well represented.
  CHECK(turned_away > 10000);
  CHECK(scored_above > 10000);
  CHECK(kept_but_no_link > 0);
}

TEST_CASE("prescreen: identifiers that certainly conflict turn a pair away, whatever agrees") {
  const Defaults d;
  auto [a, b] = olivia_twice();
  b.tokens = {token(IdentifierKind::nhs_number, "n2")};
  // Everything else the same: a twin with its own NHS number.
  CHECK_FALSE(d.may_score(a, b));
  CHECK(d.score(a, b).cap == Cap::identifier_conflict);

  SECTION("a second token of the kind might be shared: scored") {
    b.tokens.push_back(token(IdentifierKind::nhs_number, "n1"));
    std::sort(b.tokens.begin(), b.tokens.end());
    CHECK(d.may_score(a, b));
    CHECK(d.score(a, b).outcome == Outcome::link);
  }
  SECTION("tokens that differ beyond their fingerprint: scored (then no link)") {
    b.tokens = {token(IdentifierKind::nhs_number, "n1x")};
    CHECK(d.may_score(a, b));
    CHECK(d.score(a, b).outcome == Outcome::no_link);
  }
  SECTION("another kind agrees: scored") {
    a.tokens.push_back(token(IdentifierKind::upn, "u1"));
    b.tokens.push_back(token(IdentifierKind::upn, "u1"));
    std::sort(a.tokens.begin(), a.tokens.end());
    std::sort(b.tokens.begin(), b.tokens.end());
    CHECK(d.may_score(a, b));
  }
}

TEST_CASE("prescreen: the same child with typos, a move and no identifiers is scored") {
  const Defaults d;
  auto [a, b] = olivia_twice();
  b.tokens = {};
  b.given = "Olvia";
  b.family = "Thomson";
  b.postcode = "LS1 4AP";
  b.line1 = "1 Park Row";
  CHECK(d.may_score(a, b));
  CHECK(d.score(a, b).outcome != Outcome::no_link);
}
