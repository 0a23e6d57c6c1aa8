// Practitioner queries (docs/PROTOCOL.md §16, docs/query.md): the Query an authority signs for
// one of its users, the OverrideRequest (break-glass), the Answer the index returns, the
// access notices the owning authorities receive in their feed (kinds 5 and 6), and the query
// socket's own message family. Pure: time, keys and query ids are passed in.
//
//   QueryBody    = [ version, authority_id, signer_serial, query_id, time_ms, user_id, role,
//                    purpose, criteria ]
//   criteria     = [ given, family, date_of_birth, postcode | nil, match | nil ]
//   OverrideBody = [ version, query: QueryBody, national_id, reason ]
//   wire forms   = Signed{ body, Ed25519_authority("AEGIS-QUERY-V1" | "AEGIS-OVERRIDE-V1") }
//   AnswerBody   = [ version, query_id, capped, [ AnswerChild, ... ] ]
//   AnswerChild  = [ national_id, identity, shielded, [ [authority_id, route], ... ],
//                    [ [authority_id, record_id, details], ... ] ]
//   OverrideAnswerBody = [ version, query_id, national_id, identity, [ OverrideRecord, ... ] ]
//   OverrideRecord     = [ authority_id, record_id, details | nil, sealed | nil ]
//   QueryMessage = [ version, type, fields... ]   (1 QueryRequest, 2 QueryAnswer,
//                                                  3 OverrideRequest, 4 QueryRefused,
//                                                  5 OverrideAnswer)
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "aegis/protocol/bytes.hpp"
#include "aegis/protocol/crypto.hpp"
#include "aegis/protocol/match.hpp"
#include "aegis/protocol/record.hpp"
#include "aegis/protocol/result.hpp"
#include "aegis/protocol/seal.hpp"
#include "aegis/protocol/trust_bundle.hpp"

namespace aegis::protocol {

inline constexpr std::string_view kDomainQuery = "AEGIS-QUERY-V1";
inline constexpr std::string_view kDomainOverride = "AEGIS-OVERRIDE-V1";
inline constexpr std::uint64_t kQueryVersion = 1;           // QueryBody
inline constexpr std::uint64_t kOverrideVersion = 1;        // OverrideBody
inline constexpr std::uint64_t kAnswerVersion = 1;          // AnswerBody
inline constexpr std::uint64_t kOverrideAnswerVersion = 1;  // OverrideAnswerBody
inline constexpr std::uint64_t kQueryMessageVersion = 1;    // the query socket's messages

inline constexpr std::size_t kQueryIdSize = 16;             // random, chosen by the authority
inline constexpr std::size_t kMaxUserIdLen = 64;
inline constexpr std::size_t kMinReasonLen = 10;            // override reason, bytes
inline constexpr std::size_t kMaxReasonLen = 500;
inline constexpr std::size_t kMaxContactRouteLen = 200;     // as a certificate's contact_route
inline constexpr std::size_t kMaxAnswerChildren = 50;       // the cap (docs/query.md)
inline constexpr std::size_t kMaxAnswerRecords = 32;        // records of one child in an answer
inline constexpr std::size_t kMaxShieldContacts = 8;        // shielding authorities of one child
inline constexpr std::size_t kMaxQuerySize = 4u << 10;      // a signed query or override
inline constexpr std::size_t kMaxAnswerSize = 8u << 20;     // an encoded answer
// How far a query's time_ms may be from the index's clock (docs/query.md, data flow).
inline constexpr std::uint64_t kQueryFreshnessMs = 5 * 60 * 1000;

using QueryId = ByteArray<kQueryIdSize>;

// Who the user is acting as (rule 1). Codes are stable: they are signed and audited.
enum class UserRole : std::uint8_t {
  practitioner = 1,
  shield_officer = 2,
  child_protection_override = 3,
};
// Why the user asks (rule 1).
enum class QueryPurpose : std::uint8_t {
  safeguarding = 1,
  service_delivery = 2,
  school_transfer = 3,
  health = 4,
  audit = 5,
};
std::string_view user_role_name(UserRole r) noexcept;         // "practitioner", ...
std::string_view query_purpose_name(QueryPurpose p) noexcept;  // "safeguarding", ...

// What the user searches by (rule 2). Names and date of birth are mandatory; the postcode and
// the identifier tokens (made by the asking authority with the matching key) are optional.
struct QueryCriteria {
  std::string given;                  // 1..kMaxNameLen bytes
  std::string family;                 // 1..kMaxNameLen bytes
  Date date_of_birth;
  std::optional<std::string> postcode;  // 1..kMaxPostcodeLen bytes, as typed
  std::optional<MatchTokens> tokens;    // 1..3 entries when present (§14.1)
  bool operator==(const QueryCriteria&) const = default;
};

struct Query {
  std::uint64_t version = kQueryVersion;
  std::string authority_id;          // the asking authority (signs)
  std::uint64_t signer_serial = 0;   // its authority certificate
  QueryId query_id{};                // fresh per query; the index refuses a repeat
  std::uint64_t time_ms = 0;         // when the authority signed it
  std::string user_id;               // 1..kMaxUserIdLen bytes, the authority's own user name
  UserRole role = UserRole::practitioner;
  QueryPurpose purpose = QueryPurpose::safeguarding;
  QueryCriteria criteria;
  bool operator==(const Query&) const = default;
};

// Break-glass (rule 6): the query of a child_protection_override user naming one child.
struct OverrideRequest {
  std::uint64_t version = kOverrideVersion;
  Query query;                       // role MUST be child_protection_override
  std::string national_id;           // kNationalIdLen chars of Crockford base32
  std::string reason;                // kMinReasonLen..kMaxReasonLen bytes
  bool operator==(const OverrideRequest&) const = default;
};

// "Contact the shielding authority" (rule 3): its published route.
struct ShieldContact {
  std::string authority_id;
  std::string route;                 // 1..kMaxContactRouteLen bytes
  bool operator==(const ShieldContact&) const = default;
};

// One authority's record of a child that is not shielded: contacts and involvements only
// (details: no address, identifiers or shield; a sensitive involvement only with consent).
struct AnswerRecord {
  std::string authority_id;
  std::string record_id;
  ChildDetails details;
  bool operator==(const AnswerRecord&) const = default;
};

struct AnswerChild {
  std::string national_id;
  ChildIdentity identity;            // names, former names, gender, date of birth
  bool shielded = false;
  std::vector<ShieldContact> shield_contacts;  // shielded: 1..kMaxShieldContacts, else none
  std::vector<AnswerRecord> records;           // shielded: none, else 1..kMaxAnswerRecords
  bool operator==(const AnswerChild&) const = default;
};

struct Answer {
  std::uint64_t version = kAnswerVersion;
  QueryId query_id{};
  bool capped = false;               // more children matched than kMaxAnswerChildren
  std::vector<AnswerChild> children;  // 0..kMaxAnswerChildren, national ids distinct
  bool operator==(const Answer&) const = default;
};

// One record of the child an override names (PROTOCOL.md §16.7): exactly one of `details` and
// `sealed`. A shielded record carries its SealedBlob exactly as the owner sealed it (to itself
// and the shield officers: the index cannot open it); a clear record of the same child carries
// what a search shows of it (contacts and involvements, as an AnswerRecord's details).
struct OverrideRecord {
  std::string authority_id;
  std::string record_id;
  std::optional<ChildDetails> details;  // a clear record
  std::optional<SealedBlob> sealed;     // a shielded record
  bool operator==(const OverrideRecord&) const = default;
};

// The index's answer to an OverrideRequest: the child's identity (no former names, as for a
// shielded child in an Answer) and its records, at least one of them sealed.
struct OverrideAnswer {
  std::uint64_t version = kOverrideAnswerVersion;
  QueryId query_id{};                // the override's query.query_id
  std::string national_id;           // the child named (after following merges)
  ChildIdentity identity;
  std::vector<OverrideRecord> records;  // 1..kMaxAnswerRecords, distinct, one or more sealed
  bool operator==(const OverrideAnswer&) const = default;
};

// The data of feed kinds 5 (access_notice) and 6 (override_notice): someone of another
// authority saw this authority's record (docs/query.md rule 8).
struct AccessNotice {
  std::string record_id;             // this authority's record that was returned
  std::string viewer_authority_id;   // who asked
  std::string user_id;
  UserRole role = UserRole::practitioner;
  QueryPurpose purpose = QueryPurpose::safeguarding;
  std::uint64_t time_ms = 0;         // the query's time
  std::string reason;                // override_notice only (kMinReasonLen..); empty otherwise
  bool operator==(const AccessNotice&) const = default;
};

// ---- Encoding -------------------------------------------------------------------------------

Bytes encode_query_body(const Query& q);
Result<Query> decode_query_body(ByteView bytes);
Bytes sign_query(const Query& q, const Signer& authority);

Bytes encode_override_body(const OverrideRequest& o);
Result<OverrideRequest> decode_override_body(ByteView bytes);
Bytes sign_override(const OverrideRequest& o, const Signer& authority);

Bytes encode_answer(const Answer& a);
Result<Answer> decode_answer(ByteView bytes);

Bytes encode_override_answer(const OverrideAnswer& a);
Result<OverrideAnswer> decode_override_answer(ByteView bytes);

// Verifies a signed query as the index receives it: structure, the signer's certificate (role
// authority, subject = authority_id, unrevoked, valid now and at time_ms), the signature. The
// freshness window and repeated query ids are the receiver's to check (query_fresh).
Result<Query> verify_query(ByteView wire, const Trust& trust, std::uint64_t now_ms);
// The same for an override, whose inner query names the signer.
Result<OverrideRequest> verify_override(ByteView wire, const Trust& trust, std::uint64_t now_ms);
// |now_ms - time_ms| <= kQueryFreshnessMs.
bool query_fresh(std::uint64_t time_ms, std::uint64_t now_ms) noexcept;

class Writer;
class Node;
// Nested inside a feed item (feed.cpp): [record_id, viewer_authority_id, user_id, role,
// purpose, time_ms] and, with_reason, reason as a seventh field.
void write_access_notice(Writer& w, const AccessNotice& n, bool with_reason);
AccessNotice read_access_notice(const Node& n, bool with_reason);

// ---- The query socket's messages ------------------------------------------------------------

// authority → index: a signed query (wire bytes of sign_query).
struct QueryRequest {
  Bytes query;
  bool operator==(const QueryRequest&) const = default;
};
// index → authority: the answer to query_id.
struct QueryAnswer {
  Answer answer;
  bool operator==(const QueryAnswer&) const = default;
};
// authority → index: a signed override (wire bytes of sign_override).
struct OverrideRequestMessage {
  Bytes request;
  bool operator==(const OverrideRequestMessage&) const = default;
};
// index → authority: the query was not answered (code: snake_case, e.g. not_authorised,
// bad_signature, stale, replayed, unavailable, invalid_field).
struct QueryRefused {
  QueryId query_id{};                // zeros when the query could not be read
  std::string code;
  std::string detail;
  bool operator==(const QueryRefused&) const = default;
};

// index → authority: the answer to an override (query_id is the override's).
struct OverrideAnswerMessage {
  OverrideAnswer answer;
  bool operator==(const OverrideAnswerMessage&) const = default;
};

using QueryMessage = std::variant<QueryRequest, QueryAnswer, OverrideRequestMessage, QueryRefused,
                                  OverrideAnswerMessage>;

Bytes encode_query_message(const QueryMessage& m);
Result<QueryMessage> decode_query_message(ByteView bytes);
// "query_request", "query_answer", "override_request", "query_refused", "override_answer".
std::string_view query_message_name(const QueryMessage& m) noexcept;

}  // namespace aegis::protocol
