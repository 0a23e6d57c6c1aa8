// The index's query service (see query_service.hpp).
#include "query_service.hpp"

#include "aegis/protocol/crypto.hpp"
#include "clock.hpp"
#include "log.hpp"
#include "socket_limits.hpp"

namespace aegis::daemon {
namespace {

constexpr std::string_view kDomainAuditDigestKey = "AEGIS-AUDIT-DIGEST-KEY-V1";

}  // namespace

protocol::ByteArray<32> audit_digest_key(const protocol::Signer& index) {
  const protocol::Signature sig =
      index.sign(protocol::signing_input(kDomainAuditDigestKey, protocol::ByteView()));
  return protocol::blake2b_256(sig);
}

bool ReplayGuard::first_seen(const std::string& authority, const protocol::QueryId& id,
                             std::uint64_t time_ms, std::uint64_t now_ms) {
  const std::uint64_t keep = 2 * protocol::kQueryFreshnessMs;
  for (auto it = seen_.begin(); it != seen_.end();) {
    if (it->second + keep < now_ms) it = seen_.erase(it);
    else ++it;
  }
  return seen_.emplace(std::make_pair(authority, id), time_ms).second;
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
    std::optional<transport::Incoming> in = server_->receive();
    if (!in) return;
    protocol::Bytes reply =
        in->single_frame
            ? handle(in->authority_id, in->payload, now_ms())
            : refuse(in->authority_id, {}, "protocol_error", "a message is one frame");
    (void)server_->send(in->routing_id, reply);  // a peer gone is its loss: it asks again
  }
}

protocol::Bytes QueryService::refuse(const std::string& authority, const protocol::QueryId& id,
                                     std::string code, std::string detail) {
  log::warning("query_refused", {{"authority", authority}, {"code", code}, {"detail", detail}});
  ++refused_[code];
  return protocol::encode_query_message(protocol::QueryRefused{id, std::move(code),
                                                               std::move(detail)});
}

protocol::Bytes QueryService::handle(const std::string& authority, protocol::ByteView payload,
                                     std::uint64_t now_ms) {
  if (authority.empty() ||
      !trust_->active_subject(authority, protocol::Role::authority, now_ms))
    return refuse(authority, {}, "not_authorised",
                  "the certificate of '" + authority + "' is not active");
  protocol::Result<protocol::QueryMessage> m = protocol::decode_query_message(payload);
  if (!m) return refuse(authority, {}, "protocol_error", m.error().message());
  if (const auto* q = std::get_if<protocol::QueryRequest>(&*m))
    return answer(authority, q->query, now_ms);
  if (const auto* o = std::get_if<protocol::OverrideRequestMessage>(&*m))
    return answer_override(authority, o->request, now_ms);
  return refuse(authority, {}, "protocol_error",
                std::string(protocol::query_message_name(*m)) + " is not sent by an authority");
}

protocol::Bytes QueryService::answer(const std::string& authority,
                                     protocol::ByteView signed_query, std::uint64_t now_ms) {
  protocol::Result<protocol::Query> q = protocol::verify_query(signed_query, *trust_, now_ms);
  if (!q)
    return refuse(authority, {}, std::string(protocol::errc_name(q.error().code)),
                  q.error().detail);
  if (q->authority_id != authority)
    return refuse(authority, q->query_id, "not_authorised",
                  "query.authority_id '" + q->authority_id +
                      "' is not the authority certified for this connection");
  if (!protocol::query_fresh(q->time_ms, now_ms))
    return refuse(authority, q->query_id, "stale",
                  "query.time_ms is more than 5 minutes from the index's clock");
  if (!replays_.first_seen(authority, q->query_id, q->time_ms, now_ms))
    return refuse(authority, q->query_id, "replayed", "query.query_id was already answered");
  auto done = store_.answer_query(*q, config_.shield_contacts, digest_key_, now_ms, signing_);
  if (!done) {
    log::error("query_audit_failed", {{"authority", authority},
                                      {"detail", done.error().message()}});
    return refuse(authority, q->query_id, "unavailable",
                  "the query could not be audited; nothing is answered unaudited");
  }
  ++answered_;
  // Who asked and what came back, never what was asked.
  log::info("query_answered", {{"authority", authority},
                               {"role", protocol::user_role_name(q->role)},
                               {"purpose", protocol::query_purpose_name(q->purpose)},
                               {"children", done->answer.children.size()},
                               {"audit_index", done->audit_index}});
  if (!done->feeds.empty()) feeds_advanced_(done->feeds);
  return protocol::encode_query_message(protocol::QueryAnswer{std::move(done->answer)});
}

// An override (break-glass, docs/query.md rule 6): the checks of a query (the verified request's
// inner query names the asker), then IndexStore::answer_override.
protocol::Bytes QueryService::answer_override(const std::string& authority,
                                              protocol::ByteView signed_request,
                                              std::uint64_t now_ms) {
  protocol::Result<protocol::OverrideRequest> o =
      protocol::verify_override(signed_request, *trust_, now_ms);
  if (!o)
    return refuse(authority, {}, std::string(protocol::errc_name(o.error().code)),
                  o.error().detail);
  const protocol::Query& q = o->query;
  if (q.authority_id != authority)
    return refuse(authority, q.query_id, "not_authorised",
                  "override.query.authority_id '" + q.authority_id +
                      "' is not the authority certified for this connection");
  if (!protocol::query_fresh(q.time_ms, now_ms))
    return refuse(authority, q.query_id, "stale",
                  "override.query.time_ms is more than 5 minutes from the index's clock");
  if (!replays_.first_seen(authority, q.query_id, q.time_ms, now_ms))
    return refuse(authority, q.query_id, "replayed",
                  "override.query.query_id was already answered");
  auto done = store_.answer_override(*o, now_ms, signing_);
  if (!done) {
    switch (done.error().code) {
      case index::IndexErrc::not_found:
        return refuse(authority, q.query_id, "not_found", done.error().detail);
      case index::IndexErrc::invalid_argument:
        return refuse(authority, q.query_id, "invalid_field", done.error().detail);
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
  return {{"listen", server_->endpoint()},
          {"answered", answered_},
          {"overrides_answered", overrides_answered_},
          {"refused", refused_}};
}

}  // namespace aegis::daemon
