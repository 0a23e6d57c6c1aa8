// What the benchmarks share: the typical child record every benchmark signs and stores (two
// contacts, two involvements, about 400 bytes encoded; `name_variant` and `address_variant`
// vary the bytes so that records and versions differ; `shielded` adds a shield, so its details
// are sealed), distinct synthetic children (synthetic_child), record ids in random key order,
// and a wall-clock helper.
#pragma once

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <iterator>
#include <string>

#include "aegis/protocol/envelope.hpp"
#include "aegis/protocol/match.hpp"
#include "aegis/protocol/record.hpp"

namespace aegis::bench {

using Clock = std::chrono::steady_clock;

inline double seconds_since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

// The payload an authority's store builds for a record that is not shielded: version 2, with
// the match tokens of its valid identifiers.
inline protocol::RecordPayload clear_payload(const protocol::ChildRecord& r,
                                             const protocol::MatchTokenizer& tokenizer) {
  // As make_payload sends a clear record (PROTOCOL.md §6.2): identifiers only as tokens.
  return protocol::RecordPayload{r.identity, protocol::without_identifiers(r.details),
                                 protocol::make_match_tokens(r.details, tokenizer)};
}

inline std::uint64_t mix(std::uint64_t x) {  // splitmix64
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

// Record ids in random key order ("B" + 16 hex digits), distinct per authority and number
// (n < 2^44).
inline std::string record_id(std::uint64_t authority, std::uint64_t n) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "B%016llX",
                static_cast<unsigned long long>(mix(authority << 44 | n)));
  return buf;
}

inline protocol::ChildRecord typical_child(const std::string& record_id,
                                           std::uint64_t name_variant = 0,
                                           std::uint64_t address_variant = 0,
                                           bool shielded = false) {
  using namespace protocol;
  ChildRecord r;
  r.record_id = record_id;
  r.identity.name = {"Olivia", "Grace", "Thompson-" + std::to_string(name_variant % 100000)};
  r.identity.gender = Gender::female;
  r.identity.date_of_birth = *Date::parse("2014-05-20");
  r.details.address =
      Address{{std::to_string(address_variant % 300 + 1) + " High Street", "Canterbury"}, "CT1 1AA"};
  r.details.upn = "A123456789012";
  r.details.nhs_number = "9434765919";
  Contact c;
  c.name = {"Emma", "", "Thompson"};
  c.relationship = "mother";
  c.parental_responsibility = true;
  c.phones = {"07700 900001"};
  c.address_as_child = true;
  r.details.contacts = {c, c};
  Involvement s;
  s.kind = InvolvementKind::educational_setting;
  s.organisation = "St Mary's Primary";
  s.role = "class teacher";
  r.details.involvements = {s, s};
  if (shielded) r.details.shield = Shield{1, "SO-1", *Date::parse("2024-01-01")};
  return r;
}

// A valid NHS number (modulus 11 check digit) of its own for child `n` (n < 9 * 10^7): the
// first valid one of the ten stems 10n .. 10n + 9 (at most one of ten has no check digit).
inline std::string nhs_number(std::uint64_t n) {
  for (std::uint64_t k = n * 10;; ++k) {
    const std::string s = std::to_string(100'000'000 + k);
    int sum = 0;
    for (std::size_t i = 0; i < 9; ++i) sum += (s[i] - '0') * (10 - static_cast<int>(i));
    const int check = 11 - sum % 11;
    if (check == 10) continue;
    return s + static_cast<char>('0' + (check == 11 ? 0 : check));
  }
}

// Child number `n` (n < 9 * 10^7) as a distinct synthetic child: a given name from a pool of
// 40, a made-up family name (560), a date of birth over 18 years, a valid NHS number of its
// own, and otherwise the typical record's size. `version` varies the address (a move, or the
// same child as recorded by a second authority) among 602,316 postcodes (99 districts × 9 × 26
// × 26: at England's 11M children about 18 a postcode, near the real ~6–15; until 2026-11-27
// only 891, which at 1M put 1,100 children in a postcode and 60 in a postcode's birth year, a
// block the index compared every new record with). Unlike typical_child, two children are
// rarely alike, as in real data: what the index's resolution meets at scale.
inline protocol::ChildRecord synthetic_child(std::uint64_t n, std::uint64_t version,
                                             const std::string& record_id) {
  static const char* const kGiven[] = {
      "Olivia", "Amelia", "Isla",   "Ava",     "Mia",    "Ivy",    "Lily",   "Freya",
      "Grace",  "Sophia", "Emily",  "Poppy",   "Ella",   "Evie",   "Noah",   "Oliver",
      "George", "Arthur", "Muhammad", "Leo",   "Harry",  "Oscar",  "Archie", "Henry",
      "Theodore", "Jack", "Charlie", "Freddie", "Alfie", "Thomas", "Aisha",  "Zara",
      "Priya",  "Kai",    "Ethan",  "Reuben",  "Niamh",  "Orla",   "Fatima", "Yusuf"};
  static const char* const kStart[] = {"Ash",  "Black", "Brad", "Brook", "Card", "Chad", "Dun",
                                       "Ell",  "Fair",  "Gold", "Green", "Hart", "Holl", "Kings",
                                       "Lang", "Mar",   "Mill", "New",   "Oak",  "Pen",  "Red",
                                       "Rad",  "Shel",  "Stan", "Thorn", "Wake", "Whit", "Wood"};
  static const char* const kEnd[] = {"ford",  "well",  "ton",    "ley",  "field", "by",   "wood",
                                     "worth", "more",  "stone",  "ham",  "bridge", "wick", "dale",
                                     "hurst", "combe", "shaw",   "thorpe", "land", "gate"};
  static constexpr std::uint64_t kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const std::uint64_t h = mix(n + 1);
  protocol::ChildRecord r = typical_child(record_id, n, version);
  r.identity.name = {kGiven[h % std::size(kGiven)], "",
                     std::string(kStart[(h >> 8) % std::size(kStart)]) +
                         kEnd[(h >> 16) % std::size(kEnd)]};
  r.identity.gender = (h >> 24 & 1) ? protocol::Gender::male : protocol::Gender::female;
  protocol::Date& dob = r.identity.date_of_birth;
  dob.year = static_cast<std::uint16_t>(2008 + (h >> 32) % 18);
  dob.month = static_cast<std::uint8_t>(1 + (h >> 40) % 12);
  dob.day = static_cast<std::uint8_t>(1 + (h >> 48) % kDays[dob.month - 1]);
  const std::uint64_t home = mix(h + version);
  r.details.address = protocol::Address{
      {std::to_string(home % 200 + 1) + " " + kStart[(home >> 8) % std::size(kStart)] + " Road"},
      "AB" + std::to_string((home >> 16) % 99 + 1) + " " + std::to_string((home >> 24) % 9 + 1) +
          static_cast<char>('A' + (home >> 32) % 26) + static_cast<char>('A' + (home >> 40) % 26)};
  r.details.upn.reset();
  r.details.nhs_number = nhs_number(n);
  return r;
}

}  // namespace aegis::bench
