// The TOML config file (see config.hpp and docs/config.md).
#include "config/config.hpp"

#include <fstream>
#include <initializer_list>

#include <toml++/toml.h>

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

Result<Config> parse_document(const toml::table& doc, const std::filesystem::path& file) {
  Parser p(file.string(), file.parent_path());
  Config c;
  c.file = file;

  p.check_keys(doc, "", {"role", "subject_id", "data_dir", "keys", "store"});
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
                  "root_public_key", "passphrase_file"});
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
  }

  if (const toml::table* store = p.table(doc, "", "store", false)) {
    p.check_keys(*store, "store", {"busy_timeout_ms"});
    if (auto v = p.integer(*store, "store", "busy_timeout_ms", 0, 600000))
      c.store.busy_timeout_ms = static_cast<int>(*v);
  }

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
  return parse_document(doc, absolute);
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
