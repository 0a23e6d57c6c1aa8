// keys/: Identity and RootKey in memory — generation, deterministic derivation, signing, key
// agreement (including small-order peers), Z85, seal randomness, role names.
#include <sodium.h>

#include <catch2/catch.hpp>

#include "aegis/keys/keys.hpp"
#include "aegis/protocol/crypto.hpp"
#include "keys_test_util.hpp"
#include "test_support.hpp"

using namespace aegis;
using namespace aegis::keys;
using aegis::test::error_code;
using aegis::test::seed;

namespace {

Identity make(const std::string& id, std::uint8_t s, Role role = Role::authority) {
  auto r = Identity::from_seed(id, role, seed(s));
  REQUIRE(r.ok());
  return std::move(r).value();
}

bool signs_verifiably(const protocol::Signer& signer) {
  const std::string body = "a change";
  auto m = protocol::signing_input(protocol::kDomainEnvelope, protocol::view(body));
  return protocol::verify_signature(signer.sign_public_key(), protocol::kDomainEnvelope,
                                    protocol::view(body), signer.sign(m));
}

}  // namespace

TEST_CASE("identity: generate gives a working identity with its id and role") {
  auto id = Identity::generate("kent", Role::authority);
  REQUIRE(id.ok());
  CHECK(id->subject_id() == "kent");
  CHECK(id->role() == Role::authority);
  CHECK(signs_verifiably(*id));
  auto p = id->public_identity();
  CHECK(p.subject_id == "kent");
  CHECK(p.sign_key == id->sign_public_key());
  CHECK(p.box_key == id->box_public_key());
  CHECK(p.curve_key == id->curve_public_key());
}

TEST_CASE("identity: two generated identities have different keys") {
  auto a = Identity::generate("kent", Role::authority);
  auto b = Identity::generate("kent", Role::authority);
  REQUIRE(a.ok());
  REQUIRE(b.ok());
  CHECK(a->sign_public_key() != b->sign_public_key());
  CHECK(a->box_public_key() != b->box_public_key());
  CHECK(a->curve_public_key() != b->curve_public_key());
}

TEST_CASE("identity: the sign, box and curve keys of one identity are distinct") {
  auto id = make("kent", 1);
  CHECK(id.box_public_key() != id.curve_public_key());
  CHECK(ByteView(id.sign_public_key()).size() == 32);
  CHECK(id.sign_public_key() != id.box_public_key());
}

TEST_CASE("identity: from_seed is deterministic and depends on the seed") {
  auto a = make("kent", 1);
  auto b = make("kent", 1);
  auto c = make("kent", 2);
  CHECK(a.sign_public_key() == b.sign_public_key());
  CHECK(a.box_public_key() == b.box_public_key());
  CHECK(a.curve_public_key() == b.curve_public_key());
  CHECK(a.curve_secret_z85() == b.curve_secret_z85());
  CHECK(a.sign_public_key() != c.sign_public_key());
  CHECK(a.box_public_key() != c.box_public_key());
  CHECK(a.curve_public_key() != c.curve_public_key());
}

TEST_CASE("identity: from_seed derives each key with BLAKE2b-256 keyed by the seed") {
  // docs/keys.md: sign seed = BLAKE2b-256(key = seed, "aegis-sign"); box secret = ...("aegis-box").
  auto id = make("kent", 7);
  const auto s = seed(7);
  auto derive = [&](std::string_view label) {
    ByteArray<32> out{};
    crypto_generichash(out.data(), out.size(), reinterpret_cast<const std::uint8_t*>(label.data()),
                       label.size(), s.data(), s.size());
    return out;
  };
  aegis::test::SeedSigner signer(derive("aegis-sign"));
  aegis::test::SeedKeyAgreement box(derive("aegis-box"));
  aegis::test::SeedKeyAgreement curve(derive("aegis-curve"));
  CHECK(id.sign_public_key() == signer.sign_public_key());
  CHECK(id.box_public_key() == box.box_public_key());
  CHECK(id.curve_public_key() == curve.box_public_key());
  const auto curve_secret = derive("aegis-curve");
  CHECK(z85_decode(id.curve_secret_z85()).value() ==
        Bytes(curve_secret.begin(), curve_secret.end()));
}

TEST_CASE("identity: invalid subject ids are invalid_argument") {
  for (const std::string& bad : std::vector<std::string>{"", "Kent", "-kent", "kent-", "kent county", "kent_cc",
                          std::string(33, 'a'), std::string("ke\0nt", 5)}) {
    INFO(bad);
    CHECK(error_code(Identity::generate(bad, Role::authority)) == KeyErrc::invalid_argument);
    CHECK(error_code(Identity::from_seed(bad, Role::authority, seed(1))) ==
          KeyErrc::invalid_argument);
  }
  CHECK(Identity::generate(std::string(32, 'a'), Role::index).ok());
}

TEST_CASE("identity: an unknown role value is invalid_argument") {
  CHECK(error_code(Identity::generate("kent", static_cast<Role>(0))) == KeyErrc::invalid_argument);
  CHECK(error_code(Identity::from_seed("kent", static_cast<Role>(4), seed(1))) ==
        KeyErrc::invalid_argument);
}

TEST_CASE("identity: a signature does not verify under another key or another message") {
  auto a = make("kent", 1);
  auto b = make("surrey", 2);
  const std::string body = "a change";
  auto m = protocol::signing_input(protocol::kDomainEnvelope, protocol::view(body));
  auto sig = a.sign(m);
  CHECK(protocol::verify_signature(a.sign_public_key(), protocol::kDomainEnvelope,
                                   protocol::view(body), sig));
  CHECK_FALSE(protocol::verify_signature(b.sign_public_key(), protocol::kDomainEnvelope,
                                         protocol::view(body), sig));
  CHECK_FALSE(protocol::verify_signature(a.sign_public_key(), protocol::kDomainEnvelope,
                                         protocol::view(std::string("another change")), sig));
  CHECK_FALSE(protocol::verify_signature(a.sign_public_key(), protocol::kDomainCertificate,
                                         protocol::view(body), sig));
}

TEST_CASE("identity: agree gives the same shared secret both ways") {
  auto a = make("kent", 1);
  auto b = make("surrey", 2);
  auto ab = a.agree(b.box_public_key());
  auto ba = b.agree(a.box_public_key());
  REQUIRE(ab.has_value());
  REQUIRE(ba.has_value());
  CHECK(*ab == *ba);
  auto c = make("essex", 3);
  CHECK(*a.agree(c.box_public_key()) != *ab);
}

TEST_CASE("identity: agree matches an independent X25519 implementation") {
  auto a = make("kent", 1);
  aegis::test::SeedKeyAgreement peer(seed(9));
  CHECK(a.agree(peer.box_public_key()) == peer.agree(a.box_public_key()));
}

TEST_CASE("identity: agree with a small-order peer key is nullopt") {
  auto a = make("kent", 1);
  const char* small_order[] = {
      "0000000000000000000000000000000000000000000000000000000000000000",  // 0
      "0100000000000000000000000000000000000000000000000000000000000000",  // 1
      "e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800",  // order 8
      "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",  // p - 1
  };
  for (const char* hex : small_order) {
    INFO(hex);
    auto peer = protocol::array_from_hex<32>(hex);
    REQUIRE(peer.has_value());
    CHECK_FALSE(a.agree(*peer).has_value());
  }
}

TEST_CASE("identity: a moved identity keeps working") {
  auto a = make("kent", 1);
  const auto pk = a.sign_public_key();
  Identity b = std::move(a);
  CHECK(b.sign_public_key() == pk);
  CHECK(signs_verifiably(b));
  Identity c = make("surrey", 2);
  c = std::move(b);
  CHECK(c.subject_id() == "kent");
  CHECK(signs_verifiably(c));
}

TEST_CASE("root: generate and from_seed give working, distinct signers") {
  auto g = RootKey::generate();
  REQUIRE(g.ok());
  CHECK(signs_verifiably(*g));
  auto s1 = RootKey::from_seed(seed(1));
  auto s2 = RootKey::from_seed(seed(1));
  auto s3 = RootKey::from_seed(seed(2));
  REQUIRE((s1.ok() && s2.ok() && s3.ok()));
  CHECK(s1->sign_public_key() == s2->sign_public_key());
  CHECK(s1->sign_public_key() != s3->sign_public_key());
  CHECK(s1->sign_public_key() != g->sign_public_key());
  // Same derivation as an identity's signing key from the same seed.
  CHECK(s1->sign_public_key() == make("kent", 1).sign_public_key());
}

TEST_CASE("z85: the RFC 32 test vector") {
  const Bytes hello = {0x86, 0x4F, 0xD2, 0x6F, 0xB5, 0x59, 0xF7, 0x5B};
  CHECK(z85_encode(hello) == "HelloWorld");
  CHECK(z85_decode("HelloWorld") == hello);
}

TEST_CASE("z85: the curve secret is 40 characters and round-trips") {
  auto id = make("kent", 1);
  const std::string z = id.curve_secret_z85();
  CHECK(z.size() == 40);
  auto back = z85_decode(z);
  REQUIRE(back.has_value());
  CHECK(back->size() == 32);
  CHECK(z85_encode(*back) == z);
  // ZeroMQ's own example CURVE public key (RFC 26) decodes to 32 bytes and re-encodes.
  const std::string zmq_key = "rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7";
  REQUIRE(z85_decode(zmq_key).has_value());
  CHECK(z85_encode(*z85_decode(zmq_key)) == zmq_key);
}

TEST_CASE("z85: bad input is refused") {
  CHECK(z85_decode("Hello").value().size() == 4);
  CHECK_FALSE(z85_decode("HelloWorl").has_value());   // length not a multiple of 5
  CHECK_FALSE(z85_decode("Hello\"orld").has_value()); // '"' is not in the alphabet
  CHECK_FALSE(z85_decode("Hello orld").has_value());
  CHECK_FALSE(z85_decode("#####").has_value());       // overflows 32 bits
  CHECK(z85_decode("").value().empty());
}

TEST_CASE("seal randomness: every call gives fresh bytes") {
  auto a = fresh_seal_randomness();
  auto b = fresh_seal_randomness();
  CHECK(a.ephemeral_secret != b.ephemeral_secret);
  CHECK(a.content_key != b.content_key);
  CHECK(a.nonce != b.nonce);
  CHECK(a.ephemeral_secret != a.content_key);
}

TEST_CASE("roles: names parse with '_' or '-' and nothing else") {
  CHECK(parse_role("authority") == Role::authority);
  CHECK(parse_role("index") == Role::index);
  CHECK(parse_role(protocol::role_name(Role::shield_officer)) == Role::shield_officer);
  CHECK(parse_role("shield-officer") == Role::shield_officer);
  CHECK_FALSE(parse_role("Authority").has_value());
  CHECK_FALSE(parse_role("root").has_value());
  CHECK_FALSE(parse_role("").has_value());
}

TEST_CASE("key errors: every code has its own name") {
  CHECK(key_errc_name(KeyErrc::bad_permissions) == "bad_permissions");
  CHECK(key_errc_name(KeyErrc::wrong_passphrase) == "wrong_passphrase");
  KeyError e{KeyErrc::exists, "\"a.key\" already exists"};
  CHECK(e.message() == "exists: \"a.key\" already exists");
}
