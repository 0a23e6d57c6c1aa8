// The index's ZAP handler (see zap.hpp and ZeroMQ RFC 27).
#include "transport/zap.hpp"

#include <algorithm>
#include <array>

#include "transport/limits.hpp"

namespace aegis::transport {
namespace {

constexpr std::string_view kZapVersion = "1.0";

std::string_view text(const zmq::message_t& m) {
  return {static_cast<const char*>(m.data()), m.size()};
}

// Reads all the frames of one message (non-blocking); empty when nothing is waiting.
std::vector<zmq::message_t> receive_frames(zmq::socket_t& s) {
  std::vector<zmq::message_t> frames;
  for (;;) {
    zmq::message_t m;
    if (!s.recv(m, zmq::recv_flags::dontwait)) return frames;
    const bool more = m.more();
    frames.push_back(std::move(m));
    if (!more) return frames;
  }
}

}  // namespace

std::optional<std::string> admitted_authority(const protocol::Trust& trust,
                                              const protocol::CurvePublicKey& client_key,
                                              std::uint64_t now_ms) {
  for (const protocol::Certificate* c : trust.active(protocol::Role::authority, now_ms))
    if (c->curve_key == client_key) return c->subject_id;
  return std::nullopt;
}

ZapHandler::ZapHandler(zmq::context_t& context, std::shared_ptr<const protocol::Trust> trust)
    : socket_(context, zmq::socket_type::rep), trust_(std::move(trust)) {
  try {
    socket_.set(zmq::sockopt::linger, 0);
    socket_.bind(std::string(kZapEndpoint));
  } catch (const zmq::error_t& e) {
    throw TransportError("ZAP handler: bind " + std::string(kZapEndpoint) + ": " + e.what());
  }
}

std::vector<ZapDecision> ZapHandler::handle_pending(std::uint64_t now_ms) {
  std::vector<ZapDecision> decisions;
  for (;;) {
    std::vector<zmq::message_t> f = receive_frames(socket_);
    if (f.empty()) return decisions;
    // Request: version, request_id, domain, address, routing_id, mechanism, credentials...
    ZapDecision d;
    std::string request_id;
    if (f.size() >= 2) request_id = std::string(text(f[1]));
    if (f.size() >= 4) d.address = std::string(text(f[3]));
    if (f.size() != 7 || text(f[0]) != kZapVersion) {
      d.reason = "malformed";
    } else if (text(f[2]) != kZapDomain) {
      d.reason = "wrong_domain";
    } else if (text(f[5]) != "CURVE" || f[6].size() != protocol::kCurvePublicKeySize) {
      d.reason = "wrong_mechanism";
    } else {
      protocol::CurvePublicKey key{};
      std::copy_n(static_cast<const std::uint8_t*>(f[6].data()), key.size(), key.begin());
      if (std::optional<std::string> id = admitted_authority(*trust_, key, now_ms)) {
        d.admitted = true;
        d.authority_id = std::move(*id);
      } else {
        d.reason = "unknown_key";
      }
    }
    // Reply: version, request_id, status_code, status_text, user_id, metadata.
    const std::array<std::string, 6> reply = {std::string(kZapVersion),
                                              request_id,
                                              d.admitted ? "200" : "400",
                                              d.admitted ? "OK" : d.reason,
                                              d.admitted ? d.authority_id : "",
                                              ""};
    for (std::size_t i = 0; i < reply.size(); ++i)
      (void)socket_.send(zmq::buffer(reply[i]),
                         i + 1 < reply.size() ? zmq::send_flags::sndmore : zmq::send_flags::none);
    decisions.push_back(std::move(d));
  }
}

}  // namespace aegis::transport
