// The shared SQLite layer (see sqlite.hpp).
#include "sqlite/sqlite.hpp"

#include <sqlite3.h>

namespace aegis::sqlite {

void Db::Close::operator()(sqlite3* db) const noexcept { sqlite3_close_v2(db); }
void Statement::Finalize::operator()(sqlite3_stmt* s) const noexcept { sqlite3_finalize(s); }

namespace {

DbError sqlite_error(int code, std::string detail) { return DbError{code, std::move(detail)}; }

}  // namespace

Result<Db> Db::open(const std::filesystem::path& path, const DbOptions& options) {
  const int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX;
  sqlite3* raw = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
  Db db(raw, options.persistent_statements);  // owns the handle even when opening failed
  if (rc != SQLITE_OK)
    return sqlite_error(rc, "open " + path.string() + ": " +
                        (raw ? sqlite3_errmsg(raw) : sqlite3_errstr(rc)));
  sqlite3_extended_result_codes(raw, 1);
  if (sqlite3_busy_timeout(raw, options.busy_timeout_ms) != SQLITE_OK)
    return db.error("set busy_timeout");

  // WAL must really be in force: some file systems refuse it and SQLite then silently keeps
  // the rollback journal.
  Result<Statement> wal = db.prepare("PRAGMA journal_mode=WAL", "set journal_mode");
  if (!wal) return wal.error();
  Result<bool> row = wal->step();
  if (!row) return row.error();
  if (!*row || wal->text(0) != "wal")
    return sqlite_error(SQLITE_ERROR,
                        "set journal_mode: WAL not available for " + path.string());
  wal->reset();
  std::string pragmas = "PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;";
  if (options.cache_mib > 0)
    pragmas += " PRAGMA cache_size=-" + std::to_string(options.cache_mib * 1024) + ";";
  if (Status s = db.exec(pragmas, "set pragmas"); !s) return s.error();
  return db;
}

Status Db::exec(std::string_view sql, std::string_view what) {
  std::string text(sql);
  if (sqlite3_exec(db_.get(), text.c_str(), nullptr, nullptr, nullptr) != SQLITE_OK)
    return error(what);
  return protocol::Ok{};
}

Result<Statement> Db::prepare(std::string_view sql, std::string_view what) {
  sqlite3_stmt* stmt = nullptr;
  const unsigned flags = persistent_ ? SQLITE_PREPARE_PERSISTENT : 0u;
  if (sqlite3_prepare_v3(db_.get(), sql.data(), static_cast<int>(sql.size()), flags, &stmt,
                         nullptr) != SQLITE_OK) {
    sqlite3_finalize(stmt);
    return error(what);
  }
  return Statement(db_.get(), stmt, std::string(what));
}

DbError Db::error(std::string_view what) const {
  return sqlite_error(sqlite3_extended_errcode(db_.get()),
                      std::string(what) + ": " + sqlite3_errmsg(db_.get()));
}

void Statement::note_bind(int rc) {
  if (bind_rc_ == SQLITE_OK) bind_rc_ = rc;
}

void Statement::bind(int index, std::int64_t value) {
  note_bind(sqlite3_bind_int64(stmt_.get(), index, value));
}

void Statement::bind(int index, std::string_view text) {
  note_bind(sqlite3_bind_text(stmt_.get(), index, text.data(), static_cast<int>(text.size()),
                              SQLITE_TRANSIENT));
}

void Statement::bind(int index, protocol::ByteView blob) {
  // A zero-length blob must still be a BLOB, not NULL: pass a valid pointer.
  static const std::uint8_t empty = 0;
  note_bind(sqlite3_bind_blob(stmt_.get(), index, blob.empty() ? &empty : blob.data(),
                              static_cast<int>(blob.size()), SQLITE_TRANSIENT));
}

void Statement::bind_null(int index) { note_bind(sqlite3_bind_null(stmt_.get(), index)); }

Result<bool> Statement::step() {
  if (bind_rc_ != SQLITE_OK)
    return sqlite_error(bind_rc_, what_ + ": bind: " + sqlite3_errstr(bind_rc_));
  int rc = sqlite3_step(stmt_.get());
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  // sqlite3_errmsg is the message of the failed step (prepare_v2/v3 statements report it directly).
  return sqlite_error(rc, what_ + ": " + sqlite3_errmsg(db_));
}

Status Statement::run() {
  for (;;) {
    Result<bool> row = step();
    if (!row) return row.error();
    if (!*row) return protocol::Ok{};
  }
}

void Statement::reset() {
  sqlite3_reset(stmt_.get());
  sqlite3_clear_bindings(stmt_.get());
  bind_rc_ = SQLITE_OK;
}

bool Statement::is_null(int column) const {
  return sqlite3_column_type(stmt_.get(), column) == SQLITE_NULL;
}

std::int64_t Statement::int64(int column) const {
  return sqlite3_column_int64(stmt_.get(), column);
}

std::string Statement::text(int column) const {
  const unsigned char* p = sqlite3_column_text(stmt_.get(), column);
  int n = sqlite3_column_bytes(stmt_.get(), column);
  return p ? std::string(reinterpret_cast<const char*>(p), static_cast<std::size_t>(n))
           : std::string();
}

protocol::ByteView Statement::blob_view(int column) const {
  const auto* p = static_cast<const std::uint8_t*>(sqlite3_column_blob(stmt_.get(), column));
  int n = sqlite3_column_bytes(stmt_.get(), column);
  return p ? protocol::ByteView(p, static_cast<std::size_t>(n)) : protocol::ByteView();
}

protocol::Bytes Statement::blob(int column) const {
  protocol::ByteView v = blob_view(column);
  return protocol::Bytes(v.begin(), v.end());
}

Result<Transaction> Transaction::begin(Db& db, std::string_view what) {
  if (Status s = db.exec("BEGIN IMMEDIATE", std::string(what) + ": begin"); !s) return s.error();
  return Transaction(db, std::string(what));
}

Result<Transaction> Transaction::begin_read(Db& db, std::string_view what) {
  if (Status s = db.exec("BEGIN", std::string(what) + ": begin"); !s) return s.error();
  return Transaction(db, std::string(what));
}

Transaction::~Transaction() {
  if (db_) (void)db_->exec("ROLLBACK", what_ + ": rollback");
}

Status Transaction::commit() {
  if (Status s = db_->exec("COMMIT", what_ + ": commit"); !s) return s;  // destructor rolls back
  db_ = nullptr;
  return protocol::Ok{};
}

// ---- Background checkpoints -----------------------------------------------------------------

Result<std::unique_ptr<BackgroundCheckpoint>> BackgroundCheckpoint::start(
    Db& writer, const std::filesystem::path& path, int wal_frames) {
  // A small cache: the checkpointer copies pages from the WAL, it does not read through it.
  Result<Db> own = Db::open(path, DbOptions{5000, 2, true});
  if (!own) return own.error();
  return std::unique_ptr<BackgroundCheckpoint>(
      new BackgroundCheckpoint(writer, std::move(own).value(), wal_frames));
}

BackgroundCheckpoint::BackgroundCheckpoint(Db& writer, Db own, int wal_frames)
    : writer_(writer.handle()), own_(std::move(own)), wal_frames_(wal_frames) {
  thread_ = std::thread([this] { run(); });
  // Replaces the automatic checkpoint of the writer (sqlite3_wal_autocheckpoint is a WAL hook).
  sqlite3_wal_hook(writer_, &BackgroundCheckpoint::on_commit, this);
}

BackgroundCheckpoint::~BackgroundCheckpoint() {
  sqlite3_wal_hook(writer_, nullptr, nullptr);
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_one();
  thread_.join();
}

int BackgroundCheckpoint::on_commit(void* self, sqlite3*, const char*, int frames) {
  auto* me = static_cast<BackgroundCheckpoint*>(self);
  if (frames >= me->wal_frames_) {
    {
      std::lock_guard lock(me->mu_);
      me->requested_ = true;
    }
    me->wake_.notify_one();
  }
  return SQLITE_OK;
}

void BackgroundCheckpoint::run() {
  std::unique_lock lock(mu_);
  for (;;) {
    wake_.wait(lock, [this] { return requested_ || stopping_; });
    if (stopping_) return;
    requested_ = false;
    lock.unlock();
    int rc = sqlite3_wal_checkpoint_v2(own_.handle(), nullptr, SQLITE_CHECKPOINT_PASSIVE, nullptr,
                                       nullptr);
    std::string failure = rc == SQLITE_OK ? std::string()
                                          : std::string("checkpoint: ") +
                                                sqlite3_errmsg(own_.handle());
    lock.lock();
    if (rc != SQLITE_OK) last_error_ = std::move(failure);
  }
}

std::string BackgroundCheckpoint::last_error() const {
  std::lock_guard lock(mu_);
  return last_error_;
}

}  // namespace aegis::sqlite
