// The child record (docs/PROTOCOL.md §3): dates, ids, every check_record rule with its error
// code and field path, and proof that decoding refuses exactly what check_record refuses.
#include <catch2/catch.hpp>

#include <functional>
#include <string>

#include "aegis/protocol/codec.hpp"
#include "aegis/protocol/record.hpp"
#include "test_support.hpp"

using namespace aegis::protocol;
using aegis::test::sample_child;
using aegis::test::sample_shielded_child;

namespace {

Date date(std::string_view s) { return Date::parse(s).value(); }

// A record with only the required fields.
ChildRecord minimal_child() {
  ChildRecord r;
  r.record_id = "c1";
  r.identity.name.family = "Lee";
  r.identity.date_of_birth = date("2020-01-02");
  return r;
}

struct Rule {
  std::string name;
  std::function<void(ChildRecord&)> mutate;
  Errc code;
  std::string path;
};

Involvement an_involvement() { return sample_child().details.involvements.at(0); }

// Every domain rule of §3, each broken once.
std::vector<Rule> broken_rules() {
  return {
      {"empty record id", [](ChildRecord& r) { r.record_id = ""; }, Errc::invalid_field,
       "record.record_id"},
      {"record id with a space", [](ChildRecord& r) { r.record_id = "child 1"; },
       Errc::invalid_field, "record.record_id"},
      {"record id of 65 bytes", [](ChildRecord& r) { r.record_id = std::string(65, 'a'); },
       Errc::too_large, "record.record_id"},
      {"given name without family name",
       [](ChildRecord& r) {
         r.identity.name.given = "Ann";
         r.identity.name.family = "";
       },
       Errc::invalid_field, "record.identity.name.family"},
      {"given name of 101 bytes",
       [](ChildRecord& r) { r.identity.name.given = std::string(101, 'a'); }, Errc::too_large,
       "record.identity.name.given"},
      {"middle name of 101 bytes",
       [](ChildRecord& r) { r.identity.name.middle = std::string(101, 'a'); }, Errc::too_large,
       "record.identity.name.middle"},
      {"family name invalid UTF-8", [](ChildRecord& r) { r.identity.name.family = "Ha\xc3\x28"; },
       Errc::invalid_field, "record.identity.name.family"},
      {"given name with NUL",
       [](ChildRecord& r) { r.identity.name.given = std::string("Am\0y", 4); },
       Errc::invalid_field, "record.identity.name.given"},
      {"former name without family name",
       [](ChildRecord& r) { r.identity.former_names[0].family = ""; }, Errc::invalid_field,
       "record.identity.former_names[0].family"},
      {"17 former names",
       [](ChildRecord& r) { r.identity.former_names.assign(17, PersonName{"", "", "X"}); },
       Errc::too_large, "record.identity.former_names"},
      {"gender 3", [](ChildRecord& r) { r.identity.gender = static_cast<Gender>(3); },
       Errc::invalid_field, "record.identity.gender"},
      {"date of birth 2015-02-29", [](ChildRecord& r) { r.identity.date_of_birth = {2015, 2, 29}; },
       Errc::invalid_field, "record.identity.date_of_birth"},
      {"date of birth in 1899", [](ChildRecord& r) { r.identity.date_of_birth = {1899, 12, 31}; },
       Errc::invalid_field, "record.identity.date_of_birth"},
      {"date of birth month 13", [](ChildRecord& r) { r.identity.date_of_birth = {2015, 13, 1}; },
       Errc::invalid_field, "record.identity.date_of_birth"},
      {"date of death before birth",
       [](ChildRecord& r) { r.identity.date_of_death = date("2015-03-13"); },
       Errc::invalid_field, "record.identity.date_of_death"},
      {"date of death 2200-01-01",
       [](ChildRecord& r) { r.identity.date_of_death = Date{2200, 1, 1}; }, Errc::invalid_field,
       "record.identity.date_of_death"},
      {"address without lines", [](ChildRecord& r) { r.details.address->lines.clear(); },
       Errc::invalid_field, "record.details.address.lines"},
      {"address with 7 lines", [](ChildRecord& r) { r.details.address->lines.assign(7, "x"); },
       Errc::too_large, "record.details.address.lines"},
      {"empty address line", [](ChildRecord& r) { r.details.address->lines[1] = ""; },
       Errc::invalid_field, "record.details.address.lines[1]"},
      {"address line of 201 bytes",
       [](ChildRecord& r) { r.details.address->lines[0] = std::string(201, 'a'); },
       Errc::too_large, "record.details.address.lines[0]"},
      {"postcode of 9 bytes", [](ChildRecord& r) { r.details.address->postcode = "ME14 1XXX"; },
       Errc::too_large, "record.details.address.postcode"},
      {"empty UPN", [](ChildRecord& r) { r.details.upn = ""; }, Errc::invalid_field,
       "record.details.upn"},
      {"lower-case UPN", [](ChildRecord& r) { r.details.upn = "a123456789012"; },
       Errc::invalid_field, "record.details.upn"},
      {"NHS number with spaces", [](ChildRecord& r) { r.details.nhs_number = "943 476 5919"; },
       Errc::invalid_field, "record.details.nhs_number"},
      {"ULN of 17 bytes", [](ChildRecord& r) { r.details.uln = std::string(17, '1'); },
       Errc::too_large, "record.details.uln"},
      {"contact without relationship",
       [](ChildRecord& r) { r.details.contacts[0].relationship = ""; }, Errc::invalid_field,
       "record.details.contacts[0].relationship"},
      {"contact without family name",
       [](ChildRecord& r) { r.details.contacts[0].name.family = ""; }, Errc::invalid_field,
       "record.details.contacts[0].name.family"},
      {"contact with 9 phones",
       [](ChildRecord& r) { r.details.contacts[0].phones.assign(9, "01"); }, Errc::too_large,
       "record.details.contacts[0].phones"},
      {"empty phone", [](ChildRecord& r) { r.details.contacts[0].phones = {"01", ""}; },
       Errc::invalid_field, "record.details.contacts[0].phones[1]"},
      {"phone of 33 bytes",
       [](ChildRecord& r) { r.details.contacts[0].phones = {std::string(33, '0')}; },
       Errc::too_large, "record.details.contacts[0].phones[0]"},
      {"surrogate in relationship",
       [](ChildRecord& r) { r.details.contacts[0].relationship = "m\xed\xa0\x80"; },
       Errc::invalid_field, "record.details.contacts[0].relationship"},
      {"address_as_child with an address",
       [](ChildRecord& r) { r.details.contacts[0].address = Address{{"1 Road"}, ""}; },
       Errc::invalid_field, "record.details.contacts[0].address"},
      {"contact address without lines",
       [](ChildRecord& r) {
         r.details.contacts[0].address_as_child = false;
         r.details.contacts[0].address = Address{{}, "ME1"};
       },
       Errc::invalid_field, "record.details.contacts[0].address.lines"},
      {"33 contacts",
       [](ChildRecord& r) { r.details.contacts.assign(33, r.details.contacts[0]); },
       Errc::too_large, "record.details.contacts"},
      {"involvement kind 0",
       [](ChildRecord& r) { r.details.involvements[0].kind = static_cast<InvolvementKind>(0); },
       Errc::invalid_field, "record.details.involvements[0].kind"},
      {"involvement kind 10",
       [](ChildRecord& r) { r.details.involvements[0].kind = static_cast<InvolvementKind>(10); },
       Errc::invalid_field, "record.details.involvements[0].kind"},
      {"involvement without organisation",
       [](ChildRecord& r) { r.details.involvements[0].organisation = ""; }, Errc::invalid_field,
       "record.details.involvements[0].organisation"},
      {"overlong UTF-8 in organisation",
       [](ChildRecord& r) { r.details.involvements[0].organisation = "Sch\xc0\xafol"; },
       Errc::invalid_field, "record.details.involvements[0].organisation"},
      {"role of 201 bytes",
       [](ChildRecord& r) { r.details.involvements[0].role = std::string(201, 'r'); },
       Errc::too_large, "record.details.involvements[0].role"},
      {"involvement phone of 33 bytes",
       [](ChildRecord& r) { r.details.involvements[0].phone = std::string(33, '1'); },
       Errc::too_large, "record.details.involvements[0].phone"},
      {"involvement end before start",
       [](ChildRecord& r) { r.details.involvements[0].end = date("2019-09-03"); },
       Errc::invalid_field, "record.details.involvements[0].end"},
      {"involvement start not a date",
       [](ChildRecord& r) { r.details.involvements[0].start = Date{2019, 4, 31}; },
       Errc::invalid_field, "record.details.involvements[0].start"},
      {"sensitive involvement without consent",
       [](ChildRecord& r) { r.details.involvements[0].sensitive = true; }, Errc::invalid_field,
       "record.details.involvements[0].consent"},
      {"129 involvements",
       [](ChildRecord& r) { r.details.involvements.assign(129, an_involvement()); },
       Errc::too_large, "record.details.involvements"},
      {"shield reason 0", [](ChildRecord& r) { r.details.shield = Shield{0, "SO-1", {}}; },
       Errc::invalid_field, "record.details.shield.reason"},
      {"shield reason 5", [](ChildRecord& r) { r.details.shield = Shield{5, "SO-1", {}}; },
       Errc::invalid_field, "record.details.shield.reason"},
      {"shield without set_by", [](ChildRecord& r) { r.details.shield = Shield{1, "", {}}; },
       Errc::invalid_field, "record.details.shield.set_by"},
      {"shield set_on not a date",
       [](ChildRecord& r) { r.details.shield = Shield{1, "SO-1", Date{2024, 2, 30}}; },
       Errc::invalid_field, "record.details.shield.set_on"},
  };
}

}  // namespace

TEST_CASE("record: dates parse only as exact YYYY-MM-DD real calendar days") {
  CHECK(date("2015-03-14") == Date{2015, 3, 14});
  CHECK(date("1900-01-01") == Date{1900, 1, 1});
  CHECK(date("2199-12-31") == Date{2199, 12, 31});
  CHECK(date("2000-02-29") == Date{2000, 2, 29});  // divisible by 400
  CHECK(date("2024-02-29") == Date{2024, 2, 29});
  CHECK(date("2023-04-30") == Date{2023, 4, 30});
  for (const char* bad :
       {"1899-12-31", "2200-01-01", "1900-02-29", "2100-02-29", "2023-02-29", "2023-04-31",
        "2023-00-10", "2023-13-01", "2023-01-00", "2023-01-32", "2015-3-14", "2015-03-4",
        "15-03-14", "2015/03/14", "2015-03-14 ", " 2015-03-14", "+015-03-14", "2015-03-1a",
        "2015-0x-14", "", "20150314", "2015-03-140"}) {
    INFO(bad);
    CHECK_FALSE(Date::parse(bad).has_value());
  }
}

TEST_CASE("record: dates print zero-padded and order by calendar") {
  CHECK(Date{2001, 2, 3}.to_string() == "2001-02-03");
  CHECK(Date::parse(Date{2199, 11, 9}.to_string()) == Date{2199, 11, 9});
  CHECK(Date{2020, 1, 31} < Date{2020, 2, 1});
  CHECK(Date{2019, 12, 31} < Date{2020, 1, 1});
  CHECK_FALSE(Date{2020, 2, 30}.valid());
  CHECK(Date{}.valid());
}

TEST_CASE("record: record and authority ids") {
  CHECK(valid_record_id("child-1"));
  CHECK(valid_record_id("A.b_c:9-"));
  CHECK(valid_record_id(std::string(64, 'x')));
  CHECK_FALSE(valid_record_id(""));
  CHECK_FALSE(valid_record_id(std::string(65, 'x')));
  CHECK_FALSE(valid_record_id("a b"));
  CHECK_FALSE(valid_record_id("a/b"));
  CHECK_FALSE(valid_record_id("caf\xc3\xa9"));
  CHECK(valid_authority_id("kent"));
  CHECK(valid_authority_id("north-east-lincs-2"));
  CHECK(valid_authority_id(std::string(32, 'a')));
  CHECK_FALSE(valid_authority_id(""));
  CHECK_FALSE(valid_authority_id(std::string(33, 'a')));
  CHECK_FALSE(valid_authority_id("Kent"));
  CHECK_FALSE(valid_authority_id("-kent"));
  CHECK_FALSE(valid_authority_id("kent-"));
  CHECK_FALSE(valid_authority_id("kent_county"));
  CHECK_FALSE(valid_authority_id("kent.gov"));
}

TEST_CASE("record: sample, shielded and minimal records pass check_record and round-trip") {
  for (const ChildRecord& r : {sample_child(), sample_shielded_child(), minimal_child()}) {
    INFO(r.record_id);
    REQUIRE(check_record(r).ok());
    Bytes wire = encode_child_record(r);
    auto back = decode_child_record(wire);
    REQUIRE(back.ok());
    CHECK(*back == r);
    CHECK(encode_child_record(*back) == wire);
    auto details = decode_child_details(encode_child_details(r.details));
    REQUIRE(details.ok());
    CHECK(*details == r.details);
  }
}

TEST_CASE("record: the minimal record encodes to exactly the documented bytes") {
  // docs/PROTOCOL.md §3.10 worked example.
  CHECK(to_hex(encode_child_record(minimal_child())) ==
        "94"                        // ChildRecord, 4 fields
        "01"                        // version 1
        "a26331"                    // record_id "c1"
        "95"                        // ChildIdentity, 5 fields
        "93a0a0a34c6565"            //   name ["", "", "Lee"]
        "90"                        //   former_names []
        "00"                        //   gender 0 (not known)
        "aa323032302d30312d3032"    //   date_of_birth "2020-01-02"
        "c0"                        //   date_of_death nil
        "97c0c0c0c09090c0");        // ChildDetails: all absent, no contacts, no involvements
}

TEST_CASE("record: a child's name may be wholly unknown, a contact's or former name may not") {
  ChildRecord r = minimal_child();
  r.identity.name = PersonName{};
  CHECK(check_record(r));
  const Result<ChildRecord> back = decode_child_record(encode_child_record(r));
  REQUIRE(back);
  CHECK(*back == r);

  r.identity.former_names.push_back(PersonName{});
  const Status former = check_record(r);
  REQUIRE_FALSE(former);
  CHECK(former.error().detail.find("record.identity.former_names[0].family") == 0);

  ChildRecord c = minimal_child();
  c.details.contacts.push_back(Contact{});
  c.details.contacts[0].relationship = "PAM";
  const Status contact = check_record(c);
  REQUIRE_FALSE(contact);
  CHECK(contact.error().detail.find("record.details.contacts[0].name.family") == 0);
}

TEST_CASE("record: values at every limit are accepted") {
  ChildRecord r = sample_child();
  r.identity.name.given.clear();
  for (int i = 0; i < 50; ++i) r.identity.name.given += "\xc3\xab";  // 100 bytes of UTF-8
  r.identity.name.family = std::string(kMaxNameLen, 'F');
  r.identity.former_names.assign(kMaxFormerNames, PersonName{"", "", "X"});
  r.identity.date_of_death = r.identity.date_of_birth;  // same day is allowed
  r.details.address->lines.assign(kMaxAddressLines, std::string(kMaxTextLen, 'l'));
  r.details.address->postcode = "ME14 1XX";
  r.details.upn = std::string(kMaxIdentifierLen, 'Z');
  r.details.contacts.assign(kMaxContacts, r.details.contacts[0]);
  r.details.contacts[0].phones.assign(kMaxPhones, std::string(kMaxPhoneLen, '0'));
  r.details.contacts[1].address_as_child = false;
  r.details.contacts[1].address = Address{{"1 Road"}, ""};
  r.details.involvements.assign(kMaxInvolvements, r.details.involvements[0]);
  r.details.involvements[0].end = r.details.involvements[0].start;
  r.details.involvements[1].sensitive = true;
  r.details.involvements[1].consent = true;
  r.details.shield = Shield{99, std::string(kMaxTextLen, 's'), Date{2199, 12, 31}};
  REQUIRE(check_record(r).ok());
  auto back = decode_child_record(encode_child_record(r));
  REQUIRE(back.ok());
  CHECK(*back == r);
}

TEST_CASE("record: every gender code, involvement kind and shield reason is accepted") {
  for (auto g : {0, 1, 2, 9}) {
    ChildRecord r = sample_child();
    r.identity.gender = static_cast<Gender>(g);
    CHECK(check_record(r).ok());
    CHECK(decode_child_record(encode_child_record(r)).ok());
  }
  for (auto k : {1, 2, 3, 4, 5, 6, 7, 8, 99}) {
    ChildRecord r = sample_child();
    r.details.involvements[0].kind = static_cast<InvolvementKind>(k);
    CHECK(check_record(r).ok());
    CHECK(decode_child_record(encode_child_record(r)).ok());
  }
  for (std::uint32_t reason : {1u, 2u, 3u, 4u, 99u}) {
    ChildRecord r = sample_shielded_child();
    r.details.shield->reason = reason;
    CHECK(check_record(r).ok());
    CHECK(decode_child_record(encode_child_record(r)).ok());
  }
}

TEST_CASE("record: check_record refuses each broken rule with its code and field path") {
  for (const Rule& rule : broken_rules()) {
    INFO(rule.name);
    ChildRecord r = sample_child();
    rule.mutate(r);
    auto checked = check_record(r);
    REQUIRE_FALSE(checked.ok());
    CHECK(errc_name(checked.error().code) == errc_name(rule.code));
    CHECK(checked.error().detail.rfind(rule.path + ": ", 0) == 0);
    INFO(checked.error().detail);
  }
}

TEST_CASE("record: decoding refuses exactly what check_record refuses, with the same error") {
  for (const Rule& rule : broken_rules()) {
    INFO(rule.name);
    ChildRecord r = sample_child();
    rule.mutate(r);
    auto checked = check_record(r);
    REQUIRE_FALSE(checked.ok());
    auto decoded = decode_child_record(encode_child_record(r));  // encoders are total
    REQUIRE_FALSE(decoded.ok());
    CHECK(decoded.error().code == checked.error().code);
    CHECK(decoded.error().detail == checked.error().detail);
  }
}

TEST_CASE("record: broken details are refused by decode_child_details under its own path") {
  ChildRecord r = sample_child();
  r.details.contacts[0].phones = {"\xff"};
  auto d = decode_child_details(encode_child_details(r.details));
  REQUIRE_FALSE(d.ok());
  CHECK(d.error().code == Errc::invalid_field);
  CHECK(d.error().detail.rfind("details.contacts[0].phones[0]: ", 0) == 0);
}

TEST_CASE("record: wrong version, arity, types and non-canonical forms are refused") {
  Bytes good = encode_child_record(minimal_child());
  auto code = [](const Bytes& b) {
    auto r = decode_child_record(b);
    REQUIRE_FALSE(r.ok());
    return r.error().code;
  };
  Bytes v2 = good;
  v2[1] = 0x02;
  CHECK(code(v2) == Errc::unknown_version);
  Bytes v2_other_arity = from_hex("9302a26331c0").value();
  CHECK(code(v2_other_arity) == Errc::unknown_version);
  Bytes not_array = from_hex("a26331").value();
  CHECK(code(not_array) == Errc::malformed);
  Bytes empty_array = from_hex("90").value();
  CHECK(code(empty_array) == Errc::malformed);
  Bytes three_fields = from_hex("9301a26331c0").value();
  CHECK(code(three_fields) == Errc::malformed);
  // Gender 0 written as uint8 (cc 00): valid msgpack, not canonical.
  Bytes hex_text = from_hex(
      "9401a26331"
      "9593a0a0a34c656590cc00aa323032302d30312d3032c0"
      "97c0c0c0c09090c0").value();
  CHECK(code(hex_text) == Errc::non_canonical);
  // Gender above 255 and a date that is not a string.
  Bytes gender_big = from_hex("9401a263319593a0a0a34c656590cd0100aa323032302d30312d3032c097c0c0c0c09090c0").value();
  CHECK(code(gender_big) == Errc::invalid_field);
  Bytes date_int = from_hex("9401a263319593a0a0a34c65659000cd07e4c097c0c0c0c09090c0").value();
  CHECK(code(date_int) == Errc::malformed);
  // An empty upn written as "" rather than nil.
  Bytes empty_upn = from_hex("9401a263319593a0a0a34c65659000aa323032302d30312d3032c097c0a0c0c09090c0").value();
  CHECK(code(empty_upn) == Errc::invalid_field);
  Bytes truncated(good.begin(), good.end() - 1);
  CHECK(code(truncated) == Errc::truncated);
  Bytes trailing = good;
  trailing.push_back(0xc0);
  CHECK(code(trailing) == Errc::trailing_bytes);
}

TEST_CASE("record: a decode error names the nested field") {
  ChildRecord r = sample_child();
  r.details.contacts.push_back(r.details.contacts[0]);
  r.details.contacts[1].phones = {"01", "0\xed\xbf\xbf"};
  auto d = decode_child_record(encode_child_record(r));
  REQUIRE_FALSE(d.ok());
  CHECK(d.error().message() ==
        "invalid_field: record.details.contacts[1].phones[1]: not valid UTF-8 (or contains NUL)");
}
