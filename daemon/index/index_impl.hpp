// The inside of IndexStore shared by its source files (index_store.cpp, index_verify.cpp):
// the connection, the statements of the write path, the background checkpointer.
#pragma once

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string_view>

#include "aegis/protocol/bytes.hpp"
#include "aegis/protocol/verify.hpp"
#include "index/index_store.hpp"
#include "sqlite/sqlite.hpp"

namespace aegis::index {

namespace sql = ::aegis::sqlite;  // the SQLite layer shared with the authority store

// SQLite integers are signed 64-bit; seqs and times stay far below 2^63.
inline std::int64_t i64(std::uint64_t v) { return static_cast<std::int64_t>(v); }
inline std::uint64_t u64(std::int64_t v) { return static_cast<std::uint64_t>(v); }

inline std::optional<protocol::Hash> to_hash(protocol::ByteView b) {
  if (b.size() != protocol::kHashSize) return std::nullopt;
  protocol::Hash h{};
  std::copy(b.begin(), b.end(), h.begin());
  return h;
}

inline bool same_chain(const protocol::ChainState& a, const protocol::ChainState& b) {
  return a.last_seq == b.last_seq && a.last_hash == b.last_hash;
}

struct IndexStore::Impl {
  // Prepared once, reused by every batch (sql::Use resets them around each use).
  struct Statements {
    std::optional<sql::Statement> select_authority, insert_authority, insert_envelope,
        select_record, upsert_record, insert_feed, update_head, repeat_rejection,
        insert_rejection;
  };
  // An authority's row: its id in the other tables and its chain and feed heads.
  struct HeadRow {
    std::int64_t aid = 0;
    protocol::ChainState applied;
    protocol::ChainState feed;
  };
  class BatchWriter;

  static Result<std::unique_ptr<Impl>> connect(const std::filesystem::path& file, sql::Db db,
                                               const OpenOptions& options);
  Result<std::optional<HeadRow>> read_head(std::string_view authority_id);
  // One Push of apply_batches, inside its open transaction.
  Result<ApplyResult> apply_one(std::string_view sender,
                                const std::vector<protocol::Bytes>& envelopes,
                                const protocol::Trust& trust, std::uint64_t now_ms,
                                const IndexSigning& signing);

  std::filesystem::path file;
  sql::Db db;
  Statements st;
  OpenOptions options;
  // Declared after db and st: destroyed first, so it unhooks the writer while it still exists.
  std::unique_ptr<sql::BackgroundCheckpoint> checkpoint;
  unsigned threads = 1;
};

}  // namespace aegis::index
