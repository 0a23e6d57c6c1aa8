// Field comparators (docs/resolution.md, "Comparators"): string similarity, the nickname and
// spelling-variant table, and one function per field that says how well two records agree on
// it, as a Level. Scoring (score.hpp) turns levels into weights.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "resolve/features.hpp"

namespace aegis::resolve {

// The fields a pair is compared on, in the order evidence lists them.
enum class Field : std::uint8_t {
  upn,
  uln,
  nhs_number,
  given_name,
  family_name,
  name_order,     // agree: names in their places; swapped: given and family exchanged
  date_of_birth,
  gender,
  postcode,
  address_line,
  middle_name,    // agree / similar / close / initial / disagree; missing unless both have one
  locality,       // the address lines after the first (area, town, county)
};
inline constexpr std::size_t kFields = 12;
std::string_view field_name(Field f) noexcept;  // "upn", "given_name", ...

// How well two values agree. Each field uses some of these (docs/resolution.md lists which).
enum class Level : std::uint8_t {
  missing,     // one side or both have no value (or cannot show it: shielded): weight 0
  agree,       // the same after normalisation
  variant,     // given names: nickname/spelling variant, or one's given is the other's middle
  similar,     // Jaro-Winkler >= 0.92 or one edit apart (4+ characters); family: one is a
               // word of the other
  close,       // Jaro-Winkler >= 0.85; postcode: one edit apart (a typo)
  initial,     // given names: one is the other's initial
  transposed,  // date of birth: day and month exchanged
  one_part,    // date of birth: two of year, month, day agree
  outward,     // postcode: same outward code (district), different inward
  swapped,     // name order: given and family names exchanged
  disagree,
};
inline constexpr std::size_t kLevels = 11;
std::string_view level_name(Level l) noexcept;  // "missing", "agree", ...

// Jaro-Winkler similarity in [0, 1] over bytes (prefix scale 0.1, prefix up to 4).
double jaro_winkler(std::string_view a, std::string_view b) noexcept;
// American Soundex of the letters of `s` ("robert" -> "R163"); empty when `s` has no letter.
std::string soundex(std::string_view s);

// True when a and b differ by one substitution, insertion, deletion or exchange of two
// neighbouring characters (not when they are equal).
bool one_edit_apart(std::string_view a, std::string_view b) noexcept;

// True when two normalised given names are in one group of the variant table (nicknames.cpp).
bool name_variants(std::string_view a, std::string_view b);
// The name that stands for a given name's first variant group ("bill" -> "william"), or the
// name itself when it is in none. Used as a blocking key.
std::string_view canonical_given(std::string_view given);

Level compare_given(const MatchRecord& a, const MatchRecord& b);
Level compare_family(const MatchRecord& a, const MatchRecord& b);  // current and former names
Level compare_text(std::string_view a, std::string_view b);        // agree/similar/close/disagree
Level compare_date_of_birth(const protocol::Date& a, const protocol::Date& b);
Level compare_gender(protocol::Gender a, protocol::Gender b);
Level compare_postcode(const MatchRecord& a, const MatchRecord& b);
Level compare_address_line(const MatchRecord& a, const MatchRecord& b);
Level compare_middle(const MatchRecord& a, const MatchRecord& b);
// agree: the same lines; similar/close: Jaro-Winkler of the joined lines, or (close) one whole
// line shared (the same town, another area); disagree: nothing shared.
Level compare_locality(const MatchRecord& a, const MatchRecord& b);
// Per identifier kind: agree when a token is shared, disagree when both have tokens of that
// kind and none is shared, else missing.
Level compare_identifier(const MatchRecord& a, const MatchRecord& b, IdentifierKind kind);

}  // namespace aegis::resolve
