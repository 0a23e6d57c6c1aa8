// The sync state machines (docs/PROTOCOL.md §12.5): RangeSender on its own, scripted exchanges
// of the AuthoritySession (connect, window, acks, timeouts, reconnect, gaps, rejects,
// divergence, refusal, pings, the feed, a 100,000-change backlog), and a randomized lossy link
// between the session and a small in-test index that must end with every seq applied exactly
// once, in order.
#include <catch2/catch.hpp>

#include <deque>
#include <random>
#include <string>

#include "aegis/protocol/sync_session.hpp"

using namespace aegis::protocol;

namespace {

constexpr std::uint64_t kT0 = 1'000'000;

std::vector<SendEnvelopes> sends(const SessionActions& actions) {
  std::vector<SendEnvelopes> out;
  for (const SessionAction& a : actions)
    if (const auto* s = std::get_if<SendEnvelopes>(&a)) out.push_back(*s);
  return out;
}

std::vector<Message> messages(const SessionActions& actions) {
  std::vector<Message> out;
  for (const SessionAction& a : actions)
    if (const auto* s = std::get_if<SendMessage>(&a)) out.push_back(s->message);
  return out;
}

template <typename T>
std::size_t count_of(const SessionActions& actions) {
  std::size_t n = 0;
  for (const SessionAction& a : actions) n += std::holds_alternative<T>(a) ? 1 : 0;
  return n;
}

bool is_hello(const SessionActions& actions, std::uint64_t feed_seq = 0) {
  auto m = messages(actions);
  return actions.size() == 1 && m.size() == 1 && m[0] == Message{Hello{"kent", feed_seq}};
}

std::vector<SendEnvelopes> ranges(std::initializer_list<std::pair<std::uint64_t, std::uint64_t>> r) {
  std::vector<SendEnvelopes> out;
  for (auto [from, to] : r) out.push_back(SendEnvelopes{from, to});
  return out;
}

Ack ack(std::uint64_t seq) { return Ack{seq, Hash{}}; }
Welcome welcome(std::uint64_t seq) { return Welcome{seq, Hash{}}; }

// A session of kent with an outbox ending at `tail`, connected and welcomed at `applied`.
struct Ready {
  AuthoritySession session;
  SessionActions first;  // what Welcome produced
  Ready(std::uint64_t tail, std::uint64_t applied, SessionConfig config = {})
      : session("kent", tail, config) {
    REQUIRE(is_hello(session.connected(kT0, 0)));
    first = session.received(welcome(applied), kT0);
    REQUIRE(session.state() == SessionState::ready);
  }
};

}  // namespace

// ---- RangeSender ---------------------------------------------------------------------------

TEST_CASE("range sender: ranges respect batch_max, the window and the tail") {
  RangeSender r(10, 3);
  CHECK(r.take(0).empty());  // nothing to send
  r.set_tail(25);
  CHECK(r.take(0) == std::vector<SendRange>{{1, 10}, {11, 20}, {21, 25}});
  r.set_tail(100);
  CHECK(r.take(0).empty());  // window full
  CHECK(r.answered(10, 1));
  CHECK(r.take(1) == std::vector<SendRange>{{26, 35}});
  CHECK(r.outstanding() == 3);
  CHECK(r.highest_sent() == 35);
  r.set_tail(50);  // lower than known: ignored
  CHECK(r.tail() == 100);
}

TEST_CASE("range sender: a stale answer changes nothing; an equal one resends once") {
  RangeSender r(10, 3);
  r.set_tail(100);
  REQUIRE(r.take(0).size() == 3);
  CHECK(r.answered(10, 1));
  CHECK(r.take(1) == std::vector<SendRange>{{31, 40}});
  CHECK_FALSE(r.answered(5, 1));
  CHECK(r.acked() == 10);
  CHECK(r.outstanding() == 3);
  // The receiver could not continue after 10: everything after it goes again, once.
  CHECK(r.answered(10, 2));
  CHECK(r.outstanding() == 0);
  CHECK(r.take(2) == std::vector<SendRange>{{11, 20}, {21, 30}, {31, 40}});
  CHECK_FALSE(r.answered(10, 3));
  CHECK_FALSE(r.answered(10, 3));
  CHECK(r.outstanding() == 3);
  // Part of a range acknowledged: the range stays outstanding until all of it is.
  CHECK(r.answered(25, 4));
  CHECK(r.outstanding() == 2);
  CHECK(r.take(4) == std::vector<SendRange>{{41, 50}});
  CHECK(r.answered(30, 5));
  CHECK(r.take(5) == std::vector<SendRange>{{51, 60}});
  // After progress, an equal answer is a new gap and resends again.
  CHECK(r.answered(30, 6));
  CHECK(r.take(6) == std::vector<SendRange>{{31, 40}, {41, 50}, {51, 60}});
}

TEST_CASE("range sender: an acknowledgement beyond what was sent moves the next seq") {
  RangeSender r(10, 2);
  r.set_tail(100);
  REQUIRE(r.take(0).size() == 2);
  CHECK(r.answered(55, 1));
  CHECK(r.outstanding() == 0);
  CHECK(r.take(1) == std::vector<SendRange>{{56, 65}, {66, 75}});
}

TEST_CASE("range sender: a rejected seq stops sends until restart") {
  RangeSender r(10, 4);
  r.set_tail(100);
  REQUIRE(r.take(0).size() == 4);
  CHECK(r.rejected(15, 1));
  CHECK(r.acked() == 14);
  CHECK(r.outstanding() == 0);
  CHECK(r.blocked_from() == 15);
  CHECK(r.take(1).empty());
  CHECK_FALSE(r.answered(14, 2));  // the other Pushes' answers
  CHECK_FALSE(r.rejected(12, 2));  // stale
  CHECK(r.take(2).empty());
  r.restart(14);
  CHECK(r.blocked_from() == 0);
  CHECK(r.take(3).front() == SendRange{15, 24});
}

TEST_CASE("range sender: timed_out only while ranges are outstanding without progress") {
  RangeSender r(5, 2);
  CHECK_FALSE(r.timed_out(1'000'000, 10));
  r.set_tail(20);
  REQUIRE(r.take(100).size() == 2);
  CHECK_FALSE(r.timed_out(109, 10));
  CHECK(r.timed_out(110, 10));
  REQUIRE(r.answered(5, 105));  // progress restarts the clock
  CHECK_FALSE(r.timed_out(110, 10));
  CHECK(r.timed_out(115, 10));
  REQUIRE(r.answered(5, 114));  // an equal answer resends, and the resend restarts it
  REQUIRE(r.take(114).size() == 2);
  CHECK_FALSE(r.timed_out(123, 10));
  CHECK(r.timed_out(124, 10));
  REQUIRE(r.answered(15, 124));
  r.restart(15);
  CHECK_FALSE(r.timed_out(1'000'000, 10));
}

// ---- AuthoritySession: scripted exchanges ---------------------------------------------------

TEST_CASE("session: connect sends Hello with the stored feed position") {
  AuthoritySession s("kent", 10);
  CHECK(s.state() == SessionState::disconnected);
  CHECK(is_hello(s.connected(kT0, 7), 7));
  CHECK(s.state() == SessionState::hello_sent);
  CHECK(s.backlog() == 10);
}

TEST_CASE("session: Welcome(0) fills the window with batches from seq 1") {
  Ready r(2000, 0);
  CHECK(sends(r.first) == ranges({{1, 256}, {257, 512}, {513, 768}, {769, 1024}}));
  CHECK(r.first.size() == 4);
  CHECK(r.session.last_sent_seq() == 1024);
  CHECK(r.session.ranges_outstanding() == 4);
  CHECK(r.session.acked_seq() == 0);
  CHECK(r.session.backlog() == 2000);
}

TEST_CASE("session: each Ack slides the window by one batch") {
  Ready r(2000, 0);
  CHECK(sends(r.session.received(ack(256), kT0 + 1)) == ranges({{1025, 1280}}));
  CHECK(sends(r.session.received(ack(512), kT0 + 2)) == ranges({{1281, 1536}}));
  CHECK(r.session.acked_seq() == 512);
  CHECK(r.session.backlog() == 1488);
  CHECK(sends(r.session.received(ack(768), kT0 + 3)) == ranges({{1537, 1792}}));
  CHECK(sends(r.session.received(ack(1024), kT0 + 4)) == ranges({{1793, 2000}}));
  CHECK(sends(r.session.received(ack(1280), kT0 + 5)).empty());  // the outbox is all sent
  CHECK(r.session.last_sent_seq() == 2000);
}

TEST_CASE("session: sends never go beyond the outbox tail; new commits are sent as they come") {
  Ready r(300, 0);
  CHECK(sends(r.first) == ranges({{1, 256}, {257, 300}}));
  CHECK(sends(r.session.outbox_advanced(310)) == ranges({{301, 310}}));
  CHECK(sends(r.session.outbox_advanced(305)).empty());  // an outbox never shrinks
  CHECK(r.session.outbox_tail() == 310);
  CHECK(sends(r.session.outbox_advanced(311)) == ranges({{311, 311}}));
  CHECK(sends(r.session.outbox_advanced(400)).empty());  // window of 4 full
  CHECK(sends(r.session.received(ack(256), kT0)) == ranges({{312, 400}}));
}

TEST_CASE("session: Welcome's applied seq is where sending starts") {
  Ready r(1000, 500);
  CHECK(sends(r.first) == ranges({{501, 756}, {757, 1000}}));
  CHECK(r.session.acked_seq() == 500);
  CHECK(r.session.backlog() == 500);
  Ready done(1000, 1000);
  CHECK(done.first.empty());
  CHECK(done.session.backlog() == 0);
}

TEST_CASE("session: reconnect resumes from the index's applied seq, nothing in flight") {
  Ready r(2000, 0);
  REQUIRE(sends(r.session.received(ack(256), kT0 + 1)).size() == 1);
  r.session.disconnected();
  CHECK(r.session.state() == SessionState::disconnected);
  CHECK(r.session.received(ack(512), kT0 + 2).empty());  // nothing while disconnected
  CHECK(r.session.outbox_advanced(2100).empty());
  CHECK(r.session.tick(kT0 + 100'000).empty());
  REQUIRE(is_hello(r.session.connected(kT0 + 200'000, 0)));
  // The index had applied 700 (it committed more than it acknowledged before the drop).
  CHECK(sends(r.session.received(welcome(700), kT0 + 200'001)) ==
        ranges({{701, 956}, {957, 1212}, {1213, 1468}, {1469, 1724}}));
  CHECK(r.session.acked_seq() == 700);
  CHECK(r.session.backlog() == 1400);
}

TEST_CASE("session: no Ack within ack_timeout while pushes are outstanding is a resync") {
  Ready r(2000, 0);
  CHECK(r.session.tick(kT0 + 9'999).empty());
  CHECK(is_hello(r.session.tick(kT0 + 10'000)));
  CHECK(r.session.state() == SessionState::hello_sent);
  CHECK(r.session.resyncs() == 1);
  // Answers to the earlier pushes are ignored until the Welcome.
  CHECK(r.session.received(ack(256), kT0 + 10'001).empty());
  CHECK(r.session.acked_seq() == 0);
  CHECK(sends(r.session.received(welcome(256), kT0 + 10'002)).front() == SendEnvelopes{257, 512});
}

TEST_CASE("session: an Ack restarts the ack timeout; an idle session does not time out") {
  Ready r(2000, 0);
  REQUIRE(r.session.received(ack(256), kT0 + 8'000).size() == 1);
  CHECK(r.session.tick(kT0 + 17'999).empty());
  CHECK(is_hello(r.session.tick(kT0 + 18'000)));
  Ready idle(0, 0);
  CHECK(messages(idle.session.tick(kT0 + 9'000)).empty());
  CHECK(idle.session.state() == SessionState::ready);
}

TEST_CASE("session: no Welcome within hello_timeout sends Hello again") {
  AuthoritySession s("kent", 5, SessionConfig{.hello_timeout_ms = 3000});
  REQUIRE(is_hello(s.connected(kT0, 2), 2));
  CHECK(s.tick(kT0 + 2'999).empty());
  CHECK(is_hello(s.tick(kT0 + 3'000), 2));
  CHECK(s.tick(kT0 + 5'999).empty());
  CHECK(is_hello(s.tick(kT0 + 6'000), 2));
  CHECK(s.resyncs() == 2);
  // A second Welcome (the answer to the first Hello, arriving late) is ignored.
  CHECK(sends(s.received(welcome(0), kT0 + 6'001)) == ranges({{1, 5}}));
  CHECK(s.received(welcome(0), kT0 + 6'002).empty());
  CHECK(s.ranges_outstanding() == 1);
}

TEST_CASE("session: a stale Ack is ignored; a repeated one is a gap, resent once") {
  Ready r(2000, 0);
  REQUIRE(sends(r.session.received(ack(256), kT0)) == ranges({{1025, 1280}}));
  CHECK(r.session.received(ack(100), kT0).empty());
  CHECK(r.session.acked_seq() == 256);
  CHECK(r.session.ranges_outstanding() == 4);
  // Push 257-512 was lost: the index answers the next Pushes with its unchanged seq. The
  // first such answer resends everything after 256; the others are ignored.
  CHECK(sends(r.session.received(ack(256), kT0 + 1)) ==
        ranges({{257, 512}, {513, 768}, {769, 1024}, {1025, 1280}}));
  CHECK(r.session.received(ack(256), kT0 + 2).empty());
  CHECK(r.session.received(ack(256), kT0 + 3).empty());
  CHECK(sends(r.session.received(ack(512), kT0 + 4)) == ranges({{1281, 1536}}));
  CHECK(r.session.acked_seq() == 512);
}

TEST_CASE("session: a range sent as several Pushes is freed once all of it is acknowledged") {
  Ready r(2000, 0);
  CHECK(r.session.received(ack(100), kT0).empty());  // the first part of 1-256
  CHECK(r.session.ranges_outstanding() == 4);
  CHECK(r.session.acked_seq() == 100);
  CHECK(sends(r.session.received(ack(256), kT0)) == ranges({{1025, 1280}}));
  // Acknowledging two ranges at once frees both.
  CHECK(sends(r.session.received(ack(768), kT0)) == ranges({{1281, 1536}, {1537, 1792}}));
}

TEST_CASE("session: a lost resend is recovered by the ack timeout") {
  Ready r(2000, 0);
  REQUIRE(sends(r.session.received(ack(0), kT0 + 1)).size() == 4);  // gap: resend
  for (int i = 0; i < 3; ++i) CHECK(r.session.received(ack(0), kT0 + 2).empty());
  // The resent Pushes are lost too: no progress for ack_timeout.
  CHECK(r.session.tick(kT0 + 10'000).empty());
  CHECK(is_hello(r.session.tick(kT0 + 10'001)));
  CHECK(sends(r.session.received(welcome(0), kT0 + 10'002)).front() == SendEnvelopes{1, 256});
}

TEST_CASE("session: Reject stops pushing at its seq, is reported once, retried on resync") {
  Ready r(2000, 0);
  SessionActions a = r.session.received(Reject{100, "bad_signature", "envelope.signature"}, kT0);
  REQUIRE(count_of<Rejected>(a) == 1);
  CHECK(std::get<Rejected>(a[0]).reject.seq == 100);
  CHECK(sends(a).empty());
  CHECK(r.session.acked_seq() == 99);
  REQUIRE(r.session.last_reject().has_value());
  CHECK(r.session.last_reject()->code == "bad_signature");
  // The other pushes hit the gap; nothing is sent at or beyond 100.
  for (int i = 0; i < 3; ++i) CHECK(r.session.received(ack(99), kT0).empty());
  CHECK(r.session.ranges_outstanding() == 0);
  CHECK(r.session.outbox_advanced(3000).empty());
  CHECK(r.session.backlog() == 2901);
  // Retried after reject_retry_ms: Hello, then from the rejected seq again.
  CHECK(messages(r.session.tick(kT0 + 59'999)).size() <= 1);  // at most a Ping
  CHECK(is_hello(r.session.tick(kT0 + 60'000)));
  CHECK(sends(r.session.received(welcome(99), kT0 + 60'001)).front() == SendEnvelopes{100, 355});
  // The same rejection again is not reported again, on this connection or the next.
  CHECK(count_of<Rejected>(r.session.received(Reject{100, "bad_signature", "again"}, kT0)) == 0);
  r.session.disconnected();
  REQUIRE(is_hello(r.session.connected(kT0 + 70'000, 0)));
  REQUIRE(sends(r.session.received(welcome(99), kT0 + 70'001)).size() == 4);
  CHECK(count_of<Rejected>(r.session.received(Reject{100, "bad_signature", ""}, kT0)) == 0);
  // A different code for the same seq is news.
  r.session.disconnected();
  REQUIRE(is_hello(r.session.connected(kT0 + 80'000, 0)));
  REQUIRE(!sends(r.session.received(welcome(99), kT0 + 80'001)).empty());
  CHECK(count_of<Rejected>(r.session.received(Reject{100, "expired_signer", ""}, kT0)) == 1);
  // Once the index applies beyond it (e.g. after a trust bundle update), it is cleared.
  r.session.disconnected();
  REQUIRE(is_hello(r.session.connected(kT0 + 90'000, 0)));
  REQUIRE(!sends(r.session.received(welcome(99), kT0 + 90'001)).empty());
  r.session.received(ack(355), kT0 + 90'002);
  CHECK_FALSE(r.session.last_reject().has_value());
}

TEST_CASE("session: a Reject already overtaken, or outside the stream, does not block") {
  Ready r(2000, 0);
  REQUIRE(sends(r.session.received(ack(256), kT0)).size() == 1);
  CHECK(r.session.received(Reject{200, "replayed", ""}, kT0).empty());
  CHECK(r.session.ranges_outstanding() == 4);
  // During a resync the rejection is reported but does not touch the stream.
  REQUIRE(is_hello(r.session.tick(kT0 + 10'000)));
  SessionActions a = r.session.received(Reject{300, "revoked_signer", ""}, kT0 + 10'001);
  CHECK(count_of<Rejected>(a) == 1);
  CHECK(a.size() == 1);
  CHECK(sends(r.session.received(welcome(299), kT0 + 10'002)).front() == SendEnvelopes{300, 555});
}

TEST_CASE("session: a Welcome or Ack beyond the outbox tail is reported as Diverged") {
  AuthoritySession s("kent", 50);
  REQUIRE(is_hello(s.connected(kT0, 0)));
  SessionActions a = s.received(welcome(60), kT0);
  REQUIRE(a.size() == 1);
  CHECK(std::get<Diverged>(a[0]) == Diverged{60, 50});
  CHECK(s.state() == SessionState::diverged);
  CHECK(s.outbox_advanced(70).empty());  // nothing is pushed on this connection
  CHECK(s.tick(kT0 + 100'000).empty());
  // Still answers pings and takes the feed.
  CHECK(messages(s.received(Ping{3}, kT0)) == std::vector<Message>{Pong{3}});
  CHECK(count_of<StoreFeed>(s.received(FeedBatch{{Bytes{1}}}, kT0)) == 1);

  Ready r(100, 0);
  SessionActions b = r.session.received(ack(101), kT0);
  REQUIRE(count_of<Diverged>(b) == 1);
  CHECK(sends(b).empty());
  CHECK(r.session.state() == SessionState::diverged);
}

TEST_CASE("session: Refused stops everything until the next connection") {
  Ready r(2000, 0);
  SessionActions a = r.session.received(Refused{"not_authorised", "revoked"}, kT0);
  REQUIRE(a.size() == 1);
  CHECK(std::get<SessionRefused>(a[0]).refused.code == "not_authorised");
  CHECK(r.session.state() == SessionState::refused);
  CHECK(r.session.received(ack(256), kT0).empty());
  CHECK(r.session.received(Ping{1}, kT0).empty());
  CHECK(r.session.tick(kT0 + 1'000'000).empty());
  CHECK(r.session.outbox_advanced(3000).empty());
  r.session.disconnected();
  CHECK(is_hello(r.session.connected(kT0 + 2'000'000, 0)));
}

TEST_CASE("session: Ping is answered with Pong; silence brings a Ping, no Pong a resync") {
  Ready r(0, 0, SessionConfig{.ack_timeout_ms = 5'000, .ping_interval_ms = 3'000});
  CHECK(messages(r.session.received(Ping{77}, kT0)) == std::vector<Message>{Pong{77}});
  CHECK(r.session.tick(kT0 + 2'999).empty());
  CHECK(messages(r.session.tick(kT0 + 3'000)) == std::vector<Message>{Ping{1}});
  CHECK(r.session.tick(kT0 + 4'000).empty());  // one Ping at a time
  CHECK(r.session.received(Pong{99}, kT0 + 4'500).empty());  // not ours
  CHECK(r.session.received(Pong{1}, kT0 + 5'000).empty());
  CHECK(messages(r.session.tick(kT0 + 8'000)) == std::vector<Message>{Ping{2}});
  CHECK(r.session.tick(kT0 + 12'999).empty());
  CHECK(is_hello(r.session.tick(kT0 + 13'000)));
}

TEST_CASE("session: feed batches go to the store; each store is acknowledged") {
  Ready r(0, 0);
  SessionActions a = r.session.received(FeedBatch{{Bytes{1}, Bytes{2}}}, kT0);
  REQUIRE(a.size() == 1);
  CHECK(std::get<StoreFeed>(a[0]).items == std::vector<Bytes>{Bytes{1}, Bytes{2}});
  CHECK(messages(r.session.feed_stored(2)) == std::vector<Message>{FeedAck{2}});
  // Nothing new stored (duplicates): the current position is acknowledged again.
  CHECK(messages(r.session.feed_stored(1)) == std::vector<Message>{FeedAck{2}});
  CHECK(r.session.feed_seq() == 2);
  // A resync's Hello carries the feed position: idle, then a Ping nobody answers.
  CHECK(messages(r.session.tick(kT0 + 10'000)) == std::vector<Message>{Ping{1}});
  CHECK(is_hello(r.session.tick(kT0 + 20'000), 2));
  r.session.disconnected();
  CHECK(r.session.feed_stored(3).empty());  // not connected: nothing to send
  CHECK(is_hello(r.session.connected(kT0 + 20'000, 3), 3));
}

TEST_CASE("session: messages the index never sends are ignored") {
  Ready r(2000, 0);
  CHECK(r.session.received(Hello{"kent", 0}, kT0).empty());
  CHECK(r.session.received(Push{{Bytes{1}}}, kT0).empty());
  CHECK(r.session.received(FeedAck{4}, kT0).empty());
  CHECK(r.session.ranges_outstanding() == 4);
}

TEST_CASE("session: a backlog of 100,000 drains with at most window x batch in flight") {
  const SessionConfig config{.batch_max = 256, .window = 4};
  constexpr std::uint64_t kTail = 100'000;
  Ready r(kTail, 0, config);
  std::deque<SendEnvelopes> in_flight;
  for (const SendEnvelopes& s : sends(r.first)) in_flight.push_back(s);
  std::uint64_t next_expected = 1;
  std::uint64_t pushes = 0;
  std::uint64_t now = kT0;
  while (!in_flight.empty()) {
    const SendEnvelopes s = in_flight.front();
    in_flight.pop_front();
    REQUIRE(s.from_seq == next_expected);  // each seq sent once, in order
    REQUIRE(s.to_seq - s.from_seq + 1 <= config.batch_max);
    REQUIRE(r.session.last_sent_seq() - r.session.acked_seq() <=
            std::uint64_t{config.window} * config.batch_max);
    next_expected = s.to_seq + 1;
    ++pushes;
    for (const SendEnvelopes& more : sends(r.session.received(ack(s.to_seq), ++now)))
      in_flight.push_back(more);
    REQUIRE(r.session.backlog() == kTail - s.to_seq);
  }
  CHECK(next_expected == kTail + 1);
  CHECK(pushes == (kTail + 255) / 256);
  CHECK(r.session.backlog() == 0);
  CHECK(r.session.acked_seq() == kTail);
}

// ---- A lossy link ------------------------------------------------------------------------

namespace {

Bytes seq_bytes(std::uint64_t seq) {
  Bytes b(8);
  for (int i = 0; i < 8; ++i) b[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(seq >> (56 - 8 * i));
  return b;
}

std::uint64_t seq_of(const Bytes& b) {
  REQUIRE(b.size() == 8);
  std::uint64_t v = 0;
  for (std::uint8_t x : b) v = (v << 8) | x;
  return v;
}

// The index as the protocol describes it: applies only applied + 1, answers every Push, and
// streams a feed with its own RangeSender.
struct IndexModel {
  std::uint64_t applied = 0;
  std::vector<std::uint64_t> log;  // every seq applied, in order of application
  RangeSender feed{8, 2};
  std::vector<Bytes> out;

  explicit IndexModel(std::uint64_t feed_tail) { feed.set_tail(feed_tail); }

  void send(const Message& m) { out.push_back(encode_message(m)); }
  void send_feed(std::uint64_t now) {
    for (const SendRange& r : feed.take(now)) {
      FeedBatch b;
      for (std::uint64_t s = r.from_seq; s <= r.to_seq; ++s) b.items.push_back(seq_bytes(s));
      send(b);
    }
  }
  void receive(const Message& m, std::uint64_t now) {
    if (const auto* h = std::get_if<Hello>(&m)) {
      send(Welcome{applied, Hash{}});
      feed.restart(h->feed_seq);
      send_feed(now);
    } else if (const auto* p = std::get_if<Push>(&m)) {
      for (const Bytes& e : p->envelopes) {
        const std::uint64_t seq = seq_of(e);
        if (seq <= applied) continue;  // duplicate: already applied
        if (seq != applied + 1) break;  // gap: apply nothing beyond it
        applied = seq;
        log.push_back(seq);
      }
      send(Ack{applied, Hash{}});
    } else if (const auto* f = std::get_if<FeedAck>(&m)) {
      feed.answered(f->feed_seq, now);
      send_feed(now);
    } else if (const auto* ping = std::get_if<Ping>(&m)) {
      send(Pong{ping->nonce});
    }
  }
  void tick(std::uint64_t now) {
    if (feed.timed_out(now, 3'000)) {
      feed.restart(feed.acked());
      send_feed(now);
    }
  }
};

struct LossyRun {
  std::mt19937_64 rng;
  AuthoritySession session;
  IndexModel index;
  std::uint64_t outbox_tail;
  std::uint64_t final_tail;
  std::uint64_t feed_held = 0;
  std::uint64_t now = kT0;
  bool connected = false;
  std::deque<Bytes> to_index;
  std::deque<Bytes> to_authority;
  std::uint64_t dropped = 0, duplicated = 0, reordered = 0, disconnects = 0;

  LossyRun(std::uint64_t seed, std::uint64_t tail, std::uint64_t feed_tail)
      : rng(seed),
        session("kent", tail / 2,
                SessionConfig{.batch_max = 16, .window = 3, .ack_timeout_ms = 2'000,
                              .hello_timeout_ms = 2'000, .ping_interval_ms = 1'500,
                              .reject_retry_ms = 10'000}),
        index(feed_tail),
        outbox_tail(tail / 2),
        final_tail(tail) {}

  std::uint64_t roll(std::uint64_t n) { return rng() % n; }

  void carry_out(const SessionActions& actions) {
    for (const SessionAction& a : actions) {
      if (const auto* m = std::get_if<SendMessage>(&a)) {
        to_index.push_back(encode_message(m->message));
      } else if (const auto* s = std::get_if<SendEnvelopes>(&a)) {
        REQUIRE(s->from_seq >= 1);
        REQUIRE(s->from_seq <= s->to_seq);
        REQUIRE(s->to_seq <= outbox_tail);
        REQUIRE(s->to_seq - s->from_seq < 16);
        Push p;
        for (std::uint64_t q = s->from_seq; q <= s->to_seq; ++q) p.envelopes.push_back(seq_bytes(q));
        to_index.push_back(encode_message(p));
      } else if (const auto* f = std::get_if<StoreFeed>(&a)) {
        for (const Bytes& item : f->items)
          if (seq_of(item) == feed_held + 1) ++feed_held;  // stores only what continues
        carry_out(session.feed_stored(feed_held));
      } else {
        FAIL("unexpected action " << a.index());
      }
    }
  }

  void deliver(std::deque<Bytes>& q, bool reorder, bool to_auth) {
    if (q.empty()) return;
    std::size_t i = reorder ? static_cast<std::size_t>(roll(std::min<std::size_t>(q.size(), 3)))
                            : 0;
    reordered += i != 0 ? 1 : 0;
    Bytes bytes = q[i];
    q.erase(q.begin() + static_cast<std::ptrdiff_t>(i));
    auto m = decode_message(bytes);
    REQUIRE(m.ok());
    if (to_auth) {
      carry_out(session.received(*m, now));
    } else {
      index.receive(*m, now);
      for (Bytes& b : index.out) to_authority.push_back(std::move(b));
      index.out.clear();
    }
  }

  bool done() const {
    return index.applied == final_tail && feed_held == index.feed.tail() &&
           session.acked_seq() == final_tail;
  }

  // One random step; `chaos` enables loss, duplication, reordering and disconnects.
  void step(bool chaos) {
    const std::uint64_t r = roll(100);
    if (!connected) {
      if (r < 30) {
        now += 1 + roll(300);
        connected = true;
        carry_out(session.connected(now, feed_held));
      }
      return;
    }
    if (r < 35) {
      deliver(to_index, chaos && roll(10) == 0, false);
    } else if (r < 70) {
      deliver(to_authority, chaos && roll(10) == 0, true);
    } else if (r < 85) {
      now += 1 + roll(300);
      carry_out(session.tick(now));
      index.tick(now);
      for (Bytes& b : index.out) to_authority.push_back(std::move(b));
      index.out.clear();
    } else if (r < 90) {
      if (outbox_tail < final_tail) {
        outbox_tail = std::min(final_tail, outbox_tail + 1 + roll(40));
        carry_out(session.outbox_advanced(outbox_tail));
      }
    } else if (chaos && r < 94) {
      auto& q = roll(2) ? to_index : to_authority;
      if (!q.empty()) {
        q.erase(q.begin() + static_cast<std::ptrdiff_t>(roll(q.size())));
        ++dropped;
      }
    } else if (chaos && r < 98) {
      auto& q = roll(2) ? to_index : to_authority;
      if (!q.empty()) {
        q.push_back(q[static_cast<std::size_t>(roll(q.size()))]);
        ++duplicated;
      }
    } else if (chaos && roll(4) == 0) {
      to_index.clear();
      to_authority.clear();
      session.disconnected();
      connected = false;
      ++disconnects;
    }
  }
};

}  // namespace

TEST_CASE("session: over a lossy link every seq is applied exactly once, in order") {
  for (std::uint64_t seed = 1; seed <= 12; ++seed) {
    INFO("seed " << seed);
    constexpr std::uint64_t kChanges = 4'000;
    LossyRun run(seed, kChanges, 300);
    // Chaos until the index has half of the outbox...
    int chaos = 0;
    for (; chaos < 1'000'000 && run.index.applied < kChanges / 2; ++chaos) run.step(true);
    INFO("chaos steps " << chaos);
    REQUIRE(run.index.applied >= kChanges / 2);
    REQUIRE_FALSE(run.done());
    // ...then whatever is in flight vanishes without a disconnect being noticed: only the
    // timeouts can bring the two sides back together.
    run.to_index.clear();
    run.to_authority.clear();
    int calm = 0;
    while (!run.done() && calm < 400'000) {
      run.step(false);
      ++calm;
    }
    REQUIRE(run.done());
    INFO("calm steps " << calm);
    std::vector<std::uint64_t> expected(kChanges);
    for (std::uint64_t i = 0; i < expected.size(); ++i) expected[i] = i + 1;
    CHECK(run.index.log == expected);  // exactly once, in order
    CHECK(run.session.backlog() == 0);
    CHECK(run.session.state() == SessionState::ready);
    // The link really was hostile.
    CHECK(run.dropped > 0);
    CHECK(run.duplicated > 0);
    CHECK(run.reordered > 0);
    CHECK(run.disconnects > 0);
    CHECK(run.session.resyncs() > 0);
  }
}
