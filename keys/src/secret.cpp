// Secret memory (SecretBuffer, Passphrase), error names, OS randomness for seals, role names.
#include <sodium.h>

#include <cstdlib>
#include <new>

#include "internal.hpp"

namespace aegis::keys {

void ensure_sodium() {
  static const int status = sodium_init();  // thread-safe, idempotent
  if (status < 0) std::abort();
}

SecretBuffer::SecretBuffer(std::size_t size) : size_(size) {
  ensure_sodium();
  data_ = static_cast<std::uint8_t*>(sodium_malloc(size == 0 ? 1 : size));
  if (data_ == nullptr) throw std::bad_alloc();
  sodium_memzero(data_, size == 0 ? 1 : size);
}

SecretBuffer::~SecretBuffer() { sodium_free(data_); }  // wipes before freeing

std::unique_ptr<SecretBuffer> make_secret(std::size_t size) {
  return std::make_unique<SecretBuffer>(size);
}

std::string_view key_errc_name(KeyErrc c) noexcept {
  switch (c) {
    case KeyErrc::io: return "io";
    case KeyErrc::exists: return "exists";
    case KeyErrc::bad_permissions: return "bad_permissions";
    case KeyErrc::corrupt: return "corrupt";
    case KeyErrc::wrong_kind: return "wrong_kind";
    case KeyErrc::needs_passphrase: return "needs_passphrase";
    case KeyErrc::wrong_passphrase: return "wrong_passphrase";
    case KeyErrc::invalid_argument: return "invalid_argument";
  }
  return "unknown";
}

std::string quoted(const std::filesystem::path& path) { return "\"" + path.string() + "\""; }

protocol::SealRandomness fresh_seal_randomness() {
  ensure_sodium();
  protocol::SealRandomness r;
  randombytes_buf(r.ephemeral_secret.data(), r.ephemeral_secret.size());
  randombytes_buf(r.content_key.data(), r.content_key.size());
  randombytes_buf(r.nonce.data(), r.nonce.size());
  return r;
}

// ---- Passphrase ----------------------------------------------------------------------------

Passphrase::Passphrase(std::string_view text) : secret_(make_secret(text.size())) {
  std::copy(text.begin(), text.end(), secret_->data());
}
Passphrase::Passphrase(Passphrase&&) noexcept = default;
Passphrase& Passphrase::operator=(Passphrase&&) noexcept = default;
Passphrase::~Passphrase() = default;

std::string_view Passphrase::view() const {
  return {reinterpret_cast<const char*>(secret_->data()), secret_->size()};
}

Result<Passphrase> read_passphrase_file(const std::filesystem::path& path) {
  constexpr std::size_t kMaxPassphrase = 1024;
  auto file = ReadFile::open(path, /*secret=*/false);
  if (!file) return file.error();
  SecretBuffer buf(kMaxPassphrase);
  auto n = file->read_all(buf.data(), buf.size(), KeyErrc::invalid_argument);
  if (!n) return n.error();
  std::size_t len = *n;
  if (len > 0 && buf.data()[len - 1] == '\n') --len;
  if (len > 0 && buf.data()[len - 1] == '\r') --len;
  if (len == 0) {
    return key_error(KeyErrc::invalid_argument, "passphrase file " + quoted(path) + " is empty");
  }
  return Passphrase(std::string_view(reinterpret_cast<const char*>(buf.data()), len));
}

// ---- Role names ----------------------------------------------------------------------------

std::optional<Role> parse_role(std::string_view name) {
  std::string canonical(name);
  for (char& c : canonical) {
    if (c == '-') c = '_';
  }
  for (Role r : {Role::authority, Role::index, Role::shield_officer}) {
    if (canonical == protocol::role_name(r)) return r;
  }
  return std::nullopt;
}

}  // namespace aegis::keys
