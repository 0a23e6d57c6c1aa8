// What the index keeps and what it must never keep: sealed details stay sealed (no canary string
// of a shielded child in any database file), and verify_all catches tampering with stored rows.
#include "index_fixture.hpp"

using namespace aegis::test;
using namespace aegis::test::index_fixtures;

namespace {

// Strings that exist only inside sample_shielded_child's sealed details.
const std::vector<std::string> kShieldedCanaries = {"Secretcanary", "Hiddencanary", "LS1 4ZZ",
                                                    "07700 900999", "SO-0042"};

bool any_canary_in(const std::filesystem::path& file) {
  if (!std::filesystem::exists(file)) return false;
  Bytes bytes = read_file_bytes(file);
  for (const std::string& canary : kShieldedCanaries)
    if (aegis::test::contains_bytes(bytes, canary)) {
      UNSCOPED_INFO(file.filename().string() << " holds " << canary);
      return true;
    }
  return false;
}

}  // namespace

TEST_CASE("index: shielded details are stored as the sealed blob, no canary reaches the files") {
  IndexFixture f;
  Chain kent = Chain::kent();
  const ChildRecord shielded = sample_shielded_child("hidden-1");
  const RecordPayload sent = payload_for(shielded, "kent");
  REQUIRE(sent.shielded());
  f.apply("kent", {kent.upsert(shielded), kent.upsert(child("open-1"))});

  auto rec = f.store.record("kent", "hidden-1");
  REQUIRE(rec.ok());
  REQUIRE(rec->has_value());
  CHECK((*rec)->shielded);
  CHECK((*rec)->details == encode_sealed_blob(std::get<SealedBlob>(sent.details)));
  CHECK((*rec)->identity == shielded.identity);
  auto blob = decode_sealed_blob((*rec)->details);
  REQUIRE(blob.ok());
  CHECK(*blob == std::get<SealedBlob>(sent.details));
  // The clear record's canaries do reach the files (the check can fail), the sealed ones never.
  Bytes db_and_wal = read_file_bytes(f.file);
  Bytes wal = read_file_bytes(f.dir / "index.db-wal");
  db_and_wal.insert(db_and_wal.end(), wal.begin(), wal.end());
  CHECK(aegis::test::contains_bytes(db_and_wal, "Canaryfield"));
  CHECK_FALSE(any_canary_in(f.file));
  CHECK_FALSE(any_canary_in(f.dir / "index.db-wal"));

  f.store = IndexFixture::open_new(f.dir / "other.db", {});  // close: the WAL is checkpointed
  CHECK_FALSE(any_canary_in(f.file));
  CHECK_FALSE(any_canary_in(f.dir / "index.db-wal"));
}

TEST_CASE("index: a tampered envelope is never stored, even its clear bytes") {
  IndexFixture f;
  Chain kent = Chain::kent();
  ChildRecord r = child("leak-1");
  r.details.address->lines[0] = "1 Uniquecanary Street";
  Bytes wire = kent.upsert(r);
  wire.back() ^= 0x01;
  ApplyResult result = f.apply("kent", {wire});
  REQUIRE(result.rejection);
  Bytes db = read_file_bytes(f.file);
  Bytes wal = read_file_bytes(f.dir / "index.db-wal");
  CHECK_FALSE(aegis::test::contains_bytes(db, "Uniquecanary"));
  CHECK_FALSE(aegis::test::contains_bytes(wal, "Uniquecanary"));
  CHECK(result.rejection->detail.find("Uniquecanary") == std::string::npos);
}

TEST_CASE("index: verify_all catches a flipped byte in a stored envelope") {
  IndexFixture f;
  Chain kent = Chain::kent(), leeds = Chain::leeds();
  std::vector<Bytes> batch;
  for (int i = 0; i < 6; ++i) batch.push_back(kent.upsert(child("v-" + std::to_string(i))));
  f.apply("kent", batch);
  f.apply("leeds", {leeds.upsert(child("v-0", "Leeds"))});
  auto clean = f.store.verify_all(f.trust);
  REQUIRE(clean.ok());
  REQUIRE(clean->intact());
  CHECK(clean->authorities[0].envelopes == 6);
  CHECK(clean->authorities[0].records == 6);
  CHECK(clean->authorities[0].feed_items == 2);

  RawDb raw(f.file);
  // Flip one byte in the middle of kent's envelope 4 (the body: bad_signature or a decode error).
  const std::int64_t key = (std::int64_t{1} << 40) | 4;
  raw.flip_wire_byte("envelopes", key, 100);
  auto report = f.store.verify_all(f.trust);
  REQUIRE(report.ok());
  CHECK_FALSE(report->intact());
  REQUIRE(report->authorities.size() == 2);
  const auto& k = report->authorities[0];
  CHECK(k.authority_id == "kent");
  REQUIRE(k.problem);
  CHECK(k.problem->area == "envelope");
  CHECK(k.problem->seq == 4);
  CHECK(k.envelopes == 3);
  CHECK_FALSE(report->authorities[1].problem);  // leeds is intact
}

TEST_CASE("index: verify_all catches rows that disagree with the envelopes") {
  IndexFixture f;
  Chain kent = Chain::kent();
  f.apply("kent", {kent.upsert(child("w-1")), kent.upsert(child("w-2")),
                   kent.upsert(child("w-1", "Moved"))});
  REQUIRE(f.store.merge_states().ok());  // the rows tampered with below are in `records`
  RawDb raw(f.file);
  std::string expected;
  SECTION("a record row pointing at an older envelope") {
    raw.exec("UPDATE records SET last_seq = 1 WHERE record_id = 'w-1'");
    expected = "stale_last_seq";
  }
  SECTION("a record row marked deleted") {
    raw.exec("UPDATE records SET deleted = 1 WHERE record_id = 'w-2'");
    expected = "record_mismatch";
  }
  SECTION("a record row without any envelope") {
    raw.exec("INSERT INTO records VALUES (1, 'w-9', 'ABCDEFGHJKMNPQRS', 1, 0, 0)");
    expected = "record_without_envelope";
  }
  SECTION("a missing envelope") {
    raw.exec("DELETE FROM envelopes WHERE id = " + std::to_string((std::int64_t{1} << 40) | 2));
    expected = "out_of_order";
  }
  SECTION("a rewound chain head") {
    raw.exec("UPDATE authorities SET applied_seq = 2");
    expected = "head_mismatch";
  }
  SECTION("a feed item removed") {
    raw.exec("DELETE FROM feed WHERE id = " + std::to_string((std::int64_t{1} << 40) | 1));
    expected = "out_of_order";
  }
  SECTION("a national id changed") {
    raw.exec("UPDATE records SET national_id = 'ABCDEFGHJKMNPQRS' WHERE record_id = 'w-2'");
    expected = "national_id_mismatch";
  }
  auto report = f.store.verify_all(f.trust);
  REQUIRE(report.ok());
  REQUIRE(report->authorities.size() == 1);
  REQUIRE(report->authorities[0].problem);
  CHECK(report->authorities[0].problem->code == expected);
}

TEST_CASE("index: verify_all reports envelopes signed by a since-revoked certificate") {
  IndexFixture f;
  Chain kent = Chain::kent();
  f.apply("kent", {kent.upsert(child("x-1"))});
  TrustBundle bundle;
  bundle.bundle_version = 8;
  bundle.issued_ms = kNowMs;
  bundle.expires_ms = kNowMs + 30 * kDayMs;
  bundle.revoked_serials = {kKentSerial, kKentRevokedSerial};
  Trust revoked(bundle, make_index_trust().certificates());
  auto report = f.store.verify_all(revoked);
  REQUIRE(report.ok());
  REQUIRE(report->authorities[0].problem);
  CHECK(report->authorities[0].problem->code == "revoked_signer");
  CHECK(report->authorities[0].problem->seq == 1);
}
