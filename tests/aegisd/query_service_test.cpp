// The index's query service (daemon/aegisd/query_service.*): what it answers and what it refuses
// before anything is searched — the connection's authority must be the query's, the signature
// and certificate must verify, the query must be fresh (5 min) and its id new; other messages
// are refused by name; a query refused after its connection was authenticated leaves a
// query_refused audit entry (who as far as known, the code, never the criteria), undecodable
// bytes only a count. QueryService::handle is driven directly (no socket traffic), on a real
// index store in a TempDir.
#include <catch2/catch.hpp>

#include <algorithm>

#include <zmq.hpp>

#include "../index/index_fixture.hpp"
#include "aegisd/query_service.hpp"

using namespace aegis::test::index_fixtures;
using aegis::daemon::QueryService;
using aegis::daemon::ReplayGuard;
using aegis::test::SeedSigner;
using aegis::test::seed;

namespace {

struct ServiceFixture : IndexFixture {
  static aegis::config::Config index_config() {
    aegis::config::Config c;
    c.role = Role::index;
    c.subject_id = "index";
    c.sync.emplace();
    c.sync->listen = "tcp://127.0.0.1:*";
    c.sync->query_listen = "tcp://127.0.0.1:*";
    return c;
  }
  ServiceFixture() {
    ChildRecord amelia_k = child("K:1");
    ChildRecord amelia_l = amelia_k;
    amelia_l.record_id = "L:1";
    apply("kent", {kent.upsert(amelia_k)});
    apply("leeds", {leeds.upsert(amelia_l)});
    q.authority_id = "kent";
    q.signer_serial = kKentSerial;
    q.query_id = QueryId{1, 2, 3};
    q.time_ms = kNowMs;
    q.user_id = "pr-0042";
    q.criteria.given = amelia_k.identity.name.given;
    q.criteria.family = amelia_k.identity.name.family;
    q.criteria.date_of_birth = amelia_k.identity.date_of_birth;
  }
  QueryMessage send(const std::string& connection, const Bytes& message,
                    std::uint64_t now = kNowMs) {
    auto m = decode_query_message(service.handle(connection, message, now));
    REQUIRE(m.ok());
    return *m;
  }
  Bytes request(const Query& query, std::uint8_t seed_byte = kKentSeed) {
    return encode_query_message(QueryRequest{sign_query(query, SeedSigner(seed(seed_byte)))});
  }
  std::string refusal(const QueryMessage& m) {
    const auto* r = std::get_if<QueryRefused>(&m);
    return r ? r->code : "answered";
  }
  // Every audit entry, in order, read from the file as another process would.
  std::vector<AuditEntry> audit() {
    RawDb raw(file);
    std::vector<AuditEntry> out;
    if (raw.scalar("SELECT count(*) FROM sqlite_master WHERE name = 'audit_entries'") == 0)
      return out;  // created by the first append
    const auto n = raw.scalar("SELECT count(*) FROM audit_entries");
    for (std::int64_t i = 0; i < n; ++i) {
      auto e = decode_audit_entry(
          raw.blob("SELECT entry FROM audit_entries WHERE idx = " + std::to_string(i)));
      REQUIRE(e.ok());
      out.push_back(*e);
    }
    return out;
  }
  // The one audit entry a refusal left: query_refused, no records, no digest, no criteria.
  AuditEntry refused_entry() {
    const std::vector<AuditEntry> all = audit();
    REQUIRE(all.size() == 1);
    const AuditEntry& e = all.front();
    CHECK(e.action == AuditAction::query_refused);
    CHECK(e.timestamp_ms != 0);
    CHECK(e.records.empty());
    CHECK_FALSE(e.query_digest);
    const std::string bytes = aegis::protocol::to_hex(encode_audit_entry(e));
    for (const std::string& value : {q.criteria.given, q.criteria.family})
      CHECK(bytes.find(aegis::protocol::to_hex(Bytes(value.begin(), value.end()))) ==
            std::string::npos);
    CHECK(e.detail.find(q.criteria.date_of_birth.to_string()) == std::string::npos);
    return e;
  }

  Chain kent = Chain::kent(), leeds = Chain::leeds();
  aegis::config::Config config = index_config();  // before service, which binds from it
  zmq::context_t context;
  aegis::keys::Identity identity = aegis::keys::Identity::generate("index", Role::index).value();
  std::vector<std::string> advanced;
  QueryService service{config, store, identity, signing,
                       std::make_shared<const Trust>(trust), context,
                       [this](const std::vector<aegis::index::FeedHead>& heads) {
                         for (const auto& h : heads) advanced.push_back(h.authority_id);
                       }};
  Query q;
};

}  // namespace

TEST_CASE("query service: a signed, fresh query is answered and the owners' feeds pumped",
          "[query_service]") {
  ServiceFixture f;
  const QueryMessage m = f.send("kent", f.request(f.q));
  const auto* a = std::get_if<QueryAnswer>(&m);
  REQUIRE(a != nullptr);
  CHECK(a->answer.query_id == f.q.query_id);
  REQUIRE(a->answer.children.size() == 1);
  CHECK(a->answer.children[0].records.size() == 2);
  CHECK(f.service.status()["answered"] == 1);
  // leeds's notice waits for the flush (the index's tick), which pumps its feed.
  CHECK(f.advanced.empty());
  CHECK(f.service.status()["notices_waiting"] == 1);
  f.service.flush_notices(kNowMs, false);
  CHECK(f.service.status()["notices_waiting"] == 0);
  CHECK(f.advanced == std::vector<std::string>{"leeds"});
  CHECK(f.service.status()["notice_flushes"] == 1);
  // The next query's notice waits kNoticeFlushMs, or for the flush at stop.
  f.q.query_id[0] = 9;
  CHECK(f.refusal(f.send("kent", f.request(f.q), kNowMs + 10)) == "answered");
  f.service.flush_notices(kNowMs + aegis::index::kNoticeFlushMs - 1, false);
  CHECK(f.advanced.size() == 1);
  f.service.flush_notices(kNowMs + aegis::index::kNoticeFlushMs - 1, true);
  CHECK(f.advanced.size() == 2);
  // Nothing waiting: nothing pumped, no flush counted.
  f.service.flush_notices(kNowMs + 10 * aegis::index::kNoticeFlushMs, false);
  CHECK(f.advanced.size() == 2);
  CHECK(f.service.status()["notice_flushes"] == 2);
  // A wall clock set back does not hold the notices until it catches up.
  f.q.query_id[0] = 10;
  CHECK(f.refusal(f.send("kent", f.request(f.q), kNowMs + 20)) == "answered");
  f.service.flush_notices(kNowMs - 60'000, false);
  CHECK(f.advanced.size() == 3);
}

TEST_CASE("query service: a repeated query id is refused replayed, a new one answered",
          "[query_service]") {
  ServiceFixture f;
  CHECK(f.refusal(f.send("kent", f.request(f.q))) == "answered");
  const QueryMessage again = f.send("kent", f.request(f.q), kNowMs + 1000);
  CHECK(f.refusal(again) == "replayed");
  CHECK(std::get<QueryRefused>(again).query_id == f.q.query_id);
  f.q.query_id[0] = 9;
  CHECK(f.refusal(f.send("kent", f.request(f.q), kNowMs + 1000)) == "answered");
}

TEST_CASE("query service: a query more than 5 minutes from the clock is refused stale",
          "[query_service]") {
  ServiceFixture f;
  CHECK(f.refusal(f.send("kent", f.request(f.q), kNowMs + kQueryFreshnessMs + 1)) == "stale");
  f.q.query_id[0] = 2;
  f.q.time_ms = kNowMs + kQueryFreshnessMs + 1;  // from the future
  CHECK(f.refusal(f.send("kent", f.request(f.q))) == "stale");
  f.q.query_id[0] = 3;
  f.q.time_ms = kNowMs - kQueryFreshnessMs;  // the edge of the window
  CHECK(f.refusal(f.send("kent", f.request(f.q))) == "answered");
}

TEST_CASE("query service: a bad signature or an unsigned query is refused", "[query_service]") {
  ServiceFixture f;
  // Signed with leeds's key but claiming kent's certificate.
  CHECK(f.refusal(f.send("kent", f.request(f.q, kLeedsSeed))) == "bad_signature");
  // The body without its signature.
  const std::string unsigned_code =
      f.refusal(f.send("kent", encode_query_message(QueryRequest{encode_query_body(f.q)})));
  CHECK(unsigned_code != "answered");
  CHECK(unsigned_code != "protocol_error");  // the message decoded; the query inside did not
  CHECK(f.service.status()["answered"] == 0);
}

TEST_CASE("query service: the connection's authority must be the query's", "[query_service]") {
  ServiceFixture f;
  CHECK(f.refusal(f.send("leeds", f.request(f.q))) == "not_authorised");
  CHECK(f.refusal(f.send("", f.request(f.q))) == "not_authorised");
  CHECK(f.refusal(f.send("nowhere", f.request(f.q))) == "not_authorised");
}

TEST_CASE("query service: a revoked certificate is refused", "[query_service]") {
  ServiceFixture f;
  f.q.signer_serial = kKentRevokedSerial;
  CHECK(f.refusal(f.send("kent", f.request(f.q, kKentRevokedSeed))) == "revoked_signer");
}

TEST_CASE("query service: undecodable bytes and messages an index sends are refused",
          "[query_service]") {
  ServiceFixture f;
  CHECK(f.refusal(f.send("kent", Bytes{0x01, 0x02})) == "protocol_error");
  CHECK(f.refusal(f.send("kent", encode_query_message(QueryAnswer{}))) == "protocol_error");
  CHECK(f.refusal(f.send("kent", encode_query_message(QueryRefused{{}, "x", "y"}))) ==
        "protocol_error");
}

TEST_CASE("query service: the replay guard forgets ids after twice the window", "[query_service]") {
  ReplayGuard g;
  const QueryId id{1};
  CHECK(g.first_seen("kent", id, 1000, 1000));
  CHECK_FALSE(g.first_seen("kent", id, 1000, 2000));
  CHECK(g.first_seen("leeds", id, 1000, 2000));  // per authority
  CHECK(g.first_seen("kent", id, 1000, 1000 + 2 * kQueryFreshnessMs + 1));
  CHECK(g.size() == 1);
}

TEST_CASE("query service: the replay guard forgets the oldest ids first and keeps the rest",
          "[query_service]") {
  ReplayGuard g;
  const std::uint64_t keep = 2 * kQueryFreshnessMs;
  for (std::uint8_t i = 0; i < 10; ++i) {
    const std::uint64_t t = 1000 + 1000 * std::uint64_t{i};
    CHECK(g.first_seen("kent", QueryId{i}, t, t));
  }
  CHECK(g.size() == 10);
  // Query times 1000..5000 are now more than twice the window old; 6000..10000 are not.
  const std::uint64_t now = 5500 + keep;
  CHECK(g.first_seen("kent", QueryId{0}, now, now));  // forgotten: new again
  CHECK(g.size() == 6);
  CHECK_FALSE(g.first_seen("kent", QueryId{7}, now, now));  // kept: a replay
  CHECK_FALSE(g.first_seen("kent", QueryId{0}, now, now));
  CHECK(g.size() == 6);
}

// ---- Overrides (break-glass, docs/query.md rule 6): the same checks on the inner query, then
// IndexStore::answer_override; refusal codes for a child that is not shielded or unknown.

namespace {

struct OverrideServiceFixture : ServiceFixture {
  OverrideServiceFixture() {
    ChildRecord noah = aegis::test::sample_shielded_child("Y:1");
    apply("york", {york.upsert(noah)});
    auto r = store.record("york", "Y:1");
    REQUIRE(r.ok());
    REQUIRE(r->has_value());
    o.query = q;
    o.query.query_id = QueryId{5, 5};
    o.query.user_id = "cp-0007";
    o.query.role = UserRole::child_protection_override;
    o.national_id = *(*r)->national_id;
    o.reason = "Section 47 enquiry: child missing since Friday";
  }
  Bytes override_request(const OverrideRequest& request, std::uint8_t seed_byte = kKentSeed) {
    return encode_query_message(
        OverrideRequestMessage{sign_override(request, SeedSigner(seed(seed_byte)))});
  }
  Chain york = Chain::york();
  OverrideRequest o;
};

}  // namespace

TEST_CASE("query service: an override is answered with the sealed record, york's feed pumped",
          "[query_service][override]") {
  OverrideServiceFixture f;
  const QueryMessage m = f.send("kent", f.override_request(f.o));
  const auto* a = std::get_if<OverrideAnswerMessage>(&m);
  INFO(f.refusal(m));
  REQUIRE(a != nullptr);
  CHECK(a->answer.query_id == f.o.query.query_id);
  REQUIRE(a->answer.records.size() == 1);
  CHECK(a->answer.records[0].sealed.has_value());
  CHECK(f.advanced == std::vector<std::string>{"york"});
  CHECK(f.service.status()["overrides_answered"] == 1);
  CHECK(f.service.status()["answered"] == 0);
}

TEST_CASE("query service: an override is refused replayed, stale, or from another connection",
          "[query_service][override]") {
  OverrideServiceFixture f;
  CHECK(f.refusal(f.send("leeds", f.override_request(f.o))) == "not_authorised");
  CHECK(f.refusal(f.send("kent", f.override_request(f.o),
                         kNowMs + kQueryFreshnessMs + 1)) == "stale");
  CHECK(f.refusal(f.send("kent", f.override_request(f.o))) == "answered");
  CHECK(f.refusal(f.send("kent", f.override_request(f.o), kNowMs + 1000)) == "replayed");
  // A query id answered as a search is not answered again as an override.
  f.q.query_id = QueryId{6, 6};
  CHECK(f.refusal(f.send("kent", f.request(f.q))) == "answered");
  f.o.query.query_id = f.q.query_id;
  CHECK(f.refusal(f.send("kent", f.override_request(f.o))) == "replayed");
  CHECK(f.service.status()["overrides_answered"] == 1);
}

TEST_CASE("query service: an override by another role, a child not shielded or unknown is "
          "refused with its code", "[query_service][override]") {
  OverrideServiceFixture f;
  OverrideRequest practitioner = f.o;
  practitioner.query.role = UserRole::practitioner;
  CHECK(f.refusal(f.send("kent", f.override_request(practitioner))) == "invalid_field");
  OverrideRequest clear = f.o;
  clear.query.query_id = QueryId{7};
  auto amelia = f.store.record("kent", "K:1");
  REQUIRE(amelia.ok());
  clear.national_id = *(**amelia).national_id;
  CHECK(f.refusal(f.send("kent", f.override_request(clear))) == "invalid_field");
  OverrideRequest unknown = f.o;
  unknown.query.query_id = QueryId{8};
  unknown.national_id = "0V5K8Q2MZ7H4R9TA";
  CHECK(f.refusal(f.send("kent", f.override_request(unknown))) == "not_found");
  CHECK(f.refusal(f.send("kent", f.override_request(f.o, kLeedsSeed))) == "bad_signature");
  CHECK(f.service.status()["overrides_answered"] == 0);
  CHECK(f.advanced.empty());
  // Every refusal after the connection was authenticated is audited: a break-glass attempt
  // leaves a trace whether it was answered or not.
  CHECK(f.service.status()["refusals_audited"] == 4);
}

TEST_CASE("query service: a stale query is audited as refused, without its criteria",
          "[query_service][audit]") {
  ServiceFixture f;
  CHECK(f.refusal(f.send("kent", f.request(f.q), kNowMs + kQueryFreshnessMs + 1)) == "stale");
  const AuditEntry e = f.refused_entry();
  CHECK(e.actor == "pr-0042");
  CHECK(e.authority_id == "kent");
  CHECK(e.purpose == "safeguarding");
  CHECK(e.detail == "code stale; role practitioner; query " + to_hex(f.q.query_id));
  CHECK(f.service.status()["refusals_audited"] == 1);
}

TEST_CASE("query service: a replayed query is audited as refused after its answer",
          "[query_service][audit]") {
  ServiceFixture f;
  CHECK(f.refusal(f.send("kent", f.request(f.q))) == "answered");
  CHECK(f.refusal(f.send("kent", f.request(f.q), kNowMs + 1000)) == "replayed");
  const std::vector<AuditEntry> all = f.audit();
  REQUIRE(all.size() == 2);
  CHECK(all[0].action == AuditAction::query);
  CHECK(all[1].action == AuditAction::query_refused);
  CHECK(all[1].detail.rfind("code replayed; ", 0) == 0);
  CHECK(all[1].records.empty());
}

TEST_CASE("query service: a bad signature is audited with the user it claims, unverified",
          "[query_service][audit]") {
  ServiceFixture f;
  CHECK(f.refusal(f.send("kent", f.request(f.q, kLeedsSeed))) == "bad_signature");
  const AuditEntry e = f.refused_entry();
  CHECK(e.actor == "pr-0042");
  CHECK(e.authority_id == "kent");
  CHECK(e.detail == "code bad_signature; role practitioner; query " + to_hex(f.q.query_id) +
                        "; unverified");
}

TEST_CASE("query service: a query that is not even signed is audited with an unknown actor",
          "[query_service][audit]") {
  ServiceFixture f;
  const std::string code =
      f.refusal(f.send("kent", encode_query_message(QueryRequest{Bytes{0x93, 0x01}})));
  CHECK(code != "answered");
  const AuditEntry e = f.refused_entry();
  CHECK(e.actor == "unknown");
  CHECK(e.authority_id == "kent");
  CHECK(e.purpose.empty());
  CHECK(e.detail == "code " + code);
}

TEST_CASE("query service: a query sent on another authority's connection is audited there",
          "[query_service][audit]") {
  ServiceFixture f;
  CHECK(f.refusal(f.send("leeds", f.request(f.q))) == "not_authorised");
  const AuditEntry e = f.refused_entry();
  CHECK(e.authority_id == "leeds");  // the authenticated connection, not what the query names
  CHECK(e.actor == "pr-0042");
  CHECK(e.detail.find("names authority kent") != std::string::npos);
  CHECK(e.detail.find("unverified") == std::string::npos);
}

TEST_CASE("query service: a revoked signer's query is audited as refused",
          "[query_service][audit]") {
  ServiceFixture f;
  f.q.signer_serial = kKentRevokedSerial;
  CHECK(f.refusal(f.send("kent", f.request(f.q, kKentRevokedSeed))) == "revoked_signer");
  CHECK(f.refused_entry().detail.rfind("code revoked_signer; ", 0) == 0);
}

TEST_CASE("query service: junk and a connection without an active certificate are not audited",
          "[query_service][audit]") {
  ServiceFixture f;
  CHECK(f.refusal(f.send("kent", Bytes{0x01, 0x02})) == "protocol_error");
  CHECK(f.refusal(f.send("kent", encode_query_message(QueryAnswer{}))) == "protocol_error");
  CHECK(f.refusal(f.send("nowhere", f.request(f.q))) == "not_authorised");
  CHECK(f.refusal(f.send("", f.request(f.q))) == "not_authorised");
  CHECK(f.audit().empty());
  CHECK(f.service.status()["refused"]["protocol_error"] == 2);
  CHECK(f.service.status()["refused"]["not_authorised"] == 2);
  CHECK(f.service.status()["refusals_audited"] == 0);
}

TEST_CASE("query service: a refusal whose audit write fails is still refused",
          "[query_service][audit]") {
  ServiceFixture f;
  CHECK(f.refusal(f.send("kent", f.request(f.q), kNowMs + kQueryFreshnessMs + 1)) == "stale");
  REQUIRE(f.audit().size() == 1);
  {
    RawDb raw(f.file);
    raw.exec("CREATE TRIGGER no_audit BEFORE INSERT ON audit_entries "
             "BEGIN SELECT RAISE(ABORT, 'disk full'); END");
  }
  f.q.query_id[0] = 8;
  CHECK(f.refusal(f.send("kent", f.request(f.q), kNowMs + kQueryFreshnessMs + 1)) == "stale");
  CHECK(f.service.status()["refusals_audited"] == 1);
  CHECK(f.service.status()["refused"]["stale"] == 2);
  CHECK(f.audit().size() == 1);
}

TEST_CASE("query service: messages received together are answered as one group, in order",
          "[query_service][group]") {
  ServiceFixture f;
  Query second = f.q;
  second.query_id[0] = 5;
  Query leeds_asks = f.q;
  leeds_asks.authority_id = "leeds";
  leeds_asks.signer_serial = kLeedsSerial;
  leeds_asks.query_id[0] = 6;
  using aegis::transport::Incoming;
  const std::vector<Incoming> group{
      {"c1", "kent", f.request(f.q), true},
      {"c2", "kent", f.request(f.q), true},                       // the same id again
      {"c3", "leeds", f.request(second), true},                   // kent's query, leeds's line
      {"c4", "kent", Bytes{0x01, 0x02}, true},                    // junk
      {"c5", "kent", f.request(second), false},                   // several frames
      {"c6", "kent", f.request(second), true},
      {"c7", "leeds", f.request(leeds_asks, kLeedsSeed), true}};
  const std::vector<Bytes> replies = f.service.handle(group, kNowMs);
  REQUIRE(replies.size() == group.size());
  std::vector<std::string> codes;
  for (const Bytes& r : replies) {
    auto m = decode_query_message(r);
    REQUIRE(m.ok());
    codes.push_back(f.refusal(*m));
  }
  CHECK(codes == std::vector<std::string>{"answered", "replayed", "not_authorised",
                                          "protocol_error", "protocol_error", "answered",
                                          "answered"});
  CHECK(std::get<QueryAnswer>(decode_query_message(replies[5]).value()).answer.query_id ==
        second.query_id);
  // The two audited refusals as they came, then the group's three answers in its order.
  const std::vector<AuditEntry> audit = f.audit();
  REQUIRE(audit.size() == 5);
  CHECK(audit[0].action == AuditAction::query_refused);
  CHECK(audit[1].action == AuditAction::query_refused);
  for (std::size_t i = 2; i < 5; ++i) CHECK(audit[i].action == AuditAction::query);
  CHECK(audit[2].detail.find(aegis::protocol::to_hex(f.q.query_id)) != std::string::npos);
  CHECK(audit[3].detail.find(aegis::protocol::to_hex(second.query_id)) != std::string::npos);
  CHECK(audit[4].authority_id == std::optional<std::string>("leeds"));
  // Each owner's notices signed into its feed by the next flush, each feed pumped once (kent's
  // two queries both told leeds).
  CHECK(f.advanced.empty());
  f.service.flush_notices(kNowMs, false);
  std::vector<std::string> advanced = f.advanced;
  std::sort(advanced.begin(), advanced.end());
  CHECK(advanced == std::vector<std::string>{"kent", "leeds"});
  CHECK(f.service.status()["answered"] == 3);
  CHECK(f.service.status()["groups"] == 1);
}

TEST_CASE("query service: a group whose audit commit fails is refused unavailable, every query",
          "[query_service][group]") {
  ServiceFixture f;
  CHECK(f.refusal(f.send("kent", f.request(f.q))) == "answered");  // the audit tables exist
  {
    RawDb raw(f.file);
    raw.exec("CREATE TRIGGER no_audit BEFORE INSERT ON audit_entries "
             "BEGIN SELECT RAISE(ABORT, 'disk full'); END");
  }
  Query a = f.q, b = f.q;
  a.query_id[0] = 7;
  b.query_id[0] = 8;
  using aegis::transport::Incoming;
  const std::vector<Incoming> group{{"c1", "kent", f.request(a), true},
                                    {"c2", "kent", f.request(b), true}};
  for (const Bytes& r : f.service.handle(group, kNowMs)) {
    auto m = decode_query_message(r);
    REQUIRE(m.ok());
    CHECK(f.refusal(*m) == "unavailable");
    CHECK(std::get<QueryRefused>(*m).detail.find("unaudited") != std::string::npos);
  }
  CHECK(f.service.status()["answered"] == 1);
  CHECK(f.service.status()["groups"] == 1);  // the failed group is not counted
  CHECK(f.service.status()["refused"]["unavailable"] == 2);
  CHECK(f.audit().size() == 1);
}
