// Imports one file (docs/adapters.md): the format's streaming parser (adapters/) feeds a Sink
// that writes every valid record into ONE store transaction (Store::Import); invalid records go
// to the report; a full CTF ends the school's setting of the children it no longer lists; the
// imports row commits with the records. Then deliver() moves the file and its report to
// processed/ or failed/ beside it. Used by the authority daemon's inbox and by `aegis import`.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "aegis/adapters/adapter.hpp"
#include "aegis/adapters/csv.hpp"
#include "inbox/report.hpp"
#include "store/store.hpp"

namespace aegis::inbox {

// What a file is imported as.
struct Source {
  adapters::Format format = adapters::Format::csv;
  adapters::CsvMapping csv = adapters::CsvMapping::aegis();  // for format csv
};

// The CSV mapping of a name as written in the config and on the command line ("aegis",
// "febrl"); nullopt for any other name.
std::optional<adapters::CsvMapping> csv_mapping(std::string_view name);

// The record id prefix of the children a full CTF lists (docs/adapters.md, "Record ids").
inline constexpr std::string_view kCtfIdPrefix = "ctf:";

// The UTC calendar date of a Unix time in milliseconds.
protocol::Date utc_date(std::uint64_t ms);

// SHA-256 of a file's bytes; nullopt (and `error` set) when it cannot be read.
std::optional<protocol::ByteArray<32>> file_sha256(const std::filesystem::path& file,
                                                  std::string& error);

struct ImportOptions {
  std::uint64_t max_file_bytes = 4ull << 30;  // larger files are rejected whole
};

// Imports `file` in one transaction. Never throws; the outcome is in the report:
//   imported  committed (records may be quarantined);
//   rejected  the file is structurally broken; nothing was written;
//   failed    the store or the file system failed; nothing was written; try again later.
// The dates of the file are checked against the UTC date of signing.now_ms().
Report import_file(store::Store& store, const store::Signing& signing,
                   const std::filesystem::path& file, const Source& source,
                   const ImportOptions& options = {});

// The directories a file goes to after its import, beside it in its inbox.
inline constexpr std::string_view kProcessedDir = "processed";
inline constexpr std::string_view kFailedDir = "failed";
inline constexpr std::string_view kReportSuffix = ".report.json";

// Moves `file` and its report (NAME.report.json) into processed/ (imported) or failed/
// (rejected), created if missing. A name already taken there gets a number: NAME.2, NAME.3...
// (before the extension: pupils.2.csv). The report is written first (to a temporary name, then
// renamed, fsync'd), then the file is moved and both directories synced: a crash in between
// leaves the file in the inbox, to be imported again (a no-op) and moved. Returns the file's
// new path, or nullopt with `error`.
std::optional<std::filesystem::path> deliver(const std::filesystem::path& file,
                                             const Report& report, std::string& error);

}  // namespace aegis::inbox
