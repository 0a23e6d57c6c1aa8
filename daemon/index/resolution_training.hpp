// When and how the index learns its matching figures (docs/resolution.md, "Estimating m, u and
// the prior", "At the index"): m, u and the prior estimated from the records the index holds
// (resolve/estimate.hpp) instead of the documented defaults, once it holds enough of them,
// and again each time the number of records has doubled. Thresholds, caps and guards stay
// those of the configuration given. Pure: no I/O (the caller reads the records).
#pragma once

#include <cstddef>
#include <vector>

#include "resolve/features.hpp"
#include "resolve/score.hpp"

namespace aegis::index {

struct TrainingPolicy {
  // Below this many records the documented figures are used: too few candidate pairs to
  // learn from.
  std::size_t min_records = 5000;
};

struct Training {
  resolve::MatchConfig config;  // `base` with the learned m and u (or `base` unchanged)
  std::size_t records = 0;      // records it was computed for (learned from, when `learned`)
  bool learned = false;         // false: the documented figures (too few records or pairs)
};

// The engine's configuration for an index holding `records`.
Training train(const std::vector<resolve::MatchRecord>& records,
               const resolve::MatchConfig& base = {}, const TrainingPolicy& policy = {});

// True when an engine whose Training was computed for `trained_for` records and which holds
// `held` records now should learn again: the first time `held` reaches min_records, then
// each time it has doubled (so the cost is amortised: constant per record).
bool training_due(std::size_t trained_for, std::size_t held, const TrainingPolicy& policy = {});

}  // namespace aegis::index
