// Importing one file into the store in one transaction (see importer.hpp).
#include "inbox/importer.hpp"

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <type_traits>
#include <variant>
#include <fstream>
#include <future>
#include <memory>
#include <system_error>
#include <utility>

#include <fcntl.h>
#include <openssl/evp.h>
#include <unistd.h>

namespace aegis::inbox {
namespace {

// Makes what was written to `path` (a file, or a directory's entries) durable: a report or a
// move that a power cut could undo would leave processed/ saying less than the store holds.
bool sync_path(const std::filesystem::path& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  const bool ok = ::fsync(fd) == 0;
  ::close(fd);
  return ok;
}

namespace fs = std::filesystem;

// Receives the parse and writes each valid record into the import transaction.
class StoreSink final : public adapters::Sink {
 public:
  StoreSink(store::Store::Import& import, Report& report) : import_(import), report_(report) {}

  protocol::Status begin(const adapters::FileInfo& info) override {
    report_.source = info.source;
    roll_ = info.roll;
    if (roll_) {
      // The children this school's roll held: those the file lists are crossed off as they come.
      auto ids = import_.open_setting_records(kCtfIdPrefix, roll_->organisation_id);
      if (!ids) return stop(ids.error());
      on_roll_ = std::move(ids).value();
      std::sort(on_roll_.begin(), on_roll_.end());
      listed_.assign(on_roll_.size(), false);
    }
    return protocol::Ok{};
  }

  protocol::Status record(adapters::Parsed&& parsed) override {
    cross_off(parsed.record.record_id);
    store::Result<store::Change> change = import_.upsert(parsed.record);
    if (!change) {
      const store::StoreErrc code = change.error().code;
      if (code != store::StoreErrc::invalid_record && code != store::StoreErrc::seal_failed)
        return stop(change.error());
      // A record the parser passed but the store refuses (e.g. larger than an envelope may be)
      // is quarantined like any other invalid record.
      report_.quarantine(adapters::Quarantined{std::move(parsed.where), parsed.record.record_id,
                                               "record", change.error().message()});
      return protocol::Ok{};
    }
    ++report_.records;
    ++(change->changed ? report_.changed : report_.unchanged);
    return protocol::Ok{};
  }

  protocol::Status quarantine(adapters::Quarantined&& q) override {
    cross_off(q.local_id);  // listed, though invalid: the child is still on the roll
    report_.quarantine(q);
    return protocol::Ok{};
  }

  // A full CTF: the children of the school's roll that the file did not list have left it.
  // Their open setting at the school ends on the file's date (one started after that date is
  // newer news than this file and is left alone).
  store::Status end_roll() {
    for (std::size_t n = 0; n < on_roll_.size(); ++n) {
      if (listed_[n]) continue;
      const std::string& id = on_roll_[n];
      store::Result<std::optional<protocol::ChildRecord>> record = import_.get(id);
      if (!record) return record.error();
      if (!record->has_value()) continue;
      protocol::ChildRecord& r = **record;
      bool ended = false;
      for (protocol::Involvement& i : r.details.involvements) {
        if (i.kind != protocol::InvolvementKind::educational_setting || i.end ||
            i.organisation_id != roll_->organisation_id || (i.start && *i.start > roll_->as_of))
          continue;
        i.end = roll_->as_of;
        ended = true;
      }
      if (!ended) continue;
      store::Result<store::Change> change = import_.upsert(r);
      if (!change) return change.error();
      ++report_.left_roll;
    }
    return protocol::Ok{};
  }

  const std::optional<store::StoreError>& store_failure() const { return store_failure_; }

 private:
  protocol::Status stop(const store::StoreError& e) {
    store_failure_ = e;
    return protocol::make_error(protocol::Errc::invalid_field, "store: " + e.message());
  }

  // A full CTF lists this child.
  void cross_off(const std::string& record_id) {
    auto it = std::lower_bound(on_roll_.begin(), on_roll_.end(), record_id);
    if (it != on_roll_.end() && *it == record_id)
      listed_[static_cast<std::size_t>(it - on_roll_.begin())] = true;
  }

  store::Store::Import& import_;
  Report& report_;
  std::optional<adapters::Roll> roll_;
  // The children on the school's roll before this file (sorted), and which of them the file
  // lists: a few dozen bytes per child of that school.
  std::vector<std::string> on_roll_;
  std::vector<bool> listed_;
  std::optional<store::StoreError> store_failure_;
};

adapters::ParseResult parse(const fs::path& file, const Source& source,
                            const adapters::ParseOptions& options, adapters::Sink& sink) {
  if (source.format == adapters::Format::csv)
    return adapters::parse_csv(file, options, source.csv, sink);
  return adapters::parse_file(source.format, file, options, sink);
}

// Runs the parser on a thread of its own and hands what it finds to `sink` on this thread,
// in order, through a bounded queue: parsing (XML, checks) and storing (encoding, comparing,
// writing) overlap instead of taking turns. When `sink` refuses an event, the parser is told
// at its next event and stops; the result is then an error whatever the parser returned.
adapters::ParseResult parse_beside(const fs::path& file, const Source& source,
                                   const adapters::ParseOptions& options, adapters::Sink& sink) {
  using Event = std::variant<adapters::FileInfo, adapters::Parsed, adapters::Quarantined>;
  constexpr std::size_t kQueued = 512;
  std::mutex mutex;
  std::condition_variable changed;
  std::deque<Event> queue;
  bool parsed = false;          // the parser returned
  bool refused = false;         // `sink` refused an event: the parser must stop
  std::optional<protocol::Error> refusal;

  class Forward final : public adapters::Sink {
   public:
    explicit Forward(std::function<protocol::Status(Event&&)> push) : push_(std::move(push)) {}
    protocol::Status begin(const adapters::FileInfo& info) override { return push_(info); }
    protocol::Status record(adapters::Parsed&& p) override { return push_(std::move(p)); }
    protocol::Status quarantine(adapters::Quarantined&& q) override { return push_(std::move(q)); }

   private:
    std::function<protocol::Status(Event&&)> push_;
  };
  Forward forward([&](Event&& e) -> protocol::Status {
    std::unique_lock lock(mutex);
    changed.wait(lock, [&] { return refused || queue.size() < kQueued; });
    if (refused) return *refusal;
    queue.push_back(std::move(e));
    changed.notify_all();
    return protocol::Ok{};
  });

  std::optional<adapters::ParseResult> result;
  std::thread parser([&] {
    adapters::ParseResult r = parse(file, source, options, forward);
    std::lock_guard lock(mutex);
    result = std::move(r);
    parsed = true;
    changed.notify_all();
  });
  for (;;) {
    Event e;
    {
      std::unique_lock lock(mutex);
      changed.wait(lock, [&] { return !queue.empty() || parsed; });
      if (queue.empty()) break;  // parsed, and everything handed over
      e = std::move(queue.front());
      queue.pop_front();
      changed.notify_all();
    }
    if (refused) continue;  // drain what the parser queued before it heard
    protocol::Status s = std::visit(
        [&](auto&& v) -> protocol::Status {
          using T = std::decay_t<decltype(v)>;
          if constexpr (std::is_same_v<T, adapters::FileInfo>) return sink.begin(v);
          else if constexpr (std::is_same_v<T, adapters::Parsed>) return sink.record(std::move(v));
          else return sink.quarantine(std::move(v));
        },
        std::move(e));
    if (!s) {
      std::lock_guard lock(mutex);
      refused = true;
      refusal = s.error();
      changed.notify_all();
    }
  }
  parser.join();
  if (refusal && *result)
    return adapters::FileError{{}, "stopped: " + refusal->message()};
  return std::move(*result);
}

// "pupils.csv" -> "pupils.2.csv"; "pupils" -> "pupils.2".
std::string numbered(const fs::path& name, unsigned n) {
  return name.stem().string() + "." + std::to_string(n) + name.extension().string();
}

}  // namespace

std::optional<adapters::CsvMapping> csv_mapping(std::string_view name) {
  if (name == "aegis") return adapters::CsvMapping::aegis();
  if (name == "febrl") return adapters::CsvMapping::febrl();
  return std::nullopt;
}

protocol::Date utc_date(std::uint64_t ms) {
  using namespace std::chrono;
  const sys_days day = floor<days>(sys_time<milliseconds>(milliseconds(ms)));
  const year_month_day ymd(day);
  protocol::Date d;
  d.year = static_cast<std::uint16_t>(static_cast<int>(ymd.year()));
  d.month = static_cast<std::uint8_t>(static_cast<unsigned>(ymd.month()));
  d.day = static_cast<std::uint8_t>(static_cast<unsigned>(ymd.day()));
  return d;
}

std::optional<protocol::ByteArray<32>> file_sha256(const fs::path& file, std::string& error) {
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    error = "cannot open " + file.filename().string();
    return std::nullopt;
  }
  // OpenSSL's SHA-256 uses the CPU's SHA instructions where there are some: several times
  // libsodium's portable one on a file of hundreds of MB (docs/adapters.md, "Performance").
  const std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(),
                                                                    &EVP_MD_CTX_free);
  auto failed = [&] {
    error = "cannot hash " + file.filename().string();
    return std::nullopt;
  };
  if (!ctx || EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr) != 1) return failed();
  std::vector<char> buf(1 << 16);
  while (in.read(buf.data(), static_cast<std::streamsize>(buf.size())) || in.gcount() > 0)
    if (EVP_DigestUpdate(ctx.get(), buf.data(), static_cast<std::size_t>(in.gcount())) != 1)
      return failed();
  if (in.bad()) {
    error = "cannot read " + file.filename().string();
    return std::nullopt;
  }
  protocol::ByteArray<32> out{};
  unsigned int size = 0;
  if (EVP_DigestFinal_ex(ctx.get(), out.data(), &size) != 1 || size != out.size())
    return failed();
  return out;
}

Report import_file(store::Store& store, const store::Signing& signing, const fs::path& file,
                   const Source& source, const ImportOptions& options) {
  Report report;
  report.file_name = file.filename().string();
  report.format = std::string(adapters::format_name(source.format));
  report.started_ms = signing.now_ms();
  auto failed = [&](std::string why) {
    report.outcome = Outcome::failed;
    report.failure = std::move(why);
    report.records = report.changed = report.unchanged = report.left_roll = 0;
    report.finished_ms = signing.now_ms();
    return std::move(report);
  };

  // The file's SHA-256 is read on another thread meanwhile (it is only needed at the end).
  struct Hashed {
    std::optional<protocol::ByteArray<32>> sha;
    std::string error;
  };
  std::future<Hashed> hashing = std::async(std::launch::async, [file] {
    Hashed h;
    h.sha = file_sha256(file, h.error);
    return h;
  });
  store::Result<store::Store::Import> import = store.begin_import(signing);
  if (!import) return failed(import.error().message());
  StoreSink sink(*import, report);
  adapters::ParseOptions parse_options;
  parse_options.today = utc_date(report.started_ms);
  parse_options.max_file_bytes = options.max_file_bytes;
  adapters::ParseResult parsed = parse_beside(file, source, parse_options, sink);
  if (sink.store_failure()) return failed(sink.store_failure()->message());
  // A file that cannot be read (gone, no permission) is not broken: it fails, to be retried.
  Hashed hashed = hashing.get();
  if (!hashed.sha) return failed(hashed.error);
  report.sha256 = *hashed.sha;
  if (!parsed) {
    report.outcome = Outcome::rejected;
    report.error = parsed.error();
    report.records = report.changed = report.unchanged = 0;
    report.finished_ms = signing.now_ms();
    return report;  // the Import goes out of scope: rolled back
  }
  if (store::Status s = sink.end_roll(); !s) return failed(s.error().message());
  store::Result<std::optional<store::ImportRow>> previous = store.last_import_of(*hashed.sha);
  if (!previous) return failed(previous.error().message());
  if (*previous)
    report.previous = PreviousImport{(*previous)->id, (*previous)->file_name,
                                     (*previous)->imported_ms};

  store::ImportRow row;
  row.file_name = report.file_name;
  row.sha256 = report.sha256;
  row.format = report.format;
  row.source = report.source;
  row.records = report.records;
  row.quarantined = report.quarantined();
  row.left_roll = report.left_roll;
  store::Result<store::ImportRow> done = import->finish(std::move(row));
  if (!done) return failed(done.error().message());
  report.outcome = Outcome::imported;
  report.changed = done->changed;
  report.first_seq = done->first_seq;
  report.last_seq = done->last_seq;
  report.import_id = done->id;
  report.finished_ms = signing.now_ms();
  return report;
}

std::optional<fs::path> deliver(const fs::path& file, const Report& report, std::string& error) {
  if (report.outcome == Outcome::failed) {
    error = "a failed import stays in the inbox";
    return std::nullopt;
  }
  const fs::path dir = file.parent_path() / std::string(report.outcome == Outcome::imported
                                                            ? kProcessedDir
                                                            : kFailedDir);
  std::error_code ec;
  fs::create_directory(dir, ec);
  if (ec) {
    error = "create " + dir.string() + ": " + ec.message();
    return std::nullopt;
  }
  const fs::path name = file.filename();
  std::string target = name.string();
  // A name is taken by a delivered file. A report without its file is what a crash between
  // the two renames below leaves: the file is still in the inbox, this is its retry, and the
  // new report replaces the orphan.
  auto taken = [&](const std::string& n) { return fs::exists(dir / n, ec); };
  for (unsigned n = 2; taken(target); ++n) target = numbered(name, n);

  const fs::path report_path = dir / (target + std::string(kReportSuffix));
  const fs::path part = dir / ("." + target + std::string(kReportSuffix) + ".part");
  {
    std::ofstream out(part, std::ios::binary | std::ios::trunc);
    if (!out || !report.write(out) || !out.flush()) {
      error = "write " + part.string();
      fs::remove(part, ec);
      return std::nullopt;
    }
  }
  if (!sync_path(part)) {
    error = "sync " + part.string();
    fs::remove(part, ec);
    return std::nullopt;
  }
  fs::rename(part, report_path, ec);
  if (ec) {
    error = "rename " + part.string() + ": " + ec.message();
    fs::remove(part, ec);
    return std::nullopt;
  }
  fs::rename(file, dir / target, ec);
  if (ec) {
    error = "move " + file.string() + " to " + dir.string() + ": " + ec.message();
    fs::remove(report_path, ec);  // no report without its file; the retry writes it again
    return std::nullopt;
  }
  // Both renames made durable (best effort: the file is delivered either way, and a file
  // system that cannot sync a directory loses at most the move, which a retry redoes as a
  // no-op import).
  (void)sync_path(dir);
  (void)sync_path(file.parent_path());
  return dir / target;
}

}  // namespace aegis::inbox
