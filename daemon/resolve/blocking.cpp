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
  // A date of birth is shared by about 1/6500 of all children: it blocks with both names (the
  // Soundex code or first 3 letters of one, the initial of the other, in either order so
  // swapped names meet), so blocks do not grow with the population.
  const std::string given_name(canon);
  const std::string& family_name = r.name.family;
  auto date_keys = [&](const std::string& one, const std::string& other) {
    if (one.empty()) return;
    const std::string initial = other.substr(0, 1);
    keys.push_back(hash_key("ds|" + date + '|' + soundex(one) + '|' + initial));
    keys.push_back(hash_key("d3|" + date + '|' + one.substr(0, 3) + '|' + initial));
  };
  date_keys(family_name, given_name);
  date_keys(given_name, family_name);
  for (const MatchName& f : r.former) date_keys(f.family, given_name);
  if (!family.empty() && !given.empty()) {
    // Two of the three date parts + both names, so one wrong part still meets.
    const std::string pair = std::min(family, given) + '|' + std::max(family, given);
    const std::string month = std::to_string(r.date_of_birth.month);
    const std::string day = std::to_string(r.date_of_birth.day);
    keys.push_back(hash_key("ym|" + year + '|' + month + '|' + pair));
    keys.push_back(hash_key("yd|" + year + '|' + day + '|' + pair));
    keys.push_back(hash_key("md|" + month + '|' + day + '|' + pair));
  }
  if (!r.postcode.empty()) {
    // The district (or, without one, the whole postcode) + date of birth: both names may be
    // wrong.
    keys.push_back(hash_key("dp|" + date + '|' + (r.outward.empty() ? r.postcode : r.outward)));
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
