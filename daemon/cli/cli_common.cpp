// Shared wiring of the `aegis` commands (see cli_common.hpp).
#include "cli_common.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <iostream>
#include <iterator>

#include "node/node.hpp"

namespace aegis::cli {

namespace {

// A node loading failure (config key, code, message) as a config error of the CLI.
template <typename T>
T take(node::Result<T> r) {
  if (!r) fail(kExitConfig, r.error().code, r.error().message);
  return std::move(r).value();
}

}  // namespace

void fail(int exit_code, std::string code, const std::string& message) {
  throw CommandError(exit_code, std::move(code), message);
}

void fail_store(const store::StoreError& e) {
  fail(kExitFailed, std::string(store::store_errc_name(e.code)), e.message());
}

void print_result(const GlobalOptions& g, const nlohmann::ordered_json& json,
                  const std::string& human) {
  if (g.json) {
    std::cout << json.dump(2) << "\n";
  } else if (!human.empty()) {
    std::cout << human << (human.back() == '\n' ? "" : "\n");
  }
  std::cout.flush();
}

void print_error(const GlobalOptions& g, const CommandError& e) {
  std::cerr << "aegis: " << e.what() << "\n";
  if (g.json) {
    nlohmann::ordered_json j = e.result();
    j["error"] = {{"code", e.code()}, {"message", e.what()}, {"exit_code", e.exit_code()}};
    std::cout << j.dump(2) << "\n";
  }
}

std::uint64_t now_ms() {
  using namespace std::chrono;
  return static_cast<std::uint64_t>(
      duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count());
}

std::string format_time(std::uint64_t ms) {
  const std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03uZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<unsigned>(ms % 1000));
  return buf;
}

std::string format_table(const std::vector<std::vector<std::string>>& rows) {
  std::vector<std::size_t> width;
  for (const auto& row : rows)
    for (std::size_t i = 0; i < row.size(); ++i) {
      if (width.size() <= i) width.push_back(0);
      width[i] = std::max(width[i], row[i].size());
    }
  std::string out;
  for (const auto& row : rows) {
    std::string line;
    for (std::size_t i = 0; i < row.size(); ++i) {
      line += row[i];
      if (i + 1 < row.size()) line += std::string(width[i] - row[i].size() + 2, ' ');
    }
    out += line + "\n";
  }
  return out;
}

config::Config load_config(const GlobalOptions& g) {
  auto c = config::load_config(g.config_path);
  if (!c) fail(kExitConfig, "config", c.error().message);
  if (c->role != protocol::Role::authority)
    fail(kExitConfig, "config",
         c->file.string() + ": role: this command needs role = \"authority\"");
  return std::move(c).value();
}

std::filesystem::path database_path(const config::Config& c) {
  return c.data_dir / std::string(store::kDatabaseFileName);
}

store::Store open_store(const config::Config& c) {
  store::OpenOptions options;
  options.busy_timeout_ms = c.store.busy_timeout_ms;
  auto s = store::Store::open(database_path(c), c.subject_id, options);
  if (!s) fail_store(s.error());
  return std::move(s).value();
}

protocol::Trust load_trust(const config::Config& c, store::Store& s, std::uint64_t now) {
  auto floor = s.trust_version();
  if (!floor) fail_store(floor.error());
  protocol::Trust trust = take(node::load_trust(c, now, *floor));
  if (trust.version() > *floor)
    if (auto ok = s.record_trust_version(trust.version()); !ok) fail_store(ok.error());
  return trust;
}

keys::MatchingKey load_matching_key(const config::Config& c) {
  return take(node::load_matching_key(c));
}

Authority::Authority(const config::Config& c, store::Store& s, std::uint64_t now)
    : identity_(take(node::load_identity(c))),
      trust_(load_trust(c, s, now)),
      matching_key_(load_matching_key(c)) {
  const std::uint64_t serial = take(node::certificate_serial(c));
  // Refuse to sign anything that `aegis log verify` (and the index) would then refuse.
  (void)take(node::own_certificate(c, trust_, identity_, serial, now));
  signing_ = std::make_unique<store::Signing>(store::Signing{
      identity_, serial, matching_key_,
      store::seal_recipients(identity_.box_public_key(), trust_, now), [] { return now_ms(); },
      [] { return keys::fresh_seal_randomness(); }});
}

std::string read_input(const std::string& path, std::size_t max_size) {
  if (path == "-") {
    std::string text;
    char buf[8192];
    while (std::cin.read(buf, sizeof buf) || std::cin.gcount() > 0) {
      text.append(buf, static_cast<std::size_t>(std::cin.gcount()));
      if (text.size() > max_size)
        fail(kExitFailed, "too_large",
             "standard input: larger than " + std::to_string(max_size) + " bytes");
    }
    return text;
  }
  auto bytes = keys::read_file(path, max_size);
  if (!bytes)
    fail(kExitFailed, std::string(keys::key_errc_name(bytes.error().code)),
         bytes.error().message());
  return std::string(bytes->begin(), bytes->end());
}

void write_file_atomically(const std::string& path, const std::string& text) {
  const std::string tmp = path + ".tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) fail(kExitFailed, "io", tmp + ": " + std::strerror(errno));
  std::size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const std::string why = std::strerror(errno);
      ::close(fd);
      ::unlink(tmp.c_str());
      fail(kExitFailed, "io", tmp + ": " + why);
    }
    done += static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0 || ::rename(tmp.c_str(), path.c_str()) != 0) {
    const std::string why = std::strerror(errno);
    ::unlink(tmp.c_str());
    fail(kExitFailed, "io", path + ": " + why);
  }
}

}  // namespace aegis::cli
