// `aegis keys ...` (docs/keys.md "Operator workflow"): thin wiring of keys/ and protocol/ with
// CLI11. The clock is read here and passed down as milliseconds; output is human text or --json.
#include "keys_commands.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <memory>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "aegis/keys/keys.hpp"
#include "aegis/protocol/certificate.hpp"
#include "aegis/protocol/signed.hpp"
#include "aegis/protocol/trust_bundle.hpp"
#include "cli_common.hpp"

namespace aegis::cli {
namespace {

using Json = nlohmann::ordered_json;
using protocol::Certificate;

constexpr std::uint64_t kMsPerDay = 86'400'000;
constexpr std::size_t kMaxCertificateFile = 64 * 1024;
constexpr std::size_t kMaxBundleFile = 16 * 1024 * 1024;

// ---- Errors (thrown as CommandError; main prints them and sets the exit code) --------------

template <typename T>
T take(keys::Result<T> r) {
  if (!r) {
    std::string message = r.error().message();
    if (r.error().code == keys::KeyErrc::needs_passphrase) message += " (give --passphrase-file)";
    fail(kExitFailed, std::string(keys::key_errc_name(r.error().code)), message);
  }
  return std::move(r).value();
}

void check(const keys::Status& s) { take(keys::Status(s)); }

// `what` (usually the file) prefixes the protocol error.
template <typename T>
T take(protocol::Result<T> r, const std::string& what) {
  if (!r) {
    fail(kExitFailed, std::string(protocol::errc_name(r.error().code)),
         what + ": " + r.error().message());
  }
  return std::move(r).value();
}

// ---- Time ----------------------------------------------------------------------------------

// Parses "now", "YYYY-MM-DD" (midnight UTC) or "YYYY-MM-DDTHH:MM:SSZ".
std::optional<std::uint64_t> parse_time(const std::string& text) {
  using namespace std::chrono;
  if (text == "now") return now_ms();
  int y = 0;
  unsigned mo = 0, d = 0, h = 0, mi = 0, s = 0;
  char tail = 0;
  const bool date_only = text.size() == 10;
  const bool date_time = text.size() == 20;
  if (!date_only && !date_time) return std::nullopt;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const bool separator = i == 4 || i == 7 || i == 10 || i == 13 || i == 16 || i == 19;
    if (!separator && (text[i] < '0' || text[i] > '9')) return std::nullopt;
  }
  if (date_only && std::sscanf(text.c_str(), "%4d-%2u-%2u%c", &y, &mo, &d, &tail) != 3) {
    return std::nullopt;
  }
  if (date_time && (std::sscanf(text.c_str(), "%4d-%2u-%2uT%2u:%2u:%2u%c", &y, &mo, &d, &h, &mi,
                                &s, &tail) != 7 ||
                    tail != 'Z')) {
    return std::nullopt;
  }
  const year_month_day ymd{year{y}, month{mo}, day{d}};
  if (y < 1970 || !ymd.ok() || h > 23 || mi > 59 || s > 59) return std::nullopt;
  const auto t = sys_days{ymd} + hours{h} + minutes{mi} + seconds{s};
  return static_cast<std::uint64_t>(duration_cast<milliseconds>(t.time_since_epoch()).count());
}

const CLI::Validator kTimeValidator(
    [](std::string& text) -> std::string {
      return parse_time(text) ? "" : "expected now, YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ (UTC)";
    },
    "TIME", "time");

const CLI::Validator kRoleValidator(
    [](std::string& text) -> std::string {
      return keys::parse_role(text) ? "" : "expected authority, index or shield-officer";
    },
    "ROLE", "role");

// ---- Passphrases and costs -----------------------------------------------------------------

std::optional<keys::Passphrase> passphrase_from(const std::string& file) {
  if (file.empty()) return std::nullopt;
  return take(keys::read_passphrase_file(file));
}

std::optional<std::string_view> view_of(const std::optional<keys::Passphrase>& p) {
  if (!p) return std::nullopt;
  return p->view();
}

keys::PwhashCost cost_from(const std::string& name) {
  if (name == "interactive") return keys::PwhashCost::interactive;
  if (name == "sensitive") return keys::PwhashCost::sensitive;
  return keys::PwhashCost::moderate;
}

void add_passphrase_option(CLI::App* sub, std::string& file, const std::string& what) {
  sub->add_option("--passphrase-file", file, what)->check(CLI::ExistingFile);
}

void add_cost_option(CLI::App* sub, std::string& cost) {
  sub->add_option("--kdf-cost", cost,
                  "Argon2id cost for the passphrase: interactive (demos, tests), moderate "
                  "(default), sensitive")
      ->check(CLI::IsMember({"interactive", "moderate", "sensitive"}))
      ->capture_default_str();
}

// ---- Printing ------------------------------------------------------------------------------

std::string role_text(protocol::Role r) { return std::string(protocol::role_name(r)); }

std::string status_at(const Certificate& c, bool revoked, std::uint64_t now) {
  if (revoked) return "revoked";
  if (now < c.not_before_ms) return "not yet valid";
  if (now > c.not_after_ms) return "expired";
  return "active";
}

Json certificate_json(const Certificate& c) {
  return Json{{"serial", c.serial},
              {"subject_id", c.subject_id},
              {"role", role_text(c.role)},
              {"display_name", c.display_name},
              {"contact_route", c.contact_route},
              {"sign_key", protocol::to_hex(c.sign_key)},
              {"box_key", protocol::to_hex(c.box_key)},
              {"curve_key", protocol::to_hex(c.curve_key)},
              {"not_before", format_time(c.not_before_ms)},
              {"not_before_ms", c.not_before_ms},
              {"not_after", format_time(c.not_after_ms)},
              {"not_after_ms", c.not_after_ms}};
}

std::string certificate_text(const Certificate& c) {
  std::ostringstream out;
  out << "certificate serial " << c.serial << "\n"
      << "  subject        " << c.subject_id << " (" << role_text(c.role) << ")\n"
      << "  display name   " << c.display_name << "\n"
      << "  contact route  " << (c.contact_route.empty() ? "-" : c.contact_route) << "\n"
      << "  valid          " << format_time(c.not_before_ms) << " .. "
      << format_time(c.not_after_ms) << "\n"
      << "  sign key       " << protocol::to_hex(c.sign_key) << "\n"
      << "  box key        " << protocol::to_hex(c.box_key) << "\n"
      << "  curve key      " << protocol::to_hex(c.curve_key) << "\n";
  return out.str();
}

Json public_identity_json(const keys::PublicIdentity& p) {
  return Json{{"subject_id", p.subject_id},
              {"role", role_text(p.role)},
              {"sign_key", protocol::to_hex(p.sign_key)},
              {"box_key", protocol::to_hex(p.box_key)},
              {"curve_key", protocol::to_hex(p.curve_key)},
              {"curve_key_z85", keys::z85_encode(p.curve_key)}};
}

std::string public_identity_text(const keys::PublicIdentity& p) {
  std::ostringstream out;
  out << "identity " << p.subject_id << " (" << role_text(p.role) << ")\n"
      << "  sign key       " << protocol::to_hex(p.sign_key) << "\n"
      << "  box key        " << protocol::to_hex(p.box_key) << "\n"
      << "  curve key      " << protocol::to_hex(p.curve_key) << "\n"
      << "  curve (z85)    " << keys::z85_encode(p.curve_key) << "\n";
  return out.str();
}

std::string protection_text(bool wrapped) {
  return wrapped ? "mode 0600, passphrase-protected" : "mode 0600, NOT passphrase-protected";
}

// A certificate file: the encoded Signed certificate (docs/keys.md).
protocol::Signed read_signed_certificate(const std::string& path) {
  auto bytes = take(keys::read_file(path, kMaxCertificateFile));
  return take(protocol::decode_signed(bytes, "certificate"), path);
}

// ---- Commands ------------------------------------------------------------------------------

struct RootNew {
  std::string out, pub_out, passphrase_file, cost = "moderate";

  void run(const GlobalOptions& g) const {
    auto pass = passphrase_from(passphrase_file);
    auto root = take(keys::RootKey::generate());
    check(keys::save_root_key(root, out, view_of(pass), cost_from(cost)));
    check(keys::save_root_public_key(root.sign_public_key(), pub_out));
    const std::string pk = protocol::to_hex(root.sign_public_key());
    print_result(g,
                 Json{{"key_file", out}, {"public_file", pub_out}, {"sign_key", pk},
                      {"passphrase", pass.has_value()}},
                 "root key written to " + out + " (" + protection_text(pass.has_value()) +
                     ")\nroot public key " + pk + " written to " + pub_out);
  }
};

struct IdentityNew {
  std::string id, role, out, pub_out, passphrase_file, cost = "moderate";

  void run(const GlobalOptions& g) const {
    auto pass = passphrase_from(passphrase_file);
    auto identity = take(keys::Identity::generate(id, *keys::parse_role(role)));
    check(keys::save_identity(identity, out, view_of(pass), cost_from(cost)));
    const auto pub = identity.public_identity();
    check(keys::save_public_identity(pub, pub_out));
    Json j = public_identity_json(pub);
    j["key_file"] = out;
    j["public_file"] = pub_out;
    j["passphrase"] = pass.has_value();
    print_result(g, j,
                 public_identity_text(pub) + "secret key written to " + out + " (" +
                     protection_text(pass.has_value()) + ")\npublic identity written to " +
                     pub_out + " (give it to the root operator)");
  }
};

// The national matching key (docs/keys.md "The matching key"): made once by the key custodian,
// copied to every authority out of band, never to the index.
Json matching_key_json(const keys::MatchingKey& k, const std::string& file) {
  return Json{{"key_file", file}, {"key_id", k.key_id()}, {"fingerprint", k.fingerprint()}};
}

std::string matching_key_text(const keys::MatchingKey& k) {
  return "matching key id " + std::to_string(k.key_id()) + "\n  fingerprint    " +
         k.fingerprint() + "\n";
}

struct MatchingKeyNew {
  std::string out, passphrase_file, cost = "moderate";
  std::uint64_t id = 0;

  void run(const GlobalOptions& g) const {
    auto pass = passphrase_from(passphrase_file);
    auto key = take(keys::MatchingKey::generate(id));
    check(keys::save_matching_key(key, out, view_of(pass), cost_from(cost)));
    Json j = matching_key_json(key, out);
    j["passphrase"] = pass.has_value();
    print_result(g, j,
                 matching_key_text(key) + "secret key written to " + out + " (" +
                     protection_text(pass.has_value()) +
                     ")\ncopy it to every authority out of band; never to the index");
  }
};

struct MatchingKeyShow {
  std::string key_file, passphrase_file;

  void run(const GlobalOptions& g) const {
    auto pass = passphrase_from(passphrase_file);
    auto key = take(keys::load_matching_key(key_file, view_of(pass)));
    print_result(g, matching_key_json(key, key_file),
                 matching_key_text(key) + "  file           " + key_file);
  }
};

struct Certify {
  std::string root, passphrase_file, pub, display_name, contact_route, not_before = "now", out;
  std::uint64_t serial = 0;
  std::uint32_t days = 0;

  void run(const GlobalOptions& g) const {
    auto pass = passphrase_from(passphrase_file);
    auto root_key = take(keys::load_root_key(root, view_of(pass)));
    auto identity = take(keys::load_public_identity(pub));
    Certificate c;
    c.serial = serial;
    c.subject_id = identity.subject_id;
    c.role = identity.role;
    c.display_name = display_name;
    c.contact_route = contact_route;
    c.sign_key = identity.sign_key;
    c.box_key = identity.box_key;
    c.curve_key = identity.curve_key;
    c.not_before_ms = *parse_time(not_before);
    c.not_after_ms = c.not_before_ms + days * kMsPerDay;
    take(protocol::check_certificate(c), "cannot certify " + pub);
    const protocol::Signed signed_cert = protocol::issue_certificate(c, root_key);
    // Self-check: what we write must verify under this root.
    take(protocol::verify_certificate(signed_cert, root_key.sign_public_key()), "issued certificate");
    check(keys::write_public_file(out, protocol::encode_signed(signed_cert)));
    Json j = certificate_json(c);
    j["certificate_file"] = out;
    print_result(g, j, certificate_text(c) + "written to " + out);
  }
};

struct Bundle {
  std::string root, passphrase_file, out;
  std::vector<std::string> certs;
  std::vector<std::uint64_t> revoke;
  std::uint64_t version = 0;
  std::uint32_t days = 0;

  void run(const GlobalOptions& g) const {
    auto pass = passphrase_from(passphrase_file);
    auto root_key = take(keys::load_root_key(root, view_of(pass)));
    const auto root_pk = root_key.sign_public_key();
    if (certs.size() > protocol::kMaxBundleCertificates) {
      fail(kExitFailed, "too_large",
           "too many certificates (limit " + std::to_string(protocol::kMaxBundleCertificates) + ")");
    }
    protocol::TrustBundle b;
    b.bundle_version = version;
    b.issued_ms = now_ms();
    b.expires_ms = b.issued_ms + days * kMsPerDay;
    std::set<std::uint64_t> serials;
    for (const auto& path : certs) {
      auto s = read_signed_certificate(path);
      auto c = take(protocol::verify_certificate(s, root_pk), path);
      if (!serials.insert(c.serial).second) {
        fail(kExitFailed, "duplicate_serial",
             path + ": serial " + std::to_string(c.serial) + " appears twice in the bundle");
      }
      b.certificates.push_back(std::move(s));
    }
    const std::set<std::uint64_t> revoked(revoke.begin(), revoke.end());
    if (revoked.size() > protocol::kMaxRevoked) {
      fail(kExitFailed, "too_large",
           "too many revoked serials (limit " + std::to_string(protocol::kMaxRevoked) + ")");
    }
    b.revoked_serials.assign(revoked.begin(), revoked.end());
    const protocol::Bytes wire = protocol::issue_trust_bundle(b, root_key);
    take(protocol::verify_trust_bundle(wire, root_pk, b.issued_ms, 0), "issued bundle");
    check(keys::write_public_file(out, wire));
    print_result(g,
                 Json{{"bundle_file", out},
                      {"version", version},
                      {"issued", format_time(b.issued_ms)},
                      {"issued_ms", b.issued_ms},
                      {"expires", format_time(b.expires_ms)},
                      {"expires_ms", b.expires_ms},
                      {"certificates", serials},
                      {"revoked_serials", b.revoked_serials}},
                 "trust bundle version " + std::to_string(version) + " with " +
                     std::to_string(certs.size()) + " certificate(s) and " +
                     std::to_string(revoked.size()) + " revoked serial(s), expires " +
                     format_time(b.expires_ms) + ", written to " + out);
  }
};

struct VerifyBundle {
  std::string root_pub, bundle;
  std::uint64_t min_version = 0;

  void run(const GlobalOptions& g) const {
    const auto root_pk = take(keys::load_root_public_key(root_pub));
    const auto wire = take(keys::read_file(bundle, kMaxBundleFile));
    const std::uint64_t now = now_ms();
    const auto trust = take(protocol::verify_trust_bundle(wire, root_pk, now, min_version), bundle);
    // Verified above, so these decode; issued_ms is only in the body.
    const auto body = take(protocol::decode_signed(wire, "trust bundle"), bundle);
    const auto decoded = take(protocol::decode_trust_bundle_body(body.body), bundle);

    Json list = Json::array();
    std::vector<std::vector<std::string>> rows = {
        {"serial", "subject", "role", "valid from", "valid until", "status"}};
    for (const auto& c : trust.certificates()) {
      const std::string status = status_at(c, trust.is_revoked(c.serial), now);
      Json j = certificate_json(c);
      j["revoked"] = trust.is_revoked(c.serial);
      j["status"] = status;
      list.push_back(j);
      rows.push_back({std::to_string(c.serial), c.subject_id, role_text(c.role),
                      format_time(c.not_before_ms), format_time(c.not_after_ms), status});
    }
    std::string revoked_text;
    for (auto s : decoded.revoked_serials) revoked_text += " " + std::to_string(s);
    print_result(g,
                 Json{{"valid", true},
                      {"version", trust.version()},
                      {"issued", format_time(decoded.issued_ms)},
                      {"issued_ms", decoded.issued_ms},
                      {"expires", format_time(trust.expires_ms())},
                      {"expires_ms", trust.expires_ms()},
                      {"certificates", list},
                      {"revoked_serials", decoded.revoked_serials}},
                 "trust bundle " + bundle + ": valid\n" +
                     "version " + std::to_string(trust.version()) + ", issued " +
                     format_time(decoded.issued_ms) + ", expires " +
                     format_time(trust.expires_ms()) + "\n\n" + format_table(rows) +
                     "\nrevoked serials:" + (revoked_text.empty() ? " none" : revoked_text));
  }
};

struct Show {
  std::string pub, cert, root_pub;

  void run(const GlobalOptions& g) const {
    if (!pub.empty()) {
      const auto p = take(keys::load_public_identity(pub));
      print_result(g, public_identity_json(p), public_identity_text(p));
      return;
    }
    const auto s = read_signed_certificate(cert);
    const Certificate c =
        root_pub.empty()
            ? take(protocol::decode_certificate(s.body), cert)
            : take(protocol::verify_certificate(s, take(keys::load_root_public_key(root_pub))),
                   cert);
    Json j = certificate_json(c);
    j["signature_checked"] = !root_pub.empty();
    print_result(g, j,
                 certificate_text(c) + "  signature      " +
                     (root_pub.empty() ? "not checked (give --root-pub)"
                                       : "valid (signed by the root in " + root_pub + ")"));
  }
};

// --json is the global flag of `aegis` (main.cpp); options the subcommand does not know fall
// through to it.
bool json_requested(const CLI::App* sub) {
  const CLI::App* top = sub;
  while (top->get_parent() != nullptr) top = top->get_parent();
  const CLI::Option* json = top->get_option_no_throw("--json");
  return json != nullptr && json->count() > 0;
}

// Makes `command.run(g)` the subcommand's callback.
template <typename Command>
void on_run(CLI::App* sub, const std::shared_ptr<Command>& command) {
  sub->fallthrough();
  sub->callback([command, sub] {
    GlobalOptions g;
    g.json = json_requested(sub);
    command->run(g);
  });
}

}  // namespace

void add_keys_commands(CLI::App& app) {
  CLI::App* keys = app.add_subcommand("keys", "Create and certify keys; build and check trust bundles");
  keys->require_subcommand(1);
  keys->fallthrough();

  {
    auto c = std::make_shared<RootNew>();
    auto* sub = keys->add_subcommand("root-new", "Create the national root key");
    sub->add_option("--out", c->out, "secret key file to create (0600)")->required();
    sub->add_option("--pub-out", c->pub_out, "root public key file to write")->required();
    add_passphrase_option(sub, c->passphrase_file, "protect the key with this file's passphrase");
    add_cost_option(sub, c->cost);
    on_run(sub, c);
  }
  {
    auto c = std::make_shared<IdentityNew>();
    auto* sub = keys->add_subcommand("identity-new", "Create a node identity (authority, index, shield officer)");
    sub->add_option("--id", c->id, "subject id, e.g. kent (1..32 of a-z, 0-9, '-')")->required();
    sub->add_option("--role", c->role, "authority | index | shield-officer")
        ->required()
        ->check(kRoleValidator);
    sub->add_option("--out", c->out, "secret key file to create (0600)")->required();
    sub->add_option("--pub-out", c->pub_out, "public identity JSON to write")->required();
    add_passphrase_option(sub, c->passphrase_file, "protect the key with this file's passphrase");
    add_cost_option(sub, c->cost);
    on_run(sub, c);
  }
  {
    auto c = std::make_shared<Certify>();
    auto* sub = keys->add_subcommand("certify", "Sign a certificate for a public identity with the root key");
    sub->add_option("--root", c->root, "root secret key file")->required();
    add_passphrase_option(sub, c->passphrase_file, "passphrase file of the root key");
    sub->add_option("--pub", c->pub, "public identity JSON to certify")->required();
    sub->add_option("--serial", c->serial, "certificate serial, unique under this root")
        ->required()
        ->check(CLI::Range(std::uint64_t{1}, UINT64_MAX));
    sub->add_option("--display-name", c->display_name, "e.g. \"Kent County Council\"")->required();
    sub->add_option("--contact-route", c->contact_route, "how to reach its shield team");
    sub->add_option("--not-before", c->not_before, "now | YYYY-MM-DD | YYYY-MM-DDTHH:MM:SSZ")
        ->check(kTimeValidator)
        ->capture_default_str();
    sub->add_option("--days", c->days, "validity in days")->required()->check(CLI::Range(1, 36500));
    sub->add_option("--out", c->out, "certificate file to write")->required();
    on_run(sub, c);
  }
  {
    auto c = std::make_shared<Bundle>();
    auto* sub = keys->add_subcommand("bundle", "Build and sign a trust bundle");
    sub->add_option("--root", c->root, "root secret key file")->required();
    add_passphrase_option(sub, c->passphrase_file, "passphrase file of the root key");
    sub->add_option("--cert", c->certs, "certificate file (repeat for each)")->required();
    sub->add_option("--revoke", c->revoke, "revoked certificate serial (repeatable)");
    sub->add_option("--version", c->version, "bundle version, greater than the last one")
        ->required()
        ->check(CLI::Range(std::uint64_t{1}, UINT64_MAX));
    sub->add_option("--days", c->days, "days until the bundle expires")
        ->required()
        ->check(CLI::Range(1, 3650));
    sub->add_option("--out", c->out, "trust bundle file to write")->required();
    on_run(sub, c);
  }
  {
    auto c = std::make_shared<VerifyBundle>();
    auto* sub = keys->add_subcommand("verify-bundle", "Verify a trust bundle against the root public key");
    sub->add_option("--root-pub", c->root_pub, "root public key file")->required();
    sub->add_option("--bundle", c->bundle, "trust bundle file")->required();
    sub->add_option("--min-version", c->min_version, "refuse bundles older than this version");
    on_run(sub, c);
  }
  {
    CLI::App* matching =
        keys->add_subcommand("matching-key", "The national matching key (authorities only)");
    matching->require_subcommand(1);
    matching->fallthrough();
    {
      auto c = std::make_shared<MatchingKeyNew>();
      auto* sub = matching->add_subcommand("new", "Create a matching key (once, by the key custodian)");
      sub->add_option("--id", c->id, "key id: 1 for the first key, one more at each rotation")
          ->required()
          ->check(CLI::Range(std::uint64_t{1}, UINT64_MAX));
      sub->add_option("--out", c->out, "secret key file to create (0600)")->required();
      add_passphrase_option(sub, c->passphrase_file, "protect the key with this file's passphrase");
      add_cost_option(sub, c->cost);
      on_run(sub, c);
    }
    {
      auto c = std::make_shared<MatchingKeyShow>();
      auto* sub = matching->add_subcommand("show", "Show a matching key's id and fingerprint");
      sub->add_option("--key", c->key_file, "matching key file")->required();
      add_passphrase_option(sub, c->passphrase_file, "passphrase file of the key, if wrapped");
      on_run(sub, c);
    }
  }
  {
    auto c = std::make_shared<Show>();
    auto* sub = keys->add_subcommand("show", "Show a public identity or a certificate");
    auto* source = sub->add_option_group("file", "what to show");
    source->add_option("--pub", c->pub, "public identity JSON");
    source->add_option("--cert", c->cert, "certificate file");
    source->require_option(1);
    sub->add_option("--root-pub", c->root_pub, "check the certificate's signature with this root");
    on_run(sub, c);
  }
}

}  // namespace aegis::cli
