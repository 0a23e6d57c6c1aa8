// Deterministic fixtures for the envelope and verification tests and for
// tests/tools/gen_vectors_envelope.cpp: a trust set with good, revoked and expired signers,
// and envelopes built from the sample records with fixed keys, fixed times and the test
// matching key (test_tokenizer()). Payloads are version 2 unless a test asks for version 1
// (what envelopes signed before match tokens carry; the committed vectors keep them).
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "aegis/protocol/envelope.hpp"
#include "aegis/protocol/verify.hpp"
#include "test_support.hpp"
#include "trust_fixtures.hpp"

namespace aegis::test::envelope_fixtures {

using namespace aegis::protocol;
using fixtures::kDayMs;
using fixtures::kNowMs;

// Serials 1..4 are fixtures::sample_certificates() (kent 0x11, leeds 0x12, index 0x13,
// shield officer 0x14). Two more certificates for kent:
inline constexpr std::uint64_t kKentSerial = 1;
inline constexpr std::uint64_t kLeedsSerial = 2;
inline constexpr std::uint64_t kIndexSerial = 3;
inline constexpr std::uint64_t kOfficerSerial = 4;
inline constexpr std::uint64_t kKentRevokedSerial = 5;  // on the revocation list
inline constexpr std::uint64_t kKentExpiredSerial = 6;  // not_after a day before kNowMs
inline constexpr std::uint8_t kKentSeed = 0x11;
inline constexpr std::uint8_t kLeedsSeed = 0x12;
inline constexpr std::uint8_t kIndexSeed = 0x13;
inline constexpr std::uint8_t kOfficerSeed = 0x14;
inline constexpr std::uint8_t kKentRevokedSeed = 0x15;
inline constexpr std::uint8_t kKentExpiredSeed = 0x16;
inline constexpr std::uint8_t kSealRandomnessSeed = 0x40;

inline std::vector<Certificate> verify_certificates() {
  std::vector<Certificate> certs = fixtures::sample_certificates();
  certs.push_back(
      fixtures::make_certificate(kKentRevokedSerial, "kent", Role::authority, kKentRevokedSeed));
  Certificate expired =
      fixtures::make_certificate(kKentExpiredSerial, "kent", Role::authority, kKentExpiredSeed);
  expired.not_before_ms = kNowMs - 400 * kDayMs;
  expired.not_after_ms = kNowMs - kDayMs;
  certs.push_back(expired);
  return certs;
}

inline std::vector<std::uint64_t> revoked_serials() { return {kKentRevokedSerial}; }

// Trust built directly from certificates (no signed bundle needed for envelope checks).
inline Trust make_trust() {
  TrustBundle bundle;
  bundle.bundle_version = 7;
  bundle.issued_ms = kNowMs - kDayMs;
  bundle.expires_ms = kNowMs + 30 * kDayMs;
  bundle.revoked_serials = revoked_serials();
  return Trust(bundle, verify_certificates());
}

// Kent's box key and the shield officer's: the recipients of a shielded kent record.
inline std::vector<BoxPublicKey> shield_recipients() {
  return {SeedKeyAgreement(seed(kKentSeed)).box_public_key(),
          SeedKeyAgreement(seed(kOfficerSeed)).box_public_key()};
}

// The payload make_payload builds (version 2); `version` 1 drops the match tokens and puts
// back the identifiers of clear details, which is exactly the version-1 payload of the same
// record (as senders built it before version 2).
inline RecordPayload payload_for(const ChildRecord& r, const std::string& authority = "kent",
                                 std::uint64_t version = kPayloadVersion) {
  auto recipients = shield_recipients();
  auto p = make_payload(r, authority, recipients, fixtures::fixed_randomness(kSealRandomnessSeed),
                        test_tokenizer());
  if (!p) throw std::runtime_error("fixture payload: " + p.error().message());
  if (version == kPayloadVersionWithoutMatch) {
    p->match.reset();
    if (!p->shielded()) p->details = r.details;
  }
  return *p;
}

inline Envelope make_upsert(std::uint64_t seq, const Hash& prev_hash, const ChildRecord& r,
                            std::uint64_t serial = kKentSerial,
                            std::uint64_t version = kPayloadVersion) {
  Envelope e;
  e.authority_id = "kent";
  e.seq = seq;
  e.prev_hash = prev_hash;
  e.timestamp_ms = kNowMs - kDayMs + seq * 1000;
  e.signer_serial = serial;
  e.op = Operation::upsert;
  e.record_id = r.record_id;
  e.payload = payload_for(r, "kent", version);
  return e;
}

inline Envelope make_delete(std::uint64_t seq, const Hash& prev_hash, const std::string& record_id,
                            std::uint64_t serial = kKentSerial) {
  Envelope e;
  e.authority_id = "kent";
  e.seq = seq;
  e.prev_hash = prev_hash;
  e.timestamp_ms = kNowMs - kDayMs + seq * 1000;
  e.signer_serial = serial;
  e.op = Operation::remove;
  e.record_id = record_id;
  return e;
}

// One signed envelope with the hash the next one chains to.
struct Link {
  Envelope envelope;
  Bytes wire;
  Hash hash{};
};

inline Link sign_link(const Envelope& e, std::uint8_t seed_byte = kKentSeed) {
  Link l{e, sign_envelope(e, SeedSigner(seed(seed_byte))), {}};
  l.hash = envelope_hash(l.wire);
  return l;
}

// kent's first three changes: upsert child-1, upsert child-1 (new address), delete child-1.
// Version-1 payloads: the committed envelope, sync and feed vectors are built on this chain.
inline std::vector<Link> sample_chain() {
  constexpr std::uint64_t v1 = kPayloadVersionWithoutMatch;
  std::vector<Link> chain;
  ChildRecord r = sample_child("child-1");
  chain.push_back(sign_link(make_upsert(1, Hash{}, r, kKentSerial, v1)));
  r.details.address->lines[0] = "14 Canaryfield Road";
  chain.push_back(sign_link(make_upsert(2, chain.back().hash, r, kKentSerial, v1)));
  chain.push_back(sign_link(make_delete(3, chain.back().hash, "child-1")));
  return chain;
}

// Encodes a raw envelope body by hand, field by field, so tests can build what the encoder
// never emits (an unknown version, a payload of the wrong shape...). `payload` writes field 8.
template <typename WritePayload>
Bytes raw_body(std::uint64_t version, const Envelope& e, WritePayload&& payload) {
  Writer w;
  w.array(9);
  w.uint(version);
  w.str(e.authority_id);
  w.uint(e.seq);
  w.bin(e.prev_hash);
  w.uint(e.timestamp_ms);
  w.uint(e.signer_serial);
  w.uint(static_cast<std::uint64_t>(e.op));
  w.str(e.record_id);
  payload(w);
  return w.take();
}

// Signs arbitrary body bytes as an envelope.
inline Bytes sign_raw(Bytes body, std::uint8_t seed_byte = kKentSeed) {
  return encode_signed(sign_body(std::move(body), kDomainEnvelope, SeedSigner(seed(seed_byte))));
}

}  // namespace aegis::test::envelope_fixtures
