// Store integrity: atomicity of a change under injected SQLite failures, verify_chain finding
// tampered rows (naming the seq), schema versions newer than this build refused.
#include <catch2/catch.hpp>

#include "store_fixture.hpp"

using namespace aegis;
using namespace aegis::test;
using store::StoreErrc;

namespace {

// A store with three records and four envelopes: upsert 1, 2, 3, then child-2 deleted (seq 4).
store::Store populated(StoreFixture& f) {
  store::Store s = f.create();
  f.must(s.upsert(sample_child("child-1"), f.signing));
  f.must(s.upsert(sample_shielded_child("child-2"), f.signing));
  f.must(s.upsert(sample_child("child-3"), f.signing));
  f.must(s.remove("child-2", f.signing));
  REQUIRE(f.verify(s).intact());
  return s;
}

void require_problem(StoreFixture& f, store::Store& s, std::uint64_t seq, const std::string& code) {
  store::ChainReport r = f.verify(s);
  REQUIRE(r.problem.has_value());
  INFO(r.problem->code << ": " << r.problem->detail);
  CHECK(r.problem->seq == seq);
  CHECK(r.problem->code == code);
}

}  // namespace

TEST_CASE("atomicity: a failing outbox insert leaves neither record nor envelope") {
  StoreFixture f;
  store::Store s = f.create();
  f.must(s.upsert(sample_child("child-1"), f.signing));
  RawDb raw(f.file);
  raw.exec(
      "CREATE TRIGGER fail_outbox BEFORE INSERT ON outbox BEGIN SELECT RAISE(ABORT, 'injected'); "
      "END;");

  auto r = s.upsert(sample_child("child-2"), f.signing);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == StoreErrc::sqlite);
  CHECK(r.error().detail.find("injected") != std::string::npos);
  CHECK(r.error().detail.find("child-2") != std::string::npos);
  auto d = s.remove("child-1", f.signing);
  REQUIRE_FALSE(d.ok());
  CHECK(d.error().code == StoreErrc::sqlite);

  CHECK(s.get("child-2").error().code == StoreErrc::not_found);
  CHECK(s.get("child-1").ok());
  CHECK(raw.scalar("SELECT count(*) FROM outbox") == 1);
  CHECK(raw.scalar("SELECT count(*) FROM records") == 1);

  raw.exec("DROP TRIGGER fail_outbox");
  auto next = f.must(s.upsert(sample_child("child-2"), f.signing));
  CHECK(next.seq == 2);
  CHECK(f.verify(s).intact());
}

TEST_CASE("atomicity: a failing record write rolls back the envelope already inserted") {
  StoreFixture f;
  store::Store s = f.create();
  f.must(s.upsert(sample_child("child-1"), f.signing));
  RawDb raw(f.file);
  // Fails after the outbox row of the same transaction was written.
  raw.exec(
      "CREATE TRIGGER fail_insert BEFORE INSERT ON records BEGIN SELECT RAISE(ABORT, 'injected'); "
      "END;"
      "CREATE TRIGGER fail_update BEFORE UPDATE ON records BEGIN SELECT RAISE(ABORT, 'injected'); "
      "END;");

  protocol::ChildRecord changed = sample_child("child-1");
  changed.identity.name.given = "Amy";
  CHECK(s.upsert(sample_child("child-2"), f.signing).error().code == StoreErrc::sqlite);
  CHECK(s.upsert(changed, f.signing).error().code == StoreErrc::sqlite);
  CHECK(s.remove("child-1", f.signing).error().code == StoreErrc::sqlite);
  CHECK(raw.scalar("SELECT count(*) FROM outbox") == 1);
  CHECK(s.get("child-1")->record == sample_child("child-1"));
  CHECK(s.get("child-2").error().code == StoreErrc::not_found);

  raw.exec("DROP TRIGGER fail_insert; DROP TRIGGER fail_update;");
  CHECK(f.must(s.upsert(changed, f.signing)).seq == 2);
  CHECK(f.must(s.remove("child-1", f.signing)).seq == 3);
  CHECK(f.verify(s).verified == 3);
  CHECK(f.verify(s).intact());
}

TEST_CASE("atomicity: a change waiting on another writer's lock fails cleanly after busy_timeout") {
  StoreFixture f;
  { store::Store s = f.create(); }
  store::OpenOptions quick;
  quick.busy_timeout_ms = 0;
  auto s = store::Store::open(f.file, "kent", quick);
  REQUIRE(s.ok());
  RawDb raw(f.file);
  raw.exec("BEGIN IMMEDIATE");
  auto r = s->upsert(sample_child("child-1"), f.signing);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == StoreErrc::sqlite);
  raw.exec("ROLLBACK");
  CHECK(f.must(s->upsert(sample_child("child-1"), f.signing)).seq == 1);
}

TEST_CASE("verify_chain: a flipped signature byte is bad_signature at that seq") {
  StoreFixture f;
  store::Store s = populated(f);
  RawDb raw(f.file);
  raw.flip_envelope_byte(3, 0);  // the last byte is inside the signature
  require_problem(f, s, 3, "bad_signature");
  CHECK(f.verify(s).verified == 2);
}

TEST_CASE("verify_chain: a flipped byte inside an envelope body fails at that seq") {
  StoreFixture f;
  store::Store s = populated(f);
  RawDb raw(f.file);
  raw.flip_envelope_byte(2, 200);  // inside the body: bad signature or a decoding error
  store::ChainReport r = f.verify(s);
  REQUIRE(r.problem.has_value());
  CHECK(r.problem->seq == 2);
  CHECK_FALSE(r.problem->code.empty());
}

TEST_CASE("verify_chain: a tampered hash column is hash_mismatch") {
  StoreFixture f;
  store::Store s = populated(f);
  RawDb raw(f.file);
  raw.exec("UPDATE outbox SET hash = zeroblob(32) WHERE seq = 2");
  require_problem(f, s, 2, "hash_mismatch");
}

TEST_CASE("verify_chain: a tampered record_id, op or time column is reported at its seq") {
  StoreFixture f;
  store::Store s = populated(f);
  RawDb raw(f.file);
  SECTION("record_id") {
    raw.exec("UPDATE outbox SET record_id = 'child-9' WHERE seq = 3");
    require_problem(f, s, 3, "record_id_mismatch");
  }
  SECTION("op") {
    raw.exec("UPDATE outbox SET op = 2 WHERE seq = 1");
    require_problem(f, s, 1, "op_mismatch");
  }
  SECTION("created_ms") {
    raw.exec("UPDATE outbox SET created_ms = created_ms + 1 WHERE seq = 4");
    require_problem(f, s, 4, "time_mismatch");
  }
}

TEST_CASE("verify_chain: a deleted outbox row breaks the chain at the next seq") {
  StoreFixture f;
  store::Store s = populated(f);
  RawDb raw(f.file);
  raw.exec("DELETE FROM outbox WHERE seq = 2");
  require_problem(f, s, 3, "out_of_order");
}

TEST_CASE("verify_chain: swapped envelopes break the chain") {
  StoreFixture f;
  store::Store s = populated(f);
  RawDb raw(f.file);
  protocol::Bytes e3 = raw.blob("SELECT envelope FROM outbox WHERE seq = 3");
  raw.exec_with_blob("UPDATE outbox SET envelope = ?1 WHERE seq = 1", e3);
  require_problem(f, s, 1, "out_of_order");
}

TEST_CASE("verify_chain: a record row that does not match its latest envelope is reported") {
  StoreFixture f;
  store::Store s = populated(f);
  RawDb raw(f.file);
  SECTION("last_seq pointing at an older envelope") {
    raw.exec("UPDATE records SET last_seq = 1 WHERE record_id = 'child-3'");
    require_problem(f, s, 1, "stale_last_seq");
  }
  SECTION("body replaced") {
    protocol::Bytes other = raw.blob("SELECT body FROM records WHERE record_id = 'child-1'");
    raw.exec_with_blob("UPDATE records SET body = ?1 WHERE record_id = 'child-3'", other);
    require_problem(f, s, 3, "record_mismatch");
  }
  SECTION("tombstone revived") {
    protocol::Bytes other = raw.blob("SELECT body FROM records WHERE record_id = 'child-1'");
    raw.exec_with_blob("UPDATE records SET body = ?1, deleted = 0 WHERE record_id = 'child-2'",
                       other);
    require_problem(f, s, 4, "record_mismatch");
  }
  SECTION("shielded flag set on a clear record") {
    raw.exec("UPDATE records SET shielded = 1 WHERE record_id = 'child-1'");
    require_problem(f, s, 1, "record_mismatch");
  }
  SECTION("record row removed") {
    raw.exec("DELETE FROM records WHERE record_id = 'child-3'");
    require_problem(f, s, 3, "missing_record");
  }
  SECTION("record row without any envelope") {
    raw.exec(
        "INSERT INTO records SELECT 'child-x', body, shielded, deleted, last_seq, updated_ms "
        "FROM records WHERE record_id = 'child-1'");
    require_problem(f, s, 1, "record_without_envelope");
  }
}

TEST_CASE("verify_chain: a trust without the signer gives unknown_signer at seq 1") {
  StoreFixture f;
  store::Store s = populated(f);
  protocol::Trust other = make_trust(
      f.root, {make_certificate(kOfficerSerial, "officer-1", protocol::Role::shield_officer,
                                f.officer.sign_public_key(), f.officer_box.box_public_key())});
  auto r = s.verify_chain(other, kNow);
  REQUIRE(r.ok());
  REQUIRE(r->problem.has_value());
  CHECK(r->problem->seq == 1);
  CHECK(r->problem->code == "unknown_signer");
  CHECK(r->verified == 0);
}

TEST_CASE("verify_chain: a revoked signer gives revoked_signer") {
  StoreFixture f;
  store::Store s = populated(f);
  protocol::Trust revoked = make_trust(
      f.root,
      {make_certificate(kAuthoritySerial, "kent", protocol::Role::authority,
                        f.authority.sign_public_key(), f.authority_box.box_public_key())},
      {kAuthoritySerial});
  auto r = s.verify_chain(revoked, kNow);
  REQUIRE(r->problem.has_value());
  CHECK(r->problem->code == "revoked_signer");
}

TEST_CASE("schema: a database with a newer user_version is refused") {
  StoreFixture f;
  { store::Store s = f.create(); }
  {
    RawDb raw(f.file);
    raw.exec("PRAGMA user_version = " + std::to_string(store::kSchemaVersion + 1));
  }
  auto s = store::Store::open(f.file, "kent");
  REQUIRE_FALSE(s.ok());
  CHECK(s.error().code == StoreErrc::schema_too_new);
  CHECK(s.error().detail.find("schema version " + std::to_string(store::kSchemaVersion + 1)) !=
        std::string::npos);
  CHECK(s.error().detail.find("upgrade aegis") != std::string::npos);
  // Refusing did not touch the version.
  RawDb raw(f.file);
  CHECK(raw.scalar("PRAGMA user_version") == store::kSchemaVersion + 1);
}
