// Error type of the store: a code plus a detail naming the operation and the record id (never
// personal data: no names, dates or addresses in a detail).
#pragma once

#include <string>
#include <string_view>
#include <utility>

#include "aegis/protocol/result.hpp"
#include "sqlite/error.hpp"

namespace aegis::store {

enum class StoreErrc {
  sqlite,           // an SQLite call failed (I/O, disk full, constraint...); the change rolled back
  io,               // the database file could not be created
  exists,           // the database file already exists / a different live record has that id
  not_found,        // no database file / no live record with that id
  not_initialised,  // the file is an SQLite database but not an aegis store
  schema_too_new,   // the database was written by a newer aegis (PRAGMA user_version)
  wrong_authority,  // the database belongs to another authority id
  invalid_argument,  // e.g. an authority or record id that is not valid
  invalid_record,    // the record breaks a rule of docs/PROTOCOL.md §3 (or is too large)
  seal_failed,       // the shielded details could not be sealed (e.g. bad recipients)
  corrupt,           // a stored row could not be decoded
};

std::string_view store_errc_name(StoreErrc code) noexcept;

struct StoreError {
  StoreError(StoreErrc c, std::string d) : code(c), detail(std::move(d)) {}
  // The one place a failure of the shared SQLite layer (sqlite/error.hpp) becomes a StoreError:
  // code sqlite, the same detail.
  explicit StoreError(const sqlite::DbError& e) : code(StoreErrc::sqlite), detail(e.detail) {}

  StoreErrc code;
  std::string detail;
  std::string message() const { return std::string(store_errc_name(code)) + ": " + detail; }
};

template <typename T>
using Result = protocol::Result<T, StoreError>;
using Status = protocol::Result<protocol::Ok, StoreError>;

inline StoreError store_error(StoreErrc code, std::string detail) {
  return StoreError{code, std::move(detail)};
}

}  // namespace aegis::store
