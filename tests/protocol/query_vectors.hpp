// How the query vector files (protocol/vectors/{valid,invalid}_query.json, docs/PROTOCOL.md
// §16.7) spell a decoded value's fields as JSON: shared by tests/tools/gen_vectors_query.cpp,
// which writes them, and tests/protocol/vectors_query_test.cpp, which compares its own decoding
// of every case with them.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "aegis/protocol/feed.hpp"
#include "aegis/protocol/query.hpp"

namespace aegis::test::query_vectors {

using json = nlohmann::ordered_json;
using namespace aegis::protocol;

template <std::size_t N>
std::string hex_of(const ByteArray<N>& b) { return to_hex(ByteView(b.data(), N)); }

inline json criteria_json(const QueryCriteria& c) {
  json match = nullptr;
  if (c.tokens) {
    match = {{"key_id", c.tokens->key_id}, {"entries", json::array()}};
    for (const MatchEntry& e : c.tokens->entries)
      match["entries"].push_back({{"kind", std::string(identifier_kind_name(e.kind))},
                                  {"token_hex", hex_of(e.token)}});
  }
  return {{"given", c.given},
          {"family", c.family},
          {"date_of_birth", c.date_of_birth.to_string()},
          {"postcode", c.postcode ? json(*c.postcode) : json(nullptr)},
          {"match", match}};
}

inline json query_json(const Query& q) {
  return {{"version", q.version},
          {"authority_id", q.authority_id},
          {"signer_serial", q.signer_serial},
          {"query_id_hex", hex_of(q.query_id)},
          {"time_ms", q.time_ms},
          {"user_id", q.user_id},
          {"role", std::string(user_role_name(q.role))},
          {"purpose", std::string(query_purpose_name(q.purpose))},
          {"criteria", criteria_json(q.criteria)}};
}

inline json override_json(const OverrideRequest& o) {
  return {{"version", o.version},
          {"query", query_json(o.query)},
          {"national_id", o.national_id},
          {"reason", o.reason}};
}

inline json answer_json(const Answer& a) {
  json children = json::array();
  for (const AnswerChild& c : a.children) {
    json contacts = json::array();
    for (const ShieldContact& s : c.shield_contacts)
      contacts.push_back({{"authority_id", s.authority_id}, {"route", s.route}});
    json records = json::array();
    for (const AnswerRecord& r : c.records)
      records.push_back({{"authority_id", r.authority_id},
                         {"record_id", r.record_id},
                         {"details_hex", to_hex(encode_child_details(r.details))}});
    children.push_back({{"national_id", c.national_id},
                        {"identity_hex", to_hex(encode_child_identity(c.identity))},
                        {"shielded", c.shielded},
                        {"shield_contacts", contacts},
                        {"records", records}});
  }
  return {{"version", a.version},
          {"query_id_hex", hex_of(a.query_id)},
          {"capped", a.capped},
          {"children", children}};
}

inline json override_answer_json(const OverrideAnswer& a) {
  json records = json::array();
  for (const OverrideRecord& r : a.records)
    records.push_back({{"authority_id", r.authority_id},
                       {"record_id", r.record_id},
                       {"details_hex", r.details ? json(to_hex(encode_child_details(*r.details)))
                                                 : json(nullptr)},
                       {"sealed_hex", r.sealed ? json(to_hex(encode_sealed_blob(*r.sealed)))
                                               : json(nullptr)}});
  return {{"version", a.version},
          {"query_id_hex", hex_of(a.query_id)},
          {"national_id", a.national_id},
          {"identity_hex", to_hex(encode_child_identity(a.identity))},
          {"records", records}};
}

inline json one_notice_json(const AccessNotice& n) {
  return {{"record_id", n.record_id},
          {"viewer_authority_id", n.viewer_authority_id},
          {"user_id", n.user_id},
          {"role", std::string(user_role_name(n.role))},
          {"purpose", std::string(query_purpose_name(n.purpose))},
          {"time_ms", n.time_ms}};
}

// A version 5 notice item's fields inline; a version 6 access_notice item's list as "notices".
inline json notice_json(const FeedItem& f) {
  json out = {{"version", f.version},
              {"authority_id", f.authority_id},
              {"kind", f.kind == FeedKind::override_notice ? "override_notice" : "access_notice"}};
  if (f.kind == FeedKind::access_notice && f.version >= kNoticeListFeedItemVersion) {
    json list = json::array();
    for (const AccessNotice& n : f.notices) list.push_back(one_notice_json(n));
    out["notices"] = std::move(list);
    return out;
  }
  out.update(one_notice_json(f.notice));
  if (f.kind == FeedKind::override_notice) out["reason"] = f.notice.reason;
  return out;
}

struct MessageJson {
  json operator()(const QueryRequest& m) const { return {{"query_hex", to_hex(m.query)}}; }
  json operator()(const QueryAnswer& m) const { return {{"answer", answer_json(m.answer)}}; }
  json operator()(const OverrideRequestMessage& m) const {
    return {{"request_hex", to_hex(m.request)}};
  }
  json operator()(const QueryRefused& m) const {
    return {{"query_id_hex", hex_of(m.query_id)}, {"code", m.code}, {"detail", m.detail}};
  }
  json operator()(const OverrideAnswerMessage& m) const {
    return {{"answer", override_answer_json(m.answer)}};
  }
};

inline json message_json(const QueryMessage& m) {
  json out = std::visit(MessageJson{}, m);
  out["type"] = std::string(query_message_name(m));
  return out;
}

}  // namespace aegis::test::query_vectors
