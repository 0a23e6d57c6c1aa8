// The index's audit log on the wire (docs/PROTOCOL.md §15): audit entries (who did what, for
// which authority and purpose, touching which records — never search terms in clear) are the
// leaves of an RFC 9162 Merkle tree (merkle.hpp), and signed checkpoints (tree size, root,
// time, index certificate serial) commit the index to one history.
//
//   AuditEntryBody = [ version 1, timestamp_ms, action, actor, authority_id | nil, purpose,
//                      records, query_digest | nil, detail ]
//   records        = [ [ authority_id, record_id ], ... ]                  0..kMaxAuditRecords
//   leaf hash      = SHA-256(0x00 || AuditEntryBody bytes)
//   CheckpointBody = [ version 1, tree_size, root_hash, timestamp_ms, signer_serial ]
//   checkpoint (wire) = Signed{ body, Ed25519_index("AEGIS-AUDIT-CHECKPOINT-V1" || 0x00 || body) }
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "aegis/protocol/bytes.hpp"
#include "aegis/protocol/crypto.hpp"
#include "aegis/protocol/merkle.hpp"
#include "aegis/protocol/result.hpp"
#include "aegis/protocol/trust_bundle.hpp"

namespace aegis::protocol {

inline constexpr std::string_view kDomainAuditCheckpoint = "AEGIS-AUDIT-CHECKPOINT-V1";
inline constexpr std::uint64_t kAuditEntryVersion = 1;
inline constexpr std::uint64_t kCheckpointVersion = 1;
inline constexpr std::size_t kMaxAuditActorLen = 128;
inline constexpr std::size_t kMaxAuditPurposeLen = 256;
inline constexpr std::size_t kMaxAuditDetailLen = 1024;
inline constexpr std::size_t kMaxAuditRecords = 1024;
inline constexpr std::size_t kMaxAuditEntrySize = 128u << 10;  // 1024 refs at their limits fit
inline constexpr std::size_t kMaxCheckpointSize = 256;

enum class AuditAction : std::uint8_t {
  query = 1,            // a search: query_digest set, records = the records returned
  override_shield = 2,  // an authorised override of what a rule would withhold
  review = 3,           // a review decision on an uncertain match (records = the pair)
  enrolment = 4,        // a certificate entered the trust the index runs with
  revocation = 5,       // a certificate left it (revoked, or removed from the bundle)
  purge = 6,            // retention erased a record's personal data (records = that record)
  query_refused = 7,    // a query refused after its connection was authenticated (no records)
};
std::string_view audit_action_name(AuditAction a) noexcept;

struct AuditRecordRef {
  std::string authority_id;
  std::string record_id;
  bool operator==(const AuditRecordRef&) const = default;
};

struct AuditEntry {
  std::uint64_t timestamp_ms = 0;
  AuditAction action = AuditAction::query;
  std::string actor;                        // who: an operator or user id, never a name
  std::optional<std::string> authority_id;  // on whose behalf / which authority it concerns
  std::string purpose;                      // why (a purpose code or short text)
  std::vector<AuditRecordRef> records;      // records returned or affected
  std::optional<Hash> query_digest;         // query only: a keyed digest of the search terms
  std::string detail;                       // non-personal detail ("certificate serial 7")
  bool operator==(const AuditEntry&) const = default;
};

Bytes encode_audit_entry(const AuditEntry& e);
// Canonical decode with every rule of §15.2; errors name the field ("audit_entry.records[2]...").
Result<AuditEntry> decode_audit_entry(ByteView bytes);
// The Merkle leaf hash of an entry's encoding: merkle_leaf_hash(bytes).
inline MerkleHash audit_leaf_hash(ByteView entry_bytes) { return merkle_leaf_hash(entry_bytes); }

struct Checkpoint {
  std::uint64_t tree_size = 0;
  MerkleHash root_hash{};
  std::uint64_t timestamp_ms = 0;
  std::uint64_t signer_serial = 0;  // the index certificate that signed
  bool operator==(const Checkpoint&) const = default;
};

Bytes encode_checkpoint_body(const Checkpoint& c);
Result<Checkpoint> decode_checkpoint_body(ByteView bytes);
// The wire bytes (encoded Signed) of `c` signed by the index.
Bytes sign_checkpoint(const Checkpoint& c, const Signer& index);
// Structure, then the signer (a certificate of role index in `trust`, unrevoked, valid at
// now_ms and at the checkpoint's time), then the signature under the checkpoint domain.
Result<Checkpoint> verify_checkpoint(ByteView wire, const Trust& trust, std::uint64_t now_ms);

// What the index sends each authority with a checkpoint (§15.5), so that the authority holds it
// to one history: the signed checkpoint, the size of the previous checkpoint the index sent this
// authority (0 for the first), and the consistency proof from that one to this one.
//   CheckpointNotice = [ version 1, checkpoint (bin, the wire), from_size, [ bin(32), ... ] ]
struct CheckpointNotice {
  Bytes checkpoint;
  std::uint64_t from_size = 0;
  std::vector<MerkleHash> proof;
  bool operator==(const CheckpointNotice&) const = default;
};
inline constexpr std::uint64_t kCheckpointNoticeVersion = 1;

Bytes encode_checkpoint_notice(const CheckpointNotice& n);
Result<CheckpointNotice> decode_checkpoint_notice(ByteView bytes);

class Writer;
class Node;
// Nested inside a feed item of kind audit_checkpoint (feed.cpp): the same encoding and rules.
void write_checkpoint_notice(Writer& w, const CheckpointNotice& n);
CheckpointNotice read_checkpoint_notice(const Node& n);

// The authority's check of a notice against `held`, the last checkpoint it accepted (nullopt:
// none yet): the checkpoint verifies (verify_checkpoint at now_ms), and it extends `held` —
// from_size is held's size, and the proof links held to it (§15.1). A checkpoint of held's size
// must have held's root. Returns the checkpoint to hold from now on. A notice that does not
// extend `held` is `broken_chain` (the detail says "forked"): the index signed two histories.
Result<Checkpoint> accept_checkpoint_notice(const CheckpointNotice& notice,
                                            const std::optional<Checkpoint>& held,
                                            const Trust& trust, std::uint64_t now_ms);

}  // namespace aegis::protocol
