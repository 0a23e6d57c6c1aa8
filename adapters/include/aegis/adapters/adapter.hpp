// The contract every importer shares (docs/adapters.md): a parser streams a file, hands each
// valid child record to a Sink as soon as it is complete, reports each invalid one as a
// Quarantined entry, and rejects a structurally broken file whole with one FileError.
//
// Parsers never hold the whole file: memory is bounded by one record plus the duplicate
// detector's set of identifiers seen so far.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "aegis/protocol/record.hpp"
#include "aegis/protocol/result.hpp"

namespace aegis::adapters {

enum class Format : std::uint8_t { ctf = 1, cin = 2, csv = 3 };
std::string_view format_name(Format f) noexcept;                  // "ctf", "cin", "csv"
std::optional<Format> parse_format(std::string_view name) noexcept;

// Where in a file something is. `line` is 1-based (0: unknown); `path` is an element path for
// XML ("CTfile/CTFpupilData/Pupil[12]/UPN", 1-based index) or a column name for CSV.
struct Location {
  std::uint64_t line = 0;
  std::string path;
};

// One record the file got wrong. The rest of the file is still imported.
// Never holds a field's value: reports and logs must not carry personal data. `local_id` is
// the record id the record would have had (e.g. "ctf:B801200005001") when it can be derived,
// else empty.
struct Quarantined {
  Location where;
  std::string local_id;
  std::string field;   // the source's name for it: "UPN", "PersonBirthDate", "postcode"
  std::string reason;  // "check letter is wrong", "date is in the future", "duplicate UPN"
};

// One valid record, ready for the store: it passes protocol::check_record.
struct Parsed {
  protocol::ChildRecord record;
  Location where;  // where the record starts
};

// What a full Common Transfer File says: it is the complete roll of one school on `as_of`.
// Children the authority imported from CTFs with that school as their current setting, and
// that the file does not list, have left it (docs/adapters.md, "Full and partial CTF").
struct Roll {
  std::string organisation_id;  // the school's LAEstab, 7 digits (LEA + Estab)
  protocol::Date as_of;
};

// What the file's header says, known before its first record.
struct FileInfo {
  Format format = Format::csv;
  std::string source;          // who sent it, for reports: "school 8231234", "LA 201", "csv"
  std::optional<Roll> roll;    // set only by a full CTF
};

// A structurally broken file (not well-formed, wrong encoding, wrong root, schema-invalid for
// CIN, bad CSV header): rejected whole, nothing imported.
struct FileError {
  Location where;
  std::string message;  // one line, no personal data: "line 12: Opening and ending tag mismatch"
};

// Receives the parse as it streams. A method returning an error stops the parse; the parser
// returns that error as a FileError with the current location (e.g. a store failure).
class Sink {
 public:
  virtual ~Sink() = default;
  virtual protocol::Status begin(const FileInfo& info) = 0;  // once, before any record
  virtual protocol::Status record(Parsed&& parsed) = 0;
  virtual protocol::Status quarantine(Quarantined&& q) = 0;
};

// Counts a parser returns when the whole file was read.
struct ParseSummary {
  FileInfo info;
  std::uint64_t records = 0;      // handed to Sink::record
  std::uint64_t quarantined = 0;  // handed to Sink::quarantine
};

struct ParseOptions {
  protocol::Date today;                         // dates after it are "in the future"
  std::uint64_t max_file_bytes = 4ull << 30;    // larger files are rejected whole
};

using ParseResult = protocol::Result<ParseSummary, FileError>;

// One entry point per format (adapters/src/<format>.cpp). `file` is read streaming.
ParseResult parse_ctf(const std::filesystem::path& file, const ParseOptions& options, Sink& sink);
ParseResult parse_cin(const std::filesystem::path& file, const ParseOptions& options, Sink& sink);
struct CsvMapping;  // adapters/csv.hpp
ParseResult parse_csv(const std::filesystem::path& file, const ParseOptions& options,
                      const CsvMapping& mapping, Sink& sink);

// Dispatches on `format` (CSV with the default mapping, csv.hpp).
ParseResult parse_file(Format format, const std::filesystem::path& file,
                       const ParseOptions& options, Sink& sink);

}  // namespace aegis::adapters
