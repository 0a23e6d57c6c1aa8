// The index → authority feed (docs/PROTOCOL.md §13): a per-authority, seq-numbered,
// hash-chained list of items signed by the index, telling an authority what it may know.
// Same chain rules as envelopes (§6.5), but signed by a certificate of role `index` under its
// own domain.
//
//   FeedItemBody = [ 2, authority_id, seq, prev_hash, timestamp_ms, signer_serial, kind, data ]
//   data (applied)     = [ applied_seq, applied_hash ]
//   data (national_id) = [ [ record_id, national_id ], ... ]   1..kMaxNationalIdsPerItem
//   wire form = Signed{ body, Ed25519_index(domain "AEGIS-FEED-V1") }
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "aegis/protocol/bytes.hpp"
#include "aegis/protocol/crypto.hpp"
#include "aegis/protocol/result.hpp"
#include "aegis/protocol/trust_bundle.hpp"
#include "aegis/protocol/verify.hpp"

namespace aegis::protocol {

inline constexpr std::string_view kDomainFeed = "AEGIS-FEED-V1";
// Version 2 (2026-11-26): a national_id item carries up to kMaxNationalIdsPerItem assignments,
// so one signature covers every record a Push made known (version 1 carried one).
inline constexpr std::uint64_t kFeedItemVersion = 2;
inline constexpr std::size_t kMaxNationalIdsPerItem = 512;
inline constexpr std::size_t kMaxFeedItemSize = 64u << 10;
inline constexpr std::size_t kNationalIdLen = 16;  // Crockford base32, upper case

enum class FeedKind : std::uint8_t {
  applied = 1,      // the index durably applied this authority's chain up to applied_seq
  national_id = 2,  // the national child ids the index assigned to some of this authority's records
};

struct NationalIdAssignment {
  std::string record_id;
  std::string national_id;  // kNationalIdLen chars of Crockford base32
  bool operator==(const NationalIdAssignment&) const = default;
};

struct FeedItem {
  std::string authority_id;        // the authority this item is for
  std::uint64_t seq = 0;           // 1, 2, 3... per authority, no gaps
  Hash prev_hash{};                // hash of item seq-1; zeros for seq 1
  std::uint64_t timestamp_ms = 0;
  std::uint64_t signer_serial = 0; // the index certificate that signed
  FeedKind kind = FeedKind::applied;
  // kind == applied
  std::uint64_t applied_seq = 0;
  Hash applied_hash{};
  // kind == national_id: 1..kMaxNationalIdsPerItem, each record id once
  std::vector<NationalIdAssignment> national_ids;
  bool operator==(const FeedItem&) const = default;
};

// True for exactly kNationalIdLen characters of 0-9 A-H J K M N P-T V-Z.
bool valid_national_id(std::string_view id) noexcept;
// The national id spelling of 80 bits (10 bytes, most significant bit first, 5 bits per
// character): how the index turns its chosen bits (random or derived) into an id.
std::string encode_national_id(const ByteArray<10>& bits);

Bytes encode_feed_item_body(const FeedItem& f);
Result<FeedItem> decode_feed_item_body(ByteView bytes);
Bytes sign_feed_item(const FeedItem& f, const Signer& index);
Hash feed_item_hash(ByteView wire);

struct VerifiedFeedItem {
  FeedItem item;
  Hash hash{};
};

// Verifies a feed item received by `authority_id`: structure, signer certificate of role index
// (unknown/wrong_role/revoked/expired), signature, addressed to this authority (wrong_role if
// not), and the chain (replayed/out_of_order/broken_chain). Same order as verify_envelope.
Result<VerifiedFeedItem> verify_feed_item(ByteView wire, const Trust& trust,
                                          std::string_view authority_id, const ChainState& chain,
                                          std::uint64_t now_ms);

// Advances the feed chain over an accepted item.
inline ChainState advance(const ChainState&, const VerifiedFeedItem& v) {
  return ChainState{v.item.seq, v.hash};
}

}  // namespace aegis::protocol
