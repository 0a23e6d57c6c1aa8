// Helper of bench/sync_bench.py (end-to-end sync benchmark; not a test, figures only). Three
// subcommands, each printing one JSON object on stdout:
//
//   preload --index-config FILE --authority FILE [--authority FILE...] --preloaded P
//           --backlog M
//       The documented bulk loader: for each authority (its aegisd config; its store already
//       made by `aegis store init`), a real signed chain of P + M upserts of distinct
//       synthetic children (bench::synthetic_child: P new records, then M changes, half new
//       records, half updates — a new address — of random earlier ones; record ids in random
//       key order), written straight into its store (outbox
//       and records, as Store::upsert writes them, in large transactions); the first P of them
//       written into the index's database (created with index::IndexStore::create: envelopes
//       exactly as signed, record rows with a national id, the authority's chain head at P),
//       as if the index had applied them. The M remaining are the authority's backlog, which
//       the real daemons then sync. Not written: feed items for the preloaded records (so those
//       national ids never reach the authorities; the backlog's new records' do).
//   naive --file F --rows N --changes C --txn T --envelope-bytes B [--repeat R]
//       The naive baseline: a fresh SQLite file (WAL, synchronous=FULL, default cache) with one
//       table of the same row shape (record id TEXT key, authority, national id, seq, time, the
//       envelope bytes), N rows preloaded in random key order, then C changes (half new keys,
//       half replacing random existing rows) by INSERT OR REPLACE in transactions of T rows:
//       rows/s of the timed part. With R > 1 the timed part runs R times one after the other on
//       the same table (it grows by C/2 rows each time, as the index does) and each rate is
//       printed ("runs"), so the caller can take the median of a noisy machine.
//   merge --index-config FILE
//       Opens the index's store (its daemon stopped) and merges every record state still
//       waiting in its state log into `records` (IndexStore::merge_states, docs/index-store.md
//       §4): how many were waiting and the seconds the merge took (the open excluded).
//   verify --config FILE [--seconds S]
//       Ed25519 verifications/s on one thread: raw (crypto_sign_verify_detached of a 600-byte
//       message) and protocol::verify_envelope of a typical envelope against the trust bundle.
//
// The loader writes the stores' tables directly (daemon/store/schema.cpp and
// daemon/index/schema.cpp, version 1 and 2): a schema change must be mirrored here.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include <sodium.h>
#include <sqlite3.h>

#include "aegis/keys/keys.hpp"
#include "bench_record.hpp"
#include "bench_sqlite.hpp"
#include "aegis/protocol/envelope.hpp"
#include "aegis/protocol/verify.hpp"
#include "config/config.hpp"
#include "index/index_store.hpp"
#include "node/node.hpp"

using namespace aegis;
using protocol::Bytes;
using bench::Clock;
using bench::die;
using bench::RawDb;
using bench::mix;
using bench::record_id;
using bench::seconds_since;

namespace {

constexpr int kSeqBits = 40;                 // index schema: id = aid << 40 | seq
constexpr std::uint64_t kCommitEvery = 20000;  // rows per bulk-load transaction

std::uint64_t wall_ms() {
  return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                        std::chrono::system_clock::now().time_since_epoch())
                                        .count());
}

std::string national_id(std::uint64_t x) {
  static constexpr char kCrockford[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
  std::string s(16, '0');
  for (int i = 0; i < 16; ++i) s[i] = kCrockford[(x = mix(x)) & 31];
  return s;
}


void bind_value(sqlite3_stmt* s, int i, const Bytes& b) {
  sqlite3_bind_blob(s, i, b.data(), static_cast<int>(b.size()), SQLITE_STATIC);
}
void bind_value(sqlite3_stmt* s, int i, const protocol::Hash& h) {
  sqlite3_bind_blob(s, i, h.data(), static_cast<int>(h.size()), SQLITE_STATIC);
}
void bind_value(sqlite3_stmt* s, int i, const std::string& t) {
  sqlite3_bind_text(s, i, t.data(), static_cast<int>(t.size()), SQLITE_STATIC);
}
void bind_value(sqlite3_stmt* s, int i, std::uint64_t v) {
  sqlite3_bind_int64(s, i, static_cast<sqlite3_int64>(v));
}

// --- command line ------------------------------------------------------------------------------

struct Args {
  std::vector<std::pair<std::string, std::string>> options;
  std::string get(const std::string& name, const char* fallback = nullptr) const {
    for (const auto& [k, v] : options)
      if (k == name) return v;
    if (!fallback) die("missing --" + name);
    return fallback;
  }
  std::vector<std::string> all(const std::string& name) const {
    std::vector<std::string> out;
    for (const auto& [k, v] : options)
      if (k == name) out.push_back(v);
    return out;
  }
  std::uint64_t number(const std::string& name, const char* fallback = nullptr) const {
    return std::strtoull(get(name, fallback).c_str(), nullptr, 10);
  }
};

Args parse(int argc, char** argv) {
  Args a;
  for (int i = 2; i < argc; ++i) {
    if (std::strncmp(argv[i], "--", 2) != 0 || i + 1 >= argc) die(std::string("bad option ") + argv[i]);
    a.options.emplace_back(argv[i] + 2, argv[i + 1]);
    ++i;
  }
  return a;
}

config::Config load(const std::string& file) {
  auto c = config::load_config(file);
  if (!c) die(c.error().message);
  return std::move(c).value();
}

// --- preload -------------------------------------------------------------------------------------

int preload(const Args& args) {
  const std::uint64_t preloaded = args.number("preloaded");
  const std::uint64_t backlog = args.number("backlog");
  // Child numbers (aid - 1) * 20,000,000 + n must stay below synthetic_child's 9 * 10^7.
  if (preloaded + backlog >= 20'000'000 || args.all("authority").size() > 4)
    die("preload: at most 4 authorities of fewer than 20,000,000 changes each");
  const config::Config index_config = load(args.get("index-config"));
  const std::filesystem::path index_file =
      index_config.data_dir / std::string(index::kDatabaseFileName);
  const std::uint64_t now = wall_ms();
  const auto start = Clock::now();

  std::filesystem::create_directories(index_config.data_dir);
  std::filesystem::permissions(index_config.data_dir, std::filesystem::perms::owner_all);
  {
    auto created = index::IndexStore::create(index_file, now);
    if (!created) die("index store: " + created.error().message());
  }
  RawDb idx(index_file);
  idx.exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=OFF; PRAGMA cache_size=-262144;");
  sqlite3_stmt* add_authority = idx.prepare(
      "INSERT INTO authorities (aid, authority_id, first_seen_ms, last_received_ms, applied_seq, "
      "applied_hash, live_records, feed_seq, feed_hash, feed_acked) "
      "VALUES (?1, ?2, ?3, ?3, ?4, ?5, ?6, 0, zeroblob(32), 0)");
  sqlite3_stmt* add_envelope =
      idx.prepare("INSERT INTO envelopes (id, received_ms, wire) VALUES (?1, ?2, ?3)");
  sqlite3_stmt* add_record = idx.prepare(
      "INSERT INTO records (aid, record_id, national_id, last_seq, deleted, shielded) "
      "VALUES (?1, ?2, ?3, ?4, 0, 0)");

  std::uint64_t total_bytes = 0, envelopes = 0;
  std::uint64_t aid = 0;
  for (const std::string& file : args.all("authority")) {
    ++aid;
    const config::Config c = load(file);
    auto node = node::load_node(c, now);
    if (!node) die(file + ": " + node.error().message);
    RawDb store(c.data_dir / "aegis.db");
    store.exec("PRAGMA synchronous=OFF; PRAGMA cache_size=-131072;");
    sqlite3_stmt* add_outbox = store.prepare(
        "INSERT INTO outbox (seq, record_id, op, created_ms, hash, envelope) "
        "VALUES (?1, ?2, 1, ?3, ?4, ?5)");
    sqlite3_stmt* put_record = store.prepare(
        "INSERT INTO records (record_id, body, shielded, deleted, last_seq, updated_ms) "
        "VALUES (?1, ?2, 0, 0, ?3, ?4) ON CONFLICT (record_id) DO UPDATE SET "
        "body = excluded.body, last_seq = excluded.last_seq, updated_ms = excluded.updated_ms");
    store.exec("BEGIN");
    idx.exec("BEGIN");
    protocol::ChainState head;
    std::uint64_t records = 0, rng = mix(aid);
    for (std::uint64_t seq = 1; seq <= preloaded + backlog; ++seq) {
      // The preloaded part is all new records; the backlog half new, half updates.
      const bool fresh = seq <= preloaded || (seq & 1) == 0 || records == 0;
      const std::uint64_t n = fresh ? records++ : (rng = mix(rng)) % records;
      // Distinct children (bench::synthetic_child), each authority its own; an update moves
      // the child to another address.
      const protocol::ChildRecord r =
          bench::synthetic_child((aid - 1) * 20'000'000 + n, seq, record_id(aid, n));
      protocol::Envelope e;
      e.authority_id = c.subject_id;
      e.seq = seq;
      e.prev_hash = head.last_hash;
      e.timestamp_ms = now;
      e.signer_serial = node->serial;
      e.op = protocol::Operation::upsert;
      e.record_id = r.record_id;
      e.payload = bench::clear_payload(r, *node->matching_key);
      const Bytes wire = protocol::sign_envelope(e, node->identity);
      head = {seq, protocol::envelope_hash(wire)};
      const Bytes body = protocol::encode_child_record(r);
      bind_value(add_outbox, 1, seq);
      bind_value(add_outbox, 2, r.record_id);
      bind_value(add_outbox, 3, now);
      bind_value(add_outbox, 4, head.last_hash);
      bind_value(add_outbox, 5, wire);
      store.run(add_outbox);
      bind_value(put_record, 1, r.record_id);
      bind_value(put_record, 2, body);
      bind_value(put_record, 3, seq);
      bind_value(put_record, 4, now);
      store.run(put_record);
      if (seq <= preloaded) {
        bind_value(add_envelope, 1, aid << kSeqBits | seq);
        bind_value(add_envelope, 2, now);
        bind_value(add_envelope, 3, wire);
        idx.run(add_envelope);
        bind_value(add_record, 1, aid);
        bind_value(add_record, 2, r.record_id);
        bind_value(add_record, 3, national_id(aid << kSeqBits | n));
        bind_value(add_record, 4, seq);
        idx.run(add_record);
      }
      if (seq == preloaded) {
        bind_value(add_authority, 1, aid);
        bind_value(add_authority, 2, c.subject_id);
        bind_value(add_authority, 3, now);
        bind_value(add_authority, 4, preloaded);
        bind_value(add_authority, 5, head.last_hash);
        bind_value(add_authority, 6, preloaded);
        idx.run(add_authority);
      }
      total_bytes += wire.size();
      ++envelopes;
      if (seq % kCommitEvery == 0) {
        store.exec("COMMIT; BEGIN");
        idx.exec("COMMIT; BEGIN");
      }
    }
    store.exec("COMMIT");
    idx.exec("COMMIT");
    store.exec("PRAGMA wal_checkpoint(TRUNCATE)");
  }
  idx.exec("PRAGMA wal_checkpoint(TRUNCATE)");
  std::printf("{\"envelopes\": %llu, \"envelope_bytes_avg\": %.0f, \"seconds\": %.1f}\n",
              static_cast<unsigned long long>(envelopes),
              envelopes ? static_cast<double>(total_bytes) / static_cast<double>(envelopes) : 0.0,
              seconds_since(start));
  return 0;
}

// --- naive baseline ---------------------------------------------------------------------------

int naive(const Args& args) {
  const std::filesystem::path file = args.get("file");
  const std::uint64_t rows = args.number("rows");
  const std::uint64_t changes = args.number("changes");
  const std::uint64_t txn = std::max<std::uint64_t>(1, args.number("txn"));
  Bytes envelope(args.number("envelope-bytes"));
  randombytes_buf(envelope.data(), envelope.size());
  std::filesystem::remove(file);
  RawDb db(file);
  db.exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=OFF;");
  db.exec("CREATE TABLE naive (record_id TEXT PRIMARY KEY, authority_id TEXT NOT NULL, "
          "national_id TEXT, seq INTEGER NOT NULL, received_ms INTEGER NOT NULL, "
          "envelope BLOB NOT NULL)");
  sqlite3_stmt* put = db.prepare("INSERT OR REPLACE INTO naive VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
  const std::uint64_t now = wall_ms();
  const std::string authorities[] = {"kent", "leeds", "manchester"};
  auto write = [&](std::uint64_t n, std::uint64_t seq) {
    const std::string id = record_id(9, n);
    const std::string nid = national_id(n);
    bind_value(put, 1, id);
    bind_value(put, 2, authorities[n % 3]);
    bind_value(put, 3, nid);
    bind_value(put, 4, seq);
    bind_value(put, 5, now);
    bind_value(put, 6, envelope);
    db.run(put);
  };
  // Setup: N rows, untimed, as fast as possible.
  db.exec("BEGIN");
  for (std::uint64_t n = 0; n < rows; ++n) {
    write(n, n + 1);
    if ((n + 1) % kCommitEvery == 0) db.exec("COMMIT; BEGIN");
  }
  db.exec("COMMIT");
  db.exec("PRAGMA wal_checkpoint(TRUNCATE); PRAGMA synchronous=FULL;");
  // Timed: the changes, durable transactions of `txn` rows; `repeat` times.
  const std::uint64_t repeat = std::max<std::uint64_t>(1, args.number("repeat", "1"));
  std::uint64_t next_new = rows, rng = 42, seq = rows;
  std::string runs;
  for (std::uint64_t run = 0; run < repeat; ++run) {
    const auto start = Clock::now();
    for (std::uint64_t done = 0; done < changes;) {
      db.exec("BEGIN");
      for (std::uint64_t i = 0; i < txn && done < changes; ++i, ++done)
        write((done & 1) == 0 ? next_new++ : (rng = mix(rng)) % rows, ++seq);
      db.exec("COMMIT");
    }
    const double secs = seconds_since(start);
    runs += (run ? ", " : "") + std::to_string(static_cast<double>(changes) / secs);
  }
  std::printf("{\"runs\": [%s], \"txn\": %llu}\n", runs.c_str(),
              static_cast<unsigned long long>(txn));
  return 0;
}

// --- merge ------------------------------------------------------------------------------------

int merge(const Args& args) {
  const config::Config c = load(args.get("index-config"));
  auto store = index::IndexStore::open(c.data_dir / std::string(index::kDatabaseFileName));
  if (!store) die("index store: " + store.error().message());
  auto totals = store->totals();
  if (!totals) die("index store: " + totals.error().message());
  const auto start = Clock::now();
  if (auto merged = store->merge_states(); !merged) die("merge: " + merged.error().message());
  std::printf("{\"states\": %llu, \"seconds\": %.3f}\n",
              static_cast<unsigned long long>(totals->pending_changes), seconds_since(start));
  return 0;
}

// --- Ed25519 verification -----------------------------------------------------------------------

int verify(const Args& args) {
  const config::Config c = load(args.get("config"));
  const double seconds = static_cast<double>(args.number("seconds", "2"));
  const std::uint64_t now = wall_ms();
  auto node = node::load_node(c, now);
  if (!node) die(node.error().message);

  Bytes message(600);
  randombytes_buf(message.data(), message.size());
  const protocol::Signature sig = node->identity.sign(message);
  const protocol::SignPublicKey pk = node->identity.sign_public_key();
  std::uint64_t raw = 0;
  auto start = Clock::now();
  while (seconds_since(start) < seconds) {
    for (int i = 0; i < 100; ++i)
      if (crypto_sign_verify_detached(sig.data(), message.data(), message.size(), pk.data()) != 0)
        die("raw verify failed");
    raw += 100;
  }
  const double raw_rate = static_cast<double>(raw) / seconds_since(start);

  const protocol::ChildRecord r = bench::typical_child(record_id(1, 1), 1, 1);
  protocol::Envelope e;
  e.authority_id = c.subject_id;
  e.seq = 1;
  e.timestamp_ms = now;
  e.signer_serial = node->serial;
  e.op = protocol::Operation::upsert;
  e.record_id = r.record_id;
  e.payload = bench::clear_payload(r, *node->matching_key);
  const Bytes wire = protocol::sign_envelope(e, node->identity);
  std::uint64_t full = 0;
  start = Clock::now();
  while (seconds_since(start) < seconds) {
    for (int i = 0; i < 100; ++i)
      if (!protocol::verify_envelope(wire, node->trust, protocol::ChainState{}, now))
        die("verify_envelope failed");
    full += 100;
  }
  std::printf("{\"raw_verify_per_s\": %.0f, \"verify_envelope_per_s\": %.0f, "
              "\"envelope_bytes\": %zu}\n",
              raw_rate, static_cast<double>(full) / seconds_since(start), wire.size());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (sodium_init() < 0) die("sodium_init failed");
  const std::string command = argc > 1 ? argv[1] : "";
  const Args args = parse(argc, argv);
  if (command == "preload") return preload(args);
  if (command == "naive") return naive(args);
  if (command == "verify") return verify(args);
  if (command == "merge") return merge(args);
  die("usage: sync_bench_tool preload|naive|merge|verify --option value ...");
}
