// The trust bundle (docs/PROTOCOL.md §8): verification against the pinned root, expiry,
// rollback, forged certificates, the body rules, and what the Trust view answers.
#include <catch2/catch.hpp>

#include "aegis/protocol/codec.hpp"
#include "aegis/protocol/trust_bundle.hpp"
#include "test_support.hpp"
#include "trust_fixtures.hpp"

using namespace aegis::protocol;
using namespace aegis::test;
using namespace aegis::test::fixtures;

namespace {

struct Federation {
  SeedSigner root{seed(kRootSeed)};
  SeedSigner other_root{seed(kOtherRootSeed)};
  std::vector<Certificate> certs = sample_certificates();
  SignPublicKey root_key() const { return root.sign_public_key(); }
  Bytes wire(const TrustBundle& b) const { return issue_trust_bundle(b, root); }
  Bytes wire() const { return wire(make_bundle(certs, root)); }
  // Signs hand-built body bytes with the root (to test rules behind a valid signature).
  Bytes signed_body(Bytes body) const {
    return encode_signed(sign_body(std::move(body), kDomainTrustBundle, root));
  }
};

template <typename T>
void require_error(const Result<T>& r, Errc code, std::string_view detail_part) {
  REQUIRE_FALSE(r.ok());
  INFO(r.error().message());
  CHECK(r.error().code == code);
  CHECK(r.error().detail.find(detail_part) != std::string::npos);
}

}  // namespace

TEST_CASE("trust bundle: a valid bundle verifies and exposes its certificates") {
  Federation f;
  TrustBundle b = make_bundle(f.certs, f.root, 7, {9});
  auto trust = verify_trust_bundle(f.wire(b), f.root_key(), kNowMs, 7);
  REQUIRE(trust.ok());
  CHECK(trust->version() == 7);
  CHECK(trust->expires_ms() == b.expires_ms);
  CHECK(trust->certificates() == f.certs);
  REQUIRE(trust->by_serial(3) != nullptr);
  CHECK(trust->by_serial(3)->subject_id == "index");
  CHECK(trust->by_serial(5) == nullptr);
}

TEST_CASE("trust bundle: the body round trips through its encoding") {
  Federation f;
  TrustBundle b = make_bundle(f.certs, f.root, 3, {5, 6, 100});
  auto back = decode_trust_bundle_body(encode_trust_bundle_body(b));
  REQUIRE(back.ok());
  CHECK(back.value() == b);
  TrustBundle empty = make_bundle({}, f.root, 1);
  CHECK(verify_trust_bundle(f.wire(empty), f.root_key(), kNowMs, 0).ok());
}

TEST_CASE("trust bundle: valid up to and including expires_ms, then bundle_expired") {
  Federation f;
  TrustBundle b = make_bundle(f.certs, f.root);
  Bytes w = f.wire(b);
  CHECK(verify_trust_bundle(w, f.root_key(), b.expires_ms, 0).ok());
  require_error(verify_trust_bundle(w, f.root_key(), b.expires_ms + 1, 0), Errc::bundle_expired,
                "trust_bundle.expires_ms");
}

TEST_CASE("trust bundle: a version below the accepted one is bundle_rolled_back") {
  Federation f;
  Bytes w = f.wire(make_bundle(f.certs, f.root, 7));
  CHECK(verify_trust_bundle(w, f.root_key(), kNowMs, 7).ok());
  require_error(verify_trust_bundle(w, f.root_key(), kNowMs, 8), Errc::bundle_rolled_back,
                "trust_bundle.bundle_version: 7");
}

TEST_CASE("trust bundle: a certificate not signed by the root is forged_certificate") {
  Federation f;
  TrustBundle b = make_bundle(f.certs, f.root);
  b.certificates[2] = issue_certificate(f.certs[2], f.other_root);
  require_error(verify_trust_bundle(f.wire(b), f.root_key(), kNowMs, 0),
                Errc::forged_certificate, "trust_bundle.certificates[2] (serial 3)");
}

TEST_CASE("trust bundle: a certificate signed as another kind of object is forged_certificate") {
  Federation f;
  TrustBundle b = make_bundle(f.certs, f.root);
  b.certificates[0] = sign_body(encode_certificate(f.certs[0]), kDomainTrustBundle, f.root);
  require_error(verify_trust_bundle(f.wire(b), f.root_key(), kNowMs, 0),
                Errc::forged_certificate, "trust_bundle.certificates[0] (serial 1)");
}

TEST_CASE("trust bundle: a bundle signed by another root is bad_signature") {
  Federation f;
  Bytes w = issue_trust_bundle(make_bundle(f.certs, f.root), f.other_root);
  require_error(verify_trust_bundle(w, f.root_key(), kNowMs, 0), Errc::bad_signature,
                "trust_bundle");
}

TEST_CASE("trust bundle: a changed body byte is bad_signature") {
  Federation f;
  Bytes w = f.wire();
  auto s = decode_signed(w, "trust_bundle");
  REQUIRE(s.ok());
  Signed tampered = s.value();
  tampered.body[2] ^= 0x01;  // bundle_version 7 -> 6
  require_error(verify_trust_bundle(encode_signed(tampered), f.root_key(), kNowMs, 0),
                Errc::bad_signature, "trust_bundle");
}

TEST_CASE("trust bundle: a revoked serial is reported by is_revoked") {
  Federation f;
  auto trust = verify_trust_bundle(f.wire(make_bundle(f.certs, f.root, 7, {2, 40})),
                                   f.root_key(), kNowMs, 0);
  REQUIRE(trust.ok());
  CHECK(trust->is_revoked(2));
  CHECK(trust->is_revoked(40));
  CHECK_FALSE(trust->is_revoked(1));
  CHECK_FALSE(trust->is_revoked(3));
}

TEST_CASE("trust bundle: active() excludes revoked, expired, not-yet-valid and other roles") {
  Federation f;
  std::vector<Certificate> certs = f.certs;
  Certificate expired = make_certificate(5, "surrey", Role::authority, 0x15);
  expired.not_after_ms = kNowMs - 1;
  Certificate future = make_certificate(6, "devon", Role::authority, 0x16);
  future.not_before_ms = kNowMs + 1;
  certs.push_back(expired);
  certs.push_back(future);
  auto trust = verify_trust_bundle(f.wire(make_bundle(certs, f.root, 7, {2})), f.root_key(),
                                   kNowMs, 0);
  REQUIRE(trust.ok());
  auto authorities = trust->active(Role::authority, kNowMs);
  REQUIRE(authorities.size() == 1);  // kent; leeds revoked, surrey expired, devon not yet
  CHECK(authorities[0]->subject_id == "kent");
  auto officers = trust->active(Role::shield_officer, kNowMs);
  REQUIRE(officers.size() == 1);
  CHECK(officers[0]->serial == 4);
  CHECK(trust->active(Role::authority, kNowMs + 1).size() == 2);  // devon becomes valid
}

TEST_CASE("trust bundle: active_subject picks the newest active serial of that subject") {
  Federation f;
  std::vector<Certificate> certs = f.certs;
  certs.push_back(make_certificate(10, "kent", Role::authority, 0x1a));  // rotated key
  certs.push_back(make_certificate(11, "kent", Role::authority, 0x1b));  // revoked below
  certs.push_back(make_certificate(12, "kent", Role::index, 0x1c));      // other role
  auto trust = verify_trust_bundle(f.wire(make_bundle(certs, f.root, 7, {11})), f.root_key(),
                                   kNowMs, 0);
  REQUIRE(trust.ok());
  const Certificate* kent = trust->active_subject("kent", Role::authority, kNowMs);
  REQUIRE(kent != nullptr);
  CHECK(kent->serial == 10);
  CHECK(trust->active_subject("kent", Role::shield_officer, kNowMs) == nullptr);
  CHECK(trust->active_subject("leeds", Role::authority, kNowMs)->serial == 2);
  CHECK(trust->active_subject("nowhere", Role::authority, kNowMs) == nullptr);
  CHECK(trust->active_subject("kent", Role::authority, kNowMs + 400 * kDayMs) == nullptr);
}

TEST_CASE("trust bundle: an empty Trust trusts nobody") {
  Trust t;
  CHECK(t.version() == 0);
  CHECK(t.by_serial(1) == nullptr);
  CHECK_FALSE(t.is_revoked(1));
  CHECK(t.active(Role::authority, kNowMs).empty());
  CHECK(t.active_subject("kent", Role::authority, kNowMs) == nullptr);
}

TEST_CASE("trust bundle: duplicate certificate serials are invalid_field") {
  Federation f;
  std::vector<Certificate> certs = f.certs;
  certs.push_back(make_certificate(2, "surrey", Role::authority, 0x15));
  Bytes body = encode_trust_bundle_body(make_bundle(certs, f.root));
  require_error(decode_trust_bundle_body(body), Errc::invalid_field,
                "trust_bundle.certificates[4]: certificate serial 2 appears more than once");
  require_error(verify_trust_bundle(f.signed_body(body), f.root_key(), kNowMs, 0),
                Errc::invalid_field, "serial 2");
}

TEST_CASE("trust bundle: an unsorted, repeated or zero revoked serial is invalid_field") {
  Federation f;
  for (const auto& revoked : std::vector<std::vector<std::uint64_t>>{{5, 3}, {3, 3}, {0, 4}}) {
    Bytes body = encode_trust_bundle_body(make_bundle(f.certs, f.root, 7, revoked));
    require_error(decode_trust_bundle_body(body), Errc::invalid_field,
                  "trust_bundle.revoked_serials[");
    require_error(verify_trust_bundle(f.signed_body(body), f.root_key(), kNowMs, 0),
                  Errc::invalid_field, "trust_bundle.revoked_serials[");
  }
}

TEST_CASE("trust bundle: expires_ms at or before issued_ms, or version 0, is invalid_field") {
  Federation f;
  TrustBundle b = make_bundle(f.certs, f.root);
  b.expires_ms = b.issued_ms;
  require_error(decode_trust_bundle_body(encode_trust_bundle_body(b)), Errc::invalid_field,
                "trust_bundle.expires_ms");
  TrustBundle v0 = make_bundle(f.certs, f.root, 0);
  require_error(decode_trust_bundle_body(encode_trust_bundle_body(v0)), Errc::invalid_field,
                "trust_bundle.bundle_version");
}

TEST_CASE("trust bundle: a certificate body that breaks §7 is refused with its path") {
  Federation f;
  Certificate bad = make_certificate(8, "Bad Id", Role::authority, 0x18);
  TrustBundle b = make_bundle(f.certs, f.root);
  b.certificates.push_back(sign_body(encode_certificate(bad), kDomainCertificate, f.root));
  require_error(verify_trust_bundle(f.signed_body(encode_trust_bundle_body(b)), f.root_key(),
                                    kNowMs, 0),
                Errc::invalid_field, "trust_bundle.certificates[4]: certificate.subject_id");
}

TEST_CASE("trust bundle: more than 1024 certificates is too_large") {
  Federation f;
  Signed one = issue_certificate(f.certs[0], f.root);
  Writer w;
  w.array(6);
  w.uint(1);
  w.uint(7);
  w.uint(1);
  w.uint(2);
  w.array(kMaxBundleCertificates + 1);
  for (std::size_t i = 0; i <= kMaxBundleCertificates; ++i) write_signed(w, one);
  w.array(0);
  require_error(decode_trust_bundle_body(w.take()), Errc::too_large, "trust_bundle.certificates");
}

TEST_CASE("trust bundle: an unknown version is unknown_version") {
  Federation f;
  Bytes body = encode_trust_bundle_body(make_bundle(f.certs, f.root));
  REQUIRE(body[1] == 0x01);
  body[1] = 0x02;
  require_error(verify_trust_bundle(f.signed_body(body), f.root_key(), kNowMs, 0),
                Errc::unknown_version, "trust_bundle.version");
}

TEST_CASE("trust bundle: non-canonical bytes are refused, signed or not") {
  Federation f;
  Bytes body = encode_trust_bundle_body(make_bundle(f.certs, f.root));
  REQUIRE(body[2] == 0x07);
  Bytes longer = body;
  longer.insert(longer.begin() + 2, 0xcc);  // bundle_version 7 as uint8
  require_error(verify_trust_bundle(f.signed_body(longer), f.root_key(), kNowMs, 0),
                Errc::non_canonical, "trust_bundle");
  // The Signed wrapper itself with a bin32 length where bin16 is the shortest form.
  Bytes wire = f.wire();
  REQUIRE(wire[1] == 0xc5);
  Bytes wide(wire.begin(), wire.begin() + 1);
  wide.insert(wide.end(), {0xc6, 0x00, 0x00});
  wide.insert(wide.end(), wire.begin() + 2, wire.end());
  require_error(verify_trust_bundle(wide, f.root_key(), kNowMs, 0), Errc::non_canonical,
                "trust_bundle");
}

TEST_CASE("trust bundle: truncated, trailing or empty input is refused") {
  Federation f;
  Bytes wire = f.wire();
  require_error(verify_trust_bundle(Bytes(wire.begin(), wire.end() - 1), f.root_key(), kNowMs, 0),
                Errc::truncated, "trust_bundle");
  wire.push_back(0xc0);
  require_error(verify_trust_bundle(wire, f.root_key(), kNowMs, 0), Errc::trailing_bytes,
                "trust_bundle");
  require_error(verify_trust_bundle({}, f.root_key(), kNowMs, 0), Errc::truncated, "trust_bundle");
}

TEST_CASE("trust bundle: a version 2 body with 7 fields is unknown_version, not malformed") {
  Federation f;
  Writer w;
  w.array(7);
  w.uint(2);
  for (int i = 0; i < 6; ++i) w.uint(1);
  require_error(verify_trust_bundle(f.signed_body(w.take()), f.root_key(), kNowMs, 0),
                Errc::unknown_version, "trust_bundle.version");
}
