// Shared setup for the store tests: a temporary database, deterministic keys (tests/support
// SeedSigner), a trust bundle with the authority's certificate and one shield officer's, a
// settable clock, and raw SQLite access through a separate connection (for fault injection and
// tampering, as another process would).
#pragma once

#include <cstdint>
#include <string>

#include <sqlite3.h>

#include <catch2/catch.hpp>

#include "aegis/protocol/certificate.hpp"
#include "aegis/protocol/envelope.hpp"
#include "aegis/protocol/signed.hpp"
#include "aegis/protocol/trust_bundle.hpp"
#include "store/store.hpp"
#include "sqlite_file.hpp"
#include "test_support.hpp"

namespace aegis::test {

inline constexpr std::uint64_t kNow = 1'718'000'000'000;  // 2024-06-10, ms
inline constexpr std::uint64_t kDay = 86'400'000;
inline constexpr std::uint64_t kAuthoritySerial = 10;
inline constexpr std::uint64_t kOfficerSerial = 20;

inline protocol::Certificate make_certificate(std::uint64_t serial, std::string subject,
                                              protocol::Role role,
                                              const protocol::SignPublicKey& sign_key,
                                              const protocol::BoxPublicKey& box_key) {
  protocol::Certificate c;
  c.serial = serial;
  c.subject_id = std::move(subject);
  c.role = role;
  c.display_name = "Test " + c.subject_id;
  c.sign_key = sign_key;
  c.box_key = box_key;
  c.curve_key = box_key;
  c.not_before_ms = kNow - kDay;
  c.not_after_ms = kNow + 365 * kDay;
  return c;
}

// Builds a verified Trust from certificates, signed by `root`.
inline protocol::Trust make_trust(const protocol::Signer& root,
                                  const std::vector<protocol::Certificate>& certs,
                                  std::vector<std::uint64_t> revoked = {}) {
  protocol::TrustBundle b;
  b.bundle_version = 1;
  b.issued_ms = kNow - kDay;
  b.expires_ms = kNow + 30 * kDay;
  for (const protocol::Certificate& c : certs)
    b.certificates.push_back(protocol::issue_certificate(c, root));
  b.revoked_serials = std::move(revoked);
  protocol::Bytes wire = protocol::issue_trust_bundle(b, root);
  auto trust = protocol::verify_trust_bundle(wire, root.sign_public_key(), kNow, 0);
  REQUIRE(trust.ok());
  return std::move(trust).value();
}

// A separate SQLite connection to the store's file, with the store's own tampering.
class RawDb : public SqliteFile {
 public:
  using SqliteFile::SqliteFile;
  // Flips one bit of a byte of the envelope at `seq`, `from_end` bytes before its end.
  void flip_envelope_byte(std::uint64_t seq, std::size_t from_end) {
    const std::string where = " FROM outbox WHERE seq = " + std::to_string(seq);
    protocol::Bytes env = blob("SELECT envelope" + where);
    REQUIRE(env.size() > from_end);
    env[env.size() - 1 - from_end] ^= 0x01;
    exec_with_blob("UPDATE outbox SET envelope = ?1 WHERE seq = " + std::to_string(seq), env);
  }
};

struct StoreFixture {
  TempDir dir{"aegis-store"};
  std::filesystem::path file = dir / "aegis.db";
  SeedSigner root{seed(1)};
  SeedSigner authority{seed(2)};
  SeedKeyAgreement authority_box{seed(3)};
  SeedSigner officer{seed(4)};
  SeedKeyAgreement officer_box{seed(5)};
  protocol::Trust trust = make_trust(
      root, {make_certificate(kAuthoritySerial, "kent", protocol::Role::authority,
                              authority.sign_public_key(), authority_box.box_public_key()),
             make_certificate(kOfficerSerial, "officer-1", protocol::Role::shield_officer,
                              officer.sign_public_key(), officer_box.box_public_key())});
  std::uint64_t now = kNow;
  std::uint8_t randomness_counter = 0;
  store::Signing signing{authority, kAuthoritySerial, test_tokenizer(),
                         store::seal_recipients(authority_box.box_public_key(), trust, kNow),
                         [this] { return now; },
                         [this] {
                           protocol::SealRandomness r;
                           ++randomness_counter;
                           r.ephemeral_secret.fill(randomness_counter);
                           r.content_key.fill(static_cast<std::uint8_t>(randomness_counter + 100));
                           r.nonce.fill(static_cast<std::uint8_t>(randomness_counter + 200));
                           return r;
                         }};

  store::Store create() {
    auto s = store::Store::create(file, "kent", now);
    INFO((s ? "" : s.error().message()));
    REQUIRE(s.ok());
    return std::move(s).value();
  }
  store::Store open() {
    auto s = store::Store::open(file, "kent");
    INFO((s ? "" : s.error().message()));
    REQUIRE(s.ok());
    return std::move(s).value();
  }
  store::Change must(const store::Result<store::Change>& c) {
    INFO((c ? "" : c.error().message()));
    REQUIRE(c.ok());
    return c.value();
  }
  store::ChainReport verify(store::Store& s) {
    auto r = s.verify_chain(trust, now, &signing.tokenizer);
    INFO((r ? "" : r.error().message()));
    REQUIRE(r.ok());
    return r.value();
  }
};

// The envelope body of a stored envelope's wire bytes (the test fails if they do not decode).
inline protocol::Envelope decode_envelope_wire(const protocol::Bytes& wire) {
  auto s = protocol::decode_signed(wire, "envelope");
  REQUIRE(s.ok());
  auto e = protocol::decode_envelope_body(s->body);
  REQUIRE(e.ok());
  return std::move(e).value();
}

}  // namespace aegis::test
