// verify_run (docs/PROTOCOL.md §6.4, "Runs"): one signature for a hash-linked run, with the
// same accepted prefix and first error (code and detail) as verify_envelope one by one —
// checked for valid runs, every single-bit flip, bad signers and bad signatures mid-run, and
// replays and gaps — plus the one documented case where the two differ.
#include <catch2/catch.hpp>

#include <optional>
#include <string>
#include <vector>

#include "aegis/protocol/verify.hpp"
#include "envelope_fixtures.hpp"
#include "test_support.hpp"

using namespace aegis::protocol;
using namespace aegis::test::envelope_fixtures;
using aegis::test::sample_child;

namespace {

// Who signs one envelope of a run: a certificate serial and the key actually used.
struct RunSigner {
  std::uint64_t serial = kKentSerial;
  std::uint8_t key = kKentSeed;
};

// kent's envelopes seq head.last_seq+1... after `head`, one per signer; small deletes unless
// `upserts` (a child record each).
std::vector<Link> make_run(const std::vector<RunSigner>& signers, const ChainState& head = {},
                           bool upserts = false) {
  std::vector<Link> run;
  Hash prev = head.last_hash;
  for (std::size_t k = 0; k < signers.size(); ++k) {
    const std::uint64_t seq = head.last_seq + k + 1;
    const std::string id = "c" + std::to_string(seq);
    Envelope e = upserts ? make_upsert(seq, prev, sample_child(id), signers[k].serial)
                         : make_delete(seq, prev, id, signers[k].serial);
    run.push_back(sign_link(e, signers[k].key));
    prev = run.back().hash;
  }
  return run;
}

std::vector<Link> make_run(std::size_t n, const ChainState& head = {}, bool upserts = false) {
  return make_run(std::vector<RunSigner>(n), head, upserts);
}

std::vector<Bytes> wires_of(const std::vector<Link>& run) {
  std::vector<Bytes> wires;
  for (const Link& l : run) wires.push_back(l.wire);
  return wires;
}

std::vector<ByteView> views(const std::vector<Bytes>& wires) {
  return std::vector<ByteView>(wires.begin(), wires.end());
}

// What verify_envelope gives one by one, advancing the chain and stopping at the first error.
VerifiedRun one_by_one(const std::vector<Bytes>& wires, const Trust& trust, ChainState chain) {
  VerifiedRun run;
  for (const Bytes& wire : wires) {
    auto v = verify_envelope(wire, trust, chain, kNowMs);
    if (!v) {
      run.error = v.error();
      break;
    }
    chain = advance(chain, *v);
    run.accepted.push_back(std::move(*v));
  }
  return run;
}

VerifiedRun run_of(const std::vector<Bytes>& wires, const Trust& trust, const ChainState& chain) {
  const std::vector<ByteView> v = views(wires);
  return verify_run(v, trust, chain, kNowMs);
}

// True when both results accepted the same envelopes (and hashes) and stopped with the same error.
bool same_result(const VerifiedRun& a, const VerifiedRun& b) {
  if (a.accepted.size() != b.accepted.size() || a.error.has_value() != b.error.has_value())
    return false;
  for (std::size_t k = 0; k < a.accepted.size(); ++k)
    if (a.accepted[k].hash != b.accepted[k].hash ||
        !(a.accepted[k].envelope == b.accepted[k].envelope))
      return false;
  return !a.error || (a.error->code == b.error->code && a.error->detail == b.error->detail);
}

// Verifies `wires` both ways, requires the same result and returns it.
VerifiedRun checked_run(const std::vector<Bytes>& wires, const ChainState& chain = {}) {
  const Trust trust = make_trust();
  VerifiedRun fast = run_of(wires, trust, chain);
  REQUIRE(same_result(fast, one_by_one(wires, trust, chain)));
  return fast;
}

}  // namespace

TEST_CASE("verify_run: a valid run of 50 gives the same envelopes and hashes as one by one") {
  const std::vector<Link> run = make_run(50, {}, true);
  VerifiedRun v = checked_run(wires_of(run));
  REQUIRE_FALSE(v.error);
  REQUIRE(v.accepted.size() == 50);
  for (std::size_t k = 0; k < run.size(); ++k) {
    CHECK(v.accepted[k].hash == run[k].hash);
    CHECK(v.accepted[k].envelope == run[k].envelope);
  }
}

TEST_CASE("verify_run: a run continues the chain head it is given") {
  const std::vector<Link> first = make_run(3);
  const ChainState head{3, first.back().hash};
  VerifiedRun v = checked_run(wires_of(make_run(4, head)), head);
  REQUIRE_FALSE(v.error);
  REQUIRE(v.accepted.size() == 4);
  CHECK(v.accepted.front().envelope.seq == 4);
  // The same run after the wrong head is broken_chain at once.
  VerifiedRun wrong = checked_run(wires_of(make_run(4, head)), ChainState{3, Hash{}});
  REQUIRE(wrong.error);
  CHECK(wrong.error->code == Errc::broken_chain);
  CHECK(wrong.accepted.empty());
}

TEST_CASE("verify_run: an empty run accepts nothing and has no error") {
  VerifiedRun v = checked_run({});
  CHECK(v.accepted.empty());
  CHECK_FALSE(v.error);
}

TEST_CASE("verify_run: every single-bit flip in every envelope of a run matches one by one") {
  const std::vector<Bytes> wires = wires_of(make_run(5));
  const Trust trust = make_trust();
  std::size_t flips = 0;
  std::size_t mismatches = 0;
  std::size_t accepted_all = 0;
  for (std::size_t k = 0; k < wires.size(); ++k) {
    for (std::size_t i = 0; i < wires[k].size(); ++i) {
      for (int bit = 0; bit < 8; ++bit) {
        std::vector<Bytes> flipped = wires;
        flipped[k][i] = static_cast<std::uint8_t>(flipped[k][i] ^ (1u << bit));
        const VerifiedRun fast = run_of(flipped, trust, {});
        if (!same_result(fast, one_by_one(flipped, trust, {}))) ++mismatches;
        if (!fast.error || fast.accepted.size() > k) ++accepted_all;
        ++flips;
      }
    }
  }
  CHECK(flips > 5 * 8 * 64);  // at least the signatures were flipped
  CHECK(mismatches == 0);
  CHECK(accepted_all == 0);  // no flip is accepted, and each stops at the flipped envelope
}

TEST_CASE("verify_run: a bad signer in the middle of a run is caught at its index") {
  struct Case {
    RunSigner signer;
    Errc code;
  };
  const std::vector<Case> cases = {
      {RunSigner{kKentRevokedSerial, kKentRevokedSeed}, Errc::revoked_signer},
      {RunSigner{kKentExpiredSerial, kKentExpiredSeed}, Errc::expired_signer},
      {RunSigner{kLeedsSerial, kLeedsSeed}, Errc::wrong_role},
      {RunSigner{kIndexSerial, kIndexSeed}, Errc::wrong_role},
      {RunSigner{99, kKentSeed}, Errc::unknown_signer},
  };
  for (const Case& c : cases) {
    std::vector<RunSigner> signers(5);
    signers[2] = c.signer;
    VerifiedRun v = checked_run(wires_of(make_run(signers)));
    REQUIRE(v.error);
    CHECK(v.error->code == c.code);
    CHECK(v.accepted.size() == 2);
  }
}

TEST_CASE("verify_run: a bad signature on the last envelope accepts all but the last") {
  std::vector<RunSigner> signers(5);
  signers[4] = RunSigner{kKentSerial, kLeedsSeed};  // kent's certificate, another key
  const std::vector<Link> run = make_run(signers);
  VerifiedRun v = checked_run(wires_of(run));
  REQUIRE(v.error);
  CHECK(v.error->code == Errc::bad_signature);
  REQUIRE(v.accepted.size() == 4);
  CHECK(v.accepted.back().hash == run[3].hash);
}

TEST_CASE("verify_run: a run starting with a replayed or out-of-order envelope accepts nothing") {
  const std::vector<Link> first = make_run(3);
  const ChainState head{3, first.back().hash};
  VerifiedRun replayed = checked_run(wires_of(first), head);
  REQUIRE(replayed.error);
  CHECK(replayed.error->code == Errc::replayed);
  CHECK(replayed.accepted.empty());

  const std::vector<Link> ahead = make_run(3, ChainState{4, Hash{}});  // seq 5, 6, 7
  VerifiedRun gap = checked_run(wires_of(ahead), head);
  REQUIRE(gap.error);
  CHECK(gap.error->code == Errc::out_of_order);
  CHECK(gap.accepted.empty());
}

TEST_CASE("verify_run: a gap or a repeat inside a run is caught at its index") {
  std::vector<Bytes> wires = wires_of(make_run(5));
  std::vector<Bytes> gap = wires;
  gap.erase(gap.begin() + 2);  // seq 1, 2, 4, 5
  VerifiedRun g = checked_run(gap);
  REQUIRE(g.error);
  CHECK(g.error->code == Errc::out_of_order);
  CHECK(g.accepted.size() == 2);

  std::vector<Bytes> repeat = wires;
  repeat.insert(repeat.begin() + 3, wires[2]);  // seq 1, 2, 3, 3, 4, 5
  VerifiedRun r = checked_run(repeat);
  REQUIRE(r.error);
  CHECK(r.error->code == Errc::replayed);
  CHECK(r.accepted.size() == 3);
}

// The documented exception (verify.hpp): only a key holder of the authority can make this run,
// by signing a successor of an envelope whose own signature is invalid. verify_run accepts it;
// one by one it is bad_signature at that envelope.
TEST_CASE("verify_run: an invalid signature vouched for by a later valid one is accepted") {
  std::vector<RunSigner> signers(3);
  signers[1] = RunSigner{kKentSerial, kLeedsSeed};
  const std::vector<Bytes> wires = wires_of(make_run(signers));
  const Trust trust = make_trust();
  VerifiedRun fast = run_of(wires, trust, {});
  CHECK_FALSE(fast.error);
  CHECK(fast.accepted.size() == 3);
  VerifiedRun slow = one_by_one(wires, trust, {});
  REQUIRE(slow.error);
  CHECK(slow.error->code == Errc::bad_signature);
  CHECK(slow.accepted.size() == 1);
}
