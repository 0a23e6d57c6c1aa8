// Practitioner search (search.hpp): the criteria's MatchRecord, candidate records by shared
// blocking keys, pair scores by the engine, grouping by child, rule 4 and the cap.
#include "resolve/search.hpp"

#include <algorithm>
#include <unordered_set>

#include "resolve/blocking.hpp"

namespace aegis::resolve {

namespace {

void drop_slot(std::vector<std::uint32_t>& block, std::uint32_t slot) {
  block.erase(std::remove(block.begin(), block.end(), slot), block.end());
}

}  // namespace

bool uses_shield_hidden_field(const protocol::QueryCriteria& criteria) {
  if (criteria.postcode) return true;
  return criteria.tokens && criteria.tokens->find(protocol::IdentifierKind::upn) != nullptr;
}

MatchRecord criteria_record(const protocol::QueryCriteria& criteria) {
  protocol::ChildIdentity identity;
  identity.name.given = criteria.given;
  identity.name.family = criteria.family;
  identity.date_of_birth = criteria.date_of_birth;
  protocol::ChildDetails details;
  if (criteria.postcode) details.address = protocol::Address{{}, *criteria.postcode};
  std::vector<IdentifierToken> tokens;
  if (criteria.tokens)
    for (const protocol::MatchEntry& e : criteria.tokens->entries)
      tokens.push_back(IdentifierToken{static_cast<IdentifierKind>(e.kind), e.token});
  return make_match_record("", "", identity, &details, std::move(tokens));
}

void SearchIndex::upsert(const MatchRecord& r, const std::string& national_id) {
  remove(r.ref);
  std::uint32_t slot;
  if (!free_.empty()) {
    slot = free_.back();
    free_.pop_back();
  } else {
    slot = static_cast<std::uint32_t>(entries_.size());
    entries_.emplace_back();
  }
  Entry& e = entries_[slot];
  e.record = r;
  e.national_id = national_id;
  e.keys = blocking_keys(r);
  e.live = true;
  for (std::uint64_t key : e.keys) blocks_[key].push_back(slot);
  if (!r.clear) ++shielded_records_[national_id];
  by_ref_.emplace(r.ref, slot);
}

bool SearchIndex::remove(const RecordRef& ref) {
  auto it = by_ref_.find(ref);
  if (it == by_ref_.end()) return false;
  const std::uint32_t slot = it->second;
  Entry& e = entries_[slot];
  for (std::uint64_t key : e.keys) {
    auto block = blocks_.find(key);
    drop_slot(block->second, slot);
    if (block->second.empty()) blocks_.erase(block);
  }
  if (!e.record.clear) {
    auto count = shielded_records_.find(e.national_id);
    if (--count->second == 0) shielded_records_.erase(count);
  }
  e = Entry{};
  free_.push_back(slot);
  by_ref_.erase(it);
  return true;
}

bool SearchIndex::set_national_id(const RecordRef& ref, const std::string& national_id) {
  auto it = by_ref_.find(ref);
  if (it == by_ref_.end()) return false;
  Entry& e = entries_[it->second];
  if (e.national_id == national_id) return true;
  if (!e.record.clear) {
    auto count = shielded_records_.find(e.national_id);
    if (--count->second == 0) shielded_records_.erase(count);
    ++shielded_records_[national_id];
  }
  e.national_id = national_id;
  return true;
}

SearchResult SearchIndex::search(const protocol::QueryCriteria& criteria,
                                 const MatchConfig& config, const Weights& weights,
                                 const SearchOptions& options) const {
  SearchResult out;
  const MatchRecord probe = criteria_record(criteria);
  const bool hide_shielded = uses_shield_hidden_field(criteria);

  std::unordered_set<std::uint32_t> seen;
  std::map<std::string, SearchChild> children;
  for (std::uint64_t key : blocking_keys(probe)) {
    auto block = blocks_.find(key);
    if (block == blocks_.end()) continue;
    for (std::uint32_t slot : block->second) {
      if (!seen.insert(slot).second) continue;
      const Entry& e = entries_[slot];
      if (hide_shielded && shielded_records_.count(e.national_id) != 0) continue;
      ++out.scored;
      const PairScore s = score_pair(probe, e.record, config, weights);
      if (s.outcome == Outcome::no_link) continue;
      SearchChild& child = children[e.national_id];
      child.national_id = e.national_id;
      child.best_score = child.hits.empty() ? s.score : std::max(child.best_score, s.score);
      child.hits.push_back(SearchHit{e.record.ref, s.score, !e.record.clear});
    }
  }

  out.children.reserve(children.size());
  for (auto& [id, child] : children) {
    std::sort(child.hits.begin(), child.hits.end(), [](const SearchHit& a, const SearchHit& b) {
      return a.score != b.score ? a.score > b.score : a.ref < b.ref;
    });
    out.children.push_back(std::move(child));
  }
  std::sort(out.children.begin(), out.children.end(),
            [](const SearchChild& a, const SearchChild& b) {
              return a.best_score != b.best_score ? a.best_score > b.best_score
                                                  : a.national_id < b.national_id;
            });
  if (out.children.size() > options.max_children) {
    out.children.resize(options.max_children);
    out.capped = true;
  }
  return out;
}

}  // namespace aegis::resolve
