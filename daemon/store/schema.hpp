// The store's schema and its versioned migrations (docs/store.md, "Schema" and "Migrations").
// PRAGMA user_version holds the version; each migration step moves it by one (applied by
// sqlite/migrations.hpp).
#pragma once

#include "sqlite/migrations.hpp"

namespace aegis::store::schema {

// The migration steps, oldest first: step i (0-based) takes the database from version i to i + 1.
sqlite::MigrationSteps steps();

}  // namespace aegis::store::schema
