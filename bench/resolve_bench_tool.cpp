// Quality and speed of the matching engine (docs/resolution.md, "Measuring quality"; not a
// test, figures only). Reads CSV files through the real CSV adapter, builds match records,
// resolves them, and prints ONE JSON object.
//
//   aegis_resolve_bench_tool --csv AUTHORITY=FILE [--csv ...] [--mapping aegis|febrl]
//                            [--truth FILE | --febrl-truth] [--mode incremental|bulk]
//                            [--today YYYY-MM-DD] [--link X] [--review Y] [--max-block N]
//                            [--no-sibling-guard] [--errors N] [--parse-only]
//                            [--estimate] [--posterior P [--true-pairs-per-record R]]
//                            [--analyse N]
//
// Tokens: a keyed BLAKE2b-128 under a fixed bench key over (kind, identifier) of each VALID
// identifier (adapters/validate.hpp), as an authority would make them; a shielded record
// (never, from CSV) would expose no address. Timed: resolution only (parsing is reported
// apart), wall and CPU time (the machine may be shared). --mode incremental upserts records
// one by one (the index's path), bulk all at once. --parse-only stops after the adapter has
// read the files (the raw limit: records, quarantined, seconds, records_per_s, peak_rss_mib).
// --estimate learns m, u and the prior from the records read (resolve::estimate_probabilities,
// untimed: a training step) and resolves with them. --posterior P sets the link threshold from
// a target posterior probability (resolve::link_threshold_for) with the estimated prior, or,
// with --true-pairs-per-record R, the prior of R x records true pairs among all pairs; --link
// sets it directly.
//
// Quality, with --truth FILE (CSV header authority_id,local_id,person_id) or --febrl-truth
// (person = N of rec-N-org / rec-N-dup-K): pairs of imported records, all pairs in one cluster
// counted as linked (within and across authorities); precision, recall, F1 over them. Records
// the adapter quarantined are reported apart, with the true pairs they take away.
//
// --analyse N (with a truth): why true pairs are not linked, before any review. Every missed
// pair gets one reason — never compared (no blocking key shared, or only blocks over the cap),
// scored link but kept apart by clustering, review or no link (by cap, or by score alone) —
// and a pattern: the fields that did not agree. JSON "missed" holds the counts by reason and
// the most frequent patterns; stderr shows N missed pairs with score and levels. Record ids,
// levels and weights only, never a value (bench output, not a product log).
#include <sys/resource.h>
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <map>
#include <sstream>
#include <string>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>
#include <sodium.h>

#include "aegis/adapters/adapter.hpp"
#include "aegis/adapters/csv.hpp"
#include "aegis/adapters/validate.hpp"
#include "resolve/blocking.hpp"
#include "resolve/estimate.hpp"
#include "resolve/resolver.hpp"

namespace {

using namespace aegis;
using resolve::IdentifierKind;
using resolve::IdentifierToken;
using resolve::RecordRef;
using Clock = std::chrono::steady_clock;

[[noreturn]] void die(const std::string& message) {
  std::fprintf(stderr, "aegis_resolve_bench_tool: %s\n", message.c_str());
  std::exit(2);
}

double seconds_since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

// Resident memory now, MiB (VmRSS of /proc/self/status; 0 when unreadable).
double rss_mb() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stod(line.substr(6)) / 1024.0;
  }
  return 0;
}

// CPU time of this process: on a shared machine, wall time also counts other people's work.
double cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

// The fixed bench matching key (32 bytes). Never a real key.
constexpr unsigned char kBenchKey[32] = {'a', 'e', 'g', 'i', 's', '-', 'r', 'e', 's', 'o', 'l',
                                         'v', 'e', '-', 'b', 'e', 'n', 'c', 'h', '-', 'k', 'e',
                                         'y', '-', '0', '0', '0', '0', '0', '0', '0', '1'};

IdentifierToken make_token(IdentifierKind kind, const std::string& normalised) {
  IdentifierToken t;
  t.kind = kind;
  std::string input(1, static_cast<char>(kind));
  input += normalised;
  crypto_generichash(t.hash.data(), t.hash.size(),
                     reinterpret_cast<const unsigned char*>(input.data()), input.size(), kBenchKey,
                     sizeof kBenchKey);
  return t;
}

std::vector<IdentifierToken> tokens_of(const protocol::ChildDetails& d) {
  std::vector<IdentifierToken> out;
  auto add = [&](const std::optional<std::string>& v, IdentifierKind kind,
                 adapters::Problem (*check)(std::string_view)) {
    if (!v) return;
    const std::string n = adapters::normalise_identifier(*v);
    if (!check(n)) out.push_back(make_token(kind, n));
  };
  add(d.upn, IdentifierKind::upn, adapters::check_upn);
  add(d.uln, IdentifierKind::uln, adapters::check_uln);
  add(d.nhs_number, IdentifierKind::nhs_number, adapters::check_nhs_number);
  return out;
}

struct Collect final : adapters::Sink {
  std::string authority;
  std::vector<resolve::MatchRecord>* records = nullptr;
  std::vector<RecordRef>* quarantined = nullptr;
  protocol::Status begin(const adapters::FileInfo&) override { return protocol::Ok{}; }
  protocol::Status record(adapters::Parsed&& p) override {
    const protocol::ChildRecord& r = p.record;
    records->push_back(resolve::make_match_record(authority, r.record_id, r.identity,
                                                  r.shielded() ? nullptr : &r.details,
                                                  tokens_of(r.details)));
    return protocol::Ok{};
  }
  protocol::Status quarantine(adapters::Quarantined&& q) override {
    quarantined->push_back({authority, q.local_id});
    return protocol::Ok{};
  }
};

std::string ref_key(const RecordRef& r) { return r.authority_id + '\x1f' + r.record_id; }

// Person of each record: from a truth CSV, or from FEBRL record ids.
using Truth = std::unordered_map<std::string, std::string>;

Truth read_truth(const std::string& file) {
  std::ifstream in(file);
  if (!in) die("cannot read " + file);
  Truth t;
  std::string line;
  std::getline(in, line);
  if (line.rfind("authority_id,local_id,person_id", 0) != 0) die(file + ": bad header");
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) continue;
    std::stringstream ss(line);
    std::string a, l, p;
    std::getline(ss, a, ',');
    std::getline(ss, l, ',');
    std::getline(ss, p, ',');
    t[ref_key({a, "csv:" + l})] = p;
  }
  return t;
}

std::optional<std::string> febrl_person(const RecordRef& r) {
  // "csv:rec-N-org" / "csv:rec-N-dup-K"
  const std::string& id = r.record_id;
  const auto start = id.find("rec-");
  if (start == std::string::npos) return std::nullopt;
  const auto end = id.find('-', start + 4);
  if (end == std::string::npos) return std::nullopt;
  return id.substr(start + 4, end - start - 4);
}

std::uint64_t pairs_of(std::uint64_t n) { return n * (n > 0 ? n - 1 : 0) / 2; }

protocol::Date today_utc() {
  const auto now = std::chrono::system_clock::now();
  const std::chrono::year_month_day ymd{std::chrono::floor<std::chrono::days>(now)};
  protocol::Date d;
  d.year = static_cast<std::uint16_t>(static_cast<int>(ymd.year()));
  d.month = static_cast<std::uint8_t>(static_cast<unsigned>(ymd.month()));
  d.day = static_cast<std::uint8_t>(static_cast<unsigned>(ymd.day()));
  return d;
}

// Blocking keys of every record and the size of every block: what --analyse needs to tell a
// pair never compared from a pair compared and scored low.
struct Blocks {
  std::unordered_map<std::string, std::vector<std::uint64_t>> keys;  // by ref_key, sorted
  std::unordered_map<std::uint64_t, std::uint32_t> sizes;
};

Blocks blocks_of(const std::vector<resolve::MatchRecord>& records) {
  Blocks b;
  for (const auto& r : records) {
    auto keys = resolve::blocking_keys(r);
    for (const std::uint64_t k : keys) ++b.sizes[k];
    b.keys[ref_key(r.ref)] = std::move(keys);
  }
  return b;
}

// Whether the engine compares x and y: a block shared and not over the cap.
bool compared(const Blocks& b, const RecordRef& x, const RecordRef& y, std::size_t cap) {
  const auto& kx = b.keys.at(ref_key(x));
  const auto& ky = b.keys.at(ref_key(y));
  std::vector<std::uint64_t> shared;
  std::set_intersection(kx.begin(), kx.end(), ky.begin(), ky.end(), std::back_inserter(shared));
  return std::any_of(shared.begin(), shared.end(),
                     [&](std::uint64_t k) { return b.sizes.at(k) <= cap; });
}

// Why a true pair is not linked (see --analyse): one reason per pair.
std::string missed_reason(const resolve::PairScore& s) {
  if (s.outcome == resolve::Outcome::link) return "link_refused_by_clustering";
  std::string r(resolve::outcome_name(s.outcome));
  r += ':';
  r += s.cap == resolve::Cap::none ? "score" : resolve::cap_name(s.cap);
  return r;
}

// The fields of a pair that did not agree ("id=none" when no identifier agrees).
std::string missed_pattern(const resolve::PairScore& s) {
  std::string out;
  bool id_agrees = false;
  for (const auto& e : s.evidence) {
    const bool identifier = e.field == resolve::Field::upn || e.field == resolve::Field::uln ||
                            e.field == resolve::Field::nhs_number;
    if (identifier) {
      id_agrees = id_agrees || e.level == resolve::Level::agree;
      if (e.level != resolve::Level::disagree) continue;
    }
    if (e.level == resolve::Level::agree || e.level == resolve::Level::missing) continue;
    out += out.empty() ? "" : " ";
    out += std::string(resolve::field_name(e.field)) + "=" +
           std::string(resolve::level_name(e.level));
  }
  if (!id_agrees) out = out.empty() ? "id=none" : "id=none " + out;
  return out.empty() ? "(all agree)" : out;
}

// The 25 most frequent of counted patterns, most frequent first, as JSON.
nlohmann::json top_patterns(const std::map<std::string, std::uint64_t>& counts) {
  std::vector<std::pair<std::uint64_t, std::string>> patterns;
  for (const auto& [pattern, k] : counts) patterns.emplace_back(k, pattern);
  std::sort(patterns.begin(), patterns.end(), std::greater<>());
  if (patterns.size() > 25) patterns.resize(25);
  nlohmann::json out = nlohmann::json::array();
  for (const auto& [k, pattern] : patterns)
    out.push_back({{"pairs", k}, {"reason_and_fields", pattern}});
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  if (sodium_init() < 0) die("libsodium failed to initialise");
  std::vector<std::pair<std::string, std::string>> inputs;
  std::string mapping_name = "aegis";
  std::string truth_file;
  bool febrl_truth = false;
  bool bulk = false;
  bool parse_only = false;
  bool estimate = false;
  double posterior = 0;
  double true_pairs_per_record = 0;
  std::size_t show_errors = 0;
  std::size_t analyse = 0;
  bool analyse_requested = false;
  protocol::Date today = today_utc();
  resolve::MatchConfig config;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) die(a + " needs a value");
      return argv[++i];
    };
    if (a == "--csv") {
      const std::string v = next();
      const auto eq = v.find('=');
      if (eq == std::string::npos || eq == 0) die("--csv takes AUTHORITY=FILE");
      inputs.emplace_back(v.substr(0, eq), v.substr(eq + 1));
    } else if (a == "--mapping") {
      mapping_name = next();
    } else if (a == "--truth") {
      truth_file = next();
    } else if (a == "--febrl-truth") {
      febrl_truth = true;
    } else if (a == "--mode") {
      const std::string m = next();
      if (m != "incremental" && m != "bulk") die("--mode is incremental or bulk");
      bulk = m == "bulk";
    } else if (a == "--today") {
      const auto d = protocol::Date::parse(next());
      if (!d) die("--today takes YYYY-MM-DD");
      today = *d;
    } else if (a == "--link") {
      config.link_threshold = std::stod(next());
    } else if (a == "--review") {
      config.review_threshold = std::stod(next());
    } else if (a == "--max-block") {
      config.max_block_size = std::stoul(next());
    } else if (a == "--no-sibling-guard") {
      config.sibling_guard = false;
    } else if (a == "--posterior") {
      posterior = std::stod(next());
      if (!(posterior > 0.5 && posterior < 1)) die("--posterior is in (0.5, 1)");
    } else if (a == "--true-pairs-per-record") {
      true_pairs_per_record = std::stod(next());
      if (!(true_pairs_per_record > 0)) die("--true-pairs-per-record is > 0");
    } else if (a == "--estimate") {
      estimate = true;
    } else if (a == "--parse-only") {
      parse_only = true;
    } else if (a == "--analyse") {
      analyse = std::stoul(next());
      analyse_requested = true;
    } else if (a == "--errors") {
      show_errors = std::stoul(next());
    } else {
      die("unknown argument " + a);
    }
  }
  if (inputs.empty()) die("at least one --csv AUTHORITY=FILE");
  if (mapping_name != "aegis" && mapping_name != "febrl") die("--mapping is aegis or febrl");
  const adapters::CsvMapping mapping =
      mapping_name == "febrl" ? adapters::CsvMapping::febrl() : adapters::CsvMapping::aegis();

  // Parse (untimed for throughput).
  std::vector<resolve::MatchRecord> records;
  std::vector<RecordRef> quarantined;
  const auto parse_start = Clock::now();
  for (const auto& [authority, file] : inputs) {
    Collect sink;
    sink.authority = authority;
    sink.records = &records;
    sink.quarantined = &quarantined;
    adapters::ParseOptions options;
    options.today = today;
    const auto r = adapters::parse_csv(file, options, mapping, sink);
    if (!r) die(file + ": " + r.error().message);
  }
  const double parse_seconds = seconds_since(parse_start);
  auto peak_rss_mib = [] {
    rusage ru{};
    getrusage(RUSAGE_SELF, &ru);
    return static_cast<double>(ru.ru_maxrss) / 1024.0;
  };
  if (parse_only) {
    nlohmann::json out;
    out["records"] = records.size();
    out["quarantined"] = quarantined.size();
    out["seconds"] = parse_seconds;
    out["records_per_s"] =
        parse_seconds > 0 ? static_cast<double>(records.size()) / parse_seconds : 0.0;
    out["peak_rss_mib"] = peak_rss_mib();
    std::printf("%s\n", out.dump().c_str());
    return 0;
  }

  if (true_pairs_per_record > 0 && (posterior == 0 || estimate)) {
    die("--true-pairs-per-record goes with --posterior, without --estimate");
  }
  if (posterior > 0 && !estimate && true_pairs_per_record == 0) {
    die("--posterior needs --estimate or --true-pairs-per-record");
  }
  nlohmann::json estimated;
  if (estimate) {
    const double cpu_before = cpu_seconds();
    const resolve::Estimate e = resolve::estimate_probabilities(records, config);
    config.probabilities = e.probabilities;
    if (posterior > 0) config.link_threshold = resolve::link_threshold_for(posterior, e.prior);
    estimated["cpu_seconds"] = cpu_seconds() - cpu_before;
    estimated["prior"] = e.prior;
    estimated["candidate_pairs"] = e.candidate_pairs;
    estimated["candidate_prior"] = e.candidate_prior;
    estimated["sampled_pairs"] = e.sampled_pairs;
    estimated["iterations"] = e.iterations;
    for (const auto& p : e.probabilities) {
      estimated["weights"][std::string(resolve::field_name(p.field)) + "." +
                           std::string(resolve::level_name(p.level))] =
          nlohmann::json::array({p.m, p.u, std::log2(p.m / p.u)});
    }
  } else if (posterior > 0) {
    const auto n = static_cast<double>(records.size());
    config.link_threshold = resolve::link_threshold_for(
        posterior, true_pairs_per_record * n / (n * (n - 1) / 2));
  }
  // What makes a wrong pair look like twins (same family name and date of birth), kept before
  // the records move into the resolver: false links between such people are counted apart.
  std::unordered_map<std::string, std::string> twin_key;
  for (const auto& r : records) {
    twin_key[ref_key(r.ref)] = r.name.family + '|' + std::to_string(r.date_of_birth.year) + '-' +
                              std::to_string(r.date_of_birth.month) + '-' +
                              std::to_string(r.date_of_birth.day);
  }

  if (analyse_requested && truth_file.empty() && !febrl_truth) {
    die("--analyse needs --truth or --febrl-truth");
  }
  Blocks blocks;
  if (analyse_requested) blocks = blocks_of(records);

  // Resolve (timed).
  std::uint64_t minted = 0;
  resolve::Resolver resolver(config, [&minted] { return "N" + std::to_string(++minted); });
  const std::size_t n_records = records.size();
  std::vector<RecordRef> refs;
  refs.reserve(n_records);
  for (const auto& r : records) refs.push_back(r.ref);
  const double rss_before = rss_mb();
  const auto start = Clock::now();
  const double cpu_start = cpu_seconds();
  if (bulk) {
    (void)resolver.upsert_many(std::move(records));
  } else {
    for (auto& r : records) (void)resolver.upsert(std::move(r));
  }
  const double seconds = seconds_since(start);
  const double cpu = cpu_seconds() - cpu_start;
  const double engine_mb = rss_mb() - rss_before;
  const resolve::ResolverStats st = resolver.stats();
  const auto review = resolver.review_queue();

  nlohmann::json out;
  out["records"] = n_records;
  out["quarantined"] = quarantined.size();
  out["parse_seconds"] = parse_seconds;
  out["seconds"] = seconds;
  out["records_per_s"] = seconds > 0 ? static_cast<double>(n_records) / seconds : 0.0;
  out["cpu_seconds"] = cpu;
  out["records_per_cpu_s"] = cpu > 0 ? static_cast<double>(n_records) / cpu : 0.0;
  out["cpu_us_per_record"] = n_records ? cpu * 1e6 / static_cast<double>(n_records) : 0.0;
  out["pairs_compared"] = st.compared_pairs;
  out["pairs_prescreened"] = st.prescreened_pairs;
  out["pairs_skipped_block_cap"] = st.skipped_pairs;
  out["oversized_blocks"] = st.oversized_blocks;
  out["unions_refused_evidence_against"] = st.refused_against;
  out["unions_refused_cluster_size"] = st.refused_size;
  out["regions_resolved_locally"] = st.local_regions;
  out["records_reclustered"] = st.resolved_records;
  out["link_pairs"] = st.link_pairs;
  out["review_pairs"] = review.size();
  out["clusters"] = st.clusters;
  out["peak_rss_mib"] = peak_rss_mib();
  // Growth of resident memory over the resolution: the engine's own structures (the records'
  // strings were already allocated by the parse and move into it).
  out["engine_rss_mib"] = engine_mb;
  out["engine_bytes_per_record"] =
      n_records ? engine_mb * 1024.0 * 1024.0 / static_cast<double>(n_records) : 0.0;
  out["mode"] = bulk ? "bulk" : "incremental";
  out["link_threshold"] = config.link_threshold;
  if (estimate) out["estimate"] = estimated;

  if (!truth_file.empty() || febrl_truth) {
    Truth truth;
    if (!truth_file.empty()) truth = read_truth(truth_file);
    auto person = [&](const RecordRef& r) -> std::optional<std::string> {
      if (febrl_truth) return febrl_person(r);
      const auto it = truth.find(ref_key(r));
      if (it == truth.end()) return std::nullopt;
      return it->second;
    };
    std::vector<std::pair<RecordRef, RecordRef>> wrong;
    // Pairwise figures of the current partition.
    std::uint64_t false_twin_like = 0;
    auto quality = [&](bool sample) {
      std::uint64_t predicted = 0;
      std::uint64_t true_positive = 0;
      for (const auto& cluster : resolver.partition()) {
        predicted += pairs_of(cluster.size());
        if (sample) {
          for (std::size_t i = 0; i < cluster.size(); ++i) {
            for (std::size_t j = i + 1; j < cluster.size(); ++j) {
              const auto x = person(cluster[i]);
              const auto y = person(cluster[j]);
              const bool other_people = !x || !y || *x != *y;
              if (other_people && twin_key[ref_key(cluster[i])] == twin_key[ref_key(cluster[j])]) {
                ++false_twin_like;
              }
            }
          }
        }
        std::map<std::string, std::uint64_t> by_person;
        for (const auto& r : cluster) ++by_person[person(r).value_or("?" + ref_key(r))];
        for (const auto& [p, k] : by_person) true_positive += pairs_of(k);
        if (sample && wrong.size() < show_errors && by_person.size() > 1) {
          wrong.emplace_back(cluster.front(), cluster.back());
        }
      }
      return std::pair(predicted, true_positive);
    };
    const auto [predicted, true_positive] = quality(true);
    std::uint64_t unknown = 0;
    for (const auto& r : refs) unknown += person(r) ? 0 : 1;
    std::map<std::string, std::uint64_t> imported_by_person;
    std::map<std::string, std::uint64_t> all_by_person;
    for (const auto& r : refs) {
      if (const auto p = person(r)) {
        ++imported_by_person[*p];
        ++all_by_person[*p];
      }
    }
    std::uint64_t quarantined_known = 0;
    for (const auto& r : quarantined) {
      if (const auto p = person(r)) {
        ++all_by_person[*p];
        ++quarantined_known;
      }
    }
    std::uint64_t true_pairs = 0;
    std::uint64_t true_pairs_all = 0;
    for (const auto& [p, k] : imported_by_person) true_pairs += pairs_of(k);
    for (const auto& [p, k] : all_by_person) true_pairs_all += pairs_of(k);
    auto print_errors = [&] {
      // On stderr, record ids and evidence levels only (no values): clusters mixing people,
      // then true pairs left apart.
      auto print = [&](const char* what, const RecordRef& a, const RecordRef& b) {
        const auto s = resolver.explain(a, b);
        std::fprintf(stderr, "%s %s %s score=%.1f %s", what, a.record_id.c_str(),
                     b.record_id.c_str(), s ? s->score : 0.0,
                     s ? std::string(resolve::cap_name(s->cap)).c_str() : "");
        if (s) {
          for (const auto& e : s->evidence) {
            if (e.level == resolve::Level::missing) continue;
            std::fprintf(stderr, " %s=%s", std::string(resolve::field_name(e.field)).c_str(),
                         std::string(resolve::level_name(e.level)).c_str());
          }
        }
        std::fprintf(stderr, "\n");
      };
      for (const auto& [a, b] : wrong) print("MIXED", a, b);
      for (const auto& p : review) {
        const auto x = person(p.a);
        const auto y = person(p.b);
        print(x && y && *x == *y ? "REVIEW_TRUE" : "REVIEW_FALSE", p.a, p.b);
      }
      std::map<std::string, std::vector<RecordRef>> members;
      for (const auto& r : refs) {
        if (const auto p = person(r)) members[*p].push_back(r);
      }
      std::size_t shown = 0;
      for (const auto& [p, rs] : members) {
        for (std::size_t i = 0; i < rs.size() && shown < show_errors; ++i) {
          for (std::size_t j = i + 1; j < rs.size() && shown < show_errors; ++j) {
            if (resolver.national_id(rs[i]) == resolver.national_id(rs[j])) continue;
            print("MISSED", rs[i], rs[j]);
            ++shown;
          }
        }
      }
    };
    auto figures = [&](std::uint64_t pred, std::uint64_t tp, nlohmann::json& j) {
      const double precision = pred ? static_cast<double>(tp) / static_cast<double>(pred) : 1.0;
      const double recall =
          true_pairs ? static_cast<double>(tp) / static_cast<double>(true_pairs) : 1.0;
      j["linked_pairs"] = pred;
      j["true_positive_pairs"] = tp;
      j["false_positive_pairs"] = pred - tp;
      j["precision"] = precision;
      j["recall"] = recall;
      j["f1"] = precision + recall > 0 ? 2 * precision * recall / (precision + recall) : 0;
    };
    std::uint64_t review_true = 0;
    std::map<std::string, std::uint64_t> false_review_patterns;  // --analyse: the operator's
    for (const auto& p : review) {                                // wasted work, by kind
      const auto x = person(p.a);
      const auto y = person(p.b);
      const bool same = x && y && *x == *y;
      review_true += same ? 1 : 0;
      if (!same && analyse_requested)
        ++false_review_patterns[missed_reason(p.score) + " | " + missed_pattern(p.score)];
    }
    out["true_pairs"] = true_pairs;
    figures(predicted, true_positive, out);
    out["review_pairs_true"] = review_true;
    // Wrong links between people with one family name and date of birth: twins, mostly.
    out["false_pairs_same_family_and_dob"] = false_twin_like;
    out["records_without_truth"] = unknown;
    out["quarantined_with_truth"] = quarantined_known;
    out["true_pairs_lost_to_quarantine"] = true_pairs_all - true_pairs;
    out["recall_counting_quarantined"] =
        true_pairs_all ? static_cast<double>(true_positive) / static_cast<double>(true_pairs_all)
                       : 1.0;
    if (analyse_requested) {
      // Why each true pair is apart, before any review (--analyse).
      std::map<std::string, std::vector<RecordRef>> members;
      for (const auto& r : refs) {
        if (const auto p = person(r)) members[*p].push_back(r);
      }
      std::map<std::string, std::uint64_t> by_reason;
      std::map<std::string, double> score_sum;
      std::map<std::string, std::uint64_t> by_pattern;
      std::size_t shown = 0;
      for (const auto& [p, rs] : members) {
        for (std::size_t i = 0; i < rs.size(); ++i) {
          for (std::size_t j = i + 1; j < rs.size(); ++j) {
            if (resolver.national_id(rs[i]) == resolver.national_id(rs[j])) continue;
            const auto s = resolver.explain(rs[i], rs[j]);
            if (!s) continue;
            const std::string reason = compared(blocks, rs[i], rs[j], config.max_block_size)
                                           ? missed_reason(*s)
                                           : "not_compared";
            const std::string pattern = missed_pattern(*s);
            ++by_reason[reason];
            score_sum[reason] += s->score;
            ++by_pattern[reason + " | " + pattern];
            if (shown < analyse) {
              ++shown;
              std::fprintf(stderr, "MISSED %s %s score=%.1f reason=%s %s\n",
                           rs[i].record_id.c_str(), rs[j].record_id.c_str(), s->score,
                           reason.c_str(), pattern.c_str());
            }
          }
        }
      }
      nlohmann::json missed;
      std::uint64_t total = 0;
      for (const auto& [reason, k] : by_reason) {
        total += k;
        missed["by_reason"][reason] = {{"pairs", k},
                                       {"mean_score", score_sum[reason] / static_cast<double>(k)}};
      }
      missed["pairs"] = total;
      missed["top_patterns"] = top_patterns(by_pattern);
      out["missed"] = missed;
      out["false_review_top_patterns"] = top_patterns(false_review_patterns);
    }
    // Then an operator who always decides right works through the review queue once.
    for (const auto& p : review) {
      const auto x = person(p.a);
      const auto y = person(p.b);
      const bool same = x && y && *x == *y;
      (void)resolver.decide({same ? resolve::DecisionKind::link : resolve::DecisionKind::separate,
                             p.a, p.b, "bench"});
    }
    // Errors on stderr: clusters mixing people and review pairs as scored, then the true pairs
    // still apart after the review.
    if (show_errors) print_errors();
    const auto [predicted_after, true_positive_after] = quality(false);
    nlohmann::json after;
    figures(predicted_after, true_positive_after, after);
    out["after_review"] = after;
  }
  std::printf("%s\n", out.dump().c_str());
  return 0;
}
