// The node's config file (TOML, docs/config.md), parsed into a plain struct. Every error is one
// line naming the file, the line and column where known, and the key:
//   /etc/aegis/aegis.toml:7:1: keys.identiy: unknown key
// Unknown keys are errors (they are usually typos). Relative paths are resolved against the
// directory of the config file.
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "aegis/protocol/certificate.hpp"
#include "aegis/protocol/result.hpp"
#include "aegis/protocol/sync.hpp"

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
  // The national matching key file (keys/, PROTOCOL.md §14): required for an authority, refused
  // for the index (which must never hold it); so set exactly when role is authority.
  std::optional<std::filesystem::path> matching_key_file;
};

// [store]: the authority's SQLite store (optional section).
struct StoreConfig {
  int busy_timeout_ms = 5000;  // how long a change waits for another writer, 0..600000
};

// [sync]: the connection between an authority and the index (docs/config.md, docs/aegisd.md).
// Optional for the CLI; aegisd needs it (check_daemon_config).
struct SyncConfig {
  std::string index_endpoint;  // authority: "tcp://HOST:PORT" of the index
  std::string index_id;        // authority: subject id of the index certificate (its CURVE key)
  std::string listen;          // index: "tcp://HOST:PORT" to bind
  // Practitioner queries (docs/query.md), both optional: the index's query socket, and where an
  // authority sends its users' queries. Without them no query is answered / sent.
  std::string query_listen;          // index: "tcp://HOST:PORT" to bind the query socket
  std::string index_query_endpoint;  // authority: "tcp://HOST:PORT" of the index query socket
  std::uint32_t batch_max = 256;             // envelopes (or feed items) per message, 1..1024
  std::uint32_t window = 4;                  // messages sent and not yet answered, 1..64
  std::uint64_t ack_timeout_ms = 10000;      // no answer for this long: resync
  std::uint64_t heartbeat_ms = 5000;         // ZMTP heartbeat; a peer silent 3x this is dead
  std::uint64_t reconnect_max_ms = 30000;    // reconnect backoff ceiling (starts at 100 ms)
};

// [admin]: the local admin socket the `aegis` CLI talks to (optional section).
struct AdminConfig {
  std::filesystem::path socket;  // default: data_dir/aegisd.sock
};

// [limits]: bounds on what a peer can make this node hold (optional section).
struct LimitsConfig {
  std::uint64_t max_message_size = protocol::kMaxMessageSize;  // bytes of one message, 4096..that
  int send_hwm = 1000;         // messages queued towards one peer, 1..100000
  int recv_hwm = 1000;         // messages queued from one peer, 1..100000
  int handshake_ms = 10000;    // a connection must finish CURVE + ZAP within this, 100..600000
  int linger_ms = 1000;        // on shutdown, how long unsent messages may wait, 0..600000
};

// [metrics]: the Prometheus text endpoint of aegisd (docs/operations.md, "Metrics"). Optional:
// without the table there is no endpoint; with it, `listen` defaults to kDefaultMetricsListen
// and `enabled = false` turns it off.
struct MetricsConfig {
  bool enabled = false;
  std::string host = "127.0.0.1";  // an IPv4 address, an IPv6 address (without brackets), localhost
  std::uint16_t port = 9464;       // 0: any free port (the one bound is logged and in status)
};
inline constexpr std::string_view kDefaultMetricsListen = "127.0.0.1:9464";

// [[inbox]]: a directory the authority daemon imports files from (docs/config.md,
// docs/adapters.md "Inbox"). One table per source; authority role only.
struct InboxConfig {
  std::filesystem::path dir;
  std::string format;   // one of kInboxFormats
  std::string mapping;  // CSV only: one of kCsvMappings ("aegis" when not set)
  std::uint64_t stable_ms = 2000;  // a file is taken once its size and mtime held this long
};
// The names adapters/ gives its formats and CSV mappings (adapters::format_name,
// adapters::CsvMapping::aegis()/febrl(); tests/inbox checks that each one resolves).
inline constexpr std::array<std::string_view, 3> kInboxFormats = {"ctf", "cin", "csv"};
inline constexpr std::array<std::string_view, 2> kCsvMappings = {"aegis", "febrl"};

// [audit]: when the index signs a checkpoint of its audit log (docs/audit.md, "Checkpoints"):
// after checkpoint_entries new entries, or checkpoint_seconds after the last checkpoint when
// there is a new entry. Index role only; optional (the defaults are index::AuditPolicy's).
struct AuditConfig {
  std::uint64_t checkpoint_entries = 1000;  // 1..1000000
  std::uint64_t checkpoint_seconds = 60;    // 1..86400
};

struct Config {
  std::filesystem::path file;                       // the config file this was read from (absolute)
  protocol::Role role = protocol::Role::authority;  // authority or index
  std::string subject_id;  // this node's id: the authority id, or the index id
  std::filesystem::path data_dir;
  KeysConfig keys;
  StoreConfig store;
  std::optional<SyncConfig> sync;  // absent when the file has no [sync] table
  AdminConfig admin;
  LimitsConfig limits;
  MetricsConfig metrics;
  AuditConfig audit;
  std::vector<InboxConfig> inbox;  // [[inbox]] tables, in file order
  // [shield_contacts] (index only): each authority's published shield contact route, given in
  // a shielded child's answer (docs/query.md rule 3). Key: authority id; value 1..200 bytes.
  std::map<std::string, std::string, std::less<>> shield_contacts;
};

// The name of the admin socket inside data_dir when [admin] socket is not set.
inline constexpr std::string_view kDefaultAdminSocketName = "aegisd.sock";
// The lock file inside data_dir: aegisd holds it (flock) while it runs, `aegis restore` while
// it restores, so neither runs on a store the other is writing.
inline constexpr std::string_view kDaemonLockName = "aegisd.lock";
// The longest admin socket path (a Unix socket address holds 107 bytes plus a terminator).
inline constexpr std::size_t kMaxAdminSocketPath = 107;

// Reads and parses the file.
Result<Config> load_config(const std::filesystem::path& file);
// Parses `text` as if read from `file` (names it in errors; resolves relative paths against
// its directory).
Result<Config> parse_config(std::string_view text, const std::filesystem::path& file);
// What aegisd needs beyond a parsable file: a [sync] table with the keys of its role.
Result<protocol::Ok> check_daemon_config(const Config& c);

// True for "tcp://HOST:PORT" with a non-empty host (a name, an IPv4 address, "*" or "[v6]")
// and a port 1..65535.
bool valid_tcp_endpoint(std::string_view endpoint);

// "HOST:PORT" of [metrics] listen: HOST an IPv4 address, "[IPv6]" or "localhost", PORT 0..65535.
// Fills `out`'s host (brackets removed) and port; false when `listen` is not of that form.
bool parse_metrics_listen(std::string_view listen, MetricsConfig& out);

}  // namespace aegis::config
