// The Prometheus text exposition format (see exposition.hpp).
#include "metrics/exposition.hpp"

#include <cmath>
#include <cstdio>
#include <stdexcept>

namespace aegis::metrics {
namespace {

bool name_char(char c, bool first, bool colon) {
  const bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
  return alpha || (colon && c == ':') || (!first && c >= '0' && c <= '9');
}

bool valid_name(std::string_view name, bool colon) {
  if (name.empty()) return false;
  for (std::size_t i = 0; i < name.size(); ++i)
    if (!name_char(name[i], i == 0, colon)) return false;
  return true;
}

// Help text escapes backslash and newline; label values also the double quote.
std::string escape(std::string_view s, bool quote) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    if (c == '\\') out += "\\\\";
    else if (c == '\n') out += "\\n";
    else if (quote && c == '"') out += "\\\"";
    else out += c;
  }
  return out;
}

std::string format_value(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  // Whole numbers (counts, seqs) exactly, up to 2^53; anything else with full precision.
  if (v == std::floor(v) && std::fabs(v) < 9007199254740992.0) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.0f", v);
    return buf;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

}  // namespace

bool valid_metric_name(std::string_view name) { return valid_name(name, true); }

bool valid_label_name(std::string_view name) {
  return valid_name(name, false) && name.substr(0, 2) != "__";
}

Family& Snapshot::add(std::string name, Kind kind, std::string help) {
  if (!valid_metric_name(name)) throw std::invalid_argument("metric name '" + name + "'");
  if (kind == Kind::counter && (name.size() < 6 || name.substr(name.size() - 6) != "_total"))
    throw std::invalid_argument("counter '" + name + "' must end in _total");
  for (const Family& f : families_)
    if (f.name == name) throw std::invalid_argument("metric '" + name + "' added twice");
  families_.push_back(Family{std::move(name), kind, std::move(help), {}});
  return families_.back();
}

void Snapshot::add(std::string name, Kind kind, std::string help, double value) {
  add(std::move(name), kind, std::move(help)).samples.push_back({{}, value});
}

std::string Snapshot::render() const {
  std::string out;
  for (const Family& f : families_) {
    out += "# HELP " + f.name + " " + escape(f.help, false) + "\n";
    out += "# TYPE " + f.name + (f.kind == Kind::counter ? " counter\n" : " gauge\n");
    for (const Sample& s : f.samples) {
      out += f.name;
      if (!s.labels.empty()) {
        out += "{";
        for (std::size_t i = 0; i < s.labels.size(); ++i) {
          const auto& [label, value] = s.labels[i];
          if (!valid_label_name(label))
            throw std::invalid_argument("label name '" + label + "' of " + f.name);
          if (i > 0) out += ",";
          out += label + "=\"" + escape(value, true) + "\"";
        }
        out += "}";
      }
      out += " " + format_value(s.value) + "\n";
    }
  }
  return out;
}

}  // namespace aegis::metrics
