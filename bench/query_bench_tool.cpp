// The query benchmark (issue 6, "Performance"; bench/README.md, "Queries"): name + date of birth
// searches at an index holding N synthetic children, from 8 concurrent client threads, through
// the real path of the index's query service — verify_query (certificate, signature) and
// IndexStore::answer_queries (search, answer, and in one write transaction the audit entries
// and the owners' access notices of every query answered together). The index store is one
// SQLite writer connection used by one thread (aegisd serves queries on its event loop): here
// one service thread takes every query waiting, up to index::kMaxQueryGroup, and answers them
// as one group, as QueryService::on_message does; the clients wait for their answer. Latency is
// what a client sees (its wait included), the service time what its group cost.
//
//   aegis_query_bench_tool --children N [--authorities A] [--queries Q] [--clients C]
//                          [--dir DIR] [--keep]
//
// Setup, untimed but reported: N children (bench::synthetic_child; every 20th also recorded by
// a second authority) signed by A authorities and applied by apply_batches in groups of 4096;
// then one first search (of the matching engine the load left). Then, Q queries each (a
// child's exact name and date of birth, the asker a random authority), first once untimed
// for the ratio (`cold`: unaudited, the page cache as the load left it), then measured:
//   unaudited                verify_query + IndexStore::search + answer_from_store: the same
//                            answer, no write;
//   audited_one_commit_each  the real path with groups of one (a commit per query: the query
//                            service before group commit);
//   audited                  the real path: groups of what is waiting (a commit per group).
// The ratio audited / unaudited queries/s is the issue's "audit append must not halve query
// throughput". The raw limit, same run: single-row SQLite commits/s (WAL, synchronous=FULL, a
// 300-byte row per transaction) in the same directory: every group is one commit.
// Prints one JSON object (stdout) and progress (stderr).
#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <filesystem>
#include <iterator>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <sodium.h>
#include <sys/resource.h>

#include "aegis/keys/keys.hpp"
#include "aegis/protocol/envelope.hpp"
#include "aegis/protocol/query.hpp"
#include "bench_cli.hpp"
#include "bench_identity.hpp"
#include "bench_record.hpp"
#include "bench_sqlite.hpp"
#include "index/answer.hpp"
#include "index/index_store.hpp"

using namespace aegis;
using bench::Clock;
using bench::die;
using bench::mix;
using bench::seconds_since;
using protocol::Bytes;

namespace {

constexpr std::size_t kPush = 1024;   // envelopes per Push (protocol::kMaxBatch)
constexpr std::size_t kGroup = 4096;  // envelopes per apply_batches group (aegisd's limit)

struct Options {
  std::uint64_t children = 10'000;
  std::size_t authorities = 150;
  std::size_t queries = 5'000;
  std::size_t clients = 8;
  std::filesystem::path dir;
  bool keep = false;
};

Options parse(int argc, char** argv) {
  Options o;
  bench::parse_options(argc, argv, "query latency and throughput at the index",
                       [&](CLI::App& a) {
    a.add_option("--children", o.children)
        ->check(CLI::Range(std::uint64_t{1}, std::uint64_t{89'999'999}));
    a.add_option("--authorities", o.authorities)
        ->check(CLI::Range(std::size_t{2}, std::size_t{999}));
    a.add_option("--queries", o.queries)->check(CLI::PositiveNumber);
    a.add_option("--clients", o.clients)->check(CLI::Range(std::size_t{1}, std::size_t{64}));
    a.add_option("--dir", o.dir, "work directory (default: a fresh one in $TMPDIR)");
    a.add_flag("--keep", o.keep, "keep the work directory");
  });
  return o;
}

struct Authority {
  std::string id;
  std::uint64_t serial = 0;
  keys::Identity key;
  protocol::ChainState head;
  std::vector<Bytes> unsent;  // signed, not applied yet
};

// Latencies in seconds -> the q-quantile in milliseconds.
double quantile_ms(std::vector<double> v, double q) {
  if (v.empty()) return 0;
  const auto k = static_cast<std::size_t>(q * static_cast<double>(v.size() - 1));
  std::nth_element(v.begin(), v.begin() + static_cast<long>(k), v.end());
  return v[k] * 1000.0;
}

struct Run {
  double seconds = 0;
  std::vector<double> latency, service;  // per query: as the client saw it, its group's service
  std::uint64_t children_returned = 0;
  std::uint64_t groups = 0;
};

// `clients` threads each ask the next query and wait for its answer, until `count` are done.
// One service thread (the daemon's event loop) takes every query waiting, up to `group`, and
// answers them with `serve(indices)`, which returns how many children they returned: the
// query service's loop (QueryService::on_message).
template <class Serve>
Run run_clients(std::size_t clients, std::size_t count, std::size_t group, Serve serve) {
  Run out;
  out.latency.resize(count);
  out.service.resize(count);
  std::mutex lock;
  std::condition_variable asked, answered;
  std::deque<std::size_t> waiting;
  std::vector<char> done(count, 0);
  std::size_t served = 0;
  std::atomic<std::size_t> next{0};
  const auto start = Clock::now();
  std::thread service([&] {
    std::unique_lock<std::mutex> held(lock);
    while (served < count) {
      asked.wait(held, [&] { return !waiting.empty(); });
      std::vector<std::size_t> these;
      while (!waiting.empty() && these.size() < group) {
        these.push_back(waiting.front());
        waiting.pop_front();
      }
      held.unlock();
      const auto t = Clock::now();
      out.children_returned += serve(these);
      const double seconds = seconds_since(t);
      held.lock();
      for (const std::size_t i : these) {
        out.service[i] = seconds;
        done[i] = 1;
      }
      served += these.size();
      ++out.groups;
      answered.notify_all();
    }
  });
  std::vector<std::thread> threads;
  for (std::size_t c = 0; c < clients; ++c)
    threads.emplace_back([&] {
      for (std::size_t i = next++; i < count; i = next++) {
        const auto t = Clock::now();
        std::unique_lock<std::mutex> held(lock);
        waiting.push_back(i);
        asked.notify_one();
        answered.wait(held, [&] { return done[i] != 0; });
        out.latency[i] = seconds_since(t);
      }
    });
  for (std::thread& t : threads) t.join();
  service.join();
  out.seconds = seconds_since(start);
  return out;
}

std::string json_of(const Run& r, std::size_t count) {
  char buf[384];
  std::snprintf(buf, sizeof buf,
                "{\"qps\": %.1f, \"p50_ms\": %.3f, \"p99_ms\": %.3f, \"service_p50_ms\": %.3f, "
                "\"service_p99_ms\": %.3f, \"children_per_answer\": %.2f, "
                "\"queries_per_group\": %.2f}",
                static_cast<double>(count) / r.seconds, quantile_ms(r.latency, 0.50),
                quantile_ms(r.latency, 0.99), quantile_ms(r.service, 0.50),
                quantile_ms(r.service, 0.99),
                static_cast<double>(r.children_returned) / static_cast<double>(count),
                static_cast<double>(count) / static_cast<double>(r.groups));
  return buf;
}

// The raw limit: single-row commits/s into a fresh file beside the index (WAL, synchronous=FULL
// as the index store runs), for about 2 seconds or `max_rows` rows.
double commit_limit(const std::filesystem::path& dir, std::size_t max_rows) {
  const auto file = dir / "commit-limit.db";
  std::filesystem::remove(file);
  double rate = 0;
  {
    bench::RawDb db(file);
    db.exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
            "CREATE TABLE t (id INTEGER PRIMARY KEY, body BLOB NOT NULL)");
    sqlite3_stmt* begin = db.prepare("BEGIN");
    sqlite3_stmt* insert = db.prepare("INSERT INTO t (body) VALUES (?1)");
    sqlite3_stmt* commit = db.prepare("COMMIT");
    const std::vector<unsigned char> body(300, 0x5a);
    const auto t = Clock::now();
    std::size_t n = 0;
    while (n < max_rows && (n < 100 || seconds_since(t) < 2.0)) {
      db.run(begin);
      sqlite3_bind_blob(insert, 1, body.data(), static_cast<int>(body.size()), SQLITE_STATIC);
      db.run(insert);
      db.run(commit);
      ++n;
    }
    rate = static_cast<double>(n) / seconds_since(t);
  }
  for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(file.string() + suffix);
  return rate;
}

}  // namespace

int main(int argc, char** argv) {
  if (sodium_init() < 0) die("sodium_init");
  Options opt = parse(argc, argv);
  opt.dir = bench::work_dir(opt.dir, "query");
  const auto file = opt.dir / "index.db";
  for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(file.string() + suffix);

  // The trust domain (fixed seeds, as the national load's).
  bench::NationalDomain domain = bench::national_domain(opt.authorities);
  std::vector<Authority> authorities;
  for (std::size_t a = 0; a < opt.authorities; ++a)
    authorities.push_back(
        {domain.authority_ids[a], a + 1, std::move(domain.authority_keys[a]), {}, {}});
  const protocol::Trust& trust = domain.trust;
  std::uint64_t id_counter = 0;
  const index::IndexSigning signing{domain.index_key, bench::kIndexSerial,
                                    bench::counted_national_ids(id_counter)};
  {
    auto created = index::IndexStore::create(file, bench::kNowMs);
    if (!created) die("create: " + created.error().message());
  }
  auto opened = index::IndexStore::open(file);
  if (!opened) die("open: " + opened.error().message());
  std::optional<index::IndexStore> store(std::move(opened).value());

  // Setup: child n at authority n % A (version 0); every 20th also at the next one (version 1).
  auto t = Clock::now();
  std::uint64_t records = 0;
  auto sign = [&](Authority& au, std::uint64_t n, std::uint64_t version) {
    au.unsent.push_back(bench::sign_child_upsert(au.id, au.serial, au.key, au.head, n, version));
    ++records;
  };
  // Applies every authority's unsent envelopes: Pushes of kPush, groups of kGroup.
  auto apply_unsent = [&] {
    std::vector<index::IndexStore::Push> group;
    std::size_t in_group = 0;
    std::vector<std::vector<Bytes>> pushes;
    pushes.reserve(kGroup);  // at most kGroup Pushes per group: &back() stays valid
    auto flush = [&] {
      if (group.empty()) return;
      auto r = store->apply_batches(group, trust, bench::kNowMs, signing);
      if (!r) die("apply: " + r.error().message());
      for (const index::ApplyResult& x : *r)
        if (x.rejection) die("apply: a Push was rejected");
      group.clear();
      pushes.clear();
      in_group = 0;
    };
    for (Authority& au : authorities) {
      for (std::size_t from = 0; from < au.unsent.size(); from += kPush) {
        const std::size_t to = std::min(au.unsent.size(), from + kPush);
        if (in_group + (to - from) > kGroup) flush();
        pushes.emplace_back(std::make_move_iterator(au.unsent.begin() + static_cast<long>(from)),
                            std::make_move_iterator(au.unsent.begin() + static_cast<long>(to)));
        group.push_back({au.id, &pushes.back(), nullptr});
        in_group += to - from;
      }
      au.unsent.clear();
    }
    flush();
  };
  std::uint64_t applied = 0;
  for (std::uint64_t n = 0; n < opt.children; ++n) {
    sign(authorities[n % opt.authorities], n, 0);
    if (n % 20 == 7) sign(authorities[(n + 1) % opt.authorities], n, 1);
    if (records - applied >= 100'000 || n + 1 == opt.children) {
      applied = records;
      apply_unsent();
      std::fprintf(stderr, "query_bench: %llu records loaded (%.0f s)\n",
                   static_cast<unsigned long long>(records), seconds_since(t));
    }
  }
  if (auto merged = store->merge_states(); !merged) die("merge: " + merged.error().message());
  const double load_seconds = seconds_since(t);

  // The queries, signed by their askers (untimed: each authority signs its own).
  std::vector<Bytes> signed_queries;
  signed_queries.reserve(opt.queries);
  for (std::size_t i = 0; i < opt.queries; ++i) {
    const std::uint64_t n = mix(i ^ 0x9e11) % opt.children;
    const protocol::ChildRecord child = bench::synthetic_child(n, 0, "q");
    const Authority& asker = authorities[mix(i) % opt.authorities];
    protocol::Query q;
    q.authority_id = asker.id;
    q.signer_serial = asker.serial;
    for (std::size_t b = 0; b < q.query_id.size(); ++b)
      q.query_id[b] = static_cast<std::uint8_t>(mix(i + b) >> 8);
    q.time_ms = bench::kNowMs;
    q.user_id = "bench-practitioner";
    q.criteria.given = child.identity.name.given;
    q.criteria.family = child.identity.name.family;
    q.criteria.date_of_birth = child.identity.date_of_birth;
    signed_queries.push_back(protocol::sign_query(q, asker.key));
  }

  // The first search: it reads the matching engine the load left (until the twelfth session it
  // built a separate search index first, of every live record).
  t = Clock::now();
  {
    auto first = protocol::verify_query(signed_queries[0], trust, bench::kNowMs);
    if (!first) die("verify_query: " + first.error().message());
    if (auto found = store->search(first->criteria); !found)
      die("search: " + found.error().message());
  }
  const double first_search_seconds = seconds_since(t);
  std::fprintf(stderr, "query_bench: first search in %.2f s\n", first_search_seconds);

  const index::ShieldRoutes routes;
  const protocol::ByteArray<32> digest_key{0x42};
  auto verified = [&](std::size_t i) {
    auto q = protocol::verify_query(signed_queries[i], trust, bench::kNowMs);
    if (!q) die("verify_query: " + q.error().message());
    return std::move(q).value();
  };
  auto unaudited = [&](const std::vector<std::size_t>& group) -> std::uint64_t {
    std::uint64_t children = 0;
    for (const std::size_t i : group) {
      const protocol::Query q = verified(i);
      auto found = store->search(q.criteria);
      if (!found) die("search: " + found.error().message());
      auto answer = index::answer_from_store(*store, q.query_id, found->result, found->records,
                                             routes);
      if (!answer) die("answer: " + answer.error().message());
      children += answer->children.size();
    }
    return children;
  };
  // The audited path queues its access notices; aegisd's tick signs them into their owners'
  // feeds every index::kNoticeFlushMs (QueryService::flush_notices). The same here, on the
  // service thread between groups, timed with the run (and one last flush at its end).
  auto last_flush = Clock::now();
  std::uint64_t flushes = 0;
  double flush_seconds = 0;
  auto flush = [&] {
    const auto began = Clock::now();
    auto feeds = store->flush_notices(bench::kNowMs, signing);
    if (!feeds) die("flush_notices: " + feeds.error().message());
    last_flush = Clock::now();
    const double took = seconds_since(began);
    flush_seconds += took;
    ++flushes;
    return took;
  };
  auto audited = [&](const std::vector<std::size_t>& group) -> std::uint64_t {
    std::vector<protocol::Query> queries;
    for (const std::size_t i : group) queries.push_back(verified(i));
    auto done = store->answer_queries(queries, routes, digest_key, bench::kNowMs);
    if (!done) die("answer_queries: " + done.error().message());
    std::uint64_t children = 0;
    for (const index::AnsweredQuery& a : *done) children += a.answer.children.size();
    if (seconds_since(last_flush) * 1000.0 >= static_cast<double>(index::kNoticeFlushMs))
      flush();
    return children;
  };
  const std::size_t group = index::kMaxQueryGroup;
  // Every query once, unaudited and untimed for the ratio (reported as `cold`): each mode below
  // then reads the same records from the same page cache. With only a few queries warmed, the
  // first mode measured paid for reading its children's records from disk and the later ones
  // did not (at 11M, whose 9.5 GB store does not fit the page cache beside the engine, the
  // "ratio" came out 2.9).
  const Run cold = run_clients(opt.clients, opt.queries, group, unaudited);
  std::fprintf(stderr, "query_bench: unaudited, first pass (cold cache) %.0f queries/s\n",
               static_cast<double>(opt.queries) / cold.seconds);
  const Run plain = run_clients(opt.clients, opt.queries, group, unaudited);
  std::fprintf(stderr, "query_bench: unaudited %.0f queries/s\n",
               static_cast<double>(opt.queries) / plain.seconds);
  last_flush = Clock::now();
  Run single = run_clients(opt.clients, opt.queries, 1, audited);
  single.seconds += flush();
  std::fprintf(stderr, "query_bench: audited, one commit per query %.0f queries/s\n",
               static_cast<double>(opt.queries) / single.seconds);
  last_flush = Clock::now();
  flushes = 0;
  flush_seconds = 0;
  Run real = run_clients(opt.clients, opt.queries, group, audited);
  real.seconds += flush();
  std::fprintf(stderr, "query_bench: audited, group commit %.0f queries/s\n",
               static_cast<double>(opt.queries) / real.seconds);
  auto audit_size = store->audit_size();
  if (!audit_size) die("audit_size: " + audit_size.error().message());
  const double commits = commit_limit(opt.dir, opt.queries * 4);

  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  std::uintmax_t bytes = 0;
  for (const char* suffix : {"", "-wal"})
    if (std::error_code ec; std::filesystem::exists(file.string() + suffix, ec))
      bytes += std::filesystem::file_size(file.string() + suffix);
  const double real_qps = static_cast<double>(opt.queries) / real.seconds;
  const double single_qps = static_cast<double>(opt.queries) / single.seconds;
  const double plain_qps = static_cast<double>(opt.queries) / plain.seconds;
  std::printf(
      "{\"children\": %llu, \"records\": %llu, \"authorities\": %zu, \"clients\": %zu, "
      "\"queries\": %zu, \"load_seconds\": %.1f, \"first_search_seconds\": %.2f, "
      "\"cold\": %s, \"unaudited\": %s, \"audited_one_commit_each\": %s, \"audited\": %s, "
      "\"audit_ratio\": %.3f, \"audit_ratio_one_commit_each\": %.3f, \"audit_entries\": %llu, "
      "\"commit_limit\": %.1f, \"audited_vs_commit_limit\": %.3f, \"peak_rss_mib\": %.0f, "
      "\"db_mib\": %.0f, \"max_group\": %zu, \"notice_flushes\": %llu, "
      "\"notice_flush_seconds\": %.3f}\n",
      static_cast<unsigned long long>(opt.children), static_cast<unsigned long long>(records),
      opt.authorities, opt.clients, opt.queries, load_seconds, first_search_seconds,
      json_of(cold, opt.queries).c_str(), json_of(plain, opt.queries).c_str(),
      json_of(single, opt.queries).c_str(),
      json_of(real, opt.queries).c_str(), real_qps / plain_qps, single_qps / plain_qps,
      static_cast<unsigned long long>(*audit_size), commits, real_qps / commits,
      static_cast<double>(ru.ru_maxrss) / 1024.0, static_cast<double>(bytes) / 1048576.0,
      group, static_cast<unsigned long long>(flushes), flush_seconds);
  store.reset();  // closed (its WAL checkpointed) before its directory goes
  if (!opt.keep) std::filesystem::remove_all(opt.dir);
  return *audit_size >= opt.queries ? 0 : 1;
}
