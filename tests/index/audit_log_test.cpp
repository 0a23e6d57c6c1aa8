// The index's audit log (daemon/index/audit_log.*, docs/audit.md) on a real SQLite file:
// appends, checkpoints by count and by time, inclusion proofs, enrolment and revocation entries
// from trust changes, one transaction with the action, and every kind of tampering `verify`
// must find: an edited, deleted, reordered or added entry, a forged checkpoint, a truncated log,
// and a forked history checked against a checkpoint an authority holds.
#include <catch2/catch.hpp>

#include <cstdint>
#include <string>
#include <vector>

#include "../protocol/audit_fixtures.hpp"
#include "index/audit_log.hpp"
#include "index_fixture.hpp"
#include "sqlite/sqlite.hpp"

using namespace aegis::test::index_fixtures;
using aegis::index::AuditLog;
using aegis::index::AuditPolicy;
using aegis::index::AuditReport;
using aegis::index::IndexErrc;
using aegis::test::audit_fixtures::sample_entries;

namespace {

// An entry that differs from `i` to `i`: a query returning one record.
AuditEntry query(std::uint64_t i) {
  AuditEntry e = sample_entries()[0];
  e.timestamp_ms = kNowMs + i;
  e.records = {{"kent", "child-" + std::to_string(i)}};
  return e;
}

struct AuditFixture : IndexFixture {
  std::uint64_t append(const AuditEntry& e) {
    auto r = store.append_audit(e);
    INFO((r ? std::string() : r.error().message()));
    REQUIRE(r.ok());
    return *r;
  }
  void append_queries(std::uint64_t from, std::uint64_t to) {
    for (std::uint64_t i = from; i < to; ++i) append(query(i));
  }
  std::optional<aegis::index::StoredCheckpoint> checkpoint(std::uint64_t now,
                                                           const AuditPolicy& policy = {}) {
    auto r = store.audit_checkpoint_if_due(now, signing, policy);
    INFO((r ? std::string() : r.error().message()));
    REQUIRE(r.ok());
    return *r;
  }
  AuditReport verify(const std::vector<Bytes>& outside = {}) {
    auto r = store.verify_audit(trust, outside);
    INFO((r ? std::string() : r.error().message()));
    REQUIRE(r.ok());
    return *r;
  }
  // A log of `n` queries with one checkpoint of all of them.
  Bytes log_with_checkpoint(std::uint64_t n) {
    append_queries(0, n);
    auto c = checkpoint(kNowMs + 1000);
    REQUIRE(c.has_value());
    REQUIRE(c->checkpoint.tree_size == n);
    return c->wire;
  }
  void require_problem(const std::string& code, std::uint64_t index,
                       const std::vector<Bytes>& outside = {}) {
    const AuditReport r = verify(outside);
    REQUIRE(r.problem.has_value());
    INFO(r.problem->detail);
    CHECK(r.problem->code == code);
    CHECK(r.problem->index == index);
  }
};

// The tamperer's connection: the append-only triggers dropped first, as someone with the file
// (not aegis) could.
struct Tamperer : RawDb {
  explicit Tamperer(const std::filesystem::path& f) : RawDb(f) {
    exec("DROP TRIGGER audit_entries_append_only; DROP TRIGGER audit_entries_no_delete;"
         "DROP TRIGGER audit_checkpoints_append_only; DROP TRIGGER audit_checkpoints_no_delete;");
  }
  Bytes entry(std::int64_t idx) {
    return blob("SELECT entry FROM audit_entries WHERE idx = " + std::to_string(idx));
  }
  void set_entry(std::int64_t idx, const Bytes& bytes, bool fix_leaf_hash) {
    exec_with_blob("UPDATE audit_entries SET entry = ?1 WHERE idx = " + std::to_string(idx), bytes);
    if (fix_leaf_hash) {
      const MerkleHash h = audit_leaf_hash(bytes);
      exec_with_blob("UPDATE audit_entries SET leaf_hash = ?1 WHERE idx = " + std::to_string(idx),
                     Bytes(h.begin(), h.end()));
    }
  }
};

int raw_exec(const std::filesystem::path& file, const std::string& sql) {
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(file.c_str(), &db) == SQLITE_OK);
  const int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr);
  sqlite3_close(db);
  return rc;
}

}  // namespace

TEST_CASE_METHOD(AuditFixture, "audit: entries, a checkpoint and inclusion proofs") {
  CHECK(verify().entries == 0);
  CHECK_FALSE(checkpoint(kNowMs).has_value());  // nothing to checkpoint
  for (const AuditEntry& e : sample_entries()) append(e);
  const auto c = checkpoint(kNowMs);  // the first entries are checkpointed at once
  REQUIRE(c.has_value());
  CHECK(c->checkpoint.tree_size == 5);
  CHECK(c->checkpoint.signer_serial == kIndexSerial);
  CHECK(c->checkpoint.root_hash == merkle_root(aegis::test::audit_fixtures::sample_leaves()));
  REQUIRE(verify_checkpoint(c->wire, trust, kNowMs).ok());

  const AuditReport r = verify();
  CHECK(r.intact());
  CHECK(r.entries == 5);
  CHECK(r.checkpoints == 1);
  for (std::uint64_t i = 0; i < 5; ++i) {
    auto p = store.audit_proof(i);
    REQUIRE(p.ok());
    CHECK(p->entry == encode_audit_entry(sample_entries()[i]));
    CHECK(verify_inclusion(audit_leaf_hash(p->entry), i, 5, p->proof, c->checkpoint.root_hash));
  }
  // Not covered by a checkpoint yet, or beyond the log: not_found.
  append(query(9));
  auto uncovered = store.audit_proof(5);
  REQUIRE_FALSE(uncovered.ok());
  CHECK(uncovered.error().code == IndexErrc::not_found);
  CHECK(store.audit_proof(99).error().code == IndexErrc::not_found);
}

TEST_CASE_METHOD(AuditFixture, "audit: a checkpoint every N entries or T ms, never without news") {
  const AuditPolicy policy{4, 60'000};
  append(query(0));
  REQUIRE(checkpoint(kNowMs, policy).has_value());                     // the first at once
  append_queries(1, 4);                                                // 3 new entries
  CHECK_FALSE(checkpoint(kNowMs + 59'999, policy).has_value());        // neither 4 nor 60 s
  append(query(4));                                                    // 4 new
  auto by_count = checkpoint(kNowMs + 1, policy);
  REQUIRE(by_count.has_value());
  CHECK(by_count->checkpoint.tree_size == 5);
  append(query(5));
  CHECK_FALSE(checkpoint(kNowMs + 60'000, policy).has_value());        // 59.999 s after
  auto by_time = checkpoint(kNowMs + 60'001, policy);
  REQUIRE(by_time.has_value());
  CHECK(by_time->checkpoint.tree_size == 6);
  CHECK_FALSE(checkpoint(kNowMs + 10 * 60'000, policy).has_value());  // nothing new
  CHECK(verify().checkpoints == 3);
  CHECK(verify().intact());
}

TEST_CASE_METHOD(AuditFixture, "audit: an invalid entry is refused and nothing is stored") {
  AuditEntry no_actor = query(0);
  no_actor.actor.clear();
  AuditEntry no_digest = query(1);
  no_digest.query_digest.reset();
  AuditEntry bad_record = query(2);
  bad_record.records = {{"kent", "child 2"}};
  for (const AuditEntry& e : {no_actor, no_digest, bad_record}) {
    auto r = store.append_audit(e);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == IndexErrc::invalid_argument);
  }
  auto size = store.audit_size();
  REQUIRE(size.ok());
  CHECK(*size == 0);
  CHECK(verify().intact());
}

TEST_CASE_METHOD(AuditFixture, "audit: an entry commits or rolls back with its transaction") {
  {  // the store's API appends in its own transaction; AuditLog itself joins the caller's.
    auto ready = store.audit_size();
    REQUIRE(ready.ok());
  }
  auto db = aegis::sqlite::Db::open(file, {});
  REQUIRE(db.ok());
  {
    auto tx = aegis::sqlite::Transaction::begin(*db, "test");
    REQUIRE(tx.ok());
    auto log = AuditLog::prepare(*db);
    REQUIRE(log.ok());
    REQUIRE(log->append(query(0)).ok());
    REQUIRE(log->size().ok());
    // No commit: the action failed, so its entry must go with it.
  }
  CHECK(*store.audit_size() == 0);
  {
    auto tx = aegis::sqlite::Transaction::begin(*db, "test");
    REQUIRE(tx.ok());
    auto log = AuditLog::prepare(*db);
    REQUIRE(log.ok());
    REQUIRE(log->append(query(0)).ok());
    REQUIRE(tx->commit().ok());
  }
  CHECK(*store.audit_size() == 1);
  CHECK(verify().intact());
}

TEST_CASE_METHOD(AuditFixture, "audit: trust changes become enrolment and revocation entries") {
  // The first load enrols every active certificate: kent, leeds, index, so-0042, york (kent's
  // revoked and expired certificates are not active).
  auto first = store.record_trust(trust, kNowMs);
  REQUIRE(first.ok());
  CHECK(*first == 5);
  CHECK(*store.trust_version() == trust.version());
  auto again = store.record_trust(trust, kNowMs);
  REQUIRE(again.ok());
  CHECK(*again == 0);

  // Bundle 8: kent revoked, a new authority enrolled.
  std::vector<Certificate> certs = verify_certificates();
  certs.push_back(aegis::test::fixtures::make_certificate(kYorkSerial, "york", Role::authority, kYorkSeed));
  certs.push_back(aegis::test::fixtures::make_certificate(11, "hull", Role::authority, 0x21));
  TrustBundle bundle;
  bundle.bundle_version = 8;
  bundle.revoked_serials = revoked_serials();
  bundle.revoked_serials.push_back(kKentSerial);
  std::sort(bundle.revoked_serials.begin(), bundle.revoked_serials.end());
  const Trust next(bundle, certs);
  auto changed = store.record_trust(next, kNowMs + 1);
  REQUIRE(changed.ok());
  CHECK(*changed == 2);
  CHECK(*store.trust_version() == 8);

  REQUIRE(*store.audit_size() == 7);
  std::vector<AuditEntry> entries;
  RawDb raw(file);
  for (std::int64_t i = 5; i < 7; ++i) {
    auto e = decode_audit_entry(raw.blob("SELECT entry FROM audit_entries WHERE idx = " +
                                         std::to_string(i)));
    REQUIRE(e.ok());
    entries.push_back(*e);
  }
  CHECK(entries[0].action == AuditAction::enrolment);
  CHECK(entries[0].authority_id == std::optional<std::string>("hull"));
  CHECK(entries[0].detail == "certificate serial 11, role authority, bundle 8");
  CHECK(entries[1].action == AuditAction::revocation);
  CHECK(entries[1].authority_id == std::optional<std::string>("kent"));
  CHECK(entries[1].detail == "certificate serial 1, role authority: revoked, bundle 8");

  // Remembered across a restart: the same bundle again appends nothing.
  { IndexStore closed = std::move(store); }
  auto reopened_store = IndexStore::open(file);
  REQUIRE(reopened_store.ok());
  auto after_restart = reopened_store->record_trust(next, kNowMs + 2);
  REQUIRE(after_restart.ok());
  CHECK(*after_restart == 0);
}

TEST_CASE_METHOD(AuditFixture, "audit: the tables are append-only for SQL too") {
  log_with_checkpoint(3);
  CHECK(raw_exec(file, "UPDATE audit_entries SET entry = x'00' WHERE idx = 1") != SQLITE_OK);
  CHECK(raw_exec(file, "DELETE FROM audit_entries WHERE idx = 2") != SQLITE_OK);
  CHECK(raw_exec(file, "DELETE FROM audit_checkpoints") != SQLITE_OK);
  CHECK(raw_exec(file, "UPDATE audit_checkpoints SET time_ms = 0") != SQLITE_OK);
  CHECK(verify().intact());
}

TEST_CASE_METHOD(AuditFixture, "audit: verify finds an edited entry") {
  log_with_checkpoint(6);
  Tamperer t(file);
  AuditEntry edited = query(3);
  edited.records = {{"kent", "someone-else"}};
  SECTION("its leaf hash left as it was") {
    t.set_entry(3, encode_audit_entry(edited), false);
    require_problem("leaf_mismatch", 3);
  }
  SECTION("its leaf hash recomputed: the checkpoint's root gives it away") {
    t.set_entry(3, encode_audit_entry(edited), true);
    require_problem("root_mismatch", 6);
  }
  SECTION("bytes that are no entry at all") {
    t.set_entry(3, Bytes{0x93, 0x01, 0x02, 0x03}, true);
    require_problem("invalid_entry", 3);
  }
}

TEST_CASE_METHOD(AuditFixture, "audit: verify finds a deleted entry") {
  log_with_checkpoint(6);
  Tamperer t(file);
  SECTION("in the middle") {
    t.exec("DELETE FROM audit_entries WHERE idx = 2");
    require_problem("missing_entry", 2);
  }
  SECTION("at the end: the checkpoint covers more than the log holds") {
    t.exec("DELETE FROM audit_entries WHERE idx = 5");
    require_problem("truncated", 6);
  }
  SECTION("the entries after the last checkpoint: the frontier remembers them") {
    append(query(6));
    t.exec("DELETE FROM audit_entries WHERE idx = 6");
    require_problem("state_mismatch", 6);
  }
}

TEST_CASE_METHOD(AuditFixture, "audit: verify finds reordered entries") {
  log_with_checkpoint(6);
  Tamperer t(file);
  const Bytes a = t.entry(1);
  const Bytes b = t.entry(4);
  t.set_entry(1, b, true);
  t.set_entry(4, a, true);
  require_problem("root_mismatch", 6);
}

TEST_CASE_METHOD(AuditFixture, "audit: verify finds an entry added behind the store's back") {
  log_with_checkpoint(3);
  Tamperer t(file);
  const Bytes extra = encode_audit_entry(query(3));
  const MerkleHash h = audit_leaf_hash(extra);
  t.exec_with_blob("INSERT INTO audit_entries (idx, entry, leaf_hash) VALUES (3, ?1, x'" +
                       to_hex(h) + "')",
                   extra);
  require_problem("state_mismatch", 4);
}

TEST_CASE_METHOD(AuditFixture, "audit: verify finds a forged or misfiled checkpoint") {
  log_with_checkpoint(3);
  append_queries(3, 5);
  Tamperer t(file);
  SECTION("signed by an authority's key") {
    auto log = store.verify_audit(trust);
    REQUIRE(log.ok());
    const Checkpoint c{5, log->root, kNowMs + 2000, kKentSerial};
    t.exec_with_blob("INSERT INTO audit_checkpoints (tree_size, time_ms, wire) VALUES (5, 0, ?1)",
                     sign_checkpoint(c, aegis::test::SeedSigner(aegis::test::seed(kKentSeed))));
    require_problem("bad_checkpoint", 5);
  }
  SECTION("a genuine checkpoint of 3 entries filed as one of 5") {
    t.exec("UPDATE audit_checkpoints SET tree_size = 5 WHERE tree_size = 3");
    require_problem("bad_checkpoint", 5);
  }
  SECTION("its signature broken") {
    Bytes wire = t.blob("SELECT wire FROM audit_checkpoints WHERE tree_size = 3");
    wire.back() ^= 0x01;
    t.exec_with_blob("UPDATE audit_checkpoints SET wire = ?1 WHERE tree_size = 3", wire);
    require_problem("bad_checkpoint", 3);
  }
}

TEST_CASE("audit: a forked history is found with the checkpoint an authority holds") {
  // The honest log: 4 queries, checkpointed; kent keeps that checkpoint.
  AuditFixture honest;
  const Bytes held = honest.log_with_checkpoint(4);
  CHECK(honest.verify({held}).intact());
  honest.append_queries(4, 9);
  REQUIRE(honest.checkpoint(kNowMs + 70'000).has_value());
  CHECK(honest.verify({held}).intact());  // an extension of what kent saw

  // The index, key in hand, rewrites entry 2 and re-signs everything: on its own, the rewritten
  // log verifies; against kent's checkpoint it is a fork.
  AuditFixture forked;
  forked.append_queries(0, 2);
  AuditEntry rewritten = query(2);
  rewritten.records.clear();
  forked.append(rewritten);
  forked.append_queries(3, 9);
  REQUIRE(forked.checkpoint(kNowMs + 70'000).has_value());
  CHECK(forked.verify().intact());
  const AuditReport r = forked.verify({held});
  REQUIRE(r.problem.has_value());
  CHECK(r.problem->code == "forked");
  CHECK(r.problem->index == 4);

  // A checkpoint beyond the log (entries dropped since kent saw it) is truncation.
  AuditFixture shorter;
  shorter.append_queries(0, 3);
  const AuditReport s = shorter.verify({held});
  REQUIRE(s.problem.has_value());
  CHECK(s.problem->code == "truncated");
  // A checkpoint that is not the index's is refused as such.
  Bytes forged = held;
  forged[forged.size() / 2] ^= 0x01;
  const AuditReport f = honest.verify({forged});
  REQUIRE(f.problem.has_value());
  CHECK(f.problem->code == "bad_checkpoint");
}
