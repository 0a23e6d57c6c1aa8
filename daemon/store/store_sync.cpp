// The authority store's sync tables (see store.hpp, "Sync", and docs/store.md §10, §12): outbox
// range reads for pushing, the feed received from the index, national ids, the records other
// authorities know (elsewhere), sync state. Audit checkpoints from the feed: store_checkpoint.cpp.
#include <algorithm>
#include <string>

#include "aegis/protocol/feed.hpp"
#include "aegis/protocol/sync.hpp"
#include "store/columns.hpp"
#include "store/store.hpp"

namespace aegis::store {

using protocol::Bytes;
using protocol::ByteView;

namespace {

Result<protocol::ChainState> read_feed_head(sql::Db& db) {
  Result<sql::Statement> q =
      db.prepare("SELECT seq, hash FROM feed ORDER BY seq DESC LIMIT 1", "read the feed head");
  if (!q) return q.error();
  Result<bool> row = q->step();
  if (!row) return row.error();
  protocol::ChainState head;
  if (!*row) return head;
  head.last_seq = u64(q->int64(0));
  std::optional<protocol::Hash> h = to_hash(q->blob(1));
  if (!h)
    return store_error(StoreErrc::corrupt,
                       "feed seq " + std::to_string(head.last_seq) + ": hash is not 32 bytes");
  head.last_hash = *h;
  return head;
}

}  // namespace

Result<std::vector<Bytes>> Store::read_envelopes(std::uint64_t from_seq, std::uint64_t to_seq) {
  if (!read_envelopes_) {
    Result<sql::Statement> q = db_.prepare(
        "SELECT envelope FROM outbox WHERE seq BETWEEN ?1 AND ?2 ORDER BY seq", "read envelopes");
    if (!q) return q.error();
    read_envelopes_.emplace(std::move(q).value());
  }
  sql::Statement& q = *read_envelopes_;
  q.reset();
  q.bind(1, i64(from_seq));
  q.bind(2, i64(to_seq));
  std::vector<Bytes> out;
  if (to_seq >= from_seq) out.reserve(static_cast<std::size_t>(std::min<std::uint64_t>(
                              to_seq - from_seq + 1, protocol::kMaxBatch)));
  for (;;) {
    Result<bool> row = q.step();
    if (!row) {
      q.reset();
      return row.error();
    }
    if (!*row) break;
    out.push_back(q.blob(0));
  }
  q.reset();  // ends the read transaction now, not at the next call
  return out;
}

Result<std::optional<std::uint64_t>> Store::envelope_time(std::uint64_t seq) {
  Result<sql::Statement> q =
      db_.prepare("SELECT created_ms FROM outbox WHERE seq = ?1", "read envelope time");
  if (!q) return q.error();
  q->bind(1, i64(seq));
  Result<bool> row = q->step();
  if (!row) return row.error();
  if (!*row) return std::optional<std::uint64_t>();
  return std::optional<std::uint64_t>(u64(q->int64(0)));
}

Result<protocol::ChainState> Store::feed_head() { return read_feed_head(db_); }

Result<FeedOutcome> Store::store_feed(const std::vector<Bytes>& items,
                                      const protocol::Trust& trust, std::string_view index_id,
                                      std::uint64_t now_ms) {
  const std::string what = "store feed";
  Result<sql::Transaction> tx = sql::Transaction::begin(db_, what);
  if (!tx) return tx.error();
  Result<protocol::ChainState> head = read_feed_head(db_);
  if (!head) return head.error();
  protocol::ChainState chain = *head;

  Result<sql::Statement> insert = db_.prepare(
      "INSERT INTO feed (seq, kind, received_ms, hash, item) VALUES (?1, ?2, ?3, ?4, ?5)",
      what + ": insert item");
  if (!insert) return insert.error();
  Result<sql::Statement> assign = db_.prepare(
      "INSERT INTO national_ids (record_id, national_id, feed_seq) VALUES (?1, ?2, ?3) "
      "ON CONFLICT (record_id) DO UPDATE SET national_id = excluded.national_id, "
      "feed_seq = excluded.feed_seq",
      what + ": assign national id");
  if (!assign) return assign.error();
  Result<sql::Statement> link = db_.prepare(
      "INSERT INTO elsewhere (record_id, other_authority_id, other_record_id, state, details, "
      "feed_seq) VALUES (?1, ?2, ?3, ?4, ?5, ?6) "
      "ON CONFLICT (record_id, other_authority_id, other_record_id) DO UPDATE SET "
      "state = excluded.state, details = excluded.details, feed_seq = excluded.feed_seq",
      what + ": link elsewhere");
  if (!link) return link.error();
  Result<sql::Statement> unlink = db_.prepare(
      "DELETE FROM elsewhere WHERE record_id = ?1 AND other_authority_id = ?2 AND "
      "other_record_id = ?3",
      what + ": unlink elsewhere");
  if (!unlink) return unlink.error();
  auto assign_national_id = [&](const std::string& record_id, const std::string& national_id,
                                std::uint64_t seq) -> Status {
    assign->reset();
    assign->bind(1, record_id);
    assign->bind(2, national_id);
    assign->bind(3, i64(seq));
    return assign->run();
  };
  // An elsewhere item (feed version 3): the pair's row is set, replaced, or removed (unlinked);
  // the record's national id it states is the latest, as a national_id item's.
  auto apply_elsewhere = [&](const protocol::ElsewhereLink& e, std::uint64_t seq) -> Status {
    if (Status s = assign_national_id(e.record_id, e.national_id, seq); !s) return s;
    if (e.state == protocol::ElsewhereState::unlinked) {
      unlink->reset();
      unlink->bind(1, e.record_id);
      unlink->bind(2, e.other_authority_id);
      unlink->bind(3, e.other_record_id);
      return unlink->run();
    }
    link->reset();
    link->bind(1, e.record_id);
    link->bind(2, e.other_authority_id);
    link->bind(3, e.other_record_id);
    link->bind(4, static_cast<std::int64_t>(e.state));
    if (e.details)
      link->bind(5, ByteView(protocol::encode_child_details(*e.details)));
    else
      link->bind_null(5);
    link->bind(6, i64(seq));
    return link->run();
  };

  FeedOutcome out;
  for (const Bytes& wire : items) {
    protocol::Result<protocol::VerifiedFeedItem> v =
        protocol::verify_feed_item(wire, trust, authority_id_, chain, now_ms);
    if (!v) {
      if (v.error().code == protocol::Errc::replayed) continue;  // a resend of what we hold
      out.problem = v.error();
      break;
    }
    const protocol::FeedItem& item = v->item;
    const protocol::Certificate* signer = trust.by_serial(item.signer_serial);
    if (!signer || signer->subject_id != index_id) {
      out.problem = protocol::make_error(
          protocol::Errc::unknown_signer,
          "feed item " + std::to_string(item.seq) + ": signed by certificate " +
              std::to_string(item.signer_serial) + ", not by the index '" +
              std::string(index_id) + "'");
      break;
    }
    insert->reset();
    insert->bind(1, i64(item.seq));
    insert->bind(2, static_cast<std::int64_t>(item.kind));
    insert->bind(3, i64(now_ms));
    insert->bind(4, ByteView(v->hash));
    insert->bind(5, ByteView(wire));
    if (Status s = insert->run(); !s) return s.error();
    for (const protocol::NationalIdAssignment& n : item.national_ids)
      if (Status s = assign_national_id(n.record_id, n.national_id, item.seq); !s)
        return s.error();
    if (item.kind == protocol::FeedKind::elsewhere)
      if (Status s = apply_elsewhere(item.elsewhere, item.seq); !s) return s.error();
    if (item.kind == protocol::FeedKind::audit_checkpoint) {
      Result<std::optional<CheckpointFork>> fork = apply_checkpoint_notice(item, trust, now_ms);
      if (!fork) return fork.error();
      if (*fork)
        out.forks.push_back(std::move(**fork));
      else
        ++out.checkpoints;
    }
    chain = protocol::advance(chain, *v);
    ++out.stored;
  }
  if (out.stored > 0)
    if (Status s = tx->commit(); !s) return s.error();
  out.feed_seq = chain.last_seq;
  return out;
}

Result<std::vector<KnownElsewhere>> Store::elsewhere(std::string_view record_id) {
  Result<sql::Statement> q = db_.prepare(
      "SELECT other_authority_id, other_record_id, state, details, feed_seq FROM elsewhere "
      "WHERE record_id = ?1 ORDER BY other_authority_id, other_record_id",
      "read elsewhere");
  if (!q) return q.error();
  q->bind(1, record_id);
  std::vector<KnownElsewhere> out;
  for (;;) {
    Result<bool> row = q->step();
    if (!row) return row.error();
    if (!*row) break;
    KnownElsewhere k;
    k.other_authority_id = q->text(0);
    k.other_record_id = q->text(1);
    k.shielded = q->int64(2) == static_cast<std::int64_t>(protocol::ElsewhereState::shielded);
    k.feed_seq = u64(q->int64(4));
    if (!k.shielded) {
      protocol::Result<protocol::ChildDetails> details =
          protocol::decode_child_details(q->blob(3));
      if (!details)
        return store_error(StoreErrc::corrupt, "elsewhere row of " + std::string(record_id) +
                                                   " (feed seq " + std::to_string(k.feed_seq) +
                                                   "): " + details.error().message());
      k.details = std::move(details).value();
    }
    out.push_back(std::move(k));
  }
  return out;
}

Result<std::optional<std::string>> Store::national_id(std::string_view record_id) {
  Result<sql::Statement> q = db_.prepare(
      "SELECT national_id FROM national_ids WHERE record_id = ?1", "read national id");
  if (!q) return q.error();
  q->bind(1, record_id);
  Result<bool> row = q->step();
  if (!row) return row.error();
  if (!*row) return std::optional<std::string>();
  return std::optional<std::string>(q->text(0));
}

Result<std::uint64_t> Store::national_id_count() {
  Result<sql::Statement> q = db_.prepare("SELECT count(*) FROM national_ids", "count national ids");
  if (!q) return q.error();
  Result<bool> row = q->step();
  if (!row) return row.error();
  return u64(q->int64(0));
}

Result<SyncState> Store::sync_state(std::string_view index_id) {
  Result<sql::Statement> q = db_.prepare(
      "SELECT acked_seq, acked_ms, reject_seq, reject_code, reject_detail, reject_ms "
      "FROM sync_state WHERE index_id = ?1",
      "read sync state");
  if (!q) return q.error();
  q->bind(1, index_id);
  Result<bool> row = q->step();
  if (!row) return row.error();
  SyncState state;
  if (!*row) return state;
  state.acked_seq = u64(q->int64(0));
  state.acked_ms = u64(q->int64(1));
  if (!q->is_null(2))
    state.last_reject = SyncReject{u64(q->int64(2)), q->text(3), q->text(4), u64(q->int64(5))};
  return state;
}

Status Store::save_acked(std::string_view index_id, std::uint64_t acked_seq,
                         std::uint64_t now_ms) {
  Result<sql::Statement> q = db_.prepare(
      "INSERT INTO sync_state (index_id, acked_seq, acked_ms) VALUES (?1, ?2, ?3) "
      "ON CONFLICT (index_id) DO UPDATE SET acked_seq = excluded.acked_seq, "
      "acked_ms = excluded.acked_ms, "
      "reject_seq = CASE WHEN reject_seq <= excluded.acked_seq THEN NULL ELSE reject_seq END, "
      "reject_code = CASE WHEN reject_seq <= excluded.acked_seq THEN NULL ELSE reject_code END, "
      "reject_detail = CASE WHEN reject_seq <= excluded.acked_seq THEN NULL "
      "ELSE reject_detail END, "
      "reject_ms = CASE WHEN reject_seq <= excluded.acked_seq THEN NULL ELSE reject_ms END",
      "save acknowledged seq");
  if (!q) return q.error();
  q->bind(1, index_id);
  q->bind(2, i64(acked_seq));
  q->bind(3, i64(now_ms));
  return q->run();
}

Status Store::save_reject(std::string_view index_id, const SyncReject& reject) {
  Result<sql::Statement> q = db_.prepare(
      "INSERT INTO sync_state (index_id, acked_seq, acked_ms, reject_seq, reject_code, "
      "reject_detail, reject_ms) VALUES (?1, ?2 - 1, ?5, ?2, ?3, ?4, ?5) "
      "ON CONFLICT (index_id) DO UPDATE SET reject_seq = excluded.reject_seq, "
      "reject_code = excluded.reject_code, reject_detail = excluded.reject_detail, "
      "reject_ms = excluded.reject_ms",
      "save rejection");
  if (!q) return q.error();
  q->bind(1, index_id);
  q->bind(2, i64(reject.seq));
  q->bind(3, reject.code);
  q->bind(4, reject.detail);
  q->bind(5, i64(reject.at_ms));
  return q->run();
}

}  // namespace aegis::store
