// Fellegi–Sunter scoring of a pair of records (docs/resolution.md, "Scoring"): each field's
// agreement level carries a weight log2(m/u), the pair's score is their sum, and thresholds
// from MatchConfig turn the score into link / review / no link. Two rules cap the outcome
// whatever the score (identifiers that disagree; different given names), so twins and
// siblings are never linked on shared surname, date of birth and address alone.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>
#include <vector>

#include "resolve/compare.hpp"
#include "resolve/features.hpp"

namespace aegis::resolve {

enum class Outcome : std::uint8_t { no_link = 0, review = 1, link = 2 };
std::string_view outcome_name(Outcome o) noexcept;  // "no_link", "review", "link"

// m = P(level | same child), u = P(level | different children) for one field level.
struct Probability {
  Field field;
  Level level;
  double m;
  double u;
  bool operator==(const Probability&) const = default;
};

// The documented estimates (docs/resolution.md, table "m and u").
std::vector<Probability> default_probabilities();

struct MatchConfig {
  double link_threshold = 30.0;    // score >= this: link (unless a rule caps it)
  double review_threshold = 13.0;   // score >= this: review
  double swap_penalty = 2.0;       // subtracted when names only agree swapped
  // Different given names cap a pair at review unless an identifier agrees (twins share
  // surname, date of birth and address); with another date of birth or gender as well, at no
  // link (a brother or sister). Off only to measure the scores alone on data with no twins
  // (FEBRL replaces given names as a corruption).
  bool sibling_guard = true;
  std::size_t max_block_size = 200;  // blocks with more records are not compared (counted)
  // Engine links never make a cluster larger than this (a child is known to a few
  // authorities, not dozens); the union is refused and counted. Bounds the cost of checking
  // a union for evidence against (resolver.hpp).
  std::size_t max_cluster_size = 64;
  // A change whose region (records connected through link pairs, operator links and shared
  // ids) holds more records than this re-resolves only the clusters it touches (counted):
  // per-change cost does not grow with the region.
  std::size_t max_region_size = 64;
  std::vector<Probability> probabilities = default_probabilities();
};

// Why an outcome is lower than the score alone says.
enum class Cap : std::uint8_t {
  none,
  identifier_conflict,  // tokens of one kind differ and none agrees: no link
  identifier_mixed,     // one kind agrees, another differs: at most review
  given_names_differ,   // both given names known and different (a sibling?): at most review
  birth_dates_differ,   // dates of birth differ in two parts or more (a sibling given the
                        // same name?) and no identifier agrees: at most review
  another_child,        // given names wholly different and the date of birth or the gender
                        // too, no identifier agrees (a brother or sister): no link
};
std::string_view cap_name(Cap c) noexcept;

struct FieldEvidence {
  Field field = Field::upn;
  Level level = Level::missing;
  double weight = 0.0;
};

// The score of one pair with its evidence, field by field (for the review screen).
struct PairScore {
  double score = 0.0;
  Outcome outcome = Outcome::no_link;
  Cap cap = Cap::none;
  std::array<FieldEvidence, kFields> evidence{};  // indexed by Field
};

// Weights of every (field, level), precomputed from a MatchConfig.
class Weights {
 public:
  explicit Weights(const MatchConfig& config);
  double operator()(Field f, Level l) const {
    return w_[static_cast<std::size_t>(f)][static_cast<std::size_t>(l)];
  }

 private:
  std::array<std::array<double, kLevels>, kFields> w_{};
};

// The link threshold (bits) at which a pair's posterior probability of being one child reaches
// `posterior`, when two records drawn at random are one child with probability `prior`: the
// score is log2 of the likelihood ratio against a random pair, so posterior odds = prior odds
// x 2^score (docs/resolution.md, "Thresholds"). For N records holding T true pairs, prior =
// T / (N (N - 1) / 2).
double link_threshold_for(double posterior, double prior);

PairScore score_pair(const MatchRecord& a, const MatchRecord& b, const MatchConfig& config,
                     const Weights& weights);

// Strong evidence that a pair is two children, whatever its score: no identifier agrees and
// the dates of birth disagree (two parts or more, not transposed) or the given names wholly
// differ (not swapped with the family name). The engine never puts such a pair in one
// cluster through third records (resolver.hpp); only an operator link can.
bool evidence_against(const PairScore& s);

}  // namespace aegis::resolve
