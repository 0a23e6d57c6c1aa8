// Checks this implementation against the committed query vectors
// (protocol/vectors/{valid,invalid}_query.json, docs/PROTOCOL.md §16.7), written by
// tests/tools/gen_vectors_query.cpp: every valid case decodes to its `expect` and re-encodes
// byte-equal; every invalid case fails with exactly its `error`.
#include <catch2/catch.hpp>

#include <string>

#include "aegis/protocol/feed.hpp"
#include "aegis/protocol/query.hpp"
#include "aegis/protocol/signed.hpp"
#include "query_vectors.hpp"
#include "vector_json.hpp"

using namespace aegis::protocol;
using namespace aegis::test::query_vectors;
using aegis::test::vectors::bytes_of;
using aegis::test::vectors::load;
using aegis::test::vectors::trust_of;

namespace {

// The case's value as JSON and its canonical re-encoding, or the error.
struct Decoded {
  std::optional<Error> error;
  json expect;
  Bytes again;
};

Decoded decode(const std::string& object, const Bytes& bytes, const Trust& trust,
               std::uint64_t now_ms) {
  Decoded out;
  auto take = [&](auto&& result, auto&& to_json, auto&& encode) {
    if (!result) {
      out.error = result.error();
      return;
    }
    out.expect = to_json(*result);
    out.again = encode(*result);
  };
  if (object == "query_wire") {
    take(verify_query(bytes, trust, now_ms), query_json, [&](const Query&) {
      return encode_signed(*decode_signed(bytes, "query"));
    });
  } else if (object == "override_wire") {
    take(verify_override(bytes, trust, now_ms), override_json, [&](const OverrideRequest&) {
      return encode_signed(*decode_signed(bytes, "override"));
    });
  } else if (object == "answer") {
    take(decode_answer(bytes), answer_json, encode_answer);
  } else if (object == "override_answer") {
    take(decode_override_answer(bytes), override_answer_json, encode_override_answer);
  } else if (object == "query_message") {
    take(decode_query_message(bytes), message_json, encode_query_message);
  } else if (object == "feed_item_body") {
    take(decode_feed_item_body(bytes), notice_json, encode_feed_item_body);
  } else {
    FAIL("unknown object " << object);
  }
  return out;
}

}  // namespace

TEST_CASE("vectors: every valid query case decodes to its fields and re-encodes byte-equal",
          "[query]") {
  const nlohmann::json file = load("valid_query.json");
  const Trust trust = trust_of(file);
  const std::uint64_t now_ms = file.at("now_ms").get<std::uint64_t>();
  REQUIRE(file.at("cases").size() >= 10);
  for (const nlohmann::json& c : file.at("cases")) {
    INFO(c.at("name").get<std::string>());
    const Bytes bytes = bytes_of(c.at("hex"));
    Decoded d = decode(c.at("object").get<std::string>(), bytes, trust, now_ms);
    REQUIRE_FALSE(d.error.has_value());
    CHECK(nlohmann::json::parse(d.expect.dump()) == c.at("expect"));
    CHECK(d.again == bytes);
  }
}

TEST_CASE("vectors: every invalid query case fails with exactly the named error", "[query]") {
  const nlohmann::json file = load("invalid_query.json");
  const Trust trust = trust_of(file);
  const std::uint64_t now_ms = file.at("now_ms").get<std::uint64_t>();
  REQUIRE(file.at("cases").size() >= 20);
  for (const nlohmann::json& c : file.at("cases")) {
    INFO(c.at("name").get<std::string>());
    Decoded d = decode(c.at("object").get<std::string>(), bytes_of(c.at("hex")), trust, now_ms);
    REQUIRE(d.error.has_value());
    CHECK(errc_name(d.error->code) == c.at("error").get<std::string>());
  }
}
