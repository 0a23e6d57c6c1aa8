// The report of one import (see report.hpp).
#include "inbox/report.hpp"

#include <array>

namespace aegis::inbox {

std::string_view outcome_name(Outcome o) noexcept {
  switch (o) {
    case Outcome::imported: return "imported";
    case Outcome::rejected: return "rejected";
    case Outcome::failed: return "failed";
  }
  return "unknown";
}

Report::Report() : spill_(std::tmpfile()) { spill_failed_ = !spill_; }

namespace {

// A count or seq, or null for 0 / an empty text, or null for "".
nlohmann::ordered_json or_null(std::uint64_t v) {
  return v ? nlohmann::ordered_json(v) : nlohmann::ordered_json();
}
nlohmann::ordered_json or_null(const std::string& s) {
  return s.empty() ? nlohmann::ordered_json() : nlohmann::ordered_json(s);
}

}  // namespace

void Report::quarantine(const adapters::Quarantined& q) {
  ++quarantined_;
  if (spill_failed_) return;
  const nlohmann::ordered_json entry = {
      {"line", q.where.line},
      {"path", q.where.path},
      {"record_id", or_null(q.local_id)},
      {"field", q.field},
      {"reason", q.reason},
  };
  const std::string text = entry.dump() + "\n";
  if (std::fwrite(text.data(), 1, text.size(), spill_.get()) != text.size()) spill_failed_ = true;
}

nlohmann::ordered_json Report::summary() const {
  nlohmann::ordered_json j = {
      {"file", file_name},
      {"format", format},
      {"source", source},
      {"sha256", protocol::to_hex(sha256)},
      {"outcome", outcome_name(outcome)},
      {"records", records},
      {"changed", changed},
      {"unchanged", unchanged},
      {"quarantined", quarantined_},
      {"left_roll", left_roll},
      {"first_seq", or_null(first_seq)},
      {"last_seq", or_null(last_seq)},
      {"import_id", or_null(import_id)},
  };
  j["previous_import"] =
      previous ? nlohmann::ordered_json{{"import_id", previous->import_id},
                                        {"file", previous->file_name},
                                        {"imported_ms", previous->imported_ms}}
               : nlohmann::ordered_json();
  j["error"] = error ? nlohmann::ordered_json{{"line", error->where.line},
                                              {"path", error->where.path},
                                              {"message", error->message}}
                     : nlohmann::ordered_json();
  j["failure"] = or_null(failure);
  j["started_ms"] = started_ms;
  j["finished_ms"] = finished_ms;
  if (spill_failed_) j["quarantine_complete"] = false;
  return j;
}

std::vector<nlohmann::ordered_json> Report::quarantine_entries(std::size_t max) const {
  std::vector<nlohmann::ordered_json> out;
  if (!spill_ || spill_failed_ || max == 0) return out;
  std::FILE* f = spill_.get();
  if (std::fflush(f) != 0 || std::fseek(f, 0, SEEK_SET) != 0) return out;
  std::string line;
  for (int c; out.size() < max && (c = std::fgetc(f)) != EOF;) {
    if (c != '\n') {
      line.push_back(static_cast<char>(c));
      continue;
    }
    out.push_back(nlohmann::ordered_json::parse(line, nullptr, false));
    line.clear();
  }
  std::fseek(f, 0, SEEK_END);  // further entries append
  return out;
}

bool Report::write(std::ostream& out) const {
  const std::string head = summary().dump(1);
  // The summary's closing brace is replaced by the quarantine array.
  out << head.substr(0, head.rfind('}'));
  out << (head.size() > 2 ? ",\n" : "") << " \"quarantine\": [";
  // A spill that could not be written is left out (the summary says quarantine_complete: false).
  bool ok = true;
  if (spill_ && !spill_failed_) {
    std::FILE* f = spill_.get();
    ok = std::fflush(f) == 0 && std::fseek(f, 0, SEEK_SET) == 0;
    std::array<char, 8192> buf;
    bool first = true, line_start = true;
    std::size_t n = 0;
    while (ok && (n = std::fread(buf.data(), 1, buf.size(), f)) > 0) {
      for (std::size_t i = 0; i < n; ++i) {
        const char c = buf[i];
        if (line_start) {
          out << (first ? "\n  " : ",\n  ");
          first = false;
          line_start = false;
        }
        if (c == '\n') {
          line_start = true;
        } else {
          out << c;
        }
      }
    }
    ok = ok && !std::ferror(f);
    std::fseek(f, 0, SEEK_END);  // further entries append
    if (!first) out << "\n ";
  }
  out << "]\n}\n";
  return ok && static_cast<bool>(out);
}

std::string Report::line() const {
  std::string s = file_name + ": ";
  switch (outcome) {
    case Outcome::imported:
      s += std::to_string(records) + " records, " + std::to_string(changed) + " changed, " +
           std::to_string(quarantined_) + " quarantined";
      if (left_roll) s += ", " + std::to_string(left_roll) + " left the roll";
      return s;
    case Outcome::rejected: return s + "rejected: " + (error ? error->message : "");
    case Outcome::failed: return s + "failed: " + failure;
  }
  return s;
}

}  // namespace aegis::inbox
