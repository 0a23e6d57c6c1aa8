// The narrow interface through which the index persists resolution (docs/index-store.md §7,
// docs/resolution.md "Index integration"): national ids with their minting order, aliases and
// retirements; the linkage history; what each authority was last told in `elsewhere` items;
// operator decisions; the review queue. The matching engine (resolve::Resolver) lives in memory
// and is rebuilt from the stored records and these at start. Every write runs inside the
// caller's open transaction. ResolutionLog (resolution_log.hpp) is the SQLite implementation; a
// PostgreSQL one would implement this class without touching matching or sync.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "aegis/protocol/bytes.hpp"
#include "index/errors.hpp"
#include "resolve/resolver.hpp"

namespace aegis::index {

// What one elsewhere item last told a record's authority about another record.
struct ElsewhereSent {
  resolve::RecordRef other;
  std::uint8_t state = 0;   // protocol::ElsewhereState linked (1) or shielded (2)
  protocol::Hash digest{};  // of the national id, state and details the item carried
};

// An operator's decision as persisted: the history of decisions is every row; the latest on a
// pair is in force.
struct StoredDecision {
  std::uint64_t id = 0;  // set when stored; later decisions have higher ids
  std::uint64_t time_ms = 0;
  resolve::DecisionKind kind = resolve::DecisionKind::separate;
  resolve::RecordRef a;  // a < b
  resolve::RecordRef b;
  std::string operator_id;
  std::string reason;
  std::optional<std::uint64_t> review_id;  // the queue pair it decided, when made from the queue
};

// A pair waiting in the review queue, with its evidence (no identifier values: levels and
// weights only).
struct QueuedPair {
  std::uint64_t id = 0;  // the pair's number for `aegis review`; never reused
  resolve::RecordRef a;  // a < b
  resolve::RecordRef b;
  double score = 0.0;
  std::string cap;       // resolve::cap_name
  std::string evidence;  // "field=level:weight ..." for every field not missing
  std::uint64_t since_ms = 0;
};

// The evidence text of a score (QueuedPair::evidence).
std::string evidence_text(const resolve::PairScore& score);

class ResolutionStore {
 public:
  virtual ~ResolutionStore() = default;

  // National ids: every id ever minted with its minting order (load all), or one.
  virtual Result<std::unordered_map<std::string, std::uint64_t>> minted_orders() = 0;
  virtual Result<std::optional<std::uint64_t>> minted_order(std::string_view national_id) = 0;
  // The id `national_id` was merged into, if it was.
  virtual Result<std::optional<std::string>> alias_of(std::string_view national_id) = 0;
  // Ids minted since the last merge are kept apart, in minting order (docs/index-store.md §4):
  // merge_ids files them with the others, inside the caller's merge transaction; reload reads
  // them again after another connection wrote or a transaction of this one rolled back.
  virtual Status merge_ids() = 0;
  virtual Status reload() = 0;
  // The delta of one change: new ids (created, split) with the engine's minting order, aliases
  // (merged), retirements, and the events themselves (the linkage history).
  virtual Status write(const std::vector<resolve::LinkageEvent>& events,
                       const resolve::Resolver& engine, std::uint64_t now_ms) = 0;

  // What `record`'s authority was last told about other records (state linked or shielded).
  virtual Result<std::vector<ElsewhereSent>> sent_to(const resolve::RecordRef& record) = 0;
  // Every record whose authority was told something (load all).
  virtual Result<std::set<resolve::RecordRef>> told_records() = 0;
  // The records whose authorities were told about `other`.
  virtual Result<std::vector<resolve::RecordRef>> told_about(const resolve::RecordRef& other) = 0;
  virtual Status set_sent(const resolve::RecordRef& record, const ElsewhereSent& sent) = 0;
  // Forgets what was told (an unlinked item went out, or `record` was deleted).
  virtual Status forget_sent(const resolve::RecordRef& record, const resolve::RecordRef& other) = 0;
  virtual Status forget_all_sent(const resolve::RecordRef& record) = 0;

  // Operator decisions: every one, in the order made (load all, restored into the engine).
  virtual Result<std::vector<StoredDecision>> decisions() = 0;
  // The decision made on queue pair `review_id`, if any (the latest).
  virtual Result<std::optional<StoredDecision>> decision_on(std::uint64_t review_id) = 0;
  // Appends a decision; sets its id.
  virtual Status add_decision(StoredDecision& decision) = 0;

  // The review queue. Makes the rows holding `record` exactly `pairs` (the engine's review
  // pairs of that record): a pair still waiting keeps its id and `since`; one that left is
  // deleted; a new one gets a new id.
  virtual Status sync_review(const resolve::RecordRef& record,
                             const std::vector<resolve::ReviewPair>& pairs,
                             std::uint64_t now_ms) = 0;
  // Makes the whole queue exactly `pairs` (a full re-resolution), with the same rules.
  virtual Status replace_review(const std::vector<resolve::ReviewPair>& pairs,
                                std::uint64_t now_ms) = 0;
  // Highest score first (ties: lower id), at most `max`.
  virtual Result<std::vector<QueuedPair>> review_list(std::size_t max) = 0;
  virtual Result<std::uint64_t> review_count() = 0;
  virtual Result<std::optional<QueuedPair>> review_pair(std::uint64_t id) = 0;
  // The highest pair id ever given (0: none): an id at or below it that is not in the queue
  // left it.
  virtual Result<std::uint64_t> review_last_id() = 0;
};

}  // namespace aegis::index
