// The authority store's sync tables (docs/store.md §10, §12): outbox range reads, the feed
// received from the index (verified, chained, national ids, elsewhere links), sync state, and
// the migrations 1 -> 2 and 3 -> 4 (the feed rebuilt for its elsewhere items).
#include <catch2/catch.hpp>

#include "aegis/protocol/feed.hpp"
#include "store/schema.hpp"
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

  // The next feed item: an elsewhere item (feed version 3) for kent's `record_id`. Linked items
  // carry `details` (default: what leeds shares of sample_child, see shareable()).
  protocol::Bytes next_elsewhere(const std::string& record_id, const std::string& national_id,
                                 protocol::ElsewhereState state,
                                 const std::string& other_authority_id,
                                 const std::string& other_record_id,
                                 std::optional<protocol::ChildDetails> details = std::nullopt) {
    protocol::FeedItem f;
    f.authority_id = "kent";
    f.seq = chain.last_seq + 1;
    f.prev_hash = chain.last_hash;
    f.timestamp_ms = kNow;
    f.signer_serial = kIndexSerial;
    f.kind = protocol::FeedKind::elsewhere;
    f.elsewhere = {record_id, national_id, other_authority_id, other_record_id, state, details};
    if (state == protocol::ElsewhereState::linked && !details) f.elsewhere.details = shareable();
    protocol::Bytes wire = protocol::sign_feed_item(f, index);
    chain = protocol::ChainState{f.seq, protocol::feed_item_hash(wire)};
    return wire;
  }

  // What another authority shares of sample_child: contacts and involvements, no address,
  // identifiers or shield.
  static protocol::ChildDetails shareable() {
    return protocol::details_for_elsewhere(sample_child("L:42").details);
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
    raw.exec("DROP TABLE checkpoint_forks; DROP TABLE checkpoint_held; DROP TABLE elsewhere; "
             "DROP TABLE imports; DROP TABLE national_ids; DROP TABLE feed; "
             "DROP TABLE sync_state; PRAGMA user_version = 1;");
  }
  store::Store s = f.open();
  RawDb raw(f.file);
  CHECK(raw.scalar("PRAGMA user_version") == store::kSchemaVersion);
  CHECK(raw.scalar("SELECT count(*) FROM outbox") == 1);
  CHECK(f.store_feed(s, {f.next_item("c-1", kNid1)}).stored == 1);
  CHECK(f.verify(s).intact());
}

// ---- Elsewhere items (feed version 3, docs/store.md §12) ---------------------------------------

namespace {

using protocol::ElsewhereState;

// A raw connection whose statements may fail (a hand edit the schema refuses).
struct HandEdit : RawDb {
  using RawDb::RawDb;
  bool accepted(const std::string& sql) {
    return sqlite3_exec(handle(), sql.c_str(), nullptr, nullptr, nullptr) == SQLITE_OK;
  }
};

std::vector<store::KnownElsewhere> known(store::Store& s, const std::string& record_id) {
  auto r = s.elsewhere(record_id);
  INFO((r ? "" : r.error().message()));
  REQUIRE(r.ok());
  return r.value();
}

}  // namespace

TEST_CASE("sync store: elsewhere items link, replace, shield and unlink, the latest winning") {
  SyncFixture f;
  store::Store s = f.create();
  CHECK(known(s, "c-1").empty());

  store::FeedOutcome out = f.store_feed(
      s, {f.next_elsewhere("c-1", kNid1, ElsewhereState::linked, "leeds", "L:42"),
          f.next_elsewhere("c-1", kNid1, ElsewhereState::shielded, "york", "Y-7")});
  CHECK(out.stored == 2);
  CHECK_FALSE(out.problem);
  auto k = known(s, "c-1");
  REQUIRE(k.size() == 2);
  CHECK(k[0].other_authority_id == "leeds");
  CHECK(k[0].other_record_id == "L:42");
  CHECK_FALSE(k[0].shielded);
  CHECK(k[0].details == SyncFixture::shareable());
  CHECK(k[0].feed_seq == 1);
  CHECK(k[1].other_authority_id == "york");
  CHECK(k[1].shielded);
  CHECK(k[1].details == protocol::ChildDetails{});  // nothing but "contact its shield team"
  CHECK(*s.national_id("c-1") == std::optional<std::string>(kNid1));
  CHECK(known(s, "c-2").empty());

  // A later item for the same pair replaces it: other details, then shielded there.
  protocol::ChildDetails fewer = SyncFixture::shareable();
  fewer.contacts.clear();
  f.store_feed(s, {f.next_elsewhere("c-1", kNid1, ElsewhereState::linked, "leeds", "L:42", fewer)});
  k = known(s, "c-1");
  REQUIRE(k.size() == 2);
  CHECK(k[0].details == fewer);
  CHECK(k[0].feed_seq == 3);
  f.store_feed(s, {f.next_elsewhere("c-1", kNid1, ElsewhereState::shielded, "leeds", "L:42")});
  k = known(s, "c-1");
  REQUIRE(k.size() == 2);
  CHECK(k[0].shielded);
  CHECK(k[0].details == protocol::ChildDetails{});
  RawDb raw(f.file);
  CHECK(raw.scalar("SELECT count(*) FROM elsewhere WHERE details IS NOT NULL") == 0);

  // Unlinked: the pair is forgotten; unlinking a pair never linked changes nothing but the feed.
  out = f.store_feed(s, {f.next_elsewhere("c-1", kNid1, ElsewhereState::unlinked, "leeds", "L:42"),
                         f.next_elsewhere("c-1", kNid1, ElsewhereState::unlinked, "hull", "H-1")});
  CHECK(out.stored == 2);
  k = known(s, "c-1");
  REQUIRE(k.size() == 1);
  CHECK(k[0].other_authority_id == "york");
  CHECK(raw.scalar("SELECT count(*) FROM feed WHERE kind = 3") == 6);
  CHECK(raw.scalar("SELECT count(*) FROM elsewhere") == 1);
}

TEST_CASE("sync store: the latest item states a record's national id, whatever its kind") {
  SyncFixture f;
  store::Store s = f.create();
  f.store_feed(s, {f.next_item("c-1", kNid1)});
  CHECK(*s.national_id("c-1") == std::optional<std::string>(kNid1));
  // A merge at the index: the elsewhere item carries the cluster's id.
  f.store_feed(s, {f.next_elsewhere("c-1", kNid2, ElsewhereState::linked, "leeds", "L:42")});
  CHECK(*s.national_id("c-1") == std::optional<std::string>(kNid2));
  RawDb raw(f.file);
  CHECK(raw.scalar("SELECT feed_seq FROM national_ids WHERE record_id = 'c-1'") == 2);
  // A later national_id item replaces it again.
  f.store_feed(s, {f.next_item("c-1", kNid1)});
  CHECK(*s.national_id("c-1") == std::optional<std::string>(kNid1));
  CHECK(*s.national_id_count() == 1);
}

TEST_CASE("sync store: an elsewhere item that fails verification stores nothing") {
  SyncFixture f;
  store::Store s = f.create();
  // Validly signed but sharing the child's address: refused at decoding, nothing stored.
  protocol::ChildDetails leaky = SyncFixture::shareable();
  leaky.address = protocol::Address{{"12 Canaryfield Road"}, "ME14 1XX"};
  store::FeedOutcome out = f.store_feed(
      s, {f.next_elsewhere("c-1", kNid1, ElsewhereState::linked, "leeds", "L:42", leaky)});
  CHECK(out.stored == 0);
  CHECK(out.feed_seq == 0);
  REQUIRE(out.problem);
  CHECK(out.problem->code == protocol::Errc::invalid_field);
  CHECK(out.problem->detail.rfind("feed_item.data.details.address: ", 0) == 0);
  CHECK(known(s, "c-1").empty());
  CHECK_FALSE(s.national_id("c-1")->has_value());
  RawDb raw(f.file);
  CHECK(raw.scalar("SELECT count(*) FROM feed") == 0);

  // A tampered item after a good one: the good one and its link are stored, not the other.
  SyncFixture g;
  store::Store t = g.create();
  std::vector<protocol::Bytes> items = {
      g.next_elsewhere("c-1", kNid1, ElsewhereState::linked, "leeds", "L:42"),
      g.next_elsewhere("c-1", kNid1, ElsewhereState::linked, "york", "Y-7")};
  items[1][items[1].size() - 5] ^= 0x01;  // inside the signature
  out = g.store_feed(t, items);
  CHECK(out.stored == 1);
  REQUIRE(out.problem);
  CHECK(out.problem->code == protocol::Errc::bad_signature);
  auto k = known(t, "c-1");
  REQUIRE(k.size() == 1);
  CHECK(k[0].other_authority_id == "leeds");

  // An elsewhere item from another index certificate, or addressed to another authority.
  SyncFixture h;
  store::Store u = h.create();
  protocol::FeedItem rogue;
  rogue.authority_id = "kent";
  rogue.seq = 1;
  rogue.timestamp_ms = kNow;
  rogue.signer_serial = kOtherIndexSerial;
  rogue.kind = protocol::FeedKind::elsewhere;
  rogue.elsewhere = {"c-1", kNid1, "york", "Y-7", ElsewhereState::shielded, std::nullopt};
  out = h.store_feed(u, {protocol::sign_feed_item(rogue, h.other_index)});
  REQUIRE(out.problem);
  CHECK(out.problem->code == protocol::Errc::unknown_signer);
  CHECK(known(u, "c-1").empty());
}

TEST_CASE("sync store: the elsewhere table refuses details for a record shielded there") {
  SyncFixture f;
  store::Store s = f.create();
  f.store_feed(s, {f.next_elsewhere("c-1", kNid1, ElsewhereState::shielded, "york", "Y-7")});
  HandEdit raw(f.file);
  // As a hand-edited database would try: details on a shielded row, or a linked row without.
  CHECK_FALSE(raw.accepted("UPDATE elsewhere SET details = x'9790' WHERE other_record_id = 'Y-7'"));
  CHECK_FALSE(raw.accepted("UPDATE elsewhere SET state = 1 WHERE other_record_id = 'Y-7'"));
  CHECK_FALSE(raw.accepted("UPDATE elsewhere SET state = 0 WHERE other_record_id = 'Y-7'"));
  // A linked row whose details no longer decode is reported, never half-read.
  f.store_feed(s, {f.next_elsewhere("c-2", kNid2, ElsewhereState::linked, "leeds", "L:42")});
  raw.exec("UPDATE elsewhere SET details = x'c1' WHERE record_id = 'c-2'");
  auto r = s.elsewhere("c-2");
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == StoreErrc::corrupt);
  CHECK(known(s, "c-1").size() == 1);
}

TEST_CASE("sync store: a schema version 3 file with data is migrated on open (steps 4 and 5)") {
  SyncFixture f;
  const std::filesystem::path source = f.dir / "source.db";
  {
    // The data: records, envelopes, a feed with both version 2 kinds, national ids, sync state.
    auto made = store::Store::create(source, "kent", kNow);
    REQUIRE(made.ok());
    store::Store s = std::move(made).value();
    f.must(s.upsert(sample_child("c-1"), f.signing));
    f.must(s.upsert(sample_child("c-2"), f.signing));
    CHECK(f.store_feed(s, {f.next_item(), f.next_item("c-1", kNid1), f.next_item("c-2", kNid2)})
              .stored == 3);
    REQUIRE(s.save_acked("national", 2, kNow).ok());
  }
  {
    // A real schema-3 file: steps 1-3 exactly as a version 3 build ran them, then its rows.
    RawDb raw(f.file);
    const auto steps = store::schema::steps();
    for (std::size_t i = 0; i < 3; ++i) raw.exec(std::string(steps[i]));
    raw.exec("PRAGMA user_version = 3; ATTACH '" + source.string() + "' AS src; "
             "INSERT INTO meta SELECT * FROM src.meta; "
             "INSERT INTO outbox SELECT * FROM src.outbox; "
             "INSERT INTO records SELECT * FROM src.records; "
             "INSERT INTO feed SELECT * FROM src.feed; "
             "INSERT INTO national_ids SELECT * FROM src.national_ids; "
             "INSERT INTO sync_state SELECT * FROM src.sync_state; DETACH src;");
    CHECK(raw.scalar("SELECT count(*) FROM sqlite_master WHERE sql LIKE '%kind IN (1, 2))%'") ==
          1);
  }
  store::Store s = f.open();
  RawDb raw(f.file);
  CHECK(raw.scalar("PRAGMA user_version") == store::kSchemaVersion);
  CHECK(raw.scalar("SELECT count(*) FROM feed") == 3);
  CHECK(raw.scalar("SELECT count(*) FROM national_ids") == 2);
  CHECK(raw.scalar("SELECT count(*) FROM pragma_foreign_key_check") == 0);
  // No table of the rebuild is left behind, and national_ids references the new feed.
  CHECK(raw.scalar("SELECT count(*) FROM sqlite_master "
                   "WHERE instr(sql, '_new') > 0 OR instr(name, '_new') > 0") == 0);
  CHECK(raw.scalar("SELECT count(*) FROM pragma_foreign_key_list('national_ids') "
                   "WHERE \"table\" = 'feed'") == 1);
  CHECK(raw.scalar("SELECT count(*) FROM pragma_foreign_key_list('elsewhere') "
                   "WHERE \"table\" = 'feed'") == 1);
  CHECK(raw.scalar("SELECT count(*) FROM sqlite_master WHERE sql LIKE '%kind BETWEEN 1 AND 6%'") ==
        1);
  CHECK(*s.national_id("c-1") == std::optional<std::string>(kNid1));
  CHECK(s.sync_state("national")->acked_seq == 2);
  auto head = s.feed_head();
  REQUIRE(head.ok());
  CHECK(head->last_seq == 3);
  CHECK(head->last_hash == f.chain.last_hash);
  // The feed goes on with an elsewhere item; the outbox chain is intact.
  CHECK(f.store_feed(s, {f.next_elsewhere("c-1", kNid1, ElsewhereState::linked, "leeds", "L:42")})
            .stored == 1);
  CHECK(known(s, "c-1").size() == 1);
  CHECK(f.verify(s).intact());
  CHECK(raw.scalar("SELECT count(*) FROM pragma_foreign_key_check") == 0);
}

TEST_CASE("sync store: a failed migration to version 4 leaves the version 3 file as it was") {
  SyncFixture f;
  {
    RawDb raw(f.file);
    const auto steps = store::schema::steps();
    for (std::size_t i = 0; i < 3; ++i) raw.exec(std::string(steps[i]));
    raw.exec("PRAGMA user_version = 3; "
             "INSERT INTO meta VALUES ('authority_id', 'kent'), ('created_ms', 1), "
             "('format', 'aegis-authority-store');");
    // A feed row, and a table (as a hand-edited file could have) with a name step 4 creates:
    // the step fails after it has rebuilt feed, so everything it did must roll back.
    raw.exec("INSERT INTO feed VALUES (1, 1, 1, zeroblob(32), x'00'); "
             "CREATE TABLE elsewhere (x INTEGER);");
  }
  auto s = store::Store::open(f.file, "kent");
  REQUIRE_FALSE(s.ok());
  RawDb raw(f.file);
  CHECK(raw.scalar("PRAGMA user_version") == 3);
  CHECK(raw.scalar("SELECT count(*) FROM feed") == 1);
  CHECK(raw.scalar("SELECT count(*) FROM sqlite_master WHERE name = 'feed_new'") == 0);
}

namespace {

// The next item of kent's feed, signed by the index, with `fill` setting its kind and data.
template <class Fill>
protocol::Bytes next_notice_item(SyncFixture& f, std::uint64_t version, Fill fill) {
  protocol::FeedItem item;
  item.version = version;
  item.authority_id = "kent";
  item.seq = f.chain.last_seq + 1;
  item.prev_hash = f.chain.last_hash;
  item.timestamp_ms = kNow;
  item.signer_serial = kIndexSerial;
  fill(item);
  protocol::Bytes wire = protocol::sign_feed_item(item, f.index);
  f.chain = protocol::ChainState{item.seq, protocol::feed_item_hash(wire)};
  return wire;
}

protocol::AccessNotice leeds_notice(const std::string& record_id, std::string reason = {}) {
  return {record_id, "leeds", "pr-0042", protocol::UserRole::practitioner,
          protocol::QueryPurpose::safeguarding, kNow - 5, std::move(reason)};
}

protocol::Bytes notice_item(SyncFixture& f, protocol::FeedKind kind, const std::string& record_id) {
  return next_notice_item(f, protocol::kNoticeFeedItemVersion, [&](protocol::FeedItem& item) {
    item.kind = kind;
    item.notice = leeds_notice(record_id, kind == protocol::FeedKind::override_notice
                                              ? "section 47 enquiry, urgent"
                                              : "");
  });
}

// A version 6 access_notice item holding one notice per record id, in that order.
protocol::Bytes notice_list_item(SyncFixture& f, const std::vector<std::string>& record_ids) {
  return next_notice_item(f, protocol::kNoticeListFeedItemVersion, [&](protocol::FeedItem& item) {
    item.kind = protocol::FeedKind::access_notice;
    for (const std::string& id : record_ids) item.notices.push_back(leeds_notice(id));
  });
}

}  // namespace

TEST_CASE("store feed: a version 6 item's notices are listed one by one, newest first",
          "[store][feed][notices]") {
  SyncFixture f;
  store::Store s = f.create();
  REQUIRE(f.store_feed(s, {notice_item(f, protocol::FeedKind::access_notice, "c-1"),
                           notice_list_item(f, {"c-2", "c-3", "c-4"})})
              .stored == 2);
  auto all = s.notices(10);
  REQUIRE(all.ok());
  REQUIRE(all->size() == 4);
  const std::vector<std::string> order{"c-4", "c-3", "c-2", "c-1"};
  for (std::size_t i = 0; i < order.size(); ++i) {
    CHECK((*all)[i].notice.record_id == order[i]);
    CHECK((*all)[i].feed_seq == (i < 3 ? 2u : 1u));
    CHECK_FALSE((*all)[i].override_notice);
  }
  auto two = s.notices(2);  // the limit counts notices, not items
  REQUIRE(two.ok());
  REQUIRE(two->size() == 2);
  CHECK((*two)[1].notice.record_id == "c-3");
}

TEST_CASE("store feed: access and override notices are stored and listed newest first",
          "[store][feed][notices]") {
  SyncFixture f;
  store::Store s = f.create();
  REQUIRE(f.store_feed(s, {f.next_item(),
                           notice_item(f, protocol::FeedKind::access_notice, "c-1"),
                           notice_item(f, protocol::FeedKind::override_notice, "c-2")})
              .stored == 3);
  auto all = s.notices(10);
  REQUIRE(all.ok());
  REQUIRE(all->size() == 2);
  CHECK((*all)[0].feed_seq == 3);
  CHECK((*all)[0].override_notice);
  CHECK((*all)[0].notice.reason == "section 47 enquiry, urgent");
  CHECK((*all)[1].feed_seq == 2);
  CHECK_FALSE((*all)[1].override_notice);
  CHECK((*all)[1].notice.record_id == "c-1");
  CHECK((*all)[1].notice.viewer_authority_id == "leeds");
  CHECK(s.notices(1)->size() == 1);
}

TEST_CASE("store feed: no notices, and a damaged notice row is corrupt, not skipped",
          "[store][feed][notices]") {
  SyncFixture f;
  store::Store s = f.create();
  REQUIRE(f.store_feed(s, {f.next_item()}).stored == 1);
  CHECK(s.notices(10)->empty());
  REQUIRE(f.store_feed(s, {notice_item(f, protocol::FeedKind::access_notice, "c-1")}).stored == 1);
  RawDb(f.file).exec("UPDATE feed SET item = x'9100' WHERE seq = 2");
  auto damaged = s.notices(10);
  REQUIRE_FALSE(damaged.ok());
  CHECK(damaged.error().code == store::StoreErrc::corrupt);
  CHECK(damaged.error().message().find("feed item 2") != std::string::npos);
}
