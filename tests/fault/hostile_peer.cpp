// aegis_hostile_peer: a test tool that talks to a running index the way a hostile or broken
// authority would (tests/integration/test_hostile_*.py, docs/RELIABILITY.md §4). It connects
// over the real transport (CURVE, ZAP) as the authority of a config file, or with fresh keys no
// bundle certifies, and sends whatever bytes it is given; it prints what comes back, one JSON
// object per line. Not installed; never part of the product.
//
//   aegis_hostile_peer --config AUTH.toml session [--reply-ms N]
//       stdin, one command per line:
//         send HEX           one frame; waits for one reply (or {"type":"none"} after N ms)
//         multi HEX HEX...   one message of several frames; waits for one reply
//         burst HEX HEX...   each HEX its own message, all sent at once (the index takes them
//                            in one group); then one reply per message
//         oversized BYTES    one frame of BYTES zero bytes; waits for the connection to drop
//         reconnect          a new connection (new keys' session; waits for the handshake)
//   aegis_hostile_peer --config AUTH.toml unknown-keys COUNT
//       COUNT connections, each with a fresh identity no certificate names; prints
//       {"refused":R,"admitted":A,"undecided":U}.
#include <chrono>
#include <cstdint>
#include <iostream>
#include <memory>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <zmq.hpp>

#include "aegis/protocol/sync.hpp"
#include "config/config.hpp"
#include "node/node.hpp"
#include "transport/monitor.hpp"
#include "transport/peer_sockets.hpp"

namespace {

using namespace aegis;
using nlohmann::json;

constexpr int kHandshakeMs = 30000;

std::uint64_t now_ms() {
  return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                        std::chrono::system_clock::now().time_since_epoch())
                                        .count());
}

protocol::Bytes from_hex(const std::string& hex) {
  if (hex.size() % 2 != 0) throw std::runtime_error("odd hex length");
  protocol::Bytes out(hex.size() / 2);
  for (std::size_t i = 0; i < out.size(); ++i)
    out[i] = static_cast<std::uint8_t>(std::stoul(hex.substr(2 * i, 2), nullptr, 16));
  return out;
}

std::string to_hex(protocol::ByteView bytes) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  for (std::uint8_t b : bytes) {
    out += digits[b >> 4];
    out += digits[b & 15];
  }
  return out;
}

// What the index sent, as one JSON line (an undecodable one with its bytes).
json describe(const transport::Incoming& in) {
  if (!in.single_frame) return {{"type", "multi_frame"}};
  auto m = protocol::decode_message(in.payload);
  if (!m) return {{"type", "undecodable"}, {"error", m.error().message()}, {"hex", to_hex(in.payload)}};
  json out = {{"type", std::string(protocol::message_name(*m))}};
  if (const auto* w = std::get_if<protocol::Welcome>(&*m)) {
    out["applied_seq"] = w->applied_seq;
  } else if (const auto* a = std::get_if<protocol::Ack>(&*m)) {
    out["applied_seq"] = a->applied_seq;
  } else if (const auto* r = std::get_if<protocol::Reject>(&*m)) {
    out["seq"] = r->seq;
    out["code"] = r->code;
    out["detail"] = r->detail;
  } else if (const auto* f = std::get_if<protocol::Refused>(&*m)) {
    out["code"] = f->code;
    out["detail"] = f->detail;
  } else if (const auto* b = std::get_if<protocol::FeedBatch>(&*m)) {
    out["items"] = b->items.size();
  }
  return out;
}

struct Peer {
  config::Config config;
  node::Node node;
  protocol::CurvePublicKey index_key{};
  std::string endpoint;
};

Peer load_peer(const std::string& path) {
  auto c = config::load_config(path);
  if (!c) throw std::runtime_error(c.error().message);
  if (!c->sync) throw std::runtime_error(path + ": no [sync] table");
  auto n = node::load_node(*c, now_ms());
  if (!n) throw std::runtime_error(n.error().message);
  const protocol::Certificate* cert =
      n->trust.active_subject(c->sync->index_id, protocol::Role::index, now_ms());
  if (!cert) throw std::runtime_error("no active index certificate in the trust bundle");
  Peer p{std::move(*c), std::move(*n), cert->curve_key, ""};
  p.endpoint = p.config.sync->index_endpoint;
  return p;
}

transport::Limits tool_limits() {
  transport::Limits l;
  l.max_message_size = static_cast<std::int64_t>(protocol::kMaxMessageSize) * 4;  // to send big
  l.reconnect_ivl_ms = 100;
  l.reconnect_ivl_max_ms = 1000;
  return l;
}

// One connection of `identity` to the index, with its monitor.
struct Connection {
  std::unique_ptr<transport::AuthorityClient> client;
  Connection(zmq::context_t& context, const keys::Identity& identity, const Peer& peer) {
    const transport::CurveKeys keys(identity.curve_public_key(), identity.curve_secret_z85());
    client = std::make_unique<transport::AuthorityClient>(context, keys, peer.index_key,
                                                          peer.endpoint, tool_limits());
  }
  // "succeeded", "failed", or "undecided" (nothing within timeout_ms).
  std::string handshake(int timeout_ms) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    while (std::chrono::steady_clock::now() < deadline) {
      while (auto ev = client->monitor().receive()) {
        if (ev->kind == transport::EventKind::handshake_succeeded) return "succeeded";
        if (ev->kind == transport::EventKind::handshake_failed) return "failed";
      }
      zmq::pollitem_t item{client->monitor().socket().handle(), 0, ZMQ_POLLIN, 0};
      zmq::poll(&item, 1, std::chrono::milliseconds(50));
    }
    return "undecided";
  }
  // The next reply to what was sent: the feed (FeedBatch) and liveness (Ping) the index sends
  // on its own are skipped.
  std::optional<transport::Incoming> reply(int timeout_ms) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    while (true) {
      if (auto in = client->receive()) {
        auto m = protocol::decode_message(in->payload);
        const bool unsolicited = in->single_frame && m &&
                                 (std::holds_alternative<protocol::FeedBatch>(*m) ||
                                  std::holds_alternative<protocol::Ping>(*m));
        if (!unsolicited) return in;
        continue;
      }
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return std::nullopt;
      zmq::pollitem_t item{client->socket().handle(), 0, ZMQ_POLLIN, 0};
      zmq::poll(&item, 1, std::chrono::milliseconds(std::min<long>(left.count(), 100)));
    }
  }
  // Waits for the index to drop this connection.
  bool dropped(int timeout_ms) {
    return client->monitor().wait_for(transport::EventKind::disconnected, timeout_ms).has_value();
  }
};

void print(const json& j) { std::cout << j.dump() << std::endl; }

int session(const Peer& peer, int reply_ms) {
  zmq::context_t context;
  auto conn = std::make_unique<Connection>(context, peer.node.identity, peer);
  const std::string hs = conn->handshake(kHandshakeMs);
  print({{"type", "handshake"}, {"result", hs}});
  if (hs != "succeeded") return 2;
  std::string line;
  while (std::getline(std::cin, line)) {
    std::istringstream words(line);
    std::string cmd;
    words >> cmd;
    if (cmd.empty()) continue;
    if (cmd == "send" || cmd == "multi") {
      std::vector<protocol::Bytes> frames;
      std::string hex;
      while (words >> hex) frames.push_back(from_hex(hex == "-" ? "" : hex));
      if (frames.empty()) frames.emplace_back();
      if (cmd == "send" && frames.size() != 1) throw std::runtime_error("send takes one frame");
      for (std::size_t i = 0; i < frames.size(); ++i) {
        const auto flags = i + 1 < frames.size() ? zmq::send_flags::sndmore : zmq::send_flags::none;
        zmq::message_t msg(frames[i].data(), frames[i].size());
        if (!conn->client->socket().send(msg, flags)) throw std::runtime_error("send would block");
      }
      auto in = conn->reply(reply_ms);
      print(in ? describe(*in) : json{{"type", "none"}});
    } else if (cmd == "burst") {
      std::size_t sent = 0;
      std::string hex;
      while (words >> hex) {
        const protocol::Bytes frame = from_hex(hex == "-" ? "" : hex);
        if (conn->client->send(frame) != transport::SendResult::sent)
          throw std::runtime_error("burst: send would block");
        ++sent;
      }
      for (std::size_t i = 0; i < sent; ++i) {
        auto in = conn->reply(reply_ms);
        print(in ? describe(*in) : json{{"type", "none"}});
      }
    } else if (cmd == "oversized") {
      std::size_t size = 0;
      words >> size;
      const protocol::Bytes big(size, 0);
      if (conn->client->send(big) != transport::SendResult::sent)
        throw std::runtime_error("oversized: send would block");
      print({{"type", conn->dropped(kHandshakeMs) ? "disconnected" : "none"}});
    } else if (cmd == "reconnect") {
      conn.reset();
      conn = std::make_unique<Connection>(context, peer.node.identity, peer);
      print({{"type", "handshake"}, {"result", conn->handshake(kHandshakeMs)}});
    } else {
      throw std::runtime_error("unknown command: " + cmd);
    }
  }
  return 0;
}

int unknown_keys(const Peer& peer, int count) {
  zmq::context_t context;
  int refused = 0, admitted = 0, undecided = 0;
  for (int i = 0; i < count; ++i) {
    auto stranger = keys::Identity::generate(peer.node.identity.subject_id(),
                                             peer.node.identity.role());
    if (!stranger) throw std::runtime_error(stranger.error().message());
    Connection conn(context, *stranger, peer);
    const std::string hs = conn.handshake(kHandshakeMs);
    if (hs == "failed") ++refused;
    else if (hs == "succeeded") ++admitted;
    else ++undecided;
  }
  print({{"refused", refused}, {"admitted", admitted}, {"undecided", undecided}});
  return admitted == 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    std::vector<std::string> args(argv + 1, argv + argc);
    if (args.size() < 3 || args[0] != "--config")
      throw std::runtime_error("usage: aegis_hostile_peer --config FILE session [--reply-ms N] | "
                               "unknown-keys COUNT");
    const Peer peer = load_peer(args[1]);
    if (args[2] == "session") {
      int reply_ms = 5000;
      if (args.size() == 5 && args[3] == "--reply-ms") reply_ms = std::stoi(args[4]);
      return session(peer, reply_ms);
    }
    if (args[2] == "unknown-keys" && args.size() == 4) return unknown_keys(peer, std::stoi(args[3]));
    throw std::runtime_error("unknown mode: " + args[2]);
  } catch (const std::exception& e) {
    std::cerr << "aegis_hostile_peer: " << e.what() << "\n";
    return 3;
  }
}
