// Config [[inbox]] tables (docs/config.md, "[[inbox]]"): directories the authority daemon imports
// from. Paths resolve against the config's directory; every error names inbox[i].<key>.
#include <catch2/catch.hpp>

#include "config/config.hpp"
#include "config_fixture.hpp"

using namespace aegis;

namespace {

const std::string kHead = test::kAuthorityHead;

config::Config parse(const std::string& text) { return test::parse_valid(text); }
std::string error_of(const std::string& text) { return test::config_error(text); }

bool has(const std::string& haystack, const std::string& needle) {
  INFO(haystack);
  return haystack.find(needle) != std::string::npos;
}

}  // namespace

TEST_CASE("config inbox: tables parse in order, with defaults and resolved paths") {
  const config::Config c = parse(kHead + R"(
[[inbox]]
dir = "inbox/sims"
format = "ctf"

[[inbox]]
dir = "/srv/aegis/febrl"
format = "csv"
mapping = "febrl"
stable_ms = 0

[[inbox]]
dir = "inbox/csv"
format = "csv"
stable_ms = 5000
)");
  REQUIRE(c.inbox.size() == 3);
  CHECK(c.inbox[0].dir == "/etc/aegis/inbox/sims");
  CHECK(c.inbox[0].format == "ctf");
  CHECK(c.inbox[0].mapping.empty());
  CHECK(c.inbox[0].stable_ms == 2000);
  CHECK(c.inbox[1].dir == "/srv/aegis/febrl");
  CHECK(c.inbox[1].mapping == "febrl");
  CHECK(c.inbox[1].stable_ms == 0);
  CHECK(c.inbox[2].mapping == "aegis");  // CSV's default mapping
  CHECK(c.inbox[2].stable_ms == 5000);
}

TEST_CASE("config inbox: no [[inbox]] table means no inbox") {
  CHECK(parse(kHead).inbox.empty());
}

TEST_CASE("config inbox: a missing dir or format is refused, naming the table") {
  CHECK(has(error_of(kHead + "[[inbox]]\nformat = \"ctf\"\n"), "inbox[0].dir: missing"));
  CHECK(has(error_of(kHead + "[[inbox]]\ndir = \"a\"\nformat = \"ctf\"\n[[inbox]]\ndir = \"b\"\n"),
            "inbox[1].format: missing"));
  CHECK(has(error_of(kHead + "[[inbox]]\ndir = \"\"\nformat = \"ctf\"\n"),
            "inbox[0].dir: must not be empty"));
}

TEST_CASE("config inbox: an unknown format or mapping is refused with the names allowed") {
  std::string e = error_of(kHead + "[[inbox]]\ndir = \"a\"\nformat = \"xml\"\n");
  CHECK(has(e, ":13:10: inbox[0].format: 'xml' is not one of: ctf, cin, csv"));
  e = error_of(kHead + "[[inbox]]\ndir = \"a\"\nformat = \"csv\"\nmapping = \"Febrl\"\n");
  CHECK(has(e, "inbox[0].mapping: 'Febrl' is not one of: aegis, febrl"));
}

TEST_CASE("config inbox: a mapping for a format other than csv is refused") {
  CHECK(has(error_of(kHead + "[[inbox]]\ndir = \"a\"\nformat = \"ctf\"\nmapping = \"febrl\"\n"),
            "inbox[0].mapping: only for format = \"csv\""));
}

TEST_CASE("config inbox: unknown keys, wrong types and out-of-range stable_ms are refused") {
  CHECK(has(error_of(kHead + "[[inbox]]\ndir = \"a\"\nformat = \"ctf\"\ndirectory = \"b\"\n"),
            "inbox[0].directory: unknown key"));
  CHECK(has(error_of(kHead + "[[inbox]]\ndir = 7\nformat = \"ctf\"\n"),
            "inbox[0].dir: expected a string, found an integer"));
  CHECK(has(error_of(kHead + "[[inbox]]\ndir = \"a\"\nformat = \"ctf\"\nstable_ms = -1\n"),
            "inbox[0].stable_ms: -1 is out of range 0..3600000"));
  CHECK(has(error_of(kHead + "[[inbox]]\ndir = \"a\"\nformat = \"ctf\"\nstable_ms = \"2s\"\n"),
            "inbox[0].stable_ms: expected an integer, found a string"));
}

TEST_CASE("config inbox: a plain [inbox] table or an array of strings is refused") {
  CHECK(has(error_of(kHead + "[inbox]\ndir = \"a\"\nformat = \"ctf\"\n"),
            "inbox: expected an array of tables ([[inbox]])"));
  CHECK(has(error_of("inbox = [\"a\"]\n" + kHead), "inbox: expected an array of tables"));
}

TEST_CASE("config inbox: the same directory twice, or the data directory, is refused") {
  CHECK(has(error_of(kHead + "[[inbox]]\ndir = \"in\"\nformat = \"ctf\"\n"
                             "[[inbox]]\ndir = \"./in/\"\nformat = \"csv\"\n"),
            "inbox[1].dir: the same directory as inbox[0].dir"));
  CHECK(has(error_of(kHead + "[[inbox]]\ndir = \"data\"\nformat = \"ctf\"\n"),
            "inbox[0].dir: must not be data_dir"));
}

TEST_CASE("config inbox: an index node may not have an inbox") {
  std::string index = kHead;
  index.replace(index.find("\"authority\""), 11, "\"index\"");
  index.erase(index.find("matching_key_file"));  // the last line: an index has no matching key
  CHECK(has(error_of(index + "[[inbox]]\ndir = \"a\"\nformat = \"ctf\"\n"),
            "inbox: only for role = \"authority\""));
}
