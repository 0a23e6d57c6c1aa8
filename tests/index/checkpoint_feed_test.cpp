// The audit checkpoints in the authorities' feeds (IndexStore::audit_checkpoint_if_due,
// docs/audit.md): each checkpoint becomes one audit_checkpoint item in the feed of every
// enrolled authority that has a feed, in the checkpoint's transaction, with the consistency
// proof from the checkpoint last sent to that authority; an authority checking the items in
// order (accept_checkpoint_notice) holds the index to one history. Not sent: to an authority
// enrolled but never connected, to one no longer enrolled, and nothing when no checkpoint is due.
#include <catch2/catch.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "../protocol/audit_fixtures.hpp"
#include "index_fixture.hpp"

using namespace aegis::test::index_fixtures;
using aegis::index::AuditCheckpointMade;
using aegis::index::AuditPolicy;
using aegis::test::audit_fixtures::sample_entries;

namespace {

struct CheckpointFeedFixture : IndexFixture {
  CheckpointFeedFixture() {
    // kent and leeds have feeds; york is enrolled (in the trust) but never pushed.
    Chain kent = Chain::kent();
    apply("kent", {kent.upsert(child("child-1"))});
    Chain leeds = Chain::leeds();
    apply("leeds", {leeds.upsert(child("L:1", "Okafor"))});
    record(trust);
  }
  void record(const Trust& t, std::uint64_t now = kNowMs) {
    auto r = store.record_trust(t, now);
    INFO((r ? std::string() : r.error().message()));
    REQUIRE(r.ok());
  }
  void append_queries(std::uint64_t n) {
    for (std::uint64_t i = 0; i < n; ++i) {
      AuditEntry e = sample_entries()[0];
      e.timestamp_ms = kNowMs + i;
      REQUIRE(store.append_audit(e).ok());
    }
  }
  std::optional<AuditCheckpointMade> checkpoint(std::uint64_t now) {
    auto r = store.audit_checkpoint_if_due(now, signing, AuditPolicy{});
    INFO((r ? std::string() : r.error().message()));
    REQUIRE(r.ok());
    return *r;
  }
  // The audit_checkpoint items of an authority's verified feed, in order.
  std::vector<CheckpointNotice> notices(const std::string& authority) {
    std::vector<CheckpointNotice> out;
    for (const FeedItem& f : verified_feed(authority))
      if (f.kind == FeedKind::audit_checkpoint) {
        CHECK(f.version == kCheckpointFeedItemVersion);
        out.push_back(f.checkpoint_notice);
      }
    return out;
  }
  // What the authority holds after checking every notice in order (fails on a refusal).
  std::optional<Checkpoint> held_after(const std::vector<CheckpointNotice>& all) {
    std::optional<Checkpoint> held;
    for (const CheckpointNotice& n : all) {
      auto r = accept_checkpoint_notice(n, held, trust, kNowMs + 600'000);
      INFO((r ? std::string() : r.error().message()));
      REQUIRE(r.ok());
      held = *r;
    }
    return held;
  }
  std::uint64_t feed_seq(const std::string& authority) {
    auto wires = store.feed_range(authority, 1, 1u << 20);
    REQUIRE(wires.ok());
    return wires->size();
  }
};

}  // namespace

TEST_CASE_METHOD(CheckpointFeedFixture,
                 "checkpoint feed: every enrolled authority with a feed gets each checkpoint") {
  const std::uint64_t kent_before = feed_seq("kent");
  auto first = checkpoint(kNowMs + 1000);  // the trust entries: checkpointed at once
  REQUIRE(first.has_value());
  const std::uint64_t size1 = first->checkpoint.tree_size;
  REQUIRE(first->feeds.size() == 2);
  CHECK(first->feeds[0].authority_id == "kent");
  CHECK(first->feeds[0].feed_seq == kent_before + 1);
  CHECK(first->feeds[1].authority_id == "leeds");
  CHECK(store.feed_range("york", 1, 10)->empty());  // enrolled, never connected: no feed

  append_queries(5);
  auto second = checkpoint(kNowMs + 70'000);
  REQUIRE(second.has_value());
  CHECK(second->checkpoint.tree_size == size1 + 5);

  for (const std::string authority : {"kent", "leeds"}) {
    INFO(authority);
    const std::vector<CheckpointNotice> all = notices(authority);
    REQUIRE(all.size() == 2);
    CHECK(all[0].from_size == 0);
    CHECK(all[0].proof.empty());
    CHECK(all[0].checkpoint == first->wire);
    CHECK(all[1].from_size == size1);
    CHECK_FALSE(all[1].proof.empty());
    CHECK(all[1].checkpoint == second->wire);
    const std::optional<Checkpoint> held = held_after(all);
    REQUIRE(held);
    CHECK(*held == second->checkpoint);
  }
  // The feeds still verify end to end as the index's own check sees them.
  auto report = store.verify_all(trust);
  REQUIRE(report.ok());
  CHECK(report->intact());
}

TEST_CASE_METHOD(CheckpointFeedFixture, "checkpoint feed: nothing is appended when none is due") {
  REQUIRE(checkpoint(kNowMs + 1000).has_value());
  const std::uint64_t kent = feed_seq("kent");
  CHECK_FALSE(checkpoint(kNowMs + 2000).has_value());  // no new entry
  append_queries(1);
  CHECK_FALSE(checkpoint(kNowMs + 3000).has_value());  // a new entry, not yet a minute
  CHECK(feed_seq("kent") == kent);
}

TEST_CASE_METHOD(CheckpointFeedFixture,
                 "checkpoint feed: an authority seen after the first checkpoint starts from 0") {
  REQUIRE(checkpoint(kNowMs + 1000).has_value());
  Chain york = Chain::york();
  apply("york", {york.upsert(child("Y-1", "Brennan"))});
  append_queries(3);
  auto later = checkpoint(kNowMs + 70'000);
  REQUIRE(later.has_value());
  CHECK(later->feeds.size() == 3);
  const std::vector<CheckpointNotice> all = notices("york");
  REQUIRE(all.size() == 1);
  CHECK(all[0].from_size == 0);
  CHECK(held_after(all)->tree_size == later->checkpoint.tree_size);
  CHECK(notices("kent").size() == 2);
}

TEST_CASE_METHOD(CheckpointFeedFixture,
                 "checkpoint feed: an authority no longer enrolled is not sent checkpoints") {
  REQUIRE(checkpoint(kNowMs + 1000).has_value());
  // A bundle that revokes leeds: the revocation is an audit entry, leeds leaves audit_trust.
  std::vector<Certificate> certs = verify_certificates();
  certs.push_back(aegis::test::fixtures::make_certificate(kYorkSerial, "york", Role::authority, kYorkSeed));
  TrustBundle bundle;
  bundle.bundle_version = 8;
  bundle.issued_ms = kNowMs - kDayMs;
  bundle.expires_ms = kNowMs + 30 * kDayMs;
  bundle.revoked_serials = {kLeedsSerial, kKentRevokedSerial};  // sorted, as a bundle holds them
  record(Trust(bundle, certs), kNowMs + 2000);
  auto later = checkpoint(kNowMs + 70'000);
  REQUIRE(later.has_value());
  REQUIRE(later->feeds.size() == 1);
  CHECK(later->feeds[0].authority_id == "kent");
  CHECK(notices("leeds").size() == 1);
  CHECK(notices("kent").size() == 2);
}

TEST_CASE_METHOD(CheckpointFeedFixture,
                 "checkpoint feed: a rewritten log is a fork for the authority that held it") {
  REQUIRE(checkpoint(kNowMs + 1000).has_value());
  const std::vector<CheckpointNotice> before = notices("kent");
  const std::optional<Checkpoint> held = held_after(before);
  REQUIRE(held);
  // The index rewrites its history with its own key: another log, checkpointed and sent.
  CheckpointFeedFixture other;
  other.append_queries(2);
  auto rewritten = other.checkpoint(kNowMs + 1000);
  REQUIRE(rewritten.has_value());
  const std::vector<CheckpointNotice> theirs = other.notices("kent");
  REQUIRE(theirs.size() == 1);
  auto r = accept_checkpoint_notice(theirs[0], held, trust, kNowMs + 600'000);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == Errc::broken_chain);
  CHECK(r.error().detail.find("forked") != std::string::npos);
}
