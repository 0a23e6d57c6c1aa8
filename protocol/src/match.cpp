// Match tokens (match.hpp, docs/PROTOCOL.md §14): the token input, the tokens of a record's
// valid identifiers, and the `match` field's encoding and checks.
#include "aegis/protocol/match.hpp"

#include <optional>
#include <string>

#include "aegis/protocol/codec.hpp"
#include "decode_rules.hpp"

namespace aegis::protocol {

namespace {

inline constexpr std::size_t kMatchFields = 2;  // [key_id, entries]
inline constexpr std::size_t kEntryFields = 2;  // [kind, token]

bool known_kind(std::uint64_t code) {
  return code >= static_cast<std::uint64_t>(IdentifierKind::upn) &&
         code <= static_cast<std::uint64_t>(IdentifierKind::nhs_number);
}

}  // namespace

const MatchToken* MatchTokens::find(IdentifierKind kind) const {
  for (const MatchEntry& e : entries)
    if (e.kind == kind) return &e.token;
  return nullptr;
}

Bytes match_input(IdentifierKind kind, std::string_view identifier) {
  Bytes in;
  in.reserve(kDomainMatch.size() + 2 + identifier.size());
  in.insert(in.end(), kDomainMatch.begin(), kDomainMatch.end());
  in.push_back(0x00);
  in.push_back(static_cast<std::uint8_t>(kind));
  in.insert(in.end(), identifier.begin(), identifier.end());
  return in;
}

MatchTokens make_match_tokens(const ChildDetails& details, const MatchTokenizer& tokenizer) {
  MatchTokens m;
  m.key_id = tokenizer.key_id();
  const std::pair<IdentifierKind, const std::optional<std::string>*> identifiers[] = {
      {IdentifierKind::upn, &details.upn},
      {IdentifierKind::uln, &details.uln},
      {IdentifierKind::nhs_number, &details.nhs_number},
  };
  for (const auto& [kind, value] : identifiers) {
    if (!*value || check_identifier(kind, **value)) continue;
    m.entries.push_back(MatchEntry{kind, tokenizer.token(match_input(kind, **value))});
  }
  return m;
}

void write_match_tokens(Writer& w, const MatchTokens& m) {
  w.array(kMatchFields);
  w.uint(m.key_id);
  w.array(static_cast<std::uint32_t>(m.entries.size()));
  for (const MatchEntry& e : m.entries) {
    w.array(kEntryFields);
    w.uint(static_cast<std::uint64_t>(e.kind));
    w.bin(e.token);
  }
}

MatchTokens read_match_tokens(const Node& n) {
  MatchTokens m;
  DecodeContext& ctx = n.context();
  ArrayNode a = detail::read_struct(n, kMatchFields);

  Node key_id = a.field(0, "key_id");
  m.key_id = key_id.as_uint();
  if (!ctx.failed() && m.key_id == 0) key_id.fail(Errc::invalid_field, "must be at least 1");

  ArrayNode list = a.field(1, "entries").as_array(0, kMaxMatchEntries);
  std::uint64_t previous = 0;
  for (std::size_t i = 0; i < list.size() && !ctx.failed(); ++i) {
    ArrayNode entry = detail::read_struct(list.item(i), kEntryFields);
    Node kind = entry.field(0, "kind");
    const std::uint64_t code = kind.as_uint();
    if (!ctx.failed() && !known_kind(code))
      kind.fail(Errc::invalid_field, "unknown identifier kind " + std::to_string(code));
    else if (!ctx.failed() && code <= previous)
      kind.fail(Errc::invalid_field, "kinds not ascending: " + std::to_string(code) + " after " +
                                         std::to_string(previous) + " (each kind at most once)");
    previous = code;
    const MatchToken token = entry.field(1, "token").as_fixed_bin<kMatchTokenSize>();
    m.entries.push_back(MatchEntry{static_cast<IdentifierKind>(code), token});
  }
  return m;
}

}  // namespace aegis::protocol
