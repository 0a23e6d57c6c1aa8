// What every libFuzzer target shares (docs/RELIABILITY.md): failing an invariant so that
// libFuzzer reports it like a crash and keeps the input. Fuzz-only code, never in the product.
#pragma once

#include <cstdio>
#include <cstdlib>

namespace aegis::fuzz {

// Stops the run with a crash libFuzzer reports (and saves the input for): an invariant failed.
[[noreturn]] inline void fail(const char* what) {
  std::fprintf(stderr, "fuzz invariant failed: %s\n", what);
  std::abort();
}

}  // namespace aegis::fuzz
