// `aegis review list|show|link|separate` and `aegis resolve --all`: an index operator's review
// of uncertain matches and the full re-resolution, run against the index's running aegisd over
// its admin socket (docs/resolution.md, "Operator commands and export"; the requests are in
// daemon/aegisd/index_admin.cpp). Decisions take effect at once in the daemon. `show` prints
// names and dates of birth for the operator (never identifiers); nothing here logs them.
#include <cstdio>

#include "commands.hpp"
#include "index_common.hpp"
#include "transport/admin_socket.hpp"
#include "transport/limits.hpp"

namespace aegis::cli {

nlohmann::ordered_json admin_call(const config::Config& c, const nlohmann::json& request,
                                  int timeout_ms) {
  std::string reply;
  try {
    reply = transport::admin_request(c.admin.socket, request.dump(), timeout_ms);
  } catch (const transport::TransportError& e) {
    fail(kExitFailed, "not_running", e.what());
  }
  nlohmann::ordered_json j = nlohmann::ordered_json::parse(reply, nullptr, false);
  if (j.is_discarded() || !j.is_object())
    fail(kExitFailed, "bad_reply", "aegisd sent a reply that is not JSON");
  if (!j.value("ok", false)) {
    const nlohmann::ordered_json err = j.value("error", nlohmann::ordered_json::object());
    fail(kExitFailed, err.value("code", std::string("failed")),
         "aegisd: " + err.value("message", std::string("request failed")));
  }
  j.erase("ok");
  return j;
}

namespace {

constexpr int kReviewTimeoutMs = 30000;
// A full re-resolution decodes and re-scores every stored record (minutes at national scale).
constexpr int kResolveTimeoutMs = 30 * 60 * 1000;

std::string fixed(double v, int digits = 1) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
}

std::string ref_text(const nlohmann::ordered_json& r) {
  return r.value("authority_id", std::string("?")) + "/" + r.value("record_id", std::string("?"));
}

std::string name_text(const nlohmann::ordered_json& n) {
  std::string out = n.value("given", std::string());
  const std::string middle = n.value("middle", std::string());
  if (!middle.empty()) out += (out.empty() ? "" : " ") + middle;
  return out + (out.empty() ? "" : " ") + n.value("family", std::string());
}

struct ReviewOptions {
  std::uint64_t limit = 50;
  std::uint64_t pair = 0;
  std::string operator_id;
  std::string reason;
  bool all = false;
};

void list(const GlobalOptions& g, const ReviewOptions& o) {
  const config::Config c = load_index_config(g);
  const nlohmann::ordered_json r =
      admin_call(c, {{"cmd", "review_list"}, {"limit", o.limit}}, kReviewTimeoutMs);
  const nlohmann::ordered_json pairs = r.value("pairs", nlohmann::ordered_json::array());
  std::vector<std::vector<std::string>> rows = {
      {"pair", "score", "cap", "a", "b", "waiting since"}};
  for (const auto& p : pairs)
    rows.push_back({std::to_string(p.value("id", std::uint64_t{0})), fixed(p.value("score", 0.0)),
                    p.value("cap", std::string()),
                    ref_text(p.value("a", nlohmann::ordered_json::object())),
                    ref_text(p.value("b", nlohmann::ordered_json::object())),
                    format_time(p.value("since_ms", std::uint64_t{0}))});
  const std::uint64_t total = r.value("total", std::uint64_t{0});
  std::string human =
      std::to_string(total) + " pairs waiting for review" +
      (total > pairs.size() ? " (the first " + std::to_string(pairs.size()) + " shown)" : "") +
      "\n";
  if (!pairs.empty()) human += format_table(rows);
  print_result(g, r, human);
}

void show(const GlobalOptions& g, const ReviewOptions& o) {
  const config::Config c = load_index_config(g);
  const nlohmann::ordered_json r =
      admin_call(c, {{"cmd", "review_show"}, {"pair", o.pair}}, kReviewTimeoutMs);
  std::string human = "pair " + std::to_string(o.pair) + ": score " + fixed(r.value("score", 0.0)) +
                      ", " + r.value("outcome", std::string()) + " (cap " +
                      r.value("cap", std::string()) + ")\n";
  std::vector<std::vector<std::string>> who = {
      {"record", "national id", "name", "former names", "gender", "date of birth", "shielded"}};
  for (const auto& rec : r.value("records", nlohmann::ordered_json::array())) {
    std::string former;
    for (const auto& n : rec.value("former_names", nlohmann::ordered_json::array()))
      former += (former.empty() ? "" : "; ") + name_text(n);
    const auto nid = rec.find("national_id");
    who.push_back(
        {ref_text(rec), nid != rec.end() && nid->is_string() ? nid->get<std::string>() : "-",
         name_text(rec.value("name", nlohmann::ordered_json::object())),
         former.empty() ? "-" : former, rec.value("gender", std::string()),
         rec.value("date_of_birth", std::string()), rec.value("shielded", false) ? "yes" : "no"});
  }
  human += format_table(who);
  std::vector<std::vector<std::string>> evidence = {{"field", "agreement", "weight (bits)"}};
  for (const auto& e : r.value("evidence", nlohmann::ordered_json::array()))
    evidence.push_back({e.value("field", std::string()), e.value("level", std::string()),
                        fixed(e.value("weight", 0.0), 2)});
  human += format_table(evidence);
  print_result(g, r, human);
}

void decide(const GlobalOptions& g, const ReviewOptions& o, const std::string& kind) {
  const config::Config c = load_index_config(g);
  const nlohmann::ordered_json r = admin_call(c,
                                              {{"cmd", "review_decide"},
                                               {"pair", o.pair},
                                               {"decision", kind},
                                               {"operator", o.operator_id},
                                               {"reason", o.reason}},
                                              kReviewTimeoutMs);
  const nlohmann::ordered_json ids = r.value("national_ids", nlohmann::ordered_json::object());
  const auto id_text = [&](const char* k) {
    auto it = ids.find(k);
    return it != ids.end() && it->is_string() ? it->get<std::string>() : std::string("-");
  };
  print_result(g, r,
               "pair " + std::to_string(o.pair) + ": " + kind + " recorded; national ids now " +
                   id_text("a") + " and " + id_text("b") + " (" +
                   std::to_string(r.value("records_moved", std::uint64_t{0})) +
                   " records moved)\n");
}

void resolve_all(const GlobalOptions& g, const ReviewOptions& o) {
  if (!o.all) fail(kExitUsage, "usage", "resolve: --all is required (the only mode)");
  const config::Config c = load_index_config(g);
  const nlohmann::ordered_json r = admin_call(c, {{"cmd", "resolve_all"}}, kResolveTimeoutMs);
  print_result(g, r,
               std::to_string(r.value("records", std::uint64_t{0})) + " records re-resolved into " +
                   std::to_string(r.value("clusters", std::uint64_t{0})) + " children; " +
                   std::to_string(r.value("records_moved", std::uint64_t{0})) +
                   " records changed national id, " +
                   std::to_string(r.value("review_pairs", std::uint64_t{0})) +
                   " pairs wait for review\n");
}

}  // namespace

void add_review_commands(CLI::App& app, const GlobalOptions& g) {
  auto o = std::make_shared<ReviewOptions>();
  CLI::App* review = app.add_subcommand(
      "review",
      "Uncertain matches waiting for an index operator (role = \"index\", aegisd running)");
  review->require_subcommand(1);
  CLI::App* l = review->add_subcommand("list", "Pairs waiting for review, highest score first");
  l->add_option("--limit", o->limit, "at most this many pairs (1-100)")
      ->check(CLI::Range(1, 100))
      ->capture_default_str();
  l->callback([&g, o] { list(g, *o); });
  CLI::App* s = review->add_subcommand("show",
                                       "One pair: both records' identities and the "
                                       "evidence field by field");
  s->add_option("PAIR", o->pair, "the pair's number (review list)")->required();
  s->callback([&g, o] { show(g, *o); });
  for (const char* kind : {"link", "separate"}) {
    const std::string k = kind;
    CLI::App* d = review->add_subcommand(
        k, k == "link" ? "Decide the pair is one child: linked now, until an operator separates"
                       : "Decide the pair are different children: never linked automatically");
    d->add_option("PAIR", o->pair, "the pair's number (review list)")->required();
    d->add_option("--reason", o->reason, "why (kept in the history)")->required();
    d->add_option("--operator", o->operator_id, "who decides (an operator id)")->required();
    d->callback([&g, o, k] { decide(g, *o, k); });
  }
  CLI::App* r = app.add_subcommand(
      "resolve", "Re-resolve every stored record at the index (role = \"index\", aegisd running)");
  r->add_flag("--all", o->all, "every record from the store (the only mode)");
  r->callback([&g, o] { resolve_all(g, *o); });
}

}  // namespace aegis::cli
