// Config for aegisd (docs/config.md): [sync] with the keys of the node's role, [admin] and
// [limits]; every error names its key (and its line where toml++ gives one).
#include <catch2/catch.hpp>

#include "config/config.hpp"
#include "config_fixture.hpp"

using namespace aegis;

namespace {

const std::string kKeys = test::kKeysTable;

const std::string kAuthority = R"(role = "authority"
subject_id = "kent"
data_dir = "data"
)" + kKeys + R"(matching_key_file = "keys/matching.key"

[sync]
index_endpoint = "tcp://index.example.org:7400"
index_id = "national"
batch_max = 512
window = 8
ack_timeout_ms = 2000
heartbeat_ms = 1000
reconnect_max_ms = 5000

[admin]
socket = "run/kent.sock"

[limits]
max_message_size = 1048576
send_hwm = 50
recv_hwm = 60
handshake_ms = 3000
linger_ms = 0
)";

const std::string kIndex = R"(role = "index"
subject_id = "national"
data_dir = "/var/lib/aegis-index"
)" + kKeys + R"(
[sync]
listen = "tcp://0.0.0.0:7400"
)";

config::Config parse(const std::string& text) { return test::parse_valid(text); }
std::string error_of(const std::string& text) { return test::config_error(text); }

std::string replace(std::string text, const std::string& from, const std::string& to) {
  const std::size_t at = text.find(from);
  REQUIRE(at != std::string::npos);
  return text.replace(at, from.size(), to);
}

}  // namespace

TEST_CASE("daemon config: an authority's [sync], [admin] and [limits] parse") {
  config::Config c = parse(kAuthority);
  REQUIRE(c.sync);
  CHECK(c.sync->index_endpoint == "tcp://index.example.org:7400");
  CHECK(c.sync->index_id == "national");
  CHECK(c.sync->listen.empty());
  CHECK(c.sync->batch_max == 512);
  CHECK(c.sync->window == 8);
  CHECK(c.sync->ack_timeout_ms == 2000);
  CHECK(c.sync->heartbeat_ms == 1000);
  CHECK(c.sync->reconnect_max_ms == 5000);
  CHECK(c.admin.socket == "/etc/aegis/run/kent.sock");  // relative to the config file
  CHECK(c.limits.max_message_size == 1048576);
  CHECK(c.limits.send_hwm == 50);
  CHECK(c.limits.recv_hwm == 60);
  CHECK(c.limits.handshake_ms == 3000);
  CHECK(c.limits.linger_ms == 0);
  CHECK(config::check_daemon_config(c).ok());
}

TEST_CASE("daemon config: an index needs only sync.listen; defaults fill the rest") {
  config::Config c = parse(kIndex);
  REQUIRE(c.sync);
  CHECK(c.sync->listen == "tcp://0.0.0.0:7400");
  CHECK(c.sync->batch_max == 256);
  CHECK(c.sync->window == 4);
  CHECK(c.sync->ack_timeout_ms == 10000);
  CHECK(c.sync->heartbeat_ms == 5000);
  CHECK(c.sync->reconnect_max_ms == 30000);
  CHECK(c.admin.socket == "/var/lib/aegis-index/aegisd.sock");
  CHECK(c.limits.max_message_size == protocol::kMaxMessageSize);
  CHECK(c.limits.send_hwm == 1000);
  CHECK(config::check_daemon_config(c).ok());
}

TEST_CASE("daemon config: without [sync] the CLI may read the file but aegisd refuses it") {
  config::Config c = parse(kIndex.substr(0, kIndex.find("[sync]")));
  CHECK_FALSE(c.sync);
  auto ok = config::check_daemon_config(c);
  REQUIRE_FALSE(ok.ok());
  CHECK_THAT(ok.error().message, Catch::StartsWith("/etc/aegis/aegis.toml: sync: missing") &&
                                     Catch::Contains("listen"));
}

TEST_CASE("daemon config: the keys of the role are required, each named") {
  CHECK_THAT(error_of(replace(kAuthority, "index_endpoint = \"tcp://index.example.org:7400\"", "")),
             Catch::Contains("sync.index_endpoint: missing (required)"));
  CHECK_THAT(error_of(replace(kAuthority, "index_id = \"national\"", "")),
             Catch::Contains("sync.index_id: missing (required)"));
  CHECK_THAT(error_of(replace(kIndex, "listen = \"tcp://0.0.0.0:7400\"", "")),
             Catch::Contains("sync.listen: missing (required)"));
}

TEST_CASE("daemon config: the other role's keys are refused with their line") {
  CHECK_THAT(error_of(kAuthority + "\n[sync]\n"), Catch::Contains("not valid TOML"));
  std::string listen = replace(kAuthority, "index_id = \"national\"",
                               "index_id = \"national\"\nlisten = \"tcp://0.0.0.0:1\"");
  CHECK_THAT(error_of(listen), Catch::Contains(":15:10: sync.listen: only for role = \"index\""));
  std::string endpoint = replace(kIndex, "listen = ", "index_id = \"x\"\nlisten = ");
  CHECK_THAT(error_of(endpoint), Catch::Contains("sync.index_id: only for role = \"authority\""));
}

TEST_CASE("daemon config: endpoints must be tcp://HOST:PORT") {
  for (const char* bad : {"index.example.org:7400", "ipc:///tmp/x", "tcp://:7400",
                          "tcp://host", "tcp://host:0", "tcp://host:65536", "tcp://host:74x",
                          "tcp://host:*", "tcp://a b:1"}) {
    INFO(bad);
    CHECK_THAT(error_of(replace(kIndex, "tcp://0.0.0.0:7400", bad)),
               Catch::Contains("sync.listen: '" + std::string(bad) + "' is not tcp://HOST:PORT"));
  }
  CHECK(config::valid_tcp_endpoint("tcp://127.0.0.1:1"));
  CHECK(config::valid_tcp_endpoint("tcp://[::1]:65535"));
  CHECK(config::valid_tcp_endpoint("tcp://*:7400"));
}

TEST_CASE("daemon config: numbers out of range are refused naming the key and the range") {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"batch_max = 512", "batch_max = 1025"},
      {"batch_max = 512", "batch_max = 0"},
      {"window = 8", "window = 65"},
      {"ack_timeout_ms = 2000", "ack_timeout_ms = 99"},
      {"heartbeat_ms = 1000", "heartbeat_ms = 0"},
      {"reconnect_max_ms = 5000", "reconnect_max_ms = 50"},
      {"send_hwm = 50", "send_hwm = 0"},
      {"recv_hwm = 60", "recv_hwm = 100001"},
      {"handshake_ms = 3000", "handshake_ms = 10"},
      {"linger_ms = 0", "linger_ms = -1"},
      {"max_message_size = 1048576", "max_message_size = 16777217"},
      {"max_message_size = 1048576", "max_message_size = 100"},
  };
  for (const auto& [from, to] : cases) {
    INFO(to);
    const std::string key = to.substr(0, to.find(' '));
    const std::string msg = error_of(replace(kAuthority, from, to));
    CHECK_THAT(msg, Catch::Contains(key + ": ") && Catch::Contains("is out of range"));
  }
}

TEST_CASE("daemon config: unknown keys in [sync], [admin] and [limits] are refused") {
  CHECK_THAT(error_of(replace(kAuthority, "window = 8", "windw = 8")),
             Catch::Contains("sync.windw: unknown key"));
  CHECK_THAT(error_of(replace(kAuthority, "socket = ", "path = ")),
             Catch::Contains("admin.path: unknown key"));
  CHECK_THAT(error_of(replace(kAuthority, "send_hwm", "sndhwm")),
             Catch::Contains("limits.sndhwm: unknown key"));
  CHECK_THAT(error_of(replace(kAuthority, "index_id = \"national\"", "index_id = 5")),
             Catch::Contains("sync.index_id: expected a string, found an integer"));
  CHECK_THAT(error_of(replace(kAuthority, "index_id = \"national\"", "index_id = \"Nat ional\"")),
             Catch::Contains("sync.index_id: 'Nat ional' is not a valid id"));
}

TEST_CASE("daemon config: an admin socket path too long for a Unix socket is refused") {
  const std::string long_dir = "/" + std::string(110, 'd');
  CHECK_THAT(error_of(replace(kAuthority, "run/kent.sock", long_dir + "/kent.sock")),
             Catch::Contains("admin.socket: '") && Catch::Contains("longer than 107 bytes"));
  // The default under a long data_dir is refused too, with advice.
  CHECK_THAT(error_of(replace(kIndex, "/var/lib/aegis-index", long_dir)),
             Catch::Contains("admin.socket") && Catch::Contains("set admin.socket"));
}
