// The access and override notices an authority received in its feed (docs/query.md rule 8;
// feed kinds 5 and 6; an access_notice item of feed version 6 carries several): store_feed
// keeps every verified item; this reads the notices of those two kinds back for
// `aegis notices`. A notice names a record id, the viewer's authority, user id, role and
// purpose: no personal data of the child.
#include "aegis/protocol/feed.hpp"
#include "aegis/protocol/signed.hpp"
#include "store/columns.hpp"
#include "store/store.hpp"

namespace aegis::store {

Result<std::vector<ReceivedNotice>> Store::notices(std::size_t max) {
  Result<sql::Statement> q = db_.prepare(
      "SELECT seq, received_ms, item FROM feed WHERE kind IN (5, 6) ORDER BY seq DESC LIMIT ?1",
      "read notices");
  if (!q) return q.error();
  q->bind(1, i64(max));
  std::vector<ReceivedNotice> out;
  for (;;) {
    Result<bool> row = q->step();
    if (!row) return row.error();
    if (!*row) break;
    const std::uint64_t seq = u64(q->int64(0));
    auto item = [&]() -> protocol::Result<protocol::FeedItem> {
      protocol::Result<protocol::Signed> s = protocol::decode_signed(q->blob_view(2), "feed item");
      if (!s) return s.error();
      return protocol::decode_feed_item_body(s->body);
    }();
    if (!item)
      return store_error(StoreErrc::corrupt,
                         "feed item " + std::to_string(seq) + ": " + item.error().message());
    // An access_notice item of version 6 holds a second's notices: newest first, as the items.
    const std::span<const protocol::AccessNotice> held = protocol::item_notices(*item);
    for (auto n = held.rbegin(); n != held.rend() && out.size() < max; ++n)
      out.push_back({seq, u64(q->int64(1)), item->kind == protocol::FeedKind::override_notice, *n});
    if (out.size() >= max) break;
  }
  return out;
}

}  // namespace aegis::store
