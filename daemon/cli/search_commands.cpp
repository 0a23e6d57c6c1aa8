// `aegis search` and `aegis notices` (authority role; docs/query.md):
//   search  — a practitioner's query: the CLI passes who asks, why and the criteria to this
//             node's aegisd over the admin socket; the daemon makes the identifier tokens, signs
//             the Query and asks the index; the Answer comes back as its encoded bytes and is
//             printed here (contacts and involvements per record; a shielded child as identity
//             and "contact the shielding authority").
//   notices — the access and override notices this authority received in its feed: who
//             (authority, user, role) saw which of its records, when and why (an override's
//             reason too: kind "override").
#include "aegis/protocol/bytes.hpp"
#include "aegis/protocol/query.hpp"
#include "commands.hpp"
#include "record_json.hpp"

namespace aegis::cli {
namespace {

using nlohmann::ordered_json;

// The daemon waits up to 10 s for the index; this leaves it room to say so itself.
constexpr int kSearchTimeoutMs = 15000;
constexpr std::size_t kDefaultNotices = 50;

struct SearchOptions {
  std::string user, role = "practitioner", purpose, given, family, dob, postcode, nhs, upn, uln;
};

config::Config load_authority_config(const GlobalOptions& g) {
  config::Config c = load_config(g);
  if (c.role != protocol::Role::authority)
    fail(kExitFailed, "wrong_role", "this command runs on an authority node (role = \"authority\")");
  return c;
}

ordered_json answer_json(const protocol::Answer& a) {
  ordered_json children = ordered_json::array();
  for (const protocol::AnswerChild& c : a.children) {
    protocol::ChildRecord shown;
    shown.identity = c.identity;
    ordered_json child = {{"national_id", c.national_id},
                          {"identity", record_to_json(shown)["identity"]},
                          {"shielded", c.shielded}};
    ordered_json routes = ordered_json::array();
    for (const protocol::ShieldContact& s : c.shield_contacts)
      routes.push_back({{"authority_id", s.authority_id}, {"route", s.route}});
    child["shield_contacts"] = routes;
    ordered_json records = ordered_json::array();
    for (const protocol::AnswerRecord& r : c.records)
      records.push_back({{"authority_id", r.authority_id},
                         {"record_id", r.record_id},
                         {"contacts", contacts_to_json(r.details.contacts)},
                         {"involvements", involvements_to_json(r.details.involvements)}});
    child["records"] = records;
    children.push_back(std::move(child));
  }
  return {{"query_id", protocol::to_hex(a.query_id)},
          {"capped", a.capped},
          {"children", std::move(children)}};
}

std::string full_name(const ordered_json& name) {
  std::string out = name.value("given", std::string());
  const std::string middle = name.value("middle", std::string());
  if (!middle.empty()) out += " " + middle;
  return out + (out.empty() ? "" : " ") + name.value("family", std::string());
}

std::string answer_text(const ordered_json& a) {
  const ordered_json& children = a["children"];
  if (children.empty()) return "no child matches\n";
  std::string out;
  for (const ordered_json& c : children) {
    const ordered_json& id = c["identity"];
    out += c["national_id"].get<std::string>() + "  " + full_name(id["name"]) + ", born " +
           id["date_of_birth"].get<std::string>() + ", " + id["gender"].get<std::string>() + "\n";
    if (c["shielded"].get<bool>()) {
      out += "  SHIELDED: contact the shielding authority\n";
      for (const ordered_json& s : c["shield_contacts"])
        out += "    " + s["authority_id"].get<std::string>() + ": " +
               s["route"].get<std::string>() + "\n";
      continue;
    }
    for (const ordered_json& r : c["records"]) {
      out += "  known to " + r["authority_id"].get<std::string>() + " (record " +
             r["record_id"].get<std::string>() + ")\n";
      for (const ordered_json& k : r["contacts"]) {
        out += "    contact: " + full_name(k["name"]) + " (" +
               k.value("relationship", std::string()) + ")";
        for (const auto& phone : k.value("phones", ordered_json::array()))
          out += " " + phone.get<std::string>();
        out += "\n";
      }
      for (const ordered_json& v : r["involvements"]) {
        out += "    involved: " + v.value("kind", std::string());
        for (const char* key : {"organisation", "practitioner", "phone"})
          if (auto it = v.find(key); it != v.end() && it->is_string())
            out += ", " + it->get<std::string>();
        out += "\n";
      }
    }
  }
  if (a["capped"].get<bool>()) out += "more children matched: give more criteria\n";
  return out;
}

void search(const GlobalOptions& g, const SearchOptions& o) {
  const config::Config c = load_authority_config(g);
  nlohmann::json request = {{"cmd", "search"},   {"user", o.user},     {"role", o.role},
                            {"purpose", o.purpose}, {"given", o.given}, {"family", o.family},
                            {"dob", o.dob}};
  if (!o.postcode.empty()) request["postcode"] = o.postcode;
  if (!o.nhs.empty()) request["nhs"] = o.nhs;
  if (!o.upn.empty()) request["upn"] = o.upn;
  if (!o.uln.empty()) request["uln"] = o.uln;
  const ordered_json r = admin_call(c, request, kSearchTimeoutMs);
  const std::optional<protocol::Bytes> bytes =
      protocol::from_hex(r.value("answer", std::string()));
  if (!bytes) fail(kExitFailed, "bad_reply", "the daemon's reply holds no answer");
  protocol::Result<protocol::Answer> answer = protocol::decode_answer(*bytes);
  if (!answer) fail(kExitFailed, "bad_reply", "the answer does not decode: " + answer.error().message());
  const ordered_json j = answer_json(*answer);
  print_result(g, j, answer_text(j));
}

void notices(const GlobalOptions& g, std::size_t limit) {
  const config::Config c = load_authority_config(g);
  store::Store s = open_store(c);
  auto list = s.notices(limit);
  if (!list) fail_store(list.error());
  ordered_json items = ordered_json::array();
  std::vector<std::vector<std::string>> rows = {
      {"feed", "when", "kind", "record", "viewer", "user", "role", "purpose", "reason"}};
  for (const store::ReceivedNotice& n : *list) {
    const std::string kind = n.override_notice ? "override" : "access";
    ordered_json item = {{"feed_seq", n.feed_seq}, {"received_ms", n.received_ms}};
    item.update(notice_to_json(n.notice, n.override_notice));
    rows.push_back({std::to_string(n.feed_seq), format_time(n.notice.time_ms), kind,
                    n.notice.record_id, n.notice.viewer_authority_id, n.notice.user_id,
                    std::string(protocol::user_role_name(n.notice.role)),
                    std::string(protocol::query_purpose_name(n.notice.purpose)),
                    n.override_notice ? n.notice.reason : std::string()});
    items.push_back(std::move(item));
  }
  print_result(g, {{"notices", items}},
               items.empty() ? "no access notices\n" : format_table(rows));
}

}  // namespace

void add_search_commands(CLI::App& app, const GlobalOptions& g) {
  auto o = std::make_shared<SearchOptions>();
  CLI::App* s = app.add_subcommand(
      "search", "Ask the index who else is involved with a child (a practitioner's query)");
  s->add_option("--user", o->user, "the practitioner's user id (audited)")->required();
  s->add_option("--role", o->role, "practitioner, shield_officer or child_protection_override");
  s->add_option("--purpose", o->purpose,
                "safeguarding, service_delivery, school_transfer, health or audit")
      ->required();
  s->add_option("--given", o->given, "given name")->required();
  s->add_option("--family", o->family, "family name")->required();
  s->add_option("--dob", o->dob, "date of birth, YYYY-MM-DD")->required();
  s->add_option("--postcode", o->postcode, "postcode (never finds a shielded child)");
  s->add_option("--nhs", o->nhs, "NHS number (sent as a token only)");
  s->add_option("--upn", o->upn, "UPN (sent as a token only; never finds a shielded child)");
  s->add_option("--uln", o->uln, "ULN (sent as a token only)");
  s->callback([&g, o] { search(g, *o); });

  auto limit = std::make_shared<std::size_t>(kDefaultNotices);
  CLI::App* n = app.add_subcommand(
      "notices", "Who at other authorities was shown this authority's records (newest first)");
  n->add_option("--limit", *limit, "at most this many (default 50)")
      ->check(CLI::Range(std::size_t{1}, std::size_t{10000}));
  n->callback([&g, limit] { notices(g, *limit); });
}

}  // namespace aegis::cli
