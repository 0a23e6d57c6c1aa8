// Tests for the identifier and field checks (adapters/validate.hpp): the published test vectors
// (tests/data/identifiers/test_vectors.csv) plus edge cases of each rule, positive and negative.
#include "aegis/adapters/validate.hpp"

#include <catch2/catch.hpp>
#include <fstream>
#include <string>
#include <vector>

#include "aegis/adapters/duplicates.hpp"

using namespace aegis::adapters;
using aegis::protocol::Date;

namespace {

// Splits one line of the vectors file (commas; double quotes around fields holding commas).
std::vector<std::string> split_vector_line(const std::string& line) {
  std::vector<std::string> out(1);
  bool quoted = false;
  for (char c : line) {
    if (c == '"')
      quoted = !quoted;
    else if (c == ',' && !quoted)
      out.emplace_back();
    else
      out.back().push_back(c);
  }
  return out;
}

Date date(const char* iso) {
  auto d = Date::parse(iso);
  REQUIRE(d);
  return *d;
}

// A negative case: refused, and the reason does not repeat the value.
void require_refused(const Problem& p, std::string_view value) {
  REQUIRE(p);
  CHECK_FALSE(p->empty());
  if (value.size() >= 3) CHECK(p->find(value) == std::string::npos);
}

}  // namespace

TEST_CASE("validate: every published test vector gives its expected result") {
  std::ifstream in(std::string(AEGIS_SOURCE_DIR) + "/tests/data/identifiers/test_vectors.csv");
  REQUIRE(in);
  std::string line;
  std::getline(in, line);
  REQUIRE(line.rfind("kind,value,expected_valid", 0) == 0);
  int checked = 0;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    const auto f = split_vector_line(line);
    REQUIRE(f.size() >= 3);
    INFO("vector " << f[0] << " " << f[1]);
    Problem p;
    if (f[0] == "UPN")
      p = check_upn(f[1]);
    else if (f[0] == "NHS")
      p = check_nhs_number(f[1]);
    else
      FAIL("unknown kind in the vectors file");
    CHECK(p.has_value() == (f[2] == "false"));
    if (p) CHECK(p->find(f[1]) == std::string::npos);
    ++checked;
  }
  CHECK(checked == 12);  // the copied file's rows: a truncated copy fails here
}

TEST_CASE("validate: UPN permanent and temporary forms with a right check letter pass") {
  for (const char* upn : {"B801200005001", "M80120000500A", "P201123456789", "A201123456790",
                          "J823123412001", "J93512341200A"}) {
    INFO(upn);
    CHECK_FALSE(check_upn(upn));
  }
}

TEST_CASE("validate: UPN with a wrong check letter, length or shape is refused") {
  CHECK(*check_upn("C801200005001") == "check letter is wrong");
  CHECK(*check_upn("P201123456788") == "check letter is wrong");  // last digit changed
  CHECK(*check_upn("M80120000500B") == "check letter is wrong");  // temporary, letter changed
  for (const char* bad : {"b801200005001",                        // lower case: normalise first
                          "I801200005001",  // I, O and S are never check letters
                          "O801200005001", "S801200005001",
                          "M80120000500I",  // nor temporary serial letters
                          "X80120000A001",  // letter in the middle
                          "B80120000500a", "1801200005001", "B801200005 01"}) {
    INFO(bad);
    require_refused(check_upn(bad), bad);
    CHECK(*check_upn(bad) != "check letter is wrong");
  }
  for (const char* bad : {"", "B80120000500", "B8012000050011"}) {
    INFO(bad);
    CHECK(*check_upn(bad) == "not 13 characters");
  }
}

TEST_CASE("validate: ULN with a right check digit passes") {
  for (const char* uln : {"1234567899", "5555555554", "1000000019"}) {
    INFO(uln);
    CHECK_FALSE(check_uln(uln));
  }
}

TEST_CASE("validate: ULN with a wrong check digit or shape is refused") {
  for (const char* bad : {"1234567890", "5555555555", "1000000018"}) {
    INFO(bad);
    CHECK(*check_uln(bad) == "check digit is wrong");
    require_refused(check_uln(bad), bad);
  }
  // Remainder 0: no check digit can make it valid.
  for (char last = '0'; last <= '9'; ++last) CHECK(check_uln(std::string("987654321") + last));
  for (const char* bad : {"", "123456789", "12345678999", "123456789X", "12345 6789"}) {
    INFO(bad);
    CHECK(*check_uln(bad) == "not 10 digits");
  }
}

TEST_CASE("validate: NHS number modulus 11 passes, including check digit 0") {
  for (const char* nhs : {"9434765870", "9434765919", "4010232137", "4857773457", "9990000050"}) {
    INFO(nhs);
    CHECK_FALSE(check_nhs_number(nhs));
  }
}

TEST_CASE("validate: NHS number with a wrong check digit, check 10, or spaces is refused") {
  CHECK(*check_nhs_number("9434765871") == "check digit is wrong");
  CHECK(*check_nhs_number("9990000051") == "check digit is wrong");
  CHECK(*check_nhs_number("9991234560") == "check digit is wrong");  // computes to 10
  for (const char* bad : {"943 476 5919", "943476591", "94347659190", "943476591A", ""}) {
    INFO(bad);
    CHECK(*check_nhs_number(bad) == "not 10 digits");
  }
  // Printed form, normalised first, passes.
  CHECK(normalise_identifier("943 476 5919") == "9434765919");
  CHECK_FALSE(check_nhs_number(normalise_identifier("943 476 5919")));
}

TEST_CASE("validate: normalise_identifier upper-cases and drops spaces only") {
  CHECK(normalise_identifier(" b8012 0000 5001\t") == "B801200005001");
  CHECK(normalise_identifier("m80120000500a") == "M80120000500A");
  CHECK(normalise_identifier("12-34") == "12-34");  // other characters left for the check
  CHECK(normalise_identifier("") == "");
}

TEST_CASE("validate: postcodes in every official outward shape pass") {
  for (const char* pc : {"M1 1AE", "B33 8TH", "CR2 6XH", "DN55 1PT", "W1A 0AX", "EC1A 1BB",
                         "SW1A 1AA", "GIR 0AA", "L1 8JQ"}) {
    INFO(pc);
    CHECK_FALSE(check_postcode(pc));
  }
}

TEST_CASE("validate: postcodes not in the official form are refused") {
  for (const char* bad : {"SW1A1AA", "SW1A  1AA", "sw1a 1aa", " M1 1AE", "M1 1AE ", "", "M1",
                          "SW1A 1A", "SW1A 1AAA"}) {
    INFO(bad);
    require_refused(check_postcode(bad), bad);
  }
  for (const char* bad : {"AI1 1AA", "AZ1 1AA", "1A1 1AA", "ABCD 1AA", "A 1AA", "A12B 1AA",
                          "AB1AB 1AA", "A1BC 1AA"}) {
    INFO(bad);
    CHECK(*check_postcode(bad) == "outward code is not a UK postcode district");
  }
  // Inward letters never C, I, K, M, O or V (BS7666); the inward code starts with a digit.
  for (const char* bad :
       {"M1 1CA", "M1 1AI", "M1 1KA", "M1 1AM", "M1 1OA", "M1 1AV", "M1 AAA", "M1 11A"}) {
    INFO(bad);
    CHECK(*check_postcode(bad) ==
          "inward code is not a digit and two letters other than C I K M O V");
  }
}

TEST_CASE("validate: normalise_postcode gives the official form or nothing") {
  CHECK(normalise_postcode("sw1a1aa") == "SW1A 1AA");
  CHECK(normalise_postcode(" m1  1ae ") == "M1 1AE");
  CHECK(normalise_postcode("SW1A 1AA") == "SW1A 1AA");
  CHECK(normalise_postcode("gir0aa") == "GIR 0AA");
  CHECK_FALSE(normalise_postcode(""));
  CHECK_FALSE(normalise_postcode("4011"));    // an Australian postcode
  CHECK_FALSE(normalise_postcode("M1 1CA"));  // inward C
  CHECK_FALSE(normalise_postcode("SW1A-1AA"));
  CHECK_FALSE(normalise_postcode("ABCDEFGH"));
}

TEST_CASE("validate: a date of birth from today back to exactly 25 years passes") {
  const Date today = date("2025-06-15");
  CHECK_FALSE(check_date_of_birth(date("2025-06-15"), today));
  CHECK_FALSE(check_date_of_birth(date("2012-01-31"), today));
  CHECK_FALSE(check_date_of_birth(date("2000-06-15"), today));
  CHECK_FALSE(check_date_of_birth(date("2000-02-29"), date("2025-02-28")));  // leap day
}

TEST_CASE("validate: a date of birth in the future, over 25 years ago, or not real is refused") {
  const Date today = date("2025-06-15");
  CHECK(*check_date_of_birth(date("2025-06-16"), today) == "date is in the future");
  CHECK(*check_date_of_birth(date("2199-12-31"), today) == "date is in the future");
  CHECK(*check_date_of_birth(date("2000-06-14"), today) == "more than 25 years ago");
  CHECK(*check_date_of_birth(date("1900-01-01"), today) == "more than 25 years ago");
  CHECK(*check_date_of_birth(date("2000-02-29"), date("2025-03-01")) == "more than 25 years ago");
  CHECK(*check_date_of_birth(Date{2020, 2, 30}, today) == "not a real date");
  CHECK(*check_date_of_birth(Date{2020, 13, 1}, today) == "not a real date");
}

TEST_CASE("validate: other dates may be old but not in the future") {
  const Date today = date("2025-06-15");
  CHECK_FALSE(check_not_future(date("1950-01-01"), today));
  CHECK_FALSE(check_not_future(today, today));
  CHECK(*check_not_future(date("2025-06-16"), today) == "date is in the future");
  CHECK(*check_not_future(Date{2021, 2, 29}, today) == "not a real date");
}

TEST_CASE("duplicates: the first sighting passes, later ones name the kind, never the value") {
  DuplicateGuard guard;
  CHECK_FALSE(guard.seen("UPN", "B801200005001"));
  CHECK_FALSE(guard.seen("ULN", "B801200005001"));  // kinds are separate
  CHECK_FALSE(guard.contains("NHS number", "B801200005001"));
  const auto dup = guard.seen("UPN", "B801200005001");
  REQUIRE(dup);
  CHECK(*dup == "duplicate UPN");
  CHECK(guard.seen("ULN", "B801200005001") == "duplicate ULN");
  CHECK(guard.contains("UPN", "B801200005001"));
  // Kind and value cannot run into each other.
  CHECK_FALSE(guard.seen("UP", "NB801200005001"));
}

TEST_CASE("duplicates: exact over many, short, empty and long values") {
  DuplicateGuard guard;
  // Enough values to make the table grow several times; every one is found again exactly.
  for (int i = 0; i < 20000; ++i) CHECK_FALSE(guard.seen("local id", "csv:p" + std::to_string(i)));
  int found = 0;
  for (int i = 0; i < 20000; ++i) found += guard.contains("local id", "csv:p" + std::to_string(i));
  CHECK(found == 20000);
  CHECK_FALSE(guard.contains("local id", "csv:p20000"));
  CHECK_FALSE(guard.contains("local id", "csv:p"));  // a prefix of stored values
  CHECK(guard.seen("local id", "csv:p19999") == "duplicate local id");
  // Empty, exactly 16 bytes, and longer than 16 bytes (kept in the node set).
  CHECK_FALSE(guard.seen("local id", ""));
  CHECK(guard.seen("local id", "") == "duplicate local id");
  const std::string sixteen(16, 'a'), seventeen(17, 'a');
  CHECK_FALSE(guard.seen("local id", sixteen));
  CHECK_FALSE(guard.seen("local id", seventeen));
  CHECK_FALSE(guard.seen("local id", seventeen + "b"));
  CHECK(guard.seen("local id", sixteen) == "duplicate local id");
  CHECK(guard.seen("local id", seventeen) == "duplicate local id");
  CHECK_FALSE(guard.contains("UPN", seventeen));
}
