// Estimating m, u and the prior from records (resolve/estimate.hpp): learned figures point the
// right way, the prior is about the true share, runs are deterministic, and degenerate inputs
// (no records, one record, no candidate pair) give the start back unchanged.
#include <catch2/catch.hpp>

#include <cmath>
#include <string>
#include <vector>

#include "fixtures.hpp"
#include "resolve/estimate.hpp"

using namespace aegis::resolve;
using test::Child;

namespace {

const std::vector<std::string> kGiven = {"Olivia", "Amelia", "Isla",  "Ava",   "Mia",
                                         "Noah",   "Oliver", "George", "Arthur", "Leo"};
const std::vector<std::string> kFamily = {"Smith", "Jones",  "Taylor", "Brown", "Wilson",
                                          "Evans", "Thomas", "Roberts"};

// 80 children in Kent, all different; the first 40 also in Leeds (moved house, half with a
// typo in the given name).
std::vector<MatchRecord> population(std::size_t* true_pairs) {
  std::vector<MatchRecord> out;
  *true_pairs = 0;
  for (std::size_t i = 0; i < 80; ++i) {
    Child c;
    c.record_id = "k" + std::to_string(i);
    c.given = kGiven[i % kGiven.size()];
    c.family = kFamily[(i / kGiven.size()) % kFamily.size()];
    // Unique dates (the cycles 8, 12, 28 first meet again at 168).
    const std::size_t month = 1 + i % 12;
    const std::size_t day = 1 + i % 28;
    c.dob = "201" + std::to_string(i % 8) + (month < 10 ? "-0" : "-") + std::to_string(month) +
            (day < 10 ? "-0" : "-") + std::to_string(day);
    c.postcode = "CT" + std::to_string(1 + i) + " 1AB";  // one home per child
    c.line1 = std::to_string(i + 1) + " High Street";
    out.push_back(c.record());
    if (i < 40) {
      Child d = c;
      d.authority = "leeds";
      d.record_id = "l" + std::to_string(i);
      d.postcode = "LS" + std::to_string(1 + i) + " 1AP";
      d.line1 = std::to_string(i + 7) + " Park Row";
      if (i % 2 == 0) d.given += "e";  // one edit
      out.push_back(d.record());
      ++*true_pairs;
    }
  }
  return out;
}

double weight(const Estimate& e, Field f, Level l) {
  for (const Probability& p : e.probabilities) {
    if (p.field == f && p.level == l) return std::log2(p.m / p.u);
  }
  FAIL("no such field level");
  return 0;
}

}  // namespace

TEST_CASE("estimated figures point the right way and the prior is about the true share") {
  std::size_t true_pairs = 0;
  const auto records = population(&true_pairs);
  const Estimate e = estimate_probabilities(records, MatchConfig{});
  REQUIRE(e.candidate_pairs >= true_pairs);
  CHECK(e.iterations >= 1);
  CHECK(e.sampled_pairs > 0);
  const double n = static_cast<double>(records.size());
  const double truth = static_cast<double>(true_pairs) / (n * (n - 1) / 2);
  CHECK(e.prior > truth / 2);
  CHECK(e.prior < truth * 2);
  CHECK(weight(e, Field::date_of_birth, Level::agree) > 5);
  CHECK(weight(e, Field::family_name, Level::agree) > 0);
  CHECK(weight(e, Field::given_name, Level::disagree) < 0);
  // Every child here moved: a different postcode is weak evidence against, not strong.
  CHECK(weight(e, Field::postcode, Level::disagree) > -3);
  // Deterministic: the same records give the same figures.
  const Estimate again = estimate_probabilities(records, MatchConfig{});
  REQUIRE(again.probabilities.size() == e.probabilities.size());
  for (std::size_t i = 0; i < e.probabilities.size(); ++i) {
    CHECK(again.probabilities[i].m == e.probabilities[i].m);
    CHECK(again.probabilities[i].u == e.probabilities[i].u);
  }
  CHECK(again.prior == e.prior);
}

TEST_CASE("agreement is never estimated as evidence against, nor disagreement for") {
  std::size_t true_pairs = 0;
  const Estimate e = estimate_probabilities(population(&true_pairs), MatchConfig{});
  for (const Probability& p : e.probabilities) {
    INFO(std::string(field_name(p.field)) + "." + std::string(level_name(p.level)));
    CHECK(p.m > 0);
    CHECK(p.u > 0);
    if (p.level == Level::agree) CHECK(p.m >= p.u);
    if (p.level == Level::disagree) CHECK(p.m <= p.u);
  }
}

TEST_CASE("no records, one record: the start comes back unchanged") {
  const MatchConfig start;
  for (std::size_t n : {0, 1}) {
    std::vector<MatchRecord> records;
    if (n == 1) records.push_back(Child{}.record());
    const Estimate e = estimate_probabilities(records, start);
    CHECK(e.prior == 0);
    CHECK(e.candidate_pairs == 0);
    CHECK(e.probabilities == start.probabilities);
  }
}

TEST_CASE("records that share no blocking key: nothing to learn from") {
  Child a;
  Child b;
  b.record_id = "r2";
  b.given = "Zebedee";
  b.family = "Quartermaine";
  b.dob = "2009-11-03";
  b.postcode = "LS1 4AP";
  b.line1 = "1 Park Row";
  const MatchConfig start;
  const Estimate e = estimate_probabilities({a.record(), b.record()}, start);
  CHECK(e.candidate_pairs == 0);
  CHECK(e.prior == 0);
  CHECK(e.probabilities == start.probabilities);
}

TEST_CASE("a block over the cap gives no candidate pairs, as in the Resolver") {
  std::vector<MatchRecord> records;
  for (int i = 0; i < 3; ++i) {
    Child c;  // three copies of one child in one authority: blocks of three
    c.record_id = "r" + std::to_string(i);
    records.push_back(c.record());
  }
  MatchConfig start;
  start.max_block_size = 2;
  CHECK(estimate_probabilities(records, start).candidate_pairs == 0);
  start.max_block_size = 3;
  CHECK(estimate_probabilities(records, start).candidate_pairs == 3);
}
