// Verifying a run of consecutive envelopes of one authority with several threads while the
// caller consumes the results strictly in order (docs/index-store.md, "Verification").
//
// verify_envelope's steps 1-5 do not depend on the chain, and step 6 needs only the previous
// envelope's seq and hash, which are known from its bytes: the chain state expected for item k
// is {start.last_seq + k, envelope_hash(item k-1)}. So items can be verified out of order by
// worker threads, and the result is exactly that of verifying them one by one (the caller stops
// at the first failure, as it would sequentially). verify_all uses it, since it must check every
// stored signature; apply_batch checks one signature per batch instead (protocol::verify_run).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string_view>

#include "aegis/protocol/bytes.hpp"
#include "aegis/protocol/result.hpp"
#include "aegis/protocol/trust_bundle.hpp"
#include "aegis/protocol/verify.hpp"

namespace aegis::index {

// What peek_envelope reads without verifying anything.
struct EnvelopePeek {
  std::string_view authority_id;  // points into the wire bytes
  std::uint64_t seq = 0;
};

// Reads authority_id and seq from an envelope's wire bytes (the canonical msgpack of
// PROTOCOL.md §6), cheaply, to sort out duplicates and gaps before any signature is checked.
// nullopt when the bytes do not have that shape: the caller then lets verify_envelope name the
// exact error. It never decides that an envelope is valid.
std::optional<EnvelopePeek> peek_envelope(protocol::ByteView wire) noexcept;

struct VerifyItem {
  protocol::ByteView wire;
  std::uint64_t now_ms = 0;  // the verification time for this item
};

// Called on the caller's thread with index k = 0, 1, 2... in order; returns false to stop.
using ConsumeVerified =
    std::function<bool(std::size_t k, protocol::Result<protocol::VerifiedEnvelope>&& result)>;

// Verifies items[k] against the chain state {start.last_seq + k, hash of items[k-1]} (start for
// k = 0) with `threads` threads in all (the caller's included; 1 = no extra thread), handing
// each result to `consume` in order. Workers stop claiming new items once consume returns false.
void verify_in_order(std::span<const VerifyItem> items, const protocol::Trust& trust,
                     protocol::ChainState start, unsigned threads,
                     const ConsumeVerified& consume);

}  // namespace aegis::index
