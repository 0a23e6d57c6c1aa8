// The report of one import (docs/adapters.md, "Reports"): what was imported, what was
// quarantined and why, or why the whole file was rejected. Written next to the file as
// NAME.report.json and printed by `aegis import --json`.
//
// Never personal data: counts, record ids, locations (line, element path, column), field names
// and reasons. Quarantine entries are spilled to an unnamed temporary file as they arrive, so a
// file with a million bad rows costs disk, not memory.
#pragma once

#include <cstdint>
#include <cstdio>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "aegis/adapters/adapter.hpp"
#include "aegis/protocol/bytes.hpp"

namespace aegis::inbox {

enum class Outcome {
  imported,  // committed (some records may be quarantined): the file goes to processed/
  rejected,  // structurally broken, nothing imported: the file goes to failed/
  failed,    // the store or the file system failed, nothing imported: the file stays, retried
};
std::string_view outcome_name(Outcome o) noexcept;  // "imported", "rejected", "failed"

// An earlier import of a file with the same bytes (informational: delta makes it a no-op).
struct PreviousImport {
  std::uint64_t import_id = 0;
  std::string file_name;
  std::uint64_t imported_ms = 0;
};

class Report {
 public:
  Report();
  Report(Report&&) noexcept = default;
  Report& operator=(Report&&) noexcept = default;

  std::string file_name;  // without its directory
  std::string format;     // "ctf", "cin", "csv"
  std::string source;     // from the file's header ("school 8231234"); empty when rejected early
  protocol::ByteArray<32> sha256{};
  Outcome outcome = Outcome::failed;
  std::uint64_t records = 0;      // valid records read
  std::uint64_t changed = 0;      // envelopes appended (records that differed, plus left_roll)
  std::uint64_t unchanged = 0;    // valid records identical to the stored ones
  std::uint64_t left_roll = 0;    // full CTF: children no longer on the roll
  std::uint64_t first_seq = 0;    // envelopes appended; 0, 0 when none
  std::uint64_t last_seq = 0;
  std::uint64_t import_id = 0;    // the imports row (0 unless imported)
  std::optional<PreviousImport> previous;
  std::optional<adapters::FileError> error;  // rejected: where and why
  std::string failure;                       // failed: the store's or file system's error
  std::uint64_t started_ms = 0;
  std::uint64_t finished_ms = 0;

  // Appends one quarantine entry (to the spill file).
  void quarantine(const adapters::Quarantined& q);
  std::uint64_t quarantined() const { return quarantined_; }

  // Everything but the quarantine entries.
  nlohmann::ordered_json summary() const;
  // The first `max` quarantine entries ({"line", "path", "record_id", "field", "reason"}).
  std::vector<nlohmann::ordered_json> quarantine_entries(std::size_t max) const;
  // The whole report as one JSON document: the summary and "quarantine": [...] (streamed from
  // the spill file). False when the spill file could not be read back (one that could not be
  // written is left out, and the summary says "quarantine_complete": false).
  bool write(std::ostream& out) const;
  // One line for logs and the CLI: "pupils.csv: 120 records, 3 changed, 2 quarantined".
  std::string line() const;

 private:
  struct CloseFile {
    void operator()(std::FILE* f) const noexcept { std::fclose(f); }
  };
  std::unique_ptr<std::FILE, CloseFile> spill_;  // JSON lines, one per entry (tmpfile())
  std::uint64_t quarantined_ = 0;
  bool spill_failed_ = false;
};

}  // namespace aegis::inbox
