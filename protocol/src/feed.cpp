// The index → authority feed (docs/PROTOCOL.md §13): feed item bodies (versions 2 to 6, the
// kinds applied, national_id, elsewhere, audit_checkpoint, access_notice and override_notice),
// national ids, signing and verification. The signer and chain checks are those of envelopes (chain_rules.hpp).
#include "aegis/protocol/feed.hpp"

#include <array>

#include "aegis/protocol/codec.hpp"
#include "aegis/protocol/record.hpp"
#include "aegis/protocol/signed.hpp"
#include "chain_rules.hpp"
#include "decode_rules.hpp"

namespace aegis::protocol {

namespace {

inline constexpr std::size_t kFeedBodyFields = 8;
inline constexpr std::size_t kAppliedFields = 2;
inline constexpr std::size_t kAssignmentFields = 2;
inline constexpr std::size_t kElsewhereFields = 6;
// Crockford's base32 alphabet: digits and upper-case letters without I, L, O and U.
inline constexpr std::string_view kCrockford = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

DecodeLimits feed_item_limits() {
  DecodeLimits limits;
  limits.max_input = kMaxFeedItemSize;
  return limits;
}

std::string read_record_id(const Node& n) {
  std::string id = n.as_str(detail::kAnyLen);
  if (!n.context().failed()) detail::check_record_id(n.context(), n.path(), id);
  return id;
}

std::string read_authority_id(const Node& n) {
  std::string id = n.as_str(detail::kAnyLen);
  if (!n.context().failed()) detail::check_authority_id(n.context(), n.path(), id);
  return id;
}

std::string read_national_id(const Node& n) {
  std::string id = n.as_str(kNationalIdLen);
  if (!n.context().failed() && !valid_national_id(id))
    n.fail(Errc::invalid_field,
           "must be 16 characters of Crockford base32 (0-9, A-Z without I L O U)");
  return id;
}

void read_assignment(const Node& n, FeedItem& f) {
  DecodeContext& ctx = n.context();
  ArrayNode pair = detail::read_struct(n, kAssignmentFields);
  NationalIdAssignment a;
  Node record_id = pair.field(0, "record_id");
  a.record_id = read_record_id(record_id);
  a.national_id = read_national_id(pair.field(1, "national_id"));
  if (ctx.failed()) return;
  for (const NationalIdAssignment& earlier : f.national_ids)
    if (earlier.record_id == a.record_id) {
      record_id.fail(Errc::invalid_field, "record id already assigned in this item");
      return;
    }
  f.national_ids.push_back(std::move(a));
}

// What another authority may see of a record (§13.2): anything else is invalid_field, named.
void check_shareable(DecodeContext& ctx, const std::string& path, const ChildDetails& d) {
  auto refuse = [&](const std::string& field, std::string_view why) {
    ctx.fail(Errc::invalid_field, path + "." + field, why);
  };
  if (d.address) refuse("address", "must be nil: a child's address is not shared across areas");
  if (d.upn) refuse("upn", "must be nil: identifiers are not shared across areas");
  if (d.uln) refuse("uln", "must be nil: identifiers are not shared across areas");
  if (d.nhs_number) refuse("nhs_number", "must be nil: identifiers are not shared across areas");
  for (std::size_t i = 0; i < d.involvements.size(); ++i)
    if (d.involvements[i].sensitive)
      refuse("involvements[" + std::to_string(i) + "].sensitive",
             "a sensitive involvement is never shared across areas");
  if (d.shield) refuse("shield", "must be nil: a shield is never shared across areas");
}

void read_elsewhere(const Node& n, FeedItem& f) {
  DecodeContext& ctx = n.context();
  ArrayNode d = detail::read_struct(n, kElsewhereFields);
  ElsewhereLink& e = f.elsewhere;
  e.record_id = read_record_id(d.field(0, "record_id"));
  e.national_id = read_national_id(d.field(1, "national_id"));
  e.other_authority_id = read_authority_id(d.field(2, "other_authority_id"));
  Node other_record = d.field(3, "other_record_id");
  e.other_record_id = read_record_id(other_record);
  if (ctx.failed()) return;
  if (e.other_authority_id == f.authority_id && e.other_record_id == e.record_id) {
    other_record.fail(Errc::invalid_field, "the item's own record: a link needs another record");
    return;
  }
  Node state = d.field(4, "state");
  const std::uint64_t code = state.as_uint();
  if (ctx.failed()) return;
  if (code > static_cast<std::uint64_t>(ElsewhereState::shielded)) {
    state.fail(Errc::invalid_field, "unknown state " + std::to_string(code));
    return;
  }
  e.state = static_cast<ElsewhereState>(code);
  Node details = d.field(5, "details");
  if (e.state != ElsewhereState::linked) {
    if (!details.is_nil())
      details.fail(Errc::invalid_field, e.state == ElsewhereState::unlinked
                                            ? "must be nil when unlinked"
                                            : "must be nil when shielded there");
    return;
  }
  if (details.is_nil()) {
    details.fail(Errc::invalid_field, "required when linked");
    return;
  }
  e.details = read_child_details(details);
  if (!ctx.failed()) check_shareable(ctx, details.path(), *e.details);
}

// A notice tells an authority of another authority's user, never of its own.
void check_viewer(const Node& n, const AccessNotice& notice, const std::string& authority_id) {
  if (!n.context().failed() && notice.viewer_authority_id == authority_id)
    n.context().fail(Errc::invalid_field, n.path() + ".viewer_authority_id",
                     "the item's own authority: an authority is not told of its own queries");
}

void read_data(const Node& n, FeedItem& f) {
  DecodeContext& ctx = n.context();
  switch (f.kind) {
    case FeedKind::applied: {
      ArrayNode d = detail::read_struct(n, kAppliedFields);
      f.applied_seq = detail::read_positive(d.field(0, "applied_seq"));
      f.applied_hash = d.field(1, "applied_hash").as_fixed_bin<kHashSize>();
      return;
    }
    case FeedKind::national_id: {
      ArrayNode list = n.as_array(1, kMaxNationalIdsPerItem);
      if (ctx.failed()) return;
      f.national_ids.reserve(list.size());
      for (std::size_t i = 0; i < list.size() && !ctx.failed(); ++i)
        read_assignment(list.item(i), f);
      return;
    }
    case FeedKind::elsewhere:
      read_elsewhere(n, f);
      return;
    case FeedKind::audit_checkpoint:
      f.checkpoint_notice = read_checkpoint_notice(n);
      return;
    case FeedKind::access_notice:
      if (f.version >= kNoticeListFeedItemVersion) {
        ArrayNode list = n.as_array(1, kMaxNoticesPerItem);
        if (ctx.failed()) return;
        f.notices.reserve(list.size());
        for (std::size_t i = 0; i < list.size() && !ctx.failed(); ++i) {
          Node one = list.item(i);
          f.notices.push_back(read_access_notice(one, false));
          check_viewer(one, f.notices.back(), f.authority_id);
        }
        return;
      }
      [[fallthrough]];
    case FeedKind::override_notice:
      f.notice = read_access_notice(n, f.kind == FeedKind::override_notice);
      check_viewer(n, f.notice, f.authority_id);
      return;
  }
}

// The first version that knows each kind (index: the kind code; 0 = no such kind): 1 and 2
// since version 2, 3 since version 3, 4 since version 4, 5 and 6 since version 5 (version 6
// changes kind 5's data to a list).
inline constexpr std::array<std::uint64_t, 7> kKindSince = {0, 2, 2, 3, 4, 5, 5};
inline constexpr std::uint64_t kNewestFeedItemVersion = kNoticeListFeedItemVersion;

bool known_version(std::uint64_t version) {
  return version >= kOldestFeedItemVersion && version <= kNewestFeedItemVersion;
}

bool kind_in_version(std::uint64_t code, std::uint64_t version) {
  return code < kKindSince.size() && kKindSince[code] != 0 && version >= kKindSince[code];
}

FeedItem read_feed_item_body(const Node& n) {
  FeedItem f;
  DecodeContext& ctx = n.context();
  // [version, ...]: the version first (2 to 5), then the arity, as detail::read_versioned_struct
  // does for a single version.
  ArrayNode a = n.as_array(1, detail::kAnyLen);
  Node version = a.field(0, "version");
  f.version = version.as_uint();
  if (!ctx.failed() && !known_version(f.version))
    version.fail(Errc::unknown_version, "version " + std::to_string(f.version) +
                                            ", this implementation knows " +
                                            std::to_string(kOldestFeedItemVersion) + " to " +
                                            std::to_string(kNewestFeedItemVersion));
  detail::expect_arity(n, a, kFeedBodyFields);

  f.authority_id = read_authority_id(a.field(1, "authority_id"));
  f.seq = detail::read_positive(a.field(2, "seq"));
  f.prev_hash = a.field(3, "prev_hash").as_fixed_bin<kHashSize>();
  f.timestamp_ms = a.field(4, "timestamp_ms").as_uint();
  f.signer_serial = detail::read_positive(a.field(5, "signer_serial"));

  Node kind = a.field(6, "kind");
  const std::uint64_t code = kind.as_uint(UINT8_MAX);
  if (ctx.failed()) return f;
  if (!kind_in_version(code, f.version)) {
    kind.fail(Errc::invalid_field, "unknown kind " + std::to_string(code) + " in version " +
                                       std::to_string(f.version));
    return f;
  }
  f.kind = static_cast<FeedKind>(code);
  read_data(a.field(7, "data"), f);
  return f;
}

void write_elsewhere(Writer& w, const ElsewhereLink& e) {
  w.array(kElsewhereFields);
  w.str(e.record_id);
  w.str(e.national_id);
  w.str(e.other_authority_id);
  w.str(e.other_record_id);
  w.uint(static_cast<std::uint64_t>(e.state));
  if (e.details)
    write_child_details(w, *e.details);
  else
    w.nil();
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

ChildDetails details_for_elsewhere(const ChildDetails& full) {
  ChildDetails out;
  out.contacts = full.contacts;
  for (const Involvement& v : full.involvements)
    if (!v.sensitive) out.involvements.push_back(v);
  return out;
}

Bytes encode_feed_item_body(const FeedItem& f) {
  Writer w;
  w.array(kFeedBodyFields);
  w.uint(f.version);
  w.str(f.authority_id);
  w.uint(f.seq);
  w.bin(f.prev_hash);
  w.uint(f.timestamp_ms);
  w.uint(f.signer_serial);
  w.uint(static_cast<std::uint64_t>(f.kind));
  switch (f.kind) {
    case FeedKind::applied:
      w.array(kAppliedFields);
      w.uint(f.applied_seq);
      w.bin(f.applied_hash);
      break;
    case FeedKind::national_id:
      w.array(static_cast<std::uint32_t>(f.national_ids.size()));
      for (const NationalIdAssignment& a : f.national_ids) {
        w.array(kAssignmentFields);
        w.str(a.record_id);
        w.str(a.national_id);
      }
      break;
    case FeedKind::elsewhere:
      write_elsewhere(w, f.elsewhere);
      break;
    case FeedKind::audit_checkpoint:
      write_checkpoint_notice(w, f.checkpoint_notice);
      break;
    case FeedKind::access_notice:
      if (f.version >= kNoticeListFeedItemVersion) {
        w.array(static_cast<std::uint32_t>(f.notices.size()));
        for (const AccessNotice& n : f.notices) write_access_notice(w, n, false);
        break;
      }
      [[fallthrough]];
    case FeedKind::override_notice:
      write_access_notice(w, f.notice, f.kind == FeedKind::override_notice);
      break;
  }
  return w.take();
}

std::span<const AccessNotice> item_notices(const FeedItem& f) noexcept {
  if (f.kind == FeedKind::access_notice && f.version >= kNoticeListFeedItemVersion)
    return f.notices;
  if (f.kind == FeedKind::access_notice || f.kind == FeedKind::override_notice)
    return {&f.notice, 1};
  return {};
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
