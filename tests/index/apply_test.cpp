// apply_batch: chains of several authorities, duplicates, gaps, every kind of refusal, a failure
// mid-batch, national ids and deletes — against a real SQLite file.
#include <set>

#include "index_fixture.hpp"

using namespace aegis::test;
using namespace aegis::test::index_fixtures;
using aegis::index::IndexErrc;
using aegis::index::OpenOptions;

namespace {

std::int64_t count(RawDb& raw, const std::string& table) {
  return raw.scalar("SELECT count(*) FROM " + table);
}

// A batch of `n` upserts of new records "<prefix>-<i>".
std::vector<Bytes> new_records(Chain& chain, const std::string& prefix, int n) {
  std::vector<Bytes> batch;
  for (int i = 0; i < n; ++i) batch.push_back(chain.upsert(child(prefix + "-" + std::to_string(i))));
  return batch;
}

}  // namespace

TEST_CASE("index: three authorities' interleaved chains each reach their own head") {
  IndexFixture f;
  Chain kent = Chain::kent(), leeds = Chain::leeds(), york = Chain::york();
  for (int round = 0; round < 3; ++round) {
    for (Chain* c : {&kent, &leeds, &york}) {
      std::vector<Bytes> batch = new_records(*c, "r" + std::to_string(round), 4);
      ApplyResult r = f.apply(c->authority(), batch);
      CHECK(r.applied_count == 4);
      CHECK(r.duplicates == 0);
      CHECK_FALSE(r.gap);
      CHECK_FALSE(r.rejection);
      CHECK(r.applied.last_seq == c->head().last_seq);
      CHECK(r.applied.last_hash == c->head().last_hash);
    }
  }
  for (Chain* c : {&kent, &leeds, &york}) {
    auto head = f.store.chain_state(c->authority());
    REQUIRE(head.ok());
    CHECK(head->last_seq == 12);
    CHECK(head->last_hash == c->head().last_hash);
    auto rec = f.store.record(c->authority(), "r1-2");
    REQUIRE(rec.ok());
    REQUIRE(rec->has_value());
    CHECK((*rec)->last_seq == 7);
    CHECK((*rec)->identity == child("r1-2").identity);
    CHECK((*rec)->details == encode_child_details(without_identifiers(child("r1-2").details)));
  }
  auto totals = f.store.totals();
  REQUIRE(totals.ok());
  CHECK(totals->authorities == 3);
  CHECK(totals->envelopes == 36);
  CHECK(totals->live_records == 36);
  CHECK(totals->rejections == 0);
  auto report = f.store.verify_all(f.trust);
  REQUIRE(report.ok());
  CHECK(report->intact());
  CHECK(report->authorities.size() == 3);
}

TEST_CASE("index: the same batch applied twice changes nothing the second time") {
  IndexFixture f;
  Chain kent = Chain::kent();
  std::vector<Bytes> batch = new_records(kent, "c", 5);
  batch.push_back(kent.remove("c-1"));
  ApplyResult first = f.apply("kent", batch);
  CHECK(first.applied_count == 6);
  RawDb raw(f.file);
  const std::string before = raw.dump();

  ApplyResult again = f.apply("kent", batch);
  CHECK(again.applied_count == 0);
  CHECK(again.duplicates == 6);
  CHECK(again.feed_items.empty());
  CHECK_FALSE(again.rejection);
  CHECK(again.applied.last_seq == first.applied.last_seq);
  CHECK(again.applied.last_hash == first.applied.last_hash);
  CHECK(raw.dump() == before);

  // A resend overlapping the head: the old part is skipped, the new part applied.
  std::vector<Bytes> overlap(batch.begin() + 3, batch.end());
  overlap.push_back(kent.upsert(child("c-9")));
  ApplyResult r = f.apply("kent", overlap);
  CHECK(r.duplicates == 3);
  CHECK(r.applied_count == 1);
  CHECK(r.applied.last_seq == 7);
}

TEST_CASE("index: a gap applies nothing beyond it, and the resent range then applies") {
  IndexFixture f;
  Chain kent = Chain::kent();
  std::vector<Bytes> all = new_records(kent, "g", 5);
  ApplyResult r = f.apply("kent", {all[0], all[1], all[3], all[4]});
  CHECK(r.applied_count == 2);
  CHECK(r.gap);
  CHECK_FALSE(r.rejection);
  CHECK(r.applied.last_seq == 2);
  RawDb raw(f.file);
  CHECK(count(raw, "envelopes") == 2);
  CHECK(count(raw, "rejections") == 0);

  // A batch starting beyond the head applies nothing at all.
  ApplyResult none = f.apply("kent", {all[4]});
  CHECK(none.applied_count == 0);
  CHECK(none.gap);
  CHECK(none.feed_items.empty());

  ApplyResult rest = f.apply("kent", {all[2], all[3], all[4]});
  CHECK(rest.applied_count == 3);
  CHECK_FALSE(rest.gap);
  CHECK(rest.applied.last_seq == 5);
}

TEST_CASE("index: a tampered envelope is rejected, not stored, the batch's earlier ones stay") {
  const unsigned threads = GENERATE(1u, 2u, 4u);
  OpenOptions options;
  options.verify_threads = threads;
  IndexFixture f(options);
  Chain kent = Chain::kent(), leeds = Chain::leeds();
  std::vector<Bytes> batch = new_records(kent, "t", 5);
  // Flip one bit of the signature (the last byte of the wire form) of seq 3.
  batch[2].back() ^= 0x01;
  ApplyResult r = f.apply("kent", batch);
  CHECK(r.applied_count == 2);
  CHECK(r.applied.last_seq == 2);
  REQUIRE(r.rejection);
  CHECK(r.rejection->seq == 3);
  CHECK(r.rejection->code == Errc::bad_signature);
  CHECK_FALSE(r.gap);

  RawDb raw(f.file);
  CHECK(count(raw, "envelopes") == 2);
  CHECK(raw.scalar("SELECT count(*) FROM envelopes WHERE seq = 3") == 0);
  auto rec = f.store.record("kent", "t-2");
  REQUIRE(rec.ok());
  CHECK_FALSE(rec->has_value());
  auto rejections = f.store.rejections("kent", 10);
  REQUIRE(rejections.ok());
  REQUIRE(rejections->size() == 1);
  CHECK((*rejections)[0].seq == 3);
  CHECK((*rejections)[0].code == "bad_signature");

  // Another authority is unaffected, and kent resumes from its head with the good envelopes.
  ApplyResult other = f.apply("leeds", new_records(leeds, "l", 3));
  CHECK(other.applied_count == 3);
  CHECK_FALSE(other.rejection);
  batch[2].back() ^= 0x01;
  ApplyResult resumed = f.apply("kent", batch);
  CHECK(resumed.duplicates == 2);
  CHECK(resumed.applied_count == 3);
  CHECK(resumed.applied.last_seq == 5);
}

TEST_CASE("index: a flipped bit in the body is refused with bad_signature or a decode error") {
  IndexFixture f;
  Chain kent = Chain::kent();
  std::vector<Bytes> batch = new_records(kent, "b", 2);
  const std::size_t at = GENERATE(3u, 10u, 40u, 200u);
  REQUIRE(at < batch[1].size() - 64);
  batch[1][at] ^= 0x04;
  ApplyResult r = f.apply("kent", batch);
  CHECK(r.applied_count == 1);
  REQUIRE(r.rejection);
  CHECK(r.rejection->seq == 2);
  CHECK(r.rejection->code != Errc::replayed);
  CHECK(r.rejection->code != Errc::out_of_order);
  RawDb raw(f.file);
  CHECK(count(raw, "envelopes") == 1);
}

TEST_CASE("index: undecodable bytes are rejected with their decode error and never stored") {
  IndexFixture f;
  Chain kent = Chain::kent();
  Bytes first = kent.upsert(child("u-1"));
  Bytes garbage = {0x92, 0xc4, 0x05, 1, 2, 3};  // a Signed whose body is cut short
  ApplyResult r = f.apply("kent", {first, garbage, kent.upsert(child("u-2"))});
  CHECK(r.applied_count == 1);
  REQUIRE(r.rejection);
  CHECK(r.rejection->seq == 2);  // the seq it stood in for
  CHECK((r.rejection->code == Errc::truncated || r.rejection->code == Errc::malformed));
  RawDb raw(f.file);
  CHECK(count(raw, "envelopes") == 1);
  CHECK(count(raw, "rejections") == 1);
}

TEST_CASE("index: unknown, revoked and expired signers are rejected") {
  IndexFixture f;
  Chain kent = Chain::kent();
  Bytes good = kent.upsert(child("s-1"));
  std::uint64_t serial = 0;
  std::uint8_t seed_byte = 0;
  Errc expected{};
  SECTION("unknown") { serial = kUnknownSerial; seed_byte = 0x31; expected = Errc::unknown_signer; }
  SECTION("revoked") { serial = kKentRevokedSerial; seed_byte = kKentRevokedSeed; expected = Errc::revoked_signer; }
  SECTION("expired") { serial = kKentExpiredSerial; seed_byte = kKentExpiredSeed; expected = Errc::expired_signer; }
  SECTION("another authority's certificate") { serial = kLeedsSerial; seed_byte = kLeedsSeed; expected = Errc::wrong_role; }
  SECTION("the index's certificate") { serial = kIndexSerial; seed_byte = kIndexSeed; expected = Errc::wrong_role; }
  Bytes bad = kent.upsert_signed_by(child("s-2"), serial, seed_byte);
  ApplyResult r = f.apply("kent", {good, bad});
  CHECK(r.applied_count == 1);
  REQUIRE(r.rejection);
  CHECK(r.rejection->seq == 2);
  CHECK(r.rejection->code == expected);
  RawDb raw(f.file);
  CHECK(count(raw, "envelopes") == 1);
  auto status = f.store.authority_status("kent");
  REQUIRE(status.ok());
  CHECK(status->rejections == 1);
  CHECK(status->applied_seq == 1);
}

TEST_CASE("index: a forked chain (right seq, wrong prev_hash) is broken_chain") {
  IndexFixture f;
  Chain kent = Chain::kent();
  Bytes first = kent.upsert(child("k-1"));
  Bytes forked = kent.upsert_forked(child("k-2"));
  ApplyResult r = f.apply("kent", {first, forked});
  CHECK(r.applied_count == 1);
  REQUIRE(r.rejection);
  CHECK(r.rejection->code == Errc::broken_chain);
  CHECK(r.rejection->seq == 2);
}

TEST_CASE("index: envelopes of another authority than the sender are wrong_role, not stored") {
  IndexFixture f;
  Chain kent = Chain::kent(), leeds = Chain::leeds();
  Bytes k1 = kent.upsert(child("m-1"));
  Bytes l1 = leeds.upsert(child("m-2"));
  ApplyResult r = f.apply("kent", {k1, l1, kent.upsert(child("m-3"))});
  CHECK(r.applied_count == 1);
  REQUIRE(r.rejection);
  CHECK(r.rejection->code == Errc::wrong_role);
  CHECK(r.rejection->seq == 2);  // kent's applied seq + 1 (PROTOCOL.md §12.5.2), not leeds's 1
  // Even a "duplicate" seq of another authority is refused, not skipped.
  ApplyResult again = f.apply("kent", {l1});
  REQUIRE(again.rejection);
  CHECK(again.rejection->code == Errc::wrong_role);
  CHECK(again.rejection->seq == 2);
  CHECK(again.duplicates == 0);
  auto leeds_head = f.store.chain_state("leeds");
  REQUIRE(leeds_head.ok());
  CHECK(leeds_head->last_seq == 0);
  RawDb raw(f.file);
  CHECK(count(raw, "envelopes") == 1);
}

TEST_CASE("index: a failure mid-batch leaves the previous state intact") {
  IndexFixture f;
  Chain kent = Chain::kent();
  ApplyResult first = f.apply("kent", new_records(kent, "p", 2));
  REQUIRE(first.applied.last_seq == 2);
  RawDb raw(f.file);
  const std::string before = raw.dump();
  // The third envelope row of this batch (the fifth overall) fails, as a full disk would.
  raw.exec("CREATE TRIGGER fail_nth BEFORE INSERT ON envelopes "
           "WHEN (SELECT count(*) FROM envelopes) >= 4 "
           "BEGIN SELECT RAISE(ABORT, 'injected failure'); END");
  const std::string with_trigger = raw.dump();
  std::vector<Bytes> batch = new_records(kent, "q", 4);
  auto r = f.store.apply_batch("kent", batch, f.trust, kNowMs + 5, f.signing);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == IndexErrc::sqlite);
  CHECK(r.error().detail.find("injected failure") != std::string::npos);
  CHECK(raw.dump() == with_trigger);  // no envelope, record, feed item, head or rejection
  auto head = f.store.chain_state("kent");
  REQUIRE(head.ok());
  CHECK(head->last_seq == 2);

  raw.exec("DROP TRIGGER fail_nth");
  CHECK(raw.dump() == before);
  ApplyResult after = f.apply("kent", batch);
  CHECK(after.applied_count == 4);
  CHECK(after.applied.last_seq == 6);
  auto report = f.store.verify_all(f.trust);
  REQUIRE(report.ok());
  CHECK(report->intact());
}

TEST_CASE("index: national ids are assigned once, stable across updates, unique and valid") {
  IndexFixture f;
  Chain kent = Chain::kent(), leeds = Chain::leeds();
  ApplyResult a = f.apply("kent", new_records(kent, "n", 20));
  std::vector<Bytes> other;  // same record ids, other authority, other children
  for (int i = 0; i < 20; ++i) other.push_back(leeds.upsert(child("n-" + std::to_string(i), "Leeds")));
  ApplyResult b = f.apply("leeds", other);
  CHECK(a.feed_items.size() == 2);  // one item with the 20 national ids, then the receipt
  std::set<std::string> ids;
  std::vector<std::string> kent_ids;
  for (const char* authority : {"kent", "leeds"}) {
    for (int i = 0; i < 20; ++i) {
      auto rec = f.store.record(authority, "n-" + std::to_string(i));
      REQUIRE(rec.ok());
      REQUIRE(rec->has_value());
      REQUIRE((*rec)->national_id);
      CHECK(valid_national_id(*(*rec)->national_id));
      ids.insert(*(*rec)->national_id);
      if (std::string(authority) == "kent") kent_ids.push_back(*(*rec)->national_id);
    }
  }
  CHECK(ids.size() == 40);

  // Updates (and a delete followed by a re-creation) keep the id and add no national_id item.
  std::vector<Bytes> updates;
  for (int i = 0; i < 20; ++i) updates.push_back(kent.upsert(child("n-" + std::to_string(i), "Moved")));
  updates.push_back(kent.remove("n-3"));
  updates.push_back(kent.upsert(child("n-3", "Back")));
  ApplyResult u = f.apply("kent", updates);
  CHECK(u.applied_count == 22);
  CHECK(u.feed_items.size() == 1);  // only the `applied` item
  for (int i = 0; i < 20; ++i) {
    auto rec = f.store.record("kent", "n-" + std::to_string(i));
    REQUIRE(rec.ok());
    REQUIRE(rec->has_value());
    CHECK((*rec)->national_id == kent_ids[static_cast<std::size_t>(i)]);
  }
  auto back = f.store.record("kent", "n-3");
  REQUIRE(back.ok());
  CHECK((*back)->identity->name.family == "Back");
}

TEST_CASE("index: a delete keeps the envelope and marks the record deleted") {
  IndexFixture f;
  Chain kent = Chain::kent();
  f.apply("kent", {kent.upsert(child("d-1")), kent.upsert(child("d-2"))});
  ApplyResult r = f.apply("kent", {kent.remove("d-1")});
  CHECK(r.applied_count == 1);
  auto rec = f.store.record("kent", "d-1");
  REQUIRE(rec.ok());
  REQUIRE(rec->has_value());
  CHECK((*rec)->deleted);
  CHECK((*rec)->last_seq == 3);
  CHECK_FALSE((*rec)->identity);
  CHECK((*rec)->details.empty());
  CHECK((*rec)->national_id);  // the id stays known
  RawDb raw(f.file);
  CHECK(count(raw, "envelopes") == 3);
  auto status = f.store.authority_status("kent");
  REQUIRE(status.ok());
  CHECK(status->live_records == 1);

  // A delete of a record the index never saw leaves a tombstone without a national id.
  f.apply("kent", {kent.remove("never-seen")});
  auto ghost = f.store.record("kent", "never-seen");
  REQUIRE(ghost.ok());
  REQUIRE(ghost->has_value());
  CHECK((*ghost)->deleted);
  CHECK_FALSE((*ghost)->national_id);
  status = f.store.authority_status("kent");
  CHECK(status->live_records == 1);
  auto report = f.store.verify_all(f.trust);
  REQUIRE(report.ok());
  CHECK(report->intact());
}

TEST_CASE("index: an oversized batch or an invalid sender id is refused before any work") {
  IndexFixture f;
  Chain kent = Chain::kent();
  std::vector<Bytes> huge(kMaxBatch + 1, kent.upsert(child("x")));
  auto r = f.store.apply_batch("kent", huge, f.trust, kNowMs, f.signing);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == IndexErrc::invalid_argument);
  auto bad = f.store.apply_batch("Not An Id", {huge[0]}, f.trust, kNowMs, f.signing);
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().code == IndexErrc::invalid_argument);
  RawDb raw(f.file);
  CHECK(count(raw, "authorities") == 0);
}

TEST_CASE("index: the same refusal resent is counted, not stored again") {
  IndexFixture f;
  Chain kent = Chain::kent();
  std::vector<Bytes> batch = new_records(kent, "r", 2);
  batch[1].back() ^= 0x80;
  for (int i = 0; i < 3; ++i) f.apply("kent", batch, kNowMs + static_cast<std::uint64_t>(i));
  auto rejections = f.store.rejections("", 10);
  REQUIRE(rejections.ok());
  REQUIRE(rejections->size() == 1);
  CHECK((*rejections)[0].repeats == 3);
  CHECK((*rejections)[0].first_ms == kNowMs);
  CHECK((*rejections)[0].last_ms == kNowMs + 2);
  auto status = f.store.authority_status("kent");
  REQUIRE(status.ok());
  CHECK(status->rejections == 3);
  CHECK(status->last_received_ms == kNowMs + 2);
}

TEST_CASE("index: with a background checkpoint after every commit, nothing changes") {
  OpenOptions options;
  options.checkpoint_wal_frames = 1;
  IndexFixture f(options);
  Chain kent = Chain::kent(), leeds = Chain::leeds();
  for (int round = 0; round < 5; ++round) {
    CHECK(f.apply("kent", new_records(kent, "k" + std::to_string(round), 20)).applied_count == 20);
    CHECK(f.apply("leeds", new_records(leeds, "l" + std::to_string(round), 20)).applied_count == 20);
    auto rec = f.store.record("kent", "k" + std::to_string(round) + "-3");
    REQUIRE(rec.ok());
    CHECK(rec->has_value());
  }
  auto totals = f.store.totals();
  REQUIRE(totals.ok());
  CHECK(totals->envelopes == 200);
  CHECK(totals->checkpoint_error.empty());
  auto report = f.store.verify_all(f.trust);
  REQUIRE(report.ok());
  CHECK(report->intact());
}

TEST_CASE("index: with SQLite's own checkpoint (no background thread), nothing changes") {
  OpenOptions options;
  options.checkpoint_wal_frames = 0;
  IndexFixture f(options);
  Chain kent = Chain::kent();
  CHECK(f.apply("kent", new_records(kent, "a", 50)).applied_count == 50);
  auto totals = f.store.totals();
  REQUIRE(totals.ok());
  CHECK(totals->checkpoint_error.empty());
  auto report = f.store.verify_all(f.trust);
  REQUIRE(report.ok());
  CHECK(report->intact());
}

TEST_CASE("index: apply_batches applies several Pushes in one transaction, each as alone") {
  IndexFixture f;
  Chain kent = Chain::kent(), leeds = Chain::leeds();
  const std::vector<Bytes> k1 = new_records(kent, "g", 3);
  const std::vector<Bytes> l1 = new_records(leeds, "g", 2);
  std::vector<Bytes> k2 = new_records(kent, "h", 2);
  k2[1].back() ^= 0x01;  // kent's second Push: its last envelope is tampered
  const std::vector<Bytes> l2 = new_records(leeds, "h", 1);
  auto r = f.store.apply_batches({{"kent", &k1}, {"leeds", &l1}, {"kent", &k2}, {"leeds", &l2}},
                                 f.trust, kNowMs, f.signing);
  REQUIRE(r.ok());
  REQUIRE(r->size() == 4);
  CHECK((*r)[0].applied.last_seq == 3);
  CHECK_FALSE((*r)[0].rejection);
  CHECK((*r)[1].applied.last_seq == 2);
  // The same authority twice: the second Push continues from the first, inside the transaction.
  CHECK((*r)[2].applied.last_seq == 4);
  REQUIRE((*r)[2].rejection);
  CHECK((*r)[2].rejection->seq == 5);
  CHECK((*r)[2].rejection->code == Errc::bad_signature);
  // A rejection in kent's Push does not touch leeds's.
  CHECK((*r)[3].applied.last_seq == 3);
  CHECK_FALSE((*r)[3].rejection);
  CHECK(f.store.chain_state("kent")->last_seq == 4);
  CHECK(f.store.chain_state("leeds")->last_seq == 3);
  auto clean = f.store.verify_all(f.trust);
  REQUIRE(clean.ok());
  CHECK(clean->intact());
}

TEST_CASE("index: apply_batches of a Push already applied is a duplicate, not a second apply") {
  IndexFixture f;
  Chain kent = Chain::kent();
  const std::vector<Bytes> k1 = new_records(kent, "d", 2);
  auto r = f.store.apply_batches({{"kent", &k1}, {"kent", &k1}}, f.trust, kNowMs, f.signing);
  REQUIRE(r.ok());
  CHECK((*r)[0].applied_count == 2);
  CHECK((*r)[1].applied_count == 0);
  CHECK((*r)[1].duplicates == 2);
  CHECK((*r)[1].feed_items.empty());
  CHECK(f.store.chain_state("kent")->last_seq == 2);
}

TEST_CASE("index: in one group, a resend after a rejected Push continues from the rejection") {
  IndexFixture f;
  Chain kent = Chain::kent(), york = Chain::york();
  std::vector<Bytes> all = new_records(kent, "r", 4);
  std::vector<Bytes> first(all.begin(), all.begin() + 3);
  first[2].back() ^= 0x01;                               // seq 3 tampered
  const std::vector<Bytes> resend(all.begin() + 2, all.end());  // seq 3 (intact) and 4
  const std::vector<Bytes> other = new_records(york, "r", 2);
  auto r = f.store.apply_batches({{"kent", &first}, {"york", &other}, {"kent", &resend}},
                                 f.trust, kNowMs, f.signing);
  REQUIRE(r.ok());
  CHECK((*r)[0].applied.last_seq == 2);
  REQUIRE((*r)[0].rejection);
  CHECK((*r)[0].rejection->seq == 3);
  CHECK((*r)[1].applied.last_seq == 2);
  CHECK((*r)[2].applied.last_seq == 4);
  CHECK_FALSE((*r)[2].rejection);
  CHECK((*r)[2].applied.last_hash == kent.head().last_hash);
  auto clean = f.store.verify_all(f.trust);
  REQUIRE(clean.ok());
  CHECK(clean->intact());
}

TEST_CASE("index: a foreign envelope claiming seq 0 is rejected at the sender's next seq") {
  // A bit flip in a string length can make an envelope read as another authority's with any
  // seq, 0 included; the Reject must still name kent's applied seq + 1 (a Reject of seq 0 does
  // not even decode).
  IndexFixture f;
  Chain kent = Chain::kent();
  REQUIRE(f.apply("kent", {kent.upsert(child("z-1"))}).applied_count == 1);
  Bytes body = {0x99, 0x01, 0xa5, 'l', 'e', 'e', 'd', 's', 0x00, 0xc0, 0xc0, 0xc0, 0xc0, 0xc0, 0xc0};
  Bytes wire = {0x92, 0xc4, static_cast<std::uint8_t>(body.size())};
  wire.insert(wire.end(), body.begin(), body.end());
  wire.insert(wire.end(), {0xc4, 64});
  wire.insert(wire.end(), 64, 0x00);
  ApplyResult r = f.apply("kent", {wire});
  REQUIRE(r.rejection);
  CHECK(r.rejection->code == Errc::wrong_role);
  CHECK(r.rejection->seq == 2);
  const Bytes reject = aegis::protocol::encode_message(
      aegis::protocol::Reject{r.rejection->seq, "wrong_role", r.rejection->detail});
  CHECK(aegis::protocol::decode_message(reject).ok());
}
