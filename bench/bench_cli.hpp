// The bench tools' command lines (CLI11, as the `aegis` CLI): each tool declares its options,
// with their ranges; a bad value or an unknown option prints what was wrong and exits non-zero
// (--help prints the usage, exit 0).
#pragma once

#include <cstdlib>

#include <CLI/CLI.hpp>

namespace aegis::bench {

template <class Declare>
void parse_options(int argc, char** argv, const char* what, Declare declare) {
  CLI::App app{what};
  declare(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    std::exit(app.exit(e));
  }
}

}  // namespace aegis::bench
