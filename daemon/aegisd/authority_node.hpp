// The authority role of aegisd (docs/aegisd.md, docs/sync.md): pushes the outbox to the index
// and stores the index's feed. protocol::AuthoritySession decides what to send; this class
// carries out its actions against the store (outbox ranges, feed items) and the DEALER socket,
// feeds it the connection events, and reads the outbox tail every kOutboxPollMs (or at once
// when nudged), so changes committed by `aegis record ...` in another process are noticed.
// With [[inbox]] directories configured it also imports the files dropped there, one per tick
// (docs/adapters.md, "Inbox"), and pushes what they changed at once.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>

#include <zmq.hpp>

#include "aegis/keys/keys.hpp"
#include "aegis/protocol/query.hpp"
#include "aegis/protocol/sync_session.hpp"
#include "config/config.hpp"
#include "inbox/watcher.hpp"
#include "role.hpp"
#include "store/store.hpp"
#include "transport/peer_sockets.hpp"

namespace aegis::daemon {

inline constexpr int kOutboxPollMs = 20;        // how often the outbox tail is read
inline constexpr int kSyncStateSaveMs = 1000;   // how often the acknowledged seq is saved
inline constexpr int kBacklogLogMs = 30'000;    // a "backlog" log line this often while behind
inline constexpr int kRefusedRetryMs = 1000;    // first reconnect after a refusal, doubling
inline constexpr int kInboxScanMs = 500;        // how often the inbox directories are listed
inline constexpr int kInboxRetryMs = 30'000;    // a file whose import or move failed waits this

class AuthorityNode final : public Role {
 public:
  // Opens the store (data_dir/aegis.db, created by `aegis store init`) and connects to the
  // index. Throws std::runtime_error when the store cannot be opened or the trust bundle has no
  // active certificate for sync.index_id.
  AuthorityNode(const config::Config& config, const keys::Identity& identity,
                const keys::MatchingKey& matching_key,
                std::shared_ptr<const protocol::Trust> trust, zmq::context_t& context,
                std::uint64_t now_ms);

  void watches(std::vector<Watch>& out) override;
  int tick(std::uint64_t now_ms) override;
  nlohmann::ordered_json status(std::uint64_t now_ms) override;
  void trust_changed(std::shared_ptr<const protocol::Trust> trust, std::uint64_t now_ms) override;
  void identity_changed(std::uint64_t serial, std::uint64_t now_ms) override;
  void nudge(std::uint64_t now_ms) override;
  void stop(std::uint64_t now_ms) override;
  // search: a practitioner's query, signed and sent to the index; override: the same for a
  // break-glass request (authority_query.cpp).
  void add_admin(Admin& admin) override;

 private:
  enum class Link { connecting, connected, refused /* backing off after a refusal */ };

  void connect();
  // Drops the connection and schedules a new one after the back-off (Refused, or a failed
  // handshake): 1 s, doubling up to sync.reconnect_max_ms, reset once a session is ready.
  void back_off();
  void on_monitor();
  void on_message();
  void run(protocol::SessionActions actions);
  void send(const protocol::Message& m);
  void send_envelopes(std::uint64_t from_seq, std::uint64_t to_seq);
  void store_feed(const std::vector<protocol::Bytes>& items);
  void report_forks(const std::vector<store::CheckpointFork>& forks);
  nlohmann::ordered_json audit_status();
  void poll_outbox();
  void sync_tick();  // the session's periodic work (tick() while not backing off)
  void save_sync_state(bool force);
  // Scans the inbox and imports at most one ready file; true when more are ready.
  bool run_inbox();
  void import_one(const inbox::Watcher::Ready& ready);
  std::uint64_t known_acked() const;
  std::uint64_t backlog() const;
  std::uint64_t lag_ms();

  const config::Config& config_;
  const config::SyncConfig& sync_;
  const keys::Identity& identity_;
  const keys::MatchingKey& matching_key_;  // makes the match tokens of imported records
  std::shared_ptr<const protocol::Trust> trust_;
  zmq::context_t& context_;
  store::Store store_;
  protocol::AuthoritySession session_;
  protocol::CurvePublicKey index_key_{};
  std::unique_ptr<transport::AuthorityClient> client_;  // with its monitor; null while backing off

  std::uint64_t now_ms_ = 0;  // the time of the current event (set by every entry point)
  Link link_ = Link::connecting;
  std::uint64_t handshake_failures_ = 0;  // since the last success
  std::string last_handshake_failure_;    // Event::failure() of the last one, "" after success
  std::uint64_t reconnect_at_ms_ = 0;     // after a Refused: when to connect again
  std::uint64_t refused_backoff_ms_ = kRefusedRetryMs;
  std::optional<protocol::Refused> last_refused_;
  std::uint64_t next_outbox_poll_ms_ = 0;
  std::uint64_t saved_acked_ = 0;
  std::uint64_t next_state_save_ms_ = 0;
  std::uint64_t next_backlog_log_ms_ = 0;
  bool behind_ = false;  // backlog > 0 at the last check (for "drained" lines)
  std::uint64_t pushes_sent_ = 0;
  std::uint64_t changes_sent_ = 0;                      // envelopes pushed, resends included
  std::map<std::string, std::uint64_t> rejected_;       // Rejects received, by code (metrics)
  std::uint64_t feed_problems_ = 0;
  std::optional<std::string> last_feed_problem_;

  // The inbox (absent without [[inbox]] tables).
  std::optional<inbox::Watcher> inbox_;
  std::uint64_t serial_ = 0;  // this authority's certificate: signs imported changes
  std::uint64_t next_inbox_scan_ms_ = 0;
  std::set<std::string> inbox_problems_;  // logged once each, until they clear
  bool imports_paused_ = false;           // own certificate inactive (logged once)
  struct ImportCounts {
    std::uint64_t imported = 0, rejected = 0, failed = 0;
    std::uint64_t records = 0;  // records read from imported files
  } imports_;
  std::optional<nlohmann::ordered_json> last_import_;  // the last report's summary
  // The daily retention job (retention_job.hpp): at the first tick, then every 24 hours.
  void run_retention();
  std::uint64_t next_retention_ms_ = 0;

  // Practitioner queries (authority_query.cpp): the DEALER to the index's query socket, made at
  // the first query and again after a key or trust change.
  std::unique_ptr<transport::AuthorityClient> query_client_;
  std::uint64_t queries_sent_ = 0;
  // Signs `request`'s query and asks the index; the Answer, or AdminError with the refusal.
  protocol::Answer search(const nlohmann::json& request);
  // Signs `request`'s OverrideRequest and asks the index; its OverrideAnswer, or AdminError.
  protocol::OverrideAnswer override_child(const nlohmann::json& request);
  // The query or override fields common to both requests (user, role, purpose, criteria).
  protocol::Query query_of(const nlohmann::json& request);
  // Sends `message` and waits for the answer naming `id` (QueryAnswer or OverrideAnswer).
  protocol::QueryMessage ask_index(const protocol::Bytes& message, const protocol::QueryId& id);
};

}  // namespace aegis::daemon
