// The answer builder (answer.hpp): shield rule 3, sensitive rule 7, no sealed byte, the caps.
#include "index/answer.hpp"

#include <algorithm>

namespace aegis::index {

namespace {

using protocol::AnswerChild;
using protocol::AnswerRecord;
using protocol::ChildDetails;

const ChildRecordState* first_live(const CandidateChild& c, bool shielded) {
  for (const ChildRecordState& r : c.records)
    if (!r.record.deleted && r.record.identity && r.record.shielded == shielded) return &r;
  return nullptr;
}

// A shielded child: identity (no former names, no date of death) and the routes of every
// authority shielding it.
AnswerChild shielded_child(const CandidateChild& c, const ChildRecordState& shielding,
                           const ShieldRoutes& routes) {
  AnswerChild out;
  out.national_id = c.national_id;
  out.shielded = true;
  out.identity.name = shielding.record.identity->name;
  out.identity.gender = shielding.record.identity->gender;
  out.identity.date_of_birth = shielding.record.identity->date_of_birth;
  for (const ChildRecordState& r : c.records) {
    if (r.record.deleted || !r.record.shielded) continue;
    if (std::any_of(out.shield_contacts.begin(), out.shield_contacts.end(),
                    [&](const protocol::ShieldContact& s) { return s.authority_id == r.authority_id; }))
      continue;
    if (out.shield_contacts.size() == protocol::kMaxShieldContacts) break;
    auto route = routes.find(r.authority_id);
    out.shield_contacts.push_back(
        {r.authority_id, route != routes.end() && !route->second.empty()
                             ? route->second.substr(0, protocol::kMaxContactRouteLen)
                             : std::string(kUnpublishedRoute)});
  }
  return out;
}

Result<AnswerChild> clear_child(const CandidateChild& c, const ChildRecordState& first) {
  AnswerChild out;
  out.national_id = c.national_id;
  out.identity = *first.record.identity;
  for (const ChildRecordState& r : c.records) {
    if (r.record.deleted || !r.record.identity) continue;
    if (out.records.size() == protocol::kMaxAnswerRecords) break;
    auto details = protocol::decode_child_details(r.record.details);
    if (!details)
      return IndexError(IndexErrc::corrupt, "record " + r.authority_id + "/" +
                                                r.record.record_id +
                                                ": stored details do not decode: " +
                                                details.error().message());
    out.records.push_back(AnswerRecord{r.authority_id, r.record.record_id, answerable_details(*details)});
  }
  return out;
}

}  // namespace

ChildDetails answerable_details(const ChildDetails& full) {
  ChildDetails out;
  out.contacts = full.contacts;
  for (const protocol::Involvement& v : full.involvements)
    if (!v.sensitive || v.consent) out.involvements.push_back(v);
  return out;
}

Result<protocol::Answer> build_answer(const protocol::QueryId& query_id,
                                      const std::vector<CandidateChild>& children, bool capped,
                                      const ShieldRoutes& routes) {
  protocol::Answer answer;
  answer.query_id = query_id;
  answer.capped = capped || children.size() > protocol::kMaxAnswerChildren;
  for (const CandidateChild& c : children) {
    if (answer.children.size() == protocol::kMaxAnswerChildren) break;
    if (const ChildRecordState* shielding = first_live(c, true)) {
      answer.children.push_back(shielded_child(c, *shielding, routes));
      continue;
    }
    const ChildRecordState* first = first_live(c, false);
    if (first == nullptr) continue;  // every record deleted since the search
    Result<AnswerChild> child = clear_child(c, *first);
    if (!child) return child.error();
    answer.children.push_back(std::move(*child));
  }
  // Whole children only: drop the last ones until the encoding fits one answer.
  while (!answer.children.empty() &&
         protocol::encode_answer(answer).size() > protocol::kMaxAnswerSize) {
    answer.children.pop_back();
    answer.capped = true;
  }
  return answer;
}

Result<protocol::Answer> answer_from_store(
    IndexStore& store, const protocol::QueryId& query_id, const resolve::SearchResult& found,
    const std::map<std::string, std::vector<resolve::RecordRef>>& all_records,
    const ShieldRoutes& routes) {
  std::vector<CandidateChild> children;
  for (const resolve::SearchChild& hit : found.children) {
    CandidateChild c;
    c.national_id = hit.national_id;
    std::vector<resolve::RecordRef> refs;
    if (auto all = all_records.find(hit.national_id); all != all_records.end()) refs = all->second;
    for (const resolve::SearchHit& h : hit.hits) refs.push_back(h.ref);
    std::sort(refs.begin(), refs.end());
    refs.erase(std::unique(refs.begin(), refs.end()), refs.end());
    for (const resolve::RecordRef& ref : refs) {
      auto record = store.record(ref.authority_id, ref.record_id);
      if (!record) return record.error();
      if (*record) c.records.push_back(ChildRecordState{ref.authority_id, std::move(**record)});
    }
    children.push_back(std::move(c));
  }
  return build_answer(query_id, children, found.capped, routes);
}

}  // namespace aegis::index
