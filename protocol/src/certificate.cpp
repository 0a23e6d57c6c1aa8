// Certificates (docs/PROTOCOL.md §7): the root-signed binding of a subject id and a role to
// its public keys; canonical encoding, the domain rules and signature verification.
#include "aegis/protocol/certificate.hpp"

#include <cassert>
#include <optional>

#include "aegis/protocol/codec.hpp"
#include "aegis/protocol/record.hpp"
#include "decode_rules.hpp"

namespace aegis::protocol {

namespace {

// One broken rule: the field it concerns and what is wrong.
struct Violation {
  Errc code;
  std::string_view field;
  std::string what;
};

std::optional<Violation> check_text(std::string_view field, const std::string& s,
                                    std::size_t min_len) {
  if (s.size() > kMaxTextLen)
    return Violation{Errc::too_large, field,
                     std::to_string(s.size()) + " bytes, limit " + std::to_string(kMaxTextLen)};
  if (s.size() < min_len) return Violation{Errc::invalid_field, field, "must not be empty"};
  if (!valid_utf8(s)) return Violation{Errc::invalid_field, field, "not valid UTF-8 (or contains NUL)"};
  return std::nullopt;
}

// The rules of §7.2, shared by check_certificate (values) and decoding (bytes).
std::optional<Violation> find_violation(const Certificate& c) {
  if (c.serial == 0) return Violation{Errc::invalid_field, "serial", "must be at least 1"};
  if (c.subject_id.size() > kMaxAuthorityIdLen)
    return Violation{Errc::too_large, "subject_id",
                     std::to_string(c.subject_id.size()) + " bytes, limit " +
                         std::to_string(kMaxAuthorityIdLen)};
  if (!valid_authority_id(c.subject_id))
    return Violation{Errc::invalid_field, "subject_id",
                     "must be 1..32 bytes of [a-z0-9-], not starting or ending with '-'"};
  const auto role = static_cast<std::uint8_t>(c.role);
  if (role < 1 || role > 3)
    return Violation{Errc::invalid_field, "role", "unknown role " + std::to_string(role)};
  if (auto v = check_text("display_name", c.display_name, 1)) return v;
  if (auto v = check_text("contact_route", c.contact_route, 0)) return v;
  if (c.not_after_ms <= c.not_before_ms)
    return Violation{Errc::invalid_field, "not_after_ms", "must be after not_before_ms"};
  return std::nullopt;
}

Certificate read_certificate(const Node& n) {
  Certificate c;
  ArrayNode a = detail::read_versioned_struct(n, kCertificateVersion, 11);
  c.serial = a.field(1, "serial").as_uint();
  c.subject_id = a.field(2, "subject_id").as_str(kMaxAuthorityIdLen);
  c.role = static_cast<Role>(a.field(3, "role").as_uint(UINT8_MAX));
  c.display_name = a.field(4, "display_name").as_str(kMaxTextLen);
  c.contact_route = a.field(5, "contact_route").as_str(kMaxTextLen);
  c.sign_key = a.field(6, "sign_key").as_fixed_bin<kSignPublicKeySize>();
  c.box_key = a.field(7, "box_key").as_fixed_bin<kBoxPublicKeySize>();
  c.curve_key = a.field(8, "curve_key").as_fixed_bin<kCurvePublicKeySize>();
  c.not_before_ms = a.field(9, "not_before_ms").as_uint();
  c.not_after_ms = a.field(10, "not_after_ms").as_uint();
  if (n.context().failed()) return c;
  if (auto v = find_violation(c))
    n.context().fail(v->code, n.path() + "." + std::string(v->field), v->what);
  return c;
}

}  // namespace

std::string_view role_name(Role r) noexcept {
  switch (r) {
    case Role::authority: return "authority";
    case Role::index: return "index";
    case Role::shield_officer: return "shield_officer";
  }
  return "unknown";
}

Status check_certificate(const Certificate& c) {
  if (auto v = find_violation(c))
    return make_error(v->code, "certificate." + std::string(v->field) + ": " + v->what);
  return Ok{};
}

Bytes encode_certificate(const Certificate& c) {
  Writer w;
  w.array(11);
  w.uint(kCertificateVersion);
  w.uint(c.serial);
  w.str(c.subject_id);
  w.uint(static_cast<std::uint8_t>(c.role));
  w.str(c.display_name);
  w.str(c.contact_route);
  w.bin(c.sign_key);
  w.bin(c.box_key);
  w.bin(c.curve_key);
  w.uint(c.not_before_ms);
  w.uint(c.not_after_ms);
  return w.take();
}

Result<Certificate> decode_certificate(ByteView bytes) {
  return decode_canonical<Certificate>(bytes, DecodeLimits{}, "certificate", read_certificate,
                                       encode_certificate);
}

Result<Certificate> verify_certificate(const Signed& s, const SignPublicKey& root) {
  if (!verify_signature(root, kDomainCertificate, s.body, s.signature))
    return make_error(Errc::forged_certificate, "certificate: not signed by the root key");
  return decode_certificate(s.body);
}

Signed issue_certificate(const Certificate& c, const Signer& root) {
  assert(check_certificate(c).ok() && "check_certificate before issuing");
  return sign_body(encode_certificate(c), kDomainCertificate, root);
}

}  // namespace aegis::protocol
