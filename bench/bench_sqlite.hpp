// Raw SQLite for the benchmarks' setup and baselines, with no aegis layer in between (the
// baselines must be plain SQLite). Any failure ends the program with a message naming it.
#pragma once

#include <sqlite3.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

namespace aegis::bench {

[[noreturn]] inline void die(const std::string& what) {
  std::fprintf(stderr, "%s: %s\n", program_invocation_short_name, what.c_str());
  std::exit(1);
}

// A benchmark's working directory: `dir` when given, else a new one named after the benchmark
// and this process under the system's temporary directory; created either way.
inline std::filesystem::path work_dir(std::filesystem::path dir, const std::string& name) {
  if (dir.empty())
    dir = std::filesystem::temp_directory_path() /
          ("aegis-" + name + "-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  return dir;
}

class RawDb {
 public:
  explicit RawDb(const std::filesystem::path& file,
                 int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE) {
    if (sqlite3_open_v2(file.c_str(), &db_, flags, nullptr) != SQLITE_OK)
      die("open " + file.string() + ": " + sqlite3_errmsg(db_));
  }
  RawDb(const RawDb&) = delete;
  RawDb& operator=(const RawDb&) = delete;
  ~RawDb() {
    for (sqlite3_stmt* s : statements_) sqlite3_finalize(s);
    sqlite3_close(db_);
  }

  void exec(const std::string& sql) {
    char* err = nullptr;
    if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err) != SQLITE_OK)
      die(sql + ": " + (err ? err : "?"));
  }
  // A statement finalized with the connection.
  sqlite3_stmt* prepare(const std::string& sql) {
    sqlite3_stmt* s = nullptr;
    if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &s, nullptr) != SQLITE_OK)
      die(sql + ": " + sqlite3_errmsg(db_));
    statements_.push_back(s);
    return s;
  }
  // Steps a statement that returns no row, then resets it for the next bindings.
  void run(sqlite3_stmt* s) {
    if (sqlite3_step(s) != SQLITE_DONE) die(std::string("step: ") + sqlite3_errmsg(db_));
    sqlite3_reset(s);
  }
  const char* last_error() const { return sqlite3_errmsg(db_); }

 private:
  sqlite3* db_ = nullptr;
  std::vector<sqlite3_stmt*> statements_;
};

}  // namespace aegis::bench
