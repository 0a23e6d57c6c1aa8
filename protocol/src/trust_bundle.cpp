// The trust bundle (docs/PROTOCOL.md §8): canonical encoding of the root-signed list of
// certificates and revoked serials, its verification, and the Trust view every check consults.
#include "aegis/protocol/trust_bundle.hpp"

#include <algorithm>
#include <cassert>
#include <string>

#include "aegis/protocol/codec.hpp"
#include "decode_rules.hpp"

namespace aegis::protocol {

namespace {

constexpr std::string_view kWhat = "trust_bundle";

void write_trust_bundle_body(Writer& w, const TrustBundle& b) {
  w.array(6);
  w.uint(kTrustBundleVersion);
  w.uint(b.bundle_version);
  w.uint(b.issued_ms);
  w.uint(b.expires_ms);
  w.array(static_cast<std::uint32_t>(b.certificates.size()));
  for (const Signed& c : b.certificates) write_signed(w, c);
  w.array(static_cast<std::uint32_t>(b.revoked_serials.size()));
  for (std::uint64_t s : b.revoked_serials) w.uint(s);
}

// Reads the certificate list; each body must decode as a certificate (§7) and the serials
// must be distinct. Signatures are checked later, by verify_trust_bundle.
std::vector<Signed> read_certificates(const Node& n) {
  std::vector<Signed> out;
  std::vector<std::uint64_t> serials;
  auto list = n.as_array(0, kMaxBundleCertificates);
  for (std::size_t i = 0; i < list.size() && !n.context().failed(); ++i) {
    Node item = list.item(i);
    Signed s = read_signed(item);
    if (n.context().failed()) break;
    Result<Certificate> c = decode_certificate(s.body);
    if (!c) {
      item.fail(c.error().code, c.error().detail);
      break;
    }
    if (std::find(serials.begin(), serials.end(), c->serial) != serials.end()) {
      item.fail(Errc::invalid_field,
                "certificate serial " + std::to_string(c->serial) + " appears more than once");
      break;
    }
    serials.push_back(c->serial);
    out.push_back(std::move(s));
  }
  return out;
}

// Reads the revocation list: serials >= 1, strictly ascending.
std::vector<std::uint64_t> read_revoked(const Node& n) {
  std::vector<std::uint64_t> out;
  auto list = n.as_array(0, kMaxRevoked);
  for (std::size_t i = 0; i < list.size() && !n.context().failed(); ++i) {
    Node item = list.item(i);
    std::uint64_t s = item.as_uint();
    if (n.context().failed()) break;
    if (s == 0) {
      item.fail(Errc::invalid_field, "serial must be at least 1");
    } else if (!out.empty() && s <= out.back()) {
      item.fail(Errc::invalid_field, "serial " + std::to_string(s) + " not above the previous " +
                                         std::to_string(out.back()) +
                                         " (must be ascending and distinct)");
    }
    out.push_back(s);
  }
  return out;
}

TrustBundle read_trust_bundle_body(const Node& n) {
  TrustBundle b;
  ArrayNode a = detail::read_versioned_struct(n, kTrustBundleVersion, 6);
  Node version = a.field(1, "bundle_version");
  b.bundle_version = version.as_uint();
  if (!n.context().failed() && b.bundle_version == 0)
    version.fail(Errc::invalid_field, "must be at least 1");
  b.issued_ms = a.field(2, "issued_ms").as_uint();
  Node expires = a.field(3, "expires_ms");
  b.expires_ms = expires.as_uint();
  if (!n.context().failed() && b.expires_ms <= b.issued_ms)
    expires.fail(Errc::invalid_field, "must be after issued_ms");
  b.certificates = read_certificates(a.field(4, "certificates"));
  b.revoked_serials = read_revoked(a.field(5, "revoked_serials"));
  return b;
}

}  // namespace

Bytes encode_trust_bundle_body(const TrustBundle& b) {
  Writer w;
  write_trust_bundle_body(w, b);
  return w.take();
}

Result<TrustBundle> decode_trust_bundle_body(ByteView bytes) {
  return decode_canonical<TrustBundle>(bytes, DecodeLimits{}, kWhat, read_trust_bundle_body,
                                       encode_trust_bundle_body);
}

Bytes issue_trust_bundle(const TrustBundle& b, const Signer& root) {
  Bytes body = encode_trust_bundle_body(b);
  assert(decode_trust_bundle_body(body).ok() && "a bundle must satisfy §8 before it is issued");
  return encode_signed(sign_body(std::move(body), kDomainTrustBundle, root));
}

Trust::Trust(TrustBundle bundle, std::vector<Certificate> certs)
    : bundle_(std::move(bundle)), certs_(std::move(certs)) {
  assert(std::is_sorted(bundle_.revoked_serials.begin(), bundle_.revoked_serials.end()));
}

const Certificate* Trust::by_serial(std::uint64_t serial) const {
  for (const Certificate& c : certs_)
    if (c.serial == serial) return &c;
  return nullptr;
}

bool Trust::is_revoked(std::uint64_t serial) const {
  return std::binary_search(bundle_.revoked_serials.begin(), bundle_.revoked_serials.end(),
                            serial);
}

std::vector<const Certificate*> Trust::active(Role role, std::uint64_t now_ms) const {
  std::vector<const Certificate*> out;
  for (const Certificate& c : certs_)
    if (c.role == role && c.valid_at(now_ms) && !is_revoked(c.serial)) out.push_back(&c);
  return out;
}

const Certificate* Trust::active_subject(std::string_view subject_id, Role role,
                                         std::uint64_t now_ms) const {
  const Certificate* best = nullptr;
  for (const Certificate* c : active(role, now_ms))
    if (c->subject_id == subject_id && (best == nullptr || c->serial > best->serial)) best = c;
  return best;
}

Result<Trust> verify_trust_bundle(ByteView bytes, const SignPublicKey& root, std::uint64_t now_ms,
                                  std::uint64_t min_version) {
  Result<Signed> wire = decode_signed(bytes, kWhat);
  if (!wire) return wire.error();
  if (!verify_signature(root, kDomainTrustBundle, wire->body, wire->signature))
    return make_error(Errc::bad_signature, "trust_bundle: not signed by the pinned root key");
  Result<TrustBundle> bundle = decode_trust_bundle_body(wire->body);
  if (!bundle) return bundle.error();

  std::vector<Certificate> certs;
  certs.reserve(bundle->certificates.size());
  for (std::size_t i = 0; i < bundle->certificates.size(); ++i) {
    Result<Certificate> c = verify_certificate(bundle->certificates[i], root);
    if (!c) {
      // The body decoded while reading the bundle, so only the signature can fail here.
      auto serial = decode_certificate(bundle->certificates[i].body);
      return make_error(c.error().code,
                        "trust_bundle.certificates[" + std::to_string(i) + "] (serial " +
                            (serial ? std::to_string(serial->serial) : "?") +
                            "): " + c.error().detail);
    }
    certs.push_back(std::move(c.value()));
  }

  if (now_ms > bundle->expires_ms)
    return make_error(Errc::bundle_expired,
                      "trust_bundle.expires_ms: expired at " + std::to_string(bundle->expires_ms) +
                          ", now " + std::to_string(now_ms));
  if (bundle->bundle_version < min_version)
    return make_error(Errc::bundle_rolled_back,
                      "trust_bundle.bundle_version: " + std::to_string(bundle->bundle_version) +
                          " is older than the accepted " + std::to_string(min_version));
  return Trust(std::move(bundle.value()), std::move(certs));
}

}  // namespace aegis::protocol
