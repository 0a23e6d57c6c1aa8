// keys/ with protocol/: the operator workflow through real files — root and identities on disk,
// certificates and a trust bundle written as public files, verified against root.pub; loaded
// identities used as protocol::Signer and protocol::KeyAgreement.
#include <catch2/catch.hpp>

#include "aegis/keys/keys.hpp"
#include "aegis/protocol/certificate.hpp"
#include "aegis/protocol/seal.hpp"
#include "aegis/protocol/trust_bundle.hpp"
#include "keys_test_util.hpp"
#include "test_support.hpp"

using namespace aegis;
using namespace aegis::keys;
using aegis::test::read_raw;
using aegis::test::seed;
using aegis::test::TempDir;
using aegis::test::write_raw;

namespace {

constexpr std::uint64_t kNow = 1'750'000'000'000;  // fixed clock (ms)
constexpr std::uint64_t kDay = 86'400'000;
constexpr std::size_t kMaxFile = 1024 * 1024;

// A root, two identities and their files, as the operator workflow creates them.
struct Workflow {
  TempDir dir;

  Workflow() {
    auto root = RootKey::from_seed(seed(1));
    REQUIRE(save_root_key(*root, dir / "root.key", std::string_view("root pass"),
                          PwhashCost::interactive)
                .ok());
    REQUIRE(save_root_public_key(root->sign_public_key(), dir / "root.pub").ok());
    make_identity("kent", Role::authority, 2);
    make_identity("so-1", Role::shield_officer, 3);
  }

  // Writes <stem>.key and <stem>.pub.json for subject `id`.
  void make_identity(const std::string& id, Role role, std::uint8_t s, std::string stem = "") {
    if (stem.empty()) stem = id;
    auto identity = Identity::from_seed(id, role, seed(s));
    REQUIRE(identity.ok());
    REQUIRE(save_identity(*identity, dir / (stem + ".key")).ok());
    REQUIRE(save_public_identity(identity->public_identity(), dir / (stem + ".pub.json")).ok());
  }

  RootKey root() const {
    auto r = load_root_key(dir / "root.key", std::string_view("root pass"));
    REQUIRE(r.ok());
    return std::move(r).value();
  }

  // certify: <stem>.pub.json -> <stem>.cert.
  void certify(const std::string& stem, std::uint64_t serial, const RootKey& root) const {
    auto pub = load_public_identity(dir / (stem + ".pub.json"));
    REQUIRE(pub.ok());
    protocol::Certificate c;
    c.serial = serial;
    c.subject_id = pub->subject_id;
    c.role = pub->role;
    c.display_name = "Display " + pub->subject_id;
    c.sign_key = pub->sign_key;
    c.box_key = pub->box_key;
    c.curve_key = pub->curve_key;
    c.not_before_ms = kNow - kDay;
    c.not_after_ms = kNow + 365 * kDay;
    REQUIRE(protocol::check_certificate(c).ok());
    auto wire = protocol::encode_signed(protocol::issue_certificate(c, root));
    REQUIRE(write_public_file(dir / (stem + ".cert"), wire).ok());
  }

  // bundle: <stem>.cert files -> trust.bundle.
  void bundle(const std::vector<std::string>& stems, std::vector<std::uint64_t> revoked,
              std::uint64_t version, const RootKey& root) const {
    protocol::TrustBundle b;
    b.bundle_version = version;
    b.issued_ms = kNow;
    b.expires_ms = kNow + 30 * kDay;
    for (const auto& stem : stems) {
      auto bytes = read_file(dir / (stem + ".cert"), kMaxFile);
      REQUIRE(bytes.ok());
      auto s = protocol::decode_signed(*bytes, "certificate");
      REQUIRE(s.ok());
      b.certificates.push_back(*s);
    }
    b.revoked_serials = std::move(revoked);
    REQUIRE(write_public_file(dir / "trust.bundle", protocol::issue_trust_bundle(b, root)).ok());
  }

  protocol::Result<protocol::Trust> verify(std::uint64_t now = kNow,
                                           std::uint64_t min_version = 0,
                                           const std::string& root_pub = "root.pub") const {
    auto pk = load_root_public_key(dir / root_pub);
    REQUIRE(pk.ok());
    auto bytes = read_file(dir / "trust.bundle", kMaxFile);
    REQUIRE(bytes.ok());
    return protocol::verify_trust_bundle(*bytes, *pk, now, min_version);
  }
};

}  // namespace

TEST_CASE("trust files: certify, bundle and verify through the files") {
  Workflow w;
  auto root = w.root();
  w.certify("kent", 1, root);
  w.certify("so-1", 2, root);
  w.bundle({"kent", "so-1"}, {}, 1, root);
  auto trust = w.verify();
  REQUIRE(trust.ok());
  CHECK(trust->version() == 1);
  CHECK(trust->certificates().size() == 2);

  auto kent = load_identity(w.dir / "kent.key");
  REQUIRE(kent.ok());
  const auto* cert = trust->active_subject("kent", Role::authority, kNow);
  REQUIRE(cert != nullptr);
  CHECK(cert->sign_key == kent->sign_public_key());
  CHECK(cert->box_key == kent->box_public_key());
  CHECK(cert->curve_key == kent->curve_public_key());
  CHECK(trust->active(Role::shield_officer, kNow).size() == 1);
}

TEST_CASE("trust files: a seal to certified keys opens with identities loaded from files") {
  Workflow w;
  auto root = w.root();
  w.certify("kent", 1, root);
  w.certify("so-1", 2, root);
  w.bundle({"kent", "so-1"}, {}, 1, root);
  auto trust = w.verify();
  REQUIRE(trust.ok());
  std::vector<BoxPublicKey> recipients;
  for (const auto* c : {trust->active_subject("kent", Role::authority, kNow),
                        trust->active_subject("so-1", Role::shield_officer, kNow)}) {
    REQUIRE(c != nullptr);
    recipients.push_back(c->box_key);
  }
  const auto context = protocol::seal_context("kent", "child-1");
  const std::string secret = "7 Secretcanary Lane";
  auto blob = protocol::seal(protocol::view(secret), context, recipients, fresh_seal_randomness());
  REQUIRE(blob.ok());
  for (const char* id : {"kent", "so-1"}) {
    INFO(id);
    auto me = load_identity(w.dir / (std::string(id) + ".key"));
    REQUIRE(me.ok());
    auto opened = protocol::open(*blob, context, *me);
    REQUIRE(opened.ok());
    CHECK(std::string(opened->begin(), opened->end()) == secret);
  }
  auto stranger = Identity::from_seed("essex", Role::authority, seed(9));
  auto refused = protocol::open(*blob, context, *stranger);
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.error().code == protocol::Errc::not_a_recipient);
}

TEST_CASE("trust files: a revoked serial is reported revoked and not active") {
  Workflow w;
  auto root = w.root();
  w.certify("kent", 1, root);
  w.certify("so-1", 2, root);
  w.bundle({"kent", "so-1"}, {1}, 2, root);
  auto trust = w.verify();
  REQUIRE(trust.ok());
  CHECK(trust->is_revoked(1));
  CHECK(trust->active_subject("kent", Role::authority, kNow) == nullptr);
  CHECK(trust->active_subject("so-1", Role::shield_officer, kNow) != nullptr);
}

TEST_CASE("trust files: a rotated key — the newer serial is the active one") {
  Workflow w;
  auto root = w.root();
  w.certify("kent", 1, root);
  // Rotation (docs/keys.md): a new key file for the same subject, certified under a new serial;
  // first both certificates in force (overlap), then the old serial revoked.
  w.make_identity("kent", Role::authority, 7, "kent-2");
  w.certify("kent-2", 5, root);
  auto fresh = load_identity(w.dir / "kent-2.key");
  REQUIRE(fresh.ok());
  auto old = load_identity(w.dir / "kent.key");
  REQUIRE(old.ok());
  CHECK(fresh->sign_public_key() != old->sign_public_key());

  w.bundle({"kent", "kent-2"}, {}, 2, root);
  auto overlap = w.verify();
  REQUIRE(overlap.ok());
  CHECK(overlap->active(Role::authority, kNow).size() == 2);
  REQUIRE(overlap->active_subject("kent", Role::authority, kNow) != nullptr);
  CHECK(overlap->active_subject("kent", Role::authority, kNow)->serial == 5);

  w.bundle({"kent", "kent-2"}, {1}, 3, root);
  auto after = w.verify(kNow, 2);
  REQUIRE(after.ok());
  CHECK(after->active(Role::authority, kNow).size() == 1);
  const auto* active = after->active_subject("kent", Role::authority, kNow);
  REQUIRE(active != nullptr);
  CHECK(active->serial == 5);
  CHECK(active->sign_key == fresh->sign_public_key());
}

TEST_CASE("trust files: a bundle checked against another root's public key is refused") {
  Workflow w;
  auto root = w.root();
  w.certify("kent", 1, root);
  w.bundle({"kent"}, {}, 1, root);
  auto other = RootKey::from_seed(seed(42));
  REQUIRE(save_root_public_key(other->sign_public_key(), w.dir / "other.pub").ok());
  auto r = w.verify(kNow, 0, "other.pub");
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == protocol::Errc::bad_signature);
}

TEST_CASE("trust files: a certificate signed by another root makes the bundle forged") {
  Workflow w;
  auto root = w.root();
  auto other = RootKey::from_seed(seed(42));
  w.certify("kent", 1, root);
  w.certify("so-1", 2, *other);
  w.bundle({"kent", "so-1"}, {}, 1, root);
  auto r = w.verify();
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == protocol::Errc::forged_certificate);
}

TEST_CASE("trust files: expired, rolled back, truncated or altered bundle files are refused") {
  Workflow w;
  auto root = w.root();
  w.certify("kent", 1, root);
  w.bundle({"kent"}, {}, 4, root);
  REQUIRE(w.verify().ok());
  CHECK(w.verify(kNow + 31 * kDay).error().code == protocol::Errc::bundle_expired);
  CHECK(w.verify(kNow, 5).error().code == protocol::Errc::bundle_rolled_back);
  CHECK(w.verify(kNow, 4).ok());

  const Bytes good = read_raw(w.dir / "trust.bundle");
  write_raw(w.dir / "trust.bundle", ByteView(good.data(), good.size() - 1), 0644);
  CHECK_FALSE(w.verify().ok());
  for (std::size_t offset : {std::size_t{10}, good.size() / 2, good.size() - 1}) {
    INFO(offset);
    Bytes bad = good;
    bad[offset] ^= 0x01;
    write_raw(w.dir / "trust.bundle", bad, 0644);
    CHECK_FALSE(w.verify().ok());
  }
}
