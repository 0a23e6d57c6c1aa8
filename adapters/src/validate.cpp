// Identifier and field checks shared by every importer (validate.hpp). Algorithms and the
// postcode rule are those of docs/csv-format.md "Validation" (DfE UPN guide, DfE ULN rule, NHS
// Data Dictionary modulus 11, Government Data Standards postcode pattern with BS7666's inward
// letters). Reasons never repeat the value.
#include "aegis/adapters/validate.hpp"

#include <array>

namespace aegis::adapters {

namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_upper(char c) { return c >= 'A' && c <= 'Z'; }
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

// Postcode outward code (district): A9, A99, AA9, AA99, A9A, AA9A, where the second letter
// of a two-letter area is never I or Z (Government Data Standards pattern).
bool valid_outward(std::string_view o) {
  auto second_letter = [](char c) { return is_upper(c) && c != 'I' && c != 'Z'; };
  switch (o.size()) {
    case 2:
      return is_upper(o[0]) && is_digit(o[1]);
    case 3:
      return is_upper(o[0]) && ((is_digit(o[1]) && (is_digit(o[2]) || is_upper(o[2]))) ||
                                (second_letter(o[1]) && is_digit(o[2])));
    case 4:
      return is_upper(o[0]) && second_letter(o[1]) && is_digit(o[2]) &&
             (is_digit(o[3]) || is_upper(o[3]));
    default:
      return false;
  }
}

// Inward code: a digit and two letters, never C, I, K, M, O or V (BS7666).
bool valid_inward(std::string_view i) {
  auto letter = [](char c) {
    return is_upper(c) && std::string_view("CIKMOV").find(c) == std::string_view::npos;
  };
  return i.size() == 3 && is_digit(i[0]) && letter(i[1]) && letter(i[2]);
}

// The date `years` years after `d`, as a comparable triple (29 February stays 29 February,
// which compares after 28 February and before 1 March of a common year, as it should).
std::array<int, 3> years_after(const protocol::Date& d, int years) {
  return {d.year + years, d.month, d.day};
}

std::array<int, 3> triple(const protocol::Date& d) { return {d.year, d.month, d.day}; }

}  // namespace

std::string normalise_identifier(std::string_view raw) {
  std::string out;
  out.reserve(raw.size());
  for (char c : raw) {
    if (c == ' ' || c == '\t') continue;
    out.push_back(c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c);
  }
  return out;
}

Problem check_upn(std::string_view upn) {
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

Problem check_uln(std::string_view uln) {
  if (uln.size() != 10 || !all_digits(uln)) return "not 10 digits";
  const int r = weighted_sum_10_to_2(uln) % 11;
  if (r == 0 || 10 - r != digit(uln[9])) return "check digit is wrong";
  return std::nullopt;
}

Problem check_nhs_number(std::string_view nhs) {
  if (nhs.size() != 10 || !all_digits(nhs)) return "not 10 digits";
  int check = 11 - weighted_sum_10_to_2(nhs) % 11;
  if (check == 11) check = 0;
  if (check == 10 || check != digit(nhs[9])) return "check digit is wrong";
  return std::nullopt;
}

Problem check_postcode(std::string_view postcode) {
  const auto space = postcode.find(' ');
  if (space == std::string_view::npos || postcode.size() - space != 4)
    return "not in the official form (outward code, one space, inward code)";
  if (postcode == "GIR 0AA") return std::nullopt;
  if (!valid_outward(postcode.substr(0, space)))
    return "outward code is not a UK postcode district";
  if (!valid_inward(postcode.substr(space + 1)))
    return "inward code is not a digit and two letters other than C I K M O V";
  return std::nullopt;
}

std::optional<std::string> normalise_postcode(std::string_view raw) {
  const std::string squashed = normalise_identifier(raw);
  if (squashed.size() < 5 || squashed.size() > 7) return std::nullopt;
  const std::size_t outward = squashed.size() - 3;
  std::string s = squashed.substr(0, outward) + " " + squashed.substr(outward);
  if (check_postcode(s)) return std::nullopt;
  return s;
}

Problem check_date_of_birth(const protocol::Date& dob, const protocol::Date& today) {
  if (auto p = check_not_future(dob, today)) return p;
  if (years_after(dob, 25) < triple(today)) return "more than 25 years ago";
  return std::nullopt;
}

Problem check_not_future(const protocol::Date& d, const protocol::Date& today) {
  if (!d.valid()) return "not a real date";
  if (today < d) return "date is in the future";
  return std::nullopt;
}

}  // namespace aegis::adapters
