// A thin RAII layer over the SQLite C API for the store: one connection (Db), prepared statements
// (Statement) and a transaction guard that rolls back unless committed. Nothing here throws;
// every failure is a StoreError{sqlite, "<what>: <SQLite message>"}.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "aegis/protocol/bytes.hpp"
#include "store/errors.hpp"

struct sqlite3;
struct sqlite3_stmt;

namespace aegis::store::sql {

class Statement;

class Db {
 public:
  // Opens an existing file (an empty one is a new database) with the pragmas of docs/store.md:
  // WAL, synchronous=FULL, foreign_keys=ON, busy_timeout.
  static Result<Db> open(const std::filesystem::path& path, int busy_timeout_ms);

  Status exec(std::string_view sql, std::string_view what);
  Result<Statement> prepare(std::string_view sql, std::string_view what);
  // A failure of the last call on this connection, as a StoreError.
  StoreError error(std::string_view what) const;

 private:
  struct Close {
    void operator()(sqlite3* db) const noexcept;
  };
  explicit Db(sqlite3* db) : db_(db) {}
  std::unique_ptr<sqlite3, Close> db_;
};

class Statement {
 public:
  void bind(int index, std::int64_t value);
  void bind(int index, std::string_view text);
  void bind(int index, protocol::ByteView blob);
  void bind_null(int index);

  // Makes a statement kept by its owner ready to run again: resets it and clears its bindings.
  void reset();

  // Runs one step: true when a row is available, false when done.
  Result<bool> step();
  // Runs to completion (for statements that return no rows).
  Status run();

  bool is_null(int column) const;
  std::int64_t int64(int column) const;
  std::string text(int column) const;
  protocol::Bytes blob(int column) const;

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

// BEGIN IMMEDIATE on construction (via begin()); ROLLBACK on destruction unless commit() ran.
class Transaction {
 public:
  static Result<Transaction> begin(Db& db, std::string_view what);
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

}  // namespace aegis::store::sql
