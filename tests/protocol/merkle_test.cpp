// The audit log's Merkle tree (protocol/merkle.hpp, RFC 9162 §2.1): the committed vectors of
// the independent Python reference (tests/tools/merkle_reference.py), every inclusion and
// consistency proof of every tree up to 64 leaves verified, and every tampered proof refused.
#include <catch2/catch.hpp>

#include <cstdint>
#include <string>
#include <vector>

#include "aegis/protocol/merkle.hpp"
#include "vector_json.hpp"

using namespace aegis::protocol;
using namespace aegis::test::vectors;

namespace {

constexpr std::uint64_t kMaxLeaves = 64;

std::vector<MerkleHash> test_leaves(std::uint64_t n) {
  std::vector<MerkleHash> out;
  for (std::uint64_t i = 0; i < n; ++i) out.push_back(merkle_leaf_hash(view("leaf " + std::to_string(i))));
  return out;
}

std::vector<MerkleHash> hashes_of(const json& list) {
  std::vector<MerkleHash> out;
  for (const json& h : list) out.push_back(array_of<kMerkleHashSize>(h));
  return out;
}

// Every way of spoiling one proof: each hash with one bit flipped, one hash dropped at either
// end, one hash added, two hashes swapped.
std::vector<std::vector<MerkleHash>> tampered(const std::vector<MerkleHash>& proof) {
  std::vector<std::vector<MerkleHash>> out;
  for (std::size_t i = 0; i < proof.size(); ++i) {
    auto p = proof;
    p[i][i % kMerkleHashSize] ^= 0x01;
    out.push_back(p);
  }
  if (!proof.empty()) {
    out.emplace_back(proof.begin() + 1, proof.end());
    out.emplace_back(proof.begin(), proof.end() - 1);
  }
  auto longer = proof;
  longer.push_back(merkle_leaf_hash(view(std::string("extra"))));
  out.push_back(longer);
  for (std::size_t i = 0; i + 1 < proof.size(); ++i)
    if (proof[i] != proof[i + 1]) {
      auto p = proof;
      std::swap(p[i], p[i + 1]);
      out.push_back(p);
    }
  return out;
}

}  // namespace

TEST_CASE("merkle: the hashes are RFC 9162's, with distinct leaf and node prefixes") {
  // SHA-256("") and SHA-256(0x00): the empty tree and the leaf of empty data.
  CHECK(to_hex(merkle_root({}, 0)) ==
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(to_hex(merkle_leaf_hash({})) ==
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d");
  const MerkleHash a = merkle_leaf_hash(view(std::string("a")));
  const MerkleHash b = merkle_leaf_hash(view(std::string("b")));
  CHECK(merkle_node_hash(a, b) != merkle_node_hash(b, a));
  // A node can never pass for a leaf of the concatenated children.
  Bytes concat(a.begin(), a.end());
  concat.insert(concat.end(), b.begin(), b.end());
  CHECK(merkle_leaf_hash(concat) != merkle_node_hash(a, b));
}

TEST_CASE("merkle: agrees with the Python reference vectors") {
  const json doc = load("valid_merkle.json");
  std::vector<MerkleHash> leaves;
  const json& data = doc.at("leaves_hex");
  for (std::size_t i = 0; i < data.size(); ++i) {
    leaves.push_back(merkle_leaf_hash(bytes_of(data[i])));
    CHECK(to_hex(leaves.back()) == doc.at("leaf_hashes_hex")[i].get<std::string>());
  }
  for (const json& r : doc.at("roots")) {
    const auto size = r.at("size").get<std::uint64_t>();
    CHECK(to_hex(merkle_root(leaves, size)) == r.at("root_hex").get<std::string>());
  }
  // The 8-leaf tree of the Certificate Transparency reference tests, an anchor outside aegis.
  CHECK(to_hex(merkle_root(leaves, 8)) ==
        "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328");
  for (const json& c : doc.at("inclusion")) {
    const auto index = c.at("index").get<std::uint64_t>();
    const auto size = c.at("size").get<std::uint64_t>();
    const auto expected = hashes_of(c.at("proof_hex"));
    INFO("inclusion of " << index << " in " << size);
    CHECK(inclusion_proof(leaves, index, size) == expected);
    CHECK(verify_inclusion(leaves[index], index, size, expected, merkle_root(leaves, size)));
  }
  for (const json& c : doc.at("consistency")) {
    const auto m = c.at("old_size").get<std::uint64_t>();
    const auto n = c.at("new_size").get<std::uint64_t>();
    const auto expected = hashes_of(c.at("proof_hex"));
    INFO("consistency " << m << " -> " << n);
    CHECK(consistency_proof(leaves, m, n) == expected);
    CHECK(verify_consistency(m, merkle_root(leaves, m), n, merkle_root(leaves, n), expected));
  }
}

TEST_CASE("merkle: every inclusion proof up to 64 leaves verifies, every tampered one fails") {
  const auto leaves = test_leaves(kMaxLeaves);
  std::size_t refused = 0;
  for (std::uint64_t n = 1; n <= kMaxLeaves; ++n) {
    const MerkleHash root = merkle_root(leaves, n);
    const MerkleHash other_root = merkle_root(leaves, n - 1);
    for (std::uint64_t m = 0; m < n; ++m) {
      INFO("leaf " << m << " of " << n);
      const auto proof = inclusion_proof(leaves, m, n);
      REQUIRE(verify_inclusion(leaves[m], m, n, proof, root));
      // Another leaf, another index, another size, another root, a tampered proof.
      CHECK_FALSE(verify_inclusion(leaves[(m + 1) % kMaxLeaves], m, n, proof, root));
      if (n > 1) CHECK_FALSE(verify_inclusion(leaves[m], (m + 1) % n, n, proof, root));
      // (The same proof with size n + 1 is accepted by RFC 9162's algorithm for some sizes: the
      // size comes from a signed checkpoint, never from the proof's supplier.)
      CHECK_FALSE(verify_inclusion(leaves[m], n, n, proof, root));
      CHECK_FALSE(verify_inclusion(leaves[m], m, n, proof, other_root));
      for (const auto& bad : tampered(proof)) {
        CHECK_FALSE(verify_inclusion(leaves[m], m, n, bad, root));
        ++refused;
      }
    }
  }
  CHECK(refused > 10000);
}

TEST_CASE("merkle: every consistency proof up to 64 leaves verifies, every tampered one fails") {
  const auto leaves = test_leaves(kMaxLeaves + 1);
  std::vector<MerkleHash> roots;
  for (std::uint64_t n = 0; n <= kMaxLeaves; ++n) roots.push_back(merkle_root(leaves, n));
  // A forked history: the same sizes, leaf 0 replaced.
  auto forked = leaves;
  forked[0] = merkle_leaf_hash(view(std::string("rewritten")));
  for (std::uint64_t n = 1; n <= kMaxLeaves; ++n) {
    for (std::uint64_t m = 1; m <= n; ++m) {
      INFO("consistency " << m << " -> " << n);
      const auto proof = consistency_proof(leaves, m, n);
      REQUIRE(verify_consistency(m, roots[m], n, roots[n], proof));
      // The proof of a forked log never links the honest old root to its new root.
      CHECK_FALSE(verify_consistency(m, roots[m], n, merkle_root(forked, n),
                                     consistency_proof(forked, m, n)));
      if (m == n) {
        CHECK(proof.empty());
        CHECK_FALSE(verify_consistency(m, roots[m], n, roots[m - 1], proof));
        continue;
      }
      CHECK_FALSE(verify_consistency(m, roots[m], n, roots[n - 1], proof));
      CHECK_FALSE(verify_consistency(m, roots[m - 1], n, roots[n], proof));
      // (Not checked: the same proof with new size n + 1. RFC 9162's algorithm accepts it for
      // some sizes — the Python reference does too — since sizes are bound by the signed
      // checkpoints, not by the proof.)
      CHECK_FALSE(verify_consistency(n, roots[n], m, roots[m], proof));
      for (const auto& bad : tampered(proof)) CHECK_FALSE(verify_consistency(m, roots[m], n, roots[n], bad));
    }
  }
}

TEST_CASE("merkle: proofs that cannot exist are refused") {
  const auto leaves = test_leaves(8);
  const MerkleHash root = merkle_root(leaves, 8);
  CHECK_FALSE(verify_inclusion(leaves[0], 0, 0, {}, merkle_root(leaves, 0)));
  CHECK_FALSE(verify_inclusion(leaves[0], 8, 8, inclusion_proof(leaves, 7, 8), root));
  // A one-leaf tree: the leaf is the root and the proof is empty.
  CHECK(verify_inclusion(leaves[0], 0, 1, {}, leaves[0]));
  CHECK_FALSE(verify_inclusion(leaves[0], 0, 1, std::vector<MerkleHash>{leaves[1]}, leaves[0]));
  // An over-long proof is refused before any hashing.
  const std::vector<MerkleHash> huge(kMaxProofHashes + 1, leaves[0]);
  CHECK_FALSE(verify_inclusion(leaves[0], 0, 8, huge, root));
  CHECK_FALSE(verify_consistency(4, merkle_root(leaves, 4), 8, root, huge));
  // The empty tree is a prefix of every tree, with an empty proof only.
  CHECK(verify_consistency(0, merkle_root(leaves, 0), 8, root, {}));
  CHECK_FALSE(verify_consistency(0, merkle_root(leaves, 0), 8, root, std::vector<MerkleHash>{root}));
  // Equal sizes: equal roots and no proof.
  CHECK(verify_consistency(8, root, 8, root, {}));
  CHECK_FALSE(verify_consistency(8, root, 8, root, std::vector<MerkleHash>{root}));
  // Shrinking is never consistent; a non-empty proof is required between different sizes.
  CHECK_FALSE(verify_consistency(8, root, 4, merkle_root(leaves, 4), {}));
  CHECK_FALSE(verify_consistency(3, merkle_root(leaves, 3), 8, root, {}));
}

TEST_CASE("merkle: the frontier's root equals the tree head after every append") {
  const auto leaves = test_leaves(kMaxLeaves * 2 + 3);
  MerkleFrontier frontier;
  CHECK(frontier.root() == merkle_root(leaves, 0));
  for (std::uint64_t n = 1; n <= leaves.size(); ++n) {
    frontier.append(leaves[n - 1]);
    REQUIRE(frontier.size() == n);
    REQUIRE(frontier.root() == merkle_root(leaves, n));
  }
}

TEST_CASE("merkle: a frontier restored from its peaks goes on as the original") {
  const auto leaves = test_leaves(40);
  MerkleFrontier f;
  for (std::size_t i = 0; i < 21; ++i) f.append(leaves[i]);
  auto restored = MerkleFrontier::restore(f.size(), f.peaks());
  REQUIRE(restored.has_value());
  for (std::size_t i = 21; i < leaves.size(); ++i) restored->append(leaves[i]);
  CHECK(restored->root() == merkle_root(leaves));
  // One peak per 1 bit of the size: 21 = 10101b has three.
  CHECK_FALSE(MerkleFrontier::restore(21, {leaves[0], leaves[1]}).has_value());
  CHECK_FALSE(MerkleFrontier::restore(20, f.peaks()).has_value());
  CHECK(MerkleFrontier::restore(0, {}).has_value());
}
