// The index's training policy (index/resolution_training.hpp): the documented figures below
// min_records or with nothing to learn from, learned m and u above it (thresholds kept), and
// learning again only when the records have doubled.
#include <catch2/catch.hpp>

#include <optional>
#include <string>
#include <vector>

#include "../resolve/fixtures.hpp"
#include "index/resolution_training.hpp"

using namespace aegis::index;
using aegis::resolve::MatchConfig;
using aegis::resolve::MatchRecord;
using aegis::resolve::default_probabilities;
using aegis::resolve::test::Child;

namespace {

const std::vector<std::string> kGiven = {"Oliver", "Amelia", "George", "Isla", "Harry",
                                         "Grace", "Jack", "Mia", "Noah", "Freya"};
const std::vector<std::string> kFamily = {"Smith", "Okafor", "Nowak", "Evans", "Khan",
                                          "Murphy", "Clarke", "Patel", "Walker", "Hughes"};

// `people` children in Kent; with `copies`, each also known in Leeds (moved, a typo for some).
std::vector<MatchRecord> children(int people, bool copies) {
  std::vector<MatchRecord> out;
  for (int i = 0; i < people; ++i) {
    Child c;
    c.record_id = "k" + std::to_string(i);
    c.given = kGiven[static_cast<std::size_t>(i % 10)];
    c.family = kFamily[static_cast<std::size_t>((i / 10) % 10)];
    c.dob = "201" + std::to_string(i % 10) + "-0" + std::to_string(1 + i % 9) + "-1" +
            std::to_string(i % 7);
    c.postcode = "CT" + std::to_string(1 + i % 20) + " " + std::to_string(i % 10) + "AB";
    c.line1 = std::to_string(1 + i) + " High Street";
    out.push_back(c.record());
    if (!copies) continue;
    Child d = c;
    d.authority = "leeds";
    d.record_id = "l" + std::to_string(i);
    if (i % 3 == 0) d.given += "e";
    if (i % 2 == 0) {
      d.postcode = "LS" + std::to_string(1 + i % 9) + " 4AP";
      d.line1 = "9 Park Row";
    }
    out.push_back(d.record());
  }
  return out;
}

}  // namespace

TEST_CASE("training learns m and u from enough records and keeps the thresholds") {
  MatchConfig base;
  base.link_threshold = 27.5;
  base.review_threshold = 11;
  const TrainingPolicy policy{100};
  const auto records = children(200, true);
  const Training t = train(records, base, policy);
  CHECK(t.learned);
  CHECK(t.records == records.size());
  CHECK(t.config.probabilities != default_probabilities());
  CHECK(t.config.probabilities.size() == default_probabilities().size());
  CHECK(t.config.link_threshold == 27.5);
  CHECK(t.config.review_threshold == 11);
  CHECK(t.config.max_block_size == base.max_block_size);
}

TEST_CASE("training keeps the documented figures below min_records") {
  const TrainingPolicy policy{1000};
  const auto records = children(200, true);
  const Training t = train(records, {}, policy);
  CHECK_FALSE(t.learned);
  CHECK(t.records == records.size());
  CHECK(t.config.probabilities == default_probabilities());
}

TEST_CASE("training keeps the documented figures with no candidate pair to learn from") {
  const Training empty = train({}, {}, TrainingPolicy{0});
  CHECK_FALSE(empty.learned);
  CHECK(empty.config.probabilities == default_probabilities());
  // One record: no pair at all.
  const Training one = train(children(1, false), {}, TrainingPolicy{1});
  CHECK_FALSE(one.learned);
  CHECK(one.config.probabilities == default_probabilities());
}

TEST_CASE("training is due at min_records, then only when the records have doubled") {
  const TrainingPolicy policy{1000};
  CHECK_FALSE(training_due(0, 0, policy));
  CHECK_FALSE(training_due(0, 999, policy));
  CHECK(training_due(0, 1000, policy));
  CHECK(training_due(500, 1000, policy));  // computed below the minimum: learn now
  CHECK_FALSE(training_due(1000, 1000, policy));
  CHECK_FALSE(training_due(1000, 1999, policy));
  CHECK(training_due(1000, 2000, policy));
  CHECK_FALSE(training_due(5000, 3000, policy));  // records removed: nothing new to learn
  CHECK_FALSE(training_due(5000, 900, policy));   // below the minimum again
}

TEST_CASE("training settles: figures computed for settled_records are kept however many more arrive") {
  const TrainingPolicy policy{1000, 8000};
  CHECK(training_due(4000, 8000, policy));          // below settled: learn at the doubling
  CHECK_FALSE(training_due(8000, 16000, policy));   // computed for settled_records: kept
  CHECK_FALSE(training_due(8000, 1000000, policy));
  CHECK_FALSE(training_due(9000, 100000, policy));
  CHECK(training_due(500, 100000, policy));         // computed below the minimum: learn now
  // A settled count below the minimum means: learn once, at the minimum, and keep it.
  const TrainingPolicy once{1000, 10};
  CHECK(training_due(0, 1000, once));
  CHECK_FALSE(training_due(1000, 5000, once));
  // The defaults: 5,000 to learn, settled at 100,000 (a national index learns about 6 times).
  const TrainingPolicy defaults;
  CHECK(training_due(80000, 160000, defaults));
  CHECK_FALSE(training_due(160000, 320000, defaults));
  CHECK_FALSE(training_due(100000, 11000000, defaults));
}

TEST_CASE("training: the learned figures read back exactly from their text") {
  const Training learned = train(children(3000, true));
  REQUIRE(learned.learned);
  const std::optional<Training> back = decode_training(encode_training(learned), MatchConfig{});
  REQUIRE(back);
  CHECK(back->records == learned.records);
  CHECK(back->learned);
  CHECK(back->config.probabilities == learned.config.probabilities);  // exact, not close
  const Training documented = train(children(10, false));
  const std::optional<Training> plain = decode_training(encode_training(documented), MatchConfig{});
  REQUIRE(plain);
  CHECK_FALSE(plain->learned);
  CHECK(plain->config.probabilities == default_probabilities());
}

TEST_CASE("training: a text that is not exactly this build's figures is refused") {
  const std::string good = encode_training(train(children(3000, true)));
  const std::size_t first_line = good.find('\n') + 1;
  const std::size_t second_line = good.find('\n', first_line) + 1;
  const auto refused = [](const std::string& text) {
    INFO(text.substr(0, 80));
    CHECK_FALSE(decode_training(text, MatchConfig{}));
  };
  refused("");
  refused("garbage");
  refused(good.substr(0, good.size() - 1));             // last line without its newline
  refused(good.substr(0, second_line));                 // (field, level)s missing
  refused(good + "upn agree 0.5 0.5\n");                // one more than this build has
  refused("records -1\n" + good.substr(first_line));    // not a count
  refused("records 10 x\n" + good.substr(first_line));  // trailing word
  refused("count 10\n" + good.substr(first_line));
  std::string swapped = good;  // the first line's field renamed
  swapped.replace(first_line, good.find(' ', first_line) - first_line, "nhs_numbers");
  refused(swapped);
  // The first (field, level) kept, its numbers replaced.
  const std::string first = good.substr(first_line, second_line - first_line);
  const std::string names = first.substr(0, first.find(' ', first.find(' ') + 1));
  const auto with_numbers = [&](const std::string& numbers) {
    return good.substr(0, first_line) + names + " " + numbers + "\n" + good.substr(second_line);
  };
  CHECK(decode_training(with_numbers("0.5 0.25"), MatchConfig{}));  // the edit itself is fine
  refused(with_numbers("1.5 0.1"));   // not a probability
  refused(with_numbers("0.9 nan"));
  refused(with_numbers("0.9"));       // a number missing
  refused(with_numbers("0.9 0.1 0.1"));
}
