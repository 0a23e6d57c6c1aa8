// The index's training policy for the matching engine (resolution_training.hpp).
#include "index/resolution_training.hpp"

#include <algorithm>
#include <charconv>
#include <cstdio>

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
  if (trained_for >= std::max(policy.settled_records, policy.min_records)) return false;
  return trained_for < policy.min_records || held >= 2 * trained_for;
}

std::string encode_training(const Training& t) {
  std::string out = "records " + std::to_string(t.records) + "\n";
  char number[64];
  for (const resolve::Probability& p : t.config.probabilities) {
    out += std::string(resolve::field_name(p.field)) + " " +
           std::string(resolve::level_name(p.level));
    for (const double v : {p.m, p.u}) {
      std::snprintf(number, sizeof number, " %.17g", v);
      out += number;
    }
    out += "\n";
  }
  return out;
}

namespace {

// The next line of `text` (without its newline), or nullopt at the end.
std::optional<std::string_view> next_line(std::string_view& text) {
  if (text.empty()) return std::nullopt;
  const std::size_t end = text.find('\n');
  if (end == std::string_view::npos) return std::nullopt;  // every line ends with a newline
  std::string_view line = text.substr(0, end);
  text.remove_prefix(end + 1);
  return line;
}

// The next space-separated word of `line`.
std::string_view next_word(std::string_view& line) {
  const std::size_t end = std::min(line.find(' '), line.size());
  std::string_view word = line.substr(0, end);
  line.remove_prefix(std::min(end + 1, line.size()));
  return word;
}

bool read_probability(std::string_view word, double& out) {
  const auto [end, ec] = std::from_chars(word.data(), word.data() + word.size(), out);
  return ec == std::errc() && end == word.data() + word.size() && out >= 0 && out <= 1;
}

}  // namespace

std::optional<Training> decode_training(std::string_view text, const resolve::MatchConfig& base) {
  Training t{base, 0, true};
  std::optional<std::string_view> first = next_line(text);
  if (!first || next_word(*first) != "records") return std::nullopt;
  const std::string_view count = next_word(*first);
  const auto [end, ec] = std::from_chars(count.data(), count.data() + count.size(), t.records);
  if (ec != std::errc() || end != count.data() + count.size() || !first->empty())
    return std::nullopt;
  for (resolve::Probability& p : t.config.probabilities) {
    std::optional<std::string_view> line = next_line(text);
    if (!line || next_word(*line) != resolve::field_name(p.field) ||
        next_word(*line) != resolve::level_name(p.level) || !read_probability(next_word(*line), p.m) ||
        !read_probability(next_word(*line), p.u) || !line->empty())
      return std::nullopt;
  }
  if (!text.empty()) return std::nullopt;  // more (field, level)s than this build has
  t.learned = t.config.probabilities != base.probabilities;
  return t;
}

}  // namespace aegis::index
