// The deferred record state (docs/index-store.md §4): states appended to state_log by the apply
// transaction, kept in memory, merged into `records` in batches. Reads see merged + pending
// exactly; a reopen, a failed apply, a failed merge or another connection's writes lose nothing.
#include <csignal>

#include <sys/wait.h>
#include <unistd.h>

#include "index/schema.hpp"
#include "index_fixture.hpp"

using namespace aegis::test;
using namespace aegis::test::index_fixtures;
using aegis::index::CurrentRecord;
using aegis::index::IndexErrc;
using aegis::index::OpenOptions;

namespace {

// Merges only when asked (or at a threshold the test sets).
OpenOptions deferred(std::uint64_t merge_every = 1'000'000) {
  OpenOptions o;
  o.merge_every = merge_every;
  return o;
}

CurrentRecord read(IndexStore& store, const std::string& authority, const std::string& id) {
  auto r = store.record(authority, id);
  INFO((r ? std::string() : r.error().message()));
  REQUIRE(r.ok());
  REQUIRE(r->has_value());
  return **r;
}

void require_intact(IndexStore& store, const Trust& trust) {
  auto report = store.verify_all(trust);
  REQUIRE(report.ok());
  for (const auto& a : report->authorities)
    INFO(a.authority_id << ": " << (a.problem ? a.problem->code + " " + a.problem->detail : ""));
  CHECK(report->intact());
}

std::uint64_t pending(IndexStore& store) {
  auto t = store.totals();
  REQUIRE(t.ok());
  return t->pending_changes;
}

IndexStore reopen(const std::filesystem::path& file, const OpenOptions& options) {
  auto s = IndexStore::open(file, options);
  INFO((s ? std::string() : s.error().message()));
  REQUIRE(s.ok());
  return std::move(s).value();
}

}  // namespace

TEST_CASE("index: a pending record reads as it will once merged") {
  IndexFixture f(deferred());
  Chain kent = Chain::kent();
  f.apply("kent", {kent.upsert(child("p-1")), kent.upsert(child("p-2"))});
  RawDb raw(f.file);
  CHECK(raw.scalar("SELECT count(*) FROM records") == 0);
  CHECK(raw.scalar("SELECT count(*) FROM state_log") == 2);
  CHECK(pending(f.store) == 2);

  const CurrentRecord before = read(f.store, "kent", "p-2");
  CHECK(before.last_seq == 2);
  CHECK_FALSE(before.deleted);
  REQUIRE(before.identity);
  CHECK(before.identity->name.family == "Hartley");
  REQUIRE(before.national_id);
  CHECK(valid_national_id(*before.national_id));
  require_intact(f.store, f.trust);

  REQUIRE(f.store.merge_states().ok());
  CHECK(raw.scalar("SELECT count(*) FROM records") == 2);
  CHECK(raw.scalar("SELECT count(*) FROM state_log") == 0);
  CHECK(pending(f.store) == 0);
  const CurrentRecord after = read(f.store, "kent", "p-2");
  CHECK(after.national_id == before.national_id);
  CHECK(after.last_seq == before.last_seq);
  CHECK(after.details == before.details);
  require_intact(f.store, f.trust);
}

TEST_CASE("index: a record updated several times while pending keeps one national id") {
  IndexFixture f(deferred());
  Chain kent = Chain::kent();
  ApplyResult first = f.apply("kent", {kent.upsert(child("u-1"))});
  f.apply("kent", {kent.upsert(child("u-1", "Second"))});
  f.apply("kent", {kent.upsert(child("u-2")), kent.upsert(child("u-1", "Third"))});
  RawDb raw(f.file);
  CHECK(raw.scalar("SELECT count(*) FROM state_log WHERE record_id = 'u-1'") == 3);

  const CurrentRecord r = read(f.store, "kent", "u-1");
  CHECK(r.last_seq == 4);
  REQUIRE(r.identity);
  CHECK(r.identity->name.family == "Third");
  // One assignment of u-1 in the whole feed, the one the first batch made.
  int assigned = 0;
  for (const FeedItem& item : f.verified_feed("kent"))
    for (const NationalIdAssignment& n : item.national_ids)
      if (n.record_id == "u-1") {
        ++assigned;
        CHECK(std::optional<std::string>(n.national_id) == r.national_id);
      }
  CHECK(assigned == 1);
  auto status = f.store.authority_status("kent");
  REQUIRE(status.ok());
  CHECK(status->live_records == 2);
  require_intact(f.store, f.trust);

  REQUIRE(f.store.merge_states().ok());
  CHECK(raw.scalar("SELECT last_seq FROM records WHERE record_id = 'u-1'") == 4);
  CHECK(read(f.store, "kent", "u-1").national_id == r.national_id);
  require_intact(f.store, f.trust);
}

TEST_CASE("index: a delete while pending, of a pending or of a merged record") {
  IndexFixture f(deferred());
  Chain kent = Chain::kent();
  f.apply("kent", {kent.upsert(child("d-1")), kent.upsert(child("d-2"))});
  const auto kept = read(f.store, "kent", "d-2").national_id;
  SECTION("the record was merged before") { REQUIRE(f.store.merge_states().ok()); }
  SECTION("the record is pending too") {}
  f.apply("kent", {kent.remove("d-2"), kent.remove("d-never")});
  const CurrentRecord gone = read(f.store, "kent", "d-2");
  CHECK(gone.deleted);
  CHECK(gone.national_id == kept);  // a delete keeps the national id
  CHECK_FALSE(gone.identity);
  const CurrentRecord tombstone = read(f.store, "kent", "d-never");
  CHECK(tombstone.deleted);
  CHECK_FALSE(tombstone.national_id);
  auto status = f.store.authority_status("kent");
  REQUIRE(status.ok());
  CHECK(status->live_records == 1);
  require_intact(f.store, f.trust);

  REQUIRE(f.store.merge_states().ok());
  RawDb raw(f.file);
  CHECK(raw.scalar("SELECT deleted FROM records WHERE record_id = 'd-2'") == 1);
  CHECK(raw.scalar("SELECT national_id IS NULL FROM records WHERE record_id = 'd-never'") == 1);
  CHECK(read(f.store, "kent", "d-2").deleted);
  require_intact(f.store, f.trust);
}

TEST_CASE("index: a reopen reloads the states not merged yet") {
  IndexFixture f(deferred());
  Chain kent = Chain::kent(), leeds = Chain::leeds();
  f.apply("kent", {kent.upsert(child("r-1")), kent.upsert(child("r-2"))});
  REQUIRE(f.store.merge_states().ok());
  f.apply("kent", {kent.upsert(child("r-1", "Later")), kent.remove("r-2")});
  f.apply("leeds", {leeds.upsert(child("r-1"))});
  const auto kent_id = read(f.store, "kent", "r-1").national_id;
  const auto leeds_id = read(f.store, "leeds", "r-1").national_id;
  RawDb raw(f.file);
  const std::string before = raw.dump();
  f.store = IndexFixture::open_new(f.dir / "other.db", deferred());  // closes the first one

  IndexStore again = reopen(f.file, deferred());
  CHECK(raw.dump() == before);  // opening changed nothing
  CHECK(pending(again) == 3);
  const CurrentRecord r1 = read(again, "kent", "r-1");
  CHECK(r1.last_seq == 3);
  CHECK(r1.national_id == kent_id);
  REQUIRE(r1.identity);
  CHECK(r1.identity->name.family == "Later");
  CHECK(read(again, "kent", "r-2").deleted);
  CHECK(read(again, "leeds", "r-1").national_id == leeds_id);
  auto totals = again.totals();
  REQUIRE(totals.ok());
  CHECK(totals->live_records == 2);
  require_intact(again, f.trust);

  // The reloaded states are the ones the next changes build on: no second national id.
  auto next = again.apply_batch("kent", {kent.upsert(child("r-1", "Again"))}, f.trust, kNowMs,
                                f.signing);
  REQUIRE(next.ok());
  REQUIRE(next->feed_items.size() == 1);  // the receipt only: nothing assigned
  CHECK(read(again, "kent", "r-1").national_id == kent_id);
  require_intact(again, f.trust);
}

TEST_CASE("index: the merge is idempotent and changes no state that reads see") {
  IndexFixture f(deferred());
  Chain kent = Chain::kent();
  f.apply("kent", {kent.upsert(child("i-1")), kent.upsert(child("i-2")), kent.remove("i-1")});
  REQUIRE(f.store.merge_states().ok());
  RawDb raw(f.file);
  const std::string merged = raw.dump();
  REQUIRE(f.store.merge_states().ok());  // nothing waiting: nothing written
  CHECK(raw.dump() == merged);

  // The same states logged again (as if a merge had been cut off after writing `records`)
  // merge into the same rows.
  raw.exec("INSERT INTO state_log (id, record_id, national_id, deleted, shielded) "
           "SELECT (aid << 40) | last_seq, record_id, national_id, deleted, shielded FROM records");
  IndexStore again = reopen(f.file, deferred());
  CHECK(pending(again) == 2);
  require_intact(again, f.trust);
  REQUIRE(again.merge_states().ok());
  CHECK(raw.dump() == merged);
}

TEST_CASE("index: apply_batches merges by itself once merge_every changes wait") {
  IndexFixture f(deferred(5));
  Chain kent = Chain::kent();
  RawDb raw(f.file);
  f.apply("kent", {kent.upsert(child("m-1")), kent.upsert(child("m-2"))});
  CHECK(pending(f.store) == 2);
  CHECK(raw.scalar("SELECT count(*) FROM records") == 0);
  f.apply("kent", {kent.upsert(child("m-1", "Moved")), kent.upsert(child("m-3")),
                   kent.upsert(child("m-4"))});
  CHECK(pending(f.store) == 0);
  CHECK(raw.scalar("SELECT count(*) FROM records") == 4);
  CHECK(raw.scalar("SELECT count(*) FROM state_log") == 0);
  CHECK(raw.scalar("SELECT last_seq FROM records WHERE record_id = 'm-1'") == 3);
  require_intact(f.store, f.trust);
}

TEST_CASE("index: by default the merge waits for a share of the live records") {
  OpenOptions o;  // merge_every 0: automatic
  o.merge_at_least = 3;
  o.merge_share = 2;  // half the live records (aegisd: a tenth, at least 100,000)
  IndexFixture f(o);
  Chain kent = Chain::kent();
  auto ids = [](int from, int to) {
    std::vector<std::string> v;
    for (int i = from; i <= to; ++i) v.push_back("s-" + std::to_string(i));
    return v;
  };
  auto upserts = [&](const std::vector<std::string>& v) {
    std::vector<Bytes> batch;
    for (const auto& id : v) batch.push_back(kent.upsert(child(id)));
    return batch;
  };
  f.apply("kent", upserts(ids(1, 4)));  // 4 waiting, 4 live: the threshold is 3
  CHECK(pending(f.store) == 0);
  f.apply("kent", upserts(ids(5, 7)));  // 3 waiting, 7 live: 3
  CHECK(pending(f.store) == 0);
  f.apply("kent", upserts(ids(8, 10)));  // 3 waiting, 10 live: 5
  CHECK(pending(f.store) == 3);
  f.apply("kent", {kent.upsert(child("s-1", "Moved"))});  // 4 waiting
  CHECK(pending(f.store) == 4);
  f.apply("kent", {kent.upsert(child("s-2", "Moved"))});  // 5 waiting
  CHECK(pending(f.store) == 0);
  RawDb raw(f.file);
  CHECK(raw.scalar("SELECT count(*) FROM records") == 10);
  require_intact(f.store, f.trust);
}

TEST_CASE("index: merge_every 1 keeps records current after every apply") {
  IndexFixture f(deferred(1));
  Chain kent = Chain::kent();
  RawDb raw(f.file);
  f.apply("kent", {kent.upsert(child("e-1"))});
  CHECK(raw.scalar("SELECT count(*) FROM records") == 1);
  CHECK(raw.scalar("SELECT count(*) FROM state_log") == 0);
  f.apply("kent", {kent.remove("e-1")});
  CHECK(raw.scalar("SELECT deleted FROM records WHERE record_id = 'e-1'") == 1);
  CHECK(pending(f.store) == 0);
}

TEST_CASE("index: a failed apply leaves no pending state behind") {
  IndexFixture f(deferred());
  Chain kent = Chain::kent();
  f.apply("kent", {kent.upsert(child("f-1"))});
  const CurrentRecord before = read(f.store, "kent", "f-1");
  RawDb raw(f.file);
  raw.exec("CREATE TRIGGER fail_feed BEFORE INSERT ON feed "
           "BEGIN SELECT RAISE(ABORT, 'injected failure'); END");
  std::vector<Bytes> batch = {kent.upsert(child("f-1", "Lost")), kent.upsert(child("f-2"))};
  auto r = f.store.apply_batch("kent", batch, f.trust, kNowMs, f.signing);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == IndexErrc::sqlite);
  raw.exec("DROP TRIGGER fail_feed");
  // Neither the update nor the new record survived in memory.
  const CurrentRecord after = read(f.store, "kent", "f-1");
  CHECK(after.last_seq == before.last_seq);
  CHECK(after.identity->name.family == "Hartley");
  auto absent = f.store.record("kent", "f-2");
  REQUIRE(absent.ok());
  CHECK_FALSE(absent->has_value());
  CHECK(pending(f.store) == 1);
  require_intact(f.store, f.trust);
  // The resend applies as if the failure never happened.
  ApplyResult resent = f.apply("kent", batch);
  CHECK(resent.applied_count == 2);
  CHECK(read(f.store, "kent", "f-1").national_id == before.national_id);
  require_intact(f.store, f.trust);
}

TEST_CASE("index: a failed merge changes nothing, is reported, and is retried") {
  IndexFixture f(deferred(3));
  Chain kent = Chain::kent();
  f.apply("kent", {kent.upsert(child("x-1")), kent.upsert(child("x-2"))});
  RawDb raw(f.file);
  raw.exec("CREATE TRIGGER fail_merge BEFORE DELETE ON state_log "
           "BEGIN SELECT RAISE(ABORT, 'injected failure'); END");
  const std::string before = raw.dump();
  auto failed = f.store.merge_states();
  REQUIRE_FALSE(failed.ok());
  CHECK(raw.dump() == before);
  auto totals = f.store.totals();
  REQUIRE(totals.ok());
  CHECK(totals->merge_error.find("injected failure") != std::string::npos);
  CHECK(totals->pending_changes == 2);
  CHECK(read(f.store, "kent", "x-2").last_seq == 2);
  require_intact(f.store, f.trust);

  // The apply that crosses merge_every still succeeds (its changes are committed); the merge
  // after it fails again and is reported, not returned.
  ApplyResult r = f.apply("kent", {kent.upsert(child("x-3"))});
  CHECK(r.applied.last_seq == 3);
  CHECK(pending(f.store) == 3);
  raw.exec("DROP TRIGGER fail_merge");
  REQUIRE(f.store.merge_states().ok());
  totals = f.store.totals();
  REQUIRE(totals.ok());
  CHECK(totals->merge_error.empty());
  CHECK(raw.scalar("SELECT count(*) FROM records") == 3);
  CHECK(raw.scalar("SELECT count(*) FROM national_id_log") == 0);
  CHECK(raw.scalar("SELECT count(*) FROM national_ids") == 3);
  require_intact(f.store, f.trust);
}

TEST_CASE("index: national ids a failed merge had in hand are still found and filed") {
  IndexFixture f(deferred(3));
  Chain kent = Chain::kent();
  RawDb raw(f.file);
  // Fails until four changes are applied. No other connection writes between a failure and
  // what follows it, so only the store's own bookkeeping can find the logged ids again.
  raw.exec("CREATE TRIGGER fail_merge BEFORE DELETE ON state_log "
           "WHEN (SELECT count(*) FROM envelopes) < 4 "
           "BEGIN SELECT RAISE(ABORT, 'injected failure'); END");
  f.apply("kent", {kent.upsert(child("n-1")), kent.upsert(child("n-2"))});
  const std::string id = *read(f.store, "kent", "n-1").national_id;
  REQUIRE_FALSE(f.store.merge_states().ok());
  f.apply("kent", {kent.remove("n-1")});  // retires n-1's id; its merge fails too: reported
  CHECK(pending(f.store) == 3);
  CHECK(raw.scalar("SELECT retired FROM national_id_log WHERE national_id = '" + id + "'") == 1);
  f.apply("kent", {kent.upsert(child("n-3"))});  // four applied: this merge succeeds
  CHECK(pending(f.store) == 0);
  CHECK(raw.scalar("SELECT count(*) FROM national_id_log") == 0);
  CHECK(raw.scalar("SELECT count(*) FROM national_ids") == 3);
  CHECK(raw.scalar("SELECT retired FROM national_ids WHERE national_id = '" + id + "'") == 1);
  require_intact(f.store, f.trust);
}

TEST_CASE("index: a store sees the states another connection applied and merged") {
  IndexFixture f(deferred());
  Chain kent = Chain::kent();
  f.apply("kent", {kent.upsert(child("o-1"))});
  IndexStore other = reopen(f.file, deferred());
  CHECK(read(other, "kent", "o-1").last_seq == 1);

  auto r = other.apply_batch("kent", {kent.upsert(child("o-1", "Other")), kent.upsert(child("o-2"))},
                             f.trust, kNowMs, f.signing);
  REQUIRE(r.ok());
  CHECK(read(f.store, "kent", "o-1").last_seq == 2);  // f.store reloads what `other` wrote
  CHECK(read(f.store, "kent", "o-2").last_seq == 3);
  REQUIRE(other.merge_states().ok());
  CHECK(pending(f.store) == 3);  // as of its last read; the next read reloads
  CHECK(read(f.store, "kent", "o-2").last_seq == 3);
  CHECK(pending(f.store) == 0);
  ApplyResult next = f.apply("kent", {kent.upsert(child("o-1", "Back"))});
  CHECK(next.applied.last_seq == 4);
  require_intact(f.store, f.trust);
  require_intact(other, f.trust);
}

TEST_CASE("index: verify_all finds a pending state that disagrees with the envelopes") {
  IndexFixture f(deferred());
  Chain kent = Chain::kent();
  f.apply("kent", {kent.upsert(child("v-1")), kent.upsert(child("v-2")),
                   kent.upsert(child("v-1", "Moved"))});
  RawDb raw(f.file);
  const std::int64_t key3 = (std::int64_t{1} << 40) | 3;
  std::string expected;
  SECTION("the latest state of a record removed from the log") {
    raw.exec("DELETE FROM state_log WHERE id = " + std::to_string(key3));
    expected = "stale_last_seq";
  }
  SECTION("a pending state marked deleted") {
    raw.exec("UPDATE state_log SET deleted = 1, shielded = 0 WHERE record_id = 'v-2'");
    expected = "record_mismatch";
  }
  SECTION("a pending state without any envelope") {
    raw.exec("INSERT INTO state_log VALUES (" + std::to_string((std::int64_t{1} << 40) | 9) +
             ", 'v-9', 'ABCDEFGHJKMNPQRS', 0, 0)");
    expected = "record_without_envelope";
  }
  SECTION("a pending national id changed") {
    raw.exec("UPDATE state_log SET national_id = 'ABCDEFGHJKMNPQRS' WHERE record_id = 'v-2'");
    expected = "national_id_mismatch";
  }
  SECTION("every pending state removed") {
    raw.exec("DELETE FROM state_log");
    expected = "record_missing";
  }
  auto report = f.store.verify_all(f.trust);
  REQUIRE(report.ok());
  REQUIRE(report->authorities.size() == 1);
  REQUIRE(report->authorities[0].problem);
  CHECK(report->authorities[0].problem->code == expected);
}

TEST_CASE("index: a version 1 store is migrated to the state log on open") {
  std::filesystem::path file;
  TempDir dir{"aegis-index-v1"};
  file = dir / "index.db";
  Trust trust = make_index_trust();
  SeedSigner signer{seed(kIndexSeed)};
  aegis::index::IndexSigning signing{signer, kIndexSerial, counter_bits()};
  Chain kent = Chain::kent();
  {
    auto s = IndexStore::create(file, kNowMs, deferred(1));
    REQUIRE(s.ok());
    REQUIRE(s->apply_batch("kent", {kent.upsert(child("s-1"))}, trust, kNowMs, signing).ok());
  }
  {
    RawDb raw(file);  // what version 1 had: no state_log, no current_records
    raw.exec("DROP TABLE review_queue; DROP TABLE operator_decisions; "
             "DROP TABLE elsewhere_sent; DROP TABLE linkage_event_records; "
             "DROP TABLE linkage_events; DROP VIEW current_national_ids; "
             "DROP TABLE national_id_log; DROP TABLE national_ids; "
             "DROP VIEW current_records; DROP TABLE state_log; PRAGMA user_version = 1");
  }
  IndexStore store = reopen(file, deferred());
  RawDb raw(file);
  CHECK(raw.scalar("PRAGMA user_version") == aegis::index::schema::kSchemaVersion);
  // The id assigned before resolution is a known national id (minting order 1).
  CHECK(raw.scalar("SELECT minted_order FROM current_national_ids WHERE national_id = "
                   "(SELECT national_id FROM records WHERE record_id = 's-1')") == 1);
  CHECK(raw.scalar("SELECT count(*) FROM state_log") == 0);
  CHECK(read(store, "kent", "s-1").last_seq == 1);
  REQUIRE(store.apply_batch("kent", {kent.upsert(child("s-2"))}, trust, kNowMs, signing).ok());
  CHECK(raw.scalar("SELECT count(*) FROM current_records") == 2);
  require_intact(store, trust);
}

TEST_CASE("index: a kill -9 during applies and merges leaves a store that resumes exactly") {
  // The batches an authority would send: new records, updates and deletes of earlier ones.
  Chain kent = Chain::kent();
  std::vector<std::vector<Bytes>> batches;
  for (int b = 0; b < 40; ++b) {
    std::vector<Bytes> batch;
    for (int i = 0; i < 4; ++i)
      batch.push_back(kent.upsert(child("k-" + std::to_string(b * 4 + i))));
    if (b > 0) {
      batch.push_back(kent.upsert(child("k-" + std::to_string(b * 2), "Updated")));
      batch.push_back(kent.remove("k-" + std::to_string(b * 4 - 1)));
    }
    batches.push_back(std::move(batch));
  }
  const int kill_after = GENERATE(1, 4, 9, 17, 30);
  TempDir dir{"aegis-index-kill"};
  const std::filesystem::path file = dir / "index.db";
  const Trust trust = make_index_trust();
  SeedSigner signer{seed(kIndexSeed)};
  { REQUIRE(IndexStore::create(file, kNowMs, deferred(7)).ok()); }  // closed before the fork

  int ready[2];
  REQUIRE(::pipe(ready) == 0);
  const pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {  // the index: applies the batches, merging every 7 changes, until killed
    ::close(ready[0]);
    aegis::index::IndexSigning signing{signer, kIndexSerial, counter_bits(1)};
    auto store = IndexStore::open(file, deferred(7));
    if (!store) ::_exit(2);
    for (const std::vector<Bytes>& batch : batches) {
      auto r = store->apply_batch("kent", batch, trust, kNowMs, signing);
      if (!r || r->rejection) ::_exit(3);
      const char done = 1;
      if (::write(ready[1], &done, 1) != 1) ::_exit(4);
    }
    ::_exit(0);
  }
  ::close(ready[1]);
  for (int n = 0; n < kill_after; ++n) {
    char done = 0;
    REQUIRE(::read(ready[0], &done, 1) == 1);
  }
  ::kill(pid, SIGKILL);  // the child is in its next apply or merge, or between them
  int status = 0;
  REQUIRE(::waitpid(pid, &status, 0) == pid);
  ::close(ready[0]);
  INFO("child exit status " << status);
  REQUIRE((WIFSIGNALED(status) || (WIFEXITED(status) && WEXITSTATUS(status) == 0)));

  IndexStore store = reopen(file, deferred(7));
  require_intact(store, trust);
  // Each national id is in the log or merged, never both, and every live record's id is known.
  RawDb raw(file);
  const std::string unknown_ids =
      "SELECT count(*) FROM current_records WHERE deleted = 0 AND national_id NOT IN "
      "(SELECT national_id FROM current_national_ids)";
  CHECK(raw.scalar("SELECT count(*) FROM national_id_log JOIN national_ids USING (national_id)") ==
        0);
  CHECK(raw.scalar(unknown_ids) == 0);
  auto head = store.chain_state("kent");
  REQUIRE(head.ok());
  std::size_t sent = 0, done_batches = 0;
  while (done_batches < batches.size() && sent + batches[done_batches].size() <= head->last_seq)
    sent += batches[done_batches++].size();
  REQUIRE(sent == head->last_seq);  // a batch is applied whole or not at all
  REQUIRE(done_batches >= static_cast<std::size_t>(kill_after));
  const auto before = read(store, "kent", "k-0").national_id;

  // The authority resends from the head: everything else applies, nothing twice.
  aegis::index::IndexSigning signing{signer, kIndexSerial, counter_bits(99)};
  for (std::size_t b = done_batches; b < batches.size(); ++b) {
    auto r = store.apply_batch("kent", batches[b], trust, kNowMs, signing);
    REQUIRE(r.ok());
    CHECK_FALSE(r->rejection);
    CHECK(r->applied_count == batches[b].size());
  }
  CHECK(read(store, "kent", "k-0").national_id == before);
  CHECK(read(store, "kent", "k-3").deleted);
  CHECK(read(store, "kent", "k-156").last_seq > 0);
  REQUIRE(store.merge_states().ok());
  require_intact(store, trust);
  auto status_now = store.authority_status("kent");
  REQUIRE(status_now.ok());
  CHECK(status_now->live_records == 160 - 39);  // 160 records, 39 deleted
  CHECK(raw.scalar("SELECT count(*) FROM national_id_log") == 0);
  CHECK(raw.scalar(unknown_ids) == 0);
}
