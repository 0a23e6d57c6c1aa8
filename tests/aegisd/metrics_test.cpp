// aegisd's metrics: the text exposition format (names checked, label values and help escaped,
// numbers exact), the families made from a status document of each role (values from the
// status, reason labels sanitised and capped), and the hand-over of a scrape to the event loop.
#include <sys/eventfd.h>
#include <poll.h>

#include <limits>
#include <stdexcept>
#include <thread>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "aegisd/metrics.hpp"
#include "metrics/exposition.hpp"

using namespace aegis;
using namespace aegis::daemon;
using Json = nlohmann::ordered_json;

namespace {

// The value of the sample `series` (name plus labels, exactly as rendered), or throws.
std::string sample(const std::string& text, const std::string& series) {
  const std::string key = "\n" + series + " ";
  const std::size_t at = ("\n" + text).find(key);
  if (at == std::string::npos) throw std::runtime_error("no sample " + series);
  const std::size_t from = at + key.size() - 1;
  return text.substr(from, text.find('\n', from) - from);
}

Json authority_status() {
  return Json::parse(R"({
    "role": "authority", "id": "kent", "version": "0.1.0", "started_ms": 1700000000500,
    "trust_version": 3, "trust_expires_ms": 1800000000000, "metrics": "127.0.0.1:9464",
    "peers": [{"peer": "national", "connection": "connected", "session": "ready",
               "last_acked_seq": 40, "outbox_tail": 45, "backlog": 5, "lag_s": 1.25,
               "changes_sent": 52, "feed_seq": 17, "national_ids": 39,
               "audit": {"held_size": 12, "open_forks": 2},
               "rejected": {"bad_signature": 2, "Chain Broken!": 1}}],
    "inbox": {"imported": 3, "rejected": 1, "failed": 0, "records": 1200}})");
}

Json index_status() {
  return Json::parse(R"({
    "role": "index", "id": "national", "version": "0.1.0", "started_ms": 1700000000000,
    "trust_version": 2, "trust_expires_ms": 1800000000000,
    "refused_connections": 4,
    "refused_messages": 6,
    "totals": {"authorities": 3, "envelopes": 1000, "live_records": 900, "rejections": 7,
               "feed_items": 950},
    "peers": [{"peer": "kent", "connection": "connected"},
              {"peer": "leeds", "connection": "disconnected"}],
    "rejections_by_code": {"bad_signature": 5, "chain_broken": 2},
    "national_ids": 880})");
}

}  // namespace

TEST_CASE("metrics: a snapshot renders HELP, TYPE and samples in the order added") {
  metrics::Snapshot s;
  s.add("aegis_up", metrics::Kind::gauge, "1: answers", 1);
  metrics::Family& f = s.add("aegis_x_total", metrics::Kind::counter, "things, by kind");
  f.samples.push_back({{{"kind", "a"}, {"zone", "b"}}, 3});
  f.samples.push_back({{{"kind", "c"}}, 0.5});
  CHECK(s.render() ==
        "# HELP aegis_up 1: answers\n# TYPE aegis_up gauge\naegis_up 1\n"
        "# HELP aegis_x_total things, by kind\n# TYPE aegis_x_total counter\n"
        "aegis_x_total{kind=\"a\",zone=\"b\"} 3\naegis_x_total{kind=\"c\"} 0.5\n");
}

TEST_CASE("metrics: label values and help text are escaped; numbers are exact") {
  metrics::Snapshot s;
  s.add("m", metrics::Kind::gauge, "line one\nback\\slash")
      .samples.push_back({{{"v", "say \"hi\"\n\\"}}, 9007199254740991.0});
  s.add("big", metrics::Kind::gauge, "h", 1e300);
  s.add("nan", metrics::Kind::gauge, "h", std::numeric_limits<double>::quiet_NaN());
  s.add("inf", metrics::Kind::gauge, "h", std::numeric_limits<double>::infinity());
  const std::string text = s.render();
  CHECK(text.find("# HELP m line one\\nback\\\\slash\n") != std::string::npos);
  CHECK(text.find("m{v=\"say \\\"hi\\\"\\n\\\\\"} 9007199254740991\n") != std::string::npos);
  CHECK(sample(text, "big") == "1.0000000000000001e+300");
  CHECK(sample(text, "nan") == "NaN");
  CHECK(sample(text, "inf") == "+Inf");
}

TEST_CASE("metrics: bad names, counters without _total and duplicates are refused") {
  metrics::Snapshot s;
  CHECK_THROWS_AS(s.add("", metrics::Kind::gauge, "h"), std::invalid_argument);
  CHECK_THROWS_AS(s.add("1abc", metrics::Kind::gauge, "h"), std::invalid_argument);
  CHECK_THROWS_AS(s.add("a-b", metrics::Kind::gauge, "h"), std::invalid_argument);
  CHECK_THROWS_AS(s.add("a b", metrics::Kind::gauge, "h"), std::invalid_argument);
  CHECK_THROWS_AS(s.add("sent", metrics::Kind::counter, "h"), std::invalid_argument);
  s.add("ok:name_1", metrics::Kind::gauge, "h");
  CHECK_THROWS_AS(s.add("ok:name_1", metrics::Kind::gauge, "h"), std::invalid_argument);
  s.add("labelled", metrics::Kind::gauge, "h").samples.push_back({{{"__reserved", "x"}}, 1});
  CHECK_THROWS_AS(s.render(), std::invalid_argument);
  CHECK_FALSE(metrics::valid_label_name("a:b"));
  CHECK(metrics::valid_label_name("reason"));
}

TEST_CASE("metrics: an authority's families carry its status values") {
  const std::string text = node_metrics(authority_status()).render();
  CHECK(sample(text, "aegis_up") == "1");
  CHECK(sample(text, "aegis_info{role=\"authority\",id=\"kent\",version=\"0.1.0\"}") == "1");
  CHECK(sample(text, "aegis_start_time_seconds") == "1700000000.5");
  CHECK(sample(text, "aegis_trust_bundle_version") == "3");
  CHECK(sample(text, "aegis_ready") == "1");
  CHECK(sample(text, "aegis_connected") == "1");
  CHECK(sample(text, "aegis_backlog_changes") == "5");
  CHECK(sample(text, "aegis_lag_seconds") == "1.25");
  CHECK(sample(text, "aegis_outbox_seq") == "45");
  CHECK(sample(text, "aegis_changes_sent_total") == "52");
  CHECK(sample(text, "aegis_changes_applied_total") == "40");
  CHECK(sample(text, "aegis_changes_rejected_total{reason=\"bad_signature\"}") == "2");
  CHECK(sample(text, "aegis_changes_rejected_total{reason=\"other\"}") == "1");
  CHECK(sample(text, "aegis_import_files_total{outcome=\"imported\"}") == "3");
  CHECK(sample(text, "aegis_import_files_total{outcome=\"rejected\"}") == "1");
  CHECK(sample(text, "aegis_import_files_total{outcome=\"failed\"}") == "0");
  CHECK(sample(text, "aegis_import_records_total") == "1200");
  CHECK(sample(text, "aegis_national_ids") == "39");
  CHECK(sample(text, "aegis_feed_items") == "17");
  CHECK(sample(text, "aegis_audit_checkpoint_size") == "12");
  CHECK(sample(text, "aegis_audit_forks") == "2");
  CHECK(text.find("aegis_queries_total") == std::string::npos);  // index only
}

TEST_CASE("metrics: an authority not in session is not ready, and absent fields are 0") {
  Json s = authority_status();
  s["peers"][0]["session"] = "diverged";
  s["peers"][0]["connection"] = "connecting";
  s.erase("inbox");
  s["peers"][0].erase("audit");
  const std::string text = node_metrics(s).render();
  CHECK(sample(text, "aegis_audit_forks") == "0");
  CHECK(sample(text, "aegis_ready") == "0");
  CHECK(sample(text, "aegis_connected") == "0");
  CHECK(sample(text, "aegis_import_records_total") == "0");
}

TEST_CASE("metrics: an index's families carry its status and counts") {
  const std::string text = node_metrics(index_status()).render();
  CHECK(sample(text, "aegis_ready") == "1");
  CHECK(sample(text, "aegis_authorities") == "3");
  CHECK(sample(text, "aegis_authorities_connected") == "1");
  CHECK(sample(text, "aegis_changes_applied_total") == "1000");
  CHECK(sample(text, "aegis_changes_rejected_total{reason=\"bad_signature\"}") == "5");
  CHECK(sample(text, "aegis_changes_rejected_total{reason=\"chain_broken\"}") == "2");
  CHECK(sample(text, "aegis_refused_connections_total") == "4");
  CHECK(sample(text, "aegis_refused_messages_total") == "6");
  CHECK(sample(text, "aegis_live_records") == "900");
  CHECK(sample(text, "aegis_national_ids") == "880");
  CHECK(sample(text, "aegis_feed_items") == "950");
  CHECK(sample(text, "aegis_queries_total") == "0");
  CHECK(sample(text, "aegis_resolution_queue_length") == "0");
  CHECK(text.find("aegis_backlog_changes") == std::string::npos);  // authority only
}

TEST_CASE("metrics: rejection reasons are codes or 'other', and at most a bounded number") {
  CHECK(reason_label("bad_signature") == "bad_signature");
  CHECK(reason_label("") == "other");
  CHECK(reason_label("Amelia Hartley") == "other");
  CHECK(reason_label("a\"b") == "other");
  CHECK(reason_label(std::string(49, 'a')) == "other");
  Json s = index_status();
  Json many = Json::object();
  for (int i = 0; i < 100; ++i) many["code_" + std::to_string(i)] = 1;
  s["rejections_by_code"] = many;
  const metrics::Snapshot snap = node_metrics(s);
  for (const metrics::Family& f : snap.families())
    if (f.name == "aegis_changes_rejected_total") {
      CHECK(f.samples.size() == kMaxReasonLabels + 1);
      double total = 0;
      for (const metrics::Sample& x : f.samples) total += x.value;
      CHECK(total == 100);
    }
}

TEST_CASE("metrics: a scrape waits for the loop's answer; a failed build keeps the old text") {
  ScrapeExchange x;
  std::string got;
  std::thread scraper([&] { got = x.request(std::chrono::minutes(10)); });
  pollfd p{x.fd(), POLLIN, 0};
  REQUIRE(::poll(&p, 1, 60'000) == 1);  // the request wakes the loop
  CHECK(x.answer([] { return std::string("fresh\n"); }).empty());
  scraper.join();
  CHECK(got == "fresh\n");

  std::thread second([&] { got = x.request(std::chrono::minutes(10)); });
  REQUIRE(::poll(&p, 1, 60'000) == 1);
  CHECK(x.answer([]() -> std::string { throw std::runtime_error("store gone"); }) ==
        "store gone");
  second.join();
  CHECK(got == "fresh\n");
}

TEST_CASE("metrics: an unanswered scrape gets the previous text; after close none waits") {
  ScrapeExchange x;
  CHECK(x.request(std::chrono::milliseconds(1)).empty());  // no loop: the (empty) previous text
  x.close();
  CHECK(x.request(std::chrono::minutes(10)).empty());  // closed: returns at once
}
