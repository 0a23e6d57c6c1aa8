// The authority's store (docs/store.md): the current state of its child records and the outbox,
// its signed, hash-chained change log, in one SQLite database.
//
// Every change (upsert or remove) is ONE transaction: BEGIN IMMEDIATE, read the last (seq, hash),
// build and sign the envelope, write the outbox row and the record row, COMMIT. A failure
// anywhere rolls back both, so a record row and its envelope exist together or not at all.
// An import (Store::Import) is many changes in one transaction: a whole file, or nothing of it.
//
// The store never touches a secret key, the clock or a random generator: a change is handed a
// Signing (a protocol::Signer, a protocol::MatchTokenizer, the time source and the seal
// randomness source).
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_set>
#include <variant>
#include <vector>

#include "aegis/protocol/audit.hpp"
#include "aegis/protocol/bytes.hpp"
#include "aegis/protocol/crypto.hpp"
#include "aegis/protocol/envelope.hpp"
#include "aegis/protocol/feed.hpp"
#include "aegis/protocol/query.hpp"
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
inline constexpr int kSchemaVersion = 6;
// File name of the database inside the configured data_dir.
inline constexpr std::string_view kDatabaseFileName = "aegis.db";

using Clock = std::function<std::uint64_t()>;  // Unix time, milliseconds, UTC
using SealRandomnessSource = std::function<protocol::SealRandomness()>;

// What a change needs that the store must not own itself.
struct Signing {
  const protocol::Signer& signer;                       // signs every envelope (keys::Identity)
  std::uint64_t signer_serial = 0;                      // serial of the signer's certificate
  const protocol::MatchTokenizer& tokenizer;            // match tokens (keys::MatchingKey)
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
  protocol::Bytes envelope;      // the wire bytes (encoded Signed); empty once purged
  bool purged = false;           // retention purged its payload (docs/store.md §13)
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

// The audit checkpoint this authority holds the index to (docs/audit.md, "Checkpoints in the
// authorities' feeds"): the last one a feed item brought that extended the one held before.
struct HeldCheckpoint {
  protocol::Checkpoint checkpoint;
  protocol::Bytes wire;        // as signed by the index
  std::uint64_t feed_seq = 0;  // the feed item that brought it
};

// A checkpoint notice the authority refused (protocol::accept_checkpoint_notice): the index
// signed a history that does not extend the one it showed before, or a checkpoint that does not
// verify. The item itself is stored in the feed (it is the index's signed evidence); this row
// keeps both checkpoints and the failed proof until an operator resolves it.
struct CheckpointFork {
  std::uint64_t id = 0;
  std::uint64_t feed_seq = 0;
  std::uint64_t detected_ms = 0;
  std::optional<protocol::Bytes> held;  // the held checkpoint's wire then (none: nullopt)
  std::uint64_t held_size = 0;
  protocol::Bytes notice;               // the refused notice: its checkpoint and proof
  std::optional<std::uint64_t> notice_size;  // the size its checkpoint claims, if it decodes
  bool verified = false;                // its checkpoint verified (only the proof failed)
  std::string code;                     // a protocol error name (broken_chain: forked)
  std::string detail;
  std::optional<std::uint64_t> resolved_ms;
};

// The outcome of storing a FeedBatch.
struct FeedOutcome {
  std::uint64_t feed_seq = 0;  // the feed position now durably stored
  std::size_t stored = 0;      // new items stored (replayed ones are skipped)
  // The first item that failed verification; it and the items after it were not stored.
  std::optional<protocol::Error> problem;
  std::size_t checkpoints = 0;         // audit checkpoints accepted (now held)
  std::vector<CheckpointFork> forks;   // audit checkpoint notices refused (stored, recorded)
};

// One record of another authority that the index linked to one of this authority's records
// (a feed elsewhere item, docs/store.md §12): "also known to".
struct KnownElsewhere {
  std::string other_authority_id;
  std::string other_record_id;
  // Shielded there: nothing is shared but "contact its shield team"; `details` is empty.
  bool shielded = false;
  // Linked: what this authority may see of the other record — its contacts and its involvements
  // that are not sensitive (never an address, identifier or shield: PROTOCOL.md §13.2).
  protocol::ChildDetails details;
  std::uint64_t feed_seq = 0;  // the feed item that said so last
};

// An access or override notice received in the feed (kinds 5 and 6, docs/query.md rule 8):
// another authority's user was answered with one of this authority's records.
struct ReceivedNotice {
  std::uint64_t feed_seq = 0;
  std::uint64_t received_ms = 0;
  bool override_notice = false;
  protocol::AccessNotice notice;
};

// ---- Imports (docs/store.md §11, docs/adapters.md) --------------------------------------------

// One row of `imports`: a file imported in one transaction. Counts and names only, never a
// field of a record.
struct ImportRow {
  std::uint64_t id = 0;             // 1, 2, 3... (set by Import::finish)
  std::string file_name;            // the file's name, without its directory
  protocol::ByteArray<32> sha256{};  // SHA-256 of the file's bytes
  std::string format;               // "ctf", "cin", "csv"
  std::string source;               // who sent it, from the file's header ("school 8231234")
  std::uint64_t records = 0;        // valid records read (changed or not)
  std::uint64_t changed = 0;        // changes appended: records that differed, plus left_roll
  std::uint64_t quarantined = 0;    // invalid records, reported and not imported
  std::uint64_t left_roll = 0;      // full CTF: children no longer on the roll (setting ended)
  std::uint64_t first_seq = 0;      // the envelopes appended; 0, 0 when none
  std::uint64_t last_seq = 0;
  std::uint64_t imported_ms = 0;    // when it committed (set by Import::finish)
};

// ---- Retention (docs/store.md §13, docs/query.md "Retention") -------------------------------

// A record's retention row (all defaults when it has none).
struct RetentionState {
  bool consent_to_retain = false;
  std::optional<std::uint64_t> archived_ms;       // archived: kept, no longer returned by search
  std::optional<std::uint64_t> purge_started_ms;  // its delete envelope appended (purge step 1)
  std::optional<std::uint64_t> purged_ms;         // personal data erased (purge step 2)
};

// Live records by where they stand on a day (retention::Stage), and the rows already done.
struct RetentionCounts {
  std::uint64_t active = 0;
  std::uint64_t archive_due = 0;  // due for archiving, not archived yet
  std::uint64_t purge_due = 0;    // due for purging, not purged yet
  std::uint64_t archived = 0;     // archived and not purged
  std::uint64_t purged = 0;
};

// What one retention run did. Record ids only (never personal data): the daemon logs them.
struct RetentionRun {
  std::vector<std::string> archived;  // newly archived
  std::vector<std::string> purged;    // newly purged
  // Due for purging, but the index has not acknowledged all of their envelopes yet (a purged
  // envelope can no longer be sent): purged by a later run.
  std::vector<std::string> waiting_sync;
};

// The last envelope as the writer needs it (one transaction tracks it in memory).
struct Head {
  std::uint64_t seq = 0;
  protocol::Hash hash{};
  std::uint64_t created_ms = 0;
};

struct PreparedChange;  // store/change.hpp

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
  // columns match its envelope, and that every record row matches its latest envelope: the
  // identity, and for a clear child the details (minus the identifiers in a version-2 payload,
  // which carries them only as match tokens). With `tokenizer`, a version-2 payload's tokens
  // must also be those of the record's valid identifiers, when made under the tokenizer's key
  // id (older key ids cannot be recomputed and are not checked).
  // The Result's error is only for failures to read the database.
  Result<ChainReport> verify_chain(const protocol::Trust& trust, std::uint64_t now_ms,
                                   const protocol::MatchTokenizer* tokenizer = nullptr);

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
  // those that continue it in ONE transaction: the feed rows, the national ids they assign and
  // the elsewhere links they set or remove (the latest item wins). Items at or below the stored
  // head are skipped (a resend). Stops at the first item that fails; the ones before it are
  // stored.
  Result<FeedOutcome> store_feed(const std::vector<protocol::Bytes>& items,
                                 const protocol::Trust& trust, std::string_view index_id,
                                 std::uint64_t now_ms);
  // The other authorities' records linked to `record_id`, by (other_authority_id,
  // other_record_id); empty when none (or no such record).
  Result<std::vector<KnownElsewhere>> elsewhere(std::string_view record_id);
  // ---- Audit checkpoints from the feed (store_checkpoint.cpp, docs/audit.md) ----
  // The checkpoint held (nullopt: none received yet).
  Result<std::optional<HeldCheckpoint>> held_checkpoint();
  // The forks recorded, oldest first; only the unresolved ones unless `include_resolved`.
  Result<std::vector<CheckpointFork>> checkpoint_forks(bool include_resolved = false);
  // An operator has dealt with every open fork: they are marked resolved at now_ms, and the
  // checkpoint of the latest one becomes the one held when it verified (so later notices are
  // checked against the index's current history). Returns how many were resolved.
  Result<std::size_t> resolve_checkpoint_forks(std::uint64_t now_ms);

  // The access and override notices held in the feed, newest first, at most `max`
  // (store_notices.cpp). corrupt when a stored item does not decode.
  Result<std::vector<ReceivedNotice>> notices(std::size_t max);
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

  // ---- Retention (docs/store.md §13) ----
  Result<RetentionState> retention_state(std::string_view record_id);
  // Records (or withdraws) a consent to retain for a live record: it moves the archive date
  // from the 18th to the 25th birthday. not_found when there is no live record.
  Status set_consent_to_retain(std::string_view record_id, bool consent);
  // Counts the records by stage on `today` (nothing changes).
  Result<RetentionCounts> retention_counts(protocol::Date today);
  // Archives every live record due on `today` and purges every one due for purging (purge()),
  // each record in transactions of its own. Safe to repeat and to kill at any point: what is
  // done is not done again, what was begun is finished by the next run.
  Result<RetentionRun> run_retention(protocol::Date today, const Signing& signing);
  // Marks a live record archived (kept; a no-op when it is already). not_found when none.
  Status archive(std::string_view record_id, std::uint64_t now_ms);
  // Purges a record, in two steps: (1) a live record gets a delete envelope like remove() (the
  // index drops it from matching and tells the other authorities), its purge noted first;
  // (2) once the index has acknowledged every envelope of the record, ONE transaction erases
  // the payload of each (header columns and hash stay, prev_hash is kept beside them, the row
  // is marked purged) and the elsewhere rows and feed items about it. Returns true when the
  // record is erased (also when it already was), false while step 2 waits for the index.
  // not_found when the store never had a live record with that id.
  Result<bool> purge(std::string_view record_id, const Signing& signing);
  // Every outbox row of one record, in seq order (subject access: the envelopes' metadata;
  // `envelope` is left empty). Empty when the store never had the record.
  Result<std::vector<OutboxEntry>> record_envelopes(std::string_view record_id);
  // Moves every WAL frame into the database file and truncates the WAL (after a purge, so the
  // erased pages do not linger in it). Busy readers make it partial; it is retried next run.
  Status truncate_wal();

  // ---- Imports ----
  class Import;
  // Opens ONE write transaction (BEGIN IMMEDIATE) for a whole file: the store's write lock is
  // held until the Import is finished or destroyed (which rolls everything back). The Store and
  // `signing` must outlive the Import, and the Store must not be moved meanwhile.
  Result<Import> begin_import(const Signing& signing);
  // The latest import of a file with these bytes (nullopt: never imported).
  Result<std::optional<ImportRow>> last_import_of(const protocol::ByteArray<32>& sha256);
  // Every import, oldest first.
  Result<std::vector<ImportRow>> list_imports();

 private:
  // Step 2 of purge(): erases a deleted record's envelopes, elsewhere rows and feed items in one
  // transaction, once the index acknowledged them all (false until then). store_retention.cpp.
  Result<bool> erase_purged(std::string_view record_id, std::uint64_t now_ms);

  // Inside store_feed's transaction: an audit_checkpoint item's notice checked against the held
  // checkpoint; held on success, recorded as a fork (returned) on failure. store_checkpoint.cpp.
  Result<std::optional<CheckpointFork>> apply_checkpoint_notice(const protocol::FeedItem& item,
                                                                const protocol::Trust& trust,
                                                                std::uint64_t now_ms);
  Store(sql::Db db, std::string authority_id, std::uint64_t created_ms)
      : db_(std::move(db)), authority_id_(std::move(authority_id)), created_ms_(created_ms) {}
  // The one write path of every change (single or imported), inside an open write transaction
  // whose last envelope is `head` (advanced when an envelope is appended). store.cpp.
  Result<Change> write_upsert(Head& head, const protocol::ChildRecord& record,
                              const Signing& signing, Expect expect);
  Result<Change> write_remove(Head& head, std::string_view record_id, const Signing& signing);
  // The steps of those (store/change.hpp). Decide: an unchanged record is a Change with
  // changed = false, else the change to sign.
  Result<std::variant<Change, PreparedChange>> prepare_upsert(const protocol::ChildRecord& record,
                                                              const Signing& signing,
                                                              Expect expect);
  Result<PreparedChange> prepare_remove(std::string_view record_id, const Signing& signing);
  // Stamps `change` after `head`, signs it, checks its size and writes its rows.
  Result<Change> append(Head& head, PreparedChange& change, const Signing& signing);
  // Writes a signed change's outbox row and record row (a tombstone for a delete).
  Status insert_change(const PreparedChange& change, protocol::ByteView wire,
                       const protocol::Hash& hash);
  // A statement prepared once and kept in `slot` (reset by sql::Use around each use).
  sql::Result<sql::Statement*> kept(std::optional<sql::Statement>& slot, std::string_view sql,
                                    std::string_view what);
  // The last envelope (zeros when the outbox is empty).
  static Result<Head> read_head(sql::Db& db);

  sql::Db db_;
  std::string authority_id_;
  std::uint64_t created_ms_ = 0;
  // After db_: finalized before it closes.
  std::optional<sql::Statement> read_envelopes_;
  struct WriteStatements {
    std::optional<sql::Statement> read_current, insert_outbox, write_record, write_tombstone;
  } write_;
};

// Many changes in one transaction (docs/store.md §11): each upsert or remove follows exactly the
// rules of Store::upsert / Store::remove (identical canonical bytes append nothing), but nothing
// is visible to other connections, and nothing survives a crash, until finish() commits them
// together with the `imports` row. Destroying an unfinished Import rolls everything back.
//
// Envelopes are signed on a second thread, in seq order, while the next records are decided;
// their rows are written by the calling thread as signatures come back, and all of them by
// finish(). The Signing's signer must therefore be usable from another thread (keys::Identity
// is). A failed write breaks the import: every later call returns that error.
class Store::Import {
 public:
  Import(Import&& other) noexcept;
  Import& operator=(Import&&) = delete;
  ~Import();

  // The Change of an envelope still being signed has an all-zero hash.
  Result<Change> upsert(const protocol::ChildRecord& record);
  Result<Change> remove(std::string_view record_id);
  // The live record as this transaction sees it (nullopt when absent or deleted).
  Result<std::optional<protocol::ChildRecord>> get(std::string_view record_id);
  // Ids of the live records whose id starts with `id_prefix` and which have an
  // educational_setting involvement without an end date at `organisation_id` (for a full CTF
  // roll, docs/adapters.md "Full and partial CTF"). Empty organisation_id: none.
  Result<std::vector<std::string>> open_setting_records(std::string_view id_prefix,
                                                        std::string_view organisation_id);
  // Changes appended so far by this import.
  std::uint64_t changed() const { return changed_; }
  // Writes the `imports` row (id, changed, first_seq, last_seq and imported_ms are filled in
  // here) and commits. On failure everything is rolled back.
  Result<ImportRow> finish(ImportRow row);

 private:
  friend class Store;
  class SigningThread;
  Import(Store& store, const Signing& signing, sql::Transaction tx, Head head, int cache_kib);
  // Counts an appended change; remembers a failed write (the transaction is then unusable).
  Result<Change> count(Result<Change> change);
  // Signs and writes one change on this thread, once nothing is in flight.
  Result<Change> append_in_line(PreparedChange& change);
  // Writes the rows of the envelopes signed so far, waiting for more while over `keep` are in
  // flight (drain(0): all of them).
  Status drain(std::size_t keep);

  Store* store_;
  const Signing* signing_;
  sql::Transaction tx_;
  Head head_;  // the last envelope stamped; its hash once nothing is in flight
  int restore_cache_kib_;  // the connection's cache_size before the import (restored after)
  std::uint64_t changed_ = 0;
  std::uint64_t first_seq_ = 0;
  std::optional<StoreError> broken_;
  std::unique_ptr<SigningThread> signer_;
  std::unordered_set<std::string> in_flight_;  // record ids whose rows are not written yet
};

}  // namespace aegis::store
