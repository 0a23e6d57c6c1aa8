// The check rules of the child identifiers (docs/PROTOCOL.md §14.2): the DfE Unique Pupil
// Number's check letter, the Unique Learner Number's check digit and the NHS number's
// modulus 11. Pure functions over the normalised form of §3.8 (upper-case ASCII letters and
// digits, no spaces). Only an identifier that passes its check is ever turned into a match
// token (match.hpp): a mistyped number must never link two children. Importers (adapters/)
// use the same functions to report invalid identifiers.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace aegis::protocol {

// The kinds of identifier, with their codes in a match entry (§14).
enum class IdentifierKind : std::uint8_t {
  upn = 1,         // Unique Pupil Number
  uln = 2,         // Unique Learner Number
  nhs_number = 3,  // NHS number
};

// "upn", "uln", "nhs_number".
std::string_view identifier_kind_name(IdentifierKind kind) noexcept;

// Each check returns nullopt when the identifier is valid, else a short reason that never
// repeats the value ("check letter is wrong", "not 10 digits").
using IdentifierProblem = std::optional<std::string>;

// DfE Unique Pupil Number: 13 characters, check letter first (permanent and temporary forms).
IdentifierProblem check_upn(std::string_view upn);
// Unique Learner Number: 10 digits, weights 10..2, check digit.
IdentifierProblem check_uln(std::string_view uln);
// NHS number: 10 digits, modulus 11. Spaces as printed ("943 476 5919") are NOT accepted:
// normalise first.
IdentifierProblem check_nhs_number(std::string_view nhs);
// The check of `kind`.
IdentifierProblem check_identifier(IdentifierKind kind, std::string_view value);

}  // namespace aegis::protocol
