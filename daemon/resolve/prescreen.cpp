// Prescreening a pair: the summary of a record and an upper bound of a pair's score.
#include "resolve/prescreen.hpp"

#include <algorithm>
#include <functional>
#include <initializer_list>
#include <limits>
#include <string_view>

#include "resolve/compare.hpp"

namespace aegis::resolve {

namespace {

// The text's hash folded to 16 bits; never 0 (0 stands for "empty"). Held in memory only, so
// the standard library's hash serves: nothing needs it stable across runs.
std::uint16_t fingerprint(std::string_view s) {
  if (s.empty()) return 0;
  const std::uint64_t h = std::hash<std::string_view>{}(s);
  const auto f = static_cast<std::uint16_t>(h ^ (h >> 16) ^ (h >> 32) ^ (h >> 48));
  return f == 0 ? 1 : f;
}

// A set of levels, one bit each.
using Levels = std::uint32_t;
constexpr Levels bit(Level l) { return Levels{1} << static_cast<unsigned>(l); }
constexpr Levels set_of(std::initializer_list<Level> ls) {
  Levels s = 0;
  for (Level l : ls) s |= bit(l);
  return s;
}

constexpr Levels kMissing = bit(Level::missing);

// What compare_text (and the comparators built on it) can say of two texts known only by
// their fingerprints: missing when either is empty; anything when the fingerprints match (the
// texts may still differ); never agree when they differ. `unequal` and `any` are the levels
// the comparator can give for different and for possibly equal texts.
Levels text_levels(std::uint16_t a, std::uint16_t b, Levels unequal, Levels any) {
  if (a == 0 || b == 0) return kMissing;
  return a == b ? any : unequal;
}

constexpr Levels kTextUnequal = set_of({Level::similar, Level::close, Level::disagree});
constexpr Levels kTextAny = kTextUnequal | bit(Level::agree);
// compare_given: a variant, or an initial, besides compare_text's levels.
constexpr Levels kGivenUnequal = kTextUnequal | set_of({Level::variant, Level::initial});
// compare_middle: an initial besides compare_text's levels.
constexpr Levels kMiddleUnequal = kTextUnequal | bit(Level::initial);
constexpr Levels kPostcodeUnequal = set_of({Level::outward, Level::close, Level::disagree});

}  // namespace

PairSummary summarize(const MatchRecord& r) {
  PairSummary s;
  for (const IdentifierToken& t : r.tokens) {
    const auto k = static_cast<std::size_t>(t.kind);
    if (k < 1 || k > kIdentifierKinds) continue;
    std::uint16_t& slot = s.token[k - 1];
    if (slot != 0) {
      slot = PairSummary::kMany;
      continue;
    }
    std::uint16_t f = static_cast<std::uint16_t>(t.hash[0] | t.hash[1] << 8);
    if (f == 0) f = 1;
    if (f == PairSummary::kMany) f = PairSummary::kMany - 1;
    slot = f;
  }
  s.given = fingerprint(r.name.given);
  s.family = fingerprint(r.name.family);
  s.middle = fingerprint(r.middle);
  s.postcode = fingerprint(r.postcode);
  s.address_line = fingerprint(r.address_line);
  s.locality = fingerprint(r.locality);
  s.date_of_birth = r.date_of_birth;
  s.gender = r.gender;
  s.has_former = !r.former.empty();
  return s;
}

Prescreen::Prescreen(const MatchConfig& config, const Weights& weights)
    : weights_(weights),
      // A pair scoring at least either threshold can be more than no link.
      review_threshold_(std::min(config.review_threshold, config.link_threshold)) {}

double Prescreen::best(Field f, Levels levels) const {
  double w = -std::numeric_limits<double>::infinity();
  for (std::size_t l = 0; l < kLevels; ++l) {
    if (levels & (Levels{1} << l)) w = std::max(w, weights_(f, static_cast<Level>(l)));
  }
  return w;
}

bool Prescreen::may_score(const PairSummary& a, const PairSummary& b) const {
  // Identifiers (compare_identifier): a kind both have is certainly disagree when each has
  // one token and their fingerprints differ; it may agree otherwise.
  double bound = 0;
  bool certain_disagree = false;
  bool may_agree = false;
  constexpr Field kIdField[] = {Field::upn, Field::uln, Field::nhs_number};
  for (std::size_t k = 0; k < kIdentifierKinds; ++k) {
    const std::uint16_t x = a.token[k];
    const std::uint16_t y = b.token[k];
    Levels levels = kMissing;
    if (x != 0 && y != 0) {
      if (x != PairSummary::kMany && y != PairSummary::kMany && x != y) {
        levels = bit(Level::disagree);
        certain_disagree = true;
      } else {
        levels = set_of({Level::agree, Level::disagree});
        may_agree = true;
      }
    }
    bound += best(kIdField[k], levels);
  }
  // The identifier_conflict cap: no link, whatever the score.
  if (certain_disagree && !may_agree) return false;

  // Names in their places, or exchanged at the swap penalty (score_pair counts the better;
  // the bound takes the better of the bounds, the exchanged ones in both orders of the pair).
  const Levels given = text_levels(a.given, b.given, kGivenUnequal, kGivenUnequal | kTextAny);
  const Levels family = a.has_former || b.has_former
                            ? kTextAny | kMissing
                            : text_levels(a.family, b.family, kTextUnequal, kTextAny);
  double names = best(Field::given_name, given) + best(Field::family_name, family) +
                 weights_(Field::name_order, Level::missing);
  const Levels ab = text_levels(a.given, b.family, kTextUnequal, kTextAny);
  const Levels ba = text_levels(a.family, b.given, kTextUnequal, kTextAny);
  if (ab != kMissing && ba != kMissing) {
    const double exchanged =
        std::max(best(Field::given_name, ab) + best(Field::family_name, ba),
                 best(Field::given_name, ba) + best(Field::family_name, ab)) +
        weights_(Field::name_order, Level::swapped);
    names = std::max(names, exchanged);
  }
  bound += names;

  bound += weights_(Field::date_of_birth, compare_date_of_birth(a.date_of_birth, b.date_of_birth));
  bound += weights_(Field::gender, compare_gender(a.gender, b.gender));
  bound += best(Field::postcode,
                text_levels(a.postcode, b.postcode, kPostcodeUnequal,
                            kPostcodeUnequal | bit(Level::agree)));
  // A move weighs once: score_pair may set a disagreeing address line or locality to 0.
  auto home = [&](Field f, Levels levels) {
    const double w = best(f, levels);
    return levels & bit(Level::disagree) ? std::max(w, 0.0) : w;
  };
  bound += home(Field::address_line,
                text_levels(a.address_line, b.address_line, kTextUnequal, kTextAny));
  bound += home(Field::locality, text_levels(a.locality, b.locality, kTextUnequal, kTextAny));
  bound += best(Field::middle_name,
                text_levels(a.middle, b.middle, kMiddleUnequal, kMiddleUnequal | kTextAny));
  // The same weights summed in another order: allow for rounding.
  return bound + 1e-9 >= review_threshold_;
}

}  // namespace aegis::resolve
