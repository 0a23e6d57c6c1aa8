// Versioned schema migrations (see migrations.hpp).
#include "sqlite/migrations.hpp"

#include <string>

namespace aegis::sqlite {

Result<int> user_version(Db& db) {
  Result<Statement> q = db.prepare("PRAGMA user_version", "read schema version");
  if (!q) return q.error();
  Result<bool> row = q->step();
  if (!row) return row.error();
  return static_cast<int>(q->int64(0));
}

Status migrate(Db& db, MigrationSteps steps, int from) {
  const int latest = static_cast<int>(steps.size());
  for (int version = from; version < latest; ++version) {
    const std::string what =
        "migrate schema " + std::to_string(version) + " -> " + std::to_string(version + 1);
    if (Status s = db.exec(steps[static_cast<std::size_t>(version)], what); !s) return s;
    if (Status s = db.exec("PRAGMA user_version = " + std::to_string(version + 1), what); !s)
      return s;
  }
  return protocol::Ok{};
}

Result<int> upgrade(Db& db, MigrationSteps steps, std::string_view what) {
  Result<Transaction> tx = Transaction::begin(db, what);
  if (!tx) return tx.error();
  Result<int> version = user_version(db);
  if (!version) return version;
  if (*version < 1 || *version > static_cast<int>(steps.size())) return version;  // rolls back
  if (Status s = migrate(db, steps, *version); !s) return s.error();
  if (Status s = tx->commit(); !s) return s.error();
  return version;
}

std::string too_new_detail(const std::filesystem::path& file, int version, MigrationSteps steps) {
  return "database " + file.string() + " has schema version " + std::to_string(version) +
         "; this aegis knows up to " + std::to_string(steps.size()) + ": upgrade aegis";
}

}  // namespace aegis::sqlite

namespace aegis::sqlite {

Result<std::uint64_t> read_trust_version(Db& db) {
  Result<Statement> q = db.prepare("SELECT value FROM meta WHERE key = ?1", "read trust version");
  if (!q) return q.error();
  q->bind(1, kTrustVersionKey);
  Result<bool> row = q->step();
  if (!row) return row.error();
  if (!*row) return std::uint64_t{0};
  return static_cast<std::uint64_t>(q->int64(0));
}

Status raise_trust_version(Db& db, std::uint64_t version) {
  Result<Statement> q = db.prepare(
      "INSERT INTO meta (key, value) VALUES (?1, ?2) "
      "ON CONFLICT (key) DO UPDATE SET value = max(value, excluded.value)",
      "record trust version");
  if (!q) return q.error();
  q->bind(1, kTrustVersionKey);
  q->bind(2, static_cast<std::int64_t>(version));
  return q->run();
}

}  // namespace aegis::sqlite
