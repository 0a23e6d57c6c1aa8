// `aegis`: the operator CLI. Builds the command tree (keys, store, record, log), runs it, and
// turns every failure into a one-line message and an exit code (docs/store.md, "Exit codes"):
// 0 ok, 1 refused or failed, 2 usage, 3 config error. Exceptions stop here.
#include <iostream>

#include <CLI/CLI.hpp>

#include "commands.hpp"
#include "keys_commands.hpp"

int main(int argc, char** argv) {
  using namespace aegis::cli;
  CLI::App app{"aegis: federated sync between local authorities and the national index"};
  app.require_subcommand(1);
  app.fallthrough();  // global options are accepted after the subcommand too

  GlobalOptions g;
  app.add_option("--config", g.config_path, "config file")->capture_default_str();
  app.add_flag("--json", g.json, "machine-readable output (one JSON document on stdout)");

  add_keys_commands(app);
  add_store_commands(app, g);
  add_record_commands(app, g);
  add_log_commands(app, g);
  add_status_commands(app, g);
  add_index_commands(app, g);
  add_import_commands(app, g);
  add_review_commands(app, g);
  add_links_commands(app, g);
  add_audit_commands(app, g);
  add_backup_commands(app, g);
  add_retention_commands(app, g);
  add_sar_commands(app, g);
  add_search_commands(app, g);
  add_override_commands(app, g);

  try {
    app.parse(argc, argv);
    return kExitOk;
  } catch (const CommandError& e) {
    print_error(g, e);
    return e.exit_code();
  } catch (const CLI::RuntimeError& e) {
    return e.get_exit_code();  // a command that already reported its failure
  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e);  // prints help, or the usage error
    return rc == 0 ? kExitOk : kExitUsage;
  } catch (const std::exception& e) {
    print_error(g, CommandError(kExitFailed, "error", e.what()));
    return kExitFailed;
  }
}
