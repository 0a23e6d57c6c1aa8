// `aegis log list` (the outbox, without names) and `aegis log verify` (the whole chain against
// the trust bundle, with the verifier the index runs).
#include <memory>
#include <optional>

#include "aegis/protocol/envelope.hpp"
#include "aegis/protocol/signed.hpp"
#include "commands.hpp"

namespace aegis::cli {

namespace {

constexpr std::size_t kHashPrefixChars = 16;

std::string_view op_name(protocol::Operation op) {
  return op == protocol::Operation::upsert ? "upsert" : "delete";
}

// Whether the envelope's details are sealed; nullopt for a delete or an undecodable envelope.
std::optional<bool> shielded(const store::OutboxEntry& e) {
  auto wire = protocol::decode_signed(e.envelope, "envelope");
  if (!wire) return std::nullopt;
  auto body = protocol::decode_envelope_body(wire->body);
  if (!body || !body->payload) return std::nullopt;
  return body->payload->shielded();
}

void list(const GlobalOptions& g, std::uint64_t from, std::size_t limit) {
  const config::Config c = load_config(g);
  store::Store s = open_store(c);
  auto entries = s.read_outbox(from, limit);
  if (!entries) fail_store(entries.error());
  nlohmann::ordered_json json = nlohmann::ordered_json::array();
  std::vector<std::vector<std::string>> rows{{"SEQ", "TIME", "OP", "RECORD", "HASH", "SHIELDED"}};
  for (const store::OutboxEntry& e : *entries) {
    const std::optional<bool> sealed = shielded(e);
    const std::string hash = protocol::to_hex(e.hash);
    json.push_back(
        {{"seq", e.seq},
         {"time", format_time(e.created_ms)},
         {"op", op_name(e.op)},
         {"record_id", e.record_id},
         {"hash", hash},
         {"shielded", sealed ? nlohmann::ordered_json(*sealed) : nlohmann::ordered_json(nullptr)}});
    rows.push_back({std::to_string(e.seq), format_time(e.created_ms), std::string(op_name(e.op)),
                    e.record_id, hash.substr(0, kHashPrefixChars),
                    sealed ? (*sealed ? "yes" : "no") : "-"});
  }
  print_result(g, json, entries->empty() ? "no envelopes" : format_table(rows));
}

void verify(const GlobalOptions& g) {
  const config::Config c = load_config(g);
  store::Store s = open_store(c);
  const std::uint64_t now = now_ms();
  const protocol::Trust trust = load_trust(c, s, now);
  // The matching key lets the check include each payload's match tokens (they must be those
  // of the record's valid identifiers), as the index cannot.
  const keys::MatchingKey matching_key = load_matching_key(c);
  auto report = s.verify_chain(trust, now, &matching_key);
  if (!report) fail_store(report.error());
  if (report->intact()) {
    print_result(g, {{"intact", true}, {"verified", report->verified}},
                 std::to_string(report->verified) + " envelopes verified, chain intact");
    return;
  }
  const store::ChainProblem& p = *report->problem;
  // A broken chain is a failure (exit 1) naming the first bad seq and its code.
  throw CommandError(kExitFailed, p.code,
                     "chain broken at seq " + std::to_string(p.seq) + ": " + p.code + ": " +
                         p.detail + " (" + std::to_string(report->verified) +
                         " envelopes verified before it)",
                     {{"intact", false},
                      {"verified", report->verified},
                      {"problem", {{"seq", p.seq}, {"code", p.code}, {"detail", p.detail}}}});
}

}  // namespace

void add_log_commands(CLI::App& app, const GlobalOptions& g) {
  CLI::App* log = app.add_subcommand("log", "The outbox: this authority's signed change log");
  log->require_subcommand(1);

  struct Args {
    std::uint64_t from = 1;
    std::size_t limit = 100;
  };
  auto a = std::make_shared<Args>();
  CLI::App* list_cmd =
      log->add_subcommand("list", "List envelopes: seq, time, op, record id, hash (no names)");
  list_cmd->add_option("--from", a->from, "first seq (default 1)");
  list_cmd->add_option("--limit", a->limit, "at most N envelopes (default 100, 0 = all)");
  list_cmd->callback([&g, a] { list(g, a->from, a->limit); });

  log->add_subcommand("verify", "Verify every envelope and the hash chain against the trust bundle")
      ->callback([&g] { verify(g); });
}

}  // namespace aegis::cli
