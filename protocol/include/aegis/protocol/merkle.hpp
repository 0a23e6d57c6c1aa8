// The Merkle tree of the audit log (docs/PROTOCOL.md §15.1), exactly RFC 9162 §2.1: SHA-256,
// leaf hash SHA-256(0x00 || data), node hash SHA-256(0x01 || left || right), the tree head of n
// leaves, inclusion and consistency proofs and their verification (§2.1.3.2, §2.1.4.2).
// Pure: the caller hands in the leaf hashes (a span over what it stored), nothing is read here.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "aegis/protocol/bytes.hpp"

namespace aegis::protocol {

inline constexpr std::size_t kMerkleHashSize = 32;  // SHA-256
using MerkleHash = ByteArray<kMerkleHashSize>;
// A proof never holds more than 2 * 64 hashes (a tree of at most 2^64 leaves); verifiers refuse
// longer ones before hashing anything.
inline constexpr std::size_t kMaxProofHashes = 128;

// The leaf hashes of a tree, in leaf order: leaf i is leaves[i].
using LeafHashes = std::span<const MerkleHash>;

// SHA-256(0x00 || data).
MerkleHash merkle_leaf_hash(ByteView data);
// SHA-256(0x01 || left || right).
MerkleHash merkle_node_hash(const MerkleHash& left, const MerkleHash& right);
// MTH of the first `size` leaves (size <= leaves.size()); SHA-256("") for size 0.
MerkleHash merkle_root(LeafHashes leaves, std::uint64_t size);
inline MerkleHash merkle_root(LeafHashes leaves) { return merkle_root(leaves, leaves.size()); }

// PATH(index, D[0:size]): the inclusion proof of leaf `index` in the tree of the first `size`
// leaves. Requires index < size <= leaves.size().
std::vector<MerkleHash> inclusion_proof(LeafHashes leaves, std::uint64_t index, std::uint64_t size);
// PROOF(old_size, D[0:new_size]): the consistency proof between the trees of the first
// old_size and new_size leaves. Requires 0 < old_size <= new_size <= leaves.size() (empty when
// they are equal).
std::vector<MerkleHash> consistency_proof(LeafHashes leaves, std::uint64_t old_size,
                                          std::uint64_t new_size);

// RFC 9162 §2.1.3.2: true when `proof` shows the leaf hash `leaf` at `index` in the tree of
// `size` leaves whose root is `root`.
bool verify_inclusion(const MerkleHash& leaf, std::uint64_t index, std::uint64_t size,
                      std::span<const MerkleHash> proof, const MerkleHash& root) noexcept;
// RFC 9162 §2.1.4.2: true when `proof` shows that the tree (old_size, old_root) is a prefix of
// the tree (new_size, new_root). Equal sizes need an empty proof and equal roots; old_size 0
// (the empty tree is a prefix of every tree) needs an empty proof.
bool verify_consistency(std::uint64_t old_size, const MerkleHash& old_root, std::uint64_t new_size,
                        const MerkleHash& new_root, std::span<const MerkleHash> proof) noexcept;

// The right edge of a growing tree: one root per perfect subtree (at most 64), so appending a
// leaf and computing the root cost O(log n) hashes instead of rehashing every leaf.
class MerkleFrontier {
 public:
  void append(const MerkleHash& leaf);
  std::uint64_t size() const { return size_; }
  // MTH of every leaf appended, equal to merkle_root over them.
  MerkleHash root() const;
  // The perfect subtrees' roots, largest first (one per 1 bit of size()): what a store keeps.
  const std::vector<MerkleHash>& peaks() const { return peaks_; }
  // A frontier saved as (size(), peaks()); nullopt unless there is one peak per 1 bit of size.
  static std::optional<MerkleFrontier> restore(std::uint64_t size, std::vector<MerkleHash> peaks);

 private:
  std::vector<MerkleHash> peaks_;  // roots of the perfect subtrees, largest (leftmost) first
  std::uint64_t size_ = 0;
};

}  // namespace aegis::protocol
