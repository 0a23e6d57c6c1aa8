// What the matching engine knows of one record (docs/resolution.md, "Matching engine"):
// normalised names, gender, date of birth, identifier tokens and — only for records that are
// not shielded — postcode, first address line and the locality (the other address lines). Built once per record version; comparators
// and blocking read nothing else. The engine never sees a clear identifier: only tokens.
#pragma once

#include <array>
#include <compare>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "aegis/protocol/record.hpp"

namespace aegis::resolve {

// Which identifier a token was made from (values as in RecordPayload v2 match tokens).
enum class IdentifierKind : std::uint8_t { upn = 1, uln = 2, nhs_number = 3 };
inline constexpr std::size_t kIdentifierKinds = 3;
std::string_view identifier_kind_name(IdentifierKind k) noexcept;  // "upn", "uln", "nhs_number"

// An opaque keyed hash of one VALID identifier (made by the authority; the engine only
// compares tokens for equality).
struct IdentifierToken {
  IdentifierKind kind = IdentifierKind::upn;
  std::array<std::uint8_t, 16> hash{};
  auto operator<=>(const IdentifierToken&) const = default;
};

// A record as the index names it: (authority, record id) is unique.
struct RecordRef {
  std::string authority_id;
  std::string record_id;
  auto operator<=>(const RecordRef&) const = default;
};

// A name normalised for comparison.
struct MatchName {
  std::string given;   // first given name only, normalised ("mary-jane" -> "mary jane")
  std::string family;  // whole family name, normalised
  auto operator<=>(const MatchName&) const = default;
};

struct MatchRecord {
  RecordRef ref;
  MatchName name;
  std::string middle;                 // normalised; may be empty
  std::vector<MatchName> former;      // former names, normalised
  protocol::Gender gender = protocol::Gender::not_known;
  protocol::Date date_of_birth;
  bool clear = false;                 // address fields come from a non-shielded record
  std::string postcode;               // normalised, no spaces ("LS14AP"); empty: unknown/shielded
  std::string outward;                // outward code when the postcode has one ("LS1")
  std::string address_line;           // first address line, normalised; empty: unknown/shielded
  std::string locality;               // the other address lines (area, town, county), each
                                      // normalised, joined by " | "; empty: none/shielded
  std::vector<IdentifierToken> tokens;  // sorted, duplicates removed
  bool operator==(const MatchRecord&) const = default;
};

// Builds the engine's view of a record. `clear_details` is nullptr for a shielded record (its
// details are sealed: the index cannot read them); otherwise only its address is read — its
// clear identifiers are ignored, `tokens` carry them.
MatchRecord make_match_record(std::string_view authority_id, std::string_view record_id,
                              const protocol::ChildIdentity& identity,
                              const protocol::ChildDetails* clear_details,
                              std::vector<IdentifierToken> tokens);

// Lower case, Latin accents folded to their base letter (é -> e, ß -> ss), apostrophes and
// dots dropped, other punctuation and runs of spaces made one space, trimmed. Other
// non-ASCII characters are kept as they are.
std::string normalise_text(std::string_view s);
// Upper case, letters and digits only ("ls1 4ap" -> "LS14AP").
std::string normalise_postcode_key(std::string_view s);

}  // namespace aegis::resolve
