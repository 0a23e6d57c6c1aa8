// Identifier and field checks shared by every importer (docs/adapters.md, "Validation").
// Each check returns nullopt when the value is acceptable, else a short reason that never
// repeats the value ("check letter is wrong", "not 10 digits").
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "aegis/protocol/record.hpp"

namespace aegis::adapters {

using Problem = std::optional<std::string>;

// UPN, ULN, NHS number as stored (protocol §3): ASCII letters upper-cased, spaces and tabs
// removed ("943 476 5919" -> "9434765919"). Other characters are kept for the checks to refuse.
std::string normalise_identifier(std::string_view raw);

// DfE Unique Pupil Number: 13 characters, check letter first (permanent and temporary forms).
Problem check_upn(std::string_view upn);
// Unique Learner Number: 10 digits, weights 10..2, check digit.
Problem check_uln(std::string_view uln);
// NHS number: 10 digits, modulus 11. Spaces as printed ("943 476 5919") are NOT accepted here:
// normalise first.
Problem check_nhs_number(std::string_view nhs);
// UK postcode in its official form (outward, one space, inward; upper case after normalising).
Problem check_postcode(std::string_view postcode);
// Upper-cases and puts the one space before the inward code; nullopt when it cannot be a postcode.
std::optional<std::string> normalise_postcode(std::string_view raw);
// A child's date of birth: not after `today`, and no more than 25 years before it.
Problem check_date_of_birth(const protocol::Date& dob, const protocol::Date& today);
// Any other date of the record (start/end of an involvement, death): not after `today`.
Problem check_not_future(const protocol::Date& d, const protocol::Date& today);

}  // namespace aegis::adapters
