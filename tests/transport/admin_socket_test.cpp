// Admin socket tests: owner-only file and directory modes, a request/reply round trip, and the
// CLI-side errors when no daemon answers.
#include <sys/stat.h>

#include <thread>

#include <catch2/catch.hpp>

#include "test_support.hpp"
#include "transport/admin_socket.hpp"
#include "transport/limits.hpp"

using namespace aegis;

namespace {

mode_t mode_of(const std::filesystem::path& p) {
  struct stat st {};
  REQUIRE(::stat(p.c_str(), &st) == 0);
  return st.st_mode;
}

}  // namespace

TEST_CASE("admin socket: the socket file is 0600 in a 0700 directory, removed on close") {
  test::TempDir dir("aegis-admin");
  const auto path = dir / "run" / "aegisd.sock";  // "run" does not exist yet
  zmq::context_t context(1);
  {
    transport::AdminServer server(context, path);
    CHECK(S_ISSOCK(mode_of(path)));
    CHECK((mode_of(path) & 07777) == 0600);
    CHECK((mode_of(path.parent_path()) & 07777) == 0700);
  }
  CHECK_FALSE(std::filesystem::exists(path));
}

TEST_CASE("admin socket: a request gets the server's reply") {
  test::TempDir dir("aegis-admin");
  const auto path = dir / "aegisd.sock";
  zmq::context_t context(1);
  transport::AdminServer server(context, path);
  std::string answer;
  std::thread client(
      [&] { answer = transport::admin_request(path, R"({"cmd":"status"})", 10000); });
  std::optional<transport::AdminRequest> req;
  for (int i = 0; i < 200 && !req; ++i) {
    zmq::pollitem_t item{server.socket().handle(), 0, ZMQ_POLLIN, 0};
    zmq::poll(&item, 1, std::chrono::milliseconds(50));
    req = server.receive();
  }
  REQUIRE(req);
  CHECK(req->text == R"({"cmd":"status"})");
  server.reply(*req, R"({"ok":true})");
  client.join();
  CHECK(answer == R"({"ok":true})");
}

TEST_CASE("admin socket: a directory others can enter is refused") {
  test::TempDir dir("aegis-admin");
  std::filesystem::create_directory(dir / "open");
  ::chmod((dir / "open").c_str(), 0755);
  zmq::context_t context(1);
  try {
    transport::AdminServer server(context, dir / "open" / "aegisd.sock");
    FAIL("bound in a 0755 directory");
  } catch (const transport::TransportError& e) {
    CHECK_THAT(e.what(), Catch::Contains("0755") && Catch::Contains("0700"));
  }
  CHECK_FALSE(std::filesystem::exists(dir / "open" / "aegisd.sock"));
}

TEST_CASE("admin socket: a path too long for a Unix socket is refused") {
  test::TempDir dir("aegis-admin");
  zmq::context_t context(1);
  CHECK_THROWS_AS(transport::AdminServer(context, dir / std::string(120, 'a')),
                  transport::TransportError);
}

TEST_CASE("admin socket: the client reports a missing daemon and a silent one") {
  test::TempDir dir("aegis-admin");
  try {
    (void)transport::admin_request(dir / "none.sock", "{}", 1000);
    FAIL("no error without a socket");
  } catch (const transport::TransportError& e) {
    CHECK_THAT(e.what(), Catch::Contains("is aegisd running?"));
  }
  zmq::context_t context(1);
  transport::AdminServer server(context, dir / "silent.sock");  // never answers
  try {
    (void)transport::admin_request(dir / "silent.sock", "{}", 200);
    FAIL("no error without an answer");
  } catch (const transport::TransportError& e) {
    CHECK_THAT(e.what(), Catch::Contains("no answer"));
  }
}
