// Certificates (docs/PROTOCOL.md §7): encoding round trip, root signature, and every field rule
// both on values (check_certificate) and on bytes (decode_certificate).
#include <catch2/catch.hpp>

#include <functional>

#include "aegis/protocol/certificate.hpp"
#include "aegis/protocol/codec.hpp"
#include "test_support.hpp"
#include "trust_fixtures.hpp"

using namespace aegis::protocol;
using namespace aegis::test;
using namespace aegis::test::fixtures;

namespace {

Certificate kent() { return make_certificate(1, "kent", Role::authority, 0x11); }

template <typename T>
void require_error(const Result<T>& r, Errc code, std::string_view detail_part) {
  REQUIRE_FALSE(r.ok());
  INFO(r.error().message());
  CHECK(r.error().code == code);
  CHECK(r.error().detail.find(detail_part) != std::string::npos);
}

// A certificate broken by `edit` fails the same way as a value and as decoded bytes.
void require_rule(const std::function<void(Certificate&)>& edit, Errc code,
                  std::string_view path) {
  Certificate c = kent();
  edit(c);
  require_error(check_certificate(c), code, path);
  require_error(decode_certificate(encode_certificate(c)), code, path);
}

}  // namespace

TEST_CASE("certificate: encoding round trips and the root's signature verifies") {
  SeedSigner root(seed(kRootSeed));
  for (const Certificate& c : sample_certificates()) {
    CHECK(check_certificate(c).ok());
    auto decoded = decode_certificate(encode_certificate(c));
    REQUIRE(decoded.ok());
    CHECK(decoded.value() == c);
    auto verified = verify_certificate(issue_certificate(c, root), root.sign_public_key());
    REQUIRE(verified.ok());
    CHECK(verified.value() == c);
  }
}

TEST_CASE("certificate: the body is the 11-element array of §7.2") {
  Certificate c = kent();
  c.contact_route = "";
  Bytes b = encode_certificate(c);
  REQUIRE(b.size() > 3);
  CHECK(b[0] == 0x9b);  // fixarray, 11 elements
  CHECK(b[1] == 0x01);  // version
  CHECK(b[2] == 0x01);  // serial
  CHECK(b[3] == 0xa4);  // fixstr(4) "kent"
}

TEST_CASE("certificate: the signature covers the certificate domain, not another") {
  SeedSigner root(seed(kRootSeed));
  Signed s = issue_certificate(kent(), root);
  CHECK(verify_signature(root.sign_public_key(), kDomainCertificate, s.body, s.signature));
  CHECK_FALSE(verify_signature(root.sign_public_key(), kDomainTrustBundle, s.body, s.signature));
  // A certificate body signed under another domain is not a certificate.
  Signed wrong = sign_body(encode_certificate(kent()), kDomainEnvelope, root);
  require_error(verify_certificate(wrong, root.sign_public_key()), Errc::forged_certificate,
                "not signed by the root");
}

TEST_CASE("certificate: role names") {
  CHECK(role_name(Role::authority) == "authority");
  CHECK(role_name(Role::index) == "index");
  CHECK(role_name(Role::shield_officer) == "shield_officer");
  CHECK(role_name(static_cast<Role>(9)) == "unknown");
}

TEST_CASE("certificate: one signed by another root is forged_certificate") {
  SeedSigner root(seed(kRootSeed)), other(seed(kOtherRootSeed));
  require_error(verify_certificate(issue_certificate(kent(), other), root.sign_public_key()),
                Errc::forged_certificate, "certificate");
}

TEST_CASE("certificate: a changed body or signature is forged_certificate") {
  SeedSigner root(seed(kRootSeed));
  Signed body = issue_certificate(kent(), root);
  body.body.back() ^= 0x01;  // not_after_ms changes by one
  require_error(verify_certificate(body, root.sign_public_key()), Errc::forged_certificate,
                "certificate");
  Signed sig = issue_certificate(kent(), root);
  sig.signature[10] ^= 0x20;
  require_error(verify_certificate(sig, root.sign_public_key()), Errc::forged_certificate,
                "certificate");
}

TEST_CASE("certificate: serial 0 is invalid_field") {
  require_rule([](Certificate& c) { c.serial = 0; }, Errc::invalid_field, "certificate.serial");
}

TEST_CASE("certificate: a subject id outside [a-z0-9-] is invalid_field") {
  for (const char* id : {"", "Kent", "-kent", "kent-", "kent county", "kent_cc", "kënt"}) {
    INFO(id);
    require_rule([&](Certificate& c) { c.subject_id = id; }, Errc::invalid_field,
                 "certificate.subject_id");
  }
}

TEST_CASE("certificate: a subject id over 32 bytes is too_large") {
  require_rule([](Certificate& c) { c.subject_id = std::string(33, 'a'); }, Errc::too_large,
               "certificate.subject_id");
  Certificate c = kent();
  c.subject_id = std::string(32, 'a');
  CHECK(check_certificate(c).ok());
}

TEST_CASE("certificate: roles other than 1, 2, 3 are invalid_field") {
  for (int role : {0, 4, 255}) {
    INFO(role);
    require_rule([&](Certificate& c) { c.role = static_cast<Role>(role); }, Errc::invalid_field,
                 "certificate.role");
  }
}

TEST_CASE("certificate: an empty display name is invalid_field, 201 bytes too_large") {
  require_rule([](Certificate& c) { c.display_name.clear(); }, Errc::invalid_field,
               "certificate.display_name");
  require_rule([](Certificate& c) { c.display_name = std::string(201, 'x'); }, Errc::too_large,
               "certificate.display_name");
  Certificate c = kent();
  c.display_name = std::string(200, 'x');
  c.contact_route = std::string(200, 'y');
  CHECK(check_certificate(c).ok());
}

TEST_CASE("certificate: text that is not UTF-8 or holds NUL is invalid_field") {
  require_rule([](Certificate& c) { c.display_name = "Kent \xff"; }, Errc::invalid_field,
               "certificate.display_name");
  require_rule([](Certificate& c) { c.contact_route = std::string("a\0b", 3); },
               Errc::invalid_field, "certificate.contact_route");
  require_rule([](Certificate& c) { c.contact_route = std::string(201, 'r'); }, Errc::too_large,
               "certificate.contact_route");
}

TEST_CASE("certificate: not_after_ms at or before not_before_ms is invalid_field") {
  require_rule([](Certificate& c) { c.not_after_ms = c.not_before_ms; }, Errc::invalid_field,
               "certificate.not_after_ms");
  require_rule([](Certificate& c) { c.not_after_ms = c.not_before_ms - 1; }, Errc::invalid_field,
               "certificate.not_after_ms");
}

TEST_CASE("certificate: valid_at includes both ends of the validity period") {
  Certificate c = kent();
  CHECK(c.valid_at(c.not_before_ms));
  CHECK(c.valid_at(c.not_after_ms));
  CHECK_FALSE(c.valid_at(c.not_before_ms - 1));
  CHECK_FALSE(c.valid_at(c.not_after_ms + 1));
}

TEST_CASE("certificate: an unknown version is unknown_version") {
  Bytes b = encode_certificate(kent());
  b[1] = 0x02;
  require_error(decode_certificate(b), Errc::unknown_version, "certificate.version");
}

TEST_CASE("certificate: wrong arity or types are malformed") {
  Writer w;
  w.array(10);
  for (int i = 0; i < 10; ++i) w.uint(1);
  require_error(decode_certificate(w.take()), Errc::malformed, "certificate");
  Bytes b = encode_certificate(kent());
  b[3] = 0xc0;  // nil where the subject id's fixstr header was; the rest becomes trailing
  CHECK_FALSE(decode_certificate(b).ok());
  Writer k;
  Certificate c = kent();
  k.array(11);
  k.uint(1);
  k.uint(1);
  k.str("kent");
  k.uint(1);
  k.str("Kent");
  k.str("");
  k.bin(c.sign_key);
  k.bin(ByteArray<31>{});  // a 31-byte box key
  k.bin(c.curve_key);
  k.uint(1);
  k.uint(2);
  require_error(decode_certificate(k.take()), Errc::invalid_field, "certificate.box_key");
}

TEST_CASE("certificate: a non-shortest integer is non_canonical") {
  Bytes b = encode_certificate(kent());
  REQUIRE(b[2] == 0x01);
  b.insert(b.begin() + 2, 0xcc);  // serial 1 as uint8 (0xcc 0x01) instead of fixint 0x01
  require_error(decode_certificate(b), Errc::non_canonical, "certificate");
}

TEST_CASE("certificate: a version 2 body with 12 fields is unknown_version, not malformed") {
  Writer w;
  w.array(12);
  w.uint(2);
  for (int i = 0; i < 11; ++i) w.uint(1);
  require_error(decode_certificate(w.take()), Errc::unknown_version, "certificate.version");
}
