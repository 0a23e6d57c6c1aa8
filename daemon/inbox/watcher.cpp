// Scanning the inbox directories (see watcher.hpp).
#include "inbox/watcher.hpp"

#include <algorithm>
#include <system_error>

namespace aegis::inbox {

namespace fs = std::filesystem;

bool takes_name(std::string_view name) {
  return !name.empty() && name.front() != '.' && !name.ends_with(".part") &&
         !name.ends_with(".tmp");
}

std::vector<Watcher::Ready> Watcher::scan(std::uint64_t now_ms) {
  std::vector<Ready> ready;
  problems_.clear();
  for (auto& [path, seen] : seen_) seen.present = false;
  for (std::size_t d = 0; d < dirs_.size(); ++d) {
    const WatchedDir& w = dirs_[d];
    std::error_code ec;
    fs::directory_iterator it(w.dir, ec);
    if (ec) {
      problems_.push_back({d, "cannot list " + w.dir.string() + ": " + ec.message()});
      // Keep what was seen there: a passing error must not restart every stability clock.
      for (auto& [path, seen] : seen_)
        if (path.parent_path() == w.dir) seen.present = true;
      continue;
    }
    std::vector<fs::path> names;
    for (; it != fs::directory_iterator(); it.increment(ec)) {
      if (ec) break;
      const fs::directory_entry& entry = *it;
      if (!takes_name(entry.path().filename().string())) continue;
      std::error_code sec;
      const fs::file_status st = entry.symlink_status(sec);
      if (sec || !fs::is_regular_file(st)) continue;  // directories, symlinks, sockets...
      const std::uintmax_t size = entry.file_size(sec);
      if (sec) continue;
      const fs::file_time_type mtime = entry.last_write_time(sec);
      if (sec) continue;  // vanished meanwhile
      auto [at, first_sight] = seen_.try_emplace(entry.path());
      Seen& s = at->second;
      // New, or still being written: the clock (re)starts, and any hold ends.
      if (first_sight || s.size != size || s.mtime != mtime) s = Seen{size, mtime, now_ms, 0, true};
      s.present = true;
      const bool stable = now_ms - s.since_ms >= w.stable_ms;
      if (stable && now_ms >= s.hold_until_ms) names.push_back(entry.path());
    }
    if (ec) problems_.push_back({d, "cannot list " + w.dir.string() + ": " + ec.message()});
    std::sort(names.begin(), names.end());
    for (fs::path& p : names) ready.push_back({std::move(p), d});
  }
  std::erase_if(seen_, [](const auto& kv) { return !kv.second.present; });
  return ready;
}

void Watcher::hold(const fs::path& file, std::uint64_t until_ms) {
  auto it = seen_.find(file);
  if (it != seen_.end()) it->second.hold_until_ms = until_ms;
}

}  // namespace aegis::inbox
