// Helpers the config tests share: parse a config text that must be valid, or get the one-line
// error of one that must not be (always named after the file it came from).
#pragma once

#include <catch2/catch.hpp>

#include <string>

#include "config/config.hpp"

namespace aegis::test {

inline constexpr const char* kConfigPath = "/etc/aegis/aegis.toml";

// The [keys] table every config needs, and the start of a minimal config of each role.
inline const std::string kKeysTable = R"(
[keys]
identity = "keys/node.key"
certificate_serial = 3
trust_bundle = "keys/bundle.bin"
root_public_key = "keys/root.pub"
)";
inline const std::string kIndexHead = R"(role = "index"
subject_id = "national"
data_dir = "data"
)" + kKeysTable;
inline const std::string kAuthorityHead = R"(role = "authority"
subject_id = "kent"
data_dir = "data"
)" + kKeysTable + "matching_key_file = \"keys/matching.key\"\n";

inline config::Config parse_valid(const std::string& text) {
  auto c = config::parse_config(text, kConfigPath);
  INFO((c ? "" : c.error().message));
  REQUIRE(c.ok());
  return std::move(c).value();
}

inline std::string config_error(const std::string& text) {
  auto c = config::parse_config(text, kConfigPath);
  REQUIRE_FALSE(c.ok());
  const std::string& msg = c.error().message;
  CHECK(msg.find('\n') == std::string::npos);
  CHECK(msg.rfind(kConfigPath, 0) == 0);
  return msg;
}

}  // namespace aegis::test
