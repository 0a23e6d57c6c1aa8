// Shared wiring of the `aegis` commands (see cli_common.hpp).
#include "cli_common.hpp"

#include <sys/stat.h>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <iostream>
#include <iterator>

#include "aegis/protocol/certificate.hpp"
#include "aegis/protocol/signed.hpp"

namespace aegis::cli {

namespace {

constexpr std::size_t kMaxTrustBundleSize = 16u << 20;
constexpr std::size_t kMaxCertificateSize = 64u << 10;

[[noreturn]] void fail_key(const std::string& what, const keys::KeyError& e) {
  fail(kExitConfig, std::string(keys::key_errc_name(e.code)), what + ": " + e.message());
}

protocol::SignPublicKey load_root(const config::Config& c) {
  auto root = keys::load_root_public_key(c.keys.root_public_key);
  if (!root) fail_key("keys.root_public_key", root.error());
  return *root;
}

keys::Identity load_identity(const config::Config& c) {
  std::optional<keys::Passphrase> passphrase;
  if (c.keys.passphrase_file) {
    auto p = keys::read_passphrase_file(*c.keys.passphrase_file);
    if (!p) fail_key("keys.passphrase_file", p.error());
    passphrase = std::move(p).value();
  }
  auto id = keys::load_identity(c.keys.identity,
                                passphrase ? std::optional(passphrase->view()) : std::nullopt);
  if (!id) fail_key("keys.identity", id.error());
  if (id->subject_id() != c.subject_id || id->role() != protocol::Role::authority)
    fail(kExitConfig, "wrong_identity",
         "keys.identity: " + c.keys.identity.string() + " is the " +
             std::string(protocol::role_name(id->role())) + " identity of '" + id->subject_id() +
             "', not the authority identity of '" + c.subject_id + "'");
  return std::move(id).value();
}

// The serial of this node's certificate: configured directly, or read from the certificate file.
std::uint64_t certificate_serial(const config::Config& c) {
  if (c.keys.certificate_serial) return *c.keys.certificate_serial;
  auto bytes = keys::read_file(*c.keys.certificate, kMaxCertificateSize);
  if (!bytes) fail_key("keys.certificate", bytes.error());
  auto wire = protocol::decode_signed(*bytes, "certificate");
  if (!wire)
    fail(kExitConfig, std::string(protocol::errc_name(wire.error().code)),
         "keys.certificate: " + c.keys.certificate->string() + ": " + wire.error().message());
  auto cert = protocol::verify_certificate(*wire, load_root(c));
  if (!cert)
    fail(kExitConfig, std::string(protocol::errc_name(cert.error().code)),
         "keys.certificate: " + c.keys.certificate->string() + ": " + cert.error().message());
  return cert->serial;
}

}  // namespace

void fail(int exit_code, std::string code, const std::string& message) {
  throw CommandError(exit_code, std::move(code), message);
}

void fail_store(const store::StoreError& e) {
  fail(kExitFailed, std::string(store::store_errc_name(e.code)), e.message());
}

void print_result(const GlobalOptions& g, const nlohmann::ordered_json& json,
                  const std::string& human) {
  if (g.json) {
    std::cout << json.dump(2) << "\n";
  } else if (!human.empty()) {
    std::cout << human << (human.back() == '\n' ? "" : "\n");
  }
  std::cout.flush();
}

void print_error(const GlobalOptions& g, const CommandError& e) {
  std::cerr << "aegis: " << e.what() << "\n";
  if (g.json) {
    nlohmann::ordered_json j = e.result();
    j["error"] = {{"code", e.code()}, {"message", e.what()}, {"exit_code", e.exit_code()}};
    std::cout << j.dump(2) << "\n";
  }
}

std::uint64_t now_ms() {
  using namespace std::chrono;
  return static_cast<std::uint64_t>(
      duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count());
}

std::string format_time(std::uint64_t ms) {
  const std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03uZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<unsigned>(ms % 1000));
  return buf;
}

std::string format_table(const std::vector<std::vector<std::string>>& rows) {
  std::vector<std::size_t> width;
  for (const auto& row : rows)
    for (std::size_t i = 0; i < row.size(); ++i) {
      if (width.size() <= i) width.push_back(0);
      width[i] = std::max(width[i], row[i].size());
    }
  std::string out;
  for (const auto& row : rows) {
    std::string line;
    for (std::size_t i = 0; i < row.size(); ++i) {
      line += row[i];
      if (i + 1 < row.size()) line += std::string(width[i] - row[i].size() + 2, ' ');
    }
    out += line + "\n";
  }
  return out;
}

config::Config load_config(const GlobalOptions& g) {
  auto c = config::load_config(g.config_path);
  if (!c) fail(kExitConfig, "config", c.error().message);
  if (c->role != protocol::Role::authority)
    fail(kExitConfig, "config",
         c->file.string() + ": role: this command needs role = \"authority\"");
  return std::move(c).value();
}

std::filesystem::path database_path(const config::Config& c) {
  return c.data_dir / std::string(store::kDatabaseFileName);
}

store::Store open_store(const config::Config& c) {
  store::OpenOptions options;
  options.busy_timeout_ms = c.store.busy_timeout_ms;
  auto s = store::Store::open(database_path(c), c.subject_id, options);
  if (!s) fail_store(s.error());
  return std::move(s).value();
}

protocol::Trust load_trust(const config::Config& c, std::uint64_t now) {
  const protocol::SignPublicKey root = load_root(c);
  auto bytes = keys::read_file(c.keys.trust_bundle, kMaxTrustBundleSize);
  if (!bytes) fail_key("keys.trust_bundle", bytes.error());
  auto trust = protocol::verify_trust_bundle(*bytes, root, now, 0);
  if (!trust)
    fail(kExitConfig, std::string(protocol::errc_name(trust.error().code)),
         "keys.trust_bundle: " + c.keys.trust_bundle.string() + ": " + trust.error().message());
  return std::move(trust).value();
}

Authority::Authority(const config::Config& c, std::uint64_t now)
    : identity_(load_identity(c)), trust_(load_trust(c, now)) {
  const std::uint64_t serial = certificate_serial(c);
  // Refuse to sign anything that `aegis log verify` (and the index) would then refuse.
  const protocol::Certificate* cert = trust_.by_serial(serial);
  const std::string which = "certificate " + std::to_string(serial);
  if (!cert) fail(kExitConfig, "unknown_signer", which + " is not in the trust bundle");
  if (cert->role != protocol::Role::authority || cert->subject_id != c.subject_id)
    fail(kExitConfig, "wrong_role",
         which + " is not the authority certificate of '" + c.subject_id + "'");
  if (cert->sign_key != identity_.sign_public_key() || cert->box_key != identity_.box_public_key())
    fail(kExitConfig, "wrong_identity",
         which + " does not certify the keys of " + c.keys.identity.string());
  if (trust_.is_revoked(serial)) fail(kExitConfig, "revoked_signer", which + " is revoked");
  if (!cert->valid_at(now)) fail(kExitConfig, "expired_signer", which + " is not valid now");

  signing_ = std::make_unique<store::Signing>(store::Signing{
      identity_, serial, store::seal_recipients(identity_.box_public_key(), trust_, now),
      [] { return now_ms(); }, [] { return keys::fresh_seal_randomness(); }});
}

std::string read_input(const std::string& path, std::size_t max_size) {
  if (path == "-") {
    std::string text;
    char buf[8192];
    while (std::cin.read(buf, sizeof buf) || std::cin.gcount() > 0) {
      text.append(buf, static_cast<std::size_t>(std::cin.gcount()));
      if (text.size() > max_size)
        fail(kExitFailed, "too_large",
             "standard input: larger than " + std::to_string(max_size) + " bytes");
    }
    return text;
  }
  auto bytes = keys::read_file(path, max_size);
  if (!bytes)
    fail(kExitFailed, std::string(keys::key_errc_name(bytes.error().code)),
         bytes.error().message());
  return std::string(bytes->begin(), bytes->end());
}

}  // namespace aegis::cli
