// The index → authority feed (docs/PROTOCOL.md §13): a per-authority, seq-numbered,
// hash-chained list of items signed by the index, telling an authority what it may know.
// Same chain rules as envelopes (§6.5), but signed by a certificate of role `index` under its
// own domain.
//
//   FeedItemBody = [ version, authority_id, seq, prev_hash, timestamp_ms, signer_serial, kind,
//                    data ]                                     version 2 or 3 (3 is written)
//   data (applied)     = [ applied_seq, applied_hash ]
//   data (national_id) = [ [ record_id, national_id ], ... ]   1..kMaxNationalIdsPerItem
//   data (elsewhere)   = [ record_id, national_id, other_authority_id, other_record_id, state,
//                          details | nil ]                      version 3 and later
//   data (audit_checkpoint) = CheckpointNotice (audit.hpp)      version 4 and later
//   data (access_notice)   = [ record_id, viewer_authority_id, user_id, role, purpose, time_ms ]
//   data (override_notice) = the same + [ reason ]              version 5 and later
//   data (access_notice)   = [ [ record_id, ... time_ms ], ... ]  version 6 and later:
//                            1..kMaxNoticesPerItem notices in one item
//   wire form = Signed{ body, Ed25519_index(domain "AEGIS-FEED-V1") }
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "aegis/protocol/audit.hpp"
#include "aegis/protocol/bytes.hpp"
#include "aegis/protocol/crypto.hpp"
#include "aegis/protocol/envelope.hpp"
#include "aegis/protocol/query.hpp"
#include "aegis/protocol/record.hpp"
#include "aegis/protocol/result.hpp"
#include "aegis/protocol/trust_bundle.hpp"
#include "aegis/protocol/verify.hpp"

namespace aegis::protocol {

inline constexpr std::string_view kDomainFeed = "AEGIS-FEED-V1";
// Version 2 (2026-11-26): a national_id item carries up to kMaxNationalIdsPerItem assignments,
// so one signature covers every record a Push made known (version 1 carried one).
// Version 3 (2026-11-26): adds the kind `elsewhere` (a record of this authority known to another
// authority). Encoders write FeedItem::version (kFeedItemVersion unless set); decoders accept
// kOldestFeedItemVersion..kFeedItemVersion, so stored version 2 items still verify.
inline constexpr std::uint64_t kFeedItemVersion = 3;
// Version 5 (2026-11-26): adds the kinds access_notice and override_notice (practitioner
// queries, PROTOCOL.md §16); the index writes it for those kinds only (FeedItem::version), so
// an authority not upgraded yet still accepts the other kinds. Decoders accept it too.
inline constexpr std::uint64_t kNoticeFeedItemVersion = 5;
// Version 6 (2026-11-28): an access_notice item carries a list of 1..kMaxNoticesPerItem notices
// (the index gathers a second's accesses to one authority's records into one signed item,
// PROTOCOL.md §16.6); version 5 carried one. The index writes it for access_notice items only
// (override notices stay version 5, one an item, sent at once). Decoders accept 2 to 6.
inline constexpr std::uint64_t kNoticeListFeedItemVersion = 6;
inline constexpr std::size_t kMaxNoticesPerItem = 512;
// Version 4 (2026-11-26): adds the kind audit_checkpoint (PROTOCOL.md §15.5, docs/audit.md); the
// index writes it for that kind only, as version 5 for the notices. A version is a superset of
// the one before: version 5 knows kind 4 too.
inline constexpr std::uint64_t kCheckpointFeedItemVersion = 4;
inline constexpr std::uint64_t kOldestFeedItemVersion = 2;
inline constexpr std::size_t kMaxNationalIdsPerItem = 512;
// An elsewhere item carries at most one record's details, and a record fits one envelope: an
// item is at most an envelope plus room for its own fields.
inline constexpr std::size_t kMaxFeedItemSize = kMaxEnvelopeSize + (4u << 10);
inline constexpr std::size_t kNationalIdLen = 16;  // Crockford base32, upper case

enum class FeedKind : std::uint8_t {
  applied = 1,      // the index durably applied this authority's chain up to applied_seq
  national_id = 2,  // the national child ids the index assigned to some of this authority's records
  elsewhere = 3,    // one of this authority's records is linked to a record of another authority
  audit_checkpoint = 4,  // a signed checkpoint of the index's audit log, with its consistency proof
  access_notice = 5,    // another authority's user was answered with one of this authority's records
  override_notice = 6,  // another authority's user broke the glass on one of its records
};

// What an elsewhere item says of the pair (record_id, other record).
enum class ElsewhereState : std::uint8_t {
  unlinked = 0,  // no longer the same child: forget the pair (no details)
  linked = 1,    // the same child; details = what this authority may see of the other record
  shielded = 2,  // the same child, shielded there: "contact its shield team" (no details)
};

// The data of an elsewhere item. The latest item for a (record_id, other_authority_id,
// other_record_id) replaces any earlier one.
struct ElsewhereLink {
  std::string record_id;           // this authority's record
  std::string national_id;         // its national child id (kNationalIdLen chars)
  std::string other_authority_id;  // the other authority that knows the child
  std::string other_record_id;     // its record id there
  ElsewhereState state = ElsewhereState::linked;
  // linked: the shareable part of the other record's details (details_for_elsewhere): no
  // address, identifiers or shield, no sensitive involvement. unlinked, shielded: none.
  std::optional<ChildDetails> details;
  bool operator==(const ElsewhereLink&) const = default;
};

struct NationalIdAssignment {
  std::string record_id;
  std::string national_id;  // kNationalIdLen chars of Crockford base32
  bool operator==(const NationalIdAssignment&) const = default;
};

struct FeedItem {
  std::uint64_t version = kFeedItemVersion;  // 2 to 5; elsewhere needs 3, audit_checkpoint 4, notices 5
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
  // kind == elsewhere
  ElsewhereLink elsewhere;
  // kind == override_notice (with its reason), and access_notice in version 5
  AccessNotice notice;
  // kind == access_notice in version 6 and later: 1..kMaxNoticesPerItem (item_notices reads
  // either form)
  std::vector<AccessNotice> notices;
  // kind == audit_checkpoint: the checkpoint and the proof that it extends the previous one sent
  // to this authority (accept_checkpoint_notice checks it)
  CheckpointNotice checkpoint_notice;
  bool operator==(const FeedItem&) const = default;
};

// True for exactly kNationalIdLen characters of 0-9 A-H J K M N P-T V-Z.
bool valid_national_id(std::string_view id) noexcept;
// The national id spelling of 80 bits (10 bytes, most significant bit first, 5 bits per
// character): how the index turns its chosen bits (random or derived) into an id.
std::string encode_national_id(const ByteArray<10>& bits);

// The part of a record's details another authority may see of it (PROTOCOL.md §13.2): its
// contacts and its involvements that are not sensitive; no address, identifiers or shield. The
// caller sends a shielded record as ElsewhereState::shielded with no details at all.
ChildDetails details_for_elsewhere(const ChildDetails& full);

// The access or override notices an item carries, whatever its version: `notices` for an
// access_notice item of version 6 and later, `notice` for one of version 5 and for an
// override_notice; none for the other kinds.
std::span<const AccessNotice> item_notices(const FeedItem& f) noexcept;

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
