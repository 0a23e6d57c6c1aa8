// Helper of bench/import_bench.py (import benchmark; not a test, figures only): the machine's
// raw limit for the rows an import writes, measured in the same run.
//
//   aegis_import_bench_tool --store FILE --out FILE
//
// Reads, untimed, every row the import left in the authority's store FILE (daemon/store/
// schema.cpp): its `records` rows in record id order and its `outbox` rows in seq order, all
// columns, the same bytes. Then, timed, writes them into a fresh SQLite file --out (WAL,
// synchronous=FULL, default page cache) holding the same two tables (same columns, same
// keys: records.record_id TEXT PRIMARY KEY, outbox.seq INTEGER PRIMARY KEY), sorted, in ONE
// transaction: all outbox rows, then all records rows, then COMMIT (with the WAL
// auto-checkpoint that follows it, as in the import). Prints one JSON object:
//   {"records": N, "outbox_rows": M, "bytes": B, "seconds": S, "rows_per_s": N / S}
// rows_per_s counts records (each comes with its outbox row), so it compares with an import's
// records/s.
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include <sqlite3.h>

#include "bench_record.hpp"
#include "bench_sqlite.hpp"

using aegis::bench::Clock;
using aegis::bench::die;
using aegis::bench::RawDb;
using aegis::bench::seconds_since;

namespace {

// One column value as read: an integer, or text/blob bytes.
struct Value {
  int type = SQLITE_NULL;
  sqlite3_int64 integer = 0;
  std::string bytes;
};
using Row = std::vector<Value>;

// Every row of `sql`, all columns.
std::vector<Row> rows(RawDb& db, const std::string& sql) {
  sqlite3_stmt* s = db.prepare(sql);
  std::vector<Row> out;
  int rc;
  while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
    Row row(static_cast<std::size_t>(sqlite3_column_count(s)));
    for (int i = 0; i < sqlite3_column_count(s); ++i) {
      Value& v = row[static_cast<std::size_t>(i)];
      v.type = sqlite3_column_type(s, i);
      if (v.type == SQLITE_INTEGER) {
        v.integer = sqlite3_column_int64(s, i);
      } else if (v.type == SQLITE_TEXT || v.type == SQLITE_BLOB) {
        const void* p = sqlite3_column_blob(s, i);
        v.bytes.assign(static_cast<const char*>(p),
                       static_cast<std::size_t>(sqlite3_column_bytes(s, i)));
      }
    }
    out.push_back(std::move(row));
  }
  if (rc != SQLITE_DONE) die(sql + ": " + db.last_error());
  return out;
}

// Inserts `rows` with `sql` (one parameter per column).
void insert(RawDb& db, const std::string& sql, const std::vector<Row>& rows) {
  sqlite3_stmt* s = db.prepare(sql);
  for (const Row& row : rows) {
    for (std::size_t i = 0; i < row.size(); ++i) {
      const Value& v = row[i];
      const int at = static_cast<int>(i + 1);
      const int n = static_cast<int>(v.bytes.size());
      if (v.type == SQLITE_INTEGER) sqlite3_bind_int64(s, at, v.integer);
      else if (v.type == SQLITE_TEXT) sqlite3_bind_text(s, at, v.bytes.data(), n, SQLITE_STATIC);
      else if (v.type == SQLITE_BLOB) sqlite3_bind_blob(s, at, v.bytes.data(), n, SQLITE_STATIC);
      else sqlite3_bind_null(s, at);
    }
    db.run(s);
  }
}

std::size_t byte_count(const std::vector<Row>& rows) {
  std::size_t n = 0;
  for (const Row& row : rows)
    for (const Value& v : row) n += v.type == SQLITE_INTEGER ? 8 : v.bytes.size();
  return n;
}

}  // namespace

int main(int argc, char** argv) {
  std::string store, out;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string option = argv[i];
    if (option == "--store") store = argv[i + 1];
    else if (option == "--out") out = argv[i + 1];
    else die("unknown option " + option);
  }
  if (store.empty() || out.empty()) die("usage: aegis_import_bench_tool --store FILE --out FILE");

  std::vector<Row> records, outbox;
  {
    RawDb source(store, SQLITE_OPEN_READONLY);
    records = rows(source, "SELECT record_id, body, shielded, deleted, last_seq, updated_ms "
                          "FROM records ORDER BY record_id");
    outbox = rows(source, "SELECT seq, record_id, op, created_ms, hash, envelope "
                         "FROM outbox ORDER BY seq");
  }

  for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(out + suffix);
  RawDb db(out);
  db.exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;");
  db.exec(R"sql(
CREATE TABLE outbox (seq INTEGER PRIMARY KEY, record_id TEXT NOT NULL, op INTEGER NOT NULL,
                     created_ms INTEGER NOT NULL, hash BLOB NOT NULL,
                     envelope BLOB NOT NULL) STRICT;
CREATE TABLE records (record_id TEXT PRIMARY KEY, body BLOB, shielded INTEGER NOT NULL,
                      deleted INTEGER NOT NULL, last_seq INTEGER NOT NULL,
                      updated_ms INTEGER NOT NULL) STRICT;
)sql");

  const auto start = Clock::now();
  db.exec("BEGIN");
  insert(db, "INSERT INTO outbox VALUES (?1, ?2, ?3, ?4, ?5, ?6)", outbox);
  insert(db, "INSERT INTO records VALUES (?1, ?2, ?3, ?4, ?5, ?6)", records);
  db.exec("COMMIT");
  const double seconds = seconds_since(start);

  std::printf("{\"records\": %zu, \"outbox_rows\": %zu, \"bytes\": %zu, \"seconds\": %.3f, "
              "\"rows_per_s\": %.0f}\n",
              records.size(), outbox.size(), byte_count(records) + byte_count(outbox), seconds,
              seconds > 0 ? static_cast<double>(records.size()) / seconds : 0.0);
  return 0;
}
