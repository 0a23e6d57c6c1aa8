// Fellegi–Sunter scoring: what links, what waits for review, what never links (twins,
// identifiers that disagree), and that shielded records are scored on visible data only.
#include <catch2/catch.hpp>

#include "fixtures.hpp"
#include <cmath>

#include "resolve/score.hpp"

using namespace aegis::resolve;
using aegis::protocol::Gender;
using test::Child;
using test::token;

namespace {

PairScore score(const Child& a, const Child& b, const MatchConfig& config = {}) {
  const Weights w(config);
  return score_pair(a.record(), b.record(), config, w);
}

Level level(const PairScore& s, Field f) { return s.evidence[static_cast<std::size_t>(f)].level; }

Child other(Child c, const std::string& authority = "leeds") {
  c.authority = authority;
  c.record_id = "l1";
  return c;
}

}  // namespace

TEST_CASE("the same identifier token links even when names and address changed") {
  Child a;
  a.tokens = {token(IdentifierKind::nhs_number, "n1")};
  Child b = other(a);
  b.family = "Jones";  // adopted name
  b.postcode = "LS1 4AP";
  b.line1 = "1 Park Row";
  const PairScore s = score(a, b);
  CHECK(s.outcome == Outcome::link);
  CHECK(level(s, Field::nhs_number) == Level::agree);
  CHECK(level(s, Field::family_name) == Level::disagree);
  CHECK(s.cap == Cap::none);
}

TEST_CASE("an identifier token alone does not link when everything else disagrees") {
  Child a;
  a.tokens = {token(IdentifierKind::upn, "u1")};
  Child b = other(a);
  b.given = "Jack";
  b.family = "Brown";
  b.dob = "2010-01-01";
  b.gender = Gender::male;
  b.postcode = "LS1 4AP";
  b.line1 = "1 Park Row";
  CHECK(score(a, b).outcome != Outcome::link);
}

TEST_CASE("tokens of one kind that differ never link, whatever else agrees") {
  Child a;
  a.tokens = {token(IdentifierKind::nhs_number, "n1")};
  Child b = other(a);
  b.tokens = {token(IdentifierKind::nhs_number, "n2")};
  const PairScore s = score(a, b);
  CHECK(s.outcome == Outcome::no_link);
  CHECK(s.cap == Cap::identifier_conflict);
  CHECK(level(s, Field::nhs_number) == Level::disagree);

  // One kind agrees, another differs: a person must look.
  a.tokens.push_back(token(IdentifierKind::upn, "u1"));
  b.tokens.push_back(token(IdentifierKind::upn, "u1"));
  const PairScore mixed = score(a, b);
  CHECK(mixed.outcome == Outcome::review);
  CHECK(mixed.cap == Cap::identifier_mixed);
}

TEST_CASE("records without tokens (missing or invalid identifiers) match on the rest") {
  Child a;
  Child b = other(a);
  b.tokens = {token(IdentifierKind::upn, "u1")};  // only one side has one: no evidence
  const PairScore s = score(a, b);
  CHECK(level(s, Field::upn) == Level::missing);
  CHECK(s.evidence[static_cast<std::size_t>(Field::upn)].weight == 0.0);
  CHECK(s.outcome == Outcome::link);
}

TEST_CASE("typos in names and a transposed or mistyped date still link at the same address") {
  Child a;
  Child b = other(a);
  b.given = "Olivai";
  b.family = "Thomspon";
  CHECK(score(a, b).outcome == Outcome::link);

  Child c;
  c.dob = "2014-05-07";
  Child d = other(c);
  d.dob = "2014-07-05";
  const PairScore t = score(c, d);
  CHECK(level(t, Field::date_of_birth) == Level::transposed);
  CHECK(t.outcome == Outcome::link);

  d.dob = "2015-05-07";
  d.given = "Olvia";
  const PairScore o = score(c, d);
  CHECK(level(o, Field::date_of_birth) == Level::one_part);
  CHECK(o.outcome == Outcome::link);
}

TEST_CASE("nicknames link; swapped forename and surname link") {
  Child a;
  a.given = "William";
  a.gender = Gender::male;
  Child b = other(a);
  b.given = "Bill";
  const PairScore n = score(a, b);
  CHECK(level(n, Field::given_name) == Level::variant);
  CHECK(n.outcome == Outcome::link);

  Child c = other(a);
  c.given = "Thompson";
  c.family = "William";
  const PairScore s = score(a, c);
  CHECK(level(s, Field::name_order) == Level::swapped);
  CHECK(level(s, Field::given_name) == Level::agree);
  CHECK(s.outcome == Outcome::link);
}

TEST_CASE("twins (same surname, date of birth, address; other forenames) are never linked") {
  Child a;
  a.given = "Oliver";
  a.gender = Gender::male;
  Child b = other(a);
  b.given = "Amelia";
  b.gender = Gender::female;
  const PairScore s = score(a, b);
  CHECK(s.outcome != Outcome::link);
  // Even with the same gender and similar names (Kathleen / Kathryn).
  Child c;
  c.given = "Kathleen";
  Child d = other(c);
  d.given = "Kathryn";
  const PairScore t = score(c, d);
  CHECK(t.score >= MatchConfig{}.link_threshold);  // the score alone would link them
  CHECK(t.outcome == Outcome::review);
  CHECK(t.cap == Cap::given_names_differ);
  // With their NHS numbers, they are apart for good.
  c.tokens = {token(IdentifierKind::nhs_number, "n1")};
  d.tokens = {token(IdentifierKind::nhs_number, "n2")};
  CHECK(score(c, d).outcome == Outcome::no_link);
  // Two records of one authority at one address with variant names are twins, not one child.
  Child e;
  e.given = "Katherine";
  Child f = e;
  f.record_id = "r2";
  f.given = "Kate";
  CHECK(score(e, f).outcome == Outcome::review);
}

TEST_CASE("shielded records are matched on identity and tokens only") {
  Child a;
  Child b = other(a);
  b.shielded = true;
  const PairScore s = score(a, b);
  CHECK(level(s, Field::postcode) == Level::missing);
  CHECK(level(s, Field::address_line) == Level::missing);
  CHECK(s.outcome == Outcome::review);  // name and date alone: a person decides
  // A different address hidden by the shield costs nothing either.
  Child c = other(a);
  c.shielded = true;
  c.postcode = "LS1 4AP";
  c.line1 = "1 Park Row";
  CHECK(score(a, c).score == Approx(s.score));
  // Its token links it.
  a.tokens = {token(IdentifierKind::nhs_number, "n1")};
  b.tokens = {token(IdentifierKind::nhs_number, "n1")};
  CHECK(score(a, b).outcome == Outcome::link);
}

TEST_CASE("different children sharing a common name and date but no address do not link") {
  Child a;
  Child b = other(a);
  b.postcode = "LS1 4AP";
  b.line1 = "1 Park Row";
  CHECK(score(a, b).outcome == Outcome::review);
  b.dob = "2014-06-21";
  CHECK(score(a, b).outcome == Outcome::no_link);
}

TEST_CASE("thresholds and weights come from the config") {
  Child a;
  Child b = other(a);
  b.postcode = "LS1 4AP";
  b.line1 = "1 Park Row";
  MatchConfig c;
  c.link_threshold = 10;
  CHECK(score(a, b, c).outcome == Outcome::link);
  c.link_threshold = 1000;
  c.review_threshold = 999;
  CHECK(score(a, b, c).outcome == Outcome::no_link);
  // Weights are log2(m/u) of the configured probabilities.
  MatchConfig d;
  const Weights w(d);
  CHECK(w(Field::given_name, Level::agree) == Approx(std::log2(0.85 / 0.01)));
  CHECK(w(Field::given_name, Level::missing) == 0.0);
  CHECK(w(Field::name_order, Level::swapped) == -d.swap_penalty);
}

TEST_CASE("a pair scores the same both ways round") {
  Child a;
  Child b = other(a);
  b.given = "Olvia";
  b.dob = "2014-05-21";
  CHECK(score(a, b).score == Approx(score(b, a).score));
  CHECK(score(a, b).outcome == score(b, a).outcome);
}

TEST_CASE("a given name one typo too far links when the middle names agree; a twin's never") {
  Child a;
  a.given = "Connor";
  a.middle = "James";
  a.gender = Gender::male;
  Child b = other(a);
  b.given = "Cnono R";  // FEBRL-style: several edits, Jaro-Winkler >= 0.85
  const PairScore s = score(a, b);
  REQUIRE(level(s, Field::given_name) == Level::close);
  CHECK(level(s, Field::middle_name) == Level::agree);
  CHECK(s.outcome == Outcome::link);
  // Without the middle name's agreement: a twin as far as the data says.
  b.middle = "";
  CHECK(score(a, b).outcome == Outcome::review);
  b.middle = "Jack";
  CHECK(score(a, b).outcome == Outcome::review);
  // A wholly different given name is a twin's, whatever the middle name.
  b.middle = "James";
  b.given = "Alexander";
  const PairScore t = score(a, b);
  CHECK(t.outcome == Outcome::review);
  CHECK(t.cap == Cap::given_names_differ);
  // Nor does a shared middle name link two records of one authority with other given names.
  Child c = a;
  c.record_id = "r2";
  c.given = "Conor";
  CHECK(score(a, c).outcome == Outcome::review);
}

TEST_CASE("the link threshold follows the target posterior and the population") {
  // Prior 1/1000 and posterior 0.999: log2(999) + log2(999) bits.
  CHECK(link_threshold_for(0.999, 0.001) == Approx(2 * std::log2(999.0)).margin(1e-9));
  // A rarer true pair (a larger population) or a surer link asks for more evidence.
  CHECK(link_threshold_for(0.999, 1e-7) > link_threshold_for(0.999, 1e-6));
  CHECK(link_threshold_for(0.9999, 1e-6) > link_threshold_for(0.999, 1e-6));
  // An even prior still asks for the posterior's own odds.
  CHECK(link_threshold_for(0.999, 0.5) == Approx(std::log2(999.0)));
  CHECK(link_threshold_for(0.5, 0.5) == Approx(0.0).margin(1e-12));
}

TEST_CASE("a sibling given the same name (another date of birth) is never linked on score") {
  Child a;
  a.given = "Jack";
  a.gender = Gender::male;
  a.locality = {"Canterbury"};
  Child b = other(a);
  b.dob = "2016-09-03";  // two parts of the date differ
  const PairScore s = score(a, b);
  REQUIRE(level(s, Field::date_of_birth) == Level::disagree);
  CHECK(s.score >= MatchConfig{}.link_threshold);  // the score alone would link them
  CHECK(s.outcome == Outcome::review);
  CHECK(s.cap == Cap::birth_dates_differ);
  // One part mistyped or day and month exchanged is still the same child.
  b.dob = "2014-05-21";
  CHECK(score(a, b).outcome == Outcome::link);
  b.dob = "2014-05-05";
  a.dob = "2014-05-05";
  CHECK(score(a, b).outcome == Outcome::link);
  // A shared identifier links whatever the date says.
  b.dob = "2016-09-03";
  a.tokens = {token(IdentifierKind::nhs_number, "n1")};
  b.tokens = {token(IdentifierKind::nhs_number, "n1")};
  CHECK(score(a, b).outcome == Outcome::link);
}

TEST_CASE("a brother or sister (another given name and another date of birth or gender) is no link") {
  Child a;  // Olivia Thompson, 2014-05-20, 12 High Street, CT1 1AA
  a.locality = {"Canterbury"};
  Child sister = other(a);
  sister.given = "Grace";
  sister.dob = "2016-09-03";
  const PairScore s = score(a, sister);
  REQUIRE(level(s, Field::given_name) == Level::disagree);
  REQUIRE(level(s, Field::date_of_birth) == Level::disagree);
  CHECK(s.score >= MatchConfig{}.review_threshold);  // home and family alone would ask a person
  CHECK(s.outcome == Outcome::no_link);
  CHECK(s.cap == Cap::another_child);
  // A twin brother: same date, another given name and gender.
  Child brother = other(a);
  brother.given = "Harry";
  brother.gender = Gender::male;
  const PairScore t = score(a, brother);
  CHECK(t.outcome == Outcome::no_link);
  CHECK(t.cap == Cap::another_child);
  // A twin sister (same gender) still waits for review: a given name replaced in error looks so.
  Child twin = other(a);
  twin.given = "Amelia";
  CHECK(score(a, twin).outcome == Outcome::review);
  CHECK(score(a, twin).cap == Cap::given_names_differ);
  // Another date alone, the same given name: a sibling named alike, or a date mistyped: review.
  Child named_alike = other(a);
  named_alike.dob = "2016-09-03";
  CHECK(score(a, named_alike).cap == Cap::birth_dates_differ);
  CHECK(score(a, named_alike).outcome == Outcome::review);
  // A shared identifier links whatever the names and dates say: an operator's evidence too.
  sister.tokens = {token(IdentifierKind::nhs_number, "n1")};
  a.tokens = {token(IdentifierKind::nhs_number, "n1")};
  CHECK(score(a, sister).cap == Cap::none);
  // Without the guards (measuring scores alone), the score decides.
  MatchConfig off;
  off.sibling_guard = false;
  sister.tokens.clear();
  a.tokens.clear();
  CHECK(score(a, sister, off).cap == Cap::none);
}

TEST_CASE("a move counts once: the address line and locality weigh nothing when the postcode differs") {
  Child a;
  a.locality = {"Canterbury"};
  Child moved = other(a);
  moved.postcode = "LS1 4AP";
  moved.line1 = "1 Park Row";
  moved.locality = {"Leeds"};
  const MatchConfig config;
  const Weights w(config);
  const PairScore s = score(a, moved);
  CHECK(level(s, Field::address_line) == Level::disagree);
  CHECK(level(s, Field::locality) == Level::disagree);
  CHECK(s.evidence[static_cast<std::size_t>(Field::address_line)].weight == 0.0);
  CHECK(s.evidence[static_cast<std::size_t>(Field::locality)].weight == 0.0);
  CHECK(s.score == Approx(w(Field::given_name, Level::agree) + w(Field::family_name, Level::agree) +
                          w(Field::date_of_birth, Level::agree) + w(Field::gender, Level::agree) +
                          w(Field::postcode, Level::disagree)));
  // Names and date alone still wait for review at the documented threshold.
  CHECK(s.outcome == Outcome::review);
  // Moved within the district (outward code shared): the same rule.
  Child near = moved;
  near.postcode = "CT1 9ZZ";
  const PairScore n = score(a, near);
  CHECK(level(n, Field::postcode) == Level::outward);
  CHECK(n.evidence[static_cast<std::size_t>(Field::address_line)].weight == 0.0);
}

TEST_CASE("an address that differs under the same postcode, or with none, still counts against") {
  Child a;
  a.locality = {"Canterbury"};
  const MatchConfig config;
  const Weights w(config);
  // Same postcode, another first line and town: not explained by a move.
  Child b = other(a);
  b.line1 = "1 Park Row";
  b.locality = {"Leeds"};
  const PairScore s = score(a, b);
  CHECK(level(s, Field::postcode) == Level::agree);
  CHECK(s.evidence[static_cast<std::size_t>(Field::address_line)].weight ==
        Approx(w(Field::address_line, Level::disagree)));
  CHECK(s.evidence[static_cast<std::size_t>(Field::locality)].weight ==
        Approx(w(Field::locality, Level::disagree)));
  CHECK(w(Field::address_line, Level::disagree) < 0);
  // One side without a postcode: nothing to say the home changed, so the lines count.
  Child c = b;
  c.postcode.clear();
  const PairScore t = score(a, c);
  CHECK(level(t, Field::postcode) == Level::missing);
  CHECK(t.evidence[static_cast<std::size_t>(Field::address_line)].weight ==
        Approx(w(Field::address_line, Level::disagree)));
  // A postcode one typo away is not a move either.
  Child d = b;
  d.postcode = "CT2 1AA";
  const PairScore u = score(a, d);
  CHECK(level(u, Field::postcode) == Level::close);
  CHECK(u.evidence[static_cast<std::size_t>(Field::address_line)].weight ==
        Approx(w(Field::address_line, Level::disagree)));
}

TEST_CASE("twins who moved together are still never linked on score") {
  Child a;
  a.given = "Oliver";
  a.gender = Gender::male;
  Child twin = other(a);
  twin.given = "Harry";
  twin.postcode = "LS1 4AP";
  twin.line1 = "1 Park Row";
  MatchConfig config;
  config.link_threshold = 5;  // whatever the score
  const PairScore s = score(a, twin, config);
  CHECK(s.outcome == Outcome::review);
  CHECK(s.cap == Cap::given_names_differ);
}
