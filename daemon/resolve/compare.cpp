// Field comparators: Jaro-Winkler, Soundex and the per-field agreement levels.
#include "resolve/compare.hpp"

#include <algorithm>
#include <vector>

namespace aegis::resolve {

std::string_view field_name(Field f) noexcept {
  switch (f) {
    case Field::upn: return "upn";
    case Field::uln: return "uln";
    case Field::nhs_number: return "nhs_number";
    case Field::given_name: return "given_name";
    case Field::family_name: return "family_name";
    case Field::name_order: return "name_order";
    case Field::date_of_birth: return "date_of_birth";
    case Field::gender: return "gender";
    case Field::postcode: return "postcode";
    case Field::address_line: return "address_line";
    case Field::middle_name: return "middle_name";
    case Field::locality: return "locality";
  }
  return "unknown";
}

std::string_view level_name(Level l) noexcept {
  switch (l) {
    case Level::missing: return "missing";
    case Level::agree: return "agree";
    case Level::variant: return "variant";
    case Level::similar: return "similar";
    case Level::close: return "close";
    case Level::initial: return "initial";
    case Level::transposed: return "transposed";
    case Level::one_part: return "one_part";
    case Level::outward: return "outward";
    case Level::swapped: return "swapped";
    case Level::disagree: return "disagree";
  }
  return "unknown";
}

double jaro_winkler(std::string_view a, std::string_view b) noexcept {
  if (a.empty() && b.empty()) return 1.0;
  if (a.empty() || b.empty()) return 0.0;
  if (a == b) return 1.0;
  // Characters match when equal and no further apart than half the longer length, minus one.
  const std::size_t window = std::max<std::size_t>(std::max(a.size(), b.size()) / 2, 1) - 1;
  constexpr std::size_t kStack = 128;
  bool a_stack[kStack] = {};
  bool b_stack[kStack] = {};
  std::vector<bool> a_heap;
  std::vector<bool> b_heap;
  const bool heap = a.size() > kStack || b.size() > kStack;
  if (heap) {
    a_heap.assign(a.size(), false);
    b_heap.assign(b.size(), false);
  }
  auto a_matched = [&](std::size_t i) -> bool { return heap ? a_heap[i] : a_stack[i]; };
  auto b_matched = [&](std::size_t j) -> bool { return heap ? b_heap[j] : b_stack[j]; };
  std::size_t matches = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    const std::size_t lo = i > window ? i - window : 0;
    const std::size_t hi = std::min(b.size(), i + window + 1);
    for (std::size_t j = lo; j < hi; ++j) {
      if (b_matched(j) || a[i] != b[j]) continue;
      if (heap) { a_heap[i] = true; b_heap[j] = true; } else { a_stack[i] = true; b_stack[j] = true; }
      ++matches;
      break;
    }
  }
  if (matches == 0) return 0.0;
  std::size_t half_transpositions = 0;
  std::size_t k = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (!a_matched(i)) continue;
    while (!b_matched(k)) ++k;
    if (a[i] != b[k]) ++half_transpositions;
    ++k;
  }
  const double m = static_cast<double>(matches);
  const double t = static_cast<double>(half_transpositions / 2);
  const double jaro = (m / static_cast<double>(a.size()) + m / static_cast<double>(b.size()) +
                       (m - t) / m) / 3.0;
  std::size_t prefix = 0;
  while (prefix < 4 && prefix < a.size() && prefix < b.size() && a[prefix] == b[prefix]) ++prefix;
  return jaro + static_cast<double>(prefix) * 0.1 * (1.0 - jaro);
}

std::string soundex(std::string_view s) {
  // Digit of each letter a..z; '0' for vowels and y, '-' for h and w (they do not separate).
  static constexpr std::string_view kCodes = "01230120022455012623010202";
  std::string out;
  char last = 0;
  for (char c : s) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c < 'a' || c > 'z') continue;
    const char code = kCodes[static_cast<std::size_t>(c - 'a')];
    if (out.empty()) {
      out.push_back(static_cast<char>(c - 'a' + 'A'));
      last = code;
      continue;
    }
    if (c == 'h' || c == 'w') continue;
    if (code != '0' && code != last) out.push_back(code);
    last = code;
    if (out.size() == 4) break;
  }
  if (!out.empty()) out.resize(4, '0');
  return out;
}

Level compare_text(std::string_view a, std::string_view b) {
  if (a.empty() || b.empty()) return Level::missing;
  if (a == b) return Level::agree;
  const double jw = jaro_winkler(a, b);
  if (jw >= 0.92 || (std::min(a.size(), b.size()) >= 4 && one_edit_apart(a, b))) {
    return Level::similar;
  }
  if (jw >= 0.85) return Level::close;
  return Level::disagree;
}

namespace {

// Lower rank = stronger agreement, for picking the best of several comparisons.
int rank(Level l) {
  switch (l) {
    case Level::agree: return 0;
    case Level::variant: return 1;
    case Level::similar: return 2;
    case Level::close: return 3;
    case Level::initial: return 4;
    case Level::disagree: return 5;
    default: return 6;
  }
}

Level best(Level a, Level b) { return rank(a) <= rank(b) ? a : b; }

// True when `part` is one whole word of `whole` ("smith" in "smith jones").
bool is_word_of(std::string_view part, std::string_view whole) {
  if (part.size() < 3 || part.size() >= whole.size()) return false;
  std::size_t start = 0;
  while (start <= whole.size()) {
    std::size_t end = whole.find(' ', start);
    if (end == std::string_view::npos) end = whole.size();
    if (whole.substr(start, end - start) == part) return true;
    start = end + 1;
  }
  return false;
}

Level compare_family_names(std::string_view a, std::string_view b) {
  Level l = compare_text(a, b);
  if (rank(l) > rank(Level::similar) && (is_word_of(a, b) || is_word_of(b, a))) {
    l = Level::similar;
  }
  return l;
}

}  // namespace

bool one_edit_apart(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) {
    // One insertion or deletion.
    const std::string_view& longer = a.size() > b.size() ? a : b;
    const std::string_view& shorter = a.size() > b.size() ? b : a;
    if (longer.size() != shorter.size() + 1) return false;
    std::size_t i = 0;
    while (i < shorter.size() && shorter[i] == longer[i]) ++i;
    return shorter.substr(i) == longer.substr(i + 1);
  }
  std::size_t first = a.size();
  std::size_t diffs = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (a[i] == b[i]) continue;
    if (diffs++ == 0) first = i;
  }
  if (diffs == 1) return true;
  // Two neighbouring characters exchanged.
  return diffs == 2 && first + 1 < a.size() && a[first] == b[first + 1] && a[first + 1] == b[first];
}

Level compare_given(const MatchRecord& a, const MatchRecord& b) {
  const std::string& x = a.name.given;
  const std::string& y = b.name.given;
  if (x.empty() || y.empty()) return Level::missing;
  Level l = compare_text(x, y);
  if (l == Level::agree) return l;
  if (name_variants(x, y) || (!a.middle.empty() && a.middle == y) ||
      (!b.middle.empty() && b.middle == x)) {
    return Level::variant;
  }
  if (l == Level::disagree && (x.size() == 1 || y.size() == 1) && x[0] == y[0]) {
    return Level::initial;
  }
  return l;
}

Level compare_family(const MatchRecord& a, const MatchRecord& b) {
  Level l = compare_family_names(a.name.family, b.name.family);
  for (const auto& f : b.former) l = best(l, compare_family_names(a.name.family, f.family));
  for (const auto& f : a.former) l = best(l, compare_family_names(f.family, b.name.family));
  return l;
}

Level compare_date_of_birth(const protocol::Date& a, const protocol::Date& b) {
  if (a == b) return Level::agree;
  if (a.year == b.year && a.day == b.month && a.month == b.day) return Level::transposed;
  const int same = (a.year == b.year) + (a.month == b.month) + (a.day == b.day);
  return same == 2 ? Level::one_part : Level::disagree;
}

Level compare_gender(protocol::Gender a, protocol::Gender b) {
  auto known = [](protocol::Gender g) {
    return g == protocol::Gender::male || g == protocol::Gender::female;
  };
  if (!known(a) || !known(b)) return Level::missing;
  return a == b ? Level::agree : Level::disagree;
}

Level compare_postcode(const MatchRecord& a, const MatchRecord& b) {
  if (a.postcode.empty() || b.postcode.empty()) return Level::missing;
  if (a.postcode == b.postcode) return Level::agree;
  if (!a.outward.empty() && a.outward == b.outward) return Level::outward;
  return one_edit_apart(a.postcode, b.postcode) ? Level::close : Level::disagree;
}

namespace {

// The house number an address line starts with ("12a high street" -> "12a"), or empty.
std::string_view house_number(std::string_view line) {
  if (line.empty() || line[0] < '0' || line[0] > '9') return {};
  return line.substr(0, line.find(' '));
}

}  // namespace

Level compare_address_line(const MatchRecord& a, const MatchRecord& b) {
  const Level l = compare_text(a.address_line, b.address_line);
  // The same street at another number is a neighbour, not the same home.
  const std::string_view x = house_number(a.address_line);
  const std::string_view y = house_number(b.address_line);
  if (l == Level::similar && !x.empty() && !y.empty() && x != y) return Level::close;
  return l;
}

Level compare_middle(const MatchRecord& a, const MatchRecord& b) {
  const std::string& x = a.middle;
  const std::string& y = b.middle;
  if (x.empty() || y.empty()) return Level::missing;
  const Level l = compare_text(x, y);
  if (l == Level::disagree && (x.size() == 1 || y.size() == 1) && x[0] == y[0]) {
    return Level::initial;
  }
  return l;
}

namespace {

// The lines of a locality ("a | b" -> {"a", "b"}).
std::vector<std::string_view> locality_lines(std::string_view s) {
  std::vector<std::string_view> out;
  while (!s.empty()) {
    const auto bar = s.find(" | ");
    out.push_back(s.substr(0, bar));
    if (bar == std::string_view::npos) break;
    s.remove_prefix(bar + 3);
  }
  return out;
}

}  // namespace

Level compare_locality(const MatchRecord& a, const MatchRecord& b) {
  if (a.locality.empty() || b.locality.empty()) return Level::missing;
  const Level l = compare_text(a.locality, b.locality);
  if (l != Level::disagree) return l;
  for (const std::string_view x : locality_lines(a.locality)) {
    for (const std::string_view y : locality_lines(b.locality)) {
      if (x == y) return Level::close;
    }
  }
  return l;
}

Level compare_identifier(const MatchRecord& a, const MatchRecord& b, IdentifierKind kind) {
  bool a_has = false;
  bool b_has = false;
  for (const auto& t : a.tokens) {
    if (t.kind != kind) continue;
    a_has = true;
    for (const auto& u : b.tokens) {
      if (u == t) return Level::agree;
    }
  }
  for (const auto& u : b.tokens) b_has = b_has || u.kind == kind;
  return a_has && b_has ? Level::disagree : Level::missing;
}

}  // namespace aegis::resolve
