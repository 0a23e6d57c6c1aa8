// Writes the audit entry and checkpoint test vectors (docs/PROTOCOL.md §11.5) from fixed seeds:
//   protocol/vectors/valid_audit.json, invalid_audit.json.
// Usage: aegis_gen_vectors_audit [OUTPUT_DIR]   (default: the source tree's protocol/vectors)
// The output is deterministic, and every case is checked against this implementation before it
// is written; tests/protocol/vectors_audit_test.cpp checks the committed files. The trust the
// checkpoints verify against is that of valid_feed.json (its certificates and revoked serials).
#include <cstdint>
#include <exception>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "../protocol/audit_fixtures.hpp"
#include "aegis/protocol/signed.hpp"
#include "test_support.hpp"

using namespace aegis::protocol;
using namespace aegis::test::audit_fixtures;
using aegis::test::seed;
using aegis::test::SeedSigner;
using json = nlohmann::ordered_json;

namespace {

template <std::size_t N>
std::string hex(const ByteArray<N>& b) { return to_hex(ByteView(b.data(), N)); }
std::string hex(ByteView b) { return to_hex(b); }

json hash_list(const std::vector<MerkleHash>& hashes) {
  json out = json::array();
  for (const MerkleHash& h : hashes) out.push_back(hex(h));
  return out;
}

void require(bool ok, const std::string& what) {
  if (!ok) throw std::runtime_error("vector check failed: " + what);
}

json entry_json(const std::string& name, const AuditEntry& e) {
  const Bytes bytes = encode_audit_entry(e);
  auto back = decode_audit_entry(bytes);
  require(back.ok() && *back == e, name + " round trip");
  json records = json::array();
  for (const AuditRecordRef& r : e.records) records.push_back({r.authority_id, r.record_id});
  return {{"name", name},
          {"entry_hex", hex(bytes)},
          {"leaf_hash_hex", hex(audit_leaf_hash(bytes))},
          {"timestamp_ms", e.timestamp_ms},
          {"action", static_cast<int>(e.action)},
          {"action_name", std::string(audit_action_name(e.action))},
          {"actor", e.actor},
          {"authority_id", e.authority_id ? json(*e.authority_id) : json(nullptr)},
          {"purpose", e.purpose},
          {"records", records},
          {"query_digest_hex", e.query_digest ? json(hex(*e.query_digest)) : json(nullptr)},
          {"detail", e.detail}};
}

json valid_audit() {
  const Trust trust = aegis::test::feed_fixtures::make_feed_trust();
  json entries = json::array();
  for (const AuditEntry& e : sample_entries())
    entries.push_back(entry_json(std::string(audit_action_name(e.action)), e));
  entries.push_back(entry_json("query_refused", sample_refused_entry()));
  const auto leaves = sample_leaves();
  json roots = json::array();
  for (std::uint64_t n = 0; n <= leaves.size(); ++n)
    roots.push_back({{"size", n}, {"root_hex", hex(merkle_root(leaves, n))}});
  json checkpoints = json::array();
  for (std::uint64_t size : {std::uint64_t{3}, std::uint64_t{5}}) {
    const Checkpoint c = sample_checkpoint(size);
    const Bytes wire = sign_checkpoint(c, SeedSigner(seed(kIndexSeed)));
    auto verified = verify_checkpoint(wire, trust, kNowMs);
    require(verified.ok() && *verified == c, "checkpoint " + std::to_string(size));
    checkpoints.push_back({{"name", "checkpoint of " + std::to_string(size) + " entries"},
                           {"now_ms", kNowMs},
                           {"checkpoint_hex", hex(wire)},
                           {"body_hex", hex(encode_checkpoint_body(c))},
                           {"tree_size", c.tree_size},
                           {"root_hex", hex(c.root_hash)},
                           {"timestamp_ms", c.timestamp_ms},
                           {"signer_serial", c.signer_serial}});
  }
  const auto inclusion = inclusion_proof(leaves, 1, 5);
  require(verify_inclusion(leaves[1], 1, 5, inclusion, merkle_root(leaves, 5)), "inclusion");
  const auto consistency = consistency_proof(leaves, 3, 5);
  require(verify_consistency(3, merkle_root(leaves, 3), 5, merkle_root(leaves, 5), consistency),
          "consistency");
  return {{"description",
           "Audit entries (section 15.2) of every action, the tree heads over them, checkpoints "
           "(section 15.3) of 3 and 5 entries signed by the index (seed 13, serial 3) and proofs. "
           "Trust: the certificates and revoked_serials of valid_feed.json."},
          {"entries", entries},
          {"roots", roots},
          {"checkpoints", checkpoints},
          {"inclusion", {{"index", 1}, {"size", 5}, {"proof_hex", hash_list(inclusion)}}},
          {"consistency",
           {{"old_size", 3}, {"new_size", 5}, {"proof_hex", hash_list(consistency)}}}};
}

json invalid_entry(const std::string& name, const Bytes& bytes, Errc code,
                   const std::string& path) {
  auto r = decode_audit_entry(bytes);
  require(!r.ok() && r.error().code == code, name + ": got " +
                                                 (r.ok() ? "ok" : r.error().message()));
  require(r.error().detail.rfind(path, 0) == 0, name + ": path " + r.error().detail);
  return {{"name", name}, {"entry_hex", hex(bytes)}, {"error", std::string(errc_name(code))},
          {"path", path}};
}

json invalid_checkpoint(const std::string& name, const Bytes& wire, Errc code) {
  const Trust trust = aegis::test::feed_fixtures::make_feed_trust();
  auto r = verify_checkpoint(wire, trust, kNowMs);
  require(!r.ok() && r.error().code == code, name + ": got " +
                                                 (r.ok() ? "ok" : r.error().message()));
  return {{"name", name}, {"now_ms", kNowMs}, {"checkpoint_hex", hex(wire)},
          {"error", std::string(errc_name(code))}};
}

Bytes signed_body(const Bytes& body, std::string_view domain, std::uint8_t seed_byte) {
  return encode_signed(sign_body(body, domain, SeedSigner(seed(seed_byte))));
}

json invalid_audit() {
  json entries = json::array();
  auto raw = [](const std::function<void(RawEntry&)>& change) {
    RawEntry r;
    change(r);
    return encode_raw(r);
  };
  entries.push_back(invalid_entry("version 2", raw([](RawEntry& r) { r.version = 2; }),
                                  Errc::unknown_version, "audit_entry.version"));
  entries.push_back(invalid_entry("8 fields", raw([](RawEntry& r) { r.fields = 8; }),
                                  Errc::malformed, "audit_entry"));
  entries.push_back(invalid_entry("action 0", raw([](RawEntry& r) { r.action = 0; }),
                                  Errc::invalid_field, "audit_entry.action"));
  entries.push_back(invalid_entry("action 8", raw([](RawEntry& r) { r.action = 8; }),
                                  Errc::invalid_field, "audit_entry.action"));
  entries.push_back(invalid_entry("empty actor", raw([](RawEntry& r) { r.actor.clear(); }),
                                  Errc::invalid_field, "audit_entry.actor"));
  entries.push_back(invalid_entry("actor of 129 bytes",
                                  raw([](RawEntry& r) { r.actor.assign(129, 'a'); }),
                                  Errc::too_large, "audit_entry.actor"));
  entries.push_back(invalid_entry("query without authority",
                                  raw([](RawEntry& r) { r.authority_id.reset(); }),
                                  Errc::invalid_field, "audit_entry.authority_id"));
  entries.push_back(invalid_entry("upper-case authority id",
                                  raw([](RawEntry& r) { r.authority_id = "Kent"; }),
                                  Errc::invalid_field, "audit_entry.authority_id"));
  entries.push_back(invalid_entry("record id with a space",
                                  raw([](RawEntry& r) { r.records = {{"kent", "child 1"}}; }),
                                  Errc::invalid_field, "audit_entry.records[0].record_id"));
  entries.push_back(invalid_entry(
      "1025 records",
      raw([](RawEntry& r) { r.records.assign(kMaxAuditRecords + 1, {"kent", "c"}); }),
      Errc::too_large, "audit_entry.records"));
  entries.push_back(invalid_entry("query without digest",
                                  raw([](RawEntry& r) { r.query_digest.reset(); }),
                                  Errc::invalid_field, "audit_entry.query_digest"));
  entries.push_back(invalid_entry("digest of 31 bytes",
                                  raw([](RawEntry& r) { r.query_digest = Bytes(31, 0x5d); }),
                                  Errc::invalid_field, "audit_entry.query_digest"));
  entries.push_back(invalid_entry("review with a digest",
                                  raw([](RawEntry& r) {
                                    r.action = static_cast<std::uint64_t>(AuditAction::review);
                                  }),
                                  Errc::invalid_field, "audit_entry.query_digest"));
  entries.push_back(invalid_entry("revocation without authority",
                                  raw([](RawEntry& r) {
                                    r.action = static_cast<std::uint64_t>(AuditAction::revocation);
                                    r.authority_id.reset();
                                    r.query_digest.reset();
                                  }),
                                  Errc::invalid_field, "audit_entry.authority_id"));
  const auto refused = static_cast<std::uint64_t>(AuditAction::query_refused);
  entries.push_back(invalid_entry("query_refused with records",
                                  raw([&](RawEntry& r) {
                                    r.action = refused;
                                    r.query_digest.reset();
                                  }),
                                  Errc::invalid_field, "audit_entry.records"));
  entries.push_back(invalid_entry("query_refused with a digest",
                                  raw([&](RawEntry& r) {
                                    r.action = refused;
                                    r.records.clear();
                                  }),
                                  Errc::invalid_field, "audit_entry.query_digest"));
  entries.push_back(invalid_entry("query_refused without authority",
                                  raw([&](RawEntry& r) {
                                    r.action = refused;
                                    r.records.clear();
                                    r.query_digest.reset();
                                    r.authority_id.reset();
                                  }),
                                  Errc::invalid_field, "audit_entry.authority_id"));
  entries.push_back(invalid_entry("detail of 1025 bytes",
                                  raw([](RawEntry& r) { r.detail.assign(1025, 'd'); }),
                                  Errc::too_large, "audit_entry.detail"));
  {
    // timestamp 5 as `cc 05` instead of the fixint `05`.
    Bytes b = raw([](RawEntry& r) { r.timestamp_ms = 5; });
    require(b[2] == 0x05, "fixint timestamp");
    b[2] = 0xcc;
    b.insert(b.begin() + 3, 0x05);
    entries.push_back(invalid_entry("non-canonical timestamp", b, Errc::non_canonical,
                                    "audit_entry"));
  }
  const Bytes good = encode_raw(RawEntry{});
  Bytes trailing = good;
  trailing.push_back(0xc0);
  entries.push_back(invalid_entry("trailing byte", trailing, Errc::trailing_bytes, "audit_entry"));
  entries.push_back(invalid_entry("truncated", Bytes(good.begin(), good.end() - 1),
                                  Errc::truncated, "audit_entry"));

  json checkpoints = json::array();
  const Checkpoint c = sample_checkpoint(5);
  const Bytes body = encode_checkpoint_body(c);
  Bytes flipped = signed_body(body, kDomainAuditCheckpoint, kIndexSeed);
  flipped.back() ^= 0x01;
  checkpoints.push_back(invalid_checkpoint("flipped signature bit", flipped, Errc::bad_signature));
  checkpoints.push_back(invalid_checkpoint(
      "signed under the feed domain", signed_body(body, "AEGIS-FEED-V1", kIndexSeed),
      Errc::bad_signature));
  checkpoints.push_back(invalid_checkpoint(
      "signed by an authority",
      signed_body(encode_checkpoint_body(sample_checkpoint(5, kKentSerial)),
                  kDomainAuditCheckpoint, kKentSeed),
      Errc::wrong_role));
  checkpoints.push_back(invalid_checkpoint(
      "unknown serial",
      signed_body(encode_checkpoint_body(sample_checkpoint(5, 99)), kDomainAuditCheckpoint,
                  kIndexSeed),
      Errc::unknown_signer));
  checkpoints.push_back(invalid_checkpoint(
      "revoked index certificate",
      signed_body(encode_checkpoint_body(sample_checkpoint(5, kIndexRevokedSerial)),
                  kDomainAuditCheckpoint, kIndexRevokedSeed),
      Errc::revoked_signer));
  checkpoints.push_back(invalid_checkpoint(
      "expired index certificate",
      signed_body(encode_checkpoint_body(sample_checkpoint(5, kIndexExpiredSerial)),
                  kDomainAuditCheckpoint, kIndexExpiredSeed),
      Errc::expired_signer));
  {
    Writer w;
    w.array(5);
    w.uint(2);
    w.uint(c.tree_size);
    w.bin(c.root_hash);
    w.uint(c.timestamp_ms);
    w.uint(c.signer_serial);
    checkpoints.push_back(invalid_checkpoint(
        "version 2", signed_body(w.take(), kDomainAuditCheckpoint, kIndexSeed),
        Errc::unknown_version));
  }
  {
    Writer w;
    w.array(5);
    w.uint(kCheckpointVersion);
    w.uint(c.tree_size);
    w.bin(ByteView(c.root_hash.data(), 31));
    w.uint(c.timestamp_ms);
    w.uint(c.signer_serial);
    checkpoints.push_back(invalid_checkpoint(
        "root of 31 bytes", signed_body(w.take(), kDomainAuditCheckpoint, kIndexSeed),
        Errc::invalid_field));
  }
  checkpoints.push_back(invalid_checkpoint(
      "signer serial 0",
      signed_body(encode_checkpoint_body(sample_checkpoint(5, 0)), kDomainAuditCheckpoint,
                  kIndexSeed),
      Errc::invalid_field));
  return {{"description",
           "Audit entries that decoding (section 15.2) MUST refuse, and checkpoints that "
           "verification (section 15.3) against the trust of valid_feed.json at now_ms MUST "
           "refuse, each with its error code."},
          {"entries", entries},
          {"checkpoints", checkpoints}};
}

void write_json(const std::filesystem::path& path, const json& j) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << j.dump(2) << "\n";
  if (!out) throw std::runtime_error("cannot write " + path.string());
  std::cout << "wrote " << path.string() << "\n";
}

}  // namespace

int main(int argc, char** argv) {
  try {
    std::filesystem::path dir = argc > 1 ? argv[1] : AEGIS_VECTORS_DIR;
    std::filesystem::create_directories(dir);
    write_json(dir / "valid_audit.json", valid_audit());
    write_json(dir / "invalid_audit.json", invalid_audit());
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "gen_vectors_audit: " << e.what() << "\n";
    return 1;
  }
}
