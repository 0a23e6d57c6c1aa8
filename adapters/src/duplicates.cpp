// DuplicateGuard: identifiers already seen in one file (duplicates.hpp).
#include "aegis/adapters/duplicates.hpp"

#include <algorithm>
#include <cstdint>

namespace aegis::adapters {

namespace {

// FNV-1a, 64-bit: only places values in the table; equality is always checked on the bytes.
std::uint64_t fnv1a(std::string_view s) {
  std::uint64_t h = 14695981039346656037ull;
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

}  // namespace

std::size_t DuplicateGuard::Values::find(std::string_view value) const {
  const std::size_t mask = slots.size() - 1;  // size is a power of two
  for (std::size_t i = static_cast<std::size_t>(fnv1a(value)) & mask;; i = (i + 1) & mask) {
    const Slot& s = slots[i];
    if (s[0] == 0) return i;
    if (static_cast<std::size_t>(s[0]) - 1 == value.size() &&
        std::equal(value.begin(), value.end(), s.begin() + 1))
      return i;
  }
}

bool DuplicateGuard::Values::contains(std::string_view value) const {
  if (value.size() > kShort) return long_values.count(std::string(value)) != 0;
  return !slots.empty() && slots[find(value)][0] != 0;
}

bool DuplicateGuard::Values::insert(std::string_view value) {
  if (value.size() > kShort) return long_values.insert(std::string(value)).second;
  if ((count + 1) * 10 > slots.size() * 7) grow();  // load at most 0.7
  Slot& s = slots[find(value)];
  if (s[0] != 0) return false;
  s[0] = static_cast<char>(value.size() + 1);
  std::copy(value.begin(), value.end(), s.begin() + 1);
  ++count;
  return true;
}

void DuplicateGuard::Values::grow() {
  std::vector<Slot> old = std::move(slots);
  slots.assign(old.empty() ? 1024 : old.size() * 2, Slot{});
  for (const Slot& s : old)
    if (s[0] != 0)
      slots[find(std::string_view(s.data() + 1, static_cast<std::size_t>(s[0]) - 1))] = s;
}

DuplicateGuard::Values& DuplicateGuard::values_for(std::string_view kind) {
  for (auto& v : kinds_)
    if (v.kind == kind) return v;
  kinds_.push_back(Values{std::string(kind), {}, 0, {}});
  return kinds_.back();
}

std::optional<std::string> DuplicateGuard::seen(std::string_view kind, std::string_view value) {
  if (values_for(kind).insert(value)) return std::nullopt;
  return "duplicate " + std::string(kind);
}

bool DuplicateGuard::contains(std::string_view kind, std::string_view value) const {
  for (const auto& v : kinds_)
    if (v.kind == kind) return v.contains(value);
  return false;
}

}  // namespace aegis::adapters
