// IndexStore::answer_override (docs/query.md rule 6, PROTOCOL.md §16.7): a shielded child's
// records — the sealed blob byte-equal to the stored one, clear records as a search shows them —
// and, in ONE transaction, the audit entry (action override, marked "investigate") and an
// override_notice with the reason to every owner but the asker. A child that is not shielded,
// an unknown id, or a failed write: refused, nothing written.
#include <catch2/catch.hpp>

#include <string>

#include "index_fixture.hpp"

using namespace aegis::test::index_fixtures;
using aegis::index::AnsweredOverride;
using aegis::index::IndexErrc;
using aegis::index::kInvestigateMark;
using aegis::test::sample_shielded_child;

namespace {

const std::string kReason = "Section 47 enquiry: child missing since Friday";

struct OverrideFixture : IndexFixture {
  OverrideFixture() {
    // Noah shielded at york and known in clear to leeds (one NHS number: one child); Amelia
    // at kent only, not shielded.
    noah_y = sample_shielded_child("Y:1");
    noah_y.details.upn.reset();
    noah_y.details.uln.reset();
    noah_y.details.nhs_number = nhs_number_for("noah");
    noah_l = noah_y;
    noah_l.record_id = "L:9";
    noah_l.details.shield.reset();
    amelia = child("K:1");
    apply("york", {york.upsert(noah_y)});
    apply("leeds", {leeds.upsert(noah_l)});
    apply("kent", {kent.upsert(amelia)});
  }
  std::string national_id(const std::string& authority, const std::string& record_id) {
    auto r = store.record(authority, record_id);
    REQUIRE(r.ok());
    REQUIRE(r->has_value());
    REQUIRE((*r)->national_id.has_value());
    return *(*r)->national_id;
  }
  OverrideRequest request(const std::string& asker, const std::string& nid) {
    OverrideRequest o;
    o.query.authority_id = asker;
    o.query.signer_serial = asker == "kent" ? kKentSerial : kYorkSerial;
    o.query.query_id = QueryId{4, 2};
    o.query.time_ms = kNowMs;
    o.query.user_id = "cp-0007";
    o.query.role = UserRole::child_protection_override;
    o.query.purpose = QueryPurpose::safeguarding;
    o.query.criteria.given = noah_y.identity.name.given;
    o.query.criteria.family = noah_y.identity.name.family;
    o.query.criteria.date_of_birth = noah_y.identity.date_of_birth;
    o.national_id = nid;
    o.reason = kReason;
    return o;
  }
  AuditEntry audit_entry(std::uint64_t index) {
    RawDb raw(file);
    auto e = decode_audit_entry(
        raw.blob("SELECT entry FROM audit_entries WHERE idx = " + std::to_string(index)));
    REQUIRE(e.ok());
    return *e;
  }
  std::vector<FeedItem> override_notices(const std::string& authority) {
    std::vector<FeedItem> out;
    for (FeedItem& i : verified_feed(authority))
      if (i.kind == FeedKind::override_notice) out.push_back(std::move(i));
    return out;
  }
  std::uint64_t audit_size() {
    auto size = store.audit_size();
    REQUIRE(size.ok());
    return *size;
  }

  Chain kent = Chain::kent(), leeds = Chain::leeds(), york = Chain::york();
  ChildRecord noah_y, noah_l, amelia;
};

}  // namespace

TEST_CASE("override: the sealed blob as stored, the clear record, audited and both owners told",
          "[override]") {
  OverrideFixture f;
  const std::string nid = f.national_id("york", "Y:1");
  REQUIRE(f.national_id("leeds", "L:9") == nid);  // one child
  auto r = f.store.answer_override(f.request("kent", nid), kNowMs, f.signing);
  INFO((r ? std::string() : r.error().message()));
  REQUIRE(r.ok());
  const OverrideAnswer& a = r->answer;
  CHECK(a.query_id == QueryId{4, 2});
  CHECK(a.national_id == nid);
  CHECK(a.identity.name == f.noah_y.identity.name);
  CHECK(a.identity.former_names.empty());
  REQUIRE(a.records.size() == 2);
  // Shielded first: york's blob, byte-equal to what the index stores (it cannot open it).
  CHECK(a.records[0].authority_id == "york");
  REQUIRE(a.records[0].sealed.has_value());
  CHECK_FALSE(a.records[0].details.has_value());
  const auto stored = f.store.record("york", "Y:1");
  REQUIRE(stored.ok());
  CHECK(encode_sealed_blob(*a.records[0].sealed) == (*stored)->details);
  // Leeds's clear record as a search shows it: contacts and involvements, no address.
  CHECK(a.records[1].authority_id == "leeds");
  REQUIRE(a.records[1].details.has_value());
  CHECK(a.records[1].details->contacts == f.noah_l.details.contacts);
  CHECK_FALSE(a.records[1].details->address.has_value());
  CHECK(decode_override_answer(encode_override_answer(a)).ok());

  // The audit entry: who, why, the records sent, marked for investigation; no search terms.
  const AuditEntry e = f.audit_entry(r->audit_index);
  CHECK(e.action == AuditAction::override_shield);
  CHECK(e.actor == "cp-0007");
  CHECK(e.authority_id == std::optional<std::string>("kent"));
  CHECK(e.records == std::vector<AuditRecordRef>{{"york", "Y:1"}, {"leeds", "L:9"}});
  CHECK_FALSE(e.query_digest.has_value());
  CHECK(e.detail.rfind(std::string(kInvestigateMark) + ";", 0) == 0);
  CHECK(e.detail.find(f.noah_y.identity.name.family) == std::string::npos);
  CHECK(e.detail.find(kReason) == std::string::npos);

  // Both owners are told at once, with the reason, in the same transaction.
  for (const char* owner : {"york", "leeds"}) {
    INFO(owner);
    const std::vector<FeedItem> notices = f.override_notices(owner);
    REQUIRE(notices.size() == 1);
    CHECK(notices[0].notice.viewer_authority_id == "kent");
    CHECK(notices[0].notice.user_id == "cp-0007");
    CHECK(notices[0].notice.role == UserRole::child_protection_override);
    CHECK(notices[0].notice.reason == kReason);
  }
  CHECK(r->feeds.size() == 2);
  CHECK(f.override_notices("kent").empty());
  CHECK(f.audit_intact());
}

TEST_CASE("override: each request is one answer, nothing is unlocked for the next", "[override]") {
  OverrideFixture f;
  const std::string nid = f.national_id("york", "Y:1");
  auto first = f.store.answer_override(f.request("kent", nid), kNowMs, f.signing);
  auto second = f.store.answer_override(f.request("kent", nid), kNowMs + 1, f.signing);
  REQUIRE(first.ok());
  REQUIRE(second.ok());
  CHECK(second->audit_index == first->audit_index + 1);  // audited again
  CHECK(f.override_notices("york").size() == 2);         // told again
}

TEST_CASE("override: the asker's own record gives it no notice, the other owner one",
          "[override]") {
  OverrideFixture f;
  auto r = f.store.answer_override(f.request("york", f.national_id("york", "Y:1")), kNowMs,
                                   f.signing);
  REQUIRE(r.ok());
  CHECK(f.override_notices("york").empty());
  CHECK(f.override_notices("leeds").size() == 1);
  REQUIRE(r->feeds.size() == 1);
  CHECK(r->feeds[0].authority_id == "leeds");
}

TEST_CASE("override: a child that is not shielded is refused, nothing written", "[override]") {
  OverrideFixture f;
  const std::uint64_t size = f.audit_size();
  auto r = f.store.answer_override(f.request("york", f.national_id("kent", "K:1")), kNowMs,
                                   f.signing);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == IndexErrc::invalid_argument);
  CHECK(r.error().detail.find("not shielded") != std::string::npos);
  CHECK(f.audit_size() == size);
  CHECK(f.override_notices("kent").empty());
}

TEST_CASE("override: an unknown national id is refused not_found, nothing written",
          "[override]") {
  OverrideFixture f;
  const std::uint64_t size = f.audit_size();
  auto r = f.store.answer_override(f.request("kent", "0V5K8Q2MZ7H4R9TA"), kNowMs, f.signing);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == IndexErrc::not_found);
  CHECK(r.error().detail.find("0V5K8Q2MZ7H4R9TA") == std::string::npos);  // never logged
  CHECK(f.audit_size() == size);
}

TEST_CASE("override: a deleted shielded record is no longer answered", "[override]") {
  OverrideFixture f;
  const std::string nid = f.national_id("york", "Y:1");
  f.apply("york", {f.york.remove("Y:1")});
  auto r = f.store.answer_override(f.request("kent", nid), kNowMs, f.signing);
  REQUIRE_FALSE(r.ok());  // leeds's clear record alone: not shielded any more, or gone
  CHECK((r.error().code == IndexErrc::invalid_argument || r.error().code == IndexErrc::not_found));
  CHECK(f.override_notices("leeds").empty());
}

TEST_CASE("override: an audit write that fails answers nothing and tells nobody", "[override]") {
  OverrideFixture f;
  const std::string nid = f.national_id("york", "Y:1");
  REQUIRE(f.store.answer_override(f.request("kent", nid), kNowMs, f.signing).ok());
  const std::uint64_t size = f.audit_size();
  {
    RawDb raw(f.file);
    raw.exec("CREATE TRIGGER no_audit BEFORE INSERT ON audit_entries "
             "BEGIN SELECT RAISE(ABORT, 'disk full'); END");
  }
  auto r = f.store.answer_override(f.request("kent", nid), kNowMs, f.signing);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == IndexErrc::sqlite);
  CHECK(f.audit_size() == size);
  CHECK(f.override_notices("york").size() == 1);  // the first override's only
  CHECK(f.override_notices("leeds").size() == 1);
}
