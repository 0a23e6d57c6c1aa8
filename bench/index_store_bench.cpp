// Index store throughput (docs/index-store.md, "Figures"): with N records already stored,
// apply_batch rate (verify + store + feed, real signatures, 3 authorities interleaved, new and
// updated records) against the naive baseline measured in the same run on the same machine:
// random-key INSERT OR REPLACE of the same rows into one table keyed by the TEXT record id (one
// index), same transaction sizes, SQLite defaults (WAL, synchronous=FULL). Also prints the raw
// Ed25519 verification rate and apply latency of single-envelope batches (light load). The
// apply rate includes merging the record states the batches left waiting into `records`.
// Not a test: figures only.
//
//   aegis_bench_index_store [--records N] [--batches B] [--batch-size S] [--threads T]
//                           [--checkpoint-frames F] [--cache-mib M] [--dir DIR] [--keep]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <string>
#include <vector>

#include <sodium.h>
#include <sqlite3.h>
#include <unistd.h>

#include "aegis/keys/keys.hpp"
#include "bench_cli.hpp"
#include "bench_identity.hpp"
#include "bench_record.hpp"
#include "bench_sqlite.hpp"
#include "aegis/protocol/envelope.hpp"
#include "aegis/protocol/feed.hpp"
#include "aegis/protocol/trust_bundle.hpp"
#include "index/index_store.hpp"

using namespace aegis;
using protocol::Bytes;
using bench::Clock;
using bench::certificate;
using bench::die;
using bench::identity;
using bench::kDayMs;
using bench::kNowMs;
using bench::RawDb;
using bench::mix;
using bench::record_id;
using bench::seconds_since;

namespace {

constexpr int kSeqBits = 40;  // index/schema.hpp: envelopes.id = aid << 40 | seq

struct Options {
  std::uint64_t records = 1'000'000;
  int batches = 10;  // per authority
  int batch_size = 1024;
  unsigned threads = 0;
  int checkpoint_frames = -1;  // -1: the store's default
  int cache_mib = -1;
  std::filesystem::path dir;
  bool keep = false;
};

// CPU time of the whole process (every thread), seconds: robust to other load on the machine.
double cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

// A signed upsert of `r` at `seq` after `prev` (a real envelope of the usual size).
Bytes signed_upsert(const std::string& authority, std::uint64_t serial, const keys::Identity& key,
                    std::uint64_t seq, const protocol::Hash& prev,
                    const protocol::ChildRecord& r) {
  protocol::Envelope e;
  e.authority_id = authority;
  e.seq = seq;
  e.prev_hash = prev;
  e.timestamp_ms = kNowMs - kDayMs;
  e.signer_serial = serial;
  e.op = protocol::Operation::upsert;
  e.record_id = r.record_id;
  static const keys::MatchingKey matching =
      keys::MatchingKey::from_seed(1, protocol::ByteArray<32>{0x50}).value();
  e.payload = bench::clear_payload(r, matching);
  return protocol::sign_envelope(e, key);
}

// One authority's signer and chain position.
struct Authority {
  std::string id;
  std::uint64_t serial = 0;
  keys::Identity key;
  protocol::ChainState head;
  std::uint64_t preloaded = 0;  // records 0..preloaded-1 exist at the index
  std::uint64_t next_new = 0;   // the next new record number

  Bytes sign_upsert(const protocol::ChildRecord& r) {
    Bytes wire = signed_upsert(id, serial, key, head.last_seq + 1, head.last_hash, r);
    head = {head.last_seq + 1, protocol::envelope_hash(wire)};
    return wire;
  }
};


void bind_blob(sqlite3_stmt* s, int i, const Bytes& b) {
  sqlite3_bind_blob(s, i, b.data(), static_cast<int>(b.size()), SQLITE_STATIC);
}
void bind_text(sqlite3_stmt* s, int i, const std::string& t) {
  sqlite3_bind_text(s, i, t.data(), static_cast<int>(t.size()), SQLITE_STATIC);
}

// Setup, not measured: N records split over the authorities, written straight into the index
// schema (envelope and feed rows of realistic size, record rows), and the same N rows into the
// naive table. Each authority's head is a real signed envelope, so its chain continues.
void preload(const std::filesystem::path& index_file, const std::filesystem::path& naive_file,
             std::vector<Authority>& authorities, const keys::Identity& index_key,
             std::uint64_t index_serial, std::uint64_t records) {
  const auto start = Clock::now();
  RawDb idx(index_file), naive(naive_file);
  for (RawDb* db : {&idx, &naive})
    db->exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=OFF; PRAGMA cache_size=-262144;");
  naive.exec("CREATE TABLE naive (record_id TEXT PRIMARY KEY, authority_id TEXT NOT NULL, "
             "seq INTEGER NOT NULL, received_ms INTEGER NOT NULL, national_id TEXT, "
             "wire BLOB NOT NULL)");
  idx.exec("BEGIN");
  naive.exec("BEGIN");
  sqlite3_stmt* add_authority = idx.prepare(
      "INSERT INTO authorities (aid, authority_id, first_seen_ms, last_received_ms, applied_seq, "
      "applied_hash, live_records, feed_seq, feed_hash, feed_acked) "
      "VALUES (?1, ?2, ?3, ?3, ?4, ?5, ?4, ?4, ?6, ?4)");
  sqlite3_stmt* add_envelope =
      idx.prepare("INSERT INTO envelopes (id, received_ms, wire) VALUES (?1, ?2, ?3)");
  sqlite3_stmt* add_feed = idx.prepare("INSERT INTO feed (id, wire) VALUES (?1, ?2)");
  sqlite3_stmt* add_record = idx.prepare(
      "INSERT INTO records (aid, record_id, national_id, last_seq, deleted, shielded) "
      "VALUES (?1, ?2, ?3, ?4, 0, 0)");
  sqlite3_stmt* add_naive = naive.prepare("INSERT INTO naive VALUES (?1, ?2, ?3, ?4, ?5, ?6)");

  for (std::size_t a = 0; a < authorities.size(); ++a) {
    Authority& au = authorities[a];
    const std::int64_t aid = static_cast<std::int64_t>(a + 1);
    au.preloaded = records / authorities.size();
    // Feed item rows: filler, real bytes of the usual size. Envelopes: each record's own, really
    // signed (the index's engine rebuild at open reads every live record's envelope and refuses
    // one that writes another record), distinct children so that resolution is not all one block.
    const auto child_at = [&](std::uint64_t seq, std::uint64_t version) {
      return bench::synthetic_child(a * au.preloaded + seq - 1, version, record_id(a, seq - 1));
    };
    protocol::FeedItem item;
    item.authority_id = au.id;
    item.seq = au.preloaded;
    item.timestamp_ms = kNowMs - kDayMs;
    item.signer_serial = index_serial;
    item.kind = protocol::FeedKind::national_id;
    item.national_ids = {{record_id(a, 0), "0123456789ABCDEF"}};
    const Bytes feed_filler = protocol::sign_feed_item(item, index_key);
    const protocol::Hash feed_hash = protocol::feed_item_hash(feed_filler);
    // The head: the last preloaded envelope, really signed, so the chain goes on from it.
    const Bytes anchor =
        signed_upsert(au.id, au.serial, au.key, au.preloaded, {}, child_at(au.preloaded, 1));
    au.head = {au.preloaded, protocol::envelope_hash(anchor)};

    sqlite3_bind_int64(add_authority, 1, aid);
    bind_text(add_authority, 2, au.id);
    sqlite3_bind_int64(add_authority, 3, static_cast<std::int64_t>(kNowMs - kDayMs));
    sqlite3_bind_int64(add_authority, 4, static_cast<std::int64_t>(au.preloaded));
    sqlite3_bind_blob(add_authority, 5, au.head.last_hash.data(), 32, SQLITE_STATIC);
    sqlite3_bind_blob(add_authority, 6, feed_hash.data(), 32, SQLITE_STATIC);
    idx.run(add_authority);

    for (std::uint64_t seq = 1; seq <= au.preloaded; ++seq) {
      sqlite3_bind_int64(add_envelope, 1, aid << kSeqBits | static_cast<std::int64_t>(seq));
      sqlite3_bind_int64(add_envelope, 2, static_cast<std::int64_t>(kNowMs - kDayMs));
      const Bytes envelope =
          seq == au.preloaded ? anchor
                              : signed_upsert(au.id, au.serial, au.key, seq, {}, child_at(seq, 0));
      bind_blob(add_envelope, 3, envelope);  // SQLITE_STATIC: `envelope` outlives the run below
      idx.run(add_envelope);
      sqlite3_bind_int64(add_feed, 1, aid << kSeqBits | static_cast<std::int64_t>(seq));
      bind_blob(add_feed, 2, feed_filler);
      idx.run(add_feed);
    }
    // Records in key order (a bulk load builds the B-tree left to right).
    std::vector<std::pair<std::string, std::uint64_t>> ids;
    ids.reserve(au.preloaded);
    for (std::uint64_t i = 0; i < au.preloaded; ++i) ids.emplace_back(record_id(a, i), i + 1);
    std::sort(ids.begin(), ids.end());
    for (const auto& [rid, seq] : ids) {
      sqlite3_bind_int64(add_record, 1, aid);
      bind_text(add_record, 2, rid);
      bind_text(add_record, 3, std::string("N") + rid.substr(2, 15));
      sqlite3_bind_int64(add_record, 4, static_cast<std::int64_t>(seq));
      idx.run(add_record);
    }
    au.next_new = au.preloaded;
  }
  // The naive table: the same rows, keyed by "authority/record id".
  std::vector<std::pair<std::string, std::size_t>> all;
  for (std::size_t a = 0; a < authorities.size(); ++a)
    for (std::uint64_t i = 0; i < authorities[a].preloaded; ++i)
      all.emplace_back(authorities[a].id + "/" + record_id(a, i), a);
  std::sort(all.begin(), all.end());
  const Bytes filler_wire = signed_upsert(authorities[0].id, authorities[0].serial,
                                         authorities[0].key, 1, {}, bench::typical_child("filler", 0, 0));
  for (const auto& [key, a] : all) {
    bind_text(add_naive, 1, key);
    bind_text(add_naive, 2, authorities[a].id);
    sqlite3_bind_int64(add_naive, 3, 1);
    sqlite3_bind_int64(add_naive, 4, static_cast<std::int64_t>(kNowMs));
    bind_text(add_naive, 5, key.substr(key.size() - 16));
    bind_blob(add_naive, 6, filler_wire);
    naive.run(add_naive);
  }
  idx.exec("COMMIT; PRAGMA wal_checkpoint(TRUNCATE);");
  naive.exec("COMMIT; PRAGMA wal_checkpoint(TRUNCATE);");
  std::printf("preload: %llu records in %.1f s (bulk SQL, each envelope signed; setup only)\n",
              static_cast<unsigned long long>(records), seconds_since(start));
}

double raw_verify_rate() {
  unsigned char pk[crypto_sign_PUBLICKEYBYTES], sk[crypto_sign_SECRETKEYBYTES];
  crypto_sign_keypair(pk, sk);
  std::vector<unsigned char> msg(400, 0x5a);
  unsigned char sig[crypto_sign_BYTES];
  crypto_sign_detached(sig, nullptr, msg.data(), msg.size(), sk);
  std::size_t n = 0;
  const auto start = Clock::now();
  while (seconds_since(start) < 1.0)
    for (int k = 0; k < 64; ++k, ++n)
      if (crypto_sign_verify_detached(sig, msg.data(), msg.size(), pk) != 0) die("verify");
  return static_cast<double>(n) / seconds_since(start);
}

Options parse(int argc, char** argv) {
  Options o;
  bench::parse_options(argc, argv, "index apply_batch against a naive insert", [&](CLI::App& a) {
    a.add_option("--records", o.records)
        ->check(CLI::Range(std::uint64_t{3}, std::uint64_t{1'000'000'000}));
    a.add_option("--batches", o.batches, "per authority")->check(CLI::PositiveNumber);
    a.add_option("--batch-size", o.batch_size)->check(CLI::Range(2, 1024));
    a.add_option("--threads", o.threads, "verify threads (0: the store's default)");
    a.add_option("--checkpoint-frames", o.checkpoint_frames, "-1: the store's default");
    a.add_option("--cache-mib", o.cache_mib, "-1: the store's default");
    a.add_option("--dir", o.dir, "work directory (default: a fresh one in $TMPDIR)");
    a.add_flag("--keep", o.keep, "keep the work directory");
  });
  return o;
}

}  // namespace

int main(int argc, char** argv) {
  if (sodium_init() < 0) die("sodium_init");
  Options opt = parse(argc, argv);
  opt.dir = bench::work_dir(opt.dir, "index-bench");
  const auto index_file = opt.dir / "index.db";
  const auto naive_file = opt.dir / "naive.db";
  std::filesystem::remove(index_file);
  std::filesystem::remove(naive_file);

  std::vector<Authority> authorities;
  const char* names[] = {"kent", "leeds", "york"};
  for (std::size_t a = 0; a < 3; ++a)
    authorities.push_back(Authority{names[a], a + 1,
                                    identity(names[a], protocol::Role::authority,
                                             static_cast<std::uint8_t>(0x11 + a)),
                                    {}, 0, 0});
  keys::Identity index_key = identity("index", protocol::Role::index, 0x13);
  const std::uint64_t index_serial = 9;
  std::vector<protocol::Certificate> certs;
  for (const Authority& a : authorities) certs.push_back(certificate(a.serial, a.key));
  certs.push_back(certificate(index_serial, index_key));
  const protocol::Trust trust = bench::trust_of(certs);

  { auto created = index::IndexStore::create(index_file, kNowMs); if (!created) die(created.error().message()); }
  preload(index_file, naive_file, authorities, index_key, index_serial, opt.records);

  std::vector<protocol::ChainState> start_heads;
  for (const Authority& a : authorities) start_heads.push_back(a.head);
  // The workload: per authority, batches of half new records and half updates of stored ones.
  std::vector<std::vector<std::vector<Bytes>>> work(3);
  std::uint64_t rng = 42;
  const auto gen_start = Clock::now();
  for (std::size_t a = 0; a < 3; ++a)
    for (int b = 0; b < opt.batches; ++b) {
      std::vector<Bytes> batch;
      for (int i = 0; i < opt.batch_size; ++i) {
        const bool fresh = i % 2 == 0;
        const std::uint64_t n =
            fresh ? authorities[a].next_new++ : (rng = mix(rng)) % authorities[a].preloaded;
        batch.push_back(authorities[a].sign_upsert(
            bench::synthetic_child(a * authorities[a].preloaded + n, fresh ? 0 : 1, record_id(a, n))));
      }
      work[a].push_back(std::move(batch));
    }
  const std::size_t changes = 3u * static_cast<std::size_t>(opt.batches * opt.batch_size);
  std::printf("workload: %zu signed envelopes (3 authorities x %d batches x %d; half new, half "
              "updates) built in %.1f s\n", changes, opt.batches, opt.batch_size,
              seconds_since(gen_start));

  // verify_envelope over the whole workload on one thread: what a naive receiver adds to each
  // insert (it verifies, then writes, one envelope at a time).
  double verify_envelope_rate = 0;
  double verify_cpu_us = 0;  // per envelope
  {
    const auto start = Clock::now();
    const double cpu_start = cpu_seconds();
    for (std::size_t a = 0; a < 3; ++a) {
      protocol::ChainState chain = start_heads[a];
      for (const auto& batch : work[a])
        for (const Bytes& wire : batch) {
          auto v = protocol::verify_envelope(wire, trust, chain, kNowMs);
          if (!v) die("workload does not verify: " + v.error().message());
          chain = protocol::advance(chain, *v);
        }
    }
    verify_envelope_rate = static_cast<double>(changes) / seconds_since(start);
    verify_cpu_us = (cpu_seconds() - cpu_start) * 1e6 / static_cast<double>(changes);
  }

  // Index store: apply_batch, interleaved across authorities.
  double apply_rate = 0;
  double apply_cpu_us = 0;  // per change
  std::vector<double> light_ms;
  {
    index::OpenOptions options;
    options.verify_threads = opt.threads;
    if (opt.checkpoint_frames >= 0) options.checkpoint_wal_frames = opt.checkpoint_frames;
    if (opt.cache_mib > 0) options.cache_mib = opt.cache_mib;
    auto store = index::IndexStore::open(index_file, options);
    if (!store) die(store.error().message());
    index::IndexSigning signing{index_key, index_serial, [] {
                                  index::NationalIdBits bits;
                                  randombytes_buf(bits.data(), bits.size());
                                  return bits;
                                }};
    const auto start = Clock::now();
    const double cpu_start = cpu_seconds();
    for (int b = 0; b < opt.batches; ++b)
      for (std::size_t a = 0; a < 3; ++a) {
        auto r = store->apply_batch(authorities[a].id, work[a][static_cast<std::size_t>(b)],
                                    trust, kNowMs, signing);
        if (!r) die(r.error().message());
        if (r->rejection) die("rejected: " + r->rejection->detail);
        if (r->applied_count != static_cast<std::size_t>(opt.batch_size)) die("not all applied");
      }
    // The record states wait in the store's state log until merge_every changes; the rate
    // includes merging what the batches left waiting (docs/index-store.md §4), so every change
    // is paid for once whatever merge_every is.
    if (auto merged = store->merge_states(); !merged) die(merged.error().message());
    apply_rate = static_cast<double>(changes) / seconds_since(start);
    apply_cpu_us = (cpu_seconds() - cpu_start) * 1e6 / static_cast<double>(changes);

    // Light load: one envelope per batch, one at a time.
    for (int i = 0; i < 200; ++i) {
      std::vector<Bytes> one{authorities[0].sign_upsert(
          bench::typical_child(record_id(0, authorities[0].next_new++), 1, 1))};
      const auto t = Clock::now();
      auto r = store->apply_batch(authorities[0].id, one, trust, kNowMs, signing);
      if (!r || r->applied_count != 1) die("light load apply failed");
      light_ms.push_back(seconds_since(t) * 1000);
    }
  }

  // Naive baseline: the same rows, same transaction sizes, random TEXT keys, SQLite defaults.
  double naive_rate = 0;
  double naive_cpu_us = 0;  // per row
  {
    RawDb naive(naive_file);
    naive.exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;");
    sqlite3_stmt* put =
        naive.prepare("INSERT OR REPLACE INTO naive VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
    const auto start = Clock::now();
    const double cpu_start = cpu_seconds();
    for (int b = 0; b < opt.batches; ++b)
      for (std::size_t a = 0; a < 3; ++a) {
        naive.exec("BEGIN");
        std::uint64_t seq = 0;
        for (const Bytes& wire : work[a][static_cast<std::size_t>(b)]) {
          auto e = protocol::decode_envelope_body(protocol::decode_signed(wire, "e")->body);
          const std::string key = authorities[a].id + "/" + e->record_id;
          bind_text(put, 1, key);
          bind_text(put, 2, authorities[a].id);
          sqlite3_bind_int64(put, 3, static_cast<std::int64_t>(++seq));
          sqlite3_bind_int64(put, 4, static_cast<std::int64_t>(kNowMs));
          bind_text(put, 5, key.substr(key.size() - 16));
          bind_blob(put, 6, wire);
          naive.run(put);
        }
        naive.exec("COMMIT");
      }
    naive_rate = static_cast<double>(changes) / seconds_since(start);
    naive_cpu_us = (cpu_seconds() - cpu_start) * 1e6 / static_cast<double>(changes);
  }
  // The baseline above includes decoding each envelope for its record id (a few us): measure
  // that alone and take it out, so the baseline is storage only.
  {
    const auto start = Clock::now();
    const double cpu_start = cpu_seconds();
    std::size_t sink = 0;
    for (const auto& batches : work)
      for (const auto& batch : batches)
        for (const Bytes& wire : batch)
          sink += protocol::decode_envelope_body(protocol::decode_signed(wire, "e")->body)
                      ->record_id.size();
    const double decode_s = seconds_since(start);
    naive_rate = static_cast<double>(changes) /
                 (static_cast<double>(changes) / naive_rate - decode_s);
    naive_cpu_us -= (cpu_seconds() - cpu_start) * 1e6 / static_cast<double>(changes);
    if (sink == 0) die("decode");
  }

  std::sort(light_ms.begin(), light_ms.end());
  const double verify_rate = raw_verify_rate();
  // A naive receiver verifies then inserts, one envelope at a time, on one thread.
  const double naive_sync_rate = 1.0 / (1.0 / verify_envelope_rate + 1.0 / naive_rate);
  std::printf("raw Ed25519 verify:  %.0f/s on one thread (400-byte message)\n", verify_rate);
  std::printf("verify_envelope:     %.0f/s on one thread, %.0f us CPU each (the workload's "
              "envelopes)\n", verify_envelope_rate, verify_cpu_us);
  std::printf("index apply_batch:   %.0f changes/s, %.0f us CPU each (%llu records stored "
              "before; one signature verified per batch, PROTOCOL.md 6.4 Runs)\n", apply_rate,
              apply_cpu_us, static_cast<unsigned long long>(opt.records));
  std::printf("naive baseline:      %.0f rows/s, %.0f us CPU each (storage only: INSERT OR "
              "REPLACE, TEXT key, same batches)\n", naive_rate, naive_cpu_us);
  std::printf("ratio:               %.2fx the naive baseline\n", apply_rate / naive_rate);
  std::printf("naive sync:          %.0f changes/s (verify_envelope then the naive insert, one "
              "thread)\n", naive_sync_rate);
  std::printf("ratio:               %.2fx naive sync\n", apply_rate / naive_sync_rate);
  std::printf("light load (1 envelope per batch): p50 %.2f ms, p99 %.2f ms\n",
              light_ms[light_ms.size() / 2], light_ms[light_ms.size() * 99 / 100]);
  if (!opt.keep) std::filesystem::remove_all(opt.dir);
  return 0;
}
