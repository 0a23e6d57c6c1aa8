// Retention rules (daemon/retention/retention.hpp): archive and purge dates, edge cases.
#include <catch2/catch.hpp>

#include "retention/retention.hpp"

using aegis::protocol::Date;
using namespace aegis::retention;

namespace {
Date d(int y, int m, int day) {
  return Date{static_cast<std::uint16_t>(y), static_cast<std::uint8_t>(m),
              static_cast<std::uint8_t>(day)};
}
}  // namespace

TEST_CASE("retention: archive at the 18th birthday, purge six years later") {
  const Schedule s = schedule(Facts{d(2008, 5, 17), std::nullopt, false});
  CHECK(s.archive_on == d(2026, 5, 17));
  CHECK(s.purge_on == d(2032, 5, 17));
  CHECK(stage_on(s, d(2026, 5, 16)) == Stage::active);
  CHECK(stage_on(s, d(2026, 5, 17)) == Stage::archive_due);
  CHECK(stage_on(s, d(2032, 5, 16)) == Stage::archive_due);
  CHECK(stage_on(s, d(2032, 5, 17)) == Stage::purge_due);
}

TEST_CASE("retention: consent to retain archives at the 25th birthday instead") {
  const Schedule s = schedule(Facts{d(2008, 5, 17), std::nullopt, true});
  CHECK(s.archive_on == d(2033, 5, 17));
  CHECK(s.purge_on == d(2039, 5, 17));
  CHECK(stage_on(s, d(2030, 1, 1)) == Stage::active);
}

TEST_CASE("retention: consent withdrawn after 18 makes the record due at once") {
  const Facts with{d(2005, 1, 10), std::nullopt, true};
  Facts withdrawn = with;
  withdrawn.consent_to_retain = false;
  CHECK(stage_on(schedule(with), d(2026, 11, 26)) == Stage::active);
  CHECK(stage_on(schedule(withdrawn), d(2026, 11, 26)) == Stage::archive_due);
}

TEST_CASE("retention: a 29 February birthday falls on 1 March in years without one") {
  const Schedule s = schedule(Facts{d(2008, 2, 29), std::nullopt, false});
  CHECK(s.archive_on == d(2026, 3, 1));
  CHECK(s.purge_on == d(2032, 3, 1));
  CHECK(stage_on(s, d(2026, 2, 28)) == Stage::active);
  // 18 years after a leap day in a leap year is the leap day itself.
  CHECK(schedule(Facts{d(2004, 2, 29), std::nullopt, false}).archive_on == d(2022, 3, 1));
  CHECK(add_years(d(2000, 2, 29), 4) == d(2004, 2, 29));
  CHECK(add_years(d(2000, 2, 29), 1) == d(2001, 3, 1));
}

TEST_CASE("retention: a death before 18 archives one year after the death") {
  const Schedule s = schedule(Facts{d(2015, 6, 1), d(2020, 8, 3), false});
  CHECK(s.archive_on == d(2021, 8, 3));
  CHECK(s.purge_on == d(2027, 8, 3));
  CHECK(stage_on(s, d(2021, 8, 2)) == Stage::active);
  CHECK(stage_on(s, d(2021, 8, 3)) == Stage::archive_due);
  // Consent to retain does not outlast the year after death.
  CHECK(schedule(Facts{d(2015, 6, 1), d(2020, 8, 3), true}).archive_on == d(2021, 8, 3));
}

TEST_CASE("retention: a death after the archive date does not move it later") {
  const Schedule s = schedule(Facts{d(2000, 6, 1), d(2023, 1, 1), false});
  CHECK(s.archive_on == d(2018, 6, 1));
  // With consent (25th birthday 2025-06-01) the death comes first: 2024-01-01.
  CHECK(schedule(Facts{d(2000, 6, 1), d(2023, 1, 1), true}).archive_on == d(2024, 1, 1));
}

TEST_CASE("retention: a death on 29 February archives on 1 March a year later") {
  CHECK(schedule(Facts{d(2015, 6, 1), d(2020, 2, 29), false}).archive_on == d(2021, 3, 1));
}

TEST_CASE("retention: dates in the future keep a record active") {
  // Born after today (a record entered ahead of a birth date): nothing is due.
  const Schedule unborn = schedule(Facts{d(2027, 3, 1), std::nullopt, false});
  CHECK(stage_on(unborn, d(2026, 11, 26)) == Stage::active);
  CHECK(unborn.archive_on == d(2045, 3, 1));
  // A recorded death later than today cannot bring archiving before it.
  const Schedule dies_later = schedule(Facts{d(2015, 1, 1), d(2027, 1, 1), false});
  CHECK(stage_on(dies_later, d(2026, 11, 26)) == Stage::active);
  CHECK(dies_later.archive_on == d(2028, 1, 1));
  // Years beyond the record model's range still compare correctly.
  const Schedule late = schedule(Facts{d(2199, 12, 31), std::nullopt, true});
  CHECK(late.purge_on == d(2230, 12, 31));
  CHECK(stage_on(late, d(2199, 12, 31)) == Stage::active);
}

TEST_CASE("retention: utc_date of Unix milliseconds") {
  CHECK(utc_date(0) == d(1970, 1, 1));
  CHECK(utc_date(951'782'400'000) == d(2000, 2, 29));
  CHECK(utc_date(951'868'799'999) == d(2000, 2, 29));
  CHECK(utc_date(951'868'800'000) == d(2000, 3, 1));
}

TEST_CASE("retention: facts_of reads the identity's dates") {
  aegis::protocol::ChildIdentity id;
  id.date_of_birth = d(2010, 4, 4);
  id.date_of_death = d(2011, 4, 4);
  const Facts f = facts_of(id, true);
  CHECK(f.date_of_birth == d(2010, 4, 4));
  CHECK(f.date_of_death == d(2011, 4, 4));
  CHECK(f.consent_to_retain);
  CHECK(stage_name(Stage::purge_due) == "purge_due");
}
