// Practitioner search (search.hpp): the criteria's MatchRecord, the engine's records filed
// under its blocking keys, pair scores by the engine, grouping by child, rule 4 and the cap.
#include "resolve/search.hpp"

#include <algorithm>
#include <map>
#include <string_view>

#include "resolve/blocking.hpp"

namespace aegis::resolve {

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

SearchResult search(const Resolver& engine, const protocol::QueryCriteria& criteria,
                    const SearchOptions& options) {
  SearchResult out;
  const MatchRecord probe = criteria_record(criteria);
  const bool hide_shielded = uses_shield_hidden_field(criteria);

  std::map<std::string_view, SearchChild> children;
  for (const FiledRecord& f : engine.filed_under(blocking_keys(probe))) {
    if (hide_shielded && f.child_shielded) continue;
    ++out.scored;
    const MatchRecord& r = *f.record;
    const PairScore s = score_pair(probe, r, engine.config(), engine.weights());
    if (s.outcome == Outcome::no_link) continue;
    SearchChild& child = children[f.national_id];
    if (child.hits.empty()) child.national_id = std::string(f.national_id);
    child.best_score = child.hits.empty() ? s.score : std::max(child.best_score, s.score);
    child.hits.push_back(SearchHit{r.ref, s.score, !r.clear});
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
