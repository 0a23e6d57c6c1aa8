// Audit entries, checkpoints and checkpoint notices (protocol/audit.hpp, PROTOCOL.md §15):
// round trips, the signer rules of a checkpoint, and the authority's check that each
// checkpoint it is sent extends the one it holds — a forked, shrunk or skipped history refused.
#include <catch2/catch.hpp>

#include <optional>
#include <string>
#include <vector>

#include "audit_fixtures.hpp"

using namespace aegis::test::audit_fixtures;
using aegis::test::seed;
using aegis::test::SeedSigner;

namespace {

const Trust& trust() {
  static const Trust t = aegis::test::feed_fixtures::make_feed_trust();
  return t;
}

Bytes sign(const Checkpoint& c, std::uint8_t seed_byte = kIndexSeed) {
  return sign_checkpoint(c, SeedSigner(seed(seed_byte)));
}

// The leaves of a log of n entries: the sample entries, then queries; `fork` replaces entry 1.
std::vector<MerkleHash> log_leaves(std::size_t n, bool fork = false) {
  std::vector<MerkleHash> out;
  for (std::size_t i = 0; i < n; ++i) {
    AuditEntry e = sample_entries()[i % 5];
    e.timestamp_ms += i;
    if (fork && i == 1) e.detail = "rewritten";
    out.push_back(audit_leaf_hash(encode_audit_entry(e)));
  }
  return out;
}

// The notice the index sends an authority holding the checkpoint of `from` entries.
CheckpointNotice notice(const std::vector<MerkleHash>& leaves, std::uint64_t from,
                        std::uint64_t to) {
  const Checkpoint c{to, merkle_root(leaves, to), kNowMs, kIndexSerial};
  CheckpointNotice n{sign(c), from, {}};
  if (from > 0) n.proof = consistency_proof(leaves, from, to);
  return n;
}

Checkpoint checkpoint_of(const std::vector<MerkleHash>& leaves, std::uint64_t size) {
  return Checkpoint{size, merkle_root(leaves, size), kNowMs, kIndexSerial};
}

void require_forked(const CheckpointNotice& n, const std::optional<Checkpoint>& held) {
  auto r = accept_checkpoint_notice(n, held, trust(), kNowMs);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == Errc::broken_chain);
  CHECK(r.error().detail.find("forked") != std::string::npos);
}

}  // namespace

TEST_CASE("audit: every sample entry round-trips and hashes to its leaf") {
  for (const AuditEntry& e : sample_entries()) {
    INFO(audit_action_name(e.action));
    const Bytes bytes = encode_audit_entry(e);
    auto back = decode_audit_entry(bytes);
    REQUIRE(back.ok());
    CHECK(*back == e);
    CHECK(audit_leaf_hash(bytes) == merkle_leaf_hash(bytes));
    // The search terms are not in the entry: only the digest stands for them.
    CHECK_FALSE(aegis::test::contains_bytes(bytes, "Hartley"));
  }
}

TEST_CASE("audit: a checkpoint verifies only within its signer's validity") {
  const Checkpoint c = sample_checkpoint(5);
  const Bytes wire = sign(c);
  CHECK(verify_checkpoint(wire, trust(), kNowMs).ok());
  // The index certificate is valid from 30 days before kNowMs to 365 days after.
  auto late = verify_checkpoint(wire, trust(), kNowMs + 400 * kDayMs);
  REQUIRE_FALSE(late.ok());
  CHECK(late.error().code == Errc::expired_signer);
  // A checkpoint body signed as a feed item is no checkpoint (the domains differ).
  auto feed = verify_checkpoint(
      encode_signed(sign_body(encode_checkpoint_body(c), "AEGIS-FEED-V1", SeedSigner(seed(kIndexSeed)))),
      trust(), kNowMs);
  REQUIRE_FALSE(feed.ok());
  CHECK(feed.error().code == Errc::bad_signature);
  // The empty log can be checkpointed.
  const Checkpoint empty{0, merkle_root({}, 0), kNowMs, kIndexSerial};
  CHECK(verify_checkpoint(sign(empty), trust(), kNowMs).ok());
}

TEST_CASE("audit: checkpoint notices round-trip; malformed ones are refused") {
  const auto leaves = log_leaves(9);
  const CheckpointNotice n = notice(leaves, 5, 9);
  auto back = decode_checkpoint_notice(encode_checkpoint_notice(n));
  REQUIRE(back.ok());
  CHECK(*back == n);

  Writer w;
  w.array(4);
  w.uint(2);
  w.bin(n.checkpoint);
  w.uint(5);
  w.array(0);
  auto v2 = decode_checkpoint_notice(w.take());
  REQUIRE_FALSE(v2.ok());
  CHECK(v2.error().code == Errc::unknown_version);

  Writer short_hash;
  short_hash.array(4);
  short_hash.uint(1);
  short_hash.bin(n.checkpoint);
  short_hash.uint(5);
  short_hash.array(1);
  short_hash.bin(ByteView(leaves[0].data(), 31));
  auto bad = decode_checkpoint_notice(short_hash.take());
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().code == Errc::invalid_field);
  CHECK(bad.error().detail.rfind("checkpoint_notice.proof[0]", 0) == 0);

  CheckpointNotice huge = n;
  huge.proof.assign(kMaxProofHashes + 1, leaves[0]);
  auto too_many = decode_checkpoint_notice(encode_checkpoint_notice(huge));
  REQUIRE_FALSE(too_many.ok());
  CHECK(too_many.error().code == Errc::too_large);
}

TEST_CASE("audit: an authority accepts checkpoints that extend the one it holds") {
  const auto leaves = log_leaves(12);
  // The first checkpoint: nothing held, from 0, no proof.
  auto first = accept_checkpoint_notice(notice(leaves, 0, 3), std::nullopt, trust(), kNowMs);
  REQUIRE(first.ok());
  CHECK(first->tree_size == 3);
  // Then 3 -> 8 -> 12, each with its proof; a repeat of the held one is accepted as it is.
  auto second = accept_checkpoint_notice(notice(leaves, 3, 8), *first, trust(), kNowMs);
  REQUIRE(second.ok());
  auto third = accept_checkpoint_notice(notice(leaves, 8, 12), *second, trust(), kNowMs);
  REQUIRE(third.ok());
  CHECK(third->root_hash == merkle_root(leaves));
  CHECK(accept_checkpoint_notice(notice(leaves, 12, 12), *third, trust(), kNowMs).ok());
}

TEST_CASE("audit: an authority refuses a forked, shrunk or skipped history") {
  const auto honest = log_leaves(12);
  const auto forked = log_leaves(12, true);
  const Checkpoint held = checkpoint_of(honest, 8);

  // The index rewrote entry 1 and signed the new history: no proof links it to what is held.
  require_forked(notice(forked, 8, 12), held);
  // The same size, another root.
  require_forked(notice(forked, 8, 8), held);
  // A smaller log.
  require_forked(CheckpointNotice{sign(checkpoint_of(honest, 5)), 8, {}}, held);
  // A proof from another size than the one held (the index skipped or forgot a checkpoint).
  require_forked(notice(honest, 5, 12), held);
  require_forked(notice(honest, 0, 12), held);
  // A tampered proof.
  CheckpointNotice tampered = notice(honest, 8, 12);
  tampered.proof[0][0] ^= 0x01;
  require_forked(tampered, held);
  // Nothing held: a notice claiming a previous checkpoint is refused too.
  require_forked(notice(honest, 8, 12), std::nullopt);

  // A checkpoint that is not the index's is refused as such, before any proof.
  CheckpointNotice by_kent = notice(honest, 8, 12);
  by_kent.checkpoint = sign(Checkpoint{12, merkle_root(honest), kNowMs, kKentSerial}, kKentSeed);
  auto r = accept_checkpoint_notice(by_kent, held, trust(), kNowMs);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == Errc::wrong_role);
}
