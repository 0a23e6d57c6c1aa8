// Sync messages between an authority and the index (docs/PROTOCOL.md §12). Each ZeroMQ message
// carries exactly one frame holding one canonical msgpack value [1, type, fields...]. Pure: the
// daemon moves the bytes; the state machines in sync_session.hpp decide what to send.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "aegis/protocol/bytes.hpp"
#include "aegis/protocol/codec.hpp"
#include "aegis/protocol/result.hpp"

namespace aegis::protocol {

inline constexpr std::uint64_t kSyncVersion = 1;
inline constexpr std::size_t kMaxBatch = 1024;                // envelopes or feed items
inline constexpr std::size_t kMaxMessageSize = 16u << 20;     // bytes of one frame (ZMQ_MAXMSGSIZE)
inline constexpr std::size_t kMaxCodeLen = 32;                // Reject.code, Refused.code
inline constexpr std::size_t kMaxDetailLen = 200;             // Reject.detail, Refused.detail

// Refused.code values this implementation sends (any snake_case token of 1..kMaxCodeLen bytes
// decodes; a receiver treats an unknown one like protocol_error).
inline constexpr std::string_view kRefusedNotAuthorised = "not_authorised";  // unknown, revoked
                                                                             // or mismatched id
inline constexpr std::string_view kRefusedProtocolError = "protocol_error";  // undecodable or
                                                                             // unexpected message
inline constexpr std::string_view kRefusedUnavailable = "unavailable";  // shutting down or busy

// authority → index: "I am authority_id; I durably hold your feed up to feed_seq".
struct Hello {
  std::string authority_id;
  std::uint64_t feed_seq = 0;
  bool operator==(const Hello&) const = default;
};
// index → authority: where this authority's chain stands at the index.
struct Welcome {
  std::uint64_t applied_seq = 0;
  Hash applied_hash{};
  bool operator==(const Welcome&) const = default;
};
// authority → index: consecutive envelopes (wire bytes), 1..kMaxBatch.
struct Push {
  std::vector<Bytes> envelopes;
  bool operator==(const Push&) const = default;
};
// index → authority: durably applied up to applied_seq (highest contiguous).
struct Ack {
  std::uint64_t applied_seq = 0;
  Hash applied_hash{};
  bool operator==(const Ack&) const = default;
};
// index → authority: the envelope at seq failed verification (code = errc_name); nothing at
// or after seq in its batch was applied.
struct Reject {
  std::uint64_t seq = 0;
  std::string code;
  std::string detail;
  bool operator==(const Reject&) const = default;
};
// index → authority: consecutive feed items (wire bytes), 1..kMaxBatch.
struct FeedBatch {
  std::vector<Bytes> items;
  bool operator==(const FeedBatch&) const = default;
};
// authority → index: durably stored the feed up to feed_seq.
struct FeedAck {
  std::uint64_t feed_seq = 0;
  bool operator==(const FeedAck&) const = default;
};
struct Ping {
  std::uint64_t nonce = 0;
  bool operator==(const Ping&) const = default;
};
struct Pong {
  std::uint64_t nonce = 0;
  bool operator==(const Pong&) const = default;
};
// index → authority: the session is refused (e.g. not_authorised, protocol_error).
struct Refused {
  std::string code;
  std::string detail;
  bool operator==(const Refused&) const = default;
};

using Message = std::variant<Hello, Welcome, Push, Ack, Reject, FeedBatch, FeedAck, Ping, Pong,
                             Refused>;

// Type codes on the wire: Hello 1, Welcome 2, Push 3, Ack 4, Reject 5, FeedBatch 6, FeedAck 7,
// Ping 8, Pong 9, Refused 10.
Bytes encode_message(const Message& m);
Result<Message> decode_message(ByteView bytes);
// "hello", "welcome", "push", "ack", "reject", "feed_batch", "feed_ack", "ping", "pong",
// "refused".
std::string_view message_name(const Message& m) noexcept;

// How many leading items of `items` fit in one Push or FeedBatch: at most kMaxBatch, and the
// encoded message at most kMaxMessageSize. Always at least 1 when `items` is not empty (every
// item is at most kMaxFeedItemSize, far below a frame). A sender that was asked for a range
// sends this prefix.
std::size_t batch_prefix(std::span<const Bytes> items) noexcept;

// A Reject for `seq` carrying `error` (code = errc_name, detail clipped to kMaxDetailLen bytes
// on a UTF-8 boundary), and a Refused likewise: values that always encode validly.
Reject make_reject(std::uint64_t seq, const Error& error);
Refused make_refused(std::string_view code, std::string_view detail);
// True for 1..kMaxCodeLen bytes of [a-z0-9_]: a Refused code (also a QueryRefused code, §16).
bool valid_refusal_code(std::string_view code) noexcept;

// The Errc whose errc_name is `name` (as carried by Reject.code); nullopt for any other text.
std::optional<Errc> errc_from_name(std::string_view name) noexcept;

}  // namespace aegis::protocol
