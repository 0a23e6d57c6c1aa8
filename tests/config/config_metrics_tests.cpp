// Config of the metrics endpoint (docs/config.md, [metrics]): absent means off; present means on,
// on 127.0.0.1:9464 unless `listen` says otherwise; `enabled = false` turns it off; a listen
// address that is not HOST:PORT, a wrong type or an unknown key is refused naming the key.
#include <catch2/catch.hpp>

#include "config/config.hpp"
#include "config_fixture.hpp"

using namespace aegis;

namespace {

const std::string kIndex = test::kIndexHead + R"(
[sync]
listen = "tcp://0.0.0.0:7400"
)";

config::Config with_metrics(const std::string& table) {
  return test::parse_valid(kIndex + "\n[metrics]\n" + table);
}
std::string error_with(const std::string& table) {
  return test::config_error(kIndex + "\n[metrics]\n" + table);
}

}  // namespace

TEST_CASE("config metrics: no [metrics] table means no endpoint") {
  const config::Config c = test::parse_valid(kIndex);
  CHECK_FALSE(c.metrics.enabled);
}

TEST_CASE("config metrics: an empty table listens on the loopback default") {
  const config::Config c = with_metrics("");
  CHECK(c.metrics.enabled);
  CHECK(c.metrics.host == "127.0.0.1");
  CHECK(c.metrics.port == 9464);
}

TEST_CASE("config metrics: listen takes IPv4, bracketed IPv6, localhost, and port 0") {
  config::Config c = with_metrics("listen = \"10.1.2.3:9100\"\n");
  CHECK(c.metrics.host == "10.1.2.3");
  CHECK(c.metrics.port == 9100);
  c = with_metrics("listen = \"[::1]:9464\"\n");
  CHECK(c.metrics.host == "::1");
  c = with_metrics("listen = \"localhost:65535\"\n");
  CHECK(c.metrics.host == "localhost");
  CHECK(c.metrics.port == 65535);
  c = with_metrics("listen = \"127.0.0.1:0\"\n");
  CHECK(c.metrics.port == 0);
}

TEST_CASE("config metrics: enabled = false turns it off") {
  const config::Config c = with_metrics("enabled = false\nlisten = \"127.0.0.1:9999\"\n");
  CHECK_FALSE(c.metrics.enabled);
}

TEST_CASE("config metrics: a listen address that is not HOST:PORT is refused, naming the key") {
  for (const char* bad : {"9464", ":9464", "127.0.0.1", "127.0.0.1:", "127.0.0.1:65536",
                          "127.0.0.1:-1", "127.0.0.1:94x4", "tcp://127.0.0.1:9464",
                          "256.0.0.1:9464", "metrics.example.org:9464", "::1:9464",
                          "[::1:9464", "[not-v6]:9464", "127.0.0.1 :9464"}) {
    INFO(bad);
    const std::string msg = error_with(std::string("listen = \"") + bad + "\"\n");
    CHECK(msg.find("metrics.listen: '" + std::string(bad) + "' is not HOST:PORT") !=
          std::string::npos);
  }
}

TEST_CASE("config metrics: wrong types and unknown keys are refused") {
  CHECK(error_with("listen = 9464\n").find("metrics.listen: expected a string, found an integer") !=
        std::string::npos);
  CHECK(error_with("listen = \"\"\n").find("metrics.listen: must not be empty") !=
        std::string::npos);
  CHECK(error_with("enabled = \"no\"\n").find("metrics.enabled: expected a boolean") !=
        std::string::npos);
  CHECK(error_with("port = 9464\n").find("metrics.port: unknown key") != std::string::npos);
  // A top-level key (before the first table), not a table.
  CHECK(test::config_error("metrics = \"127.0.0.1:9464\"\n" + kIndex)
            .find("metrics: expected a table") != std::string::npos);
}
