// aegisd's daily retention job, in both roles (docs/query.md "Retention", docs/aegisd.md): at
// start and every 24 hours, the store archives and purges what is due on the day of the
// daemon's clock. `aegis retention run --now DATE` does the same work by hand for any day.
// Logs ids and counts only: never personal data.
#pragma once

#include <cstdint>

#include "index/index_store.hpp"
#include "store/store.hpp"

namespace aegis::daemon {

inline constexpr std::uint64_t kRetentionEveryMs = 24ull * 60 * 60 * 1000;

// The authority's run (purges append delete envelopes, signed through `signing`).
void run_retention_job(store::Store& store, const store::Signing& signing, std::uint64_t now_ms);
// The index's run.
void run_retention_job(index::IndexStore& store, std::uint64_t now_ms);

}  // namespace aegis::daemon
