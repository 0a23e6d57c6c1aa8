// The TOML config file (see config.hpp and docs/config.md).
#include "config/config.hpp"

#include <arpa/inet.h>

#include <charconv>
#include <fstream>
#include <initializer_list>
#include <span>

#include <toml++/toml.h>

#include "aegis/protocol/query.hpp"
#include "aegis/protocol/record.hpp"

namespace aegis::config {
namespace {

std::string_view type_name(toml::node_type t) {
  switch (t) {
    case toml::node_type::table: return "a table";
    case toml::node_type::array: return "an array";
    case toml::node_type::string: return "a string";
    case toml::node_type::integer: return "an integer";
    case toml::node_type::floating_point: return "a float";
    case toml::node_type::boolean: return "a boolean";
    case toml::node_type::date: return "a date";
    case toml::node_type::time: return "a time";
    case toml::node_type::date_time: return "a date-time";
    case toml::node_type::none: break;
  }
  return "nothing";
}

// Walks the parsed document, recording the first error (later ones are ignored, so a caller
// can read every key and check once).
class Parser {
 public:
  Parser(std::string file, std::filesystem::path base)
      : file_(std::move(file)), base_(std::move(base)) {}

  bool failed() const { return error_.has_value(); }
  const ConfigError& error() const { return *error_; }

  void fail(const toml::source_region* where, std::string_view key, std::string_view problem) {
    if (error_) return;
    std::string msg = file_;
    if (where && where->begin.line > 0)
      msg += ":" + std::to_string(where->begin.line) + ":" + std::to_string(where->begin.column);
    msg += ": ";
    if (!key.empty()) msg += std::string(key) + ": ";
    msg += problem;
    error_ = ConfigError{std::move(msg)};
  }

  // Refuses any key of `t` that is not in `known`.
  void check_keys(const toml::table& t, std::string_view prefix,
                  std::initializer_list<std::string_view> known) {
    for (auto&& [k, v] : t) {
      bool ok = false;
      for (std::string_view name : known) ok = ok || k.str() == name;
      if (!ok) fail(&k.source(), name(prefix, k.str()), "unknown key");
    }
  }

  const toml::table* table(const toml::table& t, std::string_view prefix, std::string_view key,
                           bool required) {
    const toml::node* n = find(t, prefix, key, required);
    if (!n) return nullptr;
    if (!n->is_table()) return wrong_type(n, prefix, key, "a table"), nullptr;
    return n->as_table();
  }

  std::optional<std::string> string(const toml::table& t, std::string_view prefix,
                                    std::string_view key, bool required) {
    const toml::node* n = find(t, prefix, key, required);
    if (!n) return std::nullopt;
    if (!n->is_string()) return wrong_type(n, prefix, key, "a string"), std::nullopt;
    std::string value = n->as_string()->get();
    if (value.empty())
      return fail(&n->source(), name(prefix, key), "must not be empty"), std::nullopt;
    return value;
  }

  std::optional<std::filesystem::path> path(const toml::table& t, std::string_view prefix,
                                            std::string_view key, bool required) {
    std::optional<std::string> s = string(t, prefix, key, required);
    if (!s) return std::nullopt;
    std::filesystem::path p(*s);
    return (p.is_absolute() ? p : base_ / p).lexically_normal();
  }

  std::optional<std::int64_t> integer(const toml::table& t, std::string_view prefix,
                                      std::string_view key, std::int64_t min, std::int64_t max) {
    const toml::node* n = find(t, prefix, key, false);
    if (!n) return std::nullopt;
    if (!n->is_integer()) return wrong_type(n, prefix, key, "an integer"), std::nullopt;
    std::int64_t v = n->as_integer()->get();
    if (v < min || v > max) {
      fail(&n->source(), name(prefix, key),
           std::to_string(v) + " is out of range " + std::to_string(min) + ".." +
               std::to_string(max));
      return std::nullopt;
    }
    return v;
  }

  static std::string name(std::string_view prefix, std::string_view key) {
    return prefix.empty() ? std::string(key) : std::string(prefix) + "." + std::string(key);
  }

 private:
  const toml::node* find(const toml::table& t, std::string_view prefix, std::string_view key,
                         bool required) {
    const toml::node* n = t.get(key);
    if (!n && required) fail(nullptr, name(prefix, key), "missing (required)");
    return n;
  }

  void wrong_type(const toml::node* n, std::string_view prefix, std::string_view key,
                  std::string_view expected) {
    fail(&n->source(), name(prefix, key),
         "expected " + std::string(expected) + ", found " + std::string(type_name(n->type())));
  }

  std::string file_;
  std::filesystem::path base_;
  std::optional<ConfigError> error_;
};

// [sync]: the keys of the node's role are required, the other role's keys are refused.
void parse_sync(Parser& p, const toml::table& t, Config& c) {
  p.check_keys(t, "sync", {"index_endpoint", "index_id", "listen", "batch_max", "window",
                           "ack_timeout_ms", "heartbeat_ms", "reconnect_max_ms", "query_listen",
                           "index_query_endpoint"});
  SyncConfig s;
  const bool authority = c.role == protocol::Role::authority;
  auto endpoint = [&](std::string_view key, bool mine) -> std::string {
    if (!mine) {
      if (const toml::node* n = t.get(key))
        p.fail(&n->source(), Parser::name("sync", key),
               std::string("only for role = \"") + (authority ? "index" : "authority") + "\"");
      return {};
    }
    std::optional<std::string> v = p.string(t, "sync", key, true);
    if (v && !valid_tcp_endpoint(*v))
      p.fail(&t.get(key)->source(), Parser::name("sync", key),
             "'" + *v + "' is not tcp://HOST:PORT (port 1..65535)");
    return v.value_or("");
  };
  s.index_endpoint = endpoint("index_endpoint", authority);
  s.listen = endpoint("listen", !authority);
  // Optional: practitioner queries (docs/query.md).
  auto optional_endpoint = [&](std::string_view key, bool mine) -> std::string {
    if (!t.get(key)) return {};
    return endpoint(key, mine);
  };
  s.query_listen = optional_endpoint("query_listen", !authority);
  s.index_query_endpoint = optional_endpoint("index_query_endpoint", authority);
  if (authority) {
    if (std::optional<std::string> id = p.string(t, "sync", "index_id", true)) {
      if (!protocol::valid_authority_id(*id))
        p.fail(&t.get("index_id")->source(), "sync.index_id", "'" + *id + "' is not a valid id");
      s.index_id = *id;
    }
  } else if (const toml::node* n = t.get("index_id")) {
    p.fail(&n->source(), "sync.index_id", "only for role = \"authority\"");
  }
  if (auto v = p.integer(t, "sync", "batch_max", 1, static_cast<std::int64_t>(protocol::kMaxBatch)))
    s.batch_max = static_cast<std::uint32_t>(*v);
  if (auto v = p.integer(t, "sync", "window", 1, 64)) s.window = static_cast<std::uint32_t>(*v);
  if (auto v = p.integer(t, "sync", "ack_timeout_ms", 100, 3600000))
    s.ack_timeout_ms = static_cast<std::uint64_t>(*v);
  if (auto v = p.integer(t, "sync", "heartbeat_ms", 100, 600000))
    s.heartbeat_ms = static_cast<std::uint64_t>(*v);
  if (auto v = p.integer(t, "sync", "reconnect_max_ms", 100, 3600000))
    s.reconnect_max_ms = static_cast<std::uint64_t>(*v);
  c.sync = std::move(s);
}

// One of `names`, else an error listing them.
std::optional<std::string> one_of(Parser& p, const toml::table& t, std::string_view prefix,
                                  std::string_view key, bool required,
                                  std::span<const std::string_view> names) {
  std::optional<std::string> v = p.string(t, prefix, key, required);
  if (!v) return std::nullopt;
  std::string list;
  for (std::string_view n : names) {
    if (*v == n) return v;
    list += (list.empty() ? "" : ", ") + std::string(n);
  }
  p.fail(&t.get(key)->source(), Parser::name(prefix, key),
         "'" + *v + "' is not one of: " + list);
  return std::nullopt;
}

// [[inbox]]: an array of tables, authority only, each directory once.
void parse_inbox(Parser& p, const toml::node& n, Config& c) {
  if (c.role != protocol::Role::authority) {
    p.fail(&n.source(), "inbox", "only for role = \"authority\"");
    return;
  }
  const toml::array* array = n.as_array();
  if (!array || !array->is_array_of_tables()) {
    p.fail(&n.source(), "inbox", "expected an array of tables ([[inbox]])");
    return;
  }
  for (std::size_t i = 0; i < array->size(); ++i) {
    const toml::table& t = *array->get(i)->as_table();
    const std::string prefix = "inbox[" + std::to_string(i) + "]";
    p.check_keys(t, prefix, {"dir", "format", "mapping", "stable_ms"});
    InboxConfig in;
    if (auto dir = p.path(t, prefix, "dir", true))
      in.dir = dir->has_filename() ? *dir : dir->parent_path();  // "in/" is "in"
    if (auto f = one_of(p, t, prefix, "format", true, kInboxFormats)) in.format = *f;
    if (const toml::node* m = t.get("mapping")) {
      if (in.format == "csv") {
        if (auto v = one_of(p, t, prefix, "mapping", false, kCsvMappings)) in.mapping = *v;
      } else if (!in.format.empty()) {
        p.fail(&m->source(), Parser::name(prefix, "mapping"), "only for format = \"csv\"");
      }
    } else if (in.format == "csv") {
      in.mapping = std::string(kCsvMappings[0]);
    }
    if (auto v = p.integer(t, prefix, "stable_ms", 0, 3600000))
      in.stable_ms = static_cast<std::uint64_t>(*v);
    for (std::size_t j = 0; j < c.inbox.size() && !p.failed(); ++j)
      if (c.inbox[j].dir == in.dir)
        p.fail(&t.get("dir")->source(), Parser::name(prefix, "dir"),
               "the same directory as inbox[" + std::to_string(j) + "].dir");
    if (!p.failed() && in.dir == c.data_dir)
      p.fail(&t.get("dir")->source(), Parser::name(prefix, "dir"),
             "must not be data_dir (the store's directory)");
    c.inbox.push_back(std::move(in));
  }
}

// [audit]: the index's checkpoint policy; index role only.
void parse_audit(Parser& p, const toml::table& t, Config& c) {
  if (c.role != protocol::Role::index) {
    p.fail(&t.source(), "audit", "only for role = \"index\"");
    return;
  }
  p.check_keys(t, "audit", {"checkpoint_entries", "checkpoint_seconds"});
  if (auto v = p.integer(t, "audit", "checkpoint_entries", 1, 1000000))
    c.audit.checkpoint_entries = static_cast<std::uint64_t>(*v);
  if (auto v = p.integer(t, "audit", "checkpoint_seconds", 1, 86400))
    c.audit.checkpoint_seconds = static_cast<std::uint64_t>(*v);
}

// [metrics]: listen (default kDefaultMetricsListen) and enabled (default true).
void parse_metrics(Parser& p, const toml::table& t, Config& c) {
  p.check_keys(t, "metrics", {"listen", "enabled"});
  c.metrics.enabled = true;
  if (const toml::node* n = t.get("enabled")) {
    if (!n->is_boolean()) {
      p.fail(&n->source(), "metrics.enabled",
             "expected a boolean, found " + std::string(type_name(n->type())));
      return;
    }
    c.metrics.enabled = n->as_boolean()->get();
  }
  std::string listen(kDefaultMetricsListen);
  if (std::optional<std::string> v = p.string(t, "metrics", "listen", false)) listen = *v;
  if (!parse_metrics_listen(listen, c.metrics))
    p.fail(&t.get("listen")->source(), "metrics.listen",
           "'" + listen + "' is not HOST:PORT (HOST an IPv4 address, [IPv6 address] or " +
               "localhost; PORT 0..65535)");
}

Result<Config> parse_document(const toml::table& doc, const std::filesystem::path& file) {
  Parser p(file.string(), file.parent_path());
  Config c;
  c.file = file;

  p.check_keys(doc, "", {"role", "subject_id", "data_dir", "keys", "store", "sync", "admin",
                         "limits", "metrics", "audit", "inbox", "shield_contacts"});
  if (std::optional<std::string> role = p.string(doc, "", "role", true)) {
    if (*role == "authority") {
      c.role = protocol::Role::authority;
    } else if (*role == "index") {
      c.role = protocol::Role::index;
    } else {
      p.fail(&doc.get("role")->source(), "role", "'" + *role + "' is not one of: authority, index");
    }
  }
  if (std::optional<std::string> id = p.string(doc, "", "subject_id", true)) {
    if (!protocol::valid_authority_id(*id))
      p.fail(&doc.get("subject_id")->source(), "subject_id",
             "'" + *id +
                 "' is not a valid id (1..32 of a-z, 0-9, '-', not starting or ending with '-')");
    c.subject_id = *id;
  }
  if (auto dir = p.path(doc, "", "data_dir", true)) c.data_dir = *dir;

  if (const toml::table* keys = p.table(doc, "", "keys", true)) {
    p.check_keys(*keys, "keys",
                 {"identity", "certificate", "certificate_serial", "trust_bundle",
                  "root_public_key", "passphrase_file", "matching_key_file"});
    if (auto v = p.path(*keys, "keys", "identity", true)) c.keys.identity = *v;
    c.keys.certificate = p.path(*keys, "keys", "certificate", false);
    if (auto serial = p.integer(*keys, "keys", "certificate_serial", 1, INT64_MAX))
      c.keys.certificate_serial = static_cast<std::uint64_t>(*serial);
    if (!p.failed()) {
      if (c.keys.certificate && c.keys.certificate_serial)
        p.fail(&keys->get("certificate_serial")->source(), "keys.certificate_serial",
               "set either keys.certificate or keys.certificate_serial, not both");
      else if (!c.keys.certificate && !c.keys.certificate_serial)
        p.fail(nullptr, "keys.certificate",
               "missing (set keys.certificate or keys.certificate_serial)");
    }
    if (auto v = p.path(*keys, "keys", "trust_bundle", true)) c.keys.trust_bundle = *v;
    if (auto v = p.path(*keys, "keys", "root_public_key", true)) c.keys.root_public_key = *v;
    c.keys.passphrase_file = p.path(*keys, "keys", "passphrase_file", false);
    // Authorities make match tokens; the index only compares them and must never hold the key.
    const toml::node* matching = keys->get("matching_key_file");
    if (c.role != protocol::Role::authority) {
      if (matching)
        p.fail(&matching->source(), "keys.matching_key_file",
               "only for role = \"authority\" (the index must never hold the matching key)");
    } else if (!matching) {
      p.fail(nullptr, "keys.matching_key_file",
             "missing (required: an authority needs the national matching key file, "
             "made by `aegis keys matching-key new`)");
    } else {
      c.keys.matching_key_file = p.path(*keys, "keys", "matching_key_file", true);
    }
  }

  if (const toml::table* store = p.table(doc, "", "store", false)) {
    p.check_keys(*store, "store", {"busy_timeout_ms"});
    if (auto v = p.integer(*store, "store", "busy_timeout_ms", 0, 600000))
      c.store.busy_timeout_ms = static_cast<int>(*v);
  }

  if (const toml::table* sync = p.table(doc, "", "sync", false)) parse_sync(p, *sync, c);

  c.admin.socket = c.data_dir / std::string(kDefaultAdminSocketName);
  const toml::node* socket_node = nullptr;
  if (const toml::table* admin = p.table(doc, "", "admin", false)) {
    p.check_keys(*admin, "admin", {"socket"});
    if (auto v = p.path(*admin, "admin", "socket", false)) c.admin.socket = *v;
    socket_node = admin->get("socket");
  }
  if (!p.failed() && c.admin.socket.string().size() > kMaxAdminSocketPath)
    p.fail(socket_node ? &socket_node->source() : nullptr, "admin.socket",
           "'" + c.admin.socket.string() + "' is longer than " +
               std::to_string(kMaxAdminSocketPath) + " bytes (a Unix socket path)" +
               (socket_node ? "" : "; set admin.socket to a shorter path"));

  if (const toml::table* limits = p.table(doc, "", "limits", false)) {
    p.check_keys(*limits, "limits",
                 {"max_message_size", "send_hwm", "recv_hwm", "handshake_ms", "linger_ms"});
    if (auto v = p.integer(*limits, "limits", "max_message_size", 4096,
                            static_cast<std::int64_t>(protocol::kMaxMessageSize)))
      c.limits.max_message_size = static_cast<std::uint64_t>(*v);
    if (auto v = p.integer(*limits, "limits", "send_hwm", 1, 100000))
      c.limits.send_hwm = static_cast<int>(*v);
    if (auto v = p.integer(*limits, "limits", "recv_hwm", 1, 100000))
      c.limits.recv_hwm = static_cast<int>(*v);
    if (auto v = p.integer(*limits, "limits", "handshake_ms", 100, 600000))
      c.limits.handshake_ms = static_cast<int>(*v);
    if (auto v = p.integer(*limits, "limits", "linger_ms", 0, 600000))
      c.limits.linger_ms = static_cast<int>(*v);
  }

  if (const toml::table* metrics = p.table(doc, "", "metrics", false)) parse_metrics(p, *metrics, c);
  if (const toml::table* routes = p.table(doc, "", "shield_contacts", false)) {
    if (c.role != protocol::Role::index)
      p.fail(&routes->source(), "shield_contacts", "only for role = \"index\"");
    for (const auto& [key, node] : *routes) {
      const std::string name = "shield_contacts." + std::string(key.str());
      const std::optional<std::string_view> route = node.value<std::string_view>();
      if (!protocol::valid_authority_id(key.str()))
        p.fail(&node.source(), name, "'" + std::string(key.str()) + "' is not a valid authority id");
      else if (!route || route->empty() || route->size() > protocol::kMaxContactRouteLen)
        p.fail(&node.source(), name, "expected a string of 1..200 bytes");
      else
        c.shield_contacts.emplace(std::string(key.str()), std::string(*route));
    }
  }

  if (const toml::table* audit = p.table(doc, "", "audit", false)) parse_audit(p, *audit, c);

  if (const toml::node* inbox = doc.get("inbox"); inbox && !p.failed()) parse_inbox(p, *inbox, c);

  if (p.failed()) return p.error();
  return c;
}

}  // namespace

Result<Config> parse_config(std::string_view text, const std::filesystem::path& file) {
  const std::filesystem::path absolute = std::filesystem::absolute(file).lexically_normal();
  toml::table doc;
  try {
    doc = toml::parse(text, absolute.string());
  } catch (const toml::parse_error& e) {
    std::string desc(e.description());
    for (char& ch : desc)
      if (ch == '\n' || ch == '\r') ch = ' ';
    return ConfigError{absolute.string() + ":" + std::to_string(e.source().begin.line) + ":" +
                       std::to_string(e.source().begin.column) + ": not valid TOML: " + desc};
  }
  Result<Config> parsed = parse_document(doc, absolute);
  // An error may quote a value from the file, and a TOML string may hold a line break: the
  // message stays one line.
  if (!parsed) {
    std::string m = parsed.error().message;
    for (char& ch : m)
      if (ch == '\n' || ch == '\r') ch = ' ';
    return ConfigError{m};
  }
  return parsed;
}

Result<protocol::Ok> check_daemon_config(const Config& c) {
  if (!c.sync)
    return ConfigError{c.file.string() + ": sync: missing (aegisd needs a [sync] table with " +
                       (c.role == protocol::Role::authority ? "index_endpoint and index_id"
                                                            : "listen") +
                       ")"};
  return protocol::Ok{};
}

bool valid_tcp_endpoint(std::string_view endpoint) {
  constexpr std::string_view scheme = "tcp://";
  if (endpoint.substr(0, scheme.size()) != scheme) return false;
  const std::string_view rest = endpoint.substr(scheme.size());
  const std::size_t colon = rest.rfind(':');
  if (colon == std::string_view::npos || colon == 0) return false;
  const std::string_view host = rest.substr(0, colon);
  const std::string_view port = rest.substr(colon + 1);
  for (char ch : host)
    if (ch == '/' || ch == ' ' || ch == ';' || ch == '\t') return false;
  unsigned value = 0;
  const char* end = port.data() + port.size();
  auto [ptr, ec] = std::from_chars(port.data(), end, value);
  return !port.empty() && ec == std::errc{} && ptr == end && value >= 1 && value <= 65535;
}

bool parse_metrics_listen(std::string_view listen, MetricsConfig& out) {
  const std::size_t colon = listen.rfind(':');
  if (colon == std::string_view::npos || colon == 0) return false;
  std::string host(listen.substr(0, colon));
  const std::string_view port = listen.substr(colon + 1);
  unsigned value = 0;
  const char* end = port.data() + port.size();
  auto [ptr, ec] = std::from_chars(port.data(), end, value);
  if (port.empty() || ec != std::errc{} || ptr != end || value > 65535) return false;
  in6_addr v6{};
  in_addr v4{};
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
    if (::inet_pton(AF_INET6, host.c_str(), &v6) != 1) return false;
  } else if (host != "localhost" && ::inet_pton(AF_INET, host.c_str(), &v4) != 1) {
    return false;
  }
  out.host = std::move(host);
  out.port = static_cast<std::uint16_t>(value);
  return true;
}

Result<Config> load_config(const std::filesystem::path& file) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(file, ec))
    return ConfigError{file.string() + ": no such config file"};
  std::ifstream in(file, std::ios::binary);
  if (!in) return ConfigError{file.string() + ": cannot read the config file"};
  std::string text;
  text.reserve(4096);
  char buf[4096];
  while (in.read(buf, sizeof buf) || in.gcount() > 0) {
    text.append(buf, static_cast<std::size_t>(in.gcount()));
    if (text.size() > kMaxConfigSize)
      return ConfigError{file.string() + ": larger than " + std::to_string(kMaxConfigSize) +
                         " bytes"};
  }
  if (in.bad()) return ConfigError{file.string() + ": cannot read the config file"};
  return parse_config(text, file);
}

}  // namespace aegis::config
