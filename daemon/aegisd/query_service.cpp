// The index's query service (see query_service.hpp).
#include "query_service.hpp"

#include <algorithm>

#include "aegis/protocol/audit.hpp"
#include "aegis/protocol/crypto.hpp"
#include "aegis/protocol/signed.hpp"
#include "clock.hpp"
#include "log.hpp"
#include "socket_limits.hpp"

namespace aegis::daemon {
namespace {

constexpr std::string_view kDomainAuditDigestKey = "AEGIS-AUDIT-DIGEST-KEY-V1";

// The query a signed query claims to be, read without verifying it (for the audit entry of its
// refusal only: who it says asked); nullopt when it does not even decode.
std::optional<protocol::Query> claimed_query(protocol::ByteView signed_query) {
  protocol::Result<protocol::Signed> s = protocol::decode_signed(signed_query, "query");
  if (!s) return std::nullopt;
  protocol::Result<protocol::Query> q = protocol::decode_query_body(s->body);
  if (!q) return std::nullopt;
  return std::move(q).value();
}

}  // namespace

protocol::ByteArray<32> audit_digest_key(const protocol::Signer& index) {
  const protocol::Signature sig =
      index.sign(protocol::signing_input(kDomainAuditDigestKey, protocol::ByteView()));
  return protocol::blake2b_256(sig);
}

bool ReplayGuard::first_seen(const std::string& authority, const protocol::QueryId& id,
                             std::uint64_t time_ms, std::uint64_t now_ms) {
  const std::uint64_t keep = 2 * protocol::kQueryFreshnessMs;
  while (!by_time_.empty() && by_time_.begin()->first + keep < now_ms) {
    seen_.erase(by_time_.begin()->second);
    by_time_.erase(by_time_.begin());
  }
  Key key(authority, id);
  if (!seen_.insert(key).second) return false;
  by_time_.emplace(time_ms, std::move(key));
  return true;
}

QueryService::QueryService(const config::Config& config, index::IndexStore& store,
                           const keys::Identity& identity, const index::IndexSigning& signing,
                           std::shared_ptr<const protocol::Trust> trust, zmq::context_t& context,
                           FeedsAdvanced feeds_advanced)
    : config_(config),
      store_(store),
      signing_(signing),
      trust_(std::move(trust)),
      feeds_advanced_(std::move(feeds_advanced)),
      digest_key_(audit_digest_key(signing.signer)) {
  const transport::CurveKeys keys(identity.curve_public_key(), identity.curve_secret_z85());
  server_ = std::make_unique<transport::IndexServer>(context, keys, config_.sync->query_listen,
                                                     transport_limits(config_));
  log::info("query_listening", {{"endpoint", server_->endpoint()}});
}

void QueryService::watches(std::vector<Watch>& out) {
  out.push_back({server_->socket().handle(), -1, [this] { on_message(); }});
}

void QueryService::on_message() {
  const std::uint64_t turn_ends = steady_ms() + kMaxTurnMs;  // role.hpp: a flood starves nothing
  while (steady_ms() < turn_ends) {
    // Everything waiting, up to kMaxQueryGroup, is one group: one audit commit for its queries.
    std::vector<transport::Incoming> group;
    while (group.size() < index::kMaxQueryGroup) {
      std::optional<transport::Incoming> in = server_->receive();
      if (!in) break;
      group.push_back(std::move(*in));
    }
    if (group.empty()) return;
    std::vector<protocol::Bytes> replies = handle(group, now_ms());
    for (std::size_t i = 0; i < group.size(); ++i)
      (void)server_->send(group[i].routing_id, replies[i]);  // a peer gone is its loss
  }
}

std::vector<protocol::Bytes> QueryService::handle(std::span<const transport::Incoming> messages,
                                                  std::uint64_t now_ms) {
  std::vector<protocol::Bytes> replies(messages.size());
  std::vector<protocol::Query> queries;
  std::vector<std::size_t> asked;  // the message of each admitted query
  for (std::size_t i = 0; i < messages.size(); ++i) {
    std::variant<protocol::Bytes, protocol::Query> r = admit(messages[i], now_ms);
    if (auto* q = std::get_if<protocol::Query>(&r)) {
      queries.push_back(std::move(*q));
      asked.push_back(i);
    } else {
      replies[i] = std::move(std::get<protocol::Bytes>(r));
    }
  }
  answer_group(queries, asked, replies, now_ms);
  return replies;
}

protocol::Bytes QueryService::handle(const std::string& authority, protocol::ByteView payload,
                                     std::uint64_t now_ms) {
  const transport::Incoming in{{}, authority, protocol::Bytes(payload.begin(), payload.end()),
                               true};
  return std::move(handle(std::span(&in, 1), now_ms).front());
}

protocol::Bytes QueryService::refuse(const std::string& authority, const protocol::QueryId& id,
                                     std::string code, std::string detail) {
  log::warning("query_refused", {{"authority", authority}, {"code", code}, {"detail", detail}});
  ++refused_[code];
  return protocol::encode_query_message(protocol::QueryRefused{id, std::move(code),
                                                               std::move(detail)});
}

protocol::Bytes QueryService::refuse_audited(const std::string& authority,
                                             const std::optional<protocol::Query>& query,
                                             bool verified, std::string code, std::string detail,
                                             std::uint64_t now_ms) {
  // Who asked as far as known, why it was refused; never the criteria (docs/audit.md).
  protocol::AuditEntry entry;
  entry.timestamp_ms = now_ms;
  entry.action = protocol::AuditAction::query_refused;
  entry.actor = query ? query->user_id : "unknown";
  entry.authority_id = authority;  // authenticated: the connection's certified authority
  entry.detail = "code " + code;
  if (query) {
    entry.purpose = std::string(protocol::query_purpose_name(query->purpose));
    entry.detail += "; role " + std::string(protocol::user_role_name(query->role)) + "; query " +
                    protocol::to_hex(query->query_id);
    if (query->authority_id != authority) entry.detail += "; names authority " + query->authority_id;
    if (!verified) entry.detail += "; unverified";
  }
  if (auto audited = store_.append_audit(entry); !audited) {
    // The refusal stands (nothing is answered); the failure is for the operator.
    log::error("query_refusal_audit_failed", {{"authority", authority}, {"code", code},
                                              {"detail", audited.error().message()}});
  } else {
    ++refusals_audited_;
  }
  return refuse(authority, verified ? query->query_id : protocol::QueryId{}, std::move(code),
                std::move(detail));
}

std::variant<protocol::Bytes, protocol::Query> QueryService::admit(
    const transport::Incoming& in, std::uint64_t now_ms) {
  const std::string& authority = in.authority_id;
  if (!in.single_frame) return refuse(authority, {}, "protocol_error", "a message is one frame");
  if (authority.empty() ||
      !trust_->active_subject(authority, protocol::Role::authority, now_ms))
    return refuse(authority, {}, "not_authorised",
                  "the certificate of '" + authority + "' is not active");
  protocol::Result<protocol::QueryMessage> m = protocol::decode_query_message(in.payload);
  if (!m) return refuse(authority, {}, "protocol_error", m.error().message());
  if (const auto* q = std::get_if<protocol::QueryRequest>(&*m))
    return admit_query(authority, q->query, now_ms);
  if (const auto* o = std::get_if<protocol::OverrideRequestMessage>(&*m))
    return answer_override(authority, o->request, now_ms);
  return refuse(authority, {}, "protocol_error",
                std::string(protocol::query_message_name(*m)) + " is not sent by an authority");
}

// The checks of a verified request's query (`field` names it in the details): it names the
// connection's authority, it is fresh, its id is new. A refusal is audited.
std::optional<protocol::Bytes> QueryService::check_request(const std::string& authority,
                                                           const protocol::Query& q,
                                                           std::string_view field,
                                                           std::uint64_t now_ms) {
  const std::string f(field);
  if (q.authority_id != authority)
    return refuse_audited(authority, q, true, "not_authorised",
                          f + ".authority_id '" + q.authority_id +
                              "' is not the authority certified for this connection",
                          now_ms);
  if (!protocol::query_fresh(q.time_ms, now_ms))
    return refuse_audited(authority, q, true, "stale",
                          f + ".time_ms is more than 5 minutes from the index's clock", now_ms);
  if (!replays_.first_seen(authority, q.query_id, q.time_ms, now_ms))
    return refuse_audited(authority, q, true, "replayed", f + ".query_id was already answered",
                          now_ms);
  return std::nullopt;
}

std::variant<protocol::Bytes, protocol::Query> QueryService::admit_query(
    const std::string& authority, protocol::ByteView signed_query, std::uint64_t now_ms) {
  // Every refusal from here is audited: the connection is authenticated and the message is a
  // query (docs/audit.md, "Refused queries").
  protocol::Result<protocol::Query> q = protocol::verify_query(signed_query, *trust_, now_ms);
  if (!q)
    return refuse_audited(authority, claimed_query(signed_query), false,
                          std::string(protocol::errc_name(q.error().code)), q.error().detail,
                          now_ms);
  if (auto refused = check_request(authority, *q, "query", now_ms)) return std::move(*refused);
  return std::move(q).value();
}

void QueryService::answer_group(const std::vector<protocol::Query>& queries,
                                const std::vector<std::size_t>& asked,
                                std::vector<protocol::Bytes>& replies, std::uint64_t now_ms) {
  if (queries.empty()) return;
  auto done =
      store_.answer_queries(queries, config_.shield_contacts, digest_key_, now_ms);
  if (!done) {
    log::error("query_audit_failed", {{"queries", queries.size()},
                                      {"detail", done.error().message()}});
    for (std::size_t k = 0; k < queries.size(); ++k)
      replies[asked[k]] =
          refuse(queries[k].authority_id, queries[k].query_id, "unavailable",
                 "the query could not be audited; nothing is answered unaudited");
    return;
  }
  ++groups_;
  for (std::size_t k = 0; k < queries.size(); ++k) {
    const protocol::Query& q = queries[k];
    index::AnsweredQuery& a = (*done)[k];
    ++answered_;
    // Who asked and what came back, never what was asked.
    log::info("query_answered", {{"authority", q.authority_id},
                                 {"role", protocol::user_role_name(q.role)},
                                 {"purpose", protocol::query_purpose_name(q.purpose)},
                                 {"children", a.answer.children.size()},
                                 {"audit_index", a.audit_index},
                                 {"group", queries.size()}});
    replies[asked[k]] =
        protocol::encode_query_message(protocol::QueryAnswer{std::move(a.answer)});
  }
}

void QueryService::flush_notices(std::uint64_t now_ms, bool now) {
  // (A wall clock set back flushes at once rather than waiting for it to catch up.)
  if (!now && now_ms >= flushed_ms_ && now_ms < flushed_ms_ + index::kNoticeFlushMs) return;
  flushed_ms_ = now_ms;
  auto feeds = store_.flush_notices(now_ms, signing_);
  if (!feeds) {  // the notices stay queued: the next flush tries again
    log::error("notice_flush_failed", {{"detail", feeds.error().message()}});
    return;
  }
  if (feeds->empty()) return;
  ++notice_flushes_;
  feeds_advanced_(*feeds);
}

// An override (break-glass, docs/query.md rule 6): the checks of a query (the verified request's
// inner query names the asker), then IndexStore::answer_override.
protocol::Bytes QueryService::answer_override(const std::string& authority,
                                              protocol::ByteView signed_request,
                                              std::uint64_t now_ms) {
  protocol::Result<protocol::OverrideRequest> o =
      protocol::verify_override(signed_request, *trust_, now_ms);
  if (!o)  // audited as a refused query, by whom unknown: the request did not verify
    return refuse_audited(authority, std::nullopt, false,
                          std::string(protocol::errc_name(o.error().code)), o.error().detail,
                          now_ms);
  const protocol::Query& q = o->query;
  if (auto refused = check_request(authority, q, "override.query", now_ms))
    return std::move(*refused);
  auto done = store_.answer_override(*o, now_ms, signing_);
  if (!done) {
    switch (done.error().code) {
      case index::IndexErrc::not_found:  // a break-glass attempt is audited, answered or not
        return refuse_audited(authority, q, true, "not_found", done.error().detail, now_ms);
      case index::IndexErrc::invalid_argument:
        return refuse_audited(authority, q, true, "invalid_field", done.error().detail, now_ms);
      default:
        log::error("override_audit_failed", {{"authority", authority},
                                             {"detail", done.error().message()}});
        return refuse(authority, q.query_id, "unavailable",
                      "the override could not be audited; nothing is answered unaudited");
    }
  }
  ++overrides_answered_;
  // Who broke the glass and how much was sent; never the child, never the reason.
  log::warning("override_answered", {{"authority", authority},
                                     {"user", q.user_id},
                                     {"purpose", protocol::query_purpose_name(q.purpose)},
                                     {"records", done->answer.records.size()},
                                     {"audit_index", done->audit_index}});
  if (!done->feeds.empty()) feeds_advanced_(done->feeds);
  return protocol::encode_query_message(protocol::OverrideAnswerMessage{std::move(done->answer)});
}

nlohmann::ordered_json QueryService::status() {
  auto waiting = store_.pending_notices();  // queued access notices (counted up to a bound)
  return {{"listen", server_->endpoint()},
          {"answered", answered_},
          {"groups", groups_},
          {"notice_flushes", notice_flushes_},
          {"notices_waiting", waiting ? nlohmann::ordered_json(*waiting) : nullptr},
          {"overrides_answered", overrides_answered_},
          {"refused", refused_},
          {"refusals_audited", refusals_audited_}};
}

}  // namespace aegis::daemon
