// Loading a node's identity, certificate and trust from its config (see node.hpp).
#include "node/node.hpp"

#include <optional>

#include "aegis/protocol/signed.hpp"

namespace aegis::node {
namespace {

NodeError key_error(const std::string& key, const keys::KeyError& e) {
  return NodeError{std::string(keys::key_errc_name(e.code)), key + ": " + e.message()};
}

NodeError protocol_error(const std::string& key, const std::filesystem::path& file,
                         const protocol::Error& e) {
  return NodeError{std::string(protocol::errc_name(e.code)),
                   key + ": " + file.string() + ": " + e.message()};
}

// keys.passphrase_file, when set.
Result<std::optional<keys::Passphrase>> load_passphrase(const config::Config& c) {
  if (!c.keys.passphrase_file) return std::optional<keys::Passphrase>();
  auto p = keys::read_passphrase_file(*c.keys.passphrase_file);
  if (!p) return key_error("keys.passphrase_file", p.error());
  return std::optional<keys::Passphrase>(std::move(p).value());
}

}  // namespace

Result<protocol::SignPublicKey> load_root_public_key(const config::Config& c) {
  auto root = keys::load_root_public_key(c.keys.root_public_key);
  if (!root) return key_error("keys.root_public_key", root.error());
  return *root;
}

Result<keys::Identity> load_identity(const config::Config& c) {
  auto loaded = load_passphrase(c);
  if (!loaded) return loaded.error();
  const std::optional<keys::Passphrase>& passphrase = *loaded;
  auto id = keys::load_identity(c.keys.identity,
                                passphrase ? std::optional(passphrase->view()) : std::nullopt);
  if (!id) return key_error("keys.identity", id.error());
  if (id->subject_id() != c.subject_id || id->role() != c.role)
    return NodeError{"wrong_identity",
                     "keys.identity: " + c.keys.identity.string() + " is the " +
                         std::string(protocol::role_name(id->role())) + " identity of '" +
                         id->subject_id() + "', not the " +
                         std::string(protocol::role_name(c.role)) + " identity of '" +
                         c.subject_id + "'"};
  return std::move(id).value();
}

Result<keys::MatchingKey> load_matching_key(const config::Config& c) {
  if (!c.keys.matching_key_file)
    return NodeError{"no_matching_key",
                     "keys.matching_key_file: not set (only an authority holds the matching key)"};
  auto loaded = load_passphrase(c);
  if (!loaded) return loaded.error();
  const std::optional<keys::Passphrase>& passphrase = *loaded;
  auto key = keys::load_matching_key(
      *c.keys.matching_key_file, passphrase ? std::optional(passphrase->view()) : std::nullopt);
  if (!key) return key_error("keys.matching_key_file", key.error());
  return std::move(key).value();
}

Result<std::uint64_t> certificate_serial(const config::Config& c) {
  if (c.keys.certificate_serial) return *c.keys.certificate_serial;
  const std::filesystem::path& file = *c.keys.certificate;
  auto bytes = keys::read_file(file, kMaxCertificateSize);
  if (!bytes) return key_error("keys.certificate", bytes.error());
  auto wire = protocol::decode_signed(*bytes, "certificate");
  if (!wire) return protocol_error("keys.certificate", file, wire.error());
  auto root = load_root_public_key(c);
  if (!root) return root.error();
  auto cert = protocol::verify_certificate(*wire, *root);
  if (!cert) return protocol_error("keys.certificate", file, cert.error());
  return cert->serial;
}

Result<protocol::Trust> load_trust(const config::Config& c, std::uint64_t now_ms,
                                   std::uint64_t min_version) {
  auto root = load_root_public_key(c);
  if (!root) return root.error();
  auto bytes = keys::read_file(c.keys.trust_bundle, kMaxTrustBundleSize);
  if (!bytes) return key_error("keys.trust_bundle", bytes.error());
  auto trust = protocol::verify_trust_bundle(*bytes, *root, now_ms, min_version);
  if (!trust) return protocol_error("keys.trust_bundle", c.keys.trust_bundle, trust.error());
  return std::move(trust).value();
}

Result<const protocol::Certificate*> own_certificate(const config::Config& c,
                                                     const protocol::Trust& trust,
                                                     const keys::Identity& identity,
                                                     std::uint64_t serial, std::uint64_t now_ms) {
  const std::string which = "certificate " + std::to_string(serial);
  const std::string key = c.keys.certificate_serial ? "keys.certificate_serial: "
                                                    : "keys.certificate: ";
  const protocol::Certificate* cert = trust.by_serial(serial);
  if (!cert) return NodeError{"unknown_signer", key + which + " is not in the trust bundle"};
  if (cert->role != c.role || cert->subject_id != c.subject_id)
    return NodeError{"wrong_role", key + which + " is not the " +
                                       std::string(protocol::role_name(c.role)) +
                                       " certificate of '" + c.subject_id + "'"};
  if (cert->sign_key != identity.sign_public_key() ||
      cert->box_key != identity.box_public_key() ||
      cert->curve_key != identity.curve_public_key())
    return NodeError{"wrong_identity", key + which + " does not certify the keys of " +
                                           c.keys.identity.string()};
  if (trust.is_revoked(serial)) return NodeError{"revoked_signer", key + which + " is revoked"};
  if (!cert->valid_at(now_ms))
    return NodeError{"expired_signer", key + which + " is not valid now"};
  return cert;
}

Result<Node> load_node(const config::Config& c, std::uint64_t now_ms,
                       std::uint64_t min_version) {
  auto identity = load_identity(c);
  if (!identity) return identity.error();
  auto trust = load_trust(c, now_ms, min_version);
  if (!trust) return trust.error();
  auto serial = certificate_serial(c);
  if (!serial) return serial.error();
  if (auto own = own_certificate(c, *trust, *identity, *serial, now_ms); !own) return own.error();
  std::optional<keys::MatchingKey> matching_key;
  if (c.role == protocol::Role::authority) {
    auto key = load_matching_key(c);
    if (!key) return key.error();
    matching_key = std::move(key).value();
  }
  return Node{std::move(identity).value(), std::move(trust).value(), *serial,
              std::move(matching_key)};
}

}  // namespace aegis::node
