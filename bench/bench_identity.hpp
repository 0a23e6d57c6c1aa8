// What the in-process index benchmarks share to stand up a trust domain without files: fixed
// identities from seeds (authorities and the index), their certificates valid around a fixed
// time, the trust bundle holding them, the national domain of the national load and query
// benchmarks, and their signed synthetic upserts. Benchmarks only: the product makes its keys in
// keys/.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "aegis/keys/keys.hpp"
#include "aegis/protocol/envelope.hpp"
#include "aegis/protocol/trust_bundle.hpp"
#include "bench_record.hpp"
#include "bench_sqlite.hpp"
#include "index/index_store.hpp"

namespace aegis::bench {

inline constexpr std::uint64_t kNowMs = 1'750'000'000'000;
inline constexpr std::uint64_t kDayMs = 86'400'000;

inline keys::Identity identity(const std::string& id, protocol::Role role, std::uint8_t b) {
  protocol::ByteArray<32> seed{};
  seed.fill(b);
  seed[1] = static_cast<std::uint8_t>(id.size());
  for (std::size_t i = 0; i < id.size() && i + 2 < seed.size(); ++i)
    seed[i + 2] = static_cast<std::uint8_t>(id[i]);
  auto r = keys::Identity::from_seed(id, role, seed);
  if (!r) die("identity " + id);
  return std::move(r).value();
}

inline protocol::Certificate certificate(std::uint64_t serial, const keys::Identity& who) {
  protocol::Certificate c;
  c.serial = serial;
  c.subject_id = who.subject_id();
  c.role = who.role();
  c.display_name = who.subject_id();
  c.sign_key = who.sign_public_key();
  c.box_key = who.box_public_key();
  c.curve_key = who.curve_public_key();
  c.not_before_ms = kNowMs - 30 * kDayMs;
  c.not_after_ms = kNowMs + 365 * kDayMs;
  return c;
}

// A trust bundle valid at kNowMs holding these certificates.
inline protocol::Trust trust_of(std::vector<protocol::Certificate> certs) {
  protocol::TrustBundle bundle;
  bundle.bundle_version = 1;
  bundle.issued_ms = kNowMs - kDayMs;
  bundle.expires_ms = kNowMs + 30 * kDayMs;
  return protocol::Trust(bundle, std::move(certs));
}

// The national domain of the national load and query benchmarks: authorities la001..laNNN
// (serials 1..N, one seed pattern), the index (serial kIndexSerial), the bundle holding them.
inline constexpr std::uint64_t kIndexSerial = 9999;

struct NationalDomain {
  std::vector<std::string> authority_ids;      // authority k has serial k + 1
  std::vector<keys::Identity> authority_keys;
  keys::Identity index_key;
  protocol::Trust trust;
};

inline NationalDomain national_domain(std::size_t authorities) {
  std::vector<std::string> ids;
  std::vector<keys::Identity> keys;
  std::vector<protocol::Certificate> certs;
  for (std::size_t a = 0; a < authorities; ++a) {
    char id[32];
    std::snprintf(id, sizeof id, "la%03zu", a + 1);
    ids.emplace_back(id);
    keys.push_back(identity(id, protocol::Role::authority, 0x21));
    certs.push_back(certificate(a + 1, keys.back()));
  }
  keys::Identity index_key = identity("index", protocol::Role::index, 0x13);
  certs.push_back(certificate(kIndexSerial, index_key));
  protocol::Trust trust = trust_of(std::move(certs));
  return {std::move(ids), std::move(keys), std::move(index_key), std::move(trust)};
}

// The matching key every benchmark authority makes its tokens with.
inline const keys::MatchingKey& bench_matching_key() {
  static const keys::MatchingKey key =
      keys::MatchingKey::from_seed(1, protocol::ByteArray<32>{0x50}).value();
  return key;
}

// National ids from a counter instead of the OS's randomness: distinct and reproducible.
inline index::NationalIdSource counted_national_ids(std::uint64_t& counter) {
  return [&counter] {
    index::NationalIdBits b{};
    std::uint64_t x = mix(++counter);
    for (std::size_t i = 0; i < b.size(); ++i, x >>= 8) b[i] = static_cast<std::uint8_t>(x);
    return b;
  };
}

// An authority's next envelope on its chain `head` (which moves on to it): the upsert of
// synthetic child n (version 0: its home authority's record; 1: a second authority's copy),
// clear payload, dated a day before kNowMs.
inline protocol::Bytes sign_child_upsert(const std::string& authority_id, std::uint64_t serial,
                                         const keys::Identity& key, protocol::ChainState& head,
                                         std::uint64_t n, std::uint64_t version) {
  const protocol::ChildRecord r = synthetic_child(n, version, record_id(version, n));
  protocol::Envelope e;
  e.authority_id = authority_id;
  e.seq = head.last_seq + 1;
  e.prev_hash = head.last_hash;
  e.timestamp_ms = kNowMs - kDayMs;
  e.signer_serial = serial;
  e.op = protocol::Operation::upsert;
  e.record_id = r.record_id;
  e.payload = clear_payload(r, bench_matching_key());
  protocol::Bytes wire = protocol::sign_envelope(e, key);
  head = {e.seq, protocol::envelope_hash(wire)};
  return wire;
}

}  // namespace aegis::bench
