// The authority role of aegisd (see authority_node.hpp).
#include "authority_node.hpp"

#include <algorithm>
#include <stdexcept>

#include "aegis/protocol/sync.hpp"
#include "clock.hpp"
#include "inbox/importer.hpp"
#include "node/node.hpp"
#include "socket_limits.hpp"
#include "log.hpp"
#include "metrics.hpp"
#include "retention_job.hpp"

namespace aegis::daemon {
namespace {

store::Store open_store(const config::Config& c) {
  store::OpenOptions options;
  options.busy_timeout_ms = c.store.busy_timeout_ms;
  auto s = store::Store::open(c.data_dir / std::string(store::kDatabaseFileName), c.subject_id,
                              options);
  if (!s) throw std::runtime_error("store: " + s.error().message());
  return std::move(s).value();
}

std::uint64_t outbox_tail(store::Store& s) {
  auto last = s.last();
  if (!last) throw std::runtime_error("store: " + last.error().message());
  return last->last_seq;
}

protocol::SessionConfig session_config(const config::SyncConfig& s) {
  protocol::SessionConfig c;
  c.batch_max = s.batch_max;
  c.window = s.window;
  c.ack_timeout_ms = s.ack_timeout_ms;
  c.hello_timeout_ms = s.ack_timeout_ms;
  c.ping_interval_ms = s.heartbeat_ms;
  return c;
}

// The CURVE key of the index certificate named by sync.index_id.
protocol::CurvePublicKey index_key(const config::Config& c, const protocol::Trust& trust,
                                   std::uint64_t now_ms) {
  const protocol::Certificate* cert =
      trust.active_subject(c.sync->index_id, protocol::Role::index, now_ms);
  if (!cert)
    throw std::runtime_error("sync.index_id: the trust bundle has no active index certificate "
                             "for '" + c.sync->index_id + "'");
  return cert->curve_key;
}

// The watched directories of the [[inbox]] tables (names already checked by config/).
std::vector<inbox::WatchedDir> watched_dirs(const config::Config& c) {
  std::vector<inbox::WatchedDir> out;
  for (std::size_t i = 0; i < c.inbox.size(); ++i) {
    const config::InboxConfig& in = c.inbox[i];
    const std::string key = "inbox[" + std::to_string(i) + "]";
    inbox::WatchedDir w;
    w.dir = in.dir;
    w.stable_ms = in.stable_ms;
    std::optional<adapters::Format> format = adapters::parse_format(in.format);
    if (!format) throw std::runtime_error(key + ".format: unknown format '" + in.format + "'");
    w.source.format = *format;
    if (*format == adapters::Format::csv) {
      std::optional<adapters::CsvMapping> m = inbox::csv_mapping(in.mapping);
      if (!m) throw std::runtime_error(key + ".mapping: unknown mapping '" + in.mapping + "'");
      w.source.csv = std::move(*m);
    }
    out.push_back(std::move(w));
  }
  return out;
}

nlohmann::ordered_json reject_json(const protocol::Reject& r) {
  return {{"seq", r.seq}, {"code", r.code}, {"detail", r.detail}};
}

}  // namespace

AuthorityNode::AuthorityNode(const config::Config& config, const keys::Identity& identity,
                             const keys::MatchingKey& matching_key,
                             std::shared_ptr<const protocol::Trust> trust,
                             zmq::context_t& context, std::uint64_t now_ms)
    : config_(config),
      sync_(*config.sync),
      identity_(identity),
      matching_key_(matching_key),
      trust_(std::move(trust)),
      context_(context),
      store_(open_store(config)),
      session_(config.subject_id, outbox_tail(store_), session_config(*config.sync)),
      index_key_(index_key(config, *trust_, now_ms)),
      now_ms_(now_ms) {
  if (auto state = store_.sync_state(sync_.index_id); state) saved_acked_ = state->acked_seq;
  if (auto ok = store_.record_trust_version(trust_->version()); !ok)
    throw std::runtime_error("store: " + ok.error().message());
  // Imports and the retention job both sign: the serial is needed with or without an inbox.
  auto serial = node::certificate_serial(config);
  if (!serial) throw std::runtime_error(serial.error().message);
  serial_ = *serial;
  if (!config.inbox.empty()) {
    inbox_.emplace(watched_dirs(config));
    for (const inbox::WatchedDir& w : inbox_->dirs())
      log::info("inbox", {{"dir", w.dir.string()},
                          {"format", adapters::format_name(w.source.format)},
                          {"stable_ms", w.stable_ms}});
  }
  connect();
}

void AuthorityNode::connect() {
  client_.reset();
  const transport::CurveKeys keys(identity_.curve_public_key(), identity_.curve_secret_z85());
  client_ = std::make_unique<transport::AuthorityClient>(context_, keys, index_key_,
                                                         sync_.index_endpoint,
                                                         transport_limits(config_));
  link_ = Link::connecting;
  if (handshake_failures_ == 0)  // not again for every retry of a refused handshake
    log::info("connecting", {{"peer", sync_.index_id}, {"endpoint", sync_.index_endpoint}});
}

void AuthorityNode::watches(std::vector<Watch>& out) {
  if (!client_) return;
  out.push_back({client_->monitor().socket().handle(), -1, [this] { on_monitor(); }});
  out.push_back({client_->socket().handle(), -1, [this] { on_message(); }});
}

void AuthorityNode::on_monitor() {
  now_ms_ = now_ms();
  while (client_) {
    std::optional<transport::Event> ev = client_->monitor().receive();
    if (!ev) return;
    switch (ev->kind) {
      case transport::EventKind::handshake_succeeded: {
        link_ = Link::connected;
        handshake_failures_ = 0;
        last_handshake_failure_.clear();
        auto head = store_.feed_head();
        if (!head) {
          log::error("store_failed", {{"what", head.error().message()}});
          return;
        }
        log::info("connected", {{"peer", sync_.index_id}, {"endpoint", sync_.index_endpoint}});
        run(session_.connected(now_ms_, head->last_seq));
        break;
      }
      case transport::EventKind::handshake_failed:
        // Logged once per run of failures; counted in status. libzmq does not reconnect after
        // a failed handshake (a protocol error ends the session), so the client is re-made
        // after the back-off: a refused authority keeps trying and gets in as soon as the
        // index's trust bundle certifies it again.
        last_handshake_failure_ = std::string(ev->failure());
        if (handshake_failures_++ == 0)
          log::warning("handshake_failed", {{"peer", sync_.index_id},
                                            {"endpoint", sync_.index_endpoint},
                                            {"reason", ev->failure()},
                                            {"status", static_cast<std::uint64_t>(ev->value)}});
        back_off();
        return;
      case transport::EventKind::disconnected:
        if (link_ == Link::connected) {
          log::warning("disconnected", {{"peer", sync_.index_id}});
          link_ = Link::connecting;
        }
        session_.disconnected();
        break;
      case transport::EventKind::other: break;
    }
  }
}

void AuthorityNode::on_message() {
  const std::uint64_t turn_ends = steady_ms() + kMaxTurnMs;  // role.hpp
  while (client_ && steady_ms() < turn_ends) {
    std::optional<transport::Incoming> in = client_->receive();
    if (!in) return;
    now_ms_ = now_ms();  // per message: a steady stream keeps this loop going
    if (!in->single_frame) {
      log::warning("bad_message", {{"peer", sync_.index_id}, {"code", "multi_frame"}});
      continue;
    }
    protocol::Result<protocol::Message> m = protocol::decode_message(in->payload);
    if (!m) {
      log::warning("bad_message", {{"peer", sync_.index_id},
                                   {"code", protocol::errc_name(m.error().code)},
                                   {"detail", m.error().detail}});
      continue;
    }
    run(session_.received(*m, now_ms_));
  }
}

void AuthorityNode::run(protocol::SessionActions actions) {
  for (protocol::SessionAction& action : actions) {
    if (auto* m = std::get_if<protocol::SendMessage>(&action)) {
      send(m->message);
    } else if (auto* e = std::get_if<protocol::SendEnvelopes>(&action)) {
      send_envelopes(e->from_seq, e->to_seq);
    } else if (auto* f = std::get_if<protocol::StoreFeed>(&action)) {
      store_feed(f->items);
    } else if (auto* r = std::get_if<protocol::Rejected>(&action)) {
      log::warning("rejected", {{"peer", sync_.index_id},
                                {"seq", r->reject.seq},
                                {"code", r->reject.code},
                                {"detail", r->reject.detail}});
      std::string reason = reason_label(r->reject.code);
      if (rejected_.size() >= kMaxReasonLabels && !rejected_.count(reason)) reason = "other";
      ++rejected_[reason];
      if (auto s = store_.save_reject(sync_.index_id, store::SyncReject{r->reject.seq,
                                                                        r->reject.code,
                                                                        r->reject.detail, now_ms_});
          !s)
        log::error("store_failed", {{"what", s.error().message()}});
    } else if (auto* d = std::get_if<protocol::Diverged>(&action)) {
      log::error("diverged", {{"peer", sync_.index_id},
                              {"index_seq", d->index_seq},
                              {"outbox_tail", d->outbox_tail}});
    } else if (auto* refused = std::get_if<protocol::SessionRefused>(&action)) {
      log::error("refused", {{"peer", sync_.index_id},
                             {"code", refused->refused.code},
                             {"detail", refused->refused.detail},
                             {"retry_ms", refused_backoff_ms_}});
      last_refused_ = refused->refused;
      back_off();
      return;  // nothing more goes to a session the index refused
    }
  }
}

void AuthorityNode::back_off() {
  session_.disconnected();
  client_.reset();
  link_ = Link::refused;
  reconnect_at_ms_ = now_ms_ + refused_backoff_ms_;
  refused_backoff_ms_ = std::min<std::uint64_t>(refused_backoff_ms_ * 2, sync_.reconnect_max_ms);
}

void AuthorityNode::send(const protocol::Message& m) {
  if (!client_) return;
  const protocol::Bytes bytes = protocol::encode_message(m);
  // A message that cannot go now (no connection, queue full) is lost on purpose: the session's
  // timeouts resync and resend.
  (void)client_->send(bytes);
}

void AuthorityNode::send_envelopes(std::uint64_t from_seq, std::uint64_t to_seq) {
  auto envelopes = store_.read_envelopes(from_seq, to_seq);
  if (!envelopes) {
    log::error("store_failed", {{"what", envelopes.error().message()}});
    return;
  }
  if (envelopes->empty()) return;
  envelopes->resize(protocol::batch_prefix(*envelopes));
  changes_sent_ += envelopes->size();
  send(protocol::Push{std::move(envelopes).value()});
  ++pushes_sent_;
}

void AuthorityNode::store_feed(const std::vector<protocol::Bytes>& items) {
  auto outcome = store_.store_feed(items, *trust_, sync_.index_id, now_ms_);
  if (!outcome) {
    log::error("store_failed", {{"what", outcome.error().message()}});
    return;  // no FeedAck: the index resends after its timeout
  }
  if (outcome->problem) {
    ++feed_problems_;
    // The index resends the same item after its timeout: log a problem once, count every time.
    if (last_feed_problem_ != outcome->problem->message())
      log::warning("feed_refused", {{"peer", sync_.index_id},
                                    {"code", protocol::errc_name(outcome->problem->code)},
                                    {"detail", outcome->problem->detail}});
    last_feed_problem_ = outcome->problem->message();
  }
  report_forks(outcome->forks);
  run(session_.feed_stored(outcome->feed_seq));
}

// Audit checkpoint notices the store refused: the index showed this authority two histories
// (docs/audit.md). Sizes, seqs and protocol codes only.
void AuthorityNode::report_forks(const std::vector<store::CheckpointFork>& forks) {
  for (const store::CheckpointFork& f : forks)
    log::error("audit_checkpoint_forked",
               {{"peer", sync_.index_id},
                {"feed_seq", f.feed_seq},
                {"held_size", f.held_size},
                {"notice_size", f.notice_size ? std::to_string(*f.notice_size) : std::string("-")},
                {"code", f.code},
                {"detail", f.detail}});
}

// What `aegis status` shows of the audit checkpoints: the one held and the open forks.
nlohmann::ordered_json AuthorityNode::audit_status() {
  nlohmann::ordered_json audit = {{"held_size", nullptr}, {"held_feed_seq", nullptr},
                                  {"open_forks", 0}, {"fork", nullptr}};
  if (auto held = store_.held_checkpoint(); !held) {
    log::error("store_failed", {{"what", held.error().message()}});
  } else if (*held) {
    audit["held_size"] = (*held)->checkpoint.tree_size;
    audit["held_feed_seq"] = (*held)->feed_seq;
  }
  auto forks = store_.checkpoint_forks();
  if (!forks) {
    log::error("store_failed", {{"what", forks.error().message()}});
  } else if (!forks->empty()) {
    const store::CheckpointFork& f = forks->front();  // the first: where the histories parted
    audit["open_forks"] = forks->size();
    audit["fork"] = {{"feed_seq", f.feed_seq},
                     {"detected_ms", f.detected_ms},
                     {"held_size", f.held_size},
                     {"notice_size", f.notice_size ? nlohmann::ordered_json(*f.notice_size)
                                                   : nlohmann::ordered_json()},
                     {"code", f.code},
                     {"detail", f.detail}};
  }
  return audit;
}

void AuthorityNode::poll_outbox() {
  auto last = store_.last();
  if (!last) {
    log::error("store_failed", {{"what", last.error().message()}});
    return;
  }
  if (last->last_seq > session_.outbox_tail()) run(session_.outbox_advanced(last->last_seq));
}

void AuthorityNode::nudge(std::uint64_t now_ms) {
  now_ms_ = now_ms;
  poll_outbox();
}

std::uint64_t AuthorityNode::known_acked() const {
  // Until the index's Welcome, what it acknowledged last time (saved) is the best knowledge.
  const bool heard = session_.state() == protocol::SessionState::ready ||
                     session_.state() == protocol::SessionState::diverged;
  return heard ? session_.acked_seq() : std::max(session_.acked_seq(), saved_acked_);
}

std::uint64_t AuthorityNode::backlog() const {
  const std::uint64_t acked = known_acked();
  return session_.outbox_tail() > acked ? session_.outbox_tail() - acked : 0;
}

std::uint64_t AuthorityNode::lag_ms() {
  if (backlog() == 0) return 0;
  auto t = store_.envelope_time(known_acked() + 1);
  if (!t || !t->has_value()) return 0;
  return now_ms_ > **t ? now_ms_ - **t : 0;
}

void AuthorityNode::save_sync_state(bool force) {
  if (session_.acked_seq() == saved_acked_) return;
  if (!force && now_ms_ < next_state_save_ms_) return;
  if (auto s = store_.save_acked(sync_.index_id, session_.acked_seq(), now_ms_); !s) {
    log::error("store_failed", {{"what", s.error().message()}});
    return;
  }
  saved_acked_ = session_.acked_seq();
  next_state_save_ms_ = now_ms_ + kSyncStateSaveMs;
}

int AuthorityNode::tick(std::uint64_t now_ms) {
  now_ms_ = now_ms;
  int wait = kOutboxPollMs;
  if (link_ == Link::refused) {
    if (now_ms_ >= reconnect_at_ms_) connect();
  } else {
    sync_tick();
  }
  // After the session's timeouts: a long import must not make them fire before the loop has
  // read what arrived meanwhile. Imports go on whether or not the index is reachable.
  if (inbox_ && now_ms_ >= next_inbox_scan_ms_ && run_inbox()) wait = 0;
  if (now_ms_ >= next_retention_ms_) run_retention();
  return wait;
}

void AuthorityNode::run_retention() {
  next_retention_ms_ = now_ms_ + kRetentionEveryMs;
  // A purge signs a delete envelope: nothing the index would refuse (as for imports).
  if (auto own = node::own_certificate(config_, *trust_, identity_, serial_, now_ms_); !own) {
    log::warning("retention_postponed", {{"code", own.error().code}});
    next_retention_ms_ = now_ms_ + kInboxRetryMs;
    return;
  }
  const store::Signing signing{
      identity_, serial_, matching_key_,
      store::seal_recipients(identity_.box_public_key(), *trust_, now_ms_), [] { return now_ms(); },
      [] { return keys::fresh_seal_randomness(); }};
  run_retention_job(store_, signing, now_ms_);
  now_ms_ = now_ms();
  poll_outbox();  // push the delete envelopes of purges now
}

void AuthorityNode::sync_tick() {
  if (now_ms_ >= next_outbox_poll_ms_) {
    poll_outbox();
    next_outbox_poll_ms_ = now_ms_ + kOutboxPollMs;
  }
  run(session_.tick(now_ms_));
  if (session_.state() == protocol::SessionState::ready) refused_backoff_ms_ = kRefusedRetryMs;
  save_sync_state(false);

  const std::uint64_t behind = backlog();
  if (behind > 0 && now_ms_ >= next_backlog_log_ms_) {
    log::info("backlog", {{"peer", sync_.index_id},
                          {"backlog", behind},
                          {"acked_seq", known_acked()},
                          {"lag_ms", lag_ms()}});
    next_backlog_log_ms_ = now_ms_ + kBacklogLogMs;
    behind_ = true;
  } else if (behind == 0 && behind_) {
    log::info("drained", {{"peer", sync_.index_id}, {"acked_seq", known_acked()}});
    behind_ = false;
    next_backlog_log_ms_ = 0;
  }
}

bool AuthorityNode::run_inbox() {
  std::vector<inbox::Watcher::Ready> ready = inbox_->scan(now_ms_);
  next_inbox_scan_ms_ = now_ms_ + kInboxScanMs;
  std::set<std::string> problems;
  for (const inbox::Watcher::Problem& p : inbox_->problems()) {
    if (!inbox_problems_.count(p.message))
      log::warning("inbox_unreadable", {{"dir", inbox_->dirs()[p.dir].dir.string()},
                                        {"detail", p.message}});
    problems.insert(p.message);
  }
  inbox_problems_ = std::move(problems);
  if (ready.empty()) return false;

  // Sign nothing that the index (and `aegis log verify`) would refuse.
  auto own = node::own_certificate(config_, *trust_, identity_, serial_, now_ms_);
  if (!own) {
    if (!imports_paused_)
      log::error("imports_paused", {{"code", own.error().code}, {"detail", own.error().message}});
    imports_paused_ = true;
    for (const inbox::Watcher::Ready& r : ready) inbox_->hold(r.file, now_ms_ + kInboxRetryMs);
    return false;
  }
  if (imports_paused_) log::info("imports_resumed");
  imports_paused_ = false;

  import_one(ready.front());
  if (ready.size() == 1) return false;
  next_inbox_scan_ms_ = now_ms_;  // the next one at once, after the loop has polled its sockets
  return true;
}

void AuthorityNode::import_one(const inbox::Watcher::Ready& ready) {
  const inbox::WatchedDir& dir = inbox_->dirs()[ready.dir];
  const std::string name = ready.file.filename().string();
  const store::Signing signing{
      identity_, serial_, matching_key_,
      store::seal_recipients(identity_.box_public_key(), *trust_, now_ms_), [] { return now_ms(); },
      [] { return keys::fresh_seal_randomness(); }};
  log::info("importing", {{"file", name}, {"format", adapters::format_name(dir.source.format)}});
  const inbox::Report report = inbox::import_file(store_, signing, ready.file, dir.source);
  now_ms_ = now_ms();
  last_import_ = report.summary();
  switch (report.outcome) {
    case inbox::Outcome::imported:
      ++imports_.imported;
      imports_.records += report.records;
      log::info("imported", {{"file", name},
                             {"format", report.format},
                             {"records", report.records},
                             {"changed", report.changed},
                             {"quarantined", report.quarantined()},
                             {"left_roll", report.left_roll},
                             {"last_seq", report.last_seq}});
      if (report.changed > 0) poll_outbox();  // push the new envelopes now
      break;
    case inbox::Outcome::rejected:
      ++imports_.rejected;
      log::warning("import_rejected",
                   {{"file", name}, {"detail", report.error ? report.error->message : ""}});
      break;
    case inbox::Outcome::failed:
      ++imports_.failed;
      log::error("import_failed", {{"file", name},
                                   {"detail", report.failure},
                                   {"retry_ms", static_cast<std::uint64_t>(kInboxRetryMs)}});
      inbox_->hold(ready.file, now_ms_ + kInboxRetryMs);
      return;  // stays in the inbox
  }
  std::string error;
  if (!inbox::deliver(ready.file, report, error)) {
    log::error("import_move_failed", {{"file", name},
                                      {"detail", error},
                                      {"retry_ms", static_cast<std::uint64_t>(kInboxRetryMs)}});
    inbox_->hold(ready.file, now_ms_ + kInboxRetryMs);
  }
}

nlohmann::ordered_json AuthorityNode::status(std::uint64_t now_ms) {
  now_ms_ = now_ms;
  poll_outbox();
  // refused: the index sent Refused (backing off), or refused our last handshake.
  const char* link = link_ == Link::connected                                    ? "connected"
                     : link_ == Link::refused || last_handshake_failure_ == "auth" ? "refused"
                                                                                   : "connecting";
  nlohmann::ordered_json peer = {
      {"peer", sync_.index_id},
      {"endpoint", sync_.index_endpoint},
      {"connection", link},
      {"session", protocol::session_state_name(session_.state())},
      {"last_sent_seq", session_.last_sent_seq()},
      {"last_acked_seq", known_acked()},
      {"outbox_tail", session_.outbox_tail()},
      {"backlog", backlog()},
      {"lag_s", static_cast<double>(lag_ms()) / 1000.0},
      {"pushes_sent", pushes_sent_},
      {"changes_sent", changes_sent_},
      {"resyncs", session_.resyncs()},
      {"handshake_failures", handshake_failures_},
      {"last_handshake_failure", last_handshake_failure_.empty()
                                     ? nlohmann::ordered_json(nullptr)
                                     : nlohmann::ordered_json(last_handshake_failure_)},
      {"feed_seq", session_.feed_seq()},
  };
  if (auto n = store_.national_id_count(); n) peer["national_ids"] = *n;
  if (session_.last_reject()) {
    peer["last_reject"] = reject_json(*session_.last_reject());
  } else if (auto state = store_.sync_state(sync_.index_id); state && state->last_reject) {
    const store::SyncReject& r = *state->last_reject;
    peer["last_reject"] = {
        {"seq", r.seq}, {"code", r.code}, {"detail", r.detail}, {"at_ms", r.at_ms}};
  } else {
    peer["last_reject"] = nullptr;
  }
  peer["last_refused"] = last_refused_
                             ? nlohmann::ordered_json{{"code", last_refused_->code},
                                                      {"detail", last_refused_->detail}}
                             : nlohmann::ordered_json(nullptr);
  peer["rejected"] = rejected_;
  peer["feed_problems"] = feed_problems_;
  peer["last_feed_problem"] =
      last_feed_problem_ ? nlohmann::ordered_json(*last_feed_problem_) : nlohmann::ordered_json();
  peer["audit"] = audit_status();
  nlohmann::ordered_json out = {{"peers", nlohmann::ordered_json::array({peer})}};
  if (inbox_) {
    nlohmann::ordered_json dirs = nlohmann::ordered_json::array();
    for (const inbox::WatchedDir& w : inbox_->dirs())
      dirs.push_back({{"dir", w.dir.string()}, {"format", adapters::format_name(w.source.format)}});
    out["inbox"] = {{"dirs", dirs},
                    {"imported", imports_.imported},
                    {"rejected", imports_.rejected},
                    {"failed", imports_.failed},
                    {"records", imports_.records},
                    {"paused", imports_paused_},
                    {"last", last_import_ ? *last_import_ : nlohmann::ordered_json()}};
  }
  return out;
}

void AuthorityNode::trust_changed(std::shared_ptr<const protocol::Trust> trust,
                                  std::uint64_t now_ms) {
  now_ms_ = now_ms;
  trust_ = std::move(trust);
  if (auto ok = store_.record_trust_version(trust_->version()); !ok)
    log::error("store_failed", {{"detail", ok.error().message()}});
  const protocol::Certificate* cert =
      trust_->active_subject(sync_.index_id, protocol::Role::index, now_ms_);
  if (!cert) {
    log::error("index_not_trusted", {{"peer", sync_.index_id}});
    session_.disconnected();
    client_.reset();
    link_ = Link::refused;
    reconnect_at_ms_ = UINT64_MAX;  // until a bundle certifies an index again
    return;
  }
  if (cert->curve_key != index_key_ || !client_) {
    index_key_ = cert->curve_key;
    query_client_.reset();
    session_.disconnected();
    connect();
  }
}

void AuthorityNode::identity_changed(std::uint64_t serial, std::uint64_t now_ms) {
  now_ms_ = now_ms;
  query_client_.reset();  // the next query connects with the new key
  serial_ = serial;  // imports sign with the new key from now on
  // A new connection with the new CURVE key; the session resumes from the index's Welcome.
  session_.disconnected();
  connect();
}

void AuthorityNode::stop(std::uint64_t now_ms) {
  now_ms_ = now_ms;
  save_sync_state(true);
  session_.disconnected();
  query_client_.reset();
  client_.reset();  // closes with ZMQ_LINGER: a FeedAck in the queue still goes out
}

}  // namespace aegis::daemon
