// The checks every parser makes on a file before reading it (docs/adapters.md, "Validation"):
// it can be read, it is not empty, it is not larger than ParseOptions::max_file_bytes.
// Internal to adapters/.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <system_error>

#include "aegis/adapters/adapter.hpp"

namespace aegis::adapters {

inline std::optional<FileError> check_input_file(const std::filesystem::path& file,
                                                 std::uint64_t max_bytes) {
  std::error_code ec;
  const std::uintmax_t size = std::filesystem::file_size(file, ec);
  if (ec) return FileError{{}, "cannot read the file: " + ec.message()};
  if (size == 0) return FileError{{}, "the file is empty"};
  if (size > max_bytes)
    return FileError{{}, "the file is larger than the limit of " + std::to_string(max_bytes) +
                             " bytes"};
  return std::nullopt;
}

}  // namespace aegis::adapters
