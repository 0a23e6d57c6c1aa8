// The inbox directories the authority daemon watches (docs/adapters.md, "Inbox"). A scan lists
// each directory and says which files are ready to import: regular files (not symlinks) whose
// name does not start with '.' and does not end in .part or .tmp (the names a sender writes to
// before renaming), and whose size and modification time have not changed for stable_ms since
// the scan that first saw them so. Ready files come directory by directory (in config order),
// in name order within one. Subdirectories (processed/, failed/) are never entered.
//
// The watcher only reads directory entries; it never opens a file. Times are passed in.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "inbox/importer.hpp"

namespace aegis::inbox {

struct WatchedDir {
  std::filesystem::path dir;
  Source source;
  std::uint64_t stable_ms = 2000;
};

// True for a name the watcher may take: not ".hidden", not "x.part", not "x.tmp".
bool takes_name(std::string_view name);

class Watcher {
 public:
  explicit Watcher(std::vector<WatchedDir> dirs) : dirs_(std::move(dirs)) {}

  struct Ready {
    std::filesystem::path file;
    std::size_t dir = 0;  // index into dirs()
  };
  struct Problem {
    std::size_t dir = 0;
    std::string message;  // e.g. "cannot list /srv/inbox/sims: No such file or directory"
  };

  // Lists every directory at now_ms; returns the files ready now. Problems (a directory missing
  // or unreadable) are in problems() until a later scan of that directory succeeds.
  std::vector<Ready> scan(std::uint64_t now_ms);
  const std::vector<Problem>& problems() const { return problems_; }

  // Not offered again before until_ms (after a failed import or move), unless it changes.
  void hold(const std::filesystem::path& file, std::uint64_t until_ms);

  const std::vector<WatchedDir>& dirs() const { return dirs_; }

 private:
  struct Seen {
    std::uintmax_t size = 0;
    std::filesystem::file_time_type mtime;
    std::uint64_t since_ms = 0;       // first scan that saw this size and mtime
    std::uint64_t hold_until_ms = 0;  // hold()
    bool present = false;             // seen by the current scan
  };

  std::vector<WatchedDir> dirs_;
  std::map<std::filesystem::path, Seen> seen_;
  std::vector<Problem> problems_;
};

}  // namespace aegis::inbox
