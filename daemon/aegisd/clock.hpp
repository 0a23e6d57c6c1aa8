// The daemon's clock: Unix time in milliseconds (system clock, read here at the edge only;
// protocol/ and the stores are handed the time).
#pragma once

#include <chrono>
#include <cstdint>

namespace aegis::daemon {

inline std::uint64_t now_ms() {
  using namespace std::chrono;
  return static_cast<std::uint64_t>(
      duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count());
}

}  // namespace aegis::daemon
