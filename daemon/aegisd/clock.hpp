// The daemon's clocks, read here at the edge only (protocol/ and the stores are handed the time):
// now_ms is Unix time (what is stored and checked against certificates); steady_ms only ever
// moves forward (what schedules ticks, so a wall clock stepped back does not stall them).
#pragma once

#include <chrono>
#include <cstdint>

namespace aegis::daemon {

inline std::uint64_t now_ms() {
  using namespace std::chrono;
  return static_cast<std::uint64_t>(
      duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count());
}

inline std::uint64_t steady_ms() {
  using namespace std::chrono;
  return static_cast<std::uint64_t>(
      duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count());
}

}  // namespace aegis::daemon
