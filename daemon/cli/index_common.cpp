// Opening an index store for the index-side commands (see index_common.hpp).
#include "index_common.hpp"

#include "node/node.hpp"

namespace aegis::cli {

void fail_index(const index::IndexError& e) {
  fail(kExitFailed, std::string(index::index_errc_name(e.code)), e.message());
}

config::Config load_index_config(const GlobalOptions& g) {
  auto c = config::load_config(g.config_path);
  if (!c) fail(kExitConfig, "config", c.error().message);
  if (c->role != protocol::Role::index)
    fail(kExitConfig, "config", c->file.string() + ": role: this command needs role = \"index\"");
  return std::move(c).value();
}

index::IndexStore open_index_store(const config::Config& c) {
  index::OpenOptions options;
  options.busy_timeout_ms = c.store.busy_timeout_ms;
  options.checkpoint_wal_frames = 0;  // a one-off command: no background checkpointer
  auto s = index::IndexStore::open(c.data_dir / std::string(index::kDatabaseFileName), options);
  if (!s) fail_index(s.error());
  return std::move(s).value();
}

IndexForReading open_index_for_reading(const GlobalOptions& g,
                                       const std::optional<std::filesystem::path>& store_file) {
  config::Config c = load_index_config(g);
  const std::filesystem::path file =
      store_file ? *store_file : c.data_dir / std::string(index::kDatabaseFileName);
  index::OpenOptions options;
  options.busy_timeout_ms = c.store.busy_timeout_ms;
  options.checkpoint_wal_frames = 0;  // no background checkpointer for a one-off read
  auto s = index::IndexStore::open(file, options);
  if (!s) fail_index(s.error());
  // The bundle is refused below the version the index has accepted (docs/keys.md, "Rollback");
  // reading records nothing.
  auto floor = s->trust_version();
  if (!floor) fail_index(floor.error());
  auto trust = node::load_trust(c, now_ms(), *floor);
  if (!trust) fail(kExitConfig, trust.error().code, trust.error().message);
  return IndexForReading{std::move(c), std::move(s).value(), std::move(trust).value()};
}

}  // namespace aegis::cli
