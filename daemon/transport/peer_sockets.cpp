// The sync sockets of the index and of an authority (see peer_sockets.hpp).
#include "transport/peer_sockets.hpp"

#include <zmq.h>

#include "transport/zap.hpp"

// ZMQ_ZAP_ENFORCE_DOMAIN is in libzmq's draft section of zmq.h (4.3.x) but the library accepts
// the option without the draft API; its value is fixed at 93.
#ifndef ZMQ_ZAP_ENFORCE_DOMAIN
#define ZMQ_ZAP_ENFORCE_DOMAIN 93
#endif

namespace aegis::transport {
namespace {

void set_int(zmq::socket_t& s, int option, int value, const std::string& what) {
  if (zmq_setsockopt(s.handle(), option, &value, sizeof value) != 0)
    throw TransportError(what + ": " + zmq_strerror(zmq_errno()));
  int check = 0;
  std::size_t len = sizeof check;
  if (zmq_getsockopt(s.handle(), option, &check, &len) != 0 || check != value)
    throw TransportError(what + ": not supported by this libzmq");
}

// Reads one whole message: [routing id,] payload. Anything after the payload frame is drained.
std::optional<Incoming> receive_message(zmq::socket_t& s, bool with_routing_id) {
  zmq::message_t first;
  if (!s.recv(first, zmq::recv_flags::dontwait)) return std::nullopt;
  Incoming in;
  zmq::message_t payload;
  if (with_routing_id) {
    in.routing_id.assign(static_cast<const char*>(first.data()), first.size());
    if (!first.more()) {  // a ROUTER always delivers at least two frames
      in.single_frame = false;
      return in;
    }
    (void)s.recv(payload);  // the rest of a message is there once its first frame is
  } else {
    payload = std::move(first);
  }
  // The authenticated identity of the connection (ZAP User-Id), never what the payload claims.
  // (zmq_msg_gets directly: cppzmq's gets() throws when the property is absent.)
  if (const char* user = zmq_msg_gets(payload.handle(), "User-Id")) in.authority_id = user;
  in.payload.assign(static_cast<const std::uint8_t*>(payload.data()),
                    static_cast<const std::uint8_t*>(payload.data()) + payload.size());
  while (payload.more()) {  // more than one frame: drain and flag
    in.single_frame = false;
    (void)s.recv(payload);
  }
  if (!in.single_frame) in.payload.clear();
  return in;
}

SendResult result_of(const zmq::error_t& e) {
  return e.num() == EHOSTUNREACH ? SendResult::unreachable : SendResult::would_block;
}

}  // namespace

IndexServer::IndexServer(zmq::context_t& context, const CurveKeys& keys,
                         const std::string& endpoint, const Limits& limits)
    : socket_(context, zmq::socket_type::router), monitor_(context, socket_) {
  const std::string what = "index socket " + endpoint;
  apply_limits(socket_, limits, what);
  try {
    socket_.set(zmq::sockopt::curve_server, true);
    socket_.set(zmq::sockopt::curve_secretkey, keys.secret_z85());
    socket_.set(zmq::sockopt::zap_domain, std::string(kZapDomain));
    set_int(socket_, ZMQ_ZAP_ENFORCE_DOMAIN, 1, what + ": ZMQ_ZAP_ENFORCE_DOMAIN");
    socket_.set(zmq::sockopt::router_mandatory, true);
    socket_.bind(endpoint);
  } catch (const zmq::error_t& e) {
    throw TransportError(what + ": " + e.what());
  }
}

std::optional<Incoming> IndexServer::receive() { return receive_message(socket_, true); }

SendResult IndexServer::send(const std::string& routing_id, protocol::ByteView payload) {
  try {
    if (!socket_.send(zmq::buffer(routing_id),
                      zmq::send_flags::sndmore | zmq::send_flags::dontwait))
      return SendResult::would_block;
    (void)socket_.send(zmq::const_buffer(payload.data(), payload.size()), zmq::send_flags::none);
    return SendResult::sent;
  } catch (const zmq::error_t& e) {
    return result_of(e);
  }
}

AuthorityClient::AuthorityClient(zmq::context_t& context, const CurveKeys& keys,
                                 const protocol::CurvePublicKey& server_key,
                                 const std::string& endpoint, const Limits& limits)
    : socket_(context, zmq::socket_type::dealer), monitor_(context, socket_) {
  const std::string what = "authority socket " + endpoint;
  apply_limits(socket_, limits, what);
  try {
    socket_.set(zmq::sockopt::curve_serverkey,
                zmq::const_buffer(server_key.data(), server_key.size()));
    socket_.set(zmq::sockopt::curve_publickey,
                zmq::const_buffer(keys.public_key().data(), keys.public_key().size()));
    socket_.set(zmq::sockopt::curve_secretkey, keys.secret_z85());
    socket_.set(zmq::sockopt::immediate, true);
    socket_.connect(endpoint);
  } catch (const zmq::error_t& e) {
    throw TransportError(what + ": " + e.what());
  }
}

std::optional<Incoming> AuthorityClient::receive() { return receive_message(socket_, false); }

SendResult AuthorityClient::send(protocol::ByteView payload) {
  try {
    if (!socket_.send(zmq::const_buffer(payload.data(), payload.size()), zmq::send_flags::dontwait))
      return SendResult::would_block;
    return SendResult::sent;
  } catch (const zmq::error_t& e) {
    return result_of(e);
  }
}

}  // namespace aegis::transport
