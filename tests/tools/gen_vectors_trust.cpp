// Regenerates the shield sealing, certificate and trust bundle vectors (docs/PROTOCOL.md §11):
// protocol/vectors/{valid,invalid}_{seal,certificate,trust_bundle}.json, from fixed seeds and
// fixed seal randomness, so the output is identical on every run.
// Usage: aegis_gen_vectors_trust [output-dir]   (default: the source tree's protocol/vectors)
#include <cstdint>
#include <exception>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "../protocol/trust_fixtures.hpp"
#include "aegis/protocol/codec.hpp"
#include "test_support.hpp"

using namespace aegis::protocol;
using namespace aegis::test;
using namespace aegis::test::fixtures;
using json = nlohmann::ordered_json;

namespace {

template <std::size_t N>
std::string hex(const ByteArray<N>& a) { return to_hex(ByteView(a.data(), N)); }
std::string hex(ByteView b) { return to_hex(b); }
Bytes bytes_of(std::string_view s) { return Bytes(s.begin(), s.end()); }
std::string name_of(Errc e) { return std::string(errc_name(e)); }

void write_json(const std::filesystem::path& dir, const std::string& file, const json& j) {
  std::ofstream out(dir / file, std::ios::trunc);
  out << j.dump(2) << "\n";
  out.close();
  if (!out) throw std::runtime_error("cannot write " + (dir / file).string());
  std::cout << "wrote " << (dir / file).string() << " (" << j["cases"].size() << " cases)\n";
}

// Removes the byte at `at` and inserts `with` there (to build non-shortest forms).
Bytes splice(const Bytes& b, std::size_t at, std::size_t remove, const Bytes& with) {
  Bytes out(b.begin(), b.begin() + static_cast<std::ptrdiff_t>(at));
  out.insert(out.end(), with.begin(), with.end());
  out.insert(out.end(), b.begin() + static_cast<std::ptrdiff_t>(at + remove), b.end());
  return out;
}

// A version-2 value: `b` (a fixarray starting with version 1) given the fixarray header
// `header` (one more element), version 2 and a trailing nil as the extra field. Decoders read the
// version first (§10), so this is unknown_version, not malformed.
Bytes with_extra_field(const Bytes& b, std::uint8_t header) {
  Bytes out = splice(b, 0, 2, {header, 0x02});
  out.push_back(0xc0);
  return out;
}

json root_keys() {
  SeedSigner root(seed(kRootSeed)), other(seed(kOtherRootSeed));
  return {{"root", {{"seed", hex(seed(kRootSeed))}, {"sign_public", hex(root.sign_public_key())}}},
          {"other_root",
           {{"seed", hex(seed(kOtherRootSeed))}, {"sign_public", hex(other.sign_public_key())}}}};
}

// ---- §5 shield sealing ----------------------------------------------------------------------

// Box keys of the seal vectors, by name: secret scalar = seed(byte), public = X25519_base.
struct NamedKey {
  const char* name;
  std::uint8_t seed_byte;
};
const NamedKey kSealKeys[] = {{"authority", 0x11}, {"officer", 0x14}, {"stranger", 0x12}};

BoxPublicKey box_public(std::string_view name) {
  for (const NamedKey& k : kSealKeys)
    if (name == k.name) return box_keys(k.seed_byte).box_public_key();
  throw std::runtime_error("no seal key " + std::string(name));
}

json seal_keys() {
  json keys = json::object();
  for (const NamedKey& k : kSealKeys)
    keys[k.name] = {{"box_secret", hex(seed(k.seed_byte))},
                    {"box_public", hex(box_keys(k.seed_byte).box_public_key())}};
  return keys;
}

struct SealInput {
  std::string name;
  Bytes plaintext;
  std::vector<BoxPublicKey> recipients;
  std::uint8_t randomness = 0x40;  // fixed_randomness(byte)
  std::string authority_id = "kent";
  std::string record_id = "child-s";
  bool child_details = false;  // the plaintext is a canonical ChildDetails (§3)
};

json seal_inputs(const SealInput& in) {
  const SealRandomness rnd = fixed_randomness(in.randomness);
  json recipients = json::array();
  for (const BoxPublicKey& r : in.recipients) recipients.push_back(hex(r));
  return {{"name", in.name},
          {"authority_id", in.authority_id},
          {"record_id", in.record_id},
          {"context", hex(seal_context(in.authority_id, in.record_id))},
          {"plaintext", hex(in.plaintext)},
          {"ephemeral_secret", hex(rnd.ephemeral_secret)},
          {"content_key", hex(rnd.content_key)},
          {"nonce", hex(rnd.nonce)},
          {"recipients", recipients}};
}

SealedBlob seal_or_throw(const SealInput& in) {
  auto blob = seal(in.plaintext, seal_context(in.authority_id, in.record_id), in.recipients,
                   fixed_randomness(in.randomness));
  if (!blob) throw std::runtime_error(in.name + ": " + blob.error().message());
  return *blob;
}

// A valid case: the inputs, the intermediate values of §5.3, the expected bytes, who opens.
json valid_seal_case(const SealInput& in, const std::vector<std::string>& openers) {
  const SealedBlob blob = seal_or_throw(in);
  const SealRandomness rnd = fixed_randomness(in.randomness);
  json keks = json::array();
  for (const BoxPublicKey& r : in.recipients) {
    ByteArray<32> shared{};
    if (crypto_scalarmult(shared.data(), rnd.ephemeral_secret.data(), r.data()) != 0)
      throw std::runtime_error(in.name + ": small-order recipient");
    keks.push_back(hex(spec_kek(shared, blob.ephemeral, r)));
  }
  json c = seal_inputs(in);
  c["plaintext_format"] = in.child_details ? "child_details" : "bytes";
  c["ephemeral_public"] = hex(blob.ephemeral);
  c["keks"] = keks;
  c["sealed"] = hex(encode_sealed_blob(blob));
  c["openers"] = openers;
  return c;
}

SealInput text_input() {
  return {"text for the authority and a shield officer",
          bytes_of("7 Secretcanary Lane, Leeds LS1 4ZZ"),
          {box_public("authority"), box_public("officer")}};
}

json valid_seal() {
  json cases = json::array();
  cases.push_back(valid_seal_case(text_input(), {"authority", "officer"}));
  cases.push_back(valid_seal_case(
      {"empty plaintext for one recipient", {}, {box_public("officer")}, 0x60}, {"officer"}));
  SealInput details{"a shielded child's ChildDetails (§3) for the authority and a shield officer",
                    encode_child_details(sample_shielded_child("child-s").details),
                    {box_public("authority"), box_public("officer")}};
  details.child_details = true;
  cases.push_back(valid_seal_case(details, {"authority", "officer"}));
  SealInput sixteen{"sixteen recipients (array16 header)", bytes_of("canary"),
                    {box_public("authority"), box_public("officer")}, 0x70};
  for (std::uint8_t i = 0; i < 14; ++i)
    sixteen.recipients.push_back(box_keys(static_cast<std::uint8_t>(0x50 + i)).box_public_key());
  cases.push_back(valid_seal_case(sixteen, {"authority", "officer"}));
  return {{"description",
           "Shield sealing (docs/PROTOCOL.md §5). For each case: seal(plaintext, context, "
           "recipients, randomness) MUST produce `sealed` exactly; `keks` are the per-recipient "
           "key-encryption keys of §5.3 in recipient order; every key named in `openers` MUST "
           "open `sealed` under `context` to `plaintext`, which for plaintext_format "
           "\"child_details\" is a canonical ChildDetails (§3). Keys: X25519 secret scalars and "
           "public keys, hex."},
          {"keys", seal_keys()},
          {"cases", cases}};
}

json invalid_seal_refused(SealInput in, Errc error) {
  json c = seal_inputs(in);
  c["operation"] = "seal";
  c["error"] = name_of(error);
  return c;
}

json invalid_seal_open(const std::string& name, const Bytes& sealed, const Bytes& context,
                       const std::string& opener, Errc error) {
  return {{"name", name},         {"operation", "open"}, {"context", hex(context)},
          {"sealed", hex(sealed)}, {"opener", opener},    {"error", name_of(error)}};
}

json invalid_seal() {
  json cases = json::array();
  const std::vector<BoxPublicKey> small = small_order_keys();
  const BoxPublicKey authority = box_public("authority"), officer = box_public("officer");
  const Bytes text = bytes_of("canary");
  cases.push_back(invalid_seal_refused(
      {"recipient key 0 (small order)", text, {authority, small[0]}}, Errc::invalid_field));
  cases.push_back(invalid_seal_refused(
      {"recipient key of order 8", text, {authority, small[2]}}, Errc::invalid_field));
  cases.push_back(invalid_seal_refused(
      {"the same recipient twice", text, {authority, officer, authority}}, Errc::invalid_field));
  cases.push_back(invalid_seal_refused({"no recipients", text, {}}, Errc::invalid_field));
  SealInput seventeen{"seventeen recipients", text, {}};
  for (std::uint8_t i = 0; i < 17; ++i)
    seventeen.recipients.push_back(box_keys(static_cast<std::uint8_t>(0x50 + i)).box_public_key());
  cases.push_back(invalid_seal_refused(seventeen, Errc::invalid_field));

  const SealInput in = text_input();
  const SealedBlob good = seal_or_throw(in);
  const Bytes context = seal_context(in.authority_id, in.record_id);
  auto open_case = [&](const std::string& name, const std::function<void(SealedBlob&)>& edit,
                       const std::string& opener, Errc error) {
    SealedBlob b = good;
    edit(b);
    cases.push_back(invalid_seal_open(name, encode_sealed_blob(b), context, opener, error));
  };
  auto none = [](SealedBlob&) {};
  open_case("a key that is not a recipient", none, "stranger", Errc::not_a_recipient);
  open_case("the officer's wrapped key has one bit flipped",
            [](SealedBlob& b) { b.recipients[1].wrapped_key[0] ^= 0x01; }, "officer",
            Errc::seal_corrupt);
  open_case("the officer's entry carries the authority's wrapped key",
            [](SealedBlob& b) { b.recipients[1].wrapped_key = b.recipients[0].wrapped_key; },
            "officer", Errc::seal_corrupt);
  open_case("the ephemeral key has one bit flipped",
            [](SealedBlob& b) { b.ephemeral[7] ^= 0x10; }, "authority", Errc::seal_corrupt);
  open_case("the ephemeral key has small order", [&](SealedBlob& b) { b.ephemeral = small[0]; },
            "authority", Errc::seal_corrupt);
  open_case("the nonce has one bit flipped", [](SealedBlob& b) { b.nonce[0] ^= 0x01; },
            "authority", Errc::seal_corrupt);
  open_case("the ciphertext has one bit flipped",
            [](SealedBlob& b) { b.ciphertext[3] ^= 0x04; }, "officer", Errc::seal_corrupt);
  open_case("the tag is cut off", [](SealedBlob& b) { b.ciphertext.resize(16); }, "officer",
            Errc::seal_corrupt);
  cases.push_back(invalid_seal_open("the context names another record", encode_sealed_blob(good),
                                    seal_context("kent", "child-t"), "officer",
                                    Errc::seal_corrupt));
  cases.push_back(invalid_seal_open("the context names another authority",
                                    encode_sealed_blob(good), seal_context("leeds", "child-s"),
                                    "authority", Errc::seal_corrupt));
  // Decoding rules (§5.5): refused before any key is used.
  open_case("no recipients", [](SealedBlob& b) { b.recipients.clear(); }, "authority",
            Errc::invalid_field);
  open_case("a recipient listed twice",
            [](SealedBlob& b) { b.recipients.push_back(b.recipients[0]); }, "authority",
            Errc::invalid_field);
  open_case("seventeen recipient entries",
            [](SealedBlob& b) {
              for (std::uint8_t i = 0; b.recipients.size() < 17; ++i)
                b.recipients.push_back({box_keys(static_cast<std::uint8_t>(0x50 + i)).box_public_key(), {}});
            },
            "authority", Errc::too_large);
  open_case("a ciphertext shorter than the tag", [](SealedBlob& b) { b.ciphertext.resize(15); },
            "authority", Errc::invalid_field);
  const Bytes wire = encode_sealed_blob(good);
  cases.push_back(invalid_seal_open("version 2", splice(wire, 1, 1, {0x02}), context, "authority",
                                    Errc::unknown_version));
  cases.push_back(invalid_seal_open("version 2 with a sixth field", with_extra_field(wire, 0x96),
                                    context, "authority", Errc::unknown_version));
  const std::size_t ct_at = wire.size() - good.ciphertext.size() - 2;
  cases.push_back(invalid_seal_open("the ciphertext length as bin16, not the shortest bin8",
                                    splice(wire, ct_at, 2, {0xc5, 0x00, wire[ct_at + 1]}),
                                    context, "authority", Errc::non_canonical));
  Bytes short_nonce{0xc4, 0x17};  // bin8 of 23 bytes where the 26-byte nonce field was
  short_nonce.resize(2 + 23);
  cases.push_back(invalid_seal_open("the nonce as 23 bytes", splice(wire, 36, 26, short_nonce),
                                    context, "authority", Errc::invalid_field));
  Bytes trailing = wire;
  trailing.push_back(0xc0);
  cases.push_back(invalid_seal_open("a byte after the value", trailing, context, "authority",
                                    Errc::trailing_bytes));
  cases.push_back(invalid_seal_open("the last byte missing", Bytes(wire.begin(), wire.end() - 1),
                                    context, "authority", Errc::truncated));
  cases.push_back(invalid_seal_open("a map instead of the array", {0x81, 0x01, 0x02}, context,
                                    "authority", Errc::malformed));
  return {{"description",
           "Shield sealing (docs/PROTOCOL.md §5), refused inputs. operation \"seal\": seal() with "
           "these inputs MUST fail with `error`. operation \"open\": decoding `sealed` and opening "
           "it under `context` with the key named `opener` MUST fail with `error` (a decoding "
           "error where the bytes break §5.5)."},
          {"keys", seal_keys()},
          {"cases", cases}};
}

// ---- §7 certificates ------------------------------------------------------------------------

json certificate_json(const Certificate& c) {
  return {{"serial", c.serial},
          {"subject_id", c.subject_id},
          {"role", static_cast<int>(c.role)},
          {"role_name", std::string(role_name(c.role))},
          {"display_name", c.display_name},
          {"contact_route", c.contact_route},
          {"sign_key", hex(c.sign_key)},
          {"box_key", hex(c.box_key)},
          {"curve_key", hex(c.curve_key)},
          {"not_before_ms", c.not_before_ms},
          {"not_after_ms", c.not_after_ms}};
}

json valid_certificate() {
  const SeedSigner root(seed(kRootSeed));
  json cases = json::array();
  auto add = [&](const std::string& name, const Certificate& c) {
    cases.push_back({{"name", name},
                     {"certificate", certificate_json(c)},
                     {"body", hex(encode_certificate(c))},
                     {"signed", hex(encode_signed(issue_certificate(c, root)))}});
  };
  const std::vector<Certificate> certs = sample_certificates();
  add("a local authority", certs[0]);
  add("the national index", certs[2]);
  add("a shield officer, no contact route", certs[3]);
  Certificate limits = make_certificate(UINT64_MAX, "a-" + std::string(28, '0') + "-z",
                                        Role::authority, 0x17);
  limits.display_name.clear();
  for (int i = 0; i < 100; ++i) limits.display_name += "\xc3\xb4";  // "ô": 200 bytes of UTF-8
  limits.contact_route = std::string(200, 'r');
  limits.not_before_ms = 0;
  limits.not_after_ms = UINT64_MAX;
  add("every field at its limit", limits);
  return {{"description",
           "Certificates (docs/PROTOCOL.md §7). For each case: encode(certificate) MUST equal "
           "`body`; the root (keys.root, Ed25519 seed) signing it under \"AEGIS-CERTIFICATE-V1\" "
           "MUST give `signed` (the Signed wrapper of §4); verifying `signed` against "
           "keys.root.sign_public MUST give back `certificate`."},
          {"keys", root_keys()},
          {"cases", cases}};
}

json invalid_certificate() {
  const SeedSigner root(seed(kRootSeed)), other(seed(kOtherRootSeed));
  const Certificate good = sample_certificates()[0];
  json cases = json::array();
  auto add_signed = [&](const std::string& name, const Bytes& signed_bytes, Errc error) {
    cases.push_back({{"name", name}, {"signed", hex(signed_bytes)}, {"error", name_of(error)}});
  };
  // A body the root really signed, so only the rule under test can fail.
  auto add_body = [&](const std::string& name, Bytes body, Errc error) {
    add_signed(name, encode_signed(sign_body(std::move(body), kDomainCertificate, root)), error);
  };
  auto add_rule = [&](const std::string& name, const std::function<void(Certificate&)>& edit,
                      Errc error) {
    Certificate c = good;
    edit(c);
    add_body(name, encode_certificate(c), error);
  };
  add_signed("signed by another root", encode_signed(issue_certificate(good, other)),
             Errc::forged_certificate);
  Signed changed = issue_certificate(good, root);
  changed.body.back() ^= 0x01;
  add_signed("the body changed after signing", encode_signed(changed), Errc::forged_certificate);
  add_signed("signed under the trust bundle domain",
             encode_signed(sign_body(encode_certificate(good), kDomainTrustBundle, root)),
             Errc::forged_certificate);
  add_rule("serial 0", [](Certificate& c) { c.serial = 0; }, Errc::invalid_field);
  add_rule("subject id with capitals", [](Certificate& c) { c.subject_id = "Kent"; },
           Errc::invalid_field);
  add_rule("subject id starting with '-'", [](Certificate& c) { c.subject_id = "-kent"; },
           Errc::invalid_field);
  add_rule("empty subject id", [](Certificate& c) { c.subject_id.clear(); }, Errc::invalid_field);
  add_rule("subject id of 33 bytes", [](Certificate& c) { c.subject_id = std::string(33, 'k'); },
           Errc::too_large);
  add_rule("role 0", [](Certificate& c) { c.role = static_cast<Role>(0); }, Errc::invalid_field);
  add_rule("role 4", [](Certificate& c) { c.role = static_cast<Role>(4); }, Errc::invalid_field);
  add_rule("empty display name", [](Certificate& c) { c.display_name.clear(); },
           Errc::invalid_field);
  add_rule("display name of 201 bytes",
           [](Certificate& c) { c.display_name = std::string(201, 'x'); }, Errc::too_large);
  add_rule("display name not UTF-8", [](Certificate& c) { c.display_name = "Kent \xc3"; },
           Errc::invalid_field);
  add_rule("contact route with a NUL byte",
           [](Certificate& c) { c.contact_route = std::string("a\0b", 3); }, Errc::invalid_field);
  add_rule("not_after_ms equal to not_before_ms",
           [](Certificate& c) { c.not_after_ms = c.not_before_ms; }, Errc::invalid_field);
  add_rule("not_after_ms before not_before_ms",
           [](Certificate& c) { c.not_after_ms = c.not_before_ms - 1; }, Errc::invalid_field);
  const Bytes body = encode_certificate(good);
  add_body("version 2", splice(body, 1, 1, {0x02}), Errc::unknown_version);
  add_body("version 2 with a twelfth field", with_extra_field(body, 0x9c), Errc::unknown_version);
  add_body("serial 1 as uint8, not the shortest fixint", splice(body, 2, 1, {0xcc, 0x01}),
           Errc::non_canonical);
  Writer ten;
  ten.array(10);
  for (int i = 0; i < 10; ++i) ten.uint(1);
  add_body("10 elements", ten.take(), Errc::malformed);
  Writer short_key;
  short_key.array(11);
  short_key.uint(1);
  short_key.uint(1);
  short_key.str("kent");
  short_key.uint(1);
  short_key.str("Kent");
  short_key.str("");
  short_key.bin(good.sign_key);
  short_key.bin(ByteArray<31>{});
  short_key.bin(good.curve_key);
  short_key.uint(1);
  short_key.uint(2);
  add_body("a 31-byte box key", short_key.take(), Errc::invalid_field);
  Bytes wire = encode_signed(issue_certificate(good, root));
  Bytes trailing = wire;
  trailing.push_back(0x00);
  add_signed("a byte after the Signed wrapper", trailing, Errc::trailing_bytes);
  add_signed("the signature cut to 63 bytes",
             splice(Bytes(wire.begin(), wire.end() - 1), wire.size() - 65, 1, {63}),
             Errc::invalid_field);
  return {{"description",
           "Certificates (docs/PROTOCOL.md §7), refused inputs. Decoding `signed` as a Signed "
           "wrapper (§4) and verifying it against keys.root.sign_public MUST fail with "
           "`error`. Cases with a rule error carry bodies the root really signed."},
          {"keys", root_keys()},
          {"cases", cases}};
}

// ---- §8 trust bundle ------------------------------------------------------------------------

json serials_of(const std::vector<const Certificate*>& certs) {
  json out = json::array();
  for (const Certificate* c : certs) out.push_back(c->serial);
  return out;
}

json valid_trust_bundle() {
  const SeedSigner root(seed(kRootSeed));
  json cases = json::array();
  auto add = [&](const std::string& name, const TrustBundle& b, std::uint64_t now_ms,
                 std::uint64_t min_version) {
    const Bytes wire = issue_trust_bundle(b, root);
    auto trust = verify_trust_bundle(wire, root.sign_public_key(), now_ms, min_version);
    if (!trust) throw std::runtime_error(name + ": " + trust.error().message());
    json serials = json::array();
    for (const Certificate& c : trust->certificates()) serials.push_back(c.serial);
    cases.push_back({{"name", name},
                     {"now_ms", now_ms},
                     {"min_version", min_version},
                     {"bundle", hex(wire)},
                     {"bundle_version", b.bundle_version},
                     {"issued_ms", b.issued_ms},
                     {"expires_ms", b.expires_ms},
                     {"certificate_serials", serials},
                     {"revoked_serials", b.revoked_serials},
                     {"active",
                      {{"authority", serials_of(trust->active(Role::authority, now_ms))},
                       {"index", serials_of(trust->active(Role::index, now_ms))},
                       {"shield_officer",
                        serials_of(trust->active(Role::shield_officer, now_ms))}}}});
  };
  const std::vector<Certificate> certs = sample_certificates();
  add("two authorities, the index and a shield officer", make_bundle(certs, root, 7), kNowMs, 7);
  add("serials 2 and 40 revoked", make_bundle(certs, root, 8, {2, 40}), kNowMs, 7);
  add("no certificates", make_bundle({}, root, 1), kNowMs, 0);
  TrustBundle b = make_bundle(certs, root, 7);
  add("verified at exactly expires_ms", b, b.expires_ms, 0);
  return {{"description",
           "Trust bundles (docs/PROTOCOL.md §8). For each case: verifying `bundle` against "
           "keys.root.sign_public at `now_ms` with `min_version` MUST succeed with these fields; "
           "`active` lists, per role, the serials of certificates unrevoked and valid at now_ms. "
           "The bundles are the exact bytes issue_trust_bundle produces from the fixed seeds."},
          {"keys", root_keys()},
          {"cases", cases}};
}

json invalid_trust_bundle() {
  const SeedSigner root(seed(kRootSeed)), other(seed(kOtherRootSeed));
  const std::vector<Certificate> certs = sample_certificates();
  const TrustBundle good = make_bundle(certs, root, 7);
  json cases = json::array();
  auto add_wire = [&](const std::string& name, const Bytes& wire, Errc error,
                      std::uint64_t now_ms = kNowMs, std::uint64_t min_version = 0) {
    cases.push_back({{"name", name},
                     {"now_ms", now_ms},
                     {"min_version", min_version},
                     {"bundle", hex(wire)},
                     {"error", name_of(error)}});
  };
  // Body bytes the root really signed, so only the rule under test can fail.
  auto add_body = [&](const std::string& name, Bytes body, Errc error) {
    add_wire(name, encode_signed(sign_body(std::move(body), kDomainTrustBundle, root)), error);
  };
  auto add_rule = [&](const std::string& name, const std::function<void(TrustBundle&)>& edit,
                      Errc error) {
    TrustBundle b = good;
    edit(b);
    add_body(name, encode_trust_bundle_body(b), error);
  };
  const Bytes wire = issue_trust_bundle(good, root);
  add_wire("expired one millisecond ago", wire, Errc::bundle_expired, good.expires_ms + 1);
  add_wire("version 7 after version 8 was accepted", wire, Errc::bundle_rolled_back, kNowMs, 8);
  add_wire("signed by another root", issue_trust_bundle(good, other), Errc::bad_signature);
  auto s = decode_signed(wire, "trust_bundle");
  Signed changed = s.value();
  changed.body[2] ^= 0x01;
  add_wire("the body changed after signing", encode_signed(changed), Errc::bad_signature);
  add_wire("signed under the certificate domain",
           encode_signed(sign_body(encode_trust_bundle_body(good), kDomainCertificate, root)),
           Errc::bad_signature);
  add_rule("a certificate signed by another root",
           [&](TrustBundle& b) { b.certificates[2] = issue_certificate(certs[2], other); },
           Errc::forged_certificate);
  add_rule("two certificates with serial 2",
           [&](TrustBundle& b) {
             b.certificates.push_back(
                 issue_certificate(make_certificate(2, "surrey", Role::authority, 0x15), root));
           },
           Errc::invalid_field);
  add_rule("a certificate whose body breaks §7",
           [&](TrustBundle& b) {
             Certificate bad = make_certificate(9, "Bad Id", Role::authority, 0x19);
             b.certificates.push_back(sign_body(encode_certificate(bad), kDomainCertificate, root));
           },
           Errc::invalid_field);
  add_rule("revoked serials not ascending", [](TrustBundle& b) { b.revoked_serials = {5, 3}; },
           Errc::invalid_field);
  add_rule("a revoked serial repeated", [](TrustBundle& b) { b.revoked_serials = {3, 3}; },
           Errc::invalid_field);
  add_rule("revoked serial 0", [](TrustBundle& b) { b.revoked_serials = {0}; },
           Errc::invalid_field);
  add_rule("expires_ms equal to issued_ms", [](TrustBundle& b) { b.expires_ms = b.issued_ms; },
           Errc::invalid_field);
  add_rule("bundle_version 0", [](TrustBundle& b) { b.bundle_version = 0; }, Errc::invalid_field);
  const Bytes body = encode_trust_bundle_body(good);
  add_body("version 2", splice(body, 1, 1, {0x02}), Errc::unknown_version);
  add_body("version 2 with a seventh field", with_extra_field(body, 0x97), Errc::unknown_version);
  add_body("bundle_version 7 as uint8, not the shortest fixint", splice(body, 2, 1, {0xcc, 0x07}),
           Errc::non_canonical);
  add_wire("the body length as bin32, not the shortest bin16", splice(wire, 1, 1, {0xc6, 0x00, 0x00}),
           Errc::non_canonical);
  add_wire("the last byte missing", Bytes(wire.begin(), wire.end() - 1), Errc::truncated);
  Bytes trailing = wire;
  trailing.push_back(0xc0);
  add_wire("a byte after the value", trailing, Errc::trailing_bytes);
  return {{"description",
           "Trust bundles (docs/PROTOCOL.md §8), refused inputs. Verifying `bundle` against "
           "keys.root.sign_public at `now_ms` with `min_version` MUST fail with `error`. Cases "
           "with a rule error carry bodies the root really signed."},
          {"keys", root_keys()},
          {"cases", cases}};
}

}  // namespace

int main(int argc, char** argv) {
  try {
    const std::filesystem::path dir = argc > 1 ? argv[1] : AEGIS_VECTORS_DIR;
    std::filesystem::create_directories(dir);
    write_json(dir, "valid_seal.json", valid_seal());
    write_json(dir, "invalid_seal.json", invalid_seal());
    write_json(dir, "valid_certificate.json", valid_certificate());
    write_json(dir, "invalid_certificate.json", invalid_certificate());
    write_json(dir, "valid_trust_bundle.json", valid_trust_bundle());
    write_json(dir, "invalid_trust_bundle.json", invalid_trust_bundle());
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "gen_vectors_trust: " << e.what() << "\n";
    return 1;
  }
}
