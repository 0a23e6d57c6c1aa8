// The neutral error of the shared SQLite layer (DbError) and its Result. A Result or a DbError
// converts to the Result of any module whose error type E can be constructed from a DbError, so
// each store maps DbError to its own error type in one place (a constructor of E), not at every
// call site.
#pragma once

#include <concepts>
#include <string>
#include <utility>

#include "aegis/protocol/result.hpp"

namespace aegis::sqlite {

struct DbError {
  int sqlite_code;     // the (extended) SQLite result code of the failed call
  std::string detail;  // "<what>: <SQLite message>"; never personal data

  // To the Result of a module whose error type maps DbError (e.g. `return row.error();`).
  template <typename T, typename E>
    requires std::constructible_from<E, const DbError&>
  operator protocol::Result<T, E>() const {  // NOLINT(implicit)
    return E(*this);
  }
};

template <typename T>
class [[nodiscard]] Result : public protocol::Result<T, DbError> {
 public:
  using protocol::Result<T, DbError>::Result;

  // To the Result of a module whose error type maps DbError (e.g. `store::Result<bool> row =
  // q->step();`).
  template <typename E>
    requires std::constructible_from<E, const DbError&>
  operator protocol::Result<T, E>() && {  // NOLINT(implicit)
    if (!this->ok()) return E(this->error());
    return std::move(*this).value();
  }
  template <typename E>
    requires std::constructible_from<E, const DbError&>
  operator protocol::Result<T, E>() const& {  // NOLINT(implicit)
    if (!this->ok()) return E(this->error());
    return this->value();
  }
};
using Status = Result<protocol::Ok>;

}  // namespace aegis::sqlite
