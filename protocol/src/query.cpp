// Practitioner queries (query.hpp, docs/PROTOCOL.md §16): the Query and OverrideRequest bodies,
// their signing and verification, the Answer, the access notices nested in feed items, and
// the query socket's messages. Every reader names the field path of what it refuses.
#include "aegis/protocol/query.hpp"

#include <array>
#include <set>
#include <utility>

#include "aegis/protocol/codec.hpp"
#include "aegis/protocol/envelope.hpp"
#include "aegis/protocol/feed.hpp"
#include "aegis/protocol/signed.hpp"
#include "aegis/protocol/sync.hpp"
#include "chain_rules.hpp"
#include "decode_rules.hpp"

namespace aegis::protocol {

namespace {

using detail::kAnyLen;
using detail::read_struct;
using detail::read_versioned_struct;

inline constexpr std::size_t kQueryFields = 9;
inline constexpr std::size_t kCriteriaFields = 5;
inline constexpr std::size_t kOverrideFields = 4;
inline constexpr std::size_t kAnswerFields = 4;
inline constexpr std::size_t kChildFields = 5;
inline constexpr std::size_t kRecordFields = 3;
inline constexpr std::size_t kShieldContactFields = 2;
inline constexpr std::size_t kNoticeFields = 6;  // + reason for an override_notice
inline constexpr std::size_t kOverrideAnswerFields = 5;
inline constexpr std::size_t kOverrideRecordFields = 4;

// ---- Shared field readers -------------------------------------------------------------------

std::string read_authority_id(const Node& n) {
  std::string id = n.as_str(kAnyLen);
  if (!n.context().failed()) detail::check_authority_id(n.context(), n.path(), id);
  return id;
}

std::string read_record_id(const Node& n) {
  std::string id = n.as_str(kAnyLen);
  if (!n.context().failed()) detail::check_record_id(n.context(), n.path(), id);
  return id;
}

std::string read_national_id(const Node& n) {
  std::string id = n.as_str(kNationalIdLen);
  if (!n.context().failed() && !valid_national_id(id))
    n.fail(Errc::invalid_field,
           "must be 16 characters of Crockford base32 (0-9, A-Z without I L O U)");
  return id;
}

// An account name: 1..kMaxUserIdLen bytes of printable ASCII without spaces (it is logged and
// audited, so nothing that could forge a log line).
std::string read_user_id(const Node& n) {
  std::string id = n.as_str(kMaxUserIdLen, 1);
  if (n.context().failed()) return id;
  for (char c : id)
    if (c < 0x21 || c > 0x7e) {
      n.fail(Errc::invalid_field, "only printable ASCII without spaces allowed");
      break;
    }
  return id;
}

UserRole read_role(const Node& n) {
  const std::uint64_t code = n.as_uint();
  if (n.context().failed()) return UserRole::practitioner;
  if (code < 1 || code > static_cast<std::uint64_t>(UserRole::child_protection_override)) {
    n.fail(Errc::invalid_field, "unknown role " + std::to_string(code));
    return UserRole::practitioner;
  }
  return static_cast<UserRole>(code);
}

QueryPurpose read_purpose(const Node& n) {
  const std::uint64_t code = n.as_uint();
  if (n.context().failed()) return QueryPurpose::safeguarding;
  if (code < 1 || code > static_cast<std::uint64_t>(QueryPurpose::audit)) {
    n.fail(Errc::invalid_field, "unknown purpose " + std::to_string(code));
    return QueryPurpose::safeguarding;
  }
  return static_cast<QueryPurpose>(code);
}

std::string read_reason(const Node& n) { return n.as_str(kMaxReasonLen, kMinReasonLen); }

Date read_date(const Node& n) {
  std::string s = n.as_str(kAnyLen);
  if (n.context().failed()) return Date{};
  auto d = Date::parse(s);
  if (!d) {
    n.fail(Errc::invalid_field, "not a date YYYY-MM-DD in 1900..2199");
    return Date{};
  }
  return *d;
}

// ---- Query and override ---------------------------------------------------------------------

void write_criteria(Writer& w, const QueryCriteria& c) {
  w.array(kCriteriaFields);
  w.str(c.given);
  w.str(c.family);
  w.str(c.date_of_birth.to_string());
  w.optional_str(c.postcode);
  if (c.tokens)
    write_match_tokens(w, *c.tokens);
  else
    w.nil();
}

QueryCriteria read_criteria(const Node& n) {
  QueryCriteria c;
  DecodeContext& ctx = n.context();
  ArrayNode a = read_struct(n, kCriteriaFields);
  c.given = a.field(0, "given").as_str(kMaxNameLen, 1);
  c.family = a.field(1, "family").as_str(kMaxNameLen, 1);
  c.date_of_birth = read_date(a.field(2, "date_of_birth"));
  c.postcode = a.field(3, "postcode").as_optional_str(kMaxPostcodeLen, 1);
  Node tokens = a.field(4, "match");
  if (ctx.failed() || tokens.is_nil()) return c;
  c.tokens = read_match_tokens(tokens);
  if (!ctx.failed() && c.tokens->entries.empty())
    tokens.fail(Errc::invalid_field, "holds no token: nil when the search has none");
  return c;
}

void write_query_fields(Writer& w, const Query& q) {
  w.array(kQueryFields);
  w.uint(q.version);
  w.str(q.authority_id);
  w.uint(q.signer_serial);
  w.bin(q.query_id);
  w.uint(q.time_ms);
  w.str(q.user_id);
  w.uint(static_cast<std::uint64_t>(q.role));
  w.uint(static_cast<std::uint64_t>(q.purpose));
  write_criteria(w, q.criteria);
}

Query read_query(const Node& n) {
  Query q;
  ArrayNode a = read_versioned_struct(n, kQueryVersion, kQueryFields);
  q.authority_id = read_authority_id(a.field(1, "authority_id"));
  q.signer_serial = detail::read_positive(a.field(2, "signer_serial"));
  q.query_id = a.field(3, "query_id").as_fixed_bin<kQueryIdSize>();
  q.time_ms = a.field(4, "time_ms").as_uint();
  q.user_id = read_user_id(a.field(5, "user_id"));
  q.role = read_role(a.field(6, "role"));
  q.purpose = read_purpose(a.field(7, "purpose"));
  q.criteria = read_criteria(a.field(8, "criteria"));
  return q;
}

OverrideRequest read_override(const Node& n) {
  OverrideRequest o;
  DecodeContext& ctx = n.context();
  ArrayNode a = read_versioned_struct(n, kOverrideVersion, kOverrideFields);
  Node query = a.field(1, "query");
  o.query = read_query(query);
  if (!ctx.failed() && o.query.role != UserRole::child_protection_override)
    ctx.fail(Errc::invalid_field, query.path() + ".role",
             "an override needs the role child_protection_override");
  o.national_id = read_national_id(a.field(2, "national_id"));
  o.reason = read_reason(a.field(3, "reason"));
  return o;
}

DecodeLimits query_limits() {
  DecodeLimits limits;
  limits.max_input = kMaxQuerySize;
  limits.max_array = kCriteriaFields + kQueryFields;
  limits.max_str = 2 * kMaxReasonLen;  // the reader names a field somewhat over its limit
  limits.max_bin = kMaxQuerySize;
  limits.max_depth = 6;
  return limits;
}

// The checks of verify_query/verify_override once the body decoded: the certificate named by
// the query's signer_serial is the asking authority's, and its key verifies the signature.
Status check_query_signer(std::string_view object, const Query& q, const Signed& wire,
                          std::string_view domain, const Trust& trust, std::uint64_t now_ms) {
  const detail::ChainedFields fields{object, 0, Hash{}, q.time_ms, q.signer_serial};
  const detail::SignerRule rule{Role::authority, q.authority_id, domain};
  if (auto signer = detail::check_signer(fields, wire, rule, trust, now_ms); !signer)
    return signer.error();
  return Ok{};
}

// ---- Answer ---------------------------------------------------------------------------------

// What an answer may show of a record (docs/query.md rules 3, 5, 7): contacts and involvements;
// no address, identifiers or shield; a sensitive involvement only with consent.
void check_answer_details(DecodeContext& ctx, const std::string& path, const ChildDetails& d) {
  auto refuse = [&](const std::string& field, std::string_view why) {
    ctx.fail(Errc::invalid_field, path + "." + field, why);
  };
  if (d.address) refuse("address", "must be nil: an answer never gives a child's address");
  if (d.upn) refuse("upn", "must be nil: identifiers are never in an answer");
  if (d.uln) refuse("uln", "must be nil: identifiers are never in an answer");
  if (d.nhs_number) refuse("nhs_number", "must be nil: identifiers are never in an answer");
  if (d.shield) refuse("shield", "must be nil: a shield is never in an answer");
  for (std::size_t i = 0; i < d.involvements.size(); ++i)
    if (d.involvements[i].sensitive && !d.involvements[i].consent)
      refuse("involvements[" + std::to_string(i) + "].consent",
             "a sensitive involvement is only answered with consent");
}

void write_answer_child(Writer& w, const AnswerChild& c) {
  w.array(kChildFields);
  w.str(c.national_id);
  write_child_identity(w, c.identity);
  w.boolean(c.shielded);
  w.array(static_cast<std::uint32_t>(c.shield_contacts.size()));
  for (const ShieldContact& s : c.shield_contacts) {
    w.array(kShieldContactFields);
    w.str(s.authority_id);
    w.str(s.route);
  }
  w.array(static_cast<std::uint32_t>(c.records.size()));
  for (const AnswerRecord& r : c.records) {
    w.array(kRecordFields);
    w.str(r.authority_id);
    w.str(r.record_id);
    write_child_details(w, r.details);
  }
}

AnswerRecord read_answer_record(const Node& n) {
  AnswerRecord r;
  DecodeContext& ctx = n.context();
  ArrayNode a = read_struct(n, kRecordFields);
  r.authority_id = read_authority_id(a.field(0, "authority_id"));
  r.record_id = read_record_id(a.field(1, "record_id"));
  Node details = a.field(2, "details");
  r.details = read_child_details(details);
  if (!ctx.failed()) check_answer_details(ctx, details.path(), r.details);
  return r;
}

AnswerChild read_answer_child(const Node& n) {
  AnswerChild c;
  DecodeContext& ctx = n.context();
  ArrayNode a = read_struct(n, kChildFields);
  c.national_id = read_national_id(a.field(0, "national_id"));
  c.identity = read_child_identity(a.field(1, "identity"));
  c.shielded = a.field(2, "shielded").as_bool();

  Node contacts_node = a.field(3, "shield_contacts");
  ArrayNode contacts = contacts_node.as_array(0, kMaxShieldContacts);
  for (std::size_t i = 0; i < contacts.size() && !ctx.failed(); ++i) {
    ArrayNode s = read_struct(contacts.item(i), kShieldContactFields);
    ShieldContact sc;
    sc.authority_id = read_authority_id(s.field(0, "authority_id"));
    sc.route = s.field(1, "route").as_str(kMaxContactRouteLen, 1);
    c.shield_contacts.push_back(std::move(sc));
  }
  if (ctx.failed()) return c;
  if (c.shielded && c.shield_contacts.empty())
    contacts_node.fail(Errc::invalid_field, "a shielded child needs its shielding authority's route");
  if (!c.shielded && !c.shield_contacts.empty())
    contacts_node.fail(Errc::invalid_field, "must be empty: the child is not shielded");

  Node records_node = a.field(4, "records");
  ArrayNode records = records_node.as_array(0, kMaxAnswerRecords);
  if (ctx.failed()) return c;
  if (c.shielded && records.size() != 0) {
    records_node.fail(Errc::invalid_field,
                      "must be empty: no authority's record of a shielded child is answered");
    return c;
  }
  if (!c.shielded && records.size() == 0) {
    records_node.fail(Errc::invalid_field, "a child that is not shielded has 1 or more records");
    return c;
  }
  std::set<std::pair<std::string, std::string>> seen;
  for (std::size_t i = 0; i < records.size() && !ctx.failed(); ++i) {
    Node item = records.item(i);
    AnswerRecord r = read_answer_record(item);
    if (!ctx.failed() && !seen.insert({r.authority_id, r.record_id}).second)
      item.fail(Errc::invalid_field, "the same record twice");
    c.records.push_back(std::move(r));
  }
  return c;
}

void write_answer(Writer& w, const Answer& a) {
  w.array(kAnswerFields);
  w.uint(a.version);
  w.bin(a.query_id);
  w.boolean(a.capped);
  w.array(static_cast<std::uint32_t>(a.children.size()));
  for (const AnswerChild& c : a.children) write_answer_child(w, c);
}

Answer read_answer(const Node& n) {
  Answer out;
  DecodeContext& ctx = n.context();
  ArrayNode a = read_versioned_struct(n, kAnswerVersion, kAnswerFields);
  out.query_id = a.field(1, "query_id").as_fixed_bin<kQueryIdSize>();
  out.capped = a.field(2, "capped").as_bool();
  ArrayNode children = a.field(3, "children").as_array(0, kMaxAnswerChildren);
  std::set<std::string> seen;
  for (std::size_t i = 0; i < children.size() && !ctx.failed(); ++i) {
    Node item = children.item(i);
    AnswerChild c = read_answer_child(item);
    if (!ctx.failed() && !seen.insert(c.national_id).second)
      item.fail(Errc::invalid_field, "the same national id twice");
    out.children.push_back(std::move(c));
  }
  return out;
}

// ---- Override answer ------------------------------------------------------------------------

void write_override_answer(Writer& w, const OverrideAnswer& a) {
  w.array(kOverrideAnswerFields);
  w.uint(a.version);
  w.bin(a.query_id);
  w.str(a.national_id);
  write_child_identity(w, a.identity);
  w.array(static_cast<std::uint32_t>(a.records.size()));
  for (const OverrideRecord& r : a.records) {
    w.array(kOverrideRecordFields);
    w.str(r.authority_id);
    w.str(r.record_id);
    if (r.details)
      write_child_details(w, *r.details);
    else
      w.nil();
    if (r.sealed)
      write_sealed_blob(w, *r.sealed);
    else
      w.nil();
  }
}

OverrideRecord read_override_record(const Node& n) {
  OverrideRecord r;
  DecodeContext& ctx = n.context();
  ArrayNode a = read_struct(n, kOverrideRecordFields);
  r.authority_id = read_authority_id(a.field(0, "authority_id"));
  r.record_id = read_record_id(a.field(1, "record_id"));
  Node details = a.field(2, "details");
  Node sealed = a.field(3, "sealed");
  if (ctx.failed()) return r;
  if (details.is_nil() == sealed.is_nil()) {
    n.fail(Errc::invalid_field, "exactly one of details and sealed");
    return r;
  }
  if (!details.is_nil()) {
    r.details = read_child_details(details);
    if (!ctx.failed()) check_answer_details(ctx, details.path(), *r.details);
  } else {
    r.sealed = read_sealed_blob(sealed);
  }
  return r;
}

OverrideAnswer read_override_answer(const Node& n) {
  OverrideAnswer out;
  DecodeContext& ctx = n.context();
  ArrayNode a = read_versioned_struct(n, kOverrideAnswerVersion, kOverrideAnswerFields);
  out.query_id = a.field(1, "query_id").as_fixed_bin<kQueryIdSize>();
  out.national_id = read_national_id(a.field(2, "national_id"));
  Node identity = a.field(3, "identity");
  out.identity = read_child_identity(identity);
  if (!ctx.failed() && !out.identity.former_names.empty())
    ctx.fail(Errc::invalid_field, identity.path() + ".former_names",
             "must be empty: a shielded child's former names are not answered");
  Node records_node = a.field(4, "records");
  ArrayNode records = records_node.as_array(0, kMaxAnswerRecords);
  std::set<std::pair<std::string, std::string>> seen;
  bool any_sealed = false;
  for (std::size_t i = 0; i < records.size() && !ctx.failed(); ++i) {
    Node item = records.item(i);
    OverrideRecord r = read_override_record(item);
    if (!ctx.failed() && !seen.insert({r.authority_id, r.record_id}).second)
      item.fail(Errc::invalid_field, "the same record twice");
    any_sealed = any_sealed || r.sealed.has_value();
    out.records.push_back(std::move(r));
  }
  if (!ctx.failed() && !any_sealed)
    records_node.fail(Errc::invalid_field,
                      "holds no sealed record: an override answers a shielded child only");
  return out;
}

DecodeLimits answer_limits(std::size_t max_input) {
  DecodeLimits limits;
  limits.max_input = max_input;
  limits.max_array = kMaxInvolvements;  // the longest list of an answer
  limits.max_str = kMaxReasonLen;
  limits.max_bin = kMaxEnvelopeSize;    // a sealed blob's ciphertext (an override answer)
  return limits;
}

// ---- Messages -------------------------------------------------------------------------------

enum class Type : std::uint8_t { query_request = 1, query_answer = 2, override_request = 3,
                                 query_refused = 4, override_answer = 5 };
inline constexpr std::uint64_t kLastType = 5;
static_assert(std::variant_size_v<QueryMessage> == kLastType);
inline constexpr std::array<std::size_t, kLastType + 1> kFieldCount = {0, 1, 1, 1, 3, 1};
inline constexpr std::array<std::string_view, kLastType + 1> kNames = {
    "", "query_request", "query_answer", "override_request", "query_refused", "override_answer"};

std::uint64_t type_of(const QueryMessage& m) noexcept { return m.index() + 1; }

struct FieldWriter {
  Writer& w;
  void operator()(const QueryRequest& m) { w.bin(m.query); }
  void operator()(const QueryAnswer& m) { write_answer(w, m.answer); }
  void operator()(const OverrideRequestMessage& m) { w.bin(m.request); }
  void operator()(const QueryRefused& m) {
    w.bin(m.query_id);
    w.str(m.code);
    w.str(m.detail);
  }
  void operator()(const OverrideAnswerMessage& m) { write_override_answer(w, m.answer); }
};

QueryMessage read_fields(const ArrayNode& a, Type type) {
  switch (type) {
    case Type::query_request:
      return QueryRequest{a.field(2, "query").as_bin(kMaxQuerySize)};
    case Type::query_answer:
      return QueryAnswer{read_answer(a.field(2, "answer"))};
    case Type::override_request:
      return OverrideRequestMessage{a.field(2, "request").as_bin(kMaxQuerySize)};
    case Type::query_refused: {
      QueryRefused m;
      m.query_id = a.field(2, "query_id").as_fixed_bin<kQueryIdSize>();
      m.code = detail::read_refusal_code(a.field(3, "code"), kMaxCodeLen);
      m.detail = a.field(4, "detail").as_str(kMaxDetailLen);
      return m;
    }
    case Type::override_answer:
      return OverrideAnswerMessage{read_override_answer(a.field(2, "answer"))};
  }
  return QueryRequest{};  // unreachable: the caller checked the type
}

QueryMessage read_query_message(const Node& n) {
  ArrayNode a = n.as_array(1, kAnyLen);
  a.field(0, "version").expect_version(kQueryMessageVersion);
  Node type_node = a.field(1, "type");
  const std::uint64_t type = type_node.as_uint();
  if (n.context().failed()) return QueryRequest{};
  if (type == 0 || type > kLastType) {
    type_node.fail(Errc::invalid_field, "unknown message type " + std::to_string(type));
    return QueryRequest{};
  }
  detail::expect_arity(n, a, 2 + kFieldCount[type]);
  if (n.context().failed()) return QueryRequest{};
  return read_fields(a, static_cast<Type>(type));
}

}  // namespace

std::string_view user_role_name(UserRole r) noexcept {
  switch (r) {
    case UserRole::practitioner: return "practitioner";
    case UserRole::shield_officer: return "shield_officer";
    case UserRole::child_protection_override: return "child_protection_override";
  }
  return "unknown";
}

std::string_view query_purpose_name(QueryPurpose p) noexcept {
  switch (p) {
    case QueryPurpose::safeguarding: return "safeguarding";
    case QueryPurpose::service_delivery: return "service_delivery";
    case QueryPurpose::school_transfer: return "school_transfer";
    case QueryPurpose::health: return "health";
    case QueryPurpose::audit: return "audit";
  }
  return "unknown";
}

Bytes encode_query_body(const Query& q) {
  Writer w;
  write_query_fields(w, q);
  return w.take();
}

Result<Query> decode_query_body(ByteView bytes) {
  return decode_canonical<Query>(bytes, query_limits(), "query", read_query, encode_query_body);
}

Bytes sign_query(const Query& q, const Signer& authority) {
  return encode_signed(sign_body(encode_query_body(q), kDomainQuery, authority));
}

Bytes encode_override_body(const OverrideRequest& o) {
  Writer w;
  w.array(kOverrideFields);
  w.uint(o.version);
  write_query_fields(w, o.query);
  w.str(o.national_id);
  w.str(o.reason);
  return w.take();
}

Result<OverrideRequest> decode_override_body(ByteView bytes) {
  return decode_canonical<OverrideRequest>(bytes, query_limits(), "override", read_override,
                                           encode_override_body);
}

Bytes sign_override(const OverrideRequest& o, const Signer& authority) {
  return encode_signed(sign_body(encode_override_body(o), kDomainOverride, authority));
}

Bytes encode_answer(const Answer& a) {
  Writer w;
  write_answer(w, a);
  return w.take();
}

Result<Answer> decode_answer(ByteView bytes) {
  return decode_canonical<Answer>(bytes, answer_limits(kMaxAnswerSize), "answer", read_answer,
                                  encode_answer);
}

Bytes encode_override_answer(const OverrideAnswer& a) {
  Writer w;
  write_override_answer(w, a);
  return w.take();
}

Result<OverrideAnswer> decode_override_answer(ByteView bytes) {
  return decode_canonical<OverrideAnswer>(bytes, answer_limits(kMaxAnswerSize), "override_answer",
                                          read_override_answer, encode_override_answer);
}

Result<Query> verify_query(ByteView wire, const Trust& trust, std::uint64_t now_ms) {
  auto wrapper = decode_signed(wire, "query", query_limits());
  if (!wrapper) return wrapper.error();
  auto query = decode_query_body(wrapper->body);
  if (!query) return query.error();
  if (Status s = check_query_signer("query", *query, *wrapper, kDomainQuery, trust, now_ms); !s)
    return s.error();
  return query;
}

Result<OverrideRequest> verify_override(ByteView wire, const Trust& trust, std::uint64_t now_ms) {
  auto wrapper = decode_signed(wire, "override", query_limits());
  if (!wrapper) return wrapper.error();
  auto request = decode_override_body(wrapper->body);
  if (!request) return request.error();
  if (Status s = check_query_signer("override.query", request->query, *wrapper, kDomainOverride,
                                    trust, now_ms);
      !s)
    return s.error();
  return request;
}

bool query_fresh(std::uint64_t time_ms, std::uint64_t now_ms) noexcept {
  const std::uint64_t skew = time_ms > now_ms ? time_ms - now_ms : now_ms - time_ms;
  return skew <= kQueryFreshnessMs;
}

void write_access_notice(Writer& w, const AccessNotice& n, bool with_reason) {
  w.array(static_cast<std::uint32_t>(kNoticeFields + (with_reason ? 1 : 0)));
  w.str(n.record_id);
  w.str(n.viewer_authority_id);
  w.str(n.user_id);
  w.uint(static_cast<std::uint64_t>(n.role));
  w.uint(static_cast<std::uint64_t>(n.purpose));
  w.uint(n.time_ms);
  if (with_reason) w.str(n.reason);
}

AccessNotice read_access_notice(const Node& n, bool with_reason) {
  AccessNotice out;
  ArrayNode a = read_struct(n, kNoticeFields + (with_reason ? 1 : 0));
  out.record_id = read_record_id(a.field(0, "record_id"));
  out.viewer_authority_id = read_authority_id(a.field(1, "viewer_authority_id"));
  out.user_id = read_user_id(a.field(2, "user_id"));
  out.role = read_role(a.field(3, "role"));
  out.purpose = read_purpose(a.field(4, "purpose"));
  out.time_ms = a.field(5, "time_ms").as_uint();
  if (with_reason) out.reason = read_reason(a.field(6, "reason"));
  return out;
}

Bytes encode_query_message(const QueryMessage& m) {
  const std::uint64_t type = type_of(m);
  Writer w;
  w.array(static_cast<std::uint32_t>(2 + kFieldCount[type]));
  w.uint(kQueryMessageVersion);
  w.uint(type);
  std::visit(FieldWriter{w}, m);
  return w.take();
}

Result<QueryMessage> decode_query_message(ByteView bytes) {
  return decode_canonical<QueryMessage>(bytes, answer_limits(kMaxAnswerSize + 64),
                                        "query_message", read_query_message,
                                        encode_query_message);
}

std::string_view query_message_name(const QueryMessage& m) noexcept { return kNames[type_of(m)]; }

}  // namespace aegis::protocol
