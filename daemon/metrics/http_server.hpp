// The HTTP endpoint of the metrics: GET /metrics answers 200 with the text `render` returns (the
// Prometheus text format); any other path 404, any other method 405. cpp-httplib runs it on its
// own threads (two workers), so `render` is called from those threads, never from the caller's.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

namespace aegis::metrics {

class HttpServer {
 public:
  // Binds host:port (port 0: any free port) and starts serving. Throws std::runtime_error naming
  // the address when it cannot bind.
  HttpServer(const std::string& host, std::uint16_t port, std::function<std::string()> render);
  ~HttpServer();  // stops serving and joins its threads
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  std::uint16_t port() const { return port_; }
  // "HOST:PORT" as bound ("[HOST]:PORT" for an IPv6 address).
  std::string address() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::string host_;
  std::uint16_t port_ = 0;
};

}  // namespace aegis::metrics
