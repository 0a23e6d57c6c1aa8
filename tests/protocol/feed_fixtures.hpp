// Deterministic fixtures for the feed tests and tests/tools/gen_vectors_sync.cpp: the envelope
// fixtures' trust plus a revoked and an expired index certificate, and feed items for kent
// signed by the index with fixed keys and fixed times. make_applied and make_national_id build
// version 2 items (those of the original vectors, kept byte for byte); make_elsewhere builds
// version 3 ones.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "aegis/protocol/feed.hpp"
#include "envelope_fixtures.hpp"

namespace aegis::test::feed_fixtures {

using namespace aegis::protocol;
using envelope_fixtures::kIndexSeed;
using envelope_fixtures::kIndexSerial;
using envelope_fixtures::kKentSeed;
using envelope_fixtures::kKentSerial;
using fixtures::kDayMs;
using fixtures::kNowMs;

inline constexpr std::uint64_t kIndexRevokedSerial = 7;  // on the revocation list
inline constexpr std::uint64_t kIndexExpiredSerial = 8;  // not_after a day before kNowMs
inline constexpr std::uint8_t kIndexRevokedSeed = 0x17;
inline constexpr std::uint8_t kIndexExpiredSeed = 0x18;
inline constexpr std::uint64_t kV2 = 2;  // the version of the original feed vectors

// Serials 1-6 of the envelope fixtures, then 7 (index, revoked) and 8 (index, expired).
inline std::vector<Certificate> feed_certificates() {
  std::vector<Certificate> certs = envelope_fixtures::verify_certificates();
  certs.push_back(
      fixtures::make_certificate(kIndexRevokedSerial, "index", Role::index, kIndexRevokedSeed));
  Certificate expired =
      fixtures::make_certificate(kIndexExpiredSerial, "index", Role::index, kIndexExpiredSeed);
  expired.not_before_ms = kNowMs - 400 * kDayMs;
  expired.not_after_ms = kNowMs - kDayMs;
  certs.push_back(expired);
  return certs;
}

inline std::vector<std::uint64_t> feed_revoked_serials() {
  return {envelope_fixtures::kKentRevokedSerial, kIndexRevokedSerial};
}

inline Trust make_feed_trust() {
  TrustBundle bundle;
  bundle.bundle_version = 7;
  bundle.issued_ms = kNowMs - kDayMs;
  bundle.expires_ms = kNowMs + 30 * kDayMs;
  bundle.revoked_serials = feed_revoked_serials();
  return Trust(bundle, feed_certificates());
}

// A byte pattern standing for the hash of an envelope (any 32 bytes will do for most tests).
inline Hash pattern_hash(std::uint64_t seq) {
  Hash h{};
  h.fill(static_cast<std::uint8_t>(0xa0 + seq % 16));
  return h;
}

inline FeedItem make_applied(std::uint64_t seq, const Hash& prev_hash, std::uint64_t applied_seq,
                             std::uint64_t serial = kIndexSerial,
                             const std::string& authority = "kent",
                             const Hash& applied_hash = Hash{}) {
  FeedItem f;
  f.version = kV2;
  f.authority_id = authority;
  f.seq = seq;
  f.prev_hash = prev_hash;
  f.timestamp_ms = kNowMs - kDayMs + seq * 1000;
  f.signer_serial = serial;
  f.kind = FeedKind::applied;
  f.applied_seq = applied_seq;
  f.applied_hash = applied_hash == Hash{} ? pattern_hash(applied_seq) : applied_hash;
  return f;
}

inline FeedItem make_national_id(std::uint64_t seq, const Hash& prev_hash,
                                 const std::string& record_id, const std::string& national_id,
                                 std::uint64_t serial = kIndexSerial) {
  FeedItem f;
  f.version = kV2;
  f.authority_id = "kent";
  f.seq = seq;
  f.prev_hash = prev_hash;
  f.timestamp_ms = kNowMs - kDayMs + seq * 1000;
  f.signer_serial = serial;
  f.kind = FeedKind::national_id;
  f.national_ids = {{record_id, national_id}};
  return f;
}

// What leeds's record L:42 lets kent see: sample_child's details with a sensitive involvement
// added, through details_for_elsewhere (so no address, identifiers, shield or sensitive service).
inline ChildDetails leeds_visible_details() {
  ChildDetails full = sample_child("L:42").details;
  Involvement camhs;
  camhs.kind = InvolvementKind::other_health;
  camhs.organisation = "Leeds CAMHS";
  camhs.sensitive = true;
  camhs.consent = true;
  full.involvements.push_back(camhs);
  return details_for_elsewhere(full);
}

// A version 3 elsewhere item for kent's `record_id`: linked (with leeds_visible_details()),
// shielded there or unlinked, to `other_record_id` of `other_authority_id`.
inline FeedItem make_elsewhere(std::uint64_t seq, const Hash& prev_hash,
                               const std::string& record_id, ElsewhereState state,
                               const std::string& other_authority_id = "leeds",
                               const std::string& other_record_id = "L:42") {
  FeedItem f;
  f.authority_id = "kent";
  f.seq = seq;
  f.prev_hash = prev_hash;
  f.timestamp_ms = kNowMs - kDayMs + seq * 1000;
  f.signer_serial = kIndexSerial;
  f.kind = FeedKind::elsewhere;
  f.elsewhere = {record_id, "0V5K8Q2MZ7H4R9TA", other_authority_id, other_record_id, state,
                 std::nullopt};
  if (state == ElsewhereState::linked) f.elsewhere.details = leeds_visible_details();
  return f;
}

struct FeedLink {
  FeedItem item;
  Bytes wire;
  Hash hash{};
};

inline FeedLink sign_feed_link(const FeedItem& f, std::uint8_t seed_byte = kIndexSeed) {
  FeedLink l{f, sign_feed_item(f, SeedSigner(seed(seed_byte))), {}};
  l.hash = feed_item_hash(l.wire);
  return l;
}

// kent's first three feed items, in the order the index produces them for the envelopes of
// envelope_fixtures::sample_chain() pushed as [1, 2] then [3]: the national id of child-1,
// applied up to 2, applied up to 3.
inline std::vector<FeedLink> sample_feed() {
  const auto chain = envelope_fixtures::sample_chain();
  std::vector<FeedLink> feed;
  feed.push_back(sign_feed_link(make_national_id(1, Hash{}, "child-1", "0V5K8Q2MZ7H4R9TA")));
  feed.push_back(
      sign_feed_link(make_applied(2, feed.back().hash, 2, kIndexSerial, "kent", chain[1].hash)));
  feed.push_back(
      sign_feed_link(make_applied(3, feed.back().hash, 3, kIndexSerial, "kent", chain[2].hash)));
  return feed;
}

// Signs arbitrary body bytes as a feed item.
inline Bytes sign_raw_feed(Bytes body, std::uint8_t seed_byte = kIndexSeed) {
  return encode_signed(sign_body(std::move(body), kDomainFeed, SeedSigner(seed(seed_byte))));
}

}  // namespace aegis::test::feed_fixtures
