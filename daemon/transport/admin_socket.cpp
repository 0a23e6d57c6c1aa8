// The local admin socket (see admin_socket.hpp).
#include "transport/admin_socket.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <vector>

#include <sys/stat.h>
#include <unistd.h>

#include "transport/limits.hpp"

namespace aegis::transport {
namespace {

void set_admin_limits(zmq::socket_t& s) {
  s.set(zmq::sockopt::maxmsgsize, static_cast<std::int64_t>(kMaxAdminMessageSize));
  s.set(zmq::sockopt::sndhwm, 100);
  s.set(zmq::sockopt::rcvhwm, 100);
  s.set(zmq::sockopt::linger, 0);
}

std::string octal(mode_t mode) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "%04o", static_cast<unsigned>(mode & 07777));
  return buf;
}

// The directory of the socket: created 0700 when missing, refused when others can get in.
void check_directory(const std::filesystem::path& dir, const std::string& what) {
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0) {
    if (errno != ENOENT || ::mkdir(dir.c_str(), 0700) != 0)
      throw TransportError(what + ": directory " + dir.string() + ": " + std::strerror(errno));
    return;
  }
  if (!S_ISDIR(st.st_mode))
    throw TransportError(what + ": " + dir.string() + " is not a directory");
  if (st.st_uid != ::geteuid())
    throw TransportError(what + ": directory " + dir.string() + " is owned by another user");
  if ((st.st_mode & 077) != 0)
    throw TransportError(what + ": directory " + dir.string() + " has mode " +
                         octal(st.st_mode) + "; it must be 0700 (owner only)");
}

}  // namespace

AdminServer::AdminServer(zmq::context_t& context, const std::filesystem::path& path)
    : path_(path), socket_(context, zmq::socket_type::router) {
  const std::string what = "admin socket " + path.string();
  if (path.string().size() > kMaxAdminPathLength)
    throw TransportError(what + ": path longer than " + std::to_string(kMaxAdminPathLength) +
                         " bytes");
  check_directory(path.parent_path(), what);
  const mode_t old = ::umask(077);
  try {
    set_admin_limits(socket_);
    socket_.bind("ipc://" + path.string());
  } catch (const zmq::error_t& e) {
    ::umask(old);
    throw TransportError(what + ": " + e.what());
  }
  ::umask(old);
  if (::chmod(path.c_str(), 0600) != 0)
    throw TransportError(what + ": chmod 0600: " + std::strerror(errno));
}

AdminServer::~AdminServer() {
  try {
    socket_.close();
  } catch (...) {
  }
  ::unlink(path_.c_str());
}

std::optional<AdminRequest> AdminServer::receive() {
  for (;;) {
    zmq::message_t id;
    if (!socket_.recv(id, zmq::recv_flags::dontwait)) return std::nullopt;
    // A REQ client sends: routing id (added by ROUTER), empty delimiter, request.
    std::vector<zmq::message_t> rest;
    bool more = id.more();
    while (more) {
      zmq::message_t m;
      (void)socket_.recv(m);
      more = m.more();
      rest.push_back(std::move(m));
    }
    if (rest.size() != 2 || rest[0].size() != 0) continue;  // not a REQ request: dropped
    return AdminRequest{std::string(static_cast<const char*>(id.data()), id.size()),
                        std::string(static_cast<const char*>(rest[1].data()), rest[1].size())};
  }
}

void AdminServer::reply(const AdminRequest& to, const std::string& text) {
  try {
    if (!socket_.send(zmq::buffer(to.routing_id),
                      zmq::send_flags::sndmore | zmq::send_flags::dontwait))
      return;
    (void)socket_.send(zmq::const_buffer(nullptr, 0), zmq::send_flags::sndmore);
    (void)socket_.send(zmq::buffer(text), zmq::send_flags::none);
  } catch (const zmq::error_t&) {
    // The client went away: nothing to answer.
  }
}

std::string admin_request(const std::filesystem::path& path, const std::string& text,
                          int timeout_ms) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec))
    throw TransportError("no admin socket at " + path.string() + " (is aegisd running?)");
  zmq::context_t context(1);
  zmq::socket_t s(context, zmq::socket_type::req);
  try {
    set_admin_limits(s);
    s.set(zmq::sockopt::sndtimeo, timeout_ms);
    s.set(zmq::sockopt::rcvtimeo, timeout_ms);
    s.connect("ipc://" + path.string());
    if (!s.send(zmq::buffer(text), zmq::send_flags::none))
      throw TransportError("admin socket " + path.string() + ": could not send the request");
    zmq::message_t reply;
    if (!s.recv(reply))
      throw TransportError("no answer from aegisd on " + path.string() + " within " +
                           std::to_string(timeout_ms) + " ms");
    return std::string(static_cast<const char*>(reply.data()), reply.size());
  } catch (const zmq::error_t& e) {
    throw TransportError("admin socket " + path.string() + ": " + e.what());
  }
}

}  // namespace aegis::transport
