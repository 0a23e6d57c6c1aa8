// Learning the Fellegi–Sunter parameters from the records themselves (docs/resolution.md,
// "Estimating m, u and the prior"), as fastLink does: m, u and the share of true pairs by
// expectation-maximisation of a two-class mixture over the blocked candidate pairs — the only
// pairs the Resolver ever scores, so the weights and the prior are those of a candidate pair,
// not of two records drawn at random. A training step: the Resolver then runs with the
// estimated, fixed parameters, so its partition stays a function of the records and decisions
// (incremental == full). Deterministic.
#pragma once

#include <cstddef>
#include <vector>

#include "resolve/features.hpp"
#include "resolve/score.hpp"

namespace aegis::resolve {

struct Estimate {
  std::vector<Probability> probabilities;  // the (field, level)s of the start, re-estimated
  double prior = 0;  // P(a candidate pair is one child): for link_threshold_for
  std::size_t candidate_pairs = 0;
  int iterations = 0;  // EM iterations run
};

struct EstimateOptions {
  int max_iterations = 100;
  double tolerance = 1e-6;  // stop when no m or u moves more than this
  // Pseudo-counts: as many pairs as this, distributed as the start's figures, are added to the
  // data's expected counts, so a level never seen keeps a finite weight near the start's.
  double prior_weight = 1;
};

// `start` gives the (field, level)s to estimate with their starting m and u, the blocking cap.
// With no candidate pair, returns the start unchanged (prior 0).
Estimate estimate_probabilities(const std::vector<MatchRecord>& records,
                                const MatchConfig& start, const EstimateOptions& options = {});

}  // namespace aegis::resolve
