// IndexStore's audit log methods (index_store.hpp, docs/audit.md): each opens its transaction on
// the store's connection and works through AuditLog, so the audit tables, the trust version and
// the entries they record commit together.
#include "aegis/protocol/feed.hpp"
#include "aegis/protocol/merkle.hpp"
#include "index/audit_log.hpp"
#include "index/index_impl.hpp"
#include "sqlite/migrations.hpp"

namespace aegis::index {

namespace {

// The audit log for reading: a store that never logged anything gets its (empty) tables first,
// in a short write transaction of their own.
Status ensure_audit_tables(sql::Db& db) {
  Result<bool> has = AuditLog::has_tables(db);
  if (!has) return has.error();
  if (*has) return protocol::Ok{};
  Result<sql::Transaction> tx = sql::Transaction::begin(db, "create audit tables");
  if (!tx) return tx.error();
  if (Status s = AuditLog::create_tables(db); !s) return s.error();
  if (Status s = tx->commit(); !s) return s.error();
  return protocol::Ok{};
}

}  // namespace

Result<AuditLog*> IndexStore::Impl::writable_audit() {
  if (audit_log && audit_log_kept) return &*audit_log;
  // Kept for later transactions only once the tables were there before this one: tables created
  // in it go if it rolls back, and statements kept on them would fail from then on.
  Result<bool> had = AuditLog::has_tables(db);
  if (!had) return had.error();
  if (Status s = AuditLog::create_tables(db); !s) return s.error();
  Result<AuditLog> prepared = AuditLog::prepare(db);
  if (!prepared) return prepared.error();
  audit_log.emplace(std::move(prepared).value());
  audit_log_kept = *had;
  return &*audit_log;
}

Result<std::uint64_t> IndexStore::Impl::append_audit(const protocol::AuditEntry& entry) {
  Result<AuditLog*> audit = writable_audit();
  if (!audit) return audit.error();
  return (*audit)->append(entry);
}

Result<std::size_t> IndexStore::record_trust(const protocol::Trust& trust, std::uint64_t now_ms) {
  Result<sql::Transaction> tx = sql::Transaction::begin(impl_->db, "record trust");
  if (!tx) return tx.error();
  if (Status s = sql::raise_trust_version(impl_->db, trust.version()); !s) return s.error();
  Result<AuditLog*> audit = impl_->writable_audit();
  if (!audit) return audit.error();
  Result<std::size_t> appended = (*audit)->record_trust(trust, now_ms);
  if (!appended) return appended.error();
  if (Status s = tx->commit(); !s) return s.error();
  return appended;
}

Result<std::uint64_t> IndexStore::append_audit(const protocol::AuditEntry& entry) {
  Result<sql::Transaction> tx = sql::Transaction::begin(impl_->db, "append audit entry");
  if (!tx) return tx.error();
  Result<std::uint64_t> index = impl_->append_audit(entry);
  if (!index) return index.error();
  if (Status s = tx->commit(); !s) return s.error();
  return index;
}

Result<std::optional<AuditCheckpointMade>> IndexStore::audit_checkpoint_if_due(
    std::uint64_t now_ms, const IndexSigning& signing, const AuditPolicy& policy) {
  Result<sql::Transaction> tx = sql::Transaction::begin(impl_->db, "audit checkpoint");
  if (!tx) return tx.error();
  Result<AuditLog*> audit = impl_->writable_audit();
  if (!audit) return audit.error();
  Result<std::optional<StoredCheckpoint>> made =
      (*audit)->checkpoint_if_due(now_ms, policy, signing.signer, signing.signer_serial);
  if (!made) return made.error();
  if (!*made) return std::optional<AuditCheckpointMade>{};  // nothing written: rolls back empty
  AuditCheckpointMade out{std::move(**made), {}};
  Result<std::vector<FeedHead>> feeds = impl_->send_checkpoint(**audit, out, now_ms, signing);
  if (!feeds) return feeds.error();
  out.feeds = std::move(feeds).value();
  if (Status s = tx->commit(); !s) return s.error();
  return std::optional<AuditCheckpointMade>{std::move(out)};
}

Result<std::vector<FeedHead>> IndexStore::Impl::send_checkpoint(AuditLog& audit,
                                                                const StoredCheckpoint& made,
                                                                std::uint64_t now_ms,
                                                                const IndexSigning& signing) {
  const std::uint64_t size = made.checkpoint.tree_size;
  Result<std::vector<std::string>> enrolled = audit.enrolled_authorities();
  if (!enrolled) return enrolled.error();
  std::optional<std::vector<protocol::MerkleHash>> leaves;  // read once, when a proof needs them
  std::vector<FeedHead> feeds;
  for (const std::string& authority : *enrolled) {
    Result<std::optional<HeadRow>> head = read_head(authority);
    if (!head) return head.error();
    if (!*head) continue;  // enrolled, never connected: no feed yet (its first notice comes later)
    Result<std::uint64_t> from = audit.sent_size(authority);
    if (!from) return from.error();
    protocol::FeedItem item;
    item.version = protocol::kCheckpointFeedItemVersion;
    item.kind = protocol::FeedKind::audit_checkpoint;
    item.checkpoint_notice.checkpoint = made.wire;
    item.checkpoint_notice.from_size = *from;
    // No proof from nothing or to the same size; none either from a larger size (the log cannot
    // shrink: the authority reports that notice as forked).
    if (*from > 0 && *from < size) {
      if (!leaves) {
        Result<std::vector<protocol::MerkleHash>> read = audit.leaf_hashes(size);
        if (!read) return read.error();
        leaves = std::move(read).value();
      }
      item.checkpoint_notice.proof = protocol::consistency_proof(*leaves, *from, size);
    }
    protocol::ChainState feed = (*head)->feed;
    Result<protocol::Bytes> wire =
        store_feed_item((*head)->aid, authority, feed, std::move(item), now_ms, signing);
    if (!wire) return wire.error();
    if (Status s = write_feed_head((*head)->aid, feed); !s) return s.error();
    if (Status s = audit.record_sent(authority, size); !s) return s.error();
    feeds.push_back({authority, feed.last_seq});
  }
  return feeds;
}

Result<AuditReport> IndexStore::verify_audit(const protocol::Trust& trust,
                                             const std::vector<protocol::Bytes>& outside) {
  if (Status s = ensure_audit_tables(impl_->db); !s) return s.error();
  Result<sql::Transaction> tx = sql::Transaction::begin_read(impl_->db, "verify audit log");
  if (!tx) return tx.error();
  Result<AuditLog> audit = AuditLog::prepare(impl_->db);
  if (!audit) return audit.error();
  return audit->verify(trust, outside);
}

Result<InclusionProof> IndexStore::audit_proof(std::uint64_t index) {
  if (Status s = ensure_audit_tables(impl_->db); !s) return s.error();
  Result<sql::Transaction> tx = sql::Transaction::begin_read(impl_->db, "audit proof");
  if (!tx) return tx.error();
  Result<AuditLog> audit = AuditLog::prepare(impl_->db);
  if (!audit) return audit.error();
  return audit->prove_inclusion(index);
}

Result<std::uint64_t> IndexStore::audit_size() {
  if (Status s = ensure_audit_tables(impl_->db); !s) return s.error();
  Result<sql::Transaction> tx = sql::Transaction::begin_read(impl_->db, "audit size");
  if (!tx) return tx.error();
  Result<AuditLog> audit = AuditLog::prepare(impl_->db);
  if (!audit) return audit.error();
  return audit->size();
}

}  // namespace aegis::index
