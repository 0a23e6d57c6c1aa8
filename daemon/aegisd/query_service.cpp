// The index's query service (see query_service.hpp).
#include "query_service.hpp"

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
  while (std::optional<transport::Incoming> in = server_->receive()) {
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
  if (std::holds_alternative<protocol::OverrideRequestMessage>(*m))
    return refuse(authority, {}, "not_supported", "override is not answered by this index yet");
  return refuse(authority, {}, "protocol_error",
                std::string(protocol::query_message_name(*m)) + " is not sent by an authority");
}

protocol::Bytes QueryService::answer(const std::string& authority,
                                     protocol::ByteView signed_query, std::uint64_t now_ms) {
  // Every refusal from here is audited: the connection is authenticated and the message is a
  // query (docs/audit.md, "Refused queries").
  protocol::Result<protocol::Query> q = protocol::verify_query(signed_query, *trust_, now_ms);
  if (!q)
    return refuse_audited(authority, claimed_query(signed_query), false,
                          std::string(protocol::errc_name(q.error().code)), q.error().detail,
                          now_ms);
  if (q->authority_id != authority)
    return refuse_audited(authority, *q, true, "not_authorised",
                          "query.authority_id '" + q->authority_id +
                              "' is not the authority certified for this connection",
                          now_ms);
  if (!protocol::query_fresh(q->time_ms, now_ms))
    return refuse_audited(authority, *q, true, "stale",
                          "query.time_ms is more than 5 minutes from the index's clock", now_ms);
  if (!replays_.first_seen(authority, q->query_id, q->time_ms, now_ms))
    return refuse_audited(authority, *q, true, "replayed", "query.query_id was already answered",
                          now_ms);
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

nlohmann::ordered_json QueryService::status() {
  return {{"listen", server_->endpoint()},
          {"answered", answered_},
          {"refused", refused_},
          {"refusals_audited", refusals_audited_}};
}

}  // namespace aegis::daemon
