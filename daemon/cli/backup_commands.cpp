// `aegis backup --output FILE` and `aegis restore --input FILE` (docs/operations.md, "Back up
// and restore"): a consistent copy of this node's store (the authority's aegis.db or the index's
// index.db) taken with SQLite's online backup API while aegisd keeps writing, and its return
// into an empty data directory. Key files are never in a backup: the store holds none.
//
// backup: one read transaction copies every page (WAL mode: writers go on meanwhile, the copy
// is the state at one commit), into FILE.partial (0600, created exclusively), switched out of WAL
// so the backup is one self-contained file, checked (integrity_check), fsynced and linked to
// FILE, which must not exist.
// restore: refused while an aegisd holds the data directory (its lock is taken for the whole
// restore) or when a store is already there; the input must pass integrity_check and be a store
// of this node's role (and, for an authority, of its subject id); it is copied the same way into
// place. Verifying the chains afterwards is `aegis log verify` / `aegis index verify`.
#include <sys/file.h>
#include <sys/stat.h>
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string>

#include <sqlite3.h>

#include "commands.hpp"
#include "index/index_store.hpp"

namespace aegis::cli {

namespace {

constexpr int kBusyRetries = 100;  // a backup step meets a lock: retried this many times...
constexpr int kBusyWaitMs = 100;   // ...this far apart

struct DbCloser {
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
using DbHandle = std::unique_ptr<sqlite3, DbCloser>;

[[noreturn]] void fail_sqlite(const std::string& what, sqlite3* db) {
  fail(kExitFailed, "sqlite_failed", what + ": " + (db ? sqlite3_errmsg(db) : "out of memory"));
}

// Opens an existing database file (never creates one).
DbHandle open_db(const std::filesystem::path& file, bool write, int busy_timeout_ms) {
  sqlite3* raw = nullptr;
  const int flags = (write ? SQLITE_OPEN_READWRITE : SQLITE_OPEN_READONLY) | SQLITE_OPEN_NOFOLLOW;
  const int rc = sqlite3_open_v2(file.c_str(), &raw, flags, nullptr);
  DbHandle db(raw);
  if (rc != SQLITE_OK) fail_sqlite("cannot open " + file.string(), db.get());
  sqlite3_busy_timeout(db.get(), busy_timeout_ms);
  return db;
}

void exec(sqlite3* db, const std::string& sql, const std::string& what) {
  if (sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr) != SQLITE_OK)
    fail_sqlite(what, db);
}

// The single text or integer a query returns ("" when no row).
std::string scalar(sqlite3* db, const std::string& sql, const std::string& what) {
  sqlite3_stmt* raw = nullptr;
  if (sqlite3_prepare_v2(db, sql.c_str(), -1, &raw, nullptr) != SQLITE_OK) fail_sqlite(what, db);
  std::unique_ptr<sqlite3_stmt, int (*)(sqlite3_stmt*)> q(raw, sqlite3_finalize);
  const int rc = sqlite3_step(q.get());
  if (rc == SQLITE_DONE) return "";
  if (rc != SQLITE_ROW) fail_sqlite(what, db);
  const unsigned char* text = sqlite3_column_text(q.get(), 0);
  return text ? reinterpret_cast<const char*>(text) : "";
}

// Copies every page of `from` into `to` in one step (one read transaction on `from`).
void copy_pages(sqlite3* from, sqlite3* to, const std::string& what) {
  sqlite3_backup* b = sqlite3_backup_init(to, "main", from, "main");
  if (!b) fail_sqlite(what, to);
  int rc = SQLITE_OK;
  for (int attempt = 0; attempt < kBusyRetries; ++attempt) {
    rc = sqlite3_backup_step(b, -1);
    if (rc != SQLITE_BUSY && rc != SQLITE_LOCKED) break;
    sqlite3_sleep(kBusyWaitMs);
  }
  sqlite3_backup_finish(b);
  if (rc != SQLITE_DONE)
    fail(kExitFailed, "sqlite_failed", what + ": " + sqlite3_errstr(rc));
}

void fsync_path(const std::filesystem::path& path, bool directory) {
  const int fd = ::open(path.c_str(), (directory ? O_DIRECTORY : 0) | O_RDONLY | O_CLOEXEC);
  if (fd < 0 || ::fsync(fd) != 0) {
    const std::string error = std::strerror(errno);
    if (fd >= 0) ::close(fd);
    fail(kExitFailed, "io_failed", "fsync " + path.string() + ": " + error);
  }
  ::close(fd);
}

std::filesystem::path store_file(const config::Config& c) {
  return c.data_dir / std::string(c.role == protocol::Role::authority
                                      ? store::kDatabaseFileName
                                      : index::kDatabaseFileName);
}

// What a store file holds, for the summary and the role check.
struct Summary {
  std::string role;        // "authority" or "index" (from its tables)
  std::string subject_id;  // the authority's id; "" for an index
  std::string detail;      // "outbox seq 1..120, 118 records" / "3 authorities, 300 envelopes"
};

Summary summarise(sqlite3* db, const std::string& name) {
  const std::string tables = "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = ";
  Summary s;
  if (scalar(db, tables + "'outbox'", "read " + name) == "1") {
    s.role = "authority";
    s.subject_id = scalar(db, "SELECT value FROM meta WHERE key = 'authority_id'", "read " + name);
    s.detail = "outbox seq 1.." +
               scalar(db, "SELECT coalesce(max(seq), 0) FROM outbox", "read " + name) + ", " +
               scalar(db, "SELECT count(*) FROM records", "read " + name) + " records";
  } else if (scalar(db, tables + "'envelopes'", "read " + name) == "1") {
    s.role = "index";
    s.detail = scalar(db, "SELECT count(*) FROM authorities", "read " + name) + " authorities, " +
               scalar(db, "SELECT coalesce(sum(applied_seq), 0) FROM authorities",
                      "read " + name) +
               " envelopes";
  } else {
    fail(kExitFailed, "not_a_store", name + " is not an aegis store (no outbox or envelopes table)");
  }
  return s;
}

void check_integrity(sqlite3* db, const std::string& name) {
  const std::string result = scalar(db, "PRAGMA integrity_check", "check " + name);
  if (result != "ok")
    fail(kExitFailed, "integrity_failed", name + ": integrity_check: " + result);
}

// Copies the database `from` into a new file `target` (which must not exist): via
// target.partial (0600), out of WAL mode, integrity-checked, fsynced, then linked into place.
void write_copy(sqlite3* from, const std::filesystem::path& target, int busy_timeout_ms) {
  std::error_code ec;
  if (std::filesystem::exists(std::filesystem::symlink_status(target, ec)))
    fail(kExitFailed, "exists", target.string() + " already exists (never overwritten)");
  const std::filesystem::path partial = target.string() + ".partial";
  const int fd = ::open(partial.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0)
    fail(kExitFailed, "io_failed", "cannot create " + partial.string() + ": " +
                                       std::strerror(errno) +
                                       (errno == EEXIST ? " (left by an interrupted run? remove it)"
                                                        : ""));
  ::close(fd);
  try {
    {
      DbHandle to = open_db(partial, true, busy_timeout_ms);
      copy_pages(from, to.get(), "copy into " + partial.string());
      exec(to.get(), "PRAGMA journal_mode = DELETE", "finish " + partial.string());
      check_integrity(to.get(), partial.string());
    }
    fsync_path(partial, false);
    if (::link(partial.c_str(), target.c_str()) != 0)
      fail(kExitFailed, errno == EEXIST ? "exists" : "io_failed",
           "cannot create " + target.string() + ": " + std::strerror(errno));
    ::unlink(partial.c_str());
    fsync_path(target.parent_path().empty() ? "." : target.parent_path(), true);
  } catch (...) {
    std::filesystem::remove(partial, ec);
    throw;
  }
}

// Either role's config (load_config in cli_common takes an authority's only).
config::Config load_node_config(const GlobalOptions& g) {
  auto c = config::load_config(g.config_path);
  if (!c) fail(kExitConfig, "config", c.error().message);
  return std::move(c).value();
}

void backup(const GlobalOptions& g, const std::string& output) {
  const config::Config c = load_node_config(g);
  const std::filesystem::path source = store_file(c);
  std::error_code ec;
  if (!std::filesystem::is_regular_file(source, ec))
    fail(kExitFailed, "no_store", "no store at " + source.string() +
                                      (c.role == protocol::Role::authority
                                           ? " (run `aegis store init` first)"
                                           : " (the index creates it at its first start)"));
  const std::filesystem::path target = std::filesystem::absolute(output).lexically_normal();
  DbHandle from = open_db(source, true, c.store.busy_timeout_ms);
  write_copy(from.get(), target, c.store.busy_timeout_ms);
  DbHandle copy = open_db(target, false, c.store.busy_timeout_ms);
  const Summary s = summarise(copy.get(), target.string());
  const auto bytes = std::filesystem::file_size(target, ec);
  print_result(g,
               {{"backup", target.string()},
                {"role", s.role},
                {"id", c.subject_id},
                {"bytes", ec ? 0 : bytes},
                {"summary", s.detail}},
               "backup of " + s.role + " " + c.subject_id + " in " + target.string() + ": " +
                   s.detail + ", integrity ok");
}

// Holds data_dir's lock (the one aegisd takes) until the end of the restore.
class DataDirLock {
 public:
  explicit DataDirLock(const std::filesystem::path& dir) {
    if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST)
      fail(kExitFailed, "io_failed", "data_dir " + dir.string() + ": " + std::strerror(errno));
    const std::filesystem::path file = dir / std::string(config::kDaemonLockName);
    fd_ = ::open(file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd_ < 0) fail(kExitFailed, "io_failed", file.string() + ": " + std::strerror(errno));
    if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
      ::close(fd_);
      fail(kExitFailed, "daemon_running",
           "an aegisd is running on data_dir " + dir.string() + ": stop it first");
    }
  }
  ~DataDirLock() { ::close(fd_); }
  DataDirLock(const DataDirLock&) = delete;
  DataDirLock& operator=(const DataDirLock&) = delete;

 private:
  int fd_ = -1;
};

void restore(const GlobalOptions& g, const std::string& input) {
  const config::Config c = load_node_config(g);
  const std::filesystem::path in = std::filesystem::absolute(input).lexically_normal();
  std::error_code ec;
  if (!std::filesystem::is_regular_file(in, ec))
    fail(kExitFailed, "no_backup", in.string() + ": no such backup file");
  DataDirLock lock(c.data_dir);
  const std::filesystem::path target = store_file(c);
  for (const char* suffix : {"", "-wal", "-journal"})
    if (std::filesystem::exists(target.string() + suffix, ec))
      fail(kExitFailed, "exists",
           target.string() + suffix + " exists: restore only into a data directory without a " +
               "store (move the old one away first)");

  DbHandle from = open_db(in, false, c.store.busy_timeout_ms);
  check_integrity(from.get(), in.string());
  const Summary s = summarise(from.get(), in.string());
  const std::string role(protocol::role_name(c.role));
  if (s.role != role)
    fail(kExitFailed, "wrong_role",
         in.string() + " is the backup of an " + s.role + ", this node is an " + role);
  if (c.role == protocol::Role::authority && s.subject_id != c.subject_id)
    fail(kExitFailed, "wrong_subject",
         in.string() + " is the backup of authority '" + s.subject_id + "', this node is '" +
             c.subject_id + "'");
  write_copy(from.get(), target, c.store.busy_timeout_ms);
  print_result(g, {{"restored", target.string()}, {"role", s.role}, {"id", c.subject_id},
                   {"summary", s.detail}},
               "restored " + s.role + " " + c.subject_id + " into " + target.string() + ": " +
                   s.detail + "; verify it with `aegis " +
                   (c.role == protocol::Role::authority ? "log verify" : "index verify") +
                   "` before starting aegisd");
}

}  // namespace

void add_backup_commands(CLI::App& app, const GlobalOptions& g) {
  auto output = std::make_shared<std::string>();
  CLI::App* b = app.add_subcommand(
      "backup", "Copy this node's store, consistently, while aegisd runs (no key files)");
  b->add_option("--output", *output, "the backup file to create (never overwritten)")
      ->required();
  b->callback([&g, output] { backup(g, *output); });

  auto input = std::make_shared<std::string>();
  CLI::App* r = app.add_subcommand(
      "restore", "Put a backup in place as this node's store (aegisd stopped, no store there)");
  r->add_option("--input", *input, "the backup file")->required();
  r->callback([&g, input] { restore(g, *input); });
}

}  // namespace aegis::cli
