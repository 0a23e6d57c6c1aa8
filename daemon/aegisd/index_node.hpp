// The index role of aegisd (docs/aegisd.md, docs/sync.md): the ROUTER every authority connects
// to (CURVE, ZAP allow-list), per-authority sessions over it, and the index store. Each message
// is attributed to the authority the ZAP handler named for its connection (the User-Id), never
// to what the message says. Per authority:
//   Hello   -> Welcome (its chain head), then its feed from the position the Hello names
//   Push    -> IndexStore::apply_batch -> Ack, or Reject (one answer per Push); new feed items
//   FeedAck -> the feed window slides (IndexStore::feed_acked)
//   Ping    -> Pong
// A message from an authority whose certificate is no longer active (after a SIGHUP) is
// answered Refused and ignored.
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
  void handle(const transport::Incoming& in);
  void refuse(const transport::Incoming& in, std::string_view code, const std::string& detail);
  void on_hello(const transport::Incoming& in, const protocol::Hello& h);
  // A Push waiting for the group commit (apply_pending).
  struct PendingPush {
    std::string authority;
    std::string routing_id;
    std::vector<protocol::Bytes> envelopes;
  };
  // Pushes received in one read of the socket are applied together, in one transaction (one
  // fsync), before any other message is handled, so the order of effects is the order received.
  void queue_push(const transport::Incoming& in, protocol::Push&& p);
  void apply_pending();
  // Writes the FeedAcks received since the last call (one small transaction per authority).
  void persist_feed_acks();
  void on_feed_ack(const std::string& authority, Peer& peer, const protocol::FeedAck& a);
  void pump_feed(const std::string& authority, Peer& peer);
  void send(const std::string& routing_id, const protocol::Message& m);

  const config::Config& config_;
  const keys::Identity& identity_;
  std::uint64_t serial_;
  std::shared_ptr<const protocol::Trust> trust_;
  index::IndexStore store_;
  index::IndexSigning signing_;
  transport::ZapHandler zap_;
  std::unique_ptr<transport::IndexServer> server_;  // with its monitor
  std::map<std::string, Peer> peers_;  // by authority id
  std::vector<PendingPush> pending_;
  std::size_t pending_envelopes_ = 0;
  std::map<std::string, std::uint64_t> feed_acks_;  // by authority: acknowledged, not yet stored
  std::uint64_t now_ms_ = 0;
  std::uint64_t refused_connections_ = 0;
  std::uint64_t batches_ = 0;       // Pushes applied
  std::uint64_t transactions_ = 0;  // group commits that applied them
};

}  // namespace aegis::daemon
