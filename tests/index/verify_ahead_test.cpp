// Verifying ahead (docs/index-store.md §4): verify_push run before the transaction, possibly on
// another thread while another group writes, and apply_batches using it only while it is still
// valid (same head, trust and time), else verifying again; and run_alongside, the two-thread
// step aegisd's index runs it with (a failure or an exception of either side).
#include <algorithm>
#include <atomic>
#include <stdexcept>
#include <thread>

#include "index/verify_batch.hpp"
#include "index_fixture.hpp"

using namespace aegis::test;
using namespace aegis::test::index_fixtures;
using aegis::index::run_alongside;
using aegis::index::verify_push;
using aegis::index::VerifiedPush;

namespace {

std::vector<Bytes> new_records(Chain& chain, const std::string& prefix, int n) {
  std::vector<Bytes> batch;
  for (int i = 0; i < n; ++i) batch.push_back(chain.upsert(child(prefix + "-" + std::to_string(i))));
  return batch;
}

// The fixture's trust with kent's own certificate revoked.
Trust trust_with_kent_revoked() {
  std::vector<Certificate> certs = verify_certificates();
  certs.push_back(fixtures::make_certificate(kYorkSerial, "york", Role::authority, kYorkSeed));
  TrustBundle bundle;
  bundle.bundle_version = 8;
  bundle.issued_ms = kNowMs - kDayMs;
  bundle.expires_ms = kNowMs + 30 * kDayMs;
  bundle.revoked_serials = revoked_serials();
  bundle.revoked_serials.push_back(kKentSerial);
  std::sort(bundle.revoked_serials.begin(), bundle.revoked_serials.end());  // as the bundle keeps
  return Trust(bundle, certs);
}

// Applies one Push of `sender` with `ahead` as its verification done beforehand.
ApplyResult apply_ahead(IndexFixture& f, const std::string& sender, const std::vector<Bytes>& batch,
                        const VerifiedPush& ahead, std::uint64_t now = kNowMs) {
  auto r = f.store.apply_batches({{sender, &batch, &ahead}}, f.trust, now, f.signing);
  INFO((r ? std::string() : r.error().message()));
  REQUIRE(r.ok());
  return std::move(r->front());
}

}  // namespace

TEST_CASE("index: verify_push divides a Push as apply does: duplicates, candidates, gap") {
  const Trust trust = make_index_trust();
  Chain kent = Chain::kent();
  std::vector<Bytes> all = new_records(kent, "v", 6);
  const ChainState after_two = {2, envelope_hash(all[1])};
  // seq 1, 2 (duplicates after seq 2), 3, 4 (candidates), 6 (a gap: 5 is missing).
  const std::vector<Bytes> push = {all[0], all[1], all[2], all[3], all[5]};
  VerifiedPush v = verify_push("kent", push, trust, after_two, kNowMs);
  CHECK(v.duplicates == 2);
  CHECK(v.candidates == std::vector<std::size_t>{2, 3});
  CHECK(v.gap);
  CHECK_FALSE(v.foreign);
  CHECK(v.run.accepted.size() == 2);
  CHECK_FALSE(v.run.error);
  CHECK(v.head_after().last_seq == 4);
  CHECK(v.head_after().last_hash == envelope_hash(all[3]));
  CHECK(v.trust == &trust);
  CHECK(v.now_ms == kNowMs);
}

TEST_CASE("index: verify_push stops at a foreign or tampered envelope, head_after before it") {
  const Trust trust = make_index_trust();
  Chain kent = Chain::kent(), leeds = Chain::leeds();
  std::vector<Bytes> k = new_records(kent, "w", 3);
  SECTION("an envelope of another authority ends it") {
    const std::vector<Bytes> push = {k[0], leeds.upsert(child("x")), k[1]};
    VerifiedPush v = verify_push("kent", push, trust, {}, kNowMs);
    CHECK(v.candidates == std::vector<std::size_t>{0});
    CHECK(v.foreign);
    CHECK(v.head_after().last_seq == 1);
  }
  SECTION("a tampered envelope is the run's error; nothing after it is accepted") {
    k[1].back() ^= 0x01;
    VerifiedPush v = verify_push("kent", k, trust, {}, kNowMs);
    CHECK(v.run.accepted.size() == 1);
    REQUIRE(v.run.error);
    CHECK(v.run.error->code == Errc::bad_signature);
    CHECK(v.head_after().last_seq == 1);
  }
  SECTION("unreadable bytes are a candidate, so the run names their error") {
    const std::vector<Bytes> push = {k[0], Bytes{0x01, 0x02}};
    VerifiedPush v = verify_push("kent", push, trust, {}, kNowMs);
    CHECK(v.candidates == std::vector<std::size_t>{0, 1});
    CHECK(v.run.accepted.size() == 1);
    CHECK(v.run.error);
  }
}

TEST_CASE("index: a Push verified ahead applies exactly as one verified in the transaction") {
  IndexFixture inline_f, ahead_f;
  Chain kent = Chain::kent(), leeds = Chain::leeds();
  std::vector<std::pair<std::string, std::vector<Bytes>>> pushes;
  for (int round = 0; round < 3; ++round) {
    pushes.push_back({"kent", new_records(kent, "a" + std::to_string(round), 4)});
    pushes.push_back({"leeds", new_records(leeds, "a" + std::to_string(round), 3)});
  }
  pushes[4].second[2].back() ^= 0x01;  // kent's third Push: a rejection at its third envelope
  std::map<std::string, ChainState> heads;
  for (const auto& [sender, p] : pushes) {
    VerifiedPush v = verify_push(sender, p, ahead_f.trust, heads[sender], kNowMs);
    heads[sender] = v.head_after();
    const ApplyResult a = apply_ahead(ahead_f, sender, p, v);
    const ApplyResult b = inline_f.apply(sender, p);
    CHECK(a.applied.last_seq == b.applied.last_seq);
    CHECK(a.feed_items == b.feed_items);
    CHECK(a.rejection.has_value() == b.rejection.has_value());
  }
  CHECK(RawDb(ahead_f.file).dump() == RawDb(inline_f.file).dump());
  auto clean = ahead_f.store.verify_all(ahead_f.trust);
  REQUIRE(clean.ok());
  CHECK(clean->intact());
}

TEST_CASE("index: a Push verified after another head than the stored one is verified again") {
  IndexFixture f;
  Chain kent = Chain::kent();
  const std::vector<Bytes> first = new_records(kent, "s", 3);
  f.apply("kent", first);
  const std::vector<Bytes> second = new_records(kent, "t", 2);
  SECTION("verified after the empty chain: all of it looked like a gap") {
    VerifiedPush stale = verify_push("kent", second, f.trust, {}, kNowMs);
    REQUIRE(stale.gap);
    REQUIRE(stale.run.accepted.empty());
    ApplyResult r = apply_ahead(f, "kent", second, stale);
    CHECK_FALSE(r.gap);
    CHECK(r.applied_count == 2);
    CHECK(r.applied.last_seq == 5);
  }
  SECTION("verified after a head of the right seq but another hash") {
    ChainState wrong = kent.head();
    wrong.last_seq = 3;
    wrong.last_hash[0] ^= 0xff;
    VerifiedPush stale = verify_push("kent", second, f.trust, wrong, kNowMs);
    REQUIRE(stale.run.error);  // broken_chain after the wrong hash
    ApplyResult r = apply_ahead(f, "kent", second, stale);
    CHECK_FALSE(r.rejection);
    CHECK(r.applied.last_seq == 5);
  }
  SECTION("what an earlier Push of the same group applies moves the head: verified again") {
    VerifiedPush v = verify_push("kent", second, f.trust, kent.head(), kNowMs);  // after seq 5
    auto r = f.store.apply_batches({{"kent", &second}, {"kent", &second, &v}}, f.trust, kNowMs,
                                   f.signing);
    REQUIRE(r.ok());
    CHECK((*r)[0].applied_count == 2);
    CHECK((*r)[1].applied_count == 0);
    CHECK((*r)[1].duplicates == 2);
  }
  CHECK(f.store.chain_state("kent")->last_seq == 5);
  auto clean = f.store.verify_all(f.trust);
  REQUIRE(clean.ok());
  CHECK(clean->intact());
}

TEST_CASE("index: a Push verified with another trust or time is verified again with these") {
  IndexFixture f;
  Chain kent = Chain::kent();
  const std::vector<Bytes> push = new_records(kent, "u", 3);
  SECTION("verified at a time the certificates had expired: applied at the right time") {
    VerifiedPush late = verify_push("kent", push, f.trust, {}, kNowMs + 400 * kDayMs);
    REQUIRE(late.run.error);
    ApplyResult r = apply_ahead(f, "kent", push, late);
    CHECK_FALSE(r.rejection);
    CHECK(r.applied.last_seq == 3);
  }
  SECTION("verified against a bundle still trusting kent, applied under one revoking it") {
    VerifiedPush trusted = verify_push("kent", push, f.trust, {}, kNowMs);
    REQUIRE(trusted.run.accepted.size() == 3);
    const Trust revoked = trust_with_kent_revoked();
    auto r = f.store.apply_batches({{"kent", &push, &trusted}}, revoked, kNowMs, f.signing);
    REQUIRE(r.ok());
    REQUIRE(r->front().rejection);
    CHECK(r->front().rejection->code == Errc::revoked_signer);
    CHECK(r->front().applied_count == 0);
    CHECK(f.store.chain_state("kent")->last_seq == 0);
  }
  SECTION("verified at another millisecond, even a valid one: verified again (same outcome)") {
    VerifiedPush other = verify_push("kent", push, f.trust, {}, kNowMs - 1);
    REQUIRE(other.run.accepted.size() == 3);
    ApplyResult r = apply_ahead(f, "kent", push, other);
    CHECK(r.applied.last_seq == 3);
  }
}

TEST_CASE("index: the next group verified on a thread while the current one writes") {
  // The pipeline of aegisd's index: group k+1 verified (after the heads group k will leave)
  // on a second thread while group k's transaction writes, commits and merges.
  aegis::index::OpenOptions options;
  options.merge_every = 5;  // merges fall inside the pipeline too
  IndexFixture f(options), reference;
  Chain kent = Chain::kent(), leeds = Chain::leeds(), york = Chain::york();
  std::vector<std::vector<std::pair<std::string, std::vector<Bytes>>>> groups;
  for (int g = 0; g < 8; ++g) {
    groups.emplace_back();
    for (Chain* c : {&kent, &leeds, &york})
      groups.back().push_back({c->authority(), new_records(*c, "p" + std::to_string(g), 3)});
  }
  // leeds: its Push of group 5 is rejected at its second envelope; group 6 resends the two.
  const std::vector<Bytes> intact = groups[5][1].second;
  groups[5][1].second[1].back() ^= 0x01;
  groups[6][1].second.insert(groups[6][1].second.begin(), intact.begin() + 1, intact.end());

  std::map<std::string, ChainState> heads;  // after the groups verified so far
  auto verify_group = [&](std::size_t g) {
    std::vector<VerifiedPush> out;
    for (const auto& [sender, batch] : groups[g]) {
      out.push_back(verify_push(sender, batch, f.trust, heads[sender], kNowMs));
      heads[sender] = out.back().head_after();
    }
    return out;
  };
  std::vector<VerifiedPush> current = verify_group(0);
  for (std::size_t g = 0; g < groups.size(); ++g) {
    std::vector<VerifiedPush> next;
    std::vector<IndexStore::Push> pushes;
    for (std::size_t i = 0; i < groups[g].size(); ++i)
      pushes.push_back({groups[g][i].first, &groups[g][i].second, &current[i]});
    std::optional<aegis::index::Result<std::vector<ApplyResult>>> applied;
    const bool ok = run_alongside([&] { if (g + 1 < groups.size()) next = verify_group(g + 1); },
                                  [&] {
                                    applied = f.store.apply_batches(pushes, f.trust, kNowMs,
                                                                    f.signing);
                                  });
    REQUIRE(ok);
    REQUIRE(applied);
    REQUIRE(applied->ok());
    std::vector<IndexStore::Push> plain;
    for (const auto& [sender, batch] : groups[g]) plain.push_back({sender, &batch});
    auto expected = reference.store.apply_batches(plain, reference.trust, kNowMs,
                                                  reference.signing);
    REQUIRE(expected.ok());
    for (std::size_t i = 0; i < plain.size(); ++i) {
      CHECK((**applied)[i].applied.last_seq == (*expected)[i].applied.last_seq);
      CHECK((**applied)[i].rejection.has_value() == (*expected)[i].rejection.has_value());
      CHECK((**applied)[i].feed_items == (*expected)[i].feed_items);
    }
    CHECK((**applied)[1].rejection.has_value() == (g == 5));
    current = std::move(next);
  }
  CHECK(f.store.chain_state("leeds")->last_seq == leeds.head().last_seq);
  REQUIRE(f.store.merge_states().ok());
  REQUIRE(reference.store.merge_states().ok());
  CHECK(RawDb(f.file).dump() == RawDb(reference.file).dump());
  auto clean = f.store.verify_all(f.trust);
  REQUIRE(clean.ok());
  CHECK(clean->intact());
}

TEST_CASE("index: run_alongside runs both sides and reports a failure of the side thread") {
  SECTION("both complete") {
    std::atomic<int> side{0};
    int here = 0;
    CHECK(run_alongside([&] { side = 1; }, [&] { here = 1; }));
    CHECK(side == 1);
    CHECK(here == 1);
  }
  SECTION("the side thread throws: false, and the caller's side still ran") {
    int here = 0;
    CHECK_FALSE(run_alongside([] { throw std::bad_alloc(); }, [&] { here = 1; }));
    CHECK(here == 1);
  }
  SECTION("the caller's side throws: the side thread is joined, then the exception goes on") {
    std::atomic<bool> side_done{false};
    CHECK_THROWS_AS(run_alongside(
                        [&] {
                          // Still running when the caller's side throws: joined, not abandoned.
                          for (int i = 0; i < 1000; ++i) std::this_thread::yield();
                          side_done = true;
                        },
                        [] { throw std::runtime_error("write failed"); }),
                    std::runtime_error);
    CHECK(side_done);
  }
}

TEST_CASE("index: a verification of other envelopes is never taken for this Push's") {
  IndexFixture f;
  Chain kent = Chain::kent();
  std::vector<Bytes> good = new_records(kent, "e", 2);
  std::vector<Bytes> tampered = good;
  tampered[1].back() ^= 0x01;
  // Verified from the intact copy, same head, trust and time: not the same envelopes.
  VerifiedPush of_good = verify_push("kent", good, f.trust, {}, kNowMs);
  REQUIRE(of_good.run.accepted.size() == 2);
  CHECK_FALSE(of_good.verified(tampered, f.trust, {}, kNowMs));
  ApplyResult r = apply_ahead(f, "kent", tampered, of_good);
  REQUIRE(r.rejection);
  CHECK(r.rejection->code == Errc::bad_signature);
  CHECK(r.applied.last_seq == 1);
  // Moved, not copied: a verification still belongs to its envelopes.
  std::vector<Bytes> moved = std::move(good);
  CHECK(of_good.verified(moved, f.trust, {}, kNowMs));
}
