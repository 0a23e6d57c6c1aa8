// Retention in the authority's store (docs/store.md §13): archive flags, consent to retain, the
// purge that erases a record's personal data while its outbox chain still verifies, and the
// envelope metadata of one record that subject access reports.
#include <utility>

#include "aegis/protocol/feed.hpp"
#include "aegis/protocol/signed.hpp"
#include "retention/retention.hpp"
#include "store/columns.hpp"
#include "store/store.hpp"

namespace aegis::store {

using protocol::Bytes;

namespace {

std::string label(std::string_view record_id) { return "record " + std::string(record_id); }

// prev_hash of a stored envelope (written by this store, verified when it was appended).
Result<protocol::Hash> stored_prev_hash(protocol::ByteView wire, std::uint64_t seq) {
  protocol::DecodeLimits limits;
  limits.max_input = protocol::kMaxEnvelopeSize;
  auto fail = [&](const protocol::Error& e) {
    return store_error(StoreErrc::corrupt,
                       "outbox seq " + std::to_string(seq) + ": " + e.message());
  };
  protocol::Result<protocol::Signed> s = protocol::decode_signed(wire, "envelope", limits);
  if (!s) return fail(s.error());
  protocol::Result<protocol::Envelope> e = protocol::decode_envelope_body(s->body);
  if (!e) return fail(e.error());
  return e->prev_hash;
}

// The record id an elsewhere feed item is about; nullopt for other kinds or undecodable items
// (the feed was verified when it was stored).
std::optional<std::string> elsewhere_record(protocol::ByteView wire) {
  protocol::DecodeLimits limits;
  limits.max_input = protocol::kMaxFeedItemSize;
  protocol::Result<protocol::Signed> s = protocol::decode_signed(wire, "feed item", limits);
  if (!s) return std::nullopt;
  protocol::Result<protocol::FeedItem> f = protocol::decode_feed_item_body(s->body);
  if (!f || f->kind != protocol::FeedKind::elsewhere) return std::nullopt;
  return f->elsewhere.record_id;
}

// One record as the retention rules read it.
struct Candidate {
  std::string record_id;
  retention::Stage stage = retention::Stage::active;
  bool live = false;
  bool archived = false;
  bool purge_started = false;
};

}  // namespace

Result<RetentionState> Store::retention_state(std::string_view record_id) {
  Result<sql::Statement> q = db_.prepare(
      "SELECT consent_to_retain, archived_ms, purge_started_ms, purged_ms FROM retention "
      "WHERE record_id = ?1",
      "read retention");
  if (!q) return q.error();
  q->bind(1, record_id);
  Result<bool> row = q->step();
  if (!row) return row.error();
  RetentionState state;
  if (!*row) return state;
  state.consent_to_retain = q->int64(0) != 0;
  if (!q->is_null(1)) state.archived_ms = u64(q->int64(1));
  if (!q->is_null(2)) state.purge_started_ms = u64(q->int64(2));
  if (!q->is_null(3)) state.purged_ms = u64(q->int64(3));
  return state;
}

Status Store::set_consent_to_retain(std::string_view record_id, bool consent) {
  Result<StoredRecord> live = get(record_id);
  if (!live) return live.error();
  Result<sql::Statement> q = db_.prepare(
      "INSERT INTO retention (record_id, consent_to_retain) VALUES (?1, ?2) "
      "ON CONFLICT (record_id) DO UPDATE SET consent_to_retain = excluded.consent_to_retain",
      "consent to retain " + label(record_id));
  if (!q) return q.error();
  q->bind(1, record_id);
  q->bind(2, std::int64_t{consent ? 1 : 0});
  return q->run();
}

Status Store::archive(std::string_view record_id, std::uint64_t now_ms) {
  Result<StoredRecord> live = get(record_id);
  if (!live) return live.error();
  Result<sql::Statement> q = db_.prepare(
      "INSERT INTO retention (record_id, archived_ms) VALUES (?1, ?2) "
      "ON CONFLICT (record_id) DO UPDATE SET archived_ms = coalesce(archived_ms, ?2)",
      "archive " + label(record_id));
  if (!q) return q.error();
  q->bind(1, record_id);
  q->bind(2, i64(now_ms));
  return q->run();
}

// Reads every record not purged yet: a live one's dates (its body is the only way to its date
// of birth; a body that does not decode is corrupt) and where it stands on `today`, and every
// record whose purge began.
static Result<std::vector<Candidate>> read_candidates(sql::Db& db, protocol::Date today,
                                                      RetentionCounts* counts) {
  Result<sql::Statement> q = db.prepare(
      "SELECT r.record_id, r.body, coalesce(t.consent_to_retain, 0), t.archived_ms, "
      "t.purge_started_ms, t.purged_ms, r.deleted "
      "FROM records r LEFT JOIN retention t ON t.record_id = r.record_id "
      "WHERE r.deleted = 0 OR t.purge_started_ms IS NOT NULL ORDER BY r.record_id",
      "retention: read records");
  if (!q) return q.error();
  std::vector<Candidate> out;
  for (;;) {
    Result<bool> row = q->step();
    if (!row) return row.error();
    if (!*row) return out;
    if (!q->is_null(5)) {
      if (counts) ++counts->purged;
      continue;
    }
    Candidate c;
    c.record_id = q->text(0);
    c.live = q->int64(6) == 0;
    c.archived = !q->is_null(3);
    c.purge_started = !q->is_null(4);
    c.stage = retention::Stage::purge_due;  // a purge begun is finished whatever the dates say
    if (c.live && !c.purge_started) {
      protocol::Result<protocol::ChildRecord> r = protocol::decode_child_record(q->blob_view(1));
      if (!r)
        return store_error(StoreErrc::corrupt, label(c.record_id) +
                                                   ": body does not decode: " + r.error().message());
      c.stage = retention::stage_on(
          retention::schedule(retention::facts_of(r->identity, q->int64(2) != 0)), today);
    }
    if (counts) {
      if (c.stage == retention::Stage::purge_due) ++counts->purge_due;
      else if (c.stage == retention::Stage::archive_due && !c.archived) ++counts->archive_due;
      else if (c.archived) ++counts->archived;
      else ++counts->active;
    }
    out.push_back(std::move(c));
  }
}

Result<RetentionCounts> Store::retention_counts(protocol::Date today) {
  RetentionCounts counts;
  Result<std::vector<Candidate>> c = read_candidates(db_, today, &counts);
  if (!c) return c.error();
  return counts;
}

Result<RetentionRun> Store::run_retention(protocol::Date today, const Signing& signing) {
  Result<std::vector<Candidate>> candidates = read_candidates(db_, today, nullptr);
  if (!candidates) return candidates.error();
  RetentionRun run;
  for (const Candidate& c : *candidates) {
    if (c.stage == retention::Stage::active) continue;
    if (!c.archived) {
      if (Status s = archive(c.record_id, signing.now_ms()); !s) return s.error();
      run.archived.push_back(c.record_id);
    }
    if (c.stage != retention::Stage::purge_due) continue;
    Result<bool> erased = purge(c.record_id, signing);
    if (!erased) return erased.error();
    (*erased ? run.purged : run.waiting_sync).push_back(c.record_id);
  }
  if (!run.purged.empty())
    if (Status s = truncate_wal(); !s) return s.error();
  return run;
}

Result<bool> Store::purge(std::string_view record_id, const Signing& signing) {
  Result<RetentionState> state = retention_state(record_id);
  if (!state) return state.error();
  if (state->purged_ms) return true;
  Result<StoredRecord> live = get(record_id);
  if (!live && live.error().code != StoreErrc::not_found) return live.error();
  if (!state->purge_started_ms && !live) return live.error();  // nothing to purge
  if (live) {
    // Noted before the delete: a crash between the two leaves a begun purge that the next run
    // finishes (a live record whose purge began gets its delete then).
    const std::uint64_t now = signing.now_ms();
    Result<sql::Statement> q = db_.prepare(
        "INSERT INTO retention (record_id, archived_ms, purge_started_ms) VALUES (?1, ?2, ?2) "
        "ON CONFLICT (record_id) DO UPDATE SET archived_ms = coalesce(archived_ms, ?2), "
        "purge_started_ms = coalesce(purge_started_ms, ?2)",
        "begin purge of " + label(record_id));
    if (!q) return q.error();
    q->bind(1, record_id);
    q->bind(2, i64(now));
    if (Status s = q->run(); !s) return s.error();
    if (Result<Change> c = remove(record_id, signing); !c) return c.error();
  }
  return erase_purged(record_id, signing.now_ms());
}

Result<bool> Store::erase_purged(std::string_view record_id, std::uint64_t now_ms) {
  const std::string what = "purge " + label(record_id);
  // Freed and overwritten cells are zeroed on disk for this transaction's pages, so the
  // erased bytes do not stay in free space (restored afterwards: imports do not pay for it).
  if (Status s = db_.exec("PRAGMA secure_delete = ON", what); !s) return s.error();
  struct RestoreSecureDelete {
    sql::Db& db;
    ~RestoreSecureDelete() { (void)db.exec("PRAGMA secure_delete = OFF", "secure_delete off"); }
  } restore{db_};

  Result<sql::Transaction> tx = sql::Transaction::begin(db_, what);
  if (!tx) return tx.error();

  Result<sql::Statement> rec = db_.prepare(
      "SELECT deleted, (SELECT max(seq) FROM outbox WHERE record_id = ?1), "
      "(SELECT coalesce(max(acked_seq), 0) FROM sync_state) "
      "FROM records WHERE record_id = ?1",
      what);
  if (!rec) return rec.error();
  rec->bind(1, record_id);
  Result<bool> found = rec->step();
  if (!found) return found.error();
  if (!*found) return store_error(StoreErrc::not_found, label(record_id) + ": no such record");
  if (rec->int64(0) == 0)
    return store_error(StoreErrc::invalid_argument, label(record_id) + ": still live");
  if (rec->int64(1) > rec->int64(2)) return false;  // the index has not acknowledged them all

  // The envelopes: keep the header columns and hash, keep prev_hash beside them, drop the rest.
  std::vector<std::pair<std::int64_t, protocol::Hash>> envelopes;
  {
    Result<sql::Statement> q = db_.prepare(
        "SELECT o.seq, o.envelope FROM outbox o WHERE o.record_id = ?1 AND NOT EXISTS "
        "(SELECT 1 FROM purged_outbox p WHERE p.seq = o.seq) ORDER BY o.seq",
        what);
    if (!q) return q.error();
    q->bind(1, record_id);
    for (;;) {
      Result<bool> row = q->step();
      if (!row) return row.error();
      if (!*row) break;
      Result<protocol::Hash> prev = stored_prev_hash(q->blob_view(1), u64(q->int64(0)));
      if (!prev) return prev.error();
      envelopes.emplace_back(q->int64(0), *prev);
    }
  }
  Result<sql::Statement> erase = db_.prepare("UPDATE outbox SET envelope = X'' WHERE seq = ?1", what);
  if (!erase) return erase.error();
  Result<sql::Statement> mark =
      db_.prepare("INSERT INTO purged_outbox (seq, prev_hash) VALUES (?1, ?2)", what);
  if (!mark) return mark.error();
  for (const auto& [seq, prev] : envelopes) {
    sql::Use e(*erase);
    e->bind(1, seq);
    if (Status s = e->run(); !s) return s.error();
    sql::Use m(*mark);
    m->bind(1, seq);
    m->bind(2, protocol::ByteView(prev.data(), prev.size()));
    if (Status s = m->run(); !s) return s.error();
  }

  // Feed items about the child (elsewhere items carry what other authorities hold of it).
  std::vector<std::int64_t> items;
  {
    Result<sql::Statement> q =
        db_.prepare("SELECT f.seq, f.item FROM feed f WHERE f.kind = 3 AND NOT EXISTS "
                    "(SELECT 1 FROM purged_feed p WHERE p.seq = f.seq)",
                    what);
    if (!q) return q.error();
    for (;;) {
      Result<bool> row = q->step();
      if (!row) return row.error();
      if (!*row) break;
      if (elsewhere_record(q->blob_view(1)) == std::string(record_id))
        items.push_back(q->int64(0));
    }
  }
  for (std::int64_t seq : items) {
    for (std::string_view sql_text : {std::string_view("UPDATE feed SET item = X'' WHERE seq = ?1"),
                                      std::string_view("INSERT INTO purged_feed (seq) VALUES (?1)")}) {
      Result<sql::Statement> q = db_.prepare(sql_text, what);
      if (!q) return q.error();
      q->bind(1, seq);
      if (Status s = q->run(); !s) return s.error();
    }
  }

  for (std::string_view sql_text :
       {std::string_view("DELETE FROM elsewhere WHERE record_id = ?1"),
        std::string_view("UPDATE retention SET purged_ms = ?2 WHERE record_id = ?1")}) {
    Result<sql::Statement> q = db_.prepare(sql_text, what);
    if (!q) return q.error();
    q->bind(1, record_id);
    if (sql_text.find("?2") != std::string_view::npos) q->bind(2, i64(now_ms));
    if (Status s = q->run(); !s) return s.error();
  }
  if (Status s = tx->commit(); !s) return s.error();
  return true;
}

Result<std::vector<OutboxEntry>> Store::record_envelopes(std::string_view record_id) {
  Result<sql::Statement> q = db_.prepare(
      "SELECT o.seq, o.op, o.created_ms, o.hash, p.seq IS NOT NULL FROM outbox o "
      "LEFT JOIN purged_outbox p ON p.seq = o.seq WHERE o.record_id = ?1 ORDER BY o.seq",
      "read the envelopes of " + label(record_id));
  if (!q) return q.error();
  q->bind(1, record_id);
  std::vector<OutboxEntry> out;
  for (;;) {
    Result<bool> row = q->step();
    if (!row) return row.error();
    if (!*row) return out;
    OutboxEntry e;
    e.seq = u64(q->int64(0));
    e.record_id = std::string(record_id);
    e.op = static_cast<protocol::Operation>(q->int64(1));
    e.created_ms = u64(q->int64(2));
    std::optional<protocol::Hash> h = to_hash(q->blob(3));
    if (!h)
      return store_error(StoreErrc::corrupt,
                         "outbox seq " + std::to_string(e.seq) + ": hash is not 32 bytes");
    e.hash = *h;
    e.purged = q->int64(4) != 0;
    out.push_back(std::move(e));
  }
}

Status Store::truncate_wal() {
  return db_.exec("PRAGMA wal_checkpoint(TRUNCATE)", "retention: truncate the WAL");
}

}  // namespace aegis::store
