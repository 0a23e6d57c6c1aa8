// The `aegis` command groups (docs/store.md, "CLI"). `aegis keys` is in keys_commands.hpp.
#pragma once

#include <CLI/CLI.hpp>

#include "cli_common.hpp"

namespace aegis::cli {

void add_store_commands(CLI::App& app, const GlobalOptions& g);  // store init
void add_record_commands(CLI::App& app,
                         const GlobalOptions& g);              // record add|update|show|delete|list
void add_log_commands(CLI::App& app, const GlobalOptions& g);  // log list|verify
void add_status_commands(CLI::App& app, const GlobalOptions& g);  // status (either role)
void add_index_commands(CLI::App& app, const GlobalOptions& g);   // index verify (index role)
void add_import_commands(CLI::App& app, const GlobalOptions& g);  // import FILE (authority)
void add_backup_commands(CLI::App& app, const GlobalOptions& g);  // backup, restore (either role)

}  // namespace aegis::cli
