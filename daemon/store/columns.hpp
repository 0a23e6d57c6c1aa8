// Conversions between SQLite columns and protocol values, shared by the store's source files.
#pragma once

#include <algorithm>
#include <cstdint>
#include <optional>

#include "aegis/protocol/bytes.hpp"

namespace aegis::store {

// SQLite integers are signed 64-bit; seqs and times stay far below 2^63.
inline std::int64_t i64(std::uint64_t v) { return static_cast<std::int64_t>(v); }
inline std::uint64_t u64(std::int64_t v) { return static_cast<std::uint64_t>(v); }

// A 32-byte hash column; nullopt when the stored blob has another length.
inline std::optional<protocol::Hash> to_hash(const protocol::Bytes& b) {
  if (b.size() != protocol::kHashSize) return std::nullopt;
  protocol::Hash h{};
  std::copy(b.begin(), b.end(), h.begin());
  return h;
}

}  // namespace aegis::store
