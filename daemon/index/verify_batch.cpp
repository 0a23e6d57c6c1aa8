// Parallel, in-order envelope verification and the cheap envelope peek (see verify_batch.hpp).
#include "index/verify_batch.hpp"

#include <atomic>
#include <memory>
#include <system_error>
#include <thread>
#include <vector>

#include "aegis/protocol/envelope.hpp"

namespace aegis::index {

using protocol::ByteView;

namespace {

// A forward-only reader of the few msgpack forms peek_envelope needs (bounds-checked).
class Peeker {
 public:
  explicit Peeker(ByteView b) : b_(b) {}

  bool byte(std::uint8_t& out) {
    if (pos_ >= b_.size()) return false;
    out = b_[pos_++];
    return true;
  }
  bool big_endian(std::size_t n, std::uint64_t& out) {
    if (b_.size() - pos_ < n) return false;
    out = 0;
    for (std::size_t i = 0; i < n; ++i) out = (out << 8) | b_[pos_++];
    return true;
  }
  // A header byte followed by a length in `n` bytes, or a fixed-length form.
  bool uint(std::uint64_t& out) {
    std::uint8_t h = 0;
    if (!byte(h)) return false;
    if (h <= 0x7f) {
      out = h;
      return true;
    }
    switch (h) {
      case 0xcc: return big_endian(1, out);
      case 0xcd: return big_endian(2, out);
      case 0xce: return big_endian(4, out);
      case 0xcf: return big_endian(8, out);
      default: return false;
    }
  }
  bool length(std::uint8_t fix_base, std::uint8_t fix_mask, std::uint8_t first_long,
              std::uint64_t& out) {
    std::uint8_t h = 0;
    if (!byte(h)) return false;
    if (fix_mask != 0 && (h & static_cast<std::uint8_t>(~fix_mask)) == fix_base) {
      out = h & fix_mask;
      return true;
    }
    if (h == first_long) return big_endian(1, out);
    if (h == first_long + 1) return big_endian(2, out);
    if (h == first_long + 2) return big_endian(4, out);
    return false;
  }
  bool bin(ByteView& out) {
    std::uint64_t n = 0;
    if (!length(0, 0, 0xc4, n) || b_.size() - pos_ < n) return false;
    out = b_.subspan(pos_, static_cast<std::size_t>(n));
    pos_ += static_cast<std::size_t>(n);
    return true;
  }
  bool str(std::string_view& out) {
    std::uint64_t n = 0;
    if (!length(0xa0, 0x1f, 0xd9, n) || b_.size() - pos_ < n) return false;
    out = std::string_view(reinterpret_cast<const char*>(b_.data() + pos_),
                           static_cast<std::size_t>(n));
    pos_ += static_cast<std::size_t>(n);
    return true;
  }
  bool expect(std::uint8_t want) {
    std::uint8_t h = 0;
    return byte(h) && h == want;
  }

 private:
  ByteView b_;
  std::size_t pos_ = 0;
};

}  // namespace

std::optional<EnvelopePeek> peek_envelope(ByteView wire) noexcept {
  // Signed = [body: bin, signature: bin]; EnvelopeBody = [version, authority_id, seq, ...].
  Peeker outer(wire);
  ByteView body;
  if (!outer.expect(0x92) || !outer.bin(body)) return std::nullopt;
  Peeker in(body);
  EnvelopePeek peek;
  std::uint64_t version = 0;
  if (!in.expect(0x99) || !in.uint(version) || !in.str(peek.authority_id) || !in.uint(peek.seq))
    return std::nullopt;
  return peek;
}

VerifiedPush verify_push(std::string_view sender, const std::vector<protocol::Bytes>& envelopes,
                         const protocol::Trust& trust, const protocol::ChainState& from,
                         std::uint64_t now_ms) {
  VerifiedPush out;
  out.of = envelopes.data();
  out.count = envelopes.size();
  out.from = from;
  out.trust = &trust;
  out.now_ms = now_ms;
  std::uint64_t expected = from.last_seq + 1;
  for (std::size_t i = 0; i < envelopes.size(); ++i) {
    std::optional<EnvelopePeek> peek = peek_envelope(envelopes[i]);
    if (!peek) {  // unreadable: verify_envelope will name the exact error
      out.candidates.push_back(i);
      break;
    }
    if (peek->authority_id != sender) {
      out.foreign = true;  // its seq is not the sender's: the Reject names the position
      break;
    }
    if (peek->seq < expected) {
      ++out.duplicates;
      continue;
    }
    if (peek->seq > expected) {
      out.gap = true;
      break;
    }
    out.candidates.push_back(i);
    ++expected;
  }
  std::vector<ByteView> wires;
  wires.reserve(out.candidates.size());
  for (std::size_t i : out.candidates) wires.push_back(envelopes[i]);
  out.run = protocol::verify_run(wires, trust, from, now_ms);
  return out;
}

bool run_alongside(const std::function<void()>& side, const std::function<void()>& here) {
  bool side_done = false;  // written by the side thread, read after it is joined
  std::optional<std::jthread> thread;
  try {
    thread.emplace([&] {
      try {
        side();
        side_done = true;
      } catch (...) {  // reported as `false`: the caller does the work itself
      }
    });
  } catch (const std::system_error&) {  // no thread: `side` never runs
  }
  here();  // if it throws, the jthread's destructor joins the side thread first
  if (thread) thread->join();
  return side_done;
}

void verify_in_order(std::span<const VerifyItem> items, const protocol::Trust& trust,
                     protocol::ChainState start, unsigned threads,
                     const ConsumeVerified& consume) {
  const std::size_t n = items.size();
  auto verify = [&](std::size_t k) {
    protocol::ChainState chain = start;
    if (k > 0) chain = {start.last_seq + k, protocol::envelope_hash(items[k - 1].wire)};
    return protocol::verify_envelope(items[k].wire, trust, chain, items[k].now_ms);
  };

  if (threads <= 1 || n < 2) {
    for (std::size_t k = 0; k < n; ++k)
      if (!consume(k, verify(k))) return;
    return;
  }

  struct Slot {
    std::optional<protocol::Result<protocol::VerifiedEnvelope>> result;
    std::atomic<bool> ready{false};
  };
  std::unique_ptr<Slot[]> slots(new Slot[n]);
  std::atomic<std::size_t> next{0};  // the next item nobody has claimed
  std::atomic<bool> stop{false};
  auto verify_into_slot = [&](std::size_t k) {
    slots[k].result.emplace(verify(k));
    slots[k].ready.store(true, std::memory_order_release);
    slots[k].ready.notify_one();
  };
  auto work = [&] {
    while (!stop.load(std::memory_order_relaxed)) {
      std::size_t k = next.fetch_add(1);
      if (k >= n) return;
      verify_into_slot(k);
    }
  };

  {
    std::vector<std::jthread> workers;
    const std::size_t extra = std::min<std::size_t>(threads - 1, n - 1);
    for (std::size_t i = 0; i < extra; ++i) workers.emplace_back(work);

    for (std::size_t k = 0; k < n; ++k) {
      // While item k is not ready, help: verify the next unclaimed item, or wait for k.
      while (!slots[k].ready.load(std::memory_order_acquire)) {
        std::size_t mine = next.fetch_add(1);
        if (mine < n) verify_into_slot(mine);
        else slots[k].ready.wait(false, std::memory_order_acquire);
      }
      if (!consume(k, std::move(*slots[k].result))) {
        stop.store(true, std::memory_order_relaxed);
        break;
      }
    }
  }  // workers join here: each finishes at most the item it holds
}

}  // namespace aegis::index
