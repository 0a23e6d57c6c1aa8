// `aegis keys ...`: the operator's key workflow (docs/keys.md) — create the root and identities,
// certify identities, build and verify trust bundles, show public files.
#pragma once

#include <CLI/CLI.hpp>

namespace aegis::cli {

// Registers the `keys` subcommand tree on `app`. Failures are thrown as CommandError
// (cli_common.hpp) for main to print; --json is read from `app`'s global --json flag.
void add_keys_commands(CLI::App& app);

}  // namespace aegis::cli
