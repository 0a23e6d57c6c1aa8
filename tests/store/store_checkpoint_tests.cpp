// The audit checkpoints an authority receives in its feed (Store::store_feed with kind 4,
// store_checkpoint.cpp, docs/audit.md): a notice that extends the held checkpoint is held; one
// that does not (a rewritten history, a skipped or shrunk checkpoint, a checkpoint that does not
// verify) is still stored in the feed, the last good checkpoint is kept, and a fork is recorded
// with the evidence until an operator resolves it. The migrations from version 4 keep a version 4
// file's feed, national ids and links.
#include <catch2/catch.hpp>

#include <optional>
#include <string>
#include <vector>

#include "aegis/protocol/audit.hpp"
#include "aegis/protocol/feed.hpp"
#include "aegis/protocol/merkle.hpp"
#include "store/schema.hpp"
#include "store_fixture.hpp"

using namespace aegis;
using namespace aegis::test;

namespace {

constexpr std::uint64_t kIndexSerial = 30;

// A raw connection whose statements may fail (a hand edit the schema refuses).
struct HandEdit : RawDb {
  using RawDb::RawDb;
  bool accepted(const std::string& sql) {
    return sqlite3_exec(handle(), sql.c_str(), nullptr, nullptr, nullptr) == SQLITE_OK;
  }
};

struct CheckpointFixture : StoreFixture {
  SeedSigner index{seed(6)};
  protocol::Trust sync_trust = make_trust(
      root, {make_certificate(kAuthoritySerial, "kent", protocol::Role::authority,
                              authority.sign_public_key(), authority_box.box_public_key()),
             make_certificate(kIndexSerial, "national", protocol::Role::index,
                              index.sign_public_key(), SeedKeyAgreement(seed(8)).box_public_key())});
  protocol::ChainState chain;  // of the feed items made so far

  // The leaf hashes of a log of n entries; `history` tells two histories apart.
  static std::vector<protocol::MerkleHash> leaves(std::uint64_t n, std::uint8_t history = 0) {
    std::vector<protocol::MerkleHash> out;
    for (std::uint64_t i = 0; i < n; ++i) {
      const protocol::Bytes data = {static_cast<std::uint8_t>(i), history};
      out.push_back(protocol::merkle_leaf_hash(data));
    }
    return out;
  }
  protocol::Bytes checkpoint(const std::vector<protocol::MerkleHash>& log, std::uint64_t size) {
    return protocol::sign_checkpoint({size, protocol::merkle_root(log, size), kNow, kIndexSerial},
                                     index);
  }
  // The next feed item: the notice of the checkpoint of `to` entries of `log`, from `from`.
  protocol::Bytes next_notice(const std::vector<protocol::MerkleHash>& log, std::uint64_t from,
                              std::uint64_t to) {
    protocol::CheckpointNotice n{checkpoint(log, to), from, {}};
    if (from > 0 && from < to) n.proof = protocol::consistency_proof(log, from, to);
    return next_item(n);
  }
  protocol::Bytes next_item(const protocol::CheckpointNotice& n) {
    protocol::FeedItem f;
    f.version = protocol::kCheckpointFeedItemVersion;
    f.authority_id = "kent";
    f.seq = chain.last_seq + 1;
    f.prev_hash = chain.last_hash;
    f.timestamp_ms = kNow;
    f.signer_serial = kIndexSerial;
    f.kind = protocol::FeedKind::audit_checkpoint;
    f.checkpoint_notice = n;
    protocol::Bytes wire = protocol::sign_feed_item(f, index);
    chain = protocol::ChainState{f.seq, protocol::feed_item_hash(wire)};
    return wire;
  }
  store::FeedOutcome store_feed(store::Store& s, const std::vector<protocol::Bytes>& items) {
    auto r = s.store_feed(items, sync_trust, "national", now);
    INFO((r ? "" : r.error().message()));
    REQUIRE(r.ok());
    return r.value();
  }
  std::optional<std::uint64_t> held_size(store::Store& s) {
    auto h = s.held_checkpoint();
    REQUIRE(h.ok());
    if (!*h) return std::nullopt;
    return (*h)->checkpoint.tree_size;
  }
  std::vector<store::CheckpointFork> forks(store::Store& s, bool all = false) {
    auto f = s.checkpoint_forks(all);
    REQUIRE(f.ok());
    return *f;
  }
};

}  // namespace

TEST_CASE("checkpoint store: notices that extend the held checkpoint are held in turn") {
  CheckpointFixture f;
  store::Store s = f.create();
  CHECK_FALSE(f.held_size(s));
  const auto log = CheckpointFixture::leaves(9);
  store::FeedOutcome out = f.store_feed(s, {f.next_notice(log, 0, 3), f.next_notice(log, 3, 7)});
  CHECK(out.stored == 2);
  CHECK(out.checkpoints == 2);
  CHECK(out.forks.empty());
  CHECK(f.held_size(s) == 7u);
  CHECK((*s.held_checkpoint())->feed_seq == 2);
  // A repeat of the held checkpoint is accepted; so is the next one.
  out = f.store_feed(s, {f.next_notice(log, 7, 7), f.next_notice(log, 7, 9)});
  CHECK(out.checkpoints == 2);
  CHECK(f.held_size(s) == 9u);
  CHECK(f.forks(s).empty());
  // Resent items (replayed) change nothing.
  CHECK(f.store_feed(s, {}).stored == 0);
}

TEST_CASE("checkpoint store: a rewritten history is stored, recorded as a fork, not held") {
  CheckpointFixture f;
  store::Store s = f.create();
  const auto honest = CheckpointFixture::leaves(8);
  f.store_feed(s, {f.next_notice(honest, 0, 5)});
  const protocol::Bytes held_wire = (*s.held_checkpoint())->wire;
  // The index rewrote entry 2 and re-signed: its checkpoint of 8 does not extend the held 5.
  auto rewritten = honest;
  rewritten[2] = protocol::merkle_leaf_hash(protocol::Bytes{0xee});
  store::FeedOutcome out = f.store_feed(s, {f.next_notice(rewritten, 5, 8)});
  CHECK(out.stored == 1);  // the item is the index's signed evidence: kept in the feed
  CHECK(out.checkpoints == 0);
  REQUIRE(out.forks.size() == 1);
  CHECK(out.forks[0].code == "broken_chain");
  CHECK(out.forks[0].detail.find("forked") != std::string::npos);
  CHECK(f.held_size(s) == 5u);  // the last good checkpoint stays
  CHECK((*s.held_checkpoint())->wire == held_wire);
  CHECK(s.feed_head()->last_seq == 2);
  const auto open = f.forks(s);
  REQUIRE(open.size() == 1);
  CHECK(open[0].feed_seq == 2);
  CHECK(open[0].held == std::optional<protocol::Bytes>(held_wire));
  CHECK(open[0].held_size == 5);
  CHECK(open[0].notice_size == 8u);
  CHECK(open[0].verified);
  auto notice = protocol::decode_checkpoint_notice(open[0].notice);
  REQUIRE(notice.ok());
  CHECK(notice->from_size == 5);
  CHECK_FALSE(notice->proof.empty());  // the failed proof, kept
}

TEST_CASE("checkpoint store: a skipped, shrunk or unsigned checkpoint is a fork too") {
  CheckpointFixture f;
  store::Store s = f.create();
  const auto log = CheckpointFixture::leaves(9);
  f.store_feed(s, {f.next_notice(log, 0, 5)});
  // from_size is not the held size (a checkpoint sent elsewhere was skipped here).
  store::FeedOutcome skipped = f.store_feed(s, {f.next_notice(log, 3, 9)});
  REQUIRE(skipped.forks.size() == 1);
  CHECK(skipped.forks[0].code == "broken_chain");
  // The log shrank.
  store::FeedOutcome shrunk = f.store_feed(s, {f.next_notice(log, 5, 4)});
  REQUIRE(shrunk.forks.size() == 1);
  CHECK(shrunk.forks[0].code == "broken_chain");
  // A checkpoint whose signature does not verify (the feed item itself is authentic).
  protocol::CheckpointNotice forged{f.checkpoint(log, 9), 5,
                                    protocol::consistency_proof(log, 5, 9)};
  forged.checkpoint.back() ^= 0x01;
  store::FeedOutcome bad = f.store_feed(s, {f.next_item(forged)});
  REQUIRE(bad.forks.size() == 1);
  CHECK(bad.forks[0].code == "bad_signature");
  CHECK_FALSE(bad.forks[0].verified);
  CHECK(f.held_size(s) == 5u);
  CHECK(f.forks(s).size() == 3);
  CHECK(s.feed_head()->last_seq == 4);
}

TEST_CASE("checkpoint store: resolving the forks holds the latest verified checkpoint") {
  CheckpointFixture f;
  store::Store s = f.create();
  CHECK(*s.resolve_checkpoint_forks(f.now) == 0);  // nothing open
  const auto honest = CheckpointFixture::leaves(6);
  const auto other = CheckpointFixture::leaves(6, 1);
  f.store_feed(s, {f.next_notice(honest, 0, 4)});
  f.store_feed(s, {f.next_notice(other, 4, 6)});
  REQUIRE(f.forks(s).size() == 1);
  // Still forked: the next notice extends the index's new history, not the held one.
  f.store_feed(s, {f.next_notice(other, 6, 6)});
  REQUIRE(f.forks(s).size() == 2);
  auto resolved = s.resolve_checkpoint_forks(f.now + 1);
  REQUIRE(resolved.ok());
  CHECK(*resolved == 2);
  CHECK(f.forks(s).empty());
  CHECK(f.forks(s, true).size() == 2);
  CHECK(f.forks(s, true)[0].resolved_ms == f.now + 1);
  CHECK(f.held_size(s) == 6u);
  // From there the index's history is checked again.
  const auto longer = CheckpointFixture::leaves(8, 1);
  CHECK(f.store_feed(s, {f.next_notice(longer, 6, 8)}).checkpoints == 1);
  CHECK(f.forks(s).empty());
}

TEST_CASE("checkpoint store: a fork whose checkpoint does not verify is never held") {
  CheckpointFixture f;
  store::Store s = f.create();
  const auto log = CheckpointFixture::leaves(6);
  f.store_feed(s, {f.next_notice(log, 0, 4)});
  protocol::CheckpointNotice forged{f.checkpoint(log, 6), 4,
                                    protocol::consistency_proof(log, 4, 6)};
  forged.checkpoint.back() ^= 0x01;
  f.store_feed(s, {f.next_item(forged)});
  REQUIRE(*s.resolve_checkpoint_forks(f.now) == 1);
  CHECK(f.held_size(s) == 4u);
}

TEST_CASE("checkpoint store: the fork table refuses what the schema does not allow") {
  CheckpointFixture f;
  { store::Store s = f.create(); }
  HandEdit raw(f.file);
  CHECK(raw.scalar("PRAGMA user_version") == store::kSchemaVersion);
  // checkpoint_held has one row at most; feed kinds outside 1..6 are refused.
  CHECK_FALSE(raw.accepted("INSERT INTO feed VALUES (1, 7, 1, zeroblob(32), x'00')"));
  CHECK(raw.accepted("INSERT INTO feed VALUES (1, 4, 1, zeroblob(32), x'00')"));
  CHECK_FALSE(raw.accepted("INSERT INTO checkpoint_held VALUES (2, 1, x'00', 1)"));
  CHECK_FALSE(raw.accepted("INSERT INTO checkpoint_forks (feed_seq, detected_ms, held_size, "
                           "notice, verified, code, detail) VALUES (1, 1, 0, x'00', 2, 'c', 'd')"));
}

TEST_CASE("checkpoint store: a schema version 4 file is migrated to the current version with its feed kept") {
  CheckpointFixture f;
  {
    HandEdit raw(f.file);
    const auto steps = store::schema::steps();
    for (std::size_t i = 0; i < 4; ++i) raw.exec(std::string(steps[i]));
    raw.exec("PRAGMA user_version = 4; "
             "INSERT INTO meta VALUES ('authority_id', 'kent'), ('created_ms', 1), "
             "('format', 'aegis-authority-store');"
             "INSERT INTO feed VALUES (1, 2, 1, zeroblob(32), x'00');"
             "INSERT INTO national_ids VALUES ('c-1', '0123456789ABCDEF', 1);"
             "INSERT INTO elsewhere VALUES ('c-1', 'leeds', 'L:42', 2, NULL, 1);");
    // Version 4 refuses kind 4.
    CHECK_FALSE(raw.accepted("INSERT INTO feed VALUES (2, 4, 1, zeroblob(32), x'00')"));
  }
  store::Store s = f.open();
  RawDb raw(f.file);
  CHECK(raw.scalar("PRAGMA user_version") == store::kSchemaVersion);
  CHECK(raw.scalar("SELECT count(*) FROM feed") == 1);
  CHECK(raw.scalar("SELECT count(*) FROM national_ids") == 1);
  CHECK(raw.scalar("SELECT count(*) FROM elsewhere") == 1);
  CHECK(raw.scalar("SELECT count(*) FROM pragma_foreign_key_check") == 0);
  CHECK(raw.scalar("SELECT count(*) FROM sqlite_master "
                   "WHERE instr(sql, '_new') > 0 OR instr(name, '_new') > 0") == 0);
  for (const char* child : {"national_ids", "elsewhere", "checkpoint_held", "checkpoint_forks"})
    CHECK(raw.scalar(std::string("SELECT count(*) FROM pragma_foreign_key_list('") + child +
                     "') WHERE \"table\" = 'feed'") == 1);
  CHECK(*s.national_id("c-1") == std::optional<std::string>("0123456789ABCDEF"));
  CHECK(s.elsewhere("c-1")->size() == 1);
  CHECK_FALSE(f.held_size(s));
}
