// IndexStore::answer_query (docs/query.md rules 4, 8, 9): one transaction writes the audit entry
// (criteria fields used and a keyed digest, never the values; the records shown) and queues an
// access notice for each other authority whose record was returned in full, which
// flush_notices signs into its feed (one item per owner, feed version 6); a shielded child
// gives no notice and no clear record; a postcode never finds it; the search sees new records
// at once; a failed write answers nothing.
#include <catch2/catch.hpp>

#include <string>

#include "index_fixture.hpp"

using namespace aegis::test::index_fixtures;
using aegis::index::AnsweredQuery;
using aegis::test::sample_shielded_child;

namespace {

const aegis::protocol::ByteArray<32> kDigestKey{9, 9, 9};

Query query_by(const std::string& authority, std::uint64_t serial, const std::string& given,
               const std::string& family, const std::string& dob) {
  Query q;
  q.authority_id = authority;
  q.signer_serial = serial;
  q.query_id = QueryId{7, static_cast<std::uint8_t>(given.size())};
  q.time_ms = kNowMs;
  q.user_id = "pr-0042";
  q.role = UserRole::practitioner;
  q.purpose = QueryPurpose::safeguarding;
  q.criteria.given = given;
  q.criteria.family = family;
  q.criteria.date_of_birth = *Date::parse(dob);
  return q;
}

struct QueryFixture : IndexFixture {
  QueryFixture() {
    // Amelia at kent and leeds (one NHS number: one child); Noah shielded at york.
    amelia_k = child("K:1");
    amelia_l = amelia_k;
    amelia_l.record_id = "L:1";
    noah = sample_shielded_child("Y:1");
    noah.details.upn.reset();
    noah.details.uln.reset();
    noah.details.nhs_number = nhs_number_for("noah");
    apply("kent", {kent.upsert(amelia_k)});
    apply("leeds", {leeds.upsert(amelia_l)});
    apply("york", {york.upsert(noah)});
  }
  AnsweredQuery ask(const Query& q) {
    auto r = store.answer_query(q, {{"york", "York shield team"}}, kDigestKey, kNowMs);
    INFO((r ? std::string() : r.error().message()));
    REQUIRE(r.ok());
    return std::move(r).value();
  }
  AuditEntry audit_entry(std::uint64_t index) {
    RawDb raw(file);
    auto bytes = raw.blob("SELECT entry FROM audit_entries WHERE idx = " + std::to_string(index));
    auto e = decode_audit_entry(bytes);
    REQUIRE(e.ok());
    return *e;
  }
  Query amelia_query(const std::string& asker = "kent") {
    return query_by(asker, asker == "kent" ? kKentSerial : kLeedsSerial,
                    amelia_k.identity.name.given, amelia_k.identity.name.family,
                    amelia_k.identity.date_of_birth.to_string());
  }
  Query noah_query() {
    return query_by("kent", kKentSerial, noah.identity.name.given, noah.identity.name.family,
                    noah.identity.date_of_birth.to_string());
  }
  // The access_notice items of an authority's feed (as stored: no flush).
  std::vector<FeedItem> notice_items(const std::string& authority) {
    std::vector<FeedItem> out;
    for (FeedItem& i : verified_feed(authority))
      if (i.kind == FeedKind::access_notice) out.push_back(std::move(i));
    return out;
  }
  // The access notices an authority was sent, the queued ones flushed first.
  std::vector<AccessNotice> notices(const std::string& authority) {
    auto flushed = store.flush_notices(kNowMs, signing);
    INFO((flushed ? std::string() : flushed.error().message()));
    REQUIRE(flushed.ok());
    std::vector<AccessNotice> out;
    for (const FeedItem& i : notice_items(authority))
      for (const AccessNotice& n : item_notices(i)) out.push_back(n);
    return out;
  }
  std::uint64_t pending() {
    auto n = store.pending_notices();
    REQUIRE(n.ok());
    return *n;
  }

  Chain kent = Chain::kent(), leeds = Chain::leeds(), york = Chain::york();
  ChildRecord amelia_k, amelia_l, noah;
};

}  // namespace

TEST_CASE("query: a child known to two authorities, audited, the other owner notified",
          "[query]") {
  QueryFixture f;
  const AnsweredQuery a = f.ask(f.amelia_query("kent"));
  REQUIRE(a.answer.children.size() == 1);
  const AnswerChild& c = a.answer.children[0];
  CHECK_FALSE(c.shielded);
  REQUIRE(c.records.size() == 2);
  CHECK(c.records[0].authority_id == "kent");
  CHECK(c.records[1].authority_id == "leeds");
  CHECK(c.records[1].details.contacts == f.amelia_l.details.contacts);

  // Rule 9: who, why, which fields (not their values), the records shown, a keyed digest.
  const AuditEntry e = f.audit_entry(a.audit_index);
  CHECK(e.action == AuditAction::query);
  CHECK(e.actor == "pr-0042");
  CHECK(e.authority_id == std::optional<std::string>("kent"));
  CHECK(e.purpose == "safeguarding");
  CHECK(e.records == std::vector<AuditRecordRef>{{"kent", "K:1"}, {"leeds", "L:1"}});
  CHECK(e.query_digest.has_value());
  CHECK(e.detail.find("fields given,family,date_of_birth;") != std::string::npos);
  const Bytes entry = encode_audit_entry(e);
  const std::string text(entry.begin(), entry.end());
  CHECK(text.find(f.amelia_k.identity.name.family) == std::string::npos);
  CHECK(text.find(f.amelia_k.identity.date_of_birth.to_string()) == std::string::npos);

  // Rule 8: leeds learns that kent's user saw its record; kent (the asker) gets nothing. The
  // notice waits in the store, committed with the audit entry, until the next flush.
  CHECK(f.pending() == 1);
  CHECK(f.notice_items("leeds").empty());
  auto flushed = f.store.flush_notices(kNowMs + 1000, f.signing);
  REQUIRE(flushed.ok());
  REQUIRE(flushed->size() == 1);
  CHECK((*flushed)[0].authority_id == "leeds");
  CHECK(f.pending() == 0);
  const std::vector<FeedItem> leeds = f.notice_items("leeds");
  REQUIRE(leeds.size() == 1);
  CHECK(leeds[0].version == kNoticeListFeedItemVersion);
  CHECK(leeds[0].seq == (*flushed)[0].feed_seq);
  CHECK(leeds[0].timestamp_ms == kNowMs + 1000);
  CHECK(leeds[0].notices == std::vector<AccessNotice>{{"L:1", "kent", "pr-0042",
                                                       UserRole::practitioner,
                                                       QueryPurpose::safeguarding, kNowMs, ""}});
  CHECK(f.notices("kent").empty());
  CHECK(f.audit_intact());
}

TEST_CASE("query: the same criteria give the same digest, other criteria another", "[query]") {
  QueryFixture f;
  Query q = f.amelia_query();
  const AnsweredQuery first = f.ask(q);
  Query shouted = q;
  shouted.criteria.given = "AMELIA";  // the same search typed differently
  const AnsweredQuery second = f.ask(shouted);
  Query other = q;
  other.criteria.postcode = "ME14 1XX";
  const AnsweredQuery third = f.ask(other);
  const auto d1 = f.audit_entry(first.audit_index).query_digest;
  CHECK(d1 == f.audit_entry(second.audit_index).query_digest);
  CHECK(d1 != f.audit_entry(third.audit_index).query_digest);
  CHECK(f.audit_entry(third.audit_index).detail.find("postcode") != std::string::npos);
}

TEST_CASE("query: a shielded child is identity and route only, and nobody is notified",
          "[query]") {
  QueryFixture f;
  const AnsweredQuery a = f.ask(f.noah_query());
  REQUIRE(a.answer.children.size() == 1);
  const AnswerChild& c = a.answer.children[0];
  CHECK(c.shielded);
  CHECK(c.records.empty());
  REQUIRE(c.shield_contacts.size() == 1);
  CHECK(c.shield_contacts[0] == ShieldContact{"york", "York shield team"});
  CHECK(f.pending() == 0);
  CHECK(f.notices("york").empty());
  // The child's identity was shown: the audit entry names its record.
  CHECK(f.audit_entry(a.audit_index).records == std::vector<AuditRecordRef>{{"york", "Y:1"}});
}

TEST_CASE("query: a postcode never finds a shielded child (rule 4)", "[query]") {
  QueryFixture f;
  Query q = f.noah_query();
  q.criteria.postcode = f.noah.details.address->postcode;
  const AnsweredQuery a = f.ask(q);
  CHECK(a.answer.children.empty());
  CHECK(f.audit_entry(a.audit_index).records.empty());
}

TEST_CASE("query: no match is answered empty and still audited", "[query]") {
  QueryFixture f;
  const AnsweredQuery a = f.ask(query_by("kent", kKentSerial, "Zebedee", "Quixote", "2001-01-01"));
  CHECK(a.answer.children.empty());
  CHECK(f.pending() == 0);
  CHECK(f.audit_entry(a.audit_index).action == AuditAction::query);
}

TEST_CASE("query: records applied after a query are found by the next one", "[query]") {
  QueryFixture f;
  CHECK(f.ask(query_by("kent", kKentSerial, "Oliver", "Brennan", "2016-07-01"))
            .answer.children.empty());
  ChildRecord oliver = child("K:2", "Brennan");
  oliver.identity.name.given = "Oliver";
  oliver.identity.date_of_birth = *Date::parse("2016-07-01");
  f.apply("kent", {f.kent.upsert(oliver)});
  CHECK(f.ask(query_by("leeds", kLeedsSerial, "Oliver", "Brennan", "2016-07-01"))
            .answer.children.size() == 1);
}

TEST_CASE("query: an audit write that fails answers nothing and writes nothing", "[query]") {
  QueryFixture f;
  f.ask(f.amelia_query());  // the audit tables exist from the first entry on
  const auto size = f.store.audit_size();
  REQUIRE(size.ok());
  const std::size_t leeds_feed = f.verified_feed("leeds").size();
  const std::uint64_t pending = f.pending();
  {
    RawDb raw(f.file);
    raw.exec("CREATE TRIGGER no_audit BEFORE INSERT ON audit_entries "
             "BEGIN SELECT RAISE(ABORT, 'disk full'); END");
  }
  auto r = f.store.answer_query(f.amelia_query(), {}, kDigestKey, kNowMs);
  REQUIRE_FALSE(r.ok());
  CHECK(*f.store.audit_size() == *size);
  CHECK(f.pending() == pending);  // no notice either
  CHECK(f.verified_feed("leeds").size() == leeds_feed);
}

TEST_CASE("query: a group is answered in order, one audit entry each, in one transaction",
          "[query][group]") {
  QueryFixture f;
  Query by_leeds = f.amelia_query("leeds");
  by_leeds.query_id[0] = 2;
  const std::vector<Query> group{f.amelia_query("kent"), f.noah_query(), by_leeds};
  auto r = f.store.answer_queries(group, {{"york", "York shield team"}}, kDigestKey, kNowMs);
  REQUIRE(r.ok());
  REQUIRE(r->size() == 3);
  for (std::size_t i = 0; i < group.size(); ++i) {
    CHECK((*r)[i].answer.query_id == group[i].query_id);
    CHECK((*r)[i].audit_index == i);  // entries in the group's order, one each
    CHECK(f.audit_entry(i).authority_id == group[i].authority_id);
  }
  CHECK((*r)[1].answer.children.at(0).shielded);
  // Each query notified the other owner: leeds of kent's search, kent of leeds's.
  CHECK(f.pending() == 2);
  const std::vector<AccessNotice> leeds = f.notices("leeds");
  REQUIRE(leeds.size() == 1);
  CHECK(leeds[0].viewer_authority_id == "kent");
  const std::vector<AccessNotice> kent = f.notices("kent");
  REQUIRE(kent.size() == 1);
  CHECK(kent[0].viewer_authority_id == "leeds");
  CHECK(f.notices("york").empty());
  CHECK(f.audit_intact());
}

TEST_CASE("query: an empty group answers nothing and writes nothing", "[query][group]") {
  QueryFixture f;
  auto r = f.store.answer_queries({}, {}, kDigestKey, kNowMs);
  REQUIRE(r.ok());
  CHECK(r->empty());
  CHECK(*f.store.audit_size() == 0);
}

TEST_CASE("query: a group whose second audit write fails answers none and writes none",
          "[query][group]") {
  QueryFixture f;
  f.ask(f.noah_query());  // the audit tables exist from the first entry on (york: no notice)
  REQUIRE(*f.store.audit_size() == 1);
  {
    RawDb raw(f.file);  // the second entry of the group fails, after the first's notice
    raw.exec("CREATE TRIGGER no_audit BEFORE INSERT ON audit_entries "
             "WHEN (SELECT count(*) FROM audit_entries) >= 2 "
             "BEGIN SELECT RAISE(ABORT, 'disk full'); END");
  }
  Query by_leeds = f.amelia_query("leeds");
  by_leeds.query_id[0] = 2;
  const std::vector<Query> group{f.amelia_query("kent"), by_leeds};
  auto r = f.store.answer_queries(group, {}, kDigestKey, kNowMs);
  REQUIRE_FALSE(r.ok());
  CHECK(*f.store.audit_size() == 1);
  CHECK(f.pending() == 0);  // the first query's notice rolled back with it
  CHECK(f.notices("leeds").empty());
  CHECK(f.notices("kent").empty());
  // The store goes on: once the fault is gone the same group is answered.
  {
    RawDb raw(f.file);
    raw.exec("DROP TRIGGER no_audit");
  }
  auto again = f.store.answer_queries(group, {}, kDigestKey, kNowMs);
  REQUIRE(again.ok());
  CHECK(*f.store.audit_size() == 3);
  CHECK(f.notices("leeds").size() == 1);
}

// The store keeps the audit log's prepared statements between transactions, but only once its
// tables were committed: here the very first audited group creates them and rolls back.
TEST_CASE("query: a failed first audited group leaves the audit log usable", "[query][group]") {
  QueryFixture f;
  {
    RawDb raw(f.file);  // the first notice fails, after the audit tables and entry were written
    raw.exec("CREATE TRIGGER no_notice BEFORE INSERT ON pending_notices "
             "BEGIN SELECT RAISE(ABORT, 'disk full'); END");
  }
  const std::vector<Query> group{f.amelia_query("kent")};
  REQUIRE_FALSE(f.store.answer_queries(group, {}, kDigestKey, kNowMs).ok());
  {
    RawDb raw(f.file);
    raw.exec("DROP TRIGGER no_notice");
  }
  for (int round = 0; round < 3; ++round) {  // created again, then kept
    auto again = f.store.answer_queries(group, {}, kDigestKey, kNowMs);
    REQUIRE(again.ok());
  }
  CHECK(*f.store.audit_size() == 3);
  CHECK(f.notices("leeds").size() == 3);
  CHECK(f.audit_intact());
}

TEST_CASE("query: a flush signs each owner's waiting notices into one item, in access order",
          "[query][notices]") {
  QueryFixture f;
  Query by_leeds = f.amelia_query("leeds");
  by_leeds.query_id[0] = 2;
  Query again = f.amelia_query("kent");
  again.query_id[0] = 3;
  again.user_id = "pr-0043";
  const std::vector<Query> group{f.amelia_query("kent"), by_leeds, again};
  REQUIRE(f.store.answer_queries(group, {}, kDigestKey, kNowMs).ok());
  REQUIRE(f.pending() == 3);
  const std::size_t leeds_feed = f.verified_feed("leeds").size();
  auto flushed = f.store.flush_notices(kNowMs, f.signing);
  REQUIRE(flushed.ok());
  CHECK(flushed->size() == 2);  // kent and leeds, one item each
  const std::vector<FeedItem> leeds = f.notice_items("leeds");
  REQUIRE(leeds.size() == 1);
  CHECK(f.verified_feed("leeds").size() == leeds_feed + 1);
  REQUIRE(leeds[0].notices.size() == 2);
  CHECK(leeds[0].notices[0].user_id == "pr-0042");  // the order of the accesses
  CHECK(leeds[0].notices[1].user_id == "pr-0043");
  REQUIRE(f.notice_items("kent").size() == 1);
  CHECK(f.notice_items("kent")[0].notices.size() == 1);
  // Nothing waits: the next flush writes nothing.
  auto empty = f.store.flush_notices(kNowMs, f.signing);
  REQUIRE(empty.ok());
  CHECK(empty->empty());
  CHECK(f.verified_feed("leeds").size() == leeds_feed + 1);
}

TEST_CASE("query: more notices than an item holds go into several items", "[query][notices]") {
  QueryFixture f;
  {
    RawDb raw(f.file);
    raw.exec(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < " +
        std::to_string(kMaxNoticesPerItem + 1) +
        ") INSERT INTO pending_notices (aid, record_id, viewer_authority_id, user_id, role, "
        "purpose, time_ms) SELECT (SELECT aid FROM authorities WHERE authority_id = 'leeds'), "
        "'L:1', 'kent', 'u-' || i, 1, 1, i FROM n");
  }
  auto flushed = f.store.flush_notices(kNowMs, f.signing);
  REQUIRE(flushed.ok());
  const std::vector<FeedItem> leeds = f.notice_items("leeds");
  REQUIRE(leeds.size() == 2);
  CHECK(leeds[0].notices.size() == kMaxNoticesPerItem);
  REQUIRE(leeds[1].notices.size() == 1);
  CHECK(leeds[0].notices.front().user_id == "u-1");
  CHECK(leeds[1].notices.front().user_id == "u-" + std::to_string(kMaxNoticesPerItem + 1));
  REQUIRE(flushed->size() == 1);
  CHECK((*flushed)[0].feed_seq == leeds[1].seq);  // the feed's newest item
  CHECK(f.pending() == 0);
}

TEST_CASE("query: a flush that fails writes nothing and its notices wait for the next",
          "[query][notices]") {
  QueryFixture f;
  f.ask(f.amelia_query("kent"));
  const std::size_t leeds_feed = f.verified_feed("leeds").size();
  {
    RawDb raw(f.file);
    raw.exec("CREATE TRIGGER no_feed BEFORE INSERT ON feed "
             "BEGIN SELECT RAISE(ABORT, 'disk full'); END");
  }
  REQUIRE_FALSE(f.store.flush_notices(kNowMs, f.signing).ok());
  CHECK(f.pending() == 1);
  CHECK(f.verified_feed("leeds").size() == leeds_feed);
  {
    RawDb raw(f.file);
    raw.exec("DROP TRIGGER no_feed");
  }
  CHECK(f.notices("leeds").size() == 1);
  CHECK(f.pending() == 0);
}
