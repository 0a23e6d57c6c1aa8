// Config of practitioner queries (docs/config.md, docs/query.md): [sync] query_listen (index)
// and index_query_endpoint (authority), both optional; [shield_contacts] (index only), one
// route per authority. Each key only for its role; every error names its key.
#include <catch2/catch.hpp>

#include "config/config.hpp"
#include "config_fixture.hpp"

using namespace aegis;

namespace {

const std::string kKeys = test::kKeysTable;

std::string index_config(const std::string& sync_extra, const std::string& tail = "") {
  return R"(role = "index"
subject_id = "national"
data_dir = "data"
)" + kKeys + R"(
[sync]
listen = "tcp://0.0.0.0:7400"
)" + sync_extra + "\n" + tail;
}

std::string authority_config(const std::string& sync_extra, const std::string& tail = "") {
  return R"(role = "authority"
subject_id = "kent"
data_dir = "data"
)" + kKeys + R"(matching_key_file = "keys/matching.key"

[sync]
index_endpoint = "tcp://index.example.org:7400"
index_id = "national"
)" + sync_extra + "\n" + tail;
}

}  // namespace

TEST_CASE("config: the query endpoints and shield contacts of each role", "[config][query]") {
  const config::Config index = test::parse_valid(index_config(
      R"(query_listen = "tcp://0.0.0.0:7401")",
      "[shield_contacts]\nyork = \"York shield team 01904 000000\"\nkent = \"Kent SPOC\"\n"));
  CHECK(index.sync->query_listen == "tcp://0.0.0.0:7401");
  CHECK(index.shield_contacts.size() == 2);
  CHECK(index.shield_contacts.at("york") == "York shield team 01904 000000");
  const config::Config authority = test::parse_valid(
      authority_config(R"(index_query_endpoint = "tcp://index.example.org:7401")"));
  CHECK(authority.sync->index_query_endpoint == "tcp://index.example.org:7401");
}

TEST_CASE("config: without them, no query socket and no routes", "[config][query]") {
  const config::Config index = test::parse_valid(index_config(""));
  CHECK(index.sync->query_listen.empty());
  CHECK(index.shield_contacts.empty());
  CHECK(test::parse_valid(authority_config("")).sync->index_query_endpoint.empty());
}

TEST_CASE("config: a query key of the other role is refused", "[config][query]") {
  CHECK_THAT(test::config_error(authority_config(R"(query_listen = "tcp://0.0.0.0:7401")")),
             Catch::Contains("sync.query_listen") && Catch::Contains("only for role"));
  CHECK_THAT(test::config_error(index_config(R"(index_query_endpoint = "tcp://x:7401")")),
             Catch::Contains("sync.index_query_endpoint") && Catch::Contains("only for role"));
  CHECK_THAT(test::config_error(authority_config("", "[shield_contacts]\nyork = \"x\"\n")),
             Catch::Contains("shield_contacts") && Catch::Contains("only for role"));
}

TEST_CASE("config: a bad query endpoint is refused naming its key", "[config][query]") {
  CHECK_THAT(test::config_error(index_config(R"(query_listen = "0.0.0.0:7401")")),
             Catch::Contains("sync.query_listen") && Catch::Contains("tcp://HOST:PORT"));
  CHECK_THAT(test::config_error(authority_config(R"(index_query_endpoint = "tcp://x:0")")),
             Catch::Contains("sync.index_query_endpoint"));
  CHECK_THAT(test::config_error(authority_config(R"(index_query_endpoint = 7401)")),
             Catch::Contains("sync.index_query_endpoint"));
}

TEST_CASE("config: a bad shield contact is refused naming the authority", "[config][query]") {
  CHECK_THAT(test::config_error(index_config("", "[shield_contacts]\nYork = \"x\"\n")),
             Catch::Contains("shield_contacts.York") && Catch::Contains("authority id"));
  CHECK_THAT(test::config_error(index_config("", "[shield_contacts]\nyork = \"\"\n")),
             Catch::Contains("shield_contacts.york") && Catch::Contains("1..200"));
  CHECK_THAT(test::config_error(index_config(
                 "", "[shield_contacts]\nyork = \"" + std::string(201, 'x') + "\"\n")),
             Catch::Contains("shield_contacts.york"));
  CHECK_THAT(test::config_error(index_config("", "[shield_contacts]\nyork = 5\n")),
             Catch::Contains("shield_contacts.york"));
}
