// aegisd's retention job: when the index runs it next (the first tick of the next UTC day).
#include <catch2/catch.hpp>

#include "aegisd/retention_job.hpp"
#include "retention/retention.hpp"

using aegis::daemon::next_utc_day_ms;
using aegis::protocol::Date;
using aegis::retention::utc_date;

namespace {
constexpr std::uint64_t kDayMs = 24ull * 60 * 60 * 1000;
constexpr std::uint64_t k2026_11_27 = 1795737600000ull;  // 2026-11-27T00:00:00Z
}  // namespace

TEST_CASE("retention job: the index's next run is at the start of the next UTC day") {
  REQUIRE(utc_date(k2026_11_27) == Date{2026, 11, 27});
  CHECK(next_utc_day_ms(k2026_11_27) == k2026_11_27 + kDayMs);       // midnight: the next one
  CHECK(next_utc_day_ms(k2026_11_27 + 1) == k2026_11_27 + kDayMs);
  CHECK(next_utc_day_ms(k2026_11_27 + kDayMs - 1) == k2026_11_27 + kDayMs);
  CHECK(utc_date(next_utc_day_ms(k2026_11_27 + 5 * 3600 * 1000)) == Date{2026, 11, 28});
  CHECK(next_utc_day_ms(0) == kDayMs);
  // 2028-02-28 23:59:59.999 -> 2028-02-29 (a leap day).
  const std::uint64_t leap_eve = 1835308800000ull;  // 2028-02-28T00:00:00Z
  REQUIRE(utc_date(leap_eve) == Date{2028, 2, 28});
  CHECK(utc_date(next_utc_day_ms(leap_eve + kDayMs - 1)) == Date{2028, 2, 29});
}
