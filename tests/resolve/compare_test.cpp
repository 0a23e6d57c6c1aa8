// Features and comparators of the matching engine: normalisation, what a shielded record
// exposes, Jaro-Winkler, Soundex, the variant table and each field's agreement levels.
#include <catch2/catch.hpp>

#include "fixtures.hpp"
#include "resolve/blocking.hpp"
#include "resolve/compare.hpp"

using namespace aegis::resolve;
using aegis::protocol::Date;
using aegis::protocol::Gender;
using test::Child;

namespace {

// Whether two records are filed under at least one common blocking key (so they are compared).
bool shares_a_key(const MatchRecord& x, const MatchRecord& y) {
  const auto kx = blocking_keys(x);
  const auto ky = blocking_keys(y);
  return std::any_of(kx.begin(), kx.end(),
                     [&](auto k) { return std::binary_search(ky.begin(), ky.end(), k); });
}

}  // namespace

TEST_CASE("names are normalised: case, accents, punctuation, spaces") {
  CHECK(normalise_text("  Zoë  O'Brien-Smith ") == "zoe obrien smith");
  CHECK(normalise_text("ÉLODIE") == "elodie");
  CHECK(normalise_text("Łukasz Wójcik") == "lukasz wojcik");
  CHECK(normalise_text("Straße") == "strasse");
  CHECK(normalise_text("D’Arcy") == "darcy");
  CHECK(normalise_text("St. John") == "st john");
  CHECK(normalise_postcode_key(" ls1 4ap") == "LS14AP");
}

TEST_CASE("normalisation keeps what it cannot fold and never empties a name by accident") {
  CHECK(normalise_text("") == "");
  CHECK(normalise_text("--- ,,, ") == "");
  CHECK(normalise_text("Мария") == "Мария");          // not Latin: kept as it is
  CHECK(normalise_text(std::string("a\xff" "b")) == "a\xff" "b");  // a stray byte is kept
}

TEST_CASE("a clear record exposes postcode and first address line; tokens sorted, unique") {
  Child c;
  c.tokens = {test::token(IdentifierKind::nhs_number, "n1"), test::token(IdentifierKind::upn, "u1"),
              test::token(IdentifierKind::nhs_number, "n1")};
  const MatchRecord m = c.record();
  CHECK(m.clear);
  CHECK(m.postcode == "CT11AA");
  CHECK(m.outward == "CT1");
  CHECK(m.address_line == "12 high street");
  REQUIRE(m.tokens.size() == 2);
  CHECK(m.tokens[0].kind == IdentifierKind::upn);
  CHECK(m.name.given == "olivia");
  CHECK(m.name.family == "thompson");
}

TEST_CASE("a shielded record exposes no address, and clear identifiers are never read") {
  Child c;
  c.shielded = true;
  const MatchRecord m = c.record();
  CHECK_FALSE(m.clear);
  CHECK(m.postcode.empty());
  CHECK(m.outward.empty());
  CHECK(m.address_line.empty());

  // Details with a clear UPN but no token: the engine has no identifier.
  aegis::protocol::ChildIdentity id;
  id.name = {"Amira", "", "Khan"};
  id.date_of_birth = *Date::parse("2015-03-02");
  aegis::protocol::ChildDetails d;
  d.upn = "B801200005001";
  const MatchRecord n = make_match_record("leeds", "x", id, &d, {});
  CHECK(n.tokens.empty());
  CHECK(n.postcode.empty());  // no address
}

TEST_CASE("Jaro-Winkler matches the textbook values") {
  CHECK(jaro_winkler("martha", "marhta") == Approx(0.9611).margin(1e-4));
  CHECK(jaro_winkler("dwayne", "duane") == Approx(0.84).margin(1e-4));
  CHECK(jaro_winkler("dixon", "dicksonx") == Approx(0.8133).margin(1e-4));
  CHECK(jaro_winkler("abc", "abc") == 1.0);
  CHECK(jaro_winkler("abc", "xyz") == 0.0);
  CHECK(jaro_winkler("", "abc") == 0.0);
  CHECK(jaro_winkler("", "") == 1.0);
  const std::string long_a(300, 'a');
  CHECK(jaro_winkler(long_a, long_a + "b") > 0.99);  // beyond the stack buffers
}

TEST_CASE("Soundex codes") {
  CHECK(soundex("Robert") == "R163");
  CHECK(soundex("rupert") == "R163");
  CHECK(soundex("Ashcraft") == "A261");
  CHECK(soundex("Tymczak") == "T522");
  CHECK(soundex("Pfister") == "P236");
  CHECK(soundex("Lee") == "L000");
  CHECK(soundex("") == "");
  CHECK(soundex("123") == "");
}

TEST_CASE("the variant table knows nicknames and spellings, not unrelated names") {
  CHECK(name_variants("william", "bill"));
  CHECK(name_variants("liam", "will"));
  CHECK(name_variants("katherine", "catherine"));
  CHECK(name_variants("kate", "kathryn"));
  CHECK(name_variants("mohammed", "muhammad"));
  CHECK_FALSE(name_variants("william", "katherine"));
  CHECK_FALSE(name_variants("bill", "unknownname"));
  CHECK_FALSE(name_variants("", ""));
  CHECK(canonical_given("bill") == "william");
  CHECK(canonical_given("zebedee") == "zebedee");
}

TEST_CASE("given names: agree, variant, similar, initial, middle name, disagree, missing") {
  Child a;
  Child b;
  auto level = [&] { return compare_given(a.record(), b.record()); };
  b.given = "OLIVIA";
  CHECK(level() == Level::agree);
  a.given = "William";
  b.given = "Bill";
  CHECK(level() == Level::variant);
  b.given = "Wiliam";
  CHECK(level() == Level::similar);
  b.given = "W";
  CHECK(level() == Level::initial);
  b.given = "Grace";
  b.middle = "William";
  CHECK(level() == Level::variant);  // known by a middle name
  b.middle.clear();
  CHECK(level() == Level::disagree);
  b.given.clear();
  CHECK(level() == Level::missing);
}

TEST_CASE("family names: former names and double-barrelled names count") {
  Child a;
  Child b;
  b.family = "Jones";
  CHECK(compare_family(a.record(), b.record()) == Level::disagree);
  b.former = {{"Olivia", "", "Thompson"}};
  CHECK(compare_family(a.record(), b.record()) == Level::agree);
  b.former.clear();
  b.family = "Thompson-Jones";
  CHECK(compare_family(a.record(), b.record()) == Level::similar);
}

TEST_CASE("dates of birth: exact, transposed, one part, different") {
  auto d = [](const char* s) { return *Date::parse(s); };
  CHECK(compare_date_of_birth(d("2014-05-20"), d("2014-05-20")) == Level::agree);
  CHECK(compare_date_of_birth(d("2014-05-07"), d("2014-07-05")) == Level::transposed);
  CHECK(compare_date_of_birth(d("2014-05-20"), d("2015-05-20")) == Level::one_part);
  CHECK(compare_date_of_birth(d("2014-05-20"), d("2014-05-21")) == Level::one_part);
  CHECK(compare_date_of_birth(d("2014-05-20"), d("2016-06-20")) == Level::disagree);
  CHECK(compare_date_of_birth(d("2014-05-07"), d("2015-07-05")) == Level::disagree);
}

TEST_CASE("gender agrees only when both are known") {
  CHECK(compare_gender(Gender::male, Gender::male) == Level::agree);
  CHECK(compare_gender(Gender::male, Gender::female) == Level::disagree);
  CHECK(compare_gender(Gender::not_known, Gender::female) == Level::missing);
  CHECK(compare_gender(Gender::not_applicable, Gender::not_applicable) == Level::missing);
}

TEST_CASE("postcodes: full, outward, one typo, different, missing or shielded") {
  Child a;
  Child b;
  auto level = [&] { return compare_postcode(a.record(), b.record()); };
  b.postcode = "ct1  1aa";
  CHECK(level() == Level::agree);
  b.postcode = "CT1 9ZZ";
  CHECK(level() == Level::outward);
  b.postcode = "CT2 1AA";
  CHECK(level() == Level::close);
  b.postcode = "LS1 4AP";
  CHECK(level() == Level::disagree);
  b.postcode.clear();
  CHECK(level() == Level::missing);
  b.postcode = "CT1 1AA";
  b.shielded = true;
  CHECK(level() == Level::missing);
}

TEST_CASE("address lines: a typo is similar, another house number is not") {
  Child a;
  Child b;
  auto level = [&] { return compare_address_line(a.record(), b.record()); };
  b.line1 = "12, High Stret";
  CHECK(level() == Level::similar);
  b.line1 = "14 High Street";
  CHECK(level() == Level::close);
  b.line1 = "3 Mill Lane";
  CHECK(level() == Level::disagree);
  b.shielded = true;
  CHECK(level() == Level::missing);
}

TEST_CASE("one edit apart") {
  CHECK(one_edit_apart("2223", "2213"));
  CHECK(one_edit_apart("2223", "223"));
  CHECK(one_edit_apart("2132", "2312"));
  CHECK_FALSE(one_edit_apart("2223", "2223"));
  CHECK_FALSE(one_edit_apart("2223", "3332"));
  CHECK_FALSE(one_edit_apart("22", "2222"));
}

TEST_CASE("identifier tokens: agree, disagree (same kind, none shared), missing") {
  Child a;
  Child b;
  a.tokens = {test::token(IdentifierKind::nhs_number, "n1")};
  b.tokens = {test::token(IdentifierKind::nhs_number, "n1")};
  CHECK(compare_identifier(a.record(), b.record(), IdentifierKind::nhs_number) == Level::agree);
  b.tokens = {test::token(IdentifierKind::nhs_number, "n2")};
  CHECK(compare_identifier(a.record(), b.record(), IdentifierKind::nhs_number) == Level::disagree);
  b.tokens = {test::token(IdentifierKind::upn, "n1")};  // same bytes, other kind
  CHECK(compare_identifier(a.record(), b.record(), IdentifierKind::nhs_number) == Level::missing);
  CHECK(compare_identifier(a.record(), b.record(), IdentifierKind::upn) == Level::missing);
}

TEST_CASE("blocking keys: a transposed date and swapped names share a key; shielded has fewer") {
  Child a;
  a.dob = "2014-05-07";
  Child b = a;
  b.dob = "2014-07-05";
  b.postcode = "LS1 4AP";
  b.line1 = "1 Other Road";
  CHECK(shares_a_key(a.record(), b.record()));
  Child c = a;
  std::swap(c.given, c.family);
  c.postcode = "LS1 4AP";
  c.line1 = "1 Other Road";
  CHECK(shares_a_key(a.record(), c.record()));
  Child d;
  d.given = "Zack";
  d.family = "Quarrie";
  d.dob = "2019-01-01";
  d.postcode = "LS1 4AP";
  d.line1 = "1 Other Road";
  CHECK_FALSE(shares_a_key(a.record(), d.record()));
  Child s = a;
  s.shielded = true;
  CHECK(blocking_keys(s.record()).size() < blocking_keys(a.record()).size());
}

TEST_CASE("the locality is every address line after the first; a shielded record has none") {
  Child c;
  c.locality = {"Northgate", "", "Canterbury", "KENT"};
  CHECK(c.record().locality == "northgate | canterbury | kent");
  c.locality.clear();
  CHECK(c.record().locality.empty());
  c.locality = {"Canterbury"};
  c.shielded = true;
  CHECK(c.record().locality.empty());
}

TEST_CASE("localities: same lines agree, a typo is similar, one shared line is close") {
  Child a;
  a.locality = {"Oakdale", "Kirwan", "NSW"};
  Child b = a;
  auto level = [&] { return compare_locality(a.record(), b.record()); };
  CHECK(level() == Level::agree);
  b.locality = {"Oakdale", "Kirwsn", "NSW"};
  CHECK(level() == Level::similar);
  b.locality = {"Border Park", "Erindale", "NSW"};
  CHECK(level() == Level::close);  // the same state only
  b.locality = {"Border Park", "Erindale", "VIC"};
  CHECK(level() == Level::disagree);
  b.locality.clear();
  CHECK(level() == Level::missing);
  b.locality = {"Oakdale"};
  a.shielded = true;
  CHECK(level() == Level::missing);
}

TEST_CASE("middle names: compared only when both have one; an initial is not agreement") {
  Child a;
  a.middle = "Rose";
  Child b = a;
  auto level = [&] { return compare_middle(a.record(), b.record()); };
  CHECK(level() == Level::agree);
  b.middle = "R";
  CHECK(level() == Level::initial);
  b.middle = "Grace";
  CHECK(level() == Level::disagree);
  b.middle = "";
  CHECK(level() == Level::missing);
  a.middle = "";
  CHECK(level() == Level::missing);
}

TEST_CASE("blocking keys: a typo in a name's first letters still meets through date and other name") {
  Child a;  // Olivia Thompson, 2014-05-20, CT1 1AA
  Child moved = a;
  moved.postcode = "LS1 4AP";
  moved.line1 = "1 Park Row";
  // Soundex and first three letters both changed by one typo.
  Child given_typo = moved;
  given_typo.given = "Alivia";
  CHECK(soundex("olivia") != soundex("alivia"));
  CHECK(shares_a_key(a.record(), given_typo.record()));
  Child family_typo = moved;
  family_typo.family = "Hhompson";
  CHECK(shares_a_key(a.record(), family_typo.record()));
  // Names swapped as well: still met.
  Child swapped = given_typo;
  std::swap(swapped.given, swapped.family);
  CHECK(shares_a_key(a.record(), swapped.record()));
  // Not a key on the date and one name: another child of that family and date, other name.
  Child sibling = moved;
  sibling.given = "Sophie";
  CHECK_FALSE(shares_a_key(a.record(), sibling.record()));
  // Both names mistyped at the start, or another date: not met.
  Child both = given_typo;
  both.family = "Hhompson";
  CHECK_FALSE(shares_a_key(a.record(), both.record()));
  Child other_date = given_typo;
  other_date.dob = "2013-01-02";
  CHECK_FALSE(shares_a_key(a.record(), other_date.record()));
}

TEST_CASE("blocking keys: a postcode typo with a name replaced still meets on the date") {
  Child a;  // FEBRL-like: a 4-digit postcode without a district
  a.postcode = "2602";
  a.line1 = "5 milne cove";
  Child b = a;
  b.family = "Lanyon";       // the family name replaced
  b.line1 = "5 milne cvoe";  // and the street mistyped
  for (const std::string pc : {"2603", "3602", "2620"}) {
    b.postcode = pc;
    INFO(pc);
    if (pc == "2620") {
      CHECK_FALSE(shares_a_key(a.record(), b.record()));  // a middle typo: neither end kept
    } else {
      CHECK(shares_a_key(a.record(), b.record()));
    }
  }
  // Another date: not met (the key is not the postcode alone).
  b.postcode = "2603";
  b.dob = "2013-02-01";
  CHECK_FALSE(shares_a_key(a.record(), b.record()));
  // A shielded record has no postcode keys.
  Child s = b;
  s.dob = a.dob;
  s.shielded = true;
  CHECK_FALSE(shares_a_key(a.record(), s.record()));
}

TEST_CASE("blocking keys: a typo inside a short given name still meets through date, family, initial") {
  Child a;  // Olivia Thompson, 2014-05-20, CT1 1AA
  a.given = "Simon";
  a.gender = Gender::male;
  Child moved = a;  // another home, no identifier in common
  moved.postcode = "LS1 4AP";
  moved.line1 = "1 Park Row";
  // One typo that changes the Soundex code and both the first and last 3 letters.
  for (const std::string typo : {"Siyon", "Sion"}) {  // the middle letter replaced, removed
    INFO(typo);
    Child given_typo = moved;
    given_typo.given = typo;
    CHECK(shares_a_key(a.record(), given_typo.record()));
    // A former family name instead of the family name: met through the former name.
    Child renamed = given_typo;
    renamed.family = "Ryan";
    renamed.former = {aegis::protocol::PersonName{"", "", "Thompson"}};
    CHECK(shares_a_key(a.record(), renamed.record()));
    // Not when the gender differs (a sister with a name of that initial), nor with another
    // family name.
    Child sister = given_typo;
    sister.gender = Gender::female;
    CHECK_FALSE(shares_a_key(a.record(), sister.record()));
    Child other = given_typo;
    other.family = "Taylor";
    CHECK_FALSE(shares_a_key(a.record(), other.record()));
  }
  CHECK(soundex("simon") != soundex("siyon"));
  CHECK(soundex("simon") != soundex("sion"));
  // A brother born the same day, another home, a given name with another initial: not met.
  Child brother = moved;
  brother.given = "Oscar";
  CHECK_FALSE(shares_a_key(a.record(), brother.record()));
  // Not the other way round: a typo inside a short family name with the given name whole
  // (a block of the given name and the family's initial would be too large).
  Child lewis = a;
  lewis.family = "Lewis";
  Child family_typo = moved;
  family_typo.family = "Lebis";
  CHECK(soundex("lewis") != soundex("lebis"));
  CHECK_FALSE(shares_a_key(lewis.record(), family_typo.record()));
}
