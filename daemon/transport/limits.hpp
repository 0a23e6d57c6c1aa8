// Limits set on every ZeroMQ socket (docs/aegisd.md, "Sockets"): everything a peer could push
// (message size, queue depth, silent peers, slow handshakes) is bounded. One struct, applied by
// one function, so no socket is ever created without them.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>

#include <zmq.hpp>

#include "aegis/protocol/sync.hpp"

namespace aegis::transport {

// A socket could not be set up (bind, connect, option). Thrown at setup only: the daemon's main
// turns it into a log line and an exit code. Runtime sends and receives never throw.
class TransportError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// With CURVE, libzmq checks ZMQ_MAXMSGSIZE against the encrypted ZMTP frame: a MESSAGE command
// is the payload plus 33 bytes ("\x07MESSAGE", an 8-byte nonce, a 16-byte MAC, a flags byte).
// apply_limits adds them, so the limit a peer meets is exactly Limits::max_message_size bytes of
// payload.
inline constexpr std::int64_t kCurveMessageOverhead = 33;

struct Limits {
  // The largest payload (one protocol message) accepted; anything larger drops the connection.
  std::int64_t max_message_size = static_cast<std::int64_t>(protocol::kMaxMessageSize);
  int send_hwm = 1000;              // messages queued per peer before sends fail (EAGAIN)
  int recv_hwm = 1000;              // messages queued per peer before the peer is throttled
  int linger_ms = 1000;             // how long close waits to flush unsent messages
  int heartbeat_ivl_ms = 5000;      // ZMTP PING interval
  int heartbeat_timeout_ms = 15000; // no traffic for this long after a PING: connection dropped
  int heartbeat_ttl_ms = 15000;     // asks the peer to drop us after this much silence
  int reconnect_ivl_ms = 100;       // first reconnect delay...
  int reconnect_ivl_max_ms = 30000; // ...doubling up to this (exponential backoff)
  int handshake_ivl_ms = 10000;     // a connection must finish its handshake within this
};

// Sets every limit of `limits` on a CURVE `socket`; throws TransportError naming `what`.
void apply_limits(zmq::socket_t& socket, const Limits& limits, const std::string& what);

// ZMQ_LAST_ENDPOINT of a bound socket ("tcp://127.0.0.1:41237"), for tests that bind port 0.
std::string last_endpoint(zmq::socket_t& socket);

}  // namespace aegis::transport
