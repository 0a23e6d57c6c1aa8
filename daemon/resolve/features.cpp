// Building MatchRecords: text normalisation (accent folding) and the fields a record exposes.
#include "resolve/features.hpp"

#include <algorithm>

namespace aegis::resolve {

std::string_view identifier_kind_name(IdentifierKind k) noexcept {
  switch (k) {
    case IdentifierKind::upn: return "upn";
    case IdentifierKind::uln: return "uln";
    case IdentifierKind::nhs_number: return "nhs_number";
  }
  return "unknown";
}

namespace {

// Base letters of U+00C0..U+00FF; "" = punctuation (becomes a space).
constexpr std::string_view kLatin1[64] = {
    "a", "a", "a", "a", "a", "a", "ae", "c", "e", "e", "e", "e", "i", "i", "i", "i",
    "d", "n", "o", "o", "o", "o", "o", "",  "o", "u", "u", "u", "u", "y", "th", "ss",
    "a", "a", "a", "a", "a", "a", "ae", "c", "e", "e", "e", "e", "i", "i", "i", "i",
    "d", "n", "o", "o", "o", "o", "o", "",  "o", "u", "u", "u", "u", "y", "th", "y"};

// Latin Extended-A (U+0100..U+017F) as ranges of code points sharing a base letter.
struct FoldRange {
  char32_t first;
  char32_t last;
  std::string_view base;
};
constexpr FoldRange kLatinExtA[] = {
    {0x100, 0x105, "a"}, {0x106, 0x10D, "c"}, {0x10E, 0x111, "d"}, {0x112, 0x11B, "e"},
    {0x11C, 0x123, "g"}, {0x124, 0x127, "h"}, {0x128, 0x131, "i"}, {0x132, 0x133, "ij"},
    {0x134, 0x135, "j"}, {0x136, 0x138, "k"}, {0x139, 0x142, "l"}, {0x143, 0x14B, "n"},
    {0x14C, 0x151, "o"}, {0x152, 0x153, "oe"}, {0x154, 0x159, "r"}, {0x15A, 0x161, "s"},
    {0x162, 0x167, "t"}, {0x168, 0x173, "u"}, {0x174, 0x175, "w"}, {0x176, 0x178, "y"},
    {0x179, 0x17E, "z"}, {0x17F, 0x17F, "s"}};

// Decodes one UTF-8 sequence at s[i]; returns its length (1 for a stray byte, kept as is).
std::size_t decode_utf8(std::string_view s, std::size_t i, char32_t& cp) {
  const auto b = static_cast<unsigned char>(s[i]);
  std::size_t len = b < 0x80 ? 1 : (b >> 5) == 6 ? 2 : (b >> 4) == 14 ? 3 : (b >> 3) == 30 ? 4 : 1;
  if (i + len > s.size()) len = 1;
  if (len == 1) {
    cp = b < 0x80 ? b : 0xFFFD;  // a stray byte: not folded, kept as it is
    return 1;
  }
  cp = b & (0x7F >> len);
  for (std::size_t k = 1; k < len; ++k) cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3F);
  return len;
}

void append_space(std::string& out) {
  if (!out.empty() && out.back() != ' ') out.push_back(' ');
}

}  // namespace

std::string normalise_text(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size();) {
    char32_t cp = 0;
    const std::size_t len = decode_utf8(s, i, cp);
    if (cp < 0x80) {
      const auto c = static_cast<char>(cp);
      if (c >= 'A' && c <= 'Z') {
        out.push_back(static_cast<char>(c - 'A' + 'a'));
      } else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
        out.push_back(c);
      } else if (c != '\'' && c != '.') {
        append_space(out);
      }
    } else if (cp == 0x2019 || cp == 0x2018) {
      // typographic apostrophes: dropped like '
    } else if (cp >= 0xC0 && cp <= 0xFF) {
      const std::string_view base = kLatin1[cp - 0xC0];
      if (base.empty()) append_space(out); else out += base;
    } else if (cp >= 0x80 && cp < 0xC0) {
      append_space(out);  // Latin-1 punctuation and spaces (non-breaking space...)
    } else {
      const auto* r = std::find_if(std::begin(kLatinExtA), std::end(kLatinExtA),
                                   [cp](const FoldRange& f) { return cp >= f.first && cp <= f.last; });
      if (r != std::end(kLatinExtA)) out += r->base; else out.append(s.substr(i, len));
    }
    i += len;
  }
  if (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

std::string normalise_postcode_key(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c >= 'a' && c <= 'z') out.push_back(static_cast<char>(c - 'a' + 'A'));
    else if ((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) out.push_back(c);
  }
  return out;
}

namespace {

MatchName match_name(const protocol::PersonName& n) {
  MatchName m;
  m.given = normalise_text(n.given);
  m.family = normalise_text(n.family);
  return m;
}

}  // namespace

MatchRecord make_match_record(std::string_view authority_id, std::string_view record_id,
                              const protocol::ChildIdentity& identity,
                              const protocol::ChildDetails* clear_details,
                              std::vector<IdentifierToken> tokens) {
  MatchRecord m;
  m.ref = {std::string(authority_id), std::string(record_id)};
  m.name = match_name(identity.name);
  m.middle = normalise_text(identity.name.middle);
  for (const auto& f : identity.former_names) m.former.push_back(match_name(f));
  m.gender = identity.gender;
  m.date_of_birth = identity.date_of_birth;
  m.clear = clear_details != nullptr;
  if (clear_details && clear_details->address) {
    const protocol::Address& a = *clear_details->address;
    m.postcode = normalise_postcode_key(a.postcode);
    // A UK postcode's inward code is its last three characters ("LS1 4AP" -> outward "LS1").
    const auto space = a.postcode.find(' ');
    if (space != std::string::npos) m.outward = normalise_postcode_key(a.postcode.substr(0, space));
    if (!a.lines.empty()) m.address_line = normalise_text(a.lines.front());
    for (std::size_t i = 1; i < a.lines.size(); ++i) {
      const std::string line = normalise_text(a.lines[i]);
      if (line.empty()) continue;
      if (!m.locality.empty()) m.locality += " | ";
      m.locality += line;
    }
  }
  std::sort(tokens.begin(), tokens.end());
  tokens.erase(std::unique(tokens.begin(), tokens.end()), tokens.end());
  m.tokens = std::move(tokens);
  return m;
}

}  // namespace aegis::resolve
