// The SQLite implementation of ResolutionLog (tables of schema step 3, daemon/index/schema.cpp).
#include "index/resolution_log.hpp"

#include <algorithm>

namespace aegis::index {

namespace sql = ::aegis::sqlite;
using resolve::ChangeKind;
using resolve::RecordRef;

namespace {

std::int64_t i64(std::uint64_t v) { return static_cast<std::int64_t>(v); }

}  // namespace

Result<ResolutionLog> ResolutionLog::prepare(sql::Db& db) {
  ResolutionLog log(db);
  struct Spec {
    std::optional<sql::Statement> Statements::*member;
    std::string_view sql;
    std::string_view what;
  };
  const Spec specs[] = {
      {&Statements::minted_order,
       "SELECT minted_order FROM national_ids WHERE national_id = ?1", "read national id"},
      {&Statements::insert_id,
       "INSERT INTO national_ids (national_id, minted_order) VALUES (?1, ?2) "
       "ON CONFLICT (national_id) DO UPDATE SET retired = 0",
       "store national id"},
      {&Statements::alias_id, "UPDATE national_ids SET alias_of = ?2 WHERE national_id = ?1",
       "store national id alias"},
      {&Statements::retire_id, "UPDATE national_ids SET retired = 1 WHERE national_id = ?1",
       "retire national id"},
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
  };
  for (const Spec& s : specs) {
    Result<sql::Statement> st = db.prepare(s.sql, s.what);
    if (!st) return st.error();
    (log.st_.*(s.member)).emplace(std::move(st).value());
  }
  return log;
}

Result<std::unordered_map<std::string, std::uint64_t>> ResolutionLog::minted_orders() {
  Result<sql::Statement> q =
      db_->prepare("SELECT national_id, minted_order FROM national_ids", "read national ids");
  if (!q) return q.error();
  std::unordered_map<std::string, std::uint64_t> out;
  for (;;) {
    Result<bool> row = q->step();
    if (!row) return row.error();
    if (!*row) return out;
    out.emplace(q->text(0), static_cast<std::uint64_t>(q->int64(1)));
  }
}

Result<std::optional<std::uint64_t>> ResolutionLog::minted_order(std::string_view national_id) {
  sql::Use q(*st_.minted_order);
  q->bind(1, national_id);
  Result<bool> row = q->step();
  if (!row) return row.error();
  if (!*row) return std::optional<std::uint64_t>();
  return std::optional<std::uint64_t>(static_cast<std::uint64_t>(q->int64(0)));
}

Status ResolutionLog::write(const std::vector<resolve::LinkageEvent>& events,
                            const resolve::Resolver& engine, std::uint64_t now_ms) {
  for (const resolve::LinkageEvent& e : events) {
    if (e.kind == ChangeKind::created || e.kind == ChangeKind::split) {
      sql::Use q(*st_.insert_id);
      q->bind(1, e.national_id);
      q->bind(2, i64(engine.minted_order(e.national_id).value_or(0)));
      if (Status s = q->run(); !s) return s;
    }
    if (e.kind == ChangeKind::merged) {
      for (const std::string& old : e.previous_ids) {
        sql::Use q(*st_.alias_id);
        q->bind(1, old);
        q->bind(2, e.national_id);
        if (Status s = q->run(); !s) return s;
      }
    }
    if (e.kind == ChangeKind::retired) {
      sql::Use q(*st_.retire_id);
      q->bind(1, e.national_id);
      if (Status s = q->run(); !s) return s;
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

}  // namespace aegis::index
