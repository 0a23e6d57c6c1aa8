// The matching engine's state (docs/resolution.md, "Matching engine"): the records it knows,
// their blocks, the scored pairs worth keeping (link and review), operator decisions, the
// partition into clusters and each cluster's national child id.
//
// Every change (upsert, remove, operator decision) re-resolves only the region it touches —
// the connected components, over link pairs, operator links and shared national ids, of the
// records it changed — and returns what changed as LinkageEvents for the store to record.
// The partition depends only on the records and decisions held, never on the order they
// arrived in: within a region, operator links are applied first, then link pairs by score
// (highest first, ties by record refs), each refused if it would put a separated pair, or two
// different identifier tokens of one kind, into one cluster; a link pair's union is refused
// too when the merged cluster would hold a pair with evidence against (score.hpp:
// evidence_against; no chaining A~B~C when A and C are two children) or exceed
// max_cluster_size. A region over max_region_size is re-resolved locally (its changed
// records' clusters and the clusters one link away): the order-independence holds for
// regions up to that size, and a change's cost does not grow with the region.
//
// Pure: no I/O, clock or randomness. New national ids come from the `mint` function, which
// must never return an id already in use. Not thread-safe: one caller at a time (the index's
// apply loop).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "resolve/features.hpp"
#include "resolve/score.hpp"

namespace aegis::resolve {

enum class Decider : std::uint8_t { engine = 1, operator_ = 2 };
std::string_view decider_name(Decider d) noexcept;  // "engine", "operator"

enum class DecisionKind : std::uint8_t { link = 1, separate = 2 };

// An operator's ruling on a pair: link ("the same child") or separate ("not the same child").
// A later decision on the same pair replaces the earlier one.
struct Decision {
  DecisionKind kind = DecisionKind::separate;
  RecordRef a;
  RecordRef b;
  std::string reason;  // the operator's words or reference, carried into the events
};

enum class ChangeKind : std::uint8_t {
  created,  // a new national id minted for records that had none
  joined,   // records took an existing id (new records, or records moved from previous_ids)
  merged,   // previous_ids became aliases of national_id (the older id is kept)
  split,    // a new id minted for records that leave previous_ids
  removed,  // records removed from the index left national_id
  retired,  // national_id has no records left (its last record was removed)
};
std::string_view change_kind_name(ChangeKind k) noexcept;

// One change of linkage, for the store's history. Never holds personal data.
struct LinkageEvent {
  ChangeKind kind = ChangeKind::created;
  std::string national_id;
  std::vector<std::string> previous_ids;
  std::vector<RecordRef> records;  // sorted
  Decider decided_by = Decider::engine;
  std::string reason;              // what triggered it: "record upserted", "operator separate: ..."
};

// A pair waiting for an operator: scored between the thresholds (or capped to review), not in
// one cluster, no decision on it yet.
struct ReviewPair {
  RecordRef a;  // a < b
  RecordRef b;
  PairScore score;
};

// A record the engine holds, as practitioner search reads it (search.hpp): valid until the
// engine next changes.
struct FiledRecord {
  const MatchRecord* record = nullptr;
  std::string_view national_id;  // its child; empty while it has none
  bool child_shielded = false;   // some record of that child is shielded (record->clear false)
};

struct ResolverStats {
  std::uint64_t records = 0;
  std::uint64_t clusters = 0;
  std::uint64_t compared_pairs = 0;    // pairs compared since construction (prescreened or scored)
  std::uint64_t prescreened_pairs = 0; // of those, turned away unscored: certainly no link
  std::uint64_t skipped_pairs = 0;     // record-to-block-member pairs not compared (block cap)
  std::uint64_t oversized_blocks = 0;  // blocks over the cap now
  std::uint64_t link_pairs = 0;        // scored pairs with outcome link now
  std::uint64_t review_pairs = 0;      // scored pairs with outcome review now
  // The work of clustering, since construction (a change's cost is the difference).
  std::uint64_t resolved_records = 0;  // records re-clustered (the regions' sizes)
  std::uint64_t clustered_links = 0;   // link pairs tried in clustering
  std::uint64_t refused_against = 0;   // link unions refused: evidence against (score.hpp)
  std::uint64_t refused_size = 0;      // link unions refused: over max_cluster_size
  std::uint64_t local_regions = 0;     // changes whose region was over max_region_size
};

class Resolver {
 public:
  using MintId = std::function<std::string()>;

  Resolver(MatchConfig config, MintId mint);
  ~Resolver();
  Resolver(const Resolver&) = delete;
  Resolver& operator=(const Resolver&) = delete;

  // Restoring persisted state at start, before the records are upserted: a record's national
  // id and the id's minting order (lower = older; merges keep the lowest). Ids minted later
  // get orders above every restored one.
  void restore_national_id(const RecordRef& record, const std::string& national_id,
                           std::uint64_t minted_order);
  // Restoring an operator decision (no events).
  void restore_decision(const Decision& d);

  // Adds or replaces records (a new version), then re-resolves once. Upserting many at once
  // (a full re-resolution, a rebuild at start) gives the same partition as one by one.
  std::vector<LinkageEvent> upsert(MatchRecord record);
  std::vector<LinkageEvent> upsert_many(std::vector<MatchRecord> records);
  // upsert_many in parts, for a rebuild that should not hold every record twice: add_many
  // compares each part with the records held and leaves them unresolved; resolve_added then
  // resolves every record added since the last resolution, with the events and ids one
  // upsert_many of all the parts (in the same order) would give. reserve() first, for the
  // records expected in all: the tables are sized once, not at each part.
  void reserve(std::size_t records);
  void add_many(std::vector<MatchRecord> records);
  std::vector<LinkageEvent> resolve_added();
  // Removes a record (deleted or purged at the source). Unknown refs change nothing.
  std::vector<LinkageEvent> remove(const RecordRef& record);
  // An operator's decision; takes effect at once when both records are known.
  std::vector<LinkageEvent> decide(const Decision& d);

  bool contains(const RecordRef& record) const;
  std::size_t size() const;  // records held
  std::optional<std::string> national_id(const RecordRef& record) const;
  std::optional<std::uint64_t> minted_order(const std::string& national_id) const;
  // The records holding the same national id as `record` (itself included), sorted.
  std::vector<RecordRef> cluster_of(const RecordRef& record) const;
  // Every cluster, each sorted, clusters ordered by their first record.
  std::vector<std::vector<RecordRef>> partition() const;
  // Pairs waiting for an operator, highest score first (ties by refs).
  std::vector<ReviewPair> review_queue() const;
  // The pairs of review_queue() that `record` is in, in the same order (for a store that keeps
  // the queue: what one change touched, without walking every pair).
  std::vector<ReviewPair> review_pairs_of(const RecordRef& record) const;
  // The score and evidence of any two known records (for the review screen).
  std::optional<PairScore> explain(const RecordRef& a, const RecordRef& b) const;
  // Every record filed under one of `keys` (blocking keys), once each, whatever the block's
  // size (the block cap bounds comparisons, not what is filed); in no particular order. The
  // engine's blocks serve practitioner search too: no second index of every record.
  std::vector<FiledRecord> filed_under(std::span<const std::uint64_t> keys) const;
  ResolverStats stats() const;
  const MatchConfig& config() const;
  const Weights& weights() const;  // the weights of config()

 private:
  struct State;
  std::unique_ptr<State> s_;
};

}  // namespace aegis::resolve
