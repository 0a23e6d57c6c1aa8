// What a node is, loaded from its config file: its secret identity (keys/), the verified trust
// bundle and its own certificate in it, and for an authority the national matching key. Every failure names the config key whose file is at
// fault ("keys.identity: wrong_passphrase: ...") and carries a stable code, so `aegis`,
// `aegisd --check-config` and aegisd's start-up report it the same way.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "aegis/keys/keys.hpp"
#include "aegis/protocol/certificate.hpp"
#include "aegis/protocol/trust_bundle.hpp"
#include "config/config.hpp"

namespace aegis::node {

inline constexpr std::size_t kMaxTrustBundleSize = 16u << 20;
inline constexpr std::size_t kMaxCertificateSize = 64u << 10;

struct NodeError {
  std::string code;     // a key, protocol or node error name (wrong_passphrase, bundle_expired...)
  std::string message;  // one line, starting with the config key
};

template <typename T>
using Result = protocol::Result<T, NodeError>;

// keys.root_public_key
Result<protocol::SignPublicKey> load_root_public_key(const config::Config& c);
// keys.identity (+ keys.passphrase_file): must be the identity of subject_id in the config's role.
Result<keys::Identity> load_identity(const config::Config& c);
// keys.matching_key_file (+ keys.passphrase_file when the file is wrapped): the national
// matching key (authority only: an index config has none, and this refuses it).
Result<keys::MatchingKey> load_matching_key(const config::Config& c);
// keys.certificate_serial, or the serial of keys.certificate (its root signature checked).
Result<std::uint64_t> certificate_serial(const config::Config& c);
// keys.trust_bundle, verified against the root at now_ms; a version below min_version is
// refused (bundle_rolled_back), which is how a reload refuses to go back.
Result<protocol::Trust> load_trust(const config::Config& c, std::uint64_t now_ms,
                                   std::uint64_t min_version = 0);
// The node's own certificate `serial` in `trust`: present, of the config's role and subject,
// certifying the identity's keys, unrevoked and valid at now_ms.
Result<const protocol::Certificate*> own_certificate(const config::Config& c,
                                                     const protocol::Trust& trust,
                                                     const keys::Identity& identity,
                                                     std::uint64_t serial, std::uint64_t now_ms);

// All of the above, checked together. min_version: the highest bundle version the node has
// accepted before (kept in its store by the caller, docs/keys.md "Rollback").
struct Node {
  keys::Identity identity;
  protocol::Trust trust;
  std::uint64_t serial = 0;  // this node's certificate
  std::optional<keys::MatchingKey> matching_key;  // authority only (keys.matching_key_file)
};
Result<Node> load_node(const config::Config& c, std::uint64_t now_ms,
                       std::uint64_t min_version = 0);

}  // namespace aegis::node
