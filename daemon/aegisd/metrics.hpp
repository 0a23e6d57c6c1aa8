// aegisd's metrics (docs/operations.md, "Metrics"): what `aegis status` reports, as Prometheus
// metric families, and the hand-over of a scrape from the HTTP thread to the event loop. Every
// number comes from the role's status document, so status and metrics never disagree; no label
// carries personal data (labels are the role, the node id, the version, an outcome or a
// protocol error code).
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>

#include <nlohmann/json.hpp>

#include "metrics/exposition.hpp"

namespace aegis::daemon {

// How long a scrape waits for the event loop (busy with an import, say) before it is answered
// with the previous snapshot.
inline constexpr std::chrono::milliseconds kScrapeWaitMs{5000};
// At most this many distinct rejection reasons are labelled; others count as reason="other".
inline constexpr std::size_t kMaxReasonLabels = 32;

// The metric families of a node from its status document (the common fields, the role's fields
// and, for the index, "rejections_by_code" and "national_ids").
metrics::Snapshot node_metrics(const nlohmann::ordered_json& status);

// A rejection reason as a label value: a protocol error code ([a-z0-9_], at most 48 characters),
// or "other" for anything else (the codes an authority receives come from the network).
std::string reason_label(const std::string& code);

// The hand-over of scrapes: the HTTP thread asks (request), the event loop sees fd() readable
// and answers with fresh text built on its own thread (answer), so the role's state is only
// ever touched by the loop.
class ScrapeExchange {
 public:
  ScrapeExchange();  // an eventfd; throws std::runtime_error if there is none
  ~ScrapeExchange();
  ScrapeExchange(const ScrapeExchange&) = delete;
  ScrapeExchange& operator=(const ScrapeExchange&) = delete;

  int fd() const { return fd_; }
  // HTTP thread: fresh text, or after `wait` (or once closed) the previous text.
  std::string request(std::chrono::milliseconds wait);
  // Event loop, fd() readable: builds the text and wakes every waiting request. When `build`
  // throws, the previous text stays and the exception's message is returned ("" on success).
  std::string answer(const std::function<std::string()>& build);
  // Event loop, stopping: requests no longer wait.
  void close();

 private:
  int fd_ = -1;
  std::mutex mutex_;
  std::condition_variable answered_;
  std::uint64_t generation_ = 0;  // answers so far
  std::string text_;
  bool closed_ = false;
};

}  // namespace aegis::daemon
