// The index role of aegisd (see index_node.hpp).
#include "index_node.hpp"

#include <algorithm>
#include <stdexcept>

#include <sys/random.h>

#include "aegis/protocol/sync.hpp"
#include "clock.hpp"
#include "log.hpp"
#include "retention/retention.hpp"
#include "retention_job.hpp"
#include "socket_limits.hpp"

namespace aegis::daemon {
namespace {

constexpr int kTickMs = 100;
// How often the tick asks whether an audit checkpoint is due (index::AuditPolicy says when).
constexpr std::uint64_t kAuditCheckMs = 1000;
// Group commit: the messages read in one go (their Pushes applied in one transaction) hold at
// most this many bytes, about 4,000 typical envelopes (a few Pushes).
constexpr std::size_t kMaxGroupBytes = 4 << 20;

index::IndexStore open_or_create(const config::Config& c, std::uint64_t now_ms) {
  const std::filesystem::path file = c.data_dir / std::string(index::kDatabaseFileName);
  index::OpenOptions options;
  options.busy_timeout_ms = c.store.busy_timeout_ms;
  std::error_code ec;
  const bool exists = std::filesystem::exists(file, ec);
  auto s = exists ? index::IndexStore::open(file, options)
                  : index::IndexStore::create(file, now_ms, options);
  if (!s) throw std::runtime_error("index store: " + s.error().message());
  if (!exists) log::info("index_store_created", {{"file", file.string()}});
  return std::move(s).value();
}

bool same_head(const protocol::ChainState& a, const protocol::ChainState& b) {
  return a.last_seq == b.last_seq && a.last_hash == b.last_hash;
}

// 80 bits from the OS for one national id.
index::NationalIdBits random_bits() {
  index::NationalIdBits bits{};
  std::size_t done = 0;
  while (done < bits.size()) {
    const ssize_t n = ::getrandom(bits.data() + done, bits.size() - done, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw std::runtime_error("getrandom failed");
    }
    done += static_cast<std::size_t>(n);
  }
  return bits;
}

}  // namespace

IndexNode::IndexNode(const config::Config& config, const keys::Identity& identity,
                     std::uint64_t serial, std::shared_ptr<const protocol::Trust> trust,
                     zmq::context_t& context, std::uint64_t now_ms)
    : config_(config),
      identity_(identity),
      serial_(serial),
      trust_(std::move(trust)),
      store_(open_or_create(config, now_ms)),
      signing_{identity_, serial_, [] { return random_bits(); }},
      zap_(context, trust_),
      now_ms_(now_ms) {
  if (auto day = store_.retention_day(); !day)
    log::error("store_failed", {{"detail", day.error().message()}});  // runs at the first tick
  else
    retention_day_ = *day;
  audit_policy_.every_entries = config_.audit.checkpoint_entries;
  audit_policy_.every_ms = config_.audit.checkpoint_seconds * 1000;
  if (auto ok = store_.record_trust(*trust_, now_ms); !ok)
    throw std::runtime_error("index store: " + ok.error().message());
  else if (*ok > 0)
    log::info("audit_trust_recorded", {{"entries", *ok}});
  const transport::CurveKeys keys(identity_.curve_public_key(), identity_.curve_secret_z85());
  server_ = std::make_unique<transport::IndexServer>(context, keys, config_.sync->listen,
                                                     transport_limits(config_));
  if (!config_.sync->query_listen.empty())
    queries_ = std::make_unique<QueryService>(
        config_, store_, identity_, signing_, trust_, context,
        [this](const std::vector<index::FeedHead>& heads) { pump_feeds(heads); });
}

void IndexNode::watches(std::vector<Watch>& out) {
  out.push_back({zap_.socket().handle(), -1, [this] { on_zap(); }});
  if (!server_) return;
  out.push_back({server_->socket().handle(), -1, [this] { on_message(); }});
  out.push_back({server_->monitor().socket().handle(), -1, [this] { on_monitor(); }});
  if (queries_) queries_->watches(out);
}

void IndexNode::on_zap() {
  now_ms_ = now_ms();
  for (const transport::ZapDecision& d : zap_.handle_pending(now_ms_)) {
    if (d.admitted) {
      log::info("admitted", {{"authority", d.authority_id}, {"address", d.address}});
    } else {
      ++refused_connections_;
      log::warning("connection_refused", {{"reason", d.reason}, {"address", d.address}});
    }
  }
}

void IndexNode::on_monitor() {
  bool dropped = false;
  while (std::optional<transport::Event> ev = server_->monitor().receive())
    dropped = dropped || ev->kind == transport::EventKind::disconnected;
  if (!dropped) return;
  // Some connection went away; ROUTER_MANDATORY tells which: a send to it is unreachable.
  now_ms_ = now_ms();
  for (auto& [authority, peer] : peers_) {
    if (!peer.welcomed) continue;
    const protocol::Bytes ping = protocol::encode_message(protocol::Ping{0});
    if (server_->send(peer.routing_id, ping) == transport::SendResult::unreachable) {
      log::info("disconnected", {{"authority", authority}});
      peer.welcomed = false;
    }
  }
}

void IndexNode::on_message() {
  // A drain keeps the socket readable for minutes: the queries, the admin socket and ZAP get
  // their turn every kMaxTurnMs (role.hpp).
  const std::uint64_t turn_ends = steady_ms() + kMaxTurnMs;
  std::vector<Received> next = receive_waiting();
  while (!next.empty()) {
    // Stage 1 of `next` beside stage 2 of the group before it: decode and verify on the verify
    // thread (after the heads that group will leave) while this thread writes and commits it.
    const std::uint64_t received_ms = now_ms();
    const bool verified_ahead = index::run_alongside(
        [&, heads = heads_, trust = trust_] { verify_ahead(next, heads, *trust, received_ms); },
        [&] { apply_pending(); });
    if (!verified_ahead) {  // (out of memory, no thread): everything is done here instead
      log::warning("verify_ahead_failed", {{"messages", next.size()}});
      for (Received& r : next) {
        r.message.reset();
        r.verified.reset();
      }
    }
    // What is stored (received_ms, feed timestamps) and checked (certificate validity) is "now":
    // the time the messages were read, the time they were verified at.
    now_ms_ = received_ms;
    for (Received& r : next) handle(r);
    if (steady_ms() >= turn_ends) break;
    next = receive_waiting();
  }
  apply_pending();
}

std::vector<IndexNode::Received> IndexNode::receive_waiting() {
  std::vector<Received> out;
  std::size_t bytes = 0;
  while (server_ && bytes < kMaxGroupBytes) {
    std::optional<transport::Incoming> in = server_->receive();
    if (!in) break;
    bytes += in->payload.size();
    out.push_back({std::move(*in), std::nullopt, std::nullopt});
  }
  return out;
}

void IndexNode::verify_ahead(std::vector<Received>& batch,
                             std::map<std::string, protocol::ChainState> heads,
                             const protocol::Trust& trust, std::uint64_t now_ms) {
  for (Received& r : batch) {
    if (!r.in.single_frame) continue;
    r.message = protocol::decode_message(r.in.payload);
    const auto* push = *r.message ? std::get_if<protocol::Push>(&**r.message) : nullptr;
    if (!push) continue;
    auto head = heads.find(r.in.authority_id);
    if (head == heads.end()) continue;  // unknown yet: verified in the store's transaction
    r.verified = index::verify_push(r.in.authority_id, push->envelopes, trust, head->second,
                                    now_ms);
    head->second = r.verified->head_after();
  }
}

void IndexNode::send(const std::string& routing_id, const protocol::Message& m) {
  // A message that cannot go now (queue full, peer gone) is dropped: the authority's timeouts
  // resync and the feed window resends.
  (void)server_->send(routing_id, protocol::encode_message(m));
}

void IndexNode::refuse(const transport::Incoming& in, std::string_view code,
                       const std::string& detail) {
  log::warning("refused", {{"authority", in.authority_id}, {"code", code}, {"detail", detail}});
  ++refused_messages_;
  send(in.routing_id, protocol::make_refused(code, detail));
}

void IndexNode::handle(Received& r) {
  const transport::Incoming& in = r.in;
  const std::string& authority = in.authority_id;
  if (authority.empty()) return;  // cannot happen with ZAP enforced; never trusted anyway
  if (!trust_->active_subject(authority, protocol::Role::authority, now_ms_)) {
    peers_.erase(authority);
    refuse(in, protocol::kRefusedNotAuthorised,
           "the certificate of '" + authority + "' is not active");
    return;
  }
  if (!in.single_frame) {
    refuse(in, protocol::kRefusedProtocolError, "a message is one frame");
    return;
  }
  if (!r.message) r.message = protocol::decode_message(in.payload);
  protocol::Result<protocol::Message>& m = *r.message;
  if (!m) {
    refuse(in, protocol::kRefusedProtocolError, m.error().message());
    return;
  }
  if (auto* push = std::get_if<protocol::Push>(&*m)) {
    queue_push(in, std::move(*push), std::move(r.verified));
    return;
  }
  if (const auto* hello = std::get_if<protocol::Hello>(&*m)) {
    apply_pending();  // a Hello restarts the session: after the Pushes received before it
    on_hello(in, *hello);
    return;
  }
  // Ping, Pong and FeedAck do not touch what pending Pushes write (a FeedAck names items of
  // groups already committed), so they do not break the group.
  auto it = peers_.find(authority);
  Peer* peer = it != peers_.end() && it->second.welcomed && it->second.routing_id == in.routing_id
                   ? &it->second
                   : nullptr;
  if (peer) {
    peer->last_heard_ms = now_ms_;
    ++peer->messages;
  }
  if (const auto* ping = std::get_if<protocol::Ping>(&*m)) {
    send(in.routing_id, protocol::Pong{ping->nonce});
  } else if (std::holds_alternative<protocol::Pong>(*m)) {
    // liveness only
  } else if (const auto* ack = std::get_if<protocol::FeedAck>(&*m)) {
    if (peer) on_feed_ack(authority, *peer, *ack);
  } else {
    refuse(in, protocol::kRefusedProtocolError,
           std::string(protocol::message_name(*m)) + " is not sent by an authority");
  }
}

void IndexNode::on_hello(const transport::Incoming& in, const protocol::Hello& h) {
  const std::string& authority = in.authority_id;
  if (h.authority_id != authority) {
    refuse(in, protocol::kRefusedNotAuthorised,
           "hello names '" + h.authority_id + "' but the connection is certified for '" +
               authority + "'");
    return;
  }
  auto head = store_.chain_state(authority);
  if (!head) {
    log::error("store_failed", {{"what", head.error().message()}});
    return;  // no Welcome: the authority says Hello again after its timeout
  }
  std::uint64_t feed_tail = 0;
  if (auto st = store_.authority_status(authority); st) {
    feed_tail = st->feed_seq;
  } else if (st.error().code != index::IndexErrc::not_found) {
    log::error("store_failed", {{"what", st.error().message()}});
    return;
  }
  std::uint64_t feed_held = h.feed_seq;
  if (feed_held > feed_tail) {
    log::warning("feed_diverged", {{"authority", authority},
                                   {"feed_seq", h.feed_seq},
                                   {"feed_tail", feed_tail}});
    feed_held = feed_tail;
  } else if (feed_held > 0) {
    if (auto s = store_.feed_acked(authority, feed_held); !s)
      log::error("store_failed", {{"what", s.error().message()}});
  }
  const config::SyncConfig& sync = *config_.sync;
  auto [it, inserted] = peers_.try_emplace(authority,
                                           Peer{in.routing_id, protocol::RangeSender(sync.batch_max,
                                                                                     sync.window)});
  Peer& peer = it->second;
  if (!inserted) peer = Peer{in.routing_id, protocol::RangeSender(sync.batch_max, sync.window)};
  peer.welcomed = true;
  peer.last_heard_ms = now_ms_;
  peer.messages = 1;
  peer.feed.restart(feed_held);
  peer.feed.set_tail(feed_tail);
  heads_[authority] = *head;
  send(in.routing_id, protocol::Welcome{head->last_seq, head->last_hash});
  log::info("connected", {{"authority", authority},
                          {"applied_seq", head->last_seq},
                          {"feed_seq", feed_held}});
  pump_feed(authority, peer);
}

void IndexNode::queue_push(const transport::Incoming& in, protocol::Push&& p,
                           std::optional<index::VerifiedPush>&& verified) {
  const std::string& authority = in.authority_id;
  auto it = peers_.find(authority);
  if (it == peers_.end() || !it->second.welcomed || it->second.routing_id != in.routing_id) {
    refuse(in, protocol::kRefusedProtocolError, "push before hello on this connection");
    return;
  }
  it->second.last_heard_ms = now_ms_;
  ++it->second.messages;
  // The head after this Push, if it was verified after the head the Pushes before it leave.
  auto head = heads_.find(authority);
  if (verified && head != heads_.end() && same_head(head->second, verified->from))
    head->second = verified->head_after();
  else if (head != heads_.end())
    heads_.erase(head);
  pending_.push_back({authority, in.routing_id, std::move(p.envelopes), std::move(verified)});
}

void IndexNode::apply_pending() {
  if (pending_.empty()) return;
  std::vector<PendingPush> group = std::move(pending_);
  pending_.clear();
  std::vector<index::IndexStore::Push> pushes;
  pushes.reserve(group.size());
  for (const PendingPush& p : group)
    pushes.push_back({p.authority, &p.envelopes, p.verified ? &*p.verified : nullptr});
  auto results = store_.apply_batches(pushes, *trust_, now_ms_, signing_);
  if (!results) {
    heads_.clear();  // nothing of the group was stored: the heads are learnt again
    log::error("apply_failed", {{"batches", group.size()}, {"what", results.error().message()}});
    return;  // nothing of them was stored; the authorities resend after their timeout
  }
  batches_ += group.size();
  ++transactions_;
  for (std::size_t i = 0; i < group.size(); ++i) {
    const PendingPush& p = group[i];
    const index::ApplyResult& r = (*results)[i];
    heads_[p.authority] = r.applied;
    if (r.rejection) {
      const index::Rejection& rej = *r.rejection;
      log::warning("rejected", {{"authority", p.authority},
                                {"seq", rej.seq},
                                {"code", protocol::errc_name(rej.code)},
                                {"detail", rej.detail}});
      send(p.routing_id, protocol::make_reject(rej.seq, protocol::Error{rej.code, rej.detail}));
    } else {
      send(p.routing_id, protocol::Ack{r.applied.last_seq, r.applied.last_hash});
    }
    auto it = peers_.find(p.authority);
    if (!r.feed_items.empty() && it != peers_.end()) {
      Peer& peer = it->second;
      peer.feed.set_tail(peer.feed.tail() + r.feed_items.size());
      if (peer.welcomed && peer.routing_id == p.routing_id) pump_feed(p.authority, peer);
    }
    // Resolution also wrote to other authorities' feeds (a national id moved, a child known
    // elsewhere): each connected one gets its new items now, not at its next Hello.
    pump_feeds(r.other_feeds);
  }
}

void IndexNode::pump_feeds(const std::vector<index::FeedHead>& heads) {
  for (const index::FeedHead& h : heads) {
    auto other = peers_.find(h.authority_id);
    if (other == peers_.end()) continue;
    Peer& peer = other->second;
    if (h.feed_seq > peer.feed.tail()) peer.feed.set_tail(h.feed_seq);
    if (peer.welcomed) pump_feed(h.authority_id, peer);
  }
}

void IndexNode::on_feed_ack(const std::string& authority, Peer& peer,
                            const protocol::FeedAck& a) {
  if (a.feed_seq > peer.feed.tail()) return;  // beyond anything sent: ignored
  if (!peer.feed.answered(a.feed_seq, now_ms_)) return;
  // Persisted on the next tick (persist_feed_acks): the column is for status; a reconnecting
  // authority's Hello says what it holds. Written here, it cost one fsync per Push.
  feed_acks_[authority] = std::max(feed_acks_[authority], a.feed_seq);
  pump_feed(authority, peer);
}

// A checkpoint of the audit log was made and appended to the enrolled authorities' feeds.
void IndexNode::send_checkpoint(const index::AuditCheckpointMade& made) {
  log::info("audit_checkpoint", {{"tree_size", made.checkpoint.tree_size},
                                 {"feeds", made.feeds.size()}});
  pump_feeds(made.feeds);
}

void IndexNode::pump_feed(const std::string& authority, Peer& peer) {
  for (const protocol::SendRange& range : peer.feed.take(now_ms_)) {
    auto items = store_.feed_range(authority, range.from_seq,
                                   static_cast<std::size_t>(range.to_seq - range.from_seq + 1));
    if (!items) {
      log::error("store_failed", {{"what", items.error().message()}});
      return;
    }
    if (items->empty()) return;
    items->resize(protocol::batch_prefix(*items));
    send(peer.routing_id, protocol::FeedBatch{std::move(items).value()});
  }
}

void IndexNode::persist_feed_acks() {
  for (const auto& [authority, seq] : feed_acks_)
    if (auto s = store_.feed_acked(authority, seq); !s)
      log::error("store_failed", {{"what", s.error().message()}});
  feed_acks_.clear();
}

int IndexNode::tick(std::uint64_t now_ms) {
  now_ms_ = now_ms;
  persist_feed_acks();
  if (now_ms_ >= audit_checked_ms_ + kAuditCheckMs) {  // a checkpoint of the audit log, if due
    audit_checked_ms_ = now_ms_;
    if (auto made = store_.audit_checkpoint_if_due(now_ms_, signing_, audit_policy_); !made)
      log::error("store_failed", {{"detail", made.error().message()}});
    else if (*made)
      send_checkpoint(**made);
  }
  // The access notices of the queries answered since the last flush, into their owners'
  // feeds (every kNoticeFlushMs; before retention, which purges what is about purged records).
  if (queries_) queries_->flush_notices(now_ms_, false);
  if (now_ms_ >= next_retention_ms_) {  // the daily retention job (retention_job.hpp)
    next_retention_ms_ = next_utc_day_ms(now_ms_);
    const protocol::Date today = retention::utc_date(now_ms_);
    if (retention_day_ == today)
      log::info("retention_already_run", {{"day", today.to_string()}});
    else if (run_retention_job(store_, now_ms_))
      retention_day_ = today;
  }
  const config::SyncConfig& sync = *config_.sync;
  for (auto& [authority, peer] : peers_) {
    if (!peer.welcomed) continue;
    if (peer.feed.timed_out(now_ms_, sync.ack_timeout_ms)) {
      peer.feed.restart(peer.feed.acked());  // resend from what it acknowledged
      pump_feed(authority, peer);
    }
    // Authorities ping after heartbeat_ms of silence: this much silence means it is gone.
    if (now_ms_ > peer.last_heard_ms + 3 * sync.heartbeat_ms + sync.ack_timeout_ms) {
      log::info("disconnected", {{"authority", authority}, {"reason", "silent"}});
      peer.welcomed = false;
    }
  }
  return kTickMs;
}

nlohmann::ordered_json IndexNode::status(std::uint64_t now_ms) {
  now_ms_ = now_ms;
  nlohmann::ordered_json peers = nlohmann::ordered_json::array();
  auto all = store_.status();
  if (!all) throw std::runtime_error("index store: " + all.error().message());
  for (const index::AuthorityStatus& a : *all) {
    auto it = peers_.find(a.authority_id);
    const bool connected = it != peers_.end() && it->second.welcomed;
    nlohmann::ordered_json p = {
        {"peer", a.authority_id},
        {"connection", connected ? "connected" : "disconnected"},
        {"applied_seq", a.applied_seq},
        {"live_records", a.live_records},
        {"rejections", a.rejections},
        {"feed_seq", a.feed_seq},
        {"feed_acked_seq", feed_acks_.count(a.authority_id)
                               ? std::max(a.feed_acked, feed_acks_.at(a.authority_id))
                               : a.feed_acked},
        {"feed_sent_seq", it != peers_.end() ? it->second.feed.highest_sent() : 0},
        {"last_received_ms", a.last_received_ms},
    };
    auto rejections = store_.rejections(a.authority_id, 1);
    if (rejections && !rejections->empty()) {
      const index::RejectionEntry& r = rejections->front();
      p["last_reject"] = {{"seq", r.seq}, {"code", r.code}, {"detail", r.detail},
                          {"at_ms", r.last_ms}, {"repeats", r.repeats}};
    } else {
      p["last_reject"] = nullptr;
    }
    peers.push_back(std::move(p));
  }
  nlohmann::ordered_json out = {{"listen", server_ ? server_->endpoint() : config_.sync->listen},
                                {"refused_connections", refused_connections_},
                                {"refused_messages", refused_messages_},
                                {"batches", batches_},
                                {"transactions", transactions_}};
  if (auto t = store_.totals(); t)
    out["totals"] = {{"authorities", t->authorities}, {"envelopes", t->envelopes},
                     {"live_records", t->live_records}, {"rejections", t->rejections},
                     {"feed_items", t->feed_items}};
  out["peers"] = std::move(peers);
  if (queries_) out["queries"] = queries_->status();
  return out;
}

nlohmann::ordered_json IndexNode::metrics_status(std::uint64_t now_ms) {
  nlohmann::ordered_json out = status(now_ms);
  auto counts = store_.metric_counts();
  if (!counts) throw std::runtime_error("index store: " + counts.error().message());
  out["rejections_by_code"] = counts->rejections_by_code;
  out["national_ids"] = counts->national_ids;
  auto waiting = store_.review_count();
  if (!waiting) throw std::runtime_error("index store: " + waiting.error().message());
  out["review_queue"] = *waiting;
  return out;
}

void IndexNode::trust_changed(std::shared_ptr<const protocol::Trust> trust,
                              std::uint64_t now_ms) {
  now_ms_ = now_ms;
  trust_ = trust;
  if (auto ok = store_.record_trust(*trust_, now_ms); !ok)
    log::error("store_failed", {{"detail", ok.error().message()}});
  else if (*ok > 0)
    log::info("audit_trust_recorded", {{"entries", *ok}});
  if (queries_) queries_->trust_changed(trust);
  zap_.set_trust(std::move(trust));  // every later handshake is judged by the new bundle
  for (auto it = peers_.begin(); it != peers_.end();) {
    if (trust_->active_subject(it->first, protocol::Role::authority, now_ms_)) {
      ++it;
      continue;
    }
    log::warning("refused", {{"authority", it->first}, {"code", protocol::kRefusedNotAuthorised},
                             {"detail", "certificate no longer active"}});
    if (it->second.welcomed)
      send(it->second.routing_id,
           protocol::make_refused(protocol::kRefusedNotAuthorised,
                                  "the certificate of '" + it->first + "' is no longer active"));
    it = peers_.erase(it);
  }
}

void IndexNode::stop(std::uint64_t now_ms) {
  now_ms_ = now_ms;
  persist_feed_acks();
  if (queries_) queries_->flush_notices(now_ms_, true);  // no notice waits for the next start
  queries_.reset();
  server_.reset();  // stops accepting; queued answers go out within ZMQ_LINGER
}

}  // namespace aegis::daemon
