// The index store's schema and its versioned migrations (docs/index-store.md, "Schema").
// PRAGMA user_version holds the version; each migration step moves it by one (applied by
// sqlite/migrations.hpp).
#pragma once

#include <cstdint>

#include "sqlite/migrations.hpp"

namespace aegis::index::schema {

// The schema version this build writes. Older databases are migrated on open; newer ones are
// refused with schema_too_new.
inline constexpr int kSchemaVersion = 7;

// envelopes.id and feed.id pack (aid, seq) into one integer key: aid << 40 | seq, so each
// authority's log is one contiguous, append-only run of a rowid B-tree.
inline constexpr int kSeqBits = 40;
inline constexpr std::uint64_t kMaxSeq = (std::uint64_t{1} << kSeqBits) - 1;
inline constexpr std::int64_t log_key(std::int64_t aid, std::uint64_t seq) {
  return static_cast<std::int64_t>((static_cast<std::uint64_t>(aid) << kSeqBits) | seq);
}

// The migration steps, oldest first: step i (0-based) takes the database from version i to i + 1.
sqlite::MigrationSteps steps();

}  // namespace aegis::index::schema
