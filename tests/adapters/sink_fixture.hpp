// Helpers for the importer tests (tests/adapters): a Sink that collects what a parser hands
// over, and small file and text helpers for writing variants of the sample files.
#pragma once

#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "aegis/adapters/adapter.hpp"

namespace aegis::test {

// Collects what the parser hands over; notes a record or quarantine before begin(), and a
// record that protocol::check_record refuses. `fail_at_record` (1-based) makes that record()
// call fail, as a store error would.
class CollectSink final : public adapters::Sink {
 public:
  protocol::Status begin(const adapters::FileInfo& file_info) override {
    ++begins;
    info = file_info;
    return protocol::Ok{};
  }
  protocol::Status record(adapters::Parsed&& parsed) override {
    if (begins == 0) out_of_order = true;
    if (!protocol::check_record(parsed.record).ok()) unchecked = true;
    records.push_back(std::move(parsed));
    if (records.size() == fail_at_record)
      return protocol::make_error(protocol::Errc::too_large, "store: disk full");
    return protocol::Ok{};
  }
  protocol::Status quarantine(adapters::Quarantined&& q) override {
    if (begins == 0) out_of_order = true;
    quarantined.push_back(std::move(q));
    return protocol::Ok{};
  }

  int begins = 0;
  bool out_of_order = false;
  bool unchecked = false;
  std::size_t fail_at_record = 0;
  adapters::FileInfo info;
  std::vector<adapters::Parsed> records;
  std::vector<adapters::Quarantined> quarantined;
};

inline std::string read_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

inline void write_file(const std::filesystem::path& p, const std::string& text) {
  std::ofstream out(p, std::ios::binary);
  out << text;
}

// `text` with the one occurrence of `from` replaced by `to` (fails the test if not exactly one).
inline std::string replaced(std::string text, const std::string& from, const std::string& to) {
  const auto at = text.find(from);
  REQUIRE(at != std::string::npos);
  REQUIRE(text.find(from, at + 1) == std::string::npos);
  return text.replace(at, from.size(), to);
}

// 1-based line of the n-th (1-based) occurrence of `needle`.
inline std::uint64_t line_of(const std::string& text, const std::string& needle, int nth = 1) {
  std::size_t at = std::string::npos;
  for (int i = 0; i < nth; ++i) {
    at = text.find(needle, at == std::string::npos ? 0 : at + 1);
    REQUIRE(at != std::string::npos);
  }
  return 1 + static_cast<std::uint64_t>(
                 std::count(text.begin(), text.begin() + static_cast<long>(at), '\n'));
}

}  // namespace aegis::test
