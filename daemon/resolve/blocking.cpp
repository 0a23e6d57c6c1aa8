// Blocking keys of a record (see blocking.hpp for the families and what each one catches).
#include "resolve/blocking.hpp"

#include <algorithm>
#include <string>
#include <string_view>

#include "resolve/compare.hpp"

namespace aegis::resolve {

namespace {

// FNV-1a, 64 bits, over a key's parts as if they were one string (stable across runs and
// platforms): no string is built for a key (1.3 µs a record went to building ~15 of them).
class KeyHash {
 public:
  void add(std::string_view s) {
    for (char c : s) add(c);
  }
  void add(char c) {
    h_ ^= static_cast<unsigned char>(c);
    h_ *= 0x100000001b3ull;
  }
  std::uint64_t value() const { return h_; }

 private:
  std::uint64_t h_ = 0xcbf29ce484222325ull;
};

// Two parts in either order, as one: "min|max" (so swapped names give one key).
struct Unordered {
  std::string_view a, b;
};

void add_part(KeyHash& h, std::string_view s) { h.add(s); }
void add_part(KeyHash& h, char c) { h.add(c); }
void add_part(KeyHash& h, const Unordered& u) {
  h.add(std::min(u.a, u.b));
  h.add('|');
  h.add(std::max(u.a, u.b));
}

// A key of the kind "xx" (two letters naming its key family, blocking.hpp) with its parts:
// the hash of "xx|part|part...".
template <class... Parts>
std::uint64_t key(std::string_view kind, const Parts&... parts) {
  KeyHash h;
  h.add(kind);
  ((h.add('|'), add_part(h, parts)), ...);
  return h.value();
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
  keys.reserve(16);
  for (const IdentifierToken& t : r.tokens) {
    KeyHash h;
    h.add('t');
    h.add(static_cast<char>(t.kind));
    h.add(std::string_view(reinterpret_cast<const char*>(t.hash.data()), t.hash.size()));
    keys.push_back(h.value());
  }
  const std::string date = unordered_date(r.date_of_birth);
  const std::string year = std::to_string(r.date_of_birth.year);
  const std::string family = soundex(r.name.family);
  const std::string_view given_name = canonical_given(r.name.given);
  const std::string given = soundex(given_name);
  const std::string_view family_name = r.name.family;
  auto first3 = [](std::string_view s) { return s.substr(0, 3); };
  auto last3 = [](std::string_view s) { return s.substr(s.size() > 3 ? s.size() - 3 : 0); };
  // A date of birth is shared by about 1/6500 of all children: it blocks with both names, as
  // Soundex codes or as first 3 letters (unordered, so swapped names meet; a typo changes at
  // most one of the two forms of a name). Not a name's Soundex code with the other's initial:
  // those blocks grew with the population.
  auto date_keys = [&](std::string_view family_or_former) {
    if (family_or_former.empty() && given_name.empty()) return;
    keys.push_back(key("ds", date, Unordered{soundex(family_or_former), given}));
    keys.push_back(key("d3", date, Unordered{first3(family_or_former), first3(given_name)}));
  };
  date_keys(family_name);
  for (const MatchName& f : r.former) date_keys(f.family);
  // A typo in the first letters of one name changes both of its forms above: the date + the
  // other name whole + the last 3 letters of the typo'd one still meet (unordered: swapped
  // names too). As specific as a date and a whole name: these blocks stay about one child.
  const std::string_view raw_given = r.name.given;
  if (!family_name.empty() && !raw_given.empty()) {
    keys.push_back(key("dt", date, Unordered{family_name, last3(raw_given)}));
    keys.push_back(key("dt", date, Unordered{raw_given, last3(family_name)}));
  }
  // A typo inside a short given name can change its Soundex code and its first and last 3
  // letters at once ("Simon" / "Siyon", "Beth" / "Beht"): the date + the gender + the family
  // (or a former family) name whole + the given name's initial, as written (a nickname with a
  // typo keeps its initial), still meet. About 1/30 of a family's children born on a day.
  // Not the other way round (the given name whole + the family's initial): given names are
  // far fewer than family names: at 1M children that block found 2,500 more false review
  // pairs for 19 true ones.
  const char sex = static_cast<char>('0' + static_cast<int>(r.gender) % 10);
  auto initial_key = [&](std::string_view family_or_former) {
    if (family_or_former.empty() || raw_given.empty()) return;
    keys.push_back(key("di", date, sex, family_or_former, raw_given.front()));
  };
  initial_key(family_name);
  for (const MatchName& f : r.former) initial_key(f.family);
  if (!family_name.empty() && !given_name.empty()) {
    // Two of the three date parts + both whole names (the given name by its variant group),
    // unordered so swapped names meet: one wrong part of the date still meets. Whole names,
    // not Soundex codes: a year and month of births is 1/216 of all children, and a pair of
    // Soundex codes too common a share of them — such blocks grew with the population.
    const Unordered pair{family_name, given_name};
    const std::string month = std::to_string(r.date_of_birth.month);
    const std::string day = std::to_string(r.date_of_birth.day);
    keys.push_back(key("ym", year, month, pair));
    keys.push_back(key("yd", year, day, pair));
    keys.push_back(key("md", month, day, pair));
  }
  const std::string_view postcode = r.postcode;
  if (postcode.size() >= 4) {
    // The date + the postcode less its last, or its first, character: a typo in the postcode
    // (FEBRL's four digits have no district) with a name replaced still meets. As specific as
    // a date and a street: these blocks stay about one child.
    keys.push_back(key("dp", date, postcode.substr(0, postcode.size() - 1)));
    keys.push_back(key("dq", date, postcode.substr(1)));
  }
  if (!postcode.empty()) {
    keys.push_back(key("py", postcode, year));
    // Postcode + either name's Soundex (one key family: swapped names meet).
    if (!family.empty()) keys.push_back(key("pn", postcode, family));
    if (!given.empty()) keys.push_back(key("pn", postcode, given));
  }
  // "1 High Street" is in thousands of towns: an address line only blocks with its district
  // (or, for postcodes without one, with the family name).
  if (!r.address_line.empty() && !r.outward.empty()) {
    keys.push_back(key("ao", r.address_line, r.outward));
  } else if (!r.address_line.empty()) {
    keys.push_back(key("ay", r.address_line, year));
    if (!family.empty()) keys.push_back(key("af", r.address_line, family));
  }
  std::sort(keys.begin(), keys.end());
  keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
  return keys;
}

}  // namespace aegis::resolve
