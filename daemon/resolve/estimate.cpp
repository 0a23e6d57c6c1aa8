// Estimating m, u and the prior by EM over the blocked candidate pairs (each pair reduced to
// its agreement pattern; equal patterns counted together).
#include "resolve/estimate.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <map>

#include "resolve/blocking.hpp"

namespace aegis::resolve {

namespace {

using Pattern = std::array<Level, kFields>;

// A fixed sequence of 64-bit values (splitmix64): the sampled pairs, the same on every run.
std::uint64_t mix(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

Pattern pattern_of(const MatchRecord& a, const MatchRecord& b, const MatchConfig& config,
                   const Weights& weights) {
  const PairScore s = score_pair(a, b, config, weights);
  Pattern p{};
  for (std::size_t f = 0; f < kFields; ++f) p[f] = s.evidence[f].level;
  return p;
}

// Per (field, level): which entry of the probability list it is (-1: not estimated).
using Slots = std::array<std::array<int, kLevels>, kFields>;

Slots slots_of(const std::vector<Probability>& ps) {
  Slots s;
  for (auto& row : s) row.fill(-1);
  for (std::size_t i = 0; i < ps.size(); ++i) {
    s[static_cast<std::size_t>(ps[i].field)][static_cast<std::size_t>(ps[i].level)] =
        static_cast<int>(i);
  }
  return s;
}

// Distributions per field from weighted counts of patterns: value(i) of each probability entry
// = (count of its level + prior_weight x start value) / (count of the field's known levels +
// prior_weight x the start values' sum over the field).
std::vector<double> distribution(const std::map<Pattern, double>& counts,
                                 const std::vector<Probability>& start, const Slots& slots,
                                 double prior_weight, bool want_m) {
  std::vector<double> num(start.size(), 0.0);
  std::array<double, kFields> den{};
  std::array<double, kFields> start_sum{};
  for (std::size_t i = 0; i < start.size(); ++i) {
    const double v = want_m ? start[i].m : start[i].u;
    num[i] = prior_weight * v;
    start_sum[static_cast<std::size_t>(start[i].field)] += v;
  }
  for (std::size_t f = 0; f < kFields; ++f) den[f] = prior_weight * start_sum[f];
  for (const auto& [p, c] : counts) {
    for (std::size_t f = 0; f < kFields; ++f) {
      const int slot = slots[f][static_cast<std::size_t>(p[f])];
      if (slot < 0) continue;  // missing (no evidence) or a level not estimated
      num[static_cast<std::size_t>(slot)] += c;
      den[f] += c;
    }
  }
  for (std::size_t i = 0; i < start.size(); ++i) {
    const double d = den[static_cast<std::size_t>(start[i].field)];
    // Keep the start's share of the field's mass, so the values stay comparable to it.
    num[i] = d > 0 ? num[i] / d * start_sum[static_cast<std::size_t>(start[i].field)] : 0;
  }
  return num;
}

// The fields whose agreement decides, in the E-step, how likely a candidate pair is one child.
// The address lines and locality are left out: they move with the postcode (one home, one
// move), and three copies of one fact would outvote the others — the mixture would split
// candidate pairs into "same home or not" instead of "same child or not". Their m and u are
// still estimated (the M-step counts every field).
bool classifies(Field f) { return f != Field::address_line && f != Field::locality; }

// A mixture of two classes can settle on another split than "same child or not" (the same
// home or not: siblings with the true pairs that did not move). Agreement on a field is never
// evidence against, nor disagreement evidence for: where the estimate says otherwise, the
// level gets no weight (m = u, their mean) — the constraint that keeps the classes the ones
// meant.
void keep_monotone(std::vector<double>& m, std::vector<double>& u, const Slots& slots) {
  for (std::size_t f = 0; f < kFields; ++f) {
    const int agree = slots[f][static_cast<std::size_t>(Level::agree)];
    const int disagree = slots[f][static_cast<std::size_t>(Level::disagree)];
    auto level = [&](int slot, bool want_for) {
      if (slot < 0) return;
      const auto k = static_cast<std::size_t>(slot);
      if (want_for ? m[k] < u[k] : m[k] > u[k]) m[k] = u[k] = (m[k] + u[k]) / 2;
    };
    level(agree, true);
    level(disagree, false);
  }
}

}  // namespace

Estimate estimate_probabilities(const std::vector<MatchRecord>& records,
                                const MatchConfig& start, const EstimateOptions& options) {
  Estimate e;
  e.probabilities = start.probabilities;
  const std::size_t n = records.size();
  if (n < 2) return e;
  const Weights weights(start);
  const Slots slots = slots_of(start.probabilities);

  // Candidate pairs: every pair sharing a block no larger than the cap (as the Resolver).
  // The blocks as (key, record) sorted by key: one flat array, each block a run in it (a hash
  // map of vectors cost a quarter of a training at 300k records in allocations alone).
  std::vector<std::pair<std::uint64_t, std::uint32_t>> keyed;
  keyed.reserve(n * 16);
  for (std::size_t i = 0; i < n; ++i) {
    for (const std::uint64_t k : blocking_keys(records[i])) {
      keyed.emplace_back(k, static_cast<std::uint32_t>(i));
    }
  }
  std::sort(keyed.begin(), keyed.end());
  // Pairs (lower index * n + higher) of every block within the cap, each once.
  std::vector<std::uint64_t> pairs;
  for (std::size_t from = 0; from < keyed.size();) {
    std::size_t to = from + 1;
    while (to < keyed.size() && keyed[to].first == keyed[from].first) ++to;
    if (to - from <= start.max_block_size) {
      for (std::size_t x = from; x < to; ++x) {
        for (std::size_t y = x + 1; y < to; ++y) {  // records ascending within a block
          pairs.push_back(static_cast<std::uint64_t>(keyed[x].second) * n + keyed[y].second);
        }
      }
    }
    from = to;
  }
  std::vector<std::pair<std::uint64_t, std::uint32_t>>().swap(keyed);
  std::sort(pairs.begin(), pairs.end());
  pairs.erase(std::unique(pairs.begin(), pairs.end()), pairs.end());
  std::map<Pattern, double> candidates;
  for (const std::uint64_t id : pairs) {
    candidates[pattern_of(records[id / n], records[id % n], start, weights)] += 1;
  }
  e.candidate_pairs = pairs.size();
  if (e.candidate_pairs == 0) return e;

  // EM over the candidate patterns (fastLink's two-class mixture): m, u and the candidates'
  // share of true pairs, starting from the start's figures.
  std::vector<double> m(start.probabilities.size());
  std::vector<double> u(start.probabilities.size());
  for (std::size_t i = 0; i < m.size(); ++i) {
    m[i] = start.probabilities[i].m;
    u[i] = start.probabilities[i].u;
  }
  double lambda = 0.5;
  for (e.iterations = 1; e.iterations <= options.max_iterations; ++e.iterations) {
    std::map<Pattern, double> expected_true;
    std::map<Pattern, double> expected_false;
    double total_true = 0;
    for (const auto& [p, c] : candidates) {
      double log_ratio = 0;  // log2 of P(pattern | true) / P(pattern | not)
      for (std::size_t f = 0; f < kFields; ++f) {
        const int slot = slots[f][static_cast<std::size_t>(p[f])];
        if (slot < 0 || !classifies(static_cast<Field>(f))) continue;
        const auto k = static_cast<std::size_t>(slot);
        log_ratio += std::log2(m[k] / u[k]);
      }
      const double odds = lambda / (1 - lambda) * std::exp2(log_ratio);
      const double posterior = std::isinf(odds) ? 1.0 : odds / (1 + odds);
      expected_true[p] = c * posterior;
      expected_false[p] = c * (1 - posterior);
      total_true += c * posterior;
    }
    std::vector<double> next_m =
        distribution(expected_true, start.probabilities, slots, options.prior_weight, true);
    std::vector<double> next_u =
        distribution(expected_false, start.probabilities, slots, options.prior_weight, false);
    keep_monotone(next_m, next_u, slots);
    double moved = 0;
    for (std::size_t i = 0; i < m.size(); ++i) {
      moved = std::max({moved, std::abs(next_m[i] - m[i]), std::abs(next_u[i] - u[i])});
    }
    m = next_m;
    u = next_u;
    lambda = std::clamp(total_true / static_cast<double>(e.candidate_pairs), 1e-9, 1 - 1e-9);
    if (moved < options.tolerance) break;
  }
  e.iterations = std::min(e.iterations, options.max_iterations);
  e.candidate_prior = lambda;

  // u: pairs drawn from a fixed sequence over all records; nearly all are two different
  // children, so the weights say how rare an agreement is between any two children.
  const double all_pairs = static_cast<double>(n) * static_cast<double>(n - 1) / 2;
  const auto draws = static_cast<std::size_t>(
      std::min(static_cast<double>(options.sampled_pairs), all_pairs));
  std::map<Pattern, double> sampled;
  for (std::uint64_t k = 0; e.sampled_pairs < draws && k < 4 * draws + 16; ++k) {
    const std::size_t a = mix(2 * k) % n;
    const std::size_t b = mix(2 * k + 1) % n;
    if (a == b) continue;
    sampled[pattern_of(records[a], records[b], start, weights)] += 1;
    ++e.sampled_pairs;
  }
  std::vector<double> u_random =
      distribution(sampled, start.probabilities, slots, options.u_prior_weight, false);
  keep_monotone(m, u_random, slots);  // the final pairing holds the same rule
  for (std::size_t i = 0; i < m.size(); ++i) {
    e.probabilities[i].m = m[i];
    e.probabilities[i].u = u_random[i];
  }
  // Blocking keeps (nearly) every true pair: the true pairs among all pairs are those found.
  e.prior = lambda * static_cast<double>(e.candidate_pairs) / all_pairs;
  return e;
}

}  // namespace aegis::resolve
