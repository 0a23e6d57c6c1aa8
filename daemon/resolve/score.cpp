// Fellegi–Sunter scoring: documented m/u estimates, weights, the pair score and its caps.
#include "resolve/score.hpp"

#include <cmath>

namespace aegis::resolve {

std::string_view outcome_name(Outcome o) noexcept {
  switch (o) {
    case Outcome::no_link: return "no_link";
    case Outcome::review: return "review";
    case Outcome::link: return "link";
  }
  return "unknown";
}

std::string_view cap_name(Cap c) noexcept {
  switch (c) {
    case Cap::none: return "none";
    case Cap::identifier_conflict: return "identifier_conflict";
    case Cap::identifier_mixed: return "identifier_mixed";
    case Cap::given_names_differ: return "given_names_differ";
    case Cap::birth_dates_differ: return "birth_dates_differ";
    case Cap::another_child: return "another_child";
  }
  return "unknown";
}

std::vector<Probability> default_probabilities() {
  using F = Field;
  using L = Level;
  std::vector<Probability> p;
  for (F id : {F::upn, F::uln, F::nhs_number}) {
    p.push_back({id, L::agree, 0.97, 1e-7});
    p.push_back({id, L::disagree, 0.01, 0.9999});
  }
  p.insert(p.end(), {
      {F::given_name, L::agree, 0.85, 0.01},
      {F::given_name, L::variant, 0.04, 0.001},
      {F::given_name, L::similar, 0.05, 0.003},
      {F::given_name, L::close, 0.02, 0.01},
      {F::given_name, L::initial, 0.01, 0.02},
      {F::given_name, L::disagree, 0.03, 0.956},
      {F::family_name, L::agree, 0.88, 0.004},
      {F::family_name, L::similar, 0.06, 0.002},
      {F::family_name, L::close, 0.03, 0.01},
      {F::family_name, L::disagree, 0.03, 0.984},
      {F::date_of_birth, L::agree, 0.90, 0.0002},
      {F::date_of_birth, L::transposed, 0.015, 0.00002},
      {F::date_of_birth, L::one_part, 0.06, 0.006},
      {F::date_of_birth, L::disagree, 0.025, 0.9938},
      {F::gender, L::agree, 0.97, 0.5},
      {F::gender, L::disagree, 0.03, 0.5},
      {F::postcode, L::agree, 0.80, 0.0005},
      {F::postcode, L::outward, 0.08, 0.005},
      {F::postcode, L::close, 0.03, 0.002},
      {F::postcode, L::disagree, 0.09, 0.9925},
      {F::address_line, L::agree, 0.70, 0.0002},
      {F::address_line, L::similar, 0.12, 0.0005},
      {F::address_line, L::close, 0.05, 0.02},
      {F::address_line, L::disagree, 0.13, 0.9793},
      {F::middle_name, L::agree, 0.75, 0.02},
      {F::middle_name, L::similar, 0.06, 0.005},
      {F::middle_name, L::close, 0.02, 0.01},
      {F::middle_name, L::initial, 0.05, 0.03},
      {F::middle_name, L::disagree, 0.12, 0.935},
      {F::locality, L::agree, 0.70, 0.05},
      {F::locality, L::similar, 0.12, 0.01},
      {F::locality, L::close, 0.05, 0.05},
      {F::locality, L::disagree, 0.13, 0.89},
  });
  return p;
}

Weights::Weights(const MatchConfig& config) {
  for (const Probability& p : config.probabilities) {
    w_[static_cast<std::size_t>(p.field)][static_cast<std::size_t>(p.level)] =
        std::log2(p.m / p.u);
  }
  // Name order is not a field with its own m/u: a swap costs a fixed penalty.
  w_[static_cast<std::size_t>(Field::name_order)][static_cast<std::size_t>(Level::swapped)] =
      -config.swap_penalty;
}

double link_threshold_for(double posterior, double prior) {
  return std::log2(posterior / (1 - posterior)) - std::log2(prior / (1 - prior));
}

namespace {

// One home is one fact: a move changes the postcode, the first address line and the locality
// together. When the postcode already says "another home" (disagree, or only the district
// shared), the address line and locality disagreeing follow from it, for one child who moved
// as for two children — no further evidence, so they weigh nothing. Counted three times they
// cost a child who moved about 5 bits (docs/resolution.md, "Scoring").
void discount_moved_home(PairScore& s) {
  const Level postcode = s.evidence[static_cast<std::size_t>(Field::postcode)].level;
  if (postcode != Level::disagree && postcode != Level::outward) return;
  for (Field f : {Field::address_line, Field::locality}) {
    FieldEvidence& e = s.evidence[static_cast<std::size_t>(f)];
    if (e.level == Level::disagree) e.weight = 0;
  }
}

}  // namespace

PairScore score_pair(const MatchRecord& a, const MatchRecord& b, const MatchConfig& config,
                     const Weights& weights) {
  PairScore s;
  auto set = [&](Field f, Level l) {
    s.evidence[static_cast<std::size_t>(f)] = {f, l, weights(f, l)};
  };
  bool id_agree = false;
  bool id_disagree = false;
  for (auto [field, kind] : {std::pair{Field::upn, IdentifierKind::upn},
                             std::pair{Field::uln, IdentifierKind::uln},
                             std::pair{Field::nhs_number, IdentifierKind::nhs_number}}) {
    const Level l = compare_identifier(a, b, kind);
    id_agree = id_agree || l == Level::agree;
    id_disagree = id_disagree || l == Level::disagree;
    set(field, l);
  }

  // Names in their places, or exchanged (given <-> family) at a penalty: the better one counts.
  const Level given = compare_given(a, b);
  const Level family = compare_family(a, b);
  const Level given_x = compare_text(a.name.given, b.name.family);
  const Level family_x = compare_text(a.name.family, b.name.given);
  const double direct = weights(Field::given_name, given) + weights(Field::family_name, family);
  const double swapped = weights(Field::given_name, given_x) +
                         weights(Field::family_name, family_x) - config.swap_penalty;
  const bool use_swap = given_x != Level::missing && family_x != Level::missing &&
                        swapped > direct;
  set(Field::given_name, use_swap ? given_x : given);
  set(Field::family_name, use_swap ? family_x : family);
  set(Field::name_order, use_swap ? Level::swapped : Level::missing);

  set(Field::date_of_birth, compare_date_of_birth(a.date_of_birth, b.date_of_birth));
  set(Field::gender, compare_gender(a.gender, b.gender));
  set(Field::postcode, compare_postcode(a, b));
  set(Field::address_line, compare_address_line(a, b));
  set(Field::middle_name, compare_middle(a, b));
  set(Field::locality, compare_locality(a, b));

  discount_moved_home(s);
  for (const FieldEvidence& e : s.evidence) s.score += e.weight;
  s.outcome = s.score >= config.link_threshold    ? Outcome::link
              : s.score >= config.review_threshold ? Outcome::review
                                                   : Outcome::no_link;
  auto cap = [&](Cap why, Outcome at_most) {
    if (s.outcome > at_most) {
      s.outcome = at_most;
      s.cap = why;
    }
  };
  if (id_disagree && !id_agree) {
    cap(Cap::identifier_conflict, Outcome::no_link);
  } else if (id_disagree) {
    cap(Cap::identifier_mixed, Outcome::review);
  } else if (config.sibling_guard && !id_agree) {
    const Level given_level = s.evidence[static_cast<std::size_t>(Field::given_name)].level;
    const bool one_authority = a.ref.authority_id == b.ref.authority_id;
    // Twins rarely share a middle name: with one, a given name one typo too far or shortened to
    // its initial is the same child. A given name wholly different is still a twin's.
    const bool middle_agrees =
        s.evidence[static_cast<std::size_t>(Field::middle_name)].level == Level::agree;
    const bool near_given =
        middle_agrees && (given_level == Level::close || given_level == Level::initial);
    // Another given name and another date of birth (or gender): a brother or sister, however
    // much home and family agree. Not worth an operator's time either: on the synthetic sets
    // they were four fifths of the review queue, and FEBRL has 1-3 true pairs so (both fields
    // replaced) against thousands of siblings in a country.
    const Level dob_level = s.evidence[static_cast<std::size_t>(Field::date_of_birth)].level;
    const Level gender_level = s.evidence[static_cast<std::size_t>(Field::gender)].level;
    if (given_level == Level::disagree &&
        (dob_level == Level::disagree || gender_level == Level::disagree)) {
      cap(Cap::another_child, Outcome::no_link);
    }
    if ((!near_given && (given_level == Level::disagree || given_level == Level::close ||
                         given_level == Level::initial)) ||
        (one_authority && given_level != Level::agree)) {
      cap(Cap::given_names_differ, Outcome::review);
    }
    // A home, names and family shared but another date of birth: a sibling given the same
    // name (or a whole date mistyped — a person decides).
    if (dob_level == Level::disagree) {
      cap(Cap::birth_dates_differ, Outcome::review);
    }
  }
  return s;
}

bool evidence_against(const PairScore& s) {
  auto level = [&](Field f) { return s.evidence[static_cast<std::size_t>(f)].level; };
  if (level(Field::upn) == Level::agree || level(Field::uln) == Level::agree ||
      level(Field::nhs_number) == Level::agree) {
    return false;
  }
  return level(Field::date_of_birth) == Level::disagree ||
         (level(Field::given_name) == Level::disagree && level(Field::name_order) != Level::swapped);
}

}  // namespace aegis::resolve
