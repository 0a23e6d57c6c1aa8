// `aegis index verify [--json]`: re-verifies, from the stored bytes, everything the index store
// of an index config holds (IndexStore::verify_all against the node's trust bundle): every
// authority's envelope chain, heads, record rows and feed (docs/aegisd.md, "Verifying the index").
// Exit 0 when intact; 1 naming the first problem (authority, seq, code); 3 config errors.
#include <system_error>

#include "commands.hpp"
#include "index/index_store.hpp"
#include "node/node.hpp"

namespace aegis::cli {

namespace {

[[noreturn]] void fail_index(const index::IndexError& e) {
  fail(kExitFailed, std::string(index::index_errc_name(e.code)), e.message());
}

void verify(const GlobalOptions& g) {
  const config::Config c = load_index_config(g);
  const std::filesystem::path file = c.data_dir / std::string(index::kDatabaseFileName);
  index::OpenOptions options;
  options.busy_timeout_ms = c.store.busy_timeout_ms;
  options.checkpoint_wal_frames = 0;  // no background checkpointer for a one-off read
  auto s = index::IndexStore::open(file, options);
  if (!s) fail_index(s.error());
  // The bundle is refused below the version the index has accepted (docs/keys.md, "Rollback");
  // verify only reads, so it records nothing.
  auto floor = s->trust_version();
  if (!floor) fail_index(floor.error());
  auto trust = node::load_trust(c, now_ms(), *floor);
  if (!trust) fail(kExitConfig, trust.error().code, trust.error().message);
  auto report = s->verify_all(*trust);
  if (!report) fail_index(report.error());

  std::uint64_t envelopes = 0;
  nlohmann::ordered_json authorities = nlohmann::ordered_json::array();
  for (const index::AuthorityCheck& a : report->authorities) {
    envelopes += a.envelopes;
    nlohmann::ordered_json j = {{"authority_id", a.authority_id},
                                {"envelopes", a.envelopes},
                                {"records", a.records},
                                {"feed_items", a.feed_items}};
    if (a.problem)
      j["problem"] = {{"area", a.problem->area},
                      {"seq", a.problem->seq},
                      {"code", a.problem->code},
                      {"detail", a.problem->detail}};
    authorities.push_back(std::move(j));
  }
  const nlohmann::ordered_json result = {{"intact", report->intact()},
                                         {"envelopes", envelopes},
                                         {"authorities", authorities}};
  for (const index::AuthorityCheck& a : report->authorities) {
    if (!a.problem) continue;
    const index::IntegrityProblem& p = *a.problem;
    // The first problem is a failure (exit 1) naming the authority, the seq and the code.
    throw CommandError(kExitFailed, p.code,
                       "authority " + a.authority_id + ": " + p.area + " seq " +
                           std::to_string(p.seq) + ": " + p.code + ": " + p.detail,
                       result);
  }
  print_result(g, result,
               std::to_string(envelopes) + " envelopes from " +
                   std::to_string(report->authorities.size()) +
                   " authorities verified, chains intact");
}

}  // namespace

config::Config load_index_config(const GlobalOptions& g) {
  auto c = config::load_config(g.config_path);
  if (!c) fail(kExitConfig, "config", c.error().message);
  if (c->role != protocol::Role::index)
    fail(kExitConfig, "config", c->file.string() + ": role: this command needs role = \"index\"");
  return std::move(c).value();
}

void add_index_commands(CLI::App& app, const GlobalOptions& g) {
  CLI::App* index = app.add_subcommand("index", "The national index's store (role = \"index\")");
  index->require_subcommand(1);
  index
      ->add_subcommand("verify",
                       "Re-verify every stored envelope, head, record row and feed item "
                       "against the trust bundle (exit 1 naming the first problem)")
      ->callback([&g] { verify(g); });
}

}  // namespace aegis::cli
