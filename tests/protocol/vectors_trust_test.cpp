// Checks this implementation against the committed vectors of docs/PROTOCOL.md §5, §7 and §8
// (protocol/vectors/{valid,invalid}_{seal,certificate,trust_bundle}.json, written by
// tests/tools/gen_vectors_trust.cpp). Every case is checked; a change of encoding fails here.
#include <catch2/catch.hpp>

#include <sodium.h>

#include "aegis/protocol/certificate.hpp"
#include "aegis/protocol/seal.hpp"
#include "aegis/protocol/trust_bundle.hpp"
#include "test_support.hpp"
#include "trust_fixtures.hpp"
#include "vector_json.hpp"

using namespace aegis::protocol;
using namespace aegis::test;
using json = nlohmann::json;
using namespace aegis::test::vectors;

namespace {

template <typename T>
std::string outcome(const Result<T>& r) {
  return r.ok() ? std::string("ok") : std::string(errc_name(r.error().code));
}

// ---- seal ----

SeedKeyAgreement named_box_key(const json& keys, const json& name) {
  return SeedKeyAgreement(array_of<32>(keys.at(name.get<std::string>()).at("box_secret")));
}

SealRandomness randomness(const json& c) {
  SealRandomness r;
  r.ephemeral_secret = array_of<32>(c.at("ephemeral_secret"));
  r.content_key = array_of<32>(c.at("content_key"));
  r.nonce = array_of<kSealNonceSize>(c.at("nonce"));
  return r;
}

std::vector<BoxPublicKey> recipients(const json& c) {
  std::vector<BoxPublicKey> out;
  for (const json& r : c.at("recipients")) out.push_back(array_of<32>(r));
  return out;
}

Result<Bytes> open_case(const json& keys, const json& c) {
  auto blob = decode_sealed_blob(bytes_of(c.at("sealed")));
  if (!blob) return blob.error();
  return open(*blob, bytes_of(c.at("context")), named_box_key(keys, c.at("opener")));
}

// ---- certificates and bundles ----

SignPublicKey root_key(const json& v) { return array_of<32>(v.at("keys").at("root").at("sign_public")); }

Certificate certificate(const json& j) {
  Certificate c;
  c.serial = j.at("serial").get<std::uint64_t>();
  c.subject_id = j.at("subject_id").get<std::string>();
  c.role = static_cast<Role>(j.at("role").get<int>());
  c.display_name = j.at("display_name").get<std::string>();
  c.contact_route = j.at("contact_route").get<std::string>();
  c.sign_key = array_of<32>(j.at("sign_key"));
  c.box_key = array_of<32>(j.at("box_key"));
  c.curve_key = array_of<32>(j.at("curve_key"));
  c.not_before_ms = j.at("not_before_ms").get<std::uint64_t>();
  c.not_after_ms = j.at("not_after_ms").get<std::uint64_t>();
  return c;
}

Result<Certificate> verify_certificate_case(const json& v, const json& c) {
  auto s = decode_signed(bytes_of(c.at("signed")), "certificate");
  if (!s) return s.error();
  return verify_certificate(*s, root_key(v));
}

Result<Trust> verify_bundle_case(const json& v, const json& c) {
  return verify_trust_bundle(bytes_of(c.at("bundle")), root_key(v),
                             c.at("now_ms").get<std::uint64_t>(),
                             c.at("min_version").get<std::uint64_t>());
}

std::vector<std::uint64_t> serials(const std::vector<const Certificate*>& certs) {
  std::vector<std::uint64_t> out;
  for (const Certificate* c : certs) out.push_back(c->serial);
  return out;
}

}  // namespace

TEST_CASE("vectors: valid_seal.json seals to the exact bytes and every opener opens") {
  const json v = load("valid_seal.json");
  REQUIRE(v.at("cases").size() >= 4);
  for (const json& c : v.at("cases")) {
    INFO(c.at("name").get<std::string>());
    const Bytes context = bytes_of(c.at("context"));
    CHECK(seal_context(c.at("authority_id").get<std::string>(),
                       c.at("record_id").get<std::string>()) == context);
    const SealRandomness rnd = randomness(c);
    const auto to = recipients(c);
    auto blob = seal(bytes_of(c.at("plaintext")), context, to, rnd);
    REQUIRE(blob.ok());
    CHECK(to_hex(encode_sealed_blob(*blob)) == c.at("sealed").get<std::string>());
    CHECK(to_hex(blob->ephemeral) == c.at("ephemeral_public").get<std::string>());
    auto decoded = decode_sealed_blob(bytes_of(c.at("sealed")));
    REQUIRE(decoded.ok());
    CHECK(decoded.value() == blob.value());
    // §5.3 recomputed from the document: each kek unwraps the content key.
    REQUIRE(c.at("keks").size() == to.size());
    for (std::size_t i = 0; i < to.size(); ++i) {
      ByteArray<32> shared{};
      REQUIRE(crypto_scalarmult(shared.data(), rnd.ephemeral_secret.data(), to[i].data()) == 0);
      const ByteArray<32> kek = fixtures::spec_kek(shared, blob->ephemeral, to[i]);
      CHECK(to_hex(kek) == c.at("keks")[i].get<std::string>());
      ByteArray<32> content_key{};
      const ByteArray<24> zero_nonce{};
      REQUIRE(crypto_aead_xchacha20poly1305_ietf_decrypt(
                  content_key.data(), nullptr, nullptr, blob->recipients[i].wrapped_key.data(),
                  kWrappedKeySize, nullptr, 0, zero_nonce.data(), kek.data()) == 0);
      CHECK(content_key == rnd.content_key);
    }
    const bool child_details = c.at("plaintext_format") == "child_details";
    for (const json& name : c.at("openers")) {
      INFO(name.get<std::string>());
      const SeedKeyAgreement me = named_box_key(v.at("keys"), name);
      auto opened = open(*decoded, context, me);
      REQUIRE(opened.ok());
      CHECK(to_hex(*opened) == c.at("plaintext").get<std::string>());
      if (child_details) {  // the details layer too, and the plaintext is still canonical §3
        auto details = open_details(*decoded, c.at("authority_id").get<std::string>(),
                                    c.at("record_id").get<std::string>(), me);
        REQUIRE(details.ok());
        CHECK(encode_child_details(*details) == *opened);
      }
    }
  }
}

TEST_CASE("vectors: invalid_seal.json fails every case with its error") {
  const json v = load("invalid_seal.json");
  REQUIRE(v.at("cases").size() >= 20);
  for (const json& c : v.at("cases")) {
    INFO(c.at("name").get<std::string>());
    std::string got;
    if (c.at("operation") == "seal") {
      CHECK(seal_context(c.at("authority_id").get<std::string>(),
                         c.at("record_id").get<std::string>()) == bytes_of(c.at("context")));
      got = outcome(seal(bytes_of(c.at("plaintext")), bytes_of(c.at("context")), recipients(c),
                         randomness(c)));
    } else {
      REQUIRE(c.at("operation") == "open");
      got = outcome(open_case(v.at("keys"), c));
    }
    CHECK(got == c.at("error").get<std::string>());
  }
}

TEST_CASE("vectors: valid_certificate.json encodes, signs and verifies exactly") {
  const json v = load("valid_certificate.json");
  REQUIRE(v.at("cases").size() >= 4);
  SeedSigner root(array_of<32>(v.at("keys").at("root").at("seed")));
  REQUIRE(root.sign_public_key() == root_key(v));
  for (const json& c : v.at("cases")) {
    INFO(c.at("name").get<std::string>());
    const Certificate cert = certificate(c.at("certificate"));
    CHECK(role_name(cert.role) == c.at("certificate").at("role_name").get<std::string>());
    CHECK(to_hex(encode_certificate(cert)) == c.at("body").get<std::string>());
    CHECK(to_hex(encode_signed(issue_certificate(cert, root))) == c.at("signed").get<std::string>());
    auto verified = verify_certificate_case(v, c);
    REQUIRE(verified.ok());
    CHECK(verified.value() == cert);
  }
}

TEST_CASE("vectors: invalid_certificate.json fails every case with its error") {
  const json v = load("invalid_certificate.json");
  REQUIRE(v.at("cases").size() >= 20);
  for (const json& c : v.at("cases")) {
    INFO(c.at("name").get<std::string>());
    CHECK(outcome(verify_certificate_case(v, c)) == c.at("error").get<std::string>());
  }
}

TEST_CASE("vectors: valid_trust_bundle.json verifies with the expected contents") {
  const json v = load("valid_trust_bundle.json");
  REQUIRE(v.at("cases").size() >= 4);
  for (const json& c : v.at("cases")) {
    INFO(c.at("name").get<std::string>());
    auto trust = verify_bundle_case(v, c);
    REQUIRE(trust.ok());
    const std::uint64_t now = c.at("now_ms").get<std::uint64_t>();
    CHECK(trust->version() == c.at("bundle_version").get<std::uint64_t>());
    CHECK(trust->expires_ms() == c.at("expires_ms").get<std::uint64_t>());
    std::vector<std::uint64_t> certs;
    for (const Certificate& cert : trust->certificates()) certs.push_back(cert.serial);
    CHECK(certs == c.at("certificate_serials").get<std::vector<std::uint64_t>>());
    for (std::uint64_t s : c.at("revoked_serials").get<std::vector<std::uint64_t>>())
      CHECK(trust->is_revoked(s));
    const json& active = c.at("active");
    CHECK(serials(trust->active(Role::authority, now)) ==
          active.at("authority").get<std::vector<std::uint64_t>>());
    CHECK(serials(trust->active(Role::index, now)) ==
          active.at("index").get<std::vector<std::uint64_t>>());
    CHECK(serials(trust->active(Role::shield_officer, now)) ==
          active.at("shield_officer").get<std::vector<std::uint64_t>>());
    // Re-encoding the decoded body and re-signing gives the same bytes (Ed25519 is
    // deterministic), so the vectors pin the encoder as well as the verifier.
    auto wire = decode_signed(bytes_of(c.at("bundle")), "trust_bundle");
    REQUIRE(wire.ok());
    auto body = decode_trust_bundle_body(wire->body);
    REQUIRE(body.ok());
    CHECK(body->issued_ms == c.at("issued_ms").get<std::uint64_t>());
    SeedSigner root(array_of<32>(v.at("keys").at("root").at("seed")));
    CHECK(to_hex(issue_trust_bundle(*body, root)) == c.at("bundle").get<std::string>());
  }
}

TEST_CASE("vectors: invalid_trust_bundle.json fails every case with its error") {
  const json v = load("invalid_trust_bundle.json");
  REQUIRE(v.at("cases").size() >= 15);
  for (const json& c : v.at("cases")) {
    INFO(c.at("name").get<std::string>());
    CHECK(outcome(verify_bundle_case(v, c)) == c.at("error").get<std::string>());
  }
}
