// keys/: public files — the public identity JSON, the root public key line, plain public files
// (atomic replace, mode 0644) and bounded reads.
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "aegis/keys/keys.hpp"
#include "keys_test_util.hpp"
#include "test_support.hpp"

using namespace aegis;
using namespace aegis::keys;
using aegis::test::error_code;
using aegis::test::file_mode;
using aegis::test::read_raw;
using aegis::test::seed;
using aegis::test::TempDir;
using aegis::test::write_text;

namespace {

PublicIdentity officer() {
  auto id = Identity::from_seed("so-1", Role::shield_officer, seed(4));
  REQUIRE(id.ok());
  return id->public_identity();
}

nlohmann::json good_json() {
  auto p = officer();
  return nlohmann::json{{"subject_id", p.subject_id},
                        {"role", "shield_officer"},
                        {"sign_key", protocol::to_hex(p.sign_key)},
                        {"box_key", protocol::to_hex(p.box_key)},
                        {"curve_key", protocol::to_hex(p.curve_key)}};
}

// Writes `j` and loads it back; returns the error detail (fails if it loaded).
std::string load_error(const TempDir& dir, const std::string& text) {
  write_text(dir / "p.pub.json", text);
  auto r = load_public_identity(dir / "p.pub.json");
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == KeyErrc::corrupt);
  CHECK(r.error().detail.find("p.pub.json") != std::string::npos);
  return r.error().detail;
}

bool mentions(const std::string& detail, const std::string& what) {
  return detail.find(what) != std::string::npos;
}

}  // namespace

TEST_CASE("public identity: saved JSON round-trips with mode 0644") {
  TempDir dir;
  const auto p = officer();
  REQUIRE(save_public_identity(p, dir / "so.pub.json").ok());
  CHECK(file_mode(dir / "so.pub.json") == 0644);
  auto back = load_public_identity(dir / "so.pub.json");
  REQUIRE(back.ok());
  CHECK(back->subject_id == p.subject_id);
  CHECK(back->role == p.role);
  CHECK(back->sign_key == p.sign_key);
  CHECK(back->box_key == p.box_key);
  CHECK(back->curve_key == p.curve_key);
}

TEST_CASE("public identity: the file is the documented JSON, fields in order") {
  TempDir dir;
  const auto p = officer();
  REQUIRE(save_public_identity(p, dir / "so.pub.json").ok());
  const Bytes raw = read_raw(dir / "so.pub.json");
  const std::string text(raw.begin(), raw.end());
  const std::string expected = "{\n  \"subject_id\": \"so-1\",\n  \"role\": \"shield_officer\",\n"
                               "  \"sign_key\": \"" + protocol::to_hex(p.sign_key) + "\",\n"
                               "  \"box_key\": \"" + protocol::to_hex(p.box_key) + "\",\n"
                               "  \"curve_key\": \"" + protocol::to_hex(p.curve_key) + "\"\n}\n";
  CHECK(text == expected);
}

TEST_CASE("public identity: any field order and upper-case hex are accepted") {
  TempDir dir;
  auto j = good_json();
  std::string upper = j["box_key"];
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  j["box_key"] = upper;
  write_text(dir / "p.pub.json", j.dump());
  auto r = load_public_identity(dir / "p.pub.json");
  REQUIRE(r.ok());
  CHECK(r->box_key == officer().box_key);
}

TEST_CASE("public identity: each missing field is named") {
  TempDir dir;
  for (const char* field : {"subject_id", "role", "sign_key", "box_key", "curve_key"}) {
    INFO(field);
    auto j = good_json();
    j.erase(field);
    auto detail = load_error(dir, j.dump());
    CHECK(mentions(detail, std::string("missing field \"") + field + "\""));
  }
}

TEST_CASE("public identity: bad hex, wrong lengths and wrong types are named") {
  TempDir dir;
  for (const char* field : {"sign_key", "box_key", "curve_key"}) {
    INFO(field);
    auto j = good_json();
    std::string hex = j[field];
    j[field] = hex.substr(0, 62);
    CHECK(mentions(load_error(dir, j.dump()), std::string(field) + "\": expected 32 bytes"));
    j[field] = hex + "00";
    CHECK(mentions(load_error(dir, j.dump()), "found 33 bytes"));
    j[field] = "zz" + hex.substr(2);
    CHECK(mentions(load_error(dir, j.dump()), std::string(field) + "\": not hex"));
    j[field] = hex.substr(1);
    CHECK(mentions(load_error(dir, j.dump()), "not hex"));
    j[field] = 42;
    CHECK(mentions(load_error(dir, j.dump()), "expected a string"));
  }
}

TEST_CASE("public identity: unknown roles, invalid ids and unknown fields are refused") {
  TempDir dir;
  auto j = good_json();
  for (const char* role : {"root", "Authority", "shield-officer", ""}) {
    INFO(role);
    j["role"] = role;
    CHECK(mentions(load_error(dir, j.dump()), "unknown role"));
  }
  j = good_json();
  for (const char* id : {"Kent", "", "-kent", "kent county"}) {
    INFO(id);
    j["subject_id"] = id;
    CHECK(mentions(load_error(dir, j.dump()), "subject_id"));
  }
  j = good_json();
  j["secret_key"] = "00";
  CHECK(mentions(load_error(dir, j.dump()), "unknown field \"secret_key\""));
}

TEST_CASE("public identity: not JSON, not an object, too large are refused") {
  TempDir dir;
  CHECK(mentions(load_error(dir, "{\"subject_id\": "), "not valid JSON"));
  CHECK(mentions(load_error(dir, ""), "not valid JSON"));
  CHECK(mentions(load_error(dir, "[1,2,3]"), "expected a JSON object"));
  write_text(dir / "big.json", std::string(20000, ' ') + good_json().dump());
  CHECK(error_code(load_public_identity(dir / "big.json")) == KeyErrc::io);
  CHECK(error_code(load_public_identity(dir / "absent.json")) == KeyErrc::io);
}

TEST_CASE("root public key: one hex line round-trips; anything else is refused") {
  TempDir dir;
  auto root = RootKey::from_seed(seed(9));
  REQUIRE(save_root_public_key(root->sign_public_key(), dir / "root.pub").ok());
  CHECK(file_mode(dir / "root.pub") == 0644);
  const Bytes raw = read_raw(dir / "root.pub");
  CHECK(std::string(raw.begin(), raw.end()) == protocol::to_hex(root->sign_public_key()) + "\n");
  auto back = load_root_public_key(dir / "root.pub");
  REQUIRE(back.ok());
  CHECK(*back == root->sign_public_key());

  const std::string hex = protocol::to_hex(root->sign_public_key());
  write_text(dir / "nolf.pub", hex);
  CHECK(load_root_public_key(dir / "nolf.pub").ok());
  for (const std::string& bad : {hex.substr(2) + "\n", hex + "00\n", hex + "\n\n", " " + hex,
                                 "zz" + hex.substr(2), std::string("")}) {
    INFO(bad);
    write_text(dir / "bad.pub", bad);
    CHECK(error_code(load_root_public_key(dir / "bad.pub")) == KeyErrc::corrupt);
  }
}

TEST_CASE("public files: written atomically with mode 0644, replacing the old content") {
  TempDir dir;
  const mode_t old = ::umask(077);
  auto first = write_public_file(dir / "trust.bundle", Bytes{1, 2, 3});
  auto second = write_public_file(dir / "trust.bundle", Bytes{4, 5});
  ::umask(old);
  REQUIRE(first.ok());
  REQUIRE(second.ok());
  CHECK(file_mode(dir / "trust.bundle") == 0644);
  CHECK(read_raw(dir / "trust.bundle") == Bytes{4, 5});
  std::size_t entries = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir.path())) {
    (void)e;
    ++entries;
  }
  CHECK(entries == 1);
}

TEST_CASE("public files: writing into a missing directory or onto a directory is io") {
  TempDir dir;
  CHECK(error_code(write_public_file(dir / "no" / "x.cert", Bytes{1})) == KeyErrc::io);
  std::filesystem::create_directory(dir / "adir");
  CHECK(error_code(write_public_file(dir / "adir", Bytes{1})) == KeyErrc::io);
}

TEST_CASE("read_file: bounded, regular files only, no symlinks") {
  TempDir dir;
  REQUIRE(write_public_file(dir / "f", Bytes(100, 7)).ok());
  CHECK(read_file(dir / "f", 100).value() == Bytes(100, 7));
  auto r = read_file(dir / "f", 99);
  CHECK(error_code(r) == KeyErrc::io);
  CHECK(mentions(r.error().detail, "larger than 99 bytes"));
  REQUIRE(write_public_file(dir / "empty", Bytes{}).ok());
  CHECK(read_file(dir / "empty", 10).value().empty());
  std::filesystem::create_symlink(dir / "f", dir / "link");
  CHECK(error_code(read_file(dir / "link", 1000)) == KeyErrc::io);
  CHECK(error_code(read_file(dir.path(), 1000)) == KeyErrc::io);
  REQUIRE(::mkfifo((dir / "fifo").c_str(), 0600) == 0);
  CHECK(error_code(read_file(dir / "fifo", 1000)) == KeyErrc::io);  // does not block
  // Larger than one read chunk.
  REQUIRE(write_public_file(dir / "big", Bytes(200000, 9)).ok());
  CHECK(read_file(dir / "big", 200000).value().size() == 200000);
  CHECK(error_code(read_file(dir / "big", 150000)) == KeyErrc::io);
}
