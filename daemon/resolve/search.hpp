// Practitioner search (docs/query.md rules 2 and 4): query criteria → the children whose
// records match them, scored by the engine's own comparators over the engine's own blocking
// keys and blocks (no comparator or index of its own): the search builds the MatchRecord the
// criteria describe, scores every record the engine files under one of its keys, and keeps
// those the engine would at least review, grouped by the child (national id) the engine put
// them in. Pure and in memory; reads the engine, which must not change meanwhile (docs/query.md,
// "Where it runs").
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "aegis/protocol/query.hpp"
#include "resolve/features.hpp"
#include "resolve/resolver.hpp"
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

// The children matching `criteria` among the records `engine` holds. With a shield-hidden field
// in the criteria, no child with a shielded record is a candidate at all (not even by its clear
// records elsewhere: they would confirm where it lived); otherwise a shielded record is found
// like any other (its answer is then identity only, docs/query.md rule 3).
SearchResult search(const Resolver& engine, const protocol::QueryCriteria& criteria,
                    const SearchOptions& options = {});

}  // namespace aegis::resolve
