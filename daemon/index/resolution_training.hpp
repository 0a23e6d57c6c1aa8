// When and how the index learns its matching figures (docs/resolution.md, "Estimating m, u and
// the prior", "At the index"): m, u and the prior estimated from the records the index holds
// (resolve/estimate.hpp) instead of the documented defaults, once it holds enough of them,
// and again each time the number of records has doubled until the figures have been computed
// for settled_records (then they are kept: more records change them by sampling noise, and
// each learning rebuilds the engine from every record). Thresholds, caps and guards stay
// those of the configuration given. Pure: no I/O (the caller reads the records).
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "resolve/features.hpp"
#include "resolve/score.hpp"

namespace aegis::index {

struct TrainingPolicy {
  // Below this many records the documented figures are used: too few candidate pairs to
  // learn from.
  std::size_t min_records = 5000;
  // Figures computed for at least this many records are kept however many more arrive: by
  // then every (field, level) is estimated from thousands of candidate pairs and u from the
  // estimator's full draw of 1M pairs, and learning again would rebuild the whole engine
  // (at the national load's 11M records, each doubling past this point would cost minutes).
  std::size_t settled_records = 100000;
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
// each time it has doubled (so the cost is amortised: constant per record), never once
// `trained_for` reaches settled_records.
bool training_due(std::size_t trained_for, std::size_t held, const TrainingPolicy& policy = {});

// The learned figures as the index keeps them between runs (meta key `resolution_training`),
// so that a restart or a rebuild reuses them until training is due again instead of learning
// from every record at each open: one line per (field, level) "field level m u" after a first
// line "records N", doubles printed so that they read back exactly.
std::string encode_training(const Training& t);
// The Training `encode_training` wrote, on `base`; nullopt when `text` is not such a text or
// names other (field, level)s than `base` (figures of another build: learned again).
std::optional<Training> decode_training(std::string_view text, const resolve::MatchConfig& base);

}  // namespace aegis::index
