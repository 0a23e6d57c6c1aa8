// The canonical msgpack codec (docs/PROTOCOL.md §2): the writer's shortest-form choices, the
// parse limits (no allocation for absurd headers), truncation, trailing bytes, every
// non-canonical or unused msgpack form, and the UTF-8 rules for strings.
#include <catch2/catch.hpp>

#include <string>

#include "aegis/protocol/codec.hpp"
#include "aegis/protocol/signed.hpp"
#include "test_support.hpp"

using namespace aegis::protocol;

namespace {

Bytes hex(std::string_view h) { return from_hex(h).value(); }

template <typename Fn>
std::string written(Fn&& fn) {
  Writer w;
  fn(w);
  return to_hex(w.take());
}

// Whole-value decoders for single values, built on decode_canonical like every real decoder.
Result<std::uint64_t> decode_uint(ByteView b, const DecodeLimits& limits = {}) {
  return decode_canonical<std::uint64_t>(
      b, limits, "value", [](const Node& n) { return n.as_uint(); },
      [](std::uint64_t v) { Writer w; w.uint(v); return w.take(); });
}

Result<std::string> decode_str(ByteView b) {
  return decode_canonical<std::string>(
      b, DecodeLimits{}, "value", [](const Node& n) { return n.as_str(SIZE_MAX); },
      [](const std::string& v) { Writer w; w.str(v); return w.take(); });
}

Result<Bytes> decode_bin(ByteView b) {
  return decode_canonical<Bytes>(
      b, DecodeLimits{}, "value", [](const Node& n) { return n.as_bin(100000); },
      [](const Bytes& v) { Writer w; w.bin(v); return w.take(); });
}

// An array of unsigned integers.
Result<std::vector<std::uint64_t>> decode_uints(ByteView b, const DecodeLimits& limits = {}) {
  return decode_canonical<std::vector<std::uint64_t>>(
      b, limits, "list",
      [](const Node& n) {
        std::vector<std::uint64_t> out;
        auto a = n.as_array(0, 100000);
        for (std::size_t i = 0; i < a.size(); ++i) out.push_back(a.item(i).as_uint());
        return out;
      },
      [](const std::vector<std::uint64_t>& v) {
        Writer w;
        w.array(static_cast<std::uint32_t>(v.size()));
        for (auto x : v) w.uint(x);
        return w.take();
      });
}

template <typename T>
Errc code_of(const Result<T>& r) {
  REQUIRE_FALSE(r.ok());
  return r.error().code;
}

}  // namespace

TEST_CASE("codec: unsigned integers are written in the shortest form") {
  auto u = [](std::uint64_t v) { return written([&](Writer& w) { w.uint(v); }); };
  CHECK(u(0) == "00");
  CHECK(u(127) == "7f");
  CHECK(u(128) == "cc80");
  CHECK(u(255) == "ccff");
  CHECK(u(256) == "cd0100");
  CHECK(u(65535) == "cdffff");
  CHECK(u(65536) == "ce00010000");
  CHECK(u(4294967295u) == "ceffffffff");
  CHECK(u(4294967296u) == "cf0000000100000000");
  CHECK(u(UINT64_MAX) == "cfffffffffffffffff");
}

TEST_CASE("codec: strings, binaries, arrays, booleans and nil use the shortest header") {
  CHECK(written([](Writer& w) { w.str(""); }) == "a0");
  CHECK(written([](Writer& w) { w.str("abc"); }) == "a3616263");
  CHECK(written([](Writer& w) { w.str(std::string(31, 'x')); }).substr(0, 2) == "bf");
  CHECK(written([](Writer& w) { w.str(std::string(32, 'x')); }).substr(0, 4) == "d920");
  CHECK(written([](Writer& w) { w.str(std::string(256, 'x')); }).substr(0, 6) == "da0100");
  CHECK(written([](Writer& w) { w.bin(Bytes{}); }) == "c400");
  CHECK(written([](Writer& w) { w.bin(Bytes{1, 2}); }) == "c4020102");
  CHECK(written([](Writer& w) { w.bin(Bytes(256, 0)); }).substr(0, 6) == "c50100");
  CHECK(written([](Writer& w) { w.array(0); }) == "90");
  CHECK(written([](Writer& w) { w.array(15); }) == "9f");
  CHECK(written([](Writer& w) { w.array(16); }) == "dc0010");
  CHECK(written([](Writer& w) { w.boolean(true); w.boolean(false); w.nil(); }) == "c3c2c0");
  CHECK(written([](Writer& w) { w.optional_str(std::nullopt); }) == "c0");
}

TEST_CASE("codec: canonical values decode") {
  CHECK(decode_uint(hex("00")).value() == 0);
  CHECK(decode_uint(hex("cc80")).value() == 128);
  CHECK(decode_uint(hex("cfffffffffffffffff")).value() == UINT64_MAX);
  CHECK(decode_str(hex("a3616263")).value() == "abc");
  CHECK(decode_bin(hex("c4020102")).value() == Bytes{1, 2});
  CHECK(decode_uints(hex("93010203")).value() == std::vector<std::uint64_t>{1, 2, 3});
}

TEST_CASE("codec: a 5-byte header claiming 4 billion elements is refused without allocating") {
  // Each would need gigabytes if the parser believed the header. An array count is judged at
  // the header (too_large); a str/bin body is never copied, so a short input is truncated.
  CHECK(code_of(decode_uints(hex("ddffffffff"))) == Errc::too_large);   // array32
  CHECK(code_of(decode_uints(hex("dcffff"))) == Errc::too_large);       // array16: 65535
  CHECK(code_of(decode_str(hex("dbffffffff"))) == Errc::truncated);     // str32
  CHECK(code_of(decode_bin(hex("c6ffffffff"))) == Errc::truncated);     // bin32
}

TEST_CASE("codec: a str or bin longer than its parse limit is too_large") {
  DecodeLimits limits;  // max_str 64 KiB
  Writer w;
  w.str(std::string(limits.max_str + 1, 'a'));
  Bytes s = w.take();
  CHECK(code_of(decode_str(s)) == Errc::too_large);
  auto big_bin = [] {
    Writer bw;
    bw.bin(Bytes(DecodeLimits{}.max_bin + 1, 0));
    return bw.take();
  }();
  DecodeLimits roomy;
  roomy.max_input = big_bin.size();
  auto r = decode_canonical<Bytes>(
      big_bin, roomy, "value", [](const Node& n) { return n.as_bin(SIZE_MAX); },
      [](const Bytes& v) { Writer bw; bw.bin(v); return bw.take(); });
  CHECK(code_of(r) == Errc::too_large);
}

TEST_CASE("codec: limits on arrays, depth and input size are too_large") {
  DecodeLimits small;
  small.max_array = 3;
  CHECK(decode_uints(hex("93010203"), small).ok());
  CHECK(code_of(decode_uints(hex("9401020304"), small)) == Errc::too_large);

  auto nested = [](std::size_t depth) {  // `depth` one-element arrays around 0
    Bytes b(depth, 0x91);
    b.push_back(0x00);
    return b;
  };
  CHECK(parse_msgpack(nested(16), DecodeLimits{}, "x").ok());
  auto too_deep = parse_msgpack(nested(17), DecodeLimits{}, "x");
  REQUIRE_FALSE(too_deep.ok());
  CHECK(too_deep.error().code == Errc::too_large);

  DecodeLimits tiny;
  tiny.max_input = 2;
  CHECK(code_of(decode_uint(hex("cd0100"), tiny)) == Errc::too_large);
  CHECK(decode_uint(hex("cc80"), tiny).ok());
}

TEST_CASE("codec: input that ends inside a value is truncated") {
  CHECK(code_of(decode_uint(Bytes{})) == Errc::truncated);
  CHECK(code_of(decode_uint(hex("cd01"))) == Errc::truncated);
  CHECK(code_of(decode_uint(hex("cf00000000"))) == Errc::truncated);
  CHECK(code_of(decode_str(hex("a56162"))) == Errc::truncated);
  CHECK(code_of(decode_bin(hex("c405"))) == Errc::truncated);
  CHECK(code_of(decode_uints(hex("930102"))) == Errc::truncated);
}

TEST_CASE("codec: bytes after the value are trailing_bytes") {
  CHECK(code_of(decode_uint(hex("0102"))) == Errc::trailing_bytes);
  CHECK(code_of(decode_uints(hex("920102c0"))) == Errc::trailing_bytes);
  CHECK(code_of(decode_str(hex("a16100"))) == Errc::trailing_bytes);
}

TEST_CASE("codec: longer-than-needed integer forms are non_canonical") {
  CHECK(code_of(decode_uint(hex("cc05"))) == Errc::non_canonical);            // uint8 for 5
  CHECK(code_of(decode_uint(hex("cd0005"))) == Errc::non_canonical);          // uint16 for 5
  CHECK(code_of(decode_uint(hex("cd00ff"))) == Errc::non_canonical);          // uint16 for 255
  CHECK(code_of(decode_uint(hex("ce0000ffff"))) == Errc::non_canonical);      // uint32 for 65535
  CHECK(code_of(decode_uint(hex("cf00000000ffffffff"))) == Errc::non_canonical);
}

TEST_CASE("codec: longer-than-needed str, bin and array headers are non_canonical") {
  CHECK(code_of(decode_str(hex("d903616263"))) == Errc::non_canonical);       // str8 "abc"
  CHECK(code_of(decode_str(hex("da0003616263"))) == Errc::non_canonical);     // str16 "abc"
  CHECK(code_of(decode_bin(hex("c500020102"))) == Errc::non_canonical);       // bin16
  CHECK(code_of(decode_uints(hex("dc000101"))) == Errc::non_canonical);       // array16 [1]
  CHECK(code_of(decode_uints(hex("dd0000000101"))) == Errc::non_canonical);   // array32 [1]
}

TEST_CASE("codec: maps, ext, negative integers, floats and the wrong type are malformed") {
  CHECK(code_of(decode_uints(hex("80"))) == Errc::malformed);                 // empty map
  CHECK(code_of(decode_uints(hex("81a16101"))) == Errc::malformed);           // {"a":1}
  CHECK(code_of(decode_uint(hex("d40100"))) == Errc::malformed);              // fixext1
  CHECK(code_of(decode_uint(hex("ff"))) == Errc::malformed);                  // -1
  CHECK(code_of(decode_uint(hex("d0ff"))) == Errc::malformed);                // int8 -1
  CHECK(code_of(decode_uint(hex("ca3f800000"))) == Errc::malformed);          // float32 1.0
  CHECK(code_of(decode_uint(hex("cb3ff0000000000000"))) == Errc::malformed);  // float64 1.0
  CHECK(code_of(decode_uint(hex("c1"))) == Errc::malformed);                  // never used
  CHECK(code_of(decode_uint(hex("a131"))) == Errc::malformed);                // "1" not 1
  CHECK(code_of(decode_str(hex("c40161"))) == Errc::malformed);               // bin, not str
  CHECK(code_of(decode_bin(hex("a161"))) == Errc::malformed);                 // str, not bin
  CHECK(code_of(decode_uint(hex("c0"))) == Errc::malformed);                  // nil
  CHECK(code_of(decode_uint(hex("c3"))) == Errc::malformed);                  // bool
}

TEST_CASE("codec: strings must be UTF-8 without NUL, overlongs or surrogates") {
  auto str_bytes = [](std::string_view body_hex) {
    Bytes b = hex(body_hex);
    Bytes out(1 + b.size());
    out[0] = static_cast<std::uint8_t>(0xa0 | b.size());
    std::copy(b.begin(), b.end(), out.begin() + 1);  // not insert(): g++ 12 -O2 false -Warray-bounds
    return out;
  };
  // Accepted: ASCII, 2-, 3- and 4-byte sequences, the last code point.
  CHECK(decode_str(str_bytes("5a6fc3ab")).ok());      // "Zoë"
  CHECK(decode_str(str_bytes("e282ac")).ok());        // U+20AC
  CHECK(decode_str(str_bytes("f09d849e")).ok());      // U+1D11E
  CHECK(decode_str(str_bytes("f48fbfbf")).ok());      // U+10FFFF
  CHECK(decode_str(str_bytes("efbfbd")).ok());        // U+FFFD
  // Refused, each invalid_field.
  for (const char* bad : {"00", "610062", "c328", "ff", "fe", "80", "bf", "c0af", "c1bf",
                          "e080af", "f08080af", "eda080", "edbfbf", "f4908080", "f5808080",
                          "e282", "f09d84", "c3", "e228a1"}) {
    INFO(bad);
    CHECK(code_of(decode_str(str_bytes(bad))) == Errc::invalid_field);
  }
  CHECK(valid_utf8(""));
  CHECK_FALSE(valid_utf8(std::string_view("a\0b", 3)));
}

TEST_CASE("codec: errors name the field path") {
  // [1, "x"]: the second element is read as an integer.
  auto r = decode_uints(hex("9201a178"));
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == Errc::malformed);
  CHECK(r.error().detail.rfind("list[1]: ", 0) == 0);
}

TEST_CASE("codec: the signed wrapper is [bin body, bin(64) signature] and nothing else") {
  Signed s{Bytes{0x01, 0x02}, Signature{}};
  s.signature.fill(0xab);
  Bytes wire = encode_signed(s);
  CHECK(to_hex(wire).substr(0, 14) == "92c40201" "02c440");
  CHECK(decode_signed(wire, "x").value() == s);
  Bytes short_sig = hex("92c40101c43f" + std::string(63 * 2, 'a'));
  CHECK(code_of(decode_signed(short_sig, "x")) == Errc::invalid_field);
  Bytes three = hex("93c40101c440" + std::string(128, 'a') + "c0");
  CHECK(code_of(decode_signed(three, "x")) == Errc::too_large);
  Bytes bin16_body = hex("92c5000101c440" + std::string(128, 'a'));
  CHECK(code_of(decode_signed(bin16_body, "x")) == Errc::non_canonical);
}

TEST_CASE("codec: the example of the spec encodes as documented") {
  // docs/PROTOCOL.md §2.7: [1, "kent", true, nil, h'0102'].
  Writer w;
  w.array(5);
  w.uint(1);
  w.str("kent");
  w.boolean(true);
  w.nil();
  w.bin(Bytes{1, 2});
  CHECK(to_hex(w.take()) == "9501a46b656e74c3c0c4020102");
}
