// The national matching key (docs/keys.md "The matching key"): generation, tokens that agree
// with the protocol vectors, the key file (0600, refused when others can read it, the key id in
// its header), wrapping, and every way a file can be wrong.
#include <sys/stat.h>

#include <sodium.h>

#include <string>

#include <catch2/catch.hpp>

#include "aegis/keys/keys.hpp"
#include "aegis/protocol/match.hpp"
#include "keys_test_util.hpp"
#include "test_support.hpp"

using namespace aegis;
using namespace aegis::keys;
using aegis::test::error_code;
using aegis::test::file_mode;
using aegis::test::load_json;
using aegis::test::read_raw;
using aegis::test::seed;
using aegis::test::SeedTokenizer;
using aegis::test::TempDir;
using aegis::test::write_raw;
using protocol::IdentifierKind;

namespace {

const protocol::Bytes kInput = protocol::match_input(IdentifierKind::upn, "Y820400105001");

MatchingKey key_from_seed(std::uint64_t id, std::uint8_t b) {
  auto k = MatchingKey::from_seed(id, seed(b));
  REQUIRE(k.ok());
  return std::move(k).value();
}

// A plain matching key file written by hand, as docs/keys.md lays it out: header (kind 3, role
// 0, no subject id, the key id), the key, and the BLAKE2b-256 checksum of everything before it.
protocol::Bytes plain_file(std::uint64_t key_id, const protocol::ByteArray<32>& key,
                           std::uint8_t role = 0) {
  protocol::Bytes f = *protocol::from_hex("41454749534b4559" "01" "03");
  f.push_back(role);
  f.push_back(0x00);  // protection none
  f.push_back(0x00);  // id_len 0
  for (int i = 7; i >= 0; --i) f.push_back(static_cast<std::uint8_t>(key_id >> (8 * i)));
  f.insert(f.end(), key.begin(), key.end());
  protocol::ByteArray<32> sum{};
  crypto_generichash(sum.data(), sum.size(), f.data(), f.size(), nullptr, 0);
  f.insert(f.end(), sum.begin(), sum.end());
  return f;
}

}  // namespace

TEST_CASE("matching key: key id 0 is refused; fresh keys differ") {
  CHECK(error_code(MatchingKey::generate(0)) == KeyErrc::invalid_argument);
  CHECK(error_code(MatchingKey::from_seed(0, seed(1))) == KeyErrc::invalid_argument);
  auto a = MatchingKey::generate(1);
  auto b = MatchingKey::generate(1);
  REQUIRE(a.ok());
  REQUIRE(b.ok());
  CHECK(a->key_id() == 1);
  CHECK(a->token(kInput) != b->token(kInput));
  CHECK(a->fingerprint() != b->fingerprint());
}

TEST_CASE("matching key: from_seed is deterministic and seed-specific") {
  const MatchingKey a = key_from_seed(4, 7), same = key_from_seed(4, 7), other = key_from_seed(4, 8);
  CHECK(a.key_id() == 4);
  CHECK(a.token(kInput) == same.token(kInput));
  CHECK(a.fingerprint() == same.fingerprint());
  CHECK(a.token(kInput) != other.token(kInput));
  CHECK(a.fingerprint().size() == 32);
  // The fingerprint is not the token of any identifier: its input has no "AEGIS-MATCH-V1".
  CHECK(a.fingerprint() != protocol::to_hex(a.token(kInput)));
}

TEST_CASE("matching key: a key file written by hand gives exactly the vector tokens") {
  const auto file = load_json(std::string(AEGIS_VECTORS_DIR) + "/valid_match.json");
  const auto key = protocol::array_from_hex<32>(file.at("matching_key").at("key_hex").get<std::string>());
  REQUIRE(key.has_value());
  TempDir dir;
  write_raw(dir / "matching.key", plain_file(1, *key));
  auto loaded = load_matching_key(dir / "matching.key");
  INFO((loaded ? "" : loaded.error().message()));
  REQUIRE(loaded.ok());
  CHECK(loaded->key_id() == file.at("matching_key").at("key_id").get<std::uint64_t>());
  const SeedTokenizer independent(*key);
  for (const auto& c : file.at("cases")) {
    INFO(c.at("name").get<std::string>());
    const auto input = protocol::from_hex(c.at("input_hex").get<std::string>()).value();
    CHECK(protocol::to_hex(loaded->token(input)) == c.at("token_hex").get<std::string>());
    CHECK(loaded->token(input) == independent.token(input));
  }
}

TEST_CASE("matching key: saved with mode 0600 and loaded back with its id and tokens") {
  TempDir dir;
  const MatchingKey k = key_from_seed(9, 3);
  REQUIRE(save_matching_key(k, dir / "m.key").ok());
  CHECK(file_mode(dir / "m.key") == 0600);
  CHECK(read_raw(dir / "m.key").size() == 85);
  auto back = load_matching_key(dir / "m.key");
  REQUIRE(back.ok());
  CHECK(back->key_id() == 9);
  CHECK(back->token(kInput) == k.token(kInput));
  CHECK(back->fingerprint() == k.fingerprint());
  // The key id is the header's, big-endian after the fixed 13 bytes.
  CHECK(protocol::to_hex(protocol::ByteView(read_raw(dir / "m.key")).subspan(13, 8)) ==
        "0000000000000009");
}

TEST_CASE("matching key: a passphrase-wrapped file round-trips; wrong or none refused") {
  TempDir dir;
  const MatchingKey k = key_from_seed(2, 3);
  REQUIRE(save_matching_key(k, dir / "m.key", "pass phrase", PwhashCost::interactive).ok());
  CHECK(read_raw(dir / "m.key").size() == 125);
  CHECK(error_code(load_matching_key(dir / "m.key")) == KeyErrc::needs_passphrase);
  CHECK(error_code(load_matching_key(dir / "m.key", "wrong")) == KeyErrc::wrong_passphrase);
  auto back = load_matching_key(dir / "m.key", "pass phrase");
  REQUIRE(back.ok());
  CHECK(back->key_id() == 2);
  CHECK(back->token(kInput) == k.token(kInput));
  // The key id is authenticated: changed in the header, the file no longer opens.
  protocol::Bytes raw = read_raw(dir / "m.key");
  raw[20] ^= 0x01;
  write_raw(dir / "relabelled.key", raw);
  CHECK(error_code(load_matching_key(dir / "relabelled.key", "pass phrase")) ==
        KeyErrc::wrong_passphrase);
}

TEST_CASE("matching key: group- or world-accessible files are bad_permissions") {
  TempDir dir;
  REQUIRE(save_matching_key(key_from_seed(1, 3), dir / "m.key").ok());
  for (mode_t mode : {0640, 0604, 0660, 0644, 0700 | 0004}) {
    INFO(mode);
    REQUIRE(::chmod((dir / "m.key").c_str(), mode) == 0);
    auto r = load_matching_key(dir / "m.key");
    CHECK(error_code(r) == KeyErrc::bad_permissions);
    CHECK(r.error().detail.find("chmod 600") != std::string::npos);
  }
}

TEST_CASE("matching key: an existing file is never overwritten") {
  TempDir dir;
  REQUIRE(save_matching_key(key_from_seed(1, 3), dir / "m.key").ok());
  const protocol::Bytes before = read_raw(dir / "m.key");
  CHECK(error_code(save_matching_key(key_from_seed(2, 4), dir / "m.key")) == KeyErrc::exists);
  CHECK(read_raw(dir / "m.key") == before);
}

TEST_CASE("matching key: another kind of key file is wrong_kind, both ways") {
  TempDir dir;
  auto id = Identity::from_seed("kent", protocol::Role::authority, seed(1));
  auto root = RootKey::from_seed(seed(2));
  REQUIRE(save_identity(*id, dir / "kent.key").ok());
  REQUIRE(save_root_key(*root, dir / "root.key").ok());
  REQUIRE(save_matching_key(key_from_seed(1, 3), dir / "m.key").ok());
  CHECK(error_code(load_matching_key(dir / "kent.key")) == KeyErrc::wrong_kind);
  CHECK(error_code(load_matching_key(dir / "root.key")) == KeyErrc::wrong_kind);
  CHECK(error_code(load_identity(dir / "m.key")) == KeyErrc::wrong_kind);
  CHECK(error_code(load_root_key(dir / "m.key")) == KeyErrc::wrong_kind);
}

TEST_CASE("matching key: a damaged or inconsistent file is corrupt") {
  TempDir dir;
  const protocol::ByteArray<32> key = seed(0x50);
  struct Case {
    const char* name;
    protocol::Bytes bytes;
    const char* says;
  };
  protocol::Bytes flipped = plain_file(1, key);
  flipped[30] ^= 0x01;
  const protocol::Bytes good = plain_file(1, key);
  const Case cases[] = {
      {"key id 0", plain_file(0, key), "key id 0"},
      {"a role byte", plain_file(1, key, 1), "a matching key has no role or subject id"},
      {"a flipped key bit", flipped, "checksum"},
      {"truncated inside the key id", protocol::Bytes(good.begin(), good.begin() + 17),
       "truncated header"},
      {"one byte short", protocol::Bytes(good.begin(), good.end() - 1), "size"},
  };
  for (const Case& c : cases) {
    INFO(c.name);
    write_raw(dir / "bad.key", c.bytes);
    auto r = load_matching_key(dir / "bad.key");
    CHECK(error_code(r) == KeyErrc::corrupt);
    CHECK(r.error().detail.find(c.says) != std::string::npos);
  }
  write_raw(dir / "good.key", good);
  CHECK(load_matching_key(dir / "good.key").ok());
}
