// Requests on the admin socket (docs/aegisd.md, "Admin socket"): one JSON object in, one JSON
// object out. Commands:
//   {"cmd":"status"} -> {"ok":true,"status":{...}}   (the document `aegis status --json` prints)
//   {"cmd":"nudge"}  -> {"ok":true}                  (authority: read the outbox tail now)
//   index role: review_list, review_show, review_decide, resolve_all (index_admin.cpp)
// Anything else -> {"ok":false,"error":{"code":"...","message":"..."}}. Handlers are plain
// functions registered by the daemon; this class only parses and dispatches, and never throws.
#pragma once

#include <functional>
#include <map>
#include <stdexcept>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace aegis::daemon {

// A refusal with its own code word (a handler's bad_request, not_found...): the reply's
// error code, instead of "failed".
class AdminError : public std::runtime_error {
 public:
  AdminError(std::string code, const std::string& message)
      : std::runtime_error(message), code_(std::move(code)) {}
  const std::string& code() const { return code_; }

 private:
  std::string code_;
};

class Admin {
 public:
  // Returns the command's result (merged into the reply next to "ok": true); may throw, which
  // becomes {"ok":false,"error":{"code":"failed",...}} (AdminError: its own code).
  using Handler = std::function<nlohmann::ordered_json()>;
  // The same, reading the request's other fields (untrusted: the handler checks them).
  using RequestHandler = std::function<nlohmann::ordered_json(const nlohmann::json& request)>;

  void on(std::string cmd, Handler handler) {
    handlers_[std::move(cmd)] = [h = std::move(handler)](const nlohmann::json&) { return h(); };
  }
  void on_request(std::string cmd, RequestHandler handler) {
    handlers_[std::move(cmd)] = std::move(handler);
  }
  // The reply to one request.
  std::string handle(std::string_view request) const;

 private:
  std::map<std::string, RequestHandler, std::less<>> handlers_;
};

}  // namespace aegis::daemon
