// Deterministic fixtures for the audit entry and checkpoint tests and for
// tests/tools/gen_vectors_audit.cpp: sample entries of every action, a raw entry writer that can
// break any one rule, and checkpoints over the sample entries signed by the feed fixtures' index
// keys (serial 3 valid, 7 revoked, 8 expired).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "aegis/protocol/audit.hpp"
#include "aegis/protocol/codec.hpp"
#include "aegis/protocol/feed.hpp"
#include "feed_fixtures.hpp"

namespace aegis::test::audit_fixtures {

using namespace aegis::protocol;
using feed_fixtures::kIndexExpiredSeed;
using feed_fixtures::kIndexExpiredSerial;
using feed_fixtures::kIndexRevokedSeed;
using feed_fixtures::kIndexRevokedSerial;
using feed_fixtures::kIndexSeed;
using feed_fixtures::kIndexSerial;
using feed_fixtures::kKentSeed;
using feed_fixtures::kKentSerial;
using fixtures::kDayMs;
using fixtures::kNowMs;

// A digest standing for a keyed hash of search terms (the terms themselves are never logged).
inline Hash sample_digest() {
  Hash h{};
  h.fill(0x5d);
  return h;
}

// One entry of each action, at kNowMs - 1 day + i seconds.
inline std::vector<AuditEntry> sample_entries() {
  const std::uint64_t t0 = kNowMs - kDayMs;
  AuditEntry query{t0 + 1000, AuditAction::query, "user:kent/4711", "kent",
                   "section-47-enquiry", {{"kent", "child-1"}, {"leeds", "L:42"}},
                   sample_digest(), ""};
  AuditEntry override_shield{t0 + 2000, AuditAction::override_shield, "operator:ops-2",
                             "leeds", "court-order", {{"leeds", "L:42"}}, std::nullopt,
                             "order ref 2025/117"};
  AuditEntry review{t0 + 3000, AuditAction::review, "operator:ops-1", std::nullopt,
                    "uncertain-match", {{"kent", "child-1"}, {"york", "Y-7"}}, std::nullopt,
                    "same child"};
  AuditEntry enrolment{t0 + 4000, AuditAction::enrolment, "trust-bundle", "york", "", {},
                       std::nullopt, "certificate serial 9, role authority, bundle 8"};
  AuditEntry revocation{t0 + 5000, AuditAction::revocation, "trust-bundle", "kent", "", {},
                        std::nullopt, "certificate serial 5 revoked, bundle 8"};
  return {query, override_shield, review, enrolment, revocation};
}

// A refused query (action 7): the connection's authority, the user id the query named, the
// refusal code; no records, no digest (after the sample entries: their roots stay as they are).
inline AuditEntry sample_refused_entry() {
  return {kNowMs - kDayMs + 6000, AuditAction::query_refused, "user:kent/4711", "kent",
          "safeguarding", {}, std::nullopt, "code stale; role practitioner; query 0707"};
}

// An entry written field by field, so a test can break exactly one rule.
struct RawEntry {
  std::uint64_t version = kAuditEntryVersion;
  std::size_t fields = 9;  // written up to this many (more: extra nils)
  std::uint64_t timestamp_ms = kNowMs;
  std::uint64_t action = static_cast<std::uint64_t>(AuditAction::query);
  std::string actor = "user:kent/4711";
  std::optional<std::string> authority_id = "kent";
  std::string purpose = "section-47-enquiry";
  std::vector<AuditRecordRef> records = {{"kent", "child-1"}};
  std::optional<Bytes> query_digest = Bytes(32, 0x5d);
  std::string detail;
};

inline Bytes encode_raw(const RawEntry& r) {
  Writer w;
  w.array(static_cast<std::uint32_t>(r.fields));
  for (std::size_t i = 0; i < r.fields; ++i) switch (i) {
      case 0: w.uint(r.version); break;
      case 1: w.uint(r.timestamp_ms); break;
      case 2: w.uint(r.action); break;
      case 3: w.str(r.actor); break;
      case 4: w.optional_str(r.authority_id); break;
      case 5: w.str(r.purpose); break;
      case 6:
        w.array(static_cast<std::uint32_t>(r.records.size()));
        for (const AuditRecordRef& ref : r.records) {
          w.array(2);
          w.str(ref.authority_id);
          w.str(ref.record_id);
        }
        break;
      case 7: r.query_digest ? w.bin(*r.query_digest) : w.nil(); break;
      case 8: w.str(r.detail); break;
      default: w.nil(); break;
    }
  return w.take();
}

// The leaf hashes of the sample entries.
inline std::vector<MerkleHash> sample_leaves() {
  std::vector<MerkleHash> out;
  for (const AuditEntry& e : sample_entries()) out.push_back(audit_leaf_hash(encode_audit_entry(e)));
  return out;
}

// A checkpoint over the first `size` sample entries, signed at kNowMs - 1 day + 10 s.
inline Checkpoint sample_checkpoint(std::uint64_t size, std::uint64_t serial = kIndexSerial) {
  const auto leaves = sample_leaves();
  return Checkpoint{size, merkle_root(leaves, size), kNowMs - kDayMs + 10'000, serial};
}

// kent's feed item `seq` (version 4, kind audit_checkpoint): the notice of the checkpoint of the
// first `to` sample entries, for an authority last sent the checkpoint of `from` entries (0:
// none), with the consistency proof between them.
inline FeedItem make_checkpoint_item(std::uint64_t seq, const Hash& prev_hash, std::uint64_t from,
                                     std::uint64_t to) {
  FeedItem f;
  f.version = kCheckpointFeedItemVersion;
  f.authority_id = "kent";
  f.seq = seq;
  f.prev_hash = prev_hash;
  f.timestamp_ms = kNowMs - kDayMs + seq * 1000;
  f.signer_serial = kIndexSerial;
  f.kind = FeedKind::audit_checkpoint;
  f.checkpoint_notice.checkpoint =
      sign_checkpoint(sample_checkpoint(to), SeedSigner(seed(kIndexSeed)));
  f.checkpoint_notice.from_size = from;
  if (from > 0) f.checkpoint_notice.proof = consistency_proof(sample_leaves(), from, to);
  return f;
}

}  // namespace aegis::test::audit_fixtures
