// Shield sealing (docs/PROTOCOL.md §5): who can open a seal, what tampering does, what seal()
// refuses, and that the sealed bytes hold nothing in clear.
#include <catch2/catch.hpp>

#include <functional>

#include "aegis/protocol/codec.hpp"
#include "aegis/protocol/seal.hpp"
#include "test_support.hpp"
#include "trust_fixtures.hpp"

using namespace aegis::protocol;
using namespace aegis::test;
using namespace aegis::test::fixtures;

namespace {

const std::string kSecret = "7 Secretcanary Lane, Leeds LS1 4ZZ; Hiddencanary Academy";

struct Sealing {
  SeedKeyAgreement authority = box_keys(0x11);
  SeedKeyAgreement officer = box_keys(0x14);
  SeedKeyAgreement stranger = box_keys(0x12);
  Bytes context = seal_context("kent", "child-s");
  std::vector<BoxPublicKey> recipients{authority.box_public_key(), officer.box_public_key()};

  SealedBlob sealed(const std::vector<BoxPublicKey>& to) const {
    auto blob = seal(view(kSecret), context, to, fixed_randomness(0x40));
    REQUIRE(blob.ok());
    return blob.value();
  }
  SealedBlob sealed() const { return sealed(recipients); }
};

void require_error(const Result<Bytes>& r, Errc code) {
  REQUIRE_FALSE(r.ok());
  INFO(r.error().message());
  CHECK(r.error().code == code);
}

template <typename T>
void require_error(const Result<T>& r, Errc code, std::string_view detail_part) {
  REQUIRE_FALSE(r.ok());
  INFO(r.error().message());
  CHECK(r.error().code == code);
  CHECK(r.error().detail.find(detail_part) != std::string::npos);
}

std::string text(const Bytes& b) { return std::string(b.begin(), b.end()); }

}  // namespace

TEST_CASE("seal: the owning authority and a shield officer both open the seal") {
  Sealing s;
  SealedBlob blob = s.sealed();
  REQUIRE(blob.recipients.size() == 2);
  CHECK(blob.ciphertext.size() == kSecret.size() + 16);
  auto by_authority = open(blob, s.context, s.authority);
  auto by_officer = open(blob, s.context, s.officer);
  REQUIRE(by_authority.ok());
  REQUIRE(by_officer.ok());
  CHECK(text(*by_authority) == kSecret);
  CHECK(text(*by_officer) == kSecret);
}

TEST_CASE("seal: the encoded blob decodes back to the same value and still opens") {
  Sealing s;
  SealedBlob blob = s.sealed();
  Bytes wire = encode_sealed_blob(blob);
  // [1, bin32, bin24, [[bin32, bin48] x2], bin] = 1+1+34+26+1+2*85+2+ciphertext
  CHECK(wire.size() == 235 + blob.ciphertext.size());
  auto back = decode_sealed_blob(wire);
  REQUIRE(back.ok());
  CHECK(back.value() == blob);
  auto opened = open(back.value(), s.context, s.officer);
  REQUIRE(opened.ok());
  CHECK(text(*opened) == kSecret);
}

TEST_CASE("seal: an empty plaintext seals and opens") {
  Sealing s;
  auto blob = seal({}, s.context, s.recipients, fixed_randomness(0x40));
  REQUIRE(blob.ok());
  CHECK(blob->ciphertext.size() == 16);
  auto opened = open(*blob, s.context, s.authority);
  REQUIRE(opened.ok());
  CHECK(opened->empty());
}

TEST_CASE("seal: 1 and 16 recipients are accepted and each can open") {
  Sealing s;
  std::vector<BoxPublicKey> sixteen;
  std::vector<SeedKeyAgreement> keys;
  for (std::uint8_t i = 0; i < 16; ++i) keys.push_back(box_keys(static_cast<std::uint8_t>(0x50 + i)));
  for (const auto& k : keys) sixteen.push_back(k.box_public_key());
  SealedBlob blob = s.sealed(sixteen);
  for (const auto& k : keys) {
    auto opened = open(blob, s.context, k);
    REQUIRE(opened.ok());
    CHECK(text(*opened) == kSecret);
  }
  SealedBlob one = s.sealed({s.officer.box_public_key()});
  CHECK(open(one, s.context, s.officer).ok());
  require_error(open(one, s.context, s.authority), Errc::not_a_recipient);
}

TEST_CASE("seal: a key that is not a recipient gets not_a_recipient") {
  Sealing s;
  require_error(open(s.sealed(), s.context, s.stranger), Errc::not_a_recipient);
}

TEST_CASE("seal: a recipient whose entry was tampered with gets seal_corrupt") {
  Sealing s;
  SealedBlob blob = s.sealed();
  blob.recipients[1].wrapped_key[5] ^= 0x01;
  require_error(open(blob, s.context, s.officer), Errc::seal_corrupt);
  // Entries are independent: the untouched entry still opens (the envelope signature, not the
  // seal, protects the blob as a whole: §5.8).
  CHECK(open(blob, s.context, s.authority).ok());
}

TEST_CASE("seal: another recipient's wrapped key copied into my entry gets seal_corrupt") {
  Sealing s;
  SealedBlob blob = s.sealed();
  blob.recipients[1].wrapped_key = blob.recipients[0].wrapped_key;
  require_error(open(blob, s.context, s.officer), Errc::seal_corrupt);
}

TEST_CASE("seal: a tampered ephemeral key, nonce or ciphertext gets seal_corrupt") {
  Sealing s;
  SealedBlob eph = s.sealed();
  eph.ephemeral[0] ^= 0x40;
  require_error(open(eph, s.context, s.authority), Errc::seal_corrupt);
  SealedBlob nonce = s.sealed();
  nonce.nonce[23] ^= 0x01;
  require_error(open(nonce, s.context, s.authority), Errc::seal_corrupt);
  SealedBlob ct = s.sealed();
  ct.ciphertext.back() ^= 0x80;
  require_error(open(ct, s.context, s.authority), Errc::seal_corrupt);
  SealedBlob cut = s.sealed();
  cut.ciphertext.resize(15);
  require_error(open(cut, s.context, s.authority), Errc::seal_corrupt);
}

TEST_CASE("seal: a small-order ephemeral key gets seal_corrupt") {
  Sealing s;
  for (const BoxPublicKey& k : small_order_keys()) {
    SealedBlob blob = s.sealed();
    blob.ephemeral = k;
    require_error(open(blob, s.context, s.officer), Errc::seal_corrupt);
  }
}

TEST_CASE("seal: every single-bit flip in the encoded blob fails to open") {
  Sealing s;
  const Bytes wire = encode_sealed_blob(s.sealed({s.officer.box_public_key()}));
  std::size_t decode_errors = 0, corrupt = 0, not_recipient = 0;
  for (std::size_t bit = 0; bit < wire.size() * 8; ++bit) {
    Bytes flipped = wire;
    flipped[bit / 8] ^= static_cast<std::uint8_t>(1u << (bit % 8));
    auto blob = decode_sealed_blob(flipped);
    if (!blob) {
      ++decode_errors;
      continue;
    }
    auto opened = open(*blob, s.context, s.officer);
    INFO("bit " << bit);
    REQUIRE_FALSE(opened.ok());
    if (opened.error().code == Errc::seal_corrupt) ++corrupt;
    if (opened.error().code == Errc::not_a_recipient) ++not_recipient;
  }
  CHECK(decode_errors + corrupt + not_recipient == wire.size() * 8);
  CHECK(decode_errors > 0);
  CHECK(corrupt > 0);
  CHECK(not_recipient == 256);  // every bit of the recipient key: the entry is no longer mine
}

TEST_CASE("seal: another record id or another authority in the context gets seal_corrupt") {
  Sealing s;
  SealedBlob blob = s.sealed();
  require_error(open(blob, seal_context("kent", "child-t"), s.authority), Errc::seal_corrupt);
  require_error(open(blob, seal_context("leeds", "child-s"), s.officer), Errc::seal_corrupt);
  require_error(open(blob, {}, s.officer), Errc::seal_corrupt);
  CHECK(open(blob, seal_context("kent", "child-s"), s.officer).ok());
}

TEST_CASE("seal: the context is label, authority and record separated by NUL bytes") {
  Bytes ctx = seal_context("kent", "child-s");
  const char expected[] = "AEGIS-SEAL-V1\0kent\0child-s";
  CHECK(ctx == Bytes(expected, expected + sizeof(expected) - 1));
  CHECK(seal_context("ken", "tchild-s") != seal_context("kent", "child-s"));
}

TEST_CASE("seal: a small-order recipient key is refused with invalid_field") {
  Sealing s;
  for (const BoxPublicKey& k : small_order_keys()) {
    std::vector<BoxPublicKey> to{s.authority.box_public_key(), k};
    require_error(seal(view(kSecret), s.context, to, fixed_randomness(0x40)), Errc::invalid_field,
                  "seal.recipients[1]: small-order");
  }
}

TEST_CASE("seal: duplicate recipients are refused with invalid_field") {
  Sealing s;
  std::vector<BoxPublicKey> to{s.authority.box_public_key(), s.officer.box_public_key(),
                               s.authority.box_public_key()};
  require_error(seal(view(kSecret), s.context, to, fixed_randomness(0x40)), Errc::invalid_field,
                "seal.recipients[2]: same key as recipients[0]");
}

TEST_CASE("seal: 0 and 17 recipients are refused with invalid_field") {
  Sealing s;
  require_error(seal(view(kSecret), s.context, {}, fixed_randomness(0x40)), Errc::invalid_field,
                "0 recipients");
  std::vector<BoxPublicKey> seventeen;
  for (std::uint8_t i = 0; i < 17; ++i)
    seventeen.push_back(box_keys(static_cast<std::uint8_t>(0x50 + i)).box_public_key());
  require_error(seal(view(kSecret), s.context, seventeen, fixed_randomness(0x40)),
                Errc::invalid_field, "17 recipients");
}

TEST_CASE("seal: the sealed bytes contain none of the plaintext") {
  Sealing s;
  Bytes wire = encode_sealed_blob(s.sealed());
  for (std::string_view canary : {"Secretcanary", "Hiddencanary", "LS1 4ZZ", "Leeds"})
    CHECK_FALSE(contains_bytes(wire, canary));
}

TEST_CASE("seal: fresh randomness gives unrelated bytes for the same plaintext") {
  Sealing s;
  auto a = seal(view(kSecret), s.context, s.recipients, fixed_randomness(0x40));
  auto b = seal(view(kSecret), s.context, s.recipients, fixed_randomness(0x60));
  REQUIRE(a.ok());
  REQUIRE(b.ok());
  CHECK(a->ephemeral != b->ephemeral);
  CHECK(a->recipients[0].wrapped_key != b->recipients[0].wrapped_key);
  CHECK(a->ciphertext != b->ciphertext);
  CHECK(open(*b, s.context, s.officer).ok());
}

namespace {
// Splices raw msgpack into a valid encoding to build structurally wrong blobs.
Bytes blob_with(const std::function<void(Writer&)>& recipients_part, const Bytes& ciphertext,
                std::uint64_t version = 1) {
  Writer w;
  w.array(5);
  w.uint(version);
  w.bin(seed(0x09));
  w.bin(ByteArray<24>{});
  recipients_part(w);
  w.bin(ciphertext);
  return w.take();
}
void entry(Writer& w, std::uint8_t key) {
  w.array(2);
  w.bin(seed(key));
  w.bin(ByteArray<48>{});
}
}  // namespace

TEST_CASE("seal: decoding accepts a well-formed blob built by hand") {
  auto blob = decode_sealed_blob(blob_with([](Writer& w) { w.array(1); entry(w, 1); }, Bytes(16)));
  REQUIRE(blob.ok());
  CHECK(blob->recipients.size() == 1);
  CHECK(blob->ephemeral == seed(0x09));
}

TEST_CASE("seal: decoding refuses an unknown version") {
  auto r = decode_sealed_blob(blob_with([](Writer& w) { w.array(1); entry(w, 1); }, Bytes(16), 2));
  require_error(r, Errc::unknown_version, "seal.version");
}

TEST_CASE("seal: decoding refuses an empty recipient list") {
  auto r = decode_sealed_blob(blob_with([](Writer& w) { w.array(0); }, Bytes(16)));
  require_error(r, Errc::invalid_field, "seal.recipients: no recipients");
}

TEST_CASE("seal: decoding refuses 17 recipients") {
  auto r = decode_sealed_blob(blob_with(
      [](Writer& w) {
        w.array(17);
        for (std::uint8_t i = 0; i < 17; ++i) entry(w, static_cast<std::uint8_t>(i + 1));
      },
      Bytes(16)));
  require_error(r, Errc::too_large, "seal.recipients");
}

TEST_CASE("seal: decoding refuses a recipient listed twice") {
  auto r = decode_sealed_blob(blob_with(
      [](Writer& w) {
        w.array(3);
        entry(w, 1);
        entry(w, 2);
        entry(w, 1);
      },
      Bytes(16)));
  require_error(r, Errc::invalid_field, "seal.recipients[2]: same recipient key as entry 0");
}

TEST_CASE("seal: decoding refuses a wrapped key of the wrong size") {
  auto r = decode_sealed_blob(blob_with(
      [](Writer& w) {
        w.array(1);
        w.array(2);
        w.bin(seed(1));
        w.bin(seed(2));
      },
      Bytes(16)));
  require_error(r, Errc::invalid_field, "seal.recipients[0].wrapped_key");
}

TEST_CASE("seal: decoding refuses a ciphertext shorter than the tag") {
  auto r = decode_sealed_blob(blob_with([](Writer& w) { w.array(1); entry(w, 1); }, Bytes(15)));
  require_error(r, Errc::invalid_field, "seal.ciphertext");
}

TEST_CASE("seal: decoding refuses a non-canonical length and trailing or missing bytes") {
  Sealing s;
  const SealedBlob blob = s.sealed();
  const Bytes wire = encode_sealed_blob(blob);
  // The ciphertext length as bin16 instead of the shortest bin8.
  const std::size_t at = wire.size() - blob.ciphertext.size() - 2;
  REQUIRE(wire[at] == 0xc4);
  Bytes longer(wire.begin(), wire.begin() + static_cast<std::ptrdiff_t>(at));
  longer.insert(longer.end(), {0xc5, 0x00, wire[at + 1]});
  longer.insert(longer.end(), wire.begin() + static_cast<std::ptrdiff_t>(at + 2), wire.end());
  require_error(decode_sealed_blob(longer), Errc::non_canonical, "seal");
  Bytes trailing = wire;
  trailing.push_back(0x00);
  require_error(decode_sealed_blob(trailing), Errc::trailing_bytes, "seal");
  Bytes cut(wire.begin(), wire.end() - 1);
  require_error(decode_sealed_blob(cut), Errc::truncated, "seal");
}

TEST_CASE("seal: sealed child details open for the authority and the officer") {
  Sealing s;
  const ChildDetails details = sample_shielded_child("child-s").details;
  auto blob = seal_details(details, "kent", "child-s", s.recipients, fixed_randomness(0x40));
  REQUIRE(blob.ok());
  for (const SeedKeyAgreement* me : {&s.authority, &s.officer}) {
    auto opened = open_details(*blob, "kent", "child-s", *me);
    REQUIRE(opened.ok());
    CHECK(opened.value() == details);
  }
  // The generic layer sees exactly the canonical ChildDetails bytes under seal_context.
  auto raw = open(*blob, seal_context("kent", "child-s"), s.officer);
  REQUIRE(raw.ok());
  CHECK(raw.value() == encode_child_details(details));
}

TEST_CASE("seal: sealed child details hold no canary in clear") {
  Sealing s;
  auto blob = seal_details(sample_shielded_child("child-s").details, "kent", "child-s",
                           s.recipients, fixed_randomness(0x40));
  REQUIRE(blob.ok());
  Bytes wire = encode_sealed_blob(*blob);
  for (std::string_view canary : {"Secretcanary", "Hiddencanary", "LS1 4ZZ", "Whitfield",
                                  "07700 900999", "A123456789012", "9434765919", "SO-0042"})
    CHECK_FALSE(contains_bytes(wire, canary));
}

TEST_CASE("seal: open_details for another record, authority or non-recipient fails") {
  Sealing s;
  auto blob = seal_details(sample_shielded_child("child-s").details, "kent", "child-s",
                           s.recipients, fixed_randomness(0x40));
  REQUIRE(blob.ok());
  require_error(open_details(*blob, "kent", "child-1", s.officer), Errc::seal_corrupt, "seal");
  require_error(open_details(*blob, "leeds", "child-s", s.authority), Errc::seal_corrupt, "seal");
  require_error(open_details(*blob, "kent", "child-s", s.stranger), Errc::not_a_recipient, "seal");
}

TEST_CASE("seal: open_details of a plaintext that is not ChildDetails carries the decode error") {
  Sealing s;
  const Bytes not_details{0x93, 0x01, 0x02, 0x03};
  auto blob = seal(not_details, seal_context("kent", "child-s"), s.recipients,
                   fixed_randomness(0x40));
  REQUIRE(blob.ok());
  auto opened = open_details(*blob, "kent", "child-s", s.officer);
  REQUIRE_FALSE(opened.ok());
  INFO(opened.error().message());
  CHECK(opened.error().code != Errc::seal_corrupt);
  CHECK(opened.error().code != Errc::not_a_recipient);
}

TEST_CASE("seal: seal_details refuses a small-order recipient like seal()") {
  Sealing s;
  std::vector<BoxPublicKey> to{s.authority.box_public_key(), small_order_keys()[2]};
  require_error(seal_details(sample_shielded_child().details, "kent", "child-s", to,
                             fixed_randomness(0x40)),
                Errc::invalid_field, "seal.recipients[1]");
}

TEST_CASE("seal: a version 2 blob with another layout is unknown_version, not malformed") {
  Writer w;
  w.array(6);
  w.uint(2);
  for (int i = 0; i < 5; ++i) w.uint(0);
  require_error(decode_sealed_blob(w.take()), Errc::unknown_version, "seal.version");
}

TEST_CASE("seal: a version 1 blob with a missing field is malformed") {
  Writer w;
  w.array(4);
  w.uint(1);
  w.bin(seed(0x09));
  w.bin(ByteArray<24>{});
  w.array(0);
  require_error(decode_sealed_blob(w.take()), Errc::malformed, "seal");
}
