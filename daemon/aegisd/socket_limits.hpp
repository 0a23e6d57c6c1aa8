// The transport limits of a node, from its config ([limits] and [sync], docs/config.md).
#pragma once

#include <algorithm>

#include "config/config.hpp"
#include "transport/limits.hpp"

namespace aegis::daemon {

inline transport::Limits transport_limits(const config::Config& c) {
  transport::Limits l;
  l.max_message_size = static_cast<std::int64_t>(c.limits.max_message_size);
  l.send_hwm = c.limits.send_hwm;
  l.recv_hwm = c.limits.recv_hwm;
  l.linger_ms = c.limits.linger_ms;
  l.handshake_ivl_ms = c.limits.handshake_ms;
  if (c.sync) {
    const int heartbeat = static_cast<int>(c.sync->heartbeat_ms);
    l.heartbeat_ivl_ms = heartbeat;
    l.heartbeat_timeout_ms = 3 * heartbeat;  // three missed heartbeats: the peer is dead
    l.heartbeat_ttl_ms = 3 * heartbeat;
    l.reconnect_ivl_max_ms = static_cast<int>(c.sync->reconnect_max_ms);
    l.reconnect_ivl_ms = std::min(100, l.reconnect_ivl_max_ms);
  }
  return l;
}

}  // namespace aegis::daemon
