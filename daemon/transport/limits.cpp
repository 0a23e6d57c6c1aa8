// Socket limits and small socket helpers (see limits.hpp).
#include "transport/limits.hpp"

namespace aegis::transport {

void apply_limits(zmq::socket_t& socket, const Limits& limits, const std::string& what) {
  try {
    socket.set(zmq::sockopt::maxmsgsize, limits.max_message_size + kCurveMessageOverhead);
    socket.set(zmq::sockopt::sndhwm, limits.send_hwm);
    socket.set(zmq::sockopt::rcvhwm, limits.recv_hwm);
    socket.set(zmq::sockopt::linger, limits.linger_ms);
    socket.set(zmq::sockopt::heartbeat_ivl, limits.heartbeat_ivl_ms);
    socket.set(zmq::sockopt::heartbeat_timeout, limits.heartbeat_timeout_ms);
    socket.set(zmq::sockopt::heartbeat_ttl, limits.heartbeat_ttl_ms);
    socket.set(zmq::sockopt::reconnect_ivl, limits.reconnect_ivl_ms);
    socket.set(zmq::sockopt::reconnect_ivl_max, limits.reconnect_ivl_max_ms);
    socket.set(zmq::sockopt::handshake_ivl, limits.handshake_ivl_ms);
  } catch (const zmq::error_t& e) {
    throw TransportError(what + ": setting socket limits: " + e.what());
  }
}

std::string last_endpoint(zmq::socket_t& socket) { return socket.get(zmq::sockopt::last_endpoint); }

}  // namespace aegis::transport
