// Shared test helpers (see test_support.hpp).
#include "test_support.hpp"

#include <cstdlib>
#include <fstream>
#include <stdexcept>

#include <sodium.h>

namespace aegis::test {

TempDir::TempDir(const std::string& prefix) {
  const char* base = std::getenv("TMPDIR");
  std::string tmpl = std::string(base && *base ? base : "/tmp") + "/" + prefix + "-XXXXXX";
  std::vector<char> buf(tmpl.begin(), tmpl.end());
  buf.push_back('\0');
  if (mkdtemp(buf.data()) == nullptr) throw std::runtime_error("mkdtemp failed for " + tmpl);
  path_ = buf.data();
}

TempDir::~TempDir() {
  const char* k = std::getenv("AEGIS_KEEP_TEST_DATA");
  if (keep_ || (k && std::string(k) == "1")) return;
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

ByteArray<32> seed(std::uint8_t b) {
  ByteArray<32> s;
  s.fill(b);
  return s;
}

SeedSigner::SeedSigner(const ByteArray<32>& s) {
  if (sodium_init() < 0) throw std::runtime_error("sodium_init failed");
  crypto_sign_seed_keypair(pk_.data(), sk_.data(), s.data());
}

protocol::Signature SeedSigner::sign(ByteView message) const {
  protocol::Signature sig{};
  crypto_sign_detached(sig.data(), nullptr, message.data(), message.size(), sk_.data());
  return sig;
}

SeedKeyAgreement::SeedKeyAgreement(const ByteArray<32>& secret) : sk_(secret) {
  if (sodium_init() < 0) throw std::runtime_error("sodium_init failed");
  crypto_scalarmult_base(pk_.data(), sk_.data());
}

std::optional<ByteArray<32>> SeedKeyAgreement::agree(const protocol::BoxPublicKey& peer) const {
  ByteArray<32> out{};
  if (crypto_scalarmult(out.data(), sk_.data(), peer.data()) != 0) return std::nullopt;
  return out;
}

protocol::MatchToken SeedTokenizer::token(ByteView input) const {
  if (sodium_init() < 0) throw std::runtime_error("sodium_init failed");
  protocol::MatchToken out{};
  crypto_generichash(out.data(), out.size(), input.data(), input.size(), key_.data(), key_.size());
  return out;
}

const SeedTokenizer& test_tokenizer() {
  static const SeedTokenizer tokenizer(seed(kMatchingKeySeed));
  return tokenizer;
}

protocol::ChildRecord sample_child(const std::string& record_id) {
  using namespace protocol;
  ChildRecord r;
  r.record_id = record_id;
  r.identity.name = {"Amelia", "Rose", "Hartley"};
  r.identity.former_names = {{"Amelia", "", "Brookes"}};
  r.identity.gender = Gender::female;
  r.identity.date_of_birth = *Date::parse("2015-03-14");
  r.details.address = Address{{"12 Canaryfield Road", "Maidstone"}, "ME14 1XX"};
  r.details.upn = "A123456789012";
  r.details.uln = "1234567890";
  r.details.nhs_number = "9434765919";
  Contact mum;
  mum.name = {"Claire", "", "Hartley"};
  mum.relationship = "mother";
  mum.parental_responsibility = true;
  mum.phones = {"07700 900123"};
  mum.address_as_child = true;
  r.details.contacts = {mum};
  Involvement school;
  school.kind = InvolvementKind::educational_setting;
  school.organisation = "Canaryfield Primary School";
  school.organisation_id = "118000";
  school.role = "class teacher";
  school.practitioner = "Mr Canary Teacher";
  school.phone = "01622 000000";
  school.start = *Date::parse("2019-09-04");
  school.lead_professional = true;
  school.assessment_completed = true;
  r.details.involvements = {school};
  return r;
}

protocol::ChildRecord sample_shielded_child(const std::string& record_id) {
  using namespace protocol;
  ChildRecord r = sample_child(record_id);
  r.identity.name = {"Noah", "", "Whitfield"};
  r.identity.former_names.clear();
  r.identity.gender = Gender::male;
  r.identity.date_of_birth = *Date::parse("2017-11-02");
  r.details.address = Address{{"7 Secretcanary Lane", "Leeds"}, "LS1 4ZZ"};
  r.details.contacts[0].name = {"Sarah", "", "Whitfield"};
  r.details.contacts[0].phones = {"07700 900999"};
  r.details.involvements[0].organisation = "Hiddencanary Academy";
  r.details.shield = Shield{1, "SO-0042", *Date::parse("2024-06-01")};
  return r;
}

nlohmann::json load_json(const std::filesystem::path& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot open " + path.string());
  return nlohmann::json::parse(in);
}

bool contains_bytes(ByteView haystack, std::string_view needle) {
  if (needle.empty() || haystack.size() < needle.size()) return needle.empty();
  auto it = std::search(haystack.begin(), haystack.end(), needle.begin(), needle.end(),
                        [](std::uint8_t a, char b) { return a == static_cast<std::uint8_t>(b); });
  return it != haystack.end();
}

}  // namespace aegis::test
