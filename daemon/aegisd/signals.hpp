// SIGTERM, SIGINT and SIGHUP as readable events in the daemon's poll loop (signalfd): the
// signals are blocked in every thread (call block_signals() before any thread, including
// ZeroMQ's I/O threads, starts) and read from a file descriptor, so no handler ever runs in the
// middle of a batch.
#pragma once

#include <optional>

namespace aegis::daemon {

enum class SignalEvent {
  stop,    // SIGTERM or SIGINT: drain and exit 0
  reload,  // SIGHUP: reload the trust bundle
};

// Blocks SIGTERM, SIGINT and SIGHUP for the calling thread and the threads it creates later.
void block_signals();

class Signals {
 public:
  Signals();  // after block_signals(); throws std::runtime_error if signalfd fails
  ~Signals();
  Signals(const Signals&) = delete;
  Signals& operator=(const Signals&) = delete;

  int fd() const { return fd_; }
  // The next pending signal, or nullopt.
  std::optional<SignalEvent> read();

 private:
  int fd_ = -1;
};

}  // namespace aegis::daemon
