// The index role of aegisd (docs/aegisd.md, docs/sync.md): the ROUTER every authority connects
// to (CURVE, ZAP allow-list), per-authority sessions over it, and the index store. Each message
// is attributed to the authority the ZAP handler named for its connection (the User-Id), never
// to what the message says. Per authority:
//   Hello   -> Welcome (its chain head), then its feed from the position the Hello names
//   Push    -> IndexStore::apply_batches -> Ack, or Reject (one answer per Push); new feed items
//   FeedAck -> the feed window slides (IndexStore::feed_acked)
//   Ping    -> Pong
// A message from an authority whose certificate is no longer active (after a SIGHUP) is
// answered Refused and ignored.
//
// Two stages (docs/index-store.md §4, "Verifying ahead"): the messages read from the socket in
// one go are decoded, and their Pushes verified after the chain heads the group before them will
// leave, on a thread of its own, while this thread writes and commits that group; then they are
// handled in the order received. The verify thread touches no socket, no store and no member:
// it works on its own copies and is joined before anything it made is used.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>

#include <zmq.hpp>

#include "aegis/keys/keys.hpp"
#include "aegis/protocol/sync_session.hpp"
#include "config/config.hpp"
#include "index/index_store.hpp"
#include "query_service.hpp"
#include "role.hpp"
#include "transport/peer_sockets.hpp"
#include "transport/zap.hpp"

namespace aegis::daemon {

class IndexNode final : public Role {
 public:
  // Opens (or creates) data_dir/index.db and binds sync.listen. Throws std::runtime_error
  // (store) or transport::TransportError (bind).
  IndexNode(const config::Config& config, const keys::Identity& identity, std::uint64_t serial,
            std::shared_ptr<const protocol::Trust> trust, zmq::context_t& context,
            std::uint64_t now_ms);

  void watches(std::vector<Watch>& out) override;
  int tick(std::uint64_t now_ms) override;
  nlohmann::ordered_json status(std::uint64_t now_ms) override;
  nlohmann::ordered_json metrics_status(std::uint64_t now_ms) override;
  void trust_changed(std::shared_ptr<const protocol::Trust> trust, std::uint64_t now_ms) override;
  void stop(std::uint64_t now_ms) override;
  // review_list, review_show, review_decide, resolve_all (index_admin.cpp).
  void add_admin(Admin& admin) override;

  std::string endpoint() { return server_->endpoint(); }

 private:
  // One authority's session on this index.
  struct Peer {
    std::string routing_id;        // its current connection
    protocol::RangeSender feed;    // its feed: what was sent, what it acknowledged
    bool welcomed = false;         // Hello answered on this connection
    std::uint64_t last_heard_ms = 0;
    std::uint64_t messages = 0;
  };

  void on_zap();
  void on_message();
  void on_monitor();
  // A message read from the socket, decoded (and, for a Push, verified) on the verify thread.
  struct Received {
    transport::Incoming in;
    std::optional<protocol::Result<protocol::Message>> message;  // unset: not decoded yet
    std::optional<index::VerifiedPush> verified;                 // a Push verified ahead
  };
  // The messages waiting on the socket, at most kMaxGroupBytes.
  std::vector<Received> receive_waiting();
  // On the verify thread: decodes `batch` and verifies its Pushes after `heads` (the heads of
  // the authorities once the pending group is applied), at `now_ms`. Reads nothing else.
  static void verify_ahead(std::vector<Received>& batch,
                           std::map<std::string, protocol::ChainState> heads,
                           const protocol::Trust& trust, std::uint64_t now_ms);
  void handle(Received& r);
  void refuse(const transport::Incoming& in, std::string_view code, const std::string& detail);
  void on_hello(const transport::Incoming& in, const protocol::Hello& h);
  // A Push waiting for the group commit (apply_pending).
  struct PendingPush {
    std::string authority;
    std::string routing_id;
    std::vector<protocol::Bytes> envelopes;
    std::optional<index::VerifiedPush> verified;  // verified ahead, when it was
  };
  // Pushes received in one read of the socket are applied together, in one transaction (one
  // fsync), before any other message is handled, so the order of effects is the order received.
  void queue_push(const transport::Incoming& in, protocol::Push&& p,
                  std::optional<index::VerifiedPush>&& verified);
  void apply_pending();
  // Writes the FeedAcks received since the last call (one small transaction per authority).
  void persist_feed_acks();
  void on_feed_ack(const std::string& authority, Peer& peer, const protocol::FeedAck& a);
  void pump_feed(const std::string& authority, Peer& peer);
  // Feeds of other authorities that resolution advanced: each connected one gets its new items.
  void pump_feeds(const std::vector<index::FeedHead>& heads);
  void send_checkpoint(const index::AuditCheckpointMade& made);
  void send(const std::string& routing_id, const protocol::Message& m);

  const config::Config& config_;
  const keys::Identity& identity_;
  std::uint64_t serial_;
  std::shared_ptr<const protocol::Trust> trust_;
  index::IndexStore store_;
  index::IndexSigning signing_;
  transport::ZapHandler zap_;
  std::unique_ptr<transport::IndexServer> server_;  // with its monitor
  std::unique_ptr<QueryService> queries_;  // with [sync] query_listen only
  std::map<std::string, Peer> peers_;  // by authority id
  std::vector<PendingPush> pending_;
  // The chain head each authority will have once pending_ is applied, as far as known (from its
  // Welcome, the last group's results and the Pushes verified ahead): what the next Pushes are
  // verified after. A wrong guess only costs a second verification (IndexStore::Push::verified).
  std::map<std::string, protocol::ChainState> heads_;
  std::map<std::string, std::uint64_t> feed_acks_;  // by authority: acknowledged, not yet stored
  std::uint64_t now_ms_ = 0;
  std::uint64_t audit_checked_ms_ = 0;  // last tick that asked for an audit checkpoint
  // The daily retention job: at the first tick, then at the first tick of each UTC day; it
  // does not run on a day the store already ran (retention_day_, kept in the store).
  std::uint64_t next_retention_ms_ = 0;
  std::optional<protocol::Date> retention_day_;
  index::AuditPolicy audit_policy_;     // from [audit]
  std::uint64_t refused_connections_ = 0;
  std::uint64_t refused_messages_ = 0;  // messages answered Refused (refuse()) since start
  std::uint64_t batches_ = 0;       // Pushes applied
  std::uint64_t transactions_ = 0;  // group commits that applied them
};

}  // namespace aegis::daemon
