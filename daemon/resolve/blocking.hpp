// Blocking (docs/resolution.md, "Blocking"): the keys under which a record is filed. Only
// records sharing a key are compared, so compared pairs grow about linearly with records.
// Keys are 64-bit hashes of short strings; each key family covers errors the others miss.
#pragma once

#include <cstdint>
#include <vector>

#include "resolve/features.hpp"

namespace aegis::resolve {

// The record's blocking keys, sorted, duplicates removed:
//   token     each identifier token (kind and hash)
//   date      date of birth (day and month unordered, so a transposed date lands in the same
//             block) + the Soundex codes, or the first 3 letters, of both names (given name by
//             its variant group; family or a former family), unordered so swapped names meet
//   names     two of the three parts of the date of birth (year+month, year+day, month+day)
//             + the two Soundex codes of given (variant group) and family, unordered: one
//             wrong part of the date, names swapped. Never names alone, nor a whole year of
//             births: such blocks grow with the population (compared pairs would not stay
//             linear)
//   tail      date of birth + one name whole + the last 3 letters of the other, both ways
//             round (unordered): a typo in a name's first letters changes its Soundex code
//             and first 3 letters at once
//   initial   date of birth + gender + family (or former family) name whole + the given
//             name's initial: a typo inside a short given name changes its Soundex code and
//             its first and last 3 letters at once. Not the given name whole + the family's
//             initial (given names are few: that block grew the review queue, not the links)
//   near home date of birth + the postcode less its last, or its first, character: a
//             postcode typo with a name replaced (clear records only)
//   postcode  postcode + birth year; postcode + the Soundex code of either name (clear records
//             only)
//   address   first address line + outward code of the postcode; when the postcode has no
//             outward code (not a UK one), first address line + birth year and + Soundex of the
//             family name (clear records only)
std::vector<std::uint64_t> blocking_keys(const MatchRecord& r);

}  // namespace aegis::resolve
