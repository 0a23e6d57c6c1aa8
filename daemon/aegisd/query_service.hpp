// The index's query service (docs/query.md, PROTOCOL.md §16): its own ROUTER socket
// ([sync] query_listen; CURVE server behind the same ZAP allow-list as the sync socket, the same
// limits), on which authorities send their users' signed queries. Per QueryRequest:
//   the sender (ZAP User-Id) must be the query's authority_id; verify_query (certificate,
//   signature); fresh (|now - time_ms| <= 5 min); query_id not seen from that authority within
//   the window (replayed) -> IndexStore::answer_queries (search, answer, and in ONE transaction
//   the audit entry and the owners' access notices, queued) -> QueryAnswer. The queries
//   waiting on the socket (up to index::kMaxQueryGroup) are answered together: one
//   transaction, one fsync, for all their audit entries (a group commit); no answer is sent
//   before that commit. The queued notices are signed into the owners' feeds by
//   flush_notices, from the index's tick.
// Per OverrideRequest the same checks (on its inner query) -> IndexStore::answer_override (the
// child's records, sealed ones as stored; in ONE transaction the audit entry marked for
// investigation and the owners' override notices) -> OverrideAnswer; an unknown child is
// `not_found`, a child that is not shielded `invalid_field`.
// Anything refused is answered QueryRefused{query_id, code, detail}, logged and counted; a query
// refused after its message decoded as a QueryRequest (signature, certificate, wrong
// connection, stale, replayed) also gets a query_refused audit entry (docs/audit.md, "Refused
// queries"); undecodable messages are counted only. An audit write that fails for an answer is
// `unavailable`: nothing is answered unaudited.
// Runs on the daemon's event loop, with the index store (docs/query.md, "Where it runs").
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>
#include <zmq.hpp>

#include "aegis/keys/keys.hpp"
#include "aegis/protocol/query.hpp"
#include "config/config.hpp"
#include "index/index_store.hpp"
#include "role.hpp"
#include "transport/peer_sockets.hpp"

namespace aegis::daemon {

// The key of the audit log's criteria digests (docs/query.md rule 9), derived from the index
// identity: a hash of its (deterministic) Ed25519 signature over a fixed domain, so only the
// holder of the index key can recompute a digest, and the key never leaves keys/.
protocol::ByteArray<32> audit_digest_key(const protocol::Signer& index);

// Query ids seen per authority within the freshness window (replays refused).
class ReplayGuard {
 public:
  // True (and remembered) the first time (authority, id) is seen; false for a repeat. Forgets
  // ids whose query time is more than twice the freshness window before now_ms. O(log n) a
  // call: the ids are also kept in query-time order, so forgetting looks only at the oldest.
  bool first_seen(const std::string& authority, const protocol::QueryId& id,
                  std::uint64_t time_ms, std::uint64_t now_ms);
  std::size_t size() const { return seen_.size(); }

 private:
  using Key = std::pair<std::string, protocol::QueryId>;
  std::set<Key> seen_;
  std::set<std::pair<std::uint64_t, Key>> by_time_;  // (query time, key) of every id in seen_
};

class QueryService {
 public:
  // Called with the feeds an answered query advanced (the IndexNode sends their new items).
  using FeedsAdvanced = std::function<void(const std::vector<index::FeedHead>&)>;

  // Binds sync.query_listen. Throws transport::TransportError when it cannot.
  QueryService(const config::Config& config, index::IndexStore& store,
               const keys::Identity& identity, const index::IndexSigning& signing, std::shared_ptr<const protocol::Trust> trust,
               zmq::context_t& context, FeedsAdvanced feeds_advanced);

  // Signs the access notices the answered queries queued into their owners' feeds and sends
  // them (IndexStore::flush_notices): at most every index::kNoticeFlushMs, or at once when `now`
  // (stopping). Called by the index's tick; a failure is logged and tried again next time.
  void flush_notices(std::uint64_t now_ms, bool now);

  void watches(std::vector<Watch>& out);
  void trust_changed(std::shared_ptr<const protocol::Trust> trust) { trust_ = std::move(trust); }
  nlohmann::ordered_json status();
  std::string endpoint() { return server_->endpoint(); }

  // Messages received together (each from its connection's ZAP User-Id), handled at now_ms:
  // the replies' bytes, in order. The queries among them that pass every check are answered
  // as one group: one transaction (one fsync) for all their audit entries and notices
  // (IndexStore::answer_queries; docs/query.md, "Group commit"). Overrides and refusals are
  // handled one by one.
  std::vector<protocol::Bytes> handle(std::span<const transport::Incoming> messages,
                                      std::uint64_t now_ms);
  // One message from `authority`, as handle above.
  protocol::Bytes handle(const std::string& authority, protocol::ByteView payload,
                         std::uint64_t now_ms);

 private:
  void on_message();
  // A message's reply now (a refusal, an override's answer), or its query verified and
  // checked, to be answered with the group.
  std::variant<protocol::Bytes, protocol::Query> admit(const transport::Incoming& in,
                                                       std::uint64_t now_ms);
  // Answers the admitted `queries` (from messages `asked`) as one group into `replies`.
  void answer_group(const std::vector<protocol::Query>& queries,
                    const std::vector<std::size_t>& asked, std::vector<protocol::Bytes>& replies,
                    std::uint64_t now_ms);
  protocol::Bytes refuse(const std::string& authority, const protocol::QueryId& id,
                         std::string code, std::string detail);
  // refuse, after a query_refused audit entry: `query` is the verified query (`verified`), or
  // what the signed query claims (not verified), or nullopt when it does not decode.
  protocol::Bytes refuse_audited(const std::string& authority,
                                 const std::optional<protocol::Query>& query, bool verified,
                                 std::string code, std::string detail, std::uint64_t now_ms);
  std::optional<protocol::Bytes> check_request(const std::string& authority,
                                               const protocol::Query& q, std::string_view field,
                                               std::uint64_t now_ms);
  // A QueryRequest's signed query verified and checked, or its (audited) refusal.
  std::variant<protocol::Bytes, protocol::Query> admit_query(const std::string& authority,
                                                             protocol::ByteView signed_query,
                                                             std::uint64_t now_ms);
  protocol::Bytes answer_override(const std::string& authority,
                                  protocol::ByteView signed_request, std::uint64_t now_ms);

  const config::Config& config_;
  index::IndexStore& store_;
  const index::IndexSigning& signing_;
  std::shared_ptr<const protocol::Trust> trust_;
  FeedsAdvanced feeds_advanced_;
  protocol::ByteArray<32> digest_key_{};
  std::unique_ptr<transport::IndexServer> server_;
  ReplayGuard replays_;
  std::uint64_t answered_ = 0;
  std::uint64_t groups_ = 0;  // audit commits of answered queries (answered / groups: group size)
  std::uint64_t flushed_ms_ = 0;      // the last flush_notices
  std::uint64_t notice_flushes_ = 0;  // flushes that signed notices into feeds
  std::uint64_t overrides_answered_ = 0;
  std::map<std::string, std::uint64_t> refused_;  // by code
  std::uint64_t refusals_audited_ = 0;
};

}  // namespace aegis::daemon
