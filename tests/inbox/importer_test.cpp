// inbox::import_file and deliver (docs/adapters.md): one file, one transaction; delta on
// re-import; quarantine report without values; a rejected or failed file writes nothing; full
// and partial CTF rolls; moving the file and its report.
#include <csignal>
#include <sstream>

#include <sys/resource.h>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "config/config.hpp"
#include "inbox_fixture.hpp"

using namespace aegis;
using namespace aegis::test;
namespace fs = std::filesystem;

TEST_CASE("import: a good CSV lands in the store in one transaction with its imports row") {
  ImportFixture f;
  const auto file = write_file(f.files / "pupils.csv", csv_file(1, 20));
  const inbox::Report r = f.imported(file);
  CHECK(r.file_name == "pupils.csv");
  CHECK(r.format == "csv");
  CHECK(r.records == 20);
  CHECK(r.changed == 20);
  CHECK(r.unchanged == 0);
  CHECK(r.quarantined() == 0);
  CHECK(r.first_seq == 1);
  CHECK(r.last_seq == 20);
  CHECK(r.import_id == 1);
  CHECK_FALSE(r.previous);
  CHECK(f.store.get("csv:L-7")->record.identity.name.given == "Canary7");
  auto rows = f.store.list_imports();
  REQUIRE(rows->size() == 1);
  CHECK((*rows)[0].records == 20);
  CHECK((*rows)[0].sha256 == r.sha256);
  CHECK(f.verify(f.store).verified == 20);
  CHECK(f.verify(f.store).intact());
}

TEST_CASE("import: the same file again changes nothing and names the earlier import") {
  ImportFixture f;
  const auto file = write_file(f.files / "pupils.csv", csv_file(1, 10));
  f.imported(file);
  const inbox::Report again = f.imported(file);
  CHECK(again.records == 10);
  CHECK(again.changed == 0);
  CHECK(again.unchanged == 10);
  CHECK(again.first_seq == 0);
  REQUIRE(again.previous);
  CHECK(again.previous->import_id == 1);
  CHECK(again.previous->file_name == "pupils.csv");
  CHECK(f.store.last()->last_seq == 10);
}

TEST_CASE("import: an updated file appends exactly the changed records") {
  ImportFixture f;
  f.imported(write_file(f.files / "v1.csv", csv_file(1, 10)));
  std::string v2 = kCsvHeader;
  for (int n = 1; n <= 10; ++n) v2 += csv_row(n, n == 4 || n == 9 ? "ME15 6AA" : "ME14 1XX");
  v2 += csv_row(11);  // a new child
  const inbox::Report r = f.imported(write_file(f.files / "v2.csv", v2));
  CHECK(r.records == 11);
  CHECK(r.changed == 3);
  CHECK(r.unchanged == 8);
  CHECK(r.first_seq == 11);
  CHECK(r.last_seq == 13);
  auto outbox = f.store.read_outbox(11, 0);
  REQUIRE(outbox->size() == 3);
  CHECK((*outbox)[0].record_id == "csv:L-4");
  CHECK((*outbox)[1].record_id == "csv:L-9");
  CHECK((*outbox)[2].record_id == "csv:L-11");
}

TEST_CASE("import: invalid rows are quarantined with where and why, never the value") {
  ImportFixture f;
  std::string csv = kCsvHeader + csv_row(1);
  csv += "L-2,Canary2,Hartley,F,2099-01-01,1 Road,Town,ME14 1XX,C,H,PAM,0,educational_setting,"
         "School,1,2019-09-04\n";                                    // date of birth in the future
  csv += csv_row(3);
  csv += "L-4,Canary4,,F,2015-03-14,1 Road,Town,ME14 1XX,C,H,PAM,0,educational_setting,School,"
         "1,2019-09-04\n";                                           // no family name
  csv += csv_row(1);                                                 // duplicate local id
  const inbox::Report r = f.imported(write_file(f.files / "mixed.csv", csv));
  CHECK(r.records == 2);
  CHECK(r.changed == 2);
  CHECK(r.quarantined() == 3);
  const std::string json = f.report_json(r);
  auto doc = nlohmann::json::parse(json);
  CHECK(doc["outcome"] == "imported");
  CHECK(doc["quarantined"] == 3);
  REQUIRE(doc["quarantine"].size() == 3);
  CHECK(doc["quarantine"][0]["line"] == 3);
  CHECK(doc["quarantine"][0]["record_id"] == "csv:L-2");
  CHECK(doc["quarantine"][0]["field"].get<std::string>().find("date_of_birth") !=
        std::string::npos);
  CHECK(doc["quarantine"][1]["line"] == 5);
  CHECK(doc["quarantine"][2]["line"] == 6);
  CHECK(json.find("2099") == std::string::npos);  // the bad value itself is not in the report
  CHECK(json.find("Canary") == std::string::npos);
  CHECK(f.store.get("csv:L-3").ok());
  CHECK(f.store.get("csv:L-2").error().code == store::StoreErrc::not_found);
}

TEST_CASE("import: a structurally broken file is rejected whole and writes nothing") {
  ImportFixture f;
  f.imported(write_file(f.files / "before.csv", csv_file(1, 2)));
  const std::string broken_tail = csv_file(10, 50) + "L-99,\"unterminated,Hartley\n";
  for (const auto& [name, content] : std::vector<std::pair<std::string, std::string>>{
           {"unknown-column.csv",
            "local_id,family_name,date_of_birth,shoe_size\nL-1,H,2015-01-01,4\n"},
           {"empty.csv", ""},
           {"latin1.csv", kCsvHeader + "L-5,Ren\xe9,Hartley,F,2015-03-14,1 Road,Town,ME14 1XX,C,H,"
                                       "PAM,0,educational_setting,School,1,2019-09-04\n"},
           {"broken-after-50-rows.csv", broken_tail}}) {
    INFO(name);
    const inbox::Report r = f.run(write_file(f.files / name, content));
    CHECK(r.outcome == inbox::Outcome::rejected);
    REQUIRE(r.error);
    CHECK_FALSE(r.error->message.empty());
    CHECK(r.records == 0);
    CHECK(r.changed == 0);
    CHECK(r.import_id == 0);
  }
  CHECK(f.store.last()->last_seq == 2);
  CHECK(f.store.list_imports()->size() == 1);
  CHECK(f.store.list_records()->size() == 2);
}

TEST_CASE("import: a store failure mid-file fails the import, writes nothing, and says why") {
  ImportFixture f;
  RawDb raw(f.file);
  raw.exec("CREATE TRIGGER fail_l7 BEFORE INSERT ON records WHEN NEW.record_id = 'csv:L-7' "
           "BEGIN SELECT RAISE(ABORT, 'disk on fire'); END;");
  const auto file = write_file(f.files / "pupils.csv", csv_file(1, 10));
  const inbox::Report r = f.run(file);
  CHECK(r.outcome == inbox::Outcome::failed);
  CHECK(r.failure.find("disk on fire") != std::string::npos);
  CHECK(r.failure.find("csv:L-7") != std::string::npos);
  CHECK(r.records == 0);
  CHECK(raw.scalar("SELECT count(*) FROM outbox") == 0);
  CHECK(raw.scalar("SELECT count(*) FROM imports") == 0);
  raw.exec("DROP TRIGGER fail_l7");
  CHECK(f.imported(file).changed == 10);  // the retry imports it all
}

TEST_CASE("import: a store locked by another writer fails the import (retried later)") {
  ImportFixture f;
  store::OpenOptions quick;
  quick.busy_timeout_ms = 0;
  auto s = store::Store::open(f.file, "kent", quick);
  REQUIRE(s.ok());
  RawDb raw(f.file);
  raw.exec("BEGIN IMMEDIATE");
  const auto file = write_file(f.files / "pupils.csv", csv_file(1, 3));
  const inbox::Report r = inbox::import_file(*s, f.signing, file, csv_source());
  CHECK(r.outcome == inbox::Outcome::failed);
  CHECK_FALSE(r.failure.empty());
  raw.exec("ROLLBACK");
  CHECK(inbox::import_file(*s, f.signing, file, csv_source()).outcome ==
        inbox::Outcome::imported);
}

TEST_CASE("import: a file that cannot be read fails without touching the store") {
  ImportFixture f;
  const inbox::Report r = f.run(f.files / "no-such.csv");
  CHECK(r.outcome == inbox::Outcome::failed);
  CHECK(r.failure.find("no-such.csv") != std::string::npos);
  CHECK(f.store.last()->last_seq == 0);
}

TEST_CASE("import: a full CTF ends the school setting of children it no longer lists") {
  ImportFixture f;
  f.imported(write_file(f.files / "autumn.xml", ctf_file(true, {1, 2, 3, 4})), ctf_source());
  const std::string laestab = "8234001";
  auto setting = [&](int n) {
    auto r = f.store.get("ctf:" + upn(n));
    REQUIRE(r.ok());
    REQUIRE(r->record.details.involvements.size() == 1);
    const protocol::Involvement& i = r->record.details.involvements[0];
    CHECK(i.organisation_id == laestab);
    return i;
  };
  CHECK_FALSE(setting(2).end);
  // Spring: 2 and 4 have left, 5 has joined.
  f.now += kDay;
  const inbox::Report r =
      f.imported(write_file(f.files / "spring.xml", ctf_file(true, {1, 3, 5})), ctf_source());
  CHECK(r.records == 3);
  CHECK(r.left_roll == 2);
  CHECK(r.changed == 3);  // 5 added, 2 and 4 ended; 1 and 3 unchanged
  CHECK(r.unchanged == 2);
  CHECK(setting(2).end == protocol::Date::parse("2024-02-01"));
  CHECK(setting(4).end == protocol::Date::parse("2024-02-01"));
  CHECK_FALSE(setting(1).end);
  CHECK_FALSE(setting(5).end);
  CHECK(f.store.list_records()->size() == 5);  // children who left are kept
  // The same roll again: nothing more to end.
  const inbox::Report again =
      f.imported(write_file(f.files / "spring-again.xml", ctf_file(true, {1, 3, 5})), ctf_source());
  CHECK(again.changed == 0);
  CHECK(again.left_roll == 0);
  CHECK(f.verify(f.store).intact());
}

TEST_CASE("import: a partial CTF says nothing about the children it does not list") {
  ImportFixture f;
  f.imported(write_file(f.files / "full.xml", ctf_file(true, {1, 2, 3})), ctf_source());
  const inbox::Report r =
      f.imported(write_file(f.files / "partial.xml", ctf_file(false, {2, 6})), ctf_source());
  CHECK(r.left_roll == 0);
  CHECK(r.changed == 1);  // 6 added
  for (int n : {1, 2, 3})
    CHECK_FALSE(f.store.get("ctf:" + upn(n))->record.details.involvements[0].end);
}

TEST_CASE("import: a full CTF that quarantines a listed child does not end that child's "
          "setting") {
  ImportFixture f;
  f.imported(write_file(f.files / "full.xml", ctf_file(true, {1, 2})), ctf_source());
  std::string spring = ctf_file(true, {1, 2});
  const std::string dob = "<DOB>2012-05-17</DOB>";
  spring.replace(spring.rfind(dob), dob.size(), "<DOB>2099-05-17</DOB>");  // pupil 2 now invalid
  const inbox::Report r = f.imported(write_file(f.files / "spring.xml", spring), ctf_source());
  CHECK(r.quarantined() == 1);
  CHECK(r.left_roll == 0);
  CHECK_FALSE(f.store.get("ctf:" + upn(2))->record.details.involvements[0].end);
}

TEST_CASE("deliver: an imported file and its report move to processed/, names never clash") {
  ImportFixture f;
  const std::string content = csv_file(1, 3);
  const inbox::Report first = f.imported(write_file(f.files / "pupils.csv", content));
  std::string error;
  auto moved = inbox::deliver(f.files / "pupils.csv", first, error);
  INFO(error);
  REQUIRE(moved);
  CHECK(*moved == f.files / "processed" / "pupils.csv");
  CHECK_FALSE(fs::exists(f.files / "pupils.csv"));
  auto report = load_json(f.files / "processed" / "pupils.csv.report.json");
  CHECK(report["outcome"] == "imported");
  CHECK(report["records"] == 3);
  CHECK(report["quarantine"].empty());
  // The same name again goes beside it, numbered.
  const inbox::Report second = f.imported(write_file(f.files / "pupils.csv", content));
  moved = inbox::deliver(f.files / "pupils.csv", second, error);
  REQUIRE(moved);
  CHECK(*moved == f.files / "processed" / "pupils.2.csv");
  CHECK(fs::exists(f.files / "processed" / "pupils.2.csv.report.json"));
  CHECK(load_json(f.files / "processed" / "pupils.csv.report.json")["changed"] == 3);
  // No temporary report is left behind.
  for (const auto& e : fs::directory_iterator(f.files / "processed"))
    CHECK(e.path().filename().string().front() != '.');
}

TEST_CASE("deliver: a rejected file goes to failed/ with the error; a failed one stays") {
  ImportFixture f;
  const auto bad = write_file(f.files / "bad.csv", "");
  const inbox::Report r = f.run(bad);
  REQUIRE(r.outcome == inbox::Outcome::rejected);
  std::string error;
  REQUIRE(inbox::deliver(bad, r, error));
  auto report = load_json(f.files / "failed" / "bad.csv.report.json");
  CHECK(report["outcome"] == "rejected");
  CHECK(report["error"]["message"].get<std::string>() == r.error->message);
  CHECK(fs::exists(f.files / "failed" / "bad.csv"));

  const inbox::Report failed = f.run(f.files / "gone.csv");
  CHECK_FALSE(inbox::deliver(f.files / "gone.csv", failed, error));
  CHECK_FALSE(error.empty());
  CHECK_FALSE(fs::exists(f.files / "processed"));
}

TEST_CASE("deliver: a processed/ that cannot be created leaves the file in the inbox") {
  ImportFixture f;
  const auto file = write_file(f.files / "pupils.csv", csv_file(1, 1));
  const inbox::Report r = f.imported(file);
  write_file(f.files / "processed", "a file where the directory should be");
  std::string error;
  CHECK_FALSE(inbox::deliver(file, r, error));
  CHECK(error.find("processed") != std::string::npos);
  CHECK(fs::exists(file));
}

TEST_CASE("deliver: a file that cannot be moved leaves no report behind, however often retried") {
  ImportFixture f;
  const auto file = write_file(f.files / "pupils.csv", csv_file(1, 2));
  const inbox::Report r = f.imported(file);
  fs::remove(file);  // gone before its move: every retry fails the same way
  std::string error;
  CHECK_FALSE(inbox::deliver(file, r, error));
  CHECK_FALSE(inbox::deliver(file, r, error));
  CHECK(error.find("move") != std::string::npos);
  // A report without its file would be taken for a processed file (and numbered ones pile up).
  CHECK(fs::is_empty(f.files / "processed"));
}

TEST_CASE("deliver: a report left without its file by a crash is replaced by the retry's") {
  ImportFixture f;
  const auto file = write_file(f.files / "pupils.csv", csv_file(1, 2));
  const inbox::Report r = f.imported(file);
  // What a kill between the report's rename and the file's leaves: the report, not the file.
  fs::create_directory(f.files / "processed");
  write_file(f.files / "processed" / "pupils.csv.report.json", "{\"outcome\": \"stale\"}");
  std::string error;
  auto moved = inbox::deliver(file, r, error);
  INFO(error);
  REQUIRE(moved);
  CHECK(*moved == f.files / "processed" / "pupils.csv");
  CHECK(load_json(f.files / "processed" / "pupils.csv.report.json")["outcome"] == "imported");
  CHECK_FALSE(fs::exists(f.files / "processed" / "pupils.2.csv"));
}

TEST_CASE("report: a quarantine spill that could not be written still gives a report, marked "
          "incomplete") {
  inbox::Report spilled;
  {
    // Every write to a regular file fails (EFBIG) while the limit is 0.
    struct rlimit old {};
    REQUIRE(getrlimit(RLIMIT_FSIZE, &old) == 0);
    auto previous = std::signal(SIGXFSZ, SIG_IGN);
    struct rlimit zero = old;
    zero.rlim_cur = 0;
    REQUIRE(setrlimit(RLIMIT_FSIZE, &zero) == 0);
    spilled.quarantine(adapters::Quarantined{{}, "csv:L-1", "given_name",
                                             std::string(64 * 1024, 'x')});
    setrlimit(RLIMIT_FSIZE, &old);
    std::signal(SIGXFSZ, previous);
  }
  CHECK(spilled.quarantined() == 1);
  std::ostringstream out;
  // Otherwise the committed file could never be delivered: it would be imported again forever.
  REQUIRE(spilled.write(out));
  auto doc = nlohmann::json::parse(out.str());
  CHECK(doc["quarantine_complete"] == false);
  CHECK(doc["quarantined"] == 1);
  CHECK(doc["quarantine"].empty());
}

TEST_CASE("report: thousands of quarantine entries stream into one valid JSON document") {
  ImportFixture f;
  std::string csv = kCsvHeader;
  for (int n = 0; n < 5000; ++n) csv += "L-" + std::to_string(n) + ",A,,F,2015-01-01,,,,,,,,,,,\n";
  const inbox::Report r = f.imported(write_file(f.files / "all-bad.csv", csv));
  CHECK(r.records == 0);
  CHECK(r.quarantined() == 5000);
  auto doc = nlohmann::json::parse(f.report_json(r));
  REQUIRE(doc["quarantine"].size() == 5000);
  CHECK(doc["quarantine"][4999]["record_id"] == "csv:L-4999");
  CHECK(nlohmann::json::parse(f.report_json(r))["quarantine"].size() == 5000);  // re-readable
  const auto first = r.quarantine_entries(3);
  REQUIRE(first.size() == 3);
  CHECK(first[0]["line"] == 2);
  CHECK(first[2]["record_id"] == "csv:L-2");
  CHECK(r.quarantine_entries(0).empty());
  CHECK(nlohmann::json::parse(f.report_json(r))["quarantine"].size() == 5000);
}

TEST_CASE("names: every format and CSV mapping the config accepts resolves; others do not") {
  for (std::string_view name : config::kInboxFormats) CHECK(adapters::parse_format(name));
  for (std::string_view name : config::kCsvMappings) CHECK(inbox::csv_mapping(name));
  CHECK(inbox::csv_mapping("febrl")->date_format == adapters::CsvDateFormat::yyyymmdd);
  CHECK_FALSE(inbox::csv_mapping("FEBRL"));
  CHECK_FALSE(inbox::csv_mapping(""));
  CHECK_FALSE(adapters::parse_format("xml"));
}

TEST_CASE("utc_date: the calendar date of a Unix time in milliseconds") {
  CHECK(inbox::utc_date(0) == protocol::Date{1970, 1, 1});
  CHECK(inbox::utc_date(kNow) == protocol::Date{2024, 6, 10});
  CHECK(inbox::utc_date(951'782'400'000) == protocol::Date{2000, 2, 29});
  CHECK(inbox::utc_date(951'868'799'999) == protocol::Date{2000, 2, 29});
  CHECK(inbox::utc_date(951'868'800'000) == protocol::Date{2000, 3, 1});
}

TEST_CASE("file_sha256: the SHA-256 of a file's bytes, or an error naming it") {
  TempDir dir("aegis-sha");
  std::string error;
  auto abc = inbox::file_sha256(write_file(dir / "abc", "abc"), error);
  REQUIRE(abc);
  CHECK(protocol::to_hex(*abc) ==
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  auto empty = inbox::file_sha256(write_file(dir / "empty", ""), error);
  REQUIRE(empty);
  CHECK(protocol::to_hex(*empty) ==
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK_FALSE(inbox::file_sha256(dir / "missing", error));
  CHECK(error.find("missing") != std::string::npos);
}
