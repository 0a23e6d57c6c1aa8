// parse_file: one entry point for every format (adapter.hpp). Kept apart from format.cpp so a
// program that only names formats does not link every parser.
#include "aegis/adapters/adapter.hpp"
#include "aegis/adapters/csv.hpp"

namespace aegis::adapters {

ParseResult parse_file(Format format, const std::filesystem::path& file,
                       const ParseOptions& options, Sink& sink) {
  switch (format) {
    case Format::ctf: return parse_ctf(file, options, sink);
    case Format::cin: return parse_cin(file, options, sink);
    case Format::csv: return parse_csv(file, options, CsvMapping::aegis(), sink);
  }
  return FileError{Location{}, "unknown format"};
}

}  // namespace aegis::adapters
