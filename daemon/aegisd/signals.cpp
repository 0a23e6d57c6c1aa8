// Signals through signalfd (see signals.hpp).
#include "signals.hpp"

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>

#include <signal.h>
#include <sys/signalfd.h>
#include <unistd.h>

namespace aegis::daemon {
namespace {

sigset_t handled() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGHUP);
  return set;
}

}  // namespace

void block_signals() {
  const sigset_t set = handled();
  if (pthread_sigmask(SIG_BLOCK, &set, nullptr) != 0)
    throw std::runtime_error("cannot block signals");
}

Signals::Signals() {
  const sigset_t set = handled();
  fd_ = ::signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
  if (fd_ < 0) throw std::runtime_error(std::string("signalfd: ") + std::strerror(errno));
}

Signals::~Signals() {
  if (fd_ >= 0) ::close(fd_);
}

std::optional<SignalEvent> Signals::read() {
  signalfd_siginfo info{};
  for (;;) {
    const ssize_t n = ::read(fd_, &info, sizeof info);
    if (n == static_cast<ssize_t>(sizeof info))
      return info.ssi_signo == SIGHUP ? SignalEvent::reload : SignalEvent::stop;
    if (n < 0 && errno == EINTR) continue;
    return std::nullopt;
  }
}

}  // namespace aegis::daemon
