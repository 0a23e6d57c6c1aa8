// The HTTP endpoint of the metrics (see http_server.hpp).
#include "metrics/http_server.hpp"

#include <sys/socket.h>

#include <atomic>
#include <stdexcept>
#include <thread>

#include <httplib.h>

#include "metrics/exposition.hpp"

namespace aegis::metrics {
namespace {

constexpr std::size_t kWorkers = 2;       // a scraper or two; more connections wait
constexpr time_t kTimeoutSeconds = 5;     // a slow or silent client is dropped after this
constexpr std::size_t kMaxRequestBody = 1024;

}  // namespace

struct HttpServer::Impl {
  httplib::Server server;
  std::thread thread;
  std::atomic<bool> done{false};  // listen_after_bind returned
};

HttpServer::HttpServer(const std::string& host, std::uint16_t port,
                       std::function<std::string()> render)
    : impl_(std::make_unique<Impl>()), host_(host), port_(port) {
  httplib::Server& s = impl_->server;
  s.new_task_queue = [] { return new httplib::ThreadPool(kWorkers); };
  s.set_read_timeout(kTimeoutSeconds);
  s.set_write_timeout(kTimeoutSeconds);
  s.set_keep_alive_timeout(kTimeoutSeconds);
  s.set_payload_max_length(kMaxRequestBody);
  // SO_REUSEADDR only: httplib's default is SO_REUSEPORT, with which a second daemon would bind
  // the same port and the kernel would share the scrapes between the two.
  s.set_socket_options([](int sock) {
    int yes = 1;
    ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
  });
  s.Get("/metrics", [render = std::move(render)](const httplib::Request&, httplib::Response& res) {
    res.set_content(render(), std::string(kContentType).c_str());
  });
  // Every other method on /metrics: 405; every other path: httplib's 404.
  const auto not_allowed = [](const httplib::Request&, httplib::Response& res) {
    res.status = 405;
    res.set_header("Allow", "GET");
  };
  s.Post("/metrics", not_allowed);
  s.Put("/metrics", not_allowed);
  s.Delete("/metrics", not_allowed);
  s.Patch("/metrics", not_allowed);
  if (port == 0) {
    const int bound = s.bind_to_any_port(host);
    if (bound <= 0) throw std::runtime_error("metrics.listen " + address() + ": cannot bind");
    port_ = static_cast<std::uint16_t>(bound);
  } else if (!s.bind_to_port(host, port)) {
    throw std::runtime_error("metrics.listen " + address() + ": cannot bind (in use?)");
  }
  impl_->thread = std::thread([impl = impl_.get()] {
    impl->server.listen_after_bind();
    impl->done = true;
  });
  // httplib's stop() does nothing before the server runs: wait for it, so the destructor can
  // always stop it (a few microseconds; bounded by the thread ending if listening fails).
  while (!impl_->server.is_running() && !impl_->done) std::this_thread::yield();
  if (!impl_->server.is_running()) {
    impl_->thread.join();
    throw std::runtime_error("metrics.listen " + address() + ": cannot listen");
  }
}

HttpServer::~HttpServer() {
  impl_->server.stop();
  if (impl_->thread.joinable()) impl_->thread.join();
}

std::string HttpServer::address() const {
  const bool v6 = host_.find(':') != std::string::npos;
  return (v6 ? "[" + host_ + "]" : host_) + ":" + std::to_string(port_);
}

}  // namespace aegis::metrics
