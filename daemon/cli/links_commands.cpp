// `aegis links export --format csv [--output FILE]`: one row per live record at the index —
// national_id, authority_id, record_id, linked_by (identifier | score | operator | single),
// score (docs/resolution.md, "Operator commands and export"). Reads the index store directly
// (as `aegis index verify` does: one consistent snapshot, no size limit of the admin socket),
// rebuilding the matching engine from the stored records and decisions. The file is written
// mode 0600 next to its final name and renamed into place: never half-written.
#include <cstdio>
#include <iostream>

#include "commands.hpp"
#include "index_common.hpp"
#include "index/index_store.hpp"

namespace aegis::cli {

namespace {

struct LinksOptions {
  std::string format;
  std::string output;
};

// RFC 4180: a field holding a comma, quote or line break is quoted, its quotes doubled.
std::string csv_field(const std::string& v) {
  if (v.find_first_of(",\"\r\n") == std::string::npos) return v;
  std::string out = "\"";
  for (char ch : v) {
    if (ch == '"') out += '"';
    out += ch;
  }
  return out + "\"";
}

std::string csv(const std::vector<index::LinkRow>& rows) {
  std::string out = "national_id,authority_id,record_id,linked_by,score\n";
  for (const index::LinkRow& r : rows) {
    char score[32] = "";
    if (r.score) std::snprintf(score, sizeof score, "%.2f", *r.score);
    out += csv_field(r.national_id) + ',' + csv_field(r.record.authority_id) + ',' +
           csv_field(r.record.record_id) + ',' + std::string(index::linked_by_name(r.how)) + ',' +
           score + '\n';
  }
  return out;
}

void export_links(const GlobalOptions& g, const LinksOptions& o) {
  if (o.format != "csv")
    fail(kExitUsage, "unknown_format", "--format: '" + o.format + "' is not supported (csv)");
  const config::Config c = load_index_config(g);
  index::OpenOptions options;
  options.busy_timeout_ms = c.store.busy_timeout_ms;
  options.checkpoint_wal_frames = 0;  // a one-off read
  auto s = index::IndexStore::open(c.data_dir / std::string(index::kDatabaseFileName), options);
  if (!s)
    fail(kExitFailed, std::string(index::index_errc_name(s.error().code)), s.error().message());
  auto rows = s->links();
  if (!rows)
    fail(kExitFailed, std::string(index::index_errc_name(rows.error().code)),
         rows.error().message());
  const std::string text = csv(*rows);
  if (o.output.empty() || o.output == "-") {
    std::cout << text << std::flush;
    return;
  }
  write_file_atomically(o.output, text);
  print_result(g, {{"output", o.output}, {"rows", rows->size()}},
               std::to_string(rows->size()) + " records written to " + o.output + "\n");
}

}  // namespace

void add_links_commands(CLI::App& app, const GlobalOptions& g) {
  auto o = std::make_shared<LinksOptions>();
  CLI::App* links = app.add_subcommand(
      "links", "The index's linkage of records into children (role = \"index\")");
  links->require_subcommand(1);
  CLI::App* e = links->add_subcommand(
      "export", "One row per record: national_id, authority_id, record_id, linked_by, score");
  e->add_option("--format", o->format, "csv (the only format)")->required();
  e->add_option("--output", o->output, "file to write (mode 0600); standard output if absent");
  e->callback([&g, o] { export_links(g, *o); });
}

}  // namespace aegis::cli
