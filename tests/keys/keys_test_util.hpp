// Small helpers shared by the keys/ tests: raw file access and file modes.
#pragma once

#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include <catch2/catch.hpp>

#include "aegis/keys/keys.hpp"

namespace aegis::test {

using protocol::Bytes;
using protocol::ByteView;

inline Bytes read_raw(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  REQUIRE(in.good());
  return Bytes(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// Writes `bytes` to `path` (replacing it) and sets `mode` exactly.
inline void write_raw(const std::filesystem::path& path, ByteView bytes, mode_t mode = 0600) {
  {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    REQUIRE(out.good());
    out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  }
  REQUIRE(::chmod(path.c_str(), mode) == 0);
}

inline void write_text(const std::filesystem::path& path, const std::string& text,
                       mode_t mode = 0644) {
  write_raw(path, protocol::view(text), mode);
}

inline mode_t file_mode(const std::filesystem::path& path) {
  struct stat st {};
  REQUIRE(::lstat(path.c_str(), &st) == 0);
  return st.st_mode & 07777;
}

// The error code of a failed keys::Result (fails the test when it succeeded).
template <typename R>
keys::KeyErrc error_code(const R& r) {
  REQUIRE_FALSE(r.ok());
  return r.error().code;
}

}  // namespace aegis::test
