// The child record model (docs/PROTOCOL.md §3) and its canonical encoding.
//
// A record is split in two on purpose:
//   ChildIdentity — name, former names, gender, date of birth, date of death. Always in clear:
//                   the index needs it to match children across authorities.
//   ChildDetails  — everything that could reveal where a child is or who is around them:
//                   address, identifiers (a UPN encodes the issuing authority and school),
//                   contacts, involvements, and the shield itself. Sealed when shielded.
#pragma once

#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "aegis/protocol/bytes.hpp"
#include "aegis/protocol/result.hpp"

namespace aegis::protocol {

// Limits (docs/PROTOCOL.md §3.9). Decoding refuses anything larger with too_large.
inline constexpr std::size_t kMaxRecordIdLen = 64;
inline constexpr std::size_t kMaxAuthorityIdLen = 32;
inline constexpr std::size_t kMaxNameLen = 100;       // one name part, bytes of UTF-8
inline constexpr std::size_t kMaxTextLen = 200;       // organisation, role, relationship...
inline constexpr std::size_t kMaxPhoneLen = 32;
inline constexpr std::size_t kMaxPostcodeLen = 8;
inline constexpr std::size_t kMaxIdentifierLen = 16;  // UPN 13, ULN 10, NHS 10
inline constexpr std::size_t kMaxAddressLines = 6;
inline constexpr std::size_t kMaxFormerNames = 16;
inline constexpr std::size_t kMaxPhones = 8;
inline constexpr std::size_t kMaxContacts = 32;
inline constexpr std::size_t kMaxInvolvements = 128;

// A calendar date, encoded as the 10-byte string "YYYY-MM-DD" (years 1900..2199).
struct Date {
  std::uint16_t year = 1900;
  std::uint8_t month = 1;
  std::uint8_t day = 1;

  static std::optional<Date> parse(std::string_view iso);  // exact "YYYY-MM-DD", real date only
  std::string to_string() const;
  bool valid() const;
  auto operator<=>(const Date&) const = default;
};

// ISO/IEC 5218 codes.
enum class Gender : std::uint8_t { not_known = 0, male = 1, female = 2, not_applicable = 9 };

struct PersonName {
  std::string given;   // may be empty (e.g. not yet named)
  std::string middle;  // may be empty
  std::string family;  // required, non-empty
  bool operator==(const PersonName&) const = default;
};

struct Address {
  std::vector<std::string> lines;  // 1..6 non-empty lines, most specific first
  std::string postcode;            // may be empty when unknown; not format-checked here
  bool operator==(const Address&) const = default;
};

struct Contact {
  PersonName name;
  std::string relationship;            // free text or a DfE code, e.g. "PAM" (mother), required
  bool parental_responsibility = false;
  std::vector<std::string> phones;     // 0..8
  bool address_as_child = false;       // true: lives at the child's address; `address` is then empty
  std::optional<Address> address;
  bool operator==(const Contact&) const = default;
};

enum class InvolvementKind : std::uint8_t {
  educational_setting = 1,
  gp_practice = 2,
  health_visitor = 3,
  school_nurse = 4,
  social_care = 5,
  youth_justice = 6,
  early_help = 7,
  other_health = 8,
  other = 99,
};

struct Involvement {
  InvolvementKind kind = InvolvementKind::other;
  std::string organisation;      // required
  std::string organisation_id;   // URN, ODS code... may be empty
  std::string role;              // may be empty
  std::string practitioner;      // may be empty
  std::string phone;             // may be empty
  std::optional<Date> start;
  std::optional<Date> end;       // when both are set, end >= start
  bool lead_professional = false;
  bool assessment_completed = false;
  bool sensitive = false;        // sexual health, mental health, substance misuse...
  bool consent = false;          // consent to share was recorded
  bool operator==(const Involvement&) const = default;
};

struct Shield {
  std::uint32_t reason = 0;  // reason code (docs/PROTOCOL.md §3.7)
  std::string set_by;        // officer reference, not a name; required
  Date set_on;
  bool operator==(const Shield&) const = default;
};

struct ChildIdentity {
  PersonName name;
  std::vector<PersonName> former_names;
  Gender gender = Gender::not_known;
  Date date_of_birth;
  std::optional<Date> date_of_death;
  bool operator==(const ChildIdentity&) const = default;
};

struct ChildDetails {
  std::optional<Address> address;
  std::optional<std::string> upn;
  std::optional<std::string> uln;
  std::optional<std::string> nhs_number;
  std::vector<Contact> contacts;
  std::vector<Involvement> involvements;
  std::optional<Shield> shield;  // present = the child is shielded
  bool operator==(const ChildDetails&) const = default;
};

// The authority's own, full view of a child. Stored locally in clear; never sent as such.
struct ChildRecord {
  std::string record_id;
  ChildIdentity identity;
  ChildDetails details;
  bool shielded() const { return details.shield.has_value(); }
  bool operator==(const ChildRecord&) const = default;
};

// True when the id is 1..64 bytes of [A-Za-z0-9._:-].
bool valid_record_id(std::string_view id) noexcept;
// True when the id is 1..32 bytes of [a-z0-9-], not starting or ending with '-'.
bool valid_authority_id(std::string_view id) noexcept;

// Checks every domain rule of §3 (lengths, dates, enum values, consistency) that the type system
// does not. Encoding assumes a checked value; decoding applies the same rules.
Status check_record(const ChildRecord& r);

// Canonical encodings. The `write_*`/`read_*` pairs nest inside larger values (envelopes);
// `encode_*`/`decode_*` are whole values.
Bytes encode_child_identity(const ChildIdentity& v);
Bytes encode_child_details(const ChildDetails& v);
Bytes encode_child_record(const ChildRecord& v);
Result<ChildDetails> decode_child_details(ByteView bytes);
Result<ChildRecord> decode_child_record(ByteView bytes);

class Writer;
class Node;
void write_child_identity(Writer& w, const ChildIdentity& v);
void write_child_details(Writer& w, const ChildDetails& v);
ChildIdentity read_child_identity(const Node& n);
ChildDetails read_child_details(const Node& n);

}  // namespace aegis::protocol
