// The store's schema and its versioned migrations (docs/store.md, "Schema" and "Migrations").
// PRAGMA user_version holds the version; each migration step moves it by one.
#pragma once

#include "store/errors.hpp"
#include "store/sqlite.hpp"

namespace aegis::store::schema {

// PRAGMA user_version of the open database.
Result<int> user_version(sql::Db& db);
// Applies every step after `from` up to kSchemaVersion. The caller holds the transaction.
Status migrate(sql::Db& db, int from);

}  // namespace aegis::store::schema
