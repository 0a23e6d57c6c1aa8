// The index's training policy for the matching engine (resolution_training.hpp).
#include "index/resolution_training.hpp"

#include "resolve/estimate.hpp"

namespace aegis::index {

Training train(const std::vector<resolve::MatchRecord>& records,
               const resolve::MatchConfig& base, const TrainingPolicy& policy) {
  Training t{base, records.size(), false};
  if (records.size() < policy.min_records) return t;
  const resolve::Estimate e = resolve::estimate_probabilities(records, base);
  if (e.candidate_pairs == 0) return t;  // nothing to learn m from: keep the documented figures
  t.config.probabilities = e.probabilities;
  t.learned = true;
  return t;
}

bool training_due(std::size_t trained_for, std::size_t held, const TrainingPolicy& policy) {
  if (held < policy.min_records) return false;
  return trained_for < policy.min_records || held >= 2 * trained_for;
}

}  // namespace aegis::index
