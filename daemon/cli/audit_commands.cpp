// `aegis audit verify [--store PATH] [--checkpoint FILE]...` and `aegis audit proof ENTRY
// [--store PATH]`: the index's audit log (docs/audit.md). verify re-reads the whole log
// (IndexStore::verify_audit against the node's trust bundle) and, given checkpoints an
// authority holds, checks the log extends each of them (else `forked`); proof prints an entry,
// the latest signed checkpoint and the RFC 9162 inclusion proof linking them, checked before it
// is printed. Exit 0 intact / proof given; 1 naming the first problem; 3 config errors.
// `aegis audit forks [--resolve]` is the authority's side: the checkpoint it holds and the
// notices it refused as forks (evidence for `aegis audit verify --checkpoint` at the index);
// exit 1 (code forked) while one is open; --resolve marks them resolved (an operator's call).
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "aegis/protocol/audit.hpp"
#include "commands.hpp"
#include "index_common.hpp"

namespace aegis::cli {

namespace {

// A checkpoint file holds the signed checkpoint's wire bytes as hex (what `aegis audit proof
// --json` prints as checkpoint.wire_hex, or what an authority stored).
protocol::Bytes read_checkpoint_file(const std::string& path) {
  std::string text = read_input(path, 4 * protocol::kMaxCheckpointSize);
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' '))
    text.pop_back();
  auto bytes = protocol::from_hex(text);
  if (!bytes) fail(kExitFailed, "invalid_input", path + ": not a hex checkpoint");
  return *bytes;
}

nlohmann::ordered_json hashes_json(const std::vector<protocol::MerkleHash>& hashes) {
  nlohmann::ordered_json out = nlohmann::ordered_json::array();
  for (const protocol::MerkleHash& h : hashes) out.push_back(protocol::to_hex(h));
  return out;
}

// The --store option: empty means the config's data_dir/index.db.
std::optional<std::filesystem::path> store_file(const std::string& store) {
  if (store.empty()) return std::nullopt;
  return std::filesystem::path(store);
}

void verify(const GlobalOptions& g, const std::string& store,
            const std::vector<std::string>& checkpoint_files) {
  IndexForReading idx = open_index_for_reading(g, store_file(store));
  std::vector<protocol::Bytes> outside;
  for (const std::string& f : checkpoint_files) outside.push_back(read_checkpoint_file(f));
  auto report = idx.store.verify_audit(idx.trust, outside);
  if (!report) fail_index(report.error());
  nlohmann::ordered_json result = {{"intact", report->intact()},
                                   {"entries", report->entries},
                                   {"checkpoints", report->checkpoints},
                                   {"root_hex", protocol::to_hex(report->root)}};
  if (report->problem) {
    const index::AuditProblem& p = *report->problem;
    result["problem"] = {{"code", p.code}, {"index", p.index}, {"detail", p.detail}};
    throw CommandError(kExitFailed, p.code, "audit log: " + p.code + ": " + p.detail, result);
  }
  print_result(g, result,
               std::to_string(report->entries) + " audit entries and " +
                   std::to_string(report->checkpoints) + " signed checkpoints verified" +
                   (outside.empty() ? "" : ", extending every checkpoint given") +
                   ", root " + protocol::to_hex(report->root));
}

void proof(const GlobalOptions& g, std::uint64_t index, const std::string& store) {
  IndexForReading idx = open_index_for_reading(g, store_file(store));
  auto p = idx.store.audit_proof(index);
  if (!p) fail_index(p.error());
  // Checked before it is shown: the checkpoint verifies and the proof links the entry to it.
  const protocol::Checkpoint& c = p->checkpoint.checkpoint;
  if (auto v = protocol::verify_checkpoint(p->checkpoint.wire, idx.trust, c.timestamp_ms); !v)
    fail(kExitFailed, "bad_checkpoint", "the latest audit checkpoint: " + v.error().message());
  if (protocol::audit_leaf_hash(p->entry) != p->leaf_hash ||
      !protocol::verify_inclusion(p->leaf_hash, index, c.tree_size, p->proof, c.root_hash))
    fail(kExitFailed, "root_mismatch",
         "entry " + std::to_string(index) +
             " is not in the tree its checkpoint signed (run aegis audit verify)");
  auto entry = protocol::decode_audit_entry(p->entry);
  if (!entry)
    fail(kExitFailed, "invalid_entry", "entry " + std::to_string(index) + ": " +
                                           entry.error().message());
  nlohmann::ordered_json records = nlohmann::ordered_json::array();
  for (const protocol::AuditRecordRef& r : entry->records)
    records.push_back({{"authority_id", r.authority_id}, {"record_id", r.record_id}});
  const nlohmann::ordered_json result = {
      {"index", index},
      {"entry",
       {{"time", format_time(entry->timestamp_ms)},
        {"action", std::string(protocol::audit_action_name(entry->action))},
        {"actor", entry->actor},
        {"authority_id", entry->authority_id ? nlohmann::ordered_json(*entry->authority_id)
                                             : nlohmann::ordered_json(nullptr)},
        {"purpose", entry->purpose},
        {"records", records},
        {"detail", entry->detail},
        {"entry_hex", protocol::to_hex(p->entry)}}},
      {"leaf_hash_hex", protocol::to_hex(p->leaf_hash)},
      {"checkpoint",
       {{"tree_size", c.tree_size},
        {"root_hex", protocol::to_hex(c.root_hash)},
        {"time", format_time(c.timestamp_ms)},
        {"signer_serial", c.signer_serial},
        {"wire_hex", protocol::to_hex(p->checkpoint.wire)}}},
      {"proof_hex", hashes_json(p->proof)}};
  std::string human = "entry " + std::to_string(index) + ": " +
                      std::string(protocol::audit_action_name(entry->action)) + " by " +
                      entry->actor + " at " + format_time(entry->timestamp_ms) + "\n";
  human += "leaf hash " + protocol::to_hex(p->leaf_hash) + "\n";
  human += "in checkpoint of " + std::to_string(c.tree_size) + " entries, root " +
           protocol::to_hex(c.root_hash) + ", signed by index certificate " +
           std::to_string(c.signer_serial) + " at " + format_time(c.timestamp_ms) + "\n";
  human += "inclusion proof (" + std::to_string(p->proof.size()) + " hashes, RFC 9162):\n";
  for (const protocol::MerkleHash& h : p->proof) human += "  " + protocol::to_hex(h) + "\n";
  print_result(g, result, human);
}

nlohmann::ordered_json fork_json(const store::CheckpointFork& f) {
  nlohmann::ordered_json j = {
      {"id", f.id},
      {"feed_seq", f.feed_seq},
      {"detected", format_time(f.detected_ms)},
      {"held_size", f.held_size},
      {"held_checkpoint_hex", f.held ? nlohmann::ordered_json(protocol::to_hex(*f.held))
                                     : nlohmann::ordered_json()},
      {"notice_size", f.notice_size ? nlohmann::ordered_json(*f.notice_size)
                                    : nlohmann::ordered_json()},
      {"notice_checkpoint_verified", f.verified},
      {"code", f.code},
      {"detail", f.detail},
      {"resolved", f.resolved_ms ? nlohmann::ordered_json(format_time(*f.resolved_ms))
                                 : nlohmann::ordered_json()}};
  if (auto n = protocol::decode_checkpoint_notice(f.notice)) {
    j["notice_checkpoint_hex"] = protocol::to_hex(n->checkpoint);
    j["notice_from_size"] = n->from_size;
    j["notice_proof_hex"] = hashes_json(n->proof);
  }
  return j;
}

void forks(const GlobalOptions& g, bool resolve) {
  const config::Config c = load_config(g);
  if (c.role != protocol::Role::authority)
    fail(kExitConfig, "wrong_role", "aegis audit forks is for role = \"authority\"");
  store::Store s = open_store(c);
  if (resolve) {
    auto resolved = s.resolve_checkpoint_forks(now_ms());
    if (!resolved) fail_store(resolved.error());
    print_result(g, {{"resolved", *resolved}},
                 std::to_string(*resolved) + " audit checkpoint fork(s) resolved");
    return;
  }
  auto held = s.held_checkpoint();
  if (!held) fail_store(held.error());
  auto open = s.checkpoint_forks();
  if (!open) fail_store(open.error());
  nlohmann::ordered_json result = {
      {"held", *held ? nlohmann::ordered_json{{"size", (*held)->checkpoint.tree_size},
                                              {"feed_seq", (*held)->feed_seq},
                                              {"checkpoint_hex", protocol::to_hex((*held)->wire)}}
                     : nlohmann::ordered_json()},
      {"forks", nlohmann::ordered_json::array()}};
  for (const store::CheckpointFork& f : *open) result["forks"].push_back(fork_json(f));
  const std::string held_text =
      *held ? "audit checkpoint held: " + std::to_string((*held)->checkpoint.tree_size) +
                  " entries (feed seq " + std::to_string((*held)->feed_seq) + ")"
            : std::string("no audit checkpoint held yet");
  if (open->empty()) {
    print_result(g, result, held_text + "; no fork");
    return;
  }
  std::string text = held_text + "; " + std::to_string(open->size()) + " open fork(s):";
  for (const store::CheckpointFork& f : *open)
    text += "\n  fork " + std::to_string(f.id) + ", feed seq " + std::to_string(f.feed_seq) +
            ": " + f.code + ": " + f.detail;
  throw CommandError(kExitFailed, "forked", text, result);
}

}  // namespace

void add_audit_commands(CLI::App& app, const GlobalOptions& g) {
  CLI::App* audit = app.add_subcommand(
      "audit", "The index's tamper-evident audit log, and an authority's hold on it");
  audit->require_subcommand(1);

  struct VerifyArgs {
    std::string store;
    std::vector<std::string> checkpoints;
  };
  auto v = std::make_shared<VerifyArgs>();
  CLI::App* verify_cmd = audit->add_subcommand(
      "verify",
      "Re-verify every audit entry and signed checkpoint (exit 1 naming the first problem)");
  verify_cmd->add_option("--store", v->store, "the index database (default: data_dir/index.db)");
  verify_cmd->add_option("--checkpoint", v->checkpoints,
                         "a signed checkpoint (hex file) the log must extend; repeatable");
  verify_cmd->callback([&g, v] { verify(g, v->store, v->checkpoints); });

  struct ProofArgs {
    std::uint64_t entry = 0;
    std::string store;
  };
  auto p = std::make_shared<ProofArgs>();
  CLI::App* proof_cmd =
      audit->add_subcommand("proof", "Inclusion proof of ENTRY in the latest signed checkpoint");
  proof_cmd->add_option("ENTRY", p->entry, "the entry's index (0 is the first)")->required();
  proof_cmd->add_option("--store", p->store, "the index database (default: data_dir/index.db)");
  proof_cmd->callback([&g, p] { proof(g, p->entry, p->store); });

  auto resolve = std::make_shared<bool>(false);
  CLI::App* forks_cmd = audit->add_subcommand(
      "forks",
      "role = \"authority\": the audit checkpoint held and the forks found (exit 1 while open)");
  forks_cmd->add_flag("--resolve", *resolve,
                      "mark every open fork resolved; the latest fork's checkpoint is held");
  forks_cmd->callback([&g, resolve] { forks(g, *resolve); });
}

}  // namespace aegis::cli
