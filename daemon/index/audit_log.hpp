// The index's tamper-evident audit log (docs/audit.md): every query, override, review decision,
// enrolment and revocation as an entry (protocol/audit.hpp) appended to an RFC 9162 Merkle tree,
// with checkpoints of the tree signed by the index. Its tables live in the index database, so an
// entry is written in the same transaction as the action it records; they are append-only
// (triggers refuse UPDATE and DELETE) and `verify` finds what an edit of the file itself did.
//
// Tables (created by create_tables; their own version, meta key `audit_schema`):
//   audit_entries (idx, entry, leaf_hash)        leaf idx = the entry's place, 0, 1, 2...
//   audit_checkpoints (tree_size, time_ms, wire) signed checkpoints, one per tree size
//   audit_state (tree_size, peaks)               the Merkle frontier after the last entry
//   audit_trust (serial, subject_id, role, ...)  the certificates active at the last trust load
//   audit_sent (authority_id, tree_size)         the last checkpoint each authority's feed got
//
// Every method works inside the caller's open transaction (IndexStore opens it): an entry, the
// frontier it moves and the checkpoint it completes commit or roll back with the action.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "aegis/protocol/audit.hpp"
#include "aegis/protocol/bytes.hpp"
#include "aegis/protocol/crypto.hpp"
#include "aegis/protocol/merkle.hpp"
#include "aegis/protocol/trust_bundle.hpp"
#include "index/errors.hpp"
#include "sqlite/sqlite.hpp"

namespace aegis::index {

// When a checkpoint is due: once this many entries were appended since the last one, or this
// long after it (with at least one new entry). The first entry is checkpointed at once.
struct AuditPolicy {
  std::uint64_t every_entries = 1000;
  std::uint64_t every_ms = 60'000;
};

struct StoredCheckpoint {
  protocol::Checkpoint checkpoint;
  protocol::Bytes wire;  // the signed checkpoint, as the authorities receive it
};

// The first thing verify found wrong. Codes (docs/audit.md, "Verification"):
//   missing_entry     a leaf index is absent (an entry was deleted)
//   invalid_entry     an entry does not decode (protocol error in detail)
//   leaf_mismatch     an entry's stored leaf hash is not the hash of its bytes (edited)
//   bad_checkpoint    a stored checkpoint does not verify (signature, signer, structure)
//   root_mismatch     a checkpoint's root is not the root of the entries it covers (edited,
//                     reordered or replaced entries)
//   truncated         a checkpoint covers more entries than the log holds (entries removed)
//   state_mismatch    the stored frontier is not that of the entries (an entry added behind
//                     the store's back)
//   forked            the log is not an extension of a checkpoint given from outside
struct AuditProblem {
  std::string code;
  std::uint64_t index = 0;  // the entry (leaf index) or the checkpoint's tree size
  std::string detail;
};

struct AuditReport {
  std::uint64_t entries = 0;      // entries in the log
  std::uint64_t checkpoints = 0;  // checkpoints verified
  protocol::MerkleHash root{};    // the root of every entry
  std::optional<AuditProblem> problem;
  bool intact() const { return !problem; }
};

// An entry, its leaf hash and the proof that it is in the tree of a signed checkpoint.
struct InclusionProof {
  std::uint64_t index = 0;
  protocol::Bytes entry;
  protocol::MerkleHash leaf_hash{};
  StoredCheckpoint checkpoint;
  std::vector<protocol::MerkleHash> proof;
};

class AuditLog {
 public:
  // Creates the audit tables when meta has no `audit_schema` yet (inside a write transaction);
  // schema_too_new when it names a newer version.
  static Status create_tables(sqlite::Db& db);
  // True when the audit tables exist (a store that never logged anything has none).
  static Result<bool> has_tables(sqlite::Db& db);
  // Prepares the statements on the store's connection (the tables must exist).
  static Result<AuditLog> prepare(sqlite::Db& db);

  // Appends an entry (encoded canonically); returns its leaf index.
  Result<std::uint64_t> append(const protocol::AuditEntry& entry);
  // Signs and stores a checkpoint of the whole log when `policy` says one is due at now_ms;
  // nullopt when none is.
  Result<std::optional<StoredCheckpoint>> checkpoint_if_due(std::uint64_t now_ms,
                                                            const AuditPolicy& policy,
                                                            const protocol::Signer& signer,
                                                            std::uint64_t signer_serial);
  // Appends an enrolment entry for each certificate active in `trust` at now_ms that was not at
  // the last call, and a revocation entry for each that no longer is (revoked, expired, removed),
  // and remembers the active set. The first call enrols every active certificate.
  Result<std::size_t> record_trust(const protocol::Trust& trust, std::uint64_t now_ms);

  Result<std::uint64_t> size();
  Result<protocol::Bytes> entry(std::uint64_t index);  // not_found beyond the log
  Result<std::optional<StoredCheckpoint>> latest_checkpoint();
  // The checkpoint of exactly `tree_size` entries; not_found if none was made.
  Result<StoredCheckpoint> checkpoint(std::uint64_t tree_size);
  // The inclusion proof of entry `index` in the latest checkpoint (not_found when no checkpoint
  // covers it yet).
  Result<InclusionProof> prove_inclusion(std::uint64_t index);
  // The consistency proof from the tree of old_size entries to that of new_size.
  Result<std::vector<protocol::MerkleHash>> prove_consistency(std::uint64_t old_size,
                                                              std::uint64_t new_size);

  // The leaf hashes of entries 0 .. size-1 (corrupt when one is missing or damaged).
  Result<std::vector<protocol::MerkleHash>> leaf_hashes(std::uint64_t size);
  // The authorities enrolled at the last record_trust (an active certificate of role authority).
  Result<std::vector<std::string>> enrolled_authorities();
  // The size of the last checkpoint sent in `authority_id`'s feed; 0 when none was.
  Result<std::uint64_t> sent_size(std::string_view authority_id);
  Status record_sent(std::string_view authority_id, std::uint64_t tree_size);

  // Re-reads the whole log: every entry decodes and has the leaf hash stored with it, the leaf
  // indexes run without a gap, every checkpoint verifies against `trust` (at its own time) and
  // its root is that of the entries it covers, and the frontier is that of the entries.
  // `outside`: checkpoints received from elsewhere (an authority's last one): the log must
  // extend each of them, else `forked`. The Result's error is only for failures to read.
  Result<AuditReport> verify(const protocol::Trust& trust,
                             const std::vector<protocol::Bytes>& outside = {});

 private:
  struct Statements {
    std::optional<sqlite::Statement> insert_entry, read_state, write_state, latest_checkpoint;
  };
  explicit AuditLog(sqlite::Db& db) : db_(&db) {}
  Result<protocol::MerkleFrontier> frontier();
  sqlite::Db* db_;
  Statements st_;
};

}  // namespace aegis::index
