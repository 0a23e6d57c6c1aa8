// peek_envelope (the cheap read of authority and seq) and verify_in_order (parallel
// verification consumed in order) — the two pieces apply_batch and verify_all build on.
#include <atomic>

#include "index/verify_batch.hpp"
#include "index_fixture.hpp"

using namespace aegis::test;
using namespace aegis::test::index_fixtures;
using aegis::index::peek_envelope;
using aegis::index::verify_in_order;
using aegis::index::VerifyItem;

TEST_CASE("index: peek_envelope reads the authority and seq of real envelopes") {
  Chain kent = Chain::kent();
  Bytes first = kent.upsert(child("p-1"));
  auto peek = peek_envelope(first);
  REQUIRE(peek);
  CHECK(peek->authority_id == "kent");
  CHECK(peek->seq == 1);

  // Large seqs use the longer uint forms; a 32-byte authority id still fits a fixstr.
  for (std::uint64_t seq : {127ull, 128ull, 70000ull, 5000000000ull}) {
    Envelope e = make_delete(seq, Hash{}, "p-1");
    e.authority_id = std::string(32, 'a');
    Bytes wire = sign_envelope(e, SeedSigner(seed(kKentSeed)));
    auto p = peek_envelope(wire);
    REQUIRE(p);
    CHECK(p->seq == seq);
    CHECK(p->authority_id == e.authority_id);
  }
}

TEST_CASE("index: peek_envelope refuses other shapes without reading past the end") {
  Chain kent = Chain::kent();
  Bytes wire = kent.upsert(child("p-1"));
  // Every truncation of the header region is refused (the fields peek reads end early).
  for (std::size_t n = 0; n < 12; ++n) {
    Bytes cut(wire.begin(), wire.begin() + static_cast<std::ptrdiff_t>(n));
    CHECK_FALSE(peek_envelope(cut));
  }
  CHECK_FALSE(peek_envelope(Bytes{0x93, 0xc4, 0x00}));           // not a 2-array
  CHECK_FALSE(peek_envelope(Bytes{0x92, 0xa1, 0x41}));           // body is a str, not a bin
  CHECK_FALSE(peek_envelope(Bytes{0x92, 0xc4, 0x03, 0x98, 1, 0xa0}));  // body of 8 fields
  CHECK_FALSE(peek_envelope(Bytes{0x92, 0xc4, 0xff, 0x99}));     // body length beyond the end
  CHECK_FALSE(peek_envelope(Bytes{0x92, 0xc4, 0x04, 0x99, 1, 0xa0, 0xc0}));  // seq is nil
}

TEST_CASE("index: verify_in_order hands results over in order and stops where asked") {
  Chain kent = Chain::kent();
  std::vector<Bytes> wires;
  for (int i = 0; i < 40; ++i) wires.push_back(kent.upsert(child("o-" + std::to_string(i))));
  wires[25].back() ^= 0x01;  // bad_signature at k = 25
  std::vector<VerifyItem> items;
  for (const Bytes& w : wires) items.push_back({w, kNowMs});
  const Trust trust = make_index_trust();

  const unsigned threads = GENERATE(1u, 2u, 3u, 8u);
  std::vector<std::size_t> seen;
  std::optional<Errc> failure;
  verify_in_order(items, trust, ChainState{}, threads,
                  [&](std::size_t k, Result<VerifiedEnvelope>&& v) {
                    seen.push_back(k);
                    if (!v) {
                      failure = v.error().code;
                      return false;
                    }
                    CHECK(v->envelope.seq == k + 1);
                    return true;
                  });
  REQUIRE(seen.size() == 26);
  for (std::size_t k = 0; k < seen.size(); ++k) CHECK(seen[k] == k);
  CHECK(failure == Errc::bad_signature);

  // Stopping early by choice: nothing after the stop is handed over.
  std::size_t calls = 0;
  verify_in_order(items, trust, ChainState{}, threads,
                  [&](std::size_t, Result<VerifiedEnvelope>&&) { return ++calls < 3; });
  CHECK(calls == 3);
}

TEST_CASE("index: verify_in_order checks the chain from the given start") {
  Chain kent = Chain::kent();
  std::vector<Bytes> wires;
  for (int i = 0; i < 4; ++i) wires.push_back(kent.upsert(child("c-" + std::to_string(i))));
  const Trust trust = make_index_trust();
  std::vector<VerifyItem> items;
  for (std::size_t i = 2; i < wires.size(); ++i) items.push_back({wires[i], kNowMs});
  // Starting from the true head before envelope 3 works...
  ChainState start{2, envelope_hash(wires[1])};
  std::size_t ok = 0;
  verify_in_order(items, trust, start, 2, [&](std::size_t, Result<VerifiedEnvelope>&& v) {
    ok += v.ok();
    return v.ok();
  });
  CHECK(ok == 2);
  // ...from a wrong hash it is broken_chain at the first item.
  start.last_hash[0] ^= 1;
  std::optional<Errc> code;
  verify_in_order(items, trust, start, 2, [&](std::size_t, Result<VerifiedEnvelope>&& v) {
    if (!v) code = v.error().code;
    return v.ok();
  });
  CHECK(code == Errc::broken_chain);
}
