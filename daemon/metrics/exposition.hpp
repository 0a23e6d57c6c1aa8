// The Prometheus text exposition format (version 0.0.4): a snapshot of metric families, each a
// name, a type, a help line and samples with labels, rendered as the text a scrape returns.
// Names and label names are checked (a programming error throws std::invalid_argument, so a bad
// name fails the first test that renders it); label values and help text are escaped.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace aegis::metrics {

// The Content-Type of the text format.
inline constexpr std::string_view kContentType = "text/plain; version=0.0.4; charset=utf-8";

enum class Kind { counter, gauge };

using Labels = std::vector<std::pair<std::string, std::string>>;  // name, value

struct Sample {
  Labels labels;
  double value = 0;
};

struct Family {
  std::string name;  // [a-zA-Z_:][a-zA-Z0-9_:]*; a counter's ends in _total
  Kind kind = Kind::gauge;
  std::string help;
  std::vector<Sample> samples;
};

// The metrics of one scrape, in the order they were added.
class Snapshot {
 public:
  // Adds a family; adding a name twice, an invalid name or a counter not named *_total throws
  // std::invalid_argument.
  Family& add(std::string name, Kind kind, std::string help);
  // A family with one unlabelled sample.
  void add(std::string name, Kind kind, std::string help, double value);
  // Renders the text: "# HELP", "# TYPE" then the samples of each family, one per line.
  std::string render() const;

  const std::vector<Family>& families() const { return families_; }

 private:
  std::vector<Family> families_;
};

bool valid_metric_name(std::string_view name);
bool valid_label_name(std::string_view name);

}  // namespace aegis::metrics
