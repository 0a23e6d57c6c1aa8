// `aegis index verify [--json]`: re-verifies, from the stored bytes, everything the index store
// of an index config holds (IndexStore::verify_all against the node's trust bundle): every
// authority's envelope chain, heads, record rows and feed (docs/aegisd.md, "Verifying the index").
// Exit 0 when intact; 1 naming the first problem (authority, seq, code); 3 config errors.
#include <system_error>

#include "commands.hpp"
#include "index_common.hpp"

namespace aegis::cli {

namespace {

void verify(const GlobalOptions& g) {
  IndexForReading idx = open_index_for_reading(g);
  auto report = idx.store.verify_all(idx.trust);
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
