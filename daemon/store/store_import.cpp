// Imports (see store.hpp, Store::Import, and docs/store.md §11): many changes in one write
// transaction, through the same write path as a single change, plus the `imports` table.
#include <algorithm>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <string>
#include <thread>
#include <utility>

#include "store/change.hpp"
#include "store/columns.hpp"
#include "store/store.hpp"

namespace aegis::store {

using protocol::Bytes;
using protocol::ByteView;

namespace {

// The page cache of the connection while an import runs, KiB. Bounded, so a big transaction
// spills its dirty pages to the WAL instead of growing memory; large enough to hold the record
// id index of a few hundred thousand children, whose keys arrive in no particular order.
constexpr int kImportCacheKib = 16 * 1024;

// Changes stamped and not yet written back at most (bounds the memory they hold).
constexpr std::size_t kSigningQueue = 256;

Result<int> cache_size(sql::Db& db) {
  Result<sql::Statement> q = db.prepare("PRAGMA cache_size", "read cache_size");
  if (!q) return q.error();
  Result<bool> row = q->step();
  if (!row) return row.error();
  return static_cast<int>(q->int64(0));
}

Status set_cache_size(sql::Db& db, int value) {
  return db.exec("PRAGMA cache_size = " + std::to_string(value), "set cache_size");
}

// Reads the imports columns in the order of kImportColumns.
constexpr std::string_view kImportColumns =
    "id, file_name, sha256, format, source, records, changed, quarantined, left_roll, "
    "first_seq, last_seq, imported_ms";

ImportRow read_import(const sql::Statement& q) {
  ImportRow r;
  r.id = u64(q.int64(0));
  r.file_name = q.text(1);
  const ByteView sha = q.blob_view(2);
  if (sha.size() == r.sha256.size()) std::copy(sha.begin(), sha.end(), r.sha256.begin());
  r.format = q.text(3);
  r.source = q.text(4);
  r.records = u64(q.int64(5));
  r.changed = u64(q.int64(6));
  r.quarantined = u64(q.int64(7));
  r.left_roll = u64(q.int64(8));
  r.first_seq = q.is_null(9) ? 0 : u64(q.int64(9));
  r.last_seq = q.is_null(10) ? 0 : u64(q.int64(10));
  r.imported_ms = u64(q.int64(11));
  return r;
}

bool has_open_setting(const protocol::ChildRecord& r, std::string_view organisation_id) {
  return std::any_of(r.details.involvements.begin(), r.details.involvements.end(),
                     [&](const protocol::Involvement& i) {
                       return i.kind == protocol::InvolvementKind::educational_setting &&
                              !i.end && i.organisation_id == organisation_id;
                     });
}

}  // namespace

// Signs the changes of an import in seq order on its own thread: each envelope's prev_hash is
// the hash of the one signed before it. The importing thread stamps and queues changes, and
// takes the signed ones back in the same order to write their rows.
class Store::Import::SigningThread {
 public:
  struct Signed {
    PreparedChange change;
    Bytes wire;
    protocol::Hash hash{};
  };

  SigningThread(const protocol::Signer& signer, const protocol::Hash& prev_hash)
      : signer_(signer), prev_hash_(prev_hash), thread_([this] { run(); }) {}
  ~SigningThread() {
    {
      std::lock_guard lock(mu_);
      stopping_ = true;
    }
    work_.notify_one();
    thread_.join();
  }
  SigningThread(const SigningThread&) = delete;
  SigningThread& operator=(const SigningThread&) = delete;

  // Changes queued and not yet taken back.
  std::size_t in_flight() const {
    std::lock_guard lock(mu_);
    return in_flight_;
  }
  // The next change continues after `hash` (one signed in line while nothing was in flight).
  void continue_after(const protocol::Hash& hash) {
    std::lock_guard lock(mu_);
    restart_ = hash;
  }
  void push(PreparedChange change) {
    {
      std::lock_guard lock(mu_);
      queued_.push_back(std::move(change));
      ++in_flight_;
    }
    work_.notify_one();
  }
  // The next signed change; with `wait`, blocks until there is one (nullopt: nothing in flight).
  std::optional<Signed> pop(bool wait) {
    std::unique_lock lock(mu_);
    if (wait) done_cv_.wait(lock, [&] { return !done_.empty() || in_flight_ == 0; });
    if (done_.empty()) return std::nullopt;
    Signed s = std::move(done_.front());
    done_.pop_front();
    --in_flight_;
    return s;
  }

 private:
  void run() {
    for (;;) {
      std::unique_lock lock(mu_);
      work_.wait(lock, [&] { return stopping_ || !queued_.empty(); });
      if (stopping_) return;
      Signed s{std::move(queued_.front()), {}, {}};
      queued_.pop_front();
      if (restart_) prev_hash_ = *std::exchange(restart_, std::nullopt);
      lock.unlock();
      s.change.envelope.prev_hash = prev_hash_;
      s.wire = protocol::sign_envelope(s.change.envelope, signer_);
      s.hash = protocol::envelope_hash(s.wire);
      prev_hash_ = s.hash;
      lock.lock();
      done_.push_back(std::move(s));
      lock.unlock();
      done_cv_.notify_one();
    }
  }

  const protocol::Signer& signer_;
  protocol::Hash prev_hash_;  // only the signing thread touches it
  mutable std::mutex mu_;
  std::condition_variable work_, done_cv_;
  std::deque<PreparedChange> queued_;
  std::deque<Signed> done_;
  std::size_t in_flight_ = 0;
  std::optional<protocol::Hash> restart_;
  bool stopping_ = false;
  std::thread thread_;  // last: starts once the rest is ready
};

Result<Store::Import> Store::begin_import(const Signing& signing) {
  Result<int> previous_cache = cache_size(db_);
  if (!previous_cache) return previous_cache.error();
  if (Status s = set_cache_size(db_, -kImportCacheKib); !s) return s.error();
  auto restore = [&](StoreError e) {
    (void)set_cache_size(db_, *previous_cache);
    return e;
  };
  Result<sql::Transaction> tx = sql::Transaction::begin(db_, "import");
  if (!tx) return restore(StoreError(tx.error()));
  Result<Head> head = read_head(db_);
  if (!head) return restore(head.error());  // tx rolls back as it goes
  return Import(*this, signing, std::move(tx).value(), *head, *previous_cache);
}

Store::Import::Import(Store& store, const Signing& signing, sql::Transaction tx, Head head,
                      int cache_kib)
    : store_(&store),
      signing_(&signing),
      tx_(std::move(tx)),
      head_(head),
      restore_cache_kib_(cache_kib),
      signer_(std::make_unique<SigningThread>(signing.signer, head.hash)) {}

Store::Import::Import(Import&& other) noexcept
    : store_(std::exchange(other.store_, nullptr)),
      signing_(other.signing_),
      tx_(std::move(other.tx_)),
      head_(other.head_),
      restore_cache_kib_(other.restore_cache_kib_),
      changed_(other.changed_),
      first_seq_(other.first_seq_),
      broken_(std::move(other.broken_)),
      signer_(std::move(other.signer_)),
      in_flight_(std::move(other.in_flight_)) {}

Store::Import::~Import() {
  signer_.reset();  // stops the signing thread; what it held is dropped
  if (store_) (void)set_cache_size(store_->db_, restore_cache_kib_);
  // tx_ (destroyed next) rolls back unless finish() committed.
}

Result<Change> Store::Import::count(Result<Change> change) {
  if (!change) {
    // A failed read or write may have left part of a change in the transaction.
    const StoreErrc code = change.error().code;
    if (code == StoreErrc::sqlite || code == StoreErrc::corrupt) broken_ = change.error();
    return change;
  }
  if (change->changed && changed_++ == 0) first_seq_ = change->seq;
  return change;
}

Status Store::Import::drain(std::size_t keep) {
  while (std::optional<SigningThread::Signed> s = signer_->pop(signer_->in_flight() > keep)) {
    if (Status written = store_->insert_change(s->change, s->wire, s->hash); !written) {
      broken_ = written.error();
      return written;
    }
    head_.hash = s->hash;
    in_flight_.erase(s->change.envelope.record_id);
  }
  return protocol::Ok{};
}

Result<Change> Store::Import::upsert(const protocol::ChildRecord& record) {
  if (broken_) return *broken_;
  // The record's row must be written before it is read again.
  if (in_flight_.count(record.record_id))
    if (Status s = drain(0); !s) return s.error();
  Result<std::variant<Change, PreparedChange>> decided =
      store_->prepare_upsert(record, *signing_, Expect::any);
  if (!decided) return count(decided.error());
  if (const Change* unchanged = std::get_if<Change>(&*decided)) return *unchanged;
  PreparedChange& change = std::get<PreparedChange>(*decided);

  // A shielded record (its sealed size is not known before sealing) or one whose envelope might
  // exceed the limit is signed here, in line, so that a refusal leaves no gap in the chain.
  if (change.shielded || change.body.size() + kEnvelopeOverhead > protocol::kMaxEnvelopeSize)
    return append_in_line(change);
  stamp(change.envelope, head_, signing_->now_ms());
  const std::uint64_t seq = change.envelope.seq;
  in_flight_.insert(change.envelope.record_id);
  if (Status s = drain(kSigningQueue - 1); !s) return s.error();  // room for one more
  signer_->push(std::move(change));
  return count(Change{true, seq, protocol::Hash{}});
}

Result<Change> Store::Import::remove(std::string_view record_id) {
  if (broken_) return *broken_;
  if (Status s = drain(0); !s) return s.error();
  Result<PreparedChange> decided = store_->prepare_remove(record_id, *signing_);
  if (!decided) return count(decided.error());
  return append_in_line(*decided);
}

Result<Change> Store::Import::append_in_line(PreparedChange& change) {
  if (Status s = drain(0); !s) return s.error();
  Result<Change> appended = count(store_->append(head_, change, *signing_));
  if (appended) signer_->continue_after(head_.hash);
  return appended;
}

Result<std::optional<protocol::ChildRecord>> Store::Import::get(std::string_view record_id) {
  if (broken_) return *broken_;
  if (Status s = drain(0); !s) return s.error();
  Result<StoredRecord> r = store_->get(record_id);
  if (r) return std::optional<protocol::ChildRecord>(std::move(r->record));
  if (r.error().code == StoreErrc::not_found) return std::optional<protocol::ChildRecord>();
  return r.error();
}

Result<std::vector<std::string>> Store::Import::open_setting_records(
    std::string_view id_prefix, std::string_view organisation_id) {
  if (broken_) return *broken_;
  if (Status s = drain(0); !s) return s.error();
  std::vector<std::string> out;
  if (organisation_id.empty()) return out;
  // The ids in [prefix, prefix with its last byte raised): every id starting with the prefix.
  std::string upper(id_prefix);
  if (!upper.empty()) ++upper.back();
  // instr() on the canonical bytes is a cheap filter (the organisation id appears verbatim in
  // them); decoding confirms that it is an open educational setting.
  Result<sql::Statement> q = store_->db_.prepare(
      "SELECT record_id, body FROM records WHERE deleted = 0 AND record_id >= ?1 AND "
      "(?2 = '' OR record_id < ?2) AND instr(body, ?3) > 0 ORDER BY record_id",
      "find open educational settings");
  if (!q) return q.error();
  q->bind(1, id_prefix);
  q->bind(2, std::string_view(upper));
  q->bind(3, protocol::ByteView(reinterpret_cast<const std::uint8_t*>(organisation_id.data()),
                                organisation_id.size()));
  for (;;) {
    Result<bool> row = q->step();
    if (!row) return row.error();
    if (!*row) return out;
    std::string id = q->text(0);
    protocol::Result<protocol::ChildRecord> record = protocol::decode_child_record(q->blob_view(1));
    if (!record)
      return store_error(StoreErrc::corrupt, "record " + id + ": " + record.error().message());
    if (has_open_setting(*record, organisation_id)) out.push_back(std::move(id));
  }
}

Result<ImportRow> Store::Import::finish(ImportRow row) {
  if (broken_) return *broken_;
  if (Status s = drain(0); !s) return s.error();
  row.changed = changed_;
  row.first_seq = changed_ ? first_seq_ : 0;
  row.last_seq = changed_ ? head_.seq : 0;
  row.imported_ms = signing_->now_ms();
  Result<sql::Statement> q = store_->db_.prepare(
      "INSERT INTO imports (file_name, sha256, format, source, records, changed, quarantined, "
      "left_roll, first_seq, last_seq, imported_ms) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11) RETURNING id",
      "write the imports row");
  if (!q) return q.error();
  q->bind(1, row.file_name);
  q->bind(2, ByteView(row.sha256));
  q->bind(3, row.format);
  q->bind(4, row.source);
  q->bind(5, i64(row.records));
  q->bind(6, i64(row.changed));
  q->bind(7, i64(row.quarantined));
  q->bind(8, i64(row.left_roll));
  if (changed_) {
    q->bind(9, i64(row.first_seq));
    q->bind(10, i64(row.last_seq));
  } else {
    q->bind_null(9);
    q->bind_null(10);
  }
  q->bind(11, i64(row.imported_ms));
  Result<bool> inserted = q->step();
  if (!inserted) return inserted.error();
  row.id = u64(q->int64(0));
  q->reset();  // done with the statement before COMMIT
  if (Status s = tx_.commit(); !s) return s.error();
  return row;
}

Result<std::optional<ImportRow>> Store::last_import_of(const protocol::ByteArray<32>& sha256) {
  Result<sql::Statement> q =
      db_.prepare("SELECT " + std::string(kImportColumns) +
                      " FROM imports WHERE sha256 = ?1 ORDER BY id DESC LIMIT 1",
                  "read imports");
  if (!q) return q.error();
  q->bind(1, ByteView(sha256));
  Result<bool> row = q->step();
  if (!row) return row.error();
  if (!*row) return std::optional<ImportRow>();
  return std::optional<ImportRow>(read_import(*q));
}

Result<std::vector<ImportRow>> Store::list_imports() {
  Result<sql::Statement> q =
      db_.prepare("SELECT " + std::string(kImportColumns) + " FROM imports ORDER BY id",
                  "list imports");
  if (!q) return q.error();
  std::vector<ImportRow> out;
  for (;;) {
    Result<bool> row = q->step();
    if (!row) return row.error();
    if (!*row) return out;
    out.push_back(read_import(*q));
  }
}

}  // namespace aegis::store
