// Feed items (docs/PROTOCOL.md §13): body encoding of both kinds, national ids, signing by the
// index, and verification by the receiving authority — every error code, the order of the
// checks, and that no single-bit change of a signed item ever verifies.
#include <catch2/catch.hpp>

#include <functional>
#include <string>

#include "aegis/protocol/feed.hpp"
#include "feed_fixtures.hpp"
#include "test_support.hpp"

using namespace aegis::protocol;
using namespace aegis::test::feed_fixtures;
using aegis::test::seed;
using aegis::test::SeedSigner;

namespace {

const ChainState kFresh{};

Errc feed_error(ByteView wire, const ChainState& chain = kFresh,
                const std::string& receiver = "kent", std::uint64_t now = kNowMs) {
  auto v = verify_feed_item(wire, make_feed_trust(), receiver, chain, now);
  REQUIRE_FALSE(v.ok());
  return v.error().code;
}

Errc body_error(const Bytes& body) {
  auto d = decode_feed_item_body(body);
  REQUIRE_FALSE(d.ok());
  return d.error().code;
}

// A body written field by field; `data` writes field 7.
Bytes raw_feed_body(std::uint64_t version, const FeedItem& f, std::size_t fields,
                    const std::function<void(Writer&)>& data) {
  Writer w;
  w.array(static_cast<std::uint32_t>(fields));
  w.uint(version);
  w.str(f.authority_id);
  w.uint(f.seq);
  w.bin(f.prev_hash);
  w.uint(f.timestamp_ms);
  w.uint(f.signer_serial);
  w.uint(static_cast<std::uint64_t>(f.kind));
  data(w);
  for (std::size_t i = 8; i < fields; ++i) w.nil();
  return w.take();
}

FeedItem national(const std::string& id) { return make_national_id(1, Hash{}, "child-1", id); }

std::size_t accepted_bit_flips(const Bytes& wire, const ChainState& chain) {
  const Trust trust = make_feed_trust();
  std::size_t accepted = 0;
  for (std::size_t i = 0; i < wire.size(); ++i) {
    for (int bit = 0; bit < 8; ++bit) {
      Bytes b = wire;
      b[i] = static_cast<std::uint8_t>(b[i] ^ (1u << bit));
      if (verify_feed_item(b, trust, "kent", chain, kNowMs).ok()) ++accepted;
    }
  }
  return accepted;
}

}  // namespace

TEST_CASE("feed: both kinds of item body round-trip byte-equal") {
  for (const FeedItem& f : {make_applied(1, Hash{}, 7), national("0123456789ABCDEF")}) {
    Bytes body = encode_feed_item_body(f);
    auto back = decode_feed_item_body(body);
    REQUIRE(back.ok());
    CHECK(*back == f);
    CHECK(encode_feed_item_body(*back) == body);
  }
}

TEST_CASE("feed: an applied item has the documented layout") {
  FeedItem f = make_applied(1, Hash{}, 2);
  Bytes body = encode_feed_item_body(f);
  // 98 02 a4 "kent" 01 c4 20 <32 zeros> cf <time> 03 01 92 02 c4 20 <hash>
  CHECK(to_hex(ByteView(body.data(), 8)) == "9802a46b656e7401");
  CHECK(body[8] == 0xc4);
  CHECK(body[9] == 0x20);
  const std::size_t after_time = 10 + 32 + 9;
  CHECK(body[after_time] == 0x03);      // signer serial 3
  CHECK(body[after_time + 1] == 0x01);  // kind applied
  CHECK(body[after_time + 2] == 0x92);  // data: array(2)
  CHECK(body[after_time + 3] == 0x02);  // applied_seq 2
  CHECK(body.size() == after_time + 4 + 2 + 32);
}

TEST_CASE("feed: a chain of three items signed by the index verifies and advances") {
  const Trust trust = make_feed_trust();
  ChainState state;
  for (const FeedLink& l : sample_feed()) {
    auto v = verify_feed_item(l.wire, trust, "kent", state, kNowMs);
    REQUIRE(v.ok());
    CHECK(v->item == l.item);
    CHECK(v->hash == l.hash);
    CHECK(v->hash == feed_item_hash(l.wire));
    state = advance(state, *v);
    CHECK(state.last_seq == l.item.seq);
    CHECK(state.last_hash == l.hash);
  }
  CHECK(state.last_seq == 3);
}

TEST_CASE("feed: national ids are 16 characters of Crockford base32, upper case") {
  CHECK(valid_national_id("0123456789ABCDEF"));
  CHECK(valid_national_id("GHJKMNPQRSTVWXYZ"));
  CHECK_FALSE(valid_national_id("0123456789abcdef"));
  CHECK_FALSE(valid_national_id("0123456789ABCDEI"));
  CHECK_FALSE(valid_national_id("0123456789ABCDEL"));
  CHECK_FALSE(valid_national_id("0123456789ABCDEO"));
  CHECK_FALSE(valid_national_id("0123456789ABCDEU"));
  CHECK_FALSE(valid_national_id("0123456789ABCDE"));
  CHECK_FALSE(valid_national_id("0123456789ABCDEFG"));
  CHECK_FALSE(valid_national_id(""));
  CHECK_FALSE(valid_national_id("0123456789ABCDE-"));
}

TEST_CASE("feed: encode_national_id spells 80 bits, 5 per character, high bits first") {
  ByteArray<10> zeros{};
  CHECK(encode_national_id(zeros) == "0000000000000000");
  ByteArray<10> ones{};
  ones.fill(0xff);
  CHECK(encode_national_id(ones) == "ZZZZZZZZZZZZZZZZ");
  ByteArray<10> first{};
  first[0] = 0x08;  // 00001 000...: the first character is 1
  CHECK(encode_national_id(first) == "1000000000000000");
  ByteArray<10> last{};
  last[9] = 0x1f;  // the last five bits: the last character is Z
  CHECK(encode_national_id(last) == "000000000000000Z");
  ByteArray<10> counting{};
  for (std::size_t i = 0; i < 10; ++i) counting[i] = static_cast<std::uint8_t>(i * 37 + 11);
  CHECK(valid_national_id(encode_national_id(counting)));
}

TEST_CASE("feed: body fields outside their domain are refused with the field's code") {
  FeedItem f = make_applied(1, Hash{}, 2);
  auto applied_data = [](Writer& w) {
    w.array(2);
    w.uint(2);
    w.bin(Hash{});
  };
  CHECK(decode_feed_item_body(raw_feed_body(kFeedItemVersion, f, 8, applied_data)).ok());
  CHECK(body_error(raw_feed_body(kFeedItemVersion + 1, f, 8, applied_data)) == Errc::unknown_version);
  // Version 1 (one national id per item) is retired.
  CHECK(body_error(raw_feed_body(1, f, 8, applied_data)) == Errc::unknown_version);
  CHECK(body_error(raw_feed_body(kFeedItemVersion + 1, f, 9, applied_data)) == Errc::unknown_version);
  CHECK(body_error(raw_feed_body(kFeedItemVersion, f, 9, applied_data)) == Errc::malformed);
  FeedItem bad = f;
  bad.kind = static_cast<FeedKind>(3);
  CHECK(body_error(raw_feed_body(kFeedItemVersion, bad, 8, applied_data)) == Errc::invalid_field);
  bad = f;
  bad.seq = 0;
  CHECK(body_error(encode_feed_item_body(bad)) == Errc::invalid_field);
  bad = f;
  bad.signer_serial = 0;
  CHECK(body_error(encode_feed_item_body(bad)) == Errc::invalid_field);
  bad = f;
  bad.applied_seq = 0;
  CHECK(body_error(encode_feed_item_body(bad)) == Errc::invalid_field);
  bad = f;
  bad.authority_id = "Kent";
  CHECK(body_error(encode_feed_item_body(bad)) == Errc::invalid_field);
  bad.authority_id = std::string(33, 'k');
  CHECK(body_error(encode_feed_item_body(bad)) == Errc::too_large);
  CHECK(body_error(raw_feed_body(kFeedItemVersion, f, 8, [](Writer& w) {
          w.array(2);
          w.uint(2);
          w.bin(Bytes(31, 0));
        })) == Errc::invalid_field);
  CHECK(body_error(raw_feed_body(kFeedItemVersion, f, 8, [](Writer& w) {
          w.array(3);
          w.uint(2);
          w.bin(Hash{});
          w.nil();
        })) == Errc::malformed);
  CHECK(body_error(raw_feed_body(kFeedItemVersion, f, 8, [](Writer& w) { w.uint(2); })) == Errc::malformed);
  // An applied item carrying national-id data.
  CHECK(body_error(raw_feed_body(kFeedItemVersion, f, 8, [](Writer& w) {
          w.array(2);
          w.str("child-1");
          w.str("0123456789ABCDEF");
        })) == Errc::malformed);
}

TEST_CASE("feed: a national id item needs a record id and a well-formed national id") {
  CHECK(body_error(encode_feed_item_body(national("0123456789ABCDEI"))) == Errc::invalid_field);
  CHECK(body_error(encode_feed_item_body(national("0123456789abcdef"))) == Errc::invalid_field);
  CHECK(body_error(encode_feed_item_body(national("0123456789ABCDE"))) == Errc::invalid_field);
  CHECK(body_error(encode_feed_item_body(national("0123456789ABCDEFG"))) == Errc::too_large);
  FeedItem f = national("0123456789ABCDEF");
  f.national_ids[0].record_id = "child 1";
  CHECK(body_error(encode_feed_item_body(f)) == Errc::invalid_field);
  f.national_ids[0].record_id = std::string(65, 'r');
  CHECK(body_error(encode_feed_item_body(f)) == Errc::too_large);
  // Non-canonical: seq 1 as uint8.
  Bytes body = encode_feed_item_body(national("0123456789ABCDEF"));
  REQUIRE(body[7] == 0x01);
  body[7] = 0xcc;
  body.insert(body.begin() + 8, 0x01);
  CHECK(body_error(body) == Errc::non_canonical);
}

TEST_CASE("feed: a national id item carries 1 to 512 assignments, each record once") {
  FeedItem f = national("0123456789ABCDEF");
  for (std::size_t i = 1; i < kMaxNationalIdsPerItem; ++i)
    f.national_ids.push_back({"child-" + std::to_string(i + 1), "0123456789ABCDEF"});
  const Result<FeedItem> full = decode_feed_item_body(encode_feed_item_body(f));
  REQUIRE(full.ok());
  CHECK(*full == f);
  CHECK(sign_feed_item(f, SeedSigner(seed(kIndexSeed))).size() <= kMaxFeedItemSize);

  FeedItem over = f;
  over.national_ids.push_back({"child-x", "0123456789ABCDEF"});
  CHECK(body_error(encode_feed_item_body(over)) == Errc::too_large);
  FeedItem none = f;
  none.national_ids.clear();
  CHECK(body_error(encode_feed_item_body(none)) == Errc::malformed);
  FeedItem twice = national("0123456789ABCDEF");
  twice.national_ids.push_back({"child-1", "GHJKMNPQRSTVWXYZ"});
  const Result<FeedItem> repeated = decode_feed_item_body(encode_feed_item_body(twice));
  REQUIRE_FALSE(repeated.ok());
  CHECK(repeated.error().code == Errc::invalid_field);
  CHECK(repeated.error().detail.rfind("feed_item.data[1].record_id: ", 0) == 0);
}

TEST_CASE("feed: structural errors of the wire are refused first") {
  const FeedLink l = sample_feed()[0];
  CHECK(feed_error(Bytes{}) == Errc::truncated);
  CHECK(feed_error(Bytes(l.wire.begin(), l.wire.end() - 1)) == Errc::truncated);
  Bytes trailing = l.wire;
  trailing.push_back(0);
  CHECK(feed_error(trailing) == Errc::trailing_bytes);
  CHECK(feed_error(Bytes{0xdd, 0xff, 0xff, 0xff, 0xff}) == Errc::too_large);
  Bytes big = encode_signed(Signed{Bytes(kMaxFeedItemSize, 0), Signature{}});
  CHECK(feed_error(big) == Errc::too_large);
  // An envelope is not a feed item: its body is of envelope version 1 (and has nine fields).
  for (const auto& link : aegis::test::envelope_fixtures::sample_chain())
    CHECK(feed_error(link.wire) == Errc::unknown_version);
}

TEST_CASE("feed: unknown signer, wrong role, revoked, expired") {
  CHECK(feed_error(sign_feed_link(make_applied(1, Hash{}, 1, 99)).wire) == Errc::unknown_signer);
  // An authority's certificate (with its own key) may not sign a feed item.
  CHECK(feed_error(sign_feed_link(make_applied(1, Hash{}, 1, kKentSerial), kKentSeed).wire) ==
        Errc::wrong_role);
  CHECK(feed_error(sign_feed_link(make_applied(1, Hash{}, 1,
                                               aegis::test::envelope_fixtures::kOfficerSerial),
                                  aegis::test::envelope_fixtures::kOfficerSeed)
                       .wire) == Errc::wrong_role);
  CHECK(feed_error(sign_feed_link(make_applied(1, Hash{}, 1, kIndexRevokedSerial),
                                  kIndexRevokedSeed)
                       .wire) == Errc::revoked_signer);
  FeedItem old = make_applied(1, Hash{}, 1, kIndexExpiredSerial);
  old.timestamp_ms = kNowMs - 2 * kDayMs;
  const Bytes expired = sign_feed_link(old, kIndexExpiredSeed).wire;
  CHECK(feed_error(expired) == Errc::expired_signer);
  CHECK(verify_feed_item(expired, make_feed_trust(), "kent", kFresh, kNowMs - 2 * kDayMs).ok());
  // The item's own time outside the certificate's validity.
  const Trust feed_trust = make_feed_trust();  // outlives the reference below
  const Certificate& index = *feed_trust.by_serial(kIndexSerial);
  FeedItem early = make_applied(1, Hash{}, 1);
  early.timestamp_ms = index.not_before_ms - 1;
  CHECK(feed_error(sign_feed_link(early).wire) == Errc::expired_signer);
  CHECK(feed_error(sample_feed()[0].wire, kFresh, "kent", index.not_after_ms + 1) ==
        Errc::expired_signer);
}

TEST_CASE("feed: a signature by another key or under another domain is bad_signature") {
  CHECK(feed_error(sign_feed_link(make_applied(1, Hash{}, 1), kKentSeed).wire) ==
        Errc::bad_signature);
  Bytes body = encode_feed_item_body(make_applied(1, Hash{}, 1));
  Bytes envelope_domain = encode_signed(sign_body(body, kDomainEnvelope, SeedSigner(seed(kIndexSeed))));
  CHECK(feed_error(envelope_domain) == Errc::bad_signature);
  Bytes flipped = sample_feed()[0].wire;
  flipped.back() ^= 0x80;
  CHECK(feed_error(flipped) == Errc::bad_signature);
}

TEST_CASE("feed: an item addressed to another authority is wrong_role") {
  const FeedLink l = sample_feed()[0];
  CHECK(feed_error(l.wire, kFresh, "leeds") == Errc::wrong_role);
  FeedLink for_leeds = sign_feed_link(make_applied(1, Hash{}, 1, kIndexSerial, "leeds"));
  CHECK(feed_error(for_leeds.wire) == Errc::wrong_role);
  CHECK(verify_feed_item(for_leeds.wire, make_feed_trust(), "leeds", kFresh, kNowMs).ok());
  auto v = verify_feed_item(l.wire, make_feed_trust(), "leeds", kFresh, kNowMs);
  REQUIRE_FALSE(v.ok());
  CHECK(v.error().detail.rfind("feed_item.authority_id: ", 0) == 0);
}

TEST_CASE("feed: replayed, gap and broken chain") {
  auto feed = sample_feed();
  const ChainState after1{1, feed[0].hash};
  const ChainState after2{2, feed[1].hash};
  CHECK(feed_error(feed[0].wire, after1) == Errc::replayed);
  CHECK(feed_error(feed[0].wire, after2) == Errc::replayed);
  CHECK(feed_error(feed[1].wire) == Errc::out_of_order);
  CHECK(feed_error(feed[2].wire, after1) == Errc::out_of_order);
  CHECK(feed_error(feed[1].wire, ChainState{1, feed[1].hash}) == Errc::broken_chain);
  Hash nonzero{};
  nonzero[0] = 1;
  CHECK(feed_error(sign_feed_link(make_applied(1, nonzero, 1)).wire) == Errc::broken_chain);
}

TEST_CASE("feed: checks run in the documented order") {
  auto feed = sample_feed();
  const ChainState after3{3, feed[2].hash};
  // Signer before signature: an authority certificate with a forged signature is wrong_role.
  CHECK(feed_error(sign_feed_link(make_applied(1, Hash{}, 1, kKentSerial), kIndexSeed).wire) ==
        Errc::wrong_role);
  // Signature before recipient: a forged item for leeds is bad_signature.
  CHECK(feed_error(sign_feed_link(make_applied(1, Hash{}, 1, kIndexSerial, "leeds"), kKentSeed)
                       .wire) == Errc::bad_signature);
  // Recipient before chain: leeds's replayed item is wrong_role for kent.
  FeedLink for_leeds = sign_feed_link(make_applied(1, Hash{}, 1, kIndexSerial, "leeds"));
  CHECK(feed_error(for_leeds.wire, after3) == Errc::wrong_role);
  // Signature before chain: a forged replay is bad_signature.
  CHECK(feed_error(sign_feed_link(feed[0].item, kKentSeed).wire, after3) == Errc::bad_signature);
}

TEST_CASE("feed: every single-bit flip of a signed national id item is rejected") {
  const FeedLink l = sample_feed()[0];
  REQUIRE(l.item.kind == FeedKind::national_id);
  REQUIRE(verify_feed_item(l.wire, make_feed_trust(), "kent", kFresh, kNowMs).ok());
  CHECK(accepted_bit_flips(l.wire, kFresh) == 0);
}

TEST_CASE("feed: every single-bit flip of a signed applied item is rejected") {
  auto feed = sample_feed();
  REQUIRE(feed[1].item.kind == FeedKind::applied);
  const ChainState after1{1, feed[0].hash};
  REQUIRE(verify_feed_item(feed[1].wire, make_feed_trust(), "kent", after1, kNowMs).ok());
  CHECK(accepted_bit_flips(feed[1].wire, after1) == 0);
}

TEST_CASE("feed: every truncation of a signed item is rejected") {
  const FeedLink l = sample_feed()[1];
  const ChainState after1{1, sample_feed()[0].hash};
  for (std::size_t n = 0; n < l.wire.size(); ++n) {
    INFO(n);
    CHECK_FALSE(verify_feed_item(ByteView(l.wire.data(), n), make_feed_trust(), "kent", after1,
                                 kNowMs)
                    .ok());
  }
}

TEST_CASE("feed: errors name the field") {
  auto v = verify_feed_item(
      sign_feed_link(make_applied(1, Hash{}, 1, kIndexRevokedSerial), kIndexRevokedSeed).wire,
      make_feed_trust(), "kent", kFresh, kNowMs);
  REQUIRE_FALSE(v.ok());
  CHECK(v.error().detail.rfind("feed_item.signer_serial: ", 0) == 0);
  auto d = decode_feed_item_body(encode_feed_item_body(national("0123456789ABCDEI")));
  REQUIRE_FALSE(d.ok());
  CHECK(d.error().detail.rfind("feed_item.data[0].national_id: ", 0) == 0);
}
