// What the in-process index benchmarks share to stand up a trust domain without files: fixed
// identities from seeds (authorities and the index), their certificates valid around a fixed
// time, and the trust bundle holding them. Benchmarks only: the product makes its keys in keys/.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "aegis/keys/keys.hpp"
#include "aegis/protocol/trust_bundle.hpp"
#include "bench_sqlite.hpp"

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

}  // namespace aegis::bench
