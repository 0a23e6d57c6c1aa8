// Internal helpers shared by the readers in record.cpp and envelope.cpp (not installed):
// positional structs (docs/PROTOCOL.md §2.4) — an array of a fixed number of fields, where a
// top-level struct starts with its format version, checked before the arity so a newer version
// is unknown_version, not malformed — the id rules of §3.1, and the small field rules several
// messages share (a positive uint, a refusal code).
#pragma once

#include <cstdint>
#include <limits>
#include <string>
#include <string_view>

#include "aegis/protocol/codec.hpp"
#include "aegis/protocol/sync.hpp"

namespace aegis::protocol::detail {

inline constexpr std::size_t kAnyLen = std::numeric_limits<std::size_t>::max();

inline void expect_arity(const Node& n, const ArrayNode& a, std::size_t arity) {
  if (!n.context().failed() && a.size() != arity)
    n.fail(Errc::malformed,
           std::to_string(a.size()) + " fields, expected " + std::to_string(arity));
}

// An array of exactly `arity` fields; any other length is malformed.
inline ArrayNode read_struct(const Node& n, std::size_t arity) {
  ArrayNode a = n.as_array(0, kAnyLen);
  expect_arity(n, a, arity);
  return a;
}

// [version, ...]: field 0 must equal `version` (else unknown_version), then exactly `arity`
// fields in all (else malformed).
inline ArrayNode read_versioned_struct(const Node& n, std::uint64_t version, std::size_t arity) {
  ArrayNode a = n.as_array(1, kAnyLen);
  a.field(0, "version").expect_version(version);
  expect_arity(n, a, arity);
  return a;
}

// Record id (§3.1): over kMaxRecordIdLen bytes is too_large, otherwise any byte outside
// [A-Za-z0-9._:-] or an empty id is invalid_field. Defined in record.cpp.
void check_record_id(DecodeContext& ctx, const std::string& path, std::string_view id);
// Authority id (§3.1): over kMaxAuthorityIdLen bytes is too_large, otherwise anything but
// [a-z0-9-] not starting or ending with '-' is invalid_field. Defined in record.cpp.
void check_authority_id(DecodeContext& ctx, const std::string& path, std::string_view id);

// A uint that must be at least 1 (a seq, a certificate serial): 0 is invalid_field.
inline std::uint64_t read_positive(const Node& n) {
  const std::uint64_t v = n.as_uint();
  if (!n.context().failed() && v == 0) n.fail(Errc::invalid_field, "must be at least 1");
  return v;
}

// A refusal code (§12.3 Refused): at most `max_len` bytes, else too_large; 1..32 bytes of
// [a-z0-9_], else invalid_field.
inline std::string read_refusal_code(const Node& n, std::size_t max_len) {
  std::string code = n.as_str(max_len);
  if (!n.context().failed() && !valid_refusal_code(code))
    n.fail(Errc::invalid_field, "must be 1..32 bytes of [a-z0-9_]");
  return code;
}

}  // namespace aegis::protocol::detail
