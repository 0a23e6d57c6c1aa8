// aegisd's daily retention job (retention_job.hpp).
#include "retention_job.hpp"

#include "log.hpp"
#include "retention/retention.hpp"

namespace aegis::daemon {

void run_retention_job(store::Store& store, const store::Signing& signing, std::uint64_t now_ms) {
  const protocol::Date day = retention::utc_date(now_ms);
  auto run = store.run_retention(day, signing);
  if (!run) {
    log::error("retention_failed", {{"detail", run.error().message()}});
    return;
  }
  for (const std::string& id : run->purged) log::info("purged", {{"record", id}});
  log::info("retention", {{"day", day.to_string()},
                          {"archived", std::uint64_t{run->archived.size()}},
                          {"purged", std::uint64_t{run->purged.size()}},
                          {"waiting_sync", std::uint64_t{run->waiting_sync.size()}}});
}

bool run_retention_job(index::IndexStore& store, std::uint64_t now_ms) {
  const protocol::Date day = retention::utc_date(now_ms);
  auto run = store.run_retention(day, now_ms);
  if (!run) {
    log::error("retention_failed", {{"detail", run.error().message()}});
    return false;
  }
  log::info("retention", {{"day", day.to_string()},
                          {"archived", std::uint64_t{run->archived.size()}},
                          {"purged", std::uint64_t{run->purged.size()}},
                          {"waiting_sync", std::uint64_t{run->waiting_sync.size()}}});
  return true;
}

std::uint64_t next_utc_day_ms(std::uint64_t now_ms) {
  constexpr std::uint64_t kDayMs = 24ull * 60 * 60 * 1000;
  return (now_ms / kDayMs + 1) * kDayMs;
}

}  // namespace aegis::daemon
