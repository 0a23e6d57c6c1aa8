// Admin socket requests (see admin.hpp).
#include "admin.hpp"

#include <exception>

namespace aegis::daemon {
namespace {

std::string error_reply(std::string_view code, std::string_view message) {
  return nlohmann::ordered_json{{"ok", false}, {"error", {{"code", code}, {"message", message}}}}
      .dump();
}

}  // namespace

std::string Admin::handle(std::string_view request) const {
  nlohmann::json j = nlohmann::json::parse(request, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object())
    return error_reply("bad_request", "the request is not a JSON object");
  auto cmd = j.find("cmd");
  if (cmd == j.end() || !cmd->is_string())
    return error_reply("bad_request", "the request has no \"cmd\" string");
  auto it = handlers_.find(cmd->get<std::string>());
  if (it == handlers_.end())
    return error_reply("unknown_command", "no command '" + cmd->get<std::string>() + "'");
  try {
    nlohmann::ordered_json reply = {{"ok", true}};
    nlohmann::ordered_json result = it->second(j);
    for (auto& [k, v] : result.items()) reply[k] = v;
    return reply.dump();
  } catch (const AdminError& e) {
    return error_reply(e.code(), e.what());
  } catch (const std::exception& e) {
    return error_reply("failed", e.what());
  }
}

}  // namespace aegis::daemon
