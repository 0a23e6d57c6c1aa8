// Tests for the CSV importer (adapters/csv.hpp, docs/csv-format.md): the aegis header, RFC 4180
// quoting, whole-file rejections, per-row quarantine for every rule, duplicates, the FEBRL
// mapping on a real FEBRL sample, and the format names.
#include "aegis/adapters/csv.hpp"

#include <catch2/catch.hpp>
#include <fstream>
#include <string>
#include <vector>

#include "aegis/adapters/adapter.hpp"
#include "test_support.hpp"

using namespace aegis::adapters;
using aegis::protocol::ChildRecord;
using aegis::protocol::Date;
using aegis::test::TempDir;

namespace {

// Collects what a parse hands over; can be told to fail on the n-th record.
struct CollectSink final : Sink {
  int begun = 0;
  FileInfo info;
  std::vector<Parsed> records;
  std::vector<Quarantined> quarantined;
  std::size_t fail_on_record = 0;  // 1-based; 0 never

  aegis::protocol::Status begin(const FileInfo& i) override {
    ++begun;
    info = i;
    return aegis::protocol::Ok{};
  }
  aegis::protocol::Status record(Parsed&& p) override {
    CHECK(begun == 1);
    CHECK(aegis::protocol::check_record(p.record));
    records.push_back(std::move(p));
    if (records.size() == fail_on_record)
      return aegis::protocol::make_error(aegis::protocol::Errc::too_large, "store: disk full");
    return aegis::protocol::Ok{};
  }
  aegis::protocol::Status quarantine(Quarantined&& q) override {
    CHECK(begun == 1);
    quarantined.push_back(std::move(q));
    return aegis::protocol::Ok{};
  }
  const ChildRecord& record_named(const std::string& id) const {
    for (const auto& p : records)
      if (p.record.record_id == id) return p.record;
    FAIL("no record " << id);
    throw;  // unreachable
  }
};

ParseOptions options() {
  ParseOptions o;
  o.today = *Date::parse("2025-06-15");
  return o;
}

std::filesystem::path write(const TempDir& dir, const std::string& content,
                            const std::string& name = "in.csv") {
  const auto path = dir / name;
  std::ofstream(path, std::ios::binary) << content;
  return path;
}

ParseResult parse(const std::string& content, CollectSink& sink,
                  const CsvMapping& mapping = CsvMapping::aegis(),
                  const ParseOptions& o = options()) {
  TempDir dir("aegis-csv");
  return parse_csv(write(dir, content), o, mapping, sink);
}

// The whole file is rejected: no record reaches the sink, the message names the line.
FileError rejected(const std::string& content, const CsvMapping& mapping = CsvMapping::aegis()) {
  CollectSink sink;
  auto r = parse(content, sink, mapping);
  REQUIRE_FALSE(r);
  return r.error();
}

// Every string of a quarantine entry, to check no value leaks into it.
std::string all_text(const Quarantined& q) {
  return q.where.path + "|" + q.local_id + "|" + q.field + "|" + q.reason;
}

const std::string kHeader =
    "local_id,given_name,family_name,gender,date_of_birth,upn,uln,nhs_number,postcode,address_"
    "line1\n";

}  // namespace

TEST_CASE("csv: a good aegis file lands every column in the record") {
  const std::string csv =
      "local_id,given_name,middle_name,family_name,gender,date_of_birth,date_of_death,upn,uln,"
      "nhs_number,address_line1,address_line2,address_line3,postcode,former1_family_name,"
      "contact1_given_name,contact1_family_name,contact1_relationship,"
      "contact1_parental_responsibility,contact1_phone1,contact1_phone2,contact1_address_as_child,"
      "contact2_family_name,contact2_relationship,contact2_address_line1,contact2_postcode,"
      "involvement1_kind,involvement1_organisation,involvement1_organisation_id,involvement1_role,"
      "involvement1_practitioner,involvement1_phone,involvement1_start,involvement1_end,"
      "involvement1_lead_professional,involvement1_assessment_completed,involvement1_sensitive,"
      "involvement1_consent\n"
      "L-1,Amira,Jane,Khan,F,2015-03-02,,b8012 0000 5001,1234567899,943 476 5919,"
      "1 High Street,,Leeds,ls1 4ap,Smith,"
      "Sara,Khan,PAM,Y,,0113 496 0000,yes,"
      "Khan,PAF,2 Low Road,m11ae,"
      "educational_setting,Leeds Primary,2011234,Class teacher,Ms Hill,0113 496 0001,2019-09-01,,"
      "1,0,false,true\n";
  CollectSink sink;
  auto r = parse(csv, sink);
  REQUIRE(r);
  CHECK(r->records == 1);
  CHECK(r->quarantined == 0);
  CHECK(r->info.format == Format::csv);
  CHECK(sink.begun == 1);
  CHECK(sink.quarantined.empty());
  REQUIRE(sink.records.size() == 1);
  CHECK(sink.records[0].where.line == 2);
  const ChildRecord& c = sink.records[0].record;
  CHECK(c.record_id == "csv:L-1");
  CHECK(c.identity.name.given == "Amira");
  CHECK(c.identity.name.middle == "Jane");
  CHECK(c.identity.name.family == "Khan");
  CHECK(c.identity.gender == aegis::protocol::Gender::female);
  CHECK(c.identity.date_of_birth == *Date::parse("2015-03-02"));
  CHECK_FALSE(c.identity.date_of_death);
  REQUIRE(c.identity.former_names.size() == 1);
  CHECK(c.identity.former_names[0].family == "Smith");
  CHECK(c.details.upn == "B801200005001");
  CHECK(c.details.uln == "1234567899");
  CHECK(c.details.nhs_number == "9434765919");
  REQUIRE(c.details.address);
  CHECK(c.details.address->lines == std::vector<std::string>{"1 High Street", "Leeds"});
  CHECK(c.details.address->postcode == "LS1 4AP");
  REQUIRE(c.details.contacts.size() == 2);
  const auto& mum = c.details.contacts[0];
  CHECK(mum.name.given == "Sara");
  CHECK(mum.relationship == "PAM");
  CHECK(mum.parental_responsibility);
  CHECK(mum.phones == std::vector<std::string>{"0113 496 0000"});
  CHECK(mum.address_as_child);
  CHECK_FALSE(mum.address);
  const auto& dad = c.details.contacts[1];
  CHECK_FALSE(dad.parental_responsibility);
  REQUIRE(dad.address);
  CHECK(dad.address->lines == std::vector<std::string>{"2 Low Road"});
  CHECK(dad.address->postcode == "M1 1AE");
  REQUIRE(c.details.involvements.size() == 1);
  const auto& school = c.details.involvements[0];
  CHECK(school.kind == aegis::protocol::InvolvementKind::educational_setting);
  CHECK(school.organisation == "Leeds Primary");
  CHECK(school.organisation_id == "2011234");
  CHECK(school.role == "Class teacher");
  CHECK(school.practitioner == "Ms Hill");
  CHECK(school.phone == "0113 496 0001");
  CHECK(school.start == Date::parse("2019-09-01"));
  CHECK_FALSE(school.end);
  CHECK(school.lead_professional);
  CHECK_FALSE(school.assessment_completed);
  CHECK_FALSE(school.sensitive);
  CHECK(school.consent);
  CHECK_FALSE(c.details.shield);
}

TEST_CASE("csv: groups with no value in a row are left out; header case and spaces ignored") {
  const std::string csv =
      " Local_ID , FAMILY_NAME,date_of_birth,contact1_family_name,contact1_relationship,"
      "contact2_family_name,contact2_relationship,involvement3_kind,involvement3_organisation\n"
      "a,Khan,2015-03-02,,,Khan,PAF,,\n";
  CollectSink sink;
  REQUIRE(parse(csv, sink));
  REQUIRE(sink.records.size() == 1);
  const auto& d = sink.records[0].record.details;
  REQUIRE(d.contacts.size() == 1);
  CHECK(d.contacts[0].relationship == "PAF");
  CHECK(d.involvements.empty());
  CHECK_FALSE(d.address);
  CHECK_FALSE(d.upn);
}

TEST_CASE("csv: RFC 4180 quoting: separators, doubled quotes, line breaks, CRLF") {
  const std::string csv =
      "local_id,family_name,date_of_birth,address_line1,address_line2\r\n"
      "q1,\"O'Brien, Jr\",2015-03-02,\"Flat 2, \"\"The Mews\"\"\",\"Line\r\ntwo\"\r\n"
      "\r\n"
      "q2, \"Khan\" ,2015-03-02,\"  kept  \",\r\n";
  CollectSink sink;
  auto r = parse(csv, sink);
  REQUIRE(r);
  REQUIRE(sink.records.size() == 2);
  const auto& a = sink.records[0].record;
  CHECK(a.identity.name.family == "O'Brien, Jr");
  CHECK(a.details.address->lines ==
        std::vector<std::string>{"Flat 2, \"The Mews\"", "Line\ntwo"});  // CRLF -> LF
  CHECK(sink.records[0].where.line == 2);
  // The quoted line break counts as a line; the blank line is skipped but counted.
  CHECK(sink.records[1].where.line == 5);
  CHECK(sink.records[1].record.identity.name.family == "Khan");
  CHECK(sink.records[1].record.details.address->lines == std::vector<std::string>{"  kept  "});
}

TEST_CASE("csv: a UTF-8 byte order mark is tolerated and UTF-8 text kept") {
  CollectSink sink;
  REQUIRE(
      parse("\xEF\xBB\xBFlocal_id,family_name,date_of_birth\nb1,Zo\xC3\xAB,2015-03-02\n", sink));
  REQUIRE(sink.records.size() == 1);
  CHECK(sink.records[0].record.identity.name.family == "Zo\xC3\xAB");
}

TEST_CASE("csv: a header with no rows imports nothing and is not an error") {
  CollectSink sink;
  auto r = parse("local_id,family_name,date_of_birth\n", sink);
  REQUIRE(r);
  CHECK(r->records == 0);
  CHECK(r->quarantined == 0);
  CHECK(sink.begun == 1);
}

TEST_CASE("csv: an empty file or one of blank lines is rejected") {
  CHECK(rejected("").message.find("empty") != std::string::npos);
  CHECK(rejected("\n\r\n\n").message.find("empty") != std::string::npos);
  CHECK(rejected("\xEF\xBB\xBF").message.find("empty") != std::string::npos);
}

TEST_CASE("csv: an unknown column rejects the file and names the column") {
  const auto e = rejected("local_id,family_name,date_of_birth,shoe_size\nx,Khan,2015-03-02,9\n");
  CHECK(e.where.line == 1);
  CHECK(e.message == "line 1: unknown column \"shoe_size\"");
  // Numbers beyond the record's limits are unknown columns too.
  CHECK(rejected("local_id,family_name,date_of_birth,contact33_family_name\n")
            .message.find("contact33_family_name") != std::string::npos);
  CHECK(rejected("local_id,family_name,date_of_birth,address_line7\n")
            .message.find("address_line7") != std::string::npos);
  CHECK(rejected("local_id,family_name,date_of_birth,contact01_family_name\n")
            .message.find("unknown column") != std::string::npos);
}

TEST_CASE("csv: a missing required column rejects the file") {
  CHECK(rejected("family_name,date_of_birth\nKhan,2015-03-02\n").message ==
        "line 1: required column \"local_id\" missing");
  CHECK(rejected("local_id,date_of_birth\n").message ==
        "line 1: required column \"family_name\" missing");
  CHECK(rejected("local_id,family_name\n").message ==
        "line 1: required column \"date_of_birth\" missing");
  CHECK(rejected("local_id,family_name,date_of_birth,contact2_family_name\n").message ==
        "line 1: required column \"contact2_relationship\" missing");
  CHECK(rejected("local_id,family_name,date_of_birth,involvement1_kind\n").message ==
        "line 1: required column \"involvement1_organisation\" missing");
  CHECK(rejected("contact1_family_name,contact1_relationship\n").message.find("local_id") !=
        std::string::npos);
  // FEBRL without rec_id: the message names the mapping's column.
  CHECK(rejected("given_name, surname, date_of_birth\n", CsvMapping::febrl())
            .message.find("\"rec_id\"") != std::string::npos);
}

TEST_CASE("csv: a column named twice or unnamed rejects the file") {
  CHECK(rejected("local_id,family_name,date_of_birth,upn,UPN\n").message ==
        "line 1: column \"upn\" appears twice");
  CHECK(rejected("local_id,family_name,,date_of_birth\n").message ==
        "line 1: column 3 has no name");
}

TEST_CASE("csv: an unterminated quote rejects the file with the line it started on") {
  const auto e = rejected(
      "local_id,family_name,date_of_birth\nx,Khan,2015-03-02\ny,\"Khan,2015-03-02\nz,Khan,2015-03-"
      "02\n");
  CHECK(e.where.line == 3);
  CHECK(e.message == "line 3: a quoted field is not closed before the end of the file");
}

TEST_CASE("csv: stray quotes reject the file") {
  CHECK(rejected("local_id,family_name,date_of_birth\nx,Kh\"an,2015-03-02\n").message ==
        "line 2: a quote inside an unquoted field (quote the whole field)");
  CHECK(rejected("local_id,family_name,date_of_birth\nx,\"Khan\"x,2015-03-02\n").message ==
        "line 2: text after a closing quote");
}

TEST_CASE("csv: text that is not UTF-8 rejects the whole file with its line") {
  CollectSink sink;
  auto r =
      parse("local_id,family_name,date_of_birth\nx,Khan,2015-03-02\ny,Zo\xEB,2015-03-02\n", sink);
  REQUIRE_FALSE(r);
  CHECK(r.error().where.line == 3);
  CHECK(r.error().message == "line 3: not valid UTF-8 (the file must be UTF-8)");
  // NUL is not text either.
  using namespace std::string_literals;
  CHECK(rejected("local_id,family_name,date_of_birth\nx,Kh\0an,2015-03-02\n"s).where.line == 2);
  // UTF-16 (what some spreadsheet exports produce) is named as such.
  CHECK(rejected("\xFF\xFEl\0o\0"s).message == "line 1: the file is UTF-16; it must be UTF-8");
}

TEST_CASE("csv: a huge line, field, row or column count rejects the file (bounded memory)") {
  // A 3 MiB line without a line break: refused once the row limit is reached.
  const std::string header = "local_id,family_name,date_of_birth,address_line1\n";
  auto e = rejected(header + "x,Khan,2015-03-02," + std::string(3 << 20, 'a'));
  CHECK(e.where.line == 2);
  CHECK(e.message == "line 2: a row is longer than 1048576 bytes");
  e = rejected(header + "x,Khan,2015-03-02," + std::string(5000, 'a') + "\n");
  CHECK(e.message == "line 2: a field is longer than 4096 bytes");

  CsvMapping small = CsvMapping::aegis();
  small.max_row_bytes = 100;
  std::string lines;
  for (int i = 0; i < 30; ++i) lines += "0123456789\n";
  CHECK(rejected(header + "x,Khan,2015-03-02,\"" + lines + "\"\n", small).message ==
        "line 2: a row is longer than 100 bytes");
  small = CsvMapping::aegis();
  small.max_columns = 5;
  CHECK(rejected(header + "x,Khan,2015-03-02,a,b,c,d\n", small).message ==
        "line 2: more than 5 columns");
}

TEST_CASE("csv: a file over the size limit is rejected before reading") {
  ParseOptions o = options();
  o.max_file_bytes = 10;
  CollectSink sink;
  auto r = parse("local_id,family_name,date_of_birth\n", sink, CsvMapping::aegis(), o);
  REQUIRE_FALSE(r);
  CHECK(r.error().message.find("larger than the limit of 10 bytes") != std::string::npos);
  CHECK(sink.begun == 0);
}

TEST_CASE("csv: a row with the wrong number of columns is quarantined, the rest imported") {
  CollectSink sink;
  auto r = parse(
      "local_id,family_name,date_of_birth\nx,Khan,2015-03-02,extra\ny,Khan,2015-03-02\nz,Khan\n",
      sink);
  REQUIRE(r);
  CHECK(r->records == 1);
  CHECK(r->quarantined == 2);
  REQUIRE(sink.quarantined.size() == 2);
  CHECK(sink.quarantined[0].where.line == 2);
  CHECK(sink.quarantined[0].field == "row");
  CHECK(sink.quarantined[0].reason == "4 columns, the header has 3");
  CHECK(sink.quarantined[0].local_id.empty());
  CHECK(sink.quarantined[1].where.line == 4);
  CHECK(sink.quarantined[1].reason == "2 columns, the header has 3");
  CHECK(sink.records.at(0).record.record_id == "csv:y");
}

namespace {

const std::vector<std::string> kRuleColumns = {"local_id",
                                               "given_name",
                                               "family_name",
                                               "gender",
                                               "date_of_birth",
                                               "date_of_death",
                                               "upn",
                                               "uln",
                                               "nhs_number",
                                               "address_line1",
                                               "postcode",
                                               "contact1_family_name",
                                               "contact1_relationship",
                                               "contact1_parental_responsibility",
                                               "involvement1_kind",
                                               "involvement1_organisation",
                                               "involvement1_start",
                                               "involvement1_end",
                                               "involvement1_sensitive",
                                               "involvement1_consent"};

// A valid row, with some columns replaced.
std::string rule_row(const std::vector<std::pair<std::string, std::string>>& changes) {
  std::vector<std::string> v = {
      "r1",          "Amira",      "Canaryfamily",  "F",       "2015-03-02", "",    "B801200005001",
      "1234567899",  "9434765919", "1 High Street", "LS1 4AP", "Canarymum",  "PAM", "Y",
      "gp_practice", "Surgery",    "2019-09-01",    "",        "",           ""};
  for (const auto& [column, value] : changes) {
    auto at = std::find(kRuleColumns.begin(), kRuleColumns.end(), column);
    REQUIRE(at != kRuleColumns.end());
    v[static_cast<std::size_t>(at - kRuleColumns.begin())] = value;
  }
  std::string row = v[0];
  for (std::size_t i = 1; i < v.size(); ++i) row += "," + v[i];
  return row + "\n";
}

struct Rule {
  std::vector<std::pair<std::string, std::string>> changes;
  std::string field;
  std::string reason;
};

}  // namespace

TEST_CASE("csv: each rule quarantines its row with line, column and reason, never the value") {
  const std::string long_name = "Canary" + std::string(95, 'x');  // 101 bytes
  const std::vector<Rule> rules = {
      {{{"upn", "C801200005001"}}, "upn", "check letter is wrong"},
      {{{"upn", "X80120000A001"}}, "upn", "not a letter, 11 digits, then a digit or a letter"},
      {{{"uln", "1234567890"}}, "uln", "check digit is wrong"},
      {{{"nhs_number", "9434765871"}}, "nhs_number", "check digit is wrong"},
      {{{"nhs_number", "94347659"}}, "nhs_number", "not 10 digits"},
      {{{"postcode", "ZZ1 1CA"}}, "postcode", "not a UK postcode"},
      {{{"postcode", "4011"}}, "postcode", "not a UK postcode"},
      {{{"date_of_birth", "2025-06-16"}}, "date_of_birth", "date is in the future"},
      {{{"date_of_birth", "1999-01-01"}}, "date_of_birth", "more than 25 years ago"},
      {{{"date_of_birth", "2015-02-30"}}, "date_of_birth", "not a real date YYYY-MM-DD"},
      {{{"date_of_birth", "02/03/2015"}}, "date_of_birth", "not a real date YYYY-MM-DD"},
      {{{"date_of_birth", ""}}, "date_of_birth", "required"},
      {{{"date_of_death", "2025-07-01"}}, "date_of_death", "date is in the future"},
      {{{"family_name", ""}}, "family_name", "required"},
      {{{"local_id", ""}}, "local_id", "required"},
      {{{"local_id", "has space"}},
       "local_id",
       "not a local id (1..60 characters of A-Z a-z 0-9 . _ : -)"},
      {{{"local_id", std::string(61, 'q')}},
       "local_id",
       "not a local id (1..60 characters of A-Z a-z 0-9 . _ : -)"},
      {{{"gender", "Xq7"}}, "gender", "unknown gender code"},
      {{{"address_line1", ""}}, "address_line1", "required with a postcode"},
      {{{"contact1_relationship", ""}}, "contact1_relationship", "required"},
      {{{"contact1_family_name", ""}}, "contact1_family_name", "required"},
      {{{"contact1_parental_responsibility", "maybe"}},
       "contact1_parental_responsibility",
       "not yes or no (Y, N, yes, no, true, false, 1, 0)"},
      {{{"involvement1_kind", "wizardry"}}, "involvement1_kind", "unknown involvement kind"},
      {{{"involvement1_organisation", ""}}, "involvement1_organisation", "required"},
      {{{"involvement1_start", "2030-01-01"}}, "involvement1_start", "date is in the future"},
      // Rules the protocol checks (check_record): the field is the record's path.
      {{{"involvement1_end", "2018-01-01"}}, "record.details.involvements[0].end", "before start"},
      {{{"involvement1_sensitive", "yes"}},
       "record.details.involvements[0].consent",
       "a sensitive involvement is recorded only with consent"},
      {{{"family_name", long_name}}, "record.identity.name.family", "101 bytes, limit 100"},
  };
  std::string header;
  for (const auto& c : kRuleColumns) header += (header.empty() ? "" : ",") + c;
  for (const auto& rule : rules) {
    INFO("rule: " << rule.field << " " << rule.reason);
    CollectSink sink;
    auto r =
        parse(header + "\n" +
                  rule_row({{"local_id", "good"}, {"upn", ""}, {"uln", ""}, {"nhs_number", ""}}) +
                  rule_row(rule.changes),
              sink);
    REQUIRE(r);
    CHECK(r->records == 1);
    CHECK(r->quarantined == 1);
    REQUIRE(sink.records.size() == 1);
    CHECK(sink.records[0].record.record_id == "csv:good");
    REQUIRE(sink.quarantined.size() == 1);
    const Quarantined& q = sink.quarantined[0];
    CHECK(q.where.line == 3);
    CHECK(q.field == rule.field);
    CHECK(q.where.path == rule.field);
    CHECK(q.reason == rule.reason);
    CHECK(q.local_id == (rule.changes[0].first == "local_id" ? "" : "csv:r1"));
    const std::string text = all_text(q);
    CHECK(text.find("Canary") == std::string::npos);
    CHECK(text.find("Amira") == std::string::npos);
    for (const auto& [column, value] : rule.changes)
      if (value.size() >= 3) CHECK(text.find(value) == std::string::npos);
  }
}

TEST_CASE("csv: duplicate identifiers in one file: the first is imported, later rows quarantined") {
  const std::string csv =
      "local_id,family_name,date_of_birth,upn,uln,nhs_number\n"
      "d1,Khan,2015-03-02,B801200005001,1234567899,9434765919\n"   // 2 imported
      "d2,Khan,2015-03-02,B801200005001,,\n"                       // 3 duplicate UPN
      "d1,Khan,2015-03-02,,,\n"                                    // 4 duplicate local id
      "d3,Khan,2015-03-02,,1234567899,\n"                          // 5 duplicate ULN
      "d4,Khan,2015-03-02,,,943 476 5919\n"                        // 6 duplicate NHS number
      "d5,Khan,2030-01-01,P201123456789,,\n"                       // 7 future: quarantined...
      "d6,Khan,2015-03-02,P201123456789,,\n"                       // 8 ...but its UPN is claimed
      "d7,Khan,2015-03-02,b8012 0000 5001,,\n"                     // 9 same UPN once normalised
      "d8,Khan,2015-03-02,A201123456790,5555555554,9990000050\n";  // 10 imported
  CollectSink sink;
  auto r = parse(csv, sink);
  REQUIRE(r);
  CHECK(r->records == 2);
  CHECK(r->quarantined == 7);
  REQUIRE(sink.records.size() == 2);
  CHECK(sink.records[0].record.record_id == "csv:d1");
  CHECK(sink.records[1].record.record_id == "csv:d8");
  const std::vector<std::tuple<std::uint64_t, std::string, std::string>> expected = {
      {3, "upn", "duplicate UPN"},
      {4, "local_id", "duplicate local id"},
      {5, "uln", "duplicate ULN"},
      {6, "nhs_number", "duplicate NHS number"},
      {7, "date_of_birth", "date is in the future"},
      {8, "upn", "duplicate UPN"},
      {9, "upn", "duplicate UPN"},
  };
  REQUIRE(sink.quarantined.size() == expected.size());
  for (std::size_t i = 0; i < expected.size(); ++i) {
    const auto& [line, field, reason] = expected[i];
    INFO("line " << line);
    CHECK(sink.quarantined[i].where.line == line);
    CHECK(sink.quarantined[i].field == field);
    CHECK(sink.quarantined[i].reason == reason);
    CHECK(all_text(sink.quarantined[i]).find("801200005001") == std::string::npos);
  }
  CHECK(sink.quarantined[1].local_id == "csv:d1");
}

TEST_CASE("csv: a sink error stops the parse as a file error at the current line") {
  CollectSink sink;
  sink.fail_on_record = 1;
  auto r =
      parse("local_id,family_name,date_of_birth\na,Khan,2015-03-02\nb,Khan,2015-03-02\n", sink);
  REQUIRE_FALSE(r);
  CHECK(r.error().where.line == 2);
  CHECK(r.error().message.find("store: disk full") != std::string::npos);
  CHECK(sink.records.size() == 1);
}

TEST_CASE("csv: the FEBRL sample loads through the FEBRL mapping") {
  CollectSink sink;
  auto r =
      parse_csv(std::filesystem::path(AEGIS_SOURCE_DIR) / "tests/data/febrl/dataset1_head50.csv",
                options(), CsvMapping::febrl(), sink);
  REQUIRE(r);
  CHECK(r->info.source == "csv febrl");
  CHECK(r->records == 49);
  CHECK(r->quarantined == 1);
  REQUIRE(sink.quarantined.size() == 1);
  CHECK(sink.quarantined[0].where.line == 8);
  CHECK(sink.quarantined[0].local_id == "csv:rec-190-dup-0");
  CHECK(sink.quarantined[0].field == "date_of_birth");
  CHECK(sink.quarantined[0].reason == "required");

  // rec-223-org, , waller, 6, tullaroop street, willaroo, st james, 4011, wa, 19081209, 6988048
  const ChildRecord& a = sink.record_named("csv:rec-223-org");
  CHECK(a.identity.name.given.empty());
  CHECK(a.identity.name.middle.empty());
  CHECK(a.identity.name.family == "waller");
  CHECK(a.identity.gender == aegis::protocol::Gender::not_known);
  CHECK(a.identity.date_of_birth == *Date::parse("1908-12-09"));  // no child-age check
  REQUIRE(a.details.address);
  CHECK(a.details.address->lines ==
        std::vector<std::string>{"6 tullaroop street", "willaroo", "st james", "wa"});
  CHECK(a.details.address->postcode == "4011");
  CHECK_FALSE(a.details.upn);
  CHECK_FALSE(a.details.uln);
  CHECK_FALSE(a.details.nhs_number);
  CHECK(a.details.contacts.empty());
  CHECK(a.details.involvements.empty());
  // soc_sec_id is dropped: its value is nowhere in the record.
  const auto bytes = aegis::protocol::encode_child_record(a);
  CHECK_FALSE(aegis::test::contains_bytes(bytes, "6988048"));

  // rec-122-org, lachlan, berry, 69, giblin street, killarney, bittern, 4814, qld, 19990219,
  // 7364009
  const ChildRecord& b = sink.record_named("csv:rec-122-org");
  CHECK(b.identity.name.given == "lachlan");
  CHECK(b.identity.name.family == "berry");
  CHECK(b.identity.date_of_birth == *Date::parse("1999-02-19"));
  CHECK(b.details.address->lines ==
        std::vector<std::string>{"69 giblin street", "killarney", "bittern", "qld"});
  CHECK(b.details.address->postcode == "4814");
}

TEST_CASE("csv: FEBRL rows with a bad date or no surname are quarantined; empty parts skipped") {
  const std::string csv =
      "rec_id, given_name, surname, street_number, address_1, address_2, suburb, postcode, state, "
      "date_of_birth, soc_sec_id\n"
      "rec-1-org, ann, lee, , kent street, , perth, 6000, wa, 19560212, 1111111\n"
      "rec-2-org, bob, lee, 4, kent street, , perth, 6000, wa, 19560231, 2222222\n"
      "rec-3-org, cat, , 4, kent street, , perth, 6000, wa, 19560212, 3333333\n"
      "rec-4-org, dan, lee, 4, kent street, , perth, 6000, wa, 1956021, 4444444\n"
      "rec-5-org, eve, lee, 4, kent street, , perth, 6000, wa, 20300101, 5555555\n"
      "rec-6-org, fay, lee, 4, kent street, , perth, 6000, wa, 1956-02-12, 6666666\n";
  CollectSink sink;
  auto r = parse(csv, sink, CsvMapping::febrl());
  REQUIRE(r);
  CHECK(r->records == 1);
  REQUIRE(sink.records.size() == 1);
  CHECK(sink.records[0].record.details.address->lines ==
        std::vector<std::string>{"kent street", "perth", "wa"});
  REQUIRE(sink.quarantined.size() == 5);
  CHECK(sink.quarantined[0].field == "date_of_birth");
  CHECK(sink.quarantined[0].reason == "not a real date YYYYMMDD");
  CHECK(sink.quarantined[1].field == "surname");
  CHECK(sink.quarantined[1].reason == "required");
  CHECK(sink.quarantined[2].reason == "not a real date YYYYMMDD");
  CHECK(sink.quarantined[3].reason == "date is in the future");
  CHECK(sink.quarantined[4].reason == "not a real date YYYYMMDD");
  for (const auto& q : sink.quarantined) {
    CHECK(all_text(q).find("1956") == std::string::npos);
    CHECK(all_text(q).find("kent") == std::string::npos);
  }
}

TEST_CASE("csv: a FEBRL file read with the aegis mapping is rejected") {
  const auto e = rejected(
      "rec_id, given_name, surname, street_number, address_1, address_2, suburb, postcode, state, "
      "date_of_birth, soc_sec_id\n");
  CHECK(e.message == "line 1: unknown column \"rec_id\"");
}

TEST_CASE("format: names round-trip and unknown names are refused") {
  for (Format f : {Format::ctf, Format::cin, Format::csv}) CHECK(parse_format(format_name(f)) == f);
  CHECK(format_name(Format::cin) == "cin");
  CHECK_FALSE(parse_format("xml"));
  CHECK_FALSE(parse_format("CSV"));
  CHECK_FALSE(parse_format(""));
}

TEST_CASE("format: parse_file dispatches CSV with the aegis mapping, and by the format asked") {
  TempDir dir("aegis-csv");
  const auto file = write(dir, "local_id,family_name,date_of_birth\na,Khan,2015-03-02\n");
  CollectSink sink;
  auto r = parse_file(Format::csv, file, options(), sink);
  REQUIRE(r);
  CHECK(r->records == 1);
  CHECK(sink.records.at(0).record.record_id == "csv:a");
  // The same bytes read as XML formats are structurally broken files.
  for (Format f : {Format::ctf, Format::cin}) {
    CollectSink xml_sink;
    CHECK_FALSE(parse_file(f, file, options(), xml_sink));
    CHECK(xml_sink.records.empty());
  }
}
