// DfE Children in Need census importer (adapters/src/cin.cpp, docs/cin.md): every mapped field
// of tests/data/cin/good.xml, the real DfE sample against the compiled-in 2024 XSD, each
// validation rule, duplicates, each kind of broken file (schema-invalid with its line, not
// well-formed, wrong encoding, truncated, empty, wrong root, not a CIN message), XXE, and that
// no field value reaches an error or a quarantine entry.
#include <catch2/catch.hpp>

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
using protocol::Involvement;
using test::CollectSink;
using test::line_of;
using test::read_file;
using test::replaced;
using test::write_file;

namespace {

const std::filesystem::path kData = std::filesystem::path(AEGIS_SOURCE_DIR) / "tests/data/cin";
const std::string kChildren = "Message/Children/";
constexpr std::string_view kOrganisation = "Children's social care, LA 201";

ParseOptions options() {
  ParseOptions o;
  o.today = *Date::parse("2024-06-01");
  return o;
}

ParseResult parse(const std::filesystem::path& file, CollectSink& sink,
                  const ParseOptions& o = options()) {
  return adapters::parse_cin(file, o, sink);
}

// ---- generated messages (one element per line, so every element has its own line) ---------

const std::string kIdentifiers =
    "<PersonBirthDate>2015-03-24</PersonBirthDate>\n<GenderCurrent>2</GenderCurrent>";

// A <CINdetails> episode; `before_nfa` holds Assessments/CINPlanDates/Section47 and `after_nfa`
// ChildProtectionPlans, where the schema's order puts them.
std::string episode(const std::string& referral, const std::string& closure = "",
                    const std::string& before_nfa = "", const std::string& after_nfa = "") {
  std::string e = "<CINdetails>\n<CINreferralDate>" + referral + "</CINreferralDate>\n" +
                  "<ReferralSource>1A</ReferralSource>\n";
  if (!closure.empty()) e += "<CINclosureDate>" + closure + "</CINclosureDate>\n";
  e += before_nfa + "<ReferralNFA>false</ReferralNFA>\n" + after_nfa + "</CINdetails>\n";
  return e;
}

std::string child(const std::string& id, const std::string& identifiers = kIdentifiers,
                  const std::string& episodes = episode("2023-01-05")) {
  return "<Child>\n<ChildIdentifiers>\n<LAchildID>" + id + "</LAchildID>\n" + identifiers +
         "\n</ChildIdentifiers>\n<ChildCharacteristics>\n<Ethnicity>WBRI</Ethnicity>\n"
         "</ChildCharacteristics>\n" +
         episodes + "</Child>\n";
}

std::string message(const std::string& children,
                    const std::string& header = "<Header>\n<CollectionDetails>\n"
                                                "<Collection>CIN</Collection>\n"
                                                "</CollectionDetails>\n<Source>\n<LEA>201</LEA>\n"
                                                "</Source>\n</Header>\n") {
  return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Message>\n" + header + "<Children>\n" +
         children + "</Children>\n</Message>\n";
}

// A file in a temporary directory.
struct Variant {
  test::TempDir dir{"aegis-cin"};
  std::filesystem::path file = dir / "variant.xml";
  explicit Variant(const std::string& text) { write_file(file, text); }
};

// Parses `text`, which must be rejected whole; returns the error.
FileError rejected(const std::string& text) {
  Variant v(text);
  CollectSink sink;
  const ParseResult result = parse(v.file, sink);
  REQUIRE_FALSE(result.ok());
  return result.error();
}

Involvement social_care(std::string role, const char* start, const char* end = nullptr,
                        bool completed = false) {
  Involvement v;
  v.kind = protocol::InvolvementKind::social_care;
  v.organisation = std::string(kOrganisation);
  v.organisation_id = "201";
  v.role = std::move(role);
  v.start = Date::parse(start);
  if (end) v.end = Date::parse(end);
  v.assessment_completed = completed;
  return v;
}

// True when `value` occurs in any text of the quarantine entry or the error.
bool leaks(const Quarantined& q, const std::string& value) {
  return (q.where.path + q.local_id + q.field + q.reason).find(value) != std::string::npos;
}
bool leaks(const FileError& e, const std::string& value) {
  return (e.where.path + e.message).find(value) != std::string::npos;
}

}  // namespace

// ---- good files ---------------------------------------------------------------------------

TEST_CASE("cin: a good file maps identifiers, dates, gender and every episode, assessment and plan") {
  CollectSink sink;
  const ParseResult result = parse(kData / "good.xml", sink);
  REQUIRE(result.ok());
  CHECK(sink.begins == 1);
  CHECK_FALSE(sink.out_of_order);
  CHECK_FALSE(sink.unchecked);
  CHECK(sink.info.format == adapters::Format::cin);
  CHECK(sink.info.source == "LA 201");
  CHECK_FALSE(sink.info.roll.has_value());
  CHECK(result->info.source == "LA 201");
  CHECK(result->records == 3);
  CHECK(result->quarantined == 0);
  CHECK(sink.quarantined.empty());
  REQUIRE(sink.records.size() == 3);

  const std::string text = read_file(kData / "good.xml");
  for (int i = 0; i < 3; ++i) {
    CHECK(sink.records[static_cast<std::size_t>(i)].where.path ==
          kChildren + "Child[" + std::to_string(i + 1) + "]");
    CHECK(sink.records[static_cast<std::size_t>(i)].where.line == line_of(text, "<Child>", i + 1));
  }

  // Two episodes: the closed one with an authorised assessment, a plan and a protection plan
  // (Section47 is not imported); the open one with an assessment in progress and an open plan.
  protocol::ChildRecord first;
  first.record_id = "cin:DfEX0000001";
  first.identity.gender = Gender::female;
  first.identity.date_of_birth = *Date::parse("2015-03-24");
  first.details.upn = "F201432113001";  // FormerUPN is not imported
  first.details.involvements = {
      social_care("Child in need", "2022-10-06", "2023-02-27"),
      social_care("Assessment", "2022-10-07", "2022-11-18", /*completed=*/true),
      social_care("Child in need plan", "2022-11-24", "2023-01-26"),
      social_care("Child protection plan", "2022-12-06", "2023-02-14"),
      social_care("Child in need", "2024-01-10"),
      social_care("Assessment", "2024-01-11"),
      social_care("Child protection plan", "2024-02-01"),
  };
  CHECK(sink.records[0].record == first);
  // The census holds no names: the child's name is wholly empty, no former names.
  CHECK(sink.records[0].record.identity.name == protocol::PersonName{});

  // UPNunknown: no UPN. A referral closed the same day.
  protocol::ChildRecord second;
  second.record_id = "cin:DfEX0000002";
  second.identity.gender = Gender::male;
  second.identity.date_of_birth = *Date::parse("2019-07-01");
  second.details.involvements = {social_care("Child in need", "2024-03-01", "2024-03-01")};
  CHECK(sink.records[1].record == second);

  // A lower-case UPN is upper-cased; the expected date of birth of a child since born is
  // ignored; GenderCurrent 9 (indeterminate) is ISO 5218's 9; the date of death is kept; a plan
  // without an end date stays open.
  protocol::ChildRecord third;
  third.record_id = "cin:Case_0003.b-x:9";
  third.identity.gender = Gender::not_applicable;
  third.identity.date_of_birth = *Date::parse("2010-01-15");
  third.identity.date_of_death = *Date::parse("2023-08-08");
  third.details.upn = "V201432113002";
  third.details.involvements = {social_care("Child in need", "2023-01-05", "2023-08-10"),
                                social_care("Child in need plan", "2023-02-01")};
  CHECK(sink.records[2].record == third);

  // Nothing else of the record is set from a CIN file.
  for (const Parsed& p : sink.records) {
    CHECK(p.record.identity.former_names.empty());
    CHECK_FALSE(p.record.details.address.has_value());
    CHECK_FALSE(p.record.details.uln.has_value());
    CHECK_FALSE(p.record.details.nhs_number.has_value());
    CHECK(p.record.details.contacts.empty());
    CHECK_FALSE(p.record.shielded());
  }
}

TEST_CASE("cin: characteristics and unmapped codes (ethnicity, disability, need, abuse) leave no trace") {
  CollectSink sink;
  REQUIRE(parse(kData / "good.xml", sink).ok());
  const protocol::Bytes all = [&] {
    protocol::Bytes b;
    for (const Parsed& p : sink.records) {
      const auto one = protocol::encode_child_record(p.record);
      b.insert(b.end(), one.begin(), one.end());
    }
    return b;
  }();
  for (const char* code : {"WBRI", "HAND", "HEAR", "NOBT", "REFU", "N4", "RC7", "PHY", "NEG",
                           "2A", "C20143211400A", "2010-01-20", "2022-10-08", "2023-01-15"})
    CHECK_FALSE(test::contains_bytes(all, code));
}

TEST_CASE("cin: the DfE sample message is valid against the 2024 schema; its child born 1966 is quarantined") {
  CollectSink sink;
  const ParseResult result = parse(kData / "sample-cin-2022.xml", sink);
  REQUIRE(result.ok());  // schema-valid: not rejected whole
  CHECK(sink.info.source == "LA 201");
  CHECK(result->records == 0);
  REQUIRE(sink.quarantined.size() == 1);
  const Quarantined& q = sink.quarantined[0];
  CHECK(q.local_id == "cin:DfEX0000001");
  CHECK(q.where.path == kChildren + "Child[1]/ChildIdentifiers/UPN");
  CHECK(q.field == "UPN");
  CHECK(q.reason == "check letter is wrong");
  CHECK(q.where.line == 21);
}

TEST_CASE("cin: GenderCurrent 0, 1, 2 and 9 map to the ISO 5218 code of the same number") {
  const std::pair<const char*, Gender> cases[] = {{"0", Gender::not_known},
                                                  {"1", Gender::male},
                                                  {"2", Gender::female},
                                                  {"9", Gender::not_applicable}};
  for (const auto& [code, gender] : cases) {
    Variant v(message(child("G", "<PersonBirthDate>2015-03-24</PersonBirthDate>\n<GenderCurrent>" +
                                      std::string(code) + "</GenderCurrent>")));
    CollectSink sink;
    REQUIRE(parse(v.file, sink).ok());
    REQUIRE(sink.records.size() == 1);
    CHECK(sink.records[0].record.identity.gender == gender);
  }
}

TEST_CASE("cin: a child with 128 involvements is imported, one with 129 is quarantined") {
  const auto with_assessments = [](int n) {
    std::string assessments;
    for (int i = 0; i < n; ++i)
      assessments += "<Assessments>\n<AssessmentActualStartDate>2023-02-01"
                     "</AssessmentActualStartDate>\n</Assessments>\n";
    return message(child("many", kIdentifiers, episode("2023-01-05", "", assessments)));
  };
  {
    Variant v(with_assessments(127));  // the episode plus 127 assessments
    CollectSink sink;
    REQUIRE(parse(v.file, sink).ok());
    REQUIRE(sink.records.size() == 1);
    CHECK(sink.records[0].record.details.involvements.size() == protocol::kMaxInvolvements);
  }
  {
    Variant v(with_assessments(128));
    CollectSink sink;
    REQUIRE(parse(v.file, sink).ok());
    CHECK(sink.records.empty());
    REQUIRE(sink.quarantined.size() == 1);
    CHECK(sink.quarantined[0].field == "CINdetails");
    CHECK(sink.quarantined[0].where.path == kChildren + "Child[1]/CINdetails[1]/Assessments[128]");
    CHECK(sink.quarantined[0].reason.find("more than 128 involvements") == 0);
  }
}

// ---- validation rules ---------------------------------------------------------------------

namespace {

struct Rule {
  const char* name;
  std::string id;           // LAchildID of the invalid child
  std::string identifiers;  // its ChildIdentifiers after LAchildID
  std::string episodes;     // its CINdetails
  std::string path;         // expected, after "Message/Children/Child[2]/"
  const char* field;
  const char* reason;       // expected; a prefix when it ends with "..."
  std::string marker;       // text on the line the entry must name
  int nth = 1;              // ... its nth occurrence
};

std::string ids(const std::string& dob, const std::string& more = "") {
  return (more.empty() ? "" : more + "\n") + "<PersonBirthDate>" + dob +
         "</PersonBirthDate>\n<GenderCurrent>1</GenderCurrent>";
}

std::vector<Rule> rules() {
  const std::string ok_episode = episode("2023-01-05");
  return {
      {"UPN check letter", "V1", ids("2015-03-24", "<UPN>A201432113001</UPN>"), ok_episode,
       "ChildIdentifiers/UPN", "UPN", "check letter is wrong", "<UPN>"},
      {"UPN with a letter never used as the last character", "V1",
       ids("2015-03-24", "<UPN>F20143211300I</UPN>"), ok_episode, "ChildIdentifiers/UPN", "UPN",
       "not a letter, 11 digits, then a digit or a letter", "<UPN>"},
      {"LAchildID with a character a record id cannot hold", "V/1", kIdentifiers, ok_episode,
       "ChildIdentifiers/LAchildID", "LAchildID", "not usable as a record id...", "<LAchildID>V/1"},
      {"LAchildID longer than 60 characters", std::string(61, 'x'), kIdentifiers, ok_episode,
       "ChildIdentifiers/LAchildID", "LAchildID", "not usable as a record id...",
       "<LAchildID>xxx"},
      {"PersonBirthDate in the future", "V1", ids("2024-06-02"), ok_episode,
       "ChildIdentifiers/PersonBirthDate", "PersonBirthDate", "date is in the future",
       "2024-06-02"},
      {"PersonBirthDate more than 25 years ago", "V1", ids("1999-05-31"), ok_episode,
       "ChildIdentifiers/PersonBirthDate", "PersonBirthDate", "more than 25 years ago",
       "1999-05-31"},
      {"PersonBirthDate with a time zone (valid xs:date, not a plain date)", "V1",
       ids("2015-03-24Z"), ok_episode, "ChildIdentifiers/PersonBirthDate", "PersonBirthDate",
       "not a date YYYY-MM-DD...", "2015-03-24Z"},
      {"PersonBirthDate missing", "V1", "<GenderCurrent>1</GenderCurrent>", ok_episode,
       "ChildIdentifiers", "PersonBirthDate", "missing", "<Child>", 2},
      {"unborn child (ExpectedPersonBirthDate only)", "V1",
       "<ExpectedPersonBirthDate>2024-08-01</ExpectedPersonBirthDate>\n"
       "<GenderCurrent>0</GenderCurrent>",
       ok_episode, "ChildIdentifiers/ExpectedPersonBirthDate", "ExpectedPersonBirthDate",
       "unborn child...", "<ExpectedPersonBirthDate>"},
      {"PersonDeathDate in the future", "V1",
       ids("2015-03-24") + "\n<PersonDeathDate>2024-07-01</PersonDeathDate>", ok_episode,
       "ChildIdentifiers/PersonDeathDate", "PersonDeathDate", "date is in the future",
       "<PersonDeathDate>"},
      {"PersonDeathDate before PersonBirthDate", "V1",
       ids("2015-03-24") + "\n<PersonDeathDate>2015-03-23</PersonDeathDate>", ok_episode,
       "ChildIdentifiers/PersonDeathDate", "PersonDeathDate", "before PersonBirthDate",
       "<PersonDeathDate>"},
      {"CINreferralDate in the future", "V1", kIdentifiers, episode("2024-06-02"),
       "CINdetails[1]/CINreferralDate", "CINreferralDate", "date is in the future", "2024-06-02"},
      {"CINreferralDate before 1900 (valid xs:date)", "V1", kIdentifiers, episode("1899-12-31"),
       "CINdetails[1]/CINreferralDate", "CINreferralDate", "not a date YYYY-MM-DD...",
       "1899-12-31"},
      {"CINclosureDate before CINreferralDate", "V1", kIdentifiers,
       episode("2023-01-05", "2023-01-04"), "CINdetails[1]/CINclosureDate", "CINclosureDate",
       "before CINreferralDate", "<CINclosureDate>"},
      {"AssessmentAuthorisationDate before AssessmentActualStartDate", "V1", kIdentifiers,
       episode("2022-01-05") +
           episode("2023-01-05", "",
                   "<Assessments>\n<AssessmentActualStartDate>2023-01-10"
                   "</AssessmentActualStartDate>\n<AssessmentAuthorisationDate>2023-01-09"
                   "</AssessmentAuthorisationDate>\n</Assessments>\n"),
       "CINdetails[2]/Assessments[1]/AssessmentAuthorisationDate", "AssessmentAuthorisationDate",
       "before AssessmentActualStartDate", "<AssessmentAuthorisationDate>"},
      {"CINPlanEndDate in the future", "V1", kIdentifiers,
       episode("2023-01-05", "",
               "<CINPlanDates>\n<CINPlanStartDate>2023-02-01</CINPlanStartDate>\n"
               "<CINPlanEndDate>2025-01-01</CINPlanEndDate>\n</CINPlanDates>\n"),
       "CINdetails[1]/CINPlanDates[1]/CINPlanEndDate", "CINPlanEndDate", "date is in the future",
       "<CINPlanEndDate>"},
      {"CPPendDate before CPPstartDate (second plan)", "V1", kIdentifiers,
       episode("2023-01-05", "", "",
               "<ChildProtectionPlans>\n<CPPstartDate>2023-02-01</CPPstartDate>\n"
               "<InitialCategoryOfAbuse>NEG</InitialCategoryOfAbuse>\n"
               "<LatestCategoryOfAbuse>NEG</LatestCategoryOfAbuse>\n"
               "<NumberOfPreviousCPP>1</NumberOfPreviousCPP>\n</ChildProtectionPlans>\n"
               "<ChildProtectionPlans>\n<CPPstartDate>2023-05-01</CPPstartDate>\n"
               "<CPPendDate>2023-04-30</CPPendDate>\n"
               "<InitialCategoryOfAbuse>NEG</InitialCategoryOfAbuse>\n"
               "<LatestCategoryOfAbuse>NEG</LatestCategoryOfAbuse>\n"
               "<NumberOfPreviousCPP>2</NumberOfPreviousCPP>\n</ChildProtectionPlans>\n"),
       "CINdetails[1]/ChildProtectionPlans[2]/CPPendDate", "CPPendDate", "before CPPstartDate",
       "<CPPendDate>"},
  };
}

}  // namespace

TEST_CASE("cin: each validation rule quarantines its child and the rest is imported") {
  for (const Rule& rule : rules()) {
    DYNAMIC_SECTION(rule.name) {
      const std::string text = message(child("A1") + child(rule.id, rule.identifiers, rule.episodes) +
                                       child("C1"));
      Variant v(text);
      CollectSink sink;
      const ParseResult result = parse(v.file, sink);
      REQUIRE(result.ok());
      CHECK_FALSE(sink.unchecked);
      REQUIRE(sink.records.size() == 2);
      CHECK(sink.records[0].record.record_id == "cin:A1");
      CHECK(sink.records[1].record.record_id == "cin:C1");
      CHECK(result->records == 2);
      CHECK(result->quarantined == 1);
      REQUIRE(sink.quarantined.size() == 1);
      const Quarantined& q = sink.quarantined[0];
      CHECK(q.where.path == kChildren + "Child[2]/" + rule.path);
      CHECK(q.field == rule.field);
      const std::string reason = rule.reason;
      if (reason.size() > 3 && reason.compare(reason.size() - 3, 3, "...") == 0)
        CHECK(q.reason.rfind(reason.substr(0, reason.size() - 3), 0) == 0);
      else
        CHECK(q.reason == reason);
      CHECK(q.where.line == line_of(text, rule.marker, rule.nth));
      const bool usable_id = rule.id.find('/') == std::string::npos && rule.id.size() <= 60;
      CHECK(q.local_id == (usable_id ? "cin:" + rule.id : ""));
    }
  }
}

TEST_CASE("cin: invalid children in a file are quarantined with their line; the rest is imported") {
  const std::string text = read_file(kData / "mixed.xml");
  CollectSink sink;
  const ParseResult result = parse(kData / "mixed.xml", sink);
  REQUIRE(result.ok());
  CHECK(sink.info.source == "LA 845");
  REQUIRE(sink.records.size() == 3);
  CHECK(sink.records[0].record.record_id == "cin:DfEX1001");
  CHECK(sink.records[1].record.record_id == "cin:DfEX1003");
  CHECK(sink.records[2].record.record_id == "cin:DfEX1006");
  CHECK(sink.records[2].where.path == kChildren + "Child[6]");
  CHECK(sink.records[0].record.details.involvements.at(0).organisation ==
        "Children's social care, LA 845");
  CHECK(sink.records[0].record.details.involvements.at(0).organisation_id == "845");
  REQUIRE(sink.quarantined.size() == 3);
  CHECK(sink.quarantined[0].local_id == "cin:DfEX1002");
  CHECK(sink.quarantined[0].where.line == 33);
  CHECK(sink.quarantined[0].where.path == kChildren + "Child[2]/ChildIdentifiers/UPN");
  CHECK(sink.quarantined[1].local_id == "cin:DfEX1004");
  CHECK(sink.quarantined[1].where.line == 66);
  CHECK(sink.quarantined[1].field == "ExpectedPersonBirthDate");
  CHECK(sink.quarantined[2].local_id == "cin:DfEX1005");
  CHECK(sink.quarantined[2].where.line == 90);
  CHECK(sink.quarantined[2].where.path == kChildren + "Child[5]/CINdetails[1]/CINclosureDate");
  CHECK(line_of(text, "A201432113002") == 33);  // the sample file is what the test says it is
}

TEST_CASE("cin: quarantine entries never contain a field's value") {
  CollectSink sink;
  REQUIRE(parse(kData / "mixed.xml", sink).ok());
  REQUIRE(sink.quarantined.size() == 3);
  for (const Quarantined& q : sink.quarantined)
    for (const char* value : {"A201432113002", "2024-08-01", "2023-03-05", "2023-04-05", "2016-05-05"})
      CHECK_FALSE(leaks(q, value));
}

TEST_CASE("cin: duplicate LAchildID or UPN: the first is imported, later ones quarantined") {
  CollectSink sink;
  const ParseResult result = parse(kData / "duplicates.xml", sink);
  REQUIRE(result.ok());
  REQUIRE(sink.records.size() == 2);
  CHECK(sink.records[0].record.record_id == "cin:DfEX1001");
  CHECK(sink.records[1].record.record_id == "cin:DfEX1007");
  REQUIRE(sink.quarantined.size() == 2);
  CHECK(sink.quarantined[0].local_id == "cin:DfEX1001");
  CHECK(sink.quarantined[0].field == "LAchildID");
  CHECK(sink.quarantined[0].reason == "duplicate LAchildID");
  CHECK(sink.quarantined[0].where.path == kChildren + "Child[2]/ChildIdentifiers/LAchildID");
  CHECK(sink.quarantined[1].local_id == "cin:DfEX1003");
  CHECK(sink.quarantined[1].field == "UPN");
  CHECK(sink.quarantined[1].reason == "duplicate UPN");
  CHECK(sink.quarantined[1].where.path == kChildren + "Child[3]/ChildIdentifiers/UPN");
  CHECK_FALSE(leaks(sink.quarantined[1], "F201432113001"));
}

TEST_CASE("cin: a child quarantined for another reason still claims its LAchildID and UPN") {
  Variant v(message(child("D1", ids("2024-06-02", "<UPN>F201432113001</UPN>")) +
                    child("D1") + child("D2", ids("2015-03-24", "<UPN>F201432113001</UPN>"))));
  CollectSink sink;
  REQUIRE(parse(v.file, sink).ok());
  CHECK(sink.records.empty());
  REQUIRE(sink.quarantined.size() == 3);
  CHECK(sink.quarantined[0].reason == "date is in the future");
  CHECK(sink.quarantined[1].reason == "duplicate LAchildID");
  CHECK(sink.quarantined[2].reason == "duplicate UPN");
}

// ---- files rejected whole -----------------------------------------------------------------

TEST_CASE("cin: a schema-invalid value rejects the file with the line of the element") {
  CollectSink sink;
  const ParseResult result = parse(kData / "schema_invalid.xml", sink);
  REQUIRE_FALSE(result.ok());
  const FileError& e = result.error();
  CHECK(e.where.line == 35);
  CHECK(e.message.rfind("line 35: Element 'GenderCurrent'", 0) == 0);
  CHECK(e.message.find("enumeration") != std::string::npos);
  // Children before the error were handed over; the importer discards them with the file
  // (one transaction per file), so "rejected whole" holds end to end.
  CHECK(sink.records.size() == 1);
  CHECK(line_of(read_file(kData / "schema_invalid.xml"), "<GenderCurrent>5") == 35);
}

TEST_CASE("cin: a schema-invalid structure (missing ChildCharacteristics) rejects the file") {
  CollectSink sink;
  const ParseResult result = parse(kData / "schema_missing_element.xml", sink);
  REQUIRE_FALSE(result.ok());
  CHECK(result.error().where.line == 37);
  CHECK(result.error().message ==
        "line 37: Element 'CINdetails': This element is not expected. Expected is ( "
        "ChildCharacteristics ).");
}

TEST_CASE("cin: schema errors never carry the offending value, even with quotes or line breaks") {
  SECTION("a pattern facet (UPN)") {
    const FileError e = rejected(message(child("L1", ids("2015-03-24", "<UPN>Z1'LEAK\nCANARY'</UPN>"))));
    CHECK(e.message.find("Element 'UPN'") != std::string::npos);
    CHECK_FALSE(leaks(e, "LEAK"));
    CHECK_FALSE(leaks(e, "CANARY"));
    CHECK(e.message.find('\n') == std::string::npos);
  }
  SECTION("an atomic type (xs:date)") {
    const FileError e = rejected(message(child("L1", ids("20'15-LEAK-24"))));
    CHECK(e.message.find("Element 'PersonBirthDate'") != std::string::npos);
    CHECK(e.message.find("xs:date") != std::string::npos);
    CHECK_FALSE(leaks(e, "LEAK"));
    CHECK_FALSE(leaks(e, "20'"));
    CHECK_FALSE(leaks(e, "-24"));
  }
  SECTION("an enumeration (GenderCurrent)") {
    const FileError e = rejected(message(child("L1", "<PersonBirthDate>2015-03-24</PersonBirthDate>\n"
                                                     "<GenderCurrent>M'LEAK</GenderCurrent>")));
    CHECK(e.message.find("Element 'GenderCurrent'") != std::string::npos);
    CHECK_FALSE(leaks(e, "LEAK"));
  }
}

TEST_CASE("cin: a file that is not well-formed is rejected with its line") {
  CollectSink sink;
  const ParseResult result = parse(kData / "not_well_formed.xml", sink);
  REQUIRE_FALSE(result.ok());
  CHECK(result.error().where.line == 34);
  CHECK(result.error().message ==
        "line 34: Opening and ending tag mismatch: PersonBirthDate line 34 and PersonBirthdate");
}

TEST_CASE("cin: a Latin-1 byte in a UTF-8 file is rejected as wrong encoding, bytes not shown") {
  CollectSink sink;
  const ParseResult result = parse(kData / "wrong_encoding.xml", sink);
  REQUIRE_FALSE(result.ok());
  const FileError& e = result.error();
  CHECK(e.where.line == 22);
  CHECK(e.message == "line 22: Input is not proper UTF-8, indicate encoding !");
  CHECK(sink.records.empty());
}

TEST_CASE("cin: a truncated file is rejected") {
  const std::string text = read_file(kData / "good.xml");
  for (std::size_t cut : {text.size() / 3, text.size() / 2, text.size() - 3}) {
    DYNAMIC_SECTION("cut at byte " << cut) {
      const FileError e = rejected(text.substr(0, cut));
      CHECK(e.where.line > 0);
      CHECK(e.message.rfind("line ", 0) == 0);
    }
  }
}

TEST_CASE("cin: an empty file, whitespace only, or a declaration only is rejected") {
  {
    Variant v("");
    CollectSink sink;
    const ParseResult result = parse(v.file, sink);
    REQUIRE_FALSE(result.ok());
    CHECK(result.error().message == "the file is empty");
    CHECK(sink.begins == 0);
  }
  for (const char* text : {"\n  \n", "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"}) {
    const FileError e = rejected(text);
    CHECK_FALSE(e.message.empty());
  }
}

TEST_CASE("cin: a missing file and a file over max_file_bytes are rejected before reading") {
  CollectSink sink;
  const ParseResult missing = parse(kData / "no-such-file.xml", sink);
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.error().message.rfind("cannot read the file", 0) == 0);

  ParseOptions small = options();
  small.max_file_bytes = 1000;
  const ParseResult big = parse(kData / "good.xml", sink, small);
  REQUIRE_FALSE(big.ok());
  CHECK(big.error().message == "the file is larger than the limit of 1000 bytes");
  CHECK(sink.begins == 0);
}

TEST_CASE("cin: a wrong root element (a CTF in the CIN inbox) is rejected") {
  CollectSink sink;
  const ParseResult result = parse(kData / "wrong_root.xml", sink);
  REQUIRE_FALSE(result.ok());
  CHECK(result.error().where.line == 2);
  CHECK(result.error().message ==
        "line 2: Element 'CTfile': No matching global declaration available for the validation "
        "root.");
  CHECK(sink.begins == 0);
}

TEST_CASE("cin: a schema-valid Message that does not say it is a CIN census is rejected") {
  SECTION("no Header") {
    CollectSink sink;
    const ParseResult result = parse(kData / "no_header.xml", sink);
    REQUIRE_FALSE(result.ok());
    CHECK(result.error().where.path == "Message");
    CHECK(result.error().message ==
          "line 4: Message: Header missing: not a Children in Need census message");
    CHECK(sink.begins == 0);
  }
  SECTION("no Collection") {
    const FileError e = rejected(
        message(child("A1"), "<Header>\n<Source>\n<LEA>201</LEA>\n</Source>\n</Header>\n"));
    CHECK(e.where.path == "Message/Header/CollectionDetails/Collection");
    CHECK(e.message.find("missing: not a Children in Need census message") != std::string::npos);
  }
  SECTION("no Source/LEA") {
    const FileError e = rejected(message(
        child("A1"),
        "<Header>\n<CollectionDetails>\n<Collection>CIN</Collection>\n</CollectionDetails>\n"
        "</Header>\n"));
    CHECK(e.where.path == "Message/Header/Source/LEA");
    CHECK(e.message.find("missing") != std::string::npos);
  }
  SECTION("two Sources naming different LEAs") {
    const FileError e = rejected(message(
        child("A1"),
        "<Header>\n<CollectionDetails>\n<Collection>CIN</Collection>\n</CollectionDetails>\n"
        "<Source>\n<LEA>201</LEA>\n</Source>\n<Source>\n<LEA>202</LEA>\n</Source>\n</Header>\n"));
    CHECK(e.where.path == "Message/Header/Source/LEA");
    CHECK(e.where.line == 11);
  }
}

TEST_CASE("cin: an XML external entity is never read") {
  test::TempDir dir("aegis-cin-xxe");
  const std::filesystem::path secret = dir / "secret.txt";
  write_file(secret, "XXE-CANARY-7731");
  for (const std::string element : {"LAchildID", "UPN", "Ethnicity"}) {
    DYNAMIC_SECTION("entity in " << element) {
      std::string text = message(child("X1", ids("2015-03-24", "<UPN>F201432113001</UPN>")));
      text = replaced(text, "<Message>",
                      "<!DOCTYPE Message [ <!ENTITY xxe SYSTEM \"" + secret.string() +
                          "\"> ]>\n<Message>");
      const std::string open = "<" + element + ">";
      const auto at = text.find(open) + open.size();
      text.replace(at, text.find('<', at) - at, "&xxe;");
      Variant v(text);
      CollectSink sink;
      const ParseResult result = parse(v.file, sink);
      // Not substituted, the reference leaves the element empty, which the schema refuses.
      REQUIRE_FALSE(result.ok());
      CHECK_FALSE(leaks(result.error(), "XXE-CANARY"));
      for (const Parsed& p : sink.records)
        CHECK_FALSE(test::contains_bytes(protocol::encode_child_record(p.record), "XXE-CANARY"));
      for (const Quarantined& q : sink.quarantined) CHECK_FALSE(leaks(q, "XXE-CANARY"));
    }
  }
}

TEST_CASE("cin: a sink error stops the parse and becomes the file's error") {
  CollectSink sink;
  sink.fail_at_record = 2;
  const ParseResult result = parse(kData / "good.xml", sink);
  REQUIRE_FALSE(result.ok());
  CHECK(result.error().message.find("store: disk full") != std::string::npos);
  CHECK(sink.records.size() == 2);  // nothing after the failing record
}

TEST_CASE("cin: parse_file dispatches to the CIN parser") {
  CollectSink sink;
  const ParseResult result =
      adapters::parse_file(adapters::Format::cin, kData / "good.xml", options(), sink);
  REQUIRE(result.ok());
  CHECK(result->info.format == adapters::Format::cin);
  CHECK(result->records == 3);
}

TEST_CASE("cin: a 5,000-child file is validated and parsed completely, streaming") {
  std::string children;
  for (int i = 0; i < 5000; ++i) children += child("S" + std::to_string(i));
  Variant v(message(children));
  CollectSink sink;
  const ParseResult result = parse(v.file, sink);
  REQUIRE(result.ok());
  CHECK(result->records == 5000);
  CHECK(sink.records.back().record.record_id == "cin:S4999");
  CHECK(sink.records.back().where.path == kChildren + "Child[5000]");
}
