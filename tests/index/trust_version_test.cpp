// The trust bundle version the index store keeps (meta.trust_version, docs/keys.md
// "Rollback"): none at first, only ever raised, kept across reopening.
#include "index_fixture.hpp"

using namespace aegis::test;
using namespace aegis::test::index_fixtures;

namespace {

std::uint64_t stored(IndexStore& s) {
  auto v = s.trust_version();
  INFO((v ? std::string() : v.error().message()));
  REQUIRE(v.ok());
  return *v;
}

void record(IndexStore& s, std::uint64_t version) {
  auto ok = s.record_trust_version(version);
  INFO((ok ? std::string() : ok.error().message()));
  REQUIRE(ok.ok());
}

IndexStore reopen(const std::filesystem::path& file) {
  auto s = IndexStore::open(file);
  INFO((s ? std::string() : s.error().message()));
  REQUIRE(s.ok());
  return std::move(s).value();
}

}  // namespace

TEST_CASE("index trust version: a new index store has none recorded") {
  IndexFixture f;
  CHECK(stored(f.store) == 0);
}

TEST_CASE("index trust version: the bundle version in use is kept across reopening") {
  IndexFixture f;
  record(f.store, f.trust.version());
  CHECK(stored(f.store) == 7);
  IndexStore again = reopen(f.file);
  CHECK(stored(again) == 7);
}

TEST_CASE("index trust version: a lower version never lowers the stored one") {
  IndexFixture f;
  record(f.store, 7);
  record(f.store, 6);
  record(f.store, 0);
  CHECK(stored(f.store) == 7);
  IndexStore again = reopen(f.file);
  CHECK(stored(again) == 7);
}

TEST_CASE("index trust version: a higher version raises it, one row only") {
  IndexFixture f;
  record(f.store, 7);
  record(f.store, 8);
  CHECK(stored(f.store) == 8);
  RawDb raw(f.file);
  CHECK(raw.scalar("SELECT count(*) FROM meta WHERE key = 'trust_version'") == 1);
  CHECK(raw.scalar("SELECT value FROM meta WHERE key = 'trust_version'") == 8);
}
