// Shared setup for the transport tests: deterministic identities (keys::Identity::from_seed, so
// the CURVE secrets are real), a trust bundle certifying two authorities and the index, and a
// small poll loop that services the ZAP handler while a test waits for something to happen.
// Waits are bounded polls on sockets, never sleeps.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <zmq.hpp>

#include "aegis/keys/keys.hpp"
#include "aegis/protocol/certificate.hpp"
#include "aegis/protocol/trust_bundle.hpp"
#include "test_support.hpp"
#include "transport/curve.hpp"
#include "transport/monitor.hpp"
#include "transport/peer_sockets.hpp"
#include "transport/zap.hpp"

namespace aegis::test {

inline constexpr std::uint64_t kNow = 1'718'000'000'000;  // 2024-06-10, ms
inline constexpr std::uint64_t kDay = 86'400'000;
inline constexpr int kWaitMs = 10'000;  // generous bound for a loopback handshake

inline keys::Identity identity(const std::string& id, protocol::Role role, std::uint8_t b) {
  auto r = keys::Identity::from_seed(id, role, seed(b));
  REQUIRE(r.ok());
  return std::move(r).value();
}

inline protocol::Certificate certificate_of(const keys::Identity& who, std::uint64_t serial) {
  protocol::Certificate c;
  c.serial = serial;
  c.subject_id = who.subject_id();
  c.role = who.role();
  c.display_name = "Test " + who.subject_id();
  c.sign_key = who.sign_public_key();
  c.box_key = who.box_public_key();
  c.curve_key = who.curve_public_key();
  c.not_before_ms = kNow - kDay;
  c.not_after_ms = kNow + 365 * kDay;
  return c;
}

inline std::shared_ptr<const protocol::Trust> make_trust(
    const protocol::Signer& root, const std::vector<protocol::Certificate>& certs,
    std::uint64_t version, std::vector<std::uint64_t> revoked = {}) {
  protocol::TrustBundle b;
  b.bundle_version = version;
  b.issued_ms = kNow - kDay;
  b.expires_ms = kNow + 30 * kDay;
  for (const protocol::Certificate& c : certs)
    b.certificates.push_back(protocol::issue_certificate(c, root));
  b.revoked_serials = std::move(revoked);
  auto trust =
      protocol::verify_trust_bundle(protocol::issue_trust_bundle(b, root), root.sign_public_key(),
                                    kNow, 0);
  REQUIRE(trust.ok());
  return std::make_shared<const protocol::Trust>(std::move(trust).value());
}

inline transport::CurveKeys curve_keys(const keys::Identity& who) {
  return transport::CurveKeys(who.curve_public_key(), who.curve_secret_z85());
}

// Small limits so a test never waits on a default (reconnects, handshakes).
inline transport::Limits test_limits() {
  transport::Limits l;
  l.reconnect_ivl_ms = 50;
  l.reconnect_ivl_max_ms = 200;
  l.handshake_ivl_ms = 5000;
  l.linger_ms = 0;
  return l;
}

struct TransportFixture {
  SeedSigner root{seed(1)};
  keys::Identity index = identity("index", protocol::Role::index, 0x13);
  keys::Identity kent = identity("kent", protocol::Role::authority, 0x11);
  keys::Identity leeds = identity("leeds", protocol::Role::authority, 0x12);
  keys::Identity stranger = identity("stranger", protocol::Role::authority, 0x21);
  std::vector<protocol::Certificate> certs{certificate_of(kent, 1), certificate_of(leeds, 2),
                                           certificate_of(index, 3)};
  std::shared_ptr<const protocol::Trust> trust = make_trust(root, certs, 1);

  zmq::context_t context{1};
  std::vector<transport::ZapDecision> decisions;  // everything the handler decided so far

  // Polls `zap` (if any) and the given sockets until `done()` or the bound is reached.
  bool run_until(transport::ZapHandler* zap, const std::function<bool()>& done,
                 std::vector<zmq::socket_t*> also = {}, int timeout_ms = kWaitMs) {
    using Clock = std::chrono::steady_clock;
    const auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
    for (;;) {
      if (zap)
        for (auto& d : zap->handle_pending(kNow)) decisions.push_back(std::move(d));
      if (done()) return true;
      const auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
      if (left.count() <= 0) return false;
      std::vector<zmq::pollitem_t> items;
      if (zap) items.push_back({zap->socket().handle(), 0, ZMQ_POLLIN, 0});
      for (zmq::socket_t* s : also) items.push_back({s->handle(), 0, ZMQ_POLLIN, 0});
      zmq::poll(items.data(), items.size(), std::min(left, std::chrono::milliseconds(50)));
    }
  }
};

}  // namespace aegis::test
