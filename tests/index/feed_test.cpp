// The feed the index writes for each authority: signed items that verify as the authority
// verifies them, ranges and acknowledgements; and the status queries over them.
#include "index_fixture.hpp"

using namespace aegis::test;
using namespace aegis::test::index_fixtures;
using aegis::index::IndexErrc;

TEST_CASE("index: feed items verify as the authority verifies them") {
  IndexFixture f;
  Chain kent = Chain::kent(), leeds = Chain::leeds();
  ApplyResult a = f.apply("kent", {kent.upsert(child("f-1")), kent.upsert(child("f-2"))});
  f.apply("leeds", {leeds.upsert(child("f-1", "Leeds"))});  // another child
  ApplyResult b = f.apply("kent", {kent.upsert(child("f-1", "Moved")), kent.remove("f-2")});

  std::vector<FeedItem> items = f.verified_feed("kent");
  // One national_id item for the batch's new records (one signature), then its receipt.
  REQUIRE(items.size() == 3);
  CHECK(items[0].kind == FeedKind::national_id);
  REQUIRE(items[0].national_ids.size() == 2);
  CHECK(items[0].national_ids[0].record_id == "f-1");
  CHECK(items[0].national_ids[1].record_id == "f-2");
  CHECK(items[0].national_ids[0].national_id != items[0].national_ids[1].national_id);
  CHECK(items[1].kind == FeedKind::applied);
  CHECK(items[1].applied_seq == a.applied.last_seq);
  CHECK(items[1].applied_hash == a.applied.last_hash);
  CHECK(items[2].kind == FeedKind::applied);
  CHECK(items[2].applied_seq == 4);
  CHECK(items[2].applied_hash == b.applied.last_hash);
  for (const FeedItem& item : items) {
    CHECK(item.authority_id == "kent");
    CHECK(item.signer_serial == kIndexSerial);
    CHECK(item.timestamp_ms == kNowMs);
  }
  auto rec = f.store.record("kent", "f-1");
  REQUIRE(rec.ok());
  CHECK((*rec)->national_id == items[0].national_ids[0].national_id);
  // What apply_batch returned is what the feed holds.
  auto stored = f.store.feed_range("kent", 1, 100);
  REQUIRE(stored.ok());
  CHECK(std::vector<Bytes>(stored->begin(), stored->begin() + 2) == a.feed_items);
  CHECK(f.verified_feed("leeds").size() == 2);
}

TEST_CASE("index: a Push of more than 512 new records splits its national ids over items") {
  IndexFixture f;
  Chain kent = Chain::kent();
  std::vector<Bytes> batch;
  for (int i = 0; i < 600; ++i) batch.push_back(kent.upsert(child("m-" + std::to_string(i))));
  ApplyResult r = f.apply("kent", batch);
  REQUIRE(r.applied_count == 600);
  std::vector<FeedItem> items = f.verified_feed("kent");
  REQUIRE(items.size() == 3);
  CHECK(items[0].national_ids.size() == kMaxNationalIdsPerItem);
  CHECK(items[1].national_ids.size() == 600 - kMaxNationalIdsPerItem);
  CHECK(items[0].national_ids.front().record_id == "m-0");
  CHECK(items[1].national_ids.back().record_id == "m-599");
  CHECK(items[2].kind == FeedKind::applied);
  CHECK(items[2].applied_seq == 600);
  auto clean = f.store.verify_all(f.trust);
  REQUIRE(clean.ok());
  CHECK(clean->intact());
}

TEST_CASE("index: a feed item is refused by another authority and when tampered") {
  IndexFixture f;
  Chain kent = Chain::kent();
  ApplyResult a = f.apply("kent", {kent.upsert(child("f-1"))});
  REQUIRE(a.feed_items.size() == 2);
  auto as_leeds = verify_feed_item(a.feed_items[0], f.trust, "leeds", ChainState{}, kNowMs);
  REQUIRE_FALSE(as_leeds.ok());
  CHECK(as_leeds.error().code == Errc::wrong_role);
  Bytes tampered = a.feed_items[0];
  tampered.back() ^= 0x01;
  auto bad = verify_feed_item(tampered, f.trust, "kent", ChainState{}, kNowMs);
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().code == Errc::bad_signature);
  auto out_of_order = verify_feed_item(a.feed_items[1], f.trust, "kent", ChainState{}, kNowMs);
  REQUIRE_FALSE(out_of_order.ok());
  CHECK(out_of_order.error().code == Errc::out_of_order);
}

TEST_CASE("index: feed_range reads from a seq, feed_acked only moves forward") {
  IndexFixture f;
  Chain kent = Chain::kent();
  // Three batches of one new record: a national_id item and a receipt each.
  std::vector<Bytes> feed;
  for (int i = 0; i < 3; ++i) {
    ApplyResult r = f.apply("kent", {kent.upsert(child("a-" + std::to_string(i)))});
    feed.insert(feed.end(), r.feed_items.begin(), r.feed_items.end());
  }
  REQUIRE(feed.size() == 6);

  auto middle = f.store.feed_range("kent", 3, 2);
  REQUIRE(middle.ok());
  REQUIRE(middle->size() == 2);
  CHECK((*middle)[0] == feed[2]);
  CHECK((*middle)[1] == feed[3]);
  auto from_zero = f.store.feed_range("kent", 0, 100);
  REQUIRE(from_zero.ok());
  CHECK(from_zero->size() == 6);
  auto beyond = f.store.feed_range("kent", 7, 100);
  REQUIRE(beyond.ok());
  CHECK(beyond->empty());
  auto unknown = f.store.feed_range("york", 1, 100);
  REQUIRE(unknown.ok());
  CHECK(unknown->empty());

  REQUIRE(f.store.feed_acked("kent", 4).ok());
  REQUIRE(f.store.feed_acked("kent", 2).ok());  // an older ack does not move it back
  auto status = f.store.authority_status("kent");
  REQUIRE(status.ok());
  CHECK(status->feed_seq == 6);
  CHECK(status->feed_acked == 4);

  auto too_far = f.store.feed_acked("kent", 7);
  REQUIRE_FALSE(too_far.ok());
  CHECK(too_far.error().code == IndexErrc::invalid_argument);
  auto nobody = f.store.feed_acked("york", 1);
  REQUIRE_FALSE(nobody.ok());
  CHECK(nobody.error().code == IndexErrc::not_found);
}

TEST_CASE("index: status and totals report per authority, reopening keeps everything") {
  IndexFixture f;
  Chain kent = Chain::kent(), york = Chain::york();
  f.apply("kent", {kent.upsert(child("s-1")), kent.upsert(child("s-2"))}, kNowMs + 10);
  f.apply("york", {york.upsert(child("s-1", "York"))}, kNowMs + 20);
  Bytes bad = york.upsert(child("s-2"));
  bad.back() ^= 0x01;
  f.apply("york", {bad}, kNowMs + 30);

  auto check_status = [&](IndexStore& store) {
    auto all = store.status();
    REQUIRE(all.ok());
    REQUIRE(all->size() == 2);
    const auto& k = (*all)[0];
    const auto& y = (*all)[1];
    CHECK(k.authority_id == "kent");
    CHECK(k.applied_seq == 2);
    CHECK(k.applied_hash == kent.head().last_hash);
    CHECK(k.live_records == 2);
    CHECK(k.first_seen_ms == kNowMs + 10);
    CHECK(k.last_received_ms == kNowMs + 10);
    CHECK(k.feed_seq == 2);
    CHECK(k.rejections == 0);
    CHECK(y.authority_id == "york");
    CHECK(y.applied_seq == 1);
    CHECK(y.rejections == 1);
    CHECK(y.last_received_ms == kNowMs + 30);
    auto totals = store.totals();
    REQUIRE(totals.ok());
    CHECK(totals->authorities == 2);
    CHECK(totals->envelopes == 3);
    CHECK(totals->live_records == 3);
    CHECK(totals->rejections == 1);
    CHECK(totals->feed_items == 4);
  };
  check_status(f.store);
  auto missing = f.store.authority_status("leeds");
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.error().code == IndexErrc::not_found);

  f.store = IndexFixture::open_new(f.dir / "other.db", {});  // closes the first database
  auto reopened = IndexStore::open(f.file);
  REQUIRE(reopened.ok());
  check_status(*reopened);
  auto head = reopened->chain_state("kent");
  REQUIRE(head.ok());
  CHECK(head->last_hash == kent.head().last_hash);
}

TEST_CASE("index: create refuses an existing file, open refuses what is not an index store") {
  IndexFixture f;
  auto again = IndexStore::create(f.file, kNowMs);
  REQUIRE_FALSE(again.ok());
  CHECK(again.error().code == IndexErrc::exists);

  // The empty file left by a create interrupted before its commit is taken over.
  const auto interrupted = f.dir / "interrupted.db";
  { std::ofstream touch(interrupted); }
  auto resumed = IndexStore::create(interrupted, kNowMs);
  INFO((resumed ? std::string() : resumed.error().message()));
  CHECK(resumed.ok());

  auto none = IndexStore::open(f.dir / "absent.db");
  REQUIRE_FALSE(none.ok());
  CHECK(none.error().code == IndexErrc::not_found);

  const auto other = f.dir / "other.db";
  {
    RawDb raw(other);
    raw.exec("CREATE TABLE meta (key TEXT PRIMARY KEY, value ANY NOT NULL) STRICT;"
             "INSERT INTO meta VALUES ('format', 'aegis-authority-store');"
             "PRAGMA user_version = 1;");
  }
  auto wrong = IndexStore::open(other);
  REQUIRE_FALSE(wrong.ok());
  CHECK(wrong.error().code == IndexErrc::not_initialised);

  const auto empty = f.dir / "empty.db";
  { RawDb raw(empty); }
  auto blank = IndexStore::open(empty);
  REQUIRE_FALSE(blank.ok());
  CHECK(blank.error().code == IndexErrc::not_initialised);

  const auto newer = f.dir / "newer.db";
  { auto s = IndexStore::create(newer, kNowMs); REQUIRE(s.ok()); }
  { RawDb raw(newer); raw.exec("PRAGMA user_version = 99"); }
  auto too_new = IndexStore::open(newer);
  REQUIRE_FALSE(too_new.ok());
  CHECK(too_new.error().code == IndexErrc::schema_too_new);
}
