// The matching engine: records, blocks, kept pairs, decisions, clusters and national ids
// (the rules are in resolver.hpp and docs/resolution.md).
#include "resolve/resolver.hpp"

#include <algorithm>
#include <cassert>
#include <deque>
#include <limits>
#include <map>
#include <numeric>
#include <span>
#include <string_view>
#include <tuple>
#include <unordered_map>
#include <utility>

#include "resolve/blocking.hpp"
#include "resolve/prescreen.hpp"
#include "resolve/string_index.hpp"

namespace aegis::resolve {

std::string_view decider_name(Decider d) noexcept {
  return d == Decider::engine ? "engine" : "operator";
}

std::string_view change_kind_name(ChangeKind k) noexcept {
  switch (k) {
    case ChangeKind::created: return "created";
    case ChangeKind::joined: return "joined";
    case ChangeKind::merged: return "merged";
    case ChangeKind::split: return "split";
    case ChangeKind::removed: return "removed";
    case ChangeKind::retired: return "retired";
  }
  return "unknown";
}

namespace {

constexpr std::uint32_t kNone = std::numeric_limits<std::uint32_t>::max();

// One string per record; its order is the order of RecordRef (authority ids never hold a
// character below 0x20), so sorting keys sorts refs.
std::string ref_key(const RecordRef& r) {
  std::string k;
  k.reserve(r.authority_id.size() + 1 + r.record_id.size());
  k += r.authority_id;
  k += '\x1f';
  k += r.record_id;
  return k;
}

using PairKey = std::pair<std::string, std::string>;  // ref keys, first < second

PairKey pair_key(std::string a, std::string b) {
  if (b < a) std::swap(a, b);
  return {std::move(a), std::move(b)};
}

// A pair worth keeping: scored link or review.
struct Edge {
  std::uint32_t other = kNone;
  float score = 0;
  Outcome outcome = Outcome::no_link;
};

struct Node {
  MatchRecord rec;
  std::string key;                  // ref_key(rec.ref)
  std::vector<Edge> edges;          // (its blocking keys are not kept: blocking_keys(rec) makes
                                    // them again where a rare path needs them, see attach)
  std::uint32_t slot = kNone;       // national id slot
  bool live = false;
};

struct IdSlot {
  std::string value;
  std::uint64_t minted = 0;
  std::vector<std::uint32_t> members;  // live nodes holding this id
  bool alias = false;                  // merged into an older id
};

// Blocking key -> the records filed under it. Open addressing with linear probing over a
// power-of-two table filled to at most 70%: one flat array of 12-byte slots (key and value side
// by side, so a probe touches one cache line, rarely two: at national scale the table is far
// larger than the caches and every record's dozen keys are random accesses), no allocation per
// lookup. Most blocks hold one record: it is stored in the slot itself; only blocks of two or
// more get a list. Keys are never erased (an emptied block stays, empty): they are bounded by
// the keys ever seen. Per key, 17-34 bytes (16-byte slots at most half full took 32-64): at 1M
// children, about ten keys each, the resolution bench's peak RSS fell by 128 MiB.
class BlockTable {
 public:
  std::span<const std::uint32_t> members(std::uint64_t key) const {
    const std::size_t i = find(key);
    if (i == kAbsent) return {};
    const Slot& s = slots_[i];
    if (s.value == kEmpty) return {};
    if (s.value & kList) return lists_[s.value & ~kList];
    return {&s.value, 1};
  }

  // Files `n` under `key`; returns the block's new size.
  std::size_t add(std::uint64_t key, std::uint32_t n) {
    assert(n < kList);
    Slot& s = slots_[insert(key)];
    if (s.value == kEmpty) {
      s.value = n;
      return 1;
    }
    if (!(s.value & kList)) {
      const std::uint32_t list = new_list();
      lists_[list] = {s.value, n};
      s.value = list | kList;
      return 2;
    }
    auto& l = lists_[s.value & ~kList];
    l.push_back(n);
    return l.size();
  }

  // Takes `n` out of the block of `key` (it must be there); returns the block's new size.
  std::size_t remove(std::uint64_t key, std::uint32_t n) {
    const std::size_t i = find(key);
    assert(i != kAbsent && slots_[i].value != kEmpty);
    Slot& s = slots_[i];
    if (!(s.value & kList)) {
      s.value = kEmpty;
      return 0;
    }
    const std::uint32_t list = s.value & ~kList;
    auto& l = lists_[list];
    l.erase(std::find(l.begin(), l.end(), n));
    if (l.size() > 1) return l.size();
    const std::uint32_t only = l.front();
    l = {};
    free_lists_.push_back(list);
    s.value = only;
    return 1;
  }

 private:
  static constexpr std::size_t kAbsent = std::numeric_limits<std::size_t>::max();
  // A slot's value: one record's node index, or kList | an index into lists_, or kEmpty (a key
  // whose records all left). Node and list indexes stay under 2^31.
  static constexpr std::uint32_t kEmpty = 0xffffffffu;
  static constexpr std::uint32_t kList = 0x80000000u;

  struct Slot {
    std::uint32_t key_lo = 0, key_hi = 0;  // the key (never 0: see stored); 0 is a free slot
    std::uint32_t value = kEmpty;
    std::uint64_t key() const { return std::uint64_t{key_hi} << 32 | key_lo; }
  };
  static_assert(sizeof(Slot) == 12);

  static std::uint64_t stored(std::uint64_t key) { return key == 0 ? 1 : key; }

  std::size_t slot_of(std::uint64_t key) const {
    return static_cast<std::size_t>((key * 0x9e3779b97f4a7c15ull) >> 20) & (slots_.size() - 1);
  }

  std::size_t find(std::uint64_t key) const {
    if (slots_.empty()) return kAbsent;
    key = stored(key);
    for (std::size_t i = slot_of(key);; i = (i + 1) & (slots_.size() - 1)) {
      const std::uint64_t k = slots_[i].key();
      if (k == key) return i;
      if (k == 0) return kAbsent;
    }
  }

  std::size_t insert(std::uint64_t key) {
    if ((used_ + 1) * 10 > slots_.size() * 7) grow();
    key = stored(key);
    std::size_t i = slot_of(key);
    for (;; i = (i + 1) & (slots_.size() - 1)) {
      const std::uint64_t k = slots_[i].key();
      if (k == key) return i;
      if (k == 0) break;
    }
    slots_[i] = Slot{static_cast<std::uint32_t>(key), static_cast<std::uint32_t>(key >> 32),
                     kEmpty};
    ++used_;
    return i;
  }

  void grow() {
    const std::vector<Slot> old = std::move(slots_);
    const std::size_t size = old.empty() ? 1024 : old.size() * 2;
    slots_.assign(size, Slot{});
    for (const Slot& s : old) {
      if (s.key() == 0) continue;
      std::size_t i = slot_of(s.key());
      while (slots_[i].key() != 0) i = (i + 1) & (size - 1);
      slots_[i] = s;
    }
  }

  std::uint32_t new_list() {
    if (!free_lists_.empty()) {
      const std::uint32_t l = free_lists_.back();
      free_lists_.pop_back();
      return l;
    }
    lists_.emplace_back();
    assert(lists_.size() - 1 < kList);
    return static_cast<std::uint32_t>(lists_.size() - 1);
  }

  std::vector<Slot> slots_;
  std::size_t used_ = 0;
  std::vector<std::vector<std::uint32_t>> lists_;
  std::vector<std::uint32_t> free_lists_;
};

bool tokens_conflict(const std::vector<IdentifierToken>& a, const std::vector<IdentifierToken>& b) {
  for (std::uint8_t k = 1; k <= kIdentifierKinds; ++k) {
    const auto kind = static_cast<IdentifierKind>(k);
    bool a_has = false;
    bool b_has = false;
    bool shared = false;
    for (const auto& t : a) {
      if (t.kind != kind) continue;
      a_has = true;
      shared = shared || std::find(b.begin(), b.end(), t) != b.end();
    }
    for (const auto& t : b) b_has = b_has || t.kind == kind;
    if (a_has && b_has && !shared) return true;
  }
  return false;
}

}  // namespace

struct Resolver::State {
  MatchConfig config;
  Weights weights;
  Prescreen prescreen{config, weights};
  MintId mint;

  // Deques, not vectors: they grow by blocks, so a national index never moves a million
  // records (strings, keys, edges) to a new array at each doubling, nor holds both arrays.
  std::deque<Node> nodes;
  // summaries[n] = summarize(nodes[n].rec): what a pair is prescreened on (prescreen.hpp),
  // 24 bytes a record in one flat array, so a stranger a block brings is turned away without
  // touching its node.
  std::vector<PairSummary> summaries;
  std::vector<std::uint32_t> free_nodes;
  // nodes[n].key -> n (a deque's elements never move; an entry goes before its node is
  // reused): the ref is not held a second time.
  struct NodeKey {
    const std::deque<Node>* nodes;
    std::string_view operator()(std::uint32_t n) const { return (*nodes)[n].key; }
  };
  StringIndex<NodeKey> by_key{NodeKey{&nodes}};
  static_assert(StringIndex<NodeKey>::kAbsent == kNone);
  BlockTable blocks;
  std::uint64_t oversized = 0;  // blocks over the cap now

  std::deque<IdSlot> slots;
  struct SlotValue {
    const std::deque<IdSlot>* slots;
    std::string_view operator()(std::uint32_t s) const { return (*slots)[s].value; }
  };
  StringIndex<SlotValue> slot_by_value{SlotValue{&slots}};  // slots[s].value -> s
  std::unordered_map<std::string, std::uint32_t> pending;  // ref key -> restored slot
  std::uint64_t next_minted = 1;

  std::map<PairKey, Decision> decisions;
  std::unordered_map<std::string, std::vector<std::string>> decided_with;

  std::uint64_t compared = 0;
  std::uint64_t prescreened = 0;     // compared pairs turned away by the prescreen
  std::uint64_t skipped = 0;
  std::uint64_t resolved = 0;        // records re-clustered
  std::uint64_t clustered = 0;       // link pairs tried in clustering
  std::uint64_t refused_against = 0; // unions refused: evidence against
  std::uint64_t refused_size = 0;    // unions refused: cluster size
  std::uint64_t local_regions = 0;   // regions over the cap, re-resolved locally

  // Scratch of one operation.
  std::vector<std::uint32_t> dirty;
  std::vector<std::uint32_t> stamp;
  std::uint32_t epoch = 0;
  std::vector<std::uint32_t> mark;  // region_of's second marker (records already placed)
  std::uint32_t mark_epoch = 0;

  State(MatchConfig c, MintId m) : config(std::move(c)), weights(config), mint(std::move(m)) {}

  std::size_t cap() const { return config.max_block_size; }

  std::uint32_t next_epoch() {
    if (++epoch == 0) {
      std::fill(stamp.begin(), stamp.end(), 0);
      epoch = 1;
    }
    return epoch;
  }

  std::uint32_t next_mark() {
    if (++mark_epoch == 0) {
      std::fill(mark.begin(), mark.end(), 0);
      mark_epoch = 1;
    }
    return mark_epoch;
  }

  const Node* find(const RecordRef& r) const {
    const std::uint32_t n = by_key.find(ref_key(r));
    return n == kNone ? nullptr : &nodes[n];
  }

  const Decision* decision(const std::string& a, const std::string& b) const {
    const auto it = decisions.find(pair_key(a, b));
    return it == decisions.end() ? nullptr : &it->second;
  }

  // --- pairs ---------------------------------------------------------------------------

  // Scores in ref order, so a pair's score never depends on which record arrived first.
  PairScore score(std::uint32_t a, std::uint32_t b) const {
    const Node& x = nodes[a];
    const Node& y = nodes[b];
    return x.key < y.key ? score_pair(x.rec, y.rec, config, weights)
                         : score_pair(y.rec, x.rec, config, weights);
  }

  bool has_edge(std::uint32_t a, std::uint32_t b) const {
    const auto& e = nodes[a].edges;
    return std::any_of(e.begin(), e.end(), [b](const Edge& x) { return x.other == b; });
  }

  // Only link pairs shape the partition: a review pair found or lost re-resolves nothing.
  void drop_edge(std::uint32_t a, std::uint32_t b) {
    const auto& e = nodes[a].edges;
    const bool link = std::any_of(e.begin(), e.end(), [b](const Edge& x) {
      return x.other == b && x.outcome == Outcome::link;
    });
    auto erase = [](std::vector<Edge>& v, std::uint32_t o) {
      v.erase(std::remove_if(v.begin(), v.end(), [o](const Edge& x) { return x.other == o; }),
              v.end());
    };
    erase(nodes[a].edges, b);
    erase(nodes[b].edges, a);
    if (link) {
      dirty.push_back(a);
      dirty.push_back(b);
    }
  }

  void compare(std::uint32_t a, std::uint32_t b) {
    ++compared;
    if (!prescreen.may_score(summaries[a], summaries[b])) {
      ++prescreened;
      return;
    }
    const PairScore s = score(a, b);
    if (s.outcome == Outcome::no_link) return;
    const auto value = static_cast<float>(s.score);
    nodes[a].edges.push_back({b, value, s.outcome});
    nodes[b].edges.push_back({a, value, s.outcome});
    if (s.outcome == Outcome::link) {
      dirty.push_back(a);
      dirty.push_back(b);
    }
  }

  // True when two records with these (sorted) keys still share a block no larger than the cap.
  bool share_small_block(const std::vector<std::uint64_t>& x,
                         const std::vector<std::uint64_t>& y) const {
    std::size_t i = 0;
    std::size_t j = 0;
    while (i < x.size() && j < y.size()) {
      if (x[i] < y[j]) {
        ++i;
      } else if (y[j] < x[i]) {
        ++j;
      } else {
        if (blocks.members(x[i]).size() <= cap()) return true;
        ++i;
        ++j;
      }
    }
    return false;
  }

  // A block just grew past the cap: pairs found only through it are no longer kept. Keys
  // are made once per record looked at (a member's only when it has a partner to check).
  void block_overflowed(std::uint64_t key) {
    ++oversized;
    const auto members = blocks.members(key);
    std::vector<std::pair<std::uint32_t, std::uint32_t>> lost;
    std::vector<std::uint64_t> x_keys;
    for (std::uint32_t x : members) {
      x_keys.clear();
      for (const Edge& e : nodes[x].edges) {
        if (x >= e.other) continue;
        const std::vector<std::uint64_t> other_keys = blocking_keys(nodes[e.other].rec);
        if (!std::binary_search(other_keys.begin(), other_keys.end(), key)) continue;
        if (x_keys.empty()) x_keys = blocking_keys(nodes[x].rec);
        if (!share_small_block(x_keys, other_keys)) lost.emplace_back(x, e.other);
      }
    }
    for (auto [x, y] : lost) drop_edge(x, y);
  }

  // A block just came back to the cap: its pairs are compared again.
  void block_shrank(std::uint64_t key) {
    --oversized;
    const std::vector<std::uint32_t> members(blocks.members(key).begin(),
                                             blocks.members(key).end());
    for (std::size_t i = 0; i < members.size(); ++i) {
      for (std::size_t j = i + 1; j < members.size(); ++j) {
        if (!has_edge(members[i], members[j])) compare(members[i], members[j]);
      }
    }
  }

  // --- records -------------------------------------------------------------------------

  // A record's keys are made here and again only where a block crosses the cap and by
  // detach (0.5 µs a record); keeping them took ~150 bytes a record (1.6 GB at 11M) for
  // those rare paths. blocking_keys depends on the record alone, so they are the same keys.
  void attach(std::uint32_t n) {
    const std::vector<std::uint64_t> keys = blocking_keys(nodes[n].rec);
    for (std::uint64_t k : keys) {
      if (blocks.add(k, n) == cap() + 1) block_overflowed(k);
    }
    const std::uint32_t e = next_epoch();
    stamp[n] = e;
    for (std::uint64_t k : keys) {
      const auto b = blocks.members(k);
      if (b.size() > cap()) {
        skipped += b.size() - 1;
        continue;
      }
      for (std::uint32_t m : b) {
        if (stamp[m] == e) continue;
        stamp[m] = e;
        compare(n, m);
      }
    }
    dirty.push_back(n);
  }

  void detach(std::uint32_t n) {
    Node& node = nodes[n];
    for (const Edge& e : node.edges) {
      auto& v = nodes[e.other].edges;
      v.erase(std::remove_if(v.begin(), v.end(), [n](const Edge& x) { return x.other == n; }),
              v.end());
      if (e.outcome == Outcome::link) dirty.push_back(e.other);
    }
    node.edges.clear();
    for (std::uint64_t k : blocking_keys(node.rec)) {
      if (blocks.remove(k, n) == cap()) block_shrank(k);
    }
    dirty.push_back(n);
  }

  void set_record(std::uint32_t n, MatchRecord rec) {
    summaries[n] = summarize(rec);
    nodes[n].rec = std::move(rec);
  }

  std::uint32_t add_node(MatchRecord rec) {
    std::string key = ref_key(rec.ref);
    std::uint32_t n;
    if (!free_nodes.empty()) {
      n = free_nodes.back();
      free_nodes.pop_back();
    } else {
      n = static_cast<std::uint32_t>(nodes.size());
      nodes.emplace_back();
      summaries.emplace_back();
      stamp.push_back(0);
      mark.push_back(0);
    }
    Node& node = nodes[n];
    set_record(n, std::move(rec));
    node.key = std::move(key);
    node.live = true;
    node.slot = kNone;
    if (auto p = pending.find(node.key); p != pending.end()) {
      node.slot = p->second;
      slots[p->second].members.push_back(n);
      pending.erase(p);
    }
    const bool fresh = by_key.insert(node.key, n);
    assert(fresh && "a record added twice");
    (void)fresh;
    return n;
  }

  std::uint32_t new_slot(std::string value, std::uint64_t minted) {
    const auto s = static_cast<std::uint32_t>(slots.size());
    slots.push_back({std::move(value), minted, {}, false});
    const bool fresh = slot_by_value.insert(slots.back().value, s);
    assert(fresh && "the mint function returned an id already in use");
    (void)fresh;
    return s;
  }

  // --- clustering ----------------------------------------------------------------------

  // Calls f on every record a region reaches from x in one step: link pairs, shared
  // national ids, operator links.
  template <typename F>
  void for_each_neighbour(std::uint32_t x, F&& f) const {
    const Node& n = nodes[x];
    for (const Edge& ed : n.edges) {
      if (ed.outcome == Outcome::link) f(ed.other);
    }
    if (n.slot != kNone) {
      for (std::uint32_t m : slots[n.slot].members) f(m);
    }
    if (auto it = decided_with.find(n.key); it != decided_with.end()) {
      for (const std::string& other : it->second) {
        const std::uint32_t o = by_key.find(other);
        if (o != kNone && decision(n.key, other)->kind == DecisionKind::link) f(o);
      }
    }
  }

  // The records sharing x's national id (x alone when it has none).
  template <typename F>
  void for_each_cluster_mate(std::uint32_t x, F&& f) const {
    if (nodes[x].slot == kNone) {
      f(x);
      return;
    }
    for (std::uint32_t m : slots[nodes[x].slot].members) f(m);
  }

  // The region of a change, sorted by ref. Each seed's component (everything connected to it
  // through link pairs, operator links and shared national ids) is taken whole when it holds
  // at most max_region_size records: the partition is then a function of the component, as
  // in a full pass. A larger component is not walked: the seed brings only its own cluster
  // (the seeds are the changed records and the ends of the link pairs that changed: local
  // re-resolution, counted), so a change's cost does not grow with the component.
  std::vector<std::uint32_t> region_of(const std::vector<std::uint32_t>& seeds) {
    const std::size_t limit = std::max<std::size_t>(config.max_region_size, 1);
    const std::uint32_t whole = next_mark();  // in a small component, taken whole
    const std::uint32_t large_part = next_mark();  // seen in a component over the limit
    std::vector<std::uint32_t> region;
    std::vector<std::uint32_t> local_seeds;
    for (std::uint32_t seed : seeds) {
      if (!nodes[seed].live || mark[seed] == whole) continue;
      if (mark[seed] == large_part) {
        local_seeds.push_back(seed);
        continue;
      }
      const std::uint32_t e = next_epoch();
      std::vector<std::uint32_t> component{seed};
      stamp[seed] = e;
      bool large = false;
      for (std::size_t i = 0; i < component.size() && !large; ++i) {
        for_each_neighbour(component[i], [&](std::uint32_t y) {
          if (large || !nodes[y].live || stamp[y] == e) return;
          if (mark[y] == large_part) {  // a part of a large component met before
            large = true;
            return;
          }
          stamp[y] = e;
          component.push_back(y);
          large = component.size() > limit;
        });
      }
      for (std::uint32_t x : component) mark[x] = large ? large_part : whole;
      if (large) {
        local_seeds.push_back(seed);
      } else {
        region.insert(region.end(), component.begin(), component.end());
      }
    }
    if (!local_seeds.empty()) {
      ++local_regions;
      const std::uint32_t e = next_epoch();
      for (std::uint32_t x : region) stamp[x] = e;
      for (std::uint32_t seed : local_seeds) {
        for_each_cluster_mate(seed, [&](std::uint32_t m) {
          if (!nodes[m].live || stamp[m] == e) return;
          stamp[m] = e;
          region.push_back(m);
        });
      }
    }
    std::sort(region.begin(), region.end(),
              [this](std::uint32_t a, std::uint32_t b) { return nodes[a].key < nodes[b].key; });
    return region;
  }

  // Deterministic constrained clustering of a region (indices into `region`).
  std::vector<std::vector<std::uint32_t>> cluster(const std::vector<std::uint32_t>& region) {
    // Each node's local id (its position in the region): a flat array over every node for a
    // large region (a rebuild clusters every record), a map for the few records of one change.
    const bool flat = region.size() * 8 > nodes.size();
    std::vector<std::uint32_t> local_flat;
    std::unordered_map<std::uint32_t, std::uint32_t> local_map;
    if (flat) local_flat.assign(nodes.size(), kNone);
    else local_map.reserve(region.size());
    for (std::uint32_t i = 0; i < region.size(); ++i) {
      if (flat) local_flat[region[i]] = i;
      else local_map.emplace(region[i], i);
    }
    auto local_of = [&](std::uint32_t node) -> std::uint32_t {
      if (flat) return local_flat[node];
      const auto it = local_map.find(node);
      return it == local_map.end() ? kNone : it->second;
    };
    std::vector<std::uint32_t> parent(region.size());
    std::iota(parent.begin(), parent.end(), 0u);
    // Per root, only where there is something to hold (most records of a rebuild stay alone):
    // the local ids an operator separated it from, and, once it has merged, its members and
    // their tokens. A root that never merged is its own only member with its record's tokens.
    std::unordered_map<std::uint32_t, std::vector<std::uint32_t>> separated;
    struct Merged {
      std::vector<std::uint32_t> members;  // local ids
      std::vector<IdentifierToken> tokens;
    };
    std::unordered_map<std::uint32_t, Merged> merged;
    // (`r` must outlive the span: a never-merged root's span is `r` itself.)
    auto members_of = [&](const std::uint32_t& r) -> std::span<const std::uint32_t> {
      if (const auto it = merged.find(r); it != merged.end()) return it->second.members;
      return {&r, 1};
    };
    auto tokens_of = [&](std::uint32_t r) -> const std::vector<IdentifierToken>& {
      if (const auto it = merged.find(r); it != merged.end()) return it->second.tokens;
      return nodes[region[r]].rec.tokens;
    };
    auto root = [&](std::uint32_t x) {
      while (parent[x] != x) x = parent[x] = parent[parent[x]];
      return x;
    };
    using Pair = std::pair<std::uint32_t, std::uint32_t>;  // local ids, first < second
    std::vector<Pair> operator_links;
    for (std::uint32_t i = 0; i < region.size(); ++i) {
      const Node& x = nodes[region[i]];
      auto it = decided_with.find(x.key);
      if (it == decided_with.end()) continue;
      for (const std::string& other : it->second) {
        const std::uint32_t o = by_key.find(other);
        if (o == kNone) continue;
        const std::uint32_t l = local_of(o);
        if (l == kNone) continue;
        if (decision(x.key, other)->kind == DecisionKind::separate) {
          separated[i].push_back(l);
        } else if (i < l) {
          operator_links.emplace_back(i, l);
        }
      }
    }
    // Records an operator linked to another record of the region: the operator vouched for
    // them, so their fields (a replaced given name, a mistyped date) are no evidence against.
    std::vector<bool> vouched(region.size(), false);
    for (auto [a, b] : operator_links) vouched[a] = vouched[b] = true;
    // True when some record of one cluster and some of the other are, on strong evidence, two
    // children. At most (max_cluster_size / 2)^2 pairs: the union is refused beyond the size.
    auto against = [&](const std::uint32_t& ra, const std::uint32_t& rb) {
      if (!config.sibling_guard) return false;
      for (std::uint32_t x : members_of(ra)) {
        if (vouched[x]) continue;
        for (std::uint32_t y : members_of(rb)) {
          if (!vouched[y] && evidence_against(score(region[x], region[y]))) return true;
        }
      }
      return false;
    };
    // Operator links hold whatever the evidence; engine links are checked (refused unions are
    // counted).
    auto merge = [&](std::uint32_t a, std::uint32_t b, Decider by) {
      std::uint32_t ra = root(a);
      std::uint32_t rb = root(b);
      if (ra == rb) return;
      if (const auto sa = separated.find(ra); sa != separated.end()) {
        for (std::uint32_t s : sa->second) {
          if (root(s) == rb) return;
        }
      }
      if (tokens_conflict(tokens_of(ra), tokens_of(rb))) return;
      if (by == Decider::engine) {
        if (members_of(ra).size() + members_of(rb).size() > config.max_cluster_size) {
          ++refused_size;
          return;
        }
        if (against(ra, rb)) {
          ++refused_against;
          return;
        }
      }
      if (ra > rb) std::swap(ra, rb);
      parent[rb] = ra;
      if (const auto sb = separated.find(rb); sb != separated.end()) {
        std::vector<std::uint32_t> moved = std::move(sb->second);
        separated.erase(sb);
        auto& sa = separated[ra];
        sa.insert(sa.end(), moved.begin(), moved.end());
      }
      Merged gathered;
      if (const auto mb = merged.find(rb); mb != merged.end()) {
        gathered = std::move(mb->second);
        merged.erase(mb);
      } else {
        gathered.members = {rb};
        gathered.tokens = nodes[region[rb]].rec.tokens;
      }
      auto [ma, fresh] = merged.try_emplace(ra);
      if (fresh) {
        ma->second.members = {ra};
        ma->second.tokens = nodes[region[ra]].rec.tokens;
      }
      auto& m = ma->second;
      m.members.insert(m.members.end(), gathered.members.begin(), gathered.members.end());
      m.tokens.insert(m.tokens.end(), gathered.tokens.begin(), gathered.tokens.end());
    };
    std::sort(operator_links.begin(), operator_links.end());
    for (auto [a, b] : operator_links) merge(a, b, Decider::operator_);

    struct Link {
      float score;
      std::uint32_t a;
      std::uint32_t b;
    };
    std::vector<Link> links;
    for (std::uint32_t i = 0; i < region.size(); ++i) {
      for (const Edge& ed : nodes[region[i]].edges) {
        if (ed.outcome != Outcome::link) continue;
        const std::uint32_t j = local_of(ed.other);  // kNone: outside a local region
        if (j != kNone && i < j) links.push_back({ed.score, i, j});
      }
    }
    std::sort(links.begin(), links.end(), [](const Link& x, const Link& y) {
      if (x.score != y.score) return x.score > y.score;
      return std::pair(x.a, x.b) < std::pair(y.a, y.b);
    });
    clustered += links.size();
    resolved += region.size();
    for (const Link& l : links) merge(l.a, l.b, Decider::engine);

    // Clusters in order of their first member (the region is sorted, roots are the smallest).
    std::vector<std::vector<std::uint32_t>> clusters;
    std::vector<std::uint32_t> cluster_of_root(region.size(), kNone);
    for (std::uint32_t i = 0; i < region.size(); ++i) {
      const std::uint32_t r = root(i);
      if (cluster_of_root[r] == kNone) {
        cluster_of_root[r] = static_cast<std::uint32_t>(clusters.size());
        clusters.emplace_back();
      }
      clusters[cluster_of_root[r]].push_back(region[i]);
    }
    return clusters;
  }

  // Re-resolves the region of the dirty records and gives each cluster its national id.
  std::vector<LinkageEvent> resolve_dirty(Decider by, const std::string& reason,
                                          std::vector<LinkageEvent> events = {}) {
    std::vector<std::uint32_t> seeds;
    seeds.swap(dirty);
    const std::vector<std::uint32_t> region = region_of(seeds);
    const auto clusters = cluster(region);

    // Each old id goes to the cluster holding most of its records (ties: the first cluster).
    // Flat arrays, sorted, not a map per id: a rebuild re-clusters every record.
    std::vector<std::pair<std::uint32_t, std::uint32_t>> held;  // (slot, cluster) per record
    for (std::uint32_t c = 0; c < clusters.size(); ++c) {
      for (std::uint32_t n : clusters[c]) {
        if (nodes[n].slot != kNone) held.emplace_back(nodes[n].slot, c);
      }
    }
    std::sort(held.begin(), held.end());
    std::vector<std::uint32_t> old_slots;                         // ascending
    std::vector<std::pair<std::uint32_t, std::uint32_t>> won;     // (cluster, slot)
    for (std::size_t i = 0; i < held.size();) {
      const std::uint32_t s = held[i].first;
      std::uint32_t best = kNone;
      std::size_t best_count = 0;
      while (i < held.size() && held[i].first == s) {
        std::size_t j = i;
        while (j < held.size() && held[j] == held[i]) ++j;
        if (j - i > best_count) {  // strictly more: the first cluster keeps a tie
          best_count = j - i;
          best = held[i].second;
        }
        i = j;
      }
      old_slots.push_back(s);
      won.emplace_back(best, s);
    }
    std::vector<std::pair<std::uint32_t, std::uint32_t>>().swap(held);
    std::sort(won.begin(), won.end());  // by cluster, each cluster's ids ascending
    for (std::uint32_t s : old_slots) slots[s].members.clear();

    std::size_t won_at = 0;
    std::vector<std::uint32_t> won_here;  // the old ids cluster c won, ascending
    for (std::uint32_t c = 0; c < clusters.size(); ++c) {
      const auto& members = clusters[c];
      won_here.clear();
      for (; won_at < won.size() && won[won_at].first == c; ++won_at)
        won_here.push_back(won[won_at].second);
      std::uint32_t keep;
      const bool minted = won_here.empty();
      if (minted) {
        keep = new_slot(mint(), next_minted++);
      } else {
        keep = *std::min_element(won_here.begin(), won_here.end(), [this](auto x, auto y) {
          return slots[x].minted < slots[y].minted;
        });
      }
      // Records grouped by the id they had (kNone first, then by slot number).
      std::map<std::uint32_t, std::vector<RecordRef>> moved;
      for (std::uint32_t n : members) {
        if (nodes[n].slot != keep) moved[nodes[n].slot].push_back(nodes[n].rec.ref);
        nodes[n].slot = keep;
        slots[keep].members.push_back(n);
      }
      auto event = [&](ChangeKind k, std::vector<std::string> previous, std::vector<RecordRef> recs) {
        events.push_back({k, slots[keep].value, std::move(previous), std::move(recs), by, reason});
      };
      if (minted) {
        std::vector<std::string> previous;
        for (const auto& [s, refs] : moved) {
          if (s != kNone) previous.push_back(slots[s].value);
        }
        std::vector<RecordRef> refs;
        for (std::uint32_t n : members) refs.push_back(nodes[n].rec.ref);
        const ChangeKind kind = previous.empty() ? ChangeKind::created : ChangeKind::split;
        event(kind, std::move(previous), std::move(refs));
        continue;
      }
      for (auto& [s, refs] : moved) {
        if (s == kNone) {
          event(ChangeKind::joined, {}, std::move(refs));
        } else if (std::find(won_here.begin(), won_here.end(), s) != won_here.end()) {
          slots[s].alias = true;
          event(ChangeKind::merged, {slots[s].value}, std::move(refs));
        } else {
          event(ChangeKind::joined, {slots[s].value}, std::move(refs));
        }
      }
    }
    for (std::uint32_t s : old_slots) {
      if (slots[s].members.empty() && !slots[s].alias) {
        events.push_back({ChangeKind::retired, slots[s].value, {}, {}, by, reason});
      }
    }
    return events;
  }
};

Resolver::Resolver(MatchConfig config, MintId mint)
    : s_(std::make_unique<State>(std::move(config), std::move(mint))) {}

Resolver::~Resolver() = default;

void Resolver::restore_national_id(const RecordRef& record, const std::string& national_id,
                                   std::uint64_t minted_order) {
  State& s = *s_;
  std::uint32_t slot;
  if (const std::uint32_t found = s.slot_by_value.find(national_id); found != kNone) {
    slot = found;
  } else {
    slot = s.new_slot(national_id, minted_order);
  }
  s.next_minted = std::max(s.next_minted, minted_order + 1);
  const std::string key = ref_key(record);
  if (const std::uint32_t n = s.by_key.find(key); n != kNone) {
    Node& node = s.nodes[n];
    if (node.slot != kNone) {
      auto& m = s.slots[node.slot].members;
      m.erase(std::remove(m.begin(), m.end(), n), m.end());
    }
    node.slot = slot;
    s.slots[slot].members.push_back(n);
  } else {
    s.pending[key] = slot;
  }
}

void Resolver::restore_decision(const Decision& d) {
  State& s = *s_;
  std::string a = ref_key(d.a);
  std::string b = ref_key(d.b);
  if (a == b) return;
  PairKey k = pair_key(a, b);
  auto [it, fresh] = s.decisions.insert_or_assign(k, d);
  if (fresh) {
    s.decided_with[a].push_back(b);
    s.decided_with[b].push_back(a);
  }
}

std::vector<LinkageEvent> Resolver::upsert(MatchRecord record) {
  std::vector<MatchRecord> one;
  one.push_back(std::move(record));
  return upsert_many(std::move(one));
}

std::vector<LinkageEvent> Resolver::upsert_many(std::vector<MatchRecord> records) {
  // Never reserved for a few records: reserve() sizes the table to just what is asked, so
  // reserving size + 1 at each upsert rehashed every few records.
  if (records.size() > 1) reserve(size() + records.size());
  add_many(std::move(records));
  return resolve_added();
}

void Resolver::reserve(std::size_t records) {
  State& s = *s_;
  s.by_key.reserve(records);
  s.stamp.reserve(records);
  s.mark.reserve(records);
  s.summaries.reserve(records);
}

void Resolver::add_many(std::vector<MatchRecord> records) {
  State& s = *s_;
  for (MatchRecord& r : records) {
    const std::uint32_t n = s.by_key.find(ref_key(r.ref));
    if (n == kNone) {
      s.attach(s.add_node(std::move(r)));
    } else {
      s.detach(n);
      s.set_record(n, std::move(r));
      s.attach(n);
    }
  }
}

std::vector<LinkageEvent> Resolver::resolve_added() {
  // Restored ids wait in `pending` for their records; once every one has arrived (a rebuild
  // at start), its buckets (8 bytes a record restored) are freed before the clustering.
  if (s_->pending.empty() && s_->pending.bucket_count() > 1)
    decltype(s_->pending)().swap(s_->pending);
  return s_->resolve_dirty(Decider::engine, "record upserted");
}

std::vector<LinkageEvent> Resolver::remove(const RecordRef& record) {
  State& s = *s_;
  const std::uint32_t n = s.by_key.find(ref_key(record));
  if (n == kNone) return {};
  s.detach(n);
  std::vector<LinkageEvent> events;
  Node& node = s.nodes[n];
  if (node.slot != kNone) {
    auto& m = s.slots[node.slot].members;
    m.erase(std::remove(m.begin(), m.end(), n), m.end());
    s.dirty.insert(s.dirty.end(), m.begin(), m.end());
    events.push_back({ChangeKind::removed, s.slots[node.slot].value, {}, {record},
                      Decider::engine, "record removed"});
    if (m.empty()) {
      events.push_back({ChangeKind::retired, s.slots[node.slot].value, {}, {}, Decider::engine,
                        "record removed"});
    }
  }
  node.live = false;
  node.slot = kNone;
  node.rec = {};
  s.summaries[n] = {};
  s.by_key.erase(node.key);
  s.free_nodes.push_back(n);
  return s.resolve_dirty(Decider::engine, "record removed", std::move(events));
}

std::vector<LinkageEvent> Resolver::decide(const Decision& d) {
  State& s = *s_;
  restore_decision(d);
  const std::uint32_t a = s.by_key.find(ref_key(d.a));
  const std::uint32_t b = s.by_key.find(ref_key(d.b));
  if (a == kNone || b == kNone || a == b) return {};
  s.dirty.push_back(a);
  s.dirty.push_back(b);
  const std::string what = d.kind == DecisionKind::link ? "operator link" : "operator separate";
  return s.resolve_dirty(Decider::operator_, d.reason.empty() ? what : what + ": " + d.reason);
}

bool Resolver::contains(const RecordRef& record) const { return s_->find(record) != nullptr; }

std::size_t Resolver::size() const { return s_->by_key.size(); }

std::optional<std::string> Resolver::national_id(const RecordRef& record) const {
  const Node* n = s_->find(record);
  if (!n || n->slot == kNone) return std::nullopt;
  return s_->slots[n->slot].value;
}

std::optional<std::uint64_t> Resolver::minted_order(const std::string& national_id) const {
  const std::uint32_t slot = s_->slot_by_value.find(national_id);
  if (slot == kNone) return std::nullopt;
  return s_->slots[slot].minted;
}

std::vector<RecordRef> Resolver::cluster_of(const RecordRef& record) const {
  const Node* n = s_->find(record);
  if (!n) return {};
  std::vector<RecordRef> out;
  for (std::uint32_t m : s_->slots[n->slot].members) out.push_back(s_->nodes[m].rec.ref);
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<std::vector<RecordRef>> Resolver::partition() const {
  std::vector<std::vector<RecordRef>> out;
  for (const IdSlot& slot : s_->slots) {
    if (slot.members.empty()) continue;
    auto& c = out.emplace_back();
    for (std::uint32_t m : slot.members) c.push_back(s_->nodes[m].rec.ref);
    std::sort(c.begin(), c.end());
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<ReviewPair> Resolver::review_queue() const {
  const State& s = *s_;
  std::vector<ReviewPair> out;
  for (const Node& x : s.nodes) {
    if (!x.live) continue;
    for (const Edge& e : x.edges) {
      const Node& y = s.nodes[e.other];
      if (e.outcome != Outcome::review || !(x.key < y.key) || x.slot == y.slot) continue;
      if (s.decision(x.key, y.key)) continue;
      out.push_back({x.rec.ref, y.rec.ref, s.score(s.by_key.find(x.key), e.other)});
    }
  }
  std::sort(out.begin(), out.end(), [](const ReviewPair& p, const ReviewPair& q) {
    if (p.score.score != q.score.score) return p.score.score > q.score.score;
    return std::tie(p.a, p.b) < std::tie(q.a, q.b);
  });
  return out;
}

std::vector<ReviewPair> Resolver::review_pairs_of(const RecordRef& record) const {
  const State& s = *s_;
  std::vector<ReviewPair> out;
  const std::uint32_t n = s.by_key.find(ref_key(record));
  if (n == kNone || !s.nodes[n].live) return out;
  const Node& x = s.nodes[n];
  for (const Edge& e : x.edges) {
    const Node& y = s.nodes[e.other];
    if (e.outcome != Outcome::review || x.slot == y.slot || s.decision(x.key, y.key)) continue;
    const bool first = x.key < y.key;
    out.push_back({first ? x.rec.ref : y.rec.ref, first ? y.rec.ref : x.rec.ref,
                   s.score(n, e.other)});
  }
  std::sort(out.begin(), out.end(), [](const ReviewPair& p, const ReviewPair& q) {
    if (p.score.score != q.score.score) return p.score.score > q.score.score;
    return std::tie(p.a, p.b) < std::tie(q.a, q.b);
  });
  return out;
}

std::optional<PairScore> Resolver::explain(const RecordRef& a, const RecordRef& b) const {
  const std::uint32_t x = s_->by_key.find(ref_key(a));
  const std::uint32_t y = s_->by_key.find(ref_key(b));
  if (x == kNone || y == kNone) return std::nullopt;
  return s_->score(x, y);
}

ResolverStats Resolver::stats() const {
  const State& s = *s_;
  ResolverStats st;
  st.records = s.by_key.size();
  for (const IdSlot& slot : s.slots) st.clusters += slot.members.empty() ? 0 : 1;
  st.compared_pairs = s.compared;
  st.prescreened_pairs = s.prescreened;
  st.skipped_pairs = s.skipped;
  st.oversized_blocks = s.oversized;
  st.resolved_records = s.resolved;
  st.clustered_links = s.clustered;
  st.refused_against = s.refused_against;
  st.refused_size = s.refused_size;
  st.local_regions = s.local_regions;
  for (const Node& n : s.nodes) {
    for (const Edge& e : n.edges) {
      st.link_pairs += e.outcome == Outcome::link ? 1 : 0;
      st.review_pairs += e.outcome == Outcome::review ? 1 : 0;
    }
  }
  st.link_pairs /= 2;
  st.review_pairs /= 2;
  return st;
}

std::vector<FiledRecord> Resolver::filed_under(std::span<const std::uint64_t> keys) const {
  std::vector<std::uint32_t> found;
  for (std::uint64_t k : keys) {
    const auto members = s_->blocks.members(k);
    found.insert(found.end(), members.begin(), members.end());
  }
  std::sort(found.begin(), found.end());
  found.erase(std::unique(found.begin(), found.end()), found.end());
  std::vector<FiledRecord> out;
  out.reserve(found.size());
  for (std::uint32_t n : found) {
    const Node& node = s_->nodes[n];
    if (!node.live) continue;
    FiledRecord f{&node.rec, {}, !node.rec.clear};
    if (node.slot != kNone) {
      const IdSlot& slot = s_->slots[node.slot];
      f.national_id = slot.value;
      for (std::uint32_t m : slot.members)
        f.child_shielded = f.child_shielded || !s_->nodes[m].rec.clear;
    }
    out.push_back(f);
  }
  return out;
}

const MatchConfig& Resolver::config() const { return s_->config; }

const Weights& Resolver::weights() const { return s_->weights; }

}  // namespace aegis::resolve
