// The ZAP handler of the index (ZeroMQ RFC 27/ZAP): libzmq asks it, for every CURVE handshake on
// the index ROUTER, whether the client's 32-byte long-term public key may connect. It admits a
// key only if it is the curve_key of an ACTIVE (unrevoked, valid now) authority certificate in
// the current trust bundle, and names that authority as the connection's User-Id; everything
// else is refused (400). It runs in the daemon's own poll loop (no thread), and the ROUTER sets
// ZMQ_ZAP_ENFORCE_DOMAIN, so no handler means no connection: the index fails closed.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <zmq.hpp>

#include "aegis/protocol/bytes.hpp"
#include "aegis/protocol/trust_bundle.hpp"

namespace aegis::transport {

inline constexpr std::string_view kZapEndpoint = "inproc://zeromq.zap.01";  // fixed by RFC 27
inline constexpr std::string_view kZapDomain = "aegis-sync";

// The authority whose active certificate carries `client_key`, or nullopt (pure decision).
std::optional<std::string> admitted_authority(const protocol::Trust& trust,
                                              const protocol::CurvePublicKey& client_key,
                                              std::uint64_t now_ms);

// What the handler decided for one handshake (for the log: ids and codes only).
struct ZapDecision {
  bool admitted = false;
  std::string authority_id;  // when admitted
  std::string reason;        // when refused: unknown_key, wrong_domain, wrong_mechanism, malformed
  std::string address;       // the client's IP address as libzmq reports it
};

class ZapHandler {
 public:
  // Binds kZapEndpoint in `context` (one handler per context); throws TransportError if another
  // handler is already bound there.
  ZapHandler(zmq::context_t& context, std::shared_ptr<const protocol::Trust> trust);

  // The trust every later handshake is judged by (SIGHUP reload).
  void set_trust(std::shared_ptr<const protocol::Trust> trust) { trust_ = std::move(trust); }
  const protocol::Trust& trust() const { return *trust_; }

  // For zmq::poll: readable when a request waits.
  zmq::socket_t& socket() { return socket_; }
  // Answers every waiting request without blocking; returns what was decided.
  std::vector<ZapDecision> handle_pending(std::uint64_t now_ms);

 private:
  zmq::socket_t socket_;
  std::shared_ptr<const protocol::Trust> trust_;
};

}  // namespace aegis::transport
