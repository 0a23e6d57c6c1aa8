// The sync state machines (docs/PROTOCOL.md §12.5): RangeSender and AuthoritySession. Pure:
// events and the current time in, actions out (see sync_session.hpp).
#include "aegis/protocol/sync_session.hpp"

#include <algorithm>
#include <cassert>

namespace aegis::protocol {

// ---- RangeSender ---------------------------------------------------------------------------

RangeSender::RangeSender(std::uint32_t batch_max, std::uint32_t window)
    : batch_max_(batch_max), window_(window) {
  assert(batch_max >= 1 && batch_max <= kMaxBatch);
  assert(window >= 1);
}

void RangeSender::restart(std::uint64_t acked) {
  acked_ = acked;
  next_ = acked + 1;
  blocked_ = 0;
  resent_ = false;
  outstanding_.clear();
}

void RangeSender::set_tail(std::uint64_t tail) { tail_ = std::max(tail_, tail); }

bool RangeSender::answered(std::uint64_t acked, std::uint64_t now_ms) {
  if (acked < acked_) return false;
  if (acked == acked_) {
    if (outstanding_.empty() || resent_) return false;
    // A gap at the receiver: everything outstanding is sent again from acked + 1.
    resent_ = true;
    outstanding_.clear();
    next_ = acked_ + 1;
    return true;
  }
  acked_ = acked;
  resent_ = false;
  waiting_since_ms_ = now_ms;
  while (!outstanding_.empty() && outstanding_.front().to_seq <= acked_) outstanding_.pop_front();
  next_ = std::max(next_, acked_ + 1);
  return true;
}

bool RangeSender::rejected(std::uint64_t seq, std::uint64_t now_ms) {
  assert(seq >= 1);
  if (seq <= acked_) return false;
  if (seq - 1 > acked_) {
    acked_ = seq - 1;
    waiting_since_ms_ = now_ms;
  }
  // The receiver applies nothing at or after seq: nothing sent from there is outstanding.
  outstanding_.clear();
  resent_ = true;
  next_ = seq;
  blocked_ = seq;
  return true;
}

std::vector<SendRange> RangeSender::take(std::uint64_t now_ms) {
  std::vector<SendRange> out;
  const std::uint64_t limit = blocked_ == 0 ? tail_ : std::min(tail_, blocked_ - 1);
  while (outstanding_.size() < window_ && next_ <= limit) {
    const std::uint64_t to = limit - next_ < batch_max_ ? limit : next_ + batch_max_ - 1;
    if (outstanding_.empty()) waiting_since_ms_ = now_ms;
    outstanding_.push_back(SendRange{next_, to});
    out.push_back(outstanding_.back());
    highest_sent_ = std::max(highest_sent_, to);
    next_ = to + 1;
  }
  return out;
}

bool RangeSender::timed_out(std::uint64_t now_ms, std::uint64_t timeout_ms) const {
  return !outstanding_.empty() && now_ms >= waiting_since_ms_ &&
         now_ms - waiting_since_ms_ >= timeout_ms;
}

// ---- AuthoritySession ----------------------------------------------------------------------

std::string_view session_state_name(SessionState s) noexcept {
  switch (s) {
    case SessionState::disconnected: return "disconnected";
    case SessionState::hello_sent: return "hello_sent";
    case SessionState::ready: return "ready";
    case SessionState::refused: return "refused";
    case SessionState::diverged: return "diverged";
  }
  return "unknown";
}

AuthoritySession::AuthoritySession(std::string authority_id, std::uint64_t outbox_tail,
                                   SessionConfig config)
    : authority_id_(std::move(authority_id)),
      config_(config),
      sender_(config.batch_max, config.window) {
  sender_.set_tail(outbox_tail);
}

std::uint64_t AuthoritySession::backlog() const {
  return sender_.tail() > sender_.acked() ? sender_.tail() - sender_.acked() : 0;
}

bool AuthoritySession::connected_state() const {
  return state_ == SessionState::hello_sent || state_ == SessionState::ready ||
         state_ == SessionState::diverged;
}

void AuthoritySession::note_time(std::uint64_t now_ms) { now_ms_ = std::max(now_ms_, now_ms); }

void AuthoritySession::send_hello(SessionActions& out) {
  state_ = SessionState::hello_sent;
  hello_sent_ms_ = now_ms_;
  ping_outstanding_ = false;
  out.push_back(SendMessage{Hello{authority_id_, feed_seq_}});
}

void AuthoritySession::resync(SessionActions& out) {
  ++resyncs_;
  send_hello(out);
}

void AuthoritySession::pump(SessionActions& out) {
  if (state_ != SessionState::ready) return;
  for (const SendRange& r : sender_.take(now_ms_))
    out.push_back(SendEnvelopes{r.from_seq, r.to_seq});
}

bool AuthoritySession::within_outbox(std::uint64_t index_seq, SessionActions& out) {
  if (index_seq <= sender_.tail()) return true;
  state_ = SessionState::diverged;
  out.push_back(Diverged{index_seq, sender_.tail()});
  return false;
}

void AuthoritySession::forget_resolved_reject() {
  if (last_reject_ && last_reject_->seq <= sender_.acked()) last_reject_.reset();
}

SessionActions AuthoritySession::connected(std::uint64_t now_ms, std::uint64_t feed_seq) {
  SessionActions out;
  note_time(now_ms);
  feed_seq_ = feed_seq;
  last_heard_ms_ = now_ms_;
  send_hello(out);
  return out;
}

void AuthoritySession::disconnected() {
  state_ = SessionState::disconnected;
  ping_outstanding_ = false;
}

void AuthoritySession::on_welcome(const Welcome& w, SessionActions& out) {
  if (state_ != SessionState::hello_sent) return;  // an answer to an earlier Hello
  if (!within_outbox(w.applied_seq, out)) return;
  sender_.restart(w.applied_seq);
  state_ = SessionState::ready;
  forget_resolved_reject();
  pump(out);
}

void AuthoritySession::on_ack(const Ack& a, SessionActions& out) {
  if (state_ != SessionState::ready) return;  // before Welcome: from the previous exchange
  if (!within_outbox(a.applied_seq, out)) return;
  if (!sender_.answered(a.applied_seq, now_ms_)) return;
  forget_resolved_reject();
  pump(out);
}

void AuthoritySession::on_reject(const Reject& r, SessionActions& out) {
  // Already overtaken (the index has applied r.seq since): nothing to report or do.
  if (r.seq <= sender_.acked()) return;
  const bool reported =
      last_reject_ && last_reject_->seq == r.seq && last_reject_->code == r.code;
  last_reject_ = r;
  if (!reported) out.push_back(Rejected{r});
  if (state_ != SessionState::ready) return;
  if (!within_outbox(r.seq - 1, out)) return;
  if (sender_.rejected(r.seq, now_ms_)) blocked_since_ms_ = now_ms_;
}

SessionActions AuthoritySession::received(const Message& m, std::uint64_t now_ms) {
  SessionActions out;
  if (!connected_state()) return out;
  note_time(now_ms);
  last_heard_ms_ = now_ms_;
  if (const auto* w = std::get_if<Welcome>(&m)) {
    on_welcome(*w, out);
  } else if (const auto* a = std::get_if<Ack>(&m)) {
    on_ack(*a, out);
  } else if (const auto* r = std::get_if<Reject>(&m)) {
    on_reject(*r, out);
  } else if (const auto* f = std::get_if<FeedBatch>(&m)) {
    out.push_back(StoreFeed{f->items});
  } else if (const auto* ping = std::get_if<Ping>(&m)) {
    out.push_back(SendMessage{Pong{ping->nonce}});
  } else if (const auto* pong = std::get_if<Pong>(&m)) {
    if (ping_outstanding_ && pong->nonce == ping_nonce_) ping_outstanding_ = false;
  } else if (const auto* refused = std::get_if<Refused>(&m)) {
    state_ = SessionState::refused;
    out.push_back(SessionRefused{*refused});
  }
  // Hello, Push and FeedAck are never sent by the index: ignored.
  return out;
}

SessionActions AuthoritySession::outbox_advanced(std::uint64_t last_seq) {
  SessionActions out;
  sender_.set_tail(last_seq);
  pump(out);
  return out;
}

SessionActions AuthoritySession::feed_stored(std::uint64_t feed_seq) {
  SessionActions out;
  feed_seq_ = std::max(feed_seq_, feed_seq);
  if (connected_state()) out.push_back(SendMessage{FeedAck{feed_seq_}});
  return out;
}

SessionActions AuthoritySession::tick(std::uint64_t now_ms) {
  SessionActions out;
  note_time(now_ms);
  const auto since = [&](std::uint64_t t) { return now_ms_ >= t ? now_ms_ - t : 0; };
  if (state_ == SessionState::hello_sent) {
    if (since(hello_sent_ms_) >= config_.hello_timeout_ms) resync(out);
  } else if (state_ == SessionState::ready) {
    if (sender_.timed_out(now_ms_, config_.ack_timeout_ms) ||
        (ping_outstanding_ && since(ping_sent_ms_) >= config_.ack_timeout_ms) ||
        (sender_.blocked_from() != 0 && since(blocked_since_ms_) >= config_.reject_retry_ms)) {
      resync(out);
    } else if (!ping_outstanding_ && since(last_heard_ms_) >= config_.ping_interval_ms) {
      ping_outstanding_ = true;
      ping_sent_ms_ = now_ms_;
      out.push_back(SendMessage{Ping{++ping_nonce_}});
    }
  }
  return out;
}

}  // namespace aegis::protocol
