// Public files (docs/keys.md "Public files"): the public identity JSON a certificate is made from,
// the root public key as one hex line, and plain bytes (certificates, bundles). Mode 0644,
// written atomically; parsed strictly.
#include <nlohmann/json.hpp>

#include <algorithm>

#include "aegis/protocol/record.hpp"
#include "internal.hpp"

namespace aegis::keys {
namespace {

namespace fs = std::filesystem;

constexpr std::size_t kMaxPublicIdentitySize = 16 * 1024;
constexpr std::size_t kMaxRootPublicKeySize = 256;
constexpr mode_t kPublicMode = 0644;

constexpr const char* kFields[] = {"subject_id", "role", "sign_key", "box_key", "curve_key"};

KeyError corrupt(const fs::path& path, const std::string& what) {
  return key_error(KeyErrc::corrupt, quoted(path) + ": " + what);
}

std::string as_text(ByteView bytes) {
  return std::string(reinterpret_cast<const char*>(bytes.data()), bytes.size());
}

// A 32-byte key from a JSON field holding 64 hex characters.
Result<ByteArray<32>> key_field(const nlohmann::json& j, const char* field, const fs::path& path) {
  const std::string& text = j.at(field).get_ref<const std::string&>();
  const std::string name = std::string("field \"") + field + "\": ";
  auto bytes = protocol::from_hex(text);
  if (!bytes) return corrupt(path, name + "not hex");
  auto key = protocol::array_from_hex<32>(text);
  if (!key) {
    return corrupt(path, name + "expected 32 bytes (64 hex characters), found " +
                             std::to_string(bytes->size()) + " bytes");
  }
  return *key;
}

}  // namespace

Status write_public_file(const fs::path& path, ByteView bytes) {
  return write_file_atomically(path, bytes, kPublicMode, Overwrite::replace);
}

Status save_public_identity(const PublicIdentity& p, const fs::path& path) {
  nlohmann::ordered_json j;
  j["subject_id"] = p.subject_id;
  j["role"] = std::string(protocol::role_name(p.role));
  j["sign_key"] = protocol::to_hex(p.sign_key);
  j["box_key"] = protocol::to_hex(p.box_key);
  j["curve_key"] = protocol::to_hex(p.curve_key);
  return write_public_file(path, protocol::view(j.dump(2) + "\n"));
}

Result<PublicIdentity> load_public_identity(const fs::path& path) {
  auto bytes = read_file(path, kMaxPublicIdentitySize);
  if (!bytes) return bytes.error();
  auto j = nlohmann::json::parse(bytes->begin(), bytes->end(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return corrupt(path, "not valid JSON");
  if (!j.is_object()) return corrupt(path, "expected a JSON object");
  for (const auto& [name, value] : j.items()) {
    if (std::find(std::begin(kFields), std::end(kFields), name) == std::end(kFields)) {
      return corrupt(path, "unknown field \"" + name + "\"");
    }
  }
  for (const char* field : kFields) {
    if (!j.contains(field)) return corrupt(path, std::string("missing field \"") + field + "\"");
    if (!j.at(field).is_string()) {
      return corrupt(path, std::string("field \"") + field + "\": expected a string");
    }
  }
  PublicIdentity p;
  p.subject_id = j.at("subject_id").get<std::string>();
  if (!protocol::valid_authority_id(p.subject_id)) {
    return corrupt(path, "field \"subject_id\": \"" + p.subject_id +
                             "\" is not a valid id (1..32 of a-z, 0-9, '-')");
  }
  const std::string role = j.at("role").get<std::string>();
  auto parsed_role = parse_role(role);
  if (!parsed_role || role != protocol::role_name(*parsed_role)) {
    return corrupt(path, "field \"role\": unknown role \"" + role + "\"");
  }
  p.role = *parsed_role;
  auto sign = key_field(j, "sign_key", path);
  if (!sign) return sign.error();
  auto box = key_field(j, "box_key", path);
  if (!box) return box.error();
  auto curve = key_field(j, "curve_key", path);
  if (!curve) return curve.error();
  p.sign_key = *sign;
  p.box_key = *box;
  p.curve_key = *curve;
  return p;
}

Status save_root_public_key(const SignPublicKey& pk, const fs::path& path) {
  return write_public_file(path, protocol::view(protocol::to_hex(pk) + "\n"));
}

Result<SignPublicKey> load_root_public_key(const fs::path& path) {
  auto bytes = read_file(path, kMaxRootPublicKeySize);
  if (!bytes) return bytes.error();
  std::string text = as_text(*bytes);
  if (!text.empty() && text.back() == '\n') text.pop_back();
  auto pk = protocol::array_from_hex<32>(text);
  if (!pk) return corrupt(path, "expected one line of 64 hex characters (the root public key)");
  return *pk;
}

}  // namespace aegis::keys
