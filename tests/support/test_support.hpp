// Shared helpers for the test suite: temporary directories that are kept when a test fails,
// deterministic test keys built directly from seeds (independent of keys/, so protocol tests
// and vectors do not depend on how keys/ derives its keys), sample records, JSON loading.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

#include <nlohmann/json.hpp>

#include "aegis/protocol/bytes.hpp"
#include "aegis/protocol/crypto.hpp"
#include "aegis/protocol/match.hpp"
#include "aegis/protocol/record.hpp"

namespace aegis::test {

using protocol::ByteArray;
using protocol::Bytes;
using protocol::ByteView;

// A fresh directory under $TMPDIR (or /tmp). Removed on destruction unless the environment has
// AEGIS_KEEP_TEST_DATA=1 or keep() was called (tests call keep() on failure paths).
class TempDir {
 public:
  explicit TempDir(const std::string& prefix = "aegis-test");
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }
  void keep() { keep_ = true; }

 private:
  std::filesystem::path path_;
  bool keep_ = false;
};

// 32 bytes, every byte = b (readable deterministic seeds: seed(1), seed(2)...).
ByteArray<32> seed(std::uint8_t b);

// Ed25519 signer from a 32-byte seed (crypto_sign_seed_keypair). Test use only.
class SeedSigner final : public protocol::Signer {
 public:
  explicit SeedSigner(const ByteArray<32>& seed);
  protocol::SignPublicKey sign_public_key() const override { return pk_; }
  protocol::Signature sign(ByteView message) const override;

 private:
  protocol::SignPublicKey pk_{};
  ByteArray<64> sk_{};
};

// X25519 key agreement from a 32-byte secret scalar. Test use only.
class SeedKeyAgreement final : public protocol::KeyAgreement {
 public:
  explicit SeedKeyAgreement(const ByteArray<32>& secret);
  protocol::BoxPublicKey box_public_key() const override { return pk_; }
  std::optional<ByteArray<32>> agree(const protocol::BoxPublicKey& peer) const override;

 private:
  protocol::BoxPublicKey pk_{};
  ByteArray<32> sk_{};
};

// Match tokens keyed directly by a 32-byte matching key (BLAKE2b, 16-byte output), key id 1
// unless given. Test use only.
class SeedTokenizer final : public protocol::MatchTokenizer {
 public:
  explicit SeedTokenizer(const ByteArray<32>& key, std::uint64_t key_id = 1)
      : key_(key), key_id_(key_id) {}
  std::uint64_t key_id() const override { return key_id_; }
  protocol::MatchToken token(ByteView input) const override;

 private:
  ByteArray<32> key_{};
  std::uint64_t key_id_;
};

// The matching key of the fixtures and of the test vectors: seed(0x50), key id 1.
inline constexpr std::uint8_t kMatchingKeySeed = 0x50;
const SeedTokenizer& test_tokenizer();

// Sample records with every field set (canary strings make leaks easy to grep for).
protocol::ChildRecord sample_child(const std::string& record_id = "child-1");
protocol::ChildRecord sample_shielded_child(const std::string& record_id = "child-s");

// Reads and parses a JSON file; fails the current test if it cannot.
nlohmann::json load_json(const std::filesystem::path& path);

// True when `needle` occurs anywhere in `haystack` (byte search).
bool contains_bytes(ByteView haystack, std::string_view needle);

}  // namespace aegis::test
