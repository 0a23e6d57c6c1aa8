// The audit checkpoints an authority receives in its feed (store.hpp, docs/audit.md "Checkpoints
// in the authorities' feeds"): each notice is checked against the checkpoint held
// (protocol::accept_checkpoint_notice); one that extends it is held from then on, one that does
// not is a fork, recorded with both checkpoints and the failed proof until an operator resolves
// it. The feed item itself is stored either way by store_feed, in the same transaction.
#include <string>

#include "aegis/protocol/signed.hpp"
#include "store/columns.hpp"
#include "store/store.hpp"

namespace aegis::store {

using protocol::Bytes;
using protocol::ByteView;

namespace {

constexpr std::string_view kForkColumns =
    "id, feed_seq, detected_ms, held, held_size, notice, notice_size, verified, code, detail, "
    "resolved_ms";

// The body of a checkpoint's wire, unverified (for its size): nullopt when it does not decode.
std::optional<protocol::Checkpoint> checkpoint_body(ByteView wire) {
  auto s = protocol::decode_signed(wire, "checkpoint");
  if (!s) return std::nullopt;
  auto c = protocol::decode_checkpoint_body(s->body);
  if (!c) return std::nullopt;
  return *c;
}

Result<std::optional<HeldCheckpoint>> read_held(sql::Db& db) {
  Result<sql::Statement> q = db.prepare(
      "SELECT checkpoint, feed_seq FROM checkpoint_held WHERE id = 1", "read held checkpoint");
  if (!q) return q.error();
  Result<bool> row = q->step();
  if (!row) return row.error();
  if (!*row) return std::optional<HeldCheckpoint>();
  HeldCheckpoint h;
  h.wire = q->blob(0);
  h.feed_seq = u64(q->int64(1));
  std::optional<protocol::Checkpoint> c = checkpoint_body(h.wire);
  if (!c)
    return store_error(StoreErrc::corrupt, "checkpoint_held (feed seq " +
                                               std::to_string(h.feed_seq) + "): does not decode");
  h.checkpoint = *c;
  return std::optional<HeldCheckpoint>(std::move(h));
}

Status write_held(sql::Db& db, std::uint64_t tree_size, ByteView wire, std::uint64_t feed_seq) {
  Result<sql::Statement> q = db.prepare(
      "INSERT INTO checkpoint_held (id, tree_size, checkpoint, feed_seq) VALUES (1, ?1, ?2, ?3) "
      "ON CONFLICT (id) DO UPDATE SET tree_size = excluded.tree_size, "
      "checkpoint = excluded.checkpoint, feed_seq = excluded.feed_seq",
      "hold checkpoint");
  if (!q) return q.error();
  q->bind(1, i64(tree_size));
  q->bind(2, wire);
  q->bind(3, i64(feed_seq));
  return q->run();
}

CheckpointFork read_fork(sql::Statement& q) {
  CheckpointFork f;
  f.id = u64(q.int64(0));
  f.feed_seq = u64(q.int64(1));
  f.detected_ms = u64(q.int64(2));
  if (!q.is_null(3)) f.held = q.blob(3);
  f.held_size = u64(q.int64(4));
  f.notice = q.blob(5);
  if (!q.is_null(6)) f.notice_size = u64(q.int64(6));
  f.verified = q.int64(7) != 0;
  f.code = q.text(8);
  f.detail = q.text(9);
  if (!q.is_null(10)) f.resolved_ms = u64(q.int64(10));
  return f;
}

}  // namespace

Result<std::optional<CheckpointFork>> Store::apply_checkpoint_notice(
    const protocol::FeedItem& item, const protocol::Trust& trust, std::uint64_t now_ms) {
  Result<std::optional<HeldCheckpoint>> held = read_held(db_);
  if (!held) return held.error();
  const protocol::CheckpointNotice& notice = item.checkpoint_notice;
  std::optional<protocol::Checkpoint> held_checkpoint;
  if (*held) held_checkpoint = (*held)->checkpoint;
  auto accepted = protocol::accept_checkpoint_notice(notice, held_checkpoint, trust, now_ms);
  if (accepted) {
    if (Status s = write_held(db_, accepted->tree_size, notice.checkpoint, item.seq); !s)
      return s.error();
    return std::optional<CheckpointFork>();
  }
  CheckpointFork f;
  f.feed_seq = item.seq;
  f.detected_ms = now_ms;
  if (*held) f.held = (*held)->wire;
  f.held_size = held_checkpoint ? held_checkpoint->tree_size : 0;
  f.notice = protocol::encode_checkpoint_notice(notice);
  if (auto c = checkpoint_body(notice.checkpoint)) f.notice_size = c->tree_size;
  f.verified = protocol::verify_checkpoint(notice.checkpoint, trust, now_ms).ok();
  f.code = std::string(protocol::errc_name(accepted.error().code));
  f.detail = accepted.error().detail;
  Result<sql::Statement> q = db_.prepare(
      "INSERT INTO checkpoint_forks (feed_seq, detected_ms, held, held_size, notice, "
      "notice_size, verified, code, detail) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) "
      "RETURNING id",
      "record checkpoint fork");
  if (!q) return q.error();
  q->bind(1, i64(f.feed_seq));
  q->bind(2, i64(f.detected_ms));
  if (f.held)
    q->bind(3, ByteView(*f.held));
  else
    q->bind_null(3);
  q->bind(4, i64(f.held_size));
  q->bind(5, ByteView(f.notice));
  if (f.notice_size)
    q->bind(6, i64(*f.notice_size));
  else
    q->bind_null(6);
  q->bind(7, std::int64_t{f.verified ? 1 : 0});
  q->bind(8, f.code);
  q->bind(9, f.detail);
  Result<bool> row = q->step();
  if (!row) return row.error();
  f.id = u64(q->int64(0));
  return std::optional<CheckpointFork>(std::move(f));
}

Result<std::optional<HeldCheckpoint>> Store::held_checkpoint() { return read_held(db_); }

Result<std::vector<CheckpointFork>> Store::checkpoint_forks(bool include_resolved) {
  Result<sql::Statement> q = db_.prepare(
      "SELECT " + std::string(kForkColumns) + " FROM checkpoint_forks" +
          (include_resolved ? "" : " WHERE resolved_ms IS NULL") + " ORDER BY id",
      "read checkpoint forks");
  if (!q) return q.error();
  std::vector<CheckpointFork> out;
  for (;;) {
    Result<bool> row = q->step();
    if (!row) return row.error();
    if (!*row) break;
    out.push_back(read_fork(*q));
  }
  return out;
}

Result<std::size_t> Store::resolve_checkpoint_forks(std::uint64_t now_ms) {
  Result<sql::Transaction> tx = sql::Transaction::begin(db_, "resolve checkpoint forks");
  if (!tx) return tx.error();
  Result<std::vector<CheckpointFork>> open = checkpoint_forks();
  if (!open) return open.error();
  if (open->empty()) return std::size_t{0};
  const CheckpointFork& latest = open->back();
  if (latest.verified && latest.notice_size) {
    auto notice = protocol::decode_checkpoint_notice(latest.notice);
    if (!notice)
      return store_error(StoreErrc::corrupt, "checkpoint fork " + std::to_string(latest.id) +
                                                 ": " + notice.error().message());
    if (Status s = write_held(db_, *latest.notice_size, notice->checkpoint, latest.feed_seq); !s)
      return s.error();
  }
  Result<sql::Statement> q = db_.prepare(
      "UPDATE checkpoint_forks SET resolved_ms = ?1 WHERE resolved_ms IS NULL",
      "resolve checkpoint forks");
  if (!q) return q.error();
  q->bind(1, i64(now_ms));
  if (Status s = q->run(); !s) return s.error();
  if (Status s = tx->commit(); !s) return s.error();
  return open->size();
}

}  // namespace aegis::store
