// `aegis retention run|status|consent` (docs/query.md "Retention", docs/store.md §13): the daily
// retention job of aegisd run by hand, and what it would do. `--now DATE` sets the day the
// rules apply (the daemon uses its clock; tests and operators move it here).
#include "commands.hpp"
#include "index_common.hpp"
#include "retention/retention.hpp"

namespace aegis::cli {

namespace {

struct RetentionOptions {
  std::string now;        // YYYY-MM-DD; empty = today (UTC)
  std::string record_id;  // consent
  bool withdraw = false;  // consent
};

protocol::Date today(const RetentionOptions& o) {
  if (o.now.empty()) return retention::utc_date(now_ms());
  std::optional<protocol::Date> d = protocol::Date::parse(o.now);
  if (!d) fail(kExitUsage, "invalid_argument", "--now: '" + o.now + "' is not a date YYYY-MM-DD");
  return *d;
}

// The ids a run lists: record ids (authority) or record refs (index).
nlohmann::ordered_json listed(const std::vector<std::string>& list) {
  nlohmann::ordered_json out = nlohmann::ordered_json::array();
  for (const std::string& id : list) out.push_back(id);
  return out;
}

nlohmann::ordered_json listed(const std::vector<resolve::RecordRef>& list) {
  nlohmann::ordered_json out = nlohmann::ordered_json::array();
  for (const resolve::RecordRef& r : list)
    out.push_back({{"authority_id", r.authority_id}, {"record_id", r.record_id}});
  return out;
}

// What one run did, in either role (store::RetentionRun or index::IndexRetentionRun).
template <typename Run>
void print_run(const GlobalOptions& g, std::string_view role, protocol::Date day, const Run& r,
               std::string_view waiting_for) {
  print_result(g,
               {{"role", role},
                {"day", day.to_string()},
                {"archived", listed(r.archived)},
                {"purged", listed(r.purged)},
                {"waiting_sync", listed(r.waiting_sync)}},
               "retention on " + day.to_string() + ": " + std::to_string(r.archived.size()) +
                   " archived, " + std::to_string(r.purged.size()) + " purged, " +
                   std::to_string(r.waiting_sync.size()) + " due but waiting for " +
                   std::string(waiting_for));
}

// Where the records stand, in either role (store::RetentionCounts or index::IndexRetentionCounts).
template <typename Counts>
void print_counts(const GlobalOptions& g, std::string_view role, protocol::Date day,
                  const Counts& r) {
  print_result(g,
               {{"role", role},
                {"day", day.to_string()},
                {"active", r.active},
                {"archive_due", r.archive_due},
                {"purge_due", r.purge_due},
                {"archived", r.archived},
                {"purged", r.purged}},
               "retention on " + day.to_string() + ": " + std::to_string(r.active) +
                   " active, " + std::to_string(r.archive_due) + " due for archiving, " +
                   std::to_string(r.purge_due) + " due for purging; " +
                   std::to_string(r.archived) + " archived, " + std::to_string(r.purged) +
                   " purged");
}

void run_authority(const GlobalOptions& g, const config::Config& c, protocol::Date day) {
  store::Store s = open_store(c);
  const Authority authority(c, s, now_ms());  // a purge appends a delete envelope: it signs
  auto r = s.run_retention(day, authority.signing());
  if (!r) fail_store(r.error());
  print_run(g, "authority", day, *r, "the index's acknowledgement");
}

void status_authority(const GlobalOptions& g, const config::Config& c, protocol::Date day) {
  store::Store s = open_store(c);
  auto r = s.retention_counts(day);
  if (!r) fail_store(r.error());
  print_counts(g, "authority", day, *r);
}

void run_index(const GlobalOptions& g, const config::Config& c, protocol::Date day) {
  index::IndexStore s = open_index_store(c);
  auto r = s.run_retention(day, now_ms());
  if (!r) fail_index(r.error());
  print_run(g, "index", day, *r, "an authority to acknowledge its feed");
}

void status_index(const GlobalOptions& g, const config::Config& c, protocol::Date day) {
  index::IndexStore s = open_index_store(c);
  auto r = s.retention_counts(day);
  if (!r) fail_index(r.error());
  print_counts(g, "index", day, *r);
}

void run(const GlobalOptions& g, const RetentionOptions& o, bool dry) {
  auto c = config::load_config(g.config_path);  // either role
  if (!c) fail(kExitConfig, "config", c.error().message);
  const protocol::Date day = today(o);
  if (c->role == protocol::Role::index) {
    dry ? status_index(g, *c, day) : run_index(g, *c, day);
    return;
  }
  dry ? status_authority(g, *c, day) : run_authority(g, *c, day);
}

void consent(const GlobalOptions& g, const RetentionOptions& o) {
  const config::Config c = load_config(g);
  if (c.role != protocol::Role::authority)
    fail(kExitFailed, "wrong_role", "consent to retain is recorded at the authority");
  store::Store s = open_store(c);
  if (auto r = s.set_consent_to_retain(o.record_id, !o.withdraw); !r) fail_store(r.error());
  print_result(g, {{"record_id", o.record_id}, {"consent_to_retain", !o.withdraw}},
               std::string(o.withdraw ? "withdrew" : "recorded") +
                   " the consent to retain record " + o.record_id);
}

}  // namespace

void add_retention_commands(CLI::App& app, const GlobalOptions& g) {
  auto o = std::make_shared<RetentionOptions>();
  CLI::App* r = app.add_subcommand(
      "retention", "Archive and purge records by their retention dates (either role)");
  r->require_subcommand(1);
  CLI::App* run_cmd =
      r->add_subcommand("run", "Archive and purge what is due now (the daemon's daily job)");
  run_cmd->add_option("--now", o->now, "the day the rules apply, YYYY-MM-DD (default: today)");
  run_cmd->callback([&g, o] { run(g, *o, false); });
  CLI::App* status_cmd =
      r->add_subcommand("status", "Count records due for archiving and purging (changes nothing)");
  status_cmd->add_option("--now", o->now, "the day the rules apply, YYYY-MM-DD (default: today)");
  status_cmd->callback([&g, o] { run(g, *o, true); });
  CLI::App* consent_cmd = r->add_subcommand(
      "consent", "Record (or --withdraw) a consent to retain: archive at 25, not 18");
  consent_cmd->add_option("RECORD_ID", o->record_id, "the record")->required();
  consent_cmd->add_flag("--withdraw", o->withdraw, "withdraw a consent recorded earlier");
  consent_cmd->callback([&g, o] { consent(g, *o); });
}

}  // namespace aegis::cli
