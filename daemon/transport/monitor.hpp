// Connection events of one socket (zmq_socket_monitor), for logs and `aegis status`: when a
// peer connects (handshake done), is refused (authentication failed), or disconnects. Polled in
// the daemon's loop like any socket.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include <zmq.hpp>

namespace aegis::transport {

enum class EventKind {
  handshake_succeeded,  // CURVE (+ ZAP) done: messages can flow
  handshake_failed,     // authentication refused (ZAP 400, wrong server key) or protocol error
  disconnected,         // an established connection went away (peer gone, heartbeat timeout,
                        // message over ZMQ_MAXMSGSIZE)
  other,
};

struct Event {
  EventKind kind = EventKind::other;
  std::uint16_t code = 0;  // the ZMQ_EVENT_* value
  std::uint32_t value = 0; // per event: the ZAP status code (auth), the ZMTP error, an errno
  std::string endpoint;    // the peer's or the bound endpoint
  // handshake_failed: "auth" (refused by the peer's ZAP handler or the wrong server key),
  // "protocol" (a ZMTP or CURVE protocol error), "other"; empty for other events.
  std::string_view failure() const noexcept;
};

std::string_view event_name(EventKind kind) noexcept;

class Monitor {
 public:
  // Starts monitoring `target` (connection events only) on a fresh inproc endpoint. Destroy the
  // Monitor BEFORE `target`: libzmq emits events from its I/O thread with a blocking send, so a
  // monitor whose reading end is closed while still attached would stall that thread (and with
  // it every socket of the context). The destructor detaches first, then closes.
  Monitor(zmq::context_t& context, zmq::socket_t& target);
  ~Monitor();
  Monitor(const Monitor&) = delete;
  Monitor& operator=(const Monitor&) = delete;

  zmq::socket_t& socket() { return socket_; }
  // One waiting event, or nullopt.
  std::optional<Event> receive();
  // Waits up to timeout_ms for an event of `kind` (tests and tools); other events are skipped.
  std::optional<Event> wait_for(EventKind kind, int timeout_ms);

 private:
  void* target_;
  zmq::socket_t socket_;
};

}  // namespace aegis::transport
