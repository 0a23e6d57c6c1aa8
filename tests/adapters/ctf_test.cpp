// DfE Common Transfer File importer (adapters/src/ctf.cpp, docs/ctf.md): every mapped field of
// the hand-written samples in tests/data/ctf, each validation rule, each kind of broken file,
// duplicates, XXE, and a 20,000-pupil file parsed streaming.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <vector>

#include "aegis/adapters/adapter.hpp"
#include "sink_fixture.hpp"
#include "test_support.hpp"

using namespace aegis;
using adapters::FileError;
using adapters::Parsed;
using adapters::ParseOptions;
using adapters::ParseResult;
using adapters::Quarantined;
using protocol::Date;
using protocol::Gender;
using test::CollectSink;
using test::line_of;
using test::read_file;
using test::replaced;
using test::write_file;

namespace {

const std::filesystem::path kData = std::filesystem::path(AEGIS_SOURCE_DIR) / "tests/data/ctf";
constexpr std::string_view kPupils = "CTfile/CTFpupilData/";

ParseOptions options() {
  ParseOptions o;
  o.today = *Date::parse("2024-03-01");
  return o;
}

ParseResult parse(const std::filesystem::path& file, CollectSink& sink,
                  const ParseOptions& o = options()) {
  return adapters::parse_ctf(file, o, sink);
}

// A variant of good-partial.xml written to a temporary directory.
struct Variant {
  test::TempDir dir{"aegis-ctf"};
  std::filesystem::path file = dir / "variant.xml";
  explicit Variant(const std::string& text) { write_file(file, text); }
};

std::string partial_text() { return read_file(kData / "good-partial.xml"); }

// Parses a variant of good-partial.xml that must be rejected whole; returns the error.
FileError rejected(const std::string& text) {
  Variant v(text);
  CollectSink sink;
  const ParseResult result = parse(v.file, sink);
  REQUIRE_FALSE(result.ok());
  CHECK(sink.records.empty());
  return result.error();
}

protocol::PersonName name(std::string given, std::string middle, std::string family) {
  return {std::move(given), std::move(middle), std::move(family)};
}

protocol::Contact contact(protocol::PersonName n, std::string relationship, bool responsibility,
                          std::vector<std::string> phones, bool as_child,
                          std::optional<protocol::Address> address) {
  protocol::Contact c;
  c.name = std::move(n);
  c.relationship = std::move(relationship);
  c.parental_responsibility = responsibility;
  c.phones = std::move(phones);
  c.address_as_child = as_child;
  c.address = std::move(address);
  return c;
}

protocol::Involvement school(std::string name, std::string la_estab) {
  protocol::Involvement v;
  v.kind = protocol::InvolvementKind::educational_setting;
  v.organisation = std::move(name);
  v.organisation_id = std::move(la_estab);
  return v;
}

}  // namespace

// ---- good files ---------------------------------------------------------------------------

TEST_CASE("ctf: a full CTF maps header, names, address, contacts and school") {
  CollectSink sink;
  const ParseResult result = parse(kData / "good-full.xml", sink);
  REQUIRE(result.ok());
  CHECK(sink.begins == 1);
  CHECK_FALSE(sink.out_of_order);
  CHECK(sink.info.format == adapters::Format::ctf);
  CHECK(sink.info.source == "school 8234001");
  REQUIRE(sink.info.roll.has_value());
  CHECK(sink.info.roll->organisation_id == "8234001");
  CHECK(sink.info.roll->as_of == *Date::parse("2024-02-01"));
  CHECK(result->info.source == sink.info.source);
  CHECK(result->records == 3);
  CHECK(result->quarantined == 0);
  CHECK(sink.quarantined.empty());
  REQUIRE(sink.records.size() == 3);
  for (const auto& p : sink.records) CHECK(protocol::check_record(p.record).ok());

  const std::string text = read_file(kData / "good-full.xml");
  const Parsed& amara = sink.records[0];
  CHECK(amara.where.path == std::string(kPupils) + "Pupil[1]");
  CHECK(amara.where.line == line_of(text, "<Pupil>", 1));

  protocol::ChildRecord want;
  want.record_id = "ctf:P823400119001";
  want.identity.name = name("Amara", "Grace Ngozi", "Okafor");
  // Preferred name first, then the former name; the legal name stays the name.
  want.identity.former_names = {name("Amy", "Grace Ngozi", "Okafor"),
                                name("Amara", "Grace Ngozi", "Bennett")};
  want.identity.gender = Gender::female;
  want.identity.date_of_birth = *Date::parse("2012-05-17");
  // SAON; PAON number joined to Street; Locality; Town; AdministrativeArea. PostTown repeats
  // Town and County repeats AdministrativeArea (case aside): dropped. Postcode normalised.
  want.details.address = protocol::Address{{"Flat 3", "27 Mill Lane", "Tovil", "Maidstone", "Kent"},
                                           "ME15 6XA"};
  want.details.upn = "P823400119001";
  want.details.uln = "1000070009";
  // Sorted by Order: the mother (Order 1) comes first although the file lists her second.
  want.details.contacts = {
      contact(name("Chioma", "Ada", "Okafor"), "PAM", true, {"07700 900456"}, true, std::nullopt),
      contact(name("Daniel", "", "Bennett"), "PAF", false, {"07700 900123", "01233 000222"},
              false, protocol::Address{{"4 Station Road", "Ashford"}, "TN23 1AB"})};
  want.details.involvements = {school("Riverside Primary School", "8234001")};
  CHECK(amara.record == want);

  protocol::ChildRecord thomas;
  thomas.record_id = "ctf:A82340011900A";  // a temporary UPN
  thomas.identity.name = name("Thomas", "", "Hughes");
  thomas.identity.former_names = {name("Thomas", "", "Hughes-Carter")};
  thomas.identity.gender = Gender::male;  // from the older <Gender> element
  thomas.identity.date_of_birth = *Date::parse("2015-11-30");
  thomas.details.address = protocol::Address{
      {"The Old Forge", "Church Street", "Boughton Monchelsea", "Maidstone"}, "ME17 4BU"};
  thomas.details.upn = "A82340011900A";
  thomas.details.contacts = {
      contact(name("Jo", "", "Carter"), "CAR", true, {}, true, std::nullopt)};
  thomas.details.involvements = {school("Riverside Primary School", "8234001")};
  CHECK(sink.records[1].record == thomas);

  protocol::ChildRecord rohan;
  rohan.record_id = "ctf:T823400119003";  // upper-cased
  rohan.identity.name = name("Rohan", "", "Patel");
  rohan.identity.gender = Gender::male;
  rohan.identity.date_of_birth = *Date::parse("2018-03-02");
  rohan.details.upn = "T823400119003";
  rohan.details.involvements = {school("Riverside Primary School", "8234001")};
  CHECK(sink.records[2].record == rohan);
}

TEST_CASE("ctf: skipped elements (phones, email, FSM, SEN, ethnicity...) leave no trace") {
  CollectSink sink;
  REQUIRE(parse(kData / "good-full.xml", sink).ok());
  const auto bytes = protocol::encode_child_record(sink.records.at(0).record);
  for (const char* absent : {"01622 000111", "amara@example.invalid", "daniel@example.invalid",
                             "BAFR", "200003684321", "575912", "Little Acorns", "D823400119002",
                             "skipped", "Mrs", "Ms"})
    CHECK_FALSE(test::contains_bytes(bytes, absent));
}

TEST_CASE("ctf: a partial CTF has no roll; a BS7666 house name keeps its own line") {
  CollectSink sink;
  const ParseResult result = parse(kData / "good-partial.xml", sink);
  REQUIRE(result.ok());
  CHECK(sink.begins == 1);
  CHECK(sink.info.source == "school 8862001");
  CHECK_FALSE(sink.info.roll.has_value());
  REQUIRE(sink.records.size() == 1);
  const auto& r = sink.records[0].record;
  CHECK(r.record_id == "ctf:G823400119004");
  CHECK(r.identity.name == name("Zofia", "", "Nowak"));
  CHECK(r.identity.former_names.empty());
  CHECK(r.identity.gender == Gender::female);
  CHECK(r.details.address ==
        protocol::Address{{"Rose Cottage", "Green Lane", "Faversham"}, "ME13 8PQ"});
  CHECK_FALSE(r.details.uln.has_value());
  REQUIRE(r.details.contacts.size() == 1);
  CHECK(r.details.contacts[0] ==
        contact(name("Marta", "", "Nowak"), "PAM", true, {}, true, std::nullopt));
  CHECK(r.details.involvements == std::vector{school("Oakfield Academy", "8862001")});
}

TEST_CASE("ctf: lenient: qualifier case, Sex over Gender, U, empty Responsibility, UPN spaces") {
  std::string text =
      replaced(partial_text(), "<DocumentQualifier>partial", "<DocumentQualifier>Full");
  text = replaced(text, "<Sex>F</Sex>", "<Sex>U</Sex><Gender>F</Gender>");
  text = replaced(text, "<Responsibility>true</Responsibility>", "<Responsibility/>");
  text = replaced(text, "<UPN>G823400119004</UPN>", "<UPN> g823 4001 19004 </UPN>");
  Variant v(text);
  CollectSink sink;
  REQUIRE(parse(v.file, sink).ok());
  REQUIRE(sink.info.roll.has_value());
  CHECK(sink.info.roll->as_of == *Date::parse("2024-01-15"));
  REQUIRE(sink.records.size() == 1);
  CHECK(sink.records[0].record.identity.gender == Gender::not_known);
  CHECK(sink.records[0].record.record_id == "ctf:G823400119004");
  REQUIRE(sink.records[0].record.details.contacts.size() == 1);
  CHECK_FALSE(sink.records[0].record.details.contacts[0].parental_responsibility);
}

TEST_CASE("ctf: a field's text is trimmed, and joined across a comment inside it") {
  const std::string text = replaced(
      partial_text(), "<Surname>Nowak</Surname>\n      <Forename>Zofia</Forename>",
      "<Surname>\n\t  Nowak-<!-- joined -->Kowalska  \r\n</Surname><Forename> Zofia </Forename>");
  Variant v(text);
  CollectSink sink;
  REQUIRE(parse(v.file, sink).ok());
  REQUIRE(sink.records.size() == 1);
  CHECK(sink.records[0].record.identity.name.family == "Nowak-Kowalska");
  CHECK(sink.records[0].record.identity.name.given == "Zofia");
  // A contact's field with the same spelling elsewhere is untouched.
  REQUIRE(sink.records[0].record.details.contacts.size() == 1);
  CHECK(sink.records[0].record.details.contacts[0].name.family == "Nowak");
}

TEST_CASE("ctf: a required field of only whitespace, or only a comment, is missing") {
  for (const char* surname : {"<Surname>  \n\t </Surname>", "<Surname><!-- none --></Surname>",
                              "<Surname> <!-- none --> </Surname>"}) {
    Variant v(replaced(partial_text(), "<UPN>G823400119004</UPN>\n      <Surname>Nowak</Surname>",
                       std::string("<UPN>G823400119004</UPN>") + surname));
    CollectSink sink;
    REQUIRE(parse(v.file, sink).ok());
    CHECK(sink.records.empty());
    REQUIRE(sink.quarantined.size() == 1);
    CHECK(sink.quarantined[0].field == "Surname");
    CHECK(sink.quarantined[0].reason == "missing");
  }
}

TEST_CASE("ctf: more than six address parts are joined into the sixth line") {
  const std::string text = replaced(
      partial_text(), "<PAON>Rose Cottage</PAON>",
      "<SAON>Flat 1</SAON><PAON>Rose Cottage</PAON><Locality>Oare</Locality>"
      "<AdministrativeArea>Swale</AdministrativeArea><PostTown>Sittingbourne</PostTown>");
  Variant v(replaced(text, "<PostCode>ME13 8PQ", "<County>Kent</County><PostCode>ME13 8PQ"));
  CollectSink sink;
  REQUIRE(parse(v.file, sink).ok());
  REQUIRE(sink.records.size() == 1);
  CHECK(sink.records[0].record.details.address->lines ==
        std::vector<std::string>{"Flat 1", "Rose Cottage", "Green Lane", "Oare", "Faversham",
                                 "Swale, Sittingbourne, Kent"});
}

TEST_CASE("ctf: an empty CTFpupilData is a valid file with no pupils") {
  const std::string text = partial_text();
  const auto from = text.find("<CTFpupilData>");
  const auto to = text.find("</CTFpupilData>") + std::string("</CTFpupilData>").size();
  Variant v(text.substr(0, from) + "<CTFpupilData/>" + text.substr(to));
  CollectSink sink;
  const ParseResult result = parse(v.file, sink);
  REQUIRE(result.ok());
  CHECK(sink.begins == 1);
  CHECK(result->records == 0);
}

// ---- validation: each invalid pupil is quarantined, the rest imported ------------------------

TEST_CASE("ctf: each validation rule quarantines its pupil and the rest is imported") {
  CollectSink sink;
  const ParseResult result = parse(kData / "bad-records.xml", sink);
  REQUIRE(result.ok());
  CHECK_FALSE(sink.out_of_order);
  REQUIRE(sink.records.size() == 2);
  CHECK(sink.records[0].record.record_id == "ctf:P823400119001");
  CHECK(sink.records[0].where.path == std::string(kPupils) + "Pupil[1]");
  CHECK(sink.records[1].record.record_id == "ctf:Q823400119019");
  CHECK(sink.records[1].where.path == std::string(kPupils) + "Pupil[22]");
  CHECK(result->records == 2);
  CHECK(result->quarantined == 20);

  struct Expected {
    int pupil;
    std::string path;  // after Pupil[n]
    std::string local_id;
    std::string field;
    std::string reason;
  };
  const std::vector<Expected> expected = {
      {2, "/UPN", "", "UPN", "check letter is wrong"},
      {3, "", "", "UPN", "missing"},
      {4, "/UPN", "", "UPN", "not a letter, 11 digits, then a digit or a letter"},
      {5, "/UniqueLearnerNumber", "ctf:D823400119002", "UniqueLearnerNumber",
       "check digit is wrong"},
      {6, "/DOB", "ctf:T823400119003", "DOB", "date is in the future"},
      {7, "/DOB", "ctf:G823400119004", "DOB", "not a date YYYY-MM-DD"},
      {8, "/DOB", "ctf:W823400119005", "DOB", "more than 25 years ago"},
      {9, "", "ctf:K823400119006", "DOB", "missing"},
      {10, "", "ctf:Z823400119007", "Surname", "missing"},
      {11, "", "ctf:N823400119008", "Forename", "missing"},
      {12, "/Address/PostCode", "ctf:C823400119009", "PostCode", "not a postcode"},
      {13, "/Sex", "ctf:N823400119010", "Sex", "not M, F or U"},
      {14, "/Contacts/Contact[1]", "ctf:C823400119011", "Relationship", "missing"},
      {15, "/Contacts/Contact[1]/Responsibility", "ctf:R823400119012", "Responsibility",
       "not true or false"},
      {16, "/Contacts/Contact[1]/Address", "ctf:F823400119013", "Address",
       "given together with AddressAsPupil"},
      {17, "/Contacts/Contact[1]/Order", "ctf:V823400119014", "Order", "not a whole number"},
      {18, "/Address", "ctf:J823400119015", "Address", "no address lines"},
      {19, "", "ctf:Y823400119016", "record.identity.name.family", "101 bytes, limit 100"},
      {20, "", "ctf:M823400119017", "record.details.contacts[0].phones", "9 elements, limit 8"},
      {21, "/Contacts/Contact[1]", "ctf:B823400119018", "Surname", "missing"},
  };
  REQUIRE(sink.quarantined.size() == expected.size());
  const std::string text = read_file(kData / "bad-records.xml");
  for (std::size_t i = 0; i < expected.size(); ++i) {
    const Expected& e = expected[i];
    const Quarantined& q = sink.quarantined[i];
    INFO("pupil " << e.pupil);
    CHECK(q.where.path == std::string(kPupils) + "Pupil[" + std::to_string(e.pupil) + "]" + e.path);
    CHECK(q.local_id == e.local_id);
    CHECK(q.field == e.field);
    CHECK(q.reason == e.reason);
    CHECK(q.where.line >= line_of(text, "<Pupil>", e.pupil));
    CHECK(q.where.line < line_of(text, "</Pupil>", e.pupil) + 1);
  }
}

TEST_CASE("ctf: a quarantined field reports the line of its element") {
  CollectSink sink;
  REQUIRE(parse(kData / "bad-records.xml", sink).ok());
  const std::string text = read_file(kData / "bad-records.xml");
  REQUIRE_FALSE(sink.quarantined.empty());
  CHECK(sink.quarantined[0].where.line == line_of(text, "<UPN>A823400119001</UPN>"));
  CHECK(sink.quarantined[4].where.line == line_of(text, "<DOB>2025-01-01</DOB>"));
}

TEST_CASE("ctf: a quarantined field's line stays exact past line 65535") {
  std::string text = partial_text();
  text = replaced(text, "<CTFpupilData>", "<CTFpupilData>" + std::string(70000, '\n'));
  text = replaced(text, "<DOB>2010-07-04", "<DOB>2030-07-04");
  Variant v(text);
  CollectSink sink;
  REQUIRE(parse(v.file, sink).ok());
  REQUIRE(sink.quarantined.size() == 1);
  CHECK(sink.quarantined[0].where.line == line_of(text, "<DOB>"));
  CHECK(sink.quarantined[0].where.line > 70000);
}

TEST_CASE("ctf: quarantine entries never contain a field's value") {
  CollectSink sink;
  REQUIRE(parse(kData / "bad-records.xml", sink).ok());
  for (const auto& q : sink.quarantined) {
    const std::string all = q.where.path + "|" + q.field + "|" + q.reason;
    for (const char* value : {"A823400119001", "X8234001A9001", "1000070008", "2025-01-01",
                              "2023-02-30", "1990-01-01", "Nowak", "Zofia", "Marta", "NOT A CODE",
                              "ME13", "maybe", "first", "NNNN", "07700"})
      CHECK(all.find(value) == std::string::npos);
    // The only identifier is the record id the pupil would have had.
    CHECK((q.local_id.empty() || q.local_id.rfind("ctf:", 0) == 0));
  }
}

TEST_CASE("ctf: duplicate UPNs and ULNs: the first is imported, later ones quarantined") {
  CollectSink sink;
  const ParseResult result = parse(kData / "duplicates.xml", sink);
  REQUIRE(result.ok());
  REQUIRE(sink.records.size() == 2);
  CHECK(sink.records[0].record.record_id == "ctf:P823400119001");
  CHECK(sink.records[0].record.identity.name.family == "Nowak");
  CHECK(sink.records[1].record.record_id == "ctf:D823400119002");
  REQUIRE(sink.quarantined.size() == 3);
  CHECK(sink.quarantined[0].where.path == std::string(kPupils) + "Pupil[3]/UPN");
  CHECK(sink.quarantined[0].local_id == "ctf:P823400119001");
  CHECK(sink.quarantined[0].field == "UPN");
  CHECK(sink.quarantined[0].reason == "duplicate UPN");
  CHECK(sink.quarantined[1].where.path == std::string(kPupils) + "Pupil[4]/UniqueLearnerNumber");
  CHECK(sink.quarantined[1].local_id == "ctf:T823400119003");
  CHECK(sink.quarantined[1].reason == "duplicate ULN");
  // A lower-case copy is the same UPN.
  CHECK(sink.quarantined[2].where.path == std::string(kPupils) + "Pupil[5]/UPN");
  CHECK(sink.quarantined[2].reason == "duplicate UPN");
}

TEST_CASE("ctf: a pupil quarantined for another reason still claims its UPN") {
  std::string text = partial_text();
  const auto from = text.find("    <Pupil>");
  const auto to = text.find("</Pupil>") + std::string("</Pupil>\n").size();
  const std::string pupil = text.substr(from, to - from);
  text.insert(from, replaced(pupil, "<DOB>2010-07-04", "<DOB>2030-07-04"));
  Variant v(text);
  CollectSink sink;
  REQUIRE(parse(v.file, sink).ok());
  CHECK(sink.records.empty());  // the file cannot say which of the two is right
  REQUIRE(sink.quarantined.size() == 2);
  CHECK(sink.quarantined[0].field == "DOB");
  CHECK(sink.quarantined[1].reason == "duplicate UPN");
}

// ---- structurally broken files: rejected whole with one error -------------------------------

TEST_CASE("ctf: a file that is not well-formed is rejected with its line") {
  CollectSink sink;
  const ParseResult result = parse(kData / "malformed.xml", sink);
  REQUIRE_FALSE(result.ok());
  CHECK(result.error().where.line == line_of(read_file(kData / "malformed.xml"), "</Forename>"));
  CHECK(result.error().message.find("mismatch") != std::string::npos);
  CHECK(result.error().message.find("Nowak") == std::string::npos);
  CHECK(sink.records.empty());
}

TEST_CASE("ctf: a Latin-1 byte in a UTF-8 file is rejected as wrong encoding") {
  CollectSink sink;
  const ParseResult result = parse(kData / "latin1-in-utf8.xml", sink);
  REQUIRE_FALSE(result.ok());
  CHECK(result.error().where.line > 0);
  CHECK(result.error().message.find("UTF-8") != std::string::npos);
  CHECK(result.error().message.find('\n') == std::string::npos);
  CHECK(sink.records.empty());
}

TEST_CASE("ctf: a file in its declared ISO-8859-1 encoding is read and stored as UTF-8") {
  CollectSink sink;
  REQUIRE(parse(kData / "latin1-declared.xml", sink).ok());
  REQUIRE(sink.records.size() == 1);
  CHECK(sink.records[0].record.identity.name.given == "Zo\xC3\xA9");
}

TEST_CASE("ctf: a truncated file is rejected, even after pupils were handed over") {
  CollectSink sink;
  const ParseResult result = parse(kData / "truncated.xml", sink);
  REQUIRE_FALSE(result.ok());
  CHECK_FALSE(result.error().message.empty());
  // The complete first pupil may already be in the sink: the importer discards the whole
  // transaction on a FileError. The cut-off second pupil never is.
  for (const auto& p : sink.records) CHECK(p.record.record_id != "ctf:W823400119005");
  CHECK(sink.quarantined.empty());
}

TEST_CASE("ctf: an empty file is rejected") {
  CollectSink sink;
  const ParseResult result = parse(kData / "empty.xml", sink);
  REQUIRE_FALSE(result.ok());
  CHECK(result.error().message == "the file is empty");
  CHECK(sink.begins == 0);
}

TEST_CASE("ctf: a file with only whitespace or only a declaration is rejected") {
  for (const char* text : {"   \n\n", "<?xml version=\"1.0\"?>\n"}) {
    Variant v(text);
    CollectSink sink;
    CHECK_FALSE(parse(v.file, sink).ok());
    CHECK(sink.begins == 0);
  }
}

TEST_CASE("ctf: a missing file is rejected") {
  CollectSink sink;
  const ParseResult result = parse(kData / "no-such-file.xml", sink);
  REQUIRE_FALSE(result.ok());
  CHECK(result.error().message.find("cannot read the file") == 0);
}

TEST_CASE("ctf: a file larger than max_file_bytes is rejected before it is read") {
  ParseOptions small = options();
  small.max_file_bytes = 100;
  CollectSink sink;
  const ParseResult result = parse(kData / "good-partial.xml", sink, small);
  REQUIRE_FALSE(result.ok());
  CHECK(result.error().message.find("larger than the limit") != std::string::npos);
  CHECK(sink.begins == 0);
}

TEST_CASE("ctf: a wrong root element is rejected") {
  CollectSink sink;
  const ParseResult result = parse(kData / "wrong-root.xml", sink);
  REQUIRE_FALSE(result.ok());
  CHECK(result.error().message.find("wrong root element") != std::string::npos);
  CHECK(result.error().where.line == 3);
  CHECK(sink.begins == 0);
}

TEST_CASE("ctf: pupils without a Header before them are rejected") {
  CollectSink sink;
  const ParseResult result = parse(kData / "missing-header.xml", sink);
  REQUIRE_FALSE(result.ok());
  CHECK(result.error().message.find("Header missing") != std::string::npos);
  CHECK(sink.begins == 0);
  CHECK(sink.records.empty());
}

TEST_CASE("ctf: a file without CTFpupilData is rejected") {
  const std::string text = partial_text();
  const auto from = text.find("  <CTFpupilData>");
  const auto to = text.find("</CTFpupilData>") + std::string("</CTFpupilData>").size();
  const FileError e = rejected(text.substr(0, from) + text.substr(to));
  CHECK(e.message.find("CTFpupilData missing") != std::string::npos);
}

TEST_CASE("ctf: content after the root element is rejected") {
  const FileError e = rejected(partial_text() + "<CTfile/>\n");
  CHECK(e.message.find("Extra content") != std::string::npos);
}

TEST_CASE("ctf: each missing or invalid header field rejects the file") {
  struct Case {
    std::string from, to, expect;
  };
  const std::vector<Case> cases = {
      {"<DateTime>2024-01-15T08:00:00</DateTime>", "", "Header: DateTime missing"},
      {"2024-01-15T08:00:00", "15/01/2024 08:00", "Header/DateTime: not a date-time"},
      {"2024-01-15T08:00:00", "2024-02-30T08:00:00", "Header/DateTime: not a date-time"},
      {"2024-01-15T08:00:00", "2024-01-15X08:00:00", "Header/DateTime: not a date-time"},
      {"2024-01-15T08:00:00", "2024-06-01T08:00:00", "Header/DateTime: date is in the future"},
      {"<DocumentQualifier>partial</DocumentQualifier>", "", "Header: DocumentQualifier missing"},
      {"<DocumentQualifier>partial", "<DocumentQualifier>complete",
       "Header/DocumentQualifier: not full or partial"},
      {"<LEA>886</LEA>", "", "SourceSchool/LEA: not 3 digits"},
      {"<LEA>886</LEA>", "<LEA>88</LEA>", "SourceSchool/LEA: not 3 digits"},
      {"<Estab>2001</Estab>", "<Estab>20A1</Estab>", "SourceSchool/Estab: not 4 digits"},
      {"<SchoolName>Oakfield Academy</SchoolName>", "<URN>12345</URN>",
       "SourceSchool/URN: not 6 digits"},
      {"<SchoolName>Oakfield Academy</SchoolName>", "", "SourceSchool: SchoolName missing"},
      {"Oakfield Academy", std::string(201, 'O'), "SourceSchool/SchoolName: longer than 200 bytes"},
  };
  for (const auto& c : cases) {
    INFO(c.expect);
    const FileError e = rejected(replaced(partial_text(), c.from, c.to));
    CHECK(e.message.find(c.expect) != std::string::npos);
    CHECK(e.where.line > 0);
  }
  const std::string text = partial_text();
  const auto from = text.find("    <SourceSchool>");
  const auto to = text.find("</SourceSchool>") + std::string("</SourceSchool>").size();
  CHECK(rejected(text.substr(0, from) + text.substr(to)).message.find("SourceSchool missing") !=
        std::string::npos);
}

TEST_CASE("ctf: a header-only DateTime date (no time) is accepted") {
  Variant v(replaced(partial_text(), "2024-01-15T08:00:00", "2024-01-15"));
  CollectSink sink;
  CHECK(parse(v.file, sink).ok());
}

// ---- unknown elements, XXE, the sink --------------------------------------------------------

TEST_CASE("ctf: unknown elements anywhere are skipped, never an error") {
  std::string text = replaced(partial_text(), "<Header>", "<Preamble><X>1</X></Preamble><Header>");
  text = replaced(text, "<DocumentName>",
                  "<NewHeaderThing a=\"1\"><Y/></NewHeaderThing><DocumentName>");
  text = replaced(text, "<CTFpupilData>", "<CTFpupilData><BatchInfo><Z>2</Z></BatchInfo>");
  text =
      replaced(text, "<Sex>F</Sex>", "<Sex>F</Sex><Surname2><Surname>Wrong</Surname></Surname2>");
  text = replaced(text, "<Order>1</Order>", "<Order>1</Order><Pronouns>she</Pronouns>");
  text = replaced(text, "<Town>Faversham</Town>",
                  "<Town>Faversham</Town><What3Words>a.b.c</What3Words>");
  Variant v(text);
  CollectSink sink;
  const ParseResult result = parse(v.file, sink);
  REQUIRE(result.ok());
  REQUIRE(sink.records.size() == 1);
  CHECK(sink.quarantined.empty());
  // The nested <Surname> inside an unknown element is not the pupil's.
  CHECK(sink.records[0].record.identity.name.family == "Nowak");
  CHECK(sink.records[0].record.details.address->lines ==
        std::vector<std::string>{"Rose Cottage", "Green Lane", "Faversham"});
}

TEST_CASE("ctf: an XML external entity is never read") {
  const std::string secret = read_file(kData / "xxe-secret.txt");
  REQUIRE(secret.find("XXE-CANARY") == 0);
  CollectSink sink;
  const ParseResult result = parse(kData / "xxe.xml", sink);
  // Whatever the outcome, nothing of the external file reaches a record, a report or an error.
  for (const auto& p : sink.records)
    CHECK_FALSE(test::contains_bytes(protocol::encode_child_record(p.record), "XXE-CANARY"));
  for (const auto& q : sink.quarantined)
    CHECK((q.where.path + q.field + q.reason).find("XXE-CANARY") == std::string::npos);
  if (!result.ok()) CHECK(result.error().message.find("XXE-CANARY") == std::string::npos);
  REQUIRE(result.ok());
  REQUIRE(sink.records.size() == 1);
  CHECK(sink.records[0].record.identity.name.family == "Nowak");
}

TEST_CASE("ctf: an external entity with an absolute path is never read either") {
  test::TempDir dir("aegis-ctf-xxe");
  write_file(dir / "secret.txt", "ABSOLUTE-CANARY");
  std::string text = read_file(kData / "xxe.xml");
  text = replaced(text, "\"xxe-secret.txt\"", "\"file://" + (dir / "secret.txt").string() + "\"");
  write_file(dir / "in.xml", text);
  CollectSink sink;
  const ParseResult result = parse(dir / "in.xml", sink);
  REQUIRE(result.ok());
  REQUIRE(sink.records.size() == 1);
  CHECK_FALSE(test::contains_bytes(protocol::encode_child_record(sink.records[0].record),
                                   "ABSOLUTE-CANARY"));
}

TEST_CASE("ctf: an internal entity is left out of the text, like an external one") {
  std::string text = replaced(partial_text(), "<CTfile>",
                              "<!DOCTYPE CTfile [ <!ENTITY inner \"INNER-CANARY\"> ]>\n<CTfile>");
  text = replaced(text, "<Surname>Nowak</Surname>\n      <Forename>",
                  "<Surname>Nowak&inner;</Surname>\n      <Forename>");
  Variant v(text);
  CollectSink sink;
  REQUIRE(parse(v.file, sink).ok());
  REQUIRE(sink.records.size() == 1);
  CHECK(sink.records[0].record.identity.name.family == "Nowak");
  CHECK_FALSE(test::contains_bytes(protocol::encode_child_record(sink.records[0].record),
                                   "INNER-CANARY"));
}

TEST_CASE("ctf: nested entities that would expand a billion times do not reach a record") {
  // a<i> is ten references to a<i-1>.
  std::string dtd = "<!DOCTYPE CTfile [ <!ENTITY a0 \"LOL\">";
  for (int i = 1; i <= 9; ++i) {
    std::string refs;
    for (int k = 0; k < 10; ++k) refs += "&a" + std::to_string(i - 1) + ";";
    dtd += " <!ENTITY a" + std::to_string(i) + " \"" + refs + "\">";
  }
  dtd += " ]>\n<CTfile>";
  std::string text = replaced(partial_text(), "<CTfile>", dtd);
  text = replaced(text, "<Surname>Nowak</Surname>\n      <Forename>",
                  "<Surname>Nowak&a9;</Surname>\n      <Forename>");
  Variant v(text);
  CollectSink sink;
  const ParseResult result = parse(v.file, sink);  // returns: refused, or the entity left out
  for (const auto& p : sink.records) CHECK(p.record.identity.name.family == "Nowak");
  if (!result.ok()) CHECK(sink.records.empty());
}

TEST_CASE("ctf: a CDATA section is text") {
  Variant v(replaced(partial_text(), "<Surname>Nowak</Surname>\n      <Forename>",
                     "<Surname><![CDATA[Nowak]]></Surname>\n      <Forename>"));
  CollectSink sink;
  REQUIRE(parse(v.file, sink).ok());
  REQUIRE(sink.records.size() == 1);
  CHECK(sink.records[0].record.identity.name.family == "Nowak");
}

TEST_CASE("ctf: a field across the reader's 64 KiB chunks is read whole, inner spaces kept") {
  // The reader feeds libxml2 the first 4 bytes, then 64 KiB at a time: a comment before the
  // pupil moves the field across the boundary at byte 65,540, one position per variant.
  const std::string field = "<Surname>Nowak  Kowalska</Surname>";
  const std::string text = replaced(partial_text(), "<Surname>Nowak</Surname>\n      <Forename>",
                                    field + "\n      <Forename>");
  const std::size_t boundary = 4 + 64 * 1024;
  const std::size_t at = text.find(field);
  REQUIRE(at + 7 + field.size() < boundary);
  // A comment of 7 + n bytes puts the field at at + 7 + n: from just before the boundary to
  // just after it.
  for (std::size_t n = boundary - at - 7 - field.size(); n <= boundary - at - 7; ++n) {
    const std::string padded = text.substr(0, at) + "<!--" + std::string(n, 'x') + "-->" +
                               text.substr(at);
    Variant v(padded);
    CollectSink sink;
    REQUIRE(parse(v.file, sink).ok());
    REQUIRE(sink.records.size() == 1);
    CHECK(sink.records[0].record.identity.name.family == "Nowak  Kowalska");
  }
}

TEST_CASE("ctf: a sink error stops the parse and becomes the file's error") {
  class FailingSink final : public adapters::Sink {
   public:
    protocol::Status begin(const adapters::FileInfo&) override { return protocol::Ok{}; }
    protocol::Status record(Parsed&&) override {
      ++records;
      return protocol::make_error(protocol::Errc::too_large, "store: disk full");
    }
    protocol::Status quarantine(Quarantined&&) override { return protocol::Ok{}; }
    int records = 0;
  } sink;
  const ParseResult result = adapters::parse_ctf(kData / "good-full.xml", options(), sink);
  REQUIRE_FALSE(result.ok());
  CHECK(result.error().message.find("store: disk full") != std::string::npos);
  CHECK(sink.records == 1);  // stopped at the first record
}

TEST_CASE("ctf: parse_file dispatches to the CTF parser") {
  CollectSink sink;
  const ParseResult result =
      adapters::parse_file(adapters::Format::ctf, kData / "good-partial.xml", options(), sink);
  REQUIRE(result.ok());
  CHECK(result->records == 1);
}

// ---- streaming ------------------------------------------------------------------------------

TEST_CASE("ctf: a 20,000-pupil file parses completely, streaming") {
  // UPN check letter (DfE): weights 2..13 on the 12 characters after it, mod 23.
  const auto upn = [](int i) {
    static constexpr std::string_view letters = "ABCDEFGHJKLMNPQRTUVWXYZ";
    char body[13];
    std::snprintf(body, sizeof body, "8861%03d%02d%03d", i / 30000 + 100, 10 + (i / 1000) % 30,
                  i % 1000);
    int sum = 0;
    for (int k = 2; k <= 13; ++k) sum += (body[k - 2] - '0') * k;
    return std::string(1, letters[static_cast<std::size_t>(sum % 23)]) + body;
  };
  test::TempDir dir("aegis-ctf-big");
  const auto file = dir / "big.xml";
  constexpr int kPupilCount = 20000;
  {
    std::ofstream out(file);
    out << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<CTfile><Header>"
           "<DateTime>2024-02-01T10:30:00</DateTime><DocumentQualifier>full</DocumentQualifier>"
           "<SourceSchool><LEA>886</LEA><Estab>2001</Estab><SchoolName>Big School</SchoolName>"
           "</SourceSchool></Header>\n<CTFpupilData>\n";
    for (int i = 0; i < kPupilCount; ++i) {
      out << "<Pupil><UPN>" << upn(i) << "</UPN><Surname>Smith</Surname><Forename>Pupil" << i
          << "</Forename><DOB>2014-0" << 1 + i % 9 << "-1" << i % 10 << "</DOB><Sex>"
          << (i % 2 ? 'M' : 'F') << "</Sex><FSMhistory><FSMinstance/></FSMhistory><Address>"
          << "<BS7666Address><PAON>" << i % 300 + 1 << "</PAON><Street>High Street</Street>"
          << "<Town>Margate</Town></BS7666Address><PostCode>CT9 1AA</PostCode></Address>"
          << "<Contacts><Contact><Order>1</Order><Surname>Smith</Surname><Relationship>PAM"
          << "</Relationship><Responsibility>true</Responsibility><AddressAsPupil>true"
          << "</AddressAsPupil><Phones><Phone><PhoneNo>07700 900" << i % 1000
          << "</PhoneNo></Phone></Phones></Contact></Contacts></Pupil>\n";
    }
    out << "</CTFpupilData></CTfile>\n";
  }
  // Counts without keeping records, as the importer does.
  class CountingSink final : public adapters::Sink {
   public:
    protocol::Status begin(const adapters::FileInfo&) override { return protocol::Ok{}; }
    protocol::Status record(Parsed&& p) override {
      if (p.record.identity.name.given != "Pupil" + std::to_string(records)) ++mismatched;
      ++records;
      return protocol::Ok{};
    }
    protocol::Status quarantine(Quarantined&&) override {
      ++quarantined;
      return protocol::Ok{};
    }
    int records = 0, quarantined = 0, mismatched = 0;
  } sink;
  const ParseResult result = adapters::parse_ctf(file, options(), sink);
  REQUIRE(result.ok());
  CHECK(result->records == kPupilCount);
  CHECK(sink.records == kPupilCount);
  CHECK(sink.quarantined == 0);
  CHECK(sink.mismatched == 0);
}
