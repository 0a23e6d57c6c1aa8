// Learning the Fellegi–Sunter parameters from the records themselves (docs/resolution.md,
// "Estimating m, u and the prior"), as Splink does: u from pairs drawn across all records
// (almost all are two different children), m and the share of true pairs by
// expectation-maximisation of a two-class mixture over the blocked candidate pairs. A training
// step: the Resolver then runs with the estimated, fixed parameters, so its partition stays a
// function of the records and decisions (incremental == full). Deterministic: the drawn pairs
// come from a fixed sequence, not a random source.
#pragma once

#include <cstddef>
#include <vector>

#include "resolve/features.hpp"
#include "resolve/score.hpp"

namespace aegis::resolve {

struct Estimate {
  // The (field, level)s of the start: m from EM over the candidate pairs, u from drawn pairs.
  std::vector<Probability> probabilities;
  double prior = 0;  // P(two records drawn at random are one child): for link_threshold_for
  double candidate_prior = 0;  // the same among the candidate pairs
  std::size_t candidate_pairs = 0;
  std::size_t sampled_pairs = 0;
  int iterations = 0;  // EM iterations run
};

struct EstimateOptions {
  std::size_t sampled_pairs = 1'000'000;  // pairs drawn for u (fewer when there are fewer)
  int max_iterations = 100;
  double tolerance = 1e-6;  // stop when no m or u moves more than this
  // Pseudo-counts: as many pairs as this, distributed as the start's figures, are added to the
  // data's expected counts, so a level never seen keeps a finite weight near the start's (an
  // identifier agreeing in no drawn pair keeps a tiny u, not zero).
  double prior_weight = 1;       // EM (against the expected true pairs)
  double u_prior_weight = 1000;  // drawn pairs (against sampled_pairs)
};

// `start` gives the (field, level)s to estimate with their starting m and u, the blocking cap.
// With no candidate pair, returns the start unchanged (prior 0).
Estimate estimate_probabilities(const std::vector<MatchRecord>& records,
                                const MatchConfig& start, const EstimateOptions& options = {});

}  // namespace aegis::resolve
