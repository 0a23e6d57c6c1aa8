// keys/ internals shared by its source files (not part of the public API): the sodium_malloc'd
// SecretBuffer, error helpers, and safe file primitives (atomic create, no-follow open).
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>

#include "aegis/keys/keys.hpp"

namespace aegis::keys {

// Calls sodium_init() once; aborts if libsodium cannot initialise (nothing is safe then).
void ensure_sodium();

// Bytes in sodium_malloc'd memory: guard pages, mlock'd where the OS allows, wiped and freed by
// sodium_free on destruction. Not copyable; owned through std::unique_ptr.
class SecretBuffer {
 public:
  explicit SecretBuffer(std::size_t size);  // zero-filled; throws std::bad_alloc on failure
  ~SecretBuffer();
  SecretBuffer(const SecretBuffer&) = delete;
  SecretBuffer& operator=(const SecretBuffer&) = delete;

  std::uint8_t* data() { return data_; }
  const std::uint8_t* data() const { return data_; }
  std::size_t size() const { return size_; }
  ByteView view() const { return {data_, size_}; }

 private:
  std::uint8_t* data_;
  std::size_t size_;
};

std::unique_ptr<SecretBuffer> make_secret(std::size_t size);

inline KeyError key_error(KeyErrc code, std::string detail) {
  return KeyError{code, std::move(detail)};
}

// "path" as it appears in error messages.
std::string quoted(const std::filesystem::path& path);

// What an atomic write does when the destination already exists.
enum class Overwrite { refuse, replace };

// Writes `bytes` to a new temporary file next to `path` (O_CREAT|O_EXCL|O_NOFOLLOW, `mode`),
// fsyncs it, moves it into place (refusing or replacing an existing file) and fsyncs the
// directory. On failure nothing is left behind.
Status write_file_atomically(const std::filesystem::path& path, ByteView bytes, mode_t mode,
                             Overwrite overwrite);

// A file opened for reading without following a final symbolic link, checked to be a regular
// file. `secret` additionally refuses any group/other permission bit (bad_permissions).
class ReadFile {
 public:
  static Result<ReadFile> open(const std::filesystem::path& path, bool secret);
  ReadFile(ReadFile&& other) noexcept;
  ReadFile& operator=(ReadFile&&) = delete;
  ~ReadFile();
  // Reads the whole file into `out` (capacity = out.size()); returns the number of bytes read,
  // or an error when the file is larger than `out` (`too_large` code) or a read fails.
  Result<std::size_t> read_all(std::uint8_t* out, std::size_t capacity, KeyErrc too_large);
  // One read(2) of at most n bytes (0 at end of file).
  Result<std::size_t> read_some(std::uint8_t* out, std::size_t n);
  KeyError too_large_error(KeyErrc code, std::size_t limit) const;

 private:
  ReadFile(int fd, std::filesystem::path path) : fd_(fd), path_(std::move(path)) {}
  int fd_;
  std::filesystem::path path_;
};

// Key material as stored in files: the 32-byte secrets every key is derived from.
//   identity: sign seed (Ed25519) | box secret (X25519) | curve secret (X25519) = 96 bytes
//   root:     sign seed (Ed25519) = 32 bytes
//   matching: the matching key itself = 32 bytes
inline constexpr std::size_t kSeedSize = 32;
inline constexpr std::size_t kIdentitySeedsSize = 3 * kSeedSize;
inline constexpr std::size_t kRootSeedsSize = kSeedSize;
inline constexpr std::size_t kMatchingSeedsSize = protocol::kMatchingKeySize;

// Builds keys from their stored secrets and back (friend of Identity, RootKey, MatchingKey).
struct IdentityFiles {
  static Result<Identity> make_identity(std::string subject_id, Role role, ByteView seeds);
  static RootKey make_root(ByteView seeds);
  static Result<MatchingKey> make_matching(std::uint64_t key_id, ByteView seeds);
  static std::unique_ptr<SecretBuffer> seeds_of(const Identity& id);
  static std::unique_ptr<SecretBuffer> seeds_of(const RootKey& key);
  static std::unique_ptr<SecretBuffer> seeds_of(const MatchingKey& key);
};

bool valid_role(Role role);

}  // namespace aegis::keys
