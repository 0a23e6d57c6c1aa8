// The trust bundle version the authority store keeps (meta.trust_version, docs/keys.md
// "Rollback"): none at first, only ever raised, kept across reopening, and usable as the
// min_version that refuses an older bundle.
#include <catch2/catch.hpp>

#include "store_fixture.hpp"

using namespace aegis;
using namespace aegis::test;

namespace {

std::uint64_t stored(store::Store& s) {
  auto v = s.trust_version();
  INFO((v ? "" : v.error().message()));
  REQUIRE(v.ok());
  return *v;
}

void record(store::Store& s, std::uint64_t version) {
  auto ok = s.record_trust_version(version);
  INFO((ok ? "" : ok.error().message()));
  REQUIRE(ok.ok());
}

// A bundle of `version` with no certificates, signed by `root`.
protocol::Bytes bundle(const protocol::Signer& root, std::uint64_t version) {
  protocol::TrustBundle b;
  b.bundle_version = version;
  b.issued_ms = kNow - kDay;
  b.expires_ms = kNow + 30 * kDay;
  return protocol::issue_trust_bundle(b, root);
}

}  // namespace

TEST_CASE("store trust version: a new store has none recorded") {
  StoreFixture f;
  store::Store s = f.create();
  CHECK(stored(s) == 0);
}

TEST_CASE("store trust version: a recorded version is kept across reopening") {
  StoreFixture f;
  {
    store::Store s = f.create();
    record(s, 3);
    CHECK(stored(s) == 3);
  }
  store::Store s = f.open();
  CHECK(stored(s) == 3);
  RawDb raw(f.file);
  CHECK(raw.scalar("SELECT value FROM meta WHERE key = 'trust_version'") == 3);
}

TEST_CASE("store trust version: a lower version never lowers the stored one") {
  StoreFixture f;
  store::Store s = f.create();
  record(s, 5);
  record(s, 2);
  CHECK(stored(s) == 5);
  record(s, 0);
  CHECK(stored(s) == 5);
  store::Store again = f.open();
  CHECK(stored(again) == 5);
}

TEST_CASE("store trust version: the same version again changes nothing, a higher one raises it") {
  StoreFixture f;
  store::Store s = f.create();
  record(s, 4);
  record(s, 4);
  CHECK(stored(s) == 4);
  record(s, 9);
  CHECK(stored(s) == 9);
  RawDb raw(f.file);
  CHECK(raw.scalar("SELECT count(*) FROM meta WHERE key = 'trust_version'") == 1);
}

TEST_CASE("store trust version: as min_version it refuses an older bundle (bundle_rolled_back)") {
  StoreFixture f;
  store::Store s = f.create();
  record(s, 2);
  const std::uint64_t floor = stored(s);
  auto old = protocol::verify_trust_bundle(bundle(f.root, 1), f.root.sign_public_key(), kNow,
                                           floor);
  REQUIRE_FALSE(old.ok());
  CHECK(old.error().code == protocol::Errc::bundle_rolled_back);
  auto same = protocol::verify_trust_bundle(bundle(f.root, 2), f.root.sign_public_key(), kNow,
                                            floor);
  CHECK(same.ok());
}

TEST_CASE("store trust version: a store without a schema is refused before any version is read") {
  StoreFixture f;
  { RawDb raw(f.file); raw.exec("CREATE TABLE unrelated (x INTEGER)"); }
  auto s = store::Store::open(f.file, "kent");
  REQUIRE_FALSE(s.ok());
  CHECK(s.error().code == store::StoreErrc::not_initialised);
}
