// The index role's admin commands (docs/resolution.md, "Operator commands and export"), run by
// `aegis review` and `aegis resolve` over the admin socket:
//   {"cmd":"review_list","limit":N}  -> {"total":T,"pairs":[{id,a,b,score,cap,evidence,since_ms}]}
//   {"cmd":"review_show","pair":ID}  -> {"pair":{...},"records":[a,b],"score":S,"outcome":..,
//                                        "cap":..,"evidence":[{field,level,weight}]}
//   {"cmd":"review_decide","pair":ID,"decision":"link"|"separate","operator":OP,"reason":R}
//                                    -> {"decision":{...},"national_ids":{a,b},"events":N,...}
//   {"cmd":"resolve_all"}            -> {"records","clusters","review_pairs","events",...}
// A decision or a re-resolution takes effect at once: the feeds it advanced are pumped to the
// connected authorities. Refusals carry the index's code (not_found, gone, invalid_argument) or
// bad_request. Logged: pair ids, decision kinds and operator ids, never names or reasons.
#include <algorithm>

#include "clock.hpp"
#include "index_node.hpp"
#include "log.hpp"
#include "transport/admin_socket.hpp"

namespace aegis::daemon {

namespace {

using nlohmann::json;
using nlohmann::ordered_json;

constexpr std::uint64_t kDefaultListLimit = 50;
constexpr std::uint64_t kMaxListLimit = 100;

[[noreturn]] void refuse_request(const index::IndexError& e) {
  throw AdminError(std::string(index::index_errc_name(e.code)), e.message());
}

std::uint64_t uint_field(const json& request, const char* key,
                         std::optional<std::uint64_t> fallback) {
  auto it = request.find(key);
  if (it == request.end()) {
    if (fallback) return *fallback;
    throw AdminError("bad_request", std::string("\"") + key + "\": required");
  }
  if (!it->is_number_unsigned())
    throw AdminError("bad_request", std::string("\"") + key + "\": a positive integer required");
  return it->get<std::uint64_t>();
}

std::string string_field(const json& request, const char* key) {
  auto it = request.find(key);
  if (it == request.end() || !it->is_string())
    throw AdminError("bad_request", std::string("\"") + key + "\": a string required");
  return it->get<std::string>();
}

ordered_json ref_json(const resolve::RecordRef& r) {
  return {{"authority_id", r.authority_id}, {"record_id", r.record_id}};
}

ordered_json queued_json(const index::QueuedPair& p) {
  return {{"id", p.id},   {"a", ref_json(p.a)},     {"b", ref_json(p.b)},    {"score", p.score},
          {"cap", p.cap}, {"evidence", p.evidence}, {"since_ms", p.since_ms}};
}

ordered_json name_json(const protocol::PersonName& n) {
  return {{"given", n.given}, {"middle", n.middle}, {"family", n.family}};
}

std::string_view gender_word(protocol::Gender g) {
  switch (g) {
    case protocol::Gender::male: return "male";
    case protocol::Gender::female: return "female";
    case protocol::Gender::not_applicable: return "not_applicable";
    case protocol::Gender::not_known: break;
  }
  return "not_known";
}

// What an index operator may see of a record under review: identity, never identifiers.
ordered_json side_json(const index::ReviewSide& s) {
  ordered_json former = ordered_json::array();
  for (const protocol::PersonName& n : s.identity.former_names) former.push_back(name_json(n));
  return {{"authority_id", s.ref.authority_id},
          {"record_id", s.ref.record_id},
          {"national_id", s.national_id ? ordered_json(*s.national_id) : ordered_json(nullptr)},
          {"shielded", s.shielded},
          {"name", name_json(s.identity.name)},
          {"former_names", former},
          {"gender", gender_word(s.identity.gender)},
          {"date_of_birth", s.identity.date_of_birth.to_string()}};
}

ordered_json change_json(const index::ResolutionChange& c) {
  return {
      {"events", c.events.size()}, {"records_moved", c.records_moved}, {"feeds", c.feeds.size()}};
}

}  // namespace

void IndexNode::add_admin(Admin& admin) {
  admin.on_request("review_list", [this](const json& request) {
    const std::uint64_t limit = uint_field(request, "limit", kDefaultListLimit);
    if (limit == 0 || limit > kMaxListLimit)
      throw AdminError("bad_request",
                       "\"limit\": 1 to " + std::to_string(kMaxListLimit) + " pairs");
    auto total = store_.review_count();
    if (!total) refuse_request(total.error());
    auto pairs = store_.review_list(limit);
    if (!pairs) refuse_request(pairs.error());
    ordered_json list = ordered_json::array();
    for (const index::QueuedPair& p : *pairs) list.push_back(queued_json(p));
    // One reply is one admin message: the longest record ids could overflow it.
    while (!list.empty() && list.dump().size() > transport::kMaxAdminMessageSize - 1024)
      list.erase(list.size() - 1);
    return ordered_json{{"total", *total}, {"pairs", list}};
  });

  admin.on_request("review_show", [this](const json& request) {
    auto d = store_.review_pair(uint_field(request, "pair", std::nullopt));
    if (!d) refuse_request(d.error());
    ordered_json evidence = ordered_json::array();
    for (const resolve::FieldEvidence& e : d->score.evidence)
      evidence.push_back({{"field", resolve::field_name(e.field)},
                          {"level", resolve::level_name(e.level)},
                          {"weight", e.weight}});
    return ordered_json{{"pair", queued_json(d->pair)},
                        {"records", {side_json(d->a), side_json(d->b)}},
                        {"score", d->score.score},
                        {"outcome", resolve::outcome_name(d->score.outcome)},
                        {"cap", resolve::cap_name(d->score.cap)},
                        {"evidence", evidence}};
  });

  admin.on_request("review_decide", [this](const json& request) {
    index::OperatorDecision decision;
    decision.review_id = uint_field(request, "pair", std::nullopt);
    const std::string kind = string_field(request, "decision");
    if (kind == "link")
      decision.kind = resolve::DecisionKind::link;
    else if (kind == "separate")
      decision.kind = resolve::DecisionKind::separate;
    else
      throw AdminError("bad_request", "\"decision\": link or separate");
    decision.operator_id = string_field(request, "operator");
    decision.reason = string_field(request, "reason");
    now_ms_ = now_ms();
    auto r = store_.decide(decision, now_ms_, signing_);
    if (!r) refuse_request(r.error());
    pump_feeds(r->change.feeds);
    log::info("operator_decision",
              {{"pair", decision.review_id},
               {"decision", kind},
               {"operator", decision.operator_id},
               {"events", static_cast<std::uint64_t>(r->change.events.size())}});
    ordered_json out = {
        {"decision",
         {{"id", r->decision.id},
          {"pair", decision.review_id},
          {"kind", kind},
          {"a", ref_json(r->decision.a)},
          {"b", ref_json(r->decision.b)},
          {"operator", r->decision.operator_id},
          {"reason", r->decision.reason},
          {"time_ms", r->decision.time_ms}}},
        {"national_ids",
         {{"a", r->national_id_a ? ordered_json(*r->national_id_a) : ordered_json(nullptr)},
          {"b", r->national_id_b ? ordered_json(*r->national_id_b) : ordered_json(nullptr)}}}};
    const ordered_json change = change_json(r->change);
    for (auto& [k, v] : change.items()) out[k] = v;
    return out;
  });

  admin.on("resolve_all", [this] {
    now_ms_ = now_ms();
    auto r = store_.resolve_all(now_ms_, signing_);
    if (!r) refuse_request(r.error());
    pump_feeds(r->change.feeds);
    log::info("resolved_all", {{"records", r->records},
                               {"clusters", r->clusters},
                               {"events", static_cast<std::uint64_t>(r->change.events.size())},
                               {"records_moved", r->change.records_moved}});
    ordered_json out = {
        {"records", r->records}, {"clusters", r->clusters}, {"review_pairs", r->review_pairs}};
    const ordered_json change = change_json(r->change);
    for (auto& [k, v] : change.items()) out[k] = v;
    return out;
  });
}

}  // namespace aegis::daemon
