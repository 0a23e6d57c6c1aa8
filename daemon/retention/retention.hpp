// Retention rules (docs/query.md, "Retention"): when a child's record is archived (kept, no
// longer returned by search) and when it is purged (personal data erased), from the record's
// dates and whether a consent to retain is recorded. Pure: the day is passed in, no clock here.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "aegis/protocol/record.hpp"

namespace aegis::retention {

inline constexpr int kArchiveAge = 18;              // archive at the 18th birthday...
inline constexpr int kArchiveAgeWithConsent = 25;   // ...or the 25th with consent to retain
inline constexpr int kYearsAfterDeath = 1;          // archive one year after a recorded death
inline constexpr int kPurgeYearsAfterArchive = 6;   // purge six years after archiving

// What the rules read of a record.
struct Facts {
  protocol::Date date_of_birth;
  std::optional<protocol::Date> date_of_death;
  bool consent_to_retain = false;  // withdrawn consent is simply false again
};

// The two dates of a record. They may lie beyond protocol::Date's year range (a child born in
// 2190): compared as dates, never encoded.
struct Schedule {
  protocol::Date archive_on;
  protocol::Date purge_on;
};

// Where a record stands on a given day.
enum class Stage : std::uint8_t { active, archive_due, purge_due };
std::string_view stage_name(Stage s) noexcept;  // "active", "archive_due", "purge_due"

Facts facts_of(const protocol::ChildIdentity& identity, bool consent_to_retain);

// archive_on = the 18th birthday (25th with consent), or one year after a recorded death when
// that comes first; purge_on = six years after archive_on. Anniversaries of 29 February fall
// on 1 March in years that have none.
Schedule schedule(const Facts& facts);

// active before archive_on, archive_due from archive_on, purge_due from purge_on.
Stage stage_on(const Schedule& schedule, protocol::Date today);

// `years` after `d`, 29 February -> 1 March when that year has none.
protocol::Date add_years(protocol::Date d, int years);

// The UTC calendar date of a Unix time in milliseconds.
protocol::Date utc_date(std::uint64_t unix_ms);

}  // namespace aegis::retention
