// The local admin socket (docs/aegisd.md, "Admin socket"): an ipc:// ROUTER through which the
// `aegis` CLI talks to its own daemon (one JSON request, one JSON reply). No CURVE: access is
// the file system's. The socket file is created under umask 077 and chmod 0600 after bind, in
// a directory of mode 0700 (created so if missing; refused if group or others have any access).
#pragma once

#include <filesystem>
#include <optional>
#include <string>

#include <zmq.hpp>

namespace aegis::transport {

inline constexpr std::size_t kMaxAdminMessageSize = 64u << 10;
// The longest socket path a Unix socket address holds (sun_path, minus the terminator).
inline constexpr std::size_t kMaxAdminPathLength = 107;

struct AdminRequest {
  std::string routing_id;
  std::string text;
};

class AdminServer {
 public:
  // Binds ipc://`path` as described above; throws TransportError naming the path.
  AdminServer(zmq::context_t& context, const std::filesystem::path& path);
  ~AdminServer();  // removes the socket file
  AdminServer(const AdminServer&) = delete;
  AdminServer& operator=(const AdminServer&) = delete;

  zmq::socket_t& socket() { return socket_; }
  const std::filesystem::path& path() const { return path_; }
  // One waiting request, or nullopt (malformed requests are dropped).
  std::optional<AdminRequest> receive();
  void reply(const AdminRequest& to, const std::string& text);

 private:
  std::filesystem::path path_;
  zmq::socket_t socket_;
};

// The CLI side: one request, waiting up to timeout_ms for the reply. Throws TransportError when
// there is no socket file, or no reply in time ("is aegisd running?").
std::string admin_request(const std::filesystem::path& path, const std::string& text,
                          int timeout_ms);

}  // namespace aegis::transport
