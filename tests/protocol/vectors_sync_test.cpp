// Checks this implementation against the committed sync message and feed item vectors
// (protocol/vectors/{valid,invalid}_{sync,feed}.json, docs/PROTOCOL.md §11.4). The files are
// produced by tests/tools/gen_vectors_sync.cpp; this test only reads them, so a change of
// encoding fails here instead of silently rewriting the vectors.
#include <catch2/catch.hpp>

#include <optional>
#include <set>
#include <string>

#include "aegis/protocol/certificate.hpp"
#include "aegis/protocol/feed.hpp"
#include "aegis/protocol/sync.hpp"
#include "test_support.hpp"
#include "vector_json.hpp"

using namespace aegis::protocol;
using aegis::test::load_json;
using nlohmann::json;
using namespace aegis::test::vectors;

namespace {

const std::string kDir = AEGIS_VECTORS_DIR;

std::vector<Bytes> list_of(const json& j) {
  std::vector<Bytes> out;
  for (const json& b : j) out.push_back(bytes_of(b));
  return out;
}

// The message a valid case's `type` and `fields` describe, built from the JSON alone.
Message message_of(const json& c) {
  const std::string type = c.at("type").get<std::string>();
  const json& f = c.at("fields");
  auto u = [&](const char* k) { return f.at(k).get<std::uint64_t>(); };
  auto s = [&](const char* k) { return f.at(k).get<std::string>(); };
  if (type == "hello") return Hello{s("authority_id"), u("feed_seq")};
  if (type == "welcome") return Welcome{u("applied_seq"), array_of<kHashSize>(f.at("applied_hash_hex"))};
  if (type == "push") return Push{list_of(f.at("envelopes_hex"))};
  if (type == "ack") return Ack{u("applied_seq"), array_of<kHashSize>(f.at("applied_hash_hex"))};
  if (type == "reject") return Reject{u("seq"), s("code"), s("detail")};
  if (type == "feed_batch") return FeedBatch{list_of(f.at("items_hex"))};
  if (type == "feed_ack") return FeedAck{u("feed_seq")};
  if (type == "ping") return Ping{u("nonce")};
  if (type == "pong") return Pong{u("nonce")};
  if (type == "refused") return Refused{s("code"), s("detail")};
  FAIL("unknown type " << type);
  return Ping{};
}


void check_valid_feed(const Trust& trust, const json& c) {
  const json& expect = c.at("expect");
  const Bytes wire = bytes_of(c.at("wire_hex"));
  auto wrapper = decode_signed(wire, "feed_item");
  REQUIRE(wrapper.ok());
  CHECK(encode_signed(*wrapper) == wire);
  CHECK(wrapper->body == bytes_of(c.at("body_hex")));
  auto f = decode_feed_item_body(wrapper->body);
  REQUIRE(f.ok());
  CHECK(encode_feed_item_body(*f) == wrapper->body);

  const Certificate* signer = trust.by_serial(f->signer_serial);
  REQUIRE(signer != nullptr);
  CHECK(verify_signature(signer->sign_key, kDomainFeed, wrapper->body, wrapper->signature));
  CHECK(to_hex(feed_item_hash(wire)) == expect.at("hash_hex").get<std::string>());

  CHECK(f->version == expect.at("version").get<std::uint64_t>());
  CHECK(f->authority_id == expect.at("authority_id").get<std::string>());
  CHECK(f->seq == expect.at("seq").get<std::uint64_t>());
  CHECK(to_hex(f->prev_hash) == expect.at("prev_hash_hex").get<std::string>());
  CHECK(f->timestamp_ms == expect.at("timestamp_ms").get<std::uint64_t>());
  CHECK(f->signer_serial == expect.at("signer_serial").get<std::uint64_t>());
  if (expect.at("kind") == "applied") {
    CHECK(f->kind == FeedKind::applied);
    CHECK(f->applied_seq == expect.at("applied_seq").get<std::uint64_t>());
    CHECK(to_hex(f->applied_hash) == expect.at("applied_hash_hex").get<std::string>());
  } else if (expect.at("kind") == "elsewhere") {
    REQUIRE(f->kind == FeedKind::elsewhere);
    const ElsewhereLink& e = f->elsewhere;
    CHECK(e.record_id == expect.at("record_id").get<std::string>());
    CHECK(e.national_id == expect.at("national_id").get<std::string>());
    CHECK(e.other_authority_id == expect.at("other_authority_id").get<std::string>());
    CHECK(e.other_record_id == expect.at("other_record_id").get<std::string>());
    const std::string state = expect.at("state").get<std::string>();
    CHECK(static_cast<int>(e.state) == (state == "unlinked" ? 0 : state == "linked" ? 1 : 2));
    if (expect.at("details_hex").is_null()) {
      CHECK_FALSE(e.details);
    } else {
      auto details = decode_child_details(bytes_of(expect.at("details_hex")));
      REQUIRE(details.ok());
      REQUIRE(e.details);
      CHECK(*e.details == *details);
      CHECK(*e.details == details_for_elsewhere(*e.details));  // nothing it may not share
    }
  } else if (expect.at("kind") == "audit_checkpoint") {
    REQUIRE(f->kind == FeedKind::audit_checkpoint);
    const CheckpointNotice& n = f->checkpoint_notice;
    CHECK(to_hex(n.checkpoint) == expect.at("checkpoint_hex").get<std::string>());
    CHECK(n.from_size == expect.at("from_size").get<std::uint64_t>());
    const auto& proof = expect.at("proof_hex");
    REQUIRE(n.proof.size() == proof.size());
    for (std::size_t i = 0; i < proof.size(); ++i)
      CHECK(to_hex(n.proof[i]) == proof[i].get<std::string>());
  } else {
    CHECK(expect.at("kind") == "national_id");
    CHECK(f->kind == FeedKind::national_id);
    const auto& ids = expect.at("national_ids");
    REQUIRE(f->national_ids.size() == ids.size());
    for (std::size_t i = 0; i < ids.size(); ++i) {
      CHECK(f->national_ids[i].record_id == ids[i].at(0).get<std::string>());
      CHECK(f->national_ids[i].national_id == ids[i].at(1).get<std::string>());
    }
  }

  auto v = verify_feed_item(wire, trust, c.at("authority_id").get<std::string>(),
                            chain_of(c.at("chain")), c.at("now_ms").get<std::uint64_t>());
  REQUIRE(v.ok());
  CHECK(to_hex(v->hash) == expect.at("hash_hex").get<std::string>());
}

}  // namespace

TEST_CASE("vectors: every valid sync message decodes to its fields and re-encodes byte-equal") {
  const json file = load_json(kDir + "/valid_sync.json");
  std::set<std::string> types;
  for (const json& c : file.at("cases")) {
    INFO(c.at("name").get<std::string>());
    const Bytes bytes = bytes_of(c.at("message_hex"));
    auto m = decode_message(bytes);
    REQUIRE(m.ok());
    CHECK(*m == message_of(c));
    CHECK(encode_message(*m) == bytes);
    CHECK(message_name(*m) == c.at("type").get<std::string>());
    CHECK(m->index() + 1 == c.at("type_code").get<std::size_t>());
    types.insert(c.at("type").get<std::string>());
  }
  CHECK(types.size() == 10);  // every message type
}

TEST_CASE("vectors: the sample Push and FeedBatch carry the valid envelope and feed vectors") {
  const json sync = load_json(kDir + "/valid_sync.json");
  const json envelopes = load_json(kDir + "/valid_envelope.json");
  const json feed = load_json(kDir + "/valid_feed.json");
  const json& push = sync.at("cases").at(4);
  REQUIRE(push.at("type") == "push");
  const json& batch = sync.at("cases").at(11);
  REQUIRE(batch.at("type") == "feed_batch");
  for (std::size_t i = 0; i < 3; ++i) {
    CHECK(push.at("fields").at("envelopes_hex").at(i) == envelopes.at("cases").at(i).at("wire_hex"));
    CHECK(batch.at("fields").at("items_hex").at(i) == feed.at("cases").at(i).at("wire_hex"));
  }
}

TEST_CASE("vectors: every invalid sync message fails with exactly the named error") {
  const json file = load_json(kDir + "/invalid_sync.json");
  std::set<std::string> seen;
  for (const json& c : file.at("cases")) {
    INFO(c.at("name").get<std::string>());
    auto m = decode_message(bytes_of(c.at("message_hex")));
    REQUIRE_FALSE(m.ok());
    INFO(m.error().message());
    CHECK(errc_name(m.error().code) == c.at("error").get<std::string>());
    seen.insert(c.at("error").get<std::string>());
  }
  for (const char* code : {"truncated", "trailing_bytes", "malformed", "non_canonical",
                           "unknown_version", "too_large", "invalid_field"}) {
    INFO(code);
    CHECK(seen.count(code) == 1);
  }
}

TEST_CASE("vectors: every valid feed item decodes, re-encodes, verifies and chains") {
  const json file = load_json(kDir + "/valid_feed.json");
  const Trust trust = trust_of(file);
  REQUIRE(file.at("cases").size() >= 8);
  Hash previous{};
  std::set<std::string> kinds, states;
  std::optional<Checkpoint> held;  // kent's, through its audit_checkpoint items
  for (const json& c : file.at("cases")) {
    INFO(c.at("name").get<std::string>());
    check_valid_feed(trust, c);
    const json& expect = c.at("expect");
    kinds.insert(expect.at("kind").get<std::string>() + " v" +
                 std::to_string(expect.at("version").get<std::uint64_t>()));
    if (expect.contains("state")) states.insert(expect.at("state").get<std::string>());
    if (expect.at("kind") == "audit_checkpoint") {
      auto notice = decode_checkpoint_notice(encode_checkpoint_notice(
          CheckpointNotice{bytes_of(expect.at("checkpoint_hex")),
                           expect.at("from_size").get<std::uint64_t>(), {}}));
      REQUIRE(notice.ok());
      for (const json& h : expect.at("proof_hex")) notice->proof.push_back(array_of<kMerkleHashSize>(h));
      auto accepted = accept_checkpoint_notice(*notice, held, trust, c.at("now_ms").get<std::uint64_t>());
      REQUIRE(accepted.ok());
      held = *accepted;
    }
    const ChainState chain = chain_of(c.at("chain"));
    if (chain.last_seq > 0) CHECK(chain.last_hash == previous);
    previous = array_of<kHashSize>(c.at("expect").at("hash_hex"));
  }
  // Every version stays covered: version 2 items remain valid after versions 3 and 4.
  CHECK(kinds == std::set<std::string>{"applied v2", "national_id v2", "national_id v3",
                                       "elsewhere v3", "audit_checkpoint v4"});
  REQUIRE(held);
  CHECK(held->tree_size == 5);
  CHECK(states == std::set<std::string>{"unlinked", "linked", "shielded"});
}

TEST_CASE("vectors: every invalid feed item fails with exactly the named error") {
  const json file = load_json(kDir + "/invalid_feed.json");
  const Trust trust = trust_of(file);
  std::set<std::string> seen;
  for (const json& c : file.at("cases")) {
    INFO(c.at("name").get<std::string>());
    auto v = verify_feed_item(bytes_of(c.at("wire_hex")), trust,
                              c.at("authority_id").get<std::string>(), chain_of(c.at("chain")),
                              c.at("now_ms").get<std::uint64_t>());
    REQUIRE_FALSE(v.ok());
    INFO(v.error().message());
    CHECK(errc_name(v.error().code) == c.at("error").get<std::string>());
    seen.insert(c.at("error").get<std::string>());
  }
  // Every code verify_feed_item can return is covered by at least one vector.
  for (const char* code : {"truncated", "trailing_bytes", "malformed", "non_canonical",
                           "unknown_version", "too_large", "invalid_field", "unknown_signer",
                           "wrong_role", "revoked_signer", "expired_signer", "bad_signature",
                           "replayed", "out_of_order", "broken_chain"}) {
    INFO(code);
    CHECK(seen.count(code) == 1);
  }
}
