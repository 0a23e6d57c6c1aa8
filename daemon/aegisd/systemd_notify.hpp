// Telling systemd what aegisd is doing (sd_notify(3)), for the Type=notify unit
// packaging/aegis@.service (docs/operations.md): READY=1 once the store is open and the sockets
// are bound, WATCHDOG=1 at half of WatchdogSec, RELOADING=1 then READY=1 around a SIGHUP reload,
// STOPPING=1 on shutdown, and a one-line STATUS= (ids, versions and codes only, never personal
// data). Run by hand or in tests (no NOTIFY_SOCKET) every call does nothing.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace aegis::daemon {

class SystemdNotifier {
 public:
  // Reads the watchdog interval systemd passed (WATCHDOG_USEC, WATCHDOG_PID).
  SystemdNotifier();

  void ready(std::string_view status);
  void reloading(std::string_view status);
  void stopping(std::string_view status);
  void status(std::string_view status);
  // Sends WATCHDOG=1 when half of WatchdogSec has passed since the last one (by the monotonic
  // clock: a wall-clock step must not starve the watchdog). Returns the ms until the next one
  // is due, or -1 without a watchdog.
  int watchdog();

  // Half of WatchdogSec in ms; 0 without a watchdog.
  std::uint64_t watchdog_interval_ms() const { return interval_ms_; }

 private:
  std::uint64_t interval_ms_ = 0;
  std::uint64_t next_watchdog_ms_ = 0;  // monotonic
};

// STATUS=<line>: control characters become spaces, so the state stays one line and one field.
std::string status_field(std::string_view line);

}  // namespace aegis::daemon
