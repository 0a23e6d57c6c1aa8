// Checks the committed audit vectors (protocol/vectors/valid_audit.json, invalid_audit.json;
// docs/PROTOCOL.md §11.5) case by case: entries decode to the listed fields and re-encode
// byte-equal with the listed leaf hash, the tree heads and proofs are those of the entries,
// checkpoints verify against the trust of valid_feed.json, and every invalid case fails with
// exactly its code.
#include <catch2/catch.hpp>

#include <cstdint>
#include <string>
#include <vector>

#include "aegis/protocol/audit.hpp"
#include "vector_json.hpp"

using namespace aegis::protocol;
using namespace aegis::test::vectors;

namespace {

std::vector<MerkleHash> hashes_of(const json& list) {
  std::vector<MerkleHash> out;
  for (const json& h : list) out.push_back(array_of<kMerkleHashSize>(h));
  return out;
}

}  // namespace

TEST_CASE("vectors: valid audit entries, tree heads, proofs and checkpoints") {
  const json doc = load("valid_audit.json");
  const Trust trust = trust_of(load("valid_feed.json"));
  std::vector<MerkleHash> leaves;
  for (const json& c : doc.at("entries")) {
    INFO(c.at("name").get<std::string>());
    const Bytes bytes = bytes_of(c.at("entry_hex"));
    auto e = decode_audit_entry(bytes);
    REQUIRE(e.ok());
    CHECK(encode_audit_entry(*e) == bytes);
    leaves.push_back(audit_leaf_hash(bytes));
    CHECK(to_hex(leaves.back()) == c.at("leaf_hash_hex").get<std::string>());
    CHECK(e->timestamp_ms == c.at("timestamp_ms").get<std::uint64_t>());
    CHECK(static_cast<int>(e->action) == c.at("action").get<int>());
    CHECK(audit_action_name(e->action) == c.at("action_name").get<std::string>());
    CHECK(e->actor == c.at("actor").get<std::string>());
    CHECK(e->authority_id.has_value() == !c.at("authority_id").is_null());
    if (e->authority_id) CHECK(*e->authority_id == c.at("authority_id").get<std::string>());
    CHECK(e->purpose == c.at("purpose").get<std::string>());
    REQUIRE(e->records.size() == c.at("records").size());
    for (std::size_t i = 0; i < e->records.size(); ++i) {
      CHECK(e->records[i].authority_id == c.at("records")[i][0].get<std::string>());
      CHECK(e->records[i].record_id == c.at("records")[i][1].get<std::string>());
    }
    CHECK(e->query_digest.has_value() == !c.at("query_digest_hex").is_null());
    if (e->query_digest) CHECK(to_hex(*e->query_digest) == c.at("query_digest_hex").get<std::string>());
    CHECK(e->detail == c.at("detail").get<std::string>());
  }
  for (const json& r : doc.at("roots"))
    CHECK(to_hex(merkle_root(leaves, r.at("size").get<std::uint64_t>())) ==
          r.at("root_hex").get<std::string>());
  for (const json& c : doc.at("checkpoints")) {
    INFO(c.at("name").get<std::string>());
    const Bytes wire = bytes_of(c.at("checkpoint_hex"));
    auto cp = verify_checkpoint(wire, trust, c.at("now_ms").get<std::uint64_t>());
    REQUIRE(cp.ok());
    CHECK(encode_checkpoint_body(*cp) == bytes_of(c.at("body_hex")));
    CHECK(cp->tree_size == c.at("tree_size").get<std::uint64_t>());
    CHECK(to_hex(cp->root_hash) == c.at("root_hex").get<std::string>());
    CHECK(cp->root_hash == merkle_root(leaves, cp->tree_size));
    CHECK(cp->timestamp_ms == c.at("timestamp_ms").get<std::uint64_t>());
    CHECK(cp->signer_serial == c.at("signer_serial").get<std::uint64_t>());
  }
  const json& inc = doc.at("inclusion");
  const auto index = inc.at("index").get<std::uint64_t>();
  const auto size = inc.at("size").get<std::uint64_t>();
  CHECK(inclusion_proof(leaves, index, size) == hashes_of(inc.at("proof_hex")));
  CHECK(verify_inclusion(leaves[index], index, size, hashes_of(inc.at("proof_hex")),
                         merkle_root(leaves, size)));
  const json& con = doc.at("consistency");
  const auto m = con.at("old_size").get<std::uint64_t>();
  const auto n = con.at("new_size").get<std::uint64_t>();
  CHECK(consistency_proof(leaves, m, n) == hashes_of(con.at("proof_hex")));
  CHECK(verify_consistency(m, merkle_root(leaves, m), n, merkle_root(leaves, n),
                           hashes_of(con.at("proof_hex"))));
}

TEST_CASE("vectors: invalid audit entries and checkpoints fail with their code") {
  const json doc = load("invalid_audit.json");
  const Trust trust = trust_of(load("valid_feed.json"));
  std::size_t cases = 0;
  for (const json& c : doc.at("entries")) {
    INFO(c.at("name").get<std::string>());
    auto e = decode_audit_entry(bytes_of(c.at("entry_hex")));
    REQUIRE_FALSE(e.ok());
    CHECK(errc_name(e.error().code) == c.at("error").get<std::string>());
    CHECK(e.error().detail.rfind(c.at("path").get<std::string>(), 0) == 0);
    ++cases;
  }
  for (const json& c : doc.at("checkpoints")) {
    INFO(c.at("name").get<std::string>());
    auto cp = verify_checkpoint(bytes_of(c.at("checkpoint_hex")), trust,
                                c.at("now_ms").get<std::uint64_t>());
    REQUIRE_FALSE(cp.ok());
    CHECK(errc_name(cp.error().code) == c.at("error").get<std::string>());
    ++cases;
  }
  CHECK(cases >= 25);
}
