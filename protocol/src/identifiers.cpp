// The identifier check rules (identifiers.hpp; docs/PROTOCOL.md §14.2, docs/csv-format.md
// "Validation"): DfE UPN guide, DfE ULN rule, NHS Data Dictionary modulus 11. Reasons never
// repeat the value.
#include "aegis/protocol/identifiers.hpp"

namespace aegis::protocol {

namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }
int digit(char c) { return c - '0'; }

bool all_digits(std::string_view s) {
  for (char c : s)
    if (!is_digit(c)) return false;
  return true;
}

// The 23 UPN check letters (I, O and S are never used), in value order A=0 .. Z=22.
constexpr std::string_view kUpnLetters = "ABCDEFGHJKLMNPQRTUVWXYZ";

int upn_letter_value(char c) {
  const auto at = kUpnLetters.find(c);
  return at == std::string_view::npos ? -1 : static_cast<int>(at);
}

// Weights 10..2 over the first nine digits (ULN and NHS number share them).
int weighted_sum_10_to_2(std::string_view ten_digits) {
  int sum = 0;
  for (int i = 0; i < 9; ++i) sum += digit(ten_digits[static_cast<std::size_t>(i)]) * (10 - i);
  return sum;
}

}  // namespace

std::string_view identifier_kind_name(IdentifierKind kind) noexcept {
  switch (kind) {
    case IdentifierKind::upn: return "upn";
    case IdentifierKind::uln: return "uln";
    case IdentifierKind::nhs_number: return "nhs_number";
  }
  return "unknown";
}

IdentifierProblem check_upn(std::string_view upn) {
  if (upn.size() != 13) return "not 13 characters";
  const bool permanent = all_digits(upn.substr(1, 12));
  const bool temporary = all_digits(upn.substr(1, 11)) && upn_letter_value(upn[12]) >= 0;
  if (upn_letter_value(upn[0]) < 0 || !(permanent || temporary))
    return "not a letter, 11 digits, then a digit or a letter";
  int sum = 0;
  for (std::size_t k = 2; k <= 13; ++k) {
    const char c = upn[k - 1];
    const int value = is_digit(c) ? digit(c) : upn_letter_value(c);
    sum += value * static_cast<int>(k);
  }
  if (kUpnLetters[static_cast<std::size_t>(sum % 23)] != upn[0]) return "check letter is wrong";
  return std::nullopt;
}

IdentifierProblem check_uln(std::string_view uln) {
  if (uln.size() != 10 || !all_digits(uln)) return "not 10 digits";
  const int r = weighted_sum_10_to_2(uln) % 11;
  if (r == 0 || 10 - r != digit(uln[9])) return "check digit is wrong";
  return std::nullopt;
}

IdentifierProblem check_nhs_number(std::string_view nhs) {
  if (nhs.size() != 10 || !all_digits(nhs)) return "not 10 digits";
  int check = 11 - weighted_sum_10_to_2(nhs) % 11;
  if (check == 11) check = 0;
  if (check == 10 || check != digit(nhs[9])) return "check digit is wrong";
  return std::nullopt;
}

IdentifierProblem check_identifier(IdentifierKind kind, std::string_view value) {
  switch (kind) {
    case IdentifierKind::upn: return check_upn(value);
    case IdentifierKind::uln: return check_uln(value);
    case IdentifierKind::nhs_number: return check_nhs_number(value);
  }
  return "unknown identifier kind";
}

}  // namespace aegis::protocol
