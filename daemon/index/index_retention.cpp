// Retention at the index (docs/index-store.md §12, docs/query.md "Retention"): archive flags,
// and the purge that erases a deleted record's envelopes and the feed items about it while
// the chains still verify; and the subject access export of one child (`aegis sar`).
#include <algorithm>
#include <functional>
#include <map>
#include <set>
#include <unordered_map>

#include "aegis/protocol/envelope.hpp"
#include "aegis/protocol/feed.hpp"
#include "aegis/protocol/signed.hpp"
#include "index/audit_log.hpp"
#include "index/index_impl.hpp"
#include "index/schema.hpp"
#include "retention/retention.hpp"

namespace aegis::index {

using protocol::Bytes;
using resolve::RecordRef;

namespace {

// The meta key of the day of the last completed retention run ("YYYY-MM-DD").
constexpr std::string_view kRetentionDayKey = "retention_day";

Status record_retention_day(sql::Db& db, protocol::Date today) {
  return write_meta(db, kRetentionDayKey, today.to_string());
}

std::string label(const RecordRef& r) { return "record " + r.authority_id + "/" + r.record_id; }

// A stored envelope decoded (verified on receipt: decoding is enough); nullopt when it does
// not decode (verify_all reports it).
std::optional<protocol::Envelope> decode_stored(protocol::ByteView wire) {
  protocol::DecodeLimits limits;
  limits.max_input = protocol::kMaxEnvelopeSize;
  auto s = protocol::decode_signed(wire, "envelope", limits);
  if (!s) return std::nullopt;
  auto e = protocol::decode_envelope_body(s->body);
  if (!e) return std::nullopt;
  return std::move(e).value();
}

std::optional<protocol::FeedItem> decode_feed(protocol::ByteView wire) {
  protocol::DecodeLimits limits;
  limits.max_input = protocol::kMaxFeedItemSize;
  auto s = protocol::decode_signed(wire, "feed item", limits);
  if (!s) return std::nullopt;
  auto f = protocol::decode_feed_item_body(s->body);
  if (!f) return std::nullopt;
  return std::move(f).value();
}

// The records a feed item carries something about (not national_id items: they list record
// and national ids only, many records per item).
std::vector<RecordRef> feed_item_about(const protocol::FeedItem& f) {
  switch (f.kind) {
    case protocol::FeedKind::elsewhere:
      return {{f.authority_id, f.elsewhere.record_id},
              {f.elsewhere.other_authority_id, f.elsewhere.other_record_id}};
    case protocol::FeedKind::access_notice:
    case protocol::FeedKind::override_notice: {
      // An item of version 6 holds a second's notices to one authority: purged (once
      // acknowledged) with the first of its records purged.
      std::vector<RecordRef> out;
      for (const protocol::AccessNotice& n : protocol::item_notices(f)) {
        RecordRef ref{f.authority_id, n.record_id};
        if (std::find(out.begin(), out.end(), ref) == out.end()) out.push_back(std::move(ref));
      }
      return out;
    }
    default:
      return {};
  }
}

std::string feed_kind_name(protocol::FeedKind k) {
  switch (k) {
    case protocol::FeedKind::applied: return "applied";
    case protocol::FeedKind::national_id: return "national_id";
    case protocol::FeedKind::elsewhere: return "elsewhere";
    case protocol::FeedKind::access_notice: return "access_notice";
    case protocol::FeedKind::override_notice: return "override_notice";
    case protocol::FeedKind::audit_checkpoint: return "audit_checkpoint";
  }
  return "kind " + std::to_string(static_cast<int>(k));
}

struct ErasedEnvelope {
  std::int64_t id = 0;
  protocol::Hash prev_hash{};
  protocol::Hash hash{};
};

struct PurgeStep {
  std::int64_t aid = 0;
  RecordRef ref;
  std::vector<ErasedEnvelope> envelopes;
  std::vector<std::pair<std::int64_t, protocol::Hash>> feed;  // (feed.id, its hash)
  bool waiting = false;  // a feed item about it not acknowledged yet
};

struct Plan {
  IndexRetentionCounts counts;
  std::vector<std::pair<std::int64_t, RecordRef>> archive;
  std::vector<PurgeStep> purge;
};

struct AuthorityInfo {
  std::string authority_id;
  std::uint64_t feed_acked = 0;
};

Result<std::map<std::int64_t, AuthorityInfo>> read_authorities(sql::Db& db) {
  Result<sql::Statement> q =
      db.prepare("SELECT aid, authority_id, feed_acked FROM authorities", "read authorities");
  if (!q) return q.error();
  std::map<std::int64_t, AuthorityInfo> out;
  for (;;) {
    Result<bool> row = q->step();
    if (!row) return row.error();
    if (!*row) return out;
    out[q->int64(0)] = {q->text(1), u64(q->int64(2))};
  }
}

// Reads the payload of a record's envelope (IndexStore::Impl::read_payload).
using ReadPayload = std::function<Result<protocol::RecordPayload>(
    std::int64_t aid, const std::string& record_id, std::uint64_t seq, const std::string& label)>;

// What is due on `today` (reads only; the caller holds a transaction).
Result<Plan> make_plan(sql::Db& db, const ReadPayload& read_payload, protocol::Date today) {
  Plan plan;
  Result<std::map<std::int64_t, AuthorityInfo>> authorities = read_authorities(db);
  if (!authorities) return authorities.error();
  // Deleted records not purged yet, by authority: record id -> archived.
  std::map<std::int64_t, std::map<std::string, bool>> deleted;
  {
    Result<sql::Statement> q = db.prepare(
        "SELECT c.aid, c.record_id, c.deleted, c.last_seq, t.archived_ms IS NOT NULL, "
        "t.purged_ms IS NOT NULL FROM current_records c "
        "LEFT JOIN retention t ON t.aid = c.aid AND t.record_id = c.record_id",
        "retention: read records");
    if (!q) return q.error();
    for (;;) {
      Result<bool> row = q->step();
      if (!row) return row.error();
      if (!*row) break;
      if (q->int64(5) != 0) {
        ++plan.counts.purged;
        continue;
      }
      const std::int64_t aid = q->int64(0);
      const bool archived = q->int64(4) != 0;
      RecordRef ref{(*authorities)[aid].authority_id, q->text(1)};
      if (q->int64(2) != 0) {
        deleted[aid][ref.record_id] = archived;
        continue;
      }
      Result<protocol::RecordPayload> p =
          read_payload(aid, ref.record_id, u64(q->int64(3)), label(ref));
      if (!p) return p.error();
      const retention::Stage stage = retention::stage_on(
          retention::schedule(retention::facts_of(p->identity, false)), today);
      if (archived) {
        ++plan.counts.archived;
      } else if (stage != retention::Stage::active) {
        ++plan.counts.archive_due;
        plan.archive.emplace_back(aid, std::move(ref));
      } else {
        ++plan.counts.active;
      }
    }
  }
  // A deleted record's dates are in its last upsert: one pass over the envelopes of each
  // authority with deleted records, collecting what an erasure needs on the way.
  std::set<RecordRef> due;
  std::map<RecordRef, std::size_t> step_of;
  for (auto& [aid, records] : deleted) {
    const std::string& authority_id = (*authorities)[aid].authority_id;
    std::unordered_map<std::string, std::pair<std::vector<ErasedEnvelope>,
                                              std::optional<protocol::ChildIdentity>>>
        found;
    Result<sql::Statement> q = db.prepare(
        "SELECT e.id, e.wire FROM envelopes e WHERE e.id BETWEEN ?1 AND ?2 AND NOT EXISTS "
        "(SELECT 1 FROM purged_envelopes p WHERE p.id = e.id) ORDER BY e.id",
        "retention: read envelopes");
    if (!q) return q.error();
    q->bind(1, schema::log_key(aid, 1));
    q->bind(2, schema::log_key(aid, schema::kMaxSeq));
    for (;;) {
      Result<bool> row = q->step();
      if (!row) return row.error();
      if (!*row) break;
      const protocol::ByteView wire = q->blob_view(1);
      std::optional<protocol::Envelope> e = decode_stored(wire);
      if (!e)
        return index_error(IndexErrc::corrupt, "authority " + authority_id + ": envelope " +
                                                   std::to_string(q->int64(0)) +
                                                   " does not decode");
      if (!records.contains(e->record_id)) continue;
      auto& [list, identity] = found[e->record_id];
      list.push_back({q->int64(0), e->prev_hash, protocol::envelope_hash(wire)});
      if (e->payload) identity = e->payload->identity;
    }
    for (auto& [record_id, archived] : records) {
      auto it = found.find(record_id);
      const bool purge_due =
          it != found.end() && it->second.second &&
          retention::stage_on(retention::schedule(retention::facts_of(*it->second.second, false)),
                              today) == retention::Stage::purge_due;
      if (!purge_due) {
        if (archived) ++plan.counts.archived;
        continue;
      }
      ++plan.counts.purge_due;
      PurgeStep step{aid, {authority_id, record_id}, std::move(it->second.first), {}, false};
      step_of[step.ref] = plan.purge.size();
      due.insert(step.ref);
      plan.purge.push_back(std::move(step));
    }
  }
  if (due.empty()) return plan;
  // Feed items about those records, to any authority.
  Result<sql::Statement> q = db.prepare(
      "SELECT f.id, f.wire FROM feed f WHERE NOT EXISTS "
      "(SELECT 1 FROM purged_feed p WHERE p.id = f.id) ORDER BY f.id",
      "retention: read feed");
  if (!q) return q.error();
  for (;;) {
    Result<bool> row = q->step();
    if (!row) return row.error();
    if (!*row) break;
    std::optional<protocol::FeedItem> f = decode_feed(q->blob_view(1));
    if (!f) continue;  // verify_all reports it
    const std::int64_t id = q->int64(0);
    const std::uint64_t acked = (*authorities)[id >> schema::kSeqBits].feed_acked;
    for (const RecordRef& about : feed_item_about(*f)) {
      if (!due.contains(about)) continue;
      PurgeStep& step = plan.purge[step_of[about]];
      step.feed.emplace_back(id, protocol::feed_item_hash(q->blob_view(1)));
      if (f->seq > acked) step.waiting = true;
    }
  }
  return plan;
}

}  // namespace

Result<IndexRetentionCounts> IndexStore::retention_counts(protocol::Date today) {
  Impl& m = *impl_;
  Result<sql::Transaction> tx = sql::Transaction::begin_read(m.db, "retention counts");
  if (!tx) return tx.error();
  Result<Plan> plan = make_plan(m.db, ReadPayload([&m](std::int64_t aid, const std::string& record_id, std::uint64_t seq,
                                    const std::string& what) {
                     return m.read_payload(aid, record_id, seq, what);
                   }), today);
  if (!plan) return plan.error();
  return plan->counts;
}

Result<bool> IndexStore::archived(std::string_view authority_id, std::string_view record_id) {
  Result<sql::Statement> q = impl_->db.prepare(
      "SELECT 1 FROM retention t JOIN authorities a ON a.aid = t.aid "
      "WHERE a.authority_id = ?1 AND t.record_id = ?2",
      "read retention");
  if (!q) return q.error();
  q->bind(1, authority_id);
  q->bind(2, record_id);
  return q->step();
}

Result<IndexRetentionRun> IndexStore::run_retention(protocol::Date today, std::uint64_t now_ms) {
  Impl& m = *impl_;
  Result<Plan> plan = [&]() -> Result<Plan> {
    Result<sql::Transaction> tx = sql::Transaction::begin_read(m.db, "retention plan");
    if (!tx) return tx.error();
    return make_plan(m.db, ReadPayload([&m](std::int64_t aid, const std::string& record_id, std::uint64_t seq,
                                    const std::string& what) {
                     return m.read_payload(aid, record_id, seq, what);
                   }), today);
  }();
  if (!plan) return plan.error();
  IndexRetentionRun run;
  auto exec = [&](std::string_view sql_text, auto&& bind, const std::string& what) -> Status {
    Result<sql::Statement> q = m.db.prepare(sql_text, what);
    if (!q) return q.error();
    bind(*q);
    return q->run();
  };
  for (const auto& [aid, ref] : plan->archive) {
    Status s = exec(
        "INSERT INTO retention (aid, record_id, archived_ms) VALUES (?1, ?2, ?3) "
        "ON CONFLICT (aid, record_id) DO NOTHING",
        [&](sql::Statement& q) {
          q.bind(1, aid);
          q.bind(2, ref.record_id);
          q.bind(3, i64(now_ms));
        },
        "archive " + label(ref));
    if (!s) return s.error();
    run.archived.push_back(ref);
  }
  if (plan->purge.empty()) {
    if (Status s = record_retention_day(m.db, today); !s) return s.error();
    return run;
  }
  // Freed and overwritten cells are zeroed on disk while purging (off again afterwards).
  if (Status s = m.db.exec("PRAGMA secure_delete = ON", "retention"); !s) return s.error();
  struct RestoreSecureDelete {
    sql::Db& db;
    ~RestoreSecureDelete() { (void)db.exec("PRAGMA secure_delete = OFF", "secure_delete off"); }
  } restore{m.db};
  for (const PurgeStep& step : plan->purge) {
    if (step.waiting) {
      run.waiting_sync.push_back(step.ref);
      continue;
    }
    const std::string what = "purge " + label(step.ref);
    Result<sql::Transaction> tx = sql::Transaction::begin(m.db, what);
    if (!tx) return tx.error();
    for (const ErasedEnvelope& e : step.envelopes) {
      Status s = exec("UPDATE envelopes SET wire = X'' WHERE id = ?1",
                      [&](sql::Statement& q) { q.bind(1, e.id); }, what);
      if (s)
        s = exec(
            "INSERT INTO purged_envelopes (id, record_id, prev_hash, hash) VALUES (?1, ?2, ?3, ?4)",
            [&](sql::Statement& q) {
              q.bind(1, e.id);
              q.bind(2, step.ref.record_id);
              q.bind(3, protocol::ByteView(e.prev_hash));
              q.bind(4, protocol::ByteView(e.hash));
            },
            what);
      if (!s) return s.error();
    }
    for (const auto& [id, hash] : step.feed) {  // an item about two purged records: erased once
      Status s = exec("UPDATE feed SET wire = X'' WHERE id = ?1",
                      [&](sql::Statement& q) { q.bind(1, id); }, what);
      if (s)
        s = exec("INSERT OR IGNORE INTO purged_feed (id, hash) VALUES (?1, ?2)",
                 [&](sql::Statement& q) {
                   q.bind(1, id);
                   q.bind(2, protocol::ByteView(hash));
                 },
                 what);
      if (!s) return s.error();
    }
    // Notices about it not yet signed into its owner's feed (a flush normally runs first): gone
    // with it, as the items already in the feed are.
    Status s = exec("DELETE FROM pending_notices WHERE aid = ?1 AND record_id = ?2",
                    [&](sql::Statement& q) {
                      q.bind(1, step.aid);
                      q.bind(2, step.ref.record_id);
                    },
                    what);
    if (!s) return s.error();
    s = exec(
        "INSERT INTO retention (aid, record_id, archived_ms, purged_ms) VALUES (?1, ?2, ?3, ?3) "
        "ON CONFLICT (aid, record_id) DO UPDATE SET purged_ms = ?3",
        [&](sql::Statement& q) {
          q.bind(1, step.aid);
          q.bind(2, step.ref.record_id);
          q.bind(3, i64(now_ms));
        },
        what);
    if (!s) return s.error();
    protocol::AuditEntry entry;
    entry.timestamp_ms = now_ms;
    entry.action = protocol::AuditAction::purge;
    entry.actor = "retention";
    entry.authority_id = step.ref.authority_id;
    entry.purpose = "retention";
    entry.records = {{step.ref.authority_id, step.ref.record_id}};
    if (auto a = m.append_audit(entry); !a) return a.error();
    if (Status c = tx->commit(); !c) return c.error();
    run.purged.push_back(step.ref);
  }
  if (!run.purged.empty())
    if (Status s = m.db.exec("PRAGMA wal_checkpoint(TRUNCATE)", "retention: truncate the WAL"); !s)
      return s.error();
  if (Status s = record_retention_day(m.db, today); !s) return s.error();
  return run;
}

Result<std::optional<protocol::Date>> IndexStore::retention_day() {
  Result<std::optional<std::string>> value = read_meta(impl_->db, kRetentionDayKey);
  if (!value) return value.error();
  if (!*value) return std::optional<protocol::Date>();
  return protocol::Date::parse(**value);  // not a date: as if never run (it runs again)
}

// ---- Subject access --------------------------------------------------------------------------

Result<SubjectAccess> IndexStore::subject_access(std::string_view national_id) {
  Impl& m = *impl_;
  Result<sql::Transaction> tx = sql::Transaction::begin_read(m.db, "subject access");
  if (!tx) return tx.error();
  SubjectAccess out;
  out.national_id = std::string(national_id);
  // Follow merges: an id merged into another now names the other's records.
  Result<std::string> followed = m.follow_merges(out.national_id);
  if (!followed) return followed.error();
  out.national_id = std::move(followed).value();
  Result<std::map<std::int64_t, AuthorityInfo>> authorities = read_authorities(m.db);
  if (!authorities) return authorities.error();
  std::set<RecordRef> refs;
  {
    Result<sql::Statement> q = m.db.prepare(
        "SELECT c.aid, c.record_id, c.national_id, c.last_seq, c.deleted, c.shielded, "
        "t.aid IS NOT NULL, t.purged_ms IS NOT NULL FROM current_records c "
        "LEFT JOIN retention t ON t.aid = c.aid AND t.record_id = c.record_id "
        "WHERE c.national_id = ?1 ORDER BY c.aid, c.record_id",
        "subject access: records");
    if (!q) return q.error();
    q->bind(1, out.national_id);
    for (;;) {
      Result<bool> row = q->step();
      if (!row) return row.error();
      if (!*row) break;
      SubjectRecord r;
      r.ref = {(*authorities)[q->int64(0)].authority_id, q->text(1)};
      if (!q->is_null(2)) r.national_id = q->text(2);
      r.last_seq = u64(q->int64(3));
      r.deleted = q->int64(4) != 0;
      r.shielded = q->int64(5) != 0;
      r.archived = q->int64(6) != 0;
      r.purged = q->int64(7) != 0;
      if (!r.deleted) {
        Result<protocol::RecordPayload> p =
            m.read_payload(q->int64(0), r.ref.record_id, r.last_seq, label(r.ref));
        if (!p) return p.error();
        r.identity = p->identity;
        if (const auto* clear = std::get_if<protocol::ChildDetails>(&p->details))
          r.details = *clear;
      }
      refs.insert(r.ref);
      out.records.push_back(std::move(r));
    }
  }
  if (out.records.empty())
    return index_error(IndexErrc::not_found,
                       "no record has national id " + std::string(national_id));
  {
    Result<sql::Statement> q = m.db.prepare(
        "SELECT e.id, e.time_ms, e.kind, e.national_id, e.previous_ids, e.decided_by, e.reason, "
        "r.authority_id, r.record_id FROM linkage_events e "
        "LEFT JOIN linkage_event_records r ON r.event_id = e.id ORDER BY e.id",
        "subject access: linkage history");
    if (!q) return q.error();
    std::int64_t last_id = -1;
    SubjectLinkage current;
    bool relevant = false;
    auto flush = [&] {
      if (last_id >= 0 && relevant) out.history.push_back(std::move(current));
      current = SubjectLinkage{};
      relevant = false;
    };
    for (;;) {
      Result<bool> row = q->step();
      if (!row) return row.error();
      if (!*row) break;
      if (q->int64(0) != last_id) {
        flush();
        last_id = q->int64(0);
        current.time_ms = u64(q->int64(1));
        current.kind = q->text(2);
        current.national_id = q->text(3);
        current.previous_ids = q->text(4);
        current.decided_by = q->text(5);
        current.reason = q->text(6);
        relevant = current.national_id == out.national_id ||
                   (" " + current.previous_ids + " ").find(" " + out.national_id + " ") !=
                       std::string::npos;
      }
      if (!q->is_null(7)) {
        RecordRef r{q->text(7), q->text(8)};
        if (refs.contains(r)) relevant = true;
        current.records.push_back(std::move(r));
      }
    }
    flush();
  }
  {
    Result<sql::Statement> q = m.db.prepare(
        "SELECT f.id, f.wire, p.id IS NOT NULL FROM feed f "
        "LEFT JOIN purged_feed p ON p.id = f.id ORDER BY f.id",
        "subject access: feed");
    if (!q) return q.error();
    for (;;) {
      Result<bool> row = q->step();
      if (!row) return row.error();
      if (!*row) break;
      const std::int64_t id = q->int64(0);
      if (q->int64(2) != 0) continue;  // erased: nothing left to report
      std::optional<protocol::FeedItem> f = decode_feed(q->blob_view(1));
      if (!f) continue;
      std::vector<RecordRef> about = feed_item_about(*f);
      for (const protocol::NationalIdAssignment& n : f->national_ids)
        about.push_back({f->authority_id, n.record_id});
      for (RecordRef& r : about) {
        if (!refs.contains(r)) continue;
        out.feed_items.push_back({(*authorities)[id >> schema::kSeqBits].authority_id, f->seq,
                                  f->timestamp_ms, feed_kind_name(f->kind), std::move(r), false});
        break;
      }
    }
  }
  Result<bool> has_audit = AuditLog::has_tables(m.db);
  if (!has_audit) return has_audit.error();
  if (*has_audit) {
    Result<AuditLog> audit = AuditLog::prepare(m.db);
    if (!audit) return audit.error();
    Result<std::uint64_t> size = audit->size();
    if (!size) return size.error();
    for (std::uint64_t i = 0; i < *size; ++i) {
      Result<Bytes> bytes = audit->entry(i);
      if (!bytes) return bytes.error();
      protocol::Result<protocol::AuditEntry> e = protocol::decode_audit_entry(*bytes);
      if (!e) continue;  // audit verify reports it
      for (const protocol::AuditRecordRef& r : e->records)
        if (refs.contains(RecordRef{r.authority_id, r.record_id})) {
          out.audit.emplace_back(i, std::move(e).value());
          break;
        }
    }
  }
  return out;
}

}  // namespace aegis::index
