// The sync state machines (docs/PROTOCOL.md §12.5): pure, no I/O, time passed in.
//
// RangeSender — the sliding-window sender of a seq-numbered log (1, 2, 3...): it hands out
// consecutive ranges of at most batch_max seqs, keeps at most `window` of them not yet fully
// acknowledged, and follows the receiver's acknowledgements (the highest seq it holds). The
// authority uses one for its outbox (inside AuthoritySession); the index uses one per
// connected authority for that authority's feed.
//
// AuthoritySession — the authority side of one connection to the index. The daemon reports
// events (connected, a decoded message, the outbox grew, feed items stored, a clock tick) and
// carries out the returned actions in order:
//
//   daemon                                   AuthoritySession
//   connected(now, feed_seq)          ──►    SendMessage(Hello)
//   received(Welcome{applied}, now)   ──►    SendEnvelopes{applied+1, ..} × up to window
//   received(Ack{applied}, now)       ──►    SendEnvelopes{..} (the window slides)
//   received(FeedBatch, now)          ──►    StoreFeed{items}
//   feed_stored(feed_seq)             ──►    SendMessage(FeedAck)
//   tick(now)                         ──►    SendMessage(Hello) on a timeout (a resync), Ping
//
// Rules it implements (normative text in PROTOCOL.md §12.5):
// - The index is authoritative: after Welcome(applied) the next seq sent is applied + 1.
// - An Ack above the acknowledged seq advances it and frees the ranges it covers. An Ack below
//   it is stale and ignored. An Ack equal to it while ranges are outstanding says the index
//   could not continue (a gap): the session resends from acked + 1, once per acked value (the
//   equal Acks that follow answer Pushes sent before the resend and are ignored).
// - No progress for ack_timeout_ms while ranges (or a Ping) are outstanding, or no Welcome for
//   hello_timeout_ms after a Hello: resync, i.e. Hello again; nothing is in flight after it.
// - Reject(seq): the index applied up to seq - 1. Nothing from seq on is sent until the next
//   Welcome (a resync after reject_retry_ms, or a reconnect); each distinct rejection (seq and
//   code) is reported once.
// - Welcome, Ack or Reject beyond the local outbox tail: the index holds changes this authority
//   does not have (a restored backup, a forked chain). Reported as Diverged; nothing more is
//   pushed on this connection.
// - Refused: the index refused the session; reported, everything stops until reconnect.
// - Ping → Pong in every connected state; after ping_interval_ms without hearing from the
//   index, the session sends a Ping of its own.
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "aegis/protocol/bytes.hpp"
#include "aegis/protocol/sync.hpp"

namespace aegis::protocol {

// Seqs from_seq..to_seq inclusive, from_seq <= to_seq.
struct SendRange {
  std::uint64_t from_seq = 0;
  std::uint64_t to_seq = 0;
  bool operator==(const SendRange&) const = default;
};

class RangeSender {
 public:
  // batch_max in 1..kMaxBatch, window >= 1.
  RangeSender(std::uint32_t batch_max, std::uint32_t window);

  // The receiver holds everything up to `acked` (a Welcome; at the index, a Hello's feed_seq):
  // forget what was outstanding and any block, resume from acked + 1.
  void restart(std::uint64_t acked);
  // The highest seq there is to send. Lower values than already known are ignored.
  void set_tail(std::uint64_t tail);
  // The receiver holds everything up to `acked` (an Ack, a FeedAck). Above the acknowledged
  // seq: progress. Below: stale, ignored. Equal, with ranges outstanding: the receiver could
  // not continue, so everything after `acked` is to be sent again — once per acked value.
  // Returns false when the acknowledgement changed nothing.
  bool answered(std::uint64_t acked, std::uint64_t now_ms);
  // The receiver refused `seq` and holds everything before it (a Reject): nothing at or after
  // `seq` is sent until the next restart. Returns false (changing nothing) when stale.
  bool rejected(std::uint64_t seq, std::uint64_t now_ms);
  // The ranges to send now, in order, each now outstanding: at most batch_max seqs each, never
  // beyond the tail or a rejected seq, at most `window` outstanding in all.
  std::vector<SendRange> take(std::uint64_t now_ms);
  // True when ranges are outstanding and no progress was made for timeout_ms.
  bool timed_out(std::uint64_t now_ms, std::uint64_t timeout_ms) const;

  std::uint64_t acked() const { return acked_; }
  std::uint64_t next_seq() const { return next_; }
  std::uint64_t tail() const { return tail_; }
  std::uint64_t highest_sent() const { return highest_sent_; }  // 0 = nothing sent yet
  std::uint64_t blocked_from() const { return blocked_; }        // 0 = not blocked
  std::size_t outstanding() const { return outstanding_.size(); }

 private:
  std::uint32_t batch_max_;
  std::uint32_t window_;
  std::uint64_t acked_ = 0;
  std::uint64_t next_ = 1;
  std::uint64_t tail_ = 0;
  std::uint64_t highest_sent_ = 0;
  std::uint64_t blocked_ = 0;
  bool resent_ = false;  // already resent from acked_ + 1 after an equal acknowledgement
  std::uint64_t waiting_since_ms_ = 0;
  std::deque<SendRange> outstanding_;  // contiguous, ending at next_ - 1
};

struct SessionConfig {
  std::uint32_t batch_max = 256;            // envelopes per Push, 1..kMaxBatch
  std::uint32_t window = 4;                 // Pushes sent and not yet answered, >= 1
  std::uint64_t ack_timeout_ms = 10'000;    // Pushes or a Ping outstanding, no answer: resync
  std::uint64_t hello_timeout_ms = 10'000;  // Hello sent, no Welcome: Hello again
  std::uint64_t ping_interval_ms = 10'000;  // nothing heard from the index: Ping
  std::uint64_t reject_retry_ms = 60'000;   // after a Reject, resync (retry) this much later
};

enum class SessionState {
  disconnected,  // no connection (initially, and after disconnected())
  hello_sent,    // Hello sent, waiting for Welcome
  ready,         // streaming the outbox
  refused,       // the index sent Refused: nothing until disconnected()/connected()
  diverged,      // the index holds more of this chain than the outbox: nothing is pushed
};
std::string_view session_state_name(SessionState s) noexcept;

// Actions, carried out by the daemon in the order returned.
struct SendMessage {  // encode_message and send
  Message message;
};
// Read seqs from_seq..to_seq from the outbox and send them, in order, as one Push — or as
// several consecutive Pushes when they do not fit one frame (cut them with batch_prefix()).
struct SendEnvelopes {
  std::uint64_t from_seq = 0;
  std::uint64_t to_seq = 0;
  bool operator==(const SendEnvelopes&) const = default;
};
// Verify each item with verify_feed_item against the stored feed chain, durably store the
// ones that continue it (skipping replayed ones), then call feed_stored() once with the feed
// position reached, even if nothing new was stored (the index needs one FeedAck per batch).
struct StoreFeed {
  std::vector<Bytes> items;
};
// The index rejected the envelope at reject.seq: log it and show it in status (once).
struct Rejected {
  Reject reject;
};
// The index reports index_seq applied, beyond this outbox's tail: alert the operators.
struct Diverged {
  std::uint64_t index_seq = 0;
  std::uint64_t outbox_tail = 0;
  bool operator==(const Diverged&) const = default;
};
// The index refused the session: log it, disconnect, reconnect later with backoff.
struct SessionRefused {
  Refused refused;
};
using SessionAction =
    std::variant<SendMessage, SendEnvelopes, StoreFeed, Rejected, Diverged, SessionRefused>;
using SessionActions = std::vector<SessionAction>;

class AuthoritySession {
 public:
  // `outbox_tail` is the highest seq in the outbox now (0 when empty).
  AuthoritySession(std::string authority_id, std::uint64_t outbox_tail,
                   SessionConfig config = {});

  // The transport connected; `feed_seq` is the highest feed seq durably stored. → Hello.
  SessionActions connected(std::uint64_t now_ms, std::uint64_t feed_seq);
  // The connection is gone: everything in flight is forgotten.
  void disconnected();
  // A decoded message from the index.
  SessionActions received(const Message& m, std::uint64_t now_ms);
  // The outbox now ends at `last_seq` (after local commits). Uses the latest time seen.
  SessionActions outbox_advanced(std::uint64_t last_seq);
  // The daemon durably stored the feed up to `feed_seq` (answering a StoreFeed). → FeedAck.
  SessionActions feed_stored(std::uint64_t feed_seq);
  // The clock: timeouts, retries and pings.
  SessionActions tick(std::uint64_t now_ms);

  // Status.
  const std::string& authority_id() const { return authority_id_; }
  SessionState state() const { return state_; }
  std::uint64_t last_sent_seq() const { return sender_.highest_sent(); }
  std::uint64_t acked_seq() const { return sender_.acked(); }
  std::uint64_t outbox_tail() const { return sender_.tail(); }
  std::uint64_t backlog() const;  // outbox_tail - acked_seq
  std::uint64_t feed_seq() const { return feed_seq_; }
  // The latest rejection not yet overtaken by an acknowledgement beyond its seq.
  const std::optional<Reject>& last_reject() const { return last_reject_; }
  std::uint64_t resyncs() const { return resyncs_; }  // Hellos sent after a timeout or retry
  std::size_t ranges_outstanding() const { return sender_.outstanding(); }

 private:
  void note_time(std::uint64_t now_ms);
  void send_hello(SessionActions& out);
  void resync(SessionActions& out);
  void pump(SessionActions& out);
  // False (and Diverged reported) when the index claims more than the outbox holds.
  bool within_outbox(std::uint64_t index_seq, SessionActions& out);
  void on_welcome(const Welcome& w, SessionActions& out);
  void on_ack(const Ack& a, SessionActions& out);
  void on_reject(const Reject& r, SessionActions& out);
  void forget_resolved_reject();
  bool connected_state() const;

  std::string authority_id_;
  SessionConfig config_;
  RangeSender sender_;
  SessionState state_ = SessionState::disconnected;
  std::uint64_t now_ms_ = 0;  // the latest time seen
  std::uint64_t feed_seq_ = 0;
  std::uint64_t hello_sent_ms_ = 0;
  std::uint64_t last_heard_ms_ = 0;
  std::uint64_t blocked_since_ms_ = 0;
  bool ping_outstanding_ = false;
  std::uint64_t ping_nonce_ = 0;
  std::uint64_t ping_sent_ms_ = 0;
  std::uint64_t resyncs_ = 0;
  std::optional<Reject> last_reject_;
};

}  // namespace aegis::protocol
