// Sync messages (docs/PROTOCOL.md §12.3): every message round-trips canonically, every
// malformed shape is refused with its own code, and the batch and detail helpers keep what
// they build within the limits of §12.4.
#include <catch2/catch.hpp>

#include <functional>
#include <string>

#include "aegis/protocol/envelope.hpp"
#include "aegis/protocol/feed.hpp"
#include "aegis/protocol/sync.hpp"

using namespace aegis::protocol;

namespace {

Hash filled(std::uint8_t b) {
  Hash h{};
  h.fill(b);
  return h;
}

// One sample of every message type, in type-code order.
std::vector<Message> samples() {
  return {Hello{"kent", 5},
          Welcome{42, filled(0x11)},
          Push{{Bytes{1, 2, 3}, Bytes(300, 0x7f)}},
          Ack{43, filled(0x22)},
          Reject{44, "bad_signature", "envelope.signature: does not verify with certificate 1"},
          FeedBatch{{Bytes{9}, Bytes{8, 7}}},
          FeedAck{7},
          Ping{UINT64_MAX},
          Pong{0},
          Refused{"not_authorised", "certificate 5 is revoked"}};
}

// [version, type, fields...] written by hand so tests can build what the encoder never emits.
Bytes raw(std::uint64_t version, std::uint64_t type, std::size_t fields,
          const std::function<void(Writer&)>& write_fields) {
  Writer w;
  w.array(static_cast<std::uint32_t>(2 + fields));
  w.uint(version);
  w.uint(type);
  write_fields(w);
  return w.take();
}

Errc decode_error(const Bytes& bytes) {
  auto m = decode_message(bytes);
  REQUIRE_FALSE(m.ok());
  return m.error().code;
}

Bytes hello_with(const std::string& id) {
  return raw(1, 1, 2, [&](Writer& w) {
    w.str(id);
    w.uint(0);
  });
}

Bytes batch_of(std::uint64_t type, std::size_t n, std::size_t item_size) {
  return raw(1, type, 1, [&](Writer& w) {
    w.array(static_cast<std::uint32_t>(n));
    for (std::size_t i = 0; i < n; ++i) w.bin(Bytes(item_size, 0x5a));
  });
}

Bytes reject_with(std::uint64_t seq, const std::string& code, const std::string& detail) {
  return raw(1, 5, 3, [&](Writer& w) {
    w.uint(seq);
    w.str(code);
    w.str(detail);
  });
}

}  // namespace

TEST_CASE("sync: every message type round-trips byte-equal") {
  for (const Message& m : samples()) {
    INFO(message_name(m));
    Bytes bytes = encode_message(m);
    auto back = decode_message(bytes);
    REQUIRE(back.ok());
    CHECK(*back == m);
    CHECK(encode_message(*back) == bytes);
    // [1, type, ...]: a fixarray, version 1, then the type code.
    CHECK(bytes[1] == 0x01);
    CHECK(bytes[2] == m.index() + 1);
  }
}

TEST_CASE("sync: message names follow the type codes") {
  std::vector<std::string> names;
  for (const Message& m : samples()) names.emplace_back(message_name(m));
  CHECK(names == std::vector<std::string>{"hello", "welcome", "push", "ack", "reject",
                                          "feed_batch", "feed_ack", "ping", "pong", "refused"});
}

TEST_CASE("sync: Hello and Ack have the documented bytes") {
  CHECK(to_hex(encode_message(Hello{"kent", 5})) == "940101a46b656e7405");
  CHECK(to_hex(encode_message(Ack{300, Hash{}})) ==
        "940104cd012cc420" + std::string(64, '0'));
  CHECK(to_hex(encode_message(FeedAck{0})) == "930107" "00");
}

TEST_CASE("sync: structural errors: empty, truncated, trailing, not msgpack, huge header") {
  Bytes hello = encode_message(Hello{"kent", 5});
  CHECK(decode_error(Bytes{}) == Errc::truncated);
  CHECK(decode_error(Bytes(hello.begin(), hello.end() - 1)) == Errc::truncated);
  Bytes trailing = hello;
  trailing.push_back(0xc0);
  CHECK(decode_error(trailing) == Errc::trailing_bytes);
  CHECK(decode_error(Bytes{0xc1}) == Errc::malformed);
  CHECK(decode_error(Bytes{0x80}) == Errc::malformed);          // a map
  CHECK(decode_error(Bytes{0x05}) == Errc::malformed);          // not an array
  CHECK(decode_error(Bytes{0x90}) == Errc::malformed);          // no version
  CHECK(decode_error(Bytes{0x91, 0x01}) == Errc::malformed);    // no type
  CHECK(decode_error(Bytes{0xdd, 0xff, 0xff, 0xff, 0xff}) == Errc::too_large);
  CHECK(decode_error(Bytes{0xdc, 0xff, 0xff}) == Errc::too_large);  // 65535 > kMaxBatch
  // A str or bin header claiming more bytes than the input holds is truncated (§2.5).
  CHECK(decode_error(Bytes{0xc6, 0xff, 0xff, 0xff, 0xff}) == Errc::truncated);
  CHECK(decode_error(Bytes{0xdb, 0xff, 0xff, 0xff, 0xff}) == Errc::truncated);
}

TEST_CASE("sync: an unknown version is unknown_version whatever the arity") {
  CHECK(decode_error(Bytes{0x92, 0x02, 0x01}) == Errc::unknown_version);
  CHECK(decode_error(raw(2, 1, 2, [](Writer& w) {
          w.str("kent");
          w.uint(0);
        })) == Errc::unknown_version);
  CHECK(decode_error(raw(2, 1, 5, [](Writer& w) {
          for (int i = 0; i < 5; ++i) w.nil();
        })) == Errc::unknown_version);
  CHECK(decode_error(Bytes{0x91, 0x00}) == Errc::unknown_version);
}

TEST_CASE("sync: an unknown message type is invalid_field, a type of the wrong kind malformed") {
  CHECK(decode_error(raw(1, 0, 0, [](Writer&) {})) == Errc::invalid_field);
  CHECK(decode_error(raw(1, 11, 1, [](Writer& w) { w.uint(0); })) == Errc::invalid_field);
  CHECK(decode_error(raw(1, 1u << 20, 1, [](Writer& w) { w.uint(0); })) == Errc::invalid_field);
  Writer w;
  w.array(3);
  w.uint(1);
  w.str("hello");
  w.uint(0);
  CHECK(decode_error(w.take()) == Errc::malformed);
  Writer neg;
  neg.array(3);
  neg.uint(1);
  Bytes b = neg.take();
  b.push_back(0xff);  // -1
  b.push_back(0x00);
  CHECK(decode_error(b) == Errc::malformed);
}

TEST_CASE("sync: one field more or less is malformed, for every message type") {
  for (const Message& m : samples()) {
    INFO(message_name(m));
    Bytes bytes = encode_message(m);
    REQUIRE((bytes[0] & 0xf0) == 0x90);
    const std::size_t arity = bytes[0] & 0x0f;
    Bytes more = bytes;
    more[0] = static_cast<std::uint8_t>(0x90 | (arity + 1));
    more.push_back(0xc0);
    CHECK(decode_error(more) == Errc::malformed);
    // One less: drop the last field by re-encoding the message without it is type-specific;
    // an array header one smaller leaves the last field's bytes trailing, so build it from the
    // two-element prefix instead: [1, type] alone.
    Bytes less{0x92, 0x01, bytes[2]};
    CHECK(decode_error(less) == Errc::malformed);
  }
  // Ack with only applied_seq.
  CHECK(decode_error(raw(1, 4, 1, [](Writer& w) { w.uint(1); })) == Errc::malformed);
  // Reject without detail.
  CHECK(decode_error(raw(1, 5, 2, [](Writer& w) {
          w.uint(1);
          w.str("replayed");
        })) == Errc::malformed);
}

TEST_CASE("sync: fields of the wrong msgpack type are malformed") {
  CHECK(decode_error(raw(1, 1, 2, [](Writer& w) {
          w.bin(Bytes{'k'});
          w.uint(0);
        })) == Errc::malformed);
  CHECK(decode_error(raw(1, 1, 2, [](Writer& w) {
          w.str("kent");
          w.str("5");
        })) == Errc::malformed);
  CHECK(decode_error(raw(1, 2, 2, [](Writer& w) {
          w.uint(1);
          w.str(std::string(32, 'h'));
        })) == Errc::malformed);
  CHECK(decode_error(raw(1, 3, 1, [](Writer& w) { w.bin(Bytes{1}); })) == Errc::malformed);
  CHECK(decode_error(raw(1, 3, 1, [](Writer& w) {
          w.array(1);
          w.str("envelope");
        })) == Errc::malformed);
  CHECK(decode_error(raw(1, 7, 1, [](Writer& w) { w.nil(); })) == Errc::malformed);
  CHECK(decode_error(raw(1, 8, 1, [](Writer& w) { w.boolean(true); })) == Errc::malformed);
  CHECK(decode_error(raw(1, 10, 2, [](Writer& w) {
          w.uint(1);
          w.str("x");
        })) == Errc::malformed);
}

TEST_CASE("sync: a hash shorter than 32 bytes is invalid_field, longer too_large") {
  for (std::uint64_t type : {2u, 4u}) {
    for (std::size_t n : {0u, 31u, 33u}) {
      INFO(type << " " << n);
      CHECK(decode_error(raw(1, type, 2, [&](Writer& w) {
              w.uint(1);
              w.bin(Bytes(n, 0));
            })) == (n > kHashSize ? Errc::too_large : Errc::invalid_field));
    }
  }
}

TEST_CASE("sync: Hello's authority id follows §3.1") {
  CHECK(decode_message(hello_with("kent")).ok());
  CHECK(decode_error(hello_with("Kent")) == Errc::invalid_field);
  CHECK(decode_error(hello_with("")) == Errc::invalid_field);
  CHECK(decode_error(hello_with("-kent")) == Errc::invalid_field);
  CHECK(decode_error(hello_with(std::string(33, 'k'))) == Errc::too_large);
  CHECK(decode_error(hello_with("k\xc3")) == Errc::invalid_field);
}

TEST_CASE("sync: batches hold 1..kMaxBatch items within their size limits") {
  for (std::uint64_t type : {3u, 6u}) {
    INFO(type);
    CHECK(decode_message(batch_of(type, 1, 10)).ok());
    CHECK(decode_message(batch_of(type, kMaxBatch, 1)).ok());
    CHECK(decode_error(batch_of(type, 0, 0)) == Errc::malformed);
    CHECK(decode_error(batch_of(type, kMaxBatch + 1, 1)) == Errc::too_large);
  }
  CHECK(decode_message(batch_of(3, 1, kMaxEnvelopeSize)).ok());
  CHECK(decode_error(batch_of(3, 1, kMaxEnvelopeSize + 1)) == Errc::too_large);
  CHECK(decode_message(batch_of(6, 1, kMaxFeedItemSize)).ok());
  CHECK(decode_error(batch_of(6, 1, kMaxFeedItemSize + 1)) == Errc::too_large);
  // An array inside the batch is one level too deep.
  CHECK(decode_error(raw(1, 3, 1, [](Writer& w) {
          w.array(1);
          w.array(0);
        })) == Errc::too_large);
}

TEST_CASE("sync: a message over kMaxMessageSize is too_large before it is parsed") {
  const std::size_t n = kMaxMessageSize / kMaxEnvelopeSize + 1;
  Bytes big = batch_of(3, n, kMaxEnvelopeSize);
  REQUIRE(big.size() > kMaxMessageSize);
  CHECK(decode_error(big) == Errc::too_large);
}

TEST_CASE("sync: Reject needs seq >= 1, a known error code and a short detail") {
  CHECK(decode_message(reject_with(1, "broken_chain", "")).ok());
  CHECK(decode_error(reject_with(0, "broken_chain", "")) == Errc::invalid_field);
  CHECK(decode_error(reject_with(1, "no_such_code", "")) == Errc::invalid_field);
  CHECK(decode_error(reject_with(1, "unknown", "")) == Errc::invalid_field);
  CHECK(decode_error(reject_with(1, "", "")) == Errc::invalid_field);
  CHECK(decode_error(reject_with(1, std::string(33, 'a'), "")) == Errc::too_large);
  CHECK(decode_message(reject_with(1, "replayed", std::string(kMaxDetailLen, 'd'))).ok());
  CHECK(decode_error(reject_with(1, "replayed", std::string(kMaxDetailLen + 1, 'd'))) ==
        Errc::too_large);
  CHECK(decode_error(reject_with(1, "replayed", "bad \xff")) == Errc::invalid_field);
}

TEST_CASE("sync: Refused needs a snake_case code") {
  auto refused = [](const std::string& code) {
    return raw(1, 10, 2, [&](Writer& w) {
      w.str(code);
      w.str("detail");
    });
  };
  CHECK(decode_message(refused("not_authorised")).ok());
  CHECK(decode_message(refused("some_future_code2")).ok());
  CHECK(decode_error(refused("Not-Authorised")) == Errc::invalid_field);
  CHECK(decode_error(refused("")) == Errc::invalid_field);
  CHECK(decode_error(refused(std::string(33, 'a'))) == Errc::too_large);
}

TEST_CASE("sync: non-shortest forms are non_canonical") {
  // FeedAck 5 with the 5 as uint8.
  CHECK(decode_error(Bytes{0x93, 0x01, 0x07, 0xcc, 0x05}) == Errc::non_canonical);
  // The type as uint16.
  CHECK(decode_error(Bytes{0x93, 0x01, 0xcd, 0x00, 0x07, 0x05}) == Errc::non_canonical);
  // The message array as array16.
  CHECK(decode_error(Bytes{0xdc, 0x00, 0x03, 0x01, 0x07, 0x05}) == Errc::non_canonical);
  // Hello's authority id as str8.
  Bytes hello = encode_message(Hello{"kent", 5});
  Bytes str8{0x94, 0x01, 0x01, 0xd9, 0x04};
  str8.insert(str8.end(), hello.begin() + 4, hello.end());
  CHECK(decode_error(str8) == Errc::non_canonical);
  // A batch item as bin16.
  CHECK(decode_error(Bytes{0x93, 0x01, 0x03, 0x91, 0xc5, 0x00, 0x01, 0x09}) ==
        Errc::non_canonical);
}

TEST_CASE("sync: every truncation and bit flip of a message is refused or re-encodes exactly") {
  for (const Message& m : samples()) {
    INFO(message_name(m));
    const Bytes bytes = encode_message(m);
    for (std::size_t n = 0; n < bytes.size(); ++n)
      CHECK_FALSE(decode_message(ByteView(bytes.data(), n)).ok());
    std::size_t accepted = 0;
    for (std::size_t i = 0; i < bytes.size() && i < 64; ++i) {
      for (int bit = 0; bit < 8; ++bit) {
        Bytes b = bytes;
        b[i] = static_cast<std::uint8_t>(b[i] ^ (1u << bit));
        auto d = decode_message(b);
        if (!d.ok()) continue;
        ++accepted;
        CHECK(encode_message(*d) == b);  // anything accepted is canonical
      }
    }
    CHECK(accepted < bytes.size() * 8);
  }
}

TEST_CASE("sync: batch_prefix fits kMaxBatch items and kMaxMessageSize bytes") {
  CHECK(batch_prefix({}) == 0);
  std::vector<Bytes> small(kMaxBatch + 5, Bytes(100, 1));
  CHECK(batch_prefix(small) == kMaxBatch);
  std::vector<Bytes> few(15, Bytes(3, 1));
  CHECK(batch_prefix(few) == 15);

  // Envelopes of the largest size: the prefix fits, one more would not.
  std::vector<Bytes> big(100, Bytes(kMaxEnvelopeSize, 2));
  const std::size_t n = batch_prefix(big);
  REQUIRE(n >= 1);
  REQUIRE(n < big.size());
  Push fits{std::vector<Bytes>(big.begin(), big.begin() + static_cast<std::ptrdiff_t>(n))};
  CHECK(encode_message(fits).size() <= kMaxMessageSize);
  CHECK(decode_message(encode_message(fits)).ok());
  Push over{std::vector<Bytes>(big.begin(), big.begin() + static_cast<std::ptrdiff_t>(n + 1))};
  CHECK(encode_message(over).size() > kMaxMessageSize);

  // Feed items of the largest size (larger than an envelope since feed version 3): likewise.
  std::vector<Bytes> items(100, Bytes(kMaxFeedItemSize, 4));
  const std::size_t m = batch_prefix(items);
  REQUIRE(m >= 1);
  REQUIRE(m < items.size());
  FeedBatch batch{std::vector<Bytes>(items.begin(), items.begin() + static_cast<std::ptrdiff_t>(m))};
  CHECK(encode_message(batch).size() <= kMaxMessageSize);
  CHECK(decode_message(encode_message(batch)).ok());
  batch.items.push_back(items[m]);
  CHECK(encode_message(batch).size() > kMaxMessageSize);

  // Mixed sizes: the exact boundary counts every header.
  std::vector<Bytes> mixed;
  for (int i = 0; i < 200; ++i) mixed.push_back(Bytes(i % 2 ? 200 : 200'000, 3));
  const std::size_t k = batch_prefix(mixed);
  REQUIRE(k < mixed.size());
  Push prefix{std::vector<Bytes>(mixed.begin(), mixed.begin() + static_cast<std::ptrdiff_t>(k))};
  Push plus{std::vector<Bytes>(mixed.begin(), mixed.begin() + static_cast<std::ptrdiff_t>(k + 1))};
  CHECK(encode_message(prefix).size() <= kMaxMessageSize);
  CHECK(encode_message(plus).size() > kMaxMessageSize);
}

TEST_CASE("sync: make_reject and make_refused always build decodable messages") {
  Error e{Errc::out_of_order, std::string(500, 'x') + "\xc3\xa9\n"};
  Reject r = make_reject(9, e);
  CHECK(r.seq == 9);
  CHECK(r.code == "out_of_order");
  CHECK(r.detail.size() == kMaxDetailLen);
  CHECK(decode_message(encode_message(r)).ok());
  Reject odd = make_reject(1, Error{Errc::bad_signature, "caf\xc3\xa9\x01"});
  CHECK(odd.detail == "caf???");
  CHECK(decode_message(encode_message(odd)).ok());
  Refused f = make_refused(kRefusedNotAuthorised, std::string(300, 'y'));
  CHECK(f.code == "not_authorised");
  CHECK(f.detail.size() == kMaxDetailLen);
  CHECK(decode_message(encode_message(f)).ok());
}

TEST_CASE("sync: errc_from_name inverts errc_name") {
  for (Errc c : {Errc::truncated, Errc::invalid_field, Errc::wrong_role, Errc::replayed,
                 Errc::broken_chain, Errc::seal_corrupt, Errc::bundle_expired}) {
    auto back = errc_from_name(errc_name(c));
    REQUIRE(back.has_value());
    CHECK(*back == c);
  }
  CHECK_FALSE(errc_from_name("unknown").has_value());
  CHECK_FALSE(errc_from_name("").has_value());
  CHECK_FALSE(errc_from_name("Replayed").has_value());
}
