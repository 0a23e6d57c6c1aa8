// Config of the index's audit checkpoint policy (docs/config.md, [audit]): absent means the
// defaults (1 000 entries, 60 s); each key is range-checked; an unknown key, a wrong type or the
// table in an authority's config is refused naming the key.
#include <catch2/catch.hpp>

#include "config/config.hpp"
#include "config_fixture.hpp"

using namespace aegis;

namespace {

const std::string kIndex = test::kIndexHead;

const std::string kAuthority = test::kAuthorityHead;

std::string error_with(const std::string& table) {
  return test::config_error(kIndex + "\n[audit]\n" + table);
}

}  // namespace

TEST_CASE("config audit: no [audit] table means one checkpoint per 1 000 entries or 60 s") {
  const config::Config c = test::parse_valid(kIndex);
  CHECK(c.audit.checkpoint_entries == 1000);
  CHECK(c.audit.checkpoint_seconds == 60);
}

TEST_CASE("config audit: both keys set, at their bounds") {
  config::Config c =
      test::parse_valid(kIndex + "\n[audit]\ncheckpoint_entries = 1\ncheckpoint_seconds = 1\n");
  CHECK(c.audit.checkpoint_entries == 1);
  CHECK(c.audit.checkpoint_seconds == 1);
  c = test::parse_valid(kIndex +
                        "\n[audit]\ncheckpoint_entries = 1000000\ncheckpoint_seconds = 86400\n");
  CHECK(c.audit.checkpoint_entries == 1000000);
  CHECK(c.audit.checkpoint_seconds == 86400);
}

TEST_CASE("config audit: out of range, wrong type and unknown keys name the key") {
  CHECK_THAT(error_with("checkpoint_seconds = 0\n"),
             Catch::Contains("audit.checkpoint_seconds"));
  CHECK_THAT(error_with("checkpoint_seconds = 86401\n"),
             Catch::Contains("audit.checkpoint_seconds"));
  CHECK_THAT(error_with("checkpoint_entries = 0\n"),
             Catch::Contains("audit.checkpoint_entries"));
  CHECK_THAT(error_with("checkpoint_entries = 1000001\n"),
             Catch::Contains("audit.checkpoint_entries"));
  CHECK_THAT(error_with("checkpoint_seconds = \"60\"\n"),
             Catch::Contains("audit.checkpoint_seconds"));
  CHECK_THAT(error_with("checkpoint_ms = 60000\n"), Catch::Contains("audit.checkpoint_ms"));
}

TEST_CASE("config audit: an authority has no audit log to checkpoint") {
  const std::string e = test::config_error(kAuthority + "\n[audit]\ncheckpoint_seconds = 5\n");
  CHECK_THAT(e, Catch::Contains("audit"));
  CHECK_THAT(e, Catch::Contains("only for role = \"index\""));
}
