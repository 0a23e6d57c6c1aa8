// Sync messages (docs/PROTOCOL.md §12): [1, type, fields...] encoded and decoded canonically,
// under limits that keep a hostile frame from allocating more than its own size.
#include "aegis/protocol/sync.hpp"

#include <algorithm>
#include <array>
#include <cassert>

#include "aegis/protocol/envelope.hpp"
#include "aegis/protocol/feed.hpp"
#include "decode_rules.hpp"

namespace aegis::protocol {

namespace {

// Wire type codes, in the order of the Message variant (index + 1).
enum class Type : std::uint8_t {
  hello = 1,
  welcome = 2,
  push = 3,
  ack = 4,
  reject = 5,
  feed_batch = 6,
  feed_ack = 7,
  ping = 8,
  pong = 9,
  refused = 10,
};
inline constexpr std::uint64_t kLastType = 10;
static_assert(std::variant_size_v<Message> == kLastType);

// Fields after [version, type], per type code (index 0 unused).
inline constexpr std::array<std::size_t, kLastType + 1> kFieldCount = {0, 2, 2, 1, 2, 3,
                                                                       1, 1, 1, 1, 2};

inline constexpr std::array<std::string_view, kLastType + 1> kNames = {
    "",    "hello",   "welcome",  "push", "ack",   "reject", "feed_batch", "feed_ack",
    "ping", "pong", "refused"};

std::uint64_t type_of(const Message& m) noexcept { return m.index() + 1; }

// Parse limits: one frame of at most kMaxMessageSize; a batch of at most kMaxBatch elements;
// one bin at most the larger of an envelope and a feed item (kMaxFeedItemSize); strings at most a
// detail; [.., [bin...]] is two levels deep.
DecodeLimits message_limits() {
  DecodeLimits limits;
  limits.max_input = kMaxMessageSize;
  limits.max_array = kMaxBatch;
  limits.max_str = kMaxDetailLen;
  limits.max_bin = std::max(kMaxEnvelopeSize, kMaxFeedItemSize);
  limits.max_depth = 2;
  return limits;
}

// Printable ASCII only (anything else becomes '?'), at most kMaxDetailLen bytes.
std::string clip_detail(std::string_view detail) {
  std::string out(detail.substr(0, kMaxDetailLen));
  for (char& c : out)
    if (c < 0x20 || c > 0x7e) c = '?';
  return out;
}

void write_batch(Writer& w, const std::vector<Bytes>& items) {
  w.array(static_cast<std::uint32_t>(items.size()));
  for (const Bytes& b : items) w.bin(b);
}

std::vector<Bytes> read_batch(const Node& n, std::size_t max_item) {
  std::vector<Bytes> out;
  ArrayNode a = n.as_array(1, kMaxBatch);
  out.reserve(a.size());
  for (std::size_t i = 0; i < a.size() && !n.context().failed(); ++i)
    out.push_back(a.item(i).as_bin(max_item));
  return out;
}

std::uint64_t read_seq(const Node& n) {
  std::uint64_t seq = n.as_uint();
  if (!n.context().failed() && seq == 0) n.fail(Errc::invalid_field, "must be at least 1");
  return seq;
}

struct FieldWriter {
  Writer& w;
  void operator()(const Hello& m) {
    w.str(m.authority_id);
    w.uint(m.feed_seq);
  }
  void operator()(const Welcome& m) {
    w.uint(m.applied_seq);
    w.bin(m.applied_hash);
  }
  void operator()(const Push& m) { write_batch(w, m.envelopes); }
  void operator()(const Ack& m) {
    w.uint(m.applied_seq);
    w.bin(m.applied_hash);
  }
  void operator()(const Reject& m) {
    w.uint(m.seq);
    w.str(m.code);
    w.str(m.detail);
  }
  void operator()(const FeedBatch& m) { write_batch(w, m.items); }
  void operator()(const FeedAck& m) { w.uint(m.feed_seq); }
  void operator()(const Ping& m) { w.uint(m.nonce); }
  void operator()(const Pong& m) { w.uint(m.nonce); }
  void operator()(const Refused& m) {
    w.str(m.code);
    w.str(m.detail);
  }
};

// Reads the fields of a message of type `type`; `a` holds [version, type, fields...].
Message read_fields(DecodeContext& ctx, const ArrayNode& a, Type type) {
  switch (type) {
    case Type::hello: {
      Hello m;
      Node id = a.field(2, "authority_id");
      m.authority_id = id.as_str(detail::kAnyLen);
      if (!ctx.failed()) detail::check_authority_id(ctx, id.path(), m.authority_id);
      m.feed_seq = a.field(3, "feed_seq").as_uint();
      return m;
    }
    case Type::welcome:
      return Welcome{a.field(2, "applied_seq").as_uint(),
                     a.field(3, "applied_hash").as_fixed_bin<kHashSize>()};
    case Type::push:
      return Push{read_batch(a.field(2, "envelopes"), kMaxEnvelopeSize)};
    case Type::ack:
      return Ack{a.field(2, "applied_seq").as_uint(),
                 a.field(3, "applied_hash").as_fixed_bin<kHashSize>()};
    case Type::reject: {
      Reject m;
      m.seq = read_seq(a.field(2, "seq"));
      Node code = a.field(3, "code");
      m.code = code.as_str(kMaxCodeLen);
      if (!ctx.failed() && !errc_from_name(m.code))
        code.fail(Errc::invalid_field, "not the name of an error code");
      m.detail = a.field(4, "detail").as_str(kMaxDetailLen);
      return m;
    }
    case Type::feed_batch:
      return FeedBatch{read_batch(a.field(2, "items"), kMaxFeedItemSize)};
    case Type::feed_ack:
      return FeedAck{a.field(2, "feed_seq").as_uint()};
    case Type::ping:
      return Ping{a.field(2, "nonce").as_uint()};
    case Type::pong:
      return Pong{a.field(2, "nonce").as_uint()};
    case Type::refused: {
      Refused m;
      m.code = detail::read_refusal_code(a.field(2, "code"), kMaxCodeLen);
      m.detail = a.field(3, "detail").as_str(kMaxDetailLen);
      return m;
    }
  }
  return Ping{};  // unreachable: the caller checked the type
}

Message read_message(const Node& n) {
  ArrayNode a = n.as_array(1, detail::kAnyLen);
  a.field(0, "version").expect_version(kSyncVersion);
  Node type_node = a.field(1, "type");
  const std::uint64_t type = type_node.as_uint();
  if (n.context().failed()) return Ping{};
  if (type == 0 || type > kLastType) {
    type_node.fail(Errc::invalid_field, "unknown message type " + std::to_string(type));
    return Ping{};
  }
  detail::expect_arity(n, a, 2 + kFieldCount[type]);
  if (n.context().failed()) return Ping{};
  return read_fields(n.context(), a, static_cast<Type>(type));
}

std::size_t bin_header_size(std::size_t n) noexcept { return n <= 0xff ? 2 : n <= 0xffff ? 3 : 5; }

}  // namespace

Bytes encode_message(const Message& m) {
  const std::uint64_t type = type_of(m);
  Writer w;
  w.array(static_cast<std::uint32_t>(2 + kFieldCount[type]));
  w.uint(kSyncVersion);
  w.uint(type);
  std::visit(FieldWriter{w}, m);
  return w.take();
}

Result<Message> decode_message(ByteView bytes) {
  return decode_canonical<Message>(bytes, message_limits(), "message", read_message,
                                   encode_message);
}

std::string_view message_name(const Message& m) noexcept { return kNames[type_of(m)]; }

std::size_t batch_prefix(std::span<const Bytes> items) noexcept {
  // [1, type, [bin...]]: fixarray(3), version and type (one byte each), the batch's array
  // header (1 byte up to 15 elements, else 3), then each bin's header and bytes.
  std::size_t body = 0;
  std::size_t n = 0;
  for (const Bytes& item : items) {
    if (n == kMaxBatch) break;
    const std::size_t next = body + bin_header_size(item.size()) + item.size();
    const std::size_t header = 3 + (n + 1 <= 15 ? 1 : 3);
    if (header + next > kMaxMessageSize) break;
    body = next;
    ++n;
  }
  return n;
}

bool valid_refusal_code(std::string_view code) noexcept {
  if (code.empty() || code.size() > kMaxCodeLen) return false;
  for (char c : code)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) return false;
  return true;
}

Reject make_reject(std::uint64_t seq, const Error& error) {
  return Reject{seq, std::string(errc_name(error.code)), clip_detail(error.detail)};
}

Refused make_refused(std::string_view code, std::string_view detail) {
  assert(valid_refusal_code(code));
  return Refused{std::string(code), clip_detail(detail)};
}

std::optional<Errc> errc_from_name(std::string_view name) noexcept {
  // Codes are consecutive from 0; errc_name answers "unknown" past the last one.
  for (int i = 0;; ++i) {
    const auto code = static_cast<Errc>(i);
    const std::string_view n = errc_name(code);
    if (n == "unknown") return std::nullopt;
    if (n == name) return code;
  }
}

}  // namespace aegis::protocol
