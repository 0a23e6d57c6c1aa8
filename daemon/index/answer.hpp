// Building a practitioner's Answer (docs/query.md rules 3, 5 and 7) from the index's stored
// current records of the candidate children (resolve::search's result):
//   - a child with any shielded record is answered with identity only (names, gender, date of
//     birth; no former names) and each shielding authority's published contact route; none of
//     its records, from any authority, is in the answer;
//   - a child with no shielded record: each live record's contacts and involvements, with a
//     sensitive involvement only when recorded with consent; never an address or identifier;
//   - a sealed record's bytes (a SealedBlob) are never read, let alone copied.
// Pure apart from answer_from_store, which reads the records through IndexStore::record.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "aegis/protocol/query.hpp"
#include "index/errors.hpp"
#include "index/index_store.hpp"
#include "resolve/search.hpp"

namespace aegis::index {

// ShieldRoutes: index_store.hpp.
// The route given when an authority has published none: the answer still says "shielded".
inline constexpr std::string_view kUnpublishedRoute =
    "no route published: ask the national index operator for this authority's shield team";

// One record of a candidate child, as stored.
struct ChildRecordState {
  std::string authority_id;
  CurrentRecord record;
};
// A candidate child: its national id and every live record of it the index holds.
struct CandidateChild {
  std::string national_id;
  std::vector<ChildRecordState> records;
};

// What an answer shows of a clear record's details: contacts, and involvements that are not
// sensitive or were recorded with consent (defence in depth: §3.6 refuses the others at the
// source); no address, identifier or shield.
protocol::ChildDetails answerable_details(const protocol::ChildDetails& full);

// The Answer to query `query_id` about `children` (in the order given; capped as the search
// said, or when the encoded answer would exceed kMaxAnswerSize). corrupt when a clear record's
// stored details do not decode.
Result<protocol::Answer> build_answer(const protocol::QueryId& query_id,
                                      const std::vector<CandidateChild>& children, bool capped,
                                      const ShieldRoutes& routes);

// The same from a search result: every record of each child that the matching engine holds
// (`all_records`: the records per national id, so a shielded record elsewhere that did not
// match still shields the child) is read from `store`.
Result<protocol::Answer> answer_from_store(
    IndexStore& store, const protocol::QueryId& query_id, const resolve::SearchResult& found,
    const std::map<std::string, std::vector<resolve::RecordRef>>& all_records,
    const ShieldRoutes& routes);

}  // namespace aegis::index
