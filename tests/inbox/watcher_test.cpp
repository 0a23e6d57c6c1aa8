// inbox::Watcher (docs/adapters.md, "Inbox"): which names are taken, the stability rule, name
// order, holds after a failure, and unreadable directories. Times are passed in: no sleeps.
#include <filesystem>

#include <catch2/catch.hpp>

#include "inbox/watcher.hpp"
#include "inbox_fixture.hpp"

using namespace aegis;
using namespace aegis::test;
namespace fs = std::filesystem;

namespace {

std::vector<std::string> names(const std::vector<inbox::Watcher::Ready>& ready) {
  std::vector<std::string> out;
  for (const auto& r : ready) out.push_back(r.file.filename().string());
  return out;
}

inbox::Watcher watch(const fs::path& dir, std::uint64_t stable_ms) {
  return inbox::Watcher({inbox::WatchedDir{dir, csv_source(), stable_ms}});
}

}  // namespace

TEST_CASE("watcher: temporary names are never taken") {
  CHECK(inbox::takes_name("pupils.csv"));
  CHECK(inbox::takes_name("CTF_823_4001.XML"));
  CHECK(inbox::takes_name("partial"));
  CHECK_FALSE(inbox::takes_name(".pupils.csv"));
  CHECK_FALSE(inbox::takes_name("pupils.csv.part"));
  CHECK_FALSE(inbox::takes_name("pupils.csv.tmp"));
  CHECK_FALSE(inbox::takes_name(""));
}

TEST_CASE("watcher: only regular files with final names, never subdirectories or symlinks") {
  TempDir dir("aegis-watch");
  write_file(dir / "b.csv", "x");
  write_file(dir / "a.csv", "x");
  write_file(dir / ".c.csv", "x");
  write_file(dir / "d.csv.part", "x");
  write_file(dir / "e.tmp", "x");
  fs::create_directory(dir / "processed");
  write_file(dir / "processed" / "f.csv", "x");
  fs::create_symlink(dir / "a.csv", dir / "link.csv");
  inbox::Watcher w = watch(dir.path(), 0);
  CHECK(names(w.scan(1000)) == std::vector<std::string>{"a.csv", "b.csv"});
  CHECK(w.problems().empty());
}

TEST_CASE("watcher: a file is ready once its size and mtime held for stable_ms") {
  TempDir dir("aegis-watch");
  inbox::Watcher w = watch(dir.path(), 2000);
  write_file(dir / "a.csv", "local_id");
  CHECK(w.scan(10'000).empty());  // first sight
  CHECK(w.scan(11'999).empty());
  CHECK(names(w.scan(12'000)) == std::vector<std::string>{"a.csv"});
  CHECK(names(w.scan(12'500)) == std::vector<std::string>{"a.csv"});  // until it is moved
}

TEST_CASE("watcher: a file still growing is not ready; its clock restarts at each change") {
  TempDir dir("aegis-watch");
  inbox::Watcher w = watch(dir.path(), 2000);
  const fs::path file = dir / "slow.csv";
  write_file(file, "local_id");
  CHECK(w.scan(10'000).empty());
  std::ofstream(file, std::ios::app) << ",family_name";  // the writer goes on
  CHECK(w.scan(12'000).empty());                        // changed: the clock restarts here
  CHECK(w.scan(13'999).empty());
  CHECK(names(w.scan(14'000)) == std::vector<std::string>{"slow.csv"});
}

TEST_CASE("watcher: a changed modification time alone restarts the clock") {
  TempDir dir("aegis-watch");
  inbox::Watcher w = watch(dir.path(), 2000);
  const fs::path file = write_file(dir / "a.csv", "12345");
  CHECK(w.scan(10'000).empty());
  fs::last_write_time(file, fs::last_write_time(file) - std::chrono::hours(1));  // same size
  CHECK(w.scan(12'000).empty());
  CHECK(names(w.scan(14'000)) == std::vector<std::string>{"a.csv"});
}

TEST_CASE("watcher: with stable_ms 0 a renamed-in file is taken at first sight") {
  TempDir dir("aegis-watch");
  inbox::Watcher w = watch(dir.path(), 0);
  write_file(dir / ".upload.part", "local_id");
  CHECK(w.scan(1).empty());
  fs::rename(dir / ".upload.part", dir / "pupils.csv");
  CHECK(names(w.scan(2)) == std::vector<std::string>{"pupils.csv"});
}

TEST_CASE("watcher: directories in config order, names in order within each") {
  TempDir a("aegis-watch-a"), b("aegis-watch-b");
  for (const char* n : {"z.xml", "m.xml"}) write_file(a / n, "x");
  for (const char* n : {"c.csv", "a.csv"}) write_file(b / n, "x");
  inbox::Watcher w({inbox::WatchedDir{a.path(), ctf_source(), 0},
                    inbox::WatchedDir{b.path(), csv_source(), 0}});
  auto ready = w.scan(5);
  CHECK(names(ready) == std::vector<std::string>{"m.xml", "z.xml", "a.csv", "c.csv"});
  CHECK(ready[0].dir == 0);
  CHECK(ready[3].dir == 1);
}

TEST_CASE("watcher: a held file is not offered again until its hold ends or it changes") {
  TempDir dir("aegis-watch");
  inbox::Watcher w = watch(dir.path(), 0);
  const fs::path file = write_file(dir / "a.csv", "x");
  write_file(dir / "b.csv", "x");
  CHECK(w.scan(1000).size() == 2);
  w.hold(file, 31'000);
  CHECK(names(w.scan(2000)) == std::vector<std::string>{"b.csv"});
  CHECK(names(w.scan(31'000)) == std::vector<std::string>{"a.csv", "b.csv"});
  w.hold(file, 90'000);
  write_file(file, "fixed by the sender");
  CHECK(names(w.scan(32'000)) == std::vector<std::string>{"a.csv", "b.csv"});
}

TEST_CASE("watcher: a file that disappears is forgotten; one renamed in under its name starts "
          "afresh") {
  TempDir dir("aegis-watch");
  inbox::Watcher w = watch(dir.path(), 2000);
  const fs::path file = write_file(dir / "a.csv", "x");
  CHECK(w.scan(10'000).empty());
  fs::remove(file);
  CHECK(w.scan(11'000).empty());
  write_file(file, "x");
  CHECK(w.scan(12'500).empty());  // not 2.5 s since first sight: seen anew at 12'500
  CHECK(names(w.scan(14'500)) == std::vector<std::string>{"a.csv"});
}

TEST_CASE("watcher: a missing directory is a problem; the others are still scanned") {
  TempDir good("aegis-watch");
  write_file(good / "a.csv", "x");
  inbox::Watcher w({inbox::WatchedDir{good / "missing", csv_source(), 0},
                    inbox::WatchedDir{good.path(), csv_source(), 0}});
  CHECK(names(w.scan(1)) == std::vector<std::string>{"a.csv"});
  REQUIRE(w.problems().size() == 1);
  CHECK(w.problems()[0].dir == 0);
  CHECK(w.problems()[0].message.find("missing") != std::string::npos);
  fs::create_directory(good / "missing");
  w.scan(2);
  CHECK(w.problems().empty());
}
