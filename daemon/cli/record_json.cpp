// ChildRecord <-> JSON for the CLI (see record_json.hpp and docs/store.md, "Record JSON").
#include "record_json.hpp"

#include <array>
#include <initializer_list>
#include <optional>
#include <utility>
#include <vector>

namespace aegis::cli {

using nlohmann::json;
using nlohmann::ordered_json;
using protocol::Address;
using protocol::ChildRecord;
using protocol::Contact;
using protocol::Date;
using protocol::Gender;
using protocol::Involvement;
using protocol::InvolvementKind;
using protocol::PersonName;
using protocol::Shield;

namespace {

constexpr std::array<std::pair<Gender, std::string_view>, 4> kGenders = {{
    {Gender::not_known, "not_known"},
    {Gender::male, "male"},
    {Gender::female, "female"},
    {Gender::not_applicable, "not_applicable"},
}};

constexpr std::array<std::pair<InvolvementKind, std::string_view>, 9> kKinds = {{
    {InvolvementKind::educational_setting, "educational_setting"},
    {InvolvementKind::gp_practice, "gp_practice"},
    {InvolvementKind::health_visitor, "health_visitor"},
    {InvolvementKind::school_nurse, "school_nurse"},
    {InvolvementKind::social_care, "social_care"},
    {InvolvementKind::youth_justice, "youth_justice"},
    {InvolvementKind::early_help, "early_help"},
    {InvolvementKind::other_health, "other_health"},
    {InvolvementKind::other, "other"},
}};

template <typename E, std::size_t N>
std::string_view name_of(const std::array<std::pair<E, std::string_view>, N>& table, E value) {
  for (const auto& [v, name] : table)
    if (v == value) return name;
  return "unknown";
}

template <typename E, std::size_t N>
std::string names_of(const std::array<std::pair<E, std::string_view>, N>& table) {
  std::string out;
  for (const auto& [v, name] : table) out += (out.empty() ? "" : ", ") + std::string(name);
  return out;
}

std::string item(const std::string& path, std::size_t i) {
  return path + "[" + std::to_string(i) + "]";
}

// Reads JSON values at paths, recording the first error (later ones are ignored, so a reader
// can be written straight through and checked once at the end).
class Reader {
 public:
  bool failed() const { return error_.has_value(); }
  const JsonError& error() const { return *error_; }
  void fail(const std::string& path, std::string problem) {
    if (!error_) error_ = JsonError{path, std::move(problem)};
  }

  // An object whose keys are all in `known`; nullptr (after failing) otherwise.
  const json* object(const json& j, const std::string& path,
                     std::initializer_list<std::string_view> known) {
    if (!j.is_object()) return wrong_type(j, path, "an object"), nullptr;
    for (const auto& [key, value] : j.items()) {
      bool ok = false;
      for (std::string_view k : known) ok = ok || key == k;
      if (!ok) fail(path + "." + key, "unknown field");
    }
    return failed() ? nullptr : &j;
  }

  // The member `key`, or nullptr when absent or null (a failure when required).
  const json* member(const json& obj, const std::string& path, const char* key, bool required) {
    auto it = obj.find(key);
    if (it == obj.end() || (it->is_null() && !required)) {
      if (required) fail(path + "." + key, "missing (required)");
      return nullptr;
    }
    return &*it;
  }

  std::string string(const json& obj, const std::string& path, const char* key, bool required) {
    const json* v = member(obj, path, key, required);
    if (!v) return {};
    if (!v->is_string()) return wrong_type(*v, path + "." + key, "a string"), std::string();
    return v->get<std::string>();
  }

  std::optional<std::string> optional_string(const json& obj, const std::string& path,
                                             const char* key) {
    if (!member(obj, path, key, false)) return std::nullopt;
    return string(obj, path, key, false);
  }

  bool boolean(const json& obj, const std::string& path, const char* key) {
    const json* v = member(obj, path, key, false);
    if (!v) return false;
    if (!v->is_boolean()) return wrong_type(*v, path + "." + key, "true or false"), false;
    return v->get<bool>();
  }

  std::optional<Date> date(const json& obj, const std::string& path, const char* key,
                           bool required) {
    const json* v = member(obj, path, key, required);
    if (!v) return std::nullopt;
    const std::string at = path + "." + key;
    if (!v->is_string()) return wrong_type(*v, at, "a date string YYYY-MM-DD"), std::nullopt;
    std::optional<Date> d = Date::parse(v->get<std::string>());
    if (!d) fail(at, "not a valid date (expected YYYY-MM-DD, a real calendar date, 1900..2199)");
    return d;
  }

  std::uint32_t uint32(const json& obj, const std::string& path, const char* key) {
    const json* v = member(obj, path, key, true);
    if (!v) return 0;
    if (!v->is_number_integer() || v->get<std::int64_t>() < 0 ||
        v->get<std::int64_t>() > UINT32_MAX)
      return wrong_type(*v, path + "." + key, "a non-negative integer"), 0;
    return static_cast<std::uint32_t>(v->get<std::int64_t>());
  }

  // The array member `key` (absent or null: empty), each element read by `read_one`.
  template <typename T, typename F>
  std::vector<T> array(const json& obj, const std::string& path, const char* key, F read_one) {
    std::vector<T> out;
    const json* v = member(obj, path, key, false);
    if (!v) return out;
    const std::string at = path + "." + key;
    if (!v->is_array()) return wrong_type(*v, at, "an array"), out;
    for (std::size_t i = 0; i < v->size() && !failed(); ++i)
      out.push_back(read_one((*v)[i], item(at, i)));
    return out;
  }

  template <typename E, std::size_t N>
  E enumeration(const json& obj, const std::string& path, const char* key, bool required,
                E fallback, const std::array<std::pair<E, std::string_view>, N>& table) {
    const json* v = member(obj, path, key, required);
    if (!v) return fallback;
    const std::string at = path + "." + key;
    if (!v->is_string()) return wrong_type(*v, at, "a string"), fallback;
    const std::string s = v->get<std::string>();
    for (const auto& [value, name] : table)
      if (s == name) return value;
    fail(at, "'" + s + "' is not one of: " + names_of(table));
    return fallback;
  }

 private:
  void wrong_type(const json& v, const std::string& path, std::string_view expected) {
    fail(path, "expected " + std::string(expected) + ", found " + v.type_name());
  }
  std::optional<JsonError> error_;
};

PersonName read_name(Reader& r, const json& j, const std::string& path) {
  PersonName n;
  const json* o = r.object(j, path, {"given", "middle", "family"});
  if (!o) return n;
  n.given = r.string(*o, path, "given", false);
  n.middle = r.string(*o, path, "middle", false);
  n.family = r.string(*o, path, "family", true);
  return n;
}

Address read_address(Reader& r, const json& j, const std::string& path) {
  Address a;
  const json* o = r.object(j, path, {"lines", "postcode"});
  if (!o) return a;
  if (!r.member(*o, path, "lines", true)) return a;
  a.lines = r.array<std::string>(*o, path, "lines", [&](const json& line, const std::string& at) {
    if (!line.is_string()) {
      r.fail(at, std::string("expected a string, found ") + line.type_name());
      return std::string();
    }
    return line.get<std::string>();
  });
  a.postcode = r.string(*o, path, "postcode", false);
  return a;
}

std::optional<Address> read_optional_address(Reader& r, const json& obj, const std::string& path,
                                             const char* key) {
  const json* v = r.member(obj, path, key, false);
  if (!v) return std::nullopt;
  return read_address(r, *v, path + "." + key);
}

Contact read_contact(Reader& r, const json& j, const std::string& path) {
  Contact c;
  const json* o = r.object(
      j, path,
      {"name", "relationship", "parental_responsibility", "phones", "address_as_child", "address"});
  if (!o) return c;
  if (const json* n = r.member(*o, path, "name", true)) c.name = read_name(r, *n, path + ".name");
  c.relationship = r.string(*o, path, "relationship", true);
  c.parental_responsibility = r.boolean(*o, path, "parental_responsibility");
  c.phones = r.array<std::string>(*o, path, "phones", [&](const json& p, const std::string& at) {
    if (!p.is_string()) {
      r.fail(at, std::string("expected a string, found ") + p.type_name());
      return std::string();
    }
    return p.get<std::string>();
  });
  c.address_as_child = r.boolean(*o, path, "address_as_child");
  c.address = read_optional_address(r, *o, path, "address");
  return c;
}

Involvement read_involvement(Reader& r, const json& j, const std::string& path) {
  Involvement v;
  const json* o =
      r.object(j, path,
               {"kind", "organisation", "organisation_id", "role", "practitioner", "phone", "start",
                "end", "lead_professional", "assessment_completed", "sensitive", "consent"});
  if (!o) return v;
  v.kind = r.enumeration(*o, path, "kind", true, InvolvementKind::other, kKinds);
  v.organisation = r.string(*o, path, "organisation", true);
  v.organisation_id = r.string(*o, path, "organisation_id", false);
  v.role = r.string(*o, path, "role", false);
  v.practitioner = r.string(*o, path, "practitioner", false);
  v.phone = r.string(*o, path, "phone", false);
  v.start = r.date(*o, path, "start", false);
  v.end = r.date(*o, path, "end", false);
  v.lead_professional = r.boolean(*o, path, "lead_professional");
  v.assessment_completed = r.boolean(*o, path, "assessment_completed");
  v.sensitive = r.boolean(*o, path, "sensitive");
  v.consent = r.boolean(*o, path, "consent");
  return v;
}

Shield read_shield(Reader& r, const json& j, const std::string& path) {
  Shield s;
  const json* o = r.object(j, path, {"reason", "set_by", "set_on"});
  if (!o) return s;
  s.reason = r.uint32(*o, path, "reason");
  s.set_by = r.string(*o, path, "set_by", true);
  if (auto d = r.date(*o, path, "set_on", true)) s.set_on = *d;
  return s;
}

ordered_json name_json(const PersonName& n) {
  return ordered_json{{"given", n.given}, {"middle", n.middle}, {"family", n.family}};
}

ordered_json address_json(const std::optional<Address>& a) {
  if (!a) return nullptr;
  return ordered_json{{"lines", a->lines}, {"postcode", a->postcode}};
}

ordered_json date_json(const std::optional<Date>& d) {
  return d ? ordered_json(d->to_string()) : ordered_json(nullptr);
}

ordered_json text_json(const std::optional<std::string>& s) {
  return s ? ordered_json(*s) : ordered_json(nullptr);
}

}  // namespace

protocol::Result<ChildRecord, JsonError> record_from_json(const json& j) {
  Reader r;
  ChildRecord rec;
  const std::string root = "record";
  const json* o = r.object(j, root, {"record_id", "identity", "details"});
  if (o) {
    rec.record_id = r.string(*o, root, "record_id", true);

    const std::string ip = root + ".identity";
    if (const json* iv = r.member(*o, root, "identity", true)) {
      if (const json* io = r.object(
              *iv, ip, {"name", "former_names", "gender", "date_of_birth", "date_of_death"})) {
        if (const json* n = r.member(*io, ip, "name", true))
          rec.identity.name = read_name(r, *n, ip + ".name");
        rec.identity.former_names = r.array<PersonName>(
            *io, ip, "former_names",
            [&](const json& n, const std::string& at) { return read_name(r, n, at); });
        rec.identity.gender = r.enumeration(*io, ip, "gender", false, Gender::not_known, kGenders);
        if (auto d = r.date(*io, ip, "date_of_birth", true)) rec.identity.date_of_birth = *d;
        rec.identity.date_of_death = r.date(*io, ip, "date_of_death", false);
      }
    }

    const std::string dp = root + ".details";
    if (const json* dv = r.member(*o, root, "details", false)) {
      if (const json* d = r.object(
              *dv, dp,
              {"address", "upn", "uln", "nhs_number", "contacts", "involvements", "shield"})) {
        rec.details.address = read_optional_address(r, *d, dp, "address");
        rec.details.upn = r.optional_string(*d, dp, "upn");
        rec.details.uln = r.optional_string(*d, dp, "uln");
        rec.details.nhs_number = r.optional_string(*d, dp, "nhs_number");
        rec.details.contacts = r.array<Contact>(
            *d, dp, "contacts",
            [&](const json& c, const std::string& at) { return read_contact(r, c, at); });
        rec.details.involvements = r.array<Involvement>(
            *d, dp, "involvements",
            [&](const json& v, const std::string& at) { return read_involvement(r, v, at); });
        if (const json* s = r.member(*d, dp, "shield", false))
          rec.details.shield = read_shield(r, *s, dp + ".shield");
      }
    }
  }
  if (r.failed()) return r.error();
  return rec;
}

ordered_json contacts_to_json(const std::vector<Contact>& list) {
  ordered_json contacts = ordered_json::array();
  for (const Contact& c : list)
    contacts.push_back(ordered_json{{"name", name_json(c.name)},
                                    {"relationship", c.relationship},
                                    {"parental_responsibility", c.parental_responsibility},
                                    {"phones", c.phones},
                                    {"address_as_child", c.address_as_child},
                                    {"address", address_json(c.address)}});
  return contacts;
}

ordered_json involvements_to_json(const std::vector<Involvement>& list) {
  ordered_json involvements = ordered_json::array();
  for (const Involvement& v : list)
    involvements.push_back(ordered_json{{"kind", name_of(kKinds, v.kind)},
                                        {"organisation", v.organisation},
                                        {"organisation_id", v.organisation_id},
                                        {"role", v.role},
                                        {"practitioner", v.practitioner},
                                        {"phone", v.phone},
                                        {"start", date_json(v.start)},
                                        {"end", date_json(v.end)},
                                        {"lead_professional", v.lead_professional},
                                        {"assessment_completed", v.assessment_completed},
                                        {"sensitive", v.sensitive},
                                        {"consent", v.consent}});
  return involvements;
}

ordered_json record_to_json(const ChildRecord& r) {
  ordered_json former = ordered_json::array();
  for (const PersonName& n : r.identity.former_names) former.push_back(name_json(n));
  const ordered_json contacts = contacts_to_json(r.details.contacts);
  const ordered_json involvements = involvements_to_json(r.details.involvements);

  ordered_json shield = nullptr;
  if (r.details.shield)
    shield = ordered_json{{"reason", r.details.shield->reason},
                          {"set_by", r.details.shield->set_by},
                          {"set_on", r.details.shield->set_on.to_string()}};

  return ordered_json{
      {"record_id", r.record_id},
      {"identity", ordered_json{{"name", name_json(r.identity.name)},
                                {"former_names", former},
                                {"gender", name_of(kGenders, r.identity.gender)},
                                {"date_of_birth", r.identity.date_of_birth.to_string()},
                                {"date_of_death", date_json(r.identity.date_of_death)}}},
      {"details", ordered_json{{"address", address_json(r.details.address)},
                               {"upn", text_json(r.details.upn)},
                               {"uln", text_json(r.details.uln)},
                               {"nhs_number", text_json(r.details.nhs_number)},
                               {"contacts", contacts},
                               {"involvements", involvements},
                               {"shield", shield}}},
  };
}

protocol::Result<json, JsonError> parse_json_text(const std::string& text) {
  // nlohmann keeps the last of duplicate keys silently; track keys per open object instead.
  std::vector<std::vector<std::string>> open_objects;
  std::optional<JsonError> duplicate;
  auto callback = [&](int /*depth*/, json::parse_event_t event, json& parsed) {
    switch (event) {
      case json::parse_event_t::object_start: open_objects.emplace_back(); break;
      case json::parse_event_t::object_end: open_objects.pop_back(); break;
      case json::parse_event_t::key: {
        const std::string key = parsed.get<std::string>();
        auto& keys = open_objects.back();
        if (std::find(keys.begin(), keys.end(), key) != keys.end() && !duplicate)
          duplicate = JsonError{"record", "duplicate key '" + key + "'"};
        keys.push_back(key);
        break;
      }
      default: break;
    }
    return true;
  };
  json j = json::parse(text, callback, /*allow_exceptions=*/false);
  if (j.is_discarded()) {
    // Parse again with exceptions for nlohmann's description (line and column).
    try {
      json ignored = json::parse(text);
    } catch (const json::parse_error& e) {
      std::string what = e.what();
      const std::string marker = "parse error at ";
      auto at = what.find(marker);
      return JsonError{"record",
                       "not valid JSON: " + (at == std::string::npos ? what : what.substr(at))};
    }
    return JsonError{"record", "not valid JSON"};
  }
  if (duplicate) return *duplicate;
  return j;
}

nlohmann::ordered_json notice_to_json(const protocol::AccessNotice& n, bool override_notice) {
  nlohmann::ordered_json j = {{"kind", override_notice ? "override" : "access"},
                              {"record_id", n.record_id},
                              {"viewer_authority_id", n.viewer_authority_id},
                              {"user_id", n.user_id},
                              {"role", protocol::user_role_name(n.role)},
                              {"purpose", protocol::query_purpose_name(n.purpose)},
                              {"time_ms", n.time_ms}};
  if (override_notice) j["reason"] = n.reason;
  return j;
}

}  // namespace aegis::cli
