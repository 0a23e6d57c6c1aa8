// The index store: opening, apply_batch (classify, verify, store, feed: one transaction), the
// feed and status queries. verify_all is in index_verify.cpp. See index_store.hpp and
// docs/index-store.md.
#include "index/index_store.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <iterator>
#include <map>
#include <set>
#include <thread>

#include <fcntl.h>
#include <sodium.h>
#include <unistd.h>

#include "aegis/protocol/feed.hpp"
#include "aegis/protocol/seal.hpp"
#include "aegis/protocol/signed.hpp"
#include "aegis/protocol/sync.hpp"
#include "index/index_impl.hpp"
#include "index/resolution_log.hpp"
#include "index/schema.hpp"
#include "index/verify_batch.hpp"

namespace aegis::index {

using protocol::Bytes;
using protocol::ByteView;
using protocol::ChainState;
using protocol::Errc;
using protocol::FeedItem;
using protocol::FeedKind;
using protocol::Hash;
using protocol::Operation;

std::string_view index_errc_name(IndexErrc code) noexcept {
  switch (code) {
    case IndexErrc::sqlite: return "sqlite";
    case IndexErrc::io: return "io";
    case IndexErrc::exists: return "exists";
    case IndexErrc::not_found: return "not_found";
    case IndexErrc::not_initialised: return "not_initialised";
    case IndexErrc::schema_too_new: return "schema_too_new";
    case IndexErrc::invalid_argument: return "invalid_argument";
    case IndexErrc::corrupt: return "corrupt";
    case IndexErrc::gone: return "gone";
  }
  return "unknown";
}

namespace {

constexpr std::string_view kFormat = "aegis-index-store";
// The largest cluster whose records are told about each other (elsewhere feed items).
constexpr std::size_t kMaxElsewhereCluster = 32;

// The statements of the write path, prepared once per connection.
constexpr std::string_view kSelectAuthority =
    "SELECT aid, applied_seq, applied_hash, feed_seq, feed_hash FROM authorities "
    "WHERE authority_id = ?1";
constexpr std::string_view kInsertAuthority =
    "INSERT INTO authorities (authority_id, first_seen_ms, last_received_ms, applied_hash, "
    "feed_hash) VALUES (?1, ?2, ?2, zeroblob(32), zeroblob(32)) RETURNING aid";
constexpr std::string_view kSelectEnvelope = "SELECT wire FROM envelopes WHERE id = ?1";
constexpr std::string_view kInsertEnvelope =
    "INSERT INTO envelopes (id, received_ms, wire) VALUES (?1, ?2, ?3)";
constexpr std::string_view kSelectRecord =
    "SELECT national_id, last_seq, deleted, shielded FROM records "
    "WHERE aid = ?1 AND record_id = ?2";
constexpr std::string_view kUpsertRecord =
    "INSERT INTO records (aid, record_id, national_id, last_seq, deleted, shielded) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (aid, record_id) DO UPDATE SET "
    "national_id = excluded.national_id, last_seq = excluded.last_seq, "
    "deleted = excluded.deleted, shielded = excluded.shielded";
constexpr std::string_view kAppendState =
    "INSERT INTO state_log (id, record_id, national_id, deleted, shielded) "
    "VALUES (?1, ?2, ?3, ?4, ?5)";
constexpr std::string_view kDataVersion = "PRAGMA data_version";
constexpr std::string_view kInsertFeed = "INSERT INTO feed (id, wire) VALUES (?1, ?2)";
constexpr std::string_view kUpdateFeedHead =
    "UPDATE authorities SET feed_seq = ?2, feed_hash = ?3 WHERE aid = ?1";
constexpr std::string_view kSetPendingNationalId =
    "UPDATE state_log SET national_id = ?2 WHERE id = ?1";
constexpr std::string_view kSetRecordNationalId =
    "UPDATE records SET national_id = ?3 WHERE aid = ?1 AND record_id = ?2";
constexpr std::string_view kUpdateHead =
    "UPDATE authorities SET applied_seq = ?2, applied_hash = ?3, feed_seq = ?4, feed_hash = ?5, "
    "live_records = live_records + ?6, last_received_ms = ?7 WHERE aid = ?1";
// The same refusal as the authority's latest one: count it instead of adding a row.
constexpr std::string_view kRepeatRejection =
    "UPDATE rejections SET repeats = repeats + 1, last_ms = ?5 "
    "WHERE id = (SELECT max(id) FROM rejections WHERE aid = ?1) "
    "AND seq = ?2 AND code = ?3 AND detail = ?4 RETURNING id";
constexpr std::string_view kInsertRejection =
    "INSERT INTO rejections (aid, seq, code, detail, first_ms, last_ms) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?5)";
constexpr std::string_view kInsertNotice =
    "INSERT INTO pending_notices (aid, record_id, viewer_authority_id, user_id, role, purpose, "
    "time_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)";

unsigned thread_count(unsigned wanted) {
  if (wanted > 0) return wanted;
  return std::clamp(std::thread::hardware_concurrency(), 1u, 8u);
}

// Records whose envelopes build_resolver reads while the previous ones are decoded.
constexpr std::size_t kDecodeChunk = 2048;

// The meta key of the learned matching figures (resolution_training.hpp, encode_training).
constexpr std::string_view kTrainingKey = "resolution_training";

}  // namespace

Result<std::optional<std::string>> read_meta(sql::Db& db, std::string_view key) {
  Result<sql::Statement> q = db.prepare("SELECT value FROM meta WHERE key = ?1", "read meta");
  if (!q) return q.error();
  q->bind(1, key);
  Result<bool> row = q->step();
  if (!row) return row.error();
  if (!*row) return std::optional<std::string>();
  return std::optional<std::string>(q->text(0));
}

Status write_meta(sql::Db& db, std::string_view key, std::string_view value) {
  Result<sql::Statement> q =
      db.prepare("INSERT OR REPLACE INTO meta (key, value) VALUES (?1, ?2)", "write meta");
  if (!q) return q.error();
  q->bind(1, key);
  q->bind(2, value);
  return q->run();
}

// The engine's view of a record version: identity, match tokens, and the address of clear
// details only (a shielded record's details are sealed: never opened).
resolve::MatchRecord match_record(const resolve::RecordRef& ref, const protocol::RecordPayload& p) {
  std::vector<resolve::IdentifierToken> tokens;
  if (p.match) {
    for (const protocol::MatchEntry& m : p.match->entries) {
      resolve::IdentifierToken t;
      t.kind = static_cast<resolve::IdentifierKind>(m.kind);
      std::copy(m.token.begin(), m.token.end(), t.hash.begin());
      tokens.push_back(t);
    }
  }
  const auto* clear = std::get_if<protocol::ChildDetails>(&p.details);
  return resolve::make_match_record(ref.authority_id, ref.record_id, p.identity, clear,
                                    std::move(tokens));
}

// ---- Opening --------------------------------------------------------------------------------

Result<std::unique_ptr<IndexStore::Impl>> IndexStore::Impl::connect(
    const std::filesystem::path& file, sql::Db db, const OpenOptions& options) {
  auto impl = std::unique_ptr<Impl>(
      new Impl{file, std::move(db), {}, options, {}, 0, false, 0, {}, nullptr, nullptr,
               true, nullptr, {}, {}, nullptr, 1});
  struct Spec {
    std::optional<sql::Statement> Statements::*member;
    std::string_view sql;
    std::string_view what;
  };
  const Spec specs[] = {
      {&Statements::select_authority, kSelectAuthority, "read authority"},
      {&Statements::insert_authority, kInsertAuthority, "add authority"},
      {&Statements::insert_envelope, kInsertEnvelope, "store envelope"},
      {&Statements::select_envelope, kSelectEnvelope, "read record envelope"},
      {&Statements::select_record, kSelectRecord, "read record"},
      {&Statements::upsert_record, kUpsertRecord, "write record"},
      {&Statements::append_state, kAppendState, "append record state"},
      {&Statements::data_version, kDataVersion, "read data version"},
      {&Statements::insert_feed, kInsertFeed, "append feed item"},
      {&Statements::update_feed_head, kUpdateFeedHead, "update feed head"},
      {&Statements::set_pending_national_id, kSetPendingNationalId, "set national id"},
      {&Statements::set_record_national_id, kSetRecordNationalId, "set national id"},
      {&Statements::update_head, kUpdateHead, "update authority head"},
      {&Statements::repeat_rejection, kRepeatRejection, "count rejection"},
      {&Statements::insert_rejection, kInsertRejection, "record rejection"},
      {&Statements::insert_notice, kInsertNotice, "queue access notice"},
  };
  for (const Spec& s : specs) {
    Result<sql::Statement> st = impl->db.prepare(s.sql, s.what);
    if (!st) return st.error();
    (impl->st.*(s.member)).emplace(std::move(st).value());
  }
  if (options.checkpoint_wal_frames > 0) {
    auto cp = sql::BackgroundCheckpoint::start(impl->db, file, options.checkpoint_wal_frames);
    if (!cp) return cp.error();
    impl->checkpoint = std::move(cp).value();
  }
  impl->threads = thread_count(options.verify_threads);
  Result<std::unique_ptr<ResolutionLog>> resolution = ResolutionLog::prepare(impl->db);
  if (!resolution) return resolution.error();
  impl->resolution = std::move(resolution).value();
  {  // The states a previous run applied and did not merge: back in memory; then the engine.
    Result<sql::Transaction> tx = sql::Transaction::begin_read(impl->db, "load state log");
    if (!tx) return tx.error();
    if (Status s = impl->sync_pending(); !s) return s.error();
    Result<std::optional<std::string>> kept = read_meta(impl->db, kTrainingKey);
    if (!kept) return kept.error();
    if (*kept) impl->training = decode_training(**kept, resolve::MatchConfig{});
    if (Status s = impl->rebuild_resolver(); !s) return s.error();
  }
  if (impl->training_unsaved) {  // learned at this open: kept for the next one
    Result<sql::Transaction> tx = sql::Transaction::begin(impl->db, "save resolution training");
    if (!tx) return tx.error();
    if (Status s = impl->save_training(); !s) return s.error();
    if (Status s = tx->commit(); !s) return s.error();
    impl->training_unsaved = false;
  }
  return impl;
}

IndexStore::IndexStore(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
IndexStore::IndexStore(IndexStore&&) noexcept = default;
IndexStore& IndexStore::operator=(IndexStore&&) noexcept = default;
IndexStore::~IndexStore() = default;

Result<IndexStore> IndexStore::create(const std::filesystem::path& file, std::uint64_t now_ms,
                                      const OpenOptions& options) {
  // O_EXCL refuses an existing file without a race; mode 0600 keeps the data from other users
  // (SQLite gives its -wal and -shm files the same mode). An existing file is accepted only if it
  // holds no schema at all: the leftover of a create interrupted before its commit (checked
  // inside the transaction below).
  const IndexError exists =
      index_error(IndexErrc::exists, "database " + file.string() + " already exists");
  const int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd >= 0) ::close(fd);
  else if (errno != EEXIST)
    return index_error(IndexErrc::io, "create " + file.string() + ": " + std::strerror(errno));

  Result<sql::Db> db = sql::Db::open(file, {options.busy_timeout_ms, options.cache_mib, true});
  if (!db) return fd >= 0 ? db.error() : exists;
  {
    Result<sql::Transaction> tx = sql::Transaction::begin(*db, "create index store");
    if (!tx) return tx.error();
    Result<sql::Statement> objects =
        db->prepare("SELECT count(*) FROM sqlite_schema", "create index store");
    if (!objects) return objects.error();
    if (Result<bool> row = objects->step(); !row) return row.error();
    if (objects->int64(0) != 0) return exists;
    objects->reset();
    if (Status s = sql::migrate(*db, schema::steps(), 0); !s) return s.error();
    const std::string meta = "INSERT INTO meta (key, value) VALUES ('format', '" +
                             std::string(kFormat) + "'), ('created_ms', " +
                             std::to_string(i64(now_ms)) + ")";
    if (Status s = db->exec(meta, "write meta"); !s) return s.error();
    if (Status s = tx->commit(); !s) return s.error();
  }
  Result<std::unique_ptr<Impl>> impl = Impl::connect(file, std::move(db).value(), options);
  if (!impl) return impl.error();
  return IndexStore(std::move(impl).value());
}

Result<IndexStore> IndexStore::open(const std::filesystem::path& file,
                                    const OpenOptions& options) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(file, ec))
    return index_error(IndexErrc::not_found, "no database at " + file.string());
  Result<sql::Db> db = sql::Db::open(file, {options.busy_timeout_ms, options.cache_mib, true});
  if (!db) return db.error();

  auto check_version = [&](int version) -> Status {
    if (version > schema::kSchemaVersion)
      return index_error(IndexErrc::schema_too_new,
                         sql::too_new_detail(file, version, schema::steps()));
    if (version == 0)
      return index_error(IndexErrc::not_initialised,
                         file.string() + " is not an aegis index store (schema version 0)");
    return protocol::Ok{};
  };
  Result<int> version = sql::user_version(*db);
  if (!version) return version.error();
  if (Status s = check_version(*version); !s) return s.error();
  Result<std::optional<std::string>> format = read_meta(*db, "format");
  if (!format) return format.error();
  if (*format != std::optional<std::string>(std::string(kFormat)))
    return index_error(IndexErrc::not_initialised,
                       file.string() + " is not an aegis index store (meta.format)");
  if (*version < schema::kSchemaVersion) {
    version = sql::upgrade(*db, schema::steps(), "migrate index store");
    if (!version) return version.error();
    if (Status s = check_version(*version); !s) return s.error();
  }
  Result<std::unique_ptr<Impl>> impl = Impl::connect(file, std::move(db).value(), options);
  if (!impl) return impl.error();
  return IndexStore(std::move(impl).value());
}

Result<std::uint64_t> IndexStore::trust_version() { return sql::read_trust_version(impl_->db); }

Status IndexStore::record_trust_version(std::uint64_t version) {
  return sql::raise_trust_version(impl_->db, version);
}

// ---- Reading heads --------------------------------------------------------------------------

Result<std::optional<IndexStore::Impl::HeadRow>> IndexStore::Impl::read_head(
    std::string_view authority_id) {
  sql::Use q(*st.select_authority);
  q->bind(1, authority_id);
  Result<bool> row = q->step();
  if (!row) return row.error();
  if (!*row) return std::optional<HeadRow>();
  HeadRow h;
  h.aid = q->int64(0);
  auto applied_hash = to_hash(q->blob_view(2));
  auto feed_hash = to_hash(q->blob_view(4));
  if (!applied_hash || !feed_hash)
    return index_error(IndexErrc::corrupt, "authority " + std::string(authority_id) +
                                               ": stored head hash is not 32 bytes");
  h.applied = {u64(q->int64(1)), *applied_hash};
  h.feed = {u64(q->int64(3)), *feed_hash};
  return std::optional<HeadRow>(h);
}

Result<Bytes> IndexStore::Impl::store_feed_item(std::int64_t aid, const std::string& authority,
                                               ChainState& feed, FeedItem item,
                                               std::uint64_t now_ms, const IndexSigning& signing) {
  item.authority_id = authority;
  item.seq = feed.last_seq + 1;
  item.prev_hash = feed.last_hash;
  item.timestamp_ms = now_ms;
  item.signer_serial = signing.signer_serial;
  Bytes wire = protocol::sign_feed_item(item, signing.signer);
  sql::Use q(*st.insert_feed);
  q->bind(1, schema::log_key(aid, item.seq));
  q->bind(2, ByteView(wire));
  if (Status s = q->run(); !s) return s.error();
  feed = {item.seq, protocol::feed_item_hash(wire)};
  return wire;
}

Status IndexStore::Impl::write_feed_head(std::int64_t aid, const ChainState& feed) {
  sql::Use q(*st.update_feed_head);
  q->bind(1, aid);
  q->bind(2, i64(feed.last_seq));
  q->bind(3, ByteView(feed.last_hash));
  return q->run();
}

Result<ChainState> IndexStore::chain_state(std::string_view authority_id) {
  Result<std::optional<Impl::HeadRow>> head = impl_->read_head(authority_id);
  if (!head) return head.error();
  return *head ? (*head)->applied : ChainState{};
}

// ---- apply_batch ----------------------------------------------------------------------------

// The writes of one batch, inside its transaction.
class IndexStore::Impl::BatchWriter {
 public:
  BatchWriter(Impl& impl, std::string_view authority_id, const HeadRow& head,
              std::uint64_t now_ms, const IndexSigning& signing, ApplyResult& out)
      : m_(impl), authority_id_(authority_id), head_(head), applied_(head.applied),
        feed_(head.feed), now_ms_(now_ms), signing_(signing), out_(out) {}

  const ChainState& applied() const { return applied_; }

  // Stores one verified envelope and the record state it writes.
  Status apply(ByteView wire, const protocol::VerifiedEnvelope& v) {
    const protocol::Envelope& e = v.envelope;
    {
      sql::Use q(*m_.st.insert_envelope);
      q->bind(1, schema::log_key(head_.aid, e.seq));
      q->bind(2, i64(now_ms_));
      q->bind(3, wire);
      if (Status s = q->run(); !s) return s;
    }
    Result<std::optional<RecordState>> current = m_.current_state(head_.aid, e.record_id);
    if (!current) return current.error();
    Result<std::optional<std::string>> national_id = resolve_change(*current, e);
    if (!national_id) return national_id.error();
    const bool upsert = e.op == Operation::upsert;
    const bool was_live = *current && !(*current)->deleted;
    if (upsert && !was_live) ++live_delta_;
    if (!upsert && was_live) --live_delta_;
    const RecordState next{std::move(national_id).value(), e.seq, !upsert,
                           upsert && e.payload->shielded()};
    if (Status s = m_.append_state(head_.aid, e.record_id, e.seq, next); !s) return s;
    applied_ = protocol::advance(applied_, v);
    ++out_.applied_count;
    return protocol::Ok{};
  }

  // The batch's last writes: the resolution it caused (its history; national_id and elsewhere
  // items to every authority concerned), the `applied` feed item (when anything was applied)
  // and the head.
  Status finish() {
    if (Status s = finish_resolution(); !s) return s;
    if (out_.applied_count > 0) {
      FeedItem item;
      item.kind = FeedKind::applied;
      item.applied_seq = applied_.last_seq;
      item.applied_hash = applied_.last_hash;
      if (Status s = append_feed(std::move(item)); !s) return s;
    }
    sql::Use q(*m_.st.update_head);
    q->bind(1, head_.aid);
    q->bind(2, i64(applied_.last_seq));
    q->bind(3, ByteView(applied_.last_hash));
    q->bind(4, i64(feed_.last_seq));
    q->bind(5, ByteView(feed_.last_hash));
    q->bind(6, live_delta_);
    q->bind(7, i64(now_ms_));
    return q->run();
  }

  // The resolution's writes (also all of an operator decision or a full re-resolution): the
  // history, the review queue of every touched record, national_id and elsewhere items.
  Status finish_resolution() {
    if (Status s = m_.resolution->write(events_, *m_.resolver, now_ms_); !s) return s;
    for (const resolve::RecordRef& r : touched_)
      if (Status s = m_.resolution->sync_review(r, m_.resolver->review_pairs_of(r), now_ms_); !s)
        return s;
    if (Status s = send_national_ids(); !s) return s;
    return send_elsewhere();
  }

  // An operator decision (no sender: every feed item goes to another authority's feed).
  Status decide(const resolve::Decision& d) {
    touched_.insert(d.a);
    touched_.insert(d.b);
    return take_events(m_.resolver->decide(d), nullptr);
  }

  // The events of a new engine that replaced the old one (a full re-resolution).
  Status take_all(std::vector<resolve::LinkageEvent> events) {
    return take_events(std::move(events), nullptr);
  }

  std::uint64_t records_moved() const { return changed_.size(); }
  const std::vector<resolve::LinkageEvent>& events() const { return events_; }

  Status record_rejection(const Rejection& r) {
    const std::string code(protocol::errc_name(r.code));
    {
      sql::Use q(*m_.st.repeat_rejection);
      q->bind(1, head_.aid);
      q->bind(2, i64(r.seq));
      q->bind(3, code);
      q->bind(4, r.detail);
      q->bind(5, i64(now_ms_));
      Result<bool> row = q->step();
      if (!row) return row.error();
      if (*row) return protocol::Ok{};
    }
    sql::Use q(*m_.st.insert_rejection);
    q->bind(1, head_.aid);
    q->bind(2, i64(r.seq));
    q->bind(3, code);
    q->bind(4, r.detail);
    q->bind(5, i64(now_ms_));
    return q->run();
  }

 private:
  // Hands the change to the matching engine — the one place of the apply path that chooses
  // national ids — and returns the national id it leaves its record with. Other records the
  // engine moved to another id get it in their state at once; everything it touched is
  // collected for finish() (docs/index-store.md, "Resolution").
  Result<std::optional<std::string>> resolve_change(const std::optional<RecordState>& current,
                                                    const protocol::Envelope& e) {
    resolve::Resolver& engine = *m_.resolver;
    const resolve::RecordRef ref{std::string(authority_id_), e.record_id};
    const std::optional<std::string> before = current ? current->national_id : std::nullopt;
    std::vector<resolve::LinkageEvent> events;
    if (e.op == Operation::upsert) {
      if (before && !engine.contains(ref)) {  // upserted again after a delete: its id comes back
        Result<std::optional<std::uint64_t>> order = m_.resolution->minted_order(*before);
        if (!order) return order.error();
        if (*order) engine.restore_national_id(ref, *before, **order);
      }
      events = engine.upsert(match_record(ref, *e.payload));
    } else {
      events = engine.remove(ref);  // a tombstone keeps the last id it had, for the history
    }
    const std::optional<std::string> after =
        e.op == Operation::upsert ? engine.national_id(ref) : before;
    touched_.insert(ref);
    if (after && after != before) note_changed(ref, *after);
    if (Status s = take_events(std::move(events), &ref); !s) return s.error();
    return after;
  }

  // Records the engine moved to another national id (all but `self`, whose state the caller
  // writes) get it in their current state; everything touched is collected for finish().
  Status take_events(std::vector<resolve::LinkageEvent> events, const resolve::RecordRef* self) {
    const resolve::Resolver& engine = *m_.resolver;
    for (resolve::LinkageEvent& ev : events) {
      for (const resolve::RecordRef& r : ev.records) {
        touched_.insert(r);
        if (self && r == *self) continue;
        const std::optional<std::string> id = engine.national_id(r);
        if (!id) continue;
        Result<std::int64_t> aid = m_.aid_of(r.authority_id);
        if (!aid) return aid.error();
        Result<std::optional<RecordState>> state = m_.current_state(*aid, r.record_id);
        if (!state) return state.error();
        if (!*state || (*state)->national_id == id) continue;
        if (Status s = m_.set_national_id(*aid, r.record_id, id); !s) return s;
        note_changed(r, *id);
      }
      events_.push_back(std::move(ev));
    }
    return protocol::Ok{};
  }

  void note_changed(const resolve::RecordRef& r, const std::string& national_id) {
    auto [it, added] = changed_at_.emplace(r, changed_.size());
    if (added) changed_.push_back({r, national_id});
    else changed_[it->second].second = national_id;
  }

  // National_id items (PROTOCOL.md §13.2: up to 512 assignments under one signature) to the
  // authority of each record whose national id this batch changed, in the order of the changes.
  Status send_national_ids() {
    std::stable_sort(changed_.begin(), changed_.end(), [](const auto& a, const auto& b) {
      return a.first.authority_id < b.first.authority_id;
    });
    std::vector<protocol::NationalIdAssignment> batch;
    for (auto it = changed_.begin(); it != changed_.end(); ++it) {
      batch.push_back({it->first.record_id, it->second});
      const auto next = std::next(it);
      if (batch.size() == protocol::kMaxNationalIdsPerItem || next == changed_.end() ||
          next->first.authority_id != it->first.authority_id) {
        FeedItem item;
        item.kind = FeedKind::national_id;
        item.national_ids = std::move(batch);
        batch.clear();
        if (Status s = append_for(it->first.authority_id, std::move(item)); !s) return s;
      }
    }
    return protocol::Ok{};
  }

  // What another authority may see of a record (PROTOCOL.md §13.2).
  struct OtherView {
    protocol::ElsewhereState state = protocol::ElsewhereState::shielded;
    std::optional<protocol::ChildDetails> details;  // linked: details_for_elsewhere
  };
  Result<const OtherView*> view_of(const resolve::RecordRef& o) {
    if (auto it = views_.find(o); it != views_.end()) return &it->second;
    Result<std::int64_t> aid = m_.aid_of(o.authority_id);
    if (!aid) return aid.error();
    Result<std::optional<RecordState>> state = m_.current_state(*aid, o.record_id);
    if (!state) return state.error();
    const std::string label = "record " + o.authority_id + "/" + o.record_id;
    if (!*state || (*state)->deleted)
      return index_error(IndexErrc::corrupt, label + ": resolved but not live in the store");
    OtherView view;
    if (!(*state)->shielded) {
      Result<protocol::RecordPayload> p =
          m_.read_payload(*aid, o.record_id, (*state)->last_seq, label);
      if (!p) return p.error();
      if (const auto* clear = std::get_if<protocol::ChildDetails>(&p->details)) {
        view.state = protocol::ElsewhereState::linked;
        view.details = protocol::details_for_elsewhere(*clear);
      }
    }
    return &views_.emplace(o, std::move(view)).first->second;
  }

  // Elsewhere items: for every record of every cluster this batch touched (and every record
  // whose authority was told about a touched record), one item per other-authority record of
  // its cluster whose visible part changed since last told, and `unlinked` for the records it
  // was told about that are no longer in its cluster. A deleted record's authority is not told
  // (it deleted the record); what it was told is forgotten.
  Status send_elsewhere() {
    std::set<resolve::RecordRef> reconsider;
    std::set<std::string> clusters_seen;  // national ids whose cluster is already in
    for (const resolve::RecordRef& t : touched_) {
      reconsider.insert(t);
      if (!m_.told.empty()) {  // no query while nobody was ever told anything
        Result<std::vector<resolve::RecordRef>> told = m_.resolution->told_about(t);
        if (!told) return told.error();
        for (resolve::RecordRef& r : *told) reconsider.insert(std::move(r));
      }
      const std::optional<std::string> nid = m_.resolver->national_id(t);
      if (!nid || !clusters_seen.insert(*nid).second) continue;
      // Every record of a small cluster; of a large one (told nothing, below), only those
      // told something before: the rest have nothing to send or withdraw.
      std::vector<resolve::RecordRef> cluster = m_.resolver->cluster_of(t);
      const bool large = cluster.size() > kMaxElsewhereCluster;
      for (resolve::RecordRef& r : cluster)
        if (!large || m_.told.contains(r)) reconsider.insert(std::move(r));
    }
    for (const resolve::RecordRef& r : reconsider) {
      const std::optional<std::string> nid = m_.resolver->national_id(r);
      if (!nid) {
        if (m_.told.erase(r) == 0) continue;
        if (Status s = m_.resolution->forget_all_sent(r); !s) return s;
        continue;
      }
      std::vector<resolve::RecordRef> cluster = m_.resolver->cluster_of(r);
      // A child is known to a few authorities; a cluster this large is a data error (records
      // alike in everything), and telling each of its records about every other would be
      // quadratic: it is told nothing (and what it was told is withdrawn).
      if (cluster.size() > kMaxElsewhereCluster) cluster.clear();
      if (!m_.told.contains(r) &&
          std::none_of(cluster.begin(), cluster.end(), [&](const resolve::RecordRef& o) {
            return o.authority_id != r.authority_id;
          }))
        continue;  // nothing told, nothing to tell: no query
      Result<std::vector<ElsewhereSent>> sent = m_.resolution->sent_to(r);
      if (!sent) return sent.error();
      std::map<resolve::RecordRef, ElsewhereSent> was;
      for (ElsewhereSent& x : *sent) was.emplace(x.other, std::move(x));
      for (const resolve::RecordRef& o : cluster) {
        if (o.authority_id == r.authority_id) continue;
        Result<const OtherView*> view = view_of(o);
        if (!view) return view.error();
        protocol::ElsewhereLink link{r.record_id, *nid, o.authority_id, o.record_id,
                                     (*view)->state, (*view)->details};
        const ElsewhereSent now{o, static_cast<std::uint8_t>(link.state), digest(link)};
        if (auto it = was.find(o); it != was.end()) {
          const bool same = it->second.state == now.state && it->second.digest == now.digest;
          was.erase(it);
          if (same) continue;
        }
        if (Status s = append_elsewhere(r.authority_id, std::move(link)); !s) return s;
        if (Status s = m_.resolution->set_sent(r, now); !s) return s;
        m_.told.insert(r);
      }
      for (const auto& [o, x] : was) {
        protocol::ElsewhereLink link{r.record_id, *nid, o.authority_id, o.record_id,
                                     protocol::ElsewhereState::unlinked, std::nullopt};
        if (Status s = append_elsewhere(r.authority_id, std::move(link)); !s) return s;
        if (Status s = m_.resolution->forget_sent(r, o); !s) return s;
      }
    }
    return protocol::Ok{};
  }

  // What an elsewhere item says, as a digest: what was last told, without keeping it.
  static Hash digest(const protocol::ElsewhereLink& link) {
    Bytes bytes(link.national_id.begin(), link.national_id.end());
    bytes.push_back(static_cast<std::uint8_t>(link.state));
    if (link.details) {
      Bytes details = protocol::encode_child_details(*link.details);
      bytes.insert(bytes.end(), details.begin(), details.end());
    }
    return protocol::blake2b_256(bytes);
  }

  Status append_elsewhere(const std::string& authority, protocol::ElsewhereLink link) {
    FeedItem item;
    item.kind = FeedKind::elsewhere;
    item.elsewhere = std::move(link);
    return append_for(authority, std::move(item));
  }

  // Appends to the sender's feed (its head is held here until finish) or to another
  // authority's (its head read and written now, inside the transaction).
  Status append_for(const std::string& authority, FeedItem item) {
    if (authority == authority_id_) return append_feed(std::move(item));
    Result<std::optional<HeadRow>> head = m_.read_head(authority);
    if (!head) return head.error();
    if (!*head)
      return index_error(IndexErrc::corrupt, "feed of " + authority + ": unknown authority");
    ChainState feed = (*head)->feed;
    Result<Bytes> wire = sign_and_store((*head)->aid, authority, feed, std::move(item));
    if (!wire) return wire.error();
    if (Status s = m_.write_feed_head((*head)->aid, feed); !s) return s;
    auto it = std::find_if(out_.other_feeds.begin(), out_.other_feeds.end(),
                           [&](const FeedHead& h) { return h.authority_id == authority; });
    if (it == out_.other_feeds.end()) out_.other_feeds.push_back({authority, feed.last_seq});
    else it->feed_seq = feed.last_seq;
    return protocol::Ok{};
  }

  Result<Bytes> sign_and_store(std::int64_t aid, const std::string& authority, ChainState& feed,
                               FeedItem item) {
    return m_.store_feed_item(aid, authority, feed, std::move(item), now_ms_, signing_);
  }

  Status append_feed(FeedItem item) {
    Result<Bytes> wire = sign_and_store(head_.aid, std::string(authority_id_), feed_,
                                        std::move(item));
    if (!wire) return wire.error();
    out_.feed_items.push_back(std::move(wire).value());
    return protocol::Ok{};
  }

  Impl& m_;
  std::string_view authority_id_;
  const HeadRow& head_;
  ChainState applied_;
  ChainState feed_;
  std::int64_t live_delta_ = 0;
  std::set<resolve::RecordRef> touched_;                 // records this batch's changes touched
  // Records given another national id, in the order of the changes (changed_at_: the index).
  std::vector<std::pair<resolve::RecordRef, std::string>> changed_;
  std::map<resolve::RecordRef, std::size_t> changed_at_;
  std::vector<resolve::LinkageEvent> events_;            // for the history
  std::map<resolve::RecordRef, OtherView> views_;        // other records read for elsewhere items
  std::uint64_t now_ms_;
  const IndexSigning& signing_;
  ApplyResult& out_;
};

Result<ApplyResult> IndexStore::apply_batch(std::string_view sender,
                                            const std::vector<Bytes>& envelopes,
                                            const protocol::Trust& trust, std::uint64_t now_ms,
                                            const IndexSigning& signing) {
  Result<std::vector<ApplyResult>> r =
      apply_batches({Push{sender, &envelopes}}, trust, now_ms, signing);
  if (!r) return r.error();
  return std::move(r->front());
}

Result<std::vector<ApplyResult>> IndexStore::apply_batches(const std::vector<Push>& pushes,
                                                           const protocol::Trust& trust,
                                                           std::uint64_t now_ms,
                                                           const IndexSigning& signing) {
  Impl& m = *impl_;
  Result<std::vector<ApplyResult>> out = m.apply_group(pushes, trust, now_ms, signing);
  if (!out) {
    m.pending_synced = false;  // rolled back: pending may hold states of it; reloaded next time
    m.resolver_stale = true;   // the engine holds changes the store does not: rebuilt next time
    return out;
  }
  // Off the group's transaction (its Acks are decided): the merge, once enough states wait.
  if (m.pending_changes >= m.merge_threshold()) {
    Status merged = m.merge();
    m.merge_error = merged ? std::string() : merged.error().message();
  }
  return out;
}

// The transaction of apply_batches.
Result<std::vector<ApplyResult>> IndexStore::Impl::apply_group(const std::vector<Push>& pushes,
                                                               const protocol::Trust& trust,
                                                               std::uint64_t now_ms,
                                                               const IndexSigning& signing) {
  Result<sql::Transaction> tx = sql::Transaction::begin(
      db, pushes.size() == 1 ? "apply batch from " + std::string(pushes[0].sender)
                             : "apply " + std::to_string(pushes.size()) + " batches");
  if (!tx) return tx.error();
  if (Status s = sync_pending(); !s) return s.error();
  if (resolver && training_due(trained_for, resolver->size()))
    resolver_stale = true;  // enough new records to learn the figures again: rebuilt with them
  if (resolver_stale)
    if (Status s = rebuild_resolver(); !s) return s.error();
  mint_source = &signing.national_id_bits;
  struct Unset {
    const NationalIdSource*& p;
    ~Unset() { p = nullptr; }
  } unset{mint_source};
  std::vector<ApplyResult> out;
  out.reserve(pushes.size());
  for (const Push& p : pushes) {
    Result<ApplyResult> r = apply_one(p.sender, *p.envelopes, p.verified, trust, now_ms, signing);
    if (!r) return r.error();  // the transaction rolls back: nothing of any Push is stored
    out.push_back(std::move(r).value());
  }
  const bool saving = training_unsaved;
  if (saving)
    if (Status s = save_training(); !s) return s.error();
  if (Status s = tx->commit(); !s) return s.error();
  if (saving) training_unsaved = false;
  return out;
}

Status IndexStore::Impl::save_training() {
  return write_meta(db, kTrainingKey, encode_training(*training));
}

// One Push inside the open transaction of apply_batches.
Result<ApplyResult> IndexStore::Impl::apply_one(std::string_view sender,
                                                const std::vector<Bytes>& envelopes,
                                                const VerifiedPush* ahead,
                                                const protocol::Trust& trust,
                                                std::uint64_t now_ms,
                                                const IndexSigning& signing) {
  if (!protocol::valid_authority_id(sender))
    return index_error(IndexErrc::invalid_argument,
                       "apply batch: sender '" + std::string(sender) + "' is not an authority id");
  if (envelopes.size() > protocol::kMaxBatch)
    return index_error(IndexErrc::invalid_argument,
                       "apply batch from " + std::string(sender) + ": " +
                           std::to_string(envelopes.size()) + " envelopes, more than " +
                           std::to_string(protocol::kMaxBatch));
  Impl& m = *this;
  Result<std::optional<Impl::HeadRow>> found = m.read_head(sender);
  if (!found) return found.error();
  Impl::HeadRow head;
  if (*found) {
    head = **found;
  } else {
    sql::Use q(*m.st.insert_authority);
    q->bind(1, sender);
    q->bind(2, i64(now_ms));
    Result<bool> row = q->step();
    if (!row) return row.error();
    head.aid = q->int64(0);
  }

  ApplyResult out;
  // Verified ahead (aegisd's verify thread) if that was of these envelopes after this very head,
  // with this trust and time; else now. One signature for the whole run of candidates
  // (verify_run), every certificate and link checked; the result is that of verifying one by
  // one (docs/PROTOCOL.md §6.4, "Runs").
  std::optional<VerifiedPush> verified_now;
  if (!ahead || !ahead->verified(envelopes, trust, head.applied, now_ms)) {
    verified_now = verify_push(sender, envelopes, trust, head.applied, now_ms);
    ahead = &*verified_now;
  }
  const VerifiedPush& v = *ahead;
  const protocol::VerifiedRun& run = v.run;
  out.duplicates = v.duplicates;
  Impl::BatchWriter writer(m, sender, head, now_ms, signing, out);
  for (std::size_t k = 0; k < run.accepted.size() && !out.rejection; ++k) {
    const std::uint64_t seq = head.applied.last_seq + k + 1;
    if (seq > schema::kMaxSeq)
      out.rejection = Rejection{seq, Errc::too_large, "envelope.seq: beyond what the index stores"};
    else if (Status s = writer.apply(envelopes[v.candidates[k]], run.accepted[k]); !s)
      return s.error();  // the transaction rolls back: nothing of the batch is stored
  }
  if (run.error && !out.rejection)
    out.rejection = Rejection{head.applied.last_seq + run.accepted.size() + 1, run.error->code,
                              run.error->detail};
  if (!out.rejection) {  // every candidate was applied: the batch ended where the plan did
    if (v.foreign)  // at the sender's next seq, as every Reject (PROTOCOL.md §12.5.2, rule 4)
      out.rejection = Rejection{head.applied.last_seq + run.accepted.size() + 1, Errc::wrong_role,
                                "envelope.authority_id: not the sender's authority (" +
                                    std::string(sender) + ")"};
    out.gap = v.gap;
  }
  if (Status s = writer.finish(); !s) return s.error();
  if (out.rejection)
    if (Status s = writer.record_rejection(*out.rejection); !s) return s.error();
  out.applied = writer.applied();
  return out;
}

// ---- Operator decisions and full re-resolution (review.cpp holds the rest) ------------------

Result<ResolutionChange> IndexStore::Impl::apply_decision(const resolve::Decision& decision,
                                                          std::uint64_t now_ms,
                                                          const IndexSigning& signing) {
  const HeadRow none;  // no sender: every item goes to the feed of the record's authority
  ApplyResult out;
  BatchWriter writer(*this, "", none, now_ms, signing, out);
  if (Status s = writer.decide(decision); !s) return s.error();
  if (Status s = writer.finish_resolution(); !s) return s.error();
  return ResolutionChange{writer.events(), writer.records_moved(), std::move(out.other_feeds)};
}

Result<ResolutionChange> IndexStore::Impl::apply_resolve_all(std::uint64_t now_ms,
                                                             const IndexSigning& signing) {
  std::vector<resolve::LinkageEvent> events;
  Result<std::unique_ptr<resolve::Resolver>> fresh = build_resolver(events);
  if (!fresh) return fresh.error();
  resolver = std::move(fresh).value();
  const HeadRow none;
  ApplyResult out;
  BatchWriter writer(*this, "", none, now_ms, signing, out);
  if (Status s = writer.take_all(std::move(events)); !s) return s.error();
  if (Status s = writer.finish_resolution(); !s) return s.error();
  if (Status s = resolution->replace_review(resolver->review_queue(), now_ms); !s)
    return s.error();
  return ResolutionChange{writer.events(), writer.records_moved(), std::move(out.other_feeds)};
}

// ---- Record states: pending (state_log) and merged (records) -------------------------------

std::vector<const PendingEntry*> sorted_entries(const PendingStates& pending,
                                                std::optional<std::int64_t> aid) {
  std::vector<const PendingEntry*> out;
  out.reserve(aid ? 0 : pending.size());
  for (const PendingEntry& e : pending)
    if (!aid || e.first.first == *aid) out.push_back(&e);
  std::sort(out.begin(), out.end(), [](const PendingEntry* a, const PendingEntry* b) {
    return RecordKeyLess{}(a->first, b->first);
  });
  return out;
}

Status IndexStore::Impl::sync_pending() {
  std::int64_t version = 0;
  {
    sql::Use q(*st.data_version);
    Result<bool> row = q->step();
    if (!row) return row.error();
    version = q->int64(0);
  }
  if (pending_synced && version == data_version) return protocol::Ok{};
  pending.clear();
  pending_changes = 0;
  pending_synced = false;
  if (Status s = resolution->reload(); !s) return s;  // the national ids minted since the merge
  Result<sql::Statement> q = db.prepare(
      "SELECT id, record_id, national_id, deleted, shielded FROM state_log ORDER BY id",
      "read state log");
  if (!q) return q.error();
  for (;;) {
    Result<bool> row = q->step();
    if (!row) return row.error();
    if (!*row) break;
    const std::uint64_t id = u64(q->int64(0));
    RecordState state;
    if (!q->is_null(2)) state.national_id = q->text(2);
    state.last_seq = id & schema::kMaxSeq;
    state.deleted = q->int64(3) != 0;
    state.shielded = q->int64(4) != 0;
    pending.insert_or_assign(RecordKey{i64(id >> schema::kSeqBits), q->text(1)}, std::move(state));
    ++pending_changes;
  }
  pending_synced = true;
  data_version = version;
  return protocol::Ok{};
}

Result<std::optional<RecordState>> IndexStore::Impl::current_state(std::int64_t aid,
                                                                   std::string_view record_id) {
  if (auto it = pending.find(RecordKeyView{aid, record_id}); it != pending.end())
    return std::optional<RecordState>(it->second);
  sql::Use q(*st.select_record);
  q->bind(1, aid);
  q->bind(2, record_id);
  Result<bool> row = q->step();
  if (!row) return row.error();
  if (!*row) return std::optional<RecordState>();
  RecordState state;
  if (!q->is_null(0)) state.national_id = q->text(0);
  state.last_seq = u64(q->int64(1));
  state.deleted = q->int64(2) != 0;
  state.shielded = q->int64(3) != 0;
  return std::optional<RecordState>(std::move(state));
}

Status IndexStore::Impl::append_state(std::int64_t aid, std::string_view record_id,
                                      std::uint64_t seq, const RecordState& state) {
  {
    sql::Use q(*st.append_state);
    q->bind(1, schema::log_key(aid, seq));
    q->bind(2, record_id);
    if (state.national_id) q->bind(3, *state.national_id);
    else q->bind_null(3);
    q->bind(4, std::int64_t{state.deleted ? 1 : 0});
    q->bind(5, std::int64_t{state.shielded ? 1 : 0});
    if (Status s = q->run(); !s) return s;
  }
  if (auto it = pending.find(RecordKeyView{aid, record_id}); it != pending.end())
    it->second = state;
  else
    pending.emplace(RecordKey{aid, std::string(record_id)}, state);
  ++pending_changes;
  return protocol::Ok{};
}

// A merge dirties the leaves of `records` its states fall in: with L leaves and P states in
// random key order, about L (1 - e^(-P/L)) pages. P at a tenth of the records (about 4 L, ~40
// rows a leaf) writes ~0.25 page per change whatever the size; a fixed 100,000 wrote ~0.85
// page per change at 11 million records (docs/index-store.md §4).
std::uint64_t IndexStore::Impl::merge_threshold() const {
  if (options.merge_every != 0) return options.merge_every;
  const std::uint64_t live = resolver ? resolver->size() : 0;
  return std::max({options.merge_at_least, live / std::max<std::uint64_t>(1, options.merge_share),
                   std::uint64_t{1}});
}

Status IndexStore::Impl::merge() {
  Status merged = merge_pending();
  if (!merged) pending_synced = false;  // the national ids may have been taken: reloaded next
  return merged;
}

// The record states, and the national ids minted since the last merge, in one transaction.
Status IndexStore::Impl::merge_pending() {
  Result<sql::Transaction> tx = sql::Transaction::begin(db, "merge record states");
  if (!tx) return tx.error();
  if (Status s = sync_pending(); !s) return s;
  if (Status s = resolution->merge_ids(); !s) return s;
  // In key order: consecutive states share leaf pages, each page is written once.
  for (const PendingEntry* entry : sorted_entries(pending)) {
    const auto& [key, state] = *entry;
    sql::Use q(*st.upsert_record);
    q->bind(1, key.first);
    q->bind(2, key.second);
    if (state.national_id) q->bind(3, *state.national_id);
    else q->bind_null(3);
    q->bind(4, i64(state.last_seq));
    q->bind(5, std::int64_t{state.deleted ? 1 : 0});
    q->bind(6, std::int64_t{state.shielded ? 1 : 0});
    if (Status s = q->run(); !s) return s;
  }
  if (Status s = db.exec("DELETE FROM state_log", "empty state log"); !s) return s;
  if (Status s = tx->commit(); !s) return s;
  pending.clear();
  pending_changes = 0;
  return protocol::Ok{};
}

// ---- Resolution -----------------------------------------------------------------------------

Result<std::string> IndexStore::Impl::follow_merges(std::string national_id) {
  if (Status s = sync_pending(); !s) return s.error();  // the logged ids as of this transaction
  for (int hops = 0; hops < 64; ++hops) {
    Result<std::optional<std::string>> alias = resolution->alias_of(national_id);
    if (!alias) return alias.error();
    if (!*alias) break;
    national_id = std::move(**alias);
  }
  return national_id;
}

Status IndexStore::Impl::set_national_id(std::int64_t aid, std::string_view record_id,
                                         const std::optional<std::string>& national_id) {
  auto it = pending.find(RecordKeyView{aid, record_id});
  sql::Use q(it != pending.end() ? *st.set_pending_national_id : *st.set_record_national_id);
  if (it != pending.end()) {
    q->bind(1, schema::log_key(aid, it->second.last_seq));
  } else {
    q->bind(1, aid);
    q->bind(2, record_id);
  }
  const int column = it != pending.end() ? 2 : 3;
  if (national_id) q->bind(column, *national_id);
  else q->bind_null(column);
  if (Status s = q->run(); !s) return s;
  if (it != pending.end()) it->second.national_id = national_id;
  return protocol::Ok{};
}

Result<std::int64_t> IndexStore::Impl::aid_of(const std::string& authority_id) {
  if (auto it = aids.find(authority_id); it != aids.end()) return it->second;
  Result<std::optional<HeadRow>> head = read_head(authority_id);
  if (!head) return head.error();
  if (!*head)
    return index_error(IndexErrc::corrupt, "resolved record of unknown authority " + authority_id);
  aids.emplace(authority_id, (*head)->aid);
  return (*head)->aid;
}

namespace {

// The payload of `wire`, the stored envelope `seq` that writes `record_id` (verified on receipt:
// decoding is enough here). Touches no database.
Result<protocol::RecordPayload> decode_payload(ByteView wire, std::string_view record_id,
                                               std::uint64_t seq, const std::string& label) {
  auto wrapper = protocol::decode_signed(wire, "envelope");
  if (!wrapper) return index_error(IndexErrc::corrupt, label + ": " + wrapper.error().message());
  auto e = protocol::decode_envelope_body(wrapper->body);
  if (!e) return index_error(IndexErrc::corrupt, label + ": " + e.error().message());
  if (e->record_id != record_id || e->seq != seq || !e->payload)
    return index_error(IndexErrc::corrupt, label + ": its envelope does not write it");
  return std::move(*e->payload);
}

}  // namespace

Result<protocol::RecordPayload> IndexStore::Impl::read_payload(std::int64_t aid,
                                                               std::string_view record_id,
                                                               std::uint64_t seq,
                                                               const std::string& label) {
  sql::Use env(*st.select_envelope);
  env->bind(1, schema::log_key(aid, seq));
  Result<bool> found = env->step();
  if (!found) return found.error();
  if (!*found)
    return index_error(IndexErrc::corrupt,
                       label + ": envelope " + std::to_string(seq) + " is missing");
  return decode_payload(env->blob_view(0), record_id, seq, label);
}

std::string IndexStore::Impl::mint_national_id() {
  NationalIdBits bits{};
  if (mint_source && *mint_source) {
    bits = (*mint_source)();
  } else {  // outside an apply: only a store written before resolution, rebuilt at start
    randombytes_buf(bits.data(), bits.size());  // the OS generator, via libsodium
  }
  return protocol::encode_national_id(bits);
}

Status IndexStore::Impl::rebuild_resolver() {
  resolver_stale = true;
  resolver.reset();
  Result<std::set<resolve::RecordRef>> told_now = resolution->told_records();
  if (!told_now) return told_now.error();
  told = std::move(told_now).value();
  // A store whose ids all come from resolution gives no event here; one written before it
  // (one id per record) is unified in memory, and records take the engine's ids on their
  // next change (docs/index-store.md, "Resolution").
  std::vector<resolve::LinkageEvent> events;
  Result<std::unique_ptr<resolve::Resolver>> built = build_resolver(events);
  if (!built) return built.error();
  resolver = std::move(built).value();
  resolver_stale = false;
  return protocol::Ok{};
}

Status IndexStore::Impl::ensure_resolver() {
  if (!resolver_stale) return protocol::Ok{};
  Result<sql::Transaction> tx = sql::Transaction::begin_read(db, "rebuild resolver");
  if (!tx) return tx.error();
  if (Status s = sync_pending(); !s) return s;
  return rebuild_resolver();
}

Result<std::unique_ptr<resolve::Resolver>> IndexStore::Impl::build_resolver(
    std::vector<resolve::LinkageEvent>& events) {
  Result<std::unordered_map<std::string, std::uint64_t>> orders = resolution->minted_orders();
  if (!orders) return orders.error();
  Result<std::vector<StoredDecision>> decisions = resolution->decisions();
  if (!decisions) return decisions.error();
  std::unordered_map<std::int64_t, std::string> names;
  {
    Result<sql::Statement> q =
        db.prepare("SELECT aid, authority_id FROM authorities", "read authorities");
    if (!q) return q.error();
    for (;;) {
      Result<bool> row = q->step();
      if (!row) return row.error();
      if (!*row) break;
      names.emplace(q->int64(0), q->text(1));
    }
  }
  struct Live {
    std::int64_t aid;
    std::string record_id;
    RecordState state;
  };
  std::vector<Live> live;
  {
    Result<sql::Statement> q = db.prepare(
        "SELECT aid, record_id, national_id, last_seq FROM records WHERE deleted = 0",
        "read live records");
    if (!q) return q.error();
    for (;;) {
      Result<bool> row = q->step();
      if (!row) return row.error();
      if (!*row) break;
      Live l{q->int64(0), q->text(1), {}};
      if (pending.contains(RecordKeyView{l.aid, l.record_id})) continue;  // newer state below
      if (!q->is_null(2)) l.state.national_id = q->text(2);
      l.state.last_seq = u64(q->int64(3));
      live.push_back(std::move(l));
    }
  }
  for (const auto& [key, state] : pending)
    if (!state.deleted) live.push_back({key.first, key.second, state});
  // In their envelopes' key order (aid, seq): a walk along the `envelopes` B-tree instead of
  // one random page per record; the engine takes them in this order.
  std::sort(live.begin(), live.end(), [](const Live& a, const Live& b) {
    return std::pair(a.aid, a.state.last_seq) < std::pair(b.aid, b.state.last_seq);
  });
  const std::string no_name;
  auto name_of = [&](std::int64_t aid) -> const std::string& {  // no insertion: thread-safe
    const auto name = names.find(aid);
    return name == names.end() ? no_name : name->second;
  };

  // The engine, made before the records are decoded when the figures it scores with are
  // kept (every open but those that learn): each chunk of decoded records then goes into it
  // at once, and the store never holds every record decoded and the engine together (the
  // restart's peak memory, docs/RELIABILITY.md §6). When the figures are learned (training_due)
  // every record is needed first: they are held until then. A previous run's or rebuild's
  // figures are kept until there are enough new records to learn from: learning scores every
  // candidate pair, far more than a rebuild.
  const bool learn = !training || training_due(training->records, live.size());
  std::unique_ptr<resolve::Resolver> engine;
  auto make_engine = [&] {
    trained_for = training->records;
    engine = std::make_unique<resolve::Resolver>(training->config,
                                                 [this] { return mint_national_id(); });
    // The operator decisions (in the order made: a later one replaces an earlier), then the
    // persisted ids, before any record: a record takes its id as it is added.
    for (StoredDecision& d : *decisions)
      engine->restore_decision({d.kind, std::move(d.a), std::move(d.b), std::move(d.reason)});
    for (Live& l : live) {
      if (!l.state.national_id) continue;
      if (auto it = orders->find(*l.state.national_id); it != orders->end())
        engine->restore_national_id({name_of(l.aid), l.record_id}, *l.state.national_id,
                                    it->second);
      l.state.national_id.reset();  // not needed again
    }
    std::unordered_map<std::string, std::uint64_t>().swap(*orders);  // freed now
    engine->reserve(live.size());
  };
  if (!learn) make_engine();

  // Read on this thread (the connection's), decoded on a second one a chunk behind (decoding
  // is pure CPU, longer than the reading), and added to the engine on this thread a chunk
  // behind that (docs/RELIABILITY.md §6).
  std::vector<resolve::MatchRecord> held;  // only when learning: every record, in order
  if (learn) held.reserve(live.size());
  auto label = [&](const Live& l) { return "record " + name_of(l.aid) + "/" + l.record_id; };
  struct Chunk {
    std::size_t from = 0, to = 0;            // positions in live
    std::vector<Bytes> wires;                // the envelope of live[from + k]
    std::vector<resolve::MatchRecord> records;  // decoded from wires
    std::optional<IndexError> error;         // the first record that does not decode
  };
  auto read_chunk = [&](std::size_t from, Chunk& c) -> Status {
    c.from = std::min(live.size(), from);
    c.to = std::min(live.size(), from + kDecodeChunk);
    c.wires.clear();
    c.records.clear();
    c.error.reset();
    sql::Use env(*st.select_envelope);
    for (std::size_t k = c.from; k < c.to; ++k) {
      const Live& l = live[k];
      env->reset();
      env->bind(1, schema::log_key(l.aid, l.state.last_seq));
      Result<bool> found = env->step();
      if (!found) return found.error();
      if (!*found)
        return index_error(IndexErrc::corrupt, label(l) + ": envelope " +
                                                   std::to_string(l.state.last_seq) + " is missing");
      const ByteView wire = env->blob_view(0);
      c.wires.emplace_back(wire.begin(), wire.end());
    }
    return protocol::Ok{};
  };
  auto decode_chunk = [&](Chunk& c) {  // touches no database nor the engine: the second thread
    c.records.clear();  // from the start: a side thread that failed may have left a part
    c.error.reset();
    c.records.reserve(c.to - c.from);
    for (std::size_t k = c.from; k < c.to; ++k) {
      const Live& l = live[k];
      Result<protocol::RecordPayload> p =
          decode_payload(c.wires[k - c.from], l.record_id, l.state.last_seq, label(l));
      if (!p) {
        c.error = p.error();
        return;
      }
      c.records.push_back(match_record({name_of(l.aid), l.record_id}, *p));
    }
  };
  auto take_chunk = [&](Chunk& c) {
    if (learn)
      std::move(c.records.begin(), c.records.end(), std::back_inserter(held));
    else
      engine->add_many(std::move(c.records));
    c.records.clear();
  };
  Chunk decoded, decoding, reading;
  if (Status s = read_chunk(0, decoding); !s) return s.error();
  while (decoding.from < decoding.to || !decoded.records.empty()) {
    Status read = protocol::Ok{};
    const bool side = run_alongside([&] { decode_chunk(decoding); },
                                    [&] {
                                      read = read_chunk(decoding.to, reading);
                                      take_chunk(decoded);
                                    });
    if (!side) decode_chunk(decoding);  // no second thread: decoded here
    if (decoding.error) return *decoding.error;
    if (!read) return read.error();
    std::swap(decoded, decoding);
    std::swap(decoding, reading);
  }
  // The figures learned from these records (resolution_training.hpp).
  if (learn) {
    training = train(held);
    training_unsaved = true;
    make_engine();
    engine->add_many(std::move(held));
  }
  // Every record is in the engine: the list of them (about 100 bytes a record, 1.1 GB at
  // 11M) is freed before the clustering, the rebuild's peak (docs/RELIABILITY.md §6).
  std::vector<Live>().swap(live);
  events = engine->resolve_added();
  return engine;
}

Result<std::vector<std::vector<resolve::RecordRef>>> IndexStore::partition() {
  Impl& m = *impl_;
  if (Status s = m.ensure_resolver(); !s) return s.error();
  return m.resolver->partition();
}

Status IndexStore::merge_states() {
  Status s = impl_->merge();
  impl_->merge_error = s ? std::string() : s.error().message();
  return s;
}

// ---- Feed -----------------------------------------------------------------------------------

Result<std::vector<Bytes>> IndexStore::feed_range(std::string_view authority_id,
                                                  std::uint64_t from_seq, std::size_t max) {
  std::vector<Bytes> out;
  Result<std::optional<Impl::HeadRow>> head = impl_->read_head(authority_id);
  if (!head) return head.error();
  if (!*head || max == 0 || from_seq > schema::kMaxSeq) return out;
  Result<sql::Statement> q = impl_->db.prepare(
      "SELECT wire FROM feed WHERE id BETWEEN ?1 AND ?2 ORDER BY id LIMIT ?3", "read feed");
  if (!q) return q.error();
  q->bind(1, schema::log_key((*head)->aid, std::max<std::uint64_t>(from_seq, 1)));
  q->bind(2, schema::log_key((*head)->aid, schema::kMaxSeq));
  q->bind(3, static_cast<std::int64_t>(std::min<std::size_t>(max, INT64_MAX)));
  for (;;) {
    Result<bool> row = q->step();
    if (!row) return row.error();
    if (!*row) return out;
    out.push_back(q->blob(0));
  }
}

Status IndexStore::feed_acked(std::string_view authority_id, std::uint64_t seq) {
  Result<std::optional<Impl::HeadRow>> head = impl_->read_head(authority_id);
  if (!head) return head.error();
  if (!*head)
    return index_error(IndexErrc::not_found, "feed ack: unknown authority " +
                                                 std::string(authority_id));
  if (seq > (*head)->feed.last_seq)
    return index_error(IndexErrc::invalid_argument,
                       "feed ack from " + std::string(authority_id) + ": seq " +
                           std::to_string(seq) + " is beyond the feed head " +
                           std::to_string((*head)->feed.last_seq));
  Result<sql::Statement> q = impl_->db.prepare(
      "UPDATE authorities SET feed_acked = max(feed_acked, ?2) WHERE aid = ?1", "feed ack");
  if (!q) return q.error();
  q->bind(1, (*head)->aid);
  q->bind(2, i64(seq));
  return q->run();
}

// ---- Records and status ---------------------------------------------------------------------

Result<std::optional<CurrentRecord>> IndexStore::record(std::string_view authority_id,
                                                        std::string_view record_id) {
  Impl& m = *impl_;
  Result<sql::Transaction> tx = sql::Transaction::begin_read(m.db, "read record");
  if (!tx) return tx.error();
  Result<std::optional<Impl::HeadRow>> head = m.read_head(authority_id);
  if (!head) return head.error();
  if (!*head) return std::optional<CurrentRecord>();
  if (Status s = m.sync_pending(); !s) return s.error();
  Result<std::optional<RecordState>> state = m.current_state((*head)->aid, record_id);
  if (!state) return state.error();
  if (!*state) return std::optional<CurrentRecord>();
  CurrentRecord r;
  r.record_id = std::string(record_id);
  r.national_id = (*state)->national_id;
  r.last_seq = (*state)->last_seq;
  r.deleted = (*state)->deleted;
  r.shielded = (*state)->shielded;
  if (r.deleted) return std::optional<CurrentRecord>(std::move(r));

  const std::string label =
      "record " + std::string(authority_id) + "/" + std::string(record_id);
  Result<protocol::RecordPayload> payload =
      m.read_payload((*head)->aid, record_id, r.last_seq, label);
  if (!payload) return payload.error();
  r.identity = payload->identity;
  if (const auto* clear = std::get_if<protocol::ChildDetails>(&payload->details))
    r.details = protocol::encode_child_details(*clear);
  else
    r.details = protocol::encode_sealed_blob(std::get<protocol::SealedBlob>(payload->details));
  return std::optional<CurrentRecord>(std::move(r));
}

namespace {

constexpr std::string_view kStatusColumns =
    "SELECT a.authority_id, a.applied_seq, a.applied_hash, a.first_seen_ms, a.last_received_ms, "
    "a.live_records, a.feed_seq, a.feed_acked, "
    "(SELECT coalesce(sum(r.repeats), 0) FROM rejections r WHERE r.aid = a.aid) "
    "FROM authorities a ";

AuthorityStatus read_status(const sql::Statement& q) {
  AuthorityStatus s;
  s.authority_id = q.text(0);
  s.applied_seq = u64(q.int64(1));
  if (auto h = to_hash(q.blob_view(2))) s.applied_hash = *h;
  s.first_seen_ms = u64(q.int64(3));
  s.last_received_ms = u64(q.int64(4));
  s.live_records = u64(q.int64(5));
  s.feed_seq = u64(q.int64(6));
  s.feed_acked = u64(q.int64(7));
  s.rejections = u64(q.int64(8));
  return s;
}

}  // namespace

Result<AuthorityStatus> IndexStore::authority_status(std::string_view authority_id) {
  Result<sql::Statement> q = impl_->db.prepare(std::string(kStatusColumns) +
                                                   "WHERE a.authority_id = ?1",
                                               "read authority status");
  if (!q) return q.error();
  q->bind(1, authority_id);
  Result<bool> row = q->step();
  if (!row) return row.error();
  if (!*row)
    return index_error(IndexErrc::not_found, "unknown authority " + std::string(authority_id));
  return read_status(*q);
}

Result<std::vector<AuthorityStatus>> IndexStore::status() {
  Result<sql::Statement> q = impl_->db.prepare(
      std::string(kStatusColumns) + "ORDER BY a.authority_id", "read status");
  if (!q) return q.error();
  std::vector<AuthorityStatus> out;
  for (;;) {
    Result<bool> row = q->step();
    if (!row) return row.error();
    if (!*row) return out;
    out.push_back(read_status(*q));
  }
}

Result<Totals> IndexStore::totals() {
  Result<sql::Statement> q = impl_->db.prepare(
      "SELECT count(*), coalesce(sum(applied_seq), 0), coalesce(sum(live_records), 0), "
      "coalesce(sum(feed_seq), 0), (SELECT coalesce(sum(repeats), 0) FROM rejections) "
      "FROM authorities",
      "read totals");
  if (!q) return q.error();
  Result<bool> row = q->step();
  if (!row) return row.error();
  Totals t;
  t.authorities = u64(q->int64(0));
  t.envelopes = u64(q->int64(1));
  t.live_records = u64(q->int64(2));
  t.feed_items = u64(q->int64(3));
  t.rejections = u64(q->int64(4));
  if (impl_->checkpoint) t.checkpoint_error = impl_->checkpoint->last_error();
  t.pending_changes = impl_->pending_changes;
  t.merge_error = impl_->merge_error;
  return t;
}

Result<IndexStore::MetricCounts> IndexStore::metric_counts() {
  MetricCounts out;
  Result<sql::Statement> q = impl_->db.prepare(
      "SELECT code, sum(repeats) FROM rejections GROUP BY code", "count rejections");
  if (!q) return q.error();
  for (;;) {
    Result<bool> row = q->step();
    if (!row) return row.error();
    if (!*row) break;
    out.rejections_by_code[std::string(q->text(0))] = u64(q->int64(1));
  }
  Result<sql::Statement> n = impl_->db.prepare(
      "SELECT count(*) FROM current_national_ids WHERE alias_of IS NULL AND retired = 0",
      "count national ids");
  if (!n) return n.error();
  Result<bool> row = n->step();
  if (!row) return row.error();
  out.national_ids = u64(n->int64(0));
  return out;
}

Result<std::vector<RejectionEntry>> IndexStore::rejections(std::string_view authority_id,
                                                           std::size_t max) {
  Result<sql::Statement> q = impl_->db.prepare(
      "SELECT a.authority_id, r.seq, r.code, r.detail, r.first_ms, r.last_ms, r.repeats "
      "FROM rejections r JOIN authorities a ON a.aid = r.aid "
      "WHERE ?1 = '' OR a.authority_id = ?1 ORDER BY r.id DESC LIMIT ?2",
      "read rejections");
  if (!q) return q.error();
  q->bind(1, authority_id);
  q->bind(2, static_cast<std::int64_t>(std::min<std::size_t>(max, INT64_MAX)));
  std::vector<RejectionEntry> out;
  for (;;) {
    Result<bool> row = q->step();
    if (!row) return row.error();
    if (!*row) return out;
    RejectionEntry e;
    e.authority_id = q->text(0);
    e.seq = u64(q->int64(1));
    e.code = q->text(2);
    e.detail = q->text(3);
    e.first_ms = u64(q->int64(4));
    e.last_ms = u64(q->int64(5));
    e.repeats = u64(q->int64(6));
    out.push_back(std::move(e));
  }
}

}  // namespace aegis::index
