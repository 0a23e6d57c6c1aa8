// aegisd's daily retention job, in both roles (docs/query.md "Retention", docs/aegisd.md): the
// store archives and purges what is due on the day of the daemon's clock — an authority at
// start and every 24 hours; the index once per UTC day (at its first tick of the day, not again
// when restarted on a day its store already ran: run_retention decodes every live record, a
// sixth of an index restart on a store of 42,600 records). `aegis retention run --now DATE`
// does the same work by hand for any day. Logs ids and counts only: never personal data.
#pragma once

#include <cstdint>

#include "index/index_store.hpp"
#include "store/store.hpp"

namespace aegis::daemon {

inline constexpr std::uint64_t kRetentionEveryMs = 24ull * 60 * 60 * 1000;

// The authority's run (purges append delete envelopes, signed through `signing`).
void run_retention_job(store::Store& store, const store::Signing& signing, std::uint64_t now_ms);
// The index's run; false when it failed (logged).
bool run_retention_job(index::IndexStore& store, std::uint64_t now_ms);

// The first millisecond of the UTC day after the one `now_ms` is in.
std::uint64_t next_utc_day_ms(std::uint64_t now_ms);

}  // namespace aegis::daemon
