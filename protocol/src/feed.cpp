// The index → authority feed (docs/PROTOCOL.md §13): feed item bodies, national ids, signing
// and verification. The signer and chain checks are those of envelopes (chain_rules.hpp).
#include "aegis/protocol/feed.hpp"

#include "aegis/protocol/codec.hpp"
#include "aegis/protocol/signed.hpp"
#include "chain_rules.hpp"
#include "decode_rules.hpp"

namespace aegis::protocol {

namespace {

inline constexpr std::size_t kFeedBodyFields = 8;
inline constexpr std::size_t kAppliedFields = 2;
inline constexpr std::size_t kAssignmentFields = 2;
// Crockford's base32 alphabet: digits and upper-case letters without I, L, O and U.
inline constexpr std::string_view kCrockford = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

DecodeLimits feed_item_limits() {
  DecodeLimits limits;
  limits.max_input = kMaxFeedItemSize;
  return limits;
}

std::uint64_t read_positive(const Node& n) {
  const std::uint64_t v = n.as_uint();
  if (!n.context().failed() && v == 0) n.fail(Errc::invalid_field, "must be at least 1");
  return v;
}

void read_assignment(const Node& n, FeedItem& f) {
  DecodeContext& ctx = n.context();
  ArrayNode pair = detail::read_struct(n, kAssignmentFields);
  NationalIdAssignment a;
  Node record_id = pair.field(0, "record_id");
  a.record_id = record_id.as_str(detail::kAnyLen);
  if (!ctx.failed()) detail::check_record_id(ctx, record_id.path(), a.record_id);
  Node national_id = pair.field(1, "national_id");
  a.national_id = national_id.as_str(kNationalIdLen);
  if (!ctx.failed() && !valid_national_id(a.national_id))
    national_id.fail(Errc::invalid_field,
                     "must be 16 characters of Crockford base32 (0-9, A-Z without I L O U)");
  if (ctx.failed()) return;
  for (const NationalIdAssignment& earlier : f.national_ids)
    if (earlier.record_id == a.record_id) {
      record_id.fail(Errc::invalid_field, "record id already assigned in this item");
      return;
    }
  f.national_ids.push_back(std::move(a));
}

void read_data(const Node& n, FeedItem& f) {
  DecodeContext& ctx = n.context();
  if (f.kind == FeedKind::applied) {
    ArrayNode d = detail::read_struct(n, kAppliedFields);
    f.applied_seq = read_positive(d.field(0, "applied_seq"));
    f.applied_hash = d.field(1, "applied_hash").as_fixed_bin<kHashSize>();
    return;
  }
  ArrayNode list = n.as_array(1, kMaxNationalIdsPerItem);
  if (ctx.failed()) return;
  f.national_ids.reserve(list.size());
  for (std::size_t i = 0; i < list.size() && !ctx.failed(); ++i)
    read_assignment(list.item(i), f);
}

FeedItem read_feed_item_body(const Node& n) {
  FeedItem f;
  DecodeContext& ctx = n.context();
  ArrayNode a = detail::read_versioned_struct(n, kFeedItemVersion, kFeedBodyFields);

  Node authority = a.field(1, "authority_id");
  f.authority_id = authority.as_str(detail::kAnyLen);
  if (!ctx.failed()) detail::check_authority_id(ctx, authority.path(), f.authority_id);
  f.seq = read_positive(a.field(2, "seq"));
  f.prev_hash = a.field(3, "prev_hash").as_fixed_bin<kHashSize>();
  f.timestamp_ms = a.field(4, "timestamp_ms").as_uint();
  f.signer_serial = read_positive(a.field(5, "signer_serial"));

  Node kind = a.field(6, "kind");
  const std::uint64_t code = kind.as_uint(UINT8_MAX);
  if (ctx.failed()) return f;
  if (code == static_cast<std::uint64_t>(FeedKind::applied))
    f.kind = FeedKind::applied;
  else if (code == static_cast<std::uint64_t>(FeedKind::national_id))
    f.kind = FeedKind::national_id;
  else {
    kind.fail(Errc::invalid_field, "unknown kind " + std::to_string(code));
    return f;
  }
  read_data(a.field(7, "data"), f);
  return f;
}

}  // namespace

bool valid_national_id(std::string_view id) noexcept {
  if (id.size() != kNationalIdLen) return false;
  for (char c : id)
    if (kCrockford.find(c) == std::string_view::npos) return false;
  return true;
}

std::string encode_national_id(const ByteArray<10>& bits) {
  std::string out;
  out.reserve(kNationalIdLen);
  for (std::size_t i = 0; i < kNationalIdLen; ++i) {
    // Character i holds bits 5i .. 5i+4, counted from the most significant bit of byte 0.
    std::uint32_t v = 0;
    for (std::size_t b = 5 * i; b < 5 * i + 5; ++b)
      v = (v << 1) | ((bits[b / 8] >> (7 - b % 8)) & 1u);
    out += kCrockford[v];
  }
  return out;
}

Bytes encode_feed_item_body(const FeedItem& f) {
  Writer w;
  w.array(kFeedBodyFields);
  w.uint(kFeedItemVersion);
  w.str(f.authority_id);
  w.uint(f.seq);
  w.bin(f.prev_hash);
  w.uint(f.timestamp_ms);
  w.uint(f.signer_serial);
  w.uint(static_cast<std::uint64_t>(f.kind));
  if (f.kind == FeedKind::applied) {
    w.array(kAppliedFields);
    w.uint(f.applied_seq);
    w.bin(f.applied_hash);
  } else {
    w.array(static_cast<std::uint32_t>(f.national_ids.size()));
    for (const NationalIdAssignment& a : f.national_ids) {
      w.array(kAssignmentFields);
      w.str(a.record_id);
      w.str(a.national_id);
    }
  }
  return w.take();
}

Result<FeedItem> decode_feed_item_body(ByteView bytes) {
  return decode_canonical<FeedItem>(bytes, feed_item_limits(), "feed_item", read_feed_item_body,
                                    encode_feed_item_body);
}

Bytes sign_feed_item(const FeedItem& f, const Signer& index) {
  return encode_signed(sign_body(encode_feed_item_body(f), kDomainFeed, index));
}

Hash feed_item_hash(ByteView wire) { return blake2b_256(wire); }

Result<VerifiedFeedItem> verify_feed_item(ByteView wire, const Trust& trust,
                                          std::string_view authority_id, const ChainState& chain,
                                          std::uint64_t now_ms) {
  // 1. Structure and canonical form, wrapper first, then body.
  auto wrapper = decode_signed(wire, "feed_item", feed_item_limits());
  if (!wrapper) return wrapper.error();
  auto item = decode_feed_item_body(wrapper->body);
  if (!item) return item.error();

  // 2-5. Signed by an index certificate (any index subject), unrevoked, valid now and at the
  // item's time; the signature over the body bytes under the feed domain.
  const detail::ChainedFields fields{"feed_item", item->seq, item->prev_hash, item->timestamp_ms,
                                     item->signer_serial};
  const detail::SignerRule rule{Role::index, std::nullopt, kDomainFeed};
  if (auto signer = detail::check_signer(fields, *wrapper, rule, trust, now_ms); !signer)
    return signer.error();

  // 6. Addressed to this authority: an item for another authority is wrong_role (this receiver
  // is not the role the item names), never stored in this authority's feed.
  if (item->authority_id != authority_id)
    return make_error(Errc::wrong_role, "feed_item.authority_id: addressed to " +
                                            item->authority_id + ", not " +
                                            std::string(authority_id));

  // 7. Chain.
  if (auto chained = detail::check_chain(fields, chain); !chained) return chained.error();

  return VerifiedFeedItem{std::move(*item), feed_item_hash(wire)};
}

}  // namespace aegis::protocol
