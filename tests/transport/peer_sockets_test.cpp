// Transport tests with real ZeroMQ sockets on tcp://127.0.0.1 (ports chosen by the OS and read
// back with ZMQ_LAST_ENDPOINT): the CURVE handshake, the ZAP allow-list, fail-closed behaviour
// without a handler, trust swaps, and ZMQ_MAXMSGSIZE.
#include <string>

#include <catch2/catch.hpp>
#include <zmq.h>

#include "transport_fixture.hpp"

using namespace aegis;
using namespace aegis::test;
using transport::EventKind;

namespace {

protocol::Bytes bytes(const std::string& s) { return protocol::Bytes(s.begin(), s.end()); }

struct Index {
  transport::IndexServer server;
  transport::Monitor& monitor;
  Index(zmq::context_t& ctx, const keys::Identity& id)
      : server(ctx, curve_keys(id), "tcp://127.0.0.1:*", test_limits()),
        monitor(server.monitor()) {}
};

struct Client {
  transport::AuthorityClient client;
  transport::Monitor& monitor;
  Client(zmq::context_t& ctx, const keys::Identity& id, const protocol::CurvePublicKey& server_key,
         const std::string& endpoint)
      : client(ctx, curve_keys(id), server_key, endpoint, test_limits()),
        monitor(client.monitor()) {}
};

// Waits for the next event of `kind` on `m` while servicing the ZAP handler.
bool wait_event(TransportFixture& f, transport::ZapHandler* zap, transport::Monitor& m,
                EventKind kind) {
  std::string seen;
  const bool found = f.run_until(zap, [&] {
    while (auto ev = m.receive()) {
      seen += std::to_string(ev->code) + " ";
      if (ev->kind == kind) return true;
    }
    return false;
  }, {&m.socket()});
  if (!found) {
    std::string zaps;
    for (const auto& d : f.decisions) zaps += (d.admitted ? "ok " : d.reason + " ");
    UNSCOPED_INFO("events seen: " << seen << "; ZAP decisions: " << zaps);
  }
  return found;
}

// Sends until the message goes (the DEALER refuses while no connection is up: ZMQ_IMMEDIATE).
bool send_when_ready(TransportFixture& f, transport::ZapHandler* zap, Client& c,
                     const protocol::Bytes& payload) {
  return f.run_until(zap, [&] { return c.client.send(payload) == transport::SendResult::sent; });
}

}  // namespace

TEST_CASE("transport: an admitted authority key completes the CURVE handshake, both ways") {
  TransportFixture f;
  transport::ZapHandler zap(f.context, f.trust);
  Index index(f.context, f.index);
  const std::string endpoint = index.server.endpoint();
  REQUIRE(endpoint.rfind("tcp://127.0.0.1:", 0) == 0);
  Client kent(f.context, f.kent, f.index.curve_public_key(), endpoint);

  REQUIRE(send_when_ready(f, &zap, kent, bytes("hello from kent")));
  std::optional<transport::Incoming> in;
  REQUIRE(f.run_until(&zap, [&] { return (in = index.server.receive()).has_value(); },
                      {&index.server.socket()}));
  CHECK(in->payload == bytes("hello from kent"));
  CHECK(in->authority_id == "kent");  // the ZAP User-Id, not anything the payload says
  CHECK(in->single_frame);
  REQUIRE(f.decisions.size() == 1);
  CHECK(f.decisions[0].admitted);
  CHECK(f.decisions[0].address == "127.0.0.1");

  REQUIRE(index.server.send(in->routing_id, bytes("welcome")) == transport::SendResult::sent);
  std::optional<transport::Incoming> back;
  REQUIRE(f.run_until(&zap, [&] { return (back = kent.client.receive()).has_value(); },
                      {&kent.client.socket()}));
  CHECK(back->payload == bytes("welcome"));
}

TEST_CASE("transport: two authorities on one index are told apart by their User-Id") {
  TransportFixture f;
  transport::ZapHandler zap(f.context, f.trust);
  Index index(f.context, f.index);
  Client kent(f.context, f.kent, f.index.curve_public_key(), index.server.endpoint());
  Client leeds(f.context, f.leeds, f.index.curve_public_key(), index.server.endpoint());
  // leeds claims to be kent in its payload: the transport reports who really sent it.
  REQUIRE(send_when_ready(f, &zap, kent, bytes("I am kent")));
  REQUIRE(send_when_ready(f, &zap, leeds, bytes("I am kent")));
  std::vector<std::string> senders;
  REQUIRE(f.run_until(&zap, [&] {
    while (auto in = index.server.receive()) senders.push_back(in->authority_id);
    return senders.size() == 2;
  }, {&index.server.socket()}));
  std::sort(senders.begin(), senders.end());
  CHECK(senders == std::vector<std::string>{"kent", "leeds"});
}

TEST_CASE("transport: an unknown CURVE key is refused by ZAP and never delivers a message") {
  TransportFixture f;
  transport::ZapHandler zap(f.context, f.trust);
  Index index(f.context, f.index);
  Client stranger(f.context, f.stranger, f.index.curve_public_key(), index.server.endpoint());
  (void)stranger.client.send(bytes("let me in"));  // refused: no connection is ever up

  REQUIRE(wait_event(f, &zap, index.monitor, EventKind::handshake_failed));
  REQUIRE_FALSE(f.decisions.empty());
  CHECK_FALSE(f.decisions[0].admitted);
  CHECK(f.decisions[0].reason == "unknown_key");
  CHECK_FALSE(index.server.receive().has_value());
  CHECK(stranger.client.send(bytes("again")) == transport::SendResult::would_block);
  // The client learns why: an authentication failure carrying the ZAP status code.
  std::optional<transport::Event> refused;
  REQUIRE(f.run_until(&zap, [&] {
    while (auto ev = stranger.monitor.receive())
      if (ev->kind == EventKind::handshake_failed) refused = ev;
    return refused.has_value();
  }, {&stranger.monitor.socket()}));
  CHECK(refused->failure() == "auth");
  CHECK(refused->value == 400);

  // The index still serves certified authorities afterwards; the stranger's message never shows.
  Client kent(f.context, f.kent, f.index.curve_public_key(), index.server.endpoint());
  REQUIRE(send_when_ready(f, &zap, kent, bytes("from kent")));
  std::optional<transport::Incoming> in;
  REQUIRE(f.run_until(&zap, [&] { return (in = index.server.receive()).has_value(); },
                      {&index.server.socket()}));
  CHECK(in->authority_id == "kent");
  CHECK(in->payload == bytes("from kent"));
  CHECK_FALSE(index.server.receive().has_value());
}

TEST_CASE("transport: the index certificate's own key and a shield officer's are not admitted") {
  TransportFixture f;
  keys::Identity officer = identity("so-1", protocol::Role::shield_officer, 0x14);
  auto trust = make_trust(f.root, {certificate_of(f.kent, 1), certificate_of(f.index, 3),
                                   certificate_of(officer, 4)}, 1);
  CHECK(transport::admitted_authority(*trust, f.kent.curve_public_key(), kNow) == "kent");
  CHECK_FALSE(transport::admitted_authority(*trust, f.index.curve_public_key(), kNow));
  CHECK_FALSE(transport::admitted_authority(*trust, officer.curve_public_key(), kNow));
  CHECK_FALSE(transport::admitted_authority(*trust, f.stranger.curve_public_key(), kNow));
}

TEST_CASE("transport: revoked and expired authority certificates are not admitted") {
  TransportFixture f;
  auto revoked = make_trust(f.root, f.certs, 2, {1});
  CHECK_FALSE(transport::admitted_authority(*revoked, f.kent.curve_public_key(), kNow));
  CHECK(transport::admitted_authority(*revoked, f.leeds.curve_public_key(), kNow) == "leeds");
  // kent's certificate is valid from kNow - 1 day to kNow + 365 days.
  CHECK_FALSE(transport::admitted_authority(*f.trust, f.kent.curve_public_key(),
                                            kNow + 366 * kDay));
  CHECK_FALSE(transport::admitted_authority(*f.trust, f.kent.curve_public_key(), kNow - 2 * kDay));
}

TEST_CASE("transport: a revoked key is refused after the trust is swapped") {
  TransportFixture f;
  transport::ZapHandler zap(f.context, f.trust);
  Index index(f.context, f.index);
  {
    Client kent(f.context, f.kent, f.index.curve_public_key(), index.server.endpoint());
    REQUIRE(wait_event(f, &zap, index.monitor, EventKind::handshake_succeeded));
  }
  zap.set_trust(make_trust(f.root, f.certs, 2, {1}));  // kent (serial 1) revoked
  f.decisions.clear();
  Client again(f.context, f.kent, f.index.curve_public_key(), index.server.endpoint());
  (void)again.client.send(bytes("still me"));
  REQUIRE(wait_event(f, &zap, index.monitor, EventKind::handshake_failed));
  REQUIRE_FALSE(f.decisions.empty());
  CHECK(f.decisions.back().reason == "unknown_key");
  CHECK_FALSE(index.server.receive().has_value());
}

TEST_CASE("transport: without a ZAP handler the index admits nobody (fail closed)") {
  TransportFixture f;  // no ZapHandler in this context
  Index index(f.context, f.index);
  Client kent(f.context, f.kent, f.index.curve_public_key(), index.server.endpoint());
  (void)kent.client.send(bytes("anyone there?"));
  REQUIRE(wait_event(f, nullptr, index.monitor, EventKind::handshake_failed));
  CHECK_FALSE(index.server.receive().has_value());
  CHECK(kent.client.send(bytes("again")) == transport::SendResult::would_block);
}

TEST_CASE("transport: a client pinned to another server key never connects") {
  TransportFixture f;
  transport::ZapHandler zap(f.context, f.trust);
  Index index(f.context, f.index);
  Client kent(f.context, f.kent, f.leeds.curve_public_key(), index.server.endpoint());
  (void)kent.client.send(bytes("hello?"));
  REQUIRE(wait_event(f, &zap, index.monitor, EventKind::handshake_failed));
  CHECK(f.decisions.empty());  // refused before ZAP is even asked
  CHECK_FALSE(index.server.receive().has_value());
}

TEST_CASE("transport: a frame larger than ZMQ_MAXMSGSIZE drops the connection") {
  TransportFixture f;
  transport::ZapHandler zap(f.context, f.trust);
  Index index(f.context, f.index);
  Client kent(f.context, f.kent, f.index.curve_public_key(), index.server.endpoint());
  REQUIRE(send_when_ready(f, &zap, kent, protocol::Bytes(protocol::kMaxMessageSize, 0x41)));
  std::optional<transport::Incoming> in;
  REQUIRE(f.run_until(&zap, [&] { return (in = index.server.receive()).has_value(); },
                      {&index.server.socket()}));
  CHECK(in->payload.size() == protocol::kMaxMessageSize);  // the limit itself is allowed

  REQUIRE(kent.client.send(protocol::Bytes(protocol::kMaxMessageSize + 1, 0x42)) ==
          transport::SendResult::sent);
  REQUIRE(wait_event(f, &zap, index.monitor, EventKind::disconnected));
  CHECK_FALSE(index.server.receive().has_value());
}

TEST_CASE("transport: a multi-frame message is flagged, not delivered as a payload") {
  TransportFixture f;
  transport::ZapHandler zap(f.context, f.trust);
  Index index(f.context, f.index);
  Client kent(f.context, f.kent, f.index.curve_public_key(), index.server.endpoint());
  REQUIRE(f.run_until(&zap, [&] {
    return kent.client.socket().send(zmq::str_buffer("part 1"),
                                     zmq::send_flags::sndmore | zmq::send_flags::dontwait)
        .has_value();
  }));
  kent.client.socket().send(zmq::str_buffer("part 2"), zmq::send_flags::none);
  std::optional<transport::Incoming> in;
  REQUIRE(f.run_until(&zap, [&] { return (in = index.server.receive()).has_value(); },
                      {&index.server.socket()}));
  CHECK_FALSE(in->single_frame);
  CHECK(in->payload.empty());
  CHECK(in->authority_id == "kent");
}

TEST_CASE("transport: ZAP answers 400 to malformed, wrong-domain and wrong-mechanism requests") {
  TransportFixture f;
  transport::ZapHandler zap(f.context, f.trust);
  zmq::socket_t req(f.context, zmq::socket_type::req);
  req.set(zmq::sockopt::linger, 0);
  req.connect(std::string(transport::kZapEndpoint));
  const std::string kent_key(reinterpret_cast<const char*>(f.kent.curve_public_key().data()), 32);

  auto ask = [&](std::vector<std::string> frames) {
    for (std::size_t i = 0; i < frames.size(); ++i)
      req.send(zmq::buffer(frames[i]),
               i + 1 < frames.size() ? zmq::send_flags::sndmore : zmq::send_flags::none);
    std::vector<std::string> reply;
    REQUIRE(f.run_until(&zap, [&] {
      zmq::message_t m;
      while (req.recv(m, zmq::recv_flags::dontwait)) {
        reply.push_back(m.to_string());
        if (!m.more()) return true;
      }
      return false;
    }, {&req}));
    REQUIRE(reply.size() == 6);
    CHECK(reply[1] == "7");  // the request id is echoed
    return std::make_pair(reply[2], reply[4]);
  };
  const std::string domain(transport::kZapDomain);
  CHECK(ask({"1.0", "7", domain, "10.0.0.1", "", "CURVE", kent_key}) ==
        std::make_pair(std::string("200"), std::string("kent")));
  CHECK(ask({"1.0", "7", "other", "10.0.0.1", "", "CURVE", kent_key}).first == "400");
  CHECK(ask({"1.0", "7", domain, "10.0.0.1", "", "PLAIN", "user", "pass"}).first == "400");
  CHECK(ask({"1.0", "7", domain, "10.0.0.1", "", "PLAIN", kent_key}).first == "400");
  CHECK(ask({"1.0", "7", domain, "10.0.0.1", "", "CURVE", kent_key.substr(1)}).first == "400");
  CHECK(ask({"2.0", "7", domain, "10.0.0.1", "", "CURVE", kent_key}).first == "400");
  CHECK(ask({"1.0", "7"}).first == "400");
  std::vector<std::string> reasons;
  for (const auto& d : f.decisions) reasons.push_back(d.admitted ? "ok" : d.reason);
  CHECK(reasons == std::vector<std::string>{"ok", "wrong_domain", "malformed", "wrong_mechanism",
                                            "wrong_mechanism", "malformed", "malformed"});
}

TEST_CASE("transport: a second ZAP handler in the same context is refused") {
  TransportFixture f;
  transport::ZapHandler zap(f.context, f.trust);
  CHECK_THROWS_AS(transport::ZapHandler(f.context, f.trust), transport::TransportError);
}

TEST_CASE("transport: binding an endpoint in use fails with its name") {
  TransportFixture f;
  transport::ZapHandler zap(f.context, f.trust);
  Index first(f.context, f.index);
  try {
    transport::IndexServer second(f.context, curve_keys(f.index), first.server.endpoint(),
                                  test_limits());
    FAIL("second bind succeeded");
  } catch (const transport::TransportError& e) {
    CHECK_THAT(e.what(), Catch::Contains(first.server.endpoint()));
  }
}
