// The index node's store (docs/index-store.md): for every authority, its envelopes exactly as
// received (append-only), the current state of each of its records, the signed feed the index
// sends back to it, and the rejections it caused. apply_batches is the whole receive path of
// the Pushes waiting at the index: classify, verify, store, assign national ids, append feed
// items, in ONE transaction (apply_batch: the same for one Push).
//
// How aegisd (the index role) uses it, from its event loop:
//   Hello(authority_id = A, feed_seq = F) from a peer whose certified CURVE key belongs to S:
//       refuse unless A == S;  chain_state(S) -> Welcome;  feed_range(S, F + 1, kMaxBatch)
//       -> FeedBatch (and feed_acked(S, F): the authority holds the feed up to F).
//   Push(envelopes) from S: queued; the Pushes waiting on the socket go together:
//       rs = apply_batches({{S, envelopes}, ...}, trust, now_ms, signing); for each r:
//       -> Ack{r.applied}; if r.rejection: Reject{seq, errc_name(code), detail};
//          if !r.feed_items.empty(): FeedBatch{r.feed_items}.
//       An error Result means nothing of any of them was stored (rolled back): send nothing,
//       log it; the authorities resend after their ack timeout.
//   FeedAck(feed_seq) from S: feed_acked(S, feed_seq), on the next tick.
//   `aegis status`: status(), totals(), rejections().
//
// Threads: one IndexStore is used by one thread at a time (the event loop). Inside, verify_all
// verifies signatures on `verify_threads` threads (which never touch the database) and returns
// only when done, and a background thread checkpoints the WAL on its own connection. apply_batch
// verifies on the caller's thread (one signature per batch, protocol::verify_run), unless the
// Push comes verified ahead (verify_push, Push::verified: aegisd verifies the next group on a
// thread of its own while this one writes) and that verification is still valid.
// A call blocks for the time of its work: apply_batch of a full batch (1024 envelopes) takes
// about 70-100 ms on 2 cores (signature checks dominate), one envelope about one fsync; the
// apply_batches call after which OpenOptions::merge_every changes wait also merges them (about
// a second per 100,000 states with 1,000,000 records stored; by default up to a tenth of the
// live records wait: at 11 million records the slowest chunks of the national load suggest
// 2-4 s for a merge of ~1.1 million states).
//
// Durability: every write is one transaction committed with synchronous=FULL before the call
// returns, so an Ack built from an ApplyResult only ever covers durably committed envelopes.
// A record's new state is appended to a log (state_log) in that transaction and merged into
// `records` later, in large sorted batches of their own (merge_states); the states not merged
// yet are also kept in memory, and every read (record, verify_all) sees both.
//
// Never stored: envelopes that failed verification (a rejection row keeps authority, seq, error
// code and the protocol's detail — field paths, never payload bytes); anything opened from a
// seal (the index has no key to open one and never tries).
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "aegis/protocol/bytes.hpp"
#include "aegis/protocol/crypto.hpp"
#include "aegis/protocol/envelope.hpp"
#include "aegis/protocol/record.hpp"
#include "aegis/protocol/result.hpp"
#include "aegis/protocol/trust_bundle.hpp"
#include "aegis/protocol/verify.hpp"
#include "aegis/protocol/audit.hpp"
#include "aegis/protocol/query.hpp"
#include "index/audit_log.hpp"
#include "index/errors.hpp"
#include "index/resolution_store.hpp"
#include "index/verify_batch.hpp"
#include "resolve/features.hpp"
#include "resolve/resolver.hpp"
#include "resolve/search.hpp"

namespace aegis::index {

// File name of the database inside the configured data_dir.
inline constexpr std::string_view kDatabaseFileName = "index.db";

struct OpenOptions {
  int busy_timeout_ms = 5000;  // how long a write waits for another writer's lock
  int cache_mib = 256;         // SQLite page cache of the writer connection
  unsigned verify_threads = 0; // verify_all's signature threads; 0 = one per CPU core (max 8)
  // The background thread checkpoints once the WAL holds this many pages (4 KiB each);
  // 0 = no background thread, SQLite's own automatic checkpoint inside COMMIT instead.
  int checkpoint_wal_frames = 4096;
  // Record states are appended to state_log by the apply transaction and merged into `records`
  // once this many changes are waiting (docs/index-store.md §4): a larger value writes fewer
  // pages per change and keeps more states in memory (about 250 bytes each). 0 (the default):
  // automatic, the larger of merge_at_least and the live records / merge_share (a tenth), so
  // that a merge writes about a quarter of a page per change at any size of `records`.
  // 1: merge after every apply (no deferral).
  std::uint64_t merge_every = 0;
  std::uint64_t merge_at_least = 100000;
  std::uint64_t merge_share = 10;
};

// 80 fresh random bits for one national id (the daemon passes the OS generator).
using NationalIdBits = protocol::ByteArray<10>;
using NationalIdSource = std::function<NationalIdBits()>;

// What apply_batch needs that the store must not own itself.
struct IndexSigning {
  const protocol::Signer& signer;     // the index identity (keys::Identity in aegisd)
  std::uint64_t signer_serial = 0;    // serial of its index certificate in the trust bundle
  NationalIdSource national_id_bits;  // called once per national id minted (a new cluster)
};

// The envelope a batch stopped at because it failed verification (the daemon's Reject).
struct Rejection {
  std::uint64_t seq = 0;  // the sender's applied seq + 1: where its chain stopped (PROTOCOL §12.5.2)
  protocol::Errc code = protocol::Errc::malformed;
  std::string detail;     // protocol detail: field path and reason, never personal data
};

// The outcome of one batch. Envelopes are taken in order: seq <= applied is a duplicate
// (skipped, not verified again); seq == applied + 1 is verified and applied; anything beyond
// is a gap and ends the batch; a verification failure (or an envelope of another authority
// than the sender) ends it with a rejection. Whatever came before the end stays applied.
// An authority's feed head after a change (aegisd sends it the items up to there).
struct FeedHead {
  std::string authority_id;
  std::uint64_t feed_seq = 0;
};

// A checkpoint audit_checkpoint_if_due made, and the feeds it was appended to (to pump).
struct AuditCheckpointMade : StoredCheckpoint {
  std::vector<FeedHead> feeds;
};

struct ApplyResult {
  protocol::ChainState applied;             // the Ack: highest contiguous durable seq, its hash
  std::size_t applied_count = 0;            // envelopes applied by this call
  std::size_t duplicates = 0;               // envelopes skipped as already applied
  bool gap = false;                         // stopped at an envelope beyond applied + 1
  std::optional<Rejection> rejection;       // stopped at an envelope that failed verification
  std::vector<protocol::Bytes> feed_items;  // feed items appended by this call, in seq order
  // Other authorities whose feed this Push advanced (resolution moved one of their records to
  // another national id, or changed what they may see elsewhere), with their new feed head.
  std::vector<FeedHead> other_feeds;
};

// A record's current state. identity/details come from the envelope that wrote it (the store
// keeps the payload once, in the envelope as received).
struct CurrentRecord {
  std::string record_id;
  std::optional<std::string> national_id;  // nullopt only for a record never upserted
  std::uint64_t last_seq = 0;              // the envelope holding this state
  bool deleted = false;
  bool shielded = false;
  std::optional<protocol::ChildIdentity> identity;  // absent when deleted
  // encode_child_details bytes, or encode_sealed_blob bytes when shielded (never opened);
  // empty when deleted.
  protocol::Bytes details;
};

struct AuthorityStatus {
  std::string authority_id;
  std::uint64_t applied_seq = 0;
  protocol::Hash applied_hash{};
  std::uint64_t first_seen_ms = 0;
  std::uint64_t last_received_ms = 0;  // time of its last batch
  std::uint64_t live_records = 0;      // records not deleted
  std::uint64_t rejections = 0;        // refusals, repeats included
  std::uint64_t feed_seq = 0;          // last feed item written for it
  std::uint64_t feed_acked = 0;        // last feed item it acknowledged
};

struct Totals {
  std::uint64_t authorities = 0;
  std::uint64_t envelopes = 0;
  std::uint64_t live_records = 0;
  std::uint64_t rejections = 0;
  std::uint64_t feed_items = 0;
  std::string checkpoint_error;  // the last failed background checkpoint; empty when none
  std::uint64_t pending_changes = 0;  // changes whose state is not merged into `records` yet
  std::string merge_error;       // the last failed merge (retried); empty when none
};

// One rejections row. The same refusal repeated (an authority resending the same bad envelope)
// bumps `repeats` instead of adding rows, so a looping sender cannot grow the table.
struct RejectionEntry {
  std::string authority_id;
  std::uint64_t seq = 0;
  std::string code;  // errc_name
  std::string detail;
  std::uint64_t first_ms = 0;
  std::uint64_t last_ms = 0;
  std::uint64_t repeats = 0;
};

// What verify_all found for one authority: the first problem, if any.
struct IntegrityProblem {
  std::string area;  // "envelope", "head", "record", "feed"
  std::uint64_t seq = 0;  // envelope seq, feed seq or a record's last_seq
  std::string code;  // a protocol error name or a store check (docs/index-store.md)
  std::string detail;
};
struct AuthorityCheck {
  std::string authority_id;
  std::uint64_t envelopes = 0;   // verified before the problem (all when intact)
  std::uint64_t records = 0;     // record rows checked
  std::uint64_t feed_items = 0;  // verified before the problem (all when intact)
  std::optional<IntegrityProblem> problem;
};
struct VerifyReport {
  std::vector<AuthorityCheck> authorities;
  bool intact() const {
    for (const AuthorityCheck& a : authorities)
      if (a.problem) return false;
    return true;
  }
};

// ---- Operator review, full re-resolution, links export (docs/resolution.md, "Review queue",
// "Operator commands and export") -------------------------------------------------------------

// One record of a review pair as the operator sees it at the index: identity (names, date of
// birth, gender) but never identifier values; a shielded record shows only its identity.
struct ReviewSide {
  resolve::RecordRef ref;
  std::optional<std::string> national_id;
  bool shielded = false;
  protocol::ChildIdentity identity;
};

// A pair of the queue with its evidence as the engine scores it now.
struct ReviewDetail {
  QueuedPair pair;
  ReviewSide a;
  ReviewSide b;
  resolve::PairScore score;
};

// An operator's ruling on a pair of the review queue.
struct OperatorDecision {
  resolve::DecisionKind kind = resolve::DecisionKind::separate;
  std::uint64_t review_id = 0;  // QueuedPair::id
  std::string operator_id;      // 1-64 of A-Z a-z 0-9 . _ @ -
  std::string reason;           // required: 1-1000 characters, no control characters
};

// What a decision or a full re-resolution changed.
struct ResolutionChange {
  std::vector<resolve::LinkageEvent> events;  // as recorded in the linkage history
  std::uint64_t records_moved = 0;            // records whose national id changed
  std::vector<FeedHead> feeds;                // authorities whose feed advanced (to pump)
};
struct DecisionResult {
  StoredDecision decision;
  ResolutionChange change;
  std::optional<std::string> national_id_a;  // after the decision
  std::optional<std::string> national_id_b;
};
struct ResolveAllResult {
  std::uint64_t records = 0;
  std::uint64_t clusters = 0;
  std::uint64_t review_pairs = 0;
  ResolutionChange change;
};

// How a record came to be in its cluster (links export).
enum class LinkedBy : std::uint8_t { single, identifier, score, operator_ };
std::string_view linked_by_name(LinkedBy l) noexcept;  // "single", "identifier", ...

// One row of the links export: one per live record.
struct LinkRow {
  std::string national_id;
  resolve::RecordRef record;
  LinkedBy how = LinkedBy::single;
  std::optional<double> score;  // of the pair that links it (none for single)
};

// ---- Retention and subject access (docs/index-store.md §12, docs/query.md) -----------------

// Records by where they stand on a day. The index reads only the record's dates (a consent to
// retain is recorded at the authority, which sends the delete when it purges: the index purges
// only records deleted by their authority, once the dates of their last upsert are due).
struct IndexRetentionCounts {
  std::uint64_t active = 0;       // live, not due
  std::uint64_t archive_due = 0;  // live, due for archiving, not archived yet
  std::uint64_t archived = 0;     // archived (live or deleted), not purged
  std::uint64_t purge_due = 0;    // deleted by their authority, due for purging, not purged
  std::uint64_t purged = 0;
};

// What one retention run did: record refs only (no personal data).
struct IndexRetentionRun {
  std::vector<resolve::RecordRef> archived;
  std::vector<resolve::RecordRef> purged;
  // Due, but a feed item about the record is not acknowledged by its authority yet (an erased
  // item could not be sent again): purged by a later run.
  std::vector<resolve::RecordRef> waiting_sync;
};

// One record of a subject access export.
struct SubjectRecord {
  resolve::RecordRef ref;
  std::optional<std::string> national_id;
  bool deleted = false;
  bool shielded = false;  // its details are sealed for its authority: listed, never opened
  bool archived = false;
  bool purged = false;
  std::uint64_t last_seq = 0;
  std::optional<protocol::ChildIdentity> identity;  // absent when deleted or purged
  std::optional<protocol::ChildDetails> details;    // clear details; absent when sealed
};

// One event of the linkage history naming the child's national id or one of its records.
struct SubjectLinkage {
  std::uint64_t time_ms = 0;
  std::string kind;  // change_kind_name
  std::string national_id;
  std::string previous_ids;  // space separated
  std::string decided_by;
  std::string reason;
  std::vector<resolve::RecordRef> records;
};

// One feed item the index sent about one of the child's records (to any authority).
struct SubjectFeedItem {
  std::string authority_id;  // sent to
  std::uint64_t feed_seq = 0;
  std::uint64_t time_ms = 0;
  std::string kind;  // national_id, elsewhere, access_notice, override_notice
  resolve::RecordRef about;
  bool purged = false;  // erased by retention: kind and about are unknown, only its place stays
};

// Everything the index holds about one child (`aegis sar NATIONAL_ID`).
struct SubjectAccess {
  std::string national_id;  // the id asked for, after following merges (alias_of)
  std::vector<SubjectRecord> records;
  std::vector<SubjectLinkage> history;
  std::vector<SubjectFeedItem> feed_items;
  std::vector<std::pair<std::uint64_t, protocol::AuditEntry>> audit;  // (leaf index, entry)
};

// ---- Practitioner queries (docs/query.md; index_query.cpp) -----------------------------------

// Each authority's published shield contact route (the index's config [shield_contacts]).
using ShieldRoutes = std::map<std::string, std::string, std::less<>>;

// The most queries the query service answers as one group (IndexStore::answer_queries): what
// is waiting on its socket, up to this many.
inline constexpr std::size_t kMaxQueryGroup = 64;

// The most pending access notices one flush_notices signs into feeds (the rest wait for the
// next): bounds its transaction whatever accumulated.
inline constexpr std::size_t kMaxNoticesFlushed = 65536;
// How often aegisd signs the queued access notices into their owners' feeds (docs/query.md,
// "Access notices"): an owner learns of an access within about this long, and each owner's
// notices of that time cost one signature.
inline constexpr std::uint64_t kNoticeFlushMs = 1000;

// A query answered: the answer and its audit entry. Its access notices wait in the store for
// flush_notices.
struct AnsweredQuery {
  protocol::Answer answer;
  std::uint64_t audit_index = 0;  // the query's entry in the audit log
};

// How an audit entry is marked for investigation (docs/audit.md): its detail starts with this
// word. Every override entry is.
inline constexpr std::string_view kInvestigateMark = "investigate";

// An override answered (docs/query.md rule 6): the answer, its audit entry (action override,
// marked for investigation), and the owning authorities whose feed got an override_notice.
struct AnsweredOverride {
  protocol::OverrideAnswer answer;
  std::uint64_t audit_index = 0;
  std::vector<FeedHead> feeds;
};

class IndexStore {
 public:
  // Creates a new database file, mode 0600 (refused with `exists` if the file is there).
  static Result<IndexStore> create(const std::filesystem::path& file, std::uint64_t now_ms,
                                   const OpenOptions& options = {});
  // Opens an existing database, migrating an older schema.
  static Result<IndexStore> open(const std::filesystem::path& file,
                                 const OpenOptions& options = {});

  IndexStore(IndexStore&&) noexcept;
  IndexStore& operator=(IndexStore&&) noexcept;
  ~IndexStore();

  // The chain head of an authority ({0, zeros} for one never seen): the Welcome.
  Result<protocol::ChainState> chain_state(std::string_view authority_id);

  // Verifies and applies one Push from `sender` (the authority id certified for the peer's CURVE
  // key) in one transaction; see ApplyResult for the rules. Every envelope must name `sender`
  // (else wrong_role). The first upsert of a record assigns its national id; the batch's
  // assignments go into one national_id feed item (up to 512 each), and a batch that applied
  // anything appends one `applied` item last.
  // A batch over protocol::kMaxBatch is invalid_argument. An error Result means SQLite failed
  // and nothing of the batch (nor its rejection) was stored.
  Result<ApplyResult> apply_batch(std::string_view sender,
                                  const std::vector<protocol::Bytes>& envelopes,
                                  const protocol::Trust& trust, std::uint64_t now_ms,
                                  const IndexSigning& signing);

  // Group commit: applies several Pushes (of one or more authorities, the same one possibly
  // twice, in the order given) in ONE transaction, each exactly as apply_batch would after the
  // ones before it; one result per Push, in order. A rejection in one Push does not affect the
  // others. An error Result means SQLite failed and nothing of any of them was stored.
  // `verified`: optionally, the Push already verified by verify_push (on another thread, while
  // the previous group was written); used only if the sender's stored head is still the one it
  // was verified after, with the same trust and now_ms; else the Push is verified here.
  struct Push {
    std::string_view sender;
    const std::vector<protocol::Bytes>* envelopes = nullptr;
    const VerifiedPush* verified = nullptr;
  };
  Result<std::vector<ApplyResult>> apply_batches(const std::vector<Push>& pushes,
                                                 const protocol::Trust& trust,
                                                 std::uint64_t now_ms,
                                                 const IndexSigning& signing);

  // Merges every record state waiting in state_log into `records`, in one transaction (the
  // states read by record() and verify_all do not change). apply_batches does it by itself
  // after a transaction that leaves enough changes waiting (OpenOptions::merge_every); a
  // caller may also do it when idle. An error Result means nothing was merged (the states stay
  // waiting).
  Status merge_states();

  // Feed items of an authority with seq >= from_seq, in order, at most `max` (wire bytes).
  Result<std::vector<protocol::Bytes>> feed_range(std::string_view authority_id,
                                                  std::uint64_t from_seq, std::size_t max);
  // The authority durably holds its feed up to `seq`: feed_acked only moves forward.
  // not_found for an unknown authority; invalid_argument beyond the feed head.
  Status feed_acked(std::string_view authority_id, std::uint64_t seq);

  // The matching engine's clusters of live records (resolve::Resolver::partition), each sorted.
  Result<std::vector<std::vector<resolve::RecordRef>>> partition();

  // The review queue (pairs waiting for an operator): how many, and the first `max` (highest
  // score first).
  Result<std::uint64_t> review_count();
  Result<std::vector<QueuedPair>> review_list(std::size_t max);
  // One pair with both records' identities and its evidence now. not_found: no such pair ever;
  // gone: it left the queue (the detail says how: decided, linked, or a record changed).
  Result<ReviewDetail> review_pair(std::uint64_t review_id);
  // Applies an operator decision at once, in one transaction: the decision is stored (the
  // history of decisions), the engine re-resolves, national ids change and the national_id and
  // elsewhere feed items go out as after a Push, the queue is updated. invalid_argument (bad
  // operator id or reason), not_found, gone: nothing changes.
  Result<DecisionResult> decide(const OperatorDecision& decision, std::uint64_t now_ms,
                                const IndexSigning& signing);
  // Re-resolves every stored record from scratch (restored national ids and decisions, all
  // records at once) and makes the store agree: changed ids, feed items, the whole review queue.
  // On a store resolved with the same configuration nothing changes (incremental == full).
  Result<ResolveAllResult> resolve_all(std::uint64_t now_ms, const IndexSigning& signing);
  // Every live record with its national id and how it is linked, in partition order.
  Result<std::vector<LinkRow>> links();

  // The current state of one record; nullopt when the index never saw it.
  Result<std::optional<CurrentRecord>> record(std::string_view authority_id,
                                              std::string_view record_id);

  Result<AuthorityStatus> authority_status(std::string_view authority_id);  // not_found if unseen
  Result<std::vector<AuthorityStatus>> status();                           // authority id order
  Result<Totals> totals();
  // For the metrics (docs/operations.md): rejections (repeats included) by error code, and the
  // national ids in use (not merged into another, not retired). Counts rows: not for every
  // status call on a large index, once per scrape.
  struct MetricCounts {
    std::map<std::string, std::uint64_t> rejections_by_code;
    std::uint64_t national_ids = 0;
  };
  Result<MetricCounts> metric_counts();
  // Newest first; an empty authority_id means every authority.
  Result<std::vector<RejectionEntry>> rejections(std::string_view authority_id, std::size_t max);

  // Re-verifies everything from the stored bytes: each authority's envelope chain through
  // verify_envelope (each at the time it was received, against `trust`), that the chain head,
  // the record rows and the live record count are what the envelopes say, and the feed chain
  // through verify_feed_item. Reports the first problem per authority; the Result's error is
  // only for failures to read the database.
  Result<VerifyReport> verify_all(const protocol::Trust& trust);

  // The highest trust bundle version the index has accepted (meta.trust_version; 0: none), the
  // min_version of every load of its bundle (docs/keys.md, "Rollback").
  Result<std::uint64_t> trust_version();
  // Records that `version` was accepted; the stored version only moves up.
  Status record_trust_version(std::uint64_t version);

  // ---- Practitioner queries (docs/query.md; index_query.cpp) ----
  // Answers a query already verified (signature, certificate, freshness, replay) in ONE write
  // transaction: the search (rules 2, 4), the answer (rules 3, 5, 7), the audit entry (rule 9:
  // criteria fields used, a keyed digest of the criteria, the records returned) and an access
  // notice for each authority owning a record returned in full, other than the asker (rule 8),
  // queued for flush_notices. `digest_key` keys the criteria digest. An error: nothing is
  // answered and nothing written (the caller refuses the query `unavailable`).
  Result<AnsweredQuery> answer_query(const protocol::Query& query, const ShieldRoutes& routes,
                                     const protocol::ByteArray<32>& digest_key,
                                     std::uint64_t now_ms);
  // answer_query for several queries at once (the service gives up to kMaxQueryGroup), as a
  // group commit: each searched and answered as answer_query does, then ONE write transaction
  // holds every query's audit entry and notices (one fsync for all; docs/query.md, "Group
  // commit"). The answers, and their audit entries, are in the order of `queries`. An error:
  // nothing is answered, nothing written.
  Result<std::vector<AnsweredQuery>> answer_queries(std::span<const protocol::Query> queries,
                                                    const ShieldRoutes& routes,
                                                    const protocol::ByteArray<32>& digest_key,
                                                    std::uint64_t now_ms);
  // Signs the access notices the answered queries queued (oldest first, at most
  // kMaxNoticesFlushed) into their owners' feeds, in ONE transaction: one access_notice item
  // (feed version 6) per owner for up to protocol::kMaxNoticesPerItem notices, in the order of
  // the accesses, and deletes them from the queue. Returns the feeds it advanced (none when
  // nothing waited). aegisd calls it every second (docs/query.md, "Access notices"). An error:
  // nothing written, the notices still wait.
  Result<std::vector<FeedHead>> flush_notices(std::uint64_t now_ms, const IndexSigning& signing);
  // How many access notices wait for flush_notices (counted up to kMaxNoticesFlushed: a
  // bounded read whatever accumulated).
  Result<std::uint64_t> pending_notices();
  // Answers a verified OverrideRequest (the caller checked signature, freshness, replay): the
  // live, not archived records of the child (national id followed through merges), shielded
  // ones as their SealedBlob exactly as stored, clear ones as a search shows them; in ONE
  // transaction the audit entry (action override, detail starting "investigate") and an
  // override_notice to each owning authority but the asker. not_found: no such live child;
  // invalid_argument: the child is not shielded (use search). Any error: nothing written.
  Result<AnsweredOverride> answer_override(const protocol::OverrideRequest& request,
                                           std::uint64_t now_ms, const IndexSigning& signing);

  // The search step of answer_query alone (no answer, no audit entry, nothing written), for
  // tests and benchmarks: in the matching engine the store keeps in step with its writes
  // (`kept`), or in a second engine built from the store now (`rebuilt`, thrown away after; the
  // kept one is left as it is). The two answer alike: tests/index/engine_search_test.cpp.
  enum class SearchEngine { kept, rebuilt };
  struct SearchFound {
    resolve::SearchResult result;
    // Every record the engine holds of each child found, by national id (a shielded record
    // elsewhere that did not match still shields the child): answer_from_store's input.
    std::map<std::string, std::vector<resolve::RecordRef>> records;
  };
  Result<SearchFound> search(const protocol::QueryCriteria& criteria,
                             SearchEngine use = SearchEngine::kept);

  // ---- The audit log (docs/audit.md; index_audit.cpp) ----
  // The trust bundle the index now runs with (at start and at SIGHUP), in one transaction:
  // record_trust_version, and an enrolment or revocation audit entry per certificate that
  // became or stopped being active since the last call. Returns the entries appended.
  Result<std::size_t> record_trust(const protocol::Trust& trust, std::uint64_t now_ms);
  // Appends one audit entry in its own transaction; returns its leaf index. An action that
  // writes the store appends its entry through AuditLog inside its own transaction instead.
  Result<std::uint64_t> append_audit(const protocol::AuditEntry& entry);
  // Signs and stores a checkpoint of the audit log when `policy` says one is due (aegisd calls
  // it every tick), and in the same transaction appends it to the feed of every enrolled
  // authority (one that has a feed and an active authority certificate at the last
  // record_trust) as an audit_checkpoint item, with the consistency proof from the checkpoint
  // last sent to that authority (PROTOCOL.md §15.5); nullopt when none was due.
  Result<std::optional<AuditCheckpointMade>> audit_checkpoint_if_due(
      std::uint64_t now_ms, const IndexSigning& signing, const AuditPolicy& policy = {});
  // AuditLog::verify over the stored log, in one read transaction.
  Result<AuditReport> verify_audit(const protocol::Trust& trust,
                                   const std::vector<protocol::Bytes>& outside = {});
  // AuditLog::prove_inclusion: entry `index` in the latest checkpoint.
  Result<InclusionProof> audit_proof(std::uint64_t index);
  Result<std::uint64_t> audit_size();

  // ---- Retention (docs/index-store.md §12; index_retention.cpp) ----
  // Counts the records by stage on `today` (nothing changes).
  Result<IndexRetentionCounts> retention_counts(protocol::Date today);
  // Archives every live record due on `today`; purges every record its authority deleted whose
  // purge date has come: in ONE transaction per record, the wire of each of its envelopes and
  // of each feed item about it is erased (its chain fields kept in purged_envelopes /
  // purged_feed), and a `purge` audit entry (record ref and time only) is appended.
  // A run that completes records `today` as the store's retention day (meta `retention_day`).
  Result<IndexRetentionRun> run_retention(protocol::Date today, std::uint64_t now_ms);
  // The day of the last completed run_retention (nullopt: never, or not a date): aegisd runs
  // the job once per UTC day, not again when it restarts on a day it already ran.
  Result<std::optional<protocol::Date>> retention_day();
  // True when the record is archived or purged: search must not return it. The same test in
  // SQL for a reader on its own connection (the query service):
  //   EXISTS (SELECT 1 FROM retention WHERE aid = ?aid AND record_id = ?record_id)
  Result<bool> archived(std::string_view authority_id, std::string_view record_id);
  // Everything held about the child with this national id (or an id merged into it): its
  // records (archived and deleted too), linkage history, feed items about them and audit
  // entries naming them. not_found when no record ever had the id.
  Result<SubjectAccess> subject_access(std::string_view national_id);

 private:
  struct Impl;
  explicit IndexStore(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace aegis::index
