// Reading the committed test vectors (protocol/vectors/*.json, docs/PROTOCOL.md §11): hex
// fields, roles, the trust and chain state a vector file describes. Shared by the vectors_*
// tests; a malformed vector file fails the test that reads it.
#pragma once

#include <catch2/catch.hpp>

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "aegis/protocol/bytes.hpp"
#include "aegis/protocol/certificate.hpp"
#include "aegis/protocol/trust_bundle.hpp"
#include "aegis/protocol/verify.hpp"
#include "test_support.hpp"

namespace aegis::test::vectors {

using nlohmann::json;

inline json load(const std::string& file) {
  return load_json(std::string(AEGIS_VECTORS_DIR) + "/" + file);
}

inline protocol::Bytes bytes_of(const json& j) {
  auto b = protocol::from_hex(j.get<std::string>());
  REQUIRE(b.has_value());
  return *b;
}

template <std::size_t N>
protocol::ByteArray<N> array_of(const json& j) {
  auto a = protocol::array_from_hex<N>(j.get<std::string>());
  REQUIRE(a.has_value());
  return *a;
}

inline protocol::Role role_of(const std::string& name) {
  using protocol::Role;
  for (Role r : {Role::authority, Role::index, Role::shield_officer})
    if (protocol::role_name(r) == name) return r;
  FAIL("unknown role " << name);
  return Role::authority;
}

// The trust a vector file describes: its "certificates" (box key optional) and
// "revoked_serials".
inline protocol::Trust trust_of(const json& file) {
  using namespace protocol;
  std::vector<Certificate> certs;
  for (const json& c : file.at("certificates")) {
    Certificate cert;
    cert.serial = c.at("serial").get<std::uint64_t>();
    cert.subject_id = c.at("subject_id").get<std::string>();
    cert.role = role_of(c.at("role").get<std::string>());
    cert.sign_key = array_of<kSignPublicKeySize>(c.at("sign_public_key_hex"));
    if (c.contains("box_public_key_hex"))
      cert.box_key = array_of<kBoxPublicKeySize>(c.at("box_public_key_hex"));
    cert.not_before_ms = c.at("not_before_ms").get<std::uint64_t>();
    cert.not_after_ms = c.at("not_after_ms").get<std::uint64_t>();
    certs.push_back(cert);
  }
  TrustBundle bundle;
  bundle.revoked_serials = file.at("revoked_serials").get<std::vector<std::uint64_t>>();
  return Trust(bundle, certs);
}

inline protocol::ChainState chain_of(const json& c) {
  return protocol::ChainState{c.at("last_seq").get<std::uint64_t>(),
                              array_of<protocol::kHashSize>(c.at("last_hash_hex"))};
}

}  // namespace aegis::test::vectors
