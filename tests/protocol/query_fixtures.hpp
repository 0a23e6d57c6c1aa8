// Deterministic fixtures for the query tests and tests/tools/gen_vectors_query.cpp: a kent
// practitioner's query, an override, an answer with one clear and one shielded child, and
// access notices, all signed with the envelope fixtures' keys (kent 0x11, serial 1).
#pragma once

#include <cstdint>
#include <string>

#include "aegis/protocol/feed.hpp"
#include "aegis/protocol/query.hpp"
#include "envelope_fixtures.hpp"
#include "test_support.hpp"

namespace aegis::test::query_fixtures {

using namespace aegis::protocol;
using envelope_fixtures::kKentSeed;
using envelope_fixtures::kKentSerial;
using fixtures::kNowMs;

inline QueryId query_id(std::uint8_t b) {
  QueryId id{};
  for (std::size_t i = 0; i < id.size(); ++i) id[i] = static_cast<std::uint8_t>(b + i);
  return id;
}

// kent's practitioner "kent.sw.0042" searching for Amelia Hartley, 2015-03-14, with her NHS
// number's token.
inline Query sample_query() {
  Query q;
  q.authority_id = "kent";
  q.signer_serial = kKentSerial;
  q.query_id = query_id(0xA0);
  q.time_ms = kNowMs - 1000;
  q.user_id = "kent.sw.0042";
  q.role = UserRole::practitioner;
  q.purpose = QueryPurpose::safeguarding;
  q.criteria.given = "Amelia";
  q.criteria.family = "Hartley";
  q.criteria.date_of_birth = *Date::parse("2015-03-14");
  MatchTokens tokens;
  tokens.key_id = 1;
  tokens.entries.push_back(
      {IdentifierKind::nhs_number,
       test_tokenizer().token(match_input(IdentifierKind::nhs_number, "9434765919"))});
  q.criteria.tokens = tokens;
  return q;
}

inline OverrideRequest sample_override() {
  OverrideRequest o;
  o.query = sample_query();
  o.query.query_id = query_id(0xB0);
  o.query.user_id = "kent.cp.0007";
  o.query.role = UserRole::child_protection_override;
  o.query.criteria.tokens.reset();
  o.national_id = "0V5K8Q2MZ7H4R9TA";
  o.reason = "Section 47 enquiry: child missing, police request 2025/118";
  return o;
}

// Leeds's record L:42 of Amelia as an answer shows it: contacts and involvements only.
inline AnswerRecord sample_answer_record() {
  ChildRecord r = sample_child("L:42");
  AnswerRecord a{"leeds", "L:42", ChildDetails{}};
  a.details.contacts = r.details.contacts;
  a.details.involvements = r.details.involvements;
  Involvement camhs;
  camhs.kind = InvolvementKind::other_health;
  camhs.organisation = "Leeds CAMHS";
  camhs.sensitive = true;
  camhs.consent = true;
  a.details.involvements.push_back(camhs);
  return a;
}

inline Answer sample_answer() {
  Answer a;
  a.query_id = query_id(0xA0);
  AnswerChild clear;
  clear.national_id = "0V5K8Q2MZ7H4R9TA";
  clear.identity = sample_child().identity;
  clear.records = {sample_answer_record()};
  AnswerChild shielded;
  shielded.national_id = "1ABCDEFGHJKMNPQR";
  shielded.identity = sample_shielded_child().identity;
  shielded.shielded = true;
  shielded.shield_contacts = {{"york", "York shield team, 01904 000000, shield@york.example"}};
  a.children = {clear, shielded};
  return a;
}

// The answer to sample_override(): york's shielded record Y-7, sealed to the envelope fixtures'
// recipients (the kent fixture key 0x11 and the shield officer's), and leeds's clear record.
inline OverrideAnswer sample_override_answer() {
  OverrideAnswer a;
  a.query_id = query_id(0xB0);
  a.national_id = "0V5K8Q2MZ7H4R9TA";
  const ChildRecord shielded = sample_shielded_child("Y-7");
  a.identity = shielded.identity;
  a.identity.former_names.clear();
  const RecordPayload payload = envelope_fixtures::payload_for(shielded, "york");
  OverrideRecord sealed{"york", "Y-7", std::nullopt, std::get<SealedBlob>(payload.details)};
  const AnswerRecord clear = sample_answer_record();
  a.records = {sealed, OverrideRecord{clear.authority_id, clear.record_id, clear.details,
                                      std::nullopt}};
  return a;
}

inline AccessNotice sample_notice() {
  return AccessNotice{"L:42", "kent", "kent.sw.0042", UserRole::practitioner,
                      QueryPurpose::safeguarding, kNowMs - 1000, ""};
}

// A feed item for leeds of kind access_notice (or override_notice, with a reason).
inline FeedItem make_notice_item(std::uint64_t seq, bool override_notice) {
  FeedItem f;
  f.version = kNoticeFeedItemVersion;
  f.authority_id = "leeds";
  f.seq = seq;
  f.timestamp_ms = kNowMs;
  f.signer_serial = envelope_fixtures::kIndexSerial;
  f.kind = override_notice ? FeedKind::override_notice : FeedKind::access_notice;
  f.notice = sample_notice();
  if (override_notice) {
    f.notice.role = UserRole::child_protection_override;
    f.notice.user_id = "kent.cp.0007";
    f.notice.reason = sample_override().reason;
  }
  return f;
}

// A version 6 access_notice item for leeds holding `count` notices (user ids kent.sw.0000...).
inline FeedItem make_notice_list_item(std::uint64_t seq, std::size_t count) {
  FeedItem f = make_notice_item(seq, false);
  f.version = kNoticeListFeedItemVersion;
  f.notice = {};
  for (std::size_t i = 0; i < count; ++i) {
    AccessNotice n = sample_notice();
    n.user_id = "kent.sw." + std::string(4 - std::to_string(i).size(), '0') + std::to_string(i);
    n.time_ms += i;
    f.notices.push_back(std::move(n));
  }
  return f;
}

inline Bytes sign_raw_query(Bytes body, std::string_view domain = kDomainQuery,
                            std::uint8_t seed_byte = kKentSeed) {
  return encode_signed(sign_body(std::move(body), domain, SeedSigner(seed(seed_byte))));
}

}  // namespace aegis::test::query_fixtures
