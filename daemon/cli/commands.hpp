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
void add_review_commands(CLI::App& app, const GlobalOptions& g);  // review ..., resolve --all
void add_links_commands(CLI::App& app, const GlobalOptions& g);   // links export (index role)
void add_audit_commands(CLI::App& app, const GlobalOptions& g);   // audit verify|proof (index)
void add_backup_commands(CLI::App& app, const GlobalOptions& g);  // backup, restore (either role)
void add_retention_commands(CLI::App& app,
                            const GlobalOptions& g);  // retention run|status|consent (either role)
void add_sar_commands(CLI::App& app, const GlobalOptions& g);  // sar ID (either role)
void add_search_commands(CLI::App& app, const GlobalOptions& g);  // search, notices (authority)
void add_override_commands(CLI::App& app, const GlobalOptions& g);  // override, shield open

// One request to this node's running aegisd over its admin socket; its result, or a failure
// naming the daemon's error code (exit 1; not_running when no daemon answers).
nlohmann::ordered_json admin_call(const config::Config& c, const nlohmann::json& request,
                                  int timeout_ms);

}  // namespace aegis::cli
