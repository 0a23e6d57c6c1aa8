// The thin RAII layer over the SQLite C API shared by the authority store (daemon/store) and the
// index store (daemon/index): one connection (Db), prepared statements (Statement, kept ones
// reset around each use by Use), transaction guards that roll back unless committed, and WAL
// checkpoints run on a second connection in a background thread so they never stall the writer
// (docs/index-store.md, "Checkpoints"). Nothing here throws; every failure is a
// DbError{code, "<what>: <SQLite message>"}, which each store maps to its own error type.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

#include "aegis/protocol/bytes.hpp"
#include "sqlite/error.hpp"

struct sqlite3;
struct sqlite3_stmt;

namespace aegis::sqlite {

class Statement;

struct DbOptions {
  int busy_timeout_ms = 5000;
  int cache_mib = 0;  // page cache of this connection (PRAGMA cache_size); 0 keeps SQLite's
  // Statements are prepared to be kept and reused (SQLITE_PREPARE_PERSISTENT).
  bool persistent_statements = false;
};

class Db {
 public:
  // Opens an existing file (an empty one is a new database) with WAL (checked),
  // synchronous=FULL, foreign_keys=ON, busy_timeout and the page cache size (docs/store.md,
  // docs/index-store.md).
  static Result<Db> open(const std::filesystem::path& path, const DbOptions& options);

  Status exec(std::string_view sql, std::string_view what);
  Result<Statement> prepare(std::string_view sql, std::string_view what);
  // A failure of the last call on this connection, as a DbError.
  DbError error(std::string_view what) const;
  sqlite3* handle() const { return db_.get(); }

 private:
  struct Close {
    void operator()(sqlite3* db) const noexcept;
  };
  Db(sqlite3* db, bool persistent) : db_(db), persistent_(persistent) {}
  std::unique_ptr<sqlite3, Close> db_;
  bool persistent_;
};

class Statement {
 public:
  // Bindings are copied (SQLITE_TRANSIENT): the caller's buffers may go away before step().
  void bind(int index, std::int64_t value);
  void bind(int index, std::string_view text);
  void bind(int index, protocol::ByteView blob);
  void bind_null(int index);

  // Runs one step: true when a row is available, false when done.
  Result<bool> step();
  // Runs to completion (for statements that return no rows).
  Status run();
  // Makes the statement ready to run again (releases any read it holds) and clears bindings.
  void reset();

  bool is_null(int column) const;
  std::int64_t int64(int column) const;
  std::string text(int column) const;
  protocol::Bytes blob(int column) const;
  protocol::ByteView blob_view(int column) const;  // valid until the next step/reset

 private:
  friend class Db;
  void note_bind(int rc);
  struct Finalize {
    void operator()(sqlite3_stmt* s) const noexcept;
  };
  Statement(sqlite3* db, sqlite3_stmt* stmt, std::string what)
      : db_(db), stmt_(stmt), what_(std::move(what)) {}
  sqlite3* db_;
  std::unique_ptr<sqlite3_stmt, Finalize> stmt_;
  std::string what_;
  int bind_rc_ = 0;  // first failed bind (SQLITE_OK = 0 when none); reported by step()
};

// One use of a kept statement: resets it on entry and on exit.
class Use {
 public:
  explicit Use(Statement& s) : s_(s) { s_.reset(); }
  ~Use() { s_.reset(); }
  Use(const Use&) = delete;
  Use& operator=(const Use&) = delete;
  Statement* operator->() { return &s_; }

 private:
  Statement& s_;
};

// BEGIN IMMEDIATE on begin() (a write: takes the write lock now) or BEGIN on begin_read() (one
// consistent snapshot, writers go on); ROLLBACK on destruction unless commit() ran.
class Transaction {
 public:
  static Result<Transaction> begin(Db& db, std::string_view what);
  static Result<Transaction> begin_read(Db& db, std::string_view what);
  Transaction(Transaction&& other) noexcept : db_(other.db_), what_(std::move(other.what_)) {
    other.db_ = nullptr;
  }
  Transaction& operator=(Transaction&&) = delete;
  ~Transaction();
  Status commit();

 private:
  Transaction(Db& db, std::string what) : db_(&db), what_(std::move(what)) {}
  Db* db_;
  std::string what_;
};

// Checkpoints the WAL of `writer`'s database from a second connection on its own thread. It
// replaces SQLite's automatic checkpoint (which runs inside the writer's COMMIT): a WAL hook on
// the writer wakes the thread once the log holds `wal_frames` frames, and a PASSIVE checkpoint
// copies committed pages into the database file while the writer goes on appending.
class BackgroundCheckpoint {
 public:
  static Result<std::unique_ptr<BackgroundCheckpoint>> start(Db& writer,
                                                             const std::filesystem::path& path,
                                                             int wal_frames);
  ~BackgroundCheckpoint();  // stops the thread, unhooks the writer
  BackgroundCheckpoint(const BackgroundCheckpoint&) = delete;
  BackgroundCheckpoint& operator=(const BackgroundCheckpoint&) = delete;

  // The message of the last failed checkpoint (empty when none failed). A failed checkpoint is
  // retried the next time the WAL crosses the threshold; meanwhile the WAL grows.
  std::string last_error() const;

 private:
  BackgroundCheckpoint(Db& writer, Db own, int wal_frames);
  static int on_commit(void* self, sqlite3* db, const char* name, int frames);
  void run();

  sqlite3* writer_;
  Db own_;
  int wal_frames_;
  mutable std::mutex mu_;
  std::condition_variable wake_;
  bool requested_ = false;
  bool stopping_ = false;
  std::string last_error_;
  std::thread thread_;
};

}  // namespace aegis::sqlite
