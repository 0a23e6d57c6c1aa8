// RFC 9162 §2.1 Merkle tree hashing, proofs and proof verification (see merkle.hpp). The proof
// builders follow the RFC's recursive definitions (PATH, SUBPROOF) over leaf ranges; the
// verifiers are the RFC's iterative algorithms, step by step.
#include "aegis/protocol/merkle.hpp"

#include <bit>
#include <cassert>

#include <sodium.h>

namespace aegis::protocol {

namespace {

inline constexpr std::uint8_t kLeafPrefix = 0x00;
inline constexpr std::uint8_t kNodePrefix = 0x01;

// The largest power of two smaller than n (n >= 2): the size of the left subtree.
std::uint64_t split_point(std::uint64_t n) { return std::bit_floor(n - 1); }

// MTH(D[begin:end]).
MerkleHash range_root(LeafHashes leaves, std::uint64_t begin, std::uint64_t end) {
  const std::uint64_t n = end - begin;
  if (n == 1) return leaves[begin];
  const std::uint64_t k = split_point(n);
  return merkle_node_hash(range_root(leaves, begin, begin + k), range_root(leaves, begin + k, end));
}

// PATH(index, D[begin:end]), index relative to begin.
void path(LeafHashes leaves, std::uint64_t index, std::uint64_t begin, std::uint64_t end,
          std::vector<MerkleHash>& out) {
  const std::uint64_t n = end - begin;
  if (n == 1) return;
  const std::uint64_t k = split_point(n);
  if (index < k) {
    path(leaves, index, begin, begin + k, out);
    out.push_back(range_root(leaves, begin + k, end));
  } else {
    path(leaves, index - k, begin + k, end, out);
    out.push_back(range_root(leaves, begin, begin + k));
  }
}

// SUBPROOF(m, D[begin:end], whole), m relative to begin.
void subproof(LeafHashes leaves, std::uint64_t m, std::uint64_t begin, std::uint64_t end,
              bool whole, std::vector<MerkleHash>& out) {
  const std::uint64_t n = end - begin;
  if (m == n) {
    if (!whole) out.push_back(range_root(leaves, begin, end));
    return;
  }
  const std::uint64_t k = split_point(n);
  if (m <= k) {
    subproof(leaves, m, begin, begin + k, whole, out);
    out.push_back(range_root(leaves, begin + k, end));
  } else {
    subproof(leaves, m - k, begin + k, end, false, out);
    out.push_back(range_root(leaves, begin, begin + k));
  }
}

bool lsb(std::uint64_t v) { return (v & 1u) != 0; }

}  // namespace

MerkleHash merkle_leaf_hash(ByteView data) {
  MerkleHash h{};
  crypto_hash_sha256_state st;
  crypto_hash_sha256_init(&st);
  crypto_hash_sha256_update(&st, &kLeafPrefix, 1);
  crypto_hash_sha256_update(&st, data.data(), data.size());
  crypto_hash_sha256_final(&st, h.data());
  return h;
}

MerkleHash merkle_node_hash(const MerkleHash& left, const MerkleHash& right) {
  MerkleHash h{};
  crypto_hash_sha256_state st;
  crypto_hash_sha256_init(&st);
  crypto_hash_sha256_update(&st, &kNodePrefix, 1);
  crypto_hash_sha256_update(&st, left.data(), left.size());
  crypto_hash_sha256_update(&st, right.data(), right.size());
  crypto_hash_sha256_final(&st, h.data());
  return h;
}

MerkleHash merkle_root(LeafHashes leaves, std::uint64_t size) {
  assert(size <= leaves.size());
  if (size == 0) {
    MerkleHash h{};
    crypto_hash_sha256(h.data(), nullptr, 0);
    return h;
  }
  return range_root(leaves, 0, size);
}

std::vector<MerkleHash> inclusion_proof(LeafHashes leaves, std::uint64_t index,
                                        std::uint64_t size) {
  assert(index < size && size <= leaves.size());
  std::vector<MerkleHash> out;
  path(leaves, index, 0, size, out);
  return out;
}

std::vector<MerkleHash> consistency_proof(LeafHashes leaves, std::uint64_t old_size,
                                          std::uint64_t new_size) {
  assert(old_size > 0 && old_size <= new_size && new_size <= leaves.size());
  std::vector<MerkleHash> out;
  subproof(leaves, old_size, 0, new_size, true, out);
  return out;
}

bool verify_inclusion(const MerkleHash& leaf, std::uint64_t index, std::uint64_t size,
                      std::span<const MerkleHash> proof, const MerkleHash& root) noexcept {
  // Step 1.
  if (index >= size || proof.size() > kMaxProofHashes) return false;
  // Step 2.
  std::uint64_t fn = index;
  std::uint64_t sn = size - 1;
  MerkleHash r = leaf;
  // Step 3.
  for (const MerkleHash& p : proof) {
    if (sn == 0) return false;
    if (lsb(fn) || fn == sn) {
      r = merkle_node_hash(p, r);
      while (!lsb(fn) && fn != 0) {
        fn >>= 1;
        sn >>= 1;
      }
    } else {
      r = merkle_node_hash(r, p);
    }
    fn >>= 1;
    sn >>= 1;
  }
  // Step 4.
  return sn == 0 && sodium_memcmp(r.data(), root.data(), r.size()) == 0;
}

bool verify_consistency(std::uint64_t old_size, const MerkleHash& old_root, std::uint64_t new_size,
                        const MerkleHash& new_root, std::span<const MerkleHash> proof) noexcept {
  if (old_size > new_size || proof.size() > kMaxProofHashes) return false;
  if (old_size == new_size)
    return proof.empty() && sodium_memcmp(old_root.data(), new_root.data(), old_root.size()) == 0;
  if (old_size == 0) return proof.empty();
  // Step 1.
  if (proof.empty()) return false;
  // Step 2: a power-of-two old tree is itself a node of the new one, so the proof omits it.
  std::vector<MerkleHash> path;
  path.reserve(proof.size() + 1);
  if (std::has_single_bit(old_size)) path.push_back(old_root);
  path.insert(path.end(), proof.begin(), proof.end());
  // Step 3.
  std::uint64_t fn = old_size - 1;
  std::uint64_t sn = new_size - 1;
  // Step 4.
  while (lsb(fn)) {
    fn >>= 1;
    sn >>= 1;
  }
  // Step 5.
  MerkleHash fr = path[0];
  MerkleHash sr = path[0];
  // Step 6.
  for (std::size_t i = 1; i < path.size(); ++i) {
    const MerkleHash& c = path[i];
    if (sn == 0) return false;
    if (lsb(fn) || fn == sn) {
      fr = merkle_node_hash(c, fr);
      sr = merkle_node_hash(c, sr);
      while (!lsb(fn) && fn != 0) {
        fn >>= 1;
        sn >>= 1;
      }
    } else {
      sr = merkle_node_hash(sr, c);
    }
    fn >>= 1;
    sn >>= 1;
  }
  // Step 7.
  return sn == 0 && sodium_memcmp(fr.data(), old_root.data(), fr.size()) == 0 &&
         sodium_memcmp(sr.data(), new_root.data(), sr.size()) == 0;
}

void MerkleFrontier::append(const MerkleHash& leaf) {
  // Each trailing 1 bit of the old size is a perfect subtree the new leaf completes.
  MerkleHash h = leaf;
  for (std::uint64_t s = size_; lsb(s); s >>= 1) {
    h = merkle_node_hash(peaks_.back(), h);
    peaks_.pop_back();
  }
  peaks_.push_back(h);
  ++size_;
}

std::optional<MerkleFrontier> MerkleFrontier::restore(std::uint64_t size,
                                                     std::vector<MerkleHash> peaks) {
  if (peaks.size() != static_cast<std::size_t>(std::popcount(size))) return std::nullopt;
  MerkleFrontier f;
  f.size_ = size;
  f.peaks_ = std::move(peaks);
  return f;
}

MerkleHash MerkleFrontier::root() const {
  if (peaks_.empty()) return merkle_root(LeafHashes{}, 0);
  MerkleHash r = peaks_.back();
  for (std::size_t i = peaks_.size() - 1; i-- > 0;) r = merkle_node_hash(peaks_[i], r);
  return r;
}

}  // namespace aegis::protocol
