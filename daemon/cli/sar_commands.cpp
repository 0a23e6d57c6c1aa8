// `aegis sar ID --output FILE [--format json|text]`: a subject access export (docs/query.md,
// "Subject access"). At the index, ID is a national id: every record of the child (archived and
// deleted too) with its identity and clear details, sealed parts listed as "sealed for
// authority X", the linkage history, the feed items sent about the records and every audit
// entry naming them. At an authority, ID is a record id: the record, its retention state,
// national id and "also known to" links, its envelopes' metadata, and the access and override
// notices the index sent about it (who looked, when, why). The file holds personal
// data: written mode 0600, atomically (never half-written); an existing file is refused.
#include <filesystem>
#include <limits>

#include "commands.hpp"
#include "index_common.hpp"
#include "record_json.hpp"

namespace aegis::cli {

namespace {

using nlohmann::ordered_json;

struct SarOptions {
  std::string id;
  std::string format = "json";
  std::string output;
};

ordered_json ref_json(const resolve::RecordRef& r) {
  return {{"authority_id", r.authority_id}, {"record_id", r.record_id}};
}

ordered_json time_json(std::optional<std::uint64_t> ms) {
  return ms ? ordered_json(format_time(*ms)) : ordered_json(nullptr);
}

ordered_json index_export(const index::SubjectAccess& a) {
  ordered_json records = ordered_json::array();
  for (const index::SubjectRecord& r : a.records) {
    ordered_json j = {{"authority_id", r.ref.authority_id},
                      {"record_id", r.ref.record_id},
                      {"national_id", r.national_id ? ordered_json(*r.national_id) : nullptr},
                      {"state", r.purged     ? "purged"
                                : r.deleted  ? "deleted"
                                : r.archived ? "archived"
                                             : "live"}};
    if (r.identity) {
      protocol::ChildRecord clear{r.ref.record_id, *r.identity, r.details.value_or(protocol::ChildDetails{})};
      ordered_json body = record_to_json(clear);
      // The index holds no key to open sealed details: listed, never opened.
      if (r.shielded) body["details"] = "sealed for authority " + r.ref.authority_id;
      j["record"] = std::move(body);
    }
    records.push_back(std::move(j));
  }
  ordered_json history = ordered_json::array();
  for (const index::SubjectLinkage& h : a.history) {
    ordered_json refs = ordered_json::array();
    for (const resolve::RecordRef& r : h.records) refs.push_back(ref_json(r));
    history.push_back({{"time", format_time(h.time_ms)},
                       {"kind", h.kind},
                       {"national_id", h.national_id},
                       {"previous_ids", h.previous_ids},
                       {"decided_by", h.decided_by},
                       {"reason", h.reason},
                       {"records", std::move(refs)}});
  }
  ordered_json feed = ordered_json::array();
  for (const index::SubjectFeedItem& f : a.feed_items)
    feed.push_back({{"sent_to", f.authority_id},
                    {"feed_seq", f.feed_seq},
                    {"time", format_time(f.time_ms)},
                    {"kind", f.kind},
                    {"about", ref_json(f.about)}});
  ordered_json audit = ordered_json::array();
  for (const auto& [leaf, e] : a.audit) {
    ordered_json refs = ordered_json::array();
    for (const protocol::AuditRecordRef& r : e.records)
      refs.push_back({{"authority_id", r.authority_id}, {"record_id", r.record_id}});
    audit.push_back({{"leaf_index", leaf},
                     {"time", format_time(e.timestamp_ms)},
                     {"action", std::string(protocol::audit_action_name(e.action))},
                     {"actor", e.actor},
                     {"authority_id", e.authority_id ? ordered_json(*e.authority_id) : nullptr},
                     {"purpose", e.purpose},
                     {"records", std::move(refs)}});
  }
  return {{"subject_access", "index"},
          {"national_id", a.national_id},
          {"records", std::move(records)},
          {"linkage_history", std::move(history)},
          {"feed_items", std::move(feed)},
          {"audit_entries", std::move(audit)}};
}

ordered_json authority_export(store::Store& s, const std::string& record_id) {
  auto envelopes = s.record_envelopes(record_id);
  if (!envelopes) fail_store(envelopes.error());
  if (envelopes->empty())
    fail(kExitFailed, "not_found", "no record '" + record_id + "' in this authority's store");
  auto state = s.retention_state(record_id);
  if (!state) fail_store(state.error());
  auto national_id = s.national_id(record_id);
  if (!national_id) fail_store(national_id.error());
  auto elsewhere = s.elsewhere(record_id);
  if (!elsewhere) fail_store(elsewhere.error());
  auto live = s.get(record_id);
  if (!live && live.error().code != store::StoreErrc::not_found) fail_store(live.error());
  // Who looked at this record elsewhere: the access and override notices the index sent.
  auto notices = s.notices(std::numeric_limits<std::size_t>::max());
  if (!notices) fail_store(notices.error());
  ordered_json accessed = ordered_json::array();
  for (const store::ReceivedNotice& n : *notices)
    if (n.notice.record_id == record_id)
      accessed.push_back(notice_to_json(n.notice, n.override_notice));

  ordered_json list = ordered_json::array();
  for (const store::OutboxEntry& e : *envelopes)
    list.push_back({{"seq", e.seq},
                    {"time", format_time(e.created_ms)},
                    {"op", e.op == protocol::Operation::upsert ? "upsert" : "delete"},
                    {"hash", protocol::to_hex(e.hash)},
                    {"purged", e.purged}});
  ordered_json known = ordered_json::array();
  for (const store::KnownElsewhere& k : *elsewhere)
    known.push_back({{"authority_id", k.other_authority_id},
                     {"record_id", k.other_record_id},
                     {"shielded_there", k.shielded},
                     {"contacts", contacts_to_json(k.details.contacts)},
                     {"involvements", involvements_to_json(k.details.involvements)}});
  return {{"subject_access", "authority"},
          {"authority_id", s.authority_id()},
          {"record_id", record_id},
          {"state", state->purged_ms ? "purged" : !live ? "deleted"
                    : state->archived_ms            ? "archived"
                                                    : "live"},
          {"record", live ? record_to_json(live->record) : ordered_json(nullptr)},
          {"national_id", national_id->has_value() ? ordered_json(**national_id) : nullptr},
          {"retention",
           {{"consent_to_retain", state->consent_to_retain},
            {"archived", time_json(state->archived_ms)},
            {"purged", time_json(state->purged_ms)}}},
          {"also_known_to", std::move(known)},
          {"envelopes", std::move(list)},
          {"access_notices", std::move(accessed)}};
}

// A readable document: one "key: value" line per scalar, nested values indented under their key.
void render_text(const ordered_json& j, int depth, std::string& out) {
  const std::string pad(static_cast<std::size_t>(depth) * 2, ' ');
  auto scalar = [](const ordered_json& v) {
    if (v.is_null()) return std::string("-");
    if (v.is_string()) return v.get<std::string>();
    return v.dump();
  };
  if (j.is_object()) {
    for (const auto& [k, v] : j.items()) {
      if (v.is_structured() && !v.empty()) {
        out += pad + k + ":\n";
        render_text(v, depth + 1, out);
      } else {
        out += pad + k + ": " + (v.is_structured() ? std::string("none") : scalar(v)) + "\n";
      }
    }
  } else if (j.is_array()) {
    for (std::size_t i = 0; i < j.size(); ++i) {
      out += pad + "- " + std::to_string(i + 1) + (j[i].is_structured() ? ":\n" : ": " + scalar(j[i]) + "\n");
      if (j[i].is_structured()) render_text(j[i], depth + 1, out);
    }
  } else {
    out += pad + scalar(j) + "\n";
  }
}

void sar(const GlobalOptions& g, const SarOptions& o) {
  if (o.format != "json" && o.format != "text")
    fail(kExitUsage, "unknown_format", "--format: '" + o.format + "' is not json or text");
  std::error_code ec;
  if (std::filesystem::exists(std::filesystem::symlink_status(o.output, ec)))
    fail(kExitFailed, "exists", o.output + ": already exists (a subject access export is never "
                                           "overwritten)");
  auto c = config::load_config(g.config_path);  // either role
  if (!c) fail(kExitConfig, "config", c.error().message);
  ordered_json doc;
  if (c->role == protocol::Role::index) {
    index::IndexStore s = open_index_store(*c);
    auto a = s.subject_access(o.id);
    if (!a) fail_index(a.error());
    doc = index_export(*a);
  } else {
    store::Store s = open_store(*c);
    doc = authority_export(s, o.id);
  }
  doc["exported"] = format_time(now_ms());
  std::string text;
  if (o.format == "json") {
    text = doc.dump(2) + "\n";
  } else {
    text = "Subject access export (" + o.id + ")\n\n";
    render_text(doc, 0, text);
  }
  write_file_atomically(o.output, text);
  print_result(g, {{"output", o.output}, {"format", o.format}},
               "subject access export of " + o.id + " written to " + o.output);
}

}  // namespace

void add_sar_commands(CLI::App& app, const GlobalOptions& g) {
  auto o = std::make_shared<SarOptions>();
  CLI::App* cmd = app.add_subcommand(
      "sar", "Subject access export: a national id at the index, a record id at an authority");
  cmd->add_option("ID", o->id, "national id (index) or record id (authority)")->required();
  cmd->add_option("--format", o->format, "json (default) or text");
  cmd->add_option("--output", o->output, "file to write (mode 0600, must not exist)")
      ->required();
  cmd->callback([&g, o] { sar(g, *o); });
}

}  // namespace aegis::cli
