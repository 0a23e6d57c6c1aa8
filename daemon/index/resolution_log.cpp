// The SQLite implementation of ResolutionStore (tables of schema steps 3 and 4,
// daemon/index/schema.cpp).
#include "index/resolution_log.hpp"

#include <algorithm>
#include <charconv>
#include <map>

namespace aegis::index {

namespace sql = ::aegis::sqlite;
using resolve::ChangeKind;
using resolve::RecordRef;

namespace {

std::int64_t i64(std::uint64_t v) { return static_cast<std::int64_t>(v); }
std::uint64_t u64(std::int64_t v) { return static_cast<std::uint64_t>(v); }

// Scores are stored as REAL; the SQLite layer binds text, which a STRICT REAL column converts.
std::string score_text(double v) {
  char buf[32];
  const auto r = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::fixed, 3);
  return std::string(buf, r.ptr);
}
double score_of(const std::string& text) {
  double v = 0;
  std::from_chars(text.data(), text.data() + text.size(), v);
  return v;
}

constexpr std::string_view kQueueColumns =
    "id, a_authority_id, a_record_id, b_authority_id, b_record_id, score, cap, evidence, "
    "since_ms";

QueuedPair queued_pair(sqlite::Statement& q) {
  QueuedPair p;
  p.id = u64(q.int64(0));
  p.a = {q.text(1), q.text(2)};
  p.b = {q.text(3), q.text(4)};
  p.score = score_of(q.text(5));
  p.cap = q.text(6);
  p.evidence = q.text(7);
  p.since_ms = u64(q.int64(8));
  return p;
}

constexpr std::string_view kDecisionColumns =
    "id, time_ms, kind, a_authority_id, a_record_id, b_authority_id, b_record_id, operator, "
    "reason, review_id";

StoredDecision stored_decision(sqlite::Statement& q) {
  StoredDecision d;
  d.id = u64(q.int64(0));
  d.time_ms = u64(q.int64(1));
  d.kind = q.text(2) == "link" ? resolve::DecisionKind::link : resolve::DecisionKind::separate;
  d.a = {q.text(3), q.text(4)};
  d.b = {q.text(5), q.text(6)};
  d.operator_id = q.text(7);
  d.reason = q.text(8);
  if (!q.is_null(9)) d.review_id = u64(q.int64(9));
  return d;
}

}  // namespace

std::string evidence_text(const resolve::PairScore& score) {
  std::string out;
  for (const resolve::FieldEvidence& e : score.evidence) {
    if (e.level == resolve::Level::missing) continue;
    if (!out.empty()) out += ' ';
    out += resolve::field_name(e.field);
    out += '=';
    out += resolve::level_name(e.level);
    out += ':';
    out += score_text(e.weight);
  }
  return out;
}

Result<std::unique_ptr<ResolutionLog>> ResolutionLog::prepare(sql::Db& db) {
  std::unique_ptr<ResolutionLog> made(new ResolutionLog(db));
  ResolutionLog& log = *made;
  const std::string decision_on = "SELECT " + std::string(kDecisionColumns) +
                                  " FROM operator_decisions WHERE review_id = ?1 "
                                  "ORDER BY id DESC LIMIT 1";
  const std::string review_of =
      "SELECT " + std::string(kQueueColumns) +
      " FROM review_queue WHERE (a_authority_id = ?1 AND a_record_id = ?2) "
      "OR (b_authority_id = ?1 AND b_record_id = ?2)";
  const std::string review_list = "SELECT " + std::string(kQueueColumns) +
                                  " FROM review_queue ORDER BY score DESC, id LIMIT ?1";
  const std::string review_pair =
      "SELECT " + std::string(kQueueColumns) + " FROM review_queue WHERE id = ?1";
  struct Spec {
    std::optional<sql::Statement> Statements::*member;
    std::string_view sql;
    std::string_view what;
  };
  const Spec specs[] = {
      {&Statements::minted_order,
       "SELECT minted_order FROM national_ids WHERE national_id = ?1", "read national id"},
      {&Statements::log_id,
       "INSERT INTO national_id_log (national_id, minted_order) VALUES (?1, ?2)",
       "store national id"},
      {&Statements::revive_logged,
       "UPDATE national_id_log SET retired = 0 WHERE minted_order = ?1", "store national id"},
      {&Statements::alias_id, "UPDATE national_ids SET alias_of = ?2 WHERE national_id = ?1",
       "store national id alias"},
      {&Statements::alias_logged,
       "UPDATE national_id_log SET alias_of = ?2 WHERE minted_order = ?1",
       "store national id alias"},
      {&Statements::retire_id, "UPDATE national_ids SET retired = 1 WHERE national_id = ?1",
       "retire national id"},
      {&Statements::retire_logged,
       "UPDATE national_id_log SET retired = 1 WHERE minted_order = ?1", "retire national id"},
      {&Statements::alias_of, "SELECT alias_of FROM national_ids WHERE national_id = ?1",
       "read national id alias"},
      {&Statements::alias_of_logged,
       "SELECT alias_of FROM national_id_log WHERE minted_order = ?1", "read national id alias"},
      {&Statements::insert_event,
       "INSERT INTO linkage_events (time_ms, kind, national_id, previous_ids, decided_by, "
       "reason) VALUES (?1, ?2, ?3, ?4, ?5, ?6) RETURNING id",
       "store linkage event"},
      {&Statements::insert_event_record,
       "INSERT OR IGNORE INTO linkage_event_records (event_id, authority_id, record_id) "
       "VALUES (?1, ?2, ?3)",
       "store linkage event record"},
      {&Statements::sent_to,
       "SELECT other_authority_id, other_record_id, state, digest FROM elsewhere_sent "
       "WHERE authority_id = ?1 AND record_id = ?2",
       "read elsewhere sent"},
      {&Statements::told_about,
       "SELECT authority_id, record_id FROM elsewhere_sent "
       "WHERE other_authority_id = ?1 AND other_record_id = ?2",
       "read elsewhere told"},
      {&Statements::set_sent,
       "INSERT INTO elsewhere_sent (authority_id, record_id, other_authority_id, "
       "other_record_id, state, digest) VALUES (?1, ?2, ?3, ?4, ?5, ?6) "
       "ON CONFLICT DO UPDATE SET state = excluded.state, digest = excluded.digest",
       "store elsewhere sent"},
      {&Statements::forget_sent,
       "DELETE FROM elsewhere_sent WHERE authority_id = ?1 AND record_id = ?2 "
       "AND other_authority_id = ?3 AND other_record_id = ?4",
       "forget elsewhere sent"},
      {&Statements::forget_all_sent,
       "DELETE FROM elsewhere_sent WHERE authority_id = ?1 AND record_id = ?2",
       "forget elsewhere sent"},
      {&Statements::decision_on, decision_on, "read operator decision"},
      {&Statements::add_decision,
       "INSERT INTO operator_decisions (time_ms, kind, a_authority_id, a_record_id, "
       "b_authority_id, b_record_id, operator, reason, review_id) "
       "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) RETURNING id",
       "store operator decision"},
      {&Statements::review_of, review_of, "read review queue"},
      {&Statements::upsert_review,
       "INSERT INTO review_queue (a_authority_id, a_record_id, b_authority_id, b_record_id, "
       "score, cap, evidence, since_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) "
       "ON CONFLICT (a_authority_id, a_record_id, b_authority_id, b_record_id) DO UPDATE SET "
       "score = excluded.score, cap = excluded.cap, evidence = excluded.evidence",
       "store review pair"},
      {&Statements::delete_review, "DELETE FROM review_queue WHERE id = ?1",
       "remove review pair"},
      {&Statements::review_list, review_list, "read review queue"},
      {&Statements::review_pair, review_pair, "read review pair"},
  };
  for (const Spec& s : specs) {
    Result<sql::Statement> st = db.prepare(s.sql, s.what);
    if (!st) return st.error();
    (log.st_.*(s.member)).emplace(std::move(st).value());
  }
  return made;
}

namespace {

constexpr std::string_view kLoggedOrders = "SELECT national_id, minted_order FROM national_id_log";

// Every (national id, minting order) row `sql` selects, into `out` (a later row of an id wins).
Status read_orders(sql::Db& db, std::string_view sql,
                   std::unordered_map<std::string, std::uint64_t>& out) {
  Result<sql::Statement> q = db.prepare(sql, "read national ids");
  if (!q) return q.error();
  for (;;) {
    Result<bool> row = q->step();
    if (!row) return row.error();
    if (!*row) return protocol::Ok{};
    out.insert_or_assign(q->text(0), static_cast<std::uint64_t>(q->int64(1)));
  }
}

}  // namespace

Result<std::unordered_map<std::string, std::uint64_t>> ResolutionLog::minted_orders() {
  std::unordered_map<std::string, std::uint64_t> out;
  // national_ids last: an id minted again since the merge (a minting source that repeated
  // itself) keeps its older order, as the merge will (merge_ids).
  if (Status s = read_orders(*db_, kLoggedOrders, out); !s) return s.error();
  if (Status s = read_orders(*db_, "SELECT national_id, minted_order FROM national_ids", out); !s)
    return s.error();
  return out;
}

// national_ids first, for the same reason as minted_orders (a rare path: a record upserted
// again after its delete).
Result<std::optional<std::uint64_t>> ResolutionLog::minted_order(std::string_view national_id) {
  sql::Use q(*st_.minted_order);
  q->bind(1, national_id);
  Result<bool> row = q->step();
  if (!row) return row.error();
  if (*row) return std::optional<std::uint64_t>(static_cast<std::uint64_t>(q->int64(0)));
  if (auto it = logged_.find(std::string(national_id)); it != logged_.end())
    return std::optional<std::uint64_t>(it->second);
  return std::optional<std::uint64_t>();
}

Result<std::optional<std::string>> ResolutionLog::alias_of(std::string_view national_id) {
  const auto it = logged_.find(std::string(national_id));
  sql::Use q(it != logged_.end() ? *st_.alias_of_logged : *st_.alias_of);
  if (it != logged_.end()) q->bind(1, i64(it->second));
  else q->bind(1, national_id);
  Result<bool> row = q->step();
  if (!row) return row.error();
  if (!*row || q->is_null(0)) return std::optional<std::string>();
  return std::optional<std::string>(q->text(0));
}

// Sorted by id: consecutive ids share leaf pages of national_ids, each written once per merge.
// An id minted again since (only a minting source that repeats itself) takes the log's alias
// and retirement and keeps its older minting order.
Status ResolutionLog::merge_ids() {
  if (logged_.empty()) return protocol::Ok{};
  if (Status s = db_->exec(
          "INSERT INTO national_ids (national_id, minted_order, alias_of, retired) "
          "SELECT national_id, minted_order, alias_of, retired FROM national_id_log WHERE true "
          "ORDER BY national_id "
          "ON CONFLICT (national_id) DO UPDATE SET alias_of = excluded.alias_of, "
          "retired = excluded.retired; "
          "DELETE FROM national_id_log;",
          "merge national ids");
      !s)
    return s;
  logged_.clear();
  return protocol::Ok{};
}

Status ResolutionLog::reload() {
  logged_.clear();
  return read_orders(*db_, kLoggedOrders, logged_);
}

Status ResolutionLog::update_id(const std::string& national_id, sql::Statement& logged,
                                sql::Statement& merged, const std::string* value) {
  const auto it = logged_.find(national_id);
  sql::Use q(it != logged_.end() ? logged : merged);
  if (it != logged_.end()) q->bind(1, i64(it->second));
  else q->bind(1, national_id);
  if (value) q->bind(2, *value);
  return q->run();
}

Status ResolutionLog::write(const std::vector<resolve::LinkageEvent>& events,
                            const resolve::Resolver& engine, std::uint64_t now_ms) {
  for (const resolve::LinkageEvent& e : events) {
    if (e.kind == ChangeKind::created || e.kind == ChangeKind::split) {
      // Appended to the log in minting order, never a random-key insert (schema step 7).
      if (auto it = logged_.find(e.national_id); it != logged_.end()) {
        sql::Use q(*st_.revive_logged);  // a minting source that repeated itself
        q->bind(1, i64(it->second));
        if (Status s = q->run(); !s) return s;
      } else {
        const std::uint64_t order = engine.minted_order(e.national_id).value_or(0);
        sql::Use q(*st_.log_id);
        q->bind(1, e.national_id);
        q->bind(2, i64(order));
        if (Status s = q->run(); !s) return s;
        logged_.emplace(e.national_id, order);
      }
    }
    if (e.kind == ChangeKind::merged) {
      for (const std::string& old : e.previous_ids) {
        if (Status s = update_id(old, *st_.alias_logged, *st_.alias_id, &e.national_id); !s)
          return s;
      }
    }
    if (e.kind == ChangeKind::retired) {
      if (Status s = update_id(e.national_id, *st_.retire_logged, *st_.retire_id, nullptr); !s)
        return s;
    }
    std::string previous;
    for (const std::string& id : e.previous_ids) previous += (previous.empty() ? "" : " ") + id;
    std::int64_t event_id = 0;
    {
      sql::Use q(*st_.insert_event);
      q->bind(1, i64(now_ms));
      q->bind(2, resolve::change_kind_name(e.kind));
      q->bind(3, e.national_id);
      q->bind(4, previous);
      q->bind(5, resolve::decider_name(e.decided_by));
      q->bind(6, e.reason);
      Result<bool> row = q->step();
      if (!row) return row.error();
      event_id = q->int64(0);
    }
    for (const RecordRef& r : e.records) {
      sql::Use q(*st_.insert_event_record);
      q->bind(1, event_id);
      q->bind(2, r.authority_id);
      q->bind(3, r.record_id);
      if (Status s = q->run(); !s) return s;
    }
  }
  return protocol::Ok{};
}

Result<std::vector<ElsewhereSent>> ResolutionLog::sent_to(const RecordRef& record) {
  sql::Use q(*st_.sent_to);
  q->bind(1, record.authority_id);
  q->bind(2, record.record_id);
  std::vector<ElsewhereSent> out;
  for (;;) {
    Result<bool> row = q->step();
    if (!row) return row.error();
    if (!*row) return out;
    ElsewhereSent s;
    s.other = {q->text(0), q->text(1)};
    s.state = static_cast<std::uint8_t>(q->int64(2));
    protocol::ByteView d = q->blob_view(3);
    if (d.size() == s.digest.size()) std::copy(d.begin(), d.end(), s.digest.begin());
    out.push_back(std::move(s));
  }
}

Result<std::set<RecordRef>> ResolutionLog::told_records() {
  Result<sql::Statement> q = db_->prepare(
      "SELECT DISTINCT authority_id, record_id FROM elsewhere_sent", "read elsewhere sent");
  if (!q) return q.error();
  std::set<RecordRef> out;
  for (;;) {
    Result<bool> row = q->step();
    if (!row) return row.error();
    if (!*row) return out;
    out.insert({q->text(0), q->text(1)});
  }
}

Result<std::vector<RecordRef>> ResolutionLog::told_about(const RecordRef& other) {
  sql::Use q(*st_.told_about);
  q->bind(1, other.authority_id);
  q->bind(2, other.record_id);
  std::vector<RecordRef> out;
  for (;;) {
    Result<bool> row = q->step();
    if (!row) return row.error();
    if (!*row) return out;
    out.push_back({q->text(0), q->text(1)});
  }
}

Status ResolutionLog::set_sent(const RecordRef& record, const ElsewhereSent& sent) {
  sql::Use q(*st_.set_sent);
  q->bind(1, record.authority_id);
  q->bind(2, record.record_id);
  q->bind(3, sent.other.authority_id);
  q->bind(4, sent.other.record_id);
  q->bind(5, std::int64_t{sent.state});
  q->bind(6, protocol::ByteView(sent.digest));
  return q->run();
}

Status ResolutionLog::forget_sent(const RecordRef& record, const RecordRef& other) {
  sql::Use q(*st_.forget_sent);
  q->bind(1, record.authority_id);
  q->bind(2, record.record_id);
  q->bind(3, other.authority_id);
  q->bind(4, other.record_id);
  return q->run();
}

Status ResolutionLog::forget_all_sent(const RecordRef& record) {
  sql::Use q(*st_.forget_all_sent);
  q->bind(1, record.authority_id);
  q->bind(2, record.record_id);
  return q->run();
}

// ---- Operator decisions ---------------------------------------------------------------------

Result<std::vector<StoredDecision>> ResolutionLog::decisions() {
  Result<sql::Statement> q = db_->prepare(
      "SELECT " + std::string(kDecisionColumns) + " FROM operator_decisions ORDER BY id",
      "read operator decisions");
  if (!q) return q.error();
  std::vector<StoredDecision> out;
  for (;;) {
    Result<bool> row = q->step();
    if (!row) return row.error();
    if (!*row) return out;
    out.push_back(stored_decision(*q));
  }
}

Result<std::optional<StoredDecision>> ResolutionLog::decision_on(std::uint64_t review_id) {
  sql::Use q(*st_.decision_on);
  q->bind(1, i64(review_id));
  Result<bool> row = q->step();
  if (!row) return row.error();
  if (!*row) return std::optional<StoredDecision>();
  return std::optional<StoredDecision>(stored_decision(*st_.decision_on));
}

Status ResolutionLog::add_decision(StoredDecision& d) {
  sql::Use q(*st_.add_decision);
  q->bind(1, i64(d.time_ms));
  q->bind(2, d.kind == resolve::DecisionKind::link ? "link" : "separate");
  q->bind(3, d.a.authority_id);
  q->bind(4, d.a.record_id);
  q->bind(5, d.b.authority_id);
  q->bind(6, d.b.record_id);
  q->bind(7, d.operator_id);
  q->bind(8, d.reason);
  if (d.review_id) q->bind(9, i64(*d.review_id));
  else q->bind_null(9);
  Result<bool> row = q->step();
  if (!row) return row.error();
  d.id = u64(q->int64(0));
  return protocol::Ok{};
}

// ---- Review queue ---------------------------------------------------------------------------

Status ResolutionLog::upsert_review(const resolve::ReviewPair& pair, std::uint64_t now_ms) {
  sql::Use q(*st_.upsert_review);
  q->bind(1, pair.a.authority_id);
  q->bind(2, pair.a.record_id);
  q->bind(3, pair.b.authority_id);
  q->bind(4, pair.b.record_id);
  q->bind(5, score_text(pair.score.score));
  q->bind(6, resolve::cap_name(pair.score.cap));
  q->bind(7, evidence_text(pair.score));
  q->bind(8, i64(now_ms));
  return q->run();
}

Status ResolutionLog::sync_review(const RecordRef& record,
                                  const std::vector<resolve::ReviewPair>& pairs,
                                  std::uint64_t now_ms) {
  std::set<std::pair<RecordRef, RecordRef>> wanted;
  for (const resolve::ReviewPair& p : pairs) wanted.insert({p.a, p.b});
  std::vector<std::uint64_t> gone;
  {
    sql::Use q(*st_.review_of);
    q->bind(1, record.authority_id);
    q->bind(2, record.record_id);
    for (;;) {
      Result<bool> row = q->step();
      if (!row) return row.error();
      if (!*row) break;
      QueuedPair p = queued_pair(*st_.review_of);
      if (!wanted.contains({p.a, p.b})) gone.push_back(p.id);
    }
  }
  for (std::uint64_t id : gone) {
    sql::Use q(*st_.delete_review);
    q->bind(1, i64(id));
    if (Status s = q->run(); !s) return s;
  }
  for (const resolve::ReviewPair& p : pairs)
    if (Status s = upsert_review(p, now_ms); !s) return s;
  return protocol::Ok{};
}

Status ResolutionLog::replace_review(const std::vector<resolve::ReviewPair>& pairs,
                                     std::uint64_t now_ms) {
  std::set<std::pair<RecordRef, RecordRef>> wanted;
  for (const resolve::ReviewPair& p : pairs) wanted.insert({p.a, p.b});
  std::vector<std::uint64_t> gone;
  {
    Result<sql::Statement> q = db_->prepare(
        "SELECT " + std::string(kQueueColumns) + " FROM review_queue", "read review queue");
    if (!q) return q.error();
    for (;;) {
      Result<bool> row = q->step();
      if (!row) return row.error();
      if (!*row) break;
      QueuedPair p = queued_pair(*q);
      if (!wanted.contains({p.a, p.b})) gone.push_back(p.id);
    }
  }
  for (std::uint64_t id : gone) {
    sql::Use q(*st_.delete_review);
    q->bind(1, i64(id));
    if (Status s = q->run(); !s) return s;
  }
  for (const resolve::ReviewPair& p : pairs)
    if (Status s = upsert_review(p, now_ms); !s) return s;
  return protocol::Ok{};
}

Result<std::vector<QueuedPair>> ResolutionLog::review_list(std::size_t max) {
  sql::Use q(*st_.review_list);
  q->bind(1, i64(max));
  std::vector<QueuedPair> out;
  for (;;) {
    Result<bool> row = q->step();
    if (!row) return row.error();
    if (!*row) return out;
    out.push_back(queued_pair(*st_.review_list));
  }
}

Result<std::uint64_t> ResolutionLog::review_count() {
  Result<sql::Statement> q =
      db_->prepare("SELECT count(*) FROM review_queue", "count review queue");
  if (!q) return q.error();
  Result<bool> row = q->step();
  if (!row) return row.error();
  return u64(q->int64(0));
}

Result<std::optional<QueuedPair>> ResolutionLog::review_pair(std::uint64_t id) {
  sql::Use q(*st_.review_pair);
  q->bind(1, i64(id));
  Result<bool> row = q->step();
  if (!row) return row.error();
  if (!*row) return std::optional<QueuedPair>();
  return std::optional<QueuedPair>(queued_pair(*st_.review_pair));
}

Result<std::uint64_t> ResolutionLog::review_last_id() {
  Result<sql::Statement> q = db_->prepare(
      "SELECT coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'review_queue'), 0)",
      "read review queue");
  if (!q) return q.error();
  Result<bool> row = q->step();
  if (!row) return row.error();
  return u64(q->int64(0));
}

}  // namespace aegis::index
