// Match tokens (docs/PROTOCOL.md §14): the token input, which identifiers get a token, the
// payload builder, RecordPayload versions 1 and 2, and the decoder's refusals with field paths.
#include <catch2/catch.hpp>

#include <string>

#include "aegis/protocol/codec.hpp"
#include "aegis/protocol/envelope.hpp"
#include "aegis/protocol/identifiers.hpp"
#include "aegis/protocol/match.hpp"
#include "decode_checks.hpp"
#include "envelope_fixtures.hpp"
#include "test_support.hpp"

using namespace aegis::protocol;
using namespace aegis::test::envelope_fixtures;
using aegis::test::body_error;
using aegis::test::starts_with;
using aegis::test::contains_bytes;
using aegis::test::sample_child;
using aegis::test::sample_shielded_child;
using aegis::test::seed;
using aegis::test::SeedTokenizer;
using aegis::test::test_tokenizer;

namespace {

// Three identifiers that all pass their checks.
ChildDetails valid_identifiers() {
  ChildDetails d;
  d.upn = "Y820400105001";
  d.uln = "1234567899";
  d.nhs_number = "9876543210";
  return d;
}

// An upsert body whose payload is version 2 (clear details without identifiers, as senders
// build it) with `match` written by `write_match`.
template <typename WriteMatch>
Bytes body_with_match(WriteMatch&& write_match) {
  const ChildRecord r = sample_child();
  const Envelope e = make_upsert(1, Hash{}, r);
  return raw_body(kEnvelopeVersion, e, [&](Writer& w) {
    w.array(5);
    w.uint(2);
    write_child_identity(w, r.identity);
    w.boolean(false);
    write_child_details(w, without_identifiers(r.details));
    write_match(w);
  });
}

}  // namespace

TEST_CASE("match: the token input is the domain, a zero byte, the kind and the identifier") {
  CHECK(to_hex(match_input(IdentifierKind::uln, "1234567899")) ==
        "41454749532d4d415443482d5631" "00" "02" "31323334353637383939");
  CHECK(match_input(IdentifierKind::upn, "Y820400105001").size() == 14 + 1 + 1 + 13);
}

TEST_CASE("match: each valid identifier gets a token, in kind order, under the key's id") {
  const SeedTokenizer tokenizer(seed(0x50), 7);
  const MatchTokens m = make_match_tokens(valid_identifiers(), tokenizer);
  CHECK(m.key_id == 7);
  REQUIRE(m.entries.size() == 3);
  CHECK(m.entries[0].kind == IdentifierKind::upn);
  CHECK(m.entries[1].kind == IdentifierKind::uln);
  CHECK(m.entries[2].kind == IdentifierKind::nhs_number);
  CHECK(m.entries[1].token == tokenizer.token(match_input(IdentifierKind::uln, "1234567899")));
  REQUIRE(m.find(IdentifierKind::nhs_number) != nullptr);
  CHECK(*m.find(IdentifierKind::nhs_number) == m.entries[2].token);
}

TEST_CASE("match: an invalid or absent identifier gets no token") {
  ChildDetails d = valid_identifiers();
  d.upn = "Z820400105001";  // wrong check letter
  d.uln.reset();
  d.nhs_number = "9876543211";  // fails modulus 11
  const MatchTokens m = make_match_tokens(d, test_tokenizer());
  CHECK(m.entries.empty());
  CHECK(m.key_id == 1);
  CHECK(m.find(IdentifierKind::upn) == nullptr);
  // The sample child: UPN and NHS number valid, ULN 1234567890 not.
  const MatchTokens sample = make_match_tokens(sample_child().details, test_tokenizer());
  REQUIRE(sample.entries.size() == 2);
  CHECK(sample.entries[0].kind == IdentifierKind::upn);
  CHECK(sample.entries[1].kind == IdentifierKind::nhs_number);
}

TEST_CASE("match: tokens differ by key, by kind and by identifier, and repeat for equal input") {
  const SeedTokenizer a(seed(0x50)), b(seed(0x51));
  const Bytes in = match_input(IdentifierKind::nhs_number, "9876543210");
  CHECK(a.token(in) == a.token(in));
  CHECK(a.token(in) != b.token(in));
  CHECK(a.token(in) != a.token(match_input(IdentifierKind::uln, "9876543210")));
  CHECK(a.token(in) != a.token(match_input(IdentifierKind::nhs_number, "9434765919")));
}

TEST_CASE("match: identifier checks accept valid numbers and name what is wrong otherwise") {
  CHECK_FALSE(check_upn("Y820400105001"));
  CHECK_FALSE(check_upn("J82040010500A"));
  CHECK(check_upn("Z820400105001") == std::string("check letter is wrong"));
  CHECK(check_upn("Y82040010500") == std::string("not 13 characters"));
  CHECK_FALSE(check_uln("1234567899"));
  CHECK(check_uln("1234567890") == std::string("check digit is wrong"));
  CHECK(check_uln("12345678A9") == std::string("not 10 digits"));
  CHECK_FALSE(check_nhs_number("9434765919"));
  CHECK(check_nhs_number("1000000010") == std::string("check digit is wrong"));
  CHECK(check_identifier(IdentifierKind::nhs_number, "943 476 5919").has_value());
  CHECK(identifier_kind_name(IdentifierKind::nhs_number) == "nhs_number");
}

TEST_CASE("match: make_payload builds version 2 with tokens, shielded or not") {
  const ChildRecord clear = sample_child();
  RecordPayload p = payload_for(clear);
  CHECK(p.version() == 2);
  REQUIRE(p.match.has_value());
  CHECK(*p.match == make_match_tokens(clear.details, test_tokenizer()));

  const ChildRecord shielded = sample_shielded_child();
  RecordPayload s = payload_for(shielded);
  REQUIRE(s.shielded());
  REQUIRE(s.match.has_value());
  CHECK(*s.match == make_match_tokens(shielded.details, test_tokenizer()));
  CHECK_FALSE(s.match->entries.empty());
}

TEST_CASE("match: make_payload refuses a tokenizer whose key id is 0") {
  const SeedTokenizer zero(seed(0x50), 0);
  auto p = make_payload(sample_child(), "kent", {}, aegis::test::fixtures::fixed_randomness(1),
                        zero);
  REQUIRE_FALSE(p.ok());
  CHECK(p.error().code == Errc::invalid_field);
  CHECK(starts_with(p.error().detail, "payload.match.key_id: "));
}

TEST_CASE("match: a shielded version-2 envelope carries tokens but no identifier in clear") {
  ChildRecord r = sample_shielded_child();
  r.details.upn = "Y820400105001";
  r.details.uln = "1234567899";
  r.details.nhs_number = "9876543210";
  Link l = sign_link(make_upsert(1, Hash{}, r));
  const MatchTokens m = *l.envelope.payload->match;
  REQUIRE(m.entries.size() == 3);
  for (const MatchEntry& e : m.entries)
    CHECK(contains_bytes(l.wire, std::string(e.token.begin(), e.token.end())));
  for (const char* id : {"Y820400105001", "1234567899", "9876543210"})
    CHECK_FALSE(contains_bytes(l.wire, id));
}

TEST_CASE("match: payload versions 1 and 2 both decode and re-encode to the same bytes") {
  for (std::uint64_t version : {kPayloadVersionWithoutMatch, kPayloadVersion}) {
    for (const ChildRecord& r : {sample_child(), sample_shielded_child()}) {
      INFO("version " << version << (r.shielded() ? ", shielded" : ""));
      Envelope e = make_upsert(1, Hash{}, r, kKentSerial, version);
      const Bytes body = encode_envelope_body(e);
      auto back = decode_envelope_body(body);
      REQUIRE(back.ok());
      CHECK(back->payload->version() == version);
      CHECK(back->payload->match.has_value() == (version == kPayloadVersion));
      CHECK(*back == e);
      CHECK(encode_envelope_body(*back) == body);
      CHECK(verify_envelope(sign_link(e).wire, make_trust(), ChainState{}, kNowMs).ok());
    }
  }
}

TEST_CASE("match: the decoder refuses a bad match with the field path") {
  struct Case {
    const char* name;
    std::function<void(Writer&)> write;
    Errc code;
    const char* path;
  };
  const MatchToken t{};
  auto entries = [t](std::uint64_t key_id, std::vector<std::uint64_t> kinds) {
    return [t, key_id, kinds](Writer& w) {
      w.array(2);
      w.uint(key_id);
      w.array(static_cast<std::uint32_t>(kinds.size()));
      for (std::uint64_t k : kinds) {
        w.array(2);
        w.uint(k);
        w.bin(t);
      }
    };
  };
  const Case cases[] = {
      {"key_id 0", entries(0, {1}), Errc::invalid_field, "envelope.payload.match.key_id: "},
      {"kinds descending", entries(1, {2, 1}), Errc::invalid_field,
       "envelope.payload.match.entries[1].kind: kinds not ascending"},
      {"a kind twice", entries(1, {1, 3, 3}), Errc::invalid_field,
       "envelope.payload.match.entries[2].kind: kinds not ascending"},
      {"unknown kind 9", entries(1, {9}), Errc::invalid_field,
       "envelope.payload.match.entries[0].kind: unknown identifier kind 9"},
      {"four entries", entries(1, {1, 2, 3, 4}), Errc::too_large,
       "envelope.payload.match.entries: "},
      {"token of 8 bytes",
       [](Writer& w) {
         w.array(2);
         w.uint(1);
         w.array(1);
         w.array(2);
         w.uint(1);
         w.bin(Bytes(8, 0));
       },
       Errc::invalid_field, "envelope.payload.match.entries[0].token: "},
      {"token of 32 bytes",
       [](Writer& w) {
         w.array(2);
         w.uint(1);
         w.array(1);
         w.array(2);
         w.uint(1);
         w.bin(Bytes(32, 0));
       },
       Errc::too_large, "envelope.payload.match.entries[0].token: "},
      {"match is a bool", [](Writer& w) { w.boolean(true); }, Errc::malformed,
       "envelope.payload.match: "},
  };
  for (const Case& c : cases) {
    INFO(c.name);
    Error e = body_error(body_with_match(c.write));
    INFO(e.message());
    CHECK(e.code == c.code);
    CHECK(starts_with(e.detail, c.path));
  }
  // And the well-formed one decodes.
  CHECK(decode_envelope_body(body_with_match(entries(1, {1, 3}))).ok());
}
