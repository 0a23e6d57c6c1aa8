// Feed items (docs/PROTOCOL.md §13): body encoding of every kind in versions 2 and 3, national
// ids, what an elsewhere item may carry, signing by the index, and verification by the receiving
// authority — every error code, the order of the checks, and that no single-bit change of a
// signed item ever verifies.
#include <catch2/catch.hpp>

#include <functional>
#include <string>

#include "aegis/protocol/feed.hpp"
#include "audit_fixtures.hpp"
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

TEST_CASE("feed: every kind of item body round-trips byte-equal, in versions 2 and 3") {
  std::vector<FeedItem> items = {make_applied(1, Hash{}, 7), national("0123456789ABCDEF")};
  for (FeedItem f : std::vector<FeedItem>(items)) {
    f.version = 3;
    items.push_back(f);
  }
  for (ElsewhereState state :
       {ElsewhereState::unlinked, ElsewhereState::linked, ElsewhereState::shielded})
    items.push_back(make_elsewhere(1, Hash{}, "child-1", state));
  for (const FeedItem& f : items) {
    Bytes body = encode_feed_item_body(f);
    CHECK(body[1] == f.version);  // 98 <version>: the version an item was made with is kept
    auto back = decode_feed_item_body(body);
    INFO((back ? "" : back.error().message()));
    REQUIRE(back.ok());
    CHECK(*back == f);
    CHECK(encode_feed_item_body(*back) == body);
  }
  CHECK(FeedItem{}.version == kFeedItemVersion);
  CHECK(kFeedItemVersion == 3);
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
  CHECK(body_error(raw_feed_body(kNoticeListFeedItemVersion + 1, f, 8, applied_data)) == Errc::unknown_version);
  // Version 1 (one national id per item) is retired.
  CHECK(body_error(raw_feed_body(1, f, 8, applied_data)) == Errc::unknown_version);
  CHECK(body_error(raw_feed_body(kNoticeListFeedItemVersion + 1, f, 9, applied_data)) == Errc::unknown_version);
  CHECK(body_error(raw_feed_body(kFeedItemVersion, f, 9, applied_data)) == Errc::malformed);
  FeedItem bad = f;
  bad.kind = static_cast<FeedKind>(7);
  CHECK(body_error(raw_feed_body(kNoticeFeedItemVersion, bad, 8, applied_data)) == Errc::invalid_field);
  bad.kind = FeedKind::audit_checkpoint;  // kind 4 exists only from version 4
  CHECK(body_error(raw_feed_body(kFeedItemVersion, bad, 8, applied_data)) == Errc::invalid_field);
  bad.kind = FeedKind::elsewhere;  // kind 3 exists only from version 3
  CHECK(body_error(raw_feed_body(2, bad, 8, applied_data)) == Errc::invalid_field);
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

// ---- Elsewhere items (version 3, kind 3) -----------------------------------------------------

namespace {

// The error decoding an elsewhere item body gives, with the path its detail starts with.
Error elsewhere_error(const FeedItem& f) {
  auto d = decode_feed_item_body(encode_feed_item_body(f));
  REQUIRE_FALSE(d.ok());
  return d.error();
}

void check_refused_at(const FeedItem& f, Errc code, const std::string& path) {
  const Error e = elsewhere_error(f);
  INFO(e.message());
  CHECK(e.code == code);
  CHECK(e.detail.rfind(path + ": ", 0) == 0);
}

FeedItem linked() { return make_elsewhere(1, Hash{}, "child-1", ElsewhereState::linked); }

// Details with every list and text at its §3 limit, nothing that may not be shared.
ChildDetails largest_shareable_details() {
  const std::string name(kMaxNameLen, 'n');
  const std::string text(kMaxTextLen, 't');
  const std::string phone(kMaxPhoneLen, '7');
  ChildDetails d;
  for (std::size_t i = 0; i < kMaxContacts; ++i) {
    Contact c;
    c.name = {name, name, name};
    c.relationship = text;
    c.phones.assign(kMaxPhones, phone);
    c.address = Address{std::vector<std::string>(kMaxAddressLines, text),
                        std::string(kMaxPostcodeLen, 'P')};
    d.contacts.push_back(c);
  }
  for (std::size_t i = 0; i < kMaxInvolvements; ++i) {
    Involvement v;
    v.kind = InvolvementKind::other;
    v.organisation = v.organisation_id = v.role = v.practitioner = text;
    v.phone = phone;
    v.start = *Date::parse("2015-01-01");
    v.end = *Date::parse("2199-12-31");
    d.involvements.push_back(v);
  }
  return d;
}

}  // namespace

TEST_CASE("feed: details_for_elsewhere keeps contacts and non-sensitive involvements only") {
  ChildDetails full = aegis::test::sample_shielded_child("c").details;
  Involvement sexual_health;
  sexual_health.kind = InvolvementKind::other_health;
  sexual_health.organisation = "Clinic";
  sexual_health.sensitive = true;
  sexual_health.consent = true;
  full.involvements.insert(full.involvements.begin(), sexual_health);
  const ChildDetails shared = details_for_elsewhere(full);
  CHECK_FALSE(shared.address);
  CHECK_FALSE(shared.upn);
  CHECK_FALSE(shared.uln);
  CHECK_FALSE(shared.nhs_number);
  CHECK_FALSE(shared.shield);
  CHECK(shared.contacts == full.contacts);
  REQUIRE(shared.involvements.size() == 1);
  CHECK(shared.involvements[0] == full.involvements[1]);
  // What it builds is always what an elsewhere item may carry.
  FeedItem f = linked();
  f.elsewhere.details = shared;
  CHECK(decode_feed_item_body(encode_feed_item_body(f)).ok());
  CHECK(details_for_elsewhere(ChildDetails{}) == ChildDetails{});
}

TEST_CASE("feed: an elsewhere item never carries an address, identifier, shield or sensitive "
          "service") {
  const std::string details = "feed_item.data.details";
  FeedItem f = linked();
  f.elsewhere.details->address = Address{{"1 Road"}, "LS1 1AA"};
  check_refused_at(f, Errc::invalid_field, details + ".address");
  f = linked();
  f.elsewhere.details->upn = "A123456789012";
  check_refused_at(f, Errc::invalid_field, details + ".upn");
  f = linked();
  f.elsewhere.details->uln = "1234567890";
  check_refused_at(f, Errc::invalid_field, details + ".uln");
  f = linked();
  f.elsewhere.details->nhs_number = "9434765919";
  check_refused_at(f, Errc::invalid_field, details + ".nhs_number");
  f = linked();
  f.elsewhere.details->shield = Shield{1, "SO-0042", *Date::parse("2024-06-01")};
  check_refused_at(f, Errc::invalid_field, details + ".shield");
  f = linked();
  REQUIRE(f.elsewhere.details->involvements.size() == 1);
  Involvement camhs = f.elsewhere.details->involvements[0];
  camhs.sensitive = true;
  camhs.consent = true;
  f.elsewhere.details->involvements.push_back(camhs);
  check_refused_at(f, Errc::invalid_field, details + ".involvements[1].sensitive");
  // The rules of §3 apply first, with their own path.
  f = linked();
  f.elsewhere.details->contacts[0].relationship = "";
  check_refused_at(f, Errc::invalid_field, details + ".contacts[0].relationship");
}

TEST_CASE("feed: an elsewhere item's state and details agree") {
  FeedItem f = make_elsewhere(1, Hash{}, "child-1", ElsewhereState::unlinked);
  f.elsewhere.details = leeds_visible_details();
  check_refused_at(f, Errc::invalid_field, "feed_item.data.details");
  f.elsewhere.state = ElsewhereState::shielded;
  check_refused_at(f, Errc::invalid_field, "feed_item.data.details");
  f = linked();
  f.elsewhere.details.reset();
  check_refused_at(f, Errc::invalid_field, "feed_item.data.details");
  for (std::uint64_t state : {3u, 255u, 256u}) {
    f = make_elsewhere(1, Hash{}, "child-1", ElsewhereState::unlinked);
    f.elsewhere.state = static_cast<ElsewhereState>(state & 0xff);
    Bytes body = encode_feed_item_body(f);
    if (state == 256) {
      // state written as uint16 256: cd 01 00 in place of the single byte
      const auto at = body.end() - 2;  // ... <state> c0
      REQUIRE(*at == 0x00);
      body.erase(at);
      const std::uint8_t u16[] = {0xcd, 0x01, 0x00};
      body.insert(body.end() - 1, std::begin(u16), std::end(u16));
    }
    const Result<FeedItem> d = decode_feed_item_body(body);
    REQUIRE_FALSE(d.ok());
    CHECK(d.error().code == Errc::invalid_field);
    CHECK(d.error().detail.rfind("feed_item.data.state: ", 0) == 0);
  }
}

TEST_CASE("feed: an elsewhere item links two different records") {
  FeedItem f = make_elsewhere(1, Hash{}, "child-1", ElsewhereState::shielded, "kent", "child-1");
  check_refused_at(f, Errc::invalid_field, "feed_item.data.other_record_id");
  // Another record of the same authority, or the same record id at another authority: fine.
  f.elsewhere.other_record_id = "child-2";
  CHECK(decode_feed_item_body(encode_feed_item_body(f)).ok());
  f = make_elsewhere(1, Hash{}, "child-1", ElsewhereState::shielded, "leeds", "child-1");
  CHECK(decode_feed_item_body(encode_feed_item_body(f)).ok());
}

TEST_CASE("feed: an elsewhere item's ids are checked and its data has six fields") {
  FeedItem f = linked();
  f.elsewhere.record_id = "child 1";
  check_refused_at(f, Errc::invalid_field, "feed_item.data.record_id");
  f = linked();
  f.elsewhere.national_id = "0123456789ABCDEI";
  check_refused_at(f, Errc::invalid_field, "feed_item.data.national_id");
  f = linked();
  f.elsewhere.other_authority_id = "Leeds";
  check_refused_at(f, Errc::invalid_field, "feed_item.data.other_authority_id");
  f.elsewhere.other_authority_id = std::string(33, 'l');
  check_refused_at(f, Errc::too_large, "feed_item.data.other_authority_id");
  f = linked();
  f.elsewhere.other_record_id = std::string(65, 'r');
  check_refused_at(f, Errc::too_large, "feed_item.data.other_record_id");
  const FeedItem ok = linked();
  for (std::size_t fields : {5u, 7u}) {
    Bytes body = raw_feed_body(3, ok, 8, [&](Writer& w) {
      w.array(static_cast<std::uint32_t>(fields));
      w.str("child-1");
      w.str("0V5K8Q2MZ7H4R9TA");
      w.str("leeds");
      w.str("L:42");
      w.uint(0);
      if (fields == 7) {
        w.nil();
        w.nil();
      }
    });
    CHECK(body_error(body) == Errc::malformed);
  }
}

TEST_CASE("feed: kind 3 exists only from version 3; versions 1 and 7 are unknown") {
  FeedItem f = linked();
  f.version = 2;
  const Result<FeedItem> v2 = decode_feed_item_body(encode_feed_item_body(f));
  REQUIRE_FALSE(v2.ok());
  CHECK(v2.error().code == Errc::invalid_field);
  CHECK(v2.error().detail.rfind("feed_item.kind: ", 0) == 0);
  for (std::uint64_t version : {1u, 7u}) {
    f.version = version;
    CHECK(body_error(encode_feed_item_body(f)) == Errc::unknown_version);
  }
  // Signed, the same holds at verification.
  f.version = 2;
  CHECK(feed_error(sign_feed_link(f).wire) == Errc::invalid_field);
}

TEST_CASE("feed: the largest elsewhere item fits kMaxFeedItemSize; a wire over it is too_large") {
  FeedItem f = linked();
  f.elsewhere.record_id = std::string(kMaxRecordIdLen, 'r');
  f.elsewhere.other_record_id = std::string(kMaxRecordIdLen, 'o');
  f.elsewhere.other_authority_id = std::string(kMaxAuthorityIdLen, 'a');
  f.authority_id = std::string(kMaxAuthorityIdLen, 'k');
  f.seq = UINT64_MAX;
  f.timestamp_ms = UINT64_MAX;
  f.elsewhere.details = largest_shareable_details();
  const Bytes body = encode_feed_item_body(f);
  REQUIRE(decode_feed_item_body(body).ok());
  const Bytes wire = sign_feed_item(f, SeedSigner(seed(kIndexSeed)));
  CHECK(wire.size() <= kMaxFeedItemSize);
  CHECK(wire.size() > kMaxEnvelopeSize / 2);  // really large: the limit matters
  // The index cannot seal nor read more than a record's details: every valid record's details
  // fit an envelope, so the elsewhere item built from them fits a feed item.
  CHECK(kMaxFeedItemSize >= kMaxEnvelopeSize + 4096);
  Bytes over = encode_signed(Signed{Bytes(kMaxFeedItemSize + 1 - 72, 0), Signature{}});
  CHECK(over.size() == kMaxFeedItemSize + 1);
  CHECK(feed_error(over) == Errc::too_large);
}

TEST_CASE("feed: a feed mixing version 2 and version 3 items verifies as one chain") {
  const Trust trust = make_feed_trust();
  ChainState state;
  std::vector<FeedLink> feed = sample_feed();
  for (ElsewhereState s :
       {ElsewhereState::linked, ElsewhereState::shielded, ElsewhereState::unlinked})
    feed.push_back(
        sign_feed_link(make_elsewhere(feed.size() + 1, feed.back().hash, "child-1", s)));
  for (const FeedLink& l : feed) {
    auto v = verify_feed_item(l.wire, trust, "kent", state, kNowMs);
    INFO((v ? "" : v.error().message()));
    REQUIRE(v.ok());
    CHECK(v->item == l.item);
    CHECK(v->item.version == (l.item.seq <= 3 ? 2u : 3u));
    state = advance(state, *v);
  }
  CHECK(state.last_seq == 6);
}

TEST_CASE("feed: every single-bit flip of a signed elsewhere item is rejected") {
  const FeedLink l = sign_feed_link(linked());
  REQUIRE(verify_feed_item(l.wire, make_feed_trust(), "kent", kFresh, kNowMs).ok());
  CHECK(accepted_bit_flips(l.wire, kFresh) == 0);
}

TEST_CASE("feed: an audit_checkpoint item (version 4) carries a checkpoint notice", "[audit]") {
  using aegis::test::audit_fixtures::make_checkpoint_item;
  const FeedLink first = sign_feed_link(make_checkpoint_item(1, Hash{}, 0, 3));
  const FeedLink second = sign_feed_link(make_checkpoint_item(2, first.hash, 3, 5));
  auto v1 = verify_feed_item(first.wire, make_feed_trust(), "kent", kFresh, kNowMs);
  REQUIRE(v1.ok());
  CHECK(v1->item == first.item);
  CHECK(v1->item.version == kCheckpointFeedItemVersion);
  auto v2 = verify_feed_item(second.wire, make_feed_trust(), "kent", advance(kFresh, *v1), kNowMs);
  REQUIRE(v2.ok());
  // What the authority does with it: the notices chain from none to 3 to 5 entries.
  auto held = accept_checkpoint_notice(v1->item.checkpoint_notice, std::nullopt,
                                       make_feed_trust(), kNowMs);
  REQUIRE(held.ok());
  auto next = accept_checkpoint_notice(v2->item.checkpoint_notice, *held, make_feed_trust(), kNowMs);
  REQUIRE(next.ok());
  CHECK(next->tree_size == 5);
  // Versions 4 and 5 both know kind 4 (a version extends the one before).
  FeedItem v5 = first.item;
  v5.version = kNoticeFeedItemVersion;
  CHECK(decode_feed_item_body(encode_feed_item_body(v5)).ok());
}

TEST_CASE("feed: a version 3 receiver's view and the notice's own rules", "[audit]") {
  using aegis::test::audit_fixtures::make_checkpoint_item;
  auto error_of = [](const FeedItem& f) {
    auto r = decode_feed_item_body(encode_feed_item_body(f));
    REQUIRE_FALSE(r.ok());
    return r.error();
  };
  FeedItem f = make_checkpoint_item(1, Hash{}, 3, 5);
  f.version = 3;  // kind 4 did not exist before version 4
  Error e = error_of(f);
  CHECK(e.code == Errc::invalid_field);
  CHECK(e.detail.rfind("feed_item.kind", 0) == 0);
  f = make_checkpoint_item(1, Hash{}, 3, 5);
  f.checkpoint_notice.checkpoint = Bytes(kMaxCheckpointSize + 1, 0x5a);
  e = error_of(f);
  CHECK(e.code == Errc::too_large);
  CHECK(e.detail.rfind("feed_item.data.checkpoint", 0) == 0);
  f = make_checkpoint_item(1, Hash{}, 3, 5);
  f.checkpoint_notice.proof.resize(kMaxProofHashes + 1);
  e = error_of(f);
  CHECK(e.code == Errc::too_large);
  CHECK(e.detail.rfind("feed_item.data.proof", 0) == 0);
  // An item whose checkpoint is forged still decodes and verifies as a feed item (the feed
  // signature is the index's): it is accept_checkpoint_notice that refuses it.
  f = make_checkpoint_item(1, Hash{}, 0, 3);
  f.checkpoint_notice.checkpoint.back() ^= 0x01;
  auto forged = verify_feed_item(sign_feed_link(f).wire, make_feed_trust(), "kent", kFresh, kNowMs);
  REQUIRE(forged.ok());
  auto refused = accept_checkpoint_notice(forged->item.checkpoint_notice, std::nullopt,
                                          make_feed_trust(), kNowMs);
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.error().code == Errc::bad_signature);
  // A notice that does not extend the held checkpoint: forked.
  auto held = accept_checkpoint_notice(make_checkpoint_item(1, Hash{}, 0, 3).checkpoint_notice,
                                       std::nullopt, make_feed_trust(), kNowMs);
  REQUIRE(held.ok());
  auto skipped = accept_checkpoint_notice(make_checkpoint_item(2, Hash{}, 0, 5).checkpoint_notice,
                                          *held, make_feed_trust(), kNowMs);
  REQUIRE_FALSE(skipped.ok());
  CHECK(skipped.error().code == Errc::broken_chain);
}
