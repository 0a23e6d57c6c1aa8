// An index from strings kept elsewhere to their position there: the engine's record by ref key
// (the key a node holds) and national id slot by id (the id a slot holds).
//
// Open addressing with linear probing over 8-byte slots — a 32-bit hash of the key and the
// position — filled to at most 70%. A lookup touches one slot (the probe run rarely leaves its
// cache line) and then, to confirm a hash that matches, the key itself through `KeyOf`. The
// std::unordered_map it replaces touched a bucket, a node and the key, after dividing by a
// prime: at a million records each of those is a cache miss, and resolution's per-record
// cost grew with the engine (docs/resolution.md, "Scale"). 8 bytes an entry over 70% instead
// of ~56.
//
// The key is not stored: KeyOf(position) returns it, and must keep returning the key that
// position was inserted with until it is erased. Erasing shifts the rest of the probe run
// back (no tombstones), so lookups never slow down with churn.
#pragma once

#include <algorithm>
#include <cassert>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string_view>
#include <utility>
#include <vector>

namespace aegis::resolve {

template <typename KeyOf>  // std::string_view KeyOf(std::uint32_t position) const
class StringIndex {
 public:
  static constexpr std::uint32_t kAbsent = 0xffffffffu;  // never a position

  explicit StringIndex(KeyOf key_of) : key_of_(std::move(key_of)) {}

  // The position filed under `key`, or kAbsent.
  std::uint32_t find(std::string_view key) const {
    if (slots_.empty()) return kAbsent;
    const std::uint32_t h = hash(key);
    for (std::size_t i = home(h);; i = next(i)) {
      const Slot& s = slots_[i];
      if (s.position == kAbsent) return kAbsent;
      if (s.hash == h && key_of_(s.position) == key) return s.position;
    }
  }

  // Files `position` under `key`; false (and nothing changed) when the key is already there.
  bool insert(std::string_view key, std::uint32_t position) {
    assert(position != kAbsent);
    if ((used_ + 1) * 10 > slots_.size() * 7) rehash(std::max<std::size_t>(16, slots_.size() * 2));
    const std::uint32_t h = hash(key);
    std::size_t i = home(h);
    for (;; i = next(i)) {
      const Slot& s = slots_[i];
      if (s.position == kAbsent) break;
      if (s.hash == h && key_of_(s.position) == key) return false;
    }
    slots_[i] = Slot{h, position};
    ++used_;
    return true;
  }

  // Takes `key` out (KeyOf must still return it for its position); false when it was not there.
  bool erase(std::string_view key) {
    if (slots_.empty()) return false;
    const std::uint32_t h = hash(key);
    std::size_t i = home(h);
    for (;; i = next(i)) {
      const Slot& s = slots_[i];
      if (s.position == kAbsent) return false;
      if (s.hash == h && key_of_(s.position) == key) break;
    }
    // Backward shift: each later slot of the run whose home is not in (i, j] moves into the
    // hole, which moves to where it was.
    for (std::size_t j = next(i);; j = next(j)) {
      const Slot& s = slots_[j];
      if (s.position == kAbsent) break;
      const std::size_t k = home(s.hash);
      const bool stays = i <= j ? (i < k && k <= j) : (i < k || k <= j);
      if (stays) continue;
      slots_[i] = s;
      i = j;
    }
    slots_[i] = Slot{};
    --used_;
    return true;
  }

  std::size_t size() const { return used_; }

  // Room for `n` keys without growing.
  void reserve(std::size_t n) {
    std::size_t size = slots_.empty() ? 16 : slots_.size();
    while (n * 10 > size * 7) size *= 2;
    if (size != slots_.size()) rehash(size);
  }

 private:
  struct Slot {
    std::uint32_t hash = 0;
    std::uint32_t position = kAbsent;
  };
  static_assert(sizeof(Slot) == 8);

  static std::uint32_t hash(std::string_view key) {
    const std::uint64_t h = std::hash<std::string_view>{}(key);
    return static_cast<std::uint32_t>(h ^ (h >> 32));
  }
  // The table has 2^bits_ slots; the hash's top bits after a multiplicative mix pick the home.
  std::size_t home(std::uint32_t h) const {
    return static_cast<std::size_t>((std::uint64_t{h} * 0x9e3779b97f4a7c15ull) >> (64 - bits_));
  }
  std::size_t next(std::size_t i) const { return (i + 1) & (slots_.size() - 1); }

  void rehash(std::size_t size) {
    std::vector<Slot> old = std::move(slots_);
    slots_.assign(size, Slot{});
    bits_ = 0;
    while ((std::size_t{1} << bits_) < size) ++bits_;
    for (const Slot& s : old) {
      if (s.position == kAbsent) continue;
      std::size_t i = home(s.hash);
      while (slots_[i].position != kAbsent) i = next(i);
      slots_[i] = s;
    }
  }

  KeyOf key_of_;
  std::vector<Slot> slots_;
  unsigned bits_ = 0;
  std::size_t used_ = 0;
};

}  // namespace aegis::resolve
