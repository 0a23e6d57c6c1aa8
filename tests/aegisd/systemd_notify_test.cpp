// aegisd's sd_notify messages (daemon/aegisd/systemd_notify.hpp), read from a datagram socket
// bound where NOTIFY_SOCKET points, as systemd would: the exact fields of each message, STATUS=
// kept to one line, the watchdog interval and who it belongs to. The whole daemon under a
// notify socket is tested in tests/packaging/test_sd_notify.py.
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>

#include <catch2/catch.hpp>

#include "aegisd/systemd_notify.hpp"
#include "test_support.hpp"

using namespace aegis::daemon;

namespace {

// A notification socket, and the environment systemd would set for the process.
class FakeSystemd {
 public:
  FakeSystemd() : path_(dir_ / "notify") {
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    REQUIRE(fd_ >= 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, path_.c_str(), sizeof addr.sun_path - 1);
    REQUIRE(::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    ::setenv("NOTIFY_SOCKET", path_.c_str(), 1);
    ::unsetenv("WATCHDOG_USEC");
    ::unsetenv("WATCHDOG_PID");
  }
  ~FakeSystemd() {
    ::unsetenv("NOTIFY_SOCKET");
    ::unsetenv("WATCHDOG_USEC");
    ::unsetenv("WATCHDOG_PID");
    ::close(fd_);
  }
  FakeSystemd(const FakeSystemd&) = delete;
  FakeSystemd& operator=(const FakeSystemd&) = delete;

  // The next message already sent, or nullopt if there is none.
  std::optional<std::string> message() {
    char buf[4096];
    const ssize_t n = ::recv(fd_, buf, sizeof buf, MSG_DONTWAIT);
    if (n < 0) {
      REQUIRE((errno == EAGAIN || errno == EWOULDBLOCK));
      return std::nullopt;
    }
    return std::string(buf, static_cast<std::size_t>(n));
  }

 private:
  aegis::test::TempDir dir_{"aegis-notify"};
  std::filesystem::path path_;
  int fd_ = -1;
};

}  // namespace

TEST_CASE("systemd_notify: READY, STOPPING and STATUS messages carry exactly their fields") {
  FakeSystemd systemd;
  SystemdNotifier notify;
  notify.ready("authority kent: serving, trust bundle v3");
  CHECK(systemd.message() == "READY=1\nSTATUS=authority kent: serving, trust bundle v3");
  notify.status("index national: serving, trust bundle v4");
  CHECK(systemd.message() == "STATUS=index national: serving, trust bundle v4");
  notify.stopping("authority kent: stopping, trust bundle v3");
  CHECK(systemd.message() == "STOPPING=1\nSTATUS=authority kent: stopping, trust bundle v3");
  CHECK_FALSE(systemd.message());
}

TEST_CASE("systemd_notify: RELOADING carries the monotonic time systemd 253+ matches it by") {
  FakeSystemd systemd;
  SystemdNotifier notify;
  timespec before{};
  clock_gettime(CLOCK_MONOTONIC, &before);
  notify.reloading("authority kent: reloading the trust bundle, trust bundle v3");
  const std::optional<std::string> m = systemd.message();
  REQUIRE(m);
  REQUIRE(m->rfind("RELOADING=1\nMONOTONIC_USEC=", 0) == 0);
  const std::string rest = m->substr(std::strlen("RELOADING=1\nMONOTONIC_USEC="));
  const std::size_t end = rest.find('\n');
  REQUIRE(end != std::string::npos);
  const std::uint64_t usec = std::stoull(rest.substr(0, end));
  CHECK(usec >= static_cast<std::uint64_t>(before.tv_sec) * 1'000'000u);
  CHECK(rest.substr(end + 1) ==
        "STATUS=authority kent: reloading the trust bundle, trust bundle v3");
}

TEST_CASE("systemd_notify: a line break in a state cannot forge another field") {
  FakeSystemd systemd;
  SystemdNotifier notify;
  notify.status("reload refused (x\nREADY=1\rSTOPPING=1\x7f)");
  CHECK(systemd.message() == "STATUS=reload refused (x READY=1 STOPPING=1 )");
  CHECK(status_field("a\tb") == "STATUS=a b");
  CHECK(status_field("") == "STATUS=");
}

TEST_CASE("systemd_notify: WATCHDOG=1 at once, then not again before half of WatchdogSec") {
  FakeSystemd systemd;
  ::setenv("WATCHDOG_USEC", "20000000", 1);  // 20 s
  ::setenv("WATCHDOG_PID", std::to_string(::getpid()).c_str(), 1);
  SystemdNotifier notify;
  CHECK(notify.watchdog_interval_ms() == 10'000);
  const int first = notify.watchdog();
  CHECK(systemd.message() == "WATCHDOG=1");
  CHECK(first > 0);
  CHECK(first <= 10'000);
  const int second = notify.watchdog();
  CHECK(second > 0);
  CHECK(second <= first);
  CHECK_FALSE(systemd.message());
}

TEST_CASE("systemd_notify: no watchdog that is not this process's, or not a valid interval") {
  FakeSystemd systemd;
  SECTION("no WATCHDOG_USEC") {}
  SECTION("WATCHDOG_PID names another process") {
    ::setenv("WATCHDOG_USEC", "20000000", 1);
    ::setenv("WATCHDOG_PID", "1", 1);
  }
  SECTION("WATCHDOG_USEC is not a number") { ::setenv("WATCHDOG_USEC", "soon", 1); }
  SECTION("WATCHDOG_USEC is zero") { ::setenv("WATCHDOG_USEC", "0", 1); }
  SECTION("WATCHDOG_USEC under 2 ms: half of it would be a busy loop") {
    ::setenv("WATCHDOG_USEC", "1999", 1);
  }
  SystemdNotifier notify;
  CHECK(notify.watchdog_interval_ms() == 0);
  CHECK(notify.watchdog() == -1);
  CHECK_FALSE(systemd.message());
}

TEST_CASE("systemd_notify: without a listening systemd every call does nothing and returns") {
  SECTION("no NOTIFY_SOCKET") { ::unsetenv("NOTIFY_SOCKET"); }
  SECTION("NOTIFY_SOCKET names no socket") {
    ::setenv("NOTIFY_SOCKET", "/nonexistent/aegis-notify", 1);
  }
  SECTION("NOTIFY_SOCKET is not an absolute path or an abstract name") {
    ::setenv("NOTIFY_SOCKET", "relative", 1);
  }
  SystemdNotifier notify;
  notify.ready("x");
  notify.reloading("x");
  notify.status("x");
  notify.stopping("x");
  CHECK(notify.watchdog() == -1);
  ::unsetenv("NOTIFY_SOCKET");
}
