// The SQLite implementation of ResolutionStore (resolution_store.hpp): the tables of schema
// steps 3 and 4 (daemon/index/schema.cpp), on the index store's writer connection, every write
// inside the caller's transaction.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "aegis/protocol/bytes.hpp"
#include "index/errors.hpp"
#include "index/resolution_store.hpp"
#include "resolve/resolver.hpp"
#include "sqlite/sqlite.hpp"

namespace aegis::index {

class ResolutionLog final : public ResolutionStore {
 public:
  // Prepares the statements on `db` (the store's writer connection; schema version 4 or later).
  static Result<std::unique_ptr<ResolutionLog>> prepare(sqlite::Db& db);

  Result<std::unordered_map<std::string, std::uint64_t>> minted_orders() override;
  Result<std::optional<std::uint64_t>> minted_order(std::string_view national_id) override;
  Result<std::optional<std::string>> alias_of(std::string_view national_id) override;
  Status merge_ids() override;
  Status reload() override;
  Status write(const std::vector<resolve::LinkageEvent>& events, const resolve::Resolver& engine,
               std::uint64_t now_ms) override;

  Result<std::vector<ElsewhereSent>> sent_to(const resolve::RecordRef& record) override;
  Result<std::set<resolve::RecordRef>> told_records() override;
  Result<std::vector<resolve::RecordRef>> told_about(const resolve::RecordRef& other) override;
  Status set_sent(const resolve::RecordRef& record, const ElsewhereSent& sent) override;
  Status forget_sent(const resolve::RecordRef& record, const resolve::RecordRef& other) override;
  Status forget_all_sent(const resolve::RecordRef& record) override;

  Result<std::vector<StoredDecision>> decisions() override;
  Result<std::optional<StoredDecision>> decision_on(std::uint64_t review_id) override;
  Status add_decision(StoredDecision& decision) override;

  Status sync_review(const resolve::RecordRef& record,
                     const std::vector<resolve::ReviewPair>& pairs,
                     std::uint64_t now_ms) override;
  Status replace_review(const std::vector<resolve::ReviewPair>& pairs,
                        std::uint64_t now_ms) override;
  Result<std::vector<QueuedPair>> review_list(std::size_t max) override;
  Result<std::uint64_t> review_count() override;
  Result<std::optional<QueuedPair>> review_pair(std::uint64_t id) override;
  Result<std::uint64_t> review_last_id() override;

 private:
  struct Statements {
    std::optional<sqlite::Statement> minted_order, log_id, revive_logged, alias_id, alias_logged,
        retire_id, retire_logged, alias_of, alias_of_logged, insert_event,
        insert_event_record, sent_to, told_about, set_sent, forget_sent, forget_all_sent,
        decision_on, add_decision, review_of, upsert_review, delete_review, review_list,
        review_pair;
  };
  explicit ResolutionLog(sqlite::Db& db) : db_(&db) {}
  Status upsert_review(const resolve::ReviewPair& pair, std::uint64_t now_ms);
  // Runs `logged` on the id's national_id_log row (bound by minting order) when it is there,
  // else `merged` on its national_ids row (bound by id); ?2 is `value` when given.
  Status update_id(const std::string& national_id, sqlite::Statement& logged,
                   sqlite::Statement& merged, const std::string* value);
  sqlite::Db* db_;
  Statements st_;
  // The ids in national_id_log with their minting order (its key): what finds a logged id
  // without an index on national_id_log.national_id, whose random keys would cost a page write
  // per new child. Mirrors the log as of the last reload and this connection's writes since.
  std::unordered_map<std::string, std::uint64_t> logged_;
};

}  // namespace aegis::index
