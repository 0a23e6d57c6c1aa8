// Practitioner search (docs/query.md rules 2 and 4): query criteria → the children whose
// records match them, scored by the engine's own comparators over the engine's own blocking
// keys (no comparator of its own). A SearchIndex holds the MatchRecord of every live record
// with the child (national id) it belongs to, filed under its blocking keys; a search builds
// the MatchRecord the criteria describe, scores the records sharing a key with it, and keeps
// those the engine would at least review. Pure and in memory; one writer at a time. Kept in
// step with the engine change by change (upsert, remove, set_national_id): docs/query.md,
// "Where it runs".
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <unordered_map>
#include <vector>

#include "aegis/protocol/query.hpp"
#include "resolve/features.hpp"
#include "resolve/score.hpp"

namespace aegis::resolve {

// One record that matched, with its pair score against the criteria.
struct SearchHit {
  RecordRef ref;
  double score = 0.0;
  bool shielded = false;
};

// One child: its national id and the records of it that matched, best first.
struct SearchChild {
  std::string national_id;
  double best_score = 0.0;
  std::vector<SearchHit> hits;
};

struct SearchResult {
  std::vector<SearchChild> children;  // best score first (ties by national id); at most the cap
  bool capped = false;                // more children matched than the cap
  std::size_t scored = 0;             // records scored (for metrics)
};

struct SearchOptions {
  std::size_t max_children = protocol::kMaxAnswerChildren;
};

// True when the criteria use a field a shield hides (rule 4): a postcode, or a UPN token (a
// UPN names the school that issued it). NHS number and ULN tokens reveal no place.
bool uses_shield_hidden_field(const protocol::QueryCriteria& criteria);

// The MatchRecord the criteria describe (no gender, address line or middle name: those fields
// compare as missing).
MatchRecord criteria_record(const protocol::QueryCriteria& criteria);

class SearchIndex {
 public:
  // Adds or replaces the record `r.ref` as a record of child `national_id`. A shielded record
  // (r.clear false: its details are sealed) is filed like any other.
  void upsert(const MatchRecord& r, const std::string& national_id);
  // Removes a record; false when it is not held.
  bool remove(const RecordRef& ref);
  // Files a held record under another child (the engine merged or split its cluster); false
  // when it is not held. Its match fields and blocking keys stay as they are.
  bool set_national_id(const RecordRef& ref, const std::string& national_id);
  std::size_t size() const { return by_ref_.size(); }

  // The children matching `criteria`. With a shield-hidden field in the criteria, no child with
  // a shielded record is a candidate at all (not even by its clear records elsewhere: they
  // would confirm where it lived); otherwise a shielded record is found like any other (its
  // answer is then identity only, docs/query.md rule 3).
  SearchResult search(const protocol::QueryCriteria& criteria, const MatchConfig& config,
                      const Weights& weights, const SearchOptions& options = {}) const;

 private:
  struct Entry {
    MatchRecord record;
    std::string national_id;
    std::vector<std::uint64_t> keys;
    bool live = false;
  };
  std::vector<Entry> entries_;                            // slots, reused after remove
  std::vector<std::uint32_t> free_;                       // free slots
  std::map<RecordRef, std::uint32_t> by_ref_;
  std::unordered_map<std::uint64_t, std::vector<std::uint32_t>> blocks_;
  std::unordered_map<std::string, std::uint32_t> shielded_records_;  // per national id
};

}  // namespace aegis::resolve
