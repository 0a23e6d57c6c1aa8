// Protocol cost per change, against the machine's raw Ed25519 limit measured in the same run.
// Prints, for envelopes of a typical child record (clear and shielded): build+sign and verify
// rates, and each as a ratio of raw crypto_sign / crypto_sign_verify_detached on this machine.
// Not a test: figures only (docs/benchmarks.md explains how to read them).
#include <chrono>
#include <cstdio>
#include <functional>
#include <string>

#include <sodium.h>

#include "aegis/keys/keys.hpp"
#include "bench_record.hpp"
#include "aegis/protocol/envelope.hpp"
#include "aegis/protocol/trust_bundle.hpp"
#include "aegis/protocol/verify.hpp"

using namespace aegis;
using Clock = std::chrono::steady_clock;

namespace {

// Runs `op` repeatedly for about `seconds` and returns operations per second.
double rate(const std::function<void(std::size_t)>& op, double seconds = 1.0) {
  std::size_t n = 0;
  auto start = Clock::now();
  auto deadline = start + std::chrono::duration<double>(seconds);
  while (Clock::now() < deadline) {
    for (int k = 0; k < 64; ++k) op(n++);
  }
  return static_cast<double>(n) / std::chrono::duration<double>(Clock::now() - start).count();
}

}  // namespace

int main() {
  if (sodium_init() < 0) return 1;
  const std::uint64_t now = 1'760'000'000'000ULL;
  auto root = keys::RootKey::from_seed(protocol::ByteArray<32>{1});
  auto kent = keys::Identity::from_seed("kent", protocol::Role::authority, protocol::ByteArray<32>{2});
  auto matching = keys::MatchingKey::from_seed(1, protocol::ByteArray<32>{3});
  auto officer = keys::Identity::from_seed("so-1", protocol::Role::shield_officer, protocol::ByteArray<32>{3});
  if (!root || !kent || !officer) { std::puts("key setup failed"); return 1; }

  protocol::Certificate cert;
  cert.serial = 1;
  cert.subject_id = "kent";
  cert.role = protocol::Role::authority;
  cert.display_name = "Kent";
  cert.sign_key = kent->sign_public_key();
  cert.box_key = kent->box_public_key();
  cert.curve_key = kent->curve_public_key();
  cert.not_before_ms = 0;
  cert.not_after_ms = now * 2;
  protocol::TrustBundle bundle;
  bundle.bundle_version = 1;
  bundle.issued_ms = now;
  bundle.expires_ms = now * 2;
  protocol::Trust trust(bundle, {cert});
  const protocol::BoxPublicKey recipients[] = {kent->box_public_key(), officer->box_public_key()};

  // Raw machine limits.
  protocol::Bytes msg(300, 0x42);
  protocol::Signature sig = kent->sign(msg);
  const auto pk = kent->sign_public_key();
  double raw_sign = rate([&](std::size_t) { (void)kent->sign(msg); });
  double raw_verify = rate([&](std::size_t) {
    if (crypto_sign_verify_detached(sig.data(), msg.data(), msg.size(), pk.data()) != 0) std::abort();
  });
  std::printf("machine: raw Ed25519 sign %.0f/s, verify %.0f/s (300-byte message)\n", raw_sign, raw_verify);

  for (bool shielded : {false, true}) {
    protocol::ChildRecord rec = bench::typical_child("child-0", 0, 0, shielded);
    std::vector<protocol::Bytes> wires;
    protocol::Hash prev{};
    double build = rate([&](std::size_t i) {
      protocol::Envelope e;
      e.authority_id = "kent";
      e.seq = i + 1;
      e.prev_hash = prev;
      e.timestamp_ms = now;
      e.signer_serial = 1;
      e.op = protocol::Operation::upsert;
      e.record_id = rec.record_id;
      auto p = protocol::make_payload(rec, "kent", recipients, keys::fresh_seal_randomness(),
                                      *matching);
      if (!p) std::abort();
      e.payload = std::move(*p);
      auto wire = protocol::sign_envelope(e, *kent);
      prev = protocol::envelope_hash(wire);
      if (wires.size() < 20000) wires.push_back(std::move(wire));
    });
    protocol::ChainState chain;
    std::size_t idx = 0;
    double verify = rate([&](std::size_t) {
      if (idx == wires.size()) { idx = 0; chain = {}; }
      auto v = protocol::verify_envelope(wires[idx++], trust, chain, now);
      if (!v) { std::printf("verify failed: %s\n", v.error().message().c_str()); std::abort(); }
      chain = protocol::advance(chain, *v);
    });
    std::printf("%s envelope (%zu bytes): build+seal+sign %.0f/s (%.2f of raw sign), "
                "verify %.0f/s (%.2f of raw verify)\n",
                shielded ? "shielded" : "clear   ", wires.front().size(), build, build / raw_sign,
                verify, verify / raw_verify);
  }
  return 0;
}
