// Practitioner queries at the index (docs/query.md, IndexStore::answer_query): the search (in
// the matching engine's own blocks), the answer, and the one write transaction that audits the
// query and tells the owning authorities (access_notice feed items) before anything is answered.
#include <sodium.h>

#include <algorithm>
#include <set>

#include "aegis/protocol/feed.hpp"
#include "aegis/protocol/identifiers.hpp"
#include "index/answer.hpp"
#include "index/audit_log.hpp"
#include "index/index_impl.hpp"
#include "index/schema.hpp"

namespace aegis::index {
namespace {

using protocol::Bytes;
using protocol::ByteView;

void append_field(Bytes& out, std::string_view field) {
  const auto n = static_cast<std::uint32_t>(field.size());
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<std::uint8_t>(n >> shift));
  out.insert(out.end(), field.begin(), field.end());
}

std::string lower_ascii(std::string s) {
  for (char& c : s)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return s;
}

// The criteria as the digest covers them: each field length-prefixed, names and postcode in
// lower case and the postcode without spaces, so the same search typed twice has one digest.
Bytes criteria_bytes(const protocol::QueryCriteria& c) {
  Bytes out;
  append_field(out, lower_ascii(c.given));
  append_field(out, lower_ascii(c.family));
  append_field(out, c.date_of_birth.to_string());
  std::string postcode;
  if (c.postcode)
    for (char ch : lower_ascii(*c.postcode))
      if (ch != ' ') postcode.push_back(ch);
  append_field(out, postcode);
  if (c.tokens)
    for (const protocol::MatchEntry& e : c.tokens->entries) {
      out.push_back(static_cast<std::uint8_t>(e.kind));
      out.insert(out.end(), e.token.begin(), e.token.end());
    }
  return out;
}

// The criteria fields a query used (rule 9: which fields, never their values).
std::string fields_used(const protocol::QueryCriteria& c) {
  std::string out = "given,family,date_of_birth";
  if (c.postcode) out += ",postcode";
  if (c.tokens)
    for (const protocol::MatchEntry& e : c.tokens->entries)
      out += "," + std::string(protocol::identifier_kind_name(e.kind)) + "_token";
  return out;
}


// The keyed digest of the criteria (rule 9): BLAKE2b-256 keyed with the index's digest key.
protocol::Hash criteria_digest(const protocol::QueryCriteria& criteria,
                               const protocol::ByteArray<32>& key) {
  const Bytes bytes = criteria_bytes(criteria);
  protocol::Hash out{};
  crypto_generichash(out.data(), out.size(), bytes.data(), bytes.size(), key.data(), key.size());
  return out;
}

// Remembers an authority's new feed head (the caller sends it its new items).
void note_feed_head(std::vector<FeedHead>& feeds, const std::string& authority,
                    std::uint64_t seq) {
  auto head = std::find_if(feeds.begin(), feeds.end(),
                           [&](const FeedHead& h) { return h.authority_id == authority; });
  if (head == feeds.end()) feeds.push_back({authority, seq});
  else head->feed_seq = seq;
}

// One live, not archived record of the child an override names, as stored.
struct OverrideSource {
  std::string authority_id;
  std::string record_id;
  protocol::RecordPayload payload;
};

// An audit entry's who and why: the asker's user, authority and purpose, at now_ms.
protocol::AuditEntry asker_entry(protocol::AuditAction action, const protocol::Query& query,
                                 std::uint64_t now_ms) {
  protocol::AuditEntry entry;
  entry.timestamp_ms = now_ms;
  entry.action = action;
  entry.actor = query.user_id;
  entry.authority_id = query.authority_id;
  entry.purpose = std::string(protocol::query_purpose_name(query.purpose));
  return entry;
}

// The audit entry of an answered query (rule 9): who, why, a keyed digest of the criteria,
// every record whose child was shown (a shielded child's identity too).
protocol::AuditEntry query_audit_entry(const protocol::Query& query,
                                       const protocol::Answer& answer,
                                       const std::map<std::string, std::vector<resolve::RecordRef>>&
                                           all_records,
                                       const protocol::ByteArray<32>& digest_key,
                                       std::uint64_t now_ms) {
  protocol::AuditEntry entry = asker_entry(protocol::AuditAction::query, query, now_ms);
  entry.query_digest = criteria_digest(query.criteria, digest_key);
  std::set<resolve::RecordRef> shown;
  for (const protocol::AnswerChild& child : answer.children) {
    if (auto it = all_records.find(child.national_id); it != all_records.end())
      shown.insert(it->second.begin(), it->second.end());
  }
  for (const resolve::RecordRef& r : shown) {
    if (entry.records.size() == protocol::kMaxAuditRecords) break;
    entry.records.push_back({r.authority_id, r.record_id});
  }
  entry.detail = "role " + std::string(protocol::user_role_name(query.role)) + "; fields " +
                 fields_used(query.criteria) + "; children " +
                 std::to_string(answer.children.size()) + (answer.capped ? " (capped)" : "") +
                 "; query " + protocol::to_hex(query.query_id);
  return entry;
}

}  // namespace

Result<std::uint64_t> IndexStore::Impl::append_feed_item(const std::string& authority,
                                                         protocol::FeedItem item,
                                                         std::uint64_t now_ms,
                                                         const IndexSigning& signing) {
  Result<std::optional<HeadRow>> head = read_head(authority);
  if (!head) return head.error();
  if (!*head)
    return index_error(IndexErrc::corrupt, "feed of " + authority + ": unknown authority");
  protocol::ChainState feed = (*head)->feed;
  Result<Bytes> wire =
      store_feed_item((*head)->aid, authority, feed, std::move(item), now_ms, signing);
  if (!wire) return wire.error();
  if (Status s = write_feed_head((*head)->aid, feed); !s) return s.error();
  return feed.last_seq;
}

Status IndexStore::Impl::notify_owner(const std::string& owner, const std::string& record_id,
                                      const protocol::Query& query, const std::string& reason,
                                      std::uint64_t now_ms, const IndexSigning& signing,
                                      std::vector<FeedHead>& feeds) {
  protocol::FeedItem item;
  item.version = protocol::kNoticeFeedItemVersion;
  item.kind = protocol::FeedKind::override_notice;
  item.notice = {record_id,     query.authority_id, query.user_id, query.role,
                 query.purpose, query.time_ms,      reason};
  Result<std::uint64_t> seq = append_feed_item(owner, std::move(item), now_ms, signing);
  if (!seq) return seq.error();
  note_feed_head(feeds, owner, *seq);
  return protocol::Ok{};
}

Status IndexStore::Impl::queue_notice(const std::string& owner, const std::string& record_id,
                                      const protocol::Query& query) {
  Result<std::int64_t> aid = aid_of(owner);
  if (!aid) return aid.error();
  sql::Use q(*st.insert_notice);
  q->bind(1, *aid);
  q->bind(2, record_id);
  q->bind(3, query.authority_id);
  q->bind(4, query.user_id);
  q->bind(5, static_cast<std::int64_t>(query.role));
  q->bind(6, static_cast<std::int64_t>(query.purpose));
  q->bind(7, i64(query.time_ms));
  return q->run();
}

Result<std::vector<FeedHead>> IndexStore::flush_notices(std::uint64_t now_ms,
                                                        const IndexSigning& signing) {
  Impl& m = *impl_;
  std::vector<FeedHead> feeds;
  Result<std::uint64_t> waiting_now = pending_notices();  // an idle index takes no write lock
  if (!waiting_now) return waiting_now.error();
  if (*waiting_now == 0) return feeds;
  Result<sql::Transaction> tx = sql::Transaction::begin(m.db, "flush access notices");
  if (!tx) return tx.error();
  // The oldest waiting notices (at most kMaxNoticesFlushed), each owner's in the order of the
  // accesses.
  struct Waiting {
    std::string owner;
    protocol::AccessNotice notice;
  };
  std::vector<Waiting> waiting;
  std::int64_t last_id = 0;
  {
    Result<sql::Statement> q = m.db.prepare(
        "SELECT p.id, a.authority_id, p.record_id, p.viewer_authority_id, p.user_id, p.role, "
        "p.purpose, p.time_ms FROM pending_notices p JOIN authorities a ON a.aid = p.aid "
        "ORDER BY p.id LIMIT ?1",
        "read pending notices");
    if (!q) return q.error();
    q->bind(1, static_cast<std::int64_t>(kMaxNoticesFlushed));
    for (;;) {
      Result<bool> row = q->step();
      if (!row) return row.error();
      if (!*row) break;
      last_id = q->int64(0);
      waiting.push_back({q->text(1),
                         {q->text(2), q->text(3), q->text(4),
                          static_cast<protocol::UserRole>(q->int64(5)),
                          static_cast<protocol::QueryPurpose>(q->int64(6)), u64(q->int64(7)),
                          {}}});
    }
  }
  if (waiting.empty()) return feeds;
  std::stable_sort(waiting.begin(), waiting.end(),
                   [](const Waiting& a, const Waiting& b) { return a.owner < b.owner; });
  for (std::size_t from = 0; from < waiting.size();) {
    protocol::FeedItem item;
    item.version = protocol::kNoticeListFeedItemVersion;
    item.kind = protocol::FeedKind::access_notice;
    std::size_t to = from;
    while (to < waiting.size() && waiting[to].owner == waiting[from].owner &&
           item.notices.size() < protocol::kMaxNoticesPerItem)
      item.notices.push_back(std::move(waiting[to++].notice));
    Result<std::uint64_t> seq =
        m.append_feed_item(waiting[from].owner, std::move(item), now_ms, signing);
    if (!seq) return seq.error();
    note_feed_head(feeds, waiting[from].owner, *seq);
    from = to;
  }
  {
    Result<sql::Statement> q =
        m.db.prepare("DELETE FROM pending_notices WHERE id <= ?1", "delete flushed notices");
    if (!q) return q.error();
    q->bind(1, last_id);
    if (Status s = q->run(); !s) return s.error();
  }
  if (Status s = tx->commit(); !s) return s.error();
  return feeds;
}

Result<std::uint64_t> IndexStore::pending_notices() {
  Result<sql::Statement> q = impl_->db.prepare(
      "SELECT count(*) FROM (SELECT 1 FROM pending_notices LIMIT ?1)", "count pending notices");
  if (!q) return q.error();
  q->bind(1, static_cast<std::int64_t>(kMaxNoticesFlushed));
  Result<bool> row = q->step();
  if (!row) return row.error();
  return u64(q->int64(0));
}

Result<IndexStore::SearchFound> IndexStore::search(const protocol::QueryCriteria& criteria,
                                                   SearchEngine use) {
  Impl& m = *impl_;
  if (Status s = m.ensure_resolver(); !s) return s.error();
  const resolve::Resolver* engine = m.resolver.get();
  std::unique_ptr<resolve::Resolver> built;
  if (use == SearchEngine::rebuilt) {  // a second engine from the store, thrown away after
    Result<sql::Transaction> tx = sql::Transaction::begin_read(m.db, "rebuild engine to search");
    if (!tx) return tx.error();
    if (Status s = m.sync_pending(); !s) return s.error();
    std::vector<resolve::LinkageEvent> events;
    Result<std::unique_ptr<resolve::Resolver>> fresh = m.build_resolver(events);
    if (!fresh) return fresh.error();
    built = std::move(fresh).value();
    engine = built.get();
  }
  SearchFound out;
  out.result = resolve::search(*engine, criteria);
  for (const resolve::SearchChild& c : out.result.children)
    if (!c.hits.empty()) out.records[c.national_id] = engine->cluster_of(c.hits.front().ref);
  return out;
}

Result<AnsweredQuery> IndexStore::answer_query(const protocol::Query& query,
                                               const ShieldRoutes& routes,
                                               const protocol::ByteArray<32>& digest_key,
                                               std::uint64_t now_ms) {
  Result<std::vector<AnsweredQuery>> done =
      answer_queries(std::span(&query, 1), routes, digest_key, now_ms);
  if (!done) return done.error();
  return std::move(done->front());
}

Result<std::vector<AnsweredQuery>> IndexStore::answer_queries(
    std::span<const protocol::Query> queries, const ShieldRoutes& routes,
    const protocol::ByteArray<32>& digest_key, std::uint64_t now_ms) {
  Impl& m = *impl_;
  // Reads first, every query's (this thread is the only writer, so nothing changes before the
  // write transaction below).
  std::vector<AnsweredQuery> out(queries.size());
  std::vector<protocol::AuditEntry> entries;
  entries.reserve(queries.size());
  for (std::size_t i = 0; i < queries.size(); ++i) {
    Result<SearchFound> found = search(queries[i].criteria);
    if (!found) return found.error();
    Result<protocol::Answer> answer =
        answer_from_store(*this, queries[i].query_id, found->result, found->records, routes);
    if (!answer) return answer.error();
    entries.push_back(query_audit_entry(queries[i], *answer, found->records, digest_key, now_ms));
    out[i].answer = std::move(answer).value();
  }

  // One write transaction for them all (a group commit: one fsync however many queries).
  Result<sql::Transaction> tx = sql::Transaction::begin(m.db, "audit queries");
  if (!tx) return tx.error();
  Result<AuditLog*> audit = m.writable_audit();
  if (!audit) return audit.error();
  for (std::size_t i = 0; i < queries.size(); ++i) {
    const protocol::Query& query = queries[i];
    Result<std::uint64_t> index = (*audit)->append(entries[i]);
    if (!index) return index.error();
    out[i].audit_index = *index;
    // Rule 8: a notice per record returned in full, to its owner unless it asked; queued
    // with the audit entry, signed into the owner's feed by the next flush_notices.
    for (const protocol::AnswerChild& child : out[i].answer.children) {
      for (const protocol::AnswerRecord& r : child.records) {
        if (r.authority_id == query.authority_id) continue;
        if (Status n = m.queue_notice(r.authority_id, r.record_id, query); !n) return n.error();
      }
    }
  }
  if (Status s = tx->commit(); !s) {
    m.pending_synced = false;
    return s.error();
  }
  return out;
}

Result<AnsweredOverride> IndexStore::answer_override(const protocol::OverrideRequest& request,
                                                     std::uint64_t now_ms,
                                                     const IndexSigning& signing) {
  Impl& m = *impl_;
  const protocol::Query& query = request.query;
  // The child's records, read in one read transaction (the national id followed through
  // merges, as subject access does).
  std::string national_id = request.national_id;
  std::vector<OverrideSource> sources;
  {
    Result<sql::Transaction> tx = sql::Transaction::begin_read(m.db, "override: read child");
    if (!tx) return tx.error();
    Result<std::string> followed = m.follow_merges(std::move(national_id));
    if (!followed) return followed.error();
    national_id = std::move(followed).value();
    Result<sql::Statement> q = m.db.prepare(
        "SELECT c.aid, a.authority_id, c.record_id, c.last_seq FROM current_records c "
        "JOIN authorities a ON a.aid = c.aid "
        "LEFT JOIN retention t ON t.aid = c.aid AND t.record_id = c.record_id "
        "WHERE c.national_id = ?1 AND c.deleted = 0 AND t.aid IS NULL "
        "ORDER BY c.shielded DESC, a.authority_id, c.record_id",
        "override: records of the child");
    if (!q) return q.error();
    q->bind(1, national_id);
    for (;;) {
      Result<bool> row = q->step();
      if (!row) return row.error();
      if (!*row || sources.size() == protocol::kMaxAnswerRecords) break;
      OverrideSource source{q->text(1), q->text(2), {}};
      Result<protocol::RecordPayload> p =
          m.read_payload(q->int64(0), source.record_id, static_cast<std::uint64_t>(q->int64(3)),
                         "record " + source.authority_id + "/" + source.record_id);
      if (!p) return p.error();
      source.payload = std::move(*p);
      sources.push_back(std::move(source));
    }
  }
  if (sources.empty())
    return index_error(IndexErrc::not_found,
                       "override.national_id: no live record has this national id");
  if (!sources.front().payload.shielded())  // shielded records come first
    return index_error(IndexErrc::invalid_argument,
                       "override.national_id: the child is not shielded; use search");

  // The answer: identity as for a shielded child (no former names), the sealed blobs exactly
  // as stored, the clear records as a search shows them.
  protocol::OverrideAnswer answer;
  answer.query_id = query.query_id;
  answer.national_id = national_id;
  const protocol::ChildIdentity& identity = sources.front().payload.identity;
  answer.identity.name = identity.name;
  answer.identity.gender = identity.gender;
  answer.identity.date_of_birth = identity.date_of_birth;
  for (const OverrideSource& s : sources) {
    protocol::OverrideRecord r{s.authority_id, s.record_id, std::nullopt, std::nullopt};
    if (const auto* blob = std::get_if<protocol::SealedBlob>(&s.payload.details))
      r.sealed = *blob;
    else
      r.details = answerable_details(std::get<protocol::ChildDetails>(s.payload.details));
    answer.records.push_back(std::move(r));
  }
  // Records that do not fit one answer are left out, the last (clear ones) first.
  while (answer.records.size() > 1 &&
         protocol::encode_override_answer(answer).size() > protocol::kMaxAnswerSize)
    answer.records.pop_back();

  protocol::AuditEntry entry =
      asker_entry(protocol::AuditAction::override_shield, query, now_ms);
  std::size_t sealed = 0;
  for (const protocol::OverrideRecord& r : answer.records) {
    entry.records.push_back({r.authority_id, r.record_id});
    if (r.sealed) ++sealed;
  }
  entry.detail = std::string(kInvestigateMark) + "; role " +
                 std::string(protocol::user_role_name(query.role)) + "; sealed " +
                 std::to_string(sealed) + "; clear " +
                 std::to_string(answer.records.size() - sealed) +
                 "; reason in the owners' override_notice; query " +
                 protocol::to_hex(query.query_id);

  Result<sql::Transaction> tx = sql::Transaction::begin(m.db, "audit override");
  if (!tx) return tx.error();
  Result<std::uint64_t> index = m.append_audit(entry);
  if (!index) return index.error();
  AnsweredOverride out;
  out.audit_index = *index;
  // Every owner of a record answered is told at once, with the reason; the asker's own
  // records excepted (a feed never tells an authority of its own queries, PROTOCOL.md §13.2).
  for (const protocol::OverrideRecord& r : answer.records) {
    if (r.authority_id == query.authority_id) continue;
    if (Status n = m.notify_owner(r.authority_id, r.record_id, query, request.reason, now_ms,
                                  signing, out.feeds);
        !n)
      return n.error();
  }
  if (Status s = tx->commit(); !s) {
    m.pending_synced = false;
    return s.error();
  }
  out.answer = std::move(answer);
  return out;
}

}  // namespace aegis::index
