// Envelope verification (docs/PROTOCOL.md §6.4): every error code reachable, the documented
// order of checks, chain continuity, and that no single-bit change of a signed envelope (nor
// any truncation) ever verifies.
#include <catch2/catch.hpp>

#include <string>

#include "aegis/protocol/verify.hpp"
#include "envelope_fixtures.hpp"
#include "test_support.hpp"

using namespace aegis::protocol;
using namespace aegis::test::envelope_fixtures;
using aegis::test::sample_child;
using aegis::test::sample_shielded_child;
using aegis::test::SeedKeyAgreement;

namespace {

const ChainState kFresh{};

Errc verify_error(ByteView wire, const ChainState& chain = kFresh, std::uint64_t now = kNowMs) {
  auto v = verify_envelope(wire, make_trust(), chain, now);
  REQUIRE_FALSE(v.ok());
  return v.error().code;
}

Link first_upsert(std::uint64_t serial = kKentSerial, std::uint8_t key = kKentSeed) {
  return sign_link(make_upsert(1, Hash{}, sample_child(), serial), key);
}

// Flips each bit of `wire` in turn; returns how many variants verified (must be 0).
std::size_t accepted_bit_flips(const Bytes& wire, const ChainState& chain) {
  const Trust trust = make_trust();
  std::size_t accepted = 0;
  for (std::size_t i = 0; i < wire.size(); ++i) {
    for (int bit = 0; bit < 8; ++bit) {
      Bytes b = wire;
      b[i] = static_cast<std::uint8_t>(b[i] ^ (1u << bit));
      if (verify_envelope(b, trust, chain, kNowMs).ok()) ++accepted;
    }
  }
  return accepted;
}

}  // namespace

TEST_CASE("verify: a chain of upsert, upsert, delete verifies and advances") {
  const Trust trust = make_trust();
  ChainState state;
  for (const Link& l : sample_chain()) {
    auto v = verify_envelope(l.wire, trust, state, kNowMs);
    REQUIRE(v.ok());
    CHECK(v->envelope == l.envelope);
    CHECK(v->hash == l.hash);
    state = advance(state, *v);
    CHECK(state.last_seq == l.envelope.seq);
    CHECK(state.last_hash == l.hash);
  }
  CHECK(state.last_seq == 3);
}

TEST_CASE("verify: a shielded upsert verifies and its details open only for recipients") {
  Link l = sign_link(make_upsert(1, Hash{}, sample_shielded_child()));
  auto v = verify_envelope(l.wire, make_trust(), kFresh, kNowMs);
  REQUIRE(v.ok());
  const auto& blob = std::get<SealedBlob>(v->envelope.payload->details);
  auto opened = open_details(blob, "kent", "child-s", SeedKeyAgreement(aegis::test::seed(kKentSeed)));
  REQUIRE(opened.ok());
  CHECK(*opened == sample_shielded_child().details);
}

TEST_CASE("verify: structural errors come first: truncated, trailing, malformed, too_large") {
  Link l = first_upsert();
  CHECK(verify_error(Bytes{}) == Errc::truncated);
  CHECK(verify_error(Bytes(l.wire.begin(), l.wire.end() - 1)) == Errc::truncated);
  Bytes trailing = l.wire;
  trailing.push_back(0x00);
  CHECK(verify_error(trailing) == Errc::trailing_bytes);
  CHECK(verify_error(from_hex("80").value()) == Errc::malformed);
  CHECK(verify_error(from_hex("c1").value()) == Errc::malformed);
  CHECK(verify_error(from_hex("ddffffffff").value()) == Errc::too_large);
  Bytes big = encode_signed(Signed{Bytes(kMaxEnvelopeSize, 0), Signature{}});
  CHECK(verify_error(big) == Errc::too_large);
}

TEST_CASE("verify: a body that fails to decode is refused before any signer check") {
  Envelope e = make_upsert(1, Hash{}, sample_child(), 99);  // unknown signer as well
  e.seq = 0;
  CHECK(verify_error(sign_raw(encode_envelope_body(e))) == Errc::invalid_field);
  Bytes v2 = raw_body(2, e, [](Writer& w) { w.nil(); });
  CHECK(verify_error(sign_raw(v2)) == Errc::unknown_version);
  // seq 1 encoded as uint8 0xcc 0x01: valid msgpack, signed, but not canonical.
  Envelope d = make_delete(1, Hash{}, "c1");
  Bytes body = encode_envelope_body(d);
  REQUIRE(body[7] == 0x01);  // 99 01 a4 k e n t [seq]
  body[7] = 0xcc;
  body.insert(body.begin() + 8, 0x01);
  CHECK(verify_error(sign_raw(body)) == Errc::non_canonical);
}

TEST_CASE("verify: unknown signer, wrong role or authority, revoked, expired") {
  CHECK(verify_error(first_upsert(99).wire) == Errc::unknown_signer);
  // Leeds's certificate cannot sign for kent, even with Leeds's own key.
  CHECK(verify_error(first_upsert(kLeedsSerial, kLeedsSeed).wire) == Errc::wrong_role);
  // The index and a shield officer are not authorities.
  CHECK(verify_error(first_upsert(kIndexSerial, kIndexSeed).wire) == Errc::wrong_role);
  CHECK(verify_error(first_upsert(kOfficerSerial, kOfficerSeed).wire) == Errc::wrong_role);
  CHECK(verify_error(first_upsert(kKentRevokedSerial, kKentRevokedSeed).wire) ==
        Errc::revoked_signer);
  // Expired certificate, with an envelope time inside its validity.
  Envelope old = make_upsert(1, Hash{}, sample_child(), kKentExpiredSerial);
  old.timestamp_ms = kNowMs - 2 * aegis::test::fixtures::kDayMs;
  CHECK(verify_error(sign_link(old, kKentExpiredSeed).wire) == Errc::expired_signer);
  // The same envelope verifies when checked at a time the certificate was valid.
  CHECK(verify_envelope(sign_link(old, kKentExpiredSeed).wire, make_trust(), kFresh,
                        kNowMs - 2 * aegis::test::fixtures::kDayMs)
            .ok());
}

TEST_CASE("verify: the certificate must be valid both now and at the envelope's time") {
  const Trust trust = make_trust();  // outlives the reference below
  const Certificate& kent = *trust.by_serial(kKentSerial);
  Link l = first_upsert();
  CHECK(verify_envelope(l.wire, make_trust(), kFresh, kent.not_after_ms).ok());
  CHECK(verify_error(l.wire, kFresh, kent.not_after_ms + 1) == Errc::expired_signer);
  CHECK(verify_error(l.wire, kFresh, kent.not_before_ms - 1) == Errc::expired_signer);
  Envelope before = make_upsert(1, Hash{}, sample_child());
  before.timestamp_ms = kent.not_before_ms - 1;
  CHECK(verify_error(sign_link(before).wire) == Errc::expired_signer);
  Envelope after = make_upsert(1, Hash{}, sample_child());
  after.timestamp_ms = kent.not_after_ms + 1;
  CHECK(verify_error(sign_link(after).wire) == Errc::expired_signer);
}

TEST_CASE("verify: a signature by another key, over other bytes or domain is bad_signature") {
  // Names kent's certificate but is signed with Leeds's key.
  CHECK(verify_error(first_upsert(kKentSerial, kLeedsSeed).wire) == Errc::bad_signature);
  // Kent's key, wrong domain.
  Envelope e = make_upsert(1, Hash{}, sample_child());
  Bytes body = encode_envelope_body(e);
  Bytes cert_domain = encode_signed(
      sign_body(body, kDomainCertificate, aegis::test::SeedSigner(aegis::test::seed(kKentSeed))));
  CHECK(verify_error(cert_domain) == Errc::bad_signature);
  // A flipped bit in the signature.
  Link l = first_upsert();
  Bytes flipped = l.wire;
  flipped.back() ^= 0x01;
  CHECK(verify_error(flipped) == Errc::bad_signature);
  // A different valid body under the first envelope's signature.
  auto s = decode_signed(l.wire, "envelope").value();
  e.timestamp_ms += 1;
  s.body = encode_envelope_body(e);
  CHECK(verify_error(encode_signed(s)) == Errc::bad_signature);
}

TEST_CASE("verify: seq at or below the last accepted is replayed") {
  auto chain = sample_chain();
  ChainState after2{2, chain[1].hash};
  CHECK(verify_error(chain[1].wire, after2) == Errc::replayed);
  CHECK(verify_error(chain[0].wire, after2) == Errc::replayed);
  ChainState after1{1, chain[0].hash};
  CHECK(verify_error(chain[0].wire, after1) == Errc::replayed);
}

TEST_CASE("verify: seq beyond the next expected is out_of_order") {
  auto chain = sample_chain();
  CHECK(verify_error(chain[1].wire) == Errc::out_of_order);
  CHECK(verify_error(chain[2].wire, ChainState{1, chain[0].hash}) == Errc::out_of_order);
}

TEST_CASE("verify: prev_hash that does not match the last hash is broken_chain") {
  auto chain = sample_chain();
  CHECK(verify_error(chain[1].wire, ChainState{1, chain[1].hash}) == Errc::broken_chain);
  CHECK(verify_error(chain[1].wire, ChainState{1, Hash{}}) == Errc::broken_chain);
  // A first envelope must carry a zero prev_hash.
  Hash nonzero{};
  nonzero[31] = 1;
  CHECK(verify_error(sign_link(make_upsert(1, nonzero, sample_child())).wire) ==
        Errc::broken_chain);
  // A forked history: seq 2 built on another seq 1.
  ChildRecord other = sample_child("child-2");
  Link fork1 = sign_link(make_upsert(1, Hash{}, other));
  Link fork2 = sign_link(make_upsert(2, fork1.hash, other));
  CHECK(verify_error(fork2.wire, ChainState{1, chain[0].hash}) == Errc::broken_chain);
}

TEST_CASE("verify: checks run in the documented order") {
  auto chain = sample_chain();
  ChainState after3{3, chain[2].hash};
  // Structure before signer: an unknown signer with a trailing byte is trailing_bytes.
  Bytes trailing = first_upsert(99).wire;
  trailing.push_back(0);
  CHECK(verify_error(trailing) == Errc::trailing_bytes);
  // Signer before revocation, revocation before expiry, expiry before signature.
  CHECK(verify_error(first_upsert(99, kLeedsSeed).wire, after3) == Errc::unknown_signer);
  CHECK(verify_error(first_upsert(kIndexSerial, kLeedsSeed).wire) == Errc::wrong_role);
  CHECK(verify_error(first_upsert(kKentRevokedSerial, kLeedsSeed).wire, kFresh, kNowMs * 2) ==
        Errc::revoked_signer);
  CHECK(verify_error(first_upsert(kKentSerial, kLeedsSeed).wire, kFresh, kNowMs * 2) ==
        Errc::expired_signer);
  // Signature before chain: a forged replay is bad_signature, not replayed.
  CHECK(verify_error(first_upsert(kKentSerial, kLeedsSeed).wire, after3) == Errc::bad_signature);
  // Replay before gap and hash: an old envelope with a stale prev_hash is replayed.
  CHECK(verify_error(chain[1].wire, after3) == Errc::replayed);
}

TEST_CASE("verify: every single-bit flip of a signed upsert is rejected") {
  Link l = first_upsert();
  REQUIRE(verify_envelope(l.wire, make_trust(), kFresh, kNowMs).ok());
  CHECK(accepted_bit_flips(l.wire, kFresh) == 0);
}

TEST_CASE("verify: every single-bit flip of a signed delete is rejected") {
  auto chain = sample_chain();
  ChainState after2{2, chain[1].hash};
  REQUIRE(verify_envelope(chain[2].wire, make_trust(), after2, kNowMs).ok());
  CHECK(accepted_bit_flips(chain[2].wire, after2) == 0);
}

TEST_CASE("verify: every single-bit flip of a signed shielded upsert is rejected") {
  Link l = sign_link(make_upsert(1, Hash{}, sample_shielded_child()));
  REQUIRE(verify_envelope(l.wire, make_trust(), kFresh, kNowMs).ok());
  CHECK(accepted_bit_flips(l.wire, kFresh) == 0);
}

TEST_CASE("verify: every truncation of a signed envelope is rejected") {
  Link l = first_upsert();
  const Trust trust = make_trust();
  for (std::size_t n = 0; n < l.wire.size(); ++n) {
    auto v = verify_envelope(ByteView(l.wire.data(), n), trust, kFresh, kNowMs);
    INFO(n);
    REQUIRE_FALSE(v.ok());
  }
}

TEST_CASE("verify: errors name the field and never carry record contents") {
  Link l = first_upsert(kKentRevokedSerial, kKentRevokedSeed);
  auto v = verify_envelope(l.wire, make_trust(), kFresh, kNowMs);
  REQUIRE_FALSE(v.ok());
  CHECK(v.error().detail.rfind("envelope.signer_serial: ", 0) == 0);
  CHECK(v.error().detail.find("Hartley") == std::string::npos);
}
