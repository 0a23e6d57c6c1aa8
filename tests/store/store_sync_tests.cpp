// The authority store's sync tables (docs/store.md §10): outbox range reads, the feed received
// from the index (verified, chained, national ids), sync state, and the migration 1 -> 2.
#include <catch2/catch.hpp>

#include "aegis/protocol/feed.hpp"
#include "store_fixture.hpp"

using namespace aegis;
using namespace aegis::test;
using store::StoreErrc;

namespace {

constexpr std::uint64_t kIndexSerial = 30;
constexpr std::uint64_t kOtherIndexSerial = 31;

struct SyncFixture : StoreFixture {
  SeedSigner index{seed(6)};
  SeedSigner other_index{seed(7)};
  protocol::Trust sync_trust = make_trust(
      root, {make_certificate(kAuthoritySerial, "kent", protocol::Role::authority,
                              authority.sign_public_key(), authority_box.box_public_key()),
             make_certificate(kIndexSerial, "national", protocol::Role::index,
                              index.sign_public_key(), SeedKeyAgreement(seed(8)).box_public_key()),
             make_certificate(kOtherIndexSerial, "rogue", protocol::Role::index,
                              other_index.sign_public_key(),
                              SeedKeyAgreement(seed(9)).box_public_key())});
  protocol::ChainState chain;  // of the feed items made so far

  // The next feed item for `addressed_to` (national id when record_id is set), chained.
  protocol::Bytes next_item(const std::string& record_id = "", const std::string& national_id = "",
                            const protocol::Signer* signer = nullptr,
                            std::uint64_t serial = kIndexSerial,
                            const std::string& addressed_to = "kent") {
    protocol::FeedItem f;
    f.authority_id = addressed_to;
    f.seq = chain.last_seq + 1;
    f.prev_hash = chain.last_hash;
    f.timestamp_ms = kNow;
    f.signer_serial = serial;
    if (record_id.empty()) {
      f.kind = protocol::FeedKind::applied;
      f.applied_seq = f.seq;
    } else {
      f.kind = protocol::FeedKind::national_id;
      f.national_ids = {{record_id, national_id}};
    }
    protocol::Bytes wire = protocol::sign_feed_item(f, signer ? *signer : index);
    chain = protocol::ChainState{f.seq, protocol::feed_item_hash(wire)};
    return wire;
  }

  store::FeedOutcome store_feed(store::Store& s, const std::vector<protocol::Bytes>& items) {
    auto r = s.store_feed(items, sync_trust, "national", now);
    INFO((r ? "" : r.error().message()));
    REQUIRE(r.ok());
    return r.value();
  }
};

const std::string kNid1 = "0123456789ABCDEF";
const std::string kNid2 = "GHJKMNPQRSTVWXYZ";

}  // namespace

TEST_CASE("sync store: read_envelopes returns the range, in order, the outbox's own bytes") {
  SyncFixture f;
  store::Store s = f.create();
  for (int i = 1; i <= 5; ++i) f.must(s.upsert(sample_child("c-" + std::to_string(i)), f.signing));
  auto all = s.read_outbox(1, 0);
  REQUIRE(all.ok());

  auto mid = s.read_envelopes(2, 4);
  REQUIRE(mid.ok());
  REQUIRE(mid->size() == 3);
  for (std::size_t i = 0; i < 3; ++i) CHECK((*mid)[i] == (*all)[i + 1].envelope);

  // Reused statement: a write in between and a range past the tail.
  f.must(s.upsert(sample_child("c-6"), f.signing));
  auto tail = s.read_envelopes(5, 100);
  REQUIRE(tail.ok());
  CHECK(tail->size() == 2);
  auto beyond = s.read_envelopes(7, 10);
  REQUIRE(beyond.ok());
  CHECK(beyond->empty());
  auto backwards = s.read_envelopes(4, 3);
  REQUIRE(backwards.ok());
  CHECK(backwards->empty());
}

TEST_CASE("sync store: envelope_time is the commit time of that seq, nothing past the tail") {
  SyncFixture f;
  store::Store s = f.create();
  f.now = kNow + 1234;
  f.must(s.upsert(sample_child("c-1"), f.signing));
  auto t = s.envelope_time(1);
  REQUIRE(t.ok());
  CHECK(*t == std::optional<std::uint64_t>(kNow + 1234));
  auto none = s.envelope_time(2);
  REQUIRE(none.ok());
  CHECK_FALSE(none->has_value());
}

TEST_CASE("sync store: verified feed items are stored with the national ids they assign") {
  SyncFixture f;
  store::Store s = f.create();
  std::vector<protocol::Bytes> items = {f.next_item(), f.next_item("c-1", kNid1),
                                        f.next_item("c-2", kNid2)};
  store::FeedOutcome out = f.store_feed(s, items);
  CHECK(out.feed_seq == 3);
  CHECK(out.stored == 3);
  CHECK_FALSE(out.problem);
  auto head = s.feed_head();
  REQUIRE(head.ok());
  CHECK(head->last_seq == 3);
  CHECK(head->last_hash == f.chain.last_hash);
  CHECK(*s.national_id("c-1") == std::optional<std::string>(kNid1));
  CHECK(*s.national_id("c-2") == std::optional<std::string>(kNid2));
  CHECK_FALSE(s.national_id("c-3")->has_value());
  CHECK(*s.national_id_count() == 2);

  // A later item reassigns c-1.
  out = f.store_feed(s, {f.next_item("c-1", kNid2)});
  CHECK(out.feed_seq == 4);
  CHECK(*s.national_id("c-1") == std::optional<std::string>(kNid2));
  CHECK(*s.national_id_count() == 2);
}

TEST_CASE("sync store: resent feed items are skipped, not stored twice") {
  SyncFixture f;
  store::Store s = f.create();
  std::vector<protocol::Bytes> items = {f.next_item(), f.next_item("c-1", kNid1)};
  f.store_feed(s, items);
  items.push_back(f.next_item());
  store::FeedOutcome out = f.store_feed(s, items);  // 1 and 2 again, then 3
  CHECK(out.stored == 1);
  CHECK(out.feed_seq == 3);
  CHECK_FALSE(out.problem);
  RawDb raw(f.file);
  CHECK(raw.scalar("SELECT count(*) FROM feed") == 3);
}

TEST_CASE("sync store: a tampered feed item stops the batch; the items before it are stored") {
  SyncFixture f;
  store::Store s = f.create();
  std::vector<protocol::Bytes> items = {f.next_item(), f.next_item("c-1", kNid1), f.next_item()};
  items[1][items[1].size() - 3] ^= 0x01;  // inside the signature
  store::FeedOutcome out = f.store_feed(s, items);
  CHECK(out.stored == 1);
  CHECK(out.feed_seq == 1);
  REQUIRE(out.problem);
  CHECK(out.problem->code == protocol::Errc::bad_signature);
  CHECK_FALSE(s.national_id("c-1")->has_value());
  RawDb raw(f.file);
  CHECK(raw.scalar("SELECT count(*) FROM feed") == 1);
}

TEST_CASE("sync store: a feed item from another index certificate is refused") {
  SyncFixture f;
  store::Store s = f.create();
  store::FeedOutcome out =
      f.store_feed(s, {f.next_item("c-1", kNid1, &f.other_index, kOtherIndexSerial)});
  CHECK(out.stored == 0);
  CHECK(out.feed_seq == 0);
  REQUIRE(out.problem);
  CHECK(out.problem->code == protocol::Errc::unknown_signer);
  CHECK_FALSE(s.national_id("c-1")->has_value());
}

TEST_CASE("sync store: feed items for another authority, or with a gap, are refused") {
  SyncFixture f;
  store::Store s = f.create();
  store::FeedOutcome other =
      f.store_feed(s, {f.next_item("c-1", kNid1, nullptr, kIndexSerial, "leeds")});
  REQUIRE(other.problem);
  CHECK(other.problem->code == protocol::Errc::wrong_role);

  SyncFixture g;
  store::Store t = g.create();
  (void)g.next_item();  // seq 1 never delivered
  store::FeedOutcome gap = g.store_feed(t, {g.next_item()});
  REQUIRE(gap.problem);
  CHECK(gap.problem->code == protocol::Errc::out_of_order);
  CHECK(gap.feed_seq == 0);
}

TEST_CASE("sync store: a feed item signed by an unknown key is refused") {
  SyncFixture f;
  store::Store s = f.create();
  SeedSigner forger(seed(42));
  store::FeedOutcome out = f.store_feed(s, {f.next_item("c-1", kNid1, &forger)});
  REQUIRE(out.problem);
  CHECK(out.problem->code == protocol::Errc::bad_signature);
  CHECK(out.stored == 0);
}

TEST_CASE("sync store: sync state keeps the acknowledged seq and the latest rejection") {
  SyncFixture f;
  store::Store s = f.create();
  auto empty = s.sync_state("national");
  REQUIRE(empty.ok());
  CHECK(empty->acked_seq == 0);
  CHECK_FALSE(empty->last_reject);

  REQUIRE(s.save_acked("national", 7, kNow).ok());
  REQUIRE(s.save_reject("national", store::SyncReject{9, "bad_signature", "envelope: sig",
                                                      kNow + 5})
              .ok());
  auto state = s.sync_state("national");
  REQUIRE(state.ok());
  CHECK(state->acked_seq == 7);
  REQUIRE(state->last_reject);
  CHECK(state->last_reject->seq == 9);
  CHECK(state->last_reject->code == "bad_signature");
  CHECK(state->last_reject->at_ms == kNow + 5);

  REQUIRE(s.save_acked("national", 8, kNow + 10).ok());  // below the rejected seq: kept
  CHECK(s.sync_state("national")->last_reject.has_value());
  REQUIRE(s.save_acked("national", 9, kNow + 20).ok());  // overtaken: cleared
  state = s.sync_state("national");
  CHECK(state->acked_seq == 9);
  CHECK(state->acked_ms == kNow + 20);
  CHECK_FALSE(state->last_reject);
  CHECK(s.sync_state("elsewhere")->acked_seq == 0);
}

TEST_CASE("sync store: a version 1 database is migrated to the sync schema on open") {
  SyncFixture f;
  {
    store::Store s = f.create();
    f.must(s.upsert(sample_child("c-1"), f.signing));
  }
  {
    RawDb raw(f.file);  // back to what a milestone-1 build wrote
    raw.exec("DROP TABLE imports; DROP TABLE national_ids; DROP TABLE feed; "
             "DROP TABLE sync_state; PRAGMA user_version = 1;");
  }
  store::Store s = f.open();
  RawDb raw(f.file);
  CHECK(raw.scalar("PRAGMA user_version") == store::kSchemaVersion);
  CHECK(raw.scalar("SELECT count(*) FROM outbox") == 1);
  CHECK(f.store_feed(s, {f.next_item("c-1", kNid1)}).stored == 1);
  CHECK(f.verify(s).intact());
}
