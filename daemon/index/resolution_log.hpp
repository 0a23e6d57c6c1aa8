// What the index persists of resolution (docs/index-store.md, "Resolution"): national ids with
// their minting order, aliases and retirements; the linkage history; and what each record's
// authority was last told, in `elsewhere` feed items, of each other record of its cluster. The
// matching engine itself (resolve::Resolver) lives in memory and is rebuilt from the stored
// records at start; this class is the one narrow place its persistence goes through (load all,
// write a delta inside the caller's transaction), so a PostgreSQL implementation can replace the
// SQLite one without touching matching or sync.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "aegis/protocol/bytes.hpp"
#include "index/errors.hpp"
#include "resolve/resolver.hpp"
#include "sqlite/sqlite.hpp"

namespace aegis::index {

// What one elsewhere item last told a record's authority about another record.
struct ElsewhereSent {
  resolve::RecordRef other;
  std::uint8_t state = 0;  // protocol::ElsewhereState linked (1) or shielded (2)
  protocol::Hash digest{}; // of the national id, state and details the item carried
};

class ResolutionLog {
 public:
  // Prepares the statements on `db` (the store's writer connection; schema version 3 or later).
  static Result<ResolutionLog> prepare(sqlite::Db& db);

  // Load all: every national id ever minted, with its minting order.
  Result<std::unordered_map<std::string, std::uint64_t>> minted_orders();
  Result<std::optional<std::uint64_t>> minted_order(std::string_view national_id);

  // Writes the delta of one change inside the caller's open transaction: new ids (created,
  // split) with the engine's minting order, aliases (merged), retirements, and the events.
  Status write(const std::vector<resolve::LinkageEvent>& events, const resolve::Resolver& engine,
               std::uint64_t now_ms);

  // What `record`'s authority was last told about other records (state linked or shielded).
  Result<std::vector<ElsewhereSent>> sent_to(const resolve::RecordRef& record);
  // Every record whose authority was told something (load all).
  Result<std::set<resolve::RecordRef>> told_records();
  // The records whose authorities were told about `other`.
  Result<std::vector<resolve::RecordRef>> told_about(const resolve::RecordRef& other);
  Status set_sent(const resolve::RecordRef& record, const ElsewhereSent& sent);
  // Forgets what was told (an unlinked item went out, or `record` was deleted).
  Status forget_sent(const resolve::RecordRef& record, const resolve::RecordRef& other);
  Status forget_all_sent(const resolve::RecordRef& record);

 private:
  struct Statements {
    std::optional<sqlite::Statement> minted_order, insert_id, alias_id, retire_id, insert_event,
        insert_event_record, sent_to, told_about, set_sent, forget_sent, forget_all_sent;
  };
  explicit ResolutionLog(sqlite::Db& db) : db_(&db) {}
  sqlite::Db* db_;
  Statements st_;
};

}  // namespace aegis::index
