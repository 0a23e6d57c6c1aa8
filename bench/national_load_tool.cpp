// The national initial load (issue 8 item 7; bench/README.md, "National initial load"): N
// synthetic children from A authorities (default 150) applied and resolved by the index store
// into an empty index, the way aegisd's index applies them — groups of Pushes of up to 1024
// envelopes (4096 per group, one transaction each), each group verified on a second thread
// while the previous one writes (verify_push + run_alongside, docs/index-store.md §4), real
// Ed25519 signatures, SQLite synchronous=FULL, resolution of every change. No network: the
// transport's share is measured by sync_bench.py and the ZeroMQ raw limit.
//
// The children are distinct (a name from a pool of given names and made-up family names, a
// date of birth over 18 years, a postcode, a valid NHS number of their own); 5% are also
// known to a second authority (same child, same NHS number, another address and record id),
// so resolution links them and sends elsewhere items. The authorities' signing is done in
// chunks before each chunk is applied and is not timed (in the real system 150 authorities
// sign on their own machines).
//
//   aegis_national_load_tool --children N [--authorities A] [--chunk C] [--dir DIR] [--keep]
//   aegis_national_load_tool --reopen-only --dir DIR     (the restart alone, of a kept load)
//
// Prints one JSON object: children, envelopes, apply seconds (timed: every apply_batches and
// its verification), rate, and per chunk [records held at its end, its changes/s, its size]
// (the throughput vs number of records curve), CPU seconds of the timed part, clusters, peak
// RSS, final database size.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <sodium.h>
#include <sys/resource.h>
#include <unistd.h>

#include "aegis/keys/keys.hpp"
#include "aegis/protocol/envelope.hpp"
#include "bench_cli.hpp"
#include "bench_identity.hpp"
#include "bench_record.hpp"
#include "index/index_store.hpp"
#include "index/verify_batch.hpp"

using namespace aegis;
using protocol::Bytes;
using bench::Clock;
using bench::die;
using bench::mix;
using bench::seconds_since;

namespace {

constexpr std::size_t kPush = 1024;       // envelopes per Push (protocol::kMaxBatch)
constexpr std::size_t kGroup = 4096;      // envelopes per apply_batches group (aegisd's limit)

struct Options {
  std::uint64_t children = 200'000;
  std::size_t authorities = 150;
  std::uint64_t chunk = 100'000;  // envelopes signed, then applied, at a time
  std::filesystem::path dir;
  bool keep = false;
  bool reopen_only = false;
  bool skip_reopen = false;
  std::uint64_t merge_every = index::OpenOptions{}.merge_every;
};

double cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

struct Authority {
  std::string id;
  std::uint64_t serial = 0;
  keys::Identity key;
  protocol::ChainState head;
  std::vector<std::uint64_t> children;  // children n it records (home or second), in order
  std::vector<int> copies;              // 0: home, 1: second authority
  std::size_t signed_count = 0;
};

Options parse(int argc, char** argv) {
  Options o;
  bench::parse_options(argc, argv, "the national initial load at the index", [&](CLI::App& a) {
    a.add_option("--children", o.children)
        ->check(CLI::Range(std::uint64_t{1}, std::uint64_t{99'999'999}));
    a.add_option("--authorities", o.authorities)
        ->check(CLI::Range(std::size_t{2}, std::size_t{999}));
    a.add_option("--chunk", o.chunk, "envelopes signed, then applied, at a time")
        ->check(CLI::Range(std::uint64_t{kGroup}, std::uint64_t{100'000'000}));
    a.add_option("--dir", o.dir, "work directory (default: a fresh one in $TMPDIR)");
    a.add_flag("--keep", o.keep, "keep the work directory");
    a.add_option("--merge-every", o.merge_every,
                 "OpenOptions::merge_every: record states merged into `records` this many at a "
                 "time (docs/index-store.md §4); 0, the default: automatic, as aegisd")
        ->check(CLI::Range(std::uint64_t{0}, std::uint64_t{100'000'000}));
    CLI::Option* dir = a.get_option("--dir");
    CLI::Option* reopen_only =
        a.add_flag("--reopen-only", o.reopen_only,
                   "only open DIR/index.db (a load kept with --keep): the restart, in its own "
                   "process")
            ->needs(dir);
    a.add_flag("--skip-reopen", o.skip_reopen,
               "no restart after the load (reopen_seconds 0): measure it with --reopen-only")
        ->excludes(reopen_only);
  });
  return o;
}

// An index restart measured alone: the time IndexStore::open takes on a kept load (the engine
// rebuilt from every live record) and the process's peak RSS, with no load before it in the
// same process to hide it.
int reopen_only(const std::filesystem::path& file) {
  if (!std::filesystem::exists(file)) die(file.string() + ": no such index (run with --keep first)");
  const auto t = Clock::now();
  auto store = index::IndexStore::open(file);
  if (!store) die("reopen: " + store.error().message());
  const double seconds = seconds_since(t);
  auto totals = store->totals();
  if (!totals) die("totals: " + totals.error().message());
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  std::printf("{\"reopen_seconds\": %.2f, \"records\": %llu, \"peak_rss_mib\": %.0f}\n",
              seconds, static_cast<unsigned long long>(totals->live_records),
              static_cast<double>(ru.ru_maxrss) / 1024.0);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (sodium_init() < 0) die("sodium_init");
  Options opt = parse(argc, argv);
  if (opt.reopen_only) return reopen_only(opt.dir / "index.db");
  opt.dir = bench::work_dir(opt.dir, "national-load");
  const auto file = opt.dir / "index.db";
  std::filesystem::remove(file);

  // Setup, untimed: the trust domain and who records which child.
  bench::NationalDomain domain = bench::national_domain(opt.authorities);
  std::vector<Authority> authorities;
  for (std::size_t a = 0; a < opt.authorities; ++a)
    authorities.push_back(
        {domain.authority_ids[a], a + 1, std::move(domain.authority_keys[a]), {}, {}, {}, 0});
  const protocol::Trust& trust = domain.trust;
  std::uint64_t envelopes = 0;
  for (std::uint64_t n = 0; n < opt.children; ++n) {
    const std::size_t home = mix(n ^ 0x5eed) % opt.authorities;
    authorities[home].children.push_back(n);
    authorities[home].copies.push_back(0);
    ++envelopes;
    if (n % 20 == 7) {  // 5%: known to a second authority too
      Authority& second = authorities[(home + 1 + n % (opt.authorities - 1)) % opt.authorities];
      second.children.push_back(n);
      second.copies.push_back(1);
      ++envelopes;
    }
  }
  { auto created = index::IndexStore::create(file, bench::kNowMs); if (!created) die(created.error().message()); }
  index::OpenOptions open_options;
  open_options.merge_every = opt.merge_every;
  auto opened = index::IndexStore::open(file, open_options);
  if (!opened) die("open: " + opened.error().message());
  std::optional<index::IndexStore> store(std::move(opened).value());
  std::uint64_t id_counter = 0;
  const index::IndexSigning signing{domain.index_key, bench::kIndexSerial,
                                    bench::counted_national_ids(id_counter)};

  struct Push {
    std::size_t authority;
    std::vector<Bytes> envelopes;
  };
  // The next chunk of Pushes: round robin over the authorities, up to kPush envelopes each.
  auto sign_chunk = [&](std::uint64_t budget) {
    std::vector<Push> pushes;
    bool any = true;
    while (budget > 0 && any) {
      any = false;
      for (std::size_t a = 0; a < authorities.size() && budget > 0; ++a) {
        Authority& au = authorities[a];
        if (au.signed_count == au.children.size()) continue;
        any = true;
        Push p{a, {}};
        while (p.envelopes.size() < kPush && budget > 0 && au.signed_count < au.children.size()) {
          const std::size_t i = au.signed_count++;
          Bytes wire = bench::sign_child_upsert(au.id, au.serial, au.key, au.head, au.children[i],
                                                static_cast<std::uint64_t>(au.copies[i]));
          p.envelopes.push_back(std::move(wire));
          --budget;
        }
        pushes.push_back(std::move(p));
      }
    }
    return pushes;
  };
  // Groups of Pushes of at most kGroup envelopes, as aegisd's event loop takes them.
  auto groups_of = [](std::vector<Push>& pushes) {
    std::vector<std::vector<Push*>> groups(1);
    std::size_t in_group = 0;
    for (Push& p : pushes) {
      if (in_group + p.envelopes.size() > kGroup && in_group > 0) {
        groups.emplace_back();
        in_group = 0;
      }
      groups.back().push_back(&p);
      in_group += p.envelopes.size();
    }
    return groups;
  };

  std::vector<protocol::ChainState> heads(authorities.size());  // applied heads, as verified
  double apply_seconds = 0, sign_seconds = 0, cpu = 0;  // cpu: of the timed part only
  std::uint64_t applied = 0, rejected = 0;
  std::string chunks;
  for (;;) {
    auto t = Clock::now();
    std::vector<Push> pushes = sign_chunk(opt.chunk);
    sign_seconds += seconds_since(t);
    if (pushes.empty()) break;
    const std::vector<std::vector<Push*>> groups = groups_of(pushes);
    t = Clock::now();
    const double cpu_before = cpu_seconds();
    // The pipeline of aegisd's index: verify group g + 1 while group g is written.
    std::vector<index::VerifiedPush> ahead, next;
    auto verify = [&](const std::vector<Push*>& g, std::vector<protocol::ChainState> h,
                      std::vector<index::VerifiedPush>& out) {
      out.clear();
      for (const Push* p : g) {
        out.push_back(index::verify_push(authorities[p->authority].id, p->envelopes, trust,
                                         h[p->authority], bench::kNowMs));
        h[p->authority] = out.back().head_after();
      }
    };
    verify(groups[0], heads, ahead);
    for (std::size_t g = 0; g < groups.size(); ++g) {
      std::vector<index::IndexStore::Push> batch;
      for (std::size_t i = 0; i < groups[g].size(); ++i)
        batch.push_back({authorities[groups[g][i]->authority].id, &groups[g][i]->envelopes,
                         &ahead[i]});
      index::Result<std::vector<index::ApplyResult>> r = std::vector<index::ApplyResult>{};
      auto write = [&] { r = store->apply_batches(batch, trust, bench::kNowMs, signing); };
      if (g + 1 < groups.size()) {
        // heads after this group, as verified: what the next group is verified after
        std::vector<protocol::ChainState> after = heads;
        for (std::size_t i = 0; i < groups[g].size(); ++i)
          after[groups[g][i]->authority] = ahead[i].head_after();
        auto side = [&] { verify(groups[g + 1], after, next); };
        if (!index::run_alongside(side, write)) die("verify thread failed");
      } else {
        write();
      }
      if (!r) die("apply: " + r.error().message());
      for (std::size_t i = 0; i < r->size(); ++i) {
        const index::ApplyResult& x = (*r)[i];
        applied += x.applied_count;
        if (x.rejection) ++rejected;
        heads[groups[g][i]->authority] = x.applied;
      }
      std::swap(ahead, next);
    }
    const double secs = seconds_since(t);
    apply_seconds += secs;
    cpu += cpu_seconds() - cpu_before;
    std::uint64_t in_chunk = 0;
    for (const Push& p : pushes) in_chunk += p.envelopes.size();
    char row[128];
    std::snprintf(row, sizeof row, "%s[%llu, %.1f, %llu]", chunks.empty() ? "" : ", ",
                  static_cast<unsigned long long>(applied), static_cast<double>(in_chunk) / secs,
                  static_cast<unsigned long long>(in_chunk));
    chunks += row;
    std::fprintf(stderr, "national_load: %llu / %llu applied, chunk at %.0f/s\n",
                 static_cast<unsigned long long>(applied),
                 static_cast<unsigned long long>(envelopes), static_cast<double>(in_chunk) / secs);
  }
  // Whatever the last group left waiting is merged into `records` too: part of the load.
  {
    const auto t = Clock::now();
    const double cpu_before = cpu_seconds();
    if (auto merged = store->merge_states(); !merged) die("merge: " + merged.error().message());
    apply_seconds += seconds_since(t);
    cpu += cpu_seconds() - cpu_before;
  }
  // Peak memory of the load itself (the engine, the pending states, SQLite's cache, this tool's
  // signed chunk), before the partition below and the reopen add their own.
  rusage loaded{};
  getrusage(RUSAGE_SELF, &loaded);
  std::fprintf(stderr, "national_load: %llu applied in %.1f s (%.0f changes/s), peak RSS %.0f MiB\n",
               static_cast<unsigned long long>(applied), apply_seconds,
               static_cast<double>(applied) / apply_seconds,
               static_cast<double>(loaded.ru_maxrss) / 1024.0);
  auto totals = store->totals();
  if (!totals) die("totals: " + totals.error().message());
  auto parts = store->partition();
  if (!parts) die("partition: " + parts.error().message());
  std::size_t linked = 0;
  for (const auto& cluster : *parts)
    if (cluster.size() > 1) ++linked;
  // The index's restart: what aegisd waits for after a crash before it serves again.
  double reopen_seconds = 0;
  if (!opt.skip_reopen) {
    store.reset();
    const auto t = Clock::now();
    auto again = index::IndexStore::open(file);
    if (!again) die("reopen: " + again.error().message());
    reopen_seconds = seconds_since(t);
    store.emplace(std::move(again).value());
  }
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  std::uintmax_t bytes = 0;
  for (const char* suffix : {"", "-wal"})
    if (std::error_code ec; std::filesystem::exists(file.string() + suffix, ec))
      bytes += std::filesystem::file_size(file.string() + suffix);
  std::printf(
      "{\"children\": %llu, \"authorities\": %zu, \"envelopes\": %llu, \"applied\": %llu, "
      "\"rejected\": %llu, \"apply_seconds\": %.2f, \"rate\": %.1f, \"sign_seconds\": %.2f, "
      "\"cpu_seconds\": %.2f, \"clusters\": %zu, \"linked_clusters\": %zu, "
      "\"reopen_seconds\": %.2f, \"load_peak_rss_mib\": %.0f, \"peak_rss_mib\": %.0f, "
      "\"db_mib\": %.0f, \"chunks\": [%s]}\n",
      static_cast<unsigned long long>(opt.children), opt.authorities,
      static_cast<unsigned long long>(envelopes), static_cast<unsigned long long>(applied),
      static_cast<unsigned long long>(rejected), apply_seconds,
      static_cast<double>(applied) / apply_seconds, sign_seconds, cpu, parts->size(), linked,
      reopen_seconds, static_cast<double>(loaded.ru_maxrss) / 1024.0,
      static_cast<double>(ru.ru_maxrss) / 1024.0, static_cast<double>(bytes) / 1048576.0,
      chunks.c_str());
  store.reset();  // closed (its WAL checkpointed) before its directory goes
  if (!opt.keep) std::filesystem::remove_all(opt.dir);
  return applied == envelopes && rejected == 0 ? 0 : 1;
}
