// aegisd's log lines (one event per line, priority prefix, quoting) and admin request dispatch
// (bad JSON, unknown commands and failing handlers answer an error, never throw).
#include <stdexcept>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "aegisd/admin.hpp"
#include "aegisd/log.hpp"

using namespace aegis::daemon;

TEST_CASE("log: a line is the priority prefix, the event and key=value fields") {
  CHECK(log::format(log::Level::info, "connected",
                    {{"authority", "kent"}, {"seq", std::uint64_t{42}}}) ==
        "<6>connected authority=kent seq=42\n");
  CHECK(log::format(log::Level::warning, "rejected", {}) == "<4>rejected\n");
  CHECK(log::format(log::Level::error, "failed", {{"what", "x"}}).rfind("<3>", 0) == 0);
}

TEST_CASE("log: values with spaces, quotes, '=' or control characters are quoted and escaped") {
  CHECK(log::format(log::Level::info, "e", {{"detail", "a b"}}) == "<6>e detail=\"a b\"\n");
  CHECK(log::format(log::Level::info, "e", {{"detail", "say \"hi\""}}) ==
        "<6>e detail=\"say \\\"hi\\\"\"\n");
  CHECK(log::format(log::Level::info, "e", {{"k", "a=b"}}) == "<6>e k=\"a=b\"\n");
  CHECK(log::format(log::Level::info, "e", {{"k", ""}}) == "<6>e k=\"\"\n");
  // A newline in a value can never start a second (forged) event line.
  const std::string line =
      log::format(log::Level::info, "e", {{"detail", "x\n<3>forged event"}});
  CHECK(line == "<6>e detail=\"x\\x0a<3>forged event\"\n");
  CHECK(line.find('\n') == line.size() - 1);
}

TEST_CASE("admin: a known command answers ok with its result") {
  Admin admin;
  admin.on("status", [] { return nlohmann::ordered_json{{"status", {{"role", "index"}}}}; });
  const auto reply = nlohmann::json::parse(admin.handle(R"({"cmd":"status"})"));
  CHECK(reply["ok"] == true);
  CHECK(reply["status"]["role"] == "index");
}

TEST_CASE("admin: malformed requests and unknown commands answer an error") {
  Admin admin;
  admin.on("status", [] { return nlohmann::ordered_json::object(); });
  auto code_of = [&](const std::string& request) {
    const auto reply = nlohmann::json::parse(admin.handle(request));
    CHECK(reply["ok"] == false);
    return reply["error"]["code"].get<std::string>();
  };
  CHECK(code_of("not json") == "bad_request");
  CHECK(code_of("[1,2]") == "bad_request");
  CHECK(code_of("{}") == "bad_request");
  CHECK(code_of(R"({"cmd":7})") == "bad_request");
  CHECK(code_of(R"({"cmd":"shutdown"})") == "unknown_command");
  CHECK(code_of(std::string("{\"cmd\":\"status\"") + std::string(100, '}')) == "bad_request");
}

TEST_CASE("admin: a handler that throws answers failed with its message") {
  Admin admin;
  admin.on("status", []() -> nlohmann::ordered_json { throw std::runtime_error("store: busy"); });
  const auto reply = nlohmann::json::parse(admin.handle(R"({"cmd":"status"})"));
  CHECK(reply["ok"] == false);
  CHECK(reply["error"]["code"] == "failed");
  CHECK(reply["error"]["message"] == "store: busy");
}
