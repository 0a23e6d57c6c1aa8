// The child record (docs/PROTOCOL.md §3): dates, ids, the domain rules (check_record) and the
// canonical encodings. The readers and check_record share one set of rule functions (check_*),
// so decoding refuses exactly what check_record refuses, with the same code and field path.
#include "aegis/protocol/record.hpp"

#include "aegis/protocol/codec.hpp"
#include "decode_rules.hpp"

namespace aegis::protocol {

namespace {
constexpr std::uint64_t kChildRecordVersion = 1;
}  // namespace

// ---- Dates and ids ------------------------------------------------------------------------

namespace {

bool is_leap_year(unsigned y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

unsigned days_in_month(unsigned y, unsigned m) {
  static constexpr unsigned kDays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && is_leap_year(y) ? 29 : kDays[m - 1];
}

// Reads `n` ASCII digits at s[from..]; false on any other character.
bool parse_digits(std::string_view s, std::size_t from, std::size_t n, unsigned& out) {
  out = 0;
  for (std::size_t i = from; i < from + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    out = out * 10 + static_cast<unsigned>(s[i] - '0');
  }
  return true;
}

void append_padded(std::string& out, unsigned v, std::size_t width) {
  std::string digits = std::to_string(v);
  if (digits.size() < width) out.append(width - digits.size(), '0');
  out += digits;
}

}  // namespace

bool Date::valid() const {
  return year >= 1900 && year <= 2199 && month >= 1 && month <= 12 && day >= 1 &&
         day <= days_in_month(year, month);
}

std::optional<Date> Date::parse(std::string_view iso) {
  if (iso.size() != 10 || iso[4] != '-' || iso[7] != '-') return std::nullopt;
  unsigned y = 0, m = 0, d = 0;
  if (!parse_digits(iso, 0, 4, y) || !parse_digits(iso, 5, 2, m) || !parse_digits(iso, 8, 2, d))
    return std::nullopt;
  Date date{static_cast<std::uint16_t>(y), static_cast<std::uint8_t>(m),
            static_cast<std::uint8_t>(d)};
  if (!date.valid()) return std::nullopt;
  return date;
}

std::string Date::to_string() const {
  std::string out;
  append_padded(out, year, 4);
  out += '-';
  append_padded(out, month, 2);
  out += '-';
  append_padded(out, day, 2);
  return out;
}

bool valid_record_id(std::string_view id) noexcept {
  if (id.empty() || id.size() > kMaxRecordIdLen) return false;
  for (char c : id) {
    bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == ':' || c == '-';
    if (!ok) return false;
  }
  return true;
}

bool valid_authority_id(std::string_view id) noexcept {
  if (id.empty() || id.size() > kMaxAuthorityIdLen || id.front() == '-' || id.back() == '-')
    return false;
  for (char c : id) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
    if (!ok) return false;
  }
  return true;
}

// ---- Domain rules (§3), shared by check_record and the readers -----------------------------

namespace {

using Ctx = DecodeContext;

enum class Presence { optional, required };

// A text field: valid UTF-8 without NUL, at most `max` bytes, non-empty when required.
// The order (UTF-8, then length, then emptiness) matches what a reader meets first.
void check_text(Ctx& ctx, const std::string& path, std::string_view s, std::size_t max,
                Presence presence) {
  if (!valid_utf8(s))
    ctx.fail(Errc::invalid_field, path, "not valid UTF-8 (or contains NUL)");
  else if (s.size() > max)
    ctx.fail(Errc::too_large, path,
             std::to_string(s.size()) + " bytes, limit " + std::to_string(max));
  else if (presence == Presence::required && s.empty())
    ctx.fail(Errc::invalid_field, path, "must not be empty");
}

void check_count(Ctx& ctx, const std::string& path, std::size_t n, std::size_t max) {
  if (n > max)
    ctx.fail(Errc::too_large, path, std::to_string(n) + " elements, limit " + std::to_string(max));
}

constexpr std::string_view kBadDate = "not a date YYYY-MM-DD in 1900..2199";

void check_date(Ctx& ctx, const std::string& path, const Date& d) {
  if (!d.valid()) ctx.fail(Errc::invalid_field, path, kBadDate);
}

void check_optional_date(Ctx& ctx, const std::string& path, const std::optional<Date>& d) {
  if (d) check_date(ctx, path, *d);
}

// UPN, ULN, NHS number: stored normalised as 1..16 upper-case ASCII letters and digits.
void check_identifier(Ctx& ctx, const std::string& path, const std::optional<std::string>& id) {
  if (!id) return;
  check_text(ctx, path, *id, kMaxIdentifierLen, Presence::required);
  for (char c : *id) {
    if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))) {
      ctx.fail(Errc::invalid_field, path, "only upper-case ASCII letters and digits allowed");
      return;
    }
  }
}

bool known_gender(Gender g) {
  switch (g) {
    case Gender::not_known:
    case Gender::male:
    case Gender::female:
    case Gender::not_applicable: return true;
  }
  return false;
}

bool known_involvement_kind(InvolvementKind k) {
  switch (k) {
    case InvolvementKind::educational_setting:
    case InvolvementKind::gp_practice:
    case InvolvementKind::health_visitor:
    case InvolvementKind::school_nurse:
    case InvolvementKind::social_care:
    case InvolvementKind::youth_justice:
    case InvolvementKind::early_help:
    case InvolvementKind::other_health:
    case InvolvementKind::other: return true;
  }
  return false;
}

// Shield reason codes (§3.7): 1 domestic abuse risk, 2 witness protection, 3 adoption
// placement, 4 court order, 99 other.
bool known_shield_reason(std::uint32_t r) { return (r >= 1 && r <= 4) || r == 99; }

// `may_be_unknown`: the child's own name may be wholly empty when its source holds no names
// (the Children in Need census, §3.3); a name with any part set needs its family name.
void check_name(Ctx& ctx, const std::string& path, const PersonName& n,
                bool may_be_unknown = false) {
  if (may_be_unknown && n.given.empty() && n.middle.empty() && n.family.empty()) return;
  check_text(ctx, path + ".given", n.given, kMaxNameLen, Presence::optional);
  check_text(ctx, path + ".middle", n.middle, kMaxNameLen, Presence::optional);
  check_text(ctx, path + ".family", n.family, kMaxNameLen, Presence::required);
}

void check_address(Ctx& ctx, const std::string& path, const Address& a) {
  const std::string lines = path + ".lines";
  check_count(ctx, lines, a.lines.size(), kMaxAddressLines);
  if (a.lines.empty()) ctx.fail(Errc::invalid_field, lines, "at least one line required");
  for (std::size_t i = 0; i < a.lines.size(); ++i)
    check_text(ctx, lines + "[" + std::to_string(i) + "]", a.lines[i], kMaxTextLen,
               Presence::required);
  check_text(ctx, path + ".postcode", a.postcode, kMaxPostcodeLen, Presence::optional);
}

void check_contact(Ctx& ctx, const std::string& path, const Contact& c) {
  check_name(ctx, path + ".name", c.name);
  check_text(ctx, path + ".relationship", c.relationship, kMaxTextLen, Presence::required);
  const std::string phones = path + ".phones";
  check_count(ctx, phones, c.phones.size(), kMaxPhones);
  for (std::size_t i = 0; i < c.phones.size(); ++i)
    check_text(ctx, phones + "[" + std::to_string(i) + "]", c.phones[i], kMaxPhoneLen,
               Presence::required);
  if (c.address) {
    if (c.address_as_child)
      ctx.fail(Errc::invalid_field, path + ".address",
               "must be absent when address_as_child is true");
    check_address(ctx, path + ".address", *c.address);
  }
}

void check_involvement(Ctx& ctx, const std::string& path, const Involvement& v) {
  if (!known_involvement_kind(v.kind))
    ctx.fail(Errc::invalid_field, path + ".kind",
             "unknown involvement kind " + std::to_string(static_cast<unsigned>(v.kind)));
  check_text(ctx, path + ".organisation", v.organisation, kMaxTextLen, Presence::required);
  check_text(ctx, path + ".organisation_id", v.organisation_id, kMaxTextLen, Presence::optional);
  check_text(ctx, path + ".role", v.role, kMaxTextLen, Presence::optional);
  check_text(ctx, path + ".practitioner", v.practitioner, kMaxTextLen, Presence::optional);
  check_text(ctx, path + ".phone", v.phone, kMaxPhoneLen, Presence::optional);
  check_optional_date(ctx, path + ".start", v.start);
  check_optional_date(ctx, path + ".end", v.end);
  if (v.start && v.end && *v.end < *v.start)
    ctx.fail(Errc::invalid_field, path + ".end", "before start");
  if (v.sensitive && !v.consent)
    ctx.fail(Errc::invalid_field, path + ".consent",
             "a sensitive involvement is recorded only with consent");
}

void check_shield(Ctx& ctx, const std::string& path, const Shield& s) {
  if (!known_shield_reason(s.reason))
    ctx.fail(Errc::invalid_field, path + ".reason",
             "unknown shield reason " + std::to_string(s.reason));
  check_text(ctx, path + ".set_by", s.set_by, kMaxTextLen, Presence::required);
  check_date(ctx, path + ".set_on", s.set_on);
}

void check_identity(Ctx& ctx, const std::string& path, const ChildIdentity& v) {
  check_name(ctx, path + ".name", v.name, /*may_be_unknown=*/true);
  const std::string former = path + ".former_names";
  check_count(ctx, former, v.former_names.size(), kMaxFormerNames);
  for (std::size_t i = 0; i < v.former_names.size(); ++i)
    check_name(ctx, former + "[" + std::to_string(i) + "]", v.former_names[i]);
  if (!known_gender(v.gender))
    ctx.fail(Errc::invalid_field, path + ".gender",
             "unknown gender code " + std::to_string(static_cast<unsigned>(v.gender)));
  check_date(ctx, path + ".date_of_birth", v.date_of_birth);
  check_optional_date(ctx, path + ".date_of_death", v.date_of_death);
  if (v.date_of_death && v.date_of_death->valid() && v.date_of_birth.valid() &&
      *v.date_of_death < v.date_of_birth)
    ctx.fail(Errc::invalid_field, path + ".date_of_death", "before date_of_birth");
}

void check_details(Ctx& ctx, const std::string& path, const ChildDetails& v) {
  if (v.address) check_address(ctx, path + ".address", *v.address);
  check_identifier(ctx, path + ".upn", v.upn);
  check_identifier(ctx, path + ".uln", v.uln);
  check_identifier(ctx, path + ".nhs_number", v.nhs_number);
  const std::string contacts = path + ".contacts";
  check_count(ctx, contacts, v.contacts.size(), kMaxContacts);
  for (std::size_t i = 0; i < v.contacts.size(); ++i)
    check_contact(ctx, contacts + "[" + std::to_string(i) + "]", v.contacts[i]);
  const std::string involvements = path + ".involvements";
  check_count(ctx, involvements, v.involvements.size(), kMaxInvolvements);
  for (std::size_t i = 0; i < v.involvements.size(); ++i)
    check_involvement(ctx, involvements + "[" + std::to_string(i) + "]", v.involvements[i]);
  if (v.shield) check_shield(ctx, path + ".shield", *v.shield);
}

}  // namespace

namespace detail {

void check_record_id(DecodeContext& ctx, const std::string& path, std::string_view id) {
  if (id.size() > kMaxRecordIdLen)
    ctx.fail(Errc::too_large, path,
             std::to_string(id.size()) + " bytes, limit " + std::to_string(kMaxRecordIdLen));
  else if (!valid_record_id(id))
    ctx.fail(Errc::invalid_field, path, "must be 1..64 bytes of [A-Za-z0-9._:-]");
}

void check_authority_id(DecodeContext& ctx, const std::string& path, std::string_view id) {
  if (id.size() > kMaxAuthorityIdLen)
    ctx.fail(Errc::too_large, path,
             std::to_string(id.size()) + " bytes, limit " + std::to_string(kMaxAuthorityIdLen));
  else if (!valid_authority_id(id))
    ctx.fail(Errc::invalid_field, path,
             "must be 1..32 bytes of [a-z0-9-], not starting or ending with '-'");
}

}  // namespace detail

Status check_record(const ChildRecord& r) {
  Ctx ctx;
  detail::check_record_id(ctx, "record.record_id", r.record_id);
  check_identity(ctx, "record.identity", r.identity);
  check_details(ctx, "record.details", r.details);
  if (ctx.failed()) return ctx.error();
  return Ok{};
}

// ---- Writers ------------------------------------------------------------------------------
// Encoders are total: they write whatever they are given (a checked value encodes to the one
// canonical form; an unchecked one still encodes, which is how invalid vectors are made).

namespace {

std::uint32_t count(std::size_t n) { return static_cast<std::uint32_t>(n); }

void write_date(Writer& w, const Date& d) { w.str(d.to_string()); }

void write_optional_date(Writer& w, const std::optional<Date>& d) {
  d ? write_date(w, *d) : w.nil();
}

void write_name(Writer& w, const PersonName& n) {
  w.array(3);
  w.str(n.given);
  w.str(n.middle);
  w.str(n.family);
}

void write_address(Writer& w, const Address& a) {
  w.array(2);
  w.array(count(a.lines.size()));
  for (const auto& l : a.lines) w.str(l);
  w.str(a.postcode);
}

void write_optional_address(Writer& w, const std::optional<Address>& a) {
  a ? write_address(w, *a) : w.nil();
}

void write_contact(Writer& w, const Contact& c) {
  w.array(6);
  write_name(w, c.name);
  w.str(c.relationship);
  w.boolean(c.parental_responsibility);
  w.array(count(c.phones.size()));
  for (const auto& p : c.phones) w.str(p);
  w.boolean(c.address_as_child);
  write_optional_address(w, c.address);
}

void write_involvement(Writer& w, const Involvement& v) {
  w.array(12);
  w.uint(static_cast<std::uint64_t>(v.kind));
  w.str(v.organisation);
  w.str(v.organisation_id);
  w.str(v.role);
  w.str(v.practitioner);
  w.str(v.phone);
  write_optional_date(w, v.start);
  write_optional_date(w, v.end);
  w.boolean(v.lead_professional);
  w.boolean(v.assessment_completed);
  w.boolean(v.sensitive);
  w.boolean(v.consent);
}

void write_shield(Writer& w, const Shield& s) {
  w.array(3);
  w.uint(s.reason);
  w.str(s.set_by);
  write_date(w, s.set_on);
}

}  // namespace

void write_child_identity(Writer& w, const ChildIdentity& v) {
  w.array(5);
  write_name(w, v.name);
  w.array(count(v.former_names.size()));
  for (const auto& n : v.former_names) write_name(w, n);
  w.uint(static_cast<std::uint64_t>(v.gender));
  write_date(w, v.date_of_birth);
  write_optional_date(w, v.date_of_death);
}

void write_child_details(Writer& w, const ChildDetails& v) {
  w.array(7);
  write_optional_address(w, v.address);
  w.optional_str(v.upn);
  w.optional_str(v.uln);
  w.optional_str(v.nhs_number);
  w.array(count(v.contacts.size()));
  for (const auto& c : v.contacts) write_contact(w, c);
  w.array(count(v.involvements.size()));
  for (const auto& i : v.involvements) write_involvement(w, i);
  v.shield ? write_shield(w, *v.shield) : w.nil();
}

Bytes encode_child_identity(const ChildIdentity& v) {
  Writer w;
  write_child_identity(w, v);
  return w.take();
}

Bytes encode_child_details(const ChildDetails& v) {
  Writer w;
  write_child_details(w, v);
  return w.take();
}

Bytes encode_child_record(const ChildRecord& v) {
  Writer w;
  w.array(4);
  w.uint(kChildRecordVersion);
  w.str(v.record_id);
  write_child_identity(w, v.identity);
  write_child_details(w, v.details);
  return w.take();
}

// ---- Readers ------------------------------------------------------------------------------
// Readers check types and arity; every domain rule is left to the check_* functions above,
// which run on the value just read with the reader's path.

namespace {

using detail::kAnyLen;
using detail::read_struct;

std::string read_text(const Node& n) { return n.as_str(kAnyLen); }

std::optional<std::string> read_optional_text(const Node& n) {
  return n.as_optional_str(kAnyLen, 0);
}

Date read_date(const Node& n) {
  std::string s = read_text(n);
  if (n.context().failed()) return Date{};
  auto d = Date::parse(s);
  if (!d) {
    n.fail(Errc::invalid_field, kBadDate);
    return Date{};
  }
  return *d;
}

std::optional<Date> read_optional_date(const Node& n) {
  if (n.is_nil()) return std::nullopt;
  return read_date(n);
}

// A list of at most `max` items (more is too_large, as in check_count).
template <typename T, typename ReadItem>
std::vector<T> read_list(const Node& n, std::size_t max, ReadItem&& read_item) {
  std::vector<T> out;
  ArrayNode a = n.as_array(0, max);
  for (std::size_t i = 0; i < a.size() && !n.context().failed(); ++i)
    out.push_back(read_item(a.item(i)));
  return out;
}

PersonName read_name(const Node& n) {
  PersonName v;
  ArrayNode a = read_struct(n, 3);
  v.given = read_text(a.field(0, "given"));
  v.middle = read_text(a.field(1, "middle"));
  v.family = read_text(a.field(2, "family"));
  return v;
}

std::optional<Address> read_optional_address(const Node& n) {
  if (n.is_nil()) return std::nullopt;
  Address v;
  ArrayNode a = read_struct(n, 2);
  v.lines = read_list<std::string>(a.field(0, "lines"), kMaxAddressLines, read_text);
  v.postcode = read_text(a.field(1, "postcode"));
  return v;
}

Contact read_contact(const Node& n) {
  Contact v;
  ArrayNode a = read_struct(n, 6);
  v.name = read_name(a.field(0, "name"));
  v.relationship = read_text(a.field(1, "relationship"));
  v.parental_responsibility = a.field(2, "parental_responsibility").as_bool();
  v.phones = read_list<std::string>(a.field(3, "phones"), kMaxPhones, read_text);
  v.address_as_child = a.field(4, "address_as_child").as_bool();
  v.address = read_optional_address(a.field(5, "address"));
  return v;
}

Involvement read_involvement(const Node& n) {
  Involvement v;
  ArrayNode a = read_struct(n, 12);
  v.kind = static_cast<InvolvementKind>(a.field(0, "kind").as_uint(UINT8_MAX));
  v.organisation = read_text(a.field(1, "organisation"));
  v.organisation_id = read_text(a.field(2, "organisation_id"));
  v.role = read_text(a.field(3, "role"));
  v.practitioner = read_text(a.field(4, "practitioner"));
  v.phone = read_text(a.field(5, "phone"));
  v.start = read_optional_date(a.field(6, "start"));
  v.end = read_optional_date(a.field(7, "end"));
  v.lead_professional = a.field(8, "lead_professional").as_bool();
  v.assessment_completed = a.field(9, "assessment_completed").as_bool();
  v.sensitive = a.field(10, "sensitive").as_bool();
  v.consent = a.field(11, "consent").as_bool();
  return v;
}

std::optional<Shield> read_optional_shield(const Node& n) {
  if (n.is_nil()) return std::nullopt;
  Shield v;
  ArrayNode a = read_struct(n, 3);
  v.reason = static_cast<std::uint32_t>(a.field(0, "reason").as_uint(UINT32_MAX));
  v.set_by = read_text(a.field(1, "set_by"));
  v.set_on = read_date(a.field(2, "set_on"));
  return v;
}

}  // namespace

ChildIdentity read_child_identity(const Node& n) {
  ChildIdentity v;
  ArrayNode a = read_struct(n, 5);
  v.name = read_name(a.field(0, "name"));
  v.former_names = read_list<PersonName>(a.field(1, "former_names"), kMaxFormerNames, read_name);
  v.gender = static_cast<Gender>(a.field(2, "gender").as_uint(UINT8_MAX));
  v.date_of_birth = read_date(a.field(3, "date_of_birth"));
  v.date_of_death = read_optional_date(a.field(4, "date_of_death"));
  if (!n.context().failed()) check_identity(n.context(), n.path(), v);
  return v;
}

ChildDetails read_child_details(const Node& n) {
  ChildDetails v;
  ArrayNode a = read_struct(n, 7);
  v.address = read_optional_address(a.field(0, "address"));
  v.upn = read_optional_text(a.field(1, "upn"));
  v.uln = read_optional_text(a.field(2, "uln"));
  v.nhs_number = read_optional_text(a.field(3, "nhs_number"));
  v.contacts = read_list<Contact>(a.field(4, "contacts"), kMaxContacts, read_contact);
  v.involvements =
      read_list<Involvement>(a.field(5, "involvements"), kMaxInvolvements, read_involvement);
  v.shield = read_optional_shield(a.field(6, "shield"));
  if (!n.context().failed()) check_details(n.context(), n.path(), v);
  return v;
}

namespace {

ChildRecord read_child_record(const Node& n) {
  ChildRecord v;
  ArrayNode a = detail::read_versioned_struct(n, kChildRecordVersion, 4);
  Node id = a.field(1, "record_id");
  v.record_id = read_text(id);
  if (!n.context().failed()) detail::check_record_id(n.context(), id.path(), v.record_id);
  v.identity = read_child_identity(a.field(2, "identity"));
  v.details = read_child_details(a.field(3, "details"));
  return v;
}

}  // namespace

Result<ChildDetails> decode_child_details(ByteView bytes) {
  return decode_canonical<ChildDetails>(bytes, DecodeLimits{}, "details", read_child_details,
                                        encode_child_details);
}

Result<ChildRecord> decode_child_record(ByteView bytes) {
  return decode_canonical<ChildRecord>(bytes, DecodeLimits{}, "record", read_child_record,
                                       encode_child_record);
}

}  // namespace aegis::protocol
