// Blocking keys of a record (see blocking.hpp for the families and what each one catches).
#include "resolve/blocking.hpp"

#include <algorithm>
#include <string>
#include <string_view>

#include "resolve/compare.hpp"

namespace aegis::resolve {

namespace {

// FNV-1a, 64 bits: stable across runs and platforms.
std::uint64_t hash_key(std::string_view s) {
  std::uint64_t h = 0xcbf29ce484222325ull;
  for (char c : s) {
    h ^= static_cast<unsigned char>(c);
    h *= 0x100000001b3ull;
  }
  return h;
}

// "YYYY|dd|dd" with day and month in ascending order.
std::string unordered_date(const protocol::Date& d) {
  const int lo = std::min(d.day, d.month);
  const int hi = std::max(d.day, d.month);
  return std::to_string(d.year) + '|' + std::to_string(lo) + '|' + std::to_string(hi);
}

}  // namespace

std::vector<std::uint64_t> blocking_keys(const MatchRecord& r) {
  std::vector<std::uint64_t> keys;
  for (const IdentifierToken& t : r.tokens) {
    std::string k = "t";
    k.push_back(static_cast<char>(t.kind));
    k.append(reinterpret_cast<const char*>(t.hash.data()), t.hash.size());
    keys.push_back(hash_key(k));
  }
  const std::string date = unordered_date(r.date_of_birth);
  const std::string year = std::to_string(r.date_of_birth.year);
  const std::string family = soundex(r.name.family);
  const std::string_view canon = canonical_given(r.name.given);
  const std::string given = soundex(canon);
  // A date of birth is shared by about 1/6500 of all children: it blocks with both names, as
  // Soundex codes or as first 3 letters (unordered, so swapped names meet; a typo changes at
  // most one of the two forms of a name). Not a name's initial: a date and a family name with
  // an initial were blocks that grew with the population.
  const std::string given_name(canon);
  const std::string& family_name = r.name.family;
  auto unordered = [](const std::string& x, const std::string& y) {
    return std::min(x, y) + '|' + std::max(x, y);
  };
  auto date_keys = [&](const std::string& family_or_former) {
    if (family_or_former.empty() && given_name.empty()) return;
    keys.push_back(hash_key("ds|" + date + '|' + unordered(soundex(family_or_former), given)));
    keys.push_back(hash_key("d3|" + date + '|' +
                            unordered(family_or_former.substr(0, 3), given_name.substr(0, 3))));
  };
  date_keys(family_name);
  for (const MatchName& f : r.former) date_keys(f.family);
  // A typo in the first letters of one name changes both of its forms above: the date + the
  // other name whole + the last 3 letters of the typo'd one still meet (unordered: swapped
  // names too). As specific as a date and a whole name: these blocks stay about one child.
  const std::string& raw_given = r.name.given;
  if (!family_name.empty() && !raw_given.empty()) {
    auto last3 = [](const std::string& s) { return s.substr(s.size() > 3 ? s.size() - 3 : 0); };
    keys.push_back(hash_key("dt|" + date + '|' + unordered(family_name, last3(raw_given))));
    keys.push_back(hash_key("dt|" + date + '|' + unordered(raw_given, last3(family_name))));
  }
  if (!family_name.empty() && !given_name.empty()) {
    // Two of the three date parts + both whole names (the given name by its variant group),
    // unordered so swapped names meet: one wrong part of the date still meets. Whole names,
    // not Soundex codes: a year and month of births is 1/216 of all children, and a pair of
    // Soundex codes too common a share of them — such blocks grew with the population.
    const std::string pair = std::min(family_name, given_name) + '|' +
                             std::max(family_name, given_name);
    const std::string month = std::to_string(r.date_of_birth.month);
    const std::string day = std::to_string(r.date_of_birth.day);
    keys.push_back(hash_key("ym|" + year + '|' + month + '|' + pair));
    keys.push_back(hash_key("yd|" + year + '|' + day + '|' + pair));
    keys.push_back(hash_key("md|" + month + '|' + day + '|' + pair));
  }
  if (r.postcode.size() >= 4) {
    // The date + the postcode less its last, or its first, character: a typo in the postcode
    // (FEBRL's four digits have no district) with a name replaced still meets. As specific as
    // a date and a street: these blocks stay about one child.
    keys.push_back(hash_key("dp|" + date + '|' + r.postcode.substr(0, r.postcode.size() - 1)));
    keys.push_back(hash_key("dq|" + date + '|' + r.postcode.substr(1)));
  }
  if (!r.postcode.empty()) {
    keys.push_back(hash_key("py|" + r.postcode + '|' + year));
    // Postcode + either name's Soundex (one key family: swapped names meet).
    if (!family.empty()) keys.push_back(hash_key("pn|" + r.postcode + '|' + family));
    if (!given.empty()) keys.push_back(hash_key("pn|" + r.postcode + '|' + given));
  }
  // "1 High Street" is in thousands of towns: an address line only blocks with its district
  // (or, for postcodes without one, with the family name).
  if (!r.address_line.empty() && !r.outward.empty()) {
    keys.push_back(hash_key("ao|" + r.address_line + '|' + r.outward));
  } else if (!r.address_line.empty()) {
    keys.push_back(hash_key("ay|" + r.address_line + '|' + year));
    if (!family.empty()) keys.push_back(hash_key("af|" + r.address_line + '|' + family));
  }
  std::sort(keys.begin(), keys.end());
  keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
  return keys;
}

}  // namespace aegis::resolve
