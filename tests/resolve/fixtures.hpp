// Helpers of the matching engine tests: children built field by field, tokens from short
// labels, a national id minter that counts.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "resolve/resolver.hpp"

namespace aegis::resolve::test {

// A token whose hash is derived from `label` (distinct labels, distinct tokens).
inline IdentifierToken token(IdentifierKind kind, const std::string& label) {
  IdentifierToken t;
  t.kind = kind;
  for (std::size_t i = 0; i < label.size() && i < t.hash.size(); ++i) {
    t.hash[i] = static_cast<std::uint8_t>(label[i]);
  }
  return t;
}

struct Child {
  std::string authority = "kent";
  std::string record_id = "r1";
  std::string given = "Olivia";
  std::string middle;
  std::string family = "Thompson";
  std::string dob = "2014-05-20";
  protocol::Gender gender = protocol::Gender::female;
  std::string postcode = "CT1 1AA";
  std::string line1 = "12 High Street";
  std::vector<std::string> locality;  // address lines after the first
  bool shielded = false;
  std::vector<IdentifierToken> tokens;
  std::vector<protocol::PersonName> former;

  MatchRecord record() const {
    protocol::ChildIdentity id;
    id.name = {given, middle, family};
    id.former_names = former;
    id.gender = gender;
    id.date_of_birth = *protocol::Date::parse(dob);
    protocol::ChildDetails details;
    if (!line1.empty() || !postcode.empty()) {
      std::vector<std::string> lines{line1};
      lines.insert(lines.end(), locality.begin(), locality.end());
      details.address = protocol::Address{lines, postcode};
    }
    return make_match_record(authority, record_id, id, shielded ? nullptr : &details, tokens);
  }
  RecordRef ref() const { return {authority, record_id}; }
};

// Mints N1, N2, ... (or another prefix) in order.
struct Minter {
  std::string prefix = "N";
  std::uint64_t next = 0;
  Resolver::MintId fn() {
    return [this] { return prefix + std::to_string(++next); };
  }
};

}  // namespace aegis::resolve::test
