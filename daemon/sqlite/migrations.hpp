// Versioned schema migrations shared by the stores (docs/store.md, "Migrations"): PRAGMA
// user_version holds the version and step i (0-based) takes the database from version i to i + 1,
// so the latest version is the number of steps.
#pragma once

#include <filesystem>
#include <span>
#include <string>
#include <string_view>

#include "sqlite/sqlite.hpp"

namespace aegis::sqlite {

using MigrationSteps = std::span<const std::string_view>;

// PRAGMA user_version of the open database.
Result<int> user_version(Db& db);
// Applies every step after `from`. The caller holds the write transaction.
Status migrate(Db& db, MigrationSteps steps, int from);
// On open, when the version read was older than the latest: in one write transaction, reads the
// version again (another process may have migrated meanwhile) and, when it is from 1 to the
// latest, applies the missing steps and commits. Returns the version read under the lock, which
// the caller checks as it checked the first one (0 or newer than the latest is refused there,
// and nothing was changed).
Result<int> upgrade(Db& db, MigrationSteps steps, std::string_view what);
// The detail of the "newer schema refused" rule: a database written by a newer aegis.
std::string too_new_detail(const std::filesystem::path& file, int version, MigrationSteps steps);

}  // namespace aegis::sqlite

namespace aegis::sqlite {

// The highest trust bundle version a node has accepted, kept in its store's meta table (both
// stores have `meta (key TEXT PRIMARY KEY, value ANY NOT NULL)`) under this key, so a restart
// refuses an older bundle (docs/keys.md, "Rollback").
inline constexpr std::string_view kTrustVersionKey = "trust_version";
// 0 when none was recorded yet.
Result<std::uint64_t> read_trust_version(Db& db);
// Records `version` as accepted: the stored value only moves up (a lower one is ignored).
Status raise_trust_version(Db& db, std::uint64_t version);

}  // namespace aegis::sqlite
