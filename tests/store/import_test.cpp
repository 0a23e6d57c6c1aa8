// Store::Import: many changes in one transaction (docs/store.md §11). All or nothing, the same
// delta rule as a single change, the imports row, the open-setting enumeration for full CTF
// rolls, and the schema step that adds the imports table.
#include <catch2/catch.hpp>

#include "store_fixture.hpp"

using namespace aegis;
using namespace aegis::test;
using store::StoreErrc;

namespace {

protocol::ChildRecord at_school(const std::string& id, const std::string& laestab) {
  protocol::ChildRecord r = sample_child(id);
  r.details.involvements[0].organisation_id = laestab;
  return r;
}

store::Store::Import begin(StoreFixture& f, store::Store& s) {
  auto i = s.begin_import(f.signing);
  INFO((i ? "" : i.error().message()));
  REQUIRE(i.ok());
  return std::move(i).value();
}

store::ImportRow row(const std::string& name, std::uint8_t sha_byte = 1) {
  store::ImportRow r;
  r.file_name = name;
  r.sha256.fill(sha_byte);
  r.format = "csv";
  r.source = "csv";
  return r;
}

store::ImportRow finish(store::Store::Import& i, store::ImportRow r) {
  auto done = i.finish(std::move(r));
  INFO((done ? "" : done.error().message()));
  REQUIRE(done.ok());
  return done.value();
}

}  // namespace

TEST_CASE("import: every change and the imports row commit together, in seq order") {
  StoreFixture f;
  store::Store s = f.create();
  f.must(s.upsert(sample_child("before"), f.signing));
  auto i = begin(f, s);
  for (int n = 1; n <= 5; ++n)
    CHECK(f.must(i.upsert(sample_child("c-" + std::to_string(n)))).seq ==
          static_cast<std::uint64_t>(n + 1));
  CHECK(i.changed() == 5);
  store::ImportRow r = row("pupils.csv");
  r.records = 5;
  r.quarantined = 2;
  f.now = kNow + 7;
  const store::ImportRow done = finish(i, r);
  CHECK(done.id == 1);
  CHECK(done.changed == 5);
  CHECK(done.first_seq == 2);
  CHECK(done.last_seq == 6);
  CHECK(done.imported_ms == kNow + 7);
  CHECK(s.last()->last_seq == 6);
  CHECK(s.list_records()->size() == 6);
  auto listed = s.list_imports();
  REQUIRE(listed.ok());
  REQUIRE(listed->size() == 1);
  CHECK((*listed)[0].file_name == "pupils.csv");
  CHECK((*listed)[0].records == 5);
  CHECK((*listed)[0].quarantined == 2);
  CHECK((*listed)[0].last_seq == 6);
  CHECK(f.verify(s).verified == 6);
  CHECK(f.verify(s).intact());
}

TEST_CASE("import: nothing is visible to another connection before finish") {
  StoreFixture f;
  store::Store s = f.create();
  auto i = begin(f, s);
  f.must(i.upsert(sample_child("c-1")));
  f.must(i.upsert(sample_child("c-2")));
  RawDb raw(f.file);
  CHECK(raw.scalar("SELECT count(*) FROM outbox") == 0);
  CHECK(raw.scalar("SELECT count(*) FROM records") == 0);
  finish(i, row("a.csv"));
  CHECK(raw.scalar("SELECT count(*) FROM outbox") == 2);
  CHECK(raw.scalar("SELECT count(*) FROM imports") == 1);
}

TEST_CASE("import: an import dropped before finish leaves nothing, and the next change reuses "
          "its seqs") {
  StoreFixture f;
  store::Store s = f.create();
  f.must(s.upsert(sample_child("before"), f.signing));
  {
    auto i = begin(f, s);
    f.must(i.upsert(sample_child("c-1")));
    f.must(i.upsert(sample_child("c-2")));
    f.must(i.remove("before"));
  }  // no finish: rolled back
  CHECK(s.last()->last_seq == 1);
  CHECK(s.get("c-1").error().code == StoreErrc::not_found);
  CHECK(s.get("before").ok());
  CHECK(s.list_imports()->empty());
  CHECK(f.must(s.upsert(sample_child("c-1"), f.signing)).seq == 2);
  CHECK(f.verify(s).intact());
}

TEST_CASE("import: identical records append nothing; changed ones append exactly one each") {
  StoreFixture f;
  store::Store s = f.create();
  {
    auto i = begin(f, s);
    for (const char* id : {"a", "b", "c"}) f.must(i.upsert(sample_child(id)));
    finish(i, row("v1.csv", 1));
  }
  auto i = begin(f, s);
  store::Change same = f.must(i.upsert(sample_child("a")));
  CHECK_FALSE(same.changed);
  CHECK(same.seq == 1);
  protocol::ChildRecord b = sample_child("b");
  b.details.address->postcode = "ME15 6AA";
  CHECK(f.must(i.upsert(b)).seq == 4);
  CHECK_FALSE(f.must(i.upsert(sample_child("c"))).changed);
  const store::ImportRow done = finish(i, row("v2.csv", 2));
  CHECK(done.changed == 1);
  CHECK(done.first_seq == 4);
  CHECK(done.last_seq == 4);
  CHECK(s.get("b")->record == b);
}

TEST_CASE("import: re-importing the same records changes nothing and records no seqs") {
  StoreFixture f;
  store::Store s = f.create();
  for (int round = 0; round < 2; ++round) {
    auto i = begin(f, s);
    for (const char* id : {"a", "b"}) f.must(i.upsert(sample_child(id)));
    finish(i, row("same.csv"));
  }
  auto imports = s.list_imports();
  REQUIRE(imports->size() == 2);
  CHECK((*imports)[1].changed == 0);
  CHECK((*imports)[1].first_seq == 0);
  CHECK((*imports)[1].last_seq == 0);
  RawDb raw(f.file);
  CHECK(raw.scalar("SELECT count(*) FROM imports WHERE id = 2 AND first_seq IS NULL") == 1);
  CHECK(s.last()->last_seq == 2);
}

TEST_CASE("import: a refused record is skipped and the import goes on") {
  StoreFixture f;
  store::Store s = f.create();
  auto i = begin(f, s);
  protocol::ChildRecord bad = sample_child("bad");
  bad.identity.name.family = std::string(300, 'x');  // too long: check_record refuses it
  auto r = i.upsert(bad);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == StoreErrc::invalid_record);
  CHECK(i.remove("no-such-record").error().code == StoreErrc::not_found);
  CHECK(i.remove("not valid!").error().code == StoreErrc::invalid_argument);
  CHECK(f.must(i.upsert(sample_child("good"))).seq == 1);
  CHECK(finish(i, row("x.csv")).changed == 1);
  CHECK(f.verify(s).intact());
}

TEST_CASE("import: a failing write mid-import breaks it, names the record, commits nothing") {
  StoreFixture f;
  store::Store s = f.create();
  RawDb raw(f.file);
  raw.exec(
      "CREATE TRIGGER fail_c3 BEFORE INSERT ON records WHEN NEW.record_id = 'c-3' "
      "BEGIN SELECT RAISE(ABORT, 'injected'); END;");
  {
    auto i = begin(f, s);
    // Rows are written as signatures come back: the failure shows at a later call, at the
    // latest at finish(), and every call after it returns the same error.
    std::optional<store::StoreError> first;
    for (const char* id : {"c-1", "c-2", "c-3", "c-4"})
      if (auto r = i.upsert(sample_child(id)); !r && !first) first = r.error();
    auto done = i.finish(row("x.csv"));
    REQUIRE_FALSE(done.ok());
    if (!first) first = done.error();
    CHECK(first->code == StoreErrc::sqlite);
    CHECK(first->detail.find("c-3") != std::string::npos);
    CHECK(first->detail.find("injected") != std::string::npos);
    CHECK(done.error().detail == first->detail);
    CHECK(i.upsert(sample_child("c-5")).error().detail == first->detail);
    CHECK(i.remove("c-1").error().detail == first->detail);
  }  // dropped: rolled back
  CHECK(raw.scalar("SELECT count(*) FROM outbox") == 0);
  CHECK(raw.scalar("SELECT count(*) FROM records") == 0);
  raw.exec("DROP TRIGGER fail_c3");
  auto i = begin(f, s);
  for (const char* id : {"c-1", "c-2", "c-3"}) f.must(i.upsert(sample_child(id)));
  CHECK(finish(i, row("again.csv")).last_seq == 3);
  CHECK(f.verify(s).intact());
}

TEST_CASE("import: shielded records and deletes are signed in line, between records signed on "
          "the thread, and the chain holds") {
  StoreFixture f;
  store::Store s = f.create();
  auto i = begin(f, s);
  for (int n = 1; n <= 600; ++n) {
    const std::string id = std::to_string(n);
    protocol::ChildRecord r =
        n % 100 == 0 ? sample_shielded_child("s-" + id) : sample_child("c-" + id);
    CHECK(f.must(i.upsert(r)).seq == static_cast<std::uint64_t>(n));
  }
  // A record changed twice in one import: the second read sees the first write.
  protocol::ChildRecord again = sample_child("c-599");
  again.identity.name.given = "Amy";
  CHECK(f.must(i.upsert(again)).seq == 601);
  CHECK_FALSE(f.must(i.upsert(again)).changed);
  CHECK(f.must(i.remove("c-5")).seq == 602);
  for (int n = 1; n <= 10; ++n) f.must(i.upsert(sample_child("d-" + std::to_string(n))));
  CHECK(finish(i, row("many.csv")).last_seq == 612);
  CHECK(s.get("c-599")->record == again);
  CHECK(s.get("s-300")->record.shielded());
  const store::ChainReport report = f.verify(s);
  CHECK(report.verified == 612);
  CHECK(s.get("c-5").error().code == StoreErrc::not_found);
  CHECK(report.intact());
}

TEST_CASE("import: a failing imports row rolls back the whole file") {
  StoreFixture f;
  store::Store s = f.create();
  RawDb raw(f.file);
  raw.exec("CREATE TRIGGER fail_row BEFORE INSERT ON imports BEGIN SELECT RAISE(ABORT, 'full'); "
           "END;");
  auto i = begin(f, s);
  f.must(i.upsert(sample_child("c-1")));
  auto done = i.finish(row("x.csv"));
  REQUIRE_FALSE(done.ok());
  CHECK(done.error().code == StoreErrc::sqlite);
  CHECK(raw.scalar("SELECT count(*) FROM outbox") == 0);
}

TEST_CASE("import: the write lock is held for the whole import") {
  StoreFixture f;
  store::Store s = f.create();
  store::OpenOptions quick;
  quick.busy_timeout_ms = 0;
  auto other = store::Store::open(f.file, "kent", quick);
  REQUIRE(other.ok());
  auto i = begin(f, s);
  f.must(i.upsert(sample_child("c-1")));
  auto blocked = other->upsert(sample_child("x"), f.signing);
  REQUIRE_FALSE(blocked.ok());
  CHECK(blocked.error().code == StoreErrc::sqlite);
  CHECK(other->begin_import(f.signing).error().code == StoreErrc::sqlite);
  finish(i, row("x.csv"));
  CHECK(f.must(other->upsert(sample_child("x"), f.signing)).seq == 2);
  CHECK(f.verify(s).intact());
}

TEST_CASE("import: get sees the import's own uncommitted changes") {
  StoreFixture f;
  store::Store s = f.create();
  f.must(s.upsert(sample_child("gone"), f.signing));
  auto i = begin(f, s);
  f.must(i.upsert(sample_child("new")));
  f.must(i.remove("gone"));
  auto got = i.get("new");
  REQUIRE(got.ok());
  REQUIRE(got->has_value());
  CHECK(**got == sample_child("new"));
  CHECK_FALSE(i.get("gone")->has_value());
  CHECK_FALSE(i.get("never")->has_value());
}

TEST_CASE("import: a moved import keeps its transaction") {
  StoreFixture f;
  store::Store s = f.create();
  auto first = begin(f, s);
  f.must(first.upsert(sample_child("c-1")));
  store::Store::Import moved(std::move(first));
  f.must(moved.upsert(sample_child("c-2")));
  CHECK(finish(moved, row("m.csv")).changed == 2);
  CHECK(s.list_records()->size() == 2);
}

TEST_CASE("import: open_setting_records finds live records of the prefix with an open setting "
          "at that school") {
  StoreFixture f;
  store::Store s = f.create();
  {
    auto i = begin(f, s);
    f.must(i.upsert(at_school("ctf:A1", "8231234")));
    f.must(i.upsert(at_school("ctf:A2", "8231234")));
    f.must(i.upsert(at_school("ctf:B1", "8230001")));  // another school
    protocol::ChildRecord ended = at_school("ctf:E1", "8231234");
    ended.details.involvements[0].end = *protocol::Date::parse("2023-07-20");
    f.must(i.upsert(ended));
    protocol::ChildRecord gp = at_school("ctf:G1", "8231234");
    gp.details.involvements[0].kind = protocol::InvolvementKind::gp_practice;
    f.must(i.upsert(gp));
    protocol::ChildRecord phone = at_school("ctf:P1", "8230002");
    phone.details.contacts[0].phones = {"8231234"};  // the digits, but not as a setting
    f.must(i.upsert(phone));
    f.must(i.upsert(at_school("cin:A1", "8231234")));  // another source
    f.must(i.upsert(at_school("ctf:D1", "8231234")));
    f.must(i.remove("ctf:D1"));  // deleted
    finish(i, row("setup"));
  }
  auto i = begin(f, s);
  auto found = i.open_setting_records("ctf:", "8231234");
  REQUIRE(found.ok());
  CHECK(*found == std::vector<std::string>{"ctf:A1", "ctf:A2"});
  CHECK(i.open_setting_records("ctf:", "")->empty());
  CHECK(i.open_setting_records("ctf:", "9999999")->empty());
  CHECK(i.open_setting_records("cin:", "8231234").value() == std::vector<std::string>{"cin:A1"});
  // Changes made inside the import are seen: A1's setting is ended here.
  protocol::ChildRecord a1 = at_school("ctf:A1", "8231234");
  a1.details.involvements[0].end = *protocol::Date::parse("2024-06-01");
  f.must(i.upsert(a1));
  CHECK(i.open_setting_records("ctf:", "8231234").value() == std::vector<std::string>{"ctf:A2"});
}

TEST_CASE("import: last_import_of finds the latest import of the same bytes") {
  StoreFixture f;
  store::Store s = f.create();
  for (const char* name : {"first.csv", "other.csv", "again.csv"}) {
    auto i = begin(f, s);
    finish(i, row(name, std::string(name) == "other.csv" ? 2 : 1));
  }
  protocol::ByteArray<32> sha{};
  sha.fill(1);
  auto last = s.last_import_of(sha);
  REQUIRE(last.ok());
  REQUIRE(last->has_value());
  CHECK((*last)->file_name == "again.csv");
  CHECK((*last)->id == 3);
  CHECK((*last)->sha256 == sha);
  sha.fill(9);
  CHECK_FALSE(s.last_import_of(sha)->has_value());
}

TEST_CASE("schema: a version 2 database gains the imports table on open") {
  StoreFixture f;
  {
    store::Store s = f.create();
    f.must(s.upsert(sample_child("c-1"), f.signing));
  }
  {
    RawDb raw(f.file);  // what an issue-3 build wrote
    raw.exec("DROP TABLE checkpoint_forks; DROP TABLE checkpoint_held; DROP TABLE elsewhere; "
             "DROP TABLE imports; PRAGMA user_version = 2;");
  }
  store::Store s = f.open();
  RawDb raw(f.file);
  CHECK(raw.scalar("PRAGMA user_version") == store::kSchemaVersion);
  auto i = begin(f, s);
  f.must(i.upsert(sample_child("c-2")));
  CHECK(finish(i, row("after-migration.csv")).first_seq == 2);
  CHECK(f.verify(s).intact());
}

TEST_CASE("schema: the imports table refuses a hash of the wrong length and half a seq range") {
  StoreFixture f;
  { store::Store s = f.create(); }
  RawDb raw(f.file);
  auto refused = [&](const std::string& sql) {
    char* err = nullptr;
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open(f.file.c_str(), &db) == SQLITE_OK);
    const int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err);
    sqlite3_free(err);
    sqlite3_close(db);
    return rc == SQLITE_CONSTRAINT;
  };
  const std::string cols =
      "INSERT INTO imports (file_name, sha256, format, source, records, changed, quarantined, "
      "left_roll, first_seq, last_seq, imported_ms) VALUES ";
  CHECK(refused(cols + "('a', zeroblob(31), 'csv', 'csv', 0, 0, 0, 0, NULL, NULL, 1)"));
  CHECK(refused(cols + "('a', zeroblob(32), 'csv', 'csv', 0, 0, 0, 0, 1, NULL, 1)"));
  CHECK(refused(cols + "('a', zeroblob(32), 'csv', 'csv', 'x', 0, 0, 0, NULL, NULL, 1)"));
  CHECK_FALSE(refused(cols + "('a', zeroblob(32), 'csv', 'csv', 0, 0, 0, 0, NULL, NULL, 1)"));
}
