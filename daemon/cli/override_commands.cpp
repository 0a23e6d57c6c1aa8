// `aegis override` and `aegis shield open` (authority role; docs/query.md rule 6):
//   override    — break-glass: a child_protection_override user asks the index, through this
//                 node's aegisd (which signs), for the shielded child NATIONAL_ID's records.
//                 The sealed blobs come back exactly as the owner sealed them; with --output
//                 the answer is written to a file (mode 0600, never overwritten), otherwise it
//                 is printed with each blob opened where a key at hand opens it.
//   shield open — prints such a file, opening each sealed record with this node's identity
//                 (when this authority owns it) or a shield officer's identity (--key): keys
//                 stay behind keys::Identity (protocol::KeyAgreement). What no key at hand
//                 opens is shown as such, never guessed at.
#include <filesystem>
#include <memory>

#include "aegis/keys/keys.hpp"
#include "aegis/protocol/bytes.hpp"
#include "aegis/protocol/query.hpp"
#include "aegis/protocol/seal.hpp"
#include "commands.hpp"
#include "node/node.hpp"
#include "record_json.hpp"

namespace aegis::cli {
namespace {

using nlohmann::ordered_json;

// The daemon waits up to 10 s for the index; this leaves it room to say so itself.
constexpr int kOverrideTimeoutMs = 15000;

struct OverrideOptions {
  std::string national_id, user, role = "child_protection_override", purpose, reason, given,
      family, dob, output, key, key_passphrase_file;
};

config::Config load_authority_config(const GlobalOptions& g) {
  config::Config c = load_config(g);
  if (c.role != protocol::Role::authority)
    fail(kExitFailed, "wrong_role", "this command runs on an authority node (role = \"authority\")");
  return c;
}

// The keys that may open a sealed record here: this node's identity, and a shield officer's
// identity file when given.
std::vector<keys::Identity> opening_keys(const config::Config& c, const OverrideOptions& o) {
  std::vector<keys::Identity> out;
  auto own = node::load_identity(c);
  if (!own) fail(kExitConfig, own.error().code, own.error().message);
  out.push_back(std::move(*own));
  if (o.key.empty()) return out;
  std::optional<keys::Passphrase> passphrase;
  if (!o.key_passphrase_file.empty()) {
    auto p = keys::read_passphrase_file(o.key_passphrase_file);
    if (!p) fail(kExitConfig, "key", "--key-passphrase-file: " + p.error().message());
    passphrase = std::move(*p);
  }
  auto officer = keys::load_identity(o.key, passphrase ? std::optional(passphrase->view())
                                                       : std::nullopt);
  if (!officer) fail(kExitConfig, "key", "--key " + o.key + ": " + officer.error().message());
  out.push_back(std::move(*officer));
  return out;
}

// One sealed record opened with the first key that is a recipient, or why it stays sealed.
ordered_json open_record(const protocol::OverrideRecord& r, const protocol::ChildIdentity& identity,
                         const std::vector<keys::Identity>& keys) {
  for (const keys::Identity& key : keys) {
    auto details = protocol::open_details(*r.sealed, r.authority_id, r.record_id, key);
    if (details) {
      protocol::ChildRecord shown;
      shown.record_id = r.record_id;
      shown.identity = identity;
      shown.details = std::move(*details);
      return {{"opened_by", key.subject_id()}, {"details", record_to_json(shown)["details"]}};
    }
    if (details.error().code != protocol::Errc::not_a_recipient)
      return {{"sealed", "cannot be opened: " + details.error().message()}};
  }
  return {{"sealed", "sealed for " + r.authority_id +
                         " and the shield officers: no key held here opens it"}};
}

ordered_json answer_json(const protocol::OverrideAnswer& a, const std::vector<keys::Identity>& keys) {
  protocol::ChildRecord shown;
  shown.identity = a.identity;
  ordered_json records = ordered_json::array();
  for (const protocol::OverrideRecord& r : a.records) {
    ordered_json item = {{"authority_id", r.authority_id}, {"record_id", r.record_id}};
    if (r.details) {
      item["shielded"] = false;
      item["details"] = {{"contacts", contacts_to_json(r.details->contacts)},
                         {"involvements", involvements_to_json(r.details->involvements)}};
    } else {
      item["shielded"] = true;
      item.update(open_record(r, a.identity, keys));
    }
    records.push_back(std::move(item));
  }
  return {{"query_id", protocol::to_hex(a.query_id)},
          {"national_id", a.national_id},
          {"identity", record_to_json(shown)["identity"]},
          {"records", std::move(records)}};
}

std::string answer_text(const ordered_json& a) {
  const ordered_json& name = a["identity"]["name"];
  std::string out = a["national_id"].get<std::string>() + "  " +
                    name.value("given", std::string()) + " " +
                    name.value("family", std::string()) + ", born " +
                    a["identity"]["date_of_birth"].get<std::string>() + "\n";
  for (const ordered_json& r : a["records"]) {
    out += "  " + r["authority_id"].get<std::string>() + " record " +
           r["record_id"].get<std::string>() + ": ";
    if (r.contains("sealed")) {
      out += "SEALED, " + r["sealed"].get<std::string>() + "\n";
      continue;
    }
    if (r.contains("opened_by"))
      out += "opened with the key of " + r["opened_by"].get<std::string>() + "\n";
    else
      out += "not shielded\n";
    // Indented JSON of the details: every field, as `record show` names them.
    std::string details = r["details"].dump(2);
    std::string::size_type start = 0;
    while (start < details.size()) {
      const std::string::size_type end = details.find('\n', start);
      out += "    " + details.substr(start, end - start) + "\n";
      if (end == std::string::npos) break;
      start = end + 1;
    }
  }
  return out;
}

void override_child(const GlobalOptions& g, const OverrideOptions& o) {
  std::error_code ec;
  if (!o.output.empty() && std::filesystem::exists(std::filesystem::symlink_status(o.output, ec)))
    fail(kExitFailed, "exists", o.output + ": already exists (an override answer is never "
                                           "overwritten)");
  const config::Config c = load_authority_config(g);
  const nlohmann::json request = {{"cmd", "override"},       {"user", o.user},
                                  {"role", o.role},          {"purpose", o.purpose},
                                  {"given", o.given},        {"family", o.family},
                                  {"dob", o.dob},            {"national_id", o.national_id},
                                  {"reason", o.reason}};
  const ordered_json r = admin_call(c, request, kOverrideTimeoutMs);
  const std::optional<protocol::Bytes> bytes =
      protocol::from_hex(r.value("answer", std::string()));
  if (!bytes) fail(kExitFailed, "bad_reply", "the daemon's reply holds no answer");
  protocol::Result<protocol::OverrideAnswer> answer = protocol::decode_override_answer(*bytes);
  if (!answer)
    fail(kExitFailed, "bad_reply", "the answer does not decode: " + answer.error().message());
  if (!o.output.empty()) {
    write_file_atomically(o.output, std::string(bytes->begin(), bytes->end()));
    print_result(g, {{"output", o.output}, {"records", answer->records.size()}},
                 "override answer (" + std::to_string(answer->records.size()) +
                     " records) written to " + o.output + "; open it with `aegis shield open`");
    return;
  }
  const ordered_json j = answer_json(*answer, opening_keys(c, o));
  print_result(g, j, answer_text(j));
}

void shield_open(const GlobalOptions& g, const std::string& file, const OverrideOptions& o) {
  const config::Config c = load_authority_config(g);
  const std::string text = read_input(file, protocol::kMaxAnswerSize);
  const protocol::Bytes bytes(text.begin(), text.end());
  protocol::Result<protocol::OverrideAnswer> answer = protocol::decode_override_answer(bytes);
  if (!answer)
    fail(kExitFailed, "invalid_file",
         file + ": not an override answer: " + answer.error().message());
  const ordered_json j = answer_json(*answer, opening_keys(c, o));
  print_result(g, j, answer_text(j));
}

void add_key_options(CLI::App* cmd, OverrideOptions& o) {
  cmd->add_option("--key", o.key,
                  "a shield officer's identity file (keys identity-new --role shield-officer) "
                  "to open sealed records with, besides this node's own key");
  cmd->add_option("--key-passphrase-file", o.key_passphrase_file,
                  "the passphrase of --key, when it is wrapped");
}

}  // namespace

void add_override_commands(CLI::App& app, const GlobalOptions& g) {
  auto o = std::make_shared<OverrideOptions>();
  CLI::App* cmd = app.add_subcommand(
      "override", "Break-glass: ask the index for a shielded child's sealed records "
                  "(audited for investigation; the owning authority is told at once)");
  cmd->add_option("NATIONAL_ID", o->national_id, "the child's national id")->required();
  cmd->add_option("--user", o->user, "the user id (audited)")->required();
  cmd->add_option("--role", o->role, "must be child_protection_override (the default)");
  cmd->add_option("--purpose", o->purpose,
                  "safeguarding, service_delivery, school_transfer, health or audit")
      ->required();
  cmd->add_option("--reason", o->reason,
                  "why (10 to 500 bytes; sent to the owning authority)")
      ->required();
  cmd->add_option("--given", o->given, "given name, as in the search that found the child")
      ->required();
  cmd->add_option("--family", o->family, "family name, as in that search")->required();
  cmd->add_option("--dob", o->dob, "date of birth, YYYY-MM-DD, as in that search")->required();
  cmd->add_option("--output", o->output,
                  "write the answer to this file (mode 0600, must not exist) instead of "
                  "printing it");
  add_key_options(cmd, *o);
  cmd->callback([&g, o] { override_child(g, *o); });

  auto file = std::make_shared<std::string>();
  auto so = std::make_shared<OverrideOptions>();
  CLI::App* shield = app.add_subcommand("shield", "Shielded records");
  shield->require_subcommand(1);
  CLI::App* open_cmd = shield->add_subcommand(
      "open", "Print an override answer file, opening what a key held here opens");
  open_cmd->add_option("FILE", *file, "a file written by `aegis override --output`")->required();
  add_key_options(open_cmd, *so);
  open_cmd->callback([&g, file, so] { shield_open(g, *file, *so); });
}

}  // namespace aegis::cli
