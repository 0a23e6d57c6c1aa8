// The inside of IndexStore shared by its source files (index_store.cpp, index_verify.cpp):
// the connection, the statements of the write path, the record states not merged yet, the
// background checkpointer.
#pragma once

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <unordered_map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "aegis/protocol/audit.hpp"
#include "aegis/protocol/bytes.hpp"
#include "aegis/protocol/feed.hpp"
#include "aegis/protocol/verify.hpp"
#include "index/index_store.hpp"
#include "index/resolution_store.hpp"
#include "index/resolution_training.hpp"
#include "index/verify_batch.hpp"
#include "resolve/resolver.hpp"
#include "sqlite/sqlite.hpp"

namespace aegis::index {

namespace sql = ::aegis::sqlite;  // the SQLite layer shared with the authority store

// SQLite integers are signed 64-bit; seqs and times stay far below 2^63.
inline std::int64_t i64(std::uint64_t v) { return static_cast<std::int64_t>(v); }
inline std::uint64_t u64(std::int64_t v) { return static_cast<std::uint64_t>(v); }

// A value of the store's `meta` table (nullopt: no such key), and one written (replaced).
Result<std::optional<std::string>> read_meta(sql::Db& db, std::string_view key);
Status write_meta(sql::Db& db, std::string_view key, std::string_view value);

inline std::optional<protocol::Hash> to_hash(protocol::ByteView b) {
  if (b.size() != protocol::kHashSize) return std::nullopt;
  protocol::Hash h{};
  std::copy(b.begin(), b.end(), h.begin());
  return h;
}

inline bool same_chain(const protocol::ChainState& a, const protocol::ChainState& b) {
  return a.last_seq == b.last_seq && a.last_hash == b.last_hash;
}

// A record's state: its row of `records`, or a row of `state_log` not merged into it yet.
struct RecordState {
  std::optional<std::string> national_id;  // nullopt only for a record never upserted
  std::uint64_t last_seq = 0;              // the envelope that wrote this state
  bool deleted = false;
  bool shielded = false;
};

// (aid, record id): a record's key. Looked up by RecordKeyView (no copy of the id); ordered by
// RecordKeyLess as the primary key of `records` (BINARY collation: bytes).
using RecordKey = std::pair<std::int64_t, std::string>;
using RecordKeyView = std::pair<std::int64_t, std::string_view>;
struct RecordKeyLess {
  template <class A, class B>
  bool operator()(const A& a, const B& b) const {
    if (a.first != b.first) return a.first < b.first;
    return std::string_view(a.second) < std::string_view(b.second);
  }
};
struct RecordKeyHash {
  using is_transparent = void;
  template <class K>
  std::size_t operator()(const K& k) const {
    return std::hash<std::string_view>{}(std::string_view(k.second)) ^
           (static_cast<std::size_t>(k.first) * 0x9e3779b97f4a7c15ull);
  }
};
struct RecordKeyEqual {
  using is_transparent = void;
  template <class A, class B>
  bool operator()(const A& a, const B& b) const {
    return a.first == b.first && std::string_view(a.second) == std::string_view(b.second);
  }
};
// The states applied but not merged into `records` yet: the latest `state_log` row of each
// record (docs/index-store.md §4). Hashed for the lookup of every change; a merge sorts it.
using PendingStates = std::unordered_map<RecordKey, RecordState, RecordKeyHash, RecordKeyEqual>;
using PendingEntry = PendingStates::value_type;
// The entries of `pending` (all of them, or one authority's), in the key order of `records`.
std::vector<const PendingEntry*> sorted_entries(const PendingStates& pending,
                                                std::optional<std::int64_t> aid = std::nullopt);

// The engine's view of a record version (index_store.cpp): identity, match tokens, and the
// address of clear details only.
resolve::MatchRecord match_record(const resolve::RecordRef& ref, const protocol::RecordPayload& p);

struct IndexStore::Impl {
  // Prepared once, reused by every batch (sql::Use resets them around each use).
  struct Statements {
    std::optional<sql::Statement> select_authority, insert_authority, insert_envelope, select_envelope,
        select_record, upsert_record, append_state, insert_feed, update_head, repeat_rejection,
        insert_rejection, data_version, update_feed_head, set_pending_national_id,
        set_record_national_id, insert_notice;
  };
  // An authority's row: its id in the other tables and its chain and feed heads.
  struct HeadRow {
    std::int64_t aid = 0;
    protocol::ChainState applied;
    protocol::ChainState feed;
  };
  class BatchWriter;

  static Result<std::unique_ptr<Impl>> connect(const std::filesystem::path& file, sql::Db db,
                                               const OpenOptions& options);
  Result<std::optional<HeadRow>> read_head(std::string_view authority_id);
  // The one transaction of apply_batches.
  Result<std::vector<ApplyResult>> apply_group(const std::vector<Push>& pushes,
                                               const protocol::Trust& trust,
                                               std::uint64_t now_ms, const IndexSigning& signing);
  // One Push of apply_batches, inside its open transaction.
  // `ahead`: the Push verified before the transaction (used only if still valid), or null.
  Result<ApplyResult> apply_one(std::string_view sender,
                                const std::vector<protocol::Bytes>& envelopes,
                                const VerifiedPush* ahead, const protocol::Trust& trust, std::uint64_t now_ms,
                                const IndexSigning& signing);

  // Inside an open transaction: makes `pending` mirror `state_log` as this transaction sees it,
  // reloading it when it may not (first use, a failed write transaction, another connection
  // committed since: PRAGMA data_version).
  Status sync_pending();
  // A record's state as the open transaction sees it: pending first, then `records`.
  Result<std::optional<RecordState>> current_state(std::int64_t aid, std::string_view record_id);
  // Appends a change's new state to state_log and to pending (inside the apply transaction).
  Status append_state(std::int64_t aid, std::string_view record_id, std::uint64_t seq,
                      const RecordState& state);
  // Moves every pending state into `records` and the national ids minted since into
  // national_ids, and empties their logs, in one transaction.
  Status merge();
  // merge()'s transaction; merge() marks pending for a reload when it fails (the national ids'
  // map may have been emptied by a merge that then rolled back).
  Status merge_pending();
  // The id `national_id` stands for now: followed through merges (alias_of), at most 64 hops.
  Result<std::string> follow_merges(std::string national_id);

  // Resolution (docs/index-store.md, "Resolution").
  // Sets the national id of a record's current state (a record another change moved to another
  // cluster), in state_log when its state is pending, else in `records`.
  Status set_national_id(std::int64_t aid, std::string_view record_id,
                         const std::optional<std::string>& national_id);
  // The aid of an authority the store holds (cached).
  Result<std::int64_t> aid_of(const std::string& authority_id);
  // The payload of the envelope `seq` of `aid`, which writes `record_id` (verified on receipt:
  // only decoded here).
  Result<protocol::RecordPayload> read_payload(std::int64_t aid, std::string_view record_id,
                                               std::uint64_t seq, const std::string& label);
  // A new engine holding every live record of the store with its persisted national id
  // (inside an open transaction). Decodes each live record's payload: the start-up cost.
  Status rebuild_resolver();
  // rebuild_resolver, in a read transaction of its own, when the engine is stale; for readers
  // outside any transaction (practitioner search, the partition).
  Status ensure_resolver();
  // Signs `item` as the next of `authority`'s feed (whose head is `feed`, moved on here) and
  // stores it; the caller writes the new head (write_feed_head) or holds it until it does.
  Result<protocol::Bytes> store_feed_item(std::int64_t aid, const std::string& authority,
                                          protocol::ChainState& feed, protocol::FeedItem item,
                                          std::uint64_t now_ms, const IndexSigning& signing);
  Status write_feed_head(std::int64_t aid, const protocol::ChainState& feed);
  // Inside audit_checkpoint_if_due's transaction: appends `made` to the feed of every enrolled
  // authority as an audit_checkpoint item whose notice links it to the checkpoint last sent
  // there (index_audit.cpp). Returns the feeds it advanced.
  Result<std::vector<FeedHead>> send_checkpoint(AuditLog& audit, const StoredCheckpoint& made,
                                                std::uint64_t now_ms, const IndexSigning& signing);
  // Tells `owner`, in its feed, that the asker of `query` opened its record `record_id`
  // (override_notice, with the reason): an item of its own, signed now; notes the feed's new
  // head in `feeds` (index_query.cpp).
  Status notify_owner(const std::string& owner, const std::string& record_id,
                      const protocol::Query& query, const std::string& reason,
                      std::uint64_t now_ms, const IndexSigning& signing,
                      std::vector<FeedHead>& feeds);
  // Inside the query group's transaction: that the asker of `query` was shown `owner`'s record
  // `record_id`, a pending_notices row until flush_notices signs it into the owner's feed.
  Status queue_notice(const std::string& owner, const std::string& record_id,
                      const protocol::Query& query);
  // The audit log inside the caller's open write transaction, its tables created on first use.
  // Its statements are prepared once per connection and kept (`audit_log`) once the tables are
  // known to be committed: a query group's audit used to spend more on preparing them than on
  // its appends (index_audit.cpp).
  Result<AuditLog*> writable_audit();
  // Appends `entry` to the audit log inside the caller's open write transaction, so the entry
  // and the action it records commit (or roll back) together (index_audit.cpp). Returns the
  // entry's index in the log.
  Result<std::uint64_t> append_audit(const protocol::AuditEntry& entry);
  // The engine rebuild_resolver makes (persisted ids and operator decisions restored, every live
  // record upserted at once), with the events that gives (none for a store resolved with the
  // same configuration).
  Result<std::unique_ptr<resolve::Resolver>> build_resolver(
      std::vector<resolve::LinkageEvent>& events);
  // Inside an open write transaction: an operator decision, and a full re-resolution, through
  // the apply path's resolution writes (history, ids, feeds, review queue).
  Result<ResolutionChange> apply_decision(const resolve::Decision& decision,
                                          std::uint64_t now_ms, const IndexSigning& signing);
  Result<ResolutionChange> apply_resolve_all(std::uint64_t now_ms, const IndexSigning& signing);
  // A fresh national id from the current apply's source (or the OS, outside one).
  std::string mint_national_id();

  std::filesystem::path file;
  sql::Db db;
  Statements st;
  OpenOptions options;
  PendingStates pending;
  std::uint64_t pending_changes = 0;  // state_log rows (one per change) since the last merge
  // How many changes may wait before apply_batches merges them (OpenOptions::merge_every).
  std::uint64_t merge_threshold() const;
  bool pending_synced = false;        // pending mirrors state_log as of data_version
  std::int64_t data_version = 0;
  std::string merge_error;            // the last failed merge; empty when none
  std::unique_ptr<ResolutionStore> resolution;  // the SQLite ResolutionLog
  std::unique_ptr<resolve::Resolver> resolver;  // every live record; rebuilt when stale
  bool resolver_stale = true;                   // not consistent with the store (start, failure)
  const NationalIdSource* mint_source = nullptr;  // the running apply's, else none
  std::unordered_map<std::string, std::int64_t> aids;
  // Records whose authority was told something in an elsewhere item (a superset of
  // elsewhere_sent's records: large clusters are scanned in memory, not queried).
  std::set<resolve::RecordRef> told;
  // Declared after db and st: destroyed first, so it unhooks the writer while it still exists.
  std::unique_ptr<sql::BackgroundCheckpoint> checkpoint;
  unsigned threads = 1;
  // Appends `item` to `authority`'s feed inside the open write transaction (its head read and
  // written now); returns the new feed head (index_query.cpp).
  Result<std::uint64_t> append_feed_item(const std::string& authority, protocol::FeedItem item,
                                         std::uint64_t now_ms, const IndexSigning& signing);
  std::size_t trained_for = 0;  // records the engine's figures were computed for (training)
  // The figures in use (loaded from meta at open when a previous run learned them): reused by
  // every rebuild until training is due again; `training_unsaved` until written to meta.
  std::optional<Training> training{};
  bool training_unsaved = false;
  Status save_training();  // meta.resolution_training, in the caller's write transaction
  // writable_audit's prepared log (declared after db: destroyed first), and whether its tables
  // were committed before it was prepared (only then is it kept for the next transaction).
  std::optional<AuditLog> audit_log{};
  bool audit_log_kept = false;
};

}  // namespace aegis::index
