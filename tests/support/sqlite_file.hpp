// A separate SQLite connection to a database file, as another process (the sqlite3 shell, an
// attacker with file access) would have it: for tests that read or tamper with what a store
// wrote. Foreign keys are off, as in the shell. Failures fail the test.
#pragma once

#include <sqlite3.h>

#include <catch2/catch.hpp>

#include <cstdint>
#include <filesystem>
#include <string>

#include "aegis/protocol/bytes.hpp"

namespace aegis::test {

class SqliteFile {
 public:
  explicit SqliteFile(const std::filesystem::path& file) {
    REQUIRE(sqlite3_open(file.c_str(), &db_) == SQLITE_OK);
    sqlite3_busy_timeout(db_, 5000);
  }
  ~SqliteFile() { sqlite3_close(db_); }
  SqliteFile(const SqliteFile&) = delete;
  SqliteFile& operator=(const SqliteFile&) = delete;

  void exec(const std::string& sql) {
    char* err = nullptr;
    int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err);
    INFO(sql << ": " << (err ? err : ""));
    sqlite3_free(err);
    REQUIRE(rc == SQLITE_OK);
  }
  // The first column of the first row, as an integer.
  std::int64_t scalar(const std::string& sql) {
    sqlite3_stmt* s = nullptr;
    REQUIRE(sqlite3_prepare_v2(db_, sql.c_str(), -1, &s, nullptr) == SQLITE_OK);
    REQUIRE(sqlite3_step(s) == SQLITE_ROW);
    std::int64_t v = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    return v;
  }
  // The first column of the first row, as bytes.
  protocol::Bytes blob(const std::string& sql) {
    sqlite3_stmt* s = nullptr;
    REQUIRE(sqlite3_prepare_v2(db_, sql.c_str(), -1, &s, nullptr) == SQLITE_OK);
    REQUIRE(sqlite3_step(s) == SQLITE_ROW);
    const auto* p = static_cast<const std::uint8_t*>(sqlite3_column_blob(s, 0));
    protocol::Bytes out(p, p + sqlite3_column_bytes(s, 0));
    sqlite3_finalize(s);
    return out;
  }
  // Runs `sql` with ?1 bound to `value`.
  void exec_with_blob(const std::string& sql, const protocol::Bytes& value) {
    sqlite3_stmt* s = nullptr;
    REQUIRE(sqlite3_prepare_v2(db_, sql.c_str(), -1, &s, nullptr) == SQLITE_OK);
    sqlite3_bind_blob(s, 1, value.data(), static_cast<int>(value.size()), SQLITE_TRANSIENT);
    REQUIRE(sqlite3_step(s) == SQLITE_DONE);
    sqlite3_finalize(s);
  }

 protected:
  sqlite3* handle() { return db_; }

 private:
  sqlite3* db_ = nullptr;
};

}  // namespace aegis::test
