// `aegis import FILE --format ctf|cin|csv [--mapping NAME]`: imports one file into the
// authority's store by hand, exactly as the daemon's inbox does (one transaction, quarantine
// report, delta), without moving the file (docs/adapters.md, "Inbox").
#include <iostream>
#include <memory>

#include "commands.hpp"
#include "inbox/importer.hpp"

namespace aegis::cli {

namespace {

constexpr std::size_t kHumanQuarantineLines = 50;  // more: see --json

void import_file(const GlobalOptions& g, const std::string& file, const std::string& format_name,
                 const std::string& mapping) {
  inbox::Source source;
  source.format = *adapters::parse_format(format_name);  // checked by CLI11
  if (!mapping.empty()) {
    if (source.format != adapters::Format::csv)
      fail(kExitUsage, "usage", "--mapping is only for --format csv");
    source.csv = *inbox::csv_mapping(mapping);  // checked by CLI11
  }
  std::error_code ec;
  if (!std::filesystem::is_regular_file(file, ec))
    fail(kExitFailed, "not_found", file + ": no such file");

  const config::Config c = load_config(g);
  store::Store s = open_store(c);
  const Authority authority(c, s, now_ms());
  const inbox::Report report = inbox::import_file(s, authority.signing(), file, source);

  if (report.outcome == inbox::Outcome::rejected)
    throw CommandError(kExitFailed, "rejected",
                       file + ": rejected, nothing imported: " +
                           (report.error ? report.error->message : ""),
                       report.summary());
  if (report.outcome == inbox::Outcome::failed)
    throw CommandError(kExitFailed, "import_failed",
                       file + ": failed, nothing imported: " + report.failure, report.summary());
  if (g.json) {
    report.write(std::cout);
    std::cout.flush();
    return;
  }
  std::string human = report.line();
  if (report.first_seq)
    human += " (seq " + std::to_string(report.first_seq) + ".." + std::to_string(report.last_seq) +
             ")";
  if (report.previous)
    human += "\nthe same bytes were imported before as " + report.previous->file_name + " (" +
             format_time(report.previous->imported_ms) + ")";
  for (const auto& q : report.quarantine_entries(kHumanQuarantineLines)) {
    human += "\n  quarantined";
    if (q["line"].get<std::uint64_t>() > 0) human += " line " + q["line"].dump();
    if (!q["path"].get<std::string>().empty()) human += " " + q["path"].get<std::string>();
    if (q["record_id"].is_string()) human += " (" + q["record_id"].get<std::string>() + ")";
    human += ": " + q["field"].get<std::string>() + ": " + q["reason"].get<std::string>();
  }
  if (report.quarantined() > kHumanQuarantineLines)
    human += "\n  ... " + std::to_string(report.quarantined() - kHumanQuarantineLines) +
             " more (--json for all)";
  print_result(g, nlohmann::ordered_json(), human);
}

}  // namespace

void add_import_commands(CLI::App& app, const GlobalOptions& g) {
  struct Args {
    std::string file, format, mapping;
  };
  auto a = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand(
      "import", "Import a CTF, CIN census or CSV file into the store (one transaction)");
  cmd->add_option("FILE", a->file, "the file to import (it is not moved)")->required();
  std::vector<std::string> formats(config::kInboxFormats.begin(), config::kInboxFormats.end());
  std::vector<std::string> mappings(config::kCsvMappings.begin(), config::kCsvMappings.end());
  cmd->add_option("--format", a->format, "ctf, cin or csv")
      ->required()
      ->check(CLI::IsMember(formats));
  cmd->add_option("--mapping", a->mapping, "CSV column mapping: aegis (default) or febrl")
      ->check(CLI::IsMember(mappings));
  cmd->callback([&g, a] { import_file(g, a->file, a->format, a->mapping); });
}

}  // namespace aegis::cli
