// The authority's store (docs/store.md): the current state of its child records and the outbox,
// its signed, hash-chained change log, in one SQLite database.
//
// Every change (upsert or remove) is ONE transaction: BEGIN IMMEDIATE, read the last (seq, hash),
// build and sign the envelope, write the outbox row and the record row, COMMIT. A failure
// anywhere rolls back both, so a record row and its envelope exist together or not at all.
//
// The store never touches a secret key, the clock or a random generator: a change is handed a
// Signing (a protocol::Signer, the time source and the seal randomness source).
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "aegis/protocol/bytes.hpp"
#include "aegis/protocol/crypto.hpp"
#include "aegis/protocol/envelope.hpp"
#include "aegis/protocol/record.hpp"
#include "aegis/protocol/seal.hpp"
#include "aegis/protocol/trust_bundle.hpp"
#include "aegis/protocol/verify.hpp"
#include "store/errors.hpp"
#include "sqlite/sqlite.hpp"

namespace aegis::store {

namespace sql = ::aegis::sqlite;  // the SQLite layer shared with the index store

// The schema version this build writes (PRAGMA user_version). Older databases are migrated on
// open; newer ones are refused with schema_too_new.
inline constexpr int kSchemaVersion = 2;
// File name of the database inside the configured data_dir.
inline constexpr std::string_view kDatabaseFileName = "aegis.db";

using Clock = std::function<std::uint64_t()>;  // Unix time, milliseconds, UTC
using SealRandomnessSource = std::function<protocol::SealRandomness()>;

// What a change needs that the store must not own itself.
struct Signing {
  const protocol::Signer& signer;                       // signs every envelope (keys::Identity)
  std::uint64_t signer_serial = 0;                      // serial of the signer's certificate
  std::vector<protocol::BoxPublicKey> seal_recipients;  // see seal_recipients() below
  Clock now_ms;                                         // the time of the change
  SealRandomnessSource seal_randomness;                 // fresh bytes for each sealed record
};

// Who may open a shielded child's details: the authority's own box key first, then every shield
// officer certificate that is unrevoked and valid at now_ms (duplicates dropped).
std::vector<protocol::BoxPublicKey> seal_recipients(const protocol::BoxPublicKey& own_box_key,
                                                    const protocol::Trust& trust,
                                                    std::uint64_t now_ms);

// What an upsert requires of the current state of the record id.
enum class Expect {
  any,      // create or replace
  absent,   // create only: a different live record with that id is `exists`
  present,  // replace only: no live record with that id is `not_found`
};

// The outcome of a change.
struct Change {
  bool changed = false;   // false: the identical record is already stored; nothing was appended
  std::uint64_t seq = 0;  // the new envelope's seq (unchanged: the record's last_seq)
  protocol::Hash hash{};  // the hash of that envelope
};

struct StoredRecord {
  protocol::ChildRecord record;  // the authority's clear copy (details never sealed here)
  std::uint64_t last_seq = 0;    // seq of the envelope that wrote this state
  std::uint64_t updated_ms = 0;
};

// One row of `records` without its body (listing never decodes personal data).
struct RecordSummary {
  std::string record_id;
  bool shielded = false;
  bool deleted = false;  // a tombstone: the body is gone, the id and last_seq remain
  std::uint64_t last_seq = 0;
  std::uint64_t updated_ms = 0;
};

// One row of `outbox`.
struct OutboxEntry {
  std::uint64_t seq = 0;
  std::string record_id;
  protocol::Operation op = protocol::Operation::upsert;
  std::uint64_t created_ms = 0;  // the envelope's timestamp_ms
  protocol::Hash hash{};         // envelope_hash(envelope)
  protocol::Bytes envelope;      // the wire bytes (encoded Signed)
};

// The first problem verify_chain found. `code` is a protocol error name (bad_signature,
// broken_chain...) or one of the store's own checks (docs/store.md, "Verifying the chain").
struct ChainProblem {
  std::uint64_t seq = 0;
  std::string code;
  std::string detail;  // names record ids and seqs only
};

struct ChainReport {
  std::uint64_t verified = 0;           // envelopes that passed before the first problem
  std::optional<ChainProblem> problem;  // nullopt: the whole chain is intact
  bool intact() const { return !problem.has_value(); }
};

// ---- Sync (docs/store.md §10) ---------------------------------------------------------------

// A rejection the index reported for one of this authority's envelopes.
struct SyncReject {
  std::uint64_t seq = 0;
  std::string code;    // a protocol error name (errc_name)
  std::string detail;  // names fields and seqs only
  std::uint64_t at_ms = 0;
};

// What this authority last heard from the index, kept across restarts (for status; the index's
// Welcome is what resumes a session).
struct SyncState {
  std::uint64_t acked_seq = 0;
  std::uint64_t acked_ms = 0;
  std::optional<SyncReject> last_reject;
};

// The outcome of storing a FeedBatch.
struct FeedOutcome {
  std::uint64_t feed_seq = 0;  // the feed position now durably stored
  std::size_t stored = 0;      // new items stored (replayed ones are skipped)
  // The first item that failed verification; it and the items after it were not stored.
  std::optional<protocol::Error> problem;
};

struct OpenOptions {
  int busy_timeout_ms = 5000;  // how long a change waits for another writer's lock
};

class Store {
 public:
  // Creates a new database file (refused with `exists` if the file is there) for authority_id.
  static Result<Store> create(const std::filesystem::path& file, std::string_view authority_id,
                              std::uint64_t now_ms, const OpenOptions& options = {});
  // Opens an existing database, migrating an older schema; refuses one of another authority.
  static Result<Store> open(const std::filesystem::path& file, std::string_view authority_id,
                            const OpenOptions& options = {});

  const std::string& authority_id() const { return authority_id_; }
  std::uint64_t created_ms() const { return created_ms_; }

  // Creates or replaces a record and appends its envelope. Storing a record identical to the
  // live one appends nothing and returns changed = false (idempotent imports).
  Result<Change> upsert(const protocol::ChildRecord& record, const Signing& signing,
                        Expect expect = Expect::any);
  // Deletes a live record (not_found otherwise): appends a delete envelope and leaves a
  // tombstone row (body removed).
  Result<Change> remove(std::string_view record_id, const Signing& signing);

  // The live record (not_found when absent or deleted).
  Result<StoredRecord> get(std::string_view record_id);
  // Every record row in record id order.
  Result<std::vector<RecordSummary>> list_records(bool include_deleted = false);
  // Outbox rows with seq >= from_seq in seq order; limit 0 means all.
  Result<std::vector<OutboxEntry>> read_outbox(std::uint64_t from_seq, std::size_t limit);
  // The last envelope's (seq, hash); zeros when the outbox is empty.
  Result<protocol::ChainState> last();
  // Runs protocol::verify_envelope over every outbox row in order, checks that each row's
  // columns match its envelope, and that every record row matches its latest envelope.
  // The Result's error is only for failures to read the database.
  Result<ChainReport> verify_chain(const protocol::Trust& trust, std::uint64_t now_ms);

  // ---- Sync ----
  // The wire bytes of envelopes from_seq..to_seq (inclusive) in seq order; fewer when the outbox
  // ends first. The push path: one prepared statement, kept and reused.
  Result<std::vector<protocol::Bytes>> read_envelopes(std::uint64_t from_seq,
                                                      std::uint64_t to_seq);
  // The envelope's timestamp_ms at `seq` (when it was committed); nullopt when there is none.
  Result<std::optional<std::uint64_t>> envelope_time(std::uint64_t seq);

  // The last stored feed item's (seq, hash); zeros when none.
  Result<protocol::ChainState> feed_head();
  // Verifies `items` in order with protocol::verify_feed_item (signed by an index certificate
  // of `index_id`, addressed to this authority, continuing the stored feed chain) and stores
  // those that continue it in ONE transaction: the feed rows and the national ids they assign.
  // Items at or below the stored head are skipped (a resend). Stops at the first item that
  // fails; the ones before it are stored.
  Result<FeedOutcome> store_feed(const std::vector<protocol::Bytes>& items,
                                 const protocol::Trust& trust, std::string_view index_id,
                                 std::uint64_t now_ms);
  // The national id the index assigned to `record_id` (nullopt: none yet).
  Result<std::optional<std::string>> national_id(std::string_view record_id);
  Result<std::uint64_t> national_id_count();

  Result<SyncState> sync_state(std::string_view index_id);
  // Records the index's acknowledgement; clears a rejection it overtook (acked_seq >= its seq).
  Status save_acked(std::string_view index_id, std::uint64_t acked_seq, std::uint64_t now_ms);
  Status save_reject(std::string_view index_id, const SyncReject& reject);

  // ---- Trust bundle rollback (docs/keys.md, "Rollback") ----
  // The highest trust bundle version this authority has accepted (meta.trust_version; 0: none).
  // Every load of the bundle passes it as min_version.
  Result<std::uint64_t> trust_version();
  // Records that `version` was accepted; the stored version only moves up.
  Status record_trust_version(std::uint64_t version);

 private:
  Store(sql::Db db, std::string authority_id, std::uint64_t created_ms)
      : db_(std::move(db)), authority_id_(std::move(authority_id)), created_ms_(created_ms) {}
  // Appends `envelope` to the outbox and writes the record row, inside the open transaction.
  Result<Change> append(const protocol::Envelope& envelope, const protocol::Signer& signer,
                        const protocol::Bytes* body, bool shielded);

  sql::Db db_;
  std::string authority_id_;
  std::uint64_t created_ms_ = 0;
  std::optional<sql::Statement> read_envelopes_;  // after db_: finalized before it closes
};

}  // namespace aegis::store
