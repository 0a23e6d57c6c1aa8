// What aegisd's event loop needs from a role (authority_node.hpp, index_node.hpp): the sockets
// and file descriptors to watch, periodic work, status, trust reloads and a clean stop. The loop
// (main.cpp) owns the signals and the admin socket; a role owns its sync sockets and store.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include <nlohmann/json.hpp>

#include "aegis/protocol/trust_bundle.hpp"
#include "admin.hpp"

namespace aegis::daemon {

// The longest a socket handler keeps the event loop before returning to it (a steady stream of
// messages would otherwise starve the admin socket, ZAP handshakes and ticks); the socket is
// still readable, so the loop comes straight back to it.
inline constexpr std::uint64_t kMaxTurnMs = 200;

// One thing to poll: a ZeroMQ socket (socket != nullptr) or a file descriptor.
struct Watch {
  void* socket = nullptr;
  int fd = -1;
  std::function<void()> on_readable;
};

class Role {
 public:
  virtual ~Role() = default;
  // The sockets to poll now (a role may replace its sockets between polls).
  virtual void watches(std::vector<Watch>& out) = 0;
  // Periodic work (timeouts, outbox tail...); returns how many ms until it wants to run again.
  virtual int tick(std::uint64_t now_ms) = 0;
  // The role's part of `aegis status`.
  virtual nlohmann::ordered_json status(std::uint64_t now_ms) = 0;
  // What the metrics are made of (daemon/aegisd/metrics.hpp): the status, plus for a role
  // anything too costly to count on every `aegis status`.
  virtual nlohmann::ordered_json metrics_status(std::uint64_t now_ms) { return status(now_ms); }
  // A verified trust bundle replaced the previous one (SIGHUP).
  virtual void trust_changed(std::shared_ptr<const protocol::Trust> trust,
                             std::uint64_t now_ms) = 0;
  // The node's identity (the object the role was given) now holds new keys, certified by
  // `serial` (a key rotation on SIGHUP; authority only): sign with them, reconnect with them.
  virtual void identity_changed(std::uint64_t /*serial*/, std::uint64_t /*now_ms*/) {}
  // Look for new work now (admin "nudge"): the authority reads its outbox tail.
  virtual void nudge(std::uint64_t /*now_ms*/) {}
  // Registers the role's own admin commands (the index: review and resolution).
  virtual void add_admin(Admin& /*admin*/) {}
  // Stop accepting work, flush what is in hand, close the sockets (SIGTERM).
  virtual void stop(std::uint64_t now_ms) = 0;
};

}  // namespace aegis::daemon
