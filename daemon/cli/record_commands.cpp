// `aegis record add|update|show|delete|list` and the hidden maintenance command
// `aegis record add-many` (docs/store.md, "CLI").
#include <memory>

#include "commands.hpp"
#include "record_json.hpp"

namespace aegis::cli {

namespace {

constexpr std::size_t kMaxRecordFileSize = 1u << 20;

std::string input_label(const std::string& path) { return path == "-" ? "standard input" : path; }

// Reads, maps and checks a record file; every refusal names the file and the JSON path.
protocol::ChildRecord read_record(const std::string& path) {
  const std::string label = input_label(path);
  const std::string text = read_input(path, kMaxRecordFileSize);
  auto json = parse_json_text(text);
  if (!json) fail(kExitFailed, "invalid_json", label + ": " + json.error().message());
  auto record = record_from_json(*json);
  if (!record) fail(kExitFailed, "invalid_record", label + ": " + record.error().message());
  if (protocol::Status s = protocol::check_record(*record); !s)
    fail(kExitFailed, "invalid_record", label + ": " + s.error().detail);
  return std::move(record).value();
}

nlohmann::ordered_json change_json(const std::string& record_id, const store::Change& c) {
  return {{"record_id", record_id},
          {"changed", c.changed},
          {"seq", c.seq},
          {"hash", protocol::to_hex(c.hash)}};
}

void write(const GlobalOptions& g, const std::string& path, store::Expect expect) {
  const protocol::ChildRecord record = read_record(path);
  const config::Config c = load_config(g);
  store::Store s = open_store(c);
  const Authority authority(c, s, now_ms());
  auto change = s.upsert(record, authority.signing(), expect);
  if (!change) fail_store(change.error());
  const std::string verb = expect == store::Expect::absent ? "added" : "updated";
  print_result(g, change_json(record.record_id, *change),
               change->changed ? verb + " record " + record.record_id + " (seq " +
                                     std::to_string(change->seq) + ")"
                               : "record " + record.record_id + " unchanged (identical to seq " +
                                     std::to_string(change->seq) + ")");
}

void remove(const GlobalOptions& g, const std::string& record_id) {
  const config::Config c = load_config(g);
  store::Store s = open_store(c);
  const Authority authority(c, s, now_ms());
  auto change = s.remove(record_id, authority.signing());
  if (!change) fail_store(change.error());
  print_result(g, change_json(record_id, *change),
               "deleted record " + record_id + " (seq " + std::to_string(change->seq) + ")");
}

constexpr const char* kShieldedThere = "shielded there: contact its shield team";

// "Also known to": each other authority's record the index linked to this one, with what this
// authority may see of it, or only that it is shielded there (docs/store.md §12).
nlohmann::ordered_json elsewhere_json(const std::vector<store::KnownElsewhere>& list) {
  nlohmann::ordered_json out = nlohmann::ordered_json::array();
  for (const store::KnownElsewhere& k : list) {
    nlohmann::ordered_json entry = {{"authority_id", k.other_authority_id},
                                    {"record_id", k.other_record_id},
                                    {"shielded", k.shielded}};
    if (k.shielded) {
      entry["note"] = kShieldedThere;
    } else {
      entry["contacts"] = contacts_to_json(k.details.contacts);
      entry["involvements"] = involvements_to_json(k.details.involvements);
    }
    out.push_back(std::move(entry));
  }
  return out;
}

std::string elsewhere_text(const nlohmann::ordered_json& list) {
  if (list.empty()) return "also known to: no other authority";
  std::string out;
  for (const auto& e : list) {
    if (!out.empty()) out += "\n";
    out += "also known to " + e["authority_id"].get<std::string>() + " (record " +
           e["record_id"].get<std::string>() + "): ";
    if (e["shielded"].get<bool>()) {
      out += kShieldedThere;
    } else {
      const nlohmann::ordered_json visible = {{"contacts", e["contacts"]},
                                              {"involvements", e["involvements"]}};
      out += "what it shares\n" + visible.dump(2);
    }
  }
  return out;
}

void show(const GlobalOptions& g, const std::string& record_id) {
  const config::Config c = load_config(g);
  store::Store s = open_store(c);
  auto got = s.get(record_id);
  if (!got) fail_store(got.error());
  auto national_id = s.national_id(record_id);
  if (!national_id) fail_store(national_id.error());
  auto elsewhere = s.elsewhere(record_id);
  if (!elsewhere) fail_store(elsewhere.error());
  nlohmann::ordered_json record = record_to_json(got->record);
  const nlohmann::ordered_json also_known_to = elsewhere_json(*elsewhere);
  const bool shielded = got->record.shielded();
  print_result(g,
               {{"record_id", record_id},
                {"shielded", shielded},
                {"last_seq", got->last_seq},
                {"updated", format_time(got->updated_ms)},
                {"national_id", national_id->has_value() ? nlohmann::ordered_json(**national_id)
                                                         : nlohmann::ordered_json()},
                {"record", record},
                {"also_known_to", also_known_to}},
               "record " + record_id + " (last seq " + std::to_string(got->last_seq) +
                   ", updated " + format_time(got->updated_ms) +
                   ", shielded: " + (shielded ? "yes" : "no") + ", national id: " +
                   national_id->value_or("none yet") + ")\n" + record.dump(2) + "\n" +
                   elsewhere_text(also_known_to));
}

void list(const GlobalOptions& g, bool include_deleted) {
  const config::Config c = load_config(g);
  store::Store s = open_store(c);
  auto records = s.list_records(include_deleted);
  if (!records) fail_store(records.error());
  nlohmann::ordered_json json = nlohmann::ordered_json::array();
  std::vector<std::vector<std::string>> rows{
      {"RECORD", "SHIELDED", "LAST SEQ", "UPDATED", "STATE"}};
  for (const store::RecordSummary& r : *records) {
    json.push_back({{"record_id", r.record_id},
                    {"shielded", r.shielded},
                    {"deleted", r.deleted},
                    {"last_seq", r.last_seq},
                    {"updated", format_time(r.updated_ms)}});
    rows.push_back({r.record_id, r.shielded ? "yes" : "no", std::to_string(r.last_seq),
                    format_time(r.updated_ms), r.deleted ? "deleted" : "live"});
  }
  print_result(g, json,
               records->empty()
                   ? "no records"
                   : format_table(rows) + std::to_string(records->size()) + " records");
}

// Adds `count` copies of the record with ids "<record_id>-<n>", n = start.., one transaction
// each (a maintenance and test tool: crash tests kill it at random moments).
void add_many(const GlobalOptions& g, const std::string& path, std::uint64_t count,
              std::uint64_t start) {
  protocol::ChildRecord record = read_record(path);
  const config::Config c = load_config(g);
  store::Store s = open_store(c);
  const Authority authority(c, s, now_ms());
  const std::string base = record.record_id;
  std::uint64_t added = 0, unchanged = 0, last_seq = 0;
  for (std::uint64_t n = start; n < start + count; ++n) {
    record.record_id = base + "-" + std::to_string(n);
    if (!protocol::valid_record_id(record.record_id))
      fail(kExitFailed, "invalid_record",
           "derived record id " + record.record_id + " is not valid");
    auto change = s.upsert(record, authority.signing(), store::Expect::any);
    if (!change) fail_store(change.error());
    (change->changed ? added : unchanged) += 1;
    last_seq = change->seq;
  }
  print_result(
      g, {{"added", added}, {"unchanged", unchanged}, {"last_seq", last_seq}},
      "added " + std::to_string(added) + " records, " + std::to_string(unchanged) + " unchanged");
}

}  // namespace

void add_record_commands(CLI::App& app, const GlobalOptions& g) {
  CLI::App* record = app.add_subcommand("record", "Child records of this authority");
  record->require_subcommand(1);

  // The option values live as long as the callbacks that read them (held by the App).
  struct Args {
    std::string file, record_id;
    bool include_deleted = false;
    std::uint64_t count = 0, start = 1;
  };
  auto a = std::make_shared<Args>();

  CLI::App* add = record->add_subcommand("add", "Add a record from a JSON file ('-' = stdin)");
  add->add_option("FILE", a->file, "record JSON (docs/store.md)")->required();
  add->callback([&g, a] { write(g, a->file, store::Expect::absent); });

  CLI::App* update =
      record->add_subcommand("update", "Replace a record from a JSON file ('-' = stdin)");
  update->add_option("FILE", a->file, "record JSON (docs/store.md)")->required();
  update->callback([&g, a] { write(g, a->file, store::Expect::present); });

  CLI::App* show_cmd = record->add_subcommand("show", "Show a record (the authority's clear copy)");
  show_cmd->add_option("ID", a->record_id, "record id")->required();
  show_cmd->callback([&g, a] { show(g, a->record_id); });

  CLI::App* del = record->add_subcommand("delete", "Delete a record (a signed delete is appended)");
  del->add_option("ID", a->record_id, "record id")->required();
  del->callback([&g, a] { remove(g, a->record_id); });

  CLI::App* list_cmd = record->add_subcommand("list", "List record ids (never names)");
  list_cmd->add_flag("--deleted", a->include_deleted, "include deleted records (tombstones)");
  list_cmd->callback([&g, a] { list(g, a->include_deleted); });

  // Hidden maintenance command (empty group): bulk insertion for crash tests and load checks.
  CLI::App* many = record->add_subcommand("add-many", "Add COUNT copies with ids <record_id>-<n>");
  many->group("");
  many->add_option("FILE", a->file, "record JSON")->required();
  many->add_option("--count", a->count, "how many copies")
      ->required()
      ->check(CLI::Range(1, 100000000));
  many->add_option("--start", a->start, "first n (default 1)")->check(CLI::Range(0, 1000000000));
  many->callback([&g, a] { add_many(g, a->file, a->count, a->start); });
}

}  // namespace aegis::cli
