// Identifier and field checks shared by every importer (validate.hpp). The identifier checks
// (DfE UPN guide, DfE ULN rule, NHS Data Dictionary modulus 11) live in protocol/ and are only
// delegated to here; the postcode rule is that of docs/csv-format.md "Validation" (Government
// Data Standards pattern with BS7666's inward letters). Reasons never repeat the value.
#include "aegis/adapters/validate.hpp"

#include <array>

#include "aegis/protocol/identifiers.hpp"

namespace aegis::adapters {

namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_upper(char c) { return c >= 'A' && c <= 'Z'; }

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

// The identifier checks are the protocol's (aegis/protocol/identifiers.hpp): one rule for what
// an importer reports and for what may become a match token.
Problem check_upn(std::string_view upn) { return protocol::check_upn(upn); }

Problem check_uln(std::string_view uln) { return protocol::check_uln(uln); }

Problem check_nhs_number(std::string_view nhs) { return protocol::check_nhs_number(nhs); }

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
