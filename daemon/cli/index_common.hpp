// What the index-side commands (`aegis index …`, `aegis audit …`) share: opening the index store
// of an index config for reading, with the trust bundle it runs with, and turning an
// IndexError into the command's failure.
#pragma once

#include <filesystem>
#include <optional>

#include "cli_common.hpp"
#include "index/index_store.hpp"

namespace aegis::cli {

[[noreturn]] void fail_index(const index::IndexError& e);

// The config of an index node; exit 3 when the config is not one (role = "index").
config::Config load_index_config(const GlobalOptions& g);

// Opens the index store of an index config for a one-off command that may write (data_dir/
// index.db, no background checkpointer: SQLite's own checkpoint at commit).
index::IndexStore open_index_store(const config::Config& c);

struct IndexForReading {
  config::Config config;
  index::IndexStore store;
  protocol::Trust trust;  // refused below the version the index has accepted; nothing recorded
};
// Opens the index store (data_dir/index.db, or `store_file` when given) without a background
// checkpointer, and loads the node's trust bundle.
IndexForReading open_index_for_reading(const GlobalOptions& g,
                                       const std::optional<std::filesystem::path>& store_file = {});

}  // namespace aegis::cli
