// Socket connection events (see monitor.hpp).
#include "transport/monitor.hpp"

#include <atomic>
#include <chrono>
#include <cstring>

#include <zmq.h>

#include "transport/limits.hpp"

namespace aegis::transport {
namespace {

constexpr int kWatched = ZMQ_EVENT_HANDSHAKE_SUCCEEDED | ZMQ_EVENT_HANDSHAKE_FAILED_AUTH |
                         ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL |
                         ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL | ZMQ_EVENT_DISCONNECTED;

EventKind kind_of(std::uint16_t code) {
  switch (code) {
    case ZMQ_EVENT_HANDSHAKE_SUCCEEDED: return EventKind::handshake_succeeded;
    case ZMQ_EVENT_HANDSHAKE_FAILED_AUTH:
    case ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL:
    case ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL: return EventKind::handshake_failed;
    case ZMQ_EVENT_DISCONNECTED: return EventKind::disconnected;
    default: return EventKind::other;
  }
}

}  // namespace

std::string_view event_name(EventKind kind) noexcept {
  switch (kind) {
    case EventKind::handshake_succeeded: return "handshake_succeeded";
    case EventKind::handshake_failed: return "handshake_failed";
    case EventKind::disconnected: return "disconnected";
    case EventKind::other: break;
  }
  return "other";
}

std::string_view Event::failure() const noexcept {
  if (kind != EventKind::handshake_failed) return {};
  switch (code) {
    case ZMQ_EVENT_HANDSHAKE_FAILED_AUTH: return "auth";
    case ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL: return "protocol";
    default: return "other";
  }
}

Monitor::Monitor(zmq::context_t& context, zmq::socket_t& target)
    : target_(target.handle()), socket_(context, zmq::socket_type::pair) {
  static std::atomic<unsigned> counter{0};
  const std::string endpoint = "inproc://aegis-monitor-" + std::to_string(counter++);
  if (zmq_socket_monitor(target.handle(), endpoint.c_str(), kWatched) != 0)
    throw TransportError("monitor " + endpoint + ": " + zmq_strerror(zmq_errno()));
  try {
    socket_.set(zmq::sockopt::linger, 0);
    socket_.connect(endpoint);
  } catch (const zmq::error_t& e) {
    throw TransportError("monitor " + endpoint + ": " + e.what());
  }
}

Monitor::~Monitor() { zmq_socket_monitor(target_, nullptr, 0); }

std::optional<Event> Monitor::receive() {
  zmq::message_t head;
  if (!socket_.recv(head, zmq::recv_flags::dontwait)) return std::nullopt;
  Event ev;
  if (head.size() >= 6) {
    std::memcpy(&ev.code, head.data(), sizeof ev.code);
    std::memcpy(&ev.value, static_cast<const char*>(head.data()) + 2, sizeof ev.value);
  }
  ev.kind = kind_of(ev.code);
  while (head.more()) {  // the second frame is the endpoint
    zmq::message_t part;
    (void)socket_.recv(part);
    ev.endpoint.assign(static_cast<const char*>(part.data()), part.size());
    head = std::move(part);
  }
  return ev;
}

std::optional<Event> Monitor::wait_for(EventKind kind, int timeout_ms) {
  using Clock = std::chrono::steady_clock;
  const auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
  for (;;) {
    while (std::optional<Event> ev = receive())
      if (ev->kind == kind) return ev;
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) return std::nullopt;
    zmq::pollitem_t item{socket_.handle(), 0, ZMQ_POLLIN, 0};
    zmq::poll(&item, 1, left);
  }
}

}  // namespace aegis::transport
