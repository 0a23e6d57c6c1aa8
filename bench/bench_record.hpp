// What the benchmarks share: the typical child record every benchmark signs and stores (two
// contacts, two involvements, about 400 bytes encoded; `name_variant` and `address_variant`
// vary the bytes so that records and versions differ; `shielded` adds a shield, so its details
// are sealed), record ids in random key order, and a wall-clock helper.
#pragma once

#include <chrono>
#include <cstdint>
#include <cstdio>
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

}  // namespace aegis::bench
