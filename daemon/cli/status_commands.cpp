// `aegis status [--json]`: asks this node's own aegisd, through its admin socket ([admin] socket
// in the config), how sync stands (docs/aegisd.md, "Status"). Works for both roles: per peer,
// an authority shows what it sent, what the index acknowledged, its backlog and lag; an index
// shows per authority what it applied, rejections and the feed position.
#include <cstdio>

#include "commands.hpp"
#include "transport/admin_socket.hpp"
#include "transport/limits.hpp"

namespace aegis::cli {

namespace {

constexpr int kStatusTimeoutMs = 5000;

std::string number(const nlohmann::ordered_json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return "-";
  if (it->is_number_float()) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1fs", it->get<double>());
    return buf;
  }
  return it->dump();
}

std::string text(const nlohmann::ordered_json& j, const char* key) {
  auto it = j.find(key);
  return it == j.end() || !it->is_string() ? "-" : it->get<std::string>();
}

std::string rejection(const nlohmann::ordered_json& peer) {
  auto it = peer.find("last_reject");
  if (it == peer.end() || it->is_null()) return "-";
  return "seq " + number(*it, "seq") + ": " + text(*it, "code");
}

std::string uptime(const nlohmann::ordered_json& s) {
  const auto secs =
      (s.value("now_ms", std::uint64_t{0}) - s.value("started_ms", std::uint64_t{0})) / 1000;
  char buf[64];
  std::snprintf(buf, sizeof buf, "%lluh%02llum%02llus",
                static_cast<unsigned long long>(secs / 3600),
                static_cast<unsigned long long>(secs / 60 % 60),
                static_cast<unsigned long long>(secs % 60));
  return buf;
}

// An authority's hold on the index's audit log (docs/audit.md): the checkpoint it holds, and
// a fork — the index signed a history that does not extend the one it showed before — until
// an operator resolves it.
std::string audit_line(const nlohmann::ordered_json& peer) {
  auto audit = peer.find("audit");
  if (audit == peer.end() || !audit->is_object()) return "";
  auto fork = audit->find("fork");
  if (fork == audit->end() || !fork->is_object())
    return "audit checkpoint held from " + text(peer, "peer") + ": " +
           (audit->value("held_size", nlohmann::ordered_json()).is_null()
                ? std::string("none yet")
                : number(*audit, "held_size") + " entries") +
           "\n";
  return "AUDIT LOG FORKED: " + text(peer, "peer") + " sent a checkpoint of " +
         number(*fork, "notice_size") + " entries (feed seq " + number(*fork, "feed_seq") +
         ") that does not extend the one held (" + number(*fork, "held_size") + " entries): " +
         text(*fork, "code") + ": " + text(*fork, "detail") + "; open forks " +
         number(*audit, "open_forks") + " (aegis audit forks)\n";
}

std::string human(const nlohmann::ordered_json& s) {
  const bool authority = text(s, "role") == "authority";
  std::string out = "aegisd " + text(s, "role") + " " + text(s, "id") + ", pid " +
                    number(s, "pid") + ", up " + uptime(s) + ", trust bundle v" +
                    number(s, "trust_version") + "\n";
  const nlohmann::ordered_json peers = s.value("peers", nlohmann::ordered_json::array());
  std::vector<std::vector<std::string>> rows;
  if (authority) {
    rows.push_back({"peer", "connection", "session", "sent", "acked", "backlog", "lag",
                    "feed", "national ids", "last rejection"});
    for (const auto& p : peers)
      rows.push_back({text(p, "peer"), text(p, "connection"), text(p, "session"),
                      number(p, "last_sent_seq"), number(p, "last_acked_seq"),
                      number(p, "backlog"), number(p, "lag_s"), number(p, "feed_seq"),
                      number(p, "national_ids"), rejection(p)});
  } else {
    out += "listening on " + text(s, "listen") + ", refused connections " +
           number(s, "refused_connections") + ", refused messages " +
           number(s, "refused_messages") + "\n";
    rows.push_back({"authority", "connection", "applied", "records", "rejections", "feed",
                    "feed acked", "last rejection"});
    for (const auto& p : peers)
      rows.push_back({text(p, "peer"), text(p, "connection"), number(p, "applied_seq"),
                      number(p, "live_records"), number(p, "rejections"), number(p, "feed_seq"),
                      number(p, "feed_acked_seq"), rejection(p)});
  }
  if (peers.empty()) return out + (authority ? "no peers\n" : "no authority has connected yet\n");
  out += format_table(rows);
  for (const auto& p : peers) {
    auto refused = p.find("last_refused");
    if (refused != p.end() && refused->is_object())
      out += text(p, "peer") + " refused this authority: " + text(*refused, "code") + ": " +
             text(*refused, "detail") + "\n";
    auto reject = p.find("last_reject");
    if (reject != p.end() && reject->is_object())
      out += text(p, "peer") + " rejected seq " + number(*reject, "seq") + ": " +
             text(*reject, "code") + ": " + text(*reject, "detail") + "\n";
    out += audit_line(p);
  }
  return out;
}

void status(const GlobalOptions& g) {
  auto c = config::load_config(g.config_path);
  if (!c) fail(kExitConfig, "config", c.error().message);
  std::string reply;
  try {
    reply = transport::admin_request(c->admin.socket, R"({"cmd":"status"})", kStatusTimeoutMs);
  } catch (const transport::TransportError& e) {
    fail(kExitFailed, "not_running", e.what());
  }
  nlohmann::ordered_json j = nlohmann::ordered_json::parse(reply, nullptr, false);
  if (j.is_discarded() || !j.is_object())
    fail(kExitFailed, "bad_reply", "aegisd sent a reply that is not JSON");
  if (!j.value("ok", false)) {
    const nlohmann::ordered_json err = j.value("error", nlohmann::ordered_json::object());
    fail(kExitFailed, err.value("code", std::string("failed")),
         "aegisd: " + err.value("message", std::string("status failed")));
  }
  const nlohmann::ordered_json s = j.value("status", nlohmann::ordered_json::object());
  print_result(g, s, human(s));
}

}  // namespace

void add_status_commands(CLI::App& app, const GlobalOptions& g) {
  app.add_subcommand("status", "How sync stands, from this node's running aegisd (admin socket)")
      ->callback([&g] { status(g); });
}

}  // namespace aegis::cli
