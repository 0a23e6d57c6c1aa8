// The node's config file (TOML, docs/config.md), parsed into a plain struct. Every error is one
// line naming the file, the line and column where known, and the key:
//   /etc/aegis/aegis.toml:7:1: keys.identiy: unknown key
// Unknown keys are errors (they are usually typos). Relative paths are resolved against the
// directory of the config file.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "aegis/protocol/certificate.hpp"
#include "aegis/protocol/result.hpp"

namespace aegis::config {

inline constexpr std::string_view kDefaultConfigPath = "/etc/aegis/aegis.toml";
inline constexpr std::size_t kMaxConfigSize = 1u << 20;

struct ConfigError {
  std::string message;  // one line, starting with the file name
};

template <typename T>
using Result = protocol::Result<T, ConfigError>;

// [keys]: where this node's key material and the national trust live.
struct KeysConfig {
  std::filesystem::path identity;                        // secret identity key file (keys/)
  std::optional<std::filesystem::path> certificate;      // this node's certificate file, or...
  std::optional<std::uint64_t> certificate_serial;       // ...its serial in the trust bundle
  std::filesystem::path trust_bundle;                    // the root-signed trust bundle
  std::filesystem::path root_public_key;                 // the pinned national root key
  std::optional<std::filesystem::path> passphrase_file;  // unwraps the identity key file
};

// [store]: the authority's SQLite store (optional section).
struct StoreConfig {
  int busy_timeout_ms = 5000;  // how long a change waits for another writer, 0..600000
};

struct Config {
  std::filesystem::path file;                       // the config file this was read from (absolute)
  protocol::Role role = protocol::Role::authority;  // authority or index
  std::string subject_id;  // this node's id: the authority id, or the index id
  std::filesystem::path data_dir;
  KeysConfig keys;
  StoreConfig store;
};

// Reads and parses the file.
Result<Config> load_config(const std::filesystem::path& file);
// Parses `text` as if read from `file` (names it in errors; resolves relative paths against
// its directory).
Result<Config> parse_config(std::string_view text, const std::filesystem::path& file);

}  // namespace aegis::config
