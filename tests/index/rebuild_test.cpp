// The matching engine rebuilt from the store at open (docs/index-store.md §7, "Start"): every
// live record's envelope read with one kept statement in (authority, seq) order, whatever the
// order of `records`, and decoded a chunk behind on a second thread — the same partition and ids
// as the engine that applied them, with states merged or still waiting; a missing or wrong
// envelope refuses the open, naming the record (the first in key order).
#include "index_fixture.hpp"

using namespace aegis::test;
using namespace aegis::test::index_fixtures;
using aegis::index::IndexErrc;

namespace {

// A child of its own (its own NHS number), or the same child as another record when `nhs`
// is shared.
ChildRecord own_child(const std::string& record_id, const std::string& family,
                      const char* nhs) {
  ChildRecord r = child(record_id);
  r.identity.name = {"Amelia", "", family};
  r.details.upn.reset();
  r.details.uln.reset();
  r.details.nhs_number = nhs;
  return r;
}

struct Ids {
  std::vector<std::vector<aegis::resolve::RecordRef>> partition;
  std::vector<std::optional<std::string>> national_ids;  // in partition order
};

Ids ids_of(IndexStore& store) {
  Ids out;
  auto part = store.partition();
  REQUIRE(part.ok());
  out.partition = *part;
  for (const auto& cluster : *part)
    for (const auto& r : cluster) {
      auto rec = store.record(r.authority_id, r.record_id);
      REQUIRE(rec.ok());
      REQUIRE(rec->has_value());
      out.national_ids.push_back((*rec)->national_id);
    }
  return out;
}

// Kent, Leeds and York interleaved, record ids in reverse of their seq order at each authority
// (so `records` order and envelope key order differ), updates (a record's state is not its
// first envelope), a delete, and one child at all three authorities.
void apply_mixed(IndexFixture& f) {
  Chain kent = Chain::kent(), leeds = Chain::leeds(), york = Chain::york();
  f.apply("kent", {kent.upsert(own_child("k-9", "Zephyr", "4000000004")),
                   kent.upsert(own_child("k-5", "Shared", "9434765919"))});
  f.apply("york", {york.upsert(own_child("y-8", "Quill", "4000000063")),
                   york.upsert(own_child("y-2", "Shared", "9434765919"))});
  f.apply("leeds", {leeds.upsert(own_child("l-7", "Shared", "9434765919")),
                    leeds.upsert(own_child("l-1", "Orwell", "4000000101"))});
  ChildRecord moved = own_child("k-9", "Zephyr", "4000000004");
  moved.details.address = Address{{"7 New Road", "Maidstone"}, "ME15 6AA"};
  f.apply("kent", {kent.upsert(own_child("k-3", "Tamsin", "4000000128")), kent.upsert(moved)});
  f.apply("york", {york.remove("y-8"), york.upsert(own_child("y-0", "Umber", "4000000144"))});
}

void require_open_refused(const std::filesystem::path& file, const std::string& what) {
  for (const auto merge_every : {std::uint64_t{1}, std::uint64_t{100000}}) {
    aegis::index::OpenOptions options;
    options.merge_every = merge_every;
    auto reopened = IndexStore::open(file, options);
    REQUIRE_FALSE(reopened.ok());
    CHECK(reopened.error().code == IndexErrc::corrupt);
    INFO(reopened.error().message());
    CHECK(reopened.error().message().find(what) != std::string::npos);
  }
}

}  // namespace

TEST_CASE("rebuild: the engine reopened holds the same partition and ids, merged or waiting") {
  for (const auto merge_every : {std::uint64_t{1}, std::uint64_t{3}, std::uint64_t{100000}}) {
    aegis::index::OpenOptions options;
    options.merge_every = merge_every;
    IndexFixture f(options);
    apply_mixed(f);
    const Ids before = ids_of(f.store);
    REQUIRE(before.partition.size() == 5);  // the shared child (k-5, l-7, y-2), k-9, k-3, l-1, y-0
    f.store = std::move(IndexStore::open(f.file, options).value());
    const Ids after = ids_of(f.store);
    CHECK(after.partition == before.partition);
    CHECK(after.national_ids == before.national_ids);
    // And it goes on working: reopening twice reads the same envelopes again.
    f.store = std::move(IndexStore::open(f.file, options).value());
    CHECK(ids_of(f.store).partition == before.partition);
  }
}

TEST_CASE("rebuild: a live record whose envelope is missing refuses the open, naming it") {
  IndexFixture f;
  apply_mixed(f);
  {
    RawDb raw(f.file);
    // k-3 is kent's seq 3 (aid 1): its envelope gone.
    raw.exec("DELETE FROM envelopes WHERE id = (1 << 40) | 3");
  }
  require_open_refused(f.file, "record kent/k-3: envelope 3 is missing");
}

TEST_CASE("rebuild: an envelope that writes another record refuses the open, naming it") {
  IndexFixture f;
  apply_mixed(f);
  {
    RawDb raw(f.file);
    // kent's seq 3 (k-3) replaced by the bytes of seq 2 (k-5): signed, decodable, wrong.
    raw.exec("UPDATE envelopes SET wire = (SELECT wire FROM envelopes WHERE id = (1 << 40) | 2) "
             "WHERE id = (1 << 40) | 3");
  }
  require_open_refused(f.file, "record kent/k-3: its envelope does not write it");
}

TEST_CASE("rebuild: an envelope that does not decode refuses the open, naming the record") {
  IndexFixture f;
  apply_mixed(f);
  {
    RawDb raw(f.file);
    raw.exec("UPDATE envelopes SET wire = x'c1' WHERE id = (1 << 40) | 3");
  }
  require_open_refused(f.file, "record kent/k-3: ");
}

namespace {

// The learned figures the store keeps (meta.resolution_training), or "" when none.
std::string kept_training(const std::filesystem::path& file) {
  RawDb raw(file);
  if (raw.scalar("SELECT count(*) FROM meta WHERE key = 'resolution_training'") == 0) return {};
  const Bytes text = raw.blob("SELECT value FROM meta WHERE key = 'resolution_training'");
  return std::string(text.begin(), text.end());
}

}  // namespace

TEST_CASE("rebuild: the learned figures are kept in the store and reused until training is due") {
  IndexFixture f;
  Chain kent = Chain::kent();
  const std::vector<std::string> given = {"Oliver", "Amelia", "George", "Isla", "Harry",
                                          "Grace", "Jack", "Mia", "Noah", "Freya"};
  const std::vector<std::string> family = {"Smith", "Okafor", "Nowak", "Evans", "Khan",
                                           "Murphy", "Clarke", "Patel", "Walker", "Hughes"};
  // 5,000 children (the policy's min_records), then one more batch: it learns from 5,000.
  for (int batch = 0; batch < 21; ++batch) {
    std::vector<Bytes> envelopes;
    for (int i = batch * 250; i < std::min(5001, (batch + 1) * 250); ++i) {
      ChildRecord c = child("k-" + std::to_string(i), family[static_cast<std::size_t>(i / 10 % 10)]);
      c.identity.name.given = given[static_cast<std::size_t>(i % 10)];
      c.identity.date_of_birth = {static_cast<std::uint16_t>(2010 + i % 8),
                                  static_cast<std::uint8_t>(1 + i / 100 % 12),
                                  static_cast<std::uint8_t>(1 + i / 7 % 28)};
      envelopes.push_back(kent.upsert(c));
    }
    if (!envelopes.empty()) f.apply("kent", envelopes);
  }
  const std::string learned = kept_training(f.file);
  REQUIRE(learned.rfind("records 5000\n", 0) == 0);
  // Reopened with 5,001 records: the kept figures, not learned again from 5,001.
  f.store = std::move(IndexStore::open(f.file).value());
  CHECK(kept_training(f.file) == learned);
  // Figures this build cannot read are learned again at open, from every record, and kept.
  { RawDb(f.file).exec("UPDATE meta SET value = 'records 7\n' WHERE key = 'resolution_training'"); }
  f.store = std::move(IndexStore::open(f.file).value());
  CHECK(kept_training(f.file).rfind("records 5001\n", 0) == 0);
}

namespace {

// More kent children than build_resolver reads in one chunk (2,048): 2,300, seq = n + 1 for
// k-n, every hundredth the same child as the one before it (same identity and NHS number).
constexpr int kMoreThanAChunk = 2300;

void apply_more_than_a_chunk(IndexFixture& f) {
  Chain kent = Chain::kent();
  ChildRecord previous = child("k-0");
  for (int batch = 0; batch * 250 < kMoreThanAChunk; ++batch) {
    std::vector<Bytes> envelopes;
    for (int n = batch * 250; n < std::min(kMoreThanAChunk, (batch + 1) * 250); ++n) {
      ChildRecord c = child("k-" + std::to_string(n), "Family" + std::to_string(n % 97));
      c.identity.name.given = "Given" + std::to_string(n % 89);
      if (n % 100 == 1) {
        c.identity = previous.identity;
        c.details.nhs_number = previous.details.nhs_number;
      }
      previous = c;
      envelopes.push_back(kent.upsert(c));
    }
    f.apply("kent", envelopes);
  }
}

}  // namespace

TEST_CASE("rebuild: more records than one decoding chunk: the same partition and ids") {
  IndexFixture f;
  apply_more_than_a_chunk(f);
  const Ids before = ids_of(f.store);
  REQUIRE(before.partition.size() == kMoreThanAChunk - kMoreThanAChunk / 100);  // 23 pairs
  f.store = std::move(IndexStore::open(f.file).value());
  const Ids after = ids_of(f.store);
  CHECK(after.partition == before.partition);
  CHECK(after.national_ids == before.national_ids);
}

TEST_CASE("rebuild: a missing envelope in a later decoding chunk refuses the open, naming it") {
  IndexFixture f;
  apply_more_than_a_chunk(f);
  { RawDb(f.file).exec("DELETE FROM envelopes WHERE id = (1 << 40) | 2200"); }  // k-2199
  require_open_refused(f.file, "record kent/k-2199: envelope 2200 is missing");
}

TEST_CASE("rebuild: an envelope that does not decode in a later chunk refuses the open, naming it") {
  IndexFixture f;
  apply_more_than_a_chunk(f);
  { RawDb(f.file).exec("UPDATE envelopes SET wire = x'c1' WHERE id = (1 << 40) | 2250"); }
  require_open_refused(f.file, "record kent/k-2249: ");
}

TEST_CASE("rebuild: of two damaged records in two chunks, the first in key order is named") {
  IndexFixture f;
  apply_more_than_a_chunk(f);
  {
    RawDb raw(f.file);
    // k-99 (seq 100) does not decode: found while chunk two is read, where k-2199 is missing.
    raw.exec("UPDATE envelopes SET wire = x'c1' WHERE id = (1 << 40) | 100");
    raw.exec("DELETE FROM envelopes WHERE id = (1 << 40) | 2200");
  }
  require_open_refused(f.file, "record kent/k-99: ");
}
