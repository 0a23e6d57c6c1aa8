// Retention rules: archive and purge dates of a record (retention.hpp, docs/query.md).
#include "retention/retention.hpp"

#include <algorithm>
#include <chrono>

namespace aegis::retention {

using protocol::Date;

std::string_view stage_name(Stage s) noexcept {
  switch (s) {
    case Stage::active: return "active";
    case Stage::archive_due: return "archive_due";
    case Stage::purge_due: return "purge_due";
  }
  return "unknown";
}

Facts facts_of(const protocol::ChildIdentity& identity, bool consent_to_retain) {
  return Facts{identity.date_of_birth, identity.date_of_death, consent_to_retain};
}

Date add_years(Date d, int years) {
  const int year = d.year + years;
  const std::chrono::year_month_day ymd{std::chrono::year{year},
                                        std::chrono::month{d.month}, std::chrono::day{d.day}};
  Date out{static_cast<std::uint16_t>(year), d.month, d.day};
  if (!ymd.ok()) {  // 29 February in a year without one: the day after 28 February
    out.month = 3;
    out.day = 1;
  }
  return out;
}

Schedule schedule(const Facts& facts) {
  const int age = facts.consent_to_retain ? kArchiveAgeWithConsent : kArchiveAge;
  Date archive_on = add_years(facts.date_of_birth, age);
  if (facts.date_of_death)
    archive_on = std::min(archive_on, add_years(*facts.date_of_death, kYearsAfterDeath));
  return Schedule{archive_on, add_years(archive_on, kPurgeYearsAfterArchive)};
}

Stage stage_on(const Schedule& s, Date today) {
  if (today >= s.purge_on) return Stage::purge_due;
  if (today >= s.archive_on) return Stage::archive_due;
  return Stage::active;
}

Date utc_date(std::uint64_t unix_ms) {
  using namespace std::chrono;
  const sys_days day = floor<days>(sys_time<milliseconds>(milliseconds(unix_ms)));
  const year_month_day ymd(day);
  return Date{static_cast<std::uint16_t>(static_cast<int>(ymd.year())),
              static_cast<std::uint8_t>(static_cast<unsigned>(ymd.month())),
              static_cast<std::uint8_t>(static_cast<unsigned>(ymd.day()))};
}

}  // namespace aegis::retention
