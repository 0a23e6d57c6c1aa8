// The two ends of the sync connection (docs/sync.md): the index's ROUTER, a CURVE server whose
// handshakes go through the ZAP handler, and the authority's DEALER, a CURVE client pinned to
// the index's certified curve key. One ZeroMQ message = one frame = one protocol::Message.
// Sends and receives never block and never throw: the daemon polls socket() and retries.
#pragma once

#include <optional>
#include <string>

#include <zmq.hpp>

#include "aegis/protocol/bytes.hpp"
#include "transport/curve.hpp"
#include "transport/limits.hpp"
#include "transport/monitor.hpp"

namespace aegis::transport {

// A message received by the index from one connected authority.
struct Incoming {
  std::string routing_id;    // which connection (opaque; for replying)
  std::string authority_id;  // the ZAP User-Id of the connection: who sent it, authenticated
  protocol::Bytes payload;   // the one frame
  bool single_frame = true;  // false: the peer sent several frames (a protocol error)
};

enum class SendResult {
  sent,
  would_block,   // the peer's queue is full (HWM) or no connection is ready: try later
  unreachable,   // the index: no such connection any more
};

class IndexServer {
 public:
  // ROUTER, CURVE server with `keys`, ZAP domain + ZMQ_ZAP_ENFORCE_DOMAIN, ROUTER_MANDATORY,
  // the limits; bound to `endpoint`. Create the ZapHandler in the same context first.
  IndexServer(zmq::context_t& context, const CurveKeys& keys, const std::string& endpoint,
              const Limits& limits);

  zmq::socket_t& socket() { return socket_; }
  Monitor& monitor() { return monitor_; }
  std::string endpoint() { return last_endpoint(socket_); }

  // One waiting message, or nullopt.
  std::optional<Incoming> receive();
  SendResult send(const std::string& routing_id, protocol::ByteView payload);

 private:
  zmq::socket_t socket_;
  Monitor monitor_;  // after socket_: detached before the socket closes
};

class AuthorityClient {
 public:
  // DEALER, CURVE client with `keys`, trusting only `server_key`; ZMQ_IMMEDIATE (nothing is
  // queued for a connection that is not up); the limits; connects to `endpoint` (libzmq
  // reconnects by itself, backing off from reconnect_ivl to reconnect_ivl_max).
  AuthorityClient(zmq::context_t& context, const CurveKeys& keys,
                  const protocol::CurvePublicKey& server_key, const std::string& endpoint,
                  const Limits& limits);

  zmq::socket_t& socket() { return socket_; }
  Monitor& monitor() { return monitor_; }

  // One waiting message (nullopt if none); a multi-frame message is dropped whole and returned
  // as an empty payload with single_frame = false.
  std::optional<Incoming> receive();
  SendResult send(protocol::ByteView payload);

 private:
  zmq::socket_t socket_;
  Monitor monitor_;  // after socket_: detached before the socket closes
};

}  // namespace aegis::transport
