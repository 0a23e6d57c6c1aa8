// Verifying a run of consecutive envelopes of one authority with several threads while the
// caller consumes the results strictly in order (docs/index-store.md, "Verification").
//
// verify_envelope's steps 1-5 do not depend on the chain, and step 6 needs only the previous
// envelope's seq and hash, which are known from its bytes: the chain state expected for item k
// is {start.last_seq + k, envelope_hash(item k-1)}. So items can be verified out of order by
// worker threads, and the result is exactly that of verifying them one by one (the caller stops
// at the first failure, as it would sequentially). verify_all uses it, since it must check every
// stored signature; apply_batch checks one signature per batch instead (protocol::verify_run).
//
// verify_push is that per-batch verification on its own, touching no database, so that aegisd
// can verify the next group of Pushes on a second thread while the current group's transaction
// writes and commits (docs/index-store.md §4, "Verifying ahead").
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

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

// A Push classified and verified after an assumed chain head, without the store: how it divides
// (duplicates, candidates, where it ends) and verify_run's result for its candidates.
// apply_batches uses it only for the same envelopes, when the authority's stored head, read in
// its transaction, is still `from` and the trust and time are the ones it was verified with;
// otherwise it verifies the Push again there. So a VerifiedPush made from a wrong guess costs
// time, never correctness.
struct VerifiedPush {
  const protocol::Bytes* of = nullptr;        // envelopes.data() of the Push (kept by a move)
  std::size_t count = 0;                      // envelopes.size()
  protocol::ChainState from;                  // the chain head it was verified after
  const protocol::Trust* trust = nullptr;     // the bundle it was verified against
  std::uint64_t now_ms = 0;                   // the time it was verified at
  std::vector<std::size_t> candidates;        // indexes of the envelopes seq from+1, from+2...
  std::size_t duplicates = 0;                 // envelopes with seq <= from.last_seq, skipped
  bool gap = false;                           // ended at a seq beyond the next expected
  bool foreign = false;                       // ended at an envelope of another authority
  protocol::VerifiedRun run;                  // verify_run of the candidates after `from`

  // Whether it was made by verify_push(_, envelopes, trust, head, now_ms) for these arguments.
  bool verified(const std::vector<protocol::Bytes>& envelopes, const protocol::Trust& t,
                const protocol::ChainState& head, std::uint64_t now) const {
    return of == envelopes.data() && count == envelopes.size() && trust == &t &&
           now_ms == now && from.last_seq == head.last_seq && from.last_hash == head.last_hash;
  }
  // The chain head once every accepted envelope is applied: what the next Push of the same
  // authority is verified after.
  protocol::ChainState head_after() const {
    return run.accepted.empty() ? from : protocol::advance(from, run.accepted.back());
  }
};

// Classifies `envelopes` from `sender` after `from` (peek_envelope only), then verifies the
// candidates as one run (protocol::verify_run: one signature, the result of verifying one by
// one). Pure: no database, no shared state; safe on any thread.
VerifiedPush verify_push(std::string_view sender, const std::vector<protocol::Bytes>& envelopes,
                         const protocol::Trust& trust, const protocol::ChainState& from,
                         std::uint64_t now_ms);

// Runs `side` on a thread of its own while `here` runs on the caller's thread; returns once both
// are done. True when `side` completed; false when it threw or no thread could be started (the
// caller must then not use anything `side` made, and does its work itself). An exception of
// `here` is rethrown after the side thread is joined: no thread outlives the call.
bool run_alongside(const std::function<void()>& side, const std::function<void()>& here);

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
