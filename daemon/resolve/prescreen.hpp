// Prescreening a pair before scoring it (docs/resolution.md, "Prescreen"): a 24-byte summary
// of each record — identifier token fingerprints, date of birth, gender, fingerprints of the
// names, postcode, first address line and locality — kept in one flat array by the engine,
// bounds a pair's score from above without touching either record. A pair whose bound is
// under the review threshold, or whose identifiers certainly conflict with none possibly
// agreeing (the identifier_conflict cap), is no link whatever score_pair would say: the
// engine skips scoring it. Most pairs a block brings together are such strangers; at national scale
// scoring them cost a cache miss or more per record touched (the record, its ref key, its
// token vector) and four Jaro-Winkler comparisons.
//
// Exact, never a heuristic: the bound is at least the score for every pair (a fingerprint
// that matches by chance only makes the bound looser), so no pair that score_pair would link
// or send to review is ever skipped. tests/resolve/prescreen_test.cpp checks the bound
// against score_pair over many pairs built to agree, disagree and collide field by field.
#pragma once

#include <array>
#include <cstdint>

#include "resolve/features.hpp"
#include "resolve/score.hpp"

namespace aegis::resolve {

struct PairSummary {
  // Per identifier kind (index kind - 1): 0 when the record has no token of that kind; else
  // a 16-bit fingerprint of its token, never 0; kMany when it has several.
  std::array<std::uint16_t, kIdentifierKinds> token{};
  // 16-bit fingerprints of the normalised given, family and middle names, the postcode, the
  // first address line and the locality; 0 when empty (the comparators say "missing" then).
  std::uint16_t given = 0;
  std::uint16_t family = 0;
  std::uint16_t middle = 0;
  std::uint16_t postcode = 0;
  std::uint16_t address_line = 0;
  std::uint16_t locality = 0;
  protocol::Date date_of_birth;
  protocol::Gender gender = protocol::Gender::not_known;
  bool has_former = false;  // former names: the family name may agree with one of them

  static constexpr std::uint16_t kMany = 0xffff;
};
static_assert(sizeof(PairSummary) <= 24);

PairSummary summarize(const MatchRecord& r);

// The bound, for one configuration (its weights and review threshold).
class Prescreen {
 public:
  Prescreen(const MatchConfig& config, const Weights& weights);

  // False only when score_pair(a, b) is certainly no link (in either order of a and b).
  bool may_score(const PairSummary& a, const PairSummary& b) const;

 private:
  // The highest weight of a field over the levels the summaries leave possible.
  double best(Field f, std::uint32_t levels) const;

  const Weights& weights_;  // the engine's own: outlives this
  double review_threshold_;
};

}  // namespace aegis::resolve
