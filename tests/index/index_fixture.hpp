// Shared setup for the index store tests: a real database in a TempDir, the federation of
// tests/protocol/envelope_fixtures.hpp plus a third authority (york), per-authority chain
// builders signing real envelopes, the index's signer, a deterministic national id source, and
// raw SQLite access through a separate connection (for fault injection and tampering).
#pragma once

#include <cstdint>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include <sqlite3.h>

#include <catch2/catch.hpp>

#include "../protocol/envelope_fixtures.hpp"
#include "aegis/protocol/feed.hpp"
#include "aegis/protocol/query.hpp"
#include "aegis/protocol/sync.hpp"
#include "index/index_store.hpp"
#include "sqlite_file.hpp"
#include "test_support.hpp"

namespace aegis::test::index_fixtures {

using namespace aegis::protocol;
using namespace aegis::test::envelope_fixtures;
using aegis::index::ApplyResult;
using aegis::index::IndexStore;

inline constexpr std::uint64_t kYorkSerial = 7;
inline constexpr std::uint8_t kYorkSeed = 0x17;
inline constexpr std::uint64_t kUnknownSerial = 99;

// envelope_fixtures' trust (kent, leeds, index, officer, kent revoked, kent expired) plus york.
inline Trust make_index_trust() {
  std::vector<Certificate> certs = verify_certificates();
  certs.push_back(fixtures::make_certificate(kYorkSerial, "york", Role::authority, kYorkSeed));
  TrustBundle bundle;
  bundle.bundle_version = 7;
  bundle.issued_ms = kNowMs - kDayMs;
  bundle.expires_ms = kNowMs + 30 * kDayMs;
  bundle.revoked_serials = revoked_serials();
  return Trust(bundle, certs);
}

// Signs the consecutive envelopes of one authority, as its store would.
class Chain {
 public:
  Chain(std::string authority, std::uint64_t serial, std::uint8_t seed)
      : authority_(std::move(authority)), serial_(serial), seed_(seed) {}

  static Chain kent() { return Chain("kent", kKentSerial, kKentSeed); }
  static Chain leeds() { return Chain("leeds", kLeedsSerial, kLeedsSeed); }
  static Chain york() { return Chain("york", kYorkSerial, kYorkSeed); }

  Bytes upsert(const ChildRecord& r) {
    Envelope e = next(Operation::upsert, r.record_id);
    e.payload = payload_for(r, authority_);
    return sign(e);
  }
  Bytes remove(const std::string& record_id) { return sign(next(Operation::remove, record_id)); }
  // Signs with another certificate (serial) and key (seed) than the authority's own.
  Bytes upsert_signed_by(const ChildRecord& r, std::uint64_t serial, std::uint8_t seed) {
    Envelope e = next(Operation::upsert, r.record_id);
    e.payload = payload_for(r, authority_);
    e.signer_serial = serial;
    return sign(e, seed);
  }
  // The next envelope with a wrong prev_hash (a forked history).
  Bytes upsert_forked(const ChildRecord& r) {
    Envelope e = next(Operation::upsert, r.record_id);
    e.payload = payload_for(r, authority_);
    e.prev_hash[0] ^= 0xff;
    return sign(e);
  }

  const ChainState& head() const { return head_; }
  const std::string& authority() const { return authority_; }

 private:
  Envelope next(Operation op, const std::string& record_id) const {
    Envelope e;
    e.authority_id = authority_;
    e.seq = head_.last_seq + 1;
    e.prev_hash = head_.last_hash;
    e.timestamp_ms = kNowMs - kDayMs + e.seq * 1000;
    e.signer_serial = serial_;
    e.op = op;
    e.record_id = record_id;
    return e;
  }
  Bytes sign(const Envelope& e, std::uint8_t seed_byte = 0) {
    Bytes wire = sign_envelope(e, SeedSigner(seed(seed_byte ? seed_byte : seed_)));
    head_ = {e.seq, envelope_hash(wire)};
    return wire;
  }

  std::string authority_;
  std::uint64_t serial_;
  std::uint8_t seed_;
  ChainState head_;
};

// A valid NHS number (modulus 11) derived from `key`: distinct keys give distinct children.
inline std::string nhs_number_for(const std::string& key) {
  std::uint64_t h = 1469598103934665603ull;  // FNV-1a
  for (unsigned char c : key) h = (h ^ c) * 1099511628211ull;
  for (;; ++h) {
    std::string digits = std::to_string(100000000 + h % 900000000);  // 9 digits
    int sum = 0;
    for (int i = 0; i < 9; ++i) sum += (digits[static_cast<std::size_t>(i)] - '0') * (10 - i);
    const int check = (11 - sum % 11) % 11;
    if (check != 10) return digits + static_cast<char>('0' + check);
  }
}

// A child record with its own id and name (sample_child's fields otherwise) and its own NHS
// number (no UPN or ULN): records of different ids or names are different children to the
// matching engine (their NHS tokens differ), so tests of the store see one cluster per record.
inline ChildRecord child(const std::string& record_id, const std::string& family = "Hartley") {
  ChildRecord r = sample_child(record_id);
  r.identity.name.family = family;
  r.details.upn.reset();
  r.details.uln.reset();
  r.details.nhs_number = nhs_number_for(record_id + "/" + family);
  return r;
}

// A practitioner's search for the record's child: its name and date of birth.
inline QueryCriteria name_and_birth(const ChildRecord& r) {
  QueryCriteria c;
  c.given = r.identity.name.given;
  c.family = r.identity.name.family;
  c.date_of_birth = r.identity.date_of_birth;
  return c;
}

// Deterministic 80-bit national id sources (splitmix64), distinct per seed.
inline aegis::index::NationalIdSource counter_bits(std::uint64_t seed_value = 1) {
  auto state = std::make_shared<std::uint64_t>(seed_value);
  return [state] {
    auto next = [&] {
      std::uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
      z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
      z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
      return z ^ (z >> 31);
    };
    aegis::index::NationalIdBits bits{};
    std::uint64_t a = next(), b = next();
    for (int i = 0; i < 8; ++i) bits[i] = static_cast<std::uint8_t>(a >> (8 * i));
    bits[8] = static_cast<std::uint8_t>(b);
    bits[9] = static_cast<std::uint8_t>(b >> 8);
    return bits;
  };
}

// A separate SQLite connection to the index's file, as another process (or an attacker with
// file access) would have.
class RawDb : public SqliteFile {
 public:
  using SqliteFile::SqliteFile;
  // Flips the low bit of byte `offset` of the `wire` column of row `id` of `table`.
  void flip_wire_byte(const std::string& table, std::int64_t id, std::size_t offset) {
    const std::string row = " WHERE id = " + std::to_string(id);
    Bytes wire = blob("SELECT wire FROM " + table + row);
    REQUIRE(offset < wire.size());
    wire[offset] ^= 0x01;
    exec_with_blob("UPDATE " + table + " SET wire = ?1" + row, wire);
  }
  // Every row `sql` selects, as text: a line a row, '|' after each column.
  std::string rows(const std::string& sql) {
    std::string out;
    sqlite3_stmt* s = nullptr;
    REQUIRE(sqlite3_prepare_v2(handle(), sql.c_str(), -1, &s, nullptr) == SQLITE_OK);
    while (sqlite3_step(s) == SQLITE_ROW) {
      for (int c = 0; c < sqlite3_column_count(s); ++c) {
        const unsigned char* t = sqlite3_column_text(s, c);
        out += t ? reinterpret_cast<const char*>(t) : "NULL";
        out += '|';
      }
      out += '\n';
    }
    sqlite3_finalize(s);
    return out;
  }
  // Every row of every table, in key order, as text: two equal dumps are equal databases. The
  // record states and national ids as reads see them, wherever they are (log or merged).
  std::string dump() {
    std::string out;
    for (const char* sql :
         {"SELECT * FROM meta ORDER BY key", "SELECT * FROM authorities ORDER BY aid",
          "SELECT id, received_ms, hex(wire) FROM envelopes ORDER BY id",
          "SELECT * FROM records ORDER BY aid, record_id",
          "SELECT id, record_id, national_id, deleted, shielded FROM state_log ORDER BY id",
          "SELECT * FROM current_national_ids ORDER BY minted_order",
          "SELECT id, hex(wire) FROM feed ORDER BY id",
          "SELECT * FROM rejections ORDER BY id"}) {
      out += sql;
      out += '\n';
      out += rows(sql);
    }
    return out;
  }
};

inline Bytes read_file_bytes(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return Bytes(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// A fresh index database and everything apply_batch needs.
struct IndexFixture {
  explicit IndexFixture(aegis::index::OpenOptions options = {})
      : file(dir / "index.db"), trust(make_index_trust()),
        signing{index_signer, kIndexSerial, counter_bits()},
        store(open_new(file, options)) {}

  static IndexStore open_new(const std::filesystem::path& f,
                             const aegis::index::OpenOptions& options) {
    auto s = IndexStore::create(f, kNowMs, options);
    INFO((s ? std::string() : s.error().message()));
    REQUIRE(s.ok());
    return std::move(s).value();
  }

  ApplyResult apply(const std::string& sender, const std::vector<Bytes>& batch,
                    std::uint64_t now = kNowMs) {
    auto r = store.apply_batch(sender, batch, trust, now, signing);
    INFO((r ? std::string() : r.error().message()));
    REQUIRE(r.ok());
    return std::move(r).value();
  }

  // True when the whole audit log verifies from the stored bytes (AuditLog::verify).
  bool audit_intact() {
    auto report = store.verify_audit(trust);
    REQUIRE(report.ok());
    return report->intact();
  }

  // Verifies the whole feed of `authority` as the authority does; returns the items.
  std::vector<FeedItem> verified_feed(const std::string& authority) {
    auto wires = store.feed_range(authority, 1, 1u << 20);
    REQUIRE(wires.ok());
    std::vector<FeedItem> items;
    ChainState chain;
    for (const Bytes& w : *wires) {
      auto v = verify_feed_item(w, trust, authority, chain, kNowMs);
      INFO((v ? std::string() : v.error().message()));
      REQUIRE(v.ok());
      chain = advance(chain, *v);
      items.push_back(v->item);
    }
    return items;
  }

  TempDir dir{"aegis-index"};
  std::filesystem::path file;
  Trust trust;
  SeedSigner index_signer{seed(kIndexSeed)};
  aegis::index::IndexSigning signing;
  IndexStore store;
};

}  // namespace aegis::test::index_fixtures
