// The authority's side of practitioner queries (docs/query.md, PROTOCOL.md §16): the admin
// command `search` (what `aegis search` sends). The daemon holds the keys, so it makes the
// identifier tokens with the matching key, signs the Query with the authority identity, sends it
// on its own DEALER to the index's query socket ([sync] index_query_endpoint) and waits for the
// answer (at most kQueryTimeoutMs; the event loop waits with it).
//   {"cmd":"search","user":U,"role":R,"purpose":P,"given":G,"family":F,"dob":"YYYY-MM-DD",
//    "postcode":PC?,"nhs":N?,"upn":N?,"uln":N?}  -> {"answer": hex of the encoded Answer}
//   {"cmd":"override","user":U,"role":R,"purpose":P,"given":G,"family":F,"dob":"YYYY-MM-DD",
//    "national_id":ID,"reason":TEXT}  -> {"answer": hex of the encoded OverrideAnswer}
// (override: break-glass, docs/query.md rule 6; the sealed blobs come back as the index holds
// them: the daemon opens nothing, `aegis override` / `aegis shield open` do.)
// Refusals: bad_request (a field), not_configured, unavailable (no answer in time), or the
// index's QueryRefused code (stale, replayed, not_authorised, unavailable...).
#include <sys/random.h>

#include <cerrno>
#include <chrono>

#include "admin.hpp"
#include "authority_node.hpp"
#include "clock.hpp"
#include "log.hpp"
#include "node/node.hpp"
#include "socket_limits.hpp"

namespace aegis::daemon {
namespace {

using nlohmann::json;
using nlohmann::ordered_json;

constexpr int kQueryTimeoutMs = 10'000;

std::string text_field(const json& request, const char* key, bool required) {
  auto it = request.find(key);
  if (it == request.end() || it->is_null()) {
    if (required) throw AdminError("bad_request", std::string("\"") + key + "\": required");
    return {};
  }
  if (!it->is_string())
    throw AdminError("bad_request", std::string("\"") + key + "\": a string required");
  return it->get<std::string>();
}

template <class Enum, class NameOf>
Enum code_of(const std::string& name, int last, NameOf name_of, const char* key) {
  std::string known;
  for (int i = 1; i <= last; ++i) {
    const auto e = static_cast<Enum>(i);
    if (name_of(e) == name) return e;
    known += (known.empty() ? "" : ", ") + std::string(name_of(e));
  }
  throw AdminError("bad_request", std::string("\"") + key + "\": '" + name +
                                      "' is not one of: " + known);
}

protocol::QueryId fresh_query_id() {
  protocol::QueryId id{};
  std::size_t done = 0;
  while (done < id.size()) {
    const ssize_t n = ::getrandom(id.data() + done, id.size() - done, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw std::runtime_error("getrandom failed");
    }
    done += static_cast<std::size_t>(n);
  }
  return id;
}

// Waits until `socket` is ready for `events` or the deadline passes.
bool wait_for(zmq::socket_t& socket, short events, std::chrono::steady_clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      deadline - std::chrono::steady_clock::now());
  if (left.count() <= 0) return false;
  zmq_pollitem_t item{socket.handle(), 0, events, 0};
  return zmq_poll(&item, 1, static_cast<long>(left.count())) > 0 && (item.revents & events);
}

}  // namespace

void AuthorityNode::add_admin(Admin& admin) {
  admin.on_request("search", [this](const json& request) {
    const protocol::Answer answer = search(request);
    return ordered_json{{"answer", protocol::to_hex(protocol::encode_answer(answer))}};
  });
  admin.on_request("override", [this](const json& request) {
    const protocol::OverrideAnswer answer = override_child(request);
    return ordered_json{
        {"answer", protocol::to_hex(protocol::encode_override_answer(answer))}};
  });
}

protocol::Query AuthorityNode::query_of(const json& request) {
  now_ms_ = now_ms();
  protocol::Query q;
  q.authority_id = config_.subject_id;
  auto serial = node::certificate_serial(config_);
  if (!serial) throw AdminError("failed", serial.error().message);
  q.signer_serial = *serial;
  q.query_id = fresh_query_id();
  q.time_ms = now_ms_;
  q.user_id = text_field(request, "user", true);
  q.role = code_of<protocol::UserRole>(text_field(request, "role", true), 3,
                                       protocol::user_role_name, "role");
  q.purpose = code_of<protocol::QueryPurpose>(text_field(request, "purpose", true), 5,
                                              protocol::query_purpose_name, "purpose");
  q.criteria.given = text_field(request, "given", true);
  q.criteria.family = text_field(request, "family", true);
  const std::string dob = text_field(request, "dob", true);
  std::optional<protocol::Date> date = protocol::Date::parse(dob);
  if (!date) throw AdminError("bad_request", "\"dob\": '" + dob + "' is not a date YYYY-MM-DD");
  q.criteria.date_of_birth = *date;
  return q;
}

protocol::Answer AuthorityNode::search(const json& request) {
  protocol::Query q = query_of(request);
  if (std::string pc = text_field(request, "postcode", false); !pc.empty())
    q.criteria.postcode = pc;
  // Identifier tokens, made here with the matching key: the identifier never leaves.
  protocol::ChildDetails ids;
  const std::string nhs = text_field(request, "nhs", false), upn = text_field(request, "upn", false),
                    uln = text_field(request, "uln", false);
  if (!nhs.empty()) ids.nhs_number = nhs;
  if (!upn.empty()) ids.upn = upn;
  if (!uln.empty()) ids.uln = uln;
  protocol::MatchTokens tokens = protocol::make_match_tokens(ids, matching_key_);
  const std::size_t given = (nhs.empty() ? 0u : 1u) + (upn.empty() ? 0u : 1u) + (uln.empty() ? 0u : 1u);
  if (tokens.entries.size() != given)
    throw AdminError("bad_request", "an identifier given does not pass its check");
  if (!tokens.entries.empty()) q.criteria.tokens = std::move(tokens);
  // What the index would refuse is refused here, naming the field.
  if (auto back = protocol::decode_query_body(protocol::encode_query_body(q)); !back)
    throw AdminError("bad_request", back.error().message());

  const protocol::Bytes message =
      protocol::encode_query_message(protocol::QueryRequest{protocol::sign_query(q, identity_)});
  ++queries_sent_;
  // Who asked and why, never what was asked.
  log::info("query_sent", {{"user", q.user_id},
                           {"role", protocol::user_role_name(q.role)},
                           {"purpose", protocol::query_purpose_name(q.purpose)}});
  protocol::QueryMessage answer = ask_index(message, q.query_id);
  if (auto* a = std::get_if<protocol::QueryAnswer>(&answer)) return std::move(a->answer);
  throw AdminError("failed", "the index answered the query with an override answer");
}

protocol::OverrideAnswer AuthorityNode::override_child(const json& request) {
  protocol::OverrideRequest o;
  o.query = query_of(request);
  o.national_id = text_field(request, "national_id", true);
  o.reason = text_field(request, "reason", true);
  // What the index would refuse is refused here, naming the field (a role other than
  // child_protection_override too).
  if (auto back = protocol::decode_override_body(protocol::encode_override_body(o)); !back)
    throw AdminError("bad_request", back.error().message());
  const protocol::Bytes message = protocol::encode_query_message(
      protocol::OverrideRequestMessage{protocol::sign_override(o, identity_)});
  // Who broke the glass and why it is logged at the index and told to the owner; here only who.
  log::warning("override_sent", {{"user", o.query.user_id},
                                 {"purpose", protocol::query_purpose_name(o.query.purpose)}});
  protocol::QueryMessage answer = ask_index(message, o.query.query_id);
  if (auto* a = std::get_if<protocol::OverrideAnswerMessage>(&answer))
    return std::move(a->answer);
  throw AdminError("failed", "the index answered the override with a search answer");
}

protocol::QueryMessage AuthorityNode::ask_index(const protocol::Bytes& message,
                                          const protocol::QueryId& id) {
  if (sync_.index_query_endpoint.empty())
    throw AdminError("not_configured", "sync.index_query_endpoint is not set in " +
                                           config_.file.string());
  if (!query_client_) {
    const transport::CurveKeys keys(identity_.curve_public_key(), identity_.curve_secret_z85());
    query_client_ = std::make_unique<transport::AuthorityClient>(
        context_, keys, index_key_, sync_.index_query_endpoint, transport_limits(config_));
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(kQueryTimeoutMs);
  zmq::socket_t& socket = query_client_->socket();
  for (;;) {  // ZMQ_IMMEDIATE: nothing is queued until the connection is up
    if (!wait_for(socket, ZMQ_POLLOUT, deadline)) {
      query_client_.reset();
      throw AdminError("unavailable", "the index query socket " + sync_.index_query_endpoint +
                                          " did not take the query within 10 s");
    }
    if (query_client_->send(message) == transport::SendResult::sent) break;
  }
  for (;;) {
    if (!wait_for(socket, ZMQ_POLLIN, deadline)) {
      query_client_.reset();  // a late answer must not be taken for the next query's
      throw AdminError("unavailable", "no answer from the index within 10 s");
    }
    std::optional<transport::Incoming> in = query_client_->receive();
    if (!in || !in->single_frame) continue;
    protocol::Result<protocol::QueryMessage> m = protocol::decode_query_message(in->payload);
    if (!m) {
      log::warning("bad_query_message", {{"code", protocol::errc_name(m.error().code)},
                                         {"detail", m.error().detail}});
      continue;
    }
    if (auto* a = std::get_if<protocol::QueryAnswer>(&*m); a && a->answer.query_id == id)
      return std::move(*m);
    if (auto* a = std::get_if<protocol::OverrideAnswerMessage>(&*m); a && a->answer.query_id == id)
      return std::move(*m);
    if (auto* r = std::get_if<protocol::QueryRefused>(&*m);
        r && (r->query_id == id || r->query_id == protocol::QueryId{}))
      throw AdminError(r->code, "the index refused the request (" + r->code + "): " + r->detail);
  }
}

}  // namespace aegis::daemon
