// keys/: secret key files — round trips (plain and passphrase-wrapped), file modes, refusals
// (permissions, symlinks, overwrite, wrong kind), corruption and tampering.
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>

#include <catch2/catch.hpp>

#include "aegis/keys/keys.hpp"
#include "aegis/protocol/crypto.hpp"
#include "keys_test_util.hpp"
#include "test_support.hpp"

using namespace aegis;
using namespace aegis::keys;
using aegis::test::error_code;
using aegis::test::file_mode;
using aegis::test::read_raw;
using aegis::test::seed;
using aegis::test::TempDir;
using aegis::test::write_raw;

namespace {

constexpr std::string_view kPass = "correct horse battery staple";
constexpr auto kFast = PwhashCost::interactive;

// Layout of a wrapped identity file for subject "kent" (docs/keys.md).
constexpr std::size_t kIdOffset = 13;
constexpr std::size_t kSaltOffset = kIdOffset + 4;
constexpr std::size_t kOpsOffset = kSaltOffset + 16;
constexpr std::size_t kMemOffset = kOpsOffset + 8;
constexpr std::size_t kNonceOffset = kMemOffset + 8;
constexpr std::size_t kCipherOffset = kNonceOffset + 24;
constexpr std::size_t kWrappedSize = kCipherOffset + 96 + 16;

Identity kent() {
  auto r = Identity::from_seed("kent", Role::authority, seed(1));
  REQUIRE(r.ok());
  return std::move(r).value();
}

// A signature made by `signer` verifies under `pk`.
bool verifies(const protocol::Signer& signer, const SignPublicKey& pk) {
  const std::string body = "after reload";
  auto sig = signer.sign(protocol::signing_input(protocol::kDomainEnvelope, protocol::view(body)));
  return protocol::verify_signature(pk, protocol::kDomainEnvelope, protocol::view(body), sig);
}

void require_same_identity(const Identity& a, const Identity& b) {
  CHECK(a.subject_id() == b.subject_id());
  CHECK(a.role() == b.role());
  CHECK(a.sign_public_key() == b.sign_public_key());
  CHECK(a.box_public_key() == b.box_public_key());
  CHECK(a.curve_public_key() == b.curve_public_key());
  CHECK(a.curve_secret_z85() == b.curve_secret_z85());
  CHECK(verifies(b, a.sign_public_key()));
}

}  // namespace

TEST_CASE("key files: an identity saved and loaded signs for its original public key") {
  TempDir dir;
  auto original = Identity::generate("kent", Role::authority);
  REQUIRE(original.ok());
  REQUIRE(save_identity(*original, dir / "kent.key").ok());
  auto loaded = load_identity(dir / "kent.key");
  REQUIRE(loaded.ok());
  require_same_identity(*original, *loaded);
  auto peer = Identity::from_seed("surrey", Role::authority, seed(2));
  CHECK(loaded->agree(peer->box_public_key()) == original->agree(peer->box_public_key()));
}

TEST_CASE("key files: every role round-trips") {
  TempDir dir;
  for (Role role : {Role::authority, Role::index, Role::shield_officer}) {
    auto id = Identity::from_seed("node-" + std::to_string(static_cast<int>(role)), role, seed(3));
    REQUIRE(id.ok());
    auto path = dir / (id->subject_id() + ".key");
    REQUIRE(save_identity(*id, path).ok());
    auto loaded = load_identity(path);
    REQUIRE(loaded.ok());
    require_same_identity(*id, *loaded);
  }
}

TEST_CASE("key files: a root key saved and loaded signs for its original public key") {
  TempDir dir;
  auto root = RootKey::generate();
  REQUIRE(root.ok());
  REQUIRE(save_root_key(*root, dir / "root.key").ok());
  auto loaded = load_root_key(dir / "root.key");
  REQUIRE(loaded.ok());
  CHECK(loaded->sign_public_key() == root->sign_public_key());
  CHECK(verifies(*loaded, root->sign_public_key()));
}

TEST_CASE("key files: a passphrase-wrapped identity and root key round-trip") {
  TempDir dir;
  auto id = kent();
  REQUIRE(save_identity(id, dir / "kent.key", kPass, kFast).ok());
  auto loaded = load_identity(dir / "kent.key", kPass);
  REQUIRE(loaded.ok());
  require_same_identity(id, *loaded);

  auto root = RootKey::from_seed(seed(5));
  REQUIRE(save_root_key(*root, dir / "root.key", kPass, kFast).ok());
  auto root_loaded = load_root_key(dir / "root.key", kPass);
  REQUIRE(root_loaded.ok());
  CHECK(verifies(*root_loaded, root->sign_public_key()));
}

TEST_CASE("key files: the secret is not in a wrapped file and is in a plain one") {
  TempDir dir;
  auto id = kent();
  REQUIRE(save_identity(id, dir / "plain.key").ok());
  REQUIRE(save_identity(id, dir / "wrapped.key", kPass, kFast).ok());
  const auto curve_secret = z85_decode(id.curve_secret_z85()).value();
  const std::string secret(curve_secret.begin(), curve_secret.end());
  CHECK(aegis::test::contains_bytes(read_raw(dir / "plain.key"), secret));
  CHECK_FALSE(aegis::test::contains_bytes(read_raw(dir / "wrapped.key"), secret));
  CHECK(read_raw(dir / "wrapped.key").size() == kWrappedSize);
}

TEST_CASE("key files: two wrappings of the same key differ (fresh salt and nonce)") {
  TempDir dir;
  auto id = kent();
  REQUIRE(save_identity(id, dir / "a.key", kPass, kFast).ok());
  REQUIRE(save_identity(id, dir / "b.key", kPass, kFast).ok());
  CHECK(read_raw(dir / "a.key") != read_raw(dir / "b.key"));
}

TEST_CASE("key files: a wrong passphrase is wrong_passphrase") {
  TempDir dir;
  REQUIRE(save_identity(kent(), dir / "kent.key", kPass, kFast).ok());
  CHECK(error_code(load_identity(dir / "kent.key", std::string_view("correct horse battery"))) ==
        KeyErrc::wrong_passphrase);
  CHECK(error_code(load_identity(dir / "kent.key", std::string_view(""))) ==
        KeyErrc::wrong_passphrase);
  auto root = RootKey::from_seed(seed(5));
  REQUIRE(save_root_key(*root, dir / "root.key", kPass, kFast).ok());
  CHECK(error_code(load_root_key(dir / "root.key", std::string_view("nope"))) ==
        KeyErrc::wrong_passphrase);
}

TEST_CASE("key files: a wrapped file loaded without a passphrase is needs_passphrase") {
  TempDir dir;
  REQUIRE(save_identity(kent(), dir / "kent.key", kPass, kFast).ok());
  auto r = load_identity(dir / "kent.key");
  CHECK(error_code(r) == KeyErrc::needs_passphrase);
  CHECK(r.error().detail.find("kent.key") != std::string::npos);
}

TEST_CASE("key files: an empty passphrase is refused when saving") {
  TempDir dir;
  CHECK(error_code(save_identity(kent(), dir / "kent.key", std::string_view(""), kFast)) ==
        KeyErrc::invalid_argument);
  CHECK_FALSE(std::filesystem::exists(dir / "kent.key"));
}

TEST_CASE("key files: every tampered region of a wrapped file is refused") {
  TempDir dir;
  REQUIRE(save_identity(kent(), dir / "kent.key", kPass, kFast).ok());
  const Bytes good = read_raw(dir / "kent.key");
  REQUIRE(good.size() == kWrappedSize);

  struct Case {
    const char* region;
    std::size_t offset;
    bool header_structure;  // may be caught by parsing (corrupt) before decryption
  };
  const Case cases[] = {
      {"magic", 0, true},          {"version", 8, true},
      {"kind", 9, true},           {"role", 10, true},
      {"protection", 11, true},    {"subject id length", 12, true},
      {"subject id", kIdOffset, false},
      {"salt first", kSaltOffset, false}, {"salt last", kOpsOffset - 1, false},
      {"opslimit", kOpsOffset + 7, false}, {"memlimit", kMemOffset + 7, false},
      {"memlimit high", kMemOffset, true},
      {"nonce first", kNonceOffset, false}, {"nonce last", kCipherOffset - 1, false},
      {"ciphertext first", kCipherOffset, false},
      {"ciphertext middle", kCipherOffset + 48, false},
      {"tag last", kWrappedSize - 1, false},
  };
  for (const auto& c : cases) {
    INFO(c.region);
    Bytes bad = good;
    bad[c.offset] ^= 0x01;
    auto path = dir / (std::string("t-") + std::to_string(c.offset) + ".key");
    write_raw(path, bad);
    auto r = load_identity(path, kPass);
    REQUIRE_FALSE(r.ok());
    if (c.header_structure) {
      CHECK((r.error().code == KeyErrc::corrupt || r.error().code == KeyErrc::wrong_passphrase));
    } else {
      CHECK(r.error().code == KeyErrc::wrong_passphrase);
    }
  }
}

TEST_CASE("key files: a damaged plain file is corrupt (checksum)") {
  TempDir dir;
  REQUIRE(save_identity(kent(), dir / "kent.key").ok());
  const Bytes good = read_raw(dir / "kent.key");
  for (std::size_t offset : {std::size_t{13}, std::size_t{20}, good.size() / 2, good.size() - 1}) {
    INFO(offset);
    Bytes bad = good;
    bad[offset] ^= 0x80;
    write_raw(dir / "bad.key", bad);
    CHECK(error_code(load_identity(dir / "bad.key")) == KeyErrc::corrupt);
  }
}

TEST_CASE("key files: truncated, extended, empty and garbage files are corrupt") {
  TempDir dir;
  REQUIRE(save_identity(kent(), dir / "plain.key").ok());
  REQUIRE(save_identity(kent(), dir / "wrapped.key", kPass, kFast).ok());
  for (const char* name : {"plain.key", "wrapped.key"}) {
    INFO(name);
    const Bytes good = read_raw(dir / name);
    for (std::size_t len : {std::size_t{0}, std::size_t{5}, std::size_t{12}, std::size_t{13},
                            std::size_t{20}, good.size() - 1}) {
      INFO(len);
      write_raw(dir / "cut.key", ByteView(good.data(), len));
      CHECK(error_code(load_identity(dir / "cut.key", kPass)) == KeyErrc::corrupt);
    }
    Bytes longer = good;
    longer.push_back(0);
    write_raw(dir / "long.key", longer);
    CHECK(error_code(load_identity(dir / "long.key", kPass)) == KeyErrc::corrupt);
  }
  write_raw(dir / "text.key", protocol::view(std::string("-----BEGIN OPENSSH PRIVATE KEY-----\n")));
  CHECK(error_code(load_identity(dir / "text.key")) == KeyErrc::corrupt);
  write_raw(dir / "huge.key", Bytes(100000, 0x41));
  CHECK(error_code(load_identity(dir / "huge.key")) == KeyErrc::corrupt);
  Bytes future = read_raw(dir / "plain.key");
  future[8] = 2;  // format version 2
  write_raw(dir / "future.key", future);
  auto r = load_identity(dir / "future.key");
  CHECK(error_code(r) == KeyErrc::corrupt);
  CHECK(r.error().detail.find("version 2") != std::string::npos);
}

TEST_CASE("key files: a file demanding an absurd Argon2id cost is corrupt, not run") {
  TempDir dir;
  REQUIRE(save_identity(kent(), dir / "kent.key", kPass, kFast).ok());
  Bytes bad = read_raw(dir / "kent.key");
  bad[kMemOffset] = 0x01;  // memlimit 2^56 + ...
  write_raw(dir / "bad.key", bad);
  CHECK(error_code(load_identity(dir / "bad.key", kPass)) == KeyErrc::corrupt);
  bad = read_raw(dir / "kent.key");
  for (std::size_t i = 0; i < 8; ++i) bad[kOpsOffset + i] = 0;  // opslimit 0
  write_raw(dir / "bad.key", bad);
  CHECK(error_code(load_identity(dir / "bad.key", kPass)) == KeyErrc::corrupt);
}

TEST_CASE("key files: a root key where an identity is expected is wrong_kind, and back") {
  TempDir dir;
  auto root = RootKey::from_seed(seed(5));
  REQUIRE(save_root_key(*root, dir / "root.key").ok());
  REQUIRE(save_identity(kent(), dir / "kent.key", kPass, kFast).ok());
  CHECK(error_code(load_identity(dir / "root.key")) == KeyErrc::wrong_kind);
  CHECK(error_code(load_root_key(dir / "kent.key", kPass)) == KeyErrc::wrong_kind);
  CHECK(error_code(load_root_key(dir / "kent.key")) == KeyErrc::wrong_kind);
}

TEST_CASE("key files: created with mode 0600 whatever the umask") {
  TempDir dir;
  const mode_t old = ::umask(0);
  auto saved = save_identity(kent(), dir / "kent.key");
  auto root = RootKey::from_seed(seed(5));
  auto saved_root = save_root_key(*root, dir / "root.key", kPass, kFast);
  ::umask(old);
  REQUIRE(saved.ok());
  REQUIRE(saved_root.ok());
  CHECK(file_mode(dir / "kent.key") == 0600);
  CHECK(file_mode(dir / "root.key") == 0600);
}

TEST_CASE("key files: group- or world-accessible files are bad_permissions") {
  TempDir dir;
  REQUIRE(save_identity(kent(), dir / "kent.key").ok());
  for (mode_t mode : {0640, 0604, 0644, 0660, 0602, 0610, 0601, 0620}) {
    INFO(std::oct << mode);
    REQUIRE(::chmod((dir / "kent.key").c_str(), mode) == 0);
    auto r = load_identity(dir / "kent.key");
    REQUIRE(error_code(r) == KeyErrc::bad_permissions);
    char octal[8];
    std::snprintf(octal, sizeof octal, "%04o", static_cast<unsigned>(mode));
    CHECK(r.error().detail.find(octal) != std::string::npos);
    CHECK(r.error().detail.find("kent.key") != std::string::npos);
    CHECK(r.error().detail.find("chmod 600") != std::string::npos);
  }
  REQUIRE(::chmod((dir / "kent.key").c_str(), 0400) == 0);
  CHECK(load_identity(dir / "kent.key").ok());
}

TEST_CASE("key files: an existing file is never overwritten") {
  TempDir dir;
  write_raw(dir / "kent.key", protocol::view(std::string("precious")));
  CHECK(error_code(save_identity(kent(), dir / "kent.key")) == KeyErrc::exists);
  auto root = RootKey::from_seed(seed(5));
  CHECK(error_code(save_root_key(*root, dir / "kent.key", kPass, kFast)) == KeyErrc::exists);
  CHECK(read_raw(dir / "kent.key") == Bytes{'p', 'r', 'e', 'c', 'i', 'o', 'u', 's'});
  // No temporary files left behind.
  std::size_t entries = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir.path())) {
    (void)e;
    ++entries;
  }
  CHECK(entries == 1);
}

TEST_CASE("key files: a symbolic link is neither written through nor loaded") {
  TempDir dir;
  REQUIRE(save_identity(kent(), dir / "real.key").ok());
  std::filesystem::create_symlink(dir / "real.key", dir / "link.key");
  CHECK_FALSE(load_identity(dir / "link.key").ok());
  CHECK(error_code(load_identity(dir / "link.key")) == KeyErrc::io);
  // Saving to a (dangling) symlink does not create its target.
  std::filesystem::create_symlink(dir / "target.key", dir / "dangling.key");
  CHECK(error_code(save_identity(kent(), dir / "dangling.key")) == KeyErrc::exists);
  CHECK_FALSE(std::filesystem::exists(dir / "target.key"));
}

TEST_CASE("key files: a missing file, a directory or a missing directory is io") {
  TempDir dir;
  auto r = load_identity(dir / "absent.key");
  CHECK(error_code(r) == KeyErrc::io);
  CHECK(r.error().detail.find("absent.key") != std::string::npos);
  std::filesystem::create_directory(dir / "adir");
  ::chmod((dir / "adir").c_str(), 0700);
  CHECK(error_code(load_identity(dir / "adir")) == KeyErrc::io);
  CHECK(error_code(save_identity(kent(), dir / "no" / "such" / "kent.key")) == KeyErrc::io);
}

TEST_CASE("key files: no temporary file is left after a successful save") {
  TempDir dir;
  REQUIRE(save_identity(kent(), dir / "kent.key", kPass, kFast).ok());
  std::vector<std::string> names;
  for (const auto& e : std::filesystem::directory_iterator(dir.path())) {
    names.push_back(e.path().filename().string());
  }
  CHECK(names == std::vector<std::string>{"kent.key"});
}

TEST_CASE("passphrase files: content minus one newline; empty or missing refused") {
  TempDir dir;
  aegis::test::write_text(dir / "p1", "s3cret\n");
  aegis::test::write_text(dir / "p2", "s3cret\r\n");
  aegis::test::write_text(dir / "p3", "s3cret");
  aegis::test::write_text(dir / "p4", "s3cret \n\n");
  aegis::test::write_text(dir / "empty", "\n");
  aegis::test::write_text(dir / "big", std::string(2000, 'x'));
  CHECK(read_passphrase_file(dir / "p1")->view() == "s3cret");
  CHECK(read_passphrase_file(dir / "p2")->view() == "s3cret");
  CHECK(read_passphrase_file(dir / "p3")->view() == "s3cret");
  CHECK(read_passphrase_file(dir / "p4")->view() == "s3cret \n");
  CHECK(error_code(read_passphrase_file(dir / "empty")) == KeyErrc::invalid_argument);
  CHECK(error_code(read_passphrase_file(dir / "big")) == KeyErrc::invalid_argument);
  CHECK(error_code(read_passphrase_file(dir / "absent")) == KeyErrc::io);
}

TEST_CASE("key files: the documented example root key file is byte-exact (docs/keys.md)") {
  TempDir dir;
  auto root = RootKey::from_seed(seed(1));
  REQUIRE(root.ok());
  CHECK(protocol::to_hex(root->sign_public_key()) ==
        "1b79c1fc00c2e3e5cd320c1e694b924884fb56c3d32881fd58f88e621a537137");
  REQUIRE(save_root_key(*root, dir / "root.key").ok());
  const std::string expected =
      "41454749534b4559" "01" "01" "00" "00" "00"                          // header
      "f016ecaa37fc14ddb3bf4e8a349703822623d32f8d286adeecf3fdcc85fd06ca"  // sign seed
      "ceb4afe5c68ec32b58b5ba9962a2c462dc81c4423160baec7e76237d6c8369a8";  // checksum
  CHECK(protocol::to_hex(read_raw(dir / "root.key")) == expected);
  // And the same bytes written by hand load as that key.
  write_raw(dir / "by-hand.key", protocol::from_hex(expected).value());
  auto loaded = load_root_key(dir / "by-hand.key");
  REQUIRE(loaded.ok());
  CHECK(loaded->sign_public_key() == root->sign_public_key());
}
