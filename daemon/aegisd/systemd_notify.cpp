// aegisd's messages to systemd (see systemd_notify.hpp).
#include "systemd_notify.hpp"

#include <time.h>

#include <systemd/sd-daemon.h>

namespace aegis::daemon {
namespace {

// A failed send is not the daemon's problem: systemd notices what it did not hear (start
// timeout, watchdog). Without NOTIFY_SOCKET sd_notify does nothing and returns 0.
void send(const std::string& message) { (void)sd_notify(0, message.c_str()); }

std::uint64_t monotonic_usec() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::uint64_t>(ts.tv_sec) * 1'000'000u +
         static_cast<std::uint64_t>(ts.tv_nsec) / 1'000u;
}

}  // namespace

std::string status_field(std::string_view line) {
  std::string out = "STATUS=";
  for (char c : line) {
    const auto u = static_cast<unsigned char>(c);
    out += (u < 0x20 || u == 0x7f) ? ' ' : c;
  }
  return out;
}

SystemdNotifier::SystemdNotifier() {
  std::uint64_t usec = 0;
  // > 0: a watchdog is set for this process (WATCHDOG_PID, when present, is ours).
  if (sd_watchdog_enabled(0, &usec) > 0 && usec >= 2'000) interval_ms_ = usec / 2'000;
}

void SystemdNotifier::ready(std::string_view status) {
  send("READY=1\n" + status_field(status));
}

void SystemdNotifier::reloading(std::string_view status) {
  // MONOTONIC_USEC: systemd 253 and later match the reload to the request by it.
  send("RELOADING=1\nMONOTONIC_USEC=" + std::to_string(monotonic_usec()) + "\n" +
       status_field(status));
}

void SystemdNotifier::stopping(std::string_view status) {
  send("STOPPING=1\n" + status_field(status));
}

void SystemdNotifier::status(std::string_view status) { send(status_field(status)); }

int SystemdNotifier::watchdog() {
  if (interval_ms_ == 0) return -1;
  const std::uint64_t now_ms = monotonic_usec() / 1'000u;
  if (now_ms >= next_watchdog_ms_) {
    send("WATCHDOG=1");
    next_watchdog_ms_ = now_ms + interval_ms_;
  }
  return static_cast<int>(next_watchdog_ms_ - now_ms);
}

}  // namespace aegis::daemon
