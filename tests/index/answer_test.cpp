// The answer builder (daemon/index/answer.hpp, docs/query.md rules 3, 5, 7): a shielded child
// is identity and route only, whoever else holds a record of it; clear records give contacts
// and involvements only, a sensitive one only with consent; and a canary test: every sealed
// field of a shielded child carries a unique string, every kind of query runs against a real
// index store, and no answer's encoded bytes hold any of them (nor any byte run of its seal).
#include <catch2/catch.hpp>

#include <map>
#include <string>

#include "aegis/protocol/codec.hpp"
#include "index/answer.hpp"
#include "index_fixture.hpp"
#include "resolve/search.hpp"

using namespace aegis::index;
using namespace aegis::test::index_fixtures;
using aegis::protocol::Answer;
using aegis::protocol::ChildDetails;
using aegis::protocol::QueryCriteria;
using aegis::protocol::Writer;
using aegis::test::sample_child;
using aegis::test::sample_shielded_child;

namespace {

const aegis::protocol::QueryId kQueryId{1, 2, 3};

ChildRecordState state(const std::string& authority, const ChildRecord& r, bool shielded,
                       const std::string& national_id = "0V5K8Q2MZ7H4R9TA") {
  ChildRecordState s;
  s.authority_id = authority;
  s.record.record_id = r.record_id;
  s.record.national_id = national_id;
  s.record.last_seq = 1;
  s.record.shielded = shielded;
  s.record.identity = r.identity;
  // A shielded record's stored bytes are a seal: stand-in bytes the builder must never copy.
  s.record.details = shielded ? Bytes(64, 0xEE) : aegis::protocol::encode_child_details(r.details);
  return s;
}

Involvement sensitive(const std::string& organisation, bool consent) {
  Involvement v;
  v.kind = InvolvementKind::other_health;
  v.organisation = organisation;
  v.sensitive = true;
  v.consent = consent;
  return v;
}

Answer build(const std::vector<CandidateChild>& children, bool capped = false,
             const ShieldRoutes& routes = {{"york", "York shield team 01904 000000"}}) {
  auto a = build_answer(kQueryId, children, capped, routes);
  INFO((a ? std::string() : a.error().message()));
  REQUIRE(a.ok());
  // Whatever it builds is a valid answer (the decoder enforces rules 3 and 7 too).
  auto back = aegis::protocol::decode_answer(aegis::protocol::encode_answer(*a));
  INFO((back ? std::string() : back.error().message()));
  REQUIRE(back.ok());
  return std::move(a).value();
}

}  // namespace

TEST_CASE("answer: a clear child's records give contacts and involvements only", "[answer]") {
  ChildRecord kent = sample_child("K:1");  // address, UPN, ULN, NHS number in clear (version 1)
  ChildRecord leeds = sample_child("L:42");
  const Answer a = build({{"0V5K8Q2MZ7H4R9TA", {state("kent", kent, false),
                                                 state("leeds", leeds, false)}}});
  REQUIRE(a.children.size() == 1);
  const auto& child = a.children[0];
  CHECK_FALSE(child.shielded);
  CHECK(child.identity == kent.identity);
  REQUIRE(child.records.size() == 2);
  for (const auto& r : child.records) {
    CHECK_FALSE(r.details.address);
    CHECK_FALSE(r.details.upn);
    CHECK_FALSE(r.details.uln);
    CHECK_FALSE(r.details.nhs_number);
    CHECK(r.details.contacts == kent.details.contacts);
    CHECK(r.details.involvements == kent.details.involvements);
  }
  CHECK(child.records[1].authority_id == "leeds");
}

TEST_CASE("answer: a sensitive involvement only with consent (rule 7)", "[answer]") {
  ChildRecord r = sample_child("K:1");
  r.details.involvements.push_back(sensitive("Consented CAMHS", true));
  const Answer a = build({{"0V5K8Q2MZ7H4R9TA", {state("kent", r, false)}}});
  REQUIRE(a.children[0].records[0].details.involvements.size() == 2);
  CHECK(a.children[0].records[0].details.involvements[1].organisation == "Consented CAMHS");
  // A hand-built record with a sensitive involvement without consent (the protocol refuses it
  // at the source): the builder's own filter drops it...
  r.details.involvements.push_back(sensitive("Unconsented clinic", false));
  const ChildDetails shown = answerable_details(r.details);
  REQUIRE(shown.involvements.size() == 2);
  CHECK(shown.involvements[1].organisation == "Consented CAMHS");
  // ...and stored bytes holding one never decode, so they are never answered.
  Writer w;
  aegis::protocol::write_child_details(w, r.details);
  ChildRecordState bad = state("kent", sample_child("K:1"), false);
  bad.record.details = w.take();
  auto refused = build_answer(kQueryId, {{"0V5K8Q2MZ7H4R9TA", {bad}}}, false, {});
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.error().code == IndexErrc::corrupt);
}

TEST_CASE("answer: a shielded record anywhere shields the whole child (rule 3)", "[answer]") {
  ChildRecord old_record = sample_child("K:9");
  ChildRecord shielded = sample_shielded_child("Y:1");
  shielded.identity.former_names = {{"Noah", "", "Formercanary"}};
  const Answer a = build({{"0V5K8Q2MZ7H4R9TA", {state("kent", old_record, false),
                                                 state("york", shielded, true)}}});
  REQUIRE(a.children.size() == 1);
  const auto& child = a.children[0];
  CHECK(child.shielded);
  CHECK(child.records.empty());
  CHECK(child.identity.name == shielded.identity.name);
  CHECK(child.identity.date_of_birth == shielded.identity.date_of_birth);
  CHECK(child.identity.former_names.empty());
  REQUIRE(child.shield_contacts.size() == 1);
  CHECK(child.shield_contacts[0].authority_id == "york");
  CHECK(child.shield_contacts[0].route == "York shield team 01904 000000");
  const Bytes bytes = aegis::protocol::encode_answer(a);
  for (const char* leak : {"Canaryfield", "Claire", "07700 900123", "Formercanary"})
    CHECK_FALSE(aegis::test::contains_bytes(bytes, leak));
}

TEST_CASE("answer: an authority without a published route still shields", "[answer]") {
  const Answer a = build({{"0V5K8Q2MZ7H4R9TA", {state("york", sample_shielded_child("Y:1"), true)}}},
                         false, {});
  REQUIRE(a.children[0].shield_contacts.size() == 1);
  CHECK(a.children[0].shield_contacts[0].route == kUnpublishedRoute);
}

TEST_CASE("answer: deleted records and children are left out", "[answer]") {
  ChildRecordState gone = state("kent", sample_child("K:1"), false);
  gone.record.deleted = true;
  gone.record.identity.reset();
  gone.record.details.clear();
  ChildRecordState live = state("leeds", sample_child("L:1"), false);
  const Answer a = build({{"0V5K8Q2MZ7H4R9TA", {gone, live}}, {"1ABCDEFGHJKMNPQR", {gone}}});
  REQUIRE(a.children.size() == 1);
  REQUIRE(a.children[0].records.size() == 1);
  CHECK(a.children[0].records[0].authority_id == "leeds");
}

TEST_CASE("answer: corrupt stored details are an error, not a partial answer", "[answer]") {
  ChildRecordState bad = state("kent", sample_child("K:1"), false);
  bad.record.details = Bytes{0xc1};
  auto a = build_answer(kQueryId, {{"0V5K8Q2MZ7H4R9TA", {bad}}}, false, {});
  REQUIRE_FALSE(a.ok());
  CHECK(a.error().code == IndexErrc::corrupt);
  CHECK(a.error().detail.find("kent/K:1") != std::string::npos);
}

TEST_CASE("answer: capped at 50 children", "[answer]") {
  std::vector<CandidateChild> many;
  for (int i = 0; i < 51; ++i) {
    const std::string id = "1ABCDEFGHJKMN" + std::to_string(100 + i);
    many.push_back({id, {state("kent", sample_child("K:" + std::to_string(i)), false, id)}});
  }
  const Answer a = build(many);
  CHECK(a.children.size() == aegis::protocol::kMaxAnswerChildren);
  CHECK(a.capped);
  many.resize(3);
  CHECK_FALSE(build(many).capped);
  CHECK(build(many, true).capped);  // the search said so
}

TEST_CASE("answer: canary strings of sealed fields never reach any answer", "[answer][canary]") {
  IndexFixture f;
  // Noah, shielded at york: every sealed field carries a canary.
  ChildRecord noah = sample_shielded_child("Y:1");
  noah.details.upn.reset();
  noah.details.uln.reset();
  noah.details.nhs_number = nhs_number_for("noah");
  noah.details.address = Address{{"1 Sealcanary Close", "Sealcanary Town"}, "YO1 7ZZ"};
  noah.details.contacts[0].name = {"Contactcanary", "", "Whitfield"};
  noah.details.contacts[0].relationship = "Relcanary";
  noah.details.contacts[0].phones = {"07700 911911"};
  noah.details.involvements[0].organisation = "Schoolcanary Academy";
  noah.details.involvements[0].practitioner = "Practcanary";
  noah.details.shield = Shield{1, "Officercanary", *Date::parse("2024-06-01")};
  // His old record at kent (not shielded), and Amelia at kent.
  ChildRecord noah_before = noah;
  noah_before.record_id = "K:9";
  noah_before.details.shield.reset();
  noah_before.details.address = Address{{"5 Oldcanary Road"}, "CT1 2BB"};
  ChildRecord amelia = child("K:1");
  Chain york = Chain::york();
  Chain kent = Chain::kent();
  f.apply("york", {york.upsert(noah)});
  f.apply("kent", {kent.upsert(noah_before), kent.upsert(amelia)});

  // The seal of Noah's record at york, as the store holds it.
  Bytes sealed;
  {
    auto stored = f.store.record("york", noah.record_id);
    REQUIRE(stored.ok());
    REQUIRE(stored->has_value());
    REQUIRE((*stored)->shielded);
    sealed = (*stored)->details;
  }
  REQUIRE(sealed.size() > 64);

  const auto criteria = name_and_birth;
  std::vector<QueryCriteria> queries;
  queries.push_back(criteria(noah));                            // name + DOB
  QueryCriteria typo = criteria(noah);
  typo.given = "Noa";
  queries.push_back(typo);                                      // a typo
  QueryCriteria with_nhs = criteria(noah);
  with_nhs.tokens = aegis::protocol::make_match_tokens(noah.details, aegis::test::test_tokenizer());
  queries.push_back(with_nhs);                                  // NHS token
  QueryCriteria with_postcode = criteria(noah);
  with_postcode.postcode = "CT1 2BB";
  queries.push_back(with_postcode);                             // postcode (rule 4)
  queries.push_back(criteria(amelia));                          // another child

  const ShieldRoutes routes{{"york", "York shield team 01904 000000"}};
  std::size_t shielded_answers = 0;
  for (const QueryCriteria& q : queries) {
    const auto found = f.store.search(q);
    REQUIRE(found.ok());
    auto a = answer_from_store(f.store, kQueryId, found->result, found->records, routes);
    INFO((a ? std::string() : a.error().message()));
    REQUIRE(a.ok());
    const Bytes bytes = aegis::protocol::encode_answer(*a);
    for (const char* canary :
         {"Sealcanary", "YO1 7ZZ", "Contactcanary", "Relcanary", "07700 911911", "Schoolcanary",
          "Practcanary", "Officercanary", "Oldcanary", "CT1 2BB", "Canaryfield Road"}) {
      INFO(canary);
      CHECK_FALSE(aegis::test::contains_bytes(bytes, canary));
    }
    // No run of 32 bytes of the seal appears in the answer.
    for (std::size_t at = 0; at + 32 <= sealed.size(); at += 16)
      CHECK(std::search(bytes.begin(), bytes.end(), sealed.begin() + static_cast<long>(at),
                        sealed.begin() + static_cast<long>(at + 32)) == bytes.end());
    for (const auto& c : a->children) shielded_answers += c.shielded ? 1 : 0;
    if (q.postcode) {
      CHECK(a->children.empty());  // rule 4
    }
  }
  CHECK(shielded_answers >= 3);  // name + DOB, the typo and the NHS token found him, shielded
}
