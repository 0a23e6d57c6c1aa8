// Writes the practitioner query test vectors (docs/PROTOCOL.md §16.7) from fixed seeds:
//   protocol/vectors/valid_query.json, invalid_query.json.
// Usage: aegis_gen_vectors_query [OUTPUT_DIR]   (default: the source tree's protocol/vectors)
// Deterministic; every case is checked against this implementation before it is written;
// tests/protocol/vectors_query_test.cpp checks the committed files.
#include <exception>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <stdexcept>
#include <string>

#include "../protocol/query_fixtures.hpp"
#include "../protocol/query_vectors.hpp"
#include "aegis/protocol/codec.hpp"

using namespace aegis::protocol;
using namespace aegis::test::query_fixtures;
using namespace aegis::test::query_vectors;
namespace envelope_fixtures = aegis::test::envelope_fixtures;
using aegis::test::seed;
using aegis::test::SeedSigner;

namespace {

// What decoding `object` bytes gives, as the files spell it (or the error).
Result<json> decode_object(const std::string& object, ByteView bytes, const Trust& trust) {
  if (object == "query_wire") {
    auto v = verify_query(bytes, trust, kNowMs);
    if (!v) return v.error();
    return query_json(*v);
  }
  if (object == "override_wire") {
    auto v = verify_override(bytes, trust, kNowMs);
    if (!v) return v.error();
    return override_json(*v);
  }
  if (object == "answer") {
    auto v = decode_answer(bytes);
    if (!v) return v.error();
    return answer_json(*v);
  }
  if (object == "override_answer") {
    auto v = decode_override_answer(bytes);
    if (!v) return v.error();
    return override_answer_json(*v);
  }
  if (object == "query_message") {
    auto v = decode_query_message(bytes);
    if (!v) return v.error();
    return message_json(*v);
  }
  if (object == "feed_item_body") {
    auto v = decode_feed_item_body(bytes);
    if (!v) return v.error();
    return notice_json(*v);
  }
  throw std::logic_error("unknown object " + object);
}

json certificates_json() {
  json out = json::array();
  for (const Certificate& c : envelope_fixtures::verify_certificates())
    out.push_back({{"serial", c.serial},
                   {"subject_id", c.subject_id},
                   {"role", std::string(role_name(c.role))},
                   {"sign_public_key_hex", to_hex(c.sign_key)},
                   {"not_before_ms", c.not_before_ms},
                   {"not_after_ms", c.not_after_ms}});
  return out;
}

json file_json(const std::string& description, json cases) {
  return {{"description", description},
          {"now_ms", kNowMs},
          {"certificates", certificates_json()},
          {"revoked_serials", envelope_fixtures::revoked_serials()},
          {"cases", std::move(cases)}};
}

Bytes signed_query(const Query& q) { return sign_query(q, SeedSigner(seed(kKentSeed))); }

json valid_cases(const Trust& trust) {
  json cases = json::array();
  auto add = [&](const std::string& name, const std::string& object, const Bytes& bytes) {
    auto d = decode_object(object, bytes, trust);
    if (!d) throw std::logic_error("valid query vector fails: " + name + ": " + d.error().message());
    cases.push_back({{"name", name}, {"object", object}, {"hex", to_hex(bytes)}, {"expect", *d}});
  };
  Query q = sample_query();
  add("query: name, date of birth and an NHS number token", "query_wire", signed_query(q));
  q.criteria.tokens.reset();
  q.criteria.postcode = "ME14 1XX";
  q.role = UserRole::shield_officer;
  q.purpose = QueryPurpose::audit;
  q.query_id = query_id(0xC0);
  add("query: name, date of birth and postcode, shield officer, audit", "query_wire",
      signed_query(q));
  add("override: child protection, one national id", "override_wire",
      sign_override(sample_override(), SeedSigner(seed(kKentSeed))));
  add("answer: a clear child (leeds's record) and a shielded child (york's route)", "answer",
      encode_answer(sample_answer()));
  Answer capped;
  capped.query_id = query_id(0xA0);
  capped.capped = true;
  add("answer: capped, no child", "answer", encode_answer(capped));
  add("override answer: york's sealed record and leeds's clear record", "override_answer",
      encode_override_answer(sample_override_answer()));
  OverrideAnswer only_sealed = sample_override_answer();
  only_sealed.records.pop_back();
  add("override answer: only the sealed record", "override_answer",
      encode_override_answer(only_sealed));
  add("message: QueryRequest", "query_message",
      encode_query_message(QueryRequest{signed_query(sample_query())}));
  add("message: QueryAnswer", "query_message",
      encode_query_message(QueryAnswer{sample_answer()}));
  add("message: OverrideRequest", "query_message",
      encode_query_message(OverrideRequestMessage{
          sign_override(sample_override(), SeedSigner(seed(kKentSeed)))}));
  add("message: QueryRefused", "query_message",
      encode_query_message(QueryRefused{query_id(0xA0), "stale", "query.time_ms: too old"}));
  add("message: OverrideAnswer", "query_message",
      encode_query_message(OverrideAnswerMessage{sample_override_answer()}));
  add("feed item body: access_notice for leeds", "feed_item_body",
      encode_feed_item_body(make_notice_item(1, false)));
  add("feed item body: override_notice for leeds", "feed_item_body",
      encode_feed_item_body(make_notice_item(2, true)));
  add("feed item body: access_notice for leeds in version 6, three notices", "feed_item_body",
      encode_feed_item_body(make_notice_list_item(3, 3)));
  return cases;
}

json invalid_cases(const Trust& trust) {
  json cases = json::array();
  auto add = [&](const std::string& name, const std::string& object, const Bytes& bytes,
                 Errc code) {
    auto d = decode_object(object, bytes, trust);
    if (d || d.error().code != code)
      throw std::logic_error("invalid query vector does not fail as described: " + name +
                             (d ? "" : " (" + d.error().message() + ")"));
    cases.push_back({{"name", name},
                     {"object", object},
                     {"hex", to_hex(bytes)},
                     {"error", std::string(errc_name(code))}});
  };
  auto query_with = [](const std::function<void(Query&)>& change) {
    Query q = sample_query();
    change(q);
    return sign_raw_query(encode_query_body(q));
  };
  add("query: version 2", "query_wire", query_with([](Query& q) { q.version = 2; }),
      Errc::unknown_version);
  add("query: user id with a space", "query_wire",
      query_with([](Query& q) { q.user_id = "kent sw"; }), Errc::invalid_field);
  add("query: empty user id", "query_wire", query_with([](Query& q) { q.user_id = ""; }),
      Errc::invalid_field);
  add("query: role 4", "query_wire",
      query_with([](Query& q) { q.role = static_cast<UserRole>(4); }), Errc::invalid_field);
  add("query: purpose 0", "query_wire",
      query_with([](Query& q) { q.purpose = static_cast<QueryPurpose>(0); }),
      Errc::invalid_field);
  add("query: empty given name", "query_wire",
      query_with([](Query& q) { q.criteria.given = ""; }), Errc::invalid_field);
  add("query: postcode of 9 bytes", "query_wire",
      query_with([](Query& q) { q.criteria.postcode = "ME14 1XXX"; }), Errc::too_large);
  add("query: a match with no token", "query_wire",
      query_with([](Query& q) { q.criteria.tokens->entries.clear(); }), Errc::invalid_field);
  add("query: signed by leeds's key", "query_wire",
      sign_raw_query(encode_query_body(sample_query()), kDomainQuery,
                     envelope_fixtures::kLeedsSeed),
      Errc::bad_signature);
  add("query: signed under the override domain", "query_wire",
      sign_raw_query(encode_query_body(sample_query()), kDomainOverride), Errc::bad_signature);
  add("query: names leeds's certificate", "query_wire",
      query_with([](Query& q) { q.signer_serial = envelope_fixtures::kLeedsSerial; }),
      Errc::wrong_role);
  add("query: names the index's certificate", "query_wire",
      query_with([](Query& q) { q.signer_serial = envelope_fixtures::kIndexSerial; }),
      Errc::wrong_role);
  add("query: unknown certificate", "query_wire",
      query_with([](Query& q) { q.signer_serial = 99; }), Errc::unknown_signer);
  add("query: revoked certificate", "query_wire",
      [] {
        Query q = sample_query();
        q.signer_serial = envelope_fixtures::kKentRevokedSerial;
        return sign_raw_query(encode_query_body(q), kDomainQuery,
                              envelope_fixtures::kKentRevokedSeed);
      }(),
      Errc::revoked_signer);
  add("query: expired certificate", "query_wire",
      [] {
        Query q = sample_query();
        q.signer_serial = envelope_fixtures::kKentExpiredSerial;
        return sign_raw_query(encode_query_body(q), kDomainQuery,
                              envelope_fixtures::kKentExpiredSeed);
      }(),
      Errc::expired_signer);
  auto override_with = [](const std::function<void(OverrideRequest&)>& change) {
    OverrideRequest o = sample_override();
    change(o);
    return sign_raw_query(encode_override_body(o), kDomainOverride);
  };
  add("override: role practitioner", "override_wire",
      override_with([](OverrideRequest& o) { o.query.role = UserRole::practitioner; }),
      Errc::invalid_field);
  add("override: reason of 9 bytes", "override_wire",
      override_with([](OverrideRequest& o) { o.reason = "too short"; }), Errc::invalid_field);
  add("override: national id with an I", "override_wire",
      override_with([](OverrideRequest& o) { o.national_id = "0V5K8Q2MZ7H4R9TI"; }),
      Errc::invalid_field);
  add("override: signed under the query domain", "override_wire",
      sign_raw_query(encode_override_body(sample_override()), kDomainQuery), Errc::bad_signature);
  auto answer_with = [](const std::function<void(Answer&)>& change) {
    Answer a = sample_answer();
    change(a);
    return encode_answer(a);
  };
  add("answer: a record of a shielded child", "answer",
      answer_with([](Answer& a) { a.children[1].records = {sample_answer_record()}; }),
      Errc::invalid_field);
  add("answer: a shielded child without a route", "answer",
      answer_with([](Answer& a) { a.children[1].shield_contacts.clear(); }),
      Errc::invalid_field);
  add("answer: a child's address", "answer",
      answer_with([](Answer& a) {
        a.children[0].records[0].details.address = aegis::test::sample_child().details.address;
      }),
      Errc::invalid_field);
  add("answer: a sensitive involvement without consent", "answer",
      answer_with([](Answer& a) { a.children[0].records[0].details.involvements[1].consent = false; }),
      Errc::invalid_field);
  add("answer: the same national id twice", "answer",
      answer_with([](Answer& a) { a.children.push_back(a.children[0]); }), Errc::invalid_field);
  add("answer: version 2", "answer", answer_with([](Answer& a) { a.version = 2; }),
      Errc::unknown_version);
  auto override_answer_with = [](const std::function<void(OverrideAnswer&)>& change) {
    OverrideAnswer a = sample_override_answer();
    change(a);
    return encode_override_answer(a);
  };
  add("override answer: no sealed record (the child is not shielded)", "override_answer",
      override_answer_with([](OverrideAnswer& a) { a.records.erase(a.records.begin()); }),
      Errc::invalid_field);
  add("override answer: no record", "override_answer",
      override_answer_with([](OverrideAnswer& a) { a.records.clear(); }), Errc::invalid_field);
  add("override answer: a record with both details and sealed", "override_answer",
      override_answer_with([](OverrideAnswer& a) { a.records[0].details = ChildDetails{}; }),
      Errc::invalid_field);
  add("override answer: a record with neither details nor sealed", "override_answer",
      override_answer_with([](OverrideAnswer& a) { a.records[1].details.reset(); }),
      Errc::invalid_field);
  add("override answer: a clear record's address", "override_answer",
      override_answer_with([](OverrideAnswer& a) {
        a.records[1].details->address = aegis::test::sample_child().details.address;
      }),
      Errc::invalid_field);
  add("override answer: former names", "override_answer",
      override_answer_with([](OverrideAnswer& a) {
        a.identity.former_names = aegis::test::sample_child().identity.former_names;
        if (a.identity.former_names.empty()) a.identity.former_names.push_back(a.identity.name);
      }),
      Errc::invalid_field);
  add("override answer: the same record twice", "override_answer",
      override_answer_with([](OverrideAnswer& a) { a.records.push_back(a.records[0]); }),
      Errc::invalid_field);
  add("override answer: a sealed blob with no recipient", "override_answer",
      override_answer_with([](OverrideAnswer& a) { a.records[0].sealed->recipients.clear(); }),
      Errc::invalid_field);
  add("override answer: version 2", "override_answer",
      override_answer_with([](OverrideAnswer& a) { a.version = 2; }), Errc::unknown_version);
  add("override answer: a bad national id", "override_answer",
      override_answer_with([](OverrideAnswer& a) { a.national_id = "0V5K8Q2MZ7H4R9TU"; }),
      Errc::invalid_field);
  auto raw_message = [](std::uint64_t version, std::uint64_t type) {
    Writer w;
    w.array(3);
    w.uint(version);
    w.uint(type);
    w.bin(Bytes{1});
    return w.take();
  };
  add("message: version 2", "query_message", raw_message(2, 1), Errc::unknown_version);
  add("message: type 6", "query_message", raw_message(1, 6), Errc::invalid_field);
  add("message: QueryRefused with an upper-case code", "query_message",
      encode_query_message(QueryRefused{query_id(1), "Stale", ""}), Errc::invalid_field);
  Bytes truncated = encode_query_message(QueryRefused{query_id(1), "stale", ""});
  truncated.pop_back();
  add("message: truncated", "query_message", truncated, Errc::truncated);
  auto notice_with = [](bool override_notice, const std::function<void(FeedItem&)>& change) {
    FeedItem f = make_notice_item(1, override_notice);
    change(f);
    return encode_feed_item_body(f);
  };
  add("feed item body: access_notice in version 3", "feed_item_body",
      notice_with(false, [](FeedItem& f) { f.version = 3; }), Errc::invalid_field);
  add("feed item body: access_notice in version 4 (the audit checkpoint's)", "feed_item_body",
      notice_with(false, [](FeedItem& f) { f.version = 4; }), Errc::invalid_field);
  add("feed item body: version 7 (not known to this version of the document)", "feed_item_body",
      notice_with(false, [](FeedItem& f) { f.version = 7; }), Errc::unknown_version);
  add("feed item body: access_notice in version 6 with one notice, not a list", "feed_item_body",
      notice_with(false, [](FeedItem& f) { f.version = 6; }), Errc::malformed);
  add("feed item body: access_notice in version 6 with an empty list", "feed_item_body",
      encode_feed_item_body(make_notice_list_item(3, 0)), Errc::malformed);
  FeedItem own = make_notice_list_item(3, 2);
  own.notices[1].viewer_authority_id = "leeds";
  add("feed item body: version 6, the second notice of the authority's own query",
      "feed_item_body", encode_feed_item_body(own), Errc::invalid_field);
  add("feed item body: a notice of the authority's own query", "feed_item_body",
      notice_with(false, [](FeedItem& f) { f.notice.viewer_authority_id = "leeds"; }),
      Errc::invalid_field);
  add("feed item body: override_notice with a reason of 5 bytes", "feed_item_body",
      notice_with(true, [](FeedItem& f) { f.notice.reason = "short"; }), Errc::invalid_field);
  return cases;
}

void write_json(const std::filesystem::path& path, const json& j) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << j.dump(2) << "\n";
  if (!out) throw std::runtime_error("cannot write " + path.string());
  std::cout << "wrote " << path.string() << "\n";
}

}  // namespace

int main(int argc, char** argv) {
  try {
    std::filesystem::path dir = argc > 1 ? argv[1] : AEGIS_VECTORS_DIR;
    std::filesystem::create_directories(dir);
    const Trust trust = envelope_fixtures::make_trust();
    write_json(dir / "valid_query.json",
               file_json("Queries, overrides, answers, query messages and access notices "
                         "(§16): decoding `hex` as `object` (the wires verified at `now_ms` "
                         "with these certificates) MUST give `expect`, and re-encoding the "
                         "value MUST give `hex` again.",
                         valid_cases(trust)));
    write_json(dir / "invalid_query.json",
               file_json("Decoding (verifying, for the wires) `hex` as `object` MUST fail "
                         "with `error`.",
                         invalid_cases(trust)));
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "gen_vectors_query: " << e.what() << "\n";
    return 1;
  }
}
