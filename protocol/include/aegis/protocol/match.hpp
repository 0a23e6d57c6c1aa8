// Match tokens (docs/PROTOCOL.md §14): keyed tokens of a child's valid identifiers, carried in
// every RecordPayload of version 2, so the index can link records that share an identifier by
// token equality without ever holding the number itself (a UPN encodes the issuing authority
// and school).
//
//   match = [ key_id, [ [kind, token], ... ] ]      0..3 entries, kinds strictly ascending
//   token = BLAKE2b (16-byte output) keyed by the 32-byte national matching key over
//           "AEGIS-MATCH-V1" || 0x00 || kind (one byte) || normalised identifier
//
// The matching key is held by the authorities (keys::MatchingKey), never by the index:
// protocol/ computes the input bytes and asks a MatchTokenizer for the keyed hash, the way it
// asks a Signer for a signature.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "aegis/protocol/bytes.hpp"
#include "aegis/protocol/identifiers.hpp"
#include "aegis/protocol/record.hpp"

namespace aegis::protocol {

inline constexpr std::string_view kDomainMatch = "AEGIS-MATCH-V1";
inline constexpr std::size_t kMatchTokenSize = 16;   // BLAKE2b output, bytes
inline constexpr std::size_t kMatchingKeySize = 32;  // the national matching key, bytes
inline constexpr std::size_t kMaxMatchEntries = 3;   // one per IdentifierKind

using MatchToken = ByteArray<kMatchTokenSize>;

// One identifier, as a token.
struct MatchEntry {
  IdentifierKind kind = IdentifierKind::upn;
  MatchToken token{};
  bool operator==(const MatchEntry&) const = default;
};

// The tokens of one record's valid identifiers, under matching key `key_id`.
struct MatchTokens {
  std::uint64_t key_id = 0;          // >= 1: the matching key's version (rotation)
  std::vector<MatchEntry> entries;   // 0..3, kinds strictly ascending
  bool operator==(const MatchTokens&) const = default;
  // The token of `kind`, or nullptr when the record has none.
  const MatchToken* find(IdentifierKind kind) const;
};

// Computes keyed tokens with a matching key it keeps to itself (implemented in keys/).
class MatchTokenizer {
 public:
  virtual ~MatchTokenizer() = default;
  // The version of the key (>= 1), carried as MatchTokens::key_id.
  virtual std::uint64_t key_id() const = 0;
  // BLAKE2b with a 16-byte output keyed by the matching key over exactly `input` (callers
  // pass match_input(...)).
  virtual MatchToken token(ByteView input) const = 0;
};

// The exact bytes a token is computed over: "AEGIS-MATCH-V1" || 0x00 || kind || identifier.
Bytes match_input(IdentifierKind kind, std::string_view identifier);

// The tokens of the identifiers of `details` that pass their check (identifiers.hpp), in kind
// order; an absent or invalid identifier gets none.
MatchTokens make_match_tokens(const ChildDetails& details, const MatchTokenizer& tokenizer);

class Writer;
class Node;
void write_match_tokens(Writer& w, const MatchTokens& m);
// Reads and checks `match` (§14.1): malformed shape, key_id 0, an unknown kind, kinds not
// strictly ascending, a token not 16 bytes; errors name the field path.
MatchTokens read_match_tokens(const Node& n);

}  // namespace aegis::protocol
