// RAII layer over the SQLite C API (see sqlite.hpp).
#include "store/sqlite.hpp"

#include <sqlite3.h>

namespace aegis::store::sql {

void Db::Close::operator()(sqlite3* db) const noexcept { sqlite3_close_v2(db); }
void Statement::Finalize::operator()(sqlite3_stmt* s) const noexcept { sqlite3_finalize(s); }

Result<Db> Db::open(const std::filesystem::path& path, int busy_timeout_ms) {
  const int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX;
  sqlite3* raw = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
  Db db(raw);  // owns the handle even when opening failed
  if (rc != SQLITE_OK) {
    return store_error(StoreErrc::sqlite, "open " + path.string() + ": " +
                                              (raw ? sqlite3_errmsg(raw) : sqlite3_errstr(rc)));
  }
  sqlite3_extended_result_codes(raw, 1);
  if (sqlite3_busy_timeout(raw, busy_timeout_ms) != SQLITE_OK) return db.error("set busy_timeout");

  // WAL must really be in force: some file systems refuse it and SQLite then silently keeps
  // the rollback journal.
  Result<Statement> wal = db.prepare("PRAGMA journal_mode=WAL", "set journal_mode");
  if (!wal) return wal.error();
  Result<bool> row = wal->step();
  if (!row) return row.error();
  if (!*row || wal->text(0) != "wal")
    return store_error(StoreErrc::sqlite,
                       "set journal_mode: WAL not available for " + path.string());
  if (Status s = db.exec("PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;", "set pragmas"); !s)
    return s.error();
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
  if (sqlite3_prepare_v2(db_.get(), sql.data(), static_cast<int>(sql.size()), &stmt, nullptr) !=
      SQLITE_OK) {
    sqlite3_finalize(stmt);
    return error(what);
  }
  return Statement(db_.get(), stmt, std::string(what));
}

StoreError Db::error(std::string_view what) const {
  return store_error(StoreErrc::sqlite, std::string(what) + ": " + sqlite3_errmsg(db_.get()));
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
  // A zero-length blob must still be a BLOB, not NULL: sqlite3_bind_blob with a null pointer
  // binds NULL, so pass a valid pointer.
  static const std::uint8_t empty = 0;
  note_bind(sqlite3_bind_blob(stmt_.get(), index, blob.empty() ? &empty : blob.data(),
                              static_cast<int>(blob.size()), SQLITE_TRANSIENT));
}

void Statement::reset() {
  sqlite3_reset(stmt_.get());
  sqlite3_clear_bindings(stmt_.get());
  bind_rc_ = SQLITE_OK;
}

void Statement::bind_null(int index) { note_bind(sqlite3_bind_null(stmt_.get(), index)); }

Result<bool> Statement::step() {
  if (bind_rc_ != SQLITE_OK)
    return store_error(StoreErrc::sqlite, what_ + ": bind: " + sqlite3_errstr(bind_rc_));
  int rc = sqlite3_step(stmt_.get());
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  // sqlite3_errmsg is the message of the failed step (prepare_v2 statements report it directly).
  return store_error(StoreErrc::sqlite, what_ + ": " + sqlite3_errmsg(db_));
}

Status Statement::run() {
  for (;;) {
    Result<bool> row = step();
    if (!row) return row.error();
    if (!*row) return protocol::Ok{};
  }
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

protocol::Bytes Statement::blob(int column) const {
  const auto* p = static_cast<const std::uint8_t*>(sqlite3_column_blob(stmt_.get(), column));
  int n = sqlite3_column_bytes(stmt_.get(), column);
  return p ? protocol::Bytes(p, p + n) : protocol::Bytes();
}

Result<Transaction> Transaction::begin(Db& db, std::string_view what) {
  if (Status s = db.exec("BEGIN IMMEDIATE", std::string(what) + ": begin"); !s) return s.error();
  return Transaction(db, std::string(what));
}

Transaction::~Transaction() {
  if (db_) (void)db_->exec("ROLLBACK", what_ + ": rollback");
}

Status Transaction::commit() {
  Db* db = db_;
  if (Status s = db->exec("COMMIT", what_ + ": commit"); !s) return s;  // destructor rolls back
  db_ = nullptr;
  return protocol::Ok{};
}

}  // namespace aegis::store::sql
