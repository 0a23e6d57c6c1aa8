// `aegis store init`: creates the authority's database under data_dir.
#include <system_error>

#include "commands.hpp"
#include "node/node.hpp"

namespace aegis::cli {

namespace {

void init(const GlobalOptions& g) {
  const config::Config c = load_config(g);
  std::error_code ec;
  if (!std::filesystem::exists(c.data_dir, ec)) {
    std::filesystem::create_directories(c.data_dir, ec);
    if (!ec)
      std::filesystem::permissions(c.data_dir, std::filesystem::perms::owner_all,
                                   std::filesystem::perm_options::replace, ec);
    if (ec) fail(kExitFailed, "io", "data_dir " + c.data_dir.string() + ": " + ec.message());
  }
  const std::filesystem::path db = database_path(c);
  store::OpenOptions options;
  options.busy_timeout_ms = c.store.busy_timeout_ms;
  auto s = store::Store::create(db, c.subject_id, now_ms(), options);
  if (!s) fail_store(s.error());
  // The bundle in use becomes the rollback floor (docs/keys.md, "Rollback"); init does not
  // need a usable bundle, so one that does not load yet is simply not recorded.
  if (auto trust = node::load_trust(c, now_ms()); trust)
    if (auto ok = s->record_trust_version(trust->version()); !ok) fail_store(ok.error());
  print_result(g,
               {{"database", db.string()},
                {"authority_id", c.subject_id},
                {"schema_version", store::kSchemaVersion}},
               "created the store of authority '" + c.subject_id + "' at " + db.string());
}

}  // namespace

void add_store_commands(CLI::App& app, const GlobalOptions& g) {
  CLI::App* store = app.add_subcommand("store", "The authority's local store");
  store->require_subcommand(1);
  store->add_subcommand("init", "Create the store database under data_dir (refused if it exists)")
      ->callback([&g] { init(g); });
}

}  // namespace aegis::cli
