// What the importer targets (ctf, cin, csv) share: a scratch file to hand each input to a
// parser, a Sink that checks what the parser hands over and keeps nothing, and fixed parse
// options (a fixed "today", so a run is reproducible).
#pragma once

#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <string>

#include "aegis/adapters/adapter.hpp"
#include "fuzz_support.hpp"

namespace aegis::fuzz {

// The parsers read files: each input goes through one scratch file per process ($TMPDIR, else
// /tmp), rewritten with each input, removed at exit.
class ScratchFile {
 public:
  explicit ScratchFile(const char* name) {
    const char* dir = std::getenv("TMPDIR");
    path_ = std::filesystem::path(dir && *dir ? dir : "/tmp") /
            (std::string("aegis-fuzz-") + name + "-" + std::to_string(::getpid()));
  }
  ~ScratchFile() {
    std::error_code ec;
    std::filesystem::remove(path_, ec);
  }
  const std::filesystem::path& write(const std::uint8_t* data, std::size_t size) {
    std::FILE* f = std::fopen(path_.c_str(), "wb");
    if (!f) fail("cannot write the scratch file");
    if (size && std::fwrite(data, 1, size, f) != size) fail("cannot write the scratch file");
    std::fclose(f);
    return path_;
  }

 private:
  std::filesystem::path path_;
};

// Takes what a parser hands over: every record must pass the protocol's own record check (the
// adapter contract), every quarantine entry must name a reason.
struct CheckingSink final : adapters::Sink {
  protocol::Status begin(const adapters::FileInfo&) override { return protocol::Ok{}; }
  protocol::Status record(adapters::Parsed&& parsed) override {
    if (!protocol::check_record(parsed.record)) fail("a parser handed over an invalid record");
    return protocol::Ok{};
  }
  protocol::Status quarantine(adapters::Quarantined&& q) override {
    if (q.reason.empty()) fail("a quarantine entry without a reason");
    return protocol::Ok{};
  }
};

inline adapters::ParseOptions parse_options() {
  adapters::ParseOptions o;
  o.today = protocol::Date{2025, 6, 15};
  return o;
}

}  // namespace aegis::fuzz
