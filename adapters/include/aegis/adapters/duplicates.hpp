// Duplicate identifiers within one file (docs/adapters.md, "Validation"): the first occurrence
// of an identifier is imported, every later one is quarantined with "duplicate <kind>".
// One guard per file. It keeps every identifier exactly (no hashing shortcuts that could call
// two different children duplicates), compactly: about 30 bytes per identifier of up to 16
// bytes (UPN, ULN, NHS number, short local ids), more for longer ones.
#pragma once

#include <array>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

namespace aegis::adapters {

class DuplicateGuard {
 public:
  // Remembers `value` under `kind` ("UPN", "ULN", "NHS number", "local id"...). Returns
  // nullopt the first time, else the reason "duplicate <kind>" (never the value).
  std::optional<std::string> seen(std::string_view kind, std::string_view value);

  // True when `value` was already seen under `kind`, without remembering it.
  bool contains(std::string_view kind, std::string_view value) const;

 private:
  static constexpr std::size_t kShort = 16;
  using Slot = std::array<char, kShort + 1>;  // [0]: 0 empty, else length + 1; then the bytes

  // An open-addressing set of values up to kShort bytes, and a node set for longer ones.
  struct Values {
    std::string kind;
    std::vector<Slot> slots;
    std::size_t count = 0;
    std::unordered_set<std::string> long_values;

    std::size_t find(std::string_view value) const;  // its slot, or the empty slot it would take
    bool contains(std::string_view value) const;
    bool insert(std::string_view value);  // false when already there
    void grow();
  };

  Values& values_for(std::string_view kind);  // created on first use
  std::vector<Values> kinds_;                 // a handful: linear search
};

}  // namespace aegis::adapters
