// Names of the import formats, as used in the config (`[[inbox]] format`) and on the command
// line (`aegis import --format`).
#include "aegis/adapters/adapter.hpp"

namespace aegis::adapters {

std::string_view format_name(Format f) noexcept {
  switch (f) {
    case Format::ctf: return "ctf";
    case Format::cin: return "cin";
    case Format::csv: return "csv";
  }
  return "unknown";
}

std::optional<Format> parse_format(std::string_view name) noexcept {
  for (Format f : {Format::ctf, Format::cin, Format::csv})
    if (format_name(f) == name) return f;
  return std::nullopt;
}

}  // namespace aegis::adapters
