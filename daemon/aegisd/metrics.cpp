// aegisd's metrics (see metrics.hpp).
#include "metrics.hpp"

#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <map>
#include <stdexcept>

namespace aegis::daemon {
namespace {

using Json = nlohmann::ordered_json;
using metrics::Kind;

double number(const Json& j, const char* key) {
  if (!j.is_object()) return 0;
  auto it = j.find(key);
  return it != j.end() && it->is_number() ? it->get<double>() : 0;
}

// {reason: count} of a status object {code: count} (codes sanitised, capped).
void add_rejections(metrics::Snapshot& s, const Json& by_code, const char* help) {
  std::map<std::string, double> reasons;
  if (by_code.is_object())
    for (auto& [code, count] : by_code.items()) {
      std::string label = reason_label(code);
      if (reasons.size() >= kMaxReasonLabels && !reasons.count(label)) label = "other";
      reasons[label] += count.is_number() ? count.get<double>() : 0;
    }
  metrics::Family& f = s.add("aegis_changes_rejected_total", Kind::counter, help);
  for (const auto& [reason, count] : reasons) f.samples.push_back({{{"reason", reason}}, count});
}

void add_authority(metrics::Snapshot& s, const Json& status) {
  const Json& peers = status.value("peers", Json::array());
  const Json peer = peers.empty() ? Json::object() : peers.front();
  s.add("aegis_ready", Kind::gauge,
        "1 when the sync session with the index is ready (Welcome received), else 0",
        peer.value("session", "") == "ready" ? 1 : 0);
  s.add("aegis_connected", Kind::gauge, "1 when connected to the index (CURVE handshake done)",
        peer.value("connection", "") == "connected" ? 1 : 0);
  s.add("aegis_outbox_seq", Kind::gauge, "seq of the last change in the outbox",
        number(peer, "outbox_tail"));
  s.add("aegis_backlog_changes", Kind::gauge,
        "changes in the outbox the index has not acknowledged", number(peer, "backlog"));
  s.add("aegis_lag_seconds", Kind::gauge,
        "age of the oldest change the index has not acknowledged (0 without backlog)",
        number(peer, "lag_s"));
  s.add("aegis_changes_sent_total", Kind::counter,
        "changes pushed to the index since start, resends included", number(peer, "changes_sent"));
  s.add("aegis_changes_applied_total", Kind::counter,
        "changes of this authority the index applied (its highest acknowledged seq)",
        number(peer, "last_acked_seq"));
  add_rejections(s, peer.value("rejected", Json::object()),
                 "changes the index rejected since start, by protocol error code");
  const Json inbox = status.value("inbox", Json::object());
  metrics::Family& files = s.add("aegis_import_files_total", Kind::counter,
                                 "inbox files taken since start, by outcome");
  for (const char* outcome : {"imported", "rejected", "failed"})
    files.samples.push_back({{{"outcome", outcome}}, number(inbox, outcome)});
  s.add("aegis_import_records_total", Kind::counter,
        "records read from imported inbox files since start", number(inbox, "records"));
  s.add("aegis_national_ids", Kind::gauge, "records of this authority with a national id",
        number(peer, "national_ids"));
  s.add("aegis_feed_items", Kind::gauge, "feed items received from the index (the feed seq)",
        number(peer, "feed_seq"));
  const Json audit = peer.value("audit", Json::object());
  s.add("aegis_audit_checkpoint_size", Kind::gauge,
        "entries of the index's audit log covered by the checkpoint this authority holds",
        number(audit, "held_size"));
  s.add("aegis_audit_forks", Kind::gauge,
        "audit checkpoint notices refused as forks and not resolved yet (0 when all is well)",
        number(audit, "open_forks"));
}

void add_index(metrics::Snapshot& s, const Json& status) {
  const Json totals = status.value("totals", Json::object());
  double connected = 0;
  for (const Json& p : status.value("peers", Json::array()))
    connected += p.value("connection", "") == "connected" ? 1 : 0;
  s.add("aegis_ready", Kind::gauge, "1 while the index is serving (sync socket bound)", 1);
  s.add("aegis_authorities", Kind::gauge, "authorities the index holds changes of",
        number(totals, "authorities"));
  s.add("aegis_authorities_connected", Kind::gauge, "authorities with a session now", connected);
  s.add("aegis_changes_applied_total", Kind::counter, "changes applied (stored), all authorities",
        number(totals, "envelopes"));
  add_rejections(s, status.value("rejections_by_code", Json::object()),
                 "changes rejected, repeats included, by protocol error code");
  s.add("aegis_refused_connections_total", Kind::counter,
        "connections refused at the CURVE/ZAP handshake since start",
        number(status, "refused_connections"));
  s.add("aegis_refused_messages_total", Kind::counter,
        "messages refused on admitted connections (malformed, out of order, not authorised) "
        "since start",
        number(status, "refused_messages"));
  s.add("aegis_live_records", Kind::gauge, "records not deleted, all authorities",
        number(totals, "live_records"));
  s.add("aegis_national_ids", Kind::gauge, "national child ids in use (not merged or retired)",
        number(status, "national_ids"));
  s.add("aegis_feed_items", Kind::gauge, "feed items written, all authorities",
        number(totals, "feed_items"));
  s.add("aegis_queries_total", Kind::counter, "queries answered (no query interface yet: 0)",
        number(status, "queries"));
  s.add("aegis_resolution_queue_length", Kind::gauge,
        "record pairs waiting for an operator (aegis review list)",
        number(status, "review_queue"));
}

}  // namespace

std::string reason_label(const std::string& code) {
  if (code.empty() || code.size() > 48) return "other";
  for (char c : code)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) return "other";
  return code;
}

metrics::Snapshot node_metrics(const Json& status) {
  metrics::Snapshot s;
  s.add("aegis_up", Kind::gauge, "1: the daemon answers", 1);
  s.add("aegis_info", Kind::gauge, "the node's role, id and aegisd version (value 1)")
      .samples.push_back({{{"role", status.value("role", "")},
                           {"id", status.value("id", "")},
                           {"version", status.value("version", "")}},
                          1});
  s.add("aegis_start_time_seconds", Kind::gauge, "when the daemon started (Unix time)",
        number(status, "started_ms") / 1000.0);
  s.add("aegis_trust_bundle_version", Kind::gauge, "version of the trust bundle in force",
        number(status, "trust_version"));
  s.add("aegis_trust_bundle_expiry_timestamp_seconds", Kind::gauge,
        "when the trust bundle in force expires (Unix time)",
        number(status, "trust_expires_ms") / 1000.0);
  if (status.value("role", "") == "index")
    add_index(s, status);
  else
    add_authority(s, status);
  return s;
}

ScrapeExchange::ScrapeExchange() : fd_(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {
  if (fd_ < 0) throw std::runtime_error(std::string("eventfd: ") + std::strerror(errno));
}

ScrapeExchange::~ScrapeExchange() { ::close(fd_); }

std::string ScrapeExchange::request(std::chrono::milliseconds wait) {
  std::unique_lock lock(mutex_);
  if (closed_) return text_;
  const std::uint64_t asked = generation_;
  const std::uint64_t one = 1;
  if (::write(fd_, &one, sizeof one) < 0 && errno != EAGAIN) return text_;
  answered_.wait_for(lock, wait, [&] { return closed_ || generation_ != asked; });
  return text_;
}

std::string ScrapeExchange::answer(const std::function<std::string()>& build) {
  std::uint64_t count = 0;
  if (::read(fd_, &count, sizeof count) < 0) count = 0;  // clears it (EAGAIN: nothing asked)
  std::string text;
  std::string error;
  try {
    text = build();
  } catch (const std::exception& e) {
    error = e.what();
  }
  const bool ok = error.empty();
  {
    std::lock_guard lock(mutex_);
    if (ok) text_ = std::move(text);
    ++generation_;
  }
  answered_.notify_all();
  return error;
}

void ScrapeExchange::close() {
  {
    std::lock_guard lock(mutex_);
    closed_ = true;
  }
  answered_.notify_all();
}

}  // namespace aegis::daemon
