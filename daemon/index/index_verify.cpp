// IndexStore::verify_all: re-verifies everything the index stored, from the stored bytes
// (docs/index-store.md, "Verifying the store").
#include <map>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "aegis/protocol/envelope.hpp"
#include "aegis/protocol/feed.hpp"
#include "aegis/protocol/signed.hpp"
#include "index/index_impl.hpp"
#include "index/schema.hpp"
#include "index/verify_batch.hpp"

namespace aegis::index {

using protocol::Bytes;
using protocol::ChainState;

namespace {

constexpr std::size_t kChunk = 1024;  // envelopes read and verified at a time

// What the envelopes say a record row must hold.
struct RecordTruth {
  std::uint64_t last_seq = 0;
  bool deleted = false;
  bool shielded = false;
};

struct AuthorityRow {
  std::int64_t aid = 0;
  std::string authority_id;
  ChainState applied;
  ChainState feed;
  std::uint64_t live_records = 0;
};

IntegrityProblem problem(std::string area, std::uint64_t seq, std::string code,
                         std::string detail) {
  return IntegrityProblem{std::move(area), seq, std::move(code), std::move(detail)};
}

// Checks one authority; the problem found (if any) goes into `check`.
class AuthorityVerifier {
 public:
  AuthorityVerifier(sql::Db& db, const PendingStates& pending, const protocol::Trust& trust,
                    unsigned threads, const AuthorityRow& a, AuthorityCheck& check)
      : db_(db), pending_(pending), trust_(trust), threads_(threads), a_(a), check_(check) {}

  Status run() {
    if (Status s = envelopes(); !s || check_.problem) return s;
    if (!same_chain(chain_, a_.applied)) {
      check_.problem = problem("head", a_.applied.last_seq, "head_mismatch",
                               "authorities.applied_seq/hash is not the last stored envelope");
      return protocol::Ok{};
    }
    if (Status s = records(); !s || check_.problem) return s;
    return feed();
  }

 private:
  Status envelopes() {
    Result<sql::Statement> q = db_.prepare(
        "SELECT e.id, e.received_ms, e.wire, p.prev_hash, p.hash, p.record_id FROM envelopes e "
        "LEFT JOIN purged_envelopes p ON p.id = e.id WHERE e.id > ?1 AND e.id <= ?2 "
        "ORDER BY e.id LIMIT ?3",
        "read envelopes");
    if (!q) return q.error();
    std::int64_t after = schema::log_key(a_.aid, 0);
    for (;;) {
      std::vector<std::uint64_t> seqs;
      std::vector<Bytes> wires;
      std::vector<VerifyItem> items;
      std::vector<std::optional<Purged>> purged;
      q->reset();
      q->bind(1, after);
      q->bind(2, schema::log_key(a_.aid, schema::kMaxSeq));
      q->bind(3, static_cast<std::int64_t>(kChunk));
      for (;;) {
        Result<bool> row = q->step();
        if (!row) return row.error();
        if (!*row) break;
        after = q->int64(0);
        seqs.push_back(u64(after) & schema::kMaxSeq);
        items.push_back({{}, u64(q->int64(1))});  // verified at the time it was received
        wires.push_back(q->blob(2));
        purged.emplace_back();
        if (!q->is_null(4))
          purged.back() = Purged{to_hash(q->blob_view(3)), to_hash(q->blob_view(4)), q->text(5)};
      }
      q->reset();
      if (wires.empty()) return protocol::Ok{};
      for (std::size_t k = 0; k < wires.size(); ++k) items[k].wire = wires[k];
      // Runs of envelopes as received go through the verifier; a purged one between them is
      // checked by its stored chain fields (docs/index-store.md §12).
      std::size_t begin = 0;
      while (begin < items.size()) {
        std::size_t end = begin;
        while (end < items.size() && !purged[end]) ++end;
        if (end > begin)
          verify_in_order(std::span<const VerifyItem>(items).subspan(begin, end - begin), trust_,
                          chain_, threads_,
                          [&](std::size_t k, protocol::Result<protocol::VerifiedEnvelope>&& v) {
                            return accept(seqs[begin + k], v);
                          });
        if (check_.problem) return protocol::Ok{};
        if (end < items.size() && !accept_purged(seqs[end], wires[end], *purged[end]))
          return protocol::Ok{};
        begin = end + 1;
      }
    }
  }

  // A purged envelope's stored chain fields (purged_envelopes).
  struct Purged {
    std::optional<protocol::Hash> prev_hash;
    std::optional<protocol::Hash> hash;
    std::string record_id;
  };

  // An envelope erased by retention: its place in the chain, linked by the stored hashes (its
  // signature was checked on receipt). Its record was deleted before it was purged.
  bool accept_purged(std::uint64_t row_seq, const Bytes& wire, const Purged& p) {
    const std::string at = "purged envelope " + std::to_string(row_seq) + ": ";
    if (!p.prev_hash || !p.hash) {
      check_.problem = problem("envelope", row_seq, "malformed", at + "hash is not 32 bytes");
    } else if (!wire.empty()) {
      check_.problem =
          problem("envelope", row_seq, "purge_incomplete", at + "still holds its bytes");
    } else if (row_seq != chain_.last_seq + 1) {
      check_.problem = problem("envelope", row_seq, "out_of_order",
                               at + "follows seq " + std::to_string(chain_.last_seq));
    } else if (*p.prev_hash != chain_.last_hash) {
      check_.problem = problem("envelope", row_seq, "broken_chain",
                               at + "prev_hash is not the hash of the one before");
    }
    if (check_.problem) return false;
    truth_[p.record_id] = RecordTruth{row_seq, true, false};
    chain_ = ChainState{row_seq, *p.hash};
    ++check_.envelopes;
    return true;
  }

  bool accept(std::uint64_t row_seq,
              const protocol::Result<protocol::VerifiedEnvelope>& v) {
    if (!v) {
      check_.problem = problem("envelope", row_seq, std::string(protocol::errc_name(v.error().code)),
                               v.error().detail);
      return false;
    }
    const protocol::Envelope& e = v->envelope;
    if (e.authority_id != a_.authority_id) {
      check_.problem = problem("envelope", row_seq, "wrong_authority",
                               "envelope names authority " + e.authority_id);
      return false;
    }
    if (e.seq != row_seq) {
      check_.problem = problem("envelope", row_seq, "seq_mismatch",
                               "the row's key says seq " + std::to_string(row_seq) +
                                   ", its envelope " + std::to_string(e.seq));
      return false;
    }
    const bool upsert = e.op == protocol::Operation::upsert;
    truth_[e.record_id] = RecordTruth{e.seq, !upsert, upsert && e.payload->shielded()};
    chain_ = protocol::advance(chain_, *v);
    ++check_.envelopes;
    return true;
  }

  // The record states: each row of `records`, or the state waiting in state_log in its place,
  // and the waiting states of records without a row yet.
  Status records() {
    Result<sql::Statement> q = db_.prepare(
        "SELECT record_id, national_id, last_seq, deleted, shielded FROM records "
        "WHERE aid = ?1",
        "read records");
    if (!q) return q.error();
    q->bind(1, a_.aid);
    for (;;) {
      Result<bool> row = q->step();
      if (!row) return row.error();
      if (!*row) break;
      std::string record_id = q->text(0);
      if (pending_.count(RecordKeyView{a_.aid, record_id})) continue;  // checked below
      RecordState stored;
      if (!q->is_null(1)) stored.national_id = q->text(1);
      stored.last_seq = u64(q->int64(2));
      stored.deleted = q->int64(3) != 0;
      stored.shielded = q->int64(4) != 0;
      if (!check_record(std::move(record_id), stored)) return protocol::Ok{};
    }
    for (const PendingEntry* entry : sorted_entries(pending_, a_.aid))
      if (!check_record(entry->first.second, entry->second)) return protocol::Ok{};
    if (check_.records != truth_.size()) {
      check_.problem = problem("record", 0, "record_missing",
                               std::to_string(truth_.size() - check_.records) +
                                   " record(s) written by envelopes have no row");
      return protocol::Ok{};
    }
    if (live_ != a_.live_records)
      check_.problem = problem("record", 0, "count_mismatch",
                               "authorities.live_records is " + std::to_string(a_.live_records) +
                                   ", the rows say " + std::to_string(live_));
    return protocol::Ok{};
  }

  // False when the record's state disagrees with its envelopes (the problem is set).
  bool check_record(std::string record_id, const RecordState& stored) {
    auto it = truth_.find(record_id);
    if (it == truth_.end()) {
      check_.problem = problem("record", stored.last_seq, "record_without_envelope",
                               "record " + record_id + " has no envelope");
      return false;
    }
    if (stored.last_seq != it->second.last_seq) {
      check_.problem = problem("record", stored.last_seq, "stale_last_seq",
                               "record " + record_id + ": its latest envelope is " +
                                   std::to_string(it->second.last_seq));
      return false;
    }
    if (stored.deleted != it->second.deleted || stored.shielded != it->second.shielded) {
      check_.problem = problem("record", stored.last_seq, "record_mismatch",
                               "record " + record_id + ": deleted/shielded differ from " +
                                   "its envelope");
      return false;
    }
    if (!stored.deleted) ++live_;
    ++check_.records;
    if (stored.national_id) national_ids_[std::move(record_id)] = *stored.national_id;
    return true;
  }

  Status feed() {
    Result<sql::Statement> q = db_.prepare(
        "SELECT f.id, f.wire, p.hash FROM feed f LEFT JOIN purged_feed p ON p.id = f.id "
        "WHERE f.id > ?1 AND f.id <= ?2 ORDER BY f.id",
        "read feed");
    if (!q) return q.error();
    q->bind(1, schema::log_key(a_.aid, 0));
    q->bind(2, schema::log_key(a_.aid, schema::kMaxSeq));
    ChainState chain;
    for (;;) {
      Result<bool> row = q->step();
      if (!row) return row.error();
      if (!*row) break;
      const std::uint64_t seq = u64(q->int64(0)) & schema::kMaxSeq;
      const protocol::ByteView wire = q->blob_view(1);
      if (!q->is_null(2)) {  // erased by retention: linked by its stored hash
        std::optional<protocol::Hash> hash = to_hash(q->blob_view(2));
        if (!hash || !wire.empty() || seq != chain.last_seq + 1) {
          check_.problem = problem("feed", seq, "purge_incomplete",
                                   "purged feed item out of place, or still holding bytes");
          return protocol::Ok{};
        }
        chain = ChainState{seq, *hash};
        ++check_.feed_items;
        continue;
      }
      // Verified as the authority would, at the time the index signed it.
      auto wrapper = protocol::decode_signed(wire, "feed item");
      if (!wrapper) return fail_feed(seq, wrapper.error());
      auto body = protocol::decode_feed_item_body(wrapper->body);
      if (!body) return fail_feed(seq, body.error());
      auto v = protocol::verify_feed_item(wire, trust_, a_.authority_id, chain,
                                          body->timestamp_ms);
      if (!v) return fail_feed(seq, v.error());
      if (v->item.seq != seq) {
        check_.problem = problem("feed", seq, "seq_mismatch", "the row's key and its item differ");
        return protocol::Ok{};
      }
      // A record's id may change (merge, split): its latest assignment is the one to check.
      for (const protocol::NationalIdAssignment& n : v->item.national_ids)
        last_assigned_[n.record_id] = {seq, n.national_id};
      chain = protocol::advance(chain, *v);
      ++check_.feed_items;
    }
    for (const auto& [record_id, assigned] : last_assigned_) {
      auto it = national_ids_.find(record_id);
      if (it == national_ids_.end() || it->second != assigned.second) {
        check_.problem = problem("feed", assigned.first, "national_id_mismatch",
                                 "record " + record_id + ": the feed and the record row disagree");
        return protocol::Ok{};
      }
    }
    if (!same_chain(chain, a_.feed))
      check_.problem = problem("feed", a_.feed.last_seq, "head_mismatch",
                               "authorities.feed_seq/hash is not the last stored feed item");
    return protocol::Ok{};
  }

  Status fail_feed(std::uint64_t seq, const protocol::Error& e) {
    check_.problem = problem("feed", seq, std::string(protocol::errc_name(e.code)), e.detail);
    return protocol::Ok{};
  }

  sql::Db& db_;
  const PendingStates& pending_;
  const protocol::Trust& trust_;
  unsigned threads_;
  const AuthorityRow& a_;
  AuthorityCheck& check_;
  ChainState chain_;
  std::uint64_t live_ = 0;
  std::unordered_map<std::string, RecordTruth> truth_;
  std::unordered_map<std::string, std::string> national_ids_;
  // record id -> (feed seq, national id) of its latest national_id assignment
  std::map<std::string, std::pair<std::uint64_t, std::string>> last_assigned_;
};

}  // namespace

Result<VerifyReport> IndexStore::verify_all(const protocol::Trust& trust) {
  Impl& m = *impl_;
  // One snapshot for the whole check; writers (another process) go on meanwhile.
  Result<sql::Transaction> tx = sql::Transaction::begin_read(m.db, "verify index store");
  if (!tx) return tx.error();
  if (Status s = m.sync_pending(); !s) return s.error();
  Result<sql::Statement> q = m.db.prepare(
      "SELECT aid, authority_id, applied_seq, applied_hash, feed_seq, feed_hash, live_records "
      "FROM authorities ORDER BY authority_id",
      "read authorities");
  if (!q) return q.error();
  std::vector<AuthorityRow> rows;
  for (;;) {
    Result<bool> row = q->step();
    if (!row) return row.error();
    if (!*row) break;
    AuthorityRow a;
    a.aid = q->int64(0);
    a.authority_id = q->text(1);
    auto applied_hash = to_hash(q->blob_view(3));
    auto feed_hash = to_hash(q->blob_view(5));
    if (!applied_hash || !feed_hash)
      return index_error(IndexErrc::corrupt,
                         "authority " + a.authority_id + ": stored head hash is not 32 bytes");
    a.applied = {u64(q->int64(2)), *applied_hash};
    a.feed = {u64(q->int64(4)), *feed_hash};
    a.live_records = u64(q->int64(6));
    rows.push_back(std::move(a));
  }
  VerifyReport report;
  for (const AuthorityRow& a : rows) {
    AuthorityCheck check;
    check.authority_id = a.authority_id;
    if (Status s = AuthorityVerifier(m.db, m.pending, trust, m.threads, a, check).run(); !s)
      return s.error();
    report.authorities.push_back(std::move(check));
  }
  return report;
}

}  // namespace aegis::index
