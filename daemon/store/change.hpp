// The steps of one change, shared by Store::upsert/remove and Store::Import (docs/store.md §4,
// §11): decide (Store::prepare_*: read the record's row, compare canonical bytes, build the
// payload), stamp (seq, time and prev_hash continue the chain), sign, write the rows
// (Store::insert_change). A single change runs them in a row; an import signs on a second
// thread while the next records are decided (store_import.cpp). Internal to daemon/store.
#pragma once

#include <cstddef>

#include "aegis/protocol/envelope.hpp"
#include "store/store.hpp"

namespace aegis::store {

// A change decided but not yet stamped or signed.
struct PreparedChange {
  protocol::Envelope envelope;  // authority, signer serial, op, record id, payload
  protocol::Bytes body;         // the record's canonical bytes; empty for a delete
  bool shielded = false;
};

// What an envelope adds to the canonical bytes of the clear record it carries, at most: its
// header fields (authority id, seq, prev_hash, times, record id) and the signature around it
// (PROTOCOL.md §6). Used to know, before signing, that an envelope fits kMaxEnvelopeSize.
inline constexpr std::size_t kEnvelopeOverhead = 256;

// Sets seq and timestamp_ms continuing `head` (timestamps never go backwards along the chain,
// even when the clock does) and advances head.seq and head.created_ms. prev_hash is left to
// whoever signs (it is the hash of the envelope signed just before).
inline void stamp(protocol::Envelope& e, Head& head, std::uint64_t now_ms) {
  e.seq = ++head.seq;
  e.timestamp_ms = std::max(now_ms, head.created_ms);
  head.created_ms = e.timestamp_ms;
}

}  // namespace aegis::store
