// Requests on the admin socket (docs/aegisd.md, "Admin socket"): one JSON object in, one JSON
// object out. Commands:
//   {"cmd":"status"} -> {"ok":true,"status":{...}}   (the document `aegis status --json` prints)
//   {"cmd":"nudge"}  -> {"ok":true}                  (authority: read the outbox tail now)
// Anything else -> {"ok":false,"error":{"code":"...","message":"..."}}. Handlers are plain
// functions registered by the daemon; this class only parses and dispatches, and never throws.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace aegis::daemon {

class Admin {
 public:
  // Returns the command's result (merged into the reply next to "ok": true); may throw, which
  // becomes {"ok":false,"error":{"code":"failed",...}}.
  using Handler = std::function<nlohmann::ordered_json()>;

  void on(std::string cmd, Handler handler) { handlers_[std::move(cmd)] = std::move(handler); }
  // The reply to one request.
  std::string handle(std::string_view request) const;

 private:
  std::map<std::string, Handler, std::less<>> handlers_;
};

}  // namespace aegis::daemon
