// Error type of the index store: a code plus a detail naming the operation, the authority id and
// seqs (never personal data: no names, dates, addresses, and never envelope bytes).
#pragma once

#include <string>
#include <string_view>
#include <utility>

#include "aegis/protocol/result.hpp"
#include "sqlite/error.hpp"

namespace aegis::index {

enum class IndexErrc {
  sqlite,            // an SQLite call failed (I/O, disk full, constraint...); the batch rolled back
  io,                // the database file could not be created
  exists,            // the database file already exists
  not_found,         // no database file / no such authority
  not_initialised,   // the file is an SQLite database but not an aegis index store
  schema_too_new,    // the database was written by a newer aegis (PRAGMA user_version)
  invalid_argument,  // a caller broke the API contract (bad authority id, oversized batch...)
  corrupt,           // a stored row could not be decoded
  gone,              // what a request names existed but changed since (a pair that left the
                     // review queue: linked, decided, or one of its records changed)
};

std::string_view index_errc_name(IndexErrc code) noexcept;

struct IndexError {
  IndexError(IndexErrc c, std::string d) : code(c), detail(std::move(d)) {}
  // The one place a failure of the shared SQLite layer (sqlite/error.hpp) becomes a IndexError:
  // code sqlite, the same detail.
  explicit IndexError(const sqlite::DbError& e) : code(IndexErrc::sqlite), detail(e.detail) {}

  IndexErrc code;
  std::string detail;
  std::string message() const { return std::string(index_errc_name(code)) + ": " + detail; }
};

template <typename T>
using Result = protocol::Result<T, IndexError>;
using Status = protocol::Result<protocol::Ok, IndexError>;

inline IndexError index_error(IndexErrc code, std::string detail) {
  return IndexError{code, std::move(detail)};
}

}  // namespace aegis::index
